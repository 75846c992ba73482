/*
 * test-ivffile.c - the index file reader against damaged and crafted
 * files: the fuzz target's corpus replayed with its properties, and every
 * section offset of a well-formed file moved (checksums recomputed) must
 * be refused, not followed outside the file.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "buf.h"
#include "ivf.h"
#include "util.h"

#include "../fuzz/fuzz-ivf.h"
#include "../fuzz/fuzz-doctab.h"

/* Offsets of the header's section fields (off_centroids .. off_errs). */
#define HDR_OFF_FIRST	88
#define HDR_OFF_LAST	160

static void
test_fuzz_corpus(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_index *ix;
	struct unit_corpus c;
	const char *why;
	char *path;

	path = xasprintf("%s/fz.idx", t->tmpdir);
	if (unit_corpus_open(t, &c, "ivf") == -1) {
		free(path);
		return;
	}
	while (unit_corpus_next(t, &c)) {
		if (fuzz_ivf_one(path, (const uint8_t *)c.buf.data,
		    c.buf.len, &why) == -1)
			unit_fail(t, __FILE__, __LINE__, "%s: %s", c.name,
			    why);
		/* the seeds are well-formed files: they open */
		if (strncmp(c.name, "crash-", 6) == 0)
			continue;
		if (ivf_open(path, 0, &ix, &err) == -1)
			unit_fail(t, __FILE__, __LINE__, "%s: %s", c.name,
			    err.msg);
		else
			ivf_free(ix);
	}
	UT_ASSERT(t, c.files >= 6);
	unit_corpus_close(&c);
	free(path);
}

static int
put_file(const char *path, const unsigned char *b, size_t n)
{
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	ok = write(fd, b, n) == (ssize_t)n;
	return close(fd) == 0 && ok ? 0 : -1;
}

/*
 * Each section offset moved by a little, a page, or far beyond the file,
 * with the checksums recomputed: refused as bad section offsets.  A file
 * whose checksums alone were recomputed still opens.
 */
static void
test_section_offsets(struct unit_t *t)
{
	static const int64_t deltas[] = { 64, -64, 4096, -4096, 8,
	    (int64_t)1 << 40 };
	static const char *seeds[] = { "l2-64x4", "dot-40x8-proj" };
	struct es_err err = ES_ERR_INIT;
	struct es_buf buf = ES_BUF_INIT;
	struct ivf_index *ix;
	unsigned char *b;
	uint64_t v;
	size_t n, s, off, di;
	char *seed, *path, *top;

	top = getenv("ESCTL_TOP");
	path = xasprintf("%s/off.idx", t->tmpdir);
	for (s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		seed = xasprintf("%s/testdata/fuzz/ivf/%s", top != NULL ? top :
		    ".", seeds[s]);
		es_buf_reset(&buf);
		UT_EQ_INT(t, es_buf_read_file(&buf, seed), 0);
		b = (unsigned char *)buf.data;
		n = buf.len;
		UT_ASSERT(t, n > 4096);
		if (n <= 4096) {
			free(seed);
			continue;
		}
		/* the seed's first byte is the fuzz target's mode */
		UT_EQ_INT(t, put_file(path, b + 1, n - 1), 0);
		UT_EQ_INT(t, ivf_reseal(path, &err), 0);
		UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
		ivf_free(ix);
		for (off = HDR_OFF_FIRST; off <= HDR_OFF_LAST; off += 8)
			for (di = 0; di < sizeof deltas / sizeof deltas[0];
			    di++) {
				memcpy(&v, b + 1 + off, 8);
				v += (uint64_t)deltas[di];
				memcpy(b + 1 + off, &v, 8);
				UT_EQ_INT(t, put_file(path, b + 1, n - 1), 0);
				v -= (uint64_t)deltas[di];
				memcpy(b + 1 + off, &v, 8);
				UT_EQ_INT(t, ivf_reseal(path, &err), 0);
				if (ivf_open(path, 0, &ix, &err) == 0) {
					unit_fail(t, __FILE__, __LINE__, "%s: "
					    "header offset at %zu moved by "
					    "%lld was accepted", seeds[s], off,
					    (long long)deltas[di]);
					ivf_free(ix);
				} else if (strstr(err.msg, "corrupt") == NULL)
					unit_fail(t, __FILE__, __LINE__, "%s",
					    err.msg);
			}
		free(seed);
	}
	es_buf_release(&buf);
	free(path);
}

/* The documents' table corpus, with the fuzz target's properties. */
static void
test_doctab_corpus(struct unit_t *t)
{
	struct unit_corpus c;
	const char *why;
	char *path;

	path = xasprintf("%s/docs.tab", t->tmpdir);
	if (unit_corpus_open(t, &c, "doctab") == -1) {
		free(path);
		return;
	}
	while (unit_corpus_next(t, &c))
		if (fuzz_doctab_one(path, (const uint8_t *)c.buf.data,
		    c.buf.len, &why) == -1)
			unit_fail(t, __FILE__, __LINE__, "%s: %s", c.name,
			    why);
	UT_ASSERT(t, c.files >= 3);
	unit_corpus_close(&c);
	free(path);
}

/*
 * A record whose fields hold a NUL (damage: esctl writes JSON text) is
 * not given out, its neighbours are; the fuzz target found it.
 */
static void
test_doctab_nul_field(struct unit_t *t)
{
	struct es_buf buf = ES_BUF_INIT;
	struct doctab *dt;
	const char *top = getenv("ESCTL_TOP"), *id, *f, *why = NULL;
	char idbuf[24], *seed, *path, *p;
	size_t idlen, flen;
	int64_t idx;

	seed = xasprintf("%s/testdata/fuzz/doctab/fields-12", top != NULL ?
	    top : ".");
	path = xasprintf("%s/nul.tab", t->tmpdir);
	UT_EQ_INT(t, es_buf_read_file(&buf, seed), 0);
	UT_ASSERT(t, buf.len > 200);
	if (buf.len <= 200)
		goto out;
	memcpy(&idx, buf.data + 1 + 16, 8);
	/* document 2 has fields ({"n": 2, ...}): a NUL inside them */
	p = memmem(buf.data, buf.len, "doc-2", 6);
	UT_ASSERT(t, p != NULL && p[6] == '{');
	if (p == NULL)
		goto out;
	p[8] = '\0';
	UT_EQ_INT(t, put_file(path, (unsigned char *)buf.data + 1,
	    buf.len - 1), 0);
	dt = doctab_open(path, (long long)idx, 12, &why);
	UT_ASSERT(t, dt != NULL);
	if (dt == NULL)
		goto out;
	UT_EQ_INT(t, doctab_get(dt, 2, idbuf, &id, &idlen, &f, &flen), 0);
	UT_EQ_INT(t, doctab_holds(dt, 2), 0);
	UT_EQ_INT(t, doctab_get(dt, 1, idbuf, &id, &idlen, &f, &flen), 1);
	UT_EQ_INT(t, doctab_get(dt, 4, idbuf, &id, &idlen, &f, &flen), 1);
	UT_ASSERT(t, f != NULL && flen > 0);
	doctab_close(dt);
out:
	es_buf_release(&buf);
	free(seed);
	free(path);
}

const struct unit_test unit_ivffile_tests[] = {
	{ "doctab_corpus", test_doctab_corpus },
	{ "doctab_nul_field", test_doctab_nul_field },
	{ "fuzz_corpus", test_fuzz_corpus },
	{ "section_offsets", test_section_offsets },
	{ NULL, NULL }
};
