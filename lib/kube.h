/*
 * kube.h - a Kubernetes API client over libcurl, with JSON through cJSON.
 *
 *	struct kube_client *kc;
 *	struct kube_ref r;
 *	cJSON *sts;
 *
 *	if (kube_open(cfg, NULL, &kc, err) == -1)	(copies cfg)
 *		return -1;
 *	kube_ref_init(&r, "statefulsets", "ns1", "elasticsearch", NULL);
 *	if (kube_get(kc, &r, &sts, err) == -1)		(404 -> ES_ENOTFOUND)
 *		...
 *	cJSON_Delete(sts);
 *	kube_close(kc);
 *
 * One client is one libcurl handle reused for every request to its
 * cluster (keep-alive), TLS verified unless the kubeconfig says
 * insecure-skip-tls-verify.  kube_open does not contact the server.
 *
 * Retries.  A request is tried again, with exponential backoff and full
 * jitter (opts.retry_base_ms doubling up to retry_max_ms), while the total
 * time spent stays within opts.retry_total_ms and attempts within
 * opts.max_attempts, when:
 *  - the connection could not be made (any verb: nothing was sent);
 *  - for idempotent requests only (GET, HEAD, PUT, DELETE, and merge or
 *    strategic-merge PATCH): the connection broke after sending, the
 *    request timed out, or the answer was 429 (Retry-After honoured) or
 *    500, 502, 503, 504.
 * A POST (or JSON-patch PATCH) that may have reached the server is never
 * sent twice.  TLS verification failures are not retried (ES_EREMOTE,
 * naming the server), nor is a client certificate the server refuses
 * during the handshake (ES_EPERM).
 *
 * Errors.  A non-2xx answer becomes err from its Status body:
 *	404		ES_ENOTFOUND	(reason NotFound)
 *	409		ES_ECONFLICT	(AlreadyExists, Conflict)
 *	401, 403	ES_EPERM	(the server's message, naming the user)
 *	400, 415, 422	ES_EUSAGE	(BadRequest, UnsupportedMediaType,
 *					 Invalid with the field causes)
 *	429		ES_ECONFLICT when a PodDisruptionBudget refuses an
 *			eviction, else ES_EREMOTE
 *	5xx, transport	ES_EREMOTE	(after retries; names the server)
 * err->reason is the Status reason; err->msg reads
 *	"<what>: <Status message> (<reason>)"
 * and names the server for transport, TLS and 401 errors.
 *
 * Logging (opts.log): requests at ES_LOG_DEBUG ("GET https://... -> 200
 * (12 ms)"), retries at ES_LOG_INFO, headers at ES_LOG_TRACE with
 * Authorization and other credentials redacted.  Bodies are never logged
 * except Status error bodies.  lib/ never prints: progress of kube_wait
 * goes to a callback.
 */
#ifndef ESCTL_KUBE_H
#define ESCTL_KUBE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "kubeconfig.h"
#include "log.h"

struct kube_client;

/* Client options; a zero field takes the default shown. */
struct kube_opts {
	long		 request_timeout_ms;	/* 30000; <0: no limit */
	long		 connect_timeout_ms;	/* 10000 */
	long		 retry_base_ms;		/* first backoff: 250 */
	long		 retry_max_ms;		/* one backoff at most: 8000 */
	long		 retry_total_ms;	/* all retries at most: 30000 */
	int		 max_attempts;		/* tries of one request: 6 */
	const char	*user_agent;		/* "esctl/VERSION" */
	const struct es_log *log;		/* NULL: silent */
};

/* Default option values (for documentation and cmd/). */
#define KUBE_DEFAULT_TIMEOUT_MS		30000
#define KUBE_DEFAULT_CONNECT_MS		10000
#define KUBE_DEFAULT_RETRY_BASE_MS	250
#define KUBE_DEFAULT_RETRY_MAX_MS	8000
#define KUBE_DEFAULT_RETRY_TOTAL_MS	30000
#define KUBE_DEFAULT_ATTEMPTS		6
/* List page size (kubectl's chunk size). */
#define KUBE_DEFAULT_PAGE		500

