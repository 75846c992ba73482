/*
 * device.c - the device inventory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "device.h"
#include "kube.h"
#include "node.h"
#include "pool.h"
#include "util.h"
#include "xmalloc.h"

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
		    "cluster), pool_entry_time = CASE WHEN status IN "
		    "('in_pool', 'removing') AND pool_entry_time IS NOT NULL "
		    "THEN pool_entry_time ELSE ?3 END, updated_at = ?3 WHERE "
		    "id = ?4", "sIsi", status, cluster_id, at, id) == -1 ?
		    -1 : 0;
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

/* ---- the inventory -------------------------------------------------- */

const char *const device_columns[] = { "ci_code", "ip", "arch_type", "idc",
    "room", "cabinet", "cabinet_no", "infra_type", "is_localization",
    "net_zone", "group", "appid", "os_create_time", "cpu", "memory",
    "model", "kvm_ip", "os", "company", "os_name", "os_issue", "os_kernel",
    "status", "role", "cluster", "acceptance_time", "disk_count",
    "disk_detail", "network_speed", NULL };
#define DEVICE_NCOL	29

/* One row to write: values by device_columns index, NULL when absent. */
struct device_row {
	const char	*v[DEVICE_NCOL];
	char		*own[DEVICE_NCOL];
	long long	 cluster_id;	/* -1: not given */
	char		 where[600];	/* "file:line" for messages */
};

static const char device_insert_sql[] =
	"INSERT INTO device (created_at, updated_at, ci_code, ip, "
	"arch_type, idc, room, cabinet, cabinet_no, infra_type, "
	"is_localization, net_zone, \"group\", appid, os_create_time, "
	"cpu, memory, model, kvm_ip, os, company, os_name, os_issue, "
	"os_kernel, status, role, cluster, acceptance_time, "
	"disk_count, disk_detail, network_speed, cluster_id) VALUES "
	"(?1, ?1, coalesce(?2, ''), coalesce(?3, ''), coalesce(?4, "
	"''), coalesce(?5, ''), coalesce(?6, ''), coalesce(?7, ''), "
	"coalesce(?8, ''), coalesce(?9, ''), coalesce(?10, 0), "
	"coalesce(?11, ''), coalesce(?12, ''), coalesce(?13, ''), "
	"coalesce(?14, ''), coalesce(?15, 0), coalesce(?16, 0), "
	"coalesce(?17, ''), coalesce(?18, ''), coalesce(?19, ''), "
	"coalesce(?20, ''), coalesce(?21, ''), coalesce(?22, ''), "
	"coalesce(?23, ''), coalesce(?24, 'available'), coalesce(?25, "
	"''), coalesce(?26, ''), coalesce(?27, ''), coalesce(?28, 0), "
	"coalesce(?29, ''), coalesce(?30, ''), ?31)";
static const char device_update_sql[] =
	"UPDATE device SET updated_at = ?1, ci_code = coalesce(?2, "
	"ci_code), ip = coalesce(?3, ip), arch_type = coalesce(?4, "
	"arch_type), idc = coalesce(?5, idc), room = coalesce(?6, "
	"room), cabinet = coalesce(?7, cabinet), cabinet_no = "
	"coalesce(?8, cabinet_no), infra_type = coalesce(?9, "
	"infra_type), is_localization = coalesce(?10, "
	"is_localization), net_zone = coalesce(?11, net_zone), "
	"\"group\" = coalesce(?12, \"group\"), appid = coalesce(?13, "
	"appid), os_create_time = coalesce(?14, os_create_time), cpu "
	"= coalesce(?15, cpu), memory = coalesce(?16, memory), model "
	"= coalesce(?17, model), kvm_ip = coalesce(?18, kvm_ip), os = "
	"coalesce(?19, os), company = coalesce(?20, company), os_name "
	"= coalesce(?21, os_name), os_issue = coalesce(?22, "
	"os_issue), os_kernel = coalesce(?23, os_kernel), status = "
	"coalesce(?24, status), role = coalesce(?25, role), cluster = "
	"coalesce(?26, cluster), acceptance_time = coalesce(?27, "
	"acceptance_time), disk_count = coalesce(?28, disk_count), "
	"disk_detail = coalesce(?29, disk_detail), network_speed = "
	"coalesce(?30, network_speed), cluster_id = CASE WHEN ?31 IS "
	"NULL THEN cluster_id ELSE ?31 END WHERE id = ?32";

