/*
 * tenant.c - esctl tenant: tenant containers, quotas and usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "quantity.h"
#include "tenant.h"
#include "usage.h"
#include "util.h"

static int	cmd_tenant_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_tenant_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_tenant_containers(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_tenant_quota_get(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_tenant_quota_set(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_tenant_quota_list(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	cmd_tenant_usage(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col tenant_cols[] = {
	{ "NAMESPACE", "namespace", OUT_COL_NAME },
	{ "ORG", "tenant_org_id", 0 },
	{ "USER", "user", 0 },
	{ "SERVICE", "service_name", 0 },
	{ "REPLICAS", "replicas", OUT_COL_RIGHT },
	{ "CPU", "cpu", 0 },
	{ "MEMORY", "memory", 0 },
	{ "DISK", "disk", 0 },
	{ "GPU", "gpu_count", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "DIMENSION", "dimension", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "VECTORS", "vector_count", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "SYNCED", "sync_time", OUT_COL_AGE | OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

static const struct out_col quota_cols[] = {
	{ "RESOURCE", "resource", OUT_COL_NAME },
	{ "USED", "used", OUT_COL_RIGHT },
	{ "LIMIT", "limit", OUT_COL_RIGHT },
	OUT_COL_END
};

static const struct out_col quota_list_cols[] = {
	{ "ORG", "tenant_org_id", OUT_COL_NAME },
	{ "USER", "user", 0 },
	{ "CLUSTERS", "max_clusters", OUT_COL_RIGHT },
	{ "INDEXES", "max_indexes", OUT_COL_RIGHT },
	{ "CPU", "max_cpu", OUT_COL_RIGHT },
	{ "MEMORY", "max_memory", OUT_COL_RIGHT },
	{ "DISK", "max_disk", OUT_COL_RIGHT },
	{ "GPU", "max_gpu", OUT_COL_RIGHT },
	{ "UPDATED", "updated_at", OUT_COL_AGE },
	OUT_COL_END
};

static int
cmd_tenant_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct tenant_filter f;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1 ||
	    ctx_user(ctx, args_get(args, "user"), &f.user, err) == -1)
		return -1;
	f.status = args_get(args, "status");
	if (tenant_containers(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, tenant_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_tenant_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct tenant_filter f;
	cJSON *list, *item;
	int rc, n;

	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1)
		return -1;
	f.user = args->argv[0];
	f.service = args->argv[1];
	if (tenant_containers(ctx->store, &f, &list, err) == -1)
		return -1;
	n = cJSON_GetArraySize(list);
	if (n == 0) {
		cJSON_Delete(list);
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no tenant "
		    "container for user '%s' service '%s'%s%s%s", f.user,
		    f.service, f.org ? " in org '" : "", f.org ? f.org : "",
		    f.org ? "'" : "");
	}
	if (n > 1) {
		cJSON_Delete(list);
		return es_err_set(err, ES_ECONFLICT, "Ambiguous", "user '%s' "
		    "service '%s' exists in %d orgs: pass --org", f.user,
		    f.service, n);
	}
	item = cJSON_GetArrayItem(list, 0);
	if (ctx_scope_check(ctx, cJSON_GetStringValue(cJSON_GetObjectItem(
	    item, "tenant_org_id")), f.user, err) == -1) {
		cJSON_Delete(list);
		return -1;
	}
	rc = out_item(ctx, item, "namespace", err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_tenant_containers(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct tenant_filter f;
	cJSON *list, *e;
	int rc;

	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 1, &f.org, err) == -1)
		return -1;
	if (ctx->as_user != NULL)
		f.user = ctx->as_user;
	if (tenant_containers(ctx->store, &f, &list, err) == -1)
		return -1;
	/* exactly the seed's GET /tenant/containers/org/{org} fields */
	cJSON_ArrayForEach(e, list) {
		cJSON_DeleteItemFromObject(e, "index_limit");
		cJSON_DeleteItemFromObject(e, "updated_at");
	}
	rc = out_list(ctx, list, tenant_cols, err);
	cJSON_Delete(list);
	return rc;
}

