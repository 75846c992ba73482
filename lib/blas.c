/*
 * blas.c - BLAS and LAPACKE through dlopen.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "blas.h"

typedef void (*blas_sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE,
    enum CBLAS_TRANSPOSE, blasint, blasint, blasint, float, const float *,
    blasint, const float *, blasint, float, float *, blasint);
typedef lapack_int (*blas_ssyevd_fn)(int, char, char, lapack_int, float *,
    lapack_int, float *);
typedef void (*blas_setthreads_fn)(int);
typedef int (*blas_getthreads_fn)(void);
typedef char *(*blas_corename_fn)(void);
typedef char *(*blas_config_fn)(void);

struct blas {
	void			*h_blas;
	void			*h_lapacke;
	blas_sgemm_fn		 sgemm;
	blas_ssyevd_fn		 ssyevd;
	blas_setthreads_fn	 set_threads;
	blas_getthreads_fn	 get_threads;
	char			 name[128];
};

static void	*blas_sym(void *, const char *);

static void *
blas_sym(void *h, const char *name)
{
	void *p;

	if (h == NULL)
		return NULL;
	*(void **)(&p) = dlsym(h, name);
	return p;
}

int
blas_open(struct blas **out, struct es_err *err)
{
	static const char *blas_libs[] = { "libopenblas.so.0",
	    "libblas.so.3", NULL };
	struct blas *b;
	blas_corename_fn corename;
	blas_config_fn config;
	void *p;
	int i;

	*out = NULL;
	b = xcalloc(1, sizeof *b);
#if defined(__x86_64__) && defined(__GNUC__)
	/*
	 * OpenBLAS 0.3.21 does not know recent AVX-512 CPUs and falls back
	 * to its AVX2 kernels; its AVX-512 ones are correct there and
	 * faster.  An explicit OPENBLAS_CORETYPE always wins.
	 */
	__builtin_cpu_init();
	if (getenv("OPENBLAS_CORETYPE") == NULL &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
#endif
	for (i = 0; blas_libs[i] != NULL && b->h_blas == NULL; i++)
		b->h_blas = dlopen(blas_libs[i], RTLD_NOW | RTLD_LOCAL);
	if (b->h_blas == NULL) {
		free(b);
		return es_err_set(err, ES_EFAIL, "NoBLAS", "cannot load BLAS "
		    "(libopenblas.so.0): %s (Debian package: libopenblas0)",
		    dlerror());
	}
	b->h_lapacke = dlopen("liblapacke.so.3", RTLD_NOW | RTLD_LOCAL);
	p = blas_sym(b->h_blas, "cblas_sgemm");
	*(void **)(&b->sgemm) = p;
	p = blas_sym(b->h_lapacke, "LAPACKE_ssyevd");
	*(void **)(&b->ssyevd) = p;
	p = blas_sym(b->h_blas, "openblas_set_num_threads");
	*(void **)(&b->set_threads) = p;
	p = blas_sym(b->h_blas, "openblas_get_num_threads");
	*(void **)(&b->get_threads) = p;
	p = blas_sym(b->h_blas, "openblas_get_corename");
	*(void **)(&corename) = p;
	p = blas_sym(b->h_blas, "openblas_get_config");
	*(void **)(&config) = p;
	if (b->sgemm == NULL || b->ssyevd == NULL) {
		i = b->sgemm == NULL;
		free(b);
		return es_err_set(err, ES_EFAIL, "NoBLAS", "cannot load %s: "
		    "install libopenblas0 and liblapacke", i ? "cblas_sgemm" :
		    "LAPACKE_ssyevd");
	}
	if (config != NULL && corename != NULL)
		snprintf(b->name, sizeof b->name, "%s (%s)", config(),
		    corename());
	else
		snprintf(b->name, sizeof b->name, "BLAS");
	*out = b;
	return 0;
}

void
blas_close(struct blas *b)
{
	/* OpenBLAS keeps worker threads: never unload it. */
	free(b);
}

const char *
blas_name(const struct blas *b)
{
	return b->name;
}

void
blas_set_threads(const struct blas *b, int n)
{
	if (b->set_threads != NULL)
		b->set_threads(n < 1 ? 1 : n);
}

int
blas_get_threads(const struct blas *b)
{
	return b->get_threads != NULL ? b->get_threads() : 1;
}

void
blas_sgemm_nt(const struct blas *b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *bm, int ldb, float beta, float *c,
    int ldc)
{
	b->sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, alpha, a,
	    lda, bm, ldb, beta, c, ldc);
}

void
blas_sgemm_tn(const struct blas *b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *bm, int ldb, float beta, float *c,
    int ldc)
{
	b->sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, alpha, a,
	    lda, bm, ldb, beta, c, ldc);
}

int
blas_ssyevd(const struct blas *b, int n, float *a, float *w,
    struct es_err *err)
{
	lapack_int rc;

	rc = b->ssyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, a, n, w);
	if (rc != 0)
		return es_err_set(err, ES_EFAIL, "NoConvergence", "eigen-"
		    "decomposition failed (LAPACKE_ssyevd returned %d)",
		    (int)rc);
	return 0;
}
