/*
 * dashboard.c - esctl dashboard: the operators' work-bench (seed 003 §3)
 * drawn in a terminal from the document lib/dashboard.c gathers.
 *
 * The whole screen is composed into one buffer and written at once.
 * Everything that came from the store (names, warnings) goes through
 * dash_text(), which replaces control characters and cuts by display
 * width (wcwidth), so a hostile or CJK name can neither move the cursor
 * nor break the alignment.
 */
#include <sys/ioctl.h>

#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "cmd.h"
#include "dashboard.h"
#include "dashhtml.h"
#include "pool.h"
#include "util.h"
#include "xmalloc.h"

#define DASH_MIN_WIDTH	60
#define DASH_MAX_WIDTH	240
#define DASH_ROWS	8		/* chart height in text rows */
#define DASH_AXIS	5		/* "100 ┤" */

/* Colours (used only when ctx->color). */
#define C_USAGE		"\033[36m"
#define C_ALLOC		"\033[34m"
#define C_THRESH	"\033[31m"
#define C_DIM		"\033[2m"

struct dash {
	struct esctl_ctx	*ctx;
	struct es_buf		*b;
	int			 width;
	time_t			 now;
};

static int	 cmd_dashboard(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static int	 dash_width(void);
static int	 dash_text(const char *, int, char *, size_t);
static void	 dash_cell(struct dash *, const char *, int, int);
static void	 dash_color(struct dash *, const char *);
static void	 dash_reset(struct dash *);
static void	 dash_eol(struct dash *);
static void	 dash_title(struct dash *, const cJSON *);
static void	 dash_cards(struct dash *, const cJSON *);
static void	 dash_pending(struct dash *, const cJSON *);
static void	 dash_chart(struct dash *, const cJSON *, const char *,
		    const char *, const char *, const char *);
static void	 dash_status(struct dash *, const cJSON *);
static double	 dash_num(const cJSON *, const char *);
static const char *dash_str(const cJSON *, const char *);
static void	 dash_short_time(const char *, char *, size_t);

void
dash_locale(void)
{
	const char *cs;

	if (setlocale(LC_CTYPE, "") != NULL &&
	    (cs = nl_langinfo(CODESET)) != NULL && strcmp(cs, "UTF-8") == 0)
		return;
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "C");
}

/* COLUMNS, else the terminal's width, else 80; clamped. */
static int
dash_width(void)
{
	struct winsize ws;
	const char *v, *errstr;
	long long n = 0;

	if ((v = getenv("COLUMNS")) != NULL && *v != '\0') {
		n = util_strtonum(v, 1, 100000, &errstr);
		if (errstr != NULL)
			n = 0;
	}
	if (n == 0 && isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		n = ws.ws_col;
	if (n == 0)
		n = 80;
	if (n < DASH_MIN_WIDTH)
		n = DASH_MIN_WIDTH;
	if (n > DASH_MAX_WIDTH)
		n = DASH_MAX_WIDTH;
	return (int)n;
}

/*
 * Copies s into out (len bytes) for display in at most maxw columns:
 * control characters and invalid UTF-8 become '?', and a string too
 * wide is cut and ends with "\u2026".  Returns the display width of out.
 */
static int
dash_text(const char *s, int maxw, char *out, size_t len)
{
	struct es_buf b = ES_BUF_INIT;
	mbstate_t ps;
	size_t n, cut = 0;
	int w = 0, cw, cut_w = 0, fits = 1;
	wchar_t wc;

	memset(&ps, 0, sizeof ps);
	for (; s != NULL && *s != '\0'; s += n) {
		n = mbrtowc(&wc, s, strlen(s), &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&ps, 0, sizeof ps);
			wc = L'?';
			n = 1;
		}
		if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0))
			wc = L'?';
		if ((cw = wc == L'?' ? 1 : wcwidth(wc)) < 0) {
			wc = L'?';
			cw = 1;
		}
		if (w + cw > maxw) {
			fits = 0;
			break;
		}
		if (w + cw <= maxw - 1) {
			/* where "\u2026" goes if the rest does not fit */
			cut = b.len + (wc == L'?' ? 1 : n);
			cut_w = w + cw;
		}
		if (wc == L'?')
			es_buf_addch(&b, '?');
		else
			es_buf_add(&b, s, n);
		w += cw;
	}
	if (!fits) {
		es_buf_truncate(&b, cut);
		w = cut_w;
		if (maxw > 0) {
			es_buf_adds(&b, "\xe2\x80\xa6");
			w++;
		}
	}
	if (b.len >= len) {
		/* never happens with the callers' buffers: keep it safe */
		es_buf_truncate(&b, 0);
		w = 0;
	}
	memcpy(out, b.data, b.len + 1);
	es_buf_release(&b);
	return w;
}

