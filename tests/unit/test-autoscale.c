/*
 * test-autoscale.c - the trend, weight and replica arithmetic of
 * lib/autoscale.c on hand-computed series, and the timestamps and report
 * validation of lib/metrics.c (with the replay of its fuzz corpus).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "buf.h"
#include "metrics.h"
#include "store.h"
#include "unit.h"
#include "util.h"

#define X	NAN

/* samples[cpu] = cpu, the other metrics missing. */
static void
fill(double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES], const double *cpu,
    const double *qps)
{
	int i, k;

	for (i = 0; i < AUTOSCALE_NMETRIC; i++)
		for (k = 0; k < AUTOSCALE_SAMPLES; k++)
			s[i][k] = NAN;
	for (k = 0; k < AUTOSCALE_SAMPLES; k++) {
		if (cpu != NULL)
			s[0][k] = cpu[k];
		if (qps != NULL)
			s[3][k] = qps[k];
	}
}

static void
policy(struct autoscale_policy *p, double cpu, double qps, long long min,
    long long max)
{
	autoscale_policy_init(p);
	p->target[0] = cpu;
	p->target[3] = qps;
	p->min_replicas = min;
	p->max_replicas = max;
}

static void
test_autoscale_slope(struct unit_t *t)
{
	static const double rising[] = { 10, 20, 30, 40, 50 };
	static const double falling[] = { 50, 40, 30, 20, 10 };
	static const double flat[] = { 50, 50, 50, 50, 50 };
	static const double noisy[] = { 50, 52, 48, 51, 49 };
	static const double gaps[] = { 10, X, 30, X, 50 };
	static const double one[] = { X, X, 7, X, X };

	UT_NEAR(t, autoscale_slope(rising, 5), 10, 1e-9);
	UT_NEAR(t, autoscale_slope(falling, 5), -10, 1e-9);
	UT_NEAR(t, autoscale_slope(flat, 5), 0, 1e-9);
	/* sum (x-2)(y-50) = -3, sum (x-2)^2 = 10 */
	UT_NEAR(t, autoscale_slope(noisy, 5), -0.3, 1e-9);
	/* the gaps keep their place: x = 0, 2, 4 */
	UT_NEAR(t, autoscale_slope(gaps, 5), 10, 1e-9);
	UT_ASSERT(t, isnan(autoscale_slope(one, 5)));
	UT_NEAR(t, autoscale_slope(rising, 2), 10, 1e-9);
}

static void
test_autoscale_rising(struct unit_t *t)
{
	static const double cpu[] = { 50, 60, 70, 80, 95 };
	double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;

	fill(s, cpu, NULL);
	policy(&p, 50, 0, 1, 10);
	autoscale_decide(&p, 2, s, 5, 1000000, 0, &r);
	/* slope 110/10 = 11 > 1% of 71: rising, weight 1.1 */
	UT_NEAR(t, r.m[0].slope, 11, 1e-9);
	UT_EQ_INT(t, r.m[0].trend, 1);
	UT_NEAR(t, r.m[0].weight, 1.1, 1e-9);
	UT_NEAR(t, r.m[0].ratio, 1.9, 1e-9);
	UT_NEAR(t, r.m[0].weighted, 2.09, 1e-9);
	UT_NEAR(t, r.ratio, 2.09, 1e-9);
	/* ceil(2 * 2.09) = 5 */
	UT_EQ_INT(t, r.raw, 5);
	UT_EQ_INT(t, r.desired, 5);
	UT_EQ_INT(t, r.action, AS_UP);
	/* clamped to max */
	policy(&p, 50, 0, 1, 4);
	autoscale_decide(&p, 2, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.raw, 5);
	UT_EQ_INT(t, r.desired, 4);
	UT_EQ_INT(t, r.action, AS_UP);
	UT_ASSERT(t, strstr(r.reason, "clamped") != NULL);
	/* at max already: nothing to do */
	autoscale_decide(&p, 4, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.action, AS_NONE);
	UT_ASSERT(t, strstr(r.reason, "max bound") != NULL);
}

