/*
 * maintenance.c - esctl maintenance: device maintenance requests from the
 * hardware teams (seed 003 section 9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "gitcfg.h"
#include "maint.h"
#include "notify.h"
#include "order.h"
#include "util.h"

static int	cmd_maint_request(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_confirm(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_schedule(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_start(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_complete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_cancel(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_maint_flush(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const char *const maint_states[] = { "pending_confirmation",
    "scheduled_for_maintenance", "maintenance_in_progress", "completed",
    "cancelled", NULL };

static const struct out_col maint_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "ORDER", "order_number", OUT_COL_NAME },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "DEVICE", "device", 0 },
	{ "CLUSTER", "cluster", 0 },
	{ "NODE", "node", OUT_COL_WIDE },
	{ "TICKET", "ticket", 0 },
	{ "WINDOW_START", "window_start", 0 },
	{ "WINDOW_END", "window_end", OUT_COL_WIDE },
	{ "CALLBACKS_PENDING", "callbacks_pending", OUT_COL_RIGHT |
	    OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

/*
 * The callback settings from the config; *secret is a new string (or
 * NULL) the caller frees.
 */
static int
maint_cb(struct esctl_ctx *ctx, struct maint_callback *cb, char **secret,
    struct es_err *err)
{
	const char *f;
	long long ms;

	memset(cb, 0, sizeof *cb);
	*secret = NULL;
	cb->url = config_get(ctx->cfg, "maintenance.callback_url");
	if (config_get_duration_ms(ctx->cfg, "maintenance.timeout", 5000,
	    &ms, err) == -1)
		return -1;
	cb->timeout_ms = (long)ms;
	if ((f = config_get(ctx->cfg, "maintenance.secret_file")) != NULL) {
		if (gitcfg_read_token_file(f, secret, err) == -1)
			return es_err_prefix(err, "maintenance.secret_file");
		cb->secret = *secret;
	}
	return 0;
}

/*
 * Sends the events that are due; a failed delivery is a warning (the
 * event stays in the outbox and the transition is done).
 */
void
maint_deliver(struct esctl_ctx *ctx)
{
	struct maint_callback cb;
	struct maint_flush_result r;
	struct es_err e2 = ES_ERR_INIT;
	char *secret = NULL;

	if (maint_cb(ctx, &cb, &secret, &e2) == -1) {
		ctx_warn(ctx, "callbacks not sent: %s", e2.msg);
		return;
	}
	if (cb.url == NULL)
		ctx_info(ctx, "no maintenance.callback_url configured: the "
		    "downstream events stay queued");
	else if (maint_flush(ctx->store, &cb, 0, time(NULL), &r, &e2) == -1)
		ctx_warn(ctx, "callbacks not sent: %s", e2.msg);
	else if (r.failed > 0)
		ctx_warn(ctx, "callback not delivered (%s); %d event%s kept in "
		    "the outbox: 'esctl maintenance flush' retries",
		    r.last_error, r.pending, r.pending == 1 ? "" : "s");
	free(secret);
}

/* The common tail: deliver, notify, print the order. */
static int
maint_done(struct esctl_ctx *ctx, const char *ref, const char *event,
    const char *fmt, struct es_err *err)
{
	long long id;
	cJSON *o;
	int rc;

	maint_deliver(ctx);
	if (order_find(ctx->store, ref, &id, err) == -1)
		return -1;
	if (event != NULL)
		ctx_order_notify(ctx, id, event);
	if (maint_show(ctx->store, ref, &o, err) == -1)
		return -1;
	rc = out_ok(ctx, o, fmt, cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "order_number")), cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "status")));
	cJSON_Delete(o);
	return rc;
}

/* Parses a time option (RFC 3339, @epoch, now, +2h); 0 when absent. */
static int
maint_time(struct esctl_ctx *ctx, struct esctl_args *args, const char *opt,
    time_t *t, struct es_err *err)
{
	char what[32];
	const char *v = args_get(args, opt);

	*t = 0;
	if (v == NULL)
		return 0;
	snprintf(what, sizeof what, "--%s", opt);
	return util_time_parse(v, what, ctx->now, t, err);
}

/* A dry run of a transition: the order must be in state want. */
static int
maint_dry(struct esctl_ctx *ctx, const char *ref, const char *want,
    struct es_err *err)
{
	cJSON *o;
	const char *st;
	int rc = 0;

