/*
 * cluster.c - esctl cluster: the ES service lifecycle (SPEC 3): create,
 * delete, restart, scale, list and get.  The inputs and the printing are
 * here; the create's ten reported steps and its rollback are in
 * lib/create.c, the other verbs in lib/cluster.c, the live state in
 * lib/clusterlive.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "clusterlive.h"
#include "clusterobj.h"
#include "create.h"
#include "doc.h"
#include "gitcfg.h"
#include "kube.h"
#include "lifecycle.h"
#include "metrics.h"
#include "report.h"
#include "util.h"

/* A create's inputs, as the flags, files and repository give them. */
struct cluster_run {
	struct esctl_ctx	*ctx;
	struct cluster_spec	 spec;
	struct clusterobj_env	 env;
	struct lc_gitlab	 gl;
	int			 gl_set;
	struct gitcfg		*git;
	cJSON			*es_settings;	/* esctl.yaml elasticsearch */
	char			*es_image;
	char			*kibana_image;
	int			 keep;		/* --keep-on-failure */
	long long		 timeout_ms;
};

static int	cmd_cluster_create(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_cluster_delete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static void	cluster_restart_row(cJSON *, const char *, const char *,
		    const char *);
static int	cmd_cluster_restart(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_cluster_scale(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_cluster_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_cluster_get(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static void	cluster_op_init(struct esctl_ctx *, struct kube_client *,
		    long long, int, struct cluster_op *);
static void	cluster_progress_done(void *);

/* The option of each create input. */
static const struct {
	const char		*opt;
	enum cluster_field	 field;
} cluster_create_flags[] = {
	{ "org", CLUSTER_F_ORG },
	{ "tenant-org-id", CLUSTER_F_ORG },
	{ "user", CLUSTER_F_USER },
	{ "service", CLUSTER_F_SERVICE },
	{ "service-name", CLUSTER_F_SERVICE },
	{ "replicas", CLUSTER_F_REPLICAS },
	{ "cpu-request", CLUSTER_F_CPU_REQUEST },
	{ "cpu-limit", CLUSTER_F_CPU_LIMIT },
	{ "mem-request", CLUSTER_F_MEM_REQUEST },
	{ "mem-limit", CLUSTER_F_MEM_LIMIT },
	{ "disk-size", CLUSTER_F_DISK_SIZE },
	{ "gpu-count", CLUSTER_F_GPU_COUNT },
	{ "dimension", CLUSTER_F_DIMENSION },
	{ "vector-count", CLUSTER_F_VECTOR_COUNT },
	{ "index-limit", CLUSTER_F_INDEX_LIMIT },
	{ "gitlab-url", CLUSTER_F_GITLAB_URL },
	{ "gitlab-ref", CLUSTER_F_GITLAB_REF },
	{ "gitlab-path", CLUSTER_F_GITLAB_PATH },
	{ "namespace", CLUSTER_F_NAMESPACE },
};

/*
 * The inputs: --from-file, then flags, the identity, the repository's
 * defaults (fetching it: a bad URL or token stops here), the config's
 * defaults, then validation.
 */
static int
cluster_inputs(struct cluster_run *r, struct esctl_args *args,
    struct es_err *err)
{
	struct esctl_ctx *ctx = r->ctx;
	struct doc_node *doc = NULL;
	const struct doc_node *values = NULL, *n;
	const char *v, *file;
	char what[64], *clean;
	size_t i;
	int kibana;

	if ((file = args_get(args, "from-file")) != NULL) {
		if (doc_parse_file(file, &doc, err) == -1) {
			err->code = ES_EUSAGE;
			return -1;
		}
		if (cluster_spec_from_doc(&r->spec, doc, strcmp(file, "-") ==
		    0 ? "<stdin>" : file, err) == -1) {
			doc_free(doc);
			return -1;
		}
		doc_free(doc);
	}
	for (i = 0; i < sizeof cluster_create_flags /
	    sizeof cluster_create_flags[0]; i++) {
		if ((v = args_get(args, cluster_create_flags[i].opt)) == NULL)
			continue;
		snprintf(what, sizeof what, "--%s",
		    cluster_create_flags[i].opt);
		if (cluster_spec_set(&r->spec, cluster_create_flags[i].field,
		    v, what, err) == -1)
			return -1;
	}
	if (args_has(args, "no-kibana"))
		cluster_spec_set(&r->spec, CLUSTER_F_KIBANA, "false",
		    "--no-kibana", err);
	/* the identity fills, and bounds, org and user */
	if (r->spec.tenant_org_id == NULL && ctx->as_org != NULL)
		cluster_spec_set(&r->spec, CLUSTER_F_ORG, ctx->as_org,
		    "--as-org", err);
	if (r->spec.user == NULL && ctx->as_user != NULL)
		cluster_spec_set(&r->spec, CLUSTER_F_USER, ctx->as_user,
		    "--as-user", err);
	if (cluster_spec_required(&r->spec, err) == -1 ||
	    ctx_scope_check(ctx, r->spec.tenant_org_id, r->spec.user, err) ==
	    -1)
		return -1;

	/* the repository: flag or file, else the configuration */
	v = r->spec.gitlab_url != NULL && *r->spec.gitlab_url ?
	    r->spec.gitlab_url : NULL;
	if (v != NULL || config_get(ctx->cfg, "gitlab.url") != NULL) {
		if (lc_gitlab(ctx, v, r->spec.gitlab_ref, r->spec.gitlab_path,
		    &r->gl, err) == -1)
			return -1;
		r->gl_set = 1;
		if (gitcfg_check_url(r->gl.opts.url, err) == -1 ||
		    gitcfg_open(&r->gl.opts, &r->git, err) == -1 ||
		    gitcfg_values(r->git, &values, err) == -1)
			return -1;
		clean = xstrdup(gitcfg_url(r->git));
		free(r->spec.gitlab_url);
		r->spec.gitlab_url = clean;
		if (values != NULL && cluster_spec_defaults(&r->spec,
		    doc_get(values, "defaults"), "esctl.yaml", err) == -1)
			return -1;
		if ((n = doc_path(values, "images.elasticsearch")) != NULL &&
		    doc_scalar(n) != NULL)
			r->es_image = xstrdup(doc_scalar(n));
		if ((n = doc_path(values, "images.kibana")) != NULL &&
		    doc_scalar(n) != NULL)
			r->kibana_image = xstrdup(doc_scalar(n));
		if ((n = doc_get(values, "elasticsearch")) != NULL &&
		    n->type == DOC_MAP)
			r->es_settings = doc_to_json(n);
	}
	if (!(r->spec.set & (1u << CLUSTER_F_KIBANA))) {
		if (config_get_bool(ctx->cfg, "cluster.kibana", 1, &kibana,
		    err) == -1)
			return -1;
		if (!kibana)
			cluster_spec_set(&r->spec, CLUSTER_F_KIBANA, "false",
			    "cluster.kibana", err);
	}
	if (r->es_image == NULL && (v = config_get(ctx->cfg,
	    "cluster.image")) != NULL)
		r->es_image = xstrdup(v);
	if (r->kibana_image == NULL && (v = config_get(ctx->cfg,
	    "cluster.kibana_image")) != NULL)
		r->kibana_image = xstrdup(v);
	if (cluster_spec_finish(&r->spec, err) == -1)
		return -1;
	r->env.spec = &r->spec;
	r->env.es_image = r->es_image;
	r->env.kibana_image = r->kibana_image;
	r->env.storage_class = config_get(ctx->cfg, "cluster.storage_class");
	r->env.es_settings = r->es_settings;
	return 0;
}

/* The --timeout of a command, else cluster.timeout, else def. */
static int
cluster_timeout(struct esctl_ctx *ctx, struct esctl_args *args,
    long long def_s, long long *ms, struct es_err *err)
{
	const char *v = args_get(args, "timeout");

	if (v != NULL)
		return util_parse_duration_ms(v, "--timeout", ms, err);
	if (config_get_duration_ms(ctx->cfg, "cluster.timeout", def_s * 1000,
	    ms, err) == -1)
		return -1;
	return 0;
}

/* Prints objects as a List (YAML, or JSON with -o json). */
static int
cluster_print_objects(struct esctl_ctx *ctx, cJSON *items,
    struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	cJSON *list;
	int rc = 0;

	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(list, "kind", "List");
	cJSON_AddItemToObject(list, "items", items);
	if (ctx->output == OUT_JSON)
		out_print_json(ctx, list);
	else if ((rc = doc_emit_yaml(list, &b, err)) == 0)
		fputs(b.data, ctx->out);
	es_buf_release(&b);
	cJSON_Delete(list);
	return rc;
}

/* --dry-run of create: what would be sent, nothing sent or recorded. */
static int
cluster_create_dry(struct cluster_run *r, struct es_err *err)
{
	cJSON *items;

	r->env.creation_id = "(dry-run)";
	if (cluster_create_plan(r->ctx->store, &r->spec, &r->env, r->git,
	    &items, err) == -1)
		return -1;
	ctx_info(r->ctx, "dry run: nothing sent, nothing recorded");
	return cluster_print_objects(r->ctx, items, err);
}

static void
cluster_run_release(struct cluster_run *r)
{
	gitcfg_free(r->git);
	if (r->gl_set)
		lc_gitlab_release(&r->gl);
	cJSON_Delete(r->es_settings);
	free(r->es_image);
	free(r->kibana_image);
	cluster_spec_release(&r->spec);
}

/* A reported step of a create, on stderr (not with -o json or yaml). */
static void
cluster_create_step(void *arg, int n, const char *status, const char *msg,
    int again)
{
	struct esctl_ctx *ctx = arg;

	if (ctx->output != OUT_JSON && ctx->output != OUT_YAML)
		ctx_info(ctx, "[%d/%d] %s: %s%s", n, CLUSTER_CREATE_STEPS,
		    status, msg, again ? " (reported before the "
		    "interruption)" : "");
}

static void
cluster_create_info(void *arg, const char *msg)
{
	ctx_info(arg, "%s", msg);
}

static void
cluster_create_warn(void *arg, const char *msg)
{
	ctx_warn(arg, "%s", msg);
}

static int
cmd_cluster_create(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct cluster_run r;
	struct cluster_create_opts o;
	struct cluster_create *cc = NULL;
	struct report_sink *sink = NULL;
	struct kube_client *kc;
	char *dir = NULL;
	cJSON *out;
	int rc = -1;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.keep = args_has(args, "keep-on-failure");
	cluster_spec_init(&r.spec);
	if (cluster_timeout(ctx, args, 600, &r.timeout_ms, err) == -1 ||
	    cluster_inputs(&r, args, err) == -1)
		goto done;
	if (ctx->dry_run) {
		rc = cluster_create_dry(&r, err);
		goto done;
	}
	dir = ctx_data_path(ctx, "tenant_data");
	memset(&o, 0, sizeof o);
	o.st = ctx->store;
	o.spec = &r.spec;
	o.env = &r.env;
	o.git = r.git;
	o.export_dir = dir;
	o.now = lc_fixed_now(ctx);
	o.timeout_ms = r.timeout_ms;
	o.keep = r.keep;
	o.step = cluster_create_step;
	o.info = cluster_create_info;
	o.warn = cluster_create_warn;
	o.progress = ctx_kube_progress;
	o.progress_done = cluster_progress_done;
	o.arg = ctx;
	if (cluster_create_begin(&o, &cc, err) == -1)
		goto done;
	if (lc_report_sink(ctx, &sink, err) == -1 ||
	    ctx_kube(ctx, &kc, err) == -1) {
		cluster_create_abort(cc, sink, err);
		goto done;
	}
	if (cluster_create_run(cc, sink, kc, err) == -1)
		goto done;
	if (cluster_meta_export(ctx->store, r.spec.namespace, &out, err) ==
	    -1)
		goto done;
	rc = out_ok(ctx, out, "ES service '%s' of user '%s' created in "
	    "namespace '%s'", r.spec.service_name, r.spec.user,
	    r.spec.namespace);
	cJSON_Delete(out);
done:
	cluster_create_free(cc);
	report_sink_free(sink);
	free(dir);
	cluster_run_release(&r);
	return rc;
}

/*
 * The namespace a command names: the argument, or --user/--service
 * (and --org).  Loads the record and checks the tenant scope.
 */
static int
cluster_target(struct esctl_ctx *ctx, struct esctl_args *args,
    char **ns, cJSON **rec, struct es_err *err)
{
	const char *org = NULL, *user, *svc;

	*ns = NULL;
	*rec = NULL;
	if (args->argc > 0)
		*ns = xstrdup(args->argv[0]);
	else {
		user = args_get(args, "user");
		svc = args_get(args, "service");
		if (user == NULL || svc == NULL)
			return es_err_set(err, ES_EUSAGE, "MissingArgument",
			    "give a NAMESPACE, or --user and --service");
		if (ctx_org(ctx, args_get(args, "org"), 0, &org, err) == -1 ||
		    cluster_meta_find(ctx->store, org, user, svc, ns, err) ==
		    -1)
			return -1;
	}
	if (cluster_meta_get(ctx->store, *ns, rec, err) == -1)
		goto fail;
	if (*rec == NULL) {
		es_err_set(err, ES_ENOTFOUND, "NotFound", "no ES service in "
		    "namespace '%s'", *ns);
		goto fail;
	}
	if (ctx_scope_check(ctx, kube_str(*rec, "tenant_org_id"),
	    kube_str(*rec, "user"), err) == -1)
		goto fail;
	return 0;
fail:
	cJSON_Delete(*rec);
	*rec = NULL;
	free(*ns);
	*ns = NULL;
	return -1;
}

/* The --wait option: true unless "false" (or no, off, 0). */
static int
cluster_wait_opt(struct esctl_args *args, int *wait, struct es_err *err)
{
	const char *v = args_get(args, "wait");

	*wait = 1;
	if (v == NULL)
		return 0;
	return util_parse_bool(v, "--wait", wait, err);
}

/* The lifecycle library's options from the context. */
static void
cluster_op_init(struct esctl_ctx *ctx, struct kube_client *kc,
    long long timeout, int wait, struct cluster_op *op)
{
	memset(op, 0, sizeof *op);
	op->st = ctx->store;
	op->kc = kc;
	op->now = lc_now(ctx);
	op->timeout_ms = timeout;
	op->wait = wait;
	op->progress = ctx_kube_progress;
	op->progress_done = cluster_progress_done;
	op->progress_arg = ctx;
}

static void
cluster_progress_done(void *arg)
{
	ctx_progress_done(arg);
}

/* Removes the export file of a deleted service. */
static void
cluster_unexport(struct esctl_ctx *ctx, const char *org, const char *user,
    const char *svc)
{
	char *dir, *path;

	dir = ctx_data_path(ctx, "tenant_data");
	path = cluster_export_path(dir, org, user, svc);
	if (unlink(path) == -1 && errno != ENOENT)
		ctx_warn(ctx, "cannot remove '%s': %s", path, strerror(errno));
	free(dir);
	free(path);
}

static int
cmd_cluster_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct cluster_op op;
	cJSON *rec = NULL, *plan, *p, *o;
	const char *org, *user, *svc;
	char *ns = NULL;
	long long timeout;
	size_t i;
	int fd = -1, wait, rc = -1, how = CLUSTER_NS_OURS;

	if (cluster_wait_opt(args, &wait, err) == -1 ||
	    cluster_timeout(ctx, args, 300, &timeout, err) == -1 ||
	    cluster_target(ctx, args, &ns, &rec, err) == -1)
		return -1;
	org = kube_str(rec, "tenant_org_id");
	user = kube_str(rec, "user");
	svc = kube_str(rec, "service_name");
	if (!ctx->dry_run && (fd = cluster_lock(ctx->store, ns, err)) == -1)
		goto done;
	lc_flush_outbox(ctx);
	if (ctx_confirm(ctx, err, "delete ES service '%s' of user '%s' in org "
	    "'%s' (namespace '%s', its data volumes included)", svc, user,
	    org, ns) == -1)
		goto done;
	if (ctx_kube(ctx, &kc, err) == -1)
		goto done;
	if (ctx->dry_run) {
		plan = cJSON_CreateArray();
		for (i = 0; cluster_victims[i].resource != NULL; i++) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "method", "DELETE");
			cJSON_AddStringToObject(p, "resource",
			    cluster_victims[i].resource);
			cJSON_AddStringToObject(p, "namespace", ns);
			cJSON_AddStringToObject(p, "name",
			    cluster_victims[i].name);
			cJSON_AddItemToArray(plan, p);
		}
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "method", "DELETE");
		cJSON_AddStringToObject(p, "resource",
		    "persistentvolumeclaims");
		cJSON_AddStringToObject(p, "namespace", ns);
		cJSON_AddStringToObject(p, "selector", "es-cluster=true");
		cJSON_AddItemToArray(plan, p);
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "method", "DELETE");
		cJSON_AddStringToObject(p, "resource", "namespaces");
		cJSON_AddStringToObject(p, "name", ns);
		cJSON_AddItemToArray(plan, p);
		ctx_info(ctx, "dry run: nothing deleted");
		if (ctx->output == OUT_YAML || ctx->output == OUT_JSON)
			rc = out_ok(ctx, plan, NULL);
		else {
			cJSON_ArrayForEach(p, plan)
				fprintf(ctx->out, "%s %s %s%s\n",
				    kube_str(p, "method"),
				    kube_str(p, "resource"), kube_str(p,
				    "name") ? kube_str(p, "name") : "-l ",
				    kube_str(p, "name") ? "" :
				    kube_str(p, "selector"));
			rc = 0;
		}
		cJSON_Delete(plan);
		goto done;
	}
	cluster_op_init(ctx, kc, timeout, wait, &op);
	if (cluster_delete(&op, rec, &how, err) == -1)
		goto done;
	cluster_unexport(ctx, org, user, svc);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddStringToObject(o, "tenant_org_id", org);
	cJSON_AddStringToObject(o, "user", user);
	cJSON_AddStringToObject(o, "service_name", svc);
	cJSON_AddStringToObject(o, "status", "deleted");
	rc = out_ok(ctx, o, "ES service '%s' of user '%s' deleted (namespace "
	    "'%s'%s)", svc, user, ns, how == CLUSTER_NS_ADOPTED ?
	    ", adopted, kept" : how != CLUSTER_NS_GONE && !wait ?
	    ", still terminating" : "");
	cJSON_Delete(o);
