/*
 * kubeconfig.h - kubeconfig files with kubectl's semantics, resolved to
 * the settings of one context.
 *
 *	struct kube_config *kc;
 *	if (kube_config_load(NULL, NULL, &kc, err) == -1)
 *		return -1;		(KUBECONFIG, the current context)
 *	printf("%s\n", kube_config_server(kc));
 *	kube_config_free(kc);
 *
 * Loading follows kubectl:
 *  - paths is a colon-separated list; NULL means $KUBECONFIG, and when that
 *    is unset or empty, $HOME/.kube/config.  The files are merged in order:
 *    the first file that defines a cluster, user or context name wins that
 *    name, and the first file that sets current-context wins it.  Listed
 *    files that do not exist are skipped; none existing is an error.
 *  - context selects the context (kubectl --context); NULL means the
 *    merged current-context.  An unknown context is ES_ENOTFOUND.
 *  - Relative file paths (certificate-authority, client-certificate,
 *    client-key, tokenFile, exec command containing a '/') resolve against
 *    the directory of the file that defined the cluster or user.
 *  - The default namespace is the context's namespace, else "default".
 *
 * Supported cluster fields: server, certificate-authority[-data],
 * insecure-skip-tls-verify, tls-server-name, proxy-url.  User fields:
 * client-certificate[-data], client-key[-data], token, tokenFile,
 * username/password, as/as-groups (impersonation), and exec credential
 * plugins (client.authentication.k8s.io/v1 and v1beta1).  A user with an
 * auth-provider is refused with a clear error.
 *
 * Parsing never touches the file system and never runs anything: files
 * named by the kubeconfig are read, and exec plugins run, only when
 * credentials are asked for (kube_config_credentials) or when a client is
 * opened.  Parse errors name file:line:col.
 *
 * Secrets (tokens, passwords, keys, exec output) are kept only in memory
 * and are never part of an error message.
 */
#ifndef ESCTL_KUBECONFIG_H
#define ESCTL_KUBECONFIG_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "log.h"

struct kube_config;

/* How the user of the selected context authenticates. */
enum kube_auth {
	KUBE_AUTH_NONE,		/* anonymous */
	KUBE_AUTH_CERT,		/* client certificate only */
	KUBE_AUTH_TOKEN,	/* bearer token (token or tokenFile) */
	KUBE_AUTH_BASIC,	/* username and password */
	KUBE_AUTH_EXEC		/* exec credential plugin */
};

/*
 * Loads, merges and resolves kubeconfig files (see above).  Returns 0 and
 * a new config in *out (free with kube_config_free), or -1 with err:
 * ES_ENOTFOUND for missing files or context, ES_EUSAGE for invalid content.
 */
int		 kube_config_load(const char *paths, const char *context,
		    struct kube_config **out, struct es_err *err);
/*
 * Parses one kubeconfig held in memory (e.g. stored in the cluster
 * registry).  name is used in messages; basedir resolves relative paths
 * (NULL: relative paths are relative to the current directory).
 */
int		 kube_config_parse(const char *buf, size_t len,
		    const char *name, const char *basedir,
		    const char *context, struct kube_config **out,
		    struct es_err *err);
/* Returns an independent copy (cached credentials are not copied). */
struct kube_config *kube_config_dup(const struct kube_config *);
/* NULL-safe. */
void		 kube_config_free(struct kube_config *);

/* Accessors; borrowed strings, valid until kube_config_free. */
const char	*kube_config_context(const struct kube_config *);
const char	*kube_config_cluster(const struct kube_config *);
const char	*kube_config_user(const struct kube_config *);
const char	*kube_config_server(const struct kube_config *);
const char	*kube_config_namespace(const struct kube_config *);
/* The file the context came from, or the name given to parse. */
const char	*kube_config_source(const struct kube_config *);
enum kube_auth	 kube_config_auth(const struct kube_config *);
/* "none", "client-certificate", "token", "basic", "exec". */
const char	*kube_auth_name(enum kube_auth);

/*
 * Every context of the merged files as a new JSON array (caller frees) of
 * {name, cluster, user, namespace, current}.  Useful for listings and
 * completion; no secrets.
 */
cJSON		*kube_config_contexts(const struct kube_config *);

/* TLS and transport settings of the selected cluster (borrowed). */
struct kube_tls {
	const char	*ca_file;	/* PEM file, or NULL */
	const char	*ca_data;	/* PEM bytes (decoded), or NULL */
	size_t		 ca_len;
	int		 insecure;	/* insecure-skip-tls-verify */
	const char	*server_name;	/* tls-server-name, or NULL */
	const char	*proxy_url;	/* or NULL */
};
void		 kube_config_tls(const struct kube_config *, struct kube_tls *);

/*
 * Credentials to present on a request.  Pointers are borrowed from the
 * config and stay valid until the next kube_config_credentials call or
 * kube_config_free.  Certificate and key are given either as files or as
 * PEM bytes in memory.
 */
struct kube_creds {
	const char	*token;		/* bearer token, or NULL */
	const char	*username;	/* basic auth, or NULL */
	const char	*password;
	const char	*cert_file;
	const char	*key_file;
	const char	*cert_data;	/* PEM bytes, or NULL */
	size_t		 cert_len;
	const char	*key_data;
	size_t		 key_len;
	const char	*impersonate;	/* "as", or NULL */
	const char	*const *impersonate_groups;	/* NULL-terminated */
	time_t		 expires;	/* exec credentials: 0 = no expiry */
};

/*
 * Resolves the credentials of the selected user at time now: reads
 * tokenFile (every call, as kubectl re-reads it), and runs the exec plugin
 * when there is no cached credential or it expires within a few seconds.
 * The plugin runs without a shell (fork/execvp), with stdin from
 * /dev/null, the configured env added, KUBERNETES_EXEC_INFO set, and a
 * timeout of timeout_ms (0: 60 s).  log may be NULL; secrets are never
 * logged.  ES_EPERM when the plugin fails or answers nonsense.
 */
int		 kube_config_credentials(struct kube_config *, time_t now,
		    long timeout_ms, const struct es_log *log,
		    struct kube_creds *out, struct es_err *err);
/*
 * Forgets cached exec credentials (after a 401 the client asks the plugin
 * again once).  Returns 1 if there was something to forget.
 */
int		 kube_config_invalidate(struct kube_config *);

#endif
