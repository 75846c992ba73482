/*
 * test-pool.c - unit tests for the elastic node-pool modules: the
 * evaluation engine's window logic, strategy form rules, order numbers,
 * duty times, snapshot derivation and import, notification settings.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duty.h"
#include "engine.h"
#include "notify.h"
#include "order.h"
#include "pool.h"
#include "schema.h"
#include "snapshot.h"
#include "store.h"
#include "strategy.h"
#include "unit.h"
#include "util.h"

#define T0	1704067200	/* 2024-01-01T00:00:00Z */

/* n samples every 5 minutes from T0, CPU usage from cpu[]. */
static void
samples(struct engine_sample *s, size_t n, const double *cpu)
{
	size_t i;

	for (i = 0; i < n; i++) {
		s[i].t = T0 + (time_t)i * 300;
		s[i].cpu_usage = cpu[i];
		s[i].mem_usage = 50;
		s[i].cpu_alloc = 60;
		s[i].mem_alloc = NAN;
	}
}

static void
rule_cpu(struct engine_rule *r, int action, double thr, long long mins)
{
	memset(r, 0, sizeof *r);
	r->action = action;
	r->has_cpu = 1;
	r->cpu = thr;
	r->cpu_type = STRATEGY_USAGE;
	r->logic = STRATEGY_OR;
	r->duration = mins * 60;
}

static void
test_engine_window(struct unit_t *t)
{
	static const double cpu[] = { 40, 40, 85, 85, 85, 85 };
	struct engine_sample s[6];
	struct engine_rule r;
	char why[512];
	double c, m;

	samples(s, 6, cpu);
	/* 00:10 to 00:25 at 85%: 15 minutes held at 00:25 */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 80, 15);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1500, 600, why,
	    sizeof why, &c, &m), ENGINE_ORDER_CREATED);
	UT_NEAR(t, c, 85, 1e-9);
	UT_ASSERT(t, isnan(m));
	UT_EQ_STR(t, why, "condition held for 15m (4 snapshots since "
	    "2024-01-01T00:10:00Z): CPU usage 85.0% >= 80.0%");
	/* 20 minutes wanted: held since 00:10 only */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 80, 20);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1500, 600, why,
	    sizeof why, &c, &m), ENGINE_SKIPPED);
	UT_ASSERT(t, strncmp(why, "condition held for 15m, less than the "
	    "required 20m (since 2024-01-01T00:10:00Z)", 70) == 0);
	/* duration 0: the latest snapshot decides; 3 minutes later too */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 80, 0);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1680, 600, why,
	    sizeof why, &c, &m), ENGINE_ORDER_CREATED);
	/* at the threshold fires; just above does not */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 85, 0);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1500, 600, why,
	    sizeof why, &c, &m), ENGINE_ORDER_CREATED);
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 85.01, 0);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1500, 600, why,
	    sizeof why, &c, &m), ENGINE_SKIPPED);
	UT_EQ_STR(t, why, "condition not met: CPU usage 85.0% < 85.0%");
	/* pool_exit: at or below */
	rule_cpu(&r, STRATEGY_POOL_EXIT, 40, 5);
	UT_EQ_INT(t, engine_evaluate(&r, s, 2, T0 + 300, 600, why,
	    sizeof why, &c, &m), ENGINE_ORDER_CREATED);
	/* stale and empty */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 80, 0);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, T0 + 1500 + 601, 600, why,
	    sizeof why, &c, &m), ENGINE_FAILED_CHECK);
	UT_EQ_INT(t, engine_evaluate(&r, s, 0, T0, 600, why, sizeof why, &c,
	    &m), ENGINE_FAILED_CHECK);
	UT_EQ_STR(t, why, "no snapshot of the cluster in the last 10m");
}

static void
test_engine_gap_and_logic(struct unit_t *t)
{
	static const double cpu[] = { 90, 90, 90, 90, 90, 90 };
	struct engine_sample s[6];
	struct engine_rule r;
	char why[512];
	double c, m;

	samples(s, 6, cpu);
	s[3].t = s[2].t + 660;		/* 11 minutes apart */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 80, 25);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 600, why, sizeof why,
	    &c, &m), ENGINE_FAILED_CHECK);
	UT_ASSERT(t, strstr(why, "gap of 11m between snapshots") != NULL);
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 700, why, sizeof why,
	    &c, &m), ENGINE_ORDER_CREATED);
	/* AND with an unknown value cannot be proven; OR can */
	samples(s, 6, cpu);
	r.has_mem = 1;
	r.mem = 10;
	r.mem_type = STRATEGY_ALLOCATED;	/* NAN in these samples */
	r.logic = STRATEGY_AND;
	r.duration = 0;
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 600, why, sizeof why,
	    &c, &m), ENGINE_FAILED_CHECK);
	UT_ASSERT(t, isnan(m));
	r.logic = STRATEGY_OR;
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 600, why, sizeof why,
	    &c, &m), ENGINE_ORDER_CREATED);
	/* AND false beats unknown */
	r.logic = STRATEGY_AND;
	r.cpu = 95;
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 600, why, sizeof why,
	    &c, &m), ENGINE_SKIPPED);
	/* allocated reads the allocation ratio */
	rule_cpu(&r, STRATEGY_POOL_ENTRY, 60, 0);
	r.cpu_type = STRATEGY_ALLOCATED;
	UT_EQ_INT(t, engine_evaluate(&r, s, 6, s[5].t, 600, why, sizeof why,
	    &c, &m), ENGINE_ORDER_CREATED);
	UT_NEAR(t, c, 60, 1e-9);
}

