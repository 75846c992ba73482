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

/*
 * 4: elastic node pools (seed 003 5.2-5.10): resource snapshots, the
 * device inventory, scaling strategies and their clusters, scaling
 * orders (with the maintenance fields of seed 003 9.4) and their devices,
 * the strategies' execution history, the duty roster and notifications.
 *
 * Times are RFC 3339 UTC text ("2024-01-01T00:00:00Z"), so they sort and
 * compare as strings.  Additions to the seed's columns:
 *  - k8s_cluster_resource_snapshot.collected_at is the time the snapshot
 *    describes (the engine's time windows use it); created_at is when the
 *    row was written (differs for imported history).  cpu_allocatable /
 *    mem_allocatable, cpu_usage / mem_usage (absolute, NULL without
 *    metrics), cpu_allocation_ratio / mem_allocation_ratio (percent:
 *    requests / allocatable), ready and unschedulable node counts and the
 *    source of the numbers.  max_cpu / max_memory are the usage ratios in
 *    percent (usage / allocatable; esctl-snapshot(1) has the formulas).
 *    resource_type names what a row aggregates: 'cluster' for the whole
 *    cluster, which is what strategies evaluate.
 *  - strategy_execution_history.cluster_id: strategies are evaluated per
 *    associated cluster.
 *  - elastic_scaling_order.parent_order_id links a maintenance_uncordon
 *    order to its maintenance_request; order_device.failure_reason.
 *  - duty_roster and elastic_scaling_strategy keep created_at/updated_at;
 *    notification_log.read_time.
 * At most one pending or processing order exists per strategy and
 * cluster (a partial unique index), so a strategy can never create an
 * order twice, whatever runs concurrently.
 */
