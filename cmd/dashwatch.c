/*
 * dashwatch.c - esctl dashboard --watch: the terminal work-bench redrawn
 * in place on ncurses (alternate screen, restored on exit, on SIGINT and
 * on SIGTERM), with keys to move through the pending orders and act on
 * them through the same library calls as `esctl order approve|reject`.
 *
 * Keys: j/k or the arrows move, PgDn/PgUp (or space/b) scroll, a
 * approve, r reject (asks the reason), x execute (as `esctl order
 * execute`), / filter the pending orders (Enter keeps, Esc clears), g
 * refresh now, q quit.  Every action asks for a
 * confirmation on the bottom line first.
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "cmd.h"
#include "notify.h"
#include "order.h"
#include "util.h"
#include "xmalloc.h"

#define WATCH_PROMPT_MAX	256

struct watch {
	struct esctl_ctx	*ctx;
	struct esctl_args	*args;
	long long		 interval_ms;
	cJSON			*doc;
	struct es_buf		 screen;
	int			 first_row;	/* line of pending row 0 */
	int			 npending;
	int			 sel;
	int			 top;		/* first line shown */
	char			 filter[WATCH_PROMPT_MAX];
	char			 msg[512];
	int			 msg_err;
};

static volatile sig_atomic_t watch_stop;

static void	 watch_signal(int);
static int	 watch_load(struct watch *, struct es_err *);
static void	 watch_draw(struct watch *);
static int	 watch_prompt(struct watch *, const char *, char *, size_t);
static int	 watch_confirm(struct watch *, const char *);
static const char *watch_selected(struct watch *);
static void	 watch_key(struct watch *, wint_t, int);
static void	 watch_progress(void *, const char *);
static int	 watch_match(const cJSON *, const char *);

static void
watch_signal(int sig)
{
	watch_stop = sig;
}

time_t
dash_now(struct esctl_ctx *ctx)
{
	return getenv("ESCTL_NOW") != NULL ? ctx->now : time(NULL);
}

/*
 * Executes an order as `esctl order execute` does: the order.* settings,
 * a client of the order's registered cluster, order_execute().  *event
 * gets the notification to send ("order_completed", "order_failed") or
 * NULL when the order did not change (not found, locked, wrong state).
 */
static int
dash_execute(struct esctl_ctx *ctx, struct store *st, const char *ref,
    time_t now, void (*progress)(void *, const char *), void *arg,
    const char **event, struct es_err *err)
{
	struct order_exec_opts o;
	struct kube_client *kc;
	cJSON *row, *res = NULL;
	char *cluster;
	long long id;
	int rc;

	*event = NULL;
	memset(&o, 0, sizeof o);
	if (order_find(st, ref, &id, err) == -1 ||
	    store_query_row_json(st, err, &row, "SELECT c.clustername FROM "
	    "elastic_scaling_order o JOIN k8s_cluster c ON c.id = "
	    "o.cluster_id WHERE o.id = ?", "i", id) == -1)
		return -1;
	if (row == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "order %s has "
		    "no registered cluster", ref);
	cluster = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "clustername")));
	cJSON_Delete(row);
	rc = order_exec_config(ctx, cluster, &o, err);
	if (rc == 0)
		rc = ctx_kube_cluster(ctx, cluster, &kc, err);
	free(cluster);
	if (rc == -1)
		return -1;
	o.actor = ctx_actor(ctx);
	o.now = now;
	o.progress = progress;
	o.progress_arg = arg;
	rc = order_execute(st, kc, ref, &o, &res, err);
	kube_close(kc);
	cJSON_Delete(res);
	if (rc == 0)
		*event = "order_completed";
	else if (err->code != ES_ENOTFOUND &&
	    strcmp(err->reason, "Locked") != 0 &&
	    strcmp(err->reason, "WrongState") != 0)
		*event = "order_failed";
	return rc;
}

/* Tells whoever is on duty; failures become part of msg. */
static void
dash_tell(struct esctl_ctx *ctx, struct store *st, const char *ref,
    const char *event, time_t now, char *msg, size_t len)
{
	struct notify_config nc;
	struct notify_result res;
	struct es_err e2 = ES_ERR_INIT;
	long long id;
	size_t i;

	if (order_find(st, ref, &id, &e2) == -1)
		return;
	if (notify_config_load(ctx->cfg, &nc, &e2) == -1) {
		snprintf(msg + strlen(msg), len - strlen(msg), "; no "
		    "notification: %s", e2.msg);
		return;
	}
	if (order_notify(st, &nc, id, event, now, &res, &e2) == -1)
		snprintf(msg + strlen(msg), len - strlen(msg), "; cannot "
		    "notify: %s", e2.msg);
	else {
		for (i = 0; i < res.n; i++)
			if (!res.v[i].ok)
				snprintf(msg + strlen(msg), len - strlen(msg),
				    "; notification by %s failed",
				    notify_channel_name(res.v[i].channel));
		notify_result_release(&res);
	}
	notify_config_release(&nc);
}

