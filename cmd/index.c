/*
 * index.c - esctl index (vector indexes) and esctl search.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "cmd.h"
#include "doc.h"
#include "doctab.h"
#include "ivf.h"
#include "jsonpath.h"
#include "tenant.h"
#include "util.h"
#include "vecio.h"
#include "vindex.h"

static int	cmd_index_create(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_add(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_build(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_delete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_data(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_stats(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_index_eval(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_search(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct out_col index_cols[] = {
	{ "NAME", "index_name", OUT_COL_NAME },
	{ "NAMESPACE", "namespace", 0 },
	{ "DIM", "dimension", OUT_COL_RIGHT },
	{ "METRIC", "metric", 0 },
	{ "NLIST", "ivf_params.nlist", OUT_COL_RIGHT },
	{ "NPROBE", "ivf_params.nprobe", OUT_COL_RIGHT },
	{ "VECTORS", "vector_count", OUT_COL_RIGHT },
	{ "BUILT", "built_count", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "ORG", "tenant_org_id", OUT_COL_WIDE },
	{ "USER", "user", OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

static const struct out_col doc_cols[] = {
	{ "SEQ", "seq", OUT_COL_RIGHT },
	{ "ID", "id", OUT_COL_NAME },
	{ "FIELDS", "fields", 0 },
	OUT_COL_END
};

static const struct out_col hit_cols_dist[] = {
	{ "QUERY", "query", OUT_COL_RIGHT },
	{ "RANK", "rank", OUT_COL_RIGHT },
	{ "ID", "id", OUT_COL_NAME },
	{ "DISTANCE", "distance", OUT_COL_RIGHT },
	{ "FIELDS", "fields", 0 },
	OUT_COL_END
};

static const struct out_col hit_cols_score[] = {
	{ "QUERY", "query", OUT_COL_RIGHT },
	{ "RANK", "rank", OUT_COL_RIGHT },
	{ "ID", "id", OUT_COL_NAME },
	{ "SCORE", "score", OUT_COL_RIGHT },
	{ "FIELDS", "fields", 0 },
	OUT_COL_END
};

static const struct out_col eval_cols[] = {
	{ "NPROBE", "nprobe", OUT_COL_RIGHT | OUT_COL_NAME },
	{ "RECALL", "recall", OUT_COL_RIGHT },
	{ "QPS", "qps", OUT_COL_RIGHT },
	{ "P50_MS", "p50_ms", OUT_COL_RIGHT },
	{ "P99_MS", "p99_ms", OUT_COL_RIGHT },
	{ "SCANNED/Q", "scanned_per_query", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "RESCORED/Q", "rescored_per_query", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "MODE", "mode", OUT_COL_WIDE },
	OUT_COL_END
};

/* Everything a search needs, opened once. */
struct index_engine {
	struct vindex		*v;
	struct ivf_index	*ivf;		/* NULL when never built */
	struct vindex_data	 data;		/* mapped when needed */
	struct blas		*blas;
	size_t			 built;		/* vectors in the IVF file */
};

static double
index_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
index_valid_name(const char *name, struct es_err *err)
{
	if (!util_valid_name(name, 63) || name[0] == '.')
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid index "
		    "name '%s': names are [A-Za-z0-9._-], at most 63 "
		    "characters, not starting with '.'", name);
	return 0;
}

/* Reads an index and checks that the identity may touch it. */
static int
index_get_scoped(struct esctl_ctx *ctx, const char *name, struct vindex **v,
    struct es_err *err)
{
	if (index_valid_name(name, err) == -1 ||
	    vindex_get(ctx->store, name, v, err) == -1)
		return -1;
	if (ctx_scope_check(ctx, (*v)->org, (*v)->user, err) == -1) {
		vindex_free(*v);
		*v = NULL;
		return -1;
	}
	return 0;
}

static void
index_engine_close(struct index_engine *e)
{
	ivf_free(e->ivf);
	vindex_data_unmap(&e->data);
	blas_close(e->blas);
	vindex_free(e->v);
	memset(e, 0, sizeof *e);
}

/*
 * Opens the built file (if any) and, when vectors were added after the
 * build or exact search is asked for, maps the data file.
 */
static int
index_engine_open(struct esctl_ctx *ctx, const char *name, int exact,
    struct index_engine *e, struct es_err *err)
{
	char *path;

	memset(e, 0, sizeof *e);
	if (index_get_scoped(ctx, name, &e->v, err) == -1)
		return -1;
	if (!exact && e->v->built > 0) {
		path = vindex_path(ctx->data_dir, name, VINDEX_IVF_FILE);
		if (ivf_open_flags(path, (uint64_t)e->v->id,
		    IVF_OPEN_VERIFIED_ONCE, &e->ivf, err) == -1) {
			free(path);
			index_engine_close(e);
			return -1;
		}
		free(path);
		e->built = ivf_ntotal(e->ivf);
		if (ivf_dim(e->ivf) != e->v->dim || e->built >
		    (size_t)e->v->count) {
			index_engine_close(e);
			return es_err_set(err, ES_EFAIL, "CorruptIndex", "the "
			    "index file of '%s' does not match its records: "
			    "rebuild it", name);
		}
	}
	if (e->built < (size_t)e->v->count &&
	    vindex_data_map(ctx->data_dir, e->v, &e->data, err) == -1) {
		index_engine_close(e);
		return -1;
	}
	return 0;
}

/* Runs queries: IVF over the built part, exact over the rest. */
static int
index_engine_search(struct index_engine *e, const float *q, size_t nq,
    const struct ivf_search_opts *o, struct ivf_hit *hits,
    struct ivf_search_stats *st, struct es_err *err)
{
	ivf_hits_init(hits, nq, o->k);
	if (st != NULL)
		memset(st, 0, sizeof *st);
	if (e->ivf != NULL && ivf_search(e->ivf, q, nq, o, hits, st, err) ==
	    -1)
		return -1;
	if (e->data.n > e->built)
		ivf_exact_merge(e->data.rows + e->built * (size_t)e->v->dim,
		    e->data.n - e->built, e->v->dim, e->v->metric,
		    (int64_t)e->built, q, nq, o, hits);
	return 0;
}

/* Threads: the option, else the number of online CPUs. */
static int
index_threads(struct esctl_args *args, long long *out, struct es_err *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	return args_int(args, "threads", 1, 256, ncpu > 0 ? ncpu : 1, out,
	    err);
}

static int
index_mode(const char *s, enum ivf_mode *m, struct es_err *err)
{
	static const char *names[] = { "auto", "sq8", "flat", "gemm" };
	int i;

	if (s == NULL) {
		*m = IVF_MODE_AUTO;
		return 0;
	}
	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum ivf_mode)i;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid mode '%s': use "
	    "auto, sq8, flat or gemm", s);
}

static const char *
index_mode_name(enum ivf_mode m)
{
	static const char *names[] = { "auto", "sq8", "flat", "gemm" };

	return (unsigned)m < 4 ? names[m] : "auto";
}

/* ---------------------------------------------------------------- */

