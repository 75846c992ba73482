/*
 * doctab.c - the documents' ids and fields beside the index (doctab.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <xxhash.h>

#include "buf.h"
#include "doctab.h"
#include "util.h"
#include "xmalloc.h"

#define DOCTAB_MAGIC	"ESCTLDOC"
#define DOCTAB_VERSION	1
#define DOCTAB_PLAIN	0x1	/* ids are the positions, no fields */

struct doctab_header {
	char		magic[8];
	uint32_t	version;
	uint32_t	flags;
	int64_t		index_id;
	uint64_t	n;
	uint64_t	blob_size;
	uint64_t	reserved[2];
	uint64_t	sum;		/* XXH64 of the bytes above */
};

struct doctab {
	void		*map;
	size_t		 size;
	size_t		 n;
	int		 plain;
	const uint64_t	*off;		/* n + 1 */
	const char	*blob;
	uint64_t	 blob_size;
};

static int	doctab_is_plain(int64_t, const unsigned char *, size_t,
		    int);
static size_t	doctab_utoa(uint64_t, char *);

/* v in decimal at the end of buf[24]; returns its length. */
static size_t
doctab_utoa(uint64_t v, char *buf)
{
	char tmp[24], *p = tmp + sizeof tmp;
	size_t n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	n = (size_t)(tmp + sizeof tmp - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

/* 1 when the document at seq is what `index add` gives a bare vector. */
static int
doctab_is_plain(int64_t seq, const unsigned char *id, size_t idlen,
    int has_fields)
{
	char buf[24];

	return !has_fields && idlen == doctab_utoa((uint64_t)seq, buf) &&
	    memcmp(id, buf, idlen) == 0;
}

int
doctab_write(struct store *st, const char *path, long long id, size_t n,
    struct es_err *err)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct doctab_header h;
	struct es_buf blob = ES_BUF_INIT, file = ES_BUF_INIT;
	uint64_t *off;
	const unsigned char *t, *f;
	size_t next = 0, idlen, flen;
	int64_t seq;
	int rc, txn = 0, plain = 1, ret = -1;

	off = xreallocarray(NULL, n + 1, sizeof *off);
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			goto dberr;
		txn = 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT seq, doc_id, fields FROM "
	    "vector_doc WHERE index_id = ? AND seq >= 0 AND seq < ? "
	    "ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(s, 0);
		if (seq != (int64_t)next)
			break;
		t = sqlite3_column_text(s, 1);
		idlen = (size_t)sqlite3_column_bytes(s, 1);
		f = sqlite3_column_text(s, 2);
		flen = (size_t)sqlite3_column_bytes(s, 2);
		if (t == NULL || memchr(t, '\0', idlen) != NULL ||
		    (f != NULL && memchr(f, '\0', flen) != NULL)) {
			/* not representable: the database stays the source */
			es_err_set(err, ES_ECONFLICT, NULL, "document %zu of "
			    "index %lld has a NUL in its id or fields", next,
			    id);
			goto done;
		}
		if (plain && !doctab_is_plain(seq, t, idlen, f != NULL))
			plain = 0;
		off[next++] = blob.len;
		es_buf_add(&blob, t, idlen);
		es_buf_addch(&blob, '\0');
		if (f != NULL) {
			es_buf_add(&blob, f, flen);
			es_buf_addch(&blob, '\0');
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto dberr;
	if (next != n) {
		es_err_set(err, ES_ECONFLICT, NULL, "index %lld has no "
		    "document at position %zu", id, next);
		goto done;
	}
	off[n] = blob.len;
	sqlite3_finalize(s);
	s = NULL;
	if (txn) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		txn = 0;
	}
	memset(&h, 0, sizeof h);
	memcpy(h.magic, DOCTAB_MAGIC, sizeof h.magic);
	h.version = DOCTAB_VERSION;
	h.flags = plain ? DOCTAB_PLAIN : 0;
	h.index_id = id;
	h.n = n;
	h.blob_size = plain ? 0 : blob.len;
	h.sum = XXH64(&h, offsetof(struct doctab_header, sum), 0);
	es_buf_add(&file, &h, sizeof h);
	if (!plain) {
		es_buf_add(&file, off, (n + 1) * sizeof *off);
		es_buf_add(&file, blob.data, blob.len);
	}
	ret = util_write_file_atomic(path, file.data, file.len, 0600, err);
	goto done;
dberr:
	es_err_set(err, ES_EFAIL, NULL, "cannot read the documents of index "
	    "%lld: %s", id, sqlite3_errmsg(db));
done:
	sqlite3_finalize(s);
	if (txn && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(off);
	es_buf_release(&blob);
	es_buf_release(&file);
	return ret;
}

int
doctab_extend_plain(const char *path, long long id, size_t old_n,
    size_t new_n, struct es_err *err)
{
	struct doctab_header h;
	struct doctab *dt;
	int ok;

	if (old_n > 0) {
		dt = doctab_open(path, id, old_n, NULL);
		ok = dt != NULL && dt->plain && dt->n == old_n;
		doctab_close(dt);
		if (!ok)
			return 0;
	}
	memset(&h, 0, sizeof h);
	memcpy(h.magic, DOCTAB_MAGIC, sizeof h.magic);
	h.version = DOCTAB_VERSION;
	h.flags = DOCTAB_PLAIN;
	h.index_id = id;
	h.n = new_n;
	h.sum = XXH64(&h, offsetof(struct doctab_header, sum), 0);
	if (util_write_file_atomic(path, &h, sizeof h, 0600, err) == -1)
		return -1;
	return 1;
}

struct doctab *
doctab_open(const char *path, long long id, size_t count, const char **why)
{
	struct doctab *dt;
	const struct doctab_header *h;
	struct stat sb;
	void *map;
	size_t size, want;
	const char *reason = NULL;
	int fd;

	if (why == NULL)
		why = &reason;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = "no table";
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || sb.st_size < (off_t)sizeof *h) {
		close(fd);
		*why = "too short";
		return NULL;
	}
	size = (size_t)sb.st_size;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*why = "cannot map";
		return NULL;
	}
	h = map;
	if (memcmp(h->magic, DOCTAB_MAGIC, sizeof h->magic) != 0 ||
	    h->version != DOCTAB_VERSION || h->sum != XXH64(h,
	    offsetof(struct doctab_header, sum), 0)) {
		*why = "not a document table";
		goto bad;
	}
	if (h->index_id != id) {
		*why = "another index's";
		goto bad;
	}
	if (h->n > count) {
		*why = "more documents than the index";
		goto bad;
	}
	want = sizeof *h;
	if (!(h->flags & DOCTAB_PLAIN)) {
		if (h->n >= (SIZE_MAX - want) / sizeof(uint64_t) - 1 ||
		    h->blob_size > SIZE_MAX - want - (h->n + 1) *
		    sizeof(uint64_t)) {
			*why = "damaged";
			goto bad;
		}
		want += (size_t)(h->n + 1) * sizeof(uint64_t) +
		    (size_t)h->blob_size;
	}
	if (size != want) {
		*why = "damaged";
		goto bad;
	}
	dt = xcalloc(1, sizeof *dt);
	dt->map = map;
	dt->size = size;
	dt->n = (size_t)h->n;
	dt->plain = (h->flags & DOCTAB_PLAIN) != 0;
	if (!dt->plain) {
		dt->off = (const uint64_t *)(h + 1);
		dt->blob = (const char *)(dt->off + dt->n + 1);
		dt->blob_size = h->blob_size;
		if (dt->off[dt->n] != dt->blob_size) {
			doctab_close(dt);
			*why = "damaged";
			return NULL;
		}
	}
	return dt;
bad:
	munmap(map, size);
	return NULL;
}

