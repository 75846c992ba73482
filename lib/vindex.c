/*
 * vindex.c - vector index records (SQLite) and data files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "doctab.h"
#include "util.h"
#include "vindex.h"

#define VINDEX_MAGIC	"ESCTLVEC"

static char	*vindex_col_str(sqlite3_stmt *, int);
static int	 vindex_rm_tree(const char *, struct es_err *);

static char *
vindex_col_str(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

int
vindex_get(struct store *st, const char *name, struct vindex **out,
    struct es_err *err)
{
	sqlite3_stmt *s;
	struct vindex *v;
	int rc;

	*out = NULL;
	s = store_prepare(st, err, "SELECT id, index_name, namespace, "
	    "tenant_org_id, user, dimension, metric, nlist, nprobe, "
	    "vector_count, built_count, status FROM vector_index "
	    "WHERE index_name = ?", "s", name);
	if (s == NULL)
		return -1;
	rc = store_step(st, s, err);
	if (rc != 1) {
		sqlite3_finalize(s);
		if (rc == 0)
			return es_err_set(err, ES_ENOTFOUND, "NotFound", "no "
			    "index '%s'", name);
		return -1;
	}
	v = xcalloc(1, sizeof *v);
	v->id = sqlite3_column_int64(s, 0);
	v->name = vindex_col_str(s, 1);
	v->namespace = vindex_col_str(s, 2);
	v->org = vindex_col_str(s, 3);
	v->user = vindex_col_str(s, 4);
	v->dim = sqlite3_column_int(s, 5);
	if (ivf_metric_parse((const char *)sqlite3_column_text(s, 6),
	    &v->metric, NULL) == -1)
		v->metric = IVF_L2;
	v->nlist = sqlite3_column_int(s, 7);
	v->nprobe = sqlite3_column_int(s, 8);
	v->count = sqlite3_column_int64(s, 9);
	v->built = sqlite3_column_int64(s, 10);
	v->status = vindex_col_str(s, 11);
	sqlite3_finalize(s);
	*out = v;
	return 0;
}

void
vindex_free(struct vindex *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v->namespace);
	free(v->org);
	free(v->user);
	free(v->status);
	free(v);
}

char *
vindex_dir(const char *data_dir, const char *name)
{
	return xasprintf("%s/indexes/%s", data_dir, name);
}

char *
vindex_path(const char *data_dir, const char *name, const char *file)
{
	return xasprintf("%s/indexes/%s/%s", data_dir, name, file);
}

/* rm -r of an index directory (regular files and one level of dirs). */
static int
vindex_rm_tree(const char *dir, struct es_err *err)
{
	DIR *dp;
	struct dirent *de;
	struct stat sb;
	char *p;

	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return es_err_set(err, ES_EFAIL, NULL, "cannot open '%s': %s",
		    dir, strerror(errno));
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = util_path_join(dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (vindex_rm_tree(p, err) == -1) {
				free(p);
				closedir(dp);
				return -1;
			}
		} else if (unlink(p) == -1 && errno != ENOENT) {
			es_err_set(err, ES_EFAIL, NULL, "cannot remove '%s': "
			    "%s", p, strerror(errno));
			free(p);
			closedir(dp);
			return -1;
		}
		free(p);
	}
	closedir(dp);
	if (rmdir(dir) == -1 && errno != ENOENT)
		return es_err_set(err, ES_EFAIL, NULL, "cannot remove '%s': %s",
		    dir, strerror(errno));
	return 0;
}

int
vindex_remove_files(const char *data_dir, const char *name,
    struct es_err *err)
{
	char *dir = vindex_dir(data_dir, name);
	int rc;

	rc = vindex_rm_tree(dir, err);
	free(dir);
	return rc;
}

