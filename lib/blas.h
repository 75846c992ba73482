/*
 * blas.h - BLAS and LAPACKE, loaded on first use.
 *
 * The optimised BLAS (OpenBLAS) and LAPACKE are shared libraries that
 * cost milliseconds to load and initialise, which would dominate a single
 * query answered from the shell.  They are therefore opened with dlopen
 * only by the code paths that need them (k-means, batch search, PCA), and
 * reached through this handle.
 *
 *	struct blas *b;
 *	if (blas_open(&b, err) == -1) ...
 *	blas_sgemm_nt(b, m, n, k, 1, A, k, B, k, 0, C, n);
 *	blas_close(b);
 *
 * On a CPU with AVX-512 that the installed OpenBLAS does not recognise,
 * blas_open selects OpenBLAS's AVX-512 (SkylakeX) kernels unless
 * OPENBLAS_CORETYPE is already set in the environment.
 */
#ifndef ESCTL_BLAS_H
#define ESCTL_BLAS_H

#include "err.h"

struct blas;

/* Loads the libraries (once per process; cheap afterwards). */
int		 blas_open(struct blas **out, struct es_err *err);
/* NULL-safe.  The libraries stay loaded. */
void		 blas_close(struct blas *);
/* "OpenBLAS 0.3.21 (SkylakeX)" or similar.  Borrowed. */
const char	*blas_name(const struct blas *);
/* Threads BLAS may use inside one call (1 inside our own threads). */
void		 blas_set_threads(const struct blas *, int n);
int		 blas_get_threads(const struct blas *);

/*
 * Row-major C[m x n] = alpha * A[m x k] * B[n x k]^T + beta * C, with
 * leading dimensions lda, ldb, ldc.
 */
void		 blas_sgemm_nt(const struct blas *, int m, int n, int k,
		    float alpha, const float *a, int lda, const float *b,
		    int ldb, float beta, float *c, int ldc);
/* Row-major C[m x n] = alpha * A[k x m]^T * B[k x n] + beta * C. */
void		 blas_sgemm_tn(const struct blas *, int m, int n, int k,
		    float alpha, const float *a, int lda, const float *b,
		    int ldb, float beta, float *c, int ldc);
/*
 * Eigen-decomposition of the symmetric n x n row-major matrix a (upper
 * triangle used) with LAPACKE_ssyevd: eigenvalues ascending in w, the
 * eigenvectors overwrite a as columns.  ES_EFAIL when it does not
 * converge.
 */
int		 blas_ssyevd(const struct blas *, int n, float *a, float *w,
		    struct es_err *err);

#endif
