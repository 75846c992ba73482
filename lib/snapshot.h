/*
 * snapshot.h - cluster resource snapshots (k8s_cluster_resource_snapshot,
 * seed 003 5.2): one row per cluster and point in time with capacities,
 * requests, usage, node and pod counts.
 *
 * Ratios are percentages.  For CPU (memory alike, in GB):
 *	cpu_allocation_ratio = cpu_request / cpu_allocatable * 100
 *	max_cpu              = cpu_usage / cpu_allocatable * 100
 * ("max": the peak over the collection interval when the source offers a
 * range, as Prometheus does; metrics.k8s.io gives the current value).
 * The strategy engine compares max_cpu / max_memory with thresholds of
 * type "usage" and the allocation ratios with thresholds of type
 * "allocated".  collected_at is the time a snapshot describes.
 */
#ifndef ESCTL_SNAPSHOT_H
#define ESCTL_SNAPSHOT_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

#define SNAPSHOT_TYPE_MAX	64

/*
 * One snapshot.  Doubles are NAN and counts -1 when unknown;
 * snapshot_derive() fills what can be computed from the rest.
 */
struct snapshot {
	long long	 cluster_id;
	time_t		 collected_at;
	char		 resource_type[SNAPSHOT_TYPE_MAX];
	const char	*source;		/* kube, prometheus, import */
	double		 cpu_capacity, mem_capacity;
	double		 cpu_allocatable, mem_allocatable;
	double		 cpu_request, mem_request;
	double		 cpu_usage, mem_usage;
	double		 max_cpu, max_memory;
	double		 cpu_allocation_ratio, mem_allocation_ratio;
	double		 per_node_cpu_req, per_node_mem_req;
	long long	 node_count, ready_node_count;
	long long	 unschedulable_node_count;
	long long	 bm_count, vm_count, pod_count;
};

/* Sets every value unknown, resource_type "cluster", source "import". */
void	snapshot_init(struct snapshot *);
/*
 * Computes what is unknown from what is known: allocatable defaults to
 * capacity, the ratios from the formulas above, per-node requests from
 * node_count; remaining unknown amounts and counts become 0 (ratios and
 * usage stay unknown).
 */
void	snapshot_derive(struct snapshot *);
/*
 * Stores one snapshot (call inside a transaction for many).  *inserted is
 * 0 when a live snapshot of the same cluster, resource_type and time
 * already exists (nothing is written then).
 */
int	snapshot_insert(struct store *, const struct snapshot *, time_t now,
	    int *inserted, struct es_err *err);

/*
 * Reads snapshots from a file: CSV with a header row, a JSON array of
 * objects or JSON Lines.  format is "csv", "json" or NULL (by extension,
 * then by content).  Field names are the column names (cluster may be a
 * name, UUID or id; collected_at may also be called created_at, time or
 * timestamp).  default_cluster (>= 0) is used for rows without a cluster.
 * Every row is validated and derived; nothing is written.  Errors name
 * file:line.  *out is a new array (caller frees).
 */
int	snapshot_parse_file(struct store *, const char *path,
	    const char *format, long long default_cluster, time_t now,
	    struct snapshot **out, size_t *n, struct es_err *err);
/*
 * The same on text in memory (name stands for the file in messages and
 * picks the format by extension), with clusters named by rows resolved
 * through resolve(arg, ref, &id, err).
 */
int	snapshot_parse(const char *buf, size_t len, const char *name,
	    const char *format, long long default_cluster, time_t now,
	    int (*resolve)(void *, const char *, long long *,
	    struct es_err *), void *arg, struct snapshot **out, size_t *n,
	    struct es_err *err);

/* The node label saying "bm" or "vm" (physical or virtual machine). */
#define SNAPSHOT_MACHINE_LABEL	"es.yunpeng.cn/machine-type"

/*
 * Computes a snapshot from a cluster's API objects: nodes (a NodeList),
 * pods (a PodList of every namespace) and metrics (a metrics.k8s.io
 * NodeMetricsList, or NULL when the cluster has no metrics API).
 *  - capacity: every node; allocatable, requests and usage: the
 *    schedulable nodes (Ready and not cordoned);
 *  - a pod's request is max(sum of its containers, largest init
 *    container) plus its overhead; pods that have terminated (Succeeded,
 *    Failed) do not count, nor pods not bound to a node;
 *  - bm/vm: the SNAPSHOT_MACHINE_LABEL label, else a node with the label
 *    node.kubernetes.io/instance-type is virtual, else physical;
 *  - CPU in cores, memory in GiB.
 * Fills s (initialised here) except cluster_id and collected_at, and
 * derives the ratios.  Quantities that do not parse count as 0.
 */
void	snapshot_from_kube(const cJSON *nodes, const cJSON *pods,
	    const cJSON *metrics, struct snapshot *s);
/*
 * The parts of a Pod snapshot_from_kube reads (phase, node, requests of
 * containers and init containers, overhead), as a new object: collecting
 * a large cluster keeps these instead of whole pods.
 */
cJSON	*snapshot_pod_brief(const cJSON *pod);

struct snapshot_filter {
	long long	 cluster_id;	/* -1: every cluster */
	time_t		 since;		/* 0: no bound */
	time_t		 until;		/* 0: no bound */
	const char	*resource_type;	/* NULL: any */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Deletes (for good) the snapshots collected before `before`, of one
 * cluster (>= 0) or all; *count gets how many (with dry_run: how many
 * would go, nothing deleted).
 */
int	snapshot_prune(struct store *, time_t before, long long cluster_id,
	    int dry_run, long long *count, struct es_err *err);

/*
 * Snapshots as a JSON array (newest first), every column plus
 * cluster_name.
 */
int	snapshot_list(struct store *, const struct snapshot_filter *,
	    cJSON **out, struct es_err *err);

#endif
