/*
 * esctl.c - main(): global options, dispatch, and the one place where
 * errors become messages and exit codes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"


struct esctl_parse {
	const char	*gval[G_COUNT];
	int		 verbose;
	const struct esctl_group *group;
	const struct esctl_verb	*verb;
	struct esctl_args	 args;
};

static int	 esctl_parse(struct esctl_ctx *, int, char **,
		    struct esctl_parse *, struct es_err *);
static int	 esctl_setup(struct esctl_ctx *, struct esctl_parse *,
		    struct es_err *);
static int	 esctl_finish(struct esctl_ctx *, int, struct es_err *);
static void	 esctl_log(void *, int, const char *);
static const struct esctl_verb *esctl_find_verb(const struct esctl_group *,
		    const char *, const char *, int *);
static const char *esctl_suggest_verb(const struct esctl_group *,
		    const char *, const char *);
static const char *esctl_suggest_group(const char *);
static const char *esctl_suggest_opt(const struct esctl_opt *,
		    const struct esctl_opt *, const char *);
static int	 esctl_opt_count(const struct esctl_opt *);
static void	 esctl_args_release(struct esctl_args *);
static int	 esctl_args_set(const struct esctl_args *);
static const char *esctl_short_hint(int, const struct esctl_parse *);
static int	 esctl_watch(struct esctl_ctx *, struct esctl_parse *,
		    struct es_err *);
static void	 esctl_on_sigint(int);
static int	 esctl_verb_prefix(const struct esctl_group *, const char *);

static const char *
esctl_suggest_group(const char *name)
{
	const char *best = NULL;
	int i, d, bestd = 3;

	for (i = 0; esctl_groups[i] != NULL; i++) {
		d = util_edit_distance(name, esctl_groups[i]->name);
		if (d < bestd) {
			bestd = d;
			best = esctl_groups[i]->name;
		}
	}
	return best;
}

/*
 * Finds a verb by one word, or by two ("quota get") when the table has a
 * two-word name starting with w1; *used tells how many words matched.
 */
static const struct esctl_verb *
esctl_find_verb(const struct esctl_group *g, const char *w1, const char *w2,
    int *used)
{
	const struct esctl_verb *v;
	size_t l1 = strlen(w1);

	for (v = g->verbs; v->name != NULL; v++) {
		if (w2 != NULL && strncmp(v->name, w1, l1) == 0 &&
		    v->name[l1] == ' ' && strcmp(v->name + l1 + 1, w2) == 0) {
			*used = 2;
			return v;
		}
	}
	for (v = g->verbs; v->name != NULL; v++)
		if (strcmp(v->name, w1) == 0) {
			*used = 1;
			return v;
		}
	return NULL;
}

/* 1 when w is the first word of two-word verbs ("quota" of "quota get"). */
static int
esctl_verb_prefix(const struct esctl_group *g, const char *w)
{
	const struct esctl_verb *v;
	size_t l = strlen(w);

	for (v = g->verbs; v->name != NULL; v++)
		if (strncmp(v->name, w, l) == 0 && v->name[l] == ' ')
			return 1;
	return 0;
}

static const char *
esctl_suggest_verb(const struct esctl_group *g, const char *w,
    const char *w2)
{
	const struct esctl_verb *v;
	const char *best = NULL;
	char first[64];
	int d, bestd = 3;

	for (v = g->verbs; v->name != NULL; v++) {
		if (v->flags & CMD_HIDDEN)
			continue;
		snprintf(first, sizeof first, "%s", v->name);
		if (w2 != NULL && strchr(v->name, ' ') != NULL) {
			/* "quota sett" against "quota set" */
			char both[160];

			snprintf(both, sizeof both, "%s %s", w, w2);
			d = util_edit_distance(both, v->name);
			if (d < bestd) {
				bestd = d;
				best = v->name;
			}
			continue;
		}
		first[strcspn(first, " ")] = '\0';
		d = util_edit_distance(w, first);
		if (d < bestd) {
			bestd = d;
			best = v->name;
		}
	}
	return best;
}

static int
esctl_opt_count(const struct esctl_opt *o)
{
	int n = 0;

	while (o != NULL && o[n].long_name != NULL)
		n++;
	return n;
}

