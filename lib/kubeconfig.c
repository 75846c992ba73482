/*
 * kubeconfig.c - kubeconfig loading, merging and credential resolution.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base64.h"
#include "buf.h"
#include "doc.h"
#include "kubeconfig.h"
#include "util.h"

extern char **environ;

#define KC_EXEC_V1	"client.authentication.k8s.io/v1"
#define KC_EXEC_V1BETA1	"client.authentication.k8s.io/v1beta1"
#define KC_EXEC_MAX_OUT	(1024 * 1024)
#define KC_EXEC_SLACK	10	/* refresh exec credentials this early (s) */

struct kc_cluster {
	char	*name;
	char	*origin;	/* file that defined it */
	char	*server;
	char	*ca_file;
	char	*ca_data;
	size_t	 ca_len;
	int	 insecure;
	char	*server_name;
	char	*proxy_url;
};

struct kc_exec {
	char	*api_version;
	char	*command;
	char	**args;		/* NULL-terminated */
	char	**env;		/* "NAME=value", NULL-terminated */
	char	*install_hint;
	char	*interactive;
	int	 provide_cluster_info;
};

struct kc_user {
	char		*name;
	char		*origin;
	char		*cert_file;
	char		*key_file;
	char		*cert_data;
	size_t		 cert_len;
	char		*key_data;
	size_t		 key_len;
	char		*token;
	char		*token_file;
	char		*username;
	char		*password;
	char		*as;
	char		**as_groups;	/* NULL-terminated or NULL */
	char		*auth_provider;
	int		 has_exec;
	struct kc_exec	 exec;
};

struct kc_context {
	char	*name;
	char	*origin;
	char	*cluster;
	char	*user;
	char	*namespace;
};

struct kube_config {
	char			*source;
	int			 from_files;	/* origins are real files */
	struct kc_cluster	*clusters;
	size_t			 nclusters;
	struct kc_user		*users;
	size_t			 nusers;
	struct kc_context	*contexts;
	size_t			 ncontexts;
	char			*current;

	/* the selected context */
	size_t			 ctx;
	size_t			 cluster;
	size_t			 user;		/* nusers: none (anonymous) */
	char			*namespace;

	/* credential cache */
	char			*file_token;
	char			*exec_token;
	char			*exec_cert;
	size_t			 exec_cert_len;
	char			*exec_key;
	size_t			 exec_key_len;
	time_t			 exec_expires;
	int			 exec_valid;
};

static int	 kc_merge_doc(struct kube_config *, const struct doc_node *,
		    const char *, const char *, struct es_err *);
static int	 kc_select(struct kube_config *, const char *,
		    struct es_err *);
static char	*kc_path(const char *, const char *);
static int	 kc_b64(const struct doc_node *, const char *, char **,
		    size_t *, struct es_err *);
static int	 kc_str(const struct doc_node *, const char *, const char *,
		    char **, struct es_err *);
static int	 kc_bool(const struct doc_node *, const char *, const char *,
		    int *, struct es_err *);
static int	 kc_strlist(const struct doc_node *, const char *,
		    const char *, char ***, struct es_err *);
static int	 kc_run_exec(struct kube_config *, time_t, long,
		    const struct es_log *, struct es_err *);
static void	 kc_free_list(char **);
static char	**kc_dup_list(char *const *);
static char	*kc_dup(const char *);
static char	*kc_dupn(const char *, size_t);
static int	 kc_err(const char *, const struct doc_node *, struct es_err *,
		    const char *, ...) ES_PRINTF(4, 5);

/* Error at a node's position: "file:line:col: msg" (ES_EUSAGE). */
static int
kc_err(const char *name, const struct doc_node *n, struct es_err *err,
    const char *fmt, ...)
{
	char msg[ES_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n == NULL || n->line == 0)
		return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
		    "%s: %s", name, msg);
	return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig", "%s:%u:%u: %s",
	    name, n->key_line ? n->key_line : n->line, n->key_line ?
	    n->key_col : n->col, msg);
}

