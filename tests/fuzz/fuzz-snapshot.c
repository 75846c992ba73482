/*
 * fuzz-snapshot.c - libFuzzer target for the snapshot import parser
 * (CSV, JSON arrays, JSON Lines).
 *
 * Built and run by `make fuzz` (scripts/fuzz); the seed corpus is
 * testdata/fuzz/snapshot/.  Parsing must never crash or leak: it either
 * gives snapshots with finite, non-negative derived values, or fails with
 * an exit class and a message.  The first byte picks the format (by the
 * name's extension, or forced).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "snapshot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static int	fuzz_resolve(void *, const char *, long long *,
		    struct es_err *);

/* Clusters 1 to 9 exist, by id or as "c1" to "c9". */
static int
fuzz_resolve(void *arg, const char *ref, long long *id, struct es_err *err)
{
	(void)arg;
	if (ref[0] == 'c' && ref[1] >= '1' && ref[1] <= '9' && !ref[2]) {
		*id = ref[1] - '0';
		return 0;
	}
	if (ref[0] >= '1' && ref[0] <= '9' && ref[1] == '\0') {
		*id = ref[0] - '0';
		return 0;
	}
	return es_err_set(err, ES_ENOTFOUND, "NotFound", "cluster '%s' not "
	    "found", ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "f.csv", "f.json", "f.jsonl", "f" };
	static const char *formats[] = { NULL, NULL, NULL, NULL, "csv",
	    "json" };
	struct es_err err = ES_ERR_INIT;
	struct snapshot *rows = NULL;
	size_t n = 0, i;
	unsigned pick = size > 0 ? data[0] : 0;

	if (size > 0) {
		data++;
		size--;
	}
	if (snapshot_parse((const char *)data, size, names[pick % 4],
	    formats[pick % 6], pick & 0x80 ? 1 : -1, 1704067200,
	    fuzz_resolve, NULL, &rows, &n, &err) == -1) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (rows[i].cluster_id < 1 || rows[i].cluster_id > 9 ||
		    !isfinite(rows[i].cpu_capacity) ||
		    rows[i].cpu_request < 0 || rows[i].node_count < 0 ||
		    (!isnan(rows[i].max_cpu) && (!isfinite(rows[i].max_cpu) ||
		    rows[i].max_cpu < 0)))
			abort();
	}
	free(rows);
	return 0;
}
