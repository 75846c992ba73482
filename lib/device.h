/*
 * device.h - the device inventory (table device, seed 003 5.3): the
 * physical or virtual machines that can serve in a cluster's node pool.
 *
 * Device statuses, used by every command:
 *	available	not in any pool; may enter one (pool_entry)
 *	in_pool		a schedulable Node of cluster / cluster_id
 *	cordoned	its Node is cordoned (out of scheduling, still there)
 *	maintenance	taken out for hardware work (esctl maintenance)
 *	removing	a pool_exit is cordoning/draining/deleting its Node
 *	offline		its Node is NotReady, or it is known to be down
 * A device stands for a Node of its cluster when the Node's InternalIP is
 * the device's ip, else when the Node's name or Hostname address is the
 * device's ci_code.
 */
#ifndef ESCTL_DEVICE_H
#define ESCTL_DEVICE_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

#define DEVICE_STATUSES \
	"available in_pool cordoned maintenance removing offline"

/* 0 when s is one of DEVICE_STATUSES, else ES_EUSAGE listing them. */
int	device_status_check(const char *s, struct es_err *err);

/*
 * The live device of cluster_id (-1: of any cluster) standing for node (a
 * Node object): *id, or 0 when none.
 */
int	device_for_node(struct store *, long long cluster_id,
	    const cJSON *node, long long *id, struct es_err *err);
/*
 * Sets status (and, for in_pool, the cluster and pool_entry_time; for
 * available, no cluster) of device id.  cluster_id < 0 keeps the cluster.
 */
int	device_set_status(struct store *, long long id, const char *status,
	    long long cluster_id, time_t now, struct es_err *err);
/* Finds a live device by ci_code or numeric id; ES_ENOTFOUND. */
int	device_find(struct store *, const char *ref, long long *id,
	    struct es_err *err);

/*
 * Computed, read-only columns (device_update and import never take them):
 *	feature_count	the number of distinct roles in role (a comma-
 *			separated list: "gpu,ssd")
 *	is_special	1 when any role is something other than "worker" or
 *			"general" (a GPU, storage or control-plane machine
 *			must not be picked for pool exits by accident)
 *	app_name	"<group>/<appid>" when both are set, else the one set
 * They are recomputed on every write of the row.
 */

/* The writable columns, in the seed's order (NULL-terminated). */
extern const char *const device_columns[];

/* What an import did or would do. */
struct device_import_result {
	long long	 created, updated, unchanged, rejected;
	cJSON		*errors;	/* [{"line", "ci_code", "error"}] */
};

/*
 * Imports devices from text: CSV with a header row of column names (any
 * order; the seed's column names or field names, case-insensitive) or a
 * JSON array of objects.  Unknown and computed columns are rejected by
 * name; ci_code is required, unique within the file; cpu and memory are
 * numbers >= 0, disk_count an integer >= 0, is_localization a boolean,
 * status one of DEVICE_STATUSES (default available), cluster a registered
 * cluster (name, UUID or id).  Rows upsert by ci_code among live devices;
 * a row changes only the columns it has.  Everything happens in one
 * transaction.  Any invalid row fails the import (ES_EUSAGE, naming
 * "NAME:LINE" or "NAME[INDEX]" and the field) with nothing written,
 * unless skip_invalid: then the good rows are imported and the others
 * listed in res->errors.  dry_run counts without writing.  res->errors
 * is a new array (caller frees) in every case.
 */
int	device_import(struct store *, const char *buf, size_t len,
	    const char *name, int skip_invalid, int dry_run, time_t now,
	    struct device_import_result *res, struct es_err *err);

struct device_filter {
	long long	 cluster_id;	/* -1: any */
	const char	*status;
	const char	*idc;
	int		 special;	/* -1: any, 0, 1 */
	int		 available;	/* only status available */
};
/* Live devices by id, with every column, as a new JSON array. */
int	device_list(struct store *, const struct device_filter *, cJSON **out,
	    struct es_err *err);
/* One live device; ES_ENOTFOUND. */
int	device_get(struct store *, long long id, cJSON **out,
	    struct es_err *err);
/*
 * Sets writable columns of device id: sets[i].column one of
 * device_columns ("cluster" resolved like import), values validated as
 * import does.  A computed column is ES_EUSAGE naming it.
 */
struct device_set {
	const char	*column;
	const char	*value;
};
int	device_update(struct store *, long long id,
	    const struct device_set *sets, int n, time_t now,
	    struct es_err *err);
/*
 * Soft delete (deleted_at).  A device in an open order (pending or
 * processing) is ES_ECONFLICT naming the order.
 */
int	device_remove(struct store *, long long id, time_t now,
	    struct es_err *err);

/*
 * Matches the Nodes of cluster_id (through kc) to devices (any cluster or
 * none): a matched device gets the cluster, os_name / os_issue /
 * os_kernel / arch_type from status.nodeInfo (operatingSystem, osImage,
 * kernelVersion, architecture) and its pool status: offline when
 * NotReady, cordoned when unschedulable, else in_pool (a device in
 * maintenance or removing keeps its status).  A live device of the
 * cluster whose Node is gone is no longer in any cluster: available,
 * cluster cleared (maintenance and removing kept).  One transaction;
 * nothing is written with dry_run.  *out: {"matched": [{node, ci_code,
 * status}], "unmatched_nodes": [names], "unmatched_devices": [ci_codes],
 * "released": [ci_codes]}.
 */
struct kube_client;
int	device_sync(struct store *, struct kube_client *, long long cluster_id,
	    int dry_run, time_t now, cJSON **out, struct es_err *err);

#endif
