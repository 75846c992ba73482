/*
 * container.c - esctl container: the pods of ES services, with live usage
 * from metrics.k8s.io when the cluster serves it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "quantity.h"
#include "util.h"

static int	cmd_container_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

/* Usage of one pod from metrics.k8s.io. */
struct container_usage {
	char		*key;		/* "namespace/name" */
	int64_t		 cpu_m;		/* millicores */
	int64_t		 mem_b;		/* bytes */
};

struct container_list {
	struct esctl_ctx	*ctx;
	cJSON			*rows;
	struct container_usage	*usage;
	size_t			 nusage;
	int			 have_metrics;
	cJSON			*allowed;	/* namespaces, or NULL: all */
};

static const struct out_col container_cols[] = {
	{ "NAMESPACE", "namespace", 0 },
	{ "POD", "pod_name", OUT_COL_NAME },
	{ "READY", "ready", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "RESTARTS", "restarts", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "NODE", "node", 0 },
	{ "IP", "ip", OUT_COL_WIDE },
	{ "CPU", "cpu", OUT_COL_RIGHT },
	{ "MEMORY", "memory", OUT_COL_RIGHT },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

static int
container_usage_cmp(const void *a, const void *b)
{
	return strcmp(((const struct container_usage *)a)->key,
	    ((const struct container_usage *)b)->key);
}

/* Collects one PodMetrics item (sum of its containers). */
static int
container_metrics_item(void *arg, const cJSON *m, struct es_err *err)
{
	struct container_list *cl = arg;
	struct container_usage *u;
	struct es_err e2 = ES_ERR_INIT;
	const cJSON *c;
	int64_t v;

	(void)err;
	cl->usage = xreallocarray(cl->usage, cl->nusage + 1,
	    sizeof *cl->usage);
	u = &cl->usage[cl->nusage++];
	u->key = xasprintf("%s/%s", kube_str(m, "metadata.namespace") ?
	    kube_str(m, "metadata.namespace") : "",
	    kube_str(m, "metadata.name") ? kube_str(m, "metadata.name") : "");
	u->cpu_m = u->mem_b = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "containers")) {
		const char *cpu = kube_str(c, "usage.cpu");
		const char *mem = kube_str(c, "usage.memory");

		if (cpu != NULL && quantity_parse(cpu, "cpu", 0, &v, &e2) == 0)
			u->cpu_m += v;
		if (mem != NULL && quantity_parse(mem, "memory", 0, &v,
		    &e2) == 0)
			u->mem_b += v / 1000;
	}
	return 0;
}

/* Turns one Pod into a row. */
static int
container_pod(void *arg, const cJSON *pod, struct es_err *err)
{
	struct container_list *cl = arg;
	struct container_usage key, *u = NULL;
	const char *ns = kube_str(pod, "metadata.namespace");
	const char *name = kube_str(pod, "metadata.name");
	const char *created = kube_str(pod, "metadata.creationTimestamp");
	const cJSON *c;
	char status[64], buf[64], kbuf[512];
	int ready, total;
	double restarts = 0;
	time_t t;
	cJSON *row;

	(void)err;
	if (ns == NULL || name == NULL)
		return 0;
	if (cl->allowed != NULL && cJSON_GetObjectItem(cl->allowed, ns) ==
	    NULL)
		return 0;
	row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "pod_name", name);
	cJSON_AddStringToObject(row, "namespace", ns);
	kube_pod_status(pod, status, sizeof status);
	cJSON_AddStringToObject(row, "status", status);
	kube_pod_ready(pod, &ready, &total);
	snprintf(buf, sizeof buf, "%d/%d", ready, total);
	cJSON_AddStringToObject(row, "ready", buf);
	cJSON_ArrayForEach(c, kube_item(pod, "status.containerStatuses"))
		restarts += kube_num(c, "restartCount", 0);
	cJSON_AddNumberToObject(row, "restarts", restarts);
	if (kube_str(pod, "spec.nodeName") != NULL)
		cJSON_AddStringToObject(row, "node", kube_str(pod,
		    "spec.nodeName"));
	else
		cJSON_AddNullToObject(row, "node");
	if (kube_str(pod, "status.podIP") != NULL)
		cJSON_AddStringToObject(row, "ip", kube_str(pod,
		    "status.podIP"));
	else
		cJSON_AddNullToObject(row, "ip");
	if (cl->nusage > 0) {
		snprintf(kbuf, sizeof kbuf, "%s/%s", ns, name);
		key.key = kbuf;
		u = bsearch(&key, cl->usage, cl->nusage, sizeof *cl->usage,
		    container_usage_cmp);
	}
	if (u != NULL) {
		snprintf(buf, sizeof buf, "%lldm", (long long)u->cpu_m);
		cJSON_AddStringToObject(row, "cpu", buf);
		snprintf(buf, sizeof buf, "%lldMi", (long long)(u->mem_b /
		    (1024 * 1024)));
		cJSON_AddStringToObject(row, "memory", buf);
	} else {
		cJSON_AddNullToObject(row, "cpu");
		cJSON_AddNullToObject(row, "memory");
	}
	if (created != NULL && util_time_parse(created, "creationTimestamp",
	    cl->ctx->now, &t, NULL) == 0) {
		util_format_age((long long)(cl->ctx->now - t), buf, sizeof buf);
		cJSON_AddStringToObject(row, "age", buf);
		cJSON_AddStringToObject(row, "created_at", created);
	} else {
		cJSON_AddNullToObject(row, "age");
		cJSON_AddNullToObject(row, "created_at");
	}
	cJSON_AddItemToArray(cl->rows, row);
	return 0;
}