/* Column index of a header name (seed column or field name), or -1. */
static int
device_column(const char *name, int *computed)
{
	char a[64], b[64];
	size_t i, j;
	int k;
	static const char *const ro[] = { "id", "createdat", "updatedat",
	    "deletedat", "isspecial", "featurecount", "appname",
	    "poolentrytime", NULL };

	*computed = 0;
	for (i = j = 0; name[i] != '\0' && j + 1 < sizeof a; i++)
		if (name[i] != '_')
			a[j++] = (char)tolower((unsigned char)name[i]);
	a[j] = '\0';
	if (strcmp(a, "clusterid") == 0)
		snprintf(a, sizeof a, "cluster");
	for (k = 0; ro[k] != NULL; k++)
		if (strcmp(a, ro[k]) == 0) {
			*computed = 1;
			return -1;
		}
	for (k = 0; device_columns[k] != NULL; k++) {
		for (i = j = 0; device_columns[k][i] != '\0'; i++)
			if (device_columns[k][i] != '_')
				b[j++] = device_columns[k][i];
		b[j] = '\0';
		if (strcmp(a, b) == 0)
			return k;
	}
	return -1;
}

/* Validates and normalises value v of column k into row; -1 with err. */
static int
device_value(struct store *st, struct device_row *r, int k, const char *v,
    struct es_err *err)
{
	const char *c = device_columns[k];
	double d;
	long long ll;
	int b;

	if (strcmp(c, "cpu") == 0 || strcmp(c, "memory") == 0) {
		if (*v == '\0')
			return 0;
		if (util_parse_double(v, c, 0, 1e9, &d, err) == -1)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: %s "
			    "'%s' is not a number >= 0", r->where, c, v);
	} else if (strcmp(c, "disk_count") == 0) {
		if (*v == '\0')
			return 0;
		if (util_parse_int(v, c, 0, 100000, &ll, err) == -1)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: %s "
			    "'%s' is not a whole number >= 0", r->where, c, v);
	} else if (strcmp(c, "is_localization") == 0) {
		if (*v == '\0')
			return 0;
		if (util_parse_bool(v, c, &b, err) == -1)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: %s "
			    "'%s' is not a boolean", r->where, c, v);
		v = b ? "1" : "0";
	} else if (strcmp(c, "status") == 0) {
		if (*v == '\0')
			return 0;
		if (device_status_check(v, err) == -1)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "status '%s': use %s", r->where, v,
			    DEVICE_STATUSES);
	} else if (strcmp(c, "cluster") == 0) {
		if (*v == '\0') {
			r->cluster_id = -1;
			return 0;
		}
		if (pool_cluster_find(st, v, &r->cluster_id, &r->own[k],
		    err) == -1)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "cluster '%s' is not registered", r->where, v);
		r->v[k] = r->own[k];
		return 0;
	} else if (strcmp(c, "ci_code") == 0 && *v == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: ci_code is "
		    "empty", r->where);
	free(r->own[k]);
	r->own[k] = xstrdup(v);
	r->v[k] = r->own[k];
	return 0;
}

static void
device_row_release(struct device_row *r)
{
	int k;

	for (k = 0; k < DEVICE_NCOL; k++)
		free(r->own[k]);
	memset(r, 0, sizeof *r);
}

