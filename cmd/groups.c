/*
 * groups.c - the command table: every group and the global options.
 * Data only: the dispatcher (esctl.c), help (help.c) and completion
 * (completion.c) all read it from here, so none of them depends on
 * another's tables.
 */
#include <stddef.h>
#include <string.h>

#include "cmd.h"

extern const struct esctl_group esctl_group_cluster;
extern const struct esctl_group esctl_group_tenant;
extern const struct esctl_group esctl_group_config;
extern const struct esctl_group esctl_group_report;
extern const struct esctl_group esctl_group_deployment;
extern const struct esctl_group esctl_group_index;
extern const struct esctl_group esctl_group_search;
extern const struct esctl_group esctl_group_k8s;
extern const struct esctl_group esctl_group_container;
extern const struct esctl_group esctl_group_logs;
extern const struct esctl_group esctl_group_snapshot;
extern const struct esctl_group esctl_group_strategy;
extern const struct esctl_group esctl_group_order;
extern const struct esctl_group esctl_group_node;
extern const struct esctl_group esctl_group_maintenance;
extern const struct esctl_group esctl_group_device;
extern const struct esctl_group esctl_group_duty;
extern const struct esctl_group esctl_group_notify;
extern const struct esctl_group esctl_group_metrics;
extern const struct esctl_group esctl_group_monitor;
extern const struct esctl_group esctl_group_autoscale;
extern const struct esctl_group esctl_group_dashboard;
extern const struct esctl_group esctl_group_version;
extern const struct esctl_group esctl_group_completion;
extern const struct esctl_group esctl_group_complete;
extern const struct esctl_group esctl_group_man_synopsis;
extern const struct esctl_group esctl_group_kubereq;

/* Every command group, in the order `esctl --help` lists them. */
const struct esctl_group *const esctl_groups[] = {
	&esctl_group_cluster,
	&esctl_group_tenant,
	&esctl_group_deployment,
	&esctl_group_report,
	&esctl_group_config,
	&esctl_group_index,
	&esctl_group_search,
	&esctl_group_k8s,
	&esctl_group_container,
	&esctl_group_logs,
	&esctl_group_metrics,
	&esctl_group_monitor,
	&esctl_group_autoscale,
	&esctl_group_snapshot,
	&esctl_group_strategy,
	&esctl_group_order,
	&esctl_group_node,
	&esctl_group_maintenance,
	&esctl_group_device,
	&esctl_group_duty,
	&esctl_group_notify,
	&esctl_group_dashboard,
	&esctl_group_version,
	&esctl_group_completion,
	&esctl_group_complete,		/* hidden: names start with "_" */
	&esctl_group_man_synopsis,
	&esctl_group_kubereq,
	NULL
};

const struct esctl_opt esctl_global_opts[] = {
	{ 0, "db", "PATH", "SQLite database (env ESCTL_DB)", OPT_STRING, 0,
	    "file" },
	{ 0, "data-dir", "DIR", "reports, logs, indexes, git cache "
	    "(env ESCTL_DATA_DIR)", OPT_STRING, 0, "dir" },
	{ 0, "config", "FILE", "configuration file (env ESCTL_CONFIG)",
	    OPT_STRING, 0, "file" },
	{ 0, "kubeconfig", "PATH", "kubeconfig file(s), colon-separated "
	    "(env KUBECONFIG)", OPT_STRING, 0, "file" },
	{ 0, "context", "NAME", "kubeconfig context", OPT_STRING, 0,
	    "context" },
	{ 0, "request-timeout", "DURATION", "timeout of one API request",
	    OPT_STRING, 0, NULL },
	{ 0, "as-user", "USER", "act within this user's tenant scope",
	    OPT_STRING, 0, "user" },
	{ 0, "as-org", "ORG", "act within this org's tenant scope",
	    OPT_STRING, 0, "org" },
	{ 'o', "output", "FORMAT", "table, wide, json, yaml, name, "
	    "jsonpath=TEMPLATE or custom-columns=SPEC", OPT_STRING, 0,
	    "=table wide json yaml name jsonpath= custom-columns=" },
	{ 0, "no-headers", NULL, "print tables without the header line",
	    OPT_BOOL, 0, NULL },
	{ 0, "sort-by", "FIELD", "sort lists by a field path (.name)",
	    OPT_STRING, 0, NULL },
	{ 'w', "watch", NULL, "list, get: print changes until interrupted",
	    OPT_BOOL, 0, NULL },
	{ 0, "watch-interval", "DURATION", "how often -w looks (default 2s)",
	    OPT_STRING, 0, NULL },
	{ 'q', "quiet", NULL, "print only results and errors", OPT_BOOL, 0,
	    NULL },
	{ 'v', "verbose", NULL, "more detail on stderr (repeat for more)",
	    OPT_BOOL, 0, NULL },
	{ 0, "no-color", NULL, "never colour output (also NO_COLOR)",
	    OPT_BOOL, 0, NULL },
	{ 0, "dry-run", NULL, "show what would change; change nothing",
	    OPT_BOOL, 0, NULL },
	{ 'y', "yes", NULL, "do not ask for confirmation", OPT_BOOL, 0,
	    NULL },
	{ 'h', "help", NULL, "show help", OPT_BOOL, 0, NULL },
	{ 0, "version", NULL, "show the version", OPT_BOOL, 0, NULL },
	OPT_END
};

const struct esctl_group *
esctl_find_group(const char *name)
{
	int i;

	for (i = 0; esctl_groups[i] != NULL; i++)
		if (strcmp(esctl_groups[i]->name, name) == 0)
			return esctl_groups[i];
	return NULL;
}
