/*
 * snapshot.c - esctl snapshot: cluster resource snapshots (collect from
 * the clusters, import from files, list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "cmd.h"
#include "k8scluster.h"
#include "kube.h"
#include "pool.h"
#include "promapi.h"
#include "snapshot.h"
#include "util.h"

/* Default Prometheus queries: the peak of the collection interval. */
#define SNAPSHOT_PROM_CPU \
	"max_over_time(sum(irate(node_cpu_seconds_total{mode!=\"idle\"}" \
	"[2m]))[5m:])"
#define SNAPSHOT_PROM_MEM \
	"max_over_time(sum(node_memory_MemTotal_bytes - " \
	"node_memory_MemAvailable_bytes)[5m:])"
#define SNAPSHOT_PROM_TIMEOUT	10000

/* How collect reads usage from Prometheus (snapshot.prometheus.*). */
struct snapshot_prom {
	const char	*cpu_query;
	const char	*mem_query;
	long long	 timeout_ms;
};

static int	cmd_snapshot_import(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_snapshot_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_snapshot_prune(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_snapshot_collect(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	snapshot_collect_one(struct esctl_ctx *, const cJSON *,
		    const struct snapshot_prom *, struct snapshot *,
		    struct es_buf *, struct es_err *);
static int	snapshot_collect_pod(void *, const cJSON *, struct es_err *);

static const struct out_col snapshot_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "CLUSTER", "cluster_name", OUT_COL_NAME },
	{ "COLLECTED", "collected_at", 0 },
	{ "NODES", "node_count", OUT_COL_RIGHT },
	{ "READY", "ready_node_count", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "PODS", "pod_count", OUT_COL_RIGHT },
	{ "CPU_ALLOCATABLE", "cpu_allocatable", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "CPU_REQUEST", "cpu_request", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "CPU_USAGE%", "max_cpu", OUT_COL_RIGHT },
	{ "CPU_ALLOC%", "cpu_allocation_ratio", OUT_COL_RIGHT },
	{ "MEM_ALLOCATABLE", "mem_allocatable", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "MEM_REQUEST", "mem_request", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "MEM_USAGE%", "max_memory", OUT_COL_RIGHT },
	{ "MEM_ALLOC%", "mem_allocation_ratio", OUT_COL_RIGHT },
	{ "SOURCE", "source", OUT_COL_WIDE },
	OUT_COL_END
};

static const struct out_col collect_cols[] = {
	{ "CLUSTER", "cluster_name", OUT_COL_NAME },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "SOURCE", "source", 0 },
	{ "NODES", "node_count", OUT_COL_RIGHT },
	{ "PODS", "pod_count", OUT_COL_RIGHT },
	{ "CPU_USAGE%", "max_cpu", OUT_COL_RIGHT },
	{ "CPU_ALLOC%", "cpu_allocation_ratio", OUT_COL_RIGHT },
	{ "MEM_USAGE%", "max_memory", OUT_COL_RIGHT },
	{ "MEM_ALLOC%", "mem_allocation_ratio", OUT_COL_RIGHT },
	{ "COLLECTED", "collected_at", OUT_COL_WIDE },
	{ "MESSAGE", "message", 0 },
	OUT_COL_END
};

/* Keeps the brief of each pod that still runs (kube_list_each). */
static int
snapshot_collect_pod(void *arg, const cJSON *pod, struct es_err *err)
{
	const char *phase = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(pod, "status"), "phase"));

	(void)err;
	if (phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	    strcmp(phase, "Failed") == 0))
		return 0;
	cJSON_AddItemToArray(arg, snapshot_pod_brief(pod));
	return 0;
}

/*
 * Reads one registered cluster: Nodes, Pods and usage from metrics.k8s.io
 * or, when the cluster has a Prometheus, from Prometheus.  Fills s; notes
 * what is missing in note.  -1 with err when the cluster cannot be read;
 * a Prometheus failure leaves usage unknown, says so in note and returns
 * 1 (partial).
 */