/* Appends s in exactly w columns (right-aligned when right). */
static void
dash_cell(struct dash *d, const char *s, int w, int right)
{
	char buf[1024];
	int tw;

	tw = dash_text(s, w, buf, sizeof buf);
	if (right)
		es_buf_addf(d->b, "%*s", w - tw, "");
	es_buf_adds(d->b, buf);
	if (!right)
		es_buf_addf(d->b, "%*s", w - tw, "");
}

static void
dash_color(struct dash *d, const char *c)
{
	if (d->ctx->color && c != NULL && *c != '\0')
		es_buf_adds(d->b, c);
}

static void
dash_reset(struct dash *d)
{
	if (d->ctx->color)
		es_buf_adds(d->b, "\033[0m");
}

static double
dash_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *
dash_str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

/* "2024-01-02T10:00:00Z" -> "01-02 10:00". */
static void
dash_short_time(const char *t, char *buf, size_t len)
{
	if (strlen(t) >= 16)
		snprintf(buf, len, "%.5s %.5s", t + 5, t + 11);
	else
		snprintf(buf, len, "%s", t);
}

static void
dash_title(struct dash *d, const cJSON *doc)
{
	char t[64], name[256], line[512];
	const cJSON *c = cJSON_GetObjectItem(doc, "cluster");

	dash_short_time(dash_str(doc, "generated_at"), t, sizeof t);
	if (cJSON_IsString(c))
		dash_text(c->valuestring, 40, name, sizeof name);
	snprintf(line, sizeof line, "ES work-bench \xc2\xb7 %s%s \xc2\xb7 "
	    "last %s \xc2\xb7 %s UTC", cJSON_IsString(c) ? "cluster " :
	    "all clusters", cJSON_IsString(c) ? name : "", dash_str(doc,
	    "range"), t);
	dash_text(line, d->width, name, sizeof name);
	dash_color(d, out_bold(d->ctx));
	es_buf_adds(d->b, name);
	dash_reset(d);
	dash_eol(d);
}

/* Ends the current line without trailing blanks. */
static void
dash_eol(struct dash *d)
{
	while (d->b->len > 0 && d->b->data[d->b->len - 1] == ' ')
		es_buf_truncate(d->b, d->b->len - 1);
	es_buf_addch(d->b, '\n');
}

