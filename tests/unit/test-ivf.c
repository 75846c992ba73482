/*
 * test-ivf.c - unit tests for the vector readers (including a fuzz-style
 * robustness test), the kernels, k-means and the IVF index.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "buf.h"
#include "ivf.h"
#include "ivf_kernels.h"
#include "kmeans.h"
#include "unit.h"
#include "vecio.h"

/* A seeded clustered data set: n points around c centres in d dims. */
static float *
gen_clustered(size_t n, int d, int c, uint64_t seed)
{
	struct kmeans_rng r;
	float *cent, *x;
	size_t i;
	int j, k;

	kmeans_rng_seed(&r, seed);
	cent = xreallocarray(NULL, (size_t)c * (size_t)d, sizeof(float));
	x = xreallocarray(NULL, n * (size_t)d, sizeof(float));
	for (i = 0; i < (size_t)c * (size_t)d; i++)
		cent[i] = (float)(kmeans_rng_gauss(&r) * 5.0);
	for (i = 0; i < n; i++) {
		k = (int)kmeans_rng_below(&r, (uint64_t)c);
		for (j = 0; j < d; j++)
			x[i * (size_t)d + (size_t)j] = cent[(size_t)k *
			    (size_t)d + (size_t)j] + (float)kmeans_rng_gauss(&r);
	}
	free(cent);
	return x;
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * vecio_parse_list (one --vector without cJSON, issue 17) reads exactly
 * what the JSON reading of the same text reads, bit for bit, and declines
 * (0, for the JSON reading to explain) whatever that one rejects.
 */
static void
test_vecio_parse_list(struct unit_t *t)
{
	static const char *same[] = {
		"[1, 2, 3]", "1,2,3", "  [ -0, 1e-46, 3.4028235e38 ]\t",
		/* halfway between two floats by more than a double holds */
		"1.0000000596046447753906250001, 0.1, -2.5",
		"[01, 1., 1.e5]", "[1e+2,\t2E-2 , 7]",
		"0.3333333333333333333333333333333333333333333333333333333333333,"
		" 1, 2",
	};
	static const char *declined[] = {
		"[1, 2]", "[1, 2, 3, 4]", "[1, 2, 3", "1,,2,3", "[+1, 2, 3]",
		"[.5, 2, 3]", "[1, [2], 3]", "[nan, 2, 3]", "[0x10, 2, 3]",
		"[1e999, 2, 3]", "\t[1, 2, 3]", "[1,\n2, 3]", "[1e, 2, 3]",
		"[1, 2, 3] x", "[1, 2, 3]]", "", "[]",
		"0.33333333333333333333333333333333333333333333333333333333333333,"
		" 1, 2",
	};
	struct es_err err = ES_ERR_INIT;
	struct vecio_set *s;
	float *v, dummy;
	char *line;
	size_t i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		UT_EQ_INT(t, vecio_parse_list(same[i], 3, &v), 1);
		line = xasprintf(strchr(same[i], '[') != NULL ?
		    "{\"vector\": %s}\n" : "{\"vector\": [%s]}\n", same[i]);
		UT_EQ_INT(t, vecio_read_mem(line, strlen(line), "--vector",
		    VECIO_JSONL, 3, &s, &err), 0);
		if (v != NULL && s != NULL && memcmp(v, s->vectors,
		    3 * sizeof *v) != 0)
			unit_fail(t, __FILE__, __LINE__, "'%s' reads "
			    "%.9g %.9g %.9g, JSON %.9g %.9g %.9g", same[i],
			    v[0], v[1], v[2], s->vectors[0], s->vectors[1],
			    s->vectors[2]);
		vecio_set_free(s);
		free(line);
		free(v);
	}
	for (i = 0; i < sizeof declined / sizeof declined[0]; i++) {
		v = &dummy;
		if (vecio_parse_list(declined[i], 3, &v) != 0)
			unit_fail(t, __FILE__, __LINE__, "'%s' was read",
			    declined[i]);
		UT_ASSERT(t, v == NULL);
	}
}

static void
test_vecio_formats(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct vecio_set *s;
	unsigned char fv[2 * (4 + 12)], bv[2 * (4 + 3)];
	float row[3] = { 1, 2, 3 };
	const char *jl = "{\"id\": \"a\", \"vector\": [1, 2, 3], "
	    "\"fields\": {\"c\": \"red\"}}\n\n{\"id\": 7, \"vector\": "
	    "[4, 5, 6]}\n";
	const char *csv = "id,v0,v1,v2,color\nx,1,2,3,red\ny,4,5,6,blue\n";
	const char *csv2 = "p,1,2,3\nq,4,5,6\n";
	unsigned char npy[128 + 24];
	const char *hdr = "{'descr': '<f4', 'fortran_order': False, "
	    "'shape': (2, 3), }";
	size_t hl;

	put32(fv, 3);
	memcpy(fv + 4, row, 12);
	put32(fv + 16, 3);
	memcpy(fv + 20, row, 12);
	UT_EQ_INT(t, vecio_read_mem(fv, sizeof fv, "a.fvecs", VECIO_AUTO, 0,
	    &s, &err), 0);
	UT_EQ_INT(t, s->n, 2);
	UT_EQ_INT(t, s->dim, 3);
	UT_NEAR(t, s->vectors[5], 3, 0);
	UT_ASSERT(t, s->ids == NULL);
	vecio_set_free(s);

	put32(bv, 3);
	bv[4] = 0; bv[5] = 128; bv[6] = 255;
	put32(bv + 7, 3);
	bv[11] = 1; bv[12] = 2; bv[13] = 3;
	UT_EQ_INT(t, vecio_read_mem(bv, sizeof bv, "a.bvecs", VECIO_AUTO, 3,
	    &s, &err), 0);
	UT_NEAR(t, s->vectors[2], 255, 0);
	vecio_set_free(s);

	UT_EQ_INT(t, vecio_read_mem(jl, strlen(jl), "a.jsonl", VECIO_AUTO, 3,
	    &s, &err), 0);
	UT_EQ_INT(t, s->n, 2);
	UT_EQ_STR(t, s->ids[0], "a");
	UT_EQ_STR(t, s->ids[1], "7");
	UT_EQ_STR(t, s->fields[0], "{\"c\":\"red\"}");
	UT_ASSERT(t, s->fields[1] == NULL);
	UT_EQ_INT(t, s->where[1], 3);
	vecio_set_free(s);

	UT_EQ_INT(t, vecio_read_mem(csv, strlen(csv), "a.csv", VECIO_AUTO, 0,
	    &s, &err), 0);
	UT_EQ_INT(t, s->dim, 3);
	UT_EQ_STR(t, s->ids[1], "y");
	UT_EQ_STR(t, s->fields[1], "{\"color\":\"blue\"}");
	vecio_set_free(s);
	UT_EQ_INT(t, vecio_read_mem(csv2, strlen(csv2), "b.csv", VECIO_AUTO, 3,
	    &s, &err), 0);
	UT_EQ_STR(t, s->ids[0], "p");
	UT_NEAR(t, s->vectors[3], 4, 0);
	vecio_set_free(s);

	memset(npy, ' ', sizeof npy);
	memcpy(npy, "\x93NUMPY\x01\x00", 8);
	hl = 128 - 10;
	npy[8] = (unsigned char)hl;
	npy[9] = 0;
	memcpy(npy + 10, hdr, strlen(hdr));
	npy[127] = '\n';
	memcpy(npy + 128, row, 12);
	memcpy(npy + 140, row, 12);
	UT_EQ_INT(t, vecio_read_mem(npy, sizeof npy, "a.npy", VECIO_AUTO, 3,
	    &s, &err), 0);
	UT_EQ_INT(t, s->n, 2);
	vecio_set_free(s);
}

