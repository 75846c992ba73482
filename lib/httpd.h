/*
 * httpd.h - one small HTTP server for every esctl command that listens
 * (`metrics serve`, `dashboard serve`), over Debian's libmicrohttpd.
 *
 * What it does for its callers:
 *	- listens on ADDR:PORT (IPv4 or [IPv6]; port 0 picks a free one),
 *	  plain HTTP or TLS (certificate and key files);
 *	- dispatches on a route table (method + exact path, or a path
 *	  prefix ending in '*'); unknown paths answer 404, a known path
 *	  with another method 405 with an Allow header, both as JSON;
 *	- collects the request body up to max_body bytes (413 beyond,
 *	  decided from Content-Length before the body is read when there
 *	  is one);
 *	- limits connections (in total and per client address), closes
 *	  connections idle for idle_timeout seconds and closes one whose
 *	  body is still coming after request_timeout seconds (slow-loris
 *	  clients cannot hold the server);
 *	- a per-client-address request rate limit (429 with Retry-After);
 *	- graceful shutdown: httpd_run() waits for SIGTERM or SIGINT, stops
 *	  accepting, lets the requests in flight finish (up to drain_ms)
 *	  and only then closes the connections.
 *
 * Handlers run on the server's worker threads (threads > 1 means
 * concurrently): a handler that shares state must lock it.
 */
#ifndef ESCTL_HTTPD_H
#define ESCTL_HTTPD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

#define HTTPD_DEFAULT_MAX_BODY		(1024 * 1024)
#define HTTPD_DEFAULT_IDLE_TIMEOUT	10	/* seconds */
#define HTTPD_DEFAULT_REQUEST_TIMEOUT	30	/* seconds */
#define HTTPD_DEFAULT_MAX_CONNECTIONS	256
#define HTTPD_DEFAULT_PER_IP		64
#define HTTPD_DEFAULT_THREADS		2
#define HTTPD_DEFAULT_DRAIN_MS		10000

struct httpd;
struct httpd_response;

/* One request, borrowed by the handler for the duration of the call. */
struct httpd_request {
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* without the query string */
	const char	*remote;	/* client address, "127.0.0.1" */
	const char	*body;		/* NUL-terminated; "" when none */
	size_t		 body_len;
	void		*priv;		/* the library's; do not touch */
};

/*
 * A handler fills resp (httpd_reply*, httpd_set_header).  A handler that
 * sets nothing answers 500.
 */
typedef void	(*httpd_handler)(void *arg, const struct httpd_request *,
		    struct httpd_response *);

/* After each request: for an access log (called on a worker thread). */
typedef void	(*httpd_log_fn)(void *arg, const struct httpd_request *,
		    int status, double ms);
/* libmicrohttpd's own diagnostics (accept failures, TLS errors). */
typedef void	(*httpd_errlog_fn)(void *arg, const char *msg);

struct httpd_config {
	const char	*listen;	/* "127.0.0.1:8080"; NULL: port 0 */
	size_t		 max_body;	/* 0: HTTPD_DEFAULT_MAX_BODY */
	unsigned	 idle_timeout;	/* seconds; 0: default */
	unsigned	 request_timeout; /* seconds; 0: default */
	unsigned	 max_connections; /* 0: default */
	unsigned	 per_ip;	/* connections per address */
	unsigned	 threads;	/* worker threads; 0: default */
	double		 rate;		/* requests/s per address; 0: none */
	double		 burst;		/* bucket size; 0: max(rate, 1) */
	const char	*tls_cert;	/* PEM file; NULL: plain HTTP */
	const char	*tls_key;	/* PEM file (with tls_cert) */
	httpd_log_fn	 log;		/* NULL: none */
	httpd_errlog_fn	 errlog;	/* NULL: none */
	void		*log_arg;
};

/*
 * Creates a server (not yet listening).  Copies what it needs from cfg.
 * ES_EUSAGE for a bad listen address or unreadable TLS files.
 */
int	 httpd_new(const struct httpd_config *, struct httpd **out,
	    struct es_err *err);
/* Stops (if running) and frees; NULL-safe. */
void	 httpd_free(struct httpd *);

/*
 * Adds a route: method ("GET", "POST", ...; NULL for any) and path (exact,
 * or a prefix when it ends in '*').  Routes are tried in order.  Only
 * before httpd_start().
 */
void	 httpd_route(struct httpd *, const char *method, const char *path,
	    httpd_handler fn, void *arg);

/*
 * Binds and starts the worker threads.  Blocks SIGTERM, SIGINT and
 * SIGPIPE in the calling thread first (the workers inherit the mask), so
 * that httpd_run() can wait for them.  ES_EFAIL when the address cannot
 * be bound (in use, not local).
 */
int	 httpd_start(struct httpd *, struct es_err *err);
/* The port actually bound (useful with port 0); 0 before httpd_start. */
unsigned httpd_port(const struct httpd *);
/* "127.0.0.1:8080" as bound; borrowed. */
const char *httpd_address(const struct httpd *);

/*
 * Waits for SIGTERM or SIGINT (returned in *sig), then shuts down
 * gracefully: stops accepting, waits up to drain_ms (0: default) for the
 * requests in flight, closes everything.  *unfinished gets the number of
 * requests still in flight when the drain time ran out.
 */
int	 httpd_run(struct httpd *, unsigned drain_ms, int *sig,
	    unsigned *unfinished, struct es_err *err);
/* The same shutdown without waiting for a signal. */
void	 httpd_stop(struct httpd *, unsigned drain_ms, unsigned *unfinished);

/* A request header (case-insensitive) or NULL; borrowed. */
const char *httpd_header(const struct httpd_request *, const char *name);
/* A query-string argument or NULL; borrowed. */
const char *httpd_query(const struct httpd_request *, const char *name);
/*
 * 1 when the Content-Type's media type (before any ';') is `type`
 * (case-insensitive), else 0.
 */
int	 httpd_content_type_is(const struct httpd_request *,
	    const char *type);

/*
 * Checks "Authorization: Bearer TOKEN" against token in constant time.
 * Returns 0 when it matches (or token is NULL or empty: no auth
 * configured); otherwise answers 401 with WWW-Authenticate on resp and
 * returns -1.
 */
int	 httpd_require_bearer(const struct httpd_request *,
	    struct httpd_response *, const char *token);

/*
 * A handler that answers later (a queue served by another thread) calls
 * httpd_defer() and returns: the connection is suspended (it holds no
 * worker thread) until httpd_resume().  The response to fill is returned;
 * fill it from any thread, then call httpd_resume(req) exactly once:
 * after that neither req nor the response may be touched.  Shutdown
 * (httpd_stop) waits for every deferred answer, past drain_ms.
 */
struct httpd_response *httpd_defer(const struct httpd_request *req);
void	 httpd_resume(const struct httpd_request *req);

/* Answers status with body (copied) of content type ctype. */
void	 httpd_reply(struct httpd_response *, int status, const char *ctype,
	    const void *body, size_t len);
/* Answers status with the JSON of j (printed unformatted; borrowed). */
void	 httpd_reply_json(struct httpd_response *, int status,
	    const cJSON *j);
/*
 * Answers status with {"error": {"code": status, "reason": REASON,
 * "message": MESSAGE}}.
 */
void	 httpd_reply_error(struct httpd_response *, int status,
	    const char *reason, const char *fmt, ...) ES_PRINTF(4, 5);
/* Adds a response header (copied); at most 16. */
void	 httpd_set_header(struct httpd_response *, const char *name,
	    const char *value);

#endif
