/*
 * strategy.c - elastic scaling strategies: form rules, storage, listing
 * and execution history.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pool.h"
#include "strategy.h"
#include "util.h"

static const char *const strategy_actions[] = { "pool_entry", "pool_exit" };
static const char *const strategy_types[] = { "", "usage", "allocated" };
static const char *const strategy_logics[] = { "", "AND", "OR" };

static int	 strategy_write_clusters(struct store *,
		    const struct strategy *, struct es_err *);
static int	 strategy_valid_text(const char *, size_t);
static void	 strategy_add_condition(cJSON *);

/* The list query: every column, clusters as arrays. */
#define STRATEGY_SELECT \
	"SELECT s.id, s.name, s.description, s.threshold_trigger_action, " \
	"s.cpu_threshold_value, s.cpu_threshold_type, " \
	"s.memory_threshold_value, s.memory_threshold_type, " \
	"s.condition_logic, s.duration_minutes, s.cooldown_minutes, " \
	"s.device_count, s.node_selector AS node_selector__json, s.status, " \
	"s.created_by, s.created_at, s.updated_at, " \
	"(SELECT json_group_array(c.clustername) FROM (SELECT c.clustername " \
	"FROM strategy_cluster_association a JOIN k8s_cluster c ON " \
	"c.id = a.cluster_id WHERE a.strategy_id = s.id ORDER BY " \
	"c.clustername) c) AS clusters__json, " \
	"(SELECT json_group_array(a.cluster_id) FROM (SELECT a.cluster_id " \
	"FROM strategy_cluster_association a WHERE a.strategy_id = s.id " \
	"ORDER BY a.cluster_id) a) AS cluster_ids__json " \
	"FROM elastic_scaling_strategy s "

#define STRATEGY_WHERE \
	"WHERE (?1 IS NULL OR instr(lower(s.name), lower(?1)) > 0) " \
	"AND (?2 IS NULL OR s.status = ?2) " \
	"AND (?3 IS NULL OR s.threshold_trigger_action = ?3) " \
	"AND (?4 < 0 OR EXISTS (SELECT 1 FROM strategy_cluster_association " \
	"x WHERE x.strategy_id = s.id AND x.cluster_id = ?4)) " \
	"AND (?5 = 0 OR s.id = ?5) "

void
strategy_init(struct strategy *s)
{
	memset(s, 0, sizeof *s);
	s->action = STRATEGY_ACTION_NONE;
	s->device_count = -1;
	s->enabled = 1;
}

void
strategy_release(struct strategy *s)
{
	free(s->name);
	free(s->description);
	free(s->node_selector);
	free(s->created_by);
	free(s->cluster_ids);
	strategy_init(s);
}

const char *
strategy_action_name(int a)
{
	return a >= 0 && a <= 1 ? strategy_actions[a] : "";
}

const char *
strategy_type_name(int t)
{
	return t >= 0 && t <= 2 ? strategy_types[t] : "";
}

const char *
strategy_logic_name(int l)
{
	return l >= 0 && l <= 2 ? strategy_logics[l] : "";
}

int
strategy_action_parse(const char *s, int *out, struct es_err *err)
{
	if (s != NULL && strcmp(s, "pool_entry") == 0)
		*out = STRATEGY_POOL_ENTRY;
	else if (s != NULL && strcmp(s, "pool_exit") == 0)
		*out = STRATEGY_POOL_EXIT;
	else
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "threshold_trigger_action '%s': use pool_entry or "
		    "pool_exit", s ? s : "");
	return 0;
}

int
strategy_type_parse(const char *s, const char *what, int *out,
    struct es_err *err)
{
	if (s != NULL && strcmp(s, "usage") == 0)
		*out = STRATEGY_USAGE;
	else if (s != NULL && strcmp(s, "allocated") == 0)
		*out = STRATEGY_ALLOCATED;
	else
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid %s '%s': "
		    "use usage or allocated", what, s ? s : "");
	return 0;
}

int
strategy_logic_parse(const char *s, int *out, struct es_err *err)
{
	if (s != NULL && strcasecmp(s, "AND") == 0)
		*out = STRATEGY_AND;
	else if (s != NULL && strcasecmp(s, "OR") == 0)
		*out = STRATEGY_OR;
	else
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "condition_logic '%s': use AND or OR", s ? s : "");
	return 0;
}

