/*
 * test-store.c - unit tests for the SQLite store: migrations, permissions,
 * refusal of newer schemas, transactions, JSON rows, locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctab.h"
#include "schema.h"
#include "store.h"
#include "tenant.h"
#include "unit.h"
#include "vindex.h"

static void
test_store_create(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct stat sb;
	char *path, *dir;

	dir = xasprintf("%s/new/dir", t->tmpdir);
	path = xasprintf("%s/esctl.db", dir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_version(st), store_latest_version());
	store_close(st);
	UT_EQ_INT(t, stat(path, &sb), 0);
	UT_EQ_INT(t, sb.st_mode & 0777, 0600);
	UT_EQ_INT(t, stat(dir, &sb), 0);
	UT_EQ_INT(t, sb.st_mode & 0777, 0700);
	/* read-only reopen sees the same version and refuses writes */
	UT_EQ_INT(t, store_open(path, STORE_READONLY, &st, &err), 0);
	UT_ASSERT(t, store_readonly(st));
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO tenant_quota "
	    "(tenant_org_id, user, created_at, updated_at) VALUES "
	    "('o', '', 'x', 'x')", ""), -1);
	UT_EQ_STR(t, err.reason, "StoreReadOnly");
	store_close(st);
	free(path);
	free(dir);
}

/*
 * Issue 15 item 6: the first concurrent use of a new database.  16
 * processes open (and so create, switch to WAL and migrate) the same new
 * file at once, then write to it, 50 rounds: not one may fail with
 * "database is locked".
 */
#define STORE_RACE_PROCS	16
#define STORE_RACE_ROUNDS	50

static void
test_store_first_open_race(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	char *path, *p, *dir, user[16];
	pid_t pids[STORE_RACE_PROCS];
	int round, i, status, failed = 0, fds[2];
	char msg[256];
	ssize_t n;

	/* in memory when it can be: the race is in the locks, not the disk */
	if (access("/dev/shm", W_OK) == 0)
		dir = xasprintf("/dev/shm/esctl-unit-race-%ld", (long)getpid());
	else
		dir = xasprintf("%s/race", t->tmpdir);
	if (mkdir(dir, 0700) == -1) {
		unit_fail(t, __FILE__, __LINE__, "mkdir %s", dir);
		free(dir);
		return;
	}
	for (round = 0; round < STORE_RACE_ROUNDS; round++) {
		path = xasprintf("%s/race-%d.db", dir, round);
		if (pipe(fds) == -1) {
			unit_fail(t, __FILE__, __LINE__, "pipe");
			free(path);
			return;
		}
		for (i = 0; i < STORE_RACE_PROCS; i++) {
			if ((pids[i] = fork()) == -1) {
				unit_fail(t, __FILE__, __LINE__, "fork");
				break;
			}
			if (pids[i] != 0)
				continue;
			close(fds[0]);
			snprintf(user, sizeof user, "u%d", i);
			if (store_open(path, 0, &st, &err) == 0 &&
			    store_exec(st, &err, "INSERT INTO tenant_quota "
			    "(tenant_org_id, user, created_at, updated_at) "
			    "VALUES ('o', ?, 'x', 'x')", "s", user) >= 0) {
				store_close(st);
				_exit(0);
			}
			n = write(fds[1], err.msg, strlen(err.msg) + 1);
			_exit(n > 0 ? 1 : 2);
		}
		close(fds[1]);
		for (i = 0; i < STORE_RACE_PROCS; i++) {
			if (waitpid(pids[i], &status, 0) == pids[i] &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0)
				continue;
			failed++;
		}
		if ((n = read(fds[0], msg, sizeof msg - 1)) > 0) {
			msg[n] = '\0';
			unit_fail(t, __FILE__, __LINE__, "round %d: %s", round,
			    msg);
		}
		close(fds[0]);
		p = xasprintf("%s-wal", path);
		unlink(p);
		free(p);
		p = xasprintf("%s-shm", path);
		unlink(p);
		free(p);
		unlink(path);
		free(path);
	}
	rmdir(dir);
	free(dir);
	UT_EQ_INT(t, failed, 0);
}

