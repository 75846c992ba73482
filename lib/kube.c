/*
 * kube.c - the Kubernetes API client: one libcurl handle per cluster,
 * retries with backoff, Status errors, typed helpers, logs and waiting.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base64.h"
#include "doc.h"
#include "kube.h"
#include "quantity.h"
#include "util.h"

#ifndef ESCTL_VERSION
#define ESCTL_VERSION "0"
#endif

#define KUBE_MAX_BODY		(256u * 1024 * 1024)
#define KUBE_CONFLICT_TRIES	5

struct kube_client {
	struct kube_config	*cfg;
	struct kube_opts	 opts;
	CURL			*curl;
	char			*server;	/* as configured */
	char			*base;		/* URL prefix requests use */
	struct curl_slist	*connect_to;	/* tls-server-name mapping */
	char			*ua;
	char			*who;		/* server, context, user */
	uint64_t		 rng;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 exec_retried;
};

/* State of one transfer. */
struct kube_xfer {
	struct kube_client		*kc;
	const struct kube_request	*req;
	struct kube_response		*resp;
	CURL				*h;
	size_t				 max;
	size_t				 delivered;	/* to the sink */
	int				 sink_stopped;
	int				 too_big;
};

static int	 kube_setup(struct kube_client *, CURL *,
		    const struct kube_request *, struct kube_xfer *,
		    struct curl_slist **, struct es_err *);
static size_t	 kube_write_cb(char *, size_t, size_t, void *);
static size_t	 kube_header_cb(char *, size_t, size_t, void *);
static int	 kube_debug_cb(CURL *, curl_infotype, char *, size_t, void *);
static long	 kube_backoff(struct kube_client *, int);
static int	 kube_idempotent(const struct kube_request *);
static const char *kube_reason_phrase(long);
static void	 kube_what(struct es_buf *, const char *,
		    const struct kube_ref *);
static int	 kube_json_call(struct kube_client *, const char *,
		    const struct kube_ref *, const char *, const cJSON *,
		    const char *, int, cJSON **, struct es_err *);

/* Well-known resources, for kube_ref_init. */
static const struct kube_known {
	const char	*resource;
	const char	*singular;
	const char	*kind;
	const char	*shortname;
	const char	*group;
	const char	*version;
	int		 namespaced;
} kube_known[] = {
	{ "namespaces", "namespace", "Namespace", "ns", "", "v1", 0 },
	{ "nodes", "node", "Node", "no", "", "v1", 0 },
	{ "pods", "pod", "Pod", "po", "", "v1", 1 },
	{ "services", "service", "Service", "svc", "", "v1", 1 },
	{ "configmaps", "configmap", "ConfigMap", "cm", "", "v1", 1 },
	{ "secrets", "secret", "Secret", NULL, "", "v1", 1 },
	{ "events", "event", "Event", "ev", "", "v1", 1 },
	{ "endpoints", "endpoints", "Endpoints", "ep", "", "v1", 1 },
	{ "serviceaccounts", "serviceaccount", "ServiceAccount", "sa", "",
	    "v1", 1 },
	{ "persistentvolumeclaims", "persistentvolumeclaim",
	    "PersistentVolumeClaim", "pvc", "", "v1", 1 },
	{ "persistentvolumes", "persistentvolume", "PersistentVolume", "pv",
	    "", "v1", 0 },
	{ "statefulsets", "statefulset", "StatefulSet", "sts", "apps", "v1",
	    1 },
	{ "deployments", "deployment", "Deployment", "deploy", "apps", "v1",
	    1 },
	{ "replicasets", "replicaset", "ReplicaSet", "rs", "apps", "v1", 1 },
	{ "daemonsets", "daemonset", "DaemonSet", "ds", "apps", "v1", 1 },
	{ "poddisruptionbudgets", "poddisruptionbudget",
	    "PodDisruptionBudget", "pdb", "policy", "v1", 1 },
	{ "storageclasses", "storageclass", "StorageClass", "sc",
	    "storage.k8s.io", "v1", 0 },
	{ "leases", "lease", "Lease", NULL, "coordination.k8s.io", "v1", 1 },
	{ "nodemetrics", "nodemetrics", "NodeMetrics", NULL,
	    "metrics.k8s.io", "v1beta1", 0 },
	{ "podmetrics", "podmetrics", "PodMetrics", NULL, "metrics.k8s.io",
	    "v1beta1", 1 },
};

/* ---- small helpers ------------------------------------------------- */

/* xorshift64*: jitter only, seeded per client. */
static uint64_t
kube_rand(struct kube_client *kc)
{
	kc->rng ^= kc->rng >> 12;
	kc->rng ^= kc->rng << 25;
	kc->rng ^= kc->rng >> 27;
	return kc->rng * 2685821657736338717ULL;
}

/*
 * Backoff before try n+1 (n >= 1): base * 2^(n-1) capped at max, with
 * "equal jitter" (half fixed, half random) so waits never collapse to 0.
 */
static long
kube_backoff(struct kube_client *kc, int n)
{
	long d = kc->opts.retry_base_ms;
	int i;

	for (i = 1; i < n && d < kc->opts.retry_max_ms; i++)
		d *= 2;
	if (d > kc->opts.retry_max_ms)
		d = kc->opts.retry_max_ms;
	if (d < 2)
		return d;
	return d / 2 + (long)(kube_rand(kc) % (uint64_t)(d / 2 + 1));
}

const char *
kube_str(const cJSON *obj, const char *path)
{
	return cJSON_GetStringValue(kube_item(obj, path));
}

double
kube_num(const cJSON *obj, const char *path, double def)
{
	const cJSON *j = kube_item(obj, path);

	return cJSON_IsNumber(j) ? j->valuedouble : def;
}

const cJSON *
kube_item(const cJSON *obj, const char *path)
{
	return doc_json_at(obj, path);
}

const char *
kube_condition(const cJSON *obj, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, kube_item(obj, "status.conditions")) {
		const char *t = kube_str(c, "type");

		if (t != NULL && strcmp(t, type) == 0)
			return kube_str(c, "status");
	}
	return NULL;
}

/* ---- resources and paths ----------------------------------------- */

int
kube_ref_init(struct kube_ref *r, const char *resource, const char *ns,
    const char *name, struct es_err *err)
{
	size_t i;

	memset(r, 0, sizeof *r);
	for (i = 0; i < sizeof kube_known / sizeof kube_known[0]; i++) {
		const struct kube_known *k = &kube_known[i];

		if (strcmp(resource, k->resource) == 0 ||
		    strcmp(resource, k->singular) == 0 ||
		    strcasecmp(resource, k->kind) == 0 ||
		    (k->shortname != NULL && strcmp(resource,
		    k->shortname) == 0)) {
			r->group = k->group;
			r->version = k->version;
			r->resource = strcmp(k->group, "metrics.k8s.io") ==
			    0 ? (k->namespaced ? "pods" : "nodes") :
			    k->resource;
			r->namespace = ns;
			r->name = name;
			return 0;
		}
	}
	return es_err_set(err, ES_EUSAGE, "BadRequest", "unknown resource "
	    "'%s'", resource);
}

int
kube_resource_namespaced(const char *group, const char *resource)
{
	size_t i;

	if (group == NULL)
		group = "";
	if (strcmp(group, "metrics.k8s.io") == 0)
		return strcmp(resource, "pods") == 0 ? 1 : strcmp(resource,
		    "nodes") == 0 ? 0 : -1;
	for (i = 0; i < sizeof kube_known / sizeof kube_known[0]; i++)
		if (strcmp(kube_known[i].group, group) == 0 &&
		    strcmp(kube_known[i].resource, resource) == 0)
			return kube_known[i].namespaced;
	return -1;
}

/*
 * Appends s percent-encoded by libcurl: everything but RFC 3986
 * unreserved characters, so a ':' in a name goes as %3A, which the API
 * server decodes like any other escape.
 */
void
kube_buf_add_escaped(struct es_buf *b, const char *s)
{
	char *e;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		fatal("curl_easy_escape: out of memory");
	es_buf_adds(b, e);
	curl_free(e);
}

char *
kube_path(const struct kube_ref *r)
{
	struct es_buf b = ES_BUF_INIT;

	if (r->group == NULL || *r->group == '\0')
		es_buf_addf(&b, "/api/%s", r->version ? r->version : "v1");
	else
		es_buf_addf(&b, "/apis/%s/%s", r->group, r->version);
	if (r->namespace != NULL && *r->namespace != '\0' &&
	    strcmp(r->resource, "namespaces") != 0) {
		es_buf_adds(&b, "/namespaces/");
		kube_buf_add_escaped(&b, r->namespace);
	}
	es_buf_addf(&b, "/%s", r->resource);
	if (r->name != NULL && *r->name != '\0') {
		es_buf_addch(&b, '/');
		kube_buf_add_escaped(&b, r->name);
		if (r->subresource != NULL && *r->subresource != '\0')
			es_buf_addf(&b, "/%s", r->subresource);
	} else if (r->resource != NULL && strcmp(r->resource,
	    "namespaces") == 0 && r->namespace != NULL && *r->namespace) {
		/* a namespace addressed through ref->namespace */
		es_buf_addch(&b, '/');
		kube_buf_add_escaped(&b, r->namespace);
	}
	return es_buf_detach(&b, NULL);
}

