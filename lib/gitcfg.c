/*
 * gitcfg.c - deployment configuration from a git repository, through
 * libgit2: a bare clone per URL, fetched on every use, files read from
 * the resolved commit's tree.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <git2.h>

#include "gitcfg.h"
#include "util.h"

#define GITCFG_LOCK_WAIT_MS	120000

struct gitcfg {
	char			*url;		/* no credentials */
	char			*ref;		/* as asked; NULL: default */
	char			*path;		/* "" for the top */
	char			*username;
	char			*token;
	int			 insecure;
	const struct es_log	*log;
	char			*cache;		/* the bare clone */
	char			 commit[GIT_OID_HEXSZ + 1];
	char			*default_branch;

	git_repository		*repo;
	git_tree		*tree;		/* at path */
	int			 lock_fd;

	int			 auth_asked;
	int			 auth_failed;

	int			 values_loaded;
	struct doc_node		*values;
	int			 files_loaded;
	struct gitcfg_file	*files;
	size_t			 nfiles;
};

/* The parts of a URL. */
struct gitcfg_url {
	char	*clean;		/* scheme://host/path */
	char	*user;		/* from userinfo, or NULL */
	char	*pass;
	char	*ref;		/* from the fragment, or NULL */
	char	*path;
};

static int	 gitcfg_parse_url(const char *, struct gitcfg_url *,
		    struct es_err *);
static void	 gitcfg_url_release(struct gitcfg_url *);
static int	 gitcfg_git_error(struct gitcfg *, int, const char *,
		    struct es_err *);
static int	 gitcfg_remote(git_remote **, git_repository *, const char *);
static int	 gitcfg_fetch(struct gitcfg *, git_remote *, struct es_err *);
static int	 gitcfg_clone(struct gitcfg *, struct es_err *);
static int	 gitcfg_sync(struct gitcfg *, struct es_err *);
static int	 gitcfg_resolve(struct gitcfg *, struct es_err *);
static int	 gitcfg_rm_cb(const char *, const struct stat *, int,
		    struct FTW *);
static void	 gitcfg_rm_rf(const char *);
static int	 gitcfg_check_values(const struct doc_node *, const char *,
		    struct es_err *);
static int	 gitcfg_credentials(git_credential **, const char *,
		    const char *, unsigned int, void *);
static int	 gitcfg_certificate(git_cert *, int, const char *, void *);

static void
gitcfg_url_release(struct gitcfg_url *u)
{
	free(u->clean);
	free(u->user);
	if (u->pass != NULL) {
		memset(u->pass, 0, strlen(u->pass));
		free(u->pass);
	}
	free(u->ref);
	free(u->path);
	memset(u, 0, sizeof *u);
}

/* The part of u, NULL if it is absent or empty; caller frees. */
static char *
gitcfg_url_part(CURLU *u, CURLUPart what)
{
	char *v = NULL, *s;

	if (curl_url_get(u, what, &v, 0) != CURLUE_OK || v == NULL ||
	    *v == '\0') {
		curl_free(v);
		return NULL;
	}
	s = xstrdup(v);
	curl_free(v);
	return s;
}

/*
 * Splits URL[#REF[:PATH]] with libcurl's URL parser and moves userinfo
 * out of the URL.  Error messages show the URL without its credentials.
 * libcurl reads one to three slashes after the scheme ("https:///x" as
 * host x); a GitLab URL needs exactly "scheme://" and a host.
 */