/*
 * Migration 6 strips URL credentials from report_outbox rows that an
 * older esctl wrote: a genuine version-5 database (the first migrations,
 * applied here with sqlite3) with such a row, opened by this esctl.
 */
static void
test_store_migration6(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	sqlite3 *db;
	long long n;
	char *path, *url = NULL;
	size_t i;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_ASSERT(t, sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < schema_nmigrations &&
	    schema_migrations[i].version <= 5; i++)
		UT_ASSERT(t, sqlite3_exec(db, schema_migrations[i].sql, NULL,
		    NULL, NULL) == SQLITE_OK);
	UT_ASSERT(t, sqlite3_exec(db, "PRAGMA user_version = 5;"
	    "INSERT INTO deployment_report (report_id, tenant_org_id, user, "
	    "service_name, namespace, status, message, timestamp, details, "
	    "created_at) VALUES ('r1', 'o', 'u', 's', 'o-u-s', 'starting', "
	    "'m', 't', '{}', 't');"
	    "INSERT INTO report_outbox (report_id, url, body, created_at) "
	    "VALUES (1, 'https://u:pw@h.example:1/r@x', '{}', 't');",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_version(st), store_latest_version());
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "report_outbox WHERE url = 'https://h.example:1/r@x'", ""), 0);
	UT_EQ_INT(t, n, 1);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "report_outbox WHERE url LIKE '%pw%'", ""), 0);
	UT_EQ_INT(t, n, 0);
	store_close(st);
	free(url);
	free(path);
}

/*
 * Issue 17: every connection's first statement parses the whole schema
 * (search from the shell pays it on each query), so no index may be what
 * another index of its table already serves: a plain index whose columns
 * are the leading columns of another (not partial) index.  A genuine
 * version-14 store with rows is migrated (16 drops three such indexes);
 * the lookups that used them still use an index and find the same rows.
 */
static void
test_store_no_redundant_index(struct unit_t *t)
{
	static const char redundant[] =
	    "SELECT a.name || ' < ' || b.name FROM sqlite_master m "
	    "JOIN pragma_index_list(m.name) a "
	    "JOIN pragma_index_list(m.name) b "
	    "WHERE m.type = 'table' AND a.name <> b.name "
	    "AND a.\"unique\" = 0 AND a.partial = 0 AND b.partial = 0 "
	    "AND (SELECT count(*) FROM pragma_index_info(a.name)) <= "
	    "(SELECT count(*) FROM pragma_index_info(b.name)) "
	    "AND NOT EXISTS (SELECT 1 FROM pragma_index_info(a.name) ia "
	    "WHERE ia.name IS NOT (SELECT ib.name FROM "
	    "pragma_index_info(b.name) ib WHERE ib.seqno = ia.seqno))";
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct tenant_amount a;
	sqlite3_stmt *s;
	sqlite3 *db;
	const char *plan;
	char *path;
	size_t i;
	int found;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_ASSERT(t, sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < schema_nmigrations &&
	    schema_migrations[i].version <= 14; i++)
		UT_ASSERT(t, sqlite3_exec(db, schema_migrations[i].sql, NULL,
		    NULL, NULL) == SQLITE_OK);
	UT_ASSERT(t, sqlite3_exec(db, "PRAGMA user_version = 14;"
	    "INSERT INTO tenant_container (id, tenant_org_id, user, "
	    "service_name, namespace, replicas, cpu_limit, mem_limit, "
	    "disk_size, gpu_count, status, created_at, updated_at) VALUES "
	    "('c1', 'o', 'u', 's1', 'o-u-s1', 2, '1', '1Gi', '10Gi', 0, "
	    "'running', 't', 't'), ('c2', 'o', 'v', 's2', 'o-v-s2', 1, '2', "
	    "'1Gi', '10Gi', 0, 'running', 't', 't'), ('c3', 'p', 'u', 's3', "
	    "'p-u-s3', 1, '4', '1Gi', '10Gi', 0, 'running', 't', 't');",
	    NULL, NULL, NULL) == SQLITE_OK);
	/* the version-14 schema has them */
	UT_ASSERT(t, sqlite3_prepare_v2(db, redundant, -1, &s, NULL) ==
	    SQLITE_OK);
	UT_EQ_INT(t, sqlite3_step(s), SQLITE_ROW);
	sqlite3_finalize(s);
	sqlite3_close(db);

	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_version(st), store_latest_version());
	db = store_db(st);
	UT_ASSERT(t, sqlite3_prepare_v2(db, redundant, -1, &s, NULL) ==
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		unit_fail(t, __FILE__, __LINE__, "redundant index %s",
		    (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	/* the quota lookup by organization still goes through an index */
	UT_ASSERT(t, sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT "
	    "replicas FROM tenant_container WHERE tenant_org_id = ?1 AND "
	    "(?2 IS NULL OR user = ?2)", -1, &s, NULL) == SQLITE_OK);
	found = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		plan = (const char *)sqlite3_column_text(s, 3);
		if (plan != NULL && strstr(plan, "SEARCH tenant_container "
		    "USING INDEX") != NULL)
			found = 1;
	}
	sqlite3_finalize(s);
	UT_ASSERT(t, found);
	/* and finds the same rows: two for o, one for o/u, one for p/u */
	UT_EQ_INT(t, tenant_usage_read(st, "o", NULL, &a, &err), 0);
	UT_EQ_INT(t, a.clusters, 2);
	UT_EQ_INT(t, tenant_usage_read(st, "o", "u", &a, &err), 0);
	UT_EQ_INT(t, a.clusters, 1);
	UT_EQ_INT(t, tenant_usage_read(st, "p", "u", &a, &err), 0);
	UT_EQ_INT(t, a.clusters, 1);
	store_close(st);
	free(path);
}