static void
test_autoscale_falling(struct unit_t *t)
{
	static const double cpu[] = { 90, 80, 60, 40, 20 };
	double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;

	fill(s, cpu, NULL);
	policy(&p, 50, 0, 2, 10);
	autoscale_decide(&p, 4, s, 5, 1000000, 0, &r);
	/* slope -180/10 = -18: falling, weight 0.9; 0.4 * 0.9 = 0.36 */
	UT_NEAR(t, r.m[0].slope, -18, 1e-9);
	UT_EQ_INT(t, r.m[0].trend, -1);
	UT_NEAR(t, r.m[0].weight, 0.9, 1e-9);
	UT_NEAR(t, r.ratio, 0.36, 1e-9);
	/* ceil(4 * 0.36) = 2, also the min */
	UT_EQ_INT(t, r.raw, 2);
	UT_EQ_INT(t, r.desired, 2);
	UT_EQ_INT(t, r.action, AS_DOWN);
	policy(&p, 50, 0, 3, 10);
	autoscale_decide(&p, 4, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.desired, 3);
}

static void
test_autoscale_flat_noisy(struct unit_t *t)
{
	static const double flat[] = { 52, 52, 52, 52, 52 };
	static const double noisy[] = { 50, 52, 48, 51, 49 };
	static const double creeping[] = { 40, 45, 50, 52, 54 };
	double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;

	/* 52/50 = 1.04: inside the 0.1 band */
	fill(s, flat, NULL);
	policy(&p, 50, 0, 1, 10);
	autoscale_decide(&p, 3, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.m[0].trend, 0);
	UT_NEAR(t, r.ratio, 1.04, 1e-9);
	UT_EQ_INT(t, r.action, AS_NONE);
	UT_EQ_INT(t, r.desired, 3);
	/* slope -0.3 is under 1% of 50: flat; 49/45 = 1.089 in the band */
	fill(s, noisy, NULL);
	policy(&p, 45, 0, 1, 10);
	autoscale_decide(&p, 3, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.m[0].trend, 0);
	UT_NEAR(t, r.m[0].weight, 1.0, 1e-9);
	UT_NEAR(t, r.ratio, 49.0 / 45, 1e-9);
	UT_EQ_INT(t, r.action, AS_NONE);
	/* 54/50 = 1.08 is in the band, but rising (slope 3.5): 1.188 */
	fill(s, creeping, NULL);
	policy(&p, 50, 0, 1, 10);
	autoscale_decide(&p, 2, s, 5, 1000000, 0, &r);
	UT_NEAR(t, r.m[0].slope, 3.5, 1e-9);
	UT_NEAR(t, r.ratio, 1.188, 1e-9);
	UT_EQ_INT(t, r.raw, 3);
	UT_EQ_INT(t, r.action, AS_UP);
}

static void
test_autoscale_missing(struct unit_t *t)
{
	static const double cpu[] = { 90, 95, 99, X, X };
	static const double qps[] = { 300, 300, X, 300, 300 };
	double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;

	/* cpu has no newest value: no vote; qps 300 / 2 = 150 per replica */
	fill(s, cpu, qps);
	policy(&p, 50, 100, 1, 10);
	autoscale_decide(&p, 2, s, 5, 1000000, 0, &r);
	UT_ASSERT(t, isnan(r.m[0].ratio));
	UT_EQ_INT(t, r.m[0].n, 3);
	UT_EQ_INT(t, r.m[3].n, 4);
	UT_NEAR(t, r.m[3].slope, 0, 1e-9);
	UT_NEAR(t, r.ratio, 1.5, 1e-9);
	UT_EQ_INT(t, r.desired, 3);
	UT_EQ_INT(t, r.action, AS_UP);
	/* nothing at all */
	fill(s, NULL, NULL);
	autoscale_decide(&p, 2, s, 5, 1000000, 0, &r);
	UT_EQ_INT(t, r.action, AS_NODATA);
	UT_EQ_INT(t, r.desired, 2);
	/* fewer samples than five */
	fill(s, cpu, NULL);
	policy(&p, 50, 0, 1, 10);
	autoscale_decide(&p, 2, s, 2, 1000000, 0, &r);
	UT_NEAR(t, r.m[0].slope, 5, 1e-9);
	UT_NEAR(t, r.m[0].value, 95, 1e-9);
	UT_EQ_INT(t, r.m[0].n, 2);
}

