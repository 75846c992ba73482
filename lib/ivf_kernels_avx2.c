/*
 * ivf_kernels_avx2.c - AVX2+FMA distance kernels (built with -mavx2
 * -mfma; used only when the CPU has both).
 *
 * Same structure as the AVX-512 kernels: four rows at a time sharing the
 * query loads, remainder rows through the same code with repeated
 * pointers, masked loads for a dimension that is not a multiple of 8.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ivf_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static void	k256_l2_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	k256_ndot_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	k256_l2_gather(const float *, const float *, const uint32_t *,
		    size_t, size_t, float *);
static void	k256_ndot_gather(const float *, const float *,
		    const uint32_t *, size_t, size_t, float *);
static void	k256_sq8_l2_rows(const float *, const float *,
		    const uint8_t *, size_t, size_t, float *);
static void	k256_sq8_ndot_rows(const float *, const uint8_t *, size_t,
		    size_t, float *);
static size_t	k256_below(const float *, const float *, size_t, float,
		    uint32_t *);
static void	k256_argmin2(const float *, const float *, size_t, float *,
		    int *, float *);

#define PF_BYTES	2048	/* prefetch distance */

static inline __m256i
k256_mask(size_t left)
{
	static const int32_t ones[16] = { -1, -1, -1, -1, -1, -1, -1, -1,
	    0, 0, 0, 0, 0, 0, 0, 0 };

	if (left >= 8)
		left = 8;
	return _mm256_loadu_si256((const __m256i *)(ones + 8 - left));
}

static inline float
k256_hsum(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
	    _mm256_extractf128_ps(v, 1));

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

static inline void
k256_l2_4(const float *q, const float *x0, const float *x1, const float *x2,
    const float *x3, size_t d, float *o)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	__m256 vq, t;
	__m256i m;
	size_t j;

	for (j = 0; j + 8 <= d; j += 8) {
		vq = _mm256_loadu_ps(q + j);
		t = _mm256_sub_ps(_mm256_loadu_ps(x0 + j), vq);
		a0 = _mm256_fmadd_ps(t, t, a0);
		t = _mm256_sub_ps(_mm256_loadu_ps(x1 + j), vq);
		a1 = _mm256_fmadd_ps(t, t, a1);
		t = _mm256_sub_ps(_mm256_loadu_ps(x2 + j), vq);
		a2 = _mm256_fmadd_ps(t, t, a2);
		t = _mm256_sub_ps(_mm256_loadu_ps(x3 + j), vq);
		a3 = _mm256_fmadd_ps(t, t, a3);
	}
	if (j < d) {
		m = k256_mask(d - j);
		vq = _mm256_maskload_ps(q + j, m);
		t = _mm256_sub_ps(_mm256_maskload_ps(x0 + j, m), vq);
		a0 = _mm256_fmadd_ps(t, t, a0);
		t = _mm256_sub_ps(_mm256_maskload_ps(x1 + j, m), vq);
		a1 = _mm256_fmadd_ps(t, t, a1);
		t = _mm256_sub_ps(_mm256_maskload_ps(x2 + j, m), vq);
		a2 = _mm256_fmadd_ps(t, t, a2);
		t = _mm256_sub_ps(_mm256_maskload_ps(x3 + j, m), vq);
		a3 = _mm256_fmadd_ps(t, t, a3);
	}
	o[0] = k256_hsum(a0);
	o[1] = k256_hsum(a1);
	o[2] = k256_hsum(a2);
	o[3] = k256_hsum(a3);
}

static inline void
k256_dot_4(const float *q, const float *x0, const float *x1,
    const float *x2, const float *x3, size_t d, float *o)
{
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	__m256 vq;
	__m256i m;
	size_t j;

	for (j = 0; j + 8 <= d; j += 8) {
		vq = _mm256_loadu_ps(q + j);
		a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + j), vq, a0);
		a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + j), vq, a1);
		a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + j), vq, a2);
		a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + j), vq, a3);
	}
	if (j < d) {
		m = k256_mask(d - j);
		vq = _mm256_maskload_ps(q + j, m);
		a0 = _mm256_fmadd_ps(_mm256_maskload_ps(x0 + j, m), vq, a0);
		a1 = _mm256_fmadd_ps(_mm256_maskload_ps(x1 + j, m), vq, a1);
		a2 = _mm256_fmadd_ps(_mm256_maskload_ps(x2 + j, m), vq, a2);
		a3 = _mm256_fmadd_ps(_mm256_maskload_ps(x3 + j, m), vq, a3);
	}
	o[0] = -k256_hsum(a0);
	o[1] = -k256_hsum(a1);
	o[2] = -k256_hsum(a2);
	o[3] = -k256_hsum(a3);
}

