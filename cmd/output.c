/*
 * output.c - the output layer every command uses: aligned tables
 * (table, wide, custom-columns), JSON, YAML, JSONPath and names, sorting,
 * colour only when wanted.
 *
 * Commands build their results as cJSON values whose keys are the public
 * snake_case field names; this file decides how they look.  So -o json
 * always shows exactly the fields the table was made from, and every list
 * gets the same contract (esctl(1), OUTPUT): a list is {"kind": "List",
 * "items": [...]}, -o name prints kind/name, --sort-by and --no-headers
 * work on every list.
 */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cmd.h"
#include "doc.h"
#include "jsonpath.h"
#include "util.h"

/* What -o custom-columns and --sort-by were compiled to. */
struct out_spec {
	size_t		  ncols;
	char		**headers;
	struct jsonpath	**paths;
	struct out_col	 *cols;		/* ncols + OUT_COL_END */
	struct jsonpath	 *tmpl;		/* -o jsonpath= */
	struct jsonpath	 *sort;		/* --sort-by */
	char		 *sort_key;	/* its dotted form, for out_table */
};

/* -w: the signature of every object printed so far, by name. */
struct out_watch {
	cJSON		*seen;		/* name -> signature string */
	int		 rounds;
	int		 header_done;	/* a table with its header printed */
	size_t		*widths;	/* column widths printed so far */
	size_t		 nwidths;
};

/* One table being printed: every cell's text, then the row order. */
struct out_grid {
	struct es_buf	 text;
	size_t		*off;		/* (nrows + 1) * ncols offsets */
	size_t		 nrows;
	size_t		 ncols;
};

static size_t	 out_width(const char *);
static void	 out_json_indent(struct es_buf *, int);
static size_t	 out_lld(char *, long long);
static void	 out_describe(struct esctl_ctx *, const cJSON *, int);
static void	 out_pad(FILE *, size_t);
static int	 out_structured(struct esctl_ctx *, const cJSON *,
		    struct es_err *);
static void	 out_print_grid(struct esctl_ctx *, const struct out_col *,
		    struct out_grid *, const size_t *);
static void	 out_name_line(struct esctl_ctx *, const char *);
static const cJSON **out_sorted(struct esctl_ctx *, const cJSON *,
		    size_t *);
static void	 out_watch_release(struct esctl_ctx *);

static const char *out_green[] = { "created", "completed", "running",
    "Running", "ready", "Ready", "Bound", "sent", "enabled", "active",
    "Active", "succeeded", "Succeeded", "available", "ok", "in_pool",
    "order_created", "True", "approved", NULL };
static const char *out_yellow[] = { "pending", "Pending", "creating",
    "scaling", "processing", "deleting", "Terminating", "starting",
    "pending_confirmation", "scheduled_for_maintenance",
    "maintenance_in_progress", "skipped", "unknown", "Unknown",
    "disabled", "cordoned", "building", NULL };
static const char *out_red[] = { "failed", "Failed", "error", "Error",
    "deleted", "cancelled", "rejected", "NotReady", "CrashLoopBackOff",
    "failed_check", "abnormal", "False", "offline", NULL };