#if defined(__GNUC__)
/* C11 only promises 4095-byte literals; GCC and Clang have no limit. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#endif
static const char schema_v4[] =
"CREATE TABLE k8s_cluster_resource_snapshot ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  deleted_at TEXT,"
"  cpu_capacity REAL NOT NULL DEFAULT 0,"
"  mem_capacity REAL NOT NULL DEFAULT 0,"
"  cpu_request REAL NOT NULL DEFAULT 0,"
"  mem_request REAL NOT NULL DEFAULT 0,"
"  node_count INTEGER NOT NULL DEFAULT 0,"
"  bm_count INTEGER NOT NULL DEFAULT 0,"
"  vm_count INTEGER NOT NULL DEFAULT 0,"
"  max_cpu REAL,"
"  max_memory REAL,"
"  cluster_id INTEGER NOT NULL REFERENCES k8s_cluster (id),"
"  per_node_cpu_req REAL NOT NULL DEFAULT 0,"
"  per_node_mem_req REAL NOT NULL DEFAULT 0,"
"  resource_type TEXT NOT NULL DEFAULT 'cluster',"
"  pod_count INTEGER NOT NULL DEFAULT 0,"
"  collected_at TEXT NOT NULL,"
"  cpu_allocatable REAL NOT NULL DEFAULT 0,"
"  mem_allocatable REAL NOT NULL DEFAULT 0,"
"  cpu_usage REAL,"
"  mem_usage REAL,"
"  cpu_allocation_ratio REAL,"
"  mem_allocation_ratio REAL,"
"  ready_node_count INTEGER NOT NULL DEFAULT 0,"
"  unschedulable_node_count INTEGER NOT NULL DEFAULT 0,"
"  source TEXT NOT NULL DEFAULT 'import'"
"    CHECK (source IN ('kube', 'prometheus', 'import'))"
");"
"CREATE UNIQUE INDEX k8s_cluster_resource_snapshot_time"
"  ON k8s_cluster_resource_snapshot (cluster_id, resource_type,"
"  collected_at) WHERE deleted_at IS NULL;"
"CREATE INDEX k8s_cluster_resource_snapshot_collected"
"  ON k8s_cluster_resource_snapshot (collected_at);"
"CREATE TABLE device ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  deleted_at TEXT,"
"  ci_code TEXT NOT NULL DEFAULT '',"
"  ip TEXT NOT NULL DEFAULT '',"
"  arch_type TEXT NOT NULL DEFAULT '',"
"  idc TEXT NOT NULL DEFAULT '',"
"  room TEXT NOT NULL DEFAULT '',"
"  cabinet TEXT NOT NULL DEFAULT '',"
"  cabinet_no TEXT NOT NULL DEFAULT '',"
"  infra_type TEXT NOT NULL DEFAULT '',"
"  is_localization INTEGER NOT NULL DEFAULT 0"
"    CHECK (is_localization IN (0, 1)),"
"  net_zone TEXT NOT NULL DEFAULT '',"
"  \"group\" TEXT NOT NULL DEFAULT '',"
"  appid TEXT NOT NULL DEFAULT '',"
"  os_create_time TEXT NOT NULL DEFAULT '',"
"  cpu REAL NOT NULL DEFAULT 0,"
"  memory REAL NOT NULL DEFAULT 0,"
"  model TEXT NOT NULL DEFAULT '',"
"  kvm_ip TEXT NOT NULL DEFAULT '',"
"  os TEXT NOT NULL DEFAULT '',"
"  company TEXT NOT NULL DEFAULT '',"
"  os_name TEXT NOT NULL DEFAULT '',"
"  os_issue TEXT NOT NULL DEFAULT '',"
"  os_kernel TEXT NOT NULL DEFAULT '',"
"  status TEXT NOT NULL DEFAULT '',"
"  role TEXT NOT NULL DEFAULT '',"
"  cluster TEXT NOT NULL DEFAULT '',"
"  cluster_id INTEGER REFERENCES k8s_cluster (id),"
"  acceptance_time TEXT NOT NULL DEFAULT '',"
"  disk_count INTEGER NOT NULL DEFAULT 0,"
"  disk_detail TEXT NOT NULL DEFAULT '',"
"  network_speed TEXT NOT NULL DEFAULT '',"
"  is_special INTEGER NOT NULL DEFAULT 0 CHECK (is_special IN (0, 1)),"
"  feature_count INTEGER NOT NULL DEFAULT 0,"
"  app_name TEXT NOT NULL DEFAULT ''"
");"
"CREATE INDEX device_ci_code ON device (ci_code);"
"CREATE INDEX device_ip ON device (ip);"
"CREATE INDEX device_cluster ON device (cluster_id, status);"
"CREATE INDEX device_status ON device (status);"
"CREATE INDEX device_idc ON device (idc);"
"CREATE TABLE elastic_scaling_strategy ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  name TEXT NOT NULL UNIQUE,"
"  description TEXT NOT NULL DEFAULT '',"
"  threshold_trigger_action TEXT NOT NULL"
"    CHECK (threshold_trigger_action IN ('pool_entry', 'pool_exit')),"
"  cpu_threshold_value REAL"
"    CHECK (cpu_threshold_value BETWEEN 0 AND 100),"
"  cpu_threshold_type TEXT"
"    CHECK (cpu_threshold_type IN ('usage', 'allocated')),"
"  memory_threshold_value REAL"
"    CHECK (memory_threshold_value BETWEEN 0 AND 100),"
"  memory_threshold_type TEXT"
"    CHECK (memory_threshold_type IN ('usage', 'allocated')),"
"  condition_logic TEXT CHECK (condition_logic IN ('AND', 'OR')),"
"  duration_minutes INTEGER NOT NULL DEFAULT 0"
"    CHECK (duration_minutes >= 0),"
"  cooldown_minutes INTEGER NOT NULL DEFAULT 0"
"    CHECK (cooldown_minutes >= 0),"
"  device_count INTEGER NOT NULL CHECK (device_count > 0),"
"  node_selector TEXT,"
"  status TEXT NOT NULL DEFAULT 'enabled'"
"    CHECK (status IN ('enabled', 'disabled')),"
"  created_by TEXT NOT NULL DEFAULT '',"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  CHECK ((cpu_threshold_value IS NULL) = (cpu_threshold_type IS NULL)),"
"  CHECK ((memory_threshold_value IS NULL) ="
"    (memory_threshold_type IS NULL)),"
"  CHECK (cpu_threshold_value IS NOT NULL OR"
"    memory_threshold_value IS NOT NULL)"
");"
"CREATE INDEX elastic_scaling_strategy_status"
"  ON elastic_scaling_strategy (status, threshold_trigger_action);"
"CREATE INDEX elastic_scaling_strategy_action"
"  ON elastic_scaling_strategy (threshold_trigger_action);"
"CREATE TABLE strategy_cluster_association ("
"  strategy_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE CASCADE,"
"  cluster_id INTEGER NOT NULL REFERENCES k8s_cluster (id),"
"  PRIMARY KEY (strategy_id, cluster_id)"
") WITHOUT ROWID;"
"CREATE INDEX strategy_cluster_association_cluster"
"  ON strategy_cluster_association (cluster_id, strategy_id);"
"CREATE TABLE elastic_scaling_order ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  order_number TEXT NOT NULL UNIQUE,"
"  cluster_id INTEGER REFERENCES k8s_cluster (id),"
"  strategy_id INTEGER"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE SET NULL,"
"  action_type TEXT NOT NULL CHECK (action_type IN ('pool_entry',"
"    'pool_exit', 'maintenance_request', 'maintenance_uncordon')),"
"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending',"
"    'processing', 'completed', 'failed', 'cancelled',"
"    'pending_confirmation', 'scheduled_for_maintenance',"
"    'maintenance_in_progress')),"
"  device_count INTEGER NOT NULL DEFAULT 0 CHECK (device_count >= 0),"
"  approver TEXT,"
"  executor TEXT,"
"  execution_time TEXT,"
"  created_by TEXT NOT NULL DEFAULT '',"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  completion_time TEXT,"
"  failure_reason TEXT,"
"  device_id INTEGER REFERENCES device (id),"
"  maintenance_start_time TEXT,"
"  maintenance_end_time TEXT,"
"  external_ticket_id TEXT,"
"  parent_order_id INTEGER REFERENCES elastic_scaling_order (id),"
"  CHECK (action_type NOT IN ('pool_entry', 'pool_exit') OR"
"    cluster_id IS NOT NULL)"
");"
"CREATE INDEX elastic_scaling_order_status"
"  ON elastic_scaling_order (status, created_at);"
"CREATE INDEX elastic_scaling_order_cluster"
"  ON elastic_scaling_order (cluster_id, created_at);"
"CREATE INDEX elastic_scaling_order_strategy"
"  ON elastic_scaling_order (strategy_id, cluster_id, created_at);"
"CREATE INDEX elastic_scaling_order_action"
"  ON elastic_scaling_order (action_type, created_at);"
"CREATE INDEX elastic_scaling_order_created"
"  ON elastic_scaling_order (created_at);"
"CREATE INDEX elastic_scaling_order_device"
"  ON elastic_scaling_order (device_id);"
"CREATE INDEX elastic_scaling_order_ticket"
"  ON elastic_scaling_order (external_ticket_id)"
"  WHERE external_ticket_id IS NOT NULL;"
"CREATE INDEX elastic_scaling_order_parent"
"  ON elastic_scaling_order (parent_order_id)"
"  WHERE parent_order_id IS NOT NULL;"
"CREATE UNIQUE INDEX elastic_scaling_order_open"
"  ON elastic_scaling_order (strategy_id, cluster_id)"
"  WHERE strategy_id IS NOT NULL AND status IN ('pending', 'processing');"
"CREATE TABLE order_device ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  order_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_order (id) ON DELETE CASCADE,"
"  device_id INTEGER NOT NULL REFERENCES device (id),"
"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending',"
"    'processing', 'completed', 'failed')),"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  failure_reason TEXT,"
"  UNIQUE (order_id, device_id)"
");"
"CREATE INDEX order_device_device ON order_device (device_id, status);"
"CREATE TABLE strategy_execution_history ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  strategy_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE CASCADE,"
"  cluster_id INTEGER REFERENCES k8s_cluster (id),"
"  execution_time TEXT NOT NULL,"
"  triggered_value TEXT NOT NULL DEFAULT '',"
"  threshold_value TEXT NOT NULL DEFAULT '',"
"  result TEXT NOT NULL"
"    CHECK (result IN ('order_created', 'skipped', 'failed_check')),"
"  order_id INTEGER"
"    REFERENCES elastic_scaling_order (id) ON DELETE SET NULL,"
"  reason TEXT NOT NULL DEFAULT ''"
");"
"CREATE INDEX strategy_execution_history_strategy"
"  ON strategy_execution_history (strategy_id, execution_time);"
"CREATE INDEX strategy_execution_history_cluster"
"  ON strategy_execution_history (cluster_id, execution_time);"
"CREATE INDEX strategy_execution_history_result"
"  ON strategy_execution_history (result, execution_time);"
"CREATE INDEX strategy_execution_history_time"
"  ON strategy_execution_history (execution_time);"
"CREATE INDEX strategy_execution_history_order"
"  ON strategy_execution_history (order_id) WHERE order_id IS NOT NULL;"
"CREATE TABLE duty_roster ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  user_id TEXT NOT NULL,"
"  duty_date TEXT NOT NULL,"
"  start_time TEXT NOT NULL,"
"  end_time TEXT NOT NULL,"
"  contact_info TEXT NOT NULL DEFAULT '',"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL"
");"
"CREATE INDEX duty_roster_date ON duty_roster (duty_date, start_time);"
"CREATE INDEX duty_roster_user ON duty_roster (user_id, duty_date);"
"CREATE TABLE notification_log ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  order_id INTEGER"
"    REFERENCES elastic_scaling_order (id) ON DELETE SET NULL,"
"  strategy_id INTEGER"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE SET NULL,"
"  notification_type TEXT NOT NULL"
"    CHECK (notification_type IN ('email', 'sms', 'im', 'system')),"
"  recipient TEXT NOT NULL DEFAULT '',"
"  content TEXT NOT NULL DEFAULT '',"
"  status TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'read')),"
"  send_time TEXT NOT NULL,"
"  error_message TEXT,"
"  read_time TEXT"
");"
"CREATE INDEX notification_log_status"
"  ON notification_log (status, send_time);"
"CREATE INDEX notification_log_type"
"  ON notification_log (notification_type, send_time);"
"CREATE INDEX notification_log_time ON notification_log (send_time);"
"CREATE INDEX notification_log_order ON notification_log (order_id)"
"  WHERE order_id IS NOT NULL;"
"CREATE INDEX notification_log_strategy ON notification_log (strategy_id)"
"  WHERE strategy_id IS NOT NULL;";
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/*
 * 5: the ES service lifecycle.  Every deployment report (the SQLite copy of
 * the four places a report goes), the outbox of report POSTs not yet
 * delivered, and the usage events (create, scale, delete) that tenant usage
 * integrates into resource-hours.  TenantContainer and DeploymentStatus
 * gain the creation id their Kubernetes objects are annotated with.
 */
