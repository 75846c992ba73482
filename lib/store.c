/*
 * store.c - the SQLite state store: open, migrate, transactions, bound
 * statements, rows as JSON, named locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "schema.h"
#include "store.h"
#include "util.h"

#define STORE_BUSY_MS	30000

struct store_ckpt;

struct store {
	sqlite3			*db;
	char			*path;
	int			 readonly;
	int			 few_pages;	/* STORE_FEW_PAGES */
	int			 version;
	struct store_ckpt	*ckpt;	/* background checkpointer */
};

/* A thread with its own connection that checkpoints the WAL. */
struct store_ckpt {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	sqlite3		*db;
	int		 frames;	/* WAL frames after the last commit */
	int		 stop;
	long		 interval_ms;
};

/* WAL frames after which a commit wakes the checkpointer (SQLite's own). */
#define STORE_CKPT_FRAMES	1000
/* A WAL this long (about 16 MB of 4 KiB pages) is made to start over. */
#define STORE_CKPT_RESTART	4096

static int	 store_conn_setup(struct store *, int);
static int	 store_open_conn(struct store *, int, struct es_err *);
static int	 store_migrate(struct store *, struct es_err *);
static int	 store_open_nowrite(struct store *, int, struct es_err *);
static int	 store_vbind(struct store *, sqlite3_stmt *, const char *,
		    va_list, struct es_err *);
static sqlite3_stmt *store_vprepare(struct store *, struct es_err *,
		    const char *, const char *, va_list);
static cJSON	*store_row_json(sqlite3_stmt *);

int
store_latest_version(void)
{
	return schema_migrations[schema_nmigrations - 1].version;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_readonly(const struct store *st)
{
	return st->readonly;
}

int
store_version(const struct store *st)
{
	return st->version;
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

int
store_error(struct store *st, struct es_err *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);
	int code = ES_EFAIL;
	const char *reason = "StoreError";

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		code = ES_ECONFLICT;
		reason = rc == SQLITE_CONSTRAINT_FOREIGNKEY ?
		    "ForeignKeyViolation" : "AlreadyExists";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		reason = "StoreBusy";
		break;
	case SQLITE_READONLY:
		reason = "StoreReadOnly";
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		reason = "StoreUnavailable";
		break;
	default:
		break;
	}
	return es_err_set(err, code, reason, "%s in store '%s': %s", what,
	    st->path, sqlite3_errmsg(st->db));
}

/*
 * WAL (for a writer) and the schema version of a fresh connection.
 * Returns an SQLite result code.
 */
