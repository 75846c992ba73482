/*
 * cmd.h - the esctl command framework (cmd/ only; lib/ never sees this).
 *
 * HOW TO ADD A COMMAND
 *
 *  1. Verb: in cmd/<group>.c write
 *
 *	static const struct esctl_opt foo_opts[] = {
 *		{ 'r', "replicas", "N", "replica count", OPT_INT, 0, NULL },
 *		{ 0, "selector", "SEL", "label selector", OPT_STRING, 0, NULL },
 *		OPT_END
 *	};
 *	static int cmd_group_foo(struct esctl_ctx *, struct esctl_args *,
 *	    struct es_err *);
 *
 *     and add an entry to the group's verb table:
 *
 *	{ "foo", "NAME", "one-line summary", "longer help (optional)",
 *	  foo_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES, "index",
 *	  cmd_group_foo },
 *
 *     exec returns 0, or -1 with err filled (lib/err.h): never print the
 *     error yourself and never exit.  Print results through cmd/output.c
 *     (out_list / out_item / out_ok) so -o json|yaml|name|wide work.
 *     Read options with args_get/args_has/args_int; positionals are
 *     args->argv[0..argc-1].
 *  2. Group: a new group exports `const struct esctl_group
 *     esctl_group_<name>` and is listed in esctl_groups[] in cmd/groups.c.
 *  3. Tests: tests/NNNN-<group>-<topic>.bats (see tests/lib/common.bash);
 *     assert exit codes with `run -N` and stdout/stderr apart.
 *  4. Docs: man/esctl-<group>.1 (its SYNOPSIS is generated from the table:
 *     `esctl __man-synopsis <group>`, and a test fails when it is stale),
 *     README tour, and `make completions` (a test fails when the files in
 *     completions/ are stale).
 *
 * Setup is declared by flags and done once by the dispatcher:
 *	CMD_NEEDS_DB	open the store (read-only unless CMD_MUTATES)
 *	CMD_MUTATES	writes: honours --dry-run (the store is then opened
 *			read-only, so a dry run cannot write)
 *	CMD_CONFIRM	destructive: asks on a TTY, needs --yes otherwise
 *			(call ctx_confirm from exec with the object named)
 *	CMD_OFFLINE	never opens a socket
 *	CMD_FEW_PAGES	a read-only store opened with a page cache of a few
 *			pages: a command that reads a handful of rows pays
 *			no fresh memory for every page it reads (a page
 *			fault each); it raises the cache (store_cache_pages)
 *			before reading many rows
 *	CMD_HIDDEN	not listed in help or completion
 *	CMD_NEEDS_KUBE	loads the kubeconfig (--kubeconfig, KUBECONFIG,
 *			kube.kubeconfig; --context) and opens ctx->kube
 *			before exec, so a bad kubeconfig fails before any
 *			work.  Opening sends nothing to the server.
 *
 * Kubernetes from a command (lib/kube.h):
 *	struct kube_client *kc;
 *	if (ctx_kube(ctx, &kc, err) == -1)	the ambient context; the
 *		return -1;			client is owned by ctx
 *	kube_ref_init(&r, "pods", kube_namespace(kc), NULL, err); ...
 *   A registered cluster (esctl k8s add) instead:
 *	if (ctx_kube_cluster(ctx, "prod-1", &kc, err) == -1)
 *		return -1;			caller closes: kube_close(kc)
 *   Both honour --request-timeout, -v logging (secrets redacted) and the
 *   kube.* retry settings.  Mutating commands must honour --dry-run
 *   themselves before sending anything.
 */
#ifndef ESCTL_CMD_H
#define ESCTL_CMD_H

#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "kube.h"
#include "log.h"
#include "store.h"

#define CMD_NEEDS_DB	0x01
#define CMD_MUTATES	0x02
#define CMD_CONFIRM	0x04
#define CMD_OFFLINE	0x08
#define CMD_HIDDEN	0x10
#define CMD_NEEDS_KUBE	0x20
#define CMD_NO_CONFIG	0x40	/* runs without loading the config file */
#define CMD_WATCH	0x80	/* -w: run again every --watch-interval and
				   print what changed (out_list / out_item
				   do the diffing; see esctl(1) OUTPUT) */