/* "get statefulsets 'x' in namespace 'ns'" */
static void
kube_what(struct es_buf *b, const char *verb, const struct kube_ref *r)
{
	es_buf_addf(b, "%s %s", verb, r->resource);
	if (r->name != NULL && *r->name != '\0')
		es_buf_addf(b, " '%s'", r->name);
	if (r->subresource != NULL && *r->subresource != '\0')
		es_buf_addf(b, " (%s)", r->subresource);
	if (r->namespace != NULL && *r->namespace != '\0' &&
	    strcmp(r->resource, "namespaces") != 0)
		es_buf_addf(b, " in namespace '%s'", r->namespace);
	else if ((r->name == NULL || *r->name == '\0') &&
	    kube_resource_namespaced(r->group, r->resource) == 1)
		es_buf_adds(b, " in all namespaces");
}

/* ---- opening ------------------------------------------------------- */

/* Checks that a file named by the kubeconfig can be read. */
static int
kube_check_file(const char *path, const char *what, const char *owner,
    struct es_err *err)
{
	if (path == NULL || access(path, R_OK) == 0)
		return 0;
	return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND : ES_EUSAGE,
	    "InvalidKubeconfig", "cannot read %s '%s' of %s: %s", what, path,
	    owner, strerror(errno));
}

/*
 * tls-server-name: requests go to https://NAME:PORT and libcurl connects
 * NAME:PORT to the real host, so SNI and verification use NAME.
 */
static int
kube_map_server_name(struct kube_client *kc, const char *name,
    struct es_err *err)
{
	CURLU *u;
	char *host = NULL, *port = NULL, *url = NULL;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, kc->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		es_err_set(err, ES_EUSAGE, "InvalidKubeconfig", "invalid "
		    "server URL '%s'", kc->server);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_HOST, name, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		es_err_set(err, ES_EUSAGE, "InvalidKubeconfig", "invalid "
		    "tls-server-name '%s'", name);
		goto out;
	}
	{
		char *map = xasprintf("%s:%s:%s:%s", name, port, host, port);

		kc->connect_to = curl_slist_append(NULL, map);
		free(map);
	}
	free(kc->base);
	kc->base = xstrdup(url);
	while (strlen(kc->base) > 8 && kc->base[strlen(kc->base) - 1] == '/')
		kc->base[strlen(kc->base) - 1] = '\0';
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

int
kube_open(const struct kube_config *cfg, const struct kube_opts *opts,
    struct kube_client **out, struct es_err *err)
{
	struct kube_client *kc;
	struct kube_tls tls;
	struct kube_creds cr;
	char owner[256];

	*out = NULL;
	kc = xcalloc(1, sizeof *kc);
	kc->cfg = kube_config_dup(cfg);
	if (opts != NULL)
		kc->opts = *opts;
	if (kc->opts.request_timeout_ms == 0)
		kc->opts.request_timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	if (kc->opts.connect_timeout_ms <= 0)
		kc->opts.connect_timeout_ms = KUBE_DEFAULT_CONNECT_MS;
	if (kc->opts.retry_base_ms <= 0)
		kc->opts.retry_base_ms = KUBE_DEFAULT_RETRY_BASE_MS;
	if (kc->opts.retry_max_ms <= 0)
		kc->opts.retry_max_ms = KUBE_DEFAULT_RETRY_MAX_MS;
	if (kc->opts.retry_total_ms <= 0)
		kc->opts.retry_total_ms = KUBE_DEFAULT_RETRY_TOTAL_MS;
	if (kc->opts.max_attempts <= 0)
		kc->opts.max_attempts = KUBE_DEFAULT_ATTEMPTS;
	kc->ua = xasprintf("%s", kc->opts.user_agent ? kc->opts.user_agent :
	    "esctl/" ESCTL_VERSION);
	kc->opts.user_agent = kc->ua;
	kc->rng = (uint64_t)(long)util_mono_ms() * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)getpid() ^ (uint64_t)(uintptr_t)kc;
	if (kc->rng == 0)
		kc->rng = 88172645463325252ULL;
	kc->server = xstrdup(kube_config_server(kc->cfg));
	kc->base = xstrdup(kc->server);
	kc->who = xasprintf("%s; context '%s', user '%s'", kc->server,
	    kube_config_context(kc->cfg), kube_config_user(kc->cfg));

	kube_config_tls(kc->cfg, &tls);
	snprintf(owner, sizeof owner, "cluster '%s'",
	    kube_config_cluster(kc->cfg));
	if (kube_check_file(tls.ca_file, "certificate-authority", owner,
	    err) == -1)
		goto fail;
	if (kube_config_auth(kc->cfg) != KUBE_AUTH_EXEC) {
		memset(&cr, 0, sizeof cr);
		snprintf(owner, sizeof owner, "user '%s'",
		    kube_config_user(kc->cfg));
		/* files only: no token file or plugin is read here */
		if (kube_config_credentials(kc->cfg, time(NULL), 0, NULL, &cr,
		    err) == -1)
			goto fail;
		if (kube_check_file(cr.cert_file, "client-certificate", owner,
		    err) == -1 ||
		    kube_check_file(cr.key_file, "client-key", owner,
		    err) == -1)
			goto fail;
	}
	if (tls.server_name != NULL && strncmp(kc->server, "https://", 8) ==
	    0 && kube_map_server_name(kc, tls.server_name, err) == -1)
		goto fail;
	if ((kc->curl = curl_easy_init()) == NULL)
		fatal("curl_easy_init failed");
	*out = kc;
	return 0;
fail:
	kube_close(kc);
	return -1;
}

void
kube_close(struct kube_client *kc)
{
	if (kc == NULL)
		return;
	if (kc->curl != NULL)
		curl_easy_cleanup(kc->curl);
	curl_slist_free_all(kc->connect_to);
	kube_config_free(kc->cfg);
	free(kc->server);
	free(kc->base);
	free(kc->ua);
	free(kc->who);
	free(kc);
}

const char *
kube_server(const struct kube_client *kc)
{
	return kc->server;
}

const char *
kube_context(const struct kube_client *kc)
{
	return kube_config_context(kc->cfg);
}

const char *
kube_namespace(const struct kube_client *kc)
{
	return kube_config_namespace(kc->cfg);
}

struct kube_config *
kube_client_config(struct kube_client *kc)
{
	return kc->cfg;
}

/* ---- transfers ----------------------------------------------------- */

void
kube_response_release(struct kube_response *r)
{
	if (r == NULL)
		return;
	es_buf_release(&r->body);
	free(r->content_type);
	r->content_type = NULL;
	r->status = 0;
}

static size_t
kube_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct kube_xfer *x = arg;
	size_t len = size * n;
	long code = 0;

	if (x->req->sink != NULL) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code < 300) {
			if (x->req->sink(x->req->sink_arg, data, len) == -1) {
				x->sink_stopped = 1;
				return 0;
			}
			x->delivered += len;
			return len;
		}
	}
	if (x->resp->body.len + len > x->max) {
		x->too_big = 1;
		return 0;
	}
	es_buf_add(&x->resp->body, data, len);
	return len;
}

static size_t
kube_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct kube_xfer *x = arg;
	size_t len = size * n, k = strlen("content-type:");
	char *v;

	/* a new status line (after 100 Continue or a retry) resets */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->resp->content_type);
		x->resp->content_type = NULL;
	}
	if (len > k && strncasecmp(data, "content-type:", k) == 0) {
		v = xstrndup(data + k, len - k);
		v[strcspn(v, "\r\n")] = '\0';
		free(x->resp->content_type);
		x->resp->content_type = xstrdup(v + strspn(v, " \t"));
		free(v);
	}
	return len;
}

/* Logs libcurl's header traffic at trace level, credentials redacted. */
static int
kube_debug_cb(CURL *h, curl_infotype type, char *data, size_t len,
    void *arg)
{
	const struct es_log *log = arg;
	const char *dir;
	char line[1024];
	size_t i, start, l;

	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		dir = "*";
		break;
	case CURLINFO_HEADER_OUT:
		dir = ">";
		break;
	case CURLINFO_HEADER_IN:
		dir = "<";
		break;
	default:
		return 0;
	}
	for (start = 0; start < len; start = i + 1) {
		for (i = start; i < len && data[i] != '\n'; i++)
			;
		l = i - start;
		while (l > 0 && (data[start + l - 1] == '\r'))
			l--;
		if (l == 0)
			continue;
		if (type != CURLINFO_TEXT && (
		    (l >= 14 && strncasecmp(data + start, "authorization:",
		    14) == 0) ||
		    (l >= 20 && strncasecmp(data + start,
		    "proxy-authorization:", 20) == 0) ||
		    (l >= 7 && strncasecmp(data + start, "cookie:", 7) == 0) ||
		    (l >= 11 && strncasecmp(data + start, "set-cookie:",
		    11) == 0)))
			snprintf(line, sizeof line, "%.*s <redacted>",
			    (int)(strchr(data + start, ':') - (data + start) +
			    1), data + start);
		else
			snprintf(line, sizeof line, "%.*s", (int)(l > 900 ?
			    900 : l), data + start);
		es_log(log, ES_LOG_TRACE, "%s %s", dir, line);
	}
	return 0;
}

