/*
 * tenant.h - tenants (orgs and their users), their containers and quotas.
 *
 * A quota row exists per org (user "") and optionally per user of an org;
 * every limit may be unset (unlimited).  Usage is computed from the live
 * TenantContainer records: limits x replicas for CPU and memory, disk size
 * x replicas, GPUs x replicas, one cluster per container, and the vector
 * indexes of the org.
 */
#ifndef ESCTL_TENANT_H
#define ESCTL_TENANT_H

#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

#define TENANT_UNSET	(-1)

/* Resource amounts; quantities in millis (lib/quantity.h). */
struct tenant_amount {
	long long	clusters;
	long long	indexes;
	long long	gpu;
	int64_t		cpu;
	int64_t		memory;
	int64_t		disk;
};

/* Limits; TENANT_UNSET (-1) means unlimited. */
struct tenant_quota {
	struct tenant_amount max;
};

/* A change to a quota: which fields to set, and to what (-1 = clear). */
struct tenant_quota_update {
	int			set_clusters, set_indexes, set_gpu;
	int			set_cpu, set_memory, set_disk;
	struct tenant_amount	val;
};

/* Reads the quota of org (user NULL) or of one user; unset when absent. */
int	tenant_quota_read(struct store *, const char *org, const char *user,
	    struct tenant_quota *, struct es_err *);
/* Upserts the given fields.  Call inside a transaction or alone. */
int	tenant_quota_write(struct store *, const char *org, const char *user,
	    const struct tenant_quota_update *, time_t now, struct es_err *);
/* Usage of the org (user NULL) or of one user of the org. */
int	tenant_usage_read(struct store *, const char *org, const char *user,
	    struct tenant_amount *, struct es_err *);
/*
 * Checks that adding `add` keeps org and user within their quotas.
 * ES_EQUOTA naming the first limit exceeded.
 */
int	tenant_quota_check(struct store *, const char *org, const char *user,
	    const struct tenant_amount *add, struct es_err *);
/*
 * The quota and current usage as the seed's JSON: {tenant_org_id, user,
 * quota{max_clusters, max_indexes, max_cpu, max_memory, max_disk,
 * max_gpu}, current_usage{clusters, indexes, cpu, memory, disk, gpu},
 * updated_at}.  New object; caller frees.
 */
int	tenant_quota_json(struct store *, const char *org, const char *user,
	    cJSON **out, struct es_err *);
/* All quota rows (optionally of one org), as JSON array. */
int	tenant_quota_list(struct store *, const char *org, cJSON **out,
	    struct es_err *);

/* Filters for tenant_containers; NULL fields do not filter. */
struct tenant_filter {
	const char	*org;
	const char	*user;
	const char	*service;
	const char	*status;
	const char	*namespace;
};

/*
 * TenantContainer records in the seed's JSON shape (id, tenant_org_id,
 * user, service_name, namespace, replicas, cpu "req/limit", memory
 * "req/limit", disk, gpu_count, dimension, vector_count, status,
 * created_at, sync_time) plus index_limit and updated_at.
 */
int	tenant_containers(struct store *, const struct tenant_filter *,
	    cJSON **out, struct es_err *);

#endif