static char *
kc_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static char *
kc_dupn(const char *s, size_t n)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void
kc_free_list(char **l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

static char **
kc_dup_list(char *const *l)
{
	char **d;
	size_t n, i;

	if (l == NULL)
		return NULL;
	for (n = 0; l[n] != NULL; n++)
		;
	d = xcalloc(n + 1, sizeof *d);
	for (i = 0; i < n; i++)
		d[i] = xstrdup(l[i]);
	return d;
}

/* Secrets are overwritten before they are freed. */
static void
kc_free_secret(char *s, size_t len)
{
	if (s == NULL)
		return;
	if (len == 0)
		len = strlen(s);
	explicit_bzero(s, len);
	free(s);
}

/* A relative path resolved against the directory of origin. */
static char *
kc_path(const char *origin, const char *path)
{
	char *dir, *p;

	if (path == NULL || *path == '\0' || path[0] == '/' ||
	    origin == NULL || strchr(origin, '/') == NULL)
		return kc_dup(path);
	dir = util_dirname(origin);
	p = util_path_join(dir, path);
	free(dir);
	return p;
}

/* Optional string member; a non-scalar is an error. */
static int
kc_str(const struct doc_node *map, const char *key, const char *name,
    char **out, struct es_err *err)
{
	const struct doc_node *n = doc_get(map, key);

	*out = NULL;
	if (n == NULL || n->type == DOC_NULL)
		return 0;
	if (n->type == DOC_SEQ || n->type == DOC_MAP)
		return kc_err(name, n, err, "'%s' must be a string, not a %s",
		    key, doc_type_name(n->type));
	*out = xstrdup(n->str);
	return 0;
}

static int
kc_bool(const struct doc_node *map, const char *key, const char *name,
    int *out, struct es_err *err)
{
	const struct doc_node *n = doc_get(map, key);

	*out = 0;
	if (n == NULL || n->type == DOC_NULL)
		return 0;
	if (n->type == DOC_BOOL) {
		*out = n->boolean;
		return 0;
	}
	if (n->type == DOC_STRING && (strcmp(n->str, "true") == 0 ||
	    strcmp(n->str, "false") == 0)) {
		*out = strcmp(n->str, "true") == 0;
		return 0;
	}
	return kc_err(name, n, err, "'%s' must be true or false", key);
}

/* Optional list of strings. */
static int
kc_strlist(const struct doc_node *map, const char *key, const char *name,
    char ***out, struct es_err *err)
{
	const struct doc_node *n = doc_get(map, key), *c;
	char **l;
	size_t i = 0;

	*out = NULL;
	if (n == NULL || n->type == DOC_NULL)
		return 0;
	if (n->type != DOC_SEQ)
		return kc_err(name, n, err, "'%s' must be a list", key);
	l = xcalloc(n->nchild + 1, sizeof *l);
	for (c = n->child; c != NULL; c = c->next) {
		if (c->type == DOC_SEQ || c->type == DOC_MAP ||
		    c->type == DOC_NULL) {
			kc_free_list(l);
			return kc_err(name, c, err, "'%s' must be a list of "
			    "strings", key);
		}
		l[i++] = xstrdup(c->str);
	}
	*out = l;
	return 0;
}

/*
 * Decodes a base64 member (standard or URL alphabet, padding optional,
 * whitespace ignored) into new bytes, NUL-terminated.
 */
static int
kc_b64(const struct doc_node *map, const char *key, char **out, size_t *len,
    struct es_err *err)
{
	const struct doc_node *n = doc_get(map, key);

	(void)err;
	*out = NULL;
	*len = 0;
	if (n == NULL || n->type == DOC_NULL)
		return 0;
	if (n->type == DOC_SEQ || n->type == DOC_MAP)
		return -2;
	return base64_decode(n->str, out, len) == -1 ? -2 : 0;
}

/* kc_b64 with the error message. */
static int
kc_b64m(const char *name, const struct doc_node *map, const char *key,
    char **out, size_t *len, struct es_err *err)
{
	if (kc_b64(map, key, out, len, err) == -2)
		return kc_err(name, doc_get(map, key), err, "'%s' is not valid "
		    "base64", key);
	return 0;
}

static void
kc_cluster_release(struct kc_cluster *c)
{
	free(c->name);
	free(c->origin);
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->server_name);
	free(c->proxy_url);
}

static void
kc_user_release(struct kc_user *u)
{
	free(u->name);
	free(u->origin);
	free(u->cert_file);
	free(u->key_file);
	free(u->cert_data);
	kc_free_secret(u->key_data, u->key_len);
	kc_free_secret(u->token, 0);
	free(u->token_file);
	free(u->username);
	kc_free_secret(u->password, 0);
	free(u->as);
	kc_free_list(u->as_groups);
	free(u->auth_provider);
	free(u->exec.api_version);
	free(u->exec.command);
	kc_free_list(u->exec.args);
	kc_free_list(u->exec.env);
	free(u->exec.install_hint);
	free(u->exec.interactive);
}

static void
kc_context_release(struct kc_context *c)
{
	free(c->name);
	free(c->origin);
	free(c->cluster);
	free(c->user);
	free(c->namespace);
}

static void
kc_cache_clear(struct kube_config *kc)
{
	kc_free_secret(kc->file_token, 0);
	kc_free_secret(kc->exec_token, 0);
	free(kc->exec_cert);
	kc_free_secret(kc->exec_key, kc->exec_key_len);
	kc->file_token = kc->exec_token = kc->exec_cert = kc->exec_key = NULL;
	kc->exec_cert_len = kc->exec_key_len = 0;
	kc->exec_expires = 0;
	kc->exec_valid = 0;
}

void
kube_config_free(struct kube_config *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; i < kc->nclusters; i++)
		kc_cluster_release(&kc->clusters[i]);
	for (i = 0; i < kc->nusers; i++)
		kc_user_release(&kc->users[i]);
	for (i = 0; i < kc->ncontexts; i++)
		kc_context_release(&kc->contexts[i]);
	free(kc->clusters);
	free(kc->users);
	free(kc->contexts);
	free(kc->current);
	free(kc->source);
	free(kc->namespace);
	kc_cache_clear(kc);
	free(kc);
}

struct kube_config *
kube_config_dup(const struct kube_config *kc)
{
	struct kube_config *d;
	size_t i;

	d = xcalloc(1, sizeof *d);
	d->source = kc_dup(kc->source);
	d->from_files = kc->from_files;
	d->current = kc_dup(kc->current);
	d->namespace = kc_dup(kc->namespace);
	d->ctx = kc->ctx;
	d->cluster = kc->cluster;
	d->user = kc->user;
	d->nclusters = kc->nclusters;
	d->clusters = xcalloc(kc->nclusters + 1, sizeof *d->clusters);
	for (i = 0; i < kc->nclusters; i++) {
		const struct kc_cluster *s = &kc->clusters[i];
		struct kc_cluster *c = &d->clusters[i];

		c->name = kc_dup(s->name);
		c->origin = kc_dup(s->origin);
		c->server = kc_dup(s->server);
		c->ca_file = kc_dup(s->ca_file);
		c->ca_data = kc_dupn(s->ca_data, s->ca_len);
		c->ca_len = s->ca_len;
		c->insecure = s->insecure;
		c->server_name = kc_dup(s->server_name);
		c->proxy_url = kc_dup(s->proxy_url);
	}
	d->nusers = kc->nusers;
	d->users = xcalloc(kc->nusers + 1, sizeof *d->users);
	for (i = 0; i < kc->nusers; i++) {
		const struct kc_user *s = &kc->users[i];
		struct kc_user *u = &d->users[i];

		u->name = kc_dup(s->name);
		u->origin = kc_dup(s->origin);
		u->cert_file = kc_dup(s->cert_file);
		u->key_file = kc_dup(s->key_file);
		u->cert_data = kc_dupn(s->cert_data, s->cert_len);
		u->cert_len = s->cert_len;
		u->key_data = kc_dupn(s->key_data, s->key_len);
		u->key_len = s->key_len;
		u->token = kc_dup(s->token);
		u->token_file = kc_dup(s->token_file);
		u->username = kc_dup(s->username);
		u->password = kc_dup(s->password);
		u->as = kc_dup(s->as);
		u->as_groups = kc_dup_list(s->as_groups);
		u->auth_provider = kc_dup(s->auth_provider);
		u->has_exec = s->has_exec;
		u->exec.api_version = kc_dup(s->exec.api_version);
		u->exec.command = kc_dup(s->exec.command);
		u->exec.args = kc_dup_list(s->exec.args);
		u->exec.env = kc_dup_list(s->exec.env);
		u->exec.install_hint = kc_dup(s->exec.install_hint);
		u->exec.interactive = kc_dup(s->exec.interactive);
		u->exec.provide_cluster_info = s->exec.provide_cluster_info;
	}
	d->ncontexts = kc->ncontexts;
	d->contexts = xcalloc(kc->ncontexts + 1, sizeof *d->contexts);
	for (i = 0; i < kc->ncontexts; i++) {
		const struct kc_context *s = &kc->contexts[i];
		struct kc_context *c = &d->contexts[i];

		c->name = kc_dup(s->name);
		c->origin = kc_dup(s->origin);
		c->cluster = kc_dup(s->cluster);
		c->user = kc_dup(s->user);
		c->namespace = kc_dup(s->namespace);
	}
	return d;
}

