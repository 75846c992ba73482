/*
 * node.h - operations on Kubernetes Nodes for node pools: cordon,
 * uncordon, labels, drain through the Eviction API and delete, with the
 * safety rules of `kubectl drain` and the Cluster Autoscaler.
 *
 *	struct node_drain_opts o = NODE_DRAIN_OPTS_INIT;
 *	cJSON *pods;
 *
 *	o.timeout_ms = 60000;
 *	if (node_drain(kc, "worker-3", &o, &pods, err) == -1)
 *		...		(pods still says what happened to each pod)
 *	cJSON_Delete(pods);
 *
 * Cordon is a strategic merge PATCH of spec.unschedulable (never a
 * read-modify-write PUT, so it cannot undo a concurrent change).  The API
 * server's node lifecycle controller then adds the taint
 * node.kubernetes.io/unschedulable:NoSchedule; uncordon sets the field to
 * false and the controller removes the taint.
 *
 * Drain decides for every pod on the node (GET pods with fieldSelector
 * spec.nodeName=NODE, all namespaces), in this order:
 *	terminating	deletionTimestamp set: only waited for
 *	mirror		annotation kubernetes.io/config.mirror (a static pod
 *			the kubelet owns): skipped
 *	daemonset	controlled by a DaemonSet (ownerReferences with
 *			controller true): skipped, the DaemonSet tolerates
 *			the cordon and would recreate it
 *	finished	phase Succeeded or Failed: evicted without checks
 *	safe-to-evict	annotation cluster-autoscaler.kubernetes.io/
 *			safe-to-evict: "false": refused, even with force (the
 *			application said so; remove the annotation)
 *	bare		no controller: refused unless force (it would not
 *			come back)
 *	emptydir	an emptyDir volume: refused unless delete_emptydir
 *			(its data is lost)
 *	evict		everything else
 * Any refusal stops the drain before anything is changed (not even the
 * cordon) and names every refused pod.  Otherwise the node is cordoned,
 * each pod is evicted through policy/v1 Eviction; an eviction refused by
 * a PodDisruptionBudget (429) is tried again with backoff (1 s doubling to
 * 5 s) until timeout_ms, and then the drain waits (polling) until every
 * evicted pod is gone or replaced (its grace period is the server's to
 * honour).  A budget that never allows the eviction fails the drain with
 * ES_ECONFLICT, reason DisruptionBudget, and a message naming the pod and
 * the budget; the node stays cordoned.  Waiting past the timeout for pods
 * to go is ES_EREMOTE with reason Timeout.
 *
 * lib/ never prints: progress lines ("evicting pod ns/name", "pod ns/name
 * evicted", "pod ns/name: Cannot evict ... (retrying in 2s)") go to the
 * callback.
 */
#ifndef ESCTL_NODE_H
#define ESCTL_NODE_H

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"

/* The taint the node lifecycle controller keeps on a cordoned node. */
#define NODE_TAINT_UNSCHEDULABLE	"node.kubernetes.io/unschedulable"

/*
 * A node selector from "k=v,k2=v2" or a JSON object {"k": "v"} (values
 * strings): *json gets the canonical compact JSON object (new string;
 * caller frees), or NULL for an empty selector.  ES_EUSAGE naming the
 * bad part.
 */
int		 node_selector_canon(const char *s, char **json,
		    struct es_err *err);
/*
 * 1 when every key of sel (a JSON object, or NULL for "everything") is a
 * label of node with the same value.
 */
int		 node_selector_match(const cJSON *sel, const cJSON *node);

/* Ready condition True. */
int		 node_is_ready(const cJSON *node);
/* spec.unschedulable true. */
int		 node_is_cordoned(const cJSON *node);
/* The first address of the type ("InternalIP", "Hostname"), or NULL. */
const char	*node_address(const cJSON *node, const char *type);

/* GET the Node; ES_ENOTFOUND naming it. */
int		 node_get(struct kube_client *, const char *name, cJSON **out,
		    struct es_err *err);
/*
 * Sets spec.unschedulable (cordon 1, uncordon 0) unless it already has
 * that value; *changed (may be NULL) says whether a PATCH was sent.
 * dry_run reads the node and sends nothing.
 */
int		 node_cordon(struct kube_client *, const char *name,
		    int cordon, int dry_run, int *changed, struct es_err *err);
/* Sets label key to value, or removes it (value NULL), by merge PATCH. */
int		 node_label(struct kube_client *, const char *name,
		    const char *key, const char *value, int dry_run,
		    struct es_err *err);

struct node_drain_opts {
	int		 force;		/* evict bare pods too */
	int		 delete_emptydir;	/* evict pods with emptyDir */
	int		 dry_run;	/* decide only: nothing is sent */
	long		 timeout_ms;	/* whole drain; 0: 300000 */
	long		 grace_seconds;	/* with grace_set: deleteOptions */
	int		 grace_set;
	long		 retry_ms;	/* first PDB backoff; 0: 1000 */
	long		 retry_max_ms;	/* 0: 5000 */
	long		 poll_ms;	/* waiting for pods; 0: 500 */
	void		(*progress)(void *arg, const char *line);
	void		*progress_arg;
};
#define NODE_DRAIN_OPTS_INIT \
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL }

/*
 * The decision for every pod on node, without changing anything: a new
 * JSON array of {namespace, name, owner ("DaemonSet/x" or null), action
 * ("evict", "skip", "refuse", "wait"), why}.  *refused counts refusals.
 */
int		 node_drain_plan(struct kube_client *, const char *name,
		    const struct node_drain_opts *, cJSON **pods,
		    int *refused, struct es_err *err);
/*
 * Cordons and drains node as described above.  *pods (may be NULL)
 * receives the plan with each pod's outcome ("evicted", "gone",
 * "blocked", ...) in "result", also on failure.  With dry_run: the plan
 * and its refusals only.
 */
int		 node_drain(struct kube_client *, const char *name,
		    const struct node_drain_opts *, cJSON **pods,
		    struct es_err *err);
/*
 * Deletes the Node.  Unless force, only a drained node: cordoned, and no
 * pod on it other than DaemonSet, mirror and finished pods (ES_ECONFLICT
 * naming what is left).  Already gone: success, *gone (may be NULL) set.
 */
int		 node_delete(struct kube_client *, const char *name,
		    int force, int dry_run, int *gone, struct es_err *err);

#endif
