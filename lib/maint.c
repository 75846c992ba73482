/*
 * maint.c - device maintenance requests, their Kubernetes steps and the
 * downstream callback outbox.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "device.h"
#include "maint.h"
#include "order.h"
#include "util.h"
#include "webhook.h"
#include "xmalloc.h"

#define MAINT_BACKOFF_FIRST	5
#define MAINT_BACKOFF_MAX	3600
#define MAINT_READY_TIMEOUT_MS	300000
#define MAINT_OPEN_SQL \
	"('pending_confirmation', 'scheduled_for_maintenance', " \
	"'maintenance_in_progress')"

/* The columns of an order as the functions below read it. */
#define MAINT_ORDER_SQL \
	"SELECT o.id, o.order_number, o.action_type, o.status, " \
	"o.cluster_id, c.clustername AS cluster, o.device_id, " \
	"d.ci_code, d.ip, d.status AS device_status, " \
	"o.maintenance_start_time, o.maintenance_end_time, " \
	"o.external_ticket_id, o.reason, o.cancel_reason, " \
	"o.parent_order_id, o.maint_confirmed_at, o.maint_scheduled_at, " \
	"o.maint_started_at, o.maint_done_at, o.maint_node, " \
	"o.maint_cordoned, o.maint_drained, o.maint_prev_status, " \
	"o.created_by, o.created_at, o.updated_at, o.completion_time, " \
	"o.executor, o.execution_time " \
	"FROM elastic_scaling_order o " \
	"LEFT JOIN k8s_cluster c ON c.id = o.cluster_id " \
	"LEFT JOIN device d ON d.id = o.device_id "

static const char	*maint_s(const cJSON *, const char *);
static long long	 maint_i(const cJSON *, const char *, long long);
static int		 maint_load(struct store *, const char *, const char *,
			    cJSON **, struct es_err *);
static int		 maint_load_id(struct store *, long long, cJSON **,
			    struct es_err *);
static int		 maint_wrong(const cJSON *, const char *,
			    struct es_err *);
static int		 maint_changed(int, const cJSON *, const char *,
			    struct es_err *);
static int		 maint_load_in(struct store *, const char *,
			    const char *, cJSON **, struct es_err *);
static int		 maint_transition(struct store *, long long, time_t,
			    const char *, const char *, const char *,
			    const char *, const char *, const char *,
			    const char *, struct es_err *);
static int		 maint_enqueue(struct store *, const cJSON *,
			    const char *, const char *, time_t,
			    struct es_err *);
static int		 maint_device(struct store *, const char *, cJSON **,
			    struct es_err *);
static int		 maint_find_node(struct kube_client *, const cJSON *,
			    char **, struct es_err *);
static int		 maint_lock(struct store *, long long,
			    struct es_err *);
static void		 maint_say(void (*)(void *, const char *), void *,
			    const char *, ...) ES_PRINTF(3, 4);
static int		 maint_window(time_t, time_t, time_t,
			    struct es_err *);

/* A string column of a row, or NULL. */
static const char *
maint_s(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

/* An integer column of a row, or def when NULL/absent. */
static long long
maint_i(const cJSON *o, const char *k, long long def)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? (long long)cJSON_GetNumberValue(v) : def;
}

static void
maint_say(void (*fn)(void *, const char *), void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fn(arg, line);
}

static int
maint_load_id(struct store *st, long long id, cJSON **out,
    struct es_err *err)
{
	if (store_query_row_json(st, err, out, MAINT_ORDER_SQL
	    "WHERE o.id = ?", "i", id) == -1)
		return -1;
	if (*out == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order %lld "
		    "not found", id);
	return 0;
}

/*
 * Loads an order by number or id and checks its action (NULL: any).  A
 * pool order named where a maintenance request is wanted is a usage
 * error, not a state conflict.
 */