/* The four stat cards side by side, then the clusters' warnings. */
static void
dash_cards(struct dash *d, const cJSON *doc)
{
	const cJSON *cards = cJSON_GetObjectItem(doc, "cards");
	const cJSON *s = cJSON_GetObjectItem(cards, "strategies");
	const cJSON *c = cJSON_GetObjectItem(cards, "clusters");
	const cJSON *p = cJSON_GetObjectItem(cards, "pending_orders");
	const cJSON *v = cJSON_GetObjectItem(cards, "devices");
	const cJSON *w;
	char text[4][3][160], bar[256];
	int bw, inner, i, line, k, fill;
	double total, enabled, share;

	bw = (d->width - 3) / 4;
	if (bw > 40)
		bw = 40;
	inner = bw - 3;		/* "│ " ... "│" */

	total = dash_num(s, "total");
	enabled = dash_num(s, "enabled");
	share = total > 0 ? enabled / total : 0;
	snprintf(text[0][0], sizeof text[0][0], "Strategies");
	snprintf(text[0][1], sizeof text[0][1], "%.0f / %.0f today", total,
	    dash_num(s, "triggered_today"));
	/* the enabled share as a bar */
	fill = (int)lround(share * (inner - 6));
	bar[0] = '\0';
	for (k = 0; k < inner - 6; k++)
		strncat(bar, k < fill ? "\xe2\x96\x88" : "\xe2\x96\x91",
		    sizeof bar - strlen(bar) - 1);
	snprintf(text[0][2], sizeof text[0][2], "%s %3.0f%%", bar,
	    share * 100);

	snprintf(text[1][0], sizeof text[1][0], "Clusters");
	snprintf(text[1][1], sizeof text[1][1], "%.0f / %.0f abnormal",
	    dash_num(c, "total"), dash_num(c, "abnormal"));
	w = cJSON_GetObjectItem(c, "warnings");
	k = cJSON_GetArraySize(w);
	snprintf(text[1][2], sizeof text[1][2], k == 0 ? "all healthy" :
	    k == 1 ? "! 1 warning" : "! %d warnings", k);

	snprintf(text[2][0], sizeof text[2][0], "Pending orders");
	snprintf(text[2][1], sizeof text[2][1], "%.0f", dash_num(p, "total"));
	snprintf(text[2][2], sizeof text[2][2], "%.0f entry, %.0f exit",
	    dash_num(p, "pool_entry"), dash_num(p, "pool_exit"));

	snprintf(text[3][0], sizeof text[3][0], "Devices");
	snprintf(text[3][1], sizeof text[3][1], "%.0f / %.0f / %.0f",
	    dash_num(v, "total"), dash_num(v, "available"),
	    dash_num(v, "in_pool"));
	snprintf(text[3][2], sizeof text[3][2], "total/avail/pool");

	for (line = 0; line < 5; line++) {
		for (i = 0; i < 4; i++) {
			if (i > 0)
				es_buf_addch(d->b, ' ');
			if (line == 0 || line == 4) {
				es_buf_adds(d->b, line == 0 ? "\xe2\x94\x8c" :
				    "\xe2\x94\x94");
				for (k = 0; k < bw - 2; k++)
					es_buf_adds(d->b, "\xe2\x94\x80");
				es_buf_adds(d->b, line == 0 ? "\xe2\x94\x90" :
				    "\xe2\x94\x98");
				continue;
			}
			es_buf_adds(d->b, "\xe2\x94\x82 ");
			if (line == 1)
				dash_color(d, C_DIM);
			else if (line == 2)
				dash_color(d, out_bold(d->ctx));
			else if (i == 1 && k > 0)
				dash_color(d, out_color(d->ctx, "failed"));
			dash_cell(d, text[i][line - 1], inner, 0);
			if (line <= 2 || (i == 1 && k > 0))
				dash_reset(d);
			es_buf_adds(d->b, "\xe2\x94\x82");
		}
		dash_eol(d);
	}
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(c, "warnings")) {
		es_buf_adds(d->b, "  ");
		dash_color(d, out_color(d->ctx, "failed"));
		es_buf_adds(d->b, "! ");
		dash_cell(d, cJSON_GetStringValue(w), d->width - 4, 0);
		dash_reset(d);
		dash_eol(d);
	}
}

