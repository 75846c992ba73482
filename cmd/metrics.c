/*
 * metrics.c - esctl metrics: the ES plugins' data reports (seed 000 §20)
 * in from a file or over HTTP, their retention and the alert history.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "httpd.h"
#include "metrics.h"
#include "quantity.h"
#include "util.h"

#define METRICS_BODY_DEFAULT	(8 * 1024 * 1024)

static int	cmd_metrics_ingest(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_metrics_serve(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_metrics_prune(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_metrics_alerts(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

/*
 * The state the request handlers of `metrics serve` share.  Group commit:
 * the first handler to find no transaction open begins one and leads;
 * handlers arriving while it is open add their batch as a savepoint and
 * wait; the leader commits once every handler waiting for the lock has
 * joined, so one fsync covers the whole group, and a report is answered
 * 202 only after the commit that stored it.
 */
struct metrics_server {
	struct esctl_ctx	*ctx;
	pthread_mutex_t		 mu;		/* the store and all below */
	pthread_cond_t		 done;		/* a group was committed */
	int			 open;		/* a group transaction */
	unsigned long long	 gen;		/* groups committed */
	int			 group_rc;	/* of the last group */
	char			 group_err[256];
	cJSON			*pages;		/* the group's notifications */
	unsigned		 arriving;	/* handlers before the lock */
	struct metrics_opts	 opts;
	struct metrics_notify	 nt;
	const char		*token;
	unsigned long long	 requests;
	unsigned long long	 stored;
	unsigned long long	 rejected;
};

/* The options shared by ingest and serve. */
static int
metrics_common(struct esctl_ctx *ctx, struct esctl_args *args,
    struct metrics_opts *o, struct metrics_alerts **alerts,
    struct es_err *err)
{
	const char *v;

	memset(o, 0, sizeof *o);
	o->skip_invalid = args_has(args, "skip-invalid");
	o->no_alerts = args_has(args, "no-alerts");
	if ((v = args_get(args, "max-skew")) != NULL) {
		if (util_parse_duration(v, "--max-skew", &o->max_skew,
		    err) == -1)
			return -1;
	} else if (config_get_duration(ctx->cfg, "metrics.max_clock_skew",
	    METRICS_DEFAULT_SKEW, &o->max_skew, err) == -1)
		return -1;
	if (o->max_skew == 0)
		o->max_skew = 1;
	return metrics_alerts_load(ctx->cfg, alerts, err);
}

/* The clock: ESCTL_NOW (tests) or the time now. */
static time_t
metrics_now(struct esctl_ctx *ctx)
{
	const char *v = getenv("ESCTL_NOW");

	return v != NULL && *v != '\0' ? ctx->now : time(NULL);
}

static void
metrics_print_rejects(struct esctl_ctx *ctx, const struct metrics_result *r)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, r->rejects)
		fprintf(ctx->err, "esctl: record %d: %s\n",
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(it,
		    "index")), cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "reason")));
	if (r->rejected > METRICS_MAX_REJECTS)
		fprintf(ctx->err, "esctl: ... and %zu more rejected records\n",
		    r->rejected - METRICS_MAX_REJECTS);
}

static cJSON *
metrics_result_json(const struct metrics_result *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "records", (double)r->records);
	cJSON_AddNumberToObject(o, "accepted", (double)r->accepted);
	cJSON_AddNumberToObject(o, "rejected", (double)r->rejected);
	cJSON_AddItemToObject(o, "rejects", cJSON_Duplicate(r->rejects, 1));
	cJSON_AddNumberToObject(o, "alerts_fired", (double)r->alerts_fired);
	cJSON_AddNumberToObject(o, "alerts_resolved",
	    (double)r->alerts_resolved);
	return o;
}

