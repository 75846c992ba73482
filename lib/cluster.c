/*
 * cluster.c - ES service inputs, their validation and the metadata
 * records of the lifecycle.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "clusterobj.h"
#include "kube.h"
#include "quantity.h"
#include "usage.h"
#include "util.h"

enum cluster_ftype {
	CF_NAME,	/* [A-Za-z0-9._-]{1,63} */
	CF_QTY,		/* Kubernetes quantity */
	CF_INT,
	CF_TEXT,	/* free text (URL, ref, path) */
	CF_NS,		/* DNS-1123 label */
	CF_BOOL
};

#define CF_IDENTITY	0x01	/* not allowed among repository defaults */

struct cluster_fdesc {
	enum cluster_field	 field;
	const char		*key;
	enum cluster_ftype	 type;
	size_t			 off;
	const char		*def_s;
	long long		 def_i;
	long long		 min, max;
	int			 flags;
};

#define CF_S(f, k, t, m, d, fl) \
	{ f, k, t, offsetof(struct cluster_spec, m), d, 0, 0, 0, fl }
#define CF_I(f, k, t, m, d, lo, hi, fl) \
	{ f, k, t, offsetof(struct cluster_spec, m), NULL, d, lo, hi, fl }

/* Every input: its key, type, default and bounds (SPEC 3.1). */
static const struct cluster_fdesc cluster_fields[] = {
	CF_S(CLUSTER_F_ORG, "tenant_org_id", CF_NAME, tenant_org_id, NULL,
	    CF_IDENTITY),
	CF_S(CLUSTER_F_USER, "user", CF_NAME, user, NULL, CF_IDENTITY),
	CF_S(CLUSTER_F_SERVICE, "service_name", CF_NAME, service_name, NULL,
	    CF_IDENTITY),
	CF_I(CLUSTER_F_REPLICAS, "replicas", CF_INT, replicas, 1, 1,
	    CLUSTER_MAX_REPLICAS, 0),
	CF_S(CLUSTER_F_CPU_REQUEST, "cpu_request", CF_QTY, cpu_request,
	    "500m", 0),
	CF_S(CLUSTER_F_CPU_LIMIT, "cpu_limit", CF_QTY, cpu_limit, "2", 0),
	CF_S(CLUSTER_F_MEM_REQUEST, "mem_request", CF_QTY, mem_request,
	    "1Gi", 0),
	CF_S(CLUSTER_F_MEM_LIMIT, "mem_limit", CF_QTY, mem_limit, "2Gi", 0),
	CF_S(CLUSTER_F_DISK_SIZE, "disk_size", CF_QTY, disk_size, "10Gi", 0),
	CF_I(CLUSTER_F_GPU_COUNT, "gpu_count", CF_INT, gpu_count, 0, 0,
	    CLUSTER_MAX_GPU, 0),
	CF_I(CLUSTER_F_DIMENSION, "dimension", CF_INT, dimension, 128, 1,
	    CLUSTER_MAX_DIMENSION, 0),
	CF_I(CLUSTER_F_VECTOR_COUNT, "vector_count", CF_INT, vector_count,
	    10000, 0, 1000000000000LL, 0),
	CF_I(CLUSTER_F_INDEX_LIMIT, "index_limit", CF_INT, index_limit, 0, 0,
	    1000000, 0),
	CF_S(CLUSTER_F_GITLAB_URL, "gitlab_url", CF_TEXT, gitlab_url, NULL,
	    CF_IDENTITY),
	CF_S(CLUSTER_F_GITLAB_REF, "gitlab_ref", CF_TEXT, gitlab_ref, NULL,
	    CF_IDENTITY),
	CF_S(CLUSTER_F_GITLAB_PATH, "gitlab_path", CF_TEXT, gitlab_path, NULL,
	    CF_IDENTITY),
	CF_S(CLUSTER_F_NAMESPACE, "namespace", CF_NS, namespace, NULL,
	    CF_IDENTITY),
	CF_I(CLUSTER_F_KIBANA, "kibana", CF_BOOL, kibana, 1, 0, 1, 0),
};
#define CLUSTER_NFIELDS	(sizeof cluster_fields / sizeof cluster_fields[0])

const char *const cluster_statuses[] = {
	"creating", "created", "running", "scaling", "error", "failed",
	"deleting", "deleted", NULL
};

static const struct cluster_fdesc *cluster_fdesc_key(const char *);
static int	 cluster_doc_field(struct cluster_spec *,
		    const struct cluster_fdesc *, const struct doc_node *,
		    const char *, struct es_err *);
static int	 cluster_doc_read(struct cluster_spec *,
		    const struct doc_node *, const char *, int,
		    struct es_err *);
static int	 cluster_qty_positive(const char *, const char *, int,
		    int64_t *, struct es_err *);
static int	 cluster_op_wait(const struct cluster_op *,
		    const struct kube_ref *, long long, int (*)(void *,
		    const cJSON *, struct es_buf *, struct es_err *), void *,
		    struct es_err *);
static int	 cluster_cond_replaced(void *, const cJSON *, struct es_buf *,
		    struct es_err *);
static int	 cluster_delete_if_ours(struct kube_client *,
		    const struct kube_ref *, const char *, struct es_err *);

static char **
cluster_str(struct cluster_spec *s, const struct cluster_fdesc *d)
{
	return (char **)(void *)((char *)s + d->off);
}

static long long *
cluster_int(struct cluster_spec *s, const struct cluster_fdesc *d)
{
	return (long long *)(void *)((char *)s + d->off);
}

static int
cluster_is_str(const struct cluster_fdesc *d)
{
	return d->type == CF_NAME || d->type == CF_QTY || d->type == CF_TEXT ||
	    d->type == CF_NS;
}

void
cluster_spec_init(struct cluster_spec *s)
{
	memset(s, 0, sizeof *s);
}

void
cluster_spec_release(struct cluster_spec *s)
{
	size_t i;

	for (i = 0; i < CLUSTER_NFIELDS; i++)
		if (cluster_is_str(&cluster_fields[i]))
			free(*cluster_str(s, &cluster_fields[i]));
	memset(s, 0, sizeof *s);
}

const char *
cluster_field_key(enum cluster_field f)
{
	return cluster_fields[f].key;
}

static const struct cluster_fdesc *
cluster_fdesc_key(const char *key)
{
	size_t i;

	for (i = 0; i < CLUSTER_NFIELDS; i++)
		if (strcmp(cluster_fields[i].key, key) == 0)
			return &cluster_fields[i];
	return NULL;
}