/*
 * Opens a client for the context of cfg (copied: free cfg when you like).
 * Reads the CA and client certificate files now, so a missing file is
 * reported at once.  opts may be NULL.
 */
int		 kube_open(const struct kube_config *cfg,
		    const struct kube_opts *opts, struct kube_client **out,
		    struct es_err *err);
/* NULL-safe. */
void		 kube_close(struct kube_client *);

/* The server URL, context and default namespace (borrowed). */
const char	*kube_server(const struct kube_client *);
const char	*kube_context(const struct kube_client *);
const char	*kube_namespace(const struct kube_client *);
/* The client's own config (credentials cache lives here). */
struct kube_config *kube_client_config(struct kube_client *);

/*
 * Which object or collection a call addresses.  group "" (or NULL) is the
 * core group.  namespace NULL means cluster-scoped, or every namespace for
 * a list of a namespaced resource.  name NULL addresses the collection.
 */
struct kube_ref {
	const char	*group;		/* "", "apps", "policy", ... */
	const char	*version;	/* "v1", "v1beta1" */
	const char	*resource;	/* plural: "statefulsets" */
	const char	*namespace;
	const char	*name;
	const char	*subresource;	/* "scale", "status", "eviction",
					   "log", or NULL */
};

/*
 * Fills ref for a well-known resource by plural name, singular, kind or
 * short name ("statefulsets", "statefulset", "StatefulSet", "sts"):
 * namespaces, nodes, pods, services, configmaps, secrets, events,
 * persistentvolumeclaims, persistentvolumes, statefulsets, deployments,
 * replicasets, daemonsets, poddisruptionbudgets, storageclasses,
 * leases, and "nodemetrics" / "podmetrics" (metrics.k8s.io/v1beta1 nodes
 * and pods).  Strings are borrowed (namespace, name, subresource are
 * stored as given).  ES_EUSAGE for an unknown name.
 */
int		 kube_ref_init(struct kube_ref *, const char *resource,
		    const char *namespace, const char *name,
		    struct es_err *err);
/* 1 when the well-known resource is namespaced, 0 if not, -1 unknown. */
int		 kube_resource_namespaced(const char *group,
		    const char *resource);
/*
 * The request path of ref ("/apis/apps/v1/namespaces/ns/statefulsets/x/
 * scale"), names percent-encoded.  Returns a new string; caller frees.
 */
char		*kube_path(const struct kube_ref *);
/*
 * Appends s percent-encoded by curl_easy_escape (all but RFC 3986
 * unreserved), for a path segment or a query value.
 */
void		 kube_buf_add_escaped(struct es_buf *, const char *s);

/* ---- the request core --------------------------------------------- */

struct kube_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* path and query: "/api/v1/...?a=b" */
	const char	*content_type;	/* of body; NULL: application/json */
	const char	*body;		/* NULL: no body */
	size_t		 body_len;
	const char	*accept;	/* NULL: application/json */
	int		 idempotent;	/* 0: by method (see above), 1: yes,
					   -1: never retry after sending */
	int		 stream;	/* no request timeout (follow, watch) */
	size_t		 max_body;	/* 0: 256 MiB */
	/*
	 * Streaming sink: when set, 2xx body bytes go here as they arrive
	 * instead of into the response; return -1 to stop.
	 */
	int		(*sink)(void *arg, const char *data, size_t len);
	void		*sink_arg;
};

struct kube_response {
	long		 status;	/* HTTP status, 0 when none */
	struct es_buf	 body;		/* the answer (error bodies always) */
	char		*content_type;	/* new string or NULL */
	int		 attempts;	/* tries made */
	int		 maybe_sent;	/* an earlier try may have reached the
					   server (e.g. a retried DELETE) */
	long		 elapsed_ms;	/* time of the last try */
};

