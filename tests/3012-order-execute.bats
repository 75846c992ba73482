#!/usr/bin/env bats
# 3012: orders that act, end to end on kube-sim: strategy check creates a
# pool_exit order, approve, execute (select, cordon, drain with the
# DaemonSet pod left and a PDB respected, delete, devices available,
# history and notification); pool_entry of a cordoned node and of a
# webhook-provisioned one; kill -9 at each phase then a re-run with the
# same nodes; 8 concurrent executes; a PDB that never allows; the rails.

load lib/common
load lib/pool
load lib/kube
load lib/nodepool

setup_file() {
	kube_sim_start --nodes 5 --ready-delay 0.05 --delete-delay 0.05
}
teardown_file() { kube_sim_stop; }
setup() {
	common_setup
	kube_sim_reset
	export ESCTL_DRAIN_RETRY=200ms
	add_cluster prod
	np_devices prod sim-node-1 sim-node-2 sim-node-3 sim-node-4 \
	    sim-node-5
	np_config "order:
  min_pool_size: 2"
}
teardown() { stop_receivers; }

# A pool_exit order of N nodes, approved: prints nothing.
exit_order() {
	esctl order create --cluster prod --action pool_exit --count "$1" \
	    >/dev/null
	# (a background "$ESCTL_BIN" below, not the esctl function: kill -9
	# must hit esctl itself, not a subshell running it)
	esctl order approve "$(sql 'SELECT max(id) FROM elastic_scaling_order')" \
	    >/dev/null
}

