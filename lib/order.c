/*
 * order.c - elastic scaling orders: numbers, lookup and listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "pool.h"
#include "util.h"

#define ORDER_COLUMNS \
	"o.id, o.order_number, o.cluster_id, c.clustername AS cluster_name, " \
	"o.strategy_id, s.name AS strategy_name, o.action_type, o.status, " \
	"o.device_count, o.approver, o.executor, o.execution_time, " \
	"o.created_by, o.created_at, o.updated_at, o.completion_time, " \
	"o.failure_reason, o.device_id, o.maintenance_start_time, " \
	"o.maintenance_end_time, o.external_ticket_id, o.parent_order_id " \
	"FROM elastic_scaling_order o " \
	"LEFT JOIN k8s_cluster c ON c.id = o.cluster_id " \
	"LEFT JOIN elastic_scaling_strategy s ON s.id = o.strategy_id "

void
order_number_format(time_t when, long long seq, char buf[ORDER_NUMBER_LEN])
{
	char day[16];
	struct tm tm;

	gmtime_r(&when, &tm);
	if (strftime(day, sizeof day, "%Y%m%d", &tm) == 0)
		day[0] = '\0';
	day[8] = '\0';			/* a year of four digits */
	snprintf(buf, ORDER_NUMBER_LEN, "ESO-%.8s-%06lld", day,
	    seq % 1000000000LL);
}

int
order_next_sequence(struct store *st, time_t when, long long *seq,
    struct es_err *err)
{
	char prefix[24], hi[24], num[ORDER_NUMBER_LEN];
	struct tm tm;
	sqlite3_stmt *stmt;
	const char *last, *errstr;
	long long n = 0, taken;
	int rc;

	gmtime_r(&when, &tm);
	strftime(prefix, sizeof prefix, "ESO-%Y%m%d-", &tm);
	/* '.' sorts right after '-': the range is exactly this day's */
	strftime(hi, sizeof hi, "ESO-%Y%m%d.", &tm);
	/* the highest six-digit number of the day, straight off the index */
	stmt = store_prepare(st, err, "SELECT order_number FROM "
	    "elastic_scaling_order WHERE order_number >= ? AND order_number < "
	    "? ORDER BY order_number DESC LIMIT 1", "ss", prefix, hi);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1) {
		last = (const char *)sqlite3_column_text(stmt, 0);
		n = util_strtonum(last + strlen(prefix), 0, 999999999LL,
		    &errstr);
		if (errstr != NULL)
			n = 0;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	/* past 999999 a day, seven digits sort before six: skip the taken */
	for (n++;; n++) {
		order_number_format(when, n, num);
		if (store_query_int(st, err, &taken, 0, "SELECT count(*) FROM "
		    "elastic_scaling_order WHERE order_number = ?", "s",
		    num) == -1)
			return -1;
		if (taken == 0)
			break;
	}
	*seq = n;
	return 0;
}

int
order_next_number(struct store *st, time_t when, char buf[ORDER_NUMBER_LEN],
    struct es_err *err)
{
	long long seq;

	if (order_next_sequence(st, when, &seq, err) == -1)
		return -1;
	order_number_format(when, seq, buf);
	return 0;
}

int
order_find(struct store *st, const char *ref, long long *id,
    struct es_err *err)
{
	long long v;

	if (store_query_int(st, err, &v, -1, "SELECT id FROM "
	    "elastic_scaling_order WHERE order_number = ?1 OR "
	    "CAST(id AS TEXT) = ?1 ORDER BY order_number = ?1 DESC LIMIT 1",
	    "s", ref) == -1)
		return -1;
	if (v < 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order '%s' "
		    "not found", ref);
	*id = v;
	return 0;
}

int
order_list(struct store *st, const struct order_filter *f, cJSON **out,
    struct es_err *err)
{
	char since[UTIL_TIME_LEN];

	util_time_format(f->since, since);
	return store_query_json(st, err, out, "SELECT " ORDER_COLUMNS
	    "WHERE (?1 IS NULL OR o.status = ?1) "
	    "AND (?2 IS NULL OR o.action_type = ?2) "
	    "AND (?3 < 0 OR o.cluster_id = ?3) "
	    "AND (?4 = 0 OR o.strategy_id = ?4) "
	    "AND (?5 = 0 OR o.created_at >= ?6) "
	    "ORDER BY o.created_at DESC, o.id DESC LIMIT ?7 OFFSET ?8",
	    "ssiiisii", f->status, f->action, f->cluster_id, f->strategy_id,
	    (long long)f->since, since, f->limit > 0 ? f->limit : -1LL,
	    f->offset);
}

int
order_show(struct store *st, long long id, cJSON **out, struct es_err *err)
{
	cJSON *o, *devices, *hist;

	if (store_query_row_json(st, err, &o, "SELECT " ORDER_COLUMNS
	    "WHERE o.id = ?", "i", id) == -1)
		return -1;
	if (o == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order %lld "
		    "not found", id);
	if (store_query_json(st, err, &devices, "SELECT od.device_id, "
	    "d.ci_code, d.ip, d.cpu, d.memory, od.status, od.failure_reason, "
	    "od.created_at, od.updated_at FROM order_device od "
	    "JOIN device d ON d.id = od.device_id WHERE od.order_id = ? "
	    "ORDER BY od.id", "i", id) == -1) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_AddItemToObject(o, "devices", devices);
	if (store_query_row_json(st, err, &hist, "SELECT execution_time, "
	    "triggered_value, threshold_value, reason FROM "
	    "strategy_execution_history WHERE order_id = ? AND result = "
	    "'order_created' ORDER BY id LIMIT 1", "i", id) == -1) {
		cJSON_Delete(o);
		return -1;
	}
	if (hist != NULL)
		cJSON_AddItemToObject(o, "trigger", hist);
	*out = o;
	return 0;
}
