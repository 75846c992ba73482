/*
 * maint.h - device maintenance (seed 003 section 9): a hardware team asks
 * for a node to be taken out for maintenance, esctl confirms the window,
 * cordons (and optionally drains) the node, tells the team to begin, and
 * when they are done brings the node back with a linked uncordon order.
 *
 * A request is an elastic_scaling_order of action maintenance_request:
 *
 *	request  -> pending_confirmation        "accepted" sent downstream
 *	confirm     (window confirmed; may be    "confirmed"
 *	            repeated while pending_confirmation)
 *	schedule -> scheduled_for_maintenance   (downstream agreed)
 *	start    -> maintenance_in_progress     cordon [+ drain], "started"
 *	complete    creates the maintenance_uncordon order (pending)
 *	execute of that order: uncordon, wait for Ready, both completed,
 *	            device back in_pool, "uncordoned"
 *	cancel   -> cancelled from any state before completion: uncordons
 *	            the node if esctl cordoned it, "cancelled"
 *
 * Every transition is one compare-and-set UPDATE (WHERE status = ...):
 * a command on an order in the wrong state fails with ES_ECONFLICT naming
 * the order and its current state.  The steps that touch Kubernetes (start,
 * the uncordon execution, cancel) hold a lock beside the database for the
 * order, so two operators never run them at once, and record their
 * progress first (whether esctl cordoned the node, whether it drained), so
 * a run killed half-way is continued by the next one.
 *
 * Downstream callbacks go through a durable outbox (maintenance_outbox),
 * queued in the same transaction as the transition: each event has a
 * stable id ("ESO-20260101-000001:confirmed:1"), is POSTed as JSON with an
 * HMAC-SHA256 signature, retried with backoff on failure and on later
 * runs, and every attempt is logged (maintenance_callback_attempt).
 * Delivery is at least once: a receiver deduplicates by event id.
 *
 * lib/ never prints: progress goes to a callback.
 */
#ifndef ESCTL_MAINT_H
#define ESCTL_MAINT_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"
#include "node.h"
#include "store.h"

/* Where and how callbacks are sent (maintenance.* in the config). */
struct maint_callback {
	const char	*url;		/* NULL: events stay queued */
	const char	*secret;	/* HMAC key; NULL: unsigned */
	long		 timeout_ms;	/* one POST; 0: 5000 */
};

struct maint_request {
	const char	*device;	/* CI code or numeric id */
	time_t		 start;
	time_t		 end;
	const char	*ticket;	/* external_ticket_id, required */
	const char	*reason;	/* required */
	const char	*actor;
};

/*
 * Records a request (pending_confirmation) and queues "accepted".  The
 * device must exist and be in a cluster; start < end; end after now.
 * The same ticket again gives the existing order (*existed set), so a
 * downstream system may retry; another open request for the device is
 * ES_ECONFLICT naming it.
 */
int	maint_request(struct store *, const struct maint_request *,
	    time_t now, long long *id, int *existed, struct es_err *err);

/*
 * Confirms (or proposes) the window of a pending_confirmation request;
 * start/end 0 keep the requested ones.  Queues "confirmed".
 */
int	maint_confirm(struct store *, const char *ref, time_t start,
	    time_t end, const char *actor, time_t now, struct es_err *err);

/* The downstream system agreed: confirmed -> scheduled_for_maintenance. */
int	maint_schedule(struct store *, const char *ref, const char *actor,
	    time_t now, struct es_err *err);

struct maint_start_opts {
	int			 drain;
	int			 ignore_window;	/* --now */
	int			 dry_run;
	struct node_drain_opts	 drain_opts;
	void			(*progress)(void *arg, const char *line);
	void			*progress_arg;
};

/*
 * The name of the registered cluster of an order (new string; caller
 * frees), to open its Kubernetes client.
 */
int	maint_order_cluster(struct store *, const char *ref, char **cluster,
	    struct es_err *err);

/*
 * Cordons (and drains) the device's node and moves a scheduled request
 * to maintenance_in_progress, then queues "started".  Refused before the
 * window opens unless ignore_window.  Resumes a run that was killed.
 */
int	maint_start(struct store *, struct kube_client *, const char *ref,
	    const struct maint_start_opts *, const char *actor, time_t now,
	    struct es_err *err);

/*
 * Downstream says the work is done: creates the maintenance_uncordon
 * order (pending, parent_order_id set); *child its id.  Once only.
 */
int	maint_complete(struct store *, const char *ref, const char *actor,
	    time_t now, long long *child, struct es_err *err);

struct maint_exec_opts {
	long		 timeout_ms;	/* waiting for Ready; 0: 300000 */
	long		 poll_ms;	/* 0: 1000 */
	int		 dry_run;
	void		(*progress)(void *arg, const char *line);
	void		*progress_arg;
};

/*
 * Executes a maintenance_uncordon order (pending or, resumed,
 * processing): uncordons the node (only when esctl cordoned it), waits
 * for it to be Ready, completes the order and its parent request, puts
 * the device back in_pool and queues "uncordoned".
 */
int	maint_uncordon_execute(struct store *, struct kube_client *,
	    long long order_id, const struct maint_exec_opts *,
	    const char *actor, time_t now, struct es_err *err);

/*
 * Cancels a request before completion (reason required), undoing what
 * was done: the node is uncordoned when esctl cordoned it (kc may be
 * NULL only when nothing was cordoned), a pending uncordon order is
 * cancelled too.  Queues "cancelled".
 */
int	maint_cancel(struct store *, struct kube_client *, const char *ref,
	    const char *reason, const char *actor, time_t now,
	    struct es_err *err);

/*
 * 1 when the request needs the cluster to be undone by cancel (esctl
 * cordoned its node), else 0.
 */
int	maint_cancel_needs_kube(struct store *, const char *ref, int *needs,
	    struct es_err *err);

struct maint_filter {
	const char	*state;		/* NULL: any */
	const char	*device;	/* CI code or id; NULL: any */
};

/* Requests, newest first, with device and delivery summary. */
int	maint_list(struct store *, const struct maint_filter *, cJSON **out,
	    struct es_err *err);
/*
 * One request: its stages with their times, the device, the node, the
 * uncordon order, and every downstream exchange (event, id, state
 * sent/pending/failed, attempts, last error, each attempt).
 */
int	maint_show(struct store *, const char *ref, cJSON **out,
	    struct es_err *err);

struct maint_flush_result {
	int	delivered;
	int	failed;
	int	pending;	/* left undelivered */
	char	last_error[256];
};

/*
 * Sends the queued events that are due (all of them with force), in
 * order, oldest first; stops at the first failure (so a receiver never
 * sees one order's events out of order).  Fails only on local errors.
 */
int	maint_flush(struct store *, const struct maint_callback *, int force,
	    time_t now, struct maint_flush_result *, struct es_err *err);

/*
 * The signature header value "sha256=<hex>" of body under secret (new
 * string; caller frees).
 */
char	*maint_signature(const char *secret, const char *body);

#endif
