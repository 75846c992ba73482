/*
 * engine.c - the strategy evaluation engine (see engine.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "pool.h"
#include "strategy.h"
#include "util.h"

/* Thresholds are DECIMAL(5,2): compare with a little tolerance. */
#define ENGINE_EPS	1e-9

enum tri { TRI_FALSE, TRI_TRUE, TRI_UNKNOWN };

/* One strategy x cluster pair to evaluate. */
struct engine_pair {
	long long		 strategy_id;
	const char		*strategy_name;	/* in the report's names */
	struct engine_rule	 rule;
	long long		 cooldown;	/* seconds */
	long long		 device_count;
	long long		 cluster_id;
	const char		*cluster_name;	/* in the report's names */
	int			 cluster_deleted;
};

/* A cluster's name, shared by all its pairs. */
struct engine_name {
	long long		 id;
	const char		*name;
};

/* The snapshots of one cluster, loaded once for all its strategies. */
struct engine_series {
	long long		 cluster_id;
	long long		 window;	/* longest duration wanted */
	struct engine_sample	*v;
	size_t			 n;
};

static void	 engine_fmt_dur(long long, char *, size_t);
static double	 engine_metric(const struct engine_sample *, int, int);
static int	 engine_cmp(double, double, int);
static int	 engine_cond(const struct engine_rule *,
		    const struct engine_sample *);
static void	 engine_describe(const struct engine_rule *,
		    const struct engine_sample *, char *, size_t);
static int	 engine_load_pairs(struct store *, const struct engine_opts *,
		    struct engine_report *, struct engine_pair **, size_t *,
		    struct es_err *);
static const char *engine_keep(struct engine_report *, const char *);
static int	 engine_cmp_name(const void *, const void *);
static int	 engine_load_series(struct store *, time_t, long long,
		    struct engine_series *, struct es_err *);
static int	 engine_cmp_series(const void *, const void *);
static void	 engine_json_ref(cJSON *, const char *, const char *);
static void	 engine_result_add(struct engine_report *,
		    const struct engine_pair *, int, const char *);

const char *
engine_outcome_name(int o)
{
	switch (o) {
	case ENGINE_ORDER_CREATED:
		return "order_created";
	case ENGINE_SKIPPED:
		return "skipped";
	default:
		return "failed_check";
	}
}

