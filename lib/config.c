/*
 * config.c - the YAML configuration file and its key table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "quantity.h"
#include "util.h"

struct config {
	char		*file;		/* NULL when nothing was read */
	struct doc_node	*root;		/* DOC_MAP or NULL */
};

/*
 * The known keys.  Sections are listed before their keys.  Add a row when
 * a capability grows a setting, and document it in man/esctl.yaml.5.
 */
const struct config_key config_keys[] = {
	{ "identity", CONFIG_SECTION, NULL,
	    "tenant scope for every command" },
	{ "identity.user", CONFIG_STRING, NULL, "act as this user" },
	{ "identity.org", CONFIG_STRING, NULL, "act as this tenant org" },
	{ "output", CONFIG_ENUM, "table wide json yaml name",
	    "default output format" },
	{ "color", CONFIG_ENUM, "auto always never", "colour output" },
	{ "data_dir", CONFIG_STRING, NULL, "data directory" },
	{ "db", CONFIG_STRING, NULL, "SQLite database path" },
	{ "kube", CONFIG_SECTION, NULL, "Kubernetes access" },
	{ "kube.kubeconfig", CONFIG_STRING, NULL, "kubeconfig path(s)" },
	{ "kube.context", CONFIG_STRING, NULL, "kubeconfig context" },
	{ "kube.request_timeout", CONFIG_DURATION, NULL,
	    "timeout of one API request" },
	{ "kube.connect_timeout", CONFIG_DURATION, NULL,
	    "timeout of connecting to an API server" },
	{ "kube.retry_base", CONFIG_DURATION, NULL,
	    "first backoff between retries (doubles each time)" },
	{ "kube.retry_max_time", CONFIG_DURATION, NULL,
	    "total time one request may spend retrying" },
	{ "kube.retries", CONFIG_INT, NULL,
	    "retries of one failed idempotent request" },
	{ "report", CONFIG_SECTION, NULL, "deployment report service" },
	{ "report.url", CONFIG_STRING, NULL, "URL reports are POSTed to" },
	{ "report.timeout", CONFIG_DURATION, NULL, "timeout of one POST" },
	{ "report.token", CONFIG_STRING, NULL, "bearer token for the POST" },
	{ "gitlab", CONFIG_SECTION, NULL, "GitLab configuration repository" },
	{ "gitlab.url", CONFIG_STRING, NULL, "repository URL[#ref]" },
	{ "gitlab.ref", CONFIG_STRING, NULL, "branch, tag or commit" },
	{ "gitlab.path", CONFIG_STRING, NULL, "directory inside the repo" },
	{ "gitlab.token", CONFIG_STRING, NULL, "access token" },
	{ "gitlab.token_file", CONFIG_STRING, NULL, "file holding the token" },
	{ "gitlab.username", CONFIG_STRING, NULL, "user for token auth" },
	{ "gitlab.ca_file", CONFIG_STRING, NULL, "CA bundle for TLS" },
	{ "gitlab.insecure_skip_tls_verify", CONFIG_BOOL, NULL,
	    "do not verify the server certificate" },
	{ "cluster", CONFIG_SECTION, NULL, "ES service defaults" },
	{ "cluster.image", CONFIG_STRING, NULL, "Elasticsearch image" },
	{ "cluster.kibana_image", CONFIG_STRING, NULL, "Kibana image" },
	{ "cluster.storage_class", CONFIG_STRING, NULL,
	    "storage class of the data volumes" },
	{ "cluster.timeout", CONFIG_DURATION, NULL,
	    "how long cluster create waits for the rollout" },
	{ "cluster.kibana", CONFIG_BOOL, NULL, "deploy Kibana (default true)" },
	{ "strategy", CONFIG_SECTION, NULL, "the strategy evaluation engine" },
	{ "strategy.max_snapshot_gap", CONFIG_DURATION, NULL,
	    "longest gap between snapshots that still covers a window" },
	{ "strategy.lock_timeout", CONFIG_DURATION, NULL,
	    "how long a check waits for a running one" },
	{ "strategy.history_retention", CONFIG_DURATION, NULL,
	    "age at which skipped and failed_check history is deleted" },
	{ "snapshot", CONFIG_SECTION, NULL, "resource snapshots" },
	{ "snapshot.prometheus", CONFIG_SECTION, NULL,
	    "usage from a cluster's Prometheus" },
	{ "snapshot.prometheus.cpu_query", CONFIG_STRING, NULL,
	    "PromQL giving the CPU cores in use" },
	{ "snapshot.prometheus.memory_query", CONFIG_STRING, NULL,
	    "PromQL giving the memory bytes in use" },
	{ "snapshot.prometheus.timeout", CONFIG_DURATION, NULL,
	    "timeout of one Prometheus query" },
	{ "metrics", CONFIG_SECTION, NULL, "ES plugin reports and alerts" },
	{ "metrics.token", CONFIG_STRING, NULL,
	    "bearer token plugins send to metrics serve" },
	{ "metrics.listen", CONFIG_STRING, NULL,
	    "address metrics serve listens on" },
	{ "metrics.max_body", CONFIG_QUANTITY, NULL,
	    "largest report request body" },
	{ "metrics.rate", CONFIG_STRING, NULL,
	    "requests per second per client address" },
	{ "metrics.max_clock_skew", CONFIG_DURATION, NULL,
	    "how far in the future a report's timestamp may be" },
	{ "metrics.drain_timeout", CONFIG_DURATION, NULL,
	    "how long a stopping server waits for requests in flight" },
	{ "metrics.retention", CONFIG_DURATION, NULL,
	    "default age for metrics prune" },
	{ "metrics.sync", CONFIG_STRING, NULL,
	    "commit durability of metrics serve: normal or full" },
	{ "metrics.tls_cert", CONFIG_STRING, NULL,
	    "PEM certificate of metrics serve" },
	{ "metrics.tls_key", CONFIG_STRING, NULL,
	    "PEM key of metrics serve (mode 0600)" },
	{ "metrics.alerts", CONFIG_SECTION, NULL, "alert thresholds" },
	{ "metrics.alerts.cpu_usage", CONFIG_STRING, NULL,
	    "CPU % at which to alert (default 90)" },
	{ "metrics.alerts.memory_usage", CONFIG_STRING, NULL,
	    "memory % at which to alert (default 90)" },
	{ "metrics.alerts.disk_usage", CONFIG_STRING, NULL,
	    "disk % at which to alert (default 85)" },
	{ "metrics.alerts.qps", CONFIG_STRING, NULL,
	    "QPS at which to alert (default: none)" },
	{ "metrics.alerts.repeat_interval", CONFIG_DURATION, NULL,
	    "how often a firing alert is sent again (default 4h)" },
	{ "metrics.alerts.services", CONFIG_MAP, NULL,
	    "per-namespace thresholds overriding the defaults" },
	{ "monitor", CONFIG_SECTION, NULL, "live values for monitor" },
	{ "monitor.cpu_query", CONFIG_STRING, NULL,
	    "PromQL for a service's CPU % ($namespace substituted)" },
	{ "monitor.memory_query", CONFIG_STRING, NULL,
	    "PromQL for a service's memory % ($namespace substituted)" },
	{ "monitor.disk_query", CONFIG_STRING, NULL,
	    "PromQL for a service's disk % ($namespace substituted)" },
	{ "monitor.qps_query", CONFIG_STRING, NULL,
	    "PromQL for a service's QPS ($namespace substituted)" },
	{ "monitor.prometheus", CONFIG_STRING, NULL,
	    "Prometheus URL when the cluster registry has none" },
	{ "monitor.timeout", CONFIG_DURATION, NULL,
	    "timeout of one Prometheus query" },
	{ "autoscale", CONFIG_SECTION, NULL, "the autoscaler" },
	{ "autoscale.sample_window", CONFIG_DURATION, NULL,
	    "how recent a report must be to count in a sample" },
	{ "autoscale.rollout_timeout", CONFIG_DURATION, NULL,
	    "how long a scaling waits for the rollout" },
	{ "notify", CONFIG_SECTION, NULL, "notifications to the people on "
	    "duty" },
	{ "notify.channels", CONFIG_LIST, NULL,
	    "channels used: system, im, email, sms" },
	{ "notify.timeout", CONFIG_DURATION, NULL,
	    "timeout of one delivery attempt" },
	{ "notify.im", CONFIG_SECTION, NULL, "IM webhook" },
	{ "notify.im.url", CONFIG_STRING, NULL, "webhook URL (POST JSON)" },
	{ "notify.im.token", CONFIG_STRING, NULL, "bearer token" },
	{ "notify.email", CONFIG_SECTION, NULL, "e-mail over SMTP" },
	{ "notify.email.smtp_url", CONFIG_STRING, NULL,
	    "smtp://host:port or smtps://host:port" },
	{ "notify.email.from", CONFIG_STRING, NULL, "sender address" },
	{ "notify.email.username", CONFIG_STRING, NULL, "SMTP user" },
	{ "notify.email.password", CONFIG_STRING, NULL, "SMTP password" },
	{ "notify.email.tls", CONFIG_ENUM, "none starttls",
	    "require STARTTLS on smtp:// URLs" },
	{ "notify.sms", CONFIG_SECTION, NULL, "SMS gateway" },
	{ "notify.sms.url", CONFIG_STRING, NULL, "gateway URL (POST JSON)" },
	{ "notify.sms.token", CONFIG_STRING, NULL, "bearer token" },
	{ "maintenance", CONFIG_SECTION, NULL, "device maintenance callbacks" },
	{ "maintenance.callback_url", CONFIG_STRING, NULL,
	    "URL the downstream events are POSTed to" },
	{ "maintenance.secret_file", CONFIG_STRING, NULL,
	    "file holding the HMAC-SHA256 signing key" },
	{ "maintenance.timeout", CONFIG_DURATION, NULL,
	    "timeout of one callback POST" },
	{ "order", CONFIG_SECTION, NULL, "executing pool orders" },
	{ "order.require_approval", CONFIG_BOOL, NULL,
	    "execute only approved orders (default true)" },
	{ "order.min_pool_size", CONFIG_INT, NULL,
	    "in_pool devices a pool_exit leaves at least (default 1)" },
	{ "order.min_pool_size_per_cluster", CONFIG_MAP, NULL,
	    "cluster name: min_pool_size for that cluster" },
	{ "order.max_not_ready", CONFIG_INT, NULL,
	    "no pool_exit while more nodes are NotReady (default 0)" },
	{ "order.drain_timeout", CONFIG_DURATION, NULL,
	    "drain of one node at most (default 5m)" },
	{ "order.delete_emptydir_data", CONFIG_BOOL, NULL,
	    "drains evict pods with emptyDir volumes (default false)" },
	{ "order.ready_timeout", CONFIG_DURATION, NULL,
	    "pool_entry: wait for a node to be Ready (default 10m)" },
	{ "order.provision_url", CONFIG_STRING, NULL,
	    "pool_entry webhook for devices without a Node (POST JSON)" },
	{ "order.provision_token", CONFIG_STRING, NULL,
	    "bearer token for the webhook" },
	{ "order.pool_label", CONFIG_STRING, NULL,
	    "label key=value set on nodes entering a pool" },
	{ "dashboard", CONFIG_SECTION, NULL, "esctl dashboard serve" },
	{ "dashboard.listen", CONFIG_STRING, NULL, "address to listen on" },
	{ "dashboard.token", CONFIG_STRING, NULL,
	    "bearer token of the actions" },
	{ "dashboard.token_file", CONFIG_STRING, NULL,
	    "file holding the token" },
	{ "dashboard.tls_cert", CONFIG_STRING, NULL, "PEM certificate" },
	{ "dashboard.tls_key", CONFIG_STRING, NULL, "PEM key" },
	{ NULL, 0, NULL, NULL }
};

