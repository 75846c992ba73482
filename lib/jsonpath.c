/*
 * jsonpath.c - kubectl's JSONPath template subset (see jsonpath.h).
 *
 * A template compiles to a list of nodes (text, expression, range with a
 * body); an expression is a start (root or current) and a list of steps.
 * Evaluation maps a set of values through the steps, so `[*]` and `..`
 * simply widen the set.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "xmalloc.h"

enum jp_step_type {
	JP_FIELD,		/* .name or ['name'] */
	JP_INDEX,		/* [N] */
	JP_ALL,			/* [*] or .* */
	JP_DESCEND		/* ..name */
};

struct jp_step {
	enum jp_step_type	 type;
	char			*name;
	long long		 index;
};

struct jp_expr {
	int			 from_root;	/* $ */
	struct jp_step		*steps;
	size_t			 nsteps;
};

enum jp_node_type {
	JP_TEXT,
	JP_VALUE,
	JP_RANGE
};

struct jp_node {
	enum jp_node_type	 type;
	char			*text;		/* JP_TEXT */
	struct jp_expr		 expr;		/* JP_VALUE, JP_RANGE */
	struct jp_node		*body;		/* JP_RANGE */
	struct jp_node		*next;
};

struct jsonpath {
	struct jp_node		*nodes;
};

/* A growable set of borrowed values. */
struct jp_set {
	const cJSON		**v;
	size_t			 n;
	size_t			 alloc;
};

static void	 jp_nodes_free(struct jp_node *);
static int	 jp_parse_expr(const char *, size_t, size_t, struct jp_expr *,
		    struct es_err *);
static void	 jp_eval(const struct jp_expr *, const cJSON *,
		    const cJSON *, struct jp_set *);
static void	 jp_exec_nodes(const struct jp_node *, const cJSON *,
		    const cJSON *, struct es_buf *);

static void
jp_set_add(struct jp_set *s, const cJSON *v)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 8;
		s->v = xreallocarray(s->v, s->alloc, sizeof *s->v);
	}
	s->v[s->n++] = v;
}

void
jsonpath_number(double d, char *buf, size_t len)
{
	if (!isfinite(d))
		snprintf(buf, len, "null");
	else if (fabs(d) < 9e15 && d == (double)(long long)d)
		snprintf(buf, len, "%lld", (long long)d);
	else
		snprintf(buf, len, "%.15g", d);
}

/* The powers of ten a double holds exactly. */
static const double jp_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * x (0 <= x < 2^52) rounded to a whole number, ties to even, as
 * nearbyint() in the default rounding mode, without its save and
 * restore of the floating-point environment (most of the time of a
 * distance printed, before).
 */
static double
jp_round(double x)
{
	double r = x + 0x1p52;

	return r - 0x1p52;
}

/* x * 10^n with one rounding, |n| <= 22. */
static double
jp_scale(double x, int n)
{
	return n >= 0 ? x * jp_pow10[n] : x / jp_pow10[-n];
}

/*
 * The p digits of dig (10^(p-1) <= dig < 10^p) times 10^(x - p + 1),
 * trailing zeros dropped, as "%.*g" prints them at precision p.
 */
static size_t
jp_fmt_digits(int neg, long long dig, int p, int x, char *buf)
{
	char dg[16];
	size_t k = 0;
	int nd, i, ax;

	for (i = p - 1; i >= 0; i--) {
		dg[i] = (char)('0' + dig % 10);
		dig /= 10;
	}
	for (nd = p; nd > 1 && dg[nd - 1] == '0'; nd--)
		;
	if (neg)
		buf[k++] = '-';
	if (x < -4 || x >= p) {
		buf[k++] = dg[0];
		if (nd > 1) {
			buf[k++] = '.';
			memcpy(buf + k, dg + 1, (size_t)nd - 1);
			k += (size_t)nd - 1;
		}
		buf[k++] = 'e';
		buf[k++] = x < 0 ? '-' : '+';
		ax = x < 0 ? -x : x;
		if (ax >= 100)
			buf[k++] = (char)('0' + ax / 100);
		buf[k++] = (char)('0' + ax / 10 % 10);
		buf[k++] = (char)('0' + ax % 10);
	} else if (x >= 0) {
		for (i = 0; i <= x; i++)
			buf[k++] = i < nd ? dg[i] : '0';
		if (nd > x + 1) {
			buf[k++] = '.';
			memcpy(buf + k, dg + x + 1, (size_t)(nd - x - 1));
			k += (size_t)(nd - x - 1);
		}
	} else {
		buf[k++] = '0';
		buf[k++] = '.';
		for (i = 0; i < -x - 1; i++)
			buf[k++] = '0';
		memcpy(buf + k, dg, (size_t)nd);
		k += (size_t)nd;
	}
	buf[k] = '\0';
	return k;
}