static void
test_vecio_errors(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct vecio_set *s = NULL;
	unsigned char fv[2 * (4 + 12)];
	float row[3] = { 1, 2, 3 };
	float nanv = NAN;
	const char *dup = "{\"id\": \"a\", \"vector\": [1, 2, 3]}\n"
	    "{\"id\": \"b\", \"vector\": [1, 2, 3]}\n"
	    "{\"id\": \"a\", \"vector\": [1, 2, 3]}\n";
	const char *bad = "{\"vector\": [1, 2, 3]}\n{\"vector\": [1, 2\n";
	const char *wrong = "{\"vector\": [1, 2, 3]}\n{\"vector\": [1, 2]}\n";
	const char *strv = "{\"vector\": [1, \"x\", 3]}\n";

	put32(fv, 3);
	memcpy(fv + 4, row, 12);
	put32(fv + 16, 3);
	memcpy(fv + 20, row, 12);
	/* truncated second record */
	UT_EQ_INT(t, vecio_read_mem(fv, sizeof fv - 2, "a.fvecs", VECIO_AUTO,
	    0, &s, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_ASSERT(t, strstr(err.msg, "record 2 is truncated") != NULL);
	UT_ASSERT(t, s == NULL);
	/* wrong dimension against the index */
	UT_EQ_INT(t, vecio_read_mem(fv, sizeof fv, "a.fvecs", VECIO_AUTO, 4,
	    &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "record 1 has dimension 3, expected 4")
	    != NULL);
	/* NaN */
	memcpy(fv + 24, &nanv, 4);
	UT_EQ_INT(t, vecio_read_mem(fv, sizeof fv, "a.fvecs", VECIO_AUTO, 3,
	    &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "record 2: component 2 is NaN") != NULL);
	UT_EQ_INT(t, vecio_read_mem(dup, strlen(dup), "d.jsonl", VECIO_AUTO,
	    3, &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "line 3: duplicate id 'a' (first at "
	    "line 1)") != NULL);
	UT_EQ_INT(t, vecio_read_mem(bad, strlen(bad), "b.jsonl", VECIO_AUTO,
	    3, &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "line 2: invalid JSON") != NULL);
	UT_EQ_INT(t, vecio_read_mem(wrong, strlen(wrong), "w.jsonl",
	    VECIO_AUTO, 0, &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "line 2: vector has 2 components, "
	    "expected 3") != NULL);
	UT_EQ_INT(t, vecio_read_mem(strv, strlen(strv), "s.jsonl",
	    VECIO_AUTO, 3, &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "component 2 is not a number") != NULL);
	UT_EQ_INT(t, vecio_read_mem("x", 1, "a.txt", VECIO_AUTO, 3, &s, &err),
	    -1);
	UT_ASSERT(t, strstr(err.msg, "cannot tell the format") != NULL);
	UT_EQ_INT(t, vecio_read_mem("{\"vector\": [1e39, 0, 0]}", 24,
	    "big.jsonl", VECIO_AUTO, 3, &s, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "infinite") != NULL);
}

/*
 * Fuzz-style robustness: every prefix and many random corruptions of
 * valid inputs of each format give either a set or a clean ES_EUSAGE
 * error (run under ASan/UBSan by make check SANITIZE=1).
 */
static void
test_vecio_fuzz(struct unit_t *t)
{
	struct kmeans_rng r;
	struct es_err err = ES_ERR_INIT;
	struct vecio_set *s;
	static const char *names[] = { "f.fvecs", "f.bvecs", "f.npy",
	    "f.jsonl", "f.csv", "f.ivecs" };
	unsigned char *buf, *mut;
	size_t len[6], i, cut;
	unsigned char *in[6];
	int f, rc, iter, ok = 0, bad = 0;
	float v[8];
	char npyh[128];

	kmeans_rng_seed(&r, 42);
	for (i = 0; i < 8; i++)
		v[i] = (float)i * 1.5f;
	/* fvecs / ivecs: 3 records of 8 */
	in[0] = xmalloc(3 * 36);
	for (i = 0; i < 3; i++) {
		put32(in[0] + i * 36, 8);
		memcpy(in[0] + i * 36 + 4, v, 32);
	}
	len[0] = 3 * 36;
	in[5] = xmalloc(len[0]);
	memcpy(in[5], in[0], len[0]);
	len[5] = len[0];
	in[1] = xmalloc(3 * 12);
	for (i = 0; i < 3; i++) {
		put32(in[1] + i * 12, 8);
		memset(in[1] + i * 12 + 4, (int)i * 7, 8);
	}
	len[1] = 36;
	memset(npyh, ' ', sizeof npyh);
	memcpy(npyh, "\x93NUMPY\x01\x00\x76\x00", 10);
	memcpy(npyh + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': "
	    "(3, 8), }", 58);
	npyh[127] = '\n';
	in[2] = xmalloc(128 + 96);
	memcpy(in[2], npyh, 128);
	for (i = 0; i < 3; i++)
		memcpy(in[2] + 128 + i * 32, v, 32);
	len[2] = 128 + 96;
	in[3] = (unsigned char *)xstrdup("{\"id\": \"a\", \"vector\": [0, 1, 2, "
	    "3, 4, 5, 6, 7], \"fields\": {\"k\": [1, \"x\"]}}\n{\"id\": 2, "
	    "\"vector\": [0, 1, 2, 3, 4, 5, 6, 7.5e-3]}\n");
	len[3] = strlen((char *)in[3]);
	in[4] = (unsigned char *)xstrdup("id,v0,v1,v2,v3,v4,v5,v6,v7,tag\n"
	    "a,0,1,2,3,4,5,6,7,\"x,\"\"y\"\n\"b\",1,1,1,1,1,1,1,1,z\n");
	len[4] = strlen((char *)in[4]);
	for (f = 0; f < 6; f++) {
		/* the valid input parses */
		UT_EQ_INT(t, vecio_read_mem(in[f], len[f], names[f],
		    VECIO_AUTO, 8, &s, &err), 0);
		vecio_set_free(s);
		/* every prefix */
		for (cut = 0; cut < len[f]; cut++) {
			buf = xmalloc(cut + 1);
			memcpy(buf, in[f], cut);
			s = NULL;
			rc = vecio_read_mem(buf, cut, names[f], VECIO_AUTO, 8,
			    &s, &err);
			if (rc == 0) {
				UT_ASSERT(t, s != NULL && s->dim == 8);
				ok++;
			} else {
				UT_EQ_INT(t, err.code, ES_EUSAGE);
				UT_ASSERT(t, strstr(err.msg, names[f]) != NULL);
				bad++;
			}
			vecio_set_free(s);
			free(buf);
		}
		/* random byte changes */
		for (iter = 0; iter < 2000; iter++) {
			mut = xmalloc(len[f]);
			memcpy(mut, in[f], len[f]);
			for (i = 0; i < 1 + kmeans_rng_below(&r, 4); i++)
				mut[kmeans_rng_below(&r, len[f])] =
				    (unsigned char)kmeans_rng_below(&r, 256);
			s = NULL;
			rc = vecio_read_mem(mut, len[f], names[f], VECIO_AUTO,
			    0, &s, &err);
			if (rc == 0) {
				UT_ASSERT(t, s != NULL && s->n > 0);
				for (i = 0; i < s->n * (size_t)s->dim; i++)
					UT_ASSERT(t, isfinite(s->vectors[i]));
				ok++;
			} else {
				UT_ASSERT(t, err.code == ES_EUSAGE);
				bad++;
			}
			vecio_set_free(s);
			free(mut);
		}
		free(in[f]);
	}
	UT_ASSERT(t, ok > 0 && bad > 0);
}

/*
 * Replays the fuzz corpus (testdata/fuzz/vecio) with the fuzz target's
 * properties, and checks that each seed reads in its own format.
 */
static void
test_vecio_corpus(struct unit_t *t)
{
	static const char *names[] = { "in.fvecs", "in.bvecs", "in.ivecs",
	    "in.npy", "in.jsonl", "in.csv" };
	struct es_err err = ES_ERR_INIT;
	struct unit_corpus c;
	struct vecio_set *s;
	size_t f, i;
	int own;

	if (unit_corpus_open(t, &c, "vecio") == -1)
		return;
	while (unit_corpus_next(t, &c)) {
		/* the seed in its own format */
		s = NULL;
		own = vecio_read_mem(c.buf.data, c.buf.len, c.file,
		    VECIO_AUTO, 4, &s, &err);
		if (strncmp(c.name, "crash-", 6) != 0 && own != 0)
			unit_fail(t, __FILE__, __LINE__, "%s: %s", c.file,
			    err.msg);
		vecio_set_free(s);
		for (f = 0; f < sizeof names / sizeof names[0]; f++) {
			s = NULL;
			if (vecio_read_mem(c.buf.data, c.buf.len, names[f],
			    VECIO_AUTO, 0, &s, &err) == -1) {
				UT_EQ_INT(t, err.code, ES_EUSAGE);
				continue;
			}
			for (i = 0; i < s->n * (size_t)s->dim; i++)
				UT_ASSERT(t, isfinite(s->vectors[i]));
			vecio_set_free(s);
		}
	}
	UT_ASSERT(t, c.files >= 5);
	unit_corpus_close(&c);
}

/*
 * Compare one SIMD kernel set with the generic one.  A set this CPU cannot
 * run (or that was not built) is reported as a skip with its reason, never
 * silently passed.
 */
static void
kernels_agree(struct unit_t *t, const struct ivf_kern *simd,
    const char *label)
{
	const struct ivf_kern *ks[2] = { &ivf_kern_generic, simd };
	const struct ivf_kern *sel = ivf_kern_select();
	float *x, q[37], w[37], qs[37], o[3][50], one;
	uint8_t c[50 * 37];
	size_t i, d;
	int k, f, bad, dims[] = { 1, 7, 16, 37 }, di;

	if (!ivf_kern_usable(simd)) {
		unit_skip(t, "%s kernels not usable on this CPU or build",
		    label);
		return;
	}
	x = gen_clustered(50, 37, 3, 5);
	for (i = 0; i < 37; i++) {
		q[i] = (float)i / 10;
		w[i] = 0.5f;
		qs[i] = (float)(i * 7 % 255);
	}
	for (i = 0; i < sizeof c; i++)
		c[i] = (uint8_t)(i * 31);
	for (di = 0; di < 4; di++) {
		d = (size_t)dims[di];
		for (f = 0; f < 4; f++) {
			for (k = 0; k < 2; k++) {
				if (f == 0)
					ks[k]->l2_rows(q, x, 50, d, o[k]);
				else if (f == 1)
					ks[k]->ndot_rows(q, x, 50, d, o[k]);
				else if (f == 2)
					ks[k]->sq8_l2_rows(qs, w, c, 50, d,
					    o[k]);
				else
					ks[k]->sq8_ndot_rows(q, c, 50, d,
					    o[k]);
			}
			for (k = 1; k < 2; k++) {
				bad = 0;
				for (i = 0; i < 50; i++)
					if (fabs(o[k][i] - o[0][i]) > 1e-4 *
					    (1 + fabs(o[0][i])))
						bad++;
				if (bad)
					unit_fail(t, __FILE__, __LINE__, "%s "
					    "kernel %d, d %zu: %d rows differ "
					    "from generic", ks[k]->name, f, d,
					    bad);
			}
		}
		/* argmin2, with ties: the lowest index wins */
		for (k = 0; k < 2; k++) {
			float row[37], add[37], b1, b2;
			int i1;

			for (i = 0; i < d; i++) {
				row[i] = (float)((i * 7) % 5);
				add[i] = 1;
			}
			ks[k]->argmin2(row, add, d, &b1, &i1, &b2);
			UT_NEAR(t, b1, 1, 0);
			UT_EQ_INT(t, i1, 0);
			if (d == 1)
				UT_ASSERT(t, isinf(b2));
			else
				UT_NEAR(t, b2, 1, 0);
		}
		/*
		 * below: the indices of row + add not above lim, in
		 * order, for every length up to 100 (the SIMD body and its
		 * tail), with values equal to lim and NaNs (both kept)
		 */
		if (di == 0) {
			float row[100], add[100], lim = 3;
			uint32_t idx[100], want[100];
			size_t n, m, nw;

			for (i = 0; i < 100; i++) {
				row[i] = (float)((i * 37) % 11) - 2;
				add[i] = (float)((i * 13) % 3);
			}
			row[5] = NAN;
			row[70] = NAN;
			for (n = 0; n <= 100; n++) {
				nw = 0;
				for (i = 0; i < n; i++)
					if (isnan(row[i]) ||
					    row[i] + add[i] <= lim)
						want[nw++] = (uint32_t)i;
				UT_ASSERT(t, nw > 0 || n < 3);
				for (k = 0; k < 2; k++) {
					m = ks[k]->below(row, add, n, lim,
					    idx);
					UT_EQ_INT(t, (int)m, (int)nw);
					if (m == nw)
						UT_ASSERT(t, memcmp(idx, want,
						    m * sizeof *idx) == 0);
				}
			}
			/* nothing below, and everything */
			for (k = 0; k < 2; k++) {
				UT_EQ_INT(t, (int)ks[k]->below(add, add, 64,
				    -1, idx), 0);
				UT_EQ_INT(t, (int)ks[k]->below(add, add, 99,
				    INFINITY, idx), 99);
				UT_EQ_INT(t, (int)idx[98], 98);
			}
		}
		/* one row alone gives the same bits as inside a block */
		sel->l2_rows(q, x, 50, d, o[1]);
		for (i = 0; i < 50; i++) {
			sel->l2_rows(q, x + i * d, 1, d, &one);
			UT_ASSERT(t, one == o[1][i]);
		}
		/*
		 * gathered rows (1 to 9 of them, in any order, repeated):
		 * the bits of the same rows through l2_rows / ndot_rows
		 */
		for (k = 0; k < 2; k++) {
			uint32_t rows[9];
			float g[9], r1;
			size_t n, m;

			for (n = 1; n <= 9; n++) {
				for (m = 0; m < n; m++)
					rows[m] = (uint32_t)((m * 17 + n) %
					    50);
				ks[k]->l2_gather(q, x, rows, n, d, g);
				for (m = 0; m < n; m++) {
					ks[k]->l2_rows(q, x + rows[m] * d, 1,
					    d, &r1);
					UT_ASSERT(t, g[m] == r1);
				}
				ks[k]->ndot_gather(q, x, rows, n, d, g);
				for (m = 0; m < n; m++) {
					ks[k]->ndot_rows(q, x + rows[m] * d,
					    1, d, &r1);
					UT_ASSERT(t, g[m] == r1);
				}
			}
		}
	}
	free(x);
}

static void
test_kernels_agree_avx2(struct unit_t *t)
{
	kernels_agree(t, &ivf_kern_avx2, "avx2");
}

static void
test_kernels_agree_avx512(struct unit_t *t)
{
	kernels_agree(t, &ivf_kern_avx512, "avx512");
}

static void
test_kmeans(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct blas *b;
	struct kmeans_opts o;
	struct kmeans_stats s1, s2;
	float *x, *c1, *c2, *dup;
	size_t n = 3000, i;
	int d = 16, k = 20;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, k, 9);
	c1 = xcalloc((size_t)k * (size_t)d, sizeof(float));
	c2 = xcalloc((size_t)k * (size_t)d, sizeof(float));
	memset(&o, 0, sizeof o);
	o.iters = 15;
	o.seed = 77;
	o.threads = 1;
	UT_EQ_INT(t, kmeans_train(b, x, n, d, k, &o, c1, &s1, &err), 0);
	o.threads = 2;
	UT_EQ_INT(t, kmeans_train(b, x, n, d, k, &o, c2, &s2, &err), 0);
	/* same seed: identical centroids whatever the threads */
	UT_ASSERT(t, memcmp(c1, c2, (size_t)k * (size_t)d * 4) == 0);
	UT_ASSERT(t, s1.obj_final == s2.obj_final);
	UT_ASSERT(t, s1.obj_final <= s1.obj_first);
	/* within a few times the generating noise (d per point) */
	UT_ASSERT(t, s1.obj_final / (double)n < 6.0 * d);
	/* PCA initialisation (LAPACKE_ssyevd) */
	o.init = KMEANS_INIT_PCA;
	UT_EQ_INT(t, kmeans_train(b, x, n, d, k, &o, c2, &s2, &err), 0);
	UT_ASSERT(t, s2.pca_top_eigenvalue > 0);
	UT_ASSERT(t, s2.obj_final <= s2.obj_first);
	/* many duplicates force empty clusters to be split */
	dup = xcalloc(200 * (size_t)d, sizeof(float));
	for (i = 0; i < 200; i++)
		dup[i * (size_t)d] = i < 190 ? 1.0f : (float)i;
	o.init = KMEANS_INIT_RANDOM;
	o.iters = 5;
	UT_EQ_INT(t, kmeans_train(b, dup, 200, d, 15, &o, c2, &s2, &err), 0);
	UT_ASSERT(t, s2.empty_splits > 0);
	free(dup);
	free(x);
	free(c1);
	free(c2);
	blas_close(b);
}

/* Points not at their nearest centroid (double precision), near-ties
 * (1e-4 relative) aside. */
static size_t
far_from_nearest(const float *x, size_t n, int d, const float *c, int k,
    const int32_t *a)
{
	size_t i, bad = 0;
	double best, da, s, t;
	int l, j;

	for (i = 0; i < n; i++) {
		best = INFINITY;
		da = 0;
		for (l = 0; l < k; l++) {
			s = 0;
			for (j = 0; j < d; j++) {
				t = (double)x[i * (size_t)d + (size_t)j] -
				    (double)c[(size_t)l * (size_t)d +
				    (size_t)j];
				s += t * t;
			}
			if (s < best)
				best = s;
			if (l == a[i])
				da = s;
		}
		if (da > best * (1 + 1e-4))
			bad++;
	}
	return bad;
}

/*
 * The bounds skip distances but must give Lloyd's assignments and
 * centroids exactly (opts.plain computes every distance): Hamerly's
 * below 256 dimensions, Yinyang's from 256.
 */
static void
kmeans_bounds_case(struct unit_t *t, int d)
{
	struct es_err err = ES_ERR_INIT;
	struct blas *b;
	struct kmeans_opts o;
	struct kmeans_stats sp, sy;
	float *x, *cp, *cy, *cn;
	int32_t *ap, *ay, *al;
	size_t n = 6000, i, *list, nl;
	int k = 96, th, l, j2;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, 40, 31);
	cp = xcalloc((size_t)k * (size_t)d, sizeof(float));
	cy = xcalloc((size_t)k * (size_t)d, sizeof(float));
	ap = xcalloc(n, sizeof *ap);
	ay = xcalloc(n, sizeof *ay);
	for (th = 1; th <= 2; th++) {
		memset(&o, 0, sizeof o);
		o.iters = 20;
		o.seed = 5;
		o.threads = th;
		o.plain = 1;
		o.assign = ap;
		UT_EQ_INT(t, kmeans_train(b, x, n, d, k, &o, cp, &sp, &err),
		    0);
		o.plain = 0;
		o.assign = ay;
		UT_EQ_INT(t, kmeans_train(b, x, n, d, k, &o, cy, &sy, &err),
		    0);
		if (d < 256) {
			/* Hamerly's: bit for bit */
			UT_ASSERT(t, memcmp(ap, ay, n * sizeof *ap) == 0);
			UT_ASSERT(t, memcmp(cp, cy, (size_t)k * (size_t)d *
			    4) == 0);
		} else {
			/*
			 * Yinyang's: plain's float distances lose digits at
			 * this norm, so near-ties may go either way; every
			 * point must be at its nearest centroid (double
			 * precision) up to a near-tie.
			 */
			UT_EQ_INT(t, (int)far_from_nearest(x, n, d, cy, k, ay),
			    0);
		}
		UT_EQ_INT(t, sp.iters_run, sy.iters_run);
		UT_ASSERT(t, fabs(sp.obj_final - sy.obj_final) <=
		    1e-3 * sp.obj_final);
		/* every distance once for plain; fewer with bounds */
		UT_ASSERT(t, sp.distances == (long long)n * k * 20);
		UT_ASSERT(t, sy.distances < (d < 256 ? sp.distances :
		    sp.distances / 2));
	}
	/* the final assignment is the nearest centroid of the result */
	cn = xcalloc((size_t)k, sizeof *cn);
	for (l = 0; l < k; l++)
		for (j2 = 0; j2 < d; j2++)
			cn[l] += cy[(size_t)l * (size_t)d + (size_t)j2] *
			    cy[(size_t)l * (size_t)d + (size_t)j2];
	al = xcalloc(n, sizeof *al);
	kmeans_assign(b, x, n, d, cy, cn, k, 2, al, NULL);
	UT_ASSERT(t, memcmp(al, ay, n * sizeof *al) == 0);
	/* the listed points only, the others untouched */
	list = xcalloc(n, sizeof *list);
	for (i = 0, nl = 0; i < n; i++)
		if (i % 3 != 0)
			list[nl++] = i;
	for (i = 0; i < n; i++)
		al[i] = -7;
	kmeans_assign_list(b, x, list, nl, d, cy, cn, k, 2, al);
	for (i = 0; i < n; i++)
		if (al[i] != (i % 3 != 0 ? ay[i] : -7))
			break;
	UT_ASSERT(t, i == n);
	free(list);
	free(al);
	free(cn);
	free(x);
	free(cp);
	free(cy);
	free(ap);
	free(ay);
	blas_close(b);
}