/* Recomputes is_special, feature_count and app_name of device id. */
static int
device_compute(struct store *st, long long id, struct es_err *err)
{
	cJSON *row;
	const char *role, *grp, *app, *p, *e;
	char one[128], seen[1024] = ",";
	char appname[512];
	int special = 0, features = 0, rc;

	if (store_query_row_json(st, err, &row, "SELECT role, \"group\" AS "
	    "grp, appid FROM device WHERE id = ?", "i", id) == -1)
		return -1;
	role = kube_str(row, "role");
	grp = kube_str(row, "grp");
	app = kube_str(row, "appid");
	for (p = role ? role : ""; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		while (p < e && *p == ' ')
			p++;
		snprintf(one, sizeof one, "%.*s", (int)(e - p), p);
		one[strcspn(one, " ")] = '\0';
		if (one[0] == '\0')
			continue;
		{
			char key[140];

			snprintf(key, sizeof key, ",%s,", one);
			if (strstr(seen, key) != NULL)
				continue;
			if (strlen(seen) + strlen(one) + 2 < sizeof seen)
				snprintf(seen + strlen(seen), sizeof seen -
				    strlen(seen), "%s,", one);
		}
		features++;
		if (strcmp(one, "worker") != 0 && strcmp(one, "general") != 0)
			special = 1;
	}
	if (grp != NULL && *grp && app != NULL && *app)
		snprintf(appname, sizeof appname, "%s/%s", grp, app);
	else
		snprintf(appname, sizeof appname, "%s", grp && *grp ? grp :
		    app ? app : "");
	rc = store_exec(st, err, "UPDATE device SET is_special = ?, "
	    "feature_count = ?, app_name = ? WHERE id = ?", "iisi",
	    (long long)special, (long long)features, appname, id);
	cJSON_Delete(row);
	return rc == -1 ? -1 : 0;
}

/*
 * Writes one row (insert or update by ci_code); *what gets "created",
 * "updated" or "unchanged".  Nothing is written with dry_run.
 */
static int
device_write(struct store *st, const struct device_row *r, time_t now,
    int dry_run, const char **what, struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	cJSON *cur = NULL;
	const cJSON *it;
	long long id;
	int k, same = 1, rc;

	if (store_query_int(st, err, &id, 0, "SELECT id FROM device WHERE "
	    "deleted_at IS NULL AND ci_code = ? ORDER BY id LIMIT 1", "s",
	    r->v[0]) == -1)
		return -1;
	if (id > 0) {
		if (store_query_row_json(st, err, &cur, "SELECT * FROM device "
		    "WHERE id = ?", "i", id) == -1)
			return -1;
		for (k = 1; k < DEVICE_NCOL && same; k++) {
			if (r->v[k] == NULL)
				continue;
			if (strcmp(device_columns[k], "cluster") == 0) {
				same = kube_num(cur, "cluster_id", -1) ==
				    (double)r->cluster_id;
				continue;
			}
			it = cJSON_GetObjectItem(cur, device_columns[k]);
			if (cJSON_IsNumber(it))
				same = *r->v[k] != '\0' &&
				    strtod(r->v[k], NULL) == it->valuedouble;
			else
				same = cJSON_IsString(it) &&
				    strcmp(it->valuestring, r->v[k]) == 0;
		}
		cJSON_Delete(cur);
		if (same) {
			*what = "unchanged";
			return 0;
		}
	}
	*what = id > 0 ? "updated" : "created";
	if (dry_run)
		return 0;
	util_time_format(now, at);
	/* every parameter NULL ("n"), then the given ones bound below */
	stmt = store_prepare(st, err, id > 0 ? device_update_sql :
	    device_insert_sql, id > 0 ? "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" :
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, at, -1, SQLITE_TRANSIENT);
	for (k = 0; k < DEVICE_NCOL; k++)
		if (r->v[k] != NULL && !(*r->v[k] == '\0' &&
		    (strcmp(device_columns[k], "cpu") == 0 ||
		    strcmp(device_columns[k], "memory") == 0 ||
		    strcmp(device_columns[k], "disk_count") == 0 ||
		    strcmp(device_columns[k], "is_localization") == 0 ||
		    strcmp(device_columns[k], "status") == 0)))
			sqlite3_bind_text(stmt, k + 2, r->v[k], -1,
			    SQLITE_TRANSIENT);
	if (r->cluster_id > 0)
		sqlite3_bind_int64(stmt, DEVICE_NCOL + 2, r->cluster_id);
	if (id > 0)
		sqlite3_bind_int64(stmt, DEVICE_NCOL + 3, id);
	rc = store_step(st, stmt, err);
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	if (id == 0)
		id = store_last_insert_id(st);
	return device_compute(st, id, err);
}