static const char schema_v5[] =
"ALTER TABLE tenant_container ADD COLUMN creation_id TEXT;"
"ALTER TABLE tenant_container ADD COLUMN kibana INTEGER NOT NULL DEFAULT 1;"
"ALTER TABLE tenant_container ADD COLUMN gitlab_commit TEXT;"
"ALTER TABLE deployment_status ADD COLUMN creation_id TEXT;"
"CREATE INDEX tenant_container_service ON tenant_container "
"  (user, service_name);"
"CREATE INDEX deployment_status_service ON deployment_status "
"  (user, service_name);"
"CREATE TABLE deployment_report ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  report_id TEXT NOT NULL UNIQUE,"
"  tenant_org_id TEXT NOT NULL,"
"  user TEXT NOT NULL,"
"  service_name TEXT NOT NULL,"
"  namespace TEXT NOT NULL,"
"  status TEXT NOT NULL,"
"  message TEXT NOT NULL,"
"  timestamp TEXT NOT NULL,"
"  details TEXT NOT NULL,"
"  extra TEXT,"
"  creation_id TEXT,"
"  file TEXT,"
"  created_at TEXT NOT NULL"
");"
"CREATE INDEX deployment_report_service ON deployment_report "
"  (user, service_name, id);"
"CREATE INDEX deployment_report_org ON deployment_report (tenant_org_id);"
"CREATE INDEX deployment_report_ns ON deployment_report (namespace);"
"CREATE INDEX deployment_report_status ON deployment_report (status);"
"CREATE INDEX deployment_report_time ON deployment_report (timestamp);"
"CREATE TABLE report_outbox ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  report_id INTEGER NOT NULL UNIQUE"
"    REFERENCES deployment_report (id) ON DELETE CASCADE,"
"  url TEXT NOT NULL,"
"  body TEXT NOT NULL,"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  last_error TEXT,"
"  next_retry_at INTEGER NOT NULL DEFAULT 0,"
"  delivered_at TEXT,"
"  created_at TEXT NOT NULL"
");"
"CREATE INDEX report_outbox_pending ON report_outbox (delivered_at, id);"
"CREATE TABLE usage_event ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  tenant_org_id TEXT NOT NULL,"
"  user TEXT NOT NULL,"
"  service_name TEXT NOT NULL,"
"  namespace TEXT NOT NULL,"
"  event TEXT NOT NULL CHECK (event IN ('create', 'scale', 'update', "
"    'delete')),"
"  replicas INTEGER NOT NULL,"
"  cpu_limit TEXT NOT NULL,"
"  mem_limit TEXT NOT NULL,"
"  disk_size TEXT NOT NULL,"
"  gpu_count INTEGER NOT NULL,"
"  at TEXT NOT NULL,"
"  at_unix INTEGER NOT NULL"
");"
"CREATE INDEX usage_event_org ON usage_event (tenant_org_id, at_unix);"
"CREATE INDEX usage_event_ns ON usage_event (namespace, at_unix);"
"CREATE INDEX usage_event_user ON usage_event (user, service_name);";