static int
snapshot_collect_one(struct esctl_ctx *ctx, const cJSON *row,
    const struct snapshot_prom *pr, struct snapshot *s, struct es_buf *note,
    struct es_err *err)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "clustername"));
	const char *prom = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "promserver"));
	struct kube_client *kc = NULL;
	struct kube_list_opts lo;
	struct kube_ref r;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *nodes = NULL, *pods = NULL, *metrics = NULL, *items;
	double cpu, mem;
	int rc = -1, served;

	memset(&lo, 0, sizeof lo);
	if (ctx_kube_cluster(ctx, name, &kc, err) == -1)
		goto done;
	if (kube_ref_init(&r, "nodes", NULL, NULL, err) == -1 ||
	    kube_list(kc, &r, NULL, &nodes, err) == -1)
		goto done;
	pods = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(pods, "items");
	lo.field_selector = "status.phase!=Succeeded,status.phase!=Failed";
	if (kube_ref_init(&r, "pods", NULL, NULL, err) == -1 ||
	    kube_list_each(kc, &r, &lo, snapshot_collect_pod, items, NULL,
	    err) == -1)
		goto done;
	if (prom == NULL || *prom == '\0') {
		served = kube_served(kc, "metrics.k8s.io", "v1beta1", "nodes",
		    &e2);
		if (served == 1 && (kube_ref_init(&r, "nodemetrics", NULL,
		    NULL, &e2) == -1 || kube_list(kc, &r, NULL, &metrics,
		    &e2) == -1))
			served = -1;
		if (served == 0)
			es_buf_adds(note, "no metrics.k8s.io API: usage "
			    "unknown");
		else if (served == -1)
			es_buf_addf(note, "usage unknown: %s", e2.msg);
	}
	snapshot_from_kube(nodes, pods, metrics, s);
	rc = 0;
	if (prom != NULL && *prom != '\0') {
		s->source = "prometheus";
		if (promapi_query(prom, pr->cpu_query, 0, (long)pr->timeout_ms,
		    &cpu, &e2) == -1 || promapi_query(prom, pr->mem_query, 0,
		    (long)pr->timeout_ms, &mem, &e2) == -1) {
			es_buf_addf(note, "usage unknown: %s", e2.msg);
			rc = 1;
		} else {
			if (isnan(cpu) || isnan(mem))
				es_buf_adds(note, "Prometheus has no usage "
				    "data yet");
			s->cpu_usage = cpu;
			s->mem_usage = mem / (1024.0 * 1024 * 1024);
			snapshot_derive(s);
		}
	}
done:
	cJSON_Delete(nodes);
	cJSON_Delete(pods);
	cJSON_Delete(metrics);
	kube_close(kc);
	return rc;
}

