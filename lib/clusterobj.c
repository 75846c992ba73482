/*
 * clusterobj.c - the Kubernetes objects of an ES service as JSON.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clusterobj.h"
#include "doc.h"

static void	 clusterobj_meta(cJSON *, const struct clusterobj_env *,
		    const char *, const char *);
static cJSON	*clusterobj_obj(const char *, const char *,
		    const struct clusterobj_env *, const char *, const char *);
static cJSON	*clusterobj_statefulset(const struct clusterobj_env *);
static cJSON	*clusterobj_configmap(const struct clusterobj_env *);
static cJSON	*clusterobj_service(const struct clusterobj_env *,
		    const char *, const char *, const int *, const char **,
		    int);
static cJSON	*clusterobj_kibana(const struct clusterobj_env *);
static cJSON	*clusterobj_container(cJSON *);
static const char *clusterobj_var(void *, const char *);
static int	 clusterobj_set_str(cJSON *, const char *, const char *);

/* Kinds a tenant manifest may create, all namespaced. */
static const struct {
	const char	*group;
	const char	*kind;
	const char	*resource;
} clusterobj_kinds[] = {
	{ "", "ConfigMap", "configmaps" },
	{ "", "Secret", "secrets" },
	{ "", "Service", "services" },
	{ "", "ServiceAccount", "serviceaccounts" },
	{ "", "PersistentVolumeClaim", "persistentvolumeclaims" },
	{ "apps", "StatefulSet", "statefulsets" },
	{ "apps", "Deployment", "deployments" },
	{ "policy", "PodDisruptionBudget", "poddisruptionbudgets" },
	{ "networking.k8s.io", "NetworkPolicy", "networkpolicies" },
	{ "networking.k8s.io", "Ingress", "ingresses" },
	{ "rbac.authorization.k8s.io", "Role", "roles" },
	{ "rbac.authorization.k8s.io", "RoleBinding", "rolebindings" },
	{ "autoscaling", "HorizontalPodAutoscaler",
	    "horizontalpodautoscalers" },
	{ "batch", "Job", "jobs" },
	{ "batch", "CronJob", "cronjobs" },
	{ NULL, NULL, NULL }
};

/* Sets key to a string, replacing any previous value; 1 if unchanged. */
static int
clusterobj_set_str(cJSON *obj, const char *key, const char *value)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(old) && strcmp(old->valuestring, value) == 0)
		return 1;
	if (old != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key,
		    cJSON_CreateString(value));
	else
		cJSON_AddStringToObject(obj, key, value);
	return 0;
}

/* The object member key, created as an object when missing. */
static cJSON *
clusterobj_child(cJSON *obj, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsObject(c)) {
		if (c != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		c = cJSON_AddObjectToObject(obj, key);
	}
	return c;
}

/* Labels and annotations every object of the service carries. */
static void
clusterobj_meta(cJSON *meta, const struct clusterobj_env *e,
    const char *app, const char *ns)
{
	const struct cluster_spec *s = e->spec;
	cJSON *l, *a;

	if (ns != NULL)
		clusterobj_set_str(meta, "namespace", ns);
	l = clusterobj_child(meta, "labels");
	if (app != NULL)
		clusterobj_set_str(l, "app", app);
	clusterobj_set_str(l, "es-cluster", "true");
	clusterobj_set_str(l, "tenant-org-id", s->tenant_org_id);
	clusterobj_set_str(l, "user", s->user);
	clusterobj_set_str(l, "service-name", s->service_name);
	clusterobj_set_str(l, "app.kubernetes.io/managed-by", "esctl");
	if (e->creation_id != NULL) {
		a = clusterobj_child(meta, "annotations");
		clusterobj_set_str(a, CLUSTEROBJ_ANN_CREATION, e->creation_id);
	}
}

static cJSON *
clusterobj_obj(const char *api, const char *kind,
    const struct clusterobj_env *e, const char *name, const char *app)
{
	cJSON *o, *m;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", api);
	cJSON_AddStringToObject(o, "kind", kind);
	m = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(m, "name", name);
	clusterobj_meta(m, e, app, e->spec->namespace);
	return o;
}

cJSON *
clusterobj_namespace(const struct clusterobj_env *e)
{
	cJSON *o, *m;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Namespace");
	m = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(m, "name", e->spec->namespace);
	clusterobj_meta(m, e, NULL, NULL);
	return o;
}

