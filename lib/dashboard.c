/*
 * dashboard.c - the work-bench document (see dashboard.h): read-only
 * queries over strategies, clusters, devices, orders and snapshots.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dashboard.h"
#include "order.h"
#include "strategy.h"
#include "util.h"

static int	 dashboard_cards(struct store *, const struct dashboard_opts *,
		    const char *, cJSON *, struct es_err *);
static int	 dashboard_pending(struct store *,
		    const struct dashboard_opts *, cJSON *, struct es_err *);
static int	 dashboard_trends(struct store *,
		    const struct dashboard_opts *, long long, cJSON *,
		    struct es_err *);
static int	 dashboard_thresholds(struct store *,
		    const struct dashboard_opts *, cJSON *, struct es_err *);
static int	 dashboard_orders(struct store *,
		    const struct dashboard_opts *, time_t, cJSON *,
		    struct es_err *);
static cJSON	*dashboard_num(double);

static const struct {
	const char	*word;
	long long	 secs;
} dashboard_ranges[] = {
	{ "24h", 24 * 3600LL },
	{ "7d", 7 * 24 * 3600LL },
	{ "30d", 30 * 24 * 3600LL },
};

/* The seed's five statuses are always listed, others when present. */
static const char *const dashboard_statuses[] = { "pending", "processing",
    "completed", "failed", "cancelled", NULL };

int
dashboard_range_parse(const char *range, long long *secs,
    struct es_err *err)
{
	size_t i;

	for (i = 0; i < sizeof dashboard_ranges / sizeof dashboard_ranges[0];
	    i++)
		if (strcmp(range, dashboard_ranges[i].word) == 0) {
			*secs = dashboard_ranges[i].secs;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid range '%s': use "
	    "24h, 7d or 30d", range);
}

/* A JSON number, or null for NAN. */
static cJSON *
dashboard_num(double d)
{
	if (isnan(d))
		return cJSON_CreateNull();
	/* one decimal is what every view shows; keep JSON equally tidy */
	return cJSON_CreateNumber(round(d * 100.0) / 100.0);
}

