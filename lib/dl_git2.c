/*
 * dl_git2.c - the libgit2 functions esctl uses, forwarded to libgit2
 * opened on first use (see dl.h).  The definitions carry the prototypes
 * of <git2.h>, so the compiler checks each one against libgit2's header.
 */
#include <pthread.h>
#include <stdarg.h>

#include <git2.h>

#include "dl.h"

#ifndef ESCTL_GIT2_SONAME
#define ESCTL_GIT2_SONAME	"libgit2.so.1.5"
#endif

#define GIT_FUNCS(X) \
	X(git_libgit2_init) X(git_libgit2_shutdown) \
	X(git_libgit2_opts) X(git_error_last) X(git_error_set_str) \
	X(git_buf_dispose) X(git_repository_init) \
	X(git_repository_open_bare) X(git_repository_free) \
	X(git_remote_create_options_init) \
	X(git_remote_create_with_opts) X(git_remote_init_callbacks) \
	X(git_fetch_options_init) X(git_remote_connect) \
	X(git_remote_default_branch) X(git_remote_download) \
	X(git_remote_update_tips) X(git_remote_prune) \
	X(git_remote_disconnect) X(git_remote_free) \
	X(git_credential_userpass_plaintext_new) \
	X(git_revparse_single) X(git_object_peel) X(git_object_id) \
	X(git_object_free) X(git_commit_tree) X(git_tree_lookup) \
	X(git_tree_free) X(git_tree_entrycount) \
	X(git_tree_entry_byindex) X(git_tree_entry_bypath) \
	X(git_tree_entry_name) X(git_tree_entry_type) \
	X(git_tree_entry_id) X(git_tree_entry_free) \
	X(git_blob_lookup) X(git_blob_rawcontent) X(git_blob_rawsize) \
	X(git_blob_free) X(git_odb_hash) X(git_oid_tostr) \
	X(git_libgit2_version)

#define GIT_ENUM(name)	DL_##name,
#define GIT_NAME(name)	#name,
enum { GIT_FUNCS(GIT_ENUM) DL_GIT_COUNT };
static const char *const git_names[] = { GIT_FUNCS(GIT_NAME) };

/* Written once under pthread_once and only read afterwards. */
static dl_fn git_fns[DL_GIT_COUNT];
static struct dl_lib git_lib = {
	ESCTL_GIT2_SONAME, "libgit2-1.5", git_names, DL_GIT_COUNT, git_fns
};
static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void
git_load(void)
{
	dl_load(&git_lib);
}

static dl_fn
git_fn(int i)
{
	pthread_once(&git_once, git_load);
	return git_fns[i];
}

#define GIT_CALL(name)	((DL_TYPE(name))git_fn(DL_##name))

/*
 * Only the options esctl sets are forwarded: their arguments differ in
 * number and type from one option to the next.
 */
int
(git_libgit2_opts)(int option, ...)
{
	int (*f)(int, ...) = GIT_CALL(git_libgit2_opts);
	const char *file, *path;
	va_list ap;
	int rc = -1;

	va_start(ap, option);
	switch (option) {
	case GIT_OPT_SET_SSL_CERT_LOCATIONS:
		file = va_arg(ap, const char *);
		path = va_arg(ap, const char *);
		rc = f(option, file, path);
		break;
	default:
		GIT_CALL(git_error_set_str)(GIT_ERROR_INVALID,
		    "option not forwarded by esctl");
		break;
	}
	va_end(ap);
	return rc;
}

int
(git_libgit2_init)(void)
{
	return GIT_CALL(git_libgit2_init)();
}

int
(git_libgit2_shutdown)(void)
{
	return GIT_CALL(git_libgit2_shutdown)();
}

const git_error *
(git_error_last)(void)
{
	return GIT_CALL(git_error_last)();
}

int
(git_error_set_str)(int error_class, const char *string)
{
	return GIT_CALL(git_error_set_str)(error_class, string);
}

void
(git_buf_dispose)(git_buf *buffer)
{
	GIT_CALL(git_buf_dispose)(buffer);
}

int
(git_repository_init)(git_repository **out, const char *path, unsigned is_bare)
{
	return GIT_CALL(git_repository_init)(out, path, is_bare);
}

int
(git_repository_open_bare)(git_repository **out, const char *bare_path)
{
	return GIT_CALL(git_repository_open_bare)(out, bare_path);
}

void
(git_repository_free)(git_repository *repo)
{
	GIT_CALL(git_repository_free)(repo);
}

int
(git_remote_create_options_init)(git_remote_create_options *opts, unsigned int
    version)
{
	return GIT_CALL(git_remote_create_options_init)(opts, version);
}

int
(git_remote_create_with_opts)(git_remote **out, const char *url, const
    git_remote_create_options *opts)
{
	return GIT_CALL(git_remote_create_with_opts)(out, url, opts);
}

int
(git_remote_init_callbacks)(git_remote_callbacks *opts, unsigned int version)
{
	return GIT_CALL(git_remote_init_callbacks)(opts, version);
}

