#!/usr/bin/env bats
# 3010: manual orders and the state machine of approve / reject / cancel:
# compare-and-set transitions, wrong state -> exit 4 naming the state,
# unknown order -> exit 3, history events and notifications.

load lib/common
load lib/pool

setup() {
	common_setup
	add_cluster prod-a
}

@test "create a manual order: pending, strategy NULL, selector canonical" {
	run -0 esctl order create --cluster prod-a --action pool_exit --count 2 \
	    -l pool=general,zone=a --reason "quiet weekend"
	assert_output "order ESO-$(date -u +%Y%m%d)-000001 created (pending)"
	run -0 esctl -o json order show 1
	[ "$(jq -r .status <<<"$output")" = pending ]
	[ "$(jq -r .strategy_id <<<"$output")" = null ]
	[ "$(jq -r .device_count <<<"$output")" = 2 ]
	[ "$(jq -c .node_selector <<<"$output")" = \
	    '{"pool":"general","zone":"a"}' ]
	[ "$(jq -r '.events[0].event' <<<"$output")" = created ]
	[ "$(jq -r '.events[0].message' <<<"$output")" = "quiet weekend" ]
	# the person on duty hears of it (system channel by default)
	[ "$(sql "SELECT count(*) FROM notification_log WHERE order_id = 1
	    AND content LIKE '%is now pending%'")" = 1 ]
}

@test "create: bad action, count or selector changes nothing" {
	run -2 esctl order create --cluster prod-a --action maintenance_request
	assert_output --partial "manual order is pool_entry or pool_exit"
	run -2 esctl order create --cluster prod-a --action pool_exit --count 0
	run -2 esctl order create --cluster prod-a --action pool_exit -l 'a b'
	assert_output --partial "invalid selector 'a b'"
	run -3 esctl order create --cluster nope --action pool_exit
	[ "$(sql 'SELECT count(*) FROM elastic_scaling_order')" = 0 ]
}

@test "approve: pending -> processing once; a second approve exits 4" {
	esctl order create --cluster prod-a --action pool_entry >/dev/null
	run -0 esctl order approve 1
	assert_output --partial "approved (processing)"
	[ "$(sql 'SELECT status, approver FROM elastic_scaling_order')" = \
	    "processing|${USER:-esctl}" ]
	run -4 esctl order approve 1
	assert_output --partial "is processing, not pending"
	run -4 esctl order reject 1 --reason late
	run -4 esctl order cancel 1
	run -0 esctl -o json order show 1
	[ "$(jq -r '[.events[].event] | join(",")' <<<"$output")" = \
	    created,approved ]
}

@test "reject needs a reason and records it; cancelled is final" {
	esctl order create --cluster prod-a --action pool_exit >/dev/null
	run -2 esctl order reject 1
	run -0 esctl order reject 1 --reason "not during the sale"
	[ "$(sql 'SELECT status, cancel_reason FROM elastic_scaling_order')" = \
	    "cancelled|not during the sale" ]
	run -4 esctl order approve 1
	assert_output --partial "is cancelled, not pending"
	run -0 esctl -o json order show 1
	[ "$(jq -r '.events[1].event' <<<"$output")" = rejected ]
	[ "$(jq -r '.events[1].to_status' <<<"$output")" = cancelled ]
}

@test "unknown order: exit 3 for every verb" {
	run -3 esctl order approve 42
	assert_output --partial "order '42' not found"
	run -3 esctl order reject ESO-20240101-000009 --reason x
	run -3 esctl order cancel 42
	run -3 esctl order show 42
}

@test "dry run changes nothing" {
	esctl order create --cluster prod-a --action pool_exit >/dev/null
	run -0 esctl --dry-run order approve 1
	[ "$(sql 'SELECT status FROM elastic_scaling_order')" = pending ]
}

@test "8 concurrent approvals and cancels: exactly one wins" {
	esctl order create --cluster prod-a --action pool_exit >/dev/null
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		if [ $((i % 2)) = 0 ]; then
			esctl order approve 1 >"$BATS_TEST_TMPDIR/o$i" 2>&1 &
		else
			esctl order cancel 1 >"$BATS_TEST_TMPDIR/o$i" 2>&1 &
		fi
		pids+=($!)
	done
	ok=0
	for pid in "${pids[@]}"; do
		if wait "$pid"; then ok=$((ok + 1)); fi
	done
	[ "$ok" = 1 ]
	[ "$(grep -l 'not pending' "$BATS_TEST_TMPDIR"/o* | wc -l)" = 7 ]
	[ "$(sql "SELECT count(*) FROM order_event WHERE event <> 'created'")" \
	    = 1 ]
}
