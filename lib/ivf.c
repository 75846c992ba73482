/*
 * ivf.c - IVF index: k-means coarse quantizer, file format, search.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "ivf.h"
#include "ivf_kernels.h"
#include "util.h"

#define IVF_HEADER_SIZE		4096
#define IVF_FLAG_SQ8		0x1
/* vectors per block of the 8-bit scan */
#define IVF_SCAN_BLOCK		128
/* sgemm tiles of the batch path: queries x list vectors */
#define IVF_GEMM_QB		256
#define IVF_GEMM_XB		2048
/* unit roundoff of float32 */
#define IVF_U			(1.0 / 16777216.0)

/* On-disk header (little-endian; padded to IVF_HEADER_SIZE). */
struct ivf_header {
	char		magic[8];
	uint32_t	version;
	uint32_t	header_size;
	uint32_t	dim;
	uint32_t	metric;
	uint32_t	nlist;
	uint32_t	flags;
	uint64_t	ntotal;
	uint64_t	index_uid;
	uint64_t	seed;
	uint32_t	iters;
	uint32_t	init;
	uint64_t	sample;
	double		objective;
	double		created;	/* Unix time */
	uint64_t	off_centroids;
	uint64_t	off_cnorm;
	uint64_t	off_lists;
	uint64_t	off_lmeta;
	uint64_t	off_sq;
	uint64_t	off_ids;
	uint64_t	off_vecs;
	uint64_t	off_norms;
	uint64_t	off_codes;
	uint64_t	off_errs;
	uint64_t	file_size;
	uint64_t	sum_meta;	/* XXH64 of [off_centroids, off_ids) */
	uint64_t	sum_header;	/* XXH64 of the bytes above */
	/*
	 * Extension 1 (all zero in files written before it, which older
	 * readers ignore): the coarse projection.  Not in sum_header: it
	 * has its own sum; its section lies inside the metadata sum.
	 */
	uint32_t	ext_version;	/* IVF_EXT_VERSION when present */
	uint32_t	proj_m;		/* rows of the projection; 0: none */
	uint64_t	off_proj;
	double		proj_eps;	/* ||P P^T - I||_F of the stored P */
	uint64_t	sum_ext;	/* XXH64 of ext_version..proj_eps */
};

#define IVF_EXT_VERSION		1

/* Per-list metadata. */
struct ivf_lmeta {
	float		xmax;		/* largest ||x|| in the list */
	float		emax;		/* largest quantization error */
	uint64_t	sum;		/* XXH64 of the list's data */
};

/*
 * The coarse projection (section of the file): the centroids' mean mu,
 * P (m x d, orthonormal rows up to eps: the top-m principal axes of the
 * centred centroids) and per centroid c' = fl(c - mu): P c', ||P c'||^2,
 * ||c'|| and bounds rlo <= ||(I - Pi) c'|| <= rhi, Pi the orthogonal
 * projector onto P's rows.
 */
struct ivf_proj {
	int		 m;
	double		 eps;
	const float	*mu;
	const float	*p;
	const float	*pc;
	const float	*pcn;
	const float	*cfn;
	const float	*rlo;
	const float	*rhi;
	float		 cfmax;		/* largest ||c'|| */
};

struct ivf_index {
	int			 fd;
	unsigned char		*map;
	size_t			 size;
	struct ivf_header	 h;
	const float		*centroids;
	const float		*cnorm;
	const uint64_t		*lists;
	const struct ivf_lmeta	*lmeta;
	const float		*sq_min;
	const float		*sq_step;
	const int64_t		*ids;
	const float		*vecs;
	const float		*norms;
	const uint8_t		*codes;
	const float		*errs;
	const struct ivf_kern	*kern;
	struct ivf_proj		 proj;		/* m == 0: none */
	float			 xmax;
	char			*path;
	float			*proj_own;	/* attached projection */
	int			 warm;		/* ivf_warm was called */
};

/* A bounded max-heap of (distance, id): the worst of the best k on top. */
struct ivf_heap {
	int		 k;
	int		 n;
	float		*d;
	int64_t		*id;
};

static int	 ivf_heap_push(struct ivf_heap *, float, int64_t);
static void	 ivf_heap_sorted(struct ivf_heap *, struct ivf_hit *);
static void	 ivf_coarse(const struct ivf_index *, const float *, int,
		    int *, float *, struct ivf_heap *);
static int	 ivf_search_gemm(const struct ivf_index *, const float *,
		    size_t, const struct ivf_search_opts *, struct ivf_hit *,
		    struct ivf_search_stats *);
static void	 ivf_run_threads(void *(*)(void *), void *, size_t, int);
static int	 ivf_proj_pays(const struct blas *, const float *, size_t,
		    int, const float *, const float *, int, const float *,
		    int, double);
static void	 ivf_proj_set(struct ivf_index *, const float *, int,
		    double);
static int	 ivf_search_scan(const struct ivf_index *, const float *,
		    size_t, const struct ivf_search_opts *, struct ivf_hit *,
		    struct ivf_search_stats *);

/* ---------------------------------------------------------------- */
/* metrics */

static const char *const ivf_metric_names[] = { "l2", "dot", "cosine" };

int
ivf_metric_parse(const char *s, enum ivf_metric *m, struct es_err *err)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, ivf_metric_names[i]) == 0) {
			*m = (enum ivf_metric)i;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid metric '%s': "
	    "use l2, cosine or dot", s);
}

const char *
ivf_metric_name(enum ivf_metric m)
{
	return (unsigned)m < 3 ? ivf_metric_names[m] : "unknown";
}

int
ivf_metric_is_similarity(enum ivf_metric m)
{
	return m == IVF_DOT || m == IVF_COSINE;
}

int
ivf_normalize(enum ivf_metric m, float *v, int d, struct es_err *err)
{
	double s = 0;
	float inv;
	int j;

	if (m != IVF_COSINE)
		return 0;
	for (j = 0; j < d; j++)
		s += (double)v[j] * (double)v[j];
	if (!(s > 0) || !isfinite(s))
		return es_err_set(err, ES_EUSAGE, "ZeroVector", "a zero "
		    "vector has no direction and cannot be used with the "
		    "cosine metric");
	inv = (float)(1.0 / sqrt(s));
	for (j = 0; j < d; j++)
		v[j] *= inv;
	return 0;
}

int
ivf_prepare_queries(enum ivf_metric m, const float *q, size_t nq, int d,
    float **out, struct es_err *err)
{
	float *c;
	size_t i;

	c = xreallocarray(NULL, nq * (size_t)d + 1, sizeof(float));
	memcpy(c, q, nq * (size_t)d * sizeof(float));
	for (i = 0; i < nq; i++)
		if (ivf_normalize(m, c + i * (size_t)d, d, err) == -1) {
			free(c);
			return es_err_prefix(err, "query %zu", i + 1);
		}
	*out = c;
	return 0;
}

/* ---------------------------------------------------------------- */
/* XXH64, from libxxhash */

uint64_t
ivf_xxh64(const void *buf, size_t len, uint64_t seed)
{
	return XXH64(buf, len, seed);
}

/* ---------------------------------------------------------------- */
/* heap */

static int
ivf_better(float d1, int64_t i1, float d2, int64_t i2)
{
	return d1 < d2 || (d1 == d2 && i1 < i2);
}

static void
ivf_heap_init(struct ivf_heap *h, int k)
{
	h->k = k;
	h->n = 0;
	h->d = xreallocarray(NULL, (size_t)k, sizeof *h->d);
	h->id = xreallocarray(NULL, (size_t)k, sizeof *h->id);
}

static void
ivf_heap_release(struct ivf_heap *h)
{
	free(h->d);
	free(h->id);
}

static float
ivf_heap_worst(const struct ivf_heap *h)
{
	return h->n < h->k ? INFINITY : h->d[0];
}

/* Returns 1 when (dist, id) entered the heap. */
static int
ivf_heap_push(struct ivf_heap *h, float dist, int64_t id)
{
	int i, c, p;

	if (h->n < h->k) {
		i = h->n++;
		while (i > 0) {
			p = (i - 1) / 2;
			if (!ivf_better(h->d[p], h->id[p], dist, id))
				break;
			h->d[i] = h->d[p];
			h->id[i] = h->id[p];
			i = p;
		}
		h->d[i] = dist;
		h->id[i] = id;
		return 1;
	}
	if (!ivf_better(dist, id, h->d[0], h->id[0]))
		return 0;
	i = 0;
	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && ivf_better(h->d[c], h->id[c], h->d[c + 1],
		    h->id[c + 1]))
			c++;
		if (!ivf_better(dist, id, h->d[c], h->id[c]))
			break;
		h->d[i] = h->d[c];
		h->id[i] = h->id[c];
		i = c;
	}
	h->d[i] = dist;
	h->id[i] = id;
	return 1;
}

/*
 * Writes the heap's entries best first into out[0..k), padding, and
 * empties the heap: an in-place heap sort (the worst is on top), no
 * comparison callback.
 */
static void
ivf_heap_sorted(struct ivf_heap *h, struct ivf_hit *out)
{
	int i, n, c, p;
	float d;
	int64_t id;

	for (n = h->n; n > 0; n--) {
		/* the worst of the n left goes to position n - 1 */
		out[n - 1].dist = h->d[0];
		out[n - 1].id = h->id[0];
		d = h->d[n - 1];
		id = h->id[n - 1];
		p = 0;
		for (;;) {
			c = 2 * p + 1;
			if (c >= n - 1)
				break;
			if (c + 1 < n - 1 && ivf_better(h->d[c], h->id[c],
			    h->d[c + 1], h->id[c + 1]))
				c++;
			if (!ivf_better(d, id, h->d[c], h->id[c]))
				break;
			h->d[p] = h->d[c];
			h->id[p] = h->id[c];
			p = c;
		}
		h->d[p] = d;
		h->id[p] = id;
	}
	for (i = h->n; i < h->k; i++) {
		out[i].dist = INFINITY;
		out[i].id = -1;
	}
	h->n = 0;
}

void
ivf_hits_init(struct ivf_hit *out, size_t nq, int k)
{
	size_t i;

	for (i = 0; i < nq * (size_t)k; i++) {
		out[i].dist = INFINITY;
		out[i].id = -1;
	}
}

static int
ivf_filter_ok(const struct ivf_search_opts *o, int64_t id)
{
	if (o->filter == NULL)
		return 1;
	if (id < 0 || (size_t)id >= o->filter_bits)
		return 0;
	return (o->filter[(size_t)id >> 6] >> ((size_t)id & 63)) & 1;
}

/* ---------------------------------------------------------------- */
/* build */

static double
ivf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
ivf_align(uint64_t off, uint64_t a)
{
	return (off + a - 1) / a * a;
}

/* Buffered writer of the temporary file (with the crash hook). */
struct ivf_writer {
	int		 fd;
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
	uint64_t	 pos;
	uint64_t	 crash_after;	/* 0: never */
	int		 failed;
	int		 errnum;
};

static void
ivf_writer_flush(struct ivf_writer *w)
{
	size_t off = 0;
	ssize_t r;

	while (off < w->len && !w->failed) {
		r = write(w->fd, w->buf + off, w->len - off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->failed = 1;
			w->errnum = errno;
			break;
		}
		off += (size_t)r;
		if (w->crash_after != 0 && w->pos + off >= w->crash_after) {
			/*
			 * Test hook (ESCTL_IVF_CRASH_AFTER_BYTES): die like a
			 * killed process, mid-write.
			 */
			raise(SIGKILL);
		}
	}
	w->pos += w->len;
	w->len = 0;
}

static void
ivf_writer_put(struct ivf_writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t c;

	while (n > 0) {
		if (w->len == w->cap)
			ivf_writer_flush(w);
		c = w->cap - w->len < n ? w->cap - w->len : n;
		memcpy(w->buf + w->len, s, c);
		w->len += c;
		s += c;
		n -= c;
	}
}

static void
ivf_writer_pad(struct ivf_writer *w, uint64_t to)
{
	static const unsigned char zero[4096];
	uint64_t at = w->pos + w->len, n;

	while (at < to) {
		n = to - at < sizeof zero ? to - at : sizeof zero;
		ivf_writer_put(w, zero, (size_t)n);
		at += n;
	}
}

struct ivf_encode_job {
	const float	*x;
	int		 d;
	size_t		 i0, i1;
	const float	*vmin, *step;
	uint8_t		*codes;		/* by id */
	float		*errs;		/* by id */
	float		*norms;		/* by id */
};

/* Codes, quantization error bounds and norms of a range of vectors. */
static void *
ivf_encode_thread(void *arg)
{
	struct ivf_encode_job *j = arg;
	const float *x;
	size_t i;
	double e, t, dec;
	float n, c;
	int k;

	for (i = j->i0; i < j->i1; i++) {
		x = j->x + i * (size_t)j->d;
		e = 0;
		n = 0;
		for (k = 0; k < j->d; k++) {
			c = rintf((x[k] - j->vmin[k]) / j->step[k]);
			if (c < 0)
				c = 0;
			if (c > 255)
				c = 255;
			j->codes[i * (size_t)j->d + (size_t)k] = (uint8_t)c;
			dec = (double)j->vmin[k] + (double)c *
			    (double)j->step[k];
			t = (double)x[k] - dec;
			e += t * t;
			n += x[k] * x[k];
		}
		/* round the bound up, with room for the decode rounding */
		j->errs[i] = nextafterf((float)(sqrt(e) * (1 + 1e-6)),
		    INFINITY);
		j->norms[i] = n;
	}
	return NULL;
}

