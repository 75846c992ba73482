#!/usr/bin/env bats
# 2003: deployment reports - the outbox when the report service is down,
# delivery at least once with stable report ids, report list/show/log/stats.

load lib/common
load lib/kube
load lib/lifecycle

NS=org-001-alice-search

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
}

teardown() {
	cluster_teardown
}

# Points report.url at a port nobody listens on; sets DOWN_PORT.
receiver_down() {
	DOWN_PORT=$(free_port)
	write_config <<-EOF
	report:
	  url: http://127.0.0.1:$DOWN_PORT/report
	  token: report-secret
	  timeout: 2s
	EOF
}

@test "report service down: the create succeeds, the outbox keeps the reports" {
	receiver_down
	run -0 esctl cluster create --org org-001 --user alice --service search
	assert_equal "$(sql "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL")" 10
	# only the oldest was tried: the rest wait their turn
	assert_equal "$(sql "SELECT sum(attempts) FROM report_outbox")" 1
	run -0 esctl report list -o json
	assert_equal "$(jq -r '.items | [.[].delivery] | unique | join(",")' <<<"$output")" pending
	# the other three places have everything
	assert_equal "$(file_statuses alice search)" "$TEN_STATUSES"
	assert_equal "$(log_statuses alice search)" "$TEN_STATUSES"
	# flush while still down: exit 6, nothing lost
	run -6 --separate-stderr esctl report flush
	[[ $stderr == *"10 still in the outbox"* ]]
	assert_equal "$(sql "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL")" 10
}

@test "report flush delivers the outbox once when answered, in order" {
	receiver_down
	run -0 esctl cluster create --org org-001 --user alice --service search
	# the receiver comes back on that port
	RECV_PORT=$DOWN_PORT
	RECV_LOG=$BATS_TEST_TMPDIR/back.jsonl
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" \
	    --log "$RECV_LOG" --pidfile "$BATS_TEST_TMPDIR/recv-back.pid" 3>&- &
	wait_port "$RECV_PORT"
	run -0 esctl report flush
	assert_output "10 report(s) delivered, outbox empty"
	assert_equal "$(posted_statuses alice search)" "$TEN_STATUSES"
	# again: nothing more is sent
	run -0 esctl report flush
	assert_output "0 report(s) delivered, outbox empty"
	assert_equal "$(jq -s 'map(select(.method == "POST")) | length' "$RECV_LOG")" 10
	# the POSTs carry the token and the report id
	assert_equal "$(jq -r 'select(.method == "POST") | .headers.Authorization' "$RECV_LOG" | sort -u)" \
	    "Bearer report-secret"
	assert_equal "$(jq -r 'select(.method == "POST") | .headers["X-Esctl-Report-Id"]' "$RECV_LOG" | sort -u | wc -l)" 10
	run -0 esctl report list -o json
	assert_equal "$(jq -r '.items | [.[].delivery] | unique | join(",")' <<<"$output")" delivered
	[[ "$(esctl report flush -o json)" == *'"pending": 0'* ]]
}

@test "later runs deliver what waits first; order is kept" {
	# the receiver refuses the first delivery (--fail-first 1)
	stop_receivers
	start_receiver --fail-first 1
	write_config <<-EOF
	report:
	  url: $RECV_URL/report
	EOF
	run -0 esctl cluster create --org org-001 --user alice --service one
	# one failed try, nine waiting behind it
	assert_equal "$(sql "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL")" 10
	# a later create sends the waiting ones first (retry time reached)
	sql "UPDATE report_outbox SET next_retry_at = 0"
	run -0 esctl cluster create --org org-001 --user alice --service two
	assert_equal "$(sql "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL")" 0
	assert_equal "$(posted_statuses alice one)" "$TEN_STATUSES"
	assert_equal "$(posted_statuses alice two)" "$TEN_STATUSES"
	# every "one" report arrived before any "two" report
	run -0 jq -rs '[.[] | select(.method == "POST" and .status == 200) |
	    .json.service_name] | join(" ")' "$RECV_LOG"
	assert_output "$(printf 'one %.0s' {1..10})$(printf 'two %.0s' {1..9})two"
}