int
cluster_spec_set(struct cluster_spec *s, enum cluster_field f,
    const char *value, const char *what, struct es_err *err)
{
	const struct cluster_fdesc *d = &cluster_fields[f];
	int64_t m;
	long long v;
	int b;

	switch (d->type) {
	case CF_INT:
		if (util_parse_int(value, what, d->min, d->max, &v, err) == -1)
			return -1;
		*cluster_int(s, d) = v;
		break;
	case CF_BOOL:
		if (util_parse_bool(value, what, &b, err) == -1)
			return -1;
		*cluster_int(s, d) = b;
		break;
	case CF_QTY:
		if (quantity_parse(value, what, 0, &m, err) == -1)
			return -1;
		/* FALLTHROUGH */
	default:
		free(*cluster_str(s, d));
		*cluster_str(s, d) = xstrdup(value);
		break;
	}
	s->set |= 1u << f;
	return 0;
}

/* Reads one member of a --from-file or defaults mapping. */
static int
cluster_doc_field(struct cluster_spec *s, const struct cluster_fdesc *d,
    const struct doc_node *n, const char *name, struct es_err *err)
{
	const char *text = doc_scalar(n);
	int64_t m;

	switch (d->type) {
	case CF_INT:
		if (n->type != DOC_INT)
			goto badtype;
		if (n->integer < d->min || n->integer > d->max)
			return es_err_set(err, ES_EUSAGE, "Invalid",
			    "%s:%u:%u: invalid value '%s' for %s: must be "
			    "an integer between %lld and %lld", name, n->line,
			    n->col, text, d->key, d->min, d->max);
		*cluster_int(s, d) = n->integer;
		break;
	case CF_BOOL:
		if (n->type != DOC_BOOL)
			goto badtype;
		*cluster_int(s, d) = n->boolean;
		break;
	case CF_QTY:
		if (text == NULL || n->type == DOC_BOOL)
			goto badtype;
		if (quantity_parse(text, d->key, 0, &m, err) == -1)
			return es_err_prefix(err, "%s:%u:%u", name, n->line,
			    n->col);
		/* FALLTHROUGH */
	default:
		if (text == NULL || n->type == DOC_BOOL)
			goto badtype;
		free(*cluster_str(s, d));
		*cluster_str(s, d) = xstrdup(text);
		break;
	}
	s->set |= 1u << d->field;
	return 0;
badtype:
	{
		char shown[128];

		if (text != NULL && n->type != DOC_NULL)
			snprintf(shown, sizeof shown, "'%.100s'", text);
		else
			snprintf(shown, sizeof shown, "a %s",
			    doc_type_name(n->type));
		return es_err_set(err, ES_EUSAGE, "Invalid", "%s:%u:%u: %s "
		    "must be %s, not %s", name, n->line, n->col, d->key,
		    d->type == CF_INT ? "an integer" : d->type == CF_BOOL ?
		    "true or false" : d->type == CF_QTY ? "a quantity such "
		    "as 500m or 2Gi" : "a string", shown);
	}
}

static int
cluster_doc_read(struct cluster_spec *s, const struct doc_node *root,
    const char *name, int defaults, struct es_err *err)
{
	const struct cluster_fdesc *d;
	const struct doc_node *c;
	const char *best;
	size_t i;
	int dist, bestd;

	if (root == NULL || root->type == DOC_NULL)
		return 0;
	if (root->type != DOC_MAP)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "%s:%u:%u: expected a mapping of create inputs, not "
		    "a %s", name, root->line, root->col,
		    doc_type_name(root->type));
	for (c = root->child; c != NULL; c = c->next) {
		d = cluster_fdesc_key(c->key);
		if (d == NULL || (defaults && (d->flags & CF_IDENTITY))) {
			best = NULL;
			bestd = 3;
			for (i = 0; i < CLUSTER_NFIELDS; i++) {
				if (defaults &&
				    (cluster_fields[i].flags & CF_IDENTITY))
					continue;
				dist = util_edit_distance(c->key,
				    cluster_fields[i].key);
				if (dist < bestd) {
					bestd = dist;
					best = cluster_fields[i].key;
				}
			}
			if (d != NULL)
				return es_err_set(err, ES_EUSAGE, "UnknownKey",
				    "%s:%u:%u: key '%s' cannot have a default "
				    "here", name, c->key_line, c->key_col,
				    c->key);
			if (best != NULL)
				return es_err_set(err, ES_EUSAGE, "UnknownKey",
				    "%s:%u:%u: unknown key '%s' (did you mean "
				    "'%s'?)", name, c->key_line, c->key_col,
				    c->key, best);
			return es_err_set(err, ES_EUSAGE, "UnknownKey",
			    "%s:%u:%u: unknown key '%s'", name, c->key_line,
			    c->key_col, c->key);
		}
		if (c->type == DOC_NULL)
			continue;
		if (defaults && (s->set & (1u << d->field)))
			continue;
		if (cluster_doc_field(s, d, c, name, err) == -1)
			return -1;
	}
	return 0;
}

int
cluster_spec_from_doc(struct cluster_spec *s, const struct doc_node *root,
    const char *name, struct es_err *err)
{
	return cluster_doc_read(s, root, name, 0, err);
}

int
cluster_spec_defaults(struct cluster_spec *s, const struct doc_node *root,
    const char *name, struct es_err *err)
{
	return cluster_doc_read(s, root, name, 1, err);
}

char *
cluster_namespace_for(const char *org, const char *user, const char *service)
{
	char *ns, *p;

	ns = xasprintf("%s-%s-%s", org, user, service);
	for (p = ns; *p != '\0'; p++) {
		if (*p == '_' || *p == '.')
			*p = '-';
		else
			*p = (char)tolower((unsigned char)*p);
	}
	return ns;
}

/* A quantity that must be > 0 (and whole bytes when bytes is set). */
static int
cluster_qty_positive(const char *s, const char *key, int bytes, int64_t *m,
    struct es_err *err)
{
	if (quantity_parse(s, key, 0, m, err) == -1)
		return -1;
	if (*m <= 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid quantity "
		    "'%s' for %s: must be greater than zero", s, key);
	if (bytes && *m % 1000 != 0)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid quantity "
		    "'%s' for %s: must be a whole number of bytes", s, key);
	return 0;
}

int
cluster_spec_required(const struct cluster_spec *s, struct es_err *err)
{
	if (s->tenant_org_id == NULL || *s->tenant_org_id == '\0')
		return es_err_set(err, ES_EUSAGE, "MissingField",
		    "tenant_org_id is required for multi-tenancy");
	if (s->user == NULL || *s->user == '\0')
		return es_err_set(err, ES_EUSAGE, "MissingField",
		    "user is required");
	if (s->service_name == NULL || *s->service_name == '\0')
		return es_err_set(err, ES_EUSAGE, "MissingField",
		    "service_name is required");
	return 0;
}

