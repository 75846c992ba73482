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
		    size_t, int, const float *, const float *, int, int,
		    int32_t *, float *);
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
	size_t nblocks = (j->n + j->block - 1) / j->block, b, i, i0, nb;
	const struct ivf_kern *kern = ivf_kern_select();
	float *g, *row, best, v, xn;
	const float *xi;
	int bc, dd;

	g = xreallocarray(NULL, j->block * (size_t)j->k, sizeof(float));
	j->obj = 0;
	for (b = (size_t)j->t; b < nblocks; b += (size_t)j->nthreads) {
		i0 = b * j->block;
		nb = j->n - i0 < j->block ? j->n - i0 : j->block;
		blas_sgemm_nt(j->blas, (int)nb, j->k, j->d, -2.0f,
		    j->x + i0 * (size_t)j->d, j->d, j->c, j->d, 0.0f, g, j->k);
		for (i = 0; i < nb; i++) {
			row = g + i * (size_t)j->k;
			kern->argmin2(row, j->cnorm, (size_t)j->k, &best, &bc,
			    &v);
			xi = j->x + (i0 + i) * (size_t)j->d;
			xn = 0;
			for (dd = 0; dd < j->d; dd++)
				xn += xi[dd] * xi[dd];
			best += xn;
			if (best < 0)
				best = 0;
			j->assign[i0 + i] = bc;
			if (j->dist != NULL)
				j->dist[i0 + i] = best;
			j->obj += best;
		}
	}
	free(g);
	return NULL;
}

/* Assignment over threads; returns the objective (sum of distances). */
static double
kmeans_assign_obj(const struct blas *blas, const float *x, size_t n, int d,
    const float *c, const float *cnorm, int k, int threads, int32_t *assign,
    float *dist)
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
	kmeans_assign_obj(blas, x, n, d, centroids, cnorm, k, threads, assign,
	    dist);
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

/* Points per chunk of the bound check (fixed: sums do not depend on
 * the number of threads). */
#define KMEANS_CHUNK	4096

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
	size_t nch = (j->n + KMEANS_CHUNK - 1) / KMEANS_CHUNK, ch, i, e;
	const float *ci;
	float d2, uu;

	for (ch = (size_t)j->t; ch < nch; ch += (size_t)j->nthreads) {
		j->chunk_obj[ch] = 0;
		e = (ch + 1) * KMEANS_CHUNK < j->n ? (ch + 1) * KMEANS_CHUNK :
		    j->n;
		for (i = ch * KMEANS_CHUNK; i < e; i++) {
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

static void
kmeans_ham_run(void *(*fn)(void *), struct kmeans_ham_job *jobs,
    int threads)
{
	pthread_t *tids;
	int t;

	tids = xcalloc((size_t)threads, sizeof *tids);
	for (t = 1; t < threads; t++)
		if (pthread_create(&tids[t], NULL, fn, &jobs[t]) != 0)
			fatal("cannot create a thread");
	fn(&jobs[0]);
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
	size_t nch = (n + KMEANS_CHUNK - 1) / KMEANS_CHUNK, i, nl = 0, nb;
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
		kmeans_ham_run(kmeans_ham_check, jobs, threads);
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
		kmeans_ham_run(kmeans_ham_full, jobs, threads);
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

int
kmeans_train(const struct blas *blas, const float *x, size_t n, int d, int k,
    const struct kmeans_opts *o, float *c, struct kmeans_stats *st,
    struct es_err *err)
{
	struct kmeans_update_job *jobs;
	struct kmeans_rng r;
	pthread_t *tids;
	int32_t *assign;
	long long *counts;
	double *sums, obj, prev = 0, t0 = kmeans_now();
	float *cnorm, *ub, *lb, *drift, *old, maxdrift = 0;
	size_t *perm, nfull;
	int it, t, cl, big, dd, threads = o->threads < 1 ? 1 : o->threads;

	memset(st, 0, sizeof *st);
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
	st->init_seconds = kmeans_now() - t0;
	assign = xreallocarray(NULL, n, sizeof *assign);
	cnorm = xreallocarray(NULL, (size_t)k, sizeof *cnorm);
	sums = xreallocarray(NULL, (size_t)k * (size_t)d, sizeof *sums);
	counts = xreallocarray(NULL, (size_t)k, sizeof *counts);
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	tids = xcalloc((size_t)threads, sizeof *tids);
	ub = xreallocarray(NULL, n, sizeof *ub);
	lb = xreallocarray(NULL, n, sizeof *lb);
	drift = xcalloc((size_t)k, sizeof *drift);
	old = xreallocarray(NULL, (size_t)k * (size_t)d, sizeof *old);
	for (it = 0; it < o->iters; it++) {
		kmeans_norms(c, k, d, cnorm);
		obj = kmeans_ham_assign(blas, x, n, d, c, cnorm, k, threads,
		    it == 0, assign, ub, lb, drift, maxdrift, &nfull);
		st->full_computations += (long long)nfull;
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
		/* how far each centroid moved, for the bounds */
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
		}
	}
	free(ub);
	free(lb);
	free(drift);
	free(old);
	free(jobs);
	free(tids);
	free(assign);
	free(cnorm);
	free(sums);
	free(counts);
	st->seconds = kmeans_now() - t0;
	return 0;
}
