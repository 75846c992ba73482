/*
 * dashhtml.h - the work-bench document (dashboard.h) as one
 * self-contained HTML page: inline CSS, inline SVG charts drawn here (line
 * charts with threshold mark lines, a pie chart), no script, no network,
 * no external file.  Every text from the document is HTML-escaped.
 * Readable on a phone (responsive grid, tables scroll sideways) and
 * printable (@media print).
 *
 * The live page of `dashboard serve` is the same page with a small inline
 * script that polls a JSON endpoint and swaps the <main> element, and, when
 * actions are allowed, approve/reject/execute buttons.
 */
#ifndef ESCTL_DASHHTML_H
#define ESCTL_DASHHTML_H

#include <cjson/cJSON.h>

#include "buf.h"

struct dashhtml_opts {
	/* live page: poll this path (e.g. "/api/dashboard"); NULL: static */
	const char	*poll_path;
	int		 poll_seconds;
	/* live page with action buttons, protected by this CSRF token */
	int		 actions;
	const char	*csrf_token;
};

/* Appends s to b with & < > " ' escaped and control characters as '?'. */
void	dashhtml_escape(struct es_buf *b, const char *s);

/* Appends the <main> element of the page (what the live page swaps). */
void	dashhtml_main(struct es_buf *b, const cJSON *doc,
	    const struct dashhtml_opts *o);

/* Appends the whole page. */
void	dashhtml_page(struct es_buf *b, const cJSON *doc,
	    const struct dashhtml_opts *o);

#endif
