/*
 * order.h - elastic scaling orders (elastic_scaling_order and
 * order_device, seed 003 5.6/5.7 with the maintenance fields of 9.4).
 *
 * Order numbers are "ESO-YYYYMMDD-NNNNNN": the UTC day the order was
 * created and a six-digit sequence within that day starting at 000001, so
 * they are unique (a UNIQUE column) and sort in creation order.  The
 * sequence is taken inside the transaction that inserts the order.
 */
#ifndef ESCTL_ORDER_H
#define ESCTL_ORDER_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"
#include "notify.h"
#include "store.h"

#define ORDER_NUMBER_LEN	32

/* Statuses in which an order is still open (pending, processing). */
#define ORDER_OPEN_SQL	"('pending', 'processing')"

/*
 * The next order number for the UTC day of `when`.  Call inside the write
 * transaction that inserts the order.
 */
int	order_next_number(struct store *, time_t when,
	    char buf[ORDER_NUMBER_LEN], struct es_err *err);
/*
 * The same in two steps, for many orders in one transaction: the next
 * free sequence number of the day of `when` (then seq + 1, seq + 2, ...
 * within the same transaction), and its order number.
 */
int	order_next_sequence(struct store *, time_t when, long long *seq,
	    struct es_err *err);
void	order_number_format(time_t when, long long seq,
	    char buf[ORDER_NUMBER_LEN]);

/*
 * Finds an order by order number (also as "order/NUMBER", what -o name
 * prints) or numeric id; ES_ENOTFOUND.
 */
int	order_find(struct store *, const char *ref, long long *id,
	    struct es_err *err);