static int
store_conn_setup(struct store *st, int readonly)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int rc;

	/*
	 * Statement journals and temporary b-trees stay in memory: a
	 * multi-row INSERT inside a long transaction (strategy check writes
	 * 200,000 history rows in one) otherwise copies every page it
	 * touches to a file in /var/tmp first, 700,000 writes for one run.
	 */
	/* before the first statement, which reads the schema */
	if (readonly && st->few_pages && (rc = sqlite3_exec(st->db,
	    "PRAGMA cache_size = 8", NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_exec(st->db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA temp_store = MEMORY;", NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	if (!readonly) {
		/* only the first opener of a new file converts it */
		rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1,
		    &stmt, NULL);
		if (rc != SQLITE_OK)
			return rc;
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
			sqlite3_finalize(stmt);
			return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
		}
		mode = (const char *)sqlite3_column_text(stmt, 0);
		rc = mode != NULL && strcmp(mode, "wal") == 0;
		sqlite3_finalize(stmt);
		if (!rc && (rc = sqlite3_exec(st->db, "PRAGMA journal_mode = "
		    "WAL;", NULL, NULL, NULL)) != SQLITE_OK)
			return rc;
	}
	if ((rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt,
	    NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
	}
	st->version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return SQLITE_OK;
}

/* Opens the SQLite connection with the pragmas every connection needs. */
static int
store_open_conn(struct store *st, int readonly, struct es_err *err)
{
	int flags, rc, fd;
	long pause;
	long long deadline;
	char *dir;

	if (!readonly) {
		dir = util_dirname(st->path);
		if (util_mkdir_p(dir, 0700, err) == -1) {
			es_err_prefix(err, "cannot open store '%s'", st->path);
			free(dir);
			return -1;
		}
		free(dir);
		/* Create the file ourselves so that it is 0600 from birth. */
		fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1 && errno != EEXIST)
			return es_err_set(err, errno == EACCES ? ES_EPERM :
			    ES_EFAIL, "StoreUnavailable", "cannot open store "
			    "'%s': %s", st->path, strerror(errno));
		if (fd != -1)
			close(fd);
	}
	/* sqlite says only "unable to open database file": say why */
	if (access(st->path, readonly ? R_OK : R_OK | W_OK) == -1 &&
	    errno == EACCES)
		return es_err_set(err, ES_EPERM, "Forbidden", "cannot open "
		    "store '%s'%s: %s", st->path, readonly ? "" :
		    " for writing", strerror(errno));
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		es_err_set(err, ES_EFAIL, "StoreUnavailable",
		    "cannot open store '%s': %s", st->path,
		    st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		sqlite3_close(st->db);
		st->db = NULL;
		return -1;
	}
	st->readonly = readonly;
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/*
	 * The pragmas, the switch to WAL and the first read of a new
	 * database can answer
	 * SQLITE_BUSY without calling the busy handler (another process is
	 * creating the file, converting the journal or running recovery):
	 * wait for them too, within the same busy timeout.
	 */
	deadline = util_mono_ms() + STORE_BUSY_MS;
	for (pause = 1;; pause = pause < 50 ? pause * 2 : 50) {
		rc = store_conn_setup(st, readonly);
		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) !=
		    SQLITE_LOCKED) || util_mono_ms() >= deadline)
			goto fail;
		util_sleep_ms(pause);
	}
fail:
	store_error(st, err, "cannot open store");
	snprintf(err->msg, sizeof err->msg, "cannot open store '%s': %s",
	    st->path, sqlite3_errmsg(st->db));
	sqlite3_close(st->db);
	st->db = NULL;
	return -1;
}

/*
 * STORE_NOWRITE: the database read-only when it is current, else (missing,
 * or an older schema) a copy in memory, migrated there.
 */
static int
store_open_nowrite(struct store *st, int exists, struct es_err *err)
{
	sqlite3 *file = NULL;
	sqlite3_backup *bk;
	sqlite3_stmt *stmt;
	int rc;

	if (exists) {
		if (store_open_conn(st, 1, err) == -1)
			return -1;
		if (st->version >= store_latest_version())
			return 0;
		file = st->db;
		st->db = NULL;
	}
	if (sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(file);
		return store_error(st, err, "cannot open an in-memory store");
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (file != NULL) {
		bk = sqlite3_backup_init(st->db, "main", file, "main");
		rc = bk != NULL ? sqlite3_backup_step(bk, -1) : SQLITE_ERROR;
		sqlite3_backup_finish(bk);
		sqlite3_close(file);
		if (rc != SQLITE_DONE)
			return store_error(st, err, "cannot copy the store");
	}
	if (sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL,
	    NULL) != SQLITE_OK || sqlite3_prepare_v2(st->db,
	    "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(st, err, "cannot open store");
	st->version = sqlite3_step(stmt) == SQLITE_ROW ?
	    sqlite3_column_int(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	st->readonly = 0;
	if (st->version > store_latest_version())
		return es_err_set(err, ES_EFAIL, "SchemaTooNew", "store '%s' "
		    "has schema version %d, newer than this esctl supports "
		    "(%d): upgrade esctl", st->path, st->version,
		    store_latest_version());
	return store_migrate(st, err);
}

/* Applies every migration newer than the database, in one transaction. */
static int
store_migrate(struct store *st, struct es_err *err)
{
	sqlite3_stmt *stmt;
	char pragma[64];
	size_t i;
	int v;

	if (store_begin(st, err) == -1)
		return -1;
	/* Re-read under the write lock: another process may have won. */
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		store_error(st, err, "cannot read schema version");
		store_rollback(st);
		return -1;
	}
	v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	for (i = 0; i < schema_nmigrations; i++) {
		if (schema_migrations[i].version <= v)
			continue;
		if (sqlite3_exec(st->db, schema_migrations[i].sql, NULL, NULL,
		    NULL) != SQLITE_OK) {
			store_error(st, err, "cannot migrate");
			es_err_prefix(err, "schema migration %d (%s)",
			    schema_migrations[i].version,
			    schema_migrations[i].name);
			store_rollback(st);
			return -1;
		}
		/* PRAGMA cannot be bound; the value is our own integer. */
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		    schema_migrations[i].version);
		if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) !=
		    SQLITE_OK) {
			store_error(st, err, "cannot migrate");
			store_rollback(st);
			return -1;
		}
		v = schema_migrations[i].version;
	}
	if (store_commit(st, err) == -1)
		return -1;
	st->version = v;
	return 0;
}

