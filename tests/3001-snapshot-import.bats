#!/usr/bin/env bats
# 3001: snapshot import and list - CSV, JSON and JSON Lines; validation;
# derived ratios; nothing written on bad input.

load lib/common
load lib/pool

setup() {
	common_setup
	add_cluster prod-a
	add_cluster prod-b
}

@test "CSV import derives the allocation and usage ratios" {
	cat > "$BATS_TEST_TMPDIR/s.csv" <<'CSV'
cluster,collected_at,node_count,bm_count,vm_count,pod_count,cpu_capacity,cpu_allocatable,cpu_request,cpu_usage,mem_capacity,mem_allocatable,mem_request,mem_usage
prod-a,2024-01-01T00:00:00Z,4,3,1,120,64,60,45,30,256,240,120,60
prod-a,2024-01-01T08:05:00+08:00,4,3,1,121,64,60,48,33,256,240,96,72
CSV
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/s.csv"
	assert_output "imported 2 snapshots from '$BATS_TEST_TMPDIR/s.csv'"
	run -0 esctl -o json snapshot list --cluster prod-a
	# newest first; +08:00 normalised to UTC
	[ "$(jq -r '.items | .[0].collected_at' <<<"$output")" = 2024-01-01T00:05:00Z ]
	[ "$(jq -r '.items | .[0].cpu_allocation_ratio' <<<"$output")" = 80 ]
	[ "$(jq -r '.items | .[0].max_cpu' <<<"$output")" = 55 ]
	[ "$(jq -r '.items | .[0].mem_allocation_ratio' <<<"$output")" = 40 ]
	[ "$(jq -r '.items | .[0].max_memory' <<<"$output")" = 30 ]
	[ "$(jq -r '.items | .[1].cpu_allocation_ratio' <<<"$output")" = 75 ]
	[ "$(jq -r '.items | .[1].per_node_cpu_req' <<<"$output")" = 11.25 ]
	[ "$(jq -r '.items | .[1].bm_count' <<<"$output")" = 3 ]
	[ "$(jq -r '.items | .[1].cluster_name' <<<"$output")" = prod-a ]
	[ "$(jq -r '.items | .[1].source' <<<"$output")" = import ]
	[ "$(jq -r '.items | .[1].resource_type' <<<"$output")" = cluster ]
	run -0 esctl snapshot list
	assert_line --index 0 --regexp '^CLUSTER +COLLECTED +NODES +PODS +CPU_USAGE% +CPU_ALLOC% +MEM_USAGE% +MEM_ALLOC%$'
	assert_line --index 1 --regexp '^prod-a +2024-01-01T00:05:00Z +4 +121 +55 +80 +30 +40$'
}

@test "JSON array and JSON Lines import; --cluster for rows without one" {
	cat > "$BATS_TEST_TMPDIR/a.json" <<'JSON'
[
  {"collected_at": "2024-01-01T00:00:00Z", "cpu_allocatable": 10,
   "cpu_request": 5, "max_cpu": 71.5, "node_count": 2},
  {"cluster": "prod-a", "time": "2024-01-01T00:05:00Z",
   "cpu_allocatable": 10, "cpu_request": "6", "max_cpu": 72}
]
JSON
	run -0 esctl snapshot import --cluster prod-b "$BATS_TEST_TMPDIR/a.json"
	[ "$(sql "SELECT count(*) FROM k8s_cluster_resource_snapshot s JOIN k8s_cluster c ON c.id = s.cluster_id WHERE c.clustername = 'prod-b'")" = 1 ]
	[ "$(sql "SELECT max_cpu || ' ' || cpu_allocation_ratio FROM k8s_cluster_resource_snapshot WHERE collected_at = '2024-01-01T00:05:00Z'")" = "72.0 60.0" ]
	printf '%s\n' '{"cluster":"prod-b","collected_at":"2024-01-02T00:00:00Z","mem_allocatable":100,"mem_usage":42}' \
	    '' '{"cluster":"prod-b","collected_at":"2024-01-02T00:05:00Z","mem_allocatable":100,"mem_usage":43}' \
	    > "$BATS_TEST_TMPDIR/b.jsonl"
	run -0 esctl -o json snapshot import "$BATS_TEST_TMPDIR/b.jsonl"
	[ "$(jq -r .imported <<<"$output")" = 2 ]
	run -0 esctl -o json snapshot list --cluster prod-b --since 2024-01-02T00:00:00Z
	[ "$(jq -r '.items | .[0].max_memory' <<<"$output")" = 43 ]
	# no usage metrics: the usage ratio is unknown, not zero
	[ "$(jq -r '.items | .[0].max_cpu' <<<"$output")" = null ]
}

