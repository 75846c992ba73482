/*
 * order.c - esctl order: elastic scaling orders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "doc.h"
#include "maint.h"
#include "notify.h"
#include "node.h"
#include "order.h"
#include "pool.h"
#include "strategy.h"
#include "util.h"
#include "xmalloc.h"

static int	cmd_order_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_create(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_approve(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_reject(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_cancel(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_execute(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_devices(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_stats(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const char *const order_statuses[] = { "pending", "processing",
    "completed", "failed", "cancelled", "pending_confirmation",
    "scheduled_for_maintenance", "maintenance_in_progress", NULL };
static const char *const order_actions[] = { "pool_entry", "pool_exit",
    "maintenance_request", "maintenance_uncordon", NULL };

static const struct out_col order_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "ORDER", "order_number", OUT_COL_NAME },
	{ "ACTION", "action_type", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "CLUSTER", "cluster_name", 0 },
	{ "STRATEGY", "strategy_name", 0 },
	{ "DEVICES", "device_count", OUT_COL_RIGHT },
	{ "CREATED_BY", "created_by", OUT_COL_WIDE },
	{ "CREATED", "created_at", OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

/* Checks v against a NULL-terminated word list. */
static int
order_word(const char *v, const char *const *words, const char *what,
    struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(v, words[i]) == 0)
			return 0;
	for (i = 0; words[i] != NULL; i++)
		es_buf_addf(&b, "%s%s", i ? ", " : "", words[i]);
	es_err_set(err, ES_EUSAGE, "Invalid", "invalid %s '%s': use %s", what,
	    v, b.data);
	es_buf_release(&b);
	return -1;
}