/* Adds a rejected row to res (and, unless skipping, to the error). */
static void
device_reject(struct device_import_result *res, const char *where,
    const char *ci, const char *msg)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "line", where);
	if (ci != NULL)
		cJSON_AddStringToObject(e, "ci_code", ci);
	else
		cJSON_AddNullToObject(e, "ci_code");
	cJSON_AddStringToObject(e, "error", msg);
	cJSON_AddItemToArray(res->errors, e);
	res->rejected++;
}

int
device_import(struct store *st, const char *buf, size_t len,
    const char *name, int skip_invalid, int dry_run, time_t now,
    struct device_import_result *res, struct es_err *err)
{
	struct device_row *rows = NULL;
	struct es_err e2;
	cJSON *json = NULL, *seen = cJSON_CreateObject();
	const cJSON *o, *f;
	const char *p = buf, *end = buf + len, *what;
	struct csv_reader cr;
	struct csv_record hdr = CSV_RECORD_INIT, rec = CSV_RECORD_INIT;
	char num[64];
	size_t i, nrows = 0, alloc = 0;
	int *map = NULL, k, computed, rc = -1, bad, isjson;

	memset(res, 0, sizeof *res);
	res->errors = cJSON_CreateArray();
	while (p < end && isspace((unsigned char)*p))
		p++;
	isjson = p < end && *p == '[';
	if (isjson) {
		if ((json = cJSON_ParseWithLength(buf, len)) == NULL) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: not valid "
			    "JSON", name);
			goto out;
		}
		nrows = (size_t)cJSON_GetArraySize(json);
		rows = xcalloc(nrows ? nrows : 1, sizeof *rows);
		i = 0;
		cJSON_ArrayForEach(o, json) {
			struct device_row *r = &rows[i];

			r->cluster_id = -1;
			snprintf(r->where, sizeof r->where, "%s[%zu]", name, i);
			i++;
			if (!cJSON_IsObject(o)) {
				snprintf(num, sizeof num, "not an object");
				goto json_bad;
			}
			cJSON_ArrayForEach(f, o) {
				k = device_column(f->string, &computed);
				if (k < 0) {
					es_err_set(&e2, ES_EUSAGE, "Invalid",
					    "%s: %s column '%s'", r->where,
					    computed ? "read-only (computed) "
					    : "unknown", f->string);
					goto json_bad2;
				}
				if (cJSON_IsString(f))
					bad = device_value(st, r, k,
					    f->valuestring, &e2);
				else if (cJSON_IsNumber(f) || cJSON_IsBool(f)) {
					if (cJSON_IsBool(f))
						snprintf(num, sizeof num, "%s",
						    cJSON_IsTrue(f) ? "true" :
						    "false");
					else
						snprintf(num, sizeof num,
						    "%.17g", f->valuedouble);
					bad = device_value(st, r, k, num, &e2);
				} else if (cJSON_IsNull(f))
					bad = 0;
				else {
					es_err_set(&e2, ES_EUSAGE, "Invalid",
					    "%s: %s is not a string or number",
					    r->where, f->string);
					bad = -1;
				}
				if (bad == -1)
					goto json_bad2;
			}
			continue;
json_bad:
			es_err_set(&e2, ES_EUSAGE, "Invalid", "%s: %s",
			    r->where, num);
json_bad2:
			device_reject(res, r->where, NULL, e2.msg);
			r->where[0] = '\0';	/* rejected */
		}
	} else {
		csv_init(&cr, buf, len);
		rc = csv_next(&cr, &hdr);
		if (rc <= 0) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: %s", name,
			    rc == 0 ? "empty: no header row" :
			    "unterminated quote in the header");
			rc = -1;
			goto out;
		}
		map = xcalloc(hdr.n, sizeof *map);
		for (i = 0; i < hdr.n; i++) {
			map[i] = device_column(hdr.fields[i], &computed);
			if (map[i] < 0) {
				es_err_set(err, ES_EUSAGE, "Invalid", "%s:1: "
				    "%s column '%s'", name, computed ?
				    "read-only (computed)" : "unknown",
				    hdr.fields[i]);
				rc = -1;
				goto out;
			}
		}
		for (;;) {
			rc = csv_next(&cr, &rec);
			if (rc == 0)
				break;
			if (nrows == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				rows = xreallocarray(rows, alloc,
				    sizeof *rows);
			}
			memset(&rows[nrows], 0, sizeof *rows);
			rows[nrows].cluster_id = -1;
			snprintf(rows[nrows].where, sizeof rows[nrows].where,
			    "%s:%u", name, rec.line);
			if (rc == -1) {
				es_err_set(&e2, ES_EUSAGE, "Invalid", "%s: "
				    "unterminated quote", rows[nrows].where);
				device_reject(res, rows[nrows].where, NULL,
				    e2.msg);
				rows[nrows++].where[0] = '\0';
				break;
			}
			bad = 0;
			if (rec.n != hdr.n) {
				es_err_set(&e2, ES_EUSAGE, "Invalid", "%s: %zu "
				    "fields, the header has %zu",
				    rows[nrows].where, rec.n, hdr.n);
				bad = -1;
			}
			for (i = 0; i < rec.n && i < hdr.n && bad == 0; i++)
				bad = device_value(st, &rows[nrows], map[i],
				    rec.fields[i], &e2);
			if (bad == -1) {
				device_reject(res, rows[nrows].where,
				    rec.n > 0 ? rec.fields[0] : NULL, e2.msg);
				rows[nrows].where[0] = '\0';
			}
			nrows++;
		}
	}
	/* ci_code required and unique within the file */
	for (i = 0; i < nrows; i++) {
		struct device_row *r = &rows[i];
		const cJSON *prev;

		if (r->where[0] == '\0')
			continue;
		if (r->v[0] == NULL) {
			es_err_set(&e2, ES_EUSAGE, "Invalid", "%s: no ci_code",
			    r->where);
			device_reject(res, r->where, NULL, e2.msg);
			r->where[0] = '\0';
			continue;
		}
		if ((prev = cJSON_GetObjectItemCaseSensitive(seen,
		    r->v[0])) != NULL) {
			es_err_set(&e2, ES_EUSAGE, "Invalid", "%s: ci_code "
			    "'%s' again (first at %s)", r->where, r->v[0],
			    prev->valuestring);
			device_reject(res, r->where, r->v[0], e2.msg);
			r->where[0] = '\0';
			continue;
		}
		cJSON_AddStringToObject(seen, r->v[0], r->where);
	}
	if (res->rejected > 0 && !skip_invalid) {
		struct es_buf b = ES_BUF_INIT;

		cJSON_ArrayForEach(o, res->errors)
			es_buf_addf(&b, "%s%s", b.len ? "; " : "",
			    cJSON_GetStringValue(cJSON_GetObjectItem(o,
			    "error")));
		es_err_set(err, ES_EUSAGE, "Invalid", "%s (nothing imported)",
		    b.data);
		es_buf_release(&b);
		rc = -1;
		goto out;
	}
	if (!dry_run && store_begin(st, err) == -1) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i].where[0] == '\0')
			continue;
		if (device_write(st, &rows[i], now, dry_run, &what,
		    err) == -1) {
			es_err_prefix(err, "%s", rows[i].where);
			if (!dry_run)
				store_rollback(st);
			rc = -1;
			goto out;
		}
		if (strcmp(what, "created") == 0)
			res->created++;
		else if (strcmp(what, "updated") == 0)
			res->updated++;
		else
			res->unchanged++;
	}
	rc = dry_run ? 0 : store_commit(st, err);
