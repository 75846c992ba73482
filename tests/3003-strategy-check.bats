#!/usr/bin/env bats
# 3003: strategy check - the evaluation engine over imported snapshot
# timelines: duration, cooldown, open orders, AND/OR, usage vs allocated,
# gaps, disabled strategies, pool_exit, dry runs and JSON output.

load lib/common
load lib/pool

T0=2024-01-01T00:00:00Z

setup() {
	common_setup
	add_cluster prod-a
	add_cluster prod-b
	TL=$BATS_TEST_TMPDIR/timeline.csv
}

# Imports a timeline of prod-a starting at T0, every 5 minutes.
tl() {
	timeline "$TL" "${CLUSTER:-prod-a}" "$T0" 5 "$@"
	esctl snapshot import "$TL" >/dev/null
	rm -f "$TL"
}

# cpu usage >= 80 on prod-a for 15 minutes, cooldown 30 minutes.
cpu_strategy() {
	esctl strategy create "${1:-cpu-high}" -c "${2:-prod-a}" -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --duration 15 --cooldown 30 \
	    --device-count 2 "${@:3}" >/dev/null
}

# -o json strategy check at a time; stderr (warnings) to check.err.
check_json() {
	esctl -o json strategy check --at "$1" "${@:2}" \
	    2>"$BATS_TEST_TMPDIR/check.err"
}

# 40% for 30 minutes, then 85% from 00:30 to 01:30
BREACH=cpu=40,40,40,40,40,40,85,85,85,85,85,85,85,85,85,85,85,85,85

@test "a breach shorter than the duration is skipped with the reason" {
	tl "$BREACH"
	cpu_strategy
	run -0 check_json 2024-01-01T00:40:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = skipped ]
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "condition held for 10m, less than the required 15m (since 2024-01-01T00:30:00Z): CPU usage 85.0% >= 80.0%" ]
	[ "$(jq -r '.items | .[0].triggered_value' <<<"$output")" = "CPU:85.0%,MEM:N/A" ]
	[ "$(count elastic_scaling_order)" = 0 ]
	[ "$(sql "SELECT result || '|' || triggered_value || '|' || threshold_value FROM strategy_execution_history")" = "skipped|CPU:85.0%,MEM:N/A|CPU:80.0%,MEM:N/A" ]
	# below the threshold: not met at all
	run -0 check_json 2024-01-01T00:25:00Z
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "condition not met: CPU usage 40.0% < 80.0%" ]
}

@test "a sustained breach creates exactly one pending order" {
	tl "$BREACH"
	cpu_strategy
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = order_created ]
	[ "$(jq -r '.items | .[0].order_number' <<<"$output")" = ESO-20240101-000001 ]
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "condition held for 15m (4 snapshots since 2024-01-01T00:30:00Z): CPU usage 85.0% >= 80.0%" ]
	[ "$(sql "SELECT order_number, cluster_id, strategy_id, action_type, status, device_count, created_by, created_at FROM elastic_scaling_order")" = "ESO-20240101-000001|1|1|pool_entry|pending|2|system|2024-01-01T00:45:00Z" ]
	[ "$(sql "SELECT h.result, h.triggered_value, h.threshold_value, o.order_number, h.cluster_id, h.execution_time FROM strategy_execution_history h JOIN elastic_scaling_order o ON o.id = h.order_id")" = "order_created|CPU:85.0%,MEM:N/A|CPU:80.0%,MEM:N/A|ESO-20240101-000001|1|2024-01-01T00:45:00Z" ]
	# the same moment again: cooldown; later, while still pending: open
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = skipped ]
	run -0 check_json 2024-01-01T01:20:00Z
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "order ESO-20240101-000001 is still pending" ]
	[ "$(count elastic_scaling_order)" = 1 ]
	[ "$(count strategy_execution_history)" = 3 ]
}

