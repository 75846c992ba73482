/*
 * monitor.c - esctl monitor: an ES service's metrics (seed 000 §11) and
 * QPS (§12): start-up values, the stored history of the plugins'
 * reports, live values from Prometheus or metrics.k8s.io, and the
 * StatefulSet's requests and limits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "clusterobj.h"
#include "cmd.h"
#include "k8scluster.h"
#include "metrics.h"
#include "promapi.h"
#include "quantity.h"
#include "util.h"

#define MONITOR_POINTS	24	/* sparkline width */

static int	cmd_monitor_metrics(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_monitor_qps(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

/* The live PromQL of each shown metric; NULL: not asked. */
static const struct {
	int		 field;
	const char	*key;
	const char	*def;
} monitor_queries[] = {
	{ MX_CPU, "monitor.cpu_query",
	    "100 * sum(rate(container_cpu_usage_seconds_total{namespace="
	    "\"$namespace\",container=\"elasticsearch\"}[2m])) / "
	    "sum(kube_pod_container_resource_limits{namespace=\"$namespace\","
	    "container=\"elasticsearch\",resource=\"cpu\"})" },
	{ MX_MEMORY, "monitor.memory_query",
	    "100 * sum(container_memory_working_set_bytes{namespace="
	    "\"$namespace\",container=\"elasticsearch\"}) / "
	    "sum(kube_pod_container_resource_limits{namespace=\"$namespace\","
	    "container=\"elasticsearch\",resource=\"memory\"})" },
	{ MX_DISK, "monitor.disk_query",
	    "100 * max(kubelet_volume_stats_used_bytes{namespace="
	    "\"$namespace\"} / kubelet_volume_stats_capacity_bytes{namespace="
	    "\"$namespace\"})" },
	{ MX_QPS, "monitor.qps_query", NULL },
};

/* The metrics monitor shows, in order. */
static const int monitor_fields[] = {
	MX_CPU, MX_MEMORY, MX_DISK, MX_QPS, MX_PLUGIN_QPS
};
#define MONITOR_NFIELDS	(sizeof monitor_fields / sizeof monitor_fields[0])

/* --range: 1h, 24h, 7d or any duration. */
static int
monitor_range(struct esctl_args *args, long long *secs, struct es_err *err)
{
	const char *v = args_get(args, "range");

	if (v == NULL) {
		*secs = 3600;
		return 0;
	}
	if (util_parse_duration(v, "--range", secs, err) == -1)
		return -1;
	if (*secs < 60 || *secs > 366LL * 86400)
		return es_err_set(err, ES_EUSAGE, NULL, "--range %s: use a "
		    "duration from 1m to 366d (1h, 24h, 7d)", v);
	return 0;
}

/* A sparkline of arr (nulls as spaces) into buf, UTF-8 block elements. */
static void
monitor_spark(const cJSON *arr, char *buf, size_t len)
{
	static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	const cJSON *v;
	double lo = INFINITY, hi = -INFINITY, x;
	size_t off = 0;
	int i;

	buf[0] = '\0';
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsNumber(v)) {
			lo = fmin(lo, v->valuedouble);
			hi = fmax(hi, v->valuedouble);
		}
	if (!isfinite(lo))
		return;
	cJSON_ArrayForEach(v, arr) {
		if (off + 4 >= len)
			break;
		if (!cJSON_IsNumber(v)) {
			buf[off++] = ' ';
			continue;
		}
		x = v->valuedouble;
		i = hi > lo ? (int)((x - lo) / (hi - lo) * 7.0 + 0.5) : 3;
		memcpy(buf + off, bars[i], 3);
		off += 3;
	}
	/* trailing missing buckets are not shown */
	while (off > 0 && buf[off - 1] == ' ')
		off--;
	buf[off] = '\0';
}

/* min/avg/max/last of the non-null values of arr; count of them. */
static int
monitor_stats(const cJSON *arr, double *mn, double *avg, double *mx,
    double *last)
{
	const cJSON *v;
	double sum = 0;
	int n = 0;

	*mn = INFINITY;
	*mx = -INFINITY;
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsNumber(v)) {
			*mn = fmin(*mn, v->valuedouble);
			*mx = fmax(*mx, v->valuedouble);
			sum += v->valuedouble;
			*last = v->valuedouble;
			n++;
		}
	*avg = n > 0 ? sum / n : NAN;
	return n;
}