static const char *
esctl_suggest_opt(const struct esctl_opt *a, const struct esctl_opt *b,
    const char *name)
{
	const struct esctl_opt *tabs[2] = { a, b }, *o;
	const char *best = NULL;
	int i, d, bestd = 3;

	for (i = 0; i < 2; i++)
		for (o = tabs[i]; o != NULL && o->long_name != NULL; o++) {
			if (o->flags & OPT_HIDDEN)
				continue;
			d = util_edit_distance(name, o->long_name);
			if (d < bestd) {
				bestd = d;
				best = o->long_name;
			}
		}
	return best;
}

/*
 * Why a short option is unknown, when it is one that means the same thing
 * everywhere: -n is always the namespace (esctl(1), "Flags").
 */
static const char *
esctl_short_hint(int c, const struct esctl_parse *p)
{
	const struct esctl_opt *o;

	if (c != 'n' || p->verb == NULL)
		return "";
	for (o = p->verb->opts; o != NULL && o->long_name != NULL; o++)
		if (strcmp(o->long_name, "device-count") == 0)
			return " (-n is the namespace everywhere; the device "
			    "count is --device-count)";
	return " (-n is the namespace, and this command takes none)";
}

/* Where an option was found: the global table or the verb's. */
struct esctl_optref {
	const struct esctl_opt	*opt;
	int			 global;
	int			 index;
};

static int
esctl_lookup_opt(const struct esctl_opt *vopts, const char *lname,
    int sname, struct esctl_optref *ref)
{
	const struct esctl_opt *tabs[2] = { vopts, esctl_global_opts };
	int t, i;

	/* The verb's own options win over global ones of the same name. */
	for (t = 0; t < 2; t++) {
		for (i = 0; tabs[t] != NULL && tabs[t][i].long_name != NULL;
		    i++) {
			if ((lname != NULL && strcmp(tabs[t][i].long_name,
			    lname) == 0) || (sname != 0 &&
			    tabs[t][i].short_name == sname)) {
				ref->opt = &tabs[t][i];
				ref->global = t == 1;
				ref->index = i;
				return 0;
			}
		}
	}
	return -1;
}

static void
esctl_set_opt(struct esctl_parse *p, const struct esctl_optref *ref,
    const char *value)
{
	struct esctl_args *a = &p->args;
	int i = ref->index;

	if (ref->global) {
		if (i == G_VERBOSE)
			p->verbose++;
		p->gval[i] = value != NULL ? value : "1";
		return;
	}
	a->values[i] = value != NULL ? value : "1";
	if (ref->opt->type == OPT_LIST) {
		a->lists[i] = xreallocarray(a->lists[i], (size_t)a->nlists[i] +
		    2, sizeof *a->lists[i]);
		a->lists[i][a->nlists[i]++] = value;
		a->lists[i][a->nlists[i]] = NULL;
	}
}

static void
esctl_args_release(struct esctl_args *a)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		free(a->lists[i]);
	free(a->lists);
	free(a->nlists);
	free(a->values);
	free(a->argv);
	memset(a, 0, sizeof *a);
}

/* 1 when an option of the verb has been given. */
static int
esctl_args_set(const struct esctl_args *a)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		if (a->values[i] != NULL)
			return 1;
	return 0;
}

static void
esctl_args_init(struct esctl_args *a, const struct esctl_opt *opts)
{
	free(a->values);
	free(a->lists);
	free(a->nlists);
	a->opts = opts;
	a->nopts = esctl_opt_count(opts);
	a->values = xcalloc((size_t)a->nopts + 1, sizeof *a->values);
	a->lists = xcalloc((size_t)a->nopts + 1, sizeof *a->lists);
	a->nlists = xcalloc((size_t)a->nopts + 1, sizeof *a->nlists);
}

/*
 * Parses the command line: global options anywhere (as kubectl does), the
 * group, the verb, then the verb's options and positionals.
 */
static int
esctl_parse(struct esctl_ctx *ctx, int argc, char **argv,
    struct esctl_parse *p, struct es_err *err)
{
	struct esctl_optref ref;
	const struct esctl_opt *vopts = NULL;
	const char *arg, *val, *eq, *hint;
	char name[128], where[160];
	int i, used, only_pos = 0, si;