static int
gitcfg_parse_url(const char *url, struct gitcfg_url *u, struct es_err *err)
{
	CURLU *cu;
	CURLUcode rc;
	char *scheme = NULL, *path = NULL, *frag, *colon, *clean = NULL;
	const char *p;
	size_t slen;
	int http;

	memset(u, 0, sizeof *u);
	if (url == NULL || *url == '\0')
		return es_err_set(err, ES_EUSAGE, "InvalidURL", "empty GitLab "
		    "URL");
	for (p = url; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p) || *p == ' ')
			return es_err_set(err, ES_EUSAGE, "InvalidURL",
			    "invalid GitLab URL: it contains a space or a "
			    "control character");
	if ((cu = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	rc = curl_url_set(cu, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OK)
		scheme = gitcfg_url_part(cu, CURLUPART_SCHEME);
	if (rc == CURLUE_BAD_SCHEME || rc == CURLUE_NO_SCHEME ||
	    (rc == CURLUE_OK && (scheme == NULL ||
	    strncasecmp(url + strlen(scheme), "://", 3) != 0))) {
		p = strchr(url, '#');
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL "
		    "'%.*s': use https://HOST/GROUP/REPO.git[#REF[:PATH]] (or "
		    "http:// or file://)", p != NULL ? (int)(p - url) :
		    (int)strlen(url), url);
		goto fail;
	}
	slen = rc == CURLUE_OK ? strlen(scheme) : 0;
	http = rc == CURLUE_OK && (strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "http") == 0);
	if (rc == CURLUE_OK && !http && strcmp(scheme, "file") != 0) {
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL: "
		    "scheme '%s' is not supported (use https, http or file)",
		    scheme);
		goto fail;
	}
	if (rc == CURLUE_BAD_FILE_URL || (rc == CURLUE_OK && !http &&
	    url[slen + 3] != '/')) {
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL: "
		    "a file URL needs an absolute path "
		    "(file:///srv/git/repo.git)");
		goto fail;
	}
	if (rc == CURLUE_NO_HOST || rc == CURLUE_BAD_HOSTNAME ||
	    (rc == CURLUE_OK && http && url[slen + 3] == '/')) {
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL: "
		    "no host");
		goto fail;
	}
	if (rc != CURLUE_OK) {
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL: "
		    "%s", curl_url_strerror(rc));
		goto fail;
	}
	u->user = gitcfg_url_part(cu, CURLUPART_USER);
	u->pass = gitcfg_url_part(cu, CURLUPART_PASSWORD);
	frag = gitcfg_url_part(cu, CURLUPART_FRAGMENT);
	path = gitcfg_url_part(cu, CURLUPART_PATH);
	if (curl_url_set(cu, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(cu, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(cu, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_set(cu, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(cu, CURLUPART_URL, &clean, 0) != CURLUE_OK)
		fatal("curl_url: out of memory");
	u->clean = xstrdup(clean);
	curl_free(clean);
	if (path == NULL || strcmp(path, "/") == 0) {
		es_err_set(err, ES_EUSAGE, "InvalidURL", "invalid GitLab URL "
		    "'%s': no repository path", u->clean);
		free(frag);
		goto fail;
	}
	if (frag != NULL) {
		colon = strchr(frag, ':');
		if (colon != NULL) {
			*colon = '\0';
			if (colon[1] != '\0')
				u->path = xstrdup(colon + 1);
		}
		if (*frag != '\0')
			u->ref = xstrdup(frag);
		free(frag);
	}
	free(scheme);
	free(path);
	curl_url_cleanup(cu);
	return 0;
fail:
	free(scheme);
	free(path);
	curl_url_cleanup(cu);
	gitcfg_url_release(u);
	return -1;
}

int
gitcfg_check_url(const char *url, struct es_err *err)
{
	struct gitcfg_url u;

	if (gitcfg_parse_url(url, &u, err) == -1)
		return -1;
	gitcfg_url_release(&u);
	return 0;
}

char *
gitcfg_redact_url(const char *url)
{
	struct gitcfg_url u;
	struct es_err e = ES_ERR_INIT;
	char *s;

	if (gitcfg_parse_url(url, &u, &e) == -1)
		return xstrdup("(invalid URL)");
	s = u.clean;
	u.clean = NULL;
	gitcfg_url_release(&u);
	return s;
}

int
gitcfg_read_token_file(const char *path, char **out, struct es_err *err)
{
	char why[64];
	int e;
	struct es_buf b = ES_BUF_INIT;
	size_t n;

	*out = NULL;
	if (es_buf_read_file_max(&b, path, UTIL_MAX_TEXT_FILE) == -1) {
		e = errno;
		es_err_set(err, e == ENOENT ? ES_ENOTFOUND : e == EFBIG ?
		    ES_EUSAGE : ES_EFAIL, NULL, "cannot read token file '%s': "
		    "%s", path, util_read_strerror(e, UTIL_MAX_TEXT_FILE, why,
		    sizeof why));
		es_buf_release(&b);
		return -1;
	}
	n = strcspn(b.data, "\r\n");
	es_buf_truncate(&b, n);
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		es_buf_truncate(&b, b.len - 1);
	if (b.len == 0) {
		es_buf_release(&b);
		return es_err_set(err, ES_EUSAGE, "EmptyToken", "token file "
		    "'%s' is empty", path);
	}
	*out = es_buf_detach(&b, NULL);
	return 0;
}

/* libgit2 asks for credentials: the token once, then give up. */
static int
gitcfg_credentials(git_credential **out, const char *url,
    const char *user_from_url, unsigned int allowed, void *payload)
{
	struct gitcfg *g = payload;

	(void)url;
	(void)user_from_url;
	g->auth_asked++;
	if (g->token == NULL || g->auth_asked > 1 ||
	    !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
		g->auth_failed = 1;
		git_error_set_str(GIT_ERROR_NET, "authentication failed");
		return GIT_EAUTH;
	}
	return git_credential_userpass_plaintext_new(out, g->username,
	    g->token);
}

/* Only installed with insecure: accept any certificate. */
static int
gitcfg_certificate(git_cert *cert, int valid, const char *host,
    void *payload)
{
	(void)cert;
	(void)valid;
	(void)host;
	(void)payload;
	return 0;
}

/* Turns a libgit2 failure into an error naming the URL. */
static int
gitcfg_git_error(struct gitcfg *g, int rc, const char *what,
    struct es_err *err)
{
	const git_error *e = git_error_last();
	const char *m = e != NULL && e->message != NULL ? e->message :
	    "unknown error";

	if (g->auth_failed || rc == GIT_EAUTH)
		return es_err_set(err, ES_EPERM, "Unauthorized", "%s '%s': "
		    "authentication failed: %s", what, g->url,
		    g->token == NULL ? "no token configured (gitlab.token, "
		    "gitlab.token_file or ESCTL_GITLAB_TOKEN)" :
		    "the token was rejected");
	if (rc == GIT_ECERTIFICATE)
		return es_err_set(err, ES_EREMOTE, "CertificateInvalid", "%s "
		    "'%s': the server's TLS certificate is not trusted (set "
		    "gitlab.ca_file): %s", what, g->url, m);
	if (strstr(m, "404") != NULL || strstr(m, "not found") != NULL ||
	    strstr(m, "could not find repository") != NULL)
		return es_err_set(err, ES_EREMOTE, "RepositoryNotFound", "%s "
		    "'%s': repository not found (%s)", what, g->url, m);
	return es_err_set(err, ES_EREMOTE, "GitError", "%s '%s': %s", what,
	    g->url, m);
}

static int
gitcfg_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Removes a directory tree this module created. */
static void
gitcfg_rm_rf(const char *path)
{
	nftw(path, gitcfg_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * An in-memory remote for url: nothing is written to the clone's config,
 * and url.*.insteadOf rewriting (which needs a config scan) is skipped.
 */
static int
gitcfg_remote(git_remote **out, git_repository *repo, const char *url)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, url, &o);
}

/* Connects, learns the default branch, downloads, updates the refs. */
static int
gitcfg_fetch(struct gitcfg *g, git_remote *remote, struct es_err *err)
{
	static char spec[] = "+refs/heads/*:refs/remotes/origin/*";
	static char *specv[] = { spec };
	const git_strarray specs = { specv, 1 };
	git_remote_callbacks cb;
	git_fetch_options fo;
	git_buf def = { NULL, 0, 0 };
	int rc;

	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);

	cb.credentials = gitcfg_credentials;
	if (g->insecure)
		cb.certificate_check = gitcfg_certificate;
	cb.payload = g;
	g->auth_asked = g->auth_failed = 0;
	es_log(g->log, ES_LOG_INFO, "fetching %s", g->url);
	rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc < 0)
		return gitcfg_git_error(g, rc, "cannot reach GitLab repository",
		    err);
	if (git_remote_default_branch(&def, remote) == 0 && def.ptr != NULL) {
		const char *b = def.ptr;

		if (strncmp(b, "refs/heads/", 11) == 0)
			b += 11;
		free(g->default_branch);
		g->default_branch = xstrdup(b);
	}
	git_buf_dispose(&def);
	fo.callbacks = cb;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	rc = git_remote_download(remote, &specs, &fo);
	if (rc == 0)
		rc = git_remote_update_tips(remote, &cb, 0,
		    GIT_REMOTE_DOWNLOAD_TAGS_ALL, NULL);
	if (rc == 0)
		rc = git_remote_prune(remote, &cb);
	if (rc < 0) {
		gitcfg_git_error(g, rc, "cannot fetch GitLab repository", err);
		git_remote_disconnect(remote);
		return -1;
	}
	git_remote_disconnect(remote);
	return 0;
}

/* The cache brought up to date: fetched, or cloned on first use. */
static int
gitcfg_sync(struct gitcfg *g, struct es_err *err)
{
	git_remote *remote;
	struct stat sb;
	int rc;

	if (stat(g->cache, &sb) == 0) {
		rc = git_repository_open_bare(&g->repo, g->cache);
		if (rc == 0)
			rc = gitcfg_remote(&remote, g->repo, g->url);
		if (rc < 0)
			return gitcfg_git_error(g, rc, "cannot open the git "
			    "cache of", err);
		rc = gitcfg_fetch(g, remote, err);
		git_remote_free(remote);
		return rc;
	}
	if (gitcfg_clone(g, err) == -1)
		return -1;
	if ((rc = git_repository_open_bare(&g->repo, g->cache)) < 0)
		return gitcfg_git_error(g, rc, "cannot open the git cache of",
		    err);
	return 0;
}

/* First use of a URL: a bare clone in a temporary place, then renamed. */
static int
gitcfg_clone(struct gitcfg *g, struct es_err *err)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	char *tmp;
	int rc;

	tmp = xasprintf("%s.tmp.%ld", g->cache, (long)getpid());
	gitcfg_rm_rf(tmp);
	rc = git_repository_init(&repo, tmp, 1);
	if (rc == 0)
		rc = gitcfg_remote(&remote, repo, g->url);
	if (rc < 0) {
		gitcfg_git_error(g, rc, "cannot create the git cache for", err);
		goto fail;
	}
	if (gitcfg_fetch(g, remote, err) == -1)
		goto fail;
	git_remote_free(remote);
	git_repository_free(repo);
	if (rename(tmp, g->cache) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot rename '%s': %s", tmp,
		    strerror(errno));
		gitcfg_rm_rf(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
fail:
	git_remote_free(remote);
	git_repository_free(repo);
	gitcfg_rm_rf(tmp);
	free(tmp);
	return -1;
}

/* The ref (or the default branch) as a commit, and the tree at path. */
static int
gitcfg_resolve(struct gitcfg *g, struct es_err *err)
{
	git_object *obj = NULL, *commit = NULL;
	git_tree *root = NULL;
	git_tree_entry *ent = NULL;
	const char *ref = g->ref ? g->ref : g->default_branch;
	char *spec;
	size_t i;
	int rc = -1, hex;

	if (ref == NULL)
		ref = "master";
	{
		const char *cand[] = { "refs/remotes/origin/%s",
		    "refs/tags/%s", NULL };

		for (i = 0; cand[i] != NULL && obj == NULL; i++) {
			spec = xasprintf(cand[i], ref);
			if (git_revparse_single(&obj, g->repo, spec) != 0)
				obj = NULL;
			free(spec);
		}
	}
	hex = strlen(ref) >= 4 && strlen(ref) <= GIT_OID_HEXSZ &&
	    strspn(ref, "0123456789abcdefABCDEF") == strlen(ref);
	if (obj == NULL && hex && git_revparse_single(&obj, g->repo, ref) != 0)
		obj = NULL;
	if (obj == NULL)
		return es_err_set(err, ES_ENOTFOUND, "RefNotFound", "ref '%s' "
		    "not found in GitLab repository '%s' (no such branch, tag "
		    "or commit)", ref, g->url);
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) != 0) {
		es_err_set(err, ES_ENOTFOUND, "RefNotFound", "ref '%s' of '%s' "
		    "does not name a commit", ref, g->url);
		goto done;
	}
	git_oid_tostr(g->commit, sizeof g->commit, git_object_id(commit));
	if (git_commit_tree(&root, (git_commit *)commit) != 0) {
		gitcfg_git_error(g, -1, "cannot read the tree of", err);
		goto done;
	}
	if (*g->path == '\0') {
		g->tree = root;
		root = NULL;
	} else {
		if (git_tree_entry_bypath(&ent, root, g->path) != 0 ||
		    git_tree_entry_type(ent) != GIT_OBJECT_TREE) {
			es_err_set(err, ES_ENOTFOUND, "PathNotFound",
			    "path '%s' is not a directory in '%s' at '%s'",
			    g->path, g->url, ref);
			goto done;
		}
		if (git_tree_lookup(&g->tree, g->repo,
		    git_tree_entry_id(ent)) != 0) {
			gitcfg_git_error(g, -1, "cannot read a tree of", err);
			goto done;
		}
	}
	rc = 0;