int
vindex_clean_tmp(const char *data_dir, const char *name)
{
	DIR *dp;
	struct dirent *de;
	char *dir = vindex_dir(data_dir, name), *p;
	int n = 0;

	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, VINDEX_IVF_FILE ".tmp.",
		    strlen(VINDEX_IVF_FILE ".tmp.")) != 0 &&
		    strncmp(de->d_name, DOCTAB_FILE ".tmp.",
		    strlen(DOCTAB_FILE ".tmp.")) != 0)
			continue;
		p = util_path_join(dir, de->d_name);
		if (unlink(p) == 0)
			n++;
		free(p);
	}
	closedir(dp);
	free(dir);
	return n;
}

int
vindex_create(struct store *st, const char *data_dir,
    const struct vindex_new *nw, time_t now, long long *id,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN], *dir;
	long long n;
	int rc;

	if (store_query_int(st, err, &n, 0, "SELECT count(*) FROM "
	    "vector_index WHERE index_name = ?", "s", nw->name) == -1)
		return -1;
	if (n > 0)
		return es_err_set(err, ES_ECONFLICT, "AlreadyExists", "index "
		    "'%s' already exists", nw->name);
	util_time_format(now, ts);
	if (store_exec(st, err, "INSERT INTO vector_index (index_name, "
	    "namespace, tenant_org_id, user, dimension, metric, nlist, "
	    "nprobe, created_by, status, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?)", "ssssisiisss",
	    nw->name, nw->namespace, nw->org, nw->user, (long long)nw->dim,
	    ivf_metric_name(nw->metric), (long long)nw->nlist,
	    (long long)nw->nprobe, nw->created_by, ts, ts) == -1)
		return -1;
	*id = store_last_insert_id(st);
	/* a leftover directory of an earlier index of this name goes */
	dir = vindex_dir(data_dir, nw->name);
	rc = vindex_rm_tree(dir, err);
	if (rc == 0)
		rc = util_mkdir_p(dir, 0700, err);
	free(dir);
	return rc;
}

int
vindex_delete_records(struct store *st, long long id, struct es_err *err)
{
	if (store_exec(st, err, "DELETE FROM vector_field WHERE index_id = ?",
	    "i", id) == -1 ||
	    store_exec(st, err, "DELETE FROM vector_doc WHERE index_id = ?",
	    "i", id) == -1 ||
	    store_exec(st, err, "DELETE FROM vector_index WHERE id = ?", "i",
	    id) == -1)
		return -1;
	return 0;
}

/* Text of a scalar field value for filters; NULL when not a scalar. */
static char *
vindex_scalar_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		char *s = cJSON_PrintUnformatted(v);

		if (s == NULL)
			fatal("out of memory");
		return s;
	}
	return NULL;
}

/* One filterable (name, value) row; non-scalar values are skipped. */
static int
vindex_field_row(sqlite3 *db, sqlite3_stmt *ins, long long id,
    long long seq, const char *name, const cJSON *v, struct es_err *err)
{
	char *txt;
	int rc;

	if ((txt = vindex_scalar_text(v)) == NULL)
		return 0;
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, id);
	sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins, 3, txt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins, 4, seq);
	rc = sqlite3_step(ins);
	free(txt);
	if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT)
		return es_err_set(err, ES_EFAIL, NULL, "cannot record fields: "
		    "%s", sqlite3_errmsg(db));
	return 0;
}

/* The top-level scalar fields of a document (array elements each). */
static int
vindex_field_rows(sqlite3 *db, sqlite3_stmt *ins, long long id,
    long long seq, const char *fields, struct es_err *err)
{
	cJSON *j, *f, *e;

	if (fields == NULL || (j = cJSON_Parse(fields)) == NULL)
		return 0;
	cJSON_ArrayForEach(f, j) {
		if (cJSON_IsArray(f)) {
			cJSON_ArrayForEach(e, f)
				if (vindex_field_row(db, ins, id, seq,
				    f->string, e, err) == -1)
					goto fail;
		} else if (vindex_field_row(db, ins, id, seq, f->string, f,
		    err) == -1)
			goto fail;
	}
	cJSON_Delete(j);
	return 0;
fail:
	cJSON_Delete(j);
	return -1;
}

