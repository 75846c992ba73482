/*
 * doc.c - YAML/JSON documents with positions, over libyaml.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "doc.h"
#include "util.h"

struct doc_anchor {
	char		*name;
	struct doc_node	*node;
	int		 owned;		/* node is a copy owned here */
};

struct doc_parser {
	yaml_parser_t		 yp;
	const char		*name;
	struct doc_node		*stack[DOC_MAX_DEPTH + 1];
	int			 depth;
	/* pending map key per stack level */
	char			*key[DOC_MAX_DEPTH + 1];
	unsigned		 key_line[DOC_MAX_DEPTH + 1];
	unsigned		 key_col[DOC_MAX_DEPTH + 1];
	struct doc_anchor	*anchors;
	size_t			 nanchors;
	size_t			 nodes;
};

static struct doc_node *doc_node_new(enum doc_type, unsigned, unsigned);
static void	 doc_resolve(struct doc_node *);
static int	 doc_perr(struct doc_parser *, struct es_err *, unsigned,
		    unsigned, const char *, ...) ES_PRINTF(5, 6);
static int	 doc_add(struct doc_parser *, struct doc_node *,
		    struct es_err *);
static struct doc_node *doc_copy(const struct doc_node *, size_t *);
static int	 doc_run(struct doc_parser *, int, struct doc_node **,
		    struct es_err *);
static int	 doc_emit_node(yaml_emitter_t *, const cJSON *, int);
static int	 doc_plain_is_string(const char *);

const char *
doc_type_name(enum doc_type t)
{
	switch (t) {
	case DOC_NULL:
		return "null";
	case DOC_BOOL:
		return "boolean";
	case DOC_INT:
		return "integer";
	case DOC_FLOAT:
		return "number";
	case DOC_STRING:
		return "string";
	case DOC_SEQ:
		return "list";
	case DOC_MAP:
		return "mapping";
	}
	return "unknown";
}

static struct doc_node *
doc_node_new(enum doc_type type, unsigned line, unsigned col)
{
	struct doc_node *n;

	n = xcalloc(1, sizeof *n);
	n->type = type;
	n->line = line;
	n->col = col;
	return n;
}

void
doc_free(struct doc_node *n)
{
	struct doc_node *c, *next;

	if (n == NULL)
		return;
	for (c = n->child; c != NULL; c = next) {
		next = c->next;
		doc_free(c);
	}
	free(n->key);
	free(n->str);
	free(n);
}

static int
doc_perr(struct doc_parser *p, struct es_err *err, unsigned line,
    unsigned col, const char *fmt, ...)
{
	char msg[ES_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return es_err_set(err, ES_EUSAGE, "Invalid", "%s:%u:%u: %s", p->name,
	    line, col, msg);
}

/* Strict YAML 1.2 core-schema resolution of a plain scalar. */
static void
doc_resolve(struct doc_node *n)
{
	const char *s = n->str;
	char *end;
	long long ll;
	double d;
	const char *q;
	int digits;

	n->type = DOC_STRING;
	if (n->quoted)
		return;
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0) {
		n->type = DOC_NULL;
		return;
	}
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0) {
		n->type = DOC_BOOL;
		n->boolean = 1;
		return;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0) {
		n->type = DOC_BOOL;
		return;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2] != '\0') {
		errno = 0;
		ll = strtoll(s + 2, &end, s[1] == 'x' ? 16 : 8);
		if (*end == '\0' && errno == 0 && s[2] != '-' && s[2] != '+') {
			n->type = DOC_INT;
			n->integer = ll;
			n->number = (double)ll;
		}
		return;
	}
	q = s;
	if (*q == '-' || *q == '+')
		q++;
	if (strcmp(q, ".inf") == 0 || strcmp(q, ".Inf") == 0 ||
	    strcmp(q, ".INF") == 0) {
		n->type = DOC_FLOAT;
		n->number = *s == '-' ? -INFINITY : INFINITY;
		return;
	}
	if (q == s && (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 ||
	    strcmp(s, ".NAN") == 0)) {
		n->type = DOC_FLOAT;
		n->number = NAN;
		return;
	}
	/* [-+]?[0-9]+ */
	for (digits = 0; q[digits] >= '0' && q[digits] <= '9'; digits++)
		;
	if (digits > 0 && q[digits] == '\0') {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0) {
			n->type = DOC_INT;
			n->integer = ll;
			n->number = (double)ll;
		} else {
			n->type = DOC_FLOAT;
			n->number = strtod(s, NULL);
		}
		return;
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	{
		const char *r = q;
		int mant = 0;

		while (*r >= '0' && *r <= '9') {
			r++;
			mant++;
		}
		if (*r == '.') {
			r++;
			while (*r >= '0' && *r <= '9') {
				r++;
				mant++;
			}
		}
		if (mant == 0)
			return;
		if (*r == 'e' || *r == 'E') {
			r++;
			if (*r == '-' || *r == '+')
				r++;
			if (!(*r >= '0' && *r <= '9'))
				return;
			while (*r >= '0' && *r <= '9')
				r++;
		}
		if (*r != '\0')
			return;
		d = strtod(s, &end);
		if (*end != '\0')
			return;
		n->type = DOC_FLOAT;
		n->number = d;
	}
}