@test "checks during the cooldown are skipped with the cooldown reason" {
	tl "$BREACH"
	cpu_strategy
	check_json 2024-01-01T00:45:00Z >/dev/null
	# the order is handled at once; the cooldown still holds
	sql "UPDATE elastic_scaling_order SET status = 'completed'"
	for t in 00:50 01:00 01:10; do
		run -0 check_json 2024-01-01T$t:00Z
		[ "$(jq -r '.items | .[0].result' <<<"$output")" = skipped ]
		[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "in cooldown until 2024-01-01T01:15:00Z (30m after order ESO-20240101-000001 at 2024-01-01T00:45:00Z)" ]
	done
	[ "$(count elastic_scaling_order)" = 1 ]
	run -0 check_json 2024-01-01T01:15:00Z
	[ "$(jq -r '.items | .[0].order_number' <<<"$output")" = ESO-20240101-000002 ]
	# the three cooldown checks are one history row (run-length)
	[ "$(sql "SELECT count(*) FROM strategy_execution_history WHERE reason LIKE 'in cooldown%'")" = 1 ]
	run -0 esctl -o json strategy history cpu-high --result skipped
	[ "$(jq -r '.items | map("\(.execution_time) \(.last_execution_time) \(.evaluations)") | join(",")' <<<"$output")" = "2024-01-01T00:50:00Z 2024-01-01T01:10:00Z 3" ]
}

@test "AND needs both metrics, OR either" {
	tl cpu=85,85,85,85 mem=50,50,50,50
	esctl strategy create both -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 80 --memory-type usage --logic AND --duration 15 --device-count 1 >/dev/null
	esctl strategy create either -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 80 --memory-type usage --logic OR --duration 15 --device-count 1 >/dev/null
	run -0 check_json 2024-01-01T00:15:00Z
	[ "$(jq -r '.items | .[] | select(.strategy_name == "both") | .result' <<<"$output")" = skipped ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "both") | .reason' <<<"$output")" = "condition not met: CPU usage 85.0% >= 80.0% AND MEM usage 50.0% < 80.0%" ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "both") | .triggered_value' <<<"$output")" = "CPU:85.0%,MEM:50.0%" ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "either") | .result' <<<"$output")" = order_created ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "either") | .threshold_value' <<<"$output")" = "CPU:80.0%,MEM:80.0%" ]
	[ "$(count elastic_scaling_order)" = 1 ]
}

@test "usage and allocated compare different values" {
	tl cpu=50,50,50,50 cpualloc=90,90,90,90
	esctl strategy create by-usage -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --duration 15 --device-count 1 >/dev/null
	esctl strategy create by-alloc -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type allocated --duration 15 --device-count 1 >/dev/null
	run -0 check_json 2024-01-01T00:15:00Z
	[ "$(jq -r '.items | .[] | select(.strategy_name == "by-usage") | .result + " " + .triggered_value' <<<"$output")" = "skipped CPU:50.0%,MEM:N/A" ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "by-alloc") | .result + " " + .triggered_value' <<<"$output")" = "order_created CPU:90.0%,MEM:N/A" ]
}

@test "a gap in the snapshots means not proven" {
	# 00:20 to 00:30 missing
	tl cpu=85,85,85,85,x,x,x,85,85,85
	cpu_strategy gappy prod-a --duration 30
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = failed_check ]
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "not proven: gap of 20m between snapshots at 2024-01-01T00:15:00Z and 2024-01-01T00:35:00Z (limit 10m)" ]
	[ "$(count elastic_scaling_order)" = 0 ]
	# a window after the gap is fine
	esctl strategy update gappy --duration 10 >/dev/null
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = order_created ]
}

@test "a larger max_snapshot_gap in the config accepts the same gap" {
	tl cpu=85,85,85,85,x,x,x,85,85,85
	cpu_strategy
	esctl strategy update cpu-high --duration 30 >/dev/null
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'strategy:\n  max_snapshot_gap: 25m\n' > "$XDG_CONFIG_HOME/esctl/config.yaml"
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = order_created ]
}

