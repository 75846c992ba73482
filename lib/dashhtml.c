/*
 * dashhtml.c - the work-bench as one self-contained HTML page (see
 * dashhtml.h).  The SVG charts are computed here: a 640x250 view box,
 * values 0-100 % on the y axis, the document's buckets on the x axis.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dashhtml.h"

/* Plot area of the line charts (SVG user units). */
#define CH_W	640
#define CH_H	250
#define CH_L	44
#define CH_R	628
#define CH_T	14
#define CH_B	214

static double	 dh_num(const cJSON *, const char *);
static const char *dh_str(const cJSON *, const char *);
static void	 dh_css(struct es_buf *);
static void	 dh_cards(struct es_buf *, const cJSON *);
static void	 dh_pending(struct es_buf *, const cJSON *,
		    const struct dashhtml_opts *);
static void	 dh_chart(struct es_buf *, const cJSON *, const char *,
		    const char *, const char *, const char *, const char *);
static void	 dh_series(struct es_buf *, const cJSON *, const char *,
		    const char *, const char *);
static void	 dh_strategies(struct es_buf *, const cJSON *);
static void	 dh_pie(struct es_buf *, const cJSON *);
static void	 dh_orders(struct es_buf *, const cJSON *);
static const char *dh_status_color(const char *);
static void	 dh_pct(struct es_buf *, double);
static void	 dh_time(struct es_buf *, const char *);
static void	 dh_script(struct es_buf *);

static const struct {
	const char	*status;
	const char	*color;
} dh_colors[] = {
	{ "pending", "#d48806" },
	{ "processing", "#1668dc" },
	{ "completed", "#389e0d" },
	{ "failed", "#cf1322" },
	{ "cancelled", "#8c8c8c" },
};

void
dashhtml_escape(struct es_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			es_buf_adds(b, "&amp;");
			break;
		case '<':
			es_buf_adds(b, "&lt;");
			break;
		case '>':
			es_buf_adds(b, "&gt;");
			break;
		case '"':
			es_buf_adds(b, "&quot;");
			break;
		case '\'':
			es_buf_adds(b, "&#39;");
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				es_buf_addch(b, '?');
			else
				es_buf_addch(b, *s);
		}
	}
}

static double
dh_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *
dh_str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

static const char *
dh_status_color(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof dh_colors / sizeof dh_colors[0]; i++)
		if (strcmp(s, dh_colors[i].status) == 0)
			return dh_colors[i].color;
	return "#722ed1";
}

/* "54.0%" or "–" for unknown. */
static void
dh_pct(struct es_buf *b, double v)
{
	if (isnan(v))
		es_buf_adds(b, "\xe2\x80\x93");
	else
		es_buf_addf(b, "%.1f%%", v);
}

/* "2024-03-02T10:30:00Z" as "2024-03-02 10:30" in a <time>. */
static void
dh_time(struct es_buf *b, const char *t)
{
	es_buf_adds(b, "<time datetime=\"");
	dashhtml_escape(b, t);
	es_buf_adds(b, "\">");
	if (strlen(t) >= 16 && t[10] == 'T') {
		es_buf_add(b, t, 10);
		es_buf_addch(b, ' ');
		es_buf_add(b, t + 11, 5);
	} else
		dashhtml_escape(b, *t ? t : "\xe2\x80\x93");
	es_buf_adds(b, "</time>");
}

