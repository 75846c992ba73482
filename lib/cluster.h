/*
 * cluster.h - an ES service: its create inputs (SPEC 3.1), their
 * validation, and its metadata records (TenantContainer and
 * DeploymentStatus).
 *
 * Inputs are layered: built-in defaults < the values of the GitLab
 * repository's esctl.yaml < --from-file < flags.  cluster_spec_set() and
 * cluster_spec_from_doc() fill fields and remember which were given;
 * cluster_spec_defaults() fills only fields still unset;
 * cluster_spec_finish() applies the built-in defaults and validates
 * everything, with the seeds' messages for the three required fields.
 *
 * Metadata comes first: cluster_meta_record() checks the org's and the
 * user's quota and records both rows with status "creating" in one
 * transaction, before anything is sent to Kubernetes.
 */
#ifndef ESCTL_CLUSTER_H
#define ESCTL_CLUSTER_H

#include <time.h>

#include <cjson/cJSON.h>

#include "doc.h"
#include "err.h"
#include "report.h"
#include "store.h"
#include "tenant.h"

/* Fields of a spec, for the set mask and cluster_spec_set(). */
enum cluster_field {
	CLUSTER_F_ORG, CLUSTER_F_USER, CLUSTER_F_SERVICE, CLUSTER_F_REPLICAS,
	CLUSTER_F_CPU_REQUEST, CLUSTER_F_CPU_LIMIT, CLUSTER_F_MEM_REQUEST,
	CLUSTER_F_MEM_LIMIT, CLUSTER_F_DISK_SIZE, CLUSTER_F_GPU_COUNT,
	CLUSTER_F_DIMENSION, CLUSTER_F_VECTOR_COUNT, CLUSTER_F_INDEX_LIMIT,
	CLUSTER_F_GITLAB_URL, CLUSTER_F_GITLAB_REF, CLUSTER_F_GITLAB_PATH,
	CLUSTER_F_NAMESPACE, CLUSTER_F_KIBANA, CLUSTER_F_COUNT
};

struct cluster_spec {
	char		*tenant_org_id;
	char		*user;
	char		*service_name;
	long long	 replicas;
	char		*cpu_request;
	char		*cpu_limit;
	char		*mem_request;
	char		*mem_limit;
	char		*disk_size;
	long long	 gpu_count;
	long long	 dimension;
	long long	 vector_count;
	long long	 index_limit;
	char		*gitlab_url;
	char		*gitlab_ref;
	char		*gitlab_path;
	char		*namespace;
	long long	 kibana;	/* 1: deploy Kibana (default) */
	unsigned	 set;		/* 1 << enum cluster_field when given */
};

/* Bounds of the integer inputs. */
#define CLUSTER_MAX_REPLICAS	1000
#define CLUSTER_MAX_GPU		64
#define CLUSTER_MAX_DIMENSION	65536

void	 cluster_spec_init(struct cluster_spec *);
void	 cluster_spec_release(struct cluster_spec *);
/* Key of a field ("cpu_request"), as in --from-file and JSON. */
const char *cluster_field_key(enum cluster_field);

/*
 * Sets one field from text (a flag value); what names it in messages
 * ("--replicas").  Integers and quantities are checked here; ES_EUSAGE.
 */
int	 cluster_spec_set(struct cluster_spec *, enum cluster_field,
	    const char *value, const char *what, struct es_err *err);
/*
 * Reads a --from-file document (a mapping with the JSON keys of SPEC 3.1
 * plus gitlab_ref, gitlab_path, kibana).  Unknown keys and wrong types
 * are errors naming name:line:col.  Fields already set are overwritten.
 */
int	 cluster_spec_from_doc(struct cluster_spec *, const struct doc_node *,
	    const char *name, struct es_err *err);
/*
 * Fills fields still unset from a mapping of defaults (the "defaults"
 * of a repository's esctl.yaml).  Identity keys (tenant_org_id, user,
 * service_name, namespace) and gitlab_* are not allowed there.
 */
int	 cluster_spec_defaults(struct cluster_spec *, const struct doc_node *,
	    const char *name, struct es_err *err);
/*
 * Checks only the three required fields (the seeds' messages), before
 * anything slow is done.  ES_EUSAGE.
 */
int	 cluster_spec_required(const struct cluster_spec *, struct es_err *);
/*
 * Applies the built-in defaults, derives the namespace and validates:
 * required fields (word for word: "tenant_org_id is required for
 * multi-tenancy", "user is required", "service_name is required"), names,
 * quantities, request <= limit, DNS-1123 namespace.  ES_EUSAGE.
 */
int	 cluster_spec_finish(struct cluster_spec *, struct es_err *err);
/*
 * The default namespace of org/user/service: "{org}-{user}-{service}"
 * lower-cased with '_' and '.' mapped to '-'.  New string; caller frees.
 */
