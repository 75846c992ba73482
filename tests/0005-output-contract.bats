#!/usr/bin/env bats
# 0005: the output contract of esctl(1), OUTPUT, table-driven: every list
# and get/show command of the store x table, wide, json, yaml, name,
# jsonpath, custom-columns, --no-headers and --sort-by, with the JSON
# fields checked against the ones esctl(1) documents.  (Lists that read
# Kubernetes are covered by 0740 and 2001 with the same shape.)

load lib/common

# kind | command | a field to sort, select and show by
LISTS=(
	"deployment|deployment list|.namespace"
	"device|device list|.ci_code"
	"duty|duty list --all|.user_id"
	"duty|duty now|.user_id"
	"index|index list|.index_name"
	"document|index data vecs|.id"
	"k8s|k8s list|.clustername"
	"notification|notify list|.send_time"
	"order|order list|.order_number"
	"order|order stats|.orders"
	"report|report list|.service_name"
	"status|report stats|.count"
	"snapshot|snapshot list|.cpu_usage"
	"history|strategy history|.strategy_name"
	"strategy|strategy list|.name"
	"tenant|tenant containers --org o1|.namespace"
	"tenant|tenant list|.service_name"
	"quota|tenant quota list|.tenant_org_id"
	"usage|tenant usage --org o1|.service_name"
	"autoscale|autoscale policy list|.namespace"
	"decision|autoscale history|.action"
	"alert|metrics alerts|.metric"
	"maintenance|maintenance list|.ticket"
)

# kind | command | name field
ITEMS=(
	"deployment|deployment show o1-alice-search|.namespace"
	"index|index show vecs|.index_name"
	"k8s|k8s show prod-a|.clustername"
	"order|order show ESO-20240101-000001|.order_number"
	"strategy|strategy show cpu-high|.name"
	"tenant|tenant show alice search|.namespace"
	"device|device show CI-1|.ci_code"
	"autoscale|autoscale policy get o1-alice-search|.namespace"
	"maintenance|maintenance show MAINT|.order_number"
)

