/*
 * orderexec.c - executing pool orders: selection, safety rails, cordon,
 * drain, delete (pool_exit); uncordon, provisioning webhook, Ready
 * (pool_entry).  Resumable from order_device phases; see order.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "device.h"
#include "node.h"
#include "nodesel.h"
#include "order.h"
#include "util.h"
#include "xmalloc.h"

struct oe {
	struct store			*st;
	struct kube_client		*kc;
	const struct order_exec_opts	*o;
	long long			 id;
	char				 number[ORDER_NUMBER_LEN];
	long long			 cluster_id;
	char				*cluster;
	char				*action;
	long long			 count;
	char				*selector;	/* canonical JSON */
	struct es_buf			 failures;	/* "; "-joined */
	int				 nfailed;
};

static void	oe_say(struct oe *, const char *, ...) ES_PRINTF(2, 3);
static time_t	oe_now(const struct oe *);
static int	oe_event(struct oe *, const char *, long long, const char *,
		    const char *, struct es_err *);
static int	oe_phase(struct oe *, long long, const char *, const char *,
		    const char *, struct es_err *);
static int	oe_finish(struct oe *, const char *, const char *,
		    struct es_err *);
static int	oe_exit_select(struct oe *, struct es_err *);
static int	oe_exit_run(struct oe *, const cJSON *, struct es_err *);
static int	oe_entry_select(struct oe *, struct es_err *);
static int	oe_entry_run(struct oe *, const cJSON *, struct es_err *);
static int	oe_entry_take(struct oe *, const cJSON *, const char *,
		    const char *, const char *, const char *,
		    struct es_err *);
static int	oe_node_of(struct oe *, long long, cJSON **,
		    struct es_err *);
static int	oe_post(struct oe *, const char *, char **);
static void	oe_slot_failed(struct oe *, const cJSON *, const char *,
		    const char *);
static void	oe_device(struct oe *, long long, const char *);
static int	oe_device_set(struct oe *, long long, const char *,
		    struct es_err *);

static void
oe_say(struct oe *e, const char *fmt, ...)
{
	struct es_buf b = ES_BUF_INIT;
	va_list ap;

	if (e->o->progress == NULL)
		return;
	va_start(ap, fmt);
	es_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	e->o->progress(e->o->progress_arg, b.data);
	es_buf_release(&b);
}

/* Steps take time: events carry the time they happen, never earlier. */
static time_t
oe_now(const struct oe *e)
{
	time_t t = time(NULL);

	return t > e->o->now ? t : e->o->now;
}

static int
oe_event(struct oe *e, const char *event, long long dev, const char *node,
    const char *msg, struct es_err *err)
{
	return order_event_add(e->st, e->id, oe_now(e), e->o->actor, event,
	    NULL, NULL, dev, node, msg, err);
}

/*
 * Records that slot row od reached phase (status: the order_device
 * status, NULL to keep) and the event of it, in one transaction.
 */
static int
oe_phase(struct oe *e, long long od, const char *phase, const char *status,
    const char *msg, struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *row = NULL;
	long long dev;
	const char *node;

	util_time_format(oe_now(e), at);
	if (store_begin(e->st, err) == -1)
		return -1;
	if (store_exec(e->st, err, "UPDATE order_device SET phase = ?, "
	    "status = coalesce(?, status), failure_reason = CASE WHEN ? = "
	    "'failed' THEN ? ELSE failure_reason END, updated_at = ? WHERE "
	    "id = ?", "sssssi", phase, status, status, msg, at, od) == -1 ||
	    store_query_row_json(e->st, err, &row, "SELECT device_id, "
	    "node_name FROM order_device WHERE id = ?", "i", od) == -1)
		goto fail;
	dev = (long long)kube_num(row, "device_id", 0);
	node = kube_str(row, "node_name");
	if (oe_event(e, phase, dev, node, msg, err) == -1)
		goto fail;
	cJSON_Delete(row);
	return store_commit(e->st, err);
fail:
	cJSON_Delete(row);
	store_rollback(e->st);
	return -1;
}

