/*
 * device.c - esctl device: the device inventory and node selection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "device.h"
#include "node.h"
#include "nodesel.h"
#include "pool.h"
#include "util.h"

static int	cmd_device_select(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_import(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_update(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_remove(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_device_sync(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col device_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "CI_CODE", "ci_code", OUT_COL_NAME },
	{ "IP", "ip", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "CLUSTER", "cluster", 0 },
	{ "ROLE", "role", 0 },
	{ "SPECIAL", "is_special", 0 },
	{ "IDC", "idc", 0 },
	{ "CPU", "cpu", OUT_COL_RIGHT },
	{ "MEMORY", "memory", OUT_COL_RIGHT },
	{ "OS", "os_name", OUT_COL_WIDE },
	{ "IN_POOL_SINCE", "pool_entry_time", OUT_COL_WIDE },
	OUT_COL_END
};

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

static int
cmd_device_import(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct device_import_result res;
	struct es_buf b = ES_BUF_INIT;
	const char *file = args->argv[0], *name;
	cJSON *o;
	int rc, c;

	if (strcmp(file, "-") == 0) {
		while ((c = getchar()) != EOF)
			es_buf_addch(&b, c);
		name = "<stdin>";
	} else {
		if (es_buf_read_file(&b, file) == -1) {
			es_buf_release(&b);
			return es_err_set(err, ES_EUSAGE, "Invalid", "cannot "
			    "read '%s'", file);
		}
		name = file;
	}
	rc = device_import(ctx->store, b.data ? b.data : "", b.len, name,
	    args_has(args, "skip-invalid"), ctx->dry_run, ctx->now, &res,
	    err);
	es_buf_release(&b);
	if (rc == 0) {
		const cJSON *e;

		if (ctx->output != OUT_JSON && ctx->output != OUT_YAML)
			cJSON_ArrayForEach(e, res.errors)
				ctx_warn(ctx, "rejected: %s",
				    cJSON_GetStringValue(cJSON_GetObjectItem(e,
				    "error")));
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "created", (double)res.created);
		cJSON_AddNumberToObject(o, "updated", (double)res.updated);
		cJSON_AddNumberToObject(o, "unchanged",
		    (double)res.unchanged);
		cJSON_AddNumberToObject(o, "rejected", (double)res.rejected);
		cJSON_AddBoolToObject(o, "dry_run", ctx->dry_run);
		cJSON_AddItemToObject(o, "errors", res.errors);
		res.errors = NULL;
		rc = out_ok(ctx, o, "%lld created, %lld updated, %lld "
		    "unchanged, %lld rejected%s", res.created, res.updated,
		    res.unchanged, res.rejected, ctx->dry_run ?
		    " (dry run: nothing written)" : "");
		cJSON_Delete(o);
	}
	cJSON_Delete(res.errors);
	return rc;
}

static int
cmd_device_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct device_filter f;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	f.special = -1;
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	if ((f.status = args_get(args, "status")) != NULL &&
	    device_status_check(f.status, err) == -1)
		return -1;
	f.idc = args_get(args, "idc");
	if (args_has(args, "special"))
		f.special = 1;
	f.available = args_has(args, "available");
	if (device_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, device_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_device_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long id;
	cJSON *o;
	int rc;

	if (device_find(ctx->store, args->argv[0], &id, err) == -1 ||
	    device_get(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_item(ctx, o, "ci_code", err);
	cJSON_Delete(o);
	return rc;
}

static int
cmd_device_update(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct device_set sets[8];
	const char **kv;
	const char *eq;
	char keys[8][64];
	long long id;
	cJSON *o;
	int n = 0, nkv, i, rc;
	static const char *const flags[] = { "status", "role", "ip", "idc",
	    "cluster", NULL };

	if (device_find(ctx->store, args->argv[0], &id, err) == -1)
		return -1;
	for (i = 0; flags[i] != NULL; i++)
		if (args_get(args, flags[i]) != NULL) {
			sets[n].column = flags[i];
			sets[n++].value = args_get(args, flags[i]);
		}
	kv = args_list(args, "set", &nkv);
	for (i = 0; i < nkv && n < 8; i++) {
		if ((eq = strchr(kv[i], '=')) == NULL || eq == kv[i] ||
		    eq - kv[i] >= 64)
			return es_err_set(err, ES_EUSAGE, "Usage", "--set "
			    "'%s': use COLUMN=VALUE", kv[i]);
		snprintf(keys[n], sizeof keys[n], "%.*s", (int)(eq - kv[i]),
		    kv[i]);
		sets[n].column = keys[n];
		sets[n++].value = eq + 1;
	}
	if (n == 0)
		return es_err_set(err, ES_EUSAGE, "Usage", "nothing to "
		    "update: give --status, --role, ... or --set COLUMN=VALUE");
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "device %lld would be updated (dry "
		    "run)", id);
	if (device_update(ctx->store, id, sets, n, ctx->now, err) == -1 ||
	    device_get(ctx->store, id, &o, err) == -1)
		return -1;
	rc = out_ok(ctx, o, "device %s updated", cJSON_GetStringValue(
	    cJSON_GetObjectItem(o, "ci_code")));
	cJSON_Delete(o);
	return rc;
}

static int
cmd_device_remove(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long id;

	if (device_find(ctx->store, args->argv[0], &id, err) == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "device %s would be removed (dry run)",
		    args->argv[0]);
	if (device_remove(ctx->store, id, ctx->now, err) == -1)
		return -1;
	return out_ok(ctx, NULL, "device %s removed", args->argv[0]);
}

static const struct esctl_opt import_opts[] = {
	{ 0, "skip-invalid", NULL, "import the good rows, list the others",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt dlist_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only devices of this cluster",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "status", "STATUS", "only devices in this status", OPT_STRING,
	    0, "=available in_pool cordoned maintenance removing offline" },
	{ 0, "idc", "IDC", "only devices of this IDC", OPT_STRING, 0, NULL },
	{ 0, "special", NULL, "only special devices", OPT_BOOL, 0, NULL },
	{ 0, "available", NULL, "only available devices", OPT_BOOL, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt update_opts[] = {
	{ 0, "status", "STATUS", "the device status", OPT_STRING, 0,
	    "=available in_pool cordoned maintenance removing offline" },
	{ 0, "role", "ROLES", "roles, comma-separated", OPT_STRING, 0, NULL },
	{ 0, "ip", "IP", "the IP address", OPT_STRING, 0, NULL },
	{ 0, "idc", "IDC", "the IDC", OPT_STRING, 0, NULL },
	{ 'c', "cluster", "CLUSTER", "the cluster", OPT_STRING, 0,
	    "k8s-cluster" },
	{ 0, "set", "COLUMN=VALUE", "any other writable column (repeatable)",
	    OPT_LIST, 0, NULL },
	OPT_END
};

static const struct out_col sync_cols[] = {
	{ "NODE", "node", OUT_COL_NAME },
	{ "DEVICE", "ci_code", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	OUT_COL_END
};

static int
cmd_device_sync(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	const char *cluster = args_get(args, "cluster");
	const cJSON *x;
	cJSON *res;
	long long cid;
	int rc;

	if (pool_cluster_find(ctx->store, cluster, &cid, NULL, err) == -1 ||
	    ctx_kube_cluster(ctx, cluster, &kc, err) == -1)
		return -1;
	rc = device_sync(ctx->store, kc, cid, ctx->dry_run, ctx->now, &res,
	    err);
	kube_close(kc);
	if (rc == -1)
		return -1;
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		rc = out_item(ctx, res, "cluster", err);
		cJSON_Delete(res);
		return rc;
	}
	rc = out_list(ctx, cJSON_GetObjectItem(res, "matched"), sync_cols,
	    err);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(res, "unmatched_nodes"))
		ctx_warn(ctx, "node %s: no device stands for it",
		    x->valuestring);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(res, "unmatched_devices"))
		ctx_warn(ctx, "device %s: no Node in cluster %s%s",
		    x->valuestring, cluster, cJSON_GetArraySize(
		    cJSON_GetObjectItem(res, "released")) > 0 ?
		    " (released: available)" : "");
	cJSON_Delete(res);
	return rc;
}

static const struct esctl_opt sync_opts[] = {
	{ 'c', "cluster", "CLUSTER", "the registered cluster", OPT_STRING,
	    OPT_REQUIRED, "k8s-cluster" },
	OPT_END
};

static const struct esctl_opt select_opts[] = {
	{ 'c', "cluster", "CLUSTER", "the registered cluster", OPT_STRING,
	    OPT_REQUIRED, "k8s-cluster" },
	{ 0, "count", "N", "how many nodes to select (default 1)", OPT_INT,
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
	{ "import", "FILE", "import devices from CSV or JSON (- for stdin)",
	    "Upserts by ci_code in one transaction; a bad row fails the "
	    "import\nunless --skip-invalid.", import_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES, "file", cmd_device_import },
	{ "list", NULL, "list devices", NULL, dlist_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_device_list },
	{ "show", "DEVICE", "show a device (ci_code or id)", NULL, NULL, 1, 1,
	    CMD_NEEDS_DB | CMD_OFFLINE, "device", cmd_device_show },
	{ "update", "DEVICE", "change writable columns of a device", NULL,
	    update_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "device",
	    cmd_device_update },
	{ "remove", "DEVICE", "remove a device (soft delete)", NULL, NULL, 1,
	    1, CMD_NEEDS_DB | CMD_MUTATES, "device", cmd_device_remove },
	{ "sync", NULL, "match a cluster's Nodes to devices, update them",
	    "By InternalIP, then name; fills the cluster, OS fields and pool "
	    "status.", sync_opts, 0, 0, CMD_NEEDS_DB | CMD_MUTATES, NULL,
	    cmd_device_sync },
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