/* The reference: "%.*g" at the first precision that reads back. */
static size_t
jp_float_slow(float f, char *buf, size_t len)
{
	int p, n = 0;

	for (p = 1; p <= 9; p++) {
		n = snprintf(buf, len, "%.*g", p, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

/*
 * For p = 1, 2, ... the value rounded to p significant digits is a
 * candidate; it reads back as f when it lies within half an ulp of f
 * (a quarter below a power of two).  Decided in double arithmetic, whose
 * error (2^-53 relative) is far below a float's half ulp (2^-25): only a
 * candidate within 2^-20 of the boundary is checked with strtof.  The
 * digits come from one multiplication by an exact power of ten, so the
 * fast path covers 1e-13 <= |f| < 1e21 and the rest takes the reference.
 */
size_t
jsonpath_float(float f, char *buf, size_t len)
{
	double a = fabs((double)f), s, dig, v, err, half, hlo, hhi;
	int e10, p, x, ex, neg = signbit(f) != 0;
	size_t n;

	if (!isfinite(f) || (a < 9e15 && (double)f == (double)(long long)f)) {
		jsonpath_number((double)f, buf, len);
		return strlen(buf);
	}
	if (len < 32 || a < 1e-13 || a >= 1e21)
		return jp_float_slow(f, buf, len);
	e10 = (int)floor(log10(a));
	s = jp_scale(a, -e10);
	if (s >= 10)
		e10++;
	else if (s < 1)
		e10--;
	(void)frexp(a, &ex);
	hhi = ldexp(1, ex - 25);		/* half the ulp above */
	hlo = a == ldexp(1, ex - 1) ? hhi / 2 : hhi;
	for (p = 1; p <= 9; p++) {
		dig = jp_round(jp_scale(a, p - 1 - e10));
		x = e10;
		if (dig >= jp_pow10[p]) {	/* rounded up to 10^(e10+1) */
			dig = jp_pow10[p - 1];
			x++;
		} else if (dig < jp_pow10[p - 1])
			return jp_float_slow(f, buf, len);
		v = jp_scale(dig, x - p + 1);
		err = fabs(v - a);
		half = v < a ? hlo : hhi;
		if (err > half * (1 + 0x1p-20))
			continue;
		n = jp_fmt_digits(neg, (long long)dig, p, x, buf);
		if (err < half * (1 - 0x1p-20) || strtof(buf, NULL) == f)
			return n;
	}
	return jp_float_slow(f, buf, len);
}

void
jsonpath_json(struct es_buf *b, const cJSON *j)
{
	const cJSON *e;
	char num[64];
	int first = 1, obj;

	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		obj = cJSON_IsObject(j);
		es_buf_addch(b, obj ? '{' : '[');
		cJSON_ArrayForEach(e, j) {
			if (!first)
				es_buf_addch(b, ',');
			first = 0;
			if (obj) {
				es_buf_add_json_str(b, e->string);
				es_buf_addch(b, ':');
			}
			jsonpath_json(b, e);
		}
		es_buf_addch(b, obj ? '}' : ']');
	} else if (cJSON_IsString(j))
		es_buf_add_json_str(b, j->valuestring);
	else if (cJSON_IsNumber(j)) {
		jsonpath_number(j->valuedouble, num, sizeof num);
		es_buf_adds(b, num);
	} else if (cJSON_IsBool(j))
		es_buf_adds(b, cJSON_IsTrue(j) ? "true" : "false");
	else
		es_buf_adds(b, "null");
}

static void
jp_expr_release(struct jp_expr *e)
{
	size_t i;

	for (i = 0; i < e->nsteps; i++)
		free(e->steps[i].name);
	free(e->steps);
	memset(e, 0, sizeof *e);
}

static void
jp_nodes_free(struct jp_node *n)
{
	struct jp_node *next;

	for (; n != NULL; n = next) {
		next = n->next;
		free(n->text);
		jp_expr_release(&n->expr);
		jp_nodes_free(n->body);
		free(n);
	}
}

void
jsonpath_free(struct jsonpath *jp)
{
	if (jp == NULL)
		return;
	jp_nodes_free(jp->nodes);
	free(jp);
}

static void
jp_add_step(struct jp_expr *e, enum jp_step_type type, const char *name,
    size_t len, long long index)
{
	struct jp_step *s;

	e->steps = xreallocarray(e->steps, e->nsteps + 1, sizeof *e->steps);
	s = &e->steps[e->nsteps++];
	s->type = type;
	s->name = name != NULL ? xstrndup(name, len) : NULL;
	s->index = index;
}

static int
jp_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '/' || c == '$' ||
	    (c & 0x80);
}

/*
 * Parses the expression s[0..len) (off: its offset in the template, for
 * messages) into e.
 */
static int
jp_parse_expr(const char *s, size_t len, size_t off, struct jp_expr *e,
    struct es_err *err)
{
	size_t i = 0, j;
	long long idx;
	char *end, q;

	memset(e, 0, sizeof *e);
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	while (len > i && isspace((unsigned char)s[len - 1]))
		len--;
	if (i < len && s[i] == '$') {
		e->from_root = 1;
		i++;
	} else if (i < len && s[i] == '@')
		i++;
	while (i < len) {
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.') {
			i += 2;
			j = i;
			while (j < len && jp_name_char((unsigned char)s[j]))
				j++;
			if (j == i)
				goto bad;
			jp_add_step(e, JP_DESCEND, s + i, j - i, 0);
			i = j;
		} else if (s[i] == '.') {
			i++;
			if (i < len && s[i] == '*') {
				jp_add_step(e, JP_ALL, NULL, 0, 0);
				i++;
				continue;
			}
			j = i;
			while (j < len && jp_name_char((unsigned char)s[j]))
				j++;
			/* a lone "." is the current value */
			if (j == i && i == len && e->nsteps == 0)
				break;
			if (j == i)
				goto bad;
			jp_add_step(e, JP_FIELD, s + i, j - i, 0);
			i = j;
		} else if (s[i] == '[') {
			i++;
			if (i < len && s[i] == '*') {
				if (i + 1 >= len || s[i + 1] != ']')
					goto bad;
				jp_add_step(e, JP_ALL, NULL, 0, 0);
				i += 2;
			} else if (i < len && (s[i] == '\'' || s[i] == '"')) {
				q = s[i++];
				for (j = i; j < len && s[j] != q; j++)
					;
				if (j + 1 >= len || s[j + 1] != ']')
					goto bad;
				jp_add_step(e, JP_FIELD, s + i, j - i, 0);
				i = j + 2;
			} else if (i < len && s[i] == '?')
				return es_err_set(err, ES_EUSAGE, "BadJSONPath",
				    "jsonpath: filters '[?()]' are not "
				    "supported (at offset %zu)", off + i);
			else {
				char num[32];

				for (j = i; j < len && s[j] != ']'; j++)
					;
				if (j >= len || j == i || j - i >= sizeof num)
					goto bad;
				memcpy(num, s + i, j - i);
				num[j - i] = '\0';
				idx = strtoll(num, &end, 10);
				if (*end != '\0')
					return es_err_set(err, ES_EUSAGE,
					    "BadJSONPath", "jsonpath: index "
					    "'%s' is not a number (slices are "
					    "not supported) at offset %zu",
					    num, off + i);
				jp_add_step(e, JP_INDEX, NULL, 0, idx);
				i = j + 1;
			}
		} else
			goto bad;
	}
	return 0;
bad:
	jp_expr_release(e);
	return es_err_set(err, ES_EUSAGE, "BadJSONPath", "jsonpath: "
	    "unexpected '%c' at offset %zu in '%.*s'", i < len ? s[i] : ' ',
	    off + i, (int)len, s);
}