static void
monitor_num(cJSON *o, const char *key, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, round(v * 100) / 100);
}

/* The Prometheus to ask: --prometheus, --cluster's, monitor.prometheus. */
static int
monitor_prom_url(struct esctl_ctx *ctx, struct esctl_args *args,
    char **url, struct es_err *err)
{
	const char *v, *cl = args_get(args, "cluster");
	cJSON *row = NULL;

	*url = NULL;
	if ((v = args_get(args, "prometheus")) != NULL) {
		*url = xstrdup(v);
		return 0;
	}
	if (cl != NULL) {
		if (k8scluster_get(ctx->store, cl, 0, &row, err) == -1)
			return -1;
		v = cJSON_GetStringValue(cJSON_GetObjectItem(row,
		    "promserver"));
		if (v == NULL || *v == '\0') {
			cJSON_Delete(row);
			return es_err_set(err, ES_EUSAGE, "NoPrometheus",
			    "cluster '%s' has no Prometheus address (esctl "
			    "k8s update %s --prometheus URL)", cl, cl);
		}
		*url = xstrdup(v);
		cJSON_Delete(row);
		return 0;
	}
	if ((v = config_get(ctx->cfg, "monitor.prometheus")) != NULL)
		*url = xstrdup(v);
	return 0;
}

/* The query text with $namespace replaced; caller frees. */
static char *
monitor_promql(const char *q, const char *ns)
{
	struct es_buf b = ES_BUF_INIT;
	const char *p;

	while ((p = strstr(q, "$namespace")) != NULL) {
		es_buf_add(&b, q, (size_t)(p - q));
		es_buf_adds(&b, ns);
		q = p + strlen("$namespace");
	}
	es_buf_adds(&b, q);
	return es_buf_detach(&b, NULL);
}

/*
 * Live values: from Prometheus when there is one, else CPU and memory
 * of the pods from metrics.k8s.io against the limits.  Sets live.<field>
 * (null when unknown) and live.source; problems go to live.error.
 */
static void
monitor_live(struct esctl_ctx *ctx, const char *prom, long long tmo,
    const char *ns, const cJSON *rec, cJSON *live)
{
	struct es_err e2 = ES_ERR_INIT;
	struct kube_client *kc;
	struct kube_ref ref;
	const char *q;
	cJSON *list = NULL, *pod, *c;
	double v, cpu = 0, mem = 0;
	int64_t lim;
	size_t i;
	char *text;
	int n = 0;

	for (i = 0; i < MONITOR_NFIELDS; i++)
		cJSON_AddNullToObject(live, metrics_field_name(
		    monitor_fields[i]));
	if (prom != NULL) {
		cJSON_AddStringToObject(live, "source", "prometheus");
		for (i = 0; i < sizeof monitor_queries /
		    sizeof monitor_queries[0]; i++) {
			q = config_get(ctx->cfg, monitor_queries[i].key);
			if (q == NULL)
				q = monitor_queries[i].def;
			if (q == NULL || *q == '\0')
				continue;
			text = monitor_promql(q, ns);
			if (promapi_query(prom, text, 0, (long)tmo, &v,
			    &e2) == -1) {
				free(text);
				cJSON_AddStringToObject(live, "error", e2.msg);
				return;
			}
			free(text);
			if (!isnan(v))
				cJSON_ReplaceItemInObject(live,
				    metrics_field_name(monitor_queries[i].
				    field), cJSON_CreateNumber(round(v * 100) /
				    100));
		}
		return;
	}
	cJSON_AddStringToObject(live, "source", "metrics.k8s.io");
	if (ctx_kube(ctx, &kc, &e2) == -1 ||
	    kube_served(kc, "metrics.k8s.io", "v1beta1", "pods", &e2) != 1 ||
	    kube_ref_init(&ref, "podmetrics", ns, NULL, &e2) == -1 ||
	    kube_list(kc, &ref, NULL, &list, &e2) == -1) {
		cJSON_AddStringToObject(live, "error", e2.msg[0] ? e2.msg :
		    "no metrics.k8s.io API");
		cJSON_Delete(list);
		return;
	}
	cJSON_ArrayForEach(pod, cJSON_GetObjectItem(list, "items"))
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(pod, "containers")) {
			if (strcmp(kube_str(c, "name"), CLUSTEROBJ_CONTAINER) !=
			    0)
				continue;
			if (quantity_parse(kube_str(c, "usage.cpu"), "cpu", 0,
			    &lim, &e2) == 0)
				cpu += (double)lim / 1000.0;
			if (quantity_parse(kube_str(c, "usage.memory"), "mem",
			    0, &lim, &e2) == 0)
				mem += (double)lim / 1000.0;
			n++;
		}
	cJSON_Delete(list);
	if (n == 0)
		return;
	if (quantity_parse(kube_str(rec, "cpu_limit"), "cpu", 0, &lim,
	    &e2) == 0 && lim > 0)
		cJSON_ReplaceItemInObject(live, "cpu_usage", cJSON_CreateNumber(
		    round(10000.0 * cpu / ((double)lim / 1000.0 * n)) / 100));
	if (quantity_parse(kube_str(rec, "mem_limit"), "mem", 0, &lim,
	    &e2) == 0 && lim > 0)
		cJSON_ReplaceItemInObject(live, "memory_usage",
		    cJSON_CreateNumber(round(10000.0 * mem / ((double)lim /
		    1000.0 * n)) / 100));
}

