/*
 * device.c - the device inventory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "kube.h"
#include "node.h"
#include "pool.h"
#include "util.h"

static const char *const device_statuses[] = { "available", "in_pool",
    "cordoned", "maintenance", "removing", "offline", NULL };

int
device_status_check(const char *s, struct es_err *err)
{
	int i;

	for (i = 0; device_statuses[i] != NULL; i++)
		if (s != NULL && strcmp(s, device_statuses[i]) == 0)
			return 0;
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid device status "
	    "'%s': use %s", s ? s : "", DEVICE_STATUSES);
}

int
device_for_node(struct store *st, long long cluster_id, const cJSON *node,
    long long *id, struct es_err *err)
{
	const char *ip, *host, *name;

	*id = 0;
	ip = node_address(node, "InternalIP");
	name = kube_str(node, "metadata.name");
	host = node_address(node, "Hostname");
	if (ip != NULL && store_query_int(st, err, id, 0, "SELECT id FROM "
	    "device WHERE deleted_at IS NULL AND ip = ? AND (?2 < 0 OR "
	    "cluster_id = ?2 OR cluster_id IS NULL) ORDER BY cluster_id IS "
	    "NULL, id LIMIT 1", "si", ip, cluster_id) == -1)
		return -1;
	if (*id == 0 && store_query_int(st, err, id, 0, "SELECT id FROM "
	    "device WHERE deleted_at IS NULL AND ci_code IN (?1, ?2) AND "
	    "ci_code <> '' AND (?3 < 0 OR cluster_id = ?3 OR cluster_id IS "
	    "NULL) ORDER BY cluster_id IS NULL, id LIMIT 1", "ssi",
	    name ? name : "", host ? host : "", cluster_id) == -1)
		return -1;
	return 0;
}

int
device_set_status(struct store *st, long long id, const char *status,
    long long cluster_id, time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN];

	if (device_status_check(status, err) == -1)
		return -1;
	util_time_format(now, at);
	if (strcmp(status, "available") == 0)
		return store_exec(st, err, "UPDATE device SET status = ?, "
		    "cluster = '', cluster_id = NULL, pool_entry_time = NULL, "
		    "updated_at = ? WHERE id = ?", "ssi", status, at,
		    id) == -1 ? -1 : 0;
	if (strcmp(status, "in_pool") == 0)
		return store_exec(st, err, "UPDATE device SET status = ?, "
		    "cluster_id = coalesce(?2, cluster_id), cluster = coalesce("
		    "(SELECT clustername FROM k8s_cluster WHERE id = ?2), "
		    "cluster), pool_entry_time = CASE WHEN status = 'in_pool' "
		    "AND pool_entry_time IS NOT NULL THEN pool_entry_time ELSE "
		    "?3 END, updated_at = ?3 WHERE id = ?4", "sIsi", status,
		    cluster_id, at, id) == -1 ? -1 : 0;
	return store_exec(st, err, "UPDATE device SET status = ?, "
	    "cluster_id = coalesce(?2, cluster_id), cluster = coalesce("
	    "(SELECT clustername FROM k8s_cluster WHERE id = ?2), cluster), "
	    "updated_at = ? WHERE id = ?", "sIsi", status, cluster_id, at,
	    id) == -1 ? -1 : 0;
}

int
device_find(struct store *st, const char *ref, long long *id,
    struct es_err *err)
{
	long long v;

	if (store_query_int(st, err, &v, -1, "SELECT id FROM device WHERE "
	    "deleted_at IS NULL AND (ci_code = ?1 OR CAST(id AS TEXT) = ?1) "
	    "ORDER BY ci_code = ?1 DESC LIMIT 1", "s", ref) == -1)
		return -1;
	if (v < 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "device '%s' "
		    "not found", ref);
	*id = v;
	return 0;
}