static void
dh_css(struct es_buf *b)
{
	es_buf_adds(b, "<style>\n"
	    ":root{--fg:#1f1f1f;--mute:#6b6b6b;--line:#e5e5e5;--bg:#f5f6f8;"
	    "--card:#fff;--usage:#1668dc;--alloc:#13a8a8;--th:#cf1322}\n"
	    "*{box-sizing:border-box}\n"
	    "body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\","
	    "Roboto,\"Noto Sans\",\"Noto Sans CJK SC\",sans-serif;"
	    "color:var(--fg);background:var(--bg)}\n"
	    "header{padding:14px 20px;background:#001529;color:#fff}\n"
	    "header h1{margin:0;font-size:18px;font-weight:600}\n"
	    "header p{margin:2px 0 0;color:#b7c2d0;font-size:13px}\n"
	    "main{padding:16px 20px;max-width:1400px;margin:0 auto}\n"
	    "section{margin:0 0 18px}\n"
	    "h2{font-size:15px;margin:0 0 10px;font-weight:600}\n"
	    ".grid{display:grid;gap:12px;"
	    "grid-template-columns:repeat(auto-fill,minmax(270px,1fr))}\n"
	    "#cards{grid-template-columns:repeat(auto-fit,minmax(200px,1fr))}\n"
	    ".hist{display:grid;gap:12px;grid-template-columns:"
	    "minmax(260px,1fr) minmax(0,2.4fr)}\n"
	    ".two{display:grid;gap:12px;"
	    "grid-template-columns:repeat(auto-fit,minmax(320px,1fr))}\n"
	    ".card{background:var(--card);border:1px solid var(--line);"
	    "border-radius:8px;padding:12px 14px;min-width:0}\n"
	    ".card .t{color:var(--mute);font-size:13px}\n"
	    ".card .v{font-size:26px;font-weight:600;margin:2px 0}\n"
	    ".card .s{color:var(--mute);font-size:12px}\n"
	    ".bar{height:6px;background:var(--line);border-radius:3px;"
	    "overflow:hidden;margin-top:6px}\n"
	    ".bar i{display:block;height:100%;background:var(--usage)}\n"
	    ".warn{color:var(--th);font-size:12px;margin:4px 0 0;padding:0;"
	    "list-style:none}\n"
	    ".order h3{margin:0 0 6px;font-size:14px;overflow-wrap:anywhere}\n"
	    ".order dl{display:grid;grid-template-columns:auto 1fr;"
	    "gap:2px 10px;"
	    "margin:0;font-size:13px}\n"
	    ".order dt{color:var(--mute)}\n"
	    ".order dd{margin:0;overflow-wrap:anywhere}\n"
	    ".tag{display:inline-block;padding:0 6px;border-radius:4px;"
	    "font-size:12px;color:#fff}\n"
	    ".actions{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap}\n"
	    ".actions button{font:inherit;padding:3px 10px;border-radius:4px;"
	    "border:1px solid var(--line);background:#fff;cursor:pointer}\n"
	    ".actions button.ok{background:var(--usage);color:#fff;"
	    "border-color:var(--usage)}\n"
	    ".empty{color:var(--mute)}\n"
	    "svg{width:100%;height:auto;display:block}\n"
	    "svg text{font-size:11px;fill:var(--mute)}\n"
	    "svg .grid line{stroke:var(--line)}\n"
	    "svg .usage{stroke:var(--usage);fill:none;stroke-width:2}\n"
	    "svg .alloc{stroke:var(--alloc);fill:none;stroke-width:2;"
	    "stroke-dasharray:5 3}\n"
	    "svg circle.pt{stroke:#fff;stroke-width:1}\n"
	    "svg circle.pt:hover{r:5}\n"
	    "svg circle.usage{fill:var(--usage)}\n"
	    "svg circle.alloc{fill:var(--alloc)}\n"
	    "svg .th{stroke:var(--th);stroke-width:1.5;stroke-dasharray:6 4}\n"
	    "svg text.th{fill:var(--th);stroke:none}\n"
	    ".legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;"
	    "color:var(--mute);margin-top:4px}\n"
	    ".legend i{display:inline-block;width:14px;height:3px;"
	    "vertical-align:middle;margin-right:4px}\n"
	    ".scroll{overflow-x:auto}\n"
	    "table{border-collapse:collapse;width:100%;background:var(--card);"
	    "font-size:13px}\n"
	    "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid "
	    "var(--line);vertical-align:top}\n"
	    "td{white-space:nowrap}\n"
	    "td.w{white-space:normal;overflow-wrap:anywhere;min-width:8em;"
	    "max-width:28em}\n"
	    "th{color:var(--mute);font-weight:600;white-space:nowrap}\n"
	    "td.n{text-align:right;white-space:nowrap}\n"
	    ".pie{display:flex;gap:16px;align-items:center;flex-wrap:wrap}\n"
	    ".pie svg{width:180px;flex:none}\n"
	    ".pie ul{list-style:none;margin:0;padding:0;font-size:13px}\n"
	    ".pie li i{display:inline-block;width:10px;height:10px;"
	    "border-radius:2px;margin-right:6px}\n"
	    "footer{color:var(--mute);font-size:12px;padding:0 20px 16px;"
	    "max-width:1400px;margin:0 auto}\n"
	    "@media (max-width:800px){.hist{grid-template-columns:1fr}}\n"
	    "@media (max-width:600px){main{padding:10px}"
	    "header{padding:10px}.card .v{font-size:22px}}\n"
	    "@media print{body{background:#fff}header{background:#fff;"
	    "color:#000;border-bottom:2px solid #000}header p{color:#333}"
	    ".actions{display:none}section{break-inside:avoid}"
	    ".card{border-color:#999}.scroll{overflow:visible}}\n"
	    "</style>\n");
}