static const struct config_key *config_lookup(const char *);
static int	 config_validate(struct config *, const struct doc_node *,
		    const char *, struct es_err *);
static int	 config_typed(const struct config *, const char *, int,
		    const char *, const struct doc_node **, struct es_err *);

static const struct config_key *
config_lookup(const char *key)
{
	const struct config_key *k;

	for (k = config_keys; k->key != NULL; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

int
config_error(const struct config *cfg, const struct doc_node *n,
    struct es_err *err, const char *fmt, ...)
{
	char msg[ES_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n == NULL || n->line == 0)
		return es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s: %s",
		    cfg->file ? cfg->file : "config", msg);
	return es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s:%u:%u: %s",
	    cfg->file ? cfg->file : "config", n->line, n->col, msg);
}

/* Suggests the closest known key under the same parent. */
static const char *
config_suggest(const char *full)
{
	const struct config_key *k, *best = NULL;
	int d, bestd = 3;

	for (k = config_keys; k->key != NULL; k++) {
		d = util_edit_distance(full, k->key);
		if (d < bestd) {
			bestd = d;
			best = k;
		}
	}
	return best ? best->key : NULL;
}

static int
config_validate(struct config *cfg, const struct doc_node *map,
    const char *prefix, struct es_err *err)
{
	const struct doc_node *c;
	const struct config_key *k;
	char full[256];
	const char *hint, *s;
	long long ll;
	int64_t q;
	struct es_err e2 = ES_ERR_INIT;

	for (c = map->child; c != NULL; c = c->next) {
		snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." :
		    "", c->key);
		if ((k = config_lookup(full)) == NULL) {
			struct doc_node pos = *c;

			pos.line = c->key_line;
			pos.col = c->key_col;
			hint = config_suggest(full);
			if (hint != NULL)
				return config_error(cfg, &pos, err, "unknown "
				    "key '%s' (did you mean '%s'?)", full,
				    hint);
			return config_error(cfg, &pos, err, "unknown key '%s'",
			    full);
		}
		if (c->type == DOC_NULL)
			continue;
		s = doc_scalar(c);
		switch (k->type) {
		case CONFIG_SECTION:
			if (c->type != DOC_MAP)
				return config_error(cfg, c, err, "'%s' must be "
				    "a mapping, not a %s", full,
				    doc_type_name(c->type));
			if (config_validate(cfg, c, full, err) == -1)
				return -1;
			break;
		case CONFIG_MAP:
			if (c->type != DOC_MAP)
				return config_error(cfg, c, err, "'%s' must be "
				    "a mapping, not a %s", full,
				    doc_type_name(c->type));
			break;
		case CONFIG_LIST:
			if (c->type != DOC_SEQ)
				return config_error(cfg, c, err, "'%s' must be "
				    "a list, not a %s", full,
				    doc_type_name(c->type));
			break;
		case CONFIG_STRING:
			if (s == NULL)
				return config_error(cfg, c, err, "'%s' must be "
				    "a string, not a %s", full,
				    doc_type_name(c->type));
			break;
		case CONFIG_INT:
			if (c->type != DOC_INT)
				return config_error(cfg, c, err, "'%s' must be "
				    "an integer, not '%s'", full, s ? s :
				    doc_type_name(c->type));
			break;
		case CONFIG_BOOL:
			if (c->type != DOC_BOOL)
				return config_error(cfg, c, err, "'%s' must be "
				    "true or false, not '%s'", full, s ? s :
				    doc_type_name(c->type));
			break;
		case CONFIG_DURATION:
			if (s == NULL || util_parse_duration(s, full, &ll,
			    &e2) == -1)
				return config_error(cfg, c, err, "'%s' must be "
				    "a duration such as 30s or 10m, not '%s'",
				    full, s ? s : doc_type_name(c->type));
			break;
		case CONFIG_QUANTITY:
			if (s == NULL || quantity_parse(s, full, 0, &q,
			    &e2) == -1)
				return config_error(cfg, c, err, "'%s' must be "
				    "a quantity such as 500m or 2Gi, not '%s'",
				    full, s ? s : doc_type_name(c->type));
			break;
		case CONFIG_ENUM: {
			const char *v = k->values, *e;
			size_t len;
			int ok = 0;

			while (s != NULL && *v != '\0') {
				e = strchr(v, ' ');
				len = e ? (size_t)(e - v) : strlen(v);
				if (strlen(s) == len && strncmp(s, v, len) == 0)
					ok = 1;
				v += len;
				while (*v == ' ')
					v++;
			}
			if (!ok)
				return config_error(cfg, c, err, "'%s' must be "
				    "one of: %s; not '%s'", full, k->values,
				    s ? s : doc_type_name(c->type));
			break;
		}
		}
	}
	return 0;
}