/* elasticsearch.yml: the built-in settings, then the repository's. */
static cJSON *
clusterobj_configmap(const struct clusterobj_env *e)
{
	struct es_buf y = ES_BUF_INIT;
	struct es_err err = ES_ERR_INIT;
	const cJSON *c;
	cJSON *o, *set, *data;

	set = cJSON_CreateObject();
	cJSON_AddStringToObject(set, "cluster.name", e->spec->service_name);
	cJSON_AddStringToObject(set, "network.host", "0.0.0.0");
	cJSON_AddNumberToObject(set, "http.port", 9200);
	cJSON_AddNumberToObject(set, "transport.port", 9300);
	cJSON_AddStringToObject(set, "discovery.seed_hosts",
	    CLUSTEROBJ_SERVICE);
	cJSON_AddItemToObject(set, "cluster.initial_master_nodes",
	    cJSON_CreateStringArray((const char *[]){ "elasticsearch-0" },
	    1));
	cJSON_AddBoolToObject(set, "xpack.security.enabled", 0);
	if (e->es_settings != NULL)
		cJSON_ArrayForEach(c, e->es_settings) {
			if (cJSON_HasObjectItem(set, c->string))
				cJSON_DeleteItemFromObjectCaseSensitive(set,
				    c->string);
			cJSON_AddItemToObject(set, c->string,
			    cJSON_Duplicate(c, 1));
		}
	if (doc_emit_yaml(set, &y, &err) == -1)
		es_buf_adds(&y, "# settings could not be rendered\n");
	cJSON_Delete(set);
	o = clusterobj_obj("v1", "ConfigMap", e, CLUSTEROBJ_CONFIGMAP,
	    "elasticsearch");
	data = cJSON_AddObjectToObject(o, "data");
	cJSON_AddStringToObject(data, "elasticsearch.yml", y.data);
	es_buf_release(&y);
	return o;
}

static void
clusterobj_env_var(cJSON *env, const char *name, const char *value)
{
	cJSON *v = cJSON_CreateObject();

	cJSON_AddStringToObject(v, "name", name);
	cJSON_AddStringToObject(v, "value", value);
	cJSON_AddItemToArray(env, v);
}

static cJSON *
clusterobj_resources(const char *cpu_req, const char *mem_req,
    const char *cpu_lim, const char *mem_lim)
{
	cJSON *r, *q;

	r = cJSON_CreateObject();
	q = cJSON_AddObjectToObject(r, "requests");
	cJSON_AddStringToObject(q, "cpu", cpu_req);
	cJSON_AddStringToObject(q, "memory", mem_req);
	q = cJSON_AddObjectToObject(r, "limits");
	cJSON_AddStringToObject(q, "cpu", cpu_lim);
	cJSON_AddStringToObject(q, "memory", mem_lim);
	return r;
}

