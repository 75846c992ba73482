/*
 * kmeans.c - Lloyd's k-means with sgemm assignment and pthreads.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivf_kernels.h"
#include "kmeans.h"

/* Floats of one block of the point x centroid product, at most. */
#define KMEANS_BLOCK_FLOATS	(1u << 22)
#define KMEANS_SPLIT_EPS	(1.0f / 1024.0f)

struct kmeans_assign_job {
	const struct blas	*blas;
	const float		*x;
	const size_t		*list;		/* NULL: x[0], x[1], ... */
	size_t			 n;
	int			 d;
	const float		*c;
	const float		*cnorm;
	int			 k;
	size_t			 block;
	int			 t;
	int			 nthreads;
	int32_t			*assign;
	float			*dist;
	double			 obj;
};

struct kmeans_update_job {
	const float		*x;
	size_t			 n;
	int			 d;
	const int32_t		*assign;
	int			 k0, k1;
	double			*sums;		/* k x d */
	long long		*counts;
};

static void	*kmeans_assign_thread(void *);
static void	*kmeans_update_thread(void *);
static double	 kmeans_assign_obj(const struct blas *, const float *,
		    const size_t *, size_t, int, const float *, const float *,
		    int, int, int32_t *, float *);
static int	 kmeans_init_pca(const struct blas *, const float *, size_t,
		    int, int, struct kmeans_rng *, float *, float *,
		    struct es_err *);

static double
kmeans_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
kmeans_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
kmeans_rng_seed(struct kmeans_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = kmeans_splitmix(&seed);
}

static uint64_t
kmeans_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
kmeans_rng_next(struct kmeans_rng *r)
{
	uint64_t *s = r->s, res = kmeans_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = kmeans_rotl(s[3], 45);
	return res;
}

uint64_t
kmeans_rng_below(struct kmeans_rng *r, uint64_t n)
{
	uint64_t x, lim;

	if (n <= 1)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = kmeans_rng_next(r);
	while (x >= lim);
	return x % n;
}

