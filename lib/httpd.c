/*
 * httpd.c - the HTTP server of esctl's listening commands, on
 * libmicrohttpd (one internal epoll thread pool).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "httpd.h"
#include "util.h"

#define HTTPD_MAX_HEADERS	16
#define HTTPD_BUCKETS		1024	/* rate-limit table (addresses) */

#define HTTPD_OPT(o, v, p)	do {					\
	opts[n].option = (o);						\
	opts[n].value = (intptr_t)(v);					\
	opts[n].ptr_value = (void *)(p);				\
	n++;								\
} while (0)

struct httpd_route {
	char		*method;	/* NULL: any */
	char		*path;
	size_t		 prefix;	/* > 0: prefix match of this length */
	httpd_handler	 fn;
	void		*arg;
};

struct httpd_bucket {
	char		 addr[INET6_ADDRSTRLEN];
	double		 tokens;
	double		 last;		/* monotonic seconds */
};

struct httpd {
	struct httpd_config	 cfg;
	char			*listen;
	char			 address[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 sa;
	int			 v6;
	char			*tls_cert;	/* PEM contents */
	char			*tls_key;
	struct httpd_route	*routes;
	size_t			 nroutes;
	struct MHD_Daemon	*d;
	unsigned		 port;
	pthread_mutex_t		 mu;		/* inflight, buckets */
	pthread_cond_t		 idle;
	unsigned		 inflight;
	unsigned		 deferred;	/* of inflight, deferred */
	struct httpd_bucket	*buckets;
	sigset_t		 sigs;
};

struct httpd_response {
	int		 status;
	char		*ctype;
	struct es_buf	 body;
	int		 nhdr;
	char		*hname[HTTPD_MAX_HEADERS];
	char		*hvalue[HTTPD_MAX_HEADERS];
};

/* The state of one request, kept in libmicrohttpd's con_cls. */
struct httpd_conn {
	struct httpd		*h;
	struct MHD_Connection	*c;
	struct httpd_request	 req;
	char			*method;
	char			*path;
	char			 remote[INET6_ADDRSTRLEN];
	struct es_buf		 body;
	double			 start;
	int			 refused;	/* answered already */
	int			 too_large;
	int			 status;
	struct httpd_response	 resp;		/* the handler's answer */
	int			 deferred;	/* httpd_defer() called */
	int			 state;		/* of a deferred answer */
};

/* httpd_conn.state (atomic): who comes first, suspend or resume. */
enum { HTTPD_RUNNING, HTTPD_SUSPENDED, HTTPD_READY };

static double	 httpd_mono(void);
static int	 httpd_parse_listen(struct httpd *, const char *,
		    struct es_err *);
static void	 httpd_mhd_log(void *, const char *, va_list);
static enum MHD_Result httpd_access(void *, struct MHD_Connection *,
		    const char *, const char *, const char *, const char *,
		    size_t *, void **);
static void	 httpd_completed(void *, struct MHD_Connection *, void **,
		    enum MHD_RequestTerminationCode);
static enum MHD_Result httpd_queue(struct httpd_conn *,
		    struct httpd_response *);
static void	 httpd_response_init(struct httpd_response *);
static void	 httpd_response_release(struct httpd_response *);
static int	 httpd_rate_ok(struct httpd *, const char *, double *);
static void	 httpd_dispatch(struct httpd_conn *,
		    struct httpd_response *);
static int	 httpd_route_match(const struct httpd_route *,
		    const char *);

static double
httpd_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "ADDR:PORT", "[V6]:PORT", ":PORT" or "PORT" (address 127.0.0.1). */
static int
httpd_parse_listen(struct httpd *h, const char *s, struct es_err *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&h->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&h->sa;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	long long p;
	size_t n;

	memset(&h->sa, 0, sizeof h->sa);
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		n = (size_t)(colon - s - 1);
		port = colon + 2;
		if (n == 0 || n >= sizeof host)
			goto bad;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		h->v6 = 1;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		n = (size_t)(colon - s);
		port = colon + 1;
		if (n >= sizeof host)
			goto bad;
		memcpy(host, s, n);
		host[n] = '\0';
		if (n == 0)
			strncpy(host, "127.0.0.1", sizeof host);
	} else {
		strncpy(host, "127.0.0.1", sizeof host);
		port = s;
	}
	if (util_parse_int(port, "port", 0, 65535, &p, err) == -1)
		return es_err_prefix(err, "invalid listen address '%s'", s);
	if (h->v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto badhost;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto badhost;
	}
	h->port = (unsigned)p;
	return 0;
badhost:
	return es_err_set(err, ES_EUSAGE, "InvalidAddress", "invalid listen "
	    "address '%s': '%s' is not a numeric IP address (use 127.0.0.1 "
	    "rather than a host name)", s, host);
bad:
	return es_err_set(err, ES_EUSAGE, "InvalidAddress", "invalid listen "
	    "address '%s' (expected ADDR:PORT, e.g. 127.0.0.1:9108)", s);
}