/* Decodes a {"..."} literal into a new string. */
static char *
jp_literal(const char *s, size_t len)
{
	struct es_buf b = ES_BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			es_buf_addch(&b, s[i]);
			continue;
		}
		switch (s[++i]) {
		case 'n':
			es_buf_addch(&b, '\n');
			break;
		case 't':
			es_buf_addch(&b, '\t');
			break;
		case 'r':
			es_buf_addch(&b, '\r');
			break;
		default:
			es_buf_addch(&b, s[i]);
		}
	}
	return es_buf_detach(&b, NULL);
}

static struct jp_node *
jp_node_new(enum jp_node_type type)
{
	struct jp_node *n = xcalloc(1, sizeof *n);

	n->type = type;
	return n;
}

struct jsonpath *
jsonpath_compile(const char *tmpl, struct es_err *err)
{
	struct jp_node *stack[32], **tail[32], *n;
	struct jsonpath *jp;
	const char *p = tmpl, *open, *close, *a;
	size_t alen, depth = 0;
	int inq;

	jp = xcalloc(1, sizeof *jp);
	tail[0] = &jp->nodes;
	stack[0] = NULL;
	while (*p != '\0') {
		if ((open = strchr(p, '{')) == NULL)
			open = p + strlen(p);
		if (open > p) {
			n = jp_node_new(JP_TEXT);
			n->text = xstrndup(p, (size_t)(open - p));
			*tail[depth] = n;
			tail[depth] = &n->next;
		}
		if (*open == '\0')
			break;
		/* the closing brace, skipping quoted literals */
		inq = 0;
		for (close = open + 1; *close != '\0'; close++) {
			if (*close == '"' && (close[-1] != '\\' ||
			    close == open + 1))
				inq = !inq;
			else if (*close == '}' && !inq)
				break;
		}
		if (*close == '\0') {
			es_err_set(err, ES_EUSAGE, "BadJSONPath", "jsonpath: "
			    "unclosed '{' at offset %zu", (size_t)(open -
			    tmpl));
			goto fail;
		}
		a = open + 1;
		alen = (size_t)(close - a);
		while (alen > 0 && isspace((unsigned char)*a)) {
			a++;
			alen--;
		}
		while (alen > 0 && isspace((unsigned char)a[alen - 1]))
			alen--;
		if (alen >= 2 && a[0] == '"' && a[alen - 1] == '"') {
			n = jp_node_new(JP_TEXT);
			n->text = jp_literal(a + 1, alen - 2);
		} else if (alen == 3 && strncmp(a, "end", 3) == 0) {
			if (depth == 0) {
				es_err_set(err, ES_EUSAGE, "BadJSONPath",
				    "jsonpath: 'end' without 'range' at "
				    "offset %zu", (size_t)(open - tmpl));
				goto fail;
			}
			depth--;
			p = close + 1;
			continue;
		} else if (alen > 6 && strncmp(a, "range", 5) == 0 &&
		    isspace((unsigned char)a[5])) {
			n = jp_node_new(JP_RANGE);
			if (jp_parse_expr(a + 6, alen - 6, (size_t)(a + 6 -
			    tmpl), &n->expr, err) == -1) {
				jp_nodes_free(n);	/* and its steps */
				goto fail;
			}
			if (depth + 1 >= sizeof stack / sizeof stack[0]) {
				jp_nodes_free(n);
				es_err_set(err, ES_EUSAGE, "BadJSONPath",
				    "jsonpath: ranges nested too deep");
				goto fail;
			}
			*tail[depth] = n;
			tail[depth] = &n->next;
			stack[++depth] = n;
			tail[depth] = &n->body;
			p = close + 1;
			continue;
		} else if (alen == 0) {
			es_err_set(err, ES_EUSAGE, "BadJSONPath", "jsonpath: "
			    "empty '{}' at offset %zu", (size_t)(open - tmpl));
			goto fail;
		} else {
			n = jp_node_new(JP_VALUE);
			if (jp_parse_expr(a, alen, (size_t)(a - tmpl),
			    &n->expr, err) == -1) {
				jp_nodes_free(n);	/* and its steps */
				goto fail;
			}
		}
		*tail[depth] = n;
		tail[depth] = &n->next;
		p = close + 1;
	}
	if (depth != 0) {
		es_err_set(err, ES_EUSAGE, "BadJSONPath", "jsonpath: 'range' "
		    "without 'end'");
		goto fail;
	}
	return jp;
fail:
	jsonpath_free(jp);
	return NULL;
}