static int
cmd_metrics_ingest(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct metrics_opts o;
	struct metrics_alerts *alerts = NULL;
	struct metrics_notify nt;
	struct metrics_result r;
	struct es_buf b = ES_BUF_INIT;
	const char *file = args->argc > 0 ? args->argv[0] : "-";
	cJSON *obj;
	void *map = NULL;
	size_t maplen = 0;
	int rc = -1;

	memset(&r, 0, sizeof r);
	if (metrics_common(ctx, args, &o, &alerts, err) == -1)
		goto done;
	o.now = metrics_now(ctx);
	if (strcmp(file, "-") == 0 && ctx->tty_in) {
		es_err_set(err, ES_EUSAGE, "MissingInput", "no input: give a "
		    "FILE or pipe reports into 'esctl metrics ingest -'");
		goto done;
	}
	/* A file is mapped, not copied: a million reports are 240 MB. */
	if ((strcmp(file, "-") == 0 ? 1 : es_buf_map_file(file, &map,
	    &maplen)) == -1 || (map == NULL && es_buf_read_file(&b, file) ==
	    -1)) {
		es_err_set(err, errno == ENOENT ? ES_ENOTFOUND : ES_EFAIL,
		    NULL, "cannot read '%s': %s", file, strerror(errno));
		goto done;
	}
	o.dry_run = ctx->dry_run;
	nt.config = ctx->cfg;
	nt.alerts = alerts;
	if (metrics_ingest(ctx->store, map != NULL ? map : b.data, map !=
	    NULL ? maplen : b.len, &o, &nt, &r, err) == -1)
		goto done;
	if (r.rejected > 0)
		metrics_print_rejects(ctx, &r);
	if (r.rejected > 0 && !o.skip_invalid)
		goto done;	/* err says nothing was stored */
	obj = metrics_result_json(&r);
	if (r.rejected > 0)
		rc = out_ok(ctx, obj, "%zu report%s %s, %zu rejected",
		    r.accepted, r.accepted == 1 ? "" : "s", o.dry_run ?
		    "valid (dry run: nothing stored)" : "stored", r.rejected);
	else
		rc = out_ok(ctx, obj, "%zu report%s %s%s", r.accepted,
		    r.accepted == 1 ? "" : "s", o.dry_run ? "valid (dry run: "
		    "nothing stored)" : "stored", r.alerts_fired > 0 ?
		    " (alert sent)" : "");
	cJSON_Delete(obj);
done:
	metrics_result_release(&r);
	metrics_alerts_free(alerts);
	es_buf_unmap(map, maplen);
	es_buf_release(&b);
	return rc;
}

static void
metrics_serve_report(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	struct metrics_server *s = arg;
	struct metrics_opts o = s->opts;
	struct metrics_result r;
	struct es_err err = ES_ERR_INIT, e2 = ES_ERR_INIT;
	unsigned long long gen;
	const char *q;
	cJSON *obj, *e;
	int rc, leader = 0;

	if (httpd_require_bearer(req, resp, s->token) == -1)
		return;
	if (!httpd_content_type_is(req, "application/json") &&
	    !httpd_content_type_is(req, "application/x-ndjson")) {
		httpd_reply_error(resp, 415, "UnsupportedMediaType", "reports "
		    "must be sent as application/json or "
		    "application/x-ndjson");
		return;
	}
	if ((q = httpd_query(req, "skip_invalid")) != NULL)
		o.skip_invalid = strcmp(q, "true") == 0 || strcmp(q, "1") == 0;
	o.now = metrics_now(s->ctx);
	o.in_tx = 1;
	__atomic_add_fetch(&s->arriving, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&s->mu);
	__atomic_sub_fetch(&s->arriving, 1, __ATOMIC_SEQ_CST);
	if (!s->open) {
		if (store_begin(s->ctx->store, &err) == -1) {
			pthread_mutex_unlock(&s->mu);
			httpd_reply_error(resp, 503, "StoreError", "%s",
			    err.msg);
			return;
		}
		s->open = leader = 1;
	}
	gen = s->gen;
	rc = metrics_ingest(s->ctx->store, req->body, req->body_len, &o,
	    &s->nt, &r, &err);
	s->requests++;
	if (rc == 0 && r.pages != NULL) {
		if (s->pages == NULL)
			s->pages = cJSON_CreateArray();
		while (cJSON_GetArraySize(r.pages) > 0)
			cJSON_AddItemToArray(s->pages,
			    cJSON_DetachItemFromArray(r.pages, 0));
	}
	if (leader) {
		/* let the handlers waiting for the lock join the group */
		while (__atomic_load_n(&s->arriving, __ATOMIC_SEQ_CST) > 0) {
			pthread_mutex_unlock(&s->mu);
			sched_yield();
			pthread_mutex_lock(&s->mu);
		}
		s->group_rc = store_commit(s->ctx->store, &e2);
		snprintf(s->group_err, sizeof s->group_err, "%.250s",
		    e2.msg);
		s->open = 0;
		s->gen++;
		if (s->group_rc == 0 && s->pages != NULL) {
			struct metrics_result pr;

			memset(&pr, 0, sizeof pr);
			pr.pages = s->pages;
			s->pages = NULL;
			metrics_send_pages(s->ctx->store, &s->nt, &pr, o.now);
		}
		cJSON_Delete(s->pages);
		s->pages = NULL;
		pthread_cond_broadcast(&s->done);
	} else
		while (s->gen == gen)
			pthread_cond_wait(&s->done, &s->mu);
	if (rc == 0 && s->group_rc == -1) {
		rc = -1;
		es_err_set(&err, ES_EFAIL, "StoreError", "%s", s->group_err);
	}
	if (rc == 0) {
		s->stored += r.accepted;
		s->rejected += r.rejected;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc == -1) {
		if (err.code == ES_EUSAGE)
			httpd_reply_error(resp, 400, err.reason, "%s", err.msg);
		else
			httpd_reply_error(resp, 503, err.reason[0] ?
			    err.reason : "StoreError", "%s", err.msg);
		metrics_result_release(&r);
		return;
	}
	obj = metrics_result_json(&r);
	if (r.rejected > 0 && !o.skip_invalid) {
		e = cJSON_AddObjectToObject(obj, "error");
		cJSON_AddNumberToObject(e, "code", 400);
		cJSON_AddStringToObject(e, "reason", err.reason);
		cJSON_AddStringToObject(e, "message", err.msg);
		httpd_reply_json(resp, 400, obj);
	} else
		httpd_reply_json(resp, 202, obj);
	cJSON_Delete(obj);
	metrics_result_release(&r);
}

