/*
 * test-httpd.c - unit tests for the HTTP server (lib/httpd.c), spoken to
 * over plain loopback sockets so that malformed and slow clients can be
 * played too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "httpd.h"
#include "unit.h"
#include "util.h"

struct hstate {
	pthread_mutex_t	 mu;
	int		 calls;
	int		 entered;	/* the slow handler has started */
	long		 sleep_ms;
};

static int
hconnect(unsigned port)
{
	struct sockaddr_in sa;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends req, reads until the server closes; returns the status or -1. */
static int
hexchange(unsigned port, const char *req, size_t len, struct es_buf *out)
{
	char buf[4096];
	ssize_t n;
	size_t off = 0;
	int fd, status = -1;

	es_buf_reset(out);
	if ((fd = hconnect(port)) == -1)
		return -1;
	while (off < len) {
		n = write(fd, req + off, len - off);
		if (n <= 0)
			break;	/* the server may answer early and close */
		off += (size_t)n;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		es_buf_add(out, buf, (size_t)n);
	close(fd);
	if (sscanf(out->data, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	return status;
}

static void
h_echo(void *arg, const struct httpd_request *req,
    struct httpd_response *r)
{
	struct hstate *s = arg;
	struct es_buf b = ES_BUF_INIT;
	const char *x = httpd_header(req, "X-Test");

	pthread_mutex_lock(&s->mu);
	s->calls++;
	s->entered = 1;
	pthread_mutex_unlock(&s->mu);
	if (s->sleep_ms > 0) {
		struct timespec ts = { s->sleep_ms / 1000,
		    (s->sleep_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	es_buf_addf(&b, "{\"method\":\"%s\",\"len\":%zu,\"x\":\"%s\","
	    "\"q\":\"%s\"}", req->method, req->body_len, x ? x : "",
	    httpd_query(req, "q") ? httpd_query(req, "q") : "");
	httpd_set_header(r, "X-Served-By", "esctl");
	httpd_reply(r, 200, "application/json", b.data, b.len);
	es_buf_release(&b);
}

static void
h_auth(void *arg, const struct httpd_request *req,
    struct httpd_response *r)
{
	(void)arg;
	if (httpd_require_bearer(req, r, "s3cret") == -1)
		return;
	httpd_reply(r, 204, NULL, "", 0);
}

static struct httpd *
hstart(struct unit_t *t, struct httpd_config *cfg, struct hstate *s)
{
	struct es_err err = ES_ERR_INIT;
	struct httpd *h;

	if (httpd_new(cfg, &h, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "httpd_new: %s", err.msg);
		return NULL;
	}
	httpd_route(h, "GET", "/echo", h_echo, s);
	httpd_route(h, "POST", "/echo", h_echo, s);
	httpd_route(h, "GET", "/auth", h_auth, s);
	httpd_route(h, NULL, "/any/*", h_echo, s);
	if (httpd_start(h, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "httpd_start: %s", err.msg);
		httpd_free(h);
		return NULL;
	}
	return h;
}

static void
test_httpd_routes(struct unit_t *t)
{
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct es_buf out = ES_BUF_INIT;
	struct httpd *h;
	const char *req;
	unsigned port;

	memset(&cfg, 0, sizeof cfg);
	cfg.listen = "127.0.0.1:0";
	if ((h = hstart(t, &cfg, &s)) == NULL)
		return;
	port = httpd_port(h);
	UT_ASSERT(t, port > 0);
	UT_ASSERT(t, strncmp(httpd_address(h), "127.0.0.1:", 10) == 0);

	req = "GET /echo?q=hi HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n"
	    "Connection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 200);
	UT_ASSERT(t, strstr(out.data, "\"x\":\"yes\"") != NULL);
	UT_ASSERT(t, strstr(out.data, "\"q\":\"hi\"") != NULL);
	UT_ASSERT(t, strstr(out.data, "X-Served-By: esctl") != NULL);

	req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\nhello";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 200);
	UT_ASSERT(t, strstr(out.data, "\"len\":5") != NULL);

	req = "DELETE /any/thing HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 200);

	req = "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 404);
	UT_ASSERT(t, strstr(out.data, "\"reason\":\"NotFound\"") != NULL);

	req = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 405);
	UT_ASSERT(t, strstr(out.data, "Allow: GET, POST") != NULL);

	req = "GET /auth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 401);
	UT_ASSERT(t, strstr(out.data, "WWW-Authenticate: Bearer") != NULL);
	req = "GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    "s3cre\r\nConnection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 401);
	req = "GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    "s3cretX\r\nConnection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 401);
	req = "GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
	    "s3cret\r\nConnection: close\r\n\r\n";
	UT_EQ_INT(t, hexchange(port, req, strlen(req), &out), 204);

	httpd_free(h);
	es_buf_release(&out);
}

static void
test_httpd_limits(struct unit_t *t)
{
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct es_buf out = ES_BUF_INIT, req = ES_BUF_INIT;
	struct httpd *h;
	unsigned port;
	int i;

	memset(&cfg, 0, sizeof cfg);
	cfg.max_body = 1000;
	if ((h = hstart(t, &cfg, &s)) == NULL)
		return;
	port = httpd_port(h);

	/* Declared too large: refused before the body is read. */
	es_buf_adds(&req, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 104857600\r\nConnection: close\r\n\r\n");
	UT_EQ_INT(t, hexchange(port, req.data, req.len, &out), 413);
	UT_ASSERT(t, strstr(out.data, "PayloadTooLarge") != NULL);

	/* Chunked, no length: refused once it passes the limit. */
	es_buf_reset(&req);
	es_buf_adds(&req, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	for (i = 0; i < 3; i++) {
		es_buf_adds(&req, "190\r\n");
		es_buf_grow(&req, 400);
		memset(req.data + req.len, 'a', 400);
		req.len += 400;
		req.data[req.len] = '\0';
		es_buf_adds(&req, "\r\n");
	}
	es_buf_adds(&req, "0\r\n\r\n");
	UT_EQ_INT(t, hexchange(port, req.data, req.len, &out), 413);
	UT_EQ_INT(t, s.calls, 0);

	/* Exactly at the limit is fine. */
	es_buf_reset(&req);
	es_buf_adds(&req, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1000\r\nConnection: close\r\n\r\n");
	es_buf_grow(&req, 1000);
	memset(req.data + req.len, 'b', 1000);
	req.len += 1000;
	req.data[req.len] = '\0';
	UT_EQ_INT(t, hexchange(port, req.data, req.len, &out), 200);
	UT_ASSERT(t, strstr(out.data, "\"len\":1000") != NULL);

	/* Garbage is a 400 from the library, not a crash. */
	UT_EQ_INT(t, hexchange(port, "NOT HTTP\r\n\r\n", 12, &out), 400);

	httpd_free(h);
	es_buf_release(&out);
	es_buf_release(&req);
}

/* A client that never finishes its headers is cut off; others go on. */
static void
test_httpd_slowloris(struct unit_t *t)
{
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct es_buf out = ES_BUF_INIT;
	struct pollfd pfd;
	struct httpd *h;
	const char *req = "GET /echo HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	char c;
	int fd[4], i;

	memset(&cfg, 0, sizeof cfg);
	cfg.idle_timeout = 1;
	cfg.per_ip = 8;
	if ((h = hstart(t, &cfg, &s)) == NULL)
		return;
	for (i = 0; i < 4; i++) {
		fd[i] = hconnect(httpd_port(h));
		UT_ASSERT(t, fd[i] != -1);
		if (fd[i] != -1)
			UT_ASSERT(t, write(fd[i], "GET /echo HTTP/1.1\r\nHo",
			    22) == 22);
	}
	UT_EQ_INT(t, hexchange(httpd_port(h), req, strlen(req), &out), 200);
	for (i = 0; i < 4; i++) {
		if (fd[i] == -1)
			continue;
		/* Closed by the server (EOF), well before 10 s. */
		pfd.fd = fd[i];
		pfd.events = POLLIN;
		UT_EQ_INT(t, poll(&pfd, 1, 10000), 1);
		UT_ASSERT(t, read(fd[i], &c, 1) <= 0);
		close(fd[i]);
	}
	UT_EQ_INT(t, s.calls, 1);
	httpd_free(h);
	es_buf_release(&out);
}

static void
test_httpd_rate(struct unit_t *t)
{
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct es_buf out = ES_BUF_INIT;
	struct httpd *h;
	const char *req = "GET /echo HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";

	memset(&cfg, 0, sizeof cfg);
	cfg.rate = 0.01;
	cfg.burst = 2;
	if ((h = hstart(t, &cfg, &s)) == NULL)
		return;
	UT_EQ_INT(t, hexchange(httpd_port(h), req, strlen(req), &out), 200);
	UT_EQ_INT(t, hexchange(httpd_port(h), req, strlen(req), &out), 200);
	UT_EQ_INT(t, hexchange(httpd_port(h), req, strlen(req), &out), 429);
	UT_ASSERT(t, strstr(out.data, "Retry-After: ") != NULL);
	UT_EQ_INT(t, s.calls, 2);
	httpd_free(h);
	es_buf_release(&out);
}

struct hclient {
	unsigned	 port;
	int		 status;
	struct es_buf	 out;
};

static void *
hclient_run(void *arg)
{
	struct hclient *c = arg;
	const char *req = "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\nok";

	c->status = hexchange(c->port, req, strlen(req), &c->out);
	return NULL;
}

/* A stop waits for the request in flight, then refuses new ones. */
static void
test_httpd_graceful(struct unit_t *t)
{
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 300 };
	struct hclient c;
	struct timespec ts = { 0, 5000000L };
	struct httpd *h;
	pthread_t th;
	unsigned unfinished = 99, port;
	int entered = 0, i;

	memset(&cfg, 0, sizeof cfg);
	if ((h = hstart(t, &cfg, &s)) == NULL)
		return;
	port = httpd_port(h);
	c.port = port;
	c.status = 0;
	es_buf_init(&c.out);
	pthread_create(&th, NULL, hclient_run, &c);
	for (i = 0; i < 2000 && !entered; i++) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&s.mu);
		entered = s.entered;
		pthread_mutex_unlock(&s.mu);
	}
	UT_ASSERT(t, entered);
	httpd_stop(h, 10000, &unfinished);
	pthread_join(th, NULL);
	UT_EQ_INT(t, unfinished, 0);
	UT_EQ_INT(t, c.status, 200);
	UT_EQ_INT(t, hconnect(port), -1);
	es_buf_release(&c.out);
	httpd_free(h);
}

static void
test_httpd_bad_config(struct unit_t *t)
{
	struct httpd_config cfg;
	struct es_err err = ES_ERR_INIT;
	struct httpd *h = NULL, *h2 = NULL;
	char addr[64];

	memset(&cfg, 0, sizeof cfg);
	cfg.listen = "localhost:80";
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_ASSERT(t, strstr(err.msg, "use 127.0.0.1") != NULL);
	cfg.listen = "127.0.0.1:99999";
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	cfg.listen = "127.0.0.1:0";
	cfg.tls_cert = "/nonexistent/cert.pem";
	cfg.tls_key = "/nonexistent/key.pem";
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "/nonexistent/cert.pem") != NULL);
	cfg.tls_cert = cfg.tls_key = NULL;

	/* Port in use. */
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), 0);
	UT_EQ_INT(t, httpd_start(h, &err), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", httpd_port(h));
	cfg.listen = addr;
	UT_EQ_INT(t, httpd_new(&cfg, &h2, &err), 0);
	UT_EQ_INT(t, httpd_start(h2, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "cannot listen on") != NULL);
	httpd_free(h2);
	httpd_free(h);
	httpd_free(NULL);
}

/*
 * Sends req on a new connection, shuts the writing side and reads the
 * answer as fuzz-httpd does: the first byte within 5 s (or the close),
 * then whatever follows with pauses under 20 ms.  Returns the bytes
 * read (their first 15 in head), or -1 when nothing came in 5 s.
 */
static long
hfuzz_send(unsigned port, const char *req, size_t len, char head[16])
{
	struct pollfd pfd;
	char buf[4096];
	size_t off = 0, got = 0;
	ssize_t n;
	int fd, pr;

	memset(head, 0, 16);
	if ((fd = hconnect(port)) == -1)
		return -1;
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((pr = poll(&pfd, 1, got == 0 ? 5000 : 20)) == -1 &&
		    errno == EINTR)
			continue;
		if (pr == 0 && got == 0) {
			close(fd);
			return -1;
		}
		if (pr == 0 || (n = recv(fd, buf, sizeof buf, 0)) <= 0)
			break;
		if (got < 15)
			memcpy(head + got, buf, (size_t)n < 15 - got ?
			    (size_t)n : 15 - got);
		got += (size_t)n;
	}
	close(fd);
	return (long)got;
}

