/*
 * schema.c - schema migrations, applied in order by store_open().
 *
 * Each capability adds its tables as a new migration at the end, with the
 * next version number.  A released migration is never edited: change the
 * schema with a new one.  Column names follow the seeds (snake_case), and
 * they are the JSON field names of -o json output.
 */
#include "schema.h"

/* 1: tenants, their containers, deployment states and quotas. */
static const char schema_v1[] =
"CREATE TABLE tenant_container ("
"  id TEXT PRIMARY KEY,"
"  tenant_org_id TEXT NOT NULL,"
"  user TEXT NOT NULL,"
"  service_name TEXT NOT NULL,"
"  namespace TEXT NOT NULL UNIQUE,"
"  replicas INTEGER NOT NULL DEFAULT 1,"
"  cpu_request TEXT NOT NULL DEFAULT '500m',"
"  cpu_limit TEXT NOT NULL DEFAULT '2',"
"  mem_request TEXT NOT NULL DEFAULT '1Gi',"
"  mem_limit TEXT NOT NULL DEFAULT '2Gi',"
"  disk_size TEXT NOT NULL DEFAULT '10Gi',"
"  gpu_count INTEGER NOT NULL DEFAULT 0,"
"  dimension INTEGER NOT NULL DEFAULT 128,"
"  vector_count INTEGER NOT NULL DEFAULT 10000,"
"  index_limit INTEGER NOT NULL DEFAULT 0,"
"  gitlab_url TEXT,"
"  config TEXT,"
"  status TEXT NOT NULL,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  sync_time TEXT,"
"  UNIQUE (tenant_org_id, user, service_name)"
");"
"CREATE INDEX tenant_container_org ON tenant_container (tenant_org_id);"
"CREATE INDEX tenant_container_user ON tenant_container (user);"
"CREATE INDEX tenant_container_status ON tenant_container (status);"
"CREATE TABLE deployment_status ("
"  id TEXT PRIMARY KEY,"
"  tenant_org_id TEXT NOT NULL,"
"  namespace TEXT NOT NULL UNIQUE,"
"  user TEXT NOT NULL,"
"  service_name TEXT NOT NULL,"
"  status TEXT NOT NULL,"
"  message TEXT,"
"  cpu_usage REAL NOT NULL DEFAULT 0,"
"  memory_usage REAL NOT NULL DEFAULT 0,"
"  disk_usage REAL NOT NULL DEFAULT 0,"
"  qps REAL NOT NULL DEFAULT 0,"
"  gpu_count INTEGER NOT NULL DEFAULT 0,"
"  dimension INTEGER NOT NULL DEFAULT 128,"
"  vector_count INTEGER NOT NULL DEFAULT 10000,"
"  replicas INTEGER NOT NULL DEFAULT 1,"
"  details TEXT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL"
");"
"CREATE INDEX deployment_status_org ON deployment_status (tenant_org_id);"
"CREATE INDEX deployment_status_user ON deployment_status (user);"
"CREATE INDEX deployment_status_status ON deployment_status (status);"
"CREATE TABLE tenant_quota ("
"  tenant_org_id TEXT NOT NULL,"
"  user TEXT NOT NULL DEFAULT '',"
"  max_clusters INTEGER,"
"  max_indexes INTEGER,"
"  max_cpu TEXT,"
"  max_memory TEXT,"
"  max_disk TEXT,"
"  max_gpu INTEGER,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  PRIMARY KEY (tenant_org_id, user)"
");";

/*
 * 2: the registry of managed Kubernetes clusters (seed 003 5.1), soft
 * deleted through deleted_at.  esctl adds how to reach a cluster: the
 * kubeconfig content (or a path) and a context name in it.
 */
