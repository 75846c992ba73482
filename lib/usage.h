/*
 * usage.h - resource usage over time, for cost allocation.
 *
 * Every state change of an ES service is a usage event: "create" (the
 * service became live), "scale" (new replica count), "update" (new
 * resources) and "delete".  The state after an event holds until the
 * next event of the same namespace (or now), so integrating the states
 * over a window gives resource-hours: CPU limit cores x replicas x
 * hours, and likewise for memory (GiB), disk (GiB) and GPUs.
 */
#ifndef ESCTL_USAGE_H
#define ESCTL_USAGE_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

/* One event; strings are borrowed. */
struct usage_event {
	const char	*tenant_org_id;
	const char	*user;
	const char	*service_name;
	const char	*namespace;
	const char	*event;		/* create, scale, update, delete */
	long long	 replicas;
	const char	*cpu_limit;
	const char	*mem_limit;
	const char	*disk_size;
	long long	 gpu_count;
};

/* Appends an event at time at.  Call inside the caller's transaction. */
int	usage_record(struct store *, const struct usage_event *, time_t at,
	    struct es_err *err);
/*
 * Resource-hours of an org's services within [since, until), one row per
 * user and service: tenant_org_id, user, service_name, namespaces,
 * hours, replica_hours, cpu_core_hours, memory_gib_hours,
 * disk_gib_hours, gpu_hours (rounded to 0.001).  user may be NULL.
 */
int	usage_report(struct store *, const char *org, const char *user,
	    time_t since, time_t until, cJSON **out, struct es_err *err);

#endif
