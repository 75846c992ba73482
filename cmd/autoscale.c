/*
 * autoscale.c - esctl autoscale: policies, rounds of the trend-weighted
 * autoscaler of seed 000 §13, their explanation and history, and a
 * simulator that replays recorded samples.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoscale.h"
#include "cluster.h"
#include "cmd.h"
#include "metrics.h"
#include "util.h"

static int	cmd_autoscale_policy_set(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	cmd_autoscale_policy_get(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	cmd_autoscale_policy_list(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	cmd_autoscale_policy_delete(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);
static int	cmd_autoscale_run(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_autoscale_explain(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_autoscale_history(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_autoscale_simulate(struct esctl_ctx *,
		    struct esctl_args *, struct es_err *);

/* The clock: ESCTL_NOW (tests) or the time now. */
static time_t
autoscale_now(struct esctl_ctx *ctx)
{
	const char *v = getenv("ESCTL_NOW");

	return v != NULL && *v != '\0' ? ctx->now : time(NULL);
}

/* The service in ns, in the identity's scope; rec may be NULL. */
static int
autoscale_service(struct esctl_ctx *ctx, const char *ns, cJSON **rec,
    struct es_err *err)
{
	cJSON *r;

	if (cluster_meta_get(ctx->store, ns, &r, err) == -1)
		return -1;
	if (r == NULL || strcmp(kube_str(r, "status"), "deleted") == 0) {
		cJSON_Delete(r);
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no ES "
		    "service in namespace '%s'", ns);
	}
	if (ctx_scope_check(ctx, kube_str(r, "tenant_org_id"),
	    kube_str(r, "user"), err) == -1) {
		cJSON_Delete(r);
		return -1;
	}
	if (rec != NULL)
		*rec = r;
	else
		cJSON_Delete(r);
	return 0;
}

static int
cmd_autoscale_policy_set(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	static const char *const keys[] = {
		"min", "max", "cpu", "memory", "disk", "qps", "tolerance",
		"cooldown-up", "cooldown-down"
	};
	struct autoscale_policy p;
	struct es_buf spec = ES_BUF_INIT;
	const char *ns = args->argv[0], *v;
	cJSON *o;
	size_t i;
	int rc = -1, existed;

	if (autoscale_service(ctx, ns, NULL, err) == -1)
		return -1;
	existed = autoscale_policy_get(ctx->store, ns, &p, err) == 0;
	if (!existed) {
		if (err->code != ES_ENOTFOUND)
			return -1;
		es_err_clear(err);
		autoscale_policy_init(&p);
		snprintf(p.ns, sizeof p.ns, "%s", ns);
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if ((v = args_get(args, keys[i])) != NULL)
			es_buf_addf(&spec, "%s=%s,", keys[i], v);
	if (args_has(args, "enable") && args_has(args, "disable")) {
		es_err_set(err, ES_EUSAGE, NULL, "--enable and --disable "
		    "exclude each other");
		goto done;
	}
	if (args_has(args, "enable"))
		es_buf_adds(&spec, "enabled=true");
	if (args_has(args, "disable"))
		es_buf_adds(&spec, "enabled=false");
	if (autoscale_policy_parse(spec.data, &p, err) == -1 ||
	    autoscale_policy_check(&p, err) == -1)
		goto done;
	o = autoscale_policy_json(&p);
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: nothing stored");
		rc = out_item(ctx, o, "namespace", err);
	} else if (autoscale_policy_put(ctx->store, &p, ctx->now, err) == 0)
		rc = out_ok(ctx, o, "autoscale policy for '%s' %s", ns,
		    existed ? "updated" : "created");
	cJSON_Delete(o);
done:
	es_buf_release(&spec);
	return rc;
}

static int
cmd_autoscale_policy_get(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct autoscale_policy p;
	cJSON *o;
	int rc;

	if (autoscale_service(ctx, args->argv[0], NULL, err) == -1 ||
	    autoscale_policy_get(ctx->store, args->argv[0], &p, err) == -1)
		return -1;
	o = autoscale_policy_json(&p);
	rc = out_item(ctx, o, "namespace", err);
	cJSON_Delete(o);
	return rc;
}

