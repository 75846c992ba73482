/*
 * snapshot.c - esctl snapshot: cluster resource snapshots (collect from
 * the clusters, import from files, list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pool.h"
#include "snapshot.h"
#include "util.h"

static int	cmd_snapshot_import(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_snapshot_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_snapshot_prune(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

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

static int
cmd_snapshot_import(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct snapshot *rows = NULL;
	const char *v;
	long long cluster = -1;
	size_t n = 0, i, added = 0;
	int inserted, rc = -1;
	cJSON *obj;

	if ((v = args_get(args, "cluster")) != NULL &&
	    pool_cluster_find(ctx->store, v, &cluster, NULL, err) == -1)
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
	f.cluster_id = -1;
	if ((v = args_get(args, "cluster")) != NULL &&
	    pool_cluster_find(ctx->store, v, &f.cluster_id, NULL, err) == -1)
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
	const char *v;
	long long cluster = -1, secs, count;
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
	if ((v = args_get(args, "cluster")) != NULL &&
	    pool_cluster_find(ctx->store, v, &cluster, NULL, err) == -1)
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

static const struct esctl_opt prune_opts[] = {
	{ 0, "older-than", "DURATION", "delete snapshots older than this "
	    "(90d)", OPT_STRING, OPT_REQUIRED, NULL },
	{ 'c', "cluster", "CLUSTER", "only this cluster's", OPT_STRING, 0,
	    "k8s-cluster" },
	OPT_END
};

static const struct esctl_verb snapshot_verbs[] = {
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