/* Exact durations for reasons: "1h30m", "15m", "45s", "2d". */
static void
engine_fmt_dur(long long secs, char *buf, size_t len)
{
	long long d, h, m, s;
	size_t n = 0;

	if (secs < 0)
		secs = 0;
	d = secs / 86400;
	h = secs % 86400 / 3600;
	m = secs % 3600 / 60;
	s = secs % 60;
	buf[0] = '\0';
	if (d > 0)
		n += (size_t)snprintf(buf + n, len - n, "%lldd", d);
	if (h > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldh", h);
	if (m > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldm", m);
	if ((s > 0 || secs == 0) && n < len)
		snprintf(buf + n, len - n, "%llds", s);
}

/* The value a threshold of this type compares with. */
static double
engine_metric(const struct engine_sample *s, int cpu, int type)
{
	if (type == STRATEGY_ALLOCATED)
		return cpu ? s->cpu_alloc : s->mem_alloc;
	return cpu ? s->cpu_usage : s->mem_usage;
}

/* pool_entry fires at or above the threshold, pool_exit at or below. */
static int
engine_cmp(double v, double thr, int exit)
{
	if (isnan(v))
		return TRI_UNKNOWN;
	if (exit)
		return v <= thr + ENGINE_EPS ? TRI_TRUE : TRI_FALSE;
	return v >= thr - ENGINE_EPS ? TRI_TRUE : TRI_FALSE;
}

/* The rule's condition on one snapshot, in three-valued logic. */
static int
engine_cond(const struct engine_rule *r, const struct engine_sample *s)
{
	int exit = r->action == STRATEGY_POOL_EXIT, a = -1, b = -1;

	if (r->has_cpu)
		a = engine_cmp(engine_metric(s, 1, r->cpu_type), r->cpu, exit);
	if (r->has_mem)
		b = engine_cmp(engine_metric(s, 0, r->mem_type), r->mem, exit);
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	if (r->logic == STRATEGY_AND) {
		if (a == TRI_FALSE || b == TRI_FALSE)
			return TRI_FALSE;
		if (a == TRI_UNKNOWN || b == TRI_UNKNOWN)
			return TRI_UNKNOWN;
		return TRI_TRUE;
	}
	if (a == TRI_TRUE || b == TRI_TRUE)
		return TRI_TRUE;
	if (a == TRI_UNKNOWN || b == TRI_UNKNOWN)
		return TRI_UNKNOWN;
	return TRI_FALSE;
}

/* "CPU usage 85.0% >= 80.0% AND MEM allocated N/A" for one snapshot. */
static void
engine_describe(const struct engine_rule *r, const struct engine_sample *s,
    char *buf, size_t len)
{
	char part[2][96];
	int exit = r->action == STRATEGY_POOL_EXIT, i, k = 0, c;
	double v, thr;

	for (i = 0; i < 2; i++) {
		if (!(i == 0 ? r->has_cpu : r->has_mem))
			continue;
		v = engine_metric(s, i == 0, i == 0 ? r->cpu_type :
		    r->mem_type);
		thr = i == 0 ? r->cpu : r->mem;
		c = engine_cmp(v, thr, exit);
		if (c == TRI_UNKNOWN)
			snprintf(part[k], sizeof part[k], "%s %s N/A",
			    i == 0 ? "CPU" : "MEM", strategy_type_name(i == 0 ?
			    r->cpu_type : r->mem_type));
		else
			snprintf(part[k], sizeof part[k], "%s %s %.1f%% %s "
			    "%.1f%%", i == 0 ? "CPU" : "MEM",
			    strategy_type_name(i == 0 ? r->cpu_type :
			    r->mem_type), v, c == TRI_TRUE ? (exit ? "<=" :
			    ">=") : (exit ? ">" : "<"), thr);
		k++;
	}
	if (k == 2)
		snprintf(buf, len, "%s %s %s", part[0],
		    strategy_logic_name(r->logic), part[1]);
	else if (k == 1)
		snprintf(buf, len, "%s", part[0]);
	else
		snprintf(buf, len, "no threshold");
}

int
engine_evaluate(const struct engine_rule *r, const struct engine_sample *s,
    size_t n, time_t now, long long max_gap, char *reason, size_t len,
    double *cpu, double *mem)
{
	char t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN], d1[32], d2[32], d3[32];
	char what[256];
	const struct engine_sample *last;
	time_t start;
	size_t i, count;
	int c;

	*cpu = *mem = NAN;
	if (n == 0) {
		engine_fmt_dur(r->duration + max_gap, d1, sizeof d1);
		snprintf(reason, len, "no snapshot of the cluster in the last "
		    "%s", d1);
		return ENGINE_FAILED_CHECK;
	}
	last = &s[n - 1];
	util_time_format(last->t, t1);
	if (now - last->t > max_gap) {
		engine_fmt_dur(now - last->t, d1, sizeof d1);
		engine_fmt_dur(max_gap, d2, sizeof d2);
		snprintf(reason, len, "latest snapshot (%s) is %s old, more "
		    "than the %s gap limit: is snapshot collection running?",
		    t1, d1, d2);
		return ENGINE_FAILED_CHECK;
	}
	if (r->has_cpu)
		*cpu = engine_metric(last, 1, r->cpu_type);
	if (r->has_mem)
		*mem = engine_metric(last, 0, r->mem_type);
	c = engine_cond(r, last);
	engine_describe(r, last, what, sizeof what);
	if (c == TRI_UNKNOWN) {
		snprintf(reason, len, "not proven: values missing in the "
		    "snapshot of %s (%s)", t1, what);
		return ENGINE_FAILED_CHECK;
	}
	if (c == TRI_FALSE) {
		snprintf(reason, len, "condition not met: %s", what);
		return ENGINE_SKIPPED;
	}
	start = now - (time_t)r->duration;
	engine_fmt_dur(r->duration, d2, sizeof d2);
	for (i = n - 1, count = 1; s[i].t > start; i--, count++) {
		if (i == 0) {
			engine_fmt_dur(now - s[0].t, d1, sizeof d1);
			engine_fmt_dur(max_gap, d3, sizeof d3);
			util_time_format(s[0].t, t2);
			snprintf(reason, len, "not proven: snapshots cover "
			    "only %s of the required %s (no snapshot within %s "
			    "before %s)", d1, d2, d3, t2);
			return ENGINE_FAILED_CHECK;
		}
		if (s[i].t - s[i - 1].t > max_gap) {
			engine_fmt_dur(s[i].t - s[i - 1].t, d1, sizeof d1);
			engine_fmt_dur(max_gap, d3, sizeof d3);
			util_time_format(s[i - 1].t, t1);
			util_time_format(s[i].t, t2);
			snprintf(reason, len, "not proven: gap of %s between "
			    "snapshots at %s and %s (limit %s)", d1, t1, t2,
			    d3);
			return ENGINE_FAILED_CHECK;
		}
		c = engine_cond(r, &s[i - 1]);
		if (c == TRI_FALSE) {
			engine_fmt_dur(now - s[i].t, d1, sizeof d1);
			util_time_format(s[i].t, t1);
			snprintf(reason, len, "condition held for %s, less "
			    "than the required %s (since %s): %s", d1, d2, t1,
			    what);
			return ENGINE_SKIPPED;
		}
		if (c == TRI_UNKNOWN) {
			util_time_format(s[i - 1].t, t1);
			snprintf(reason, len, "not proven: values missing in "
			    "the snapshot of %s", t1);
			return ENGINE_FAILED_CHECK;
		}
	}
	util_time_format(s[i].t, t1);
	snprintf(reason, len, "condition held for %s (%zu snapshot%s since "
	    "%s): %s", d2, count, count > 1 ? "s" : "", t1, what);
	return ENGINE_ORDER_CREATED;
}

/* Keeps a copy of s in the report; returns it. */
static const char *
engine_keep(struct engine_report *rep, const char *s)
{
	if ((rep->nnames & (rep->nnames - 1)) == 0)
		rep->names = xreallocarray(rep->names, rep->nnames ?
		    rep->nnames * 2 : 1, sizeof *rep->names);
	rep->names[rep->nnames] = xstrdup(s ? s : "");
	return rep->names[rep->nnames++];
}

static int
engine_cmp_name(const void *a, const void *b)
{
	const struct engine_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Reads the enabled strategy x cluster pairs the options select.  Names
 * are kept once per strategy and cluster in the report.
 */
static int
engine_load_pairs(struct store *st, const struct engine_opts *o,
    struct engine_report *rep, struct engine_pair **out, size_t *n,
    struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_pair *p;
	struct engine_name *cl = NULL, key, *hit;
	size_t alloc = 0, k, ncl = 0, acl = 0;
	long long sid, prev = 0;
	const char *sname = NULL;
	int rc, keep;

	*out = NULL;
	*n = 0;
	stmt = store_prepare(st, err, "SELECT s.id, s.name, "
	    "s.threshold_trigger_action, s.cpu_threshold_value, "
	    "s.cpu_threshold_type, s.memory_threshold_value, "
	    "s.memory_threshold_type, s.condition_logic, s.duration_minutes, "
	    "s.cooldown_minutes, s.device_count, c.id, c.clustername, "
	    "c.deleted_at IS NOT NULL FROM elastic_scaling_strategy s "
	    "JOIN strategy_cluster_association a ON a.strategy_id = s.id "
	    "JOIN k8s_cluster c ON c.id = a.cluster_id "
	    "WHERE s.status = 'enabled' AND (?1 < 0 OR c.id = ?1) "
	    "ORDER BY s.id, c.clustername, c.id", "i", o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		sid = sqlite3_column_int64(stmt, 0);
		keep = o->nstrategy == 0;
		for (k = 0; k < o->nstrategy && !keep; k++)
			keep = o->strategy_ids[k] == sid;
		if (!keep)
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			*out = xreallocarray(*out, alloc, sizeof **out);
		}
		p = &(*out)[(*n)++];
		memset(p, 0, sizeof *p);
		if (sname == NULL || sid != prev)
			sname = engine_keep(rep, (const char *)
			    sqlite3_column_text(stmt, 1));
		prev = sid;
		p->strategy_name = sname;
		key.id = sqlite3_column_int64(stmt, 11);
		hit = ncl ? bsearch(&key, cl, ncl, sizeof *cl,
		    engine_cmp_name) : NULL;
		if (hit == NULL) {
			if (ncl == acl) {
				acl = acl ? acl * 2 : 64;
				cl = xreallocarray(cl, acl, sizeof *cl);
			}
			cl[ncl].id = key.id;
			cl[ncl].name = engine_keep(rep, (const char *)
			    sqlite3_column_text(stmt, 12));
			hit = &cl[ncl++];
			if (ncl > 1 && cl[ncl - 2].id > key.id) {
				key.name = hit->name;
				qsort(cl, ncl, sizeof *cl, engine_cmp_name);
				hit = bsearch(&key, cl, ncl, sizeof *cl,
				    engine_cmp_name);
			}
		}
		p->cluster_name = hit->name;
		p->strategy_id = sid;
		strategy_action_parse((const char *)sqlite3_column_text(stmt,
		    2), &p->rule.action, NULL);
		if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
			p->rule.has_cpu = 1;
			p->rule.cpu = sqlite3_column_double(stmt, 3);
			strategy_type_parse((const char *)sqlite3_column_text(
			    stmt, 4), "", &p->rule.cpu_type, NULL);
		}
		if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
			p->rule.has_mem = 1;
			p->rule.mem = sqlite3_column_double(stmt, 5);
			strategy_type_parse((const char *)sqlite3_column_text(
			    stmt, 6), "", &p->rule.mem_type, NULL);
		}
		p->rule.logic = STRATEGY_OR;
		if (sqlite3_column_type(stmt, 7) != SQLITE_NULL)
			strategy_logic_parse((const char *)sqlite3_column_text(
			    stmt, 7), &p->rule.logic, NULL);
		p->rule.duration = sqlite3_column_int64(stmt, 8) * 60;
		p->cooldown = sqlite3_column_int64(stmt, 9) * 60;
		p->device_count = sqlite3_column_int64(stmt, 10);
		p->cluster_id = key.id;
		p->cluster_deleted = sqlite3_column_int(stmt, 13);
	}
	sqlite3_finalize(stmt);
	free(cl);
	return rc == -1 ? -1 : 0;
}