@test "stale or missing snapshots fail the check" {
	cpu_strategy
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = failed_check ]
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "no snapshot of the cluster in the last 25m" ]
	tl cpu=85,85,85,85
	run -0 check_json 2024-01-01T00:40:00Z
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "latest snapshot (2024-01-01T00:15:00Z) is 25m old, more than the 10m gap limit: is snapshot collection running?" ]
	# collection began only 10 minutes before
	run -0 check_json 2024-01-01T00:10:00Z
	[ "$(jq -r '.items | .[0].result' <<<"$output")" = failed_check ]
	[[ $(jq -r '.items | .[0].reason' <<<"$output") == "not proven: snapshots cover only 10m of the required 15m"* ]]
	[ "$(count elastic_scaling_order)" = 0 ]
}

@test "missing usage values: unknown for AND, OR still fires on the other" {
	tl cpu=-,-,-,- mem=90,90,90,90
	esctl strategy create and -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 80 --memory-type usage --logic AND --duration 15 --device-count 1 >/dev/null
	esctl strategy create or -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 80 --memory-type usage --logic OR --duration 15 --device-count 1 >/dev/null
	run -0 check_json 2024-01-01T00:15:00Z
	[ "$(jq -r '.items | .[] | select(.strategy_name == "and") | .result' <<<"$output")" = failed_check ]
	[[ $(jq -r '.items | .[] | select(.strategy_name == "and") | .reason' <<<"$output") == "not proven: values missing in the snapshot of 2024-01-01T00:15:00Z (CPU usage N/A AND MEM usage 90.0% >= 80.0%)" ]]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "and") | .triggered_value' <<<"$output")" = "CPU:N/A,MEM:90.0%" ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "or") | .result' <<<"$output")" = order_created ]
}

@test "a disabled strategy is ignored" {
	tl "$BREACH"
	cpu_strategy on
	cpu_strategy off prod-a --status disabled
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | map(.strategy_name) | join(",")' <<<"$output")" = on ]
	[ "$(sql "SELECT count(*) FROM strategy_execution_history h JOIN elastic_scaling_strategy s ON s.id = h.strategy_id WHERE s.name = 'off'")" = 0 ]
	[ "$(count elastic_scaling_order)" = 1 ]
	esctl strategy disable on >/dev/null
	run -0 check_json 2024-01-01T01:30:00Z
	assert_equal "$(jq -c . <<<"$output")" '{"kind":"List","items":[]}'
}

@test "pool_exit fires at or below its threshold, pool_entry at or above" {
	tl cpu=20,20,20,20 mem=80,80,80,80
	esctl strategy create exit-at -c prod-a -a pool_exit --cpu-threshold 20 --cpu-type usage --duration 15 --device-count 1 >/dev/null
	esctl strategy create exit-below -c prod-a -a pool_exit --cpu-threshold 19.9 --cpu-type usage --duration 15 --device-count 1 >/dev/null
	esctl strategy create entry-at -c prod-a -a pool_entry --memory-threshold 80 --memory-type usage --duration 15 --device-count 1 >/dev/null
	run -0 check_json 2024-01-01T00:15:00Z
	[ "$(jq -r '.items | .[] | select(.strategy_name == "exit-at") | .result' <<<"$output")" = order_created ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "exit-below") | .reason' <<<"$output")" = "condition not met: CPU usage 20.0% > 19.9%" ]
	[ "$(jq -r '.items | .[] | select(.strategy_name == "entry-at") | .result' <<<"$output")" = order_created ]
	[ "$(sql "SELECT group_concat(action_type) FROM (SELECT action_type FROM elastic_scaling_order ORDER BY id)")" = pool_exit,pool_entry ]
	run -0 esctl strategy show exit-at
	assert_output --partial 'condition:                CPU usage <= 20%'
}