#define CMD_FEW_PAGES	0x100	/* a read-only store with a tiny page cache */

enum opt_type {
	OPT_BOOL,		/* flag, no argument */
	OPT_STRING,
	OPT_INT,		/* validated as an integer when parsed */
	OPT_LIST		/* repeatable; values collected in order */
};

#define OPT_REQUIRED	0x01	/* must be given */
#define OPT_HIDDEN	0x02

struct esctl_opt {
	int		 short_name;	/* 0 when none */
	const char	*long_name;
	const char	*argname;	/* NULL for OPT_BOOL */
	const char	*help;
	enum opt_type	 type;
	int		 flags;
	/*
	 * Completion of the value: NULL (none), "file", "dir", or a
	 * dynamic kind answered by `esctl __complete` ("namespace",
	 * "index", "org", ...), or literal choices "=l2 cosine dot".
	 */
	const char	*complete;
};

#define OPT_END	{ 0, NULL, NULL, NULL, OPT_BOOL, 0, NULL }

struct esctl_ctx;
struct esctl_args;

struct esctl_verb {
	const char		*name;	/* may be two words: "quota get" */
	const char		*args;	/* positional synopsis: "NAME [FILE]" */
	const char		*summary;
	const char		*help;	/* extra paragraph(s), or NULL */
	const struct esctl_opt	*opts;
	int			 nargs_min;
	int			 nargs_max;	/* -1: unbounded */
	int			 flags;
	const char		*complete;	/* completion of positionals */
	int			(*exec)(struct esctl_ctx *, struct esctl_args *,
				    struct es_err *);
};

#define VERB_END { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL }

struct esctl_group {
	const char		*name;
	const char		*summary;
	const char		*help;
	/*
	 * NULL-name terminated.  A group that is itself a command (e.g.
	 * `esctl search`) has one verb whose name is "".
	 */
	const struct esctl_verb	*verbs;
};

enum out_format {
	OUT_TABLE,
	OUT_WIDE,
	OUT_JSON,
	OUT_YAML,
	OUT_NAME,
	OUT_JSONPATH,		/* -o jsonpath=TEMPLATE */
	OUT_CUSTOM		/* -o custom-columns=SPEC */
};

struct out_spec;
struct out_watch;

/*
 * The command context: global options, output decisions and the lazily
 * opened handles.  The only mutable state of a run; passed to every exec.
 */
struct esctl_ctx {
	/* global options (after env and config defaults are applied) */
	const char		*db_path;
	const char		*data_dir;
	const char		*config_path;
	int			 config_explicit;
	const char		*kubeconfig;
	const char		*kube_context;
	const char		*request_timeout;
	const char		*as_user;	/* tenant scope, or NULL */
	const char		*as_org;
	enum out_format		 output;
	struct out_spec		*out_spec;	/* jsonpath, columns, sort */
	int			 no_headers;	/* --no-headers */
	const char		*kind;		/* -o name kind; see out_kind */
	struct out_watch	*watch;		/* -w: what was printed */
	int			 quiet;
	int			 verbose;
	int			 dry_run;
	int			 yes;
	int			 color;		/* colour escapes on stdout */
	int			 color_err;	/* ... on stderr */
	int			 tty_in;
	int			 tty_out;
	int			 tty_err;
	time_t			 now;		/* ESCTL_NOW or time() */

	FILE			*out;
	FILE			*err;
	struct es_log		 log;		/* to stderr per -v */

	struct config		*cfg;
	struct store		*store;
	struct kube_client	*kube;		/* see ctx_kube() */

	const struct esctl_group *group;
	const struct esctl_verb	*verb;

	/* strings owned by the context, freed at exit */
	char			*owned[8];
	int			 nowned;
};

/* Parsed options and positionals of the running verb. */
struct esctl_args {
	int			 argc;
	char			**argv;		/* positionals */
	const struct esctl_opt	*opts;		/* the verb's table */
	int			 nopts;
	const char		**values;	/* per opt: last value / "1" */
	const char		***lists;	/* per opt: OPT_LIST values */
	int			*nlists;
};

