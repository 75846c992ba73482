#!/usr/bin/env bats
# 3013: device select (SelectNodesForRemoval) on a fixture with special,
# tainted, NotReady, cordoned, busy and unknown nodes: the exact ranked
# list, its factors, and every exclusion reason.

load lib/common
load lib/pool
load lib/kube
load lib/nodepool

setup_file() { kube_sim_start --nodes 7 --ready-delay 0.05; }
teardown_file() { kube_sim_stop; }

setup() {
	common_setup
	kube_sim_reset
	export ESCTL_NOW=2026-11-20T00:00:00Z
	add_cluster prod
	np_devices prod sim-node-1 sim-node-2 sim-node-3 sim-node-4 \
	    sim-node-5 sim-node-6
	sql "UPDATE device SET is_special = 1 WHERE ci_code = 'CI-sim-node-1'"
	KUBE_SIM_CTYPE=application/merge-patch+json kube_sim_api PATCH \
	    /api/v1/nodes/sim-node-2 '{"spec": {"taints": [{"key":
	    "dedicated", "value": "db", "effect": "NoSchedule"}]}}' >/dev/null
	KUBE_SIM_CTYPE=application/merge-patch+json kube_sim_api PATCH \
	    /api/v1/nodes/sim-node-3/status '{"status": {"conditions":
	    [{"type": "Ready", "status": "False", "reason": "KubeletDown"}]}}' \
	    >/dev/null
	esctl node cordon sim-node-4 >/dev/null
	np_deploy default busy sim-node-5 2
	kube_sim_wait 10 np_running default busy 2
}

@test "-o json: the ranked candidates, their factors, every exclusion" {
	run -0 esctl -o json device select --cluster prod --count 1
	j=$output
	[ "$(jq -c '[.candidates[] | [.rank, .node, .ci_code, .selected]]' <<<"$j")" = \
	    '[[1,"sim-node-6","CI-sim-node-6",true],[2,"sim-node-5","CI-sim-node-5",false]]' ]
	[ "$(jq -c '.candidates[1].factors | [.cpu_request_ratio,
	    .memory_request_ratio, .pods, .pod_weight, .days_in_pool]' <<<"$j")" = \
	    '[0.0625,0.0156,2,2,15]' ]
	[ "$(jq -c '.candidates[0].factors | [.cpu_request_ratio, .pods,
	    .days_in_pool]' <<<"$j")" = '[0,0,14]' ]
	# metrics.k8s.io is served: usage ratios are numbers
	[ "$(jq '.candidates[0].factors.cpu_usage_ratio | type' <<<"$j")" = '"number"' ]
	# score: 40 * request share + 20 * usage share + 4 * weight - days/3
	[ "$(jq '.candidates[0].score < .candidates[1].score' <<<"$j")" = true ]
	[ "$(jq -r '.excluded[] | .node + ": " + .reason' <<<"$j")" = \
"sim-node-1: special device (--allow-special)
sim-node-2: protective taint dedicated (--allow-taint dedicated)
sim-node-3: NotReady
sim-node-4: cordoned
sim-node-7: no device stands for this node (esctl device import, esctl device sync)" ]
	[ "$(jq -c '.nodes' <<<"$j")" = \
	    '{"total":7,"ready":6,"not_ready":1,"schedulable":5}' ]
}

@test "--allow-special, --allow-taint and a selector change the list" {
	run -0 esctl -o json device select --cluster prod --count 3 \
	    --allow-special --allow-taint dedicated
	# longest in the pool first among the idle (device N entered on
	# 2026-11-0N), the busy node last
	[ "$(jq -c '[.candidates[].node]' <<<"$output")" = \
	    '["sim-node-1","sim-node-2","sim-node-6","sim-node-5"]' ]
	run -0 esctl -o json device select --cluster prod -l \
	    kubernetes.io/hostname=sim-node-5
	[ "$(jq -c '[.candidates[].node]' <<<"$output")" = '["sim-node-5"]' ]
	[ "$(jq -r '.excluded[] | select(.node == "sim-node-6") | .reason' <<<"$output")" = \
	    'does not match the selector {"kubernetes.io/hostname":"sim-node-5"}' ]
}

@test "without metrics: usage absent (null), not 0" {
	kube_sim_config '{"metrics": false}'
	run -0 esctl -o json device select --cluster prod
	[ "$(jq -c '[.metrics, .candidates[0].factors.cpu_usage_ratio,
	    .candidates[0].factors.memory_usage_ratio]' <<<"$output")" = \
	    '[false,null,null]' ]
}

@test "a pod the drain would refuse excludes its node" {
	np_bare_pod default lonely sim-node-6
	run -0 esctl -o json device select --cluster prod
	[ "$(jq -r '.excluded[] | select(.node == "sim-node-6") | .reason' <<<"$output")" = \
	    "pod default/lonely: not managed by a controller, it would not come back (--force evicts it)" ]
}

@test "the table: candidates then exclusions; unknown cluster exit 3" {
	run -0 esctl device select --cluster prod --count 1
	assert_line --index 0 --regexp '^RANK +NODE +DEVICE +SCORE'
	assert_line --index 1 --regexp '^ +1 +sim-node-6 +CI-sim-node-6 '
	assert_output --partial "sim-node-3   CI-sim-node-3   NotReady"
	run -3 esctl device select --cluster nope
}

@test "device sync: matched by InternalIP then name, OS fields, pool status" {
	# a device known only by name, one whose Node is gone, one spare
	sql "INSERT INTO device (created_at, updated_at, ci_code, status)
	    VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
	    'sim-node-7', 'available')"
	sql "INSERT INTO device (created_at, updated_at, ci_code, status,
	    cluster_id, cluster) VALUES ('2026-01-01T00:00:00Z',
	    '2026-01-01T00:00:00Z', 'CI-gone', 'in_pool', 1, 'prod')"
	sql "UPDATE device SET status = 'available', cluster_id = NULL
	    WHERE ci_code = 'CI-sim-node-6'"
	run -0 --separate-stderr esctl -o json device sync --cluster prod
	[ "$(jq -r '.matched[] | .node + ":" + .ci_code + ":" + .status' <<<"$output")" = \
"sim-node-1:CI-sim-node-1:in_pool
sim-node-2:CI-sim-node-2:in_pool
sim-node-3:CI-sim-node-3:offline
sim-node-4:CI-sim-node-4:cordoned
sim-node-5:CI-sim-node-5:in_pool
sim-node-6:CI-sim-node-6:in_pool
sim-node-7:sim-node-7:in_pool" ]
	[ "$(jq -c '[.unmatched_devices, .released]' <<<"$output")" = \
	    '[["CI-gone"],["CI-gone"]]' ]
	[ "$(sql "SELECT os_name || ':' || os_kernel || ':' || arch_type ||
	    ':' || cluster_id FROM device WHERE ci_code = 'sim-node-7'")" = \
	    linux:6.1.0-sim:amd64:1 ]
	[ "$(sql "SELECT status || ':' || coalesce(cluster_id, '-') FROM
	    device WHERE ci_code = 'CI-gone'")" = available:- ]
	# a dry run reports and writes nothing
	sql "UPDATE device SET status = 'available' WHERE ci_code = 'sim-node-7'"
	run -0 esctl --dry-run -o json device sync --cluster prod
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'sim-node-7'")" = available ]
}
