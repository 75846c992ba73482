/*
 * tenant.c - tenant quotas, usage and container records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"
#include "tenant.h"
#include "util.h"

static int	 tenant_quota_row(struct store *, const char *, const char *,
		    struct tenant_quota *, char **, struct es_err *);
static cJSON	*tenant_qty_json(int64_t, int);
static int	 tenant_table_exists(struct store *, const char *);

static void
tenant_amount_unset(struct tenant_amount *a)
{
	a->clusters = a->indexes = a->gpu = TENANT_UNSET;
	a->cpu = a->memory = a->disk = TENANT_UNSET;
}

static int64_t
tenant_col_qty(sqlite3_stmt *stmt, int col)
{
	const char *s;
	int64_t v;

	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return TENANT_UNSET;
	s = (const char *)sqlite3_column_text(stmt, col);
	if (quantity_parse(s, "quota", 0, &v, NULL) == -1)
		return TENANT_UNSET;
	return v;
}

static long long
tenant_col_int(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return TENANT_UNSET;
	return sqlite3_column_int64(stmt, col);
}

static int
tenant_quota_row(struct store *st, const char *org, const char *user,
    struct tenant_quota *q, char **updated, struct es_err *err)
{
	sqlite3_stmt *stmt;
	int rc;

	tenant_amount_unset(&q->max);
	if (updated != NULL)
		*updated = NULL;
	stmt = store_prepare(st, err, "SELECT max_clusters, max_indexes, "
	    "max_cpu, max_memory, max_disk, max_gpu, updated_at "
	    "FROM tenant_quota WHERE tenant_org_id = ? AND user = ?", "ss",
	    org, user ? user : "");
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1) {
		q->max.clusters = tenant_col_int(stmt, 0);
		q->max.indexes = tenant_col_int(stmt, 1);
		q->max.cpu = tenant_col_qty(stmt, 2);
		q->max.memory = tenant_col_qty(stmt, 3);
		q->max.disk = tenant_col_qty(stmt, 4);
		q->max.gpu = tenant_col_int(stmt, 5);
		if (updated != NULL && sqlite3_column_text(stmt, 6) != NULL)
			*updated = xstrdup((const char *)
			    sqlite3_column_text(stmt, 6));
	}
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

int
tenant_quota_read(struct store *st, const char *org, const char *user,
    struct tenant_quota *q, struct es_err *err)
{
	return tenant_quota_row(st, org, user, q, NULL, err);
}

static void
tenant_qty_text(int64_t v, int binary, char *buf, size_t len)
{
	quantity_format(v, binary, buf, len);
}

int
tenant_quota_write(struct store *st, const char *org, const char *user,
    const struct tenant_quota_update *u, time_t now, struct es_err *err)
{
	struct tenant_quota q;
	char ts[UTIL_TIME_LEN], cpu[64], mem[64], disk[64];
	int rc;

	if (tenant_quota_read(st, org, user, &q, err) == -1)
		return -1;
	if (u->set_clusters)
		q.max.clusters = u->val.clusters;
	if (u->set_indexes)
		q.max.indexes = u->val.indexes;
	if (u->set_gpu)
		q.max.gpu = u->val.gpu;
	if (u->set_cpu)
		q.max.cpu = u->val.cpu;
	if (u->set_memory)
		q.max.memory = u->val.memory;
	if (u->set_disk)
		q.max.disk = u->val.disk;
	tenant_qty_text(q.max.cpu, 0, cpu, sizeof cpu);
	tenant_qty_text(q.max.memory, 1, mem, sizeof mem);
	tenant_qty_text(q.max.disk, 1, disk, sizeof disk);
	util_time_format(now, ts);
	rc = store_exec(st, err, "INSERT INTO tenant_quota (tenant_org_id, "
	    "user, max_clusters, max_indexes, max_cpu, max_memory, max_disk, "
	    "max_gpu, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (tenant_org_id, user) DO UPDATE SET "
	    "max_clusters = excluded.max_clusters, "
	    "max_indexes = excluded.max_indexes, "
	    "max_cpu = excluded.max_cpu, max_memory = excluded.max_memory, "
	    "max_disk = excluded.max_disk, max_gpu = excluded.max_gpu, "
	    "updated_at = excluded.updated_at", "ssIIsssIss", org,
	    user ? user : "", q.max.clusters, q.max.indexes,
	    q.max.cpu < 0 ? NULL : cpu, q.max.memory < 0 ? NULL : mem,
	    q.max.disk < 0 ? NULL : disk, q.max.gpu, ts, ts);
	return rc == -1 ? -1 : 0;
}

static int
tenant_table_exists(struct store *st, const char *name)
{
	long long n = 0;
	struct es_err e2 = ES_ERR_INIT;

	if (store_query_int(st, &e2, &n, 0, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'table' AND name = ?", "s",
	    name) == -1)
		return 0;
	return n > 0;
}

int
tenant_usage_read(struct store *st, const char *org, const char *user,
    struct tenant_amount *a, struct es_err *err)
{
	sqlite3_stmt *stmt;
	int64_t v;
	long long rep;
	int rc;

	memset(a, 0, sizeof *a);
	stmt = store_prepare(st, err, "SELECT replicas, cpu_limit, mem_limit, "
	    "disk_size, gpu_count FROM tenant_container "
	    "WHERE tenant_org_id = ? AND (? IS NULL OR user = ?)", "sss", org,
	    user, user);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		rep = sqlite3_column_int64(stmt, 0);
		a->clusters++;
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 1),
		    "cpu", 0, &v, NULL) == 0)
			a->cpu += v * rep;
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 2),
		    "memory", 0, &v, NULL) == 0)
			a->memory += v * rep;
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 3),
		    "disk", 0, &v, NULL) == 0)
			a->disk += v * rep;
		a->gpu += sqlite3_column_int64(stmt, 4) * rep;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	/* vector indexes, once that capability's table exists */
	if (tenant_table_exists(st, "vector_index") &&
	    store_query_int(st, err, &a->indexes, 0, "SELECT count(*) FROM "
	    "vector_index WHERE tenant_org_id = ? AND (? IS NULL OR "
	    "user = ?)", "sss", org, user, user) == -1)
		return -1;
	return 0;
}

