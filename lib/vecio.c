/*
 * vecio.c - vector file readers with record-precise errors.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "csv.h"
#include "util.h"
#include "vecio.h"

/* Growing output while parsing text formats. */
struct vecio_acc {
	struct vecio_set	*s;
	size_t			 cap;
	int			 has_ids;
	int			 has_fields;
};

static int	 vecio_read_stream(const char *, const char *,
		    enum vecio_format, int, struct es_buf *, struct es_err *);
static int	 vecio_parse(const unsigned char *, size_t, const char *,
		    enum vecio_format, int, struct vecio_set **,
		    struct es_err *);
static int	 vecio_binary(const unsigned char *, size_t, const char *,
		    enum vecio_format, int, struct vecio_set *,
		    struct es_err *);
static int	 vecio_npy(const unsigned char *, size_t, const char *, int,
		    struct vecio_set *, struct es_err *);
static int	 vecio_jsonl(const unsigned char *, size_t, const char *, int,
		    struct vecio_set *, struct es_err *);
static int	 vecio_csv(const unsigned char *, size_t, const char *, int,
		    struct vecio_set *, struct es_err *);
static int	 vecio_check_ids(const struct vecio_set *, const char *,
		    const char *, struct es_err *);
static void	 vecio_acc_push(struct vecio_acc *, const float *, char *,
		    char *, size_t);

static const struct {
	enum vecio_format	 fmt;
	const char		*name;
} vecio_names[] = {
	{ VECIO_FVECS, "fvecs" },
	{ VECIO_BVECS, "bvecs" },
	{ VECIO_IVECS, "ivecs" },
	{ VECIO_NPY, "npy" },
	{ VECIO_JSONL, "jsonl" },
	{ VECIO_JSONL, "ndjson" },
	{ VECIO_JSONL, "json" },
	{ VECIO_CSV, "csv" },
};

enum vecio_format
vecio_format_from_name(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return VECIO_AUTO;
	for (i = 0; i < sizeof vecio_names / sizeof vecio_names[0]; i++)
		if (strcasecmp(dot + 1, vecio_names[i].name) == 0)
			return vecio_names[i].fmt;
	return VECIO_AUTO;
}

const char *
vecio_format_name(enum vecio_format f)
{
	size_t i;

	for (i = 0; i < sizeof vecio_names / sizeof vecio_names[0]; i++)
		if (vecio_names[i].fmt == f)
			return vecio_names[i].name;
	return "auto";
}

int
vecio_format_parse(const char *s, enum vecio_format *out, struct es_err *err)
{
	size_t i;

	if (strcmp(s, "auto") == 0) {
		*out = VECIO_AUTO;
		return 0;
	}
	for (i = 0; i < sizeof vecio_names / sizeof vecio_names[0]; i++)
		if (strcmp(s, vecio_names[i].name) == 0) {
			*out = vecio_names[i].fmt;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid format '%s': "
	    "use fvecs, bvecs, npy, jsonl or csv", s);
}

void
vecio_set_free(struct vecio_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->ids != NULL)
		for (i = 0; i < s->n; i++)
			free(s->ids[i]);
	if (s->fields != NULL)
		for (i = 0; i < s->n; i++)
			free(s->fields[i]);
	free(s->ids);
	free(s->fields);
	free(s->vectors);
	free(s->where);
	free(s);
}

static uint32_t
vecio_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Checks one float component; the message names record and component. */
static int
vecio_finite(float v, const char *name, const char *unit, size_t rec,
    int comp, struct es_err *err)
{
	if (isfinite(v))
		return 0;
	return es_err_set(err, ES_EUSAGE, "InvalidVector", "%s: %s %zu: "
	    "component %d is %s (only finite values are accepted)", name,
	    unit, rec, comp + 1, isnan(v) ? "NaN" : "infinite");
}

/*
 * The array of n floats a set is read into.  A large one (a query file of
 * 10,000 GIST-like queries is 38 MB) is aligned to 2 MiB and offered to
 * transparent huge pages: faulting it in 4 KiB pages cost more than
 * copying into it.  free() releases it either way.
 */
