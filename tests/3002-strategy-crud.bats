#!/usr/bin/env bats
# 3002: strategy create/update/list/show/enable/disable/delete - the seed's
# form rules, filters, paging, --from-file.

load lib/common
load lib/pool

setup() {
	common_setup
	add_cluster prod-a
	add_cluster prod-b
	add_cluster test-c
}

mk() {
	esctl strategy create "$@"
}

@test "create with every field; show and -o json use the seed's names" {
	run -0 mk cpu-high -c prod-a,prod-b -a pool_entry --cpu-threshold 80 \
	    --cpu-type usage --memory-threshold 70.5 --memory-type allocated \
	    --logic and --duration 15 --cooldown 1h --device-count 2 \
	    --node-selector '{"pool": "general", "zone":"a"}' -d "scale out"
	assert_output "strategy 'cpu-high' created (id 1)"
	run -0 esctl -o json strategy show cpu-high
	j=$output
	[ "$(jq -r .threshold_trigger_action <<<"$j")" = pool_entry ]
	[ "$(jq -r .cpu_threshold_value <<<"$j")" = 80 ]
	[ "$(jq -r .cpu_threshold_type <<<"$j")" = usage ]
	[ "$(jq -r .memory_threshold_value <<<"$j")" = 70.5 ]
	[ "$(jq -r .memory_threshold_type <<<"$j")" = allocated ]
	[ "$(jq -r .condition_logic <<<"$j")" = AND ]
	[ "$(jq -r .duration_minutes <<<"$j")" = 15 ]
	[ "$(jq -r .cooldown_minutes <<<"$j")" = 60 ]
	[ "$(jq -r .device_count <<<"$j")" = 2 ]
	[ "$(jq -c .node_selector <<<"$j")" = '{"pool":"general","zone":"a"}' ]
	[ "$(jq -r .status <<<"$j")" = enabled ]
	[ "$(jq -r .description <<<"$j")" = "scale out" ]
	[ "$(jq -c .clusters <<<"$j")" = '["prod-a","prod-b"]' ]
	[ "$(jq -c .cluster_ids <<<"$j")" = '[1,2]' ]
	[ "$(jq -r .condition <<<"$j")" = "CPU usage >= 80% AND MEM allocated >= 70.5%" ]
	[ "$(jq -c .execution_history <<<"$j")" = '[]' ]
	[ "$(jq -c .orders <<<"$j")" = '[]' ]
	[ "$(sql 'SELECT count(*) FROM strategy_cluster_association WHERE strategy_id = 1')" = 2 ]
	run -0 esctl strategy show 1
	assert_output --partial 'condition:                CPU usage >= 80% AND MEM allocated >= 70.5%'
}