done:
	git_tree_entry_free(ent);
	git_tree_free(root);
	git_object_free(commit);
	git_object_free(obj);
	return rc;
}

int
gitcfg_open(const struct gitcfg_opts *o, struct gitcfg **out,
    struct es_err *err)
{
	struct gitcfg_url u;
	struct gitcfg *g;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1], *lock, *p;
	mode_t mask;
	long waited = 0;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int rc;

	*out = NULL;
	if (gitcfg_parse_url(o->url, &u, err) == -1)
		return -1;
	git_libgit2_init();
	g = xcalloc(1, sizeof *g);
	g->lock_fd = -1;
	g->url = u.clean;
	u.clean = NULL;
	g->ref = o->ref && *o->ref ? xstrdup(o->ref) : u.ref ?
	    xstrdup(u.ref) : NULL;
	p = o->path && *o->path ? xstrdup(o->path) : u.path ?
	    xstrdup(u.path) : xstrdup("");
	/* "/a/b/" and "./a" name the same directory as "a/b" and "a" */
	while (p[0] == '/' || (p[0] == '.' && p[1] == '/'))
		memmove(p, p + (p[0] == '/' ? 1 : 2), strlen(p));
	while (*p != '\0' && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	if (strcmp(p, ".") == 0)
		*p = '\0';
	g->path = p;
	g->username = xstrdup(o->username && *o->username ? o->username :
	    u.user ? u.user : "oauth2");
	if (o->token != NULL && *o->token != '\0')
		g->token = xstrdup(o->token);
	else if (u.pass != NULL)
		g->token = xstrdup(u.pass);
	g->insecure = o->insecure;
	g->log = o->log;
	gitcfg_url_release(&u);
	if (strstr(g->path, "..") != NULL) {
		es_err_set(err, ES_EUSAGE, "InvalidPath", "invalid repository "
		    "path '%s': '..' is not allowed", g->path);
		goto fail;
	}

	if (o->ca_file != NULL && *o->ca_file != '\0') {
		if (access(o->ca_file, R_OK) == -1) {
			es_err_set(err, ES_EUSAGE, NULL, "cannot read "
			    "gitlab.ca_file '%s': %s", o->ca_file,
			    strerror(errno));
			goto fail;
		}
		if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		    o->ca_file, NULL) != 0) {
			gitcfg_git_error(g, -1, "cannot use gitlab.ca_file for",
			    err);
			goto fail;
		}
	}

	/* the clone of this URL, and its lock */
	if (util_mkdir_p(o->cache_dir, 0700, err) == -1)
		goto fail;
	git_odb_hash(&oid, g->url, strlen(g->url), GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof hex, &oid);
	hex[16] = '\0';
	g->cache = xasprintf("%s/%s", o->cache_dir, hex);
	lock = xasprintf("%s.lock", g->cache);
	g->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (g->lock_fd == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot open '%s': %s", lock,
		    strerror(errno));
		free(lock);
		goto fail;
	}
	while (flock(g->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    waited >= GITCFG_LOCK_WAIT_MS) {
			es_err_set(err, ES_ECONFLICT, "Locked",
			    "git cache '%s' is busy", g->cache);
			free(lock);
			goto fail;
		}
		nanosleep(&ts, NULL);
		waited += 100;
	}
	free(lock);

	/*
	 * libgit2 creates files with 0777/0666 less the umask: the clone,
	 * its hooks/ and every fetched object are private (0700/0600) like
	 * everything esctl writes.  Restored before returning.
	 */
	mask = umask(077);
	rc = gitcfg_sync(g, err);
	umask(mask);
	if (rc == -1)
		goto fail;
	if (gitcfg_resolve(g, err) == -1)
		goto fail;
	/* objects never change once written: reading needs no lock */
	close(g->lock_fd);
	g->lock_fd = -1;
	es_log(g->log, ES_LOG_INFO, "%s at %s: commit %s", g->url,
	    g->ref ? g->ref : g->default_branch ? g->default_branch : "HEAD",
	    g->commit);
	*out = g;
	return 0;