/* The pending orders table; columns narrow on an 80-column terminal. */
static void
dash_pending(struct dash *d, const cJSON *doc)
{
	const cJSON *list = cJSON_GetObjectItem(doc, "pending_orders");
	const cJSON *o;
	int wide = d->width >= 110, pct = d->width >= 76;
	int w_act = wide ? 10 : 6, w_time = wide ? 11 : 5;
	int fixed, flex, w_str, w_cl;
	char buf[64];
	double x;

	es_buf_addch(d->b, '\n');
	dash_color(d, out_bold(d->ctx));
	snprintf(buf, sizeof buf, "PENDING ORDERS (%d)",
	    cJSON_GetArraySize(list));
	es_buf_adds(d->b, buf);
	dash_reset(d);
	dash_eol(d);
	if (cJSON_GetArraySize(list) == 0) {
		es_buf_adds(d->b, "  no pending orders\n");
		return;
	}
	/* ORDER STRATEGY ACTION CLUSTER CREATED DEV CPU% MEM% */
	fixed = 19 + w_act + w_time + 3 + 5 * 2 + 7 * 2;
	if (!pct)		/* narrow: no room for the usage columns */
		fixed -= 2 * (5 + 2);
	flex = d->width - fixed;
	if (flex < 12)
		flex = 12;
	w_str = flex / 2 + flex % 2;
	w_cl = flex / 2;
	if (w_str > 40)
		w_str = 40;
	if (w_cl > 30)
		w_cl = 30;
	dash_color(d, C_DIM);
	dash_cell(d, "ORDER", 19, 0);
	es_buf_adds(d->b, "  ");
	dash_cell(d, "STRATEGY", w_str, 0);
	es_buf_adds(d->b, "  ");
	dash_cell(d, "ACTION", w_act, 0);
	es_buf_adds(d->b, "  ");
	dash_cell(d, "CLUSTER", w_cl, 0);
	es_buf_adds(d->b, "  ");
	dash_cell(d, wide ? "CREATED" : "AGE", w_time, 0);
	es_buf_adds(d->b, "  ");
	dash_cell(d, "DEV", 3, 1);
	if (pct) {
		es_buf_adds(d->b, "  ");
		dash_cell(d, "CPU%", 5, 1);
		es_buf_adds(d->b, "  ");
		dash_cell(d, "MEM%", 5, 1);
	}
	dash_reset(d);
	dash_eol(d);
	cJSON_ArrayForEach(o, list) {
		const char *act = dash_str(o, "action_type");
		const char *sn = dash_str(o, "strategy_name");

		dash_cell(d, dash_str(o, "order_number"), 19, 0);
		es_buf_adds(d->b, "  ");
		dash_cell(d, *sn ? sn : "(manual)", w_str, 0);
		es_buf_adds(d->b, "  ");
		if (!wide && strncmp(act, "pool_", 5) == 0)
			act += 5;
		dash_cell(d, act, w_act, 0);
		es_buf_adds(d->b, "  ");
		dash_cell(d, dash_str(o, "cluster_name"), w_cl, 0);
		es_buf_adds(d->b, "  ");
		if (wide) {
			dash_short_time(dash_str(o, "created_at"), buf,
			    sizeof buf);
		} else {
			time_t t;
			struct es_err e = ES_ERR_INIT;

			if (util_time_parse(dash_str(o, "created_at"), "",
			    d->now, &t, &e) == 0)
				util_format_age((long long)(d->now - t), buf,
				    sizeof buf);
			else
				snprintf(buf, sizeof buf, "?");
		}
		dash_cell(d, buf, w_time, 0);
		es_buf_adds(d->b, "  ");
		snprintf(buf, sizeof buf, "%.0f", dash_num(o,
		    "device_count"));
		dash_cell(d, buf, 3, 1);
		if (!pct) {
			dash_eol(d);
			continue;
		}
		es_buf_adds(d->b, "  ");
		x = dash_num(o, "cpu_usage");
		snprintf(buf, sizeof buf, isnan(x) ? "-" : "%.1f", x);
		dash_cell(d, buf, 5, 1);
		es_buf_adds(d->b, "  ");
		x = dash_num(o, "mem_usage");
		snprintf(buf, sizeof buf, isnan(x) ? "-" : "%.1f", x);
		dash_cell(d, buf, 5, 1);
		dash_eol(d);
	}
}