static void
ivf_run_threads(void *(*fn)(void *), void *jobs, size_t jobsize,
    int threads)
{
	pthread_t *tids;
	int t;

	tids = xcalloc((size_t)threads, sizeof *tids);
	for (t = 1; t < threads; t++)
		if (pthread_create(&tids[t], NULL, fn, (char *)jobs +
		    (size_t)t * jobsize) != 0)
			fatal("cannot create a thread");
	fn(jobs);
	for (t = 1; t < threads; t++)
		pthread_join(tids[t], NULL);
	free(tids);
}

static void
ivf_km_progress(void *arg, int it, int iters, double obj)
{
	const struct ivf_build_opts *o = arg;

	if (o->progress != NULL)
		o->progress(o->arg, "train", it, iters, obj);
}

/* Floats of the coarse projection's section (struct ivf_proj). */
static size_t
ivf_proj_floats(int k, int d, int m)
{
	return (size_t)d + (size_t)m * (size_t)d + (size_t)k * (size_t)m +
	    4 * (size_t)k;
}

/*
 * The file's section offsets from its dimensions (h->ntotal, dim, nlist;
 * ext_version and proj_m for the coarse projection): the one layout the
 * writer uses and the reader demands.  off_ids != 0: the ids section
 * starts there (a file with an extension this esctl does not know, whose
 * section may lie before it); the sections after it follow from it.
 * The caller bounds n, d and k so that nothing overflows.
 */
static void
ivf_layout(struct ivf_header *h, uint64_t off_ids)
{
	uint64_t n = h->ntotal, d = h->dim, k = h->nlist, sq_end;

	h->off_centroids = IVF_HEADER_SIZE;
	h->off_cnorm = ivf_align(h->off_centroids + k * d * 4, 64);
	h->off_lists = ivf_align(h->off_cnorm + k * 4, 64);
	h->off_lmeta = ivf_align(h->off_lists + (k + 1) * 8, 64);
	h->off_sq = ivf_align(h->off_lmeta + k * sizeof(struct ivf_lmeta),
	    64);
	sq_end = h->off_sq + d * 8;
	if (h->ext_version == IVF_EXT_VERSION) {
		h->off_proj = ivf_align(sq_end, 64);
		h->off_ids = ivf_align(h->off_proj + (uint64_t)ivf_proj_floats(
		    (int)k, (int)d, (int)h->proj_m) * 4, 4096);
	} else
		h->off_ids = ivf_align(sq_end, 4096);
	if (off_ids != 0)
		h->off_ids = off_ids;
	h->off_vecs = ivf_align(h->off_ids + n * 8, 4096);
	h->off_norms = ivf_align(h->off_vecs + n * d * 4, 4096);
	h->off_codes = ivf_align(h->off_norms + n * 4, 4096);
	h->off_errs = ivf_align(h->off_codes + n * d, 4096);
	h->file_size = ivf_align(h->off_errs + n * 4, 4096);
}

/*
 * The coarse projection of the k x d centroids c with m rows, into sec
 * (ivf_proj_floats floats, the file section's layout): the top-m
 * principal axes of the centred centroids (LAPACKE_ssyevd) and the
 * centroids' parts of the lower bound of ivf_gemm_coarse_proj.  *eps:
 * ||P P^T - I||_F of the float P as stored, in double: the bound holds
 * for that P, however far its rows are from orthonormal.  Returns 1
 * when eps < 1e-3 (the projection is stored), 0 when not, -1 on error.
 */

static int
ivf_proj_build(const struct blas *blas, const float *c, int k, int d,
    int m, float *sec, double *eps, struct es_err *err)
{
	float *mu = sec, *p = sec + d, *pc = p + (size_t)m * (size_t)d;
	float *pcn = pc + (size_t)k * (size_t)m, *cfn = pcn + k;
	float *rlo = cfn + k, *rhi = rlo + k, *cf, *cov, *w;
	double *acc, s, c2, p2, lo, hi, e;
	size_t kd = (size_t)k * (size_t)d;
	int i, j, a, b;

	acc = xcalloc((size_t)d, sizeof *acc);
	for (i = 0; i < k; i++)
		for (j = 0; j < d; j++)
			acc[j] += c[(size_t)i * (size_t)d + (size_t)j];
	for (j = 0; j < d; j++)
		mu[j] = (float)(acc[j] / k);
	cf = xreallocarray(NULL, kd + 1, sizeof *cf);
	for (i = 0; i < k; i++)
		for (j = 0; j < d; j++)
			cf[(size_t)i * (size_t)d + (size_t)j] =
			    c[(size_t)i * (size_t)d + (size_t)j] - mu[j];
	cov = xcalloc((size_t)d * (size_t)d, sizeof *cov);
	w = xcalloc((size_t)d, sizeof *w);
	blas_sgemm_tn(blas, d, d, k, 1.0f / (float)k, cf, d, cf, d, 0.0f,
	    cov, d);
	if (blas_ssyevd(blas, d, cov, w, err) == -1) {
		free(acc);
		free(cf);
		free(cov);
		free(w);
		return -1;
	}
	/* eigenvalues ascending: row a of P is column d - 1 - a */
	for (a = 0; a < m; a++)
		for (j = 0; j < d; j++)
			p[(size_t)a * (size_t)d + (size_t)j] =
			    cov[(size_t)j * (size_t)d + (size_t)(d - 1 - a)];
	e = 0;
	for (a = 0; a < m; a++)
		for (b = a; b < m; b++) {
			s = 0;
			for (j = 0; j < d; j++)
				s += (double)p[(size_t)a * (size_t)d +
				    (size_t)j] * p[(size_t)b * (size_t)d +
				    (size_t)j];
			s -= a == b;
			e += (a == b ? 1 : 2) * s * s;
		}
	*eps = sqrt(e);
	for (i = 0; i < k; i++) {
		const float *x = cf + (size_t)i * (size_t)d;

		c2 = 0;
		for (j = 0; j < d; j++)
			c2 += (double)x[j] * x[j];
		p2 = 0;
		s = 0;
		for (a = 0; a < m; a++) {
			double t = 0;

			for (j = 0; j < d; j++)
				t += (double)p[(size_t)a * (size_t)d +
				    (size_t)j] * x[j];
			p2 += t * t;
			pc[(size_t)i * (size_t)m + (size_t)a] = (float)t;
			s += (double)(float)t * (float)t;
		}
		pcn[i] = (float)s;
		cfn[i] = nextafterf((float)sqrt(c2), INFINITY);
		/*
		 * ||Pi x||^2 lies in [||P x||^2 / (1 + eps), ||P x||^2 /
		 * (1 - eps)]; 1e-9 of c2 covers the rounding of the sums.
		 */
		lo = c2 - p2 / (1 - *eps) - 1e-9 * c2;
		hi = c2 - p2 / (1 + *eps) + 1e-9 * c2;
		rlo[i] = lo > 0 ? nextafterf((float)sqrt(lo), 0) : 0;
		rhi[i] = hi > 0 ? nextafterf((float)sqrt(hi), INFINITY) : 0;
	}
	free(acc);
	free(cf);
	free(cov);
	free(w);
	return *eps < 1e-3;
}

int
ivf_build(const float *x, size_t n, int d, enum ivf_metric metric,
    const struct ivf_build_opts *o, const char *path,
    struct ivf_build_stats *st, struct es_err *err)
{
	struct ivf_header h;
	struct ivf_writer w;
	struct kmeans_opts ko;
	struct ivf_encode_job *jobs = NULL;
	struct ivf_lmeta *lmeta = NULL;
	size_t m, i, *samp = NULL, nl, p, b0, cnt;
	uint64_t *lists = NULL, *fill = NULL, hsum;
	int64_t *order = NULL;
	int32_t *assign = NULL, *tassign = NULL;
	uint8_t *rest;
	size_t *others;
	float *sample = NULL, *cent = NULL, *cnorm = NULL, *vmin = NULL;
	float *step = NULL, *vmax = NULL, *norms = NULL, *errs = NULL;
	float *gbuf = NULL, xn, *psec = NULL;
	double peps = 0;
	uint8_t *codes = NULL, *cbuf = NULL;
	unsigned char hdr[IVF_HEADER_SIZE];
	char *tmp = NULL, *dir = NULL;
	const char *crash;
	double t0, t1;
	int k = o->nlist, threads = o->threads < 1 ? 1 : o->threads, l, j;
	int fd = -1, rc = -1, pm, saved;