/*
 * Reads the list member key of the root: a sequence of {name, <inner>:
 * map}.  Calls back for each entry whose name is new.
 */
struct kc_entry {
	const struct doc_node	*item;
	const struct doc_node	*body;	/* the inner map, or NULL */
	const char		*name;
};

static int
kc_entries(const struct doc_node *root, const char *key, const char *inner,
    const char *name, struct kc_entry **out, size_t *nout,
    struct es_err *err)
{
	const struct doc_node *list = doc_get(root, key), *it, *nm, *body;
	struct kc_entry *e;
	size_t n = 0, i;

	*out = NULL;
	*nout = 0;
	if (list == NULL || list->type == DOC_NULL)
		return 0;
	if (list->type != DOC_SEQ)
		return kc_err(name, list, err, "'%s' must be a list", key);
	e = xcalloc(list->nchild + 1, sizeof *e);
	for (it = list->child; it != NULL; it = it->next) {
		if (it->type != DOC_MAP) {
			free(e);
			return kc_err(name, it, err, "each of '%s' must be a "
			    "mapping with 'name' and '%s'", key, inner);
		}
		nm = doc_get(it, "name");
		if (nm == NULL || doc_scalar(nm) == NULL || *nm->str == '\0') {
			free(e);
			return kc_err(name, it, err, "an entry of '%s' has no "
			    "name", key);
		}
		for (i = 0; i < n; i++)
			if (strcmp(e[i].name, nm->str) == 0) {
				free(e);
				return kc_err(name, nm, err, "duplicate name "
				    "'%s' in '%s'", nm->str, key);
			}
		body = doc_get(it, inner);
		if (body != NULL && body->type == DOC_NULL)
			body = NULL;
		if (body != NULL && body->type != DOC_MAP) {
			free(e);
			return kc_err(name, body, err, "'%s' of '%s' must be a "
			    "mapping", inner, nm->str);
		}
		e[n].item = it;
		e[n].body = body;
		e[n].name = nm->str;
		n++;
	}
	*out = e;
	*nout = n;
	return 0;
}

static int
kc_parse_cluster(struct kc_cluster *c, const struct doc_node *b,
    const char *name, struct es_err *err)
{
	char *ca;

	if (b == NULL)
		return 0;
	if (kc_str(b, "server", name, &c->server, err) == -1 ||
	    kc_str(b, "certificate-authority", name, &ca, err) == -1)
		return -1;
	c->ca_file = kc_path(c->origin, ca);
	free(ca);
	if (kc_b64m(name, b, "certificate-authority-data", &c->ca_data,
	    &c->ca_len, err) == -1 ||
	    kc_bool(b, "insecure-skip-tls-verify", name, &c->insecure,
	    err) == -1 ||
	    kc_str(b, "tls-server-name", name, &c->server_name, err) == -1 ||
	    kc_str(b, "proxy-url", name, &c->proxy_url, err) == -1)
		return -1;
	return 0;
}

static int
kc_parse_exec(struct kc_user *u, const struct doc_node *x, const char *name,
    struct es_err *err)
{
	const struct doc_node *env, *e, *en, *ev;
	char *cmd;
	size_t i = 0;

	if (x->type != DOC_MAP)
		return kc_err(name, x, err, "'exec' must be a mapping");
	u->has_exec = 1;
	if (kc_str(x, "apiVersion", name, &u->exec.api_version, err) == -1 ||
	    kc_str(x, "command", name, &cmd, err) == -1)
		return -1;
	if (cmd == NULL || *cmd == '\0') {
		free(cmd);
		return kc_err(name, x, err, "exec plugin of user '%s' has no "
		    "command", u->name);
	}
	/* a relative command with a slash is relative to the kubeconfig */
	if (strchr(cmd, '/') != NULL)
		u->exec.command = kc_path(u->origin, cmd);
	else
		u->exec.command = xstrdup(cmd);
	free(cmd);
	if (kc_strlist(x, "args", name, &u->exec.args, err) == -1 ||
	    kc_str(x, "installHint", name, &u->exec.install_hint,
	    err) == -1 ||
	    kc_str(x, "interactiveMode", name, &u->exec.interactive,
	    err) == -1 ||
	    kc_bool(x, "provideClusterInfo", name,
	    &u->exec.provide_cluster_info, err) == -1)
		return -1;
	env = doc_get(x, "env");
	if (env != NULL && env->type != DOC_NULL) {
		if (env->type != DOC_SEQ)
			return kc_err(name, env, err, "exec 'env' must be a "
			    "list of {name, value}");
		u->exec.env = xcalloc(env->nchild + 1, sizeof *u->exec.env);
		for (e = env->child; e != NULL; e = e->next) {
			en = doc_get(e, "name");
			ev = doc_get(e, "value");
			if (e->type != DOC_MAP || doc_scalar(en) == NULL ||
			    *en->str == '\0' || strchr(en->str, '=') != NULL ||
			    (ev != NULL && ev->type != DOC_NULL &&
			    doc_scalar(ev) == NULL))
				return kc_err(name, e, err, "exec 'env' must "
				    "be a list of {name, value}");
			u->exec.env[i++] = xasprintf("%s=%s", en->str,
			    doc_scalar(ev) ? ev->str : "");
		}
	}
	return 0;
}

