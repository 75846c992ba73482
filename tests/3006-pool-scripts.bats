#!/usr/bin/env bats
# 3006: the node-pool scripts - the demo part and the cron wrapper.

load lib/common
load lib/pool

setup() {
	common_setup
	export ESCTL=$ESCTL_BIN
	export ESCTL_CRON_LOG_DIR=$BATS_TEST_TMPDIR/log
	export ESCTL_CRON_LOCK_DIR=$BATS_TEST_TMPDIR/lock
}

@test "scripts/demo-nodepool: select, pool_exit executed, a cordoned node back" {
	run -0 --separate-stderr "$ESCTL_TOP/scripts/demo-nodepool"
	assert_line "sim-node-3   sim-node-3   special device (--allow-special)"
	assert_line "order ESO-$(date -u +%Y%m%d)-000001 completed"
	assert_line "order ESO-$(date -u +%Y%m%d)-000002 completed"
	assert_line --regexp '^sim-node-1 +<none> +available '
	assert_line --regexp '^pool_exit +completed +1 +1 '
}

@test "scripts/demo-strategy: a breach becomes one order, then a cooldown skip" {
	run -0 "$ESCTL_TOP/scripts/demo-strategy"
	assert_output --partial "imported 48 snapshots"
	assert_output --regexp "cpu-high +prod-east +skipped +<none> .*condition held for 5m, less than the required 15m"
	assert_output --regexp "cpu-high +prod-east +order_created +ESO-20240101-000001 "
	assert_output --regexp "cpu-high +prod-east +skipped +<none> .*in cooldown until 2024-01-01T01:45:00Z"
	assert_output --regexp "1 +system +alice +ESO-20240101-000001 +sent"
	[ "$(count elastic_scaling_order)" = 1 ]
}

@test "esctl-cron logs every line and keeps esctl's exit status" {
	run -0 "$ESCTL_TOP/scripts/cron/esctl-cron" quota tenant quota set --org o1 --max-clusters 3
	assert_output ''
	log=$ESCTL_CRON_LOG_DIR/quota.log
	run -0 cat "$log"
	assert_line --index 0 --regexp '^[0-9T:-]+Z \[[0-9]+\] start: esctl tenant quota set --org o1 --max-clusters 3$'
	assert_line --index 1 --regexp "^[0-9T:-]+Z \[[0-9]+\] quota of org 'o1' updated$"
	assert_line --index 2 --regexp '^[0-9T:-]+Z \[[0-9]+\] exit 0$'
	run -2 --separate-stderr "$ESCTL_TOP/scripts/cron/esctl-cron" quota tenant quota set --org o1 --max-clusters many
	[[ $stderr == "esctl-cron: quota failed with status 2; see $log" ]]
	run -0 tail -2 "$log"
	assert_line --index 0 --partial "esctl: error: invalid value 'many'"
	assert_line --index 1 --partial 'exit 2'
	[ "$(stat -c %a "$log")" = 600 ]
}

@test "esctl-cron skips a run while the previous one holds the lock" {
	mkdir -p "$ESCTL_CRON_LOCK_DIR"
	flock "$ESCTL_CRON_LOCK_DIR/check.lock" sleep 3 &
	sleep 0.5
	run -0 "$ESCTL_TOP/scripts/cron/esctl-cron" check strategy check
	run -0 tail -1 "$ESCTL_CRON_LOG_DIR/check.log"
	assert_output --partial "skipped: the previous run still holds $ESCTL_CRON_LOCK_DIR/check.lock"
	[ "$(count strategy_execution_history 2>/dev/null || echo 0)" = 0 ]
	wait
}

@test "esctl-cron rejects bad job names and missing commands" {
	run -2 "$ESCTL_TOP/scripts/cron/esctl-cron" '../x' tenant list
	assert_output --partial "invalid job name '../x'"
	run -2 "$ESCTL_TOP/scripts/cron/esctl-cron" job
	assert_output --partial 'usage: esctl-cron JOB ESCTL-ARGUMENTS...'
}

@test "esctl-cron rotates a large log" {
	mkdir -p "$ESCTL_CRON_LOG_DIR"
	head -c 2000 /dev/zero > "$ESCTL_CRON_LOG_DIR/t.log"
	ESCTL_CRON_LOG_MAX=1000 run -0 "$ESCTL_TOP/scripts/cron/esctl-cron" t tenant list
	[ "$(stat -c %s "$ESCTL_CRON_LOG_DIR/t.log.1")" = 2000 ]
	grep -q 'exit 0' "$ESCTL_CRON_LOG_DIR/t.log"
}

@test "the example crontab runs the documented commands every 5 and 1 minutes" {
	run -0 grep -E '^\*/5 \* \* \* \*[[:space:]].*esctl-cron snapshot-collect snapshot collect$' "$ESCTL_TOP/scripts/cron/crontab"
	run -0 grep -E '^\* \* \* \* \*[[:space:]].*esctl-cron strategy-check strategy check --wait 50s$' "$ESCTL_TOP/scripts/cron/crontab"
	run -0 bash -n "$ESCTL_TOP/scripts/cron/esctl-cron"
	run -0 bash -n "$ESCTL_TOP/scripts/demo-strategy"
}