/* Opens (creating) the data file and checks or writes its header. */
static int
vindex_data_open(const char *path, const struct vindex *v, int create,
    int *fdp, struct es_err *err)
{
	unsigned char h[VINDEX_DATA_HEADER];
	uint32_t ver = 1, dim = (uint32_t)v->dim;
	uint64_t uid = (uint64_t)v->id;
	struct stat sb;
	int fd;

	fd = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
		    ES_EFAIL, NULL, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return es_err_set(err, ES_EFAIL, NULL, "cannot stat '%s': %s",
		    path, strerror(errno));
	}
	if (sb.st_size < VINDEX_DATA_HEADER) {
		if (!create) {
			close(fd);
			return es_err_set(err, ES_EFAIL, "CorruptData", "data "
			    "file '%s' is truncated", path);
		}
		memset(h, 0, sizeof h);
		memcpy(h, VINDEX_MAGIC, 8);
		memcpy(h + 8, &ver, 4);
		memcpy(h + 12, &dim, 4);
		memcpy(h + 16, &uid, 8);
		if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
			close(fd);
			return es_err_set(err, ES_EFAIL, NULL, "cannot write "
			    "'%s': %s", path, strerror(errno));
		}
	} else {
		uint32_t d2 = 0;
		uint64_t u2 = 0;

		if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
		    memcmp(h, VINDEX_MAGIC, 8) != 0) {
			close(fd);
			return es_err_set(err, ES_EFAIL, "CorruptData", "'%s' "
			    "is not an esctl data file", path);
		}
		memcpy(&d2, h + 12, 4);
		memcpy(&u2, h + 16, 8);
		if (d2 != dim || u2 != uid) {
			close(fd);
			return es_err_set(err, ES_EFAIL, "CorruptData", "data "
			    "file '%s' belongs to another index", path);
		}
	}
	*fdp = fd;
	return 0;
}

int
vindex_add(struct store *st, const char *data_dir, struct vindex *v,
    struct vecio_set *s, time_t now, long long *first, struct es_err *err)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *ins = NULL, *fins = NULL;
	char *path = NULL, *idbuf = NULL, ts[UTIL_TIME_LEN];
	const char *unit = "record";
	off_t base;
	size_t i, row = (size_t)v->dim * sizeof(float), off, len;
	long long seq;
	ssize_t r;
	int fd = -1, rc, ret = -1, intx = 0;

	*first = v->count;
	if (s->dim != v->dim)
		return es_err_set(err, ES_EUSAGE, "DimensionMismatch", "the "
		    "vectors have dimension %d, index '%s' has %d", s->dim,
		    v->name, v->dim);
	if (s->unit != NULL)
		unit = s->unit;
	for (i = 0; i < s->n; i++)
		if (ivf_normalize(v->metric, s->vectors + i * (size_t)s->dim,
		    s->dim, err) == -1)
			return es_err_prefix(err, "%s %zu", unit, s->where[i]);
	if (store_begin(st, err) == -1)
		return -1;
	intx = 1;
	/* documents first: a duplicate id stops before any file write */
	if (sqlite3_prepare_v2(db, "INSERT INTO vector_doc (index_id, seq, "
	    "doc_id, fields) VALUES (?, ?, ?, ?)", -1, &ins, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "INSERT INTO vector_field "
	    "(index_id, name, value, seq) VALUES (?, ?, ?, ?)", -1, &fins,
	    NULL) != SQLITE_OK) {
		es_err_set(err, ES_EFAIL, NULL, "cannot prepare: %s",
		    sqlite3_errmsg(db));
		goto done;
	}
	for (i = 0; i < s->n; i++) {
		seq = v->count + (long long)i;
		free(idbuf);
		idbuf = s->ids != NULL && s->ids[i] != NULL ?
		    xstrdup(s->ids[i]) : xasprintf("%lld", seq);
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, v->id);
		sqlite3_bind_int64(ins, 2, seq);
		sqlite3_bind_text(ins, 3, idbuf, -1, SQLITE_STATIC);
		if (s->fields != NULL && s->fields[i] != NULL)
			sqlite3_bind_text(ins, 4, s->fields[i], -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 4);
		rc = sqlite3_step(ins);
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			es_err_set(err, ES_EUSAGE, "DuplicateId", "%s %zu: "
			    "duplicate id '%s': index '%s' already has a "
			    "document with this id", unit, s->where[i], idbuf,
			    v->name);
			goto done;
		}
		if (rc != SQLITE_DONE) {
			es_err_set(err, ES_EFAIL, NULL, "cannot record "
			    "documents: %s", sqlite3_errmsg(db));
			goto done;
		}
		if (s->fields != NULL && vindex_field_rows(db, fins, v->id,
		    seq, s->fields[i], err) == -1)
			goto done;
	}
	util_time_format(now, ts);
	if (store_exec(st, err, "UPDATE vector_index SET vector_count = ?, "
	    "status = CASE WHEN built_count > 0 THEN 'stale' ELSE status "
	    "END, updated_at = ? WHERE id = ?", "isi", v->count +
	    (long long)s->n, ts, v->id) == -1)
		goto done;
	/* then the rows, fsynced, over any uncommitted tail */
	path = vindex_path(data_dir, v->name, VINDEX_DATA_FILE);
	if (vindex_data_open(path, v, 1, &fd, err) == -1)
		goto done;
	base = (off_t)VINDEX_DATA_HEADER + (off_t)v->count * (off_t)row;
	if (ftruncate(fd, base) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot truncate '%s': %s",
		    path, strerror(errno));
		goto done;
	}
	len = s->n * row;
	for (off = 0; off < len; off += (size_t)r) {
		r = pwrite(fd, (const char *)s->vectors + off, len - off > (1 <<
		    24) ? (1 << 24) : len - off, base + (off_t)off);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s",
			    path, strerror(errno));
			goto fail_trunc;
		}
	}
	if (fsync(fd) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot sync '%s': %s", path,
		    strerror(errno));
		goto fail_trunc;
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(fins);
	ins = fins = NULL;
	if (store_commit(st, err) == -1) {
		intx = 0;
		goto fail_trunc;
	}
	intx = 0;
	v->count += (long long)s->n;
	ret = 0;
	goto done;