@test "importing the same file twice is harmless" {
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 5 cpu=10,20,30
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/t.csv"
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/t.csv"
	assert_output "imported 0 snapshots from '$BATS_TEST_TMPDIR/t.csv' (3 already present)"
	[ "$(count k8s_cluster_resource_snapshot)" = 3 ]
}

@test "one bad row imports nothing and names file and line" {
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 5 cpu=10,20,30
	echo 'prod-a,2024-01-01T01:00:00Z,10,100,100,100,abc,1,100,100,1,1' >> "$BATS_TEST_TMPDIR/t.csv"
	before=$(db_dump)
	run -2 --separate-stderr esctl snapshot import "$BATS_TEST_TMPDIR/t.csv"
	[[ $stderr == *"t.csv:5: invalid cpu_request 'abc': not a number"* ]]
	[ "$(db_dump)" = "$before" ]
}

@test "validation errors: unknown cluster, field, time, negative, ratio" {
	f=$BATS_TEST_TMPDIR/v.csv
	printf 'cluster,collected_at,cpu_usage\nnope,2024-01-01T00:00:00Z,1\n' > "$f"
	run -3 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"v.csv:2: cluster 'nope' not found"* ]]
	printf 'cluster,collected_at,cpu_usgae\nprod-a,2024-01-01T00:00:00Z,1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"v.csv:1: unknown field 'cpu_usgae'"* ]]
	printf 'cluster,collected_at,cpu_usage\nprod-a,yesterday noon,1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"v.csv:2: invalid time 'yesterday noon'"* ]]
	printf 'cluster,collected_at,cpu_usage\nprod-a,2024-01-01T00:00:00Z,-1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"must be between 0 and"* ]]
	printf 'cluster,collected_at,max_cpu\nprod-a,2024-01-01T00:00:00Z,5000\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"invalid max_cpu '5000'"* ]]
	printf 'cluster,cpu_usage\nprod-a,1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"v.csv:2: no collected_at time"* ]]
	printf 'collected_at,cpu_usage\n2024-01-01T00:00:00Z,1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"no cluster: give a 'cluster' field or --cluster"* ]]
	printf 'cluster,collected_at\nprod-a,2024-01-01T00:00:00Z,1\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"3 fields, but the header has 2"* ]]
	printf 'cluster,collected_at\n"prod-a,2024-01-01T00:00:00Z\n' > "$f"
	run -2 --separate-stderr esctl snapshot import "$f"
	[[ $stderr == *"unterminated quote"* ]]
	echo '{"cluster": "prod-a", "collected_at": ' > "$BATS_TEST_TMPDIR/bad.json"
	run -2 --separate-stderr esctl snapshot import "$BATS_TEST_TMPDIR/bad.json"
	[[ $stderr == *"bad.json:"* ]]
	echo '{"a": 1}' > "$BATS_TEST_TMPDIR/obj.json"
	run -2 --separate-stderr esctl snapshot import --format json "$BATS_TEST_TMPDIR/obj.json"
	[[ $stderr == *"unknown field 'a'"* ]]
	run -3 --separate-stderr esctl snapshot import "$BATS_TEST_TMPDIR/missing.csv"
	[[ $stderr == *"cannot read"* ]]
	[ "$(count k8s_cluster_resource_snapshot)" = 0 ]
}