int
cluster_spec_finish(struct cluster_spec *s, struct es_err *err)
{
	const struct cluster_fdesc *d;
	int64_t req, lim, disk;
	const char *v;
	char *ns;
	size_t i;

	/* the seeds' messages, in the seeds' order */
	if (cluster_spec_required(s, err) == -1)
		return -1;
	for (i = 0; i < CLUSTER_NFIELDS; i++) {
		d = &cluster_fields[i];
		if (s->set & (1u << d->field))
			continue;
		if (cluster_is_str(d)) {
			if (d->def_s != NULL && *cluster_str(s, d) == NULL)
				*cluster_str(s, d) = xstrdup(d->def_s);
		} else
			*cluster_int(s, d) = d->def_i;
	}
	for (i = 0; i < CLUSTER_NFIELDS; i++) {
		d = &cluster_fields[i];
		if (d->type != CF_NAME)
			continue;
		v = *cluster_str(s, d);
		if (!util_valid_name(v, 63))
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "%s '%s': must be 1 to 63 characters of "
			    "[A-Za-z0-9._-]", d->key, v);
		/* it becomes a Kubernetes label value */
		if (!isalnum((unsigned char)v[0]) ||
		    !isalnum((unsigned char)v[strlen(v) - 1]))
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "%s '%s': must start and end with a letter or "
			    "digit", d->key, v);
	}
	if (cluster_qty_positive(s->cpu_request, "cpu_request", 0, &req,
	    err) == -1 || cluster_qty_positive(s->cpu_limit, "cpu_limit", 0,
	    &lim, err) == -1)
		return -1;
	if (req > lim)
		return es_err_set(err, ES_EUSAGE, "Invalid", "cpu_request '%s' "
		    "is greater than cpu_limit '%s'", s->cpu_request,
		    s->cpu_limit);
	if (cluster_qty_positive(s->mem_request, "mem_request", 1, &req,
	    err) == -1 || cluster_qty_positive(s->mem_limit, "mem_limit", 1,
	    &lim, err) == -1)
		return -1;
	if (req > lim)
		return es_err_set(err, ES_EUSAGE, "Invalid", "mem_request '%s' "
		    "is greater than mem_limit '%s'", s->mem_request,
		    s->mem_limit);
	if (cluster_qty_positive(s->disk_size, "disk_size", 1, &disk,
	    err) == -1)
		return -1;
	if (s->namespace != NULL && *s->namespace != '\0') {
		if (!util_dns1123_label(s->namespace))
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "namespace '%s': must be a DNS-1123 label (at most "
			    "63 characters of a-z, 0-9 and '-', starting and "
			    "ending with a letter or digit)", s->namespace);
	} else {
		ns = cluster_namespace_for(s->tenant_org_id, s->user,
		    s->service_name);
		if (!util_dns1123_label(ns)) {
			es_err_set(err, ES_EUSAGE, "InvalidNamespace", "the "
			    "namespace '%s' derived from tenant_org_id, user "
			    "and service_name is not a valid DNS-1123 label "
			    "(at most 63 characters of a-z, 0-9 and '-', "
			    "starting and ending with a letter or digit): "
			    "choose one with --namespace", ns);
			free(ns);
			return -1;
		}
		free(s->namespace);
		s->namespace = ns;
	}
	if (s->gitlab_url != NULL && *s->gitlab_url == '\0') {
		free(s->gitlab_url);
		s->gitlab_url = NULL;
	}
	return 0;
}

void
cluster_spec_details(const struct cluster_spec *s, struct report_details *d)
{
	d->replicas = s->replicas;
	d->cpu_request = s->cpu_request;
	d->cpu_limit = s->cpu_limit;
	d->mem_request = s->mem_request;
	d->mem_limit = s->mem_limit;
	d->disk_size = s->disk_size;
	d->gpu_count = s->gpu_count;
	d->dimension = s->dimension;
	d->vector_count = s->vector_count;
	d->index_limit = s->index_limit;
}

cJSON *
cluster_spec_json(const struct cluster_spec *s)
{
	const struct cluster_fdesc *d;
	cJSON *j;
	size_t i;

	j = cJSON_CreateObject();
	for (i = 0; i < CLUSTER_NFIELDS; i++) {
		d = &cluster_fields[i];
		if (cluster_is_str(d)) {
			const char *v = *cluster_str((struct cluster_spec *)
			    (uintptr_t)s, d);

			if (v != NULL)
				cJSON_AddStringToObject(j, d->key, v);
			else
				cJSON_AddNullToObject(j, d->key);
		} else if (d->type == CF_BOOL)
			cJSON_AddBoolToObject(j, d->key, *cluster_int(
			    (struct cluster_spec *)(uintptr_t)s, d) != 0);
		else
			cJSON_AddNumberToObject(j, d->key, (double)
			    *cluster_int((struct cluster_spec *)(uintptr_t)s,
			    d));
	}
	return j;
}

void
cluster_spec_usage(const struct cluster_spec *s, struct tenant_amount *a)
{
	int64_t v;

	memset(a, 0, sizeof *a);
	a->clusters = 1;
	if (quantity_parse(s->cpu_limit, "cpu_limit", 0, &v, NULL) == 0)
		a->cpu = v * s->replicas;
	if (quantity_parse(s->mem_limit, "mem_limit", 0, &v, NULL) == 0)
		a->memory = v * s->replicas;
	if (quantity_parse(s->disk_size, "disk_size", 0, &v, NULL) == 0)
		a->disk = v * s->replicas;
	a->gpu = s->gpu_count * s->replicas;
}

void
cluster_meta_release(struct cluster_meta *m)
{
	free(m->creation_id);
	memset(m, 0, sizeof *m);
}

/* The DeploymentStatus details of the seed (002). */
static char *
cluster_details_text(const struct cluster_spec *s)
{
	cJSON *j;
	char *t;

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "cpu_request", s->cpu_request);
	cJSON_AddStringToObject(j, "cpu_limit", s->cpu_limit);
	cJSON_AddStringToObject(j, "mem_request", s->mem_request);
	cJSON_AddStringToObject(j, "mem_limit", s->mem_limit);
	cJSON_AddStringToObject(j, "disk_size", s->disk_size);
	cJSON_AddNumberToObject(j, "gpu_count", (double)s->gpu_count);
	cJSON_AddNumberToObject(j, "dimension", (double)s->dimension);
	cJSON_AddNumberToObject(j, "vector_count", (double)s->vector_count);
	cJSON_AddNumberToObject(j, "index_limit", (double)s->index_limit);
	cJSON_AddBoolToObject(j, "kibana", s->kibana != 0);
	t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (t == NULL)
		fatal("out of memory");
	return t;
}