static void
test_autoscale_cooldown(struct unit_t *t)
{
	static const double hot[] = { 95, 95, 95, 95, 95 };
	static const double cold[] = { 10, 10, 10, 10, 10 };
	double s[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;

	fill(s, hot, NULL);
	policy(&p, 50, 0, 1, 10);
	autoscale_decide(&p, 2, s, 5, 10000, 10000 - 100, &r);
	UT_EQ_INT(t, r.action, AS_COOLDOWN);
	UT_EQ_INT(t, r.cooldown_left, 200);
	UT_EQ_INT(t, r.desired, 4);
	autoscale_decide(&p, 2, s, 5, 10000, 10000 - 300, &r);
	UT_EQ_INT(t, r.action, AS_UP);
	/* down waits 10 minutes */
	fill(s, cold, NULL);
	autoscale_decide(&p, 4, s, 5, 10000, 10000 - 599, &r);
	UT_EQ_INT(t, r.action, AS_COOLDOWN);
	UT_EQ_INT(t, r.cooldown_left, 1);
	autoscale_decide(&p, 4, s, 5, 10000, 10000 - 600, &r);
	UT_EQ_INT(t, r.action, AS_DOWN);
	UT_EQ_INT(t, r.desired, 1);
	p.enabled = 0;
	autoscale_decide(&p, 4, s, 5, 10000, 0, &r);
	UT_EQ_INT(t, r.action, AS_DISABLED);
}

static void
test_autoscale_policy_parse(struct unit_t *t)
{
	struct autoscale_policy p;
	struct es_err err = ES_ERR_INIT;

	autoscale_policy_init(&p);
	UT_EQ_INT(t, autoscale_policy_parse("min=2,max=6,cpu=70,qps=500,"
	    "cooldown-up=1m,cooldown-down=20m,tolerance=0.2", &p, &err), 0);
	UT_EQ_INT(t, p.min_replicas, 2);
	UT_EQ_INT(t, p.max_replicas, 6);
	UT_NEAR(t, p.target[0], 70, 0);
	UT_NEAR(t, p.target[3], 500, 0);
	UT_EQ_INT(t, p.cooldown_up, 60);
	UT_EQ_INT(t, p.cooldown_down, 1200);
	UT_EQ_INT(t, autoscale_policy_check(&p, &err), 0);
	UT_EQ_INT(t, autoscale_policy_parse("cpu=170", &p, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_EQ_INT(t, autoscale_policy_parse("cpux=1", &p, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "unknown policy key 'cpux'") != NULL);
	p.min_replicas = 7;
	UT_EQ_INT(t, autoscale_policy_check(&p, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "above max") != NULL);
}

static void
test_metrics_rfc3339(struct unit_t *t)
{
	long long ms;

	UT_EQ_INT(t, metrics_parse_rfc3339("1970-01-01T00:00:00Z", &ms), 0);
	UT_EQ_INT(t, ms, 0);
	UT_EQ_INT(t, metrics_parse_rfc3339("2026-12-07T12:00:00Z", &ms), 0);
	UT_EQ_INT(t, ms, 1796644800000LL);
	UT_EQ_INT(t, metrics_parse_rfc3339("2026-12-07T20:00:00.25+08:00",
	    &ms), 0);
	UT_EQ_INT(t, ms, 1796644800250LL);
	UT_EQ_INT(t, metrics_parse_rfc3339("2024-02-29T00:00:00-01:30", &ms),
	    0);
	UT_EQ_INT(t, ms, (1709164800LL + 5400) * 1000);
	UT_EQ_INT(t, metrics_parse_rfc3339("2023-02-29T00:00:00Z", &ms), -1);
	UT_EQ_INT(t, metrics_parse_rfc3339("2026-13-01T00:00:00Z", &ms), -1);
	UT_EQ_INT(t, metrics_parse_rfc3339("2026-12-07T12:00:00", &ms), -1);
	UT_EQ_INT(t, metrics_parse_rfc3339("2026-12-07T12:00:00Zjunk", &ms),
	    -1);
	UT_EQ_INT(t, metrics_parse_rfc3339("yesterday", &ms), -1);
}

/*
 * Two runs that read the same state: the second claim loses, whichever
 * of the two compare-and-sets it hits.
 */
static void
test_autoscale_claim(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct store *st;
	long long version;
	time_t at;
	char *path = xasprintf("%s/esctl.db", t->tmpdir);

	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO deployment_status "
	    "(id, tenant_org_id, namespace, user, service_name, status, "
	    "created_at, updated_at) VALUES ('d', 'o', 'ns1', 'u', 's', "
	    "'running', 'x', 'x')", NULL) == 1);
	UT_EQ_INT(t, autoscale_last_scale(st, "ns1", &at, &version, &err), 0);
	UT_EQ_INT(t, at, 0);
	UT_EQ_INT(t, version, 0);
	/* both read version 0; the first wins */
	UT_EQ_INT(t, autoscale_claim(st, "ns1", 0, 1000, 1, &err), 0);
	UT_EQ_INT(t, autoscale_claim(st, "ns1", 0, 1000, 1, &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	UT_ASSERT(t, strstr(err.msg, "another autoscale run") != NULL);
	UT_EQ_INT(t, autoscale_last_scale(st, "ns1", &at, &version, &err), 0);
	UT_EQ_INT(t, at, 1000);
	UT_EQ_INT(t, version, 1);
	/* the service is scaling: the next claim waits for it */
	UT_EQ_INT(t, autoscale_claim(st, "ns1", 1, 1100, 1, &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	UT_ASSERT(t, strstr(err.msg, "not running") != NULL);
	/* nothing of the failed claim stayed */
	UT_EQ_INT(t, autoscale_last_scale(st, "ns1", &at, &version, &err), 0);
	UT_EQ_INT(t, version, 1);
	store_close(st);
	free(path);
}


/* The store of the metrics fuzz target: ns-a (3 pods), ns-b (1). */
static struct store *
metrics_store_open(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct store *st = NULL;
	char *path = xasprintf("%s/esctl.db", t->tmpdir);

	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	free(path);
	if (st == NULL)
		return NULL;
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO deployment_status (id, "
	    "tenant_org_id, namespace, user, service_name, status, replicas, "
	    "created_at, updated_at) VALUES ('d1', 'o', 'ns-a', 'u', 'a', "
	    "'running', 3, 'x', 'x'), ('d2', 'o', 'ns-b', 'u', 'b', "
	    "'running', 1, 'x', 'x'), ('d3', 'o', 'ns-gone', 'u', 'g', "
	    "'deleted', 1, 'x', 'x')", NULL) >= 0);
	return st;
}

/*
 * Ingests buf as the fuzz target does (first byte: bit 0 skip_invalid,
 * bit 1 dry_run, bit 2 in the caller's transaction) and checks its
 * properties; the rows are removed after.  Returns what metrics_ingest
 * returned.
 */
static int
metrics_fuzz_one(struct unit_t *t, struct store *st, const char *name,
    const char *buf, size_t len)
{
	struct es_err err = ES_ERR_INIT;
	struct metrics_opts o;
	struct metrics_result r;
	unsigned pick = len > 0 ? (unsigned char)buf[0] : 0;
	long long stored = -1;
	size_t listed, want;
	int rc;

	if (len > 0) {
		buf++;
		len--;
	}
	memset(&o, 0, sizeof o);
	o.skip_invalid = pick & 1;
	o.dry_run = (pick & 2) != 0;
	o.in_tx = (pick & 4) != 0;
	o.now = 1796644800;
	if (o.in_tx)
		UT_EQ_INT(t, store_begin(st, &err), 0);
	rc = metrics_ingest(st, buf, len, &o, NULL, &r, &err);
	UT_EQ_INT(t, store_query_int(st, &err, &stored, -1, "SELECT count(*) "
	    "FROM metric_report", NULL), 0);
	if (o.in_tx)
		store_rollback(st);
	else {
		UT_ASSERT(t, store_exec(st, &err, "DELETE FROM metric_report",
		    NULL) >= 0);
		UT_ASSERT(t, store_exec(st, &err, "DELETE FROM metric_latest",
		    NULL) >= 0);
	}
	if (rc == -1) {
		if (err.code == 0 || err.msg[0] == '\0' || stored != 0)
			unit_fail(t, __FILE__, __LINE__, "%s: failure without "
			    "a message, or with rows stored", name);
		metrics_result_release(&r);
		return rc;
	}
	listed = (size_t)cJSON_GetArraySize(r.rejects);
	want = r.rejected < METRICS_MAX_REJECTS ? r.rejected :
	    METRICS_MAX_REJECTS;
	if (listed != want)
		unit_fail(t, __FILE__, __LINE__, "%s: %zu rejects listed, want "
		    "%zu", name, listed, want);
	if (r.rejected > 0 && !o.skip_invalid) {
		if (r.accepted != 0 || err.code != ES_EUSAGE || stored != 0)
			unit_fail(t, __FILE__, __LINE__, "%s: a rejected batch "
			    "stored rows or said nothing", name);
	} else if (r.accepted + r.rejected != r.records)
		unit_fail(t, __FILE__, __LINE__, "%s: %zu accepted + %zu "
		    "rejected != %zu records", name, r.accepted, r.rejected,
		    r.records);
	if (stored < 0 || (o.dry_run && stored != 0) ||
	    (unsigned long long)stored > r.accepted)
		unit_fail(t, __FILE__, __LINE__, "%s: %lld rows stored for %zu "
		    "accepted%s", name, stored, r.accepted, o.dry_run ?
		    " (dry run)" : "");
	metrics_result_release(&r);
	return rc;
}

/*
 * Replays the fuzz corpus (testdata/fuzz/metrics) with the fuzz target's
 * properties.
 */
static void
test_metrics_fuzz_corpus(struct unit_t *t)
{
	struct unit_corpus c;
	struct store *st;
	char *copy;
	int ok = 0;

	if ((st = metrics_store_open(t)) == NULL)
		return;
	if (unit_corpus_open(t, &c, "metrics") == -1) {
		store_close(st);
		return;
	}
	while (unit_corpus_next(t, &c)) {
		/* a copy of exactly its length: ASan sees any overread */
		copy = xmalloc(c.buf.len ? c.buf.len : 1);
		memcpy(copy, c.buf.data, c.buf.len);
		if (metrics_fuzz_one(t, st, c.name, copy, c.buf.len) == 0)
			ok++;
		free(copy);
	}
	UT_ASSERT(t, c.files >= 8);
	UT_ASSERT(t, ok >= 6);
	unit_corpus_close(&c);
	store_close(st);
}

static size_t metrics_fast_seen;	/* records the fast path read */

/*
 * What metrics_ingest made of buf, as text: its return, error, counts,
 * rejects and the rows it stored (removed after).
 */
static char *
metrics_outcome(struct unit_t *t, struct store *st, const char *buf,
    size_t len, int skip_invalid, int slow)
{
	struct es_err err = ES_ERR_INIT;
	struct metrics_result r;
	struct metrics_opts o;
	cJSON *rows = NULL;
	char *rj, *sj, *out;
	int rc;

	memset(&o, 0, sizeof o);
	o.now = 1796644800;
	o.skip_invalid = skip_invalid;
	o.slow_parse = slow;
	rc = metrics_ingest(st, buf, len, &o, NULL, &r, &err);
	UT_EQ_INT(t, store_query_json(st, &err, &rows, "SELECT namespace, "
	    "ts, container_name, quote(cpu_usage) AS c, quote(memory_usage) "
	    "AS m, quote(disk_usage) AS d, quote(qps) AS q, "
	    "quote(startup_cpu) AS sc, quote(startup_memory) AS sm, "
	    "quote(startup_disk) AS sd, quote(plugin_qps) AS pq, status "
	    "FROM metric_report ORDER BY 1, 2, 3", NULL), 0);
	UT_ASSERT(t, store_exec(st, &err, "DELETE FROM metric_report", NULL)
	    >= 0);
	UT_ASSERT(t, store_exec(st, &err, "DELETE FROM metric_latest", NULL)
	    >= 0);
	rj = r.rejects != NULL ? cJSON_PrintUnformatted(r.rejects) : NULL;
	sj = rows != NULL ? cJSON_PrintUnformatted(rows) : NULL;
	if (slow)
		UT_EQ_INT(t, r.fast, 0);
	else
		metrics_fast_seen += r.fast;
	out = xasprintf("rc %d code %d msg '%s' records %zu accepted %zu "
	    "rejected %zu rejects %s rows %s", rc, (int)err.code,
	    rc == -1 || r.rejected > 0 ? err.msg : "", r.records, r.accepted,
	    r.rejected, rj ? rj : "-", sj ? sj : "-");
	free(rj);
	free(sj);
	cJSON_Delete(rows);
	metrics_result_release(&r);
	return out;
}

/*
 * The fast path of plain reports (metrics_fast) and the cJSON path give
 * the same outcome: the same values (numbers converted as strtod does),
 * the same records counted, the same reasons, on the fuzz corpus and on
 * the edges of what the fast path takes (number forms, escapes, nulls,
 * duplicate members, whitespace, truncation).
 */
static void
test_metrics_fast_same(struct unit_t *t)
{
#define R(x) "{\"namespace\":\"ns-a\",\"container_name\":" \
	"\"elasticsearch-0\"," x "}"
	static const char *const cases[] = {
		R("\"cpu_usage\":1e2,\"qps\":1E+2,\"disk_usage\":-0"),
		R("\"cpu_usage\":0.1,\"memory_usage\":99.99999999999999"),
		R("\"cpu_usage\":100.00000000000001,\"qps\":1e-7"),
		R("\"qps\":12345678901234567890,\"plugin_qps\":9007199254740993"),
		R("\"qps\":9007199254740992,\"plugin_qps\":2.5e22"),
		R("\"qps\":1e23,\"plugin_qps\":0.000000000000000000000001"),
		R("\"qps\":01"), R("\"qps\":1."), R("\"qps\":.5"),
		R("\"qps\":-"), R("\"qps\":1e"), R("\"qps\":2.5e1x"),
		R("\"qps\":-1"), R("\"cpu_usage\":100.5"), R("\"qps\":1e400"),
		R("\"qps\":\"5\""), R("\"qps\":true"), R("\"qps\":{}"),
		R("\"qps\":1,\"timestamp\":1796644800.5"),
		R("\"qps\":1,\"timestamp\":1796644800123"),
		R("\"qps\":1,\"timestamp\":0"),
		R("\"qps\":1,\"timestamp\":1e15"),
		R("\"qps\":1,\"timestamp\":\"2026-12-07T11:00:00.5Z\""),
		R("\"qps\":1,\"timestamp\":\"2026-12-07T11:00:00.12345678901"
		    "234567890123456789Z\""),
		R("\"qps\":1,\"timestamp\":\"2026-12-07T13:00:00Z\""),
		R("\"qps\":1,\"timestamp\":\"yesterday\""),
		R("\"qps\":1,\"timestamp\":null"),
		R("\"qps\":1,\"timestamp\":5,\"timestamp\":null"),
		R("\"status\":\"ok\",\"status\":null"),
		R("\"status\":\"o\\u006b\""), R("\"status\":\"not ok\""),
		R("\"status\":\"abcdefghijabcdefghijabcdefghijabc\""),
		R("\"qps\":1,\"namespace\":\"ns-b\""),
		R("\"qps\":1,\"namespace\":null"),
		R("\"qps\":1,\"na\\u006despace\":\"ns-a\""),
		R("\"qps\":1,\"bogus\":1"), R("\"qps\":null"), R(""),
		"{}", "{ }", "{\"status\":null,}", "{\"qps\":1,}",
		"{\"namespace\":\"ns-a\"",
		"{\"namespace\":\"ns-a\",\"container_name\":\"elasticsearch-0\","
		    "\"qps\":7",
		"{\"namespace\":\"n\\u0073-a\",\"container_name\":"
		    "\"elasticsearch-1\",\"qps\":3}",
		"{\"namespace\":\"NS-A\",\"container_name\":"
		    "\"elasticsearch-1\",\"qps\":3}",
		"{\"namespace\":\"ns-a\",\"container_name\":"
		    "\"elasticsearch-3\",\"qps\":3}",
		"{\"namespace\":\"ns-gone\",\"container_name\":"
		    "\"elasticsearch-0\",\"qps\":3}",
		" \f" R("\"qps\":4") "\r\n" R("\"qps\":5") R("\"qps\":6"),
		R("\"qps\":4") "\n{\"qps\":\n" R("\"qps\":5") "\n",
		"\t{ \"namespace\" : \"ns-b\" ,\n \"container_name\":"
		    "\"elasticsearch-0\", \"qps\" :\t2 }",
		"\xef\xbb\xbf" R("\"qps\":1"),
		"[" R("\"qps\":1") "," R("\"qps\":2") "]",
		R("\"qps\":1") "\n5\n\"x\"\n" R("\"qps\":2"),
	};
#undef R
	const char *top = getenv("ESCTL_TOP");
	struct es_buf b = ES_BUF_INIT;
	struct dirent *de;
	struct store *st;
	char *dir, *path, *fast, *slow;
	size_t i;
	int skip;
	DIR *d;

	if ((st = metrics_store_open(t)) == NULL)
		return;
	metrics_fast_seen = 0;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (skip = 0; skip < 2; skip++) {
			fast = metrics_outcome(t, st, cases[i],
			    strlen(cases[i]), skip, 0);
			slow = metrics_outcome(t, st, cases[i],
			    strlen(cases[i]), skip, 1);
			if (strcmp(fast, slow) != 0)
				unit_fail(t, __FILE__, __LINE__, "case %zu: "
				    "fast path: %s\ncJSON: %s", i, fast, slow);
			free(fast);
			free(slow);
		}
	/* the cases are not all left to cJSON: most take the fast path */
	UT_ASSERT(t, metrics_fast_seen >= 2 * 20);
	dir = xasprintf("%s/testdata/fuzz/metrics", top ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		unit_fail(t, __FILE__, __LINE__, "cannot open %s", dir);
		free(dir);
		store_close(st);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = util_path_join(dir, de->d_name);
		es_buf_reset(&b);
		UT_EQ_INT(t, es_buf_read_file(&b, path), 0);
		free(path);
		if (b.len == 0)
			continue;
		/* as the fuzz target: the first byte is the options */
		fast = metrics_outcome(t, st, b.data + 1, b.len - 1,
		    b.data[0] & 1, 0);
		slow = metrics_outcome(t, st, b.data + 1, b.len - 1,
		    b.data[0] & 1, 1);
		if (strcmp(fast, slow) != 0)
			unit_fail(t, __FILE__, __LINE__, "%s: fast path: %s\n"
			    "cJSON: %s", de->d_name, fast, slow);
		free(fast);
		free(slow);
	}
	closedir(d);
	es_buf_release(&b);
	free(dir);
	store_close(st);
}

/*
 * Found by fuzz-metrics: the member name "status" was read at k[8], two
 * bytes past its end, to tell startup_cpu from startup_memory (ASan:
 * heap-buffer-overflow in metrics_key).  Run under SANITIZE=1.  Every
 * short name starting with 's' is still told apart right.
 */
static void
test_metrics_short_keys(struct unit_t *t)
{
	static const char body[] = "\004{\"namespace\":\"ns-a\","
	    "\"container_name\":\"elasticsearch-0\",\"status\":\"ok\","
	    "\"startup_cpu\":1,\"startup_memory\":2,\"startup_disk\":3}";
	static const char bad[] = "\004{\"namespace\":\"ns-a\","
	    "\"container_name\":\"elasticsearch-0\",\"s\":1}";
	struct es_err err = ES_ERR_INIT;
	struct metrics_result r;
	struct metrics_opts o;
	struct store *st;
	cJSON *rows = NULL, *row;

	if ((st = metrics_store_open(t)) == NULL)
		return;
	UT_EQ_INT(t, metrics_fuzz_one(t, st, "status", body, sizeof body - 1),
	    0);
	UT_EQ_INT(t, metrics_fuzz_one(t, st, "s", bad, sizeof bad - 1), 0);
	memset(&o, 0, sizeof o);
	o.now = 1796644800;
	UT_EQ_INT(t, metrics_ingest(st, body + 1, sizeof body - 2, &o, NULL,
	    &r, &err), 0);
	UT_EQ_INT(t, r.accepted, 1);
	metrics_result_release(&r);
	UT_EQ_INT(t, metrics_latest(st, "ns-a", &rows, &err), 0);
	row = cJSON_GetArrayItem(rows, 0);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(row, "status")),
	    "ok");
	UT_EQ_INT(t, (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(row,
	    "startup_memory")), 2);
	UT_EQ_INT(t, (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(row,
	    "startup_disk")), 3);
	cJSON_Delete(rows);
	UT_EQ_INT(t, metrics_ingest(st, bad + 1, sizeof bad - 2, &o, NULL, &r,
	    &err), 0);
	UT_EQ_INT(t, r.rejected, 1);
	UT_ASSERT(t, strstr(err.msg, "unknown field 's'") != NULL);
	metrics_result_release(&r);
	store_close(st);
}

/*
 * A timestamp before 1970 parses to negative milliseconds, which the
 * validation took for "no timestamp": the report was stored at the time
 * it was received instead of being rejected.
 */
static void
test_metrics_before_epoch(struct unit_t *t)
{
	static const char *const bodies[] = {
		"{\"namespace\":\"ns-a\",\"container_name\":"
		"\"elasticsearch-0\",\"qps\":1,\"timestamp\":"
		"\"1969-12-31T23:59:59Z\"}",
		"{\"namespace\":\"ns-a\",\"container_name\":"
		"\"elasticsearch-0\",\"qps\":1,\"timestamp\":"
		"\"1970-01-01T00:30:00+01:00\"}",
		"{\"namespace\":\"ns-a\",\"container_name\":"
		"\"elasticsearch-0\",\"qps\":1,\"timestamp\":"
		"\"0000-01-01T00:00:00Z\"}",
	};
	static const char epoch[] = "{\"namespace\":\"ns-a\","
	    "\"container_name\":\"elasticsearch-0\",\"qps\":1,"
	    "\"timestamp\":\"1970-01-01T00:00:00Z\"}";
	struct es_err err = ES_ERR_INIT;
	struct metrics_result r;
	struct metrics_opts o;
	struct store *st;
	long long n = -1;
	size_t i;

	if ((st = metrics_store_open(t)) == NULL)
		return;
	memset(&o, 0, sizeof o);
	o.now = 1796644800;
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		UT_EQ_INT(t, metrics_ingest(st, bodies[i], strlen(bodies[i]),
		    &o, NULL, &r, &err), 0);
		UT_EQ_INT(t, r.rejected, 1);
		UT_EQ_INT(t, r.accepted, 0);
		UT_ASSERT(t, strstr(err.msg, "field 'timestamp'") != NULL);
		metrics_result_release(&r);
	}
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "metric_report", NULL), 0);
	UT_EQ_INT(t, n, 0);
	/* the epoch itself is a time */
	UT_EQ_INT(t, metrics_ingest(st, epoch, strlen(epoch), &o, NULL, &r,
	    &err), 0);
	UT_EQ_INT(t, r.accepted, 1);
	metrics_result_release(&r);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT ts FROM "
	    "metric_report", NULL), 0);
	UT_EQ_INT(t, n, 0);
	store_close(st);
}

const struct unit_test unit_autoscale_tests[] = {
	{ "claim", test_autoscale_claim },
	{ "slope", test_autoscale_slope },
	{ "rising", test_autoscale_rising },
	{ "falling", test_autoscale_falling },
	{ "flat_noisy", test_autoscale_flat_noisy },
	{ "missing", test_autoscale_missing },
	{ "cooldown", test_autoscale_cooldown },
	{ "policy_parse", test_autoscale_policy_parse },
	{ "rfc3339", test_metrics_rfc3339 },
	{ "metrics_fuzz_corpus", test_metrics_fuzz_corpus },
	{ "metrics_short_keys", test_metrics_short_keys },
	{ "metrics_before_epoch", test_metrics_before_epoch },
	{ "metrics_fast_same", test_metrics_fast_same },
	{ NULL, NULL }
};