static void
h_report(void *arg, const struct httpd_request *req,
    struct httpd_response *r)
{
	(void)arg;
	if (httpd_require_bearer(req, r, "s3cret") == -1)
		return;
	if (!httpd_content_type_is(req, "application/json") &&
	    !httpd_content_type_is(req, "application/x-ndjson")) {
		httpd_reply_error(r, 415, "UnsupportedMediaType", "json");
		return;
	}
	httpd_reply(r, 202, "application/json", req->body, req->body_len);
}

/*
 * Replays the fuzz corpus (testdata/fuzz/httpd) against a server with
 * the routes of fuzz-httpd: every input is answered with an HTTP/1.x
 * status line or closed, within 5 s, and the server still answers a
 * plain request afterwards.
 */
static void
test_httpd_fuzz_corpus(struct unit_t *t)
{
	static const char alive[] = "GET /api/dashboard HTTP/1.0\r\n\r\n";
	struct es_err err = ES_ERR_INIT;
	struct httpd_config cfg;
	struct hstate s = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };
	struct unit_corpus c;
	struct httpd *h;
	char head[16];
	long got;
	int answered = 0;

	memset(&cfg, 0, sizeof cfg);
	cfg.listen = "127.0.0.1:0";
	cfg.max_body = 2048;
	cfg.idle_timeout = 2;
	cfg.request_timeout = 2;
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), 0);
	if (h == NULL)
		return;
	httpd_route(h, "POST", "/report", h_report, &s);
	httpd_route(h, "GET", "/api/dashboard", h_echo, &s);
	httpd_route(h, "POST", "/api/orders/*", h_auth, &s);
	UT_EQ_INT(t, httpd_start(h, &err), 0);
	if (unit_corpus_open(t, &c, "httpd") == -1) {
		httpd_free(h);
		return;
	}
	while (unit_corpus_next(t, &c)) {
		got = hfuzz_send(httpd_port(h), c.buf.data, c.buf.len, head);
		if (got == -1)
			unit_fail(t, __FILE__, __LINE__, "%s: no answer and no "
			    "close in 5 s", c.name);
		else if (got > 0 && strncmp(head, "HTTP/1.", 7) != 0)
			unit_fail(t, __FILE__, __LINE__, "%s: answer is not "
			    "HTTP: '%s'", c.name, head);
		else if (got > 0)
			answered++;
	}
	UT_ASSERT(t, c.files >= 8);
	UT_ASSERT(t, answered >= 6);
	unit_corpus_close(&c);
	got = hfuzz_send(httpd_port(h), alive, sizeof alive - 1, head);
	UT_ASSERT(t, got > 0);
	UT_ASSERT(t, strncmp(head, "HTTP/1.", 7) == 0);
	UT_ASSERT(t, strncmp(head + 8, " 200 ", 5) == 0);
	httpd_free(h);
}

