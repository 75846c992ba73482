/*
 * ivf.h - inverted-file (IVF) vector index: build, mmap-able file, search.
 *
 * A built index is one file:
 *
 *	header (4096 bytes): magic "ESCTLIVF", version, dimension, metric,
 *	    nlist, number of vectors, the owner's index id, build parameters,
 *	    the k-means objective, section offsets, a checksum of the
 *	    metadata sections and one of the header itself (XXH64)
 *	centroids	nlist x d float32, and their squared norms
 *	list offsets	nlist + 1 uint64: list l holds positions
 *			[off[l], off[l+1]) of the sections below
 *	list meta	per list: largest vector norm, largest quantization
 *			error, XXH64 of the list's ids, vectors and codes
 *	sq8 params	per dimension: minimum and step of the 8-bit codes
 *	projection	optional (header extension 1, after the header's
 *			checksum, with its own): the coarse projection of
 *			the batch coarse step, see ivf_build_opts.proj_dim
 *	ids		int64 per vector (position in the index's data file)
 *	vectors		float32, d per vector, contiguous per list
 *	norms		float32 squared norm per vector
 *	codes		uint8, d per vector (scalar quantization)
 *	errors		float32 per vector: upper bound of ||x - decode(code)||
 *
 * Sections are page-aligned; everything is little-endian.  The file is
 * written to a temporary name, fsynced and renamed over the old one, so
 * a crash mid-build leaves the previous index intact.  Opening checks the
 * magic, the version, the header and metadata checksums and the size;
 * the per-list checksums are checked by ivf_stats (verify).
 *
 * Search: the nprobe centroids nearest to the query (squared L2) select
 * the lists.  One query at a time, lists are scanned on their 8-bit codes
 * with a guaranteed error bound, and every vector that could still enter
 * the top k is re-scored exactly on its float32 vector.  A batch of
 * queries is processed list by list: all queries probing a list are
 * scored against it at once with sgemm, then re-scored exactly.  Either
 * way the top k is the exact top k of the probed lists, ranked by the
 * same float32 distance as exact search (ties by id), so nprobe = nlist
 * equals brute force to the last bit, whatever the thread count.
 *
 * Distances: l2 is the squared Euclidean distance; dot and cosine rank by
 * the inner product, returned negated (smaller is better) by the search
 * functions; cosine vectors are normalised when added (ivf_normalize).
 */
#ifndef ESCTL_IVF_H
#define ESCTL_IVF_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "blas.h"
#include "err.h"
#include "kmeans.h"

#define IVF_MAGIC	"ESCTLIVF"
#define IVF_VERSION	1
#define IVF_MAX_DIM	65536
#define IVF_PROJ_DIM		32
#define IVF_PROJ_MIN_DIM	256
#define IVF_PROJ_MIN_NLIST	512

enum ivf_metric {
	IVF_L2,
	IVF_DOT,
	IVF_COSINE
};

int		 ivf_metric_parse(const char *, enum ivf_metric *,
		    struct es_err *);
const char	*ivf_metric_name(enum ivf_metric);
/* 1 when scores are inner products (reported as score, not distance). */
int		 ivf_metric_is_similarity(enum ivf_metric);
/*
 * Normalises v in place for cosine (no-op for other metrics).  ES_EUSAGE
 * for a zero vector.
 */
int		 ivf_normalize(enum ivf_metric, float *v, int d,
		    struct es_err *err);

struct ivf_build_opts {
	int		 nlist;
	int		 iters;
	size_t		 sample;	/* training points; 0: 256 x nlist */
	uint64_t	 seed;
	int		 threads;
	enum kmeans_init init;
	double		 tol;
	uint64_t	 index_uid;	/* stored in the header */
	/*
	 * Rows of a coarse projection to store for the batch search's
	 * coarse step (at most d); -1: none; 0: IVF_PROJ_DIM rows from
	 * dimension IVF_PROJ_MIN_DIM and nlist IVF_PROJ_MIN_NLIST up, and
	 * only when a trial of its bound on the data says it pays (it
	 * does not on the bench's GIST-like set: hundreds of exact
	 * centroid distances per query; it does when the centroids'
	 * spectrum decays fast; scripts/bench/README.md).
	 */
	int		 proj_dim;
	const struct blas *blas;
	/* progress: phase "train" (iteration i of n) or "add" */
	void		(*progress)(void *arg, const char *phase, int i,
			    int n, double obj);
	void		*arg;
};

