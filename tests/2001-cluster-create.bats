#!/usr/bin/env bats
# 2001: cluster create end to end against the local Kubernetes API server:
# the ten steps, their reports in the four places, the objects; list, get,
# scale, restart, delete, tenant usage.

load lib/common
load lib/kube
load lib/lifecycle

NS=org-001-alice-search

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
}

teardown() {
	cluster_teardown
}

create_full() {
	esctl cluster create --org org-001 --user alice --service search \
	    --replicas 2 --cpu-request 1 --cpu-limit 4 --mem-request 2Gi \
	    --mem-limit 8Gi --disk-size 50Gi --gpu-count 1 --dimension 512 \
	    --vector-count 1000000 --index-limit 10 "$@"
}

env_of() {
	kube_sim_api GET "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch" |
	    jq -r --arg n "$1" '.spec.template.spec.containers[] |
	    select(.name == "elasticsearch") | .env[] | select(.name == $n) |
	    .value'
}

@test "create: ten reports in order in files, log, database and POSTs" {
	run -0 --separate-stderr create_full
	assert_output "ES service 'search' of user 'alice' created in namespace '$NS'"
	[[ $stderr == *"[1/10] starting: Starting cluster creation"* ]]
	[[ $stderr == *"[10/10] completed: Cluster creation completed successfully"* ]]
	assert_equal "$(file_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(log_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(db_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(posted_statuses alice search)" "$TEN_STATUSES"
	# exactly ten of each
	run -0 bash -c "ls '$ESCTL_DATA_DIR'/deployment_reports | wc -l"
	assert_output 10
	run -0 bash -c "wc -l < '$ESCTL_DATA_DIR/deployment.log'"
	assert_output 10
	# the seeds' messages and report shape
	local first last
	first=$(ls "$ESCTL_DATA_DIR"/deployment_reports/alice_search_*.json | head -1)
	last=$(ls "$ESCTL_DATA_DIR"/deployment_reports/alice_search_*.json | tail -1)
	assert_equal "$(jq -r .message "$first")" "Starting cluster creation"
	assert_equal "$(jq -c '.details' "$last")" \
	    '{"replicas":2,"cpu_request":"1","cpu_limit":"4","mem_request":"2Gi","mem_limit":"8Gi","disk_size":"50Gi","gpu_count":1,"dimension":512,"vector_count":1000000,"index_limit":10}'
	assert_equal "$(jq -r '[.user, .service_name, .namespace, .tenant_org_id] | join(" ")' "$last")" \
	    "alice search $NS org-001"
	[[ $(jq -r .timestamp "$last") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	grep -q "Status: disk_configured, Message: Disk size configured to 50Gi$" \
	    "$ESCTL_DATA_DIR/deployment.log"
	grep -q "Status: gpu_configured, Message: GPU count configured to 1$" \
	    "$ESCTL_DATA_DIR/deployment.log"
	grep -Eq '^[0-9T:-]+Z - User: alice, Service: search, Namespace: org-001-alice-search, Status: starting, Message: Starting cluster creation$' \
	    "$ESCTL_DATA_DIR/deployment.log"
	# the k8s_applied report lists the resources
	run -0 jq -r '.resources | join(",")' \
	    "$(grep -l '"k8s_applied"' "$ESCTL_DATA_DIR"/deployment_reports/*.json)"
	assert_output "ConfigMap/elasticsearch-config,StatefulSet/elasticsearch,Service/elasticsearch,Deployment/kibana,Service/kibana"
	# files are private
	[ "$(stat -c %a "$first")" = 600 ]
	[ "$(stat -c %a "$ESCTL_DATA_DIR/deployment_reports")" = 700 ]
	# both records are created
	assert_equal "$(sql "SELECT status FROM tenant_container WHERE namespace = '$NS'")" created
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" created
	assert_equal "$(sql "SELECT sync_time IS NOT NULL FROM tenant_container")" 1
	[ -f "$ESCTL_DATA_DIR/tenant_data/org-001_alice_search.json" ]
}

@test "create: the namespace and its labels, the StatefulSet's env, resources, annotation, GPU" {
	run -0 create_full
	run -0 kube_sim_kubectl get ns -l tenant-org-id=org-001,user=alice -o name
	assert_output "namespace/$NS"
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS"
	assert_equal "$(jq -r '.metadata.labels | [."es-cluster", ."tenant-org-id", .user, ."service-name"] | join(" ")' <<<"$output")" \
	    "true org-001 alice search"
	assert_equal "$(env_of CPU_REQUEST) $(env_of CPU_LIMIT) $(env_of MEM_REQUEST) $(env_of MEM_LIMIT)" "1 4 2Gi 8Gi"
	assert_equal "$(env_of DISK_SIZE) $(env_of GPU_COUNT) $(env_of DIMENSION) $(env_of VECTOR_COUNT) $(env_of REPLICAS)" \
	    "50Gi 1 512 1000000 2"
	run -0 kube_sim_api GET "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch"
	local sts=$output
	assert_equal "$(jq -r .spec.replicas <<<"$sts")" 2
	assert_equal "$(jq -r '.metadata.annotations["es.yunpeng.cn/max-indices"]' <<<"$sts")" 10
	assert_equal "$(jq -c '.spec.template.spec.containers[0].resources' <<<"$sts")" \
	    '{"requests":{"cpu":"1","memory":"2Gi","nvidia.com/gpu":"1"},"limits":{"cpu":"4","memory":"8Gi","nvidia.com/gpu":"1"}}'
	assert_equal "$(jq -r '.spec.volumeClaimTemplates[0].metadata.name' <<<"$sts")" elasticsearch-data
	assert_equal "$(jq -r '.status.readyReplicas' <<<"$sts")" 2
	# services, kibana and the data volume
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS/services/elasticsearch"
	assert_equal "$(jq -c '[.spec.ports[].port]' <<<"$output")" '[9200,9300]'
	run -0 kube_sim_api GET "/apis/apps/v1/namespaces/$NS/deployments/kibana"
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS/persistentvolumeclaims/elasticsearch-data-elasticsearch-0"
	assert_equal "$(jq -r .spec.resources.requests.storage <<<"$output")" 50Gi
}

@test "create: defaults of SPEC 3.1, --no-kibana" {
	run -0 esctl cluster create --org org-001 --user alice --service search --no-kibana
	assert_equal "$(env_of CPU_REQUEST) $(env_of CPU_LIMIT) $(env_of MEM_REQUEST) $(env_of MEM_LIMIT) $(env_of DISK_SIZE)" \
	    "500m 2 1Gi 2Gi 10Gi"
	assert_equal "$(env_of GPU_COUNT) $(env_of DIMENSION) $(env_of VECTOR_COUNT) $(env_of REPLICAS)" \
	    "0 128 10000 1"
	run -1 kube_sim_api GET "/apis/apps/v1/namespaces/$NS/deployments/kibana"
	grep -q "Status: gpu_configured, Message: GPU configuration skipped: gpu_count is 0$" \
	    "$ESCTL_DATA_DIR/deployment.log"
	grep -q "Status: gitlab_pulled, Message: GitLab pull skipped: no GitLab URL given$" \
	    "$ESCTL_DATA_DIR/deployment.log"
	run -0 esctl tenant containers --org org-001 -o json
	assert_equal "$(jq -c '.items | .[0] | keys' <<<"$output")" \
	    '["cpu","created_at","dimension","disk","gpu_count","id","memory","namespace","replicas","service_name","status","sync_time","tenant_org_id","user","vector_count"]'
	assert_equal "$(jq -r '.items | .[0] | "\(.cpu) \(.memory) \(.disk) \(.status)"' <<<"$output")" \
	    "500m/2 1Gi/2Gi 10Gi created"
}

@test "create --dry-run prints the objects and sends and records nothing" {
	local before
	run -0 esctl tenant list	# the database exists
	before=$(db_dump)
	run -0 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --dry-run -o json
	assert_equal "$(jq -r '[.items[].kind] | join(",")' <<<"$output")" \
	    "Namespace,ConfigMap,StatefulSet,Service,Deployment,Service,PersistentVolumeClaim"
	assert_equal "$(jq -r '.items[0].metadata.labels."tenant-org-id"' <<<"$output")" org-001
	run -0 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --dry-run
	[[ $output == *"kind: StatefulSet"* ]]
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(db_dump)" "$before"
	[ ! -e "$ESCTL_DATA_DIR/deployment_reports" ]
	[ ! -s "$RECV_LOG" ]
}

@test "quota exceeded: exit 5, nothing recorded, no request to the API server" {
	run -0 esctl tenant quota set --org org-001 --max-cpu 3
	local before
	before=$(db_dump)
	run -5 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --replicas 2
	[[ $stderr == *"quota exceeded for org 'org-001': max_cpu limit 3, in use 0, requested 4"* ]]
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(db_dump)" "$before"
	# user level
	run -0 esctl tenant quota set --org org-001 --max-cpu unlimited
	run -0 esctl tenant quota set --org org-001 --user alice --max-clusters 1
	run -0 esctl cluster create --org org-001 --user alice --service one
	run -5 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service two
	[[ $stderr == *"user 'alice' of org 'org-001': max_clusters limit 1"* ]]
}

# Each resource's quota on its own: memory, disk and GPUs are limits times
# replicas, like CPU; a refused create sends nothing and records nothing.
@test "quota exceeded for memory, disk and GPUs: exit 5, nothing recorded or sent" {
	local before
	run -0 esctl tenant quota set --org org-001 --max-memory 3Gi
	before=$(db_dump)
	run -5 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --replicas 2
	assert_equal "$stderr" "esctl: error: quota exceeded for org 'org-001': max_memory limit 3Gi, in use 0, requested 4Gi"
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(db_dump)" "$before"
	run -0 esctl tenant quota set --org org-001 --max-memory unlimited \
	    --max-disk 15Gi
	before=$(db_dump)
	run -5 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --replicas 2
	assert_equal "$stderr" "esctl: error: quota exceeded for org 'org-001': max_disk limit 15Gi, in use 0, requested 20Gi"
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(db_dump)" "$before"
	run -0 esctl tenant quota set --org org-001 --max-disk unlimited \
	    --max-gpu 1
	before=$(db_dump)
	run -5 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --replicas 2 --gpu-count 1
	assert_equal "$stderr" "esctl: error: quota exceeded for org 'org-001': max_gpu limit 1, in use 0, requested 2"
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(db_dump)" "$before"
	# within every limit it goes through
	run -0 esctl tenant quota set --org org-001 --max-gpu 2 --max-disk 20Gi \
	    --max-memory 4Gi
	run -0 esctl cluster create --org org-001 --user alice --service search \
	    --replicas 2
}

# A database esctl cannot write, as root too (root writes a 0444 file, so
# chmod proves nothing under CI): the store runs in WAL mode, and a
# directory where its write-ahead log must be created makes every open
# for writing fail, whoever runs it.  Exit 1, before any request.
@test "metadata failure (database cannot be written): exit 1, no request to the API server" {
	run -0 esctl tenant list	# the database exists
	sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	rm -f "$ESCTL_DB-wal" "$ESCTL_DB-shm"
	mkdir "$ESCTL_DB-wal"
	local sum
	sum=$(sha256sum < "$ESCTL_DB")
	run -1 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search
	assert_equal "$stderr" "esctl: error: cannot open store '$ESCTL_DB': unable to open database file"
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(sha256sum < "$ESCTL_DB")" "$sum"
	[ ! -e "$ESCTL_DATA_DIR/deployment_reports" ]
	rmdir "$ESCTL_DB-wal"
	if [ "$(id -u)" -ne 0 ]; then	# a read-only file, as a user: exit 7
		chmod 0444 "$ESCTL_DB"
		run -7 --separate-stderr esctl cluster create --org org-001 \
		    --user alice --service search
		chmod 0644 "$ESCTL_DB"
		assert_equal "$(kube_sim_count '*' '/api*')" 0
	fi
}

@test "metadata failure (the store refuses the record): exit 4, no request" {
	run -0 esctl tenant list	# the database exists
	# a store that refuses the record itself
	sql "CREATE TRIGGER no_records BEFORE INSERT ON tenant_container
	    BEGIN SELECT RAISE(ABORT, 'store refuses'); END;"
	run -4 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search
	[[ $stderr == *"store refuses"* ]]
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	assert_equal "$(sql 'SELECT count(*) FROM deployment_status')" 0
	[ ! -e "$ESCTL_DATA_DIR/deployment_reports" ]
}

@test "a second create of the same service is refused (exit 4)" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -4 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search
	[[ $stderr == *"already exists"* ]]
}

@test "list and get merge the store with the live state" {
	run -0 create_full
	run -0 esctl cluster list
	assert_line --regexp "^$NS +alice +search +created +2/2 "
	run -0 esctl cluster list -o json
	assert_equal "$(jq -r '.items | .[0] | "\(.namespace) \(.replicas) \(.ready_replicas) \(.status)"' <<<"$output")" \
	    "$NS 2 2 created"
	[[ $(jq -r '.items | .[0].cpu_usage' <<<"$output") =~ ^[0-9.]+$ ]]
	run -0 esctl cluster list -l tenant-org-id=org-001 -o name
	assert_output "cluster/$NS"
	run -0 esctl cluster list -l tenant-org-id=org-002 -o name
	assert_output ''
	run -0 esctl cluster get "$NS" -o json
	assert_equal "$(jq -r '"\(.cpu_request) \(.cpu_limit) \(.mem_limit) \(.disk_size) \(.gpu_count) \(.dimension) \(.vector_count)"' <<<"$output")" \
	    "1 4 8Gi 50Gi 1 512 1000000"
	assert_equal "$(jq -r '[.pods[].pod_name] | sort | join(",")' <<<"$output" | tr ',' '\n' | grep -c elasticsearch)" 2
	run -0 esctl cluster get --user alice --service search -o name
	assert_output "cluster/$NS"
	run -3 esctl cluster get no-such-namespace
}

@test "scale through the scale subresource, within quota, recorded" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster scale "$NS" --replicas 3
	assert_output "ES service in namespace '$NS' scaled to 3 replicas"
	run -0 kube_sim_api GET "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch"
	assert_equal "$(jq -r '"\(.spec.replicas) \(.status.readyReplicas)"' <<<"$output")" "3 3"
	[ "$(kube_sim_count PATCH "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch/scale")" -eq 1 ]
	assert_equal "$(sql "SELECT status, replicas FROM deployment_status")" "running|3"
	assert_equal "$(sql "SELECT replicas FROM tenant_container")" 3
	assert_equal "$(sql "SELECT group_concat(event) FROM usage_event")" "create,scale"
	run -0 esctl tenant quota set --org org-001 --max-cpu 8
	run -5 esctl cluster scale "$NS" --replicas 5
	run -5 esctl cluster scale "$NS" --replicas 5 --dry-run
	run -0 --separate-stderr esctl cluster scale "$NS" --replicas 4 --dry-run -o json
	assert_equal "$(jq -r '.items[0].spec.replicas' <<<"$output")" 4
	assert_equal "$(sql "SELECT replicas FROM tenant_container")" 3
}