static const struct out_col policy_cols[] = {
	{ "NAMESPACE", "namespace", OUT_COL_NAME },
	{ "MIN", "min_replicas", OUT_COL_RIGHT },
	{ "MAX", "max_replicas", OUT_COL_RIGHT },
	{ "CPU%", "target_cpu", OUT_COL_RIGHT },
	{ "MEM%", "target_memory", OUT_COL_RIGHT },
	{ "DISK%", "target_disk", OUT_COL_RIGHT },
	{ "QPS", "target_qps", OUT_COL_RIGHT },
	{ "TOLERANCE", "tolerance", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "COOLDOWN_UP", "cooldown_up", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "COOLDOWN_DOWN", "cooldown_down", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "ENABLED", "enabled", 0 },
	OUT_COL_END
};

static int
cmd_autoscale_policy_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct es_err e2 = ES_ERR_INIT;
	cJSON *list, *keep, *it;
	int rc;

	(void)args;
	if (autoscale_policy_list(ctx->store, &list, err) == -1)
		return -1;
	keep = cJSON_CreateArray();
	while ((it = cJSON_DetachItemFromArray(list, 0)) != NULL) {
		if (autoscale_service(ctx, kube_str(it, "namespace"), NULL,
		    &e2) == 0 || e2.code == ES_ENOTFOUND)
			cJSON_AddItemToArray(keep, it);
		else
			cJSON_Delete(it);
		es_err_clear(&e2);
	}
	cJSON_Delete(list);
	rc = out_list(ctx, keep, policy_cols, err);
	cJSON_Delete(keep);
	return rc;
}

static int
cmd_autoscale_policy_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct autoscale_policy p;

	if (autoscale_service(ctx, args->argv[0], NULL, err) == -1 &&
	    err->code != ES_ENOTFOUND)
		return -1;
	es_err_clear(err);
	if (autoscale_policy_get(ctx->store, args->argv[0], &p, err) == -1)
		return -1;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: nothing deleted");
		return 0;
	}
	if (autoscale_policy_delete(ctx->store, args->argv[0], err) == -1)
		return -1;
	return out_ok(ctx, NULL, "autoscale policy for '%s' deleted",
	    args->argv[0]);
}

