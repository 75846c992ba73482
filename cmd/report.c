/*
 * report.c - esctl report: the deployment reports of ES service creation
 * (SPEC 3.2): list, show, log, stats and the delivery outbox.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "lifecycle.h"
#include "util.h"

static int	cmd_report_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_report_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_report_log(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_report_stats(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_report_flush(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	report_filter_args(struct esctl_ctx *, struct esctl_args *,
		    struct report_filter *, char *, size_t, struct es_err *);
static cJSON	*report_object(const cJSON *);
static void	report_sleep_ms(long);
static size_t	report_tail_start(const struct es_buf *, long long);
static void	report_log_print(struct esctl_ctx *, const cJSON *);
static int	report_log_db(struct esctl_ctx *, struct report_filter *,
		    long long *, struct es_err *);

static const struct out_col report_cols[] = {
	{ "TIME", "timestamp", 0 },
	{ "ORG", "tenant_org_id", OUT_COL_WIDE },
	{ "USER", "user", 0 },
	{ "SERVICE", "service_name", 0 },
	{ "NAMESPACE", "namespace", OUT_COL_WIDE },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "MESSAGE", "message", 0 },
	{ "DELIVERY", "delivery", OUT_COL_WIDE },
	{ "ID", "report_id", OUT_COL_NAME | OUT_COL_WIDE },
	OUT_COL_END
};

static const struct out_col stats_cols[] = {
	{ "STATUS", "status", OUT_COL_NAME | OUT_COL_STATUS },
	{ "COUNT", "count", OUT_COL_RIGHT },
	OUT_COL_END
};

static void
report_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Filters from the common options, within the tenant scope. */
static int
report_filter_args(struct esctl_ctx *ctx, struct esctl_args *args,
    struct report_filter *f, char *since, size_t sincelen,
    struct es_err *err)
{
	const char *v;
	time_t t;

	memset(f, 0, sizeof *f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f->org, err) == -1 ||
	    ctx_user(ctx, args_get(args, "user"), &f->user, err) == -1)
		return -1;
	f->service = args_get(args, "service");
	f->status = args_get(args, "status");
	if ((v = args_get(args, "since")) != NULL) {
		if (util_since_parse(v, "--since", ctx->now, &t, err) == -1)
			return -1;
		util_time_format(t, since);
		(void)sincelen;
		f->since = since;
	}
	return 0;
}

/*
 * Within a tenant scope, --namespace naming another tenant's service is
 * refused (exit 7) like --org naming another org, not answered with an
 * empty list.
 */
static int
report_ns_scope(struct esctl_ctx *ctx, const char *ns, struct es_err *err)
{
	struct cluster_filter cf;
	cJSON *list, *item;
	int rc = 0;

	if (ctx->as_org == NULL && ctx->as_user == NULL)
		return 0;
	memset(&cf, 0, sizeof cf);
	if (cluster_deployments(ctx->store, &cf, ns, &list, err) == -1)
		return -1;
	if ((item = cJSON_GetArrayItem(list, 0)) != NULL)
		rc = ctx_scope_check(ctx, cJSON_GetStringValue(
		    cJSON_GetObjectItem(item, "tenant_org_id")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(item, "user")),
		    err);
	cJSON_Delete(list);
	return rc;
}

static int
cmd_report_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct report_filter f;
	char since[UTIL_TIME_LEN];
	long long limit;
	cJSON *list;
	int rc;

	if (report_filter_args(ctx, args, &f, since, sizeof since, err) == -1)
		return -1;
	f.namespace = args_get(args, "namespace");
	if (f.namespace != NULL && report_ns_scope(ctx, f.namespace,
	    err) == -1)
		return -1;
	if (args_int(args, "limit", 1, 1000000, 0, &limit, err) == -1)
		return -1;
	if (limit > 0) {
		/* the newest N, shown oldest first */
		f.limit = limit;
		f.newest_first = 1;
	}
	if (report_list(ctx->store, &f, &list, err) == -1)
		return -1;
	if (limit > 0) {
		cJSON *rev = cJSON_CreateArray(), *e;

		while ((e = cJSON_DetachItemFromArray(list,
		    cJSON_GetArraySize(list) - 1)) != NULL)
			cJSON_AddItemToArray(rev, e);
		cJSON_Delete(list);
		list = rev;
	}
	rc = out_list(ctx, list, report_cols, err);
	cJSON_Delete(list);
	return rc;
}

