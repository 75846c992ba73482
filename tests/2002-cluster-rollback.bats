#!/usr/bin/env bats
# 2002: cluster create rolls back on a failure at any step after the
# metadata, and a create interrupted by kill -9 at any step can be run
# again (or deleted) with no clean-up by hand.

load lib/common
load lib/kube
load lib/lifecycle

NS=org-001-alice-search
STS=/apis/apps/v1/namespaces/$NS/statefulsets

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
	make_repo conf
	CREATE=(cluster create --org org-001 --user alice --service search
	    --gpu-count 1 --gitlab-url "file://$REPO_BARE" --timeout 3s)
}

teardown() {
	cluster_teardown
}

# The request that step N sends and a failure injected into it:
# "METHOD PATH COUNT" (COUNT 0: every time).
step_request() {
	case $1 in
	2) echo "POST /api/v1/namespaces 1" ;;
	3) echo "PATCH /api/v1/namespaces/$NS 0" ;;
	4) echo "POST $STS 1" ;;
	5) echo "PUT $STS/elasticsearch 0" ;;
	6) echo "PATCH /api/v1/namespaces/$NS/persistentvolumeclaims/elasticsearch-data-elasticsearch-0 0" ;;
	7) echo "PATCH $STS/elasticsearch 0" ;;
	8) echo "GET /apis/apps/v1/namespaces/$NS/deployments/kibana 0" ;;
	esac
}

# The create every case runs: a repository (step 3 has work to do) and
# a GPU (so has step 7).
create() {
	esctl "${CREATE[@]}" "$@"
}

# The same in the background, as a direct child (so kill -9 hits esctl);
# sets PID.
create_bg() {
	"$ESCTL_BIN" "${CREATE[@]}" > "$BATS_TEST_TMPDIR/bg.out" 2>&1 &
	PID=$!
}

