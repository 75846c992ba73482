/*
 * logs.c - esctl logs: container logs of an ES service's pods through the
 * Kubernetes API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

static int	cmd_logs(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

struct logs_state {
	struct esctl_ctx	*ctx;
	struct kube_log_target	*t;
	char			**label;	/* per target, or NULL */
	size_t			 n;
	int			 follow;
	int			 failed;
};

/* Prints one log line (prefixed when there are several streams). */
static int
logs_line(void *arg, size_t i, const char *text, size_t len)
{
	struct logs_state *s = arg;
	struct esctl_ctx *ctx = s->ctx;
	cJSON *j;
	char *line;

	if (out_wants_json(ctx)) {
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "namespace", s->t[i].namespace);
		cJSON_AddStringToObject(j, "pod", s->t[i].pod);
		cJSON_AddStringToObject(j, "container", s->t[i].container ?
		    s->t[i].container : "");
		line = xstrndup(text, len);
		cJSON_AddStringToObject(j, "line", line);
		free(line);
		out_stream_item(ctx, j);
		cJSON_Delete(j);
	} else {
		if (s->label != NULL && s->label[i] != NULL)
			fprintf(ctx->out, "%s[%s]%s ", out_bold(ctx),
			    s->label[i], out_reset(ctx));
		fwrite(text, 1, len, ctx->out);
		fputc('\n', ctx->out);
	}
	if (s->follow)
		fflush(ctx->out);
	if (ferror(ctx->out)) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

/* Adds the containers of one pod as targets. */
static void
logs_add_pod(struct logs_state *s, const cJSON *pod, const char *container)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, kube_item(pod, "spec.containers")) {
		const char *cn = kube_str(c, "name");

		if (cn == NULL || (container != NULL && strcmp(cn,
		    container) != 0))
			continue;
		s->t = xreallocarray(s->t, s->n + 1, sizeof *s->t);
		s->t[s->n].namespace = kube_str(pod, "metadata.namespace");
		s->t[s->n].pod = kube_str(pod, "metadata.name");
		s->t[s->n].container = cn;
		s->n++;
	}
}