static int
tenant_check_one(const char *scope, const struct tenant_amount *max,
    const struct tenant_amount *used, const struct tenant_amount *add,
    struct es_err *err)
{
	char a[64], b[64], c[64];

#define TQ_INT(field, label) \
	if (max->field >= 0 && add->field > 0 && \
	    used->field + add->field > max->field) \
		return es_err_set(err, ES_EQUOTA, "QuotaExceeded", \
		    "quota exceeded for %s: %s limit %lld, in use %lld, " \
		    "requested %lld", scope, label, max->field, used->field, \
		    add->field)
#define TQ_QTY(field, label, bin) \
	if (max->field >= 0 && add->field > 0 && \
	    used->field + add->field > max->field) { \
		quantity_format(max->field, bin, a, sizeof a); \
		quantity_format(used->field, bin, b, sizeof b); \
		quantity_format(add->field, bin, c, sizeof c); \
		return es_err_set(err, ES_EQUOTA, "QuotaExceeded", \
		    "quota exceeded for %s: %s limit %s, in use %s, " \
		    "requested %s", scope, label, a, b, c); \
	}
	TQ_INT(clusters, "max_clusters");
	TQ_INT(indexes, "max_indexes");
	TQ_QTY(cpu, "max_cpu", 0);
	TQ_QTY(memory, "max_memory", 1);
	TQ_QTY(disk, "max_disk", 1);
	TQ_INT(gpu, "max_gpu");
#undef TQ_INT
#undef TQ_QTY
	return 0;
}

int
tenant_quota_check(struct store *st, const char *org, const char *user,
    const struct tenant_amount *add, struct es_err *err)
{
	struct tenant_quota q;
	struct tenant_amount used;
	char scope[192];

	if (tenant_quota_read(st, org, NULL, &q, err) == -1 ||
	    tenant_usage_read(st, org, NULL, &used, err) == -1)
		return -1;
	snprintf(scope, sizeof scope, "org '%s'", org);
	if (tenant_check_one(scope, &q.max, &used, add, err) == -1)
		return -1;
	if (user == NULL)
		return 0;
	if (tenant_quota_read(st, org, user, &q, err) == -1 ||
	    tenant_usage_read(st, org, user, &used, err) == -1)
		return -1;
	snprintf(scope, sizeof scope, "user '%s' of org '%s'", user, org);
	return tenant_check_one(scope, &q.max, &used, add, err);
}

