/*
 * autoscale.c - the decision arithmetic of seed 000 §13, the policies,
 * the sample history, the compare-and-set claim and the one function
 * that scales a StatefulSet for autoscale.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "buf.h"
#include "cluster.h"
#include "util.h"

static const char *const autoscale_metrics[AUTOSCALE_NMETRIC] = {
	"cpu_usage", "memory_usage", "disk_usage", "qps"
};
static const char *const autoscale_short[AUTOSCALE_NMETRIC] = {
	"cpu", "memory", "disk", "qps"
};
static const char *const autoscale_actions[] = {
	"none", "scale_up", "scale_down", "cooldown", "no_data",
	"refused_quota", "disabled", "conflict", "failed"
};

static void	 autoscale_num(cJSON *, const char *, double);

const char *
autoscale_metric_name(int i)
{
	return i >= 0 && i < AUTOSCALE_NMETRIC ? autoscale_metrics[i] : "?";
}

const char *
autoscale_action_name(int a)
{
	return a >= 0 && a <= AS_FAILED ? autoscale_actions[a] : "?";
}

void
autoscale_policy_init(struct autoscale_policy *p)
{
	memset(p, 0, sizeof *p);
	p->min_replicas = 1;
	p->max_replicas = 10;
	p->tolerance = AUTOSCALE_TOLERANCE;
	p->cooldown_up = AUTOSCALE_COOLDOWN_UP;
	p->cooldown_down = AUTOSCALE_COOLDOWN_DOWN;
	p->enabled = 1;
}

double
autoscale_slope(const double *y, int n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0, d;
	int i;

	for (i = 0; i < n; i++) {
		if (isnan(y[i]))
			continue;
		sx += i;
		sy += y[i];
		sxx += (double)i * i;
		sxy += i * y[i];
		k++;
	}
	if (k < 2)
		return NAN;
	d = k * sxx - sx * sx;
	return (k * sxy - sx * sy) / d;
}

void
autoscale_decide(const struct autoscale_policy *p, long long current,
    double samples[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES], int ns,
    time_t now, time_t last_scale, struct autoscale_result *r)
{
	struct autoscale_metric *m;
	double mean, sum, best = NAN, v;
	long long since, need;
	int i, j, cnt, worst = -1;

	memset(r, 0, sizeof *r);
	r->current = current;
	r->ratio = NAN;
	r->raw = r->desired = current;
	if (ns > AUTOSCALE_SAMPLES)
		ns = AUTOSCALE_SAMPLES;
	r->nsamples = ns;
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		m = &r->m[i];
		m->target = p->target[i];
		m->weight = 1.0;
		m->value = ns > 0 ? samples[i][ns - 1] : NAN;
		sum = 0;
		cnt = 0;
		for (j = 0; j < ns; j++)
			m->samples[j] = samples[i][j];
		for (j = 0; j < ns; j++)
			if (!isnan(samples[i][j])) {
				sum += samples[i][j];
				cnt++;
			}
		m->n = cnt;
		m->slope = autoscale_slope(samples[i], ns);
		mean = cnt > 0 ? sum / cnt : 0;
		if (!isnan(m->slope) && fabs(mean) > 0) {
			if (m->slope > AUTOSCALE_TREND * fabs(mean))
				m->trend = 1;
			else if (m->slope < -AUTOSCALE_TREND * fabs(mean))
				m->trend = -1;
		}
		m->weight = 1.0 + AUTOSCALE_WEIGHT_STEP * m->trend;
		m->ratio = m->weighted = NAN;
		if (m->target <= 0 || isnan(m->value) || current < 1)
			continue;
		v = m->value;
		if (i == 3)
			v /= (double)current;	/* qps target is per replica */
		m->ratio = v / m->target;
		m->weighted = m->ratio * m->weight;
		if (isnan(best) || m->weighted > best) {
			best = m->weighted;
			worst = i;
		}
	}
	r->ratio = best;
	if (!p->enabled) {
		r->action = AS_DISABLED;
		snprintf(r->reason, sizeof r->reason, "the policy is disabled");
		return;
	}
	if (isnan(best)) {
		r->action = AS_NODATA;
		snprintf(r->reason, sizeof r->reason, "no metric with a target "
		    "has a value");
		return;
	}
	if (fabs(best - 1.0) <= p->tolerance + 1e-9)
		r->raw = current;
	else
		r->raw = (long long)ceil((double)current * best - 1e-9);
	if (r->raw < 1)
		r->raw = 1;
	r->desired = r->raw;
	if (r->desired < p->min_replicas)
		r->desired = p->min_replicas;
	if (r->desired > p->max_replicas)
		r->desired = p->max_replicas;
	if (r->desired == current) {
		r->action = AS_NONE;
		if (r->raw == current)
			snprintf(r->reason, sizeof r->reason, "ratio %.3f "
			    "(%s) within the tolerance %.2f", best,
			    autoscale_metrics[worst], p->tolerance);
		else
			snprintf(r->reason, sizeof r->reason, "ratio %.3f "
			    "(%s) wants %lld, held at the %s bound %lld", best,
			    autoscale_metrics[worst], r->raw, r->raw > current ?
			    "max" : "min", current);
		return;
	}
	r->action = r->desired > current ? AS_UP : AS_DOWN;
	need = r->action == AS_UP ? p->cooldown_up : p->cooldown_down;
	since = last_scale > 0 ? (long long)(now - last_scale) : -1;
	if (since >= 0 && since < need) {
		r->cooldown_left = need - since;
		snprintf(r->reason, sizeof r->reason, "ratio %.3f (%s) wants "
		    "%lld -> %lld, but the last scaling was %llds ago (a "
		    "scale-%s waits %llds)", best, autoscale_metrics[worst],
		    current, r->desired, since, r->action == AS_UP ? "up" :
		    "down", need);
		r->action = AS_COOLDOWN;
		return;
	}
	snprintf(r->reason, sizeof r->reason, "ratio %.3f (%s): %lld -> %lld%s",
	    best, autoscale_metrics[worst], current, r->desired,
	    r->desired != r->raw ? " (clamped)" : "");
}

