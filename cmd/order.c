/*
 * order.c - esctl order: elastic scaling orders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "order.h"
#include "pool.h"
#include "strategy.h"
#include "util.h"

static int	cmd_order_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_order_show(struct esctl_ctx *, struct esctl_args *,
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
	struct strategy s;
	const char *v;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	f.cluster_id = -1;
	if ((f.status = args_get(args, "status")) != NULL &&
	    order_word(f.status, order_statuses, "--status", err) == -1)
		return -1;
	if ((f.action = args_get(args, "action")) != NULL &&
	    order_word(f.action, order_actions, "--action", err) == -1)
		return -1;
	if ((v = args_get(args, "cluster")) != NULL &&
	    pool_cluster_find(ctx->store, v, &f.cluster_id, NULL, err) == -1)
		return -1;
	if ((v = args_get(args, "strategy")) != NULL) {
		strategy_init(&s);
		rc = strategy_load(ctx->store, v, &s, err);
		f.strategy_id = s.id;
		strategy_release(&s);
		if (rc == -1)
			return -1;
	}
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

static const struct esctl_verb order_verbs[] = {
	{ "list", NULL, "list scaling orders, newest first", "With -w, "
	    "prints the orders that are new or changed (updated_at, status) "
	    "until\ninterrupted.", list_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE |
	    CMD_WATCH, NULL, cmd_order_list },
	{ "show", "ORDER", "show an order, its devices and its trigger",
	    "ORDER is an order number (ESO-20240101-000001) or an id.", NULL,
	    1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "order", cmd_order_show },
	VERB_END
};

const struct esctl_group esctl_group_order = {
	"order", "elastic scaling orders",
	"Orders add devices to a cluster's pool (pool_entry) or remove them "
	"(pool_exit);\n'esctl strategy check' creates them as pending.",
	order_verbs
};