static int
kc_parse_user(struct kc_user *u, const struct doc_node *b, const char *name,
    struct es_err *err)
{
	const struct doc_node *x;
	char *p;

	if (b == NULL)
		return 0;
	if (kc_str(b, "client-certificate", name, &p, err) == -1)
		return -1;
	u->cert_file = kc_path(u->origin, p);
	free(p);
	if (kc_str(b, "client-key", name, &p, err) == -1)
		return -1;
	u->key_file = kc_path(u->origin, p);
	free(p);
	if (kc_b64m(name, b, "client-certificate-data", &u->cert_data,
	    &u->cert_len, err) == -1 ||
	    kc_b64m(name, b, "client-key-data", &u->key_data, &u->key_len,
	    err) == -1 ||
	    kc_str(b, "token", name, &u->token, err) == -1 ||
	    kc_str(b, "username", name, &u->username, err) == -1 ||
	    kc_str(b, "password", name, &u->password, err) == -1 ||
	    kc_str(b, "as", name, &u->as, err) == -1 ||
	    kc_strlist(b, "as-groups", name, &u->as_groups, err) == -1)
		return -1;
	if (kc_str(b, "tokenFile", name, &p, err) == -1)
		return -1;
	u->token_file = kc_path(u->origin, p);
	free(p);
	if ((x = doc_get(b, "auth-provider")) != NULL &&
	    x->type != DOC_NULL) {
		const struct doc_node *pn = doc_get(x, "name");

		u->auth_provider = xstrdup(doc_scalar(pn) ? pn->str :
		    "unnamed");
	}
	if ((x = doc_get(b, "exec")) != NULL && x->type != DOC_NULL &&
	    kc_parse_exec(u, x, name, err) == -1)
		return -1;
	return 0;
}

