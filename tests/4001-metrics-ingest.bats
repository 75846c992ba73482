#!/usr/bin/env bats
# metrics ingest: validation, one transaction per batch, idempotent
# retries, retention and threshold alerts.

load lib/common
load lib/metrics

setup() {
	common_setup
	export ESCTL_NOW=2026-12-07T12:00:00Z
	write_cfg
	seed_service es-a 2
}

write_cfg() {
	export ESCTL_CONFIG=$BATS_TEST_TMPDIR/config.yaml
	cat > "$ESCTL_CONFIG" <<-YAML
	metrics:
	  alerts:
	    cpu_usage: 90
	    repeat_interval: 1h
	    services:
	      es-b:
	        cpu_usage: 50
	YAML
}

count() {
	sql "SELECT count(*) FROM metric_report"
}

@test "an object, an array and NDJSON are stored; missing metrics stay NULL" {
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 \
	    '"cpu_usage":12.5,"qps":40,"timestamp":"2026-12-07T11:59:00Z"')"
	assert_output "1 report stored"
	run -0 esctl metrics ingest - <<< "[$(report es-a elasticsearch-0 \
	    '"cpu_usage":13,"timestamp":1796644200'),$(report es-a \
	    elasticsearch-1 '"memory_usage":70,"timestamp":1796644200000')]"
	assert_output "2 reports stored"
	{
		report es-a elasticsearch-0 '"disk_usage":40,"timestamp":"2026-12-07T19:58:00+08:00"'
		echo
		report es-a elasticsearch-1 '"plugin_qps":3,"status":"ok"'
	} > "$BATS_TEST_TMPDIR/r.ndjson"
	run -0 esctl -o json metrics ingest "$BATS_TEST_TMPDIR/r.ndjson"
	[ "$(jq .accepted <<< "$output")" = 2 ]
	[ "$(count)" = 5 ]
	# 19:58+08:00 is 11:58Z; seconds and milliseconds agree.
	run -0 sql "SELECT ts FROM metric_report WHERE disk_usage = 40"
	[ "$output" = "$(( $(date -d 2026-12-07T11:58:00Z +%s) * 1000 ))" ]
	run -0 sql "SELECT count(*) FROM metric_report WHERE ts = 1796644200000"
	[ "$output" = 2 ]
	run -0 sql "SELECT cpu_usage IS NULL, qps IS NULL FROM metric_report
	    WHERE memory_usage = 70"
	[ "$output" = "1|1" ]
	# No timestamp: the time of receipt.
	run -0 sql "SELECT ts FROM metric_report WHERE plugin_qps = 3"
	[ "$output" = "$(( $(date -d "$ESCTL_NOW" +%s) * 1000 ))" ]
}

@test "a retried report replaces itself instead of counting twice" {
	local r
	r=$(report es-a elasticsearch-0 '"qps":10,"timestamp":"2026-12-07T11:00:00Z"')
	run -0 esctl metrics ingest - <<< "$r"
	run -0 esctl metrics ingest - <<< "$r"
	[ "$(count)" = 1 ]
}

@test "bad records: index and reason each, nothing stored, exit 2" {
	local before
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"qps":1')"
	before=$(db_dump)
	{
		report es-a elasticsearch-0 '"cpu_usage":10'
		echo '{"namespace": "es-a", broken'
		report es-a elasticsearch-0 '"cpu_usage":"10"'
		report es-a elasticsearch-0 '"cpu_usage":100.5'
		report es-a elasticsearch-0 '"qps":-1'
		report es-zz elasticsearch-0 '"qps":1'
		report es-a elasticsearch-2 '"qps":1'
		report es-a elasticsearch-0 '"qps":1,"cpu_usge":3'
		report es-a elasticsearch-0 '"qps":1,"timestamp":"2026-12-07T12:06:00Z"'
		report es-a elasticsearch-0 '"qps":1,"timestamp":"yesterday"'
		report es-a "" '"qps":1'
		report es-a elasticsearch-0 '"status":"ok"'
		echo '[1]'
	} > "$BATS_TEST_TMPDIR/bad.ndjson"
	run -2 --separate-stderr esctl metrics ingest "$BATS_TEST_TMPDIR/bad.ndjson"
	assert_equal "$(db_dump)" "$before"
	[ -z "$output" ]
	output=$stderr
	lines=("${stderr_lines[@]}")
	assert_line "esctl: record 1: malformed JSON on line 2"
	assert_line "esctl: record 2: field 'cpu_usage' must be a number, not a string"
	assert_line "esctl: record 3: field 'cpu_usage' is 100.5: a percentage is 0 to 100"
	assert_line "esctl: record 4: field 'qps' is -1: it cannot be negative"
	assert_line "esctl: record 5: unknown namespace 'es-zz' (no ES service)"
	assert_line "esctl: record 6: unknown container 'elasticsearch-2' in namespace 'es-a' (pods are elasticsearch-0 to elasticsearch-1)"
	assert_line "esctl: record 7: unknown field 'cpu_usge'"
	assert_line "esctl: record 8: field 'timestamp' is 360 s in the future (more than the allowed clock skew of 300 s)"
	assert_line --partial "esctl: record 9: field 'timestamp' 'yesterday' is not an RFC 3339 time"
	assert_line "esctl: record 10: field 'container_name' is required"
	assert_line "esctl: record 12: a report must be a JSON object"
	assert_line "esctl: error: 11 of 13 reports rejected, nothing stored; record 1: malformed JSON on line 2"
	refute_line --partial "record 0:"
	refute_line --partial "record 11:"
}

