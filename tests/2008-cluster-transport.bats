#!/usr/bin/env bats
# 2008: cluster create over an unreliable API server: a namespace POST
# whose answer is lost is still rolled back by its creation id; libcurl
# never re-sends a POST by itself (a POST gets a connection of its own)
# and create repeats a lost POST itself, adopting by creation id; a 429
# (API priority and fairness) is retried for every verb.

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
	CREATE=(cluster create --org org-001 --user alice --service search
	    --no-kibana --timeout 20s)
}

teardown() {
	cluster_teardown
}

@test "namespace POST carried out but its answer lost: the rollback removes it" {
	kube_sim_fault POST /api/v1/namespaces 0 0 drop=after
	run -6 --separate-stderr esctl "${CREATE[@]}"
	[ "$(kube_sim_count POST /api/v1/namespaces)" -ge 1 ]
	kube_sim_faults_clear
	# the rollback deleted it and waited for it to go
	run -1 kube_sim_api GET "/api/v1/namespaces/$NS"
	assert_equal "$(sql "SELECT status FROM deployment_status")" failed
}

@test "every POST is sent on a connection of its own" {
	run -0 esctl "${CREATE[@]}"
	local bad
	bad=$(kube_sim_requests '[. as $r | range(length) | $r[.] as $q |
	    select($q.method == "POST") | select([$r[:.][] | .client_port] |
	    index($q.client_port))] | length')
	[ "$(kube_sim_count POST '/api*')" -ge 3 ]
	assert_equal "$bad" 0
}

@test "a StatefulSet POST whose answer is lost is repeated by esctl and adopted" {
	kube_sim_fault POST "$STS" 0 1 drop=after
	run -0 --separate-stderr esctl "${CREATE[@]}"
	[[ $stderr == *"sending it again"* ]]
	assert_equal "$(kube_sim_count POST "$STS")" 2
	assert_equal "$(sql "SELECT status FROM deployment_status")" created
}

@test "a 429 with Retry-After on a create POST is retried, not fatal" {
	kube_sim_fault POST "$STS" 429 1 retry_after=1
	ESCTL_KUBE_RETRY_MAX_TIME=10s run -0 --separate-stderr \
	    esctl -v "${CREATE[@]}"
	[[ $stderr == *"as Retry-After asks"* ]]
	assert_equal "$(kube_sim_count POST "$STS")" 2
	assert_equal "$(sql "SELECT status FROM deployment_status")" created
}

@test "an unschedulable create says why at once, in the error and the report; elapsed = --timeout" {
	run -6 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --no-kibana --cpu-request 500 \
	    --cpu-limit 500 --timeout 5s
	# said as soon as the scheduler said it, once
	[ "$(grep -cE '^pod elasticsearch-0 cannot be scheduled: 0/[0-9]* nodes are available: [0-9]* Insufficient cpu\.( preemption: .*)?$' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"esctl: error: "*"not ready within --timeout 5s (5s elapsed) waiting for statefulsets 'elasticsearch'"*"Insufficient cpu."* ]]
	# the failed report carries it
	local failed
	failed=$(ls "$ESCTL_DATA_DIR"/deployment_reports/*.json | tail -1)
	assert_equal "$(jq -r .status "$failed")" failed
	[[ "$(jq -r .error "$failed")" == *"cannot be scheduled: 0/"*"Insufficient cpu."* ]]
	[[ "$(sql "SELECT message FROM deployment_status")" == *"Insufficient cpu"* ]]
}
