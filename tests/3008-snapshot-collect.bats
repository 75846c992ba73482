#!/usr/bin/env bats
# 3008: snapshot collect against the local Kubernetes API server - ratios
# from Nodes, Pods and metrics.k8s.io, or usage from a real Prometheus;
# failing clusters; and the engine on what was collected.

load lib/common
load lib/kube
load lib/pool

setup_file() {
	kube_sim_start --ready-delay 0.05
}

teardown_file() {
	kube_sim_stop
}

setup() {
	common_setup
	kube_sim_reset
}

teardown() {
	stop_prometheus
}

# Three 16-core, 64Gi nodes (kube-sim's); sim-node-3 cordoned; pods with
# requests on each node, one finished; node usage 8 + 4 (+ 16 cordoned).
load_cluster() {
	kube_sim_api PATCH /api/v1/nodes/sim-node-3 '{"spec": {"unschedulable": true}}' >/dev/null
	kube_sim_objects '[
	  {"kind": "Pod", "apiVersion": "v1",
	   "metadata": {"name": "a", "namespace": "team-a"},
	   "spec": {"nodeName": "sim-node-1", "containers": [
	     {"name": "c1", "image": "x", "resources": {"requests": {"cpu": "3", "memory": "6Gi"}}},
	     {"name": "c2", "image": "x", "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}}}]},
	   "status": {"phase": "Running"}},
	  {"kind": "Pod", "apiVersion": "v1",
	   "metadata": {"name": "b", "namespace": "team-a"},
	   "spec": {"nodeName": "sim-node-2", "initContainers": [
	     {"name": "init", "image": "x", "resources": {"requests": {"cpu": "4", "memory": "1Gi"}}}],
	     "containers": [
	     {"name": "c", "image": "x", "resources": {"requests": {"cpu": "2", "memory": "8Gi"}}}]},
	   "status": {"phase": "Running"}},
	  {"kind": "Pod", "apiVersion": "v1",
	   "metadata": {"name": "done", "namespace": "team-a"},
	   "spec": {"nodeName": "sim-node-1", "containers": [
	     {"name": "c", "image": "x", "resources": {"requests": {"cpu": "8", "memory": "8Gi"}}}]},
	   "status": {"phase": "Succeeded"}},
	  {"kind": "Pod", "apiVersion": "v1",
	   "metadata": {"name": "cordoned", "namespace": "team-b"},
	   "spec": {"nodeName": "sim-node-3", "containers": [
	     {"name": "c", "image": "x", "resources": {"requests": {"cpu": "5", "memory": "5Gi"}}}]},
	   "status": {"phase": "Running"}}]'
	kube_sim_metrics '{"nodes": {
	    "sim-node-1": {"cpu": "8", "memory": "32Gi"},
	    "sim-node-2": {"cpu": "4", "memory": "16Gi"},
	    "sim-node-3": {"cpu": "16", "memory": "64Gi"}}}'
}

@test "collect computes the ratios from Nodes, Pods and metrics.k8s.io" {
	load_cluster
	esctl k8s add sim-a --context sim >/dev/null
	export ESCTL_NOW=2024-01-01T00:00:00Z
	run -0 --separate-stderr esctl -o json snapshot collect
	[ "$stderr" = "" ]
	j=$(jq '.items | .[0]' <<<"$output")
	[ "$(jq -r .status <<<"$j")" = collected ]
	run -0 esctl -o json snapshot list --cluster sim-a
	s=$(jq '.items | .[0]' <<<"$output")
	[ "$(jq -c '[.collected_at, .source, .node_count, .ready_node_count,
	    .unschedulable_node_count, .bm_count, .vm_count, .pod_count]' <<<"$s")" = \
	    '["2024-01-01T00:00:00Z","kube",3,3,1,3,0,3]' ]
	# capacity of all nodes; allocatable, requests, usage of the two
	# schedulable ones; b requests max(2, init 4) = 4 cores
	[ "$(jq -c '[.cpu_capacity, .cpu_allocatable, .cpu_request, .cpu_usage]' <<<"$s")" = '[48,32,7.5,12]' ]
	[ "$(jq -c '[.mem_capacity, .mem_allocatable, .mem_request, .mem_usage]' <<<"$s")" = '[192,128,16,48]' ]
	[ "$(jq -c '[.max_cpu, .cpu_allocation_ratio, .max_memory, .mem_allocation_ratio]' <<<"$s")" = '[37.5,23.4375,37.5,12.5]' ]
	[ "$(jq -r .per_node_cpu_req <<<"$s")" = 2.5 ]
	# the requests the API server saw: nodes, pods of every namespace
	# without finished ones, node metrics
	[ "$(kube_sim_count GET /api/v1/pods 'status.phase')" -ge 1 ]
	[ "$(kube_sim_count GET /apis/metrics.k8s.io/v1beta1/nodes)" -ge 1 ]
	run -0 esctl snapshot collect
	assert_line --index 0 --regexp '^CLUSTER +STATUS +SOURCE +NODES +PODS +CPU_USAGE% +CPU_ALLOC% +MEM_USAGE% +MEM_ALLOC% +MESSAGE$'
	# the same time again: nothing new
	[ "$(count k8s_cluster_resource_snapshot)" = 1 ]
}