/*
 * Deferred answers: h_later queues the request; a resumer thread answers
 * once two are queued (with one worker thread, only possible when a
 * deferred request holds no worker).  h_now resumes from inside the
 * handler, before the connection is suspended.
 */
struct hdefer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	const struct httpd_request *q[8];
	struct httpd_response *r[8];
	int		 n;
	int		 most;
	int		 stop;
};

static void
h_later(void *arg, const struct httpd_request *req,
    struct httpd_response *r)
{
	struct hdefer *d = arg;
	struct httpd_response *dr = httpd_defer(req);

	(void)r;
	pthread_mutex_lock(&d->mu);
	d->q[d->n] = req;
	d->r[d->n] = dr;
	d->n++;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void
h_now(void *arg, const struct httpd_request *req, struct httpd_response *r)
{
	struct httpd_response *dr = httpd_defer(req);

	(void)arg;
	(void)r;
	httpd_reply(dr, 201, "text/plain", "now\n", 4);
	httpd_resume(req);
}

/* Answers the queued requests: the first time once two are queued. */
static void *
hresumer(void *arg)
{
	struct hdefer *d = arg;
	struct timespec ts;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&d->mu);
	while (d->n < 2 && pthread_cond_timedwait(&d->cv, &d->mu, &ts) == 0)
		;
	d->most = d->n;
	for (;;) {
		for (i = 0; i < d->n; i++) {
			httpd_reply(d->r[i], 200, "text/plain", "later\n", 6);
			httpd_resume(d->q[i]);
		}
		d->n = 0;
		if (d->stop)
			break;
		pthread_cond_wait(&d->cv, &d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct hget {
	unsigned	 port;
	const char	*req;
	int		 status;
	struct es_buf	 out;
};

static void *
hget_run(void *arg)
{
	struct hget *g = arg;

	g->status = hexchange(g->port, g->req, strlen(g->req), &g->out);
	return NULL;
}

static void
test_httpd_defer(struct unit_t *t)
{
	static const char later[] = "GET /later HTTP/1.0\r\n\r\n";
	static const char now[] = "GET /now HTTP/1.0\r\n\r\n";
	struct hdefer d;
	struct es_err err = ES_ERR_INIT;
	struct httpd_config cfg;
	struct hget g[2];
	struct es_buf b = ES_BUF_INIT;
	pthread_t th[2], rs;
	struct httpd *h;
	int i;

	memset(&d, 0, sizeof d);
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	memset(&cfg, 0, sizeof cfg);
	cfg.listen = "127.0.0.1:0";
	cfg.threads = 1;
	UT_EQ_INT(t, httpd_new(&cfg, &h, &err), 0);
	if (h == NULL)
		return;
	httpd_route(h, "GET", "/later", h_later, &d);
	httpd_route(h, "GET", "/now", h_now, &d);
	UT_EQ_INT(t, httpd_start(h, &err), 0);
	pthread_create(&rs, NULL, hresumer, &d);
	for (i = 0; i < 2; i++) {
		g[i].port = httpd_port(h);
		g[i].req = later;
		es_buf_init(&g[i].out);
		pthread_create(&th[i], NULL, hget_run, &g[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_lock(&d.mu);
	d.stop = 1;
	pthread_cond_signal(&d.cv);
	pthread_mutex_unlock(&d.mu);
	pthread_join(rs, NULL);
	UT_EQ_INT(t, d.most, 2);
	for (i = 0; i < 2; i++) {
		UT_EQ_INT(t, g[i].status, 200);
		UT_ASSERT(t, strstr(g[i].out.data, "\r\n\r\nlater\n") != NULL);
		es_buf_release(&g[i].out);
	}
	UT_EQ_INT(t, hexchange(httpd_port(h), now, sizeof now - 1, &b), 201);
	UT_ASSERT(t, strstr(b.data, "\r\n\r\nnow\n") != NULL);
	es_buf_release(&b);
	httpd_free(h);
	pthread_cond_destroy(&d.cv);
	pthread_mutex_destroy(&d.mu);
}

const struct unit_test unit_httpd_tests[] = {
	{ "routes", test_httpd_routes },
	{ "limits", test_httpd_limits },
	{ "slowloris", test_httpd_slowloris },
	{ "rate", test_httpd_rate },
	{ "graceful", test_httpd_graceful },
	{ "defer", test_httpd_defer },
	{ "bad_config", test_httpd_bad_config },
	{ "fuzz_corpus", test_httpd_fuzz_corpus },
	{ NULL, NULL }
};
