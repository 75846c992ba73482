#!/usr/bin/env bats
# 1002: esctl tenant - containers, quotas, tenant scope.

load lib/common

setup() {
	common_setup
	# create the schema, then load the fixture records
	"$ESCTL_BIN" tenant list 2>/dev/null
	sql < "$ESCTL_TOP/testdata/tenants.sql"
}

@test "tenant list shows every container as a table" {
	run -0 esctl tenant list
	assert_line --index 0 --regexp '^NAMESPACE +ORG +USER +SERVICE +REPLICAS +CPU +MEMORY +DISK +STATUS +AGE$'
	assert_line --regexp '^org-001-alice-search +org-001 +alice +search +2 +1/4 +2Gi/8Gi +50Gi +created +'
	assert_equal "${#lines[@]}" 4
}

@test "tenant list -o wide adds columns; filters work" {
	run -0 esctl tenant list -o wide --org org-001 --user bob
	assert_line --index 0 --partial 'GPU'
	assert_line --index 0 --partial 'DIMENSION'
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial 'org-001-bob-image-search'
	run -0 --separate-stderr esctl tenant list --status failed
	assert_output ''
}

@test "tenant list -o name prints namespaces" {
	run -0 esctl tenant list -o name --org org-001
	assert_output $'tenant/org-001-alice-search\ntenant/org-001-bob-image-search'
}

@test "tenant containers --org gives the seed's JSON shape exactly" {
	run -0 esctl tenant containers --org org-001 -o json
	echo "$output" | jq -e '.items | length == 2'
	echo "$output" | jq -e '.items | .[0] | keys == (["id","tenant_org_id","user","service_name","namespace","replicas","cpu","memory","disk","gpu_count","dimension","vector_count","status","created_at","sync_time"] | sort)'
	echo "$output" | jq -e '.items | .[0] | .id == "tenant_alice_search_1704067200" and .cpu == "1/4" and .memory == "2Gi/8Gi" and .disk == "50Gi" and .replicas == 2 and .gpu_count == 1 and .dimension == 512 and .vector_count == 1000000 and .sync_time == "2024-01-01T00:01:32Z"'
}

@test "tenant containers needs an org" {
	run -2 --separate-stderr esctl tenant containers
	[[ $stderr == *"option '--org' is required"* ]]
}

@test "tenant show: one record; ambiguous across orgs needs --org" {
	run -0 esctl tenant show bob image-search -o json
	echo "$output" | jq -e '.namespace == "org-001-bob-image-search"'
	run -4 --separate-stderr esctl tenant show alice search
	[[ $stderr == *"exists in 2 orgs: pass --org"* ]]
	run -0 esctl tenant show alice search --org org-002 -o json
	echo "$output" | jq -e '.tenant_org_id == "org-002"'
	run -0 esctl tenant show alice search --org org-001
	assert_line --regexp '^namespace: +org-001-alice-search$'
	run -3 --separate-stderr esctl tenant show carol search
	[[ $stderr == *"no tenant container for user 'carol' service 'search'"* ]]
}

@test "quota get: current usage is limits x replicas" {
	run -0 esctl tenant quota get --org org-001 -o json
	# alice: 2 x (cpu 4, mem 8Gi, disk 50Gi, gpu 1); bob: 1 x (2, 2Gi, 10Gi)
	echo "$output" | jq -e '.current_usage == {"clusters":2,"indexes":0,"cpu":"10","memory":"18Gi","disk":"110Gi","gpu":2}'
	echo "$output" | jq -e '.quota.max_clusters == null'
	run -0 esctl tenant quota get --org org-001 --user bob -o json
	echo "$output" | jq -e '.user == "bob" and .current_usage.clusters == 1 and .current_usage.cpu == "2"'
}

@test "quota set then get, table form" {
	run -0 esctl tenant quota set --org org-001 --max-clusters 10 --max-cpu 100 --max-memory 200Gi --max-disk 1Ti --max-gpu 5 --max-indexes 20
	assert_output "quota of org 'org-001' updated"
	run -0 esctl tenant quota get --org org-001
	assert_line --regexp '^clusters +2 +10$'
	assert_line --regexp '^cpu +10 +100$'
	assert_line --regexp '^memory +18Gi +200Gi$'
	assert_line --regexp '^disk +110Gi +1Ti$'
	assert_line --regexp '^gpu +2 +5$'
	# only the given limits change; 'unlimited' clears
	run -0 esctl tenant quota set --org org-001 --max-gpu unlimited
	run -0 esctl tenant quota get --org org-001 -o json
	echo "$output" | jq -e '.quota == {"max_clusters":10,"max_indexes":20,"max_cpu":"100","max_memory":"200Gi","max_disk":"1Ti","max_gpu":null}'
	# --max-storage is the seed's name for disk
	run -0 esctl tenant quota set --org org-001 --max-storage 2Ti
	run -0 esctl tenant quota get --org org-001 -o json
	echo "$output" | jq -e '.quota.max_disk == "2Ti"'
}

