/*
 * create.c - creating an ES service: the ten reported steps and the
 * rollback (see create.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "create.h"
#include "kube.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define CLUSTER_ROLLBACK_MS	60000	/* waiting for a namespace to go */

/* One create: everything its steps and its rollback need. */
struct cluster_create {
	struct cluster_create_opts o;
	const struct cluster_spec *spec;
	struct gitcfg		*git;
	struct kube_client	*kc;
	struct report_sink	*sink;
	struct cluster_meta	 meta;
	struct report_details	 details;
	struct clusterobj_env	 env;
	cJSON			*manifests;	/* rendered in step 3 */
	cJSON			*owned;		/* objects of this creation */
	cJSON			*resources;	/* "Kind/name" applied */
	cJSON			*sts;		/* after step 5 */
	int			 ns_ours;	/* the namespace is ours */
	int			 ns_adopted;
	int			 step;		/* the step running */
	long long		 start_ms;
	int			 lock_fd;
	unsigned		 reported;	/* steps already reported */
	int			 resume_noted;
};

static void	cc_info(struct cluster_create *, const char *, ...)
		    ES_PRINTF(2, 3);
static void	cc_warn(struct cluster_create *, const char *, ...)
		    ES_PRINTF(2, 3);
static int	cluster_steps(struct cluster_create *, struct es_err *);
static void	cluster_rollback(struct cluster_create *,
		    const struct es_err *);
static int	cluster_report(struct cluster_create *, int, const char *,
		    const cJSON *, struct es_err *);
static int	cluster_apply(struct cluster_create *, const cJSON *, int,
		    struct es_err *);
static int	cluster_answer_lost(struct cluster_create *,
		    struct es_err *);

/* The time of a record: the options' fixed time, else the clock. */
static time_t
cc_now(const struct cluster_create *r)
{
	return r->o.now != 0 ? r->o.now : time(NULL);
}

static void
cc_say(void (*fn)(void *, const char *), void *arg, const char *fmt,
    va_list ap)
{
	char *msg;

	if (fn == NULL)
		return;
	msg = xvasprintf(fmt, ap);
	fn(arg, msg);
	free(msg);
}

static void
cc_info(struct cluster_create *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cc_say(r->o.info, r->o.arg, fmt, ap);
	va_end(ap);
}

static void
cc_warn(struct cluster_create *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cc_say(r->o.warn, r->o.arg, fmt, ap);
	va_end(ap);
}

static void
cc_progress_done(struct cluster_create *r)
{
	if (r->o.progress_done != NULL)
		r->o.progress_done(r->o.arg);
}

/* Milliseconds left of the run's --timeout (at least 1). */
static long
cluster_left(const struct cluster_create *r)
{
	long long left = r->o.timeout_ms - (util_mono_ms() - r->start_ms);

	return left > 0 ? (long)left : 1;
}

