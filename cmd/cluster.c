/*
 * cluster.c - esctl cluster: the ES service lifecycle (SPEC 3): create
 * with its ten reported steps and its rollback, delete, restart, scale,
 * list and get.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "clusterobj.h"
#include "doc.h"
#include "gitcfg.h"
#include "kube.h"
#include "lifecycle.h"
#include "metrics.h"
#include "quantity.h"
#include "report.h"
#include "util.h"

#define CLUSTER_NSTEPS		10
#define CLUSTER_ROLLBACK_MS	60000	/* waiting for a namespace to go */

/* One create: everything its steps and its rollback need. */
struct cluster_run {
	struct esctl_ctx	*ctx;
	struct kube_client	*kc;
	struct report_sink	*sink;
	struct cluster_spec	 spec;
	struct cluster_meta	 meta;
	struct report_details	 details;
	struct clusterobj_env	 env;
	struct lc_gitlab	 gl;
	int			 gl_set;
	struct gitcfg		*git;
	cJSON			*es_settings;	/* esctl.yaml elasticsearch */
	cJSON			*manifests;	/* rendered in step 3 */
	cJSON			*owned;		/* objects of this creation */
	cJSON			*resources;	/* "Kind/name" applied */
	cJSON			*sts;		/* after step 5 */
	char			*es_image;
	char			*kibana_image;
	int			 ns_ours;	/* the namespace is ours */
	int			 ns_adopted;
	int			 step;		/* the step running */
	int			 keep;		/* --keep-on-failure */
	long long		 timeout_ms;
	long long		 start_ms;
	int			 lock_fd;
	unsigned		 reported;	/* steps already reported */
	int			 resume_noted;
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
static int	cluster_steps(struct cluster_run *, struct es_err *);
static void	cluster_rollback(struct cluster_run *, const struct es_err *);
static int	cluster_report(struct cluster_run *, int, const char *,
		    const cJSON *, struct es_err *);
static int	cluster_apply(struct cluster_run *, const cJSON *, int,
		    struct es_err *);
static void	cluster_op_init(struct esctl_ctx *, struct kube_client *,
		    long long, int, struct cluster_op *);
static void	cluster_progress_done(void *);
static int	cluster_answer_lost(struct cluster_run *, struct es_err *);

/* Milliseconds left of the run's --timeout (at least 1). */
static long
cluster_left(const struct cluster_run *r)
{
	long long left = r->timeout_ms - (util_mono_ms() - r->start_ms);

	return left > 0 ? (long)left : 1;
}

/* Writes the report of step n (1-based) and says so on stderr. */
static int
cluster_report(struct cluster_run *r, int n, const char *msg,
    const cJSON *extra, struct es_err *err)
{
	struct report rep;
	cJSON *x = NULL;
	char *m = NULL;
	int rc = 0, again;

	/* a resumed create continues its sequence: each step once */
	again = (r->reported & (1U << (n - 1))) != 0;
	memset(&rep, 0, sizeof rep);
	rep.tenant_org_id = r->spec.tenant_org_id;
	rep.user = r->spec.user;
	rep.service_name = r->spec.service_name;
	rep.namespace = r->spec.namespace;
	rep.status = report_statuses[n - 1];
	rep.message = msg;
	rep.details = &r->details;
	rep.extra = extra;
	rep.creation_id = r->meta.creation_id;
	if (!again && r->meta.resumed && !r->resume_noted) {
		/* the first report of the resumed run says so */
		x = extra != NULL ? cJSON_Duplicate(extra, 1) :
		    cJSON_CreateObject();
		cJSON_AddBoolToObject(x, "resumed", 1);
		m = xasprintf("%s (resumed after an interrupted run)", msg);
		rep.extra = x;
		rep.message = m;
		r->resume_noted = 1;
	}
	if (!again) {
		rc = report_emit(r->sink, &rep, NULL, err);
		r->reported |= 1U << (n - 1);
	}
	if (rc == 0 && r->ctx->output != OUT_JSON &&
	    r->ctx->output != OUT_YAML)
		ctx_info(r->ctx, "[%d/%d] %s: %s%s", n, CLUSTER_NSTEPS,
		    rep.status, rep.message, again ? " (reported before "
		    "the interruption)" : "");
	cJSON_Delete(x);
	free(m);
	return rc;
}

/* The kube_ref of an object (group and version are new strings). */
static int
cluster_ref(const cJSON *obj, const char *ns, struct kube_ref *ref,
    char **group, char **version, struct es_err *err)
{
	const char *resource;

	memset(ref, 0, sizeof *ref);
	if (clusterobj_resource(kube_str(obj, "apiVersion"),
	    kube_str(obj, "kind"), group, version, &resource, err) == -1)
		return -1;
	ref->group = *group;
	ref->version = *version;
	ref->resource = resource;
	ref->namespace = ns;
	ref->name = kube_str(obj, "metadata.name");
	return 0;
}

/* Remembers an object of this creation, for the rollback. */
static void
cluster_own(struct cluster_run *r, const struct kube_ref *ref)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "group", ref->group ? ref->group : "");
	cJSON_AddStringToObject(o, "version", ref->version);
	cJSON_AddStringToObject(o, "resource", ref->resource);
	cJSON_AddStringToObject(o, "name", ref->name);
	cJSON_AddItemToArray(r->owned, o);
}

/* Sets the creation annotation of an orphan, making it ours. */
static int
cluster_claim(struct cluster_run *r, const struct kube_ref *ref,
    struct es_err *err)
{
	cJSON *p;
	int rc;

	p = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(p, "metadata"), "annotations"),
	    CLUSTEROBJ_ANN_CREATION, r->meta.creation_id);
	rc = kube_patch(r->kc, ref, KUBE_PATCH_MERGE, p, NULL, err);
	cJSON_Delete(p);
	return rc;
}

