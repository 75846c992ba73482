/*
 * notify.c - esctl notify: the notification log and channel tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "duty.h"
#include "notify.h"
#include "order.h"
#include "util.h"

static int	cmd_notify_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_notify_read(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_notify_test(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col notify_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT },
	{ "TYPE", "notification_type", 0 },
	{ "RECIPIENT", "recipient", OUT_COL_NAME },
	{ "ORDER", "order_number", 0 },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "SENT", "send_time", 0 },
	{ "ERROR", "error_message", 0 },
	{ "CONTENT", "content", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_notify_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct notify_filter f;
	const char *v;
	cJSON *list;
	int ch, rc;

	memset(&f, 0, sizeof f);
	f.unread = args_has(args, "unread");
	if ((v = args_get(args, "status")) != NULL) {
		if (strcmp(v, "sent") != 0 && strcmp(v, "failed") != 0 &&
		    strcmp(v, "read") != 0)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "--status '%s': use sent, failed or read", v);
		f.status = v;
	}
	if ((v = args_get(args, "type")) != NULL) {
		if (notify_channel_parse(v, &ch, err) == -1)
			return -1;
		f.type = v;
	}
	if ((v = args_get(args, "order")) != NULL &&
	    order_find(ctx->store, v, &f.order_id, err) == -1)
		return -1;
	if ((v = args_get(args, "since")) != NULL && util_since_parse(v,
	    "--since", ctx->now, &f.since, err) == -1)
		return -1;
	if (args_int(args, "limit", 0, 1000000, 100, &f.limit, err) == -1)
		return -1;
	if (notify_list(ctx->store, &f, &list, err) == -1)
		return -1;
	out_kind(ctx, "notification");
	rc = out_list(ctx, list, notify_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_notify_read(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long *ids, changed, total = 0;
	int i, all = args_has(args, "all"), rc = -1;
	cJSON *obj;

	if (all == (args->argc > 0))
		return es_err_set(err, ES_EUSAGE, "MissingArgument", "give "
		    "notification ids or --all");
	ids = xcalloc((size_t)args->argc + 1, sizeof *ids);
	for (i = 0; i < args->argc; i++)
		if (util_parse_int(args->argv[i], "ID", 1, 1LL << 62, &ids[i],
		    err) == -1)
			goto done;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: nothing marked read");
		rc = 0;
		goto done;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < (all ? 1 : args->argc); i++) {
		if (notify_mark_read(ctx->store, all ? 0 : ids[i], ctx->now,
		    &changed, err) == -1) {
			store_rollback(ctx->store);
			goto done;
		}
		total += changed;
	}
	if (store_commit(ctx->store, err) == -1)
		goto done;
	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "marked_read", (double)total);
	rc = out_ok(ctx, obj, "%lld notification%s marked read", total,
	    total == 1 ? "" : "s");
	cJSON_Delete(obj);
done:
	free(ids);
	return rc;
}

static int
cmd_notify_test(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct notify_config nc;
	struct notify_message m;
	struct notify_result res;
	const char *to = args_get(args, "to"), *text;
	char subject[128], ts[UTIL_TIME_LEN];
	cJSON *people = NULL, *p, *c, *obj, *arr, *a;
	int ch, rc = -1;
	size_t i;

	if (notify_channel_parse(args->argv[0], &ch, err) == -1)
		return -1;
	if (notify_config_load(ctx->cfg, &nc, err) == -1)
		return -1;
	if (to != NULL) {
		people = cJSON_CreateArray();
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "user_id", to);
		c = cJSON_AddObjectToObject(p, "contact_info");
		cJSON_AddStringToObject(c, ch == NOTIFY_EMAIL ? "email" :
		    ch == NOTIFY_SMS ? "phone" : "im", to);
		cJSON_AddItemToArray(people, p);
	} else if (duty_on_call(ctx->store, ctx->now, &people, err) == -1)
		goto done;
	if (ch != NOTIFY_SYSTEM && ch != NOTIFY_IM &&
	    cJSON_GetArraySize(people) == 0) {
		es_err_set(err, ES_EUSAGE, "NoRecipient", "nobody is on duty: "
		    "give --to for a %s test", notify_channel_name(ch));
		goto done;
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: a test would be sent by %s to %d "
		    "recipient%s", notify_channel_name(ch),
		    cJSON_GetArraySize(people), cJSON_GetArraySize(people) ==
		    1 ? "" : "s");
		rc = 0;
		goto done;
	}
	util_time_format(ctx->now, ts);
	snprintf(subject, sizeof subject, "[esctl] test notification (%s)",
	    notify_channel_name(ch));
	text = args_get(args, "message");
	memset(&m, 0, sizeof m);
	m.event = "test";
	m.subject = subject;
	m.text = text != NULL ? text : "This is a test notification from "
	    "esctl: this channel works.";
	if (notify_send(ctx->store, &nc, &m, people, ch, ctx->now, &res,
	    err) == -1)
		goto done;
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "notification_type",
	    notify_channel_name(ch));
	arr = cJSON_AddArrayToObject(obj, "attempts");
	for (i = 0; i < res.n; i++) {
		a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "id", (double)res.v[i].log_id);
		cJSON_AddStringToObject(a, "recipient", res.v[i].recipient);
		cJSON_AddStringToObject(a, "status", res.v[i].ok ? "sent" :
		    "failed");
		if (res.v[i].error != NULL)
			cJSON_AddStringToObject(a, "error_message",
			    res.v[i].error);
		else
			cJSON_AddNullToObject(a, "error_message");
		cJSON_AddItemToArray(arr, a);
		if (!out_wants_json(ctx))
			out_ok(ctx, NULL, "%s to '%s': %s%s%s",
			    notify_channel_name(ch), res.v[i].recipient,
			    res.v[i].ok ? "sent" : "failed", res.v[i].error ?
			    ": " : "", res.v[i].error ? res.v[i].error : "");
	}
	if (out_wants_json(ctx))
		out_ok(ctx, obj, NULL);
	cJSON_Delete(obj);
	rc = 0;
	if (res.failed > 0)
		rc = es_err_set(err, ES_EREMOTE, "NotificationFailed", "%zu of "
		    "%zu %s test notification%s failed: %s", res.failed, res.n,
		    notify_channel_name(ch), res.n == 1 ? "" : "s",
		    res.v[0].error ? res.v[0].error : "see 'esctl notify "
		    "list --status failed'");
	notify_result_release(&res);
done:
	cJSON_Delete(people);
	notify_config_release(&nc);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 0, "unread", NULL, "only delivered notifications not yet read",
	    OPT_BOOL, 0, NULL },
	{ 0, "status", "STATUS", "sent, failed or read", OPT_STRING, 0,
	    "=sent failed read" },
	{ 't', "type", "TYPE", "system, im, email or sms", OPT_STRING, 0,
	    "=system im email sms" },
	{ 0, "order", "ORDER", "only notifications about this order",
	    OPT_STRING, 0, "order" },
	{ 0, "since", "TIME", "sent since TIME or for a duration (24h)",
	    OPT_STRING, 0, NULL },
	{ 0, "limit", "N", "at most N, newest first (default 100, 0: all)",
	    OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt read_opts[] = {
	{ 0, "all", NULL, "mark every unread notification read", OPT_BOOL, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt test_opts[] = {
	{ 0, "to", "ADDRESS", "send to this address instead of whoever is "
	    "on duty", OPT_STRING, 0, NULL },
	{ 'm', "message", "TEXT", "message text", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_verb notify_verbs[] = {
	{ "list", NULL, "list notifications, newest first", NULL, list_opts,
	    0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_notify_list },
	{ "read", "[ID...]", "mark notifications read", NULL, read_opts, 0,
	    -1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL,
	    cmd_notify_read },
	{ "test", "CHANNEL", "send a test notification through a channel",
	    "CHANNEL is system, im, email or sms.  The attempt is recorded "
	    "like any other;\nexit status 6 when it failed.", test_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES, "=system im email sms",
	    cmd_notify_test },
	VERB_END
};

const struct esctl_group esctl_group_notify = {
	"notify", "notifications to the people on duty",
	"Channels are configured in the notify: section of the configuration "
	"file\n(esctl.yaml(5)): system (stored only), im (webhook), email "
	"(SMTP) and sms\n(HTTP gateway).",
	notify_verbs
};