static struct doc_node *
doc_copy(const struct doc_node *n, size_t *budget)
{
	struct doc_node *c, *k, *ck;

	if (*budget == 0)
		return NULL;
	(*budget)--;
	c = xcalloc(1, sizeof *c);
	*c = *n;
	c->key = NULL;
	c->str = n->str != NULL ? xstrdup(n->str) : NULL;
	c->child = c->last = c->next = NULL;
	c->nchild = 0;
	for (k = n->child; k != NULL; k = k->next) {
		if ((ck = doc_copy(k, budget)) == NULL) {
			doc_free(c);
			return NULL;
		}
		ck->key = k->key != NULL ? xstrdup(k->key) : NULL;
		if (c->last == NULL)
			c->child = ck;
		else
			c->last->next = ck;
		c->last = ck;
		c->nchild++;
	}
	return c;
}

/* Attaches a finished node to the container on top of the stack. */
static int
doc_add(struct doc_parser *p, struct doc_node *n, struct es_err *err)
{
	struct doc_node *parent, *c;
	int d = p->depth;
	size_t i;

	if (d == 0) {
		p->stack[0] = n;
		return 0;
	}
	parent = p->stack[d];
	if (parent->type == DOC_MAP) {
		if (p->key[d] == NULL) {
			if (n->type == DOC_SEQ || n->type == DOC_MAP) {
				doc_perr(p, err, n->line, n->col,
				    "a mapping key must be a scalar");
				doc_free(n);
				return -1;
			}
			if (parent->nchild < 4096) {
				for (c = parent->child; c != NULL; c = c->next)
					if (strcmp(c->key, n->str) != 0)
						continue;
					else {
						doc_perr(p, err, n->line,
						    n->col, "duplicate key "
						    "'%s'", n->str);
						doc_free(n);
						return -1;
					}
			}
			/* an anchored key outlives its node: keep a copy */
			for (i = 0; i < p->nanchors; i++) {
				size_t one = 1;

				if (p->anchors[i].node != n ||
				    p->anchors[i].owned)
					continue;
				p->anchors[i].node = doc_copy(n, &one);
				p->anchors[i].owned = 1;
			}
			p->key[d] = n->str != NULL ? n->str : xstrdup("");
			n->str = NULL;
			p->key_line[d] = n->line;
			p->key_col[d] = n->col;
			doc_free(n);
			return 0;
		}
		n->key = p->key[d];
		n->key_line = p->key_line[d];
		n->key_col = p->key_col[d];
		p->key[d] = NULL;
	}
	if (parent->last == NULL)
		parent->child = n;
	else
		parent->last->next = n;
	parent->last = n;
	parent->nchild++;
	return 0;
}

