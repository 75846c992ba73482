/*
 * k8scluster.c - the registry of managed Kubernetes clusters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "k8scluster.h"
#include "util.h"

/*
 * The settable columns, in the order of the '?' of the INSERT and UPDATE
 * statements below.  level is the one integer column.
 */
static const char *const k8scluster_cols[] = {
	"cluster_id", "clusternamecn", "alias", "apiserver", "api_server_vip",
	"etcdserver", "etcd_server_vip", "ingressservername",
	"ingressservervip", "kubepromversion", "promserver", "thanosserver",
	"idc", "zone", "status", "clustertype", "kubeconfig", "kube_context",
	"desc", "creator", "group", "esserver", "nettype", "architecture",
	"flow_type", "nova_name", "cluster_group", "pod_cidr", "service_cidr",
	"rr_cicode", "rr_group", "level"
};
#define K8SCLUSTER_NCOLS \
	(sizeof k8scluster_cols / sizeof k8scluster_cols[0])

static const char k8scluster_insert[] =
"INSERT INTO k8s_cluster (created_at, updated_at, clustername,"
"  cluster_id, clusternamecn, alias, apiserver, api_server_vip,"
"  etcdserver, etcd_server_vip, ingressservername, ingressservervip,"
"  kubepromversion, promserver, thanosserver, idc, zone, status,"
"  clustertype, kubeconfig, kube_context, \"desc\", creator, \"group\","
"  esserver, nettype, architecture, flow_type, nova_name, cluster_group,"
"  pod_cidr, service_cidr, rr_cicode, rr_group, level)"
" VALUES (?, ?, ?,"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''),"
"  COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, ''), COALESCE(?, 0))";

static const char k8scluster_update_sql[] =
"UPDATE k8s_cluster SET updated_at = ?,"
"  cluster_id = COALESCE(?, cluster_id),"
"  clusternamecn = COALESCE(?, clusternamecn),"
"  alias = COALESCE(?, alias), apiserver = COALESCE(?, apiserver),"
"  api_server_vip = COALESCE(?, api_server_vip),"
"  etcdserver = COALESCE(?, etcdserver),"
"  etcd_server_vip = COALESCE(?, etcd_server_vip),"
"  ingressservername = COALESCE(?, ingressservername),"
"  ingressservervip = COALESCE(?, ingressservervip),"
"  kubepromversion = COALESCE(?, kubepromversion),"
"  promserver = COALESCE(?, promserver),"
"  thanosserver = COALESCE(?, thanosserver), idc = COALESCE(?, idc),"
"  zone = COALESCE(?, zone), status = COALESCE(?, status),"
"  clustertype = COALESCE(?, clustertype),"
"  kubeconfig = COALESCE(?, kubeconfig),"
"  kube_context = COALESCE(?, kube_context),"
"  \"desc\" = COALESCE(?, \"desc\"), creator = COALESCE(?, creator),"
"  \"group\" = COALESCE(?, \"group\"), esserver = COALESCE(?, esserver),"
"  nettype = COALESCE(?, nettype),"
"  architecture = COALESCE(?, architecture),"
"  flow_type = COALESCE(?, flow_type), nova_name = COALESCE(?, nova_name),"
"  cluster_group = COALESCE(?, cluster_group),"
"  pod_cidr = COALESCE(?, pod_cidr),"
"  service_cidr = COALESCE(?, service_cidr),"
"  rr_cicode = COALESCE(?, rr_cicode), rr_group = COALESCE(?, rr_group),"
"  level = COALESCE(?, level)"
" WHERE clustername = ? AND deleted_at IS NULL";

#define K8SCLUSTER_SELECT \
"SELECT id, clustername, cluster_id, clusternamecn, alias, status," \
"  clustertype, idc, zone, apiserver, api_server_vip, promserver," \
"  thanosserver, kubepromversion, etcdserver, etcd_server_vip," \
"  ingressservername, ingressservervip, esserver, nettype, architecture," \
"  flow_type, nova_name, level, cluster_group, pod_cidr, service_cidr," \
"  rr_cicode, rr_group, \"desc\", creator, \"group\", kube_context," \
"  kubeconfig, created_at, updated_at FROM k8s_cluster "

