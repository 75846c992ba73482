/*
 * test-lifecycle.c - unit tests for the ES service lifecycle modules:
 * create inputs (cluster), reports, usage hours and GitLab helpers.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cluster.h"
#include "clusterobj.h"
#include "create.h"
#include "doc.h"
#include "gitcfg.h"
#include "kube.h"
#include "report.h"
#include "usage.h"
#include "util.h"
#include "unit.h"

/* A spec with the three required fields, finished. */
static int
spec_finish(struct cluster_spec *s, const char *org, const char *user,
    const char *svc, struct es_err *err)
{
	if (org != NULL)
		cluster_spec_set(s, CLUSTER_F_ORG, org, "--org", err);
	if (user != NULL)
		cluster_spec_set(s, CLUSTER_F_USER, user, "--user", err);
	if (svc != NULL)
		cluster_spec_set(s, CLUSTER_F_SERVICE, svc, "--service", err);
	return cluster_spec_finish(s, err);
}

static void
test_spec_required(struct unit_t *t)
{
	struct cluster_spec s;
	struct es_err err = ES_ERR_INIT;

	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, NULL, "alice", "search", &err), -1);
	UT_EQ_STR(t, err.msg, "tenant_org_id is required for multi-tenancy");
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	cluster_spec_release(&s);
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "org-001", NULL, "search", &err), -1);
	UT_EQ_STR(t, err.msg, "user is required");
	cluster_spec_release(&s);
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "org-001", "alice", NULL, &err), -1);
	UT_EQ_STR(t, err.msg, "service_name is required");
	cluster_spec_release(&s);
}

static void
test_spec_defaults(struct unit_t *t)
{
	struct cluster_spec s;
	struct es_err err = ES_ERR_INIT;
	struct tenant_amount a;

	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "org-001", "Alice_B", "vector.search",
	    &err), 0);
	UT_EQ_STR(t, s.namespace, "org-001-alice-b-vector-search");
	UT_EQ_INT(t, s.replicas, 1);
	UT_EQ_STR(t, s.cpu_request, "500m");
	UT_EQ_STR(t, s.cpu_limit, "2");
	UT_EQ_STR(t, s.mem_request, "1Gi");
	UT_EQ_STR(t, s.mem_limit, "2Gi");
	UT_EQ_STR(t, s.disk_size, "10Gi");
	UT_EQ_INT(t, s.gpu_count, 0);
	UT_EQ_INT(t, s.dimension, 128);
	UT_EQ_INT(t, s.vector_count, 10000);
	UT_EQ_INT(t, s.index_limit, 0);
	UT_EQ_INT(t, s.kibana, 1);
	cluster_spec_usage(&s, &a);
	UT_EQ_INT(t, a.clusters, 1);
	UT_EQ_INT(t, a.cpu, 2000);
	UT_EQ_INT(t, a.memory, 2LL * 1024 * 1024 * 1024 * 1000);
	cluster_spec_release(&s);
}

static void
test_spec_invalid(struct unit_t *t)
{
	struct cluster_spec s;
	struct es_err err = ES_ERR_INIT;
	char longname[80];

	cluster_spec_init(&s);
	UT_EQ_INT(t, cluster_spec_set(&s, CLUSTER_F_CPU_REQUEST, "lots",
	    "--cpu-request", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "invalid quantity 'lots' for "
	    "--cpu-request") != NULL);
	UT_EQ_INT(t, cluster_spec_set(&s, CLUSTER_F_REPLICAS, "0",
	    "--replicas", &err), -1);
	/* request > limit, compared as numbers: 1500m > 1.2 */
	cluster_spec_set(&s, CLUSTER_F_CPU_REQUEST, "1500m", "x", &err);
	cluster_spec_set(&s, CLUSTER_F_CPU_LIMIT, "1.2", "x", &err);
	UT_EQ_INT(t, spec_finish(&s, "o", "u", "s", &err), -1);
	UT_EQ_STR(t, err.msg, "cpu_request '1500m' is greater than cpu_limit "
	    "'1.2'");
	cluster_spec_release(&s);
	cluster_spec_init(&s);
	cluster_spec_set(&s, CLUSTER_F_MEM_REQUEST, "2048Mi", "x", &err);
	cluster_spec_set(&s, CLUSTER_F_MEM_LIMIT, "2G", "x", &err);
	UT_EQ_INT(t, spec_finish(&s, "o", "u", "s", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "mem_request '2048Mi' is greater") !=
	    NULL);
	cluster_spec_release(&s);
	/* names */
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "o", "a b", "s", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "invalid user 'a b'") != NULL);
	cluster_spec_release(&s);
	memset(longname, 'x', 64);
	longname[64] = '\0';
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "o", longname, "s", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "1 to 63 characters") != NULL);
	cluster_spec_release(&s);
	/* a derived namespace over 63 characters asks for --namespace */
	longname[40] = '\0';
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "org-001", longname, longname, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "--namespace") != NULL);
	cluster_spec_release(&s);
	cluster_spec_init(&s);
	cluster_spec_set(&s, CLUSTER_F_NAMESPACE, "Bad_NS", "x", &err);
	UT_EQ_INT(t, spec_finish(&s, "o", "u", "s", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "invalid namespace 'Bad_NS'") != NULL);
	cluster_spec_release(&s);
}