static int
cmd_index_create(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex_new nw;
	struct tenant_amount add;
	const char *metric = args_get(args, "metric"), *ns;
	long long dim, nlist, nprobe, id, limit = 0, used = 0;
	char *corg = NULL, *cuser = NULL;
	cJSON *row = NULL, *j;
	int rc = -1, found = 0;

	memset(&nw, 0, sizeof nw);
	nw.name = args->argv[0];
	if (index_valid_name(nw.name, err) == -1 ||
	    args_int(args, "dimension", 1, IVF_MAX_DIM, 0, &dim, err) == -1 ||
	    args_int(args, "nlist", 1, 1 << 20, 0, &nlist, err) == -1 ||
	    args_int(args, "nprobe", 1, 1 << 20, 16, &nprobe, err) == -1)
		return -1;
	if (ivf_metric_parse(metric ? metric : "l2", &nw.metric, err) == -1)
		return -1;
	ns = args_get(args, "namespace");
	if (ns != NULL && !util_dns1123_label(ns))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "namespace '%s': must be a DNS-1123 label", ns);
	nw.dim = (int)dim;
	nw.nlist = (int)nlist;
	nw.nprobe = (int)nprobe;
	nw.namespace = ns;
	nw.org = ctx->as_org;
	nw.user = ctx->as_user;
	nw.created_by = ctx->as_user != NULL ? ctx->as_user : getenv("USER");
	if (!ctx->dry_run && store_begin(ctx->store, err) == -1)
		return -1;
	/* the service the index belongs to: its org, user and limit */
	if (ns != NULL) {
		if (store_query_row_json(ctx->store, err, &row, "SELECT "
		    "tenant_org_id, user, index_limit FROM tenant_container "
		    "WHERE namespace = ?", "s", ns) == -1)
			goto done;
		if (row != NULL) {
			found = 1;
			corg = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(
			    row, "tenant_org_id")));
			cuser = xstrdup(cJSON_GetStringValue(
			    cJSON_GetObjectItem(row, "user")));
			limit = (long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(row, "index_limit"));
			if (ctx_scope_check(ctx, corg, cuser, err) == -1)
				goto done;
			nw.org = corg;
			nw.user = cuser;
		}
	}
	if (nw.org != NULL) {
		memset(&add, 0, sizeof add);
		add.indexes = 1;
		if (tenant_quota_check(ctx->store, nw.org, nw.user, &add,
		    err) == -1)
			goto done;
	}
	if (found && limit > 0) {
		if (store_query_int(ctx->store, err, &used, 0, "SELECT "
		    "count(*) FROM vector_index WHERE namespace = ?", "s",
		    ns) == -1)
			goto done;
		if (used + 1 > limit) {
			es_err_set(err, ES_EQUOTA, "QuotaExceeded", "quota "
			    "exceeded for service '%s': index_limit %lld, in "
			    "use %lld", ns, limit, used);
			goto done;
		}
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: index '%s' (dimension %d, %s) would be "
		    "created", nw.name, nw.dim, ivf_metric_name(nw.metric));
		rc = 0;
		goto done;
	}
	if (vindex_create(ctx->store, ctx->data_dir, &nw, ctx->now, &id,
	    err) == -1)
		goto done;
	if (store_commit(ctx->store, err) == -1)
		goto done;
	if (vindex_json(ctx->store, nw.name, &j, err) == -1)
		goto done;
	rc = out_ok(ctx, j, "index '%s' created (dimension %d, metric %s)",
	    nw.name, nw.dim, ivf_metric_name(nw.metric));
	cJSON_Delete(j);
done:
	if (rc == -1 && !ctx->dry_run)
		store_rollback(ctx->store);
	cJSON_Delete(row);
	free(corg);
	free(cuser);
	return rc;
}

/*
 * Documents without ids and fields just added: the documents' table of
 * the index grows with them when it holds all before (lib/doctab.h), so
 * the next build need not read them back.  Best effort: a table left as
 * it was is still exact for what it holds.
 */
static void
index_add_doctab(struct esctl_ctx *ctx, const struct vindex *v,
    const struct vecio_set *s, long long first)
{
	struct es_err e = ES_ERR_INIT;
	size_t i;
	char *path;

	for (i = 0; i < s->n; i++)
		if ((s->ids != NULL && s->ids[i] != NULL) ||
		    (s->fields != NULL && s->fields[i] != NULL))
			return;
	path = vindex_path(ctx->data_dir, v->name, DOCTAB_FILE);
	if (doctab_extend_plain(path, v->id, (size_t)first,
	    (size_t)v->count, &e) == -1)
		ctx_info(ctx, "documents table not extended: %s", e.msg);
	free(path);
}

static int
cmd_index_add(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	struct vecio_set *s = NULL;
	enum vecio_format fmt = VECIO_AUTO;
	const char *f = args_get(args, "format");
	long long first;
	double t0 = index_now();
	cJSON *j;
	int rc = -1;

	if (f != NULL && vecio_format_parse(f, &fmt, err) == -1)
		return -1;
	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	if (vecio_read(args->argv[1], fmt, v->dim, &s, err) == -1)
		goto done;
	if (s->dim != v->dim) {
		es_err_set(err, ES_EUSAGE, "DimensionMismatch", "%s: vectors "
		    "have dimension %d, index '%s' has %d", args->argv[1],
		    s->dim, v->name, v->dim);
		goto done;
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: %zu valid vectors would be added to "
		    "index '%s'", s->n, v->name);
		rc = 0;
		goto done;
	}
	if (vindex_add(ctx->store, ctx->data_dir, v, s, ctx->now, &first,
	    err) == -1)
		goto done;
	index_add_doctab(ctx, v, s, first);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "index_name", v->name);
	cJSON_AddNumberToObject(j, "added", (double)s->n);
	cJSON_AddNumberToObject(j, "first_seq", (double)first);
	cJSON_AddNumberToObject(j, "vector_count", (double)v->count);
	cJSON_AddNumberToObject(j, "seconds", round((index_now() - t0) *
	    1000) / 1000);
	rc = out_ok(ctx, j, "added %zu vectors to index '%s' (%lld in all)",
	    s->n, v->name, v->count);
	cJSON_Delete(j);
done:
	vecio_set_free(s);
	vindex_free(v);
	return rc;
}

struct index_prog {
	struct esctl_ctx	*ctx;
	const char		*name;
};

static void
index_build_progress(void *arg, const char *phase, int i, int n, double obj)
{
	struct index_prog *p = arg;

	if (strcmp(phase, "train") == 0)
		ctx_progress(p->ctx, "building '%s': k-means iteration %d/%d "
		    "(objective %.6g)", p->name, i, n, obj);
	else
		ctx_progress(p->ctx, "building '%s': assigning vectors to "
		    "lists", p->name);
}

/* Automatic nlist: about 4 sqrt(n), at least 39 points per list. */
static int
index_auto_nlist(size_t n)
{
	double k = 4 * sqrt((double)n);

	if (k > (double)n / 39)
		k = (double)n / 39;
	return k < 1 ? 1 : (int)k;
}