static int
out_in(const char *s, const char **set)
{
	int i;

	for (i = 0; set[i] != NULL; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

const char *
out_color(struct esctl_ctx *ctx, const char *status)
{
	if (!ctx->color || status == NULL)
		return "";
	if (out_in(status, out_green))
		return "\033[32m";
	if (out_in(status, out_yellow))
		return "\033[33m";
	if (out_in(status, out_red))
		return "\033[31m";
	return "";
}

const char *
out_reset(struct esctl_ctx *ctx)
{
	return ctx->color ? "\033[0m" : "";
}

const char *
out_bold(struct esctl_ctx *ctx)
{
	return ctx->color ? "\033[1m" : "";
}

/*
 * Decimal digits of v into buf (at least 21 bytes), NUL-terminated; the
 * length.  As "%lld" without the cost of a format string, which matters
 * for commands printing a million numbers.
 */
static size_t
out_lld(char *buf, long long v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	size_t n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof tmp - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

/*
 * What out_number prints for a number that is not whole, without
 * snprintf: "%.2f" with its trailing zeros cut.  Only when |d| < 1e7 and
 * d * 100 (off by at most 6e-8 there) is not within 1e-6 of a rounding
 * tie, where printf's exact round-half-even could differ; 0 otherwise,
 * and for what rounds to zero.
 */
static int
out_fixed2(char *buf, size_t len, double d)
{
	double x = fabs(d) * 100, r;
	long long n, ip;
	char tmp[32], *p = tmp + sizeof tmp;
	int f;

	if (!(x < 1e9))
		return 0;
	r = floor(x);
	if (fabs(x - r - 0.5) < 1e-6)
		return 0;
	if ((n = (long long)r + (x - r > 0.5)) == 0)
		return 0;
	*--p = '\0';
	if ((f = (int)(n % 100)) != 0) {
		if (f % 10 != 0)
			*--p = (char)('0' + f % 10);
		*--p = (char)('0' + f / 10);
		*--p = '.';
	}
	ip = n / 100;
	do {
		*--p = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip != 0);
	if (d < 0)
		*--p = '-';
	if ((size_t)(tmp + sizeof tmp - p) > len)
		return 0;
	memcpy(buf, p, (size_t)(tmp + sizeof tmp - p));
	return 1;
}

static void
out_number(char *buf, size_t len, double d)
{
	char *p, tmp[24];
	size_t n;

	if (len == 0)
		return;
	if (!isfinite(d))
		snprintf(buf, len, "%s", isnan(d) ? "NaN" : d > 0 ? "Inf" :
		    "-Inf");
	else if (fabs(d) < 9e15 && d == (double)(long long)d) {
		if ((n = out_lld(tmp, (long long)d)) >= len)
			n = len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	} else if (!out_fixed2(buf, len, d)) {
		snprintf(buf, len, "%.2f", d);
		p = buf + strlen(buf) - 1;
		while (p > buf && *p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
		if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0)
			snprintf(buf, len, "%.3g", d);
	}
}

void
out_cell(struct esctl_ctx *ctx, const cJSON *v, int flags, char *buf,
    size_t len)
{
	const cJSON *e;
	char *s, tmp[64];
	size_t n;
	time_t t;
	struct es_err err = ES_ERR_INIT;

	buf[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		snprintf(buf, len, "<none>");
	} else if (cJSON_IsString(v)) {
		if ((flags & OUT_COL_AGE) && *v->valuestring != '\0' &&
		    util_time_parse(v->valuestring, "time", ctx->now, &t,
		    &err) == 0)
			util_format_age((long long)(ctx->now - t), buf, len);
		else
			snprintf(buf, len, "%s", *v->valuestring ?
			    v->valuestring : "<none>");
	} else if (cJSON_IsNumber(v)) {
		out_number(buf, len, v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsArray(v)) {
		n = 0;
		cJSON_ArrayForEach(e, v) {
			if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
				s = cJSON_PrintUnformatted(e);
				snprintf(tmp, sizeof tmp, "%s", s);
				free(s);
			} else
				out_cell(ctx, e, 0, tmp, sizeof tmp);
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "%s%s", n ? "," : "", tmp);
			if (n >= len)
				break;
		}
		if (n == 0)
			snprintf(buf, len, "<none>");
	} else {
		s = cJSON_PrintUnformatted(v);
		snprintf(buf, len, "%s", s);
		free(s);
	}
	/* a cell is one line */
	for (s = buf; *s != '\0'; s++)
		if (*s == '\n' || *s == '\t' || *s == '\r')
			*s = ' ';
}

/* Display width of UTF-8 text: wcwidth of each character, so CJK counts 2. */
static size_t
out_width(const char *s)
{
	static locale_t utf8;
	static int tried;
	locale_t old = (locale_t)0;
	mbstate_t st;
	wchar_t wc;
	const unsigned char *u = (const unsigned char *)s;
	size_t w = 0, n, len;
	int cw;

	/*
	 * ASCII, nearly every cell: a printable byte is one column, a
	 * control character none (wcwidth -1), without mbrtowc per byte
	 * (a 200,000-row table spent half its time there).
	 */
	for (; *u != '\0' && *u < 0x80; u++)
		w += *u >= 0x20 && *u != 0x7f;
	if (*u == '\0')
		return w;
	s = (const char *)u;
	len = strlen(s);
	if (!tried) {
		tried = 1;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	if (utf8 != (locale_t)0)
		old = uselocale(utf8);
	memset(&st, 0, sizeof st);
	while (len > 0) {
		n = utf8 != (locale_t)0 ? mbrtowc(&wc, s, len, &st) :
		    (size_t)-1;
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* invalid UTF-8 or no UTF-8 locale: count lead bytes */
			memset(&st, 0, sizeof st);
			if (((unsigned char)*s & 0xc0) != 0x80)
				w++;
			s++;
			len--;
			continue;
		}
		if (n == 0)
			break;
		cw = wcwidth(wc);
		w += cw > 0 ? (size_t)cw : 0;
		s += n;
		len -= n;
	}
	if (utf8 != (locale_t)0)
		uselocale(old);
	return w;
}

/* n spaces, without a format string (out_json runs once per value). */
static void
out_json_indent(struct es_buf *b, int n)
{
	static const char sp[] = "                                ";

	for (; n > (int)sizeof sp - 1; n -= (int)sizeof sp - 1)
		es_buf_add(b, sp, sizeof sp - 1);
	es_buf_add(b, sp, (size_t)n);
}

void
out_json(struct es_buf *b, const cJSON *j, int indent)
{
	const cJSON *e;
	char num[64];
	int first = 1;

	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		int obj = cJSON_IsObject(j);

		if (j->child == NULL) {
			es_buf_adds(b, obj ? "{}" : "[]");
			return;
		}
		es_buf_addch(b, obj ? '{' : '[');
		cJSON_ArrayForEach(e, j) {
			es_buf_adds(b, first ? "\n" : ",\n");
			first = 0;
			out_json_indent(b, indent + 2);
			if (obj) {
				es_buf_add_json_str(b, e->string);
				es_buf_adds(b, ": ");
			}
			out_json(b, e, indent + 2);
		}
		es_buf_addch(b, '\n');
		out_json_indent(b, indent);
		es_buf_addch(b, obj ? '}' : ']');
	} else if (cJSON_IsString(j))
		es_buf_add_json_str(b, j->valuestring);
	else if (cJSON_IsNumber(j)) {
		/* the range first: the cast of 1e20 is undefined */
		if (isfinite(j->valuedouble) && fabs(j->valuedouble) < 9e15 &&
		    j->valuedouble == (double)(long long)j->valuedouble)
			es_buf_add(b, num, out_lld(num, (long long)
			    j->valuedouble));
		else {
			jsonpath_number(j->valuedouble, num, sizeof num);
			es_buf_adds(b, num);
		}
	} else
		jsonpath_json(b, j);
}

void
out_print_json(struct esctl_ctx *ctx, const cJSON *j)
{
	struct es_buf b = ES_BUF_INIT;

	out_json(&b, j, 0);
	es_buf_addch(&b, '\n');
	fwrite(b.data, 1, b.len, ctx->out);
	es_buf_release(&b);
}

/* A List object whose items borrow items[0..n). Free with cJSON_Delete. */
static cJSON *
out_list_object(const cJSON **items, size_t n)
{
	cJSON *list, *arr;
	size_t i;

	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "kind", "List");
	arr = cJSON_AddArrayToObject(list, "items");
	for (i = 0; i < n; i++)
		cJSON_AddItemReferenceToArray(arr, (cJSON *)(uintptr_t)
		    items[i]);
	return list;
}