/* Reads a cluster's snapshots of [now - window - max_gap, now]. */
static int
engine_load_series(struct store *st, time_t now, long long max_gap,
    struct engine_series *se, struct es_err *err)
{
	char lo[UTIL_TIME_LEN], hi[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	struct engine_sample *x;
	int rc, i;

	util_time_format(now - (time_t)se->window - (time_t)max_gap, lo);
	util_time_format(now, hi);
	stmt = store_prepare(st, err, "SELECT CAST(strftime('%s', "
	    "collected_at) AS INTEGER), max_cpu, max_memory, "
	    "cpu_allocation_ratio, mem_allocation_ratio FROM "
	    "k8s_cluster_resource_snapshot WHERE cluster_id = ? AND "
	    "resource_type = 'cluster' AND deleted_at IS NULL AND "
	    "collected_at >= ? AND collected_at <= ? ORDER BY collected_at",
	    "iss", se->cluster_id, lo, hi);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		if (se->n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			se->v = xreallocarray(se->v, alloc, sizeof *se->v);
		}
		x = &se->v[se->n++];
		x->t = (time_t)sqlite3_column_int64(stmt, 0);
		for (i = 1; i <= 4; i++) {
			double d = sqlite3_column_type(stmt, i) == SQLITE_NULL ?
			    NAN : sqlite3_column_double(stmt, i);

			if (i == 1)
				x->cpu_usage = d;
			else if (i == 2)
				x->mem_usage = d;
			else if (i == 3)
				x->cpu_alloc = d;
			else
				x->mem_alloc = d;
		}
	}
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

static int
engine_cmp_series(const void *a, const void *b)
{
	const struct engine_series *x = a, *y = b;

	return x->cluster_id < y->cluster_id ? -1 :
	    x->cluster_id > y->cluster_id;
}

static void
engine_result_add(struct engine_report *rep, const struct engine_pair *p,
    int outcome, const char *reason)
{
	struct engine_result *r;

	if (rep->n == rep->alloc) {
		rep->alloc = rep->alloc ? rep->alloc * 2 : 64;
		rep->results = xreallocarray(rep->results, rep->alloc,
		    sizeof *rep->results);
	}
	r = &rep->results[rep->n++];
	memset(r, 0, sizeof *r);
	r->strategy_id = p->strategy_id;
	r->strategy_name = p->strategy_name;
	r->cluster_id = p->cluster_id;
	r->cluster_name = p->cluster_name;
	r->outcome = outcome;
	r->reason = xstrdup(reason);
	r->action = p->rule.action;
	r->device_count = p->device_count;
}

int
engine_check(struct store *st, const struct engine_opts *o,
    struct engine_report **out, struct es_err *err)
{
	struct engine_report *rep;
	struct engine_pair *pairs = NULL, *p;
	struct engine_series *series = NULL, key, *se;
	struct engine_result *r;
	sqlite3_stmt *last_q = NULL, *open_q = NULL, *hist_q = NULL;
	sqlite3_stmt *order_q = NULL;
	char reason[1024], now_s[UTIL_TIME_LEN], t[UTIL_TIME_LEN];
	char d1[32];
	size_t npairs = 0, nseries = 0, i;
	long long seq = 0;
	double cpu, mem;
	int outcome, rc = -1, in_txn = 0;

