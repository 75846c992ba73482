/*
 * config.c - esctl config: deployment configuration repositories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

static int	cmd_config_pull(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

/*
 * Fetches a repository as cluster create would and shows what it holds:
 * the commit, the esctl.yaml values and the manifests.
 */
static int
cmd_config_pull(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct lc_gitlab gl;
	struct gitcfg *g = NULL;
	const struct doc_node *values;
	const struct gitcfg_file *files;
	const char *url = args->argc > 0 ? args->argv[0] : NULL;
	size_t n, i;
	cJSON *j, *arr;
	int rc = -1;

	if (lc_gitlab(ctx, url, args_get(args, "ref"), args_get(args, "path"),
	    &gl, err) == -1)
		goto done;
	if (gl.opts.url == NULL) {
		es_err_set(err, ES_EUSAGE, "MissingArgument", "no repository: "
		    "give a URL or set gitlab.url in the configuration");
		goto done;
	}
	if (gitcfg_check_url(gl.opts.url, err) == -1)
		goto done;
	if (gitcfg_open(&gl.opts, &g, err) == -1 ||
	    gitcfg_values(g, &values, err) == -1 ||
	    gitcfg_manifests(g, &files, &n, err) == -1)
		goto done;
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "url", gitcfg_url(g));
	if (gitcfg_ref(g) != NULL)
		cJSON_AddStringToObject(j, "ref", gitcfg_ref(g));
	else
		cJSON_AddNullToObject(j, "ref");
	cJSON_AddStringToObject(j, "path", gitcfg_path(g));
	cJSON_AddStringToObject(j, "commit", gitcfg_commit(g));
	cJSON_AddStringToObject(j, "cache", gitcfg_cache(g));
	cJSON_AddBoolToObject(j, "esctl_yaml", values != NULL);
	cJSON_AddItemToObject(j, "values", values != NULL ?
	    doc_to_json(values) : cJSON_CreateNull());
	arr = cJSON_AddArrayToObject(j, "manifests");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(files[i].name));
	cJSON_AddBoolToObject(j, "builtin_resources", gitcfg_builtin(g));
	rc = out_item(ctx, j, "commit", err);
	cJSON_Delete(j);
done:
	gitcfg_free(g);
	lc_gitlab_release(&gl);
	return rc;
}

static const struct esctl_opt pull_opts[] = {
	{ 0, "ref", "REF", "branch, tag or commit (default: the fragment "
	    "or the default branch)", OPT_STRING, 0, NULL },
	{ 0, "path", "DIR", "directory inside the repository", OPT_STRING, 0,
	    NULL },
	OPT_END
};

static const struct esctl_verb config_verbs[] = {
	{ "pull", "[URL]", "fetch a GitLab configuration repository",
	    "Clones (or fetches) the repository into the data directory as "
	    "cluster create does,\nresolves the ref and shows the commit, the "
	    "values of its esctl.yaml and the\nmanifests it would apply.  URL "
	    "may carry #REF or #REF:PATH; without URL,\ngitlab.url of the "
	    "configuration is used.  The token (ESCTL_GITLAB_TOKEN,\n"
	    "gitlab.token_file or gitlab.token) is never printed.", pull_opts,
	    0, 1, 0, NULL, cmd_config_pull },
	VERB_END
};

const struct esctl_group esctl_group_config = {
	"config", "deployment configuration from GitLab",
	"A GitLab repository can hold an esctl.yaml (defaults for cluster "
	"create, image\nnames, Elasticsearch settings) and Kubernetes "
	"manifests applied with each\nservice; see esctl-config(1).",
	config_verbs
};