static int
cmd_snapshot_collect(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct snapshot_prom pr;
	struct snapshot s;
	struct es_buf note = ES_BUF_INIT;
	struct es_err e1 = ES_ERR_INIT, first = ES_ERR_INIT;
	const char **names;
	char ts[UTIL_TIME_LEN];
	cJSON *clusters, *row, *out, *o;
	int i, n, lock = -1, rc, failed = 0, total = 0;

	memset(&pr, 0, sizeof pr);
	pr.cpu_query = config_get(ctx->cfg, "snapshot.prometheus.cpu_query");
	pr.mem_query = config_get(ctx->cfg,
	    "snapshot.prometheus.memory_query");
	if (pr.cpu_query == NULL)
		pr.cpu_query = SNAPSHOT_PROM_CPU;
	if (pr.mem_query == NULL)
		pr.mem_query = SNAPSHOT_PROM_MEM;
	if (config_get_duration_ms(ctx->cfg, "snapshot.prometheus.timeout",
	    SNAPSHOT_PROM_TIMEOUT, &pr.timeout_ms, err) == -1)
		return -1;
	names = args_list(args, "cluster", &n);
	if (n > 0) {
		clusters = cJSON_CreateArray();
		for (i = 0; i < n; i++) {
			if (k8scluster_get(ctx->store, names[i], 0, &row,
			    err) == -1) {
				cJSON_Delete(clusters);
				return -1;
			}
			cJSON_AddItemToArray(clusters, row);
		}
	} else if (k8scluster_list(ctx->store, NULL, &clusters, err) == -1)
		return -1;
	if (!ctx->dry_run) {
		lock = store_lock(ctx->store, "snapshot-collect", 0, err);
		if (lock == -1) {
			cJSON_Delete(clusters);
			if (err->code != ES_ECONFLICT)
				return -1;
			es_err_clear(err);
			ctx_info(ctx, "another snapshot collect is running on "
			    "this database; nothing done");
			return 0;
		}
	}
	util_time_format(ctx->now, ts);
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(row, clusters) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(
		    row, "clustername"));

		total++;
		es_buf_reset(&note);
		es_err_clear(&e1);
		ctx_progress(ctx, "collecting %s", name);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "cluster_name", name);
		cJSON_AddStringToObject(o, "collected_at", ts);
		rc = snapshot_collect_one(ctx, row, &pr, &s, &note, &e1);
		if (rc >= 0) {
			s.cluster_id = (long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(row, "id"));
			s.collected_at = ctx->now;
			if (!ctx->dry_run && (store_begin(ctx->store, &e1) ==
			    -1 || snapshot_insert(ctx->store, &s, ctx->now,
			    NULL, &e1) == -1 || store_commit(ctx->store,
			    &e1) == -1)) {
				store_rollback(ctx->store);
				rc = -1;
			}
		}
		if (rc == -1) {
			failed++;
			if (first.code == 0)
				first = e1;
			cJSON_AddStringToObject(o, "status", "failed");
			cJSON_AddStringToObject(o, "message", e1.msg);
			ctx_warn(ctx, "cluster '%s': %s", name, e1.msg);
			cJSON_AddItemToArray(out, o);
			continue;
		}
		if (rc == 1) {
			failed++;
			if (first.code == 0)
				es_err_set(&first, ES_EREMOTE, "Partial",
				    "cluster '%s': %s", name, note.data);
		}
		cJSON_AddStringToObject(o, "status", rc == 1 ? "partial" :
		    ctx->dry_run ? "dry_run" : "collected");
		cJSON_AddStringToObject(o, "source", s.source);
		cJSON_AddNumberToObject(o, "node_count", (double)s.node_count);
		cJSON_AddNumberToObject(o, "ready_node_count",
		    (double)s.ready_node_count);
		cJSON_AddNumberToObject(o, "unschedulable_node_count",
		    (double)s.unschedulable_node_count);
		cJSON_AddNumberToObject(o, "bm_count", (double)s.bm_count);
		cJSON_AddNumberToObject(o, "vm_count", (double)s.vm_count);
		cJSON_AddNumberToObject(o, "pod_count", (double)s.pod_count);
#define ADD_NUM(k, v) do {						\
	if (isnan(v))							\
		cJSON_AddNullToObject(o, k);				\
	else								\
		cJSON_AddNumberToObject(o, k, v);			\
} while (0)
		ADD_NUM("cpu_capacity", s.cpu_capacity);
		ADD_NUM("cpu_allocatable", s.cpu_allocatable);
		ADD_NUM("cpu_request", s.cpu_request);
		ADD_NUM("cpu_usage", s.cpu_usage);
		ADD_NUM("mem_capacity", s.mem_capacity);
		ADD_NUM("mem_allocatable", s.mem_allocatable);
		ADD_NUM("mem_request", s.mem_request);
		ADD_NUM("mem_usage", s.mem_usage);
		ADD_NUM("max_cpu", s.max_cpu);
		ADD_NUM("max_memory", s.max_memory);
		ADD_NUM("cpu_allocation_ratio", s.cpu_allocation_ratio);
		ADD_NUM("mem_allocation_ratio", s.mem_allocation_ratio);