static void
test_kmeans_yinyang(struct unit_t *t)
{
	kmeans_bounds_case(t, 24);
	kmeans_bounds_case(t, 256);
}

/* Brute-force reference in double precision (ranking check). */
static void
ref_topk(const float *x, size_t n, int d, const float *q, int k, int sim,
    int64_t *ids)
{
	double *s = xcalloc(n, sizeof *s), best;
	char *used = xcalloc(n, 1);
	size_t i, bi;
	int j, m;

	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++) {
			double a = x[i * (size_t)d + (size_t)j], b = q[j];

			s[i] += sim ? -a * b : (a - b) * (a - b);
		}
	for (m = 0; m < k; m++) {
		best = INFINITY;
		bi = 0;
		for (i = 0; i < n; i++)
			if (!used[i] && s[i] < best) {
				best = s[i];
				bi = i;
			}
		used[bi] = 1;
		ids[m] = (int64_t)bi;
	}
	free(s);
	free(used);
}

static void
test_ivf_exact_and_recall(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct blas *b;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_search_opts so;
	struct ivf_index *ix;
	struct ivf_hit *h1, *h2;
	enum ivf_metric m;
	enum ivf_mode modes[3] = { IVF_MODE_SQ8, IVF_MODE_FLAT, IVF_MODE_GEMM };
	float *x, *q, *xn;
	int64_t ref[10];
	size_t n = 4000, nq = 40, i, hits;
	int d = 24, k = 10, mi, j, agree;
	char *path;

	if (blas_open(&b, &err) == -1) {
		/* a required dependency: index build cannot run without it */
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, 40, 11);
	q = gen_clustered(nq, d, 40, 11);	/* same centres */
	path = xasprintf("%s/i.idx", t->tmpdir);
	h1 = xcalloc(nq * (size_t)k, sizeof *h1);
	h2 = xcalloc(nq * (size_t)k, sizeof *h2);
	for (m = IVF_L2; m <= IVF_COSINE; m++) {
		xn = xreallocarray(NULL, n * (size_t)d, sizeof(float));
		memcpy(xn, x, n * (size_t)d * sizeof(float));
		for (i = 0; i < n; i++)
			ivf_normalize(m, xn + i * (size_t)d, d, &err);
		memset(&bo, 0, sizeof bo);
		bo.nlist = 32;
		bo.iters = 10;
		bo.seed = 3;
		bo.threads = 2;
		bo.blas = b;
		bo.index_uid = 5;
		UT_EQ_INT(t, ivf_build(xn, n, d, m, &bo, path, &bs, &err), 0);
		/* the file of another index is refused */
		UT_EQ_INT(t, ivf_open(path, 6, &ix, &err), -1);
		UT_ASSERT(t, strstr(err.msg, "another index") != NULL);
		UT_EQ_INT(t, ivf_open(path, 5, &ix, &err), 0);
		memset(&so, 0, sizeof so);
		so.k = k;
		so.threads = 2;
		so.blas = b;
		/* exact: brute force */
		ivf_hits_init(h1, nq, k);
		ivf_exact_merge(xn, n, d, m, 0, q, nq, &so, h1);
		for (mi = 0; mi < 3; mi++) {
			so.mode = modes[mi];
			so.nprobe = 32;
			UT_EQ_INT(t, ivf_search(ix, q, nq, &so, h2, NULL, &err),
			    0);
			/* nprobe = nlist: the same bits as brute force */
			UT_ASSERT(t, memcmp(h1, h2, nq * (size_t)k *
			    sizeof *h1) == 0);
		}
		/* reference ranking in double precision */
		agree = 0;
		for (i = 0; i < nq; i++) {
			float qq[24];

			memcpy(qq, q + i * (size_t)d, sizeof qq);
			ivf_normalize(m, qq, d, &err);
			ref_topk(xn, n, d, qq, k, m != IVF_L2, ref);
			for (j = 0; j < k; j++)
				agree += ref[j] == h1[i * (size_t)k +
				    (size_t)j].id;
		}
		UT_ASSERT(t, agree >= (int)(nq * (size_t)k) * 98 / 100);
		/* recall at a moderate nprobe */
		so.mode = IVF_MODE_SQ8;
		so.nprobe = 4;
		UT_EQ_INT(t, ivf_search(ix, q, nq, &so, h2, NULL, &err), 0);
		hits = 0;
		for (i = 0; i < nq * (size_t)k; i++)
			for (j = 0; j < k; j++)
				if (h2[i].id == h1[i / (size_t)k * (size_t)k +
				    (size_t)j].id)
					hits++;
		UT_ASSERT(t, (double)hits / (double)(nq * (size_t)k) >= 0.9);
		ivf_free(ix);
		free(xn);
	}
	free(h1);
	free(h2);
	free(x);
	free(q);
	free(path);
	blas_close(b);
}