/*
 * STORE_FEW_PAGES (one query from the shell, issue 17): a read-only
 * connection whose page cache holds 8 pages, so that reading ~30 pages
 * once each touches fresh memory for 8; store_cache_pages(0) gives SQLite's
 * default back (a query file reads many rows).  A writer or a plain
 * read-only open keep the default.
 */
static void
test_store_few_pages(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	long long n;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, 0, "PRAGMA cache_size",
	    ""), 0);
	UT_EQ_INT(t, n, -2000);
	store_close(st);
	UT_EQ_INT(t, store_open(path, STORE_READONLY, &st, &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, 0, "PRAGMA cache_size",
	    ""), 0);
	UT_EQ_INT(t, n, -2000);
	store_close(st);
	UT_EQ_INT(t, store_open(path, STORE_READONLY | STORE_FEW_PAGES, &st,
	    &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, 0, "PRAGMA cache_size",
	    ""), 0);
	UT_EQ_INT(t, n, 8);
	/* reads work with 8 pages: a whole table through its index */
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) FROM "
	    "sqlite_master", ""), 0);
	UT_ASSERT(t, n > 100);
	UT_EQ_INT(t, store_cache_pages(st, 0, &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, 0, "PRAGMA cache_size",
	    ""), 0);
	UT_EQ_INT(t, n, -2000);
	UT_EQ_INT(t, store_cache_pages(st, 64, &err), 0);
	UT_EQ_INT(t, store_query_int(st, &err, &n, 0, "PRAGMA cache_size",
	    ""), 0);
	UT_EQ_INT(t, n, 64);
	store_close(st);
	free(path);
}

static void
test_store_newer_schema(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_ASSERT(t, sqlite3_exec(store_db(st), "PRAGMA user_version = 999",
	    NULL, NULL, NULL) == SQLITE_OK);
	store_close(st);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "schema version 999, newer than this "
	    "esctl supports") != NULL);
	UT_EQ_STR(t, err.reason, "SchemaTooNew");
	free(path);
}