static int
kube_idempotent(const struct kube_request *req)
{
	if (req->idempotent != 0)
		return req->idempotent > 0;
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") ==
	    0 || strcmp(req->method, "PUT") == 0 || strcmp(req->method,
	    "DELETE") == 0 || strcmp(req->method, "OPTIONS") == 0)
		return 1;
	if (strcmp(req->method, "PATCH") == 0 && req->content_type != NULL &&
	    (strcmp(req->content_type, "application/merge-patch+json") == 0 ||
	    strcmp(req->content_type,
	    "application/strategic-merge-patch+json") == 0))
		return 1;
	return 0;
}

/*
 * Configures easy handle h for req: URL, TLS, credentials, headers,
 * callbacks.  *hdrs receives the header list (caller frees after the
 * transfer).  Credentials may run the exec plugin.
 */
static int
kube_setup(struct kube_client *kc, CURL *h, const struct kube_request *req,
    struct kube_xfer *x, struct curl_slist **hdrs, struct es_err *err)
{
	struct kube_tls tls;
	struct kube_creds cr;
	struct curl_blob blob;
	struct es_buf b = ES_BUF_INIT;
	struct curl_slist *l = NULL;
	char *url;
	int i;

	*hdrs = NULL;
	if (kube_config_credentials(kc->cfg, time(NULL),
	    kc->opts.request_timeout_ms > 0 ? kc->opts.request_timeout_ms :
	    0, kc->opts.log, &cr, err) == -1)
		return -1;
	kube_config_tls(kc->cfg, &tls);
	curl_easy_reset(h);
	url = xasprintf("%s%s", kc->base, req->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * libcurl sends a request again by itself when a reused keep-alive
	 * connection turns out dead before any answer, even a POST the
	 * server may have carried out.  A request that is not idempotent
	 * gets a connection of its own, which libcurl never re-sends on:
	 * whether to repeat it is the caller's decision (cluster create
	 * repeats its POSTs itself; they are adopted by creation id).
	 */
	if (!kube_idempotent(req))
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, kc->ua);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    kc->opts.connect_timeout_ms);
	if (!req->stream && kc->opts.request_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
		    kc->opts.request_timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, kc->errbuf);
	kc->errbuf[0] = '\0';
	if (kc->connect_to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, kc->connect_to);
	if (tls.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (tls.ca_data != NULL) {
		blob.data = (void *)(uintptr_t)tls.ca_data;
		blob.len = tls.ca_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	} else if (tls.ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_file);
	if (tls.proxy_url != NULL)
		curl_easy_setopt(h, CURLOPT_PROXY, tls.proxy_url);
	else {
		/* like Go: proxies from the environment, never loopback */
		const char *np = getenv("NO_PROXY");
		char *v;

		if (np == NULL)
			np = getenv("no_proxy");
		v = xasprintf("%s%slocalhost,127.0.0.1,::1", np ? np : "",
		    np && *np ? "," : "");
		curl_easy_setopt(h, CURLOPT_NOPROXY, v);
		free(v);
	}
	if (cr.cert_data != NULL) {
		blob.data = (void *)(uintptr_t)cr.cert_data;
		blob.len = cr.cert_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (cr.cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, cr.cert_file);
	if (cr.key_data != NULL) {
		blob.data = (void *)(uintptr_t)cr.key_data;
		blob.len = cr.key_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (cr.key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, cr.key_file);

	/* headers */
	es_buf_addf(&b, "Accept: %s", req->accept ? req->accept :
	    "application/json");
	l = curl_slist_append(l, b.data);
	es_buf_reset(&b);
	if (req->body != NULL) {
		es_buf_addf(&b, "Content-Type: %s", req->content_type ?
		    req->content_type : "application/json");
		l = curl_slist_append(l, b.data);
		es_buf_reset(&b);
	}
	l = curl_slist_append(l, "Expect:");
	if (cr.token != NULL) {
		es_buf_addf(&b, "Authorization: Bearer %s", cr.token);
		l = curl_slist_append(l, b.data);
		explicit_bzero(b.data, b.len);
		es_buf_reset(&b);
	} else if (cr.username != NULL) {
		struct es_buf up = ES_BUF_INIT;

		es_buf_addf(&up, "%s:%s", cr.username, cr.password);
		es_buf_adds(&b, "Authorization: Basic ");
		base64_encode(&b, up.data, up.len);
		explicit_bzero(up.data, up.len);
		es_buf_release(&up);
		l = curl_slist_append(l, b.data);
		explicit_bzero(b.data, b.len);
		es_buf_reset(&b);
	}
	if (cr.impersonate != NULL) {
		es_buf_addf(&b, "Impersonate-User: %s", cr.impersonate);
		l = curl_slist_append(l, b.data);
		es_buf_reset(&b);
		for (i = 0; cr.impersonate_groups != NULL &&
		    cr.impersonate_groups[i] != NULL; i++) {
			es_buf_addf(&b, "Impersonate-Group: %s",
			    cr.impersonate_groups[i]);
			l = curl_slist_append(l, b.data);
			es_buf_reset(&b);
		}
	}
	es_buf_release(&b);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	*hdrs = l;

	/* method and body */
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else {
		if (req->body != NULL) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		} else if (strcmp(req->method, "POST") == 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		}
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
			    req->method);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kube_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, kube_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (es_log_enabled(kc->opts.log, ES_LOG_TRACE)) {
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, kube_debug_cb);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, kc->opts.log);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	return 0;
}

static const char *
kube_reason_phrase(long s)
{
	switch (s) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "";
}

/* Transport errors where nothing reached the server. */
/* 1 when the last answer on h carried a Retry-After header. */
static int
kube_has_retry_after(CURL *h)
{
	curl_off_t ra = 0;

	return curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0;
}

static int
kube_not_sent(CURLcode c, CURL *h)
{
	double t = 0;

	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
		/* timed out before the request could be sent */
		curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME, &t);
		return t == 0;
	default:
		return 0;
	}
}

