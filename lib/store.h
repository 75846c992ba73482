/*
 * store.h - the SQLite state store.
 *
 *	struct store *st;
 *	if (store_open(path, 0, &st, err) == -1) ...
 *	store_begin(st, err);			BEGIN IMMEDIATE
 *	store_exec(st, err, "INSERT ... VALUES (?, ?)", "si", name, n);
 *	store_commit(st, err);
 *	store_close(st);
 *
 * Opening applies pending schema migrations (keyed by PRAGMA user_version,
 * see lib/schema.c) in one transaction and refuses a database written by a
 * newer esctl.  Connections use WAL, a busy timeout, foreign keys and
 * synchronous=FULL.  A new database file is created mode 0600 in a 0700
 * directory.  Every statement is prepared and bound: SQL text is always a
 * constant.
 *
 * Binding formats (fmt strings of store_prepare and friends), one letter
 * per '?' in order:
 *	s	const char *	(NULL binds SQL NULL)
 *	i	long long
 *	I	long long, bound as NULL when negative ("unset")
 *	d	double
 *	n	nothing consumed; binds NULL
 *
 * Query results as JSON (store_query_json): one object per row, keys are
 * the column names.  A column named "x__json" holding JSON text becomes
 * key "x" with the parsed value; "x__bool" becomes a JSON boolean.
 */
#ifndef ESCTL_STORE_H
#define ESCTL_STORE_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "err.h"

#define STORE_READONLY	0x01	/* open read-only (migrating first if needed) */
/*
 * Write nothing to disk, not even a new empty database (--dry-run): a
 * missing database is an empty one in memory, and one with an older schema
 * is copied into memory and migrated there.
 */
#define STORE_NOWRITE	0x02
/*
 * A read-only connection with a page cache of 8 pages (SQLite's default
 * is 2,000 KiB): every page the cache holds is fresh memory, a page fault
 * the first time, which a command reading a handful of rows (one query
 * from the shell: the schema, the index row, ten documents) pays for the
 * ~30 pages it reads once each.  Recycled, 8 serve as well.
 */
#define STORE_FEW_PAGES	0x04

struct store;

int		 store_open(const char *path, int flags, struct store **out,
		    struct es_err *err);
/* The page cache: n pages, or 0 for SQLite's default. */
int		 store_cache_pages(struct store *, int n, struct es_err *);
/* NULL-safe.  Rolls back an open transaction. */
void		 store_close(struct store *);
const char	*store_path(const struct store *);
int		 store_readonly(const struct store *);
int		 store_version(const struct store *);
/* Schema version this binary writes. */
int		 store_latest_version(void);
/* The connection, for lib/ modules' own statements.  Borrowed. */
sqlite3		*store_db(struct store *);

/* BEGIN IMMEDIATE (takes the write lock, waiting up to the timeout). */
int		 store_begin(struct store *, struct es_err *);
int		 store_commit(struct store *, struct es_err *);
/* Rolls back if a transaction is open; never fails. */
void		 store_rollback(struct store *);
/*
 * How durable a commit of this connection is: full (the default) waits
 * for the disk (fsync: survives a power loss); otherwise WAL's NORMAL (in
 * the kernel when COMMIT returns: survives a crash of this process).
 */
int		 store_set_sync(struct store *, int full, struct es_err *);
/*
 * For a long-running writer (metrics serve): commits no longer copy the
 * WAL into the database themselves (SQLite does that in the committing
 * thread, writes and fsyncs included, every 1,000 pages); a thread with
 * its own connection does it instead, PASSIVE (never blocking a writer),
 * when a commit passed 1,000 WAL pages or every interval_ms.  Stopped by
 * store_checkpoint_bg_stop or store_close.
 */
int		 store_checkpoint_bg_start(struct store *, long interval_ms,
		    struct es_err *);
void		 store_checkpoint_bg_stop(struct store *);

/* Returns a prepared, bound statement (caller finalizes) or NULL. */
sqlite3_stmt	*store_prepare(struct store *, struct es_err *,
		    const char *sql, const char *fmt, ...);
/* Steps: 1 = row, 0 = done, -1 = error (err set). */
int		 store_step(struct store *, sqlite3_stmt *, struct es_err *);
/* Runs a statement to completion; returns rows changed or -1. */
int		 store_exec(struct store *, struct es_err *, const char *sql,
		    const char *fmt, ...);
/* Rows as a new JSON array in *out (caller frees). */
int		 store_query_json(struct store *, struct es_err *,
		    cJSON **out, const char *sql, const char *fmt, ...);
/* First row as a new JSON object, or *out = NULL when no row. */
int		 store_query_row_json(struct store *, struct es_err *,
		    cJSON **out, const char *sql, const char *fmt, ...);
/* Single integer result (first column of first row), def when no row. */
int		 store_query_int(struct store *, struct es_err *,
		    long long *out, long long def, const char *sql,
		    const char *fmt, ...);
long long	 store_last_insert_id(struct store *);
/* Turns the connection's last error into err (conflict, locked, ...). */
int		 store_error(struct store *, struct es_err *, const char *what);

/*
 * Named advisory lock beside the database ("<db>.<name>.lock", flock).
 * wait_ms < 0 waits forever, 0 does not wait.  Returns an fd to pass to
 * store_unlock, or -1 with ES_ECONFLICT when held elsewhere.  Released
 * automatically if the process dies.
 */
int		 store_lock(struct store *, const char *name, long wait_ms,
		    struct es_err *);
void		 store_unlock(int fd);

#endif