@test "quota set rejects bad values and changes nothing" {
	run -0 esctl tenant quota set --org org-001 --max-clusters 3
	local before
	before=$(db_dump)
	run -2 --separate-stderr esctl tenant quota set --org org-001 --max-clusters abc
	[[ $stderr == *"invalid value 'abc' for --max-clusters: not an integer"* ]]
	run -2 --separate-stderr esctl tenant quota set --org org-001 --max-cpu 1.2.3
	[[ $stderr == *"invalid quantity '1.2.3' for --max-cpu"* ]]
	run -2 --separate-stderr esctl tenant quota set --org org-001 --max-memory -1Gi
	[[ $stderr == *"must not be negative"* ]]
	run -2 --separate-stderr esctl tenant quota set --org org-001 --max-gpu 5 --max-clusters -2
	run -2 --separate-stderr esctl tenant quota set --org 'bad org' --max-gpu 5
	[[ $stderr == *"invalid org 'bad org'"* ]]
	run -2 --separate-stderr esctl tenant quota set --org org-001
	[[ $stderr == *"nothing to set"* ]]
	assert_equal "$(db_dump)" "$before"
}

@test "quota set --dry-run changes nothing" {
	local before
	before=$(db_dump)
	run -0 --separate-stderr esctl tenant quota set --org org-001 --max-clusters 1 --dry-run
	[[ $stderr == *"dry run"* ]]
	assert_equal "$(db_dump)" "$before"
}

@test "user quota and quota list" {
	run -0 esctl tenant quota set --org org-001 --user alice --max-clusters 1
	run -0 esctl tenant quota list -o json
	echo "$output" | jq -e '.items | length == 1 and .[0].user == "alice" and .[0].max_clusters == 1'
	run -0 esctl tenant quota set --org org-002 --max-cpu 8
	run -0 esctl tenant quota list
	assert_equal "${#lines[@]}" 3
	run -0 esctl tenant quota list --org org-002 -o name
	assert_output quota/org-002
}

@test "tenant scope: --as-org sees only its org" {
	run -0 esctl --as-org org-002 tenant list -o name
	assert_output tenant/org-002-alice-search
	run -0 esctl --as-org org-002 tenant show alice search -o json
	echo "$output" | jq -e '.tenant_org_id == "org-002"'
	run -7 --separate-stderr esctl --as-org org-002 tenant containers --org org-001
	[[ $stderr == *"permission denied"* ]]
	run -7 esctl --as-org org-002 tenant quota set --org org-001 --max-clusters 100
	run -7 esctl --as-org org-002 tenant quota get --org org-001
	run -0 esctl --as-org org-002 tenant quota get -o json
	echo "$output" | jq -e '.tenant_org_id == "org-002"'
}

@test "tenant scope: --as-user limits to one user" {
	run -0 esctl --as-org org-001 --as-user bob tenant list -o name
	assert_output tenant/org-001-bob-image-search
	run -7 esctl --as-org org-001 --as-user bob tenant show alice search
	run -7 esctl --as-org org-001 --as-user bob tenant list --user alice
}

@test "tenant scope: no identity sets a quota, its own included (exit 7)" {
	run -0 esctl tenant quota set --org org-001 --max-cpu 4
	run -0 esctl tenant quota set --org org-001 --user alice --max-cpu 2
	run -0 esctl tenant quota set --org org-001 --user mallory --max-cpu 1
	local before
	before=$(sql 'SELECT * FROM tenant_quota ORDER BY 1, 2')
	run -7 --separate-stderr esctl --as-org org-001 --as-user mallory \
	    tenant quota set --max-cpu 100
	[[ $stderr == *"set by an administrator"* ]]
	run -7 esctl --as-org org-001 --as-user mallory tenant quota set \
	    --org org-001 --max-cpu 100
	run -7 esctl --as-org org-001 --as-user mallory tenant quota set \
	    --user mallory --max-cpu 100
	run -7 esctl --as-org org-001 tenant quota set --max-cpu 100
	assert_equal "$(sql 'SELECT * FROM tenant_quota ORDER BY 1, 2')" "$before"
	# quota get and list show only the identity's own
	run -0 esctl --as-org org-001 --as-user mallory tenant quota get -o json
	echo "$output" | jq -e '.user == "mallory"'
	run -7 esctl --as-org org-001 --as-user mallory tenant quota get \
	    --user alice
	run -0 esctl --as-org org-001 --as-user mallory tenant quota list \
	    -o json
	assert_equal "$(jq -r '[.items[] | .user // "-"] | join(",")' <<<"$output")" \
	    "-,mallory"
}

@test "-o json of every tenant command parses, with snake_case names" {
	run -0 esctl tenant quota set --org org-001 --max-clusters 5 -o json
	echo "$output" | jq -e '.quota.max_clusters == 5'
	local c
	for c in "tenant list" "tenant containers --org org-001" \
	    "tenant show bob image-search" "tenant quota get --org org-001" \
	    "tenant quota list"; do
		run -0 esctl $c -o json
		echo "$output" | jq -e . >/dev/null || fail "$c: not JSON"
		if echo "$output" | jq -r '.. | objects | keys[]' | grep -q '[A-Z-]'; then
			fail "$c: key not snake_case"
		fi
	done
}

@test "-o yaml output reads back as the same data" {
	run -0 esctl tenant containers --org org-001 -o yaml
	local y=$output
	run -0 esctl tenant containers --org org-001 -o json
	local j=$output
	run -0 "$PYTHON" -c 'import sys, json, yaml
y = yaml.safe_load(sys.argv[1]); j = json.loads(sys.argv[2])
sys.exit(0 if y == j else 1)' "$y" "$j"
}