/* Merges one parsed file: names already known are kept (first wins). */
static int
kc_merge_doc(struct kube_config *kc, const struct doc_node *root,
    const char *name, const char *origin, struct es_err *err)
{
	struct kc_entry *e = NULL;
	const struct doc_node *cur, *kind;
	size_t n, i, j;
	int rc = -1;

	if (root->type == DOC_NULL)
		return 0;
	if (root->type != DOC_MAP)
		return kc_err(name, root, err, "a kubeconfig must be a mapping "
		    "(apiVersion, clusters, users, contexts), not a %s",
		    doc_type_name(root->type));
	kind = doc_get(root, "kind");
	if (kind != NULL && doc_scalar(kind) != NULL &&
	    strcmp(kind->str, "Config") != 0)
		return kc_err(name, kind, err, "kind '%s' is not a kubeconfig "
		    "(kind: Config)", kind->str);

	if (kc_entries(root, "clusters", "cluster", name, &e, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		struct kc_cluster *c;

		for (j = 0; j < kc->nclusters; j++)
			if (strcmp(kc->clusters[j].name, e[i].name) == 0)
				break;
		if (j < kc->nclusters)
			continue;
		kc->clusters = xreallocarray(kc->clusters, kc->nclusters + 1,
		    sizeof *kc->clusters);
		c = &kc->clusters[kc->nclusters++];
		memset(c, 0, sizeof *c);
		c->name = xstrdup(e[i].name);
		c->origin = kc_dup(origin);
		if (kc_parse_cluster(c, e[i].body, name, err) == -1)
			goto out;
	}
	free(e);
	e = NULL;

	if (kc_entries(root, "users", "user", name, &e, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		struct kc_user *u;

		for (j = 0; j < kc->nusers; j++)
			if (strcmp(kc->users[j].name, e[i].name) == 0)
				break;
		if (j < kc->nusers)
			continue;
		kc->users = xreallocarray(kc->users, kc->nusers + 1,
		    sizeof *kc->users);
		u = &kc->users[kc->nusers++];
		memset(u, 0, sizeof *u);
		u->name = xstrdup(e[i].name);
		u->origin = kc_dup(origin);
		if (kc_parse_user(u, e[i].body, name, err) == -1)
			goto out;
	}
	free(e);
	e = NULL;

	if (kc_entries(root, "contexts", "context", name, &e, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		struct kc_context *c;

		for (j = 0; j < kc->ncontexts; j++)
			if (strcmp(kc->contexts[j].name, e[i].name) == 0)
				break;
		if (j < kc->ncontexts)
			continue;
		kc->contexts = xreallocarray(kc->contexts, kc->ncontexts + 1,
		    sizeof *kc->contexts);
		c = &kc->contexts[kc->ncontexts++];
		memset(c, 0, sizeof *c);
		c->name = xstrdup(e[i].name);
		c->origin = kc_dup(origin);
		if (e[i].body != NULL &&
		    (kc_str(e[i].body, "cluster", name, &c->cluster,
		    err) == -1 ||
		    kc_str(e[i].body, "user", name, &c->user, err) == -1 ||
		    kc_str(e[i].body, "namespace", name, &c->namespace,
		    err) == -1))
			goto out;
	}

	cur = doc_get(root, "current-context");
	if (cur != NULL && cur->type != DOC_NULL && doc_scalar(cur) == NULL) {
		kc_err(name, cur, err, "'current-context' must be a string");
		goto out;
	}
	if (kc->current == NULL && doc_scalar(cur) != NULL &&
	    *cur->str != '\0')
		kc->current = xstrdup(cur->str);
	rc = 0;
out:
	free(e);
	return rc;
}

/* Selects the context and checks what it refers to. */
static int
kc_select(struct kube_config *kc, const char *context, struct es_err *err)
{
	const struct kc_context *c;
	const struct kc_user *u;
	const char *want = context;
	char *s, *part = NULL;
	CURLU *cu;
	CURLUcode uc;
	size_t i;

	if (want == NULL || *want == '\0')
		want = kc->current;
	if (want == NULL)
		return es_err_set(err, ES_EUSAGE, "NoContext", "kubeconfig "
		    "'%s' has no current-context: pass --context NAME",
		    kc->source);
	for (i = 0; i < kc->ncontexts; i++)
		if (strcmp(kc->contexts[i].name, want) == 0)
			break;
	if (i == kc->ncontexts)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "context '%s' "
		    "not found in kubeconfig '%s'", want, kc->source);
	kc->ctx = i;
	c = &kc->contexts[i];
	if (c->cluster == NULL || *c->cluster == '\0')
		return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
		    "context '%s' in '%s' names no cluster", c->name,
		    c->origin ? c->origin : kc->source);
	for (i = 0; i < kc->nclusters; i++)
		if (strcmp(kc->clusters[i].name, c->cluster) == 0)
			break;
	if (i == kc->nclusters)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "cluster '%s' "
		    "of context '%s' not found in kubeconfig '%s'", c->cluster,
		    c->name, kc->source);
	kc->cluster = i;
	if (kc->clusters[i].server == NULL ||
	    *kc->clusters[i].server == '\0')
		return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
		    "cluster '%s' in '%s' has no server", c->cluster,
		    kc->clusters[i].origin ? kc->clusters[i].origin :
		    kc->source);
	/*
	 * Read by libcurl's URL parser: "host:6443" means https; written
	 * back as libcurl writes it, without a trailing slash.
	 */
	s = kc->clusters[i].server;
	if ((cu = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	uc = curl_url_set(cu, CURLUPART_URL, s, CURLU_DEFAULT_SCHEME |
	    CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OK && curl_url_get(cu, CURLUPART_SCHEME, &part, 0) ==
	    CURLUE_OK && strcmp(part, "https") != 0 &&
	    strcmp(part, "http") != 0)
		uc = CURLUE_UNSUPPORTED_SCHEME;
	curl_free(part);
	part = NULL;
	if (uc == CURLUE_OK && curl_url_get(cu, CURLUPART_URL, &part, 0) !=
	    CURLUE_OK)
		fatal("curl_url: out of memory");
	curl_url_cleanup(cu);
	if (uc == CURLUE_UNSUPPORTED_SCHEME)
		return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
		    "server '%s' of cluster '%s': only https:// and "
		    "http:// are supported", s, c->cluster);
	if (uc != CURLUE_OK)
		return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
		    "server '%s' of cluster '%s': %s", s, c->cluster,
		    curl_url_strerror(uc));
	free(s);
	s = kc->clusters[i].server = xstrdup(part);
	curl_free(part);
	while (strlen(s) > 8 && s[strlen(s) - 1] == '/')
		s[strlen(s) - 1] = '\0';

	kc->user = kc->nusers;
	if (c->user != NULL && *c->user != '\0') {
		for (i = 0; i < kc->nusers; i++)
			if (strcmp(kc->users[i].name, c->user) == 0)
				break;
		if (i == kc->nusers)
			return es_err_set(err, ES_ENOTFOUND, "NotFound", "user "
			    "'%s' of context '%s' not found in kubeconfig '%s'",
			    c->user, c->name, kc->source);
		kc->user = i;
		u = &kc->users[i];
		if (u->auth_provider != NULL)
			return es_err_set(err, ES_EUSAGE, "Unsupported", "user "
			    "'%s' of context '%s' uses auth-provider '%s', "
			    "which esctl does not support: use an exec "
			    "credential plugin (client.authentication.k8s.io)",
			    u->name, c->name, u->auth_provider);
		if (u->has_exec && (u->exec.api_version == NULL ||
		    (strcmp(u->exec.api_version, KC_EXEC_V1) != 0 &&
		    strcmp(u->exec.api_version, KC_EXEC_V1BETA1) != 0)))
			return es_err_set(err, ES_EUSAGE, "Unsupported", "exec "
			    "plugin of user '%s': apiVersion '%s' is not "
			    "supported (use %s)", u->name, u->exec.api_version ?
			    u->exec.api_version : "", KC_EXEC_V1);
		if ((u->token != NULL || u->token_file != NULL) &&
		    u->username != NULL)
			return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
			    "user '%s': username/password or a bearer token "
			    "may be set, but not both", u->name);
		if ((u->cert_file != NULL || u->cert_data != NULL) !=
		    (u->key_file != NULL || u->key_data != NULL))
			return es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
			    "user '%s': a client certificate needs a client "
			    "key and a key needs a certificate", u->name);
	}
	free(kc->namespace);
	kc->namespace = xstrdup(c->namespace != NULL && *c->namespace ?
	    c->namespace : "default");
	return 0;
}

int
kube_config_parse(const char *buf, size_t len, const char *name,
    const char *basedir, const char *context, struct kube_config **out,
    struct es_err *err)
{
	struct kube_config *kc;
	struct doc_node *root;
	char *origin = NULL;

	*out = NULL;
	if (name == NULL)
		name = "<kubeconfig>";
	if (doc_parse(buf, len, name, &root, err) == -1)
		return -1;
	kc = xcalloc(1, sizeof *kc);
	kc->source = xstrdup(name);
	if (basedir != NULL)
		origin = util_path_join(basedir, "kubeconfig");
	if (kc_merge_doc(kc, root, name, origin, err) == -1 ||
	    kc_select(kc, context, err) == -1) {
		free(origin);
		doc_free(root);
		kube_config_free(kc);
		return -1;
	}
	free(origin);
	doc_free(root);
	*out = kc;
	return 0;
}

int
kube_config_load(const char *paths, const char *context,
    struct kube_config **out, struct es_err *err)
{
	char why[64];
	struct kube_config *kc;
	struct doc_node *root;
	struct es_buf missing = ES_BUF_INIT, b = ES_BUF_INIT;
	const char *p, *end, *home;
	char *path, *deflt = NULL;
	size_t len;
	int nread = 0, nlisted = 0, rc = -1;