fail_trunc:
	if (ftruncate(fd, base) == -1) {
		/* the committed count still bounds what is read */
	}
done:
	sqlite3_finalize(ins);
	sqlite3_finalize(fins);
	if (intx)
		store_rollback(st);
	if (fd != -1)
		close(fd);
	free(path);
	free(idbuf);
	return ret;
}

int
vindex_data_map(const char *data_dir, const struct vindex *v,
    struct vindex_data *dm, struct es_err *err)
{
	struct stat sb;
	char *path;
	size_t need;
	int fd;

	memset(dm, 0, sizeof *dm);
	if (v->count == 0)
		return 0;
	path = vindex_path(data_dir, v->name, VINDEX_DATA_FILE);
	if (vindex_data_open(path, v, 0, &fd, err) == -1) {
		free(path);
		return -1;
	}
	need = VINDEX_DATA_HEADER + (size_t)v->count * (size_t)v->dim * 4;
	if (fstat(fd, &sb) == -1 || (size_t)sb.st_size < need) {
		close(fd);
		es_err_set(err, ES_EFAIL, "CorruptData", "data file '%s' is "
		    "truncated: %lld rows recorded", path, v->count);
		free(path);
		return -1;
	}
	dm->map = mmap(NULL, need, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (dm->map == MAP_FAILED) {
		dm->map = NULL;
		es_err_set(err, ES_EFAIL, NULL, "cannot map '%s': %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	dm->size = need;
	dm->rows = (const float *)((const char *)dm->map + VINDEX_DATA_HEADER);
	dm->n = (size_t)v->count;
	return 0;
}

void
vindex_data_unmap(struct vindex_data *dm)
{
	if (dm->map != NULL)
		munmap(dm->map, dm->size);
	memset(dm, 0, sizeof *dm);
}

int
vindex_set_built(struct store *st, long long id, long long built,
    int nlist, const cJSON *build, time_t now, struct es_err *err)
{
	char ts[UTIL_TIME_LEN], *b;
	int rc;

	util_time_format(now, ts);
	b = cJSON_PrintUnformatted(build);
	if (b == NULL)
		fatal("out of memory");
	rc = store_exec(st, err, "UPDATE vector_index SET built_count = ?, "
	    "nlist = ?, status = CASE WHEN vector_count > ? THEN 'stale' "
	    "ELSE 'ready' END, build = ?, built_at = ?, updated_at = ? "
	    "WHERE id = ?", "iiisssi", built, (long long)nlist, built, b, ts,
	    ts, id);
	free(b);
	return rc == -1 ? -1 : 0;
}

/* Moves nlist/nprobe into ivf_params{} (the seed's shape). */
static void
vindex_shape(cJSON *o)
{
	cJSON *p, *n;

	p = cJSON_CreateObject();
	if ((n = cJSON_DetachItemFromObject(o, "nlist")) != NULL)
		cJSON_AddItemToObject(p, "nlist", n);
	if ((n = cJSON_DetachItemFromObject(o, "nprobe")) != NULL)
		cJSON_AddItemToObject(p, "nprobe", n);
	cJSON_AddItemToObject(o, "ivf_params", p);
}

int
vindex_json(struct store *st, const char *name, cJSON **out,
    struct es_err *err)
{
	if (store_query_row_json(st, err, out, "SELECT index_name, namespace, "
	    "dimension, metric, nlist, nprobe, created_by, status, "
	    "created_at, tenant_org_id, user, vector_count, built_count, "
	    "built_at, build AS build__json, updated_at FROM vector_index "
	    "WHERE index_name = ?", "s", name) == -1)
		return -1;
	if (*out == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no index "
		    "'%s'", name);
	vindex_shape(*out);
	return 0;
}

int
vindex_list_json(struct store *st, const char *org, const char *user,
    const char *ns, cJSON **out, struct es_err *err)
{
	cJSON *e;

	if (store_query_json(st, err, out, "SELECT index_name, namespace, "
	    "dimension, metric, nlist, nprobe, created_by, status, "
	    "created_at, tenant_org_id, user, vector_count, built_count, "
	    "built_at FROM vector_index WHERE (? IS NULL OR tenant_org_id = ?) "
	    "AND (? IS NULL OR user = ?) AND (? IS NULL OR namespace = ?) "
	    "ORDER BY index_name", "ssssss", org, org, user, user, ns, ns) ==
	    -1)
		return -1;
	cJSON_ArrayForEach(e, *out)
		vindex_shape(e);
	return 0;
}

int
vindex_docs_json(struct store *st, long long id, long long limit,
    long long offset, cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT seq, doc_id AS id, "
	    "fields AS fields__json FROM vector_doc WHERE index_id = ? "
	    "ORDER BY seq LIMIT ? OFFSET ?", "iii", id, limit, offset);
}

/* One document of a docset: offsets into the docset's text. */
struct vindex_docent {
	int64_t		 seq;
	size_t		 id_off;
	size_t		 fields_off;	/* SIZE_MAX: no fields */
};

struct vindex_docset {
	struct vindex_docent	*ents;	/* sorted by seq */
	size_t			 n;
	struct es_buf		 text;
};

static int
vindex_seq_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
vindex_docset_put(struct vindex_docset *ds, int64_t seq, sqlite3_stmt *s,
    int idcol, int fcol)
{
	struct vindex_docent *e = &ds->ents[ds->n++];
	const unsigned char *t;

	e->seq = seq;
	e->id_off = ds->text.len;
	t = sqlite3_column_text(s, idcol);
	es_buf_add(&ds->text, t != NULL ? (const char *)t : "",
	    t != NULL ? strlen((const char *)t) + 1 : 1);
	if ((t = sqlite3_column_text(s, fcol)) != NULL) {
		e->fields_off = ds->text.len;
		es_buf_add(&ds->text, t, strlen((const char *)t) + 1);
	} else
		e->fields_off = SIZE_MAX;
}

/*
 * The distinct positions are sorted (through a bitmap when they are dense
 * enough: linear in the rows), then read in one read transaction:
 * with one range scan when they are dense in their range (a query file
 * touching most of a small index), else one primary-key lookup each in
 * ascending order.  Either way the cost is linear in the rows asked for,
 * whatever their repetition.
 */
int
vindex_docset_load(struct store *st, long long id, const int64_t *seqs,
    size_t n, struct vindex_docset **out, struct es_err *err)
{
	sqlite3 *db = store_db(st);
	struct vindex_docset *ds;
	sqlite3_stmt *s = NULL;
	int64_t *u, seq, max;
	uint64_t *bm, x;
	size_t nu = 0, i, j, words;
	int rc = SQLITE_DONE, txn = 0;

	*out = NULL;
	u = xreallocarray(NULL, n > 0 ? n : 1, sizeof *u);
	for (i = 0, max = -1; i < n; i++)
		if (seqs[i] > max)
			max = seqs[i];
	if (max >= 0 && (uint64_t)max / 64 <= 4 * (uint64_t)n + 1024) {
		/* positions below a few bits a row: a bitmap, no sort */
		words = (size_t)max / 64 + 1;
		bm = xcalloc(words, sizeof *bm);
		for (i = 0; i < n; i++)
			if (seqs[i] >= 0)
				bm[seqs[i] / 64] |= (uint64_t)1 << seqs[i] % 64;
		for (i = 0; i < words; i++)
			for (x = bm[i]; x != 0; x &= x - 1)
				u[nu++] = (int64_t)i * 64 + __builtin_ctzll(x);
		free(bm);
	} else {
		for (i = 0; i < n; i++)
			if (seqs[i] >= 0)
				u[nu++] = seqs[i];
		qsort(u, nu, sizeof *u, vindex_seq_cmp);
		for (i = j = 0; i < nu; i++)
			if (j == 0 || u[i] != u[j - 1])
				u[j++] = u[i];
		nu = j;
	}
	ds = xcalloc(1, sizeof *ds);
	ds->ents = xreallocarray(NULL, nu > 0 ? nu : 1, sizeof *ds->ents);
	es_buf_init(&ds->text);
	if (nu == 0)
		goto done;
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		txn = 1;
	}
	if ((uint64_t)(u[nu - 1] - u[0]) / 4 < nu) {
		/* dense: one scan of [first, last] */
		if (sqlite3_prepare_v2(db, "SELECT seq, doc_id, fields FROM "
		    "vector_doc WHERE index_id = ? AND seq BETWEEN ? AND ? "
		    "ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, u[0]);
		sqlite3_bind_int64(s, 3, u[nu - 1]);
		j = 0;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			seq = sqlite3_column_int64(s, 0);
			while (j < nu && u[j] < seq)
				j++;
			if (j < nu && u[j] == seq)
				vindex_docset_put(ds, seq, s, 1, 2);
		}
	} else {
		if (sqlite3_prepare_v2(db, "SELECT doc_id, fields FROM "
		    "vector_doc WHERE index_id = ? AND seq = ?", -1, &s,
		    NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, id);
		for (i = 0; i < nu; i++) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 2, u[i]);
			if ((rc = sqlite3_step(s)) == SQLITE_ROW)
				vindex_docset_put(ds, u[i], s, 0, 1);
			else if (rc != SQLITE_DONE)
				break;
			rc = SQLITE_DONE;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (txn && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
done:
	free(u);
	*out = ds;
	return 0;
fail:
	rc = store_error(st, err, "cannot read documents");
	sqlite3_finalize(s);
	if (txn && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(u);
	vindex_docset_free(ds);
	return rc;
}

size_t
vindex_docset_index(const struct vindex_docset *ds, int64_t seq)
{
	size_t lo = 0, hi = ds != NULL ? ds->n : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ds->ents[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ds == NULL || lo == ds->n || ds->ents[lo].seq != seq)
		return SIZE_MAX;
	return lo;
}

void
vindex_docset_entry(const struct vindex_docset *ds, size_t i,
    const char **doc_id, const char **fields)
{
	*doc_id = ds->text.data + ds->ents[i].id_off;
	*fields = ds->ents[i].fields_off == SIZE_MAX ? NULL :
	    ds->text.data + ds->ents[i].fields_off;
}

void
vindex_docset_index_many(const struct vindex_docset *ds, const int64_t *seqs,
    size_t n, size_t *out)
{
	uint32_t *map;
	size_t i, len;

	if (ds == NULL || ds->n == 0 || ds->n >= UINT32_MAX ||
	    (uint64_t)ds->ents[ds->n - 1].seq / 64 > 4 * (uint64_t)n + 1024) {
		for (i = 0; i < n; i++)
			out[i] = vindex_docset_index(ds, seqs[i]);
		return;
	}
	/* positions below a few bits a row: a table, no search */
	len = (size_t)ds->ents[ds->n - 1].seq + 1;
	map = xreallocarray(NULL, len, sizeof *map);
	memset(map, 0xff, len * sizeof *map);
	for (i = 0; i < ds->n; i++)
		map[ds->ents[i].seq] = (uint32_t)i;
	for (i = 0; i < n; i++)
		out[i] = seqs[i] < 0 || (uint64_t)seqs[i] >= len ||
		    map[seqs[i]] == UINT32_MAX ? SIZE_MAX : map[seqs[i]];
	free(map);
}

int
vindex_docset_find(const struct vindex_docset *ds, int64_t seq,
    const char **doc_id, const char **fields)
{
	size_t i = vindex_docset_index(ds, seq);

	if (i == SIZE_MAX) {
		*doc_id = NULL;
		*fields = NULL;
		return 0;
	}
	vindex_docset_entry(ds, i, doc_id, fields);
	return 1;
}

size_t
vindex_docset_size(const struct vindex_docset *ds)
{
	return ds != NULL ? ds->n : 0;
}

void
vindex_docset_free(struct vindex_docset *ds)
{
	if (ds == NULL)
		return;
	free(ds->ents);
	es_buf_release(&ds->text);
	free(ds);
}

int
vindex_filter_bitmap(struct store *st, long long id, size_t n,
    const char **filters, int nfilters, uint64_t **out, size_t *matches,
    struct es_err *err)
{
	size_t words = (n + 63) / 64 + 1, i;
	uint64_t *acc, *cur;
	sqlite3_stmt *s;
	const char *eq;
	char *name;
	long long seq;
	int f, rc;

	*out = NULL;
	acc = xcalloc(words, sizeof *acc);
	cur = xcalloc(words, sizeof *cur);
	for (f = 0; f < nfilters; f++) {
		if ((eq = strchr(filters[f], '=')) == NULL ||
		    eq == filters[f]) {
			free(acc);
			free(cur);
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "filter '%s': use FIELD=VALUE", filters[f]);
		}
		name = xstrndup(filters[f], (size_t)(eq - filters[f]));
		memset(cur, 0, words * sizeof *cur);
		s = store_prepare(st, err, "SELECT seq FROM vector_field "
		    "WHERE index_id = ? AND name = ? AND value = ?", "iss", id,
		    name, eq + 1);
		free(name);
		if (s == NULL) {
			free(acc);
			free(cur);
			return -1;
		}
		while ((rc = store_step(st, s, err)) == 1) {
			seq = sqlite3_column_int64(s, 0);
			if (seq >= 0 && (size_t)seq < n)
				cur[(size_t)seq >> 6] |= 1ULL << (seq & 63);
		}
		sqlite3_finalize(s);
		if (rc == -1) {
			free(acc);
			free(cur);
			return -1;
		}
		for (i = 0; i < words; i++)
			acc[i] = f == 0 ? cur[i] : acc[i] & cur[i];
	}
	free(cur);
	*matches = 0;
	for (i = 0; i < words; i++)
		*matches += (size_t)__builtin_popcountll(acc[i]);
	*out = acc;
	return 0;
}