static int
cluster_same(sqlite3_stmt *stmt, int col, const struct cluster_spec *s)
{
	return strcmp((const char *)sqlite3_column_text(stmt, col),
	    s->tenant_org_id) == 0 &&
	    strcmp((const char *)sqlite3_column_text(stmt, col + 1),
	    s->user) == 0 &&
	    strcmp((const char *)sqlite3_column_text(stmt, col + 2),
	    s->service_name) == 0;
}

int
cluster_meta_record(struct store *st, const struct cluster_spec *s,
    time_t now, struct cluster_meta *out, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct tenant_amount add;
	char ts[UTIL_TIME_LEN], *created = NULL, *details = NULL, *dsid;
	const char *status;
	int rc;

	memset(out, 0, sizeof *out);
	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;

	/* the service's own record, and any record of the namespace */
	stmt = store_prepare(st, err, "SELECT id, tenant_org_id, user, "
	    "service_name, namespace, status, created_at "
	    "FROM tenant_container WHERE namespace = ?1 OR "
	    "(tenant_org_id = ?2 AND user = ?3 AND service_name = ?4)",
	    "ssss", s->namespace, s->tenant_org_id, s->user, s->service_name);
	if (stmt == NULL)
		goto fail;
	while ((rc = store_step(st, stmt, err)) == 1) {
		status = (const char *)sqlite3_column_text(stmt, 5);
		if (!cluster_same(stmt, 1, s)) {
			es_err_set(err, ES_ECONFLICT, "NamespaceInUse",
			    "namespace '%s' is already used by service '%s' "
			    "of user '%s' in org '%s'", s->namespace,
			    sqlite3_column_text(stmt, 3),
			    sqlite3_column_text(stmt, 2),
			    sqlite3_column_text(stmt, 1));
			rc = -1;
			break;
		}
		if (strcmp((const char *)sqlite3_column_text(stmt, 4),
		    s->namespace) != 0) {
			es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "service '%s' of user '%s' in org '%s' already "
			    "exists in "
			    "namespace '%s'", s->service_name, s->user,
			    s->tenant_org_id, sqlite3_column_text(stmt, 4));
			rc = -1;
			break;
		}
		if (strcmp(status, "creating") != 0) {
			es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "service '%s' of user '%s' in org '%s' already "
			    "exists (namespace '%s', status %s)",
			    s->service_name, s->user, s->tenant_org_id,
			    s->namespace, status);
			rc = -1;
			break;
		}
		/* a create that died: take its record over */
		out->creation_id = xstrdup((const char *)
		    sqlite3_column_text(stmt, 0));
		created = xstrdup((const char *)sqlite3_column_text(stmt, 6));
		out->resumed = 1;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		goto fail;

	/* a deployment of the namespace that is neither gone nor failed */
	stmt = store_prepare(st, err, "SELECT tenant_org_id, user, "
	    "service_name, status FROM deployment_status WHERE namespace = ? "
	    "AND status NOT IN ('deleted', 'failed')", "s", s->namespace);
	if (stmt == NULL)
		goto fail;
	rc = store_step(st, stmt, err);
	if (rc == 1 && !cluster_same(stmt, 0, s)) {
		es_err_set(err, ES_ECONFLICT, "NamespaceInUse",
		    "namespace '%s' is already used by service '%s' of "
		    "user '%s' in org '%s' (status %s)", s->namespace,
		    sqlite3_column_text(stmt, 2), sqlite3_column_text(stmt, 1),
		    sqlite3_column_text(stmt, 0), sqlite3_column_text(stmt, 3));
		rc = -1;
	}
	sqlite3_finalize(stmt);
	if (rc == -1)
		goto fail;

	if (out->resumed && store_exec(st, err, "DELETE FROM tenant_container "
	    "WHERE id = ?", "s", out->creation_id) == -1)
		goto fail;
	cluster_spec_usage(s, &add);
	if (tenant_quota_check(st, s->tenant_org_id, s->user, &add,
	    err) == -1)
		goto fail;
	if (out->creation_id == NULL)
		out->creation_id = xasprintf("tenant_%s_%s_%s_%lld",
		    s->tenant_org_id, s->user, s->service_name,
		    (long long)now);
	if (store_exec(st, err, "INSERT INTO tenant_container (id, "
	    "tenant_org_id, user, service_name, namespace, replicas, "
	    "cpu_request, cpu_limit, mem_request, mem_limit, disk_size, "
	    "gpu_count, dimension, vector_count, index_limit, gitlab_url, "
	    "status, created_at, updated_at, creation_id, kibana) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "'creating', ?, ?, ?, ?)", "sssssisssssiiiissssi",
	    out->creation_id, s->tenant_org_id, s->user, s->service_name,
	    s->namespace, s->replicas, s->cpu_request, s->cpu_limit,
	    s->mem_request, s->mem_limit, s->disk_size, s->gpu_count,
	    s->dimension, s->vector_count, s->index_limit, s->gitlab_url,
	    created ? created : ts, ts, out->creation_id, s->kibana) == -1)
		goto fail;
	details = cluster_details_text(s);
	dsid = xasprintf("deploy_%s_%lld", s->namespace, (long long)now);
	rc = store_exec(st, err, "INSERT INTO deployment_status (id, "
	    "tenant_org_id, namespace, user, service_name, status, message, "
	    "gpu_count, dimension, vector_count, replicas, details, "
	    "created_at, updated_at, creation_id) "
	    "VALUES (?, ?, ?, ?, ?, 'creating', NULL, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (namespace) DO UPDATE SET "
	    "id = CASE WHEN deployment_status.creation_id IS "
	    "excluded.creation_id "
	    "THEN deployment_status.id ELSE excluded.id END, "
	    "tenant_org_id = excluded.tenant_org_id, user = excluded.user, "
	    "service_name = excluded.service_name, status = 'creating', "
	    "message = NULL, cpu_usage = NULL, memory_usage = NULL, "
	    "disk_usage = NULL, qps = NULL, gpu_count = excluded.gpu_count, "
	    "dimension = excluded.dimension, "
	    "vector_count = excluded.vector_count, "
	    "replicas = excluded.replicas, details = excluded.details, "
	    "created_at = CASE WHEN deployment_status.creation_id IS "
	    "excluded.creation_id THEN deployment_status.created_at "
	    "ELSE excluded.created_at END, "
	    "updated_at = excluded.updated_at, "
	    "creation_id = excluded.creation_id", "sssssiiiissss", dsid,
	    s->tenant_org_id, s->namespace, s->user, s->service_name,
	    s->gpu_count, s->dimension, s->vector_count, s->replicas, details,
	    created ? created : ts, ts, out->creation_id);
	free(dsid);
	free(details);
	if (rc == -1)
		goto fail;
	if (store_commit(st, err) == -1)
		goto fail;
	free(created);
	return 0;