static int
maint_load(struct store *st, const char *ref, const char *action,
    cJSON **out, struct es_err *err)
{
	long long id;

	*out = NULL;
	if (order_find(st, ref, &id, err) == -1 ||
	    maint_load_id(st, id, out, err) == -1)
		return -1;
	if (action != NULL && strcmp(maint_s(*out, "action_type"),
	    action) != 0) {
		es_err_set(err, ES_EUSAGE, "Invalid", "order %s is a %s order, "
		    "not a %s", maint_s(*out, "order_number"),
		    maint_s(*out, "action_type"), action);
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ES_ECONFLICT: the order is in another state than the one wanted. */
static int
maint_wrong(const cJSON *o, const char *want, struct es_err *err)
{
	return es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is %s, "
	    "not %s", maint_s(o, "order_number"), maint_s(o, "status"), want);
}

/*
 * The end of a compare-and-set UPDATE of order o from state want that
 * changed n rows: -1 on a store error (n == -1) or when another run
 * changed the order first (n == 0, maint_wrong).
 */
static int
maint_changed(int n, const cJSON *o, const char *want, struct es_err *err)
{
	if (n == 0)
		maint_wrong(o, want, err);
	return n <= 0 ? -1 : 0;
}

/*
 * The record of a transition of order id from `from` to `to`: its order
 * event (event, node, message) and the callback cb with the order as it
 * is now.
 */
static int
maint_transition(struct store *st, long long id, time_t now,
    const char *actor, const char *event, const char *from, const char *to,
    const char *node, const char *message, const char *cb,
    struct es_err *err)
{
	cJSON *o;
	int rc;

	if (maint_load_id(st, id, &o, err) == -1)
		return -1;
	rc = order_event_add(st, id, now, actor, event, from, to,
	    maint_i(o, "device_id", 0), node, message, err);
	if (rc == 0)
		rc = maint_enqueue(st, o, cb, to, now, err);
	cJSON_Delete(o);
	return rc;
}

/* A maintenance request by number or id that is in state want. */
static int
maint_load_in(struct store *st, const char *ref, const char *want,
    cJSON **out, struct es_err *err)
{
	if (maint_load(st, ref, "maintenance_request", out, err) == -1)
		return -1;
	if (strcmp(maint_s(*out, "status"), want) != 0)
		return maint_wrong(*out, want, err);
	return 0;
}

/* The lock that keeps two runs of the Kubernetes steps of one request apart. */
static int
maint_lock(struct store *st, long long id, struct es_err *err)
{
	char name[64];
	int fd;

	snprintf(name, sizeof name, "maintenance-%lld", id);
	fd = store_lock(st, name, 0, err);
	if (fd == -1)
		es_err_set(err, ES_ECONFLICT, "Locked", "another esctl is "
		    "working on maintenance order %lld now", id);
	return fd;
}

/*
 * A device by numeric id or CI code (not removed; lib/device.h's
 * device_find), with its cluster's name.
 */
static int
maint_device(struct store *st, const char *ref, cJSON **out,
    struct es_err *err)
{
	long long id;

	if (device_find(st, ref, &id, err) == -1)
		return -1;
	return store_query_row_json(st, err, out, "SELECT d.id, d.ci_code, "
	    "d.ip, d.status, d.cluster_id, c.clustername AS cluster "
	    "FROM device d LEFT JOIN k8s_cluster c ON c.id = d.cluster_id "
	    "AND c.deleted_at IS NULL WHERE d.id = ?", "i", id);
}

/* Checks a window: start before end, end in the future. */
static int
maint_window(time_t start, time_t end, time_t now, struct es_err *err)
{
	char a[UTIL_TIME_LEN], b[UTIL_TIME_LEN];

	util_time_format(start, a);
	util_time_format(end, b);
	if (start >= end)
		return es_err_set(err, ES_EUSAGE, "Invalid", "the window "
		    "starts (%s) at or after it ends (%s)", a, b);
	if (end <= now)
		return es_err_set(err, ES_EUSAGE, "Invalid", "the window ends "
		    "(%s) in the past", b);
	return 0;
}

/*
 * Queues a downstream event for order o (a row from MAINT_ORDER_SQL read
 * before the transition) in the caller's transaction.  status is the
 * order's status after the transition, message free text (may be NULL).
 * The event id is "<order number>:<event>:<n>", n counting this event
 * for this order from 1, so it is stable across retries.
 */
static int
maint_enqueue(struct store *st, const cJSON *o, const char *event,
    const char *status, time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN], *eid, *text;
	long long id = maint_i(o, "id", 0), n;
	cJSON *p, *d, *w;
	int rc;

	if (store_query_int(st, err, &n, 0, "SELECT count(*) FROM "
	    "maintenance_outbox WHERE order_id = ? AND event = ?", "is", id,
	    event) == -1)
		return -1;
	eid = xasprintf("%s:%s:%lld", maint_s(o, "order_number"), event,
	    n + 1);
	util_time_format(now, at);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "event_id", eid);
	cJSON_AddStringToObject(p, "event", event);
	cJSON_AddStringToObject(p, "order_number",
	    maint_s(o, "order_number"));
	cJSON_AddStringToObject(p, "ticket_id",
	    maint_s(o, "external_ticket_id"));
	cJSON_AddStringToObject(p, "status", status);
	d = cJSON_AddObjectToObject(p, "device");
	cJSON_AddNumberToObject(d, "id", (double)maint_i(o, "device_id", 0));
	cJSON_AddStringToObject(d, "ci_code", maint_s(o, "ci_code") ?
	    maint_s(o, "ci_code") : "");
	cJSON_AddStringToObject(d, "ip", maint_s(o, "ip") ? maint_s(o, "ip") :
	    "");
	if (maint_s(o, "cluster") != NULL)
		cJSON_AddStringToObject(p, "cluster", maint_s(o, "cluster"));
	else
		cJSON_AddNullToObject(p, "cluster");
	if (maint_s(o, "maint_node") != NULL)
		cJSON_AddStringToObject(p, "node", maint_s(o, "maint_node"));
	else
		cJSON_AddNullToObject(p, "node");
	w = cJSON_AddObjectToObject(p, "window");
	cJSON_AddStringToObject(w, "start",
	    maint_s(o, "maintenance_start_time"));
	cJSON_AddStringToObject(w, "end", maint_s(o, "maintenance_end_time"));
	if (strcmp(event, "cancelled") == 0 &&
	    maint_s(o, "cancel_reason") != NULL)
		cJSON_AddStringToObject(p, "reason",
		    maint_s(o, "cancel_reason"));
	else if (maint_s(o, "reason") != NULL)
		cJSON_AddStringToObject(p, "reason", maint_s(o, "reason"));
	cJSON_AddStringToObject(p, "occurred_at", at);
	text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	rc = store_exec(st, err, "INSERT INTO maintenance_outbox (order_id, "
	    "event_id, event, payload, created_at) VALUES (?, ?, ?, ?, ?)",
	    "issss", id, eid, event, text, at);
	free(text);
	free(eid);
	return rc == -1 ? -1 : 0;
}