fail:
	gitcfg_free(g);
	return -1;
}

void
gitcfg_free(struct gitcfg *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nfiles; i++) {
		free(g->files[i].name);
		free(g->files[i].text);
	}
	free(g->files);
	doc_free(g->values);
	git_tree_free(g->tree);
	git_repository_free(g->repo);
	if (g->lock_fd != -1)
		close(g->lock_fd);
	free(g->url);
	free(g->ref);
	free(g->path);
	free(g->username);
	if (g->token != NULL) {
		memset(g->token, 0, strlen(g->token));
		free(g->token);
	}
	free(g->cache);
	free(g->default_branch);
	free(g);
	git_libgit2_shutdown();
}

const char *
gitcfg_url(const struct gitcfg *g)
{
	return g->url;
}

const char *
gitcfg_ref(const struct gitcfg *g)
{
	return g->ref ? g->ref : g->default_branch;
}

const char *
gitcfg_path(const struct gitcfg *g)
{
	return g->path;
}

const char *
gitcfg_commit(const struct gitcfg *g)
{
	return g->commit;
}

const char *
gitcfg_cache(const struct gitcfg *g)
{
	return g->cache;
}

int
gitcfg_read(struct gitcfg *g, const char *name, struct es_buf *out,
    struct es_err *err)
{
	git_tree_entry *ent = NULL;
	git_blob *blob = NULL;