	*out = NULL;
	rep = xcalloc(1, sizeof *rep);
	rep->at = o->now;
	util_time_format(o->now, now_s);
	snprintf(rep->at_text, sizeof rep->at_text, "%s", now_s);
	if (!o->dry_run) {
		if (store_begin(st, err) == -1)
			goto done;
		in_txn = 1;
	}
	if (engine_load_pairs(st, o, rep, &pairs, &npairs, err) == -1)
		goto done;

	/* each cluster's snapshots once, for its longest window */
	series = xcalloc(npairs ? npairs : 1, sizeof *series);
	for (i = 0; i < npairs; i++) {
		key.cluster_id = pairs[i].cluster_id;
		se = nseries ? bsearch(&key, series, nseries, sizeof *series,
		    engine_cmp_series) : NULL;
		if (se == NULL) {
			se = &series[nseries++];
			se->cluster_id = pairs[i].cluster_id;
			se->window = pairs[i].rule.duration;
			qsort(series, nseries, sizeof *series,
			    engine_cmp_series);
		} else if (pairs[i].rule.duration > se->window)
			se->window = pairs[i].rule.duration;
	}
	for (i = 0; i < nseries; i++)
		if (engine_load_series(st, o->now, o->max_gap, &series[i],
		    err) == -1)
			goto done;