/* One service, one decision, added to out. */
static int
autoscale_round_one(struct esctl_ctx *ctx, struct esctl_args *args,
    const struct autoscale_policy *p, cJSON *out, struct es_err *err)
{
	double samples[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_result r;
	struct kube_client *kc = NULL;
	struct es_err e2 = ES_ERR_INIT;
	const char *fail = NULL, *v;
	long long window, timeout, version, id = 0;
	time_t now = autoscale_now(ctx), last;
	long cur;
	cJSON *rec = NULL, *o;
	int n, dry = ctx->dry_run, rc = -1, moved;

	if (config_get_duration(ctx->cfg, "autoscale.sample_window", 180,
	    &window, err) == -1 || config_get_duration_ms(ctx->cfg,
	    "autoscale.rollout_timeout", 600000, &timeout, err) == -1)
		return -1;
	if ((v = args_get(args, "timeout")) != NULL &&
	    util_parse_duration_ms(v, "--timeout", &timeout, err) == -1)
		return -1;
	if (autoscale_service(ctx, p->ns, &rec, err) == -1)
		return -1;
	/* the live replica count: the StatefulSet's scale */
	if (ctx_kube(ctx, &kc, err) == -1 ||
	    cluster_replicas(kc, p->ns, &cur, err) == -1)
		goto done;
	if (!dry && store_begin(ctx->store, err) == -1)
		goto done;
	if (autoscale_collect(ctx->store, p->ns, now, window, dry, samples,
	    &n, err) == -1 || (!dry && store_commit(ctx->store, err) == -1)) {
		store_rollback(ctx->store);
		goto done;
	}
	if (autoscale_last_scale(ctx->store, p->ns, &last, &version,
	    err) == -1)
		goto done;
	autoscale_decide(p, cur, samples, n, now, last, &r);
	moved = r.action == AS_UP || r.action == AS_DOWN;
	if (moved && strcmp(kube_str(rec, "status"), "running") != 0 &&
	    strcmp(kube_str(rec, "status"), "created") != 0) {
		r.action = AS_CONFLICT;
		snprintf(r.reason, sizeof r.reason, "the service is %s, not "
		    "running", kube_str(rec, "status"));
	}
	if (r.action == AS_UP && cluster_meta_scale_check(ctx->store, p->ns,
	    r.desired, &e2) == -1) {
		if (e2.code != ES_EQUOTA) {
			*err = e2;
			goto done;
		}
		r.action = AS_QUOTA;
		snprintf(r.reason, sizeof r.reason, "scale-up to %lld "
		    "refused: %.200s", r.desired, e2.msg);
	}
	moved = r.action == AS_UP || r.action == AS_DOWN;
	if (moved && !dry) {
		if (autoscale_claim(ctx->store, p->ns, version, now,
		    r.action == AS_UP ? 1 : -1, &e2) == -1) {
			if (e2.code != ES_ECONFLICT) {
				*err = e2;
				goto done;
			}
			r.action = AS_CONFLICT;
			snprintf(r.reason, sizeof r.reason, "%.240s", e2.msg);
		} else if (autoscale_apply(ctx->store, kc, rec, r.desired,
		    timeout, now, &e2) == -1) {
			fail = e2.msg;
			r.action = AS_FAILED;
		}
	}
	if (!dry && autoscale_record(ctx->store, p->ns, now, &r, 0, fail,
	    &id, err) == -1)
		goto done;
	o = autoscale_result_json(&r);
	cJSON_AddStringToObject(o, "namespace", p->ns);
	if (id > 0)
		cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddBoolToObject(o, "dry_run", dry);
	if (fail != NULL)
		cJSON_AddStringToObject(o, "error", fail);
	cJSON_AddItemToArray(out, o);
	if (ctx->output != OUT_JSON && ctx->output != OUT_YAML)
		out_ok(ctx, NULL, "%s: %s%s %lld -> %lld: %s%s%s", p->ns,
		    dry ? "(dry run) " : "", autoscale_action_name(r.action),
		    r.current, moved || r.action == AS_FAILED ? r.desired :
		    r.current, r.reason, fail ? ": " : "", fail ? fail : "");
	rc = 0;
done:
	cJSON_Delete(rec);
	return rc;
}

/* One round over the services with an enabled policy (or those named). */
static int
autoscale_round(struct esctl_ctx *ctx, struct esctl_args *args, cJSON *out,
    int *failed, struct es_err *err)
{
	struct autoscale_policy p;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *list = NULL, *it;
	const char *ns;
	int i;

	if (args->argc > 0) {
		list = cJSON_CreateArray();
		for (i = 0; i < args->argc; i++) {
			it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "namespace",
			    args->argv[i]);
			cJSON_AddItemToArray(list, it);
		}
	} else if (autoscale_policy_list(ctx->store, &list, err) == -1)
		return -1;
	cJSON_ArrayForEach(it, list) {
		ns = kube_str(it, "namespace");
		es_err_clear(&e2);
		if (autoscale_policy_get(ctx->store, ns, &p, &e2) == 0) {
			if (!p.enabled && args->argc == 0)
				continue;
			if (autoscale_round_one(ctx, args, &p, out, &e2) == 0)
				continue;
		}
		if (args->argc == 0 && e2.code == ES_ENOTFOUND)
			continue;	/* the service is gone */
		ctx_warn(ctx, "%s: %s", ns, e2.msg);
		if (*failed == 0)
			*err = e2;
		(*failed)++;
	}
	cJSON_Delete(list);
	return 0;
}