/* processing -> completed | failed, compare-and-set, with its event. */
static int
oe_finish(struct oe *e, const char *to, const char *reason,
    struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	int n;

	util_time_format(oe_now(e), at);
	if (store_begin(e->st, err) == -1)
		return -1;
	n = store_exec(e->st, err, "UPDATE elastic_scaling_order SET status "
	    "= ?, failure_reason = ?, completion_time = ?, updated_at = ? "
	    "WHERE id = ? AND status = 'processing'", "ssssi", to, reason, at,
	    at, e->id);
	if (n == -1)
		goto fail;
	if (n == 0) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is no "
		    "longer processing", e->number);
		goto fail;
	}
	if (order_event_add(e->st, e->id, oe_now(e), e->o->actor,
	    strcmp(to, "completed") == 0 ? "completed" : "failed",
	    "processing", to, 0, NULL, reason, err) == -1)
		goto fail;
	return store_commit(e->st, err);
fail:
	store_rollback(e->st);
	return -1;
}

/* Sets a device's status on its own (a failure path: errors ignored). */
static void
oe_device(struct oe *e, long long dev, const char *status)
{
	struct es_err e2 = ES_ERR_INIT;

	oe_device_set(e, dev, status, &e2);
}

/* Sets a device's status in a transaction of its own. */
static int
oe_device_set(struct oe *e, long long dev, const char *status,
    struct es_err *err)
{
	if (store_begin(e->st, err) == -1)
		return -1;
	if (device_set_status(e->st, dev, status, -1, oe_now(e), err) == -1) {
		store_rollback(e->st);
		return -1;
	}
	return store_commit(e->st, err);
}

/* Marks a slot failed, keeping the reason for the order's summary. */
static void
oe_slot_failed(struct oe *e, const cJSON *slot, const char *phase,
    const char *why)
{
	struct es_err e2 = ES_ERR_INIT;

	es_buf_addf(&e->failures, "%s%s: %s", e->nfailed++ ? "; " : "",
	    kube_str(slot, "node_name") ? kube_str(slot, "node_name") :
	    kube_str(slot, "ci_code"), why);
	oe_say(e, "%s: failed: %s", kube_str(slot, "node_name") ?
	    kube_str(slot, "node_name") : kube_str(slot, "ci_code"), why);
	oe_phase(e, (long long)kube_num(slot, "id", 0), phase, "failed", why,
	    &e2);
}

/* ---- pool_exit ------------------------------------------------------ */

/*
 * Fills the empty slots: ranks the nodes, checks the rails, records the
 * chosen ones (phase selected, device removing) in one transaction.
 */