static void
dh_cards(struct es_buf *b, const cJSON *doc)
{
	const cJSON *cards = cJSON_GetObjectItem(doc, "cards");
	const cJSON *s = cJSON_GetObjectItem(cards, "strategies");
	const cJSON *c = cJSON_GetObjectItem(cards, "clusters");
	const cJSON *p = cJSON_GetObjectItem(cards, "pending_orders");
	const cJSON *d = cJSON_GetObjectItem(cards, "devices");
	const cJSON *w;
	double total = dh_num(s, "total"), en = dh_num(s, "enabled");
	double share = total > 0 ? en / total * 100 : 0;

	es_buf_adds(b, "<section id=\"cards\" class=\"grid\">\n");
	es_buf_addf(b, "<div class=\"card\"><div class=\"t\">Strategies / "
	    "triggered today</div><div class=\"v\">%.0f / %.0f</div>"
	    "<div class=\"s\">%.0f enabled (%.0f%%)</div><div class=\"bar\" "
	    "title=\"enabled share\"><i style=\"width:%.1f%%\"></i></div>"
	    "</div>\n", total, dh_num(s, "triggered_today"), en, share, share);
	es_buf_addf(b, "<div class=\"card\"><div class=\"t\">Clusters / "
	    "abnormal</div><div class=\"v\">%.0f / %.0f</div>",
	    dh_num(c, "total"), dh_num(c, "abnormal"));
	w = cJSON_GetObjectItem(c, "warnings");
	if (cJSON_GetArraySize(w) == 0)
		es_buf_adds(b, "<div class=\"s\">all healthy</div>");
	else {
		es_buf_adds(b, "<ul class=\"warn\">");
		cJSON_ArrayForEach(w, cJSON_GetObjectItem(c, "warnings")) {
			es_buf_adds(b, "<li>\xe2\x9a\xa0 ");
			dashhtml_escape(b, cJSON_GetStringValue(w));
			es_buf_adds(b, "</li>");
		}
		es_buf_adds(b, "</ul>");
	}
	es_buf_adds(b, "</div>\n");
	es_buf_addf(b, "<div class=\"card\"><div class=\"t\">Pending scaling "
	    "orders</div><div class=\"v\">%.0f</div><div class=\"s\">%.0f "
	    "pool entry, %.0f pool exit awaiting approval</div></div>\n",
	    dh_num(p, "total"), dh_num(p, "pool_entry"),
	    dh_num(p, "pool_exit"));
	es_buf_addf(b, "<div class=\"card\"><div class=\"t\">Devices / "
	    "available / in pool</div><div class=\"v\">%.0f / %.0f / %.0f"
	    "</div></div>\n", dh_num(d, "total"), dh_num(d, "available"),
	    dh_num(d, "in_pool"));
	es_buf_adds(b, "</section>\n");
}