static int
doc_anchor_add(struct doc_parser *p, const yaml_char_t *anchor,
    struct doc_node *n)
{
	if (anchor == NULL)
		return 0;
	p->anchors = xreallocarray(p->anchors, p->nanchors + 1,
	    sizeof *p->anchors);
	p->anchors[p->nanchors].name = xstrdup((const char *)anchor);
	p->anchors[p->nanchors].node = n;
	p->anchors[p->nanchors].owned = 0;
	p->nanchors++;
	return 0;
}

/*
 * Runs the libyaml event loop.  With stream set, every document becomes a
 * child of a DOC_SEQ root; otherwise a second document is an error.
 */
static int
doc_run(struct doc_parser *p, int stream, struct doc_node **out,
    struct es_err *err)
{
	yaml_event_t ev;
	struct doc_node *root = NULL, *n, *docs = NULL;
	int done = 0, ndocs = 0, rc = -1, i;
	size_t k, budget;
	unsigned line, col;

	if (stream)
		docs = doc_node_new(DOC_SEQ, 1, 1);
	while (!done) {
		if (!yaml_parser_parse(&p->yp, &ev)) {
			doc_perr(p, err, (unsigned)p->yp.problem_mark.line + 1,
			    (unsigned)p->yp.problem_mark.column + 1, "%s%s%s",
			    p->yp.problem ? p->yp.problem : "syntax error",
			    p->yp.context ? " " : "",
			    p->yp.context ? p->yp.context : "");
			goto out;
		}
		line = (unsigned)ev.start_mark.line + 1;
		col = (unsigned)ev.start_mark.column + 1;
		if (++p->nodes > DOC_MAX_NODES) {
			doc_perr(p, err, line, col, "document too large "
			    "(more than %d nodes)", DOC_MAX_NODES);
			yaml_event_delete(&ev);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (!stream && ndocs > 0) {
				doc_perr(p, err, line, col, "expected a single "
				    "document, found more");
				yaml_event_delete(&ev);
				goto out;
			}
			ndocs++;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (stream && p->stack[0] != NULL) {
				if (p->stack[0]->type == DOC_NULL)
					doc_free(p->stack[0]);
				else {
					n = p->stack[0];
					if (docs->last == NULL)
						docs->child = n;
					else
						docs->last->next = n;
					docs->last = n;
					docs->nchild++;
				}
				p->stack[0] = NULL;
			}
			for (k = 0; k < p->nanchors; k++) {
				free(p->anchors[k].name);
				if (p->anchors[k].owned)
					doc_free(p->anchors[k].node);
			}
			p->nanchors = 0;
			break;
		case YAML_SCALAR_EVENT:
			n = doc_node_new(DOC_STRING, line, col);
			n->str = xstrndup((const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			if (strlen(n->str) != ev.data.scalar.length) {
				doc_perr(p, err, line, col, "NUL byte in "
				    "scalar");
				doc_free(n);
				yaml_event_delete(&ev);
				goto out;
			}
			n->quoted = ev.data.scalar.style !=
			    YAML_PLAIN_SCALAR_STYLE;
			if (ev.data.scalar.tag != NULL && strcmp((const char *)
			    ev.data.scalar.tag, "tag:yaml.org,2002:str") == 0)
				n->quoted = 1;
			doc_resolve(n);
			doc_anchor_add(p, ev.data.scalar.anchor, n);
			if (doc_add(p, n, err) == -1) {
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (p->depth >= DOC_MAX_DEPTH) {
				doc_perr(p, err, line, col, "nesting deeper "
				    "than %d levels", DOC_MAX_DEPTH);
				yaml_event_delete(&ev);
				goto out;
			}
			n = doc_node_new(ev.type == YAML_SEQUENCE_START_EVENT ?
			    DOC_SEQ : DOC_MAP, line, col);
			doc_anchor_add(p, ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.anchor :
			    ev.data.mapping_start.anchor, n);
			if (doc_add(p, n, err) == -1) {
				yaml_event_delete(&ev);
				goto out;
			}
			p->depth++;
			p->stack[p->depth] = n;
			p->key[p->depth] = NULL;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			p->depth--;
			break;
		case YAML_ALIAS_EVENT:
			n = NULL;
			for (k = p->nanchors; k > 0; k--)
				if (strcmp(p->anchors[k - 1].name,
				    (const char *)ev.data.alias.anchor) == 0) {
					n = p->anchors[k - 1].node;
					break;
				}
			if (n == NULL) {
				doc_perr(p, err, line, col, "unknown alias "
				    "'%s'", ev.data.alias.anchor);
				yaml_event_delete(&ev);
				goto out;
			}
			for (i = 1; i <= p->depth; i++)
				if (p->stack[i] == n) {
					doc_perr(p, err, line, col, "recursive "
					    "alias '%s'", ev.data.alias.anchor);
					yaml_event_delete(&ev);
					goto out;
				}
			budget = DOC_MAX_NODES - p->nodes;
			if ((n = doc_copy(n, &budget)) == NULL) {
				doc_perr(p, err, line, col, "alias expansion "
				    "exceeds %d nodes", DOC_MAX_NODES);
				yaml_event_delete(&ev);
				goto out;
			}
			p->nodes = DOC_MAX_NODES - budget;
			n->line = line;
			n->col = col;
			if (doc_add(p, n, err) == -1) {
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (stream) {
		*out = docs;
		docs = NULL;
	} else {
		root = p->stack[0];
		p->stack[0] = NULL;
		*out = root != NULL ? root : doc_node_new(DOC_NULL, 1, 1);
	}
	rc = 0;
out:
	/* On error, free whatever is attached to the root. */
	if (rc == -1) {
		doc_free(p->stack[0]);
		for (i = 1; i <= p->depth; i++)
			free(p->key[i]);
	}
	doc_free(docs);
	for (k = 0; k < p->nanchors; k++) {
		free(p->anchors[k].name);
		if (p->anchors[k].owned)
			doc_free(p->anchors[k].node);
	}
	free(p->anchors);
	return rc;
}

static int
doc_parse_common(const char *buf, size_t len, const char *name, int stream,
    struct doc_node **out, struct es_err *err)
{
	struct doc_parser p;
	int rc;

	memset(&p, 0, sizeof p);
	p.name = name != NULL ? name : "<input>";
	*out = NULL;
	if (!yaml_parser_initialize(&p.yp))
		fatal("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)buf, len);
	rc = doc_run(&p, stream, out, err);
	yaml_parser_delete(&p.yp);
	return rc;
}

int
doc_parse(const char *buf, size_t len, const char *name,
    struct doc_node **out, struct es_err *err)
{
	return doc_parse_common(buf, len, name, 0, out, err);
}

int
doc_parse_stream(const char *buf, size_t len, const char *name,
    struct doc_node **out, struct es_err *err)
{
	return doc_parse_common(buf, len, name, 1, out, err);
}

int
doc_parse_file(const char *path, struct doc_node **out, struct es_err *err)
{
	char why[64];
	int e;
	struct es_buf b = ES_BUF_INIT;
	int rc;

	*out = NULL;
	if (es_buf_read_file_max(&b, path, UTIL_MAX_TEXT_FILE) == -1) {
		e = errno;
		es_err_set(err, e == ENOENT ? ES_ENOTFOUND : e == EFBIG ?
		    ES_EUSAGE : ES_EFAIL, NULL, "cannot read '%s': %s", path,
		    util_read_strerror(e, UTIL_MAX_TEXT_FILE, why, sizeof why));
		es_buf_release(&b);
		return -1;
	}
	rc = doc_parse(b.data, b.len, strcmp(path, "-") == 0 ? "<stdin>" :
	    path, out, err);
	es_buf_release(&b);
	return rc;
}

const struct doc_node *
doc_get(const struct doc_node *n, const char *key)
{
	const struct doc_node *c;

	if (n == NULL || n->type != DOC_MAP)
		return NULL;
	for (c = n->child; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const struct doc_node *
doc_path(const struct doc_node *n, const char *path)
{
	char part[256];
	const char *dot;
	size_t len;

	while (n != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof part)
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		n = doc_get(n, part);
		path += len;
		if (*path == '.')
			path++;
	}
	return n;
}

const char *
doc_scalar(const struct doc_node *n)
{
	if (n == NULL || n->type == DOC_SEQ || n->type == DOC_MAP ||
	    n->type == DOC_NULL)
		return NULL;
	return n->str;
}

const cJSON *
doc_json_at(const cJSON *j, const char *path)
{
	char part[256];
	const char *dot;
	size_t len;

	while (j != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof part)
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		j = cJSON_GetObjectItemCaseSensitive(j, part);
		path += len + (dot != NULL);
	}
	return j;
}

cJSON *
doc_to_json(const struct doc_node *n)
{
	const struct doc_node *c;
	cJSON *j;

	switch (n->type) {
	case DOC_NULL:
		return cJSON_CreateNull();
	case DOC_BOOL:
		return cJSON_CreateBool(n->boolean);
	case DOC_INT:
		return cJSON_CreateNumber(n->number);
	case DOC_FLOAT:
		if (isfinite(n->number))
			return cJSON_CreateNumber(n->number);
		return cJSON_CreateString(n->str);
	case DOC_STRING:
		return cJSON_CreateString(n->str);
	case DOC_SEQ:
		j = cJSON_CreateArray();
		for (c = n->child; c != NULL; c = c->next)
			cJSON_AddItemToArray(j, doc_to_json(c));
		return j;
	case DOC_MAP:
		j = cJSON_CreateObject();
		for (c = n->child; c != NULL; c = c->next)
			cJSON_AddItemToObject(j, c->key, doc_to_json(c));
		return j;
	}
	return cJSON_CreateNull();
}

struct doc_node *
doc_from_json(const cJSON *j)
{
	struct doc_node *n, *c;
	const cJSON *e;
	char num[64];

	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		n = doc_node_new(cJSON_IsObject(j) ? DOC_MAP : DOC_SEQ, 0, 0);
		cJSON_ArrayForEach(e, j) {
			c = doc_from_json(e);
			if (n->type == DOC_MAP)
				c->key = xstrdup(e->string ? e->string : "");
			if (n->last == NULL)
				n->child = c;
			else
				n->last->next = c;
			n->last = c;
			n->nchild++;
		}
		return n;
	}
	n = doc_node_new(DOC_NULL, 0, 0);
	if (cJSON_IsBool(j)) {
		n->type = DOC_BOOL;
		n->boolean = cJSON_IsTrue(j);
		n->str = xstrdup(n->boolean ? "true" : "false");
	} else if (cJSON_IsNumber(j)) {
		n->number = j->valuedouble;
		/* the range first: casting 1e20 to long long is UB */
		if (fabs(j->valuedouble) < 9e15 &&
		    j->valuedouble == (double)(long long)j->valuedouble) {
			n->type = DOC_INT;
			n->integer = (long long)j->valuedouble;
			snprintf(num, sizeof num, "%lld", n->integer);
		} else {
			n->type = DOC_FLOAT;
			snprintf(num, sizeof num, "%.17g", j->valuedouble);
		}
		n->str = xstrdup(num);
	} else if (cJSON_IsString(j)) {
		n->type = DOC_STRING;
		n->quoted = 1;
		n->str = xstrdup(j->valuestring);
	}
	return n;
}

/* Would this plain scalar read back as the same string? */
static int
doc_plain_is_string(const char *s)
{
	struct doc_node n;

	if (*s == '\0')
		return 0;
	memset(&n, 0, sizeof n);
	n.str = xstrdup(s);
	doc_resolve(&n);
	free(n.str);
	if (n.type != DOC_STRING)
		return 0;
	/* YAML 1.1 readers (kubectl, PyYAML) take these as booleans. */
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "no") == 0 ||
	    strcasecmp(s, "on") == 0 || strcasecmp(s, "off") == 0 ||
	    strcasecmp(s, "y") == 0 || strcasecmp(s, "n") == 0)
		return 0;
	/* ... and these as numbers (0777, 1_000, 0b1, 1:30) or dates */
	if (strchr("0123456789+-.", s[0]) != NULL &&
	    strspn(s, "0123456789abcdefABCDEFxXoO_:.+-") == strlen(s))
		return 0;
	if (strlen(s) >= 8 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-')
		return 0;
	return 1;
}

static int
doc_emit_scalar(yaml_emitter_t *em, const char *s, int plain_ok)
{
	yaml_event_t ev;

	/* libyaml copies the value; its prototype just lacks const */
	yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s,
	    (int)strlen(s), plain_ok, 1, plain_ok ? YAML_ANY_SCALAR_STYLE :
	    YAML_SINGLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

static int
doc_emit_node(yaml_emitter_t *em, const cJSON *j, int depth)
{
	yaml_event_t ev;
	const cJSON *e;
	char num[64];
	double d;

	if (depth > DOC_MAX_DEPTH * 4)
		return 0;
	if (cJSON_IsObject(j)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    j->child == NULL ? YAML_FLOW_MAPPING_STYLE :
		    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		cJSON_ArrayForEach(e, j) {
			if (!doc_emit_scalar(em, e->string,
			    doc_plain_is_string(e->string)))
				return 0;
			if (!doc_emit_node(em, e, depth + 1))
				return 0;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	if (cJSON_IsArray(j)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    j->child == NULL ? YAML_FLOW_SEQUENCE_STYLE :
		    YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		cJSON_ArrayForEach(e, j)
			if (!doc_emit_node(em, e, depth + 1))
				return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	if (cJSON_IsString(j))
		return doc_emit_scalar(em, j->valuestring,
		    doc_plain_is_string(j->valuestring));
	if (cJSON_IsNumber(j)) {
		d = j->valuedouble;
		if (fabs(d) < 9e15 && d == (double)(long long)d)
			snprintf(num, sizeof num, "%lld", (long long)d);
		else {
			snprintf(num, sizeof num, "%.15g", d);
			if (strtod(num, NULL) != d)
				snprintf(num, sizeof num, "%.17g", d);
		}
		return doc_emit_scalar(em, num, 1);
	}
	if (cJSON_IsBool(j))
		return doc_emit_scalar(em, cJSON_IsTrue(j) ? "true" : "false",
		    1);
	return doc_emit_scalar(em, "null", 1);
}

static int
doc_emit_write(void *data, unsigned char *buf, size_t size)
{
	es_buf_add(data, buf, size);
	return 1;
}

int
doc_emit_yaml(const cJSON *j, struct es_buf *out, struct es_err *err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&em))
		fatal("yaml_emitter_initialize failed");
	yaml_emitter_set_output(&em, doc_emit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	if (ok) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
		ok = yaml_emitter_emit(&em, &ev);
	}
	if (ok)
		ok = doc_emit_node(&em, j, 0);
	if (ok) {
		yaml_document_end_event_initialize(&ev, 1);
		ok = yaml_emitter_emit(&em, &ev);
	}
	if (ok) {
		yaml_stream_end_event_initialize(&ev);
		ok = yaml_emitter_emit(&em, &ev);
	}
	if (!ok) {
		es_err_set(err, ES_EFAIL, NULL, "cannot emit yaml: %s",
		    em.problem ? em.problem : "unknown error");
		yaml_emitter_delete(&em);
		return -1;
	}
	yaml_emitter_delete(&em);
	return 0;
}