int
(git_fetch_options_init)(git_fetch_options *opts, unsigned int version)
{
	return GIT_CALL(git_fetch_options_init)(opts, version);
}

int
(git_remote_connect)(git_remote *remote, git_direction direction, const
    git_remote_callbacks *callbacks, const git_proxy_options *proxy_opts, const
    git_strarray *custom_headers)
{
	return GIT_CALL(git_remote_connect)(remote, direction, callbacks,
	    proxy_opts, custom_headers);
}

int
(git_remote_default_branch)(git_buf *out, git_remote *remote)
{
	return GIT_CALL(git_remote_default_branch)(out, remote);
}

int
(git_remote_download)(git_remote *remote, const git_strarray *refspecs, const
    git_fetch_options *opts)
{
	return GIT_CALL(git_remote_download)(remote, refspecs, opts);
}

int
(git_remote_update_tips)(git_remote *remote, const git_remote_callbacks
    *callbacks, int update_fetchhead, git_remote_autotag_option_t download_tags,
    const char *reflog_message)
{
	return GIT_CALL(git_remote_update_tips)(remote, callbacks,
	    update_fetchhead, download_tags, reflog_message);
}

int
(git_remote_prune)(git_remote *remote, const git_remote_callbacks *callbacks)
{
	return GIT_CALL(git_remote_prune)(remote, callbacks);
}

int
(git_remote_disconnect)(git_remote *remote)
{
	return GIT_CALL(git_remote_disconnect)(remote);
}

void
(git_remote_free)(git_remote *remote)
{
	GIT_CALL(git_remote_free)(remote);
}

int
(git_credential_userpass_plaintext_new)(git_credential **out, const char
    *username, const char *password)
{
	return GIT_CALL(git_credential_userpass_plaintext_new)(out, username,
	    password);
}

int
(git_revparse_single)(git_object **out, git_repository *repo, const char *spec)
{
	return GIT_CALL(git_revparse_single)(out, repo, spec);
}

int
(git_object_peel)(git_object **peeled, const git_object *object, git_object_t
    target_type)
{
	return GIT_CALL(git_object_peel)(peeled, object, target_type);
}

const git_oid *
(git_object_id)(const git_object *obj)
{
	return GIT_CALL(git_object_id)(obj);
}

void
(git_object_free)(git_object *object)
{
	GIT_CALL(git_object_free)(object);
}

int
(git_commit_tree)(git_tree **tree_out, const git_commit *commit)
{
	return GIT_CALL(git_commit_tree)(tree_out, commit);
}

int
(git_tree_lookup)(git_tree **out, git_repository *repo, const git_oid *id)
{
	return GIT_CALL(git_tree_lookup)(out, repo, id);
}

void
(git_tree_free)(git_tree *tree)
{
	GIT_CALL(git_tree_free)(tree);
}

size_t
(git_tree_entrycount)(const git_tree *tree)
{
	return GIT_CALL(git_tree_entrycount)(tree);
}

const git_tree_entry *
(git_tree_entry_byindex)(const git_tree *tree, size_t idx)
{
	return GIT_CALL(git_tree_entry_byindex)(tree, idx);
}

int
(git_tree_entry_bypath)(git_tree_entry **out, const git_tree *root, const char
    *path)
{
	return GIT_CALL(git_tree_entry_bypath)(out, root, path);
}

const char *
(git_tree_entry_name)(const git_tree_entry *entry)
{
	return GIT_CALL(git_tree_entry_name)(entry);
}

git_object_t
(git_tree_entry_type)(const git_tree_entry *entry)
{
	return GIT_CALL(git_tree_entry_type)(entry);
}

const git_oid *
(git_tree_entry_id)(const git_tree_entry *entry)
{
	return GIT_CALL(git_tree_entry_id)(entry);
}

void
(git_tree_entry_free)(git_tree_entry *entry)
{
	GIT_CALL(git_tree_entry_free)(entry);
}

int
(git_blob_lookup)(git_blob **blob, git_repository *repo, const git_oid *id)
{
	return GIT_CALL(git_blob_lookup)(blob, repo, id);
}

const void *
(git_blob_rawcontent)(const git_blob *blob)
{
	return GIT_CALL(git_blob_rawcontent)(blob);
}

git_object_size_t
(git_blob_rawsize)(const git_blob *blob)
{
	return GIT_CALL(git_blob_rawsize)(blob);
}

void
(git_blob_free)(git_blob *blob)
{
	GIT_CALL(git_blob_free)(blob);
}

int
(git_odb_hash)(git_oid *out, const void *data, size_t len, git_object_t type)
{
	return GIT_CALL(git_odb_hash)(out, data, len, type);
}

char *
(git_oid_tostr)(char *out, size_t n, const git_oid *id)
{
	return GIT_CALL(git_oid_tostr)(out, n, id);
}

int
(git_libgit2_version)(int *major, int *minor, int *rev)
{
	return GIT_CALL(git_libgit2_version)(major, minor, rev);
}
