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
	# nothing recorded points at a namespace that is not ours
	assert_equal "$(sql "SELECT count(*) FROM deployment_status")" 0
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

# Every command that names an org, a namespace or a name, run within
# another org's tenant scope: exit 7, nothing on stdout, nothing changed.
# One line per command: the arguments after `esctl --as-org org-002`.
SCOPE_TABLE="
tenant show --org org-001 alice search
tenant containers --org org-001
tenant list --org org-001
tenant quota get --org org-001
tenant quota set --org org-001 --max-clusters 9
tenant usage --org org-001
tenant usage --org org-001 --user alice
report show --org org-001 alice search
report stats --org org-001
report list --org org-001
report list --namespace $NS1
deployment show $NS1
deployment list --org org-001
deployment set-status $NS1 error
cluster get $NS1
cluster get --org org-001 --user alice --service search
cluster list --org org-001
cluster delete $NS1 --yes
container list --namespace $NS1
logs $NS1
index show docs1
index data docs1
index stats docs1
index add docs1 VECS
index build docs1
index delete docs1 --yes
search docs1 --vector [0,0,0,1]
"

@test "tenant scope: every command naming another org's data exits 7 with no data" {
	two_orgs
	local vecs=$BATS_TEST_TMPDIR/v.jsonl line before writes n=0 bad=
	printf '{"id": "a", "vector": [1, 0, 0, 0]}\n' > "$vecs"
	run -0 esctl index create docs1 --dimension 4 --namespace "$NS1"
	run -0 esctl index add docs1 "$vecs"
	before=$(db_dump)
	writes=$(sim_writes)
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		line=${line//VECS/$vecs}
		# shellcheck disable=SC2086 # the table is split on purpose
		run --separate-stderr esctl --as-org org-002 $line
		if [ "$status" -ne 7 ] || [ -n "$output" ] ||
		    [[ $stderr != *"permission denied"* ]]; then
			bad+="esctl --as-org org-002 $line: exit $status, stdout '$output', stderr '$stderr'"$'\n'
		fi
		n=$((n + 1))
	done <<<"$SCOPE_TABLE"
	[ -z "$bad" ] || fail "$bad"
	[ "$n" -ge 26 ]
	assert_equal "$(db_dump)" "$before"
	assert_equal "$(sim_writes)" "$writes"
	# the owner sees it all
	run -0 esctl --as-org org-001 tenant usage --org org-001
	run -0 esctl --as-org org-001 index data docs1
	[[ $output == *a* ]]
}

# The same within a user's scope: --user naming another user of the org.
USER_SCOPE_TABLE="
tenant list --user alice
tenant show alice search
tenant quota get --user alice
tenant quota set --user alice --max-clusters 9
tenant usage --user alice
report list --user alice
report show alice search
report stats alice search
deployment list --user alice
deployment show $NS1
cluster get --user alice --service search
cluster get $NS1
cluster list --user alice
cluster create --user alice --service other
cluster scale $NS1 --replicas 2
"

@test "tenant scope: --as-user sees nothing of another user of its org (exit 7)" {
	two_orgs
	local line before writes n=0 bad=
	before=$(db_dump)
	writes=$(sim_writes)
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		# shellcheck disable=SC2086 # the table is split on purpose
		run --separate-stderr esctl --as-org org-001 --as-user bob $line
		if [ "$status" -ne 7 ] || [ -n "$output" ] ||
		    [[ $stderr != *"permission denied"* ]]; then
			bad+="esctl --as-user bob $line: exit $status, stdout '$output', stderr '$stderr'"$'\n'
		fi
		n=$((n + 1))
	done <<<"$USER_SCOPE_TABLE"
	[ -z "$bad" ] || fail "$bad"
	[ "$n" -ge 15 ]
	assert_equal "$(db_dump)" "$before"
	assert_equal "$(sim_writes)" "$writes"
	run -0 esctl --as-org org-001 --as-user alice tenant usage --user alice
}