static void
test_spec_from_doc(struct unit_t *t)
{
	static const char text[] =
	    "tenant_org_id: org-001\n"
	    "user: alice\n"
	    "service_name: search\n"
	    "replicas: 3\n"
	    "cpu_limit: 4\n"
	    "mem_limit: 8Gi\n";
	static const char bad[] = "user: alice\nreplica: 3\n";
	static const char badtype[] = "replicas: two\n";
	struct cluster_spec s;
	struct doc_node *root;
	struct es_err err = ES_ERR_INIT;

	cluster_spec_init(&s);
	UT_EQ_INT(t, doc_parse(text, sizeof text - 1, "in.yaml", &root, &err),
	    0);
	UT_EQ_INT(t, cluster_spec_from_doc(&s, root, "in.yaml", &err), 0);
	doc_free(root);
	/* a flag given after the file wins */
	cluster_spec_set(&s, CLUSTER_F_REPLICAS, "2", "--replicas", &err);
	UT_EQ_INT(t, cluster_spec_finish(&s, &err), 0);
	UT_EQ_INT(t, s.replicas, 2);
	UT_EQ_STR(t, s.cpu_limit, "4");
	UT_EQ_STR(t, s.mem_limit, "8Gi");
	cluster_spec_release(&s);

	cluster_spec_init(&s);
	UT_EQ_INT(t, doc_parse(bad, sizeof bad - 1, "in.yaml", &root, &err),
	    0);
	UT_EQ_INT(t, cluster_spec_from_doc(&s, root, "in.yaml", &err), -1);
	UT_EQ_STR(t, err.msg, "in.yaml:2:1: unknown key 'replica' (did you "
	    "mean 'replicas'?)");
	doc_free(root);
	cluster_spec_release(&s);

	cluster_spec_init(&s);
	UT_EQ_INT(t, doc_parse(badtype, sizeof badtype - 1, "in.json", &root,
	    &err), 0);
	UT_EQ_INT(t, cluster_spec_from_doc(&s, root, "in.json", &err), -1);
	UT_EQ_STR(t, err.msg, "in.json:1:11: replicas must be an integer, "
	    "not 'two'");
	doc_free(root);
	cluster_spec_release(&s);

	/* repository defaults fill only what is unset, never identities */
	cluster_spec_init(&s);
	cluster_spec_set(&s, CLUSTER_F_REPLICAS, "5", "--replicas", &err);
	UT_EQ_INT(t, doc_parse(text, sizeof text - 1, "esctl.yaml", &root,
	    &err), 0);
	UT_EQ_INT(t, cluster_spec_defaults(&s, root, "esctl.yaml", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "'tenant_org_id' cannot have a default")
	    != NULL);
	doc_free(root);
	UT_EQ_INT(t, doc_parse("replicas: 3\ncpu_limit: 3\n", 25, "v", &root,
	    &err), 0);
	UT_EQ_INT(t, cluster_spec_defaults(&s, root, "v", &err), 0);
	UT_EQ_INT(t, s.replicas, 5);
	UT_EQ_STR(t, s.cpu_limit, "3");
	doc_free(root);
	cluster_spec_release(&s);
}

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_report_emit(struct unit_t *t)
{
	struct store *st;
	struct report_sink *sink;
	struct report_opts o;
	struct report_details d;
	struct report r;
	struct report_filter f;
	struct report_flush_result fr;
	struct es_err err = ES_ERR_INIT;
	struct es_buf b = ES_BUF_INIT;
	char *db, *dir, *log;
	cJSON *j, *list;
	long long n;
	int i;

	db = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(db, 0, &st, &err), 0);
	memset(&o, 0, sizeof o);
	o.data_dir = t->tmpdir;
	o.url = "http://127.0.0.1:1/report";	/* nobody listens */
	o.timeout_ms = 2000;
	UT_EQ_INT(t, report_sink_open(&o, st, &sink, &err), 0);
	memset(&d, 0, sizeof d);
	d.replicas = 1;
	d.cpu_request = "500m";
	d.cpu_limit = "2";
	d.mem_request = "1Gi";
	d.mem_limit = "2Gi";
	d.disk_size = "10Gi";
	d.dimension = 128;
	d.vector_count = 10000;
	memset(&r, 0, sizeof r);
	r.tenant_org_id = "org-001";
	r.user = "alice";
	r.service_name = "search";
	r.namespace = "org-001-alice-search";
	r.details = &d;
	for (i = 0; i < 3; i++) {
		r.status = report_statuses[i];
		r.message = "line one\nline two";
		UT_EQ_INT(t, report_emit(sink, &r, &j, &err), 0);
		UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(j,
		    "status")), report_statuses[i]);
		cJSON_Delete(j);
	}
	/* three files, three log lines (one line each), three rows */
	dir = xasprintf("%s/deployment_reports", t->tmpdir);
	UT_EQ_INT(t, count_files(dir), 3);
	log = xasprintf("%s/deployment.log", t->tmpdir);
	UT_EQ_INT(t, es_buf_read_file(&b, log), 0);
	n = 0;
	for (i = 0; i < (int)b.len; i++)
		n += b.data[i] == '\n';
	UT_EQ_INT(t, n, 3);
	UT_ASSERT(t, strstr(b.data, " - User: alice, Service: search, "
	    "Namespace: org-001-alice-search, Status: starting, Message: "
	    "line one line two\n") != NULL);
	memset(&f, 0, sizeof f);
	f.user = "alice";
	UT_EQ_INT(t, report_list(st, &f, &list, &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(list), 3);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(list, 0), "delivery")), "pending");
	cJSON_Delete(list);
	/* nothing delivered: all three wait, in order */
	UT_EQ_INT(t, report_flush(sink, 1, &fr, &err), 0);
	UT_EQ_INT(t, fr.delivered, 0);
	UT_EQ_INT(t, fr.failed, 1);
	UT_EQ_INT(t, fr.pending, 3);
	UT_EQ_INT(t, report_stats(st, &f, &list, &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(list), REPORT_NSTATUS);
	cJSON_Delete(list);
	report_sink_free(sink);
	store_close(st);
	es_buf_release(&b);
	free(db);
	free(dir);
	free(log);
}

