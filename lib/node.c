/*
 * node.c - cordon, uncordon, labels, drain and delete of Nodes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "node.h"
#include "util.h"
#include "xmalloc.h"

static void	node_say(const struct node_drain_opts *, const char *, ...)
		    ES_PRINTF(2, 3);
static const cJSON *node_controller(const cJSON *pod);
static const char *node_emptydir(const cJSON *pod);
static void	node_decide(const cJSON *pod, const struct node_drain_opts *,
		    const char **action, char *why, size_t len);
static int	node_pods(struct kube_client *, const char *name,
		    cJSON **out, struct es_err *);
static int	node_evict(struct kube_client *, const char *ns,
		    const char *pod, const struct node_drain_opts *,
		    char *msg, size_t len, struct es_err *);
static void	node_set_result(cJSON *pod, const char *result);

static void
node_say(const struct node_drain_opts *o, const char *fmt, ...)
{
	struct es_buf b = ES_BUF_INIT;
	va_list ap;

	if (o == NULL || o->progress == NULL)
		return;
	va_start(ap, fmt);
	es_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	o->progress(o->progress_arg, b.data);
	es_buf_release(&b);
}

/* ---- selectors and small helpers ------------------------------------ */

int
node_selector_canon(const char *s, char **json, struct es_err *err)
{
	cJSON *obj, *it;
	const char *p, *e, *eq;
	char *k, *v;

	*json = NULL;
	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
	if (*s == '{') {
		obj = cJSON_Parse(s);
		if (obj == NULL || !cJSON_IsObject(obj))
			goto bad_json;
		cJSON_ArrayForEach(it, obj)
			if (!cJSON_IsString(it) || *it->string == '\0')
				goto bad_json;
	} else {
		obj = cJSON_CreateObject();
		for (p = s; *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ",");
			eq = memchr(p, '=', (size_t)(e - p));
			if (eq == NULL || eq == p || memchr(p, ' ',
			    (size_t)(e - p)) != NULL) {
				es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
				    "selector '%s': use key=value[,key=value]"
				    " or a JSON object", s);
				cJSON_Delete(obj);
				return -1;
			}
			k = xasprintf("%.*s", (int)(eq - p), p);
			v = xasprintf("%.*s", (int)(e - eq - 1), eq + 1);
			cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
			cJSON_AddStringToObject(obj, k, v);
			free(k);
			free(v);
		}
	}
	if (cJSON_GetArraySize(obj) == 0) {
		cJSON_Delete(obj);
		return 0;
	}
	v = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (v == NULL)
		fatal("out of memory");
	*json = xstrdup(v);
	cJSON_free(v);
	return 0;
bad_json:
	cJSON_Delete(obj);
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid selector '%s': "
	    "a JSON object of string values such as {\"pool\": \"general\"}",
	    s);
}

int
node_selector_match(const cJSON *sel, const cJSON *node)
{
	const cJSON *labels, *it, *l;

	if (sel == NULL)
		return 1;
	labels = kube_item(node, "metadata.labels");
	cJSON_ArrayForEach(it, sel) {
		l = cJSON_GetObjectItemCaseSensitive(labels, it->string);
		if (!cJSON_IsString(l) || !cJSON_IsString(it) ||
		    strcmp(l->valuestring, it->valuestring) != 0)
			return 0;
	}
	return 1;
}

int
node_is_ready(const cJSON *node)
{
	const char *s = kube_condition(node, "Ready");

	return s != NULL && strcmp(s, "True") == 0;
}

int
node_is_cordoned(const cJSON *node)
{
	return cJSON_IsTrue(kube_item(node, "spec.unschedulable"));
}

const char *
node_address(const cJSON *node, const char *type)
{
	const cJSON *a;
	const char *t;

	cJSON_ArrayForEach(a, kube_item(node, "status.addresses")) {
		t = kube_str(a, "type");
		if (t != NULL && strcmp(t, type) == 0)
			return kube_str(a, "address");
	}
	return NULL;
}

int
node_get(struct kube_client *kc, const char *name, cJSON **out,
    struct es_err *err)
{
	struct kube_ref r;

	if (kube_ref_init(&r, "nodes", NULL, name, err) == -1)
		return -1;
	return kube_get(kc, &r, out, err);
}

/* ---- cordon and labels ---------------------------------------------- */

