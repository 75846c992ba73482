/*
 * snapshot.c - cluster resource snapshots: derivation, storage, import
 * from CSV / JSON and listing.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "csv.h"
#include "doc.h"
#include "pool.h"
#include "quantity.h"
#include "snapshot.h"
#include "util.h"

/* Largest ratio accepted (usage can exceed allocatable a little). */
#define SNAPSHOT_RATIO_MAX	1000.0
/* Largest amount accepted (cores or GB). */
#define SNAPSHOT_AMOUNT_MAX	1e12

enum snapshot_kind {
	SK_AMOUNT,	/* non-negative double */
	SK_RATIO,	/* percentage */
	SK_COUNT,	/* non-negative integer */
	SK_IGNORE	/* accepted and ignored (columns of list output) */
};

struct snapshot_field {
	const char		*name;
	enum snapshot_kind	 kind;
	size_t			 off;
};

#define SF(n, k)	{ #n, k, offsetof(struct snapshot, n) }

static const struct snapshot_field snapshot_fields[] = {
	SF(cpu_capacity, SK_AMOUNT),
	SF(mem_capacity, SK_AMOUNT),
	SF(cpu_allocatable, SK_AMOUNT),
	SF(mem_allocatable, SK_AMOUNT),
	SF(cpu_request, SK_AMOUNT),
	SF(mem_request, SK_AMOUNT),
	SF(cpu_usage, SK_AMOUNT),
	SF(mem_usage, SK_AMOUNT),
	SF(max_cpu, SK_RATIO),
	SF(max_memory, SK_RATIO),
	SF(cpu_allocation_ratio, SK_RATIO),
	SF(mem_allocation_ratio, SK_RATIO),
	SF(per_node_cpu_req, SK_AMOUNT),
	SF(per_node_mem_req, SK_AMOUNT),
	SF(node_count, SK_COUNT),
	SF(ready_node_count, SK_COUNT),
	SF(unschedulable_node_count, SK_COUNT),
	SF(bm_count, SK_COUNT),
	SF(vm_count, SK_COUNT),
	SF(pod_count, SK_COUNT),
	{ "id", SK_IGNORE, 0 },
	{ "updated_at", SK_IGNORE, 0 },
	{ "deleted_at", SK_IGNORE, 0 },
	{ "source", SK_IGNORE, 0 },
	{ "cluster_name", SK_IGNORE, 0 },
	{ "clustername", SK_IGNORE, 0 },
	{ NULL, SK_IGNORE, 0 }
};

/* One row being read: the snapshot plus what identifies its cluster. */
struct snapshot_in {
	struct snapshot	 s;
	char		*cluster;	/* name, UUID or id as given */
	char		*time;		/* collected_at as given */
	char		*created_at;	/* fallback time */
	unsigned	 line;
};

static int	 snapshot_set(struct snapshot_in *, const char *,
		    const char *, const char *, struct es_err *);
static int	 snapshot_finish(struct snapshot_in *, long long, time_t,
		    int (*)(void *, const char *, long long *,
		    struct es_err *), void *, const char *, struct es_err *);
static int	 snapshot_resolve_store(void *, const char *, long long *,
		    struct es_err *);
static int	 snapshot_parse_csv(const char *, size_t, const char *,
		    struct snapshot_in **, size_t *, struct es_err *);
static int	 snapshot_parse_json(const char *, size_t, const char *,
		    struct snapshot_in **, size_t *, struct es_err *);
static int	 snapshot_from_doc(const struct doc_node *, const char *,
		    unsigned, struct snapshot_in *, struct es_err *);
static void	 snapshot_in_release(struct snapshot_in *);
static void	 snapshot_bind_double(sqlite3_stmt *, int, double);
static double	 snapshot_qty(const cJSON *, const char *);
static int	 snapshot_schedulable(const cJSON *, int *, int *);
static void	 snapshot_copy(cJSON *, const cJSON *, const char *);