/* Sets dot (x, y) of a braille canvas of cw cells across. */
static void
dash_dot(unsigned char *cv, int cw, int rows, int x, int y)
{
	static const unsigned char bit[4][2] = {
		{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 }
	};

	if (x < 0 || y < 0 || x >= cw * 2 || y >= rows * 4)
		return;
	cv[(y / 4) * cw + x / 2] |= bit[y % 4][x % 2];
}

/* A line of dots from (x0, y0) to (x1, y1) (Bresenham). */
static void
dash_line(unsigned char *cv, int cw, int rows, int x0, int y0, int x1,
    int y1)
{
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
	int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
	int e = dx + dy, e2;

	for (;;) {
		dash_dot(cv, cw, rows, x0, y0);
		if (x0 == x1 && y0 == y1)
			break;
		e2 = 2 * e;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

/* Dot row of a percentage (0 at the bottom, 100 at the top). */
static int
dash_ydot(double v, int rows)
{
	int h = rows * 4 - 1, y;

	if (v < 0)
		v = 0;
	if (v > 100)
		v = 100;
	y = h - (int)lround(v / 100.0 * h);
	return y;
}

/*
 * One trend chart: the usage series as a braille line, the allocation
 * series as a shaded area, each threshold as a dashed braille line, then
 * the time axis and the legend.
 */
static void
dash_chart(struct dash *d, const cJSON *doc, const char *title,
    const char *usage_key, const char *alloc_key, const char *th_key)
{
	const cJSON *trends = cJSON_GetObjectItem(doc, "trends");
	const cJSON *pts = cJSON_GetObjectItem(trends, "points");
	const cJSON *ths = cJSON_GetObjectItem(cJSON_GetObjectItem(trends,
	    "thresholds"), th_key);
	const cJSON *p, *t;
	unsigned char *line, *thr, *shade;
	int n, cw, rows = DASH_ROWS, i, x, y, px = -1, py = -1, r, c;
	double v, last_u = NAN, last_a = NAN;
	char buf[512], t0[32], t1[32];

	n = cJSON_GetArraySize(pts);
	cw = d->width - DASH_AXIS - 1;
	line = xcalloc((size_t)(cw * rows), 1);
	thr = xcalloc((size_t)(cw * rows), 1);
	shade = xcalloc((size_t)(cw * rows), 1);

	/* usage: connected dots; a null point breaks the line */
	for (i = 0; i < n; i++) {
		p = cJSON_GetArrayItem(pts, i);
		v = dash_num(p, usage_key);
		if (isnan(v)) {
			px = -1;
			continue;
		}
		last_u = v;
		x = n > 1 ? (int)lround((double)i * (cw * 2 - 1) / (n - 1)) :
		    0;
		y = dash_ydot(v, rows);
		if (px >= 0)
			dash_line(line, cw, rows, px, py, x, y);
		else
			dash_dot(line, cw, rows, x, y);
		px = x;
		py = y;
	}
	/* allocation: each column shaded up to the point nearest to it */
	for (c = 0; c < cw; c++) {
		i = n > 1 ? (int)lround((c * 2.0 + 0.5) * (n - 1) /
		    (cw * 2 - 1)) : 0;
		p = cJSON_GetArrayItem(pts, i);
		v = dash_num(p, alloc_key);
		if (isnan(v))
			continue;
		for (r = 0; r < rows; r++)
			if (v >= 100.0 - (r + 0.5) * 100.0 / rows)
				shade[r * cw + c] = 1;
	}
	for (i = n - 1; i >= 0; i--) {
		v = dash_num(cJSON_GetArrayItem(pts, i), alloc_key);
		if (!isnan(v)) {
			last_a = v;
			break;
		}
	}
	/* thresholds: dashes (two dots on, two off) */
	cJSON_ArrayForEach(t, ths) {
		y = dash_ydot(dash_num(t, "value"), rows);
		for (x = 0; x < cw * 2; x++)
			if (x % 4 < 2)
				dash_dot(thr, cw, rows, x, y);
	}

	es_buf_addch(d->b, '\n');
	dash_color(d, out_bold(d->ctx));
	es_buf_adds(d->b, title);
	dash_reset(d);
	es_buf_adds(d->b, "  usage ");
	snprintf(buf, sizeof buf, isnan(last_u) ? "-" : "%.1f%%", last_u);
	es_buf_adds(d->b, buf);
	es_buf_adds(d->b, ", allocation ");
	snprintf(buf, sizeof buf, isnan(last_a) ? "-" : "%.1f%%", last_a);
	es_buf_adds(d->b, buf);
	dash_eol(d);
	for (r = 0; r < rows; r++) {
		const char *cur = NULL, *want;

		if (r % 2 == 0)
			snprintf(buf, sizeof buf, "%3d \xe2\x94\xa4",
			    (int)lround(100.0 - r * 100.0 / rows));
		else
			snprintf(buf, sizeof buf, "    \xe2\x94\x82");
		dash_color(d, C_DIM);
		es_buf_adds(d->b, buf);
		dash_reset(d);
		for (c = 0; c < cw; c++) {
			unsigned bits = line[r * cw + c] | thr[r * cw + c];

			want = line[r * cw + c] ? C_USAGE : bits ? C_THRESH :
			    shade[r * cw + c] ? C_ALLOC : "";
			if (d->ctx->color && want != cur) {
				es_buf_adds(d->b, "\033[0m");
				es_buf_adds(d->b, want);
				cur = want;
			}
			if (bits != 0) {
				/* U+2800 + bits, as UTF-8 */
				es_buf_addch(d->b, 0xe2);
				es_buf_addch(d->b, 0xa0 | (bits >> 6));
				es_buf_addch(d->b, 0x80 | (bits & 0x3f));
			} else if (shade[r * cw + c])
				es_buf_adds(d->b, "\xe2\x96\x91");
			else
				es_buf_addch(d->b, ' ');
		}
		dash_reset(d);
		dash_eol(d);
	}
	dash_color(d, C_DIM);
	es_buf_adds(d->b, "  0 \xe2\x94\x94");
	for (c = 0; c < cw; c++)
		es_buf_adds(d->b, "\xe2\x94\x80");
	dash_reset(d);
	dash_eol(d);
	t0[0] = t1[0] = '\0';
	if (n > 0) {
		dash_short_time(dash_str(cJSON_GetArrayItem(pts, 0), "time"),
		    t0, sizeof t0);
		snprintf(t1, sizeof t1, "%s", "now");
	}
	es_buf_addf(d->b, "%*s%s%*s%s", DASH_AXIS, "", t0,
	    (int)(cw - strlen(t0) - strlen(t1)), "", t1);
	dash_eol(d);
	/* legend */
	es_buf_addf(d->b, "%*s", DASH_AXIS, "");
	dash_color(d, C_USAGE);
	es_buf_adds(d->b, "\xe2\xa0\x92\xe2\xa0\x92");
	dash_reset(d);
	es_buf_adds(d->b, " usage  ");
	dash_color(d, C_ALLOC);
	es_buf_adds(d->b, "\xe2\x96\x91\xe2\x96\x91");
	dash_reset(d);
	es_buf_adds(d->b, " allocation");
	if (cJSON_GetArraySize(ths) > 0) {
		es_buf_adds(d->b, "  ");
		dash_color(d, C_THRESH);
		es_buf_adds(d->b, "\xe2\xa0\x83\xe2\xa0\x80\xe2\xa0\x83");
		dash_reset(d);
		es_buf_adds(d->b, " threshold");
	}
	dash_eol(d);
	cJSON_ArrayForEach(t, ths) {
		char name[256];

		snprintf(buf, sizeof buf, "%5.1f%% %-9s %-10s ",
		    dash_num(t, "value"), dash_str(t, "type"),
		    dash_str(t, "action"));
		es_buf_addf(d->b, "%*s", DASH_AXIS, "");
		es_buf_adds(d->b, buf);
		dash_text(dash_str(t, "strategy"), d->width - DASH_AXIS -
		    (int)strlen(buf), name, sizeof name);
		es_buf_adds(d->b, name);
		dash_eol(d);
	}
	free(line);
	free(thr);
	free(shade);
}

/* Order counts per status for the range, as bars. */
static void
dash_status(struct dash *d, const cJSON *doc)
{
	const cJSON *st = cJSON_GetObjectItem(doc, "order_status");
	const cJSON *s;
	double max = 0, total = dash_num(doc, "orders_total");
	int bw = d->width - 2 - 24 - 1, k, fill;
	char buf[160];

	cJSON_ArrayForEach(s, st)
		if (s->valuedouble > max)
			max = s->valuedouble;
	es_buf_addch(d->b, '\n');
	dash_color(d, out_bold(d->ctx));
	snprintf(buf, sizeof buf, "ORDERS, LAST %s (%.0f)", dash_str(doc,
	    "range"), total);
	es_buf_adds(d->b, buf);
	dash_reset(d);
	dash_eol(d);
	if (bw > 50)
		bw = 50;
	cJSON_ArrayForEach(s, st) {
		es_buf_adds(d->b, "  ");
		dash_color(d, out_color(d->ctx, s->string));
		dash_cell(d, s->string, 16, 0);
		snprintf(buf, sizeof buf, "%6.0f  ", s->valuedouble);
		es_buf_adds(d->b, buf);
		fill = max > 0 ? (int)lround(s->valuedouble / max * bw) : 0;
		if (fill == 0 && s->valuedouble > 0)
			fill = 1;
		for (k = 0; k < fill; k++)
			es_buf_adds(d->b, "\xe2\x96\x87");
		dash_reset(d);
		dash_eol(d);
	}
}

int
dash_render(struct esctl_ctx *ctx, const cJSON *doc, int width, time_t now,
    struct es_buf *b)
{
	struct dash d;
	size_t i;
	int line = -1;

	dash_locale();
	d.ctx = ctx;
	d.b = b;
	d.width = width > 0 ? width : dash_width();
	d.now = now;
	dash_title(&d, doc);
	dash_cards(&d, doc);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(doc, "pending_orders")) >
	    0) {
		/* blank, title and header lines come first */
		line = 3;
		for (i = 0; i < b->len; i++)
			line += b->data[i] == '\n';
	}
	dash_pending(&d, doc);
	dash_chart(&d, doc, "CPU", "cpu_usage", "cpu_allocation", "cpu");
	dash_chart(&d, doc, "MEMORY", "mem_usage", "mem_allocation",
	    "memory");
	dash_status(&d, doc);
	return line;
}