@test "report list, show, stats and log" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster create --org org-001 --user bob --service other \
	    --no-kibana
	run -0 esctl report list --user alice
	[ "${#lines[@]}" -eq 11 ]	# header + ten
	run -0 esctl report list --status completed -o json
	assert_equal "$(jq -r '.items | [.[].user] | join(",")' <<<"$output")" alice,bob
	run -0 esctl report list --limit 2 -o json
	assert_equal "$(jq -r '.items | [.[] | "\(.user):\(.status)"] | join(",")' <<<"$output")" \
	    "bob:tenant_synced,bob:completed"
	run -0 esctl report show alice search -o json
	assert_equal "$(jq -r '"\(.status) \(.message) \(.delivery)"' <<<"$output")" \
	    "completed Cluster creation completed successfully delivered"
	assert_equal "$(jq -c 'keys_unsorted[:8]' <<<"$output")" \
	    '["user","service_name","namespace","tenant_org_id","status","message","timestamp","details"]'
	run -0 esctl report show alice search --all -o json
	assert_equal "$(jq '.items | length' <<<"$output")" 10
	run -3 esctl report show alice nothing
	run -0 esctl report stats alice search -o json
	assert_equal "$(jq -c '.items | [.[] | .count]' <<<"$output")" '[1,1,1,1,1,1,1,1,1,1,0]'
	assert_equal "$(jq -r '.items | [.[].status] | join(" ")' <<<"$output")" \
	    "$TEN_STATUSES failed"
	run -0 esctl report stats -o json
	assert_equal "$(jq -r '.items | .[] | select(.status == "starting") | .count' <<<"$output")" 2
	run -0 esctl report log
	[ "${#lines[@]}" -eq 20 ]
	diff <(esctl report log) "$ESCTL_DATA_DIR/deployment.log"
	run -0 esctl report log --lines 2
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 1 --partial "User: bob, Service: other, Namespace: org-001-bob-other, Status: completed"
	# within a scope, from the database: the same lines
	run -0 esctl --as-org org-001 --as-user bob report log
	[ "${#lines[@]}" -eq 10 ]
	diff <(esctl --as-org org-001 --as-user bob report log) \
	    <(grep 'User: bob,' "$ESCTL_DATA_DIR/deployment.log")
}

@test "report log -o json, yaml, name: one record per report" {
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster create --org org-001 --user bob --service other \
	    --no-kibana
	run -0 --separate-stderr esctl report log -o json
	[ "${#lines[@]}" -eq 20 ]
	# one object a line, the documented keys, the log's order and text
	run -0 jq -c 'keys_unsorted' <<<"$output"
	[ "$(sort -u <<<"$output")" = \
	    '["time","user","service","namespace","status","message","report_id"]' ]
	diff <(esctl report log -o json | jq -r '"\(.time) - User: \(.user), Service: \(.service), Namespace: \(.namespace), Status: \(.status), Message: \(.message)"') \
	    "$ESCTL_DATA_DIR/deployment.log"
	run -0 jq -r .time < <(esctl report log -o json)
	[ "${#lines[@]}" -eq 20 ]
	run -1 grep -vE \
	    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$' \
	    <<<"$output"
	# the ids are the ones report list prints
	diff <(esctl report log -o json | jq -r .report_id) \
	    <(esctl report list -o json | jq -r '.items[].report_id')
	run -0 esctl report log -o name --lines 2
	assert_equal "$output" "$(esctl report list -o json |
	    jq -r '.items[-2:][] | "report/\(.report_id)"')"
	run -0 esctl --as-org org-001 --as-user bob report log -o json
	[ "${#lines[@]}" -eq 10 ]
	[ "$(jq -r .user <<<"$output" | sort -u)" = bob ]
	run -0 esctl report log -o yaml --lines 3
	[ "$(grep -c '^---$' <<<"$output")" -eq 3 ]
	run -0 "$PYTHON" -c 'import sys, yaml
docs = list(yaml.safe_load_all(sys.stdin))
print(len(docs), docs[-1]["user"], docs[-1]["status"])' <<<"$output"
	assert_output "3 bob completed"
	run -0 esctl report log -o 'jsonpath={.status}{"\n"}' --lines 1
	assert_output completed
	run -2 --separate-stderr esctl report log -o custom-columns=S:.status
	[[ $stderr == *"report log prints a stream"* ]]
}

# Runs "esctl report log -f ARGS..." into $BATS_TEST_TMPDIR/follow.out
# while two services are created after a first one (20 new reports), and
# stops it once 20 lines came.
follow_two_creates() {
	run -0 esctl cluster create --org org-001 --user alice --service search
	"$ESCTL_BIN" report log -f "$@" > "$BATS_TEST_TMPDIR/follow.out" &
	local pid=$!
	sleep 0.5
	run -0 esctl cluster create --org org-001 --user bob --service other
	kube_sim_wait 5 bash -c "[ \$(wc -l < '$BATS_TEST_TMPDIR/follow.out') -eq 20 ]"
	kill "$pid"
	wait "$pid" || true
}

@test "report log -f -o json: JSON lines as reports come" {
	follow_two_creates -o json
	run -0 jq -r .user "$BATS_TEST_TMPDIR/follow.out"
	[ "$(sort <<<"$output" | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" = "10alice 10bob " ]
}

@test "report log -f follows new lines" {
	follow_two_creates
	[ "$(wc -l < "$BATS_TEST_TMPDIR/follow.out")" -eq 20 ]
}