out:
	for (i = 0; i < nrows; i++)
		device_row_release(&rows[i]);
	free(rows);
	free(map);
	csv_record_release(&hdr);
	csv_record_release(&rec);
	cJSON_Delete(json);
	cJSON_Delete(seen);
	return rc;
}

int
device_list(struct store *st, const struct device_filter *f, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT id, ci_code, ip, "
	    "status, cluster, cluster_id, role, idc, room, cabinet, cpu, "
	    "memory, arch_type, os_name, os_kernel, is_special AS "
	    "is_special__bool, feature_count, app_name, \"group\", appid, "
	    "model, pool_entry_time, created_at, updated_at FROM device "
	    "WHERE deleted_at IS NULL AND (?1 < 0 OR cluster_id = ?1) AND "
	    "(?2 IS NULL OR status = ?2) AND (?3 IS NULL OR idc = ?3) AND "
	    "(?4 < 0 OR is_special = ?4) AND (?5 = 0 OR status = "
	    "'available') ORDER BY id", "issii", f->cluster_id, f->status,
	    f->idc, (long long)f->special, (long long)f->available);
}

int
device_get(struct store *st, long long id, cJSON **out, struct es_err *err)
{
	if (store_query_row_json(st, err, out, "SELECT * FROM device WHERE "
	    "id = ? AND deleted_at IS NULL", "i", id) == -1)
		return -1;
	if (*out == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "device %lld "
		    "not found", id);
	return 0;
}

