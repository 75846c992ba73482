/*
 * node.c - esctl node: cordon, uncordon, drain and delete Nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "device.h"
#include "node.h"
#include "pool.h"
#include "util.h"

static int	cmd_node_cordon(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_node_uncordon(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_node_drain(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_node_delete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	node_client(struct esctl_ctx *, struct esctl_args *,
		    struct kube_client **, int *, struct es_err *);
static void	node_release(struct kube_client *, int);
static void	node_progress(void *, const char *);
static void	node_device(struct esctl_ctx *, struct esctl_args *,
		    struct kube_client *, const char *, const char *);

static const struct out_col drain_cols[] = {
	{ "NAMESPACE", "namespace", 0 },
	{ "POD", "name", OUT_COL_NAME },
	{ "OWNER", "owner", 0 },
	{ "ACTION", "action", 0 },
	{ "RESULT", "result", OUT_COL_STATUS },
	{ "WHY", "why", 0 },
	OUT_COL_END
};

/*
 * The client of --cluster (a registered cluster; *own set: close it), or
 * of the ambient kubeconfig and context.
 */
static int
node_client(struct esctl_ctx *ctx, struct esctl_args *args,
    struct kube_client **kc, int *own, struct es_err *err)
{
	const char *c = args_get(args, "cluster");

	*own = c != NULL;
	if (c != NULL)
		return ctx_kube_cluster(ctx, c, kc, err);
	return ctx_kube(ctx, kc, err);
}

static void
node_release(struct kube_client *kc, int own)
{
	if (own)
		kube_close(kc);
}

/* Progress of a drain: one line on stderr each (not with -q). */
static void
node_progress(void *arg, const char *line)
{
	ctx_info(arg, "%s", line);
}

/*
 * Keeps the device of a registered cluster's node in step (a warning when
 * that fails: the Kubernetes change is done).
 */
static void
node_device(struct esctl_ctx *ctx, struct esctl_args *args,
    struct kube_client *kc, const char *name, const char *status)
{
	struct es_err e2 = ES_ERR_INIT;
	const char *c = args_get(args, "cluster");
	long long cid, dev = 0;
	cJSON *node = NULL;

	if (c == NULL || ctx->dry_run || ctx->store == NULL ||
	    store_readonly(ctx->store))
		return;
	if (pool_cluster_find(ctx->store, c, &cid, NULL, &e2) == -1)
		goto fail;
	if (strcmp(status, "available") == 0) {
		/* the node is gone: match by name only */
		if (store_query_int(ctx->store, &e2, &dev, 0, "SELECT id FROM "
		    "device WHERE deleted_at IS NULL AND cluster_id = ? AND "
		    "ci_code = ? LIMIT 1", "is", cid, name) == -1)
			goto fail;
	} else {
		if (node_get(kc, name, &node, &e2) == -1 ||
		    device_for_node(ctx->store, cid, node, &dev, &e2) == -1)
			goto fail;
	}
	if (dev > 0 && device_set_status(ctx->store, dev, status, cid,
	    ctx->now, &e2) == -1)
		goto fail;
	cJSON_Delete(node);
	return;
fail:
	cJSON_Delete(node);
	ctx_warn(ctx, "device of node '%s' not updated: %s", name, e2.msg);
}

static int
node_cordon_cmd(struct esctl_ctx *ctx, struct esctl_args *args, int on,
    struct es_err *err)
{
	struct kube_client *kc;
	const char *name = args->argv[0];
	int own, changed, rc;

	if (node_client(ctx, args, &kc, &own, err) == -1)
		return -1;
	rc = node_cordon(kc, name, on, ctx->dry_run, &changed, err);
	if (rc == 0 && changed)
		node_device(ctx, args, kc, name, on ? "cordoned" : "in_pool");
	node_release(kc, own);
	if (rc == -1)
		return -1;
	return out_ok(ctx, NULL, "node/%s %s%s", name, changed ? (on ?
	    "cordoned" : "uncordoned") : (on ? "already cordoned" :
	    "already uncordoned"), ctx->dry_run && changed ? " (dry run)" :
	    "");
}

static int
cmd_node_cordon(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	return node_cordon_cmd(ctx, args, 1, err);
}

static int
cmd_node_uncordon(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	return node_cordon_cmd(ctx, args, 0, err);
}