	if (maint_show(ctx->store, ref, &o, err) == -1)
		return -1;
	st = cJSON_GetStringValue(cJSON_GetObjectItem(o, "status"));
	if (want != NULL && strcmp(st, want) != 0)
		rc = es_err_set(err, ES_ECONFLICT, "WrongState", "order %s is "
		    "%s, not %s", cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "order_number")), st, want);
	else
		rc = out_ok(ctx, NULL, "order %s is %s (dry run: unchanged)",
		    cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "order_number")), st);
	cJSON_Delete(o);
	return rc;
}

static int
cmd_maint_request(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct maint_request r;
	char num[ORDER_NUMBER_LEN];
	long long id;
	int existed;
	cJSON *o;

	memset(&r, 0, sizeof r);
	r.device = args_get(args, "device");
	r.ticket = args_get(args, "ticket");
	r.reason = args_get(args, "reason");
	r.actor = ctx_actor(ctx);
	if (maint_time(ctx, args, "start", &r.start, err) == -1 ||
	    maint_time(ctx, args, "end", &r.end, err) == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "maintenance request would be "
		    "recorded (dry run)");
	if (maint_request(ctx->store, &r, ctx->now, &id, &existed,
	    err) == -1)
		return -1;
	snprintf(num, sizeof num, "%lld", id);
	if (existed) {
		if (maint_show(ctx->store, num, &o, err) == -1)
			return -1;
		out_ok(ctx, o, "ticket %s is already order %s (%s)", r.ticket,
		    cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "order_number")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "status")));
		cJSON_Delete(o);
		return 0;
	}
	return maint_done(ctx, num, "maintenance_requested",
	    "maintenance request %s recorded (%s)", err);
}

static int
cmd_maint_confirm(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	time_t s, e;

	if (maint_time(ctx, args, "start", &s, err) == -1 ||
	    maint_time(ctx, args, "end", &e, err) == -1)
		return -1;
	if (ctx->dry_run)
		return maint_dry(ctx, args->argv[0], "pending_confirmation",
		    err);
	if (maint_confirm(ctx->store, args->argv[0], s, e, ctx_actor(ctx),
	    ctx->now, err) == -1)
		return -1;
	return maint_done(ctx, args->argv[0], "maintenance_confirmed",
	    "order %s: window confirmed (%s)", err);
}

static int
cmd_maint_schedule(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	if (ctx->dry_run)
		return maint_dry(ctx, args->argv[0], "pending_confirmation",
		    err);
	if (maint_schedule(ctx->store, args->argv[0], ctx_actor(ctx),
	    ctx->now, err) == -1)
		return -1;
	return maint_done(ctx, args->argv[0], "maintenance_scheduled",
	    "order %s %s", err);
}

/* Progress of a start or an uncordon: a line on stderr each (not -q). */
static void
maint_progress(void *arg, const char *line)
{
	ctx_info(arg, "%s", line);
}

static int
cmd_maint_start(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct maint_start_opts so;
	struct node_drain_opts d0 = NODE_DRAIN_OPTS_INIT;
	struct kube_client *kc = NULL;
	char *cluster = NULL;
	const char *v;
	long long ms;
	int rc;

	memset(&so, 0, sizeof so);
	so.drain = args_has(args, "drain");
	so.ignore_window = args_has(args, "now");
	so.dry_run = ctx->dry_run;
	so.drain_opts = d0;
	so.drain_opts.force = args_has(args, "force");
	so.drain_opts.delete_emptydir = args_has(args,
	    "delete-emptydir-data");
	so.drain_opts.timeout_ms = 300000;
	if ((v = args_get(args, "timeout")) != NULL) {
		if (util_parse_duration_ms(v, "--timeout", &ms, err) == -1)
			return -1;
		so.drain_opts.timeout_ms = ms > 0 ? (long)ms : 1;
	}
	so.drain_opts.dry_run = ctx->dry_run;
	so.drain_opts.progress = maint_progress;
	so.drain_opts.progress_arg = ctx;
	so.progress = maint_progress;
	so.progress_arg = ctx;
	if (maint_order_cluster(ctx->store, args->argv[0], &cluster,
	    err) == -1)
		return -1;
	rc = ctx_kube_cluster(ctx, cluster, &kc, err);
	free(cluster);
	if (rc == -1)
		return -1;
	rc = maint_start(ctx->store, kc, args->argv[0], &so, ctx_actor(ctx),
	    ctx->now, err);
	kube_close(kc);
	if (rc == -1)
		return -1;
	if (ctx->dry_run)
		return out_ok(ctx, NULL, "order %s would start (dry run: "
		    "unchanged)", args->argv[0]);
	return maint_done(ctx, args->argv[0], "maintenance_started",
	    "order %s: node out of the pool, downstream told to begin (%s)",
	    err);
}

