/*
 * promapi.h - instant queries against Prometheus's HTTP API
 * (GET /api/v1/query), for resource usage of clusters that have a
 * Prometheus.
 */
#ifndef ESCTL_PROMAPI_H
#define ESCTL_PROMAPI_H

#include <time.h>

#include "err.h"

/*
 * Evaluates query at `at` (0: the server's now) on the Prometheus at
 * base_url ("http://prom:9090", a path prefix allowed).  *value gets the
 * sum of the samples of a vector result (or a scalar's value), NAN when
 * the result is empty.  A transport error, a non-2xx answer or a
 * Prometheus error ("status": "error", with its errorType and error) is
 * ES_EREMOTE naming the server; an invalid base URL ES_EUSAGE.
 */
int	promapi_query(const char *base_url, const char *query, time_t at,
	    long timeout_ms, double *value, struct es_err *err);

#endif