void
snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->cluster_id = -1;
	snprintf(s->resource_type, sizeof s->resource_type, "cluster");
	s->source = "import";
	s->cpu_capacity = s->mem_capacity = NAN;
	s->cpu_allocatable = s->mem_allocatable = NAN;
	s->cpu_request = s->mem_request = NAN;
	s->cpu_usage = s->mem_usage = NAN;
	s->max_cpu = s->max_memory = NAN;
	s->cpu_allocation_ratio = s->mem_allocation_ratio = NAN;
	s->per_node_cpu_req = s->per_node_mem_req = NAN;
	s->node_count = s->ready_node_count = -1;
	s->unschedulable_node_count = -1;
	s->bm_count = s->vm_count = s->pod_count = -1;
}

/* Derives one resource's values (CPU or memory). */
static void
snapshot_derive_one(double *cap, double *alloc, double *req, double *use,
    double *max, double *ratio, double *per_node, long long nodes)
{
	if (isnan(*alloc))
		*alloc = *cap;
	if (isnan(*cap))
		*cap = *alloc;
	/* ratios keep four decimals: 33 / 60 is 55, not 55.000000000001 */
	if (isnan(*ratio) && !isnan(*req) && !isnan(*alloc) && *alloc > 0)
		*ratio = round(*req / *alloc * 1e6) / 1e4;
	if (isnan(*max) && !isnan(*use) && !isnan(*alloc) && *alloc > 0)
		*max = round(*use / *alloc * 1e6) / 1e4;
	if (isnan(*per_node))
		*per_node = !isnan(*req) && nodes > 0 ? *req / (double)nodes :
		    0;
	if (isnan(*cap))
		*cap = 0;
	if (isnan(*alloc))
		*alloc = 0;
	if (isnan(*req))
		*req = 0;
}

void
snapshot_derive(struct snapshot *s)
{
	if (s->node_count < 0)
		s->node_count = s->ready_node_count >= 0 ?
		    s->ready_node_count : 0;
	snapshot_derive_one(&s->cpu_capacity, &s->cpu_allocatable,
	    &s->cpu_request, &s->cpu_usage, &s->max_cpu,
	    &s->cpu_allocation_ratio, &s->per_node_cpu_req, s->node_count);
	snapshot_derive_one(&s->mem_capacity, &s->mem_allocatable,
	    &s->mem_request, &s->mem_usage, &s->max_memory,
	    &s->mem_allocation_ratio, &s->per_node_mem_req, s->node_count);
	if (s->ready_node_count < 0)
		s->ready_node_count = s->node_count;
	if (s->unschedulable_node_count < 0)
		s->unschedulable_node_count = 0;
	if (s->bm_count < 0)
		s->bm_count = 0;
	if (s->vm_count < 0)
		s->vm_count = 0;
	if (s->pod_count < 0)
		s->pod_count = 0;
}

static void
snapshot_bind_double(sqlite3_stmt *stmt, int i, double d)
{
	if (isnan(d))
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_double(stmt, i, d);
}