@test "the seed's form rules: required fields" {
	run -2 --separate-stderr mk -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"name is required"* ]]
	run -2 --separate-stderr mk s -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"clusters are required"* ]]
	run -2 --separate-stderr mk s -c prod-a --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"threshold_trigger_action is required"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage
	[[ $stderr == *"device_count is required"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --device-count 1
	[[ $stderr == *"a threshold is required"* ]]
	[ "$(count elastic_scaling_strategy)" = 0 ]
}

@test "the seed's form rules: types, ranges, logic, selector" {
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --device-count 1
	[[ $stderr == *"cpu_threshold_type is required when cpu_threshold_value is set"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --memory-threshold 80 --device-count 1
	[[ $stderr == *"memory_threshold_type is required when memory_threshold_value is set"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-type usage --memory-threshold 5 --memory-type usage --device-count 1
	[[ $stderr == *"cpu_threshold_type is set but cpu_threshold_value is not"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 100.5 --cpu-type usage --device-count 1
	[[ $stderr == *"must be between 0 and 100"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold -1 --cpu-type usage --device-count 1
	[[ $stderr == *"must be between 0 and 100"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 80 --memory-type usage --device-count 1
	[[ $stderr == *"condition_logic is required when both"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type used --device-count 1
	[[ $stderr == *"use usage or allocated"* ]]
	run -2 --separate-stderr mk s -c prod-a -a scale_up --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"use pool_entry or pool_exit"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1 --node-selector '["a"]'
	[[ $stderr == *"node_selector"*"must be a JSON object"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1 --node-selector '{bad'
	[[ $stderr == *"must be a JSON object"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 0
	[[ $stderr == *"--device-count"* ]]
	run -2 --separate-stderr mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1 --duration 90s
	[[ $stderr == *"must be whole minutes"* ]]
	run -2 --separate-stderr mk 123 -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"cannot be all digits"* ]]
	run -3 --separate-stderr mk s -c nope -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"cluster 'nope' not found"* ]]
	[ "$(count elastic_scaling_strategy)" = 0 ]
	# one threshold: the logic defaults to OR
	run -0 mk s -c prod-a -a pool_exit --memory-threshold 20 --memory-type usage --device-count 1
	[ "$(sql "SELECT condition_logic FROM elastic_scaling_strategy")" = OR ]
	run -4 --separate-stderr mk s -c prod-a -a pool_exit --memory-threshold 20 --memory-type usage --device-count 1
	[[ $stderr == *"strategy 's' already exists"* ]]
}

@test "--from-file with seed field names; options override" {
	cat > "$BATS_TEST_TMPDIR/s.yaml" <<'YAML'
name: mem-low
description: give back idle nodes
clusters: [prod-a, test-c]
threshold_trigger_action: pool_exit
memory_threshold_value: 25
memory_threshold_type: usage
duration_minutes: 30
cooldown_minutes: 120
device_count: 1
node_selector: {pool: general}
status: disabled
YAML
	run -0 esctl strategy create -f "$BATS_TEST_TMPDIR/s.yaml" --device-count 3
	run -0 esctl -o json strategy show mem-low
	[ "$(jq -r .device_count <<<"$output")" = 3 ]
	[ "$(jq -r .status <<<"$output")" = disabled ]
	[ "$(jq -c .clusters <<<"$output")" = '["prod-a","test-c"]' ]
	[ "$(jq -c .node_selector <<<"$output")" = '{"pool":"general"}' ]
	# the show output reads back as a file
	esctl -o json strategy show mem-low | jq 'del(.execution_history, .orders) | .name = "copy"' > "$BATS_TEST_TMPDIR/copy.json"
	run -0 esctl strategy create -f "$BATS_TEST_TMPDIR/copy.json"
	[ "$(sql "SELECT device_count || cooldown_minutes FROM elastic_scaling_strategy WHERE name = 'copy'")" = 3120 ]
	echo 'nmae: x' > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 --separate-stderr esctl strategy create -f "$BATS_TEST_TMPDIR/bad.yaml"
	[[ $stderr == *"bad.yaml:1:1: unknown field 'nmae'"* ]]
}

@test "update changes only what is given and re-validates" {
	mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 2 --duration 10
	run -0 esctl strategy update s --memory-threshold 60 --memory-type allocated --logic OR -c test-c --name s2
	run -0 esctl -o json strategy show s2
	[ "$(jq -r .cpu_threshold_value <<<"$output")" = 80 ]
	[ "$(jq -r .memory_threshold_value <<<"$output")" = 60 ]
	[ "$(jq -r .duration_minutes <<<"$output")" = 10 ]
	[ "$(jq -c .clusters <<<"$output")" = '["test-c"]' ]
	# clearing CPU leaves memory alone; clearing both is refused
	run -0 esctl strategy update s2 --cpu-threshold none
	[ "$(sql "SELECT coalesce(cpu_threshold_value, 'null') || coalesce(cpu_threshold_type, 'null') FROM elastic_scaling_strategy")" = nullnull ]
	before=$(db_dump)
	run -2 --separate-stderr esctl strategy update s2 --memory-threshold none
	[[ $stderr == *"a threshold is required"* ]]
	run -2 esctl strategy update s2 --cpu-threshold 50
	[ "$(db_dump)" = "$before" ]
	run -3 esctl strategy update nope --device-count 1
}

@test "list filters and paging" {
	mk a-entry -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	mk b-exit -c prod-b -a pool_exit --cpu-threshold 10 --cpu-type usage --device-count 1 --status disabled
	mk c-entry -c prod-a,prod-b -a pool_entry --memory-threshold 90 --memory-type allocated --device-count 1
	mk D-Entry -c test-c -a pool_entry --cpu-threshold 80 --cpu-type allocated --device-count 1
	run -0 esctl -o name strategy list
	assert_output $'strategy/a-entry\nstrategy/b-exit\nstrategy/c-entry\nstrategy/D-Entry'
	run -0 esctl -o name strategy list --name ENTRY
	assert_output $'strategy/a-entry\nstrategy/c-entry\nstrategy/D-Entry'
	run -0 esctl -o name strategy list --status disabled
	assert_output strategy/b-exit
	run -0 esctl -o name strategy list --action pool_entry --cluster prod-b
	assert_output strategy/c-entry
	run -0 esctl -o name strategy list --limit 2 --offset 1
	assert_output $'strategy/b-exit\nstrategy/c-entry'
	run -0 --separate-stderr esctl strategy list --limit 2
	[[ $stderr == *"showing 1-2 of 4; next page: --offset 2"* ]]
	run -2 esctl strategy list --status on
	run -2 esctl strategy list --action grow
	run -3 esctl strategy list --cluster nope
	run -0 esctl strategy list -o wide
	assert_line --index 0 --partial SELECTOR
}

@test "enable, disable and delete" {
	mk s1 -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	mk s2 -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	run -0 esctl strategy disable s1 2
	assert_output $'strategy \'s1\' disabled\nstrategy \'s2\' disabled'
	run -0 esctl strategy disable s1
	assert_output "strategy 's1' was already disabled"
	run -3 esctl strategy enable s1 nope
	[ "$(sql "SELECT status FROM elastic_scaling_strategy WHERE name = 's1'")" = disabled ]
	run -0 esctl strategy enable s1
	run -2 --separate-stderr esctl strategy delete s1
	[[ $stderr == *"pass --yes"* ]]
	run -0 esctl --dry-run strategy delete s1
	[ "$(count elastic_scaling_strategy)" = 2 ]
	run -0 esctl strategy delete --yes s1
	assert_output "strategy 's1' deleted"
	[ "$(count elastic_scaling_strategy)" = 1 ]
	[ "$(sql 'SELECT count(*) FROM strategy_cluster_association WHERE strategy_id = 1')" = 0 ]
}

@test "delete is refused while an order is open; closed orders stay" {
	mk s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	sql "INSERT INTO elastic_scaling_order (order_number, cluster_id, strategy_id, action_type, status, device_count, created_at, updated_at) VALUES ('ESO-20240101-000001', 1, 1, 'pool_entry', 'pending', 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')"
	run -4 --separate-stderr esctl strategy delete --yes s
	[[ $stderr == *"strategy has 1 open order (ESO-20240101-000001 is pending)"* ]]
	sql "UPDATE elastic_scaling_order SET status = 'completed'"
	run -0 esctl strategy delete --yes s
	[ "$(sql 'SELECT coalesce(strategy_id, 0) FROM elastic_scaling_order')" = 0 ]
}

@test "dry run of create and update changes nothing" {
	before=$(db_dump)
	run -0 --separate-stderr esctl --dry-run strategy create s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	[[ $stderr == *"would be created"* ]]
	[ "$(db_dump)" = "$before" ]
	# update: the strategy exists, the dry run says what would change
	run -0 esctl strategy create s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	before=$(db_dump)
	run -0 --separate-stderr esctl --dry-run strategy update s --cpu-threshold 60 --name s2
	[[ $stderr == *"would be updated"* ]]
	[ "$(db_dump)" = "$before" ]
	run -0 esctl -o json strategy show s
	assert_equal "$(jq -r .cpu_threshold_value <<<"$output")" 80
}
