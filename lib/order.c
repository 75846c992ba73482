/*
 * order.c - elastic scaling orders: numbers, lookup and listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duty.h"
#include "node.h"
#include "order.h"
#include "pool.h"
#include "util.h"

#define ORDER_COLUMNS \
	"o.id, o.order_number, o.cluster_id, c.clustername AS cluster_name, " \
	"o.strategy_id, s.name AS strategy_name, o.action_type, o.status, " \
	"o.device_count, o.approver, o.executor, o.execution_time, " \
	"o.created_by, o.created_at, o.updated_at, o.completion_time, " \
	"o.failure_reason, o.device_id, o.maintenance_start_time, " \
	"o.maintenance_end_time, o.external_ticket_id, o.parent_order_id, " \
	"o.node_selector AS node_selector__json, o.reason, o.cancel_reason " \
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

	/* "order/ESO-..." as -o name prints it, like kubectl's TYPE/NAME */
	if (strncmp(ref, "order/", 6) == 0)
		ref += 6;
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
	if (store_query_json(st, err, &devices, "SELECT od.slot, "
	    "od.device_id, d.ci_code, d.ip, od.node_name, d.cpu, d.memory, "
	    "od.status, od.phase, od.failure_reason, od.created_at, "
	    "od.updated_at FROM order_device od "
	    "JOIN device d ON d.id = od.device_id WHERE od.order_id = ? "
	    "ORDER BY od.slot, od.id", "i", id) == -1) {
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
	if (order_events(st, id, &hist, err) == -1) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_AddItemToObject(o, "events", hist);
	*out = o;
	return 0;
}

int
order_event_add(struct store *st, long long order_id, time_t now,
    const char *actor, const char *event, const char *from, const char *to,
    long long device_id, const char *node, const char *message,
    struct es_err *err)
{
	char at[UTIL_TIME_LEN];

	util_time_format(now, at);
	if (store_exec(st, err, "INSERT INTO order_event (order_id, at, "
	    "actor, event, from_status, to_status, device_id, node_name, "
	    "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "isssssIss",
	    order_id, at, actor ? actor : "", event, from, to,
	    device_id > 0 ? device_id : -1LL, node,
	    message ? message : "") == -1)
		return es_err_prefix(err, "cannot record order event");
	return 0;
}

int
order_events(struct store *st, long long id, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT e.at, e.event, "
	    "e.actor, e.from_status, e.to_status, d.ci_code, e.node_name, "
	    "e.message FROM order_event e LEFT JOIN device d ON "
	    "d.id = e.device_id WHERE e.order_id = ? ORDER BY e.id", "i", id);
}

/*
 * The compare-and-set of one transition: moves order id from `from` to
 * `to` setting the extra column (approver / cancel_reason), and writes
 * the event, in one transaction.  A miss reads the current status for the
 * message.
 */
static int
order_transition(struct store *st, const char *ref, const char *from,
    const char *to, const char *event, const char *actor, const char *reason,
    time_t now, struct es_err *err)
{
	char at[UTIL_TIME_LEN], num[ORDER_NUMBER_LEN];
	cJSON *row = NULL;
	const char *cur;
	long long id;
	int n;

	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		return -1;
	if (order_find(st, ref, &id, err) == -1)
		goto fail;
	if (strcmp(to, "processing") == 0)
		n = store_exec(st, err, "UPDATE elastic_scaling_order SET "
		    "status = ?, approver = ?, updated_at = ? WHERE id = ? AND "
		    "status = ?", "sssis", to, actor ? actor : "", at, id,
		    from);
	else
		n = store_exec(st, err, "UPDATE elastic_scaling_order SET "
		    "status = ?, cancel_reason = ?, approver = coalesce("
		    "approver, ?), completion_time = ?, updated_at = ? WHERE "
		    "id = ? AND status = ?", "sssssis", to, reason,
		    actor ? actor : "", at, at, id, from);
	if (n == -1)
		goto fail;
	if (n == 0) {
		if (store_query_row_json(st, err, &row, "SELECT order_number, "
		    "status FROM elastic_scaling_order WHERE id = ?", "i",
		    id) == -1)
			goto fail;
		cur = row ? cJSON_GetStringValue(cJSON_GetObjectItem(row,
		    "status")) : NULL;
		snprintf(num, sizeof num, "%s", row ? cJSON_GetStringValue(
		    cJSON_GetObjectItem(row, "order_number")) : ref);
		es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is %s, "
		    "not %s", num, cur ? cur : "gone", from);
		cJSON_Delete(row);
		goto fail;
	}
	if (order_event_add(st, id, now, actor, event, from, to, 0, NULL,
	    reason, err) == -1)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

int
order_approve(struct store *st, const char *ref, const char *actor,
    time_t now, struct es_err *err)
{
	return order_transition(st, ref, "pending", "processing", "approved",
	    actor, NULL, now, err);
}

int
order_reject(struct store *st, const char *ref, const char *actor,
    const char *reason, time_t now, struct es_err *err)
{
	if (reason == NULL || *reason == '\0')
		return es_err_set(err, ES_EUSAGE, "Invalid", "a rejection "
		    "needs a reason (--reason)");
	return order_transition(st, ref, "pending", "cancelled", "rejected",
	    actor, reason, now, err);
}

int
order_cancel(struct store *st, const char *ref, const char *actor,
    const char *reason, time_t now, struct es_err *err)
{
	return order_transition(st, ref, "pending", "cancelled", "cancelled",
	    actor, reason, now, err);
}