static void
dh_pending(struct es_buf *b, const cJSON *doc, const struct dashhtml_opts *o)
{
	const cJSON *list = cJSON_GetObjectItem(doc, "pending_orders");
	const cJSON *r;
	const char *num, *act;

	es_buf_addf(b, "<section id=\"pending\"><h2>Pending scaling orders "
	    "(%d)</h2>\n", cJSON_GetArraySize(list));
	if (cJSON_GetArraySize(list) == 0) {
		es_buf_adds(b, "<p class=\"empty\">No pending orders.</p>"
		    "</section>\n");
		return;
	}
	es_buf_adds(b, "<div class=\"grid\">\n");
	cJSON_ArrayForEach(r, list) {
		num = dh_str(r, "order_number");
		act = dh_str(r, "action_type");
		es_buf_adds(b, "<div class=\"card order\" data-order=\"");
		dashhtml_escape(b, num);
		es_buf_adds(b, "\"><h3>");
		es_buf_adds(b, strcmp(act, "pool_exit") == 0 ?
		    "\xe2\xac\x87 " : "\xe2\xac\x86 ");
		es_buf_adds(b, "Order ");
		dashhtml_escape(b, num);
		es_buf_adds(b, " \xe2\x80\x93 ");
		dashhtml_escape(b, *dh_str(r, "strategy_name") ?
		    dh_str(r, "strategy_name") : "(manual)");
		es_buf_addf(b, " <span class=\"tag\" style=\"background:%s\">",
		    dh_status_color(dh_str(r, "status")));
		dashhtml_escape(b, dh_str(r, "status"));
		es_buf_adds(b, "</span></h3><dl><dt>Type</dt><dd>");
		dashhtml_escape(b, act);
		es_buf_adds(b, "</dd><dt>Cluster</dt><dd>");
		dashhtml_escape(b, dh_str(r, "cluster_name"));
		es_buf_adds(b, "</dd><dt>Created</dt><dd>");
		dh_time(b, dh_str(r, "created_at"));
		es_buf_addf(b, "</dd><dt>Devices</dt><dd>%.0f</dd>"
		    "<dt>CPU</dt><dd>", dh_num(r, "device_count"));
		dh_pct(b, dh_num(r, "cpu_usage"));
		es_buf_adds(b, " used \xc2\xb7 ");
		dh_pct(b, dh_num(r, "cpu_allocation"));
		es_buf_adds(b, " allocated</dd><dt>Memory</dt><dd>");
		dh_pct(b, dh_num(r, "mem_usage"));
		es_buf_adds(b, " used \xc2\xb7 ");
		dh_pct(b, dh_num(r, "mem_allocation"));
		es_buf_adds(b, " allocated</dd></dl>");
		if (o != NULL && o->actions) {
			es_buf_adds(b, "<div class=\"actions\">");
			es_buf_adds(b, "<button class=\"ok\" data-action="
			    "\"approve\">Approve</button>");
			es_buf_adds(b, "<button data-action=\"execute\">"
			    "Execute</button>");
			es_buf_adds(b, "<button data-action=\"reject\">"
			    "Reject</button></div>");
		}
		es_buf_adds(b, "</div>\n");
	}
	es_buf_adds(b, "</div></section>\n");
}

static double
dh_x(int i, int n)
{
	return n > 1 ? CH_L + (double)i * (CH_R - CH_L) / (n - 1) :
	    (CH_L + CH_R) / 2.0;
}

static double
dh_y(double v)
{
	if (v < 0)
		v = 0;
	if (v > 100)
		v = 100;
	return CH_B - v / 100.0 * (CH_B - CH_T);
}

/*
 * One series: a smooth path (Catmull-Rom as cubic Béziers, control points
 * kept inside the plot) broken at unknown points, and a circle with a
 * tooltip per known point.
 */
static void
dh_series(struct es_buf *b, const cJSON *pts, const char *key,
    const char *cls, const char *label)
{
	int n = cJSON_GetArraySize(pts), i, run = 0;
	double x[3], y[3], c1y, c2y, v, pv, nv, ppv;

	es_buf_addf(b, "<path class=\"%s\" d=\"", cls);
	for (i = 0; i < n; i++) {
		v = dh_num(cJSON_GetArrayItem(pts, i), key);
		if (isnan(v)) {
			run = 0;
			continue;
		}
		x[1] = dh_x(i, n);
		y[1] = dh_y(v);
		if (run == 0) {
			es_buf_addf(b, "M%.1f %.1f", x[1], y[1]);
			run = 1;
			continue;
		}
		pv = dh_num(cJSON_GetArrayItem(pts, i - 1), key);
		ppv = i >= 2 ? dh_num(cJSON_GetArrayItem(pts, i - 2), key) :
		    NAN;
		nv = i + 1 < n ? dh_num(cJSON_GetArrayItem(pts, i + 1), key) :
		    NAN;
		x[0] = dh_x(i - 1, n);
		y[0] = dh_y(pv);
		/* tangents from the neighbours, flat at the ends of a run */
		c1y = y[0] + (isnan(ppv) ? 0 : (y[1] - dh_y(ppv)) / 6);
		c2y = y[1] - (isnan(nv) ? 0 : (dh_y(nv) - y[0]) / 6);
		if (c1y < CH_T)
			c1y = CH_T;
		if (c1y > CH_B)
			c1y = CH_B;
		if (c2y < CH_T)
			c2y = CH_T;
		if (c2y > CH_B)
			c2y = CH_B;
		es_buf_addf(b, " C%.1f %.1f %.1f %.1f %.1f %.1f",
		    x[0] + (x[1] - x[0]) / 3, c1y, x[1] - (x[1] - x[0]) / 3,
		    c2y, x[1], y[1]);
	}
	es_buf_adds(b, "\"/>\n");
	for (i = 0; i < n; i++) {
		const cJSON *p = cJSON_GetArrayItem(pts, i);

		v = dh_num(p, key);
		if (isnan(v))
			continue;
		es_buf_addf(b, "<circle class=\"pt %s\" cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"2.5\"><title>", cls, dh_x(i, n),
		    dh_y(v));
		dashhtml_escape(b, dh_str(p, "time"));
		es_buf_addf(b, " \xe2\x80\x94 %s %.1f%%</title></circle>\n",
		    label, v);
	}
}