@test "strategy check -> order -> approve -> execute: nodes cordoned, drained, deleted" {
	np_daemonset default agent
	# web: one pod per node 1-3 at most; the budget allows one down
	esctl node cordon sim-node-4 >/dev/null
	esctl node cordon sim-node-5 >/dev/null
	kube_sim_api POST /apis/apps/v1/namespaces/default/deployments \
	    '{"apiVersion": "apps/v1", "kind": "Deployment",
	      "metadata": {"name": "web"}, "spec": {"replicas": 3,
	      "selector": {"matchLabels": {"app": "web"}},
	      "template": {"metadata": {"labels": {"app": "web"}},
	      "spec": {"containers": [{"name": "c", "image": "web:1",
	      "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}}' \
	    >/dev/null
	kube_sim_wait 10 np_running default web 3
	esctl node uncordon sim-node-4 >/dev/null
	esctl node uncordon sim-node-5 >/dev/null
	np_pdb default web web 2
	kube_sim_wait 10 np_running default agent 5
	# a quiet cluster: CPU usage at 10% for 20 minutes
	timeline "$BATS_TEST_TMPDIR/tl.csv" prod 2024-01-01T00:00:00Z 5 \
	    cpu=10,10,10,10,10
	esctl snapshot import "$BATS_TEST_TMPDIR/tl.csv" >/dev/null
	esctl strategy create quiet -c prod -a pool_exit --cpu-threshold 20 \
	    --cpu-type usage --duration 15 --device-count 2 >/dev/null
	run -0 esctl strategy check --at 2024-01-01T00:20:00Z
	[ "$(sql "SELECT status || ':' || action_type || ':' || device_count
	    FROM elastic_scaling_order")" = pending:pool_exit:2 ]
	run -4 esctl order execute 1
	assert_output --partial "is pending: approve it first"
	run -0 esctl order approve 1
	kube_sim_requests_clear
	run -0 --separate-stderr esctl order execute 1 --timeout 30s
	assert_output "order $(sql 'SELECT order_number FROM elastic_scaling_order') completed"
	# the two lowest-ranked nodes: no web pod on 4 and 5
	[ "$(np_phase 1)" = "1:sim-node-4:done
2:sim-node-5:done" ]
	# deleted, and their devices available and out of the cluster
	run -3 esctl node cordon sim-node-4
	run -3 esctl node cordon sim-node-5
	[ "$(sql "SELECT group_concat(ci_code || ':' || status ||
	    ':' || coalesce(cluster_id, '-'), ' ') FROM device")" = \
	    "CI-sim-node-1:in_pool:1 CI-sim-node-2:in_pool:1 CI-sim-node-3:in_pool:1 CI-sim-node-4:available:- CI-sim-node-5:available:-" ]
	# the DaemonSet pods were never evicted
	[ "$(kube_sim_requests '[.[] | select(.path | endswith("/eviction"))
	    | .path | select(contains("agent"))] | length')" = 0 ]
	# the whole story is in order show
	run -0 esctl -o json order show 1
	[ "$(jq -r '[.events[] | .event + (if .node_name then "@" + .node_name else "" end)] | join(" ")' <<<"$output")" = \
	    "approved execution_started selected@sim-node-4 selected@sim-node-5 cordoned@sim-node-4 drained@sim-node-4 deleted@sim-node-4 done@sim-node-4 cordoned@sim-node-5 drained@sim-node-5 deleted@sim-node-5 done@sim-node-5 completed" ]
	[ "$(jq -r .status <<<"$output")" = completed ]
	[ "$(jq -r .executor <<<"$output")" = "${USER:-esctl}" ]
	# the person on duty heard of creation, approval and completion
	[ "$(sql "SELECT count(*) FROM notification_log WHERE order_id = 1
	    AND content LIKE '%is now completed%'")" = 1 ]
	[ "$(sql "SELECT count(*) FROM notification_log WHERE order_id = 1
	    AND content LIKE '%is now processing%'")" = 1 ]
	# again: completed, nothing to do
	run -4 esctl order execute 1
	assert_output --partial "is completed, not processing"
}

@test "drain respects a PodDisruptionBudget: 429 retried, then evicted" {
	esctl node cordon sim-node-2 >/dev/null
	esctl node cordon sim-node-3 >/dev/null
	esctl node cordon sim-node-4 >/dev/null
	esctl node cordon sim-node-5 >/dev/null
	np_deploy default web sim-node-1 2 '{"nodeSelector": {}}'
	kube_sim_wait 10 np_running default web 2
	for n in 2 3 4 5; do esctl node uncordon sim-node-$n >/dev/null; done
	np_pdb default web web 1
	# sim-node-1 is the busiest: ask for it by label
	KUBE_SIM_CTYPE=application/merge-patch+json kube_sim_api PATCH \
	    /api/v1/nodes/sim-node-1 '{"metadata": {"labels": {"drain": "me"}}}' \
	    >/dev/null
	esctl order create --cluster prod --action pool_exit -l drain=me \
	    >/dev/null
	esctl order approve 1 >/dev/null
	run -0 --separate-stderr esctl order execute 1 --timeout 30s
	[[ $stderr == *"The disruption budget web needs 1 healthy pods and has 1 currently"* ]]
	[ "$(np_phase 1)" = "1:sim-node-1:done" ]
	np_running default web 2
}

@test "a budget that never allows: order failed naming it, node stays cordoned" {
	np_deploy default solo sim-node-3 1
	kube_sim_wait 10 np_running default solo 1
	np_pdb default solo-pdb solo 1
	esctl order create --cluster prod --action pool_exit -l \
	    kubernetes.io/hostname=sim-node-3 >/dev/null
	esctl order approve 1 >/dev/null
	run -4 esctl order execute 1 --timeout 2s
	assert_output --partial "sim-node-3: cannot drain node 'sim-node-3' within 2s: pod default/solo-"
	assert_output --partial "The disruption budget solo-pdb needs 1 healthy pods"
	run -0 esctl -o json order show 1
	[ "$(jq -r .status <<<"$output")" = failed ]
	[[ "$(jq -r .failure_reason <<<"$output")" == *"solo-pdb"* ]]
	[ "$(jq -r '.devices[0].status + ":" + .devices[0].phase' <<<"$output")" = failed:cordoned ]
	[[ "$(jq -r '.devices[0].failure_reason' <<<"$output")" == *"solo-pdb"* ]]
	kube_sim_api GET /api/v1/nodes/sim-node-3 | jq -e '.spec.unschedulable'
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-sim-node-3'")" = cordoned ]
	[ "$(sql "SELECT count(*) FROM notification_log WHERE order_id = 1
	    AND content LIKE '%is now failed%solo-pdb%'")" = 1 ]
}

@test "kill -9 after select, then a re-run takes the same nodes" {
	exit_order 2
	kube_sim_fault '{"method": "PATCH", "path": "/api/v1/nodes/*",
	    "delay": 30, "count": 1}'
	"$ESCTL_BIN" order execute 1 >/dev/null 2>&1 &
	pid=$!
	kube_sim_wait 10 bash -c "[ \$(sqlite3 $ESCTL_DB 'SELECT count(*) FROM order_device') = 2 ]"
	kill -9 "$pid"
	wait "$pid" || true
	before=$(np_phase 1)
	[ "$(cut -d: -f3 <<<"$before" | sort -u)" = selected ]
	kube_sim_faults_clear
	run -0 esctl order execute 1 --timeout 20s
	[ "$(np_phase 1 | cut -d: -f1,2)" = "$(cut -d: -f1,2 <<<"$before")" ]
	[ "$(np_phase 1 | cut -d: -f3 | sort -u)" = done ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event = 'selected'")" = 2 ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event = 'execution_resumed'")" = 1 ]
}

@test "kill -9 after cordon, mid-drain, then a re-run finishes it" {
	np_deploy default solo sim-node-3 1
	kube_sim_wait 10 np_running default solo 1
	np_pdb default solo-pdb solo 1
	esctl order create --cluster prod --action pool_exit -l \
	    kubernetes.io/hostname=sim-node-3 >/dev/null
	esctl order approve 1 >/dev/null
	"$ESCTL_BIN" order execute 1 --timeout 60s >/dev/null 2>&1 &
	pid=$!
	# cordoned, and the eviction refused at least once: mid-drain
	kube_sim_wait 10 bash -c "[ \"\$(sqlite3 $ESCTL_DB 'SELECT phase FROM order_device')\" = cordoned ]"
	kube_sim_wait 10 bash -c "[ \$(curl -sk $KUBE_SIM_URL/__sim/requests | jq '[.[] | select(.status == 429)] | length') -gt 0 ]"
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(np_phase 1)" = "1:sim-node-3:cordoned" ]
	# the budget is lifted; the re-run drains and deletes the same node
	kube_sim_api DELETE /apis/policy/v1/namespaces/default/poddisruptionbudgets/solo-pdb >/dev/null
	run -0 esctl order execute 1 --timeout 20s
	[ "$(np_phase 1)" = "1:sim-node-3:done" ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event = 'cordoned'")" = 1 ]
}

@test "kill -9 after the first delete, then a re-run does the second node" {
	exit_order 2
	# the second cordon hangs
	kube_sim_fault '{"method": "PATCH", "path": "/api/v1/nodes/*",
	    "delay": 30, "count": 1, "after": 1}'
	"$ESCTL_BIN" order execute 1 --timeout 20s >/dev/null 2>&1 &
	pid=$!
	kube_sim_wait 15 bash -c "[ \"\$(sqlite3 $ESCTL_DB 'SELECT phase FROM order_device WHERE slot = 1')\" = done ]"
	kill -9 "$pid"
	wait "$pid" || true
	before=$(np_phase 1)
	[ "$(sed -n 2p <<<"$before" | cut -d: -f3)" = selected ]
	kube_sim_faults_clear
	run -0 esctl order execute 1 --timeout 20s
	[ "$(np_phase 1 | cut -d: -f1,2)" = "$(cut -d: -f1,2 <<<"$before")" ]
	[ "$(np_phase 1 | cut -d: -f3 | sort -u)" = done ]
	# one delete per node, none twice
	[ "$(kube_sim_count DELETE '/api/v1/nodes/*')" = 2 ]
}

@test "8 concurrent executes: exactly one runs it, the others exit 4" {
	exit_order 1
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		esctl order execute 1 --timeout 20s \
		    >"$BATS_TEST_TMPDIR/x$i" 2>&1 &
		pids+=($!)
	done
	ok=0
	four=0
	for pid in "${pids[@]}"; do
		rc=0
		wait "$pid" || rc=$?
		if [ "$rc" = 0 ]; then
			ok=$((ok + 1))
		elif [ "$rc" = 4 ]; then
			four=$((four + 1))
		fi
	done
	[ "$ok" = 1 ]
	[ "$four" = 7 ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event =
	    'execution_started'")" = 1 ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event = 'resumed'")" = 0 ]
	[ "$(kube_sim_count DELETE '/api/v1/nodes/*')" = 1 ]
}

@test "rails: minimum pool size, NotReady nodes, explained; the order fails" {
	exit_order 4
	run -4 esctl order execute 1
	assert_output --partial "removing 4 nodes would leave 1 in_pool device in cluster prod, below order.min_pool_size (2)"
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = failed ]
	[ "$(sql 'SELECT count(*) FROM order_device')" = 0 ]
	KUBE_SIM_CTYPE=application/merge-patch+json kube_sim_api PATCH \
	    /api/v1/nodes/sim-node-2/status '{"status": {"conditions":
	    [{"type": "Ready", "status": "False", "reason": "KubeletDown"}]}}' \
	    >/dev/null
	exit_order 1
	run -4 esctl order execute 2
	assert_output --partial "cluster prod has 1 NotReady node, more than order.max_not_ready (0)"
	run -3 esctl order execute 99
}

@test "dry run: what would be removed, nothing changes" {
	exit_order 2
	run -0 --separate-stderr esctl --dry-run order execute 1
	[[ $stderr == *"would remove sim-node-1"*"would remove sim-node-2"* ]]
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = processing ]
	[ "$(sql 'SELECT count(*) FROM order_device')" = 0 ]
	[ "$(kube_sim_count PATCH '/api/v1/nodes/*')" = 0 ]
}

