/*
 * dashserve.c - esctl dashboard serve: the work-bench as a live page on
 * lib/httpd (the server `metrics serve` uses too).
 *
 *	GET  /				the page (dashhtml.h, live mode)
 *	GET  /api/dashboard		{"data": <document>, "main": "<main>"}
 *	POST /api/orders/NUMBER/VERB	approve | reject | execute, with
 *					--allow-actions
 *
 * Reading is open (loopback by default; the page shows what `esctl
 * dashboard` shows).  An action needs, in this order: --allow-actions
 * (403), "Authorization: Bearer TOKEN" (401), the page's CSRF token in
 * X-CSRF-Token (403), a JSON body with "confirm": true (400); then it
 * goes through dash_act(), the library calls of `esctl order`.
 */
#include <sys/random.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dashhtml.h"
#include "httpd.h"
#include "util.h"
#include "xmalloc.h"

#define SERVE_DEFAULT_LISTEN	"127.0.0.1:8089"
#define SERVE_TOKEN_BYTES	24

struct serve {
	struct esctl_ctx	*ctx;
	struct esctl_args	*args;
	pthread_mutex_t		 mu;	/* the store and ctx are shared */
	int			 actions;
	int			 poll;
	char			*token;
	char			 csrf[2 * SERVE_TOKEN_BYTES + 1];
};

static int	 serve_random_hex(char *, size_t, struct es_err *);
static int	 serve_doc(struct serve *, cJSON **, struct es_buf *,
		    struct es_err *);
static void	 serve_page(void *, const struct httpd_request *,
		    struct httpd_response *);
static void	 serve_api(void *, const struct httpd_request *,
		    struct httpd_response *);
static void	 serve_action(void *, const struct httpd_request *,
		    struct httpd_response *);
static void	 serve_headers(struct httpd_response *);
static int	 serve_equal(const char *, const char *);