struct jsonpath *
jsonpath_compile_expr(const char *expr, struct es_err *err)
{
	struct jsonpath *jp;
	struct jp_node *n;
	size_t len = strlen(expr), off = 0;

	if (len >= 2 && expr[0] == '{' && expr[len - 1] == '}') {
		off = 1;
		len -= 2;
	}
	if (len == 0 || (expr[off] != '.' && expr[off] != '[' &&
	    expr[off] != '$' && expr[off] != '@'))
		return es_err_set(err, ES_EUSAGE, "BadJSONPath", "jsonpath: "
		    "'%s' is not a field path (e.g. '.name')", expr), NULL;
	n = jp_node_new(JP_VALUE);
	if (jp_parse_expr(expr + off, len, off, &n->expr, err) == -1) {
		jp_nodes_free(n);	/* the steps parsed so far */
		return NULL;
	}
	jp = xcalloc(1, sizeof *jp);
	jp->nodes = n;
	return jp;
}

static void
jp_descend(const cJSON *v, const char *name, struct jp_set *out)
{
	const cJSON *e;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return;
	cJSON_ArrayForEach(e, v) {
		if (cJSON_IsObject(v) && strcmp(e->string, name) == 0)
			jp_set_add(out, e);
		jp_descend(e, name, out);
	}
}