	last_q = store_prepare(st, err, "SELECT order_number, created_at, "
	    "CAST(strftime('%s', created_at) AS INTEGER) FROM "
	    "elastic_scaling_order WHERE strategy_id = ? AND cluster_id = ? "
	    "AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT 1",
	    "nnn");
	open_q = store_prepare(st, err, "SELECT order_number, status FROM "
	    "elastic_scaling_order WHERE strategy_id = ? AND cluster_id = ? "
	    "AND status IN " ORDER_OPEN_SQL " LIMIT 1", "nn");
	if (last_q == NULL || open_q == NULL)
		goto done;
	if (!o->dry_run) {
		hist_q = store_prepare(st, err, "INSERT INTO "
		    "strategy_execution_history (strategy_id, cluster_id, "
		    "execution_time, triggered_value, threshold_value, result, "
		    "order_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		    "nnnnnnnn");
		order_q = store_prepare(st, err, "INSERT INTO "
		    "elastic_scaling_order (order_number, cluster_id, "
		    "strategy_id, action_type, status, device_count, "
		    "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, "
		    "'pending', ?, ?, ?7, ?7)", "nnnnnnn");
		if (hist_q == NULL || order_q == NULL)
			goto done;
	}

	for (i = 0; i < npairs; i++) {
		p = &pairs[i];
		cpu = mem = NAN;
		if (p->cluster_deleted) {
			outcome = ENGINE_FAILED_CHECK;
			snprintf(reason, sizeof reason, "cluster '%s' is no "
			    "longer registered", p->cluster_name);
		} else {
			key.cluster_id = p->cluster_id;
			se = bsearch(&key, series, nseries, sizeof *series,
			    engine_cmp_series);
			outcome = engine_evaluate(&p->rule, se->v, se->n,
			    o->now, o->max_gap, reason, sizeof reason, &cpu,
			    &mem);
		}
		if (outcome == ENGINE_ORDER_CREATED) {
			/* cooldown since the last order of this pair */
			sqlite3_reset(last_q);
			sqlite3_bind_int64(last_q, 1, p->strategy_id);
			sqlite3_bind_int64(last_q, 2, p->cluster_id);
			sqlite3_bind_text(last_q, 3, now_s, -1,
			    SQLITE_TRANSIENT);
			rc = store_step(st, last_q, err);
			if (rc == -1)
				goto done;
			if (rc == 1 && o->now - sqlite3_column_int64(last_q,
			    2) < p->cooldown) {
				util_time_format((time_t)sqlite3_column_int64(
				    last_q, 2) + (time_t)p->cooldown, t);
				engine_fmt_dur(p->cooldown, d1, sizeof d1);
				outcome = ENGINE_SKIPPED;
				snprintf(reason, sizeof reason, "in cooldown "
				    "until %s (%s after order %s at %s)", t,
				    d1, sqlite3_column_text(last_q, 0),
				    sqlite3_column_text(last_q, 1));
			}
			rc = -1;
		}
		if (outcome == ENGINE_ORDER_CREATED) {
			sqlite3_reset(open_q);
			sqlite3_bind_int64(open_q, 1, p->strategy_id);
			sqlite3_bind_int64(open_q, 2, p->cluster_id);
			rc = store_step(st, open_q, err);
			if (rc == -1)
				goto done;
			if (rc == 1) {
				outcome = ENGINE_SKIPPED;
				snprintf(reason, sizeof reason, "order %s is "
				    "still %s", sqlite3_column_text(open_q, 0),
				    sqlite3_column_text(open_q, 1));
			}
			rc = -1;
		}
		engine_result_add(rep, p, outcome, reason);
		r = &rep->results[rep->n - 1];
		pool_format_pair(r->triggered_value, sizeof r->triggered_value,
		    p->rule.has_cpu, cpu, p->rule.has_mem, mem);
		pool_format_pair(r->threshold_value, sizeof r->threshold_value,
		    p->rule.has_cpu, p->rule.cpu, p->rule.has_mem,
		    p->rule.mem);
		if (outcome == ENGINE_ORDER_CREATED && o->dry_run)
			r->would_create = 1;
		else if (outcome == ENGINE_ORDER_CREATED) {
			/* numbers of one run: look up once, then count on */
			if (seq == 0 && order_next_sequence(st, o->now, &seq,
			    err) == -1)
				goto done;
			order_number_format(o->now, seq++, r->order_number);
			sqlite3_reset(order_q);
			sqlite3_bind_text(order_q, 1, r->order_number, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(order_q, 2, p->cluster_id);
			sqlite3_bind_int64(order_q, 3, p->strategy_id);
			sqlite3_bind_text(order_q, 4, strategy_action_name(
			    p->rule.action), -1, SQLITE_STATIC);
			sqlite3_bind_int64(order_q, 5, p->device_count);
			sqlite3_bind_text(order_q, 6, o->created_by ?
			    o->created_by : "system", -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(order_q, 7, now_s, -1,
			    SQLITE_TRANSIENT);
			if (store_step(st, order_q, err) == -1) {
				es_err_prefix(err, "cannot create order");
				goto done;
			}
			r->order_id = store_last_insert_id(st);
		}
		if (outcome == ENGINE_ORDER_CREATED)
			rep->created++;
		else if (outcome == ENGINE_SKIPPED)
			rep->skipped++;
		else
			rep->failed++;
		if (o->dry_run)
			continue;
		sqlite3_reset(hist_q);
		sqlite3_bind_int64(hist_q, 1, p->strategy_id);
		sqlite3_bind_int64(hist_q, 2, p->cluster_id);
		sqlite3_bind_text(hist_q, 3, now_s, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(hist_q, 4, r->triggered_value, -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(hist_q, 5, r->threshold_value, -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(hist_q, 6, engine_outcome_name(outcome), -1,
		    SQLITE_STATIC);
		if (r->order_id > 0)
			sqlite3_bind_int64(hist_q, 7, r->order_id);
		else
			sqlite3_bind_null(hist_q, 7);
		sqlite3_bind_text(hist_q, 8, r->reason, -1, SQLITE_TRANSIENT);
		if (store_step(st, hist_q, err) == -1) {
			es_err_prefix(err, "cannot record history");
			goto done;
		}
	}
	sqlite3_finalize(last_q);
	sqlite3_finalize(open_q);
	sqlite3_finalize(hist_q);
	sqlite3_finalize(order_q);
	last_q = open_q = hist_q = order_q = NULL;
	if (!o->dry_run && o->retention > 0) {
		util_time_format(o->now - (time_t)o->retention, t);
		if (store_exec(st, err, "DELETE FROM "
		    "strategy_execution_history WHERE execution_time < ? AND "
		    "result <> 'order_created'", "s", t) == -1)
			goto done;
	}
	if (in_txn) {
		in_txn = 0;
		if (store_commit(st, err) == -1)
			goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(last_q);
	sqlite3_finalize(open_q);
	sqlite3_finalize(hist_q);
	sqlite3_finalize(order_q);
	if (in_txn)
		store_rollback(st);
	free(pairs);
	for (i = 0; i < nseries; i++)
		free(series[i].v);
	free(series);
	if (rc == -1)
		engine_report_free(rep);
	else
		*out = rep;
	return rc;
}

void
engine_report_free(struct engine_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->n; i++)
		free(rep->results[i].reason);
	free(rep->results);
	for (i = 0; i < rep->nnames; i++)
		free(rep->names[i]);
	free(rep->names);
	free(rep);
}

/* Adds a member with a constant key and a borrowed string value. */
static void
engine_json_ref(cJSON *o, const char *key, const char *v)
{
	cJSON_AddItemToObjectCS(o, key, v != NULL ?
	    cJSON_CreateStringReference(v) : cJSON_CreateNull());
}

cJSON *
engine_report_json(const struct engine_report *rep)
{
	const struct engine_result *r;
	cJSON *arr, *o;
	size_t i;

	arr = cJSON_CreateArray();
	for (i = 0; i < rep->n; i++) {
		r = &rep->results[i];
		o = cJSON_CreateObject();
		cJSON_AddItemToObjectCS(o, "strategy_id",
		    cJSON_CreateNumber((double)r->strategy_id));
		engine_json_ref(o, "strategy_name", r->strategy_name);
		cJSON_AddItemToObjectCS(o, "cluster_id",
		    cJSON_CreateNumber((double)r->cluster_id));
		engine_json_ref(o, "cluster_name", r->cluster_name);
		engine_json_ref(o, "result", engine_outcome_name(r->outcome));
		engine_json_ref(o, "reason", r->reason);
		engine_json_ref(o, "triggered_value", r->triggered_value);
		engine_json_ref(o, "threshold_value", r->threshold_value);
		if (r->order_id > 0) {
			cJSON_AddItemToObjectCS(o, "order_id",
			    cJSON_CreateNumber((double)r->order_id));
			engine_json_ref(o, "order_number", r->order_number);
		} else {
			engine_json_ref(o, "order_id", NULL);
			engine_json_ref(o, "order_number", NULL);
		}
		engine_json_ref(o, "execution_time", rep->at_text);
		if (r->would_create)
			cJSON_AddItemToObjectCS(o, "dry_run",
			    cJSON_CreateTrue());
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