/*
 * 6: no credentials in the report outbox (issue 15): a URL's userinfo
 * is dropped; delivery takes the URL, credentials included, from the
 * configuration at send time.
 */
#define SCHEMA_REST	"substr(url, instr(url, '://') + 3)"
static const char schema_v6[] =
"UPDATE report_outbox SET url = substr(url, 1, instr(url, '://') + 2) || "
"  substr(" SCHEMA_REST ", instr(" SCHEMA_REST ", '@') + 1) "
"WHERE instr(url, '://') > 0 AND instr(" SCHEMA_REST ", '@') > 0 "
"AND (instr(" SCHEMA_REST ", '/') = 0 "
"  OR instr(" SCHEMA_REST ", '@') < instr(" SCHEMA_REST ", '/'));";
#undef SCHEMA_REST

/*
 * 7: node pools that act.  Orders get the node selector and reason of a
 * manual order and the reason a person cancelled or rejected one; every
 * order transition and execution step is an order_event row (what `order
 * show` tells).  order_device records the Node a device stands for and the
 * execution phase reached, so an interrupted execution resumes where it
 * stopped; slot numbers the devices an order needs (1..device_count), so a
 * slot once filled is never filled with a second, different device.
 * device.pool_entry_time is when the device last entered a pool (node
 * selection prefers the longest-serving).
 */
