/*
 * lifecycle.c - helpers of the ES service lifecycle commands: time,
 * tenant scope of --org/--user, the report sink and GitLab options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "util.h"

time_t
lc_fixed_now(struct esctl_ctx *ctx)
{
	const char *v = getenv("ESCTL_NOW");

	return v != NULL && *v != '\0' ? ctx->now : 0;
}

time_t
lc_now(struct esctl_ctx *ctx)
{
	time_t t = lc_fixed_now(ctx);

	return t != 0 ? t : time(NULL);
}

int
lc_report_sink(struct esctl_ctx *ctx, struct report_sink **out,
    struct es_err *err)
{
	struct report_opts o;
	const char *v;
	long long ms;

	memset(&o, 0, sizeof o);
	if (config_get_duration_ms(ctx->cfg, "report.timeout", 5000, &ms,
	    err) == -1)
		return -1;
	o.data_dir = ctx->data_dir;
	o.url = config_get(ctx->cfg, "report.url");
	o.token = config_get(ctx->cfg, "report.token");
	o.timeout_ms = ms;
	o.log = &ctx->log;
	/* ESCTL_NOW fixes the outbox clock too (retry times, in tests) */
	v = getenv("ESCTL_NOW");
	if (v != NULL && *v != '\0')
		o.now = ctx->now;
	return report_sink_open(&o, ctx->store, out, err);
}

void
lc_flush_outbox(struct esctl_ctx *ctx)
{
	struct report_sink *sink = NULL;
	struct report_flush_result r;
	struct es_err e = ES_ERR_INIT;

	if (ctx->dry_run || ctx->store == NULL || store_readonly(ctx->store))
		return;
	if (lc_report_sink(ctx, &sink, &e) == 0 &&
	    report_flush(sink, 0, &r, &e) == 0 && r.delivered > 0)
		es_log(&ctx->log, ES_LOG_INFO, "%d waiting report(s) "
		    "delivered", r.delivered);
	else if (e.code != 0)
		es_log(&ctx->log, ES_LOG_INFO, "report outbox: %s", e.msg);
	report_sink_free(sink);
}

int
lc_gitlab(struct esctl_ctx *ctx, const char *url, const char *ref,
    const char *path, struct lc_gitlab *g, struct es_err *err)
{
	const char *v;
	int insecure;

	memset(g, 0, sizeof *g);
	if (config_get_bool(ctx->cfg, "gitlab.insecure_skip_tls_verify", 0,
	    &insecure, err) == -1)
		return -1;
	g->opts.url = url != NULL ? url : config_get(ctx->cfg, "gitlab.url");
	g->opts.ref = ref != NULL ? ref : config_get(ctx->cfg, "gitlab.ref");
	g->opts.path = path != NULL ? path : config_get(ctx->cfg,
	    "gitlab.path");
	g->opts.username = config_get(ctx->cfg, "gitlab.username");
	g->opts.ca_file = config_get(ctx->cfg, "gitlab.ca_file");
	g->opts.insecure = insecure;
	g->opts.log = &ctx->log;
	if ((v = getenv("ESCTL_GITLAB_TOKEN")) != NULL && *v != '\0')
		g->token = xstrdup(v);
	else if ((v = config_get(ctx->cfg, "gitlab.token_file")) != NULL) {
		if (gitcfg_read_token_file(v, &g->token, err) == -1)
			return -1;
	} else if ((v = config_get(ctx->cfg, "gitlab.token")) != NULL)
		g->token = xstrdup(v);
	g->opts.token = g->token;
	g->cache_dir = ctx_data_path(ctx, "git");
	g->opts.cache_dir = g->cache_dir;
	return 0;
}

void
lc_gitlab_release(struct lc_gitlab *g)
{
	if (g->token != NULL) {
		memset(g->token, 0, strlen(g->token));
		free(g->token);
	}
	free(g->cache_dir);
	memset(g, 0, sizeof *g);
}