/* Option value as given, or NULL when absent.  Borrowed. */
const char	*args_get(const struct esctl_args *, const char *long_name);
/* 1 when the option was given (flags and valued options alike). */
int		 args_has(const struct esctl_args *, const char *long_name);
/* Integer option within bounds; def when absent; ES_EUSAGE otherwise. */
int		 args_int(const struct esctl_args *, const char *long_name,
		    long long min, long long max, long long def,
		    long long *out, struct es_err *);
/* Values of an OPT_LIST option (count in *n).  Borrowed. */
const char	**args_list(const struct esctl_args *, const char *long_name,
		    int *n);

/* Asks "<what>? [y/N]" on a TTY; without one, needs --yes. */
int		 ctx_confirm(struct esctl_ctx *, struct es_err *,
		    const char *fmt, ...) ES_PRINTF(3, 4);
/* Builds a path below the data directory; caller frees. */
char		*ctx_data_path(struct esctl_ctx *, const char *name);
/*
 * Tenant scope: 0 when the identity may touch a record of org/user,
 * else ES_EPERM naming both.  No identity set: always allowed.
 */
int		 ctx_scope_check(struct esctl_ctx *, const char *org,
		    const char *user, struct es_err *);
/*
 * The org a command works on: given (an --org value), else the
 * identity's org; with an identity, another org is ES_EPERM.  required:
 * ES_EUSAGE when neither is known.
 */
int		 ctx_org(struct esctl_ctx *, const char *given, int required,
		    const char **org, struct es_err *);
/* Same for the user (never required). */
int		 ctx_user(struct esctl_ctx *, const char *given,
		    const char **user, struct es_err *);
/* Progress line on a TTY stderr (overwritten in place); no-op otherwise. */
void		 ctx_progress(struct esctl_ctx *, const char *fmt, ...)
		    ES_PRINTF(2, 3);
void		 ctx_progress_done(struct esctl_ctx *);
/*
 * Kubernetes clients (cmd/kubectx.c).  ctx_kube opens, once, the client of
 * the ambient kubeconfig and context (flag > KUBECONFIG > kube.kubeconfig;
 * --context > kube.context > current-context); ctx owns it.
 * ctx_kube_cluster opens a new client for a cluster of the registry
 * (esctl k8s add), opening the store read-only if the verb has none; the
 * caller closes it.  ctx_kube_opts fills client options from the global
 * options, the config (kube.request_timeout, kube.connect_timeout,
 * kube.retry_base, kube.retry_max_time, kube.retries) and, for tests,
 * ESCTL_KUBE_RETRY_BASE / ESCTL_KUBE_RETRY_MAX_TIME.
 */
int		 ctx_kube(struct esctl_ctx *, struct kube_client **,
		    struct es_err *);
int		 ctx_kube_cluster(struct esctl_ctx *, const char *name,
		    struct kube_client **, struct es_err *);
int		 ctx_kube_opts(struct esctl_ctx *, struct kube_opts *,
		    struct es_err *);
/*
 * Tenant scope in Kubernetes: with an identity (--as-org/--as-user),
 * ctx_kube_ns_check answers ES_EPERM unless namespace ns carries the
 * labels tenant-org-id (and user) of the identity, and ES_ENOTFOUND when it
 * does not exist; without one it does nothing.  ctx_kube_ns_selector puts
 * the namespace label selector of the identity in sel ("" without one).
 */
int		 ctx_kube_ns_check(struct esctl_ctx *, struct kube_client *,
		    const char *ns, struct es_err *);
void		 ctx_kube_ns_selector(struct esctl_ctx *, struct es_buf *sel);
/* Progress callback for kube_wait: arg is the ctx (TTY stderr only). */
void		 ctx_kube_progress(void *ctx, const char *line);
/* Who acts, for records: the identity (--as-user), else $USER. */
const char	*ctx_actor(struct esctl_ctx *);
/*
 * The registered cluster --cluster names (by name or id): *id is -1
 * without the option; ES_ENOTFOUND when none has that name.
 */
int		 ctx_cluster_opt(struct esctl_ctx *, struct esctl_args *,
		    long long *id, struct es_err *err);
/* The id of a strategy named by name or id (--strategy and the like). */
int		 ctx_strategy_id(struct esctl_ctx *, const char *ref,
		    long long *id, struct es_err *err);
/*
 * Tells whoever is on duty of an order event through the configured
 * channels (lib/order.h order_notify); a failure is only a warning, the
 * change it reports is done.
 */
