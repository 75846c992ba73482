/*
 * help.c - help text, usage lines and the man-page SYNOPSIS, all walked
 * from the command tables so that they cannot drift apart.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int	 help_exec_synopsis(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static void
help_opt_usage(struct es_buf *b, const struct esctl_opt *o)
{
	int req = (o->flags & OPT_REQUIRED) != 0;

	if (!req)
		es_buf_addch(b, '[');
	es_buf_addf(b, "--%s", o->long_name);
	if (o->argname != NULL)
		es_buf_addf(b, " %s", o->argname);
	/* as the man SYNOPSIS renders it: [--opt ARG ...] */
	if (o->type == OPT_LIST)
		es_buf_adds(b, " ...");
	if (!req)
		es_buf_addch(b, ']');
}

void
help_usage_line(struct es_buf *b, const struct esctl_group *g,
    const struct esctl_verb *v, int width, int lead)
{
	const struct esctl_opt *o;
	struct es_buf item = ES_BUF_INIT;
	size_t linestart = b->len, indent;

	es_buf_addf(b, "esctl %s%s%s", g->name, *v->name ? " " : "", v->name);
	indent = b->len - linestart + 1 + (size_t)lead;
	width -= lead;
	for (o = v->opts; o != NULL && o->long_name != NULL; o++) {
		if (o->flags & OPT_HIDDEN)
			continue;
		es_buf_reset(&item);
		help_opt_usage(&item, o);
		if (width > 0 && b->len - linestart + 1 + item.len >
		    (size_t)width) {
			es_buf_addch(b, '\n');
			es_buf_addf(b, "%*s", (int)indent - 1, "");
			linestart = b->len - (indent - 1) + (size_t)lead;
		}
		es_buf_addch(b, ' ');
		es_buf_add(b, item.data, item.len);
	}
	if (v->args != NULL && *v->args != '\0') {
		if (width > 0 && b->len - linestart + 1 + strlen(v->args) >
		    (size_t)width) {
			es_buf_addch(b, '\n');
			es_buf_addf(b, "%*s", (int)indent - 1, "");
		}
		es_buf_addf(b, " %s", v->args);
	}
	es_buf_release(&item);
}

static void
help_opts(FILE *fp, const struct esctl_opt *opts)
{
	const struct esctl_opt *o;
	char left[96];

	for (o = opts; o != NULL && o->long_name != NULL; o++) {
		if (o->flags & OPT_HIDDEN)
			continue;
		if (o->short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    o->short_name, o->long_name, o->argname ? " " : "",
			    o->argname ? o->argname : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s",
			    o->long_name, o->argname ? " " : "",
			    o->argname ? o->argname : "");
		if (strlen(left) > 24)
			fprintf(fp, "  %s\n  %-24s  %s%s\n", left, "", o->help,
			    o->flags & OPT_REQUIRED ? " (required)" : "");
		else
			fprintf(fp, "  %-24s  %s%s\n", left, o->help,
			    o->flags & OPT_REQUIRED ? " (required)" : "");
	}
}

void
help_main(struct esctl_ctx *ctx, FILE *fp)
{
	const struct esctl_group *g;
	int i;

	fprintf(fp, "%sesctl%s - run ES Serverless vector-search services and "
	    "elastic node pools\non Kubernetes\n\n", out_bold(ctx),
	    out_reset(ctx));
	fprintf(fp, "usage: esctl [global options] GROUP VERB [options] "
	    "[args]\n\nCommands:\n");
	for (i = 0; (g = esctl_groups[i]) != NULL; i++) {
		if (g->name[0] == '_')
			continue;
		fprintf(fp, "  %-12s  %s\n", g->name, g->summary);
	}
	fprintf(fp, "\nGlobal options (accepted before the group or after the "
	    "verb):\n");
	help_opts(fp, esctl_global_opts);
	fprintf(fp, "\nRun 'esctl help GROUP' or 'esctl GROUP VERB --help' for "
	    "more, and see esctl(1).\n");
}

