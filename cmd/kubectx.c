/*
 * kubectx.c - Kubernetes clients of the command context: the ambient
 * kubeconfig's (ctx_kube) and registered clusters' (ctx_kube_cluster).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "k8scluster.h"
#include "util.h"

/* A duration in milliseconds from the environment, or def. */
static int
kubectx_env_ms(const char *name, long def, long *out, struct es_err *err)
{
	const char *v = getenv(name);
	long long ms;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	if (util_parse_duration_ms(v, name, &ms, err) == -1)
		return -1;
	*out = (long)ms;
	return 0;
}

int
ctx_kube_opts(struct esctl_ctx *ctx, struct kube_opts *o, struct es_err *err)
{
	long long v;

	memset(o, 0, sizeof *o);
	o->log = &ctx->log;
	if (ctx->request_timeout != NULL) {
		if (util_parse_duration_ms(ctx->request_timeout,
		    "--request-timeout", &v, err) == -1)
			return -1;
		o->request_timeout_ms = v == 0 ? -1 : (long)v;
	}
	if (config_get_duration_ms(ctx->cfg, "kube.connect_timeout",
	    KUBE_DEFAULT_CONNECT_MS, &v, err) == -1)
		return -1;
	o->connect_timeout_ms = (long)v;
	if (config_get_duration_ms(ctx->cfg, "kube.retry_base",
	    KUBE_DEFAULT_RETRY_BASE_MS, &v, err) == -1)
		return -1;
	o->retry_base_ms = (long)v;
	if (config_get_duration_ms(ctx->cfg, "kube.retry_max_time",
	    KUBE_DEFAULT_RETRY_TOTAL_MS, &v, err) == -1)
		return -1;
	o->retry_total_ms = (long)v;
	if (config_get_int(ctx->cfg, "kube.retries", KUBE_DEFAULT_ATTEMPTS - 1,
	    &v, err) == -1)
		return -1;
	if (v < 0 || v > 100)
		return es_err_set(err, ES_EUSAGE, "InvalidConfig",
		    "kube.retries must be between 0 and 100");
	o->max_attempts = (int)v + 1;
	if (kubectx_env_ms("ESCTL_KUBE_RETRY_BASE", o->retry_base_ms,
	    &o->retry_base_ms, err) == -1 ||
	    kubectx_env_ms("ESCTL_KUBE_RETRY_MAX_TIME", o->retry_total_ms,
	    &o->retry_total_ms, err) == -1)
		return -1;
	if (o->retry_base_ms <= 0)
		o->retry_base_ms = 1;
	if (o->retry_total_ms <= 0)
		o->retry_total_ms = 1;
	return 0;
}

int
ctx_kube(struct esctl_ctx *ctx, struct kube_client **out, struct es_err *err)
{
	struct kube_config *cfg;
	struct kube_opts o;
	int rc;

	if (ctx->kube != NULL) {
		*out = ctx->kube;
		return 0;
	}
	*out = NULL;
	if (ctx_kube_opts(ctx, &o, err) == -1)
		return -1;
	if (kube_config_load(ctx->kubeconfig, ctx->kube_context, &cfg,
	    err) == -1)
		return -1;
	es_log(&ctx->log, ES_LOG_DEBUG, "kubeconfig %s, context '%s', server "
	    "%s, user '%s' (%s)", kube_config_source(cfg),
	    kube_config_context(cfg), kube_config_server(cfg),
	    kube_config_user(cfg), kube_auth_name(kube_config_auth(cfg)));
	rc = kube_open(cfg, &o, &ctx->kube, err);
	kube_config_free(cfg);
	if (rc == -1)
		return -1;
	*out = ctx->kube;
	return 0;
}

int
ctx_kube_cluster(struct esctl_ctx *ctx, const char *name,
    struct kube_client **out, struct es_err *err)
{
	struct kube_config *cfg;
	struct kube_opts o;
	cJSON *row, *kc;
	int rc;

	*out = NULL;
	if (ctx_kube_opts(ctx, &o, err) == -1)
		return -1;
	if (ctx->store == NULL && store_open(ctx->db_path, STORE_READONLY,
	    &ctx->store, err) == -1)
		return -1;
	if (k8scluster_get(ctx->store, name, 1, &row, err) == -1)
		return -1;
	rc = k8scluster_config(row, ctx->kubeconfig, &cfg, err);
	kc = cJSON_GetObjectItem(row, "kubeconfig");
	if (cJSON_IsString(kc))
		explicit_bzero(kc->valuestring, strlen(kc->valuestring));
	cJSON_Delete(row);
	if (rc == -1)
		return -1;
	es_log(&ctx->log, ES_LOG_DEBUG, "cluster '%s': context '%s', server "
	    "%s, user '%s' (%s)", name, kube_config_context(cfg),
	    kube_config_server(cfg), kube_config_user(cfg),
	    kube_auth_name(kube_config_auth(cfg)));
	rc = kube_open(cfg, &o, out, err);
	kube_config_free(cfg);
	return rc;
}

void
ctx_kube_progress(void *arg, const char *line)
{
	ctx_progress(arg, "%s", line);
}

void
ctx_kube_ns_selector(struct esctl_ctx *ctx, struct es_buf *sel)
{
	es_buf_reset(sel);
	if (ctx->as_org != NULL)
		es_buf_addf(sel, "tenant-org-id=%s", ctx->as_org);
	if (ctx->as_user != NULL)
		es_buf_addf(sel, "%suser=%s", sel->len ? "," : "",
		    ctx->as_user);
}

int
ctx_kube_ns_check(struct esctl_ctx *ctx, struct kube_client *kc,
    const char *ns, struct es_err *err)
{
	struct kube_ref r;
	cJSON *obj;
	const cJSON *labels;
	const char *org, *user;
	int rc = 0;

	if (ctx->as_org == NULL && ctx->as_user == NULL)
		return 0;
	if (kube_ref_init(&r, "namespaces", NULL, ns, err) == -1 ||
	    kube_get(kc, &r, &obj, err) == -1)
		return -1;
	labels = kube_item(obj, "metadata.labels");
	org = cJSON_GetStringValue(cJSON_GetObjectItem(labels,
	    "tenant-org-id"));
	user = cJSON_GetStringValue(cJSON_GetObjectItem(labels, "user"));
	if (ctx->as_org != NULL && (org == NULL || strcmp(org,
	    ctx->as_org) != 0))
		rc = es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: namespace '%s' does not belong to org '%s'", ns,
		    ctx->as_org);
	else if (ctx->as_user != NULL && (user == NULL || strcmp(user,
	    ctx->as_user) != 0))
		rc = es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: namespace '%s' does not belong to user '%s'", ns,
		    ctx->as_user);
	cJSON_Delete(obj);
	return rc;
}