/*
 * Decides about an object that already exists: ours (this creation's,
 * or an interrupted earlier one's, which is claimed), adopted (labelled
 * for this service by someone else: used, never deleted), or refused.
 * Returns 1 when it is ours, 0 when adopted.
 */
static int
cluster_existing(struct cluster_run *r, const struct kube_ref *ref,
    const cJSON *cur, struct es_err *err)
{
	const char *kind = kube_str(cur, "kind");

	if (kind == NULL)
		kind = ref->resource;
	switch (clusterobj_owner(cur, &r->spec, r->meta.creation_id)) {
	case CLUSTEROBJ_OURS:
		return 1;
	case CLUSTEROBJ_ORPHAN:
		return cluster_claim(r, ref, err) == -1 ? -1 : 1;
	case CLUSTEROBJ_ADOPTED:
		return 0;
	case CLUSTEROBJ_OTHER_ORG:
		return es_err_set(err, ES_EPERM, "Forbidden", "%s '%s'%s%s%s "
		    "belongs to org '%s': esctl never takes over another "
		    "org's objects", kind, ref->name, ref->namespace ?
		    " in namespace '" : "", ref->namespace ? ref->namespace :
		    "", ref->namespace ? "'" : "", kube_str(cur,
		    "metadata.labels.tenant-org-id"));
	default:
		return es_err_set(err, ES_ECONFLICT, "AlreadyExists", "%s '%s'"
		    "%s%s%s already exists and is not managed by esctl for "
		    "service '%s' of user '%s' in org '%s'", kind, ref->name,
		    ref->namespace ? " in namespace '" : "", ref->namespace ?
		    ref->namespace : "", ref->namespace ? "'" : "",
		    r->spec.service_name, r->spec.user,
		    r->spec.tenant_org_id);
	}
}

/*
 * A create POST whose answer was lost (connection dropped, timeout): the
 * server may have carried it out.  Sending it again is safe, since the
 * 409 that follows is settled by the creation id (cluster_existing), so
 * the caller repeats it; says so on stderr.
 */
static int
cluster_answer_lost(struct cluster_run *r, struct es_err *err)
{
	if (err->code != ES_EREMOTE || strcmp(err->reason,
	    "ConnectionFailed") != 0)
		return 0;
	ctx_info(r->ctx, "%s; sending it again (an object already made "
	    "is recognised by its creation id)", err->msg);
	es_err_clear(err);
	return 1;
}

/*
 * Creates an object, or takes the existing one if it is this service's
 * (409 AlreadyExists: read it and check whose it is).
 */
static int
cluster_apply(struct cluster_run *r, const cJSON *obj, int record,
    struct es_err *err)
{
	struct kube_ref ref;
	char *group = NULL, *version = NULL, *what;
	cJSON *cur = NULL;
	int rc = -1, ours, tries;

	if (cluster_ref(obj, r->spec.namespace, &ref, &group, &version,
	    err) == -1)
		goto done;
	for (tries = 0; tries < 3; tries++) {
		if (kube_create(r->kc, &ref, obj, NULL, err) == 0) {
			cluster_own(r, &ref);
			break;
		}
		if (tries < 2 && cluster_answer_lost(r, err))
			continue;	/* sent again: a 409 shows whose */
		if (err->code != ES_ECONFLICT)
			goto done;
		es_err_clear(err);
		if (kube_get(r->kc, &ref, &cur, err) == -1) {
			if (err->code != ES_ENOTFOUND)
				goto done;
			es_err_clear(err);
			continue;	/* gone in between: create again */
		}
		if ((ours = cluster_existing(r, &ref, cur, err)) == -1)
			goto done;
		if (ours)
			cluster_own(r, &ref);
		break;
	}
	if (tries == 3) {
		es_err_set(err, ES_ECONFLICT, "Conflict", "%s '%s' keeps "
		    "appearing and disappearing", ref.resource, ref.name);
		goto done;
	}
	if (record) {
		what = xasprintf("%s/%s", kube_str(obj, "kind"), ref.name);
		cJSON_AddItemToArray(r->resources, cJSON_CreateString(what));
		free(what);
	}
	rc = 0;
done:
	cJSON_Delete(cur);
	free(group);
	free(version);
	return rc;
}

/* Step 2: the Namespace, waiting out a namespace still terminating. */
static int
cluster_step_namespace(struct cluster_run *r, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_wait w;
	cJSON *obj, *cur = NULL;
	char *msg;
	int tries, ours = 0, rc = -1;

	if (kube_ref_init(&ref, "namespaces", NULL, r->spec.namespace,
	    err) == -1)
		return -1;
	obj = clusterobj_namespace(&r->env);
	for (tries = 0; tries < 5; tries++) {
		cJSON_Delete(cur);
		cur = NULL;
		if (kube_create(r->kc, &ref, obj, NULL, err) == 0) {
			ours = 1;
			break;
		}
		if (tries < 4 && cluster_answer_lost(r, err))
			continue;
		if (err->code != ES_ECONFLICT)
			goto done;
		es_err_clear(err);
		if (kube_get(r->kc, &ref, &cur, err) == -1) {
			if (err->code != ES_ENOTFOUND)
				goto done;
			es_err_clear(err);
			continue;
		}
		if (clusterobj_owner(cur, &r->spec, r->meta.creation_id) ==
		    CLUSTEROBJ_OTHER_ORG) {
			cluster_existing(r, &ref, cur, err);
			goto done;
		}
		if (kube_str(cur, "metadata.deletionTimestamp") != NULL) {
			/* a deleted namespace of this service is going */
			memset(&w, 0, sizeof w);
			w.timeout_ms = cluster_left(r);
			w.cond = kube_cond_gone;
			w.progress = ctx_kube_progress;
			w.progress_arg = r->ctx;
			rc = kube_wait(r->kc, &ref, &w, NULL, err);
			ctx_progress_done(r->ctx);
			if (rc == -1)
				goto done;
			rc = -1;
			continue;
		}
		if ((ours = cluster_existing(r, &ref, cur, err)) == -1)
			goto done;
		r->ns_adopted = !ours;
		break;
	}
	if (tries == 5) {
		es_err_set(err, ES_ECONFLICT, "Conflict",
		    "namespace '%s' keeps changing", r->spec.namespace);
		goto done;
	}
	r->ns_ours = ours;
	if (r->ns_adopted)
		msg = xasprintf("Namespace %s already existed for this service "
		    "and was adopted", r->spec.namespace);
	else
		msg = xstrdup("Namespace created successfully");
	rc = cluster_report(r, 2, msg, NULL, err);
	free(msg);
done:
	cJSON_Delete(cur);
	cJSON_Delete(obj);
	return rc;
}