	(void)ctx;
	memset(p, 0, sizeof *p);
	esctl_args_init(&p->args, NULL);
	p->args.argv = xcalloc((size_t)argc + 1, sizeof *p->args.argv);
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (p->verb != NULL)
			snprintf(where, sizeof where, " for 'esctl %s%s%s'",
			    p->group->name, *p->verb->name ? " " : "",
			    p->verb->name);
		else
			where[0] = '\0';
		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && arg[0] == '-' && arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			snprintf(name, sizeof name, "%.*s", eq ? (int)(eq -
			    arg - 2) : (int)strlen(arg + 2), arg + 2);
			if (esctl_lookup_opt(vopts, name, 0, &ref) == -1) {
				hint = esctl_suggest_opt(vopts,
				    esctl_global_opts, name);
				if (hint != NULL)
					return es_err_set(err, ES_EUSAGE,
					    "UnknownOption", "unknown option "
					    "'--%s'%s (did you mean '--%s'?)",
					    name, where, hint);
				return es_err_set(err, ES_EUSAGE,
				    "UnknownOption", "unknown option '--%s'%s",
				    name, where);
			}
			val = NULL;
			if (ref.opt->type != OPT_BOOL) {
				if (eq != NULL)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return es_err_set(err, ES_EUSAGE,
					    "MissingValue", "option '--%s' "
					    "needs a value (%s)", name,
					    ref.opt->argname);
			} else if (eq != NULL)
				return es_err_set(err, ES_EUSAGE, "BadOption",
				    "option '--%s' takes no value", name);
			esctl_set_opt(p, &ref, val);
			continue;
		}
		if (!only_pos && arg[0] == '-' && arg[1] != '\0' &&
		    !(arg[1] >= '0' && arg[1] <= '9')) {
			for (si = 1; arg[si] != '\0'; si++) {
				if (esctl_lookup_opt(vopts, NULL, arg[si],
				    &ref) == -1)
					return es_err_set(err, ES_EUSAGE,
					    "UnknownOption", "unknown option "
					    "'-%c'%s%s", arg[si], where,
					    esctl_short_hint(arg[si], p));
				if (ref.opt->type == OPT_BOOL) {
					esctl_set_opt(p, &ref, NULL);
					continue;
				}
				/* -o=json as pflag reads it: "=" is no part
				 * of the value */
				if (arg[si + 1] == '=' && arg[si + 2] != '\0')
					val = arg + si + 2;
				else if (arg[si + 1] != '\0')
					val = arg + si + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return es_err_set(err, ES_EUSAGE,
					    "MissingValue", "option '-%c' "
					    "needs a value (%s)", arg[si],
					    ref.opt->argname);
				esctl_set_opt(p, &ref, val);
				break;
			}
			continue;
		}
		/* a word */
		if (p->group == NULL) {
			if ((p->group = esctl_find_group(arg)) == NULL) {
				if (strcmp(arg, "help") == 0) {
					p->gval[G_HELP] = "1";
					if (i + 1 < argc && (p->group =
					    esctl_find_group(argv[i + 1])) !=
					    NULL)
						i++;
					else if (i + 1 < argc)
						return es_err_set(err,
						    ES_EUSAGE, "UnknownCommand",
						    "unknown command '%s'",
						    argv[i + 1]);
					continue;
				}
				hint = esctl_suggest_group(arg);
				if (hint != NULL)
					return es_err_set(err, ES_EUSAGE,
					    "UnknownCommand", "unknown command "
					    "'%s' (did you mean '%s'?)", arg,
					    hint);
				return es_err_set(err, ES_EUSAGE,
				    "UnknownCommand", "unknown command '%s' "
				    "(see 'esctl --help')", arg);
			}
			if (p->group->verbs[0].name != NULL &&
			    p->group->verbs[0].name[0] == '\0') {
				p->verb = &p->group->verbs[0];
				vopts = p->verb->opts;
				esctl_args_init(&p->args, vopts);
			}
			continue;
		}
		if (p->verb == NULL) {
			p->verb = esctl_find_verb(p->group, arg, i + 1 < argc ?
			    argv[i + 1] : NULL, &used);
			if (p->verb == NULL && esctl_verb_prefix(p->group,
			    arg) && (i + 1 == argc || argv[i + 1][0] == '-')) {
				/* "tenant quota --help": the group's help */
				for (si = i + 1; si < argc; si++)
					if (strcmp(argv[si], "--help") == 0 ||
					    strcmp(argv[si], "-h") == 0) {
						p->gval[G_HELP] = "1";
						return 0;
					}
				return es_err_set(err, ES_EUSAGE,
				    "MissingVerb", "'esctl %s %s' needs a verb "
				    "(see 'esctl %s --help')", p->group->name,
				    arg, p->group->name);
			}
			if (p->verb == NULL) {
				const char *w2 = i + 1 < argc &&
				    argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
				char shown[160];

				hint = esctl_suggest_verb(p->group, arg, w2);
				snprintf(shown, sizeof shown, "%s%s%s", arg,
				    hint && w2 && strchr(hint, ' ') ? " " : "",
				    hint && w2 && strchr(hint, ' ') ? w2 : "");
				if (hint != NULL)
					return es_err_set(err, ES_EUSAGE,
					    "UnknownCommand", "unknown command "
					    "'%s %s' (did you mean '%s'?)",
					    p->group->name, shown, hint);
				return es_err_set(err, ES_EUSAGE,
				    "UnknownCommand", "unknown command '%s %s' "
				    "(see 'esctl %s --help')", p->group->name,
				    arg, p->group->name);
			}
			i += used - 1;
			vopts = p->verb->opts;
			esctl_args_init(&p->args, vopts);
			continue;
		}
		/*
		 * A group that is a command may have named verbs too
		 * (`esctl dashboard serve`): the first word, before any
		 * option of the group's own command, names one.
		 */
		if (p->verb == &p->group->verbs[0] && *p->verb->name == '\0' &&
		    p->args.argc == 0 && !esctl_args_set(&p->args)) {
			const struct esctl_verb *v2;

			v2 = esctl_find_verb(p->group, arg, i + 1 < argc ?
			    argv[i + 1] : NULL, &used);
			if (v2 != NULL && *v2->name != '\0') {
				p->verb = v2;
				i += used - 1;
				vopts = p->verb->opts;
				esctl_args_init(&p->args, vopts);
				continue;
			}
		}
		p->args.argv[p->args.argc++] = argv[i];
	}
	return 0;
}

