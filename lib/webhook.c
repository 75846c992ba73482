/*
 * webhook.c - one JSON POST on a fresh connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "webhook.h"

#define WEBHOOK_TIMEOUT_MS	5000

static size_t	webhook_discard(char *, size_t, size_t, void *);

static size_t
webhook_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
webhook_post(const struct webhook_req *r, long *status, char *why,
    size_t whylen)
{
	struct curl_slist *h = NULL;
	long timeout = r->timeout_ms > 0 ? r->timeout_ms : WEBHOOK_TIMEOUT_MS;
	long code = 0;
	CURLcode rc;
	CURL *c;
	size_t i;

	*status = 0;
	if ((c = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "cannot initialise libcurl");
		return -1;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++)
		h = curl_slist_append(h, r->headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "esctl/" ESCTL_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_discard);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	*status = code;
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		snprintf(why, whylen, "HTTP %ld", code);
		return -1;
	}
	return 0;
}