static void
test_pool_format(struct unit_t *t)
{
	char buf[64];

	pool_format_pair(buf, sizeof buf, 1, 85, 0, 0);
	UT_EQ_STR(t, buf, "CPU:85.0%,MEM:N/A");
	pool_format_pair(buf, sizeof buf, 1, NAN, 1, 70.25);
	UT_EQ_STR(t, buf, "CPU:N/A,MEM:70.2%");
	UT_ASSERT(t, pool_is_id("42"));
	UT_ASSERT(t, !pool_is_id("4a"));
	UT_ASSERT(t, !pool_is_id(""));
}

static void
test_strategy_rules(struct unit_t *t)
{
	struct strategy s;
	struct es_err err = ES_ERR_INIT;
	char cond[128];

	strategy_init(&s);
	s.name = xstrdup("s");
	strategy_add_cluster(&s, 1);
	strategy_add_cluster(&s, 1);
	UT_EQ_INT(t, s.ncluster, 1);
	s.action = STRATEGY_POOL_ENTRY;
	s.device_count = 1;
	UT_EQ_INT(t, strategy_validate(&s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "a threshold is required") != NULL);
	s.has_cpu = 1;
	s.cpu_threshold = 80;
	UT_EQ_INT(t, strategy_validate(&s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "cpu_threshold_type is required") !=
	    NULL);
	s.cpu_type = STRATEGY_USAGE;
	UT_EQ_INT(t, strategy_validate(&s, &err), 0);
	UT_EQ_INT(t, s.logic, STRATEGY_OR);
	s.has_mem = 1;
	s.mem_threshold = 70;
	s.mem_type = STRATEGY_ALLOCATED;
	s.logic = STRATEGY_LOGIC_NONE;
	UT_EQ_INT(t, strategy_validate(&s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "condition_logic is required") != NULL);
	s.logic = STRATEGY_AND;
	s.node_selector = xstrdup(" { \"a\" : \"b\" } ");
	UT_EQ_INT(t, strategy_validate(&s, &err), 0);
	UT_EQ_STR(t, s.node_selector, "{\"a\":\"b\"}");
	strategy_condition_text(&s, cond, sizeof cond);
	UT_EQ_STR(t, cond, "CPU usage >= 80% AND MEM allocated >= 70%");
	s.mem_threshold = 100.5;
	UT_EQ_INT(t, strategy_validate(&s, &err), -1);
	strategy_release(&s);
	UT_EQ_INT(t, strategy_logic_parse("or", &s.logic, &err), 0);
	UT_EQ_INT(t, s.logic, STRATEGY_OR);
	UT_EQ_INT(t, strategy_type_parse("used", "x", &s.cpu_type, &err),
	    -1);
}

static void
test_order_numbers(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	char num[ORDER_NUMBER_LEN], *path;
	long long seq;

	order_number_format(T0 + 86399, 7, num);
	UT_EQ_STR(t, num, "ESO-20240101-000007");
	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, order_next_number(st, T0, num, &err), 0);
	UT_EQ_STR(t, num, "ESO-20240101-000001");
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO k8s_cluster "
	    "(created_at, updated_at, clustername) VALUES ('x', 'x', 'c')",
	    ""), 1);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO elastic_scaling_order "
	    "(order_number, cluster_id, action_type, created_at, updated_at) "
	    "VALUES ('ESO-20240101-000041', 1, 'pool_entry', 'x', 'x'), "
	    "('ESO-20240102-000005', 1, 'pool_exit', 'x', 'x')", ""), 2);
	UT_EQ_INT(t, order_next_sequence(st, T0, &seq, &err), 0);
	UT_EQ_INT(t, seq, 42);
	UT_EQ_INT(t, order_next_number(st, T0 + 86400, num, &err), 0);
	UT_EQ_STR(t, num, "ESO-20240102-000006");
	UT_EQ_INT(t, order_next_number(st, T0 + 2 * 86400, num, &err), 0);
	UT_EQ_STR(t, num, "ESO-20240103-000001");
	store_close(st);
	free(path);
}

static void
test_duty_times(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	char d[11], h[9];

	UT_EQ_INT(t, duty_parse_date("2024-02-29", d, &err), 0);
	UT_EQ_STR(t, d, "2024-02-29");
	UT_EQ_INT(t, duty_parse_date("2023-02-29", d, &err), -1);
	UT_EQ_INT(t, duty_parse_date("2024-1-1", d, &err), -1);
	UT_EQ_INT(t, duty_parse_time("8:05", "t", h, &err), 0);
	UT_EQ_STR(t, h, "08:05:00");
	UT_EQ_INT(t, duty_parse_time("23:59:59", "t", h, &err), 0);
	UT_EQ_INT(t, duty_parse_time("24:00", "t", h, &err), 0);
	UT_EQ_STR(t, h, "24:00:00");
	UT_EQ_INT(t, duty_parse_time("24:01", "t", h, &err), -1);
	UT_EQ_INT(t, duty_parse_time("12:60", "t", h, &err), -1);
	UT_EQ_INT(t, duty_parse_time("12", "t", h, &err), -1);
	UT_EQ_INT(t, duty_parse_time("12:00x", "t", h, &err), -1);
}