struct order_filter {
	const char	*status;	/* NULL: any */
	const char	*action;	/* NULL: any */
	long long	 cluster_id;	/* -1: any */
	long long	 strategy_id;	/* 0: any */
	time_t		 since;		/* 0: no bound (created_at) */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Orders, newest first: every column plus cluster_name and
 * strategy_name.
 */
int	order_list(struct store *, const struct order_filter *, cJSON **out,
	    struct es_err *err);
/*
 * One order with cluster_name, strategy_name, its devices (order_device
 * joined with device: device_id, ci_code, ip, cpu, memory, status, ...)
 * and the execution-history row that created it (triggered_value,
 * threshold_value, reason), when there is one.
 */
int	order_show(struct store *, long long id, cJSON **out,
	    struct es_err *err);

/* ---- the state machine (seed 003 5.6, 7.2) -------------------------- */

/*
 * Statuses of pool orders:
 *
 *	pending --approve--> processing --execute--> completed | failed
 *	pending --reject/cancel--> cancelled
 *	pending --execute (order.require_approval: false)--> processing
 *
 * Every transition is one compare-and-set UPDATE (... WHERE status =
 * 'pending'): two operators racing get one success and one ES_ECONFLICT
 * whose message names the order and its current status, e.g. "order
 * ESO-20240101-000001 is cancelled, not pending".  Each transition also
 * writes an order_event row in the same transaction.  ref is an order
 * number or an id (ES_ENOTFOUND); actor names who did it ("" allowed).
 */
int	order_approve(struct store *, const char *ref, const char *actor,
	    time_t now, struct es_err *err);
/* pending -> cancelled, with the reason (required: ES_EUSAGE). */
int	order_reject(struct store *, const char *ref, const char *actor,
	    const char *reason, time_t now, struct es_err *err);
/* Same as reject, recorded as a cancellation (reason may be NULL). */
int	order_cancel(struct store *, const char *ref, const char *actor,
	    const char *reason, time_t now, struct es_err *err);

/* A manual order (strategy_id NULL). */
struct order_spec {
	long long	 cluster_id;
	const char	*action;	/* "pool_entry" or "pool_exit" */
	long long	 count;		/* 1..1000 */
	const char	*selector;	/* label selector "k=v,k2=v2" or NULL */
	const char	*reason;	/* NULL: none */
	const char	*created_by;
};
/*
 * Creates a pending order in its own transaction; number (may be NULL)
 * receives its order number, *id its id.  ES_EUSAGE for a bad action,
 * count or selector.
 */
int	order_create(struct store *, const struct order_spec *, time_t now,
	    long long *id, char number[ORDER_NUMBER_LEN], struct es_err *err);

/*
 * Appends an order_event row (inside the caller's transaction, or alone).
 * from/to/node may be NULL; device_id 0 for none.
 */
int	order_event_add(struct store *, long long order_id, time_t now,
	    const char *actor, const char *event, const char *from,
	    const char *to, long long device_id, const char *node,
	    const char *message, struct es_err *err);
/* The events of an order, oldest first, as a new JSON array. */
int	order_events(struct store *, long long id, cJSON **out,
	    struct es_err *err);

/* Counts per status and action and mean time to completion. */
struct order_stats_filter {
	time_t		 since;		/* 0: all time */
	long long	 cluster_id;	/* -1: any */
};
int	order_stats(struct store *, const struct order_stats_filter *,
	    cJSON **out, struct es_err *err);

/*
 * Tells whoever is on duty now about an order event ("order_created",
 * "order_approved", "order_completed", "order_failed", ...): a message
 * naming the order, its action, cluster, status and reason, through the
 * channels of nc (lib/notify.h; a failing channel never fails this).
 * res is filled (release with notify_result_release); -1 only when the
 * store cannot be read or written.
 */
int	order_notify(struct store *, const struct notify_config *nc,
	    long long id, const char *event, time_t now,
	    struct notify_result *res, struct es_err *err);

/* ---- execution ------------------------------------------------------ */

struct order_exec_opts {
	const char	*actor;		/* executor */
	time_t		 now;
	int		 dry_run;	/* select and check only */
	int		 require_approval;	/* pending orders refused */
	long long	 min_pool_size;	/* in_pool devices left at least */
	long long	 max_not_ready;	/* halt above this many NotReady */
	int		 delete_emptydir;	/* drain option */
	long		 drain_timeout_ms;	/* per node; 0: 300000 */
	long		 drain_retry_ms;	/* PDB backoff; 0: default */
	long		 ready_timeout_ms;	/* pool_entry wait; 0: 600000 */
	const char	*provision_url;	/* pool_entry webhook, or NULL */
	const char	*provision_token;	/* bearer token, or NULL */
	int		 provision_attempts;	/* 0: 3 */
	const char	*pool_label;	/* label set on nodes entering a pool,
					   "key=value"; NULL: none */
	void		(*progress)(void *arg, const char *line);
	void		*progress_arg;
};

/*
 * Executes a pool order against its cluster (kc must reach it).
 *
 * Only one execution of an order runs at a time: a lock beside the
 * database, held for the whole run and released by the kernel when the
 * process dies, so a second `order execute` gets ES_ECONFLICT ("order
 * ... is being executed by another esctl process") and a re-run after
 * kill -9 takes over.  The order must be processing (approved), or
 * pending when require_approval is 0 (then pending -> processing by
 * compare-and-set); any other status is ES_ECONFLICT naming it.
 *
 * Every device is an order_device row with a slot (1..device_count), its
 * node and its phase, written before the step it names is taken, so an
 * interrupted run continues where it stopped and a slot is never filled
 * with a second, different node:
 *	pool_exit	selected -> cordoned -> drained -> deleted -> done
 *			(device removing, then available)
 *	pool_entry	selected -> requested (webhook) | uncordoned ->
 *			ready -> done (device in_pool)
 * pool_exit selects with nodesel_rank() and checks the safety rails
 * first: NotReady nodes at most max_not_ready, in_pool devices left at
 * least min_pool_size, and the free allocatable CPU and memory of the
 * remaining schedulable nodes hold the requests of the pods to evict;
 * a rail that stops the order fails it with the rail in failure_reason.
 * A node whose drain fails stays cordoned (device: cordoned), its slot
 * failed with the reason; the order then fails, summarising every failed
 * slot.  Each step is an order_event; *out (may be NULL) receives the
 * order as order_show gives it.  ES_ECONFLICT when the order failed
 * through a refusal (PDB, rails), ES_EREMOTE for the API server.
 */
int	order_execute(struct store *, struct kube_client *kc,
	    const char *ref, const struct order_exec_opts *, cJSON **out,
	    struct es_err *err);

#endif