static int
oe_exit_select(struct oe *e, struct es_err *err)
{
	struct nodesel_opts so;
	struct es_buf why = ES_BUF_INIT;
	char at[UTIL_TIME_LEN], msg[256];
	cJSON *rank = NULL, *c;
	const cJSON *x;
	long long filled, need, pool, taken, slot, dev;
	double ncpu = 0, nmem = 0, fcpu, fmem, acpu = 0, amem = 0;
	int rc = -1, k, notready;

	if (store_query_int(e->st, err, &filled, 0, "SELECT count(*) FROM "
	    "order_device WHERE order_id = ?", "i", e->id) == -1)
		return -1;
	need = e->count - filled;
	if (need <= 0)
		return 0;
	memset(&so, 0, sizeof so);
	so.selector = e->selector;
	so.delete_emptydir = e->o->delete_emptydir;
	so.now = e->o->now;
	oe_say(e, "selecting %lld node%s of cluster %s", need,
	    need == 1 ? "" : "s", e->cluster);
	if (nodesel_rank(e->st, e->kc, e->cluster_id, &so, &rank, err) == -1)
		return -1;
	notready = (int)kube_num(rank, "nodes.not_ready", 0);
	if (notready > e->o->max_not_ready) {
		es_err_set(err, ES_ECONFLICT, "SafetyRail", "cluster %s has %d "
		    "NotReady node%s, more than order.max_not_ready (%lld): "
		    "not removing nodes now", e->cluster, notready,
		    notready == 1 ? "" : "s", e->o->max_not_ready);
		goto out;
	}
	if (store_query_int(e->st, err, &pool, 0, "SELECT count(*) FROM "
	    "device WHERE deleted_at IS NULL AND cluster_id = ? AND status = "
	    "'in_pool'", "i", e->cluster_id) == -1)
		goto out;
	if (pool - need < e->o->min_pool_size) {
		es_err_set(err, ES_ECONFLICT, "SafetyRail", "removing %lld "
		    "node%s would leave %lld in_pool device%s in cluster %s, "
		    "below order.min_pool_size (%lld)", need, need == 1 ? "" :
		    "s", pool - need, pool - need == 1 ? "" : "s", e->cluster,
		    e->o->min_pool_size);
		goto out;
	}
	/* the head of the ranking, skipping devices this order already has */
	k = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(rank, "candidates")) {
		dev = (long long)kube_num(c, "device_id", 0);
		if (store_query_int(e->st, err, &taken, 0, "SELECT count(*) "
		    "FROM order_device WHERE order_id = ? AND device_id = ?",
		    "ii", e->id, dev) == -1)
			goto out;
		if (taken || k >= need) {
			cJSON_AddBoolToObject(c, "chosen", 0);
			continue;
		}
		cJSON_AddBoolToObject(c, "chosen", 1);
		k++;
		ncpu += kube_num(c, "requests.cpu", 0);
		nmem += kube_num(c, "requests.memory", 0);
		acpu += kube_num(c, "allocatable.cpu", 0) -
		    kube_num(c, "requests.cpu", 0);
		amem += kube_num(c, "allocatable.memory", 0) -
		    kube_num(c, "requests.memory", 0);
	}
	if (k < need) {
		es_buf_addf(&why, "only %d of %lld nodes of cluster %s can be "
		    "removed", k, need, e->cluster);
		cJSON_ArrayForEach(x, kube_item(rank, "excluded"))
			es_buf_addf(&why, "%s%s: %s", x == kube_item(rank,
			    "excluded")->child ? " (" : "; ",
			    kube_str(x, "node"), kube_str(x, "reason"));
		if (cJSON_GetArraySize(kube_item(rank, "excluded")) > 0)
			es_buf_addch(&why, ')');
		es_err_set(err, ES_ECONFLICT, "SafetyRail", "%s", why.data);
		goto out;
	}
	fcpu = kube_num(rank, "free.cpu", 0) - acpu;
	fmem = kube_num(rank, "free.memory", 0) - amem;
	if (ncpu > fcpu + 1e-9 || nmem > fmem + 0.5) {
		es_err_set(err, ES_ECONFLICT, "SafetyRail", "the remaining "
		    "nodes of cluster %s cannot hold the pods to evict: they "
		    "request %.3f CPU and %.0f bytes of memory, %.3f CPU and "
		    "%.0f bytes are free", e->cluster, ncpu, nmem,
		    fcpu > 0 ? fcpu : 0, fmem > 0 ? fmem : 0);
		goto out;
	}
	if (e->o->dry_run) {
		cJSON_ArrayForEach(c, kube_item(rank, "candidates"))
			if (cJSON_IsTrue(cJSON_GetObjectItem(c, "chosen")))
				oe_say(e, "would remove %s (device %s, score "
				    "%.2f)", kube_str(c, "node"),
				    kube_str(c, "ci_code"),
				    kube_num(c, "score", 0));
		rc = 0;
		goto out;
	}
	util_time_format(oe_now(e), at);
	if (store_begin(e->st, err) == -1)
		goto out;
	slot = filled;
	cJSON_ArrayForEach(c, kube_item(rank, "candidates")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(c, "chosen")))
			continue;
		dev = (long long)kube_num(c, "device_id", 0);
		/* the first free slot number */
		if (store_query_int(e->st, err, &slot, 1, "SELECT coalesce("
		    "max(slot), 0) + 1 FROM order_device WHERE order_id = ?",
		    "i", e->id) == -1)
			goto rollback;
		if (store_exec(e->st, err, "INSERT INTO order_device "
		    "(order_id, device_id, status, created_at, updated_at, "
		    "node_name, phase, slot) VALUES (?, ?, 'processing', ?, ?, "
		    "?, 'selected', ?)", "iisssi", e->id, dev, at, at,
		    kube_str(c, "node"), slot) == -1 ||
		    device_set_status(e->st, dev, "removing", -1, oe_now(e),
		    err) == -1)
			goto rollback;
		snprintf(msg, sizeof msg, "slot %lld: rank %d, score %.2f",
		    slot, (int)kube_num(c, "rank", 0), kube_num(c, "score", 0));
		if (oe_event(e, "selected", dev, kube_str(c, "node"), msg,
		    err) == -1)
			goto rollback;
		oe_say(e, "selected %s (device %s, %s)", kube_str(c, "node"),
		    kube_str(c, "ci_code"), msg);
	}
	if (store_query_int(e->st, err, &slot, 0, "SELECT count(*) FROM "
	    "order_device WHERE order_id = ?", "i", e->id) == -1 ||
	    store_exec(e->st, err, "UPDATE elastic_scaling_order SET "
	    "device_count = max(device_count, ?) WHERE id = ?", "ii", slot,
	    e->id) == -1)
		goto rollback;
	rc = store_commit(e->st, err);
	goto out;