static int
cmd_maint_complete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	char ref[32];
	long long child;
	cJSON *o;
	int rc;

	if (ctx->dry_run)
		return maint_dry(ctx, args->argv[0], "maintenance_in_progress",
		    err);
	if (maint_complete(ctx->store, args->argv[0], ctx_actor(ctx),
	    ctx->now, &child, err) == -1)
		return -1;
	snprintf(ref, sizeof ref, "%lld", child);
	ctx_order_notify(ctx, child, "order_created");
	if (order_show(ctx->store, child, &o, err) == -1)
		return -1;
	rc = out_ok(ctx, o, "work done: uncordon order %s created (pending); "
	    "'esctl order execute %s' brings the node back",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "order_number")),
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "order_number")));
	cJSON_Delete(o);
	return rc;
}

static int
cmd_maint_cancel(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc = NULL;
	char *cluster = NULL;
	int needs, rc;

	if (ctx->dry_run)
		return maint_dry(ctx, args->argv[0], NULL, err);
	if (maint_cancel_needs_kube(ctx->store, args->argv[0], &needs,
	    err) == -1)
		return -1;
	if (needs) {
		if (maint_order_cluster(ctx->store, args->argv[0], &cluster,
		    err) == -1)
			return -1;
		rc = ctx_kube_cluster(ctx, cluster, &kc, err);
		free(cluster);
		if (rc == -1)
			return -1;
	}
	rc = maint_cancel(ctx->store, kc, args->argv[0], args_get(args,
	    "reason"), ctx_actor(ctx), ctx->now, err);
	if (kc != NULL)
		kube_close(kc);
	if (rc == -1)
		return -1;
	return maint_done(ctx, args->argv[0], "maintenance_cancelled",
	    "order %s %s", err);
}

static int
cmd_maint_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct maint_filter f;
	cJSON *list;
	int rc, i;

	memset(&f, 0, sizeof f);
	f.state = args_get(args, "state");
	f.device = args_get(args, "device");
	if (f.state != NULL) {
		for (i = 0; maint_states[i] != NULL; i++)
			if (strcmp(f.state, maint_states[i]) == 0)
				break;
		if (maint_states[i] == NULL)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "--state '%s': use pending_confirmation, "
			    "scheduled_for_maintenance, "
			    "maintenance_in_progress, completed or cancelled",
			    f.state);
	}
	if (maint_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, maint_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_maint_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	cJSON *o;
	int rc;

	if (maint_show(ctx->store, args->argv[0], &o, err) == -1)
		return -1;
	rc = out_item(ctx, o, "order_number", err);
	cJSON_Delete(o);
	return rc;
}

static int
cmd_maint_flush(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct maint_callback cb;
	struct maint_flush_result r;
	char *secret = NULL;
	cJSON *o;
	int rc;

	(void)args;
	if (maint_cb(ctx, &cb, &secret, err) == -1)
		return -1;
	if (cb.url == NULL) {
		free(secret);
		return es_err_set(err, ES_EUSAGE, "NotConfigured", "no "
		    "maintenance.callback_url in the configuration: nowhere to "
		    "send the events");
	}
	rc = maint_flush(ctx->store, &cb, 1, time(NULL), &r, err);
	free(secret);
	if (rc == -1)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "delivered", r.delivered);
	cJSON_AddNumberToObject(o, "failed", r.failed);
	cJSON_AddNumberToObject(o, "pending", r.pending);
	if (r.failed > 0) {
		cJSON_Delete(o);
		return es_err_set(err, ES_EREMOTE, "DeliveryFailed", "%d "
		    "event%s delivered, then %s; %d left in the outbox",
		    r.delivered, r.delivered == 1 ? "" : "s", r.last_error,
		    r.pending);
	}
	rc = out_ok(ctx, o, "%d event%s delivered, %d pending", r.delivered,
	    r.delivered == 1 ? "" : "s", r.pending);
	cJSON_Delete(o);
	return rc;
}