static void
test_usage_hours(struct unit_t *t)
{
	struct store *st;
	struct usage_event e;
	struct es_err err = ES_ERR_INIT;
	char *db;
	cJSON *rows, *r;
	time_t t0 = 1700000000;

	db = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(db, 0, &st, &err), 0);
	memset(&e, 0, sizeof e);
	e.tenant_org_id = "org-001";
	e.user = "alice";
	e.service_name = "search";
	e.namespace = "org-001-alice-search";
	e.event = "create";
	e.replicas = 1;
	e.cpu_limit = "2";
	e.mem_limit = "2Gi";
	e.disk_size = "10Gi";
	e.gpu_count = 1;
	UT_EQ_INT(t, usage_record(st, &e, t0, &err), 0);
	e.event = "scale";
	e.replicas = 3;
	UT_EQ_INT(t, usage_record(st, &e, t0 + 3600, &err), 0);
	e.event = "delete";
	UT_EQ_INT(t, usage_record(st, &e, t0 + 3 * 3600, &err), 0);
	/* 1h x 1 replica + 2h x 3 replicas = 7 replica-hours */
	UT_EQ_INT(t, usage_report(st, "org-001", NULL, t0 - 100,
	    t0 + 10 * 3600, &rows, &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(rows), 1);
	r = cJSON_GetArrayItem(rows, 0);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r, "hours")), 3,
	    1e-9);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "replica_hours")), 7, 1e-9);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "cpu_core_hours")), 14, 1e-9);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "memory_gib_hours")), 14, 1e-9);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "gpu_hours")), 7, 1e-9);
	cJSON_Delete(rows);
	/* a window cutting the middle: [t0+30m, t0+2h) = 0.5h x1 + 1h x3 */
	UT_EQ_INT(t, usage_report(st, "org-001", "alice", t0 + 1800,
	    t0 + 7200, &rows, &err), 0);
	r = cJSON_GetArrayItem(rows, 0);
	UT_NEAR(t, cJSON_GetNumberValue(cJSON_GetObjectItem(r,
	    "replica_hours")), 3.5, 1e-9);
	cJSON_Delete(rows);
	UT_EQ_INT(t, usage_report(st, "org-002", NULL, t0, t0 + 7200, &rows,
	    &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(rows), 0);
	cJSON_Delete(rows);
	store_close(st);
	free(db);
}