struct ivf_build_stats {
	struct kmeans_stats km;
	size_t		 ntotal;
	size_t		 sample;
	int		 nlist;
	double		 train_seconds;	/* sampling + k-means */
	double		 add_seconds;	/* assignment + encoding */
	double		 write_seconds;	/* file written and fsynced */
	int		 proj_dim;	/* coarse projection rows stored */
	uint64_t	 file_size;
};

/*
 * Builds an index of the n x d vectors x (ids 0..n-1) and writes it
 * atomically to path.  For a test of crash safety, the environment
 * variable ESCTL_IVF_CRASH_AFTER_BYTES makes the writer abort the process
 * after writing that many bytes of the temporary file.
 */
int		 ivf_build(const float *x, size_t n, int d, enum ivf_metric,
		    const struct ivf_build_opts *, const char *path,
		    struct ivf_build_stats *, struct es_err *err);

struct ivf_index;

/*
 * Opens (mmap) an index file.  expect_uid != 0: the file must belong to
 * that index.  ES_EUSAGE-class errors name the problem (not an index
 * file, version, checksum, truncated).
 */
int		 ivf_open(const char *path, uint64_t expect_uid,
		    struct ivf_index **out, struct es_err *err);

/*
 * IVF_OPEN_VERIFIED_ONCE: check the metadata checksum (XXH64 of the
 * centroids, list offsets and list metadata: 3.25 MB at d 960) once per
 * file identity instead of on every open.  After a successful check the
 * identity (device, inode, size, mtime and ctime to the nanosecond, the
 * header's checksums and index id) is written to PATH".verified" (best
 * effort); an open that finds the same identity there skips the sum.
 * Any write to the file changes its ctime, so a changed or replaced file
 * is checked again; a file changed less than 2 s before its check is
 * not recorded (coarse file times).  The header checksum and section
 * bounds are checked on every open.  Without the flag, as ivf_open:
 * always checked.
 */
#define IVF_OPEN_VERIFIED_ONCE	0x1
#define IVF_VERIFIED_SUFFIX	".verified"
int		 ivf_open_flags(const char *path, uint64_t expect_uid,
		    int flags, struct ivf_index **out, struct es_err *err);
void		 ivf_free(struct ivf_index *);
int		 ivf_dim(const struct ivf_index *);
int		 ivf_nlist(const struct ivf_index *);
size_t		 ivf_ntotal(const struct ivf_index *);
enum ivf_metric	 ivf_metric(const struct ivf_index *);
/*
 * Reads the whole mapping into memory and locks it there when the process
 * may (mlock), for measurements of a warm index; returns a checksum of
 * the bytes read.
 */
uint64_t	 ivf_warm(const struct ivf_index *);
/*
 * Rows of the coarse projection the index holds (0: none).  Attach
 * computes one of m rows from the index's centroids in memory, replacing
 * the stored one for this handle (benchmarks of m, tests).
 */
int		 ivf_proj_dim(const struct ivf_index *);
int		 ivf_proj_attach(struct ivf_index *, const struct blas *,
		    int m, struct es_err *err);
/* The centroids (nlist x d), borrowed from the mapping. */
const float	*ivf_centroids(const struct ivf_index *);

enum ivf_mode {
	IVF_MODE_AUTO,		/* gemm for batches with BLAS, else sq8 */
	IVF_MODE_SQ8,		/* per query: 8-bit scan + exact re-score */
	IVF_MODE_FLAT,		/* per query: exact scan of float32 */
	IVF_MODE_GEMM		/* list by list with sgemm (needs blas) */
};