void
doctab_close(struct doctab *dt)
{
	if (dt == NULL)
		return;
	munmap(dt->map, dt->size);
	free(dt);
}

size_t
doctab_size(const struct doctab *dt)
{
	return dt != NULL ? dt->n : 0;
}

int
doctab_holds(const struct doctab *dt, int64_t seq)
{
	const char *id, *f;
	char idbuf[24];
	size_t idlen, flen;

	if (dt == NULL || seq < 0 || (uint64_t)seq >= dt->n)
		return 0;
	return dt->plain || doctab_get(dt, seq, idbuf, &id, &idlen, &f,
	    &flen);
}

int
doctab_plain(const struct doctab *dt)
{
	return dt != NULL && dt->plain;
}

int
doctab_get(const struct doctab *dt, int64_t seq, char idbuf[24],
    const char **id, size_t *idlen, const char **fields, size_t *flen)
{
	const char *r, *nul;
	uint64_t a, b;

	*id = *fields = NULL;
	*idlen = *flen = 0;
	if (dt == NULL || seq < 0 || (uint64_t)seq >= dt->n)
		return 0;
	if (dt->plain) {
		*idlen = doctab_utoa((uint64_t)seq, idbuf);
		*id = idbuf;
		return 1;
	}
	/* a record: id NUL [fields NUL], checked against the blob */
	a = dt->off[seq];
	b = dt->off[seq + 1];
	if (a >= b || b > dt->blob_size)
		return 0;
	r = dt->blob + a;
	if ((nul = memchr(r, '\0', (size_t)(b - a))) == NULL)
		return 0;
	*id = r;
	*idlen = (size_t)(nul - r);
	if ((uint64_t)(nul - r) + 1 < b - a) {
		if (dt->blob[b - 1] != '\0') {
			*id = NULL;
			*idlen = 0;
			return 0;
		}
		*fields = nul + 1;
		*flen = (size_t)(b - a) - *idlen - 2;
		/* one string: a NUL inside is damage (its text is printed) */
		if (memchr(*fields, '\0', *flen) != NULL) {
			*id = *fields = NULL;
			*idlen = *flen = 0;
			return 0;
		}
	}
	return 1;
}