	memset(st, 0, sizeof *st);
	memset(&w, 0, sizeof w);
	w.fd = -1;
	if (k < 1 || (size_t)k > n)
		return es_err_set(err, ES_EUSAGE, "Invalid", "nlist %d needs "
		    "at least %d vectors, the index has %zu", k, k, n);
	if (d < 1 || d > IVF_MAX_DIM)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "dimension %d", d);
	t0 = ivf_now();

	/* training sample (sorted for locality) */
	m = o->sample != 0 ? o->sample : (size_t)k * 256;
	if (m > n)
		m = n;
	if (m < (size_t)k)
		m = (size_t)k;
	sample = xreallocarray(NULL, m * (size_t)d, sizeof(float));
	if (m == n) {
		memcpy(sample, x, n * (size_t)d * sizeof(float));
	} else {
		samp = kmeans_sample(n, m, o->seed);
		for (i = 0; i < m; i++)
			memcpy(sample + i * (size_t)d, x + samp[i] * (size_t)d,
			    (size_t)d * sizeof(float));
	}
	cent = xreallocarray(NULL, (size_t)k * (size_t)d, sizeof(float));
	memset(&ko, 0, sizeof ko);
	ko.iters = o->iters < 1 ? 1 : o->iters;
	ko.seed = o->seed;
	ko.threads = threads;
	ko.init = o->init;
	ko.tol = o->tol;
	ko.progress = ivf_km_progress;
	{
		/* the callback needs the build options */
		union {
			const struct ivf_build_opts *c;
			void *v;
		} u;

		u.c = o;
		ko.arg = u.v;
	}
	/* the final assignment of the sample is the add's for those */
	tassign = xreallocarray(NULL, m, sizeof *tassign);
	ko.assign = tassign;
	if (kmeans_train(o->blas, sample, m, d, k, &ko, cent, &st->km,
	    err) == -1)
		goto done;
	free(sample);
	sample = NULL;
	st->sample = m;
	st->nlist = k;
	st->ntotal = n;
	t1 = ivf_now();
	st->train_seconds = t1 - t0;

	/* add: assignment of every vector, then encoding */
	if (o->progress != NULL)
		o->progress(o->arg, "add", 0, 1, 0);
	cnorm = xreallocarray(NULL, (size_t)k, sizeof(float));
	for (l = 0; l < k; l++) {
		xn = 0;
		for (j = 0; j < d; j++)
			xn += cent[(size_t)l * (size_t)d + (size_t)j] *
			    cent[(size_t)l * (size_t)d + (size_t)j];
		cnorm[l] = xn;
	}
	assign = xreallocarray(NULL, n, sizeof *assign);
	if (m == n) {
		/* the sample is every vector, in order */
		memcpy(assign, tassign, n * sizeof *assign);
	} else {
		/*
		 * The sample's vectors keep their training assignment (to
		 * the same centroids: exact); the others go through sgemm.
		 */
		rest = xreallocarray(NULL, n, 1);
		memset(rest, 1, n);
		for (i = 0; i < m; i++) {
			rest[samp[i]] = 0;
			assign[samp[i]] = tassign[i];
		}
		others = xreallocarray(NULL, n - m + 1, sizeof *others);
		for (i = 0, p = 0; i < n; i++)
			if (rest[i])
				others[p++] = i;
		free(rest);
		kmeans_assign_list(o->blas, x, others, p, d, cent, cnorm, k,
		    threads, assign);
		free(others);
	}
	free(tassign);
	tassign = NULL;
	lists = xcalloc((size_t)k + 1, sizeof *lists);
	for (i = 0; i < n; i++)
		lists[assign[i] + 1]++;
	for (l = 0; l < k; l++)
		lists[l + 1] += lists[l];
	fill = xreallocarray(NULL, (size_t)k, sizeof *fill);
	memcpy(fill, lists, (size_t)k * sizeof *fill);
	order = xreallocarray(NULL, n, sizeof *order);
	for (i = 0; i < n; i++)
		order[fill[assign[i]]++] = (int64_t)i;
	free(assign);
	assign = NULL;
	/* scalar quantizer: per-dimension range */
	vmin = xreallocarray(NULL, (size_t)d, sizeof(float));
	vmax = xreallocarray(NULL, (size_t)d, sizeof(float));
	step = xreallocarray(NULL, (size_t)d, sizeof(float));
	memcpy(vmin, x, (size_t)d * sizeof(float));
	memcpy(vmax, x, (size_t)d * sizeof(float));
	for (i = 1; i < n; i++)
		for (j = 0; j < d; j++) {
			xn = x[i * (size_t)d + (size_t)j];
			if (xn < vmin[j])
				vmin[j] = xn;
			if (xn > vmax[j])
				vmax[j] = xn;
		}
	for (j = 0; j < d; j++) {
		step[j] = (vmax[j] - vmin[j]) / 255.0f;
		if (!(step[j] > 0) || !isfinite(step[j]))
			step[j] = 1;
	}
	codes = xreallocarray(NULL, n * (size_t)d, 1);
	errs = xreallocarray(NULL, n, sizeof(float));
	norms = xreallocarray(NULL, n, sizeof(float));
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	for (j = 0; j < threads; j++) {
		jobs[j].x = x;
		jobs[j].d = d;
		jobs[j].i0 = n * (size_t)j / (size_t)threads;
		jobs[j].i1 = n * ((size_t)j + 1) / (size_t)threads;
		jobs[j].vmin = vmin;
		jobs[j].step = step;
		jobs[j].codes = codes;
		jobs[j].errs = errs;
		jobs[j].norms = norms;
	}
	ivf_run_threads(ivf_encode_thread, jobs, sizeof *jobs, threads);
	lmeta = xcalloc((size_t)k, sizeof *lmeta);
	for (l = 0; l < k; l++)
		for (p = lists[l]; p < lists[l + 1]; p++) {
			i = (size_t)order[p];
			xn = sqrtf(norms[i]) * (1 + 1e-6f);
			if (xn > lmeta[l].xmax)
				lmeta[l].xmax = xn;
			if (errs[i] > lmeta[l].emax)
				lmeta[l].emax = errs[i];
		}
	/* the coarse projection (part of the add's time) */
	pm = o->proj_dim > 0 ? o->proj_dim : o->proj_dim == 0 && d >=
	    IVF_PROJ_MIN_DIM && k >= IVF_PROJ_MIN_NLIST ? IVF_PROJ_DIM : 0;
	if (pm > d)
		pm = d;
	if (pm > 0) {
		/*
		 * BLAS on one thread: LAPACK's and the trial's sums then do
		 * not depend on the thread count (the same file whatever
		 * --threads)
		 */
		saved = blas_get_threads(o->blas);
		blas_set_threads(o->blas, 1);
		psec = xreallocarray(NULL, ivf_proj_floats(k, d, pm),
		    sizeof *psec);
		switch (ivf_proj_build(o->blas, cent, k, d, pm, psec, &peps,
		    err)) {
		case -1:
			blas_set_threads(o->blas, saved);
			goto done;
		case 0:
			pm = 0;	/* not orthonormal enough to pay */
			break;
		}
		if (pm > 0 && o->proj_dim == 0 && !ivf_proj_pays(o->blas, x, n,
		    d, cent, cnorm, k, psec, pm, peps))
			pm = 0;
		blas_set_threads(o->blas, saved);
	}
	st->proj_dim = pm;
	st->add_seconds = ivf_now() - t1;
	t1 = ivf_now();

	/* layout */
	memset(&h, 0, sizeof h);
	memcpy(h.magic, IVF_MAGIC, 8);
	h.version = IVF_VERSION;
	h.header_size = IVF_HEADER_SIZE;
	h.dim = (uint32_t)d;
	h.metric = (uint32_t)metric;
	h.nlist = (uint32_t)k;
	h.flags = IVF_FLAG_SQ8;
	h.ntotal = n;
	h.index_uid = o->index_uid;
	h.seed = o->seed;
	h.iters = (uint32_t)st->km.iters_run;
	h.init = (uint32_t)o->init;
	h.sample = m;
	h.objective = st->km.obj_final;
	h.created = (double)time(NULL);
	if (pm > 0) {
		h.ext_version = IVF_EXT_VERSION;
		h.proj_m = (uint32_t)pm;
		h.proj_eps = peps;
	}
	ivf_layout(&h, 0);
	if (pm > 0)
		h.sum_ext = ivf_xxh64(&h.ext_version, offsetof(struct
		    ivf_header, sum_ext) - offsetof(struct ivf_header,
		    ext_version), 0);

	/* largest list, for the gather buffers */
	nl = 0;
	for (l = 0; l < k; l++)
		if (lists[l + 1] - lists[l] > nl)
			nl = lists[l + 1] - lists[l];
	gbuf = xreallocarray(NULL, nl * (size_t)d + 1, sizeof(float));
	cbuf = xreallocarray(NULL, nl * (size_t)d + 1, 1);

	/* write the temporary file */
	dir = util_dirname(path);
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot create '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	w.fd = fd;
	w.cap = 1 << 20;
	w.buf = xmalloc(w.cap);
	if ((crash = getenv("ESCTL_IVF_CRASH_AFTER_BYTES")) != NULL)
		w.crash_after = strtoull(crash, NULL, 10);
	memset(hdr, 0, sizeof hdr);
	ivf_writer_put(&w, hdr, sizeof hdr);
	ivf_writer_put(&w, cent, (size_t)k * (size_t)d * 4);
	ivf_writer_pad(&w, h.off_cnorm);
	ivf_writer_put(&w, cnorm, (size_t)k * 4);
	ivf_writer_pad(&w, h.off_lists);
	ivf_writer_put(&w, lists, ((size_t)k + 1) * 8);
	ivf_writer_pad(&w, h.off_lmeta);
	ivf_writer_put(&w, lmeta, (size_t)k * sizeof *lmeta);
	ivf_writer_pad(&w, h.off_sq);
	ivf_writer_put(&w, vmin, (size_t)d * 4);
	ivf_writer_put(&w, step, (size_t)d * 4);
	if (pm > 0) {
		ivf_writer_pad(&w, h.off_proj);
		ivf_writer_put(&w, psec, ivf_proj_floats(k, d, pm) * 4);
	}
	/*
	 * The sections, list by list: each list's data is gathered once,
	 * hashed (the list's checksum combines its sections) and written.
	 */
	ivf_writer_pad(&w, h.off_ids);
	for (l = 0; l < k; l++) {
		b0 = lists[l];
		cnt = lists[l + 1] - b0;
		lmeta[l].sum = ivf_xxh64(order + b0, cnt * 8, 0);
		ivf_writer_put(&w, order + b0, cnt * 8);
	}
	ivf_writer_pad(&w, h.off_vecs);
	for (l = 0; l < k; l++) {
		b0 = lists[l];
		cnt = lists[l + 1] - b0;
		for (p = 0; p < cnt; p++)
			memcpy(gbuf + p * (size_t)d, x + (size_t)order[b0 + p] *
			    (size_t)d, (size_t)d * sizeof(float));
		lmeta[l].sum ^= ivf_xxh64(gbuf, cnt * (size_t)d * 4, 1);
		ivf_writer_put(&w, gbuf, cnt * (size_t)d * 4);
	}
	ivf_writer_pad(&w, h.off_norms);
	for (l = 0; l < k; l++) {
		b0 = lists[l];
		cnt = lists[l + 1] - b0;
		for (p = 0; p < cnt; p++)
			gbuf[p] = norms[order[b0 + p]];
		lmeta[l].sum ^= ivf_xxh64(gbuf, cnt * 4, 3);
		ivf_writer_put(&w, gbuf, cnt * 4);
	}
	ivf_writer_pad(&w, h.off_codes);
	for (l = 0; l < k; l++) {
		b0 = lists[l];
		cnt = lists[l + 1] - b0;
		for (p = 0; p < cnt; p++)
			memcpy(cbuf + p * (size_t)d, codes +
			    (size_t)order[b0 + p] * (size_t)d, (size_t)d);
		lmeta[l].sum ^= ivf_xxh64(cbuf, cnt * (size_t)d, 2);
		ivf_writer_put(&w, cbuf, cnt * (size_t)d);
	}
	ivf_writer_pad(&w, h.off_errs);
	for (l = 0; l < k; l++) {
		b0 = lists[l];
		cnt = lists[l + 1] - b0;
		for (p = 0; p < cnt; p++)
			gbuf[p] = errs[order[b0 + p]];
		lmeta[l].sum ^= ivf_xxh64(gbuf, cnt * 4, 4);
		ivf_writer_put(&w, gbuf, cnt * 4);
	}
	ivf_writer_pad(&w, h.file_size);
	ivf_writer_flush(&w);
	if (w.failed) {
		es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", tmp,
		    strerror(w.errnum));
		goto done;
	}
	/* the list checksums, then the metadata checksum, then the header */
	if (pwrite(fd, lmeta, (size_t)k * sizeof *lmeta, (off_t)h.off_lmeta) !=
	    (ssize_t)((size_t)k * sizeof *lmeta)) {
		es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	{
		size_t ml = (size_t)(h.off_ids - h.off_centroids);
		unsigned char *mb = xmalloc(ml);
		ssize_t r = pread(fd, mb, ml, (off_t)h.off_centroids);

		if (r != (ssize_t)ml) {
			free(mb);
			es_err_set(err, ES_EFAIL, NULL, "cannot read back "
			    "'%s'", tmp);
			goto done;
		}
		h.sum_meta = ivf_xxh64(mb, ml, 0);
		free(mb);
	}
	hsum = ivf_xxh64(&h, offsetof(struct ivf_header, sum_header), 0);
	h.sum_header = hsum;
	memcpy(hdr, &h, sizeof h);
	if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
	    fsync(fd) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot rename '%s' to '%s': "
		    "%s", tmp, path, strerror(errno));
		goto done;
	}
	/* the identity of the file it replaced no longer matters */
	{
		char *vp = xasprintf("%s" IVF_VERIFIED_SUFFIX, path);

		(void)unlink(vp);
		free(vp);
	}
	if (util_fsync_dir(dir, err) == -1)
		goto done;
	st->write_seconds = ivf_now() - t1;
	st->file_size = h.file_size;
	rc = 0;
done:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	free(w.buf);
	free(tmp);
	free(dir);
	free(samp);
	free(sample);
	free(cent);
	free(cnorm);
	free(assign);
	free(tassign);
	free(lists);
	free(fill);
	free(order);
	free(vmin);
	free(vmax);
	free(step);
	free(codes);
	free(errs);
	free(norms);
	free(jobs);
	free(lmeta);
	free(gbuf);
	free(cbuf);
	free(psec);
	return rc;
}

/* ---------------------------------------------------------------- */
/* open */

/* The line PATH.verified holds: what identifies a checked file. */
static int
ivf_identity(const struct stat *st, const struct ivf_header *h, char *buf,
    size_t len)
{
	return snprintf(buf, len, "esctl-ivf-verified 1 %llu %llu %lld "
	    "%lld.%09ld %lld.%09ld %llu %016llx %016llx\n",
	    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec,
	    st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
	    st->st_ctim.tv_nsec, (unsigned long long)h->index_uid,
	    (unsigned long long)h->sum_meta,
	    (unsigned long long)h->sum_header);
}