static int	 k8scluster_values(const struct k8scluster_set *, int,
		    const char **);
static void	 k8scluster_shape(cJSON *, int);

/* Maps the sets onto the column array; a column not settable is a BUG. */
static int
k8scluster_values(const struct k8scluster_set *sets, int n,
    const char **vals)
{
	size_t c;
	int i;

	for (c = 0; c < K8SCLUSTER_NCOLS; c++)
		vals[c] = NULL;
	for (i = 0; i < n; i++) {
		for (c = 0; c < K8SCLUSTER_NCOLS; c++)
			if (strcmp(sets[i].column, k8scluster_cols[c]) == 0)
				break;
		if (c == K8SCLUSTER_NCOLS)
			fatal("BUG: k8s_cluster has no settable column '%s'",
			    sets[i].column);
		vals[c] = sets[i].value;
	}
	return 0;
}

/* The level value: -1 (unset, bound as NULL) or 0..1000000. */
static int
k8scluster_level(const char *v, long long *out, struct es_err *err)
{
	const char *errstr;

	*out = -1;
	if (v == NULL)
		return 0;
	*out = util_strtonum(v, 0, 1000000, &errstr);
	if (errstr != NULL)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid level "
		    "'%s': an integer between 0 and 1000000", v);
	return 0;
}

/* A random RFC 4122 version 4 UUID (libuuid). */
static void
k8scluster_uuid(char buf[37])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
}

int
k8scluster_add(struct store *st, const char *name,
    const struct k8scluster_set *sets, int nsets, time_t now, long long *id,
    struct es_err *err)
{
	const char *vals[K8SCLUSTER_NCOLS];
	char ts[UTIL_TIME_LEN], uuid[37];
	long long n, level;

	if (store_query_int(st, err, &n, 0, "SELECT count(*) FROM k8s_cluster "
	    "WHERE clustername = ? AND deleted_at IS NULL", "s", name) == -1)
		return -1;
	if (n > 0)
		return es_err_set(err, ES_ECONFLICT, "AlreadyExists", "cluster "
		    "'%s' already exists", name);
	k8scluster_values(sets, nsets, vals);
	if (vals[0] == NULL) {
		k8scluster_uuid(uuid);
		vals[0] = uuid;
	}
	if (vals[14] == NULL)		/* status */
		vals[14] = "running";
	if (k8scluster_level(vals[31], &level, err) == -1)
		return -1;
	util_time_format(now, ts);
	if (store_exec(st, err, k8scluster_insert,
	    "sss" "sssssssssssssssssssssssssssssss" "I", ts, ts, name,
	    vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6],
	    vals[7], vals[8], vals[9], vals[10], vals[11], vals[12], vals[13],
	    vals[14], vals[15], vals[16], vals[17], vals[18], vals[19],
	    vals[20], vals[21], vals[22], vals[23], vals[24], vals[25],
	    vals[26], vals[27], vals[28], vals[29], vals[30], level) == -1) {
		if (err->code == ES_ECONFLICT)
			return es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "cluster '%s' or cluster_id '%s' already exists",
			    name, vals[0]);
		return -1;
	}
	if (id != NULL)
		*id = store_last_insert_id(st);
	return 0;
}

int
k8scluster_update(struct store *st, const char *name,
    const struct k8scluster_set *sets, int nsets, time_t now,
    struct es_err *err)
{
	const char *vals[K8SCLUSTER_NCOLS];
	char ts[UTIL_TIME_LEN];
	long long level;

