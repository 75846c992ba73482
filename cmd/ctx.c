/*
 * ctx.c - services of the command context: confirmation, tenant scope,
 * data paths, progress and notices.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "notify.h"
#include "order.h"
#include "pool.h"
#include "strategy.h"
#include "util.h"

int
ctx_confirm(struct esctl_ctx *ctx, struct es_err *err, const char *fmt, ...)
{
	char what[512], line[64];
	va_list ap;

	if (ctx->yes || ctx->dry_run)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (!ctx->tty_in)
		return es_err_set(err, ES_EUSAGE, "ConfirmationRequired",
		    "refusing to %s without confirmation: stdin is not a "
		    "terminal (pass --yes)", what);
	fprintf(ctx->err, "%s%s?%s [y/N] ", ctx->color_err ? "\033[1m" : "",
	    what, ctx->color_err ? "\033[0m" : "");
	fflush(ctx->err);
	if (fgets(line, sizeof line, stdin) == NULL)
		return es_err_set(err, ES_EFAIL, "Aborted", "aborted: no "
		    "answer");
	line[strcspn(line, "\r\n")] = '\0';
	if (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
		return 0;
	return es_err_set(err, ES_EFAIL, "Aborted", "aborted: not confirmed");
}

char *
ctx_data_path(struct esctl_ctx *ctx, const char *name)
{
	return util_path_join(ctx->data_dir, name);
}

int
ctx_scope_check(struct esctl_ctx *ctx, const char *org, const char *user,
    struct es_err *err)
{
	if (ctx->as_org != NULL && (org == NULL ||
	    strcmp(ctx->as_org, org) != 0))
		return es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: org '%s' cannot access a record of org '%s'",
		    ctx->as_org, org ? org : "");
	if (ctx->as_user != NULL && (user == NULL ||
	    strcmp(ctx->as_user, user) != 0))
		return es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: user '%s' cannot access a record of user '%s'",
		    ctx->as_user, user ? user : "");
	return 0;
}

int
ctx_org(struct esctl_ctx *ctx, const char *o, int required, const char **org,
    struct es_err *err)
{
	if (o != NULL && !util_valid_name(o, 63))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid org '%s':"
		    " names are [A-Za-z0-9._-], at most 63 characters", o);
	if (o == NULL)
		o = ctx->as_org;
	if (o == NULL && required)
		return es_err_set(err, ES_EUSAGE, "MissingOption", "option "
		    "'--org' is required");
	if (o != NULL && ctx->as_org != NULL && strcmp(o, ctx->as_org) != 0)
		return ctx_scope_check(ctx, o, NULL, err);
	*org = o;
	return 0;
}

int
ctx_user(struct esctl_ctx *ctx, const char *u, const char **user,
    struct es_err *err)
{
	if (u != NULL && !util_valid_name(u, 63))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid user "
		    "'%s': names are [A-Za-z0-9._-], at most 63 characters", u);
	if (u == NULL)
		u = ctx->as_user;
	if (u != NULL && ctx->as_user != NULL && strcmp(u, ctx->as_user) != 0)
		return es_err_set(err, ES_EPERM, "Forbidden", "permission "
		    "denied: user '%s' cannot access records of user '%s'",
		    ctx->as_user, u);
	*user = u;
	return 0;
}

void
ctx_progress(struct esctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->tty_err || ctx->quiet)
		return;
	fputs("\r\033[K", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fflush(ctx->err);
}

void
ctx_progress_done(struct esctl_ctx *ctx)
{
	if (!ctx->tty_err || ctx->quiet)
		return;
	fputs("\r\033[K", ctx->err);
	fflush(ctx->err);
}

void
ctx_info(struct esctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

void
ctx_warn(struct esctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg, *shown;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("out of memory");
	va_end(ap);
	shown = util_escape_ctrl(msg);
	fprintf(ctx->err, "esctl: %swarning:%s %s\n", ctx->color_err ?
	    "\033[33m" : "", ctx->color_err ? "\033[0m" : "", shown);
	free(shown);
	free(msg);
}

const char *
ctx_actor(struct esctl_ctx *ctx)
{
	const char *u;

	if (ctx->as_user != NULL)
		return ctx->as_user;
	u = getenv("USER");
	return u != NULL && *u != '\0' ? u : "esctl";
}

int
ctx_strategy_id(struct esctl_ctx *ctx, const char *ref, long long *id,
    struct es_err *err)
{
	struct strategy s;
	int rc;

	strategy_init(&s);
	rc = strategy_load(ctx->store, ref, &s, err);
	*id = s.id;
	strategy_release(&s);
	return rc;
}

int
ctx_cluster_opt(struct esctl_ctx *ctx, struct esctl_args *args,
    long long *id, struct es_err *err)
{
	const char *v = args_get(args, "cluster");

	*id = -1;
	if (v == NULL)
		return 0;
	return pool_cluster_find(ctx->store, v, id, NULL, err);
}

void
ctx_order_notify(struct esctl_ctx *ctx, long long id, const char *event)
{
	struct notify_config nc;
	struct notify_result res;
	struct es_err e2 = ES_ERR_INIT;
	size_t i;

	if (notify_config_load(ctx->cfg, &nc, &e2) == -1) {
		ctx_warn(ctx, "no notification: %s", e2.msg);
		return;
	}
	if (order_notify(ctx->store, &nc, id, event, ctx->now, &res,
	    &e2) == -1)
		ctx_warn(ctx, "cannot notify: %s", e2.msg);
	else
		for (i = 0; i < res.n; i++)
			if (!res.v[i].ok)
				ctx_warn(ctx, "notification by %s to '%s' "
				    "failed: %s",
				    notify_channel_name(res.v[i].channel),
				    res.v[i].recipient, res.v[i].error);
	notify_result_release(&res);
	notify_config_release(&nc);
}