int
maint_request(struct store *st, const struct maint_request *r, time_t now,
    long long *id, int *existed, struct es_err *err)
{
	char at[UTIL_TIME_LEN], ws[UTIL_TIME_LEN], we[UTIL_TIME_LEN];
	char num[ORDER_NUMBER_LEN];
	cJSON *dev = NULL, *row = NULL;
	long long oid;

	*existed = 0;
	if (r->ticket == NULL || *r->ticket == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "a maintenance "
		    "request needs the downstream ticket id (--ticket)");
	if (r->reason == NULL || *r->reason == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "a maintenance "
		    "request needs a reason (--reason)");
	if (maint_window(r->start, r->end, now, err) == -1)
		return -1;
	util_time_format(now, at);
	util_time_format(r->start, ws);
	util_time_format(r->end, we);
	if (store_begin(st, err) == -1)
		return -1;
	if (maint_device(st, r->device, &dev, err) == -1)
		goto fail;
	/* the same ticket again: the existing order (a retry downstream) */
	if (store_query_row_json(st, err, &row, "SELECT o.id, "
	    "o.order_number, o.device_id, d.ci_code FROM "
	    "elastic_scaling_order o LEFT JOIN device d ON d.id = o.device_id "
	    "WHERE o.action_type = 'maintenance_request' AND "
	    "o.external_ticket_id = ?", "s", r->ticket) == -1)
		goto fail;
	if (row != NULL) {
		if (maint_i(row, "device_id", 0) != maint_i(dev, "id", -1)) {
			es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "ticket '%s' is order %s for device '%s', not "
			    "'%s'", r->ticket, maint_s(row, "order_number"),
			    maint_s(row, "ci_code"), maint_s(dev, "ci_code"));
			goto fail;
		}
		*id = maint_i(row, "id", 0);
		*existed = 1;
		cJSON_Delete(row);
		cJSON_Delete(dev);
		store_rollback(st);
		return 0;
	}
	if (maint_i(dev, "cluster_id", 0) <= 0 ||
	    maint_s(dev, "cluster") == NULL) {
		es_err_set(err, ES_ECONFLICT, "NotInCluster", "device '%s' is "
		    "not in any cluster: nothing to take out for maintenance",
		    maint_s(dev, "ci_code"));
		goto fail;
	}
	if (store_query_row_json(st, err, &row, "SELECT order_number, status "
	    "FROM elastic_scaling_order WHERE action_type = "
	    "'maintenance_request' AND device_id = ? AND status IN "
	    MAINT_OPEN_SQL " LIMIT 1", "i", maint_i(dev, "id", 0)) == -1)
		goto fail;
	if (row != NULL) {
		es_err_set(err, ES_ECONFLICT, "AlreadyExists", "device '%s' "
		    "already has an open maintenance request: order %s (%s)",
		    maint_s(dev, "ci_code"), maint_s(row, "order_number"),
		    maint_s(row, "status"));
		goto fail;
	}
	if (order_next_number(st, now, num, err) == -1)
		goto fail;
	if (store_exec(st, err, "INSERT INTO elastic_scaling_order "
	    "(order_number, cluster_id, action_type, status, device_count, "
	    "created_by, created_at, updated_at, device_id, "
	    "maintenance_start_time, maintenance_end_time, "
	    "external_ticket_id, reason) VALUES (?, ?, 'maintenance_request', "
	    "'pending_confirmation', 1, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "sisssissss", num, maint_i(dev, "cluster_id", 0),
	    r->actor ? r->actor : "", at, at, maint_i(dev, "id", 0), ws, we,
	    r->ticket, r->reason) == -1)
		goto fail;
	oid = store_last_insert_id(st);
	if (maint_transition(st, oid, now, r->actor, "requested", NULL,
	    "pending_confirmation", NULL, r->reason, "accepted", err) == -1)
		goto fail;
	cJSON_Delete(dev);
	*id = oid;
	return store_commit(st, err);
fail:
	cJSON_Delete(row);
	cJSON_Delete(dev);
	store_rollback(st);
	return -1;
}

int
maint_confirm(struct store *st, const char *ref, time_t start, time_t end,
    const char *actor, time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN], ws[UTIL_TIME_LEN], we[UTIL_TIME_LEN];
	cJSON *o = NULL;
	time_t s0, e0;
	int n;

	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		return -1;
	if (maint_load_in(st, ref, "pending_confirmation", &o, err) == -1)
		goto fail;
	if (util_time_parse(maint_s(o, "maintenance_start_time"), "start",
	    now, &s0, err) == -1 || util_time_parse(maint_s(o,
	    "maintenance_end_time"), "end", now, &e0, err) == -1)
		goto fail;
	if (start == 0)
		start = s0;
	if (end == 0)
		end = e0;
	if (maint_window(start, end, now, err) == -1)
		goto fail;
	util_time_format(start, ws);
	util_time_format(end, we);
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET "
	    "maint_confirmed_at = ?, maintenance_start_time = ?, "
	    "maintenance_end_time = ?, approver = ?, updated_at = ? "
	    "WHERE id = ? AND status = 'pending_confirmation'", "sssssi", at,
	    ws, we, actor ? actor : "", at, maint_i(o, "id", 0));
	if (maint_changed(n, o, "pending_confirmation", err) == -1)
		goto fail;
	if (maint_transition(st, maint_i(o, "id", 0), now, actor,
	    "confirmed", "pending_confirmation", "pending_confirmation", NULL,
	    NULL, "confirmed", err) == -1)
		goto fail;
	cJSON_Delete(o);
	return store_commit(st, err);
fail:
	cJSON_Delete(o);
	store_rollback(st);
	return -1;
}

int
maint_schedule(struct store *st, const char *ref, const char *actor,
    time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *o = NULL;
	int n;

	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		return -1;
	if (maint_load_in(st, ref, "pending_confirmation", &o, err) == -1)
		goto fail;
	if (maint_s(o, "maint_confirmed_at") == NULL) {
		es_err_set(err, ES_ECONFLICT, "NotConfirmed", "order %s has no "
		    "confirmed window yet: run 'esctl maintenance confirm %s' "
		    "first", maint_s(o, "order_number"),
		    maint_s(o, "order_number"));
		goto fail;
	}
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'scheduled_for_maintenance', maint_scheduled_at = ?, "
	    "updated_at = ? WHERE id = ? AND status = 'pending_confirmation' "
	    "AND maint_confirmed_at IS NOT NULL", "ssi", at, at,
	    maint_i(o, "id", 0));
	if (maint_changed(n, o, "pending_confirmation", err) == -1)
		goto fail;
	if (order_event_add(st, maint_i(o, "id", 0), now, actor, "scheduled",
	    "pending_confirmation", "scheduled_for_maintenance",
	    maint_i(o, "device_id", 0), NULL, NULL, err) == -1)
		goto fail;
	cJSON_Delete(o);
	return store_commit(st, err);
