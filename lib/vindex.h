/*
 * vindex.h - the vector indexes' records and data: metadata and documents
 * in SQLite (vector_index, vector_doc, vector_field), raw vectors in an
 * append-only data file below DATA/indexes/NAME/.
 *
 * The data file ("vectors.f32") is a 64-byte header (magic "ESCTLVEC",
 * version, dimension, owner index id) followed by float32 rows.  Rows are
 * appended and fsynced before the SQLite transaction recording them
 * commits; vector_index.vector_count is the number of valid rows, so a
 * crash between the two leaves an uncommitted tail that the next add
 * overwrites.  The built IVF file ("ivf.idx", lib/ivf.h) sits beside it.
 */
#ifndef ESCTL_VINDEX_H
#define ESCTL_VINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "ivf.h"
#include "store.h"
#include "vecio.h"

#define VINDEX_DATA_FILE	"vectors.f32"
#define VINDEX_IVF_FILE		"ivf.idx"
#define VINDEX_DATA_HEADER	64

/* One index's metadata (a row of vector_index). */
struct vindex {
	long long	 id;
	char		*name;
	char		*namespace;	/* may be NULL */
	char		*org;		/* tenant_org_id, may be NULL */
	char		*user;		/* may be NULL */
	int		 dim;
	enum ivf_metric	 metric;
	int		 nlist;
	int		 nprobe;
	long long	 count;		/* vectors stored */
	long long	 built;		/* vectors in the last build */
	char		*status;
};

/* Reads an index by name; ES_ENOTFOUND when absent. */
int	 vindex_get(struct store *, const char *name, struct vindex **out,
	    struct es_err *err);
void	 vindex_free(struct vindex *);

/* The index's directory below data_dir; new string, caller frees. */
char	*vindex_dir(const char *data_dir, const char *name);
/* A file of the index's directory; new string, caller frees. */
char	*vindex_path(const char *data_dir, const char *name,
	    const char *file);

/*
 * Removes temporary index files left by a build that was killed (call
 * with the build lock held).  Returns how many were removed.
 */
int	 vindex_clean_tmp(const char *data_dir, const char *name);

/* Fields of a new index (vindex_create). */
struct vindex_new {
	const char	*name;
	const char	*namespace;
	const char	*org;
	const char	*user;
	const char	*created_by;
	int		 dim;
	enum ivf_metric	 metric;
	int		 nlist;
	int		 nprobe;
};

/*
 * Records a new index (inside the caller's transaction) and prepares an
 * empty directory for it.  ES_ECONFLICT when the name exists.
 */
int	 vindex_create(struct store *, const char *data_dir,
	    const struct vindex_new *, time_t now, long long *id,
	    struct es_err *err);
/* Deletes the records (caller's transaction). */
int	 vindex_delete_records(struct store *, long long id,
	    struct es_err *err);
/* Removes the index's files (after the records are gone). */
int	 vindex_remove_files(const char *data_dir, const char *name,
	    struct es_err *err);

/*
 * Appends a validated set (dimension checked here; normalised for
 * cosine; ids default to the position in the index).  Durable: the rows
 * are fsynced, then the documents are committed in one transaction.  On
 * any error (duplicate id naming the record, I/O) nothing is recorded.
 * *first gets the position of the first new vector.
 */
int	 vindex_add(struct store *, const char *data_dir, struct vindex *,
	    struct vecio_set *, time_t now, long long *first,
	    struct es_err *err);

/* A read-only mapping of the first n rows of the data file. */
struct vindex_data {
	void		*map;
	size_t		 size;
	const float	*rows;
	size_t		 n;
};
int	 vindex_data_map(const char *data_dir, const struct vindex *,
	    struct vindex_data *, struct es_err *err);
void	 vindex_data_unmap(struct vindex_data *);

/*
 * Records a finished build (built_count, nlist, status ready, build
 * parameters JSON, built_at).  Caller's transaction.
 */
int	 vindex_set_built(struct store *, long long id, long long built,
	    int nlist, const cJSON *build, time_t now, struct es_err *err);

/* The index as the seed's JSON (index_name, ivf_params{...}, ...). */
int	 vindex_json(struct store *, const char *name, cJSON **out,
	    struct es_err *err);
/* All indexes visible to org/user (NULL: no filter), as a JSON array. */
int	 vindex_list_json(struct store *, const char *org, const char *user,
	    const char *ns, cJSON **out, struct es_err *err);
/* Stored documents: [{seq, id, fields}] ordered by position. */
int	 vindex_docs_json(struct store *, long long id, long long limit,
	    long long offset, cJSON **out, struct es_err *err);
/*
 * The ids and fields of the documents at the given positions, read from
 * the database once each (negative positions are skipped, repeats read
 * once) in one read transaction: the cost is linear in n.
 */
struct vindex_docset;
int	 vindex_docset_load(struct store *, long long id, const int64_t *seqs,
	    size_t n, struct vindex_docset **out, struct es_err *err);
/*
 * The document at position seq: 1 with its id and its fields as JSON text
 * (NULL when it has none), or 0 (both NULL) when the set does not hold it.
 * The strings live as long as the set.  O(log n).
 */
int	 vindex_docset_find(const struct vindex_docset *, int64_t seq,
	    const char **doc_id, const char **fields);
/*
 * The same in two steps, for a caller that keeps something per document:
 * the document's number in the set, 0 .. size - 1 (SIZE_MAX when the set
 * does not hold seq), O(log n); then its id and fields, O(1).
 */
size_t	 vindex_docset_index(const struct vindex_docset *, int64_t seq);
void	 vindex_docset_entry(const struct vindex_docset *, size_t i,
	    const char **doc_id, const char **fields);
/* vindex_docset_index of n positions into out[n]: O(n) when they are dense. */
void	 vindex_docset_index_many(const struct vindex_docset *,
	    const int64_t *seqs, size_t n, size_t *out);
/* Documents found. */
size_t	 vindex_docset_size(const struct vindex_docset *);
void	 vindex_docset_free(struct vindex_docset *);

/*
 * Bitmap over positions [0, n) of the documents matching every
 * "FIELD=VALUE" filter (AND).  New array of (n + 63) / 64 words.
 */
int	 vindex_filter_bitmap(struct store *, long long id, size_t n,
	    const char **filters, int nfilters, uint64_t **out,
	    size_t *matches, struct es_err *err);

#endif