/* Rounds every number to the declared precision (see jsonpath_number). */
static void
out_round(cJSON *j)
{
	cJSON *e;
	char num[64];

	if (cJSON_IsNumber(j) && isfinite(j->valuedouble)) {
		jsonpath_number(j->valuedouble, num, sizeof num);
		cJSON_SetNumberValue(j, strtod(num, NULL));
	}
	cJSON_ArrayForEach(e, j)
		out_round(e);
}

/*
 * JSON, YAML or JSONPath of one value; a bare array is shown as the List it
 * stands for, so every list has one shape whichever command printed it.
 */
static int
out_structured(struct esctl_ctx *ctx, const cJSON *j, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	const cJSON **items;
	cJSON *list = NULL, *yaml;
	size_t n;
	int rc = 0;

	if (cJSON_IsArray(j)) {
		items = out_sorted(ctx, j, &n);
		list = out_list_object(items, n);
		free(items);
		j = list;
	}
	if (ctx->output == OUT_YAML) {
		/* YAML at the same declared precision as JSON */
		yaml = cJSON_Duplicate(j, 1);
		out_round(yaml);
		rc = doc_emit_yaml(yaml, &b, err);
		cJSON_Delete(yaml);
	}
	else if (ctx->output == OUT_JSONPATH)
		jsonpath_exec(ctx->out_spec->tmpl, j, &b);
	else {
		out_json(&b, j, 0);
		es_buf_addch(&b, '\n');
	}
	if (rc == 0)
		fwrite(b.data, 1, b.len, ctx->out);
	es_buf_release(&b);
	cJSON_Delete(list);
	return rc;
}

/* Writes n spaces. */
static void
out_pad(FILE *f, size_t n)
{
	static const char sp[] = "                                ";

	for (; n > sizeof sp - 1; n -= sizeof sp - 1)
		fwrite(sp, 1, sizeof sp - 1, f);
	fwrite(sp, 1, n, f);
}

