/*
 * vecio.h - readers for vector files: .fvecs, .bvecs, .ivecs, .npy
 * (float32, C order), JSON Lines and CSV.
 *
 * Every reader validates the whole input before returning anything: a
 * wrong dimension, a truncated record, a NaN or infinite component, bad
 * JSON, or a duplicate id is an ES_EUSAGE error naming the file and the
 * record (1-based record number for binary formats, line number for text
 * ones), and nothing is returned.
 *
 *	struct vecio_set *s;
 *	if (vecio_read("base.fvecs", VECIO_AUTO, 128, &s, err) == -1) ...
 *	use(s->n, s->dim, s->vectors, s->ids, s->fields);
 *	vecio_set_free(s);
 *
 * JSON Lines: one object per line, {"id": "a" | 7, "vector": [...],
 * "fields": {...}}; "id" and "fields" are optional; blank lines are
 * skipped.  CSV: without a header, "id,x1,...,xd" per row; with a header
 * (detected when the second cell of the first row is not a number), the
 * column named "id" is the id, columns named "v<N>" (or every numeric
 * column when there are none) form the vector, and any other column is a
 * string field.
 */
#ifndef ESCTL_VECIO_H
#define ESCTL_VECIO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum vecio_format {
	VECIO_AUTO,		/* from the file name's extension */
	VECIO_FVECS,
	VECIO_BVECS,
	VECIO_IVECS,
	VECIO_NPY,
	VECIO_JSONL,
	VECIO_CSV
};

/* Largest dimension accepted by the readers. */
#define VECIO_MAX_DIM	65536

/* A validated set of records; everything owned by the set. */
struct vecio_set {
	int		 dim;
	size_t		 n;
	float		*vectors;	/* n x dim, row-major */
	char		**ids;		/* n ids, or NULL when the input has
					   none (the caller numbers them) */
	char		**fields;	/* n JSON object texts (entries may be
					   NULL), or NULL when none */
	size_t		*where;		/* n line numbers (text formats) or
					   record numbers, for messages */
	const char	*unit;		/* "line" or "record" */
};

/* Format from a name ("x.fvecs" -> VECIO_FVECS); VECIO_AUTO if unknown. */
enum vecio_format vecio_format_from_name(const char *path);
/* "fvecs", "npy", ... */
const char	*vecio_format_name(enum vecio_format);
/* Parses a --format value; ES_EUSAGE when unknown. */
int		 vecio_format_parse(const char *s, enum vecio_format *out,
		    struct es_err *err);

/*
 * Reads and validates a whole file ("-" for stdin).  dim 0 accepts the
 * dimension of the first record; otherwise every record must have dim
 * components.  A new set in *out; caller frees with vecio_set_free.
 */
int		 vecio_read(const char *path, enum vecio_format fmt, int dim,
		    struct vecio_set **out, struct es_err *err);
/* The same from memory; name is used in messages. */
int		 vecio_read_mem(const void *buf, size_t len, const char *name,
		    enum vecio_format fmt, int dim, struct vecio_set **out,
		    struct es_err *err);
/* NULL-safe. */
void		 vecio_set_free(struct vecio_set *);

/*
 * One vector written as "[x, y, ...]" or "x, y, ...": exactly dim finite
 * numbers that read as cJSON reads a JSON number (a run of [0-9+-.eE]
 * starting with a digit or '-', through strtod, then to float), with
 * blanks (and tabs after the first character) between.  1 and a new
 * array in *out, else 0 and nothing allocated: the caller reads the text
 * through vecio_read_mem (JSON), which says what is wrong.  Without
 * cJSON's tree: ~10x fewer instructions for one query from the shell
 * (issue 17).
 */
int		 vecio_parse_list(const char *s, int dim, float **out);

/*
 * Reads an .ivecs file (ground truth: one row of neighbour ids per
 * query).  A new n x dim array in *out (caller frees).
 */
int		 vecio_read_ivecs(const char *path, int32_t **out, size_t *n,
		    int *dim, struct es_err *err);

/* Writes n x dim floats as .fvecs (for tests and tools). */
int		 vecio_write_fvecs(const char *path, const float *v, size_t n,
		    int dim, struct es_err *err);

#endif