static const char schema_v2[] =
"CREATE TABLE k8s_cluster ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  deleted_at TEXT,"
"  cluster_id TEXT NOT NULL DEFAULT '',"
"  clustername TEXT NOT NULL DEFAULT '',"
"  clusternamecn TEXT NOT NULL DEFAULT '',"
"  alias TEXT NOT NULL DEFAULT '',"
"  apiserver TEXT NOT NULL DEFAULT '',"
"  api_server_vip TEXT NOT NULL DEFAULT '',"
"  etcdserver TEXT NOT NULL DEFAULT '',"
"  etcd_server_vip TEXT NOT NULL DEFAULT '',"
"  ingressservername TEXT NOT NULL DEFAULT '',"
"  ingressservervip TEXT NOT NULL DEFAULT '',"
"  kubepromversion TEXT NOT NULL DEFAULT '',"
"  promserver TEXT NOT NULL DEFAULT '',"
"  thanosserver TEXT NOT NULL DEFAULT '',"
"  idc TEXT NOT NULL DEFAULT '',"
"  zone TEXT NOT NULL DEFAULT '',"
"  status TEXT NOT NULL DEFAULT '',"
"  clustertype TEXT NOT NULL DEFAULT '',"
"  kubeconfig TEXT NOT NULL DEFAULT '',"
"  kube_context TEXT NOT NULL DEFAULT '',"
"  \"desc\" TEXT NOT NULL DEFAULT '',"
"  creator TEXT NOT NULL DEFAULT '',"
"  \"group\" TEXT NOT NULL DEFAULT '',"
"  esserver TEXT NOT NULL DEFAULT '',"
"  nettype TEXT NOT NULL DEFAULT '',"
"  architecture TEXT NOT NULL DEFAULT '',"
"  flow_type TEXT NOT NULL DEFAULT '',"
"  nova_name TEXT NOT NULL DEFAULT '',"
"  level INTEGER NOT NULL DEFAULT 0,"
"  cluster_group TEXT NOT NULL DEFAULT '',"
"  pod_cidr TEXT NOT NULL DEFAULT '',"
"  service_cidr TEXT NOT NULL DEFAULT '',"
"  rr_cicode TEXT NOT NULL DEFAULT '',"
"  rr_group TEXT NOT NULL DEFAULT ''"
");"
/* names are unique among live (not soft-deleted) clusters */
"CREATE UNIQUE INDEX k8s_cluster_name ON k8s_cluster (clustername) "
"  WHERE deleted_at IS NULL;"
"CREATE UNIQUE INDEX k8s_cluster_uuid ON k8s_cluster (cluster_id) "
"  WHERE deleted_at IS NULL AND cluster_id <> '';"
"CREATE INDEX k8s_cluster_idc ON k8s_cluster (idc, zone);"
"CREATE INDEX k8s_cluster_status ON k8s_cluster (status);"
"CREATE INDEX k8s_cluster_type ON k8s_cluster (clustertype);";

/*
 * 3: vector indexes (seed 000 §7-§10, §14).  vector_index holds the
 * metadata (ivf_params as nlist/nprobe columns) and the owner used by the
 * max_indexes quota; vector_doc the documents (id and fields) by their
 * position in the index's data file; vector_field the top-level scalar
 * fields, indexed for the structured filters of search.  Index names are
 * unique across the database.
 */
static const char schema_v3[] =
"CREATE TABLE vector_index ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  index_name TEXT NOT NULL UNIQUE,"
"  namespace TEXT,"
"  tenant_org_id TEXT,"
"  user TEXT,"
"  dimension INTEGER NOT NULL CHECK (dimension BETWEEN 1 AND 65536),"
"  metric TEXT NOT NULL CHECK (metric IN ('l2', 'cosine', 'dot')),"
"  nlist INTEGER NOT NULL CHECK (nlist >= 0),"
"  nprobe INTEGER NOT NULL CHECK (nprobe >= 1),"
"  created_by TEXT,"
"  status TEXT NOT NULL DEFAULT 'created',"
"  vector_count INTEGER NOT NULL DEFAULT 0,"
"  built_count INTEGER NOT NULL DEFAULT 0,"
"  build TEXT,"
"  built_at TEXT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL"
");"
"CREATE INDEX vector_index_org ON vector_index (tenant_org_id, user);"
"CREATE INDEX vector_index_namespace ON vector_index (namespace);"
"CREATE INDEX vector_index_status ON vector_index (status);"
"CREATE TABLE vector_doc ("
"  index_id INTEGER NOT NULL REFERENCES vector_index (id) "
"    ON DELETE CASCADE,"
"  seq INTEGER NOT NULL,"
"  doc_id TEXT NOT NULL,"
"  fields TEXT,"
"  PRIMARY KEY (index_id, seq)"
") WITHOUT ROWID;"
"CREATE UNIQUE INDEX vector_doc_id ON vector_doc (index_id, doc_id);"
"CREATE TABLE vector_field ("
"  index_id INTEGER NOT NULL REFERENCES vector_index (id) "
"    ON DELETE CASCADE,"
"  name TEXT NOT NULL,"
"  value TEXT NOT NULL,"
"  seq INTEGER NOT NULL,"
"  PRIMARY KEY (index_id, name, value, seq)"
") WITHOUT ROWID;";

const struct store_migration schema_migrations[] = {
	{ 1, "tenants, containers, deployment status, quotas", schema_v1 },
	{ 2, "managed Kubernetes clusters", schema_v2 },
	{ 3, "vector indexes, documents and fields", schema_v3 },
};
const size_t schema_nmigrations =
    sizeof schema_migrations / sizeof schema_migrations[0];