setup_file() {
	export ESCTL_DB=$BATS_FILE_TMPDIR/esctl.db
	export ESCTL_DATA_DIR=$BATS_FILE_TMPDIR/data
	export HOME=$BATS_FILE_TMPDIR XDG_CONFIG_HOME=$BATS_FILE_TMPDIR/c
	local e=$ESCTL_BIN f=$BATS_FILE_TMPDIR i s
	sq() { sqlite3 -batch "$ESCTL_DB" "$@"; }
	"$e" -q tenant quota set --org o1 --max-clusters 3 --max-cpu 8
	for s in prod-a prod-b; do
		sq "INSERT INTO k8s_cluster (created_at, updated_at, cluster_id,
		    clustername, status) VALUES ('2024-01-01T00:00:00Z',
		    '2024-01-01T00:00:00Z', lower(hex(randomblob(16))), '$s',
		    'running')"
	done
	{
		echo "cluster,collected_at,node_count,pod_count,cpu_capacity,cpu_allocatable,cpu_request,cpu_usage,mem_capacity,mem_allocatable,mem_request,mem_usage"
		for i in 0 1 2 3 4 5 6; do
			printf 'prod-a,2024-01-01T00:%02d:00Z,10,100,100,100,30,8%d,100,100,30,30\n' $((i * 5)) "$i"
		done
		# prod-b: usage unknown (empty), fractional values
		echo "prod-b,2024-01-01T00:00:00Z,3,20,50,48,10.5,,64,60,20,"
	} > "$f/tl.csv"
	"$e" -q snapshot import "$f/tl.csv"
	"$e" -q strategy create cpu-high -c prod-a -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --duration 15 --cooldown 30 \
	    --device-count 2
	"$e" -q strategy create mem-low -c prod-b -a pool_exit \
	    --memory-threshold 20 --memory-type usage --duration 15 \
	    --cooldown 30 --device-count 1
	printf '%s\n' 'ci_code,ip,cpu,memory,cluster,status' \
	    'CI-2,10.0.0.2,64,256,,available' \
	    'CI-1,10.0.0.1,32,128,prod-a,in_pool' \
	    'CI-3,10.0.0.3,32,128,prod-b,in_pool' > "$f/dev.csv"
	"$e" -q device import "$f/dev.csv" >/dev/null
	"$e" -q duty add --date 2024-01-01 --start 00:00 --end 00:00 \
	    --email ops@example.com alice
	"$e" -q duty add --date 2024-01-01 --start 00:00 --end 00:00 张伟
	"$e" -q strategy check --at 2024-01-01T00:30:00Z 2>/dev/null
	for s in search image; do
		sq "INSERT INTO tenant_container (id, tenant_org_id, user,
		    service_name, namespace, status, created_at, updated_at)
		    VALUES ('id-$s', 'o1', 'alice', '$s', 'o1-alice-$s',
		    'created', '2024-01-01T00:00:00Z', '2024-01-01T00:10:00Z')"
		sq "INSERT INTO deployment_status (id, tenant_org_id, namespace,
		    user, service_name, status, created_at, updated_at) VALUES
		    ('id-$s', 'o1', 'o1-alice-$s', 'alice', '$s', 'running',
		    '2024-01-01T00:00:00Z', '2024-01-01T00:10:00Z')"
		sq "INSERT INTO deployment_report (report_id, tenant_org_id,
		    user, service_name, namespace, status, message, timestamp,
		    details, created_at) VALUES ('r-$s', 'o1', 'alice', '$s',
		    'o1-alice-$s', 'completed', 'done', '2024-01-01T00:05:00Z',
		    '{}', '2024-01-01T00:05:00Z')"
		sq "INSERT INTO usage_event (tenant_org_id, user, service_name,
		    namespace, event, replicas, cpu_limit, mem_limit, disk_size,
		    gpu_count, at, at_unix) VALUES ('o1', 'alice', '$s',
		    'o1-alice-$s', 'create', 2, '2', '2Gi', '10Gi', 0,
		    '2024-01-01T00:00:00Z', 1704067200)"
	done
	"$e" -q index create -d 4 --nlist 2 vecs
	printf '%s\n' '{"id":"d2","vector":[1,0,0,0]}' \
	    '{"id":"d1","vector":[0,1,0,0]}' \
	    '{"id":"d3","vector":[0,0,1,0.5],"fields":{"c":"红"}}' \
	    > "$f/v.jsonl"
	"$e" -q index add vecs "$f/v.jsonl"
	"$e" -q index build vecs >/dev/null
	# autoscale, metrics and maintenance lists
	"$e" -q autoscale policy set o1-alice-search --max 4 --cpu 70
	"$e" -q autoscale policy set o1-alice-image --max 3 --qps 50
	for s in search image; do
		echo '{"namespace":"o1-alice-'$s'","container_name":"elasticsearch-0","cpu_usage":99,"memory_usage":97.5,"qps":5,"timestamp":"2024-01-01T00:59:00Z","status":"running"}'
	done | ESCTL_NOW=2024-01-01T01:00:00Z "$e" -q metrics ingest -
	sq "INSERT INTO autoscale_decision (namespace, at, at_unix, action,
	    current_replicas, desired_replicas, ratio, reason, details)
	    VALUES ('o1-alice-search', '2024-01-01T00:50:00Z', 1704070200,
	    'scale_up', 2, 4, 1.41, 'cpu 99% over target 70%', '{}'),
	    ('o1-alice-image', '2024-01-01T00:55:00Z', 1704070500,
	    'none', 1, 1, NULL, 'no samples', '{}')"
	for s in 1 3; do
		ESCTL_NOW=2024-01-01T01:00:00Z \
		    "$e" -q maintenance request --device CI-$s \
		    --start 2024-01-0${s}T00:00:00Z --end 2024-01-0${s}T02:00:00Z \
		    --ticket T-$s --reason "disk $s"
	done
	"$e" maintenance list -o jsonpath='{.items[0].order_number}' \
	    > "$f/maint"
}

setup() {
	common_setup
	export ESCTL_DB=$BATS_FILE_TMPDIR/esctl.db
	export ESCTL_DATA_DIR=$BATS_FILE_TMPDIR/data
	export ESCTL_NOW=2024-01-01T01:00:00Z
}

# The fields esctl(1) documents for a list ("duty list"), one a line.
documented_fields() {
	awk -v cmd="$1" '
	    /^\.Ss List fields/ { on = 1; next }
	    on && /^\.Ss / { on = 0 }
	    on && /^\.It Cm / { sub(/^\.It Cm /, ""); cur = $0; next }
	    on && cur == cmd && /^\.Li / {
		sub(/^\.Li /, ""); gsub(/ ,/, ""); n = split($0, w, " ")
		for (i = 1; i <= n; i++) print w[i]
	    }' "$ESCTL_TOP/man/esctl.1"
}