int
node_cordon(struct kube_client *kc, const char *name, int cordon,
    int dry_run, int *changed, struct es_err *err)
{
	struct kube_ref r;
	cJSON *node, *patch, *spec;
	int rc;

	if (changed != NULL)
		*changed = 0;
	if (node_get(kc, name, &node, err) == -1)
		return -1;
	rc = node_is_cordoned(node) == (cordon != 0);
	cJSON_Delete(node);
	if (rc || dry_run) {
		if (changed != NULL)
			*changed = !rc;
		return 0;
	}
	if (kube_ref_init(&r, "nodes", NULL, name, err) == -1)
		return -1;
	patch = cJSON_CreateObject();
	spec = cJSON_AddObjectToObject(patch, "spec");
	/* uncordon sends false, as kubectl does, not a null */
	cJSON_AddBoolToObject(spec, "unschedulable", cordon != 0);
	rc = kube_patch(kc, &r, KUBE_PATCH_STRATEGIC, patch, NULL, err);
	cJSON_Delete(patch);
	if (rc == -1)
		return -1;
	if (changed != NULL)
		*changed = 1;
	return 0;
}

int
node_label(struct kube_client *kc, const char *name, const char *key,
    const char *value, int dry_run, struct es_err *err)
{
	struct kube_ref r;
	cJSON *patch, *labels, *node;
	int rc;

	if (dry_run) {
		if (node_get(kc, name, &node, err) == -1)
			return -1;
		cJSON_Delete(node);
		return 0;
	}
	if (kube_ref_init(&r, "nodes", NULL, name, err) == -1)
		return -1;
	patch = cJSON_CreateObject();
	labels = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch,
	    "metadata"), "labels");
	if (value != NULL)
		cJSON_AddStringToObject(labels, key, value);
	else
		cJSON_AddNullToObject(labels, key);
	rc = kube_patch(kc, &r, KUBE_PATCH_MERGE, patch, NULL, err);
	cJSON_Delete(patch);
	return rc;
}

/* ---- drain ---------------------------------------------------------- */

/* The ownerReference with controller: true, or NULL.  Borrowed. */
static const cJSON *
node_controller(const cJSON *pod)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, kube_item(pod, "metadata.ownerReferences"))
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "controller")))
			return o;
	return NULL;
}

/* The name of the pod's first emptyDir volume, or NULL.  Borrowed. */
static const char *
node_emptydir(const cJSON *pod)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, kube_item(pod, "spec.volumes"))
		if (cJSON_GetObjectItemCaseSensitive(v, "emptyDir") != NULL)
			return kube_str(v, "name");
	return NULL;
}

/* The drain rules of node.h, in their order. */
static void
node_decide(const cJSON *pod, const struct node_drain_opts *o,
    const char **action, char *why, size_t len)
{
	const cJSON *ctl, *ann;
	const char *phase, *safe, *kind, *vol;

	ctl = node_controller(pod);
	kind = ctl ? kube_str(ctl, "kind") : NULL;
	ann = kube_item(pod, "metadata.annotations");
	phase = kube_str(pod, "status.phase");
	/* the keys have dots: not a kube_str path */
	safe = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann,
	    "cluster-autoscaler.kubernetes.io/safe-to-evict"));
	*why = '\0';
	if (kube_item(pod, "metadata.deletionTimestamp") != NULL) {
		*action = "wait";
		snprintf(why, len, "already terminating");
	} else if (cJSON_GetObjectItemCaseSensitive(ann,
	    "kubernetes.io/config.mirror") != NULL) {
		*action = "skip";
		snprintf(why, len, "mirror pod (static, owned by the kubelet)");
	} else if (kind != NULL && strcmp(kind, "DaemonSet") == 0) {
		*action = "skip";
		snprintf(why, len, "managed by DaemonSet %s",
		    kube_str(ctl, "name") ? kube_str(ctl, "name") : "?");
	} else if (phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	    strcmp(phase, "Failed") == 0)) {
		*action = "evict";
		snprintf(why, len, "finished (%s)", phase);
	} else if (safe != NULL && strcmp(safe, "false") == 0) {
		*action = "refuse";
		snprintf(why, len, "annotated cluster-autoscaler.kubernetes.io/"
		    "safe-to-evict: \"false\"");
	} else if (ctl == NULL && !o->force) {
		*action = "refuse";
		snprintf(why, len, "not managed by a controller, it would not "
		    "come back (--force evicts it)");
	} else if ((vol = node_emptydir(pod)) != NULL &&
	    !o->delete_emptydir) {
		*action = "refuse";
		snprintf(why, len, "emptyDir volume '%s' would lose its data "
		    "(--delete-emptydir-data evicts it)", vol);
	} else {
		*action = "evict";
		if (ctl == NULL)
			snprintf(why, len, "not managed by a controller "
			    "(--force)");
	}
}