int
dash_act(struct esctl_ctx *ctx, const char *verb, const char *ref,
    const char *reason, time_t now, void (*progress)(void *,
    const char *), void *arg, char *msg, size_t len, struct es_err *err)
{
	struct store *st;
	const char *event = NULL;
	int rc;

	msg[0] = '\0';
	if (store_open(ctx->db_path, 0, &st, err) == -1)
		return -1;
	if (strcmp(verb, "approve") == 0) {
		rc = order_approve(st, ref, ctx_actor(ctx), now, err);
		event = rc == 0 ? "order_approved" : NULL;
		snprintf(msg, len, "order %s approved (processing)", ref);
	} else if (strcmp(verb, "reject") == 0) {
		rc = order_reject(st, ref, ctx_actor(ctx), reason, now, err);
		event = rc == 0 ? "order_rejected" : NULL;
		snprintf(msg, len, "order %s rejected (cancelled)", ref);
	} else if (strcmp(verb, "execute") == 0) {
		rc = dash_execute(ctx, st, ref, now, progress, arg, &event,
		    err);
		snprintf(msg, len, "order %s completed", ref);
	} else
		rc = es_err_set(err, ES_EUSAGE, "Usage", "unknown action "
		    "'%s': use approve, reject or execute", verb);
	/* the transition is done: a notification failure is a warning */
	if (event != NULL)
		dash_tell(ctx, st, ref, event, now, msg, len);
	store_close(st);
	return rc;
}

/* Case-insensitive match of the filter on what a row shows. */
static int
watch_match(const cJSON *o, const char *f)
{
	static const char *const keys[] = { "order_number", "strategy_name",
	    "cluster_name", "action_type", NULL };
	const char *v;
	int i;

	if (*f == '\0')
		return 1;
	for (i = 0; keys[i] != NULL; i++) {
		v = cJSON_GetStringValue(cJSON_GetObjectItem(o, keys[i]));
		if (v != NULL && strcasestr(v, f) != NULL)
			return 1;
	}
	return 0;
}

/* Reads the document again, applies the filter and renders it. */
static int
watch_load(struct watch *w, struct es_err *err)
{
	cJSON *doc, *list;
	int i, color = w->ctx->color;

	if (dash_gather(w->ctx, w->args, dash_now(w->ctx), &doc, err) == -1)
		return -1;
	list = cJSON_GetObjectItem(doc, "pending_orders");
	for (i = cJSON_GetArraySize(list) - 1; i >= 0; i--)
		if (!watch_match(cJSON_GetArrayItem(list, i), w->filter))
			cJSON_DeleteItemFromArray(list, i);
	w->npending = cJSON_GetArraySize(list);
	if (w->sel >= w->npending)
		w->sel = w->npending > 0 ? w->npending - 1 : 0;
	cJSON_Delete(w->doc);
	w->doc = doc;
	es_buf_reset(&w->screen);
	/* ncurses draws the attributes itself */
	w->ctx->color = 0;
	w->first_row = dash_render(w->ctx, doc, COLS, dash_now(w->ctx),
	    &w->screen);
	w->ctx->color = color;
	return 0;
}

static void
watch_draw(struct watch *w)
{
	const char *p = w->screen.data, *nl;
	int y = 0, line = 0, rows = LINES - 1;

	erase();
	/* keep the selected order on screen */
	if (w->first_row >= 0 && w->first_row + w->sel >= w->top + rows)
		w->top = w->first_row + w->sel - rows + 1;
	if (w->first_row >= 0 && w->first_row + w->sel < w->top)
		w->top = w->first_row + w->sel;
	for (; *p != '\0' && y < rows; p = nl + 1, line++) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (line < w->top) {
			if (*nl == '\0')
				break;
			continue;
		}
		if (w->first_row >= 0 && line == w->first_row + w->sel) {
			attron(A_REVERSE);
			mvhline(y, 0, ' ', COLS);
		}
		mvaddnstr(y, 0, p, (int)(nl - p));
		attroff(A_REVERSE);
		y++;
		if (*nl == '\0')
			break;
	}
	move(LINES - 1, 0);
	clrtoeol();
	if (w->msg[0] != '\0') {
		if (w->msg_err)
			attron(A_BOLD);
		addnstr(w->msg, COLS - 1);
		attroff(A_BOLD);
	} else {
		attron(A_DIM);
		addnstr(w->filter[0] ? "filter on: / to change, Esc in it "
		    "to clear \xc2\xb7 j/k move \xc2\xb7 a approve \xc2\xb7 "
		    "r reject \xc2\xb7 x execute \xc2\xb7 q quit" : "j/k move "
		    "\xc2\xb7 a approve \xc2\xb7 r reject \xc2\xb7 x execute "
		    "\xc2\xb7 / filter \xc2\xb7 g refresh \xc2\xb7 q quit",
		    COLS - 1);
		attroff(A_DIM);
	}
	refresh();
}