@test "without the metrics API usage is unknown, allocation still known" {
	load_cluster
	kube_sim_config '{"metrics": false}'
	esctl k8s add sim-a --context sim >/dev/null
	run -0 --separate-stderr esctl -o json snapshot collect
	[[ $stderr == *"cluster 'sim-a': no metrics.k8s.io API: usage unknown"* ]]
	[ "$(jq -r '.items | .[0].status' <<<"$output")" = collected ]
	[ "$(sql 'SELECT coalesce(max_cpu, -1), cpu_allocation_ratio FROM k8s_cluster_resource_snapshot')" = "-1|23.4375" ]
}

@test "collect reads usage from the cluster's Prometheus" {
	load_cluster
	# other numbers than metrics.k8s.io's: 6 + 4 busy cores, 40 + 20 GiB
	start_prometheus n1:16:6:64:40 n2:16:4:64:20
	esctl k8s add sim-p --context sim --prometheus "$PROM_URL" >/dev/null
	run -0 --separate-stderr esctl -o json snapshot collect --cluster sim-p
	[ "$stderr" = "" ]
	[ "$(jq -r '.items | .[0].status + " " + .[0].source' <<<"$output")" = "collected prometheus" ]
	# irate() of counters sampled every second: close to 10, not exact
	jq -e '.items | .[0].cpu_usage > 9.3 and .[0].cpu_usage < 10.7' <<<"$output"
	jq -e '.items | .[0].max_cpu > 29 and .[0].max_cpu < 33.5' <<<"$output"
	jq -e '.items | .[0].mem_usage == 60' <<<"$output"
	# allocation still comes from the API server
	[ "$(sql 'SELECT source, max_memory, cpu_allocation_ratio FROM k8s_cluster_resource_snapshot')" = "prometheus|46.875|23.4375" ]
	run -0 curl -sf "$PROM_URL/api/v1/targets"
	[[ $output == *'"health":"up"'* ]]
}

@test "a failing cluster or Prometheus does not stop the others; exit 6" {
	load_cluster
	esctl k8s add good --context sim >/dev/null
	dead=$(free_port)
	sed "s#server: https://127.0.0.1:[0-9]*#server: https://127.0.0.1:$dead#" \
	    "$KUBE_SIM_KUBECONFIG" > "$BATS_TEST_TMPDIR/dead.kubeconfig"
	esctl k8s add down --kubeconfig-file "$BATS_TEST_TMPDIR/dead.kubeconfig" --context sim >/dev/null
	esctl k8s add noprom --context sim --prometheus "http://127.0.0.1:$(free_port)" >/dev/null
	export ESCTL_KUBE_RETRY_MAX_TIME=1s
	run -6 --separate-stderr esctl -o json snapshot collect
	# the results, then (as for every failing command) the error object
	[ "$(jq -rs '.[0].items | map(.cluster_name + ":" + .status) | join(",")' <<<"$output")" = "down:failed,good:collected,noprom:partial" ]
	[ "$(jq -s '.[1].error.code' <<<"$output")" = 6 ]
	[[ $stderr == *"cluster 'down': "*"127.0.0.1:$dead"* ]]
	[[ $stderr == *"cluster 'noprom': usage unknown: cannot query Prometheus at 'http://127.0.0.1:"* ]]
	[[ $stderr == *"2 of 3 clusters not fully collected"* ]]
	# the partial snapshot is kept: allocation is still known
	[ "$(sql "SELECT c.clustername || ':' || s.source || ':' || coalesce(s.max_cpu, 'null') FROM k8s_cluster_resource_snapshot s JOIN k8s_cluster c ON c.id = s.cluster_id ORDER BY 1")" = $'good:kube:37.5\nnoprom:prometheus:null' ]
	run -3 esctl snapshot collect --cluster nope
}

@test "--dry-run reads the clusters and stores nothing" {
	load_cluster
	esctl k8s add sim-a --context sim >/dev/null
	run -0 esctl -o json --dry-run snapshot collect
	[ "$(jq -r '.items | .[0].status' <<<"$output")" = dry_run ]
	[ "$(count k8s_cluster_resource_snapshot)" = 0 ]
}

@test "collected snapshots drive strategy check to an order" {
	load_cluster
	esctl k8s add sim-a --context sim >/dev/null
	esctl strategy create hot -c sim-a -a pool_entry --cpu-threshold 35 \
	    --cpu-type usage --duration 10 --device-count 1 >/dev/null
	for t in 00:00 00:05 00:10; do
		ESCTL_NOW=2024-01-01T$t:00Z esctl snapshot collect >/dev/null
	done
	run -0 --separate-stderr esctl -o json strategy check --at 2024-01-01T00:10:00Z
	[ "$(jq -r '.items | .[0].result + " " + .[0].triggered_value' <<<"$output")" = "order_created CPU:37.5%,MEM:N/A" ]
}
