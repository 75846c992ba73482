/*
 * nodesel.c - SelectNodesForRemoval: candidates, scores and exclusions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "node.h"
#include "nodesel.h"
#include "quantity.h"
#include "util.h"

struct nodesel_pods {
	double	 cpu, mem;	/* requests: cores, bytes */
	int	 pods;
	int	 weight;
	char	 refused[512];	/* the first pod a drain would refuse */
};

static double	nodesel_qty(const char *);
static int	nodesel_pods(struct kube_client *, const char *,
		    const struct nodesel_opts *, struct nodesel_pods *,
		    struct es_err *);
static const char *nodesel_taint(const cJSON *, const char **);
static void	nodesel_exclude(cJSON *, const char *, long long,
		    const char *, const char *);
static int	nodesel_cmp(const void *, const void *);

static double
nodesel_qty(const char *s)
{
	int64_t m;

	if (s == NULL || quantity_parse(s, "q", 0, &m, NULL) == -1)
		return 0;
	return quantity_to_double(m);
}

/* Requests and pod weight of the pods on node, and drain refusals. */
static int
nodesel_pods(struct kube_client *kc, const char *node,
    const struct nodesel_opts *so, struct nodesel_pods *np,
    struct es_err *err)
{
	struct node_drain_opts o = NODE_DRAIN_OPTS_INIT;
	cJSON *plan;
	const cJSON *p, *c;
	struct kube_ref r;
	struct kube_list_opts lo;
	struct es_buf fs = ES_BUF_INIT;
	cJSON *list;
	const char *phase;
	double prio;
	int refused, rc;

	memset(np, 0, sizeof *np);
	o.delete_emptydir = so->delete_emptydir;
	if (node_drain_plan(kc, node, &o, &plan, &refused, err) == -1)
		return -1;
	cJSON_ArrayForEach(p, plan) {
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(p,
		    "action"));

		if (strcmp(a, "refuse") == 0 && np->refused[0] == '\0')
			snprintf(np->refused, sizeof np->refused,
			    "pod %s/%s: %s",
			    cJSON_GetStringValue(cJSON_GetObjectItem(p,
			    "namespace")), cJSON_GetStringValue(
			    cJSON_GetObjectItem(p, "name")),
			    cJSON_GetStringValue(cJSON_GetObjectItem(p,
			    "why")));
	}
	cJSON_Delete(plan);
	/* the requests need the pod specs: one more list of the node */
	if (kube_ref_init(&r, "pods", NULL, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	es_buf_addf(&fs, "spec.nodeName=%s", node);
	lo.field_selector = fs.data;
	rc = kube_list(kc, &r, &lo, &list, err);
	es_buf_release(&fs);
	if (rc == -1)
		return -1;
	cJSON_ArrayForEach(p, kube_item(list, "items")) {
		const cJSON *ctl = NULL, *o2;
		const char *kind = NULL;

		phase = kube_str(p, "status.phase");
		if (phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
		    strcmp(phase, "Failed") == 0))
			continue;
		cJSON_ArrayForEach(c, kube_item(p, "spec.containers")) {
			np->cpu += nodesel_qty(kube_str(c,
			    "resources.requests.cpu"));
			np->mem += nodesel_qty(kube_str(c,
			    "resources.requests.memory"));
		}
		cJSON_ArrayForEach(o2, kube_item(p, "metadata.ownerReferences"))
			if (cJSON_IsTrue(cJSON_GetObjectItem(o2, "controller")))
				ctl = o2;
		kind = ctl ? kube_str(ctl, "kind") : NULL;
		if ((kind != NULL && strcmp(kind, "DaemonSet") == 0) ||
		    cJSON_GetObjectItemCaseSensitive(kube_item(p,
		    "metadata.annotations"), "kubernetes.io/config.mirror") !=
		    NULL)
			continue;
		np->pods++;
		prio = kube_num(p, "spec.priority", 0);
		np->weight += prio >= 1e9 ? 5 : prio > 0 ? 2 : 1;
	}
	cJSON_Delete(list);
	return 0;
}

/*
 * The first protective taint (NoSchedule/NoExecute, not the cordon's,
 * not allowed), as "key:effect" in a static buffer-free form: returns
 * the taint's key and sets *effect, or NULL.
 */
static const char *
nodesel_taint(const cJSON *node, const char **allow)
{
	const cJSON *t;
	const char *k, *e;
	int i, ok;

	cJSON_ArrayForEach(t, kube_item(node, "spec.taints")) {
		k = kube_str(t, "key");
		e = kube_str(t, "effect");
		if (k == NULL || e == NULL ||
		    strcmp(e, "PreferNoSchedule") == 0)
			continue;
		if (strcmp(k, NODE_TAINT_UNSCHEDULABLE) == 0)
			continue;
		ok = 0;
		for (i = 0; allow != NULL && allow[i] != NULL; i++)
			if (strcmp(allow[i], k) == 0)
				ok = 1;
		if (!ok)
			return k;
	}
	return NULL;
}