int
device_update(struct store *st, long long id, const struct device_set *sets,
    int n, time_t now, struct es_err *err)
{
	struct device_row r;
	const char *what;
	cJSON *cur;
	int i, k, computed, rc = -1;

	memset(&r, 0, sizeof r);
	r.cluster_id = -1;
	snprintf(r.where, sizeof r.where, "device %lld", id);
	if (device_get(st, id, &cur, err) == -1)
		return -1;
	r.own[0] = xstrdup(kube_str(cur, "ci_code"));
	r.v[0] = r.own[0];
	cJSON_Delete(cur);
	for (i = 0; i < n; i++) {
		k = device_column(sets[i].column, &computed);
		if (k <= 0) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s column '%s' "
			    "cannot be set", k == 0 ? "the key" : computed ?
			    "the read-only (computed)" : "unknown",
			    sets[i].column);
			goto out;
		}
		if (device_value(st, &r, k, sets[i].value, err) == -1)
			goto out;
	}
	if (store_begin(st, err) == -1)
		goto out;
	if (device_write(st, &r, now, 0, &what, err) == -1) {
		store_rollback(st);
		goto out;
	}
	rc = store_commit(st, err);
out:
	device_row_release(&r);
	return rc;
}

int
device_remove(struct store *st, long long id, time_t now,
    struct es_err *err)
{
	char at[UTIL_TIME_LEN];
	cJSON *o;
	int rc;

	if (device_get(st, id, &o, err) == -1)
		return -1;
	cJSON_Delete(o);
	if (store_query_row_json(st, err, &o, "SELECT e.order_number, "
	    "e.status FROM order_device od JOIN elastic_scaling_order e ON "
	    "e.id = od.order_id WHERE od.device_id = ? AND e.status IN "
	    "('pending', 'processing') LIMIT 1", "i", id) == -1)
		return -1;
	if (o != NULL) {
		es_err_set(err, ES_ECONFLICT, "InUse", "device %lld is in "
		    "order %s (%s)", id, kube_str(o, "order_number"),
		    kube_str(o, "status"));
		cJSON_Delete(o);
		return -1;
	}
	util_time_format(now, at);
	rc = store_exec(st, err, "UPDATE device SET deleted_at = ?, "
	    "updated_at = ? WHERE id = ? AND deleted_at IS NULL", "ssi", at,
	    at, id);
	return rc == -1 ? -1 : 0;
}

