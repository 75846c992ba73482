/*
 * metrics.h - the data reports of the ES plugins (seed 000 §20): their
 * validation, storage, retention, the latest values per container, and
 * the alert thresholds checked after every batch.
 *
 * A report is a JSON object:
 *
 *	namespace, container_name	strings, required: a known (not
 *					deleted) ES service and one of its
 *					pods, elasticsearch-0 .. -(replicas-1)
 *	cpu_usage, memory_usage,	percentages 0-100
 *	disk_usage, startup_cpu,
 *	startup_memory, startup_disk
 *	qps, plugin_qps			non-negative rates
 *	timestamp			RFC 3339 string or Unix seconds
 *					(numbers above 1e11 are taken as
 *					milliseconds); default: received
 *	status				short word ("ok", "degraded", ...)
 *
 * A metric that is absent or null is missing (stored as NULL), never 0.
 * Any other member is an error (a misspelt field is not silently lost).
 * A report is identified by namespace, container and timestamp: sending
 * it again replaces it, so a plugin may retry safely.
 *
 * A body is one object, an array of objects, or NDJSON (one object per
 * line).  A batch is one transaction: by default one invalid record
 * rejects the whole batch (nothing is stored, every rejected record is
 * listed with its index and reason); with skip_invalid the valid ones
 * are stored and the others listed.
 */
#ifndef ESCTL_METRICS_H
#define ESCTL_METRICS_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "err.h"
#include "store.h"

/* The numeric fields, in storage order. */
enum metrics_field {
	MX_CPU,			/* cpu_usage (%) */
	MX_MEMORY,		/* memory_usage (%) */
	MX_DISK,		/* disk_usage (%) */
	MX_QPS,			/* qps */
	MX_STARTUP_CPU,
	MX_STARTUP_MEMORY,
	MX_STARTUP_DISK,
	MX_PLUGIN_QPS,
	MX_NFIELD
};

#define METRICS_MAX_REJECTS	100	/* listed; the rest counted */
#define METRICS_DEFAULT_SKEW	300	/* seconds into the future */

/* The JSON name of a field ("cpu_usage"). */
const char *metrics_field_name(int);
/* 1 when the field is a percentage. */
int	 metrics_field_is_pct(int);

/*
 * Prepared statements kept across batches on one store (a server's
 * requests): new/free; use from one thread at a time.
 */
struct metrics_cache;
struct metrics_cache *metrics_cache_new(struct store *);
void	 metrics_cache_free(struct metrics_cache *);

struct metrics_opts {
	struct metrics_cache *cache;	/* NULL: prepare per batch */
	int		 skip_invalid;
	long long	 max_skew;	/* seconds; 0: METRICS_DEFAULT_SKEW */
	time_t		 now;		/* 0: time(NULL) */
	int		 no_alerts;	/* store only */
	int		 dry_run;	/* validate only, store nothing */
	/*
	 * The caller has a transaction open: the batch is a savepoint in
	 * it, and the notifications wait in res->pages for
	 * metrics_send_pages() after the caller's commit (group commit).
	 */
	int		 in_tx;
	/*
	 * Every record through cJSON, none through the fast path of the
	 * plain ones (the tests compare the two).
	 */
	int		 slow_parse;
};

struct metrics_result {
	size_t		 records;	/* seen */
	size_t		 accepted;	/* stored */
	size_t		 rejected;
	size_t		 fast;		/* read without cJSON */
	cJSON		*rejects;	/* [{index, reason}], at most
					   METRICS_MAX_REJECTS */
	size_t		 alerts_fired;	/* notifications sent this batch */
	size_t		 alerts_resolved;
	cJSON		*pages;		/* notifications not yet sent */
};

void	 metrics_result_release(struct metrics_result *);

/* Alert thresholds (metrics.alerts in the config). */
struct metrics_alerts;

/*
 * Reads metrics.alerts: default thresholds (cpu_usage 90, memory_usage
 * 90, disk_usage 85, qps none) and repeat_interval (4h), with per-service
 * overrides under metrics.alerts.services.NAMESPACE.  A threshold of 0 or
 * null disables that alert.  ES_EUSAGE naming the key for a bad value.
 */
int	 metrics_alerts_load(const struct config *, struct metrics_alerts **,
	    struct es_err *err);
void	 metrics_alerts_free(struct metrics_alerts *);
/* The threshold of field for namespace; 0 when none. */
double	 metrics_alerts_threshold(const struct metrics_alerts *,
	    const char *ns, int field);

/* Where breaches go; NULL members: no notification, only the history. */
struct metrics_notify {
	const struct config	*config;	/* notify: section */
	const struct metrics_alerts *alerts;
};

/*
 * Validates and stores the reports in buf.  Returns 0 when the batch was
 * processed (res says what was stored and rejected; with rejects and
 * !skip_invalid nothing was stored and err is ES_EUSAGE naming the first
 * one), -1 with err for a body that is not JSON at all (ES_EUSAGE) or a
 * store failure.  Then checks the thresholds (when notify is not NULL).
 */
int	 metrics_ingest(struct store *, const char *buf, size_t len,
	    const struct metrics_opts *, const struct metrics_notify *,
	    struct metrics_result *res, struct es_err *err);

/*
 * Sends res->pages (alerts opened or repeated) to the people on duty and
 * records them; then clears them.  Failures are logged, not returned.
 */
void	 metrics_send_pages(struct store *, const struct metrics_notify *,
	    struct metrics_result *res, time_t now);

/* Deletes reports older than `before` (Unix seconds); *n gets the count. */
int	 metrics_prune(struct store *, time_t before, long long *n,
	    struct es_err *err);

/*
 * The latest report of each container of ns (NULL: every namespace),
 * newest first: namespace, container_name, timestamp, the fields, status.
 */
int	 metrics_latest(struct store *, const char *ns, cJSON **out,
	    struct es_err *err);

/*
 * Sets "qps" (the sum of the newest reports of the service's
 * containers) and "disk_usage" (the fullest container) on each object
 * of the array rows, or on rows itself when it is an object (with a
 * "namespace" member); JSON null when nothing was reported.  For cluster
 * list and get.
 */
int	 metrics_annotate(struct store *, cJSON *rows, struct es_err *err);

struct metrics_query {
	const char	*ns;		/* NULL: every namespace */
	const char	*container;	/* NULL: every container */
	time_t		 from, to;	/* Unix seconds, inclusive */
	int		 points;	/* buckets; 0: 60 */
};

/*
 * The stored history as series: an object {namespace: {"from", "to",
 * "step", "series": {field: [avg per bucket or null]}}} with the
 * average over the service's containers per bucket.
 */
int	 metrics_series(struct store *, const struct metrics_query *,
	    cJSON **out, struct es_err *err);

/* The alert history, newest first (NULL ns: all). */
int	 metrics_alert_list(struct store *, const char *ns, int open_only,
	    cJSON **out, struct es_err *err);

/*
 * Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z",
 * "...+08:00", fractional seconds allowed) into milliseconds.
 */
int	 metrics_parse_rfc3339(const char *s, long long *ms);

#endif