char	*cluster_namespace_for(const char *org, const char *user,
	    const char *service);

/* The report details of a finished spec (borrows its strings). */
void	 cluster_spec_details(const struct cluster_spec *,
	    struct report_details *);
/* All inputs as JSON, keys as in --from-file.  New object. */
cJSON	*cluster_spec_json(const struct cluster_spec *);
/* What the service adds to the quota usage (limits x replicas). */
void	 cluster_spec_usage(const struct cluster_spec *,
	    struct tenant_amount *);

/* Result of recording the metadata. */
struct cluster_meta {
	char	*creation_id;	/* TenantContainer id; objects carry it */
	int	 resumed;	/* a stale "creating" record was taken over */
};

void	 cluster_meta_release(struct cluster_meta *);
/*
 * Step 0: in one transaction, refuses a name or namespace that is taken
 * (ES_ECONFLICT), takes over a stale "creating" record of the same
 * org/user/service (the caller holds the service's lock, so its creator
 * is gone), checks the org's and the user's quota (ES_EQUOTA), and
 * records TenantContainer and DeploymentStatus with status "creating".
 * Nothing is recorded when it fails.
 */
int	 cluster_meta_record(struct store *, const struct cluster_spec *,
	    time_t now, struct cluster_meta *out, struct es_err *err);
/*
 * Rollback: deletes the TenantContainer row (of this creation only) and
 * marks the DeploymentStatus "failed" with the error.
 */
int	 cluster_meta_fail(struct store *, const char *namespace,
	    const char *creation_id, const char *error, time_t now,
	    struct es_err *err);
/*
 * Rollback of a create refused because the namespace is not its own
 * (another service's, or not esctl's): removes both records of this
 * creation, so nothing recorded points at a namespace it does not own.
 */
int	 cluster_meta_forget(struct store *, const char *namespace,
	    const char *creation_id, struct es_err *err);
/* Step 9: stores the full configuration and the sync time. */
int	 cluster_meta_sync(struct store *, const struct cluster_spec *,
	    const char *creation_id, const char *gitlab_commit,
	    time_t now, struct es_err *err);
/* Step 10: both records "created"; records the usage event. */
int	 cluster_meta_created(struct store *, const struct cluster_spec *,
	    const char *creation_id, time_t now, struct es_err *err);
/*
 * The TenantContainer export of a service (the seed's
 * tenant_data/{user}_{service}.json), for the sync step.
 */
int	 cluster_meta_export(struct store *, const char *namespace,
	    cJSON **out, struct es_err *err);

/*
 * A service as the lifecycle commands see it: the DeploymentStatus row
 * joined with its TenantContainer (when it has one): id, tenant_org_id,
 * namespace, user, service_name, status, message, replicas, cpu_usage,
 * memory_usage, disk_usage, qps, gpu_count, dimension, vector_count,
 * details, created_at, updated_at, creation_id, has_container, kibana,
 * cpu_request, cpu_limit, mem_request, mem_limit, disk_size,
 * index_limit.  *out is NULL when there is no record.
 */
int	 cluster_meta_get(struct store *, const char *namespace, cJSON **out,
	    struct es_err *err);
/* Finds the namespace of org/user/service (org may be NULL). */
int	 cluster_meta_find(struct store *, const char *org, const char *user,
	    const char *service, char **namespace, struct es_err *err);

/* Filters of cluster_meta_list; NULL fields do not filter. */
struct cluster_filter {
	const char	*org;
	const char	*user;
	const char	*service;
	const char	*status;
	int		 include_deleted;
};
/* DeploymentStatus rows (cluster_meta_get's shape), by namespace. */
int	 cluster_meta_list(struct store *, const struct cluster_filter *,
	    cJSON **out, struct es_err *err);

/*
 * DeploymentStatus records in the seed's shape (002): id, tenant_org_id,
 * namespace, user, service_name, status, message, cpu_usage,
 * memory_usage, disk_usage, qps, gpu_count, dimension, vector_count,
 * replicas, created_at, updated_at, details.  namespace may be NULL.
 */
int	 cluster_deployments(struct store *, const struct cluster_filter *,
	    const char *namespace, cJSON **out, struct es_err *err);

/* Allowed DeploymentStatus statuses (seed 000 16, plus the create's). */
extern const char *const cluster_statuses[];
/* Sets a DeploymentStatus (and a TenantContainer's) status. */
int	 cluster_meta_set_status(struct store *, const char *namespace,
	    const char *status, const char *message, time_t now,
	    struct es_err *err);
/*
 * After a delete: DeploymentStatus "deleted", TenantContainer removed,
 * usage event "delete".
 */