/*
 * Step 3: the repository (fetched and resolved before the metadata was
 * recorded, so a bad URL or token stops the create before anything):
 * its manifests rendered with this service's inputs, and its commit
 * recorded on the Namespace.
 */
static int
cluster_step_gitlab(struct cluster_run *r, struct es_err *err)
{
	struct kube_ref ref;
	const cJSON *m;
	cJSON *p, *ann, *extra;
	int found = 0, rc;

	if (r->git == NULL)
		return cluster_report(r, 3, "GitLab pull skipped: no GitLab "
		    "URL given", NULL, err);
	if (clusterobj_manifests(r->git, &r->env, &r->manifests, err) == -1)
		return -1;
	if (!gitcfg_builtin(r->git)) {
		cJSON_ArrayForEach(m, r->manifests)
			if (strcmp(kube_str(m, "kind"), "StatefulSet") == 0 &&
			    strcmp(kube_str(m, "metadata.name"),
			    CLUSTEROBJ_STS) == 0)
				found = 1;
		if (!found)
			return es_err_set(err, ES_EUSAGE, "InvalidManifest",
			    "manifests.builtin is false but the manifests of "
			    "'%s' have no StatefulSet '%s'", gitcfg_url(r->git),
			    CLUSTEROBJ_STS);
	}
	if (kube_ref_init(&ref, "namespaces", NULL, r->spec.namespace,
	    err) == -1)
		return -1;
	p = cJSON_CreateObject();
	ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "metadata"),
	    "annotations");
	cJSON_AddStringToObject(ann, "es.yunpeng.cn/gitlab-url",
	    gitcfg_url(r->git));
	cJSON_AddStringToObject(ann, "es.yunpeng.cn/gitlab-commit",
	    gitcfg_commit(r->git));
	rc = kube_patch(r->kc, &ref, KUBE_PATCH_MERGE, p, NULL, err);
	cJSON_Delete(p);
	if (rc == -1)
		return -1;
	extra = cJSON_CreateObject();
	cJSON_AddStringToObject(extra, "gitlab_url", gitcfg_url(r->git));
	cJSON_AddStringToObject(extra, "gitlab_commit", gitcfg_commit(r->git));
	cJSON_AddNumberToObject(extra, "manifests",
	    cJSON_GetArraySize(r->manifests));
	rc = cluster_report(r, 3, "GitLab resources pulled successfully",
	    extra, err);
	cJSON_Delete(extra);
	return rc;
}

/* 1 if list has an object of obj's kind and name. */
static int
cluster_has(const cJSON *list, const cJSON *obj)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, list)
		if (strcmp(kube_str(o, "kind"), kube_str(obj, "kind")) == 0 &&
		    strcmp(kube_str(o, "metadata.name"),
		    kube_str(obj, "metadata.name")) == 0)
			return 1;
	return 0;
}

/* The objects step 4 applies: built-ins (unless replaced), manifests. */
static cJSON *
cluster_objects(struct cluster_run *r)
{
	cJSON *objs, *b, *o;

	objs = cJSON_CreateArray();
	if (r->git == NULL || gitcfg_builtin(r->git)) {
		b = clusterobj_builtin(&r->env);
		/* a manifest of the same kind and name replaces a built-in */
		while ((o = cJSON_DetachItemFromArray(b, 0)) != NULL) {
			if (r->manifests != NULL && cluster_has(r->manifests,
			    o))
				cJSON_Delete(o);
			else
				cJSON_AddItemToArray(objs, o);
		}
		cJSON_Delete(b);
	}
	if (r->manifests != NULL)
		cJSON_ArrayForEach(o, r->manifests)
			cJSON_AddItemToArray(objs, cJSON_Duplicate(o, 1));
	return objs;
}

/* Step 4: ConfigMap, StatefulSet, Services, Kibana, manifests. */
static int
cluster_step_apply(struct cluster_run *r, struct es_err *err)
{
	cJSON *objs, *o, *extra;
	int rc = 0;

	objs = cluster_objects(r);
	cJSON_ArrayForEach(o, objs)
		if ((rc = cluster_apply(r, o, 1, err)) == -1)
			break;
	cJSON_Delete(objs);
	if (rc == -1)
		return -1;
	extra = cJSON_CreateObject();
	cJSON_AddItemToObject(extra, "resources",
	    cJSON_Duplicate(r->resources, 1));
	rc = cluster_report(r, 4, "Kubernetes resources applied successfully",
	    extra, err);
	cJSON_Delete(extra);
	return rc;
}

static int
cluster_mutate_configure(void *arg, cJSON *sts, struct es_err *err)
{
	struct cluster_run *r = arg;

	if (clusterobj_configure(sts, &r->spec, err) == -1)
		return -1;
	return 0;	/* always written: step 5 sets, it does not check */
}