static void
test_ivf_filter(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_search_opts so;
	struct ivf_index *ix;
	struct ivf_hit h1[10], h2[10];
	struct blas *b;
	uint64_t bits[32];
	float *x;
	size_t n = 2000, i;
	int d = 8, j;
	char *path;

	if (blas_open(&b, &err) == -1) {
		/* a required dependency: index build cannot run without it */
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, 10, 4);
	memset(bits, 0, sizeof bits);
	for (i = 0; i < n; i += 7)
		bits[i >> 6] |= 1ULL << (i & 63);
	path = xasprintf("%s/f.idx", t->tmpdir);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 16;
	bo.iters = 5;
	bo.threads = 1;
	bo.blas = b;
	UT_EQ_INT(t, ivf_build(x, n, d, IVF_L2, &bo, path, &bs, &err), 0);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	memset(&so, 0, sizeof so);
	so.k = 10;
	so.nprobe = 16;
	so.threads = 1;
	so.filter = bits;
	so.filter_bits = n;
	UT_EQ_INT(t, ivf_search(ix, x + 5 * d, 1, &so, h1, NULL, &err), 0);
	ivf_hits_init(h2, 1, 10);
	ivf_exact_merge(x, n, d, IVF_L2, 0, x + 5 * d, 1, &so, h2);
	for (j = 0; j < 10; j++) {
		UT_ASSERT(t, h1[j].id >= 0 && h1[j].id % 7 == 0);
		UT_EQ_INT(t, h1[j].id, h2[j].id);
	}
	ivf_free(ix);
	free(path);
	free(x);
	blas_close(b);
}