static void
autoscale_num(cJSON *o, const char *k, double v)
{
	if (isnan(v) || isinf(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, round(v * 1e4) / 1e4);
}

cJSON *
autoscale_result_json(const struct autoscale_result *r)
{
	cJSON *o = cJSON_CreateObject(), *ms, *m, *sv;
	int i, j;

	cJSON_AddStringToObject(o, "action", autoscale_action_name(r->action));
	cJSON_AddNumberToObject(o, "current_replicas", (double)r->current);
	cJSON_AddNumberToObject(o, "computed_replicas", (double)r->raw);
	cJSON_AddNumberToObject(o, "desired_replicas", (double)r->desired);
	autoscale_num(o, "ratio", r->ratio);
	if (r->action == AS_COOLDOWN)
		cJSON_AddNumberToObject(o, "cooldown_left",
		    (double)r->cooldown_left);
	cJSON_AddStringToObject(o, "reason", r->reason);
	ms = cJSON_AddObjectToObject(o, "metrics");
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		m = cJSON_AddObjectToObject(ms, autoscale_metrics[i]);
		cJSON_AddNumberToObject(m, "samples", r->m[i].n);
		sv = cJSON_AddArrayToObject(m, "values");
		for (j = 0; j < r->nsamples; j++)
			cJSON_AddItemToArray(sv, isnan(r->m[i].samples[j]) ?
			    cJSON_CreateNull() : cJSON_CreateNumber(round(
			    r->m[i].samples[j] * 1e4) / 1e4));
		autoscale_num(m, "value", r->m[i].value);
		autoscale_num(m, "slope", r->m[i].slope);
		cJSON_AddStringToObject(m, "trend", isnan(r->m[i].slope) ?
		    "unknown" : r->m[i].trend > 0 ? "rising" :
		    r->m[i].trend < 0 ? "falling" : "flat");
		autoscale_num(m, "weight", r->m[i].weight);
		if (r->m[i].target > 0)
			autoscale_num(m, "target", r->m[i].target);
		else
			cJSON_AddNullToObject(m, "target");
		autoscale_num(m, "ratio", r->m[i].ratio);
		autoscale_num(m, "weighted_ratio", r->m[i].weighted);
	}
	return o;
}