	if (git_tree_entry_bypath(&ent, g->tree, name) != 0 ||
	    git_tree_entry_type(ent) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(ent);
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no file '%s%s"
		    "%s' in '%s' at commit %.12s", g->path, *g->path ? "/" :
		    "", name, g->url, g->commit);
	}
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(ent)) != 0) {
		git_tree_entry_free(ent);
		return gitcfg_git_error(g, -1, "cannot read a file of", err);
	}
	es_buf_add(out, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(ent);
	return 0;
}

/* Checks esctl.yaml against its schema (see gitcfg.h). */
static int
gitcfg_check_values(const struct doc_node *root, const char *name,
    struct es_err *err)
{
	static const char *top[] = { "defaults", "images", "elasticsearch",
	    "manifests", NULL };
	static const char *images[] = { "elasticsearch", "kibana", NULL };
	static const char *manifests[] = { "dir", "builtin", NULL };
	const struct doc_node *c, *k;
	const char **keys;
	int i, ok;

	if (root->type == DOC_NULL)
		return 0;
	if (root->type != DOC_MAP)
		return es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s:%u:%u: "
		    "expected a mapping, not a %s", name, root->line,
		    root->col, doc_type_name(root->type));
	for (c = root->child; c != NULL; c = c->next) {
		for (ok = 0, i = 0; top[i] != NULL; i++)
			if (strcmp(c->key, top[i]) == 0)
				ok = 1;
		if (!ok)
			return es_err_set(err, ES_EUSAGE, "UnknownKey",
			    "%s:%u:%u: unknown key '%s' (known: defaults, "
			    "images, elasticsearch, manifests)", name,
			    c->key_line, c->key_col, c->key);
		if (c->type == DOC_NULL)
			continue;
		if (c->type != DOC_MAP)
			return es_err_set(err, ES_EUSAGE, "InvalidConfig",
			    "%s:%u:%u: '%s' must be a mapping", name, c->line,
			    c->col, c->key);
		keys = strcmp(c->key, "images") == 0 ? images :
		    strcmp(c->key, "manifests") == 0 ? manifests : NULL;
		if (keys == NULL)
			continue;
		for (k = c->child; k != NULL; k = k->next) {
			for (ok = 0, i = 0; keys[i] != NULL; i++)
				if (strcmp(k->key, keys[i]) == 0)
					ok = 1;
			if (!ok)
				return es_err_set(err, ES_EUSAGE, "UnknownKey",
				    "%s:%u:%u: unknown key '%s.%s'", name,
				    k->key_line, k->key_col, c->key, k->key);
			if (strcmp(k->key, "builtin") == 0 ?
			    k->type != DOC_BOOL : doc_scalar(k) == NULL)
				return es_err_set(err, ES_EUSAGE,
				    "InvalidConfig", "%s:%u:%u: '%s.%s' must "
				    "be %s", name, k->line, k->col, c->key,
				    k->key, strcmp(k->key, "builtin") == 0 ?
				    "true or false" : "a string");
		}
	}
	return 0;
}