int
httpd_new(const struct httpd_config *cfg, struct httpd **out,
    struct es_err *err)
{
	struct httpd *h;
	struct es_buf b = ES_BUF_INIT;

	*out = NULL;
	h = xcalloc(1, sizeof *h);
	h->cfg = *cfg;
	h->listen = xstrdup(cfg->listen != NULL ? cfg->listen :
	    "127.0.0.1:0");
	h->cfg.listen = h->listen;
	if (h->cfg.max_body == 0)
		h->cfg.max_body = HTTPD_DEFAULT_MAX_BODY;
	if (h->cfg.idle_timeout == 0)
		h->cfg.idle_timeout = HTTPD_DEFAULT_IDLE_TIMEOUT;
	if (h->cfg.request_timeout == 0)
		h->cfg.request_timeout = HTTPD_DEFAULT_REQUEST_TIMEOUT;
	if (h->cfg.max_connections == 0)
		h->cfg.max_connections = HTTPD_DEFAULT_MAX_CONNECTIONS;
	if (h->cfg.per_ip == 0)
		h->cfg.per_ip = HTTPD_DEFAULT_PER_IP;
	if (h->cfg.threads == 0)
		h->cfg.threads = HTTPD_DEFAULT_THREADS;
	if (h->cfg.rate > 0 && h->cfg.burst < 1)
		h->cfg.burst = h->cfg.rate < 1 ? 1 : h->cfg.rate;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->idle, NULL);
	if (httpd_parse_listen(h, h->listen, err) == -1)
		goto fail;
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		es_err_set(err, ES_EUSAGE, "InvalidTLS", "TLS needs both a "
		    "certificate and a key file");
		goto fail;
	}
	if (cfg->tls_cert != NULL) {
		if (es_buf_read_file(&b, cfg->tls_cert) == -1) {
			es_err_set(err, ES_EUSAGE, "InvalidTLS", "cannot read "
			    "TLS certificate '%s': %s", cfg->tls_cert,
			    strerror(errno));
			goto fail;
		}
		h->tls_cert = es_buf_detach(&b, NULL);
		if (es_buf_read_file(&b, cfg->tls_key) == -1) {
			es_err_set(err, ES_EUSAGE, "InvalidTLS", "cannot read "
			    "TLS key '%s': %s", cfg->tls_key, strerror(errno));
			goto fail;
		}
		h->tls_key = es_buf_detach(&b, NULL);
	}
	h->cfg.tls_cert = h->cfg.tls_key = NULL;	/* not kept */
	if (h->cfg.rate > 0)
		h->buckets = xcalloc(HTTPD_BUCKETS, sizeof *h->buckets);
	*out = h;
	return 0;
fail:
	es_buf_release(&b);
	httpd_free(h);
	return -1;
}

void
httpd_free(struct httpd *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->d != NULL)
		httpd_stop(h, 0, NULL);
	for (i = 0; i < h->nroutes; i++) {
		free(h->routes[i].method);
		free(h->routes[i].path);
	}
	free(h->routes);
	free(h->buckets);
	if (h->tls_key != NULL)
		explicit_bzero(h->tls_key, strlen(h->tls_key));
	free(h->tls_key);
	free(h->tls_cert);
	free(h->listen);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void
httpd_route(struct httpd *h, const char *method, const char *path,
    httpd_handler fn, void *arg)
{
	struct httpd_route *r;
	size_t n;

	h->routes = xreallocarray(h->routes, h->nroutes + 1,
	    sizeof *h->routes);
	r = &h->routes[h->nroutes++];
	r->method = method != NULL ? xstrdup(method) : NULL;
	r->path = xstrdup(path);
	n = strlen(path);
	r->prefix = (n > 0 && path[n - 1] == '*') ? n - 1 : 0;
	r->fn = fn;
	r->arg = arg;
}