static void
k256_l2_rows(const float *q, const float *x, size_t n, size_t d, float *out)
{
	size_t i, j;
	float o[4];

	for (i = 0; i + 4 <= n; i += 4) {
		for (j = 0; j < 4 * d * sizeof(float); j += 64)
			_mm_prefetch((const char *)(x + i * d) + PF_BYTES + j,
			    _MM_HINT_T0);
		k256_l2_4(q, x + i * d, x + (i + 1) * d, x + (i + 2) * d,
		    x + (i + 3) * d, d, out + i);
	}
	for (; i < n; i++) {
		k256_l2_4(q, x + i * d, x + i * d, x + i * d, x + i * d, d, o);
		out[i] = o[0];
	}
}

static void
k256_ndot_rows(const float *q, const float *x, size_t n, size_t d,
    float *out)
{
	size_t i;
	float o[4];

	for (i = 0; i + 4 <= n; i += 4)
		k256_dot_4(q, x + i * d, x + (i + 1) * d, x + (i + 2) * d,
		    x + (i + 3) * d, d, out + i);
	for (; i < n; i++) {
		k256_dot_4(q, x + i * d, x + i * d, x + i * d, x + i * d, d,
		    o);
		out[i] = o[0];
	}
}

/* Four rows at a time; the last group repeats its last row. */
static void
k256_l2_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	const float *r[4];
	size_t i, m;
	float o[4];

	for (i = 0; i < n; i += 4) {
		for (m = 0; m < 4; m++)
			r[m] = x + (size_t)rows[i + m < n ? i + m : n - 1] * d;
		k256_l2_4(q, r[0], r[1], r[2], r[3], d, o);
		for (m = 0; m < 4 && i + m < n; m++)
			out[i + m] = o[m];
	}
}

static void
k256_ndot_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	const float *r[4];
	size_t i, m;
	float o[4];

	for (i = 0; i < n; i += 4) {
		for (m = 0; m < 4; m++)
			r[m] = x + (size_t)rows[i + m < n ? i + m : n - 1] * d;
		k256_dot_4(q, r[0], r[1], r[2], r[3], d, o);
		for (m = 0; m < 4 && i + m < n; m++)
			out[i + m] = o[m];
	}
}

/* Eight codes as floats; the tail is copied so no byte past d is read. */
static inline __m256
k256_codes(const uint8_t *c, size_t left)
{
	uint8_t tmp[8];
	long long v;

	if (left >= 8) {
		memcpy(&v, c, 8);
	} else {
		memset(tmp, 0, sizeof tmp);
		memcpy(tmp, c, left);
		memcpy(&v, tmp, 8);
	}
	return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
	    _mm_cvtsi64_si128(v)));
}

static void
k256_sq8_l2_rows(const float *qs, const float *w, const uint8_t *c,
    size_t n, size_t d, float *out)
{
	__m256 a0, a1, vq, vw, t;
	__m256i m;
	size_t i, j;

	for (i = 0; i < n; i++, c += d) {
		for (j = 0; j < d; j += 64)
			_mm_prefetch((const char *)(c + PF_BYTES + j),
			    _MM_HINT_T0);
		a0 = _mm256_setzero_ps();
		a1 = a0;
		for (j = 0; j + 16 <= d; j += 16) {
			t = _mm256_sub_ps(_mm256_loadu_ps(qs + j),
			    k256_codes(c + j, 8));
			a0 = _mm256_fmadd_ps(_mm256_mul_ps(t,
			    _mm256_loadu_ps(w + j)), t, a0);
			t = _mm256_sub_ps(_mm256_loadu_ps(qs + j + 8),
			    k256_codes(c + j + 8, 8));
			a1 = _mm256_fmadd_ps(_mm256_mul_ps(t,
			    _mm256_loadu_ps(w + j + 8)), t, a1);
		}
		for (; j < d; j += 8) {
			m = k256_mask(d - j);
			vq = _mm256_maskload_ps(qs + j, m);
			vw = _mm256_maskload_ps(w + j, m);
			t = _mm256_sub_ps(vq, _mm256_and_ps(k256_codes(c + j,
			    d - j), _mm256_castsi256_ps(m)));
			a0 = _mm256_fmadd_ps(_mm256_mul_ps(t, vw), t, a0);
		}
		out[i] = k256_hsum(_mm256_add_ps(a0, a1));
	}
}

