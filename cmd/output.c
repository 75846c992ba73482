/*
 * output.c - the output layer every command uses: aligned tables
 * (table, wide), JSON, YAML and names, colour only when wanted.
 *
 * Commands build their results as cJSON values whose keys are the public
 * snake_case field names; this file decides how they look.  So -o json
 * always shows exactly the fields the table was made from.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "doc.h"
#include "util.h"

static size_t	 out_width(const char *);
static void	 out_json_indent(struct es_buf *, int);
static size_t	 out_lld(char *, long long);
static void	 out_describe(struct esctl_ctx *, const cJSON *, int);
static void	 out_pad(FILE *, size_t);
static void	 out_rows_cell(void *, size_t, size_t, int, char *, size_t);
static int	 out_structured(struct esctl_ctx *, const cJSON *,
		    struct es_err *);

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
	else if (d == (double)(long long)d && fabs(d) < 9e15) {
		if ((n = out_lld(tmp, (long long)d)) >= len)
			n = len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	} else {
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

/* Display width: code points, not bytes. */
static size_t
out_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
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
		if (!isfinite(j->valuedouble))
			es_buf_adds(b, "null");
		else if (j->valuedouble == (double)(long long)j->valuedouble &&
		    fabs(j->valuedouble) < 9e15)
			es_buf_add(b, num, out_lld(num, (long long)
			    j->valuedouble));
		else {
			snprintf(num, sizeof num, "%.15g", j->valuedouble);
			if (strtod(num, NULL) != j->valuedouble)
				snprintf(num, sizeof num, "%.17g",
				    j->valuedouble);
			es_buf_adds(b, num);
		}
	} else if (cJSON_IsBool(j))
		es_buf_adds(b, cJSON_IsTrue(j) ? "true" : "false");
	else
		es_buf_adds(b, "null");
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

static int
out_structured(struct esctl_ctx *ctx, const cJSON *j, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;

	if (ctx->output == OUT_YAML) {
		if (doc_emit_yaml(j, &b, err) == -1) {
			es_buf_release(&b);
			return -1;
		}
	} else {
		out_json(&b, j, 0);
		es_buf_addch(&b, '\n');
	}
	fwrite(b.data, 1, b.len, ctx->out);
	es_buf_release(&b);
	return 0;
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

/* The cell source of out_list: rows of a JSON array, visited in order. */
struct out_rows {
	struct esctl_ctx	*ctx;
	const struct out_col	*cols;
	const cJSON		*row;
	size_t			 idx;
};

static void
out_rows_cell(void *arg, size_t row, size_t col, int flags, char *buf,
    size_t len)
{
	struct out_rows *r = arg;

	while (r->idx < row && r->row != NULL) {
		r->row = r->row->next;
		r->idx++;
	}
	out_cell(r->ctx, doc_json_at(r->row, r->cols[col].key), flags, buf,
	    len);
}

int
out_list(struct esctl_ctx *ctx, const cJSON *list,
    const struct out_col *cols, struct es_err *err)
{
	struct out_rows r;

	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML)
		return out_structured(ctx, list, err);
	r.ctx = ctx;
	r.cols = cols;
	r.row = list != NULL ? list->child : NULL;
	r.idx = 0;
	return out_table(ctx, cols, (size_t)cJSON_GetArraySize(list),
	    out_rows_cell, &r);
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
 * allocation per cell, whatever the number of rows.
 */
int
out_table(struct esctl_ctx *ctx, const struct out_col *cols, size_t nrows,
    void (*cell)(void *, size_t, size_t, int, char *, size_t), void *arg)
{
	struct es_buf text = ES_BUF_INIT;
	const struct out_col *c;
	size_t ncols = 0, r, k, j, *off, *w, cw, pad;
	int wide = ctx->output == OUT_WIDE, first, last;
	const char *col;
	char buf[1024];

	if (ctx->output == OUT_NAME) {
		for (c = cols; c->header != NULL; c++)
			if (c->flags & OUT_COL_NAME)
				break;
		if (c->header == NULL)
			c = cols;
		for (r = 0; r < nrows; r++) {
			cell(arg, r, (size_t)(c - cols), 0, buf, sizeof buf);
			fputs(buf, ctx->out);
			fputc('\n', ctx->out);
		}
		return 0;
	}
	if (nrows == 0) {
		if (!ctx->quiet)
			fprintf(ctx->err, "No resources found.\n");
		return 0;
	}
	for (c = cols; c->header != NULL; c++)
		ncols++;
	off = xcalloc((nrows + 1) * ncols, sizeof *off);
	w = xcalloc(ncols, sizeof *w);
	for (r = 0; r <= nrows; r++)
		for (k = 0; k < ncols; k++) {
			if (r == 0)
				snprintf(buf, sizeof buf, "%s",
				    cols[k].header);
			else
				cell(arg, r - 1, k, cols[k].flags, buf,
				    sizeof buf);
			off[r * ncols + k] = text.len;
			es_buf_add(&text, buf, strlen(buf) + 1);
			if ((cw = out_width(buf)) > w[k])
				w[k] = cw;
		}
	for (r = 0; r <= nrows; r++) {
		first = 1;
		for (k = 0; k < ncols; k++) {
			if ((cols[k].flags & OUT_COL_WIDE) && !wide)
				continue;
			last = 1;
			for (j = k + 1; j < ncols; j++)
				if (!(cols[j].flags & OUT_COL_WIDE) || wide)
					last = 0;
			col = text.data + off[r * ncols + k];
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
	es_buf_release(&text);
	free(off);
	free(w);
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
out_item(struct esctl_ctx *ctx, const cJSON *item, const char *name_key,
    struct es_err *err)
{
	char cell[1024];

	switch (ctx->output) {
	case OUT_JSON:
	case OUT_YAML:
		return out_structured(ctx, item, err);
	case OUT_NAME:
		out_cell(ctx, name_key ? doc_json_at(item, name_key) : NULL, 0,
		    cell, sizeof cell);
		fprintf(ctx->out, "%s\n", cell);
		return 0;
	default:
		out_describe(ctx, item, 0);
		return 0;
	}
}

int
out_ok(struct esctl_ctx *ctx, const cJSON *obj, const char *fmt, ...)
{
	va_list ap;
	struct es_err err = ES_ERR_INIT;

	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		if (obj != NULL)
			return out_structured(ctx, obj, &err);
		return 0;
	}
	if (ctx->quiet || fmt == NULL)
		return 0;
	va_start(ap, fmt);
	vfprintf(ctx->out, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->out);
	return 0;
}
