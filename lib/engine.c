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

/*
 * What a result's reason says, whatever its values: a pair's history gets
 * a new row when this (or the result) changes, and for every order.
 * Stored in strategy_pair_state.kind: never renumber.
 */
enum engine_kind {
	KIND_NO_SNAPSHOT = 1,	/* no snapshot in the window */
	KIND_STALE,		/* latest snapshot older than max_gap */
	KIND_MISSING_LATEST,	/* values missing in the latest snapshot */
	KIND_NOT_MET,		/* condition not met */
	KIND_COVERAGE,		/* snapshots do not reach back */
	KIND_GAP,		/* gap between snapshots */
	KIND_HELD_SHORT,	/* held, but not long enough */
	KIND_MISSING_WINDOW,	/* values missing inside the window */
	KIND_PROVEN,		/* condition held: order created */
	KIND_CLUSTER_GONE,	/* cluster no longer registered */
	KIND_COOLDOWN,		/* proven, in cooldown */
	KIND_ORDER_OPEN		/* proven, an order is still open */
};

/* History rows written by one INSERT statement. */
#define ENGINE_BATCH	128

/* One enabled strategy. */
struct engine_strategy {
	long long		 id;
	const char		*name;		/* in the report's names */
	struct engine_rule	 rule;
	long long		 cooldown;	/* seconds */
	long long		 device_count;
	char			 threshold[48];	/* "CPU:80.0%,MEM:N/A" */
};

/* One cluster and its snapshots, loaded once for all its strategies. */
struct engine_cluster {
	long long		 id;
	const char		*name;		/* in the report's names */
	int			 deleted;
	int			 used;		/* in a pair */
	size_t			 rank;		/* by name, then id */
	long long		 window;	/* longest duration wanted */
	struct engine_sample	*v;
	size_t			 n;
};

/* One strategy x cluster pair to evaluate. */
struct engine_pair {
	const struct engine_strategy	*s;
	struct engine_cluster		*c;
};

/* What the pairs are made of. */
struct engine_set {
	struct engine_strategy	*s;
	size_t			 ns;
	struct engine_cluster	*c;		/* by name, then id */
	struct engine_cluster	**byid;		/* the same, by id */
	size_t			 nc;
	struct engine_pair	*p;
	size_t			 np;
};

/*
 * A multi-row INSERT: ENGINE_BATCH rows a statement saves most of the
 * per-statement work (and sqlite_sequence updates) of 200,000 rows.  The
 * foreign keys make SQLite keep a statement journal for such a statement
 * (a copy of every page it touches first, about a tenth of a first check
 * of 200,000 pairs whether 32 or 128 rows a statement; 128 measured 4-5%
 * less CPU in all).  Single-row statements, which need no journal, cost
 * more: 5.7-6.5 s of CPU for that check against 4.4-5.1 s.
 */
#define ENGINE_HIST_ROW	"(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define ENGINE_HIST_R2	ENGINE_HIST_ROW ", " ENGINE_HIST_ROW
#define ENGINE_HIST_R4	ENGINE_HIST_R2 ", " ENGINE_HIST_R2
#define ENGINE_HIST_R8	ENGINE_HIST_R4 ", " ENGINE_HIST_R4
#define ENGINE_HIST_R16	ENGINE_HIST_R8 ", " ENGINE_HIST_R8
#define ENGINE_HIST_R32	ENGINE_HIST_R16 ", " ENGINE_HIST_R16
#define ENGINE_HIST_R64	ENGINE_HIST_R32 ", " ENGINE_HIST_R32
#define ENGINE_HIST_R128 ENGINE_HIST_R64 ", " ENGINE_HIST_R64
/* Their binding formats (all bound by engine_history). */
#define ENGINE_HIST_F	"nnnnnnnnn"
#define ENGINE_HIST_F2	ENGINE_HIST_F ENGINE_HIST_F
#define ENGINE_HIST_F4	ENGINE_HIST_F2 ENGINE_HIST_F2
#define ENGINE_HIST_F8	ENGINE_HIST_F4 ENGINE_HIST_F4
#define ENGINE_HIST_F16	ENGINE_HIST_F8 ENGINE_HIST_F8
#define ENGINE_HIST_F32	ENGINE_HIST_F16 ENGINE_HIST_F16
#define ENGINE_HIST_F64	ENGINE_HIST_F32 ENGINE_HIST_F32
#define ENGINE_HIST_F128 ENGINE_HIST_F64 ENGINE_HIST_F64
#define ENGINE_HIST_SQL	"INSERT INTO strategy_execution_history " \
	"(strategy_id, cluster_id, execution_time, triggered_value, " \
	"threshold_value, result, order_id, reason, last_execution_time) " \
	"VALUES "
#define ENGINE_HIST_RET	" RETURNING id, strategy_id, cluster_id"
/* The pairs' new current rows: as many rows a statement. */
#define ENGINE_ST_ROW	"(?, ?, ?, ?, ?, ?, 1)"
#define ENGINE_ST_R2	ENGINE_ST_ROW ", " ENGINE_ST_ROW
#define ENGINE_ST_R4	ENGINE_ST_R2 ", " ENGINE_ST_R2
#define ENGINE_ST_R8	ENGINE_ST_R4 ", " ENGINE_ST_R4
#define ENGINE_ST_R16	ENGINE_ST_R8 ", " ENGINE_ST_R8
#define ENGINE_ST_R32	ENGINE_ST_R16 ", " ENGINE_ST_R16
#define ENGINE_ST_R64	ENGINE_ST_R32 ", " ENGINE_ST_R32
#define ENGINE_ST_R128	ENGINE_ST_R64 ", " ENGINE_ST_R64
#define ENGINE_ST_F	"nnnnnn"
#define ENGINE_ST_F2	ENGINE_ST_F ENGINE_ST_F
#define ENGINE_ST_F4	ENGINE_ST_F2 ENGINE_ST_F2
#define ENGINE_ST_F8	ENGINE_ST_F4 ENGINE_ST_F4
#define ENGINE_ST_F16	ENGINE_ST_F8 ENGINE_ST_F8
#define ENGINE_ST_F32	ENGINE_ST_F16 ENGINE_ST_F16
#define ENGINE_ST_F64	ENGINE_ST_F32 ENGINE_ST_F32
#define ENGINE_ST_F128	ENGINE_ST_F64 ENGINE_ST_F64
#define ENGINE_ST_SQL	"INSERT INTO strategy_pair_state (strategy_id, " \
	"cluster_id, history_id, kind, since, last_execution_time, " \
	"evaluations) " \
	"VALUES "
