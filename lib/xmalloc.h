/*
 * xmalloc.h - allocators that cannot fail.
 *
 * Every function here either succeeds or terminates the process through
 * fatal(): running out of memory is the one error esctl does not try to
 * recover from (tmux xmalloc, git xmalloc).  fatal() is also the place for
 * broken internal invariants (git BUG()).  Nothing else in lib/ exits.
 */
#ifndef ESCTL_XMALLOC_H
#define ESCTL_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define ES_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define ES_NORETURN	__attribute__((noreturn))
#else
#define ES_PRINTF(f, a)
#define ES_NORETURN
#endif

/* Returns new memory; caller frees.  Never returns NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* realloc for nmemb * size with overflow check. */
void	*xreallocarray(void *, size_t, size_t);
/* Returns a new string; caller frees. */
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) ES_PRINTF(1, 2);
char	*xvasprintf(const char *, va_list) ES_PRINTF(1, 0);

/* Prints "esctl: fatal: ..." to stderr and aborts.  OOM and BUG only. */
void	 fatal(const char *, ...) ES_PRINTF(1, 2) ES_NORETURN;

#endif