/*
 * A sample smaller than the set: the sample's vectors keep their training
 * assignment, the others are assigned in the add phase; every vector must
 * sit in its nearest centroid's list (found by itself at nprobe 1).
 */
static void
test_ivf_sample_lists(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_search_opts so;
	struct ivf_index *ix;
	struct ivf_hit *h;
	struct blas *b;
	float *x;
	size_t n = 3000, i, miss = 0;
	int d = 8;
	char *path;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, 12, 8);
	path = xasprintf("%s/s.idx", t->tmpdir);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 16;
	bo.iters = 6;
	bo.threads = 2;
	bo.sample = 700;
	bo.blas = b;
	UT_EQ_INT(t, ivf_build(x, n, d, IVF_L2, &bo, path, &bs, &err), 0);
	UT_EQ_INT(t, (int)bs.sample, 700);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	memset(&so, 0, sizeof so);
	so.k = 1;
	so.nprobe = 1;
	so.threads = 1;
	h = xcalloc(n, sizeof *h);
	UT_EQ_INT(t, ivf_search(ix, x, n, &so, h, NULL, &err), 0);
	for (i = 0; i < n; i++)
		if (h[i].id != (int64_t)i)
			miss++;
	UT_EQ_INT(t, (int)miss, 0);
	free(h);
	ivf_free(ix);
	free(path);
	free(x);
	blas_close(b);
}

static void
test_ivf_corrupt(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	cJSON *j;
	float *x;
	char *path;
	int fd;
	unsigned char byte;
	uint32_t ver = 99;
	off_t size;

	if (blas_open(&b, &err) == -1) {
		/* a required dependency: index build cannot run without it */
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(500, 8, 4, 1);
	path = xasprintf("%s/c.idx", t->tmpdir);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 4;
	bo.iters = 3;
	bo.threads = 1;
	bo.blas = b;
	UT_EQ_INT(t, ivf_build(x, 500, 8, IVF_L2, &bo, path, &bs, &err), 0);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	UT_EQ_INT(t, ivf_stats(ix, 1, &j, &err), 0);
	cJSON_Delete(j);
	ivf_free(ix);
	fd = open(path, O_RDWR);
	size = lseek(fd, 0, SEEK_END);
	/* a flipped byte in the vectors: found by the verified stats */
	UT_EQ_INT(t, pread(fd, &byte, 1, size - 4096 - 600), 1);
	byte ^= 0x40;
	UT_EQ_INT(t, pwrite(fd, &byte, 1, size - 4096 - 600), 1);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	UT_EQ_INT(t, ivf_stats(ix, 1, &j, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "checksum mismatch in list") != NULL);
	ivf_free(ix);
	/* another version */
	UT_EQ_INT(t, pwrite(fd, &ver, 4, 8), 4);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "format version 99") != NULL);
	/* header corruption */
	ver = 1;
	UT_EQ_INT(t, pwrite(fd, &ver, 4, 8), 4);
	UT_EQ_INT(t, pwrite(fd, &ver, 4, 16), 4);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "header checksum") != NULL);
	/* truncation */
	UT_EQ_INT(t, ftruncate(fd, 100), 0);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "truncated") != NULL);
	UT_EQ_INT(t, ftruncate(fd, 0), 0);
	UT_EQ_INT(t, pwrite(fd, "hello world, not an index file", 30, 0), 30);
	UT_EQ_INT(t, ftruncate(fd, 8192), 0);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "not an esctl index file") != NULL);
	close(fd);
	free(path);
	free(x);
	blas_close(b);
}

