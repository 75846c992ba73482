/*
 * coarse-proj.c - the batch coarse step with a coarse projection of M
 * rows against the full sgemm, on an existing index file: per M, the
 * coarse step's thread CPU, its exact centroid distances per query, and
 * the queries whose probed lists (or top 10) differ from the full
 * sgemm's.  The projection is computed in memory (ivf_proj_attach); the
 * file is opened read-only.  Two rounds, full sgemm first in each.
 *
 *	make && cc -O2 -Ilib -I/usr/include/cjson \
 *	    -o coarse-proj scripts/bench/coarse-proj.c build/libesctl.a \
 *	    -lcjson -lxxhash -lm -ldl -lpthread
 *	./coarse-proj IDX QUERIES.fvecs NPROBE 32,64,128 [NQ]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "ivf.h"

static float *
read_fvecs(const char *path, int d, size_t *n)
{
	FILE *f;
	float *x;
	long sz;
	size_t i, nn;
	int dd;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	nn = (size_t)sz / (4 + 4 * (size_t)d);
	x = malloc(nn * (size_t)d * sizeof *x + 1);
	for (i = 0; x != NULL && i < nn; i++)
		if (fread(&dd, 4, 1, f) != 1 || dd != d ||
		    fread(x + i * (size_t)d, 4, (size_t)d, f) != (size_t)d) {
			free(x);
			x = NULL;
		}
	fclose(f);
	*n = nn;
	return x;
}

int
main(int argc, char **argv)
{
	struct es_err err = ES_ERR_INIT;
	struct ivf_search_opts o;
	struct ivf_search_stats st;
	struct ivf_index *ix;
	struct ivf_hit *h0, *h1;
	struct blas *b;
	size_t nq, i, j, dp, dh;
	float *q;
	char *ms, *tok, *save;
	int d, np, k = 10, *p0, *p1, rep, m;

	if (argc < 5) {
		fprintf(stderr, "usage: coarse-proj IDX QUERIES NPROBE "
		    "M[,M...] [NQ]\n");
		return 2;
	}
	if (ivf_open(argv[1], 0, &ix, &err) == -1 ||
	    blas_open(&b, &err) == -1) {
		fprintf(stderr, "coarse-proj: %s\n", err.msg);
		return 1;
	}
	d = ivf_dim(ix);
	np = (int)strtol(argv[3], NULL, 10);
	if ((q = read_fvecs(argv[2], d, &nq)) == NULL || np < 1 ||
	    np > ivf_nlist(ix)) {
		fprintf(stderr, "coarse-proj: bad queries or nprobe\n");
		return 1;
	}
	if (argc > 5 && strtoul(argv[5], NULL, 10) > 0 &&
	    strtoul(argv[5], NULL, 10) < nq)
		nq = strtoul(argv[5], NULL, 10);
	h0 = calloc(nq * (size_t)k, sizeof *h0);
	h1 = calloc(nq * (size_t)k, sizeof *h1);
	p0 = calloc(nq * (size_t)np, sizeof *p0);
	p1 = calloc(nq * (size_t)np, sizeof *p1);
	memset(&o, 0, sizeof o);
	o.k = k;
	o.nprobe = np;
	o.threads = 1;
	o.mode = IVF_MODE_GEMM;
	o.blas = b;
	ivf_warm(ix);
	printf("%zu queries, d %d, nprobe %d\n", nq, d, np);
	for (rep = 0; rep < 2; rep++) {
		o.coarse_full = 1;
		o.probes = p0;
		if (ivf_search(ix, q, nq, &o, h0, &st, &err) == -1)
			return 1;
		printf("full sgemm: coarse %.1f ms thread CPU (%.1f us/query),"
		    " exact %.2f/query\n", st.cpu_sum[0] * 1e3,
		    st.cpu_sum[0] * 1e6 / (double)nq,
		    (double)st.coarse_exact / (double)nq);
		ms = strdup(argv[4]);
		for (tok = strtok_r(ms, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			m = (int)strtol(tok, NULL, 10);
			if (ivf_proj_attach(ix, b, m, &err) == -1) {
				fprintf(stderr, "coarse-proj: %s\n", err.msg);
				return 1;
			}
			o.coarse_full = 0;
			o.probes = p1;
			if (ivf_search(ix, q, nq, &o, h1, &st, &err) == -1)
				return 1;
			dp = dh = 0;
			for (i = 0; i < nq; i++) {
				if (memcmp(p0 + i * (size_t)np, p1 + i *
				    (size_t)np, (size_t)np * sizeof *p0) != 0)
					dp++;
				for (j = i * k; j < (i + 1) * k; j++)
					if (h0[j].id != h1[j].id ||
					    h0[j].dist != h1[j].dist) {
						dh++;
						break;
					}
			}
			printf("m %d: coarse %.1f ms (%.1f us/query), exact "
			    "%.2f/query; other probed lists %zu, other top "
			    "%d %zu\n", m, st.cpu_sum[0] * 1e3,
			    st.cpu_sum[0] * 1e6 / (double)nq,
			    (double)st.coarse_exact / (double)nq, dp, k, dh);
		}
		free(ms);
	}
	ivf_free(ix);
	blas_close(b);
	free(q);
	free(h0);
	free(h1);
	free(p0);
	free(p1);
	return 0;
}
