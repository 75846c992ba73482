/*
 * metrics.c - esctl metrics: the ES plugins' data reports (seed 000 §20)
 * in from a file or over HTTP, their retention and the alert history.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
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
 * Group commit.  A request handler parses nothing itself: it queues its
 * body as a job and defers its answer (the connection is suspended and
 * holds no worker thread).  One committer thread takes every job queued,
 * opens one transaction, stores each job's batch as a savepoint in it
 * (a bad batch is rolled back alone), and keeps taking the jobs that
 * arrive meanwhile until the queue is empty or the group has
 * METRICS_GROUP_MAX jobs; then it commits (one fsync for the group),
 * sends the group's notifications, and answers each job's request.  A
 * report is answered 202 only after the commit that stored it.
 */
#define METRICS_GROUP_MAX	256	/* requests per commit at most */

struct metrics_job {
	const struct httpd_request *req;
	struct httpd_response	*resp;
	struct metrics_opts	 o;
	struct metrics_result	 r;
	struct es_err		 err;
	int			 rc;
	struct metrics_job	*next;
};

struct metrics_server {
	struct esctl_ctx	*ctx;
	pthread_mutex_t		 mu;		/* the queue and all below */
	pthread_cond_t		 work;		/* jobs queued, or stopping */
	struct metrics_job	*head;
	struct metrics_job	**tail;
	int			 stopping;
	pthread_t		 committer;
	int			 running;
	unsigned long long	 gen;		/* groups committed */
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
		    " (alert sent)" : r.alerts_resolved > 0 ? " (alert "
		    "resolved)" : "");
	cJSON_Delete(obj);
done:
	metrics_result_release(&r);
	metrics_alerts_free(alerts);
	es_buf_unmap(map, maplen);
	es_buf_release(&b);
	return rc;
}

static void	metrics_serve_answer(struct metrics_job *);

/* Moves up to room queued jobs to the list ending at *last; locked. */
static size_t
metrics_take(struct metrics_server *s, struct metrics_job ***last,
    size_t room)
{
	struct metrics_job *j;
	size_t n = 0;

	while (n < room && (j = s->head) != NULL) {
		s->head = j->next;
		if (s->head == NULL)
			s->tail = &s->head;
		j->next = NULL;
		**last = j;
		*last = &j->next;
		n++;
	}
	return n;
}

/*
 * Stores a group in one transaction, taking in the jobs that arrive
 * meanwhile, and commits it; then sends its notifications.
 */
static void
metrics_group(struct metrics_server *s, struct metrics_job *group,
    struct metrics_job **last, size_t n)
{
	struct store *st = s->ctx->store;
	struct es_err e2 = ES_ERR_INIT;
	struct metrics_job *j, *prev = NULL;
	int rc;

	rc = store_begin(st, &e2);
	j = group;
	for (;;) {
		for (; j != NULL; prev = j, j = j->next) {
			if (rc == -1) {
				j->rc = -1;
				continue;
			}
			j->rc = metrics_ingest(st, j->req->body,
			    j->req->body_len, &j->o, &s->nt, &j->r, &j->err);
		}
		pthread_mutex_lock(&s->mu);
		if (n < METRICS_GROUP_MAX)
			n += metrics_take(s, &last, METRICS_GROUP_MAX - n);
		pthread_mutex_unlock(&s->mu);
		if (prev == NULL || (j = prev->next) == NULL)
			break;
	}
	if (rc == 0 && store_commit(st, &e2) == -1)
		rc = -1;
	for (j = group; j != NULL; j = j->next) {
		if (rc == -1 && j->rc == 0) {
			/* the batch was fine, the commit was not */
			j->rc = -1;
			metrics_result_release(&j->r);
			memset(&j->r, 0, sizeof j->r);
		}
		if (rc == -1) {
			es_err_set(&j->err, ES_EFAIL, "StoreError", "%s",
			    e2.msg);
			continue;
		}
		/* pages go out once their reports are committed */
		if (j->rc == 0 && j->r.pages != NULL)
			metrics_send_pages(st, &s->nt, &j->r, j->o.now);
	}
}

