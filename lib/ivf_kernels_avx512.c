/*
 * ivf_kernels_avx512.c - AVX-512 distance kernels (built with AVX-512
 * flags; used only when the CPU has AVX-512F/BW/VL/DQ).
 *
 * Rows are processed four at a time sharing the query loads; the last
 * rows of a block go through the same four-row code with repeated
 * pointers, so every row's arithmetic is identical wherever it sits.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ivf_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>

static void	k512_l2_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	k512_ndot_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	k512_l2_gather(const float *, const float *, const uint32_t *,
		    size_t, size_t, float *);
static void	k512_ndot_gather(const float *, const float *,
		    const uint32_t *, size_t, size_t, float *);
static void	k512_sq8_l2_rows(const float *, const float *,
		    const uint8_t *, size_t, size_t, float *);
static void	k512_sq8_ndot_rows(const float *, const uint8_t *, size_t,
		    size_t, float *);
static size_t	k512_below(const float *, const float *, size_t, float,
		    uint32_t *);
static void	k512_argmin2(const float *, const float *, size_t, float *,
		    int *, float *);

#define PF_BYTES	2048	/* prefetch distance */

static inline __mmask16
k512_mask(size_t left)
{
	return left >= 16 ? (__mmask16)0xffff :
	    (__mmask16)((1u << left) - 1);
}

/* Squared L2 of q against four rows (pointers may repeat). */
static inline void
k512_l2_4(const float *q, const float *x0, const float *x1, const float *x2,
    const float *x3, size_t d, float *o)
{
	__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	__m512 vq, t;
	__mmask16 m;
	size_t j;

	for (j = 0; j < d; j += 16) {
		m = k512_mask(d - j);
		vq = _mm512_maskz_loadu_ps(m, q + j);
		t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x0 + j), vq);
		a0 = _mm512_fmadd_ps(t, t, a0);
		t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x1 + j), vq);
		a1 = _mm512_fmadd_ps(t, t, a1);
		t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x2 + j), vq);
		a2 = _mm512_fmadd_ps(t, t, a2);
		t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x3 + j), vq);
		a3 = _mm512_fmadd_ps(t, t, a3);
	}
	o[0] = _mm512_reduce_add_ps(a0);
	o[1] = _mm512_reduce_add_ps(a1);
	o[2] = _mm512_reduce_add_ps(a2);
	o[3] = _mm512_reduce_add_ps(a3);
}

static inline void
k512_dot_4(const float *q, const float *x0, const float *x1, const float *x2,
    const float *x3, size_t d, float *o)
{
	__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	__m512 vq;
	__mmask16 m;
	size_t j;

	for (j = 0; j < d; j += 16) {
		m = k512_mask(d - j);
		vq = _mm512_maskz_loadu_ps(m, q + j);
		a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x0 + j), vq, a0);
		a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x1 + j), vq, a1);
		a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x2 + j), vq, a2);
		a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x3 + j), vq, a3);
	}
	o[0] = -_mm512_reduce_add_ps(a0);
	o[1] = -_mm512_reduce_add_ps(a1);
	o[2] = -_mm512_reduce_add_ps(a2);
	o[3] = -_mm512_reduce_add_ps(a3);
}

static void
k512_l2_rows(const float *q, const float *x, size_t n, size_t d, float *out)
{
	size_t i, j;
	float o[4];

	for (i = 0; i + 4 <= n; i += 4) {
		for (j = 0; j < 4 * d * sizeof(float); j += 64)
			_mm_prefetch((const char *)(x + i * d) + PF_BYTES + j,
			    _MM_HINT_T0);
		k512_l2_4(q, x + i * d, x + (i + 1) * d, x + (i + 2) * d,
		    x + (i + 3) * d, d, out + i);
	}
	for (; i < n; i++) {
		k512_l2_4(q, x + i * d, x + i * d, x + i * d, x + i * d, d, o);
		out[i] = o[0];
	}
}

static void
k512_ndot_rows(const float *q, const float *x, size_t n, size_t d,
    float *out)
{
	size_t i;
	float o[4];

	for (i = 0; i + 4 <= n; i += 4)
		k512_dot_4(q, x + i * d, x + (i + 1) * d, x + (i + 2) * d,
		    x + (i + 3) * d, d, out + i);
	for (; i < n; i++) {
		k512_dot_4(q, x + i * d, x + i * d, x + i * d, x + i * d, d,
		    o);
		out[i] = o[0];
	}
}

/* Four rows at a time; the last group repeats its last row. */
static void
k512_l2_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	const float *r[4];
	size_t i, m;
	float o[4];

	for (i = 0; i < n; i += 4) {
		for (m = 0; m < 4; m++)
			r[m] = x + (size_t)rows[i + m < n ? i + m : n - 1] * d;
		k512_l2_4(q, r[0], r[1], r[2], r[3], d, o);
		for (m = 0; m < 4 && i + m < n; m++)
			out[i + m] = o[m];
	}
}