static int
cmd_order_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct order_filter f;
	const char *v;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	if ((f.status = args_get(args, "status")) != NULL &&
	    order_word(f.status, order_statuses, "--status", err) == -1)
		return -1;
	if ((f.action = args_get(args, "action")) != NULL &&
	    order_word(f.action, order_actions, "--action", err) == -1)
		return -1;
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	if ((v = args_get(args, "strategy")) != NULL &&
	    ctx_strategy_id(ctx, v, &f.strategy_id, err) == -1)
		return -1;
	if ((v = args_get(args, "since")) != NULL && util_since_parse(v,
	    "--since", ctx->now, &f.since, err) == -1)
		return -1;
	if (args_int(args, "limit", 0, 1000000, 0, &f.limit, err) == -1 ||
	    args_int(args, "offset", 0, 1LL << 40, 0, &f.offset, err) == -1)
		return -1;
	if (order_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, order_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_order_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long id;
	cJSON *o;
	int rc;

	if (order_find(ctx->store, args->argv[0], &id, err) == -1 ||
	    order_show(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_item(ctx, o, "order_number", err);
	cJSON_Delete(o);
	return rc;
}

static int
cmd_order_create(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct order_spec sp;
	char num[ORDER_NUMBER_LEN];
	long long id;
	cJSON *o;
	int rc;

	memset(&sp, 0, sizeof sp);
	if (pool_cluster_find(ctx->store, args_get(args, "cluster"),
	    &sp.cluster_id, NULL, err) == -1)
		return -1;
	sp.action = args_get(args, "action");
	if (order_word(sp.action, order_actions, "--action", err) == -1)
		return -1;
	if (strcmp(sp.action, "pool_entry") != 0 &&
	    strcmp(sp.action, "pool_exit") != 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid --action "
		    "'%s': a manual order is pool_entry or pool_exit",
		    sp.action);
	if (args_int(args, "count", 1, 1000, 1, &sp.count, err) == -1)
		return -1;
	sp.selector = args_get(args, "selector");
	sp.reason = args_get(args, "reason");
	sp.created_by = ctx_actor(ctx);
	if (ctx->dry_run) {
		char *sel = NULL;

		if (node_selector_canon(sp.selector, &sel, err) == -1)
			return -1;
		free(sel);
		return out_ok(ctx, NULL, "order would be created (dry run)");
	}
	if (order_create(ctx->store, &sp, ctx->now, &id, num, err) == -1)
		return -1;
	ctx_order_notify(ctx, id, "order_created");
	if (order_show(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_ok(ctx, o, "order %s created (pending)", num);
	cJSON_Delete(o);
	return rc;
}

/* The common tail of approve/reject/cancel: notify and report. */
static int
order_done(struct esctl_ctx *ctx, const char *ref, const char *event,
    const char *what, struct es_err *err)
{
	long long id;
	cJSON *o;
	int rc;

	if (order_find(ctx->store, ref, &id, err) == -1)
		return -1;
	ctx_order_notify(ctx, id, event);
	if (order_show(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_ok(ctx, o, "order %s %s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "order_number")),
	    what);
	cJSON_Delete(o);
	return rc;
}

/* A dry run: the order must exist and be pending. */
static int
order_dry(struct esctl_ctx *ctx, const char *ref, struct es_err *err)
{
	long long id;
	cJSON *o;
	const char *st;
	int rc = 0;

	if (order_find(ctx->store, ref, &id, err) == -1 ||
	    order_show(ctx->store, id, &o, err) == -1)
		return -1;
	st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"));
	if (strcmp(st, "pending") != 0)
		rc = es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is "
		    "%s, not pending", cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "order_number")), st);
	else
		out_ok(ctx, NULL, "order %s is pending (dry run: unchanged)",
		    cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "order_number")));
	cJSON_Delete(o);
	return rc;
}

static int
cmd_order_approve(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	if (ctx->dry_run)
		return order_dry(ctx, args->argv[0], err);
	if (order_approve(ctx->store, args->argv[0], ctx_actor(ctx),
	    ctx->now, err) == -1)
		return -1;
	return order_done(ctx, args->argv[0], "order_approved",
	    "approved (processing)", err);
}

static int
cmd_order_reject(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *why = args_get(args, "reason");

	if (why == NULL || *why == '\0')
		return es_err_set(err, ES_EUSAGE, "Usage", "order reject "
		    "needs --reason");
	if (ctx->dry_run)
		return order_dry(ctx, args->argv[0], err);
	if (order_reject(ctx->store, args->argv[0], ctx_actor(ctx), why,
	    ctx->now, err) == -1)
		return -1;
	return order_done(ctx, args->argv[0], "order_rejected",
	    "rejected (cancelled)", err);
}

static int
cmd_order_cancel(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	if (ctx->dry_run)
		return order_dry(ctx, args->argv[0], err);
	if (order_cancel(ctx->store, args->argv[0], ctx_actor(ctx),
	    args_get(args, "reason"), ctx->now, err) == -1)
		return -1;
	return order_done(ctx, args->argv[0], "order_cancelled", "cancelled",
	    err);
}

/* Progress of an execution: one line on stderr each (not with -q). */
static void
order_progress(void *arg, const char *line)
{
	ctx_info(arg, "%s", line);
}

/* The order: section of the configuration, for cluster (cmd.h). */
int
order_exec_config(struct esctl_ctx *ctx, const char *cluster,
    struct order_exec_opts *o, struct es_err *err)
{
	const struct doc_node *n;
	const char *v;
	long long ll;
	int b;

	if (config_get_bool(ctx->cfg, "order.require_approval", 1, &b,
	    err) == -1)
		return -1;
	o->require_approval = b;
	if (config_get_int(ctx->cfg, "order.min_pool_size", 1,
	    &o->min_pool_size, err) == -1 ||
	    config_get_int(ctx->cfg, "order.max_not_ready", 0,
	    &o->max_not_ready, err) == -1)
		return -1;
	n = config_node(ctx->cfg, "order.min_pool_size_per_cluster");
	if (n != NULL && cluster != NULL && (n = doc_get(n, cluster)) != NULL &&
	    (v = doc_scalar(n)) != NULL) {
		if (util_parse_int(v, "order.min_pool_size_per_cluster", 0,
		    1000000, &ll, err) == -1)
			return -1;
		o->min_pool_size = ll;
	}
	if (config_get_duration_ms(ctx->cfg, "order.drain_timeout", 300000,
	    &ll, err) == -1)
		return -1;
	o->drain_timeout_ms = (long)ll;
	if (config_get_duration_ms(ctx->cfg, "order.ready_timeout", 600000,
	    &ll, err) == -1)
		return -1;
	o->ready_timeout_ms = (long)ll;
	if (config_get_bool(ctx->cfg, "order.delete_emptydir_data", 0, &b,
	    err) == -1)
		return -1;
	o->delete_emptydir = b;
	o->provision_url = config_get(ctx->cfg, "order.provision_url");
	o->provision_token = config_get(ctx->cfg, "order.provision_token");
	o->pool_label = config_get(ctx->cfg, "order.pool_label");
	if ((v = getenv("ESCTL_DRAIN_RETRY")) != NULL &&
	    util_parse_duration_ms(v, "ESCTL_DRAIN_RETRY", &ll, err) == 0)
		o->drain_retry_ms = (long)ll;
	return 0;
}

/*
 * Execution of a maintenance_uncordon order (esctl-maintenance(1)):
 * uncordon the node of the finished maintenance, wait for Ready, close
 * both orders.  Takes cluster.
 */
static int
order_execute_uncordon(struct esctl_ctx *ctx, struct esctl_args *args,
    long long id, char *cluster, struct es_err *err)
{
	struct maint_exec_opts xo;
	struct kube_client *kc;
	const char *v;
	long long ms;
	cJSON *res;
	int rc;

	memset(&xo, 0, sizeof xo);
	if ((v = args_get(args, "timeout")) != NULL) {
		if (util_parse_duration_ms(v, "--timeout", &ms, err) == -1) {
			free(cluster);
			return -1;
		}
		xo.timeout_ms = ms > 0 ? (long)ms : 1;
	}
	xo.dry_run = ctx->dry_run;
	xo.progress = order_progress;
	xo.progress_arg = ctx;
	rc = ctx_kube_cluster(ctx, cluster, &kc, err);
	free(cluster);
	if (rc == -1)
		return -1;
	rc = maint_uncordon_execute(ctx->store, kc, id, &xo, ctx_actor(ctx),
	    ctx->now, err);
	kube_close(kc);
	if (rc == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "order %s: dry run, nothing changed",
		    args->argv[0]);
	maint_deliver(ctx);
	ctx_order_notify(ctx, id, "order_completed");
	if (order_show(ctx->store, id, &res, err) == -1)
		return -1;
	rc = out_ok(ctx, res, "order %s completed",
	    cJSON_GetStringValue(cJSON_GetObjectItem(res, "order_number")));
	cJSON_Delete(res);
	return rc;
}

static int
cmd_order_execute(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct order_exec_opts o;
	struct kube_client *kc;
	const char *v;
	long long id, ms;
	cJSON *row, *res = NULL;
	char *cluster;
	int rc, maint;

	memset(&o, 0, sizeof o);
	if (order_find(ctx->store, args->argv[0], &id, err) == -1 ||
	    store_query_row_json(ctx->store, err, &row, "SELECT c.clustername, "
	    "o.action_type FROM elastic_scaling_order o JOIN k8s_cluster c "
	    "ON c.id = o.cluster_id WHERE o.id = ?", "i", id) == -1)
		return -1;
	if (row == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order %s has "
		    "no registered cluster", args->argv[0]);
	cluster = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "clustername")));
	maint = strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "action_type")), "maintenance_uncordon") == 0;
	cJSON_Delete(row);
	if (maint)
		return order_execute_uncordon(ctx, args, id, cluster, err);
	rc = order_exec_config(ctx, cluster, &o, err);
	if (rc == 0 && (v = args_get(args, "timeout")) != NULL) {
		rc = util_parse_duration_ms(v, "--timeout", &ms, err);
		o.drain_timeout_ms = o.ready_timeout_ms = (long)ms;
	}
	if (rc == -1) {
		free(cluster);
		return -1;
	}
	o.actor = ctx_actor(ctx);
	o.now = ctx->now;
	o.dry_run = ctx->dry_run;
	o.progress = order_progress;
	o.progress_arg = ctx;
	rc = ctx_kube_cluster(ctx, cluster, &kc, err);
	free(cluster);
	if (rc == -1)
		return -1;
	rc = order_execute(ctx->store, kc, args->argv[0], &o, &res, err);
	kube_close(kc);
	if (!ctx->dry_run && (rc == 0 || (err->code != ES_ENOTFOUND &&
	    strcmp(err->reason, "Locked") != 0 &&
	    strcmp(err->reason, "WrongState") != 0))) {
		/* completed or failed: the person on duty hears of it */
		ctx_order_notify(ctx, id, rc == 0 ? "order_completed" :
		    "order_failed");
	}
	if (rc == -1)
		return -1;
	if (ctx->dry_run) {
		cJSON_Delete(res);
		return out_ok(ctx, NULL, "order %s: dry run, nothing changed",
		    args->argv[0]);
	}
	rc = out_ok(ctx, res, "order %s completed",
	    cJSON_GetStringValue(cJSON_GetObjectItem(res, "order_number")));
	cJSON_Delete(res);
	return rc;
}

