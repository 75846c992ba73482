/*
 * dashboard.h - the operators' work-bench (seed 003 §3) as one JSON
 * document gathered from the store: the four stat cards, the pending
 * orders with their cluster's latest usage, CPU and memory usage and
 * allocation trends with the thresholds of the strategies that watch
 * them, the strategy table, order-status counts and the historical
 * orders of a time range.  The terminal view, the HTML page and the live
 * page are all drawn from this document, and `-o json` prints it.
 *
 * Definitions (also in esctl-dashboard(1)):
 *  - triggered today: strategies with an execution-history row
 *    "order_created" since 00:00 UTC of the current day;
 *  - abnormal cluster: a live cluster whose status is set and is not
 *    "running", or whose latest snapshot collected from Kubernetes counts
 *    fewer Ready nodes than nodes;
 *  - devices: live rows of `device`; available = status "available",
 *    in pool = status "in_pool";
 *  - trends: the range cut into DASHBOARD_POINTS equal buckets; a
 *    bucket's value for one cluster is the highest ratio of its
 *    snapshots in the bucket (the strategies compare peaks, so the chart
 *    shows them), and for every cluster together the allocatable-weighted
 *    mean of those peaks.  A bucket without snapshots is null (a gap).
 */
#ifndef ESCTL_DASHBOARD_H
#define ESCTL_DASHBOARD_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

/* Trend points per range (24h: 30 min, 7d: 3.5 h, 30d: 15 h buckets). */
#define DASHBOARD_POINTS	48
/* Historical orders listed (the counts cover the whole range). */
#define DASHBOARD_HISTORY_MAX	50

struct dashboard_opts {
	long long	 cluster_id;	/* -1: every cluster */
	const char	*range;		/* "24h", "7d" or "30d" */
	time_t		 now;
};

/*
 * Checks a range word and gives its length in seconds; ES_EUSAGE naming
 * the accepted words.
 */
int	dashboard_range_parse(const char *range, long long *secs,
	    struct es_err *err);

/*
 * Gathers the work-bench into *out (a new object; caller frees):
 *	generated_at, range, since, cluster (name or null),
 *	cards {strategies {total, enabled, triggered_today},
 *	       clusters {total, abnormal, warnings[]},
 *	       pending_orders {total, pool_entry, pool_exit},
 *	       devices {total, available, in_pool}},
 *	pending_orders [order + cpu_usage, mem_usage, cpu_allocation,
 *	       mem_allocation, snapshot_at],
 *	trends {step_seconds, points [{time, cpu_usage, cpu_allocation,
 *	       mem_usage, mem_allocation}], thresholds {cpu [], memory []}
 *	       (each {strategy, action, type, value})},
 *	strategies [as strategy_list],
 *	order_status {pending, processing, completed, failed, cancelled,
 *	       ... other statuses seen},
 *	orders [newest first, at most DASHBOARD_HISTORY_MAX], orders_total.
 * Reads only.
 */
int	dashboard_gather(struct store *, const struct dashboard_opts *,
	    cJSON **out, struct es_err *err);

#endif