fail:
	cJSON_Delete(o);
	store_rollback(st);
	return -1;
}

int
maint_order_cluster(struct store *st, const char *ref, char **cluster,
    struct es_err *err)
{
	cJSON *o;

	*cluster = NULL;
	if (maint_load(st, ref, NULL, &o, err) == -1)
		return -1;
	if (maint_s(o, "cluster") == NULL) {
		es_err_set(err, ES_ENOTFOUND, "NotFound", "the cluster of "
		    "order %s is not registered (esctl k8s list)",
		    maint_s(o, "order_number"));
		cJSON_Delete(o);
		return -1;
	}
	*cluster = xstrdup(maint_s(o, "cluster"));
	cJSON_Delete(o);
	return 0;
}

/*
 * The Node that stands for the device: the one whose InternalIP is the
 * device's IP, else the one named like its CI code or with that
 * Hostname address.  New string in *name.
 */
static int
maint_find_node(struct kube_client *kc, const cJSON *o, char **name,
    struct es_err *err)
{
	struct kube_ref r;
	const cJSON *n, *items;
	const char *ip = maint_s(o, "ip"), *ci = maint_s(o, "ci_code"), *a;
	cJSON *list;

	*name = NULL;
	if (kube_ref_init(&r, "nodes", NULL, NULL, err) == -1 ||
	    kube_list(kc, &r, NULL, &list, err) == -1)
		return -1;
	items = cJSON_GetObjectItem(list, "items");
	cJSON_ArrayForEach(n, items) {
		a = node_address(n, "InternalIP");
		if (ip != NULL && *ip != '\0' && a != NULL &&
		    strcmp(a, ip) == 0) {
			*name = xstrdup(kube_str(n, "metadata.name"));
			break;
		}
	}
	cJSON_ArrayForEach(n, items) {
		if (*name != NULL || ci == NULL || *ci == '\0')
			break;
		a = node_address(n, "Hostname");
		if (strcmp(kube_str(n, "metadata.name"), ci) == 0 ||
		    (a != NULL && strcmp(a, ci) == 0))
			*name = xstrdup(kube_str(n, "metadata.name"));
	}
	cJSON_Delete(list);
	if (*name == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no Node of "
		    "cluster '%s' stands for device '%s' (InternalIP %s, or a "
		    "name or Hostname %s)", maint_s(o, "cluster"),
		    ci ? ci : "", ip && *ip ? ip : "-", ci ? ci : "");
	return 0;
}

int
maint_start(struct store *st, struct kube_client *kc, const char *ref,
    const struct maint_start_opts *so, const char *actor, time_t now,
    struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *o = NULL, *node = NULL, *pods = NULL;
	char *nname = NULL;
	long long id, cordoned;
	time_t ws, we;
	int fd = -1, n, changed, ret = -1;

	if (maint_load(st, ref, "maintenance_request", &o, err) == -1)
		return -1;
	id = maint_i(o, "id", 0);
	if (!so->dry_run && (fd = maint_lock(st, id, err)) == -1)
		goto out;
	/* read again under the lock */
	cJSON_Delete(o);
	if (maint_load_id(st, id, &o, err) == -1)
		goto out;
	if (strcmp(maint_s(o, "status"), "scheduled_for_maintenance") != 0) {
		maint_wrong(o, "scheduled_for_maintenance", err);
		goto out;
	}
	if (util_time_parse(maint_s(o, "maintenance_start_time"), "start",
	    now, &ws, err) == -1 || util_time_parse(maint_s(o,
	    "maintenance_end_time"), "end", now, &we, err) == -1)
		goto out;
	if (!so->ignore_window && now < ws) {
		es_err_set(err, ES_ECONFLICT, "TooEarly", "the window of order "
		    "%s opens at %s: wait, or start now with --now",
		    maint_s(o, "order_number"),
		    maint_s(o, "maintenance_start_time"));
		goto out;
	}
	if (!so->ignore_window && now >= we) {
		es_err_set(err, ES_ECONFLICT, "TooLate", "the window of order "
		    "%s closed at %s: confirm a new one, or start anyway with "
		    "--now", maint_s(o, "order_number"),
		    maint_s(o, "maintenance_end_time"));
		goto out;
	}
	if (maint_s(o, "maint_node") != NULL)
		nname = xstrdup(maint_s(o, "maint_node"));
	else if (maint_find_node(kc, o, &nname, err) == -1)
		goto out;
	if (node_get(kc, nname, &node, err) == -1)
		goto out;
	cordoned = maint_i(o, "maint_cordoned", -1);
	if (so->dry_run) {
		maint_say(so->progress, so->progress_arg, "would cordon node "
		    "%s%s%s", nname, node_is_cordoned(node) ?
		    " (already cordoned)" : "", so->drain ? " and drain it" :
		    "");
		ret = 0;
		if (so->drain) {
			int refused = 0;

			if (node_drain_plan(kc, nname, &so->drain_opts, &pods,
			    &refused, err) == -1)
				ret = -1;
			else if (refused > 0)
				ret = es_err_set(err, ES_ECONFLICT, "Refused",
				    "node %s cannot be drained: %d pod%s "
				    "refused (see node drain --dry-run)",
				    nname, refused, refused == 1 ? "" : "s");
		}
		goto out;
	}
	/*
	 * Record the node, whether esctl is the one cordoning it and the
	 * device status to restore before touching the node, so a killed
	 * run is continued and a cancel undoes only what esctl did.
	 */
	if (cordoned == -1)
		cordoned = node_is_cordoned(node) ? 0 : 1;
	util_time_format(now, at);
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET maint_node "
	    "= ?, maint_cordoned = ?, maint_prev_status = coalesce("
	    "maint_prev_status, ?), updated_at = ? WHERE id = ? AND status = "
	    "'scheduled_for_maintenance'", "sissi", nname, cordoned,
	    maint_s(o, "device_status") ? maint_s(o, "device_status") : "",
	    at, id);
	if (maint_changed(n, o, "scheduled_for_maintenance", err) == -1)
		goto out;
	if (node_cordon(kc, nname, 1, 0, &changed, err) == -1)
		goto out;
	maint_say(so->progress, so->progress_arg, "node %s %s", nname,
	    changed ? "cordoned" : "already cordoned");
	if (so->drain) {
		if (node_drain(kc, nname, &so->drain_opts, &pods, err) == -1) {
			es_err_prefix(err, "order %s stays scheduled, node %s "
			    "cordoned (run start again, or cancel)",
			    maint_s(o, "order_number"), nname);
			goto out;
		}
		maint_say(so->progress, so->progress_arg, "node %s drained",
		    nname);
	}
	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		goto out;
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'maintenance_in_progress', maint_started_at = ?, maint_drained "
	    "= ?, executor = ?, execution_time = ?, updated_at = ? WHERE id "
	    "= ? AND status = 'scheduled_for_maintenance'", "sisssi", at,
	    so->drain ? 1LL : 0LL, actor ? actor : "", at, at, id);
	if (maint_changed(n, o, "scheduled_for_maintenance", err) == -1)
		goto fail;
	if (store_exec(st, err, "UPDATE device SET status = 'maintenance', "
	    "updated_at = ? WHERE id = ?", "si", at,
	    maint_i(o, "device_id", 0)) == -1)
		goto fail;
	if (maint_transition(st, id, now, actor, "started",
	    "scheduled_for_maintenance", "maintenance_in_progress", nname,
	    so->drain ? "node cordoned and drained" : "node cordoned",
	    "started", err) == -1)
		goto fail;
	ret = store_commit(st, err);
	goto out;
