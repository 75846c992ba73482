/*
 * nodesel.h - which nodes leave a pool first: SelectNodesForRemoval of
 * seed 003 8, explained.  `esctl device select` prints it; `esctl order
 * execute` of a pool_exit takes the head of the same list.
 *
 * A node of the cluster is a candidate when all of these hold, else it is
 * excluded with the first reason that applies, in this order:
 *	no device	no live device stands for it (lib/device.h matching)
 *	not in pool	its device's status is not in_pool
 *	special		its device is_special (unless allow_special)
 *	control plane	label node-role.kubernetes.io/control-plane or
 *			node-role.kubernetes.io/master
 *	NotReady	Ready condition not True
 *	cordoned	spec.unschedulable
 *	taint		a NoSchedule or NoExecute taint other than the
 *			cordon's node.kubernetes.io/unschedulable, unless its
 *			key is allowed (allow_taints)
 *	selector	labels do not match the selector
 *	pods		a pod the drain would refuse (lib/node.h rules with
 *			the given delete_emptydir), named with its reason
 *
 * Candidates are ranked by score, lowest first (ties: node name):
 *	score = 40 * request share + 20 * usage share + 4 * pod weight
 *		- min(days in pool, 30) / 3
 * where request share is the mean of the CPU and memory request ratios
 * (sum of the requests of the node's running pods / allocatable, 0..1),
 * usage share the mean of the CPU and memory usage ratios from
 * metrics.k8s.io (absent without metrics: its 20 points are then given to
 * the request share, so scores stay comparable within one run), pod
 * weight counts pods other than DaemonSet and mirror pods, a pod with
 * priority >= 1000000000 (system-cluster-critical, system-node-critical)
 * counting 5 and any other positive priority 2, and days in pool come
 * from the device's pool_entry_time (absent: 0).  Every number is in the
 * output as a factor; absent data is null, never 0.
 */
#ifndef ESCTL_NODESEL_H
#define ESCTL_NODESEL_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"
#include "store.h"

struct nodesel_opts {
	const char	*selector;	/* canonical JSON object or NULL */
	int		 allow_special;
	const char	**allow_taints;	/* keys; NULL-terminated or NULL */
	int		 delete_emptydir;	/* as for the drain */
	time_t		 now;
};

/*
 * Ranks the nodes of cluster_id (reached through kc).  *out is a new
 * object: {"cluster", "metrics" (true when usage came from
 * metrics.k8s.io), "candidates": [{rank, node, device_id, ci_code,
 * score, factors: {cpu_request_ratio, memory_request_ratio,
 * cpu_usage_ratio, memory_usage_ratio, pods, pod_weight, days_in_pool},
 * requests and allocatable: {cpu, memory} (cores, bytes)}], "excluded": [{node,
 * device_id, ci_code, reason}], "nodes": {"total", "ready",
 * "not_ready", "schedulable"}, "free": {"cpu", "memory"}} where free is
 * the allocatable minus requests of the Ready schedulable nodes.
 */
int	nodesel_rank(struct store *, struct kube_client *,
	    long long cluster_id, const struct nodesel_opts *, cJSON **out,
	    struct es_err *err);

#endif
