#!/usr/bin/env bats
# 3004: strategy check is safe under concurrent runs - one check at a time
# per database, an order is never created twice, no "database is locked".

load lib/common
load lib/pool

setup() {
	common_setup
	add_cluster prod-a
	add_cluster prod-b
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 5 cpu=90,90,90,90,90
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-b 2024-01-01T00:00:00Z 5 cpu=90,90,90,90,90
	esctl snapshot import "$BATS_TEST_TMPDIR/t.csv" >/dev/null
	esctl strategy create hot -c prod-a,prod-b -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --duration 15 --cooldown 60 \
	    --device-count 1 >/dev/null
}

@test "8 concurrent checks create one order per cluster and never fail" {
	local i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		esctl strategy check --at 2024-01-01T00:20:00Z \
		    > "$BATS_TEST_TMPDIR/out.$i" 2> "$BATS_TEST_TMPDIR/err.$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || {
			cat "$BATS_TEST_TMPDIR/err.$((i + 1))"
			false
		}
	done
	# grep exits 1 when nothing matches (2 when a file is missing)
	run -1 grep -i 'locked\|busy\|error' "$BATS_TEST_TMPDIR"/err.*
	assert_output ''
	[ "$(count elastic_scaling_order)" = 2 ]
	[ "$(sql "SELECT count(DISTINCT order_number) FROM elastic_scaling_order")" = 2 ]
	# every run evaluated both pairs (16 checks): per pair its order's
	# history row and one row for the 7 checks in cooldown
	[ "$(count strategy_execution_history)" = 4 ]
	run -0 esctl -o json strategy history hot
	[ "$(jq '.items | map(.evaluations) | add' <<<"$output")" = 16 ]
	[ "$(jq -r '.items | map(select(.result == "skipped") | .evaluations) | join(",")' <<<"$output")" = 7,7 ]
	[ "$(sql "SELECT count(*) FROM strategy_execution_history WHERE result = 'order_created'")" = 2 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/out.* | grep -c 'order_created')" = 2 ]
	[ "$(sql "SELECT count(*) FROM notification_log")" = 2 ]
}

@test "a second check waits for the running one, or exits cleanly" {
	flock "$ESCTL_DB.strategy-check.lock" sleep 3 &
	local holder=$!
	sleep 0.5
	run -0 --separate-stderr esctl strategy check --wait 0 --at 2024-01-01T00:20:00Z
	[[ $stderr == *"another strategy check holds the lock of this database; nothing done"* ]]
	assert_output ''
	run -0 --separate-stderr esctl -o json strategy check --wait 0 --at 2024-01-01T00:20:00Z
	assert_equal "$(jq -c . <<<"$output")" '{"kind":"List","items":[]}'
	[ "$(count strategy_execution_history)" = 0 ]
	# waiting long enough runs the check once the holder is gone
	run -0 esctl strategy check --wait 20s --at 2024-01-01T00:20:00Z
	assert_output --partial '2 orders created'
	wait "$holder"
}

@test "the open-order index refuses a second open order of a pair" {
	esctl strategy check --at 2024-01-01T00:20:00Z >/dev/null 2>&1
	run ! sql "INSERT INTO elastic_scaling_order (order_number, cluster_id, strategy_id, action_type, status, device_count, created_at, updated_at) VALUES ('ESO-X', 1, 1, 'pool_entry', 'processing', 1, 'x', 'x')"
	[[ $output == *"UNIQUE constraint failed"* ]]
}