int
gitcfg_values(struct gitcfg *g, const struct doc_node **out,
    struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	struct es_err e2 = ES_ERR_INIT;
	char *name;
	int rc;

	*out = NULL;
	if (g->values_loaded) {
		*out = g->values;
		return 0;
	}
	if (gitcfg_read(g, "esctl.yaml", &b, &e2) == -1) {
		es_buf_release(&b);
		if (e2.code != ES_ENOTFOUND) {
			*err = e2;
			return -1;
		}
		g->values_loaded = 1;
		return 0;
	}
	name = xasprintf("%s%sesctl.yaml", g->path, *g->path ? "/" : "");
	rc = doc_parse(b.data, b.len, name, &g->values, err);
	if (rc == 0 && (rc = gitcfg_check_values(g->values, name, err)) ==
	    -1) {
		doc_free(g->values);
		g->values = NULL;
	}
	free(name);
	es_buf_release(&b);
	if (rc == -1) {
		err->code = ES_EUSAGE;
		return -1;
	}
	g->values_loaded = 1;
	*out = g->values;
	return 0;
}

int
gitcfg_builtin(struct gitcfg *g)
{
	const struct doc_node *n = doc_path(g->values, "manifests.builtin");

	return n == NULL || n->type != DOC_BOOL || n->boolean;
}