/* requests/limits: the StatefulSet's when it can be read, else stored. */
static void
monitor_resources(struct esctl_ctx *ctx, int live, const char *ns,
    const cJSON *rec, cJSON *o)
{
	struct es_err e2 = ES_ERR_INIT;
	struct kube_client *kc;
	struct kube_ref ref;
	cJSON *sts = NULL, *req, *lim, *c;
	const cJSON *res = NULL;

	req = cJSON_AddObjectToObject(o, "resource_requests");
	lim = cJSON_AddObjectToObject(o, "resource_limits");
	if (live && ctx_kube(ctx, &kc, &e2) == 0 &&
	    kube_ref_init(&ref, "statefulsets", ns, CLUSTEROBJ_STS,
	    &e2) == 0 && kube_get(kc, &ref, &sts, &e2) == 0) {
		cJSON_ArrayForEach(c, doc_json_at(sts,
		    "spec.template.spec.containers"))
			if (strcmp(kube_str(c, "name"), CLUSTEROBJ_CONTAINER) ==
			    0)
				res = cJSON_GetObjectItem(c, "resources");
		if (res != NULL) {
			cJSON_Delete(cJSON_DetachItemFromObject(o,
			    "resource_requests"));
			cJSON_Delete(cJSON_DetachItemFromObject(o,
			    "resource_limits"));
			c = cJSON_GetObjectItem(res, "requests");
			cJSON_AddItemToObject(o, "resource_requests", c ?
			    cJSON_Duplicate(c, 1) : cJSON_CreateObject());
			c = cJSON_GetObjectItem(res, "limits");
			cJSON_AddItemToObject(o, "resource_limits", c ?
			    cJSON_Duplicate(c, 1) : cJSON_CreateObject());
			cJSON_AddNumberToObject(o, "replicas",
			    cJSON_GetNumberValue(doc_json_at(sts,
			    "spec.replicas")));
			cJSON_Delete(sts);
			return;
		}
	}
	cJSON_Delete(sts);
	cJSON_AddStringToObject(req, "cpu", kube_str(rec, "cpu_request"));
	cJSON_AddStringToObject(req, "memory", kube_str(rec, "mem_request"));
	cJSON_AddStringToObject(lim, "cpu", kube_str(rec, "cpu_limit"));
	cJSON_AddStringToObject(lim, "memory", kube_str(rec, "mem_limit"));
	cJSON_AddStringToObject(req, "storage", kube_str(rec, "disk_size"));
	cJSON_AddNumberToObject(o, "replicas", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(rec, "replicas")));
}

/* The namespaces asked for, in scope: rows of cluster_meta_get. */
static int
monitor_targets(struct esctl_ctx *ctx, struct esctl_args *args,
    cJSON **out, struct es_err *err)
{
	struct cluster_filter f;
	cJSON *rec;

	*out = NULL;
	if (args->argc > 0) {
		if (cluster_meta_get(ctx->store, args->argv[0], &rec,
		    err) == -1)
			return -1;
		if (rec == NULL)
			return es_err_set(err, ES_ENOTFOUND, "NotFound", "no "
			    "ES service in namespace '%s'", args->argv[0]);
		if (ctx_scope_check(ctx, kube_str(rec, "tenant_org_id"),
		    kube_str(rec, "user"), err) == -1) {
			cJSON_Delete(rec);
			return -1;
		}
		*out = cJSON_CreateArray();
		cJSON_AddItemToArray(*out, rec);
		return 0;
	}
	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, NULL, 0, &f.org, err) == -1 ||
	    ctx_user(ctx, NULL, &f.user, err) == -1)
		return -1;
	return cluster_meta_list(ctx->store, &f, out, err);
}