/* The four stat cards. */
static int
dashboard_cards(struct store *st, const struct dashboard_opts *o,
    const char *today, cJSON *doc, struct es_err *err)
{
	cJSON *cards, *c, *rows, *row, *warn;
	long long n;
	const char *name, *status;
	char text[256];

	cards = cJSON_AddObjectToObject(doc, "cards");

	c = cJSON_AddObjectToObject(cards, "strategies");
	if (store_query_int(st, err, &n, 0, "SELECT count(*) FROM "
	    "elastic_scaling_strategy s WHERE (?1 < 0 OR EXISTS (SELECT 1 "
	    "FROM strategy_cluster_association a WHERE a.strategy_id = s.id "
	    "AND a.cluster_id = ?1))", "i", o->cluster_id) == -1)
		return -1;
	cJSON_AddNumberToObject(c, "total", (double)n);
	if (store_query_int(st, err, &n, 0, "SELECT count(*) FROM "
	    "elastic_scaling_strategy s WHERE s.status = 'enabled' AND "
	    "(?1 < 0 OR EXISTS (SELECT 1 FROM strategy_cluster_association a "
	    "WHERE a.strategy_id = s.id AND a.cluster_id = ?1))", "i",
	    o->cluster_id) == -1)
		return -1;
	cJSON_AddNumberToObject(c, "enabled", (double)n);
	if (store_query_int(st, err, &n, 0, "SELECT count(DISTINCT "
	    "strategy_id) FROM strategy_execution_history WHERE result = "
	    "'order_created' AND execution_time >= ?1 AND (?2 < 0 OR "
	    "cluster_id = ?2)", "si", today, o->cluster_id) == -1)
		return -1;
	cJSON_AddNumberToObject(c, "triggered_today", (double)n);

	/* clusters: the status, then the latest snapshot from Kubernetes */
	c = cJSON_AddObjectToObject(cards, "clusters");
	if (store_query_json(st, err, &rows, "SELECT c.clustername AS name, "
	    "c.status, CASE WHEN s.source = 'kube' THEN s.node_count - "
	    "s.ready_node_count END AS not_ready, s.node_count AS nodes FROM "
	    "k8s_cluster c LEFT JOIN k8s_cluster_resource_snapshot s ON s.id "
	    "= (SELECT x.id FROM k8s_cluster_resource_snapshot x WHERE "
	    "x.cluster_id = c.id AND x.deleted_at IS NULL AND "
	    "x.resource_type = 'cluster' ORDER BY x.collected_at DESC LIMIT "
	    "1) WHERE c.deleted_at IS NULL AND (?1 < 0 OR c.id = ?1) ORDER BY "
	    "c.clustername", "i", o->cluster_id) == -1)
		return -1;
	warn = cJSON_CreateArray();
	n = 0;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *nr = cJSON_GetObjectItem(row, "not_ready");
		int bad = 0;

		name = cJSON_GetStringValue(cJSON_GetObjectItem(row, "name"));
		status = cJSON_GetStringValue(cJSON_GetObjectItem(row,
		    "status"));
		if (status != NULL && *status != '\0' &&
		    strcmp(status, "running") != 0) {
			snprintf(text, sizeof text, "cluster '%s' is %s", name,
			    status);
			cJSON_AddItemToArray(warn, cJSON_CreateString(text));
			bad = 1;
		}
		if (cJSON_IsNumber(nr) && nr->valuedouble > 0) {
			snprintf(text, sizeof text, "cluster '%s': %.0f of "
			    "%.0f nodes not ready", name, nr->valuedouble,
			    cJSON_GetNumberValue(cJSON_GetObjectItem(row,
			    "nodes")));
			cJSON_AddItemToArray(warn, cJSON_CreateString(text));
			bad = 1;
		}
		n += bad;
	}
	cJSON_AddNumberToObject(c, "total",
	    (double)cJSON_GetArraySize(rows));
	cJSON_AddNumberToObject(c, "abnormal", (double)n);
	cJSON_AddItemToObject(c, "warnings", warn);
	cJSON_Delete(rows);

	c = cJSON_AddObjectToObject(cards, "pending_orders");
	if (store_query_row_json(st, err, &row, "SELECT count(*) AS total, "
	    "coalesce(sum(action_type = 'pool_entry'), 0) AS pool_entry, "
	    "coalesce(sum(action_type = 'pool_exit'), 0) AS pool_exit FROM "
	    "elastic_scaling_order WHERE status = 'pending' AND (?1 < 0 OR "
	    "cluster_id = ?1)", "i", o->cluster_id) == -1)
		return -1;
	cJSON_AddNumberToObject(c, "total", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "total")));
	cJSON_AddNumberToObject(c, "pool_entry", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "pool_entry")));
	cJSON_AddNumberToObject(c, "pool_exit", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "pool_exit")));
	cJSON_Delete(row);

	/* available devices belong to no cluster: always counted for all */
	c = cJSON_AddObjectToObject(cards, "devices");
	if (store_query_row_json(st, err, &row, "SELECT "
	    "coalesce(sum(?1 < 0 OR cluster_id = ?1), 0) AS total, "
	    "coalesce(sum(status = 'available'), 0) AS available, "
	    "coalesce(sum(status = 'in_pool' AND (?1 < 0 OR cluster_id = ?1)),"
	    " 0) AS in_pool FROM device WHERE deleted_at IS NULL", "i",
	    o->cluster_id) == -1)
		return -1;
	cJSON_AddNumberToObject(c, "total", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "total")));
	cJSON_AddNumberToObject(c, "available", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "available")));
	cJSON_AddNumberToObject(c, "in_pool", cJSON_GetNumberValue(
	    cJSON_GetObjectItem(row, "in_pool")));
	cJSON_Delete(row);
	return 0;
}