/* A trend chart: grid, both series and the threshold mark lines. */
static void
dh_chart(struct es_buf *b, const cJSON *doc, const char *id,
    const char *title, const char *ukey, const char *akey, const char *tkey)
{
	const cJSON *tr = cJSON_GetObjectItem(doc, "trends");
	const cJSON *pts = cJSON_GetObjectItem(tr, "points");
	const cJSON *ths = cJSON_GetObjectItem(cJSON_GetObjectItem(tr,
	    "thresholds"), tkey);
	const cJSON *t;
	int n = cJSON_GetArraySize(pts), v, i;
	double y;

	es_buf_addf(b, "<div class=\"card\"><h2>%s</h2>\n<svg id=\"%s\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s usage and "
	    "allocation, percent\">\n<g class=\"grid\">", title, id, CH_W,
	    CH_H, title);
	for (v = 0; v <= 100; v += 25) {
		y = dh_y(v);
		es_buf_addf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		    "y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%d%%</text>", CH_L, CH_R, y, y,
		    CH_L - 6, y + 4, v);
	}
	/* time labels: first, middle and last bucket */
	for (i = 0; n > 0 && i < 3; i++) {
		int k = i == 0 ? 0 : i == 1 ? n / 2 : n - 1;
		const char *tm = dh_str(cJSON_GetArrayItem(pts, k), "time");

		es_buf_addf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">",
		    dh_x(k, n), CH_B + 18, i == 0 ? "start" : i == 1 ?
		    "middle" : "end");
		if (strlen(tm) >= 16) {
			es_buf_add(b, tm + 5, 5);
			es_buf_addch(b, ' ');
			es_buf_add(b, tm + 11, 5);
		}
		es_buf_adds(b, "</text>");
	}
	es_buf_adds(b, "</g>\n");
	dh_series(b, pts, akey, "alloc", "allocation");
	dh_series(b, pts, ukey, "usage", "usage");
	cJSON_ArrayForEach(t, ths) {
		const char *act = dh_str(t, "action");

		y = dh_y(dh_num(t, "value"));
		es_buf_addf(b, "<g><line class=\"th\" x1=\"%d\" x2=\"%d\" "
		    "y1=\"%.1f\" y2=\"%.1f\"/><text class=\"th\" x=\"%d\" "
		    "y=\"%.1f\" text-anchor=\"end\">%.0f%% %s</text><title>",
		    CH_L, CH_R, y, y, CH_R, y - 4, dh_num(t, "value"),
		    strcmp(act, "pool_exit") == 0 ? "exit" : "entry");
		dashhtml_escape(b, dh_str(t, "strategy"));
		es_buf_addf(b, ": %s %s %s %.1f%% (%s)</title></g>\n", title,
		    dh_str(t, "type"), strcmp(act, "pool_exit") == 0 ?
		    "\xe2\x89\xa4" : "\xe2\x89\xa5", dh_num(t, "value"), act);
	}
	es_buf_adds(b, "</svg>\n<div class=\"legend\"><span><i style=\""
	    "background:var(--usage)\"></i>usage</span><span><i style=\""
	    "background:var(--alloc)\"></i>allocation</span><span><i style=\""
	    "background:var(--th)\"></i>strategy threshold</span></div>"
	    "</div>\n");
}