static void
nodesel_exclude(cJSON *arr, const char *node, long long dev,
    const char *ci, const char *reason)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "node", node);
	if (dev > 0) {
		cJSON_AddNumberToObject(e, "device_id", (double)dev);
		cJSON_AddStringToObject(e, "ci_code", ci ? ci : "");
	} else {
		cJSON_AddNullToObject(e, "device_id");
		cJSON_AddNullToObject(e, "ci_code");
	}
	cJSON_AddStringToObject(e, "reason", reason);
	cJSON_AddItemToArray(arr, e);
}

static int
nodesel_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;
	double sx = kube_num(x, "score", 0), sy = kube_num(y, "score", 0);

	if (sx < sy - 1e-9)
		return -1;
	if (sx > sy + 1e-9)
		return 1;
	return strcmp(kube_str(x, "node"), kube_str(y, "node"));
}

/* A number rounded to 4 decimals, or null. */
static void
nodesel_num(cJSON *o, const char *k, int has, double v)
{
	if (has && isfinite(v))
		cJSON_AddNumberToObject(o, k, round(v * 10000) / 10000);
	else
		cJSON_AddNullToObject(o, k);
}

int
nodesel_rank(struct store *st, struct kube_client *kc, long long cluster_id,
    const struct nodesel_opts *so, cJSON **out, struct es_err *err)
{
	struct kube_ref r;
	struct nodesel_pods np;
	cJSON *nodes = NULL, *metrics = NULL, *sel = NULL, *res, *cand, *exc;
	cJSON *drow = NULL, *c, *f, **v = NULL;
	const cJSON *n, *m, *lab;
	const char *name, *taint, *dstatus, *ci, *entry;
	double alloc_cpu, alloc_mem, ucpu, umem, reqs, uses, days, score;
	double free_cpu = 0, free_mem = 0;
	long long dev;
	int has_metrics = 0, has_use, total = 0, ready = 0, sched = 0, rdy;
	int rc = -1, k, nv;
	char why[700];
	time_t t;

	*out = NULL;
	if (so->selector != NULL && (sel = cJSON_Parse(so->selector)) == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "selector '%s'", so->selector);
	if (kube_ref_init(&r, "nodes", NULL, NULL, err) == -1 ||
	    kube_list(kc, &r, NULL, &nodes, err) == -1)
		goto out;
	if ((k = kube_served(kc, "metrics.k8s.io", "v1beta1", "nodes",
	    err)) == -1)
		goto out;
	if (k == 1) {
		if (kube_ref_init(&r, "nodemetrics", NULL, NULL, err) == -1 ||
		    kube_list(kc, &r, NULL, &metrics, err) == -1)
			goto out;
		has_metrics = 1;
	}
	res = cJSON_CreateObject();
	*out = res;
	cand = cJSON_AddArrayToObject(res, "candidates");
	exc = cJSON_AddArrayToObject(res, "excluded");
	cJSON_ArrayForEach(n, kube_item(nodes, "items")) {
		name = kube_str(n, "metadata.name");
		total++;
		rdy = node_is_ready(n);
		ready += rdy;
		if (device_for_node(st, cluster_id, n, &dev, err) == -1)
			goto out;
		cJSON_Delete(drow);
		drow = NULL;
		if (dev > 0 && store_query_row_json(st, err, &drow, "SELECT "
		    "ci_code, status, is_special, pool_entry_time FROM device "
		    "WHERE id = ?", "i", dev) == -1)
			goto out;
		ci = kube_str(drow, "ci_code");
		dstatus = kube_str(drow, "status");
		entry = kube_str(drow, "pool_entry_time");
		lab = kube_item(n, "metadata.labels");
		if (rdy && !node_is_cordoned(n)) {
			sched++;
			if (nodesel_pods(kc, name, so, &np, err) == -1)
				goto out;
			alloc_cpu = nodesel_qty(kube_str(n,
			    "status.allocatable.cpu"));
			alloc_mem = nodesel_qty(kube_str(n,
			    "status.allocatable.memory"));
			free_cpu += alloc_cpu - np.cpu;
			free_mem += alloc_mem - np.mem;
		} else
			memset(&np, 0, sizeof np);
		why[0] = '\0';
		if (dev == 0)
			snprintf(why, sizeof why, "no device stands for this "
			    "node (esctl device import, esctl device sync)");
		else if (strcmp(dstatus, "in_pool") != 0)
			snprintf(why, sizeof why, "device %s is %s, not "
			    "in_pool", ci, *dstatus ? dstatus : "unset");
		else if (kube_num(drow, "is_special", 0) != 0 &&
		    !so->allow_special)
			snprintf(why, sizeof why, "special device "
			    "(--allow-special)");
		else if (cJSON_GetObjectItemCaseSensitive(lab,
		    "node-role.kubernetes.io/control-plane") != NULL ||
		    cJSON_GetObjectItemCaseSensitive(lab,
		    "node-role.kubernetes.io/master") != NULL)
			snprintf(why, sizeof why, "control-plane node");
		else if (!rdy)
			snprintf(why, sizeof why, "NotReady");
		else if (node_is_cordoned(n))
			snprintf(why, sizeof why, "cordoned");
		else if ((taint = nodesel_taint(n, so->allow_taints)) != NULL)
			snprintf(why, sizeof why, "protective taint %s "
			    "(--allow-taint %s)", taint, taint);
		else if (!node_selector_match(sel, n))
			snprintf(why, sizeof why, "does not match the "
			    "selector %s", so->selector);
		else if (np.refused[0] != '\0')
			snprintf(why, sizeof why, "%s", np.refused);
		if (why[0] != '\0') {
			nodesel_exclude(exc, name, dev, ci, why);
			continue;
		}
		alloc_cpu = nodesel_qty(kube_str(n, "status.allocatable.cpu"));
		alloc_mem = nodesel_qty(kube_str(n,
		    "status.allocatable.memory"));
		has_use = 0;
		ucpu = umem = 0;
		cJSON_ArrayForEach(m, kube_item(metrics, "items"))
			if (strcmp(kube_str(m, "metadata.name"), name) == 0) {
				ucpu = nodesel_qty(kube_str(m, "usage.cpu")) /
				    (alloc_cpu > 0 ? alloc_cpu : 1);
				umem = nodesel_qty(kube_str(m,
				    "usage.memory")) / (alloc_mem > 0 ?
				    alloc_mem : 1);
				has_use = 1;
			}
		days = 0;
		if (entry != NULL && *entry && util_time_parse(entry,
		    "pool_entry_time", so->now, &t, NULL) == 0 && t < so->now)
			days = (double)(so->now - t) / 86400.0;
		reqs = ((alloc_cpu > 0 ? np.cpu / alloc_cpu : 0) +
		    (alloc_mem > 0 ? np.mem / alloc_mem : 0)) / 2;
		uses = (ucpu + umem) / 2;
		score = (has_use ? 40 * reqs + 20 * uses : 60 * reqs) +
		    4 * np.weight - (days > 30 ? 30 : days) / 3;
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "node", name);
		cJSON_AddNumberToObject(c, "device_id", (double)dev);
		cJSON_AddStringToObject(c, "ci_code", ci);
		nodesel_num(c, "score", 1, score);
		f = cJSON_AddObjectToObject(c, "factors");
		nodesel_num(f, "cpu_request_ratio", alloc_cpu > 0,
		    np.cpu / alloc_cpu);
		nodesel_num(f, "memory_request_ratio", alloc_mem > 0,
		    np.mem / alloc_mem);
		nodesel_num(f, "cpu_usage_ratio", has_use, ucpu);
		nodesel_num(f, "memory_usage_ratio", has_use, umem);
		cJSON_AddNumberToObject(f, "pods", np.pods);
		cJSON_AddNumberToObject(f, "pod_weight", np.weight);
		nodesel_num(f, "days_in_pool", entry != NULL && *entry, days);
		f = cJSON_AddObjectToObject(c, "requests");
		nodesel_num(f, "cpu", 1, np.cpu);
		nodesel_num(f, "memory", 1, np.mem);
		f = cJSON_AddObjectToObject(c, "allocatable");
		nodesel_num(f, "cpu", 1, alloc_cpu);
		nodesel_num(f, "memory", 1, alloc_mem);
		cJSON_AddItemToArray(cand, c);
	}
	/* rank */
	nv = cJSON_GetArraySize(cand);
	if (nv > 0) {
		v = calloc((size_t)nv, sizeof *v);
		if (v == NULL)
			fatal("out of memory");
		for (k = 0; k < nv; k++)
			v[k] = cJSON_DetachItemFromArray(cand, 0);
		qsort(v, (size_t)nv, sizeof *v, nodesel_cmp);
		for (k = 0; k < nv; k++) {
			/* "rank" first, for readers of the JSON */
			c = cJSON_CreateObject();
			cJSON_AddNumberToObject(c, "rank", k + 1);
			while (v[k]->child != NULL) {
				f = v[k]->child;
				cJSON_DetachItemViaPointer(v[k], f);
				cJSON_AddItemToObject(c, f->string, f);
			}
			cJSON_Delete(v[k]);
			cJSON_AddItemToArray(cand, c);
		}
		free(v);
	}
	cJSON_AddBoolToObject(res, "metrics", has_metrics);
	f = cJSON_AddObjectToObject(res, "nodes");
	cJSON_AddNumberToObject(f, "total", total);
	cJSON_AddNumberToObject(f, "ready", ready);
	cJSON_AddNumberToObject(f, "not_ready", total - ready);
	cJSON_AddNumberToObject(f, "schedulable", sched);
	f = cJSON_AddObjectToObject(res, "free");
	nodesel_num(f, "cpu", 1, free_cpu);
	nodesel_num(f, "memory", 1, free_mem);
	rc = 0;
out:
	if (rc == -1) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	cJSON_Delete(drow);
	cJSON_Delete(nodes);
	cJSON_Delete(metrics);
	cJSON_Delete(sel);
	return rc;
}