static const char schema_v7[] =
"ALTER TABLE elastic_scaling_order ADD COLUMN node_selector TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN reason TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN cancel_reason TEXT;"
"ALTER TABLE order_device ADD COLUMN node_name TEXT;"
"ALTER TABLE order_device ADD COLUMN phase TEXT NOT NULL DEFAULT 'selected';"
"ALTER TABLE order_device ADD COLUMN slot INTEGER;"
"CREATE UNIQUE INDEX order_device_slot ON order_device (order_id, slot)"
"  WHERE slot IS NOT NULL;"
"ALTER TABLE device ADD COLUMN pool_entry_time TEXT;"
"CREATE TABLE order_event ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  order_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_order (id) ON DELETE CASCADE,"
"  at TEXT NOT NULL,"
"  actor TEXT NOT NULL DEFAULT '',"
"  event TEXT NOT NULL,"
"  from_status TEXT,"
"  to_status TEXT,"
"  device_id INTEGER REFERENCES device (id),"
"  node_name TEXT,"
"  message TEXT NOT NULL DEFAULT ''"
");"
"CREATE INDEX order_event_order ON order_event (order_id, id);";

/*
 * 8: ES service monitoring and autoscaling (seed 000 §11-13, §20).
 * metric_report holds every plugin report, keyed (namespace, ts,
 * container) WITHOUT ROWID so that one service's time range is one
 * contiguous range of the table itself (no second index to maintain at
 * ingest, none to look up at query time); ts is in milliseconds.
 * metric_latest is the newest report per container, metric_alert the
 * threshold alerts (at most one firing per container and metric).
 * autoscale_policy holds the policies, autoscale_sample the samples each
 * round collects (the trend's history), autoscale_state the last scaling
 * (compare-and-set on version), autoscale_decision every decision with
 * its numbers.
 */