/* The namespaces an identity may see, as an object used as a set. */
static int
container_allowed(struct esctl_ctx *ctx, struct kube_client *kc,
    cJSON **out, struct es_err *err)
{
	struct es_buf sel = ES_BUF_INIT;
	struct kube_list_opts lo;
	struct kube_ref r;
	cJSON *list, *ns;
	int rc;

	*out = NULL;
	ctx_kube_ns_selector(ctx, &sel);
	if (sel.len == 0) {
		es_buf_release(&sel);
		return 0;
	}
	memset(&lo, 0, sizeof lo);
	lo.label_selector = sel.data;
	kube_ref_init(&r, "namespaces", NULL, NULL, NULL);
	rc = kube_list(kc, &r, &lo, &list, err);
	es_buf_release(&sel);
	if (rc == -1)
		return -1;
	*out = cJSON_CreateObject();
	cJSON_ArrayForEach(ns, cJSON_GetObjectItem(list, "items"))
		if (kube_str(ns, "metadata.name") != NULL)
			cJSON_AddTrueToObject(*out, kube_str(ns,
			    "metadata.name"));
	cJSON_Delete(list);
	return 0;
}

static int
cmd_container_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct container_list cl;
	struct kube_client *kc;
	struct kube_list_opts lo;
	struct kube_ref r;
	struct es_err e2 = ES_ERR_INIT;
	const char *ns = args_get(args, "namespace");
	int all = args_has(args, "all-namespaces"), served, rc = -1;
	size_t i;

	memset(&cl, 0, sizeof cl);
	cl.ctx = ctx;
	if (ns != NULL && all)
		return es_err_set(err, ES_EUSAGE, "Invalid", "give --namespace "
		    "or --all-namespaces, not both");
	if (ctx_kube(ctx, &kc, err) == -1)
		return -1;
	if (ns == NULL && !all)
		ns = kube_namespace(kc);
	if (ns != NULL && !util_dns1123_label(ns))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "namespace '%s': a DNS-1123 label", ns);
	if (ns != NULL && ctx_kube_ns_check(ctx, kc, ns, err) == -1)
		return -1;
	if (all && container_allowed(ctx, kc, &cl.allowed, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = args_get(args, "selector");
	lo.field_selector = args_get(args, "field-selector");

	/* usage first, when the cluster serves metrics.k8s.io */
	served = kube_served(kc, "metrics.k8s.io", "v1beta1", "pods", &e2);
	if (served == 1) {
		struct kube_list_opts mo;

		memset(&mo, 0, sizeof mo);
		mo.label_selector = lo.label_selector;
		kube_ref_init(&r, "podmetrics", ns, NULL, NULL);
		if (kube_list_each(kc, &r, &mo, container_metrics_item, &cl,
		    NULL, &e2) == -1)
			es_log(&ctx->log, ES_LOG_INFO, "no pod metrics: %s",
			    e2.msg);
		if (cl.nusage > 0)
			qsort(cl.usage, cl.nusage, sizeof *cl.usage,
			    container_usage_cmp);
	} else if (served == -1) {
		es_log(&ctx->log, ES_LOG_INFO, "no pod metrics: %s", e2.msg);
		if (e2.code == ES_EPERM) {
			*err = e2;
			goto out;
		}
	} else
		es_log(&ctx->log, ES_LOG_INFO, "%s does not serve "
		    "metrics.k8s.io", kube_server(kc));

	cl.rows = cJSON_CreateArray();
	kube_ref_init(&r, "pods", ns, NULL, NULL);
	if (kube_list_each(kc, &r, &lo, container_pod, &cl, NULL, err) == -1)
		goto out;
	out_kind(ctx, "pod");
	rc = out_list(ctx, cl.rows, container_cols, err);
out:
	cJSON_Delete(cl.rows);
	cJSON_Delete(cl.allowed);
	for (i = 0; i < cl.nusage; i++)
		free(cl.usage[i].key);
	free(cl.usage);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 'n', "namespace", "NS", "only this namespace (default: the "
	    "context's)", OPT_STRING, 0, "namespace" },
	{ 'A', "all-namespaces", NULL, "every namespace", OPT_BOOL, 0, NULL },
	{ 'l', "selector", "SELECTOR", "label selector (app=es,tier!=x)",
	    OPT_STRING, 0, NULL },
	{ 0, "field-selector", "SELECTOR", "field selector "
	    "(spec.nodeName=n1)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_verb container_verbs[] = {
	{ "list", NULL, "list the pods of ES services",
	    "Shows pod_name, namespace, status, node, cpu, memory and age of "
	    "each pod (CPU in\nmillicores and memory in MiB from "
	    "metrics.k8s.io; empty when the cluster does\nnot serve it).  "
	    "Lists are read in pages of 500.  With an identity, only the\n"
	    "namespaces of its org (label tenant-org-id) are shown.",
	    list_opts, 0, 0, CMD_NEEDS_KUBE, NULL, cmd_container_list },
	VERB_END
};

const struct esctl_group esctl_group_container = {
	"container", "pods of ES services",
	"The pods that run ES services, read live from Kubernetes.",
	container_verbs
};