/* Transport errors worth retrying when the request is idempotent. */
static int
kube_transient(CURLcode c)
{
	switch (c) {
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int
kube_tls_verify_error(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION ||
	    c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_ISSUER_ERROR ||
	    c == CURLE_SSL_PINNEDPUBKEYNOTMATCH || c == CURLE_SSL_CERTPROBLEM;
}

/* The server refused our client certificate during the handshake. */
static int
kube_tls_alert(const char *why)
{
	static const char *alerts[] = { "alert unknown ca",
	    "alert bad certificate", "alert certificate unknown",
	    "alert certificate required", "alert access denied",
	    "alert certificate expired", "alert certificate revoked" };
	size_t i;

	for (i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
		if (strstr(why, alerts[i]) != NULL)
			return 1;
	return 0;
}

int
kube_do(struct kube_client *kc, const struct kube_request *req,
    struct kube_response *resp, struct es_err *err)
{
	struct kube_xfer x;
	struct curl_slist *hdrs = NULL;
	CURLcode c = CURLE_OK;
	curl_off_t ra;
	long start = (long)util_mono_ms(), t0, delay, status;
	int attempt, idem = kube_idempotent(req), retry, sent_before = 0;
	char why[CURL_ERROR_SIZE + 64];

	kube_response_release(resp);
	es_buf_init(&resp->body);
	resp->attempts = 0;
	resp->maybe_sent = 0;
	kc->exec_retried = 0;
	for (attempt = 1;; attempt++) {
		memset(&x, 0, sizeof x);
		x.kc = kc;
		x.req = req;
		x.resp = resp;
		x.h = kc->curl;
		x.max = req->max_body ? req->max_body : KUBE_MAX_BODY;
		es_buf_reset(&resp->body);
		free(resp->content_type);
		resp->content_type = NULL;
		resp->status = 0;
		if (kube_setup(kc, kc->curl, req, &x, &hdrs, err) == -1)
			return -1;
		t0 = (long)util_mono_ms();
		c = curl_easy_perform(kc->curl);
		resp->elapsed_ms = (long)util_mono_ms() - t0;
		resp->attempts = attempt;
		resp->maybe_sent = sent_before;
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		status = 0;
		if (c == CURLE_OK || (c == CURLE_WRITE_ERROR &&
		    x.sink_stopped))
			curl_easy_getinfo(kc->curl, CURLINFO_RESPONSE_CODE,
			    &status);
		resp->status = status;

		if (c == CURLE_WRITE_ERROR && x.too_big)
			return es_err_set(err, ES_EREMOTE, "TooLarge", "%s %s: "
			    "answer from %s larger than %zu bytes",
			    req->method, req->path, kc->server, x.max);
		if (c == CURLE_WRITE_ERROR && x.sink_stopped)
			return 0;
		if (c != CURLE_OK) {
			snprintf(why, sizeof why, "%s", kc->errbuf[0] ?
			    kc->errbuf : curl_easy_strerror(c));
			why[strcspn(why, "\n")] = '\0';
			es_log(kc->opts.log, ES_LOG_DEBUG, "%s %s%s -> %s "
			    "(%ld ms)", req->method, kc->base, req->path, why,
			    resp->elapsed_ms);
			if (kube_tls_verify_error(c))
				return es_err_set(err, ES_EREMOTE,
				    "TLSError", "TLS connection to %s failed: "
				    "%s", kc->server, why);
			if (kube_tls_alert(why))
				return es_err_set(err, ES_EPERM,
				    "Unauthorized", "%s rejected the client "
				    "certificate of user '%s': %s", kc->server,
				    kube_config_user(kc->cfg), why);
			retry = kube_not_sent(c, kc->curl) || (idem &&
			    kube_transient(c) && x.delivered == 0);
			if (!kube_not_sent(c, kc->curl))
				sent_before = 1;
		} else {
			es_log(kc->opts.log, ES_LOG_DEBUG, "%s %s%s -> %ld "
			    "(%ld ms)", req->method, kc->base, req->path,
			    status, resp->elapsed_ms);
			snprintf(why, sizeof why, "%ld %s", status,
			    kube_reason_phrase(status));
			/*
			 * 429 (API priority and fairness, with Retry-After)
			 * means the request was not processed: any verb may
			 * be sent again.  An eviction's 429 without
			 * Retry-After is a PodDisruptionBudget's refusal
			 * (recording 065): the caller's answer to decide on
			 * (node drain retries it with its own backoff and
			 * says so), not a throttle to wait out here.
			 */
			retry = (status == 429 && (strstr(req->path,
			    "/eviction") == NULL || kube_has_retry_after(
			    kc->curl))) || (idem && (status == 500 ||
			    status == 502 || status == 503 || status == 504));
			/* expired exec credentials: ask the plugin once more */
			if (status == 401 && !kc->exec_retried &&
			    kube_config_auth(kc->cfg) == KUBE_AUTH_EXEC &&
			    kube_config_invalidate(kc->cfg)) {
				kc->exec_retried = 1;
				retry = 1;
			}
			if (!retry)
				return 0;
			sent_before = 1;
		}
		if (!retry || attempt >= kc->opts.max_attempts)
			break;
		delay = kube_backoff(kc, attempt);
		ra = 0;
		if (c == CURLE_OK && (status == 429 || status == 503) &&
		    curl_easy_getinfo(kc->curl, CURLINFO_RETRY_AFTER, &ra) ==
		    CURLE_OK && ra > 0)
			delay = (long)(ra > 3600 ? 3600 : ra) * 1000;
		if (status == 401)
			delay = 0;
		if ((long)util_mono_ms() - start + delay >
		    kc->opts.retry_total_ms) {
			es_log(kc->opts.log, ES_LOG_INFO, "%s %s: %s; not "
			    "retrying: the retry time limit of %ld ms would be "
			    "exceeded", req->method, req->path, why,
			    kc->opts.retry_total_ms);
			break;
		}
		es_log(kc->opts.log, ES_LOG_INFO, "%s %s: %s; retrying in "
		    "%ld ms%s (attempt %d of %d)", req->method, req->path, why,
		    delay, ra > 0 ? " as Retry-After asks" : "", attempt + 1,
		    kc->opts.max_attempts);
		util_sleep_ms(delay);
	}
	if (c == CURLE_OK)
		return 0;	/* an HTTP answer, e.g. 503 after retries */
	return es_err_set(err, ES_EREMOTE, "ConnectionFailed", "cannot reach "
	    "%s: %s (%d attempt%s)", kc->server, why, resp->attempts,
	    resp->attempts == 1 ? "" : "s");
}

/* ---- errors -------------------------------------------------------- */

int
kube_status_err(long status, const char *body, size_t len, const char *what,
    const char *server, struct es_err *err)
{
	cJSON *j = NULL;
	const cJSON *causes, *c;
	const char *msg = NULL, *reason = NULL, *kind;
	char fallback[256];
	int code, pdb = 0;

	if (body != NULL && len > 0)
		j = cJSON_ParseWithLength(body, len);
	kind = kube_str(j, "kind");
	if (kind != NULL && strcmp(kind, "Status") == 0) {
		msg = kube_str(j, "message");
		reason = kube_str(j, "reason");
		causes = kube_item(j, "details.causes");
		cJSON_ArrayForEach(c, causes) {
			const char *r = kube_str(c, "reason");

			if (r != NULL && strcmp(r, "DisruptionBudget") == 0)
				pdb = 1;
		}
	}
	if (msg == NULL || *msg == '\0') {
		if (j == NULL && body != NULL && len > 0 && len < 200 &&
		    memchr(body, '\0', len) == NULL)
			snprintf(fallback, sizeof fallback, "%.*s", (int)len,
			    body);
		else
			snprintf(fallback, sizeof fallback, "the server "
			    "answered HTTP %ld %s", status,
			    kube_reason_phrase(status));
		fallback[strcspn(fallback, "\n")] = '\0';
		msg = fallback;
	}
	switch (status) {
	case 400:
	case 415:
	case 422:
		code = ES_EUSAGE;
		break;
	case 401:
	case 403:
		code = ES_EPERM;
		break;
	case 404:
		code = ES_ENOTFOUND;
		break;
	case 409:
		code = ES_ECONFLICT;
		break;
	case 410:
		code = ES_ECONFLICT;
		break;
	case 429:
		code = pdb ? ES_ECONFLICT : ES_EREMOTE;
		break;
	default:
		code = status >= 500 ? ES_EREMOTE : ES_EFAIL;
		break;
	}
	if (reason == NULL || *reason == '\0') {
		switch (status) {
		case 401:
			reason = "Unauthorized";
			break;
		case 403:
			reason = "Forbidden";
			break;
		case 404:
			reason = "NotFound";
			break;
		case 409:
			reason = "Conflict";
			break;
		case 429:
			reason = "TooManyRequests";
			break;
		case 503:
			reason = "ServiceUnavailable";
			break;
		default:
			reason = status >= 500 ? "InternalError" :
			    "BadRequest";
		}
	}
	if (status == 401 || status >= 500 || j == NULL)
		es_err_set(err, code, reason, "%s%s%s%s%s (HTTP %ld from %s)",
		    what ? what : "", what ? ": " : "", msg,
		    strcmp(msg, reason) != 0 ? ", reason " : "",
		    strcmp(msg, reason) != 0 ? reason : "", status,
		    server ? server : "the server");
	else
		es_err_set(err, code, reason, "%s%s%s%s%s%s", what ? what : "",
		    what ? ": " : "", msg, strcmp(msg, reason) != 0 ? " (" :
		    "", strcmp(msg, reason) != 0 ? reason : "",
		    strcmp(msg, reason) != 0 ? ")" : "");
	cJSON_Delete(j);
	return -1;
}

/* The JSON core of every typed helper. */
static int
kube_json_call(struct kube_client *kc, const char *method,
    const struct kube_ref *ref, const char *query, const cJSON *body,
    const char *ctype, int idempotent, cJSON **out, struct es_err *err)
{
	struct kube_request req;
	struct kube_response resp = KUBE_RESPONSE_INIT;
	struct es_buf what = ES_BUF_INIT, path = ES_BUF_INIT;
	char *p, *text = NULL;
	const char *verb;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	p = kube_path(ref);
	es_buf_adds(&path, p);
	free(p);
	if (query != NULL && *query != '\0')
		es_buf_addf(&path, "?%s", query);
	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = path.data;
	req.idempotent = idempotent;
	if (body != NULL) {
		text = cJSON_PrintUnformatted(body);
		req.body = text;
		req.body_len = strlen(text);
		req.content_type = ctype;
	}
	if (kube_do(kc, &req, &resp, err) == -1)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		verb = strcmp(method, "GET") == 0 ? (ref->name ? "get" :
		    "list") : strcmp(method, "POST") == 0 ? "create" :
		    strcmp(method, "PUT") == 0 ? "update" : strcmp(method,
		    "PATCH") == 0 ? "patch" : strcmp(method, "DELETE") == 0 ?
		    "delete" : method;
		kube_what(&what, verb, ref);
		if (resp.attempts > 1 && resp.status >= 500)
			es_buf_addf(&what, " (after %d attempts)",
			    resp.attempts);
		kube_status_err(resp.status, resp.body.data, resp.body.len,
		    what.data, kc->who, err);
		if (resp.status == 404 && resp.maybe_sent &&
		    strcmp(method, "DELETE") == 0) {
			/* an earlier try did it */
			es_err_clear(err);
			rc = 0;
		}
		goto out;
	}
	if (out != NULL) {
		if (resp.body.len == 0)
			*out = cJSON_CreateNull();
		else if ((*out = cJSON_ParseWithLength(resp.body.data,
		    resp.body.len)) == NULL) {
			es_err_set(err, ES_EREMOTE, "BadResponse", "%s %s: "
			    "the answer of %s is not JSON", method, path.data,
			    kc->server);
			goto out;
		}
	}
	rc = 0;
out:
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	kube_response_release(&resp);
	es_buf_release(&what);
	es_buf_release(&path);
	return rc;
}

int
kube_call(struct kube_client *kc, const char *method, const char *path,
    const cJSON *body, const char *content_type, const char *what,
    cJSON **out, struct es_err *err)
{
	struct kube_request req;
	struct kube_response resp = KUBE_RESPONSE_INIT;
	struct es_buf w = ES_BUF_INIT;
	char *text = NULL;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = path;
	if (body != NULL) {
		text = cJSON_PrintUnformatted(body);
		req.body = text;
		req.body_len = strlen(text);
		req.content_type = content_type;
	}
	if (kube_do(kc, &req, &resp, err) == -1)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		if (what != NULL)
			es_buf_adds(&w, what);
		else
			es_buf_addf(&w, "%s %s", method, path);
		kube_status_err(resp.status, resp.body.data, resp.body.len,
		    w.data, kc->who, err);
		goto out;
	}
	if (out != NULL) {
		if (resp.body.len == 0)
			*out = cJSON_CreateNull();
		else if ((*out = cJSON_ParseWithLength(resp.body.data,
		    resp.body.len)) == NULL) {
			es_err_set(err, ES_EREMOTE, "BadResponse", "%s %s: "
			    "the answer of %s is not JSON", method, path,
			    kc->server);
			goto out;
		}
	}
	rc = 0;
out:
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	kube_response_release(&resp);
	es_buf_release(&w);
	return rc;
}

/* ---- typed helpers ------------------------------------------------- */

int
kube_get(struct kube_client *kc, const struct kube_ref *ref, cJSON **out,
    struct es_err *err)
{
	return kube_json_call(kc, "GET", ref, NULL, NULL, NULL, 0, out, err);
}

/* One page: builds the query and calls. */
static int
kube_list_page(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_list_opts *o, long limit, const char *cont,
    cJSON **out, struct es_err *err)
{
	struct es_buf q = ES_BUF_INIT;
	struct kube_ref r = *ref;
	int rc;

	r.name = NULL;
	r.subresource = NULL;
	if (o != NULL && o->label_selector != NULL && *o->label_selector) {
		es_buf_adds(&q, "labelSelector=");
		kube_buf_add_escaped(&q, o->label_selector);
	}
	if (o != NULL && o->field_selector != NULL && *o->field_selector) {
		es_buf_addf(&q, "%sfieldSelector=", q.len ? "&" : "");
		kube_buf_add_escaped(&q, o->field_selector);
	}
	if (limit > 0)
		es_buf_addf(&q, "%slimit=%ld", q.len ? "&" : "", limit);
	if (cont != NULL && *cont != '\0') {
		es_buf_addf(&q, "%scontinue=", q.len ? "&" : "");
		kube_buf_add_escaped(&q, cont);
	}
	rc = kube_json_call(kc, "GET", &r, q.data, NULL, NULL, 0, out, err);
	es_buf_release(&q);
	return rc;
}

/* Orders items as the API server (etcd keys): namespace, then name. */
static int
kube_key_cmp(const cJSON *it, const char *ns, const char *name)
{
	const char *ins = kube_str(it, "metadata.namespace");
	const char *iname = kube_str(it, "metadata.name");
	int c;

	c = strcmp(ins ? ins : "", ns);
	if (c != 0)
		return c;
	return strcmp(iname ? iname : "", name);
}

/*
 * The pager under kube_list and kube_list_each.  When a continue token
 * has expired (410), the list starts again from the beginning and the
 * items already handed out (those not after the last one, in key order)
 * are skipped, so every item is delivered once.
 */
static int
kube_pager(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_list_opts *o, cJSON *acc,
    int (*fn)(void *, const cJSON *, struct es_err *), void *arg,
    int *pages, struct es_err *err)
{
	cJSON *page = NULL, *items, *it, *ai = NULL;
	const cJSON *next;
	char *cont = NULL, *last_ns = NULL, *last_name = NULL;
	long limit = o != NULL && o->limit != 0 ? o->limit :
	    KUBE_DEFAULT_PAGE, seen = 0;
	int npages = 0, restarts = 0, rc = -1, skipping = 0;

	if (acc != NULL && (ai = cJSON_GetObjectItem(acc, "items")) == NULL)
		ai = cJSON_AddArrayToObject(acc, "items");
	for (;;) {
		if (kube_list_page(kc, ref, o, limit, cont, &page, err) == -1) {
			if (cont != NULL && strcmp(err->reason, "Expired") ==
			    0 && restarts < 3) {
				es_log(kc->opts.log, ES_LOG_INFO, "%s; listing "
				    "again from the start", err->msg);
				restarts++;
				free(cont);
				cont = NULL;
				skipping = last_name != NULL;
				es_err_clear(err);
				continue;
			}
			goto out;
		}
		npages++;
		items = cJSON_GetObjectItem(page, "items");
		if (acc != NULL) {
			cJSON_DeleteItemFromObject(acc, "kind");
			cJSON_DeleteItemFromObject(acc, "apiVersion");
			cJSON_DeleteItemFromObject(acc, "metadata");
			cJSON_AddItemToObject(acc, "kind", cJSON_Duplicate(
			    cJSON_GetObjectItem(page, "kind"), 1));
			cJSON_AddItemToObject(acc, "apiVersion",
			    cJSON_Duplicate(cJSON_GetObjectItem(page,
			    "apiVersion"), 1));
			cJSON_AddItemToObject(acc, "metadata", cJSON_Duplicate(
			    cJSON_GetObjectItem(page, "metadata"), 1));
		}
		while (items != NULL && (it = items->child) != NULL) {
			cJSON_DetachItemViaPointer(items, it);
			if ((o != NULL && o->max_items > 0 &&
			    seen >= o->max_items) || (skipping &&
			    kube_key_cmp(it, last_ns, last_name) <= 0)) {
				cJSON_Delete(it);
				continue;
			}
			skipping = 0;
			free(last_ns);
			free(last_name);
			last_ns = xstrdup(kube_str(it, "metadata.namespace") ?
			    kube_str(it, "metadata.namespace") : "");
			last_name = xstrdup(kube_str(it, "metadata.name") ?
			    kube_str(it, "metadata.name") : "");
			seen++;
			if (acc != NULL)
				cJSON_AddItemToArray(ai, it);
			else {
				rc = fn(arg, it, err);
				cJSON_Delete(it);
				if (rc == -1)
					goto out;
				rc = -1;
			}
		}
		free(cont);
		cont = NULL;
		next = kube_item(page, "metadata.continue");
		if (cJSON_GetStringValue(next) != NULL &&
		    *next->valuestring != '\0')
			cont = xstrdup(next->valuestring);
		cJSON_Delete(page);
		page = NULL;
		if (cont == NULL || (o != NULL && o->max_items > 0 &&
		    seen >= o->max_items))
			break;
	}
	if (acc != NULL) {
		cJSON *md = cJSON_GetObjectItem(acc, "metadata");

		cJSON_DeleteItemFromObject(md, "continue");
		cJSON_DeleteItemFromObject(md, "remainingItemCount");
	}
	rc = 0;
out:
	if (pages != NULL)
		*pages = npages;
	cJSON_Delete(page);
	free(cont);
	free(last_ns);
	free(last_name);
	return rc;
}

int
kube_list(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_list_opts *o, cJSON **out, struct es_err *err)
{
	cJSON *acc;

	*out = NULL;
	acc = cJSON_CreateObject();
	if (kube_pager(kc, ref, o, acc, NULL, NULL, NULL, err) == -1) {
		cJSON_Delete(acc);
		return -1;
	}
	*out = acc;
	return 0;
}

int
kube_list_each(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_list_opts *o,
    int (*fn)(void *, const cJSON *, struct es_err *), void *arg,
    int *pages, struct es_err *err)
{
	return kube_pager(kc, ref, o, NULL, fn, arg, pages, err);
}

int
kube_create(struct kube_client *kc, const struct kube_ref *ref,
    const cJSON *obj, cJSON **out, struct es_err *err)
{
	struct kube_ref r = *ref;

	if (r.subresource == NULL || *r.subresource == '\0')
		r.name = NULL;
	return kube_json_call(kc, "POST", &r, NULL, obj, "application/json",
	    -1, out, err);
}

int
kube_apply(struct kube_client *kc, const struct kube_ref *ref,
    const cJSON *obj, int *created, cJSON **out, struct es_err *err)
{
	struct kube_ref r = *ref;
	cJSON *patch;
	int rc, builtin;

	if (created != NULL)
		*created = 0;
	if (kube_create(kc, ref, obj, out, err) == 0) {
		if (created != NULL)
			*created = 1;
		return 0;
	}
	if (err->code != ES_ECONFLICT || strcmp(err->reason,
	    "AlreadyExists") != 0)
		return -1;
	es_err_clear(err);
	if (r.name == NULL)
		r.name = kube_str(obj, "metadata.name");
	if (r.name == NULL)
		return es_err_set(err, ES_EUSAGE, "BadRequest", "apply %s: no "
		    "name", r.resource);
	patch = cJSON_Duplicate(obj, 1);
	cJSON_DeleteItemFromObject(patch, "status");
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(patch, "metadata"),
	    "resourceVersion");
	builtin = r.group == NULL || *r.group == '\0' || strchr(r.group,
	    '.') == NULL || strstr(r.group, ".k8s.io") != NULL;
	rc = kube_patch(kc, &r, builtin ? KUBE_PATCH_STRATEGIC :
	    KUBE_PATCH_MERGE, patch, out, err);
	cJSON_Delete(patch);
	return rc;
}