fail:
	store_rollback(st);
out:
	if (fd != -1)
		store_unlock(fd);
	cJSON_Delete(o);
	cJSON_Delete(node);
	cJSON_Delete(pods);
	free(nname);
	return ret;
}

int
maint_complete(struct store *st, const char *ref, const char *actor,
    time_t now, long long *child, struct es_err *err)
{
	char at[UTIL_TIME_LEN], num[ORDER_NUMBER_LEN];
	cJSON *o = NULL, *c = NULL;
	int n;

	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		return -1;
	if (maint_load_in(st, ref, "maintenance_in_progress", &o, err) == -1)
		goto fail;
	if (maint_s(o, "maint_done_at") != NULL) {
		if (store_query_row_json(st, err, &c, "SELECT order_number, "
		    "status FROM elastic_scaling_order WHERE parent_order_id = "
		    "? AND action_type = 'maintenance_uncordon'", "i",
		    maint_i(o, "id", 0)) == -1)
			goto fail;
		es_err_set(err, ES_ECONFLICT, "AlreadyExists", "the work of "
		    "order %s was already reported done: its uncordon order is "
		    "%s (%s)", maint_s(o, "order_number"),
		    c ? maint_s(c, "order_number") : "-",
		    c ? maint_s(c, "status") : "-");
		goto fail;
	}
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET "
	    "maint_done_at = ?, updated_at = ? WHERE id = ? AND status = "
	    "'maintenance_in_progress' AND maint_done_at IS NULL", "ssi", at,
	    at, maint_i(o, "id", 0));
	if (maint_changed(n, o, "maintenance_in_progress", err) == -1)
		goto fail;
	if (order_next_number(st, now, num, err) == -1 ||
	    store_exec(st, err, "INSERT INTO elastic_scaling_order "
	    "(order_number, cluster_id, action_type, status, device_count, "
	    "created_by, created_at, updated_at, device_id, parent_order_id, "
	    "reason) VALUES (?, ?, 'maintenance_uncordon', 'pending', 1, ?, "
	    "?, ?, ?, ?, ?)", "sisssiis", num, maint_i(o, "cluster_id", 0),
	    actor ? actor : "", at, at, maint_i(o, "device_id", 0),
	    maint_i(o, "id", 0), "maintenance done: bring the node back") ==
	    -1)
		goto fail;
	*child = store_last_insert_id(st);
	if (order_event_add(st, maint_i(o, "id", 0), now, actor, "work_done",
	    "maintenance_in_progress", "maintenance_in_progress",
	    maint_i(o, "device_id", 0), maint_s(o, "maint_node"), num,
	    err) == -1 || order_event_add(st, *child, now, actor, "created",
	    NULL, "pending", maint_i(o, "device_id", 0),
	    maint_s(o, "maint_node"), maint_s(o, "order_number"), err) == -1)
		goto fail;
	cJSON_Delete(o);
	return store_commit(st, err);
fail:
	cJSON_Delete(o);
	cJSON_Delete(c);
	store_rollback(st);
	return -1;
}