static void
k512_ndot_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	const float *r[4];
	size_t i, m;
	float o[4];

	for (i = 0; i < n; i += 4) {
		for (m = 0; m < 4; m++)
			r[m] = x + (size_t)rows[i + m < n ? i + m : n - 1] * d;
		k512_dot_4(q, r[0], r[1], r[2], r[3], d, o);
		for (m = 0; m < 4 && i + m < n; m++)
			out[i + m] = o[m];
	}
}

static inline __m512
k512_codes(const uint8_t *c, __mmask16 m)
{
	return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
	    _mm_maskz_loadu_epi8(m, c)));
}

static void
k512_sq8_l2_rows(const float *qs, const float *w, const uint8_t *c,
    size_t n, size_t d, float *out)
{
	__m512 a0, a1, a2, a3, vq, vw, t;
	__mmask16 m;
	size_t i, j;

	for (i = 0; i + 4 <= n; i += 4, c += 4 * d) {
		for (j = 0; j < 4 * d; j += 64)
			_mm_prefetch((const char *)(c + PF_BYTES + j),
			    _MM_HINT_T0);
		a0 = _mm512_setzero_ps();
		a1 = a2 = a3 = a0;
		for (j = 0; j < d; j += 16) {
			m = k512_mask(d - j);
			vq = _mm512_maskz_loadu_ps(m, qs + j);
			vw = _mm512_maskz_loadu_ps(m, w + j);
			t = _mm512_sub_ps(vq, k512_codes(c + j, m));
			a0 = _mm512_fmadd_ps(_mm512_mul_ps(t, vw), t, a0);
			t = _mm512_sub_ps(vq, k512_codes(c + d + j, m));
			a1 = _mm512_fmadd_ps(_mm512_mul_ps(t, vw), t, a1);
			t = _mm512_sub_ps(vq, k512_codes(c + 2 * d + j, m));
			a2 = _mm512_fmadd_ps(_mm512_mul_ps(t, vw), t, a2);
			t = _mm512_sub_ps(vq, k512_codes(c + 3 * d + j, m));
			a3 = _mm512_fmadd_ps(_mm512_mul_ps(t, vw), t, a3);
		}
		out[i] = _mm512_reduce_add_ps(a0);
		out[i + 1] = _mm512_reduce_add_ps(a1);
		out[i + 2] = _mm512_reduce_add_ps(a2);
		out[i + 3] = _mm512_reduce_add_ps(a3);
	}
	for (; i < n; i++, c += d) {
		a0 = _mm512_setzero_ps();
		for (j = 0; j < d; j += 16) {
			m = k512_mask(d - j);
			t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, qs + j),
			    k512_codes(c + j, m));
			a0 = _mm512_fmadd_ps(_mm512_mul_ps(t,
			    _mm512_maskz_loadu_ps(m, w + j)), t, a0);
		}
		out[i] = _mm512_reduce_add_ps(a0);
	}
}

static void
k512_sq8_ndot_rows(const float *qw, const uint8_t *c, size_t n, size_t d,
    float *out)
{
	__m512 a0, a1, a2, a3, vq;
	__mmask16 m;
	size_t i, j;

	for (i = 0; i + 4 <= n; i += 4, c += 4 * d) {
		for (j = 0; j < 4 * d; j += 64)
			_mm_prefetch((const char *)(c + PF_BYTES + j),
			    _MM_HINT_T0);
		a0 = _mm512_setzero_ps();
		a1 = a2 = a3 = a0;
		for (j = 0; j < d; j += 16) {
			m = k512_mask(d - j);
			vq = _mm512_maskz_loadu_ps(m, qw + j);
			a0 = _mm512_fmadd_ps(k512_codes(c + j, m), vq, a0);
			a1 = _mm512_fmadd_ps(k512_codes(c + d + j, m), vq, a1);
			a2 = _mm512_fmadd_ps(k512_codes(c + 2 * d + j, m), vq,
			    a2);
			a3 = _mm512_fmadd_ps(k512_codes(c + 3 * d + j, m), vq,
			    a3);
		}
		out[i] = -_mm512_reduce_add_ps(a0);
		out[i + 1] = -_mm512_reduce_add_ps(a1);
		out[i + 2] = -_mm512_reduce_add_ps(a2);
		out[i + 3] = -_mm512_reduce_add_ps(a3);
	}
	for (; i < n; i++, c += d) {
		a0 = _mm512_setzero_ps();
		for (j = 0; j < d; j += 16) {
			m = k512_mask(d - j);
			a0 = _mm512_fmadd_ps(k512_codes(c + j, m),
			    _mm512_maskz_loadu_ps(m, qw + j), a0);
		}
		out[i] = -_mm512_reduce_add_ps(a0);
	}
}