@test "pool_entry: a cordoned node comes back, a new one through the webhook" {
	esctl node cordon sim-node-2 --cluster prod >/dev/null
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-sim-node-2'")" = cordoned ]
	sql "INSERT INTO device (created_at, updated_at, ci_code, ip, status,
	    cpu, memory) VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
	    'CI-new', '192.0.2.77', 'available', 32, 128)"
	start_receiver
	np_config "  provision_url: $RECV_URL/provision
  pool_label: esctl.io/pool=general"
	esctl order create --cluster prod --action pool_entry --count 2 >/dev/null
	esctl order approve 1 >/dev/null
	# the "provisioner": once asked, it registers the machine as a Node
	(
		for _ in $(seq 100); do
			if [ -s "$RECV_LOG" ]; then
				kube_sim_api POST /api/v1/nodes '{"apiVersion": "v1",
				    "kind": "Node", "metadata": {"name": "fresh-1"},
				    "status": {"addresses": [{"type": "InternalIP",
				    "address": "192.0.2.77"}]}}' >/dev/null
				exit 0
			fi
			sleep 0.1
		done
	) &
	prov=$!
	run -0 --separate-stderr esctl order execute 1 --timeout 20s
	wait "$prov"
	[ "$(np_phase 1)" = "1:sim-node-2:done
2:fresh-1:done" ]
	[ "$(sql "SELECT status || ':' || cluster_id FROM device WHERE
	    ci_code = 'CI-sim-node-2'")" = in_pool:1 ]
	[ "$(sql "SELECT status || ':' || cluster_id FROM device WHERE
	    ci_code = 'CI-new'")" = in_pool:1 ]
	run -0 --separate-stderr kube_sim_api GET /api/v1/nodes/sim-node-2
	[ "$(jq -c '[.spec.unschedulable, .metadata.labels["esctl.io/pool"]]' <<<"$output")" = '[null,"general"]' ]
	run -0 --separate-stderr kube_sim_api GET /api/v1/nodes/fresh-1
	[ "$(jq -r '.metadata.labels["esctl.io/pool"]' <<<"$output")" = general ]
	# the webhook got the device record and the order
	[ "$(jq -r '.json | .event + " " + .order_number + " " + .cluster +
	    " " + .device.ci_code + " " + .device.ip' "$RECV_LOG")" = \
	    "provision $(sql 'SELECT order_number FROM elastic_scaling_order') prod CI-new 192.0.2.77" ]
}

@test "pool_entry: a Node that refuses its uncordon fails its slot, the others go on" {
	esctl node cordon sim-node-1 --cluster prod >/dev/null
	esctl node cordon sim-node-2 --cluster prod >/dev/null
	esctl order create --cluster prod --action pool_entry --count 2 >/dev/null
	esctl order approve 1 >/dev/null
	kube_sim_fault PATCH '/api/v1/nodes/sim-node-1' 403 0 \
	    message="nodes sim-node-1 is forbidden"
	run -4 --separate-stderr esctl order execute 1 --timeout 20s
	[[ $stderr == *"error: order"*"failed: CI-sim-node-1: patch nodes 'sim-node-1': nodes sim-node-1 is forbidden"* ]]
	[[ $stderr == *"node/sim-node-2 Ready: device CI-sim-node-2 in pool"* ]]
	[ "$(np_phase 1)" = "1::selected
2:sim-node-2:done" ]
	[ "$(sql "SELECT slot || ':' || status FROM order_device ORDER BY slot")" = "1:failed
2:completed" ]
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-sim-node-2'")" = in_pool ]
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = failed ]
}

@test "pool_entry: the webhook down -> bounded retries, the slot fails" {
	sql "INSERT INTO device (created_at, updated_at, ci_code, ip, status)
	    VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'CI-new',
	    '192.0.2.77', 'available')"
	start_receiver --status 503
	np_config "  provision_url: $RECV_URL/provision"
	esctl order create --cluster prod --action pool_entry >/dev/null
	esctl order approve 1 >/dev/null
	run -4 esctl order execute 1 --timeout 5s
	assert_output --partial "CI-new: provisioning webhook: HTTP 503"
	[ "$(wc -l < "$RECV_LOG")" = 3 ]
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = failed ]
}

@test "a cordon the server refuses: slot failed, the device back in the pool" {
	exit_order 1
	kube_sim_fault PATCH '/api/v1/nodes/*' 403 0
	run -4 esctl order execute 1
	assert_output --partial "sim-node-1: "
	[ "$(np_phase 1)" = "1:sim-node-1:selected" ]
	[ "$(sql "SELECT status FROM order_device")" = failed ]
	[ "$(sql "SELECT status || ':' || pool_entry_time FROM device WHERE
	    ci_code = 'CI-sim-node-1'")" = in_pool:2026-11-01T00:00:00Z ]
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = failed ]
}
