/*
 * k8s.c - esctl k8s: the registry of managed Kubernetes clusters and a
 * connectivity check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "k8scluster.h"
#include "util.h"

static int	cmd_k8s_add(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_k8s_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_k8s_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_k8s_update(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_k8s_remove(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_k8s_ping(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

#define K8S_MAX_SETS	24

static const struct out_col k8s_cols[] = {
	{ "NAME", "clustername", OUT_COL_NAME },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "TYPE", "clustertype", 0 },
	{ "IDC", "idc", 0 },
	{ "ZONE", "zone", 0 },
	{ "SOURCE", "source", 0 },
	{ "CONTEXT", "kube_context", OUT_COL_WIDE },
	{ "APISERVER", "apiserver", 0 },
	{ "PROMETHEUS", "promserver", OUT_COL_WIDE },
	{ "CLUSTER-ID", "cluster_id", OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

/* Options that map straight onto a column (add and update). */
static const struct {
	const char	*opt;
	const char	*column;
} k8s_optcols[] = {
	{ "prometheus", "promserver" },
	{ "thanos", "thanosserver" },
	{ "idc", "idc" },
	{ "zone", "zone" },
	{ "type", "clustertype" },
	{ "status", "status" },
	{ "alias", "alias" },
	{ "cn-name", "clusternamecn" },
	{ "desc", "desc" },
	{ "cluster-id", "cluster_id" },
	{ "level", "level" },
	{ "es-server", "esserver" },
	{ "cluster-group", "cluster_group" },
	{ "apiserver-vip", "api_server_vip" },
};

static int
k8s_check_name(const char *name, struct es_err *err)
{
	if (!util_valid_name(name, 63))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid cluster "
		    "name '%s': names are [A-Za-z0-9._-], at most 63 "
		    "characters", name);
	return 0;
}

/* Checks the free-text options that must look like a word. */
static int
k8s_check_opts(struct esctl_args *args, struct es_err *err)
{
	static const char *words[] = { "idc", "zone", "type", "status",
	    "cluster-group" };
	const char *v, *p;
	size_t i;
	long long lv;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if ((v = args_get(args, words[i])) == NULL)
			continue;
		if (*v == '\0' || strlen(v) > 36)
			goto bad;
		for (p = v; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '-' || *p == '_' || *p == '.'))
				goto bad;
		continue;
bad:
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid value "
		    "'%s' for --%s: letters, digits, '-', '_' and '.', at "
		    "most 36", v, words[i]);
	}
	if ((v = args_get(args, "prometheus")) != NULL && *v != '\0' &&
	    !util_url_is_http(v))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid value "
		    "'%s' for --prometheus: an http:// or https:// URL", v);
	if (args_has(args, "level") && util_parse_int(args_get(args,
	    "level"), "--level", 0, 1000000, &lv, err) == -1)
		return -1;
	return 0;
}

/*
 * Reads and checks the kubeconfig a cluster will use: the file's content
 * (--kubeconfig-file) or the context of the ambient kubeconfig.  *content
 * receives the file text (caller frees), *server the API server.
 */
static int
k8s_resolve(struct esctl_ctx *ctx, const char *file, const char *context,
    char **content, char **server, char **ctxname, struct es_err *err)
{
	char why[64];
	struct kube_config *cfg = NULL;
	struct es_buf b = ES_BUF_INIT;
	char *dir;
	int rc;

	*content = *server = *ctxname = NULL;
	if (file != NULL) {
		if (es_buf_read_file_max(&b, file, UTIL_MAX_TEXT_FILE) ==
		    -1) {
			es_buf_release(&b);
			return es_err_set(err, ES_EUSAGE, "Invalid", "cannot "
			    "read kubeconfig file '%s': %s", file,
			    util_read_strerror(errno, UTIL_MAX_TEXT_FILE, why,
			    sizeof why));
		}
		dir = util_dirname(file);
		rc = kube_config_parse(b.data, b.len, file, dir, context, &cfg,
		    err);
		free(dir);
		if (rc == -1) {
			es_buf_release(&b);
			return -1;
		}
		*content = es_buf_detach(&b, NULL);
	} else if (kube_config_load(ctx->kubeconfig, context, &cfg,
	    err) == -1)
		return -1;
	*server = xstrdup(kube_config_server(cfg));
	*ctxname = xstrdup(kube_config_context(cfg));
	kube_config_free(cfg);
	return 0;
}

static void
k8s_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
k8s_set(struct k8scluster_set *sets, int *n, const char *column,
    const char *value)
{
	sets[*n].column = column;
	sets[*n].value = value;
	(*n)++;
}

/*
 * Registers (add) or changes cluster name in one transaction, then its
 * row in *row.
 */
static int
k8s_store(struct esctl_ctx *ctx, const char *name,
    const struct k8scluster_set *sets, int n, int add, cJSON **row,
    struct es_err *err)
{
	int rc;