static cJSON *
clusterobj_statefulset(const struct clusterobj_env *e)
{
	const struct cluster_spec *s = e->spec;
	cJSON *o, *spec, *tmpl, *tm, *ps, *c, *arr, *p, *vct, *pvc, *m;
	char num[32];

	o = clusterobj_obj("apps/v1", "StatefulSet", e, CLUSTEROBJ_STS,
	    "elasticsearch");
	snprintf(num, sizeof num, "%lld", s->index_limit);
	cJSON_AddStringToObject(clusterobj_child(cJSON_GetObjectItem(o,
	    "metadata"), "annotations"), CLUSTEROBJ_ANN_MAX_INDICES, num);
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "serviceName", CLUSTEROBJ_SERVICE);
	cJSON_AddNumberToObject(spec, "replicas", (double)s->replicas);
	cJSON_AddStringToObject(spec, "podManagementPolicy", "Parallel");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(spec, "selector"), "matchLabels"), "app",
	    "elasticsearch");
	tmpl = cJSON_AddObjectToObject(spec, "template");
	tm = cJSON_AddObjectToObject(tmpl, "metadata");
	clusterobj_meta(tm, e, "elasticsearch", NULL);
	cJSON_DeleteItemFromObject(tm, "annotations");
	ps = cJSON_AddObjectToObject(tmpl, "spec");
	arr = cJSON_AddArrayToObject(ps, "containers");
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, c);
	cJSON_AddStringToObject(c, "name", CLUSTEROBJ_CONTAINER);
	cJSON_AddStringToObject(c, "image", e->es_image ? e->es_image :
	    CLUSTEROBJ_ES_IMAGE);
	arr = cJSON_AddArrayToObject(c, "ports");
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "http");
	cJSON_AddNumberToObject(p, "containerPort", 9200);
	cJSON_AddItemToArray(arr, p);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "transport");
	cJSON_AddNumberToObject(p, "containerPort", 9300);
	cJSON_AddItemToArray(arr, p);
	cJSON_AddArrayToObject(c, "env");
	cJSON_AddItemToObject(c, "resources", clusterobj_resources(
	    s->cpu_request, s->mem_request, s->cpu_limit, s->mem_limit));
	arr = cJSON_AddArrayToObject(c, "volumeMounts");
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", CLUSTEROBJ_VCT);
	cJSON_AddStringToObject(p, "mountPath",
	    "/usr/share/elasticsearch/data");
	cJSON_AddItemToArray(arr, p);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "config");
	cJSON_AddStringToObject(p, "mountPath",
	    "/usr/share/elasticsearch/config/elasticsearch.yml");
	cJSON_AddStringToObject(p, "subPath", "elasticsearch.yml");
	cJSON_AddItemToArray(arr, p);
	arr = cJSON_AddArrayToObject(ps, "volumes");
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "config");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "configMap"),
	    "name", CLUSTEROBJ_CONFIGMAP);
	cJSON_AddItemToArray(arr, p);
	/* the env vars and annotation as step 5 sets them */
	clusterobj_configure(o, s, NULL);
	clusterobj_set_gpu(o, s->gpu_count, NULL);

	vct = cJSON_AddArrayToObject(spec, "volumeClaimTemplates");
	pvc = cJSON_CreateObject();
	cJSON_AddItemToArray(vct, pvc);
	m = cJSON_AddObjectToObject(pvc, "metadata");
	cJSON_AddStringToObject(m, "name", CLUSTEROBJ_VCT);
	clusterobj_meta(m, e, "elasticsearch", NULL);
	p = cJSON_AddObjectToObject(pvc, "spec");
	cJSON_AddItemToObject(p, "accessModes",
	    cJSON_CreateStringArray((const char *[]){ "ReadWriteOnce" }, 1));
	if (e->storage_class != NULL)
		cJSON_AddStringToObject(p, "storageClassName",
		    e->storage_class);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(p, "resources"), "requests"), "storage",
	    s->disk_size);
	return o;
}

static cJSON *
clusterobj_service(const struct clusterobj_env *e, const char *name,
    const char *app, const int *ports, const char **names, int n)
{
	cJSON *o, *spec, *arr, *p;
	int i;

	o = clusterobj_obj("v1", "Service", e, name, app);
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "type", "ClusterIP");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "selector"),
	    "app", app);
	arr = cJSON_AddArrayToObject(spec, "ports");
	for (i = 0; i < n; i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", names[i]);
		cJSON_AddNumberToObject(p, "port", ports[i]);
		cJSON_AddNumberToObject(p, "targetPort", ports[i]);
		cJSON_AddStringToObject(p, "protocol", "TCP");
		cJSON_AddItemToArray(arr, p);
	}
	return o;
}

static cJSON *
clusterobj_kibana(const struct clusterobj_env *e)
{
	cJSON *o, *spec, *tmpl, *tm, *arr, *c, *p, *env;

	o = clusterobj_obj("apps/v1", "Deployment", e, CLUSTEROBJ_KIBANA,
	    "kibana");
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddNumberToObject(spec, "replicas", 1);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(spec, "selector"), "matchLabels"), "app",
	    "kibana");
	tmpl = cJSON_AddObjectToObject(spec, "template");
	tm = cJSON_AddObjectToObject(tmpl, "metadata");
	clusterobj_meta(tm, e, "kibana", NULL);
	cJSON_DeleteItemFromObject(tm, "annotations");
	arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(tmpl, "spec"),
	    "containers");
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, c);
	cJSON_AddStringToObject(c, "name", "kibana");
	cJSON_AddStringToObject(c, "image", e->kibana_image ?
	    e->kibana_image : CLUSTEROBJ_KIBANA_IMAGE);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "http");
	cJSON_AddNumberToObject(p, "containerPort", 5601);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "ports"), p);
	env = cJSON_AddArrayToObject(c, "env");
	clusterobj_env_var(env, "ELASTICSEARCH_HOSTS",
	    "http://" CLUSTEROBJ_SERVICE ":9200");
	cJSON_AddItemToObject(c, "resources", clusterobj_resources("100m",
	    "512Mi", "1", "1Gi"));
	return o;
}