static void
test_snapshot_derive(struct unit_t *t)
{
	struct snapshot s;

	snapshot_init(&s);
	s.cpu_capacity = 64;
	s.cpu_request = 16;
	s.cpu_usage = 32;
	s.mem_allocatable = 200;
	s.node_count = 4;
	snapshot_derive(&s);
	UT_NEAR(t, s.cpu_allocatable, 64, 0);
	UT_NEAR(t, s.cpu_allocation_ratio, 25, 1e-12);
	UT_NEAR(t, s.max_cpu, 50, 1e-12);
	UT_NEAR(t, s.per_node_cpu_req, 4, 1e-12);
	UT_NEAR(t, s.mem_capacity, 200, 0);
	UT_ASSERT(t, isnan(s.mem_allocation_ratio));
	UT_ASSERT(t, isnan(s.max_memory));
	UT_NEAR(t, s.mem_request, 0, 0);
	UT_EQ_INT(t, s.ready_node_count, 4);
	UT_EQ_INT(t, s.pod_count, 0);
}

static void
test_snapshot_csv(struct unit_t *t)
{
	static const char csv[] =
	    "cluster,collected_at,cpu_allocatable,cpu_request,resource_type\n"
	    "\"c\",2024-01-01T00:00:00Z, 10 ,\"2.5\",cluster\r\n"
	    "\n"
	    "1,2024-01-01T00:05:00+01:00,10,,pool-a\n";
	struct snapshot *rows;
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	char *path, *db;
	size_t n;
	FILE *f;

	db = xasprintf("%s/esctl.db", t->tmpdir);
	path = xasprintf("%s/s.csv", t->tmpdir);
	UT_EQ_INT(t, store_open(db, 0, &st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO k8s_cluster "
	    "(created_at, updated_at, clustername) VALUES ('x', 'x', 'c')",
	    ""), 1);
	f = fopen(path, "w");
	fputs(csv, f);
	fclose(f);
	UT_EQ_INT(t, snapshot_parse_file(st, path, NULL, -1, T0, &rows, &n,
	    &err), 0);
	UT_EQ_INT(t, n, 2);
	if (n == 2) {
		UT_EQ_INT(t, rows[0].cluster_id, 1);
		UT_EQ_INT(t, rows[0].collected_at, T0);
		UT_NEAR(t, rows[0].cpu_allocation_ratio, 25, 1e-12);
		UT_EQ_INT(t, rows[1].collected_at, T0 - 3600 + 300);
		UT_EQ_STR(t, rows[1].resource_type, "pool-a");
		UT_ASSERT(t, isnan(rows[1].cpu_allocation_ratio));
	}
	free(rows);
	store_close(st);
	free(path);
	free(db);
}