static const char *
lookup(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "NAMESPACE") == 0 ? "org-001-a-s" : NULL;
}

static void
test_gitcfg_helpers(struct unit_t *t)
{
	struct es_buf b = ES_BUF_INIT;
	struct es_err err = ES_ERR_INIT;
	char *u;
	const char *text = "ns: ${NAMESPACE}\ncost: $$5 $x\n";

	UT_EQ_INT(t, gitcfg_substitute(text, strlen(text), "m.yaml", lookup,
	    NULL, &b, &err), 0);
	UT_EQ_STR(t, b.data, "ns: org-001-a-s\ncost: $5 $x\n");
	es_buf_reset(&b);
	text = "a: 1\nb: ${NOPE}\n";
	UT_EQ_INT(t, gitcfg_substitute(text, strlen(text), "m.yaml", lookup,
	    NULL, &b, &err), -1);
	UT_EQ_STR(t, err.msg, "m.yaml:2: undefined variable ${NOPE}");
	text = "a: ${OPEN\n";
	UT_EQ_INT(t, gitcfg_substitute(text, strlen(text), "m.yaml", lookup,
	    NULL, &b, &err), -1);
	UT_EQ_STR(t, err.msg, "m.yaml:1: unclosed '${'");
	es_buf_release(&b);

	u = gitcfg_redact_url("https://oauth2:s3cret@git.example/g/r.git#v1");
	UT_EQ_STR(t, u, "https://git.example/g/r.git");
	free(u);
	UT_EQ_INT(t, gitcfg_check_url("ftp://x/y", &err), -1);
	UT_EQ_INT(t, gitcfg_check_url("https:///y", &err), -1);
	UT_EQ_INT(t, gitcfg_check_url("https://host", &err), -1);
	UT_EQ_INT(t, gitcfg_check_url("file://relative", &err), -1);
	UT_EQ_INT(t, gitcfg_check_url("https://u:tok@h/r.git#main:cfg", &err),
	    0);
	UT_EQ_INT(t, gitcfg_check_url("https://u:tok@h", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "tok") == NULL);
	UT_EQ_INT(t, gitcfg_check_url("https:///y/r.git", &err), -1);
	UT_ASSERT(t, strstr(err.msg, "no host") != NULL);
	UT_EQ_INT(t, gitcfg_check_url("https:/h/r.git", &err), -1);
	u = gitcfg_redact_url("HTTP://u:p%40w@h:8080/g/r.git#v1:sub/dir");
	UT_EQ_STR(t, u, "http://h:8080/g/r.git");
	free(u);
}

static const char *
env_value(const cJSON *c, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, cJSON_GetObjectItem(c, "env"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(v,
		    "name")), name) == 0)
			return cJSON_GetStringValue(cJSON_GetObjectItem(v,
			    "value"));
	return NULL;
}