static int
cmd_autoscale_run(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	const char *iv = args_get(args, "interval");
	long long secs = 0;
	struct timespec ts;
	sigset_t set;
	cJSON *out;
	int failed = 0, rc, sig;

	if (iv != NULL && args_has(args, "once"))
		return es_err_set(err, ES_EUSAGE, NULL, "--once and "
		    "--interval exclude each other");
	if (iv != NULL && util_parse_duration(iv, "--interval", &secs,
	    err) == -1)
		return -1;
	if (iv != NULL && secs < 1)
		return es_err_set(err, ES_EUSAGE, NULL, "--interval must be "
		    "at least 1s");
	if (iv == NULL) {
		out = cJSON_CreateArray();
		rc = autoscale_round(ctx, args, out, &failed, err);
		if (rc == 0 && (ctx->output == OUT_JSON ||
		    ctx->output == OUT_YAML))
			rc = out_list(ctx, out, NULL, err);
		cJSON_Delete(out);
		return rc == 0 && failed > 0 ? -1 : rc;
	}
	/* rounds until SIGTERM/SIGINT, taken only between rounds */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		out = cJSON_CreateArray();
		failed = 0;
		rc = autoscale_round(ctx, args, out, &failed, err);
		if (rc == 0 && (ctx->output == OUT_JSON ||
		    ctx->output == OUT_YAML))
			out_list(ctx, out, NULL, err);
		cJSON_Delete(out);
		fflush(ctx->out);
		if (rc == -1)
			return -1;
		ts.tv_sec = (time_t)secs;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			ctx_info(ctx, "%s: stopped between rounds",
			    sig == SIGTERM ? "terminated" : "interrupt");
			return 0;
		}
		if (getenv("ESCTL_NOW") != NULL)
			ctx->now += (time_t)secs;	/* the test clock */
	}
}

/* Prints a decision with every number behind it. */
static void
autoscale_print(struct esctl_ctx *ctx, const cJSON *d)
{
	static const char *const keys[] = { "value", "slope", "weight",
	    "target", "ratio", "weighted_ratio" };
	const cJSON *det = cJSON_GetObjectItem(d, "details"), *m, *v;
	char cell[6][32];
	const char *k;
	int i, j;

	fprintf(ctx->out, "decision %d at %s: %s %d -> %d\n",
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(d, "id")),
	    kube_str(d, "at"), kube_str(d, "action"),
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(d,
	    "current_replicas")), (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(d, "desired_replicas")));
	fprintf(ctx->out, "  reason: %s\n", kube_str(d, "reason"));
	if (kube_str(d, "error") != NULL)
		fprintf(ctx->out, "  error: %s\n", kube_str(d, "error"));
	out_cell(ctx, cJSON_GetObjectItem(det, "ratio"), 0, cell[0],
	    sizeof cell[0]);
	fprintf(ctx->out, "  decision ratio %s (the largest weighted ratio), "
	    "computed replicas %d (before min/max)\n", cell[0],
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(det,
	    "computed_replicas")));
	fprintf(ctx->out, "  %-13s %7s %10s %10s %-8s %7s %8s %7s %8s\n",
	    "METRIC", "SAMPLES", "VALUE", "SLOPE", "TREND", "WEIGHT",
	    "TARGET", "RATIO", "WEIGHTED");
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		k = autoscale_metric_name(i);
		m = cJSON_GetObjectItem(cJSON_GetObjectItem(det, "metrics"), k);
		for (j = 0; j < 6; j++)
			out_cell(ctx, cJSON_GetObjectItem(m, keys[j]), 0,
			    cell[j], sizeof cell[j]);
		fprintf(ctx->out, "  %-13s %7d %10s %10s %-8s %7s %8s %7s "
		    "%8s\n", k, (int)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    m, "samples")), cell[0], cell[1], kube_str(m, "trend"),
		    cell[2], cell[3], cell[4], cell[5]);
	}
	fprintf(ctx->out, "  samples, oldest first:\n");
	for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
		k = autoscale_metric_name(i);
		m = cJSON_GetObjectItem(cJSON_GetObjectItem(det, "metrics"), k);
		fprintf(ctx->out, "    %-13s", k);
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(m, "values")) {
			out_cell(ctx, v, 0, cell[0], sizeof cell[0]);
			fprintf(ctx->out, " %s", cell[0]);
		}
		fputc('\n', ctx->out);
	}
}