static void
metrics_serve_health(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";

	(void)arg;
	(void)req;
	httpd_reply(resp, 200, "application/json", ok, sizeof ok - 1);
}

static void
metrics_serve_log(void *arg, const struct httpd_request *req, int status,
    double ms)
{
	struct metrics_server *s = arg;

	if (s->ctx->verbose > 0)
		fprintf(s->ctx->err, "esctl: %s %s %s %d %.1f ms\n",
		    req->remote, req->method, req->path, status, ms);
}

static void
metrics_serve_errlog(void *arg, const char *msg)
{
	struct metrics_server *s = arg;

	if (s->ctx->verbose > 0)
		fprintf(s->ctx->err, "esctl: http: %s\n", msg);
}

static int
cmd_metrics_serve(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct metrics_server s;
	struct metrics_alerts *alerts = NULL;
	struct httpd_config hc;
	struct httpd *h = NULL;
	const char *v;
	long long n, drain;
	int64_t q;
	unsigned unfinished = 0;
	int sig = 0, rc = -1;
	double rate = 0;

	memset(&s, 0, sizeof s);
	memset(&hc, 0, sizeof hc);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.done, NULL);
	s.ctx = ctx;
	if (ctx->dry_run) {
		es_err_set(err, ES_EUSAGE, "DryRun", "metrics serve stores "
		    "what it receives: --dry-run is not supported (use "
		    "'metrics ingest --dry-run' to validate reports)");
		goto done;
	}
	if (metrics_common(ctx, args, &s.opts, &alerts, err) == -1)
		goto done;
	s.opts.cache = metrics_cache_new(ctx->store);
	s.nt.config = ctx->cfg;
	s.nt.alerts = alerts;
	s.token = config_get(ctx->cfg, "metrics.token");
	if (args_has(args, "no-auth"))
		s.token = NULL;
	else if (s.token == NULL || s.token[0] == '\0') {
		es_err_set(err, ES_EUSAGE, "MissingToken", "no bearer token: "
		    "set metrics.token in the config, or pass --no-auth to "
		    "accept reports from anyone who can connect");
		goto done;
	}
	hc.listen = args_get(args, "listen");
	if (hc.listen == NULL)
		hc.listen = config_get(ctx->cfg, "metrics.listen");
	if (hc.listen == NULL)
		hc.listen = "127.0.0.1:9108";
	hc.max_body = METRICS_BODY_DEFAULT;
	if ((v = args_get(args, "max-body")) != NULL ||
	    (v = config_get(ctx->cfg, "metrics.max_body")) != NULL) {
		if (quantity_parse(v, "--max-body", 0, &q, err) == -1)
			goto done;
		q /= 1000;	/* milli-units */
		if (q < 1024) {
			es_err_set(err, ES_EUSAGE, NULL, "--max-body must "
			    "be at least 1Ki");
			goto done;
		}
		hc.max_body = (size_t)q;
	}
	if ((v = args_get(args, "rate")) != NULL ||
	    (v = config_get(ctx->cfg, "metrics.rate")) != NULL) {
		if (util_parse_double(v, "--rate", 0, 1e9, &rate, err) == -1)
			goto done;
		hc.rate = rate;
	}
	if (args_int(args, "threads", 1, 64, 8, &n, err) == -1)
		goto done;
	hc.threads = (unsigned)n;
	if (args_int(args, "idle-timeout", 1, 3600, 10, &n, err) == -1)
		goto done;
	hc.idle_timeout = (unsigned)n;
	hc.request_timeout = hc.idle_timeout * 3;
	if (args_int(args, "max-connections", 1, 100000, 256, &n, err) == -1)
		goto done;
	hc.max_connections = (unsigned)n;
	if (config_get_duration_ms(ctx->cfg, "metrics.drain_timeout", 10000,
	    &drain, err) == -1)
		goto done;
	hc.log = metrics_serve_log;
	hc.errlog = metrics_serve_errlog;
	hc.log_arg = &s;
	if (httpd_new(&hc, &h, err) == -1)
		goto done;
	httpd_route(h, "POST", "/report", metrics_serve_report, &s);
	httpd_route(h, "GET", "/healthz", metrics_serve_health, &s);
	if (httpd_start(h, err) == -1)
		goto done;
	fprintf(ctx->out, "listening on http://%s\n", httpd_address(h));
	fflush(ctx->out);
	if (httpd_run(h, (unsigned)drain, &sig, &unfinished, err) == -1)
		goto done;
	ctx_info(ctx, "%s: stopped after %llu request%s, %llu report%s "
	    "stored, %llu rejected%s", sig == SIGINT ? "interrupt" :
	    "terminated", s.requests, s.requests == 1 ? "" : "s", s.stored,
	    s.stored == 1 ? "" : "s", s.rejected, unfinished ? " (requests "
	    "still in flight were cut off)" : "");
	if (ctx->verbose > 0)
		ctx_info(ctx, "%llu commits", s.gen);
	rc = 0;