fail:
	store_rollback(st);
	free(created);
	cluster_meta_release(out);
	return -1;
}

int
cluster_meta_fail(struct store *st, const char *ns, const char *creation_id,
    const char *error, time_t now, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];

	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	if (store_exec(st, err, "DELETE FROM tenant_container WHERE "
	    "namespace = ? AND id = ?", "ss", ns, creation_id) == -1 ||
	    store_exec(st, err, "UPDATE deployment_status SET status = "
	    "'failed', message = ?, updated_at = ? WHERE namespace = ? AND "
	    "creation_id IS ?", "ssss", error, ts, ns, creation_id) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
cluster_meta_forget(struct store *st, const char *ns,
    const char *creation_id, struct es_err *err)
{
	if (store_begin(st, err) == -1)
		return -1;
	if (store_exec(st, err, "DELETE FROM tenant_container WHERE "
	    "namespace = ? AND id = ?", "ss", ns, creation_id) == -1 ||
	    store_exec(st, err, "DELETE FROM deployment_status WHERE "
	    "namespace = ? AND creation_id IS ?", "ss", ns,
	    creation_id) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
cluster_meta_sync(struct store *st, const struct cluster_spec *s,
    const char *creation_id, const char *commit, time_t now,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN], *config;
	cJSON *j;
	int rc;

	util_time_format(now, ts);
	j = cluster_spec_json(s);
	config = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (config == NULL)
		fatal("out of memory");
	rc = store_exec(st, err, "UPDATE tenant_container SET config = ?, "
	    "gitlab_commit = ?, sync_time = ?, updated_at = ? WHERE id = ?",
	    "sssss", config, commit, ts, ts, creation_id);
	cJSON_free(config);
	if (rc == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound",
		    "the record of service '%s' disappeared during its "
		    "creation", s->service_name);
	return rc == -1 ? -1 : 0;
}

int
cluster_meta_created(struct store *st, const struct cluster_spec *s,
    const char *creation_id, time_t now, struct es_err *err)
{
	struct usage_event e;
	char ts[UTIL_TIME_LEN];
	int rc;

	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	rc = store_exec(st, err, "UPDATE tenant_container SET status = "
	    "'created', sync_time = ?, updated_at = ? WHERE id = ?", "sss",
	    ts, ts, creation_id);
	if (rc == 0)
		es_err_set(err, ES_ENOTFOUND, "NotFound", "the record of "
		    "service '%s' disappeared during its creation",
		    s->service_name);
	if (rc <= 0)
		goto fail;
	if (store_exec(st, err, "UPDATE deployment_status SET status = "
	    "'created', message = NULL, updated_at = ? WHERE namespace = ? "
	    "AND creation_id IS ?", "sss", ts, s->namespace, creation_id) == -1)
		goto fail;
	memset(&e, 0, sizeof e);
	e.tenant_org_id = s->tenant_org_id;
	e.user = s->user;
	e.service_name = s->service_name;
	e.namespace = s->namespace;
	e.event = "create";
	e.replicas = s->replicas;
	e.cpu_limit = s->cpu_limit;
	e.mem_limit = s->mem_limit;
	e.disk_size = s->disk_size;
	e.gpu_count = s->gpu_count;
	if (usage_record(st, &e, now, err) == -1)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

int
cluster_meta_export(struct store *st, const char *ns, cJSON **out,
    struct es_err *err)
{
	struct tenant_filter f;
	cJSON *list, *item;

	*out = NULL;
	memset(&f, 0, sizeof f);
	f.namespace = ns;
	if (tenant_containers(st, &f, &list, err) == -1)
		return -1;
	item = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	if (item == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no tenant "
		    "container in namespace '%s'", ns);
	*out = item;
	return 0;
}

#define CLUSTER_SELECT \
	"SELECT d.id, d.tenant_org_id, d.namespace, d.user, d.service_name, " \
	"d.status, d.message, d.replicas, d.cpu_usage, d.memory_usage, " \
	"d.disk_usage, d.qps, d.gpu_count, d.dimension, d.vector_count, " \
	"COALESCE(t.cpu_request, json_extract(d.details, '$.cpu_request')) " \
	"AS cpu_request, " \
	"COALESCE(t.cpu_limit, json_extract(d.details, '$.cpu_limit')) " \
	"AS cpu_limit, " \
	"COALESCE(t.mem_request, json_extract(d.details, '$.mem_request')) " \
	"AS mem_request, " \
	"COALESCE(t.mem_limit, json_extract(d.details, '$.mem_limit')) " \
	"AS mem_limit, " \
	"COALESCE(t.disk_size, json_extract(d.details, '$.disk_size')) " \
	"AS disk_size, " \
	"COALESCE(t.index_limit, json_extract(d.details, '$.index_limit'), " \
	"0) AS index_limit, " \
	"COALESCE(t.kibana, json_extract(d.details, '$.kibana'), 1) " \
	"AS kibana__bool, " \
	"d.details AS details__json, d.created_at, d.updated_at, " \
	"d.creation_id, t.id IS NOT NULL AS has_container__bool, " \
	"t.sync_time, t.gitlab_url, t.gitlab_commit " \
	"FROM deployment_status d LEFT JOIN tenant_container t " \
	"ON t.namespace = d.namespace "

int
cluster_meta_get(struct store *st, const char *ns, cJSON **out,
    struct es_err *err)
{
	return store_query_row_json(st, err, out, CLUSTER_SELECT
	    "WHERE d.namespace = ?", "s", ns);
}

int
cluster_meta_find(struct store *st, const char *org, const char *user,
    const char *service, char **ns, struct es_err *err)
{
	cJSON *rows;
	int n;

	*ns = NULL;
	if (store_query_json(st, err, &rows, "SELECT namespace, tenant_org_id "
	    "FROM deployment_status WHERE (?1 IS NULL OR tenant_org_id = ?1) "
	    "AND user = ?2 AND service_name = ?3 AND status <> 'deleted' "
	    "ORDER BY updated_at DESC", "sss", org, user, service) == -1)
		return -1;
	n = cJSON_GetArraySize(rows);
	if (n == 0) {
		cJSON_Delete(rows);
		return es_err_set(err, ES_ENOTFOUND, "NotFound",
		    "no ES service '%s' of user '%s'%s%s%s", service, user,
		    org ? " in org '" : "", org ? org : "", org ? "'" : "");
	}
	if (n > 1 && org == NULL) {
		cJSON_Delete(rows);
		return es_err_set(err, ES_ECONFLICT, "Ambiguous",
		    "service '%s' of user '%s' exists in %d orgs or "
		    "namespaces: pass --org or the namespace", service, user,
		    n);
	}
	*ns = xstrdup(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(rows, 0), "namespace")));
	cJSON_Delete(rows);
	return 0;
}

int
cluster_meta_list(struct store *st, const struct cluster_filter *f,
    cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, CLUSTER_SELECT
	    "WHERE (?1 IS NULL OR d.tenant_org_id = ?1) "
	    "AND (?2 IS NULL OR d.user = ?2) "
	    "AND (?3 IS NULL OR d.service_name = ?3) "
	    "AND (?4 IS NULL OR d.status = ?4) "
	    "AND (?5 OR ?4 IS NOT NULL OR d.status <> 'deleted') "
	    "ORDER BY d.tenant_org_id, d.namespace", "ssssi", f->org, f->user,
	    f->service, f->status, (long long)f->include_deleted);
}