static int
cmd_autoscale_explain(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct autoscale_policy p;
	cJSON *list, *it;
	long long n;
	int rc = 0;

	if (autoscale_service(ctx, args->argv[0], NULL, err) == -1 ||
	    args_int(args, "last", 1, 1000, 3, &n, err) == -1)
		return -1;
	if (autoscale_history(ctx->store, args->argv[0], n, &list, err) ==
	    -1)
		return -1;
	if (ctx->output == OUT_JSON || ctx->output == OUT_YAML) {
		rc = out_list(ctx, list, NULL, err);
		cJSON_Delete(list);
		return rc;
	}
	if (autoscale_policy_get(ctx->store, args->argv[0], &p, err) == 0)
		fprintf(ctx->out, "policy: min %lld, max %lld, tolerance %.2f, "
		    "cooldown %llds up / %llds down%s\n", p.min_replicas,
		    p.max_replicas, p.tolerance, p.cooldown_up,
		    p.cooldown_down, p.enabled ? "" : ", disabled");
	else
		es_err_clear(err);
	if (cJSON_GetArraySize(list) == 0)
		fprintf(ctx->out, "no decisions yet for '%s' (esctl autoscale "
		    "run)\n", args->argv[0]);
	cJSON_ArrayForEach(it, list)
		autoscale_print(ctx, it);
	cJSON_Delete(list);
	return rc;
}

static const struct out_col history_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_NAME },
	{ "NAMESPACE", "namespace", 0 },
	{ "AT", "at", 0 },
	{ "ACTION", "action", OUT_COL_STATUS },
	{ "FROM", "current_replicas", OUT_COL_RIGHT },
	{ "TO", "desired_replicas", OUT_COL_RIGHT },
	{ "RATIO", "ratio", OUT_COL_RIGHT },
	{ "REASON", "reason", OUT_COL_WIDE },
	OUT_COL_END
};

static int
cmd_autoscale_history(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	cJSON *list;
	long long n;
	int rc;

	if (args->argc > 0 && autoscale_service(ctx, args->argv[0], NULL,
	    err) == -1 && err->code != ES_ENOTFOUND)
		return -1;
	es_err_clear(err);
	if (args_int(args, "limit", 0, 1000000, 50, &n, err) == -1 ||
	    autoscale_history(ctx->store, args->argc ? args->argv[0] : NULL,
	    n, &list, err) == -1)
		return -1;
	out_kind(ctx, "decision");
	rc = out_list(ctx, list, history_cols, err);
	cJSON_Delete(list);
	return rc;
}

static const struct out_col sim_cols[] = {
	{ "STEP", "step", OUT_COL_RIGHT },
	{ "AT", "at", 0 },
	{ "CPU", "metrics.cpu_usage.value", OUT_COL_RIGHT },
	{ "MEM", "metrics.memory_usage.value", OUT_COL_RIGHT },
	{ "DISK", "metrics.disk_usage.value", OUT_COL_RIGHT },
	{ "QPS", "metrics.qps.value", OUT_COL_RIGHT },
	{ "RATIO", "ratio", OUT_COL_RIGHT },
	{ "ACTION", "action", OUT_COL_STATUS },
	{ "REPLICAS", "replicas", OUT_COL_RIGHT },
	{ "REASON", "reason", OUT_COL_WIDE },
	OUT_COL_END
};

/* Samples from a file: a JSON array of objects, or NDJSON. */
static int
autoscale_read_samples(const char *file, cJSON **out, struct es_err *err)
{
	struct es_buf b = ES_BUF_INIT;
	const char *p, *end, *stop;
	cJSON *recs, *rec;

	*out = NULL;
	if (es_buf_read_file(&b, file) == -1)
		return es_err_set(err, errno == ENOENT ? ES_ENOTFOUND :
		    ES_EFAIL, NULL, "cannot read '%s': %s", file,
		    strerror(errno));
	recs = cJSON_CreateArray();
	p = b.data;
	end = b.data + b.len;
	while (p < end) {
		while (p < end && strchr(" \t\r\n", *p) != NULL)
			p++;
		if (p == end)
			break;
		rec = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop,
		    0);
		if (rec == NULL) {
			es_err_set(err, ES_EUSAGE, "MalformedJSON", "%s: "
			    "malformed JSON near byte %zu", file,
			    (size_t)(p - b.data));
			cJSON_Delete(recs);
			es_buf_release(&b);
			return -1;
		}
		if (cJSON_IsArray(rec)) {
			while (cJSON_GetArraySize(rec) > 0)
				cJSON_AddItemToArray(recs,
				    cJSON_DetachItemFromArray(rec, 0));
			cJSON_Delete(rec);
		} else
			cJSON_AddItemToArray(recs, rec);
		p = stop;
	}
	es_buf_release(&b);
	*out = recs;
	return 0;
}