static const struct esctl_opt request_opts[] = {
	{ 'd', "device", "DEVICE", "the device: CI code or id", OPT_STRING,
	    OPT_REQUIRED, "device" },
	{ 0, "start", "TIME", "window start (RFC 3339, @EPOCH, +DURATION)",
	    OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "end", "TIME", "window end", OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "ticket", "ID", "the downstream system's ticket id",
	    OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "reason", "TEXT", "what the maintenance is for", OPT_STRING,
	    OPT_REQUIRED, NULL },
	OPT_END
};

static const struct esctl_opt confirm_opts[] = {
	{ 0, "start", "TIME", "confirmed (or proposed) window start",
	    OPT_STRING, 0, NULL },
	{ 0, "end", "TIME", "confirmed (or proposed) window end", OPT_STRING,
	    0, NULL },
	OPT_END
};

static const struct esctl_opt start_opts[] = {
	{ 0, "drain", NULL, "also drain the node (as esctl node drain)",
	    OPT_BOOL, 0, NULL },
	{ 0, "now", NULL, "start outside the confirmed window", OPT_BOOL, 0,
	    NULL },
	{ 0, "force", NULL, "drain: evict pods no controller manages too",
	    OPT_BOOL, 0, NULL },
	{ 0, "delete-emptydir-data", NULL,
	    "drain: evict pods with emptyDir volumes (their data is lost)",
	    OPT_BOOL, 0, NULL },
	{ 0, "timeout", "DURATION", "drain: give up after (default 5m)",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt cancel_opts[] = {
	{ 0, "reason", "TEXT", "why the maintenance is cancelled (required)",
	    OPT_STRING, OPT_REQUIRED, NULL },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 0, "state", "STATE", "only requests in this state", OPT_STRING, 0,
	    "=pending_confirmation scheduled_for_maintenance "
	    "maintenance_in_progress completed cancelled" },
	{ 'd', "device", "DEVICE", "only requests for this device",
	    OPT_STRING, 0, "device" },
	OPT_END
};

static const struct esctl_verb maint_verbs[] = {
	{ "request", NULL, "record a maintenance request from downstream",
	    "The same --ticket again answers with the existing order.",
	    request_opts, 0, 0, CMD_NEEDS_DB | CMD_MUTATES, NULL,
	    cmd_maint_request },
	{ "confirm", "ORDER", "confirm (or propose) the maintenance window",
	    "Sends the signed 'confirmed' event downstream.", confirm_opts, 1,
	    1, CMD_NEEDS_DB | CMD_MUTATES, "order", cmd_maint_confirm },
	{ "schedule", "ORDER", "downstream agreed: scheduled_for_maintenance",
	    NULL, NULL, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "order",
	    cmd_maint_schedule },
	{ "start", "ORDER", "cordon (and drain) the node; tell downstream",
	    "Refused before the window opens unless --now.", start_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES, "order", cmd_maint_start },
	{ "complete", "ORDER", "downstream is done: create the uncordon order",
	    "'esctl order execute' of that order brings the node back.", NULL,
	    1, 1, CMD_NEEDS_DB | CMD_MUTATES, "order", cmd_maint_complete },
	{ "cancel", "ORDER", "cancel a request and undo what was done", NULL,
	    cancel_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "order",
	    cmd_maint_cancel },
	{ "list", NULL, "list maintenance requests, newest first", NULL,
	    list_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_maint_list },
	{ "show", "ORDER", "every stage, the node and each downstream exchange",
	    NULL, NULL, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "order",
	    cmd_maint_show },
	{ "flush", NULL, "send the queued downstream events now", NULL, NULL,
	    0, 0, CMD_NEEDS_DB | CMD_MUTATES, NULL, cmd_maint_flush },
	VERB_END
};

const struct esctl_group esctl_group_maintenance = {
	"maintenance", "device maintenance with downstream callbacks",
	"A hardware team's request takes a device's node out for maintenance "
	"and\nbrings it back; each stage is told downstream by a signed "
	"callback.",
	maint_verbs
};