int
kube_update(struct kube_client *kc, const struct kube_ref *ref,
    const cJSON *obj, cJSON **out, struct es_err *err)
{
	struct kube_ref r = *ref;

	if (r.name == NULL)
		r.name = kube_str(obj, "metadata.name");
	if (r.name == NULL)
		return es_err_set(err, ES_EUSAGE, "BadRequest", "update %s: "
		    "no name", r.resource);
	return kube_json_call(kc, "PUT", &r, NULL, obj, "application/json", 0,
	    out, err);
}

int
kube_update_retry(struct kube_client *kc, const struct kube_ref *ref,
    int (*mutate)(void *, cJSON *, struct es_err *), void *arg, cJSON **out,
    struct es_err *err)
{
	cJSON *obj = NULL;
	int i, m;

	if (out != NULL)
		*out = NULL;
	for (i = 0; i < KUBE_CONFLICT_TRIES; i++) {
		if (kube_get(kc, ref, &obj, err) == -1)
			return -1;
		if ((m = mutate(arg, obj, err)) == -1) {
			cJSON_Delete(obj);
			return -1;
		}
		if (m == 1) {
			if (out != NULL)
				*out = obj;
			else
				cJSON_Delete(obj);
			return 0;
		}
		cJSON_DeleteItemFromObject(obj, "status");
		if (kube_update(kc, ref, obj, out, err) == 0) {
			cJSON_Delete(obj);
			return 0;
		}
		cJSON_Delete(obj);
		obj = NULL;
		if (err->code != ES_ECONFLICT || strcmp(err->reason,
		    "Conflict") != 0)
			return -1;
		es_log(kc->opts.log, ES_LOG_INFO, "%s; reading again",
		    err->msg);
		es_err_clear(err);
	}
	return es_err_set(err, ES_ECONFLICT, "Conflict", "update %s '%s': the "
	    "object kept changing (%d conflicts in a row)", ref->resource,
	    ref->name ? ref->name : "", KUBE_CONFLICT_TRIES);
}

