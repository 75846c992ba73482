/*
 * fuzz-httpd.c - libFuzzer target for the requests of the servers
 * (`metrics serve`, `dashboard serve`): each input is sent as raw bytes
 * on a loopback connection to one lib/httpd.c server started once.
 *
 * The server has the routes of both (POST /report, GET /api/dashboard,
 * POST /api/orders/ANY) with handlers that read every part of a request
 * the real ones read: the bearer token (httpd_require_bearer), the
 * Content-Type (httpd_content_type_is), X-CSRF-Token (httpd_header),
 * ?skip_invalid (httpd_query) and the body (metrics_ingest dry run on a
 * scratch store; cJSON for an action's {"confirm": true}).  max_body is
 * 2 KiB so that the 413 paths are reached.
 *
 * Properties: the server never crashes, leaks or trips a sanitizer (the
 * handlers run in this process); whatever it sends back starts with an
 * HTTP/1.x status line; an input is answered or the connection closed
 * within 5 s (no request holds a worker).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "httpd.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

#include "fuzz-store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct httpd *fuzz_h;
static struct store *fuzz_st;
static pthread_mutex_t fuzz_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned fuzz_port;

static void
fuzz_report(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	struct es_err err = ES_ERR_INIT;
	struct metrics_opts o;
	struct metrics_result r;
	const char *q;
	cJSON *out;
	int rc;

	(void)arg;
	if (httpd_require_bearer(req, resp, "s3cret") == -1)
		return;
	if (!httpd_content_type_is(req, "application/json") &&
	    !httpd_content_type_is(req, "application/x-ndjson")) {
		httpd_reply_error(resp, 415, "UnsupportedMediaType", "json");
		return;
	}
	memset(&o, 0, sizeof o);
	if ((q = httpd_query(req, "skip_invalid")) != NULL)
		o.skip_invalid = strcmp(q, "true") == 0;
	o.dry_run = 1;
	o.now = 1796644800;
	pthread_mutex_lock(&fuzz_mu);
	rc = metrics_ingest(fuzz_st, req->body, req->body_len, &o, NULL, &r,
	    &err);
	pthread_mutex_unlock(&fuzz_mu);
	if (rc == -1) {
		httpd_reply_error(resp, 400, "Invalid", "%s", err.msg);
		metrics_result_release(&r);
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "accepted", (double)r.accepted);
	cJSON_AddItemReferenceToObject(out, "rejects", r.rejects);
	httpd_reply_json(resp, 202, out);
	cJSON_Delete(out);
	metrics_result_release(&r);
}

static void
fuzz_dashboard(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	(void)arg;
	if (httpd_require_bearer(req, resp, NULL) == -1)
		return;
	httpd_reply(resp, 200, "text/plain", req->path, strlen(req->path));
}

static void
fuzz_action(void *arg, const struct httpd_request *req,
    struct httpd_response *resp)
{
	const char *csrf;
	cJSON *body;

	(void)arg;
	if (httpd_require_bearer(req, resp, "s3cret") == -1)
		return;
	csrf = httpd_header(req, "X-CSRF-Token");
	if (csrf == NULL || strcmp(csrf, "t0ken") != 0) {
		httpd_reply_error(resp, 403, "CSRFTokenMismatch", "csrf");
		return;
	}
	if (!httpd_content_type_is(req, "application/json")) {
		httpd_reply_error(resp, 415, "UnsupportedMediaType", "json");
		return;
	}
	body = cJSON_ParseWithLength(req->body, req->body_len);
	if (!cJSON_IsTrue(cJSON_GetObjectItem(body, "confirm")))
		httpd_reply_error(resp, 400, "ConfirmationRequired", "confirm");
	else
		httpd_reply_json(resp, 200, body);
	cJSON_Delete(body);
}

static void
fuzz_init(void)
{
	struct es_err err = ES_ERR_INIT;
	struct httpd_config c;

	fuzz_st = fuzz_store_open("httpd");
	if (store_exec(fuzz_st, &err, "INSERT INTO deployment_status (id, "
	    "tenant_org_id, namespace, user, service_name, status, replicas, "
	    "created_at, updated_at) VALUES ('d1', 'o', 'ns-a', 'u', 'a', "
	    "'running', 3, 'x', 'x')", NULL) == -1)
		abort();
	memset(&c, 0, sizeof c);
	c.listen = "127.0.0.1:0";
	c.max_body = 2048;
	c.idle_timeout = 2;
	c.request_timeout = 2;
	c.threads = 2;
	if (httpd_new(&c, &fuzz_h, &err) == -1)
		abort();
	httpd_route(fuzz_h, "POST", "/report", fuzz_report, NULL);
	httpd_route(fuzz_h, "GET", "/api/dashboard", fuzz_dashboard, NULL);
	httpd_route(fuzz_h, "POST", "/api/orders/*", fuzz_action, NULL);
	if (httpd_start(fuzz_h, &err) == -1) {
		fprintf(stderr, "fuzz-httpd: %s\n", err.msg);
		abort();
	}
	fuzz_port = httpd_port(fuzz_h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	struct pollfd pfd;
	char buf[4096];
	size_t off = 0, got = 0;
	ssize_t n;
	int fd;

	if (fuzz_h == NULL)
		fuzz_init();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)fuzz_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		abort();
	while (off < size) {
		n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the server answered early and closed */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/*
	 * An answer comes within 5 s, or the close; then more of it
	 * (pipelined answers) with pauses under 20 ms.  libmicrohttpd keeps
	 * an HTTP/1.1 connection after its answer until idle_timeout even
	 * when the client has shut down its side: not waited for.
	 */
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, got == 0 ? 5000 : 20)) == -1 &&
		    errno == EINTR)
			continue;
		if (n == 0 && got > 0)
			break;
		if (n == 0) {
			fprintf(stderr, "fuzz-httpd: no answer or close in "
			    "5 s\n");
			abort();
		}
		n = recv(fd, buf + (got < 16 ? got : 16), got < 16 ? 16 - got :
		    sizeof buf - 16, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			abort();
		got += (size_t)n;
	}
	if (got > 0 && (got < 9 || memcmp(buf, "HTTP/1.", 7) != 0))
		abort();
	close(fd);
	return 0;
}