/* Step 5: replicas, requests and limits, env, max-indices annotation. */
static int
cluster_step_resources(struct cluster_run *r, struct es_err *err)
{
	struct kube_ref ref;

	cluster_sts_ref(&ref, r->spec.namespace);
	cJSON_Delete(r->sts);
	r->sts = NULL;
	if (kube_update_retry(r->kc, &ref, cluster_mutate_configure, r,
	    &r->sts, err) == -1)
		return -1;
	return cluster_report(r, 5, "Cluster resources configured "
	    "successfully", NULL, err);
}

/* Step 6: the data volume of the first replica, created if missing. */
static int
cluster_step_disk(struct cluster_run *r, struct es_err *err)
{
	struct kube_ref ref;
	cJSON *patch, *pvc;
	char *name, *msg;
	int rc;

	name = clusterobj_pvc_name(0);
	memset(&ref, 0, sizeof ref);
	ref.group = "";
	ref.version = "v1";
	ref.resource = "persistentvolumeclaims";
	ref.namespace = r->spec.namespace;
	ref.name = name;
	patch = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"),
	    "resources"), "requests"), "storage", r->spec.disk_size);
	rc = kube_patch(r->kc, &ref, KUBE_PATCH_MERGE, patch, NULL, err);
	if (rc == -1 && err->code == ES_ENOTFOUND) {
		es_err_clear(err);
		pvc = clusterobj_pvc(&r->env, 0);
		rc = cluster_apply(r, pvc, 0, err);
		cJSON_Delete(pvc);
		/* it existed after all (the StatefulSet made it): resize */
		if (rc == 0)
			rc = kube_patch(r->kc, &ref, KUBE_PATCH_MERGE, patch,
			    NULL, err);
	}
	cJSON_Delete(patch);
	free(name);
	if (rc == -1)
		return -1;
	msg = xasprintf("Disk size configured to %s", r->spec.disk_size);
	rc = cluster_report(r, 6, msg, NULL, err);
	free(msg);
	return rc;
}

/* The container limits patch of step 7 (value NULL removes). */
static cJSON *
cluster_gpu_patch(const char *value)
{
	cJSON *p, *c, *lim;

	p = cJSON_CreateObject();
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "spec"),
	    "template"), "spec"), "containers"), c);
	cJSON_AddStringToObject(c, "name", CLUSTEROBJ_CONTAINER);
	lim = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "resources"),
	    "limits");
	if (value != NULL)
		cJSON_AddStringToObject(lim, CLUSTEROBJ_GPU, value);
	else
		cJSON_AddNullToObject(lim, CLUSTEROBJ_GPU);
	return p;
}

/* Step 7: nvidia.com/gpu limits of the elasticsearch container. */
static int
cluster_step_gpu(struct cluster_run *r, struct es_err *err)
{
	struct kube_ref ref;
	cJSON *p, *c;
	const cJSON *lim = NULL;
	char num[32], *msg;
	int rc;

	cluster_sts_ref(&ref, r->spec.namespace);
	if (r->spec.gpu_count <= 0) {
		/* a limit left by an earlier create of this service goes */
		cJSON_ArrayForEach(c, kube_item(r->sts,
		    "spec.template.spec.containers"))
			if (strcmp(kube_str(c, "name"),
			    CLUSTEROBJ_CONTAINER) == 0)
				lim = kube_item(c, "resources.limits");
		if (cJSON_HasObjectItem(lim, CLUSTEROBJ_GPU)) {
			p = cluster_gpu_patch(NULL);
			rc = kube_patch(r->kc, &ref, KUBE_PATCH_STRATEGIC, p,
			    NULL, err);
			cJSON_Delete(p);
			if (rc == -1)
				return -1;
		}
		return cluster_report(r, 7, "GPU configuration skipped: "
		    "gpu_count is 0", NULL, err);
	}
	snprintf(num, sizeof num, "%lld", r->spec.gpu_count);
	p = cluster_gpu_patch(num);
	rc = kube_patch(r->kc, &ref, KUBE_PATCH_STRATEGIC, p, NULL, err);
	cJSON_Delete(p);
	if (rc == -1)
		return -1;
	msg = xasprintf("GPU count configured to %lld", r->spec.gpu_count);
	rc = cluster_report(r, 7, msg, NULL, err);
	free(msg);
	return rc;
}

/* 1 if this run applied an object of that kind and name. */
static int
cluster_applied(const struct cluster_run *r, const char *what)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, r->resources)
		if (strcmp(s->valuestring, what) == 0)
			return 1;
	return 0;
}

/* What the rollout wait knows besides the object it polls. */
struct cluster_rollout {
	struct cluster_run	*run;
	const char		*selector;	/* of the pods it waits for */
	char			*why;		/* the scheduler's last word */
};

/*
 * The rollout condition, plus why pods are not starting: the scheduler's
 * Unschedulable message goes into the progress line and the timeout
 * message, and is said once on stderr as soon as it appears.
 */
static int
cluster_cond_rollout(void *arg, const cJSON *obj, struct es_buf *st,
    struct es_err *err)
{
	struct cluster_rollout *ro = arg;
	struct es_err e2 = ES_ERR_INIT;
	char *why;
	int done;

	if ((done = kube_cond_rollout(NULL, obj, st, err)) != 0)
		return done;
	if (kube_pods_unschedulable(ro->run->kc, ro->run->spec.namespace,
	    ro->selector, &why, &e2) == -1)
		return 0;	/* only an explanation: keep waiting */
	if (why == NULL)
		return 0;
	if (ro->why == NULL || strcmp(ro->why, why) != 0) {
		ctx_progress_done(ro->run->ctx);
		ctx_info(ro->run->ctx, "%s", why);
	}
	free(ro->why);
	ro->why = why;
	es_buf_addf(st, "; %s", why);
	return 0;
}

