/*
 * clusterobj.h - the Kubernetes objects of an ES service, as JSON.
 *
 * Built-in objects (SPEC 3.1 step 4), in the order they are applied:
 *
 *	ConfigMap	elasticsearch-config	(elasticsearch.yml)
 *	StatefulSet	elasticsearch		(env CPU_REQUEST CPU_LIMIT
 *			MEM_REQUEST MEM_LIMIT DISK_SIZE GPU_COUNT DIMENSION
 *			VECTOR_COUNT REPLICAS; volumeClaimTemplate
 *			elasticsearch-data)
 *	Service		elasticsearch		(9200 http, 9300 transport)
 *	Deployment	kibana			(unless kibana is off)
 *	Service		kibana			(5601)
 *
 * plus the Namespace (step 2) and the data PVC of the first replica
 * (step 6).  Every object carries the labels es-cluster=true,
 * tenant-org-id, user and service-name, and the annotation
 * es.yunpeng.cn/creation-id naming the create that made it: a rollback
 * removes exactly the objects of its own creation, and a create re-run
 * after an interruption recognises its own objects.
 *
 * Nothing here talks to Kubernetes; the functions build and change JSON.
 */
#ifndef ESCTL_CLUSTEROBJ_H
#define ESCTL_CLUSTEROBJ_H

#include <cjson/cJSON.h>

#include "cluster.h"
#include "err.h"
#include "gitcfg.h"

#define CLUSTEROBJ_ANN_CREATION		"es.yunpeng.cn/creation-id"
#define CLUSTEROBJ_ANN_MAX_INDICES	"es.yunpeng.cn/max-indices"
#define CLUSTEROBJ_STS			"elasticsearch"
#define CLUSTEROBJ_CONTAINER		"elasticsearch"
#define CLUSTEROBJ_CONFIGMAP		"elasticsearch-config"
#define CLUSTEROBJ_SERVICE		"elasticsearch"
#define CLUSTEROBJ_KIBANA		"kibana"
#define CLUSTEROBJ_VCT			"elasticsearch-data"
/* the claims of the StatefulSet's replicas */
#define CLUSTEROBJ_PVC_PREFIX		CLUSTEROBJ_VCT "-" CLUSTEROBJ_STS "-"
#define CLUSTEROBJ_GPU			"nvidia.com/gpu"
#define CLUSTEROBJ_ES_IMAGE \
	"docker.elastic.co/elasticsearch/elasticsearch:8.11.3"
#define CLUSTEROBJ_KIBANA_IMAGE	"docker.elastic.co/kibana/kibana:8.11.3"

/* What the objects are built from; strings are borrowed. */
struct clusterobj_env {
	const struct cluster_spec	*spec;		/* finished */
	const char			*creation_id;
	const char			*es_image;	/* NULL: default */
	const char			*kibana_image;	/* NULL: default */
	const char			*storage_class;	/* or NULL */
	const cJSON			*es_settings;	/* extra settings */
};

/* The Namespace with its four labels.  New object. */
cJSON	*clusterobj_namespace(const struct clusterobj_env *);
/*
 * The built-in objects of step 4, in apply order (see above).  New
 * array.
 */
cJSON	*clusterobj_builtin(const struct clusterobj_env *);
/* The data PVC of replica i (elasticsearch-data-elasticsearch-i). */
cJSON	*clusterobj_pvc(const struct clusterobj_env *, int i);
/* Name of replica i's PVC; new string. */
char	*clusterobj_pvc_name(int i);

/*
 * Step 5 on a StatefulSet: replicas, the elasticsearch container's CPU
 * and memory requests and limits, its nine env vars, and the
 * max-indices annotation.  Returns 1 when nothing changed, 0 when obj
 * was changed, -1 when the StatefulSet has no elasticsearch container.
 */
int	 clusterobj_configure(cJSON *sts, const struct cluster_spec *,
	    struct es_err *err);
/* Step 7: the container's nvidia.com/gpu limit (removed for 0). */
int	 clusterobj_set_gpu(cJSON *sts, long long gpu, struct es_err *err);

/* How an existing object relates to the create at hand. */
enum clusterobj_owner {
	CLUSTEROBJ_OURS,	/* annotated with this creation */
	CLUSTEROBJ_ORPHAN,	/* an earlier esctl creation of this service */
	CLUSTEROBJ_ADOPTED,	/* labelled for this service, not by esctl */
	CLUSTEROBJ_OTHER_ORG,	/* labelled for another org */
	CLUSTEROBJ_OTHER,	/* another service, or not managed */
};
enum clusterobj_owner clusterobj_owner(const cJSON *obj,
	    const struct cluster_spec *, const char *creation_id);
/* 1 if obj carries the creation annotation creation_id. */
int	 clusterobj_is_ours(const cJSON *obj, const char *creation_id);

/* The record of a service, as the lifecycle commands know it. */
struct clusterobj_record {
	const char	*namespace;
	const char	*tenant_org_id;
	const char	*user;
	const char	*service_name;
	const char	*creation_id;
};
/*
 * The ownership proof of a live Namespace before esctl deletes, scales
 * or restarts anything in it: the labels es-cluster=true, tenant-org-id,
 * user and service-name must name the record's service, and the
 * annotation es.yunpeng.cn/creation-id must be the record's creation id.
 * Returns CLUSTEROBJ_OURS, or CLUSTEROBJ_ADOPTED for a namespace an
 * operator labelled for this service without the annotation (esctl then
 * acts on its own objects in it, never on the namespace itself).  Any
 * other namespace is refused, saying why: ES_EPERM when it is labelled
 * for another org, else ES_ECONFLICT.
 */
int	 clusterobj_proof(const cJSON *ns, const struct clusterobj_record *,
	    struct es_err *err);

/*
 * Where an object kind is served: group, version and plural resource of
 * an apiVersion/kind a tenant manifest may create (namespaced kinds
 * only).  ES_EUSAGE for any other kind.
 */
int	 clusterobj_resource(const char *api_version, const char *kind,
	    char **group, char **version, const char **resource,
	    struct es_err *err);

/*
 * The manifests of a repository for this service: each file ${VAR}-
 * substituted with the create inputs (TENANT_ORG_ID USER SERVICE_NAME
 * NAMESPACE REPLICAS CPU_REQUEST CPU_LIMIT MEM_REQUEST MEM_LIMIT
 * DISK_SIZE GPU_COUNT DIMENSION VECTOR_COUNT INDEX_LIMIT ES_IMAGE
 * KIBANA_IMAGE CREATION_ID), parsed (several documents per file), checked
 * (a namespaced kind, a name, no other namespace) and given the
 * namespace, labels and creation annotation.  New array.
 */
int	 clusterobj_manifests(struct gitcfg *, const struct clusterobj_env *,
	    cJSON **out, struct es_err *err);

#endif