int
config_parse(const char *buf, size_t len, const char *name,
    struct config **out, struct es_err *err)
{
	struct config *cfg;
	struct doc_node *root;

	*out = NULL;
	if (doc_parse(buf, len, name, &root, err) == -1) {
		err->code = ES_EUSAGE;
		snprintf(err->reason, sizeof err->reason, "InvalidConfig");
		return -1;
	}
	cfg = xcalloc(1, sizeof *cfg);
	cfg->file = xstrdup(name);
	if (root->type == DOC_NULL) {
		doc_free(root);
		root = NULL;
	} else if (root->type != DOC_MAP) {
		config_error(cfg, root, err, "the configuration must be a "
		    "mapping of keys, not a %s", doc_type_name(root->type));
		doc_free(root);
		config_free(cfg);
		return -1;
	}
	cfg->root = root;
	if (root != NULL && config_validate(cfg, root, "", err) == -1) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int
config_load(const char *path, int must_exist, struct config **out,
    struct es_err *err)
{
	char why[64];
	struct es_buf b = ES_BUF_INIT;
	int rc, e;

	*out = NULL;
	if (path == NULL) {
		*out = xcalloc(1, sizeof **out);
		return 0;
	}
	if (es_buf_read_file_max(&b, path, UTIL_MAX_TEXT_FILE) == -1) {
		e = errno;
		es_buf_release(&b);
		if (e == ENOENT && !must_exist) {
			*out = xcalloc(1, sizeof **out);
			return 0;
		}
		return es_err_set(err, e == ENOENT ? ES_ENOTFOUND : e == EFBIG ?
		    ES_EUSAGE : ES_EFAIL, NULL, "cannot read config '%s': %s",
		    path, util_read_strerror(e, UTIL_MAX_TEXT_FILE, why,
		    sizeof why));
	}
	rc = config_parse(b.data, b.len, path, out, err);
	es_buf_release(&b);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	doc_free(cfg->root);
	free(cfg->file);
	free(cfg);
}

const char *
config_file(const struct config *cfg)
{
	return cfg->file;
}

const struct doc_node *
config_node(const struct config *cfg, const char *key)
{
	if (cfg == NULL || cfg->root == NULL)
		return NULL;
	return doc_path(cfg->root, key);
}

const char *
config_get(const struct config *cfg, const char *key)
{
	return doc_scalar(config_node(cfg, key));
}

/*
 * The node of key, or NULL when key is unset or null (the caller's
 * default); one that is not of type t (-1: any scalar) is an error
 * saying it must be `must`.
 */
static int
config_typed(const struct config *cfg, const char *key, int t,
    const char *must, const struct doc_node **np, struct es_err *err)
{
	const struct doc_node *n = config_node(cfg, key);

	*np = NULL;
	if (n == NULL || n->type == DOC_NULL)
		return 0;
	if (t == -1 ? doc_scalar(n) == NULL : (int)n->type != t)
		return config_error(cfg, n, err, "'%s' must be %s", key, must);
	*np = n;
	return 0;
}

int
config_get_int(const struct config *cfg, const char *key, long long def,
    long long *out, struct es_err *err)
{
	const struct doc_node *n;

	if (config_typed(cfg, key, DOC_INT, "an integer", &n, err) == -1)
		return -1;
	*out = n != NULL ? n->integer : def;
	return 0;
}

int
config_get_bool(const struct config *cfg, const char *key, int def,
    int *out, struct es_err *err)
{
	const struct doc_node *n;

	if (config_typed(cfg, key, DOC_BOOL, "true or false", &n,
	    err) == -1)
		return -1;
	*out = n != NULL ? n->boolean : def;
	return 0;
}

int
config_get_duration_ms(const struct config *cfg, const char *key,
    long long def, long long *out, struct es_err *err)
{
	static const char must[] = "a duration such as 30s or 10m";
	const struct doc_node *n;
	struct es_err e2 = ES_ERR_INIT;

	if (config_typed(cfg, key, -1, must, &n, err) == -1)
		return -1;
	*out = def;
	if (n != NULL && util_parse_duration_ms(doc_scalar(n), key, out,
	    &e2) == -1)
		return config_error(cfg, n, err, "'%s' must be %s", key, must);
	return 0;
}

int
config_get_duration(const struct config *cfg, const char *key,
    long long def, long long *out, struct es_err *err)
{
	long long ms;

	if (config_get_duration_ms(cfg, key, def * 1000, &ms, err) == -1)
		return -1;
	*out = (ms + 999) / 1000;
	return 0;
}