cJSON *
autoscale_policy_json(const struct autoscale_policy *p)
{
	cJSON *o = cJSON_CreateObject(), *t;
	int i;

	cJSON_AddStringToObject(o, "namespace", p->ns);
	cJSON_AddNumberToObject(o, "min_replicas", (double)p->min_replicas);
	cJSON_AddNumberToObject(o, "max_replicas", (double)p->max_replicas);
	t = cJSON_AddObjectToObject(o, "targets");
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		if (p->target[i] > 0)
			cJSON_AddNumberToObject(t, autoscale_metrics[i],
			    p->target[i]);
		else
			cJSON_AddNullToObject(t, autoscale_metrics[i]);
	}
	cJSON_AddNumberToObject(o, "tolerance", p->tolerance);
	cJSON_AddNumberToObject(o, "cooldown_up", (double)p->cooldown_up);
	cJSON_AddNumberToObject(o, "cooldown_down", (double)p->cooldown_down);
	cJSON_AddBoolToObject(o, "enabled", p->enabled);
	return o;
}

int
autoscale_policy_parse(const char *s, struct autoscale_policy *p,
    struct es_err *err)
{
	char *dup = xstrdup(s), *item, *save = NULL, *eq, *k;
	long long ll;
	double d;
	int i, b, rc = -1;

	for (item = strtok_r(dup, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*item))
			item++;
		if (*item == '\0')
			continue;
		if ((eq = strchr(item, '=')) == NULL) {
			es_err_set(err, ES_EUSAGE, "InvalidPolicy", "policy "
			    "item '%s' is not KEY=VALUE", item);
			goto done;
		}
		*eq++ = '\0';
		k = item;
		for (i = 0; i < AUTOSCALE_NMETRIC; i++)
			if (strcmp(k, autoscale_short[i]) == 0 ||
			    strcmp(k, autoscale_metrics[i]) == 0)
				break;
		if (i < AUTOSCALE_NMETRIC) {
			if (util_parse_double(eq, k, 0, i == 3 ? 1e12 : 100,
			    &d, err) == -1)
				goto done;
			p->target[i] = d;
		} else if (strcmp(k, "min") == 0 ||
		    strcmp(k, "min_replicas") == 0) {
			if (util_parse_int(eq, k, 0, 1000, &ll, err) == -1)
				goto done;
			p->min_replicas = ll;
		} else if (strcmp(k, "max") == 0 ||
		    strcmp(k, "max_replicas") == 0) {
			if (util_parse_int(eq, k, 1, 1000, &ll, err) == -1)
				goto done;
			p->max_replicas = ll;
		} else if (strcmp(k, "tolerance") == 0) {
			if (util_parse_double(eq, k, 0, 0.9, &d, err) == -1)
				goto done;
			p->tolerance = d;
		} else if (strcmp(k, "cooldown-up") == 0 ||
		    strcmp(k, "cooldown_up") == 0) {
			if (util_parse_duration(eq, k, &ll, err) == -1)
				goto done;
			p->cooldown_up = ll;
		} else if (strcmp(k, "cooldown-down") == 0 ||
		    strcmp(k, "cooldown_down") == 0) {
			if (util_parse_duration(eq, k, &ll, err) == -1)
				goto done;
			p->cooldown_down = ll;
		} else if (strcmp(k, "enabled") == 0) {
			if (util_parse_bool(eq, k, &b, err) == -1)
				goto done;
			p->enabled = b;
		} else {
			es_err_set(err, ES_EUSAGE, "InvalidPolicy", "unknown "
			    "policy key '%s' (min, max, cpu, memory, disk, "
			    "qps, tolerance, cooldown-up, cooldown-down, "
			    "enabled)", k);
			goto done;
		}
	}
	rc = 0;
done:
	free(dup);
	return rc;
}