int
kube_patch(struct kube_client *kc, const struct kube_ref *ref,
    enum kube_patch_type type, const cJSON *patch, cJSON **out,
    struct es_err *err)
{
	const char *ct;

	switch (type) {
	case KUBE_PATCH_STRATEGIC:
		ct = "application/strategic-merge-patch+json";
		break;
	case KUBE_PATCH_JSON:
		ct = "application/json-patch+json";
		break;
	case KUBE_PATCH_MERGE:
	default:
		ct = "application/merge-patch+json";
		break;
	}
	return kube_json_call(kc, "PATCH", ref, NULL, patch, ct,
	    type == KUBE_PATCH_JSON ? -1 : 1, out, err);
}

int
kube_delete(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_delete_opts *o, cJSON **out, struct es_err *err)
{
	cJSON *body = NULL;
	int rc;

	if (o != NULL && (o->propagation != NULL || o->grace_set)) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "kind", "DeleteOptions");
		cJSON_AddStringToObject(body, "apiVersion", "v1");
		if (o->propagation != NULL)
			cJSON_AddStringToObject(body, "propagationPolicy",
			    o->propagation);
		if (o->grace_set)
			cJSON_AddNumberToObject(body, "gracePeriodSeconds",
			    (double)o->grace_seconds);
	}
	rc = kube_json_call(kc, "DELETE", ref, NULL, body, "application/json",
	    0, out, err);
	cJSON_Delete(body);
	if (rc == -1 && o != NULL && o->ignore_not_found &&
	    err->code == ES_ENOTFOUND) {
		es_err_clear(err);
		return 0;
	}
	return rc;
}

int
kube_scale_get(struct kube_client *kc, const struct kube_ref *ref,
    long *replicas, struct es_err *err)
{
	struct kube_ref r = *ref;
	cJSON *s;

	r.subresource = "scale";
	if (kube_get(kc, &r, &s, err) == -1)
		return -1;
	*replicas = (long)kube_num(s, "spec.replicas", 0);
	cJSON_Delete(s);
	return 0;
}

int
kube_scale_set(struct kube_client *kc, const struct kube_ref *ref,
    long replicas, cJSON **out, struct es_err *err)
{
	struct kube_ref r = *ref;
	cJSON *p;
	int rc;

	r.subresource = "scale";
	p = cJSON_CreateObject();
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "spec"),
	    "replicas", (double)replicas);
	rc = kube_patch(kc, &r, KUBE_PATCH_MERGE, p, out, err);
	cJSON_Delete(p);
	return rc;
}

int
kube_evict(struct kube_client *kc, const char *ns, const char *pod,
    const struct kube_delete_opts *o, struct es_err *err)
{
	struct kube_ref r;
	cJSON *ev, *md, *dop;
	int rc;

	memset(&r, 0, sizeof r);
	r.group = "";
	r.version = "v1";
	r.resource = "pods";
	r.namespace = ns;
	r.name = pod;
	r.subresource = "eviction";
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "apiVersion", "policy/v1");
	cJSON_AddStringToObject(ev, "kind", "Eviction");
	md = cJSON_AddObjectToObject(ev, "metadata");
	cJSON_AddStringToObject(md, "name", pod);
	cJSON_AddStringToObject(md, "namespace", ns);
	if (o != NULL && (o->grace_set || o->propagation != NULL)) {
		dop = cJSON_AddObjectToObject(ev, "deleteOptions");
		if (o->grace_set)
			cJSON_AddNumberToObject(dop, "gracePeriodSeconds",
			    (double)o->grace_seconds);
		if (o->propagation != NULL)
			cJSON_AddStringToObject(dop, "propagationPolicy",
			    o->propagation);
	}
	rc = kube_json_call(kc, "POST", &r, NULL, ev, "application/json", -1,
	    NULL, err);
	cJSON_Delete(ev);
	return rc;
}

int
kube_version(struct kube_client *kc, cJSON **out, struct es_err *err)
{
	return kube_call(kc, "GET", "/version", NULL, NULL, "get server "
	    "version", out, err);
}

int
kube_whoami(struct kube_client *kc, cJSON **out, struct es_err *err)
{
	static const char *versions[] = { "v1", "v1beta1", "v1alpha1" };
	struct kube_request req;
	struct kube_response resp = KUBE_RESPONSE_INIT;
	cJSON *j;
	const cJSON *ui;
	char *path, *body;
	size_t i;
	int rc = -1;

	*out = NULL;
	for (i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		path = xasprintf("/apis/authentication.k8s.io/%s/"
		    "selfsubjectreviews", versions[i]);
		body = xasprintf("{\"apiVersion\":\"authentication.k8s.io/%s\","
		    "\"kind\":\"SelfSubjectReview\"}", versions[i]);
		memset(&req, 0, sizeof req);
		req.method = "POST";
		req.path = path;
		req.body = body;
		req.body_len = strlen(body);
		req.idempotent = 1;	/* a review changes nothing */
		rc = kube_do(kc, &req, &resp, err);
		free(path);
		free(body);
		if (rc == -1)
			goto out;
		rc = -1;
		if (resp.status == 404)
			continue;
		if (resp.status < 200 || resp.status >= 300) {
			kube_status_err(resp.status, resp.body.data,
			    resp.body.len, "who am i", kc->who, err);
			goto out;
		}
		j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		ui = kube_item(j, "status.userInfo");
		if (!cJSON_IsObject(ui)) {
			cJSON_Delete(j);
			es_err_set(err, ES_EREMOTE, "BadResponse", "who am i: "
			    "%s answered a SelfSubjectReview without "
			    "status.userInfo", kc->server);
			goto out;
		}
		*out = cJSON_Duplicate(ui, 1);
		cJSON_Delete(j);
		rc = 0;
		goto out;
	}
	es_err_set(err, ES_ENOTFOUND, "NotFound", "%s does not offer "
	    "SelfSubjectReview (authentication.k8s.io)", kc->server);
out:
	kube_response_release(&resp);
	return rc;
}