@test "quoted CSV fields, CRLF and a byte order mark" {
	printf '\xef\xbb\xbf"cluster","collected_at","cpu_allocatable","cpu_request"\r\n"prod-a","2024-01-01T00:00:00Z","10","2.5"\r\n' > "$BATS_TEST_TMPDIR/q.csv"
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/q.csv"
	[ "$(sql 'SELECT cpu_allocation_ratio FROM k8s_cluster_resource_snapshot')" = 25.0 ]
}

@test "--dry-run validates and imports nothing" {
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 5 cpu=10,20
	run -0 --separate-stderr esctl --dry-run snapshot import "$BATS_TEST_TMPDIR/t.csv"
	[[ $stderr == *"2 snapshots"*"valid; nothing imported"* ]]
	[ "$(count k8s_cluster_resource_snapshot)" = 0 ]
}

@test "list filters: cluster, since, until, limit; round trip of -o json" {
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 60 cpu=1,2,3,4,5
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-b 2024-01-01T00:00:00Z 60 cpu=6,7
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/t.csv"
	run -0 esctl -o json snapshot list --cluster prod-a --since 2024-01-01T02:00:00Z --until 2024-01-01T03:00:00Z
	[ "$(jq -r '.items | map(.max_cpu) | join(",")' <<<"$output")" = 4,3 ]
	run -0 esctl -o json snapshot list --limit 2
	[ "$(jq '.items | length' <<<"$output")" = 2 ]
	run -0 esctl -o name snapshot list --cluster prod-b
	assert_output $'snapshot/prod-b\nsnapshot/prod-b'
	run -3 esctl snapshot list --cluster nope
	# list output can be imported elsewhere as it is
	esctl -o json snapshot list --limit 0 > "$BATS_TEST_TMPDIR/all.json"
	export ESCTL_DB=$BATS_TEST_TMPDIR/other.db
	add_cluster prod-a
	add_cluster prod-b
	run -0 esctl snapshot import "$BATS_TEST_TMPDIR/all.json"
	assert_output --partial "imported 7 snapshots"
	[ "$(sql 'SELECT count(*), sum(max_cpu), sum(node_count) FROM k8s_cluster_resource_snapshot')" = "7|28.0|70" ]
}

@test "a soft-deleted cluster is not found" {
	sql "UPDATE k8s_cluster SET deleted_at = '2024-01-02T00:00:00Z' WHERE clustername = 'prod-b'"
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-b 2024-01-01T00:00:00Z 5 cpu=1
	run -3 --separate-stderr esctl snapshot import "$BATS_TEST_TMPDIR/t.csv"
	[[ $stderr == *"cluster 'prod-b' not found"* ]]
}

@test "prune deletes old snapshots, of one cluster or all" {
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 1440 cpu=1,2,3,4,5
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-b 2024-01-01T00:00:00Z 1440 cpu=1,2,3,4,5
	esctl snapshot import "$BATS_TEST_TMPDIR/t.csv" >/dev/null
	export ESCTL_NOW=2024-01-06T00:00:00Z
	run -2 --separate-stderr esctl snapshot prune --older-than 3d
	[[ $stderr == *"refusing to delete the snapshots collected before 2024-01-03T00:00:00Z without confirmation"* ]]
	run -0 esctl --dry-run snapshot prune --older-than 3d --cluster prod-a
	assert_output "dry run: 2 snapshots collected before 2024-01-03T00:00:00Z would be deleted"
	[ "$(count k8s_cluster_resource_snapshot)" = 10 ]
	run -0 esctl snapshot prune --older-than 3d --cluster prod-a --yes
	assert_output "2 snapshots collected before 2024-01-03T00:00:00Z deleted"
	run -0 esctl -o json snapshot prune --older-than 2d --yes
	[ "$(jq -r .deleted <<<"$output")" = 4 ]
	[ "$(sql "SELECT group_concat(x, ' ') FROM (SELECT c.clustername || '@' || substr(s.collected_at, 9, 2) AS x FROM k8s_cluster_resource_snapshot s JOIN k8s_cluster c ON c.id = s.cluster_id ORDER BY 1)")" = "prod-a@04 prod-a@05 prod-b@04 prod-b@05" ]
	run -2 esctl snapshot prune --older-than 10m --yes
	run -2 esctl snapshot prune --yes
}