static void
test_objects(struct unit_t *t)
{
	struct cluster_spec s;
	struct clusterobj_env e;
	struct es_err err = ES_ERR_INIT;
	cJSON *objs, *sts, *c, *ns, *lim;
	const char *names[] = { "CPU_REQUEST", "CPU_LIMIT", "MEM_REQUEST",
	    "MEM_LIMIT", "DISK_SIZE", "GPU_COUNT", "DIMENSION",
	    "VECTOR_COUNT", "REPLICAS" };
	size_t i;

	cluster_spec_init(&s);
	cluster_spec_set(&s, CLUSTER_F_REPLICAS, "3", "x", &err);
	cluster_spec_set(&s, CLUSTER_F_GPU_COUNT, "2", "x", &err);
	cluster_spec_set(&s, CLUSTER_F_INDEX_LIMIT, "10", "x", &err);
	UT_EQ_INT(t, spec_finish(&s, "org-001", "alice", "search", &err), 0);
	memset(&e, 0, sizeof e);
	e.spec = &s;
	e.creation_id = "tenant_org-001_alice_search_1";
	ns = clusterobj_namespace(&e);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(ns, "metadata"),
	    "labels"), "tenant-org-id")), "org-001");
	UT_EQ_INT(t, clusterobj_owner(ns, &s, e.creation_id), CLUSTEROBJ_OURS);
	UT_EQ_INT(t, clusterobj_owner(ns, &s, "other"), CLUSTEROBJ_ORPHAN);
	cJSON_Delete(ns);
	objs = clusterobj_builtin(&e);
	UT_EQ_INT(t, cJSON_GetArraySize(objs), 5);
	sts = cJSON_GetArrayItem(objs, 1);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(sts, "kind")),
	    "StatefulSet");
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"),
	    "spec"), "containers"), 0);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		UT_ASSERT(t, env_value(c, names[i]) != NULL);
	UT_EQ_STR(t, env_value(c, "REPLICAS"), "3");
	lim = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "resources"),
	    "limits");
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(lim,
	    "nvidia.com/gpu")), "2");
	/* configuring again changes nothing; new inputs do */
	UT_EQ_INT(t, clusterobj_configure(sts, &s, &err), 1);
	UT_EQ_INT(t, clusterobj_set_gpu(sts, 2, &err), 1);
	UT_EQ_INT(t, clusterobj_set_gpu(sts, 0, &err), 0);
	UT_ASSERT(t, !cJSON_HasObjectItem(lim, "nvidia.com/gpu"));
	cJSON_Delete(objs);
	s.kibana = 0;
	objs = clusterobj_builtin(&e);
	UT_EQ_INT(t, cJSON_GetArraySize(objs), 3);
	cJSON_Delete(objs);
	cluster_spec_release(&s);
}

static const char *
corpus_var(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "NAMESPACE") == 0 ? "ns" : NULL;
}

/*
 * Replays the create fuzz corpus (testdata/fuzz/create) with the fuzz
 * target's properties: no crash, errors carry a message, a validated
 * spec has a DNS-1123 namespace and builds its objects.
 */
static void
test_create_fuzz_corpus(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct es_buf out = ES_BUF_INIT;
	struct unit_corpus c;
	struct doc_node *root;
	struct cluster_spec s;
	struct clusterobj_env e;
	cJSON *objs;

	if (unit_corpus_open(t, &c, "create") == -1)
		return;
	while (unit_corpus_next(t, &c)) {
		cluster_spec_init(&s);
		if (doc_parse(c.buf.data, c.buf.len, "in", &root, &err) == 0) {
			if (cluster_spec_from_doc(&s, root, "in", &err) == 0 &&
			    cluster_spec_finish(&s, &err) == 0) {
				UT_ASSERT(t, util_dns1123_label(s.namespace));
				memset(&e, 0, sizeof e);
				e.spec = &s;
				objs = clusterobj_builtin(&e);
				UT_ASSERT(t, cJSON_GetArraySize(objs) >= 3);
				cJSON_Delete(objs);
			} else
				UT_ASSERT(t, err.msg[0] != '\0');
			doc_free(root);
		} else
			UT_ASSERT(t, err.msg[0] != '\0');
		cluster_spec_release(&s);
		es_buf_reset(&out);
		if (gitcfg_substitute(c.buf.data, c.buf.len, "m", corpus_var,
		    NULL, &out, &err) == -1)
			UT_ASSERT(t, strncmp(err.msg, "m:", 2) == 0);
	}
	UT_ASSERT(t, c.files >= 4);
	unit_corpus_close(&c);
	es_buf_release(&out);
}

/* Issue 15 item 1: the ownership proof of a namespace. */
static void
test_ns_proof(struct unit_t *t)
{
	struct clusterobj_record r;
	struct es_err err = ES_ERR_INIT;
	cJSON *ns;

	memset(&r, 0, sizeof r);
	r.namespace = "ns";
	r.tenant_org_id = "org-001";
	r.user = "alice";
	r.service_name = "search";
	r.creation_id = "c1";
	ns = cJSON_Parse("{\"metadata\": {\"name\": \"ns\", \"labels\": "
	    "{\"es-cluster\": \"true\", \"tenant-org-id\": \"org-001\", "
	    "\"user\": \"alice\", \"service-name\": \"search\"}, "
	    "\"annotations\": {\"es.yunpeng.cn/creation-id\": \"c1\"}}}");
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), CLUSTEROBJ_OURS);
	r.creation_id = "c2";
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	r.creation_id = "c1";
	r.user = "mallory";
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "label user is 'alice'") != NULL);
	r.user = "alice";
	r.tenant_org_id = "org-002";
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), -1);
	UT_EQ_INT(t, err.code, ES_EPERM);
	r.tenant_org_id = "org-001";
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(ns, "metadata"),
	    "annotations");
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), CLUSTEROBJ_ADOPTED);
	cJSON_Delete(ns);
	/* kube-system: no labels at all */
	ns = cJSON_Parse("{\"metadata\": {\"name\": \"kube-system\"}}");
	UT_EQ_INT(t, clusterobj_proof(ns, &r, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "no label es-cluster=true") != NULL);
	cJSON_Delete(ns);
}