done:
	store_unlock(fd);
	cJSON_Delete(rec);
	free(ns);
	return rc;
}

/* A row of restart's answer. */
static void
cluster_restart_row(cJSON *res, const char *pod, const char *ns,
    const char *status)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "pod", pod);
	cJSON_AddStringToObject(e, "namespace", ns);
	cJSON_AddStringToObject(e, "status", status);
	cJSON_AddItemToArray(res, e);
}

static int
cmd_cluster_restart(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct cluster_op op;
	cJSON *rec = NULL, *pods = NULL, *res = NULL, *o, *e;
	const char *want = args_get(args, "pod");
	char *ns = NULL;
	long long timeout;
	int rc = -1, how;

	if (cluster_timeout(ctx, args, 600, &timeout, err) == -1 ||
	    cluster_target(ctx, args, &ns, &rec, err) == -1)
		return -1;
	if (ctx_kube(ctx, &kc, err) == -1)
		goto done;
	res = cJSON_CreateArray();
	if (ctx->dry_run) {
		if (cluster_prove(kc, rec, &how, err) == -1 ||
		    cluster_pods(kc, ns, want, &pods, err) == -1)
			goto done;
		cJSON_ArrayForEach(o, pods)
			cluster_restart_row(res, kube_str(o, "metadata.name"),
			    ns, "would restart");
	} else {
		cluster_op_init(ctx, kc, timeout, 1, &op);
		if (cluster_restart(&op, rec, want, &pods, err) == -1)
			goto done;
		cJSON_ArrayForEach(o, pods)
			cluster_restart_row(res, o->valuestring, ns,
			    "restarted");
	}
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML)
		rc = out_ok(ctx, res, NULL);
	else {
		cJSON_ArrayForEach(e, res)
			out_ok(ctx, NULL, "pod '%s' %s", kube_str(e, "pod"),
			    kube_str(e, "status"));
		rc = 0;
	}
