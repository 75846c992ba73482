/*
 * ivf_kernels.c - portable distance kernels and the run-time choice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ivf_kernels.h"

static void	gen_l2_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	gen_ndot_rows(const float *, const float *, size_t, size_t,
		    float *);
static void	gen_l2_gather(const float *, const float *, const uint32_t *,
		    size_t, size_t, float *);
static void	gen_ndot_gather(const float *, const float *, const uint32_t *,
		    size_t, size_t, float *);
static void	gen_sq8_l2_rows(const float *, const float *, const uint8_t *,
		    size_t, size_t, float *);
static void	gen_sq8_ndot_rows(const float *, const uint8_t *, size_t,
		    size_t, float *);
static size_t	gen_below(const float *, const float *, size_t, float,
		    uint32_t *);
static void	gen_argmin2(const float *, const float *, size_t, float *,
		    int *, float *);

/* Four partial sums per row, combined in a fixed order. */
static void
gen_l2_rows(const float *q, const float *x, size_t n, size_t d, float *out)
{
	size_t i, j;
	float s[4], t;

	for (i = 0; i < n; i++, x += d) {
		s[0] = s[1] = s[2] = s[3] = 0;
		for (j = 0; j + 4 <= d; j += 4) {
			t = x[j] - q[j];
			s[0] += t * t;
			t = x[j + 1] - q[j + 1];
			s[1] += t * t;
			t = x[j + 2] - q[j + 2];
			s[2] += t * t;
			t = x[j + 3] - q[j + 3];
			s[3] += t * t;
		}
		for (; j < d; j++) {
			t = x[j] - q[j];
			s[j & 3] += t * t;
		}
		out[i] = (s[0] + s[1]) + (s[2] + s[3]);
	}
}

static void
gen_ndot_rows(const float *q, const float *x, size_t n, size_t d,
    float *out)
{
	size_t i, j;
	float s[4];

	for (i = 0; i < n; i++, x += d) {
		s[0] = s[1] = s[2] = s[3] = 0;
		for (j = 0; j + 4 <= d; j += 4) {
			s[0] += x[j] * q[j];
			s[1] += x[j + 1] * q[j + 1];
			s[2] += x[j + 2] * q[j + 2];
			s[3] += x[j + 3] * q[j + 3];
		}
		for (; j < d; j++)
			s[j & 3] += x[j] * q[j];
		out[i] = -((s[0] + s[1]) + (s[2] + s[3]));
	}
}

static void
gen_l2_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		gen_l2_rows(q, x + (size_t)rows[i] * d, 1, d, out + i);
}

static void
gen_ndot_gather(const float *q, const float *x, const uint32_t *rows,
    size_t n, size_t d, float *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		gen_ndot_rows(q, x + (size_t)rows[i] * d, 1, d, out + i);
}

static void
gen_sq8_l2_rows(const float *qs, const float *w, const uint8_t *c, size_t n,
    size_t d, float *out)
{
	size_t i, j;
	float s[4], t;

	for (i = 0; i < n; i++, c += d) {
		s[0] = s[1] = s[2] = s[3] = 0;
		for (j = 0; j < d; j++) {
			t = qs[j] - (float)c[j];
			s[j & 3] += w[j] * t * t;
		}
		out[i] = (s[0] + s[1]) + (s[2] + s[3]);
	}
}

static void
gen_sq8_ndot_rows(const float *qw, const uint8_t *c, size_t n, size_t d,
    float *out)
{
	size_t i, j;
	float s[4];

	for (i = 0; i < n; i++, c += d) {
		s[0] = s[1] = s[2] = s[3] = 0;
		for (j = 0; j < d; j++)
			s[j & 3] += qw[j] * (float)c[j];
		out[i] = -((s[0] + s[1]) + (s[2] + s[3]));
	}
}

static void
gen_argmin2(const float *row, const float *add, size_t k, float *b1,
    int *i1, float *b2)
{
	float x = INFINITY, y = INFINITY, v;
	size_t c;
	int bi = 0;

	for (c = 0; c < k; c++) {
		v = row[c] + add[c];
		if (v < x) {
			y = x;
			x = v;
			bi = (int)c;
		} else if (v < y)
			y = v;
	}
	*b1 = x;
	*i1 = bi;
	*b2 = y;
}

static size_t
gen_below(const float *row, const float *add, size_t n, float lim,
    uint32_t *out)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (!(row[i] + add[i] > lim))
			out[m++] = (uint32_t)i;
	return m;
}

const struct ivf_kern ivf_kern_generic = {
	"generic", gen_l2_rows, gen_ndot_rows, gen_l2_gather,
	gen_ndot_gather, gen_sq8_l2_rows, gen_sq8_ndot_rows, gen_argmin2,
	gen_below
};

int
ivf_kern_usable(const struct ivf_kern *k)
{
	if (k == NULL || k->name == NULL)
		return 0;
	if (k == &ivf_kern_generic)
		return 1;
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return 0;
	if (k == &ivf_kern_avx2)
		return 1;
	if (k == &ivf_kern_avx512)
		return __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vl") &&
		    __builtin_cpu_supports("avx512dq");
#endif
	return 0;
}

const struct ivf_kern *
ivf_kern_select(void)
{
	const char *force = getenv("ESCTL_SIMD");
	int has512, has2;

	has2 = ivf_kern_usable(&ivf_kern_avx2);
	has512 = ivf_kern_usable(&ivf_kern_avx512);
	if (force != NULL && strcmp(force, "generic") == 0)
		return &ivf_kern_generic;
	if (force != NULL && strcmp(force, "avx2") == 0 && has2)
		return &ivf_kern_avx2;
	if (has512)
		return &ivf_kern_avx512;
	if (has2)
		return &ivf_kern_avx2;
	return &ivf_kern_generic;
}