static const char schema_v8[] =
"CREATE TABLE metric_report ("
"  namespace TEXT NOT NULL,"
"  ts INTEGER NOT NULL,"
"  container_name TEXT NOT NULL,"
"  cpu_usage REAL,"
"  memory_usage REAL,"
"  disk_usage REAL,"
"  qps REAL,"
"  startup_cpu REAL,"
"  startup_memory REAL,"
"  startup_disk REAL,"
"  plugin_qps REAL,"
"  status TEXT,"
"  received_at INTEGER NOT NULL,"
"  PRIMARY KEY (namespace, ts, container_name)"
") WITHOUT ROWID;"
"CREATE TABLE metric_latest ("
"  namespace TEXT NOT NULL,"
"  container_name TEXT NOT NULL,"
"  ts INTEGER NOT NULL,"
"  cpu_usage REAL,"
"  memory_usage REAL,"
"  disk_usage REAL,"
"  qps REAL,"
"  startup_cpu REAL,"
"  startup_memory REAL,"
"  startup_disk REAL,"
"  plugin_qps REAL,"
"  status TEXT,"
"  PRIMARY KEY (namespace, container_name)"
") WITHOUT ROWID;"
"CREATE TABLE metric_alert ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  namespace TEXT NOT NULL,"
"  container_name TEXT NOT NULL,"
"  metric TEXT NOT NULL,"
"  threshold REAL NOT NULL,"
"  value REAL NOT NULL,"
"  state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),"
"  started_at INTEGER NOT NULL,"
"  value_at INTEGER NOT NULL,"
"  notified_at INTEGER NOT NULL,"
"  notifications INTEGER NOT NULL DEFAULT 1,"
"  resolved_at INTEGER"
");"
"CREATE UNIQUE INDEX metric_alert_firing ON metric_alert "
"  (namespace, container_name, metric) WHERE state = 'firing';"
"CREATE INDEX metric_alert_ns ON metric_alert (namespace, started_at);"
"CREATE TABLE autoscale_policy ("
"  namespace TEXT PRIMARY KEY,"
"  min_replicas INTEGER NOT NULL,"
"  max_replicas INTEGER NOT NULL,"
"  target_cpu REAL,"
"  target_memory REAL,"
"  target_disk REAL,"
"  target_qps REAL,"
"  tolerance REAL NOT NULL,"
"  cooldown_up INTEGER NOT NULL,"
"  cooldown_down INTEGER NOT NULL,"
"  enabled INTEGER NOT NULL,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  CHECK (min_replicas >= 1 AND max_replicas >= min_replicas)"
");"
"CREATE TABLE autoscale_sample ("
"  namespace TEXT NOT NULL,"
"  at INTEGER NOT NULL,"
"  cpu_usage REAL,"
"  memory_usage REAL,"
"  disk_usage REAL,"
"  qps REAL,"
"  PRIMARY KEY (namespace, at)"
") WITHOUT ROWID;"
"CREATE TABLE autoscale_state ("
"  namespace TEXT PRIMARY KEY,"
"  last_scale_at INTEGER NOT NULL,"
"  last_direction INTEGER NOT NULL,"
"  version INTEGER NOT NULL"
");"
"CREATE TABLE autoscale_decision ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  namespace TEXT NOT NULL,"
"  at TEXT NOT NULL,"
"  at_unix INTEGER NOT NULL,"
"  action TEXT NOT NULL,"
"  current_replicas INTEGER NOT NULL,"
"  desired_replicas INTEGER NOT NULL,"
"  ratio REAL,"
"  reason TEXT NOT NULL,"
"  details TEXT NOT NULL,"
"  dry_run INTEGER NOT NULL DEFAULT 0,"
"  error TEXT"
");"
"CREATE INDEX autoscale_decision_ns ON autoscale_decision "
"  (namespace, at_unix);";

/*
 * 9: the dashboard's trend query reads every snapshot of the range (the
 * peak of each bucket); an index holding the ratios and weights it reads
 * answers it without visiting the table rows (30 days of 50 clusters
 * every 5 minutes, 432,000 snapshots: 8.1 s to 2.8 s on a cold cache).
 */
static const char schema_v9[] =
"CREATE INDEX k8s_cluster_resource_snapshot_trend"
"  ON k8s_cluster_resource_snapshot (cluster_id, resource_type,"
"  collected_at, max_cpu, cpu_allocation_ratio, max_memory,"
"  mem_allocation_ratio, cpu_allocatable, mem_allocatable)"
"  WHERE deleted_at IS NULL;";

/*
 * 10: live usage that nobody measured is unknown, not 0.  The usage columns
 * of deployment_status were NOT NULL DEFAULT 0 and were only ever written
 * as 0 (reset on create and delete), so every stored value is "not
 * measured": the table is rebuilt with nullable columns and those values
 * become NULL (JSON null, "<none>" in tables).
 */
static const char schema_v10[] =
"CREATE TABLE deployment_status_v10 ("
"  id TEXT PRIMARY KEY,"
"  tenant_org_id TEXT NOT NULL,"
"  namespace TEXT NOT NULL UNIQUE,"
"  user TEXT NOT NULL,"
"  service_name TEXT NOT NULL,"
"  status TEXT NOT NULL,"
"  message TEXT,"
"  cpu_usage REAL,"
"  memory_usage REAL,"
"  disk_usage REAL,"
"  qps REAL,"
"  gpu_count INTEGER NOT NULL DEFAULT 0,"
"  dimension INTEGER NOT NULL DEFAULT 128,"
"  vector_count INTEGER NOT NULL DEFAULT 10000,"
"  replicas INTEGER NOT NULL DEFAULT 1,"
"  details TEXT,"
"  created_at TEXT NOT NULL,"
"  updated_at TEXT NOT NULL,"
"  creation_id TEXT"
");"
"INSERT INTO deployment_status_v10 (id, tenant_org_id, namespace, user, "
"  service_name, status, message, gpu_count, dimension, vector_count, "
"  replicas, details, created_at, updated_at, creation_id) "
"  SELECT id, tenant_org_id, namespace, user, service_name, status, "
"  message, gpu_count, dimension, vector_count, replicas, details, "
"  created_at, updated_at, creation_id FROM deployment_status;"
"DROP TABLE deployment_status;"
"ALTER TABLE deployment_status_v10 RENAME TO deployment_status;"
"CREATE INDEX deployment_status_org ON deployment_status (tenant_org_id);"
"CREATE INDEX deployment_status_user ON deployment_status (user);"
"CREATE INDEX deployment_status_status ON deployment_status (status);"
"CREATE INDEX deployment_status_service ON deployment_status "
"  (user, service_name);";

