/*
 * engine.h - the strategy evaluation engine of seed 003 7.2, run by
 * `esctl strategy check`.
 *
 * For every enabled strategy and each of its associated clusters:
 *
 *  1. The metric per threshold type: "usage" is max_cpu / max_memory,
 *     "allocated" is cpu_allocation_ratio / mem_allocation_ratio of the
 *     cluster's snapshots (resource_type 'cluster').
 *  2. A snapshot meets the condition when each monitored metric is at or
 *     above its threshold (pool_entry) or at or below it (pool_exit),
 *     combined with AND / OR.  A missing value is unknown (three-valued
 *     logic): OR is met by any known breach, AND needs every value.
 *  3. The condition must hold over the whole window [at - duration, at]:
 *     the latest snapshot must be at most max_gap old, every snapshot from
 *     the last one at or before the window start up to the latest must
 *     meet it, and consecutive snapshots must be at most max_gap apart.
 *     A gap, missing data or a window not reaching back far enough means
 *     "not proven" (failed_check); a snapshot that does not meet the
 *     condition means skipped.
 *  4. Cooldown: no order while the last order of this strategy and
 *     cluster is younger than cooldown_minutes (skipped).
 *  5. No new order while one of this strategy and cluster is pending or
 *     processing (skipped).
 *  6. Otherwise a pending order (elastic_scaling_order) and an
 *     order_created history row.
 *
 * The history is run-length: a pair's strategy_execution_history row
 * (order created, skipped or failed_check, with the values in the seed's
 * format "CPU:85.0%,MEM:N/A" and the reason of its first check) stands
 * for its checks until the kind of result changes (what the reason says,
 * whatever the values: not met, held too short, in cooldown, order open,
 * a gap...); strategy_pair_state counts them and keeps the last one.
 * Every order gets its own row.  A run of the default result (condition
 * not met) is quiet: no row while it goes on, its pair's state row
 * (history_id NULL, since) stands for it, and it gets its row, without
 * values, when another kind follows; pairs quiet since a check of all
 * strategies first saw them share one strategy_quiet row per strategy
 * and check instead of state rows.  Skipped and failed_check rows whose
 * last check is older than opts->retention are deleted (order_created
 * rows are kept for good).  The whole run is one BEGIN
 * IMMEDIATE transaction, so it sees and writes a consistent state; a
 * partial unique index on open orders makes a second order for the same
 * strategy and cluster impossible whatever else runs.  Each cluster's
 * snapshots are read once and shared by all its strategies.
 */
#ifndef ESCTL_ENGINE_H
#define ESCTL_ENGINE_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "order.h"
#include "store.h"

enum engine_outcome {
	ENGINE_ORDER_CREATED,
	ENGINE_SKIPPED,
	ENGINE_FAILED_CHECK
};

struct engine_opts {
	time_t		 now;		/* evaluate as of this time */
	long long	 max_gap;	/* seconds; see 3. above */
	int		 dry_run;	/* evaluate only; write nothing */
	const long long	*strategy_ids;	/* only these (nstrategy > 0) */
	size_t		 nstrategy;
	long long	 cluster_id;	/* only this cluster; -1: all */
	const char	*created_by;	/* orders' created_by */
	long long	 retention;	/* seconds of skipped and failed_check
					   history kept; 0: forever */
	int		 terse;		/* nobody reads the results: the
					   reason and triggered_value of a
					   pair whose history row goes on
					   stay "" (orders and new rows have
					   theirs); ignored with dry_run */
};

struct engine_result {
	long long	 strategy_id;
	const char	*strategy_name;		/* owned by the report */
	long long	 cluster_id;
	const char	*cluster_name;		/* owned by the report */
	int		 outcome;		/* enum engine_outcome */
	const char	*reason;		/* owned by the report */
	char		 triggered_value[48];
	char		 threshold_value[48];
	long long	 order_id;		/* 0: none */
	char		 order_number[ORDER_NUMBER_LEN];
	int		 action;		/* enum strategy_action */
	long long	 device_count;
	int		 would_create;		/* dry run: would order */
};

struct engine_report {
	time_t			 at;
	struct engine_result	*results;
	size_t			 n;
	size_t			 created, skipped, failed;
	char			 at_text[48];	/* RFC 3339 of at */
	char			**names;	/* strategy and cluster names */
	size_t			 nnames;
	struct es_buf		 text;		/* the reasons, one block */
};

/*
 * Runs one check (see above).  The store must be writable unless
 * opts->dry_run.  *out is a new report (free with engine_report_free).
 */
int	engine_check(struct store *, const struct engine_opts *,
	    struct engine_report **out, struct es_err *err);
void	engine_report_free(struct engine_report *);
/*
 * The results as a JSON array of {strategy_id, strategy_name, cluster_id,
 * cluster_name, result, reason, triggered_value, threshold_value,
 * order_id, order_number, execution_time}.  New; caller frees.  Its
 * strings are borrowed from the report (a large check makes a large
 * array): free the array before, or with, the report.
 */
cJSON	*engine_report_json(const struct engine_report *);
const char *engine_outcome_name(int);

/* One snapshot as the engine sees it (NAN: unknown). */
struct engine_sample {
	time_t	t;
	double	cpu_usage, mem_usage;		/* max_cpu, max_memory */
	double	cpu_alloc, mem_alloc;		/* allocation ratios */
};

/* A strategy's condition. */
struct engine_rule {
	int		action;		/* enum strategy_action */
	int		has_cpu, cpu_type;
	double		cpu;
	int		has_mem, mem_type;
	double		mem;
	int		logic;		/* enum strategy_logic */
	long long	duration;	/* seconds */
};

/*
 * Evaluates a rule over samples (ascending time, all <= now): returns
 * ENGINE_ORDER_CREATED when the condition is proven over the window,
 * ENGINE_SKIPPED when it is not met, ENGINE_FAILED_CHECK when it cannot be
 * proven.  reason gets the explanation; *cpu / *mem the latest values of
 * the monitored metrics (NAN when unknown or not monitored).
 */
int	engine_evaluate(const struct engine_rule *,
	    const struct engine_sample *, size_t n, time_t now,
	    long long max_gap, char *reason, size_t len, double *cpu,
	    double *mem);

#endif