# Checks the state a rolled-back create must leave.
assert_rolled_back() {
	local step=$1
	assert_equal "$(sql 'SELECT count(*) FROM tenant_container')" 0
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" failed
	[ -n "$(sql "SELECT message FROM deployment_status WHERE namespace = '$NS'")" ]
	assert_equal "$(db_statuses alice search | awk '{print $NF}')" failed
	local want
	want=$(echo $TEN_STATUSES | cut -d' ' -f1-$((step - 1)))
	assert_equal "$(db_statuses alice search)" "$want failed"
	assert_equal "$(file_statuses alice search)" "$want failed"
	assert_equal "$(log_statuses alice search)" "$want failed"
	local failed
	failed=$(ls "$ESCTL_DATA_DIR"/deployment_reports/*.json | tail -1)
	assert_equal "$(jq -r .status "$failed")" failed
	[ -n "$(jq -r .error "$failed")" ]
	assert_equal "$(jq -r .step "$failed")" "$(echo $TEN_STATUSES | cut -d' ' -f"$step")"
	# nothing left in the cluster
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
}

fail_at() {
	local step=$1 method path count
	read -r method path count <<<"$(step_request "$step")"
	kube_sim_fault "$method" "$path" 500 "$count" \
	    message="injected failure at step $step"
	run -6 --separate-stderr create
	[[ $stderr == *"injected failure at step $step"* ]] ||
	    fail "step $step: $stderr"
	kube_sim_faults_clear
	assert_rolled_back "$step"
	# and the same create now succeeds
	run -0 create
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" created
	assert_equal "$(sql 'SELECT status FROM tenant_container')" created
	run -0 kube_sim_api GET "$STS/elasticsearch"
}

@test "a failure at step 2 (namespace) rolls back" { fail_at 2; }
@test "a failure at step 3 (GitLab configuration) rolls back" { fail_at 3; }
@test "a failure at step 4 (core resources) rolls back" { fail_at 4; }
@test "a failure at step 5 (resources) rolls back" { fail_at 5; }
@test "a failure at step 6 (disk) rolls back" { fail_at 6; }
@test "a failure at step 7 (GPU) rolls back" { fail_at 7; }
@test "a failure at step 8 (rollout timeout) rolls back" { fail_at 8; }

@test "a pod that never gets ready fails the rollout after --timeout" {
	kube_sim_config '{"fail_images": "never-ready"}'
	write_config <<-EOF
	report:
	  url: $RECV_URL/report
	cluster:
	  image: example/never-ready:1
	EOF
	run -6 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --timeout 1s
	[[ $stderr == *"esctl: error: not ready within --timeout 1s (1s elapsed) waiting for statefulsets 'elasticsearch' in namespace 'org-001-alice-search': 0/1 ready" ]]
	assert_rolled_back 8
}

# kube-sim's nodes have 4 GPUs each (like v1.28 recording 141): a replica
# asking for 5 is never scheduled.  The create must fail, naming the
# scheduler's reason, and roll back; it must not report success.
@test "a GPU create that cannot be scheduled fails naming the reason, and rolls back" {
	run -6 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --gpu-count 5 --timeout 3s
	[[ $stderr == *"esctl: error: not ready within --timeout "*"s elapsed) waiting for statefulsets 'elasticsearch' in namespace '$NS': 0/1 ready; pod elasticsearch-0 cannot be scheduled: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.." ]]
	assert_rolled_back 8
	# 4 GPUs a replica fit
	run -0 esctl cluster create --org org-001 --user alice --service search \
	    --gpu-count 4
}

@test "--keep-on-failure keeps the objects, the records still roll back" {
	kube_sim_fault PUT "$STS/elasticsearch" 500 0
	run -6 --separate-stderr create --keep-on-failure
	[[ $stderr == *"--keep-on-failure"* ]]
	assert_equal "$(sql 'SELECT count(*) FROM tenant_container')" 0
	assert_equal "$(sql 'SELECT status FROM deployment_status')" failed
	run -0 kube_sim_api GET "$STS/elasticsearch"
	kube_sim_faults_clear
	# a later create takes the kept objects over
	run -0 create
	run -0 esctl cluster delete "$NS" --yes
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
}

@test "an adopted namespace keeps existing; only this create's objects go" {
	kube_sim_api POST /api/v1/namespaces "{\"metadata\": {\"name\": \"$NS\",
	    \"labels\": {\"es-cluster\": \"true\", \"tenant-org-id\": \"org-001\",
	    \"user\": \"alice\", \"service-name\": \"search\"}}}" >/dev/null
	kube_sim_api POST "/api/v1/namespaces/$NS/configmaps" \
	    '{"metadata": {"name": "operator-settings"}}' >/dev/null
	kube_sim_fault PUT "$STS/elasticsearch" 500 0
	run -6 create
	[[ $(grep -c 'adopted' "$ESCTL_DATA_DIR/deployment.log") -eq 1 ]]
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS"
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS/configmaps/operator-settings"
	run -1 kube_sim_api GET "$STS/elasticsearch"
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS/configmaps/elasticsearch-config"
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS/services/elasticsearch"
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS/persistentvolumeclaims"
	assert_equal "$(jq '.items | length' <<<"$output")" 0
}

# Starts the create in the background, kills it with SIGKILL while step N
# is held up in the API server (the held request is then never carried
# out), then checks a plain re-run completes.
kill_at() {
	local step=$1 method path count pid i
	read -r method path count <<<"$(step_request "$step")"
	kube_sim_fault "$method" "$path" 500 1 delay=5
	create_bg
	pid=$PID
	for ((i = 0; i < 150; i++)); do
		[ "$(kube_sim_count "$method" "$path")" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(kube_sim_count "$method" "$path")" -ge 1 ] ||
	    fail "step $step never reached: $(cat "$BATS_TEST_TMPDIR/bg.out")"
	kill -9 "$pid"
	wait "$pid" || true
	kube_sim_faults_clear
	assert_equal "$(sql 'SELECT status FROM tenant_container')" creating
	# run again: resumed, completed
	run -0 --separate-stderr create
	[[ $stderr == *"resuming the interrupted create"* ]]
	assert_equal "$(sql 'SELECT status FROM tenant_container')" created
	assert_equal "$(sql 'SELECT status FROM deployment_status')" created
	# one sequence of ten reports across both runs, the resume noted once
	assert_equal "$(db_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(file_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(log_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(sql "SELECT count(*) FROM deployment_report WHERE
	    message LIKE '%(resumed after an interrupted run)'")" 1
	assert_equal "$(sql "SELECT count(*) FROM deployment_report WHERE
	    json_extract(extra, '\$.resumed')")" 1
	run -0 kube_sim_api GET "$STS/elasticsearch"
	assert_equal "$(jq -r .status.readyReplicas <<<"$output")" 2	# esctl.yaml: replicas 2
	run -0 esctl cluster delete "$NS" --yes
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
}

@test "kill -9 at step 2 (namespace), run again" { kill_at 2; }
@test "kill -9 at step 3 (GitLab configuration), run again" { kill_at 3; }
@test "kill -9 at step 4 (core resources), run again" { kill_at 4; }
@test "kill -9 at step 5 (resources), run again" { kill_at 5; }
@test "kill -9 at step 6 (disk), run again" { kill_at 6; }
@test "kill -9 at step 7 (GPU), run again" { kill_at 7; }
@test "kill -9 at step 8 (rollout), run again" { kill_at 8; }

@test "kill -9 during a create, then delete without running it again" {
	kube_sim_fault PUT "$STS/elasticsearch" 500 1 delay=5
	create_bg
	local pid=$PID i
	for ((i = 0; i < 150; i++)); do
		[ "$(kube_sim_count PUT "$STS/elasticsearch")" -ge 1 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" || true
	kube_sim_faults_clear
	run -0 esctl cluster delete "$NS" --yes
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
	assert_equal "$(sql 'SELECT count(*) FROM tenant_container')" 0
	assert_equal "$(sql 'SELECT status FROM deployment_status')" deleted
}

# The server carries out step N's create and holds the answer; esctl is
# killed (kill -9) before it hears of it, so it never records the object.
# The re-run finds the object labelled with this service and its creation
# id, adopts it, and completes.
kill_after_apply() {
	local step=$1 method path i
	read -r method path _ <<<"$(step_request "$step")"
	kube_sim_fault "$method" "$path" 0 1 drop=after hold=10
	create_bg
	for ((i = 0; i < 150; i++)); do
		[ "$(kube_sim_count "$method" "$path")" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(kube_sim_count "$method" "$path")" -ge 1 ] ||
	    fail "step $step never reached: $(cat "$BATS_TEST_TMPDIR/bg.out")"
	sleep 0.5	# the server has done the work; the answer is held
	kill -9 "$PID"
	wait "$PID" || true
	kube_sim_faults_clear
	# the object exists, the store does not know it completed
	run -0 kube_sim_api GET "$2"
	[ "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" != created ]
	run -0 --separate-stderr create
	[[ $stderr == *"[10/10] completed"* ]]
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" created
	assert_equal "$(sql 'SELECT count(*) FROM tenant_container')" 1
	# adopted, not made twice: one creation id on the objects
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS"
	assert_equal "$(jq -r '.metadata.annotations["es.yunpeng.cn/creation-id"]' \
	    <<<"$output")" "$(sql "SELECT creation_id FROM deployment_status WHERE namespace = '$NS'")"
	# the first answer never came (0: dropped, null: still held); the
	# re-run's create met the object (409) and took it over
	assert_equal "$(kube_sim_requests "[.[] | select(.method == \"POST\"
	    and .path == \"$path\") | .status // 0 | tostring] | join(\" \")")" \
	    '"0 409"'
}

@test "killed after the server created the namespace: the re-run adopts it" {
	kill_after_apply 2 "/api/v1/namespaces/$NS"
}

@test "killed after the server created the StatefulSet: the re-run adopts it" {
	kill_after_apply 4 "$STS/elasticsearch"
}

# Without the kill: the create repeats the namespace POST whose answer it
# lost (409 AlreadyExists), proves the namespace is its own by the
# creation id it carries, and goes on (esctl-k8s(1), "requests that
# change something").
@test "the answer to the namespace create is lost: the create repeats it and claims its own namespace" {
	kube_sim_fault POST /api/v1/namespaces 0 1 drop=after
	run -0 --separate-stderr create
	assert_equal "$(kube_sim_count POST /api/v1/namespaces)" 2
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS'")" created
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS"
	assert_equal "$(jq -r '.metadata.annotations["es.yunpeng.cn/creation-id"]' \
	    <<<"$output")" "$(sql "SELECT creation_id FROM deployment_status WHERE namespace = '$NS'")"
}

@test "a create of a service already being created is refused (exit 4)" {
	kube_sim_fault PUT "$STS/elasticsearch" 0 1 delay=3
	create_bg
	local pid=$PID i
	for ((i = 0; i < 150; i++)); do
		[ "$(kube_sim_count PUT "$STS/elasticsearch")" -ge 1 ] && break
		sleep 0.1
	done
	run -4 --separate-stderr create
	[[ $stderr == *"another esctl is creating"* ]]
	wait "$pid"
	assert_equal "$(sql 'SELECT status FROM tenant_container')" created
}
