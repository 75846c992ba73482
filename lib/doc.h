/*
 * doc.h - YAML and JSON documents as a tree that remembers positions.
 *
 * Outside input (the config file, kubeconfig, --from-file inputs, manifests)
 * is parsed here with libyaml into a tree of struct doc_node, each node
 * carrying its 1-based line and column, so that a semantic error ("unknown
 * key", "expected a number") can be reported as file:line:col like a syntax
 * error.  JSON input goes through the same parser (JSON is YAML's flow
 * style).  Scalars are resolved with the YAML 1.2 core schema: plain null,
 * true/false, integers and floats; anything quoted is a string.  The raw
 * text of every scalar stays available in str, so "500m" or "2" can be read
 * as Kubernetes quantities whatever their resolved type.
 *
 * Limits keep hostile input harmless: nesting depth (DOC_MAX_DEPTH) and
 * total node count, including alias expansion (DOC_MAX_NODES).
 *
 * The node struct is public and read-only for callers: a document is a
 * value, walked like cJSON.  Nodes are owned by their root; free the root
 * with doc_free().
 */
#ifndef ESCTL_DOC_H
#define ESCTL_DOC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

#define DOC_MAX_DEPTH	64
#define DOC_MAX_NODES	1000000

enum doc_type {
	DOC_NULL,
	DOC_BOOL,
	DOC_INT,
	DOC_FLOAT,
	DOC_STRING,
	DOC_SEQ,
	DOC_MAP
};

struct doc_node {
	enum doc_type	 type;
	char		*key;		/* member name in a map, else NULL */
	char		*str;		/* scalar text; NULL for seq and map */
	int		 quoted;	/* quoted or block scalar */
	int		 boolean;	/* DOC_BOOL */
	long long	 integer;	/* DOC_INT */
	double		 number;	/* DOC_INT and DOC_FLOAT */
	unsigned	 line;		/* 1-based */
	unsigned	 col;		/* 1-based */
	unsigned	 key_line;	/* position of the key (map members) */
	unsigned	 key_col;
	size_t		 nchild;
	struct doc_node	*child;		/* first child (items, members) */
	struct doc_node	*last;
	struct doc_node	*next;		/* next sibling */
};

/*
 * Parses one document from buf.  name is used in error messages
 * ("name:line:col: ...").  An empty input gives a DOC_NULL root.  Returns 0
 * and a new tree in *out (caller frees with doc_free), or -1 and err.
 */
int		 doc_parse(const char *buf, size_t len, const char *name,
		    struct doc_node **out, struct es_err *err);
/*
 * Parses a stream of documents ("---" separated) into a DOC_SEQ root whose
 * children are the documents; empty documents are skipped.
 */
int		 doc_parse_stream(const char *buf, size_t len, const char *name,
		    struct doc_node **out, struct es_err *err);
/* Reads path ("-" for stdin) and parses it; errors name the path. */
int		 doc_parse_file(const char *path, struct doc_node **out,
		    struct es_err *err);
void		 doc_free(struct doc_node *);

/* Member of a map by key, or NULL.  Borrows. */
const struct doc_node *doc_get(const struct doc_node *, const char *key);
/* Walks "a.b.c" through maps; NULL when any step is missing. */
const struct doc_node *doc_path(const struct doc_node *, const char *path);
/* Scalar text of a node, or NULL for seq, map and null. */
const char	*doc_scalar(const struct doc_node *);
const char	*doc_type_name(enum doc_type);

/* Converts to cJSON (new tree, caller frees with cJSON_Delete). */
cJSON		*doc_to_json(const struct doc_node *);
/* Converts JSON to a doc tree (positions are 0). */
struct doc_node	*doc_from_json(const cJSON *);
/* Walks "a.b.c" through JSON objects; NULL when any step is missing. */
const cJSON	*doc_json_at(const cJSON *, const char *path);

/*
 * Emits a cJSON value as a YAML document (block style, keys in order,
 * strings quoted when a plain scalar would read back differently).
 */
int		 doc_emit_yaml(const cJSON *, struct es_buf *out,
		    struct es_err *err);

#endif
