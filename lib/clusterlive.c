/*
 * clusterlive.c - the live state of ES services (see clusterlive.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "clusterlive.h"
#include "kube.h"
#include "quantity.h"

int
cluster_live_metrics(struct kube_client *kc)
{
	struct es_err e2 = ES_ERR_INIT;

	return kube_served(kc, "metrics.k8s.io", "v1beta1", "pods", &e2) ==
	    1;
}

/* Sum of CPU (cores) and memory (bytes) of a namespace's ES pods. */
static int
cluster_usage(struct kube_client *kc, const char *ns, double *cpu,
    double *mem, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	cJSON *list = NULL;
	const cJSON *p, *c;
	int64_t m;

	*cpu = *mem = 0;
	if (kube_ref_init(&ref, "podmetrics", ns, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = "app=elasticsearch";
	if (kube_list(kc, &ref, &lo, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(list, "items"))
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(p, "containers")) {
			if (quantity_parse(kube_str(c, "usage.cpu"), "cpu", 0,
			    &m, NULL) == 0)
				*cpu += quantity_to_double(m);
			if (quantity_parse(kube_str(c, "usage.memory"),
			    "memory", 0, &m, NULL) == 0)
				*mem += quantity_to_double(m);
		}
	cJSON_Delete(list);
	return 0;
}

static double
cluster_pct(double used, const char *limit, double replicas)
{
	int64_t m;
	double total;

	if (limit == NULL || quantity_parse(limit, "limit", 0, &m, NULL) ==
	    -1)
		return 0;
	total = quantity_to_double(m) * replicas;
	if (total <= 0)
		return 0;
	return (double)(long long)(used / total * 1000.0 + 0.5) / 10.0;
}

/* Sets a number, in place when the key exists (key order is kept). */
static void
cluster_set_num(cJSON *o, const char *key, double v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(o, key,
		    cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(o, key, v);
}

int
cluster_live(struct kube_client *kc, int metrics, cJSON *rec, int detail,
    struct es_err *err)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	struct es_err e2 = ES_ERR_INIT;
	const char *ns = kube_str(rec, "namespace");
	const cJSON *p;
	cJSON *sts = NULL, *list = NULL, *pods, *e;
	double ready = 0, want, cpu, mem;
	char buf[64], st[64];
	int r, t, rc = 0;

	want = kube_num(rec, "replicas", 0);
	cluster_sts_ref(&ref, ns);
	if (kube_get(kc, &ref, &sts, &e2) == 0) {
		want = kube_num(sts, "spec.replicas", want);
		ready = kube_num(sts, "status.readyReplicas", 0);
		cluster_set_num(rec, "replicas", want);
		cJSON_AddNumberToObject(rec, "ready_replicas", ready);
		snprintf(buf, sizeof buf, "%.0f/%.0f", ready, want);
		cJSON_AddStringToObject(rec, "ready", buf);
		cJSON_AddBoolToObject(rec, "live", 1);
	} else {
		cJSON_AddStringToObject(rec, "ready", e2.code ==
		    ES_ENOTFOUND ? "-" : "?");
		cJSON_AddBoolToObject(rec, "live", 0);
		if (e2.code != ES_ENOTFOUND) {
			*err = e2;
			rc = -1;
		}
	}
	cJSON_Delete(sts);
	es_err_clear(&e2);
	if (metrics && cluster_usage(kc, ns, &cpu, &mem, &e2) == 0) {
		cluster_set_num(rec, "cpu_usage", cluster_pct(cpu,
		    kube_str(rec, "cpu_limit"), want));
		cluster_set_num(rec, "memory_usage", cluster_pct(mem,
		    kube_str(rec, "mem_limit"), want));
	}
	if (!detail)
		return rc;
	pods = cJSON_AddArrayToObject(rec, "pods");
	if (kube_ref_init(&ref, "pods", ns, NULL, &e2) == -1)
		return rc;
	memset(&lo, 0, sizeof lo);
	if (kube_list(kc, &ref, &lo, &list, &e2) == -1)
		return rc;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(list, "items")) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "pod_name", kube_str(p,
		    "metadata.name"));
		kube_pod_status(p, st, sizeof st);
		cJSON_AddStringToObject(e, "status", st);
		kube_pod_ready(p, &r, &t);
		snprintf(buf, sizeof buf, "%d/%d", r, t);
		cJSON_AddStringToObject(e, "ready", buf);
		cJSON_AddStringToObject(e, "node", kube_str(p,
		    "spec.nodeName") ? kube_str(p, "spec.nodeName") : "");
		cJSON_AddItemToArray(pods, e);
	}
	cJSON_Delete(list);
	return rc;
}

int
cluster_live_select(struct kube_client *kc, const char *selector,
    cJSON *rows, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	cJSON *nss = NULL, *row, *n;
	int i, found;

	if (kube_ref_init(&ref, "namespaces", NULL, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = selector;
	if (kube_list(kc, &ref, &lo, &nss, err) == -1)
		return -1;
	for (i = cJSON_GetArraySize(rows) - 1; i >= 0; i--) {
		row = cJSON_GetArrayItem(rows, i);
		found = 0;
		cJSON_ArrayForEach(n, cJSON_GetObjectItem(nss, "items"))
			if (strcmp(kube_str(n, "metadata.name"),
			    kube_str(row, "namespace")) == 0)
				found = 1;
		if (!found)
			cJSON_DeleteItemFromArray(rows, i);
	}
	cJSON_Delete(nss);
	return 0;
}
