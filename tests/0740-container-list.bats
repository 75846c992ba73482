#!/usr/bin/env bats
# 0740: esctl container list - pods with live usage, namespaces, selectors
# and tenant scope.

load lib/common
load lib/kube

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

two_services() {
	kube_sim_namespace o1-alice-search '{"es-cluster": "true",
	    "tenant-org-id": "o1", "user": "alice"}'
	kube_sim_namespace o2-bob-logs '{"es-cluster": "true",
	    "tenant-org-id": "o2", "user": "bob"}'
	kube_sim_statefulset o1-alice-search elasticsearch 2
	kube_sim_statefulset o2-bob-logs elasticsearch 1
	esctl __kube wait statefulsets o1-alice-search elasticsearch \
	    --for rollout --timeout 20s >/dev/null
	esctl __kube wait statefulsets o2-bob-logs elasticsearch \
	    --for rollout --timeout 20s >/dev/null
}

@test "pods with status, node, usage from metrics.k8s.io and age" {
	two_services
	kube_sim_metrics '{"pods": {"o1-alice-search/elasticsearch-0":
	    {"cpu": "1250m", "memory": "1536Mi"}}}'
	run -0 --separate-stderr esctl -o json container list -n o1-alice-search
	assert_equal "$(jq -c '.items | .[0] | [.pod_name, .namespace, .status, .ready,
	    .restarts, .cpu, .memory, (.node | startswith("sim-node-")),
	    (.age | test("^[0-9]+s$"))]' <<<"$output")" \
	    '["elasticsearch-0","o1-alice-search","Running","1/1",0,"1250m","1536Mi",true,true]'
	# 40% of the 500m request and 60% of 1Gi by default
	assert_equal "$(jq -c '.items | .[1] | [.cpu, .memory]' <<<"$output")" \
	    '["200m","614Mi"]'
	run -0 esctl container list -n o1-alice-search
	assert_line --index 0 --regexp '^NAMESPACE +POD +READY +STATUS +NODE +CPU +MEMORY +AGE$'
	assert_line --index 1 --regexp '^o1-alice-search +elasticsearch-0 +1/1 +Running +sim-node-[0-9] +1250m +1536Mi +[0-9]+s$'
	run -0 esctl -o wide container list -n o1-alice-search
	assert_line --index 0 --regexp 'RESTARTS.*IP'
	run -0 esctl -o name container list -n o1-alice-search
	assert_output $'pod/elasticsearch-0\npod/elasticsearch-1'
}

@test "the context's namespace by default; -A; -l" {
	two_services
	kube_sim_statefulset default web 1
	esctl __kube wait statefulsets default web --for rollout \
	    --timeout 20s >/dev/null
	run -0 esctl -o name container list
	assert_output pod/web-0
	run -0 esctl -o json container list -A
	assert_equal "$(jq -r '.items | [.[] | .namespace + "/" + .pod_name] | join(" ")' \
	    <<<"$output")" "default/web-0 o1-alice-search/elasticsearch-0 o1-alice-search/elasticsearch-1 o2-bob-logs/elasticsearch-0"
	run -0 esctl -o name container list -A -l app=web
	assert_output pod/web-0
	run -0 esctl -o name container list -A --field-selector \
	    metadata.namespace=o2-bob-logs
	assert_output pod/elasticsearch-0
	run -2 --separate-stderr esctl container list -A -n default
	[[ $stderr == *"give --namespace or --all-namespaces, not both"* ]]
	run -2 --separate-stderr esctl container list -l 'a in ('
	[[ $stderr == *"(BadRequest)"* ]]
	run -2 --separate-stderr esctl container list -n Bad_NS
	[[ $stderr == *"invalid namespace 'Bad_NS'"* ]]
}

@test "no metrics.k8s.io: usage is empty, nothing fails" {
	two_services
	kube_sim_config '{"metrics": false}'
	run -0 --separate-stderr esctl -v -o json container list -n o2-bob-logs
	assert_equal "$(jq -c '.items | .[0] | [.pod_name, .cpu, .memory]' \
	    <<<"$output")" '["elasticsearch-0",null,null]'
	[[ $stderr == *"does not serve metrics.k8s.io"* ]]
	run -0 esctl container list -n o2-bob-logs
	assert_line --index 1 --regexp ' <none> +<none> +[0-9]+s$'
	# a broken metrics API is not retried for long either
	kube_sim_config '{"metrics": true}'
	kube_sim_fault GET '/apis/metrics.k8s.io/*' 503 0
	kube_sim_requests_clear
	run -0 --separate-stderr esctl -o json container list -n o2-bob-logs
	assert_equal "$(jq -c '.items | .[0].cpu' <<<"$output")" null
	assert_equal "$(kube_sim_count GET '/apis/metrics.k8s.io/*')" 1
}

@test "pending and failing pods show kubectl's status words" {
	kube_sim_config '{"fail_images": "crash"}'
	kube_sim_statefulset default bad 1 registry.example.com/crash:1
	kube_sim_api POST /api/v1/namespaces/default/pods '{"metadata":
	    {"name": "huge"}, "spec": {"containers": [{"name": "c",
	    "image": "x:1", "resources": {"requests": {"cpu": "64"}}}]}}' \
	    >/dev/null
	kube_sim_wait 10 bad_is_crashing
	run -0 esctl -o json container list
	assert_equal "$(jq -c '.items | [.[] | [.pod_name, .status, .ready, .node]]' \
	    <<<"$output")" '[["bad-0","CrashLoopBackOff","0/1","sim-node-1"],["huge","Pending","0/1",null]]'
}

bad_is_crashing() {
	esctl -o json container list | jq -e \
	    '.items[] | select(.pod_name == "bad-0" and .status == "CrashLoopBackOff")'
}

@test "tenant scope: an identity sees only its org's namespaces" {
	two_services
	run -0 esctl --as-org o1 -o json container list -A
	assert_equal "$(jq -r '.items | [.[].namespace] | unique | join(",")' \
	    <<<"$output")" o1-alice-search
	run -0 esctl --as-org o1 --as-user alice -o name container list \
	    -n o1-alice-search
	assert_output $'pod/elasticsearch-0\npod/elasticsearch-1'
	run -7 --separate-stderr esctl --as-org o1 container list -n o2-bob-logs
	[[ $stderr == *"permission denied: namespace 'o2-bob-logs' does not belong to org 'o1'"* ]]
	run -7 --separate-stderr esctl --as-org o1 --as-user bob container list \
	    -n o1-alice-search
	run -7 --separate-stderr esctl --as-org o1 container list
	[[ $stderr == *"namespace 'default' does not belong to org 'o1'"* ]]
	run -3 --separate-stderr esctl --as-org o1 container list -n nope
	[[ $stderr == *'namespaces "nope" not found'* ]]
}

@test "no kubeconfig: a clear error before anything is sent" {
	unset KUBECONFIG
	run -3 --separate-stderr esctl container list
	[[ $stderr == *"no kubeconfig found: '$HOME/.kube/config' does not exist"* ]]
	# the config file can name it
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'kube:\n  kubeconfig: %s\n  context: sim-viewer\n' \
	    "$KUBE_SIM_KUBECONFIG" > "$XDG_CONFIG_HOME/esctl/config.yaml"
	run -0 esctl container list
	run -0 kube_sim_requests '[.[].user] | unique | .[]'
	assert_output '"token-viewer"'
}