static void
dh_strategies(struct es_buf *b, const cJSON *doc)
{
	const cJSON *list = cJSON_GetObjectItem(doc, "strategies");
	const cJSON *s, *c;
	int first;

	es_buf_addf(b, "<section id=\"strategies\"><h2>Strategies (%d)</h2>"
	    "\n", cJSON_GetArraySize(list));
	if (cJSON_GetArraySize(list) == 0) {
		es_buf_adds(b, "<p class=\"empty\">No strategies.</p>"
		    "</section>\n");
		return;
	}
	es_buf_adds(b, "<div class=\"scroll\"><table><thead><tr><th>Name</th>"
	    "<th>Description</th><th>Clusters</th><th>Condition</th>"
	    "<th>Action</th><th>Devices</th><th>Duration</th><th>Cooldown"
	    "</th><th>Status</th></tr></thead><tbody>\n");
	cJSON_ArrayForEach(s, list) {
		es_buf_adds(b, "<tr><td class=\"w\">");
		dashhtml_escape(b, dh_str(s, "name"));
		es_buf_adds(b, "</td><td class=\"w\">");
		dashhtml_escape(b, dh_str(s, "description"));
		es_buf_adds(b, "</td><td class=\"w\">");
		first = 1;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(s, "clusters")) {
			if (!first)
				es_buf_adds(b, ", ");
			dashhtml_escape(b, cJSON_GetStringValue(c));
			first = 0;
		}
		es_buf_adds(b, "</td><td>");
		dashhtml_escape(b, dh_str(s, "condition"));
		es_buf_adds(b, "</td><td>");
		dashhtml_escape(b, dh_str(s, "threshold_trigger_action"));
		es_buf_addf(b, "</td><td class=\"n\">%.0f</td><td class=\"n\">"
		    "%.0f min</td><td class=\"n\">%.0f min</td><td>",
		    dh_num(s, "device_count"), dh_num(s, "duration_minutes"),
		    dh_num(s, "cooldown_minutes"));
		dashhtml_escape(b, dh_str(s, "status"));
		es_buf_adds(b, "</td></tr>\n");
	}
	es_buf_adds(b, "</tbody></table></div></section>\n");
}

/* The order-status pie: one slice per status with orders. */
static void
dh_pie(struct es_buf *b, const cJSON *doc)
{
	const cJSON *st = cJSON_GetObjectItem(doc, "order_status");
	const cJSON *s;
	double total = 0, a0 = -M_PI / 2, a1, x0, y0, x1, y1;
	int nz = 0;

	cJSON_ArrayForEach(s, st) {
		total += s->valuedouble;
		nz += s->valuedouble > 0;
	}
	es_buf_adds(b, "<div class=\"card\"><h2>Orders by status</h2>"
	    "<div class=\"pie\"><svg id=\"pie\" viewBox=\"-1.1 -1.1 2.2 2.2\" "
	    "role=\"img\" aria-label=\"orders by status\">\n");
	if (total == 0)
		es_buf_adds(b, "<circle r=\"1\" fill=\"#e5e5e5\"><title>no "
		    "orders</title></circle>\n");
	cJSON_ArrayForEach(s, st) {
		if (s->valuedouble <= 0)
			continue;
		if (nz == 1) {
			es_buf_addf(b, "<circle class=\"slice\" r=\"1\" "
			    "fill=\"%s\"><title>", dh_status_color(s->string));
		} else {
			a1 = a0 + s->valuedouble / total * 2 * M_PI;
			x0 = cos(a0);
			y0 = sin(a0);
			x1 = cos(a1);
			y1 = sin(a1);
			es_buf_addf(b, "<path class=\"slice\" d=\"M0 0 L%.4f "
			    "%.4f A1 1 0 %d 1 %.4f %.4f Z\" fill=\"%s\" "
			    "stroke=\"#fff\" stroke-width=\"0.01\"><title>", x0,
			    y0, a1 - a0 > M_PI ? 1 : 0, x1, y1,
			    dh_status_color(s->string));
			a0 = a1;
		}
		dashhtml_escape(b, s->string);
		es_buf_addf(b, ": %.0f (%.1f%%)</title>%s\n", s->valuedouble,
		    s->valuedouble / total * 100, nz == 1 ? "</circle>" :
		    "</path>");
	}
	es_buf_adds(b, "</svg><ul>");
	cJSON_ArrayForEach(s, st) {
		es_buf_addf(b, "<li><i style=\"background:%s\"></i>",
		    dh_status_color(s->string));
		dashhtml_escape(b, s->string);
		es_buf_addf(b, " <b>%.0f</b></li>", s->valuedouble);
	}
	es_buf_addf(b, "</ul></div><p class=\"s\">%.0f orders in the last ",
	    total);
	dashhtml_escape(b, dh_str(doc, "range"));
	es_buf_adds(b, "</p></div>\n");
}