/*
 * Reads a line on the bottom line after the prompt; 1 on Enter, 0 on
 * Esc (or a signal).  buf holds the text as UTF-8.
 */
static int
watch_prompt(struct watch *w, const char *prompt, char *buf, size_t len)
{
	wchar_t line[WATCH_PROMPT_MAX];
	size_t n = 0;
	wint_t ch;
	int r;

	(void)w;
	line[0] = L'\0';
	if (buf[0] != '\0') {
		n = mbstowcs(line, buf, WATCH_PROMPT_MAX - 1);
		if (n == (size_t)-1)
			n = 0;
		line[n] = L'\0';
	}
	timeout(-1);
	curs_set(1);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		attron(A_BOLD);
		addnstr(prompt, COLS - 1);
		attroff(A_BOLD);
		addnwstr(line, (int)n);
		refresh();
		r = get_wch(&ch);
		if (watch_stop)
			break;
		if (r == ERR)
			continue;
		if (r == OK && (ch == L'\n' || ch == L'\r')) {
			curs_set(0);
			if (wcstombs(buf, line, len) == (size_t)-1)
				buf[0] = '\0';
			buf[len - 1] = '\0';
			return 1;
		}
		if (r == OK && ch == 27)
			break;
		if ((r == KEY_CODE_YES && ch == KEY_BACKSPACE) ||
		    (r == OK && (ch == 127 || ch == 8))) {
			if (n > 0)
				line[--n] = L'\0';
			continue;
		}
		if (r == OK && iswprint(ch) && n + 1 < WATCH_PROMPT_MAX &&
		    n * MB_CUR_MAX + MB_CUR_MAX < len) {
			line[n++] = (wchar_t)ch;
			line[n] = L'\0';
		}
	}
	curs_set(0);
	return 0;
}

/* "question (y/N)": 1 for y. */
static int
watch_confirm(struct watch *w, const char *q)
{
	wint_t ch;
	int r;

	(void)w;
	timeout(-1);
	move(LINES - 1, 0);
	clrtoeol();
	attron(A_BOLD);
	addnstr(q, COLS - 8);
	addstr(" (y/N) ");
	attroff(A_BOLD);
	refresh();
	do {
		r = get_wch(&ch);
	} while (r == ERR && !watch_stop);
	return r == OK && (ch == L'y' || ch == L'Y');
}

static const char *
watch_selected(struct watch *w)
{
	const cJSON *list = cJSON_GetObjectItem(w->doc, "pending_orders");

	if (w->npending == 0)
		return NULL;
	return cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(list, w->sel), "order_number"));
}

/* An execution's progress line on the bottom line. */
static void
watch_progress(void *arg, const char *line)
{
	(void)arg;
	move(LINES - 1, 0);
	clrtoeol();
	addnstr(line, COLS - 1);
	refresh();
}