/* 1 when PATH.verified records exactly this identity. */
static int
ivf_verified_get(const char *path, const char *id, size_t idlen)
{
	char *vp = xasprintf("%s" IVF_VERIFIED_SUFFIX, path);
	char buf[256];
	ssize_t r;
	int fd;

	fd = open(vp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(vp);
	if (fd == -1)
		return 0;
	r = read(fd, buf, sizeof buf);
	close(fd);
	return r == (ssize_t)idlen && memcmp(buf, id, idlen) == 0;
}

/*
 * Records the identity of a file whose metadata checksum just passed.
 * Not while the file's last change is less than IVF_VERIFIED_SETTLE
 * seconds old: a later write within the same tick of the clock file
 * times come from, or the same second or two on a file system that
 * keeps coarse times, could leave mtime and ctime as they are.  Best
 * effort (a reader that cannot write the directory checks every time).
 */
#define IVF_VERIFIED_SETTLE	2
static void
ivf_verified_put(const char *path, const struct stat *st, const char *id,
    size_t idlen)
{
	struct timespec now;
	char *vp, *tmp;
	int fd, ok;

	if (clock_gettime(CLOCK_REALTIME_COARSE, &now) == -1)
		return;
	now.tv_sec -= IVF_VERIFIED_SETTLE;
	if (st->st_ctim.tv_sec > now.tv_sec || (st->st_ctim.tv_sec ==
	    now.tv_sec && st->st_ctim.tv_nsec >= now.tv_nsec) ||
	    st->st_mtim.tv_sec > now.tv_sec || (st->st_mtim.tv_sec ==
	    now.tv_sec && st->st_mtim.tv_nsec >= now.tv_nsec))
		return;
	vp = xasprintf("%s" IVF_VERIFIED_SUFFIX, path);
	tmp = xasprintf("%s.tmp.v%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd != -1) {
		ok = write(fd, id, idlen) == (ssize_t)idlen;
		if (close(fd) == -1 || !ok || rename(tmp, vp) == -1)
			unlink(tmp);
	}
	free(tmp);
	free(vp);
}

/* Points ix->proj into the section sec. */
static void
ivf_proj_set(struct ivf_index *ix, const float *sec, int m, double eps)
{
	struct ivf_proj *pj = &ix->proj;
	size_t k = ix->h.nlist, d = ix->h.dim, l;

	pj->m = m;
	pj->eps = eps;
	pj->mu = sec;
	pj->p = pj->mu + d;
	pj->pc = pj->p + (size_t)m * d;
	pj->pcn = pj->pc + k * (size_t)m;
	pj->cfn = pj->pcn + k;
	pj->rlo = pj->cfn + k;
	pj->rhi = pj->rlo + k;
	pj->cfmax = 0;
	for (l = 0; l < k; l++)
		if (pj->cfn[l] > pj->cfmax)
			pj->cfmax = pj->cfn[l];
}

int
ivf_proj_dim(const struct ivf_index *ix)
{
	return ix->proj.m;
}

int
ivf_proj_attach(struct ivf_index *ix, const struct blas *blas, int m,
    struct es_err *err)
{
	int k = (int)ix->h.nlist, d = (int)ix->h.dim, rc;
	float *sec;
	double eps;

	if (m < 1 || m > d)
		return es_err_set(err, ES_EUSAGE, "Invalid", "projection "
		    "rows %d: use 1 to %d", m, d);
	sec = xreallocarray(NULL, ivf_proj_floats(k, d, m), sizeof *sec);
	rc = ivf_proj_build(blas, ix->centroids, k, d, m, sec, &eps, err);
	if (rc != 1) {
		free(sec);
		return rc == -1 ? -1 : es_err_set(err, ES_EFAIL, NULL,
		    "projection rows not orthonormal (%g)", eps);
	}
	free(ix->proj_own);
	ix->proj_own = sec;
	ivf_proj_set(ix, sec, m, eps);
	return 0;
}

int
ivf_open(const char *path, uint64_t expect_uid, struct ivf_index **out,
    struct es_err *err)
{
	return ivf_open_flags(path, expect_uid, 0, out, err);
}

int
ivf_open_flags(const char *path, uint64_t expect_uid, int flags,
    struct ivf_index **out, struct es_err *err)
{
	char id[256];
	int idlen = 0, known = 0, later;
	struct ivf_index *ix;
	struct stat st;
	struct ivf_header h, e;
	unsigned char *map;
	uint64_t n, d, k, l;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
		    ES_EFAIL, NULL, "cannot open index file '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || st.st_size < IVF_HEADER_SIZE) {
		close(fd);
		return es_err_set(err, ES_EFAIL, "CorruptIndex", "index file "
		    "'%s' is truncated (%lld bytes)", path,
		    (long long)st.st_size);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return es_err_set(err, ES_EFAIL, NULL, "cannot map '%s': %s",
		    path, strerror(errno));
	}
	memcpy(&h, map, sizeof h);
#define IVF_BAD(...) do {						\
	munmap(map, (size_t)st.st_size);				\
	close(fd);							\
	return es_err_set(err, ES_EFAIL, "CorruptIndex", __VA_ARGS__);	\
} while (0)
	if (memcmp(h.magic, IVF_MAGIC, 8) != 0)
		IVF_BAD("'%s' is not an esctl index file (bad magic)", path);
	if (h.version != IVF_VERSION)
		IVF_BAD("index file '%s' has format version %u; this esctl "
		    "reads version %d: rebuild it with 'esctl index build'",
		    path, h.version, IVF_VERSION);
	if (ivf_xxh64(&h, offsetof(struct ivf_header, sum_header), 0) !=
	    h.sum_header)
		IVF_BAD("index file '%s' is corrupt: header checksum "
		    "mismatch", path);
	n = h.ntotal;
	d = h.dim;
	k = h.nlist;
	/* each vector takes more than a byte: n below the size, no overflow */
	if (h.header_size != IVF_HEADER_SIZE || d == 0 || d > IVF_MAX_DIM ||
	    k == 0 || k > n || n > (uint64_t)st.st_size || h.metric > 2 ||
	    h.file_size != (uint64_t)st.st_size)
		IVF_BAD("index file '%s' is corrupt or truncated (size %lld, "
		    "expected %llu)", path, (long long)st.st_size,
		    (unsigned long long)h.file_size);
	/* extension 1; a later one this esctl does not know is ignored */
	if (h.ext_version == IVF_EXT_VERSION && (ivf_xxh64(&h.ext_version,
	    offsetof(struct ivf_header, sum_ext) - offsetof(struct
	    ivf_header, ext_version), 0) != h.sum_ext || h.proj_m < 1 ||
	    h.proj_m > d || !(h.proj_eps >= 0 && h.proj_eps < 1e-3)))
		IVF_BAD("index file '%s' is corrupt: bad coarse projection "
		    "header", path);
	/*
	 * The sections lie exactly where the writer puts them; with an
	 * unknown extension the ids section may start later (its section
	 * before it), on a page, and the rest follows from there.
	 */
	e = h;
	later = h.ext_version != 0 && h.ext_version != IVF_EXT_VERSION;
	ivf_layout(&e, 0);
	if (later && (h.off_ids % 4096 != 0 || h.off_ids < e.off_ids ||
	    h.off_ids > h.file_size))
		IVF_BAD("index file '%s' is corrupt: bad section offsets",
		    path);
	if (later)
		ivf_layout(&e, h.off_ids);
	if (e.off_centroids != h.off_centroids || e.off_cnorm !=
	    h.off_cnorm || e.off_lists != h.off_lists || e.off_lmeta !=
	    h.off_lmeta || e.off_sq != h.off_sq || e.off_ids != h.off_ids ||
	    e.off_vecs != h.off_vecs || e.off_norms != h.off_norms ||
	    e.off_codes != h.off_codes || e.off_errs != h.off_errs ||
	    e.file_size != h.file_size || (h.ext_version == IVF_EXT_VERSION &&
	    e.off_proj != h.off_proj))
		IVF_BAD("index file '%s' is corrupt: bad section offsets",
		    path);
	if (flags & IVF_OPEN_VERIFIED_ONCE) {
		idlen = ivf_identity(&st, &h, id, sizeof id);
		known = idlen > 0 && (size_t)idlen < sizeof id &&
		    ivf_verified_get(path, id, (size_t)idlen);
	}
	if (!known && ivf_xxh64(map + h.off_centroids, h.off_ids -
	    h.off_centroids, 0) != h.sum_meta)
		IVF_BAD("index file '%s' is corrupt: metadata checksum "
		    "mismatch", path);
	if (expect_uid != 0 && h.index_uid != expect_uid)
		IVF_BAD("index file '%s' belongs to another index", path);
#undef IVF_BAD
	ix = xcalloc(1, sizeof *ix);
	ix->fd = fd;
	ix->map = map;
	ix->size = (size_t)st.st_size;
	ix->h = h;
	ix->centroids = (const float *)(map + h.off_centroids);
	ix->cnorm = (const float *)(map + h.off_cnorm);
	ix->lists = (const uint64_t *)(map + h.off_lists);
	ix->lmeta = (const struct ivf_lmeta *)(map + h.off_lmeta);
	ix->sq_min = (const float *)(map + h.off_sq);
	ix->sq_step = ix->sq_min + d;
	ix->ids = (const int64_t *)(map + h.off_ids);
	ix->vecs = (const float *)(map + h.off_vecs);
	ix->norms = (const float *)(map + h.off_norms);
	ix->codes = map + h.off_codes;
	ix->errs = (const float *)(map + h.off_errs);
	ix->kern = ivf_kern_select();
	ix->path = xstrdup(path);
	if (h.ext_version == IVF_EXT_VERSION)
		ivf_proj_set(ix, (const float *)(map + h.off_proj),
		    (int)h.proj_m, h.proj_eps);
	if (ix->lists[0] != 0 || ix->lists[k] != n) {
		ivf_free(ix);
		return es_err_set(err, ES_EFAIL, "CorruptIndex", "index file "
		    "'%s' is corrupt: bad list offsets", path);
	}
	for (l = 0; l < k; l++) {
		if (ix->lists[l + 1] < ix->lists[l]) {
			ivf_free(ix);
			return es_err_set(err, ES_EFAIL, "CorruptIndex",
			    "index file '%s' is corrupt: bad list offsets",
			    path);
		}
		if (ix->lmeta[l].xmax > ix->xmax)
			ix->xmax = ix->lmeta[l].xmax;
	}
	if ((flags & IVF_OPEN_VERIFIED_ONCE) && !known && idlen > 0 &&
	    (size_t)idlen < sizeof id)
		ivf_verified_put(path, &st, id, (size_t)idlen);
	*out = ix;
	return 0;
}

