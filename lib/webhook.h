/*
 * webhook.h - one JSON POST to a receiver outside esctl (maintenance
 * callbacks, provisioning hooks), on a connection of its own.
 *
 * libcurl never re-sends the request on a reused connection that turned
 * out dead (a fresh connection is used and closed), so a POST reaches the
 * receiver at most once per call; retrying is the caller's decision.
 */
#ifndef ESCTL_WEBHOOK_H
#define ESCTL_WEBHOOK_H

#include <stddef.h>

struct webhook_req {
	const char		*url;
	const char		*body;		/* JSON */
	const char *const	*headers;	/* "Name: value", NULL-ended */
	long			 timeout_ms;	/* 0: 5000 */
};

/*
 * Sends the POST.  *status gets the HTTP status (0 when no answer).
 * Returns 0 for a 2xx answer, else -1 with a short reason in why (never
 * the URL's userinfo or a header value).
 */
int	webhook_post(const struct webhook_req *, long *status, char *why,
	    size_t whylen);

#endif