int
snapshot_insert(struct store *st, const struct snapshot *s, time_t now,
    int *inserted, struct es_err *err)
{
	static const char sql[] = "INSERT OR IGNORE INTO "
	    "k8s_cluster_resource_snapshot (created_at, updated_at, "
	    "cluster_id, collected_at, resource_type, source, cpu_capacity, "
	    "mem_capacity, cpu_allocatable, mem_allocatable, cpu_request, "
	    "mem_request, cpu_usage, mem_usage, max_cpu, max_memory, "
	    "cpu_allocation_ratio, mem_allocation_ratio, per_node_cpu_req, "
	    "per_node_mem_req, node_count, ready_node_count, "
	    "unschedulable_node_count, bm_count, vm_count, pod_count) VALUES "
	    "(?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";
	const double d[] = { s->cpu_capacity, s->mem_capacity,
	    s->cpu_allocatable, s->mem_allocatable, s->cpu_request,
	    s->mem_request, s->cpu_usage, s->mem_usage, s->max_cpu,
	    s->max_memory, s->cpu_allocation_ratio, s->mem_allocation_ratio,
	    s->per_node_cpu_req, s->per_node_mem_req };
	const long long c[] = { s->node_count, s->ready_node_count,
	    s->unschedulable_node_count, s->bm_count, s->vm_count,
	    s->pod_count };
	char created[UTIL_TIME_LEN], collected[UTIL_TIME_LEN];
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	util_time_format(now, created);
	util_time_format(s->collected_at, collected);
	stmt = store_prepare(st, err, sql, "sisssnnnnnnnnnnnnnnnnnnnn",
	    created, s->cluster_id, collected, s->resource_type, s->source);
	if (stmt == NULL)
		return -1;
	for (i = 0; i < sizeof d / sizeof d[0]; i++)
		snapshot_bind_double(stmt, 6 + (int)i, d[i]);
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		sqlite3_bind_int64(stmt, 20 + (int)i, c[i] < 0 ? 0 : c[i]);
	rc = store_step(st, stmt, err);
	sqlite3_finalize(stmt);
	if (rc == -1) {
		es_err_prefix(err, "cannot store snapshot");
		return -1;
	}
	if (inserted != NULL)
		*inserted = sqlite3_changes(store_db(st)) > 0;
	return 0;
}

static void
snapshot_in_release(struct snapshot_in *in)
{
	free(in->cluster);
	free(in->time);
	free(in->created_at);
	memset(in, 0, sizeof *in);
}

/* Sets one named field from its text (NULL or "" = unknown). */
static int
snapshot_set(struct snapshot_in *in, const char *key, const char *val,
    const char *where, struct es_err *err)
{
	const struct snapshot_field *f;
	const char *errstr;
	char *end;
	double d;
	long long ll;

	if (strcmp(key, "cluster") == 0 || strcmp(key, "cluster_id") == 0) {
		free(in->cluster);
		in->cluster = val && *val ? xstrdup(val) : NULL;
		return 0;
	}
	if (strcmp(key, "collected_at") == 0 || strcmp(key, "time") == 0 ||
	    strcmp(key, "timestamp") == 0) {
		free(in->time);
		in->time = val && *val ? xstrdup(val) : NULL;
		return 0;
	}
	if (strcmp(key, "created_at") == 0) {
		free(in->created_at);
		in->created_at = val && *val ? xstrdup(val) : NULL;
		return 0;
	}
	if (strcmp(key, "resource_type") == 0) {
		if (val == NULL || *val == '\0')
			return 0;
		if (!util_valid_name(val, SNAPSHOT_TYPE_MAX - 1))
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "invalid resource_type '%s': use [A-Za-z0-9._-]",
			    where, val);
		snprintf(in->s.resource_type, sizeof in->s.resource_type,
		    "%s", val);
		return 0;
	}
	for (f = snapshot_fields; f->name != NULL; f++)
		if (strcmp(f->name, key) == 0)
			break;
	if (f->name == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: unknown "
		    "field '%s'", where, key);
	if (f->kind == SK_IGNORE || val == NULL || *val == '\0')
		return 0;
	if (f->kind == SK_COUNT) {
		ll = util_strtonum(val, 0, 100000000, &errstr);
		if (errstr != NULL)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "invalid %s '%s': must be a whole number between 0 "
			    "and 100000000", where, key, val);
		*(long long *)(void *)((char *)&in->s + f->off) = ll;
		return 0;
	}
	errno = 0;
	d = strtod(val, &end);
	if (*end != '\0' || end == val || errno == ERANGE || !isfinite(d) ||
	    isspace((unsigned char)*val))
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: invalid %s "
		    "'%s': not a number", where, key, val);
	if (d < 0 || d > (f->kind == SK_RATIO ? SNAPSHOT_RATIO_MAX :
	    SNAPSHOT_AMOUNT_MAX))
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: invalid %s "
		    "'%s': must be between 0 and %g", where, key, val,
		    f->kind == SK_RATIO ? SNAPSHOT_RATIO_MAX :
		    SNAPSHOT_AMOUNT_MAX);
	*(double *)(void *)((char *)&in->s + f->off) = d;
	return 0;
}

