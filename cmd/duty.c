/*
 * duty.c - esctl duty: the duty roster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "duty.h"
#include "pool.h"
#include "util.h"

#define DUTY_DAYS_MAX	366

static int	cmd_duty_add(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_duty_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_duty_remove(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_duty_now(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col duty_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT },
	{ "USER", "user_id", OUT_COL_NAME },
	{ "DATE", "duty_date", 0 },
	{ "START", "start_time", 0 },
	{ "END", "end_time", 0 },
	{ "EMAIL", "contact_info.email", 0 },
	{ "PHONE", "contact_info.phone", 0 },
	{ "IM", "contact_info.im", 0 },
	OUT_COL_END
};

static int
cmd_duty_add(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct duty_shift d;
	struct tm tm;
	long long days, id;
	cJSON *ids;
	time_t t;
	int i, rc;

	memset(&d, 0, sizeof d);
	d.user_id = args->argv[0];
	d.email = args_get(args, "email");
	d.phone = args_get(args, "phone");
	d.im = args_get(args, "im");
	if (duty_parse_date(args_get(args, "date"), d.duty_date, err) == -1 ||
	    duty_parse_time(args_get(args, "start"), "--start", d.start_time,
	    err) == -1 || duty_parse_time(args_get(args, "end"), "--end",
	    d.end_time, err) == -1 || args_int(args, "days", 1, DUTY_DAYS_MAX,
	    1, &days, err) == -1)
		return -1;
	if (strcmp(d.start_time, "24:00:00") == 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid --start "
		    "'24:00': a shift starts at 23:59 at the latest");
	if (!ctx->dry_run && store_begin(ctx->store, err) == -1)
		return -1;
	ids = cJSON_CreateArray();
	memset(&tm, 0, sizeof tm);
	strptime(d.duty_date, "%Y-%m-%d", &tm);
	tm.tm_hour = 12;
	t = timegm(&tm);
	for (i = 0; i < days; i++) {
		struct tm day;
		time_t td = t + (time_t)i * 86400;

		gmtime_r(&td, &day);
		strftime(d.duty_date, sizeof d.duty_date, "%Y-%m-%d", &day);
		if (ctx->dry_run)
			continue;
		if (duty_add(ctx->store, &d, ctx->now, &id, err) == -1) {
			store_rollback(ctx->store);
			cJSON_Delete(ids);
			return -1;
		}
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: %lld shift%s of '%s' would be added",
		    days, days == 1 ? "" : "s", d.user_id);
		cJSON_Delete(ids);
		return 0;
	}
	if (store_commit(ctx->store, err) == -1) {
		cJSON_Delete(ids);
		return -1;
	}
	{
		cJSON *obj = cJSON_CreateObject();

		cJSON_AddStringToObject(obj, "user_id", d.user_id);
		cJSON_AddItemToObject(obj, "ids", ids);
		rc = out_ok(ctx, obj, "%lld duty shift%s of '%s' added (%s-%s)",
		    days, days == 1 ? "" : "s", d.user_id, d.start_time,
		    d.end_time);
		cJSON_Delete(obj);
	}
	return rc;
}

static int
cmd_duty_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct duty_filter f;
	char from[11], to[11];
	struct tm tm;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	f.user_id = args_get(args, "user");
	if (args_has(args, "from")) {
		if (duty_parse_date(args_get(args, "from"), from, err) == -1)
			return -1;
		f.from = from;
	} else if (!args_has(args, "all")) {
		/* from today (local time) on */
		localtime_r(&ctx->now, &tm);
		strftime(from, sizeof from, "%Y-%m-%d", &tm);
		f.from = from;
	}
	if (args_has(args, "to")) {
		if (duty_parse_date(args_get(args, "to"), to, err) == -1)
			return -1;
		f.to = to;
	}
	if (args_int(args, "limit", 0, 1000000, 0, &f.limit, err) == -1)
		return -1;
	if (duty_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, duty_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_duty_remove(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	long long *ids;
	int i, rc = -1;

	ids = xcalloc((size_t)args->argc, sizeof *ids);
	for (i = 0; i < args->argc; i++)
		if (util_parse_int(args->argv[i], "ID", 1, 1LL << 62, &ids[i],
		    err) == -1)
			goto done;
	if (ctx_confirm(ctx, err, "remove %d duty shift%s", args->argc,
	    args->argc == 1 ? "" : "s") == -1)
		goto done;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: %d shift%s would be removed",
		    args->argc, args->argc == 1 ? "" : "s");
		rc = 0;
		goto done;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++)
		if (duty_remove(ctx->store, ids[i], err) == -1) {
			store_rollback(ctx->store);
			goto done;
		}
	if (store_commit(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++)
		out_ok(ctx, NULL, "duty shift %lld removed", ids[i]);
	rc = 0;
done:
	free(ids);
	return rc;
}