struct ivf_search_opts {
	int		 k;
	int		 nprobe;
	int		 threads;
	enum ivf_mode	 mode;
	const struct blas *blas;	/* for IVF_MODE_GEMM; may be NULL */
	const uint64_t	*filter;	/* bitmap over ids; NULL: all */
	/*
	 * gemm mode: the coarse step's full sgemm even when the index
	 * stores a coarse projection (same probed lists; for comparisons)
	 */
	int		 coarse_full;
	/* gemm mode, when not NULL: the probed lists (nq x nprobe) */
	int		*probes;
	size_t		 filter_bits;
};

/* One result: distance (negated score for dot/cosine) and id. */
struct ivf_hit {
	float		 dist;
	int64_t		 id;		/* -1: no result (fewer than k) */
};

/* Counters of one search call, for eval and -v. */
struct ivf_search_stats {
	uint64_t	 scanned;	/* vectors scored (codes or floats) */
	uint64_t	 rescored;	/* exact float32 distances */
	enum ivf_mode	 mode;
	/* gemm mode: centroids re-scored exactly, wall seconds per phase */
	uint64_t	 coarse_exact;
	double		 t_coarse;	/* centroid distances, probe lists */
	double		 t_group;	/* queries grouped by list */
	double		 t_lists;	/* list scan and exact re-rank */
	double		 t_merge;	/* the threads' top k merged */
	/*
	 * gemm mode: thread CPU seconds of the three parallel phases
	 * (coarse, lists, rescore), summed over the threads and the
	 * largest of one thread: sum / max is what the threads can
	 * deliver over one, whatever the machine's load.
	 */
	double		 cpu_sum[3];
	double		 cpu_max[3];
	/*
	 * gemm mode: the part of the list phase's thread CPU (summed) that
	 * went to exact re-ranking, from the time-stamp counter's share
	 */
	double		 cpu_rerank;
};

/*
 * Searches nq queries (nq x d; normalised here for cosine) and writes
 * k hits per query, best first, into out (nq x k).  Rejects queries of
 * the wrong dimension upstream: d is the index's.
 */
int		 ivf_search(const struct ivf_index *, const float *q,
		    size_t nq, const struct ivf_search_opts *,
		    struct ivf_hit *out, struct ivf_search_stats *,
		    struct es_err *err);

/*
 * Exact search over n x d raw vectors x whose ids are id0 + row, merged
 * into out (nq x k, already holding results or id -1), so that the tail
 * of vectors added after the last build is searched too.  The same
 * float32 distance as ivf_search.
 */
void		 ivf_exact_merge(const float *x, size_t n, int d,
		    enum ivf_metric, int64_t id0, const float *q, size_t nq,
		    const struct ivf_search_opts *, struct ivf_hit *out);
/* Fills out (nq x k) with "no result". */
void		 ivf_hits_init(struct ivf_hit *out, size_t nq, int k);
/* Copies queries and normalises them for cosine; new array. */
int		 ivf_prepare_queries(enum ivf_metric, const float *q,
		    size_t nq, int d, float **out, struct es_err *err);

/*
 * List sizes, imbalance factor, empty lists, quantization error, file
 * layout and build parameters as JSON; verify: also checks every list's
 * checksum (ES_EFAIL naming the first corrupt list).
 */
int		 ivf_stats(const struct ivf_index *, int verify, cJSON **out,
		    struct es_err *err);

/*
 * Recomputes the metadata, extension and header checksums of the index
 * file at path in place, whatever its sections hold (tests and the fuzz
 * target: a changed file that must still be rejected by its structure,
 * not by a checksum).  Never used on a live index.
 */
int		 ivf_reseal(const char *path, struct es_err *err);

/* XXH64 of a buffer (exposed for tests). */
uint64_t	 ivf_xxh64(const void *, size_t, uint64_t seed);

#endif