int
out_format_parse(struct esctl_ctx *ctx, const char *v, struct es_err *err)
{
	static const char *names[] = { "table", "wide", "json", "yaml",
	    "name" };
	struct out_spec *sp;
	const char *p, *comma, *colon;
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(v, names[i]) == 0) {
			ctx->output = (enum out_format)i;
			return 0;
		}
	if (ctx->out_spec == NULL)
		ctx->out_spec = xcalloc(1, sizeof *ctx->out_spec);
	sp = ctx->out_spec;
	if (strncmp(v, "jsonpath=", 9) == 0) {
		jsonpath_free(sp->tmpl);
		if ((sp->tmpl = jsonpath_compile(v + 9, err)) == NULL)
			return -1;
		ctx->output = OUT_JSONPATH;
		return 0;
	}
	if (strncmp(v, "custom-columns=", 15) != 0)
		return es_err_set(err, ES_EUSAGE, "BadOutput", "invalid output "
		    "format '%s': use table, wide, json, yaml, name, "
		    "jsonpath=TEMPLATE or custom-columns=SPEC", v);
	for (p = v + 15; *p != '\0'; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(comma - p));
		if (colon == NULL || colon == p || colon + 1 == comma)
			return es_err_set(err, ES_EUSAGE, "BadOutput",
			    "custom-columns: '%.*s' is not HEADER:.field",
			    (int)(comma - p), p);
		sp->headers = xreallocarray(sp->headers, sp->ncols + 1,
		    sizeof *sp->headers);
		sp->paths = xreallocarray(sp->paths, sp->ncols + 1,
		    sizeof *sp->paths);
		sp->headers[sp->ncols] = xstrndup(p, (size_t)(colon - p));
		{
			char *expr = xstrndup(colon + 1, (size_t)(comma -
			    colon - 1));

			sp->paths[sp->ncols] = jsonpath_compile_expr(expr,
			    err);
			free(expr);
		}
		sp->ncols++;
		if (sp->paths[sp->ncols - 1] == NULL)
			return es_err_prefix(err, "custom-columns");
	}
	if (sp->ncols == 0)
		return es_err_set(err, ES_EUSAGE, "BadOutput",
		    "custom-columns: no columns (use "
		    "custom-columns=NAME:.name,...)");
	sp->cols = xcalloc(sp->ncols + 1, sizeof *sp->cols);
	for (i = 0; i < sp->ncols; i++)
		sp->cols[i].header = sp->headers[i];
	ctx->output = OUT_CUSTOM;
	return 0;
}

int
out_sort_parse(struct esctl_ctx *ctx, const char *v, struct es_err *err)
{
	struct out_spec *sp;
	const char *k;
	size_t len;

	if (v == NULL)
		return 0;
	if (ctx->out_spec == NULL)
		ctx->out_spec = xcalloc(1, sizeof *ctx->out_spec);
	sp = ctx->out_spec;
	if ((sp->sort = jsonpath_compile_expr(v, err)) == NULL)
		return es_err_prefix(err, "--sort-by");
	/* ".a.b" or "{.a.b}" as a column key "a.b" for out_table */
	k = v + (*v == '{');
	len = strlen(k) - (*v == '{' && k[strlen(k) - 1] == '}');
	if (*k == '.') {
		k++;
		len--;
	}
	sp->sort_key = xstrndup(k, len);
	return 0;
}

void
out_release(struct esctl_ctx *ctx)
{
	struct out_spec *sp = ctx->out_spec;
	size_t i;

	out_watch_release(ctx);
	if (sp == NULL)
		return;
	for (i = 0; i < sp->ncols; i++) {
		free(sp->headers[i]);
		jsonpath_free(sp->paths[i]);
	}
	free(sp->headers);
	free(sp->paths);
	free(sp->cols);
	jsonpath_free(sp->tmpl);
	jsonpath_free(sp->sort);
	free(sp->sort_key);
	free(sp);
	ctx->out_spec = NULL;
}

static void
out_watch_release(struct esctl_ctx *ctx)
{
	if (ctx->watch == NULL)
		return;
	cJSON_Delete(ctx->watch->seen);
	free(ctx->watch->widths);
	free(ctx->watch);
	ctx->watch = NULL;
}

void
out_kind(struct esctl_ctx *ctx, const char *kind)
{
	ctx->kind = kind;
}

int
out_wants_json(const struct esctl_ctx *ctx)
{
	return ctx->output == OUT_JSON || ctx->output == OUT_YAML ||
	    ctx->output == OUT_JSONPATH || ctx->output == OUT_CUSTOM;
}

/*
 * -q on a command that changes something silences its human output too
 * (a cron job's strategy check); data asked for with -o still prints, and
 * so do the results of reading commands.
 */
static int
out_silenced(const struct esctl_ctx *ctx)
{
	return ctx->quiet && ctx->verb != NULL &&
	    (ctx->verb->flags & CMD_MUTATES) && (ctx->output == OUT_TABLE ||
	    ctx->output == OUT_WIDE);
}

/* "kind/name" as -o name prints it. */
static void
out_name_line(struct esctl_ctx *ctx, const char *name)
{
	const char *kind = ctx->kind;

	if (kind == NULL)
		kind = ctx->group != NULL ? ctx->group->name : "object";
	fprintf(ctx->out, "%s/%s\n", kind, name);
}