static void
test_snapshot_kube(struct unit_t *t)
{
	static const char nodes_json[] =
	    "{\"items\": ["
	    "{\"metadata\": {\"name\": \"n1\", \"labels\": "
	    "{\"es.yunpeng.cn/machine-type\": \"bm\"}},"
	    " \"status\": {\"capacity\": {\"cpu\": \"16\", \"memory\": "
	    "\"64Gi\"}, \"allocatable\": {\"cpu\": \"15500m\", "
	    "\"memory\": \"62Gi\"}, \"conditions\": [{\"type\": "
	    "\"Ready\", \"status\": \"True\"}]}},"
	    "{\"metadata\": {\"name\": \"n2\", \"labels\": "
	    "{\"node.kubernetes.io/instance-type\": \"c5\"}},"
	    " \"status\": {\"capacity\": {\"cpu\": \"16\", \"memory\": "
	    "\"64Gi\"}, \"allocatable\": {\"cpu\": \"16\", "
	    "\"memory\": \"64Gi\"}, \"conditions\": [{\"type\": "
	    "\"Ready\", \"status\": \"True\"}]}},"
	    "{\"metadata\": {\"name\": \"n3\"}, \"spec\": "
	    "{\"unschedulable\": true},"
	    " \"status\": {\"capacity\": {\"cpu\": \"8\", \"memory\": "
	    "\"32Gi\"}, \"allocatable\": {\"cpu\": \"8\", "
	    "\"memory\": \"32Gi\"}, \"conditions\": [{\"type\": "
	    "\"Ready\", \"status\": \"True\"}]}},"
	    "{\"metadata\": {\"name\": \"n4\"},"
	    " \"status\": {\"capacity\": {\"cpu\": \"8\", \"memory\": "
	    "\"32Gi\"}, \"allocatable\": {\"cpu\": \"8\", "
	    "\"memory\": \"32Gi\"}, \"conditions\": [{\"type\": "
	    "\"Ready\", \"status\": \"False\"}]}}]}";
	static const char pods_json[] =
	    "{\"items\": ["
	    "{\"spec\": {\"nodeName\": \"n1\", \"containers\": ["
	    "{\"resources\": {\"requests\": {\"cpu\": \"2\", "
	    "\"memory\": \"4Gi\"}}}, {\"resources\": {\"requests\": "
	    "{\"cpu\": \"500m\"}}}], \"initContainers\": ["
	    "{\"resources\": {\"requests\": {\"cpu\": \"4\", "
	    "\"memory\": \"1Gi\"}}}], \"overhead\": {\"cpu\": "
	    "\"250m\"}}, \"status\": {\"phase\": \"Running\"}},"
	    "{\"spec\": {\"nodeName\": \"n2\", \"containers\": ["
	    "{\"resources\": {\"requests\": {\"cpu\": \"1\", "
	    "\"memory\": \"2Gi\"}}}]}, \"status\": {\"phase\": "
	    "\"Succeeded\"}},"
	    "{\"spec\": {\"nodeName\": \"n3\", \"containers\": ["
	    "{\"resources\": {\"requests\": {\"cpu\": \"3\"}}}]}, "
	    "\"status\": {\"phase\": \"Running\"}},"
	    "{\"spec\": {\"containers\": [{\"resources\": {\"requests\": "
	    "{\"cpu\": \"9\"}}}]}, \"status\": {\"phase\": "
	    "\"Pending\"}}]}";
	static const char metrics_json[] =
	    "{\"items\": [{\"metadata\": {\"name\": \"n1\"}, \"usage\": "
	    "{\"cpu\": \"7750m\", \"memory\": \"31Gi\"}}, "
	    "{\"metadata\": {\"name\": \"n2\"}, \"usage\": {\"cpu\": "
	    "\"8\", \"memory\": \"32Gi\"}}, {\"metadata\": {\"name\": "
	    "\"n3\"}, \"usage\": {\"cpu\": \"8\", \"memory\": "
	    "\"32Gi\"}}]}";
	cJSON *nodes, *pods, *metrics;
	struct snapshot s;

	nodes = cJSON_Parse(nodes_json);
	pods = cJSON_Parse(pods_json);
	metrics = cJSON_Parse(metrics_json);
	UT_ASSERT(t, nodes != NULL && pods != NULL && metrics != NULL);
	snapshot_from_kube(nodes, pods, metrics, &s);
	UT_EQ_INT(t, s.node_count, 4);
	UT_EQ_INT(t, s.ready_node_count, 3);
	UT_EQ_INT(t, s.unschedulable_node_count, 1);
	UT_EQ_INT(t, s.bm_count, 3);
	UT_EQ_INT(t, s.vm_count, 1);
	UT_EQ_INT(t, s.pod_count, 3);
	UT_NEAR(t, s.cpu_capacity, 48, 1e-9);
	UT_NEAR(t, s.mem_capacity, 192, 1e-9);
	/* n1 and n2 only: n3 is cordoned, n4 not Ready */
	UT_NEAR(t, s.cpu_allocatable, 31.5, 1e-9);
	UT_NEAR(t, s.mem_allocatable, 126, 1e-9);
	/* max(2 + 0.5, 4) + 0.25 on n1; memory max(4Gi, 1Gi) */
	UT_NEAR(t, s.cpu_request, 4.25, 1e-9);
	UT_NEAR(t, s.mem_request, 4, 1e-9);
	UT_NEAR(t, s.cpu_usage, 15.75, 1e-9);
	UT_NEAR(t, s.mem_usage, 63, 1e-9);
	UT_NEAR(t, s.max_cpu, 50, 1e-9);
	UT_NEAR(t, s.max_memory, 50, 1e-9);
	UT_NEAR(t, s.cpu_allocation_ratio, 13.4921, 1e-4);
	UT_EQ_STR(t, s.source, "kube");
	/* no metrics API: usage unknown */
	snapshot_from_kube(nodes, pods, NULL, &s);
	UT_ASSERT(t, isnan(s.cpu_usage) && isnan(s.max_cpu));
	UT_NEAR(t, s.cpu_allocation_ratio, 13.4921, 1e-4);
	cJSON_Delete(nodes);
	cJSON_Delete(pods);
	cJSON_Delete(metrics);
}

/* Clusters 1 to 9 exist, by id or as "c1" to "c9" (as in fuzz-snapshot). */
static int
corpus_resolve(void *arg, const char *ref, long long *id,
    struct es_err *err)
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

/*
 * Replays the fuzz corpus (testdata/fuzz/snapshot) with the fuzz target's
 * properties: no crash or leak, errors carry a message, parsed rows have a
 * known cluster and sane derived values.
 */