	if (store_begin(ctx->store, err) == -1)
		return -1;
	rc = add ? k8scluster_add(ctx->store, name, sets, n, ctx->now, NULL,
	    err) : k8scluster_update(ctx->store, name, sets, n, ctx->now, err);
	if (rc == -1) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) == -1)
		return -1;
	return k8scluster_get(ctx->store, name, 0, row, err);
}

static int
k8s_sets_from_opts(struct esctl_args *args, struct k8scluster_set *sets,
    int n)
{
	size_t i;

	for (i = 0; i < sizeof k8s_optcols / sizeof k8s_optcols[0]; i++) {
		const char *v = args_get(args, k8s_optcols[i].opt);

		if (v == NULL)
			continue;
		k8s_set(sets, &n, k8s_optcols[i].column, v);
	}
	return n;
}

static int
cmd_k8s_add(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct k8scluster_set sets[K8S_MAX_SETS];
	const char *name = args->argv[0], *file, *creator;
	char *content = NULL, *server = NULL, *ctxname = NULL;
	cJSON *row = NULL;
	int n = 0, rc = -1;

	if (k8s_check_name(name, err) == -1 || k8s_check_opts(args, err) == -1)
		return -1;
	file = args_get(args, "kubeconfig-file");
	if (k8s_resolve(ctx, file, args_get(args, "context"), &content,
	    &server, &ctxname, err) == -1)
		return es_err_prefix(err, "cannot add cluster '%s'", name);
	if (content != NULL) {
		k8s_set(sets, &n, "kubeconfig", content);
		/* an explicit context inside the stored file, if any */
		if (args_get(args, "context") != NULL) {
			k8s_set(sets, &n, "kube_context",
			    args_get(args, "context"));
		}
	} else {
		/* pin the context now: a later current-context change must
		 * not silently retarget the cluster */
		k8s_set(sets, &n, "kube_context", ctxname);
	}
	k8s_set(sets, &n, "apiserver", server);
	creator = ctx->as_user ? ctx->as_user : getenv("USER");
	if (creator != NULL) {
		k8s_set(sets, &n, "creator", creator);
	}
	n = k8s_sets_from_opts(args, sets, n);
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: cluster '%s' (%s, context '%s') not "
		    "added", name, server, ctxname);
		rc = 0;
		goto out;
	}
	if (k8s_store(ctx, name, sets, n, 1, &row, err) == -1)
		goto out;
	rc = out_ok(ctx, row, "cluster '%s' added (%s, context '%s'%s)", name,
	    server, ctxname, content ? ", kubeconfig stored" : "");
out:
	cJSON_Delete(row);
	k8s_free_secret(content);
	free(server);
	free(ctxname);
	return rc;
}

static int
cmd_k8s_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct k8scluster_filter f;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	f.idc = args_get(args, "idc");
	f.zone = args_get(args, "zone");
	f.type = args_get(args, "type");
	f.status = args_get(args, "status");
	if (k8scluster_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, k8s_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_k8s_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	cJSON *row;
	int rc;

	if (k8scluster_get(ctx->store, args->argv[0], 0, &row, err) == -1)
		return -1;
	rc = out_item(ctx, row, "clustername", err);
	cJSON_Delete(row);
	return rc;
}

static int
cmd_k8s_update(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct k8scluster_set sets[K8S_MAX_SETS];
	const char *name = args->argv[0], *file, *context;
	char *content = NULL, *server = NULL, *ctxname = NULL;
	cJSON *row = NULL, *cur = NULL;
	int n = 0, rc = -1, stored;

	if (k8s_check_opts(args, err) == -1)
		return -1;
	if (k8scluster_get(ctx->store, name, 0, &cur, err) == -1)
		return -1;
	stored = strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cur,
	    "source")), "kubeconfig") == 0;
	file = args_get(args, "kubeconfig-file");
	context = args_get(args, "context");
	if (file != NULL && args_has(args, "ambient")) {
		es_err_set(err, ES_EUSAGE, "Invalid", "give --kubeconfig-file "
		    "or --ambient, not both");
		goto out;
	}
	if (file != NULL || args_has(args, "ambient") || (context != NULL &&
	    !stored)) {
		if (k8s_resolve(ctx, file, context, &content, &server,
		    &ctxname, err) == -1) {
			es_err_prefix(err, "cannot update cluster '%s'", name);
			goto out;
		}
		k8s_set(sets, &n, "kubeconfig", content != NULL ? content : "");
		k8s_set(sets, &n, "kube_context",
		    content != NULL ? (context ? context : "") : ctxname);
		k8s_set(sets, &n, "apiserver", server);
	} else if (context != NULL) {
		/* another context of the stored kubeconfig */
		struct kube_config *cfg;
		cJSON *full;

		if (k8scluster_get(ctx->store, name, 1, &full, err) == -1)
			goto out;
		cJSON_ReplaceItemInObject(full, "kube_context",
		    cJSON_CreateString(context));
		rc = k8scluster_config(full, NULL, &cfg, err);
		cJSON_Delete(full);
		if (rc == -1)
			goto out;
		rc = -1;
		server = xstrdup(kube_config_server(cfg));
		kube_config_free(cfg);
		k8s_set(sets, &n, "kube_context", context);
		k8s_set(sets, &n, "apiserver", server);
	}
	n = k8s_sets_from_opts(args, sets, n);
	if (n == 0) {
		es_err_set(err, ES_EUSAGE, "MissingOption", "nothing to "
		    "update: give at least one option (see 'esctl k8s update "
		    "--help')");
		goto out;
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: cluster '%s' not updated", name);
		rc = 0;
		goto out;
	}
	if (k8s_store(ctx, name, sets, n, 0, &row, err) == -1)
		goto out;
	rc = out_ok(ctx, row, "cluster '%s' updated", name);