@test "one strategy over two clusters: each cluster on its own" {
	tl "$BREACH"
	CLUSTER=prod-b tl cpu=$(printf '10,%.0s' {1..18})10
	cpu_strategy both prod-a,prod-b
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | map(.cluster_name + ":" + .result) | join(",")' <<<"$output")" = "prod-a:order_created,prod-b:skipped" ]
	# prod-b's "not met" is a quiet run: in the history, without a row
	[ "$(sql "SELECT group_concat(cluster_id) FROM (SELECT cluster_id FROM strategy_execution_history ORDER BY cluster_id)")" = 1 ]
	run -0 esctl -o json strategy history both
	[ "$(jq -r '.items | sort_by(.cluster_id) | map("\(.cluster_id) \(.result) \(.id)") | join(",")' <<<"$output")" = "1 order_created 1,2 skipped null" ]
	run -0 check_json 2024-01-01T00:50:00Z --cluster prod-b
	[ "$(jq -r '.items | map(.cluster_name) | join(",")' <<<"$output")" = prod-b ]
	cpu_strategy other prod-a
	run -0 check_json 2024-01-01T00:50:00Z --strategy other
	[ "$(jq -r '.items | map(.strategy_name + ":" + .result) | join(",")' <<<"$output")" = other:order_created ]
	[ "$(sql "SELECT group_concat(order_number) FROM (SELECT order_number FROM elastic_scaling_order ORDER BY id)")" = ESO-20240101-000001,ESO-20240101-000002 ]
	run -3 esctl strategy check --strategy nope
	run -3 esctl strategy check --cluster nope
}

@test "a cluster removed from the registry fails the check" {
	tl "$BREACH"
	cpu_strategy
	sql "UPDATE k8s_cluster SET deleted_at = '2024-01-01T00:00:00Z' WHERE clustername = 'prod-a'"
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -r '.items | .[0].result + ": " + .[0].reason' <<<"$output")" = "failed_check: cluster 'prod-a' is no longer registered" ]
}

@test "--dry-run evaluates and writes nothing" {
	tl "$BREACH"
	cpu_strategy
	before=$(db_dump)
	run -0 esctl --dry-run strategy check --at 2024-01-01T00:45:00Z
	assert_line --index 0 --regexp '^STRATEGY +CLUSTER +RESULT +ORDER +TRIGGERED +THRESHOLD +REASON$'
	assert_line --index 1 --regexp '^cpu-high +prod-a +order_created +<none> +CPU:85.0%,MEM:N/A +CPU:80.0%,MEM:N/A +condition held for 15m'
	assert_line --index 2 'dry run: checked 1 strategy/cluster pair at 2024-01-01T00:45:00Z: 1 order would be created, 0 skipped, 0 failed checks'
	[ "$(db_dump)" = "$before" ]
}

@test "-o json has the documented fields; the table ends with a summary" {
	tl "$BREACH"
	cpu_strategy
	run -0 check_json 2024-01-01T00:45:00Z
	[ "$(jq -c '.items | .[0] | keys_unsorted | map(select(. != "notifications"))' <<<"$output")" = '["strategy_id","strategy_name","cluster_id","cluster_name","result","reason","triggered_value","threshold_value","order_id","order_number","execution_time"]' ]
	[ "$(jq -r '.items | .[0].execution_time' <<<"$output")" = 2024-01-01T00:45:00Z ]
	run -0 esctl strategy check --at 2024-01-01T00:50:00Z
	assert_line --index 2 'checked 1 strategy/cluster pair at 2024-01-01T00:50:00Z: 0 orders created, 1 skipped, 0 failed checks'
	run -0 esctl -q strategy check --at 2024-01-01T00:55:00Z
	refute_output --partial 'checked 1'
}