static void
watch_key(struct watch *w, wint_t ch, int fkey)
{
	struct es_err e = ES_ERR_INIT;
	char q[WATCH_PROMPT_MAX + 64], reason[WATCH_PROMPT_MAX];
	const char *num;
	int rows = LINES - 1;

	w->msg[0] = '\0';
	w->msg_err = 0;
	if ((fkey && ch == KEY_DOWN) || (!fkey && ch == L'j')) {
		if (w->sel + 1 < w->npending)
			w->sel++;
	} else if ((fkey && ch == KEY_UP) || (!fkey && ch == L'k')) {
		if (w->sel > 0)
			w->sel--;
	} else if ((fkey && ch == KEY_NPAGE) || (!fkey && ch == L' ')) {
		w->top += rows / 2;
	} else if ((fkey && ch == KEY_PPAGE) || (!fkey && ch == L'b')) {
		w->top = w->top > rows / 2 ? w->top - rows / 2 : 0;
	} else if (!fkey && ch == L'/') {
		char f[WATCH_PROMPT_MAX];

		snprintf(f, sizeof f, "%s", w->filter);
		if (watch_prompt(w, "filter pending orders: ", f, sizeof f))
			snprintf(w->filter, sizeof w->filter, "%s", f);
		else
			w->filter[0] = '\0';
		w->sel = 0;
	} else if (!fkey && ch == L'x') {
		if ((num = watch_selected(w)) == NULL) {
			snprintf(w->msg, sizeof w->msg, "no pending order "
			    "selected");
			return;
		}
		snprintf(q, sizeof q, "execute order %s now?", num);
		if (!watch_confirm(w, q)) {
			snprintf(w->msg, sizeof w->msg, "not executed");
			return;
		}
		watch_progress(w, "executing...");
		if (dash_act(w->ctx, "execute", num, NULL, dash_now(w->ctx),
		    watch_progress, w, w->msg, sizeof w->msg, &e) == -1) {
			snprintf(w->msg, sizeof w->msg, "error: %.480s",
			    e.msg);
			w->msg_err = 1;
		}
	} else if (!fkey && (ch == L'a' || ch == L'r')) {
		if ((num = watch_selected(w)) == NULL) {
			snprintf(w->msg, sizeof w->msg, "no pending order "
			    "selected");
			return;
		}
		reason[0] = '\0';
		if (ch == L'a') {
			snprintf(q, sizeof q, "approve order %s?", num);
			if (!watch_confirm(w, q)) {
				snprintf(w->msg, sizeof w->msg, "not approved");
				return;
			}
		} else {
			snprintf(q, sizeof q, "reject order %s, reason "
			    "(Enter to reject, Esc to cancel): ", num);
			if (!watch_prompt(w, q, reason, sizeof reason) ||
			    reason[0] == '\0') {
				snprintf(w->msg, sizeof w->msg,
				    "not rejected%s", reason[0] == '\0' ?
				    " (a reason is required)" : "");
				return;
			}
		}
		if (dash_act(w->ctx, ch == L'a' ? "approve" : "reject", num,
		    reason, dash_now(w->ctx), NULL, NULL, w->msg,
		    sizeof w->msg, &e) == -1) {
			snprintf(w->msg, sizeof w->msg, "error: %.480s", e.msg);
			w->msg_err = 1;
		}
	}
}

int
dash_watch(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct sigaction sa, old_int, old_term;
	struct watch w;
	struct timespec next, t;
	long long ms;
	const char *v;
	wint_t ch;
	int r, rc = 0;

	if (args_get(args, "html") != NULL || ctx->output == OUT_JSON ||
	    ctx->output == OUT_YAML)
		return es_err_set(err, ES_EUSAGE, "Usage", "--watch draws in "
		    "the terminal: it takes neither --html nor -o json|yaml");
	if (!ctx->tty_in || !ctx->tty_out)
		return es_err_set(err, ES_EUSAGE, "Usage", "--watch needs a "
		    "terminal on standard input and output");
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.args = args;
	w.interval_ms = 5000;
	if ((v = args_get(args, "interval")) != NULL &&
	    util_parse_duration_ms(v, "--interval", &w.interval_ms, err) == -1)
		return -1;
	if (w.interval_ms < 200)
		return es_err_set(err, ES_EUSAGE, "Usage", "invalid value '%s' "
		    "for --interval: at least 200ms", v);
	es_buf_init(&w.screen);

	/* catch the signals before the screen changes */
	watch_stop = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watch_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	dash_locale();		/* before initscr: ncurses reads it there */
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (watch_load(&w, err) == -1) {
		rc = -1;
		goto out;
	}
	watch_draw(&w);
	clock_gettime(CLOCK_MONOTONIC, &next);
	ms = next.tv_nsec / 1000000 + w.interval_ms;
	next.tv_sec += ms / 1000;
	next.tv_nsec = (ms % 1000) * 1000000;
	while (!watch_stop) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (next.tv_sec - t.tv_sec) * 1000 +
		    (next.tv_nsec - t.tv_nsec) / 1000000;
		timeout(ms > 0 ? (int)ms : 0);
		r = get_wch(&ch);
		if (watch_stop)
			break;
		if (r == ERR && ms > 0 && errno == EINTR)
			continue;
		if (r == ERR || (r == OK && ch == L'g') ||
		    (r == KEY_CODE_YES && ch == KEY_RESIZE)) {
			clock_gettime(CLOCK_MONOTONIC, &next);
			ms = next.tv_nsec / 1000000 + w.interval_ms;
			next.tv_sec += ms / 1000;
			next.tv_nsec = (ms % 1000) * 1000000;
		} else if (r == OK && (ch == L'q' || ch == L'Q'))
			break;
		else
			watch_key(&w, ch, r == KEY_CODE_YES);
		if (watch_load(&w, err) == -1) {
			rc = -1;
			break;
		}
		watch_draw(&w);
	}
out:
	endwin();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	cJSON_Delete(w.doc);
	es_buf_release(&w.screen);
	/* SIGINT and SIGTERM ask to stop: the terminal is restored, exit 0 */
	return rc;
}