done:
	cJSON_Delete(res);
	cJSON_Delete(pods);
	cJSON_Delete(rec);
	free(ns);
	return rc;
}

static int
cmd_cluster_scale(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_ref ref;
	struct cluster_op op;
	cJSON *rec = NULL, *o;
	char *ns = NULL;
	long long replicas, timeout;
	int fd = -1, wait, rc = -1;

	if (args_int(args, "replicas", 0, CLUSTER_MAX_REPLICAS, -1, &replicas,
	    err) == -1 || cluster_wait_opt(args, &wait, err) == -1 ||
	    cluster_timeout(ctx, args, 600, &timeout, err) == -1)
		return -1;
	if (replicas < 0)
		return es_err_set(err, ES_EUSAGE, "MissingOption", "option "
		    "'--replicas' is required");
	if (cluster_target(ctx, args, &ns, &rec, err) == -1)
		return -1;
	if (cluster_scale_check(ctx->store, rec, replicas, err) == -1)
		goto done;
	if (ctx->dry_run) {
		cluster_sts_ref(&ref, ns);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "apiVersion", "autoscaling/v1");
		cJSON_AddStringToObject(o, "kind", "Scale");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"),
		    "name", ref.name);
		cJSON_AddStringToObject(cJSON_GetObjectItem(o, "metadata"),
		    "namespace", ns);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "spec"),
		    "replicas", (double)replicas);
		ctx_info(ctx, "dry run: nothing sent, nothing recorded");
		rc = cluster_print_objects(ctx, cJSON_CreateArrayReference(o),
		    err);
		cJSON_Delete(o);
		goto done;
	}
	lc_flush_outbox(ctx);
	if ((fd = cluster_lock(ctx->store, ns, err)) == -1 ||
	    ctx_kube(ctx, &kc, err) == -1)
		goto done;
	cluster_op_init(ctx, kc, timeout, wait, &op);
	if (cluster_scale(&op, rec, replicas, err) == -1)
		goto done;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddNumberToObject(o, "replicas", (double)replicas);
	cJSON_AddStringToObject(o, "status", "running");
	rc = out_ok(ctx, o, "ES service in namespace '%s' scaled to %lld "
	    "replica%s", ns, replicas, replicas == 1 ? "" : "s");
	cJSON_Delete(o);