/*
 * The metadata checksum is checked once per file identity: a search
 * after a change to the file (in place, same size, even with its mtime
 * put back) checks it again and refuses a corrupted metadata block.
 */
static void
test_ivf_verified_once(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	struct stat sb;
	struct timespec ts[2], pause = { 0, 20 * 1000 * 1000 };
	float *x;
	char *path, *vpath;
	unsigned char byte;
	int fd, i;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(500, 8, 4, 3);
	path = xasprintf("%s/v.idx", t->tmpdir);
	vpath = xasprintf("%s" IVF_VERIFIED_SUFFIX, path);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 4;
	bo.iters = 3;
	bo.threads = 1;
	bo.blas = b;
	UT_EQ_INT(t, ivf_build(x, 500, 8, IVF_L2, &bo, path, &bs, &err), 0);
	/* without the flag nothing is recorded */
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	ivf_free(ix);
	UT_ASSERT(t, access(vpath, F_OK) == -1);
	/* recorded once the file's last change is two seconds old */
	for (i = 0; i < 500 && access(vpath, F_OK) == -1; i++) {
		UT_EQ_INT(t, ivf_open_flags(path, 0, IVF_OPEN_VERIFIED_ONCE,
		    &ix, &err), 0);
		ivf_free(ix);
		if (access(vpath, F_OK) == -1)
			nanosleep(&pause, NULL);
	}
	UT_ASSERT(t, access(vpath, F_OK) == 0);
	UT_EQ_INT(t, ivf_open_flags(path, 0, IVF_OPEN_VERIFIED_ONCE, &ix,
	    &err), 0);
	ivf_free(ix);
	/* a flipped bit in the centroids, the mtime put back as it was */
	UT_EQ_INT(t, stat(path, &sb), 0);
	fd = open(path, O_RDWR);
	UT_ASSERT(t, fd != -1);
	UT_EQ_INT(t, pread(fd, &byte, 1, 4096 + 5), 1);
	byte ^= 0x10;
	UT_EQ_INT(t, pwrite(fd, &byte, 1, 4096 + 5), 1);
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	UT_EQ_INT(t, futimens(fd, ts), 0);
	UT_EQ_INT(t, ivf_open_flags(path, 0, IVF_OPEN_VERIFIED_ONCE, &ix,
	    &err), -1);
	UT_ASSERT(t, strstr(err.msg, "metadata checksum mismatch") != NULL);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "metadata checksum mismatch") != NULL);
	/* repaired: opens again */
	byte ^= 0x10;
	UT_EQ_INT(t, pwrite(fd, &byte, 1, 4096 + 5), 1);
	close(fd);
	UT_EQ_INT(t, ivf_open_flags(path, 0, IVF_OPEN_VERIFIED_ONCE, &ix,
	    &err), 0);
	ivf_free(ix);
	/* a damaged record is only a miss */
	fd = open(vpath, O_WRONLY | O_TRUNC);
	UT_ASSERT(t, fd != -1);
	UT_EQ_INT(t, write(fd, "esctl-ivf-verified 1 0\n", 23), 23);
	close(fd);
	UT_EQ_INT(t, ivf_open_flags(path, 0, IVF_OPEN_VERIFIED_ONCE, &ix,
	    &err), 0);
	ivf_free(ix);
	/* a rebuild drops the record of the file it replaces */
	UT_EQ_INT(t, access(vpath, F_OK), 0);
	UT_EQ_INT(t, ivf_build(x, 500, 8, IVF_L2, &bo, path, &bs, &err), 0);
	UT_ASSERT(t, access(vpath, F_OK) == -1);
	free(vpath);
	free(path);
	free(x);
	blas_close(b);
}

static void
test_xxh64(struct unit_t *t)
{
	/* reference values of XXH64 */
	UT_ASSERT(t, ivf_xxh64("", 0, 0) == 0xef46db3751d8e999ULL);
	UT_ASSERT(t, ivf_xxh64("a", 1, 0) == 0xd24ec4f1a98c6e5bULL);
	UT_ASSERT(t, ivf_xxh64("abc", 3, 0) == 0x44bc2cf5ad770999ULL);
}

/* gemm against sq8, bit for bit, at nprobe 1 and 3 with 1-3 threads */
static void
gemm_batch_check(struct unit_t *t, struct ivf_index *ix, struct blas *b,
    const float *q, size_t nq, int k, const uint64_t *filt, size_t nbits)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_search_opts so;
	struct ivf_search_stats st;
	struct ivf_hit *h1, *h2;
	int np, th, ph;

	h1 = xcalloc(nq * (size_t)k, sizeof *h1);
	h2 = xcalloc(nq * (size_t)k, sizeof *h2);
	memset(&so, 0, sizeof so);
	so.k = k;
	so.blas = b;
	so.filter = filt;
	so.filter_bits = nbits;
	for (np = 1; np <= 3; np += 2) {
		so.nprobe = np;
		so.mode = IVF_MODE_SQ8;
		so.threads = 1;
		UT_EQ_INT(t, ivf_search(ix, q, nq, &so, h1, NULL, &err), 0);
		for (th = 1; th <= 3; th++) {
			so.mode = IVF_MODE_GEMM;
			so.threads = th;
			memset(h2, 0, nq * (size_t)k * sizeof *h2);
			UT_EQ_INT(t, ivf_search(ix, q, nq, &so, h2, &st, &err),
			    0);
			UT_ASSERT(t, memcmp(h1, h2, nq * (size_t)k *
			    sizeof *h1) == 0);
			/* thread CPU per phase: one thread's within the sum */
			for (ph = 0; ph < 3; ph++) {
				UT_ASSERT(t, st.cpu_max[ph] >= 0);
				UT_ASSERT(t, st.cpu_max[ph] <= st.cpu_sum[ph]);
			}
			UT_ASSERT(t, st.cpu_sum[0] > 0);
		}
	}
	free(h1);
	free(h2);
}

/*
 * The batch path over several blocks of its coarse sgemm and with 1-3
 * threads returns the bits of one query at a time (sq8), at the small
 * nprobe where the probed lists and the k-th candidate decide: l2 and
 * dot, with and without a filter (which turns off the pruning by the
 * block's k-th approximate distance), k 10 and k 1, and data where the
 * sgemm's rounding exceeds the gaps between neighbours.
 */