static void
test_snapshot_fuzz_corpus(struct unit_t *t)
{
	static const char *names[] = { "f.csv", "f.json", "f.jsonl", "f" };
	static const char *formats[] = { NULL, NULL, NULL, NULL, "csv",
	    "json" };
	struct es_err err = ES_ERR_INIT;
	struct unit_corpus c;
	struct snapshot *rows;
	const char *data;
	size_t n, i, len;
	unsigned pick;
	int parsed = 0;

	if (unit_corpus_open(t, &c, "snapshot") == -1)
		return;
	while (unit_corpus_next(t, &c)) {
		data = c.buf.data;
		len = c.buf.len;
		pick = len > 0 ? (unsigned char)data[0] : 0;
		es_err_clear(&err);
		if (snapshot_parse(len ? data + 1 : data, len ? len - 1 : 0,
		    names[pick % 4], formats[pick % 6], pick & 0x80 ? 1 : -1,
		    T0, corpus_resolve, NULL, &rows, &n, &err) == -1) {
			UT_ASSERT(t, err.code != 0 && err.msg[0] != '\0');
			continue;
		}
		parsed++;
		for (i = 0; i < n; i++) {
			UT_ASSERT(t, rows[i].cluster_id >= 1 &&
			    rows[i].cluster_id <= 9);
			UT_ASSERT(t, rows[i].cpu_request >= 0 &&
			    rows[i].node_count >= 0);
			UT_ASSERT(t, isnan(rows[i].max_cpu) ||
			    (isfinite(rows[i].max_cpu) && rows[i].max_cpu >= 0));
		}
		free(rows);
	}
	UT_ASSERT(t, c.files >= 4);
	UT_ASSERT(t, parsed >= 4);
	unit_corpus_close(&c);
}

static void
test_notify_config(struct unit_t *t)
{
	static const char good[] =
	    "notify:\n  channels: [system, email]\n  timeout: 2s\n"
	    "  email:\n    smtp_url: smtp://127.0.0.1:1\n"
	    "    from: a@example.com\n    tls: starttls\n";
	static const char bad[] = "notify:\n  channels: [sms]\n";
	struct config *cfg;
	struct notify_config nc;
	struct es_err err = ES_ERR_INIT;
	int ch;

	UT_EQ_INT(t, config_parse(good, sizeof good - 1, "c.yaml", &cfg,
	    &err), 0);
	UT_EQ_INT(t, notify_config_load(cfg, &nc, &err), 0);
	UT_ASSERT(t, nc.enabled[NOTIFY_SYSTEM] && nc.enabled[NOTIFY_EMAIL]);
	UT_ASSERT(t, !nc.enabled[NOTIFY_IM] && !nc.enabled[NOTIFY_SMS]);
	UT_EQ_INT(t, nc.timeout_ms, 2000);
	UT_EQ_INT(t, nc.email_tls, NOTIFY_TLS_STARTTLS);
	notify_config_release(&nc);
	config_free(cfg);
	UT_EQ_INT(t, config_parse(bad, sizeof bad - 1, "c.yaml", &cfg,
	    &err), 0);
	UT_EQ_INT(t, notify_config_load(cfg, &nc, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "notify.sms.url is not set") != NULL);
	config_free(cfg);
	/* no notify: section - the system channel alone */
	UT_EQ_INT(t, config_parse("", 0, "c.yaml", &cfg, &err), 0);
	UT_EQ_INT(t, notify_config_load(cfg, &nc, &err), 0);
	UT_ASSERT(t, nc.enabled[NOTIFY_SYSTEM] && !nc.enabled[NOTIFY_EMAIL]);
	notify_config_release(&nc);
	config_free(cfg);
	UT_EQ_INT(t, notify_channel_parse("fax", &ch, &err), -1);
}

/*
 * Migration 14: history rows written before are runs of one check (their
 * last check is their time); a check afterwards starts the pairs' runs.
 */
static void
test_history_migration14(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct engine_opts o;
	struct engine_report *rep = NULL;
	sqlite3 *db;
	long long n;
	char *path;
	size_t i;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_ASSERT(t, sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < schema_nmigrations &&
	    schema_migrations[i].version <= 11; i++)
		UT_ASSERT(t, sqlite3_exec(db, schema_migrations[i].sql, NULL,
		    NULL, NULL) == SQLITE_OK);
	UT_ASSERT(t, sqlite3_exec(db, "PRAGMA user_version = 11;"
	    "INSERT INTO k8s_cluster (created_at, updated_at, cluster_id, "
	    "clustername, status) VALUES ('t', 't', 'u1', 'prod-a', "
	    "'running');"
	    "INSERT INTO elastic_scaling_strategy (name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, duration_minutes, cooldown_minutes, "
	    "device_count, status, created_by, created_at, updated_at) "
	    "VALUES ('s', '', 'pool_entry', 80, 'usage', 15, 30, 1, "
	    "'enabled', 'x', 't', 't');"
	    "INSERT INTO strategy_cluster_association VALUES (1, 1);"
	    "INSERT INTO strategy_execution_history (strategy_id, cluster_id, "
	    "execution_time, result, reason) VALUES (1, 1, "
	    "'2024-01-01T00:00:00Z', 'failed_check', 'old');",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history WHERE last_execution_time = "
	    "execution_time AND evaluations = 1", ""), 0);
	UT_EQ_INT(t, n, 1);
	/* no snapshot: failed_check again, but a new run (no state yet) */
	memset(&o, 0, sizeof o);
	o.now = T0 + 600;
	o.max_gap = 600;
	o.cluster_id = -1;
	UT_EQ_INT(t, engine_check(st, &o, &rep, &err), 0);
	engine_report_free(rep);
	o.now = T0 + 900;
	UT_EQ_INT(t, engine_check(st, &o, &rep, &err), 0);
	engine_report_free(rep);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history", ""), 0);
	UT_EQ_INT(t, n, 2);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT evaluations "
	    "FROM strategy_pair_state WHERE last_execution_time = "
	    "'2024-01-01T00:15:00Z'", ""), 0);
	UT_EQ_INT(t, n, 2);
	store_close(st);
	free(path);
}