@test "restart deletes the pods and waits until new ones are ready" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	local before after
	before=$(kube_sim_api GET "/api/v1/namespaces/$NS/pods?labelSelector=app%3Delasticsearch" |
	    jq -r '[.items[].metadata.uid] | sort | join(",")')
	run -0 esctl cluster restart "$NS"
	assert_line "pod 'elasticsearch-0' restarted"
	assert_line "pod 'elasticsearch-1' restarted"
	after=$(kube_sim_api GET "/api/v1/namespaces/$NS/pods?labelSelector=app%3Delasticsearch" |
	    jq -r '[.items[].metadata.uid] | sort | join(",")')
	[ "$before" != "$after" ]
	run -0 esctl cluster restart "$NS" --pod elasticsearch-1 -o json
	assert_equal "$(jq -r '.items | .[0].pod' <<<"$output")" elasticsearch-1
}

@test "delete: confirmation, objects, namespace, records, usage" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -2 --separate-stderr esctl cluster delete "$NS" </dev/null
	[[ $stderr == *"pass --yes"* ]]
	run -0 esctl cluster delete "$NS" --dry-run
	assert_line "DELETE namespaces $NS"
	assert_line "DELETE statefulsets elasticsearch"
	assert_equal "$(kube_sim_count DELETE '/api*')" 0
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS"
	run -0 esctl cluster delete "$NS" --yes
	assert_output "ES service 'search' of user 'alice' deleted (namespace '$NS')"
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
	[ "$(kube_sim_count DELETE "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch")" -eq 1 ]
	[ "$(kube_sim_count DELETE "/api/v1/namespaces/$NS/persistentvolumeclaims/*")" -ge 1 ]
	assert_equal "$(sql "SELECT status FROM deployment_status")" deleted
	assert_equal "$(sql "SELECT count(*) FROM tenant_container")" 0
	assert_equal "$(sql "SELECT group_concat(event) FROM usage_event")" "create,delete"
	[ ! -e "$ESCTL_DATA_DIR/tenant_data/org-001_alice_search.json" ]
	run -0 esctl deployment list -o name
	assert_output ''
	run -0 esctl deployment list --all -o name
	assert_output "deployment/$NS"
	# and it can be created again, and deleted without waiting
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster delete --user alice --service search --yes \
	    --wait=false
	assert_equal "$(sql "SELECT status FROM deployment_status")" deleted
}

@test "deployment list, show and set-status" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl deployment list -o json
	assert_equal "$(jq -c '.items | .[0] | keys_unsorted' <<<"$output")" \
	    '["id","tenant_org_id","namespace","user","service_name","status","message","cpu_usage","memory_usage","disk_usage","qps","gpu_count","dimension","vector_count","replicas","created_at","updated_at","details"]'
	run -0 esctl deployment set-status "$NS" running -m "checked by hand"
	assert_output "deployment '$NS' is now running"
	run -0 esctl deployment show "$NS" -o json
	assert_equal "$(jq -r '"\(.status) \(.message)"' <<<"$output")" \
	    "running checked by hand"
	assert_equal "$(sql "SELECT status FROM tenant_container")" running
	run -0 esctl deployment list --status running -o name
	assert_output "deployment/$NS"
	run -2 esctl deployment set-status "$NS" sleeping
	run -3 esctl deployment set-status no-such-ns running
	run -0 esctl deployment set-status "$NS" error --dry-run
	assert_equal "$(sql "SELECT status FROM deployment_status")" running
	# completion answers namespaces and report users and services
	run -0 esctl __complete namespace
	assert_output "$NS"
	run -0 esctl __complete report-user
	assert_output alice
	run -0 esctl __complete report-service
	assert_output search
}

@test "tenant usage: resource-hours from create, scale and delete" {
	ESCTL_NOW=2024-01-01T00:00:00Z run -0 esctl cluster create \
	    --org org-001 --user alice --service search --cpu-limit 2 \
	    --mem-limit 4Gi
	ESCTL_NOW=2024-01-01T01:00:00Z run -0 esctl cluster scale "$NS" --replicas 3
	ESCTL_NOW=2024-01-01T03:00:00Z run -0 esctl cluster delete "$NS" --yes
	ESCTL_NOW=2024-01-02T00:00:00Z run -0 esctl tenant usage --org org-001 -o json
	assert_equal "$(jq -r '.items | .[0] | "\(.user) \(.service_name) \(.hours) \(.replica_hours) \(.cpu_core_hours) \(.memory_gib_hours)"' <<<"$output")" \
	    "alice search 3 7 14 28"
	ESCTL_NOW=2024-01-02T00:00:00Z run -0 esctl tenant usage --org org-002 -o json
	assert_equal "$(jq -c . <<<"$output")" '{"kind":"List","items":[]}'
}