static void
test_ivf_gemm_batch(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	float *x, *q;
	/* more queries than two blocks of the coarse step (1,024 each) */
	size_t n = 3000, nq = 2500, i;
	uint64_t filt[(3000 + 63) / 64];
	int d = 16, mi;
	char *path;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	x = gen_clustered(n, d, 30, 21);
	q = gen_clustered(nq, d, 30, 22);
	path = xasprintf("%s/g.idx", t->tmpdir);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 64;
	bo.iters = 5;
	bo.seed = 4;
	bo.threads = 2;
	bo.blas = b;
	bo.index_uid = 7;
	/* every third id passes the filter */
	memset(filt, 0, sizeof filt);
	for (i = 0; i < n; i += 3)
		filt[i >> 6] |= (uint64_t)1 << (i & 63);
	for (mi = 0; mi < 3; mi++) {
		/*
		 * the third: far from the origin, so that the sgemm's
		 * rounding is larger than the gaps between neighbours and
		 * only the margins keep the results exact
		 */
		if (mi == 2) {
			for (i = 0; i < n * (size_t)d; i++)
				x[i] = x[i] / 64 + 1000;
			for (i = 0; i < nq * (size_t)d; i++)
				q[i] = q[i] / 64 + 1000;
		}
		unlink(path);
		UT_EQ_INT(t, ivf_build(x, n, d, mi == 1 ? IVF_DOT : IVF_L2,
		    &bo, path, &bs, &err), 0);
		UT_EQ_INT(t, ivf_open(path, 7, &ix, &err), 0);
		gemm_batch_check(t, ix, b, q, nq, 10, NULL, 0);
		gemm_batch_check(t, ix, b, q, nq, 10, filt, n);
		gemm_batch_check(t, ix, b, q, nq, 1, NULL, 0);
		ivf_free(ix);
	}
	/*
	 * Four long lists (~750 vectors) probed by ~1,250-1,900 queries
	 * each: several blocks of queries (of even sizes) and several
	 * blocks of vectors per list, the last ones shorter; l2, dot and
	 * cosine, with a filter.  Then a short one: 300 vectors in 64
	 * lists, k 10 larger than most lists.
	 */
	bo.nlist = 4;
	for (mi = 0; mi < 3; mi++) {
		unlink(path);
		UT_EQ_INT(t, ivf_build(x, n, d, mi == 0 ? IVF_L2 : mi == 1 ?
		    IVF_DOT : IVF_COSINE, &bo, path, &bs, &err), 0);
		UT_EQ_INT(t, ivf_open(path, 7, &ix, &err), 0);
		gemm_batch_check(t, ix, b, q, nq, 10, NULL, 0);
		gemm_batch_check(t, ix, b, q, nq, 7, filt, n);
		ivf_free(ix);
	}
	bo.nlist = 64;
	unlink(path);
	UT_EQ_INT(t, ivf_build(x, 300, d, IVF_L2, &bo, path, &bs, &err), 0);
	UT_EQ_INT(t, ivf_open(path, 7, &ix, &err), 0);
	gemm_batch_check(t, ix, b, q, nq, 10, NULL, 0);
	gemm_batch_check(t, ix, b, q, nq, 10, filt, 300);
	ivf_free(ix);
	free(x);
	free(q);
	free(path);
	blas_close(b);
}

/*
 * The batch coarse step with a coarse projection (ivf_gemm_coarse_proj)
 * probes exactly the lists of the full sgemm: nq x nprobe probed lists
 * compared, and the hits.  Returns the exact centroid distances per
 * query.
 */
static double
proj_check(struct unit_t *t, struct ivf_index *ix, struct blas *b,
    const float *q, size_t nq, int nprobe)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_search_opts o;
	struct ivf_search_stats st;
	struct ivf_hit *h0, *h1;
	int *p0, *p1, k = 5, j;
	size_t i, dp = 0, dh = 0;

	h0 = xreallocarray(NULL, nq * (size_t)k, sizeof *h0);
	h1 = xreallocarray(NULL, nq * (size_t)k, sizeof *h1);
	p0 = xreallocarray(NULL, nq * (size_t)nprobe, sizeof *p0);
	p1 = xreallocarray(NULL, nq * (size_t)nprobe, sizeof *p1);
	memset(&o, 0, sizeof o);
	o.k = k;
	o.nprobe = nprobe;
	o.threads = 1;
	o.mode = IVF_MODE_GEMM;
	o.blas = b;
	o.coarse_full = 1;
	o.probes = p0;
	UT_EQ_INT(t, ivf_search(ix, q, nq, &o, h0, &st, &err), 0);
	o.coarse_full = 0;
	o.probes = p1;
	o.threads = 2;
	UT_EQ_INT(t, ivf_search(ix, q, nq, &o, h1, &st, &err), 0);
	for (i = 0; i < nq; i++) {
		if (memcmp(p0 + i * (size_t)nprobe, p1 + i * (size_t)nprobe,
		    (size_t)nprobe * sizeof *p0) != 0)
			dp++;
		for (j = 0; j < k; j++)
			if (h0[i * (size_t)k + (size_t)j].id != h1[i *
			    (size_t)k + (size_t)j].id || h0[i * (size_t)k +
			    (size_t)j].dist != h1[i * (size_t)k +
			    (size_t)j].dist) {
				dh++;
				break;
			}
	}
	UT_EQ_INT(t, (long long)dp, 0);
	UT_EQ_INT(t, (long long)dh, 0);
	free(h0);
	free(h1);
	free(p0);
	free(p1);
	return (double)st.coarse_exact / (double)nq;
}

static void
test_ivf_coarse_proj(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	struct kmeans_rng r;
	float *x, *q;
	size_t n = 3000, nq = 1500, i;
	int d = 48, set, np, m;
	double ex;
	char *path;
	static const int ms[] = { 1, 8, 48 };
	static const int nps[] = { 1, 3, 8 };

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	path = xasprintf("%s/p.idx", t->tmpdir);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 64;
	bo.iters = 4;
	bo.seed = 9;
	bo.threads = 2;
	bo.blas = b;
	bo.index_uid = 3;
	for (set = 0; set < 5; set++) {
		x = gen_clustered(n, d, 40, 31);
		q = gen_clustered(nq, d, 40, 32);
		if (set == 1) {
			/* far from the origin: rounding above the gaps */
			for (i = 0; i < n * (size_t)d; i++)
				x[i] = x[i] / 64 + 1000;
			for (i = 0; i < nq * (size_t)d; i++)
				q[i] = q[i] / 64 + 1000;
		} else if (set == 2) {
			/*
			 * integer points of a small grid: equal distances
			 * (ties broken by list number), duplicate points and
			 * centroids
			 */
			kmeans_rng_seed(&r, 5);
			for (i = 0; i < n * (size_t)d; i++)
				x[i] = (float)kmeans_rng_below(&r, i % 7 == 0 ?
				    3 : 2);
			for (i = 0; i < nq * (size_t)d; i++)
				q[i] = x[(i * 7919) % (n * (size_t)d)];
		} else if (set == 4) {
			/*
			 * queries far from every centroid: all distances
			 * within the rounding of each other, so only the
			 * bound's slack keeps the step exact
			 */
			for (i = 0; i < nq * (size_t)d; i++)
				q[i] = q[i] / 8 + (i % 2 ? 300 : -300);
		}
		unlink(path);
		/* the stored projection: 8 rows (the last set: none) */
		bo.proj_dim = set == 3 ? 0 : 8;
		/* the coarse step ranks by L2 whatever the metric */
		UT_EQ_INT(t, ivf_build(x, n, d, set == 1 ? IVF_DOT : set == 3 ?
		    IVF_COSINE : IVF_L2, &bo, path, &bs, &err), 0);
		UT_EQ_INT(t, bs.proj_dim, set == 3 ? 0 : 8);
		UT_EQ_INT(t, ivf_open(path, 3, &ix, &err), 0);
		UT_EQ_INT(t, ivf_proj_dim(ix), set == 3 ? 0 : 8);
		/* a file without one searches on the full sgemm */
		for (np = 0; np < 3; np++)
			(void)proj_check(t, ix, b, q, nq, nps[np]);
		for (m = 0; m < 3; m++) {
			UT_EQ_INT(t, ivf_proj_attach(ix, b, ms[m], &err), 0);
			UT_EQ_INT(t, ivf_proj_dim(ix), ms[m]);
			for (np = 0; np < 3; np++) {
				ex = proj_check(t, ix, b, q, nq, nps[np]);
				/*
				 * with every axis the bound is the distance
				 * up to rounding: few exact ones (clustered
				 * sets; the grid ties)
				 */
				if (ms[m] == d && set != 2 && set != 4)
					UT_ASSERT(t, ex < 2 * nps[np] + 8);
			}
		}
		UT_EQ_INT(t, ivf_proj_attach(ix, b, d + 1, &err), -1);
		UT_EQ_INT(t, ivf_proj_attach(ix, b, 0, &err), -1);
		ivf_free(ix);
		free(x);
		free(q);
	}
	free(path);
	blas_close(b);
}