/* The report as written to its file, plus its id and delivery state. */
static cJSON *
report_object(const cJSON *row)
{
	static const char *keys[] = { "user", "service_name", "namespace",
	    "tenant_org_id", "status", "message", "timestamp", "details" };
	const cJSON *extra, *e;
	cJSON *j;
	size_t i;

	j = cJSON_CreateObject();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cJSON_AddItemToObject(j, keys[i], cJSON_Duplicate(
		    cJSON_GetObjectItem(row, keys[i]), 1));
	extra = cJSON_GetObjectItem(row, "extra");
	if (cJSON_IsObject(extra))
		cJSON_ArrayForEach(e, extra)
			if (!cJSON_HasObjectItem(j, e->string))
				cJSON_AddItemToObject(j, e->string,
				    cJSON_Duplicate(e, 1));
	cJSON_AddItemToObject(j, "report_id", cJSON_Duplicate(
	    cJSON_GetObjectItem(row, "report_id"), 1));
	cJSON_AddItemToObject(j, "delivery", cJSON_Duplicate(
	    cJSON_GetObjectItem(row, "delivery"), 1));
	return j;
}

static int
cmd_report_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct report_filter f;
	cJSON *list, *out, *e, *first;
	const char *org0;
	int rc, n;

	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1 ||
	    ctx_user(ctx, args->argv[0], &f.user, err) == -1)
		return -1;
	f.service = args->argv[1];
	f.newest_first = !args_has(args, "all");
	if (!args_has(args, "all"))
		f.limit = 1;
	if (report_list(ctx->store, &f, &list, err) == -1)
		return -1;
	n = cJSON_GetArraySize(list);
	if (n == 0) {
		cJSON_Delete(list);
		return es_err_set(err, ES_ENOTFOUND, "NotFound",
		    "no report for user '%s' service '%s'%s%s%s", f.user,
		    f.service, f.org ? " in org '" : "", f.org ? f.org : "",
		    f.org ? "'" : "");
	}
	/* one org's service only, unless --org says which */
	first = cJSON_GetArrayItem(list, 0);
	org0 = cJSON_GetStringValue(cJSON_GetObjectItem(first,
	    "tenant_org_id"));
	if (f.org == NULL && args_has(args, "all")) {
		cJSON_ArrayForEach(e, list)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e,
			    "tenant_org_id")), org0) != 0) {
				cJSON_Delete(list);
				return es_err_set(err, ES_ECONFLICT,
				    "Ambiguous", "user '%s' service '%s' has "
				    "reports in several orgs: pass --org",
				    f.user, f.service);
			}
	}
	if (!args_has(args, "all")) {
		out = report_object(first);
		rc = out_item(ctx, out, "report_id", err);
		cJSON_Delete(out);
		cJSON_Delete(list);
		return rc;
	}
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(e, list) {
		cJSON *o = report_object(e);

		/* keep the table's columns */
		cJSON_AddItemToArray(out, o);
	}
	cJSON_Delete(list);
	rc = out_list(ctx, out, report_cols, err);
	cJSON_Delete(out);
	return rc;
}

/*
 * Prints one report row as report log does: the deployment.log line, or
 * with -o json one JSON Lines object (-o jsonpath: the template), -o yaml
 * one document of a YAML stream, -o name "report/ID".
 */
static void
report_log_print(struct esctl_ctx *ctx, const cJSON *row)
{
	static const char *const keys[][2] = {
		{ "time", "timestamp" }, { "user", "user" },
		{ "service", "service_name" }, { "namespace", "namespace" },
		{ "status", "status" }, { "message", "message" },
		{ "report_id", "report_id" }
	};
	const char *v;
	char *line;
	cJSON *j;
	size_t i;

	if (ctx->output == OUT_TABLE || ctx->output == OUT_WIDE) {
		line = report_log_line(row);
		fputs(line, ctx->out);
		free(line);
		return;
	}
	if (ctx->output == OUT_NAME) {
		v = cJSON_GetStringValue(cJSON_GetObjectItem(row, "report_id"));
		if (v != NULL && *v != '\0')
			fprintf(ctx->out, "report/%s\n", v);
		return;
	}
	j = cJSON_CreateObject();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = cJSON_GetStringValue(cJSON_GetObjectItem(row, keys[i][1]));
		if (v != NULL)
			cJSON_AddStringToObject(j, keys[i][0], v);
		else
			cJSON_AddNullToObject(j, keys[i][0]);
	}
	out_stream_item(ctx, j);
	cJSON_Delete(j);
}

