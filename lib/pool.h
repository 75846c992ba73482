/*
 * pool.h - helpers shared by the elastic node-pool modules (snapshot,
 * strategy, engine, order, duty, notify): finding registered clusters,
 * percentages and the "CPU:85.0%,MEM:N/A" value format of seed 003.
 */
#ifndef ESCTL_POOL_H
#define ESCTL_POOL_H

#include <stddef.h>

#include "err.h"
#include "store.h"

/*
 * Finds a live (not soft-deleted) registered Kubernetes cluster by its
 * clustername, its cluster_id (UUID) or its numeric id, in that order of
 * preference.  *id gets the row id; *name (when not NULL) a new string
 * with the clustername (caller frees).  ES_ENOTFOUND naming ref.
 */
int	pool_cluster_find(struct store *, const char *ref, long long *id,
	    char **name, struct es_err *err);

/*
 * Formats the seed's value pair "CPU:85.0%,MEM:N/A" into buf: a value is
 * shown with one decimal when has_x is set and x is finite, else "N/A".
 */
void	pool_format_pair(char *buf, size_t len, int has_cpu, double cpu,
	    int has_mem, double mem);

/* 1 when s is all ASCII digits (a numeric id rather than a name). */
int	pool_is_id(const char *s);

#endif