cJSON *
clusterobj_builtin(const struct clusterobj_env *e)
{
	static const int es_ports[] = { 9200, 9300 };
	static const char *es_names[] = { "http", "transport" };
	static const int kb_ports[] = { 5601 };
	static const char *kb_names[] = { "http" };
	cJSON *arr;

	arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, clusterobj_configmap(e));
	cJSON_AddItemToArray(arr, clusterobj_statefulset(e));
	cJSON_AddItemToArray(arr, clusterobj_service(e, CLUSTEROBJ_SERVICE,
	    "elasticsearch", es_ports, es_names, 2));
	if (e->spec->kibana) {
		cJSON_AddItemToArray(arr, clusterobj_kibana(e));
		cJSON_AddItemToArray(arr, clusterobj_service(e,
		    CLUSTEROBJ_KIBANA, "kibana", kb_ports, kb_names, 1));
	}
	return arr;
}

char *
clusterobj_pvc_name(int i)
{
	return xasprintf("%s-%s-%d", CLUSTEROBJ_VCT, CLUSTEROBJ_STS, i);
}

cJSON *
clusterobj_pvc(const struct clusterobj_env *e, int i)
{
	cJSON *o, *spec;
	char *name = clusterobj_pvc_name(i);

	o = clusterobj_obj("v1", "PersistentVolumeClaim", e, name,
	    "elasticsearch");
	free(name);
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddItemToObject(spec, "accessModes",
	    cJSON_CreateStringArray((const char *[]){ "ReadWriteOnce" }, 1));
	if (e->storage_class != NULL)
		cJSON_AddStringToObject(spec, "storageClassName",
		    e->storage_class);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(spec, "resources"), "requests"), "storage",
	    e->spec->disk_size);
	return o;
}

/* The elasticsearch container of a StatefulSet, or NULL. */
static cJSON *
clusterobj_container(cJSON *sts)
{
	cJSON *arr, *c;
	const char *name;

	arr = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(sts, "spec"), "template"), "spec"),
	    "containers");
	cJSON_ArrayForEach(c, arr) {
		name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));
		if (name != NULL && strcmp(name, CLUSTEROBJ_CONTAINER) == 0)
			return c;
	}
	return NULL;
}

/* Sets an env var of the container; 1 if it already had the value. */
static int
clusterobj_set_env(cJSON *c, const char *name, const char *value)
{
	cJSON *env = cJSON_GetObjectItem(c, "env"), *v;

	if (!cJSON_IsArray(env)) {
		cJSON_DeleteItemFromObject(c, "env");
		env = cJSON_AddArrayToObject(c, "env");
	}
	cJSON_ArrayForEach(v, env) {
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(v,
		    "name"));

		if (n != NULL && strcmp(n, name) == 0) {
			if (cJSON_HasObjectItem(v, "valueFrom")) {
				cJSON_DeleteItemFromObject(v, "valueFrom");
				clusterobj_set_str(v, "value", value);
				return 0;
			}
			return clusterobj_set_str(v, "value", value);
		}
	}
	clusterobj_env_var(env, name, value);
	return 0;
}

int
clusterobj_configure(cJSON *sts, const struct cluster_spec *s,
    struct es_err *err)
{
	cJSON *spec, *c, *res, *meta, *r;
	char buf[32];
	int same = 1;