# The delay before the next automatic try doubles from 5 s per failed
# attempt, up to an hour.  ESCTL_NOW fixes the outbox clock, so the
# schedule is exact: next_retry_at - now after each failure.
@test "the outbox retry schedule: 5 s doubling per failure, at most 1 h" {
	receiver_down
	export ESCTL_NOW=2024-03-01T00:00:00Z
	local now=1709251200 n=0 want got
	run -0 esctl cluster create --org org-001 --user alice --service search
	for want in 5 10 20 40 80 160 320 640 1280 2560 3600 3600; do
		got=$(sql "SELECT next_retry_at - $now, attempts FROM report_outbox
		    ORDER BY id LIMIT 1")
		n=$((n + 1))
		assert_equal "$got" "$want|$n"
		run -6 esctl report flush
	done
	# the others were never tried: a round stops at the first failure
	assert_equal "$(sql "SELECT count(*) FROM report_outbox WHERE attempts > 0")" 1
	# without force, nothing is tried before the retry time ...
	export ESCTL_NOW=2024-03-01T00:59:59Z
	run -0 esctl cluster list
	assert_equal "$(sql "SELECT attempts FROM report_outbox ORDER BY id LIMIT 1")" 13
	# ... and it is tried once the time has come
	export ESCTL_NOW=2024-03-01T01:00:00Z
	run -0 esctl cluster create --org org-001 --user alice --service two
	assert_equal "$(sql "SELECT attempts FROM report_outbox ORDER BY id LIMIT 1")" 14
}

@test "the report URL's password is never printed or stored" {
	DOWN_PORT=$(free_port)
	write_config <<-EOF
	report:
	  url: http://rep:s3cr3t-pw@127.0.0.1:$DOWN_PORT/report
	  timeout: 2s
	EOF
	run -0 --separate-stderr esctl -vv cluster create --org org-001 \
	    --user alice --service search
	[[ "$output$stderr" != *s3cr3t* ]]
	assert_equal "$(sql "SELECT DISTINCT url FROM report_outbox")" \
	    "http://127.0.0.1:$DOWN_PORT/report"
	[[ "$(sql .dump)" != *s3cr3t* ]]
	run -6 --separate-stderr esctl report flush
	[[ $stderr == *"http://***@127.0.0.1:$DOWN_PORT/report"* ]]
	[[ "$output$stderr" != *s3cr3t* ]]
	run -6 --separate-stderr esctl -o json report flush
	[[ "$output$stderr" != *s3cr3t* ]]
	run -6 --separate-stderr esctl -vv report flush
	[[ "$output$stderr" != *s3cr3t* ]]
	# delivery takes the credentials from the configuration
	RECV_PORT=$DOWN_PORT
	RECV_LOG=$BATS_TEST_TMPDIR/back.jsonl
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" \
	    --log "$RECV_LOG" --pidfile "$BATS_TEST_TMPDIR/recv-back.pid" 3>&- &
	wait_port "$RECV_PORT"
	run -0 --separate-stderr esctl -vv report flush
	[[ "$output$stderr" != *s3cr3t* ]]
	assert_equal "$(jq -r 'select(.method == "POST") | .headers.Authorization' "$RECV_LOG" | sort -u)" \
	    "Basic $(printf rep:s3cr3t-pw | base64)"
}

# Migration 6 on a database of an older esctl: tests/unit/test-store.c
# (store/migration6), on a genuine version-5 database.

@test "a slow receiver gets a report again, with the same id; the docs say so" {
	local slow=$BATS_TEST_TMPDIR/slow.jsonl fast=$BATS_TEST_TMPDIR/fast.jsonl
	RECV_PORT=$(free_port)
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" --delay 3 \
	    --log "$slow" --pidfile "$BATS_TEST_TMPDIR/recv-slow.pid" 3>&- &
	wait_port "$RECV_PORT"
	write_config <<-EOF
	report:
	  url: http://127.0.0.1:$RECV_PORT/report
	  timeout: 1s
	EOF
	run -0 esctl cluster create --org org-001 --user alice --service search
	# the receiver got the first report, esctl never saw the answer
	local pid i
	for ((i = 0; i < 100; i++)); do
		[ -s "$slow" ] && break
		sleep 0.1
	done
	pid=$(cat "$BATS_TEST_TMPDIR/recv-slow.pid")
	kill "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" \
	    --log "$fast" --pidfile "$BATS_TEST_TMPDIR/recv-fast.pid" 3>&- &
	wait_port "$RECV_PORT"
	run -0 esctl report flush
	local first
	first=$(jq -r 'select(.method == "POST") | .headers["X-Esctl-Report-Id"]' "$slow" | head -1)
	[ -n "$first" ]
	assert_equal "$(jq -r 'select(.method == "POST") | .headers["X-Esctl-Report-Id"]' "$fast" | head -1)" "$first"
	assert_equal "$(jq -r 'select(.method == "POST") | .headers["X-Esctl-Report-Id"]' "$fast" | sort -u | wc -l)" 10
	# and that is what README and esctl-report(1) promise
	grep -q 'at least once, each report id stable; receivers deduplicate' \
	    "$ESCTL_TOP/README.md"
	grep -q 'at least once, each report id stable; receivers deduplicate' \
	    "$ESCTL_TOP/man/esctl-report.1"
	run -1 grep -il 'never sent twice' "$ESCTL_TOP/README.md" \
	    "$ESCTL_TOP/man/esctl-report.1"
}