int
cluster_deployments(struct store *st, const struct cluster_filter *f,
    const char *ns, cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT id, tenant_org_id, "
	    "namespace, user, service_name, status, message, cpu_usage, "
	    "memory_usage, disk_usage, qps, gpu_count, dimension, "
	    "vector_count, replicas, created_at, updated_at, "
	    "details AS details__json FROM deployment_status "
	    "WHERE (?1 IS NULL OR tenant_org_id = ?1) "
	    "AND (?2 IS NULL OR user = ?2) "
	    "AND (?3 IS NULL OR service_name = ?3) "
	    "AND (?4 IS NULL OR status = ?4) "
	    "AND (?5 IS NULL OR namespace = ?5) "
	    "AND (?6 OR ?4 IS NOT NULL OR ?5 IS NOT NULL OR "
	    "status <> 'deleted') "
	    "ORDER BY tenant_org_id, namespace", "sssssi", f->org, f->user,
	    f->service, f->status, ns, (long long)f->include_deleted);
}

int
cluster_meta_set_status(struct store *st, const char *ns, const char *status,
    const char *message, time_t now, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	int i, ok = 0, rc;

	for (i = 0; cluster_statuses[i] != NULL; i++)
		if (strcmp(cluster_statuses[i], status) == 0)
			ok = 1;
	if (!ok)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid status "
		    "'%s': use creating, created, running, scaling, error, "
		    "failed, deleting or deleted", status);
	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	rc = store_exec(st, err, "UPDATE deployment_status SET status = ?, "
	    "message = ?, updated_at = ? WHERE namespace = ?", "ssss", status,
	    message, ts, ns);
	if (rc == 0)
		es_err_set(err, ES_ENOTFOUND, "NotFound", "no deployment in "
		    "namespace '%s'", ns);
	if (rc <= 0 || store_exec(st, err, "UPDATE tenant_container SET "
	    "status = ?, updated_at = ? WHERE namespace = ?", "sss", status,
	    ts, ns) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

/* The usage event of a TenantContainer row's current state. */
static int
cluster_usage_event(struct store *st, const char *ns, const char *event,
    long long replicas, time_t now, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct usage_event e;
	int rc;

	stmt = store_prepare(st, err, "SELECT tenant_org_id, user, "
	    "service_name, replicas, cpu_limit, mem_limit, disk_size, "
	    "gpu_count, status FROM tenant_container WHERE namespace = ?",
	    "s", ns);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1 && strcmp((const char *)sqlite3_column_text(stmt, 8),
	    "creating") != 0) {
		memset(&e, 0, sizeof e);
		e.tenant_org_id = (const char *)sqlite3_column_text(stmt, 0);
		e.user = (const char *)sqlite3_column_text(stmt, 1);
		e.service_name = (const char *)sqlite3_column_text(stmt, 2);
		e.namespace = ns;
		e.event = event;
		e.replicas = replicas >= 0 ? replicas :
		    sqlite3_column_int64(stmt, 3);
		e.cpu_limit = (const char *)sqlite3_column_text(stmt, 4);
		e.mem_limit = (const char *)sqlite3_column_text(stmt, 5);
		e.disk_size = (const char *)sqlite3_column_text(stmt, 6);
		e.gpu_count = sqlite3_column_int64(stmt, 7);
		rc = usage_record(st, &e, now, err);
	}
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}

int
cluster_meta_deleted(struct store *st, const char *ns, time_t now,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN];

	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	if (cluster_usage_event(st, ns, "delete", -1, now, err) == -1 ||
	    store_exec(st, err, "UPDATE deployment_status SET status = "
	    "'deleted', message = NULL, cpu_usage = NULL, "
	    "memory_usage = NULL, disk_usage = NULL, qps = NULL, "
	    "updated_at = ? WHERE namespace = ?",
	    "ss", ts, ns) == -1 ||
	    store_exec(st, err, "DELETE FROM tenant_container WHERE "
	    "namespace = ?", "s", ns) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
cluster_meta_scaled(struct store *st, const char *ns, long long replicas,
    time_t now, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];

	util_time_format(now, ts);
	if (store_begin(st, err) == -1)
		return -1;
	if (store_exec(st, err, "UPDATE tenant_container SET replicas = ?, "
	    "updated_at = ? WHERE namespace = ?", "iss", replicas, ts,
	    ns) == -1 ||
	    store_exec(st, err, "UPDATE deployment_status SET replicas = ?, "
	    "updated_at = ? WHERE namespace = ?", "iss", replicas, ts,
	    ns) == -1 ||
	    cluster_usage_event(st, ns, "scale", replicas, now, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

int
cluster_meta_scale_check(struct store *st, const char *ns,
    long long replicas, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct tenant_amount add;
	char *org = NULL, *user = NULL;
	long long delta = 0;
	int64_t v;
	int rc;

	memset(&add, 0, sizeof add);
	stmt = store_prepare(st, err, "SELECT tenant_org_id, user, replicas, "
	    "cpu_limit, mem_limit, disk_size, gpu_count FROM tenant_container "
	    "WHERE namespace = ?", "s", ns);
	if (stmt == NULL)
		return -1;
	rc = store_step(st, stmt, err);
	if (rc == 1) {
		org = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		user = xstrdup((const char *)sqlite3_column_text(stmt, 1));
		delta = replicas - sqlite3_column_int64(stmt, 2);
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 3),
		    "cpu_limit", 0, &v, NULL) == 0)
			add.cpu = v * delta;
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 4),
		    "mem_limit", 0, &v, NULL) == 0)
			add.memory = v * delta;
		if (quantity_parse((const char *)sqlite3_column_text(stmt, 5),
		    "disk_size", 0, &v, NULL) == 0)
			add.disk = v * delta;
		add.gpu = sqlite3_column_int64(stmt, 6) * delta;
	}
	sqlite3_finalize(stmt);
	if (rc == 1 && delta > 0)
		rc = tenant_quota_check(st, org, user, &add, err) == -1 ? -1 :
		    0;
	free(org);
	free(user);
	return rc == -1 ? -1 : 0;
}

