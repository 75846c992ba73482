/*
 * promapi.c - instant queries against Prometheus's HTTP API (libcurl).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "buf.h"
#include "promapi.h"
#include "util.h"

#define PROMAPI_BODY_MAX	(16 * 1024 * 1024)

static size_t	 promapi_write(char *, size_t, size_t, void *);
static int	 promapi_sample(const cJSON *, double *);

static size_t
promapi_write(char *p, size_t size, size_t n, void *arg)
{
	struct es_buf *b = arg;
	size_t len = size * n;

	if (b->len + len > PROMAPI_BODY_MAX)
		return 0;	/* too large: the transfer fails */
	es_buf_add(b, p, len);
	return len;
}

/* The value of a [time, "value"] pair; 0, or -1 when malformed. */
static int
promapi_sample(const cJSON *pair, double *v)
{
	const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 1));
	char *end;

	if (s == NULL)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (*end != '\0' || end == s)
		return -1;
	return 0;
}

int
promapi_query(const char *base_url, const char *query, time_t at,
    long timeout_ms, double *value, struct es_err *err)
{
	struct es_buf url = ES_BUF_INIT, body = ES_BUF_INIT;
	char errbuf[CURL_ERROR_SIZE], *enc, *part = NULL;
	const cJSON *data, *result, *r;
	CURLU *u;
	const char *status, *type;
	cJSON *j = NULL;
	CURL *c;
	CURLcode cc;
	long code = 0;
	double v, sum = 0;
	int n = 0, rc = -1;

	*value = NAN;
	if (!util_url_is_http(base_url))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "Prometheus address '%s': use http://host:port",
		    base_url ? base_url : "");
	if ((c = curl_easy_init()) == NULL)
		return es_err_set(err, ES_EFAIL, NULL, "cannot initialise "
		    "libcurl");
	/* BASE[/prefix]/api/v1/query?query=Q[&time=T], built by libcurl */
	if ((u = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &part, 0) != CURLUE_OK)
		fatal("curl_url: cannot read a checked URL");
	es_buf_adds(&url, part);
	curl_free(part);
	while (url.len > 0 && url.data[url.len - 1] == '/')
		es_buf_truncate(&url, url.len - 1);
	es_buf_adds(&url, "/api/v1/query");
	curl_url_set(u, CURLUPART_PATH, url.data, 0);
	es_buf_reset(&url);
	enc = curl_easy_escape(c, query, 0);
	es_buf_addf(&url, "query=%s", enc);
	curl_free(enc);
	if (at > 0)
		es_buf_addf(&url, "&time=%lld", (long long)at);
	curl_url_set(u, CURLUPART_QUERY, url.data, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &part, 0) != CURLUE_OK)
		fatal("curl_url: out of memory");
	curl_url_cleanup(u);
	es_buf_reset(&url);
	es_buf_adds(&url, part);
	curl_free(part);
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, promapi_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "esctl/" ESCTL_VERSION);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		es_err_set(err, ES_EREMOTE, "PrometheusUnavailable", "cannot "
		    "query Prometheus at '%s': %s", base_url, errbuf[0] ?
		    errbuf : curl_easy_strerror(cc));
		goto done;
	}
	j = cJSON_ParseWithLength(body.data, body.len);
	status = cJSON_GetStringValue(cJSON_GetObjectItem(j, "status"));
	if (status != NULL && strcmp(status, "error") == 0) {
		es_err_set(err, ES_EREMOTE, "PrometheusError", "Prometheus at "
		    "'%s' refused the query '%s': %s (%s)", base_url, query,
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")) ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")) : "",
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "errorType")) ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(j, "errorType")) :
		    "error");
		goto done;
	}
	if (code < 200 || code > 299 || status == NULL ||
	    strcmp(status, "success") != 0) {
		es_err_set(err, ES_EREMOTE, "PrometheusError", "Prometheus at "
		    "'%s' answered HTTP %ld to the query API", base_url, code);
		goto done;
	}
	data = cJSON_GetObjectItem(j, "data");
	type = cJSON_GetStringValue(cJSON_GetObjectItem(data, "resultType"));
	result = cJSON_GetObjectItem(data, "result");
	if (type != NULL && strcmp(type, "vector") == 0) {
		cJSON_ArrayForEach(r, result) {
			if (promapi_sample(cJSON_GetObjectItem(r, "value"),
			    &v) == -1)
				goto malformed;
			sum += v;
			n++;
		}
	} else if (type != NULL && strcmp(type, "scalar") == 0) {
		if (promapi_sample(result, &v) == -1)
			goto malformed;
		sum = v;
		n = 1;
	} else {
		es_err_set(err, ES_EUSAGE, "Invalid", "query '%s' on '%s' "
		    "gives a %s, not a vector or a scalar", query, base_url,
		    type ? type : "malformed answer");
		goto done;
	}
	*value = n > 0 ? sum : NAN;
	rc = 0;
	goto done;
malformed:
	es_err_set(err, ES_EREMOTE, "PrometheusError", "Prometheus at '%s' "
	    "sent a malformed sample for '%s'", base_url, query);
done:
	cJSON_Delete(j);
	es_buf_release(&url);
	es_buf_release(&body);
	return rc;
}