int
kube_served(struct kube_client *kc, const char *group, const char *version,
    const char *resource, struct es_err *err)
{
	struct kube_request req;
	struct kube_response resp = KUBE_RESPONSE_INIT;
	cJSON *j, *r;
	char *path;
	int rc = 0;

	if (group == NULL || *group == '\0')
		path = xasprintf("/api/%s", version);
	else
		path = xasprintf("/apis/%s/%s", group, version);
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.path = path;
	req.idempotent = -1;	/* optional API: do not wait for it */
	if (kube_do(kc, &req, &resp, err) == -1) {
		free(path);
		kube_response_release(&resp);
		return -1;
	}
	if (resp.status == 401 || resp.status == 403) {
		char what[256];

		snprintf(what, sizeof what, "discover %s%s%s", group ? group :
		    "", group && *group ? "/" : "", version);
		kube_status_err(resp.status, resp.body.data, resp.body.len,
		    what, kc->who, err);
		rc = -1;
	} else if (resp.status >= 200 && resp.status < 300) {
		rc = resource == NULL;
		j = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "resources")) {
			const char *n = kube_str(r, "name");

			if (resource != NULL && n != NULL && strcmp(n,
			    resource) == 0)
				rc = 1;
		}
		cJSON_Delete(j);
	}
	free(path);
	kube_response_release(&resp);
	return rc;
}

/* ---- logs ---------------------------------------------------------- */

struct kube_log_stream {
	struct kube_xfer	 x;
	struct kube_request	 req;
	struct kube_response	 resp;
	struct curl_slist	*hdrs;
	struct es_buf		 line;
	char			*path;
	size_t			 target;
	int			(*fn)(void *, size_t, const char *, size_t);
	void			*arg;
	int			 stopped;
};

/* Splits stream bytes into lines for the callback. */
static int
kube_log_sink(void *arg, const char *data, size_t len)
{
	struct kube_log_stream *s = arg;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		es_buf_add(&s->line, data + start, i - start);
		if (s->line.len > 0 && s->line.data[s->line.len - 1] == '\r')
			es_buf_truncate(&s->line, s->line.len - 1);
		if (s->fn(s->arg, s->target, s->line.data, s->line.len) ==
		    -1) {
			s->stopped = 1;
			return -1;
		}
		es_buf_reset(&s->line);
		start = i + 1;
	}
	es_buf_add(&s->line, data + start, len - start);
	return 0;
}

static char *
kube_log_path(const struct kube_log_target *t, const struct kube_log_opts *o)
{
	struct kube_ref r;
	struct es_buf b = ES_BUF_INIT;
	char *p;
	int q = 0;

	memset(&r, 0, sizeof r);
	r.version = "v1";
	r.resource = "pods";
	r.namespace = t->namespace;
	r.name = t->pod;
	r.subresource = "log";
	p = kube_path(&r);
	es_buf_adds(&b, p);
	free(p);
#define KUBE_Q (q++ ? "&" : "?")
	if (t->container != NULL) {
		es_buf_addf(&b, "%scontainer=", KUBE_Q);
		kube_buf_add_escaped(&b, t->container);
	}
	if (o != NULL && o->follow)
		es_buf_addf(&b, "%sfollow=true", KUBE_Q);
	if (o != NULL && o->since_seconds > 0)
		es_buf_addf(&b, "%ssinceSeconds=%ld", KUBE_Q, o->since_seconds);
	if (o != NULL && o->since_time != NULL) {
		es_buf_addf(&b, "%ssinceTime=", KUBE_Q);
		kube_buf_add_escaped(&b, o->since_time);
	}
	if (o != NULL && o->tail_set && o->tail_lines >= 0)
		es_buf_addf(&b, "%stailLines=%ld", KUBE_Q, o->tail_lines);
	if (o != NULL && o->timestamps)
		es_buf_addf(&b, "%stimestamps=true", KUBE_Q);
	if (o != NULL && o->previous)
		es_buf_addf(&b, "%sprevious=true", KUBE_Q);
#undef KUBE_Q
	return es_buf_detach(&b, NULL);
}

static void
kube_log_what(struct es_buf *b, const struct kube_log_target *t)
{
	es_buf_addf(b, "logs of pod '%s'", t->pod);
	if (t->container != NULL)
		es_buf_addf(b, " container '%s'", t->container);
	es_buf_addf(b, " in namespace '%s'", t->namespace);
}

int
kube_logs(struct kube_client *kc, const struct kube_log_target *t, size_t n,
    const struct kube_log_opts *o,
    int (*fn)(void *, size_t, const char *, size_t), void *arg,
    struct es_err *err)
{
	struct kube_log_stream *s;
	struct es_buf what = ES_BUF_INIT;
	CURLM *m = NULL;
	CURLMsg *msg;
	size_t i;
	int running, left, rc = -1, failed = 0;

	s = xcalloc(n + 1, sizeof *s);
	for (i = 0; i < n; i++) {
		s[i].path = kube_log_path(&t[i], o);
		s[i].target = i;
		s[i].fn = fn;
		s[i].arg = arg;
		es_buf_init(&s[i].line);
		es_buf_init(&s[i].resp.body);
		s[i].req.method = "GET";
		s[i].req.path = s[i].path;
		s[i].req.accept = "application/json, */*";
		s[i].req.sink = kube_log_sink;
		s[i].req.sink_arg = &s[i];
		s[i].req.stream = o != NULL && o->follow;
	}
	if (o == NULL || !o->follow) {
		/* one after another, with the usual retries */
		for (i = 0; i < n; i++) {
			if (kube_do(kc, &s[i].req, &s[i].resp, err) == -1)
				goto out;
			if (s[i].stopped)
				break;
			if (s[i].resp.status < 200 ||
			    s[i].resp.status >= 300) {
				kube_log_what(&what, &t[i]);
				kube_status_err(s[i].resp.status,
				    s[i].resp.body.data, s[i].resp.body.len,
				    what.data, kc->who, err);
				goto out;
			}
			if (s[i].line.len > 0 && fn(arg, i, s[i].line.data,
			    s[i].line.len) == -1)
				break;
		}
		rc = 0;
		goto out;
	}

	/* follow: every stream at once on a multi handle */
	if ((m = curl_multi_init()) == NULL)
		fatal("curl_multi_init failed");
	for (i = 0; i < n; i++) {
		s[i].x.kc = kc;
		s[i].x.req = &s[i].req;
		s[i].x.resp = &s[i].resp;
		s[i].x.max = KUBE_MAX_BODY;
		if ((s[i].x.h = curl_easy_init()) == NULL)
			fatal("curl_easy_init failed");
		if (kube_setup(kc, s[i].x.h, &s[i].req, &s[i].x, &s[i].hdrs,
		    err) == -1)
			goto out;
		curl_easy_setopt(s[i].x.h, CURLOPT_PRIVATE, &s[i]);
		curl_multi_add_handle(m, s[i].x.h);
	}
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct kube_log_stream *st;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&st);
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &code);
			if (st->stopped) {
				running = 0;
				break;
			}
			if (msg->data.result != CURLE_OK && !failed) {
				failed = 1;
				es_err_set(err, ES_EREMOTE, "ConnectionFailed",
				    "logs of pod '%s' from %s: %s",
				    t[st->target].pod, kc->server,
				    curl_easy_strerror(msg->data.result));
			} else if ((code < 200 || code >= 300) && !failed) {
				failed = 1;
				es_buf_reset(&what);
				kube_log_what(&what, &t[st->target]);
				kube_status_err(code, st->resp.body.data,
				    st->resp.body.len, what.data, kc->server,
				    err);
			} else if (st->line.len > 0 && fn(arg, st->target,
			    st->line.data, st->line.len) == -1)
				running = 0;
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) !=
		    CURLM_OK)
			break;
	} while (running > 0);
	rc = failed ? -1 : 0;
out:
	for (i = 0; i < n; i++) {
		if (s[i].x.h != NULL) {
			if (m != NULL)
				curl_multi_remove_handle(m, s[i].x.h);
			curl_easy_cleanup(s[i].x.h);
		}
		curl_slist_free_all(s[i].hdrs);
		kube_response_release(&s[i].resp);
		es_buf_release(&s[i].line);
		free(s[i].path);
	}
	if (m != NULL)
		curl_multi_cleanup(m);
	free(s);
	es_buf_release(&what);
	return rc;
}

/* ---- waiting ------------------------------------------------------- */