int
ivf_reseal(const char *path, struct es_err *err)
{
	struct ivf_header h;
	struct stat st;
	unsigned char *buf;
	int fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return es_err_set(err, ES_EFAIL, NULL, "cannot open '%s': %s",
		    path, strerror(errno));
	if (fstat(fd, &st) == -1 || st.st_size < IVF_HEADER_SIZE ||
	    pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
		es_err_set(err, ES_EFAIL, NULL, "'%s' is too short for an "
		    "index header", path);
		goto out;
	}
	if (h.off_centroids <= h.off_ids && h.off_ids <= (uint64_t)st.st_size) {
		buf = xmalloc((size_t)(h.off_ids - h.off_centroids) + 1);
		if (pread(fd, buf, (size_t)(h.off_ids - h.off_centroids),
		    (off_t)h.off_centroids) == (ssize_t)(h.off_ids -
		    h.off_centroids))
			h.sum_meta = ivf_xxh64(buf, (size_t)(h.off_ids -
			    h.off_centroids), 0);
		free(buf);
	}
	if (h.ext_version == IVF_EXT_VERSION)
		h.sum_ext = ivf_xxh64(&h.ext_version, offsetof(struct
		    ivf_header, sum_ext) - offsetof(struct ivf_header,
		    ext_version), 0);
	h.sum_header = ivf_xxh64(&h, offsetof(struct ivf_header,
	    sum_header), 0);
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
		es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

void
ivf_free(struct ivf_index *ix)
{
	if (ix == NULL)
		return;
	munmap(ix->map, ix->size);
	close(ix->fd);
	free(ix->path);
	free(ix->proj_own);
	free(ix);
}

int
ivf_dim(const struct ivf_index *ix)
{
	return (int)ix->h.dim;
}

int
ivf_nlist(const struct ivf_index *ix)
{
	return (int)ix->h.nlist;
}

size_t
ivf_ntotal(const struct ivf_index *ix)
{
	return (size_t)ix->h.ntotal;
}

enum ivf_metric
ivf_metric(const struct ivf_index *ix)
{
	return (enum ivf_metric)ix->h.metric;
}

uint64_t
ivf_warm(const struct ivf_index *ix)
{
	const volatile unsigned char *p = ix->map;
	uint64_t sum = 0;
	size_t i;

	/*
	 * Locked when permitted, so that page cache reclaim cannot turn a
	 * measurement into one of the disk; touched in any case.
	 */
	madvise(ix->map, ix->size, MADV_WILLNEED);
	(void)mlock(ix->map, ix->size);
	((struct ivf_index *)(uintptr_t)ix)->warm = 1;
	for (i = 0; i < ix->size; i += 4096)
		sum += p[i];
	return sum;
}

const float *
ivf_centroids(const struct ivf_index *ix)
{
	return ix->centroids;
}

/* ---------------------------------------------------------------- */
/* search */

/* The nprobe lists nearest to q (squared L2 to the centroids), in order. */
static void
ivf_coarse(const struct ivf_index *ix, const float *q, int nprobe,
    int *probe, float *dist, struct ivf_heap *h)
{
	struct ivf_hit *tmp;
	int l, k = (int)ix->h.nlist;

	ix->kern->l2_rows(q, ix->centroids, (size_t)k, ix->h.dim, dist);
	h->n = 0;
	for (l = 0; l < k; l++)
		ivf_heap_push(h, dist[l], l);
	tmp = xreallocarray(NULL, (size_t)nprobe, sizeof *tmp);
	ivf_heap_sorted(h, tmp);
	for (l = 0; l < nprobe; l++)
		probe[l] = (int)tmp[l].id;
	free(tmp);
}

struct ivf_scan_job {
	const struct ivf_index		*ix;
	const float			*q;	/* prepared queries */
	size_t				 q0, q1;
	const struct ivf_search_opts	*o;
	struct ivf_hit			*out;
	uint64_t			 scanned;
	uint64_t			 rescored;
};

/*
 * Maps the probed lists' pages in one call each (MADV_POPULATE_READ), so
 * that a process searching once does not take a page fault every 64 KiB.
 */
static void
ivf_populate(const struct ivf_index *ix, const int *probe, int nprobe,
    int flat)
{
#ifdef MADV_POPULATE_READ
	const unsigned char *base = flat ? (const unsigned char *)ix->vecs :
	    ix->codes;
	size_t row = flat ? (size_t)ix->h.dim * 4 : ix->h.dim, b, e;
	uintptr_t a0, a1;
	int pi;

	for (pi = 0; pi < nprobe; pi++) {
		b = ix->lists[probe[pi]];
		e = ix->lists[probe[pi] + 1];
		if (e == b)
			continue;
		a0 = (uintptr_t)(base + b * row) & ~(uintptr_t)4095;
		a1 = (uintptr_t)(base + e * row);
		(void)madvise((void *)a0, a1 - a0, MADV_POPULATE_READ);
	}
#else
	(void)ix;
	(void)probe;
	(void)nprobe;
	(void)flat;
#endif
}

/* Per-query scan of the probed lists (sq8 with exact re-score, or flat). */
static void *
ivf_scan_thread(void *arg)
{
	struct ivf_scan_job *j = arg;
	const struct ivf_index *ix = j->ix;
	const struct ivf_search_opts *o = j->o;
	const struct ivf_kern *kn = ix->kern;
	size_t d = ix->h.dim, qi, b, e, p, nb, i;
	int nprobe = o->nprobe, pi, l, flat = o->mode == IVF_MODE_FLAT;
	int sim = ivf_metric_is_similarity((enum ivf_metric)ix->h.metric);
	struct ivf_heap h, ch;
	float *qs, *w, *a, *cdist, exact, thr = INFINITY, tau, slack = 0;
	float qnorm = 0, qconst = 0, eq = 0;
	double delta = (double)(d + 16) * IVF_U * 4, s, sabs;
	const float *q;
	const uint8_t *cl;
	int *probe, changed;

	ivf_heap_init(&h, o->k);
	ivf_heap_init(&ch, nprobe);
	qs = xreallocarray(NULL, d, sizeof(float));
	w = xreallocarray(NULL, d, sizeof(float));
	a = xreallocarray(NULL, IVF_SCAN_BLOCK, sizeof(float));
	cdist = xreallocarray(NULL, ix->h.nlist, sizeof(float));
	probe = xreallocarray(NULL, (size_t)nprobe, sizeof(int));
	for (qi = j->q0; qi < j->q1; qi++) {
		q = j->q + qi * d;
		ivf_coarse(ix, q, nprobe, probe, cdist, &ch);
		h.n = 0;
		/* per-query constants of the 8-bit scan and its bounds */
		s = 0;
		sabs = 0;
		qnorm = 0;
		for (i = 0; i < d; i++) {
			float mn = ix->sq_min[i], st = ix->sq_step[i];

			if (sim) {
				qs[i] = q[i] * st;
				s += (double)q[i] * mn;
				sabs += fabs((double)q[i]) * fmax(fabs(mn),
				    fabs(mn + 255.0 * st));
			} else {
				qs[i] = (q[i] - mn) / st;
				w[i] = st * st;
				s += (double)w[i] * (fabs(qs[i]) + 256) *
				    (fabs(qs[i]) + 256);
			}
			qnorm += q[i] * q[i];
		}
		qnorm = sqrtf(qnorm);
		if (sim) {
			qconst = (float)s;
			slack = (float)(8.0 * (double)(d + 16) * IVF_U * sabs);
		} else
			eq = (float)(8.0 * IVF_U * sqrt(s));
		if (!ix->warm)
			ivf_populate(ix, probe, nprobe, flat);
		for (pi = 0; pi < nprobe; pi++) {
			l = probe[pi];
			b = ix->lists[l];
			e = ix->lists[l + 1];
			cl = ix->codes;
			if (pi + 1 < nprobe) {
				size_t nb2 = ix->lists[probe[pi + 1]];

				if (flat)
					__builtin_prefetch(ix->vecs + nb2 * d);
				else
					__builtin_prefetch(ix->codes + nb2 *
					    d);
			}
			for (p = b; p < e; p += nb) {
				nb = e - p < IVF_SCAN_BLOCK ? e - p :
				    IVF_SCAN_BLOCK;
				j->scanned += nb;
				if (flat) {
					if (sim)
						kn->ndot_rows(q, ix->vecs + p *
						    d, nb, d, a);
					else
						kn->l2_rows(q, ix->vecs + p *
						    d, nb, d, a);
					for (i = 0; i < nb; i++)
						if (a[i] <= ivf_heap_worst(
						    &h) && ivf_filter_ok(o,
						    ix->ids[p + i]))
							ivf_heap_push(&h, a[i],
							    ix->ids[p + i]);
					continue;
				}
				if (sim)
					kn->sq8_ndot_rows(qs, cl + p * d, nb, d,
					    a);
				else
					kn->sq8_l2_rows(qs, w, cl + p * d, nb,
					    d, a);
				changed = 1;
				for (i = 0; i < nb; i++) {
					if (changed) {
						tau = ivf_heap_worst(&h);
						if (isinf(tau))
							thr = INFINITY;
						else if (sim)
							thr = tau + qnorm *
							    ix->lmeta[l].emax +
							    slack + qconst;
						else {
							double r = sqrt((double)
							    tau * (1 + 2 *
							    delta)) +
							    ix->lmeta[l].emax +
							    eq;

							thr = (float)(r * r *
							    (1 + delta));
						}
						changed = 0;
					}
					if (a[i] > thr)
						continue;
					if (!ivf_filter_ok(o, ix->ids[p + i]))
						continue;
					if (sim)
						kn->ndot_rows(q, ix->vecs +
						    (p + i) * d, 1, d, &exact);
					else
						kn->l2_rows(q, ix->vecs +
						    (p + i) * d, 1, d, &exact);
					j->rescored++;
					if (ivf_heap_push(&h, exact,
					    ix->ids[p + i]))
						changed = 1;
				}
			}
		}
		ivf_heap_sorted(&h, j->out + qi * (size_t)o->k);
	}
	ivf_heap_release(&h);
	ivf_heap_release(&ch);
	free(qs);
	free(w);
	free(a);
	free(cdist);
	free(probe);
	return NULL;
}

static int
ivf_search_scan(const struct ivf_index *ix, const float *q, size_t nq,
    const struct ivf_search_opts *o, struct ivf_hit *out,
    struct ivf_search_stats *st)
{
	struct ivf_scan_job *jobs;
	int t, threads = o->threads < 1 ? 1 : o->threads;

	if ((size_t)threads > nq)
		threads = (int)nq;
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	for (t = 0; t < threads; t++) {
		jobs[t].ix = ix;
		jobs[t].q = q;
		jobs[t].q0 = nq * (size_t)t / (size_t)threads;
		jobs[t].q1 = nq * ((size_t)t + 1) / (size_t)threads;
		jobs[t].o = o;
		jobs[t].out = out;
	}
	ivf_run_threads(ivf_scan_thread, jobs, sizeof *jobs, threads);
	for (t = 0; t < threads; t++) {
		st->scanned += jobs[t].scanned;
		st->rescored += jobs[t].rescored;
	}
	free(jobs);
	return 0;
}

/* One batch of the sgemm path, shared by its threads. */
struct ivf_gemm_batch {
	const struct ivf_index		*ix;
	const float			*q;	/* prepared queries */
	size_t				 nq;
	const struct ivf_search_opts	*o;
	struct ivf_hit			*out;
	int				 threads;
	int				*probe;	/* nq x nprobe */
	float				*margin; /* per query: 2E */
	float				*qn;	/* per query: ||q||^2 (l2) */
	size_t				*qoff;	/* queries of each list */
	size_t				*qlist;
	struct ivf_heap			*gq;	/* threads x nq: exact top k */
	float				 cmax;	/* largest centroid norm */
	int				 next;	/* next list to take */
};

struct ivf_gemm_job {
	struct ivf_gemm_batch		*b;
	int				 t;
	double				 cpu[3];	/* per phase */
	uint64_t			 scanned;
	uint64_t			 rescored;
	uint64_t			 coarse_exact;	/* centroids ranked */
	float				*hp;	/* k floats */
	uint32_t			*sel;	/* a row's candidates */
	float				*lim;	/* a block's row bounds */
	uint64_t			 tk_lists;	/* ticks: list phase */
	uint64_t			 tk_rerank;	/* of which re-rank */
};

/* A cheap monotonic tick count, for the share of a phase's parts. */
static inline uint64_t
ivf_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * Queries per sgemm of the batch's coarse step: blocks of G (queries x
 * nlist) of about IVF_COARSE_G floats, at least IVF_COARSE_QB queries.
 * OpenBLAS packs the centroids once per call, so small blocks re-read
 * (and re-pack) all the centroids every few queries: at d 960 and nlist
 * 1,024 that is 3.9 MB per 64 queries.
 */
#define IVF_COARSE_QB		64
#define IVF_COARSE_QBMAX	1024
#define IVF_COARSE_G		(1 << 20)

/* Float max-heap push of the nprobe smallest values (top: the largest). */
static void
ivf_fheap_push(float *hp, int *n, int k, float a)
{
	int i, c, p;

	if (*n < k) {
		i = (*n)++;
		while (i > 0 && hp[(p = (i - 1) / 2)] < a) {
			hp[i] = hp[p];
			i = p;
		}
		hp[i] = a;
		return;
	}
	if (!(a < hp[0]))
		return;
	for (i = 0;; i = c) {
		c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && hp[c + 1] > hp[c])
			c++;
		if (!(hp[c] > a))
			break;
		hp[i] = hp[c];
	}
	hp[i] = a;
}

/* (lower bound, centroid) of the projected coarse step */
struct ivf_lbc {
	float		 lb;
	uint32_t	 c;
};

/*
 * Exact distances of query q to the centroids rows[0..n) (four per
 * kernel call: the same bits as ivf_coarse's), into the nprobe-heap ch.
 */
static void
ivf_coarse_exact(const struct ivf_index *ix, const float *q,
    const uint32_t *rows, size_t n, struct ivf_heap *ch)
{
	float ex[4];
	size_t i, m;

	for (i = 0; i < n; i += 4) {
		m = n - i < 4 ? n - i : 4;
		ix->kern->l2_gather(q, ix->centroids, rows + i, m, ix->h.dim,
		    ex);
		while (m-- > 0)
			ivf_heap_push(ch, ex[m], (int64_t)rows[i + m]);
	}
}

/*
 * Phase 1 with the stored coarse projection (the file's section): per
 * block of queries, x = fl(q - mu), P x (one sgemm, m x d) and the
 * products with the projected centroids (one sgemm, m x nlist) give
 * for every centroid a lower bound of its exact distance,
 *
 *	||q - c||^2 >= ||P (x - c')||^2 / (1 + eps)
 *	    + (||(I - Pi) x|| - ||(I - Pi) c'||)^2 - slack,
 *
 * Pi the orthogonal projector onto P's rows (the squared norms of the
 * two parts add up to ||x - c'||^2; reverse triangle inequality on the
 * second) and ||(I - Pi) x||^2 = ||x||^2 - ||Pi x||^2 within
 * [||P x||^2 / (1 + eps), ||P x||^2 / (1 - eps)] of ||x||^2.  slack
 * covers every rounding (the centring of q and c, the sgemms over d and
 * m terms, the norms, the float arithmetic of the bound: the standard
 * gamma_n = n u / (1 - n u) bounds of sums in any order, times 1.25)
 * with S = (1.01 ||x|| + max ||c'||)^2, and the result is scaled by
 * (1 - gamma_{d+4}) so that it is below the float distance l2_rows
 * computes, not only the real one.  Then per query: the exact distance
 * (ivf_coarse's kernel) of the centroids whose bound is at most the
 * nprobe-th smallest bound, then of the others in increasing order of
 * their bound while it is at most the nprobe-th best exact distance
 * found (a centroid whose bound exceeds it cannot enter: equal exact
 * distances rank by centroid number, hence "at most").  The probed
 * lists are therefore ivf_coarse's (and the full sgemm's), bit for bit.
 */
/*
 * The end of query qi's coarse step, with either way of finding its lists:
 * the exact heap ch (its nprobe nearest lists) written to the batch's
 * probes, and the query's norm qn = ||q||^2 and margin for the list scan.
 */
static void
ivf_coarse_done(struct ivf_gemm_batch *b, struct ivf_heap *ch,
    struct ivf_hit *tmp, size_t qi, float qn, float gamma)
{
	const struct ivf_index *ix = b->ix;
	int l, nprobe = b->o->nprobe;
	int sim = ivf_metric_is_similarity((enum ivf_metric)ix->h.metric);
	float xq;

	ivf_heap_sorted(ch, tmp);
	for (l = 0; l < nprobe; l++)
		b->probe[qi * (size_t)nprobe + (size_t)l] = (int)tmp[l].id;
	xq = sqrtf(qn) + ix->xmax;
	b->qn[qi] = sim ? 0 : qn;
	b->margin[qi] = sim ? 4 * gamma * sqrtf(qn) * ix->xmax :
	    4 * gamma * xq * xq;
}