@test "orders and history are visible through order and strategy commands" {
	tl "$BREACH"
	cpu_strategy
	check_json 2024-01-01T00:40:00Z >/dev/null
	check_json 2024-01-01T00:45:00Z >/dev/null
	run -0 esctl order list
	assert_line --index 1 --regexp '^ESO-20240101-000001 +pool_entry +pending +prod-a +cpu-high +2 '
	run -0 esctl -o json order show ESO-20240101-000001
	[ "$(jq -r .strategy_name <<<"$output")" = cpu-high ]
	[ "$(jq -r .trigger.triggered_value <<<"$output")" = "CPU:85.0%,MEM:N/A" ]
	[ "$(jq -c .devices <<<"$output")" = '[]' ]
	run -0 esctl -o json strategy history cpu-high --result skipped
	[ "$(jq '.items | length' <<<"$output")" = 1 ]
	run -0 esctl -o json strategy show cpu-high
	[ "$(jq -r '.execution_history | length' <<<"$output")" = 2 ]
	[ "$(jq -r '.orders[0].order_number' <<<"$output")" = ESO-20240101-000001 ]
}

@test "snapshots after --at are not used" {
	tl "$BREACH"
	cpu_strategy
	run -0 check_json 2024-01-01T00:29:59Z
	[ "$(jq -r '.items | .[0].reason' <<<"$output")" = "condition not met: CPU usage 40.0% < 80.0%" ]
	run -2 esctl strategy check --at tomorrowish
}

@test "old skipped and failed_check history is pruned; order rows stay" {
	tl "$BREACH"
	cpu_strategy
	check_json 2024-01-01T00:35:00Z >/dev/null
	check_json 2024-01-01T00:45:00Z >/dev/null
	check_json 2024-01-01T00:50:00Z >/dev/null
	[ "$(count strategy_execution_history)" = 3 ]
	# a month later (the default retention is 30 days) the order's row
	# is left, with the new check's own
	check_json 2024-02-01T00:00:00Z >/dev/null
	[ "$(sql "SELECT group_concat(result) FROM (SELECT result FROM strategy_execution_history ORDER BY id)")" = order_created,failed_check ]
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'strategy:\n  history_retention: 0\n' > "$XDG_CONFIG_HOME/esctl/config.yaml"
	check_json 2025-01-01T00:00:00Z >/dev/null
	# nothing pruned; the same kind of result again: the row goes on
	[ "$(sql "SELECT group_concat(result || ' ' || execution_time) FROM (SELECT result, execution_time FROM strategy_execution_history ORDER BY id)")" = "order_created 2024-01-01T00:45:00Z,failed_check 2024-02-01T00:00:00Z" ]
	run -0 esctl -o json strategy history --result failed_check
	[ "$(jq -r '.items[0] | "\(.last_execution_time) \(.evaluations)"' <<<"$output")" = "2025-01-01T00:00:00Z 2" ]
}

@test "history is run-length: a row per change of the kind of result, with its last check and their number" {
	# 40, 45, 50, 55, 60, 65% then 85% from 00:30
	tl cpu=40,45,50,55,60,65,85,85,85,85,85,85,85,85
	cpu_strategy
	for t in 00:05 00:10 00:15 00:20 00:25; do
		check_json 2024-01-01T$t:00Z >/dev/null
	done
	# five "not met" checks with other values each: one quiet run,
	# which has no row while it goes on: its first and last check and
	# their number, no values
	[ "$(count strategy_execution_history)" = 0 ]
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq -r '.items[0] | "\(.id) \(.execution_time) \(.last_execution_time) \(.evaluations) \(.result) [\(.triggered_value)]"' <<<"$output")" = "null 2024-01-01T00:05:00Z 2024-01-01T00:25:00Z 5 skipped []" ]
	[ "$(jq -r '.items[0].reason' <<<"$output")" = "condition not met" ]
	# held, but not long enough: another kind, a new row; the quiet
	# run ends at its last check and gets its row
	check_json 2024-01-01T00:35:00Z >/dev/null
	check_json 2024-01-01T00:40:00Z >/dev/null
	# the order: its own row, one check
	check_json 2024-01-01T00:45:00Z >/dev/null
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq -r '.items | map("\(.result) \(.execution_time) \(.last_execution_time) \(.evaluations)") | join(",")' <<<"$output")" = "order_created 2024-01-01T00:45:00Z 2024-01-01T00:45:00Z 1,skipped 2024-01-01T00:35:00Z 2024-01-01T00:40:00Z 2,skipped 2024-01-01T00:05:00Z 2024-01-01T00:25:00Z 5" ]
	[ "$(sql "SELECT evaluations || ' ' || last_execution_time FROM strategy_execution_history WHERE id = 1")" = "5 2024-01-01T00:25:00Z" ]
	# --since: the rows with a check at or after it
	run -0 esctl -o json strategy history cpu-high --since 2024-01-01T00:25:00Z
	[ "$(jq '.items | length' <<<"$output")" = 3 ]
	run -0 esctl -o json strategy history cpu-high --since 2024-01-01T00:40:01Z
	[ "$(jq -r '.items | map(.result) | join(",")' <<<"$output")" = order_created ]
	# the table shows the number of checks; -o wide the last one too
	run -0 esctl strategy history cpu-high
	assert_line --index 0 --regexp '^TIME +CHECKS +STRATEGY'
	assert_line --index 3 --regexp '^2024-01-01T00:05:00Z +5 +cpu-high '
	run -0 esctl -o wide strategy history cpu-high
	assert_line --index 3 --regexp '^ +1 +2024-01-01T00:05:00Z +2024-01-01T00:25:00Z +5 +cpu-high '
}