/* Resolves the cluster and the time of a parsed row, then derives. */
static int
snapshot_finish(struct snapshot_in *in, long long default_cluster,
    time_t now, int (*resolve)(void *, const char *, long long *,
    struct es_err *), void *arg, const char *where, struct es_err *err)
{
	const char *t = in->time ? in->time : in->created_at;

	if (in->cluster != NULL) {
		if (resolve(arg, in->cluster, &in->s.cluster_id, err) == -1)
			return es_err_prefix(err, "%s", where);
	} else if (default_cluster >= 0)
		in->s.cluster_id = default_cluster;
	else
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: no cluster: "
		    "give a 'cluster' field or --cluster", where);
	if (t == NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: no "
		    "collected_at time", where);
	if (util_time_parse(t, "collected_at", now, &in->s.collected_at,
	    err) == -1)
		return es_err_prefix(err, "%s", where);
	if (in->s.collected_at < 0 || in->s.collected_at > 253402300799LL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: time '%s' "
		    "is out of range", where, t);
	snapshot_derive(&in->s);
	return 0;
}

/* The store's resolver: live registered clusters. */
static int
snapshot_resolve_store(void *arg, const char *ref, long long *id,
    struct es_err *err)
{
	return pool_cluster_find(arg, ref, id, NULL, err);
}

static int
snapshot_parse_csv(const char *buf, size_t len, const char *path,
    struct snapshot_in **rows, size_t *nrows, struct es_err *err)
{
	struct csv_reader r;
	struct csv_record hdr = CSV_RECORD_INIT, rec = CSV_RECORD_INIT;
	char where[512];
	size_t i, alloc = 0;
	int rc;

	csv_init(&r, buf, len);
	rc = csv_next(&r, &hdr);
	if (rc <= 0) {
		csv_record_release(&hdr);
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: %s", path,
		    rc == 0 ? "empty file: expected a header row" :
		    "unterminated quote in the header row");
	}
	for (i = 0; i < hdr.n; i++) {
		struct snapshot_in probe;

		memset(&probe, 0, sizeof probe);
		snapshot_init(&probe.s);
		snprintf(where, sizeof where, "%s:%u", path, hdr.line);
		rc = snapshot_set(&probe, hdr.fields[i], NULL, where, err);
		snapshot_in_release(&probe);
		if (rc == -1)
			goto fail;
	}
	while ((rc = csv_next(&r, &rec)) != 0) {
		snprintf(where, sizeof where, "%s:%u", path, rec.line);
		if (rc == -1) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "unterminated quote", where);
			goto fail;
		}
		if (rec.n != hdr.n) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: %zu "
			    "fields, but the header has %zu", where, rec.n,
			    hdr.n);
			goto fail;
		}
		if (*nrows == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			*rows = xreallocarray(*rows, alloc, sizeof **rows);
		}
		memset(&(*rows)[*nrows], 0, sizeof **rows);
		snapshot_init(&(*rows)[*nrows].s);
		(*rows)[*nrows].line = rec.line;
		(*nrows)++;
		for (i = 0; i < rec.n; i++)
			if (snapshot_set(&(*rows)[*nrows - 1], hdr.fields[i],
			    rec.fields[i], where, err) == -1)
				goto fail;
	}
	csv_record_release(&hdr);
	return 0;
fail:
	csv_record_release(&rec);
	csv_record_release(&hdr);
	return -1;
}

/* Fills a row from one JSON object (line: its line, 0 = from the node). */
static int
snapshot_from_doc(const struct doc_node *obj, const char *path,
    unsigned line, struct snapshot_in *in, struct es_err *err)
{
	const struct doc_node *c;
	char where[512];

	snprintf(where, sizeof where, "%s:%u", path, line ? line : obj->line);
	if (obj->type != DOC_MAP)
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: expected an "
		    "object, not a %s", where, doc_type_name(obj->type));
	in->line = line ? line : obj->line;
	for (c = obj->child; c != NULL; c = c->next) {
		snprintf(where, sizeof where, "%s:%u", path, line ? line :
		    c->line);
		if (c->type == DOC_SEQ || c->type == DOC_MAP)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "field '%s' must be a scalar", where, c->key);
		if (c->type == DOC_BOOL)
			return es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
			    "field '%s' must be a number or a string", where,
			    c->key);
		if (snapshot_set(in, c->key, doc_scalar(c), where, err) == -1)
			return -1;
	}
	return 0;
}

