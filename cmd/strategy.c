/*
 * strategy.c - esctl strategy: elastic scaling strategies, their
 * execution history and the evaluation engine run from cron.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "doc.h"
#include "duty.h"
#include "engine.h"
#include "notify.h"
#include "order.h"
#include "pool.h"
#include "strategy.h"
#include "util.h"

/* Default wait for another check's lock: less than cron's minute. */
#define STRATEGY_LOCK_WAIT	55
/* Default longest gap between snapshots that still covers a window. */
#define STRATEGY_MAX_GAP	600
/* Default age at which skipped and failed_check history goes: 30 days. */
#define STRATEGY_RETENTION	(30 * 86400)

static int	cmd_strategy_create(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_update(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_list(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_show(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_enable(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_disable(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_delete(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_history(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);
static int	cmd_strategy_check(struct esctl_ctx *, struct esctl_args *,
		    struct es_err *);

static int	strategy_minutes(const char *, const char *, long long *,
		    struct es_err *);
static int	strategy_threshold(const char *, const char *, int *,
		    double *, int *, struct es_err *);
static int	strategy_clusters(struct esctl_ctx *, const char **, int,
		    struct strategy *, struct es_err *);
static int	strategy_from_file(struct esctl_ctx *, const char *,
		    struct strategy *, struct es_err *);
static int	strategy_save(struct esctl_ctx *, struct esctl_args *,
		    struct strategy *, int, struct es_err *);
static int	strategy_from_args(struct esctl_ctx *, struct esctl_args *,
		    struct strategy *, struct es_err *);
static int	strategy_row(struct esctl_ctx *, long long, cJSON **,
		    struct es_err *);
static int	strategy_set_enabled(struct esctl_ctx *, struct esctl_args *,
		    int, struct es_err *);
static void	strategy_notify(struct esctl_ctx *,
		    const struct notify_config *, const cJSON *,
		    const struct engine_report *, time_t, cJSON *);
static void	strategy_check_cell(void *, size_t, size_t, int, char *,
		    size_t);

static const struct out_col strategy_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT },
	{ "NAME", "name", OUT_COL_NAME },
	{ "ACTION", "threshold_trigger_action", 0 },
	{ "CONDITION", "condition", 0 },
	{ "CLUSTERS", "clusters", 0 },
	{ "DEVICES", "device_count", OUT_COL_RIGHT },
	{ "DURATION_MIN", "duration_minutes", OUT_COL_RIGHT },
	{ "COOLDOWN_MIN", "cooldown_minutes", OUT_COL_RIGHT },
	{ "STATUS", "status", OUT_COL_STATUS },
	{ "SELECTOR", "node_selector", OUT_COL_WIDE },
	{ "CREATED_BY", "created_by", OUT_COL_WIDE },
	{ "AGE", "created_at", OUT_COL_AGE },
	OUT_COL_END
};

static const struct out_col history_cols[] = {
	{ "ID", "id", OUT_COL_RIGHT | OUT_COL_WIDE },
	{ "TIME", "execution_time", 0 },
	{ "LAST", "last_execution_time", OUT_COL_WIDE },
	{ "CHECKS", "evaluations", OUT_COL_RIGHT },
	{ "STRATEGY", "strategy_name", OUT_COL_NAME },
	{ "CLUSTER", "cluster_name", 0 },
	{ "RESULT", "result", OUT_COL_STATUS },
	{ "ORDER", "order_number", 0 },
	{ "TRIGGERED", "triggered_value", 0 },
	{ "THRESHOLD", "threshold_value", 0 },
	{ "REASON", "reason", 0 },
	OUT_COL_END
};

static const struct out_col check_cols[] = {
	{ "STRATEGY", "strategy_name", OUT_COL_NAME },
	{ "CLUSTER", "cluster_name", 0 },
	{ "RESULT", "result", OUT_COL_STATUS },
	{ "ORDER", "order_number", 0 },
	{ "TRIGGERED", "triggered_value", 0 },
	{ "THRESHOLD", "threshold_value", 0 },
	{ "REASON", "reason", 0 },
	OUT_COL_END
};

/* The fields of a check result, in the order of check_field_keys. */
enum check_field {
	CHECK_STRATEGY,
	CHECK_CLUSTER,
	CHECK_RESULT,
	CHECK_ORDER,
	CHECK_TRIGGERED,
	CHECK_THRESHOLD,
	CHECK_REASON,
	CHECK_NFIELDS
};
static const char *const check_field_keys[CHECK_NFIELDS] = {
	"strategy_name", "cluster_name", "result", "order_number",
	"triggered_value", "threshold_value", "reason"
};

/* The table of a check, cell by cell from the report (see out_table). */
struct check_table {
	const struct engine_report	*rep;
	int				 field[8];	/* per column */
};

/* Minutes: a whole number, or a duration of whole minutes ("1h30m"). */
static int
strategy_minutes(const char *v, const char *what, long long *out,
    struct es_err *err)
{
	long long secs;

	if (pool_is_id(v))
		return util_parse_int(v, what, 0, STRATEGY_MINUTES_MAX, out,
		    err);
	if (util_parse_duration(v, what, &secs, err) == -1)
		return -1;
	if (secs % 60 != 0 || secs / 60 > STRATEGY_MINUTES_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid value "
		    "'%s' for %s: must be whole minutes, at most %d", v, what,
		    STRATEGY_MINUTES_MAX);
	*out = secs / 60;
	return 0;
}

/* A threshold percentage; "none" clears it (and its type). */
static int
strategy_threshold(const char *v, const char *what, int *has, double *val,
    int *type, struct es_err *err)
{
	if (strcmp(v, "none") == 0) {
		*has = 0;
		*type = STRATEGY_TYPE_NONE;
		return 0;
	}
	if (util_parse_double(v, what, 0, 100, val, err) == -1)
		return -1;
	*has = 1;
	return 0;
}

/* Resolves --cluster values (repeated and/or comma-separated). */
static int
strategy_clusters(struct esctl_ctx *ctx, const char **vals, int n,
    struct strategy *s, struct es_err *err)
{
	char *copy, *p, *e;
	long long id;
	int i, rc = 0;

	free(s->cluster_ids);
	s->cluster_ids = NULL;
	s->ncluster = 0;
	for (i = 0; i < n && rc == 0; i++) {
		copy = xstrdup(vals[i]);
		for (p = copy; p != NULL && rc == 0; p = e) {
			if ((e = strchr(p, ',')) != NULL)
				*e++ = '\0';
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '\0')
				continue;
			rc = pool_cluster_find(ctx->store, p, &id, NULL, err);
			if (rc == 0)
				strategy_add_cluster(s, id);
		}
		free(copy);
	}
	return rc;
}

/* Fills s from a JSON or YAML file using the seed's field names. */
static int
strategy_from_file(struct esctl_ctx *ctx, const char *path,
    struct strategy *s, struct es_err *err)
{
	struct doc_node *root;
	const struct doc_node *c, *e;
	const char *v;
	char where[512];
	const char **names = NULL;
	int n = 0, rc = -1;
	double d;

	if (doc_parse_file(path, &root, err) == -1)
		return -1;
	if (root->type != DOC_MAP) {
		es_err_set(err, ES_EUSAGE, "Invalid", "%s: expected an object "
		    "with the strategy's fields", path);
		goto done;
	}
	for (c = root->child; c != NULL; c = c->next) {
		snprintf(where, sizeof where, "%s:%u:%u", path, c->key_line,
		    c->key_col);
		v = doc_scalar(c);
		if (strcmp(c->key, "clusters") == 0 ||
		    strcmp(c->key, "cluster_ids") == 0) {
			if (c->type != DOC_SEQ) {
				es_err_set(err, ES_EUSAGE, "Invalid",
				    "%s: '%s' must be a list of cluster names "
				    "or ids", where, c->key);
				goto done;
			}
			for (e = c->child; e != NULL; e = e->next) {
				names = xreallocarray(names, (size_t)n + 1,
				    sizeof *names);
				names[n++] = doc_scalar(e) ? doc_scalar(e) : "";
			}
			continue;
		}
		if (strcmp(c->key, "node_selector") == 0) {
			cJSON *j;
			char *txt;

			if (c->type == DOC_NULL)
				continue;
			if (c->type == DOC_MAP) {
				j = doc_to_json(c);
				txt = cJSON_PrintUnformatted(j);
				cJSON_Delete(j);
				free(s->node_selector);
				s->node_selector = xstrdup(txt);
				cJSON_free(txt);
				continue;
			}
			if (v == NULL) {
				es_err_set(err, ES_EUSAGE, "Invalid", "%s: "
				    "node_selector must be a JSON object",
				    where);
				goto done;
			}
			free(s->node_selector);
			s->node_selector = xstrdup(v);
			continue;
		}
		if (c->type == DOC_NULL)
			continue;
		if (v == NULL) {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: '%s' must "
			    "be a scalar", where, c->key);
			goto done;
		}
		if (strcmp(c->key, "name") == 0) {
			free(s->name);
			s->name = xstrdup(v);
		} else if (strcmp(c->key, "description") == 0) {
			free(s->description);
			s->description = xstrdup(v);
		} else if (strcmp(c->key, "threshold_trigger_action") == 0) {
			if (strategy_action_parse(v, &s->action, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "cpu_threshold_value") == 0) {
			if (util_parse_double(v, "cpu_threshold_value", 0, 100,
			    &d, err) == -1)
				goto bad;
			s->has_cpu = 1;
			s->cpu_threshold = d;
		} else if (strcmp(c->key, "cpu_threshold_type") == 0) {
			if (strategy_type_parse(v, "cpu_threshold_type",
			    &s->cpu_type, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "memory_threshold_value") == 0) {
			if (util_parse_double(v, "memory_threshold_value", 0,
			    100, &d, err) == -1)
				goto bad;
			s->has_mem = 1;
			s->mem_threshold = d;
		} else if (strcmp(c->key, "memory_threshold_type") == 0) {
			if (strategy_type_parse(v, "memory_threshold_type",
			    &s->mem_type, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "condition_logic") == 0) {
			if (strategy_logic_parse(v, &s->logic, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "duration_minutes") == 0) {
			if (strategy_minutes(v, "duration_minutes",
			    &s->duration_minutes, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "cooldown_minutes") == 0) {
			if (strategy_minutes(v, "cooldown_minutes",
			    &s->cooldown_minutes, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "device_count") == 0) {
			if (util_parse_int(v, "device_count", 1,
			    STRATEGY_DEVICES_MAX, &s->device_count, err) == -1)
				goto bad;
		} else if (strcmp(c->key, "status") == 0) {
			if (strcmp(v, "enabled") != 0 &&
			    strcmp(v, "disabled") != 0) {
				es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
				    "status '%s': use enabled or disabled", v);
				goto bad;
			}
			s->enabled = strcmp(v, "enabled") == 0;
		} else if (strcmp(c->key, "id") == 0 ||
		    strcmp(c->key, "created_by") == 0 ||
		    strcmp(c->key, "created_at") == 0 ||
		    strcmp(c->key, "updated_at") == 0 ||
		    strcmp(c->key, "condition") == 0) {
			/* output of `strategy show -o json` reads back */
			continue;
		} else {
			es_err_set(err, ES_EUSAGE, "Invalid", "%s: unknown "
			    "field '%s'", where, c->key);
			goto done;
		}
		continue;
bad:
		es_err_prefix(err, "%s", where);
		goto done;
	}
	if (names != NULL && strategy_clusters(ctx, names, n, s, err) == -1)
		goto done;
	rc = 0;
done:
	free(names);
	doc_free(root);
	return rc;
}

/* Applies the form options given on the command line to s. */
static int
strategy_from_args(struct esctl_ctx *ctx, struct esctl_args *args,
    struct strategy *s, struct es_err *err)
{
	const char *v, **list;
	int n;

	if ((v = args_get(args, "action")) != NULL &&
	    strategy_action_parse(v, &s->action, err) == -1)
		return -1;
	if ((v = args_get(args, "cpu-threshold")) != NULL &&
	    strategy_threshold(v, "cpu_threshold_value (--cpu-threshold)",
	    &s->has_cpu, &s->cpu_threshold, &s->cpu_type, err) == -1)
		return -1;
	if ((v = args_get(args, "cpu-type")) != NULL &&
	    strategy_type_parse(v, "cpu_threshold_type (--cpu-type)",
	    &s->cpu_type, err) == -1)
		return -1;
	if ((v = args_get(args, "memory-threshold")) != NULL &&
	    strategy_threshold(v, "memory_threshold_value "
	    "(--memory-threshold)", &s->has_mem, &s->mem_threshold,
	    &s->mem_type, err) == -1)
		return -1;
	if ((v = args_get(args, "memory-type")) != NULL &&
	    strategy_type_parse(v, "memory_threshold_type (--memory-type)",
	    &s->mem_type, err) == -1)
		return -1;
	if ((v = args_get(args, "logic")) != NULL &&
	    strategy_logic_parse(v, &s->logic, err) == -1)
		return -1;
	if ((v = args_get(args, "duration")) != NULL &&
	    strategy_minutes(v, "--duration", &s->duration_minutes, err) ==
	    -1)
		return -1;
	if ((v = args_get(args, "cooldown")) != NULL &&
	    strategy_minutes(v, "--cooldown", &s->cooldown_minutes, err) ==
	    -1)
		return -1;
	if (args_has(args, "device-count") && args_int(args, "device-count",
	    1, STRATEGY_DEVICES_MAX, -1, &s->device_count, err) == -1)
		return -1;
	if ((v = args_get(args, "node-selector")) != NULL) {
		free(s->node_selector);
		s->node_selector = strcmp(v, "none") == 0 || *v == '\0' ?
		    NULL : xstrdup(v);
	}
	if ((v = args_get(args, "description")) != NULL) {
		free(s->description);
		s->description = xstrdup(v);
	}
	if ((v = args_get(args, "status")) != NULL) {
		if (strcmp(v, "enabled") != 0 && strcmp(v, "disabled") != 0)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "status '%s': use enabled or disabled", v);
		s->enabled = strcmp(v, "enabled") == 0;
	}
	list = args_list(args, "cluster", &n);
	if (n > 0 && strategy_clusters(ctx, list, n, s, err) == -1)
		return -1;
	return 0;
}

/* The list row of one strategy (new object in *out). */
static int
strategy_row(struct esctl_ctx *ctx, long long id, cJSON **out,
    struct es_err *err)
{
	struct strategy_filter f;
	cJSON *list;

	memset(&f, 0, sizeof f);
	f.cluster_id = -1;
	f.id = id;
	if (strategy_list(ctx->store, &f, &list, err) == -1)
		return -1;
	*out = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	if (*out == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "strategy "
		    "%lld not found", id);
	return 0;
}

/*
 * The end of create and update: s with the options on top, validated
 * and stored (a new strategy, or the update of s->id), then its row.
 */
static int
strategy_save(struct esctl_ctx *ctx, struct esctl_args *args,
    struct strategy *s, int update, struct es_err *err)
{
	const char *verb = update ? "updated" : "created";
	cJSON *row;
	int rc;

	if (strategy_from_args(ctx, args, s, err) == -1 ||
	    strategy_validate(s, err) == -1)
		return -1;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: strategy '%s' is valid and would be "
		    "%s", s->name, verb);
		return 0;
	}
	if (store_begin(ctx->store, err) == -1)
		return -1;
	rc = update ? strategy_update(ctx->store, s, ctx->now, err) :
	    strategy_insert(ctx->store, s, ctx_actor(ctx), ctx->now, err);
	if (rc == -1) {
		store_rollback(ctx->store);
		return -1;
	}
	if (store_commit(ctx->store, err) == -1 ||
	    strategy_row(ctx, s->id, &row, err) == -1)
		return -1;
	if (update)
		rc = out_ok(ctx, row, "strategy '%s' updated", s->name);
	else
		rc = out_ok(ctx, row, "strategy '%s' created (id %lld)",
		    s->name, s->id);
	cJSON_Delete(row);
	return rc;
}

static int
cmd_strategy_create(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy s;
	const char *file = args_get(args, "from-file");
	int rc = -1;

	strategy_init(&s);
	if (file != NULL && strategy_from_file(ctx, file, &s, err) == -1)
		goto done;
	if (args->argc > 0) {
		free(s.name);
		s.name = xstrdup(args->argv[0]);
	}
	rc = strategy_save(ctx, args, &s, 0, err);
done:
	strategy_release(&s);
	return rc;
}

static int
cmd_strategy_update(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy s;
	const char *file = args_get(args, "from-file"), *v;
	int rc = -1;

	strategy_init(&s);
	if (strategy_load(ctx->store, args->argv[0], &s, err) == -1)
		goto done;
	if (file != NULL && strategy_from_file(ctx, file, &s, err) == -1)
		goto done;
	if ((v = args_get(args, "name")) != NULL) {
		free(s.name);
		s.name = xstrdup(v);
	}
	rc = strategy_save(ctx, args, &s, 1, err);
done:
	strategy_release(&s);
	return rc;
}

static int
cmd_strategy_list(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy_filter f;
	const char *v;
	cJSON *list;
	long long total;
	int rc, n;

	memset(&f, 0, sizeof f);
	f.name = args_get(args, "name");
	if ((v = args_get(args, "status")) != NULL) {
		if (strcmp(v, "enabled") != 0 && strcmp(v, "disabled") != 0)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "--status '%s': use enabled or disabled", v);
		f.status = v;
	}
	if ((v = args_get(args, "action")) != NULL) {
		int a;

		if (strategy_action_parse(v, &a, err) == -1)
			return -1;
		f.action = v;
	}
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	if (args_int(args, "limit", 0, 1000000, 0, &f.limit, err) == -1 ||
	    args_int(args, "offset", 0, 1LL << 40, 0, &f.offset, err) == -1)
		return -1;
	if (strategy_list(ctx->store, &f, &list, err) == -1)
		return -1;
	rc = out_list(ctx, list, strategy_cols, err);
	n = cJSON_GetArraySize(list);
	cJSON_Delete(list);
	if (rc == 0 && f.limit > 0 && (ctx->output == OUT_TABLE ||
	    ctx->output == OUT_WIDE)) {
		if (strategy_count(ctx->store, &f, &total, err) == -1)
			return -1;
		if (f.offset + n < total)
			ctx_info(ctx, "showing %lld-%lld of %lld; next page: "
			    "--offset %lld", n ? f.offset + 1 : f.offset,
			    f.offset + n, total, f.offset + n);
	}
	return rc;
}

static int
cmd_strategy_show(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy s;
	struct strategy_history_filter hf;
	struct order_filter of;
	cJSON *row = NULL, *hist, *orders;
	int rc = -1;

	strategy_init(&s);
	memset(&hf, 0, sizeof hf);
	memset(&of, 0, sizeof of);
	if (args_int(args, "history", 0, 100000, 10, &hf.limit, err) == -1)
		goto done;
	if (strategy_load(ctx->store, args->argv[0], &s, err) == -1 ||
	    strategy_row(ctx, s.id, &row, err) == -1)
		goto done;
	hf.strategy_id = s.id;
	hf.cluster_id = -1;
	if (hf.limit > 0) {
		if (strategy_history(ctx->store, &hf, &hist, err) == -1)
			goto done;
		cJSON_AddItemToObject(row, "execution_history", hist);
	}
	of.cluster_id = -1;
	of.strategy_id = s.id;
	of.limit = hf.limit > 0 ? hf.limit : 10;
	if (order_list(ctx->store, &of, &orders, err) == -1)
		goto done;
	cJSON_AddItemToObject(row, "orders", orders);
	rc = out_item(ctx, row, "name", err);
done:
	cJSON_Delete(row);
	strategy_release(&s);
	return rc;
}

/* enable / disable: every named strategy, all or nothing. */
static int
strategy_set_enabled(struct esctl_ctx *ctx, struct esctl_args *args,
    int enabled, struct es_err *err)
{
	struct strategy *s;
	int i, changed, rc = -1;

	s = xcalloc((size_t)args->argc, sizeof *s);
	for (i = 0; i < args->argc; i++)
		strategy_init(&s[i]);
	for (i = 0; i < args->argc; i++)
		if (strategy_load(ctx->store, args->argv[i], &s[i], err) == -1)
			goto done;
	if (ctx->dry_run) {
		for (i = 0; i < args->argc; i++)
			ctx_info(ctx, "dry run: strategy '%s' would be %s",
			    s[i].name, enabled ? "enabled" : "disabled");
		rc = 0;
		goto done;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++) {
		if (strategy_set_status(ctx->store, s[i].id, enabled,
		    ctx->now, &changed, err) == -1) {
			store_rollback(ctx->store);
			goto done;
		}
		s[i].enabled = changed;	/* reused: 1 when it changed */
	}
	if (store_commit(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++) {
		cJSON *row;

		if (out_wants_json(ctx)) {
			if (strategy_row(ctx, s[i].id, &row, err) == -1)
				goto done;
			out_ok(ctx, row, NULL);
			cJSON_Delete(row);
		} else
			out_ok(ctx, NULL, "strategy '%s' %s%s", s[i].name,
			    s[i].enabled ? "" : "was already ", enabled ?
			    "enabled" : "disabled");
	}
	rc = 0;
done:
	for (i = 0; i < args->argc; i++)
		strategy_release(&s[i]);
	free(s);
	return rc;
}

static int
cmd_strategy_enable(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	return strategy_set_enabled(ctx, args, 1, err);
}

static int
cmd_strategy_disable(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	return strategy_set_enabled(ctx, args, 0, err);
}

static int
cmd_strategy_delete(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy *s;
	struct es_buf names = ES_BUF_INIT;
	int i, rc = -1;

	s = xcalloc((size_t)args->argc, sizeof *s);
	for (i = 0; i < args->argc; i++)
		strategy_init(&s[i]);
	for (i = 0; i < args->argc; i++) {
		if (strategy_load(ctx->store, args->argv[i], &s[i], err) == -1)
			goto done;
		es_buf_addf(&names, "%s'%s'", i ? ", " : "", s[i].name);
	}
	if (ctx_confirm(ctx, err, "delete strateg%s %s and %s execution "
	    "history", args->argc > 1 ? "ies" : "y", names.data,
	    args->argc > 1 ? "their" : "its") == -1)
		goto done;
	if (ctx->dry_run) {
		ctx_info(ctx, "dry run: would delete strateg%s %s",
		    args->argc > 1 ? "ies" : "y", names.data);
		rc = 0;
		goto done;
	}
	if (store_begin(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++)
		if (strategy_delete(ctx->store, s[i].id, err) == -1) {
			es_err_prefix(err, "cannot delete strategy '%s'",
			    s[i].name);
			store_rollback(ctx->store);
			goto done;
		}
	if (store_commit(ctx->store, err) == -1)
		goto done;
	for (i = 0; i < args->argc; i++)
		out_ok(ctx, NULL, "strategy '%s' deleted", s[i].name);
	rc = 0;
done:
	es_buf_release(&names);
	for (i = 0; i < args->argc; i++)
		strategy_release(&s[i]);
	free(s);
	return rc;
}

static int
cmd_strategy_history(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct strategy_history_filter f;
	const char *v;
	cJSON *list;
	int rc;

	memset(&f, 0, sizeof f);
	if (args->argc > 0 && ctx_strategy_id(ctx, args->argv[0],
	    &f.strategy_id, err) == -1)
		return -1;
	if (ctx_cluster_opt(ctx, args, &f.cluster_id, err) == -1)
		return -1;
	if ((v = args_get(args, "result")) != NULL) {
		if (strcmp(v, "order_created") != 0 && strcmp(v, "skipped") !=
		    0 && strcmp(v, "failed_check") != 0)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "--result '%s': use order_created, skipped or "
			    "failed_check", v);
		f.result = v;
	}
	if ((v = args_get(args, "since")) != NULL && util_since_parse(v,
	    "--since", ctx->now, &f.since, err) == -1)
		return -1;
	if (args_int(args, "limit", 0, 1000000, 100, &f.limit, err) == -1 ||
	    args_int(args, "offset", 0, 1LL << 40, 0, &f.offset, err) == -1)
		return -1;
	if (strategy_history(ctx->store, &f, &list, err) == -1)
		return -1;
	out_kind(ctx, "history");
	rc = out_list(ctx, list, history_cols, err);
	cJSON_Delete(list);
	return rc;
}

/* One new order's notification: what is sent and how it went. */
struct strategy_note {
	struct notify_message	 m;
	struct notify_result	 res;
	char			 subject[256];
	struct es_buf		 text;
	cJSON			*fields;
	const struct engine_result *r;
};

/* Builds the message about a new order. */
static void
strategy_note_init(struct strategy_note *n, const struct engine_result *r,
    time_t now)
{
	char ts[UTIL_TIME_LEN];
	const char *action = strategy_action_name(r->action);

	memset(n, 0, sizeof *n);
	es_buf_init(&n->text);
	n->r = r;
	util_time_format(now, ts);
	snprintf(n->subject, sizeof n->subject, "[esctl] %s order %s for "
	    "cluster %s", action, r->order_number, r->cluster_name);
	es_buf_addf(&n->text, "New elastic scaling order %s (pending)\n"
	    "Action: %s, %lld device%s\nCluster: %s\nStrategy: %s (id %lld)\n"
	    "Triggered: %s (threshold %s)\nReason: %s\nCreated: %s\n"
	    "Review: esctl order show %s\n", r->order_number, action,
	    r->device_count, r->device_count == 1 ? "" : "s",
	    r->cluster_name, r->strategy_name, r->strategy_id,
	    r->triggered_value, r->threshold_value, r->reason, ts,
	    r->order_number);
	n->fields = cJSON_CreateObject();
	cJSON_AddStringToObject(n->fields, "order_number", r->order_number);
	cJSON_AddNumberToObject(n->fields, "order_id", (double)r->order_id);
	cJSON_AddStringToObject(n->fields, "action_type", action);
	cJSON_AddNumberToObject(n->fields, "device_count",
	    (double)r->device_count);
	cJSON_AddNumberToObject(n->fields, "cluster_id",
	    (double)r->cluster_id);
	cJSON_AddStringToObject(n->fields, "cluster_name", r->cluster_name);
	cJSON_AddNumberToObject(n->fields, "strategy_id",
	    (double)r->strategy_id);
	cJSON_AddStringToObject(n->fields, "strategy_name", r->strategy_name);
	cJSON_AddStringToObject(n->fields, "triggered_value",
	    r->triggered_value);
	cJSON_AddStringToObject(n->fields, "threshold_value",
	    r->threshold_value);
	cJSON_AddStringToObject(n->fields, "created_at", ts);
	n->m.order_id = r->order_id;
	n->m.strategy_id = r->strategy_id;
	n->m.event = "order_created";
	n->m.subject = n->subject;
	n->m.text = n->text.data;
	n->m.fields = n->fields;
}

static void
strategy_note_release(struct strategy_note *n)
{
	notify_result_release(&n->res);
	cJSON_Delete(n->fields);
	es_buf_release(&n->text);
}

/*
 * Tells whoever is on duty about every new order of the report: all the
 * network work first, then every attempt recorded in one transaction.
 * Failures are warnings; the attempts go into each result's JSON.
 */
static void
strategy_notify(struct esctl_ctx *ctx, const struct notify_config *nc,
    const cJSON *people, const struct engine_report *rep, time_t now,
    cJSON *json)
{
	struct strategy_note *notes;
	struct es_err e2 = ES_ERR_INIT;
	struct notify_log *lg;
	const struct notify_attempt *t;
	cJSON *item, *attempts, *a;
	size_t i, j, k, n = 0;

	notes = xcalloc(rep->created ? rep->created : 1, sizeof *notes);
	for (k = 0; k < rep->n; k++) {
		if (rep->results[k].order_id <= 0)
			continue;
		strategy_note_init(&notes[n], &rep->results[k], now);
		notify_deliver(nc, &notes[n].m, people, -1, now,
		    &notes[n].res);
		n++;
	}
	if (store_begin(ctx->store, &e2) == 0) {
		lg = notify_log_new(ctx->store, &e2);
		for (i = 0; lg != NULL && i < n; i++)
			if (notify_log_add(lg, &notes[i].m, &notes[i].res, now,
			    &e2) == -1)
				break;
		notify_log_free(lg);
		if (lg == NULL || i < n)
			store_rollback(ctx->store);
		else
			store_commit(ctx->store, &e2);
	}
	if (e2.code != 0)
		ctx_warn(ctx, "cannot record notifications: %s", e2.msg);
	item = json != NULL ? json->child : NULL;
	for (k = 0, i = 0; k < rep->n; k++, item = item ? item->next : NULL) {
		if (rep->results[k].order_id <= 0)
			continue;
		attempts = item != NULL ? cJSON_AddArrayToObject(item,
		    "notifications") : NULL;
		for (j = 0; j < notes[i].res.n; j++) {
			t = &notes[i].res.v[j];
			if (!t->ok)
				ctx_warn(ctx, "notification of order %s by %s "
				    "to '%s' failed: %s",
				    notes[i].r->order_number,
				    notify_channel_name(t->channel),
				    t->recipient, t->error);
			if (attempts == NULL)
				continue;
			a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "notification_type",
			    notify_channel_name(t->channel));
			cJSON_AddStringToObject(a, "recipient", t->recipient);
			cJSON_AddStringToObject(a, "status", t->ok ? "sent" :
			    "failed");
			if (t->error != NULL)
				cJSON_AddStringToObject(a, "error_message",
				    t->error);
			else
				cJSON_AddNullToObject(a, "error_message");
			cJSON_AddItemToArray(attempts, a);
		}
		i++;
	}
	for (i = 0; i < n; i++)
		strategy_note_release(&notes[i]);
	free(notes);
}

/*
 * One cell of the check table: the text engine_report_json's value for
 * the column's key would show, without building the JSON.
 */
static void
strategy_check_cell(void *arg, size_t row, size_t col, int flags, char *buf,
    size_t len)
{
	const struct check_table *ct = arg;
	const struct engine_result *r = &ct->rep->results[row];
	const char *v = NULL;

	(void)flags;
	switch (ct->field[col]) {
	case CHECK_STRATEGY:
		v = r->strategy_name;
		break;
	case CHECK_CLUSTER:
		v = r->cluster_name;
		break;
	case CHECK_RESULT:
		v = engine_outcome_name(r->outcome);
		break;
	case CHECK_ORDER:
		v = r->order_id > 0 ? r->order_number : NULL;
		break;
	case CHECK_TRIGGERED:
		v = r->triggered_value;
		break;
	case CHECK_THRESHOLD:
		v = r->threshold_value;
		break;
	case CHECK_REASON:
		v = r->reason;
		break;
	default:
		break;
	}
	out_cell_text(v, buf, len);
}

static int
cmd_strategy_check(struct esctl_ctx *ctx, struct esctl_args *args,
    struct es_err *err)
{
	struct check_table ct;
	struct engine_opts o;
	struct engine_report *rep = NULL;
	struct notify_config nc;
	const char *v, **refs;
	long long *ids = NULL, wait_s, cid;
	cJSON *json = NULL, *people = NULL;
	char at_s[UTIL_TIME_LEN];
	int i, n, lock = -1, rc = -1, notify, k;

	memset(&o, 0, sizeof o);
	memset(&nc, 0, sizeof nc);
	o.now = ctx->now;
	o.cluster_id = -1;
	o.dry_run = ctx->dry_run;
	o.created_by = "system";
	/* -q with a table prints no result: only new history rows' texts */
	o.terse = ctx->quiet && (ctx->output == OUT_TABLE ||
	    ctx->output == OUT_WIDE);
	if ((v = args_get(args, "at")) != NULL && util_time_parse(v, "--at",
	    ctx->now, &o.now, err) == -1)
		return -1;
	if (config_get_duration(ctx->cfg, "strategy.max_snapshot_gap",
	    STRATEGY_MAX_GAP, &o.max_gap, err) == -1 ||
	    config_get_duration(ctx->cfg, "strategy.lock_timeout",
	    STRATEGY_LOCK_WAIT, &wait_s, err) == -1 ||
	    config_get_duration(ctx->cfg, "strategy.history_retention",
	    STRATEGY_RETENTION, &o.retention, err) == -1)
		return -1;
	if ((v = args_get(args, "wait")) != NULL && util_parse_duration(v,
	    "--wait", &wait_s, err) == -1)
		return -1;
	notify = !o.dry_run && !args_has(args, "no-notify");
	/* a bad notify: section fails before anything is written */
	if (notify_config_load(ctx->cfg, &nc, err) == -1)
		return -1;
	refs = args_list(args, "strategy", &n);
	if (n > 0) {
		ids = xcalloc((size_t)n, sizeof *ids);
		for (i = 0; i < n; i++)
			if (ctx_strategy_id(ctx, refs[i], &ids[i], err) == -1)
				goto done;
		o.strategy_ids = ids;
		o.nstrategy = (size_t)n;
	}
	if ((v = args_get(args, "cluster")) != NULL) {
		if (pool_cluster_find(ctx->store, v, &cid, NULL, err) == -1)
			goto done;
		o.cluster_id = cid;
	}

	/* one check at a time per database */
	if (!o.dry_run) {
		lock = store_lock(ctx->store, "strategy-check", wait_s * 1000,
		    err);
		if (lock == -1) {
			if (err->code != ES_ECONFLICT)
				goto done;
			ctx_info(ctx, "another strategy check holds the lock "
			    "of this database; nothing done");
			es_err_clear(err);
			if (out_wants_json(ctx)) {
				json = cJSON_CreateArray();
				out_list(ctx, json, check_cols, err);
			}
			rc = 0;
			goto done;
		}
	}
	if (engine_check(ctx->store, &o, &rep, err) == -1)
		goto done;
	/* a large check's table is printed straight from the report */
	if (out_wants_json(ctx))
		json = engine_report_json(rep);
	if (notify && rep->created > 0) {
		if (duty_on_call(ctx->store, o.now, &people, err) == -1) {
			ctx_warn(ctx, "cannot read the duty roster: %s",
			    err->msg);
			es_err_clear(err);
			people = cJSON_CreateArray();
		}
		if (cJSON_GetArraySize(people) == 0)
			ctx_warn(ctx, "nobody is on duty now: new orders are "
			    "notified without a recipient");
		strategy_notify(ctx, &nc, people, rep, o.now, json);
	}
	if (json != NULL) {
		if (out_list(ctx, json, check_cols, err) == -1)
			goto done;
	} else {
		ct.rep = rep;
		for (i = 0; check_cols[i].header != NULL; i++) {
			ct.field[i] = CHECK_NFIELDS;
			for (k = 0; k < CHECK_NFIELDS; k++)
				if (strcmp(check_cols[i].key,
				    check_field_keys[k]) == 0)
					ct.field[i] = k;
		}
		if (out_table(ctx, check_cols, rep->n, strategy_check_cell,
		    &ct) == -1)
			goto done;
	}
	if (!ctx->quiet && !out_wants_json(ctx) &&
	    ctx->output != OUT_NAME) {
		util_time_format(o.now, at_s);
		fprintf(ctx->out, "%schecked %zu strategy/cluster pair%s at "
		    "%s: %zu order%s %screated, %zu skipped, %zu failed "
		    "check%s\n", o.dry_run ? "dry run: " : "", rep->n,
		    rep->n == 1 ? "" : "s", at_s, rep->created,
		    rep->created == 1 ? "" : "s", o.dry_run ? "would be " :
		    "", rep->skipped, rep->failed, rep->failed == 1 ? "" :
		    "s");
	}
	rc = 0;
done:
	store_unlock(lock);
	cJSON_Delete(json);
	cJSON_Delete(people);
	engine_report_free(rep);
	notify_config_release(&nc);
	free(ids);
	return rc;
}

static const struct esctl_opt form_opts[] = {
	{ 'c', "cluster", "CLUSTER", "associated cluster: name, UUID or id "
	    "(repeat or comma-separate)", OPT_LIST, 0, "k8s-cluster" },
	{ 'a', "action", "ACTION", "threshold_trigger_action: pool_entry or "
	    "pool_exit", OPT_STRING, 0, "=pool_entry pool_exit" },
	{ 0, "cpu-threshold", "PERCENT", "cpu_threshold_value, 0-100",
	    OPT_STRING, 0, NULL },
	{ 0, "cpu-type", "TYPE", "cpu_threshold_type: usage or allocated",
	    OPT_STRING, 0, "=usage allocated" },
	{ 0, "memory-threshold", "PERCENT", "memory_threshold_value, 0-100",
	    OPT_STRING, 0, NULL },
	{ 0, "memory-type", "TYPE", "memory_threshold_type: usage or "
	    "allocated", OPT_STRING, 0, "=usage allocated" },
	{ 0, "logic", "LOGIC", "condition_logic: AND or OR (needed with "
	    "both thresholds)", OPT_STRING, 0, "=AND OR" },
	{ 0, "duration", "MINUTES", "duration_minutes the condition must "
	    "hold (or 15m, 1h)", OPT_STRING, 0, NULL },
	{ 0, "cooldown", "MINUTES", "cooldown_minutes after an order (or "
	    "30m, 2h)", OPT_STRING, 0, NULL },
	{ 0, "device-count", "N", "device_count: devices to add or remove",
	    OPT_INT, 0, NULL },
	{ 0, "node-selector", "JSON", "node_selector: a JSON object of "
	    "labels", OPT_STRING, 0, NULL },
	{ 'd', "description", "TEXT", "description", OPT_STRING, 0, NULL },
	{ 0, "status", "STATUS", "enabled (default) or disabled", OPT_STRING,
	    0, "=enabled disabled" },
	{ 'f', "from-file", "FILE", "JSON or YAML with the seed's field "
	    "names", OPT_STRING, 0, "file" },
	OPT_END
};

static const struct esctl_opt update_opts[] = {
	{ 0, "name", "NAME", "rename the strategy", OPT_STRING, 0, NULL },
	{ 'c', "cluster", "CLUSTER", "replace the associated clusters "
	    "(repeat or comma-separate)", OPT_LIST, 0, "k8s-cluster" },
	{ 'a', "action", "ACTION", "pool_entry or pool_exit", OPT_STRING, 0,
	    "=pool_entry pool_exit" },
	{ 0, "cpu-threshold", "PERCENT", "0-100, or 'none' to stop "
	    "monitoring CPU", OPT_STRING, 0, NULL },
	{ 0, "cpu-type", "TYPE", "usage or allocated", OPT_STRING, 0,
	    "=usage allocated" },
	{ 0, "memory-threshold", "PERCENT", "0-100, or 'none' to stop "
	    "monitoring memory", OPT_STRING, 0, NULL },
	{ 0, "memory-type", "TYPE", "usage or allocated", OPT_STRING, 0,
	    "=usage allocated" },
	{ 0, "logic", "LOGIC", "AND or OR", OPT_STRING, 0, "=AND OR" },
	{ 0, "duration", "MINUTES", "duration_minutes", OPT_STRING, 0, NULL },
	{ 0, "cooldown", "MINUTES", "cooldown_minutes", OPT_STRING, 0, NULL },
	{ 0, "device-count", "N", "devices to add or remove", OPT_INT, 0,
	    NULL },
	{ 0, "node-selector", "JSON", "a JSON object, or 'none'", OPT_STRING,
	    0, NULL },
	{ 'd', "description", "TEXT", "description", OPT_STRING, 0, NULL },
	{ 0, "status", "STATUS", "enabled or disabled", OPT_STRING, 0,
	    "=enabled disabled" },
	{ 'f', "from-file", "FILE", "JSON or YAML with the fields to change",
	    OPT_STRING, 0, "file" },
	OPT_END
};

static const struct esctl_opt list_opts[] = {
	{ 0, "name", "TEXT", "names containing TEXT (case-insensitive)",
	    OPT_STRING, 0, NULL },
	{ 0, "status", "STATUS", "enabled or disabled", OPT_STRING, 0,
	    "=enabled disabled" },
	{ 'a', "action", "ACTION", "pool_entry or pool_exit", OPT_STRING, 0,
	    "=pool_entry pool_exit" },
	{ 'c', "cluster", "CLUSTER", "strategies associated with CLUSTER",
	    OPT_STRING, 0, "k8s-cluster" },
	{ 0, "limit", "N", "at most N strategies (a page)", OPT_INT, 0,
	    NULL },
	{ 0, "offset", "N", "skip the first N", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt show_opts[] = {
	{ 0, "history", "N", "recent executions and orders shown (default "
	    "10)", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt history_opts[] = {
	{ 'c', "cluster", "CLUSTER", "only this cluster", OPT_STRING, 0,
	    "k8s-cluster" },
	{ 0, "result", "RESULT", "order_created, skipped or failed_check",
	    OPT_STRING, 0, "=order_created skipped failed_check" },
	{ 0, "since", "TIME", "executions since TIME or for a duration (7d)",
	    OPT_STRING, 0, NULL },
	{ 0, "limit", "N", "at most N rows (default 100, 0: all)", OPT_INT, 0,
	    NULL },
	{ 0, "offset", "N", "skip the first N", OPT_INT, 0, NULL },
	OPT_END
};

static const struct esctl_opt check_opts[] = {
	{ 0, "at", "TIME", "evaluate as of TIME (replay; default now)",
	    OPT_STRING, 0, NULL },
	{ 's', "strategy", "STRATEGY", "only this strategy (repeatable)",
	    OPT_LIST, 0, "strategy" },
	{ 'c', "cluster", "CLUSTER", "only this cluster", OPT_STRING, 0,
	    "k8s-cluster" },
	{ 0, "wait", "DURATION", "wait this long for a running check "
	    "(default 55s)", OPT_STRING, 0, NULL },
	{ 0, "no-notify", NULL, "create orders without notifying anyone",
	    OPT_BOOL, 0, NULL },
	OPT_END
};

static const struct esctl_verb strategy_verbs[] = {
	{ "create", "[NAME]", "create an elastic scaling strategy",
	    "The seed's form rules apply: name, clusters, action and device "
	    "count are\nrequired; a threshold needs its type (usage or "
	    "allocated); values are\n0-100; --logic is required when both "
	    "thresholds are set; the node\nselector is a JSON object.  "
	    "--from-file takes the same fields by their\nseed names; options "
	    "override the file.", form_opts, 0, 1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, NULL,
	    cmd_strategy_create },
	{ "update", "STRATEGY", "change a strategy's fields or clusters",
	    "Only the fields given change; the result must pass the same "
	    "rules as create.\nSTRATEGY is a name or an id.", update_opts, 1,
	    1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "strategy",
	    cmd_strategy_update },
	{ "list", NULL, "list strategies", NULL, list_opts, 0, 0,
	    CMD_NEEDS_DB | CMD_OFFLINE, NULL, cmd_strategy_list },
	{ "show", "STRATEGY", "show a strategy, its clusters, history and "
	    "orders", NULL, show_opts, 1, 1, CMD_NEEDS_DB | CMD_OFFLINE,
	    "strategy", cmd_strategy_show },
	{ "enable", "STRATEGY...", "enable strategies", NULL, NULL, 1, -1,
	    CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE, "strategy",
	    cmd_strategy_enable },
	{ "disable", "STRATEGY...", "disable strategies (check ignores them)",
	    NULL, NULL, 1, -1, CMD_NEEDS_DB | CMD_MUTATES | CMD_OFFLINE,
	    "strategy", cmd_strategy_disable },
	{ "delete", "STRATEGY...", "delete strategies and their history",
	    "Refused while a strategy has a pending or processing order.  "
	    "Its orders stay,\nwithout the link to the strategy.", NULL, 1,
	    -1, CMD_NEEDS_DB | CMD_MUTATES | CMD_CONFIRM | CMD_OFFLINE,
	    "strategy", cmd_strategy_delete },
	{ "history", "[STRATEGY]", "show the execution history", NULL,
	    history_opts, 0, 1, CMD_NEEDS_DB | CMD_OFFLINE, "strategy",
	    cmd_strategy_history },
	{ "check", NULL, "evaluate every enabled strategy (run from cron)",
	    "For each enabled strategy and associated cluster: compare usage "
	    "or allocation\nwith the thresholds over the last duration_minutes "
	    "of snapshots, respect the\ncooldown and open orders, then create "
	    "a pending order and notify whoever is\non duty.  Every "
	    "evaluation is recorded in the execution history.  One check\n"
	    "runs at a time per database; a second one waits (--wait) or "
	    "exits cleanly.", check_opts, 0, 0, CMD_NEEDS_DB | CMD_MUTATES,
	    NULL, cmd_strategy_check },
	VERB_END
};

const struct esctl_group esctl_group_strategy = {
	"strategy", "elastic scaling strategies and their evaluation",
	"A strategy watches CPU and memory usage or allocation of its "
	"clusters (from\nthe snapshots of 'esctl snapshot') and turns a "
	"sustained breach into a\npending scaling order: pool_entry adds "
	"devices, pool_exit removes them.",
	strategy_verbs
};
