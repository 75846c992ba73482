/*
 * device.c - esctl device: the device inventory and node selection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "device.h"
#include "node.h"
#include "nodesel.h"
#include "pool.h"
#include "util.h"

static int	cmd_device_select(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col select_cols[] = {
	{ "RANK", "rank", OUT_COL_RIGHT },
	{ "NODE", "node", OUT_COL_NAME },
	{ "DEVICE", "ci_code", 0 },
	{ "SCORE", "score", OUT_COL_RIGHT },
	{ "CPU_REQ", "factors.cpu_request_ratio", OUT_COL_RIGHT },
	{ "MEM_REQ", "factors.memory_request_ratio", OUT_COL_RIGHT },
	{ "CPU_USE", "factors.cpu_usage_ratio", OUT_COL_RIGHT },
	{ "MEM_USE", "factors.memory_usage_ratio", OUT_COL_RIGHT },
	{ "PODS", "factors.pods", OUT_COL_RIGHT },
	{ "WEIGHT", "factors.pod_weight", OUT_COL_RIGHT },
	{ "DAYS", "factors.days_in_pool", OUT_COL_RIGHT },
	OUT_COL_END
};

static const struct out_col excluded_cols[] = {
	{ "EXCLUDED", "node", OUT_COL_NAME },
	{ "DEVICE", "ci_code", 0 },
	{ "REASON", "reason", 0 },
	OUT_COL_END
};

static int
cmd_device_select(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct nodesel_opts so;
	struct kube_client *kc;
	const char *cluster = args_get(args, "cluster"), **allow = NULL;
	char *sel = NULL;
	cJSON *res = NULL, *cand;
	long long cid, count;
	int n, i, rc = -1;

	memset(&so, 0, sizeof so);
	if (args_int(args, "count", 1, 100000, 1, &count, err) == -1)
		return -1;
	if (pool_cluster_find(ctx->store, cluster, &cid, NULL, err) == -1)
		return -1;
	if (node_selector_canon(args_get(args, "selector"), &sel, err) == -1)
		return -1;
	so.selector = sel;
	so.allow_special = args_has(args, "allow-special");
	so.delete_emptydir = args_has(args, "delete-emptydir-data");
	so.now = ctx->now;
	allow = args_list(args, "allow-taint", &n);
	if (n > 0) {
		so.allow_taints = calloc((size_t)n + 1, sizeof *allow);
		if (so.allow_taints == NULL)
			fatal("out of memory");
		for (i = 0; i < n; i++)
			so.allow_taints[i] = allow[i];
	}
	if (ctx_kube_cluster(ctx, cluster, &kc, err) == -1)
		goto out;
	rc = nodesel_rank(ctx->store, kc, cid, &so, &res, err);
	kube_close(kc);
	if (rc == -1)
		goto out;
	cand = cJSON_GetObjectItem(res, "candidates");
	/* the first N are the selection */
	n = 0;
	for (cJSON *c = cand->child; c != NULL; c = c->next)
		cJSON_AddBoolToObject(c, "selected", n++ < count);
	cJSON_AddNumberToObject(res, "count", (double)count);
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		rc = out_item(ctx, res, "cluster", err);
		goto out;
	}
	rc = out_list(ctx, cand, select_cols, err);
	if (rc == 0 && ctx->output != OUT_NAME &&
	    cJSON_GetArraySize(cJSON_GetObjectItem(res, "excluded")) > 0) {
		fputc('\n', ctx->out);
		rc = out_list(ctx, cJSON_GetObjectItem(res, "excluded"),
		    excluded_cols, err);
	}
	if (rc == 0 && cJSON_GetArraySize(cand) < count)
		ctx_warn(ctx, "only %d of %lld nodes can be removed",
		    cJSON_GetArraySize(cand), count);
out:
	free(so.allow_taints);
	free(sel);
	cJSON_Delete(res);
	return rc;
}

static const struct esctl_opt select_opts[] = {
	{ 'c', "cluster", "CLUSTER", "the registered cluster", OPT_STRING,
	    OPT_REQUIRED, "k8s-cluster" },
	{ 'n', "count", "N", "how many nodes to select (default 1)", OPT_INT,
	    0, NULL },
	{ 'l', "selector", "SEL", "only nodes with these labels (k=v,... or "
	    "JSON)", OPT_STRING, 0, NULL },
	{ 0, "allow-special", NULL, "special devices may be selected",
	    OPT_BOOL, 0, NULL },
	{ 0, "allow-taint", "KEY", "nodes with this taint may be selected "
	    "(repeatable)", OPT_LIST, 0, NULL },
	{ 0, "delete-emptydir-data", NULL,
	    "pods with emptyDir volumes do not exclude a node", OPT_BOOL, 0,
	    NULL },
	OPT_END
};

static const struct esctl_verb device_verbs[] = {
	{ "select", NULL, "rank a cluster's nodes for removal, explained",
	    "The candidates, best first, with their score and its factors, "
	    "then every\nexcluded node with the reason; the first --count are "
	    "what a pool_exit\norder would take.", select_opts, 0, 0,
	    CMD_NEEDS_DB, NULL, cmd_device_select },
	VERB_END
};

const struct esctl_group esctl_group_device = {
	"device", "the device inventory and node selection",
	"Devices are the machines that serve in node pools (seed 003 5.3).",
	device_verbs
};