static int
cmd_duty_now(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *v;
	time_t when = ctx->now;
	cJSON *list;
	int rc;

	if ((v = args_get(args, "at")) != NULL && util_time_parse(v, "--at",
	    ctx->now, &when, err) == -1)
		return -1;
	if (duty_on_call(ctx->store, when, &list, err) == -1)
		return -1;
	if (cJSON_GetArraySize(list) == 0 && !ctx->quiet &&
	    (ctx->output == OUT_TABLE || ctx->output == OUT_WIDE)) {
		fprintf(ctx->err, "Nobody is on duty.\n");
		cJSON_Delete(list);
		return 0;
	}
	rc = out_list(ctx, list, duty_cols, err);
	cJSON_Delete(list);
	return rc;
}

static const struct esctl_opt add_opts[] = {
	{ 0, "date", "DATE", "duty_date, YYYY-MM-DD (local time)",
	    OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "start", "HH:MM", "start_time", OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "end", "HH:MM", "end_time (not after start: next day)",
	    OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "days", "N", "the same shift on N consecutive days (default 1)",
	    OPT_INT, 0, NULL },
	{ 0, "email", "ADDRESS", "e-mail address for notifications",
	    OPT_STRING, 0, NULL },
	{ 0, "phone", "NUMBER", "phone number for SMS", OPT_STRING, 0, NULL },
	{ 0, "im", "ID", "IM user id mentioned in webhook messages",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 'u', "user", "USER", "only this user's shifts", OPT_STRING, 0,
	    "duty-user" },
	{ 0, "from", "DATE", "shifts on or after DATE (default today)",
	    OPT_STRING, 0, NULL },
	{ 0, "to", "DATE", "shifts on or before DATE", OPT_STRING, 0, NULL },
	{ 0, "all", NULL, "include past shifts", OPT_BOOL, 0, NULL },
	{ 0, "limit", "N", "at most N shifts", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt now_opts[] = {
	{ 0, "at", "TIME", "who is on duty at TIME instead of now",
	    OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_verb duty_verbs[] = {
	{ "add", "USER", "add a duty shift",
	    "Dates and times are local time (TZ).  A shift whose end is not "
	    "after its start\nruns past midnight; 00:00-00:00 is the whole "
	    "day.", add_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE,
	    "duty-user", cmd_duty_add },
	{ "list", NULL, "list duty shifts", NULL, list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_duty_list },
	{ "remove", "ID...", "remove duty shifts", NULL, NULL, 1, -1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM | CMD_OFFLINE, NULL,
	    cmd_duty_remove },
	{ "now", NULL, "show who is on duty now", NULL, now_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_duty_now },
	VERB_END
};

const struct esctl_group esctl_group_duty = {
	"duty", "the duty roster",
	"Whoever is on duty when 'esctl strategy check' creates an order is "
	"notified\nthrough the configured channels (see esctl-notify(1)).",
	duty_verbs
};