/* libmicrohttpd's diagnostics, to the caller's errlog. */
static void
httpd_mhd_log(void *arg, const char *fmt, va_list ap)
{
	struct httpd *h = arg;
	char msg[512];
	size_t n;

	if (h->cfg.errlog == NULL)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	h->cfg.errlog(h->cfg.log_arg, msg);
}

int
httpd_start(struct httpd *h, struct es_err *err)
{
	const union MHD_DaemonInfo *di;
	unsigned flags;
	struct MHD_OptionItem opts[12];
	char host[INET6_ADDRSTRLEN];
	size_t n;
	int e;

	sigemptyset(&h->sigs);
	sigaddset(&h->sigs, SIGTERM);
	sigaddset(&h->sigs, SIGINT);
	{
		sigset_t all = h->sigs;

		sigaddset(&all, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (h->v6)
		flags |= MHD_USE_IPv6;
	if (h->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	n = 0;
	/*
	 * The logger first: libmicrohttpd prints to stderr itself about
	 * any option processed before it (and says so on stderr).
	 */
	HTTPD_OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)httpd_mhd_log, h);
	HTTPD_OPT(MHD_OPTION_SOCK_ADDR, 0, &h->sa);
	HTTPD_OPT(MHD_OPTION_THREAD_POOL_SIZE, h->cfg.threads, NULL);
	HTTPD_OPT(MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections, NULL);
	HTTPD_OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.per_ip, NULL);
	HTTPD_OPT(MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.idle_timeout, NULL);
	HTTPD_OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)httpd_completed, h);
	if (h->tls_cert != NULL) {
		HTTPD_OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert);
		HTTPD_OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key);
	}
	HTTPD_OPT(MHD_OPTION_END, 0, NULL);
	errno = 0;
	/* Options as an array: the one calling form lib/dl_mhd.c forwards. */
	h->d = MHD_start_daemon(flags, (uint16_t)h->port, NULL, NULL,
	    httpd_access, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->d == NULL) {
		e = errno;
		return es_err_set(err, ES_EFAIL, "ListenFailed", "cannot "
		    "listen on '%s'%s%s", h->listen, e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di != NULL && di->port != 0)
		h->port = di->port;
	if (h->v6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&h->sa)->
		    sin6_addr, host, sizeof host);
		snprintf(h->address, sizeof h->address, "[%s]:%u", host,
		    h->port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&h->sa)->sin_addr,
		    host, sizeof host);
		snprintf(h->address, sizeof h->address, "%s:%u", host,
		    h->port);
	}
	return 0;
}

unsigned
httpd_port(const struct httpd *h)
{
	return h->d != NULL ? h->port : 0;
}

const char *
httpd_address(const struct httpd *h)
{
	return h->address;
}

int
httpd_run(struct httpd *h, unsigned drain_ms, int *sig,
    unsigned *unfinished, struct es_err *err)
{
	int s = 0;

	if (h->d == NULL)
		return es_err_set(err, ES_EFAIL, NULL, "the server is not "
		    "running");
	if (sigwait(&h->sigs, &s) != 0)
		return es_err_set(err, ES_EFAIL, NULL, "cannot wait for a "
		    "signal");
	if (sig != NULL)
		*sig = s;
	httpd_stop(h, drain_ms, unfinished);
	return 0;
}

void
httpd_stop(struct httpd *h, unsigned drain_ms, unsigned *unfinished)
{
	struct timespec ts;
	MHD_socket fd;
	int rc = 0;

	if (unfinished != NULL)
		*unfinished = 0;
	if (h->d == NULL)
		return;
	if (drain_ms == 0)
		drain_ms = HTTPD_DEFAULT_DRAIN_MS;
	/* No new connections; the ones open go on being served. */
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += drain_ms / 1000;
	ts.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->mu);
	while (h->inflight > 0 && rc == 0)
		rc = pthread_cond_timedwait(&h->idle, &h->mu, &ts);
	if (unfinished != NULL)
		*unfinished = h->inflight - h->deferred;
	/*
	 * A deferred request's connection is suspended, and libmicrohttpd
	 * cannot be stopped with one suspended: its answer is promised
	 * (httpd_resume), so wait for it past drain_ms.
	 */
	while (h->deferred > 0)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
	MHD_stop_daemon(h->d);
	h->d = NULL;
}