/* Every pod on the node, all namespaces.  *out: a new JSON array. */
static int
node_pods(struct kube_client *kc, const char *name, cJSON **out,
    struct es_err *err)
{
	struct kube_list_opts lo;
	struct kube_ref r;
	struct es_buf fs = ES_BUF_INIT;
	cJSON *list, *items;
	int rc;

	*out = NULL;
	if (kube_ref_init(&r, "pods", NULL, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	es_buf_addf(&fs, "spec.nodeName=%s", name);
	lo.field_selector = fs.data;
	rc = kube_list(kc, &r, &lo, &list, err);
	es_buf_release(&fs);
	if (rc == -1)
		return es_err_prefix(err, "cannot list the pods of node '%s'",
		    name);
	items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
	cJSON_Delete(list);
	*out = items ? items : cJSON_CreateArray();
	return 0;
}

int
node_drain_plan(struct kube_client *kc, const char *name,
    const struct node_drain_opts *o, cJSON **out, int *refused,
    struct es_err *err)
{
	cJSON *pods, *plan, *e, *node;
	const cJSON *p, *ctl;
	const char *action;
	char why[256];

	*out = NULL;
	*refused = 0;
	if (node_get(kc, name, &node, err) == -1)
		return -1;
	cJSON_Delete(node);
	if (node_pods(kc, name, &pods, err) == -1)
		return -1;
	plan = cJSON_CreateArray();
	cJSON_ArrayForEach(p, pods) {
		node_decide(p, o, &action, why, sizeof why);
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "namespace",
		    kube_str(p, "metadata.namespace"));
		cJSON_AddStringToObject(e, "name", kube_str(p,
		    "metadata.name"));
		cJSON_AddStringToObject(e, "uid", kube_str(p, "metadata.uid"));
		ctl = node_controller(p);
		if (ctl != NULL) {
			char owner[300];

			snprintf(owner, sizeof owner, "%s/%s",
			    kube_str(ctl, "kind") ? kube_str(ctl, "kind") : "",
			    kube_str(ctl, "name") ? kube_str(ctl, "name") : "");
			cJSON_AddStringToObject(e, "owner", owner);
		} else
			cJSON_AddNullToObject(e, "owner");
		cJSON_AddStringToObject(e, "action", action);
		cJSON_AddStringToObject(e, "why", why);
		if (strcmp(action, "refuse") == 0)
			(*refused)++;
		cJSON_AddItemToArray(plan, e);
	}
	cJSON_Delete(pods);
	*out = plan;
	return 0;
}

/*
 * POSTs one Eviction.  Returns 0 when accepted (or the pod is gone: msg
 * "gone"), 1 when a PodDisruptionBudget refused it (msg: the Status
 * message and its cause, which names the budget), -1 on other errors.
 */
static int
node_evict(struct kube_client *kc, const char *ns, const char *pod,
    const struct node_drain_opts *o, char *msg, size_t len,
    struct es_err *err)
{
	struct kube_request req;
	struct kube_response resp = KUBE_RESPONSE_INIT;
	struct kube_ref r;
	cJSON *ev, *md, *j = NULL;
	const cJSON *c;
	char *path, *body;
	const char *m, *cm;
	int rc = -1;

	*msg = '\0';
	if (kube_ref_init(&r, "pods", ns, pod, err) == -1)
		return -1;
	r.subresource = "eviction";
	path = kube_path(&r);
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "apiVersion", "policy/v1");
	cJSON_AddStringToObject(ev, "kind", "Eviction");
	md = cJSON_AddObjectToObject(ev, "metadata");
	cJSON_AddStringToObject(md, "name", pod);
	cJSON_AddStringToObject(md, "namespace", ns);
	if (o->grace_set)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(ev,
		    "deleteOptions"), "gracePeriodSeconds",
		    (double)o->grace_seconds);
	body = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.path = path;
	req.body = body;
	req.body_len = strlen(body);
	if (kube_do(kc, &req, &resp, err) == -1)
		goto out;
	if (resp.status >= 200 && resp.status < 300) {
		rc = 0;
	} else if (resp.status == 404) {
		snprintf(msg, len, "gone");
		rc = 0;
	} else if (resp.status == 429) {
		j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		m = kube_str(j, "message");
		cm = NULL;
		cJSON_ArrayForEach(c, kube_item(j, "details.causes"))
			if ((cm = kube_str(c, "message")) != NULL)
				break;
		snprintf(msg, len, "%s%s%s%s",
		    m ? m : "too many requests", cm ? " (" : "",
		    cm ? cm : "", cm ? ")" : "");
		rc = 1;
	} else {
		char what[600];

		snprintf(what, sizeof what, "evict pod %s/%s", ns, pod);
		kube_status_err(resp.status, resp.body.data, resp.body.len,
		    what, kube_server(kc), err);
	}