int
strategy_parse_node_selector(const char *s, char **canonical,
    struct es_err *err)
{
	cJSON *j;

	*canonical = NULL;
	j = cJSON_Parse(s);
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "node_selector '%s': must be a JSON object such as "
		    "{\"pool\": \"general\"}", s);
	}
	*canonical = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (*canonical == NULL)
		fatal("out of memory");
	/* cJSON allocates with malloc; hand back an xstrdup'ed copy */
	{
		char *c = xstrdup(*canonical);

		cJSON_free(*canonical);
		*canonical = c;
	}
	return 0;
}

void
strategy_add_cluster(struct strategy *s, long long id)
{
	size_t i;

	for (i = 0; i < s->ncluster; i++)
		if (s->cluster_ids[i] == id)
			return;
	s->cluster_ids = xreallocarray(s->cluster_ids, s->ncluster + 1,
	    sizeof *s->cluster_ids);
	s->cluster_ids[s->ncluster++] = id;
}

/* 1 when s is non-empty, at most max bytes, without control characters. */
static int
strategy_valid_text(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return n > 0 && n <= max;
}

int
strategy_validate(struct strategy *s, struct es_err *err)
{
	if (s->name == NULL || *s->name == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "name is "
		    "required");
	if (!strategy_valid_text(s->name, STRATEGY_NAME_MAX) ||
	    isspace((unsigned char)s->name[0]) ||
	    isspace((unsigned char)s->name[strlen(s->name) - 1]))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid name "
		    "'%s': at most %d bytes, no control characters, no "
		    "leading or trailing blanks", s->name, STRATEGY_NAME_MAX);
	if (pool_is_id(s->name))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid name "
		    "'%s': a name cannot be all digits (those are ids)",
		    s->name);
	if (s->description != NULL && *s->description != '\0' &&
	    strlen(s->description) > STRATEGY_DESC_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "description is "
		    "longer than %d bytes", STRATEGY_DESC_MAX);
	if (s->ncluster == 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "clusters are "
		    "required: associate at least one cluster (--cluster)");
	if (s->action == STRATEGY_ACTION_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "threshold_trigger_action is required: pool_entry or "
		    "pool_exit (--action)");
	if (s->device_count < 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "device_count is "
		    "required (--device-count)");
	if (s->device_count < 1 || s->device_count > STRATEGY_DEVICES_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "device_count %lld: must be between 1 and %d",
		    s->device_count, STRATEGY_DEVICES_MAX);
	if (s->has_cpu && (!isfinite(s->cpu_threshold) ||
	    s->cpu_threshold < 0 || s->cpu_threshold > 100))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "cpu_threshold_value %g: must be between 0 and 100",
		    s->cpu_threshold);
	if (s->has_mem && (!isfinite(s->mem_threshold) ||
	    s->mem_threshold < 0 || s->mem_threshold > 100))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "memory_threshold_value %g: must be between 0 and 100",
		    s->mem_threshold);
	if (s->has_cpu && s->cpu_type == STRATEGY_TYPE_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "cpu_threshold_type is required when cpu_threshold_value "
		    "is set: usage or allocated (--cpu-type)");
	if (s->has_mem && s->mem_type == STRATEGY_TYPE_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "memory_threshold_type is required when "
		    "memory_threshold_value is set: usage or allocated "
		    "(--memory-type)");
	if (!s->has_cpu && s->cpu_type != STRATEGY_TYPE_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "cpu_threshold_type is set but cpu_threshold_value is not "
		    "(--cpu-threshold)");
	if (!s->has_mem && s->mem_type != STRATEGY_TYPE_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "memory_threshold_type is set but memory_threshold_value "
		    "is not (--memory-threshold)");
	if (!s->has_cpu && !s->has_mem)
		return es_err_set(err, ES_EUSAGE, "Invalid", "a threshold is "
		    "required: set cpu_threshold_value or "
		    "memory_threshold_value (--cpu-threshold, "
		    "--memory-threshold)");
	if (s->has_cpu && s->has_mem && s->logic == STRATEGY_LOGIC_NONE)
		return es_err_set(err, ES_EUSAGE, "Invalid", "condition_logic "
		    "is required when both CPU and memory thresholds are set: "
		    "AND or OR (--logic)");
	if (s->logic == STRATEGY_LOGIC_NONE)
		s->logic = STRATEGY_OR;
	if (s->duration_minutes < 0 || s->duration_minutes >
	    STRATEGY_MINUTES_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "duration_minutes %lld: must be between 0 and %d",
		    s->duration_minutes, STRATEGY_MINUTES_MAX);
	if (s->cooldown_minutes < 0 || s->cooldown_minutes >
	    STRATEGY_MINUTES_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "cooldown_minutes %lld: must be between 0 and %d",
		    s->cooldown_minutes, STRATEGY_MINUTES_MAX);
	if (s->node_selector != NULL) {
		char *canon;

		if (strategy_parse_node_selector(s->node_selector, &canon,
		    err) == -1)
			return -1;
		free(s->node_selector);
		s->node_selector = canon;
	}
	return 0;
}

