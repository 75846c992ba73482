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

#endif