int
args_has(const struct esctl_args *a, const char *name)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].long_name, name) == 0)
			return a->values[i] != NULL;
	fatal("BUG: no option '--%s' in this command's table", name);
}

const char *
args_get(const struct esctl_args *a, const char *name)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].long_name, name) == 0)
			return a->values[i];
	fatal("BUG: no option '--%s' in this command's table", name);
}

const char **
args_list(const struct esctl_args *a, const char *name, int *n)
{
	int i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].long_name, name) == 0) {
			*n = a->nlists[i];
			return a->lists[i];
		}
	fatal("BUG: no option '--%s' in this command's table", name);
}

int
args_int(const struct esctl_args *a, const char *name, long long min,
    long long max, long long def, long long *out, struct es_err *err)
{
	const char *v = args_get(a, name);
	char what[128];

	if (v == NULL) {
		*out = def;
		return 0;
	}
	snprintf(what, sizeof what, "--%s", name);
	return util_parse_int(v, what, min, max, out, err);
}

static void
esctl_log(void *arg, int level, const char *msg)
{
	struct esctl_ctx *ctx = arg;
	static const char *names[] = { "error", "warning", "info", "debug",
	    "trace" };

	fprintf(ctx->err, "esctl: %s: %s\n", names[level < 0 ? 0 :
	    level > 4 ? 4 : level], msg);
}

static char *
esctl_own(struct esctl_ctx *ctx, char *s)
{
	if (ctx->nowned >= (int)(sizeof ctx->owned / sizeof ctx->owned[0]))
		fatal("BUG: too many owned strings");
	ctx->owned[ctx->nowned++] = s;
	return s;
}

/* XDG base directory: $VAR, else $HOME/fallback. */
static char *
esctl_xdg(const char *var, const char *fallback, const char *leaf)
{
	const char *v = getenv(var), *home = getenv("HOME");

	if (v != NULL && *v == '/')
		return xasprintf("%s/esctl%s%s", v, *leaf ? "/" : "", leaf);
	if (home == NULL || *home == '\0')
		home = "/";
	return xasprintf("%s/%s/esctl%s%s", home, fallback, *leaf ? "/" : "",
	    leaf);
}

static const char *
esctl_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * Applies the precedence flag > environment > config file > default for
 * every global setting, loads the config and opens what the verb needs.
 */