#undef ADD_NUM
		if (note.len > 0) {
			cJSON_AddStringToObject(o, "message", note.data);
			ctx_warn(ctx, "cluster '%s': %s", name, note.data);
		} else
			cJSON_AddStringToObject(o, "message", "");
		cJSON_AddItemToArray(out, o);
	}
	ctx_progress_done(ctx);
	store_unlock(lock);
	rc = out_list(ctx, out, collect_cols, err);
	cJSON_Delete(out);
	cJSON_Delete(clusters);
	es_buf_release(&note);
	if (rc == 0 && failed > 0) {
		es_err_set(err, first.code ? first.code : ES_EREMOTE,
		    first.reason, "%d of %d cluster%s not fully collected; "
		    "first: %s", failed, total, total == 1 ? "" : "s",
		    first.msg);
		return -1;
	}
	return rc;
}

static int
cmd_snapshot_import(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct snapshot *rows = NULL;
	long long cluster;
	size_t n = 0, i, added = 0;
	int inserted, rc = -1;
	cJSON *obj;

	if (ctx_cluster_opt(ctx, args, &cluster, err) == -1)
		return -1;
	if (snapshot_parse_file(ctx->store, args->argv[0],
	    args_get(args, "format"), cluster, ctx->now, &rows, &n, err) == -1)
		return -1;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: %zu snapshot%s in '%s' are valid; "
		    "nothing imported", n, n == 1 ? "" : "s", args->argv[0]);
		free(rows);
		return 0;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		if (snapshot_insert(ctx->store, &rows[i], ctx->now, &inserted,
		    err) == -1) {
			store_rollback(ctx->store);
			goto done;
		}
		added += (size_t)inserted;
	}
	if (store_commit(ctx->store, err) == -1)
		goto done;
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "file", args->argv[0]);
	cJSON_AddNumberToObject(obj, "imported", (double)added);
	cJSON_AddNumberToObject(obj, "already_present", (double)(n - added));
	if (n > added)
		rc = out_ok(ctx, obj, "imported %zu snapshot%s from '%s' (%zu "
		    "already present)", added, added == 1 ? "" : "s",
		    args->argv[0], n - added);
	else
		rc = out_ok(ctx, obj, "imported %zu snapshot%s from '%s'",
		    added, added == 1 ? "" : "s", args->argv[0]);
	cJSON_Delete(obj);
done:
	free(rows);
	return rc;
}

static int
cmd_snapshot_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct snapshot_filter f;
	const char *v;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	if ((v = args_get(args, "since")) != NULL && util_since_parse(v,
	    "--since", ctx->now, &f.since, err) == -1)
		return -1;
	if ((v = args_get(args, "until")) != NULL && util_time_parse(v,
	    "--until", ctx->now, &f.until, err) == -1)
		return -1;
	if ((v = args_get(args, "resource-type")) != NULL)
		f.resource_type = v;
	if (args_int(args, "limit", 0, 10000000, 100, &f.limit, err) == -1 ||
	    args_int(args, "offset", 0, 1LL << 40, 0, &f.offset, err) == -1)
		return -1;
	if (snapshot_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, snapshot_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_snapshot_prune(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long cluster, secs, count;
	char when[UTIL_TIME_LEN];
	cJSON *obj;
	int rc;

	if (util_parse_duration(args_get(args, "older-than"),
	    "--older-than", &secs, err) == -1)
		return -1;
	if (secs < 3600)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "--older-than '%s': at least 1h", args_get(args,
		    "older-than"));
	if (ctx_cluster_opt(ctx, args, &cluster, err) == -1)
		return -1;
	util_time_format(ctx->now - (time_t)secs, when);
	if (ctx_confirm(ctx, err, "delete the snapshots collected before %s",
	    when) == -1)
		return -1;
	if (!ctx->dry_run && store_begin(ctx->store, err) == -1)
		return -1;
	if (snapshot_prune(ctx->store, ctx->now - (time_t)secs, cluster,
	    ctx->dry_run, &count, err) == -1) {
		store_rollback(ctx->store);
		return -1;
	}
	if (!ctx->dry_run && store_commit(ctx->store, err) == -1)
		return -1;
	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, ctx->dry_run ? "would_delete" :
	    "deleted", (double)count);
	cJSON_AddStringToObject(obj, "before", when);
	rc = out_ok(ctx, obj, "%s%lld snapshot%s collected before %s %s",
	    ctx->dry_run ? "dry run: " : "", count, count == 1 ? "" : "s",
	    when, ctx->dry_run ? "would be deleted" : "deleted");
	cJSON_Delete(obj);
	return rc;
}