	if ((c = clusterobj_container(sts)) == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "statefulset '%s' "
		    "has no container named '%s'", CLUSTEROBJ_STS,
		    CLUSTEROBJ_CONTAINER);
	spec = clusterobj_child(sts, "spec");
	r = cJSON_GetObjectItem(spec, "replicas");
	if (!cJSON_IsNumber(r) || r->valuedouble != (double)s->replicas) {
		cJSON_DeleteItemFromObject(spec, "replicas");
		cJSON_AddNumberToObject(spec, "replicas", (double)s->replicas);
		same = 0;
	}
	meta = clusterobj_child(sts, "metadata");
	snprintf(buf, sizeof buf, "%lld", s->index_limit);
	same &= clusterobj_set_str(clusterobj_child(meta, "annotations"),
	    CLUSTEROBJ_ANN_MAX_INDICES, buf);
	res = clusterobj_child(c, "resources");
	same &= clusterobj_set_str(clusterobj_child(res, "requests"), "cpu",
	    s->cpu_request);
	same &= clusterobj_set_str(clusterobj_child(res, "requests"),
	    "memory", s->mem_request);
	same &= clusterobj_set_str(clusterobj_child(res, "limits"), "cpu",
	    s->cpu_limit);
	same &= clusterobj_set_str(clusterobj_child(res, "limits"), "memory",
	    s->mem_limit);
	same &= clusterobj_set_env(c, "CPU_REQUEST", s->cpu_request);
	same &= clusterobj_set_env(c, "CPU_LIMIT", s->cpu_limit);
	same &= clusterobj_set_env(c, "MEM_REQUEST", s->mem_request);
	same &= clusterobj_set_env(c, "MEM_LIMIT", s->mem_limit);
	same &= clusterobj_set_env(c, "DISK_SIZE", s->disk_size);
	snprintf(buf, sizeof buf, "%lld", s->gpu_count);
	same &= clusterobj_set_env(c, "GPU_COUNT", buf);
	snprintf(buf, sizeof buf, "%lld", s->dimension);
	same &= clusterobj_set_env(c, "DIMENSION", buf);
	snprintf(buf, sizeof buf, "%lld", s->vector_count);
	same &= clusterobj_set_env(c, "VECTOR_COUNT", buf);
	snprintf(buf, sizeof buf, "%lld", s->replicas);
	same &= clusterobj_set_env(c, "REPLICAS", buf);
	return same;
}

int
clusterobj_set_gpu(cJSON *sts, long long gpu, struct es_err *err)
{
	cJSON *c, *lim, *req;
	char buf[32];
	int same;

	if ((c = clusterobj_container(sts)) == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "statefulset '%s' "
		    "has no container named '%s'", CLUSTEROBJ_STS,
		    CLUSTEROBJ_CONTAINER);
	lim = clusterobj_child(clusterobj_child(c, "resources"), "limits");
	req = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "resources"),
	    "requests");
	if (gpu <= 0) {
		same = !cJSON_HasObjectItem(lim, CLUSTEROBJ_GPU) &&
		    !cJSON_HasObjectItem(req, CLUSTEROBJ_GPU);
		cJSON_DeleteItemFromObjectCaseSensitive(lim, CLUSTEROBJ_GPU);
		cJSON_DeleteItemFromObjectCaseSensitive(req, CLUSTEROBJ_GPU);
		return same;
	}
	snprintf(buf, sizeof buf, "%lld", gpu);
	same = clusterobj_set_str(lim, CLUSTEROBJ_GPU, buf);
	/* an extended resource's request, when given, must equal its limit */
	if (cJSON_HasObjectItem(req, CLUSTEROBJ_GPU))
		same &= clusterobj_set_str(req, CLUSTEROBJ_GPU, buf);
	return same;
}

static const char *
clusterobj_label(const cJSON *obj, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
	    "labels"), key));
}

int
clusterobj_is_ours(const cJSON *obj, const char *creation_id)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
	    "annotations"), CLUSTEROBJ_ANN_CREATION));

	return v != NULL && creation_id != NULL &&
	    strcmp(v, creation_id) == 0;
}

enum clusterobj_owner
clusterobj_owner(const cJSON *obj, const struct cluster_spec *s,
    const char *creation_id)
{
	const char *org = clusterobj_label(obj, "tenant-org-id");
	const char *user = clusterobj_label(obj, "user");
	const char *svc = clusterobj_label(obj, "service-name");
	const char *ann = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(obj, "metadata"), "annotations"),
	    CLUSTEROBJ_ANN_CREATION));

	if (org != NULL && strcmp(org, s->tenant_org_id) != 0)
		return CLUSTEROBJ_OTHER_ORG;
	if (org == NULL || user == NULL || svc == NULL ||
	    strcmp(user, s->user) != 0 || strcmp(svc, s->service_name) != 0)
		return CLUSTEROBJ_OTHER;
	if (ann == NULL)
		return CLUSTEROBJ_ADOPTED;
	if (creation_id != NULL && strcmp(ann, creation_id) == 0)
		return CLUSTEROBJ_OURS;
	return CLUSTEROBJ_ORPHAN;
}