static int
cmd_index_build(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	struct vindex_data dm;
	struct ivf_build_opts bo;
	struct ivf_build_stats bs;
	struct index_prog prog;
	struct blas *blas = NULL;
	long long nlist, iters, sample, seed, threads, fd = -1;
	const char *init = args_get(args, "init"), *tol = args_get(args, "tol");
	char *path = NULL, *lockname = NULL;
	double dtol = 0, t0;
	struct doctab *tab;
	cJSON *b;
	int rc = -1;

	memset(&dm, 0, sizeof dm);
	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	if (args_int(args, "nlist", 1, 1 << 20, v->nlist > 0 ? v->nlist :
	    index_auto_nlist((size_t)v->count), &nlist, err) == -1 ||
	    args_int(args, "iters", 1, 1000, 25, &iters, err) == -1 ||
	    args_int(args, "sample", 0, 1LL << 40, 0, &sample, err) == -1 ||
	    args_int(args, "seed", 0, 1LL << 62, 1234, &seed, err) == -1 ||
	    index_threads(args, &threads, err) == -1 ||
	    (tol != NULL && util_parse_double(tol, "--tol", 0, 1, &dtol,
	    err) == -1))
		goto done;
	memset(&bo, 0, sizeof bo);
	if (init == NULL || strcmp(init, "random") == 0)
		bo.init = KMEANS_INIT_RANDOM;
	else if (strcmp(init, "pca") == 0)
		bo.init = KMEANS_INIT_PCA;
	else {
		es_err_set(err, ES_EUSAGE, "Invalid", "invalid --init '%s': "
		    "use random or pca", init);
		goto done;
	}
	if (v->count == 0) {
		es_err_set(err, ES_ECONFLICT, "Empty", "index '%s' has no "
		    "vectors: add some with 'esctl index add'", v->name);
		goto done;
	}
	if (nlist > v->count) {
		es_err_set(err, ES_EUSAGE, "Invalid", "nlist %lld is larger "
		    "than the number of vectors (%lld)", nlist, v->count);
		goto done;
	}
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: index '%s' would be built from %lld "
		    "vectors with nlist %lld", v->name, v->count, nlist);
		rc = 0;
		goto done;
	}
	lockname = xasprintf("index-%s", v->name);
	if ((fd = store_lock(ctx->store, lockname, 0, err)) == -1) {
		es_err_prefix(err, "index '%s' is being built elsewhere",
		    v->name);
		goto done;
	}
	if (vindex_clean_tmp(ctx->data_dir, v->name) > 0)
		ctx_info(ctx, "removed the temporary file of an interrupted "
		    "build of '%s'", v->name);
	if (vindex_data_map(ctx->data_dir, v, &dm, err) == -1 ||
	    blas_open(&blas, err) == -1)
		goto done;
	/*
	 * The documents' table first (nothing changes if it cannot be
	 * written), unless `index add` kept it whole.
	 */
	path = vindex_path(ctx->data_dir, v->name, DOCTAB_FILE);
	t0 = index_now();
	tab = doctab_open(path, v->id, dm.n, NULL);
	if (doctab_size(tab) != dm.n) {
		if (doctab_write(ctx->store, path, v->id, dm.n, err) == -1) {
			doctab_close(tab);
			goto done;
		}
		es_log(&ctx->log, ES_LOG_INFO, "documents table of %zu "
		    "documents written in %.3f ms", dm.n, (index_now() - t0) *
		    1000);
	}
	doctab_close(tab);
	free(path);
	path = NULL;
	bo.nlist = (int)nlist;
	bo.iters = (int)iters;
	bo.sample = (size_t)sample;
	bo.seed = (uint64_t)seed;
	bo.threads = (int)threads;
	bo.tol = dtol;
	bo.index_uid = (uint64_t)v->id;
	bo.blas = blas;
	prog.ctx = ctx;
	prog.name = v->name;
	bo.progress = index_build_progress;
	bo.arg = &prog;
	path = vindex_path(ctx->data_dir, v->name, VINDEX_IVF_FILE);
	rc = ivf_build(dm.rows, dm.n, v->dim, v->metric, &bo, path, &bs, err);
	ctx_progress_done(ctx);
	if (rc == -1)
		goto done;
	rc = -1;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "index_name", v->name);
	cJSON_AddNumberToObject(b, "vectors", (double)bs.ntotal);
	cJSON_AddNumberToObject(b, "nlist", bs.nlist);
	cJSON_AddNumberToObject(b, "iters", bs.km.iters_run);
	cJSON_AddNumberToObject(b, "sample", (double)bs.sample);
	cJSON_AddNumberToObject(b, "seed", (double)seed);
	cJSON_AddStringToObject(b, "init", bo.init == KMEANS_INIT_PCA ? "pca" :
	    "random");
	cJSON_AddNumberToObject(b, "threads", (double)threads);
	cJSON_AddNumberToObject(b, "objective", bs.km.obj_final);
	cJSON_AddNumberToObject(b, "objective_first", bs.km.obj_first);
	cJSON_AddNumberToObject(b, "coarse_projection", bs.proj_dim);
	cJSON_AddNumberToObject(b, "last_change", bs.km.rel_change);
	cJSON_AddBoolToObject(b, "converged", bs.km.converged);
	cJSON_AddNumberToObject(b, "empty_splits",
	    (double)bs.km.empty_splits);
	cJSON_AddNumberToObject(b, "full_assignments", round(
	    (double)bs.km.full_computations / ((double)bs.sample *
	    bs.km.iters_run) * 1000) / 1000);
	cJSON_AddNumberToObject(b, "train_seconds",
	    round(bs.train_seconds * 1000) / 1000);
	cJSON_AddNumberToObject(b, "add_seconds",
	    round(bs.add_seconds * 1000) / 1000);
	cJSON_AddNumberToObject(b, "write_seconds",
	    round(bs.write_seconds * 1000) / 1000);
	cJSON_AddNumberToObject(b, "file_size", (double)bs.file_size);
	cJSON_AddStringToObject(b, "blas", blas_name(blas));
	if (store_begin(ctx->store, err) == -1 ||
	    vindex_set_built(ctx->store, v->id, (long long)bs.ntotal,
	    bs.nlist, b, ctx->now, err) == -1 ||
	    store_commit(ctx->store, err) == -1) {
		store_rollback(ctx->store);
		cJSON_Delete(b);
		goto done;
	}
	rc = out_ok(ctx, b, "index '%s' built: %zu vectors in %d lists, "
	    "k-means %d iterations (objective %.6g%s), train %.2fs, add "
	    "%.2fs, write %.2fs", v->name, bs.ntotal, bs.nlist,
	    bs.km.iters_run, bs.km.obj_final, bs.km.converged ?
	    ", converged" : "", bs.train_seconds, bs.add_seconds,
	    bs.write_seconds);
	cJSON_Delete(b);
done:
	if (fd != -1)
		store_unlock((int)fd);
	vindex_data_unmap(&dm);
	blas_close(blas);
	free(path);
	free(lockname);
	vindex_free(v);
	return rc;
}

static int
cmd_index_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *org = args_get(args, "org");
	cJSON *list;
	int rc;

	if (org != NULL && ctx->as_org != NULL && strcmp(org, ctx->as_org) !=
	    0)
		return ctx_scope_check(ctx, org, NULL, err);
	if (org == NULL)
		org = ctx->as_org;
	if (vindex_list_json(ctx->store, org, ctx->as_user,
	    args_get(args, "namespace"), &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, index_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_index_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	cJSON *j;
	int rc;

	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	vindex_free(v);
	if (vindex_json(ctx->store, args->argv[0], &j, err) == -1)
		return -1;
	rc = out_item(ctx, j, "index_name", err);
	cJSON_Delete(j);
	return rc;
}

static int
cmd_index_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	int rc = -1;

	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	if (ctx_confirm(ctx, err, "delete index '%s' and its %lld vectors",
	    v->name, v->count) == -1)
		goto done;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: index '%s' would be deleted", v->name);
		rc = 0;
		goto done;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	if (vindex_delete_records(ctx->store, v->id, err) == -1 ||
	    store_commit(ctx->store, err) == -1) {
		store_rollback(ctx->store);
		goto done;
	}
	if (vindex_remove_files(ctx->data_dir, v->name, err) == -1)
		goto done;
	rc = out_ok(ctx, NULL, "index '%s' deleted", v->name);
done:
	vindex_free(v);
	return rc;
}