int
maint_uncordon_execute(struct store *st, struct kube_client *kc,
    long long cid, const struct maint_exec_opts *xo, const char *actor,
    time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *c = NULL, *p = NULL, *node = NULL;
	const char *nname;
	long timeout = xo->timeout_ms > 0 ? xo->timeout_ms :
	    MAINT_READY_TIMEOUT_MS;
	long poll = xo->poll_ms > 0 ? xo->poll_ms : 1000, waited = 0;
	long long pid;
	int fd = -1, n, ret = -1, changed = 0, ours, ready;

	if (maint_load_id(st, cid, &c, err) == -1)
		return -1;
	if (strcmp(maint_s(c, "action_type"), "maintenance_uncordon") != 0) {
		es_err_set(err, ES_EUSAGE, "Invalid", "order %s is a %s order, "
		    "not a maintenance_uncordon", maint_s(c, "order_number"),
		    maint_s(c, "action_type"));
		goto out;
	}
	pid = maint_i(c, "parent_order_id", 0);
	if (!xo->dry_run && (fd = maint_lock(st, pid, err)) == -1)
		goto out;
	cJSON_Delete(c);
	c = NULL;
	if (maint_load_id(st, cid, &c, err) == -1 ||
	    maint_load_id(st, pid, &p, err) == -1)
		goto out;
	if (strcmp(maint_s(c, "status"), "pending") != 0 &&
	    strcmp(maint_s(c, "status"), "processing") != 0) {
		maint_wrong(c, "pending", err);
		goto out;
	}
	if (strcmp(maint_s(p, "status"), "maintenance_in_progress") != 0) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "the maintenance "
		    "request %s of order %s is %s, not maintenance_in_progress",
		    maint_s(p, "order_number"), maint_s(c, "order_number"),
		    maint_s(p, "status"));
		goto out;
	}
	nname = maint_s(p, "maint_node");
	ours = maint_i(p, "maint_cordoned", 0) == 1;
	if (xo->dry_run) {
		maint_say(xo->progress, xo->progress_arg, "would %s node %s "
		    "and wait for it to be Ready", ours ? "uncordon" :
		    "leave cordoned (esctl did not cordon it)", nname);
		ret = 0;
		goto out;
	}
	util_time_format(now, at);
	if (strcmp(maint_s(c, "status"), "pending") == 0) {
		if (store_begin(st, err) == -1)
			goto out;
		n = store_exec(st, err, "UPDATE elastic_scaling_order SET "
		    "status = 'processing', executor = ?, execution_time = ?, "
		    "updated_at = ? WHERE id = ? AND status = 'pending'",
		    "sssi", actor ? actor : "", at, at, cid);
		if (n == 0)
			maint_wrong(c, "pending", err);
		if (n <= 0 || order_event_add(st, cid, now, actor, "executing",
		    "pending", "processing", maint_i(c, "device_id", 0), nname,
		    NULL, err) == -1 || store_commit(st, err) == -1) {
			store_rollback(st);
			goto out;
		}
	} else
		maint_say(xo->progress, xo->progress_arg, "order %s was "
		    "interrupted: continuing", maint_s(c, "order_number"));
	if (ours) {
		if (node_cordon(kc, nname, 0, 0, &changed, err) == -1)
			goto out;
		maint_say(xo->progress, xo->progress_arg, "node %s %s", nname,
		    changed ? "uncordoned" : "already schedulable");
	} else
		maint_say(xo->progress, xo->progress_arg, "node %s was "
		    "cordoned before the maintenance: left cordoned", nname);
	for (;;) {
		cJSON_Delete(node);
		node = NULL;
		if (node_get(kc, nname, &node, err) == -1)
			goto out;
		if ((ready = node_is_ready(node)) || waited >= timeout)
			break;
		usleep((useconds_t)poll * 1000);
		waited += poll;
	}
	if (!ready) {
		es_err_set(err, ES_EREMOTE, "Timeout", "node %s is not Ready "
		    "after %lds: order %s stays processing (execute it again "
		    "to keep waiting)", nname, timeout / 1000,
		    maint_s(c, "order_number"));
		goto out;
	}
	maint_say(xo->progress, xo->progress_arg, "node %s is Ready", nname);
	util_time_format(time(NULL) > now ? time(NULL) : now, at);
	if (store_begin(st, err) == -1)
		goto out;
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'completed', completion_time = ?, updated_at = ? WHERE id = ? "
	    "AND status = 'processing'", "ssi", at, at, cid);
	if (maint_changed(n, c, "processing", err) == -1)
		goto fail;
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'completed', completion_time = ?, updated_at = ? WHERE id = ? "
	    "AND status = 'maintenance_in_progress'", "ssi", at, at, pid);
	if (maint_changed(n, p, "maintenance_in_progress", err) == -1)
		goto fail;
	if (store_exec(st, err, "UPDATE device SET status = ?, updated_at = "
	    "? WHERE id = ?", "ssi", ours ? "in_pool" : "cordoned", at,
	    maint_i(p, "device_id", 0)) == -1 ||
	    order_event_add(st, cid, now, actor, "completed", "processing",
	    "completed", maint_i(c, "device_id", 0), nname, ours ?
	    "node uncordoned and Ready" : "node Ready, left cordoned",
	    err) == -1 || order_event_add(st, pid, now, actor, "completed",
	    "maintenance_in_progress", "completed", maint_i(p, "device_id", 0),
	    nname, maint_s(c, "order_number"), err) == -1 ||
	    maint_enqueue(st, p, "uncordoned", "completed", now, err) == -1)
		goto fail;
	ret = store_commit(st, err);
	goto out;
fail:
	store_rollback(st);
out:
	if (fd != -1)
		store_unlock(fd);
	cJSON_Delete(c);
	cJSON_Delete(p);
	cJSON_Delete(node);
	return ret;
}

int
maint_cancel_needs_kube(struct store *st, const char *ref, int *needs,
    struct es_err *err)
{
	cJSON *o;

	if (maint_load(st, ref, "maintenance_request", &o, err) == -1)
		return -1;
	*needs = maint_i(o, "maint_cordoned", 0) == 1 &&
	    strcmp(maint_s(o, "status"), "completed") != 0 &&
	    strcmp(maint_s(o, "status"), "cancelled") != 0;
	cJSON_Delete(o);
	return 0;
}