/*
 * No allocation statistics: esctl never asks SQLite for them, and keeping
 * them costs every allocation, most of all the thousands that parsing the
 * schema makes on each open.  Before SQLite initializes (its first use).
 */
static pthread_once_t store_config_once = PTHREAD_ONCE_INIT;

static void
store_config(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *path, int flags, struct store **out,
    struct es_err *err)
{
	struct store *st;
	struct stat sb;
	int latest = store_latest_version();
	int readonly = (flags & STORE_READONLY) != 0;

	*out = NULL;
	pthread_once(&store_config_once, store_config);
	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->few_pages = (flags & STORE_FEW_PAGES) != 0;
	if (flags & STORE_NOWRITE) {
		if (store_open_nowrite(st, stat(path, &sb) == 0, err) == -1)
			goto fail;
		*out = st;
		return 0;
	}
	/* A missing database is created (empty) even for a reader. */
	if (readonly && stat(path, &sb) == -1)
		readonly = 0;
	if (store_open_conn(st, readonly, err) == -1)
		goto fail;
	if (st->version > latest) {
		es_err_set(err, ES_EFAIL, "SchemaTooNew", "store '%s' has "
		    "schema version %d, newer than this esctl supports (%d): "
		    "upgrade esctl", path, st->version, latest);
		goto fail;
	}
	if (st->version < latest) {
		if (st->readonly) {
			sqlite3_close(st->db);
			st->db = NULL;
			if (store_open_conn(st, 0, err) == -1)
				goto fail;
		}
		if (st->version < latest && store_migrate(st, err) == -1)
			goto fail;
	}
	if ((flags & STORE_READONLY) && !st->readonly) {
		sqlite3_close(st->db);
		st->db = NULL;
		if (store_open_conn(st, 1, err) == -1)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

int
store_cache_pages(struct store *st, int n, struct es_err *err)
{
	char pragma[64];

	/* PRAGMA cannot be bound; the value is an integer. */
	/* SQLite's default: 2,000 KiB */
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size = %d",
	    n > 0 ? n : -2000);
	if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		return store_error(st, err, "cannot set the page cache");
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_checkpoint_bg_stop(st);
	if (st->db != NULL) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	free(st->path);
	free(st);
}

int
store_begin(struct store *st, struct es_err *err)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_error(st, err, "cannot start a transaction");
	return 0;
}

int
store_commit(struct store *st, struct es_err *err)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_error(st, err, "cannot commit");
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* The WAL hook: a commit wrote; wake the checkpointer past the mark. */
static int
store_ckpt_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_ckpt *c = arg;

	(void)db;
	(void)name;
	pthread_mutex_lock(&c->mu);
	c->frames = frames;
	if (frames >= STORE_CKPT_FRAMES)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