int
strategy_load(struct store *st, const char *ref, struct strategy *s,
    struct es_err *err)
{
	sqlite3_stmt *stmt;
	const char *t;
	int rc;

	strategy_release(s);
	stmt = store_prepare(st, err, "SELECT id, name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, memory_threshold_value, "
	    "memory_threshold_type, condition_logic, duration_minutes, "
	    "cooldown_minutes, device_count, node_selector, status, "
	    "created_by FROM elastic_scaling_strategy WHERE name = ?1 OR "
	    "CAST(id AS TEXT) = ?1 ORDER BY name = ?1 DESC LIMIT 1", "s",
	    ref);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc != 1) {
		sqlite3_finalize(stmt);
		if (rc == -1)
			return -1;
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "strategy "
		    "'%s' not found", ref);
	}
	s->id = sqlite3_column_int64(stmt, 0);
	s->name = xstrdup((const char *)sqlite3_column_text(stmt, 1));
	s->description = xstrdup((const char *)sqlite3_column_text(stmt,
	    2));
	strategy_action_parse((const char *)sqlite3_column_text(stmt, 3),
	    &s->action, NULL);
	if (sqlite3_column_type(stmt, 4) != SQLITE_NULL) {
		s->has_cpu = 1;
		s->cpu_threshold = sqlite3_column_double(stmt, 4);
		strategy_type_parse((const char *)sqlite3_column_text(stmt, 5),
		    "", &s->cpu_type, NULL);
	}
	if (sqlite3_column_type(stmt, 6) != SQLITE_NULL) {
		s->has_mem = 1;
		s->mem_threshold = sqlite3_column_double(stmt, 6);
		strategy_type_parse((const char *)sqlite3_column_text(stmt, 7),
		    "", &s->mem_type, NULL);
	}
	if ((t = (const char *)sqlite3_column_text(stmt, 8)) != NULL)
		strategy_logic_parse(t, &s->logic, NULL);
	s->duration_minutes = sqlite3_column_int64(stmt, 9);
	s->cooldown_minutes = sqlite3_column_int64(stmt, 10);
	s->device_count = sqlite3_column_int64(stmt, 11);
	if ((t = (const char *)sqlite3_column_text(stmt, 12)) != NULL)
		s->node_selector = xstrdup(t);
	t = (const char *)sqlite3_column_text(stmt, 13);
	s->enabled = t != NULL && strcmp(t, "enabled") == 0;
	s->created_by = xstrdup((const char *)sqlite3_column_text(stmt, 14));
	sqlite3_finalize(stmt);

	stmt = store_prepare(st, err, "SELECT cluster_id FROM "
	    "strategy_cluster_association WHERE strategy_id = ? ORDER BY "
	    "cluster_id", "i", s->id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1)
		strategy_add_cluster(s, sqlite3_column_int64(stmt, 0));
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

/* Replaces the association rows of s->id with s->cluster_ids. */
static int
strategy_write_clusters(struct store *st, const struct strategy *s,
    struct es_err *err)
{
	size_t i;