static cJSON *
tenant_quota_rows(const cJSON *q)
{
	static const char *names[][3] = {
		{ "clusters", "clusters", "max_clusters" },
		{ "indexes", "indexes", "max_indexes" },
		{ "cpu", "cpu", "max_cpu" },
		{ "memory", "memory", "max_memory" },
		{ "disk", "disk", "max_disk" },
		{ "gpu", "gpu", "max_gpu" },
	};
	const cJSON *quota = cJSON_GetObjectItem(q, "quota");
	const cJSON *used = cJSON_GetObjectItem(q, "current_usage");
	const cJSON *l;
	cJSON *rows, *r;
	size_t i;

	rows = cJSON_CreateArray();
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "resource", names[i][0]);
		cJSON_AddItemToObject(r, "used", cJSON_Duplicate(
		    cJSON_GetObjectItem(used, names[i][1]), 1));
		l = cJSON_GetObjectItem(quota, names[i][2]);
		if (l == NULL || cJSON_IsNull(l))
			cJSON_AddStringToObject(r, "limit", "unlimited");
		else
			cJSON_AddItemToObject(r, "limit", cJSON_Duplicate(l,
			    1));
		cJSON_AddItemToArray(rows, r);
	}
	return rows;
}

static int
cmd_tenant_quota_get(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *org, *user;
	cJSON *q, *rows;
	int rc;

	if (ctx_org(ctx, args_get(args, "org"), 1, &org, err) == -1)
		return -1;
	/* a user identity sees its own quota */
	user = args_get(args, "user");
	if ((user != NULL || ctx->as_user != NULL) &&
	    ctx_user(ctx, user, &user, err) == -1)
		return -1;
	if (tenant_quota_json(ctx->store, org, user, &q, err) == -1)
		return -1;
	if (ctx->output == OUT_TABLE || ctx->output == OUT_WIDE) {
		rows = tenant_quota_rows(q);
		rc = out_list(ctx, rows, quota_cols, err);
		cJSON_Delete(rows);
	} else
		rc = out_item(ctx, q, "tenant_org_id", err);
	cJSON_Delete(q);
	return rc;
}

/* Parses one --max-* value: a number or "unlimited". */
static int
tenant_limit(struct esctl_args *args, const char *opt, int qty, int binary,
    int *set, long long *ival, int64_t *qval, struct es_err *err)
{
	const char *v = args_get(args, opt);
	char what[64];

	(void)binary;
	if (v == NULL)
		return 0;
	*set = 1;
	snprintf(what, sizeof what, "--%s", opt);
	if (strcmp(v, "unlimited") == 0 || strcmp(v, "none") == 0) {
		if (qty)
			*qval = TENANT_UNSET;
		else
			*ival = TENANT_UNSET;
		return 0;
	}
	if (qty)
		return quantity_parse(v, what, 0, qval, err);
	return util_parse_int(v, what, 0, 1000000000, ival, err);
}

static int
cmd_tenant_quota_set(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct tenant_quota_update u;
	const char *org, *user;
	cJSON *q;
	int rc;

	memset(&u, 0, sizeof u);
	/* quotas are the administrator's: no tenant sets its own */
	if (ctx->as_org != NULL || ctx->as_user != NULL)
		return es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: quotas are set by an administrator, not under a "
		    "tenant identity (%s%s%s%s%s)", ctx->as_org ? "--as-org " :
		    "", ctx->as_org ? ctx->as_org : "", ctx->as_org &&
		    ctx->as_user ? ", " : "", ctx->as_user ? "--as-user " : "",
		    ctx->as_user ? ctx->as_user : "");
	if (ctx_org(ctx, args_get(args, "org"), 1, &org, err) == -1)
		return -1;
	user = args_get(args, "user");
	if (user != NULL && ctx_user(ctx, user, &user, err) == -1)
		return -1;
	if (tenant_limit(args, "max-clusters", 0, 0, &u.set_clusters,
	    &u.val.clusters, NULL, err) == -1 ||
	    tenant_limit(args, "max-indexes", 0, 0, &u.set_indexes,
	    &u.val.indexes, NULL, err) == -1 ||
	    tenant_limit(args, "max-gpu", 0, 0, &u.set_gpu, &u.val.gpu, NULL,
	    err) == -1 ||
	    tenant_limit(args, "max-cpu", 1, 0, &u.set_cpu, NULL, &u.val.cpu,
	    err) == -1 ||
	    tenant_limit(args, "max-memory", 1, 1, &u.set_memory, NULL,
	    &u.val.memory, err) == -1 ||
	    tenant_limit(args, "max-disk", 1, 1, &u.set_disk, NULL,
	    &u.val.disk, err) == -1)
		return -1;
	if (args_has(args, "max-storage")) {
		if (u.set_disk)
			return es_err_set(err, ES_EUSAGE, "Invalid", "give "
			    "--max-disk or --max-storage, not both");
		if (tenant_limit(args, "max-storage", 1, 1, &u.set_disk, NULL,
		    &u.val.disk, err) == -1)
			return -1;
	}
	if (!(u.set_clusters || u.set_indexes || u.set_gpu || u.set_cpu ||
	    u.set_memory || u.set_disk))
		return es_err_set(err, ES_EUSAGE, "MissingOption", "nothing to "
		    "set: give at least one of --max-clusters, --max-indexes, "
		    "--max-cpu, --max-memory, --max-disk, --max-gpu");
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: quota of %s%s%s not changed", user ?
		    "user '" : "org '", user ? user : org, "'");
		return 0;
	}
	if (store_begin(ctx->store, err) == -1)
		return -1;
	if (tenant_quota_write(ctx->store, org, user, &u, ctx->now, err) ==
	    -1) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) == -1)
		return -1;
	if (tenant_quota_json(ctx->store, org, user, &q, err) == -1)
		return -1;
	if (user != NULL)
		rc = out_ok(ctx, q, "quota of user '%s' in org '%s' updated",
		    user, org);
	else
		rc = out_ok(ctx, q, "quota of org '%s' updated", org);
	cJSON_Delete(q);
	return rc;
}