void		 ctx_order_notify(struct esctl_ctx *, long long id,
		    const char *event);
/* Notice to stderr unless -q. */
void		 ctx_info(struct esctl_ctx *, const char *fmt, ...)
		    ES_PRINTF(2, 3);
void		 ctx_warn(struct esctl_ctx *, const char *fmt, ...)
		    ES_PRINTF(2, 3);

/* output.c: every command's results go through these. */
struct out_col {
	const char	*header;
	const char	*key;	/* dotted path into the object */
	int		 flags;
};
#define OUT_COL_WIDE	0x01	/* only with -o wide */
#define OUT_COL_RIGHT	0x02	/* right-align (numbers) */
#define OUT_COL_NAME	0x04	/* the value printed by -o name */
#define OUT_COL_STATUS	0x08	/* colour by status word on a TTY */
#define OUT_COL_AGE	0x10	/* RFC 3339 time shown as an age */
#define OUT_COL_END	{ NULL, NULL, 0 }

/*
 * Prints an array of objects (takes nothing; caller still owns list) in
 * the list's default order, or --sort-by's: a table (--no-headers drops
 * the header), -o name lines "kind/name" (the OUT_COL_NAME column, else the
 * first), custom columns, or the List object {"kind": "List", "items":
 * [...]} as JSON, YAML or through a JSONPath template.
 */
int		 out_list(struct esctl_ctx *, const cJSON *list,
		    const struct out_col *cols, struct es_err *);
/*
 * Prints nrows rows as out_list does with -o table, wide or name (JSON and
 * YAML are the caller's, through out_list), without building them as JSON:
 * cell(arg, row, col, flags, buf, len) writes the text of cell cols[col]
 * of a row into buf as out_cell(..., flags, ...) / out_cell_text would.
 * Rows are asked for in order, each row's cells once.
 */
int		 out_table(struct esctl_ctx *, const struct out_col *cols,
		    size_t nrows, void (*cell)(void *, size_t, size_t, int,
		    char *, size_t), void *arg);
/*
 * Prints one object: JSON/YAML as is, table as aligned "key: value"
 * lines (nested objects indented), as describe shows it.  name_key is
 * used by -o name.
 */
int		 out_item(struct esctl_ctx *, const cJSON *item,
		    const char *name_key, struct es_err *);
/*
 * Prints one object as get does: its row of cols with -o table, wide,
 * name or custom-columns, the object itself with json, yaml and jsonpath.
 */
int		 out_get(struct esctl_ctx *, const cJSON *item,
		    const struct out_col *cols, struct es_err *);
/*
 * Reports a completed action: with -o json/yaml/jsonpath prints obj (if
 * not NULL; an array is printed as a List),
 * otherwise prints the human message (unless -q).
 */
int		 out_ok(struct esctl_ctx *, const cJSON *obj, const char *fmt,
		    ...) ES_PRINTF(3, 4);
/*
 * The kind -o name prints before the slash ("cluster/web"); default: the
 * group's name.  kind is borrowed (a literal).
 */
void		 out_kind(struct esctl_ctx *, const char *kind);
/*
 * 1 when the output is built from JSON (json, yaml, jsonpath,
 * custom-columns): a command that prints tables with out_table must then
 * build the JSON and use out_list / out_item / out_ok.
 */
int		 out_wants_json(const struct esctl_ctx *);
/* Parses -o FORMAT (and --sort-by) into ctx; ES_EUSAGE when invalid. */
int		 out_format_parse(struct esctl_ctx *, const char *,
		    struct es_err *);
int		 out_sort_parse(struct esctl_ctx *, const char *,
		    struct es_err *);
/*
 * -w: from now on out_list and out_item print only the objects that are
 * new or changed since the last call (the first call prints everything),
 * tables without their header after the first, JSON and YAML one object
 * per change.  An object changed when its updated_at, resource_version,
 * status or ready field did (its whole JSON when it has none of them).
 */
void		 out_watch_start(struct esctl_ctx *);
/* Frees what out_format_parse, out_sort_parse and -w kept. */
void		 out_release(struct esctl_ctx *);
/*
 * Prints one record of a stream (log lines, events) as a JSON Lines line,
 * a document of a YAML stream with -o yaml, or through the -o jsonpath
 * template.
 */