	if (store_exec(st, err, "DELETE FROM strategy_cluster_association "
	    "WHERE strategy_id = ?", "i", s->id) == -1)
		return -1;
	for (i = 0; i < s->ncluster; i++)
		if (store_exec(st, err, "INSERT INTO "
		    "strategy_cluster_association (strategy_id, cluster_id) "
		    "VALUES (?, ?)", "ii", s->id, s->cluster_ids[i]) == -1)
			return -1;
	return 0;
}

int
strategy_insert(struct store *st, struct strategy *s, const char *who,
    time_t now, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	int rc;

	util_time_format(now, ts);
	stmt = store_prepare(st, err, "INSERT INTO elastic_scaling_strategy "
	    "(name, description, threshold_trigger_action, "
	    "cpu_threshold_value, cpu_threshold_type, memory_threshold_value, "
	    "memory_threshold_type, condition_logic, duration_minutes, "
	    "cooldown_minutes, device_count, node_selector, status, "
	    "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?15, ?15)", "sssnsnssiiissss", s->name,
	    s->description ? s->description : "",
	    strategy_action_name(s->action),
	    s->has_cpu ? strategy_type_name(s->cpu_type) : NULL,
	    s->has_mem ? strategy_type_name(s->mem_type) : NULL,
	    strategy_logic_name(s->logic), s->duration_minutes,
	    s->cooldown_minutes, s->device_count, s->node_selector,
	    s->enabled ? "enabled" : "disabled", who ? who : "", ts);
	if (stmt == NULL)
		return -1;
	if (s->has_cpu)
		sqlite3_bind_double(stmt, 4, s->cpu_threshold);
	if (s->has_mem)
		sqlite3_bind_double(stmt, 6, s->mem_threshold);
	rc = store_step(st, stmt, err);
	sqlite3_finalize(stmt);
	if (rc == -1) {
		if (err->code == ES_ECONFLICT)
			return es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "strategy '%s' already exists", s->name);
		return -1;
	}
	s->id = store_last_insert_id(st);
	free(s->created_by);
	s->created_by = xstrdup(who ? who : "");
	return strategy_write_clusters(st, s, err);
}

int
strategy_update(struct store *st, const struct strategy *s, time_t now,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	int rc;

	util_time_format(now, ts);
	stmt = store_prepare(st, err, "UPDATE elastic_scaling_strategy SET "
	    "name = ?, description = ?, threshold_trigger_action = ?, "
	    "cpu_threshold_value = ?, cpu_threshold_type = ?, "
	    "memory_threshold_value = ?, memory_threshold_type = ?, "
	    "condition_logic = ?, duration_minutes = ?, cooldown_minutes = ?, "
	    "device_count = ?, node_selector = ?, status = ?, updated_at = ? "
	    "WHERE id = ?", "sssnsnssiiisssi", s->name,
	    s->description ? s->description : "",
	    strategy_action_name(s->action),
	    s->has_cpu ? strategy_type_name(s->cpu_type) : NULL,
	    s->has_mem ? strategy_type_name(s->mem_type) : NULL,
	    strategy_logic_name(s->logic), s->duration_minutes,
	    s->cooldown_minutes, s->device_count, s->node_selector,
	    s->enabled ? "enabled" : "disabled", ts, s->id);
	if (stmt == NULL)
		return -1;
	if (s->has_cpu)
		sqlite3_bind_double(stmt, 4, s->cpu_threshold);
	if (s->has_mem)
		sqlite3_bind_double(stmt, 6, s->mem_threshold);
	rc = store_step(st, stmt, err);
	sqlite3_finalize(stmt);
	if (rc == -1) {
		if (err->code == ES_ECONFLICT)
			return es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "strategy '%s' already exists", s->name);
		return -1;
	}
	return strategy_write_clusters(st, s, err);
}

int
strategy_set_status(struct store *st, long long id, int enabled, time_t now,
    int *changed, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	int n;

	util_time_format(now, ts);
	n = store_exec(st, err, "UPDATE elastic_scaling_strategy SET "
	    "status = ?1, updated_at = ?2 WHERE id = ?3 AND status <> ?1",
	    "ssi", enabled ? "enabled" : "disabled", ts, id);
	if (n == -1)
		return -1;
	*changed = n > 0;
	return 0;
}