/* Sort order of two values: numbers, then strings, then the rest. */
static int
out_value_cmp(const cJSON *a, const cJSON *b)
{
	int ra, rb;

	ra = a == NULL || cJSON_IsNull(a) ? 9 : cJSON_IsNumber(a) ? 0 :
	    cJSON_IsString(a) ? 1 : cJSON_IsBool(a) ? 2 : 3;
	rb = b == NULL || cJSON_IsNull(b) ? 9 : cJSON_IsNumber(b) ? 0 :
	    cJSON_IsString(b) ? 1 : cJSON_IsBool(b) ? 2 : 3;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 0)
		return a->valuedouble < b->valuedouble ? -1 :
		    a->valuedouble > b->valuedouble;
	if (ra == 1)
		return strcmp(a->valuestring, b->valuestring);
	if (ra == 2)
		return cJSON_IsTrue(a) - cJSON_IsTrue(b);
	return 0;
}

struct out_sortkey {
	const cJSON	*item;
	const cJSON	*key;
	size_t		 pos;
};

static int
out_sortkey_cmp(const void *a, const void *b)
{
	const struct out_sortkey *x = a, *y = b;
	int c = out_value_cmp(x->key, y->key);

	/* stable: equal keys keep the command's default order */
	if (c == 0)
		c = x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

/*
 * The items of list in output order: the command's default order, or
 * --sort-by's (stable, missing values last).  New array; caller frees.
 */
static const cJSON **
out_sorted(struct esctl_ctx *ctx, const cJSON *list, size_t *np)
{
	struct out_sortkey *keys;
	const cJSON **items, *e, **vals;
	size_t n = 0, i, nv;

	*np = (size_t)cJSON_GetArraySize(list);
	items = xcalloc(*np + 1, sizeof *items);
	cJSON_ArrayForEach(e, list)
		items[n++] = e;
	if (ctx->out_spec == NULL || ctx->out_spec->sort == NULL || n < 2)
		return items;
	keys = xcalloc(n, sizeof *keys);
	for (i = 0; i < n; i++) {
		vals = jsonpath_values(ctx->out_spec->sort, items[i], &nv);
		keys[i].item = items[i];
		keys[i].key = nv > 0 ? vals[0] : NULL;
		keys[i].pos = i;
		free(vals);
	}
	qsort(keys, n, sizeof *keys, out_sortkey_cmp);
	for (i = 0; i < n; i++)
		items[i] = keys[i].item;
	free(keys);
	return items;
}

/* Adds one cell's text to the grid. */
static void
out_grid_add(struct out_grid *g, size_t r, size_t k, const char *text)
{
	g->off[r * g->ncols + k] = g->text.len;
	es_buf_add(&g->text, text, strlen(text) + 1);
}

static const char *
out_grid_cell(const struct out_grid *g, size_t r, size_t k)
{
	return g->text.data + g->off[r * g->ncols + k];
}

static void
out_grid_init(struct out_grid *g, const struct out_col *cols, size_t nrows)
{
	size_t k;

	memset(g, 0, sizeof *g);
	while (cols[g->ncols].header != NULL)
		g->ncols++;
	g->nrows = nrows;
	g->off = xcalloc((nrows + 1) * (g->ncols ? g->ncols : 1),
	    sizeof *g->off);
	for (k = 0; k < g->ncols; k++)
		out_grid_add(g, 0, k, cols[k].header);
}

static void
out_grid_release(struct out_grid *g)
{
	es_buf_release(&g->text);
	free(g->off);
}

/* Is this cell text a number (for sorting table columns)? */
static int
out_text_number(const char *s, double *d)
{
	char *end;

	*d = strtod(s, &end);
	return end != s && *end == '\0';
}

static const struct out_grid *out_sort_grid;
static size_t out_sort_col;

static int
out_row_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const char *s = out_grid_cell(out_sort_grid, x, out_sort_col);
	const char *t = out_grid_cell(out_sort_grid, y, out_sort_col);
	double ds, dt;
	int c, ns = strcmp(s, "<none>") == 0, nt = strcmp(t, "<none>") == 0;

	if (ns != nt)
		c = ns - nt;
	else if (out_text_number(s, &ds) && out_text_number(t, &dt))
		c = ds < dt ? -1 : ds > dt;
	else
		c = strcmp(s, t);
	return c != 0 ? c : x < y ? -1 : x > y;
}

/*
 * Prints the grid: -o name lines, or the aligned table (header unless
 * --no-headers), rows in the order given (1-based grid rows).
 */
static void
out_print_grid(struct esctl_ctx *ctx, const struct out_col *cols,
    struct out_grid *g, const size_t *order)
{
	size_t r, k, j, *w, cw, pad, name_col = 0, row;
	int wide = ctx->output == OUT_WIDE, first, last;
	const char *col;