static float *
vecio_floats(size_t n)
{
	size_t huge = (size_t)2 << 20, len;
	void *p;

	if (n > SIZE_MAX / sizeof(float) - huge || n * sizeof(float) < 4 *
	    huge)
		return xreallocarray(NULL, n > 0 ? n : 1, sizeof(float));
	len = (n * sizeof(float) + huge - 1) / huge * huge;
	if (posix_memalign(&p, huge, len) != 0)
		return xreallocarray(NULL, n, sizeof(float));
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/*
 * Whether n floats are all finite: one pass over their exponent bits that
 * the compiler vectorizes; vecio_finite names the first bad one.
 */
static int
vecio_all_finite(const float *v, size_t n)
{
	uint32_t u, bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&u, &v[i], sizeof u);
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return bad == 0;
}

/* .fvecs, .bvecs, .ivecs: [int32 d][d components] per record. */
static int
vecio_binary(const unsigned char *p, size_t len, const char *name,
    enum vecio_format fmt, int dim, struct vecio_set *s, struct es_err *err)
{
	size_t csize = fmt == VECIO_BVECS ? 1 : 4, off, rec, n = 0, j;
	uint32_t d;
	int32_t iv;
	float f;

	/* first pass: structure and count */
	for (off = 0, rec = 1; off < len; rec++) {
		if (len - off < 4)
			return es_err_set(err, ES_EUSAGE, "Truncated", "%s: "
			    "record %zu is truncated: %zu bytes where a 4-byte "
			    "dimension is expected", name, rec, len - off);
		d = vecio_le32(p + off);
		if (d == 0 || d > VECIO_MAX_DIM)
			return es_err_set(err, ES_EUSAGE, "InvalidVector",
			    "%s: record %zu: invalid dimension %u", name, rec,
			    d);
		if (dim == 0)
			dim = (int)d;
		if ((int)d != dim)
			return es_err_set(err, ES_EUSAGE, "DimensionMismatch",
			    "%s: record %zu has dimension %u, expected %d",
			    name, rec, d, dim);
		if ((len - off - 4) / csize < d)
			return es_err_set(err, ES_EUSAGE, "Truncated", "%s: "
			    "record %zu is truncated: %zu of %zu bytes", name,
			    rec, len - off - 4, (size_t)d * csize);
		off += 4 + (size_t)d * csize;
		n++;
	}
	if (n == 0)
		return es_err_set(err, ES_EUSAGE, "Empty", "%s: no vectors",
		    name);
	s->dim = dim;
	s->n = n;
	s->vectors = vecio_floats(n * (size_t)dim);
	for (rec = 0, off = 4; rec < n; rec++, off += 4 + (size_t)dim *
	    csize) {
		float *row = s->vectors + rec * (size_t)dim;

		if (fmt == VECIO_FVECS) {
			memcpy(row, p + off, (size_t)dim * 4);
			if (vecio_all_finite(row, (size_t)dim))
				continue;
			for (j = 0; j < (size_t)dim; j++)
				if (vecio_finite(row[j], name, "record", rec +
				    1, (int)j, err) == -1)
					return -1;
		} else if (fmt == VECIO_BVECS) {
			for (j = 0; j < (size_t)dim; j++)
				row[j] = (float)p[off + j];
		} else {
			for (j = 0; j < (size_t)dim; j++) {
				memcpy(&iv, p + off + 4 * j, 4);
				f = (float)iv;
				row[j] = f;
			}
		}
	}
	return 0;
}

/* Minimal reader of the .npy header dict: descr, fortran_order, shape. */
static int
vecio_npy(const unsigned char *p, size_t len, const char *name, int dim,
    struct vecio_set *s, struct es_err *err)
{
	size_t hlen, hoff, n, d, i, ndim = 0, shape[2] = { 0, 0 };
	char *hdr, *q, *end;
	unsigned long long v;
	int fortran = 0;