int
strategy_delete(struct store *st, long long id, struct es_err *err)
{
	cJSON *open;
	const cJSON *o;
	int n;

	if (store_query_json(st, err, &open, "SELECT order_number, status "
	    "FROM elastic_scaling_order WHERE strategy_id = ? AND status IN "
	    "('pending', 'processing') ORDER BY id", "i", id) == -1)
		return -1;
	n = cJSON_GetArraySize(open);
	if (n > 0) {
		o = cJSON_GetArrayItem(open, 0);
		es_err_set(err, ES_ECONFLICT, "OpenOrders", "strategy has %d "
		    "open order%s (%s is %s): cancel or finish %s first", n,
		    n > 1 ? "s" : "", cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "order_number")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")),
		    n > 1 ? "them" : "it");
		cJSON_Delete(open);
		return -1;
	}
	cJSON_Delete(open);
	/* history and associations cascade; orders keep strategy NULL */
	if (store_exec(st, err, "DELETE FROM elastic_scaling_strategy WHERE "
	    "id = ?", "i", id) == -1)
		return -1;
	return 0;
}

/* Appends one metric's condition ("CPU usage >= 80%"). */
static void
strategy_metric_text(char *buf, size_t len, const char *metric,
    const char *type, double v, int exit)
{
	char num[32];

	snprintf(num, sizeof num, "%.2f", v);
	/* drop trailing zeros: 80.00 -> 80, 82.50 -> 82.5 */
	{
		char *p = num + strlen(num) - 1;

		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	snprintf(buf, len, "%s %s %s %s%%", metric, type, exit ? "<=" : ">=",
	    num);
}

void
strategy_condition_text(const struct strategy *s, char *buf, size_t len)
{
	char c[64], m[64];
	int exit = s->action == STRATEGY_POOL_EXIT;

	if (s->has_cpu)
		strategy_metric_text(c, sizeof c, "CPU",
		    strategy_type_name(s->cpu_type), s->cpu_threshold, exit);
	if (s->has_mem)
		strategy_metric_text(m, sizeof m, "MEM",
		    strategy_type_name(s->mem_type), s->mem_threshold, exit);
	if (s->has_cpu && s->has_mem)
		snprintf(buf, len, "%s %s %s", c, strategy_logic_name(
		    s->logic), m);
	else
		snprintf(buf, len, "%s", s->has_cpu ? c : s->has_mem ? m : "");
}

/* Adds the derived "condition" text to a row of the list query. */
static void
strategy_add_condition(cJSON *row)
{
	struct strategy s;
	const cJSON *v;
	char text[160];

	strategy_init(&s);
	strategy_action_parse(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "threshold_trigger_action")), &s.action, NULL);
	v = cJSON_GetObjectItem(row, "cpu_threshold_value");
	if (cJSON_IsNumber(v)) {
		s.has_cpu = 1;
		s.cpu_threshold = v->valuedouble;
		strategy_type_parse(cJSON_GetStringValue(cJSON_GetObjectItem(
		    row, "cpu_threshold_type")), "", &s.cpu_type, NULL);
	}
	v = cJSON_GetObjectItem(row, "memory_threshold_value");
	if (cJSON_IsNumber(v)) {
		s.has_mem = 1;
		s.mem_threshold = v->valuedouble;
		strategy_type_parse(cJSON_GetStringValue(cJSON_GetObjectItem(
		    row, "memory_threshold_type")), "", &s.mem_type, NULL);
	}
	strategy_logic_parse(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "condition_logic")), &s.logic, NULL);
	strategy_condition_text(&s, text, sizeof text);
	cJSON_AddStringToObject(row, "condition", text);
}

int
strategy_list(struct store *st, const struct strategy_filter *f,
    cJSON **out, struct es_err *err)
{
	cJSON *row;

	if (store_query_json(st, err, out, STRATEGY_SELECT STRATEGY_WHERE
	    "ORDER BY s.id LIMIT ?6 OFFSET ?7", "sssiiii", f->name, f->status,
	    f->action, f->cluster_id, f->id, f->limit > 0 ? f->limit : -1LL,
	    f->offset) == -1)
		return -1;
	cJSON_ArrayForEach(row, *out)
		strategy_add_condition(row);
	return 0;
}