out:
	cJSON_Delete(j);
	kube_response_release(&resp);
	cJSON_free(body);
	free(path);
	return rc;
}

static void
node_set_result(cJSON *pod, const char *result)
{
	cJSON_DeleteItemFromObjectCaseSensitive(pod, "result");
	cJSON_AddStringToObject(pod, "result", result);
}

int
node_drain(struct kube_client *kc, const char *name,
    const struct node_drain_opts *o, cJSON **out, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	struct kube_ref r;
	cJSON *plan, *p, *cur;
	const char *action, *ns, *pn, *uid, *u;
	char msg[1024], last[1200];
	long deadline, timeout, backoff, bmax, poll;
	int refused, left, rc = -1, n;

	if (out != NULL)
		*out = NULL;
	timeout = o->timeout_ms > 0 ? o->timeout_ms : 300000;
	backoff = o->retry_ms > 0 ? o->retry_ms : 1000;
	bmax = o->retry_max_ms > 0 ? o->retry_max_ms : 5000;
	poll = o->poll_ms > 0 ? o->poll_ms : 500;
	deadline = util_mono_ms() + timeout;
	if (node_drain_plan(kc, name, o, &plan, &refused, err) == -1)
		return -1;
	if (refused > 0) {
		es_buf_addf(&b, "cannot drain node '%s': ", name);
		n = 0;
		cJSON_ArrayForEach(p, plan) {
			if (strcmp(kube_str(p, "action"), "refuse") != 0)
				continue;
			es_buf_addf(&b, "%spod %s/%s: %s", n++ ? "; " : "",
			    kube_str(p, "namespace"), kube_str(p, "name"),
			    kube_str(p, "why"));
		}
		es_err_set(err, ES_ECONFLICT, "DrainRefused", "%s", b.data);
		goto out;
	}
	if (o->dry_run) {
		rc = 0;
		goto out;
	}
	if (node_cordon(kc, name, 1, 0, &n, err) == -1)
		goto out;
	if (n)
		node_say(o, "node/%s cordoned", name);
	cJSON_ArrayForEach(p, plan) {
		action = kube_str(p, "action");
		if (strcmp(action, "skip") == 0) {
			node_say(o, "ignoring pod %s/%s: %s",
			    kube_str(p, "namespace"), kube_str(p, "name"),
			    kube_str(p, "why"));
			node_set_result(p, "skipped");
		} else if (strcmp(action, "wait") == 0)
			node_set_result(p, "evicted");
		else
			node_set_result(p, "pending");
	}
	/* evict, retrying what a disruption budget refuses */
	for (;;) {
		left = 0;
		last[0] = '\0';
		cJSON_ArrayForEach(p, plan) {
			if (strcmp(kube_str(p, "result"), "pending") != 0 &&
			    strcmp(kube_str(p, "result"), "blocked") != 0)
				continue;
			ns = kube_str(p, "namespace");
			pn = kube_str(p, "name");
			if (strcmp(kube_str(p, "result"), "pending") == 0)
				node_say(o, "evicting pod %s/%s", ns, pn);
			n = node_evict(kc, ns, pn, o, msg, sizeof msg, err);
			if (n == -1)
				goto out;
			if (n == 0) {
				node_set_result(p, strcmp(msg, "gone") == 0 ?
				    "gone" : "evicted");
				continue;
			}
			node_set_result(p, "blocked");
			cJSON_DeleteItemFromObjectCaseSensitive(p, "error");
			cJSON_AddStringToObject(p, "error", msg);
			if (last[0] == '\0')
				snprintf(last, sizeof last, "pod %s/%s: %s",
				    ns, pn, msg);
			left++;
		}
		if (left == 0)
			break;
		if (util_mono_ms() + backoff > deadline) {
			es_err_set(err, ES_ECONFLICT, "DisruptionBudget",
			    "cannot drain node '%s' within %lds: %s%s", name,
			    timeout / 1000, last, left > 1 ?
			    " (and more pods)" : "");
			goto out;
		}
		node_say(o, "%s (retrying in %lds)", last,
		    (backoff + 999) / 1000);
		util_sleep_ms(backoff);
		backoff = backoff * 2 > bmax ? bmax : backoff * 2;
	}
	/* wait until each evicted pod is gone or replaced */
	for (;;) {
		left = 0;
		last[0] = '\0';
		cJSON_ArrayForEach(p, plan) {
			if (strcmp(kube_str(p, "result"), "evicted") != 0)
				continue;
			ns = kube_str(p, "namespace");
			pn = kube_str(p, "name");
			uid = kube_str(p, "uid");
			if (kube_ref_init(&r, "pods", ns, pn, err) == -1)
				goto out;
			if (kube_get(kc, &r, &cur, err) == -1) {
				if (err->code != ES_ENOTFOUND)
					goto out;
				cur = NULL;
			}
			u = kube_str(cur, "metadata.uid");
			if (cur == NULL || (uid && u && strcmp(u, uid) != 0)) {
				node_set_result(p, "gone");
				node_say(o, "pod %s/%s evicted", ns, pn);
			} else {
				left++;
				if (last[0] == '\0')
					snprintf(last, sizeof last, "%s/%s",
					    ns, pn);
			}
			cJSON_Delete(cur);
		}
		if (left == 0)
			break;
		if (util_mono_ms() + poll > deadline) {
			es_err_set(err, ES_EREMOTE, "Timeout", "cannot drain "
			    "node '%s' within %lds: %d evicted pod%s still "
			    "terminating (%s)", name, timeout / 1000, left,
			    left == 1 ? "" : "s", last);
			goto out;
		}
		util_sleep_ms(poll);
		poll = poll * 2 > 2000 ? 2000 : poll * 2;
	}
	node_say(o, "node/%s drained", name);
	rc = 0;
out:
	es_buf_release(&b);
	if (out != NULL)
		*out = plan;
	else
		cJSON_Delete(plan);
	return rc;
}