/* {"kind": "List", "items": [...]}, as every esctl list prints itself. */
static int
snapshot_is_list(const struct doc_node *root)
{
	const char *kind;

	if (root->type != DOC_MAP)
		return 0;
	kind = doc_scalar(doc_get(root, "kind"));
	return kind != NULL && strcmp(kind, "List") == 0 &&
	    doc_get(root, "items") != NULL;
}

static int
snapshot_parse_json(const char *buf, size_t len, const char *path,
    struct snapshot_in **rows, size_t *nrows, struct es_err *err)
{
	struct doc_node *root = NULL, *one;
	const struct doc_node *items;
	const struct doc_node *c;
	struct es_err e2 = ES_ERR_INIT;
	const char *p = buf, *end = buf + len, *nl;
	size_t alloc = 0;
	unsigned line = 1;

	while (p < end && isspace((unsigned char)*p))
		p++;
	/* esctl's own list output, {"kind": "List", "items": [...]} */
	if (p < end && *p == '{' && doc_parse(buf, len, path, &root,
	    &e2) == 0) {
		if (snapshot_is_list(root))
			goto list;
		doc_free(root);
		root = NULL;
	}
	if (p < end && *p == '{') {
		/* JSON Lines: one object per line */
		p = buf;
		while (p < end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			while (p < nl && isspace((unsigned char)*p))
				p++;
			if (p < nl) {
				char name[512];

				snprintf(name, sizeof name, "%s:%u", path,
				    line);
				if (doc_parse(p, (size_t)(nl - p), name, &one,
				    err) == -1)
					return -1;
				if (*nrows == alloc) {
					alloc = alloc ? alloc * 2 : 64;
					*rows = xreallocarray(*rows, alloc,
					    sizeof **rows);
				}
				memset(&(*rows)[*nrows], 0, sizeof **rows);
				snapshot_init(&(*rows)[*nrows].s);
				(*nrows)++;
				if (snapshot_from_doc(one, path, line,
				    &(*rows)[*nrows - 1], err) == -1) {
					doc_free(one);
					return -1;
				}
				doc_free(one);
			}
			p = nl + 1;
			line++;
		}
		return 0;
	}
	if (doc_parse(buf, len, path, &root, err) == -1)
		return -1;
list:
	items = snapshot_is_list(root) ? doc_get(root, "items") : root;
	if (items->type != DOC_SEQ) {
		es_err_set(err, ES_EUSAGE, "Invalid", "%s: expected a JSON "
		    "array of snapshot objects or a List, not a %s", path,
		    doc_type_name(items->type));
		doc_free(root);
		return -1;
	}
	*rows = xcalloc(items->nchild ? items->nchild : 1, sizeof **rows);
	for (c = items->child; c != NULL; c = c->next) {
		snapshot_init(&(*rows)[*nrows].s);
		(*nrows)++;
		if (snapshot_from_doc(c, path, 0, &(*rows)[*nrows - 1], err) ==
		    -1) {
			doc_free(root);
			return -1;
		}
	}
	doc_free(root);
	return 0;
}