static void *
ivf_gemm_coarse_proj(void *arg)
{
	struct ivf_gemm_job *j = arg;
	struct ivf_gemm_batch *b = j->b;
	const struct ivf_index *ix = b->ix;
	const struct ivf_proj *pj = &ix->proj;
	size_t d = ix->h.dim, nlist = ix->h.nlist, m = (size_t)pj->m;
	size_t q0, q1, qi, qb, nbq, i, r, qbmax, nc, nr, c0;
	uint64_t nex = 0;
	int nprobe = b->o->nprobe, nh;
	struct ivf_heap ch;
	struct ivf_hit *tmp;
	struct ivf_lbc *cand, t;
	uint32_t *rows;
	float *g, *hp, *xc, *px, qn, gamma, a2, pn, w, rql, rqh, lb;
	float tt, slack, cs, inv, fin, thr, worst, s;
	const float *q, *pxr;
	float *gr;
	double u = IVF_U, eps = pj->eps;

	gamma = (float)((double)(d + 16) * IVF_U * 2);
	/* the constants of the bound (see above) */
	cs = (float)(1.25 * (2 * (m + 3) * u + 2 * (double)d * u *
	    sqrt((double)m) + 16 * u) * (1 + eps) * (1 + eps));
	w = (float)(1.25 * ((double)d * u + (3 * (double)d * u *
	    sqrt((double)m) + 2 * (double)m * u) * (1 + eps) * (1 + eps) +
	    3 * eps));
	inv = (float)((1 - 4 * u) / (1 + eps));
	fin = (float)(1 - (double)(d + 4) * u / (1 - (double)(d + 4) * u));
	q0 = b->nq * (size_t)j->t / (size_t)b->threads;
	q1 = b->nq * ((size_t)j->t + 1) / (size_t)b->threads;
	qbmax = IVF_COARSE_G / nlist;
	if (qbmax < IVF_COARSE_QB)
		qbmax = IVF_COARSE_QB;
	if (qbmax > IVF_COARSE_QBMAX)
		qbmax = IVF_COARSE_QBMAX;
	g = xreallocarray(NULL, qbmax * nlist, sizeof *g);
	xc = xreallocarray(NULL, qbmax * d, sizeof *xc);
	px = xreallocarray(NULL, qbmax * m, sizeof *px);
	hp = xreallocarray(NULL, (size_t)nprobe, sizeof *hp);
	tmp = xreallocarray(NULL, (size_t)nprobe, sizeof *tmp);
	cand = xreallocarray(NULL, nlist, sizeof *cand);
	rows = xreallocarray(NULL, nlist, sizeof *rows);
	ivf_heap_init(&ch, nprobe);
	for (qb = q0; qb < q1; qb += nbq) {
		nbq = q1 - qb < qbmax ? q1 - qb : qbmax;
		for (r = 0; r < nbq; r++)
			for (i = 0; i < d; i++)
				xc[r * d + i] = b->q[(qb + r) * d + i] -
				    pj->mu[i];
		blas_sgemm_nt(b->o->blas, (int)nbq, (int)m, (int)d, 1.0f, xc,
		    (int)d, pj->p, (int)d, 0.0f, px, (int)m);
		blas_sgemm_nt(b->o->blas, (int)nbq, (int)nlist, (int)m,
		    -2.0f, px, (int)m, pj->pc, (int)m, 0.0f, g, (int)nlist);
		for (r = 0; r < nbq; r++) {
			qi = qb + r;
			q = b->q + qi * d;
			gr = g + r * nlist;
			pxr = px + r * m;
			ix->kern->ndot_rows(xc + r * d, xc + r * d, 1, d, &a2);
			a2 = -a2;
			pn = 0;
			for (i = 0; i < m; i++)
				pn += pxr[i] * pxr[i];
			tt = a2 - pn;
			rql = tt - w * a2 > 0 ? sqrtf(tt - w * a2) : 0;
			rqh = tt + w * a2 > 0 ? sqrtf(tt + w * a2) : 0;
			s = 1.01f * sqrtf(a2) + pj->cfmax;
			slack = cs * s * s;
			/* the bounds, and the nprobe-th smallest */
			nh = 0;
			thr = INFINITY;
			for (i = 0; i < nlist; i++) {
				tt = rql - pj->rhi[i];
				if (pj->rlo[i] - rqh > tt)
					tt = pj->rlo[i] - rqh;
				if (tt < 0)
					tt = 0;
				lb = ((pn + pj->pcn[i] + gr[i]) * inv +
				    tt * tt * (1 - 8 * (float)IVF_U) -
				    slack) * fin;
				gr[i] = lb;
				if (!(lb < thr))
					continue;
				ivf_fheap_push(hp, &nh, nprobe, lb);
				if (nh == nprobe)
					thr = hp[0];
			}
			ch.n = 0;
			nr = 0;
			for (i = 0; i < nlist; i++)
				if (gr[i] <= thr)
					rows[nr++] = (uint32_t)i;
			ivf_coarse_exact(ix, q, rows, nr, &ch);
			nex += nr;
			worst = ivf_heap_worst(&ch);
			nc = 0;
			for (i = 0; i < nlist; i++)
				if (gr[i] > thr && gr[i] <= worst) {
					cand[nc].lb = gr[i];
					cand[nc++].c = (uint32_t)i;
				}
			/* insertion sort: a few dozen at most, usually */
			for (i = 1; i < nc; i++) {
				t = cand[i];
				for (c0 = i; c0 > 0 && cand[c0 - 1].lb > t.lb;
				    c0--)
					cand[c0] = cand[c0 - 1];
				cand[c0] = t;
			}
			for (c0 = 0; c0 < nc && cand[c0].lb <= worst;) {
				for (nr = 0; nr < 4 && c0 < nc &&
				    cand[c0].lb <= worst; c0++)
					rows[nr++] = cand[c0].c;
				ivf_coarse_exact(ix, q, rows, nr, &ch);
				nex += nr;
				worst = ivf_heap_worst(&ch);
			}
			if (ch.n < nprobe) {
				/* not-a-number bounds (a query of inf) */
				ch.n = 0;
				for (i = 0; i < nlist; i++)
					rows[i] = (uint32_t)i;
				ivf_coarse_exact(ix, q, rows, nlist, &ch);
			}
			ix->kern->ndot_rows(q, q, 1, d, &qn);
			ivf_coarse_done(b, &ch, tmp, qi, -qn, gamma);
		}
	}
	j->coarse_exact += nex;
	ivf_heap_release(&ch);
	free(g);
	free(xc);
	free(px);
	free(hp);
	free(tmp);
	free(cand);
	free(rows);
	return NULL;
}

/*
 * Whether a coarse projection of m rows (section sec) pays on this data,
 * from a trial of its bound that does not depend on timing (the same
 * build gives the same file): IVF_PROJ_TRIAL evenly spaced vectors of x
 * as queries at nprobe IVF_PROJ_TRIAL_NPROBE, their exact centroid
 * distances counted, and its cost estimated in units of one centroid
 * distance of the full sgemm: half of nlist for the bound's passes, the
 * two sgemms of m rows, IVF_PROJ_EXACT_COST per exact distance (a
 * gathered centroid read from the cache, not packed), against 0.8 x
 * nlist.  Calibrated at d 960, nlist 1,024 (scripts/bench/README.md).
 */
#define IVF_PROJ_TRIAL		256
#define IVF_PROJ_TRIAL_NPROBE	8
#define IVF_PROJ_EXACT_COST	15
static int
ivf_proj_pays(const struct blas *blas, const float *x, size_t n, int d,
    const float *cent, const float *cnorm, int k, const float *sec, int m,
    double eps)
{
	struct ivf_index tix;
	struct ivf_search_opts so;
	struct ivf_gemm_batch b;
	struct ivf_gemm_job j;
	size_t nt, i;
	float *q;
	double nex, cost;

	nt = n < IVF_PROJ_TRIAL ? n : IVF_PROJ_TRIAL;
	q = xreallocarray(NULL, nt * (size_t)d, sizeof *q);
	for (i = 0; i < nt; i++)
		memcpy(q + i * (size_t)d, x + i * (n / nt) * (size_t)d,
		    (size_t)d * sizeof *q);
	memset(&tix, 0, sizeof tix);
	tix.h.dim = (uint32_t)d;
	tix.h.nlist = (uint32_t)k;
	tix.h.metric = IVF_L2;
	tix.centroids = cent;
	tix.cnorm = cnorm;
	tix.kern = ivf_kern_select();
	ivf_proj_set(&tix, sec, m, eps);
	memset(&so, 0, sizeof so);
	so.nprobe = k < IVF_PROJ_TRIAL_NPROBE ? k : IVF_PROJ_TRIAL_NPROBE;
	so.blas = blas;
	memset(&b, 0, sizeof b);
	b.ix = &tix;
	b.q = q;
	b.nq = nt;
	b.o = &so;
	b.threads = 1;
	b.probe = xreallocarray(NULL, nt * (size_t)so.nprobe,
	    sizeof *b.probe);
	b.margin = xreallocarray(NULL, nt, sizeof *b.margin);
	b.qn = xreallocarray(NULL, nt, sizeof *b.qn);
	memset(&j, 0, sizeof j);
	j.b = &b;
	ivf_gemm_coarse_proj(&j);
	nex = (double)j.coarse_exact / (double)nt;
	cost = 0.5 * k + (double)m * (d + k) / d + IVF_PROJ_EXACT_COST * nex;
	free(q);
	free(b.probe);
	free(b.margin);
	free(b.qn);
	return cost < 0.8 * k;
}

/*
 * Phase 1, over blocks of queries: the probed lists and the error margins.
 * The distances to the centroids come from one sgemm per block of queries
 * (the centroids are read once per block, not once per query); the lists
 * whose approximate distance is within the rounding bound of the nprobe-th
 * are then ranked by the same exact distance as the one-query path, so
 * the probed lists are exactly ivf_coarse's.
 */
static void *
ivf_gemm_coarse(void *arg)
{
	struct ivf_gemm_job *j = arg;
	struct ivf_gemm_batch *b = j->b;
	const struct ivf_index *ix = b->ix;
	size_t d = ix->h.dim, nlist = ix->h.nlist, q0, q1, qi, qb, nbq, i, r;
	size_t qbmax, nr;
	uint64_t nex = 0;
	uint32_t *rows;
	int nprobe = b->o->nprobe, nh;
	struct ivf_heap ch;
	struct ivf_hit *tmp;
	float *g, *hp, qn, gamma, lim, cm, a, thr;
	const float *q;
	float *gr;

	if (ix->proj.m > 0 && !b->o->coarse_full)
		return ivf_gemm_coarse_proj(arg);
	gamma = (float)((double)(d + 16) * IVF_U * 2);
	q0 = b->nq * (size_t)j->t / (size_t)b->threads;
	q1 = b->nq * ((size_t)j->t + 1) / (size_t)b->threads;
	qbmax = IVF_COARSE_G / nlist;
	if (qbmax < IVF_COARSE_QB)
		qbmax = IVF_COARSE_QB;
	if (qbmax > IVF_COARSE_QBMAX)
		qbmax = IVF_COARSE_QBMAX;
	g = xreallocarray(NULL, qbmax * nlist, sizeof *g);
	hp = xreallocarray(NULL, (size_t)nprobe, sizeof *hp);
	tmp = xreallocarray(NULL, (size_t)nprobe, sizeof *tmp);
	rows = xreallocarray(NULL, nlist, sizeof *rows);
	ivf_heap_init(&ch, nprobe);
	for (qb = q0; qb < q1; qb += nbq) {
		nbq = q1 - qb < qbmax ? q1 - qb : qbmax;
		blas_sgemm_nt(b->o->blas, (int)nbq, (int)nlist, (int)d, -2.0f,
		    b->q + qb * d, (int)d, ix->centroids, (int)d, 0.0f, g,
		    (int)nlist);
		for (r = 0; r < nbq; r++) {
			qi = qb + r;
			q = b->q + qi * d;
			gr = g + r * nlist;
			ix->kern->ndot_rows(q, q, 1, d, &qn);
			qn = -qn;
			/*
			 * One pass over the row: approximate distances
			 * kept in place, the heap touched only by what
			 * beats its worst (one compare for the rest).
			 */
			nh = 0;
			thr = INFINITY;
			for (i = 0; i < nlist; i++) {
				a = gr[i] + ix->cnorm[i];
				gr[i] = a;
				if (!(a < thr))
					continue;
				ivf_fheap_push(hp, &nh, nprobe, a);
				if (nh == nprobe)
					thr = hp[0];
			}
			/* |approx - exact| <= half this, for any list */
			cm = sqrtf(qn) + b->cmax;
			lim = hp[0] + 4 * gamma * cm * cm;
			/* exact, four rows per kernel call (same bits) */
			ch.n = 0;
			nr = 0;
			for (i = 0; i < nlist; i++)
				if (gr[i] <= lim)
					rows[nr++] = (uint32_t)i;
			ivf_coarse_exact(ix, q, rows, nr, &ch);
			nex += nr;
			ivf_coarse_done(b, &ch, tmp, qi, qn, gamma);
		}
	}
	/* one write: the jobs of two threads may share a cache line */
	j->coarse_exact += nex;
	ivf_heap_release(&ch);
	free(g);
	free(hp);
	free(tmp);
	free(rows);
	return NULL;
}

/*
 * Vectors of a list scored per sgemm: at most IVF_GEMM_XB, and no more
 * than IVF_GEMM_XBYTES of floats, so that the candidates' exact distances
 * read them back from the core's cache; and the block of distances
 * (queries x vectors) at most IVF_GEMM_G floats, so that it is read back
 * from the core's L2 cache too, not from L3 or memory.
 */