	k8scluster_values(sets, nsets, vals);
	if (k8scluster_level(vals[31], &level, err) == -1)
		return -1;
	util_time_format(now, ts);
	if (store_exec(st, err, k8scluster_update_sql,
	    "s" "sssssssssssssssssssssssssssssss" "I" "s", ts,
	    vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6],
	    vals[7], vals[8], vals[9], vals[10], vals[11], vals[12], vals[13],
	    vals[14], vals[15], vals[16], vals[17], vals[18], vals[19],
	    vals[20], vals[21], vals[22], vals[23], vals[24], vals[25],
	    vals[26], vals[27], vals[28], vals[29], vals[30], level,
	    name) == -1) {
		if (err->code == ES_ECONFLICT)
			return es_err_set(err, ES_ECONFLICT, "AlreadyExists",
			    "cluster_id '%s' is used by another cluster",
			    vals[0] ? vals[0] : "");
		return -1;
	}
	if (sqlite3_changes(store_db(st)) == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no cluster "
		    "'%s' (see 'esctl k8s list')", name);
	return 0;
}

int
k8scluster_remove(struct store *st, const char *name, time_t now,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	int n;

	util_time_format(now, ts);
	n = store_exec(st, err, "UPDATE k8s_cluster SET deleted_at = ?, "
	    "updated_at = ? WHERE clustername = ? AND deleted_at IS NULL",
	    "sss", ts, ts, name);
	if (n == -1)
		return -1;
	if (n == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no cluster "
		    "'%s' (see 'esctl k8s list')", name);
	return 0;
}

/* Adds "source" and redacts the kubeconfig unless with_secret. */
static void
k8scluster_shape(cJSON *row, int with_secret)
{
	const char *kc = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "kubeconfig"));
	int stored = kc != NULL && *kc != '\0';

	cJSON_AddStringToObject(row, "source", stored ? "kubeconfig" :
	    "context");
	if (!with_secret && stored) {
		cJSON *old = cJSON_GetObjectItem(row, "kubeconfig");

		explicit_bzero(old->valuestring, strlen(old->valuestring));
		cJSON_ReplaceItemInObject(row, "kubeconfig",
		    cJSON_CreateString(K8SCLUSTER_REDACTED));
	}
}

int
k8scluster_get(struct store *st, const char *name, int with_secret,
    cJSON **out, struct es_err *err)
{
	*out = NULL;
	if (store_query_row_json(st, err, out, K8SCLUSTER_SELECT
	    "WHERE clustername = ? AND deleted_at IS NULL", "s", name) == -1)
		return -1;
	if (*out == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "no cluster "
		    "'%s' (see 'esctl k8s list')", name);
	k8scluster_shape(*out, with_secret);
	return 0;
}

int
k8scluster_list(struct store *st, const struct k8scluster_filter *f,
    cJSON **out, struct es_err *err)
{
	cJSON *row;
	const char *idc = f ? f->idc : NULL, *zone = f ? f->zone : NULL;
	const char *type = f ? f->type : NULL, *status = f ? f->status : NULL;

	if (store_query_json(st, err, out, K8SCLUSTER_SELECT
	    "WHERE deleted_at IS NULL AND (? IS NULL OR idc = ?) AND "
	    "(? IS NULL OR zone = ?) AND (? IS NULL OR clustertype = ?) AND "
	    "(? IS NULL OR status = ?) ORDER BY clustername", "ssssssss", idc,
	    idc, zone, zone, type, type, status, status) == -1)
		return -1;
	cJSON_ArrayForEach(row, *out)
		k8scluster_shape(row, 0);
	return 0;
}

int
k8scluster_config(const cJSON *row, const char *ambient,
    struct kube_config **out, struct es_err *err)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "clustername"));
	const char *kc = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "kubeconfig"));
	const char *ctx = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "kube_context"));
	char label[256];

	if (ctx != NULL && *ctx == '\0')
		ctx = NULL;
	if (kc != NULL && strcmp(kc, K8SCLUSTER_REDACTED) == 0)
		fatal("BUG: k8scluster_config needs the row with its secret");
	if (kc != NULL && *kc != '\0') {
		snprintf(label, sizeof label, "kubeconfig of cluster '%s'",
		    name ? name : "");
		if (kube_config_parse(kc, strlen(kc), label, NULL, ctx, out,
		    err) == -1)
			return es_err_prefix(err, "cluster '%s'", name ? name :
			    "");
		return 0;
	}
	if (kube_config_load(ambient, ctx, out, err) == -1)
		return es_err_prefix(err, "cluster '%s'", name ? name : "");
	return 0;
}
