/*
 * err.h - the caller-owned error every fallible lib/ call fills.
 *
 * lib/ never prints and never exits.  A fallible function has the shape
 *
 *	int f(..., struct es_err *err);		returns 0, or -1 with *err set
 *
 * err->code is one of the exit classes below (SPEC §2), err->reason a short
 * CamelCase machine word (for Kubernetes errors, the Status reason, e.g.
 * "AlreadyExists"), and err->msg a complete lower-case message that can be
 * shown as-is after "esctl: error: ".  Only cmd/esctl.c turns it into output
 * and an exit status.
 */
#ifndef ESCTL_ERR_H
#define ESCTL_ERR_H

#include <stdarg.h>

#include "xmalloc.h"

/* Exit codes; documented in esctl(1) EXIT STATUS. */
enum es_exit {
	ES_OK = 0,
	ES_EFAIL = 1,		/* generic failure */
	ES_EUSAGE = 2,		/* usage error, bad input */
	ES_ENOTFOUND = 3,	/* object not found */
	ES_ECONFLICT = 4,	/* conflict, already exists, wrong state */
	ES_EQUOTA = 5,		/* quota exceeded */
	ES_EREMOTE = 6,		/* remote failure after retries */
	ES_EPERM = 7		/* permission denied (tenant scope, 401/403) */
};

#define ES_ERR_REASON_MAX	64
#define ES_ERR_MSG_MAX		2048

struct es_err {
	int	code;				/* enum es_exit; 0 when unset */
	char	reason[ES_ERR_REASON_MAX];	/* e.g. "NotFound" */
	char	msg[ES_ERR_MSG_MAX];		/* complete message */
};

#define ES_ERR_INIT	{ 0, "", "" }

void	 es_err_clear(struct es_err *);
/*
 * Sets the error and returns -1, so "return es_err_set(err, ...)" reads
 * well.  reason may be NULL (a default is derived from the code).  err may
 * be NULL, in which case only -1 is returned.
 */
int	 es_err_set(struct es_err *, int, const char *, const char *, ...)
	    ES_PRINTF(4, 5);
int	 es_err_vset(struct es_err *, int, const char *, const char *, va_list)
	    ES_PRINTF(4, 0);
/* Prefixes the existing message with "prefix: ", keeping code/reason. */
int	 es_err_prefix(struct es_err *, const char *, ...) ES_PRINTF(2, 3);
/* Default reason word for an exit code ("NotFound", "Conflict", ...). */
const char *es_err_reason_for(int);

#endif
