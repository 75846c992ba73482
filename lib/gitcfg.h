/*
 * gitcfg.h - deployment configuration from a GitLab repository (SPEC 8),
 * through libgit2.
 *
 * A repository is named by a URL (https://, http:// or file://) with an
 * optional "#REF" or "#REF:PATH" fragment (a branch, tag or commit, and a
 * directory inside the repository).  gitcfg_open() keeps a bare clone
 * below the cache directory (one per URL, DATA/git/<hash>), fetches it on
 * every later use, resolves the ref to a commit and reads files straight
 * from that commit's tree: no working tree, so two processes never see a
 * half checked-out state (a lock beside the clone serialises fetches).
 *
 * Credentials: a token, sent as HTTP basic auth with user "oauth2" (or
 * the configured user), only when the server asks for it.  Credentials
 * in the URL itself are moved out of it; no URL kept or shown by this
 * module carries them, and the token is never part of a message.  TLS
 * certificates are verified unless insecure is set; ca_file replaces the
 * system's CA bundle.
 *
 * The repository's esctl.yaml (below PATH) is
 *
 *	defaults:	create inputs (replicas, cpu_request, ...)
 *	images:		{elasticsearch: IMAGE, kibana: IMAGE}
 *	elasticsearch:	elasticsearch.yml settings (a mapping)
 *	manifests:	{dir: manifests, builtin: true}
 *
 * Unknown keys are errors with file:line:col.  Manifests are the *.yaml,
 * *.yml and *.json files of manifests.dir (default "manifests"), applied
 * in name order after ${VAR} substitution (gitcfg_substitute).
 */
#ifndef ESCTL_GITCFG_H
#define ESCTL_GITCFG_H

#include <stddef.h>

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "log.h"

struct gitcfg_opts {
	const char		*url;		/* URL[#REF[:PATH]] */
	const char		*ref;		/* overrides the fragment's */
	const char		*path;		/* overrides the fragment's */
	const char		*cache_dir;	/* required: DATA/git */
	const char		*token;		/* or NULL */
	const char		*username;	/* NULL: "oauth2" */
	const char		*ca_file;	/* or NULL */
	int			 insecure;	/* skip TLS verification */
	const struct es_log	*log;
};

struct gitcfg;

/*
 * Checks a URL's syntax (scheme https, http or file; a host for http(s);
 * a path) without any network access.  ES_EUSAGE naming the URL without
 * its credentials.
 */
int		 gitcfg_check_url(const char *url, struct es_err *err);
/* The URL without credentials and fragment; new string, caller frees. */
char		*gitcfg_redact_url(const char *url);
/* Reads a token file (first line, trimmed).  New string; caller frees. */
int		 gitcfg_read_token_file(const char *path, char **out,
		    struct es_err *err);

/*
 * Clones or fetches the repository and resolves the ref.  Errors:
 * ES_EUSAGE (bad URL), ES_EPERM (authentication), ES_ENOTFOUND (ref or
 * path), ES_EREMOTE (anything else on the way).
 */
int		 gitcfg_open(const struct gitcfg_opts *, struct gitcfg **out,
		    struct es_err *err);
void		 gitcfg_free(struct gitcfg *);

/* The URL (no credentials), the ref asked for, the path, the commit. */
const char	*gitcfg_url(const struct gitcfg *);
const char	*gitcfg_ref(const struct gitcfg *);
const char	*gitcfg_path(const struct gitcfg *);
const char	*gitcfg_commit(const struct gitcfg *);	/* 40 hex digits */
/* The directory of the bare clone. */
const char	*gitcfg_cache(const struct gitcfg *);

/*
 * Reads a file below the path at the resolved commit into out (appended).
 * ES_ENOTFOUND when it does not exist.
 */
int		 gitcfg_read(struct gitcfg *, const char *name,
		    struct es_buf *out, struct es_err *err);
/*
 * The parsed and checked esctl.yaml, or *out = NULL when the repository
 * has none.  Borrowed from the handle (valid until gitcfg_free).
 */
int		 gitcfg_values(struct gitcfg *, const struct doc_node **out,
		    struct es_err *err);

/* One manifest file: its name in the repository and its text. */
struct gitcfg_file {
	char	*name;
	char	*text;
	size_t	 len;
};
/*
 * The manifest files (see above), in name order.  The array is owned by
 * the handle.
 */
int		 gitcfg_manifests(struct gitcfg *,
		    const struct gitcfg_file **files, size_t *n,
		    struct es_err *err);
/* manifests.builtin of esctl.yaml: 0 when the manifests replace them. */
int		 gitcfg_builtin(struct gitcfg *);

/*
 * ${VAR} substitution: each ${NAME} is replaced by lookup(arg, NAME);
 * "$$" is a literal "$"; an unknown name (lookup NULL) or an unclosed
 * "${" is an error naming name:line.  Appends to out.
 */
int		 gitcfg_substitute(const char *text, size_t len,
		    const char *name,
		    const char *(*lookup)(void *, const char *), void *arg,
		    struct es_buf *out, struct es_err *err);

#endif
