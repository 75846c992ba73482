#!/usr/bin/env bats
# 0009: dynamic completion answers every kind of value the command tables
# declare completable (the kinds the generated bash script asks for):
# namespaces, orgs, users, services, indexes, clusters, strategies,
# orders, duty users, devices, nodes and kubeconfig contexts.

load lib/common

setup() {
	common_setup
	esctl tenant list >/dev/null 2>&1
	sql "INSERT INTO tenant_container (id, tenant_org_id, user,
	    service_name, namespace, status, created_at, updated_at) VALUES
	    ('i1', 'o1', 'alice', 'search', 'o1-alice-search', 'created',
	    '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')"
	sql "INSERT INTO deployment_report (report_id, tenant_org_id, user,
	    service_name, namespace, status, message, timestamp, details,
	    created_at) VALUES ('r1', 'o1', 'bob', 'logs', 'o1-bob-logs',
	    'completed', 'done', '2024-01-01T00:00:00Z', '{}',
	    '2024-01-01T00:00:00Z')"
	sql "INSERT INTO k8s_cluster (created_at, updated_at, cluster_id,
	    clustername, status) VALUES ('2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z', 'c1', 'prod-a', 'running')"
	esctl -q strategy create hot -c prod-a -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --device-count 1
	sql "INSERT INTO elastic_scaling_order (order_number, cluster_id,
	    strategy_id, action_type, status, device_count, created_by,
	    created_at, updated_at) VALUES ('ESO-20240101-000001', 1, 1,
	    'pool_entry', 'pending', 1, 'system', '2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z')"
	printf '%s\n' 'ci_code,ip,cluster,status' \
	    'CI-1,10.0.0.1,prod-a,in_pool' 'CI-2,10.0.0.2,,available' |
	    esctl -q device import - >/dev/null
	sql "INSERT INTO order_device (order_id, device_id, slot, node_name,
	    status, phase, created_at, updated_at) VALUES (1, 2, 0, 'node-9',
	    'pending', 'selected', '2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z')"
	esctl -q duty add --date 2024-01-01 --start 08:00 --end 20:00 carol
	esctl -q index create -d 4 vecs
	cat > "$BATS_TEST_TMPDIR/kubeconfig" <<-EOF2
	apiVersion: v1
	kind: Config
	clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
	users: [{name: u, user: {token: t}}]
	contexts: [{name: sim, context: {cluster: c, user: u}},
	  {name: prod, context: {cluster: c, user: u}}]
	current-context: sim
	EOF2
	export KUBECONFIG=$BATS_TEST_TMPDIR/kubeconfig
}

# kind -> a value it must offer
want() {
	case $1 in
	namespace) echo o1-alice-search ;;
	org) echo o1 ;;
	user) echo alice ;;
	service) echo search ;;
	report-user) echo bob ;;
	report-service) echo logs ;;
	index) echo vecs ;;
	k8s-cluster) echo prod-a ;;
	cluster) echo prod-a ;;		# a registered cluster too
	device) echo CI-2 ;;
	node) printf '%s\n' CI-1 node-9 ;;	# pool devices, order nodes
	strategy) echo hot ;;
	order) echo ESO-20240101-000001 ;;
	duty-user) echo carol ;;
	context) echo prod ;;
	*) echo "no expectation for completion kind '$1'" >&2; return 1 ;;
	esac
}

# kind -> how esctl-completion(1) names it
phrase() {
	case $1 in
	namespace) echo namespaces ;;
	org) echo orgs ;;
	user|report-user) echo users ;;
	service|report-service) echo services ;;
	index) echo index names ;;
	k8s-cluster|cluster) echo Kubernetes clusters ;;
	strategy) echo strategy names ;;
	order) echo order numbers ;;
	duty-user) echo duty users ;;
	device) echo "devices (ci_code)" ;;
	node) echo "nodes (the devices in a pool" ;;
	context) echo context names ;;
	*) return 1 ;;
	esac
}

@test "esctl-completion(1) names every completable kind" {
	local kind p text
	text=$(mandoc -Tascii "$ESCTL_TOP/man/esctl-completion.1" |
	    sed $'s/.\b//g' | tr -s ' \n' '  ')
	for kind in $(esctl completion bash |
	    grep -oE '_esctl_dynamic [a-z0-9-]+' | awk '{print $2}' |
	    sort -u); do
		p=$(phrase "$kind") || fail "kind '$kind' has no phrase here"
		[[ $text == *"$p"* ]] ||
		    fail "esctl-completion(1) does not name $kind ('$p')"
	done
}

@test "every completable kind the tables declare offers its values" {
	local kind w n=0
	for kind in $(esctl completion bash |
	    grep -oE '_esctl_dynamic [a-z0-9-]+' | awk '{print $2}' |
	    sort -u); do
		w=$(want "$kind") || fail "kind '$kind' is not covered here"
		run -0 esctl __complete "$kind"
		while read -r v; do
			grep -qxF -- "$v" <<<"$output" ||
			    fail "__complete $kind: '$v' not offered: $output"
		done <<<"$w"
		n=$((n + 1))
	done
	[ "$n" -ge 12 ]
}

@test "the strategy kind offers ids too; the tenant scope limits orgs" {
	run -0 esctl __complete strategy
	assert_line 1
	sql "INSERT INTO tenant_quota (tenant_org_id, user, created_at,
	    updated_at) VALUES ('o2', '', '2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z')"
	run -0 esctl --as-org o1 __complete org
	assert_output o1
}