int
snapshot_parse_file(struct store *st, const char *path, const char *format,
    long long default_cluster, time_t now, struct snapshot **out,
    size_t *n, struct es_err *err)
{
	char why[64];
	struct es_buf b = ES_BUF_INIT;
	int rc;

	*out = NULL;
	*n = 0;
	if (es_buf_read_file_max(&b, path, UTIL_MAX_DATA_FILE) == -1) {
		rc = errno;
		es_buf_release(&b);
		return es_err_set(err, rc == ENOENT ? ES_ENOTFOUND : rc ==
		    EFBIG ? ES_EUSAGE : ES_EFAIL, rc == ENOENT ? "NotFound" :
		    NULL, "cannot read '%s': %s", path, util_read_strerror(rc,
		    UTIL_MAX_DATA_FILE, why, sizeof why));
	}
	rc = snapshot_parse(b.data, b.len, path, format, default_cluster,
	    now, snapshot_resolve_store, st, out, n, err);
	es_buf_release(&b);
	return rc;
}

int
snapshot_parse(const char *buf, size_t len, const char *name,
    const char *format, long long default_cluster, time_t now,
    int (*resolve)(void *, const char *, long long *, struct es_err *),
    void *arg, struct snapshot **out, size_t *n, struct es_err *err)
{
	struct snapshot_in *rows = NULL;
	size_t nrows = 0, i;
	const char *ext, *p, *end = buf + len;
	char where[512];
	int csv, rc;

	*out = NULL;
	*n = 0;
	if (format != NULL && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid format "
		    "'%s': use csv or json", format);
	if (memchr(buf, '\0', len) != NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s: not a text "
		    "file (NUL bytes)", name);
	if (format != NULL)
		csv = strcmp(format, "csv") == 0;
	else {
		ext = strrchr(name, '.');
		if (ext != NULL && strcasecmp(ext, ".csv") == 0)
			csv = 1;
		else if (ext != NULL && (strcasecmp(ext, ".json") == 0 ||
		    strcasecmp(ext, ".jsonl") == 0))
			csv = 0;
		else {
			for (p = buf; p < end && isspace((unsigned char)*p);
			    p++)
				;
			csv = p == end || (*p != '[' && *p != '{');
		}
	}
	rc = csv ? snapshot_parse_csv(buf, len, name, &rows, &nrows, err) :
	    snapshot_parse_json(buf, len, name, &rows, &nrows, err);
	for (i = 0; rc == 0 && i < nrows; i++) {
		snprintf(where, sizeof where, "%s:%u", name, rows[i].line);
		rc = snapshot_finish(&rows[i], default_cluster, now, resolve,
		    arg, where, err);
	}
	if (rc == 0 && nrows > 0) {
		*out = xcalloc(nrows, sizeof **out);
		for (i = 0; i < nrows; i++)
			(*out)[i] = rows[i].s;
		*n = nrows;
	}
	for (i = 0; i < nrows; i++)
		snapshot_in_release(&rows[i]);
	free(rows);
	return rc;
}

int
snapshot_prune(struct store *st, time_t before, long long cluster_id,
    int dry_run, long long *count, struct es_err *err)
{
	char t[UTIL_TIME_LEN];
	int n;

	util_time_format(before, t);
	if (dry_run)
		return store_query_int(st, err, count, 0, "SELECT count(*) "
		    "FROM k8s_cluster_resource_snapshot WHERE collected_at < "
		    "?1 AND (?2 < 0 OR cluster_id = ?2)", "si", t, cluster_id);
	n = store_exec(st, err, "DELETE FROM k8s_cluster_resource_snapshot "
	    "WHERE collected_at < ?1 AND (?2 < 0 OR cluster_id = ?2)", "si",
	    t, cluster_id);
	if (n == -1)
		return -1;
	*count = n;
	return 0;
}