static void
k256_sq8_ndot_rows(const float *qw, const uint8_t *c, size_t n, size_t d,
    float *out)
{
	__m256 a0, a1;
	__m256i m;
	size_t i, j;

	for (i = 0; i < n; i++, c += d) {
		for (j = 0; j < d; j += 64)
			_mm_prefetch((const char *)(c + PF_BYTES + j),
			    _MM_HINT_T0);
		a0 = _mm256_setzero_ps();
		a1 = a0;
		for (j = 0; j + 16 <= d; j += 16) {
			a0 = _mm256_fmadd_ps(k256_codes(c + j, 8),
			    _mm256_loadu_ps(qw + j), a0);
			a1 = _mm256_fmadd_ps(k256_codes(c + j + 8, 8),
			    _mm256_loadu_ps(qw + j + 8), a1);
		}
		for (; j < d; j += 8) {
			m = k256_mask(d - j);
			a0 = _mm256_fmadd_ps(k256_codes(c + j, d - j),
			    _mm256_maskload_ps(qw + j, m), a0);
		}
		out[i] = -k256_hsum(_mm256_add_ps(a0, a1));
	}
}

/* Per-lane best, its index and second best, then across the lanes. */
static void
k256_argmin2(const float *row, const float *add, size_t k, float *b1,
    int *i1, float *b2)
{
	__m256 best = _mm256_set1_ps(INFINITY), sec = best, v, lt, inf = best;
	__m256i bidx = _mm256_setzero_si256(), idx, step, m;
	float bv[8], sv[8], x = INFINITY, y = INFINITY;
	int iv[8], l, bi = 0;
	size_t c;

	idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	step = _mm256_set1_epi32(8);
	for (c = 0; c < k; c += 8) {
		if (k - c >= 8)
			v = _mm256_add_ps(_mm256_loadu_ps(row + c),
			    _mm256_loadu_ps(add + c));
		else {
			m = k256_mask(k - c);
			v = _mm256_add_ps(_mm256_maskload_ps(row + c, m),
			    _mm256_maskload_ps(add + c, m));
			v = _mm256_blendv_ps(inf, v, _mm256_castsi256_ps(m));
		}
		lt = _mm256_cmp_ps(v, best, _CMP_LT_OQ);
		sec = _mm256_min_ps(sec, _mm256_max_ps(v, best));
		best = _mm256_blendv_ps(best, v, lt);
		bidx = _mm256_castps_si256(_mm256_blendv_ps(
		    _mm256_castsi256_ps(bidx), _mm256_castsi256_ps(idx), lt));
		idx = _mm256_add_epi32(idx, step);
	}
	_mm256_storeu_ps(bv, best);
	_mm256_storeu_ps(sv, sec);
	_mm256_storeu_si256((__m256i *)iv, bidx);
	for (l = 0; l < 8; l++)
		if (bv[l] < x || (bv[l] == x && iv[l] < bi)) {
			x = bv[l];
			bi = iv[l];
		}
	for (l = 0; l < 8; l++) {
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
k256_below(const float *row, const float *add, size_t n, float lim,
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

const struct ivf_kern ivf_kern_avx2 = {
	"avx2", k256_l2_rows, k256_ndot_rows, k256_l2_gather,
	k256_ndot_gather, k256_sq8_l2_rows, k256_sq8_ndot_rows, k256_argmin2,
	k256_below
};
#else
const struct ivf_kern ivf_kern_avx2 = {
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};
#endif