/*
 * A first check of more pairs than one multi-row INSERT holds (300: two
 * full statements and 44 rows one by one): a history row and a state row
 * naming it for every pair.
 */
static void
test_history_batches(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct engine_opts o;
	struct engine_report *rep = NULL;
	long long n;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO k8s_cluster "
	    "(created_at, updated_at, cluster_id, clustername, status) VALUES "
	    "('t', 't', 'u1', 'prod-a', 'running'), ('t', 't', 'u2', "
	    "'prod-b', 'running')", "") == 2);
	UT_ASSERT(t, store_exec(st, &err, "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO "
	    "elastic_scaling_strategy (name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, duration_minutes, cooldown_minutes, "
	    "device_count, status, created_by, created_at, updated_at) "
	    "SELECT 's' || i, '', 'pool_entry', 80, 'usage', 15, 30, 1, "
	    "'enabled', 'x', 't', 't' FROM n", "") == 150);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "strategy_cluster_association SELECT s.id, c.id FROM "
	    "elastic_scaling_strategy s, k8s_cluster c", "") == 300);
	memset(&o, 0, sizeof o);
	o.now = T0 + 600;
	o.max_gap = 600;
	o.cluster_id = -1;
	o.terse = 1;
	UT_EQ_INT(t, engine_check(st, &o, &rep, &err), 0);
	UT_ASSERT(t, rep != NULL && rep->n == 300);
	engine_report_free(rep);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_pair_state p JOIN strategy_execution_history h ON h.id "
	    "= p.history_id AND h.strategy_id = p.strategy_id AND "
	    "h.cluster_id = p.cluster_id WHERE p.evaluations = 1 AND "
	    "h.reason <> ''", ""), 0);
	UT_EQ_INT(t, n, 300);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history", ""), 0);
	UT_EQ_INT(t, n, 300);
	store_close(st);
	free(path);
}

/* Runs one check of every strategy at T0 + secs (terse, as from cron). */
static void
quiet_check(struct unit_t *t, struct store *st, long long secs)
{
	struct es_err err = ES_ERR_INIT;
	struct engine_opts o;
	struct engine_report *rep = NULL;

	memset(&o, 0, sizeof o);
	o.now = T0 + (time_t)secs;
	o.max_gap = 600;
	o.cluster_id = -1;
	o.terse = 1;
	UT_EQ_INT(t, engine_check(st, &o, &rep, &err), 0);
	engine_report_free(rep);
}

/* strategy history of strategy 1 and a cluster: "id first last n result". */
static char *
quiet_history(struct unit_t *t, struct store *st, long long cluster)
{
	struct strategy_history_filter f;
	struct es_err err = ES_ERR_INIT;
	struct es_buf b;
	cJSON *rows = NULL, *r;

	memset(&f, 0, sizeof f);
	f.strategy_id = 1;
	f.cluster_id = cluster;
	UT_EQ_INT(t, strategy_history(st, &f, &rows, &err), 0);
	es_buf_init(&b);
	es_buf_add(&b, "", 1);
	b.len = 0;
	cJSON_ArrayForEach(r, rows) {
		cJSON *id = cJSON_GetObjectItem(r, "id");

		es_buf_addf(&b, "%s%s %s %s %d %s %s", b.len ? "; " : "",
		    cJSON_IsNumber(id) ? "row" : "-",
		    cJSON_GetStringValue(cJSON_GetObjectItem(r,
		    "execution_time")) + 11,
		    cJSON_GetStringValue(cJSON_GetObjectItem(r,
		    "last_execution_time")) + 11,
		    cJSON_GetObjectItem(r, "evaluations")->valueint,
		    cJSON_GetStringValue(cJSON_GetObjectItem(r, "result")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(r, "reason")));
	}
	cJSON_Delete(rows);
	return b.data;
}

/*
 * Quiet runs (schema 15): a pair whose condition is not met has no
 * history row while that goes on, only its state row, and `strategy
 * history` still tells its first and last check; when it ends it gets
 * its row, and a pair that becomes quiet again starts a new quiet run.
 * 150 strategies on two clusters: more pairs than one multi-row INSERT.
 */