/* Prints lines from the database (tenant scope) after *last. */
static int
report_log_db(struct esctl_ctx *ctx, struct report_filter *f,
    long long *last, struct es_err *err)
{
	cJSON *list, *e;

	f->after_id = *last;
	if (report_list(ctx->store, f, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(e, list) {
		report_log_print(ctx, e);
		*last = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(e,
		    "id"));
	}
	cJSON_Delete(list);
	fflush(ctx->out);
	return 0;
}

/* Start of the last n lines of buf (n < 0: everything). */
static size_t
report_tail_start(const struct es_buf *b, long long n)
{
	size_t pos = b->len;

	if (n < 0)
		return 0;
	if (n == 0)
		return b->len;
	if (pos > 0 && b->data[pos - 1] == '\n')
		pos--;
	while (pos > 0) {
		if (b->data[pos - 1] == '\n' && --n == 0)
			return pos;
		pos--;
	}
	return 0;
}

static int
cmd_report_log(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct report_filter f;
	struct es_buf b = ES_BUF_INIT;
	struct stat sb;
	char *path, chunk[8192];
	long long tail, last = 0;
	size_t start, off, got;
	int follow = args_has(args, "follow"), i;
	cJSON *list;
	FILE *fp;

	if (args_int(args, "lines", 0, 100000000, -1, &tail, err) == -1)
		return -1;
	if (ctx->output == OUT_CUSTOM)
		return es_err_set(err, ES_EUSAGE, NULL, "report log prints a "
		    "stream: use -o json, yaml, name or jsonpath, not "
		    "custom-columns");
	if (ctx->as_org != NULL || ctx->as_user != NULL ||
	    (ctx->output != OUT_TABLE && ctx->output != OUT_WIDE)) {
		/*
		 * The file mixes every org and has no ids: a scope or a
		 * structured format answers from the database.
		 */
		memset(&f, 0, sizeof f);
		f.org = ctx->as_org;
		f.user = ctx->as_user;
		f.newest_first = 1;
		f.limit = tail;
		if (tail != 0) {
			if (report_list(ctx->store, &f, &list, err) == -1)
				return -1;
			for (i = cJSON_GetArraySize(list) - 1; i >= 0; i--)
				report_log_print(ctx, cJSON_GetArrayItem(list,
				    i));
			cJSON_Delete(list);
		}
		if (store_query_int(ctx->store, err, &last, 0, "SELECT "
		    "coalesce(max(id), 0) FROM deployment_report", "") == -1)
			return -1;
		fflush(ctx->out);
		f.newest_first = 0;
		f.limit = 0;
		while (follow) {
			report_sleep_ms(500);
			if (report_log_db(ctx, &f, &last, err) == -1)
				return -1;
		}
		return 0;
	}
	path = ctx_data_path(ctx, "deployment.log");
	if (es_buf_read_file(&b, path) == -1 && errno != ENOENT) {
		es_err_set(err, ES_EFAIL, NULL, "cannot read '%s': %s", path,
		    strerror(errno));
		free(path);
		es_buf_release(&b);
		return -1;
	}
	start = report_tail_start(&b, tail);
	fwrite(b.data + start, 1, b.len - start, ctx->out);
	fflush(ctx->out);
	off = b.len;
	es_buf_release(&b);
	while (follow) {
		report_sleep_ms(250);
		if (stat(path, &sb) == -1 || (size_t)sb.st_size == off)
			continue;
		if ((size_t)sb.st_size < off)
			off = 0;	/* truncated or replaced */
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fseek(fp, (long)off, SEEK_SET) == 0) {
			while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
				fwrite(chunk, 1, got, ctx->out);
				off += got;
			}
			fflush(ctx->out);
		}
		fclose(fp);
	}
	free(path);
	return 0;
}

static int
cmd_report_stats(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct report_filter f;
	char since[UTIL_TIME_LEN];
	const char *v;
	time_t t;
	cJSON *rows;
	int rc;

	if (args->argc == 1)
		return es_err_set(err, ES_EUSAGE, "MissingArgument", "give "
		    "both USER and SERVICE, or neither");
	memset(&f, 0, sizeof f);
	if (ctx_org(ctx, args_get(args, "org"), 0, &f.org, err) == -1 ||
	    ctx_user(ctx, args->argc == 2 ? args->argv[0] : NULL, &f.user,
	    err) == -1)
		return -1;
	if (args->argc == 2)
		f.service = args->argv[1];
	if ((v = args_get(args, "since")) != NULL) {
		if (util_since_parse(v, "--since", ctx->now, &t, err) == -1)
			return -1;
		util_time_format(t, since);
		f.since = since;
	}
	if (report_stats(ctx->store, &f, &rows, err) == -1)
		return -1;
	out_kind(ctx, "status");
	rc = out_list(ctx, rows, stats_cols, err);
	cJSON_Delete(rows);
	return rc;
}