#define IVF_GEMM_XBYTES		(1024 * 1024)
#define IVF_GEMM_G		(64 * 1024)

/* Candidates re-scored exactly per call of the kernel. */
#define IVF_GEMM_CB		8

/*
 * The bound on the approximate distance (the row's value plus the
 * vector's norm) of a vector that can enter query qi's heap s: exact =
 * approx + ||q||^2 for l2 (0 otherwise), within half the margin.
 */
static inline float
ivf_gemm_lim(const struct ivf_gemm_batch *b, const struct ivf_heap *s,
    size_t qi)
{
	return ivf_heap_worst(s) - b->qn[qi] + b->margin[qi];
}

/*
 * One query's row of a list block's sgemm: g[i] + xn[i] is the
 * approximate distance of vector xb + i, minus ||q||^2 for l2.  Those
 * within the margin of the k-th best exact distance so far (and, while s
 * holds fewer than k and without a filter, of the block's k-th best
 * approximate one: the final k-th is no worse than either) are re-scored
 * exactly into the heap s, a few at a time; lim is the bound of the heap
 * as it is on entry (ivf_gemm_lim).  The row is first cut down
 * with SIMD compares to the vectors within the bound at the start; each
 * is checked again against the bound as it tightens.  Returns how many
 * were re-scored.
 */
static size_t
ivf_gemm_row(const struct ivf_gemm_batch *b, struct ivf_gemm_job *j,
    const float *g, const float *xn, size_t xb, size_t nbx,
    const float *q, struct ivf_heap *s, size_t qi, float lim)
{
	const struct ivf_index *ix = b->ix;
	const struct ivf_search_opts *o = b->o;
	const struct ivf_kern *kn = ix->kern;
	size_t d = ix->h.dim, i, nc = 0, nre = 0, m, c, nsel;
	int k = o->k, nh = 0;
	int sim = ivf_metric_is_similarity((enum ivf_metric)ix->h.metric);
	uint32_t cand[IVF_GEMM_CB];
	uint64_t tk;
	float ex[IVF_GEMM_CB], a, thr, mg, off;

	mg = b->margin[qi];
	off = b->qn[qi];
	if (o->filter == NULL && s->n < k && nbx >= (size_t)k) {
		thr = INFINITY;
		for (i = 0; i < nbx; i++) {
			a = g[i] + xn[i];
			if (!(a < thr))
				continue;
			ivf_fheap_push(j->hp, &nh, k, a);
			if (nh == k)
				thr = j->hp[0];
		}
		if (thr + mg < lim)
			lim = thr + mg;
	}
	nsel = kn->below(g, xn, nbx, lim, j->sel);
	for (c = 0; c < nsel; c++) {
		i = j->sel[c];
		a = g[i] + xn[i];
		if (a > lim)
			continue;
		if (!ivf_filter_ok(o, ix->ids[xb + i]))
			continue;
		cand[nc++] = (uint32_t)(xb + i);
		if (nc < IVF_GEMM_CB && c + 1 < nsel)
			continue;
		tk = ivf_ticks();
		if (sim)
			kn->ndot_gather(q, ix->vecs, cand, nc, d, ex);
		else
			kn->l2_gather(q, ix->vecs, cand, nc, d, ex);
		for (m = 0; m < nc; m++)
			ivf_heap_push(s, ex[m], ix->ids[cand[m]]);
		j->tk_rerank += ivf_ticks() - tk;
		nre += nc;
		nc = 0;
		a = ivf_heap_worst(s) - off + mg;
		if (a < lim)
			lim = a;
	}
	if (nc > 0) {
		tk = ivf_ticks();
		if (sim)
			kn->ndot_gather(q, ix->vecs, cand, nc, d, ex);
		else
			kn->l2_gather(q, ix->vecs, cand, nc, d, ex);
		for (m = 0; m < nc; m++)
			ivf_heap_push(s, ex[m], ix->ids[cand[m]]);
		j->tk_rerank += ivf_ticks() - tk;
		nre += nc;
	}
	return nre;
}

/*
 * Phase 2, over lists (taken in turn by the threads): all queries probing
 * a list scored against it with one sgemm per block, G = Q X^T, each
 * query's distances one contiguous row.  A vector whose approximate
 * distance is within the margin of the query's k-th exact one so far is
 * re-scored exactly at once, while the sgemm has it in cache, into the
 * thread's exact top k of that query.  Whatever is skipped has an exact
 * distance above that k-th (|approx - exact| <= margin / 2), so the top k
 * is exactly the one of all the probed vectors.
 */
/*
 * A list block's rows for at most this many queries come from the dot
 * product kernel, not an sgemm: with a handful of queries per list (small
 * nprobe, large nlist) a call of sgemm costs more than its arithmetic.
 * Either way a row's value is within the margin of the exact one (the
 * bound holds for any order of summation), and the candidates are
 * re-scored exactly, so the results are the same.
 */
#ifndef IVF_GEMM_DIRECT_Q
#define IVF_GEMM_DIRECT_Q	8
#endif
#define IVF_GEMM_DIRECT		IVF_GEMM_DIRECT_Q

/* g (nbq x nbx) = -2 Q X^T (l2) or -Q X^T (similarities), as the sgemm. */
static void
ivf_gemm_direct(const struct ivf_kern *kn, const float *q, size_t nbq,
    const float *x, size_t nbx, size_t d, int sim, float *g)
{
	size_t r, i;
	float *row;

	for (r = 0; r < nbq; r++) {
		row = g + r * nbx;
		kn->ndot_rows(q + r * d, x, nbx, d, row);
		if (!sim)
			for (i = 0; i < nbx; i++)
				row[i] *= 2.0f;
	}
}

static void *
ivf_gemm_lists(void *arg)
{
	struct ivf_gemm_job *j = arg;
	struct ivf_gemm_batch *b = j->b;
	const struct ivf_index *ix = b->ix;
	const struct ivf_search_opts *o = b->o;
	size_t d = ix->h.dim, r, qb, nbq, xb, nbx, e, bg, xbmax, xbq;
	size_t nqb, qeven;
	int nlist = (int)ix->h.nlist, l;
	int sim = ivf_metric_is_similarity((enum ivf_metric)ix->h.metric);
	struct ivf_heap *gq = b->gq + (size_t)j->t * b->nq;
	float *qbuf, *g, *zero;
	const float *xn;
	size_t *qs;
	uint64_t nsc = 0, nre = 0, tk0 = ivf_ticks();

	xbmax = IVF_GEMM_XBYTES / (d * sizeof(float));
	if (xbmax > IVF_GEMM_XB)
		xbmax = IVF_GEMM_XB;
	if (xbmax < 16)
		xbmax = 16;
	qbuf = xreallocarray(NULL, IVF_GEMM_QB * d, sizeof(float));
	zero = xcalloc(xbmax, sizeof(float));
	j->hp = xreallocarray(NULL, (size_t)o->k, sizeof(float));
	j->sel = xreallocarray(NULL, xbmax, sizeof *j->sel);
	j->lim = xreallocarray(NULL, IVF_GEMM_QB, sizeof *j->lim);
	g = xreallocarray(NULL, (size_t)IVF_GEMM_QB * xbmax, sizeof(float));
	while ((l = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED)) <
	    nlist) {
		bg = ix->lists[l];
		e = ix->lists[l + 1];
		if (e == bg || b->qoff[l + 1] == b->qoff[l])
			continue;
		/* the list's queries in blocks of even sizes */
		nqb = (b->qoff[l + 1] - b->qoff[l] + IVF_GEMM_QB - 1) /
		    IVF_GEMM_QB;
		qeven = (b->qoff[l + 1] - b->qoff[l] + nqb - 1) / nqb;
		for (qb = b->qoff[l]; qb < b->qoff[l + 1]; qb += nbq) {
			nbq = b->qoff[l + 1] - qb;
			if (nbq > qeven)
				nbq = qeven;
			qs = b->qlist + qb;
			for (r = 0; r < nbq; r++)
				memcpy(qbuf + r * d, b->q + qs[r] * d,
				    d * sizeof(float));
			xbq = IVF_GEMM_G / nbq;
			if (xbq > xbmax)
				xbq = xbmax;
			if (xbq < 16)
				xbq = 16;
			for (xb = bg; xb < e; xb += nbx) {
				nbx = e - xb < xbq ? e - xb : xbq;
				/*
				 * The queries' bounds read in one tight
				 * loop: their heaps are scattered over the
				 * batch, and the cache misses overlap here
				 * instead of one at the start of each row.
				 */
				for (r = 0; r < nbq; r++)
					j->lim[r] = ivf_gemm_lim(b,
					    &gq[qs[r]], qs[r]);
				if (nbq <= IVF_GEMM_DIRECT)
					ivf_gemm_direct(ix->kern, qbuf, nbq,
					    ix->vecs + xb * d, nbx, d, sim, g);
				else
					blas_sgemm_nt(o->blas, (int)nbq,
					    (int)nbx, (int)d, sim ? -1.0f :
					    -2.0f, qbuf, (int)d, ix->vecs + xb *
					    d, (int)d, 0.0f, g, (int)nbx);
				nsc += nbq * nbx;
				xn = sim ? zero : ix->norms + xb;
				for (r = 0; r < nbq; r++)
					nre += ivf_gemm_row(b, j, g + r * nbx,
					    xn, xb, nbx, qbuf + r * d,
					    &gq[qs[r]], qs[r], j->lim[r]);
			}
		}
	}
	j->scanned += nsc;
	j->rescored += nre;
	j->tk_lists += ivf_ticks() - tk0;
	free(qbuf);
	free(zero);
	free(j->hp);
	free(j->sel);
	free(j->lim);
	free(g);
	return NULL;
}

/*
 * Phase 3, over queries: the threads' exact top k of each query merged
 * (one thread: its heap sorted).
 */
static void *
ivf_gemm_merge(void *arg)
{
	struct ivf_gemm_job *j = arg;
	struct ivf_gemm_batch *b = j->b;
	size_t q0, q1, qi;
	int k = b->o->k, t, m;
	struct ivf_heap h, *s;

	q0 = b->nq * (size_t)j->t / (size_t)b->threads;
	q1 = b->nq * ((size_t)j->t + 1) / (size_t)b->threads;
	if (b->threads == 1) {
		for (qi = q0; qi < q1; qi++)
			ivf_heap_sorted(&b->gq[qi], b->out + qi * (size_t)k);
		return NULL;
	}
	ivf_heap_init(&h, k);
	for (qi = q0; qi < q1; qi++) {
		for (t = 0; t < b->threads; t++) {
			s = &b->gq[(size_t)t * b->nq + qi];
			for (m = 0; m < s->n; m++)
				ivf_heap_push(&h, s->d[m], s->id[m]);
		}
		ivf_heap_sorted(&h, b->out + qi * (size_t)k);
	}
	ivf_heap_release(&h);
	return NULL;
}

static double
ivf_thread_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs phase fn of the batch in a job, adding its thread CPU time. */
#define IVF_GEMM_PHASE(name, fn, ph)					\
static void *								\
name(void *arg)								\
{									\
	struct ivf_gemm_job *j = arg;					\
	double c0 = ivf_thread_cpu();					\
									\
	fn(arg);							\
	j->cpu[ph] += ivf_thread_cpu() - c0;				\
	return NULL;							\
}
IVF_GEMM_PHASE(ivf_gemm_coarse_job, ivf_gemm_coarse, 0)
IVF_GEMM_PHASE(ivf_gemm_lists_job, ivf_gemm_lists, 1)
IVF_GEMM_PHASE(ivf_gemm_merge_job, ivf_gemm_merge, 2)

static int
ivf_search_gemm(const struct ivf_index *ix, const float *q, size_t nq,
    const struct ivf_search_opts *o, struct ivf_hit *out,
    struct ivf_search_stats *st)
{
	struct ivf_gemm_batch b;
	struct ivf_gemm_job *jobs;
	size_t qi, i, *cnt;
	float *hd;
	int64_t *hid;
	int t, threads = o->threads < 1 ? 1 : o->threads, saved, l, pi;
	int nlist = (int)ix->h.nlist;
	double t0, t1, t2;