/* The committer thread: one group after another until stopped. */
static void *
metrics_committer(void *arg)
{
	struct metrics_server *s = arg;
	struct metrics_job *group, **last, *j, *next;
	size_t n;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->head == NULL && !s->stopping)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->head == NULL)
			break;
		group = NULL;
		last = &group;
		n = metrics_take(s, &last, METRICS_GROUP_MAX);
		pthread_mutex_unlock(&s->mu);
		metrics_group(s, group, last, n);
		pthread_mutex_lock(&s->mu);
		for (j = group; j != NULL; j = j->next) {
			s->requests++;
			if (j->rc == 0) {
				s->stored += j->r.accepted;
				s->rejected += j->r.rejected;
			}
		}
		s->gen++;
		pthread_mutex_unlock(&s->mu);
		for (j = group; j != NULL; j = next) {
			next = j->next;
			metrics_serve_answer(j);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The 202 body: {"records", "accepted", "rejected", "rejects", ...}. */
static void
metrics_serve_counts(struct httpd_response *resp,
    const struct metrics_result *r)
{
	struct es_buf b = ES_BUF_INIT;
	char *rej = NULL;

	if (cJSON_GetArraySize(r->rejects) > 0 &&
	    (rej = cJSON_PrintUnformatted(r->rejects)) == NULL)
		fatal("out of memory");
	es_buf_addf(&b, "{\"records\":%zu,\"accepted\":%zu,\"rejected\":%zu,"
	    "\"rejects\":%s,\"alerts_fired\":%zu,\"alerts_resolved\":%zu}\n",
	    r->records, r->accepted, r->rejected, rej != NULL ? rej : "[]",
	    r->alerts_fired, r->alerts_resolved);
	httpd_reply(resp, 202, "application/json", b.data, b.len);
	cJSON_free(rej);
	es_buf_release(&b);
}

/* Answers a job's request and frees the job. */
static void
metrics_serve_answer(struct metrics_job *j)
{
	const struct httpd_request *req = j->req;
	struct httpd_response *resp = j->resp;
	cJSON *obj, *e;

	if (j->rc == -1) {
		if (j->err.code == ES_EUSAGE)
			httpd_reply_error(resp, 400, j->err.reason, "%s",
			    j->err.msg);
		else
			httpd_reply_error(resp, 503, j->err.reason[0] ?
			    j->err.reason : "StoreError", "%s", j->err.msg);
	} else if (j->r.rejected > 0 && !j->o.skip_invalid) {
		obj = metrics_result_json(&j->r);
		e = cJSON_AddObjectToObject(obj, "error");
		cJSON_AddNumberToObject(e, "code", 400);
		cJSON_AddStringToObject(e, "reason", j->err.reason);
		cJSON_AddStringToObject(e, "message", j->err.msg);
		httpd_reply_json(resp, 400, obj);
		cJSON_Delete(obj);
	} else
		metrics_serve_counts(resp, &j->r);
	metrics_result_release(&j->r);
	free(j);
	httpd_resume(req);
}

static void
metrics_serve_report(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	struct metrics_server *s = arg;
	struct metrics_job *j;
	const char *q;

	if (httpd_require_bearer(req, resp, s->token) == -1)
		return;
	if (!httpd_content_type_is(req, "application/json") &&
	    !httpd_content_type_is(req, "application/x-ndjson")) {
		httpd_reply_error(resp, 415, "UnsupportedMediaType", "reports "
		    "must be sent as application/json or "
		    "application/x-ndjson");
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->req = req;
	j->o = s->opts;
	if ((q = httpd_query(req, "skip_invalid")) != NULL)
		j->o.skip_invalid = strcmp(q, "true") == 0 ||
		    strcmp(q, "1") == 0;
	j->o.now = metrics_now(s->ctx);
	j->o.in_tx = 1;
	j->resp = httpd_defer(req);
	pthread_mutex_lock(&s->mu);
	*s->tail = j;
	s->tail = &j->next;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
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

/* Is the host of ADDR:PORT a loopback address (none: 127.0.0.1)? */
static int
metrics_loopback(const char *listen)
{
	char host[64];
	const char *colon;
	unsigned char a[16];
	size_t n;

	if (listen[0] == '[') {
		if ((colon = strchr(listen, ']')) == NULL)
			return 0;
		n = (size_t)(colon - listen - 1);
		listen++;
	} else if ((colon = strrchr(listen, ':')) == NULL)
		return 1;
	else
		n = (size_t)(colon - listen);
	if (n == 0)
		return 1;
	if (n >= sizeof host)
		return 0;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	return inet_pton(AF_INET6, host, a) == 1 &&
	    memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
}

/*
 * TLS: both files or neither; the key must not be readable by group or
 * others (like ssh with a private key).
 */
static int
metrics_tls_files(struct esctl_ctx *ctx, struct esctl_args *args,
    struct httpd_config *hc, struct es_err *err)
{
	struct stat sb;

	if ((hc->tls_cert = args_get(args, "tls-cert")) == NULL)
		hc->tls_cert = config_get(ctx->cfg, "metrics.tls_cert");
	if ((hc->tls_key = args_get(args, "tls-key")) == NULL)
		hc->tls_key = config_get(ctx->cfg, "metrics.tls_key");
	if ((hc->tls_cert == NULL) != (hc->tls_key == NULL))
		return es_err_set(err, ES_EUSAGE, "InvalidTLS", "TLS needs "
		    "both --tls-cert and --tls-key");
	if (hc->tls_key == NULL)
		return 0;
	if (stat(hc->tls_key, &sb) == -1)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
		    ES_EFAIL, "InvalidTLS", "cannot read TLS key '%s': %s",
		    hc->tls_key, strerror(errno));
	if (sb.st_mode & (S_IRWXG | S_IRWXO))
		return es_err_set(err, ES_EUSAGE, "InsecureKey", "TLS key "
		    "'%s' is readable by others (mode %04o): refusing to "
		    "use it; chmod 600 it", hc->tls_key,
		    (unsigned)(sb.st_mode & 07777));
	return 0;
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
	pthread_cond_init(&s.work, NULL);
	s.tail = &s.head;
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
	if (metrics_tls_files(ctx, args, &hc, err) == -1)
		goto done;
	if ((v = args_get(args, "sync")) == NULL &&
	    (v = config_get(ctx->cfg, "metrics.sync")) == NULL)
		v = "normal";
	if (strcmp(v, "normal") != 0 && strcmp(v, "full") != 0) {
		es_err_set(err, ES_EUSAGE, NULL, "--sync must be 'normal' or "
		    "'full', not '%s'", v);
		goto done;
	}
	/*
	 * WAL with synchronous = NORMAL: a commit is in the WAL file (the
	 * kernel's page cache) when COMMIT returns, so a report answered
	 * 202 survives a crash of this process; FULL also waits for the
	 * disk (fsync), so it survives a power loss too.
	 */
	if (store_set_sync(ctx->store, strcmp(v, "full") == 0, err) == -1)
		goto done;
	/* no commit waits behind a checkpoint's writes (p99 latency) */
	if (store_checkpoint_bg_start(ctx->store, 1000, err) == -1)
		goto done;
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
	if ((errno = pthread_create(&s.committer, NULL, metrics_committer,
	    &s)) != 0) {
		es_err_set(err, ES_EFAIL, NULL, "cannot start a thread: %s",
		    strerror(errno));
		goto done;
	}
	s.running = 1;
	httpd_route(h, "POST", "/report", metrics_serve_report, &s);
	httpd_route(h, "GET", "/healthz", metrics_serve_health, &s);
	if (httpd_start(h, err) == -1)
		goto done;
	if (s.token != NULL && hc.tls_cert == NULL &&
	    !metrics_loopback(hc.listen))
		ctx_warn(ctx, "the bearer token is sent in clear text to %s: "
		    "use --tls-cert and --tls-key off loopback",
		    httpd_address(h));
	fprintf(ctx->out, "listening on %s://%s\n", hc.tls_cert != NULL ?
	    "https" : "http", httpd_address(h));
	fflush(ctx->out);
	if (httpd_run(h, (unsigned)drain, &sig, &unfinished, err) == -1)
		goto done;
	ctx_info(ctx, "%s: stopped after %llu request%s, %llu report%s "
	    "stored, %llu rejected%s", sig == SIGINT ? "interrupt" :
	    "terminated", s.requests, s.requests == 1 ? "" : "s", s.stored,
	    s.stored == 1 ? "" : "s", s.rejected, unfinished ? " (requests "
	    "still in flight were cut off)" : "");
	if (ctx->verbose > 0)
		ctx_info(ctx, "%llu commit%s", s.gen, s.gen == 1 ? "" : "s");
	rc = 0;
done:
	httpd_free(h);		/* every request answered: the queue is empty */
	if (s.running) {
		pthread_mutex_lock(&s.mu);
		s.stopping = 1;
		pthread_cond_signal(&s.work);
		pthread_mutex_unlock(&s.mu);
		pthread_join(s.committer, NULL);
	}
	store_checkpoint_bg_stop(ctx->store);
	metrics_cache_free(s.opts.cache);
	metrics_alerts_free(alerts);
	pthread_cond_destroy(&s.work);
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
	{ 0, "tls-cert", "FILE", "serve HTTPS with this PEM certificate "
	    "(chain)", OPT_STRING, 0, "file" },
	{ 0, "tls-key", "FILE", "the certificate's PEM private key (mode "
	    "0600)", OPT_STRING, 0, "file" },
	{ 0, "sync", "normal|full", "commit durability: normal (survives a "
	    "crash of esctl) or full (fsync: survives a power loss)",
	    OPT_STRING, 0, "=normal full" },
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