done:
	httpd_free(h);
	metrics_cache_free(s.opts.cache);
	metrics_alerts_free(alerts);
	pthread_cond_destroy(&s.done);
	pthread_mutex_destroy(&s.mu);
	return rc;
}

static int
cmd_metrics_prune(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *v = args_get(args, "older-than");
	long long secs, n;
	time_t before;
	cJSON *obj;
	int rc;

	if (v == NULL)
		v = config_get(ctx->cfg, "metrics.retention");
	if (v == NULL)
		return es_err_set(err, ES_EUSAGE, "MissingOption", "option "
		    "'--older-than' is required (or set metrics.retention)");
	if (util_parse_duration(v, "--older-than", &secs, err) == -1)
		return -1;
	if (secs < 3600)
		return es_err_set(err, ES_EUSAGE, NULL, "--older-than %s is "
		    "under an hour: refusing to delete recent reports", v);
	before = metrics_now(ctx) - (time_t)secs;
	if (ctx->dry_run) {
		if (store_query_int(ctx->store, err, &n, 0, "SELECT count(*) "
		    "FROM metric_report WHERE ts < ?", "i",
		    (long long)before * 1000) == -1)
			return -1;
		ctx_info(ctx, "dry run: nothing deleted");
	} else if (metrics_prune(ctx->store, before, &n, err) == -1)
		return -1;
	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "deleted", (double)n);
	rc = out_ok(ctx, obj, "%lld report%s older than %s %s", n, n == 1 ?
	    "" : "s", v, ctx->dry_run ? "would be deleted" : "deleted");
	cJSON_Delete(obj);
	return rc;
}

