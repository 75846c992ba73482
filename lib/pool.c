/*
 * pool.c - helpers shared by the elastic node-pool modules.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

int
pool_cluster_find(struct store *st, const char *ref, long long *id,
    char **name, struct es_err *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if (ref == NULL || *ref == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "empty cluster "
		    "name");
	stmt = store_prepare(st, err, "SELECT id, clustername FROM "
	    "k8s_cluster WHERE deleted_at IS NULL AND (clustername = ?1 OR "
	    "(cluster_id = ?1 AND cluster_id <> '') OR "
	    "CAST(id AS TEXT) = ?1) ORDER BY clustername = ?1 DESC, "
	    "cluster_id = ?1 DESC LIMIT 1", "s", ref);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1) {
		*id = sqlite3_column_int64(stmt, 0);
		if (name != NULL)
			*name = xstrdup((const char *)sqlite3_column_text(stmt,
			    1));
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	if (rc == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "cluster "
		    "'%s' not found: register it with 'esctl k8s add'", ref);
	return 0;
}

void
pool_format_pair(char *buf, size_t len, int has_cpu, double cpu,
    int has_mem, double mem)
{
	char c[32], m[32];

	if (has_cpu && isfinite(cpu))
		snprintf(c, sizeof c, "%.1f%%", cpu);
	else
		snprintf(c, sizeof c, "N/A");
	if (has_mem && isfinite(mem))
		snprintf(m, sizeof m, "%.1f%%", mem);
	else
		snprintf(m, sizeof m, "N/A");
	snprintf(buf, len, "CPU:%s,MEM:%s", c, m);
}

int
pool_is_id(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}