/* Step 8: the StatefulSet (and Kibana) ready, within --timeout. */
static int
cluster_step_rollout(struct cluster_run *r, struct es_err *err)
{
	struct cluster_rollout ro;
	struct kube_ref ref;
	struct kube_wait w;
	char *msg;
	int rc;

	cluster_sts_ref(&ref, r->spec.namespace);
	memset(&ro, 0, sizeof ro);
	ro.run = r;
	ro.selector = "app=elasticsearch";
	memset(&w, 0, sizeof w);
	w.cond = cluster_cond_rollout;
	w.arg = &ro;
	w.progress = ctx_kube_progress;
	w.progress_arg = r->ctx;
	w.timeout_ms = cluster_left(r);
	rc = kube_wait(r->kc, &ref, &w, NULL, err);
	if (rc == 0 && cluster_applied(r, "Deployment/" CLUSTEROBJ_KIBANA)) {
		ref.resource = "deployments";
		ref.name = CLUSTEROBJ_KIBANA;
		ro.selector = "app=kibana";
		w.timeout_ms = cluster_left(r);
		rc = kube_wait(r->kc, &ref, &w, NULL, err);
	}
	ctx_progress_done(r->ctx);
	free(ro.why);
	if (rc == -1 && strcmp(err->reason, "Timeout") == 0) {
		/* the create's own clock: the whole --timeout, not its rest */
		msg = strstr(err->msg, " waiting for ");
		msg = xstrdup(msg != NULL ? msg + 1 : err->msg);
		es_err_set(err, ES_EREMOTE, "Timeout", "not ready within "
		    "--timeout %llds (%llds elapsed) %s",
		    (r->timeout_ms + 999) / 1000,
		    (util_mono_ms() - r->start_ms + 500) / 1000, msg);
		free(msg);
	}
	if (rc == -1)
		return -1;
	return cluster_report(r, 8, "Cluster rollout completed successfully",
	    NULL, err);
}

/* The export of a TenantContainer: DATA/tenant_data/ORG_USER_SVC.json. */
static int
cluster_export(struct esctl_ctx *ctx, const char *ns, const char *org,
    const char *user, const char *svc, int remove, struct es_err *err)
{
	char *dir, *path, *text;
	cJSON *j;
	int rc;

	dir = ctx_data_path(ctx, "tenant_data");
	path = xasprintf("%s/%s_%s_%s.json", dir, org, user, svc);
	if (remove) {
		if (unlink(path) == -1 && errno != ENOENT)
			ctx_warn(ctx, "cannot remove '%s': %s", path,
			    strerror(errno));
		free(dir);
		free(path);
		return 0;
	}
	rc = -1;
	if (cluster_meta_export(ctx->store, ns, &j, err) == 0) {
		text = cJSON_Print(j);
		cJSON_Delete(j);
		if (util_mkdir_p(dir, 0700, err) == 0)
			rc = util_write_file_atomic(path, text, strlen(text),
			    0600, err);
		cJSON_free(text);
	}
	free(dir);
	free(path);
	return rc;
}

/* Step 9: the TenantContainer with the full configuration, exported. */
static int
cluster_step_sync(struct cluster_run *r, struct es_err *err)
{
	if (cluster_meta_sync(r->ctx->store, &r->spec, r->meta.creation_id,
	    r->git ? gitcfg_commit(r->git) : NULL, lc_now(r->ctx), err) == -1 ||
	    cluster_export(r->ctx, r->spec.namespace, r->spec.tenant_org_id,
	    r->spec.user, r->spec.service_name, 0, err) == -1)
		return -1;
	return cluster_report(r, 9, "Data synced to tenant container "
	    "management", NULL, err);
}

/* Steps 1 to 9; step 10 is the caller's (it cannot be rolled back). */
static int
cluster_steps(struct cluster_run *r, struct es_err *err)
{
	static int (*const steps[])(struct cluster_run *, struct es_err *) = {
		cluster_step_namespace, cluster_step_gitlab,
		cluster_step_apply, cluster_step_resources, cluster_step_disk,
		cluster_step_gpu, cluster_step_rollout, cluster_step_sync
	};
	size_t i;

	r->step = 1;
	if (cluster_report(r, 1, "Starting cluster creation", NULL, err) ==
	    -1)
		return -1;
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		r->step = (int)i + 2;
		if (steps[i](r, err) == -1)
			return -1;
	}
	return 0;
}