	*out = NULL;
	if (paths == NULL || *paths == '\0')
		paths = getenv("KUBECONFIG");
	if (paths == NULL || *paths == '\0') {
		home = getenv("HOME");
		deflt = xasprintf("%s/.kube/config", home && *home ? home :
		    "");
		paths = deflt;
	}
	kc = xcalloc(1, sizeof *kc);
	kc->from_files = 1;
	for (p = paths; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0)
			continue;
		path = xstrndup(p, len);
		nlisted++;
		es_buf_reset(&b);
		if (es_buf_read_file_max(&b, path, UTIL_MAX_TEXT_FILE) == -1) {
			if (errno != ENOENT) {
				es_err_set(err, errno == EFBIG ? ES_EUSAGE :
				    ES_EFAIL, NULL, "cannot read kubeconfig "
				    "'%s': %s", path, util_read_strerror(errno,
				    UTIL_MAX_TEXT_FILE, why, sizeof why));
				free(path);
				goto out;
			}
			es_buf_addf(&missing, "%s'%s'", missing.len ? ", " :
			    "", path);
			free(path);
			continue;
		}
		if (doc_parse(b.data, b.len, path, &root, err) == -1) {
			free(path);
			goto out;
		}
		if (kc->source == NULL)
			kc->source = xstrdup(path);
		nread++;
		if (kc_merge_doc(kc, root, path, path, err) == -1) {
			doc_free(root);
			free(path);
			goto out;
		}
		doc_free(root);
		free(path);
	}
	if (nread == 0) {
		if (nlisted == 0)
			es_err_set(err, ES_EUSAGE, NULL, "no kubeconfig given");
		else
			es_err_set(err, ES_ENOTFOUND, "NotFound", "no "
			    "kubeconfig found: %s %s not exist (use "
			    "--kubeconfig or KUBECONFIG)", missing.data,
			    nlisted > 1 ? "do" : "does");
		goto out;
	}
	if (kc_select(kc, context, err) == -1)
		goto out;
	*out = kc;
	kc = NULL;
	rc = 0;
out:
	kube_config_free(kc);
	es_buf_release(&missing);
	es_buf_release(&b);
	free(deflt);
	return rc;
}

const char *
kube_config_context(const struct kube_config *kc)
{
	return kc->contexts[kc->ctx].name;
}

const char *
kube_config_cluster(const struct kube_config *kc)
{
	return kc->clusters[kc->cluster].name;
}

const char *
kube_config_user(const struct kube_config *kc)
{
	return kc->user < kc->nusers ? kc->users[kc->user].name : "";
}

const char *
kube_config_server(const struct kube_config *kc)
{
	return kc->clusters[kc->cluster].server;
}

const char *
kube_config_namespace(const struct kube_config *kc)
{
	return kc->namespace;
}

const char *
kube_config_source(const struct kube_config *kc)
{
	const struct kc_context *c = &kc->contexts[kc->ctx];

	return kc->from_files && c->origin != NULL ? c->origin : kc->source;
}

enum kube_auth
kube_config_auth(const struct kube_config *kc)
{
	const struct kc_user *u;

	if (kc->user >= kc->nusers)
		return KUBE_AUTH_NONE;
	u = &kc->users[kc->user];
	if (u->has_exec)
		return KUBE_AUTH_EXEC;
	if (u->token != NULL || u->token_file != NULL)
		return KUBE_AUTH_TOKEN;
	if (u->username != NULL)
		return KUBE_AUTH_BASIC;
	if (u->cert_file != NULL || u->cert_data != NULL)
		return KUBE_AUTH_CERT;
	return KUBE_AUTH_NONE;
}

const char *
kube_auth_name(enum kube_auth a)
{
	switch (a) {
	case KUBE_AUTH_CERT:
		return "client-certificate";
	case KUBE_AUTH_TOKEN:
		return "token";
	case KUBE_AUTH_BASIC:
		return "basic";
	case KUBE_AUTH_EXEC:
		return "exec";
	case KUBE_AUTH_NONE:
		break;
	}
	return "none";
}