int
dash_gather(struct esctl_ctx *ctx, struct esctl_args *args, time_t now,
    cJSON **doc, struct es_err *err)
{
	struct dashboard_opts o;
	const char *v;

	memset(&o, 0, sizeof o);
	o.now = now;
	o.range = (v = args_get(args, "range")) != NULL ? v : "24h";
	if (ctx_cluster_opt(ctx, args, &o.cluster_id, err) == -1)
		return -1;
	return dashboard_gather(ctx->store, &o, doc, err);
}

static int
cmd_dashboard(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	const char *v;
	cJSON *doc;
	int rc = 0;

	if (args_has(args, "watch"))
		return dash_watch(ctx, args, err);
	if (args_has(args, "interval"))
		return es_err_set(err, ES_EUSAGE, "Usage", "--interval "
		    "needs --watch");
	if (dash_gather(ctx, args, ctx->now, &doc, err) == -1)
		return -1;
	if ((v = args_get(args, "html")) != NULL) {
		dashhtml_page(&b, doc, NULL);
		cJSON_Delete(doc);
		if (strcmp(v, "-") == 0) {
			fwrite(b.data, 1, b.len, ctx->out);
			es_buf_release(&b);
			return 0;
		}
		rc = util_write_file_atomic(v, b.data, b.len, 0644, err);
		es_buf_release(&b);
		if (rc == 0)
			out_ok(ctx, NULL, "wrote '%s'", v);
		return rc;
	}
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		rc = out_item(ctx, doc, "generated_at", err);
		cJSON_Delete(doc);
		return rc;
	}
	dash_render(ctx, doc, 0, ctx->now, &b);
	fwrite(b.data, 1, b.len, ctx->out);
	es_buf_release(&b);
	cJSON_Delete(doc);
	return rc;
}

