/*
 * version.c - `esctl version`: the client's version, build and libraries,
 * and the Kubernetes server's version when a kubeconfig is known.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "version.h"

static int	cmd_version(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static const struct esctl_opt version_opts[] = {
	{ 0, "client", NULL, "the client only: do not ask the server",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_verb version_verbs[] = {
	{ "", NULL, "show the client, library and server versions",
	    "Prints esctl's version, the compiler it was built with and the "
	    "version of every\nlibrary it uses, as each library reports it "
	    "at run time.  With a kubeconfig\n(--kubeconfig, KUBECONFIG or "
	    "kube.kubeconfig) and without --client, also the\nKubernetes "
	    "server's version from /version.  -o json|yaml prints\n"
	    "{\"client_version\": {...}, \"server_version\": {...}}.",
	    version_opts, 0, 0, 0, NULL, cmd_version },
	VERB_END
};

const struct esctl_group esctl_group_version = {
	"version", "client, library and server versions", NULL, version_verbs
};

static int
cmd_version(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct kube_client *kc;
	const cJSON *e;
	cJSON *j, *client, *server = NULL;
	int rc = 0;

	j = cJSON_CreateObject();
	client = version_client();
	cJSON_AddItemToObject(j, "client_version", client);
	if (!args_has(args, "client") && ctx->kubeconfig != NULL) {
		if (ctx_kube(ctx, &kc, err) == -1 ||
		    kube_version(kc, &server, err) == -1)
			rc = -1;
		else
			cJSON_AddItemToObject(j, "server_version", server);
	}
	if (out_wants_json(ctx) || ctx->output == OUT_NAME) {
		if (out_item(ctx, j, "client_version.version", err) == -1)
			rc = -1;
		cJSON_Delete(j);
		return rc;
	}
	fprintf(ctx->out, "Client Version: %s\n", kube_str(client,
	    "version"));
	if (kube_str(client, "compiler") != NULL)
		fprintf(ctx->out, "Build: %s, %s\n", kube_str(client,
		    "compiler"), kube_str(client, "c_standard"));
	fprintf(ctx->out, "Libraries:");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(client, "libraries"))
		fprintf(ctx->out, "%s %s %s", e == cJSON_GetObjectItem(client,
		    "libraries")->child ? "" : ",", e->string, e->valuestring);
	fputc('\n', ctx->out);
	if (server != NULL)
		fprintf(ctx->out, "Server Version: %s\n", kube_str(server,
		    "gitVersion") ? kube_str(server, "gitVersion") : "<none>");
	cJSON_Delete(j);
	return rc;
}