@test "a quiet check records the same history as a verbose one" {
	tl "$BREACH"
	cpu_strategy
	cpu_strategy other prod-a --cooldown 60
	for t in 00:35 00:40 00:45 00:50; do
		esctl -q strategy check --at 2024-01-01T$t:00Z
	done
	quiet=$(sql "SELECT group_concat(strategy_id || '|' || execution_time || '|' || result || '|' || triggered_value || '|' || reason || '|' || coalesce(last_execution_time, '-'), ';') FROM strategy_execution_history ORDER BY id")
	quiet_state=$(sql "SELECT group_concat(strategy_id || '|' || kind || '|' || last_execution_time || '|' || evaluations, ';') FROM strategy_pair_state")
	[ -n "$quiet" ]
	sql "DELETE FROM strategy_pair_state; DELETE FROM strategy_execution_history; DELETE FROM notification_log; DELETE FROM elastic_scaling_order"
	for t in 00:35 00:40 00:45 00:50; do
		check_json 2024-01-01T$t:00Z >/dev/null
	done
	[ "$(sql "SELECT group_concat(strategy_id || '|' || execution_time || '|' || result || '|' || triggered_value || '|' || reason || '|' || coalesce(last_execution_time, '-'), ';') FROM strategy_execution_history ORDER BY id")" = "$quiet" ]
	[ "$(sql "SELECT group_concat(strategy_id || '|' || kind || '|' || last_execution_time || '|' || evaluations, ';') FROM strategy_pair_state")" = "$quiet_state" ]
	[[ $quiet == *"|condition held for 5m, less than the required 15m (since 2024-01-01T00:30:00Z): CPU usage 85.0% >= 80.0%|"* ]]
	[[ $quiet == *"|in cooldown until 2024-01-01T01:15:00Z (30m after order ESO-20240101-000001 at 2024-01-01T00:45:00Z)|"* ]]
}