#define KUBE_RESPONSE_INIT	{ 0, ES_BUF_INIT, NULL, 0, 0, 0 }
void		 kube_response_release(struct kube_response *);

/*
 * Sends a request with the retries described above.  Returns 0 when an
 * HTTP answer arrived (any status: check resp->status), or -1 with err
 * (ES_EREMOTE naming the server) when none did, or ES_EPERM when the
 * credentials cannot be obtained.
 */
int		 kube_do(struct kube_client *, const struct kube_request *,
		    struct kube_response *, struct es_err *err);

/*
 * JSON call: sends body (NULL for none) as content_type (NULL:
 * application/json) and parses a 2xx answer into *out (NULL allowed when
 * the answer is not wanted; an empty answer gives a JSON null).  A non-2xx
 * answer becomes err (see above) with what as the message prefix, e.g.
 * "get statefulsets 'x' in namespace 'ns'" (NULL: method and path).
 */
int		 kube_call(struct kube_client *, const char *method,
		    const char *path, const cJSON *body,
		    const char *content_type, const char *what, cJSON **out,
		    struct es_err *err);
/*
 * Turns an error answer into err: Status body fields when present, else
 * the HTTP status.  Always returns -1.  server may be NULL.
 */
int		 kube_status_err(long status, const char *body, size_t len,
		    const char *what, const char *server, struct es_err *err);

/* ---- typed helpers ------------------------------------------------- */

/* GET one object (ref->name set; subresource allowed, e.g. "scale"). */
int		 kube_get(struct kube_client *, const struct kube_ref *,
		    cJSON **out, struct es_err *err);

struct kube_list_opts {
	const char	*label_selector;	/* "app=es,tier!=x" or NULL */
	const char	*field_selector;	/* "spec.nodeName=n1" or NULL */
	long		 limit;		/* page size; 0: KUBE_DEFAULT_PAGE,
					   <0: no limit parameter */
	long		 max_items;	/* stop after this many; 0: all */
};

/*
 * Lists a collection, following continue tokens until the end, into one
 * new "<Kind>List" object whose items hold every page (metadata of the
 * last page).  When a continue token expires (410 Expired) the list starts
 * again and skips the items already read (key order), so each item comes
 * once.  opts may be NULL.
 */
int		 kube_list(struct kube_client *, const struct kube_ref *,
		    const struct kube_list_opts *, cJSON **out,
		    struct es_err *err);
/*
 * Same, calling fn for each item as pages arrive (constant memory); fn
 * borrows the item and returns 0, or -1 with err to stop.  *pages (may be
 * NULL) receives the number of requests made.
 */
int		 kube_list_each(struct kube_client *, const struct kube_ref *,
		    const struct kube_list_opts *,
		    int (*fn)(void *arg, const cJSON *item, struct es_err *),
		    void *arg, int *pages, struct es_err *err);

/*
 * POST obj to the collection of ref (ref->name is ignored unless a
 * subresource is given: then POST to name/subresource, e.g. eviction).
 * *out (may be NULL) receives the created object.  AlreadyExists is
 * ES_ECONFLICT.  Never retried once sent.
 */
int		 kube_create(struct kube_client *, const struct kube_ref *,
		    const cJSON *obj, cJSON **out, struct es_err *err);
/*
 * Create or update, for idempotent flows (a create that runs again after
 * an interruption): POST obj; when it already exists, PATCH it with obj
 * as a strategic merge patch (a merge patch for resources outside the
 * built-in groups), so fields obj does not set - a Service's clusterIP,
 * status - are kept.  *created (may be NULL) tells which happened; *out
 * (may be NULL) receives the object.
 */
int		 kube_apply(struct kube_client *, const struct kube_ref *,
		    const cJSON *obj, int *created, cJSON **out,
		    struct es_err *err);
/*
 * PUT obj to ref (name from ref, else from obj's metadata.name).  A stale
 * metadata.resourceVersion gives ES_ECONFLICT with reason Conflict.
 */
int		 kube_update(struct kube_client *, const struct kube_ref *,
		    const cJSON *obj, cJSON **out, struct es_err *err);
