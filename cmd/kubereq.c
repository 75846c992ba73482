/*
 * kubereq.c - esctl __kube: hidden low-level Kubernetes requests through
 * the client library, for debugging (with -vv/-vvv) and for tests of the
 * client's retries, errors, conflict handling and waiting.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

static int	cmd_kube_request(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_wait(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_label(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_apply(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_delete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_evict(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_kube_scale(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static int
cmd_kube_request(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	const char *method = args->argv[0], *path = args->argv[1];
	const char *data = args_get(args, "data");
	cJSON *body = NULL, *out = NULL;
	int rc;

	if (path[0] != '/')
		return es_err_set(err, ES_EUSAGE, "Invalid", "the path must "
		    "start with '/': '%s'", path);
	if (data != NULL && (body = cJSON_Parse(data)) == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "--data is not "
		    "JSON");
	if (ctx_kube(ctx, &kc, err) == -1) {
		cJSON_Delete(body);
		return -1;
	}
	rc = kube_call(kc, method, path, body, args_get(args,
	    "content-type"), NULL, &out, err);
	if (rc == 0)
		out_print_json(ctx, out);
	cJSON_Delete(body);
	cJSON_Delete(out);
	return rc;
}

static int
cmd_kube_wait(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_wait w;
	struct kube_ref r;
	const char *cond = args_get(args, "for");
	long long timeout;
	cJSON *last = NULL;
	int rc;

	memset(&w, 0, sizeof w);
	if (strcmp(cond, "rollout") == 0)
		w.cond = kube_cond_rollout;
	else if (strcmp(cond, "ready") == 0)
		w.cond = kube_cond_ready;
	else if (strcmp(cond, "bound") == 0) {
		w.cond = kube_cond_bound;
		w.arg = (void *)(uintptr_t)args_get(args, "size");
	} else if (strcmp(cond, "gone") == 0)
		w.cond = kube_cond_gone;
	else
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid --for "
		    "'%s': rollout, ready, bound or gone", cond);
	if (util_parse_duration_ms(args_get(args, "timeout") ?
	    args_get(args, "timeout") : "60s", "--timeout", &timeout,
	    err) == -1)
		return -1;
	w.timeout_ms = (long)timeout;
	w.progress = ctx_kube_progress;
	w.progress_arg = ctx;
	if (ctx_kube(ctx, &kc, err) == -1)
		return -1;
	if (kube_ref_init(&r, args->argv[0], args->argc > 2 ? args->argv[1] :
	    NULL, args->argv[args->argc - 1], err) == -1)
		return -1;
	rc = kube_wait(kc, &r, &w, &last, err);
	ctx_progress_done(ctx);
	if (rc == 0)
		rc = out_ok(ctx, last, "%s/%s: done", r.resource, r.name);
	cJSON_Delete(last);
	return rc;
}

struct kubereq_label {
	const char	*key;
	const char	*value;
};

static int
kubereq_set_label(void *arg, cJSON *obj, struct es_err *err)
{
	struct kubereq_label *l = arg;
	cJSON *md = cJSON_GetObjectItem(obj, "metadata"), *labels;
	const char *cur;

	(void)err;
	labels = cJSON_GetObjectItem(md, "labels");
	if (labels == NULL)
		labels = cJSON_AddObjectToObject(md, "labels");
	cur = cJSON_GetStringValue(cJSON_GetObjectItem(labels, l->key));
	if (cur != NULL && strcmp(cur, l->value) == 0)
		return 1;
	cJSON_DeleteItemFromObject(labels, l->key);
	cJSON_AddStringToObject(labels, l->key, l->value);
	return 0;
}

static int
cmd_kube_label(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_ref r;
	struct kubereq_label l;
	const char *kv = args->argv[args->argc - 1];
	char *key;
	cJSON *out = NULL;
	int rc;

	if (strchr(kv, '=') == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "expected "
		    "KEY=VALUE, not '%s'", kv);
	key = xstrndup(kv, strcspn(kv, "="));
	l.key = key;
	l.value = strchr(kv, '=') + 1;
	rc = -1;
	if (ctx_kube(ctx, &kc, err) == -1 ||
	    kube_ref_init(&r, args->argv[0], args->argc > 3 ? args->argv[1] :
	    NULL, args->argv[args->argc - 2], err) == -1)
		goto out;
	if (ctx->dry_run) {
		rc = out_ok(ctx, NULL, "dry run: %s/%s not labelled",
		    r.resource, r.name);
		goto out;
	}
	if (kube_update_retry(kc, &r, kubereq_set_label, &l, &out,
	    err) == -1)
		goto out;
	rc = out_ok(ctx, NULL, "%s/%s labelled %s", r.resource, r.name, kv);
out:
	cJSON_Delete(out);
	free(key);
	return rc;
}

static int
cmd_kube_apply(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_ref r;
	const char *data = args_get(args, "data");
	cJSON *body, *out = NULL;
	int rc = -1, created;

	if ((body = cJSON_Parse(data)) == NULL || !cJSON_IsObject(body)) {
		cJSON_Delete(body);
		return es_err_set(err, ES_EUSAGE, "Invalid", "--data is not a "
		    "JSON object");
	}
	if (ctx_kube(ctx, &kc, err) == -1 ||
	    kube_ref_init(&r, args->argv[0], args->argc > 1 ? args->argv[1] :
	    NULL, NULL, err) == -1)
		goto out;
	if (ctx->dry_run) {
		rc = out_ok(ctx, body, "dry run: %s not applied", r.resource);
		goto out;
	}
	if (kube_apply(kc, &r, body, &created, &out, err) == -1)
		goto out;
	rc = out_ok(ctx, out, "%s/%s %s", r.resource, kube_str(out,
	    "metadata.name") ? kube_str(out, "metadata.name") : "",
	    created ? "created" : "configured");
out:
	cJSON_Delete(body);
	cJSON_Delete(out);
	return rc;
}

/* RESOURCE [NAMESPACE] NAME: the ref of positionals from index 0. */
static int
kubereq_ref(struct esctl_args *args, int n, struct kube_ref *r,
    struct es_err *err)
{
	return kube_ref_init(r, args->argv[0], n > 2 ? args->argv[1] : NULL,
	    args->argv[n - 1], err);
}