/* Deletes a namespace and waits (bounded) for it to go. */
static int
cluster_delete_namespace(struct esctl_ctx *ctx, struct kube_client *kc,
    const char *ns, long timeout_ms, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_delete_opts d;
	struct kube_wait w;
	int rc;

	if (kube_ref_init(&ref, "namespaces", NULL, ns, err) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	if (kube_delete(kc, &ref, &d, NULL, err) == -1)
		return -1;
	if (timeout_ms <= 0)
		return 0;
	memset(&w, 0, sizeof w);
	w.timeout_ms = timeout_ms;
	w.cond = kube_cond_gone;
	w.progress = ctx_kube_progress;
	w.progress_arg = ctx;
	rc = kube_wait(kc, &ref, &w, NULL, err);
	ctx_progress_done(ctx);
	return rc;
}

/*
 * For the rollback of a create that did not see its namespace made:
 * marks the namespace ours when it carries this creation's id, and sets
 * *foreign when it exists but is neither ours nor this service's.
 */
static int
cluster_ns_state(struct cluster_run *r, int *foreign, struct es_err *err)
{
	struct kube_ref ref;
	cJSON *cur = NULL;

	*foreign = 0;
	if (kube_ref_init(&ref, "namespaces", NULL, r->spec.namespace,
	    err) == -1)
		return -1;
	if (kube_get(r->kc, &ref, &cur, err) == -1) {
		if (err->code != ES_ENOTFOUND)
			return -1;
		es_err_clear(err);
		return 0;
	}
	switch (clusterobj_owner(cur, &r->spec, r->meta.creation_id)) {
	case CLUSTEROBJ_OURS:
		r->ns_ours = 1;
		break;
	case CLUSTEROBJ_ORPHAN:
	case CLUSTEROBJ_ADOPTED:
		/* this service's, made by another creation: left alone */
		break;
	default:
		*foreign = 1;
	}
	cJSON_Delete(cur);
	return 0;
}

/*
 * Failure after the metadata: a failed report, the records rolled back,
 * and the objects of this creation removed (unless --keep-on-failure).
 */
static void
cluster_rollback(struct cluster_run *r, const struct es_err *cause)
{
	struct esctl_ctx *ctx = r->ctx;
	struct es_err e2 = ES_ERR_INIT;
	struct kube_delete_opts d;
	struct kube_list_opts lo;
	struct kube_ref ref;
	cJSON *extra, *list = NULL, *o;
	char *msg, *sel;
	const char *step;
	int i, sts_ours = 0, foreign = 0;

	step = r->step >= 1 && r->step <= CLUSTER_NSTEPS ?
	    report_statuses[r->step - 1] : "metadata";
	msg = xasprintf("Cluster creation failed at step %d (%s): %s",
	    r->step, step, cause->msg);
	extra = cJSON_CreateObject();
	cJSON_AddStringToObject(extra, "error", cause->msg);
	cJSON_AddStringToObject(extra, "step", step);
	if (r->sink != NULL) {
		struct report rep;

		memset(&rep, 0, sizeof rep);
		rep.tenant_org_id = r->spec.tenant_org_id;
		rep.user = r->spec.user;
		rep.service_name = r->spec.service_name;
		rep.namespace = r->spec.namespace;
		rep.status = "failed";
		rep.message = msg;
		rep.details = &r->details;
		rep.extra = extra;
		rep.creation_id = r->meta.creation_id;
		if (report_emit(r->sink, &rep, NULL, &e2) == -1)
			ctx_warn(ctx, "cannot write the failed report: %s",
			    e2.msg);
	}
	cJSON_Delete(extra);
	free(msg);
	es_err_clear(&e2);
	/*
	 * The client may not have seen the namespace POST succeed (answer
	 * lost, timeout): a namespace carrying this creation's id is ours
	 * whatever the client saw.  One that is neither ours nor adopted
	 * is someone else's: nothing recorded may point at it.
	 */
	if (r->kc != NULL && !r->ns_ours && !r->ns_adopted &&
	    cluster_ns_state(r, &foreign, &e2) == -1)
		ctx_warn(ctx, "cannot read namespace '%s': %s",
		    r->spec.namespace, e2.msg);
	es_err_clear(&e2);
	if (foreign) {
		if (cluster_meta_forget(ctx->store, r->spec.namespace,
		    r->meta.creation_id, &e2) == -1)
			ctx_warn(ctx, "cannot remove the record: %s", e2.msg);
	} else if (cluster_meta_fail(ctx->store, r->spec.namespace,
	    r->meta.creation_id, cause->msg, lc_now(ctx), &e2) == -1)
		ctx_warn(ctx, "cannot record the failure: %s", e2.msg);
	if (r->kc == NULL || foreign)
		return;
	if (r->keep) {
		if (cJSON_GetArraySize(r->owned) > 0 || r->ns_ours)
			ctx_warn(ctx, "kept the objects of the failed create "
			    "(--keep-on-failure); remove them with 'esctl "
			    "cluster delete %s'", r->spec.namespace);
		return;
	}
	es_err_clear(&e2);
	if (r->ns_ours) {
		if (cluster_delete_namespace(ctx, r->kc, r->spec.namespace,
		    CLUSTER_ROLLBACK_MS, &e2) == -1)
			ctx_warn(ctx, "cannot remove namespace '%s': %s; "
			    "remove it with 'esctl cluster delete %s'",
			    r->spec.namespace, e2.msg, r->spec.namespace);
		return;
	}
	/* an adopted namespace: only this creation's objects go */
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	for (i = cJSON_GetArraySize(r->owned) - 1; i >= 0; i--) {
		o = cJSON_GetArrayItem(r->owned, i);
		if (strcmp(kube_str(o, "resource"), "statefulsets") == 0 &&
		    strcmp(kube_str(o, "name"), CLUSTEROBJ_STS) == 0)
			sts_ours = 1;
		memset(&ref, 0, sizeof ref);
		ref.group = kube_str(o, "group");
		ref.version = kube_str(o, "version");
		ref.resource = kube_str(o, "resource");
		ref.name = kube_str(o, "name");
		ref.namespace = r->spec.namespace;
		es_err_clear(&e2);
		if (kube_delete(r->kc, &ref, &d, NULL, &e2) == -1)
			ctx_warn(ctx, "cannot remove %s '%s': %s", ref.resource,
			    ref.name, e2.msg);
	}
	/* and the data volumes our StatefulSet made */
	if (!sts_ours || kube_ref_init(&ref, "persistentvolumeclaims",
	    r->spec.namespace, NULL, &e2) == -1)
		return;
	sel = xasprintf("es-cluster=true,tenant-org-id=%s,user=%s,"
	    "service-name=%s", r->spec.tenant_org_id, r->spec.user,
	    r->spec.service_name);
	memset(&lo, 0, sizeof lo);
	lo.label_selector = sel;
	if (kube_list(r->kc, &ref, &lo, &list, &e2) == 0) {
		cJSON_ArrayForEach(o, cJSON_GetObjectItem(list, "items")) {
			if (!clusterobj_is_ours(o, r->meta.creation_id) &&
			    strncmp(kube_str(o, "metadata.name"),
			    CLUSTEROBJ_PVC_PREFIX,
			    strlen(CLUSTEROBJ_PVC_PREFIX)) != 0)
				continue;
			ref.name = kube_str(o, "metadata.name");
			if (kube_delete(r->kc, &ref, &d, NULL, &e2) == -1)
				ctx_warn(ctx, "cannot remove %s '%s': %s",
				    ref.resource, ref.name, e2.msg);
		}
	} else
		ctx_warn(ctx, "cannot list the data volumes of '%s': %s",
		    r->spec.namespace, e2.msg);
	cJSON_Delete(list);
	free(sel);
}

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
	cluster_spec_details(&r->spec, &r->details);
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
	struct tenant_amount add;
	cJSON *items, *objs, *o;

	cluster_spec_usage(&r->spec, &add);
	if (tenant_quota_check(r->ctx->store, r->spec.tenant_org_id,
	    r->spec.user, &add, err) == -1)
		return -1;
	r->env.creation_id = "(dry-run)";
	if (r->git != NULL && clusterobj_manifests(r->git, &r->env,
	    &r->manifests, err) == -1)
		return -1;
	items = cJSON_CreateArray();
	cJSON_AddItemToArray(items, clusterobj_namespace(&r->env));
	objs = cluster_objects(r);
	while ((o = cJSON_DetachItemFromArray(objs, 0)) != NULL)
		cJSON_AddItemToArray(items, o);
	cJSON_Delete(objs);
	cJSON_AddItemToArray(items, clusterobj_pvc(&r->env, 0));
	ctx_info(r->ctx, "dry run: nothing sent, nothing recorded");
	return cluster_print_objects(r->ctx, items, err);
}