static int
esctl_setup(struct esctl_ctx *ctx, struct esctl_parse *p, struct es_err *err)
{
	struct sigaction sa;
	const char *v, *color, *now;
	int flags;

	/* output decisions first: errors below honour -o json */
	if (out_format_parse(ctx, p->gval[G_OUTPUT], err) == -1 ||
	    out_sort_parse(ctx, p->gval[G_SORT_BY], err) == -1)
		return -1;
	ctx->no_headers = p->gval[G_NO_HEADERS] != NULL;
	if (p->gval[G_WATCH] != NULL || p->gval[G_WATCH_INTERVAL] != NULL) {
		if (p->verb == NULL || !(p->verb->flags & CMD_WATCH))
			return es_err_set(err, ES_EUSAGE, "BadOption", "-w/"
			    "--watch is not supported by 'esctl %s%s%s' "
			    "(see esctl(1), OUTPUT)", p->group->name,
			    *p->verb->name ? " " : "", p->verb->name);
		out_watch_start(ctx);
		/* before the first look: an interrupt then ends it too */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = esctl_on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ctx->quiet = p->gval[G_QUIET] != NULL;
	ctx->verbose = p->verbose;
	ctx->dry_run = p->gval[G_DRY_RUN] != NULL;
	ctx->yes = p->gval[G_YES] != NULL;
	ctx->log.fn = esctl_log;
	ctx->log.arg = ctx;
	ctx->log.level = ctx->verbose == 0 ? ES_LOG_WARN :
	    ctx->verbose == 1 ? ES_LOG_INFO : ctx->verbose == 2 ?
	    ES_LOG_DEBUG : ES_LOG_TRACE;

	if ((now = esctl_env("ESCTL_NOW")) != NULL) {
		if (util_time_parse(now, "ESCTL_NOW", time(NULL), &ctx->now,
		    err) == -1)
			return -1;
	} else
		ctx->now = time(NULL);

	/* configuration file */
	if ((v = p->gval[G_CONFIG]) != NULL ||
	    (v = esctl_env("ESCTL_CONFIG")) != NULL) {
		ctx->config_path = v;
		ctx->config_explicit = 1;
	} else
		ctx->config_path = esctl_own(ctx, esctl_xdg("XDG_CONFIG_HOME",
		    ".config", "config.yaml"));
	if (p->verb == NULL || !(p->verb->flags & CMD_NO_CONFIG)) {
		if (config_load(ctx->config_path, ctx->config_explicit,
		    &ctx->cfg, err) == -1)
			return -1;
	} else if (config_load(NULL, 0, &ctx->cfg, err) == -1)
		return -1;

	if (p->gval[G_OUTPUT] == NULL && out_format_parse(ctx, config_get(
	    ctx->cfg, "output"), err) == -1)
		return -1;

	color = config_get(ctx->cfg, "color");
	if (p->gval[G_NO_COLOR] != NULL || esctl_env("NO_COLOR") != NULL ||
	    (color != NULL && strcmp(color, "never") == 0)) {
		ctx->color = ctx->color_err = 0;
	} else if (color != NULL && strcmp(color, "always") == 0) {
		ctx->color = ctx->color_err = 1;
	} else {
		v = getenv("TERM");
		ctx->color = ctx->tty_out && !(v != NULL &&
		    strcmp(v, "dumb") == 0);
		ctx->color_err = ctx->tty_err && !(v != NULL &&
		    strcmp(v, "dumb") == 0);
	}

	/* paths */
	if ((v = p->gval[G_DB]) != NULL || (v = esctl_env("ESCTL_DB")) !=
	    NULL || (v = config_get(ctx->cfg, "db")) != NULL)
		ctx->db_path = v;
	else
		ctx->db_path = esctl_own(ctx, esctl_xdg("XDG_DATA_HOME",
		    ".local/share", "esctl.db"));
	if ((v = p->gval[G_DATA_DIR]) != NULL ||
	    (v = esctl_env("ESCTL_DATA_DIR")) != NULL ||
	    (v = config_get(ctx->cfg, "data_dir")) != NULL)
		ctx->data_dir = v;
	else
		ctx->data_dir = esctl_own(ctx, esctl_xdg("XDG_DATA_HOME",
		    ".local/share", ""));
	if ((v = p->gval[G_KUBECONFIG]) != NULL ||
	    (v = esctl_env("KUBECONFIG")) != NULL ||
	    (v = config_get(ctx->cfg, "kube.kubeconfig")) != NULL)
		ctx->kubeconfig = v;
	if ((v = p->gval[G_CONTEXT]) != NULL ||
	    (v = config_get(ctx->cfg, "kube.context")) != NULL)
		ctx->kube_context = v;
	if ((v = p->gval[G_TIMEOUT]) != NULL ||
	    (v = config_get(ctx->cfg, "kube.request_timeout")) != NULL)
		ctx->request_timeout = v;

	/* tenant scope */
	if ((v = p->gval[G_AS_USER]) != NULL ||
	    (v = config_get(ctx->cfg, "identity.user")) != NULL)
		ctx->as_user = v;
	if ((v = p->gval[G_AS_ORG]) != NULL ||
	    (v = config_get(ctx->cfg, "identity.org")) != NULL)
		ctx->as_org = v;
	if ((ctx->as_user != NULL && !util_valid_name(ctx->as_user, 63)) ||
	    (ctx->as_org != NULL && !util_valid_name(ctx->as_org, 63)))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid identity "
		    "'%s': names are [A-Za-z0-9._-], at most 63 characters",
		    ctx->as_user && !util_valid_name(ctx->as_user, 63) ?
		    ctx->as_user : ctx->as_org);

	/* what the verb declared it needs */
	if (p->verb != NULL && (p->verb->flags & CMD_NEEDS_DB)) {
		flags = 0;
		if (!(p->verb->flags & CMD_MUTATES) || ctx->dry_run)
			flags |= STORE_READONLY;
		if (p->verb->flags & CMD_FEW_PAGES)
			flags |= STORE_FEW_PAGES;
		/* --dry-run: not even an empty database file */
		if (ctx->dry_run)
			flags |= STORE_NOWRITE;
		if (store_open(ctx->db_path, flags, &ctx->store, err) == -1)
			return -1;
	}
	if (p->verb != NULL && (p->verb->flags & CMD_NEEDS_KUBE)) {
		struct kube_client *kc;

		if (ctx_kube(ctx, &kc, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Set by SIGINT while -w waits: the only file-level mutable variable of
 * esctl, as a signal handler can do nothing else.
 */
static volatile sig_atomic_t esctl_interrupted;

static void
esctl_on_sigint(int sig)
{
	(void)sig;
	esctl_interrupted = 1;
}

/*
 * -w: runs the verb again every --watch-interval until SIGINT; out_list /
 * out_item print only what changed.  An interrupt is a clean end (exit 0).
 */
static int
esctl_watch(struct esctl_ctx *ctx, struct esctl_parse *p,
    struct es_err *err)
{
	struct timespec ts;
	long long ms = 2000, slept;
	int rc = 0;

	if (p->gval[G_WATCH_INTERVAL] != NULL && util_parse_duration_ms(
	    p->gval[G_WATCH_INTERVAL], "--watch-interval", &ms, err) == -1)
		return -1;
	if (ms < 10)
		ms = 10;
	while (rc == 0 && !esctl_interrupted) {
		if (fflush(ctx->out) != 0)
			break;
		for (slept = 0; slept < ms && !esctl_interrupted;
		    slept += 10) {
			ts.tv_sec = 0;
			ts.tv_nsec = 10 * 1000000L;
			nanosleep(&ts, NULL);
		}
		if (esctl_interrupted)
			break;
		if (getenv("ESCTL_NOW") == NULL)
			ctx->now = time(NULL);
		rc = p->verb->exec(ctx, &p->args, err);
	}
	return rc;
}

/* Turns an error into stderr text (and JSON on stdout) and an exit code. */
static int
esctl_finish(struct esctl_ctx *ctx, int rc, struct es_err *err)
{
	cJSON *j, *e;
	char *shown;
	int code = ES_OK;

	if (rc != 0) {
		code = err->code != 0 ? err->code : ES_EFAIL;
		if (err->msg[0] == '\0')
			snprintf(err->msg, sizeof err->msg, "command failed");
		/* arguments quoted in a message may hold control characters */
		shown = util_escape_ctrl(err->msg);
		fprintf(ctx->err, "esctl: %serror:%s %s\n", ctx->color_err ?
		    "\033[31m" : "", ctx->color_err ? "\033[0m" : "", shown);
		free(shown);
		if (ctx->output == OUT_JSON) {
			j = cJSON_CreateObject();
			e = cJSON_AddObjectToObject(j, "error");
			cJSON_AddNumberToObject(e, "code", code);
			cJSON_AddStringToObject(e, "reason", err->reason[0] ?
			    err->reason : es_err_reason_for(code));
			cJSON_AddStringToObject(e, "message", err->msg);
			out_print_json(ctx, j);
			cJSON_Delete(j);
		}
	}
	/* git's run_builtin: a full disk must not look like success */
	if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
		fprintf(ctx->err, "esctl: error: cannot write output: %s\n",
		    strerror(errno));
		if (code == ES_OK)
			code = ES_EFAIL;
	}
	return code;
}

int
main(int argc, char **argv)
{
	struct esctl_ctx ctx;
	struct esctl_parse p;
	struct es_err err = ES_ERR_INIT;
	const struct esctl_verb *v;
	int rc = 0, code, i;

	/*
	 * Before SQLite starts, while there is one thread: no memory
	 * statistics (nothing reads them), so that no allocation of
	 * SQLite takes its global mutex (one a row of a big ingest).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	memset(&ctx, 0, sizeof ctx);
	ctx.out = stdout;
	ctx.err = stderr;
	ctx.tty_in = isatty(STDIN_FILENO);
	ctx.tty_out = isatty(STDOUT_FILENO);
	ctx.tty_err = isatty(STDERR_FILENO);
	ctx.output = OUT_TABLE;

	if (esctl_parse(&ctx, argc, argv, &p, &err) == -1) {
		/* honour -o json even when parsing failed half-way */
		if (p.gval[G_OUTPUT] != NULL &&
		    strcmp(p.gval[G_OUTPUT], "json") == 0)
			ctx.output = OUT_JSON;
		rc = -1;
		goto done;
	}
	ctx.group = p.group;
	ctx.verb = p.verb;
	if (p.gval[G_VERSION] != NULL && p.gval[G_HELP] == NULL) {
		fprintf(ctx.out, "esctl %s\n", ESCTL_VERSION);
		goto done;
	}
	if (p.gval[G_HELP] != NULL || p.group == NULL ||
	    (p.verb == NULL && p.group != NULL)) {
		if (p.group == NULL)
			help_main(&ctx, ctx.out);
		else if (p.verb == NULL)
			help_group(&ctx, ctx.out, p.group);
		else
			help_verb(&ctx, ctx.out, p.group, p.verb);
		goto done;
	}
	v = p.verb;
	if (p.args.argc < v->nargs_min || (v->nargs_max >= 0 &&
	    p.args.argc > v->nargs_max)) {
		struct es_buf u = ES_BUF_INIT;

		help_usage_line(&u, p.group, v, 0, 0);
		if (p.args.argc < v->nargs_min)
			es_err_set(&err, ES_EUSAGE, "MissingArgument",
			    "missing argument%s %s\nusage: %s", v->nargs_min -
			    p.args.argc > 1 ? "s" : "", v->args ? v->args : "",
			    u.data);
		else
			es_err_set(&err, ES_EUSAGE, "TooManyArguments",
			    "unexpected argument '%s'\nusage: %s",
			    p.args.argv[v->nargs_max], u.data);
		es_buf_release(&u);
		rc = -1;
		goto done;
	}
	for (i = 0; i < p.args.nopts; i++) {
		const struct esctl_opt *o = &p.args.opts[i];

		if ((o->flags & OPT_REQUIRED) && p.args.values[i] == NULL) {
			rc = es_err_set(&err, ES_EUSAGE, "MissingOption",
			    "option '--%s' is required", o->long_name);
			goto done;
		}
		if (o->type == OPT_INT && p.args.values[i] != NULL) {
			long long dummy;
			char what[128];

			snprintf(what, sizeof what, "--%s", o->long_name);
			if (util_parse_int(p.args.values[i], what, -(1LL << 62),
			    1LL << 62, &dummy, &err) == -1) {
				rc = -1;
				goto done;
			}
		}
	}
	if (esctl_setup(&ctx, &p, &err) == -1) {
		rc = -1;
		goto done;
	}
	rc = v->exec(&ctx, &p.args, &err);
	if (rc == 0 && ctx.watch != NULL)
		rc = esctl_watch(&ctx, &p, &err);
done:
	code = esctl_finish(&ctx, rc, &err);
	kube_close(ctx.kube);
	store_close(ctx.store);
	config_free(ctx.cfg);
	out_release(&ctx);
	for (i = 0; i < ctx.nowned; i++)
		free(ctx.owned[i]);
	esctl_args_release(&p.args);
	if (fclose(stdout) != 0 && code == ES_OK) {
		fprintf(stderr, "esctl: error: cannot write output: %s\n",
		    strerror(errno));
		code = ES_EFAIL;
	}
	return code;
}