int
snapshot_list(struct store *st, const struct snapshot_filter *f,
    cJSON **out, struct es_err *err)
{
	char since[UTIL_TIME_LEN], until[UTIL_TIME_LEN];

	util_time_format(f->since, since);
	util_time_format(f->until, until);
	return store_query_json(st, err, out,
	    "SELECT s.id, s.cluster_id, c.clustername AS cluster_name, "
	    "s.collected_at, s.resource_type, s.source, s.node_count, "
	    "s.ready_node_count, s.unschedulable_node_count, s.bm_count, "
	    "s.vm_count, s.pod_count, s.cpu_capacity, s.cpu_allocatable, "
	    "s.cpu_request, s.cpu_usage, s.mem_capacity, s.mem_allocatable, "
	    "s.mem_request, s.mem_usage, s.max_cpu, s.max_memory, "
	    "s.cpu_allocation_ratio, s.mem_allocation_ratio, "
	    "s.per_node_cpu_req, s.per_node_mem_req, s.created_at, "
	    "s.updated_at FROM k8s_cluster_resource_snapshot s "
	    "JOIN k8s_cluster c ON c.id = s.cluster_id "
	    "WHERE s.deleted_at IS NULL AND (?1 < 0 OR s.cluster_id = ?1) "
	    "AND (?2 = 0 OR s.collected_at >= ?3) "
	    "AND (?4 = 0 OR s.collected_at <= ?5) "
	    "AND (?6 IS NULL OR s.resource_type = ?6) "
	    "ORDER BY s.collected_at DESC, s.cluster_id "
	    "LIMIT ?7 OFFSET ?8", "iisissii", f->cluster_id,
	    (long long)f->since, since, (long long)f->until, until,
	    f->resource_type, f->limit > 0 ? f->limit : -1LL, f->offset);
}

/* A quantity member of a resource map in units (cores, bytes); 0 if bad. */
static double
snapshot_qty(const cJSON *map, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, name);
	int64_t milli;

	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (!cJSON_IsString(v) || quantity_parse(v->valuestring, name, 0,
	    &milli, NULL) == -1)
		return 0;
	return quantity_to_double(milli);
}

/* 1 when a node takes pods (Ready and not cordoned); sets the flags. */
static int
snapshot_schedulable(const cJSON *node, int *ready, int *cordoned)
{
	const cJSON *c;

	*ready = 0;
	cJSON_ArrayForEach(c, doc_json_at(node, "status.conditions")) {
		const char *type = cJSON_GetStringValue(
		    cJSON_GetObjectItem(c, "type"));
		const char *st = cJSON_GetStringValue(
		    cJSON_GetObjectItem(c, "status"));

		if (type != NULL && strcmp(type, "Ready") == 0)
			*ready = st != NULL && strcmp(st, "True") == 0;
	}
	*cordoned = cJSON_IsTrue(doc_json_at(node, "spec.unschedulable"));
	return *ready && !*cordoned;
}