static const struct esctl_opt dashboard_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only this cluster (default: all)",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "range", "RANGE", "trend and order range: 24h, 7d or 30d "
	    "(default 24h)", OPT_STRING, 0, "=24h 7d 30d" },
	{ 0, "html", "FILE", "write the work-bench as one self-contained "
	    "HTML page (- for stdout)", OPT_STRING, 0, "file" },
	{ 'w', "watch", NULL, "redraw in place; keys act on pending orders",
	    OPT_BOOL, 0, NULL },
	{ 0, "interval", "DURATION", "redraw period with --watch (default "
	    "5s)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt serve_opts[] = {
	{ 'l', "listen", "ADDR", "address to listen on (default "
	    "127.0.0.1:8089; port 0 picks one)", OPT_STRING, 0, NULL },
	{ 'c', "cluster", "CLUSTER", "only this cluster (default: all)",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "range", "RANGE", "trend and order range: 24h, 7d or 30d "
	    "(default 24h)", OPT_STRING, 0, "=24h 7d 30d" },
	{ 0, "interval", "DURATION", "how often the page refreshes (default "
	    "5s)", OPT_STRING, 0, NULL },
	{ 0, "allow-actions", NULL, "approve/reject buttons (bearer token "
	    "and CSRF token required)", OPT_BOOL, 0, NULL },
	{ 0, "tls-cert", "FILE", "serve HTTPS with this PEM certificate",
	    OPT_STRING, 0, "file" },
	{ 0, "tls-key", "FILE", "the certificate's PEM key", OPT_STRING, 0,
	    "file" },
	OPT_END
};