/* Pending orders, oldest first (the queue), with their cluster's usage. */
static int
dashboard_pending(struct store *st, const struct dashboard_opts *o,
    cJSON *doc, struct es_err *err)
{
	struct order_filter f;
	cJSON *list, *out, *row, *snap, *v;
	static const char *const keys[][2] = {
		{ "max_cpu", "cpu_usage" },
		{ "max_memory", "mem_usage" },
		{ "cpu_allocation_ratio", "cpu_allocation" },
		{ "mem_allocation_ratio", "mem_allocation" },
		{ "collected_at", "snapshot_at" },
	};
	size_t i;
	int n;

	memset(&f, 0, sizeof f);
	f.status = "pending";
	f.cluster_id = o->cluster_id;
	if (order_list(st, &f, &list, err) == -1)
		return -1;
	out = cJSON_AddArrayToObject(doc, "pending_orders");
	/* order_list is newest first; the queue reads oldest first */
	for (n = cJSON_GetArraySize(list) - 1; n >= 0; n--) {
		row = cJSON_DetachItemFromArray(list, n);
		cJSON_AddItemToArray(out, row);
		v = cJSON_GetObjectItem(row, "cluster_id");
		snap = NULL;
		if (cJSON_IsNumber(v) && store_query_row_json(st, err, &snap,
		    "SELECT max_cpu, max_memory, cpu_allocation_ratio, "
		    "mem_allocation_ratio, collected_at FROM "
		    "k8s_cluster_resource_snapshot WHERE cluster_id = ? AND "
		    "deleted_at IS NULL AND resource_type = 'cluster' ORDER BY "
		    "collected_at DESC LIMIT 1", "i",
		    (long long)v->valuedouble) == -1) {
			cJSON_Delete(list);
			return -1;
		}
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			v = snap ? cJSON_GetObjectItem(snap, keys[i][0]) :
			    NULL;
			if (cJSON_IsNumber(v))
				cJSON_AddItemToObject(row, keys[i][1],
				    dashboard_num(v->valuedouble));
			else if (cJSON_IsString(v))
				cJSON_AddStringToObject(row, keys[i][1],
				    v->valuestring);
			else
				cJSON_AddNullToObject(row, keys[i][1]);
		}
		cJSON_Delete(snap);
	}
	cJSON_Delete(list);
	return 0;
}

/* The thresholds of the enabled strategies watching the cluster(s). */
static int
dashboard_thresholds(struct store *st, const struct dashboard_opts *o,
    cJSON *trends, struct es_err *err)
{
	struct strategy_filter f;
	cJSON *list, *row, *th, *cpu, *mem, *t;
	const cJSON *v;

	memset(&f, 0, sizeof f);
	f.status = "enabled";
	f.cluster_id = o->cluster_id;
	if (strategy_list(st, &f, &list, err) == -1)
		return -1;
	th = cJSON_AddObjectToObject(trends, "thresholds");
	cpu = cJSON_AddArrayToObject(th, "cpu");
	mem = cJSON_AddArrayToObject(th, "memory");
	cJSON_ArrayForEach(row, list) {
		static const char *const m[][3] = {
			{ "cpu_threshold_value", "cpu_threshold_type", "c" },
			{ "memory_threshold_value", "memory_threshold_type",
			    "m" },
		};
		size_t i;

		for (i = 0; i < 2; i++) {
			v = cJSON_GetObjectItem(row, m[i][0]);
			if (!cJSON_IsNumber(v))
				continue;
			t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "strategy",
			    cJSON_GetStringValue(cJSON_GetObjectItem(row,
			    "name")));
			cJSON_AddStringToObject(t, "action",
			    cJSON_GetStringValue(cJSON_GetObjectItem(row,
			    "threshold_trigger_action")));
			cJSON_AddStringToObject(t, "type",
			    cJSON_GetStringValue(cJSON_GetObjectItem(row,
			    m[i][1])));
			cJSON_AddNumberToObject(t, "value", v->valuedouble);
			cJSON_AddItemToArray(*m[i][2] == 'c' ? cpu : mem, t);
		}
	}
	cJSON_Delete(list);
	return 0;
}