int
maint_cancel(struct store *st, struct kube_client *kc, const char *ref,
    const char *reason, const char *actor, time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *o = NULL;
	const char *cur, *prev;
	long long id;
	int fd = -1, n, ret = -1, changed = 0;

	if (reason == NULL || *reason == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "a cancellation "
		    "needs a reason (--reason)");
	if (maint_load(st, ref, "maintenance_request", &o, err) == -1)
		return -1;
	id = maint_i(o, "id", 0);
	if ((fd = maint_lock(st, id, err)) == -1)
		goto out;
	cJSON_Delete(o);
	if (maint_load_id(st, id, &o, err) == -1)
		goto out;
	cur = maint_s(o, "status");
	if (strcmp(cur, "pending_confirmation") != 0 &&
	    strcmp(cur, "scheduled_for_maintenance") != 0 &&
	    strcmp(cur, "maintenance_in_progress") != 0) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is %s: "
		    "only a request not yet completed can be cancelled",
		    maint_s(o, "order_number"), cur);
		goto out;
	}
	/* undo what esctl did to the node */
	if (maint_i(o, "maint_cordoned", 0) == 1) {
		if (kc == NULL) {
			es_err_set(err, ES_EFAIL, "Internal", "cancelling "
			    "order %s needs its cluster",
			    maint_s(o, "order_number"));
			goto out;
		}
		if (node_cordon(kc, maint_s(o, "maint_node"), 0, 0, &changed,
		    err) == -1) {
			if (err->code != ES_ENOTFOUND)
				goto out;
			*err = (struct es_err)ES_ERR_INIT;
		}
	}
	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		goto out;
	n = store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'cancelled', cancel_reason = ?, completion_time = ?, updated_at "
	    "= ? WHERE id = ? AND status = ?", "sssis", reason, at, at, id,
	    cur);
	if (maint_changed(n, o, cur, err) == -1)
		goto fail;
	if (store_exec(st, err, "UPDATE elastic_scaling_order SET status = "
	    "'cancelled', cancel_reason = ?, completion_time = ?, updated_at "
	    "= ? WHERE parent_order_id = ? AND action_type = "
	    "'maintenance_uncordon' AND status IN ('pending', 'processing')",
	    "sssi", reason, at, at, id) == -1)
		goto fail;
	prev = maint_s(o, "maint_prev_status");
	if (prev != NULL && *prev != '\0' && store_exec(st, err, "UPDATE "
	    "device SET status = ?, updated_at = ? WHERE id = ? AND status = "
	    "'maintenance'", "ssi", prev, at, maint_i(o, "device_id", 0)) ==
	    -1)
		goto fail;
	if (maint_transition(st, id, now, actor, "cancelled", cur,
	    "cancelled", maint_s(o, "maint_node"), changed ?
	    "node uncordoned" : reason, "cancelled", err) == -1)
		goto fail;
	ret = store_commit(st, err);
	goto out;
fail:
	store_rollback(st);
out:
	if (fd != -1)
		store_unlock(fd);
	cJSON_Delete(o);
	return ret;
}

int
maint_list(struct store *st, const struct maint_filter *f, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT o.id, o.order_number, "
	    "o.status, d.ci_code AS device, c.clustername AS cluster, "
	    "o.maint_node AS node, o.maintenance_start_time AS window_start, "
	    "o.maintenance_end_time AS window_end, o.external_ticket_id AS "
	    "ticket, o.reason, o.created_at, o.updated_at, (SELECT count(*) "
	    "FROM maintenance_outbox m WHERE m.order_id = o.id AND "
	    "m.delivered_at IS NULL) AS callbacks_pending "
	    "FROM elastic_scaling_order o "
	    "LEFT JOIN device d ON d.id = o.device_id "
	    "LEFT JOIN k8s_cluster c ON c.id = o.cluster_id "
	    "WHERE o.action_type = 'maintenance_request' AND (? IS NULL OR "
	    "o.status = ?) AND (? IS NULL OR d.ci_code = ? OR "
	    "CAST(d.id AS TEXT) = ?) ORDER BY o.id DESC", "sssss", f->state,
	    f->state, f->device, f->device, f->device);
}

/* Adds {stage, at} for a non-NULL time column. */
static void
maint_stage(cJSON *stages, const cJSON *o, const char *stage,
    const char *col)
{
	cJSON *s;

	if (maint_s(o, col) == NULL)
		return;
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "stage", stage);
	cJSON_AddStringToObject(s, "at", maint_s(o, col));
	cJSON_AddItemToArray(stages, s);
}

int
maint_show(struct store *st, const char *ref, cJSON **out,
    struct es_err *err)
{
	cJSON *o, *stages, *cbs, *cb, *att, *child = NULL, *ev;
	long long id;

	if (maint_load(st, ref, "maintenance_request", &o, err) == -1)
		return -1;
	id = maint_i(o, "id", 0);
	stages = cJSON_CreateArray();
	maint_stage(stages, o, "requested", "created_at");
	maint_stage(stages, o, "confirmed", "maint_confirmed_at");
	maint_stage(stages, o, "scheduled", "maint_scheduled_at");
	maint_stage(stages, o, "started", "maint_started_at");
	maint_stage(stages, o, "work_done", "maint_done_at");
	if (strcmp(maint_s(o, "status"), "completed") == 0)
		maint_stage(stages, o, "completed", "completion_time");
	if (strcmp(maint_s(o, "status"), "cancelled") == 0)
		maint_stage(stages, o, "cancelled", "completion_time");
	cJSON_AddItemToObject(o, "stages", stages);
	if (store_query_row_json(st, err, &child, "SELECT id, order_number, "
	    "status, created_at, execution_time, completion_time FROM "
	    "elastic_scaling_order WHERE parent_order_id = ? AND action_type "
	    "= 'maintenance_uncordon'", "i", id) == -1)
		goto fail;
	if (child != NULL)
		cJSON_AddItemToObject(o, "uncordon_order", child);
	else
		cJSON_AddNullToObject(o, "uncordon_order");
	if (store_query_json(st, err, &cbs, "SELECT id, event, event_id, "
	    "CASE WHEN delivered_at IS NOT NULL THEN 'delivered' WHEN "
	    "attempts > 0 THEN 'failed' ELSE 'pending' END AS state, "
	    "attempts, last_error, created_at, delivered_at, CASE WHEN "
	    "delivered_at IS NULL AND attempts > 0 THEN next_retry_at END AS "
	    "next_retry_unix FROM maintenance_outbox WHERE order_id = ? "
	    "ORDER BY id", "i", id) == -1)
		goto fail;
	cJSON_ArrayForEach(cb, cbs) {
		if (store_query_json(st, err, &att, "SELECT at, ok, "
		    "http_status, error FROM maintenance_callback_attempt "
		    "WHERE outbox_id = ? ORDER BY id", "i",
		    maint_i(cb, "id", 0)) == -1) {
			cJSON_Delete(cbs);
			goto fail;
		}
		cJSON_AddItemToObject(cb, "attempt_log", att);
		cJSON_DeleteItemFromObject(cb, "id");
	}
	cJSON_AddItemToObject(o, "callbacks", cbs);
	if (order_events(st, id, &ev, err) == -1)
		goto fail;
	cJSON_AddItemToObject(o, "events", ev);
	*out = o;
	return 0;
fail:
	cJSON_Delete(o);
	return -1;
}