rollback:
	store_rollback(e->st);
out:
	es_buf_release(&why);
	cJSON_Delete(rank);
	return rc;
}

/* Takes one slot of a pool_exit through its remaining phases. */
static int
oe_exit_run(struct oe *e, const cJSON *slot, struct es_err *err)
{
	struct node_drain_opts d = NODE_DRAIN_OPTS_INIT;
	struct es_err e2 = ES_ERR_INIT;
	const char *phase = kube_str(slot, "phase");
	const char *node = kube_str(slot, "node_name");
	long long od = (long long)kube_num(slot, "id", 0);
	long long dev = (long long)kube_num(slot, "device_id", 0);
	int gone, changed;

	if (strcmp(phase, "selected") == 0) {
		if (node_cordon(e->kc, node, 1, 0, &changed, &e2) == -1 &&
		    e2.code != ES_ENOTFOUND) {
			/* nothing was done to the node: back in the pool */
			oe_device(e, dev, "in_pool");
			oe_slot_failed(e, slot, "selected", e2.msg);
			return 0;
		}
		oe_say(e, "node/%s cordoned", node);
		if (oe_phase(e, od, "cordoned", NULL, NULL, err) == -1)
			return -1;
		phase = "cordoned";
	}
	if (strcmp(phase, "cordoned") == 0) {
		d.delete_emptydir = e->o->delete_emptydir;
		d.timeout_ms = e->o->drain_timeout_ms;
		d.retry_ms = e->o->drain_retry_ms;
		d.retry_max_ms = e->o->drain_retry_ms;
		d.progress = e->o->progress;
		d.progress_arg = e->o->progress_arg;
		if (node_drain(e->kc, node, &d, NULL, &e2) == -1) {
			if (e2.code != ES_ENOTFOUND) {
				/* the node stays cordoned (order.h) */
				oe_device(e, dev, "cordoned");
				oe_slot_failed(e, slot, "cordoned", e2.msg);
				return 0;
			}
		}
		if (oe_phase(e, od, "drained", NULL, NULL, err) == -1)
			return -1;
		phase = "drained";
	}
	if (strcmp(phase, "drained") == 0) {
		if (node_delete(e->kc, node, 0, 0, &gone, &e2) == -1) {
			oe_device(e, dev, "cordoned");
			oe_slot_failed(e, slot, "drained", e2.msg);
			return 0;
		}
		oe_say(e, "node/%s deleted", node);
		if (oe_phase(e, od, "deleted", NULL, NULL, err) == -1)
			return -1;
		phase = "deleted";
	}
	if (strcmp(phase, "deleted") == 0 && (oe_device_set(e, dev,
	    "available", err) == -1 || oe_phase(e, od, "done", "completed",
	    NULL, err) == -1))
		return -1;
	return 0;
}

/* ---- pool_entry ----------------------------------------------------- */

/* Fills the empty slots with cordoned devices of the cluster, then
 * available ones. */