static void *
store_ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	struct timespec ts;
	int frames, log, done;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (c->frames < STORE_CKPT_FRAMES) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += c->interval_ms / 1000;
			ts.tv_nsec += (c->interval_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
			if (c->stop)
				break;
		}
		frames = c->frames;
		c->frames = 0;
		pthread_mutex_unlock(&c->mu);
		/*
		 * PASSIVE copies what it can and never waits for the
		 * writer; but the WAL only starts over when a writer finds
		 * it all copied, which a busy writer never does: once the
		 * WAL is long (PASSIVE has copied most of it), RESTART makes
		 * the writer wait for the pages left, and the WAL then
		 * starts over instead of growing.
		 */
		if (frames > 0 && sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK &&
		    log >= STORE_CKPT_RESTART)
			sqlite3_wal_checkpoint_v2(c->db, NULL,
			    SQLITE_CHECKPOINT_RESTART, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
store_checkpoint_bg_start(struct store *st, long interval_ms,
    struct es_err *err)
{
	struct store_ckpt *c;
	int rc;

	if (st->ckpt != NULL || st->readonly)
		return 0;
	c = xcalloc(1, sizeof *c);
	c->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	rc = sqlite3_open_v2(st->path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		es_err_set(err, ES_EFAIL, "StoreError", "cannot open %s for "
		    "checkpoints: %s", st->path, c->db != NULL ?
		    sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	/* reading the header opens the WAL: until then no checkpoint */
	if ((rc = sqlite3_exec(c->db, "PRAGMA schema_version", NULL, NULL,
	    NULL)) != SQLITE_OK) {
		es_err_set(err, ES_EFAIL, "StoreError", "cannot open %s for "
		    "checkpoints: %s", st->path, sqlite3_errmsg(c->db));
		goto fail;
	}
	if ((errno = pthread_create(&c->thread, NULL, store_ckpt_main,
	    c)) != 0) {
		es_err_set(err, ES_EFAIL, NULL, "cannot start a thread: %s",
		    strerror(errno));
		goto fail;
	}
	/* replaces the connection's automatic checkpoint on commit */
	sqlite3_wal_hook(st->db, store_ckpt_hook, c);
	st->ckpt = c;
	return 0;
fail:
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return -1;
}

void
store_checkpoint_bg_stop(struct store *st)
{
	struct store_ckpt *c;

	if (st == NULL || (c = st->ckpt) == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	st->ckpt = NULL;
	/* commits checkpoint themselves again (and so does the close) */
	sqlite3_wal_autocheckpoint(st->db, STORE_CKPT_FRAMES);
}

int
store_set_sync(struct store *st, int full, struct es_err *err)
{
	if (sqlite3_exec(st->db, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		return store_error(st, err, "cannot set the durability");
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st != NULL && st->db != NULL && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
store_vbind(struct store *st, sqlite3_stmt *stmt, const char *fmt,
    va_list ap, struct es_err *err)
{
	const char *s;
	long long ll;
	double d;
	int i, rc, n;

	n = sqlite3_bind_parameter_count(stmt);
	if (fmt == NULL)
		fmt = "";
	if ((int)strlen(fmt) != n)
		fatal("store: %d parameters but format '%s' in '%s'", n, fmt,
		    sqlite3_sql(stmt));
	for (i = 0; fmt[i] != '\0'; i++) {
		switch (fmt[i]) {
		case 's':
			s = va_arg(ap, const char *);
			rc = s == NULL ? sqlite3_bind_null(stmt, i + 1) :
			    sqlite3_bind_text(stmt, i + 1, s, -1,
			    SQLITE_TRANSIENT);
			break;
		case 'i':
			ll = va_arg(ap, long long);
			rc = sqlite3_bind_int64(stmt, i + 1, ll);
			break;
		case 'I':
			ll = va_arg(ap, long long);
			rc = ll < 0 ? sqlite3_bind_null(stmt, i + 1) :
			    sqlite3_bind_int64(stmt, i + 1, ll);
			break;
		case 'd':
			d = va_arg(ap, double);
			rc = sqlite3_bind_double(stmt, i + 1, d);
			break;
		case 'n':
			rc = sqlite3_bind_null(stmt, i + 1);
			break;
		default:
			fatal("store: bad bind format '%c'", fmt[i]);
		}
		if (rc != SQLITE_OK)
			return store_error(st, err, "cannot bind");
	}
	return 0;
}

static sqlite3_stmt *
store_vprepare(struct store *st, struct es_err *err, const char *sql,
    const char *fmt, va_list ap)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_error(st, err, "cannot prepare statement");
		return NULL;
	}
	if (store_vbind(st, stmt, fmt, ap, err) == -1) {
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *
store_prepare(struct store *st, struct es_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, fmt);
	stmt = store_vprepare(st, err, sql, fmt, ap);
	va_end(ap);
	return stmt;
}

int
store_step(struct store *st, sqlite3_stmt *stmt, struct es_err *err)
{
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return store_error(st, err, "cannot run statement");
	}
}

int
store_exec(struct store *st, struct es_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = store_vprepare(st, err, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1)
		;
	sqlite3_finalize(stmt);
	if (rc == -1)
		return -1;
	return sqlite3_changes(st->db);
}

static cJSON *
store_row_json(sqlite3_stmt *stmt)
{
	cJSON *row, *v;
	const char *name, *text;
	char key[128];
	size_t len;
	int i, n;

	row = cJSON_CreateObject();
	n = sqlite3_column_count(stmt);
	for (i = 0; i < n; i++) {
		name = sqlite3_column_name(stmt, i);
		snprintf(key, sizeof key, "%s", name);
		len = strlen(key);
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_INTEGER:
			v = cJSON_CreateNumber((double)
			    sqlite3_column_int64(stmt, i));
			break;
		case SQLITE_FLOAT:
			v = cJSON_CreateNumber(sqlite3_column_double(stmt, i));
			break;
		case SQLITE_NULL:
			v = cJSON_CreateNull();
			break;
		default:
			text = (const char *)sqlite3_column_text(stmt, i);
			v = cJSON_CreateString(text ? text : "");
			break;
		}
		if (len > 6 && strcmp(key + len - 6, "__json") == 0) {
			key[len - 6] = '\0';
			if (cJSON_IsString(v)) {
				cJSON *p = cJSON_Parse(v->valuestring);

				if (p != NULL) {
					cJSON_Delete(v);
					v = p;
				}
			}
		} else if (len > 6 && strcmp(key + len - 6, "__bool") == 0) {
			key[len - 6] = '\0';
			if (cJSON_IsNumber(v)) {
				int b = v->valuedouble != 0;

				cJSON_Delete(v);
				v = cJSON_CreateBool(b);
			}
		}
		cJSON_AddItemToObject(row, key, v);
	}
	return row;
}

int
store_query_json(struct store *st, struct es_err *err, cJSON **out,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	cJSON *arr;
	va_list ap;
	int rc;

	*out = NULL;
	va_start(ap, fmt);
	stmt = store_vprepare(st, err, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	arr = cJSON_CreateArray();
	while ((rc = store_step(st, stmt, err)) == 1)
		cJSON_AddItemToArray(arr, store_row_json(stmt));
	sqlite3_finalize(stmt);
	if (rc == -1) {
		cJSON_Delete(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

int
store_query_row_json(struct store *st, struct es_err *err, cJSON **out,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	*out = NULL;
	va_start(ap, fmt);
	stmt = store_vprepare(st, err, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1)
		*out = store_row_json(stmt);
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

int
store_query_int(struct store *st, struct es_err *err, long long *out,
    long long def, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = store_vprepare(st, err, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1 && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(stmt, 0);
	else
		*out = def;
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

long long
store_last_insert_id(struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int
store_lock(struct store *st, const char *name, long wait_ms,
    struct es_err *err)
{
	char *path;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	long waited = 0;
	int fd;

	path = xasprintf("%s.%s.lock", st->path, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot open lock '%s': %s",
		    path, strerror(errno));
		free(path);
		return -1;
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			es_err_set(err, ES_EFAIL, NULL, "cannot lock '%s': %s",
			    path, strerror(errno));
			goto fail;
		}
		if (wait_ms >= 0 && waited >= wait_ms) {
			es_err_set(err, ES_ECONFLICT, "Locked", "'%s' is held "
			    "by another esctl process", path);
			goto fail;
		}
		nanosleep(&ts, NULL);
		waited += 50;
	}
	free(path);
	return fd;
fail:
	close(fd);
	free(path);
	return -1;
}

void
store_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