int
autoscale_policy_check(const struct autoscale_policy *p, struct es_err *err)
{
	int i, any = 0;

	if (p->min_replicas < 1)
		return es_err_set(err, ES_EUSAGE, "InvalidPolicy", "min "
		    "replicas must be at least 1");
	if (p->min_replicas > p->max_replicas)
		return es_err_set(err, ES_EUSAGE, "InvalidPolicy", "min "
		    "replicas %lld is above max replicas %lld",
		    p->min_replicas, p->max_replicas);
	for (i = 0; i < AUTOSCALE_NMETRIC; i++)
		any |= p->target[i] > 0;
	if (!any)
		return es_err_set(err, ES_EUSAGE, "InvalidPolicy", "a policy "
		    "needs a target for at least one metric (--cpu, "
		    "--memory, --disk or --qps)");
	return 0;
}

#define AUTOSCALE_POLICY_COLS \
	"namespace, min_replicas, max_replicas, target_cpu, " \
	"target_memory, target_disk, target_qps, tolerance, cooldown_up, " \
	"cooldown_down, enabled "

int
autoscale_policy_get(struct store *st, const char *ns,
    struct autoscale_policy *p, struct es_err *err)
{
	sqlite3_stmt *s;
	int rc, i;

	s = store_prepare(st, err, "SELECT " AUTOSCALE_POLICY_COLS
	    "FROM autoscale_policy WHERE namespace = ?", "s", ns);
	if (s == NULL)
		return -1;
	rc = store_step(st, s, err);
	if (rc == 1) {
		autoscale_policy_init(p);
		snprintf(p->ns, sizeof p->ns, "%s",
		    (const char *)sqlite3_column_text(s, 0));
		p->min_replicas = sqlite3_column_int64(s, 1);
		p->max_replicas = sqlite3_column_int64(s, 2);
		for (i = 0; i < AUTOSCALE_NMETRIC; i++)
			p->target[i] = sqlite3_column_type(s, 3 + i) ==
			    SQLITE_NULL ? 0 : sqlite3_column_double(s, 3 + i);
		p->tolerance = sqlite3_column_double(s, 7);
		p->cooldown_up = sqlite3_column_int64(s, 8);
		p->cooldown_down = sqlite3_column_int64(s, 9);
		p->enabled = sqlite3_column_int(s, 10);
	}
	sqlite3_finalize(s);
	if (rc == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no "
		    "autoscale policy for namespace '%s'", ns);
	return rc == 1 ? 0 : -1;
}

int
autoscale_policy_put(struct store *st, const struct autoscale_policy *p,
    time_t now, struct es_err *err)
{
	double t[AUTOSCALE_NMETRIC];
	char ts[UTIL_TIME_LEN];
	int i;

	for (i = 0; i < AUTOSCALE_NMETRIC; i++)
		t[i] = p->target[i];
	util_time_format(now, ts);
	return store_exec(st, err, "INSERT INTO autoscale_policy (namespace, "
	    "min_replicas, max_replicas, target_cpu, target_memory, "
	    "target_disk, target_qps, tolerance, cooldown_up, cooldown_down, "
	    "enabled, created_at, updated_at) VALUES (?1, ?2, ?3, "
	    "nullif(?4, 0), nullif(?5, 0), nullif(?6, 0), nullif(?7, 0), ?8, "
	    "?9, ?10, ?11, ?12, ?12) ON CONFLICT (namespace) DO UPDATE SET "
	    "min_replicas = ?2, max_replicas = ?3, target_cpu = nullif(?4, 0), "
	    "target_memory = nullif(?5, 0), target_disk = nullif(?6, 0), "
	    "target_qps = nullif(?7, 0), tolerance = ?8, cooldown_up = ?9, "
	    "cooldown_down = ?10, enabled = ?11, updated_at = ?12",
	    "siidddddiiis", p->ns, p->min_replicas, p->max_replicas, t[0],
	    t[1], t[2], t[3], p->tolerance, p->cooldown_up, p->cooldown_down,
	    (long long)p->enabled, ts) == -1 ? -1 : 0;
}

int
autoscale_policy_delete(struct store *st, const char *ns, struct es_err *err)
{
	if (store_exec(st, err, "DELETE FROM autoscale_policy WHERE "
	    "namespace = ?", "s", ns) == -1)
		return -1;
	if (sqlite3_changes(store_db(st)) == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no "
		    "autoscale policy for namespace '%s'", ns);
	return 0;
}