static void
test_store_json_and_tx(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	cJSON *rows, *row;
	long long n;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_begin(st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO tenant_quota "
	    "(tenant_org_id, user, max_clusters, max_cpu, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?)", "ssIsss", "o1", "", 3LL,
	    "10", "t", "t"), 1);
	store_rollback(st);
	UT_EQ_INT(t, store_query_int(st, &err, &n, -1, "SELECT count(*) "
	    "FROM tenant_quota", ""), 0);
	UT_EQ_INT(t, n, 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO tenant_quota "
	    "(tenant_org_id, user, max_clusters, max_gpu, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?)", "ssIIss", "o1", "", 3LL,
	    -1LL, "t", "t"), 1);
	/* the primary key makes a duplicate a conflict (exit 4) */
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO tenant_quota "
	    "(tenant_org_id, user, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?)", "ssss", "o1", "", "t", "t"), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	UT_EQ_INT(t, store_query_json(st, &err, &rows, "SELECT "
	    "tenant_org_id, max_clusters, max_gpu, '{\"a\":1}' AS x__json, "
	    "1 AS y__bool FROM tenant_quota", ""), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(rows), 1);
	row = cJSON_GetArrayItem(rows, 0);
	UT_EQ_STR(t, cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "tenant_org_id")), "o1");
	UT_EQ_INT(t, cJSON_GetNumberValue(cJSON_GetObjectItem(row,
	    "max_clusters")), 3);
	UT_ASSERT(t, cJSON_IsNull(cJSON_GetObjectItem(row, "max_gpu")));
	UT_ASSERT(t, cJSON_IsObject(cJSON_GetObjectItem(row, "x")));
	UT_ASSERT(t, cJSON_IsTrue(cJSON_GetObjectItem(row, "y")));
	cJSON_Delete(rows);
	store_close(st);
	free(path);
}

static void
test_store_lock(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	char *path;
	int fd, fd2;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	fd = store_lock(st, "check", 0, &err);
	UT_ASSERT(t, fd >= 0);
	/* flock is per open file description: a second open conflicts */
	fd2 = store_lock(st, "check", 100, &err);
	UT_EQ_INT(t, fd2, -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	store_unlock(fd);
	fd2 = store_lock(st, "check", 0, &err);
	UT_ASSERT(t, fd2 >= 0);
	store_unlock(fd2);
	store_close(st);
	free(path);
}

static void
test_tenant_quota(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct tenant_quota_update u;
	struct tenant_amount add;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	memset(&u, 0, sizeof u);
	u.set_clusters = 1;
	u.val.clusters = 1;
	u.set_memory = 1;
	u.val.memory = 4LL * 1024 * 1024 * 1024 * 1000;	/* 4Gi */
	UT_EQ_INT(t, tenant_quota_write(st, "o1", NULL, &u, 0, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO tenant_container (id, "
	    "tenant_org_id, user, service_name, namespace, replicas, "
	    "mem_limit, status, created_at, updated_at) VALUES ('t1', 'o1', "
	    "'alice', 's', 'ns1', 1, '2Gi', 'created', 't', 't')", ""), 1);
	memset(&add, 0, sizeof add);
	add.clusters = 1;
	UT_EQ_INT(t, tenant_quota_check(st, "o1", "alice", &add, &err), -1);
	UT_EQ_INT(t, err.code, ES_EQUOTA);
	UT_ASSERT(t, strstr(err.msg, "max_clusters limit 1, in use 1") !=
	    NULL);
	/* another org is not affected */
	UT_EQ_INT(t, tenant_quota_check(st, "o2", "alice", &add, &err), 0);
	u.val.clusters = 5;
	UT_EQ_INT(t, tenant_quota_write(st, "o1", NULL, &u, 0, &err), 0);
	add.memory = 3LL * 1024 * 1024 * 1024 * 1000;
	UT_EQ_INT(t, tenant_quota_check(st, "o1", "alice", &add, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "max_memory limit 4Gi, in use 2Gi, "
	    "requested 3Gi") != NULL);
	store_close(st);
	free(path);
}

/*
 * metrics serve's background checkpointer: a commit that passes 1,000 WAL
 * pages gets its pages copied into the database by the other thread (the
 * database file grows though the writer never checkpoints), and stopping
 * it leaves the store as before: the last close removes the WAL.
 */
static void
test_store_bg_checkpoint(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct store *st;
	struct stat sb;
	char *path, *wal;
	off_t before;
	int i;

	path = xasprintf("%s/ckpt.db", t->tmpdir);
	wal = xasprintf("%s-wal", path);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "PRAGMA wal_checkpoint(TRUNCATE)",
	    ""), 0);
	UT_EQ_INT(t, stat(path, &sb), 0);
	before = sb.st_size;
	UT_EQ_INT(t, store_checkpoint_bg_start(st, 50, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "CREATE TABLE big (b BLOB)", ""), 0);
	UT_EQ_INT(t, store_begin(st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "WITH RECURSIVE s(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM s WHERE i < 3000) INSERT INTO big "
	    "SELECT randomblob(4000) FROM s", ""), 3000);
	UT_EQ_INT(t, store_commit(st, &err), 0);
	for (i = 0; i < 200; i++) {
		UT_EQ_INT(t, stat(path, &sb), 0);
		if (sb.st_size >= before + 3000 * 4000)
			break;
		usleep(50000);
	}
	if (sb.st_size < before + 3000 * 4000)
		unit_fail(t, __FILE__, __LINE__, "no checkpoint in 10 s: "
		    "the database is %lld bytes", (long long)sb.st_size);
	/* stopping twice is harmless; the store works on */
	store_checkpoint_bg_stop(st);
	store_checkpoint_bg_stop(st);
	UT_EQ_INT(t, store_exec(st, &err, "DELETE FROM big WHERE rowid < 10",
	    ""), 9);
	UT_EQ_INT(t, store_checkpoint_bg_start(st, 50, &err), 0);
	store_close(st);	/* stops it too */
	UT_ASSERT(t, access(wal, F_OK) == -1);
	free(wal);
	free(path);
}