static const struct out_col metric_cols[] = {
	{ "NAMESPACE", "namespace", OUT_COL_NAME },
	{ "METRIC", "metric", 0 },
	{ "STARTUP", "startup", OUT_COL_RIGHT },
	{ "LATEST", "latest", OUT_COL_RIGHT },
	{ "LIVE", "live", OUT_COL_RIGHT },
	{ "MIN", "min", OUT_COL_RIGHT },
	{ "AVG", "avg", OUT_COL_RIGHT },
	{ "MAX", "max", OUT_COL_RIGHT },
	{ "TREND", "trend", OUT_COL_WIDE },
	{ "REQUEST", "request", OUT_COL_WIDE },
	{ "LIMIT", "limit", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_monitor_metrics(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct metrics_query q;
	cJSON *targets = NULL, *items = NULL, *rows = NULL, *rec, *o, *ser;
	cJSON *s, *latest = NULL, *arr, *live, *row, *st, *l, *it;
	char *prom = NULL, spark[MONITOR_POINTS * 3 + 1];
	const char *ns, *f, *rk;
	long long range, tmo;
	double mn, avg, mx, last, sum;
	int live_on = args_has(args, "live"), rc = -1, n, cnt;
	size_t i;

	if (monitor_range(args, &range, err) == -1 ||
	    config_get_duration_ms(ctx->cfg, "monitor.timeout", 5000, &tmo,
	    err) == -1)
		return -1;
	if (live_on && monitor_prom_url(ctx, args, &prom, err) == -1)
		return -1;
	if (monitor_targets(ctx, args, &targets, err) == -1)
		goto done;
	items = cJSON_CreateArray();
	rows = cJSON_CreateArray();
	memset(&q, 0, sizeof q);
	q.to = ctx->now;
	q.from = ctx->now - (time_t)range;
	q.points = MONITOR_POINTS;
	cJSON_ArrayForEach(rec, targets) {
		ns = kube_str(rec, "namespace");
		if (strcmp(kube_str(rec, "status"), "deleted") == 0)
			continue;
		q.ns = ns;
		if (metrics_series(ctx->store, &q, &ser, err) == -1 ||
		    metrics_latest(ctx->store, ns, &latest, err) == -1) {
			cJSON_Delete(ser);
			goto done;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "namespace", ns);
		cJSON_AddStringToObject(o, "range", args_get(args, "range") ?
		    args_get(args, "range") : "1h");
		s = cJSON_GetObjectItem(ser, ns);
		cJSON_AddNumberToObject(o, "from", (double)q.from);
		cJSON_AddNumberToObject(o, "to", (double)q.to);
		cJSON_AddNumberToObject(o, "step", s != NULL ?
		    cJSON_GetNumberValue(cJSON_GetObjectItem(s, "step")) :
		    (double)((range + MONITOR_POINTS) / MONITOR_POINTS));
		/* start-up values and the newest report, over containers */
		st = cJSON_AddObjectToObject(o, "startup");
		l = cJSON_AddObjectToObject(o, "latest");
		for (i = 0; i < MX_NFIELD; i++) {
			f = metrics_field_name((int)i);
			sum = 0;
			cnt = 0;
			cJSON_ArrayForEach(it, latest) {
				const cJSON *x = cJSON_GetObjectItem(it, f);

				if (cJSON_IsNumber(x)) {
					sum += x->valuedouble;
					cnt++;
				}
			}
			if (strncmp(f, "startup_", 8) == 0)
				monitor_num(st, f + 8, cnt ? sum / cnt : NAN);
			else
				monitor_num(l, f, cnt == 0 ? NAN :
				    metrics_field_is_pct((int)i) ? sum / cnt :
				    sum);
		}
		cJSON_AddNumberToObject(o, "containers",
		    cJSON_GetArraySize(latest));
		cJSON_Delete(latest);
		latest = NULL;
		monitor_resources(ctx, live_on, ns, rec, o);
		if (live_on) {
			live = cJSON_AddObjectToObject(o, "live");
			monitor_live(ctx, prom, tmo, ns, rec, live);
		} else
			cJSON_AddNullToObject(o, "live");
		arr = cJSON_AddObjectToObject(o, "series");
		for (i = 0; i < MONITOR_NFIELDS; i++) {
			f = metrics_field_name(monitor_fields[i]);
			if (s != NULL)
				cJSON_AddItemToObject(arr, f, cJSON_Duplicate(
				    cJSON_GetObjectItem(cJSON_GetObjectItem(s,
				    "series"), f), 1));
			else {
				cJSON *nulls = cJSON_AddArrayToObject(arr, f);

				for (n = 0; n < MONITOR_POINTS; n++)
					cJSON_AddItemToArray(nulls,
					    cJSON_CreateNull());
			}
		}
		cJSON_Delete(ser);
		/* one table row per metric */
		for (i = 0; i < MONITOR_NFIELDS; i++) {
			f = metrics_field_name(monitor_fields[i]);
			row = cJSON_CreateObject();
			cJSON_AddStringToObject(row, "namespace", ns);
			cJSON_AddStringToObject(row, "metric", f);
			if (strcmp(f, "cpu_usage") == 0 || strcmp(f,
			    "memory_usage") == 0 || strcmp(f, "disk_usage") ==
			    0) {
				char k[32];

				snprintf(k, sizeof k, "%.*s", (int)(strchr(f,
				    '_') - f), f);
				cJSON_AddItemToObject(row, "startup",
				    cJSON_Duplicate(cJSON_GetObjectItem(st, k),
				    1));
				rk = strcmp(k, "cpu") == 0 ? "cpu" : strcmp(k,
				    "memory") == 0 ? "memory" : "storage";
				it = cJSON_GetObjectItem(cJSON_GetObjectItem(o,
				    "resource_requests"), rk);
				cJSON_AddItemToObject(row, "request", it ?
				    cJSON_Duplicate(it, 1) :
				    cJSON_CreateNull());
				it = cJSON_GetObjectItem(cJSON_GetObjectItem(o,
				    "resource_limits"), rk);
				cJSON_AddItemToObject(row, "limit", it ?
				    cJSON_Duplicate(it, 1) :
				    cJSON_CreateNull());
			} else {
				cJSON_AddNullToObject(row, "startup");
				cJSON_AddNullToObject(row, "request");
				cJSON_AddNullToObject(row, "limit");
			}
			cJSON_AddItemToObject(row, "latest", cJSON_Duplicate(
			    cJSON_GetObjectItem(l, f), 1));
			it = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "live"),
			    f);
			cJSON_AddItemToObject(row, "live", it != NULL ?
			    cJSON_Duplicate(it, 1) : cJSON_CreateNull());
			arr = cJSON_GetObjectItem(cJSON_GetObjectItem(o,
			    "series"), f);
			if (monitor_stats(arr, &mn, &avg, &mx, &last) > 0) {
				monitor_num(row, "min", mn);
				monitor_num(row, "avg", avg);
				monitor_num(row, "max", mx);
			} else {
				cJSON_AddNullToObject(row, "min");
				cJSON_AddNullToObject(row, "avg");
				cJSON_AddNullToObject(row, "max");
			}
			monitor_spark(arr, spark, sizeof spark);
			cJSON_AddStringToObject(row, "trend", spark[0] ? spark :
			    "-");
			cJSON_AddItemToArray(rows, row);
		}
		if ((it = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "live"),
		    "error")) != NULL)
			ctx_warn(ctx, "%s: live values unavailable: %s", ns,
			    it->valuestring);
		cJSON_AddItemToArray(items, o);
	}
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML)
		rc = out_list(ctx, items, metric_cols, err);
	else {
		if (ctx->tty_out && ctx->output == OUT_TABLE)
			ctx->output = OUT_WIDE;	/* the trend on a terminal */
		rc = out_list(ctx, rows, metric_cols, err);
	}
