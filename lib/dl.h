/*
 * dl.h - shared libraries opened on first use.
 *
 * libcurl and libgit2 are not linked into esctl: lib/dl_curl.c and
 * lib/dl_git2.c define the functions esctl calls, with the libraries' own
 * prototypes, and forward each call to the library opened here the first
 * time one of them is used.  A command that never talks HTTP or git (a
 * search, a tenant listing, a strategy check) starts without loading the
 * two libraries and the 35 others they depend on, which was two thirds of
 * esctl's start-up time.
 */
#ifndef ESCTL_DL_H
#define ESCTL_DL_H

#include <stddef.h>

typedef void (*dl_fn)(void);

struct dl_lib {
	const char		*soname;	/* e.g. "libcurl.so.4" */
	const char		*package;	/* the Debian package with it */
	const char *const	*names;		/* symbols, in table order */
	size_t			 n;
	dl_fn			*fns;		/* n entries, set by dl_load */
};

/*
 * Opens lib->soname and resolves every name into lib->fns.  A library or
 * symbol that cannot be loaded is an installation error, like a missing
 * library at start-up: the message names the soname, the symbol and the
 * Debian package, and the process exits with status 1.
 */
void	dl_load(struct dl_lib *);

/*
 * The entry at index i of a library's table, loading it once (callers
 * keep a pthread_once_t per library).  Cast to the function's type with
 * DL_TYPE.
 */
#define DL_TYPE(name)	__typeof__(&(name))

#endif