/*
 * The documents of search rows: repeated, negative and missing positions,
 * through the bitmap (dense) and the sort (sparse) paths.
 */
static void
test_store_docset(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct vindex_docset *ds;
	char *path = xasprintf("%s/esctl.db", t->tmpdir), want[32];
	int64_t seqs[402];
	const char *id, *f;
	size_t n, i, round, distinct, *idx;
	long long k;

	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO vector_index (id, "
	    "index_name, dimension, metric, nlist, nprobe, created_at, "
	    "updated_at) VALUES (1, 'v', 2, 'l2', 0, 1, 'x', 'x')", ""), 1);
	/* documents at positions 0, 100, ..., 99900 */
	for (k = 0; k < 1000; k++)
		UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO vector_doc "
		    "(index_id, seq, doc_id, fields) VALUES (1, ?, 'd' || ?, "
		    "CASE WHEN ? % 3 = 0 THEN NULL ELSE json_object('n', ?) "
		    "END)", "iiii", k * 100, k, k, k), 1);
	for (round = 0; round < 2; round++) {
		/* 400 rows (dense) or 3 (sparse: a sort) */
		n = round == 0 ? 400 : 3;
		for (i = 0; i < n; i++)
			seqs[i] = round == 1 ? (int64_t)(99900 - i * 40000) :
			    i % 7 == 0 ? -1 : i % 11 == 0 ? 150 :
			    (int64_t)((i * 37) % 250) * 100;
		UT_EQ_INT(t, vindex_docset_load(st, 1, seqs, n, &ds, &err),
		    0);
		distinct = 0;
		for (k = 0; k < 100000; k += 100) {
			for (i = 0; i < n && seqs[i] != k; i++)
				;
			distinct += i < n;
		}
		UT_EQ_INT(t, vindex_docset_size(ds), distinct);
		/* by the table (dense) or one search a row (sparse) */
		idx = xreallocarray(NULL, n + 2, sizeof *idx);
		seqs[n] = 99900;
		seqs[n + 1] = 500000;
		vindex_docset_index_many(ds, seqs, n + 2, idx);
		for (i = 0; i < n + 2; i++)
			UT_EQ_INT(t, idx[i], vindex_docset_index(ds, seqs[i]));
		UT_EQ_INT(t, idx[n + 1], SIZE_MAX);
		free(idx);
		for (i = 0; i < n; i++) {
			if (seqs[i] < 0 || seqs[i] % 100 != 0) {
				UT_EQ_INT(t, vindex_docset_find(ds, seqs[i],
				    &id, &f), 0);
				UT_ASSERT(t, id == NULL && f == NULL);
				continue;
			}
			UT_EQ_INT(t, vindex_docset_find(ds, seqs[i], &id, &f),
			    1);
			snprintf(want, sizeof want, "d%lld",
			    (long long)seqs[i] / 100);
			UT_EQ_STR(t, id, want);
			if (seqs[i] / 100 % 3 == 0) {
				UT_ASSERT(t, f == NULL);
				continue;
			}
			snprintf(want, sizeof want, "{\"n\":%lld}",
			    (long long)seqs[i] / 100);
			UT_EQ_STR(t, f != NULL ? f : "(null)", want);
		}
		vindex_docset_free(ds);
	}
	store_close(st);
	free(path);
}

