/*
 * fuzz-metrics.c - libFuzzer target for the plugin metrics reports
 * (`metrics ingest`, `metrics serve`'s POST /report): one JSON object, an
 * array of objects, or NDJSON, validated and stored by metrics_ingest()
 * in a real SQLite store.
 *
 * The store is a scratch file made once, with two ES services
 * (ns-a: 3 replicas, ns-b: 1).  The first byte of the input picks the
 * options: bit 0 skip_invalid, bit 1 dry_run, bit 2 the caller's
 * transaction (as the server does: the batch is a savepoint, rolled
 * back after the call), else metrics_ingest's own transaction (and the
 * rows are deleted after the call).
 *
 * Properties checked on every input:
 *  - ingesting never crashes or leaks;
 *  - a failure carries an exit class and a message;
 *  - every record is counted once: accepted + rejected == records, and
 *    the rejects listed are min(rejected, METRICS_MAX_REJECTS);
 *  - a batch with a rejected record and no skip_invalid stores nothing
 *    and says so in err; a dry run stores nothing; what is stored is
 *    at most what was accepted;
 *  - the fast path of plain reports and cJSON (opts.slow_parse) agree:
 *    the same return, error, counts, reasons and stored rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "metrics.h"
#include "store.h"
#include "util.h"

#include "fuzz-store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	1796644800	/* 2026-12-07T12:00:00Z */

static struct store *fuzz_st;

static long long
fuzz_count(void)
{
	struct es_err err = ES_ERR_INIT;
	long long n = -1;

	if (store_query_int(fuzz_st, &err, &n, -1, "SELECT count(*) FROM "
	    "metric_report", NULL) == -1)
		abort();
	return n;
}

static void
fuzz_init(void)
{
	struct es_err err = ES_ERR_INIT;

	fuzz_st = fuzz_store_open("metrics");
	if (store_exec(fuzz_st, &err, "INSERT INTO deployment_status (id, "
	    "tenant_org_id, namespace, user, service_name, status, replicas, "
	    "created_at, updated_at) VALUES ('d1', 'o', 'ns-a', 'u', 'a', "
	    "'running', 3, 'x', 'x'), ('d2', 'o', 'ns-b', 'u', 'b', "
	    "'running', 1, 'x', 'x'), ('d3', 'o', 'ns-gone', 'u', 'g', "
	    "'deleted', 1, 'x', 'x')", NULL) == -1)
		abort();
}

/* The stored rows, every value, as text (NULL: none). */
static char *
fuzz_rows(void)
{
	struct es_err err = ES_ERR_INIT;
	cJSON *rows = NULL;
	char *s;

	if (store_query_json(fuzz_st, &err, &rows, "SELECT namespace, ts, "
	    "container_name, quote(cpu_usage), quote(memory_usage), "
	    "quote(disk_usage), quote(qps), quote(startup_cpu), "
	    "quote(startup_memory), quote(startup_disk), quote(plugin_qps), "
	    "status FROM metric_report ORDER BY 1, 2, 3", NULL) == -1)
		abort();
	s = cJSON_PrintUnformatted(rows);
	cJSON_Delete(rows);
	return s;
}

/*
 * The same input through cJSON only (opts.slow_parse) gives the same
 * outcome as metrics_ingest's fast path of plain reports: return, error,
 * counts, rejects with their reasons and the rows stored.  Called with
 * the fast path's rows still in the store (its transaction open when
 * o->in_tx); they are compared, then the slow run is undone.
 */
static void
fuzz_same_slow(const struct metrics_opts *o, const uint8_t *data,
    size_t size, int rc, const struct metrics_result *r,
    const struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;
	struct metrics_opts so = *o;
	struct metrics_result sr;
	char *rows, *srows, *rj, *srj;
	int src;

	rows = fuzz_rows();
	if (so.in_tx) {
		/* the fast run's rows go; the slow run starts from none */
		if (store_exec(fuzz_st, &e2, "DELETE FROM metric_report", NULL)
		    == -1 || store_exec(fuzz_st, &e2, "DELETE FROM "
		    "metric_latest", NULL) == -1)
			abort();
	} else if (store_exec(fuzz_st, &e2, "DELETE FROM metric_report",
	    NULL) == -1 || store_exec(fuzz_st, &e2, "DELETE FROM "
	    "metric_latest", NULL) == -1)
		abort();
	so.slow_parse = 1;
	src = metrics_ingest(fuzz_st, (const char *)data, size, &so, NULL,
	    &sr, &e2);
	srows = fuzz_rows();
	rj = cJSON_PrintUnformatted(r->rejects);
	srj = cJSON_PrintUnformatted(sr.rejects);
	if (src != rc || sr.records != r->records ||
	    sr.accepted != r->accepted || sr.rejected != r->rejected ||
	    sr.fast != 0 || strcmp(rows, srows) != 0 ||
	    (rj != NULL) != (srj != NULL) || (rj != NULL &&
	    strcmp(rj, srj) != 0) || ((rc == -1 || r->rejected > 0) &&
	    (e2.code != err->code || strcmp(e2.msg, err->msg) != 0)))
		abort();
	free(rows);
	free(srows);
	free(rj);
	free(srj);
	metrics_result_release(&sr);
	/* the store as the fast run left it for the checks below */
	if (!so.in_tx && (store_exec(fuzz_st, &e2, "DELETE FROM "
	    "metric_report", NULL) == -1 || store_exec(fuzz_st, &e2,
	    "DELETE FROM metric_latest", NULL) == -1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_err err = ES_ERR_INIT;
	struct metrics_opts o;
	struct metrics_result r;
	unsigned pick = size > 0 ? data[0] : 0;
	long long stored;
	size_t listed;
	int rc;

	if (fuzz_st == NULL)
		fuzz_init();
	if (size > 0) {
		data++;
		size--;
	}
	memset(&o, 0, sizeof o);
	o.skip_invalid = pick & 1;
	o.dry_run = (pick & 2) != 0;
	o.in_tx = (pick & 4) != 0;
	o.now = FUZZ_NOW;
	if (o.in_tx && store_begin(fuzz_st, &err) == -1)
		abort();
	rc = metrics_ingest(fuzz_st, (const char *)data, size, &o, NULL, &r,
	    &err);
	stored = fuzz_count();
	fuzz_same_slow(&o, data, size, rc, &r, &err);
	if (o.in_tx)
		store_rollback(fuzz_st);
	else if (store_exec(fuzz_st, &err, "DELETE FROM metric_report",
	    NULL) == -1 || store_exec(fuzz_st, &err, "DELETE FROM "
	    "metric_latest", NULL) == -1)
		abort();
	if (rc == -1) {
		if (err.code == 0 || err.msg[0] == '\0' || stored != 0)
			abort();
	} else {
		listed = (size_t)cJSON_GetArraySize(r.rejects);
		if (r.accepted + r.rejected != r.records && !(r.rejected > 0 &&
		    !o.skip_invalid))
			abort();
		if (listed != (r.rejected < METRICS_MAX_REJECTS ? r.rejected :
		    METRICS_MAX_REJECTS))
			abort();
		if (r.rejected > 0 && !o.skip_invalid && (r.accepted != 0 ||
		    err.code != ES_EUSAGE || stored != 0))
			abort();
		if (o.dry_run && stored != 0)
			abort();
		if (stored < 0 || (unsigned long long)stored > r.accepted)
			abort();
	}
	metrics_result_release(&r);
	return 0;
}