static void
dh_orders(struct es_buf *b, const cJSON *doc)
{
	const cJSON *list = cJSON_GetObjectItem(doc, "orders");
	const cJSON *o;

	es_buf_addf(b, "<div class=\"card\"><h2>Orders of the last ");
	dashhtml_escape(b, dh_str(doc, "range"));
	es_buf_addf(b, " (%d of %.0f)</h2>\n", cJSON_GetArraySize(list),
	    dh_num(doc, "orders_total"));
	if (cJSON_GetArraySize(list) == 0) {
		es_buf_adds(b, "<p class=\"empty\">No orders.</p></div>\n");
		return;
	}
	es_buf_adds(b, "<div class=\"scroll\"><table id=\"orders\"><thead><tr>"
	    "<th>Order</th><th>Type</th><th>Status</th><th>Cluster</th>"
	    "<th>Strategy</th><th>Devices</th><th>Created</th><th>Completed"
	    "</th></tr></thead><tbody>\n");
	cJSON_ArrayForEach(o, list) {
		es_buf_adds(b, "<tr><td>");
		dashhtml_escape(b, dh_str(o, "order_number"));
		es_buf_adds(b, "</td><td>");
		dashhtml_escape(b, dh_str(o, "action_type"));
		es_buf_addf(b, "</td><td><span class=\"tag\" style=\""
		    "background:%s\">", dh_status_color(dh_str(o, "status")));
		dashhtml_escape(b, dh_str(o, "status"));
		es_buf_adds(b, "</span></td><td class=\"w\">");
		dashhtml_escape(b, dh_str(o, "cluster_name"));
		es_buf_adds(b, "</td><td class=\"w\">");
		dashhtml_escape(b, *dh_str(o, "strategy_name") ?
		    dh_str(o, "strategy_name") : "(manual)");
		es_buf_addf(b, "</td><td class=\"n\">%.0f</td><td>",
		    dh_num(o, "device_count"));
		dh_time(b, dh_str(o, "created_at"));
		es_buf_adds(b, "</td><td>");
		dh_time(b, dh_str(o, "completion_time"));
		es_buf_adds(b, "</td></tr>\n");
	}
	es_buf_adds(b, "</tbody></table></div></div>\n");
}

void
dashhtml_main(struct es_buf *b, const cJSON *doc,
    const struct dashhtml_opts *o)
{
	es_buf_adds(b, "<main id=\"main\" data-generated=\"");
	dashhtml_escape(b, dh_str(doc, "generated_at"));
	es_buf_adds(b, "\">\n");
	dh_cards(b, doc);
	dh_pending(b, doc, o);
	es_buf_adds(b, "<section id=\"trends\"><div class=\"two\">\n");
	dh_chart(b, doc, "chart-cpu", "CPU", "cpu_usage", "cpu_allocation",
	    "cpu");
	dh_chart(b, doc, "chart-mem", "Memory", "mem_usage", "mem_allocation",
	    "memory");
	es_buf_adds(b, "</div></section>\n");
	dh_strategies(b, doc);
	es_buf_adds(b, "<section id=\"history\"><div class=\"hist\">\n");
	dh_pie(b, doc);
	dh_orders(b, doc);
	es_buf_adds(b, "</div></section>\n</main>\n");
}