static void
cluster_run_release(struct cluster_run *r)
{
	report_sink_free(r->sink);
	gitcfg_free(r->git);
	if (r->gl_set)
		lc_gitlab_release(&r->gl);
	cJSON_Delete(r->es_settings);
	cJSON_Delete(r->manifests);
	cJSON_Delete(r->owned);
	cJSON_Delete(r->resources);
	cJSON_Delete(r->sts);
	free(r->es_image);
	free(r->kibana_image);
	cluster_meta_release(&r->meta);
	cluster_spec_release(&r->spec);
	store_unlock(r->lock_fd);
}

static int
cmd_cluster_create(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct cluster_run r;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *out;
	int rc = -1;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.lock_fd = -1;
	r.owned = cJSON_CreateArray();
	r.resources = cJSON_CreateArray();
	r.keep = args_has(args, "keep-on-failure");
	cluster_spec_init(&r.spec);
	if (cluster_timeout(ctx, args, 600, &r.timeout_ms, err) == -1 ||
	    cluster_inputs(&r, args, err) == -1)
		goto done;
	if (ctx->dry_run) {
		rc = cluster_create_dry(&r, err);
		goto done;
	}
	if ((r.lock_fd = cluster_lock(ctx->store, r.spec.namespace, err)) == -1)
		goto done;
	/* 0: quota and metadata first; nothing is sent before this */
	if (cluster_meta_record(ctx->store, &r.spec, lc_now(ctx), &r.meta,
	    err) == -1)
		goto done;
	r.env.creation_id = r.meta.creation_id;
	if (r.meta.resumed) {
		ctx_info(ctx, "resuming the interrupted create of '%s'",
		    r.spec.namespace);
		if (report_done_mask(ctx->store, r.meta.creation_id,
		    &r.reported, err) == -1) {
			cluster_rollback(&r, err);
			goto done;
		}
	}
	r.start_ms = util_mono_ms();
	if (lc_report_sink(ctx, &r.sink, err) == -1 ||
	    ctx_kube(ctx, &r.kc, err) == -1 ||
	    cluster_steps(&r, err) == -1) {
		cluster_rollback(&r, err);
		goto done;
	}
	/* 10: done; nothing can be rolled back any more */
	r.step = 10;
	if (cluster_meta_created(ctx->store, &r.spec, r.meta.creation_id,
	    lc_now(ctx), err) == -1) {
		cluster_rollback(&r, err);
		goto done;
	}
	if (cluster_report(&r, 10, "Cluster creation completed successfully",
	    NULL, &e2) == -1)
		ctx_warn(ctx, "cannot write the completed report: %s", e2.msg);
	if (cluster_meta_export(ctx->store, r.spec.namespace, &out, err) ==
	    -1)
		goto done;
	rc = out_ok(ctx, out, "ES service '%s' of user '%s' created in "
	    "namespace '%s'", r.spec.service_name, r.spec.user,
	    r.spec.namespace);
	cJSON_Delete(out);
done:
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
				fprintf(ctx->out, "DELETE %s %s%s\n",
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
	cluster_export(ctx, ns, org, user, svc, 1, err);
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

/* Sum of CPU (cores) and memory (bytes) of a namespace's ES pods. */
static int
cluster_usage(struct kube_client *kc, const char *ns, double *cpu,
    double *mem, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	cJSON *list = NULL;
	const cJSON *p, *c;
	int64_t m;

	*cpu = *mem = 0;
	if (kube_ref_init(&ref, "podmetrics", ns, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = "app=elasticsearch";
	if (kube_list(kc, &ref, &lo, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(list, "items"))
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(p, "containers")) {
			if (quantity_parse(kube_str(c, "usage.cpu"), "cpu", 0,
			    &m, NULL) == 0)
				*cpu += quantity_to_double(m);
			if (quantity_parse(kube_str(c, "usage.memory"),
			    "memory", 0, &m, NULL) == 0)
				*mem += quantity_to_double(m);
		}
	cJSON_Delete(list);
	return 0;
}

static double
cluster_pct(double used, const char *limit, double replicas)
{
	int64_t m;
	double total;

	if (limit == NULL || quantity_parse(limit, "limit", 0, &m, NULL) ==
	    -1)
		return 0;
	total = quantity_to_double(m) * replicas;
	if (total <= 0)
		return 0;
	return (double)(long long)(used / total * 1000.0 + 0.5) / 10.0;
}

/* Sets a number, in place when the key exists (key order is kept). */
static void
cluster_set_num(cJSON *o, const char *key, double v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(o, key,
		    cJSON_CreateNumber(v));
	else
		cJSON_AddNumberToObject(o, key, v);
}

/*
 * Merges live state into a record: ready/desired replicas from the
 * StatefulSet, CPU and memory usage (percent of limits) from
 * metrics.k8s.io when served.  Returns -1 only for errors worth
 * stopping for (none: the record keeps its stored values).
 */
static void
cluster_live(struct esctl_ctx *ctx, struct kube_client *kc, int metrics,
    cJSON *rec, int detail)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	struct es_err e2 = ES_ERR_INIT;
	const char *ns = kube_str(rec, "namespace");
	const cJSON *p;
	cJSON *sts = NULL, *list = NULL, *pods, *e;
	double ready = 0, want, cpu, mem;
	char buf[64], st[64];
	int r, t;

	want = kube_num(rec, "replicas", 0);
	cluster_sts_ref(&ref, ns);
	if (kube_get(kc, &ref, &sts, &e2) == 0) {
		want = kube_num(sts, "spec.replicas", want);
		ready = kube_num(sts, "status.readyReplicas", 0);
		cluster_set_num(rec, "replicas", want);
		cJSON_AddNumberToObject(rec, "ready_replicas", ready);
		snprintf(buf, sizeof buf, "%.0f/%.0f", ready, want);
		cJSON_AddStringToObject(rec, "ready", buf);
		cJSON_AddBoolToObject(rec, "live", 1);
	} else {
		cJSON_AddStringToObject(rec, "ready", e2.code ==
		    ES_ENOTFOUND ? "-" : "?");
		cJSON_AddBoolToObject(rec, "live", 0);
		if (e2.code != ES_ENOTFOUND && ctx->verbose)
			ctx_warn(ctx, "%s: %s", ns, e2.msg);
	}
	cJSON_Delete(sts);
	es_err_clear(&e2);
	if (metrics && cluster_usage(kc, ns, &cpu, &mem, &e2) == 0) {
		cluster_set_num(rec, "cpu_usage", cluster_pct(cpu,
		    kube_str(rec, "cpu_limit"), want));
		cluster_set_num(rec, "memory_usage", cluster_pct(mem,
		    kube_str(rec, "mem_limit"), want));
	}
	if (!detail)
		return;
	pods = cJSON_AddArrayToObject(rec, "pods");
	if (kube_ref_init(&ref, "pods", ns, NULL, &e2) == -1)
		return;
	memset(&lo, 0, sizeof lo);
	if (kube_list(kc, &ref, &lo, &list, &e2) == -1)
		return;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(list, "items")) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "pod_name", kube_str(p,
		    "metadata.name"));
		kube_pod_status(p, st, sizeof st);
		cJSON_AddStringToObject(e, "status", st);
		kube_pod_ready(p, &r, &t);
		snprintf(buf, sizeof buf, "%d/%d", r, t);
		cJSON_AddStringToObject(e, "ready", buf);
		cJSON_AddStringToObject(e, "node", kube_str(p,
		    "spec.nodeName") ? kube_str(p, "spec.nodeName") : "");
		cJSON_AddItemToArray(pods, e);
	}
	cJSON_Delete(list);
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
	struct kube_ref ref;
	struct kube_list_opts lo;
	struct es_err e2 = ES_ERR_INIT;
	const char *sel = args_get(args, "selector");
	cJSON *rows, *nss = NULL, *keep, *row, *n;
	int metrics = 0, rc, found;

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
	if (sel != NULL) {
		if (kube_ref_init(&ref, "namespaces", NULL, NULL, err) == -1)
			goto fail;
		memset(&lo, 0, sizeof lo);
		lo.label_selector = sel;
		if (kube_list(kc, &ref, &lo, &nss, err) == -1)
			goto fail;
		keep = cJSON_CreateArray();
		while ((row = cJSON_DetachItemFromArray(rows, 0)) != NULL) {
			found = 0;
			cJSON_ArrayForEach(n, cJSON_GetObjectItem(nss, "items"))
				if (strcmp(kube_str(n, "metadata.name"),
				    kube_str(row, "namespace")) == 0)
					found = 1;
			if (found)
				cJSON_AddItemToArray(keep, row);
			else
				cJSON_Delete(row);
		}
		cJSON_Delete(rows);
		rows = keep;
	}
	if (kc != NULL && cJSON_GetArraySize(rows) > 0) {
		es_err_clear(&e2);
		metrics = kube_served(kc, "metrics.k8s.io", "v1beta1", "pods",
		    &e2) == 1;
		cJSON_ArrayForEach(row, rows) {
			if (strcmp(kube_str(row, "status"), "deleted") == 0)
				cJSON_AddStringToObject(row, "ready", "-");
			else
				cluster_live(ctx, kc, metrics, row, 0);
		}
	} else
		cJSON_ArrayForEach(row, rows)
			cJSON_AddStringToObject(row, "ready", "?");
	if (metrics_annotate(ctx->store, rows, err) == -1)
		goto fail;
	rc = out_list(ctx, rows, cluster_cols, err);
	cJSON_Delete(nss);
	cJSON_Delete(rows);
	return rc;
fail:
	cJSON_Delete(nss);
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
			metrics = kube_served(kc, "metrics.k8s.io", "v1beta1",
			    "pods", &e2) == 1;
			cluster_live(ctx, kc, metrics, rec, 1);
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