static cJSON *
tenant_qty_json(int64_t v, int binary)
{
	char buf[64];

	if (v < 0)
		return cJSON_CreateNull();
	quantity_format(v, binary, buf, sizeof buf);
	return cJSON_CreateString(buf);
}

static cJSON *
tenant_int_json(long long v)
{
	return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)v);
}

int
tenant_quota_json(struct store *st, const char *org, const char *user,
    cJSON **out, struct es_err *err)
{
	struct tenant_quota q;
	struct tenant_amount used;
	char *updated;
	cJSON *j, *qj, *uj;

	*out = NULL;
	if (tenant_quota_row(st, org, user, &q, &updated, err) == -1)
		return -1;
	if (tenant_usage_read(st, org, user, &used, err) == -1) {
		free(updated);
		return -1;
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "tenant_org_id", org);
	if (user != NULL)
		cJSON_AddStringToObject(j, "user", user);
	else
		cJSON_AddNullToObject(j, "user");
	qj = cJSON_AddObjectToObject(j, "quota");
	cJSON_AddItemToObject(qj, "max_clusters",
	    tenant_int_json(q.max.clusters));
	cJSON_AddItemToObject(qj, "max_indexes",
	    tenant_int_json(q.max.indexes));
	cJSON_AddItemToObject(qj, "max_cpu", tenant_qty_json(q.max.cpu, 0));
	cJSON_AddItemToObject(qj, "max_memory",
	    tenant_qty_json(q.max.memory, 1));
	cJSON_AddItemToObject(qj, "max_disk", tenant_qty_json(q.max.disk, 1));
	cJSON_AddItemToObject(qj, "max_gpu", tenant_int_json(q.max.gpu));
	uj = cJSON_AddObjectToObject(j, "current_usage");
	cJSON_AddNumberToObject(uj, "clusters", (double)used.clusters);
	cJSON_AddNumberToObject(uj, "indexes", (double)used.indexes);
	cJSON_AddItemToObject(uj, "cpu", tenant_qty_json(used.cpu, 0));
	cJSON_AddItemToObject(uj, "memory", tenant_qty_json(used.memory, 1));
	cJSON_AddItemToObject(uj, "disk", tenant_qty_json(used.disk, 1));
	cJSON_AddNumberToObject(uj, "gpu", (double)used.gpu);
	if (updated != NULL)
		cJSON_AddStringToObject(j, "updated_at", updated);
	else
		cJSON_AddNullToObject(j, "updated_at");
	free(updated);
	*out = j;
	return 0;
}

int
tenant_quota_list(struct store *st, const char *org, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT tenant_org_id, "
	    "NULLIF(user, '') AS user, max_clusters, max_indexes, max_cpu, "
	    "max_memory, max_disk, max_gpu, created_at, updated_at "
	    "FROM tenant_quota WHERE (? IS NULL OR tenant_org_id = ?) "
	    "ORDER BY tenant_org_id, user", "ss", org, org);
}

int
tenant_containers(struct store *st, const struct tenant_filter *f,
    cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT id, tenant_org_id, "
	    "user, service_name, namespace, replicas, "
	    "cpu_request || '/' || cpu_limit AS cpu, "
	    "mem_request || '/' || mem_limit AS memory, disk_size AS disk, "
	    "gpu_count, dimension, vector_count, index_limit, status, "
	    "created_at, updated_at, sync_time FROM tenant_container "
	    "WHERE (?1 IS NULL OR tenant_org_id = ?1) "
	    "AND (?2 IS NULL OR user = ?2) "
	    "AND (?3 IS NULL OR service_name = ?3) "
	    "AND (?4 IS NULL OR status = ?4) "
	    "AND (?5 IS NULL OR namespace = ?5) "
	    "ORDER BY tenant_org_id, user, service_name", "sssss", f->org,
	    f->user, f->service, f->status, f->namespace);
}