/* A token bucket per client address: 1 when the request may go on. */
static int
httpd_rate_ok(struct httpd *h, const char *addr, double *retry)
{
	struct httpd_bucket *b, *oldest = NULL;
	double now = httpd_mono();
	size_t i, j, hash = 5381;
	const char *p;
	int ok;

	for (p = addr; *p != '\0'; p++)
		hash = hash * 33 + (unsigned char)*p;
	pthread_mutex_lock(&h->mu);
	b = NULL;
	for (j = 0; j < 8; j++) {
		i = (hash + j) % HTTPD_BUCKETS;
		if (strcmp(h->buckets[i].addr, addr) == 0) {
			b = &h->buckets[i];
			break;
		}
		if (oldest == NULL || h->buckets[i].last < oldest->last)
			oldest = &h->buckets[i];
	}
	if (b == NULL) {
		b = oldest;
		snprintf(b->addr, sizeof b->addr, "%s", addr);
		b->tokens = h->cfg.burst;
		b->last = now;
	}
	b->tokens += (now - b->last) * h->cfg.rate;
	if (b->tokens > h->cfg.burst)
		b->tokens = h->cfg.burst;
	b->last = now;
	ok = b->tokens >= 1;
	if (ok)
		b->tokens -= 1;
	else
		*retry = (1 - b->tokens) / h->cfg.rate;
	pthread_mutex_unlock(&h->mu);
	return ok;
}

static void
httpd_response_init(struct httpd_response *r)
{
	memset(r, 0, sizeof *r);
	es_buf_init(&r->body);
}