cJSON *
kube_config_contexts(const struct kube_config *kc)
{
	cJSON *a, *o;
	size_t i;

	a = cJSON_CreateArray();
	for (i = 0; i < kc->ncontexts; i++) {
		const struct kc_context *c = &kc->contexts[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "cluster", c->cluster ? c->cluster :
		    "");
		cJSON_AddStringToObject(o, "user", c->user ? c->user : "");
		cJSON_AddStringToObject(o, "namespace", c->namespace ?
		    c->namespace : "");
		cJSON_AddBoolToObject(o, "current", kc->current != NULL &&
		    strcmp(kc->current, c->name) == 0);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void
kube_config_tls(const struct kube_config *kc, struct kube_tls *t)
{
	const struct kc_cluster *c = &kc->clusters[kc->cluster];

	memset(t, 0, sizeof *t);
	t->ca_file = c->ca_data != NULL ? NULL : c->ca_file;
	t->ca_data = c->ca_data;
	t->ca_len = c->ca_len;
	t->insecure = c->insecure;
	t->server_name = c->server_name != NULL && *c->server_name ?
	    c->server_name : NULL;
	t->proxy_url = c->proxy_url != NULL && *c->proxy_url ? c->proxy_url :
	    NULL;
}

int
kube_config_invalidate(struct kube_config *kc)
{
	int had = kc->exec_valid;

	if (had) {
		kc_free_secret(kc->exec_token, 0);
		free(kc->exec_cert);
		kc_free_secret(kc->exec_key, kc->exec_key_len);
		kc->exec_token = kc->exec_cert = kc->exec_key = NULL;
		kc->exec_cert_len = kc->exec_key_len = 0;
		kc->exec_valid = 0;
		kc->exec_expires = 0;
	}
	return had;
}

/* Trims trailing whitespace (a token file usually ends in a newline). */
static void
kc_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

int
kube_config_credentials(struct kube_config *kc, time_t now, long timeout_ms,
    const struct es_log *log, struct kube_creds *out, struct es_err *err)
{
	char why[64];
	const struct kc_user *u;
	struct es_buf b = ES_BUF_INIT;

	memset(out, 0, sizeof *out);
	if (kc->user >= kc->nusers)
		return 0;
	u = &kc->users[kc->user];
	out->impersonate = u->as;
	out->impersonate_groups = (const char *const *)u->as_groups;
	if (u->has_exec) {
		if (!kc->exec_valid || (kc->exec_expires != 0 &&
		    kc->exec_expires <= now + KC_EXEC_SLACK)) {
			kube_config_invalidate(kc);
			if (kc_run_exec(kc, now, timeout_ms, log, err) == -1)
				return -1;
		}
		out->token = kc->exec_token;
		out->cert_data = kc->exec_cert;
		out->cert_len = kc->exec_cert_len;
		out->key_data = kc->exec_key;
		out->key_len = kc->exec_key_len;
		out->expires = kc->exec_expires;
		/* a plugin may give only a token: keep configured certs */
		if (out->cert_data == NULL) {
			out->cert_file = u->cert_data ? NULL : u->cert_file;
			out->key_file = u->key_data ? NULL : u->key_file;
			out->cert_data = u->cert_data;
			out->cert_len = u->cert_len;
			out->key_data = u->key_data;
			out->key_len = u->key_len;
		}
		return 0;
	}
	if (u->cert_data != NULL) {
		out->cert_data = u->cert_data;
		out->cert_len = u->cert_len;
	} else
		out->cert_file = u->cert_file;
	if (u->key_data != NULL) {
		out->key_data = u->key_data;
		out->key_len = u->key_len;
	} else
		out->key_file = u->key_file;
	if (u->token_file != NULL && *u->token_file != '\0') {
		if (es_buf_read_file_max(&b, u->token_file,
		    UTIL_MAX_TEXT_FILE) == -1) {
			es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
			    "cannot read tokenFile '%s' of user '%s': %s",
			    u->token_file, u->name, util_read_strerror(errno,
			    UTIL_MAX_TEXT_FILE, why, sizeof why));
			es_buf_release(&b);
			return -1;
		}
		kc_free_secret(kc->file_token, 0);
		kc->file_token = es_buf_detach(&b, NULL);
		kc_trim(kc->file_token);
		if (*kc->file_token == '\0' || strchr(kc->file_token, '\n')) {
			es_err_set(err, ES_EUSAGE, "InvalidKubeconfig",
			    "tokenFile '%s' of user '%s' holds no single-line "
			    "token", u->token_file, u->name);
			return -1;
		}
		out->token = kc->file_token;
	} else if (u->token != NULL && *u->token != '\0')
		out->token = u->token;
	if (u->username != NULL) {
		out->username = u->username;
		out->password = u->password != NULL ? u->password : "";
	}
	return 0;
}

/* The ExecCredential handed to the plugin in KUBERNETES_EXEC_INFO. */
static char *
kc_exec_info(const struct kube_config *kc, const struct kc_user *u)
{
	const struct kc_cluster *c = &kc->clusters[kc->cluster];
	cJSON *j, *spec, *cl;
	struct es_buf b = ES_BUF_INIT;
	char *s, *r;

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "apiVersion", u->exec.api_version);
	cJSON_AddStringToObject(j, "kind", "ExecCredential");
	spec = cJSON_AddObjectToObject(j, "spec");
	cJSON_AddBoolToObject(spec, "interactive", 0);
	if (u->exec.provide_cluster_info) {
		cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", c->server);
		if (c->server_name != NULL)
			cJSON_AddStringToObject(cl, "tls-server-name",
			    c->server_name);
		if (c->insecure)
			cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify",
			    1);
		if (c->ca_data != NULL) {
			base64_encode(&b, c->ca_data,
			    c->ca_len);
			cJSON_AddStringToObject(cl,
			    "certificate-authority-data", b.data);
		}
		if (c->proxy_url != NULL)
			cJSON_AddStringToObject(cl, "proxy-url", c->proxy_url);
	}
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	es_buf_release(&b);
	r = xasprintf("KUBERNETES_EXEC_INFO=%s", s);
	free(s);
	return r;
}

/* The environment of the plugin: ours, the configured env, exec info. */
static char **
kc_exec_env(const struct kube_config *kc, const struct kc_user *u)
{
	char **env;
	size_t n = 0, i, j, k = 0, eq;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		n++;
	for (j = 0; u->exec.env != NULL && u->exec.env[j] != NULL; j++)
		n++;
	env = xcalloc(n + 2, sizeof *env);
	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0)
			continue;
		/* configured variables replace inherited ones */
		for (j = 0; u->exec.env != NULL && u->exec.env[j] != NULL;
		    j++) {
			eq = strcspn(u->exec.env[j], "=") + 1;
			if (strncmp(environ[i], u->exec.env[j], eq) == 0)
				break;
		}
		if (u->exec.env != NULL && u->exec.env[j] != NULL)
			continue;
		env[k++] = xstrdup(environ[i]);
	}
	for (j = 0; u->exec.env != NULL && u->exec.env[j] != NULL; j++)
		env[k++] = xstrdup(u->exec.env[j]);
	env[k++] = kc_exec_info(kc, u);
	env[k] = NULL;
	return env;
}

/* Last non-empty line of text, at most 300 bytes, for error messages. */
static void
kc_last_line(const char *s, char *buf, size_t len)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start > 300 ? 300 :
	    end - start), start);
}

/*
 * Runs the exec plugin of the selected user and caches its answer.
 * fork/execvp, no shell; stdout and stderr read through pipes.
 */