	if (out_silenced(ctx))
		return;
	if (ctx->output == OUT_NAME) {
		for (k = 0; k < g->ncols; k++)
			if (cols[k].flags & OUT_COL_NAME) {
				name_col = k;
				break;
			}
		for (r = 0; r < g->nrows; r++)
			out_name_line(ctx, out_grid_cell(g, order[r],
			    name_col));
		return;
	}
	if (g->nrows == 0) {
		if (!ctx->quiet)
			fprintf(ctx->err, "No resources found.\n");
		return;
	}
	w = xcalloc(g->ncols + 1, sizeof *w);
	for (r = ctx->no_headers ? 1 : 0; r <= g->nrows; r++)
		for (k = 0; k < g->ncols; k++)
			if ((cw = out_width(out_grid_cell(g, r, k))) > w[k])
				w[k] = cw;
	if (ctx->watch != NULL) {
		/* -w: rows of later rounds line up with the first table */
		if (ctx->watch->nwidths != g->ncols) {
			free(ctx->watch->widths);
			ctx->watch->widths = xcalloc(g->ncols,
			    sizeof *ctx->watch->widths);
			ctx->watch->nwidths = g->ncols;
		}
		for (k = 0; k < g->ncols; k++) {
			if (ctx->watch->widths[k] > w[k])
				w[k] = ctx->watch->widths[k];
			ctx->watch->widths[k] = w[k];
		}
		ctx->watch->header_done = 1;
	}
	for (r = ctx->no_headers ? 1 : 0; r <= g->nrows; r++) {
		row = r == 0 ? 0 : order[r - 1];
		first = 1;
		for (k = 0; k < g->ncols; k++) {
			if ((cols[k].flags & OUT_COL_WIDE) && !wide)
				continue;
			last = 1;
			for (j = k + 1; j < g->ncols; j++)
				if (!(cols[j].flags & OUT_COL_WIDE) || wide)
					last = 0;
			col = out_grid_cell(g, row, k);
			pad = w[k] - out_width(col);
			if (!first)
				fputs("   ", ctx->out);
			first = 0;
			if (r == 0)
				fputs(out_bold(ctx), ctx->out);
			else if (cols[k].flags & OUT_COL_STATUS)
				fputs(out_color(ctx, col), ctx->out);
			if (cols[k].flags & OUT_COL_RIGHT) {
				out_pad(ctx->out, pad);
				fputs(col, ctx->out);
			} else {
				fputs(col, ctx->out);
				if (!last)
					out_pad(ctx->out, pad);
			}
			if ((r == 0 || (cols[k].flags & OUT_COL_STATUS)) &&
			    ctx->color && (r == 0 || *out_color(ctx, col)))
				fputs(out_reset(ctx), ctx->out);
		}
		fputc('\n', ctx->out);
	}
	free(w);
}

/* The text of a custom column: every value the path selects, joined. */
static void
out_custom_cell(struct esctl_ctx *ctx, const struct jsonpath *jp,
    const cJSON *item, char *buf, size_t len)
{
	const cJSON **vals;
	size_t n, i, used = 0;
	char one[512];

	vals = jsonpath_values(jp, item, &n);
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		out_cell(ctx, vals[i], 0, one, sizeof one);
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i ? "," : "", one);
	}
	if (n == 0)
		snprintf(buf, len, "<none>");
	free(vals);
}

/* Table, wide, name or custom-columns of items already in order. */
static int
out_items_table(struct esctl_ctx *ctx, const cJSON **items, size_t n,
    const struct out_col *cols)
{
	struct out_grid g;
	size_t *order, r, k;
	char buf[1024];
	int custom = ctx->output == OUT_CUSTOM;

	if (custom)
		cols = ctx->out_spec->cols;
	out_grid_init(&g, cols, n);
	order = xcalloc(n + 1, sizeof *order);
	for (r = 0; r < n; r++) {
		order[r] = r + 1;
		for (k = 0; k < g.ncols; k++) {
			if (custom)
				out_custom_cell(ctx, ctx->out_spec->paths[k],
				    items[r], buf, sizeof buf);
			else
				out_cell(ctx, doc_json_at(items[r],
				    cols[k].key), cols[k].flags, buf,
				    sizeof buf);
			out_grid_add(&g, r + 1, k, buf);
		}
	}
	out_print_grid(ctx, cols, &g, order);
	free(order);
	out_grid_release(&g);
	return 0;
}

void
out_watch_start(struct esctl_ctx *ctx)
{
	if (ctx->watch == NULL) {
		ctx->watch = xcalloc(1, sizeof *ctx->watch);
		ctx->watch->seen = cJSON_CreateObject();
	}
}

/* What decides that an object changed (see out_watch_start). */
static char *
out_watch_sig(const cJSON *item)
{
	static const char *keys[] = { "updated_at", "resource_version",
	    "status", "ready", NULL };
	struct es_buf b = ES_BUF_INIT;
	const cJSON *v;
	int i, any = 0;

	for (i = 0; keys[i] != NULL; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(item, keys[i])) !=
		    NULL) {
			jsonpath_json(&b, v);
			es_buf_addch(&b, '|');
			any = 1;
		}
	if (!any)
		jsonpath_json(&b, item);
	return es_buf_detach(&b, NULL);
}

/*
 * -w: keeps the items that are new or changed since the last round (in
 * place, count returned) and remembers them.
 */