	if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
		return es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: not an "
		    ".npy file (bad magic)", name);
	if (p[6] == 1) {
		hlen = (size_t)p[8] | (size_t)p[9] << 8;
		hoff = 10;
	} else if (p[6] == 2 || p[6] == 3) {
		if (len < 12)
			return es_err_set(err, ES_EUSAGE, "Truncated", "%s: "
			    "truncated .npy header", name);
		hlen = vecio_le32(p + 8);
		hoff = 12;
	} else
		return es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: "
		    "unsupported .npy version %d", name, p[6]);
	if (hlen > len - hoff || hlen > 65536)
		return es_err_set(err, ES_EUSAGE, "Truncated", "%s: truncated "
		    ".npy header", name);
	hdr = xstrndup((const char *)p + hoff, hlen);
	if (strstr(hdr, "'descr'") == NULL ||
	    (strstr(hdr, "'<f4'") == NULL && strstr(hdr, "'|f4'") == NULL)) {
		es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: .npy data must "
		    "be little-endian float32 ('<f4')", name);
		goto fail;
	}
	if ((q = strstr(hdr, "'fortran_order'")) != NULL &&
	    (q = strchr(q, ':')) != NULL) {
		q++;
		while (*q == ' ')
			q++;
		fortran = strncmp(q, "True", 4) == 0;
	}
	if (fortran) {
		es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: .npy data in "
		    "Fortran order is not supported: save a C-order array",
		    name);
		goto fail;
	}
	if ((q = strstr(hdr, "'shape'")) == NULL ||
	    (q = strchr(q, '(')) == NULL) {
		es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: .npy header "
		    "has no shape", name);
		goto fail;
	}
	for (q++; ndim < 3;) {
		while (*q == ' ' || *q == ',')
			q++;
		if (*q == ')')
			break;
		if (!isdigit((unsigned char)*q))
			break;
		errno = 0;
		v = strtoull(q, &end, 10);
		if (errno != 0 || v > (1ULL << 40))
			break;
		if (ndim < 2)
			shape[ndim] = (size_t)v;
		ndim++;
		q = end;
	}
	if (*q != ')' || ndim < 1 || ndim > 2) {
		es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: .npy array must "
		    "have shape (n, d)", name);
		goto fail;
	}
	free(hdr);
	hdr = NULL;
	n = shape[0];
	d = ndim == 2 ? shape[1] : 1;
	if (d == 0 || d > VECIO_MAX_DIM || n == 0)
		return es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: .npy "
		    "shape (%zu, %zu) holds no vectors", name, n, d);
	if (dim != 0 && (int)d != dim)
		return es_err_set(err, ES_EUSAGE, "DimensionMismatch", "%s: "
		    "vectors have dimension %zu, expected %d", name, d, dim);
	if ((len - hoff - hlen) / 4 / d < n)
		return es_err_set(err, ES_EUSAGE, "Truncated", "%s: truncated "
		    ".npy data: row %zu is incomplete", name,
		    (len - hoff - hlen) / 4 / d + 1);
	s->dim = (int)d;
	s->n = n;
	s->vectors = xreallocarray(NULL, n * d, sizeof(float));
	memcpy(s->vectors, p + hoff + hlen, n * d * 4);
	for (i = 0; i < n * d; i++)
		if (vecio_finite(s->vectors[i], name, "row", i / d + 1,
		    (int)(i % d), err) == -1)
			return -1;
	return 0;
fail:
	free(hdr);
	return -1;
}

static void
vecio_acc_push(struct vecio_acc *a, const float *v, char *id, char *fields,
    size_t where)
{
	struct vecio_set *s = a->s;

	if (s->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		s->vectors = xreallocarray(s->vectors, a->cap * (size_t)s->dim,
		    sizeof(float));
		s->ids = xreallocarray(s->ids, a->cap, sizeof(char *));
		s->fields = xreallocarray(s->fields, a->cap, sizeof(char *));
		s->where = xreallocarray(s->where, a->cap, sizeof(size_t));
	}
	memcpy(s->vectors + s->n * (size_t)s->dim, v, (size_t)s->dim *
	    sizeof(float));
	s->ids[s->n] = id;
	s->fields[s->n] = fields;
	s->where[s->n] = where;
	if (id != NULL)
		a->has_ids = 1;
	if (fields != NULL)
		a->has_fields = 1;
	s->n++;
}