/* Per-lane best, its index and second best, then across the lanes. */
static void
k512_argmin2(const float *row, const float *add, size_t k, float *b1,
    int *i1, float *b2)
{
	__m512 best = _mm512_set1_ps(INFINITY), sec = best, v;
	__m512i bidx = _mm512_setzero_si512(), idx, step;
	__mmask16 m, lt;
	float bv[16], sv[16], x = INFINITY, y = INFINITY;
	int iv[16], l, bi = 0;
	size_t c;

	idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	    13, 14, 15);
	step = _mm512_set1_epi32(16);
	for (c = 0; c < k; c += 16) {
		m = k512_mask(k - c);
		v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + c),
		    _mm512_maskz_loadu_ps(m, add + c));
		v = _mm512_mask_blend_ps(m, _mm512_set1_ps(INFINITY), v);
		lt = _mm512_cmp_ps_mask(v, best, _CMP_LT_OQ);
		sec = _mm512_min_ps(sec, _mm512_max_ps(v, best));
		best = _mm512_mask_blend_ps(lt, best, v);
		bidx = _mm512_mask_blend_epi32(lt, bidx, idx);
		idx = _mm512_add_epi32(idx, step);
	}
	_mm512_storeu_ps(bv, best);
	_mm512_storeu_ps(sv, sec);
	_mm512_storeu_si512(iv, bidx);
	for (l = 0; l < 16; l++)
		if (bv[l] < x || (bv[l] == x && iv[l] < bi)) {
			x = bv[l];
			bi = iv[l];
		}
	for (l = 0; l < 16; l++) {
		if (sv[l] < y)
			y = sv[l];
		if (iv[l] != bi && bv[l] < y)
			y = bv[l];
	}
	*b1 = x;
	*i1 = bi;
	*b2 = y;
}

/*
 * 32 values per step: one compare per 8, the masks OR-ed so that a step
 * with nothing below lim (nearly all of them) costs one branch.
 */
static size_t
k512_below(const float *row, const float *add, size_t n, float lim,
    uint32_t *out)
{
	__m256 l = _mm256_set1_ps(lim), v0, v1, v2, v3;
	size_t i = 0, m = 0;
	uint64_t mk;

	for (; i + 32 <= n; i += 32) {
		v0 = _mm256_add_ps(_mm256_loadu_ps(row + i),
		    _mm256_loadu_ps(add + i));
		v1 = _mm256_add_ps(_mm256_loadu_ps(row + i + 8),
		    _mm256_loadu_ps(add + i + 8));
		v2 = _mm256_add_ps(_mm256_loadu_ps(row + i + 16),
		    _mm256_loadu_ps(add + i + 16));
		v3 = _mm256_add_ps(_mm256_loadu_ps(row + i + 24),
		    _mm256_loadu_ps(add + i + 24));
		v0 = _mm256_cmp_ps(v0, l, _CMP_NGT_UQ);
		v1 = _mm256_cmp_ps(v1, l, _CMP_NGT_UQ);
		v2 = _mm256_cmp_ps(v2, l, _CMP_NGT_UQ);
		v3 = _mm256_cmp_ps(v3, l, _CMP_NGT_UQ);
		if (_mm256_testz_ps(_mm256_or_ps(_mm256_or_ps(v0, v1),
		    _mm256_or_ps(v2, v3)), _mm256_castsi256_ps(
		    _mm256_set1_epi32(-1))))
			continue;
		mk = (uint64_t)(unsigned)_mm256_movemask_ps(v0) |
		    (uint64_t)(unsigned)_mm256_movemask_ps(v1) << 8 |
		    (uint64_t)(unsigned)_mm256_movemask_ps(v2) << 16 |
		    (uint64_t)(unsigned)_mm256_movemask_ps(v3) << 24;
		while (mk != 0) {
			out[m++] = (uint32_t)(i +
			    (size_t)__builtin_ctzll(mk));
			mk &= mk - 1;
		}
	}
	for (; i < n; i++)
		if (!(row[i] + add[i] > lim))
			out[m++] = (uint32_t)i;
	return m;
}

const struct ivf_kern ivf_kern_avx512 = {
	"avx512", k512_l2_rows, k512_ndot_rows, k512_l2_gather,
	k512_ndot_gather, k512_sq8_l2_rows, k512_sq8_ndot_rows, k512_argmin2,
	k512_below
};
#else
const struct ivf_kern ivf_kern_avx512 = {
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};
#endif