void
help_group(struct esctl_ctx *ctx, FILE *fp, const struct esctl_group *g)
{
	const struct esctl_verb *v;
	size_t w = 0;

	if (g->verbs[0].name != NULL && g->verbs[0].name[0] == '\0') {
		help_verb(ctx, fp, g, &g->verbs[0]);
		return;
	}
	fprintf(fp, "%sesctl %s%s - %s\n\n", out_bold(ctx), g->name,
	    out_reset(ctx), g->summary);
	if (g->help != NULL)
		fprintf(fp, "%s\n\n", g->help);
	fprintf(fp, "usage: esctl %s VERB [options] [args]\n\nVerbs:\n",
	    g->name);
	for (v = g->verbs; v->name != NULL; v++)
		if (!(v->flags & CMD_HIDDEN) && strlen(v->name) > w)
			w = strlen(v->name);
	for (v = g->verbs; v->name != NULL; v++) {
		if (v->flags & CMD_HIDDEN)
			continue;
		fprintf(fp, "  %-*s  %s\n", (int)w, v->name, v->summary);
	}
	fprintf(fp, "\nRun 'esctl %s VERB --help' for a verb's options; see "
	    "esctl-%s(1).\n", g->name, g->name);
}

void
help_verb(struct esctl_ctx *ctx, FILE *fp, const struct esctl_group *g,
    const struct esctl_verb *v)
{
	struct es_buf b = ES_BUF_INIT;

	help_usage_line(&b, g, v, 79, 7);
	fprintf(fp, "usage: %s\n\n%c%s.\n", b.data, toupper((unsigned char)
	    v->summary[0]), v->summary + 1);
	es_buf_release(&b);
	if (v->help != NULL)
		fprintf(fp, "\n%s\n", v->help);
	if (v->opts != NULL && v->opts[0].long_name != NULL) {
		fprintf(fp, "\nOptions:\n");
		help_opts(fp, v->opts);
	}
	fprintf(fp, "\nGlobal options such as -o/--output, --db and --dry-run "
	    "are accepted too\n(see 'esctl --help').%s\n",
	    (v->flags & CMD_CONFIRM) ? " Asks for confirmation on a "
	    "terminal; pass --yes in scripts." : "");
	(void)ctx;
}

/*
 * esctl __man-synopsis GROUP: the mdoc SYNOPSIS lines of a group's man
 * page, generated from the table (a test checks man/ against it).
 */
static int
help_exec_synopsis(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const struct esctl_group *g;
	const struct esctl_verb *v;
	const struct esctl_opt *o;
	char *a, *tok, *save;

	if ((g = esctl_find_group(args->argv[0])) == NULL)
		return es_err_set(err, ES_ENOTFOUND, NULL, "no command group "
		    "'%s'", args->argv[0]);
	for (v = g->verbs; v->name != NULL; v++) {
		if (v->flags & CMD_HIDDEN)
			continue;
		fprintf(ctx->out, ".Nm esctl\n.Cm %s%s%s\n", g->name,
		    *v->name ? " " : "", v->name);
		for (o = v->opts; o != NULL && o->long_name != NULL; o++) {
			if (o->flags & OPT_HIDDEN)
				continue;
			fprintf(ctx->out, "%s Fl \\-%s%s%s%s\n",
			    o->flags & OPT_REQUIRED ? "." : ".Op",
			    o->long_name, o->argname ? " Ar " : "",
			    o->argname ? o->argname : "",
			    o->type == OPT_LIST ? " No ..." : "");
		}
		if (v->args != NULL && *v->args != '\0') {
			a = xstrdup(v->args);
			for (tok = strtok_r(a, " ", &save); tok != NULL;
			    tok = strtok_r(NULL, " ", &save)) {
				size_t l = strlen(tok);

				if (tok[0] == '[' && tok[l - 1] == ']') {
					tok[l - 1] = '\0';
					fprintf(ctx->out, ".Op Ar %s\n",
					    tok + 1);
				} else
					fprintf(ctx->out, ".Ar %s\n", tok);
			}
			free(a);
		}
	}
	return 0;
}

static const struct esctl_verb help_synopsis_verbs[] = {
	{ "", "GROUP", "print the mdoc SYNOPSIS of a group's man page", NULL,
	    NULL, 1, 1, CMD_OFFLINE | CMD_NO_CONFIG, NULL,
	    help_exec_synopsis },
	VERB_END
};

const struct esctl_group esctl_group_man_synopsis = {
	"__man-synopsis", "print a man page SYNOPSIS", NULL,
	help_synopsis_verbs
};