int
clusterobj_proof(const cJSON *obj, const struct clusterobj_record *r,
    struct es_err *err)
{
	static const char *const keys[] = {
		"tenant-org-id", "user", "service-name"
	};
	const char *want[3], *v, *ann;
	size_t i;

	want[0] = r->tenant_org_id;
	want[1] = r->user;
	want[2] = r->service_name;
	v = clusterobj_label(obj, "tenant-org-id");
	if (v != NULL && strcmp(v, r->tenant_org_id) != 0)
		return es_err_set(err, ES_EPERM, "Forbidden", "namespace '%s' "
		    "is labelled for org '%s', not '%s': not touching it",
		    r->namespace, v, r->tenant_org_id);
	v = clusterobj_label(obj, "es-cluster");
	if (v == NULL || strcmp(v, "true") != 0)
		return es_err_set(err, ES_ECONFLICT, "NotOwned", "namespace "
		    "'%s' is not managed by esctl (no label es-cluster=true): "
		    "not touching it", r->namespace);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = clusterobj_label(obj, keys[i]);
		if (v == NULL || strcmp(v, want[i]) != 0)
			return es_err_set(err, ES_ECONFLICT, "NotOwned",
			    "namespace '%s' is not service '%s' of user '%s' "
			    "in org '%s' (label %s is %s%s%s): not touching it",
			    r->namespace, r->service_name, r->user,
			    r->tenant_org_id, keys[i], v ? "'" : "",
			    v ? v : "missing", v ? "'" : "");
	}
	ann = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
	    "annotations"), CLUSTEROBJ_ANN_CREATION));
	if (ann == NULL)
		return CLUSTEROBJ_ADOPTED;
	if (r->creation_id == NULL || strcmp(ann, r->creation_id) != 0)
		return es_err_set(err, ES_ECONFLICT, "NotOwned", "namespace "
		    "'%s' was made by another creation ('%s', the record says "
		    "'%s'): not touching it", r->namespace, ann,
		    r->creation_id ? r->creation_id : "none");
	return CLUSTEROBJ_OURS;
}

int
clusterobj_resource(const char *api, const char *kind, char **group,
    char **version, const char **resource, struct es_err *err)
{
	const char *slash;
	int i;

	*group = *version = NULL;
	if (api == NULL || kind == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "an object needs "
		    "apiVersion and kind");
	slash = strchr(api, '/');
	for (i = 0; clusterobj_kinds[i].kind != NULL; i++) {
		if (strcmp(clusterobj_kinds[i].kind, kind) != 0)
			continue;
		if (slash == NULL ? *clusterobj_kinds[i].group != '\0' :
		    strlen(clusterobj_kinds[i].group) != (size_t)(slash -
		    api) || strncmp(clusterobj_kinds[i].group, api,
		    (size_t)(slash - api)) != 0)
			continue;
		*group = xstrdup(clusterobj_kinds[i].group);
		*version = xstrdup(slash ? slash + 1 : api);
		*resource = clusterobj_kinds[i].resource;
		return 0;
	}
	return es_err_set(err, ES_EUSAGE, "Invalid", "kind '%s' (%s) is not "
	    "allowed in a service's manifests: only namespaced kinds such as "
	    "ConfigMap, Secret, Service, StatefulSet, Deployment, "
	    "NetworkPolicy, Role and RoleBinding", kind, api);
}

/* ${VAR} values for manifests. */
struct clusterobj_vars {
	const struct clusterobj_env	*env;
	char				 num[6][32];
};

static const char *
clusterobj_var(void *arg, const char *name)
{
	struct clusterobj_vars *v = arg;
	const struct cluster_spec *s = v->env->spec;

	if (strcmp(name, "TENANT_ORG_ID") == 0)
		return s->tenant_org_id;
	if (strcmp(name, "USER") == 0)
		return s->user;
	if (strcmp(name, "SERVICE_NAME") == 0)
		return s->service_name;
	if (strcmp(name, "NAMESPACE") == 0)
		return s->namespace;
	if (strcmp(name, "CPU_REQUEST") == 0)
		return s->cpu_request;
	if (strcmp(name, "CPU_LIMIT") == 0)
		return s->cpu_limit;
	if (strcmp(name, "MEM_REQUEST") == 0)
		return s->mem_request;
	if (strcmp(name, "MEM_LIMIT") == 0)
		return s->mem_limit;
	if (strcmp(name, "DISK_SIZE") == 0)
		return s->disk_size;
	if (strcmp(name, "REPLICAS") == 0)
		return v->num[0];
	if (strcmp(name, "GPU_COUNT") == 0)
		return v->num[1];
	if (strcmp(name, "DIMENSION") == 0)
		return v->num[2];
	if (strcmp(name, "VECTOR_COUNT") == 0)
		return v->num[3];
	if (strcmp(name, "INDEX_LIMIT") == 0)
		return v->num[4];
	if (strcmp(name, "ES_IMAGE") == 0)
		return v->env->es_image ? v->env->es_image :
		    CLUSTEROBJ_ES_IMAGE;
	if (strcmp(name, "KIBANA_IMAGE") == 0)
		return v->env->kibana_image ? v->env->kibana_image :
		    CLUSTEROBJ_KIBANA_IMAGE;
	if (strcmp(name, "CREATION_ID") == 0)
		return v->env->creation_id ? v->env->creation_id : "";
	return NULL;
}

