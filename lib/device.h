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

#endif