static void
httpd_response_release(struct httpd_response *r)
{
	int i;

	for (i = 0; i < r->nhdr; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	free(r->ctype);
	es_buf_release(&r->body);
	httpd_response_init(r);
}

/* Queues r on the connection (and records its status). */
static enum MHD_Result
httpd_queue(struct httpd_conn *hc, struct httpd_response *r)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t len;
	char *data;
	int i;

	if (r->status == 0)
		httpd_reply_error(r, 500, "InternalError", "the handler "
		    "gave no answer");
	data = es_buf_detach(&r->body, &len);
	mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (mr == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r->ctype != NULL ? r->ctype : "application/json");
	for (i = 0; i < r->nhdr; i++)
		MHD_add_response_header(mr, r->hname[i], r->hvalue[i]);
	hc->status = r->status;
	ret = MHD_queue_response(hc->c, (unsigned int)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static int
httpd_route_match(const struct httpd_route *r, const char *path)
{
	if (r->prefix > 0)
		return strncmp(r->path, path, r->prefix) == 0;
	return strcmp(r->path, path) == 0;
}

/* Finds the route and calls its handler; 404/405 otherwise. */
static void
httpd_dispatch(struct httpd_conn *hc, struct httpd_response *r)
{
	struct httpd *h = hc->h;
	struct es_buf allow = ES_BUF_INIT;
	size_t i;

	for (i = 0; i < h->nroutes; i++) {
		if (!httpd_route_match(&h->routes[i], hc->path))
			continue;
		if (h->routes[i].method == NULL ||
		    strcmp(h->routes[i].method, hc->method) == 0) {
			h->routes[i].fn(h->routes[i].arg, &hc->req, r);
			es_buf_release(&allow);
			return;
		}
		if (strstr(allow.data, h->routes[i].method) == NULL)
			es_buf_addf(&allow, "%s%s", allow.len ? ", " : "",
			    h->routes[i].method);
	}
	if (allow.len > 0) {
		httpd_set_header(r, "Allow", allow.data);
		httpd_reply_error(r, 405, "MethodNotAllowed", "method %s is "
		    "not allowed on %s (allowed: %s)", hc->method, hc->path,
		    allow.data);
	} else
		httpd_reply_error(r, 404, "NotFound", "no such path '%s'",
		    hc->path);
	es_buf_release(&allow);
}

/*
 * libmicrohttpd's access handler: called once when the headers are in,
 * then once per piece of body, then once more with nothing (answer).
 */
static enum MHD_Result
httpd_access(void *arg, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct httpd *h = arg;
	struct httpd_conn *hc = *con_cls;
	struct httpd_response r;
	const union MHD_ConnectionInfo *ci;
	const char *cl;
	enum MHD_Result ret;
	long long len;
	double retry;
	char ra[32];

	(void)version;
	if (hc == NULL) {
		hc = xcalloc(1, sizeof *hc);
		hc->h = h;
		hc->c = c;
		hc->method = xstrdup(method);
		hc->path = xstrdup(url);
		hc->start = httpd_mono();
		es_buf_init(&hc->body);
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL) {
			if (ci->client_addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct
				    sockaddr_in6 *)(const void *)
				    ci->client_addr)->sin6_addr, hc->remote,
				    sizeof hc->remote);
			else
				inet_ntop(AF_INET, &((const struct
				    sockaddr_in *)(const void *)
				    ci->client_addr)->sin_addr, hc->remote,
				    sizeof hc->remote);
		}
		hc->req.method = hc->method;
		hc->req.path = hc->path;
		hc->req.remote = hc->remote;
		hc->req.body = hc->body.data;
		hc->req.priv = hc;
		*con_cls = hc;
		pthread_mutex_lock(&h->mu);
		h->inflight++;
		pthread_mutex_unlock(&h->mu);

		httpd_response_init(&r);
		if (h->buckets != NULL &&
		    !httpd_rate_ok(h, hc->remote, &retry)) {
			snprintf(ra, sizeof ra, "%.0f", retry < 1 ? 1 :
			    retry + 0.5);
			httpd_set_header(&r, "Retry-After", ra);
			httpd_reply_error(&r, 429, "TooManyRequests", "rate "
			    "limit of %g requests/s exceeded; retry in %s s",
			    h->cfg.rate, ra);
		} else if ((cl = MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) !=
		    NULL && util_parse_int(cl, "length", 0, LLONG_MAX, &len,
		    NULL) == 0 && (unsigned long long)len > h->cfg.max_body)
			httpd_reply_error(&r, 413, "PayloadTooLarge",
			    "request body of %lld bytes is over the limit of "
			    "%zu bytes", len, h->cfg.max_body);
		if (r.status != 0) {
			hc->refused = 1;
			ret = httpd_queue(hc, &r);
			httpd_response_release(&r);
			return ret;
		}
		httpd_response_release(&r);
		return MHD_YES;
	}
	if (*data_size > 0) {
		/*
		 * libmicrohttpd takes an answer only once the body is in:
		 * over the limit, the rest is read and dropped; a body
		 * still coming after request_timeout closes the connection
		 * (a slow-loris upload gets no answer).
		 */
		if (httpd_mono() - hc->start > h->cfg.request_timeout) {
			*data_size = 0;
			return MHD_NO;
		}
		if (!hc->refused && !hc->too_large) {
			if (hc->body.len + *data_size > h->cfg.max_body) {
				hc->too_large = 1;
				es_buf_release(&hc->body);
			} else
				es_buf_add(&hc->body, data, *data_size);
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (hc->refused) {
		/* called again once a deferred answer resumed c */
		if (hc->deferred == 1 && __atomic_load_n(&hc->state,
		    __ATOMIC_ACQUIRE) == HTTPD_READY) {
			hc->deferred = 2;
			ret = httpd_queue(hc, &hc->resp);
			httpd_response_release(&hc->resp);
			return ret;
		}
		return MHD_YES;
	}
	hc->refused = 1;
	httpd_response_init(&hc->resp);
	if (hc->too_large) {
		httpd_set_header(&hc->resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
		httpd_reply_error(&hc->resp, 413, "PayloadTooLarge", "request "
		    "body is over the limit of %zu bytes", h->cfg.max_body);
	} else {
		hc->req.body = hc->body.data;
		hc->req.body_len = hc->body.len;
		httpd_dispatch(hc, &hc->resp);
	}
	if (hc->deferred) {
		int expect = HTTPD_RUNNING;

		if (__atomic_load_n(&hc->state, __ATOMIC_ACQUIRE) ==
		    HTTPD_READY) {
			hc->deferred = 2;
			goto answer;
		}
		/*
		 * Suspended first, then marked: httpd_resume() resumes c
		 * only once it is suspended; if the answer came in between,
		 * this thread resumes it.
		 */
		MHD_suspend_connection(c);
		if (!__atomic_compare_exchange_n(&hc->state, &expect,
		    HTTPD_SUSPENDED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			MHD_resume_connection(c);
		return MHD_YES;
	}
answer:
	ret = httpd_queue(hc, &hc->resp);
	httpd_response_release(&hc->resp);
	return ret;
}

struct httpd_response *
httpd_defer(const struct httpd_request *req)
{
	struct httpd_conn *hc = req->priv;

	hc->deferred = 1;
	pthread_mutex_lock(&hc->h->mu);
	hc->h->deferred++;
	pthread_mutex_unlock(&hc->h->mu);
	return &hc->resp;
}

void
httpd_resume(const struct httpd_request *req)
{
	struct httpd_conn *hc = req->priv;
	struct MHD_Connection *c = hc->c;
	int expect = HTTPD_RUNNING;

	/* Not suspended yet: the access handler will see READY. */
	if (__atomic_compare_exchange_n(&hc->state, &expect, HTTPD_READY, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&hc->state, HTTPD_READY, __ATOMIC_RELEASE);
	MHD_resume_connection(c);
}

/* End of a request (answered or not): log it, free its state. */
static void
httpd_completed(void *arg, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = arg;
	struct httpd_conn *hc = *con_cls;
	int deferred;

	(void)c;
	(void)toe;
	if (hc == NULL)
		return;
	deferred = hc->deferred != 0;
	if (h->cfg.log != NULL)
		h->cfg.log(h->cfg.log_arg, &hc->req, hc->status,
		    (httpd_mono() - hc->start) * 1000.0);
	es_buf_release(&hc->body);
	httpd_response_release(&hc->resp);
	free(hc->method);
	free(hc->path);
	free(hc);
	*con_cls = NULL;
	pthread_mutex_lock(&h->mu);
	if (h->inflight > 0)
		h->inflight--;
	if (deferred && h->deferred > 0)
		h->deferred--;
	if (h->inflight == 0 || deferred)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
}

const char *
httpd_header(const struct httpd_request *req, const char *name)
{
	const struct httpd_conn *hc = req->priv;

	return MHD_lookup_connection_value(hc->c, MHD_HEADER_KIND, name);
}

const char *
httpd_query(const struct httpd_request *req, const char *name)
{
	const struct httpd_conn *hc = req->priv;

	return MHD_lookup_connection_value(hc->c, MHD_GET_ARGUMENT_KIND,
	    name);
}

int
httpd_content_type_is(const struct httpd_request *req, const char *type)
{
	const char *ct = httpd_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(type);

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, type, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
httpd_require_bearer(const struct httpd_request *req,
    struct httpd_response *r, const char *token)
{
	const char *a;
	size_t n, m, i;
	unsigned char diff;

	if (token == NULL || token[0] == '\0')
		return 0;
	a = httpd_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	if (a != NULL && strncasecmp(a, "Bearer ", 7) == 0) {
		a += 7;
		while (*a == ' ')
			a++;
		n = strlen(a);
		m = strlen(token);
		/* Constant time in the token's length. */
		diff = (unsigned char)(n != m);
		for (i = 0; i < m; i++)
			diff |= (unsigned char)(token[i] ^
			    (i < n ? a[i] : 0));
		if (diff == 0)
			return 0;
	}
	httpd_set_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    "Bearer realm=\"esctl\"");
	httpd_reply_error(r, 401, "Unauthorized", a == NULL ? "missing "
	    "bearer token (Authorization: Bearer TOKEN)" : "invalid bearer "
	    "token");
	return -1;
}

void
httpd_reply(struct httpd_response *r, int status, const char *ctype,
    const void *body, size_t len)
{
	r->status = status;
	free(r->ctype);
	r->ctype = xstrdup(ctype != NULL ? ctype : "text/plain");
	es_buf_reset(&r->body);
	es_buf_add(&r->body, body, len);
}

void
httpd_reply_json(struct httpd_response *r, int status, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	if (s == NULL)
		fatal("out of memory");
	httpd_reply(r, status, "application/json", s, strlen(s));
	es_buf_addch(&r->body, '\n');
	cJSON_free(s);
}

void
httpd_reply_error(struct httpd_response *r, int status, const char *reason,
    const char *fmt, ...)
{
	struct es_buf b = ES_BUF_INIT, m = ES_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	es_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	es_buf_addf(&b, "{\"error\":{\"code\":%d,\"reason\":", status);
	es_buf_add_json_str(&b, reason);
	es_buf_adds(&b, ",\"message\":");
	es_buf_add_json_str(&b, m.data);
	es_buf_adds(&b, "}}\n");
	httpd_reply(r, status, "application/json", b.data, b.len);
	es_buf_release(&b);
	es_buf_release(&m);
}

void
httpd_set_header(struct httpd_response *r, const char *name,
    const char *value)
{
	if (r->nhdr == HTTPD_MAX_HEADERS)
		return;
	r->hname[r->nhdr] = xstrdup(name);
	r->hvalue[r->nhdr] = xstrdup(value);
	r->nhdr++;
}
