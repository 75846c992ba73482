/*
 * kmeans.h - k-means clustering (Lloyd) for the coarse quantizer of the
 * vector index.
 *
 * Assignment distances are ||x||^2 - 2 x.c + ||c||^2 with x.c computed by
 * BLAS sgemm over fixed blocks of points, split over pthreads (BLAS itself
 * single-threaded inside them, so the cores are not oversubscribed).
 * Centroids are updated with sums in double precision taken in point
 * order, so a given seed gives the same centroids whatever the number of
 * threads.  An empty cluster takes half of the largest one (the largest's
 * centroid, perturbed symmetrically).  Initialisation is either k random
 * training points (as FAISS does) or "pca": LAPACKE_ssyevd finds the
 * principal axis of the sample, the points are ordered along it, and one
 * random point is drawn from each of k equal-count strata.
 *
 * After the first iteration (sgemm over every pair), Yinyang bounds
 * (Ding et al., 2015) skip most distances: the centroids are ordered once
 * by a k-means of the initial centroids and cut into groups of 16; every
 * point keeps a lower bound per group on its distance to the group's
 * centroids other than its own, lowered by the group's largest centroid
 * move at every iteration.  A point whose own centroid is nearer than
 * every bound keeps it after one distance computation; otherwise only
 * the groups whose bound is below that distance are computed (one sgemm
 * per group over the points of a chunk that need it, or one over all
 * centroids when they are most of the chunk's pairs).  The bounds keep a
 * margin for float rounding, so the assignments are Lloyd's (those of
 * computing every distance; opts.plain does that, as the reference of
 * the tests).
 */
#ifndef ESCTL_KMEANS_H
#define ESCTL_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "blas.h"
#include "err.h"

enum kmeans_init {
	KMEANS_INIT_RANDOM,
	KMEANS_INIT_PCA
};

struct kmeans_opts {
	int		 iters;		/* Lloyd iterations (>= 1) */
	uint64_t	 seed;
	int		 threads;	/* >= 1 */
	enum kmeans_init init;
	double		 tol;		/* stop when the relative objective
					   improvement is below; 0: never */
	/* called after every iteration (may be NULL) */
	void		(*progress)(void *arg, int iter, int iters,
			    double obj);
	void		*arg;
	int		 plain;		/* 1: Lloyd without bounds, every
					   distance computed */
	int32_t		*assign;	/* if not NULL (n entries): the
					   final assignment, to the
					   returned centroids */
};

struct kmeans_stats {
	int		 iters_run;
	int		 converged;	/* stopped by tol */
	double		 obj_first;	/* sum of squared distances */
	double		 obj_final;	/* after the last assignment */
	double		 rel_change;	/* of the last iteration */
	long long	 empty_splits;
	double		 init_seconds;
	double		 seconds;
	float		 pca_top_eigenvalue;	/* KMEANS_INIT_PCA only */
	long long	 full_computations;	/* points the bounds did
						   not settle after their
						   own centroid's distance
						   (Hamerly: all k
						   computed; Yinyang: the
						   groups below the bound) */
	long long	 distances;	/* point-centroid distances
					   computed, over all iterations */
};

/*
 * Clusters the n x d points x into k centroids (written to centroids,
 * k x d).  n must be >= k.
 */
int	kmeans_train(const struct blas *, const float *x, size_t n, int d,
	    int k, const struct kmeans_opts *, float *centroids,
	    struct kmeans_stats *, struct es_err *err);

/*
 * Nearest centroid of each of n points (ties to the lowest index), with
 * sgemm over fixed blocks and threads; optional squared distances in
 * dist (may be NULL).  cnorm: the k squared centroid norms.
 */
void	kmeans_assign(const struct blas *, const float *x, size_t n, int d,
	    const float *centroids, const float *cnorm, int k, int threads,
	    int32_t *assign, float *dist);

/*
 * The same for the nl points x[list[0]], x[list[1]], ...: assign[list[i]]
 * is written (the others are left alone).
 */
void	kmeans_assign_list(const struct blas *, const float *x,
	    const size_t *list, size_t nl, int d, const float *centroids,
	    const float *cnorm, int k, int threads, int32_t *assign);

/* Deterministic random numbers (xoshiro256**) seeded by splitmix64. */
struct kmeans_rng {
	uint64_t	s[4];
};
void		kmeans_rng_seed(struct kmeans_rng *, uint64_t seed);
uint64_t	kmeans_rng_next(struct kmeans_rng *);
/* Uniform in [0, n). */
uint64_t	kmeans_rng_below(struct kmeans_rng *, uint64_t n);
/* Standard normal (Box-Muller). */
double		kmeans_rng_gauss(struct kmeans_rng *);

/*
 * Picks m distinct indices of [0, n) (seeded partial Fisher-Yates), in
 * the order drawn.  New array; caller frees.
 */
size_t		*kmeans_sample(size_t n, size_t m, uint64_t seed);

#endif