/*
 * Read-modify-write with conflict handling: GET ref, call mutate on the
 * object (return 0 to write, 1 to leave it unchanged, -1 with err to
 * stop), PUT it; on 409 Conflict read again and retry (up to 5 times).
 * *out (may be NULL) receives the final object.
 */
int		 kube_update_retry(struct kube_client *,
		    const struct kube_ref *,
		    int (*mutate)(void *arg, cJSON *obj, struct es_err *),
		    void *arg, cJSON **out, struct es_err *err);

enum kube_patch_type {
	KUBE_PATCH_MERGE,	/* application/merge-patch+json */
	KUBE_PATCH_STRATEGIC,	/* application/strategic-merge-patch+json */
	KUBE_PATCH_JSON		/* application/json-patch+json (not retried) */
};
/* PATCH ref with patch (an object, or an array for KUBE_PATCH_JSON). */
int		 kube_patch(struct kube_client *, const struct kube_ref *,
		    enum kube_patch_type, const cJSON *patch, cJSON **out,
		    struct es_err *err);

/* A zeroed struct (or NULL) means the server's defaults. */
struct kube_delete_opts {
	const char	*propagation;	/* "Foreground", "Background",
					   "Orphan", or NULL (server default) */
	int		 grace_set;	/* send grace_seconds (0: at once) */
	long		 grace_seconds;
	int		 ignore_not_found;	/* 404 is success (*out NULL) */
};
/*
 * DELETE ref.  *out (may be NULL) receives the answer: the object (pods,
 * namespaces: with deletionTimestamp set) or a Status.  A 404 after a
 * retried DELETE counts as success.  opts may be NULL.
 */
int		 kube_delete(struct kube_client *, const struct kube_ref *,
		    const struct kube_delete_opts *, cJSON **out,
		    struct es_err *err);

/* Scale subresource (autoscaling/v1 Scale) of a StatefulSet/Deployment. */
int		 kube_scale_get(struct kube_client *, const struct kube_ref *,
		    long *replicas, struct es_err *err);
/* Sets spec.replicas with a merge PATCH of the scale subresource. */
int		 kube_scale_set(struct kube_client *, const struct kube_ref *,
		    long replicas, cJSON **out, struct es_err *err);
/*
 * Evicts a pod (policy/v1 Eviction).  A PodDisruptionBudget refusal is
 * ES_ECONFLICT with reason TooManyRequests (try again later).
 */
int		 kube_evict(struct kube_client *, const char *namespace,
		    const char *pod, const struct kube_delete_opts *,
		    struct es_err *err);

/* GET /version as a new object ({major, minor, gitVersion, ...}). */
int		 kube_version(struct kube_client *, cJSON **out,
		    struct es_err *err);
/*
 * Who the credentials authenticate as: a new {username, uid, groups}
 * object from a SelfSubjectReview (authentication.k8s.io v1, v1beta1 or
 * v1alpha1).  ES_ENOTFOUND when the server offers none of them.
 */
int		 kube_whoami(struct kube_client *, cJSON **out,
		    struct es_err *err);
/*
 * 1 when the server serves group/version (and, if resource is not NULL,
 * that resource in it), 0 when not, -1 on error.  Used for optional APIs
 * such as metrics.k8s.io.
 */
int		 kube_served(struct kube_client *, const char *group,
		    const char *version, const char *resource,
		    struct es_err *err);

/* ---- logs ---------------------------------------------------------- */

struct kube_log_target {
	const char	*namespace;
	const char	*pod;
	const char	*container;	/* NULL: the pod's only container */
};

struct kube_log_opts {
	int		 follow;
	long		 since_seconds;	/* 0: none */
	const char	*since_time;	/* RFC 3339, or NULL */
	long		 tail_lines;	/* <0 or 0 with tail_set == 0: all */
	int		 tail_set;
	int		 timestamps;
	int		 previous;
};

