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

/* Finds an order by order number or numeric id; ES_ENOTFOUND. */
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

#endif