int
gitcfg_manifests(struct gitcfg *g, const struct gitcfg_file **files,
    size_t *n, struct es_err *err)
{
	const struct doc_node *values, *dn;
	git_tree_entry *ent = NULL;
	git_tree *dir = NULL;
	const git_tree_entry *e;
	git_blob *blob;
	const char *dname, *name;
	size_t i, len;

	*files = NULL;
	*n = 0;
	if (g->files_loaded) {
		*files = g->files;
		*n = g->nfiles;
		return 0;
	}
	if (gitcfg_values(g, &values, err) == -1)
		return -1;
	dn = doc_path(values, "manifests.dir");
	dname = doc_scalar(dn) ? doc_scalar(dn) : "manifests";
	if (git_tree_entry_bypath(&ent, g->tree, dname) != 0 ||
	    git_tree_entry_type(ent) != GIT_OBJECT_TREE) {
		git_tree_entry_free(ent);
		if (dn != NULL)
			return es_err_set(err, ES_ENOTFOUND, "NotFound",
			    "manifests.dir '%s' is not a directory in '%s' at "
			    "commit %.12s", dname, g->url, g->commit);
		g->files_loaded = 1;
		return 0;
	}
	if (git_tree_lookup(&dir, g->repo, git_tree_entry_id(ent)) != 0) {
		git_tree_entry_free(ent);
		return gitcfg_git_error(g, -1, "cannot read manifests of", err);
	}
	git_tree_entry_free(ent);
	for (i = 0; i < git_tree_entrycount(dir); i++) {
		e = git_tree_entry_byindex(dir, i);
		name = git_tree_entry_name(e);
		len = strlen(name);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || name[0] == '.')
			continue;
		if (!((len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
		    (len > 4 && strcmp(name + len - 4, ".yml") == 0) ||
		    (len > 5 && strcmp(name + len - 5, ".json") == 0)))
			continue;
		if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(e)) !=
		    0) {
			git_tree_free(dir);
			return gitcfg_git_error(g, -1, "cannot read manifests "
			    "of", err);
		}
		g->files = xreallocarray(g->files, g->nfiles + 1,
		    sizeof *g->files);
		g->files[g->nfiles].name = xasprintf("%s%s%s/%s", g->path,
		    *g->path ? "/" : "", dname, name);
		g->files[g->nfiles].len = (size_t)git_blob_rawsize(blob);
		g->files[g->nfiles].text = xmalloc(g->files[g->nfiles].len +
		    1);
		memcpy(g->files[g->nfiles].text, git_blob_rawcontent(blob),
		    g->files[g->nfiles].len);
		g->files[g->nfiles].text[g->files[g->nfiles].len] = '\0';
		g->nfiles++;
		git_blob_free(blob);
	}
	git_tree_free(dir);
	g->files_loaded = 1;
	*files = g->files;
	*n = g->nfiles;
	return 0;
}