/*
 * 11: device maintenance (seed 003 section 9).  A maintenance request
 * records each stage's time, the node it acts on, whether esctl cordoned
 * it (only then does esctl uncordon it) and the device status to restore.
 * Downstream callbacks go through maintenance_outbox (one row per event,
 * a stable event id, retried with backoff); every attempt is a
 * maintenance_callback_attempt row.
 */
static const char schema_v11[] =
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_confirmed_at TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_scheduled_at TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_started_at TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_done_at TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_node TEXT;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_cordoned INTEGER;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_drained INTEGER;"
"ALTER TABLE elastic_scaling_order ADD COLUMN maint_prev_status TEXT;"
"CREATE UNIQUE INDEX elastic_scaling_order_maint_ticket"
"  ON elastic_scaling_order (external_ticket_id)"
"  WHERE action_type = 'maintenance_request';"
"CREATE UNIQUE INDEX elastic_scaling_order_maint_child"
"  ON elastic_scaling_order (parent_order_id)"
"  WHERE action_type = 'maintenance_uncordon';"
"CREATE TABLE maintenance_outbox ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  order_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_order (id) ON DELETE CASCADE,"
"  event_id TEXT NOT NULL UNIQUE,"
"  event TEXT NOT NULL CHECK (event IN ('accepted', 'confirmed',"
"    'started', 'uncordoned', 'cancelled')),"
"  payload TEXT NOT NULL,"
"  created_at TEXT NOT NULL,"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  next_retry_at INTEGER NOT NULL DEFAULT 0,"
"  last_error TEXT,"
"  delivered_at TEXT"
");"
"CREATE INDEX maintenance_outbox_pending ON maintenance_outbox (id)"
"  WHERE delivered_at IS NULL;"
"CREATE INDEX maintenance_outbox_order ON maintenance_outbox (order_id);"
"CREATE TABLE maintenance_callback_attempt ("
"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
"  outbox_id INTEGER NOT NULL"
"    REFERENCES maintenance_outbox (id) ON DELETE CASCADE,"
"  at TEXT NOT NULL,"
"  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),"
"  http_status INTEGER,"
"  error TEXT"
");"
"CREATE INDEX maintenance_callback_attempt_outbox"
"  ON maintenance_callback_attempt (outbox_id, id);";

/*
 * 14: run-length strategy history.  `strategy check` used to write one
 * history row per strategy and cluster pair on every run (200,000 rows a
 * run, each into six b-trees, for 1,000 strategies on 200 clusters).  A
 * row now stands for a run of checks of a pair with the same kind of
 * result (what its reason says, whatever the values): execution_time is
 * its first check, last_execution_time its last (NULL while the run goes
 * on: strategy_pair_state has it) and evaluations their number; every
 * order still gets its own row.  strategy_pair_state (one narrow row per
 * pair) names the pair's current row and is what a check updates when
 * nothing changed.  Rows written before are runs of one check.
 *
 * The (result, execution_time) index served one query, the dashboard's
 * orders of today: a partial index of the order rows does it without an
 * entry for every skipped row.
 */
static const char schema_v14[] =
"ALTER TABLE strategy_execution_history ADD COLUMN last_execution_time"
"  TEXT;"
"ALTER TABLE strategy_execution_history ADD COLUMN evaluations INTEGER"
"  NOT NULL DEFAULT 1;"
"UPDATE strategy_execution_history SET last_execution_time ="
"  execution_time;"
"CREATE TABLE strategy_pair_state ("
"  strategy_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE CASCADE,"
"  cluster_id INTEGER NOT NULL,"
"  history_id INTEGER NOT NULL,"
"  kind INTEGER NOT NULL,"
"  last_execution_time TEXT NOT NULL,"
"  evaluations INTEGER NOT NULL,"
"  PRIMARY KEY (strategy_id, cluster_id)"
") WITHOUT ROWID;"
"DROP INDEX strategy_execution_history_result;"
"CREATE INDEX strategy_execution_history_created"
"  ON strategy_execution_history (execution_time)"
"  WHERE result = 'order_created';";

