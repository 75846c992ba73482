/*
 * doctab.h - the documents of an index's first n positions (their ids and
 * fields, as vector_doc holds them) in a file beside the index
 * ("docs.tab"), so that a search prints its rows without one SQLite
 * lookup per document.
 *
 * `index build` writes the file from vector_doc (positions 0 .. n - 1,
 * n the vectors it builds from).  Documents are append-only: `index add`
 * puts new ones at positions >= vector_count and nothing in esctl changes
 * or removes a stored one (an index is deleted as a whole, its directory
 * with it), so the file stays exact for its n positions; documents added
 * after the build are read from the database.  The file names the index
 * by its id (AUTOINCREMENT: never reused) and is not used when that
 * differs, when it covers more positions than the index has, or when it
 * is damaged: the database is read instead.
 *
 * Format (native byte order, like ivf.idx): a 64-byte header (magic
 * "ESCTLDOC", version, flags, index id, n, blob size, XXH64 of the
 * header); with DOCTAB_PLAIN (every id is its position in
 * decimal and no document has fields: vectors added from fvecs, bvecs or
 * npy) nothing follows; otherwise n + 1 offsets (uint64) into a blob
 * where document i is its id, a NUL, and when it has fields their JSON
 * text and a NUL.
 */
#ifndef ESCTL_DOCTAB_H
#define ESCTL_DOCTAB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define DOCTAB_FILE	"docs.tab"

struct doctab;

/*
 * Writes the table of the documents at positions [0, n) of index id
 * to path, atomically (a
 * temporary file, fsync, rename).  The documents are read in one read
 * transaction; ES_ECONFLICT when a position in [0, n) has no document.
 */
int	 doctab_write(struct store *, const char *path, long long id,
	    size_t n, struct es_err *err);

/*
 * After `index add` committed documents old_n .. new_n - 1 that have no
 * id and no fields (their ids are their positions): the table at path,
 * when it is index id's, plain and holds exactly old_n documents (or
 * when old_n is 0), is made to hold new_n (a new 64-byte header, written
 * atomically).  Returns 1 when it was, 0 when there was nothing to
 * extend (the table stays as it was: exact for what it holds).
 */
int	 doctab_extend_plain(const char *path, long long id, size_t old_n,
	    size_t new_n, struct es_err *err);

/*
 * Maps the table at path for index id; NULL when there is no usable
 * table: none, another index's, more positions than count (the index's
 * vector_count), damaged.  why (may be NULL) gets a static reason then.
 * A new handle; doctab_close frees it (NULL-safe).
 */
struct doctab	*doctab_open(const char *path, long long id, size_t count,
		    const char **why);
void	 doctab_close(struct doctab *);

/* Positions the table holds: [0, doctab_size). */
size_t	 doctab_size(const struct doctab *);
/* 1 when doctab_get gives the document at seq (cheaper). */
int	 doctab_holds(const struct doctab *, int64_t seq);
/* 1 when every id is its position and no document has fields. */
int	 doctab_plain(const struct doctab *);

/*
 * The document at position seq: 1 with its id (idbuf holds it when the
 * table stores none) and its fields as JSON text or NULL; 0 when the
 * table does not hold seq or its record is damaged (read the database).
 * The strings live as long as the table (or idbuf).
 */
int	 doctab_get(const struct doctab *, int64_t seq, char idbuf[24],
	    const char **id, size_t *idlen, const char **fields,
	    size_t *flen);

#endif