/*
 * The coarse projection's header extension: ignored when of a later
 * version (the file is read as one without it), refused when its
 * checksum does not match; rows > d are stored as d.
 */
static void
test_ivf_proj_format(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	float *x;
	size_t n = 400;
	uint32_t v;
	char *path;
	int fd;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	path = xasprintf("%s/f.idx", t->tmpdir);
	x = gen_clustered(n, 6, 5, 41);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 8;
	bo.iters = 3;
	bo.seed = 2;
	bo.threads = 1;
	bo.blas = b;
	bo.proj_dim = 9;
	UT_EQ_INT(t, ivf_build(x, n, 6, IVF_L2, &bo, path, &bs, &err), 0);
	UT_EQ_INT(t, bs.proj_dim, 6);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	UT_EQ_INT(t, ivf_proj_dim(ix), 6);
	ivf_free(ix);
	/* header bytes 192..: ext_version, proj_m (after sum_header) */
	fd = open(path, O_RDWR);
	UT_ASSERT(t, fd != -1);
	v = 5;
	UT_EQ_INT(t, pwrite(fd, &v, 4, 196), 4);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "coarse projection") != NULL);
	v = 6;
	UT_EQ_INT(t, pwrite(fd, &v, 4, 196), 4);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	ivf_free(ix);
	v = 2;
	UT_EQ_INT(t, pwrite(fd, &v, 4, 192), 4);
	UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
	UT_EQ_INT(t, ivf_proj_dim(ix), 0);
	ivf_free(ix);
	close(fd);
	free(x);
	free(path);
	blas_close(b);
}

/* A whole file in memory (NULL on error). */
static unsigned char *
slurp(const char *path, size_t *n)
{
	unsigned char *p;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	*n = (size_t)st.st_size;
	p = xmalloc(*n + 1);
	if (read(fd, p, *n) != (ssize_t)*n) {
		free(p);
		p = NULL;
	}
	close(fd);
	return p;
}

/*
 * index build's own choice (proj_dim 0): a coarse projection on data
 * whose spectrum decays fast (it pays), none on isotropic data (its
 * bound would leave most centroids to compute exactly) nor below
 * IVF_PROJ_MIN_NLIST lists; the stored one probes the full sgemm's
 * lists.
 */
static void
test_ivf_proj_auto(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct ivf_index *ix;
	struct blas *b;
	struct kmeans_rng r;
	float *x, *cen;
	size_t n = 6000, i, na, na1;
	unsigned char *a, *a1;
	int d = 2 * IVF_PROJ_MIN_DIM, j, c, steep;
	char *path;

	if (blas_open(&b, &err) == -1) {
		unit_fail(t, __FILE__, __LINE__, "%s", err.msg);
		return;
	}
	path = xasprintf("%s/a.idx", t->tmpdir);
	x = xreallocarray(NULL, n * (size_t)d, sizeof *x);
	cen = xreallocarray(NULL, 100 * (size_t)d, sizeof *cen);
	memset(&bo, 0, sizeof bo);
	bo.nlist = 2 * IVF_PROJ_MIN_NLIST;
	bo.iters = 3;
	bo.seed = 5;
	bo.threads = 2;
	bo.blas = b;
	for (steep = 0; steep < 2; steep++) {
		kmeans_rng_seed(&r, 77);
		/* component j scaled by (j + 1)^-1 (steep) or 1 */
		for (c = 0; c < 100; c++)
			for (j = 0; j < d; j++)
				cen[c * d + j] = (float)(kmeans_rng_gauss(&r) *
				    2 / (steep ? j + 1 : 1));
		for (i = 0; i < n; i++) {
			c = (int)kmeans_rng_below(&r, 100);
			for (j = 0; j < d; j++)
				x[i * (size_t)d + (size_t)j] = cen[c * d + j] +
				    (float)(kmeans_rng_gauss(&r) /
				    (steep ? j + 1 : 1));
		}
		unlink(path);
		UT_EQ_INT(t, ivf_build(x, n, d, IVF_L2, &bo, path, &bs, &err),
		    0);
		UT_EQ_INT(t, bs.proj_dim, steep ? IVF_PROJ_DIM : 0);
		if (steep) {
			/* the same file body with one thread */
			a = slurp(path, &na);
			unlink(path);
			bo.threads = 1;
			UT_EQ_INT(t, ivf_build(x, n, d, IVF_L2, &bo, path, &bs,
			    &err), 0);
			bo.threads = 2;
			a1 = slurp(path, &na1);
			UT_ASSERT(t, a != NULL && a1 != NULL && na == na1 &&
			    na > 4096 && memcmp(a + 4096, a1 + 4096, na -
			    4096) == 0);
			free(a);
			free(a1);
		}
		UT_EQ_INT(t, ivf_open(path, 0, &ix, &err), 0);
		UT_EQ_INT(t, ivf_proj_dim(ix), steep ? IVF_PROJ_DIM : 0);
		(void)proj_check(t, ix, b, x + 7 * (size_t)d, 500, 8);
		ivf_free(ix);
		/* fewer lists: never */
		unlink(path);
		bo.nlist = IVF_PROJ_MIN_NLIST - 1;
		UT_EQ_INT(t, ivf_build(x, n, d, IVF_L2, &bo, path, &bs, &err),
		    0);
		UT_EQ_INT(t, bs.proj_dim, 0);
		bo.nlist = 2 * IVF_PROJ_MIN_NLIST;
	}
	free(x);
	free(cen);
	free(path);
	blas_close(b);
}

const struct unit_test unit_ivf_tests[] = {
	{ "vecio_formats", test_vecio_formats },
	{ "vecio_parse_list", test_vecio_parse_list },
	{ "vecio_errors", test_vecio_errors },
	{ "vecio_fuzz", test_vecio_fuzz },
	{ "vecio_corpus", test_vecio_corpus },
	{ "kernels_agree_avx2", test_kernels_agree_avx2 },
	{ "kernels_agree_avx512", test_kernels_agree_avx512 },
	{ "kmeans", test_kmeans },
	{ "kmeans_yinyang", test_kmeans_yinyang },
	{ "exact_and_recall", test_ivf_exact_and_recall },
	{ "sample_lists", test_ivf_sample_lists },
	{ "filter", test_ivf_filter },
	{ "gemm_batch", test_ivf_gemm_batch },
	{ "coarse_proj", test_ivf_coarse_proj },
	{ "proj_format", test_ivf_proj_format },
	{ "proj_auto", test_ivf_proj_auto },
	{ "corrupt", test_ivf_corrupt },
	{ "verified-once", test_ivf_verified_once },
	{ "xxh64", test_xxh64 },
	{ NULL, NULL }
};