static int
cmd_autoscale_simulate(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	double win[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES];
	struct autoscale_policy p;
	struct autoscale_result r;
	const char *file = args_get(args, "metrics");
	const cJSON *t, *v;
	cJSON *recs = NULL, *rec, *out = NULL, *o;
	long long replicas, step, ms;
	char ts[UTIL_TIME_LEN];
	time_t now, last = 0;
	int n = 0, i, k, idx = 0, rc = -1;

	autoscale_policy_init(&p);
	snprintf(p.ns, sizeof p.ns, "simulation");
	if (autoscale_policy_parse(args_get(args, "policy"), &p, err) == -1 ||
	    autoscale_policy_check(&p, err) == -1)
		return es_err_prefix(err, "--policy");
	if (args_int(args, "replicas", 1, 1000, p.min_replicas, &replicas,
	    err) == -1 || util_parse_duration(args_get(args, "interval") ?
	    args_get(args, "interval") : "60s", "--interval", &step,
	    err) == -1 || autoscale_read_samples(file, &recs, err) == -1)
		return -1;
	now = autoscale_now(ctx);
	out = cJSON_CreateArray();
	for (i = 0; i < AUTOSCALE_NMETRIC; i++)
		for (k = 0; k < AUTOSCALE_SAMPLES; k++)
			win[i][k] = NAN;
	cJSON_ArrayForEach(rec, recs) {
		if (!cJSON_IsObject(rec)) {
			es_err_set(err, ES_EUSAGE, NULL, "%s: sample %d is not "
			    "an object", file, idx);
			goto done;
		}
		t = cJSON_GetObjectItem(rec, "timestamp");
		if (cJSON_IsString(t) && metrics_parse_rfc3339(t->valuestring,
		    &ms) == 0)
			now = (time_t)(ms / 1000);
		else if (cJSON_IsNumber(t))
			now = (time_t)t->valuedouble;
		else if (idx > 0)
			now += (time_t)step;
		if (n == AUTOSCALE_SAMPLES) {
			for (i = 0; i < AUTOSCALE_NMETRIC; i++)
				memmove(win[i], win[i] + 1, sizeof(double) *
				    (AUTOSCALE_SAMPLES - 1));
			n--;
		}
		for (i = 0; i < AUTOSCALE_NMETRIC; i++) {
			v = cJSON_GetObjectItem(rec, autoscale_metric_name(i));
			win[i][n] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
		}
		n++;
		autoscale_decide(&p, replicas, win, n, now, last, &r);
		if (r.action == AS_UP || r.action == AS_DOWN) {
			replicas = r.desired;
			last = now;
		}
		o = autoscale_result_json(&r);
		cJSON_AddNumberToObject(o, "step", idx);
		util_time_format(now, ts);
		cJSON_AddStringToObject(o, "at", ts);
		cJSON_AddNumberToObject(o, "replicas", (double)replicas);
		cJSON_AddItemToArray(out, o);
		idx++;
	}
	rc = out_list(ctx, out, sim_cols, err);
done:
	cJSON_Delete(out);
	cJSON_Delete(recs);
	return rc;
}