/* ---- lifecycle verbs ------------------------------------------------ */

void
cluster_sts_ref(struct kube_ref *ref, const char *ns)
{
	memset(ref, 0, sizeof *ref);
	ref->group = "apps";
	ref->version = "v1";
	ref->resource = "statefulsets";
	ref->namespace = ns;
	ref->name = CLUSTEROBJ_STS;
}

int
cluster_replicas(struct kube_client *kc, const char *ns, long *replicas,
    struct es_err *err)
{
	struct kube_ref ref;

	cluster_sts_ref(&ref, ns);
	return kube_scale_get(kc, &ref, replicas, err);
}

/* kube_wait with the op's progress and timeout. */
static int
cluster_op_wait(const struct cluster_op *op, const struct kube_ref *ref,
    long long timeout_ms, int (*cond)(void *, const cJSON *, struct es_buf *,
    struct es_err *), void *arg, struct es_err *err)
{
	struct kube_wait w;
	int rc;

	memset(&w, 0, sizeof w);
	w.timeout_ms = timeout_ms < 1 ? 1 : (long)timeout_ms;
	w.cond = cond;
	w.arg = arg;
	w.progress = op->progress;
	w.progress_arg = op->progress_arg;
	rc = kube_wait(op->kc, ref, &w, NULL, err);
	if (op->progress_done != NULL)
		op->progress_done(op->progress_arg);
	return rc;
}

int
cluster_lock(struct store *st, const char *ns, struct es_err *err)
{
	char *name;
	int fd;

	name = xasprintf("cluster-%s", ns);
	fd = store_lock(st, name, 0, err);
	free(name);
	if (fd == -1 && err->code == ES_ECONFLICT)
		es_err_set(err, ES_ECONFLICT, "Locked", "another esctl is "
		    "creating, deleting or scaling the service in namespace "
		    "'%s'", ns);
	return fd;
}

int
cluster_prove(struct kube_client *kc, const cJSON *rec, int *how,
    struct es_err *err)
{
	struct clusterobj_record cr;
	struct kube_ref ref;
	const char *ns = cJSON_GetStringValue(cJSON_GetObjectItem(rec,
	    "namespace"));
	cJSON *obj = NULL;
	int rc;

	*how = CLUSTER_NS_GONE;
	if (kube_ref_init(&ref, "namespaces", NULL, ns, err) == -1)
		return -1;
	if (kube_get(kc, &ref, &obj, err) == -1) {
		if (err->code != ES_ENOTFOUND)
			return -1;
		es_err_clear(err);
		return 0;
	}
	memset(&cr, 0, sizeof cr);
	cr.namespace = ns;
	cr.tenant_org_id = kube_str(rec, "tenant_org_id");
	cr.user = kube_str(rec, "user");
	cr.service_name = kube_str(rec, "service_name");
	cr.creation_id = kube_str(rec, "creation_id");
	rc = clusterobj_proof(obj, &cr, err);
	cJSON_Delete(obj);
	if (rc == -1)
		return -1;
	*how = rc == CLUSTEROBJ_OURS ? CLUSTER_NS_OURS : CLUSTER_NS_ADOPTED;
	return 0;
}

int
cluster_scale_check(struct store *st, const cJSON *rec, long long replicas,
    struct es_err *err)
{
	const char *ns = kube_str(rec, "namespace");
	const char *status = kube_str(rec, "status");

	if (status != NULL && (strcmp(status, "deleted") == 0 ||
	    strcmp(status, "failed") == 0))
		return es_err_set(err, ES_ECONFLICT, "WrongState", "the ES "
		    "service in namespace '%s' is %s", ns, status);
	return cluster_meta_scale_check(st, ns, replicas, err);
}

int
cluster_scale_claimed(const struct cluster_op *op, const char *ns,
    long long replicas, const char *prev, struct es_err *err)
{
	struct kube_ref ref;
	struct es_err e2 = ES_ERR_INIT;
	int rc;

	cluster_sts_ref(&ref, ns);
	rc = kube_scale_set(op->kc, &ref, (long)replicas, NULL, err);
	if (rc == 0 && op->wait)
		rc = cluster_op_wait(op, &ref, op->timeout_ms,
		    kube_cond_rollout, NULL, err);
	if (rc == 0 && cluster_meta_scaled(op->st, ns, replicas, op->now,
	    err) == 0 && cluster_meta_set_status(op->st, ns, "running", NULL,
	    op->now, err) == 0)
		return 0;
	if (cluster_meta_set_status(op->st, ns, prev, err->msg, op->now,
	    &e2) == -1)
		es_err_prefix(err, "the status could not be restored (%s)",
		    e2.msg);
	return -1;
}

int
cluster_scale(const struct cluster_op *op, const cJSON *rec,
    long long replicas, struct es_err *err)
{
	const char *ns = kube_str(rec, "namespace");
	char *prev;
	int how, rc;

	if (cluster_scale_check(op->st, rec, replicas, err) == -1 ||
	    cluster_prove(op->kc, rec, &how, err) == -1)
		return -1;
	prev = xstrdup(kube_str(rec, "status"));
	rc = cluster_meta_set_status(op->st, ns, "scaling", NULL, op->now,
	    err);
	if (rc == 0)
		rc = cluster_scale_claimed(op, ns, replicas, prev, err);
	free(prev);
	return rc;
}

/* A pod replaced: the same name, another uid, Ready. */
static int
cluster_cond_replaced(void *arg, const cJSON *pod, struct es_buf *st,
    struct es_err *err)
{
	const char *old = arg, *uid = kube_str(pod, "metadata.uid");

	if (pod == NULL || uid == NULL || (old != NULL &&
	    strcmp(uid, old) == 0)) {
		es_buf_adds(st, "being replaced");
		return 0;
	}
	return kube_cond_ready(NULL, pod, st, err);
}