done:
	free(prom);
	cJSON_Delete(latest);
	cJSON_Delete(targets);
	cJSON_Delete(items);
	cJSON_Delete(rows);
	return rc;
}

static const struct out_col qps_cols[] = {
	{ "CONTAINER", "container_name", OUT_COL_NAME },
	{ "QPS", "qps", OUT_COL_RIGHT },
	{ "PLUGIN_QPS", "plugin_qps", OUT_COL_RIGHT },
	{ "TIMESTAMP", "timestamp", 0 },
	OUT_COL_END
};

static int
cmd_monitor_qps(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct metrics_query q;
	cJSON *targets = NULL, *latest = NULL, *ser = NULL, *o, *s, *it;
	char spark[MONITOR_POINTS * 3 + 1];
	const char *ns;
	long long range;
	double total = 0, mn, avg, mx, last;
	int n = 0, rc = -1;

	if (monitor_range(args, &range, err) == -1 ||
	    monitor_targets(ctx, args, &targets, err) == -1)
		return -1;
	ns = kube_str(cJSON_GetArrayItem(targets, 0), "namespace");
	memset(&q, 0, sizeof q);
	q.ns = ns;
	q.to = ctx->now;
	q.from = ctx->now - (time_t)range;
	q.points = MONITOR_POINTS;
	if (metrics_latest(ctx->store, ns, &latest, err) == -1 ||
	    metrics_series(ctx->store, &q, &ser, err) == -1)
		goto done;
	cJSON_ArrayForEach(it, latest) {
		/* the seed's shape: namespace, qps, timestamp, container */
		if (cJSON_IsNumber(cJSON_GetObjectItem(it, "qps"))) {
			total += cJSON_GetNumberValue(cJSON_GetObjectItem(it,
			    "qps"));
			n++;
		}
	}
	s = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ser,
	    ns), "series"), "qps");
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "namespace", ns);
		monitor_num(o, "qps", n > 0 ? total : NAN);
		cJSON_AddItemToObject(o, "containers", latest);
		latest = NULL;
		cJSON_AddNumberToObject(o, "from", (double)q.from);
		cJSON_AddNumberToObject(o, "to", (double)q.to);
		cJSON_AddItemToObject(o, "series", s != NULL ?
		    cJSON_Duplicate(s, 1) : cJSON_CreateArray());
		out_print_json(ctx, o);
		cJSON_Delete(o);
		rc = 0;
		goto done;
	}
	if ((rc = out_list(ctx, latest, qps_cols, err)) == -1)
		goto done;
	if (ctx->output == OUT_TABLE || ctx->output == OUT_WIDE) {
		if (n > 0)
			fprintf(ctx->out, "\ntotal qps: %g\n", total);
		else
			fprintf(ctx->out, "\ntotal qps: <none>\n");
		if (s != NULL && monitor_stats(s, &mn, &avg, &mx, &last) > 0) {
			monitor_spark(s, spark, sizeof spark);
			fprintf(ctx->out, "last %s: min %g, avg %.2f, max %g"
			    "%s%s\n", args_get(args, "range") ?
			    args_get(args, "range") : "1h", mn, avg, mx,
			    ctx->tty_out ? "  " : "", ctx->tty_out ? spark :
			    "");
		}
	}