static int
cmd_index_data(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	long long limit, offset;
	cJSON *list;
	int rc;

	if (args_int(args, "limit", 0, 1LL << 40, 20, &limit, err) == -1 ||
	    args_int(args, "offset", 0, 1LL << 40, 0, &offset, err) == -1)
		return -1;
	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	rc = vindex_docs_json(ctx->store, v->id, limit, offset, &list, err);
	vindex_free(v);
	if (rc == -1)
		return -1;
	out_kind(ctx, "document");
	rc = out_list(ctx, list, doc_cols, err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_index_stats(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct vindex *v;
	struct ivf_index *ix = NULL;
	char *path;
	cJSON *j = NULL;
	int rc = -1;

	if (index_get_scoped(ctx, args->argv[0], &v, err) == -1)
		return -1;
	if (v->built == 0) {
		es_err_set(err, ES_ECONFLICT, "NotBuilt", "index '%s' is not "
		    "built yet: run 'esctl index build %s'", v->name,
		    v->name);
		goto done;
	}
	path = vindex_path(ctx->data_dir, v->name, VINDEX_IVF_FILE);
	rc = ivf_open(path, (uint64_t)v->id, &ix, err);
	free(path);
	if (rc == -1 || (rc = ivf_stats(ix, !args_has(args, "no-verify"), &j,
	    err)) == -1)
		goto done;
	cJSON_AddStringToObject(j, "index_name", v->name);
	cJSON_AddNumberToObject(j, "vector_count", (double)v->count);
	cJSON_AddNumberToObject(j, "unbuilt", (double)(v->count -
	    (long long)ivf_ntotal(ix)));
	rc = out_item(ctx, j, "index_name", err);
done:
	cJSON_Delete(j);
	ivf_free(ix);
	vindex_free(v);
	return rc;
}

/* Parses "1,2,4" into a new int array. */
static int
index_int_list(const char *s, const char *what, int **out, int *n,
    struct es_err *err)
{
	char *copy = xstrdup(s), *p = copy, *c;
	long long v;
	int cap = 8;

	*n = 0;
	*out = xreallocarray(NULL, (size_t)cap, sizeof **out);
	while (p != NULL) {
		c = strchr(p, ',');
		if (c != NULL)
			*c++ = '\0';
		if (util_parse_int(p, what, 1, 1 << 20, &v, err) == -1) {
			free(copy);
			free(*out);
			*out = NULL;
			return -1;
		}
		if (*n == cap) {
			cap *= 2;
			*out = xreallocarray(*out, (size_t)cap, sizeof **out);
		}
		(*out)[(*n)++] = (int)v;
		p = c;
	}
	free(copy);
	return 0;
}

static int
index_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A batch on the sgemm path: thread CPU milliseconds of its three
 * parallel phases (summed over the threads) and split_bound, the sum
 * over the critical path (each phase's busiest thread): the speed-up
 * the threads' split of the work allows, whatever the machine's load.
 */
static void
index_eval_split(cJSON *r, int batch, const struct ivf_search_stats *st)
{
	static const char *const names[3] = { "coarse", "lists", "merge" };
	cJSON *c;
	double sum = 0, span = 0, v;
	int i;

	if (!batch || st->mode != IVF_MODE_GEMM) {
		cJSON_AddNullToObject(r, "thread_cpu_ms");
		cJSON_AddNullToObject(r, "split_bound");
		return;
	}
	c = cJSON_AddObjectToObject(r, "thread_cpu_ms");
	/* the list phase's exact re-rank apart from its scan */
	for (i = 0; i < 3; i++) {
		v = st->cpu_sum[i] - (i == 1 ? st->cpu_rerank : 0);
		cJSON_AddNumberToObject(c, names[i], round(v * 1e4) / 10);
		if (i == 1)
			cJSON_AddNumberToObject(c, "rerank",
			    round(st->cpu_rerank * 1e4) / 10);
		sum += st->cpu_sum[i];
		span += st->cpu_max[i];
	}
	cJSON_AddNumberToObject(r, "split_bound", span > 0 ?
	    round(sum / span * 100) / 100 : 1);
}

static int
cmd_index_eval(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct index_engine e;
	struct ivf_search_opts o;
	struct ivf_search_stats st, st1;
	struct vecio_set *qs = NULL;
	struct ivf_hit *hits = NULL;
	int32_t *gt = NULL;
	size_t ngt = 0, qi, i;
	int kgt = 0, *nprobes = NULL, nnp = 0, p, a, b, batch;
	long long k, threads, warm;
	double *lat = NULL, *lat1 = NULL, t0, total, recall;
	long long repeat;
	int rep;
	cJSON *list = NULL, *r;
	enum ivf_mode mode;
	int rc = -1;

	if (args_int(args, "topk", 1, 10000, 10, &k, err) == -1 ||
	    index_threads(args, &threads, err) == -1 ||
	    args_int(args, "warmup", 0, 1000000, 0, &warm, err) == -1 ||
	    args_int(args, "repeat", 1, 100, 1, &repeat, err) == -1 ||
	    index_mode(args_get(args, "mode"), &mode, err) == -1 ||
	    index_int_list(args_get(args, "nprobe") ? args_get(args,
	    "nprobe") : "1,2,4,8,16,32,64,128", "--nprobe", &nprobes, &nnp,
	    err) == -1)
		return -1;
	batch = args_has(args, "batch");
	if (index_engine_open(ctx, args->argv[0], 0, &e, err) == -1)
		goto out;
	if (e.ivf == NULL) {
		es_err_set(err, ES_ECONFLICT, "NotBuilt", "index '%s' is not "
		    "built yet: run 'esctl index build %s'", e.v->name,
		    e.v->name);
		goto done;
	}
	if (vecio_read(args_get(args, "queries"), VECIO_AUTO, e.v->dim, &qs,
	    err) == -1 || vecio_read_ivecs(args_get(args, "groundtruth"), &gt,
	    &ngt, &kgt, err) == -1)
		goto done;
	if (ngt < qs->n || kgt < k) {
		es_err_set(err, ES_EUSAGE, "Invalid", "the ground truth has "
		    "%zu rows of %d neighbours; %zu queries at k=%lld need "
		    "more", ngt, kgt, qs->n, k);
		goto done;
	}
	if ((batch && mode != IVF_MODE_SQ8 && mode != IVF_MODE_FLAT) ||
	    mode == IVF_MODE_GEMM) {
		if (blas_open(&e.blas, err) == -1)
			goto done;
	}
	/* measure a warm index: every page read once */
	ivf_warm(e.ivf);
	hits = xreallocarray(NULL, qs->n * (size_t)k, sizeof *hits);
	lat = xreallocarray(NULL, qs->n, sizeof *lat);
	lat1 = xreallocarray(NULL, qs->n, sizeof *lat1);
	list = cJSON_CreateArray();
	for (p = 0; p < nnp; p++) {
		memset(&o, 0, sizeof o);
		o.k = (int)k;
		o.nprobe = nprobes[p];
		o.threads = (int)threads;
		o.mode = mode;
		o.blas = e.blas;
		ctx_progress(ctx, "evaluating nprobe %d", o.nprobe);
		for (qi = 0; qi < (size_t)warm && qi < qs->n; qi++)
			if (index_engine_search(&e, qs->vectors + qi *
			    (size_t)e.v->dim, 1, &o, hits, &st1, err) == -1)
				goto done;
		/* best of --repeat runs: contention only ever slows down */
		total = INFINITY;
		for (rep = 0; rep < repeat; rep++) {
			memset(&st, 0, sizeof st);
			t0 = index_now();
			if (batch) {
				if (index_engine_search(&e, qs->vectors, qs->n,
				    &o, hits, &st, err) == -1)
					goto done;
				t0 = index_now() - t0;
			} else {
				o.threads = 1;
				for (qi = 0; qi < qs->n; qi++) {
					double tq = index_now();

					if (index_engine_search(&e,
					    qs->vectors + qi * (size_t)e.v->dim,
					    1, &o, hits + qi * (size_t)k, &st1,
					    err) == -1)
						goto done;
					lat1[qi] = index_now() - tq;
					st.scanned += st1.scanned;
					st.rescored += st1.rescored;
					st.mode = st1.mode;
				}
				t0 = index_now() - t0;
			}
			if (t0 < total) {
				total = t0;
				memcpy(lat, lat1, qs->n * sizeof *lat);
			}
		}
		recall = 0;
		for (qi = 0; qi < qs->n; qi++) {
			int hit = 0;

			for (a = 0; a < k; a++) {
				int64_t id = hits[qi * (size_t)k +
				    (size_t)a].id;

				for (b = 0; b < k; b++)
					if (id == gt[qi * (size_t)kgt +
					    (size_t)b]) {
						hit++;
						break;
					}
			}
			recall += (double)hit / (double)k;
		}
		recall /= (double)qs->n;
		r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "nprobe", o.nprobe >
		    ivf_nlist(e.ivf) ? ivf_nlist(e.ivf) : o.nprobe);
		cJSON_AddNumberToObject(r, "k", (double)k);
		cJSON_AddNumberToObject(r, "recall", round(recall * 10000) /
		    10000);
		cJSON_AddNumberToObject(r, "qps", round((double)qs->n / total));
		if (!batch) {
			qsort(lat, qs->n, sizeof *lat, index_dbl_cmp);
			i = qs->n / 2;
			cJSON_AddNumberToObject(r, "p50_ms",
			    round(lat[i] * 1e6) / 1000);
			i = (size_t)ceil((double)qs->n * 0.99) - 1;
			cJSON_AddNumberToObject(r, "p99_ms",
			    round(lat[i] * 1e6) / 1000);
		} else {
			cJSON_AddNullToObject(r, "p50_ms");
			cJSON_AddNullToObject(r, "p99_ms");
		}
		cJSON_AddNumberToObject(r, "scanned_per_query",
		    round((double)st.scanned / (double)qs->n));
		cJSON_AddNumberToObject(r, "rescored_per_query",
		    round((double)st.rescored / (double)qs->n * 10) / 10);
		cJSON_AddStringToObject(r, "mode", index_mode_name(st.mode));
		/* the coarse step's exact centroid distances */
		if (batch && st.mode == IVF_MODE_GEMM)
			cJSON_AddNumberToObject(r, "centroids_exact_per_query",
			    round((double)st.coarse_exact / (double)qs->n *
			    100) / 100);
		else
			cJSON_AddNullToObject(r, "centroids_exact_per_query");
		index_eval_split(r, batch, &st);
		cJSON_AddNumberToObject(r, "threads", (double)(batch ?
		    threads : 1));
		cJSON_AddNumberToObject(r, "queries", (double)qs->n);
		cJSON_AddItemToArray(list, r);
	}
	ctx_progress_done(ctx);
	out_kind(ctx, "nprobe");
	rc = out_list(ctx, list, eval_cols, err);
done:
	index_engine_close(&e);
out:
	cJSON_Delete(list);
	vecio_set_free(qs);
	free(gt);
	free(hits);
	free(lat);
	free(lat1);
	free(nprobes);
	return rc;
}

/* Parses --vector: a JSON array, or bare comma-separated numbers. */
static int
search_vector(const char *s, int dim, float **out, struct es_err *err)
{
	struct vecio_set *set;
	char *line;
	int rc;

	if (vecio_parse_list(s, dim, out))
		return 0;
	while (*s == ' ')
		s++;
	line = *s == '[' ? xasprintf("{\"vector\": %s}\n", s) :
	    xasprintf("{\"vector\": [%s]}\n", s);
	rc = vecio_read_mem(line, strlen(line), "--vector", VECIO_JSONL, dim,
	    &set, err);
	free(line);
	if (rc == -1)
		return -1;
	*out = set->vectors;
	set->vectors = NULL;
	vecio_set_free(set);
	return 0;
}

/*
 * The rows of a search: every query's hits in rank order up to its first
 * empty slot (a query with fewer than k results has fewer rows; none are
 * padded), printed straight from the hits and the documents, without a
 * tree of the whole result: linear in the rows whatever the format.
 */
struct search_rows {
	struct esctl_ctx		*ctx;
	const struct ivf_hit		*hits;
	const struct doctab		*tab;	/* may be NULL */
	const struct vindex_docset	*docs;	/* what the table lacks */
	const struct out_col		*cols;
	size_t				*row;	/* row -> hit index */
	size_t				*doc;	/* row -> document */
	char				**ftext; /* fields as printed */
	char				**tftext; /* the same, table's */
	size_t				 nrows;
	int				 k;
	int				 sim;
	int				 qfile;
};

/* The document of a row: its id, its fields (NULL: none). */
struct search_doc {
	const char	*id;
	size_t		 idlen;
	const char	*fields;
	size_t		 flen;
	char		**ftext;	/* where its printed fields are kept */
	char		 idbuf[24];
};

/* The columns of hit_cols_*, numbered as with a QUERY column. */
enum { SEARCH_QUERY, SEARCH_RANK, SEARCH_ID, SEARCH_DIST, SEARCH_FIELDS };

/*
 * A distance or score as printed: the shortest decimal that reads back
 * as the same float32 (esctl-search(1), "Output"), also as the double
 * yaml and jsonpath print with up to 15 digits.
 */
static double
search_dist(const struct search_rows *sr, const struct ivf_hit *h)
{
	char num[32];

	jsonpath_float(sr->sim ? -h->dist : h->dist, num, sizeof num);
	return strtod(num, NULL);
}

/*
 * The id and fields of row r's document: from the documents' table when
 * it holds it (an id it does not store is the position in decimal: no
 * memory read), else from the set read from the database; 0 (id and
 * fields NULL) when it has none.
 */
static int
search_row_doc(const struct search_rows *sr, size_t r, struct search_doc *d)
{
	int64_t seq = sr->hits[sr->row[r]].id;

	if (doctab_get(sr->tab, seq, d->idbuf, &d->id, &d->idlen, &d->fields,
	    &d->flen)) {
		d->ftext = d->fields != NULL ? &sr->tftext[seq] : NULL;
		return 1;
	}
	if (sr->doc[r] == SIZE_MAX) {
		d->id = d->fields = NULL;
		d->idlen = d->flen = 0;
		d->ftext = NULL;
		return 0;
	}
	vindex_docset_entry(sr->docs, sr->doc[r], &d->id, &d->fields);
	d->idlen = strlen(d->id);
	d->flen = d->fields != NULL ? strlen(d->fields) : 0;
	d->ftext = &sr->ftext[sr->doc[r]];
	return 1;
}

/* Row r as the object -o json/yaml prints. */
static cJSON *
search_row_json(const struct search_rows *sr, size_t r)
{
	size_t hi = sr->row[r];
	const struct ivf_hit *h = &sr->hits[hi];
	struct search_doc d;
	cJSON *o = cJSON_CreateObject(), *f;

	if (sr->qfile)
		cJSON_AddNumberToObject(o, "query",
		    (double)(hi / (size_t)sr->k) + 1);
	cJSON_AddNumberToObject(o, "rank", (double)(hi % (size_t)sr->k) + 1);
	if (search_row_doc(sr, r, &d))
		cJSON_AddStringToObject(o, "id", d.id);
	else
		cJSON_AddNumberToObject(o, "id", (double)h->id);
	cJSON_AddNumberToObject(o, sr->sim ? "score" : "distance",
	    search_dist(sr, h));
	f = d.fields != NULL ? cJSON_Parse(d.fields) : NULL;
	cJSON_AddItemToObject(o, "fields", f != NULL ? f : cJSON_CreateNull());
	return o;
}

/* text into buf as a cell, truncated to len - 1 bytes. */
static void
search_cell_copy(const char *text, char *buf, size_t len)
{
	size_t n = strlen(text);

	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

/*
 * A table cell.  A document's fields are parsed and rendered once, the
 * first time one of its rows is printed, and copied for its other rows.
 */
static void
search_row_cell(void *arg, size_t r, size_t col, int flags, char *buf,
    size_t len)
{
	struct search_rows *sr = arg;
	size_t hi = sr->row[r];
	const struct ivf_hit *h = &sr->hits[hi];
	struct search_doc d;
	cJSON num, *f;

	memset(&num, 0, sizeof num);
	num.type = cJSON_Number;
	switch (col + (sr->qfile ? 0 : 1)) {
	case SEARCH_QUERY:
		num.valuedouble = (double)(hi / (size_t)sr->k) + 1;
		break;
	case SEARCH_RANK:
		num.valuedouble = (double)(hi % (size_t)sr->k) + 1;
		break;
	case SEARCH_ID:
		if (search_row_doc(sr, r, &d)) {
			out_cell_text(d.id, buf, len);
			return;
		}
		num.valuedouble = (double)h->id;
		break;
	case SEARCH_DIST:
		num.valuedouble = sr->sim ? -(double)h->dist : (double)h->dist;
		break;
	default:
		if (!search_row_doc(sr, r, &d) || d.fields == NULL) {
			out_cell_text(NULL, buf, len);
			return;
		}
		if (*d.ftext == NULL) {
			f = cJSON_Parse(d.fields);
			out_cell(sr->ctx, f, flags, buf, len);
			cJSON_Delete(f);
			*d.ftext = xstrdup(buf);
		} else
			search_cell_copy(*d.ftext, buf, len);
		return;
	}
	out_cell(sr->ctx, &num, flags, buf, len);
}

/* A constant string at p; the end of what was written. */
#define SEARCH_LIT(p, s)	(memcpy((p), (s), sizeof(s) - 1), \
				    (p) + sizeof(s) - 1)

/* A whole number as out_json writes it, at p (20 bytes at most). */
static char *
search_json_uint(char *p, uint64_t v)
{
	char tmp[24], *t = tmp + sizeof tmp;
	size_t n;

	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	n = (size_t)(tmp + sizeof tmp - t);
	memcpy(p, t, n);
	return p + n;
}

/*
 * A distance or score as jsonpath_float prints it, at p (32 bytes at
 * most): a whole one (any SIFT-like distance) without its
 * snprintf("%lld").
 */
static char *
search_json_dist(char *p, float f)
{
	double a = (double)f;

	if (isfinite(a) && fabs(a) < 9e15 && a == (double)(long long)a) {
		if (a < 0) {
			*p++ = '-';
			return search_json_uint(p, (uint64_t)-(long long)a);
		}
		return search_json_uint(p, (uint64_t)(long long)a);
	}
	return p + jsonpath_float(f, p, 32);
}

/* 1 when s[0 .. n) is a JSON string's contents as it is. */
static int
search_json_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	for (; p < e; p++)
		if (*p < 0x20 || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/*
 * Row r as out_json prints it as an element of the list (indent 4), sep
 * before it: formatted in place, room made once for all but a fields
 * text or an id that needs escaping.
 */
static void
search_row_json_text(const struct search_rows *sr, size_t r,
    const char *sep, struct es_buf *b)
{
	size_t hi = sr->row[r], idlen;
	const struct ivf_hit *h = &sr->hits[hi];
	struct search_doc d;
	struct es_buf fb = ES_BUF_INIT;
	int has = search_row_doc(sr, r, &d);
	cJSON *f;
	char *p;

	idlen = has ? d.idlen : 0;
	es_buf_grow(b, 256 + idlen);
	p = b->data + b->len;
	memcpy(p, sep, strlen(sep));
	p += strlen(sep);
	if (sr->qfile) {
		p = SEARCH_LIT(p, "{\n      \"query\": ");
		p = search_json_uint(p, hi / (size_t)sr->k + 1);
		p = SEARCH_LIT(p, ",\n      \"rank\": ");
	} else
		p = SEARCH_LIT(p, "{\n      \"rank\": ");
	p = search_json_uint(p, hi % (size_t)sr->k + 1);
	p = SEARCH_LIT(p, ",\n      \"id\": ");
	if (!has)
		p = search_json_uint(p, (uint64_t)h->id);
	else if (search_json_plain(d.id, d.idlen)) {
		*p++ = '"';
		memcpy(p, d.id, d.idlen);
		p += d.idlen;
		*p++ = '"';
	} else {
		b->len = (size_t)(p - b->data);
		es_buf_add_json_str(b, d.id);
		es_buf_grow(b, 128);
		p = b->data + b->len;
	}
	if (sr->sim)
		p = SEARCH_LIT(p, ",\n      \"score\": ");
	else
		p = SEARCH_LIT(p, ",\n      \"distance\": ");
	p = search_json_dist(p, sr->sim ? -h->dist : h->dist);
	p = SEARCH_LIT(p, ",\n      \"fields\": ");
	if (d.fields == NULL) {
		p = SEARCH_LIT(p, "null\n    }");
		b->len = (size_t)(p - b->data);
		b->data[b->len] = '\0';
		return;
	}
	b->len = (size_t)(p - b->data);
	/* rendered once per document */
	if (*d.ftext == NULL) {
		if ((f = cJSON_Parse(d.fields)) != NULL) {
			out_json(&fb, f, 6);
			cJSON_Delete(f);
			*d.ftext = es_buf_detach(&fb, NULL);
		} else
			*d.ftext = xstrdup("null");
	}
	es_buf_adds(b, *d.ftext);
	es_buf_add(b, "\n    }", 6);
}

/*
 * -o json streams the list a row at a time, exactly as out_list prints it
 * ({"kind": "List", "items": [...]}); the other structured formats (yaml,
 * jsonpath, custom-columns) get the list built row by row (linear) and
 * printed by out_list.
 */
static int
search_rows_structured(struct search_rows *sr, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	cJSON *list;
	size_t r;
	int rc = 0;

	if (sr->nrows == 0 || sr->ctx->output != OUT_JSON) {
		list = cJSON_CreateArray();
		for (r = 0; r < sr->nrows; r++)
			cJSON_AddItemToArray(list, search_row_json(sr, r));
		rc = out_list(sr->ctx, list, sr->cols, err);
		cJSON_Delete(list);
		return rc;
	}
	es_buf_adds(&b, "{\n  \"kind\": \"List\",\n  \"items\": [");
	for (r = 0; r < sr->nrows; r++) {
		search_row_json_text(sr, r, r == 0 ? "\n    " : ",\n    ",
		    &b);
		if (b.len >= 65536 || r + 1 == sr->nrows) {
			fwrite(b.data, 1, b.len, sr->ctx->out);
			es_buf_reset(&b);
		}
	}
	fputs("\n  ]\n}\n", sr->ctx->out);
	es_buf_release(&b);
	return rc;
}

static int
cmd_search(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct index_engine e;
	struct ivf_search_opts o;
	struct ivf_search_stats st;
	struct vecio_set *qs = NULL;
	struct ivf_hit *hits = NULL;
	struct vindex_docset *docs = NULL;
	struct doctab *tab = NULL;
	struct search_rows sr;
	const char *vec = args_get(args, "vector");
	const char *qf = args_get(args, "query-file"), **filters, *why;
	char *tpath;
	uint64_t *bits = NULL;
	size_t nq = 0, qi, matches = 0, nshort = 0, i, ntab = 0;
	float *q = NULL, *qv;
	long long k, nprobe, threads;
	int nf, m, exact = args_has(args, "exact"), rc = -1;
	enum ivf_mode mode;
	int64_t *seqs = NULL, seq;
	double t0 = index_now(), to, tr, ts, t1, t2;

	memset(&sr, 0, sizeof sr);
	if ((vec == NULL) == (qf == NULL))
		return es_err_set(err, ES_EUSAGE, "MissingOption", "give "
		    "either --vector or --query-file");
	/* one vector is one thread's work: no count of the CPUs (sysfs) */
	if (args_int(args, "topk", 1, 100000, 10, &k, err) == -1 ||
	    (vec != NULL ? args_int(args, "threads", 1, 256, 1, &threads,
	    err) : index_threads(args, &threads, err)) == -1 ||
	    index_mode(args_get(args, "mode"), &mode, err) == -1)
		return -1;
	filters = args_list(args, "filter", &nf);
	/*
	 * The store came with a few pages (CMD_FEW_PAGES): enough for one
	 * query's rows, not for a query file's, a filter's or a large k's
	 * lookups, which revisit the b-trees' inner pages.
	 */
	if ((qf != NULL || nf > 0 || k > 32) &&
	    store_cache_pages(ctx->store, 0, err) == -1)
		return -1;
	if (index_engine_open(ctx, args->argv[0], exact, &e, err) == -1)
		return -1;
	to = index_now();
	if (args_int(args, "nprobe", 1, 1 << 20, e.v->nprobe, &nprobe,
	    err) == -1)
		goto done;
	if (vec != NULL) {
		if (search_vector(vec, e.v->dim, &q, err) == -1)
			goto done;
		nq = 1;
		qv = q;
	} else {
		if (vecio_read(qf, VECIO_AUTO, e.v->dim, &qs, err) == -1)
			goto done;
		nq = qs->n;
		qv = qs->vectors;
	}
	tr = index_now();
	memset(&o, 0, sizeof o);
	o.k = (int)k;
	o.nprobe = (int)nprobe;
	o.threads = (int)threads;
	o.mode = mode;
	if (nf > 0) {
		if (vindex_filter_bitmap(ctx->store, e.v->id,
		    (size_t)e.v->count, filters, nf, &bits, &matches, err) ==
		    -1)
			goto done;
		o.filter = bits;
		o.filter_bits = (size_t)e.v->count;
	}
	if (!exact && e.ivf != NULL && (mode == IVF_MODE_GEMM ||
	    (mode == IVF_MODE_AUTO && nq >= 64)) && blas_open(&e.blas, err) ==
	    -1)
		goto done;
	o.blas = e.blas;
	hits = xreallocarray(NULL, nq * (size_t)k, sizeof *hits);
	ts = index_now();
	if (exact) {
		ivf_hits_init(hits, nq, o.k);
		ivf_exact_merge(e.data.rows, e.data.n, e.v->dim, e.v->metric, 0,
		    qv, nq, &o, hits);
		memset(&st, 0, sizeof st);
	} else if (index_engine_search(&e, qv, nq, &o, hits, &st, err) == -1)
		goto done;
	if (e.ivf == NULL && !exact && e.v->count > 0)
		ctx_info(ctx, "index '%s' is not built: exact search over "
		    "%lld vectors", e.v->name, e.v->count);
	else if (e.built < (size_t)e.v->count && !exact)
		ctx_info(ctx, "%lld vectors added since the last build were "
		    "searched exactly", e.v->count - (long long)e.built);
	t1 = index_now();

	/* the rows: each query's hits up to its first empty slot */
	sr.row = xreallocarray(NULL, nq * (size_t)k, sizeof *sr.row);
	seqs = xreallocarray(NULL, nq * (size_t)k, sizeof *seqs);
	for (qi = 0; qi < nq; qi++) {
		for (m = 0; m < k; m++) {
			i = qi * (size_t)k + (size_t)m;
			if (hits[i].id < 0)
				break;
			seqs[sr.nrows] = hits[i].id;
			sr.row[sr.nrows++] = i;
		}
		if (m < k)
			nshort++;
	}
	es_log(&ctx->log, ES_LOG_INFO, "index opened in %.3f ms, %zu queries "
	    "read in %.3f ms, then %.3f ms to the search (filters, OpenBLAS)",
	    (to - t0) * 1000, nq, (tr - to) * 1000, (ts - tr) * 1000);
	es_log(&ctx->log, ES_LOG_INFO, "%zu queries in %.3f ms (%s, nprobe "
	    "%lld, %llu vectors scored, %llu re-scored); %zu with fewer "
	    "than %lld results", nq, (t1 - ts) * 1000, exact ? "exact" :
	    index_mode_name(st.mode), nprobe, (unsigned long long)st.scanned,
	    (unsigned long long)st.rescored, nshort, k);
	if (!exact && st.mode == IVF_MODE_GEMM)
		es_log(&ctx->log, ES_LOG_INFO, "phases: centroid distances "
		    "%.3f ms (%llu centroids re-scored), grouping %.3f ms, "
		    "list scan and re-rank %.3f ms (re-rank %.3f ms of "
		    "thread CPU), merge %.3f ms", st.t_coarse * 1000,
		    (unsigned long long)st.coarse_exact, st.t_group * 1000,
		    st.t_lists * 1000, st.cpu_rerank * 1000,
		    st.t_merge * 1000);
	tpath = vindex_path(ctx->data_dir, e.v->name, DOCTAB_FILE);
	if ((tab = doctab_open(tpath, e.v->id, (size_t)e.v->count, &why)) ==
	    NULL && strcmp(why, "no table") != 0)
		es_log(&ctx->log, ES_LOG_INFO, "documents table '%s' not "
		    "used (%s): documents read from the database", tpath,
		    why);
	free(tpath);
	/* what the table holds is read from it as the rows are printed */
	for (i = 0; tab != NULL && i < sr.nrows; i++)
		if (doctab_holds(tab, seqs[i])) {
			seqs[i] = -1;
			ntab++;
		}
	if (vindex_docset_load(ctx->store, e.v->id, seqs, sr.nrows, &docs,
	    err) == -1)
		goto done;
	sr.doc = xreallocarray(NULL, sr.nrows > 0 ? sr.nrows : 1,
	    sizeof *sr.doc);
	vindex_docset_index_many(docs, seqs, sr.nrows, sr.doc);
	sr.ftext = xcalloc(vindex_docset_size(docs) + 1, sizeof *sr.ftext);
	if (tab != NULL && !doctab_plain(tab))
		sr.tftext = xcalloc(doctab_size(tab), sizeof *sr.tftext);
	sr.tab = tab;
	t2 = index_now();
	out_kind(ctx, "document");
	sr.ctx = ctx;
	sr.hits = hits;
	sr.docs = docs;
	sr.k = (int)k;
	sr.sim = ivf_metric_is_similarity(e.v->metric);
	sr.qfile = qf != NULL;
	sr.cols = sr.sim ? hit_cols_score : hit_cols_dist;
	if (!sr.qfile)
		sr.cols++;	/* no QUERY column for one vector */
	if (ctx->output != OUT_TABLE && ctx->output != OUT_WIDE &&
	    ctx->output != OUT_NAME)
		rc = search_rows_structured(&sr, err);
	else
		rc = out_table(ctx, sr.cols, sr.nrows, search_row_cell, &sr);
	fflush(ctx->out);
	es_log(&ctx->log, ES_LOG_INFO, "%zu rows: %zu documents read in "
	    "%.3f ms (%zu rows from the documents table), printed in %.3f "
	    "ms", sr.nrows, vindex_docset_size(docs), (t2 - t1) * 1000, ntab,
	    (index_now() - t2) * 1000);
done:
	index_engine_close(&e);
	for (i = 0; sr.ftext != NULL && i < vindex_docset_size(docs); i++)
		free(sr.ftext[i]);
	free(sr.ftext);
	/* the table's documents printed: through the rows, not the table */
	for (i = 0; sr.tftext != NULL && i < sr.nrows; i++) {
		seq = hits[sr.row[i]].id;
		if (seq >= 0 && (size_t)seq < doctab_size(tab)) {
			free(sr.tftext[seq]);
			sr.tftext[seq] = NULL;
		}
	}
	free(sr.tftext);
	vindex_docset_free(docs);
	doctab_close(tab);
	vecio_set_free(qs);
	free(q);
	free(hits);
	free(bits);
	free(seqs);
	free(sr.row);
	free(sr.doc);
	return rc;
}

/* ---------------------------------------------------------------- */

static const struct esctl_opt create_opts[] = {
	{ 'd', "dimension", "D", "vector dimension", OPT_INT, OPT_REQUIRED,
	    NULL },
	{ 'm', "metric", "METRIC", "l2 (squared), cosine or dot (default l2)",
	    OPT_STRING, 0, "=l2 cosine dot" },
	{ 0, "nlist", "N", "inverted lists (default: about 4 sqrt(n) at "
	    "build)", OPT_INT, 0, NULL },
	{ 0, "nprobe", "P", "lists searched by default (default 16)",
	    OPT_INT, 0, NULL },
	{ 'n', "namespace", "NS", "the ES service the index belongs to",
	    OPT_STRING, 0, "namespace" },
	OPT_END
};

static const struct esctl_opt add_opts[] = {
	{ 'f', "format", "FORMAT", "fvecs, bvecs, npy, jsonl or csv "
	    "(default: from the file name)", OPT_STRING, 0,
	    "=fvecs bvecs npy jsonl csv" },
	OPT_END
};

static const struct esctl_opt build_opts[] = {
	{ 0, "nlist", "N", "inverted lists (default: the index's)", OPT_INT,
	    0, NULL },
	{ 0, "iters", "N", "k-means iterations (default 25)", OPT_INT, 0,
	    NULL },
	{ 0, "sample", "N", "training points (default 256 x nlist)", OPT_INT,
	    0, NULL },
	{ 0, "seed", "N", "random seed (default 1234)", OPT_INT, 0, NULL },
	{ 't', "threads", "N", "threads (default: online CPUs)", OPT_INT, 0,
	    NULL },
	{ 0, "init", "METHOD", "k-means start: random or pca (default "
	    "random)", OPT_STRING, 0, "=random pca" },
	{ 0, "tol", "X", "stop when the objective improves by less than X "
	    "(relative)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 'n', "namespace", "NS", "only indexes of this namespace",
	    OPT_STRING, 0, "namespace" },
	{ 0, "org", "ORG", "only indexes of this org", OPT_STRING, 0, "org" },
	OPT_END
};

static const struct esctl_opt data_opts[] = {
	{ 0, "limit", "N", "documents to list (default 20)", OPT_INT, 0,
	    NULL },
	{ 0, "offset", "N", "documents to skip (default 0)", OPT_INT, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt stats_opts[] = {
	{ 0, "no-verify", NULL, "do not check the per-list checksums",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt eval_opts[] = {
	{ 0, "queries", "FILE", "query vectors (fvecs, bvecs, npy, jsonl, "
	    "csv)", OPT_STRING, OPT_REQUIRED, "file" },
	{ 0, "groundtruth", "FILE", "true neighbours (.ivecs)", OPT_STRING,
	    OPT_REQUIRED, "file" },
	{ 'k', "topk", "K", "neighbours per query (default 10)", OPT_INT, 0,
	    NULL },
	{ 0, "nprobe", "LIST", "comma-separated nprobe values (default "
	    "1,2,4,...,128)", OPT_STRING, 0, NULL },
	{ 0, "batch", NULL, "answer all queries in one batch (QPS of the "
	    "batch path)", OPT_BOOL, 0, NULL },
	{ 't', "threads", "N", "threads of the batch path", OPT_INT, 0, NULL },
	{ 0, "mode", "MODE", "auto, sq8, flat or gemm", OPT_STRING, 0,
	    "=auto sq8 flat gemm" },
	{ 0, "warmup", "N", "queries run before measuring", OPT_INT, 0,
	    NULL },
	{ 0, "repeat", "N", "measure N times, report the fastest",
	    OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt search_opts[] = {
	{ 0, "vector", "JSON", "the query: '[0.1, 0.2, ...]'", OPT_STRING, 0,
	    NULL },
	{ 0, "query-file", "FILE", "a batch of queries (fvecs, npy, jsonl, "
	    "csv)", OPT_STRING, 0, "file" },
	{ 'k', "topk", "K", "results per query (default 10)", OPT_INT, 0,
	    NULL },
	{ 0, "nprobe", "P", "lists to search (default: the index's)",
	    OPT_INT, 0, NULL },
	{ 0, "filter", "FIELD=VALUE", "only documents whose field has this "
	    "value (repeatable, all must match)", OPT_LIST, 0, NULL },
	{ 0, "exact", NULL, "brute force over every vector", OPT_BOOL, 0,
	    NULL },
	{ 't', "threads", "N", "threads for a batch (default: online CPUs)",
	    OPT_INT, 0, NULL },
	{ 0, "mode", "MODE", "auto, sq8, flat or gemm", OPT_STRING, 0,
	    "=auto sq8 flat gemm" },
	OPT_END
};

static const struct esctl_verb index_verbs[] = {
	{ "create", "NAME", "create a vector index",
	    "Records the index (dimension, metric, IVF parameters) in the "
	    "database.  With\n--namespace, the index belongs to that ES "
	    "service: its org and user, and its\nindex_limit.  The org's "
	    "and user's max_indexes quotas are checked (exit 5).",
	    create_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL,
	    cmd_index_create },
	{ "add", "NAME FILE", "add vectors from a file",
	    "Reads .fvecs, .bvecs, .npy (float32), JSON Lines ({\"id\", "
	    "\"vector\", \"fields\"})\nor CSV.  The whole file is validated "
	    "first: a wrong dimension, a truncated\nrecord, NaN or infinity, "
	    "bad JSON or a duplicate id is an error naming the\nrecord, and "
	    "nothing is added.", add_opts, 2, 2,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "index", cmd_index_add },
	{ "build", "NAME", "train the quantizer and write the index file",
	    "k-means on a sample (BLAS sgemm distances, threads), then every "
	    "vector is\nassigned to its list and the index file is written "
	    "atomically.", build_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "index",
	    cmd_index_build },
	{ "list", NULL, "list vector indexes", NULL, list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_index_list },
	{ "show", "NAME", "show an index's metadata", NULL, NULL, 1, 1,
	    CMD_NEEDS_DB | CMD_OFFLINE, "index", cmd_index_show },
	{ "delete", "NAME", "delete an index and its data", NULL, NULL, 1, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM | CMD_OFFLINE, "index",
	    cmd_index_delete },
	{ "data", "NAME", "list an index's stored documents", NULL, data_opts,
	    1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "index", cmd_index_data },
	{ "stats", "NAME", "list sizes, imbalance and checksums", NULL,
	    stats_opts, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "index",
	    cmd_index_stats },
	{ "eval", "NAME", "recall, QPS and latency against ground truth",
	    "For each nprobe: recall@k against the .ivecs ground truth, "
	    "queries per\nsecond, and (one query at a time) p50 and p99 "
	    "latency.", eval_opts, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "index",
	    cmd_index_eval },
	VERB_END
};

const struct esctl_group esctl_group_index = {
	"index", "vector indexes: create, add, build, inspect, evaluate",
	"IVF vector indexes: documents and metadata in the database, vectors "
	"and the\nbuilt index under DATA/indexes/NAME/.  Index names are "
	"unique.",
	index_verbs
};

static const struct esctl_verb search_verbs[] = {
	{ "", "NAME", "nearest-neighbour search in a vector index",
	    "The nprobe nearest lists are scanned and the top k returned with "
	    "ids,\ndistances (l2) or scores (dot, cosine) and fields.  "
	    "--exact searches every\nvector; with nprobe equal to nlist the "
	    "results are the same.", search_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_OFFLINE | CMD_FEW_PAGES, "index", cmd_search },
	VERB_END
};

const struct esctl_group esctl_group_search = {
	"search", "nearest-neighbour search in a vector index", NULL,
	search_verbs
};