/* The live page's script: polls the JSON endpoint, posts actions. */
static void
dh_script(struct es_buf *b)
{
	es_buf_adds(b, "<script>\n"
	    "(function () {\n"
	    "var tok = (location.hash.match(/token=([^&]+)/) || [])[1] || '';\n"
	    "if (tok) {\n"
	    "  sessionStorage.setItem('esctl-token',"
	    " decodeURIComponent(tok));\n"
	    "  history.replaceState(null, '', location.pathname +"
	    " location.search);\n"
	    "}\n"
	    "tok = sessionStorage.getItem('esctl-token') || '';\n"
	    "var m = document.querySelector('meta[name=csrf-token]');\n"
	    "var csrf = m ? m.content : '';\n"
	    "var every = +document.body.dataset.poll * 1000;\n"
	    "function say(t) {"
	    " document.getElementById('status').textContent = t; }\n"
	    "function poll() {\n"
	    "  return fetch(document.body.dataset.api, {cache: 'no-store'})\n"
	    "    .then(function (r) { return r.json(); })\n"
	    "    .then(function (j) {\n"
	    "      var old = document.getElementById('main');\n"
	    "      var t = document.createElement('template');\n"
	    "      t.innerHTML = j.main;\n"
	    "      old.replaceWith(t.content.firstElementChild);\n"
	    "      document.getElementById('generated').textContent =\n"
	    "        j.data.generated_at;\n"
	    "    })\n"
	    "    .catch(function (e) { say('refresh failed: ' +"
	    " e.message); });\n"
	    "}\n"
	    "setInterval(poll, every);\n"
	    "document.addEventListener('click', function (ev) {\n"
	    "  var b = ev.target.closest('button[data-action]');\n"
	    "  if (!b) return;\n"
	    "  var num = b.closest('[data-order]').dataset.order;\n"
	    "  var act = b.dataset.action, reason = null;\n"
	    "  if (act === 'reject') {\n"
	    "    reason = prompt('Reason for rejecting order ' + num + ':');\n"
	    "    if (!reason) return;\n"
	    "  } else if (!confirm(act + ' order ' + num + '?')) {\n"
	    "    return;\n"
	    "  }\n"
	    "  var h = {'Content-Type': 'application/json', "
	    "'X-CSRF-Token': csrf};\n"
	    "  if (tok) h.Authorization = 'Bearer ' + tok;\n"
	    "  fetch('/api/orders/' + encodeURIComponent(num) + '/' + act, {\n"
	    "    method: 'POST',\n"
	    "    headers: h,\n"
	    "    body: JSON.stringify({confirm: true, reason: reason})\n"
	    "  }).then(function (r) {\n"
	    "    return r.json().then(function (j) {\n"
	    "      say(r.ok ? j.message : act + ' refused: ' +\n"
	    "        (j.error ? j.error.message : r.status));\n"
	    "      document.body.dataset.last = r.status;\n"
	    "      return poll();\n"
	    "    });\n"
	    "  }).catch(function (e) { say(act + ' failed: ' + e.message);"
	    " });\n"
	    "});\n"
	    "})();\n"
	    "</script>\n");
}

void
dashhtml_page(struct es_buf *b, const cJSON *doc,
    const struct dashhtml_opts *o)
{
	const cJSON *c = cJSON_GetObjectItem(doc, "cluster");

	es_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\""
	    "width=device-width, initial-scale=1\">\n");
	/* nothing may be fetched: no network even if a name tried */
	es_buf_adds(b, "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
	if (o != NULL && o->poll_path != NULL)
		es_buf_adds(b, "; script-src 'unsafe-inline'; connect-src "
		    "'self'");
	es_buf_adds(b, "\">\n");
	if (o != NULL && o->csrf_token != NULL) {
		es_buf_adds(b, "<meta name=\"csrf-token\" content=\"");
		dashhtml_escape(b, o->csrf_token);
		es_buf_adds(b, "\">\n");
	}
	es_buf_adds(b, "<title>ES work-bench</title>\n");
	dh_css(b);
	es_buf_adds(b, "</head>\n");
	if (o != NULL && o->poll_path != NULL) {
		es_buf_addf(b, "<body data-poll=\"%d\" data-api=\"",
		    o->poll_seconds > 0 ? o->poll_seconds : 5);
		dashhtml_escape(b, o->poll_path);
		es_buf_adds(b, "\">\n");
	} else
		es_buf_adds(b, "<body>\n");
	es_buf_adds(b, "<header><h1>ES work-bench</h1><p>");
	if (cJSON_IsString(c)) {
		es_buf_adds(b, "Cluster ");
		dashhtml_escape(b, c->valuestring);
	} else
		es_buf_adds(b, "All clusters");
	es_buf_adds(b, " \xc2\xb7 last ");
	dashhtml_escape(b, dh_str(doc, "range"));
	es_buf_adds(b, " \xc2\xb7 generated <span id=\"generated\">");
	dashhtml_escape(b, dh_str(doc, "generated_at"));
	es_buf_adds(b, "</span></p>");
	if (o != NULL && o->poll_path != NULL)
		es_buf_addf(b, "<p id=\"status\" role=\"status\">live, "
		    "refreshed every %ds%s</p>", o->poll_seconds > 0 ?
		    o->poll_seconds : 5, o->actions ? "; actions allowed" :
		    "; read-only");
	es_buf_adds(b, "</header>\n");
	dashhtml_main(b, doc, o);
	es_buf_adds(b, "<footer>esctl dashboard \xc2\xb7 thresholds are those "
	    "of the enabled strategies; trend points are each bucket's peak"
	    "</footer>\n");
	if (o != NULL && o->poll_path != NULL)
		dh_script(b);
	es_buf_adds(b, "</body>\n</html>\n");
}