int
autoscale_policy_list(struct store *st, cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT namespace, "
	    "min_replicas, max_replicas, target_cpu, target_memory, "
	    "target_disk, target_qps, tolerance, cooldown_up, cooldown_down, "
	    "enabled AS enabled__bool, updated_at FROM autoscale_policy "
	    "ORDER BY namespace", NULL);
}

int
autoscale_collect(struct store *st, const char *ns, time_t now,
    long long window, int dry,
    double samples[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES], int *n,
    struct es_err *err)
{
	sqlite3_stmt *s;
	double v[AUTOSCALE_NMETRIC];
	int i, k, rc, have = 0;

	*n = 0;
	for (i = 0; i < AUTOSCALE_NMETRIC; i++)
		for (k = 0; k < AUTOSCALE_SAMPLES; k++)
			samples[i][k] = NAN;
	s = store_prepare(st, err, "SELECT avg(cpu_usage), avg(memory_usage), "
	    "avg(disk_usage), sum(qps), count(qps) FROM metric_latest WHERE "
	    "namespace = ? AND ts > ? AND ts <= ?", "sii", ns,
	    ((long long)now - window) * 1000, (long long)now * 1000 + 999);
	if (s == NULL)
		return -1;
	if ((rc = store_step(st, s, err)) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		v[i] = rc == 1 && sqlite3_column_type(s, i) != SQLITE_NULL ?
		    sqlite3_column_double(s, i) : NAN;
		have |= !isnan(v[i]);
	}
	sqlite3_finalize(s);
	if (!dry && store_exec(st, err, "INSERT INTO autoscale_sample "
	    "(namespace, at, cpu_usage, memory_usage, disk_usage, qps) "
	    "VALUES (?, ?, nullif(?, -1), nullif(?, -1), nullif(?, -1), "
	    "nullif(?, -1)) ON CONFLICT (namespace, at) DO UPDATE SET "
	    "cpu_usage = excluded.cpu_usage, memory_usage = "
	    "excluded.memory_usage, disk_usage = excluded.disk_usage, qps = "
	    "excluded.qps", "sidddd", ns, (long long)now,
	    isnan(v[0]) ? -1.0 : v[0], isnan(v[1]) ? -1.0 : v[1],
	    isnan(v[2]) ? -1.0 : v[2], isnan(v[3]) ? -1.0 : v[3]) == -1)
		return -1;
	/* the last samples, oldest first; a dry run adds today's */
	s = store_prepare(st, err, "SELECT cpu_usage, memory_usage, "
	    "disk_usage, qps FROM (SELECT * FROM autoscale_sample WHERE "
	    "namespace = ? AND at <= ? AND at < ? ORDER BY at DESC LIMIT ?) "
	    "ORDER BY at", "siii", ns, (long long)now, dry ? (long long)now :
	    (long long)now + 1, (long long)(dry ? AUTOSCALE_SAMPLES - 1 :
	    AUTOSCALE_SAMPLES));
	if (s == NULL)
		return -1;
	while ((rc = store_step(st, s, err)) == 1 && *n < AUTOSCALE_SAMPLES) {
		for (i = 0; i < AUTOSCALE_NMETRIC; i++)
			samples[i][*n] = sqlite3_column_type(s, i) ==
			    SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc == -1)
		return -1;
	if (dry && *n < AUTOSCALE_SAMPLES) {
		for (i = 0; i < AUTOSCALE_NMETRIC; i++)
			samples[i][*n] = v[i];
		(*n)++;
	}
	(void)have;
	return 0;
}

int
autoscale_last_scale(struct store *st, const char *ns, time_t *at,
    long long *version, struct es_err *err)
{
	cJSON *row;

	*at = 0;
	*version = 0;
	if (store_query_row_json(st, err, &row, "SELECT last_scale_at, "
	    "version FROM autoscale_state WHERE namespace = ?", "s", ns) ==
	    -1)
		return -1;
	if (row != NULL) {
		*at = (time_t)cJSON_GetNumberValue(cJSON_GetObjectItem(row,
		    "last_scale_at"));
		*version = (long long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(row, "version"));
	}
	cJSON_Delete(row);
	return 0;
}