int
cluster_pods(struct kube_client *kc, const char *ns, const char *pod,
    cJSON **out, struct es_err *err)
{
	struct kube_list_opts lo;
	struct kube_ref ref;
	cJSON *list = NULL, *obj = NULL;
	const cJSON *o;

	*out = NULL;
	if (kube_ref_init(&ref, "pods", ns, pod, err) == -1)
		return -1;
	if (pod != NULL) {
		if (kube_get(kc, &ref, &obj, err) == -1)
			return -1;
		*out = cJSON_CreateArray();
		cJSON_AddItemToArray(*out, obj);
		return 0;
	}
	memset(&lo, 0, sizeof lo);
	lo.label_selector = "app=elasticsearch";
	if (kube_list(kc, &ref, &lo, &list, err) == -1)
		return -1;
	*out = cJSON_CreateArray();
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(list, "items"))
		cJSON_AddItemToArray(*out, cJSON_Duplicate(o, 1));
	cJSON_Delete(list);
	if (cJSON_GetArraySize(*out) == 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return es_err_set(err, ES_ENOTFOUND, "NotFound",
		    "no Elasticsearch pods in namespace '%s'", ns);
	}
	return 0;
}

int
cluster_restart(const struct cluster_op *op, const cJSON *rec,
    const char *pod, cJSON **out, struct es_err *err)
{
	struct kube_delete_opts d;
	struct kube_ref ref;
	const char *ns = kube_str(rec, "namespace");
	cJSON *pods = NULL;
	const cJSON *o;
	long long start, left;
	int how;

	*out = NULL;
	if (cluster_prove(op->kc, rec, &how, err) == -1 ||
	    cluster_pods(op->kc, ns, pod, &pods, err) == -1)
		return -1;
	if (kube_ref_init(&ref, "pods", ns, NULL, err) == -1)
		goto fail;
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	cJSON_ArrayForEach(o, pods) {
		ref.name = kube_str(o, "metadata.name");
		if (kube_delete(op->kc, &ref, &d, NULL, err) == -1)
			goto fail;
	}
	start = util_mono_ms();
	*out = cJSON_CreateArray();
	cJSON_ArrayForEach(o, pods) {
		ref.name = kube_str(o, "metadata.name");
		left = op->timeout_ms - (util_mono_ms() - start);
		if (cluster_op_wait(op, &ref, left, cluster_cond_replaced,
		    (void *)(uintptr_t)kube_str(o, "metadata.uid"),
		    err) == -1)
			goto fail;
		cJSON_AddItemToArray(*out, cJSON_CreateString(ref.name));
	}
	cJSON_Delete(pods);
	return 0;
fail:
	cJSON_Delete(pods);
	cJSON_Delete(*out);
	*out = NULL;
	return -1;
}

/*
 * Deletes one object of an adopted namespace if this service's creation
 * made it (its creation annotation is the record's).
 */
static int
cluster_delete_if_ours(struct kube_client *kc, const struct kube_ref *ref,
    const char *creation_id, struct es_err *err)
{
	struct kube_delete_opts d;
	cJSON *cur = NULL;
	int ours;

	if (kube_get(kc, ref, &cur, err) == -1) {
		if (err->code != ES_ENOTFOUND)
			return -1;
		es_err_clear(err);
		return 0;
	}
	ours = clusterobj_is_ours(cur, creation_id);
	cJSON_Delete(cur);
	if (!ours)
		return 0;
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	return kube_delete(kc, ref, &d, NULL, err);
}

const struct cluster_victim cluster_victims[] = {
	{ "services", CLUSTEROBJ_KIBANA },
	{ "deployments", CLUSTEROBJ_KIBANA },
	{ "services", CLUSTEROBJ_SERVICE },
	{ "statefulsets", CLUSTEROBJ_STS },
	{ "configmaps", CLUSTEROBJ_CONFIGMAP },
	{ NULL, NULL }
};

int
cluster_delete(const struct cluster_op *op, const cJSON *rec, int *how,
    struct es_err *err)
{
	struct kube_delete_opts d;
	struct kube_list_opts lo;
	struct kube_ref ref;
	const char *ns = kube_str(rec, "namespace");
	const char *cid = kube_str(rec, "creation_id");
	const cJSON *o;
	cJSON *list = NULL;
	char *sel;
	size_t i;
	int rc;

	if (cluster_prove(op->kc, rec, how, err) == -1)
		return -1;
	memset(&d, 0, sizeof d);
	d.ignore_not_found = 1;
	for (i = 0; *how != CLUSTER_NS_GONE &&
	    cluster_victims[i].resource != NULL; i++) {
		if (kube_ref_init(&ref, cluster_victims[i].resource, ns,
		    cluster_victims[i].name, err) == -1)
			return -1;
		if (*how == CLUSTER_NS_ADOPTED ?
		    cluster_delete_if_ours(op->kc, &ref, cid, err) == -1 :
		    kube_delete(op->kc, &ref, &d, NULL, err) == -1)
			return -1;
	}
	if (*how != CLUSTER_NS_GONE) {
		if (kube_ref_init(&ref, "persistentvolumeclaims", ns, NULL,
		    err) == -1)
			return -1;
		sel = xasprintf("es-cluster=true,tenant-org-id=%s,user=%s,"
		    "service-name=%s", kube_str(rec, "tenant_org_id"),
		    kube_str(rec, "user"), kube_str(rec, "service_name"));
		memset(&lo, 0, sizeof lo);
		lo.label_selector = *how == CLUSTER_NS_OURS ?
		    "es-cluster=true" : sel;
		rc = kube_list(op->kc, &ref, &lo, &list, err);
		free(sel);
		if (rc == -1)
			return -1;
		cJSON_ArrayForEach(o, cJSON_GetObjectItem(list, "items")) {
			ref.name = kube_str(o, "metadata.name");
			if (*how == CLUSTER_NS_ADOPTED &&
			    !clusterobj_is_ours(o, cid) && strncmp(ref.name,
			    CLUSTEROBJ_PVC_PREFIX,
			    strlen(CLUSTEROBJ_PVC_PREFIX)) != 0)
				continue;
			if (kube_delete(op->kc, &ref, &d, NULL, err) == -1) {
				cJSON_Delete(list);
				return -1;
			}
		}
		cJSON_Delete(list);
		/* an adopted namespace is the operator's: it stays */
		if (*how == CLUSTER_NS_OURS) {
			if (kube_ref_init(&ref, "namespaces", NULL, ns,
			    err) == -1 ||
			    kube_delete(op->kc, &ref, &d, NULL, err) == -1)
				return -1;
			if (op->wait && cluster_op_wait(op, &ref,
			    op->timeout_ms, kube_cond_gone, NULL, err) == -1)
				return -1;
		}
	}
	return cluster_meta_deleted(op->st, ns, op->now, err);
}