static int
cmd_logs(struct esctl_ctx *ctx, struct esctl_args *args, struct es_err *err)
{
	struct logs_state s;
	struct kube_log_opts lo;
	struct kube_list_opts li;
	struct kube_client *kc;
	struct kube_ref r;
	const char *ns = args->argv[0], *pod = args->argc > 1 ?
	    args->argv[1] : NULL, *since = args_get(args, "since");
	const char *container = args_get(args, "container");
	char ts[UTIL_TIME_LEN];
	cJSON *obj = NULL;
	const cJSON *p;
	long long tail, maxs, ms;
	time_t t;
	size_t i, npods;
	int rc = -1;

	memset(&s, 0, sizeof s);
	memset(&lo, 0, sizeof lo);
	s.ctx = ctx;
	if (!util_dns1123_label(ns))
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
		    "namespace '%s': a DNS-1123 label", ns);
	if (args_int(args, "tail", -1, 1000000000, -1, &tail, err) == -1 ||
	    args_int(args, "max-streams", 1, 1000, 10, &maxs, err) == -1)
		return -1;
	lo.follow = s.follow = args_has(args, "follow");
	lo.timestamps = args_has(args, "timestamps");
	lo.previous = args_has(args, "previous");
	if (tail >= 0) {
		lo.tail_set = 1;
		lo.tail_lines = (long)tail;
	}
	if (since != NULL) {
		struct es_err e2 = ES_ERR_INIT;

		if (util_parse_duration_ms(since, "--since", &ms, &e2) == 0) {
			lo.since_seconds = (long)((ms + 999) / 1000);
			if (lo.since_seconds == 0)
				lo.since_seconds = 1;
		} else if (util_time_parse(since, "--since", ctx->now, &t,
		    &e2) == 0) {
			util_time_format(t, ts);
			lo.since_time = ts;
		} else
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "value '%s' for --since: a duration (10m, 1h) or a "
			    "time (2024-01-01T00:00:00Z)", since);
	}
	if (ctx_kube(ctx, &kc, err) == -1)
		return -1;
	if (ctx_kube_ns_check(ctx, kc, ns, err) == -1)
		return -1;
	if (pod != NULL) {
		kube_ref_init(&r, "pods", ns, pod, NULL);
		if (kube_get(kc, &r, &obj, err) == -1)
			return -1;
		logs_add_pod(&s, obj, container);
		npods = 1;
	} else {
		memset(&li, 0, sizeof li);
		li.label_selector = args_get(args, "selector");
		kube_ref_init(&r, "pods", ns, NULL, NULL);
		if (kube_list(kc, &r, &li, &obj, err) == -1)
			return -1;
		npods = 0;
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(obj, "items")) {
			const char *phase = kube_str(p, "status.phase");

			/* pods that never ran have no logs yet */
			if (phase == NULL || strcmp(phase, "Pending") == 0) {
				ctx_warn(ctx, "pod '%s' has not started yet",
				    kube_str(p, "metadata.name"));
				continue;
			}
			logs_add_pod(&s, p, container);
			npods++;
		}
		if (npods == 0) {
			es_err_set(err, ES_ENOTFOUND, "NotFound", "no running "
			    "pods in namespace '%s'%s%s", ns,
			    li.label_selector ? " matching " : "",
			    li.label_selector ? li.label_selector : "");
			goto out;
		}
	}
	if (s.n == 0) {
		es_err_set(err, ES_ENOTFOUND, "NotFound", "no container '%s' "
		    "in %s", container ? container : "", pod ? pod :
		    "the pods");
		goto out;
	}
	if (lo.follow && s.n > (size_t)maxs) {
		es_err_set(err, ES_EUSAGE, "TooManyStreams", "following %zu "
		    "log streams, more than --max-streams %lld: name a POD, a "
		    "--container or a --selector", s.n, maxs);
		goto out;
	}
	if (s.n > 1) {
		s.label = xcalloc(s.n, sizeof *s.label);
		for (i = 0; i < s.n; i++)
			s.label[i] = npods > 1 ? xasprintf("%s/%s", s.t[i].pod,
			    s.t[i].container) : xstrdup(s.t[i].container);
	}
	rc = kube_logs(kc, s.t, s.n, &lo, logs_line, &s, err);
	if (rc == 0 && s.failed)
		rc = es_err_set(err, ES_EFAIL, NULL, "cannot write the logs");
out:
	if (s.label != NULL)
		for (i = 0; i < s.n; i++)
			free(s.label[i]);
	free(s.label);
	free(s.t);
	cJSON_Delete(obj);
	return rc;
}

static const struct esctl_opt logs_opts[] = {
	{ 'f', "follow", NULL, "keep printing new lines until the pods end",
	    OPT_BOOL, 0, NULL },
	{ 0, "since", "DURATION|TIME", "only lines newer than 10m, 2h or an "
	    "RFC 3339 time", OPT_STRING, 0, NULL },
	{ 'c', "container", "NAME", "only this container", OPT_STRING, 0,
	    NULL },
	{ 0, "tail", "N", "only the last N lines of each container",
	    OPT_INT, 0, NULL },
	{ 0, "timestamps", NULL, "prefix each line with its time", OPT_BOOL, 0,
	    NULL },
	{ 0, "previous", NULL, "the previous, terminated container",
	    OPT_BOOL, 0, NULL },
	{ 'l', "selector", "SELECTOR", "only pods with these labels (without "
	    "POD)", OPT_STRING, 0, NULL },
	{ 0, "max-streams", "N", "most streams to follow at once (10)",
	    OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_verb logs_verbs[] = {
	{ "", "NAMESPACE [POD]", "print container logs of an ES service",
	    "Without POD, the logs of every running pod in NAMESPACE (each "
	    "line prefixed\nwith [pod/container]).  With -f, all streams are "
	    "followed at once until the\npods end.  With -o json, one JSON "
	    "object per line: namespace, pod, container,\nline.", logs_opts,
	    1, 2, CMD_NEEDS_KUBE, "namespace", cmd_logs },
	VERB_END
};

const struct esctl_group esctl_group_logs = {
	"logs", "container logs through the Kubernetes API", NULL, logs_verbs
};