#define ENGINE_ST_UPSERT " ON CONFLICT (strategy_id, cluster_id) DO " \
	"UPDATE SET history_id = excluded.history_id, kind = excluded.kind, " \
	"since = excluded.since, last_execution_time = " \
	"excluded.last_execution_time, evaluations = 1"

/*
 * The result kind of a quiet run: the default, uneventful result of most
 * pairs.  Such a run has no history row while it goes on (history_id
 * NULL in strategy_pair_state, schema 15); it gets one when it ends.
 */
#define KIND_QUIET	KIND_NOT_MET

/* A pair's current run, as strategy_pair_state has it. */
struct engine_state {
	long long	sid, cid;
	int		kind;
	int		quiet;		/* no history row (history_id NULL) */
	long long	group;		/* its quiet group (index), or -1 */
	size_t		member;		/* its place in the group */
};

/*
 * A strategy_quiet row: the pairs of one strategy whose quiet run began
 * at the same check (the check that saw them first) and has gone on at
 * every check of all strategies since.  They have no state row; the
 * group has their first and last check and their number.
 */
struct engine_group {
	long long	 id, sid, evaluations;
	char		 since[UTIL_TIME_LEN], last[UTIL_TIME_LEN];
	long long	*cid;		/* the members */
	unsigned char	*gone;		/* left the group in this check */
	unsigned char	*seen;		/* evaluated in this check */
	size_t		 n;
	int		 dirty;
};

/* A group member that gets a state row of its own (a quiet run). */
struct engine_split {
	long long	 sid, cid, evaluations;
	const char	*since, *last;
};

static void	 engine_fmt_dur(long long, char *, size_t);
static double	 engine_metric(const struct engine_sample *, int, int);
static int	 engine_cmp(double, double, int);
static int	 engine_cond(const struct engine_rule *,
		    const struct engine_sample *);
static void	 engine_describe(const struct engine_rule *,
		    const struct engine_sample *, char *, size_t);
static const char *engine_keep(struct engine_report *, const char *);
static int	 engine_cmp_id(const void *, const void *);
static int	 engine_cmp_rank(const void *, const void *);
static int	 engine_cmp_sid(const void *, const void *);
static int	 engine_load_strategies(struct store *,
		    const struct engine_opts *, struct engine_report *,
		    struct engine_set *, struct es_err *);
static int	 engine_load_clusters(struct store *,
		    const struct engine_opts *, struct engine_report *,
		    struct engine_set *, struct es_err *);
static int	 engine_load_pairs(struct store *, const struct engine_opts *,
		    struct engine_report *, struct engine_set *,
		    struct es_err *);
static void	 engine_set_release(struct engine_set *);
static int	 engine_load_series(struct store *, time_t, long long,
		    struct engine_cluster *, struct es_err *);
static int	 engine_cmp_state(const void *, const void *);
static int	 engine_load_state(struct store *, const struct engine_opts *,
		    struct engine_state **, size_t *, struct es_err *);
static int	 engine_load_groups(struct store *,
		    const struct engine_opts *, struct engine_group **,
		    size_t *, struct engine_state **, size_t *,
		    struct es_err *);
static void	 engine_groups_free(struct engine_group *, size_t);
static int	 engine_write_groups(struct store *, const struct engine_set *,
		    struct engine_group *, size_t, const char *,
		    const struct engine_split *, size_t, struct es_err *);
static int	 engine_history(struct store *, sqlite3_stmt *,
		    const struct engine_report *, const size_t *,
		    const size_t *, size_t, long long *, struct es_err *);
static int	 engine_states(struct store *, sqlite3_stmt *,
		    const struct engine_report *, const int *,
		    const long long *, const size_t *, size_t,
		    struct es_err *);
static void	 engine_json_ref(cJSON *, const char *, const char *);
static int	 engine_evaluate_kind(const struct engine_rule *,
		    const struct engine_sample *, size_t, time_t, long long,
		    char *, size_t, double *, double *, int *);

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
	int kind;

	return engine_evaluate_kind(r, s, n, now, max_gap, reason, len, cpu,
	    mem, &kind);
}

/*
 * engine_evaluate, and *kind: what the reason says (enum engine_kind).
 * Without reason (NULL), nothing is formatted: the outcome, the kind and
 * the values only.
 */