static int
cmd_node_drain(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct node_drain_opts o = NODE_DRAIN_OPTS_INIT;
	struct es_err e2 = ES_ERR_INIT;
	struct kube_client *kc;
	const char *v, *name = args->argv[0];
	cJSON *pods = NULL;
	long long ms, grace;
	int own, rc;

	o.force = args_has(args, "force");
	o.delete_emptydir = args_has(args, "delete-emptydir-data");
	o.dry_run = ctx->dry_run;
	o.timeout_ms = 300000;
	if ((v = args_get(args, "timeout")) != NULL) {
		if (util_parse_duration_ms(v, "--timeout", &ms, err) == -1)
			return -1;
		o.timeout_ms = ms > 0 ? (long)ms : 1;
	}
	if (args_int(args, "grace-period", -1, 86400, -1, &grace, err) == -1)
		return -1;
	if (grace >= 0) {
		o.grace_set = 1;
		o.grace_seconds = (long)grace;
	}
	o.progress = node_progress;
	o.progress_arg = ctx;
	if (node_client(ctx, args, &kc, &own, err) == -1)
		return -1;
	if ((v = getenv("ESCTL_DRAIN_RETRY")) != NULL &&
	    util_parse_duration_ms(v, "ESCTL_DRAIN_RETRY", &ms, err) == 0)
		o.retry_ms = o.retry_max_ms = (long)ms;
	rc = node_drain(kc, name, &o, &pods, err);
	if (rc == 0)
		node_device(ctx, args, kc, name, "cordoned");
	node_release(kc, own);
	if (rc == -1) {
		/* a dry run shows its plan, refusals included */
		if (ctx->dry_run && pods != NULL)
			out_list(ctx, pods, drain_cols, &e2);
		cJSON_Delete(pods);
		return -1;
	}
	if (ctx->dry_run || ctx->output == OUT_JSON ||
	    ctx->output == OUT_YAML || ctx->output == OUT_WIDE)
		rc = out_list(ctx, pods, drain_cols, err);
	else
		rc = out_ok(ctx, pods, "node/%s drained", name);
	cJSON_Delete(pods);
	return rc;
}

static int
cmd_node_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	const char *name = args->argv[0];
	int own, rc, gone;

	if (!ctx->dry_run && ctx_confirm(ctx, err, "delete node '%s'",
	    name) == -1)
		return -1;
	if (node_client(ctx, args, &kc, &own, err) == -1)
		return -1;
	rc = node_delete(kc, name, args_has(args, "force"), ctx->dry_run,
	    &gone, err);
	if (rc == 0)
		node_device(ctx, args, kc, name, "available");
	node_release(kc, own);
	if (rc == -1)
		return -1;
	return out_ok(ctx, NULL, "node/%s %s", name, ctx->dry_run ?
	    "would be deleted (dry run)" : gone ? "already gone" : "deleted");
}

static const struct esctl_opt cordon_opts[] = {
	{ 'c', "cluster", "CLUSTER",
	    "a registered cluster (default: the kubeconfig context)",
	    OPT_STRING, 0, "k8s-cluster" },
	OPT_END
};

static const struct esctl_opt drain_opts[] = {
	{ 'c', "cluster", "CLUSTER",
	    "a registered cluster (default: the kubeconfig context)",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "force", NULL, "also evict pods no controller manages",
	    OPT_BOOL, 0, NULL },
	{ 0, "delete-emptydir-data", NULL,
	    "also evict pods with emptyDir volumes (their data is lost)",
	    OPT_BOOL, 0, NULL },
	{ 0, "timeout", "DURATION",
	    "give up after this long (default 5m)", OPT_STRING, 0, NULL },
	{ 0, "grace-period", "SECONDS",
	    "termination grace period of evicted pods (default: each pod's)",
	    OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt delete_opts[] = {
	{ 'c', "cluster", "CLUSTER",
	    "a registered cluster (default: the kubeconfig context)",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "force", NULL, "delete even if not cordoned and drained",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_verb node_verbs[] = {
	{ "cordon", "NODE", "mark a node unschedulable",
	    "A strategic merge PATCH of spec.unschedulable, as kubectl "
	    "cordon sends.", cordon_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES,
	    "node", cmd_node_cordon },
	{ "uncordon", "NODE", "mark a node schedulable again", NULL,
	    cordon_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "node",
	    cmd_node_uncordon },
	{ "drain", "NODE", "cordon a node and evict its pods",
	    "Evicts through the Eviction API, honouring PodDisruptionBudgets;"
	    "\nskips DaemonSet and mirror pods; refuses bare pods, emptyDir "
	    "pods\nand pods annotated safe-to-evict: \"false\" (see "
	    "esctl-node(1)).", drain_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES,
	    "node", cmd_node_drain },
	{ "delete", "NODE", "delete a drained node", NULL, delete_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM, "node",
	    cmd_node_delete },
	VERB_END
};

const struct esctl_group esctl_group_node = {
	"node", "Kubernetes nodes of a pool: cordon, drain, delete",
	"Node operations with the safety rules of kubectl drain and the "
	"Cluster\nAutoscaler; order execution uses the same code.",
	node_verbs
};
