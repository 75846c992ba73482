/*
 * report.h - deployment reports (SPEC 3.2, seeds 001 and 004).
 *
 * One report is a JSON object
 *
 *	{user, service_name, namespace, tenant_org_id, status, message,
 *	 timestamp, details{replicas, cpu_request, cpu_limit, mem_request,
 *	 mem_limit, disk_size, gpu_count, dimension, vector_count,
 *	 index_limit}}
 *
 * written by report_emit() to four places, in this order:
 *
 *	1. the file DATA/deployment_reports/{user}_{service}_{stamp}.json,
 *	   where stamp (20240101T000000.123456Z) is unique and sorts in time;
 *	2. one line appended to DATA/deployment.log in the seeds' format
 *	   "2024-01-01T00:00:00Z - User: u, Service: s, Namespace: ns,
 *	   Status: starting, Message: ...";
 *	3. a deployment_report row in SQLite;
 *	4. when a report URL is configured, an HTTP POST of the JSON.
 *
 * The POST never blocks or fails a deployment: the report is queued in
 * the report_outbox table in the same transaction as its row, and the
 * outbox is delivered in order, oldest first.  A failed delivery keeps
 * the entry (attempts, last error, next retry with backoff) and stops
 * the round, so the receiver never sees reports out of order.  Rounds
 * hold a lock beside the database, so two processes never send the
 * same entry; each POST carries X-Esctl-Report-Id for receivers that
 * want to deduplicate after a crash between sending and recording.
 */
#ifndef ESCTL_REPORT_H
#define ESCTL_REPORT_H

#include <cjson/cJSON.h>

#include "err.h"
#include "log.h"
#include "store.h"

/* The ten statuses of a successful create, in order, then "failed". */
extern const char *const report_statuses[];
#define REPORT_NSTATUS	11

/* The create inputs every report carries. */
struct report_details {
	long long	 replicas;
	const char	*cpu_request;
	const char	*cpu_limit;
	const char	*mem_request;
	const char	*mem_limit;
	const char	*disk_size;
	long long	 gpu_count;
	long long	 dimension;
	long long	 vector_count;
	long long	 index_limit;
};

struct report {
	const char			*tenant_org_id;
	const char			*user;
	const char			*service_name;
	const char			*namespace;
	const char			*status;
	const char			*message;
	const struct report_details	*details;
	/* extra top-level fields (e.g. "resources", "error"); borrowed */
	const cJSON			*extra;
	const char			*creation_id;	/* or NULL */
};

struct report_opts {
	const char		*data_dir;	/* required */
	const char		*url;		/* NULL: no POST */
	const char		*token;		/* bearer token, or NULL */
	long long		 timeout_ms;	/* one POST; 0: 5 s */
	const struct es_log	*log;		/* may be NULL */
	time_t			 now;		/* outbox clock; 0: time() */
};

struct report_sink;

/* Opens a sink writing below data_dir into st.  Copies opts' strings. */
int	 report_sink_open(const struct report_opts *, struct store *st,
	    struct report_sink **out, struct es_err *err);
/* NULL-safe. */
void	 report_sink_free(struct report_sink *);

/*
 * Writes one report to its four places.  Returns -1 only when a local
 * place (file, log, store) fails; delivery problems stay in the outbox.
 * *out (may be NULL) receives the report JSON (caller frees).
 */
int	 report_emit(struct report_sink *, const struct report *,
	    cJSON **out, struct es_err *err);

struct report_flush_result {
	int	delivered;	/* sent in this round */
	int	failed;		/* attempted in this round and failed */
	int	pending;	/* left undelivered after the round */
	char	last_error[256];
};

/*
 * Delivers the outbox in order.  With force, every undelivered entry is
 * tried now and the round waits for a concurrent one to finish;
 * without, only entries whose retry time has come, and nothing when
 * another process is delivering.  Stops at the first failure.  Fails
 * only on local errors.
 */
int	 report_flush(struct report_sink *, int force,
	    struct report_flush_result *, struct es_err *err);

/* Filters for the queries below; NULL / 0 fields do not filter. */
struct report_filter {
	const char	*org;
	const char	*user;
	const char	*service;
	const char	*namespace;
	const char	*status;
	const char	*since;		/* RFC 3339 UTC, inclusive */
	long long	 after_id;	/* rows with a larger row id */
	long long	 limit;		/* 0: no limit */
	int		 newest_first;
};

/*
 * Report rows as JSON: id (row id), report_id, the report fields,
 * details (object), delivery ("delivered", "pending" or "none"),
 * attempts, last_error, file.  New array; caller frees.
 */
int	 report_list(struct store *, const struct report_filter *,
	    cJSON **out, struct es_err *err);
/*
 * Count per status: one {status, count} row for each of the ten
 * statuses and "failed" (zero included), then any other status seen.
 */
int	 report_stats(struct store *, const struct report_filter *,
	    cJSON **out, struct es_err *err);
/* Outbox summary: {pending, delivered, oldest_pending, last_error}. */
int	 report_outbox_stats(struct store *, cJSON **out, struct es_err *err);
/*
 * The steps a creation has already reported: bit i set when a report
 * with status report_statuses[i] carries creation_id.  A resumed create
 * continues the same sequence instead of starting it again.
 */
int	 report_done_mask(struct store *, const char *creation_id,
	    unsigned *mask, struct es_err *err);
/* The deployment.log line of a report row (as report_list gives it). */
char	*report_log_line(const cJSON *row);

#endif