static void
jp_eval(const struct jp_expr *x, const cJSON *root, const cJSON *cur,
    struct jp_set *out)
{
	struct jp_set a = { NULL, 0, 0 }, b = { NULL, 0, 0 }, t;
	const struct jp_step *s;
	const cJSON *v, *e;
	size_t i, k;
	long long n;

	jp_set_add(&a, x->from_root ? root : cur);
	for (k = 0; k < x->nsteps; k++) {
		s = &x->steps[k];
		b.n = 0;
		for (i = 0; i < a.n; i++) {
			v = a.v[i];
			switch (s->type) {
			case JP_FIELD:
				if (cJSON_IsObject(v) && (e =
				    cJSON_GetObjectItemCaseSensitive(v,
				    s->name)) != NULL)
					jp_set_add(&b, e);
				break;
			case JP_INDEX:
				if (!cJSON_IsArray(v))
					break;
				n = cJSON_GetArraySize(v);
				if (s->index < -n || s->index >= n)
					break;
				jp_set_add(&b, cJSON_GetArrayItem(v, (int)(
				    s->index < 0 ? n + s->index : s->index)));
				break;
			case JP_ALL:
				if (cJSON_IsObject(v) || cJSON_IsArray(v))
					cJSON_ArrayForEach(e, v)
						jp_set_add(&b, e);
				break;
			case JP_DESCEND:
				jp_descend(v, s->name, &b);
				break;
			}
		}
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < a.n; i++)
		jp_set_add(out, a.v[i]);
	free(a.v);
	free(b.v);
}

static void
jp_exec_nodes(const struct jp_node *n, const cJSON *root, const cJSON *cur,
    struct es_buf *out)
{
	struct jp_set set;
	size_t i, shown;

	for (; n != NULL; n = n->next) {
		if (n->type == JP_TEXT) {
			es_buf_adds(out, n->text);
			continue;
		}
		memset(&set, 0, sizeof set);
		jp_eval(&n->expr, root, cur, &set);
		for (i = 0, shown = 0; i < set.n; i++) {
			if (n->type == JP_RANGE) {
				jp_exec_nodes(n->body, root, set.v[i], out);
				continue;
			}
			/* null prints nothing, not even a separator */
			if (cJSON_IsNull(set.v[i]))
				continue;
			if (shown++ > 0)
				es_buf_addch(out, ' ');
			if (cJSON_IsString(set.v[i]))
				es_buf_adds(out, set.v[i]->valuestring);
			else
				jsonpath_json(out, set.v[i]);
		}
		free(set.v);
	}
}

void
jsonpath_exec(const struct jsonpath *jp, const cJSON *root,
    struct es_buf *out)
{
	jp_exec_nodes(jp->nodes, root, root, out);
}

const cJSON **
jsonpath_values(const struct jsonpath *jp, const cJSON *root, size_t *n)
{
	struct jp_set set = { NULL, 0, 0 };

	if (jp->nodes != NULL && jp->nodes->type != JP_TEXT)
		jp_eval(&jp->nodes->expr, root, root, &set);
	*n = set.n;
	return set.v;
}