char *
maint_signature(const char *secret, const char *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	struct es_buf b = ES_BUF_INIT;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, strlen(body), md, &len) == NULL)
		return NULL;
	es_buf_adds(&b, "sha256=");
	for (i = 0; i < len; i++)
		es_buf_addf(&b, "%02x", md[i]);
	return es_buf_detach(&b, NULL);
}

/*
 * Sends one queued event: the stored payload with "sent_at" added, so the
 * signed body carries its own time (receivers reject stale ones).
 */
static int
maint_send(const struct maint_callback *cb, const char *payload,
    const char *eid, const char *event, time_t now, long *status,
    char *why, size_t whylen)
{
	char at[UTIL_TIME_LEN], *body, *sig = NULL;
	char *h[6];
	struct webhook_req r;
	cJSON *p;
	int rc, nh = 0, i;

	p = cJSON_Parse(payload);
	if (p == NULL) {
		snprintf(why, whylen, "stored payload is not JSON");
		return -1;
	}
	util_time_format(now, at);
	cJSON_AddStringToObject(p, "sent_at", at);
	body = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	h[nh++] = xasprintf("X-Esctl-Event: %s", event);
	h[nh++] = xasprintf("X-Esctl-Event-Id: %s", eid);
	h[nh++] = xasprintf("X-Esctl-Timestamp: %lld", (long long)now);
	if (cb->secret != NULL && *cb->secret != '\0') {
		sig = maint_signature(cb->secret, body);
		h[nh++] = xasprintf("X-Esctl-Signature: %s", sig ? sig : "");
	}
	h[nh] = NULL;
	memset(&r, 0, sizeof r);
	r.url = cb->url;
	r.body = body;
	r.headers = (const char *const *)h;
	r.timeout_ms = cb->timeout_ms;
	rc = webhook_post(&r, status, why, whylen);
	for (i = 0; i < nh; i++)
		free(h[i]);
	free(sig);
	free(body);
	return rc;
}

int
maint_flush(struct store *st, const struct maint_callback *cb, int force,
    time_t now, struct maint_flush_result *res, struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;
	char at[UTIL_TIME_LEN], why[256];
	cJSON *row = NULL;
	long long last = 0, oid, attempts, next, backoff, pending;
	long status;
	int fd, rc, ret = 0;

	memset(res, 0, sizeof *res);
	if (cb->url == NULL || *cb->url == '\0')
		goto count;
	fd = store_lock(st, "maintenance-outbox", force ? 30000 : 0,
	    force ? err : &e2);
	if (fd == -1) {
		if (force)
			return -1;
		goto count;
	}
	for (;;) {
		if (store_query_row_json(st, err, &row, "SELECT id, event_id, "
		    "event, payload, attempts, next_retry_at FROM "
		    "maintenance_outbox WHERE delivered_at IS NULL AND id > ? "
		    "ORDER BY id LIMIT 1", "i", last) == -1) {
			ret = -1;
			break;
		}
		if (row == NULL)
			break;
		oid = maint_i(row, "id", 0);
		attempts = maint_i(row, "attempts", 0);
		next = maint_i(row, "next_retry_at", 0);
		last = oid;
		if (!force && next > (long long)now)
			break;
		rc = maint_send(cb, maint_s(row, "payload"),
		    maint_s(row, "event_id"), maint_s(row, "event"), now,
		    &status, why, sizeof why);
		util_time_format(now, at);
		if (store_begin(st, err) == -1) {
			ret = -1;
			break;
		}
		if (rc == 0) {
			res->delivered++;
			rc = store_exec(st, err, "UPDATE maintenance_outbox "
			    "SET delivered_at = ?, attempts = attempts + 1, "
			    "last_error = NULL WHERE id = ?", "si", at, oid);
		} else {
			res->failed++;
			snprintf(res->last_error, sizeof res->last_error,
			    "event %.40s: %.200s", maint_s(row, "event_id"),
			    why);
			backoff = MAINT_BACKOFF_FIRST;
			while (backoff < MAINT_BACKOFF_MAX && attempts-- > 0)
				backoff *= 2;
			if (backoff > MAINT_BACKOFF_MAX)
				backoff = MAINT_BACKOFF_MAX;
			rc = store_exec(st, err, "UPDATE maintenance_outbox "
			    "SET attempts = attempts + 1, last_error = ?, "
			    "next_retry_at = ? WHERE id = ?", "sii", why,
			    (long long)now + backoff, oid);
		}
		if (rc != -1)
			rc = store_exec(st, err, "INSERT INTO "
			    "maintenance_callback_attempt (outbox_id, at, ok, "
			    "http_status, error) VALUES (?, ?, ?, ?, ?)",
			    "isiis", oid, at, res->failed ? 0LL : 1LL,
			    (long long)status, res->failed ? why : NULL);
		if (rc == -1 || store_commit(st, err) == -1) {
			store_rollback(st);
			ret = -1;
			break;
		}
		cJSON_Delete(row);
		row = NULL;
		if (res->failed > 0)
			break;
	}
	cJSON_Delete(row);
	store_unlock(fd);
count:
	if (store_query_int(st, ret == -1 ? &e2 : err, &pending, 0,
	    "SELECT count(*) FROM maintenance_outbox WHERE delivered_at IS "
	    "NULL", "") == -1)
		return -1;
	res->pending = (int)pending;
	return ret;
}