/* Reads the table's document at seq into "id|fields" (or "-"). */
static void
test_doctab_row(const struct doctab *dt, int64_t seq, char *buf, size_t len)
{
	const char *id, *f;
	char idbuf[24];
	size_t idlen, flen;

	if (!doctab_get(dt, seq, idbuf, &id, &idlen, &f, &flen)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%.*s|%.*s", (int)idlen, id, (int)flen,
	    f != NULL ? f : "");
}

/*
 * The documents' table: exact for its positions (ids, fields, none),
 * plain when ids are positions, refused for another index, more
 * positions than the index has, a damaged header or size; a damaged
 * record is one document not given, the others still are.
 */
static void
test_store_doctab(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct doctab *dt;
	char *path = xasprintf("%s/esctl.db", t->tmpdir), *tab, row[64];
	const char *why;
	long long k;
	uint64_t off;
	FILE *fp;

	tab = xasprintf("%s/docs.tab", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO vector_index (id, "
	    "index_name, dimension, metric, nlist, nprobe, created_at, "
	    "updated_at) VALUES (7, 'v', 2, 'l2', 0, 1, 'x', 'x'), (8, 'p', "
	    "2, 'l2', 0, 1, 'x', 'x')", ""), 2);
	for (k = 0; k < 100; k++) {
		UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO vector_doc "
		    "(index_id, seq, doc_id, fields) VALUES (7, ?, 'd' || ?, "
		    "CASE WHEN ? % 3 = 0 THEN NULL ELSE json_object('n', ?) "
		    "END)", "iiii", k, k, k, k), 1);
		UT_EQ_INT(t, store_exec(st, &err, "INSERT INTO vector_doc "
		    "(index_id, seq, doc_id) VALUES (8, ?, ?)", "ii", k, k), 1);
	}
	/* the first 90 documents */
	UT_EQ_INT(t, doctab_write(st, tab, 7, 90, &err), 0);
	dt = doctab_open(tab, 7, 100, &why);
	UT_ASSERT(t, dt != NULL);
	UT_EQ_INT(t, doctab_size(dt), 90);
	UT_EQ_INT(t, doctab_plain(dt), 0);
	test_doctab_row(dt, 0, row, sizeof row);
	UT_EQ_STR(t, row, "d0|");
	test_doctab_row(dt, 0, row, sizeof row);
	test_doctab_row(dt, 89, row, sizeof row);
	UT_EQ_STR(t, row, "d89|{\"n\":89}");
	UT_EQ_INT(t, doctab_holds(dt, 89), 1);
	/* beyond the table: the database */
	test_doctab_row(dt, 90, row, sizeof row);
	UT_EQ_STR(t, row, "-");
	UT_EQ_INT(t, doctab_holds(dt, 90), 0);
	UT_EQ_INT(t, doctab_holds(dt, -1), 0);
	doctab_close(dt);
	/* another index's, or more documents than the index has */
	UT_ASSERT(t, doctab_open(tab, 8, 100, &why) == NULL);
	UT_EQ_STR(t, why, "another index's");
	UT_ASSERT(t, doctab_open(tab, 7, 89, &why) == NULL);
	UT_EQ_STR(t, why, "more documents than the index");
	/* a record past the end of the blob (as read, zeros): that one */
	UT_ASSERT(t, (fp = fopen(tab, "r+")) != NULL);
	fseek(fp, 64 + 90 * 8, SEEK_SET);
	UT_EQ_INT(t, fread(&off, sizeof off, 1, fp), 1);
	off += 10;
	fseek(fp, 64 + 5 * 8, SEEK_SET);
	fwrite(&off, sizeof off, 1, fp);
	fclose(fp);
	UT_ASSERT(t, (dt = doctab_open(tab, 7, 100, &why)) != NULL);
	test_doctab_row(dt, 4, row, sizeof row);
	UT_EQ_STR(t, row, "-");
	test_doctab_row(dt, 5, row, sizeof row);
	UT_EQ_STR(t, row, "-");
	UT_EQ_INT(t, doctab_holds(dt, 5), 0);
	test_doctab_row(dt, 6, row, sizeof row);
	UT_EQ_STR(t, row, "d6|");
	doctab_close(dt);
	/* a damaged header; a truncated file */
	UT_ASSERT(t, (fp = fopen(tab, "r+")) != NULL);
	fseek(fp, 24, SEEK_SET);
	fputc('x', fp);
	fclose(fp);
	UT_ASSERT(t, doctab_open(tab, 7, 100, &why) == NULL);
	UT_EQ_STR(t, why, "not a document table");
	UT_EQ_INT(t, doctab_write(st, tab, 7, 90, &err), 0);
	UT_EQ_INT(t, truncate(tab, 64 + 91 * 8), 0);
	UT_ASSERT(t, doctab_open(tab, 7, 100, &why) == NULL);
	UT_EQ_STR(t, why, "damaged");
	/* ids that are the positions, no fields: the header alone */
	UT_EQ_INT(t, doctab_write(st, tab, 8, 100, &err), 0);
	UT_ASSERT(t, (dt = doctab_open(tab, 8, 100, &why)) != NULL);
	UT_EQ_INT(t, doctab_plain(dt), 1);
	test_doctab_row(dt, 42, row, sizeof row);
	UT_EQ_STR(t, row, "42|");
	test_doctab_row(dt, 100, row, sizeof row);
	UT_EQ_STR(t, row, "-");
	doctab_close(dt);
	/* extended by plain documents only when it holds all before */
	UT_EQ_INT(t, doctab_extend_plain(tab, 8, 100, 130, &err), 1);
	UT_ASSERT(t, (dt = doctab_open(tab, 8, 130, &why)) != NULL);
	UT_EQ_INT(t, doctab_size(dt), 130);
	UT_EQ_INT(t, doctab_plain(dt), 1);
	doctab_close(dt);
	UT_EQ_INT(t, doctab_extend_plain(tab, 8, 120, 150, &err), 0);
	UT_EQ_INT(t, doctab_extend_plain(tab, 8, 140, 150, &err), 0);
	UT_EQ_INT(t, doctab_extend_plain(tab, 9, 130, 150, &err), 0);
	UT_ASSERT(t, (dt = doctab_open(tab, 8, 200, &why)) != NULL);
	UT_EQ_INT(t, doctab_size(dt), 130);
	doctab_close(dt);
	UT_EQ_INT(t, doctab_write(st, tab, 7, 90, &err), 0);
	UT_EQ_INT(t, doctab_extend_plain(tab, 7, 90, 100, &err), 0);
	UT_ASSERT(t, (dt = doctab_open(tab, 7, 100, &why)) != NULL);
	UT_EQ_INT(t, doctab_size(dt), 90);
	UT_EQ_INT(t, doctab_plain(dt), 0);
	doctab_close(dt);
	/* a first add: a new table whatever was there */
	UT_EQ_INT(t, doctab_extend_plain(tab, 8, 0, 10, &err), 1);
	UT_ASSERT(t, (dt = doctab_open(tab, 8, 10, &why)) != NULL);
	UT_EQ_INT(t, doctab_size(dt), 10);
	doctab_close(dt);
	/* a hole in the positions: no table */
	UT_EQ_INT(t, store_exec(st, &err, "DELETE FROM vector_doc WHERE "
	    "index_id = 8 AND seq = 50", ""), 1);
	UT_EQ_INT(t, doctab_write(st, tab, 8, 99, &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	store_close(st);
	free(tab);
	free(path);
}

const struct unit_test unit_store_tests[] = {
	{ "doctab", test_store_doctab },
	{ "docset", test_store_docset },
	{ "bg-checkpoint", test_store_bg_checkpoint },
	{ "create", test_store_create },
	{ "first-open-race", test_store_first_open_race },
	{ "newer-schema", test_store_newer_schema },
	{ "migration6", test_store_migration6 },
	{ "no-redundant-index", test_store_no_redundant_index },
	{ "few-pages", test_store_few_pages },
	{ "json-and-tx", test_store_json_and_tx },
	{ "lock", test_store_lock },
	{ "tenant-quota", test_tenant_quota },
	{ NULL, NULL }
};