@test "every list: json and yaml are one List of documented fields" {
	local row kind cmd field doc
	for row in "${LISTS[@]}"; do
		IFS='|' read -r kind cmd field <<<"$row"
		run -0 --separate-stderr esctl $cmd -o json
		jq -e '.kind == "List" and (.items | type == "array") and
		    (.items | length > 0) and (keys == ["items", "kind"])' \
		    <<<"$output" || fail "$cmd: not a List: $output"
		doc=$(documented_fields "${cmd%% --*}" | sed 's/ vecs$//')
		[ -n "$doc" ] || doc=$(documented_fields "${cmd% vecs}")
		[ -n "$doc" ] || fail "$cmd: no fields in esctl(1) List fields"
		extra=$(jq -r '[.items[] | keys[]] | unique[]' <<<"$output" |
		    grep -vxF -f <(printf '%s\n' "$doc") || true)
		[ -z "$extra" ] || fail "$cmd: undocumented fields: $extra"
		# times are RFC 3339 UTC; no long binary fractions anywhere
		jq -e '[.. | objects | to_entries[] |
		    select(.key | test("(_at|^timestamp|^(execution|send|read|completion|maintenance_start|maintenance_end)_time)$")) | .value |
		    select(. != null)] | all(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))' \
		    <<<"$output" || fail "$cmd: a time is not RFC 3339 UTC"
		if grep -Eq '[0-9]\.[0-9]{16}' <<<"$output"; then
			fail "$cmd: a number beyond declared precision"
		fi
		json=$output
		run -0 --separate-stderr esctl $cmd -o yaml
		[ "$("$PYTHON" -c 'import json, sys, yaml
print(json.dumps(yaml.safe_load(sys.stdin), sort_keys=True))' <<<"$output")" = \
		    "$(jq -cS . <<<"$json" | "$PYTHON" -c 'import json, sys
print(json.dumps(json.load(sys.stdin), sort_keys=True))')" ] ||
		    fail "$cmd: yaml differs from json"
	done
}