/*
 * Usage and allocation per bucket: each cluster's peak in the bucket,
 * then the allocatable-weighted mean over clusters (dashboard.h).
 */
#define DASHBOARD_WMEAN(x, w) \
	"coalesce(sum(" x " * " w ") / nullif(sum(CASE WHEN " x " IS NOT " \
	"NULL THEN " w " END), 0), avg(" x "))"

static int
dashboard_trends(struct store *st, const struct dashboard_opts *o,
    long long range, cJSON *doc, struct es_err *err)
{
	char since_s[UTIL_TIME_LEN], now_s[UTIL_TIME_LEN];
	cJSON *trends, *pts, *pt;
	sqlite3_stmt *stmt;
	long long step, b, next = 0;
	time_t since;
	int rc, i;
	static const char *const names[] = { "cpu_usage", "cpu_allocation",
	    "mem_usage", "mem_allocation" };

	step = range / DASHBOARD_POINTS;
	since = o->now - range;
	util_time_format(since, since_s);
	util_time_format(o->now, now_s);
	trends = cJSON_AddObjectToObject(doc, "trends");
	cJSON_AddNumberToObject(trends, "step_seconds", (double)step);
	pts = cJSON_AddArrayToObject(trends, "points");
	stmt = store_prepare(st, err, "SELECT b, "
	    DASHBOARD_WMEAN("cu", "wc") ", " DASHBOARD_WMEAN("ca", "wc") ", "
	    DASHBOARD_WMEAN("mu", "wm") ", " DASHBOARD_WMEAN("ma", "wm")
	    " FROM (SELECT cluster_id, min((CAST(strftime('%s', collected_at) "
	    "AS INTEGER) - ?1) / ?2, ?3 - 1) AS b, max(max_cpu) AS cu, "
	    "max(cpu_allocation_ratio) AS ca, max(max_memory) AS mu, "
	    "max(mem_allocation_ratio) AS ma, max(cpu_allocatable) AS wc, "
	    "max(mem_allocatable) AS wm FROM k8s_cluster_resource_snapshot "
	    "WHERE deleted_at IS NULL AND resource_type = 'cluster' AND "
	    "collected_at >= ?4 AND collected_at <= ?5 AND (?6 < 0 OR "
	    "cluster_id = ?6) AND cluster_id IN (SELECT id FROM k8s_cluster "
	    "WHERE deleted_at IS NULL) GROUP BY cluster_id, b) GROUP BY b "
	    "ORDER BY b", "iiissi", (long long)since, step,
	    (long long)DASHBOARD_POINTS, since_s, now_s, o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		b = sqlite3_column_int64(stmt, 0);
		if (b < 0 || b >= DASHBOARD_POINTS)
			continue;
		for (; next <= b; next++) {
			char t[UTIL_TIME_LEN];

			pt = cJSON_CreateObject();
			util_time_format(since + (time_t)(next * step), t);
			cJSON_AddStringToObject(pt, "time", t);
			for (i = 0; i < 4; i++)
				cJSON_AddItemToObject(pt, names[i], next == b &&
				    sqlite3_column_type(stmt, i + 1) !=
				    SQLITE_NULL ? dashboard_num(
				    sqlite3_column_double(stmt, i + 1)) :
				    cJSON_CreateNull());
			cJSON_AddItemToArray(pts, pt);
		}
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	for (; next < DASHBOARD_POINTS; next++) {
		char t[UTIL_TIME_LEN];

		pt = cJSON_CreateObject();
		util_time_format(since + (time_t)(next * step), t);
		cJSON_AddStringToObject(pt, "time", t);
		for (i = 0; i < 4; i++)
			cJSON_AddNullToObject(pt, names[i]);
		cJSON_AddItemToArray(pts, pt);
	}
	return dashboard_thresholds(st, o, trends, err);
}

/* Order-status counts and the historical orders of the range. */
static int
dashboard_orders(struct store *st, const struct dashboard_opts *o,
    time_t since, cJSON *doc, struct es_err *err)
{
	struct order_filter f;
	char since_s[UTIL_TIME_LEN];
	cJSON *counts, *list;
	sqlite3_stmt *stmt;
	long long total = 0;
	int i, rc;

	util_time_format(since, since_s);
	counts = cJSON_AddObjectToObject(doc, "order_status");
	for (i = 0; dashboard_statuses[i] != NULL; i++)
		cJSON_AddNumberToObject(counts, dashboard_statuses[i], 0);
	stmt = store_prepare(st, err, "SELECT status, count(*) FROM "
	    "elastic_scaling_order WHERE created_at >= ?1 AND (?2 < 0 OR "
	    "cluster_id = ?2) GROUP BY status ORDER BY status", "si", since_s,
	    o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		const char *s = (const char *)sqlite3_column_text(stmt, 0);
		long long n = sqlite3_column_int64(stmt, 1);

		total += n;
		if (cJSON_GetObjectItem(counts, s) != NULL)
			cJSON_SetNumberValue(cJSON_GetObjectItem(counts, s),
			    (double)n);
		else
			cJSON_AddNumberToObject(counts, s, (double)n);
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	cJSON_AddNumberToObject(doc, "orders_total", (double)total);

	memset(&f, 0, sizeof f);
	f.cluster_id = o->cluster_id;
	f.since = since;
	f.limit = DASHBOARD_HISTORY_MAX;
	if (order_list(st, &f, &list, err) == -1)
		return -1;
	cJSON_AddItemToObject(doc, "orders", list);
	return 0;
}

int
dashboard_gather(struct store *st, const struct dashboard_opts *o,
    cJSON **out, struct es_err *err)
{
	struct strategy_filter sf;
	char now_s[UTIL_TIME_LEN], since_s[UTIL_TIME_LEN], today[16];
	cJSON *doc, *list, *name;
	long long range;
	struct tm tm;
	time_t since;

	*out = NULL;
	if (dashboard_range_parse(o->range, &range, err) == -1)
		return -1;
	since = o->now - (time_t)range;
	util_time_format(o->now, now_s);
	util_time_format(since, since_s);
	gmtime_r(&o->now, &tm);
	/* a bare date sorts before every time of that day */
	strftime(today, sizeof today, "%Y-%m-%d", &tm);

	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "generated_at", now_s);
	cJSON_AddStringToObject(doc, "range", o->range);
	cJSON_AddStringToObject(doc, "since", since_s);
	if (o->cluster_id >= 0) {
		if (store_query_row_json(st, err, &name, "SELECT clustername "
		    "AS name FROM k8s_cluster WHERE id = ?", "i",
		    o->cluster_id) == -1)
			goto fail;
		cJSON_AddStringToObject(doc, "cluster", name ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(name, "name")) :
		    "");
		cJSON_Delete(name);
	} else
		cJSON_AddNullToObject(doc, "cluster");
	if (dashboard_cards(st, o, today, doc, err) == -1 ||
	    dashboard_pending(st, o, doc, err) == -1 ||
	    dashboard_trends(st, o, range, doc, err) == -1)
		goto fail;
	memset(&sf, 0, sizeof sf);
	sf.cluster_id = o->cluster_id;
	if (strategy_list(st, &sf, &list, err) == -1)
		goto fail;
	cJSON_AddItemToObject(doc, "strategies", list);
	if (dashboard_orders(st, o, since, doc, err) == -1)
		goto fail;
	*out = doc;
	return 0;
fail:
	cJSON_Delete(doc);
	return -1;
}