int
kube_pods_unschedulable(struct kube_client *kc, const char *ns,
    const char *selector, char **why, struct es_err *err)
{
	struct kube_ref ref;
	struct kube_list_opts lo;
	const cJSON *pod, *c;
	cJSON *list = NULL;

	*why = NULL;
	if (kube_ref_init(&ref, "pods", ns, NULL, err) == -1)
		return -1;
	memset(&lo, 0, sizeof lo);
	lo.label_selector = selector;
	if (kube_list(kc, &ref, &lo, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(pod, cJSON_GetObjectItem(list, "items")) {
		cJSON_ArrayForEach(c, kube_item(pod, "status.conditions")) {
			if (kube_str(c, "type") == NULL || strcmp(kube_str(c,
			    "type"), "PodScheduled") != 0 ||
			    kube_str(c, "status") == NULL ||
			    strcmp(kube_str(c, "status"), "False") != 0 ||
			    kube_str(c, "reason") == NULL ||
			    strcmp(kube_str(c, "reason"), "Unschedulable") != 0)
				continue;
			*why = xasprintf("pod %s cannot be scheduled: %s",
			    kube_str(pod, "metadata.name"), kube_str(c,
			    "message") ? kube_str(c, "message") :
			    "Unschedulable");
			break;
		}
		if (*why != NULL)
			break;
	}
	cJSON_Delete(list);
	return 0;
}

int
kube_wait(struct kube_client *kc, const struct kube_ref *ref,
    const struct kube_wait *w, cJSON **last, struct es_err *err)
{
	struct es_buf status = ES_BUF_INIT, line = ES_BUF_INIT;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *obj = NULL;
	long start = (long)util_mono_ms(), timeout, poll, pmax, left;
	int done, rc = -1;

	if (last != NULL)
		*last = NULL;
	timeout = w->timeout_ms > 0 ? w->timeout_ms : 600000;
	poll = w->poll_ms > 0 ? w->poll_ms : 250;
	pmax = w->poll_max_ms > 0 ? w->poll_max_ms : 2000;
	for (;;) {
		cJSON_Delete(obj);
		obj = NULL;
		es_err_clear(&e2);
		if (kube_get(kc, ref, &obj, &e2) == -1) {
			obj = NULL;
			if (e2.code != ES_ENOTFOUND && e2.code != ES_EREMOTE) {
				*err = e2;
				goto out;
			}
		}
		es_buf_reset(&status);
		if (e2.code == ES_EREMOTE) {
			/* keep waiting through a passing outage */
			es_buf_adds(&status, e2.msg);
			done = 0;
		} else if ((done = w->cond(w->arg, obj, &status, err)) == -1)
			goto out;
		if (w->progress != NULL) {
			es_buf_reset(&line);
			es_buf_addf(&line, "%s/%s: %s (%lds)", ref->resource,
			    ref->name ? ref->name : "", status.len ?
			    status.data : "waiting",
			    ((long)util_mono_ms() - start) / 1000);
			w->progress(w->progress_arg, line.data);
		}
		if (done == 1)
			break;
		left = timeout - ((long)util_mono_ms() - start);
		if (left <= 0) {
			es_err_set(err, ES_EREMOTE, "Timeout", "timed out "
			    "after %lds waiting for %s '%s'%s%s%s: %s",
			    timeout / 1000,
			    ref->resource, ref->name ? ref->name : "",
			    ref->namespace ? " in namespace '" : "",
			    ref->namespace ? ref->namespace : "",
			    ref->namespace ? "'" : "", status.len ?
			    status.data : "not ready");
			goto out;
		}
		util_sleep_ms(poll < left ? poll : left);
		poll = poll * 3 / 2;
		if (poll > pmax)
			poll = pmax;
	}
	rc = 0;
	if (last != NULL) {
		*last = obj;
		obj = NULL;
	}
out:
	cJSON_Delete(obj);
	es_buf_release(&status);
	es_buf_release(&line);
	return rc;
}

int
kube_cond_rollout(void *arg, const cJSON *o, struct es_buf *st,
    struct es_err *err)
{
	const char *kind = kube_str(o, "kind"), *strategy;
	double want, ready, updated, avail, gen, obs, total;

	(void)arg;
	if (o == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "the object "
		    "was deleted while waiting for its rollout");
	want = kube_num(o, "spec.replicas", 1);
	ready = kube_num(o, "status.readyReplicas", 0);
	updated = kube_num(o, "status.updatedReplicas", 0);
	avail = kube_num(o, "status.availableReplicas", ready);
	total = kube_num(o, "status.replicas", 0);
	gen = kube_num(o, "metadata.generation", 0);
	obs = kube_num(o, "status.observedGeneration", 0);
	es_buf_addf(st, "%.0f/%.0f ready", ready, want);
	if (obs < gen) {
		es_buf_adds(st, ", waiting for the controller");
		return 0;
	}
	if (kind != NULL && strcmp(kind, "StatefulSet") == 0) {
		strategy = kube_str(o, "spec.updateStrategy.type");
		if (strategy != NULL && strcmp(strategy, "OnDelete") == 0)
			return ready >= want && total == want;
		if (kube_str(o, "status.updateRevision") != NULL &&
		    kube_str(o, "status.currentRevision") != NULL &&
		    strcmp(kube_str(o, "status.updateRevision"),
		    kube_str(o, "status.currentRevision")) != 0) {
			es_buf_addf(st, ", %.0f updated", updated);
			return 0;
		}
		return ready >= want && total == want;
	}
	if (updated < want || total > updated) {
		es_buf_addf(st, ", %.0f updated", updated);
		return 0;
	}
	return ready >= want && avail >= want;
}

int
kube_cond_ready(void *arg, const cJSON *o, struct es_buf *st,
    struct es_err *err)
{
	const char *r;
	char ps[64];

	(void)arg;
	if (o == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "the object "
		    "was deleted while waiting for it to be ready");
	r = kube_condition(o, "Ready");
	if (kube_str(o, "kind") != NULL && strcmp(kube_str(o, "kind"),
	    "Pod") == 0) {
		kube_pod_status(o, ps, sizeof ps);
		es_buf_adds(st, ps);
	} else
		es_buf_addf(st, "Ready=%s", r ? r : "Unknown");
	return r != NULL && strcmp(r, "True") == 0;
}

int
kube_cond_bound(void *arg, const cJSON *o, struct es_buf *st,
    struct es_err *err)
{
	const char *phase, *want = arg, *cap;
	int64_t w, c;
	struct es_err e2 = ES_ERR_INIT;

	if (o == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "the claim "
		    "was deleted while waiting for it to be bound");
	phase = kube_str(o, "status.phase");
	cap = kube_str(o, "status.capacity.storage");
	es_buf_addf(st, "%s%s%s", phase ? phase : "Pending", cap ? ", " : "",
	    cap ? cap : "");
	if (phase == NULL || strcmp(phase, "Bound") != 0)
		return 0;
	if (want == NULL)
		return 1;
	if (cap == NULL || quantity_parse(want, "size", 0, &w, &e2) == -1 ||
	    quantity_parse(cap, "capacity", 0, &c, &e2) == -1)
		return 0;
	return c >= w;
}

int
kube_cond_gone(void *arg, const cJSON *o, struct es_buf *st,
    struct es_err *err)
{
	const char *phase;

	(void)arg;
	(void)err;
	if (o == NULL)
		return 1;
	phase = kube_str(o, "status.phase");
	es_buf_adds(st, kube_item(o, "metadata.deletionTimestamp") != NULL ?
	    "Terminating" : phase ? phase : "exists");
	return 0;
}

/* ---- pods ---------------------------------------------------------- */

void
kube_pod_ready(const cJSON *pod, int *ready, int *total)
{
	const cJSON *c;

	*ready = *total = 0;
	cJSON_ArrayForEach(c, kube_item(pod, "spec.containers"))
		(*total)++;
	cJSON_ArrayForEach(c, kube_item(pod, "status.containerStatuses"))
		if (cJSON_IsTrue(cJSON_GetObjectItem(c, "ready")))
			(*ready)++;
}

void
kube_pod_status(const cJSON *pod, char *buf, size_t len)
{
	const cJSON *c;
	const char *reason, *r;
	int i = 0, ninit = 0, running = 0;

	reason = kube_str(pod, "status.reason");
	if (reason == NULL)
		reason = kube_str(pod, "status.phase");
	if (reason == NULL)
		reason = "Pending";
	snprintf(buf, len, "%s", reason);
	cJSON_ArrayForEach(c, kube_item(pod, "spec.initContainers"))
		ninit++;
	cJSON_ArrayForEach(c, kube_item(pod, "status.initContainerStatuses")) {
		const cJSON *term = kube_item(c, "state.terminated");

		if (term != NULL && kube_num(term, "exitCode", 0) == 0) {
			i++;
			continue;
		}
		if (term != NULL) {
			r = kube_str(term, "reason");
			snprintf(buf, len, "Init:%s", r ? r : "Error");
		} else if ((r = kube_str(c, "state.waiting.reason")) != NULL &&
		    strcmp(r, "PodInitializing") != 0)
			snprintf(buf, len, "Init:%s", r);
		else
			snprintf(buf, len, "Init:%d/%d", i, ninit);
		goto done;
	}
	cJSON_ArrayForEach(c, kube_item(pod, "status.containerStatuses")) {
		if ((r = kube_str(c, "state.waiting.reason")) != NULL &&
		    *r != '\0')
			snprintf(buf, len, "%s", r);
		else if (kube_item(c, "state.terminated") != NULL) {
			r = kube_str(c, "state.terminated.reason");
			if (r != NULL)
				snprintf(buf, len, "%s", r);
			else
				snprintf(buf, len, "ExitCode:%.0f", kube_num(c,
				    "state.terminated.exitCode", 0));
		} else if (kube_item(c, "state.running") != NULL &&
		    cJSON_IsTrue(cJSON_GetObjectItem(c, "ready")))
			running = 1;
	}
	if (strcmp(buf, "Completed") == 0 && running)
		snprintf(buf, len, "Running");
done:
	if (kube_item(pod, "metadata.deletionTimestamp") != NULL) {
		if (reason != NULL && strcmp(reason, "NodeLost") == 0)
			snprintf(buf, len, "Unknown");
		else
			snprintf(buf, len, "Terminating");
	}
}