int
clusterobj_manifests(struct gitcfg *g, const struct clusterobj_env *e,
    cJSON **out, struct es_err *err)
{
	const struct gitcfg_file *files;
	struct clusterobj_vars vars;
	struct es_buf text = ES_BUF_INIT;
	struct doc_node *stream = NULL;
	const struct doc_node *d;
	const char *resource, *ns, *name;
	char *group, *version;
	cJSON *arr, *o, *meta;
	size_t n, i;

	*out = NULL;
	if (gitcfg_manifests(g, &files, &n, err) == -1)
		return -1;
	memset(&vars, 0, sizeof vars);
	vars.env = e;
	snprintf(vars.num[0], sizeof vars.num[0], "%lld", e->spec->replicas);
	snprintf(vars.num[1], sizeof vars.num[1], "%lld", e->spec->gpu_count);
	snprintf(vars.num[2], sizeof vars.num[2], "%lld", e->spec->dimension);
	snprintf(vars.num[3], sizeof vars.num[3], "%lld",
	    e->spec->vector_count);
	snprintf(vars.num[4], sizeof vars.num[4], "%lld",
	    e->spec->index_limit);
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		es_buf_reset(&text);
		if (gitcfg_substitute(files[i].text, files[i].len,
		    files[i].name, clusterobj_var, &vars, &text, err) == -1 ||
		    doc_parse_stream(text.data, text.len, files[i].name,
		    &stream, err) == -1)
			goto fail;
		for (d = stream->child; d != NULL; d = d->next) {
			if (d->type != DOC_MAP) {
				es_err_set(err, ES_EUSAGE, "InvalidManifest",
				    "%s:%u:%u: a manifest must be an object",
				    files[i].name, d->line, d->col);
				goto fail;
			}
			o = doc_to_json(d);
			cJSON_AddItemToArray(arr, o);
			if (clusterobj_resource(cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "apiVersion")),
			    cJSON_GetStringValue(cJSON_GetObjectItem(o,
			    "kind")), &group, &version, &resource, err) ==
			    -1) {
				es_err_prefix(err, "%s:%u:%u", files[i].name,
				    d->line, d->col);
				goto fail;
			}
			free(group);
			free(version);
			meta = cJSON_GetObjectItem(o, "metadata");
			name = cJSON_GetStringValue(cJSON_GetObjectItem(meta,
			    "name"));
			ns = cJSON_GetStringValue(cJSON_GetObjectItem(meta,
			    "namespace"));
			if (name == NULL || *name == '\0') {
				es_err_set(err, ES_EUSAGE, "InvalidManifest",
				    "%s:%u:%u: metadata.name is required",
				    files[i].name, d->line, d->col);
				goto fail;
			}
			if (ns != NULL && strcmp(ns, e->spec->namespace) != 0) {
				es_err_set(err, ES_EUSAGE, "InvalidManifest",
				    "%s:%u:%u: %s '%s' names namespace '%s', "
				    "not the service's '%s'", files[i].name,
				    d->line, d->col, cJSON_GetStringValue(
				    cJSON_GetObjectItem(o, "kind")), name, ns,
				    e->spec->namespace);
				goto fail;
			}
			clusterobj_meta(meta, e, NULL, e->spec->namespace);
		}
		doc_free(stream);
		stream = NULL;
	}
	es_buf_release(&text);
	*out = arr;
	return 0;
fail:
	doc_free(stream);
	es_buf_release(&text);
	cJSON_Delete(arr);
	return -1;
}
