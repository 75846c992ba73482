#!/usr/bin/env bats
# 3014: device import (CSV any column order, JSON; upsert by ci_code; one
# transaction; line-numbered errors; --skip-invalid; --dry-run), list,
# show, update (computed columns read-only), remove.

load lib/common
load lib/pool

setup() {
	common_setup
	add_cluster prod
	CSV=$BATS_TEST_TMPDIR/devices.csv
}

devices() {
	sql "SELECT group_concat(ci_code || ':' || status, ' ') FROM
	    (SELECT ci_code, status FROM device WHERE deleted_at IS NULL
	    ORDER BY id)"
}

@test "CSV in any column order, seed names; created, updated, unchanged" {
	cat > "$CSV" <<'CSV'
IP,ci_code,cpu,Memory,role,cluster,group,appid,status
10.0.0.1,CI-1,32,128,worker,prod,es,search,in_pool
10.0.0.2,CI-2,64,256,"gpu,worker",,es,,available
CSV
	run -0 esctl device import "$CSV"
	assert_output "2 created, 0 updated, 0 unchanged, 0 rejected"
	[ "$(devices)" = "CI-1:in_pool CI-2:available" ]
	# computed: is_special, feature_count, app_name
	[ "$(sql "SELECT is_special || feature_count || ':' || app_name || ':'
	    || cluster_id FROM device WHERE ci_code = 'CI-1'")" = "01:es/search:1" ]
	[ "$(sql "SELECT is_special || feature_count || ':' || app_name FROM
	    device WHERE ci_code = 'CI-2'")" = "12:es" ]
	printf 'ci_code,cpu\nCI-1,32\nCI-2,48\n' > "$CSV"
	run -0 esctl device import "$CSV"
	assert_output "0 created, 1 updated, 1 unchanged, 0 rejected"
	[ "$(sql "SELECT cpu FROM device WHERE ci_code = 'CI-2'")" = 48.0 ]
	# a row changes only its columns
	[ "$(sql "SELECT memory FROM device WHERE ci_code = 'CI-2'")" = 256.0 ]
}

@test "JSON array from stdin" {
	run -0 esctl device import - <<<'[{"ci_code": "J-1", "cpu": 8,
	    "is_localization": true}, {"CICode": "J-2", "IP": "10.0.0.9"}]'
	assert_output "2 created, 0 updated, 0 unchanged, 0 rejected"
	[ "$(sql "SELECT is_localization FROM device WHERE ci_code = 'J-1'")" = 1 ]
	[ "$(sql "SELECT ip FROM device WHERE ci_code = 'J-2'")" = 10.0.0.9 ]
}

@test "malformed imports leave the table unchanged, line-numbered" {
	printf 'ci_code,cpu\nOLD,1\n' > "$CSV"
	esctl device import "$CSV" >/dev/null
	printf 'ci_code,cpu,colour\nA,1,red\n' > "$CSV"
	run -2 esctl device import "$CSV"
	assert_output "esctl: error: $CSV:1: unknown column 'colour'"
	printf 'ci_code,is_special\nA,1\n' > "$CSV"
	run -2 esctl device import "$CSV"
	assert_output --partial "read-only (computed) column 'is_special'"
	printf 'ci_code,cpu\nA,1\nB,many\nC,2\n' > "$CSV"
	run -2 esctl device import "$CSV"
	assert_output "esctl: error: $CSV:3: cpu 'many' is not a number >= 0 (nothing imported)"
	printf 'ci_code,cpu\nA,1\nB,2\nA,3\n' > "$CSV"
	run -2 esctl device import "$CSV"
	assert_output --partial "$CSV:4: ci_code 'A' again (first at $CSV:2)"
	run -2 esctl device import - <<<'[{"ci_code": "X", "memory": "lots"}]'
	assert_output --partial "<stdin>[0]: memory 'lots' is not a number"
	printf 'ci_code,cluster\nA,nope\n' > "$CSV"
	run -2 esctl device import "$CSV"
	assert_output --partial "$CSV:2: cluster 'nope' is not registered"
	[ "$(devices)" = "OLD:available" ]
}

@test "--skip-invalid imports the good rows; --dry-run writes nothing" {
	printf 'ci_code,cpu\nA,1\nB,many\nC,2\n' > "$CSV"
	run -0 --separate-stderr esctl --dry-run device import "$CSV" \
	    --skip-invalid
	assert_output "2 created, 0 updated, 0 unchanged, 1 rejected (dry run: nothing written)"
	[ "$(devices)" = "" ]
	run -0 --separate-stderr esctl device import "$CSV" --skip-invalid
	assert_output "2 created, 0 updated, 0 unchanged, 1 rejected"
	[[ $stderr == *"rejected: $CSV:3: cpu 'many'"* ]]
	[ "$(devices)" = "A:available C:available" ]
}

@test "list filters, show, update (computed read-only), remove; unknown -> 3" {
	printf 'ci_code,status,cluster,idc,role\nA,in_pool,prod,bj,worker\nB,available,,sh,gpu\n' > "$CSV"
	esctl device import "$CSV" >/dev/null
	run -0 esctl -o name device list --cluster prod
	assert_output device/A
	run -0 esctl -o name device list --special
	assert_output device/B
	run -0 esctl -o name device list --available
	assert_output device/B
	run -0 esctl -o name device list --idc sh
	assert_output device/B
	run -0 esctl -o json device show A
	[ "$(jq -r .status <<<"$output")" = in_pool ]
	run -0 esctl device update B --status cordoned --role worker
	[ "$(sql "SELECT status || is_special FROM device WHERE ci_code = 'B'")" = cordoned0 ]
	run -2 esctl device update B --set is_special=1
	assert_output --partial "read-only (computed) column 'is_special'"
	run -2 esctl device update B --status broken
	run -0 esctl device remove B
	run -3 esctl device show B
	run -3 esctl device update nope --status available
	run -3 esctl device remove nope
	[ "$(sql "SELECT count(*) FROM device WHERE deleted_at IS NOT NULL")" = 1 ]
}