static int
oe_entry_select(struct oe *e, struct es_err *err)
{
	char at[UTIL_TIME_LEN], msg[200];
	cJSON *devs = NULL;
	const cJSON *d;
	long long filled, need, slot;
	int rc = -1, n;

	if (store_query_int(e->st, err, &filled, 0, "SELECT count(*) FROM "
	    "order_device WHERE order_id = ?", "i", e->id) == -1)
		return -1;
	need = e->count - filled;
	if (need <= 0)
		return 0;
	if (store_query_json(e->st, err, &devs, "SELECT id, ci_code, status "
	    "FROM device WHERE deleted_at IS NULL AND ((cluster_id = ?1 AND "
	    "status = 'cordoned') OR status = 'available') AND id NOT IN "
	    "(SELECT device_id FROM order_device WHERE order_id = ?2) AND "
	    "id NOT IN (SELECT od.device_id FROM order_device od JOIN "
	    "elastic_scaling_order o ON o.id = od.order_id WHERE o.status = "
	    "'processing' AND od.phase <> 'done') ORDER BY status = "
	    "'cordoned' DESC, id LIMIT ?3", "iii", e->cluster_id, e->id,
	    need) == -1)
		return -1;
	n = cJSON_GetArraySize(devs);
	if (n < need) {
		es_err_set(err, ES_ECONFLICT, "SafetyRail", "only %d device%s "
		    "can enter the pool of cluster %s (%lld needed): no other "
		    "device is available or cordoned there", n, n == 1 ? "" :
		    "s", e->cluster, need);
		goto out;
	}
	if (e->o->dry_run) {
		cJSON_ArrayForEach(d, devs)
			oe_say(e, "would add device %s (%s)",
			    kube_str(d, "ci_code"), kube_str(d, "status"));
		rc = 0;
		goto out;
	}
	util_time_format(oe_now(e), at);
	if (store_begin(e->st, err) == -1)
		goto out;
	cJSON_ArrayForEach(d, devs) {
		if (store_query_int(e->st, err, &slot, 1, "SELECT coalesce("
		    "max(slot), 0) + 1 FROM order_device WHERE order_id = ?",
		    "i", e->id) == -1 ||
		    store_exec(e->st, err, "INSERT INTO order_device "
		    "(order_id, device_id, status, created_at, updated_at, "
		    "phase, slot) VALUES (?, ?, 'processing', ?, ?, "
		    "'selected', ?)", "iissi", e->id,
		    (long long)kube_num(d, "id", 0), at, at, slot) == -1)
			goto rollback;
		snprintf(msg, sizeof msg, "slot %lld: device %s (%s)", slot,
		    kube_str(d, "ci_code"), kube_str(d, "status"));
		if (oe_event(e, "selected", (long long)kube_num(d, "id", 0),
		    NULL, msg, err) == -1)
			goto rollback;
		oe_say(e, "selected %s", msg);
	}
	rc = store_commit(e->st, err);
	goto out;
rollback:
	store_rollback(e->st);
out:
	cJSON_Delete(devs);
	return rc;
}