int
order_create(struct store *st, const struct order_spec *sp, time_t now,
    long long *id, char number[ORDER_NUMBER_LEN], struct es_err *err)
{
	char at[UTIL_TIME_LEN], num[ORDER_NUMBER_LEN], *sel = NULL;

	if (sp->action == NULL || (strcmp(sp->action, "pool_entry") != 0 &&
	    strcmp(sp->action, "pool_exit") != 0))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid action "
		    "'%s': use pool_entry or pool_exit",
		    sp->action ? sp->action : "");
	if (sp->count < 1 || sp->count > 1000)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid count "
		    "%lld: use 1 to 1000", sp->count);
	if (sp->selector != NULL && node_selector_canon(sp->selector, &sel,
	    err) == -1)
		return -1;
	util_time_format(now, at);
	if (store_begin(st, err) == -1)
		return -1;
	if (order_next_number(st, now, num, err) == -1)
		goto fail;
	if (store_exec(st, err, "INSERT INTO elastic_scaling_order "
	    "(order_number, cluster_id, strategy_id, action_type, status, "
	    "device_count, created_by, created_at, updated_at, node_selector, "
	    "reason) VALUES (?, ?, NULL, ?, 'pending', ?, ?, ?, ?, ?, ?)",
	    "sisisssss", num, sp->cluster_id, sp->action, sp->count,
	    sp->created_by ? sp->created_by : "", at, at, sel,
	    sp->reason) == -1) {
		es_err_prefix(err, "cannot create order");
		goto fail;
	}
	*id = store_last_insert_id(st);
	if (order_event_add(st, *id, now, sp->created_by, "created", NULL,
	    "pending", 0, NULL, sp->reason, err) == -1)
		goto fail;
	free(sel);
	if (store_commit(st, err) == -1)
		return -1;
	if (number != NULL)
		memcpy(number, num, ORDER_NUMBER_LEN);
	return 0;
fail:
	free(sel);
	store_rollback(st);
	return -1;
}

int
order_notify(struct store *st, const struct notify_config *nc,
    long long id, const char *event, time_t now, struct notify_result *res,
    struct es_err *err)
{
	struct notify_message m;
	struct es_buf subj = ES_BUF_INIT, text = ES_BUF_INIT;
	cJSON *o, *people = NULL, *fields;
	const char *num, *act, *cl, *stt, *why;
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (store_query_row_json(st, err, &o, "SELECT o.order_number, "
	    "o.action_type, c.clustername, o.status, o.device_count, "
	    "coalesce(o.failure_reason, o.cancel_reason, o.reason, '') AS why "
	    "FROM elastic_scaling_order o LEFT JOIN k8s_cluster c ON "
	    "c.id = o.cluster_id WHERE o.id = ?", "i", id) == -1)
		return -1;
	if (o == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order %lld "
		    "not found", id);
	if (duty_on_call(st, now, &people, err) == -1)
		goto out;
	num = cJSON_GetStringValue(cJSON_GetObjectItem(o, "order_number"));
	act = cJSON_GetStringValue(cJSON_GetObjectItem(o, "action_type"));
	cl = cJSON_GetStringValue(cJSON_GetObjectItem(o, "clustername"));
	stt = cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"));
	why = cJSON_GetStringValue(cJSON_GetObjectItem(o, "why"));
	es_buf_addf(&subj, "[esctl] order %s %s: %s", num, stt,
	    act ? act : "");
	es_buf_addf(&text, "Order %s (%s of %d device%s on cluster %s) is "
	    "now %s.", num, act ? act : "", (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(o, "device_count")),
	    cJSON_GetNumberValue(cJSON_GetObjectItem(o, "device_count")) ==
	    1 ? "" : "s", cl ? cl : "?", stt);
	if (why != NULL && *why != '\0')
		es_buf_addf(&text, "\nReason: %s", why);
	fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fields, "order_number", num);
	cJSON_AddStringToObject(fields, "status", stt);
	cJSON_AddStringToObject(fields, "action_type", act ? act : "");
	cJSON_AddStringToObject(fields, "cluster", cl ? cl : "");
	memset(&m, 0, sizeof m);
	m.order_id = id;
	m.event = event;
	m.subject = subj.data;
	m.text = text.data;
	m.fields = fields;
	rc = notify_send(st, nc, &m, people, -1, now, res, err);
	cJSON_Delete(fields);
out:
	es_buf_release(&subj);
	es_buf_release(&text);
	cJSON_Delete(people);
	cJSON_Delete(o);
	return rc;
}

int
order_stats(struct store *st, const struct order_stats_filter *f,
    cJSON **out, struct es_err *err)
{
	char since[UTIL_TIME_LEN];

	util_time_format(f->since, since);
	return store_query_json(st, err, out, "SELECT action_type, status, "
	    "count(*) AS orders, sum(device_count) AS devices, "
	    "round(avg(CASE WHEN status = 'completed' AND completion_time IS "
	    "NOT NULL THEN (julianday(completion_time) - julianday("
	    "created_at)) * 1440 END), 1) AS mean_minutes_to_complete "
	    "FROM elastic_scaling_order WHERE (?1 = 0 OR created_at >= ?2) "
	    "AND (?3 < 0 OR cluster_id = ?3) GROUP BY action_type, status "
	    "ORDER BY action_type, status", "isi", (long long)f->since, since,
	    f->cluster_id);
}