@test "a pair no longer checked keeps its last check; retention ends and prunes its row" {
	tl "$BREACH"
	cpu_strategy
	cpu_strategy other prod-b
	check_json 2024-01-01T00:10:00Z >/dev/null
	check_json 2024-01-01T00:20:00Z >/dev/null
	# a check of another cluster or strategy goes on with its own pairs
	check_json 2024-01-01T00:22:00Z --cluster prod-b >/dev/null
	check_json 2024-01-01T00:23:00Z --strategy other >/dev/null
	run -0 esctl -o json strategy history other
	[ "$(jq -r '.items | map("\(.last_execution_time) \(.evaluations)") | join(",")' <<<"$output")" = "2024-01-01T00:23:00Z 4" ]
	esctl strategy disable cpu-high >/dev/null
	check_json 2024-01-01T00:25:00Z >/dev/null
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq -r '.items | map("\(.last_execution_time) \(.evaluations)") | join(",")' <<<"$output")" = "2024-01-01T00:20:00Z 2" ]
	# 30 days after its last check (not after its first): pruned
	check_json 2024-01-31T00:19:59Z >/dev/null
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq '.items | length' <<<"$output")" = 1 ]
	check_json 2024-01-31T00:20:01Z >/dev/null
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq '.items | length' <<<"$output")" = 0 ]
	[ "$(sql "SELECT count(*) FROM strategy_execution_history WHERE strategy_id = 1")" = 0 ]
	[ "$(sql "SELECT count(*) FROM strategy_pair_state WHERE strategy_id = 1")" = 0 ]
	# a run still going on stays, however old its first check
	[ "$(sql "SELECT execution_time FROM strategy_execution_history WHERE strategy_id = 2 AND result = 'failed_check' ORDER BY id LIMIT 1")" = 2024-01-01T00:10:00Z ]
}

@test "a quiet run (condition not met) has no row while it goes on; a change away from it and back is recorded" {
	tl cpu=40,40,85,40,40,90
	cpu_strategy
	for t in 00:05 00:10 00:15 00:20; do
		esctl -q strategy check --at 2024-01-01T$t:00Z
	done
	# 00:05 quiet; 00:10 held too short (the quiet run ends and gets its
	# row); 00:15 and 00:20 quiet again: the last check is 00:20
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq -r '.items | map("\(.id != null) \(.execution_time[11:16]) \(.last_execution_time[11:16]) \(.evaluations) \(.result)") | join(",")' <<<"$output")" = "false 00:15 00:20 2 skipped,true 00:10 00:10 1 skipped,true 00:05 00:05 1 skipped" ]
	[ "$(jq -r '.items[0].reason' <<<"$output")" = "condition not met" ]
	[ "$(sql "SELECT count(*) FROM strategy_execution_history")" = 2 ]
	# the quiet run: no id in the table either
	run -0 esctl -o wide strategy history cpu-high
	assert_line --index 1 --regexp '^<none> +2024-01-01T00:15:00Z +2024-01-01T00:20:00Z +2 +cpu-high +prod-a +skipped +<none> +<none> +<none> +condition not met$'
	# filters: --result and --since see it as a skipped run
	run -0 esctl -o json strategy history cpu-high --result failed_check
	[ "$(jq '.items | length' <<<"$output")" = 0 ]
	run -0 esctl -o json strategy history cpu-high --since 2024-01-01T00:20:00Z
	[ "$(jq -r '.items | map(.execution_time[11:16]) | join(",")' <<<"$output")" = 00:15 ]
	run -0 esctl -o json strategy history cpu-high --since 2024-01-01T00:20:01Z
	[ "$(jq '.items | length' <<<"$output")" = 0 ]
	# what the last check said is what check prints
	run -0 check_json 2024-01-01T00:20:00Z
	[ "$(jq -r '.items[0].reason' <<<"$output")" = "condition not met: CPU usage 40.0% < 80.0%" ]
	# 90% at 00:25: the second quiet run ends too and gets its row
	esctl -q strategy check --at 2024-01-01T00:25:00Z
	run -0 esctl -o json strategy history cpu-high
	[ "$(jq -r '.items | map("\(.id != null) \(.execution_time[11:16]) \(.last_execution_time[11:16]) \(.evaluations) \(.result)") | join(",")' <<<"$output")" = "true 00:25 00:25 1 skipped,true 00:15 00:20 3 skipped,true 00:10 00:10 1 skipped,true 00:05 00:05 1 skipped" ]
	[ "$(sql "SELECT reason FROM strategy_execution_history WHERE execution_time = '2024-01-01T00:15:00Z'")" = "condition not met" ]
}
