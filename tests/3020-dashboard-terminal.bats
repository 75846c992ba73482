#!/usr/bin/env bats
# 3020: esctl dashboard in a terminal - the work-bench document (-o json),
# the terminal rendering against goldens at fixed widths without colour,
# colour rules, display-width alignment and hostile names.

load lib/common
load lib/pool
load lib/dashboard

setup() {
	common_setup
	dash_fixture
	export ESCTL_NOW=$DASH_NOW NO_COLOR=1
}

golden() {
	if [ -n "${ESCTL_UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$output" > "$ESCTL_TOP/testdata/dashboard/$1"
	fi
	diff -u "$ESCTL_TOP/testdata/dashboard/$1" - <<<"$output"
}

@test "-o json: cards, pending orders with usage, trends, counts" {
	run -0 esctl -o json dashboard
	j=$output
	[ "$(jq -c .cards.strategies <<<"$j")" = '{"total":3,"enabled":2,"triggered_today":1}' ]
	[ "$(jq -c .cards.clusters <<<"$j")" = '{"total":2,"abnormal":1,"warnings":["cluster '"'"'东京-集群'"'"' is maintaining"]}' ]
	[ "$(jq -c .cards.pending_orders <<<"$j")" = '{"total":3,"pool_entry":2,"pool_exit":1}' ]
	[ "$(jq -c .cards.devices <<<"$j")" = '{"total":6,"available":3,"in_pool":3}' ]
	# the queue reads oldest first, with the cluster's latest snapshot
	[ "$(jq -r '[.pending_orders[].order_number] | join(" ")' <<<"$j")" = "ESO-20240302-000001 ESO-20240302-000002 ESO-20240302-000003" ]
	[ "$(jq -c '.pending_orders[0] | [.cpu_usage, .mem_usage, .cpu_allocation, .mem_allocation, .snapshot_at]' <<<"$j")" = '[54,56,71,57,"2024-03-02T11:45:00Z"]' ]
	# 48 buckets of 30 min; the first holds both clusters (weighted mean)
	[ "$(jq '.trends.points | length' <<<"$j")" = 48 ]
	[ "$(jq -r .trends.step_seconds <<<"$j")" = 1800 ]
	[ "$(jq -c '.trends.points[0]' <<<"$j")" = '{"time":"2024-03-01T12:00:00Z","cpu_usage":30,"cpu_allocation":42.5,"mem_usage":42.5,"mem_allocation":42.5}' ]
	[ "$(jq -c '.trends.points[47]' <<<"$j")" = '{"time":"2024-03-02T11:30:00Z","cpu_usage":54,"cpu_allocation":71,"mem_usage":56,"mem_allocation":57}' ]
	# thresholds of enabled strategies only (idle-off is disabled)
	[ "$(jq -c '[.trends.thresholds.cpu[] | [.strategy, .value]]' <<<"$j")" = '[["cpu-high",80]]' ]
	[ "$(jq -c '[.trends.thresholds.memory[] | [.type, .value]]' <<<"$j")" = '[["allocated",30]]' ]
	# the range holds 7 orders; the one of 2024-02-20 is outside
	[ "$(jq -c .order_status <<<"$j")" = '{"pending":3,"processing":1,"completed":1,"failed":1,"cancelled":1}' ]
	[ "$(jq '.orders | length' <<<"$j")" = 7 ]
	[ "$(jq '.strategies | length' <<<"$j")" = 3 ]
}

@test "--cluster and --range narrow every part" {
	run -0 esctl -o json dashboard --cluster prod-a --range 30d
	j=$output
	[ "$(jq -r .cluster <<<"$j")" = prod-a ]
	[ "$(jq -c .cards.clusters <<<"$j")" = '{"total":1,"abnormal":0,"warnings":[]}' ]
	[ "$(jq -r .cards.pending_orders.total <<<"$j")" = 2 ]
	[ "$(jq -r .cards.devices.total <<<"$j")" = 3 ]
	[ "$(jq -r .orders_total <<<"$j")" = 7 ]
	[ "$(jq -r .trends.step_seconds <<<"$j")" = 54000 ]
	# one day of data in the last two buckets of 15 h
	[ "$(jq '[.trends.points[] | select(.cpu_usage != null)] | length' <<<"$j")" = 2 ]
	run -0 esctl -o json dashboard --cluster '东京-集群' --range 7d
	[ "$(jq -r .cards.strategies.total <<<"$output")" = 1 ]
	[ "$(jq -c '.trends.thresholds.cpu' <<<"$output")" = '[]' ]
}

@test "bad range and unknown cluster are refused" {
	run -2 --separate-stderr esctl dashboard --range 1y
	[ "$stderr" = "esctl: error: invalid range '1y': use 24h, 7d or 30d" ]
	run -3 --separate-stderr esctl dashboard --cluster nope
	[ -z "$output" ]
}

# Fails when a line of $output is wider than $1 display columns.
fits() {
	"$PYTHON" -c 'import sys, unicodedata as u
for line in sys.stdin.read().split("\n"):
    w = sum(2 if u.east_asian_width(c) in "WF" else 1 for c in line)
    if w > int(sys.argv[1]):
        sys.exit("too wide (%d): %s" % (w, line))' "$1" <<<"$output"
}

@test "80 columns: golden, every line within the width" {
	COLUMNS=80 run -0 esctl dashboard
	golden term-80.txt
	fits 80
	# the narrowest view drops the usage columns rather than overflow
	COLUMNS=60 run -0 esctl dashboard
	fits 60
	assert_line 'ESO-20240302-000002  <script>…  exit    东京-集…  1h30m    1'
	COLUMNS=20 run -0 esctl dashboard
	fits 60
}

@test "a wider terminal gets full columns; --cluster and --range 7d" {
	COLUMNS=130 run -0 esctl dashboard
	golden term-130.txt
	COLUMNS=100 run -0 esctl dashboard --cluster prod-a --range 7d
	golden term-100-prod-a-7d.txt
}

@test "colour only when wanted: never without a TTY, never with NO_COLOR" {
	unset NO_COLOR
	COLUMNS=80 run -0 esctl dashboard
	[[ $output != *$'\e'* ]]
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	echo 'color: always' > "$XDG_CONFIG_HOME/esctl/config.yaml"
	COLUMNS=80 run -0 esctl dashboard
	[[ $output == *$'\e[36m'* ]]
	NO_COLOR=1 COLUMNS=80 run -0 esctl dashboard
	[[ $output != *$'\e'* ]]
}

@test "hostile names: escapes neutralised, CJK aligned by display width" {
	sql "UPDATE k8s_cluster SET clustername = 'evil' || char(27) ||
	    '[2J' || char(10) || 'x' WHERE id = 1"
	COLUMNS=80 run -0 esctl dashboard
	[[ $output != *$'\e'* ]]
	assert_line --regexp '^ESO-20240302-000001  cpu-high +entry +evil\?\[2J\?x +3h +2 +54\.0 +56\.0$'
	# the CJK cluster name (9 columns in 10 bytes) is padded to the same
	# column as the ASCII ones: DEV and the percentages line up
	a=$(grep -n '^ESO-20240302-000002' <<<"$output")
	b=$(grep -n '^ESO-20240302-000003' <<<"$output")
	wa=$("$PYTHON" -c 'import sys, unicodedata as u
s = sys.argv[1].split(":", 1)[1]
print(sum(2 if u.east_asian_width(c) in "WF" else 1 for c in s))' "$a")
	wb=$("$PYTHON" -c 'import sys
print(len(sys.argv[1].split(":", 1)[1]))' "$b")
	[ "$wa" = "$wb" ]
	# a long name is cut with an ellipsis, never wrapped
	long=$(printf 'n%.0s' {1..300})
	sql "UPDATE elastic_scaling_strategy SET name = '$long' WHERE id = 1"
	COLUMNS=80 run -0 esctl dashboard
	assert_line --regexp '^ESO-20240302-000001  n{11}… +entry '
}

@test "a cluster whose latest snapshot from Kubernetes has NotReady nodes is abnormal" {
	sql "INSERT INTO k8s_cluster_resource_snapshot (created_at, updated_at,
	    cluster_id, collected_at, node_count, ready_node_count, source)
	    VALUES ('x', 'x', 1, '2024-03-02T11:55:00Z', 10, 8, 'kube')"
	run -0 esctl -o json dashboard
	[ "$(jq -c .cards.clusters <<<"$output")" = '{"total":2,"abnormal":2,"warnings":["cluster '"'"'prod-a'"'"': 2 of 10 nodes not ready","cluster '"'"'东京-集群'"'"' is maintaining"]}' ]
	COLUMNS=80 run -0 esctl dashboard
	assert_line "  ! cluster 'prod-a': 2 of 10 nodes not ready"
	# a newer snapshot is what counts
	sql "INSERT INTO k8s_cluster_resource_snapshot (created_at, updated_at,
	    cluster_id, collected_at, node_count, ready_node_count, source)
	    VALUES ('x', 'x', 1, '2024-03-02T11:58:00Z', 10, 10, 'kube')"
	run -0 esctl -o json dashboard
	[ "$(jq -r .cards.clusters.abnormal <<<"$output")" = 1 ]
}
