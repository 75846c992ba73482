#!/usr/bin/env bats
# 0008: -w/--watch prints what is new or changed until SIGINT, and refuses
# commands that cannot watch.

load lib/common
load lib/pool

# Adds order NUMBER of prod-a's strategy 1: add_order NUMBER ACTION STATUS
# DEVICES TIME (created and updated at TIME).
add_order() {
	sql "INSERT INTO elastic_scaling_order (order_number, cluster_id,
	    strategy_id, action_type, status, device_count, created_by,
	    created_at, updated_at) VALUES ('$1', 1, 1, '$2', '$3', $4,
	    'system', '$5', '$5')"
}

setup() {
	common_setup
	add_cluster prod-a
	esctl -q strategy create hot -c prod-a -a pool_entry --cpu-threshold 1 \
	    --cpu-type usage --duration 5 --device-count 1
	add_order ESO-20240101-000001 pool_entry pending 1 2024-01-01T00:00:00Z
}

teardown() {
	if [ -n "${WPID:-}" ]; then
		kill -INT "$WPID" 2>/dev/null || true
		wait "$WPID" 2>/dev/null || true
	fi
}

# Waits (up to 20s) until file $1 has a line matching regex $2.
wait_line() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.1
	done
	echo "no line matching '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

@test "order list -w: the table, then changed rows only; SIGINT ends it with 0" {
	out=$BATS_TEST_TMPDIR/watch.out
	# the binary itself, not the esctl function: $! must be esctl
	"$ESCTL_BIN" order list -w --watch-interval 50ms > "$out" 2>&1 3>&- &
	WPID=$!
	wait_line "$out" 'ESO-20240101-000001 +pool_entry +pending'
	[ "$(head -1 "$out" | awk '{print $1}')" = ORDER ]
	# a change of status, and a new order
	sql "UPDATE elastic_scaling_order SET status = 'processing',
	    updated_at = '2024-01-01T00:05:00Z'"
	wait_line "$out" 'ESO-20240101-000001 +pool_entry +processing'
	add_order ESO-20240101-000002 pool_exit completed 1 2024-01-01T00:06:00Z
	wait_line "$out" 'ESO-20240101-000002'
	kill -INT "$WPID"
	rc=0
	wait "$WPID" || rc=$?
	WPID=
	[ "$rc" -eq 0 ]
	# one header; each change printed once
	[ "$(grep -c '^ORDER' "$out")" = 1 ]
	[ "$(grep -c 'ESO-20240101-000001' "$out")" = 2 ]
	[ "$(grep -c 'ESO-20240101-000002' "$out")" = 1 ]
}

@test "order list -w -o json: one object per change" {
	out=$BATS_TEST_TMPDIR/watch.json
	"$ESCTL_BIN" order list -w --watch-interval 50ms -o json > "$out" \
	    3>&- &
	WPID=$!
	wait_line "$out" '"status": "pending"'
	sql "UPDATE elastic_scaling_order SET status = 'cancelled',
	    updated_at = '2024-01-01T00:05:00Z'"
	wait_line "$out" '"status": "cancelled"'
	kill -INT "$WPID"
	rc=0
	wait "$WPID" || rc=$?
	WPID=
	[ "$rc" -eq 0 ]
	[ "$(jq -sc 'map(.status)' "$out")" = '["pending","cancelled"]' ]
}

@test "-w only where it is supported" {
	run -2 --separate-stderr esctl strategy list -w
	[[ $stderr == *"--watch is not supported by 'esctl strategy list'"* ]]
	run -2 --separate-stderr esctl order list -w --watch-interval soon
	[[ $stderr == *"--watch-interval"* ]]
}

# Fails unless every line of file $1 after the header has each field where
# the header has its title: starting at the title's first column, or, for
# right-aligned numbers, ending at its last.
assert_aligned() {
	awk 'function at(s, i) { return i < 1 || i > length(s) ? " " : substr(s, i, 1) }
	    NR == 1 {
		n = 0
		for (i = 1; i <= length($0); i++) {
			if (at($0, i) != " " && at($0, i - 1) == " ")
				start[++n] = i
			if (at($0, i) != " " && at($0, i + 1) == " ")
				end[n] = i
		}
		end[n] = length($0)
		next
	    }
	    {
		for (k = 2; k <= n; k++) {
			left = at($0, start[k]) != " " && at($0, start[k] - 1) == " "
			right = at($0, end[k]) != " " && at($0, end[k] + 1) == " "
			if (!left && !right) {
				printf "line %d: field %d is not under its title:\n%s\n",
				    NR, k, $0
				bad = 1
			}
		}
	    }
	    END { exit bad }' "$1"
}

@test "order list -w: changed rows line up with the first table's columns" {
	out=$BATS_TEST_TMPDIR/watch.out
	"$ESCTL_BIN" order list -w --watch-interval 50ms > "$out" 2>&1 3>&- &
	WPID=$!
	wait_line "$out" 'ESO-20240101-000001'
	# narrower values than the header and the first row
	add_order ESO-20240101-000002 pool_exit failed 2 2024-01-01T00:06:00Z
	wait_line "$out" 'ESO-20240101-000002'
	sql "UPDATE elastic_scaling_order SET status = 'failed',
	    updated_at = '2024-01-01T00:07:00Z' WHERE id = 1"
	wait_line "$out" 'ESO-20240101-000001 .*failed'
	kill -INT "$WPID"
	wait "$WPID" || true
	WPID=
	[ "$(wc -l < "$out")" -eq 4 ]
	assert_aligned "$out"
}

@test "-w with nothing at first: the header comes with the first rows" {
	sql "DELETE FROM elastic_scaling_order"
	out=$BATS_TEST_TMPDIR/watch.out
	"$ESCTL_BIN" order list -w --watch-interval 50ms > "$out" 3>&- &
	WPID=$!
	sleep 0.3
	add_order ESO-20240101-000003 pool_exit failed 2 2024-01-01T00:06:00Z
	wait_line "$out" 'ESO-20240101-000003'
	kill -INT "$WPID"
	wait "$WPID" || true
	WPID=
	run -0 cat "$out"
	assert_line --index 0 --regexp '^ORDER +'
	assert_line --index 1 --regexp '^ESO-20240101-000003 +'
	assert_aligned "$out"
}