@test "streams: report log is JSON lines and YAML documents of documented fields" {
	local doc
	doc=$(documented_fields "report log")
	[ -n "$doc" ]
	run -0 --separate-stderr esctl report log -o json
	[ "${#lines[@]}" -gt 1 ]
	# every line one object, with exactly the documented fields
	[ "$(jq -c 'keys' <<<"$output" | sort -u)" = \
	    "$(printf '%s\n' "$doc" | jq -Rsc 'split("\n") | map(select(. != "")) | sort')" ]
	run -0 jq -r .time <<<"$output"
	run -1 grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$output"
	json=$(esctl report log -o json | jq -cS .)
	run -0 --separate-stderr esctl report log -o yaml
	[ "$("$PYTHON" -c 'import json, sys, yaml
for d in yaml.safe_load_all(sys.stdin): print(json.dumps(d, sort_keys=True, separators=(",", ":")))' <<<"$output")" = "$json" ]
	run -0 esctl report log -o name
	[ "$output" = "$(jq -r '"report/\(.report_id)"' <<<"$json")" ]
}

@test "every list: table, wide, --no-headers, name" {
	local row kind cmd field n
	for row in "${LISTS[@]}"; do
		IFS='|' read -r kind cmd field <<<"$row"
		n=$(esctl $cmd -o json | jq '.items | length')
		run -0 --separate-stderr esctl $cmd
		[ "${#lines[@]}" -eq $((n + 1)) ] || fail "$cmd: table rows"
		[[ ${lines[0]} =~ ^[A-Z] ]] || fail "$cmd: no header"
		header=${lines[0]}
		run -0 --separate-stderr esctl $cmd -o wide
		[ "${#lines[@]}" -eq $((n + 1)) ] || fail "$cmd: wide rows"
		[ "${#lines[0]}" -ge "${#header}" ] || fail "$cmd: wide narrower"
		run -0 --separate-stderr esctl $cmd --no-headers
		[ "${#lines[@]}" -eq "$n" ] || fail "$cmd: --no-headers rows"
		[ "${lines[0]}" != "$header" ] || fail "$cmd: header printed"
		run -0 --separate-stderr esctl $cmd -o name
		[ "${#lines[@]}" -eq "$n" ] || fail "$cmd: -o name lines"
		for l in "${lines[@]}"; do
			[[ $l == "$kind/"?* ]] || fail "$cmd: -o name gave '$l'"
		done
	done
}

@test "every list: jsonpath, custom-columns and --sort-by agree with json" {
	local row kind cmd field want got
	for row in "${LISTS[@]}"; do
		IFS='|' read -r kind cmd field <<<"$row"
		json=$(esctl $cmd -o json)
		want=$(jq -r ".items[] | $field // \"\"" <<<"$json")
		run -0 esctl $cmd -o "jsonpath={range .items[*]}{$field}{\"\\n\"}{end}"
		[ "$output" = "$want" ] || fail "$cmd: jsonpath: $output"
		run -0 esctl $cmd -o="jsonpath={.items[*]$field}"
		[ "$output" = "$(jq -r "[.items[] | $field | select(. != null) |
		    tostring] | join(\" \")" <<<"$json")" ] ||
		    fail "$cmd: jsonpath [*]: $output"
		run -0 esctl $cmd --output "custom-columns=KEY:$field" --no-headers
		[ "$output" = "$(jq -r ".items[] | $field // \"<none>\"" \
		    <<<"$json" | sed 's/^\(-\?[0-9]*\.[0-9]\{2\}\)[0-9]*$/\1/')" ] ||
		    fail "$cmd: custom-columns: $output"
		# --sort-by: the same order as jq's stable sort, nulls last
		run -0 esctl $cmd --output=json --sort-by "$field"
		got=$(jq -c "[.items[] | $field]" <<<"$output")
		want=$(jq -c "[.items[] | $field] | (map(select(. != null)) |
		    sort) + map(select(. == null))" <<<"$json")
		[ "$got" = "$want" ] || fail "$cmd: --sort-by $field: $got"
		# and the table rows follow it
		run -0 esctl $cmd -o name --sort-by "{$field}"
		[ "${#lines[@]}" -eq "$(jq '.items | length' <<<"$json")" ]
	done
}

@test "every get/show: one object in every format" {
	local row kind cmd field name
	for row in "${ITEMS[@]}"; do
		IFS='|' read -r kind cmd field <<<"$row"
		cmd=${cmd/MAINT/$(cat "$BATS_FILE_TMPDIR/maint")}
		run -0 --separate-stderr esctl $cmd -o json
		jq -e 'type == "object" and (has("kind") | not) and
		    (has("items") | not)' <<<"$output" ||
		    fail "$cmd: not one object"
		name=$(jq -r "$field" <<<"$output")
		json=$output
		run -0 esctl $cmd -o yaml
		[ "$("$PYTHON" -c 'import json, sys, yaml
print(json.dumps(yaml.safe_load(sys.stdin), sort_keys=True))' <<<"$output")" = \
		    "$(jq -S . <<<"$json" | "$PYTHON" -c 'import json, sys
print(json.dumps(json.load(sys.stdin), sort_keys=True))')" ]
		run -0 esctl $cmd -o name
		[ "$output" = "$kind/$name" ] || fail "$cmd: -o name: $output"
		run -0 esctl $cmd -o "jsonpath={$field}"
		[ "$output" = "$name" ] || fail "$cmd: jsonpath: $output"
		run -0 esctl $cmd -o "custom-columns=NAME:$field"
		[ "$output" = "$(printf 'NAME\n%s' "$name")" ] ||
		    fail "$cmd: custom-columns: $output"
		run -0 esctl $cmd
		[ -n "$output" ]
	done
}

@test "-o spellings: -o json, -o=json, -ojson, --output json, --output=json" {
	want=$(esctl -o json strategy list)
	for o in "-o=json" "-ojson" "--output=json"; do
		run -0 esctl strategy list "$o"
		[ "$output" = "$want" ] || fail "$o"
	done
	run -0 esctl --output json strategy list
	[ "$output" = "$want" ]
}

@test "bad formats, templates and sort paths are usage errors" {
	run -2 --separate-stderr esctl strategy list -o xml
	[[ $stderr == *"invalid output format 'xml'"* ]]
	run -2 --separate-stderr esctl strategy list -o 'jsonpath={.items[?(@.id==1)]}'
	[[ $stderr == *"filters"*"not supported"* ]]
	run -2 --separate-stderr esctl strategy list -o 'jsonpath={range .items[*]}{.id}'
	[[ $stderr == *"'range' without 'end'"* ]]
	run -2 --separate-stderr esctl strategy list -o custom-columns=NAME
	[[ $stderr == *"is not HEADER:.field"* ]]
	run -2 --separate-stderr esctl strategy list --sort-by name
	[[ $stderr == *"--sort-by"*"not a field path"* ]]
}

@test "tables measure display width: CJK names align" {
	run -0 esctl duty list --all -o custom-columns=USER:.user_id,DATE:.duty_date
	# the DATE column starts at the same display column on every line
	cols=$(printf '%s\n' "${lines[@]}" | "$PYTHON" -c '
import sys, unicodedata
for l in sys.stdin.read().splitlines():
    i = l.index("2024") if "2024" in l else l.index("DATE")
    print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l[:i]))' | sort -u)
	[ "$cols" = 8 ] || fail "columns: $cols"
}

@test "unknown numbers are null in JSON and <none> in tables, never 0" {
	run -0 esctl snapshot list --cluster prod-b -o json
	[ "$(jq -c '.items[0] | [.cpu_usage, .mem_usage, .cpu_request]' <<<"$output")" = '[null,null,10.5]' ]
	run -0 esctl snapshot list --cluster prod-b
	[[ ${lines[1]} == *"<none>"* ]]
	# live usage of a service that nobody measured (deployment_status)
	run -0 esctl deployment show o1-alice-search -o json
	[ "$(jq -c '[.cpu_usage, .memory_usage, .disk_usage, .qps]' <<<"$output")" = '[null,null,null,null]' ]
	run -0 esctl deployment list -o wide
	[[ ${lines[1]} != *" 0 "* ]]
	[[ ${lines[1]} == *"<none>"* ]]
}