	if (ix->h.ntotal >= UINT32_MAX)
		return ivf_search_scan(ix, q, nq, o, out, st);
	if ((size_t)threads > nq)
		threads = (int)nq;
	memset(&b, 0, sizeof b);
	b.ix = ix;
	b.q = q;
	b.nq = nq;
	b.o = o;
	b.out = out;
	b.threads = threads;
	b.probe = xreallocarray(NULL, nq * (size_t)o->nprobe,
	    sizeof *b.probe);
	b.margin = xreallocarray(NULL, nq, sizeof *b.margin);
	b.qn = xreallocarray(NULL, nq, sizeof *b.qn);
	b.gq = xreallocarray(NULL, nq * (size_t)threads, sizeof *b.gq);
	hd = xreallocarray(NULL, nq * (size_t)threads * (size_t)o->k,
	    sizeof *hd);
	hid = xreallocarray(NULL, nq * (size_t)threads * (size_t)o->k,
	    sizeof *hid);
	for (i = 0; i < nq * (size_t)threads; i++) {
		b.gq[i].k = o->k;
		b.gq[i].n = 0;
		b.gq[i].d = hd + i * (size_t)o->k;
		b.gq[i].id = hid + i * (size_t)o->k;
	}
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	for (t = 0; t < threads; t++) {
		jobs[t].b = &b;
		jobs[t].t = t;
	}
	for (l = 0; l < nlist; l++)
		if (sqrtf(ix->cnorm[l]) > b.cmax)
			b.cmax = sqrtf(ix->cnorm[l]);
	saved = blas_get_threads(o->blas);
	blas_set_threads(o->blas, 1);
	t0 = ivf_now();
	ivf_run_threads(ivf_gemm_coarse_job, jobs, sizeof *jobs, threads);
	t1 = ivf_now();
	st->t_coarse = t1 - t0;
	if (o->probes != NULL)
		memcpy(o->probes, b.probe, nq * (size_t)o->nprobe *
		    sizeof *b.probe);
	/* the queries of each list, in query order */
	cnt = xcalloc((size_t)nlist + 1, sizeof *cnt);
	for (qi = 0; qi < nq * (size_t)o->nprobe; qi++)
		cnt[b.probe[qi] + 1]++;
	for (l = 0; l < nlist; l++)
		cnt[l + 1] += cnt[l];
	b.qoff = xreallocarray(NULL, (size_t)nlist + 1, sizeof *b.qoff);
	memcpy(b.qoff, cnt, ((size_t)nlist + 1) * sizeof *cnt);
	b.qlist = xreallocarray(NULL, nq * (size_t)o->nprobe + 1,
	    sizeof *b.qlist);
	for (qi = 0; qi < nq; qi++)
		for (pi = 0; pi < o->nprobe; pi++)
			b.qlist[cnt[b.probe[qi * (size_t)o->nprobe +
			    (size_t)pi]]++] = qi;
	/*
	 * The threads take the lists in index order.  Tried on 1M x 128
	 * with 2 threads and left out: the lists with the most work first
	 * (an LPT order: 10-40% more vectors re-scored per query, more list
	 * CPU, no measurable gain in balance) and each query's k-th distance
	 * shared between the threads (an atomic min per query: a third fewer
	 * re-scored, ~15% more list CPU in cache-line traffic).
	 */
	t2 = ivf_now();
	st->t_group = t2 - t1;
	ivf_run_threads(ivf_gemm_lists_job, jobs, sizeof *jobs, threads);
	t1 = ivf_now();
	st->t_lists = t1 - t2;
	ivf_run_threads(ivf_gemm_merge_job, jobs, sizeof *jobs, threads);
	t2 = ivf_now();
	st->t_merge = t2 - t1;
	blas_set_threads(o->blas, saved);
	for (t = 0; t < threads; t++) {
		st->scanned += jobs[t].scanned;
		st->rescored += jobs[t].rescored;
		st->coarse_exact += jobs[t].coarse_exact;
		if (jobs[t].tk_lists > 0)
			st->cpu_rerank += jobs[t].cpu[1] *
			    ((double)jobs[t].tk_rerank /
			    (double)jobs[t].tk_lists);
		for (pi = 0; pi < 3; pi++) {
			st->cpu_sum[pi] += jobs[t].cpu[pi];
			if (jobs[t].cpu[pi] > st->cpu_max[pi])
				st->cpu_max[pi] = jobs[t].cpu[pi];
		}
	}
	free(hd);
	free(hid);
	free(b.gq);
	free(b.probe);
	free(b.margin);
	free(b.qn);
	free(b.qoff);
	free(b.qlist);
	free(cnt);
	free(jobs);
	return 0;
}

int
ivf_search(const struct ivf_index *ix, const float *q, size_t nq,
    const struct ivf_search_opts *oin, struct ivf_hit *out,
    struct ivf_search_stats *st, struct es_err *err)
{
	struct ivf_search_opts o = *oin;
	struct ivf_search_stats dummy;
	const float *qs = q;
	float *qp = NULL;
	int rc;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof *st);
	if (o.k < 1)
		return es_err_set(err, ES_EUSAGE, "Invalid", "k must be at "
		    "least 1");
	if (o.nprobe < 1)
		o.nprobe = 1;
	if (o.nprobe > (int)ix->h.nlist)
		o.nprobe = (int)ix->h.nlist;
	if (nq == 0)
		return 0;
	if (o.mode == IVF_MODE_AUTO)
		o.mode = o.blas != NULL && nq >= 64 ? IVF_MODE_GEMM :
		    IVF_MODE_SQ8;
	if (o.mode == IVF_MODE_GEMM && o.blas == NULL)
		return es_err_set(err, ES_EFAIL, "NoBLAS", "the gemm search "
		    "mode needs BLAS");
	/* only cosine changes the queries: the others are read in place */
	if (ix->h.metric == IVF_COSINE) {
		if (ivf_prepare_queries(IVF_COSINE, q, nq, (int)ix->h.dim,
		    &qp, err) == -1)
			return -1;
		qs = qp;
	}
	st->mode = o.mode;
	if (o.mode == IVF_MODE_GEMM)
		rc = ivf_search_gemm(ix, qs, nq, &o, out, st);
	else
		rc = ivf_search_scan(ix, qs, nq, &o, out, st);
	free(qp);
	return rc;
}

struct ivf_exact_job {
	const float			*x;
	size_t				 n;
	size_t				 d;
	enum ivf_metric			 metric;
	int64_t				 id0;
	const float			*q;
	size_t				 q0, q1;
	const struct ivf_search_opts	*o;
	struct ivf_hit			*out;
};

static void *
ivf_exact_thread(void *arg)
{
	struct ivf_exact_job *j = arg;
	const struct ivf_kern *kn = ivf_kern_select();
	const struct ivf_search_opts *o = j->o;
	struct ivf_heap h;
	struct ivf_hit *hits;
	size_t qi, p, nb, i;
	float *a;
	int m;

	ivf_heap_init(&h, o->k);
	a = xreallocarray(NULL, 1024, sizeof(float));
	for (qi = j->q0; qi < j->q1; qi++) {
		hits = j->out + qi * (size_t)o->k;
		h.n = 0;
		for (m = 0; m < o->k; m++)
			if (hits[m].id >= 0)
				ivf_heap_push(&h, hits[m].dist, hits[m].id);
		for (p = 0; p < j->n; p += nb) {
			nb = j->n - p < 1024 ? j->n - p : 1024;
			if (ivf_metric_is_similarity(j->metric))
				kn->ndot_rows(j->q + qi * j->d, j->x + p * j->d,
				    nb, j->d, a);
			else
				kn->l2_rows(j->q + qi * j->d, j->x + p * j->d,
				    nb, j->d, a);
			for (i = 0; i < nb; i++)
				if (a[i] <= ivf_heap_worst(&h) &&
				    ivf_filter_ok(o, j->id0 + (int64_t)(p +
				    i)))
					ivf_heap_push(&h, a[i], j->id0 +
					    (int64_t)(p + i));
		}
		ivf_heap_sorted(&h, hits);
	}
	ivf_heap_release(&h);
	free(a);
	return NULL;
}

void
ivf_exact_merge(const float *x, size_t n, int d, enum ivf_metric metric,
    int64_t id0, const float *q, size_t nq, const struct ivf_search_opts *o,
    struct ivf_hit *out)
{
	struct ivf_exact_job *jobs;
	const float *qs = q;
	float *qp = NULL;
	int t, threads = o->threads < 1 ? 1 : o->threads;

	if (nq == 0 || n == 0)
		return;
	if (metric == IVF_COSINE) {
		if (ivf_prepare_queries(metric, q, nq, d, &qp, NULL) == -1)
			return;
		qs = qp;
	}
	if ((size_t)threads > nq)
		threads = (int)nq;
	jobs = xcalloc((size_t)threads, sizeof *jobs);
	for (t = 0; t < threads; t++) {
		jobs[t].x = x;
		jobs[t].n = n;
		jobs[t].d = (size_t)d;
		jobs[t].metric = metric;
		jobs[t].id0 = id0;
		jobs[t].q = qs;
		jobs[t].q0 = nq * (size_t)t / (size_t)threads;
		jobs[t].q1 = nq * ((size_t)t + 1) / (size_t)threads;
		jobs[t].o = o;
		jobs[t].out = out;
	}
	ivf_run_threads(ivf_exact_thread, jobs, sizeof *jobs, threads);
	free(jobs);
	free(qp);
}

/* ---------------------------------------------------------------- */
/* stats */

static int
ivf_size_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
ivf_stats(const struct ivf_index *ix, int verify, cJSON **out,
    struct es_err *err)
{
	const struct ivf_header *h = &ix->h;
	size_t k = h->nlist, d = h->dim, l, b, cnt, empty = 0;
	uint64_t *sizes, sum;
	double imb = 0, mean, emax = 0, esum = 0;
	cJSON *j, *ls, *lay, *bp;
	char ts[UTIL_TIME_LEN];
	const float *nb;

	sizes = xreallocarray(NULL, k, sizeof *sizes);
	for (l = 0; l < k; l++) {
		sizes[l] = ix->lists[l + 1] - ix->lists[l];
		if (sizes[l] == 0)
			empty++;
		imb += (double)sizes[l] * (double)sizes[l];
		if (ix->lmeta[l].emax > emax)
			emax = ix->lmeta[l].emax;
		if (verify) {
			b = ix->lists[l];
			cnt = sizes[l];
			nb = ix->norms + b;
			sum = ivf_xxh64(ix->ids + b, cnt * 8, 0) ^
			    ivf_xxh64(ix->vecs + b * d, cnt * d * 4, 1) ^
			    ivf_xxh64(ix->codes + b * d, cnt * d, 2) ^
			    ivf_xxh64(nb, cnt * 4, 3) ^
			    ivf_xxh64(ix->errs + b, cnt * 4, 4);
			if (sum != ix->lmeta[l].sum) {
				free(sizes);
				return es_err_set(err, ES_EFAIL,
				    "CorruptIndex", "index file '%s' is "
				    "corrupt: checksum mismatch in list %zu",
				    ix->path, l);
			}
		}
	}
	for (l = 0; l < h->ntotal; l++)
		esum += ix->errs[l];
	mean = (double)h->ntotal / (double)k;
	/* FAISS's imbalance factor: k * sum(n_l^2) / n^2 */
	imb = imb * (double)k / ((double)h->ntotal * (double)h->ntotal);
	qsort(sizes, k, sizeof *sizes, ivf_size_cmp);
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "ntotal", (double)h->ntotal);
	cJSON_AddNumberToObject(j, "dimension", (double)d);
	cJSON_AddStringToObject(j, "metric", ivf_metric_name(
	    (enum ivf_metric)h->metric));
	cJSON_AddNumberToObject(j, "nlist", (double)k);
	ls = cJSON_AddObjectToObject(j, "list_sizes");
	cJSON_AddNumberToObject(ls, "min", (double)sizes[0]);
	cJSON_AddNumberToObject(ls, "p50", (double)sizes[k / 2]);
	cJSON_AddNumberToObject(ls, "p90", (double)sizes[k * 9 / 10]);
	cJSON_AddNumberToObject(ls, "max", (double)sizes[k - 1]);
	cJSON_AddNumberToObject(ls, "mean", mean);
	cJSON_AddNumberToObject(ls, "empty", (double)empty);
	cJSON_AddNumberToObject(j, "imbalance", round(imb * 1000) / 1000);
	cJSON_AddNumberToObject(j, "sq8_error_mean", h->ntotal ?
	    esum / (double)h->ntotal : 0);
	cJSON_AddNumberToObject(j, "sq8_error_max", emax);
	bp = cJSON_AddObjectToObject(j, "build");
	cJSON_AddNumberToObject(bp, "seed", (double)h->seed);
	cJSON_AddNumberToObject(bp, "iters", h->iters);
	cJSON_AddStringToObject(bp, "init", h->init == KMEANS_INIT_PCA ?
	    "pca" : "random");
	cJSON_AddNumberToObject(bp, "sample", (double)h->sample);
	cJSON_AddNumberToObject(bp, "objective", h->objective);
	util_time_format((time_t)h->created, ts);
	cJSON_AddStringToObject(bp, "built_at", ts);
	lay = cJSON_AddObjectToObject(j, "file");
	cJSON_AddStringToObject(lay, "path", ix->path);
	cJSON_AddNumberToObject(lay, "version", h->version);
	cJSON_AddNumberToObject(lay, "size", (double)h->file_size);
	/* rows of the stored coarse projection (0: none) */
	cJSON_AddNumberToObject(lay, "coarse_projection", h->ext_version ==
	    IVF_EXT_VERSION ? h->proj_m : 0);
	cJSON_AddStringToObject(lay, "kernels", ix->kern->name);
	cJSON_AddStringToObject(lay, "checksums", verify ? "ok" :
	    "not verified");
	free(sizes);
	*out = j;
	return 0;
}