static int
cmd_tenant_quota_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *org, *u;
	cJSON *list;
	int rc, i;

	if (ctx_org(ctx, args_get(args, "org"), 0, &org, err) == -1)
		return -1;
	if (tenant_quota_list(ctx->store, org, &list, err) == -1)
		return -1;
	/* a user identity sees the org's quota and its own */
	if (ctx->as_user != NULL)
		for (i = cJSON_GetArraySize(list) - 1; i >= 0; i--) {
			u = cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetArrayItem(list, i), "user"));
			if (u != NULL && *u != '\0' &&
			    strcmp(u, ctx->as_user) != 0)
				cJSON_DeleteItemFromArray(list, i);
		}
	out_kind(ctx, "quota");
	rc = out_list(ctx, list, quota_list_cols, err);
	cJSON_Delete(list);
	return rc;
}

static const struct out_col usage_cols[] = {
	{ "USER", "user", 0 },
	{ "SERVICE", "service_name", OUT_COL_NAME },
	{ "NAMESPACES", "namespaces", OUT_COL_WIDE },
	{ "HOURS", "hours", OUT_COL_RIGHT },
	{ "REPLICA-H", "replica_hours", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "CPU-H", "cpu_core_hours", OUT_COL_RIGHT },
	{ "MEM-GiB-H", "memory_gib_hours", OUT_COL_RIGHT },
	{ "DISK-GiB-H", "disk_gib_hours", OUT_COL_RIGHT },
	{ "GPU-H", "gpu_hours", OUT_COL_RIGHT },
	OUT_COL_END
};

/* Resource-hours per user and service, for cost allocation. */
static int
cmd_tenant_usage(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *org, *user = NULL, *v;
	time_t since, until;
	cJSON *rows;
	int rc;

	if (ctx_org(ctx, args_get(args, "org"), 1, &org, err) == -1)
		return -1;
	if ((args_get(args, "user") != NULL || ctx->as_user != NULL) &&
	    ctx_user(ctx, args_get(args, "user"), &user, err) == -1)
		return -1;
	until = ctx->now;
	if ((v = args_get(args, "until")) != NULL &&
	    util_time_parse(v, "--until", ctx->now, &until, err) == -1)
		return -1;
	v = args_get(args, "since");
	if (util_since_parse(v != NULL ? v : "30d", "--since", ctx->now,
	    &since, err) == -1)
		return -1;
	if (since >= until)
		return es_err_set(err, ES_EUSAGE, "Invalid", "--since must be "
		    "before --until");
	if (usage_report(ctx->store, org, user, since, until, &rows,
	    err) == -1)
		return -1;
	out_kind(ctx, "usage");
	rc = out_list(ctx, rows, usage_cols, err);
	cJSON_Delete(rows);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "only this user", OPT_STRING, 0, "user" },
	{ 0, "status", "STATUS", "only containers in this status",
	    OPT_STRING, 0, "=creating created running scaling failed" },
	OPT_END
};