static const struct out_col device_cols[] = {
	{ "SLOT", "slot", OUT_COL_RIGHT },
	{ "DEVICE", "ci_code", OUT_COL_NAME },
	{ "IP", "ip", 0 },
	{ "NODE", "node_name", 0 },
	{ "PHASE", "phase", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "FAILURE", "failure_reason", 0 },
	{ "UPDATED", "updated_at", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_order_devices(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long id;
	cJSON *o;
	int rc;

	if (order_find(ctx->store, args->argv[0], &id, err) == -1 ||
	    order_show(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_list(ctx, cJSON_GetObjectItem(o, "devices"), device_cols,
	    err);
	cJSON_Delete(o);
	return rc;
}

static const struct out_col stats_cols[] = {
	{ "ACTION", "action_type", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "ORDERS", "orders", OUT_COL_RIGHT },
	{ "DEVICES", "devices", OUT_COL_RIGHT },
	{ "MEAN_MINUTES", "mean_minutes_to_complete", OUT_COL_RIGHT },
	OUT_COL_END
};

static int
cmd_order_stats(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct order_stats_filter f;
	const char *v;
	cJSON *res;
	int rc;

	memset(&f, 0, sizeof f);
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	v = args_get(args, "since");
	if (util_since_parse(v ? v : "30d", "--since", ctx->now, &f.since,
	    err) == -1)
		return -1;
	if (order_stats(ctx->store, &f, &res, err) == -1)
		return -1;
	rc = out_list(ctx, res, stats_cols, err);
	cJSON_Delete(res);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 0, "status", "STATUS", "only orders in this status", OPT_STRING, 0,
	    "=pending processing completed failed cancelled "
	    "pending_confirmation scheduled_for_maintenance "
	    "maintenance_in_progress" },
	{ 'a', "action", "ACTION", "only this action_type", OPT_STRING, 0,
	    "=pool_entry pool_exit maintenance_request maintenance_uncordon" },
	{ 'c', "cluster", "CLUSTER", "only orders for this cluster",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 's', "strategy", "STRATEGY", "only orders of this strategy",
	    OPT_STRING, 0, "strategy" },
	{ 0, "since", "TIME", "created since TIME or for a duration (7d)",
	    OPT_STRING, 0, NULL },
	{ 0, "limit", "N", "at most N orders, newest first", OPT_INT, 0,
	    NULL },
	{ 0, "offset", "N", "skip the first N", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt create_opts[] = {
	{ 'c', "cluster", "CLUSTER", "the cluster whose pool changes",
	    OPT_STRING, OPT_REQUIRED, "k8s-cluster" },
	{ 'a', "action", "ACTION", "pool_entry or pool_exit", OPT_STRING,
	    OPT_REQUIRED, "=pool_entry pool_exit" },
	{ 0, "count", "N", "devices to add or remove (default 1)",
	    OPT_INT, 0, NULL },
	{ 'l', "selector", "SEL",
	    "only nodes/devices with these labels (k=v,... or JSON)",
	    OPT_STRING, 0, NULL },
	{ 0, "reason", "TEXT", "why (shown in the order's history)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt reject_opts[] = {
	{ 0, "reason", "TEXT", "why the order is rejected (required)",
	    OPT_STRING, OPT_REQUIRED, NULL },
	OPT_END
};

static const struct esctl_opt cancel_opts[] = {
	{ 0, "reason", "TEXT", "why the order is cancelled", OPT_STRING, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt execute_opts[] = {
	{ 0, "timeout", "DURATION", "drain of one node / Ready wait at most "
	    "(default: order.drain_timeout)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt stats_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only this cluster's orders", OPT_STRING,
	    0, "k8s-cluster" },
	{ 0, "since", "TIME", "created since TIME or for a duration (default "
	    "30d)", OPT_STRING, 0, "=7d 30d 90d" },
	OPT_END
};

static const struct esctl_verb order_verbs[] = {
	{ "list", NULL, "list scaling orders, newest first", "With -w, "
	    "prints the orders that are new or changed (updated_at, status) "
	    "until\ninterrupted.", list_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE |
	    CMD_WATCH, NULL, cmd_order_list },
	{ "show", "ORDER", "show an order, its devices and its trigger",
	    "ORDER is an order number (ESO-20240101-000001) or an id.", NULL,
	    1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "order", cmd_order_show },
	{ "create", NULL, "create a manual pool_entry or pool_exit order",
	    "The order is pending until approved (or executed, when\n"
	    "order.require_approval is false).", create_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_MUTATES, NULL, cmd_order_create },
	{ "approve", "ORDER", "approve a pending order (it becomes processing)",
	    NULL, NULL, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "order",
	    cmd_order_approve },
	{ "reject", "ORDER", "reject a pending order (it becomes cancelled)",
	    NULL, reject_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "order",
	    cmd_order_reject },
	{ "cancel", "ORDER", "cancel a pending order", NULL, cancel_opts, 1,
	    1, CMD_NEEDS_DB | CMD_MUTATES, "order", cmd_order_cancel },
	{ "execute", "ORDER", "carry out an approved pool order (resumable)",
	    "Selects, cordons, drains and deletes nodes (pool_exit) or brings "
	    "devices\ninto the pool (pool_entry); run it again after an "
	    "interruption.", execute_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES,
	    "order", cmd_order_execute },
	{ "devices", "ORDER", "the devices of an order, with their phase",
	    NULL, NULL, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "order",
	    cmd_order_devices },
	{ "stats", NULL, "orders per action and status, mean time to "
	    "completion", NULL, stats_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE,
	    NULL, cmd_order_stats },
	VERB_END
};

const struct esctl_group esctl_group_order = {
	"order", "elastic scaling orders",
	"Orders add devices to a cluster's pool (pool_entry) or remove them "
	"(pool_exit);\n'esctl strategy check' creates them as pending.",
	order_verbs
};