int
gitcfg_substitute(const char *text, size_t len, const char *name,
    const char *(*lookup)(void *, const char *), void *arg,
    struct es_buf *out, struct es_err *err)
{
	const char *p = text, *end = text + len, *close, *v;
	char var[128];
	unsigned line = 1;
	size_t vl;

	while (p < end) {
		if (*p == '\n')
			line++;
		if (*p != '$' || p + 1 >= end) {
			es_buf_addch(out, *p++);
			continue;
		}
		if (p[1] == '$') {
			es_buf_addch(out, '$');
			p += 2;
			continue;
		}
		if (p[1] != '{') {
			es_buf_addch(out, *p++);
			continue;
		}
		close = memchr(p + 2, '}', (size_t)(end - p - 2));
		if (close == NULL || memchr(p + 2, '\n', (size_t)(close - p -
		    2)) != NULL)
			return es_err_set(err, ES_EUSAGE, "InvalidManifest",
			    "%s:%u: unclosed '${'", name, line);
		vl = (size_t)(close - p - 2);
		if (vl == 0 || vl >= sizeof var)
			return es_err_set(err, ES_EUSAGE, "InvalidManifest",
			    "%s:%u: invalid variable name", name, line);
		memcpy(var, p + 2, vl);
		var[vl] = '\0';
		if ((v = lookup(arg, var)) == NULL)
			return es_err_set(err, ES_EUSAGE, "InvalidManifest",
			    "%s:%u: undefined variable ${%s}", name, line, var);
		es_buf_adds(out, v);
		p = close + 1;
	}
	return 0;
}