static int
cmd_kube_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_delete_opts o;
	struct kube_ref r;
	long long grace;
	cJSON *out = NULL;
	int rc;

	memset(&o, 0, sizeof o);
	o.propagation = args_get(args, "propagation");
	o.ignore_not_found = args_has(args, "ignore-not-found");
	if (args_has(args, "grace")) {
		if (args_int(args, "grace", 0, 1000000, 0, &grace, err) == -1)
			return -1;
		o.grace_set = 1;
		o.grace_seconds = (long)grace;
	}
	if (ctx_kube(ctx, &kc, err) == -1 ||
	    kubereq_ref(args, args->argc, &r, err) == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "dry run: %s/%s not deleted",
		    r.resource, r.name);
	if (kube_delete(kc, &r, &o, &out, err) == -1)
		return -1;
	rc = out_ok(ctx, out, "%s/%s deleted", r.resource, r.name);
	cJSON_Delete(out);
	return rc;
}

static int
cmd_kube_evict(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;

	if (ctx_kube(ctx, &kc, err) == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "dry run: pod %s not evicted",
		    args->argv[1]);
	if (kube_evict(kc, args->argv[0], args->argv[1], NULL, err) == -1)
		return -1;
	return out_ok(ctx, NULL, "pod %s evicted", args->argv[1]);
}

static int
cmd_kube_scale(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	struct kube_ref r;
	long long n;
	long before;
	cJSON *out = NULL;
	int rc;

	if (util_parse_int(args->argv[3], "REPLICAS", 0, 100000, &n,
	    err) == -1)
		return -1;
	if (ctx_kube(ctx, &kc, err) == -1 ||
	    kubereq_ref(args, 3, &r, err) == -1 ||
	    kube_scale_get(kc, &r, &before, err) == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "dry run: %s/%s stays at %ld",
		    r.resource, r.name, before);
	if (kube_scale_set(kc, &r, (long)n, &out, err) == -1)
		return -1;
	rc = out_ok(ctx, out, "%s/%s scaled from %ld to %lld", r.resource,
	    r.name, before, n);
	cJSON_Delete(out);
	return rc;
}

static const struct esctl_opt delete_opts[] = {
	{ 0, "propagation", "POLICY", "Foreground, Background or Orphan",
	    OPT_STRING, 0, "=Foreground Background Orphan" },
	{ 0, "grace", "SECONDS", "grace period", OPT_INT, 0, NULL },
	{ 0, "ignore-not-found", NULL, "a missing object is fine", OPT_BOOL,
	    0, NULL },
	OPT_END
};

static const struct esctl_opt apply_opts[] = {
	{ 'd', "data", "JSON", "the object", OPT_STRING, OPT_REQUIRED, NULL },
	OPT_END
};

static const struct esctl_opt request_opts[] = {
	{ 'd', "data", "JSON", "request body", OPT_STRING, 0, NULL },
	{ 0, "content-type", "TYPE", "body type (application/json)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt wait_opts[] = {
	{ 0, "for", "CONDITION", "rollout, ready, bound or gone", OPT_STRING,
	    OPT_REQUIRED, "=rollout ready bound gone" },
	{ 0, "timeout", "DURATION", "give up after (60s)", OPT_STRING, 0,
	    NULL },
	{ 0, "size", "QTY", "with --for bound: at least this capacity",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_verb kube_verbs[] = {
	{ "request", "METHOD PATH", "send one API request and print the "
	    "answer", NULL, request_opts, 2, 2, CMD_HIDDEN, NULL,
	    cmd_kube_request },
	{ "wait", "RESOURCE [NAMESPACE] NAME", "wait for a condition", NULL,
	    wait_opts, 2, 3, CMD_HIDDEN, NULL, cmd_kube_wait },
	{ "apply", "RESOURCE [NAMESPACE]", "create an object, or patch it "
	    "when it exists", NULL, apply_opts, 1, 2,
	    CMD_HIDDEN | CMD_MUTATES, NULL, cmd_kube_apply },
	{ "delete", "RESOURCE [NAMESPACE] NAME", "delete an object", NULL,
	    delete_opts, 2, 3, CMD_HIDDEN | CMD_MUTATES, NULL,
	    cmd_kube_delete },
	{ "evict", "NAMESPACE POD", "evict a pod (policy/v1 Eviction)", NULL,
	    NULL, 2, 2, CMD_HIDDEN | CMD_MUTATES, NULL, cmd_kube_evict },
	{ "scale", "RESOURCE NAMESPACE NAME REPLICAS", "set replicas through "
	    "the scale subresource", NULL, NULL, 4, 4,
	    CMD_HIDDEN | CMD_MUTATES, NULL, cmd_kube_scale },
	{ "label", "RESOURCE [NAMESPACE] NAME KEY=VALUE", "set a label by "
	    "read-modify-write (retries on conflicts)", NULL, NULL, 3, 4,
	    CMD_HIDDEN | CMD_MUTATES, NULL, cmd_kube_label },
	VERB_END
};

const struct esctl_group esctl_group_kubereq = {
	"__kube", "low-level Kubernetes requests (debugging)", NULL,
	kube_verbs
};