int
autoscale_claim(struct store *st, const char *ns, long long version,
    time_t now, int direction, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];

	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	if (store_exec(st, err, "INSERT INTO autoscale_state (namespace, "
	    "last_scale_at, last_direction, version) VALUES (?1, ?2, ?3, 1) "
	    "ON CONFLICT (namespace) DO UPDATE SET last_scale_at = ?2, "
	    "last_direction = ?3, version = version + 1 WHERE version = ?4",
	    "siii", ns, (long long)now, (long long)direction, version) == -1)
		goto fail;
	/* a fresh row has version 1: it only counts when we expected 0 */
	if (sqlite3_changes(store_db(st)) == 0 || (version == 0 &&
	    store_query_int(st, err, &version, 0, "SELECT version FROM "
	    "autoscale_state WHERE namespace = ?", "s", ns) == 0 &&
	    version != 1)) {
		es_err_set(err, ES_ECONFLICT, "Conflict", "another autoscale "
		    "run scaled namespace '%s' first", ns);
		goto fail;
	}
	if (store_exec(st, err, "UPDATE deployment_status SET status = "
	    "'scaling', message = 'autoscale', updated_at = ? WHERE "
	    "namespace = ? AND status IN ('running', 'created')", "ss", ts,
	    ns) == -1)
		goto fail;
	if (sqlite3_changes(store_db(st)) == 0) {
		es_err_set(err, ES_ECONFLICT, "WrongState", "the ES service "
		    "in namespace '%s' is not running (another operation is "
		    "under way)", ns);
		goto fail;
	}
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

int
autoscale_apply(struct store *st, struct kube_client *kc, const cJSON *rec,
    long long replicas, long long timeout_ms, time_t now,
    struct es_err *err)
{
	struct cluster_op op;
	struct es_err e2 = ES_ERR_INIT;
	const char *ns = kube_str(rec, "namespace");
	int how;

	memset(&op, 0, sizeof op);
	op.st = st;
	op.kc = kc;
	op.now = now;
	op.timeout_ms = timeout_ms;
	op.wait = 1;
	if (cluster_prove(kc, rec, &how, err) == 0)
		return cluster_scale_claimed(&op, ns, replicas, "running",
		    err);
	if (cluster_meta_set_status(st, ns, "running", err->msg, now,
	    &e2) == -1)
		es_err_prefix(err, "the status could not be restored (%s)",
		    e2.msg);
	return -1;
}

int
autoscale_record(struct store *st, const char *ns, time_t now,
    const struct autoscale_result *r, int dry_run, const char *error,
    long long *id, struct es_err *err)
{
	cJSON *d = autoscale_result_json(r);
	char ts[UTIL_TIME_LEN], *js;
	int rc;

	util_time_format(now, ts);
	js = cJSON_PrintUnformatted(d);
	rc = store_exec(st, err, "INSERT INTO autoscale_decision (namespace, "
	    "at, at_unix, action, current_replicas, desired_replicas, "
	    "ratio, reason, details, dry_run, error) VALUES (?, ?, ?, ?, ?, "
	    "?, nullif(?, -1), ?, ?, ?, ?)", "ssisiidssis", ns, ts,
	    (long long)now, autoscale_action_name(r->action), r->current,
	    r->desired, isnan(r->ratio) ? -1.0 : r->ratio, r->reason, js,
	    (long long)dry_run, error);
	if (rc != -1 && id != NULL)
		*id = store_last_insert_id(st);
	cJSON_free(js);
	cJSON_Delete(d);
	return rc == -1 ? -1 : 0;
}

int
autoscale_history(struct store *st, const char *ns, long long limit,
    cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT id, namespace, at, "
	    "action, current_replicas, desired_replicas, ratio, reason, "
	    "dry_run AS dry_run__bool, error, details AS details__json FROM "
	    "autoscale_decision WHERE ?1 IS NULL OR namespace = ?1 ORDER BY "
	    "at_unix DESC, id DESC LIMIT ?2", "si", ns, limit > 0 ? limit :
	    -1LL);
}