static void
test_history_quiet(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	long long n;
	char *path, *h;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO k8s_cluster "
	    "(created_at, updated_at, cluster_id, clustername, status) VALUES "
	    "('t', 't', 'u1', 'prod-a', 'running'), ('t', 't', 'u2', "
	    "'prod-b', 'running')", "") == 2);
	UT_ASSERT(t, store_exec(st, &err, "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO "
	    "elastic_scaling_strategy (name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, duration_minutes, cooldown_minutes, "
	    "device_count, status, created_by, created_at, updated_at) "
	    "SELECT 's' || i, '', 'pool_entry', 80, 'usage', 15, 30, 1, "
	    "'enabled', 'x', 't', 't' FROM n", "") == 150);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "strategy_cluster_association SELECT s.id, c.id FROM "
	    "elastic_scaling_strategy s, k8s_cluster c", "") == 300);
	/* prod-a at 40% every 5 minutes up to 00:05; prod-b has none */
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, max_cpu) VALUES ('t', 't', 1, "
	    "'2024-01-01T00:00:00Z', 40), ('t', 't', 1, "
	    "'2024-01-01T00:05:00Z', 40)", "") == 2);
	quiet_check(t, st, 300);
	/* the not met pairs: no history row, no state row: a group each */
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history", ""), 0);
	UT_EQ_INT(t, n, 150);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history WHERE cluster_id = 2 AND reason <> ''",
	    ""), 0);
	UT_EQ_INT(t, n, 150);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_pair_state WHERE cluster_id = 1", ""), 0);
	UT_EQ_INT(t, n, 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_quiet WHERE clusters = '[1]' AND since = "
	    "'2024-01-01T00:05:00Z' AND evaluations = 1", ""), 0);
	UT_EQ_INT(t, n, 150);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:05:00Z 1 skipped condition not met");
	free(h);
	/* the next check: the quiet run goes on, to this check */
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, max_cpu) VALUES ('t', 't', 1, "
	    "'2024-01-01T00:10:00Z', 40)", "") == 1);
	quiet_check(t, st, 600);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:10:00Z 2 skipped condition not met");
	free(h);
	/* 90%: held too short; the quiet run ends and gets its row */
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, max_cpu) VALUES ('t', 't', 1, "
	    "'2024-01-01T00:15:00Z', 90)", "") == 1);
	quiet_check(t, st, 900);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "row 00:15:00Z 00:15:00Z 1 skipped condition held "
	    "for 0s, less than the required 15m (since "
	    "2024-01-01T00:15:00Z): CPU usage 90.0% >= 80.0%; "
	    "row 00:05:00Z 00:10:00Z 2 skipped condition not met");
	free(h);
	/* 40% again: the held row ends at its last check; quiet since */
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, max_cpu) VALUES ('t', 't', 1, "
	    "'2024-01-01T00:20:00Z', 40), ('t', 't', 1, "
	    "'2024-01-01T00:25:00Z', 40)", "") == 2);
	quiet_check(t, st, 1200);
	quiet_check(t, st, 1500);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "- 00:20:00Z 00:25:00Z 2 skipped condition not met; "
	    "row 00:15:00Z 00:15:00Z 1 skipped condition held "
	    "for 0s, less than the required 15m (since "
	    "2024-01-01T00:15:00Z): CPU usage 90.0% >= 80.0%; "
	    "row 00:05:00Z 00:10:00Z 2 skipped condition not met");
	free(h);
	/* every pair is in its history: 150 x (3 + prod-b's 1) rows */
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history", ""), 0);
	UT_EQ_INT(t, n, 450);
	store_close(st);
	free(path);
}

/*
 * Migration 15: a schema-14 database's history and pair states describe
 * the same runs afterwards (their first and last checks, numbers and
 * results); a "not met" run stored as a row goes on as that row and ends
 * like one.
 */
static void
test_history_migration15(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	sqlite3 *db;
	long long n;
	char *path, *h;
	size_t i;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_ASSERT(t, sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < schema_nmigrations &&
	    schema_migrations[i].version <= 14; i++)
		UT_ASSERT(t, sqlite3_exec(db, schema_migrations[i].sql, NULL,
		    NULL, NULL) == SQLITE_OK);
	/*
	 * prod-a: a closed "not met" run (00:05-00:20, 4 checks), then a
	 * no-snapshot run going on (00:25-00:40, 4); prod-b: a "not met"
	 * run going on (00:10-00:40, 7).
	 */
	UT_ASSERT(t, sqlite3_exec(db, "PRAGMA user_version = 14;"
	    "INSERT INTO k8s_cluster (created_at, updated_at, cluster_id, "
	    "clustername, status) VALUES ('t', 't', 'u1', 'prod-a', "
	    "'running'), ('t', 't', 'u2', 'prod-b', 'running');"
	    "INSERT INTO elastic_scaling_strategy (name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, duration_minutes, cooldown_minutes, "
	    "device_count, status, created_by, created_at, updated_at) "
	    "VALUES ('s', '', 'pool_entry', 80, 'usage', 15, 30, 1, "
	    "'enabled', 'x', 't', 't');"
	    "INSERT INTO strategy_cluster_association VALUES (1, 1), (1, 2);"
	    "INSERT INTO strategy_execution_history (strategy_id, cluster_id, "
	    "execution_time, result, reason, last_execution_time, "
	    "evaluations) VALUES (1, 1, '2024-01-01T00:05:00Z', 'skipped', "
	    "'not met', '2024-01-01T00:20:00Z', 4), (1, 1, "
	    "'2024-01-01T00:25:00Z', 'failed_check', 'none', NULL, 1), "
	    "(1, 2, '2024-01-01T00:10:00Z', 'skipped', 'not met', NULL, 1);"
	    "INSERT INTO strategy_pair_state VALUES (1, 1, 2, 1, "
	    "'2024-01-01T00:40:00Z', 4), (1, 2, 3, 4, "
	    "'2024-01-01T00:40:00Z', 7);", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_version(st), store_latest_version());
	h = quiet_history(t, st, -1);
	UT_EQ_STR(t, h, "row 00:25:00Z 00:40:00Z 4 failed_check none; "
	    "row 00:10:00Z 00:40:00Z 7 skipped not met; "
	    "row 00:05:00Z 00:20:00Z 4 skipped not met");
	free(h);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_pair_state WHERE (cluster_id = 1 AND history_id = 2 AND "
	    "since = '2024-01-01T00:25:00Z') OR (cluster_id = 2 AND "
	    "history_id = 3 AND since = '2024-01-01T00:10:00Z')", ""), 0);
	UT_EQ_INT(t, n, 2);
	/* no snapshot at 00:45: prod-a's run goes on, prod-b's ends */
	quiet_check(t, st, 2700);
	h = quiet_history(t, st, 2);
	UT_ASSERT(t, strncmp(h, "row 00:45:00Z 00:45:00Z 1 failed_check no "
	    "snapshot", 41) == 0);
	UT_ASSERT(t, strstr(h, "; row 00:10:00Z 00:40:00Z 7 skipped not met")
	    != NULL);
	free(h);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "row 00:25:00Z 00:45:00Z 5 failed_check none; "
	    "row 00:05:00Z 00:20:00Z 4 skipped not met");
	free(h);
	store_close(st);
	free(path);
}