/*
 * Reads the logs of n containers.  line is called for every complete line
 * (without its newline) with the index of its target; return -1 to stop.
 * Without follow, targets are read one after another; with follow, all
 * streams are read at once until every one ends (pod deleted, connection
 * closed) or line returns -1.
 */
int		 kube_logs(struct kube_client *,
		    const struct kube_log_target *targets, size_t n,
		    const struct kube_log_opts *,
		    int (*line)(void *arg, size_t target, const char *text,
		    size_t len), void *arg, struct es_err *err);

/* ---- waiting ------------------------------------------------------- */

struct kube_wait {
	long		 timeout_ms;	/* 0: 600000 (10 min) */
	long		 poll_ms;	/* first interval: 250 */
	long		 poll_max_ms;	/* interval grows to: 2000 */
	/*
	 * Decides on each poll: obj is the object, or NULL when it does not
	 * exist (404).  Returns 1 when done, 0 to keep waiting, -1 with err
	 * to give up.  May write a short state text ("2/3 ready") to status.
	 */
	int		(*cond)(void *arg, const cJSON *obj,
			    struct es_buf *status, struct es_err *err);
	void		*arg;
	/* Called after each poll with "<resource>/<name>: <status> (12s)". */
	void		(*progress)(void *arg, const char *line);
	void		*progress_arg;
};

/*
 * Polls ref (GET, with backoff between polls) until cond says done.
 * *last (may be NULL) receives the last object seen (NULL if absent).
 * Timeout: ES_EREMOTE with reason Timeout and the last status text.
 */
int		 kube_wait(struct kube_client *, const struct kube_ref *,
		    const struct kube_wait *, cJSON **last,
		    struct es_err *err);

/*
 * Why the pods matching selector in namespace cannot start, as the
 * scheduler says: the first pod with condition PodScheduled=False,
 * reason Unschedulable, as "pod NAME cannot be scheduled: MESSAGE"
 * ("0/3 nodes are available: 3 Insufficient cpu.").  *why is a new
 * string, or NULL when every pod is scheduled (or there is none).
 */
int		 kube_pods_unschedulable(struct kube_client *, const char *ns,
		    const char *selector, char **why, struct es_err *err);

/*
 * Ready-made conditions for kube_wait (arg unused unless stated):
 *  rollout	StatefulSet/Deployment: observedGeneration current and
 *		ready, updated and available replicas = spec.replicas
 *  ready	Pod Ready, or Node Ready
 *  bound	PersistentVolumeClaim Bound (and, with arg a const char *
 *		quantity, status.capacity.storage at least that)
 *  gone	the object does not exist any more
 */
int		 kube_cond_rollout(void *, const cJSON *, struct es_buf *,
		    struct es_err *);
int		 kube_cond_ready(void *, const cJSON *, struct es_buf *,
		    struct es_err *);
int		 kube_cond_bound(void *, const cJSON *, struct es_buf *,
		    struct es_err *);
int		 kube_cond_gone(void *, const cJSON *, struct es_buf *,
		    struct es_err *);

/* ---- small helpers on objects ------------------------------------- */

/* String at a dotted path ("metadata.name"), or NULL.  Borrowed. */
const char	*kube_str(const cJSON *obj, const char *path);
/* Number at a dotted path, or def. */
double		 kube_num(const cJSON *obj, const char *path, double def);
/* Item at a dotted path, or NULL.  Borrowed. */
const cJSON	*kube_item(const cJSON *obj, const char *path);
/*
 * A Pod's status as kubectl shows it: "Running", "Pending",
 * "ContainerCreating", "CrashLoopBackOff", "Completed", "Terminating", ...
 * Writes into buf.
 */
void		 kube_pod_status(const cJSON *pod, char *buf, size_t len);
/* Ready containers of a Pod: *ready of *total. */
void		 kube_pod_ready(const cJSON *pod, int *ready, int *total);
/* Condition status ("True", "False", "Unknown") of type, or NULL. */
const char	*kube_condition(const cJSON *obj, const char *type);

#endif