done:
	cJSON_Delete(targets);
	cJSON_Delete(latest);
	cJSON_Delete(ser);
	return rc;
}

static const struct esctl_opt metrics_opts[] = {
	{ 0, "range", "DURATION", "history shown: 1h (default), 24h, 7d",
	    OPT_STRING, 0, "=1h 24h 7d" },
	{ 0, "live", NULL, "add live values (Prometheus or metrics.k8s.io) "
	    "and the StatefulSet's resources", OPT_BOOL, 0, NULL },
	{ 0, "prometheus", "URL", "Prometheus to ask for live values",
	    OPT_STRING, 0, NULL },
	{ 0, "cluster", "NAME", "take the Prometheus of this registered "
	    "cluster", OPT_STRING, 0, "k8s-cluster" },
	OPT_END
};

static const struct esctl_opt qps_opts[] = {
	{ 0, "range", "DURATION", "history shown: 1h (default), 24h, 7d",
	    OPT_STRING, 0, "=1h 24h 7d" },
	OPT_END
};

static const struct esctl_verb monitor_verbs[] = {
	{ "metrics", "[NAMESPACE]", "an ES service's usage: start-up, "
	    "history, live, requests and limits",
	    "One row per metric; on a terminal with a sparkline of the "
	    "range.  Missing\ndata is shown as missing (<none>, null), "
	    "never as 0.", metrics_opts, 0, 1, CMD_NEEDS_DB, "namespace",
	    cmd_monitor_metrics },
	{ "qps", "NAMESPACE", "the latest QPS per container and its history",
	    NULL, qps_opts, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "namespace",
	    cmd_monitor_qps },
	VERB_END
};

const struct esctl_group esctl_group_monitor = {
	"monitor", "ES service metrics and QPS", NULL, monitor_verbs
};