/*
 * A quiet group (strategy_quiet): members that a check of all strategies
 * no longer sees (dissociated) keep their run as it was; a check of one
 * cluster gives its member a state row of its own, which goes on.
 */
static void
test_history_quiet_groups(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct engine_opts o;
	struct engine_report *rep = NULL;
	long long n;
	char *path, *h;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO k8s_cluster "
	    "(created_at, updated_at, cluster_id, clustername, status) VALUES "
	    "('t', 't', 'u1', 'prod-a', 'running'), ('t', 't', 'u2', "
	    "'prod-b', 'running')", "") == 2);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "elastic_scaling_strategy (name, description, "
	    "threshold_trigger_action, cpu_threshold_value, "
	    "cpu_threshold_type, duration_minutes, cooldown_minutes, "
	    "device_count, status, created_by, created_at, updated_at) "
	    "VALUES ('s', '', 'pool_entry', 80, 'usage', 15, 30, 1, "
	    "'enabled', 'x', 't', 't')", "") == 1);
	UT_ASSERT(t, store_exec(st, &err, "INSERT INTO "
	    "strategy_cluster_association VALUES (1, 1), (1, 2)", "") == 2);
	/* both at 40% every 5 minutes until 00:30 */
	UT_ASSERT(t, store_exec(st, &err, "WITH RECURSIVE k(i) AS (SELECT 0 "
	    "UNION ALL SELECT i + 1 FROM k WHERE i < 6) INSERT INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, max_cpu) SELECT 't', 't', c.id, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 1704067200 + i * 300, "
	    "'unixepoch'), 40 FROM k, k8s_cluster c", "") == 14);
	quiet_check(t, st, 300);
	quiet_check(t, st, 600);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_quiet WHERE clusters = '[1,2]' AND evaluations = 2", ""),
	    0);
	UT_EQ_INT(t, n, 1);
	/* prod-b dissociated: its run ends at 00:10, prod-a's goes on */
	UT_ASSERT(t, store_exec(st, &err, "DELETE FROM "
	    "strategy_cluster_association WHERE cluster_id = 2", "") == 1);
	quiet_check(t, st, 900);
	h = quiet_history(t, st, 2);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:10:00Z 2 skipped condition not met");
	free(h);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:15:00Z 3 skipped condition not met");
	free(h);
	quiet_check(t, st, 1200);
	h = quiet_history(t, st, 2);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:10:00Z 2 skipped condition not met");
	free(h);
	/* a check of prod-a alone: a state row of its own, going on */
	memset(&o, 0, sizeof o);
	o.now = T0 + 1500;
	o.max_gap = 600;
	o.cluster_id = 1;
	o.terse = 1;
	UT_EQ_INT(t, engine_check(st, &o, &rep, &err), 0);
	engine_report_free(rep);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_quiet", ""), 0);
	UT_EQ_INT(t, n, 0);
	quiet_check(t, st, 1800);
	h = quiet_history(t, st, 1);
	UT_EQ_STR(t, h, "- 00:05:00Z 00:30:00Z 6 skipped condition not met");
	free(h);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "strategy_execution_history", ""), 0);
	UT_EQ_INT(t, n, 0);
	store_close(st);
	free(path);
}

const struct unit_test unit_pool_tests[] = {
	{ "history_batches", test_history_batches },
	{ "history_migration14", test_history_migration14 },
	{ "history_quiet", test_history_quiet },
	{ "history_quiet_groups", test_history_quiet_groups },
	{ "history_migration15", test_history_migration15 },
	{ "engine_window", test_engine_window },
	{ "engine_gap_and_logic", test_engine_gap_and_logic },
	{ "format", test_pool_format },
	{ "strategy_rules", test_strategy_rules },
	{ "order_numbers", test_order_numbers },
	{ "duty_times", test_duty_times },
	{ "snapshot_derive", test_snapshot_derive },
	{ "snapshot_csv", test_snapshot_csv },
	{ "snapshot_kube", test_snapshot_kube },
	{ "snapshot_fuzz_corpus", test_snapshot_fuzz_corpus },
	{ "notify_config", test_notify_config },
	{ NULL, NULL }
};