static const struct esctl_opt import_opts[] = {
	{ 'c', "cluster", "CLUSTER", "cluster of rows without a cluster "
	    "field", OPT_STRING, 0, "k8s-cluster" },
	{ 0, "format", "FORMAT", "csv or json (default: by extension or "
	    "content)", OPT_STRING, 0, "=csv json" },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only this cluster", OPT_STRING, 0,
	    "k8s-cluster" },
	{ 0, "since", "TIME", "collected since TIME or for a duration (24h)",
	    OPT_STRING, 0, NULL },
	{ 0, "until", "TIME", "collected at or before TIME", OPT_STRING, 0,
	    NULL },
	{ 0, "resource-type", "TYPE", "only this resource_type (cluster)",
	    OPT_STRING, 0, NULL },
	{ 0, "limit", "N", "at most N rows, newest first (default 100, 0: "
	    "all)", OPT_INT, 0, NULL },
	{ 0, "offset", "N", "skip the first N", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt collect_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only this registered cluster "
	    "(repeatable)", OPT_LIST, 0, "k8s-cluster" },
	OPT_END
};

static const struct esctl_opt prune_opts[] = {
	{ 0, "older-than", "DURATION", "delete snapshots older than this "
	    "(90d)", OPT_STRING, OPT_REQUIRED, NULL },
	{ 'c', "cluster", "CLUSTER", "only this cluster's", OPT_STRING, 0,
	    "k8s-cluster" },
	OPT_END
};

static const struct esctl_verb snapshot_verbs[] = {
	{ "collect", NULL, "record a snapshot of every registered cluster",
	    "For each cluster of 'esctl k8s list' (or --cluster): Nodes, Pods "
	    "and usage from\nmetrics.k8s.io, or from Prometheus when the "
	    "cluster has one (promserver).\nRun it from cron every 5 minutes.  "
	    "A cluster that cannot be read does not stop\nthe others; the exit "
	    "status is then 6.", collect_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_MUTATES, NULL, cmd_snapshot_collect },
	{ "import", "FILE", "import snapshots from CSV or JSON",
	    "For clusters without live access, or history from elsewhere.  "
	    "CSV has a header\nrow of column names; JSON is an array of "
	    "objects or JSON Lines.  Every row\nis checked first: one bad row "
	    "imports nothing.  Rows already present (same\ncluster, "
	    "resource_type and collected_at) are skipped, so importing "
	    "twice is\nharmless.", import_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "file",
	    cmd_snapshot_import },
	{ "list", NULL, "list snapshots, newest first", NULL, list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_snapshot_list },
	{ "prune", NULL, "delete old snapshots",
	    "Snapshots add up: 288 a day per cluster at 5-minute intervals.  "
	    "Run this daily\nfrom cron (with --yes) to keep, say, 90 days.",
	    prune_opts, 0, 0, CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM |
	    CMD_OFFLINE, NULL, cmd_snapshot_prune },
	VERB_END
};

const struct esctl_group esctl_group_snapshot = {
	"snapshot", "cluster resource snapshots",
	"A snapshot records a cluster's capacity, allocatable resources, "
	"requests, usage,\nnode and pod counts at one time.  Strategies "
	"evaluate their time series.",
	snapshot_verbs
};