@test "a body that is not JSON at all, or empty, is refused" {
	local before
	before=$(db_dump)
	run -2 esctl metrics ingest - <<< '[{"namespace": "es-a",'
	assert_output --partial "malformed JSON array near byte 22"
	printf '{"namespace": "es-a", "qps": 1x}' > "$BATS_TEST_TMPDIR/bad"
	run -2 esctl metrics ingest "$BATS_TEST_TMPDIR/bad"
	assert_output --partial "malformed JSON near byte 30"
	# a second array after the first is not silently dropped
	run -2 esctl metrics ingest - <<-EOF
	[$(report es-a elasticsearch-0 '"qps":1')]
	[$(report es-a elasticsearch-1 '"qps":2')]
	EOF
	assert_output --partial "text after the array at byte"
	run -2 esctl metrics ingest - < /dev/null
	assert_output --partial "the input is empty"
	run -3 esctl metrics ingest "$BATS_TEST_TMPDIR/none.json"
	assert_output --partial "cannot read"
	assert_equal "$(db_dump)" "$before"
}

@test "--skip-invalid stores the valid records and lists the others" {
	run -0 --separate-stderr esctl metrics ingest --skip-invalid - <<-EOF
	$(report es-a elasticsearch-0 '"qps":1')
	$(report es-a elasticsearch-0 '"qps":"x"')
	$(report es-a elasticsearch-1 '"qps":2')
	EOF
	assert_output "2 reports stored, 1 rejected"
	[ "$stderr" = "esctl: record 1: field 'qps' must be a number, not a string" ]
	[ "$(count)" = 2 ]
}

@test "--dry-run validates and stores nothing" {
	run -0 esctl --dry-run metrics ingest - <<< "$(report es-a elasticsearch-0 '"qps":1')"
	assert_output "1 report valid (dry run: nothing stored)"
	[ "$(count)" = 0 ]
}

@test "a deleted service no longer takes reports" {
	sql "UPDATE deployment_status SET status = 'deleted'"
	run -2 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"qps":1')"
	assert_output --partial "unknown namespace 'es-a'"
}

@test "prune deletes what is older than the retention, nothing else" {
	{
		report es-a elasticsearch-0 '"qps":1,"timestamp":"2026-10-01T00:00:00Z"'
		report es-a elasticsearch-0 '"qps":2,"timestamp":"2026-11-07T11:59:59Z"'
		report es-a elasticsearch-0 '"qps":3,"timestamp":"2026-11-07T12:00:01Z"'
		report es-a elasticsearch-0 '"qps":4,"timestamp":"2026-12-07T11:00:00Z"'
	} | esctl metrics ingest -
	run -0 esctl --dry-run metrics prune --older-than 30d
	assert_output --partial "2 reports older than 30d would be deleted"
	[ "$(count)" = 4 ]
	run -0 esctl metrics prune --older-than 30d
	assert_output "2 reports older than 30d deleted"
	run -0 sql "SELECT qps FROM metric_report ORDER BY ts"
	assert_output "$(printf '3.0\n4.0')"
	run -2 esctl metrics prune
	assert_output --partial "'--older-than' is required"
	run -2 esctl metrics prune --older-than 5m
	assert_output --partial "under an hour"
}

@test "a breach notifies once, again after the repeat interval or after recovery" {
	local n
	notes() { sql "SELECT count(*) FROM notification_log"; }
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":80')"
	[ "$(notes)" = 0 ]
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":95')"
	assert_output "1 report stored (alert sent)"
	[ "$(notes)" = 1 ]
	run -0 sql "SELECT content FROM notification_log"
	assert_output --partial "cpu_usage 95% >= 90% in es-a/elasticsearch-0"
	# Still firing: no new notification ...
	export ESCTL_NOW=2026-12-07T12:30:00Z
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":97')"
	[ "$(notes)" = 1 ]
	# ... until the repeat interval has passed.
	export ESCTL_NOW=2026-12-07T13:00:00Z
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":97')"
	[ "$(notes)" = 2 ]
	# Recovery closes the alert with one "resolved" notification; a
	# new breach opens a new one.
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":40')"
	assert_output "1 report stored (alert resolved)"
	[ "$(notes)" = 3 ]
	run -0 sql "SELECT content FROM notification_log ORDER BY id DESC LIMIT 1"
	assert_output --partial "esctl alert resolved: cpu_usage 40% in es-a/elasticsearch-0"
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":30')"
	assert_output "1 report stored"
	[ "$(notes)" = 3 ]
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":91')"
	[ "$(notes)" = 4 ]
	run -0 esctl -o json metrics alerts es-a
	[ "$(jq '.items | length' <<< "$output")" = 2 ]
	[ "$(jq -r '.items[0].state' <<< "$output")" = firing ]
	[ "$(jq -r '.items[1].state' <<< "$output")" = resolved ]
	[ "$(jq -r '.items[1].notifications' <<< "$output")" = 3 ]
	# The other container has its own alert.
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-1 '"cpu_usage":99')"
	[ "$(notes)" = 5 ]
}

@test "per-service thresholds override the defaults" {
	seed_service es-b 1
	run -0 esctl metrics ingest - <<< "$(report es-b elasticsearch-0 '"cpu_usage":60')"
	assert_output "1 report stored (alert sent)"
	run -0 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"cpu_usage":60')"
	assert_output "1 report stored"
	run -0 esctl metrics alerts --firing -o name
	assert_output "alert/$(esctl metrics alerts --firing -o jsonpath='{.items[0].id}')"
	run -0 esctl metrics alerts --firing -o jsonpath='{.items[*].namespace}'
	assert_output es-b
}

@test "a bad threshold in the config is named" {
	cat >> "$ESCTL_CONFIG" <<-YAML
	        cpu_usge: 3
	YAML
	run -2 esctl metrics ingest - <<< "$(report es-a elasticsearch-0 '"qps":1')"
	assert_output --partial "unknown threshold 'cpu_usge' for service 'es-b'"
}