/* Drops id/field arrays that hold nothing. */
static void
vecio_acc_finish(struct vecio_acc *a)
{
	if (!a->has_ids) {
		free(a->s->ids);
		a->s->ids = NULL;
	}
	if (!a->has_fields) {
		free(a->s->fields);
		a->s->fields = NULL;
	}
}

/* An id value from JSON: a string or an integer. */
static char *
vecio_json_id(const cJSON *id)
{
	double v;

	if (cJSON_IsString(id))
		return xstrdup(id->valuestring);
	if (cJSON_IsNumber(id)) {
		v = id->valuedouble;
		if (v == floor(v) && fabs(v) < 9007199254740992.0)
			return xasprintf("%.0f", v);
	}
	return NULL;
}

static int
vecio_jsonl(const unsigned char *p, size_t len, const char *name, int dim,
    struct vecio_set *s, struct es_err *err)
{
	struct vecio_acc a = { s, 0, 0, 0 };
	const unsigned char *line, *nl, *end = p + len;
	const cJSON *vec, *id, *fields, *c;
	cJSON *j;
	char *ids, *fs;
	float *row = NULL;
	size_t lineno = 0, ll;
	int k, nv;

	for (line = p; line < end; line = nl + 1) {
		lineno++;
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		ll = (size_t)(nl - line);
		while (ll > 0 && isspace(line[ll - 1]))
			ll--;
		while (ll > 0 && isspace(*line)) {
			line++;
			ll--;
		}
		if (ll == 0)
			continue;
		if (memchr(line, '\0', ll) != NULL ||
		    (j = cJSON_ParseWithLength((const char *)line, ll)) ==
		    NULL) {
			es_err_set(err, ES_EUSAGE, "InvalidJSON", "%s: line "
			    "%zu: invalid JSON", name, lineno);
			goto fail;
		}
		if (!cJSON_IsObject(j)) {
			cJSON_Delete(j);
			es_err_set(err, ES_EUSAGE, "InvalidJSON", "%s: line "
			    "%zu: expected a JSON object", name, lineno);
			goto fail;
		}
		vec = cJSON_GetObjectItemCaseSensitive(j, "vector");
		if (!cJSON_IsArray(vec)) {
			cJSON_Delete(j);
			es_err_set(err, ES_EUSAGE, "InvalidVector", "%s: line "
			    "%zu: missing \"vector\" array", name, lineno);
			goto fail;
		}
		nv = cJSON_GetArraySize(vec);
		if (dim == 0)
			dim = nv;
		if (nv != dim || nv == 0 || nv > VECIO_MAX_DIM) {
			cJSON_Delete(j);
			es_err_set(err, ES_EUSAGE, "DimensionMismatch", "%s: "
			    "line %zu: vector has %d components, expected %d",
			    name, lineno, nv, dim);
			goto fail;
		}
		if (row == NULL) {
			s->dim = dim;
			row = xreallocarray(NULL, (size_t)dim, sizeof(float));
		}
		k = 0;
		cJSON_ArrayForEach(c, vec) {
			if (!cJSON_IsNumber(c)) {
				cJSON_Delete(j);
				es_err_set(err, ES_EUSAGE, "InvalidVector",
				    "%s: line %zu: component %d is not a "
				    "number", name, lineno, k + 1);
				goto fail;
			}
			row[k] = (float)c->valuedouble;
			if (vecio_finite(row[k], name, "line", lineno, k,
			    err) == -1) {
				cJSON_Delete(j);
				goto fail;
			}
			k++;
		}
		ids = NULL;
		if ((id = cJSON_GetObjectItemCaseSensitive(j, "id")) != NULL &&
		    !cJSON_IsNull(id)) {
			ids = vecio_json_id(id);
			if (ids == NULL || *ids == '\0' || strlen(ids) > 512) {
				free(ids);
				cJSON_Delete(j);
				es_err_set(err, ES_EUSAGE, "InvalidId", "%s: "
				    "line %zu: \"id\" must be a non-empty "
				    "string (at most 512 bytes) or an integer",
				    name, lineno);
				goto fail;
			}
		}
		fs = NULL;
		if ((fields = cJSON_GetObjectItemCaseSensitive(j, "fields")) !=
		    NULL && !cJSON_IsNull(fields)) {
			if (!cJSON_IsObject(fields)) {
				free(ids);
				cJSON_Delete(j);
				es_err_set(err, ES_EUSAGE, "InvalidFields",
				    "%s: line %zu: \"fields\" must be an "
				    "object", name, lineno);
				goto fail;
			}
			fs = cJSON_PrintUnformatted(fields);
			if (fs == NULL)
				fatal("out of memory");
		}
		cJSON_Delete(j);
		vecio_acc_push(&a, row, ids, fs, lineno);
	}
	free(row);
	vecio_acc_finish(&a);
	if (s->n == 0)
		return es_err_set(err, ES_EUSAGE, "Empty", "%s: no vectors",
		    name);
	return 0;
fail:
	free(row);
	vecio_acc_finish(&a);
	return -1;
}