static size_t
out_watch_filter(struct esctl_ctx *ctx, const cJSON **items, size_t n,
    const char *name_key)
{
	struct out_watch *w = ctx->watch;
	const cJSON *prev;
	char name[512], *sig;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		out_cell(ctx, doc_json_at(items[i], name_key), 0, name,
		    sizeof name);
		sig = out_watch_sig(items[i]);
		prev = cJSON_GetObjectItemCaseSensitive(w->seen, name);
		if (prev == NULL || strcmp(prev->valuestring, sig) != 0) {
			items[k++] = items[i];
			cJSON_DeleteItemFromObjectCaseSensitive(w->seen, name);
			cJSON_AddStringToObject(w->seen, name, sig);
		}
		free(sig);
	}
	return k;
}

/* -w: prints a round's changed items in the chosen format. */
static int
out_watch_print(struct esctl_ctx *ctx, const cJSON **items, size_t n,
    const struct out_col *cols, struct es_err *err)
{
	int rc = 0, hdr = ctx->no_headers;
	size_t i;

	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML ||
	    ctx->output == OUT_JSONPATH) {
		for (i = 0; i < n && rc == 0; i++) {
			if (ctx->output == OUT_YAML)
				fputs("---\n", ctx->out);
			rc = out_structured(ctx, items[i], err);
		}
	} else if (n > 0 || ctx->watch->rounds == 0) {
		/* the header once: above the first rows printed */
		if (ctx->watch->header_done)
			ctx->no_headers = 1;
		rc = out_items_table(ctx, items, n, cols);
		ctx->no_headers = hdr;
	}
	ctx->watch->rounds++;
	return rc;
}

/* The key of the column -o name prints. */
static const char *
out_name_key(const struct out_col *cols)
{
	const struct out_col *c;

	for (c = cols; c != NULL && c->header != NULL; c++)
		if (c->flags & OUT_COL_NAME)
			return c->key;
	return cols != NULL ? cols[0].key : NULL;
}

int
out_list(struct esctl_ctx *ctx, const cJSON *list,
    const struct out_col *cols, struct es_err *err)
{
	const cJSON **items;
	cJSON *obj;
	size_t n;
	int rc;

	items = out_sorted(ctx, list, &n);
	if (ctx->watch != NULL) {
		n = out_watch_filter(ctx, items, n, out_name_key(cols));
		rc = out_watch_print(ctx, items, n, cols, err);
		free(items);
		return rc;
	}
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML ||
	    ctx->output == OUT_JSONPATH) {
		obj = out_list_object(items, n);
		rc = out_structured(ctx, obj, err);
		cJSON_Delete(obj);
	} else
		rc = out_items_table(ctx, items, n, cols);
	free(items);
	return rc;
}