done:
	store_unlock(fd);
	cJSON_Delete(rec);
	free(ns);
	return rc;
}

/* Live state into a record; a StatefulSet that cannot be read, with -v. */
static void
cluster_live_warn(struct esctl_ctx *ctx, struct kube_client *kc,
    int metrics, cJSON *rec, int detail)
{
	struct es_err e2 = ES_ERR_INIT;

	if (cluster_live(kc, metrics, rec, detail, &e2) == -1 &&
	    ctx->verbose)
		ctx_warn(ctx, "%s: %s", kube_str(rec, "namespace"), e2.msg);
}

static const struct out_col cluster_cols[] = {
	{ "NAMESPACE", "namespace", OUT_COL_NAME },
	{ "ORG", "tenant_org_id", OUT_COL_WIDE },
	{ "USER", "user", 0 },
	{ "SERVICE", "service_name", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "READY", "ready", OUT_COL_RIGHT },
	{ "CPU%", "cpu_usage", OUT_COL_RIGHT },
	{ "MEM%", "memory_usage", OUT_COL_RIGHT },
	{ "QPS", "qps", OUT_COL_RIGHT },
	{ "DISK%", "disk_usage", OUT_COL_RIGHT },
	{ "GPU", "gpu_count", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

static int
cmd_cluster_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct cluster_filter f;
	struct kube_client *kc = NULL;
	struct es_err e2 = ES_ERR_INIT;
	const char *sel = args_get(args, "selector");
	cJSON *rows, *row;
	int metrics = 0, rc;

	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1 ||
	    ctx_user(ctx, args_get(args, "user"), &f.user, err) == -1)
		return -1;
	f.service = args_get(args, "service");
	f.status = args_get(args, "status");
	f.include_deleted = args_has(args, "all");
	if (cluster_meta_list(ctx->store, &f, &rows, err) == -1)
		return -1;
	if (ctx_kube(ctx, &kc, &e2) == -1) {
		if (sel != NULL) {
			cJSON_Delete(rows);
			*err = e2;
			return -1;
		}
		ctx_warn(ctx, "live state unavailable: %s", e2.msg);
		kc = NULL;
	}
	if (sel != NULL && cluster_live_select(kc, sel, rows, err) == -1)
		goto fail;
	if (kc != NULL && cJSON_GetArraySize(rows) > 0) {
		metrics = cluster_live_metrics(kc);
		cJSON_ArrayForEach(row, rows) {
			if (strcmp(kube_str(row, "status"), "deleted") == 0)
				cJSON_AddStringToObject(row, "ready", "-");
			else
				cluster_live_warn(ctx, kc, metrics, row, 0);
		}
	} else
		cJSON_ArrayForEach(row, rows)
			cJSON_AddStringToObject(row, "ready", "?");
	if (metrics_annotate(ctx->store, rows, err) == -1)
		goto fail;
	rc = out_list(ctx, rows, cluster_cols, err);
	cJSON_Delete(rows);
	return rc;
fail:
	cJSON_Delete(rows);
	return -1;
}