/* What a create tells its info callback, one line each. */
static void
create_info(void *arg, const char *msg)
{
	es_buf_addf(arg, "%s\n", msg);
}

/*
 * The create library without a cluster: the dry-run plan records
 * nothing; begin records "creating" and holds the service's lock; a
 * create freed without its rollback (a crash) is resumed by the next
 * begin, which says so through the callback; abort marks the record
 * failed with the cause.
 */
static void
test_create_begin(struct unit_t *t)
{
	struct store *st;
	struct cluster_spec s;
	struct clusterobj_env env;
	struct cluster_create_opts o;
	struct cluster_create *cc = NULL, *cc2 = NULL;
	struct es_err err = ES_ERR_INIT, cause = ES_ERR_INIT;
	struct es_buf info = ES_BUF_INIT;
	cJSON *items = NULL, *rec = NULL;
	char *db;

	db = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(db, 0, &st, &err), 0);
	cluster_spec_init(&s);
	UT_EQ_INT(t, spec_finish(&s, "org-001", "alice", "search", &err), 0);
	memset(&env, 0, sizeof env);
	env.spec = &s;
	env.creation_id = "(dry-run)";
	UT_EQ_INT(t, cluster_create_plan(st, &s, &env, NULL, &items, &err),
	    0);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(items, 0), "kind")), "Namespace");
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(items, cJSON_GetArraySize(items) - 1),
	    "kind")), "PersistentVolumeClaim");
	cJSON_Delete(items);
	UT_EQ_INT(t, cluster_meta_get(st, s.namespace, &rec, &err), 0);
	UT_ASSERT(t, rec == NULL);

	memset(&o, 0, sizeof o);
	o.st = st;
	o.spec = &s;
	o.env = &env;
	o.export_dir = t->tmpdir;
	o.now = 1700000000;
	o.timeout_ms = 1000;
	o.info = create_info;
	o.arg = &info;
	UT_EQ_INT(t, cluster_create_begin(&o, &cc, &err), 0);
	UT_EQ_INT(t, cluster_meta_get(st, s.namespace, &rec, &err), 0);
	UT_EQ_STR(t, kube_str(rec, "status"), "creating");
	cJSON_Delete(rec);
	/* a second create of the service waits for nobody: Locked */
	UT_EQ_INT(t, cluster_create_begin(&o, &cc2, &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	UT_ASSERT(t, cc2 == NULL);
	es_err_clear(&err);
	UT_EQ_INT(t, (int)info.len, 0);

	/* interrupted: freed without a rollback; the next one resumes */
	cluster_create_free(cc);
	cc = NULL;
	UT_EQ_INT(t, cluster_create_begin(&o, &cc, &err), 0);
	UT_EQ_STR(t, info.data, "resuming the interrupted create of "
	    "'org-001-alice-search'\n");

	es_err_set(&cause, ES_EREMOTE, NULL, "no cluster to talk to");
	cluster_create_abort(cc, NULL, &cause);
	cluster_create_free(cc);
	UT_EQ_INT(t, cluster_meta_get(st, s.namespace, &rec, &err), 0);
	UT_EQ_STR(t, kube_str(rec, "status"), "failed");
	UT_EQ_STR(t, kube_str(rec, "message"), "no cluster to talk to");
	cJSON_Delete(rec);

	es_buf_release(&info);
	cluster_spec_release(&s);
	store_close(st);
	free(db);
}

const struct unit_test unit_lifecycle_tests[] = {
	{ "create_fuzz_corpus", test_create_fuzz_corpus },
	{ "objects", test_objects },
	{ "ns_proof", test_ns_proof },
	{ "spec_required", test_spec_required },
	{ "spec_defaults", test_spec_defaults },
	{ "spec_invalid", test_spec_invalid },
	{ "spec_from_doc", test_spec_from_doc },
	{ "report_emit", test_report_emit },
	{ "create_begin", test_create_begin },
	{ "usage_hours", test_usage_hours },
	{ "gitcfg_helpers", test_gitcfg_helpers },
	{ NULL, NULL }
};