static void
vecio_cells_free(char **cells, int n)
{
	int i;

	if (cells == NULL)
		return;
	for (i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

/* Parses a whole cell as a number; 0 when it is one. */
static int
vecio_number(const char *s, double *out)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' ? 0 : -1;
}

static int
vecio_csv(const unsigned char *p, size_t len, const char *name, int dim,
    struct vecio_set *s, struct es_err *err)
{
	struct vecio_acc a = { s, 0, 0, 0 };
	struct csv_reader r;
	struct csv_record rec = CSV_RECORD_INIT;
	const unsigned char *nul;
	char **cells = NULL, **head = NULL, *id;
	int ncells = 0, nhead = 0, *role = NULL, i, k, nvec = 0, idcol = -1;
	int header = -1, anyv = 0, rc;
	size_t lineno = 0;
	float *row = NULL;
	double v;
	cJSON *fj;

	if ((nul = memchr(p, '\0', len)) != NULL) {
		for (lineno = 1; nul > p; nul--)
			lineno += nul[-1] == '\n';
		return es_err_set(err, ES_EUSAGE, "InvalidCSV", "%s: line "
		    "%zu: malformed CSV (a NUL byte)", name, lineno);
	}
	csv_init(&r, (const char *)p, len);
	while ((rc = csv_next(&r, &rec)) != 0) {
		lineno = rec.line;
		if (rc == -1) {
			es_err_set(err, ES_EUSAGE, "InvalidCSV", "%s: line "
			    "%zu: malformed CSV (unbalanced quotes)", name,
			    lineno);
			goto fail;
		}
		cells = rec.fields;
		ncells = (int)rec.n;
		if (header == -1) {
			/* the first row decides: a header or data */
			header = ncells < 2 || vecio_number(cells[1], &v) != 0;
			role = xcalloc((size_t)ncells + 1, sizeof(int));
			if (header) {
				/* the record's fields become the header */
				head = rec.fields;
				nhead = ncells;
				rec.fields = NULL;
				rec.n = rec.alloc = 0;
				for (i = 0; i < nhead; i++)
					if (head[i][0] == 'v' &&
					    isdigit((unsigned char)head[i][1]))
						anyv = 1;
				for (i = 0; i < nhead; i++) {
					if (strcmp(head[i], "id") == 0 &&
					    idcol == -1) {
						idcol = i;
						role[i] = 1;
					} else if (anyv ? (head[i][0] == 'v' &&
					    isdigit((unsigned char)head[i][1]))
					    : 1) {
						role[i] = 2;
						nvec++;
					} else
						role[i] = 3;
				}
				continue;
			}
			nhead = ncells;
			idcol = 0;
			role[0] = 1;
			for (i = 1; i < ncells; i++)
				role[i] = 2;
			nvec = ncells - 1;
		}
		if (ncells != nhead) {
			es_err_set(err, ES_EUSAGE, "InvalidCSV", "%s: line "
			    "%zu: %d cells, expected %d", name, lineno,
			    ncells, nhead);
			goto fail;
		}
		if (dim == 0)
			dim = nvec;
		if (nvec != dim || nvec == 0 || nvec > VECIO_MAX_DIM) {
			es_err_set(err, ES_EUSAGE, "DimensionMismatch", "%s: "
			    "line %zu: vector has %d components, expected %d",
			    name, lineno, nvec, dim);
			goto fail;
		}
		if (row == NULL) {
			s->dim = dim;
			row = xreallocarray(NULL, (size_t)dim, sizeof(float));
		}
		fj = NULL;
		for (i = 0, k = 0; i < ncells; i++) {
			if (role[i] == 2) {
				if (vecio_number(cells[i], &v) != 0) {
					cJSON_Delete(fj);
					es_err_set(err, ES_EUSAGE,
					    "InvalidVector", "%s: line %zu: "
					    "component %d ('%.40s') is not a "
					    "number", name, lineno, k + 1,
					    cells[i]);
					goto fail;
				}
				row[k] = (float)v;
				if (vecio_finite(row[k], name, "line", lineno,
				    k, err) == -1) {
					cJSON_Delete(fj);
					goto fail;
				}
				k++;
			} else if (role[i] == 3) {
				if (fj == NULL)
					fj = cJSON_CreateObject();
				cJSON_AddStringToObject(fj, head[i], cells[i]);
			}
		}
		id = NULL;
		if (idcol >= 0) {
			if (cells[idcol][0] == '\0' ||
			    strlen(cells[idcol]) > 512) {
				cJSON_Delete(fj);
				es_err_set(err, ES_EUSAGE, "InvalidId", "%s: "
				    "line %zu: the id must be non-empty (at "
				    "most 512 bytes)", name, lineno);
				goto fail;
			}
			id = xstrdup(cells[idcol]);
		}
		vecio_acc_push(&a, row, id, fj ? cJSON_PrintUnformatted(fj) :
		    NULL, lineno);
		cJSON_Delete(fj);
	}
	csv_record_release(&rec);
	free(row);
	free(role);
	if (head != NULL)
		vecio_cells_free(head, nhead);
	vecio_acc_finish(&a);
	if (s->n == 0)
		return es_err_set(err, ES_EUSAGE, "Empty", "%s: no vectors",
		    name);
	return 0;
fail:
	free(row);
	free(role);
	csv_record_release(&rec);
	if (head != NULL)
		vecio_cells_free(head, nhead);
	vecio_acc_finish(&a);
	return -1;
}

static uint64_t
vecio_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Rejects duplicate ids within the set, naming both records. */
static int
vecio_check_ids(const struct vecio_set *s, const char *name,
    const char *unit, struct es_err *err)
{
	size_t cap = 16, i, h;
	size_t *tab;

	if (s->ids == NULL)
		return 0;
	while (cap < s->n * 2)
		cap *= 2;
	tab = xcalloc(cap, sizeof *tab);	/* index + 1; 0 = empty */
	for (i = 0; i < s->n; i++) {
		if (s->ids[i] == NULL)
			continue;
		for (h = vecio_hash(s->ids[i]) & (cap - 1); tab[h] != 0;
		    h = (h + 1) & (cap - 1)) {
			if (strcmp(s->ids[tab[h] - 1], s->ids[i]) == 0) {
				es_err_set(err, ES_EUSAGE, "DuplicateId",
				    "%s: %s %zu: duplicate id '%s' (first at "
				    "%s %zu)", name, unit, s->where[i],
				    s->ids[i], unit, s->where[tab[h] - 1]);
				free(tab);
				return -1;
			}
		}
		tab[h] = i + 1;
	}
	free(tab);
	return 0;
}

static int
vecio_parse(const unsigned char *p, size_t len, const char *name,
    enum vecio_format fmt, int dim, struct vecio_set **out,
    struct es_err *err)
{
	struct vecio_set *s;
	size_t i;
	int rc;

	*out = NULL;
	if (fmt == VECIO_AUTO)
		fmt = vecio_format_from_name(name);
	if (fmt == VECIO_AUTO)
		return es_err_set(err, ES_EUSAGE, "UnknownFormat", "%s: cannot "
		    "tell the format from the name: use .fvecs, .bvecs, .npy, "
		    ".jsonl or .csv, or --format", name);
	if (dim < 0 || dim > VECIO_MAX_DIM)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "dimension %d", dim);
	s = xcalloc(1, sizeof *s);
	switch (fmt) {
	case VECIO_FVECS:
	case VECIO_BVECS:
	case VECIO_IVECS:
		rc = vecio_binary(p, len, name, fmt, dim, s, err);
		break;
	case VECIO_NPY:
		rc = vecio_npy(p, len, name, dim, s, err);
		break;
	case VECIO_JSONL:
		rc = vecio_jsonl(p, len, name, dim, s, err);
		break;
	case VECIO_CSV:
		rc = vecio_csv(p, len, name, dim, s, err);
		break;
	default:
		rc = es_err_set(err, ES_EUSAGE, "UnknownFormat", "%s: "
		    "unsupported format", name);
		break;
	}
	if (rc == 0 && s->where == NULL) {
		s->where = xreallocarray(NULL, s->n ? s->n : 1,
		    sizeof(size_t));
		for (i = 0; i < s->n; i++)
			s->where[i] = i + 1;
	}
	s->unit = fmt == VECIO_JSONL || fmt == VECIO_CSV ? "line" :
	    fmt == VECIO_NPY ? "row" : "record";
	if (rc == 0)
		rc = vecio_check_ids(s, name, s->unit, err);
	if (rc == -1) {
		vecio_set_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int
vecio_read_mem(const void *buf, size_t len, const char *name,
    enum vecio_format fmt, int dim, struct vecio_set **out,
    struct es_err *err)
{
	return vecio_parse(buf, len, name, fmt, dim, out, err);
}

/*
 * Reads a vector input that cannot be mapped (stdin, a pipe, a device)
 * into b, at most UTIL_MAX_DATA_FILE bytes, checking the first record of
 * a binary format as soon as its dimension has arrived: /dev/zero (a
 * dimension of 0) fails at once instead of filling the memory.
 */
static int
vecio_read_stream(const char *path, const char *name, enum vecio_format fmt,
    int dim, struct es_buf *b, struct es_err *err)
{
	char tmp[65536];
	ssize_t n;
	uint32_t d;
	int fd, e, checked = 0;

	if (fmt == VECIO_AUTO)
		fmt = vecio_format_from_name(name);
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
		    ES_EFAIL, NULL, "cannot open '%s': %s", path,
		    strerror(errno));
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > UTIL_MAX_DATA_FILE - b->len) {
			es_err_set(err, ES_EUSAGE, "TooLarge", "%s: larger "
			    "than the limit of %lu MiB for an input that is "
			    "not a regular file", name,
			    UTIL_MAX_DATA_FILE >> 20);
			goto fail;
		}
		es_buf_add(b, tmp, (size_t)n);
		if (checked || b->len < 4 || (fmt != VECIO_FVECS &&
		    fmt != VECIO_BVECS && fmt != VECIO_IVECS))
			continue;
		checked = 1;
		d = vecio_le32((const unsigned char *)b->data);
		if (d == 0 || d > VECIO_MAX_DIM) {
			es_err_set(err, ES_EUSAGE, "InvalidVector", "%s: "
			    "record 1: invalid dimension %u", name, d);
			goto fail;
		}
		if (dim != 0 && d != (uint32_t)dim) {
			es_err_set(err, ES_EUSAGE, "DimensionMismatch", "%s: "
			    "record 1 has dimension %u, expected %d", name, d,
			    dim);
			goto fail;
		}
	}
	if (n < 0) {
		e = errno;
		es_err_set(err, ES_EFAIL, NULL, "cannot read '%s': %s", path,
		    strerror(e));
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

int
vecio_read(const char *path, enum vecio_format fmt, int dim,
    struct vecio_set **out, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	struct stat st;
	void *map = NULL;
	int fd, rc;

	*out = NULL;
	if (strcmp(path, "-") != 0) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
			    ES_EFAIL, NULL, "cannot open '%s': %s", path,
			    strerror(errno));
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ,
			    MAP_PRIVATE | MAP_POPULATE, fd, 0);
			if (map == MAP_FAILED)
				map = NULL;
		}
		close(fd);
		if (map != NULL) {
			madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
			rc = vecio_parse(map, (size_t)st.st_size, path, fmt,
			    dim, out, err);
			munmap(map, (size_t)st.st_size);
			return rc;
		}
	}
	if (vecio_read_stream(path, strcmp(path, "-") == 0 ? "stdin" : path,
	    fmt, dim, &b, err) == -1) {
		es_buf_release(&b);
		return -1;
	}
	rc = vecio_parse((const unsigned char *)b.data, b.len,
	    strcmp(path, "-") == 0 ? "stdin" : path, fmt, dim, out, err);
	es_buf_release(&b);
	return rc;
}

