/*
 * fuzz-store.h - the scratch store of the fuzz targets that need one
 * (fuzz-httpd, fuzz-metrics).  Each target is one translation unit built
 * by scripts/fuzz, so this header holds the definitions.
 */
#ifndef ESCTL_FUZZ_STORE_H
#define ESCTL_FUZZ_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "util.h"

/* At exit: the scratch directory goes (the database was unlinked). */
static char fuzz_dir[64];

static void
fuzz_store_cleanup(void)
{
	static const char *const files[] = { "esctl.db-wal",
	    "esctl.db-shm", "esctl.db-journal" };
	char *path;
	size_t i;

	if (fuzz_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		path = util_path_join(fuzz_dir, files[i]);
		unlink(path);
		free(path);
	}
	rmdir(fuzz_dir);
}

/*
 * A fresh store in /tmp/fuzz-<name>.XXXXXX, its file unlinked at once
 * (the open connection keeps it) and without an fsync per commit
 * (thousands of runs a second).  Aborts on failure.
 */
static struct store *
fuzz_store_open(const char *name)
{
	struct es_err err = ES_ERR_INIT;
	struct store *st;
	char *dir, *path;

	snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/fuzz-%s.XXXXXX", name);
	if ((dir = mkdtemp(fuzz_dir)) == NULL)
		abort();
	atexit(fuzz_store_cleanup);
	path = util_path_join(dir, "esctl.db");
	if (store_open(path, 0, &st, &err) == -1)
		abort();
	unlink(path);
	free(path);
	sqlite3_exec(store_db(st), "PRAGMA synchronous = OFF", NULL, NULL,
	    NULL);
	return st;
}

#endif