void
out_cell_text(const char *s, char *buf, size_t len)
{
	char *p;
	size_t n;

	if (len == 0)
		return;
	if (s == NULL || *s == '\0')
		s = "<none>";
	if ((n = strlen(s)) >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
}

/*
 * The cells go into one buffer (NUL-terminated, found by offset) in a
 * single pass, then the widths are known and the rows are printed: no
 * allocation per cell, whatever the number of rows.  --sort-by sorts by
 * the column whose key it names.
 */
int
out_table(struct esctl_ctx *ctx, const struct out_col *cols, size_t nrows,
    void (*cell)(void *, size_t, size_t, int, char *, size_t), void *arg)
{
	struct out_grid g;
	size_t *order, r, k;
	const char *key;
	char buf[1024];

	if (ctx->output == OUT_CUSTOM)
		fatal("BUG: out_table cannot print custom columns; the "
		    "command must use out_list when out_wants_json()");
	/* -q on a mutating command prints nothing: no cells to build */
	if (out_silenced(ctx))
		return 0;
	out_grid_init(&g, cols, nrows);
	order = xcalloc(nrows + 1, sizeof *order);
	for (r = 0; r < nrows; r++) {
		order[r] = r + 1;
		for (k = 0; k < g.ncols; k++) {
			cell(arg, r, k, cols[k].flags, buf, sizeof buf);
			out_grid_add(&g, r + 1, k, buf);
		}
	}
	if (ctx->out_spec != NULL && (key = ctx->out_spec->sort_key) !=
	    NULL) {
		for (k = 0; k < g.ncols; k++)
			if (cols[k].key != NULL && strcmp(cols[k].key, key) ==
			    0)
				break;
		if (k < g.ncols) {
			out_sort_grid = &g;
			out_sort_col = k;
			qsort(order, nrows, sizeof *order, out_row_cmp);
			out_sort_grid = NULL;
		}
	}
	out_print_grid(ctx, cols, &g, order);
	free(order);
	out_grid_release(&g);
	return 0;
}

/* Human "key: value" rendering of an object, nested blocks indented. */
static void
out_describe(struct esctl_ctx *ctx, const cJSON *obj, int indent)
{
	const cJSON *e, *x;
	size_t kw = 0;
	char cell[2048];
	int scalar_array;

	cJSON_ArrayForEach(e, obj)
		if (!cJSON_IsObject(e) && strlen(e->string) > kw)
			kw = strlen(e->string);
	cJSON_ArrayForEach(e, obj) {
		scalar_array = cJSON_IsArray(e);
		if (scalar_array)
			cJSON_ArrayForEach(x, e)
				if (cJSON_IsObject(x) || cJSON_IsArray(x))
					scalar_array = 0;
		if (cJSON_IsObject(e)) {
			fprintf(ctx->out, "%*s%s:%s\n", indent, "", e->string,
			    e->child ? "" : " <none>");
			out_describe(ctx, e, indent + 2);
		} else if (cJSON_IsArray(e) && !scalar_array) {
			fprintf(ctx->out, "%*s%s:\n", indent, "", e->string);
			cJSON_ArrayForEach(x, e) {
				if (cJSON_IsObject(x)) {
					fprintf(ctx->out, "%*s-\n", indent + 2,
					    "");
					out_describe(ctx, x, indent + 4);
				} else {
					out_cell(ctx, x, 0, cell, sizeof cell);
					fprintf(ctx->out, "%*s- %s\n",
					    indent + 2, "", cell);
				}
			}
		} else {
			out_cell(ctx, e, 0, cell, sizeof cell);
			fprintf(ctx->out, "%*s%s:%*s %s%s%s\n", indent, "",
			    e->string, (int)(kw - strlen(e->string)), "",
			    strstr(e->string, "status") ? out_color(ctx,
			    cell) : "", cell, strstr(e->string, "status") &&
			    *out_color(ctx, cell) ? out_reset(ctx) : "");
		}
	}
}

int
out_get(struct esctl_ctx *ctx, const cJSON *item,
    const struct out_col *cols, struct es_err *err)
{
	const cJSON *one[1];
	size_t n = 1;

	one[0] = item;
	if (ctx->watch != NULL) {
		n = out_watch_filter(ctx, one, n, out_name_key(cols));
		return out_watch_print(ctx, one, n, cols, err);
	}
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML ||
	    ctx->output == OUT_JSONPATH)
		return out_structured(ctx, item, err);
	return out_items_table(ctx, one, 1, cols);
}

int
out_item(struct esctl_ctx *ctx, const cJSON *item, const char *name_key,
    struct es_err *err)
{
	char cell[1024];
	const cJSON *one[1];
	size_t n = 1;

	one[0] = item;
	if (ctx->watch != NULL && (n = out_watch_filter(ctx, one, n,
	    name_key)) == 0)
		return 0;

	switch (ctx->output) {
	case OUT_JSON:
	case OUT_YAML:
	case OUT_JSONPATH:
		return out_structured(ctx, item, err);
	case OUT_CUSTOM:
		return out_items_table(ctx, &item, 1, NULL);
	case OUT_NAME:
		out_cell(ctx, name_key ? doc_json_at(item, name_key) : NULL, 0,
		    cell, sizeof cell);
		out_name_line(ctx, cell);
		return 0;
	default:
		if (!out_silenced(ctx))
			out_describe(ctx, item, 0);
		return 0;
	}
}

void
out_stream_item(struct esctl_ctx *ctx, const cJSON *j)
{
	struct es_buf b = ES_BUF_INIT;
	struct es_err err = ES_ERR_INIT;
	cJSON *yaml;

	if (ctx->output == OUT_JSONPATH)
		jsonpath_exec(ctx->out_spec->tmpl, j, &b);
	else if (ctx->output == OUT_YAML) {
		/* one document of a YAML stream */
		es_buf_adds(&b, "---\n");
		yaml = cJSON_Duplicate(j, 1);
		out_round(yaml);
		if (doc_emit_yaml(yaml, &b, &err) == -1)
			es_buf_reset(&b);
		cJSON_Delete(yaml);
	} else {
		jsonpath_json(&b, j);
		es_buf_addch(&b, '\n');
	}
	fwrite(b.data, 1, b.len, ctx->out);
	es_buf_release(&b);
}

int
out_ok(struct esctl_ctx *ctx, const cJSON *obj, const char *fmt, ...)
{
	va_list ap;
	struct es_err err = ES_ERR_INIT;

	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML ||
	    ctx->output == OUT_JSONPATH) {
		if (obj != NULL)
			return out_structured(ctx, obj, &err);
		return 0;
	}
	if (ctx->output == OUT_CUSTOM && obj != NULL) {
		if (cJSON_IsArray(obj))
			return out_list(ctx, obj, NULL, &err);
		return out_items_table(ctx, &obj, 1, NULL);
	}
	if (ctx->quiet || fmt == NULL)
		return 0;
	va_start(ap, fmt);
	vfprintf(ctx->out, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->out);
	return 0;
}