static const struct out_col alert_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_NAME },
	{ "NAMESPACE", "namespace", 0 },
	{ "CONTAINER", "container_name", 0 },
	{ "METRIC", "metric", 0 },
	{ "VALUE", "value", OUT_COL_RIGHT },
	{ "THRESHOLD", "threshold", OUT_COL_RIGHT },
	{ "STATE", "state", OUT_COL_STATUS },
	{ "STARTED", "started_at", 0 },
	{ "NOTIFIED", "notifications", OUT_COL_RIGHT },
	{ "RESOLVED", "resolved_at", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_metrics_alerts(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	cJSON *list;
	int rc;

	if (metrics_alert_list(ctx->store, args->argc ? args->argv[0] : NULL,
	    args_has(args, "firing"), &list, err) == -1)
		return -1;
	out_kind(ctx, "alert");
	rc = out_list(ctx, list, alert_cols, err);
	cJSON_Delete(list);
	return rc;
}

static const struct esctl_opt ingest_opts[] = {
	{ 0, "skip-invalid", NULL, "store the valid reports of a batch "
	    "that has invalid ones", OPT_BOOL, 0, NULL },
	{ 0, "max-skew", "DURATION", "how far in the future a timestamp "
	    "may be (default 5m)", OPT_STRING, 0, NULL },
	{ 0, "no-alerts", NULL, "store only, do not check the thresholds",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt serve_opts[] = {
	{ 'l', "listen", "ADDR:PORT", "address to listen on (default "
	    "127.0.0.1:9108)", OPT_STRING, 0, NULL },
	{ 0, "max-body", "SIZE", "largest request body (default 8Mi)",
	    OPT_STRING, 0, NULL },
	{ 0, "rate", "N", "requests per second per client address "
	    "(default: no limit)", OPT_STRING, 0, NULL },
	{ 0, "threads", "N", "worker threads (default 8)", OPT_INT, 0, NULL },
	{ 0, "idle-timeout", "SECONDS", "close idle connections after this "
	    "(default 10)", OPT_INT, 0, NULL },
	{ 0, "max-connections", "N", "open connections at most (default "
	    "256)", OPT_INT, 0, NULL },
	{ 0, "skip-invalid", NULL, "store the valid reports of a batch "
	    "that has invalid ones", OPT_BOOL, 0, NULL },
	{ 0, "max-skew", "DURATION", "how far in the future a timestamp "
	    "may be (default 5m)", OPT_STRING, 0, NULL },
	{ 0, "no-alerts", NULL, "store only, do not check the thresholds",
	    OPT_BOOL, 0, NULL },
	{ 0, "no-auth", NULL, "accept reports without a bearer token",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt prune_opts[] = {
	{ 0, "older-than", "DURATION", "delete reports older than this "
	    "(30d)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt alerts_opts[] = {
	{ 0, "firing", NULL, "only alerts still firing", OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_verb metrics_verbs[] = {
	{ "ingest", "[FILE|-]", "validate and store plugin reports",
	    "Reads one JSON object, an array of them or NDJSON.  A batch is "
	    "one\ntransaction: one invalid record rejects the batch unless "
	    "--skip-invalid.", ingest_opts, 0, 1,
	    CMD_NEEDS_DB | CMD_MUTATES, "file", cmd_metrics_ingest },
	{ "serve", NULL, "receive plugin reports over HTTP (POST /report)",
	    "Runs until SIGTERM or SIGINT, then finishes the requests in "
	    "flight.", serve_opts, 0, 0, CMD_NEEDS_DB | CMD_MUTATES, NULL,
	    cmd_metrics_serve },
	{ "prune", NULL, "delete old reports", NULL, prune_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL,
	    cmd_metrics_prune },
	{ "alerts", "[NAMESPACE]", "list threshold alerts, newest first", NULL,
	    alerts_opts, 0, 1, CMD_NEEDS_DB | CMD_OFFLINE, "namespace",
	    cmd_metrics_alerts },
	VERB_END
};

const struct esctl_group esctl_group_metrics = {
	"metrics", "ES plugin reports: ingest, serve, prune, alerts",
	NULL, metrics_verbs
};