/* Writes the report of step n (1-based) and tells the step callback. */
static int
cluster_report(struct cluster_create *r, int n, const char *msg,
    const cJSON *extra, struct es_err *err)
{
	struct report rep;
	cJSON *x = NULL;
	char *m = NULL;
	int rc = 0, again;

	/* a resumed create continues its sequence: each step once */
	again = (r->reported & (1U << (n - 1))) != 0;
	memset(&rep, 0, sizeof rep);
	rep.tenant_org_id = r->spec->tenant_org_id;
	rep.user = r->spec->user;
	rep.service_name = r->spec->service_name;
	rep.namespace = r->spec->namespace;
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
	if (rc == 0 && r->o.step != NULL)
		r->o.step(r->o.arg, n, rep.status, rep.message, again);
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
cluster_own(struct cluster_create *r, const struct kube_ref *ref)
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
cluster_claim(struct cluster_create *r, const struct kube_ref *ref,
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
cluster_existing(struct cluster_create *r, const struct kube_ref *ref,
    const cJSON *cur, struct es_err *err)
{
	const char *kind = kube_str(cur, "kind");

	if (kind == NULL)
		kind = ref->resource;
	switch (clusterobj_owner(cur, r->spec, r->meta.creation_id)) {
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
		    r->spec->service_name, r->spec->user,
		    r->spec->tenant_org_id);
	}
}

/*
 * A create POST whose answer was lost (connection dropped, timeout): the
 * server may have carried it out.  Sending it again is safe, since the
 * 409 that follows is settled by the creation id (cluster_existing), so
 * the caller repeats it; says so (info).
 */
static int
cluster_answer_lost(struct cluster_create *r, struct es_err *err)
{
	if (err->code != ES_EREMOTE || strcmp(err->reason,
	    "ConnectionFailed") != 0)
		return 0;
	cc_info(r, "%s; sending it again (an object already made "
	    "is recognised by its creation id)", err->msg);
	es_err_clear(err);
	return 1;
}

/*
 * Creates an object, or takes the existing one if it is this service's
 * (409 AlreadyExists: read it and check whose it is).
 */
static int
cluster_apply(struct cluster_create *r, const cJSON *obj, int record,
    struct es_err *err)
{
	struct kube_ref ref;
	char *group = NULL, *version = NULL, *what;
	cJSON *cur = NULL;
	int rc = -1, ours, tries;

	if (cluster_ref(obj, r->spec->namespace, &ref, &group, &version,
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
cluster_step_namespace(struct cluster_create *r, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_wait w;
	cJSON *obj, *cur = NULL;
	char *msg;
	int tries, ours = 0, rc = -1;

	if (kube_ref_init(&ref, "namespaces", NULL, r->spec->namespace,
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
		if (clusterobj_owner(cur, r->spec, r->meta.creation_id) ==
		    CLUSTEROBJ_OTHER_ORG) {
			cluster_existing(r, &ref, cur, err);
			goto done;
		}
		if (kube_str(cur, "metadata.deletionTimestamp") != NULL) {
			/* a deleted namespace of this service is going */
			memset(&w, 0, sizeof w);
			w.timeout_ms = cluster_left(r);
			w.cond = kube_cond_gone;
			w.progress = r->o.progress;
			w.progress_arg = r->o.arg;
			rc = kube_wait(r->kc, &ref, &w, NULL, err);
			cc_progress_done(r);
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
		    "namespace '%s' keeps changing", r->spec->namespace);
		goto done;
	}
	r->ns_ours = ours;
	if (r->ns_adopted)
		msg = xasprintf("Namespace %s already existed for this service "
		    "and was adopted", r->spec->namespace);
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
cluster_step_gitlab(struct cluster_create *r, struct es_err *err)
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
	if (kube_ref_init(&ref, "namespaces", NULL, r->spec->namespace,
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
cluster_objects(struct gitcfg *git, const struct clusterobj_env *env,
    const cJSON *manifests)
{
	cJSON *objs, *b, *o;

	objs = cJSON_CreateArray();
	if (git == NULL || gitcfg_builtin(git)) {
		b = clusterobj_builtin(env);
		/* a manifest of the same kind and name replaces a built-in */
		while ((o = cJSON_DetachItemFromArray(b, 0)) != NULL) {
			if (manifests != NULL && cluster_has(manifests, o))
				cJSON_Delete(o);
			else
				cJSON_AddItemToArray(objs, o);
		}
		cJSON_Delete(b);
	}
	if (manifests != NULL)
		cJSON_ArrayForEach(o, manifests)
			cJSON_AddItemToArray(objs, cJSON_Duplicate(o, 1));
	return objs;
}

/* Step 4: ConfigMap, StatefulSet, Services, Kibana, manifests. */
static int
cluster_step_apply(struct cluster_create *r, struct es_err *err)
{
	cJSON *objs, *o, *extra;
	int rc = 0;

	objs = cluster_objects(r->git, &r->env, r->manifests);
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
	struct cluster_create *r = arg;

	if (clusterobj_configure(sts, r->spec, err) == -1)
		return -1;
	return 0;	/* always written: step 5 sets, it does not check */
}

/* Step 5: replicas, requests and limits, env, max-indices annotation. */
static int
cluster_step_resources(struct cluster_create *r, struct es_err *err)
{
	struct kube_ref ref;

	cluster_sts_ref(&ref, r->spec->namespace);
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
cluster_step_disk(struct cluster_create *r, struct es_err *err)
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
	ref.namespace = r->spec->namespace;
	ref.name = name;
	patch = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"),
	    "resources"), "requests"), "storage", r->spec->disk_size);
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
	msg = xasprintf("Disk size configured to %s", r->spec->disk_size);
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
cluster_step_gpu(struct cluster_create *r, struct es_err *err)
{
	struct kube_ref ref;
	cJSON *p, *c;
	const cJSON *lim = NULL;
	char num[32], *msg;
	int rc;

	cluster_sts_ref(&ref, r->spec->namespace);
	if (r->spec->gpu_count <= 0) {
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
	snprintf(num, sizeof num, "%lld", r->spec->gpu_count);
	p = cluster_gpu_patch(num);
	rc = kube_patch(r->kc, &ref, KUBE_PATCH_STRATEGIC, p, NULL, err);
	cJSON_Delete(p);
	if (rc == -1)
		return -1;
	msg = xasprintf("GPU count configured to %lld", r->spec->gpu_count);
	rc = cluster_report(r, 7, msg, NULL, err);
	free(msg);
	return rc;
}

/* 1 if this run applied an object of that kind and name. */
static int
cluster_applied(const struct cluster_create *r, const char *what)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, r->resources)
		if (strcmp(s->valuestring, what) == 0)
			return 1;
	return 0;
}

/* What the rollout wait knows besides the object it polls. */
struct cluster_rollout {
	struct cluster_create	*run;
	const char		*selector;	/* of the pods it waits for */
	char			*why;		/* the scheduler's last word */
};

/*
 * The rollout condition, plus why pods are not starting: the scheduler's
 * Unschedulable message goes into the progress line and the timeout
 * message, and is said once (info) as soon as it appears.
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
	if (kube_pods_unschedulable(ro->run->kc, ro->run->spec->namespace,
	    ro->selector, &why, &e2) == -1)
		return 0;	/* only an explanation: keep waiting */
	if (why == NULL)
		return 0;
	if (ro->why == NULL || strcmp(ro->why, why) != 0) {
		cc_progress_done(ro->run);
		cc_info(ro->run, "%s", why);
	}
	free(ro->why);
	ro->why = why;
	es_buf_addf(st, "; %s", why);
	return 0;
}

/* Step 8: the StatefulSet (and Kibana) ready, within --timeout. */
static int
cluster_step_rollout(struct cluster_create *r, struct es_err *err)
{
	struct cluster_rollout ro;
	struct kube_ref ref;
	struct kube_wait w;
	char *msg;
	int rc;

	cluster_sts_ref(&ref, r->spec->namespace);
	memset(&ro, 0, sizeof ro);
	ro.run = r;
	ro.selector = "app=elasticsearch";
	memset(&w, 0, sizeof w);
	w.cond = cluster_cond_rollout;
	w.arg = &ro;
	w.progress = r->o.progress;
	w.progress_arg = r->o.arg;
	w.timeout_ms = cluster_left(r);
	rc = kube_wait(r->kc, &ref, &w, NULL, err);
	if (rc == 0 && cluster_applied(r, "Deployment/" CLUSTEROBJ_KIBANA)) {
		ref.resource = "deployments";
		ref.name = CLUSTEROBJ_KIBANA;
		ro.selector = "app=kibana";
		w.timeout_ms = cluster_left(r);
		rc = kube_wait(r->kc, &ref, &w, NULL, err);
	}
	cc_progress_done(r);
	free(ro.why);
	if (rc == -1 && strcmp(err->reason, "Timeout") == 0) {
		/* the create's own clock: the whole --timeout, not its rest */
		msg = strstr(err->msg, " waiting for ");
		msg = xstrdup(msg != NULL ? msg + 1 : err->msg);
		es_err_set(err, ES_EREMOTE, "Timeout", "not ready within "
		    "--timeout %llds (%llds elapsed) %s",
		    (r->o.timeout_ms + 999) / 1000,
		    (util_mono_ms() - r->start_ms + 500) / 1000, msg);
		free(msg);
	}
	if (rc == -1)
		return -1;
	return cluster_report(r, 8, "Cluster rollout completed successfully",
	    NULL, err);
}

char *
cluster_export_path(const char *dir, const char *org, const char *user,
    const char *svc)
{
	return xasprintf("%s/%s_%s_%s.json", dir, org, user, svc);
}

int
cluster_export_write(struct store *st, const char *dir, const char *ns,
    const char *org, const char *user, const char *svc, struct es_err *err)
{
	char *path, *text;
	cJSON *j;
	int rc = -1;

	if (cluster_meta_export(st, ns, &j, err) == -1)
		return -1;
	path = cluster_export_path(dir, org, user, svc);
	text = cJSON_Print(j);
	cJSON_Delete(j);
	if (util_mkdir_p(dir, 0700, err) == 0)
		rc = util_write_file_atomic(path, text, strlen(text), 0600,
		    err);
	cJSON_free(text);
	free(path);
	return rc;
}

/* Step 9: the TenantContainer with the full configuration, exported. */
static int
cluster_step_sync(struct cluster_create *r, struct es_err *err)
{
	if (cluster_meta_sync(r->o.st, r->spec, r->meta.creation_id,
	    r->git ? gitcfg_commit(r->git) : NULL, cc_now(r), err) == -1 ||
	    cluster_export_write(r->o.st, r->o.export_dir, r->spec->namespace,
	    r->spec->tenant_org_id, r->spec->user, r->spec->service_name,
	    err) == -1)
		return -1;
	return cluster_report(r, 9, "Data synced to tenant container "
	    "management", NULL, err);
}

/* Steps 1 to 9; step 10 follows apart (it cannot be rolled back). */
static int
cluster_steps(struct cluster_create *r, struct es_err *err)
{
	static int (*const steps[])(struct cluster_create *,
	    struct es_err *) = {
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

/* Deletes the namespace and waits (bounded) for it to go. */
static int
cluster_delete_namespace(struct cluster_create *r, long timeout_ms,
    struct es_err *err)
{
	struct kube_ref ref;
	struct kube_delete_opts d;
	struct kube_wait w;
	int rc;

	if (kube_ref_init(&ref, "namespaces", NULL, r->spec->namespace,
	    err) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	if (kube_delete(r->kc, &ref, &d, NULL, err) == -1)
		return -1;
	if (timeout_ms <= 0)
		return 0;
	memset(&w, 0, sizeof w);
	w.timeout_ms = timeout_ms;
	w.cond = kube_cond_gone;
	w.progress = r->o.progress;
	w.progress_arg = r->o.arg;
	rc = kube_wait(r->kc, &ref, &w, NULL, err);
	cc_progress_done(r);
	return rc;
}

/*
 * For the rollback of a create that did not see its namespace made:
 * marks the namespace ours when it carries this creation's id, and sets
 * *foreign when it exists but is neither ours nor this service's.
 */
static int
cluster_ns_state(struct cluster_create *r, int *foreign, struct es_err *err)
{
	struct kube_ref ref;
	cJSON *cur = NULL;

	*foreign = 0;
	if (kube_ref_init(&ref, "namespaces", NULL, r->spec->namespace,
	    err) == -1)
		return -1;
	if (kube_get(r->kc, &ref, &cur, err) == -1) {
		if (err->code != ES_ENOTFOUND)
			return -1;
		es_err_clear(err);
		return 0;
	}
	switch (clusterobj_owner(cur, r->spec, r->meta.creation_id)) {
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
cluster_rollback(struct cluster_create *r, const struct es_err *cause)
{
	struct es_err e2 = ES_ERR_INIT;
	struct kube_delete_opts d;
	struct kube_list_opts lo;
	struct kube_ref ref;
	cJSON *extra, *list = NULL, *o;
	char *msg, *sel;
	const char *step;
	int i, sts_ours = 0, foreign = 0;

	step = r->step >= 1 && r->step <= CLUSTER_CREATE_STEPS ?
	    report_statuses[r->step - 1] : "metadata";
	msg = xasprintf("Cluster creation failed at step %d (%s): %s",
	    r->step, step, cause->msg);
	extra = cJSON_CreateObject();
	cJSON_AddStringToObject(extra, "error", cause->msg);
	cJSON_AddStringToObject(extra, "step", step);
	if (r->sink != NULL) {
		struct report rep;

		memset(&rep, 0, sizeof rep);
		rep.tenant_org_id = r->spec->tenant_org_id;
		rep.user = r->spec->user;
		rep.service_name = r->spec->service_name;
		rep.namespace = r->spec->namespace;
		rep.status = "failed";
		rep.message = msg;
		rep.details = &r->details;
		rep.extra = extra;
		rep.creation_id = r->meta.creation_id;
		if (report_emit(r->sink, &rep, NULL, &e2) == -1)
			cc_warn(r, "cannot write the failed report: %s",
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
		cc_warn(r, "cannot read namespace '%s': %s",
		    r->spec->namespace, e2.msg);
	es_err_clear(&e2);
	if (foreign) {
		if (cluster_meta_forget(r->o.st, r->spec->namespace,
		    r->meta.creation_id, &e2) == -1)
			cc_warn(r, "cannot remove the record: %s", e2.msg);
	} else if (cluster_meta_fail(r->o.st, r->spec->namespace,
	    r->meta.creation_id, cause->msg, cc_now(r), &e2) == -1)
		cc_warn(r, "cannot record the failure: %s", e2.msg);
	if (r->kc == NULL || foreign)
		return;
	if (r->o.keep) {
		if (cJSON_GetArraySize(r->owned) > 0 || r->ns_ours)
			cc_warn(r, "kept the objects of the failed create "
			    "(--keep-on-failure); remove them with 'esctl "
			    "cluster delete %s'", r->spec->namespace);
		return;
	}
	es_err_clear(&e2);
	if (r->ns_ours) {
		if (cluster_delete_namespace(r, CLUSTER_ROLLBACK_MS, &e2) ==
		    -1)
			cc_warn(r, "cannot remove namespace '%s': %s; "
			    "remove it with 'esctl cluster delete %s'",
			    r->spec->namespace, e2.msg, r->spec->namespace);
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
		ref.namespace = r->spec->namespace;
		es_err_clear(&e2);
		if (kube_delete(r->kc, &ref, &d, NULL, &e2) == -1)
			cc_warn(r, "cannot remove %s '%s': %s", ref.resource,
			    ref.name, e2.msg);
	}
	/* and the data volumes our StatefulSet made */
	if (!sts_ours || kube_ref_init(&ref, "persistentvolumeclaims",
	    r->spec->namespace, NULL, &e2) == -1)
		return;
	sel = xasprintf("es-cluster=true,tenant-org-id=%s,user=%s,"
	    "service-name=%s", r->spec->tenant_org_id, r->spec->user,
	    r->spec->service_name);
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
				cc_warn(r, "cannot remove %s '%s': %s",
				    ref.resource, ref.name, e2.msg);
		}
	} else
		cc_warn(r, "cannot list the data volumes of '%s': %s",
		    r->spec->namespace, e2.msg);
	cJSON_Delete(list);
	free(sel);
}

int
cluster_create_begin(const struct cluster_create_opts *o,
    struct cluster_create **out, struct es_err *err)
{
	struct cluster_create *r;

	*out = NULL;
	r = xcalloc(1, sizeof *r);
	r->lock_fd = -1;
	r->o = *o;
	r->spec = o->spec;
	r->git = o->git;
	r->env = *o->env;
	r->owned = cJSON_CreateArray();
	r->resources = cJSON_CreateArray();
	cluster_spec_details(r->spec, &r->details);
	if ((r->lock_fd = cluster_lock(r->o.st, r->spec->namespace,
	    err)) == -1)
		goto fail;
	/* 0: quota and metadata first; nothing is sent before this */
	if (cluster_meta_record(r->o.st, r->spec, cc_now(r), &r->meta,
	    err) == -1)
		goto fail;
	r->env.creation_id = r->meta.creation_id;
	if (r->meta.resumed) {
		cc_info(r, "resuming the interrupted create of '%s'",
		    r->spec->namespace);
		if (report_done_mask(r->o.st, r->meta.creation_id,
		    &r->reported, err) == -1) {
			cluster_rollback(r, err);
			goto fail;
		}
	}
	r->start_ms = util_mono_ms();
	*out = r;
	return 0;
fail:
	cluster_create_free(r);
	return -1;
}

void
cluster_create_abort(struct cluster_create *r, struct report_sink *sink,
    const struct es_err *cause)
{
	r->sink = sink;
	cluster_rollback(r, cause);
}

int
cluster_create_run(struct cluster_create *r, struct report_sink *sink,
    struct kube_client *kc, struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;

	r->sink = sink;
	r->kc = kc;
	if (cluster_steps(r, err) == -1) {
		cluster_rollback(r, err);
		return -1;
	}
	/* 10: done; nothing can be rolled back any more */
	r->step = 10;
	if (cluster_meta_created(r->o.st, r->spec, r->meta.creation_id,
	    cc_now(r), err) == -1) {
		cluster_rollback(r, err);
		return -1;
	}
	if (cluster_report(r, 10, "Cluster creation completed successfully",
	    NULL, &e2) == -1)
		cc_warn(r, "cannot write the completed report: %s", e2.msg);
	return 0;
}

void
cluster_create_free(struct cluster_create *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->manifests);
	cJSON_Delete(r->owned);
	cJSON_Delete(r->resources);
	cJSON_Delete(r->sts);
	cluster_meta_release(&r->meta);
	store_unlock(r->lock_fd);
	free(r);
}

int
cluster_create_plan(struct store *st, const struct cluster_spec *spec,
    const struct clusterobj_env *env, struct gitcfg *git, cJSON **out,
    struct es_err *err)
{
	struct tenant_amount add;
	cJSON *items, *objs, *o, *manifests = NULL;

	*out = NULL;
	cluster_spec_usage(spec, &add);
	if (tenant_quota_check(st, spec->tenant_org_id, spec->user, &add,
	    err) == -1)
		return -1;
	if (git != NULL && clusterobj_manifests(git, env, &manifests,
	    err) == -1)
		return -1;
	items = cJSON_CreateArray();
	cJSON_AddItemToArray(items, clusterobj_namespace(env));
	objs = cluster_objects(git, env, manifests);
	while ((o = cJSON_DetachItemFromArray(objs, 0)) != NULL)
		cJSON_AddItemToArray(items, o);
	cJSON_Delete(objs);
	cJSON_Delete(manifests);
	cJSON_AddItemToArray(items, clusterobj_pvc(env, 0));
	*out = items;
	return 0;
}