void
snapshot_from_kube(const cJSON *nodes, const cJSON *pods,
    const cJSON *metrics, struct snapshot *s)
{
	const cJSON *n, *p, *c, *m, *labels;
	const char *name, *phase, *kind, *node;
	char **sched = NULL;
	size_t nsched = 0, i;
	int ready, cordoned, on;
	double gib = 1024.0 * 1024 * 1024;

	snapshot_init(s);
	s->source = "kube";
	s->cpu_capacity = s->mem_capacity = 0;
	s->cpu_allocatable = s->mem_allocatable = 0;
	s->cpu_request = s->mem_request = 0;
	s->node_count = s->ready_node_count = 0;
	s->unschedulable_node_count = s->bm_count = s->vm_count = 0;
	s->pod_count = 0;
	cJSON_ArrayForEach(n, cJSON_GetObjectItem(nodes, "items")) {
		name = cJSON_GetStringValue(doc_json_at(n, "metadata.name"));
		s->node_count++;
		s->cpu_capacity += snapshot_qty(doc_json_at(n,
		    "status.capacity"), "cpu");
		s->mem_capacity += snapshot_qty(doc_json_at(n,
		    "status.capacity"), "memory") / gib;
		labels = doc_json_at(n, "metadata.labels");
		kind = cJSON_GetStringValue(cJSON_GetObjectItem(labels,
		    SNAPSHOT_MACHINE_LABEL));
		if (kind != NULL ? strcmp(kind, "vm") == 0 :
		    cJSON_GetObjectItem(labels,
		    "node.kubernetes.io/instance-type") != NULL)
			s->vm_count++;
		else
			s->bm_count++;
		on = snapshot_schedulable(n, &ready, &cordoned);
		s->ready_node_count += ready;
		s->unschedulable_node_count += cordoned;
		if (!on || name == NULL)
			continue;
		s->cpu_allocatable += snapshot_qty(doc_json_at(n,
		    "status.allocatable"), "cpu");
		s->mem_allocatable += snapshot_qty(doc_json_at(n,
		    "status.allocatable"), "memory") / gib;
		sched = xreallocarray(sched, nsched + 1, sizeof *sched);
		sched[nsched++] = xstrdup(name);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(pods, "items")) {
		double cpu = 0, mem = 0, icpu = 0, imem = 0, v;

		phase = cJSON_GetStringValue(doc_json_at(p, "status.phase"));
		if (phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
		    strcmp(phase, "Failed") == 0))
			continue;
		s->pod_count++;
		node = cJSON_GetStringValue(doc_json_at(p, "spec.nodeName"));
		for (i = 0; node != NULL && i < nsched; i++)
			if (strcmp(sched[i], node) == 0)
				break;
		if (node == NULL || i == nsched)
			continue;
		cJSON_ArrayForEach(c, doc_json_at(p, "spec.containers")) {
			cpu += snapshot_qty(doc_json_at(c,
			    "resources.requests"), "cpu");
			mem += snapshot_qty(doc_json_at(c,
			    "resources.requests"), "memory");
		}
		cJSON_ArrayForEach(c, doc_json_at(p, "spec.initContainers")) {
			v = snapshot_qty(doc_json_at(c, "resources.requests"),
			    "cpu");
			icpu = v > icpu ? v : icpu;
			v = snapshot_qty(doc_json_at(c, "resources.requests"),
			    "memory");
			imem = v > imem ? v : imem;
		}
		s->cpu_request += (cpu > icpu ? cpu : icpu) +
		    snapshot_qty(doc_json_at(p, "spec.overhead"), "cpu");
		s->mem_request += ((mem > imem ? mem : imem) +
		    snapshot_qty(doc_json_at(p, "spec.overhead"), "memory")) /
		    gib;
	}
	if (metrics != NULL) {
		s->cpu_usage = s->mem_usage = 0;
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(metrics, "items")) {
			name = cJSON_GetStringValue(doc_json_at(m,
			    "metadata.name"));
			for (i = 0; name != NULL && i < nsched; i++)
				if (strcmp(sched[i], name) == 0)
					break;
			if (name == NULL || i == nsched)
				continue;
			s->cpu_usage += snapshot_qty(cJSON_GetObjectItem(m,
			    "usage"), "cpu");
			s->mem_usage += snapshot_qty(cJSON_GetObjectItem(m,
			    "usage"), "memory") / gib;
		}
	}
	for (i = 0; i < nsched; i++)
		free(sched[i]);
	free(sched);
	snapshot_derive(s);
}

/* Copies member key of from into to, when present. */
static void
snapshot_copy(cJSON *to, const cJSON *from, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);

	if (v != NULL)
		cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, 1));
}

cJSON *
snapshot_pod_brief(const cJSON *pod)
{
	const cJSON *spec = cJSON_GetObjectItem(pod, "spec"), *c;
	cJSON *out, *ospec, *arr, *one, *res;
	const char *lists[] = { "containers", "initContainers" };
	size_t i;

	out = cJSON_CreateObject();
	ospec = cJSON_AddObjectToObject(out, "spec");
	snapshot_copy(ospec, spec, "nodeName");
	snapshot_copy(ospec, spec, "overhead");
	for (i = 0; i < 2; i++) {
		arr = cJSON_AddArrayToObject(ospec, lists[i]);
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec, lists[i])) {
			one = cJSON_CreateObject();
			res = cJSON_AddObjectToObject(one, "resources");
			snapshot_copy(res, cJSON_GetObjectItem(c, "resources"),
			    "requests");
			cJSON_AddItemToArray(arr, one);
		}
	}
	one = cJSON_AddObjectToObject(out, "status");
	snapshot_copy(one, cJSON_GetObjectItem(pod, "status"), "phase");
	return out;
}