/* nbytes random bytes (the kernel's CSPRNG) as hex into buf. */
static int
serve_random_hex(char *buf, size_t nbytes, struct es_err *err)
{
	unsigned char r[64];
	size_t i;

	if (nbytes > sizeof r || getrandom(r, nbytes, 0) != (ssize_t)nbytes)
		return es_err_set(err, ES_EFAIL, NULL, "cannot get random "
		    "bytes for a token");
	for (i = 0; i < nbytes; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* Constant-time string comparison. */
static int
serve_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
serve_headers(struct httpd_response *resp)
{
	httpd_set_header(resp, "Cache-Control", "no-store");
	httpd_set_header(resp, "X-Content-Type-Options", "nosniff");
	httpd_set_header(resp, "X-Frame-Options", "DENY");
	httpd_set_header(resp, "Referrer-Policy", "no-referrer");
}

/* The document and, when main is not NULL, its <main> element. */
static int
serve_doc(struct serve *s, cJSON **doc, struct es_buf *main_html,
    struct es_err *err)
{
	struct dashhtml_opts o;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = dash_gather(s->ctx, s->args, dash_now(s->ctx), doc, err);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0 && main_html != NULL) {
		memset(&o, 0, sizeof o);
		o.actions = s->actions;
		dashhtml_main(main_html, *doc, &o);
	}
	return rc;
}

static void
serve_page(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	struct serve *s = arg;
	struct es_err err = ES_ERR_INIT;
	struct dashhtml_opts o;
	struct es_buf b = ES_BUF_INIT;
	cJSON *doc;

	(void)req;
	if (serve_doc(s, &doc, NULL, &err) == -1) {
		httpd_reply_error(resp, 500, "StoreError", "%s", err.msg);
		return;
	}
	memset(&o, 0, sizeof o);
	o.poll_path = "/api/dashboard";
	o.poll_seconds = s->poll;
	o.actions = s->actions;
	o.csrf_token = s->actions ? s->csrf : NULL;
	dashhtml_page(&b, doc, &o);
	cJSON_Delete(doc);
	serve_headers(resp);
	httpd_reply(resp, 200, "text/html; charset=utf-8", b.data, b.len);
	es_buf_release(&b);
}

static void
serve_api(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	struct serve *s = arg;
	struct es_err err = ES_ERR_INIT;
	struct es_buf b = ES_BUF_INIT;
	cJSON *doc, *out;

	(void)req;
	if (serve_doc(s, &doc, &b, &err) == -1) {
		httpd_reply_error(resp, 500, "StoreError", "%s", err.msg);
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "data", doc);
	cJSON_AddStringToObject(out, "main", b.data);
	serve_headers(resp);
	httpd_reply_json(resp, 200, out);
	cJSON_Delete(out);
	es_buf_release(&b);
}

static void
serve_action(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	static const int status_of[] = { 200, 500, 400, 404, 409, 429, 502,
	    403 };
	struct serve *s = arg;
	struct es_err err = ES_ERR_INIT;
	const char *p, *slash, *csrf;
	char num[128], verb[32], msg[1024];
	const cJSON *c, *r;
	cJSON *body, *out;
	int rc;

	serve_headers(resp);
	if (!s->actions) {
		httpd_reply_error(resp, 403, "ActionsDisabled", "actions are "
		    "disabled: start the server with --allow-actions");
		return;
	}
	if (httpd_require_bearer(req, resp, s->token) == -1)
		return;
	csrf = httpd_header(req, "X-CSRF-Token");
	if (csrf == NULL || !serve_equal(csrf, s->csrf)) {
		httpd_reply_error(resp, 403, "CSRFTokenMismatch", "missing or "
		    "wrong X-CSRF-Token: reload the page");
		return;
	}
	p = req->path + strlen("/api/orders/");
	if ((slash = strchr(p, '/')) == NULL || slash == p ||
	    (size_t)(slash - p) >= sizeof num ||
	    strlen(slash + 1) >= sizeof verb) {
		httpd_reply_error(resp, 404, "NotFound", "use POST "
		    "/api/orders/NUMBER/approve, .../reject or .../execute");
		return;
	}
	snprintf(num, sizeof num, "%.*s", (int)(slash - p), p);
	snprintf(verb, sizeof verb, "%s", slash + 1);
	if (strcmp(verb, "approve") != 0 && strcmp(verb, "reject") != 0 &&
	    strcmp(verb, "execute") != 0) {
		httpd_reply_error(resp, 404, "NotFound", "unknown action '%s':"
		    " use approve, reject or execute", verb);
		return;
	}
	if (!httpd_content_type_is(req, "application/json")) {
		httpd_reply_error(resp, 415, "UnsupportedMediaType", "the "
		    "body must be application/json");
		return;
	}
	body = cJSON_ParseWithLength(req->body, req->body_len);
	c = cJSON_GetObjectItem(body, "confirm");
	r = cJSON_GetObjectItem(body, "reason");
	if (!cJSON_IsTrue(c)) {
		cJSON_Delete(body);
		httpd_reply_error(resp, 400, "ConfirmationRequired", "the body "
		    "must confirm the action: {\"confirm\": true}");
		return;
	}
	pthread_mutex_lock(&s->mu);
	rc = dash_act(s->ctx, verb, num, cJSON_IsString(r) ? r->valuestring :
	    NULL, dash_now(s->ctx), NULL, NULL, msg, sizeof msg, &err);
	pthread_mutex_unlock(&s->mu);
	cJSON_Delete(body);
	if (rc == -1) {
		httpd_reply_error(resp, err.code > 0 && err.code < 8 ?
		    status_of[err.code] : 500, err.reason[0] ? err.reason :
		    "Failed", "%s", err.msg);
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "order", num);
	cJSON_AddStringToObject(out, "action", verb);
	cJSON_AddStringToObject(out, "message", msg);
	httpd_reply_json(resp, 200, out);
	cJSON_Delete(out);
}

/* Reads the bearer token of the actions: config value, then file. */
static int
serve_token(struct esctl_ctx *ctx, char **out, int *generated,
    struct es_err *err)
{
	const char *v;
	char *buf = NULL;
	size_t len;
	FILE *f;

	*generated = 0;
	if ((v = config_get(ctx->cfg, "dashboard.token")) != NULL &&
	    *v != '\0') {
		*out = xstrdup(v);
		return 0;
	}
	if ((v = config_get(ctx->cfg, "dashboard.token_file")) != NULL) {
		if ((f = fopen(v, "r")) == NULL)
			return es_err_set(err, ES_EUSAGE, NULL, "cannot read "
			    "dashboard.token_file '%s'", v);
		len = 0;
		if (getline(&buf, &len, f) == -1) {
			free(buf);
			buf = NULL;
		}
		fclose(f);
		if (buf != NULL)
			buf[strcspn(buf, "\r\n")] = '\0';
		if (buf == NULL || *buf == '\0') {
			free(buf);
			return es_err_set(err, ES_EUSAGE, NULL, "dashboard."
			    "token_file '%s' is empty", v);
		}
		*out = buf;
		return 0;
	}
	*out = xmalloc(2 * SERVE_TOKEN_BYTES + 1);
	*generated = 1;
	return serve_random_hex(*out, SERVE_TOKEN_BYTES, err);
}

int
dash_serve(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct httpd_config hc;
	struct httpd *h = NULL;
	struct serve s;
	long long ms;
	const char *v;
	int generated = 0, sig, rc = -1;
	unsigned unfinished;

	memset(&s, 0, sizeof s);
	s.ctx = ctx;
	s.args = args;
	s.actions = args_has(args, "allow-actions");
	ms = 5000;
	if ((v = args_get(args, "interval")) != NULL &&
	    util_parse_duration_ms(v, "--interval", &ms, err) == -1)
		return -1;
	if (ms < 1000)
		return es_err_set(err, ES_EUSAGE, "Usage", "invalid value '%s' "
		    "for --interval: at least 1s", v);
	s.poll = (int)(ms / 1000);
	/* check the options now rather than on the first request */
	{
		cJSON *doc;

		if (dash_gather(ctx, args, dash_now(ctx), &doc, err) == -1)
			return -1;
		cJSON_Delete(doc);
	}
	memset(&hc, 0, sizeof hc);
	if ((hc.listen = args_get(args, "listen")) == NULL &&
	    (hc.listen = config_get(ctx->cfg, "dashboard.listen")) == NULL)
		hc.listen = SERVE_DEFAULT_LISTEN;
	if ((hc.tls_cert = args_get(args, "tls-cert")) == NULL)
		hc.tls_cert = config_get(ctx->cfg, "dashboard.tls_cert");
	if ((hc.tls_key = args_get(args, "tls-key")) == NULL)
		hc.tls_key = config_get(ctx->cfg, "dashboard.tls_key");
	if ((hc.tls_cert == NULL) != (hc.tls_key == NULL))
		return es_err_set(err, ES_EUSAGE, "Usage", "TLS needs both a "
		    "certificate and a key (--tls-cert and --tls-key)");
	if (s.actions) {
		if (serve_token(ctx, &s.token, &generated, err) == -1 ||
		    serve_random_hex(s.csrf, SERVE_TOKEN_BYTES, err) == -1)
			goto out;
	}
	pthread_mutex_init(&s.mu, NULL);
	if (httpd_new(&hc, &h, err) == -1)
		goto out_mu;
	httpd_route(h, "GET", "/", serve_page, &s);
	httpd_route(h, "GET", "/api/dashboard", serve_api, &s);
	httpd_route(h, "POST", "/api/orders/*", serve_action, &s);
	if (httpd_start(h, err) == -1)
		goto out_mu;
	fprintf(ctx->out, "serving the work-bench on %s://%s/ (%s)\n",
	    hc.tls_cert != NULL ? "https" : "http", httpd_address(h),
	    s.actions ? "actions allowed" : "read-only");
	if (generated)
		fprintf(ctx->out, "actions token (generated for this run): "
		    "open %s://%s/#token=%s\n", hc.tls_cert != NULL ? "https" :
		    "http", httpd_address(h), s.token);
	fflush(ctx->out);
	rc = httpd_run(h, 0, &sig, &unfinished, err);
out_mu:
	httpd_free(h);
	pthread_mutex_destroy(&s.mu);
out:
	free(s.token);
	return rc;
}