static int
cmd_dashboard_serve(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	return dash_serve(ctx, args, err);
}

static const struct esctl_verb dashboard_verbs[] = {
	{ "", NULL, "the work-bench: cards, pending orders, trends, orders",
	    "Prints the four stat cards, the pending orders with their "
	    "cluster's latest\nCPU and memory usage, the CPU and memory usage "
	    "and allocation trends with\nthe thresholds of the enabled "
	    "strategies, and the order counts per status.\nFits the terminal "
	    "(COLUMNS, else its width; at least 60 columns).\n\n"
	    "'esctl dashboard serve' serves the same work-bench as a live "
	    "web page.",
	    dashboard_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_dashboard },
	{ "serve", NULL, "serve the work-bench as a live web page",
	    "Serves the page of --html, refreshed in place, until SIGINT or "
	    "SIGTERM.\nRead-only unless --allow-actions; actions need the "
	    "bearer token\n(dashboard.token or dashboard.token_file, else one "
	    "generated and printed)\nand the page's CSRF token.",
	    serve_opts, 0, 0, CMD_NEEDS_DB, NULL, cmd_dashboard_serve },
	VERB_END
};

const struct esctl_group esctl_group_dashboard = {
	"dashboard", "the operators' work-bench in a terminal or a web page",
	NULL, dashboard_verbs
};