void		 out_stream_item(struct esctl_ctx *, const cJSON *);
/* Prints JSON (2-space indent) whatever the output format. */
void		 out_print_json(struct esctl_ctx *, const cJSON *);
/*
 * Appends j as -o json prints it, nested at indent spaces (for commands
 * that stream a long list row by row instead of building it).
 */
void		 out_json(struct es_buf *, const cJSON *j, int indent);
/* Colour helpers: return the escape or "" when colour is off. */
const char	*out_color(struct esctl_ctx *, const char *status);
const char	*out_reset(struct esctl_ctx *);
const char	*out_bold(struct esctl_ctx *);
/* Formats one JSON value as table cell text into buf. */
void		 out_cell(struct esctl_ctx *, const cJSON *, int flags,
		    char *buf, size_t len);
/* The cell text of a string value (NULL or "" is "<none>"), as out_cell. */
void		 out_cell_text(const char *, char *buf, size_t len);

/*
 * maintenance.c: sends the maintenance callbacks that are due (warnings
 * only), after any command that queued one.
 */
void		 maint_deliver(struct esctl_ctx *);

/*
 * dashboard.c / dashwatch.c: the work-bench views.  dash_gather reads the
 * document for the verb's --cluster and --range at time now (new object;
 * caller frees).  dash_render appends the terminal view for width columns
 * (0: the terminal's) and returns the line index of the first pending
 * order row, or -1 when there is none.  dash_act runs "approve", "reject"
 * or "execute" on an order through lib/order.h on its own read-write
 * connection (execute as `esctl order execute` does, progress lines to
 * progress(arg, line) when not NULL), then tells whoever is on duty like
 * `esctl order` does; msg gets the one-line outcome and any notification
 * warning.
 */
int		 dash_gather(struct esctl_ctx *, struct esctl_args *,
		    time_t now, cJSON **doc, struct es_err *);
int		 dash_render(struct esctl_ctx *, const cJSON *doc, int width,
		    time_t now, struct es_buf *);
int		 dash_watch(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
int		 dash_serve(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
int		 dash_act(struct esctl_ctx *, const char *verb,
		    const char *order, const char *reason, time_t now,
		    void (*progress)(void *, const char *), void *arg,
		    char *msg, size_t len, struct es_err *);
/*
 * order.c: the order.* settings of the configuration for executing an
 * order of cluster (`esctl order execute` and the dashboard's execute).
 */
struct order_exec_opts;
int		 order_exec_config(struct esctl_ctx *, const char *cluster,
		    struct order_exec_opts *, struct es_err *);
/* A UTF-8 LC_CTYPE (the user's, else C.UTF-8) for display widths. */
void		 dash_locale(void);
/* ctx->now when ESCTL_NOW fixes it, else the current time. */
time_t		 dash_now(struct esctl_ctx *);

/* The group tables and the global options: cmd/groups.c. */
extern const struct esctl_group *const esctl_groups[];
const struct esctl_group *esctl_find_group(const char *);
extern const struct esctl_opt esctl_global_opts[];
/* Indexes into esctl_global_opts[], in its order. */
enum esctl_global {
	G_DB, G_DATA_DIR, G_CONFIG, G_KUBECONFIG, G_CONTEXT, G_TIMEOUT,
	G_AS_USER, G_AS_ORG, G_OUTPUT, G_NO_HEADERS, G_SORT_BY, G_WATCH,
	G_WATCH_INTERVAL, G_QUIET,
	G_VERBOSE, G_NO_COLOR, G_DRY_RUN, G_YES, G_HELP, G_VERSION, G_COUNT
};

/* help.c / completion.c */
void		 help_main(struct esctl_ctx *, FILE *);
void		 help_group(struct esctl_ctx *, FILE *,
		    const struct esctl_group *);
void		 help_verb(struct esctl_ctx *, FILE *,
		    const struct esctl_group *, const struct esctl_verb *);
/* "esctl cluster create [--replicas N] ... NAME" wrapped at width. */
/* width 0: one line; lead: columns already used before it on line 1 */
void		 help_usage_line(struct es_buf *, const struct esctl_group *,
		    const struct esctl_verb *, int width, int lead);

#endif