int
strategy_count(struct store *st, const struct strategy_filter *f,
    long long *out, struct es_err *err)
{
	return store_query_int(st, err, out, 0, "SELECT count(*) FROM "
	    "elastic_scaling_strategy s " STRATEGY_WHERE, "sssii", f->name,
	    f->status, f->action, f->cluster_id, f->id);
}

int
strategy_history(struct store *st, const struct strategy_history_filter *f,
    cJSON **out, struct es_err *err)
{
	char since[UTIL_TIME_LEN];

	util_time_format(f->since, since);
	/*
	 * A row is a run of checks with the same kind of result; while it
	 * goes on, strategy_pair_state has its last check and count.  A
	 * quiet run (condition not met) going on has no row (schema 15):
	 * its state row, or its strategy_quiet group, stands for it, without
	 * id or values.
	 */
	return store_query_json(st, err, out, "SELECT * FROM ("
	    "SELECT h.id, h.strategy_id, "
	    "s.name AS strategy_name, h.cluster_id, c.clustername AS "
	    "cluster_name, h.execution_time, COALESCE(h.last_execution_time, "
	    "p.last_execution_time, h.execution_time) AS last_execution_time, "
	    "CASE WHEN h.last_execution_time IS NULL THEN COALESCE("
	    "p.evaluations, h.evaluations) ELSE h.evaluations END AS "
	    "evaluations, h.result, h.triggered_value, "
	    "h.threshold_value, h.order_id, o.order_number, h.reason "
	    "FROM strategy_execution_history h "
	    "JOIN elastic_scaling_strategy s ON s.id = h.strategy_id "
	    "LEFT JOIN k8s_cluster c ON c.id = h.cluster_id "
	    "LEFT JOIN elastic_scaling_order o ON o.id = h.order_id "
	    "LEFT JOIN strategy_pair_state p ON h.last_execution_time IS NULL "
	    "AND p.strategy_id = h.strategy_id AND p.cluster_id = h.cluster_id "
	    "AND p.history_id = h.id "
	    "WHERE (?1 = 0 OR h.strategy_id = ?1) "
	    "AND (?2 < 0 OR h.cluster_id = ?2) "
	    "AND (?3 IS NULL OR h.result = ?3) "
	    "AND (?4 = 0 OR COALESCE(h.last_execution_time, "
	    "p.last_execution_time, h.execution_time) >= ?5) "
	    "UNION ALL "
	    "SELECT NULL, q.strategy_id, s.name, q.cluster_id, c.clustername, "
	    "q.since, q.last_execution_time, q.evaluations, 'skipped', '', '', "
	    "NULL, NULL, 'condition not met' "
	    "FROM strategy_pair_state q "
	    "JOIN elastic_scaling_strategy s ON s.id = q.strategy_id "
	    "LEFT JOIN k8s_cluster c ON c.id = q.cluster_id "
	    "WHERE q.history_id IS NULL "
	    "AND (?1 = 0 OR q.strategy_id = ?1) "
	    "AND (?2 < 0 OR q.cluster_id = ?2) "
	    "AND (?3 IS NULL OR ?3 = 'skipped') "
	    "AND (?4 = 0 OR q.last_execution_time >= ?5) "
	    "UNION ALL "
	    "SELECT NULL, g.strategy_id, s.name, j.value, c.clustername, "
	    "g.since, g.last_execution_time, g.evaluations, 'skipped', '', '', "
	    "NULL, NULL, 'condition not met' "
	    "FROM strategy_quiet g "
	    "JOIN elastic_scaling_strategy s ON s.id = g.strategy_id "
	    "JOIN json_each(g.clusters) j "
	    "LEFT JOIN k8s_cluster c ON c.id = j.value "
	    "WHERE (?1 = 0 OR g.strategy_id = ?1) "
	    "AND (?2 < 0 OR j.value = ?2) "
	    "AND (?3 IS NULL OR ?3 = 'skipped') "
	    "AND (?4 = 0 OR g.last_execution_time >= ?5)) "
	    "ORDER BY execution_time DESC, id IS NOT NULL, id DESC, "
	    "strategy_id DESC, cluster_id DESC LIMIT ?6 OFFSET ?7",
	    "iisisii", f->strategy_id, f->cluster_id, f->result,
	    (long long)f->since, since, f->limit > 0 ? f->limit : -1LL,
	    f->offset);
}