int
device_sync(struct store *st, struct kube_client *kc, long long cluster_id,
    int dry_run, time_t now, cJSON **out, struct es_err *err)
{
	struct kube_ref r;
	char at[UTIL_TIME_LEN];
	cJSON *nodes = NULL, *res, *matched, *un, *devs = NULL, *rel, *m;
	cJSON *seen = cJSON_CreateObject(), *unm, *one;
	const cJSON *n, *d;
	const char *name, *cur, *want;
	long long dev;
	int rc = -1, began = 0;

	*out = NULL;
	util_time_format(now, at);
	if (kube_ref_init(&r, "nodes", NULL, NULL, err) == -1 ||
	    kube_list(kc, &r, NULL, &nodes, err) == -1)
		goto out;
	res = cJSON_CreateObject();
	*out = res;
	matched = cJSON_AddArrayToObject(res, "matched");
	un = cJSON_AddArrayToObject(res, "unmatched_nodes");
	unm = cJSON_AddArrayToObject(res, "unmatched_devices");
	rel = cJSON_AddArrayToObject(res, "released");
	if (!dry_run) {
		if (store_begin(st, err) == -1)
			goto out;
		began = 1;
	}
	cJSON_ArrayForEach(n, kube_item(nodes, "items")) {
		name = kube_str(n, "metadata.name");
		if (device_for_node(st, -1, n, &dev, err) == -1)
			goto out;
		if (dev == 0) {
			cJSON_AddItemToArray(un, cJSON_CreateString(name));
			continue;
		}
		if (store_query_row_json(st, err, &m, "SELECT ci_code, status "
		    "FROM device WHERE id = ?", "i", dev) == -1)
			goto out;
		cur = kube_str(m, "status");
		want = !node_is_ready(n) ? "offline" : node_is_cordoned(n) ?
		    "cordoned" : "in_pool";
		if (strcmp(cur, "maintenance") == 0 ||
		    strcmp(cur, "removing") == 0)
			want = cur;
		cJSON_AddItemToObject(seen, kube_str(m, "ci_code"),
		    cJSON_CreateTrue());
		if (!dry_run && (store_exec(st, err, "UPDATE device SET "
		    "os_name = coalesce(?, os_name), os_issue = coalesce(?, "
		    "os_issue), os_kernel = coalesce(?, os_kernel), "
		    "arch_type = coalesce(?, arch_type), updated_at = ? "
		    "WHERE id = ?",
		    "sssssi", kube_str(n, "status.nodeInfo.operatingSystem"),
		    kube_str(n, "status.nodeInfo.osImage"),
		    kube_str(n, "status.nodeInfo.kernelVersion"),
		    kube_str(n, "status.nodeInfo.architecture"), at,
		    dev) == -1 || device_set_status(st, dev, want, cluster_id,
		    now, err) == -1)) {
			cJSON_Delete(m);
			goto out;
		}
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "node", name);
		cJSON_AddStringToObject(one, "ci_code", kube_str(m, "ci_code"));
		cJSON_AddStringToObject(one, "status", want);
		cJSON_AddItemToArray(matched, one);
		cJSON_Delete(m);
	}
	if (store_query_json(st, err, &devs, "SELECT id, ci_code, status FROM "
	    "device WHERE deleted_at IS NULL AND cluster_id = ? ORDER BY id",
	    "i", cluster_id) == -1)
		goto out;
	cJSON_ArrayForEach(d, devs) {
		if (cJSON_GetObjectItemCaseSensitive(seen, kube_str(d,
		    "ci_code")) != NULL)
			continue;
		cJSON_AddItemToArray(unm, cJSON_CreateString(kube_str(d,
		    "ci_code")));
		cur = kube_str(d, "status");
		if (strcmp(cur, "maintenance") == 0 ||
		    strcmp(cur, "removing") == 0)
			continue;
		cJSON_AddItemToArray(rel, cJSON_CreateString(kube_str(d,
		    "ci_code")));
		if (!dry_run && device_set_status(st, (long long)kube_num(d,
		    "id", 0), "available", -1, now, err) == -1)
			goto out;
	}
	rc = began ? store_commit(st, err) : 0;
	began = 0;
out:
	if (began)
		store_rollback(st);
	if (rc == -1) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	cJSON_Delete(seen);
	cJSON_Delete(devs);
	cJSON_Delete(nodes);
	return rc;
}