int
vecio_read_ivecs(const char *path, int32_t **out, size_t *n, int *dim,
    struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	const unsigned char *p;
	size_t off, rec, cnt = 0;
	uint32_t d, d0 = 0;

	*out = NULL;
	if (vecio_read_stream(path, path, VECIO_IVECS, 0, &b, err) == -1) {
		es_buf_release(&b);
		return -1;
	}
	p = (const unsigned char *)b.data;
	for (off = 0, rec = 1; off < b.len; rec++) {
		if (b.len - off < 4 || (d = vecio_le32(p + off)) == 0 ||
		    d > VECIO_MAX_DIM || (b.len - off - 4) / 4 < d ||
		    (d0 != 0 && d != d0)) {
			es_buf_release(&b);
			return es_err_set(err, ES_EUSAGE, "InvalidFile", "%s: "
			    "record %zu is truncated or has a wrong "
			    "dimension", path, rec);
		}
		d0 = d;
		off += 4 + (size_t)d * 4;
		cnt++;
	}
	if (cnt == 0) {
		es_buf_release(&b);
		return es_err_set(err, ES_EUSAGE, "Empty", "%s: no rows",
		    path);
	}
	*out = xreallocarray(NULL, cnt * d0, sizeof(int32_t));
	for (rec = 0; rec < cnt; rec++)
		memcpy(*out + rec * d0, p + rec * (4 + (size_t)d0 * 4) + 4,
		    (size_t)d0 * 4);
	es_buf_release(&b);
	*n = cnt;
	*dim = (int)d0;
	return 0;
}