double
kmeans_rng_gauss(struct kmeans_rng *r)
{
	double u1, u2;

	do
		u1 = (double)(kmeans_rng_next(r) >> 11) * 0x1.0p-53;
	while (u1 <= 0);
	u2 = (double)(kmeans_rng_next(r) >> 11) * 0x1.0p-53;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

size_t *
kmeans_sample(size_t n, size_t m, uint64_t seed)
{
	struct kmeans_rng r;
	size_t *perm, *out, i, j, t;

	kmeans_rng_seed(&r, seed);
	perm = xreallocarray(NULL, n ? n : 1, sizeof *perm);
	for (i = 0; i < n; i++)
		perm[i] = i;
	if (m > n)
		m = n;
	for (i = 0; i < m; i++) {
		j = i + (size_t)kmeans_rng_below(&r, n - i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	out = xreallocarray(NULL, m ? m : 1, sizeof *out);
	memcpy(out, perm, m * sizeof *out);
	free(perm);
	return out;
}

/* Block size in points: fixed by k alone, so results do not depend on
 * the number of threads. */
static size_t
kmeans_block(int k)
{
	size_t b = KMEANS_BLOCK_FLOATS / (size_t)k;

	if (b > 1024)
		b = 1024;
	if (b < 16)
		b = 16;
	return b;
}

static void *
kmeans_assign_thread(void *arg)
{
	struct kmeans_assign_job *j = arg;
	size_t nblocks = (j->n + j->block - 1) / j->block, b, i, i0, nb, pi;
	const struct ivf_kern *kern = ivf_kern_select();
	float *g, *row, *buf = NULL, best, v, xn;
	const float *xi, *xs;
	int bc, dd;

	g = xreallocarray(NULL, j->block * (size_t)j->k, sizeof(float));
	if (j->list != NULL)
		buf = xreallocarray(NULL, j->block * (size_t)j->d,
		    sizeof(float));
	j->obj = 0;
	for (b = (size_t)j->t; b < nblocks; b += (size_t)j->nthreads) {
		i0 = b * j->block;
		nb = j->n - i0 < j->block ? j->n - i0 : j->block;
		if (j->list != NULL) {
			/* gathered, so that one sgemm takes the block */
			for (i = 0; i < nb; i++)
				memcpy(buf + i * (size_t)j->d, j->x +
				    j->list[i0 + i] * (size_t)j->d,
				    (size_t)j->d * sizeof(float));
			xs = buf;
		} else
			xs = j->x + i0 * (size_t)j->d;
		blas_sgemm_nt(j->blas, (int)nb, j->k, j->d, -2.0f, xs, j->d,
		    j->c, j->d, 0.0f, g, j->k);
		for (i = 0; i < nb; i++) {
			row = g + i * (size_t)j->k;
			kern->argmin2(row, j->cnorm, (size_t)j->k, &best, &bc,
			    &v);
			xi = xs + i * (size_t)j->d;
			xn = 0;
			for (dd = 0; dd < j->d; dd++)
				xn += xi[dd] * xi[dd];
			best += xn;
			if (best < 0)
				best = 0;
			pi = j->list != NULL ? j->list[i0 + i] : i0 + i;
			j->assign[pi] = bc;
			if (j->dist != NULL)
				j->dist[pi] = best;
			j->obj += best;
		}
	}
	free(g);
	free(buf);
	return NULL;
}

/* Assignment over threads; returns the objective (sum of distances). */
static double
kmeans_assign_obj(const struct blas *blas, const float *x,
    const size_t *list, size_t n, int d, const float *c, const float *cnorm,
    int k, int threads, int32_t *assign, float *dist)
{
	struct kmeans_assign_job *jobs;
	pthread_t *tids;
	double obj = 0;
	int t, saved;

	if (threads < 1)
		threads = 1;
	saved = blas_get_threads(blas);
	blas_set_threads(blas, 1);
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	tids = xcalloc((size_t)threads, sizeof *tids);
	for (t = 0; t < threads; t++) {
		jobs[t].blas = blas;
		jobs[t].x = x;
		jobs[t].list = list;
		jobs[t].n = n;
		jobs[t].d = d;
		jobs[t].c = c;
		jobs[t].cnorm = cnorm;
		jobs[t].k = k;
		jobs[t].block = kmeans_block(k);
		jobs[t].t = t;
		jobs[t].nthreads = threads;
		jobs[t].assign = assign;
		jobs[t].dist = dist;
	}
	for (t = 1; t < threads; t++)
		if (pthread_create(&tids[t], NULL, kmeans_assign_thread,
		    &jobs[t]) != 0)
			fatal("cannot create a thread");
	kmeans_assign_thread(&jobs[0]);
	for (t = 1; t < threads; t++)
		pthread_join(tids[t], NULL);
	for (t = 0; t < threads; t++)
		obj += jobs[t].obj;
	free(jobs);
	free(tids);
	blas_set_threads(blas, saved);
	return obj;
}

void
kmeans_assign(const struct blas *blas, const float *x, size_t n, int d,
    const float *centroids, const float *cnorm, int k, int threads,
    int32_t *assign, float *dist)
{
	kmeans_assign_obj(blas, x, NULL, n, d, centroids, cnorm, k, threads,
	    assign, dist);
}

void
kmeans_assign_list(const struct blas *blas, const float *x,
    const size_t *list, size_t nl, int d, const float *centroids,
    const float *cnorm, int k, int threads, int32_t *assign)
{
	if (nl > 0)
		kmeans_assign_obj(blas, x, list, nl, d, centroids, cnorm, k,
		    threads, assign, NULL);
}

static void *
kmeans_update_thread(void *arg)
{
	struct kmeans_update_job *j = arg;
	const float *xi;
	double *s;
	size_t i;
	int c, dd;

	for (i = 0; i < j->n; i++) {
		c = j->assign[i];
		if (c < j->k0 || c >= j->k1)
			continue;
		xi = j->x + i * (size_t)j->d;
		s = j->sums + (size_t)c * (size_t)j->d;
		for (dd = 0; dd < j->d; dd++)
			s[dd] += xi[dd];
		j->counts[c]++;
	}
	return NULL;
}

static void
kmeans_norms(const float *c, int k, int d, float *out)
{
	int i, j;
	float s;

	for (i = 0; i < k; i++) {
		s = 0;
		for (j = 0; j < d; j++)
			s += c[(size_t)i * (size_t)d + (size_t)j] *
			    c[(size_t)i * (size_t)d + (size_t)j];
		out[i] = s;
	}
}

/* Principal axis of the sample (LAPACKE_ssyevd), then stratified draws. */
struct kmeans_proj {
	float	p;
	size_t	i;
};

static int
kmeans_proj_cmp(const void *a, const void *b)
{
	const struct kmeans_proj *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
kmeans_init_pca(const struct blas *blas, const float *x, size_t n, int d,
    int k, struct kmeans_rng *r, float *c, float *top, struct es_err *err)
{
	double *mean;
	float *cov, *w, *v;
	struct kmeans_proj *pr;
	size_t i, s0, s1;
	int a, b, cl;
	float p;

	mean = xcalloc((size_t)d, sizeof *mean);
	for (i = 0; i < n; i++)
		for (a = 0; a < d; a++)
			mean[a] += x[i * (size_t)d + (size_t)a];
	for (a = 0; a < d; a++)
		mean[a] /= (double)n;
	/* covariance = X^T X / n - mean mean^T */
	cov = xcalloc((size_t)d * (size_t)d, sizeof *cov);
	blas_sgemm_tn(blas, d, d, (int)n, 1.0f / (float)n, x, d, x, d, 0.0f,
	    cov, d);
	for (a = 0; a < d; a++)
		for (b = 0; b < d; b++)
			cov[(size_t)a * (size_t)d + (size_t)b] -=
			    (float)(mean[a] * mean[b]);
	w = xcalloc((size_t)d, sizeof *w);
	if (blas_ssyevd(blas, d, cov, w, err) == -1) {
		free(mean);
		free(cov);
		free(w);
		return -1;
	}
	/* eigenvalues ascending: the principal axis is the last column */
	*top = w[d - 1];
	v = xcalloc((size_t)d, sizeof *v);
	for (a = 0; a < d; a++)
		v[a] = cov[(size_t)a * (size_t)d + (size_t)(d - 1)];
	pr = xreallocarray(NULL, n, sizeof *pr);
	for (i = 0; i < n; i++) {
		p = 0;
		for (a = 0; a < d; a++)
			p += (x[i * (size_t)d + (size_t)a] - (float)mean[a]) *
			    v[a];
		pr[i].p = p;
		pr[i].i = i;
	}
	qsort(pr, n, sizeof *pr, kmeans_proj_cmp);
	for (cl = 0; cl < k; cl++) {
		s0 = n * (size_t)cl / (size_t)k;
		s1 = n * ((size_t)cl + 1) / (size_t)k;
		i = pr[s0 + (size_t)kmeans_rng_below(r, s1 - s0)].i;
		memcpy(c + (size_t)cl * (size_t)d, x + i * (size_t)d,
		    (size_t)d * sizeof(float));
	}
	free(pr);
	free(v);
	free(w);
	free(cov);
	free(mean);
	return 0;
}

/*
 * Below KMEANS_YY_MIN_DIM dimensions, Hamerly's single bound instead of
 * Yinyang's groups: a distance costs too little there for the group
 * bookkeeping to pay (1M x 128 SIFT-like: Yinyang computed 53% of the
 * distances yet took more CPU than Hamerly's 85%).  Points per chunk of
 * the bound check (fixed: sums do not depend on the number of threads).
 */
#define KMEANS_YY_MIN_DIM	256
#define KMEANS_HCHUNK	4096

/*
 * Hamerly's bounds: u >= distance to the assigned centroid, l <= distance
 * to any other.  A point whose bounds still separate after the centroids
 * moved keeps its assignment without a full distance computation.
 */
struct kmeans_ham_job {
	const struct blas	*blas;
	const struct ivf_kern	*kern;
	const float		*x;
	size_t			 n;
	int			 d;
	const float		*c;
	const float		*cnorm;
	int			 k;
	int			 t;
	int			 nthreads;
	int32_t			*assign;
	float			*u;
	float			*l;
	const float		*drift;
	float			 maxdrift;
	uint8_t			*todo;
	double			*chunk_obj;
	const uint32_t		*list;		/* NULL: every point */
	size_t			 nl;
	size_t			 block;
	double			*block_obj;
};

/* Phase 1: move the bounds by the drift; check the still-valid ones. */
static void *
kmeans_ham_check(void *arg)
{
	struct kmeans_ham_job *j = arg;
	size_t nch = (j->n + KMEANS_HCHUNK - 1) / KMEANS_HCHUNK, ch, i, e;
	const float *ci;
	float d2, uu;

	for (ch = (size_t)j->t; ch < nch; ch += (size_t)j->nthreads) {
		j->chunk_obj[ch] = 0;
		e = (ch + 1) * KMEANS_HCHUNK < j->n ? (ch + 1) * KMEANS_HCHUNK :
		    j->n;
		for (i = ch * KMEANS_HCHUNK; i < e; i++) {
			j->l[i] -= j->maxdrift;
			ci = j->c + (size_t)j->assign[i] * (size_t)j->d;
			j->kern->l2_rows(ci, j->x + i * (size_t)j->d, 1,
			    (size_t)j->d, &d2);
			uu = sqrtf(d2);
			j->u[i] = uu;
			if (uu <= j->l[i]) {
				j->todo[i] = 0;
				j->chunk_obj[ch] += d2;
			} else
				j->todo[i] = 1;
		}
	}
	return NULL;
}

/* Phase 2: full distances (sgemm) for the listed points. */
static void *
kmeans_ham_full(void *arg)
{
	struct kmeans_ham_job *j = arg;
	size_t nb = (j->nl + j->block - 1) / j->block, b, i, i0, m, pi;
	float *g, *buf, *row, b1, b2, xn;
	const float *xs, *xi;
	int bc, dd;

	g = xreallocarray(NULL, j->block * (size_t)j->k, sizeof(float));
	buf = j->list != NULL ? xreallocarray(NULL, j->block * (size_t)j->d,
	    sizeof(float)) : NULL;
	for (b = (size_t)j->t; b < nb; b += (size_t)j->nthreads) {
		i0 = b * j->block;
		m = j->nl - i0 < j->block ? j->nl - i0 : j->block;
		if (j->list != NULL) {
			for (i = 0; i < m; i++)
				memcpy(buf + i * (size_t)j->d, j->x +
				    (size_t)j->list[i0 + i] * (size_t)j->d,
				    (size_t)j->d * sizeof(float));
			xs = buf;
		} else
			xs = j->x + i0 * (size_t)j->d;
		blas_sgemm_nt(j->blas, (int)m, j->k, j->d, -2.0f, xs, j->d,
		    j->c, j->d, 0.0f, g, j->k);
		j->block_obj[b] = 0;
		for (i = 0; i < m; i++) {
			row = g + i * (size_t)j->k;
			j->kern->argmin2(row, j->cnorm, (size_t)j->k, &b1, &bc,
			    &b2);
			xi = xs + i * (size_t)j->d;
			xn = 0;
			for (dd = 0; dd < j->d; dd++)
				xn += xi[dd] * xi[dd];
			b1 += xn;
			b2 += xn;
			if (b1 < 0)
				b1 = 0;
			if (b2 < 0)
				b2 = 0;
			pi = j->list != NULL ? j->list[i0 + i] : i0 + i;
			j->assign[pi] = bc;
			j->u[pi] = sqrtf(b1);
			j->l[pi] = sqrtf(b2);
			j->block_obj[b] += b1;
		}
	}
	free(g);
	free(buf);
	return NULL;
}

/*
 * Runs fn on each of the threads' jobs (an array of threads elements of
 * size bytes), the first in the calling thread.
 */
static void
kmeans_run(void *(*fn)(void *), void *jobs, size_t size, int threads)
{
	pthread_t *tids;
	char *j = jobs;
	int t;

	tids = xcalloc((size_t)threads, sizeof *tids);
	for (t = 1; t < threads; t++)
		if (pthread_create(&tids[t], NULL, fn, j + (size_t)t *
		    size) != 0)
			fatal("cannot create a thread");
	fn(j);
	for (t = 1; t < threads; t++)
		pthread_join(tids[t], NULL);
	free(tids);
}

/*
 * One assignment step with bounds; first: every point is computed.
 * Returns the objective; *full gets the number of points computed fully.
 */
static double
kmeans_ham_assign(const struct blas *blas, const float *x, size_t n, int d,
    const float *c, const float *cnorm, int k, int threads, int first,
    int32_t *assign, float *u, float *l, const float *drift, float maxdrift,
    size_t *full)
{
	struct kmeans_ham_job *jobs;
	size_t nch = (n + KMEANS_HCHUNK - 1) / KMEANS_HCHUNK, i, nl = 0, nb;
	uint8_t *todo = NULL;
	uint32_t *list = NULL;
	double *chunk_obj, *block_obj, obj = 0;
	int t, saved;

	saved = blas_get_threads(blas);
	blas_set_threads(blas, 1);
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	chunk_obj = xcalloc(nch + 1, sizeof *chunk_obj);
	for (t = 0; t < threads; t++) {
		jobs[t].blas = blas;
		jobs[t].kern = ivf_kern_select();
		jobs[t].x = x;
		jobs[t].n = n;
		jobs[t].d = d;
		jobs[t].c = c;
		jobs[t].cnorm = cnorm;
		jobs[t].k = k;
		jobs[t].t = t;
		jobs[t].nthreads = threads;
		jobs[t].assign = assign;
		jobs[t].u = u;
		jobs[t].l = l;
		jobs[t].drift = drift;
		jobs[t].maxdrift = maxdrift;
		jobs[t].chunk_obj = chunk_obj;
		jobs[t].block = kmeans_block(k);
	}
	if (first) {
		nl = n;
	} else {
		todo = xreallocarray(NULL, n, 1);
		for (t = 0; t < threads; t++)
			jobs[t].todo = todo;
		kmeans_run(kmeans_ham_check, jobs, sizeof *jobs, threads);
		for (i = 0; i < nch; i++)
			obj += chunk_obj[i];
		list = xreallocarray(NULL, n, sizeof *list);
		for (i = 0; i < n; i++)
			if (todo[i])
				list[nl++] = (uint32_t)i;
	}
	nb = (nl + jobs[0].block - 1) / jobs[0].block;
	block_obj = xcalloc(nb + 1, sizeof *block_obj);
	for (t = 0; t < threads; t++) {
		jobs[t].list = list;
		jobs[t].nl = nl;
		jobs[t].block_obj = block_obj;
	}
	if (nl > 0)
		kmeans_run(kmeans_ham_full, jobs, sizeof *jobs, threads);
	for (i = 0; i < nb; i++)
		obj += block_obj[i];
	*full = nl;
	free(block_obj);
	free(chunk_obj);
	free(list);
	free(todo);
	free(jobs);
	blas_set_threads(blas, saved);
	return obj;
}

/* Points per chunk of the bound step (fixed: sums do not depend on the
 * number of threads). */
#define KMEANS_CHUNK	1024
/* Centroids per group of the Yinyang bounds, about. */
#define KMEANS_GROUP	16
/*
 * A chunk whose points must compute more than NUM/DEN of all the
 * distances computes them all with one sgemm (faster than the group
 * sgemms, which pack the points again for every group).
 */
#define KMEANS_ALL_NUM	2
#define KMEANS_ALL_DEN	5

/* Relative margin of the lower bounds, for float rounding. */
#define KMEANS_LB_EPS	1e-5f

/*
 * Yinyang k-means (Ding et al., 2015).  The centroids are split once into
 * groups (k-means of the initial centroids).  Every point keeps, per group,
 * a lower bound on its distance to any centroid of the group other than
 * its own.  When the centroids move, each bound drops by the largest move
 * in its group; the distance to the point's own centroid is computed
 * again (it is the objective), and only the groups whose bound falls
 * below it are computed, centroid by centroid.  The assignment is the one
 * of Lloyd's algorithm, which computes every distance.
 */
struct kmeans_yy {
	int		 ng;		/* groups */
	int		*grp;		/* k: group of each centroid */
	int		*gstart;	/* ng + 1 */
	int		*gmem;		/* k: centroids in group order */
	int		 gmax;		/* largest group */
	float		*cg;		/* k x d: centroids in group order */
	float		*cgnorm;	/* k: their squared norms */
	float		*gdrift;	/* ng */
	float		*lb;		/* n x ng */
};

struct kmeans_yy_job {
	const struct blas	*blas;
	const struct ivf_kern	*kern;
	const float		*x;
	size_t			 n;
	int			 d;
	const float		*c;
	const float		*cnorm;
	float			 cnmax;
	int			 k;
	int			 t;
	int			 nthreads;
	int32_t			*assign;
	const struct kmeans_yy	*yy;	/* NULL: no bounds */
	double			*chunk_obj;
	long long		*chunk_full;
	long long		*chunk_dist;
};

/*
 * Every distance (sgemm over fixed blocks): the assignment, and with yy
 * the group bounds.
 */
static void *
kmeans_yy_full(void *arg)
{
	struct kmeans_yy_job *j = arg;
	const struct kmeans_yy *yy = j->yy;
	size_t block = kmeans_block(j->k), nb = (j->n + block - 1) / block;
	size_t b, i, i0, m;
	float *g, *row, *lb, b1, b2, xn, v, tol;
	const float *xi;
	int bc, c, dd, gi;

	g = xreallocarray(NULL, block * (size_t)j->k, sizeof(float));
	for (b = (size_t)j->t; b < nb; b += (size_t)j->nthreads) {
		i0 = b * block;
		m = j->n - i0 < block ? j->n - i0 : block;
		blas_sgemm_nt(j->blas, (int)m, j->k, j->d, -2.0f,
		    j->x + i0 * (size_t)j->d, j->d, j->c, j->d, 0.0f, g, j->k);
		j->chunk_obj[b] = 0;
		j->chunk_full[b] = (long long)m;
		j->chunk_dist[b] = (long long)m * j->k;
		for (i = 0; i < m; i++) {
			row = g + i * (size_t)j->k;
			j->kern->argmin2(row, j->cnorm, (size_t)j->k, &b1, &bc,
			    &b2);
			xi = j->x + (i0 + i) * (size_t)j->d;
			xn = 0;
			for (dd = 0; dd < j->d; dd++)
				xn += xi[dd] * xi[dd];
			b1 += xn;
			if (b1 < 0)
				b1 = 0;
			j->assign[i0 + i] = bc;
			j->chunk_obj[b] += b1;
			if (yy == NULL)
				continue;
			lb = yy->lb + (i0 + i) * (size_t)yy->ng;
			for (gi = 0; gi < yy->ng; gi++)
				lb[gi] = INFINITY;
			for (c = 0; c < j->k; c++) {
				v = row[c] + j->cnorm[c];
				if (c != bc && v < lb[yy->grp[c]])
					lb[yy->grp[c]] = v;
			}
			/* ||x||^2 - 2 x.c + ||c||^2 loses digits: room */
			tol = (xn + j->cnmax) * 1e-7f * (float)j->d;
			for (gi = 0; gi < yy->ng; gi++) {
				v = lb[gi] + xn - tol;
				lb[gi] = v > 0 ? sqrtf(v) : 0;
			}
		}
	}
	free(g);
	return NULL;
}

/* min of row[i] + add[i], n values (16: vectorized) */
static float
kmeans_segmin(const float *row, const float *add, int n)
{
	float t[8], m;
	int i;

	if (n == 16) {
		for (i = 0; i < 8; i++) {
			t[i] = row[i] + add[i];
			m = row[i + 8] + add[i + 8];
			t[i] = m < t[i] ? m : t[i];
		}
		for (i = 0; i < 4; i++)
			t[i] = t[i + 4] < t[i] ? t[i + 4] : t[i];
		for (i = 0; i < 2; i++)
			t[i] = t[i + 2] < t[i] ? t[i + 2] : t[i];
		return t[1] < t[0] ? t[1] : t[0];
	}
	m = INFINITY;
	for (i = 0; i < n; i++)
		if (row[i] + add[i] < m)
			m = row[i] + add[i];
	return m;
}

/*
 * One assignment step with the bounds (after the first), chunk by chunk:
 * the points whose own centroid is not nearer than all the bounds are
 * listed per group to compute; each group's distances come from one
 * sgemm of its listed points against its centroids, or one sgemm of the
 * whole chunk against every centroid when the listed pairs are most of
 * them.
 */
static void *
kmeans_yy_step(void *arg)
{
	struct kmeans_yy_job *j = arg;
	const struct kmeans_yy *yy = j->yy;
	size_t nch = (j->n + KMEANS_CHUNK - 1) / KMEANS_CHUNK, ch, i, i0;
	size_t np, p, q, ng = (size_t)yy->ng, d = (size_t)j->d, pairs;
	size_t kk = (size_t)j->k;
	const float *xi, *row;
	float *lb, *buf, *big, *xn, *d2a, *gm1, glb, ua, v, m1, m2, bv, tol;
	int *bg, *gq, *glist, *gcnt, a, gs, g, m, bi, all;
	uint8_t *need;
	double obj;
	long long full, nd;

	buf = xreallocarray(NULL, KMEANS_CHUNK * d, sizeof *buf);
	big = xreallocarray(NULL, KMEANS_CHUNK * kk, sizeof *big);
	xn = xreallocarray(NULL, KMEANS_CHUNK, sizeof *xn);
	d2a = xreallocarray(NULL, KMEANS_CHUNK, sizeof *d2a);
	bg = xreallocarray(NULL, KMEANS_CHUNK, sizeof *bg);
	need = xreallocarray(NULL, KMEANS_CHUNK, sizeof *need);
	gm1 = xreallocarray(NULL, KMEANS_CHUNK * ng, sizeof *gm1);
	gq = xreallocarray(NULL, KMEANS_CHUNK * ng, sizeof *gq);
	glist = xreallocarray(NULL, KMEANS_CHUNK * ng, sizeof *glist);
	gcnt = xreallocarray(NULL, ng, sizeof *gcnt);
	for (ch = (size_t)j->t; ch < nch; ch += (size_t)j->nthreads) {
		obj = 0;
		full = nd = 0;
		i0 = ch * KMEANS_CHUNK;
		np = j->n - i0 < KMEANS_CHUNK ? j->n - i0 : KMEANS_CHUNK;
		memset(gcnt, 0, ng * sizeof *gcnt);
		pairs = 0;
		/* bounds, and the groups each point must compute */
		for (p = 0; p < np; p++) {
			i = i0 + p;
			xi = j->x + i * d;
			a = j->assign[i];
			lb = yy->lb + i * ng;
			glb = INFINITY;
			for (g = 0; g < yy->ng; g++) {
				lb[g] -= yy->gdrift[g];
				if (lb[g] < glb)
					glb = lb[g];
			}
			j->kern->l2_rows(xi, j->c + (size_t)a * d, 1, d,
			    &d2a[p]);
			nd++;
			ua = sqrtf(d2a[p]);
			need[p] = 0;
			if (ua < glb)
				continue;
			need[p] = 1;
			full++;
			v = 0;
			for (q = 0; q < d; q++)
				v += xi[q] * xi[q];
			xn[p] = v;
			for (g = 0; g < yy->ng; g++) {
				gq[p * ng + (size_t)g] = -1;
				if (lb[g] <= ua) {
					gq[p * ng + (size_t)g] = gcnt[g];
					glist[(size_t)g * KMEANS_CHUNK +
					    (size_t)gcnt[g]++] = (int)p;
					pairs += (size_t)(yy->gstart[g + 1] -
					    yy->gstart[g]);
				}
			}
		}
		/* the distances: rows of big, kk apart */
		all = pairs * KMEANS_ALL_DEN >= np * kk * KMEANS_ALL_NUM;
		if (all) {
			blas_sgemm_nt(j->blas, (int)np, j->k, j->d, -2.0f,
			    j->x + i0 * d, j->d, yy->cg, j->d, 0.0f, big,
			    j->k);
			nd += (long long)(np * kk);
		} else
			for (g = 0; g < yy->ng; g++) {
				if (gcnt[g] == 0)
					continue;
				gs = yy->gstart[g + 1] - yy->gstart[g];
				for (q = 0; q < (size_t)gcnt[g]; q++)
					memcpy(buf + q * d, j->x + (i0 +
					    (size_t)glist[(size_t)g *
					    KMEANS_CHUNK + q]) * d,
					    d * sizeof(float));
				blas_sgemm_nt(j->blas, gcnt[g], gs, j->d,
				    -2.0f, buf, j->d, yy->cg +
				    (size_t)yy->gstart[g] * d, j->d, 0.0f,
				    big + yy->gstart[g], j->k);
				nd += (long long)gcnt[g] * gs;
			}
		/* per point: the group minima, the best group */
		for (p = 0; p < np; p++) {
			i = i0 + p;
			if (!need[p]) {
				obj += d2a[p];
				continue;
			}
			lb = yy->lb + i * ng;
			a = j->assign[i];
			bv = d2a[p];
			bg[p] = -1;
			for (g = 0; g < yy->ng; g++) {
				q = p * ng + (size_t)g;
				if (gq[q] < 0)
					continue;
				row = big + (all ? p : (size_t)gq[q]) * kk +
				    (size_t)yy->gstart[g];
				m1 = kmeans_segmin(row, yy->cgnorm +
				    yy->gstart[g], yy->gstart[g + 1] -
				    yy->gstart[g]) + xn[p];
				gm1[q] = m1 > 0 ? m1 : 0;
				if (gm1[q] < bv) {
					bv = gm1[q];
					bg[p] = g;
				}
			}
			/* ||x||^2 - 2 x.c + ||c||^2 loses digits: room */
			tol = (xn[p] + j->cnmax) * 1e-7f * (float)j->d;
			bi = a;
			g = bg[p] >= 0 ? bg[p] : yy->grp[a];
			q = p * ng + (size_t)g;
			if (gq[q] >= 0) {
				/* the group of the best: its second */
				row = big + (all ? p : (size_t)gq[q]) * kk +
				    (size_t)yy->gstart[g];
				j->kern->argmin2(row, yy->cgnorm +
				    yy->gstart[g], (size_t)(yy->gstart[g + 1] -
				    yy->gstart[g]), &m1, &m, &m2);
				m1 += xn[p];
				m2 += xn[p];
				if (bg[p] >= 0) {
					bi = yy->gmem[yy->gstart[g] + m];
					bv = m1 > 0 ? m1 : 0;
					gm1[q] = m2;
				} else if (yy->gmem[yy->gstart[g] + m] == a)
					gm1[q] = m2;
			}
			for (g = 0; g < yy->ng; g++) {
				q = p * ng + (size_t)g;
				if (gq[q] < 0)
					continue;
				v = gm1[q] - tol;
				lb[g] = v > 0 ? sqrtf(v) : 0;
			}
			if (bi != a) {
				/* the old centroid is now one of the others */
				g = yy->grp[a];
				v = sqrtf(d2a[p] * (1 - KMEANS_LB_EPS));
				if (v < lb[g])
					lb[g] = v;
			}
			j->assign[i] = bi;
			obj += bv;
		}
		j->chunk_obj[ch] = obj;
		j->chunk_full[ch] = full;
		j->chunk_dist[ch] = nd;
	}
	free(buf);
	free(big);
	free(xn);
	free(d2a);
	free(bg);
	free(need);
	free(gm1);
	free(gq);
	free(glist);
	free(gcnt);
	return NULL;
}

/*
 * One assignment step: every distance when first or yy is NULL, else
 * with the bounds.  Returns the objective; adds the points that went past
 * their own centroid to *full and the distances computed to *nd.
 */
static double
kmeans_yy_assign(const struct blas *blas, const float *x, size_t n, int d,
    const float *c, const float *cnorm, int k, int threads, int first,
    int32_t *assign, const struct kmeans_yy *yy, long long *full,
    long long *nd)
{
	struct kmeans_yy_job *jobs;
	size_t nch, i;
	double *chunk_obj, obj = 0;
	long long *chunk_full, *chunk_dist;
	float cnmax = 0;
	int t, saved, cl;

	nch = (n + KMEANS_CHUNK - 1) / KMEANS_CHUNK;
	i = (n + kmeans_block(k) - 1) / kmeans_block(k);
	if (i > nch)
		nch = i;
	for (cl = 0; cl < k; cl++)
		if (cnorm[cl] > cnmax)
			cnmax = cnorm[cl];
	saved = blas_get_threads(blas);
	blas_set_threads(blas, 1);
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	chunk_obj = xcalloc(nch, sizeof *chunk_obj);
	chunk_full = xcalloc(nch, sizeof *chunk_full);
	chunk_dist = xcalloc(nch, sizeof *chunk_dist);
	for (t = 0; t < threads; t++) {
		jobs[t].blas = blas;
		jobs[t].kern = ivf_kern_select();
		jobs[t].x = x;
		jobs[t].n = n;
		jobs[t].d = d;
		jobs[t].c = c;
		jobs[t].cnorm = cnorm;
		jobs[t].cnmax = cnmax;
		jobs[t].k = k;
		jobs[t].t = t;
		jobs[t].nthreads = threads;
		jobs[t].assign = assign;
		jobs[t].yy = yy;
		jobs[t].chunk_obj = chunk_obj;
		jobs[t].chunk_full = chunk_full;
		jobs[t].chunk_dist = chunk_dist;
	}
	kmeans_run(first || yy == NULL ? kmeans_yy_full : kmeans_yy_step,
	    jobs, sizeof *jobs, threads);
	for (i = 0; i < nch; i++) {
		obj += chunk_obj[i];
		*full += chunk_full[i];
		*nd += chunk_dist[i];
	}
	free(chunk_obj);
	free(chunk_full);
	free(chunk_dist);
	free(jobs);
	blas_set_threads(blas, saved);
	return obj;
}

/* Groups of the centroids: Lloyd's k-means of the centroids. */
static int
kmeans_yy_groups(const struct blas *blas, const float *c, int k, int d,
    const struct kmeans_opts *o, struct kmeans_yy *yy, struct es_err *err)
{
	struct kmeans_opts go;
	struct kmeans_stats gs;
	int32_t *ga;
	float *gc;
	int cl, g, *fill;

	yy->ng = k / KMEANS_GROUP;
	if (yy->ng < 1)
		yy->ng = 1;
	yy->grp = xcalloc((size_t)k, sizeof *yy->grp);
	yy->gstart = xcalloc((size_t)yy->ng + 1, sizeof *yy->gstart);
	yy->gmem = xcalloc((size_t)k, sizeof *yy->gmem);
	if (yy->ng > 1) {
		ga = xcalloc((size_t)k, sizeof *ga);
		gc = xcalloc((size_t)yy->ng * (size_t)d, sizeof *gc);
		memset(&go, 0, sizeof go);
		go.iters = 5;
		go.seed = o->seed ^ 0x9e0c5ULL;
		go.threads = 1;
		go.plain = 1;
		go.assign = ga;
		if (kmeans_train(blas, c, (size_t)k, d, yy->ng, &go, gc, &gs,
		    err) == -1) {
			free(ga);
			free(gc);
			return -1;
		}
		memcpy(yy->grp, ga, (size_t)k * sizeof *ga);
		free(ga);
		free(gc);
	}
	for (cl = 0; cl < k; cl++)
		yy->gstart[yy->grp[cl] + 1]++;
	for (g = 0; g < yy->ng; g++)
		yy->gstart[g + 1] += yy->gstart[g];
	fill = xcalloc((size_t)yy->ng, sizeof *fill);
	for (cl = 0; cl < k; cl++) {
		g = yy->grp[cl];
		yy->gmem[yy->gstart[g] + fill[g]++] = cl;
	}
	/*
	 * Cut in that order into groups of exactly KMEANS_GROUP (the last
	 * shorter): near centroids stay together, and every group's
	 * minimum is one fixed-size vector operation.
	 */
	yy->ng = (k + KMEANS_GROUP - 1) / KMEANS_GROUP;
	free(yy->gstart);
	yy->gstart = xcalloc((size_t)yy->ng + 1, sizeof *yy->gstart);
	for (g = 0; g <= yy->ng; g++)
		yy->gstart[g] = g * KMEANS_GROUP < k ? g * KMEANS_GROUP : k;
	for (cl = 0; cl < k; cl++)
		yy->grp[yy->gmem[cl]] = cl / KMEANS_GROUP;
	yy->gmax = k < KMEANS_GROUP ? k : KMEANS_GROUP;
	free(fill);
	return 0;
}

int
kmeans_train(const struct blas *blas, const float *x, size_t n, int d, int k,
    const struct kmeans_opts *o, float *c, struct kmeans_stats *st,
    struct es_err *err)
{
	struct kmeans_update_job *jobs;
	struct kmeans_rng r;
	struct kmeans_yy yy, *yp = NULL;
	pthread_t *tids;
	int32_t *assign;
	long long *counts;
	double *sums, obj, prev = 0, t0 = kmeans_now();
	float *cnorm, *drift, *old, *ub = NULL, *lb = NULL, maxdrift = 0;
	size_t *perm, nfull;
	int it, t, cl, big, dd, g, threads = o->threads < 1 ? 1 : o->threads;
	int rc = -1;

	memset(st, 0, sizeof *st);
	memset(&yy, 0, sizeof yy);
	if (k < 1 || (size_t)k > n)
		return es_err_set(err, ES_EUSAGE, "Invalid", "k-means needs at "
		    "least as many points (%zu) as clusters (%d)", n, k);
	kmeans_rng_seed(&r, o->seed);
	if (o->init == KMEANS_INIT_PCA) {
		if (kmeans_init_pca(blas, x, n, d, k, &r, c,
		    &st->pca_top_eigenvalue, err) == -1)
			return -1;
	} else {
		perm = kmeans_sample(n, (size_t)k, o->seed ^
		    0x5eedc0ffee11ULL);
		for (cl = 0; cl < k; cl++)
			memcpy(c + (size_t)cl * (size_t)d, x + perm[cl] *
			    (size_t)d, (size_t)d * sizeof(float));
		free(perm);
	}
	if (!o->plain && o->iters > 1 && d < KMEANS_YY_MIN_DIM) {
		ub = xreallocarray(NULL, n, sizeof *ub);
		lb = xreallocarray(NULL, n, sizeof *lb);
	} else if (!o->plain && o->iters > 1) {
		if (kmeans_yy_groups(blas, c, k, d, o, &yy, err) == -1)
			goto out;
		yy.cg = xreallocarray(NULL, (size_t)k * (size_t)d,
		    sizeof *yy.cg);
		yy.cgnorm = xcalloc((size_t)k, sizeof *yy.cgnorm);
		yy.gdrift = xcalloc((size_t)yy.ng, sizeof *yy.gdrift);
		yy.lb = xreallocarray(NULL, n * (size_t)yy.ng,
		    sizeof *yy.lb);
		yp = &yy;
	}
	st->init_seconds = kmeans_now() - t0;
	assign = o->assign != NULL ? o->assign :
	    xreallocarray(NULL, n, sizeof *assign);
	cnorm = xreallocarray(NULL, (size_t)k, sizeof *cnorm);
	sums = xreallocarray(NULL, (size_t)k * (size_t)d, sizeof *sums);
	counts = xreallocarray(NULL, (size_t)k, sizeof *counts);
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	tids = xcalloc((size_t)threads, sizeof *tids);
	drift = xcalloc((size_t)k, sizeof *drift);
	old = xreallocarray(NULL, (size_t)k * (size_t)d, sizeof *old);
	for (it = 0; it < o->iters; it++) {
		kmeans_norms(c, k, d, cnorm);
		/* the centroids in group order, for the group sgemms */
		for (cl = 0; yp != NULL && cl < k; cl++) {
			memcpy(yy.cg + (size_t)cl * (size_t)d, c +
			    (size_t)yy.gmem[cl] * (size_t)d,
			    (size_t)d * sizeof(float));
			yy.cgnorm[cl] = cnorm[yy.gmem[cl]];
		}
		if (ub != NULL) {
			obj = kmeans_ham_assign(blas, x, n, d, c, cnorm, k,
			    threads, it == 0, assign, ub, lb, drift, maxdrift,
			    &nfull);
			st->full_computations += (long long)nfull;
			st->distances += (long long)nfull * k +
			    (it == 0 ? 0 : (long long)n);
		} else
			obj = kmeans_yy_assign(blas, x, n, d, c, cnorm, k,
			    threads, it == 0, assign, yp,
			    &st->full_computations, &st->distances);
		if (it == 0)
			st->obj_first = obj;
		st->obj_final = obj;
		st->iters_run = it + 1;
		if (it > 0)
			st->rel_change = prev > 0 ? (prev - obj) / prev : 0;
		prev = obj;
		if (o->progress != NULL)
			o->progress(o->arg, it + 1, o->iters, obj);
		if (it > 0 && o->tol > 0 && st->rel_change >= 0 &&
		    st->rel_change < o->tol) {
			st->converged = 1;
			break;
		}
		if (it == o->iters - 1)
			break;	/* the centroids of the last assignment */
		memcpy(old, c, (size_t)k * (size_t)d * sizeof *old);
		memset(sums, 0, (size_t)k * (size_t)d * sizeof *sums);
		memset(counts, 0, (size_t)k * sizeof *counts);
		for (t = 0; t < threads; t++) {
			jobs[t].x = x;
			jobs[t].n = n;
			jobs[t].d = d;
			jobs[t].assign = assign;
			jobs[t].k0 = (int)((long long)k * t / threads);
			jobs[t].k1 = (int)((long long)k * (t + 1) / threads);
			jobs[t].sums = sums;
			jobs[t].counts = counts;
		}
		for (t = 1; t < threads; t++)
			if (pthread_create(&tids[t], NULL,
			    kmeans_update_thread, &jobs[t]) != 0)
				fatal("cannot create a thread");
		kmeans_update_thread(&jobs[0]);
		for (t = 1; t < threads; t++)
			pthread_join(tids[t], NULL);
		for (cl = 0; cl < k; cl++) {
			if (counts[cl] == 0)
				continue;
			for (dd = 0; dd < d; dd++)
				c[(size_t)cl * (size_t)d + (size_t)dd] =
				    (float)(sums[(size_t)cl * (size_t)d +
				    (size_t)dd] / (double)counts[cl]);
		}
		/* empty clusters: split the largest */
		for (cl = 0; cl < k; cl++) {
			float *ci, *cj;
			int j2;

			if (counts[cl] != 0)
				continue;
			big = 0;
			for (j2 = 1; j2 < k; j2++)
				if (counts[j2] > counts[big])
					big = j2;
			ci = c + (size_t)cl * (size_t)d;
			cj = c + (size_t)big * (size_t)d;
			memcpy(ci, cj, (size_t)d * sizeof(float));
			for (dd = 0; dd < d; dd++) {
				if (dd % 2 == 0) {
					ci[dd] *= 1 + KMEANS_SPLIT_EPS;
					cj[dd] *= 1 - KMEANS_SPLIT_EPS;
				} else {
					ci[dd] *= 1 - KMEANS_SPLIT_EPS;
					cj[dd] *= 1 + KMEANS_SPLIT_EPS;
				}
			}
			counts[cl] = counts[big] / 2;
			counts[big] -= counts[cl];
			st->empty_splits++;
		}
		if (yp == NULL && ub == NULL)
			continue;
		/* how far each centroid moved; the largest per group */
		for (g = 0; g < yy.ng; g++)
			yy.gdrift[g] = 0;
		maxdrift = 0;
		for (cl = 0; cl < k; cl++) {
			double m = 0, t2;

			for (dd = 0; dd < d; dd++) {
				t2 = (double)c[(size_t)cl * (size_t)d +
				    (size_t)dd] - (double)old[(size_t)cl *
				    (size_t)d + (size_t)dd];
				m += t2 * t2;
			}
			/* rounded up, with room for float rounding */
			drift[cl] = (float)(sqrt(m) * (1 + 1e-5)) + 1e-30f;
			if (drift[cl] > maxdrift)
				maxdrift = drift[cl];
			if (yp != NULL && drift[cl] > yy.gdrift[yy.grp[cl]])
				yy.gdrift[yy.grp[cl]] = drift[cl];
		}
	}
	free(drift);
	free(old);
	free(jobs);
	free(tids);
	if (assign != o->assign)
		free(assign);
	free(cnorm);
	free(sums);
	free(counts);
	rc = 0;
out:
	free(yy.grp);
	free(yy.gstart);
	free(yy.gmem);
	free(yy.cg);
	free(yy.cgnorm);
	free(yy.gdrift);
	free(yy.lb);
	free(ub);
	free(lb);
	st->seconds = kmeans_now() - t0;
	return rc;
}
