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
 *    at most what was accepted.
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