/*
 * 15: quiet runs without history rows.  Most pairs of a large
 * installation find their condition not met check after check (the
 * default result); a first check of 1,000 strategies on 200 clusters
 * wrote a history row for each of the 200,000 pairs.  A run of that
 * result (kind 4 of strategy_pair_state) now has no history row while it
 * goes on: its pair's state row, with history_id NULL, holds its first
 * check (since), its last and their number, and `strategy history` shows
 * it from there.  When it ends, it gets its row (without values).  The
 * pairs of a strategy that a check of all strategies sees for the first
 * time, quiet, have no state row either: one strategy_quiet row holds
 * them (a JSON array of cluster ids) and their run, as long as every
 * such check sees them all; a member that leaves gets a state row.  The
 * state rows are rebuilt with history_id nullable and since, the first
 * check of the current run (its history row's execution_time for the
 * runs stored as rows, which stay as they are).
 */
static const char schema_v15[] =
"CREATE TABLE strategy_pair_state_v15 ("
"  strategy_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE CASCADE,"
"  cluster_id INTEGER NOT NULL,"
"  history_id INTEGER,"
"  kind INTEGER NOT NULL,"
"  since TEXT NOT NULL,"
"  last_execution_time TEXT NOT NULL,"
"  evaluations INTEGER NOT NULL,"
"  PRIMARY KEY (strategy_id, cluster_id)"
") WITHOUT ROWID;"
"INSERT INTO strategy_pair_state_v15 SELECT p.strategy_id, p.cluster_id,"
"  p.history_id, p.kind, COALESCE(h.execution_time,"
"  p.last_execution_time), p.last_execution_time, p.evaluations"
"  FROM strategy_pair_state p"
"  LEFT JOIN strategy_execution_history h ON h.id = p.history_id;"
"DROP TABLE strategy_pair_state;"
"ALTER TABLE strategy_pair_state_v15 RENAME TO strategy_pair_state;"
"CREATE TABLE strategy_quiet ("
"  id INTEGER PRIMARY KEY,"
"  strategy_id INTEGER NOT NULL"
"    REFERENCES elastic_scaling_strategy (id) ON DELETE CASCADE,"
"  since TEXT NOT NULL,"
"  last_execution_time TEXT NOT NULL,"
"  evaluations INTEGER NOT NULL,"
"  clusters TEXT NOT NULL"
");"
"CREATE INDEX strategy_quiet_strategy ON strategy_quiet (strategy_id);";

/*
 * 16: no index that another one already serves.  Each of these is the
 * leading column(s) of a wider index of its table (a UNIQUE constraint's
 * or another plain one), which SQLite uses for the same lookups and
 * scans; every connection's first statement parses the whole schema, so
 * each index costs every command, `esctl search` most (issue 17).
 *   tenant_container_org (tenant_org_id): UNIQUE (tenant_org_id, user,
 *     service_name)
 *   tenant_container_user (user): tenant_container_service (user,
 *     service_name)
 *   deployment_status_user (user): deployment_status_service (user,
 *     service_name)
 */
static const char schema_v16[] =
"DROP INDEX tenant_container_org;"
"DROP INDEX tenant_container_user;"
"DROP INDEX deployment_status_user;";

const struct store_migration schema_migrations[] = {
	{ 1, "tenants, containers, deployment status, quotas", schema_v1 },
	{ 2, "managed Kubernetes clusters", schema_v2 },
	{ 3, "vector indexes, documents and fields", schema_v3 },
	{ 4, "elastic node pools: snapshots, strategies, orders, duty",
	    schema_v4 },
	{ 5, "deployment reports, report outbox, usage events", schema_v5 },
	{ 6, "no credentials in the report outbox", schema_v6 },
	{ 7, "node pools that act: order events, device phases",
	    schema_v7 },
	{ 8, "service metrics, alerts and autoscaling", schema_v8 },
	{ 9, "dashboard: covering index of the snapshot trends", schema_v9 },
	{ 10, "unmeasured live usage is NULL, not 0", schema_v10 },
	{ 11, "device maintenance: stages, callback outbox", schema_v11 },
	{ 14, "run-length strategy history, per-pair state", schema_v14 },
	{ 15, "quiet strategy runs kept in their pair state", schema_v15 },
	{ 16, "no index another one already serves", schema_v16 },
};
const size_t schema_nmigrations =
    sizeof schema_migrations / sizeof schema_migrations[0];