static const struct esctl_opt show_opts[] = {
	{ 0, "org", "ORG", "the tenant org (when the name is in several)",
	    OPT_STRING, 0, "org" },
	OPT_END
};

static const struct esctl_opt containers_opts[] = {
	{ 0, "org", "ORG", "tenant org id", OPT_STRING, 0, "org" },
	OPT_END
};

static const struct esctl_opt quota_get_opts[] = {
	{ 0, "org", "ORG", "tenant org id", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "a user's own quota instead of the org's",
	    OPT_STRING, 0, "user" },
	OPT_END
};

static const struct esctl_opt quota_set_opts[] = {
	{ 0, "org", "ORG", "tenant org id", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "set a user's quota instead of the org's",
	    OPT_STRING, 0, "user" },
	{ 0, "max-clusters", "N", "ES services (or 'unlimited')", OPT_STRING,
	    0, NULL },
	{ 0, "max-indexes", "N", "vector indexes (or 'unlimited')",
	    OPT_STRING, 0, NULL },
	{ 0, "max-cpu", "QTY", "CPU limits x replicas, e.g. 100 or 500m",
	    OPT_STRING, 0, NULL },
	{ 0, "max-memory", "QTY", "memory limits x replicas, e.g. 200Gi",
	    OPT_STRING, 0, NULL },
	{ 0, "max-disk", "QTY", "disk x replicas, e.g. 1Ti", OPT_STRING, 0,
	    NULL },
	{ 0, "max-storage", "QTY", "same as --max-disk", OPT_STRING,
	    OPT_HIDDEN, NULL },
	{ 0, "max-gpu", "N", "GPUs x replicas (or 'unlimited')", OPT_STRING,
	    0, NULL },
	OPT_END
};

static const struct esctl_opt quota_list_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	OPT_END
};

static const struct esctl_opt usage_opts[] = {
	{ 0, "org", "ORG", "tenant org id", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "only this user", OPT_STRING, 0, "user" },
	{ 0, "since", "TIME", "start of the window (default 30d ago)",
	    OPT_STRING, 0, NULL },
	{ 0, "until", "TIME", "end of the window (default now)", OPT_STRING,
	    0, NULL },
	OPT_END
};

static const struct esctl_verb tenant_verbs[] = {
	{ "list", NULL, "list tenant containers",
	    "Lists the TenantContainer records: one per ES service, with its "
	    "org, user,\nresources and status.", list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_tenant_list },
	{ "show", "USER SERVICE", "show one tenant container", NULL,
	    show_opts, 2, 2, CMD_NEEDS_DB | CMD_OFFLINE, "user",
	    cmd_tenant_show },
	{ "containers", NULL, "list an org's containers (seed JSON shape)",
	    "The answer of the platform's GET /tenant/containers/org/{org}: "
	    "with -o json,\nthe same fields in the same shape.",
	    containers_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_tenant_containers },
	{ "quota get", NULL, "show a quota and the current usage",
	    "Usage counts every live container: CPU and memory limits x "
	    "replicas, disk x\nreplicas, GPUs x replicas, and the org's vector "
	    "indexes.", quota_get_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE,
	    NULL, cmd_tenant_quota_get },
	{ "quota set", NULL, "set quota limits of an org or a user",
	    "Only the limits given change.  'unlimited' removes a limit.  "
	    "cluster create and\nindex create refuse work that would exceed "
	    "the org's or the user's quota\n(exit 5).", quota_set_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL,
	    cmd_tenant_quota_set },
	{ "quota list", NULL, "list every quota that is set", NULL,
	    quota_list_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_tenant_quota_list },
	{ "usage", NULL, "resource-hours per user and service",
	    "Integrates every state of every service of the org over the "
	    "window: hours\nalive, CPU limit cores x replicas x hours, and "
	    "likewise memory and disk in\nGiB and GPUs.  States change at "
	    "create, scale and delete.", usage_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_tenant_usage },
	VERB_END
};

const struct esctl_group esctl_group_tenant = {
	"tenant", "tenants: containers, quotas and usage",
	"Multi-tenancy is by org (tenant_org_id): every ES service belongs "
	"to one org\nand one user.  With an identity (--as-org, --as-user or "
	"identity: in the\nconfig), commands see and touch only that scope.",
	tenant_verbs
};