static int
kc_run_exec(struct kube_config *kc, time_t now, long timeout_ms,
    const struct es_log *log, struct es_err *err)
{
	const struct kc_user *u = &kc->users[kc->user];
	struct es_buf o = ES_BUF_INIT, e = ES_BUF_INIT;
	struct pollfd pfd[2];
	char **env = NULL, **argv = NULL, buf[4096], last[320];
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, cerr[2] = { -1, -1 };
	int st = 0, rc = -1, child_errno = 0, nargs = 0, i, open_fds;
	pid_t pid;
	ssize_t r;
	long deadline;
	cJSON *j = NULL, *status;
	const char *tok, *cert, *key, *exp, *api, *kind;
	time_t t;

	if (timeout_ms <= 0)
		timeout_ms = 60000;
	if (u->exec.interactive != NULL &&
	    strcmp(u->exec.interactive, "Always") == 0)
		return es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin "
		    "'%s' of user '%s' needs an interactive terminal "
		    "(interactiveMode: Always), which esctl does not provide",
		    u->exec.command, u->name);
	es_log(log, ES_LOG_DEBUG, "running exec credential plugin '%s' for "
	    "user '%s'", u->exec.command, u->name);
	for (i = 0; u->exec.args != NULL && u->exec.args[i] != NULL; i++)
		nargs++;
	argv = xcalloc((size_t)nargs + 2, sizeof *argv);
	argv[0] = u->exec.command;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = u->exec.args[i];
	env = kc_exec_env(kc, u);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    pipe2(cerr, O_CLOEXEC) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot run exec plugin '%s': "
		    "%s", u->exec.command, strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot run exec plugin '%s': "
		    "%s", u->exec.command, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull != -1)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		environ = env;
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(cerr[1], &child_errno, sizeof child_errno) < 0)
			_exit(126);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	close(cerr[1]);
	outp[1] = errp[1] = cerr[1] = -1;
	if (read(cerr[0], &child_errno, sizeof child_errno) !=
	    (ssize_t)sizeof child_errno)
		child_errno = 0;
	deadline = util_mono_ms() + timeout_ms;
	open_fds = 2;
	while (open_fds > 0) {
		long left = deadline - util_mono_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin "
			    "'%s' of user '%s' did not finish within %ld ms",
			    u->exec.command, u->name, timeout_ms);
			goto out;
		}
		pfd[0].fd = outp[0];
		pfd[1].fd = errp[0];
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, (int)(left > 1000 ? 1000 : left)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, buf, sizeof buf);
			if (r <= 0) {
				close(pfd[i].fd);
				if (i == 0)
					outp[0] = -1;
				else
					errp[0] = -1;
				open_fds--;
				continue;
			}
			if ((i == 0 ? o.len : e.len) < KC_EXEC_MAX_OUT)
				es_buf_add(i == 0 ? &o : &e, buf, (size_t)r);
		}
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (child_errno != 0) {
		es_err_set(err, ES_EPERM, "Unauthorized", "cannot run exec "
		    "plugin '%s' of user '%s': %s%s%s", u->exec.command,
		    u->name, strerror(child_errno), u->exec.install_hint ?
		    "\n" : "", u->exec.install_hint ? u->exec.install_hint :
		    "");
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		kc_last_line(e.data, last, sizeof last);
		es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin '%s' of "
		    "user '%s' failed (%s %d)%s%s", u->exec.command, u->name,
		    WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ?
		    WEXITSTATUS(st) : WTERMSIG(st), *last ? ": " : "", last);
		goto out;
	}
	if ((j = cJSON_ParseWithLength(o.data, o.len)) == NULL ||
	    !cJSON_IsObject(j)) {
		es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin '%s' of "
		    "user '%s' did not print an ExecCredential as JSON",
		    u->exec.command, u->name);
		goto out;
	}
	api = cJSON_GetStringValue(cJSON_GetObjectItem(j, "apiVersion"));
	kind = cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind"));
	if (kind == NULL || strcmp(kind, "ExecCredential") != 0 ||
	    api == NULL || strcmp(api, u->exec.api_version) != 0) {
		es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin '%s' of "
		    "user '%s' answered kind '%s' apiVersion '%s', expected "
		    "ExecCredential %s", u->exec.command, u->name,
		    kind ? kind : "", api ? api : "", u->exec.api_version);
		goto out;
	}
	status = cJSON_GetObjectItem(j, "status");
	tok = cJSON_GetStringValue(cJSON_GetObjectItem(status, "token"));
	cert = cJSON_GetStringValue(cJSON_GetObjectItem(status,
	    "clientCertificateData"));
	key = cJSON_GetStringValue(cJSON_GetObjectItem(status,
	    "clientKeyData"));
	exp = cJSON_GetStringValue(cJSON_GetObjectItem(status,
	    "expirationTimestamp"));
	if ((tok == NULL || *tok == '\0') && (cert == NULL || key == NULL)) {
		es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin '%s' of "
		    "user '%s' gave neither status.token nor "
		    "status.clientCertificateData and clientKeyData",
		    u->exec.command, u->name);
		goto out;
	}
	if ((cert == NULL) != (key == NULL)) {
		es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin '%s' of "
		    "user '%s' gave a client certificate without its key",
		    u->exec.command, u->name);
		goto out;
	}
	t = 0;
	if (exp != NULL && *exp != '\0') {
		struct es_err e2 = ES_ERR_INIT;

		if (util_time_parse(exp, "expirationTimestamp", now, &t,
		    &e2) == -1) {
			es_err_set(err, ES_EPERM, "Unauthorized", "exec plugin "
			    "'%s' of user '%s': invalid expirationTimestamp "
			    "'%s'", u->exec.command, u->name, exp);
			goto out;
		}
	}
	kc->exec_token = tok != NULL && *tok ? xstrdup(tok) : NULL;
	if (cert != NULL) {
		kc->exec_cert = xstrdup(cert);
		kc->exec_cert_len = strlen(cert);
		kc->exec_key = xstrdup(key);
		kc->exec_key_len = strlen(key);
	}
	kc->exec_expires = t;
	kc->exec_valid = 1;
	es_log(log, ES_LOG_DEBUG, "exec plugin '%s' gave a %s%s%s",
	    u->exec.command, kc->exec_token ? "token" : "client certificate",
	    t ? ", expiring " : "", t ? exp : "");
	rc = 0;
out:
	if (j != NULL) {
		/* the answer holds secrets: wipe our copy of the text */
		cJSON_Delete(j);
	}
	if (o.len > 0)
		explicit_bzero(o.data, o.len);
	es_buf_release(&o);
	es_buf_release(&e);
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
		if (cerr[i] != -1)
			close(cerr[i]);
	}
	if (env != NULL)
		kc_free_list(env);
	free(argv);
	return rc;
}