out:
	cJSON_Delete(cur);
	cJSON_Delete(row);
	k8s_free_secret(content);
	free(server);
	free(ctxname);
	return rc;
}

static int
cmd_k8s_remove(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *name = args->argv[0];
	cJSON *row;

	if (k8scluster_get(ctx->store, name, 0, &row, err) == -1)
		return -1;
	cJSON_Delete(row);
	if (ctx_confirm(ctx, err, "remove cluster '%s' from the registry",
	    name) == -1)
		return -1;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: cluster '%s' not removed", name);
		return 0;
	}
	if (store_begin(ctx->store, err) == -1)
		return -1;
	if (k8scluster_remove(ctx->store, name, ctx->now, err) == -1) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) == -1)
		return -1;
	return out_ok(ctx, NULL, "cluster '%s' removed", name);
}

static int
cmd_k8s_ping(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc = NULL, *own = NULL;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *ver = NULL, *who = NULL, *res, *groups;
	const char *name = args->argc > 0 ? args->argv[0] : NULL;
	long t0, t1;
	int rc = -1;

	if (name != NULL) {
		if (ctx_kube_cluster(ctx, name, &own, err) == -1)
			return -1;
		kc = own;
	} else if (ctx_kube(ctx, &kc, err) == -1)
		return -1;
	t0 = util_mono_ms();
	if (kube_version(kc, &ver, err) == -1)
		goto out;
	t1 = util_mono_ms();
	res = cJSON_CreateObject();
	if (name != NULL)
		cJSON_AddStringToObject(res, "cluster", name);
	cJSON_AddStringToObject(res, "context", kube_context(kc));
	cJSON_AddStringToObject(res, "server", kube_server(kc));
	cJSON_AddStringToObject(res, "server_version", kube_str(ver,
	    "gitVersion") ? kube_str(ver, "gitVersion") : "");
	cJSON_AddStringToObject(res, "platform", kube_str(ver, "platform") ?
	    kube_str(ver, "platform") : "");
	cJSON_AddStringToObject(res, "auth", kube_auth_name(kube_config_auth(
	    kube_client_config(kc))));
	if (kube_whoami(kc, &who, &e2) == 0) {
		cJSON_AddStringToObject(res, "user", kube_str(who, "username") ?
		    kube_str(who, "username") : "");
		groups = cJSON_Duplicate(cJSON_GetObjectItem(who, "groups"), 1);
		cJSON_AddItemToObject(res, "groups", groups ? groups :
		    cJSON_CreateArray());
	} else if (e2.code == ES_EPERM && strcmp(e2.reason,
	    "Unauthorized") == 0) {
		cJSON_Delete(res);
		*err = e2;
		goto out;
	} else {
		es_log(&ctx->log, ES_LOG_INFO, "who am i: %s", e2.msg);
		cJSON_AddNullToObject(res, "user");
		cJSON_AddNullToObject(res, "groups");
	}
	cJSON_AddNumberToObject(res, "latency_ms", (double)(t1 - t0));
	rc = out_item(ctx, res, "server", err);
	cJSON_Delete(res);
out:
	cJSON_Delete(ver);
	cJSON_Delete(who);
	kube_close(own);
	return rc;
}