int	 cluster_meta_deleted(struct store *, const char *namespace,
	    time_t now, struct es_err *err);
/*
 * Before a scale: checks that going to replicas keeps the org and the
 * user within their quotas (ES_EQUOTA).  No TenantContainer: nothing to
 * check.
 */
int	 cluster_meta_scale_check(struct store *, const char *namespace,
	    long long replicas, struct es_err *err);
/* After a scale: replicas in both records, usage event "scale". */
int	 cluster_meta_scaled(struct store *, const char *namespace,
	    long long replicas, time_t now, struct es_err *err);

/*
 * The lifecycle verbs on a recorded service, for the cluster commands and
 * an autoscaler alike: no printing, progress through a callback.  The
 * caller holds the service's lock (cluster_lock); each verb proves first
 * that the live namespace is the record's (cluster_prove).
 */
struct kube_client;
struct kube_ref;

/* How cluster_prove found the namespace. */
#define CLUSTER_NS_GONE		0	/* it does not exist */
#define CLUSTER_NS_OURS		1	/* made by the record's creation */
#define CLUSTER_NS_ADOPTED	2	/* labelled for it by an operator */

/* What a lifecycle verb needs besides the record.  Borrowed. */
struct cluster_op {
	struct store		*st;
	struct kube_client	*kc;
	time_t			 now;		/* of the records */
	long long		 timeout_ms;	/* of the waits */
	int			 wait;		/* wait for the result */
	/* "<resource>/<name>: <status> (12s)" while waiting, or NULL */
	void			(*progress)(void *arg, const char *line);
	void			(*progress_done)(void *arg);
	void			*progress_arg;
};

/* The kube_ref of the StatefulSet of the service in namespace. */
struct kube_ref;
void	 cluster_sts_ref(struct kube_ref *, const char *namespace);

/* What delete removes by name, in this order (ends with NULLs). */
struct cluster_victim {
	const char	*resource;
	const char	*name;
};
extern const struct cluster_victim cluster_victims[];

/*
 * The Elasticsearch pods of namespace (pod, or all with
 * app=elasticsearch) as a new array; ES_ENOTFOUND when there is none.
 */
int	 cluster_pods(struct kube_client *, const char *namespace,
	    const char *pod, cJSON **out, struct es_err *err);

/* The StatefulSet of the service in namespace (borrows namespace). */
void	 cluster_sts_ref(struct kube_ref *, const char *namespace);
/* Its replicas now, through the scale subresource. */
int	 cluster_replicas(struct kube_client *, const char *namespace,
	    long *replicas, struct es_err *err);
/*
 * Takes the lock of the service in namespace (released by
 * store_unlock).  ES_ECONFLICT "Locked" when another esctl holds it.
 */
int	 cluster_lock(struct store *, const char *namespace,
	    struct es_err *err);
/*
 * The ownership proof (clusterobj_proof) of the live namespace of a
 * record (cluster_meta_get's shape): *how is CLUSTER_NS_GONE, _OURS or
 * _ADOPTED; anything else is refused with the reason.
 */
int	 cluster_prove(struct kube_client *, const cJSON *rec, int *how,
	    struct es_err *err);
/*
 * Whether a service may go to replicas: not deleted or failed
 * (ES_ECONFLICT "WrongState") and within the quotas (ES_EQUOTA).
 */
int	 cluster_scale_check(struct store *, const cJSON *rec,
	    long long replicas, struct es_err *err);
/*
 * Scales the StatefulSet through its scale subresource, waits for the
 * rollout (op->wait), records the replicas and the usage event, status
 * "running"; on failure the previous status comes back with the error.
 */
int	 cluster_scale(const struct cluster_op *, const cJSON *rec,
	    long long replicas, struct es_err *err);
/*
 * The part of cluster_scale after the claim, for a caller that set the
 * status of the service in namespace to "scaling" itself (autoscale
 * does it with a compare-and-set): scales, waits (op->wait), records;
 * on failure the status goes back to prev with the error as message.
 */
int	 cluster_scale_claimed(const struct cluster_op *,
	    const char *namespace, long long replicas, const char *prev,
	    struct es_err *err);
/*
 * Deletes the Elasticsearch pods (pod, or all of them) and waits until
 * each is replaced and ready.  *out: a new array of the pod names
 * restarted.
 */
int	 cluster_restart(const struct cluster_op *, const cJSON *rec,
	    const char *pod, cJSON **out, struct es_err *err);
/*
 * Deletes the service: its objects, its data volumes and its namespace
 * (an adopted namespace stays, only this creation's objects go), waiting
 * for the namespace to go (op->wait); then the records.  *how tells what
 * was found (CLUSTER_NS_*).
 */
int	 cluster_delete(const struct cluster_op *, const cJSON *rec,
	    int *how, struct es_err *err);

#endif