static int
cmd_report_flush(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct report_sink *sink = NULL;
	struct report_flush_result r;
	cJSON *j, *st;
	int rc;

	(void)args;
	if (ctx->dry_run) {
		if (report_outbox_stats(ctx->store, &st, err) == -1)
			return -1;
		rc = out_ok(ctx, st, "dry run: %d report(s) would be sent",
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(st,
		    "pending")));
		cJSON_Delete(st);
		return rc;
	}
	if (lc_report_sink(ctx, &sink, err) == -1)
		return -1;
	rc = report_flush(sink, 1, &r, err);
	report_sink_free(sink);
	if (rc == -1)
		return -1;
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "delivered", r.delivered);
	cJSON_AddNumberToObject(j, "failed", r.failed);
	cJSON_AddNumberToObject(j, "pending", r.pending);
	if (r.pending > 0) {
		cJSON_AddStringToObject(j, "last_error", r.last_error);
		if (out_wants_json(ctx))
			out_ok(ctx, j, NULL);
		cJSON_Delete(j);
		return es_err_set(err, ES_EREMOTE, "DeliveryFailed", "%d "
		    "report(s) delivered, %d still in the outbox%s%s",
		    r.delivered, r.pending, r.last_error[0] ? ": " : "",
		    r.last_error);
	}
	rc = out_ok(ctx, j, "%d report(s) delivered, outbox empty",
	    r.delivered);
	cJSON_Delete(j);
	return rc;
}

static const struct esctl_opt list_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	{ 'u', "user", "USER", "only this user", OPT_STRING, 0,
	    "report-user" },
	{ 's', "service", "SERVICE", "only this service", OPT_STRING, 0,
	    "report-service" },
	{ 'n', "namespace", "NS", "only this namespace", OPT_STRING, 0,
	    "namespace" },
	{ 0, "status", "STATUS", "only reports of this status", OPT_STRING,
	    0, "=starting namespace_created gitlab_pulled k8s_applied "
	    "resources_configured disk_configured gpu_configured "
	    "rollout_completed tenant_synced completed failed" },
	{ 0, "since", "TIME", "only reports at or after TIME (7d, "
	    "2024-01-01, ...)", OPT_STRING, 0, NULL },
	{ 0, "limit", "N", "only the newest N", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt show_opts[] = {
	{ 0, "org", "ORG", "the tenant org", OPT_STRING, 0, "org" },
	{ 'a', "all", NULL, "every report of the service, oldest first",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_opt log_opts[] = {
	{ 'f', "follow", NULL, "keep printing new lines", OPT_BOOL, 0, NULL },
	{ 0, "lines", "N", "only the last N lines", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt stats_opts[] = {
	{ 0, "org", "ORG", "only this tenant org", OPT_STRING, 0, "org" },
	{ 0, "since", "TIME", "only reports at or after TIME", OPT_STRING, 0,
	    NULL },
	OPT_END
};

static const struct esctl_opt flush_opts[] = {
	OPT_END
};

static const struct esctl_verb report_verbs[] = {
	{ "list", NULL, "list deployment reports",
	    "Every report of every create, oldest first: the SQLite copy of "
	    "what went to the\nreport files, deployment.log and the report "
	    "service.  DELIVERY (-o wide)\ntells whether the POST was "
	    "delivered, is pending in the outbox, or none was\nconfigured.",
	    list_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_report_list },
	{ "show", "USER SERVICE", "show the latest report of a service",
	    "The report as written to its file (the seed's JSON), with its "
	    "id and delivery\nstate.  --all lists every report of the "
	    "service.", show_opts, 2, 2, CMD_NEEDS_DB | CMD_OFFLINE,
	    "report-user", cmd_report_show },
	{ "log", NULL, "print the deployment log",
	    "Prints DATA/deployment.log, one line per report in the seeds' "
	    "format:\n\"TIME - User: U, Service: S, Namespace: NS, Status: "
	    "ST, Message: M\".  With -f,\nwaits for new lines.  Within a "
	    "tenant scope, the lines are the scope's reports\nfrom the "
	    "database.  -o json prints one JSON object a line (time, user, "
	    "service,\nnamespace, status, message, report_id), -o yaml a YAML "
	    "stream, -o name\nreport/ID, all read from the database.",
	    log_opts, 0, 0, CMD_NEEDS_DB | CMD_OFFLINE, NULL,
	    cmd_report_log },
	{ "stats", "[USER SERVICE]", "count reports per status",
	    "One row for each of the ten statuses of a create and 'failed' "
	    "(zeros included),\nfor every service or for one.", stats_opts,
	    0, 2, CMD_NEEDS_DB | CMD_OFFLINE, "report-user",
	    cmd_report_stats },
	{ "flush", NULL, "deliver the reports waiting in the outbox",
	    "POSTs every undelivered report to the report service, oldest "
	    "first, stopping\nat the first failure.  Each report is "
	    "delivered once: a concurrent flush waits.\nExit 6 when reports "
	    "remain undelivered.", flush_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_MUTATES, NULL, cmd_report_flush },
	VERB_END
};

const struct esctl_group esctl_group_report = {
	"report", "deployment reports of ES service creation",
	"A create writes ten reports (starting ... completed), a failed one "
	"writes\n'failed'; each goes to a file, deployment.log, the "
	"database and, when\nreport.url is set, the report service.",
	report_verbs
};
