#!/usr/bin/env bats
# 2005: multi-tenancy - two orgs with the same user and service name stay
# apart; a tenant scope (--as-org) sees and touches only its own (exit 7);
# a namespace labelled for another org is never taken over.

load lib/common
load lib/kube
load lib/lifecycle

NS1=org-001-alice-search
NS2=org-002-alice-search

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

two_orgs() {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster create --org org-002 --user alice --service search
}

@test "two orgs, same user and service: two services, apart" {
	two_orgs
	run -0 kube_sim_kubectl get ns -l user=alice,service-name=search -o name
	assert_line "namespace/$NS1"
	assert_line "namespace/$NS2"
	run -0 kube_sim_kubectl get ns -l tenant-org-id=org-002 -o name
	assert_output "namespace/$NS2"
	run -0 esctl tenant containers --org org-001 -o json
	assert_equal "$(jq -r '.items | [.[].namespace] | join(",")' <<<"$output")" "$NS1"
	run -0 esctl tenant containers --org org-002 -o json
	assert_equal "$(jq -r '.items | [.[].namespace] | join(",")' <<<"$output")" "$NS2"
	# the name alone is ambiguous; the org settles it
	run -4 esctl cluster get --user alice --service search
	run -0 esctl cluster get --org org-002 --user alice --service search -o name
	assert_output "cluster/$NS2"
	run -4 esctl report show alice search --all
	run -0 esctl report show alice search --org org-002 -o json
	assert_equal "$(jq -r .namespace <<<"$output")" "$NS2"
	# deleting one leaves the other
	run -0 esctl cluster delete "$NS1" --yes
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS2"
	assert_equal "$(sql "SELECT tenant_org_id FROM tenant_container")" org-002
	run -0 esctl cluster get "$NS2" -o json
	assert_equal "$(jq -r .status <<<"$output")" created
}

@test "--as-org org-002 cannot see, delete, restart or scale org-001's service" {
	two_orgs
	run -0 esctl --as-org org-002 cluster list -o name
	assert_output "cluster/$NS2"
	run -0 esctl --as-org org-002 tenant list -o name
	assert_output "tenant/$NS2"
	run -0 esctl --as-org org-002 deployment list -o name
	assert_output "deployment/$NS2"
	run -0 esctl --as-org org-002 report list -o json
	assert_equal "$(jq -r '.items | [.[].tenant_org_id] | unique | join(",")' <<<"$output")" org-002
	local writes
	writes=$(sim_writes)
	run -7 --separate-stderr esctl --as-org org-002 cluster get "$NS1"
	[[ $stderr == *"permission denied"* ]]
	run -7 esctl --as-org org-002 cluster delete "$NS1" --yes
	run -7 esctl --as-org org-002 cluster restart "$NS1"
	run -7 esctl --as-org org-002 cluster scale "$NS1" --replicas 2
	run -7 esctl --as-org org-002 deployment set-status "$NS1" error
	run -7 esctl --as-org org-002 cluster list --org org-001
	run -7 esctl --as-org org-002 report list --org org-001
	run -7 esctl --as-org org-002 cluster create --org org-001 --user bob \
	    --service x
	# none of that changed anything
	assert_equal "$(sim_writes)" "$writes"
	run -0 kube_sim_api GET "/api/v1/namespaces/$NS1"
	assert_equal "$(sql "SELECT status FROM deployment_status WHERE namespace = '$NS1'")" created
	# its own service it can touch; the identity fills --org
	run -0 esctl --as-org org-002 cluster scale "$NS2" --replicas 2
	run -0 esctl --as-org org-002 --as-user bob cluster create --service x \
	    --no-kibana
	assert_equal "$(sql "SELECT tenant_org_id || '/' || user FROM tenant_container WHERE service_name = 'x'")" org-002/bob
}

@test "a namespace labelled for another org is never taken over (exit 7)" {
	kube_sim_api POST /api/v1/namespaces '{"metadata": {"name": "shared",
	    "labels": {"es-cluster": "true", "tenant-org-id": "org-002",
	    "user": "alice", "service-name": "search"}}}' >/dev/null
	run -7 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --namespace shared
	[[ $stderr == *"belongs to org 'org-002'"* ]]
	run -0 kube_sim_api GET /api/v1/namespaces/shared
	assert_equal "$(jq -r '.metadata.labels."tenant-org-id"' <<<"$output")" org-002
	assert_equal "$(jq -r '.metadata.deletionTimestamp' <<<"$output")" null
	[ "$(kube_sim_count '*' '/api/v1/namespaces/shared/*')" -eq 0 ]
	assert_equal "$(sql "SELECT status FROM deployment_status")" failed
	# nor a namespace esctl does not manage (exit 4)
	kube_sim_api POST /api/v1/namespaces '{"metadata": {"name": "plain"}}' \
	    >/dev/null
	run -4 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service other --namespace plain
	[[ $stderr == *"not managed by esctl"* ]]
	run -0 kube_sim_api GET /api/v1/namespaces/plain
	assert_equal "$(jq -r '.metadata.deletionTimestamp' <<<"$output")" null
}

@test "delete refuses a namespace relabelled for another org" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	kube_sim_api PATCH "/api/v1/namespaces/$NS1" \
	    '{"metadata": {"labels": {"tenant-org-id": "org-009"}}}' >/dev/null
	run -7 --separate-stderr esctl cluster delete "$NS1" --yes
	[[ $stderr == *"labelled for org 'org-009'"* ]]
	run -0 kube_sim_api GET "/apis/apps/v1/namespaces/$NS1/statefulsets/elasticsearch"
}