static const struct esctl_opt policy_set_opts[] = {
	{ 0, "min", "N", "fewest replicas (default 1)", OPT_STRING, 0, NULL },
	{ 0, "max", "N", "most replicas (default 10)", OPT_STRING, 0, NULL },
	{ 0, "cpu", "PCT", "target CPU % (0: none)", OPT_STRING, 0, NULL },
	{ 0, "memory", "PCT", "target memory % (0: none)", OPT_STRING, 0,
	    NULL },
	{ 0, "disk", "PCT", "target disk % (0: none)", OPT_STRING, 0, NULL },
	{ 0, "qps", "N", "target QPS per replica (0: none)", OPT_STRING, 0,
	    NULL },
	{ 0, "tolerance", "F", "band around the target where nothing "
	    "changes (default 0.1)", OPT_STRING, 0, NULL },
	{ 0, "cooldown-up", "DURATION", "wait after a scaling before a "
	    "scale-up (default 5m)", OPT_STRING, 0, NULL },
	{ 0, "cooldown-down", "DURATION", "wait after a scaling before a "
	    "scale-down (default 10m)", OPT_STRING, 0, NULL },
	{ 0, "enable", NULL, "enable the policy", OPT_BOOL, 0, NULL },
	{ 0, "disable", NULL, "disable the policy (kept, not run)", OPT_BOOL,
	    0, NULL },
	OPT_END
};

static const struct esctl_opt run_opts[] = {
	{ 0, "once", NULL, "one round, then exit (the default)", OPT_BOOL, 0,
	    NULL },
	{ 0, "interval", "DURATION", "a round every DURATION until SIGTERM "
	    "or SIGINT", OPT_STRING, 0, NULL },
	{ 0, "timeout", "DURATION", "how long a scaling waits for the "
	    "rollout (default 10m)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_opt explain_opts[] = {
	{ 0, "last", "N", "how many decisions (default 3)", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt history_opts[] = {
	{ 0, "limit", "N", "at most N, newest first (default 50, 0: all)",
	    OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt simulate_opts[] = {
	{ 0, "metrics", "FILE", "samples: a JSON array or NDJSON of "
	    "{cpu_usage, memory_usage, disk_usage, qps, timestamp}",
	    OPT_STRING, OPT_REQUIRED, "file" },
	{ 0, "policy", "SPEC", "min=2,max=10,cpu=70,qps=500,...",
	    OPT_STRING, OPT_REQUIRED, NULL },
	{ 0, "replicas", "N", "replicas at the start (default: min)",
	    OPT_INT, 0, NULL },
	{ 0, "interval", "DURATION", "time between samples without a "
	    "timestamp (default 60s)", OPT_STRING, 0, NULL },
	OPT_END
};

static const struct esctl_verb autoscale_verbs[] = {
	{ "policy set", "NAMESPACE", "create or change a service's policy",
	    "Options not given keep their value (or the default for a new "
	    "policy).", policy_set_opts, 1, 1, CMD_NEEDS_DB | CMD_MUTATES |
	    CMD_OFFLINE, "namespace", cmd_autoscale_policy_set },
	{ "policy get", "NAMESPACE", "show a service's policy", NULL, NULL,
	    1, 1, CMD_NEEDS_DB | CMD_OFFLINE, "namespace",
	    cmd_autoscale_policy_get },
	{ "policy list", NULL, "list the policies", NULL, NULL, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_autoscale_policy_list },
	{ "policy delete", "NAMESPACE", "delete a service's policy", NULL,
	    NULL, 1, 1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "namespace",
	    cmd_autoscale_policy_delete },
	{ "run", "[NAMESPACE...]", "collect, decide and scale (seed §13)",
	    "Without NAMESPACE: every service with an enabled policy.",
	    run_opts, 0, -1, CMD_NEEDS_DB | CMD_MUTATES, "namespace",
	    cmd_autoscale_run },
	{ "explain", "NAMESPACE", "the last decisions with every number "
	    "behind them", NULL, explain_opts, 1, 1,
	    CMD_NEEDS_DB | CMD_OFFLINE, "namespace", cmd_autoscale_explain },
	{ "history", "[NAMESPACE]", "decisions, newest first", NULL,
	    history_opts, 0, 1, CMD_NEEDS_DB | CMD_OFFLINE, "namespace",
	    cmd_autoscale_history },
	{ "simulate", NULL, "replay recorded samples through a policy",
	    NULL, simulate_opts, 0, 0, CMD_OFFLINE | CMD_NO_CONFIG, NULL,
	    cmd_autoscale_simulate },
	VERB_END
};

const struct esctl_group esctl_group_autoscale = {
	"autoscale", "trend-weighted autoscaling of ES services", NULL,
	autoscale_verbs
};