int
node_delete(struct kube_client *kc, const char *name, int force,
    int dry_run, int *gone, struct es_err *err)
{
	struct kube_delete_opts dopts;
	struct node_drain_opts o = NODE_DRAIN_OPTS_INIT;
	struct es_buf b = ES_BUF_INIT;
	struct kube_ref r;
	cJSON *node, *plan;
	const cJSON *p;
	const char *action;
	int refused, n = 0, cordoned;

	if (gone != NULL)
		*gone = 0;
	if (node_get(kc, name, &node, err) == -1) {
		if (err->code == ES_ENOTFOUND && gone != NULL && !dry_run) {
			*gone = 1;
			return 0;
		}
		return -1;
	}
	cordoned = node_is_cordoned(node);
	cJSON_Delete(node);
	if (!force) {
		if (!cordoned)
			return es_err_set(err, ES_ECONFLICT, "NotDrained",
			    "refusing to delete node '%s': it is not cordoned "
			    "(drain it first, or --force)", name);
		o.force = 1;
		o.delete_emptydir = 1;
		if (node_drain_plan(kc, name, &o, &plan, &refused, err) == -1)
			return -1;
		cJSON_ArrayForEach(p, plan) {
			action = kube_str(p, "action");
			if (strcmp(action, "skip") == 0)
				continue;
			if (strcmp(action, "evict") == 0 && strncmp(kube_str(p,
			    "why"), "finished", 8) == 0)
				continue;
			es_buf_addf(&b, "%s%s/%s", n++ ? ", " : "",
			    kube_str(p, "namespace"), kube_str(p, "name"));
		}
		cJSON_Delete(plan);
		if (n > 0) {
			es_err_set(err, ES_ECONFLICT, "NotDrained", "refusing "
			    "to delete node '%s': it is not drained, %d pod%s "
			    "left (%s); drain it first, or --force", name, n,
			    n == 1 ? "" : "s", b.data);
			es_buf_release(&b);
			return -1;
		}
	}
	if (dry_run)
		return 0;
	if (kube_ref_init(&r, "nodes", NULL, name, err) == -1)
		return -1;
	memset(&dopts, 0, sizeof dopts);
	dopts.ignore_not_found = 1;
	if (kube_delete(kc, &r, &dopts, NULL, err) == -1)
		return -1;
	return 0;
}