#define K8S_COMMON_OPTS \
	{ 0, "prometheus", "URL", "Prometheus address (promserver)", \
	    OPT_STRING, 0, NULL }, \
	{ 0, "thanos", "URL", "Thanos address", OPT_STRING, 0, NULL }, \
	{ 0, "idc", "IDC", "data centre (gl, ft, wg, qf, ...)", OPT_STRING, \
	    0, NULL }, \
	{ 0, "zone", "ZONE", "zone (egt, core, ...)", OPT_STRING, 0, NULL }, \
	{ 0, "type", "TYPE", "cluster type (tool, work, game, cloud, ...)", \
	    OPT_STRING, 0, "=tool work game cloud" }, \
	{ 0, "status", "STATUS", "status (default running)", OPT_STRING, 0, \
	    "=pending running maintaining offline" }, \
	{ 0, "alias", "ALIAS", "alias", OPT_STRING, 0, NULL }, \
	{ 0, "cn-name", "NAME", "Chinese name (clusternamecn)", OPT_STRING, \
	    0, NULL }, \
	{ 0, "desc", "TEXT", "description", OPT_STRING, 0, NULL }, \
	{ 0, "cluster-id", "UUID", "cluster UUID (default: a new one)", \
	    OPT_STRING, 0, NULL }, \
	{ 0, "level", "N", "priority (level)", OPT_STRING, 0, NULL }, \
	{ 0, "es-server", "URL", "Elasticsearch address", OPT_STRING, 0, \
	    NULL }, \
	{ 0, "cluster-group", "GROUP", "cluster group (same IDC)", OPT_STRING, \
	    0, NULL }, \
	{ 0, "apiserver-vip", "ADDR", "API server VIP", OPT_STRING, 0, NULL }

static const struct esctl_opt add_opts[] = {
	{ 'f', "kubeconfig-file", "FILE", "store this kubeconfig's content",
	    OPT_STRING, 0, "file" },
	{ 0, "context", "NAME", "context (in FILE, else in the ambient "
	    "kubeconfig)", OPT_STRING, 0, "context" },
	K8S_COMMON_OPTS,
	OPT_END
};

static const struct esctl_opt update_opts[] = {
	{ 'f', "kubeconfig-file", "FILE", "store this kubeconfig's content",
	    OPT_STRING, 0, "file" },
	{ 0, "context", "NAME", "use this context", OPT_STRING, 0, "context" },
	{ 0, "ambient", NULL, "drop the stored kubeconfig; use --context of "
	    "the ambient one", OPT_BOOL, 0, NULL },
	K8S_COMMON_OPTS,
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 0, "idc", "IDC", "only this data centre", OPT_STRING, 0, NULL },
	{ 0, "zone", "ZONE", "only this zone", OPT_STRING, 0, NULL },
	{ 0, "type", "TYPE", "only this cluster type", OPT_STRING, 0,
	    "=tool work game cloud" },
	{ 0, "status", "STATUS", "only this status", OPT_STRING, 0,
	    "=pending running maintaining offline" },
	OPT_END
};

static const struct esctl_verb k8s_verbs[] = {
	{ "add", "NAME", "register a Kubernetes cluster",
	    "Stores how to reach the cluster: with --kubeconfig-file, the "
	    "file's content\n(a secret: never printed); otherwise a reference "
	    "to --context (default: the\ncurrent context, pinned now) of the "
	    "ambient kubeconfig (--kubeconfig,\nKUBECONFIG).  The kubeconfig "
	    "is checked; the cluster is not contacted\n(use 'esctl k8s ping "
	    "NAME').", add_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL, cmd_k8s_add },
	{ "list", NULL, "list registered clusters", NULL, list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_k8s_list },
	{ "show", "NAME", "show one registered cluster",
	    "A stored kubeconfig is shown as <redacted>.", NULL, 1, 1,
	    CMD_NEEDS_DB | CMD_OFFLINE, "k8s-cluster", cmd_k8s_show },
	{ "update", "NAME", "change a registered cluster",
	    "Only the options given change.  --kubeconfig-file replaces the "
	    "stored\nkubeconfig; --context alone picks another context of the "
	    "stored one (or of\nthe ambient kubeconfig for a reference); "
	    "--ambient turns a stored kubeconfig\ninto a reference.",
	    update_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE,
	    "k8s-cluster", cmd_k8s_update },
	{ "remove", "NAME", "remove a cluster from the registry",
	    "A soft delete: the record keeps its history (deleted_at) and the "
	    "name can be\nregistered again.", NULL, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM | CMD_OFFLINE,
	    "k8s-cluster", cmd_k8s_remove },
	{ "ping", "[NAME]", "check that a cluster answers",
	    "Without NAME, the ambient kubeconfig's context.  Shows the server "
	    "version, who\nthe credentials authenticate as (when the server "
	    "offers SelfSubjectReview)\nand the latency of GET /version.",
	    NULL, 0, 1, 0, "k8s-cluster", cmd_k8s_ping },
	VERB_END
};

const struct esctl_group esctl_group_k8s = {
	"k8s", "the registry of managed Kubernetes clusters",
	"Clusters of the elastic node pools (seed 003 k8s_cluster): how to "
	"reach them\n(kubeconfig content or a context), Prometheus, IDC, zone, "
	"type and status.",
	k8s_verbs
};
