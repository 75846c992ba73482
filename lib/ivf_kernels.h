/*
 * ivf_kernels.h - distance kernels of the vector index, chosen at run time
 * for the widest SIMD the CPU has (AVX-512, AVX2+FMA, or portable C).
 *
 * Internal to lib/ (ivf.c and kmeans.c).  Every kernel processes rows of
 * a row-major matrix; within one process a given (query, row) pair always
 * gives the same bits, whichever kernel entry point or row blocking
 * computed it, so exact search and the IVF scan agree to the last bit.
 * Smaller is better everywhere: dot products come back negated.
 */
#ifndef ESCTL_IVF_KERNELS_H
#define ESCTL_IVF_KERNELS_H

#include <stddef.h>
#include <stdint.h>

struct ivf_kern {
	const char	*name;		/* "avx512", "avx2", "generic" */
	/* out[i] = sum_j (q_j - x_ij)^2 for n rows of dimension d */
	void	(*l2_rows)(const float *q, const float *x, size_t n,
		    size_t d, float *out);
	/* out[i] = -sum_j q_j x_ij */
	void	(*ndot_rows)(const float *q, const float *x, size_t n,
		    size_t d, float *out);
	/*
	 * The same two for the rows rows[0..n) of x (row i at x + rows[i]
	 * * d), with the same bits as l2_rows / ndot_rows give each row.
	 */
	void	(*l2_gather)(const float *q, const float *x,
		    const uint32_t *rows, size_t n, size_t d, float *out);
	void	(*ndot_gather)(const float *q, const float *x,
		    const uint32_t *rows, size_t n, size_t d, float *out);
	/*
	 * Scalar-quantized rows (one byte per component): out[i] =
	 * sum_j w_j (qs_j - c_ij)^2.
	 */
	void	(*sq8_l2_rows)(const float *qs, const float *w,
		    const uint8_t *c, size_t n, size_t d, float *out);
	/* out[i] = -sum_j qw_j c_ij */
	void	(*sq8_ndot_rows)(const float *qw, const uint8_t *c,
		    size_t n, size_t d, float *out);
	/*
	 * Smallest and second smallest of v_c = row[c] + add[c] over k
	 * values; *i1 the index of the smallest (the lowest on ties).
	 */
	void	(*argmin2)(const float *row, const float *add, size_t k,
		    float *b1, int *i1, float *b2);
	/*
	 * The indices i < n, in order, whose row[i] + add[i] is not above
	 * lim (NaN included: !(v > lim)) into out; returns how many.
	 */
	size_t	(*below)(const float *row, const float *add, size_t n,
		    float lim, uint32_t *out);
};

extern const struct ivf_kern ivf_kern_generic;
extern const struct ivf_kern ivf_kern_avx2;
extern const struct ivf_kern ivf_kern_avx512;

/*
 * The kernels for this CPU.  ESCTL_SIMD=generic|avx2|avx512 forces a
 * set (when the CPU has it), for tests and benchmarks.
 */
const struct ivf_kern *ivf_kern_select(void);
/* 1 when k was built in and this CPU can run it */
int	ivf_kern_usable(const struct ivf_kern *k);

#endif