static int
cmd_cluster_get(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *rec = NULL;
	char *ns = NULL;
	int rc, metrics;

	if (cluster_target(ctx, args, &ns, &rec, err) == -1)
		return -1;
	if (strcmp(kube_str(rec, "status"), "deleted") != 0) {
		if (ctx_kube(ctx, &kc, &e2) == -1)
			ctx_warn(ctx, "live state unavailable: %s", e2.msg);
		else {
			metrics = cluster_live_metrics(kc);
			cluster_live_warn(ctx, kc, metrics, rec, 1);
		}
	}
	/* get: the list's row; describe: everything, key by key */
	if (metrics_annotate(ctx->store, rec, err) == -1)
		rc = -1;
	else if (strcmp(ctx->verb->name, "describe") == 0)
		rc = out_item(ctx, rec, "namespace", err);
	else
		rc = out_get(ctx, rec, cluster_cols, err);
	cJSON_Delete(rec);
	free(ns);
	return rc;
}

static const struct esctl_opt create_opts[] = {
	{ 0, "org", "ORG", "tenant_org_id: the tenant org (required)",
	    OPT_STRING, 0, "org" },
	{ 0, "tenant-org-id", "ORG", "same as --org", OPT_STRING, OPT_HIDDEN,
	    "org" },
	{ 'u', "user", "USER", "the user (required)", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "service_name (required)", OPT_STRING, 0,
	    NULL },
	{ 0, "service-name", "NAME", "same as --service", OPT_STRING,
	    OPT_HIDDEN, NULL },
	{ 'r', "replicas", "N", "Elasticsearch replicas (default 1)",
	    OPT_STRING, 0, NULL },
	{ 0, "cpu-request", "QTY", "CPU request (default 500m)", OPT_STRING,
	    0, NULL },
	{ 0, "cpu-limit", "QTY", "CPU limit (default 2)", OPT_STRING, 0,
	    NULL },
	{ 0, "mem-request", "QTY", "memory request (default 1Gi)",
	    OPT_STRING, 0, NULL },
	{ 0, "mem-limit", "QTY", "memory limit (default 2Gi)", OPT_STRING, 0,
	    NULL },
	{ 0, "disk-size", "QTY", "data volume size (default 10Gi)",
	    OPT_STRING, 0, NULL },
	{ 0, "gpu-count", "N", "GPUs per replica (default 0)", OPT_STRING, 0,
	    NULL },
	{ 0, "dimension", "N", "vector dimension (default 128)", OPT_STRING,
	    0, NULL },
	{ 0, "vector-count", "N", "expected vectors (default 10000)",
	    OPT_STRING, 0, NULL },
	{ 0, "index-limit", "N", "most indices, 0 for no limit (default 0)",
	    OPT_STRING, 0, NULL },
	{ 0, "gitlab-url", "URL", "configuration repository URL[#REF[:PATH]]",
	    OPT_STRING, 0, NULL },
	{ 0, "gitlab-ref", "REF", "branch, tag or commit of the repository",
	    OPT_STRING, 0, NULL },
	{ 0, "gitlab-path", "DIR", "directory inside the repository",
	    OPT_STRING, 0, NULL },
	{ 'n', "namespace", "NS", "namespace (default ORG-USER-SERVICE)",
	    OPT_STRING, 0, NULL },
	{ 'f', "from-file", "FILE", "inputs as JSON or YAML ('-': stdin)",
	    OPT_STRING, 0, "file" },
	{ 0, "no-kibana", NULL, "do not deploy Kibana", OPT_BOOL, 0, NULL },
	{ 0, "timeout", "DURATION", "how long to wait for the rollout "
	    "(default 10m)", OPT_STRING, 0, NULL },
	{ 0, "keep-on-failure", NULL, "keep the objects of a failed create",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt delete_opts[] = {
	{ 0, "org", "ORG", "the org (with --user and --service)", OPT_STRING,
	    0, "org" },
	{ 'u', "user", "USER", "the service's user", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "the service", OPT_STRING, 0, "service" },
	{ 0, "wait", "BOOL", "wait until the namespace is gone (default "
	    "true)", OPT_STRING, 0, "=true false" },
	{ 0, "timeout", "DURATION", "how long to wait (default 5m)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt restart_opts[] = {
	{ 0, "org", "ORG", "the org (with --user and --service)", OPT_STRING,
	    0, "org" },
	{ 'u', "user", "USER", "the service's user", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "the service", OPT_STRING, 0, "service" },
	{ 0, "pod", "NAME", "only this pod", OPT_STRING, 0, NULL },
	{ 0, "timeout", "DURATION", "how long to wait (default 10m)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt scale_opts[] = {
	{ 0, "org", "ORG", "the org (with --user and --service)", OPT_STRING,
	    0, "org" },
	{ 'u', "user", "USER", "the service's user", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "the service", OPT_STRING, 0, "service" },
	{ 'r', "replicas", "N", "the new number of replicas", OPT_INT,
	    OPT_REQUIRED, NULL },
	{ 0, "wait", "BOOL", "wait for the rollout (default true)",
	    OPT_STRING, 0, "=true false" },
	{ 0, "timeout", "DURATION", "how long to wait (default 10m)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "only this user", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "only this service", OPT_STRING, 0,
	    "service" },
	{ 'l', "selector", "SELECTOR", "only namespaces matching this label "
	    "selector", OPT_STRING, 0, NULL },
	{ 0, "status", "STATUS", "only this status", OPT_STRING, 0,
	    "=creating created running scaling error failed deleted" },
	{ 'A', "all", NULL, "include deleted services", OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt get_opts[] = {
	{ 0, "org", "ORG", "the org (with --user and --service)", OPT_STRING,
	    0, "org" },
	{ 'u', "user", "USER", "the service's user", OPT_STRING, 0, "user" },
	{ 's', "service", "NAME", "the service", OPT_STRING, 0, "service" },
	OPT_END
};

static const struct esctl_verb cluster_verbs[] = {
	{ "create", NULL, "create an ES service",
	    "Validates the inputs, checks the org's and the user's quota and "
	    "records the\nservice (status creating) before anything is sent "
	    "to Kubernetes; then the\nten steps, each reported: starting, "
	    "namespace_created, gitlab_pulled,\nk8s_applied, "
	    "resources_configured, disk_configured, gpu_configured,\n"
	    "rollout_completed, tenant_synced, completed.  A failure after "
	    "the record rolls\nback: record removed, deployment failed, a "
	    "failed report, the objects of this\ncreate deleted.  A create "
	    "interrupted at any point can simply be run again.", create_opts,
	    0, 0, CMD_NEEDS_DB | CMD_MUTATES | CMD_NEEDS_KUBE, NULL,
	    cmd_cluster_create },
	{ "delete", "[NAMESPACE]", "delete an ES service",
	    "Deletes the StatefulSet, Services, Kibana, data volumes and then "
	    "the namespace,\nwaits for it to go, marks the deployment deleted "
	    "and removes the tenant\ncontainer.  Asks on a terminal; give "
	    "--yes otherwise.", delete_opts, 0, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM | CMD_NEEDS_KUBE,
	    "namespace", cmd_cluster_delete },
	{ "restart", "[NAMESPACE]", "restart an ES service's pods",
	    "Deletes the Elasticsearch pods (or one, --pod); the StatefulSet "
	    "recreates them.\nWaits until each is Ready again.", restart_opts,
	    0, 1, CMD_NEEDS_DB | CMD_MUTATES | CMD_NEEDS_KUBE, "namespace",
	    cmd_cluster_restart },
	{ "scale", "[NAMESPACE]", "change an ES service's replicas",
	    "Through the StatefulSet's scale subresource, within the org's "
	    "and the user's\nquota (exit 5); the deployment passes through "
	    "scaling to running and the\nchange is recorded for tenant "
	    "usage.", scale_opts, 0, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_NEEDS_KUBE, "namespace",
	    cmd_cluster_scale },
	{ "list", NULL, "list ES services with their live state",
	    "The deployments of the store merged with the cluster: ready and "
	    "desired\nreplicas, CPU and memory usage (percent of the limits, "
	    "from metrics.k8s.io\nwhen served) and the last QPS reported.",
	    list_opts, 0, 0, CMD_NEEDS_DB | CMD_WATCH, NULL, cmd_cluster_list },
	{ "get", "[NAMESPACE]", "show one ES service's row",
	    "Its row of cluster list (-o yaml|json: everything, as describe "
	    "shows it).", get_opts, 0, 1, CMD_NEEDS_DB | CMD_WATCH,
	    "namespace", cmd_cluster_get },
	{ "describe", "[NAMESPACE]", "show one ES service in detail",
	    "Its configuration, status and live state: replicas, usage and "
	    "pods.", get_opts, 0, 1, CMD_NEEDS_DB, "namespace",
	    cmd_cluster_get },
	VERB_END
};

const struct esctl_group esctl_group_cluster = {
	"cluster", "ES services: create, delete, restart, scale, list, get",
	"An ES service (container group) is an Elasticsearch StatefulSet "
	"with its\nServices and Kibana in a namespace of its own, labelled "
	"for its org, user and\nservice.",
	cluster_verbs
};