/* The Node standing for device dev, or *node NULL. */
static int
oe_node_of(struct oe *e, long long dev, cJSON **node, struct es_err *err)
{
	struct kube_ref r;
	cJSON *list;
	const cJSON *n;
	long long d;

	*node = NULL;
	if (kube_ref_init(&r, "nodes", NULL, NULL, err) == -1 ||
	    kube_list(e->kc, &r, NULL, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(n, kube_item(list, "items")) {
		if (device_for_node(e->st, -1, n, &d, err) == -1) {
			cJSON_Delete(list);
			return -1;
		}
		if (d == dev) {
			*node = cJSON_Duplicate(n, 1);
			break;
		}
	}
	cJSON_Delete(list);
	return 0;
}

struct oe_sink {
	struct es_buf	 b;
};

static size_t
oe_sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct oe_sink *s = arg;
	size_t len = size * n;

	if (s->b.len < 4096)
		es_buf_add(&s->b, p, len < 4096 - s->b.len ? len :
		    4096 - s->b.len);
	return len;
}

/*
 * POSTs body to the provisioning webhook, up to provision_attempts times
 * with 1 s, 2 s, ... between; 0, or -1 with *error (new string).
 */
static int
oe_post(struct oe *e, const char *body, char **error)
{
	struct curl_slist *hdrs = NULL;
	struct oe_sink sink;
	char errbuf[CURL_ERROR_SIZE], *auth = NULL;
	CURL *c;
	CURLcode cc;
	long code;
	int i, n = e->o->provision_attempts > 0 ? e->o->provision_attempts :
	    3;

	*error = NULL;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (e->o->provision_token != NULL) {
		auth = xasprintf("Authorization: Bearer %s",
		    e->o->provision_token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			util_sleep_ms(1000L << (i - 1));
		free(*error);
		*error = NULL;
		if ((c = curl_easy_init()) == NULL) {
			*error = xstrdup("cannot initialise libcurl");
			break;
		}
		memset(&sink, 0, sizeof sink);
		errbuf[0] = '\0';
		code = 0;
		curl_easy_setopt(c, CURLOPT_URL, e->o->provision_url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, oe_sink_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "esctl/" ESCTL_VERSION);
		cc = curl_easy_perform(c);
		if (cc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
		if (cc != CURLE_OK)
			*error = xasprintf("provisioning webhook: %s",
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		else if (code < 200 || code > 299)
			*error = xasprintf("provisioning webhook: HTTP %ld",
			    code);
		es_buf_release(&sink.b);
		if (*error == NULL)
			break;
		oe_say(e, "%s (attempt %d of %d)", *error, i + 1, n);
	}
	curl_slist_free_all(hdrs);
	free(auth);
	return *error == NULL ? 0 : -1;
}

/* Labels the node into the pool: pool_label and the order's selector. */
static int
oe_label(struct oe *e, const char *node, struct es_err *err)
{
	cJSON *sel;
	const cJSON *it;
	char *k;
	const char *eq;
	int rc = 0;

	if (e->o->pool_label != NULL && (eq = strchr(e->o->pool_label,
	    '=')) != NULL) {
		k = xasprintf("%.*s", (int)(eq - e->o->pool_label),
		    e->o->pool_label);
		rc = node_label(e->kc, node, k, eq + 1, 0, err);
		free(k);
		if (rc == -1)
			return -1;
	}
	if (e->selector == NULL)
		return 0;
	sel = cJSON_Parse(e->selector);
	cJSON_ArrayForEach(it, sel)
		if (rc == 0 && node_label(e->kc, node, it->string,
		    it->valuestring, 0, err) == -1)
			rc = -1;
	cJSON_Delete(sel);
	return rc;
}

/*
 * The Node `name` of an entry slot joins the pool: uncordoned and
 * labelled, its name recorded, phase uncordoned (message msg); said
 * tells how it came ("uncordoned", "registered").  1 when the Node
 * refused (the slot is failed: the order goes on with the others), -1
 * when the store could not record it (err set).
 */
static int
oe_entry_take(struct oe *e, const cJSON *slot, const char *phase,
    const char *name, const char *said, const char *msg,
    struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;
	long long od = (long long)kube_num(slot, "id", 0);

	if (node_cordon(e->kc, name, 0, 0, NULL, &e2) == -1 ||
	    oe_label(e, name, &e2) == -1) {
		oe_slot_failed(e, slot, phase, e2.msg);
		return 1;
	}
	oe_say(e, "node/%s %s", name, said);
	if (store_exec(e->st, err, "UPDATE order_device SET node_name = ? "
	    "WHERE id = ?", "si", name, od) == -1)
		return -1;
	return oe_phase(e, od, "uncordoned", NULL, msg, err);
}

/*
 * Takes one slot of a pool_entry through its remaining phases.  A slot
 * that fails is recorded as failed and the order goes on (0); -1 only
 * when the store fails (err set).
 */
static int
oe_entry_run(struct oe *e, const cJSON *slot, struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;
	const char *phase = kube_str(slot, "phase");
	long long od = (long long)kube_num(slot, "id", 0);
	long long dev = (long long)kube_num(slot, "device_id", 0);
	long timeout, waited;
	cJSON *node = NULL, *body, *row = NULL;
	char *text, *perr, *name = NULL;
	int rc = -1, t;

	timeout = e->o->ready_timeout_ms > 0 ? e->o->ready_timeout_ms :
	    600000;
	if (strcmp(phase, "selected") == 0) {
		if (oe_node_of(e, dev, &node, &e2) == -1) {
			oe_slot_failed(e, slot, phase, e2.msg);
			return 0;
		}
		if (node == NULL) {
			if (e->o->provision_url == NULL) {
				oe_slot_failed(e, slot, phase, "no Node "
				    "stands for the device and no "
				    "order.provision_url is configured");
				return 0;
			}
			if (store_query_row_json(e->st, err, &row, "SELECT "
			    "id, ci_code, ip, idc, room, cabinet, arch_type, "
			    "cpu, memory, os, model FROM device WHERE id = ?",
			    "i", dev) == -1)
				return -1;
			body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "event", "provision");
			cJSON_AddStringToObject(body, "order_number",
			    e->number);
			cJSON_AddStringToObject(body, "cluster", e->cluster);
			cJSON_AddItemToObject(body, "device", row);
			cJSON_AddItemToObject(body, "labels", e->selector ?
			    cJSON_Parse(e->selector) : cJSON_CreateObject());
			text = cJSON_PrintUnformatted(body);
			cJSON_Delete(body);
			oe_say(e, "device %s has no Node: asking the "
			    "provisioning webhook", kube_str(slot, "ci_code"));
			rc = oe_post(e, text, &perr);
			cJSON_free(text);
			if (rc == -1) {
				oe_slot_failed(e, slot, phase, perr);
				free(perr);
				return 0;
			}
			if (oe_phase(e, od, "requested", NULL,
			    "provisioning webhook accepted", err) == -1)
				return -1;
			phase = "requested";
		} else {
			name = xstrdup(kube_str(node, "metadata.name"));
			if ((t = oe_entry_take(e, slot, phase, name,
			    "uncordoned", NULL, err)) != 0) {
				rc = t == 1 ? 0 : -1;
				goto done;
			}
			phase = "uncordoned";
		}
	}
	if (strcmp(phase, "requested") == 0) {
		/* wait for the Node to register */
		for (waited = 0; node == NULL; waited += 1000) {
			if (oe_node_of(e, dev, &node, &e2) == -1) {
				oe_slot_failed(e, slot, phase, e2.msg);
				rc = 0;
				goto done;
			}
			if (node != NULL)
				break;
			if (waited >= timeout) {
				es_err_set(&e2, ES_EREMOTE, "Timeout", "no "
				    "Node registered for device %s within "
				    "%lds", kube_str(slot, "ci_code"),
				    timeout / 1000);
				oe_slot_failed(e, slot, phase, e2.msg);
				rc = 0;
				goto done;
			}
			util_sleep_ms(1000);
		}
		free(name);
		name = xstrdup(kube_str(node, "metadata.name"));
		if ((t = oe_entry_take(e, slot, phase, name, "registered",
		    "registered", err)) != 0) {
			rc = t == 1 ? 0 : -1;
			goto done;
		}
		phase = "uncordoned";
	}
	if (strcmp(phase, "uncordoned") == 0) {
		struct kube_wait w;
		struct kube_ref r;

		if (name == NULL)
			name = xstrdup(kube_str(slot, "node_name"));
		memset(&w, 0, sizeof w);
		w.timeout_ms = timeout;
		w.cond = kube_cond_ready;
		if (kube_ref_init(&r, "nodes", NULL, name, err) == -1)
			goto done;
		if (kube_wait(e->kc, &r, &w, NULL, &e2) == -1) {
			oe_slot_failed(e, slot, phase, e2.msg);
			rc = 0;
			goto done;
		}
		if (store_begin(e->st, err) == -1)
			goto done;
		if (device_set_status(e->st, dev, "in_pool", e->cluster_id,
		    oe_now(e), err) == -1) {
			store_rollback(e->st);
			goto done;
		}
		if (store_commit(e->st, err) == -1)
			goto done;
		oe_say(e, "node/%s Ready: device %s in pool", name,
		    kube_str(slot, "ci_code"));
		if (oe_phase(e, od, "done", "completed", NULL, err) == -1)
			goto done;
	}
	rc = 0;
done:
	free(name);
	cJSON_Delete(node);
	return rc;
}

/* ---- the run -------------------------------------------------------- */

int
order_execute(struct store *st, struct kube_client *kc, const char *ref,
    const struct order_exec_opts *o, cJSON **out, struct es_err *err)
{
	struct oe e;
	struct es_err e2 = ES_ERR_INIT;
	char lockname[64], at[UTIL_TIME_LEN];
	cJSON *row = NULL, *slots = NULL;
	const cJSON *s;
	const char *status;
	long long nslots;
	int lock = -1, rc = -1, n;

	if (out != NULL)
		*out = NULL;
	memset(&e, 0, sizeof e);
	e.st = st;
	e.kc = kc;
	e.o = o;
	if (order_find(st, ref, &e.id, err) == -1)
		return -1;
	snprintf(lockname, sizeof lockname, "order-%lld", e.id);
	if ((lock = store_lock(st, lockname, 0, err)) == -1) {
		if (err->code == ES_ECONFLICT)
			es_err_set(err, ES_ECONFLICT, "Locked", "order %s is "
			    "being executed by another esctl process", ref);
		return -1;
	}
	if (store_query_row_json(st, err, &row, "SELECT o.order_number, "
	    "o.status, o.action_type, o.cluster_id, c.clustername, "
	    "o.device_count, coalesce(o.node_selector, s.node_selector) AS "
	    "sel FROM elastic_scaling_order o LEFT JOIN k8s_cluster c ON "
	    "c.id = o.cluster_id LEFT JOIN elastic_scaling_strategy s ON "
	    "s.id = o.strategy_id WHERE o.id = ?", "i", e.id) == -1)
		goto out;
	snprintf(e.number, sizeof e.number, "%s", kube_str(row,
	    "order_number"));
	status = kube_str(row, "status");
	e.action = xstrdup(kube_str(row, "action_type"));
	e.cluster_id = (long long)kube_num(row, "cluster_id", 0);
	e.cluster = xstrdup(kube_str(row, "clustername") ?
	    kube_str(row, "clustername") : "?");
	e.count = (long long)kube_num(row, "device_count", 0);
	if (kube_str(row, "sel") != NULL && node_selector_canon(kube_str(row,
	    "sel"), &e.selector, err) == -1)
		goto out;
	if (strcmp(e.action, "pool_exit") != 0 &&
	    strcmp(e.action, "pool_entry") != 0) {
		es_err_set(err, ES_EUSAGE, "Invalid", "order %s is a %s order: "
		    "only pool_entry and pool_exit orders execute here",
		    e.number, e.action);
		goto out;
	}
	if (strcmp(status, "pending") == 0 && o->require_approval) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is "
		    "pending: approve it first (order.require_approval is "
		    "true)", e.number);
		goto out;
	}
	if (strcmp(status, "pending") != 0 &&
	    strcmp(status, "processing") != 0) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is %s, "
		    "not processing", e.number, status);
		goto out;
	}
	if (o->dry_run) {
		rc = strcmp(e.action, "pool_exit") == 0 ?
		    oe_exit_select(&e, err) : oe_entry_select(&e, err);
		goto out;
	}
	util_time_format(oe_now(&e), at);
	if (store_begin(st, err) == -1)
		goto out;
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'processing', executor = ?, execution_time = coalesce("
	    "execution_time, ?), updated_at = ? WHERE id = ? AND status IN "
	    "('pending', 'processing')", "sssi", o->actor ? o->actor : "",
	    at, at, e.id);
	if (n <= 0) {
		if (n == 0)
			es_err_set(err, ES_ECONFLICT, "WrongState", "order %s "
			    "changed status meanwhile", e.number);
		store_rollback(st);
		goto out;
	}
	if (store_query_int(st, err, &nslots, 0, "SELECT count(*) FROM "
	    "order_device WHERE order_id = ?", "i", e.id) == -1 ||
	    order_event_add(st, e.id, oe_now(&e), o->actor, nslots ?
	    "execution_resumed" : "execution_started", status, "processing",
	    0, NULL, NULL, err) == -1) {
		store_rollback(st);
		goto out;
	}
	if (store_commit(st, err) == -1)
		goto out;
	oe_say(&e, "%s order %s: %s of %lld on cluster %s", nslots ?
	    "resuming" : "executing", e.number, e.action, e.count, e.cluster);
	rc = strcmp(e.action, "pool_exit") == 0 ? oe_exit_select(&e, &e2) :
	    oe_entry_select(&e, &e2);
	if (rc == -1) {
		if (e2.code == ES_ECONFLICT || e2.code == ES_EREMOTE ||
		    e2.code == ES_EPERM) {
			/* a rail or the cluster stopped it: the order fails */
			if (oe_finish(&e, "failed", e2.msg, err) == -1)
				goto out;
		}
		*err = e2;
		rc = -1;
		goto out;
	}
	rc = -1;
	if (store_query_json(st, err, &slots, "SELECT od.id, od.slot, "
	    "od.device_id, d.ci_code, od.node_name, od.phase, od.status FROM "
	    "order_device od JOIN device d ON d.id = od.device_id WHERE "
	    "od.order_id = ? ORDER BY od.slot", "i", e.id) == -1)
		goto out;
	cJSON_ArrayForEach(s, slots) {
		if (strcmp(kube_str(s, "status"), "failed") == 0) {
			es_buf_addf(&e.failures, "%s%s: failed earlier",
			    e.nfailed++ ? "; " : "", kube_str(s, "ci_code"));
			continue;
		}
		if (strcmp(kube_str(s, "phase"), "done") == 0)
			continue;
		if ((strcmp(e.action, "pool_exit") == 0 ? oe_exit_run(&e, s,
		    err) : oe_entry_run(&e, s, err)) == -1)
			goto out;
	}
	if (e.nfailed > 0) {
		es_err_set(&e2, ES_ECONFLICT, "Failed", "order %s failed: %s",
		    e.number, e.failures.data);
		rc = -1;
		if (oe_finish(&e, "failed", e.failures.data, err) == -1)
			goto out;
		*err = e2;
		goto out;
	}
	rc = -1;
	if (oe_finish(&e, "completed", NULL, err) == -1)
		goto out;
	rc = 0;
out:
	if (out != NULL && rc == 0 && order_show(st, e.id, out, &e2) == -1)
		*out = NULL;
	store_unlock(lock);
	cJSON_Delete(slots);
	cJSON_Delete(row);
	free(e.action);
	free(e.cluster);
	free(e.selector);
	es_buf_release(&e.failures);
	return rc;
}
