/*
 * deployment.c - esctl deployment: the DeploymentStatus records of the
 * ES services (seed 000 16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "lifecycle.h"

static int	cmd_deployment_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_deployment_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_deployment_set_status(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	deployment_one(struct esctl_ctx *, const char *, cJSON **,
		    struct es_err *);

static const struct out_col deployment_cols[] = {
	{ "NAMESPACE", "namespace", OUT_COL_NAME },
	{ "ORG", "tenant_org_id", 0 },
	{ "USER", "user", 0 },
	{ "SERVICE", "service_name", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "REPLICAS", "replicas", OUT_COL_RIGHT },
	{ "CPU%", "cpu_usage", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "MEM%", "memory_usage", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "QPS", "qps", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "UPDATED", "updated_at", OUT_COL_AGE | OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	{ "MESSAGE", "message", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_deployment_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct cluster_filter f;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	if (lc_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1 ||
	    lc_user(ctx, args_get(args, "user"), &f.user, err) == -1)
		return -1;
	f.service = args_get(args, "service");
	f.status = args_get(args, "status");
	f.include_deleted = args_has(args, "all");
	if (cluster_deployments(ctx->store, &f, NULL, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, deployment_cols, err);
	cJSON_Delete(list);
	return rc;
}

/* The record of a namespace, within the tenant scope. */
static int
deployment_one(struct esctl_ctx *ctx, const char *ns, cJSON **out,
    struct es_err *err)
{
	struct cluster_filter f;
	cJSON *list, *item;

	*out = NULL;
	memset(&f, 0, sizeof f);
	if (cluster_deployments(ctx->store, &f, ns, &list, err) == -1)
		return -1;
	item = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	if (item == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound",
		    "no deployment in namespace '%s'", ns);
	if (ctx_scope_check(ctx, cJSON_GetStringValue(cJSON_GetObjectItem(
	    item, "tenant_org_id")), cJSON_GetStringValue(cJSON_GetObjectItem(
	    item, "user")), err) == -1) {
		cJSON_Delete(item);
		return -1;
	}
	*out = item;
	return 0;
}

static int
cmd_deployment_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	cJSON *item;
	int rc;

	if (deployment_one(ctx, args->argv[0], &item, err) == -1)
		return -1;
	rc = out_item(ctx, item, "namespace", err);
	cJSON_Delete(item);
	return rc;
}

static int
cmd_deployment_set_status(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *ns = args->argv[0], *status = args->argv[1];
	cJSON *item;
	int i, ok = 0, rc;

	for (i = 0; cluster_statuses[i] != NULL; i++)
		if (strcmp(cluster_statuses[i], status) == 0)
			ok = 1;
	if (!ok)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid status "
		    "'%s': use creating, created, running, scaling, error, "
		    "failed, deleting or deleted", status);
	if (deployment_one(ctx, ns, &item, err) == -1)
		return -1;
	cJSON_Delete(item);
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "dry run: deployment '%s' would be "
		    "set to %s", ns, status);
	if (cluster_meta_set_status(ctx->store, ns, status,
	    args_get(args, "message"), lc_now(ctx), err) == -1)
		return -1;
	if (deployment_one(ctx, ns, &item, err) == -1)
		return -1;
	rc = out_ok(ctx, item, "deployment '%s' is now %s", ns, status);
	cJSON_Delete(item);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "only this user", OPT_STRING, 0, "user" },
	{ 's', "service", "SERVICE", "only this service", OPT_STRING, 0,
	    "service" },
	{ 0, "status", "STATUS", "only this status", OPT_STRING, 0,
	    "=creating created running scaling error failed deleting "
	    "deleted" },
	{ 'A', "all", NULL, "include deleted deployments", OPT_BOOL, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt show_opts[] = {
	OPT_END
};

static const struct esctl_opt set_status_opts[] = {
	{ 'm', "message", "TEXT", "why (stored with the status)", OPT_STRING,
	    0, NULL },
	OPT_END
};

static const struct esctl_verb deployment_verbs[] = {
	{ "list", NULL, "list deployment states",
	    "The DeploymentStatus records: one per namespace an ES service "
	    "was created in,\nwith its status (creating, created, running, "
	    "scaling, error, failed, deleted)\nand the last usage figures.  "
	    "Deleted deployments only with --all.", list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_deployment_list },
	{ "show", "NAMESPACE", "show one deployment state", NULL, show_opts,
	    1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "namespace",
	    cmd_deployment_show },
	{ "set-status", "NAMESPACE STATUS", "set a deployment's status",
	    "Records a status by hand (the seed's PUT /metadata/deployments/"
	    "{ns}), e.g. after\nrepairing a service outside esctl.  The "
	    "TenantContainer, if any, follows.", set_status_opts, 2, 2,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "namespace",
	    cmd_deployment_set_status },
	VERB_END
};

const struct esctl_group esctl_group_deployment = {
	"deployment", "deployment states of ES services",
	"Each ES service has one DeploymentStatus per namespace, kept "
	"after deletion\n(status deleted) as the record of what ran there.",
	deployment_verbs
};