static int
engine_evaluate_kind(const struct engine_rule *r,
    const struct engine_sample *s, size_t n, time_t now, long long max_gap,
    char *reason, size_t len, double *cpu, double *mem, int *kind)
{
	char t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN], d1[32], d2[32], d3[32];
	char what[256];
	const struct engine_sample *last;
	time_t start;
	size_t i, count;
	int c, text = reason != NULL;

	*cpu = *mem = NAN;
	if (n == 0) {
		*kind = KIND_NO_SNAPSHOT;
		if (!text)
			return ENGINE_FAILED_CHECK;
		engine_fmt_dur(r->duration + max_gap, d1, sizeof d1);
		snprintf(reason, len, "no snapshot of the cluster in the last "
		    "%s", d1);
		return ENGINE_FAILED_CHECK;
	}
	last = &s[n - 1];
	if (text)
		util_time_format(last->t, t1);
	if (now - last->t > max_gap) {
		*kind = KIND_STALE;
		if (!text)
			return ENGINE_FAILED_CHECK;
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
	if (text)
		engine_describe(r, last, what, sizeof what);
	if (c == TRI_UNKNOWN) {
		*kind = KIND_MISSING_LATEST;
		if (text)
			snprintf(reason, len, "not proven: values missing in "
			    "the snapshot of %s (%s)", t1, what);
		return ENGINE_FAILED_CHECK;
	}
	if (c == TRI_FALSE) {
		*kind = KIND_NOT_MET;
		if (text)
			snprintf(reason, len, "condition not met: %s", what);
		return ENGINE_SKIPPED;
	}
	start = now - (time_t)r->duration;
	if (text)
		engine_fmt_dur(r->duration, d2, sizeof d2);
	for (i = n - 1, count = 1; s[i].t > start; i--, count++) {
		if (i == 0) {
			*kind = KIND_COVERAGE;
			if (!text)
				return ENGINE_FAILED_CHECK;
			engine_fmt_dur(now - s[0].t, d1, sizeof d1);
			engine_fmt_dur(max_gap, d3, sizeof d3);
			util_time_format(s[0].t, t2);
			snprintf(reason, len, "not proven: snapshots cover "
			    "only %s of the required %s (no snapshot within %s "
			    "before %s)", d1, d2, d3, t2);
			return ENGINE_FAILED_CHECK;
		}
		if (s[i].t - s[i - 1].t > max_gap) {
			*kind = KIND_GAP;
			if (!text)
				return ENGINE_FAILED_CHECK;
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
			*kind = KIND_HELD_SHORT;
			if (!text)
				return ENGINE_SKIPPED;
			engine_fmt_dur(now - s[i].t, d1, sizeof d1);
			util_time_format(s[i].t, t1);
			snprintf(reason, len, "condition held for %s, less "
			    "than the required %s (since %s): %s", d1, d2, t1,
			    what);
			return ENGINE_SKIPPED;
		}
		if (c == TRI_UNKNOWN) {
			*kind = KIND_MISSING_WINDOW;
			if (!text)
				return ENGINE_FAILED_CHECK;
			util_time_format(s[i - 1].t, t1);
			snprintf(reason, len, "not proven: values missing in "
			    "the snapshot of %s", t1);
			return ENGINE_FAILED_CHECK;
		}
	}
	*kind = KIND_PROVEN;
	if (!text)
		return ENGINE_ORDER_CREATED;
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

/* Orders clusters (through pointers) by id. */
static int
engine_cmp_id(const void *a, const void *b)
{
	const struct engine_cluster *x = *(struct engine_cluster *const *)a;
	const struct engine_cluster *y = *(struct engine_cluster *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Orders strategies by id. */
static int
engine_cmp_sid(const void *a, const void *b)
{
	const struct engine_strategy *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Orders one strategy's pairs by cluster name, then id. */
static int
engine_cmp_rank(const void *a, const void *b)
{
	const struct engine_pair *x = a, *y = b;

	return x->c->rank < y->c->rank ? -1 : x->c->rank > y->c->rank;
}

/* Reads the enabled strategies the options select, by id. */
static int
engine_load_strategies(struct store *st, const struct engine_opts *o,
    struct engine_report *rep, struct engine_set *set, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_strategy *s;
	size_t alloc = 0, k;
	long long sid;
	int rc, keep;

	stmt = store_prepare(st, err, "SELECT id, name, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, memory_threshold_value, "
	    "memory_threshold_type, condition_logic, duration_minutes, "
	    "cooldown_minutes, device_count FROM elastic_scaling_strategy "
	    "WHERE status = 'enabled' ORDER BY id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		sid = sqlite3_column_int64(stmt, 0);
		keep = o->nstrategy == 0;
		for (k = 0; k < o->nstrategy && !keep; k++)
			keep = o->strategy_ids[k] == sid;
		if (!keep)
			continue;
		if (set->ns == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			set->s = xreallocarray(set->s, alloc, sizeof *set->s);
		}
		s = &set->s[set->ns++];
		memset(s, 0, sizeof *s);
		s->id = sid;
		s->name = engine_keep(rep, (const char *)sqlite3_column_text(
		    stmt, 1));
		strategy_action_parse((const char *)sqlite3_column_text(stmt,
		    2), &s->rule.action, NULL);
		if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) {
			s->rule.has_cpu = 1;
			s->rule.cpu = sqlite3_column_double(stmt, 3);
			strategy_type_parse((const char *)sqlite3_column_text(
			    stmt, 4), "", &s->rule.cpu_type, NULL);
		}
		if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
			s->rule.has_mem = 1;
			s->rule.mem = sqlite3_column_double(stmt, 5);
			strategy_type_parse((const char *)sqlite3_column_text(
			    stmt, 6), "", &s->rule.mem_type, NULL);
		}
		s->rule.logic = STRATEGY_OR;
		if (sqlite3_column_type(stmt, 7) != SQLITE_NULL)
			strategy_logic_parse((const char *)sqlite3_column_text(
			    stmt, 7), &s->rule.logic, NULL);
		s->rule.duration = sqlite3_column_int64(stmt, 8) * 60;
		s->cooldown = sqlite3_column_int64(stmt, 9) * 60;
		s->device_count = sqlite3_column_int64(stmt, 10);
		pool_format_pair(s->threshold, sizeof s->threshold,
		    s->rule.has_cpu, s->rule.cpu, s->rule.has_mem,
		    s->rule.mem);
	}
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

/* Reads the clusters the options select, by name, then id. */
static int
engine_load_clusters(struct store *st, const struct engine_opts *o,
    struct engine_report *rep, struct engine_set *set, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_cluster *c;
	size_t alloc = 0, i;
	int rc;

	stmt = store_prepare(st, err, "SELECT id, clustername, "
	    "deleted_at IS NOT NULL FROM k8s_cluster WHERE ?1 < 0 OR id = ?1 "
	    "ORDER BY clustername, id", "i", o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		if (set->nc == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			set->c = xreallocarray(set->c, alloc, sizeof *set->c);
		}
		c = &set->c[set->nc];
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(stmt, 0);
		c->name = engine_keep(rep, (const char *)sqlite3_column_text(
		    stmt, 1));
		c->deleted = sqlite3_column_int(stmt, 2);
		c->rank = set->nc++;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	set->byid = xcalloc(set->nc ? set->nc : 1, sizeof *set->byid);
	for (i = 0; i < set->nc; i++)
		set->byid[i] = &set->c[i];
	qsort(set->byid, set->nc, sizeof *set->byid, engine_cmp_id);
	return 0;
}

/*
 * The enabled strategy x cluster pairs the options select, by strategy id,
 * cluster name and cluster id: strategies, clusters and associations are
 * read apart and joined here, which is much cheaper than sorting the
 * joined rows in SQL when every strategy watches every cluster.  Names are
 * kept once per strategy and cluster in the report.
 */
static int
engine_load_pairs(struct store *st, const struct engine_opts *o,
    struct engine_report *rep, struct engine_set *set, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_cluster key, *kp = &key, **hit;
	struct engine_pair *p;
	size_t alloc = 0, si = 0, start = 0;
	long long sid;
	int rc;

	if (engine_load_strategies(st, o, rep, set, err) == -1 ||
	    engine_load_clusters(st, o, rep, set, err) == -1)
		return -1;
	stmt = store_prepare(st, err, "SELECT strategy_id, cluster_id FROM "
	    "strategy_cluster_association WHERE ?1 < 0 OR cluster_id = ?1 "
	    "ORDER BY strategy_id, cluster_id", "i", o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		sid = sqlite3_column_int64(stmt, 0);
		while (si < set->ns && set->s[si].id < sid)
			si++;
		if (si == set->ns || set->s[si].id != sid)
			continue;
		key.id = sqlite3_column_int64(stmt, 1);
		hit = bsearch(&kp, set->byid, set->nc, sizeof *set->byid,
		    engine_cmp_id);
		if (hit == NULL)
			continue;
		if (set->np == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			set->p = xreallocarray(set->p, alloc, sizeof *set->p);
		}
		if (set->np > 0 && set->p[set->np - 1].s != &set->s[si]) {
			qsort(set->p + start, set->np - start, sizeof *set->p,
			    engine_cmp_rank);
			start = set->np;
		}
		p = &set->p[set->np++];
		p->s = &set->s[si];
		p->c = *hit;
		p->c->used = 1;
		if (p->s->rule.duration > p->c->window)
			p->c->window = p->s->rule.duration;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	if (set->np > start)
		qsort(set->p + start, set->np - start, sizeof *set->p,
		    engine_cmp_rank);
	return 0;
}

static void
engine_set_release(struct engine_set *set)
{
	size_t i;

	for (i = 0; i < set->nc; i++)
		free(set->c[i].v);
	free(set->c);
	free(set->byid);
	free(set->s);
	free(set->p);
	memset(set, 0, sizeof *set);
}

/* Reads a cluster's snapshots of [now - window - max_gap, now]. */
static int
engine_load_series(struct store *st, time_t now, long long max_gap,
    struct engine_cluster *c, struct es_err *err)
{
	char lo[UTIL_TIME_LEN], hi[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	struct engine_sample *x;
	int rc, i;

	util_time_format(now - (time_t)c->window - (time_t)max_gap, lo);
	util_time_format(now, hi);
	stmt = store_prepare(st, err, "SELECT CAST(strftime('%s', "
	    "collected_at) AS INTEGER), max_cpu, max_memory, "
	    "cpu_allocation_ratio, mem_allocation_ratio FROM "
	    "k8s_cluster_resource_snapshot WHERE cluster_id = ? AND "
	    "resource_type = 'cluster' AND deleted_at IS NULL AND "
	    "collected_at >= ? AND collected_at <= ? ORDER BY collected_at",
	    "iss", c->id, lo, hi);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		if (c->n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			c->v = xreallocarray(c->v, alloc, sizeof *c->v);
		}
		x = &c->v[c->n++];
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

/* Orders pair states by strategy id, then cluster id. */
static int
engine_cmp_state(const void *a, const void *b)
{
	const struct engine_state *x = a, *y = b;

	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return x->cid < y->cid ? -1 : x->cid > y->cid;
}

/* Reads the pairs' current history kinds, by strategy, then cluster. */
static int
engine_load_state(struct store *st, const struct engine_opts *o,
    struct engine_state **out, size_t *n, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_state *v = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	stmt = store_prepare(st, err, "SELECT strategy_id, cluster_id, kind, "
	    "history_id IS NULL FROM strategy_pair_state WHERE ?1 < 0 OR "
	    "cluster_id = ?1 "
	    "ORDER BY strategy_id, cluster_id", "i", o->cluster_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			v = xreallocarray(v, alloc, sizeof *v);
		}
		v[*n].sid = sqlite3_column_int64(stmt, 0);
		v[*n].cid = sqlite3_column_int64(stmt, 1);
		v[*n].kind = sqlite3_column_int(stmt, 2);
		v[*n].quiet = sqlite3_column_int(stmt, 3);
		v[*n].group = -1;
		v[*n].member = 0;
		(*n)++;
	}
	sqlite3_finalize(stmt);
	*out = v;
	return rc == -1 ? -1 : 0;
}

/*
 * Reads the quiet groups (strategy_quiet) and adds a state to *states for
 * each member of a selected cluster, then sorts the states again.
 */
static int
engine_load_groups(struct store *st, const struct engine_opts *o,
    struct engine_group **out, size_t *ng, struct engine_state **states,
    size_t *nstates, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct engine_group *g, *v = NULL;
	struct engine_state *x;
	const char *p;
	char *end;
	size_t alloc = 0, salloc = *nstates, k;
	int rc;

	*out = NULL;
	*ng = 0;
	stmt = store_prepare(st, err, "SELECT id, strategy_id, since, "
	    "last_execution_time, evaluations, clusters FROM strategy_quiet "
	    "ORDER BY id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		if (*ng == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			v = xreallocarray(v, alloc, sizeof *v);
		}
		g = &v[(*ng)++];
		memset(g, 0, sizeof *g);
		g->id = sqlite3_column_int64(stmt, 0);
		g->sid = sqlite3_column_int64(stmt, 1);
		snprintf(g->since, sizeof g->since, "%s",
		    (const char *)sqlite3_column_text(stmt, 2));
		snprintf(g->last, sizeof g->last, "%s",
		    (const char *)sqlite3_column_text(stmt, 3));
		g->evaluations = sqlite3_column_int64(stmt, 4);
		/* a JSON array of cluster ids, as engine_write_groups writes */
		p = (const char *)sqlite3_column_text(stmt, 5);
		for (k = 0; p != NULL && *p != '\0'; p++)
			k += *p == ',';
		g->cid = xcalloc(k + 1, sizeof *g->cid);
		g->gone = xcalloc(k + 1, 1);
		g->seen = xcalloc(k + 1, 1);
		p = (const char *)sqlite3_column_text(stmt, 5);
		while (p != NULL && *p != '\0' && g->n <= k) {
			if (*p < '0' || *p > '9') {
				p++;
				continue;
			}
			g->cid[g->n++] = strtoll(p, &end, 10);
			p = end;
		}
		for (k = 0; k < g->n; k++) {
			if (o->cluster_id >= 0 && g->cid[k] != o->cluster_id)
				continue;
			if (*nstates == salloc) {
				salloc = salloc ? salloc * 2 : 256;
				*states = xreallocarray(*states, salloc,
				    sizeof **states);
			}
			x = &(*states)[(*nstates)++];
			x->sid = g->sid;
			x->cid = g->cid[k];
			x->kind = KIND_QUIET;
			x->quiet = 1;
			x->group = (long long)(*ng - 1);
			x->member = k;
		}
	}
	sqlite3_finalize(stmt);
	*out = v;
	if (rc == -1)
		return -1;
	if (*nstates > 0)
		qsort(*states, *nstates, sizeof **states, engine_cmp_state);
	return 0;
}

static void
engine_groups_free(struct engine_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].cid);
		free(g[i].gone);
		free(g[i].seen);
	}
	free(g);
}

/*
 * After a check: the splits' state rows, then (a check of all
 * strategies) every group of an enabled strategy goes on to `at`, the
 * members that left are written out of their group and an empty group
 * is deleted.
 */
static int
engine_write_groups(struct store *st, const struct engine_set *set,
    struct engine_group *g, size_t ng, const char *at,
    const struct engine_split *sp, size_t nsp, struct es_err *err)
{
	struct es_buf b;
	size_t i, k, left;
	int rc = -1;

	for (i = 0; i < nsp; i++)
		if (store_exec(st, err, "INSERT INTO strategy_pair_state "
		    "(strategy_id, cluster_id, history_id, kind, since, "
		    "last_execution_time, evaluations) VALUES (?, ?, NULL, ?, "
		    "?, ?, ?)", "iiissi", sp[i].sid, sp[i].cid,
		    (long long)KIND_QUIET, sp[i].since, sp[i].last,
		    sp[i].evaluations) == -1)
			return -1;
	if (set != NULL && store_exec(st, err, "UPDATE strategy_quiet SET "
	    "last_execution_time = ?1, evaluations = evaluations + 1 WHERE "
	    "strategy_id IN (SELECT id FROM elastic_scaling_strategy WHERE "
	    "status = 'enabled')", "s", at) == -1)
		return -1;
	es_buf_init(&b);
	for (i = 0; i < ng; i++) {
		if (!g[i].dirty)
			continue;
		b.len = 0;
		es_buf_add(&b, "[", 1);
		for (k = 0, left = 0; k < g[i].n; k++)
			if (!g[i].gone[k])
				es_buf_addf(&b, "%s%lld", left++ ? "," : "",
				    g[i].cid[k]);
		es_buf_add(&b, "]", 2);
		if (left == 0 ? store_exec(st, err, "DELETE FROM "
		    "strategy_quiet WHERE id = ?", "i", g[i].id) == -1 :
		    store_exec(st, err, "UPDATE strategy_quiet SET clusters = "
		    "? WHERE id = ?", "si", b.data, g[i].id) == -1)
			goto done;
	}
	rc = 0;
done:
	es_buf_release(&b);
	return rc;
}

/*
 * Starts a history row for each of the n results whose indexes are in
 * idx[] (one statement of n rows: ENGINE_BATCH, or 1); hid[] gets each
 * row's id.  off[] holds the reasons' offsets in rep->text.  An order's
 * row is complete at once (last_execution_time set); another row's run
 * goes on while later checks find the same kind.
 */
static int
engine_history(struct store *st, sqlite3_stmt *stmt,
    const struct engine_report *rep, const size_t *off, const size_t *idx,
    size_t n, long long *hid, struct es_err *err)
{
	const struct engine_result *r;
	long long ids[ENGINE_BATCH][3];
	size_t i, j, k, got = 0;
	int b, rc;

	for (i = 0; i < n; i++) {
		r = &rep->results[idx[i]];
		b = (int)i * 9;
		sqlite3_bind_int64(stmt, b + 1, r->strategy_id);
		sqlite3_bind_int64(stmt, b + 2, r->cluster_id);
		sqlite3_bind_text(stmt, b + 3, rep->at_text, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, b + 4, r->triggered_value, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, b + 5, r->threshold_value, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, b + 6, engine_outcome_name(
		    r->outcome), -1, SQLITE_STATIC);
		if (r->order_id > 0)
			sqlite3_bind_int64(stmt, b + 7, r->order_id);
		else
			sqlite3_bind_null(stmt, b + 7);
		sqlite3_bind_text(stmt, b + 8, rep->text.data + off[idx[i]],
		    -1, SQLITE_STATIC);
		if (r->outcome == ENGINE_ORDER_CREATED)
			sqlite3_bind_text(stmt, b + 9, rep->at_text, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(stmt, b + 9);
	}
	while ((rc = store_step(st, stmt, err)) == 1 && got < n) {
		for (j = 0; j < 3; j++)
			ids[got][j] = sqlite3_column_int64(stmt, (int)j);
		got++;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc == -1) {
		es_err_prefix(err, "cannot record history");
		return -1;
	}
	if (got != n)
		return es_err_set(err, ES_EFAIL, "Internal", "cannot record "
		    "history: %zu of %zu rows written", got, n);
	/* each pair appears once in a statement: match the ids by pair */
	for (j = 0; j < got; j++)
		for (k = 0; k <= n; k++) {
			/* SQLite returns them in statement order: j first */
			i = k == 0 ? j : k - 1;
			r = &rep->results[idx[i]];
			if (r->strategy_id != ids[j][1] ||
			    r->cluster_id != ids[j][2])
				continue;
			hid[idx[i]] = ids[j][0];
			break;
		}
	return 0;
}

/*
 * Makes the n results whose indexes are in idx[] the new current runs of
 * their pairs in strategy_pair_state (stmt: a statement of n rows), with
 * their history rows hid[] (0: a quiet run, no row) and kinds kind[].
 */
static int
engine_states(struct store *st, sqlite3_stmt *stmt,
    const struct engine_report *rep, const int *kind, const long long *hid,
    const size_t *idx, size_t n, struct es_err *err)
{
	const struct engine_result *r;
	size_t i;
	int b, rc;

	for (i = 0; i < n; i++) {
		r = &rep->results[idx[i]];
		b = (int)i * 6;
		sqlite3_bind_int64(stmt, b + 1, r->strategy_id);
		sqlite3_bind_int64(stmt, b + 2, r->cluster_id);
		if (hid[idx[i]] > 0)
			sqlite3_bind_int64(stmt, b + 3, hid[idx[i]]);
		else
			sqlite3_bind_null(stmt, b + 3);
		sqlite3_bind_int(stmt, b + 4, kind[idx[i]]);
		sqlite3_bind_text(stmt, b + 5, rep->at_text, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(stmt, b + 6, rep->at_text, -1,
		    SQLITE_STATIC);
	}
	rc = store_step(st, stmt, err);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc == -1) {
		es_err_prefix(err, "cannot record history");
		return -1;
	}
	return 0;
}

int
engine_check(struct store *st, const struct engine_opts *o,
    struct engine_report **out, struct es_err *err)
{
	struct engine_report *rep;
	struct engine_set set;
	struct engine_pair *p;
	struct engine_result *r;
	sqlite3_stmt *last_q = NULL, *open_q = NULL, *batch_q = NULL;
	sqlite3_stmt *one_q = NULL, *order_q = NULL, *state_q = NULL;
	sqlite3_stmt *same_q = NULL, *close_q = NULL, *state32_q = NULL;
	sqlite3_stmt *end_q = NULL;
	struct engine_state *states = NULL, key, *hit;
	char reason[1024], t[UTIL_TIME_LEN];
	char d1[32];
	size_t i, *off = NULL, nstates = 0, hist[ENGINE_BATCH], nhist = 0;
	size_t *chg = NULL, nchg = 0, ng = 0, nsp = 0, nnew = 0, j;
	struct engine_group *groups = NULL, *grp;
	struct engine_split *sp = NULL;
	size_t *newq = NULL;
	struct es_buf nb;
	long long seq = 0, *hid = NULL;
	double cpu, mem;
	int outcome = ENGINE_FAILED_CHECK, rc = -1, in_txn = 0, same;
	int *kind = NULL;
	int terse = o->terse && !o->dry_run, bulk = o->nstrategy == 0;
	/* a check of all strategies and clusters: quiet groups go on */
	int whole = !o->dry_run && bulk && o->cluster_id < 0;

	*out = NULL;
	memset(&set, 0, sizeof set);
	es_buf_init(&nb);
	rep = xcalloc(1, sizeof *rep);
	es_buf_init(&rep->text);
	rep->at = o->now;
	util_time_format(o->now, rep->at_text);
	/*
	 * A check of many pairs writes a history row each into six b-trees
	 * in one transaction: with SQLite's default 2 MB page cache, dirty
	 * pages were spilled to the WAL before the commit and read back
	 * (200,000 pairs: 107,000 pwrite and 75,000 pread calls; with 64 MB,
	 * 54,000 and 19,000: the commit and the first read of each page).
	 * The cache grows only as pages are used.
	 */
	sqlite3_exec(store_db(st), "PRAGMA cache_size = -65536", NULL, NULL,
	    NULL);
	if (!o->dry_run) {
		if (store_begin(st, err) == -1)
			goto done;
		in_txn = 1;
	}
	if (engine_load_pairs(st, o, rep, &set, err) == -1)
		goto done;
	if (!o->dry_run && (engine_load_state(st, o, &states, &nstates,
	    err) == -1 || engine_load_groups(st, o, &groups, &ng, &states,
	    &nstates, err) == -1))
		goto done;
	/* each cluster's snapshots once, for its longest window */
	for (i = 0; i < set.nc; i++)
		if (set.c[i].used && !set.c[i].deleted &&
		    engine_load_series(st, o->now, o->max_gap, &set.c[i],
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
		batch_q = store_prepare(st, err, ENGINE_HIST_SQL
		    ENGINE_HIST_R128 ENGINE_HIST_RET, ENGINE_HIST_F128);
		one_q = store_prepare(st, err, ENGINE_HIST_SQL
		    ENGINE_HIST_ROW ENGINE_HIST_RET, ENGINE_HIST_F);
		/* a pair's run of one kind goes on: one narrow row */
		same_q = store_prepare(st, err, "UPDATE strategy_pair_state "
		    "SET last_execution_time = ?3, evaluations = evaluations "
		    "+ 1 WHERE strategy_id = ?1 AND cluster_id = ?2", "nnn");
		/* it ends: its row gets its last check and their number */
		close_q = store_prepare(st, err, "UPDATE "
		    "strategy_execution_history AS h SET last_execution_time "
		    "= p.last_execution_time, evaluations = p.evaluations "
		    "FROM strategy_pair_state AS p WHERE p.strategy_id = ?1 "
		    "AND p.cluster_id = ?2 AND h.id = p.history_id AND "
		    "h.last_execution_time IS NULL", "nn");
		/* a quiet run ends: it gets its row, without values */
		end_q = store_prepare(st, err, "INSERT INTO "
		    "strategy_execution_history (strategy_id, cluster_id, "
		    "execution_time, result, reason, last_execution_time, "
		    "evaluations) SELECT strategy_id, cluster_id, since, "
		    "'skipped', 'condition not met', last_execution_time, "
		    "evaluations FROM strategy_pair_state WHERE strategy_id = "
		    "?1 AND cluster_id = ?2 AND history_id IS NULL", "nn");
		state_q = store_prepare(st, err, ENGINE_ST_SQL ENGINE_ST_ROW
		    ENGINE_ST_UPSERT, ENGINE_ST_F);
		state32_q = store_prepare(st, err, ENGINE_ST_SQL ENGINE_ST_R128
		    ENGINE_ST_UPSERT, ENGINE_ST_F128);
		if (same_q == NULL || close_q == NULL || end_q == NULL ||
		    state_q == NULL || state32_q == NULL)
			goto done;
		order_q = store_prepare(st, err, "INSERT INTO "
		    "elastic_scaling_order (order_number, cluster_id, "
		    "strategy_id, action_type, status, device_count, "
		    "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, "
		    "'pending', ?, ?, ?7, ?7)", "nnnnnnn");
		if (batch_q == NULL || one_q == NULL || order_q == NULL)
			goto done;
	}

	rep->results = xcalloc(set.np ? set.np : 1, sizeof *rep->results);
	off = xcalloc(set.np ? set.np : 1, sizeof *off);
	kind = xcalloc(set.np ? set.np : 1, sizeof *kind);
	hid = xcalloc(set.np ? set.np : 1, sizeof *hid);
	chg = xcalloc(set.np ? set.np : 1, sizeof *chg);
	newq = xcalloc(set.np ? set.np : 1, sizeof *newq);
	sp = xcalloc(set.np ? set.np : 1, sizeof *sp);
	for (i = 0; i < set.np; i++) {
		p = &set.p[i];
		cpu = mem = NAN;
		if (p->c->deleted) {
			outcome = ENGINE_FAILED_CHECK;
			kind[i] = KIND_CLUSTER_GONE;
			snprintf(reason, sizeof reason, "cluster '%s' is no "
			    "longer registered", p->c->name);
		}
		hit = NULL;
		if (!o->dry_run) {
			key.sid = p->s->id;
			key.cid = p->c->id;
			/* bsearch wants an array, even of no states */
			if (nstates > 0)
				hit = bsearch(&key, states, nstates,
				    sizeof *states, engine_cmp_state);
		}
		/* terse: the texts later, and only for a new history row */
		if (!p->c->deleted)
			outcome = engine_evaluate_kind(&p->s->rule, p->c->v,
			    p->c->n, o->now, o->max_gap, terse ? NULL :
			    reason, sizeof reason, &cpu, &mem, &kind[i]);
		if (outcome == ENGINE_ORDER_CREATED) {
			/* cooldown since the last order of this pair */
			sqlite3_bind_int64(last_q, 1, p->s->id);
			sqlite3_bind_int64(last_q, 2, p->c->id);
			sqlite3_bind_text(last_q, 3, rep->at_text, -1,
			    SQLITE_STATIC);
			rc = store_step(st, last_q, err);
			if (rc == -1)
				goto done;
			if (rc == 1 && o->now - sqlite3_column_int64(last_q,
			    2) < p->s->cooldown) {
				util_time_format((time_t)sqlite3_column_int64(
				    last_q, 2) + (time_t)p->s->cooldown, t);
				engine_fmt_dur(p->s->cooldown, d1, sizeof d1);
				outcome = ENGINE_SKIPPED;
				kind[i] = KIND_COOLDOWN;
				snprintf(reason, sizeof reason, "in cooldown "
				    "until %s (%s after order %s at %s)", t,
				    d1, sqlite3_column_text(last_q, 0),
				    sqlite3_column_text(last_q, 1));
			}
			sqlite3_reset(last_q);
			rc = -1;
		}
		if (outcome == ENGINE_ORDER_CREATED) {
			sqlite3_bind_int64(open_q, 1, p->s->id);
			sqlite3_bind_int64(open_q, 2, p->c->id);
			rc = store_step(st, open_q, err);
			if (rc == -1)
				goto done;
			if (rc == 1) {
				outcome = ENGINE_SKIPPED;
				kind[i] = KIND_ORDER_OPEN;
				snprintf(reason, sizeof reason, "order %s is "
				    "still %s", sqlite3_column_text(open_q, 0),
				    sqlite3_column_text(open_q, 1));
			}
			sqlite3_reset(open_q);
			rc = -1;
		}
		/*
		 * Run-length history: the same kind of result as the pair's
		 * current row only counts one more check; another kind, or
		 * an order, ends that row and starts one.
		 */
		same = hit != NULL && hit->kind == kind[i] &&
		    outcome != ENGINE_ORDER_CREATED;
		grp = hit != NULL && hit->group >= 0 ? &groups[hit->group] :
		    NULL;
		if (grp != NULL)
			grp->seen[hit->member] = 1;
		/* terse: the texts of what starts a history row only */
		if (terse && !same && kind[i] != KIND_QUIET &&
		    kind[i] <= KIND_PROVEN) {
			engine_evaluate_kind(&p->s->rule, p->c->v, p->c->n,
			    o->now, o->max_gap, reason, sizeof reason, &cpu,
			    &mem, &kind[i]);
		}
		r = &rep->results[rep->n++];
		r->strategy_id = p->s->id;
		r->strategy_name = p->s->name;
		r->cluster_id = p->c->id;
		r->cluster_name = p->c->name;
		r->outcome = outcome;
		r->action = p->s->rule.action;
		r->device_count = p->s->device_count;
		off[i] = rep->text.len;
		if (terse && (same || kind[i] == KIND_QUIET))
			es_buf_add(&rep->text, "", 1);
		else {
			es_buf_add(&rep->text, reason, strlen(reason) + 1);
			pool_format_pair(r->triggered_value,
			    sizeof r->triggered_value, p->s->rule.has_cpu, cpu,
			    p->s->rule.has_mem, mem);
		}
		memcpy(r->threshold_value, p->s->threshold,
		    sizeof r->threshold_value);
		if (outcome == ENGINE_ORDER_CREATED && o->dry_run)
			r->would_create = 1;
		else if (outcome == ENGINE_ORDER_CREATED) {
			/* numbers of one run: look up once, then count on */
			if (seq == 0 && order_next_sequence(st, o->now, &seq,
			    err) == -1)
				goto done;
			order_number_format(o->now, seq++, r->order_number);
			sqlite3_bind_text(order_q, 1, r->order_number, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(order_q, 2, p->c->id);
			sqlite3_bind_int64(order_q, 3, p->s->id);
			sqlite3_bind_text(order_q, 4, strategy_action_name(
			    p->s->rule.action), -1, SQLITE_STATIC);
			sqlite3_bind_int64(order_q, 5, p->s->device_count);
			sqlite3_bind_text(order_q, 6, o->created_by ?
			    o->created_by : "system", -1, SQLITE_STATIC);
			sqlite3_bind_text(order_q, 7, rep->at_text, -1,
			    SQLITE_STATIC);
			rc = store_step(st, order_q, err);
			sqlite3_reset(order_q);
			if (rc == -1) {
				es_err_prefix(err, "cannot create order");
				goto done;
			}
			rc = -1;
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
		/* a group member: goes on with its group, or leaves it */
		if (same && grp != NULL && whole)
			continue;	/* one UPDATE after the loop */
		if (same && grp != NULL) {
			/* only some of its group checked: a row of its own */
			grp->gone[hit->member] = 1;
			grp->dirty = 1;
			sp[nsp].sid = p->s->id;
			sp[nsp].cid = p->c->id;
			sp[nsp].since = grp->since;
			sp[nsp].last = rep->at_text;
			sp[nsp++].evaluations = grp->evaluations + 1;
			continue;
		}
		if (same && bulk)
			continue;	/* one UPDATE after the loop */
		if (same) {
			sqlite3_bind_int64(same_q, 1, p->s->id);
			sqlite3_bind_int64(same_q, 2, p->c->id);
			sqlite3_bind_text(same_q, 3, rep->at_text, -1,
			    SQLITE_STATIC);
			rc = store_step(st, same_q, err);
			sqlite3_reset(same_q);
			if (rc == -1)
				goto done;
			rc = -1;
			continue;
		}
		/* the current run ends: its row, or one for a quiet run */
		if (grp != NULL) {
			/* a member's quiet run ends: its row */
			grp->gone[hit->member] = 1;
			grp->dirty = 1;
			if (store_exec(st, err, "INSERT INTO "
			    "strategy_execution_history (strategy_id, "
			    "cluster_id, execution_time, result, reason, "
			    "last_execution_time, evaluations) VALUES (?, ?, "
			    "?, 'skipped', 'condition not met', ?, ?)",
			    "iissi",
			    p->s->id, p->c->id, grp->since, grp->last,
			    grp->evaluations) == -1)
				goto done;
		} else if (hit != NULL) {
			sqlite3_stmt *q = hit->quiet ? end_q : close_q;

			sqlite3_bind_int64(q, 1, p->s->id);
			sqlite3_bind_int64(q, 2, p->c->id);
			rc = store_step(st, q, err);
			sqlite3_reset(q);
			if (rc == -1)
				goto done;
			rc = -1;
		}
		/* a pair seen first, quiet: into its strategy's new group */
		if (hit == NULL && whole && kind[i] == KIND_QUIET) {
			newq[nnew++] = i;
			continue;
		}
		/* the new one: a quiet run needs its state row only */
		chg[nchg++] = i;
		if (kind[i] == KIND_QUIET)
			continue;
		hist[nhist++] = i;
		if (nhist == ENGINE_BATCH) {
			if (engine_history(st, batch_q, rep, off, hist, nhist,
			    hid, err) == -1)
				goto done;
			nhist = 0;
		}
	}
	for (i = 0; i < nhist; i++)
		if (engine_history(st, one_q, rep, off, &hist[i], 1, hid,
		    err) == -1)
			goto done;
	/*
	 * Every strategy checked: the runs that go on are the state rows of
	 * the pairs just evaluated (enabled, associated, the cluster
	 * selected) whose row is older than this check's.  One statement
	 * instead of one per pair (200,000 pairs: about half the time).
	 * The unary + make it scan the states: probing every enabled
	 * strategy x cluster for a state row costs 1,000 x 200 lookups
	 * where 1,000 strategies watch 5 clusters each.  The pairs whose
	 * run changed are moved on too, and then overwritten below.
	 */
	if (!o->dry_run && bulk && store_exec(st, err, "UPDATE "
	    "strategy_pair_state AS p SET last_execution_time = ?1, "
	    "evaluations = evaluations + 1 WHERE (?2 < 0 OR cluster_id = ?2) "
	    "AND +strategy_id IN (SELECT id FROM elastic_scaling_strategy "
	    "WHERE status = 'enabled') AND +cluster_id IN (SELECT id FROM "
	    "k8s_cluster) AND EXISTS (SELECT 1 FROM "
	    "strategy_cluster_association a WHERE a.strategy_id = "
	    "p.strategy_id AND a.cluster_id = p.cluster_id)", "si",
	    rep->at_text, o->cluster_id) == -1)
		goto done;
	/*
	 * Members of a group of a strategy just checked that this check did
	 * not see (dissociated, cluster gone): their runs end at the group's
	 * last check, as rows of their own.
	 */
	for (i = 0; whole && i < ng; i++) {
		struct engine_strategy skey, *sh;

		skey.id = groups[i].sid;
		/* bsearch wants an array, even of no strategies */
		sh = set.ns == 0 ? NULL : bsearch(&skey, set.s, set.ns,
		    sizeof *set.s, engine_cmp_sid);
		for (j = 0; sh != NULL && j < groups[i].n; j++) {
			if (groups[i].seen[j] || groups[i].gone[j])
				continue;
			groups[i].gone[j] = 1;
			groups[i].dirty = 1;
			sp = xreallocarray(sp, set.np + nsp + 1, sizeof *sp);
			sp[nsp].sid = groups[i].sid;
			sp[nsp].cid = groups[i].cid[j];
			sp[nsp].since = groups[i].since;
			sp[nsp].last = groups[i].last;
			sp[nsp++].evaluations = groups[i].evaluations;
		}
	}
	if (!o->dry_run && engine_write_groups(st, whole ? &set : NULL,
	    groups, ng, rep->at_text, sp, nsp, err) == -1)
		goto done;
	/* the new groups: one a strategy */
	for (i = 0; i < nnew; i = j) {
		nb.len = 0;
		es_buf_add(&nb, "[", 1);
		for (j = i; j < nnew && rep->results[newq[j]].strategy_id ==
		    rep->results[newq[i]].strategy_id; j++)
			es_buf_addf(&nb, "%s%lld", j > i ? "," : "",
			    rep->results[newq[j]].cluster_id);
		es_buf_add(&nb, "]", 2);
		if (store_exec(st, err, "INSERT INTO strategy_quiet "
		    "(strategy_id, since, last_execution_time, evaluations, "
		    "clusters) VALUES (?1, ?2, ?2, 1, ?3)", "iss",
		    rep->results[newq[i]].strategy_id, rep->at_text,
		    nb.data) == -1)
			goto done;
	}
	/* the new runs, ENGINE_BATCH pairs a statement, then one by one */
	for (i = 0; !o->dry_run && i < nchg; ) {
		size_t m = nchg - i >= ENGINE_BATCH ? ENGINE_BATCH : 1;

		if (engine_states(st, m > 1 ? state32_q : state_q, rep, kind,
		    hid, chg + i, m, err) == -1)
			goto done;
		i += m;
	}
	if (!o->dry_run && o->retention > 0) {
		/*
		 * Pairs no check has looked at since the cutoff (strategy
		 * disabled, cluster dissociated): their rows end at their
		 * last check; then rows whose last check is older go,
		 * except orders'.
		 */
		util_time_format(o->now - (time_t)o->retention, t);
		if (store_exec(st, err, "UPDATE strategy_execution_history "
		    "AS h SET last_execution_time = p.last_execution_time, "
		    "evaluations = p.evaluations FROM strategy_pair_state AS "
		    "p WHERE p.last_execution_time < ?1 AND h.id = "
		    "p.history_id AND h.last_execution_time IS NULL", "s",
		    t) == -1 || store_exec(st, err, "DELETE FROM "
		    "strategy_pair_state WHERE last_execution_time < ?", "s",
		    t) == -1 || store_exec(st, err, "DELETE FROM "
		    "strategy_quiet WHERE last_execution_time < ?", "s",
		    t) == -1 || store_exec(st, err, "DELETE FROM "
		    "strategy_execution_history WHERE execution_time < ?1 AND "
		    "last_execution_time < ?1 AND result <> 'order_created'",
		    "s", t) == -1)
			goto done;
	}
	if (in_txn) {
		in_txn = 0;
		if (store_commit(st, err) == -1)
			goto done;
	}
	/* the text does not move any more */
	for (i = 0; i < rep->n; i++)
		rep->results[i].reason = rep->text.data + off[i];
	rc = 0;
done:
	sqlite3_finalize(last_q);
	sqlite3_finalize(open_q);
	sqlite3_finalize(batch_q);
	sqlite3_finalize(one_q);
	sqlite3_finalize(order_q);
	sqlite3_finalize(same_q);
	sqlite3_finalize(close_q);
	sqlite3_finalize(state_q);
	sqlite3_finalize(state32_q);
	sqlite3_finalize(end_q);
	if (in_txn)
		store_rollback(st);
	engine_set_release(&set);
	free(off);
	free(kind);
	free(hid);
	free(chg);
	free(newq);
	free(sp);
	engine_groups_free(groups, ng);
	es_buf_release(&nb);
	free(states);
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
	free(rep->results);
	es_buf_release(&rep->text);
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