int
vecio_write_fvecs(const char *path, const float *v, size_t n, int dim,
    struct es_err *err)
{
	FILE *fp;
	int32_t d = dim;
	size_t i;

	if ((fp = fopen(path, "wb")) == NULL)
		return es_err_set(err, ES_EFAIL, NULL, "cannot create '%s': %s",
		    path, strerror(errno));
	for (i = 0; i < n; i++) {
		fwrite(&d, 4, 1, fp);
		fwrite(v + i * (size_t)dim, 4, (size_t)dim, fp);
	}
	if (ferror(fp) || fclose(fp) != 0)
		return es_err_set(err, ES_EFAIL, NULL, "cannot write '%s'",
		    path);
	return 0;
}

int
vecio_parse_list(const char *s, int dim, float **out)
{
	const char *p = s, *q;
	char *end;
	float *v;
	double d;
	int n = 0, bracket = 0;

	*out = NULL;
	if (dim <= 0 || dim > VECIO_MAX_DIM)
		return 0;
	while (*p == ' ')	/* as the JSON reading of --vector */
		p++;
	if (*p == '[') {
		bracket = 1;
		p++;
	}
	v = xreallocarray(NULL, (size_t)dim, sizeof *v);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '-' && !(*p >= '0' && *p <= '9'))
			goto no;
		/* the characters cJSON's parse_number hands to strtod */
		for (q = p; (*q >= '0' && *q <= '9') || *q == '+' ||
		    *q == '-' || *q == '.' || *q == 'e' || *q == 'E'; q++)
			;
		if (q - p > 63 || n == dim)
			goto no;
		d = strtod(p, &end);
		if (end != q)
			goto no;
		v[n] = (float)d;
		if (!isfinite(v[n]))
			goto no;
		n++;
		p = q;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',')
			break;
		p++;
	}
	if (bracket && *p++ != ']')
		goto no;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' || n != dim)
		goto no;
	*out = v;
	return 1;
no:
	free(v);
	return 0;
}
