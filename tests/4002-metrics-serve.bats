#!/usr/bin/env bats
# metrics serve: POST /report over real loopback HTTP (libmicrohttpd),
# auth, media types, size and rate limits, slow clients, graceful stop.

load lib/common
load lib/metrics

setup() {
	common_setup
	export ESCTL_CONFIG=$BATS_TEST_TMPDIR/config.yaml
	cat > "$ESCTL_CONFIG" <<-YAML
	metrics:
	  token: t0ken
	YAML
	seed_service es-a 2
	MS_PID=
}

teardown() {
	stop_metrics_server
	stop_receivers
}

count() {
	sql "SELECT count(*) FROM metric_report"
}

@test "a report POSTed is stored and answered 202 with the counts" {
	start_metrics_server
	run -0 post "[$(report es-a elasticsearch-0 '"qps":5'),$(report es-a elasticsearch-1 '"qps":7')]"
	assert_line --index 1 202
	[ "$(jq -c '[.accepted, .rejected]' <<< "${lines[0]}")" = "[2,0]" ]
	[ "$(count)" = 2 ]
	run -0 curl -sS -X POST -H 'Authorization: Bearer t0ken' \
	    -H 'Content-Type: application/x-ndjson' -w '\n%{http_code}\n' \
	    --data-binary "$(report es-a elasticsearch-0 '"qps":1,"timestamp":"2026-01-01T00:00:00Z"')" \
	    "$MS_URL/report"
	assert_line --index 1 202
	run -0 curl -sS "$MS_URL/healthz"
	assert_output '{"status":"ok"}'
}

@test "the server's stderr has only esctl's lines, not libmicrohttpd's own" {
	start_metrics_server -v
	run -0 post "$(report es-a elasticsearch-0 '"qps":5')"
	assert_line --index 1 202
	stop_metrics_server
	run -0 cat "$BATS_TEST_TMPDIR/serve.err"
	assert_line --partial "POST /report 202"
	refute_output --partial "MHD_OPTION"
	refute_output --partial "standard MHD logger"
	run -1 grep -v '^esctl: \|^terminated: \|^[0-9]* commits\?$' \
	    "$BATS_TEST_TMPDIR/serve.err"
}

@test "bad requests: 400, 401, 404, 405, 413, 415 as JSON; nothing stored; still serving" {
	local big=$BATS_TEST_TMPDIR/big
	start_metrics_server
	run -0 post '{"namespace": "es-a", '
	assert_line --index 1 400
	[ "$(jq -r .error.reason <<< "${lines[0]}")" = MalformedJSON ]
	run -0 post "$(report es-a elasticsearch-0 '"cpu_usage":"high"')"
	assert_line --index 1 400
	[ "$(jq -r '.rejects[0].reason' <<< "${lines[0]}")" = "field 'cpu_usage' must be a number, not a string" ]
	[ "$(jq -r .error.reason <<< "${lines[0]}")" = InvalidReport ]
	run -0 post "$(report es-a elasticsearch-0 '"disk_usage":101')"
	assert_line --index 1 400
	run -0 post "$(report es-nope elasticsearch-0 '"qps":1')"
	assert_line --index 1 400
	assert_line --index 0 --partial "unknown namespace 'es-nope'"
	run -0 curl -sS -X POST -H 'Content-Type: application/json' \
	    -w '\n%{http_code}\n' -d '{}' "$MS_URL/report"
	assert_line --index 1 401
	run -0 curl -sS -X POST -H 'Authorization: Bearer wrong' \
	    -H 'Content-Type: application/json' -w '\n%{http_code}\n' \
	    -d '{}' "$MS_URL/report"
	assert_line --index 1 401
	run -0 curl -sS -X POST -H 'Authorization: Bearer t0ken' \
	    -H 'Content-Type: text/plain' -w '\n%{http_code}\n' -d '{}' \
	    "$MS_URL/report"
	assert_line --index 1 415
	run -0 curl -sS -w '\n%{http_code}\n' "$MS_URL/report"
	assert_line --index 1 405
	run -0 curl -sS -w '\n%{http_code}\n' "$MS_URL/nope"
	assert_line --index 1 404
	# 100 MB: refused from its Content-Length, before it is read.
	head -c 100000000 /dev/zero > "$big"
	run -0 curl -sS -X POST -H 'Authorization: Bearer t0ken' \
	    -H 'Content-Type: application/json' -w '\n%{http_code}\n' \
	    --data-binary "@$big" "$MS_URL/report"
	assert_line --index 1 413
	[ "$(jq -r .error.reason <<< "${lines[0]}")" = PayloadTooLarge ]
	[ "$(count)" = 0 ]
	run -0 post "$(report es-a elasticsearch-0 '"qps":1')"
	assert_line --index 1 202
	[ "$(count)" = 1 ]
}

@test "a slow-loris client is cut off while others are served" {
	start_metrics_server --idle-timeout 1
	"$PYTHON" - "${MS_URL#http://}" > "$BATS_TEST_TMPDIR/loris" <<-'PY' &
	import socket, sys, time
	host, port = sys.argv[1].split(":")
	socks = []
	for i in range(5):
	    s = socket.create_connection((host, int(port)))
	    s.sendall(b"POST /report HTTP/1.1\r\nHost: x\r\nContent-Le")
	    socks.append(s)
	print("open", flush=True)
	closed = 0
	for s in socks:
	    s.settimeout(20)
	    try:
	        if s.recv(100) == b"":
	            closed += 1
	    except (ConnectionResetError, socket.timeout):
	        closed += 1 if sys.exc_info()[0] is ConnectionResetError else 0
	print("closed", closed, flush=True)
	PY
	local loris=$!
	for ((i = 0; i < 50; i++)); do
		grep -q open "$BATS_TEST_TMPDIR/loris" && break
		sleep 0.1
	done
	run -0 post "$(report es-a elasticsearch-0 '"qps":1')"
	assert_line --index 1 202
	wait "$loris"
	run -0 cat "$BATS_TEST_TMPDIR/loris"
	assert_line "closed 5"
	run -0 post "$(report es-a elasticsearch-1 '"qps":1')"
	assert_line --index 1 202
}

@test "the per-client rate limit answers 429 with Retry-After" {
	start_metrics_server --rate 0.01
	run -0 post "$(report es-a elasticsearch-0 '"qps":1')"
	assert_line --index 1 202
	run -0 post "$(report es-a elasticsearch-1 '"qps":1')" -i
	assert_line --partial "Retry-After:"
	assert_line "429"
	[ "$(count)" = 1 ]
}

@test "SIGTERM stops cleanly: every report answered 202 is stored" {
	local i
	start_metrics_server
	(
		for ((i = 0; i < 400; i++)); do
			curl -sS -o /dev/null -w '%{http_code}\n' -X POST \
			    -H 'Authorization: Bearer t0ken' \
			    -H 'Content-Type: application/json' --data-binary \
			    "$(report es-a elasticsearch-0 "\"qps\":$i,\"timestamp\":$((1700000000 + i))")" \
			    "$MS_URL/report" 2>/dev/null || echo failed
		done
	) > "$BATS_TEST_TMPDIR/codes" &
	local client=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 202 "$BATS_TEST_TMPDIR/codes")" -ge 20 ] && break
		sleep 0.05
	done
	kill -TERM "$MS_PID"
	local rc=0
	wait "$MS_PID" || rc=$?
	MS_PID=
	[ "$rc" = 0 ]
	wait "$client"
	run -0 grep -c 202 "$BATS_TEST_TMPDIR/codes"
	[ "$output" -ge 20 ]
	[ "$output" = "$(count)" ]
	run -0 cat "$BATS_TEST_TMPDIR/serve.err"
	assert_output --regexp "^terminated: stopped after [0-9]+ requests, $(count) reports stored, 0 rejected$"
}

@test "serve refuses to start without a token, on a bad address or a taken port" {
	: > "$ESCTL_CONFIG"
	run -2 esctl metrics serve --listen 127.0.0.1:0
	assert_output --partial "no bearer token"
	run -2 esctl metrics serve --no-auth --listen some-host:80
	assert_output --partial "use 127.0.0.1"
	start_metrics_server --no-auth
	run -1 esctl metrics serve --no-auth --listen "${MS_URL#http://}"
	assert_output --partial "cannot listen on"
	run -0 curl -sS -X POST -H 'Content-Type: application/json' \
	    -w '\n%{http_code}\n' --data-binary \
	    "$(report es-a elasticsearch-0 '"qps":1')" "$MS_URL/report"
	assert_line --index 1 202
}

# tls_cert: a self-signed certificate for 127.0.0.1 (key mode 0600)
tls_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 \
	    -keyout "$BATS_TEST_TMPDIR/key.pem" \
	    -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
	chmod 600 "$BATS_TEST_TMPDIR/key.pem"
}

@test "--tls-cert and --tls-key serve HTTPS: curl --cacert verifies it; plain HTTP gets nothing" {
	tls_cert
	start_metrics_server --tls-cert "$BATS_TEST_TMPDIR/cert.pem" \
	    --tls-key "$BATS_TEST_TMPDIR/key.pem"
	[[ $MS_URL == https://127.0.0.1:* ]]
	run -0 post "$(report es-a elasticsearch-0 '"qps":5')" \
	    --cacert "$BATS_TEST_TMPDIR/cert.pem"
	assert_line --index 1 202
	[ "$(count)" = 1 ]
	# without the CA the certificate is not trusted
	run ! post "$(report es-a elasticsearch-1 '"qps":6')"
	local plain=http://${MS_URL#https://}
	run ! curl -sS -m 5 -X POST -H 'Authorization: Bearer t0ken' \
	    -H 'Content-Type: application/json' --data-binary \
	    "$(report es-a elasticsearch-1 '"qps":6')" "$plain/report"
	[ "$(count)" = 1 ]
	run -0 cat "$BATS_TEST_TMPDIR/serve.err"
	refute_output --partial "clear text"
}

@test "a TLS key readable by others, or half a TLS pair, is refused" {
	tls_cert
	chmod 640 "$BATS_TEST_TMPDIR/key.pem"
	run -2 esctl metrics serve --listen 127.0.0.1:0 \
	    --tls-cert "$BATS_TEST_TMPDIR/cert.pem" \
	    --tls-key "$BATS_TEST_TMPDIR/key.pem"
	assert_output --partial "is readable by others (mode 0640)"
	assert_output --partial "chmod 600"
	run -2 esctl metrics serve --listen 127.0.0.1:0 \
	    --tls-cert "$BATS_TEST_TMPDIR/cert.pem"
	assert_output --partial "both --tls-cert and --tls-key"
	run -3 esctl metrics serve --listen 127.0.0.1:0 \
	    --tls-cert "$BATS_TEST_TMPDIR/cert.pem" \
	    --tls-key "$BATS_TEST_TMPDIR/none.pem"
	assert_output --partial "cannot read TLS key"
	run -2 esctl metrics serve --listen 127.0.0.1:0 --sync sometimes
	assert_output --partial "--sync must be"
	# the same from the config file
	cat >> "$ESCTL_CONFIG" <<-YAML
	  tls_cert: $BATS_TEST_TMPDIR/cert.pem
	  tls_key: $BATS_TEST_TMPDIR/key.pem
	YAML
	run -2 esctl metrics serve --listen 127.0.0.1:0
	assert_output --partial "is readable by others (mode 0640)"
	chmod 600 "$BATS_TEST_TMPDIR/key.pem"
	start_metrics_server
	[[ $MS_URL == https://127.0.0.1:* ]]
}

@test "kill -9: every report answered 202 is in the store (the answer comes after the commit)" {
	local i c
	start_metrics_server
	for c in 0 1 2 3; do
		(
			for ((i = 0; i < 1000; i++)); do
				curl -sS -o /dev/null -w '%{http_code}\n' -X POST \
				    -H 'Authorization: Bearer t0ken' \
				    -H 'Content-Type: application/json' \
				    --data-binary "$(report es-a elasticsearch-$((c % 2)) "\"qps\":$i,\"timestamp\":$((1700000000 + c * 10000 + i))")" \
				    "$MS_URL/report" 2>/dev/null || break
			done
		) > "$BATS_TEST_TMPDIR/codes.$c" &
	done
	for ((i = 0; i < 200; i++)); do
		[ "$(cat "$BATS_TEST_TMPDIR"/codes.* | grep -c 202)" -ge 40 ] &&
		    break
		sleep 0.05
	done
	kill -KILL "$MS_PID"
	wait "$MS_PID" || true
	MS_PID=
	wait
	run -0 sh -c "cat '$BATS_TEST_TMPDIR'/codes.* | grep -c 202"
	[ "$output" -ge 40 ]
	# a 202 counted before the commit would make the store hold fewer
	[ "$(count)" -ge "$output" ]
}

@test "a breach pages the person on duty once; its recovery sends one 'resolved' notification, kept in the alert history" {
	export ESCTL_NOW=2026-12-07T12:00:00Z
	start_receiver
	cat > "$ESCTL_CONFIG" <<-YAML
	metrics:
	  token: t0ken
	  alerts:
	    cpu_usage: 90
	notify:
	  channels: [im]
	  im:
	    url: $RECV_URL/robot
	YAML
	esctl duty add alice --date 2026-12-07 --start 08:00 --end 20:00 \
	    --im alice-im >/dev/null
	start_metrics_server
	run -0 post "$(report es-a elasticsearch-0 '"cpu_usage":95,"timestamp":"2026-12-07T11:59:00Z"')"
	assert_line --index 1 202
	[ "$(jq .alerts_fired <<< "${lines[0]}")" = 1 ]
	run -0 post "$(report es-a elasticsearch-0 '"cpu_usage":96,"timestamp":"2026-12-07T11:59:30Z"')"
	[ "$(wc -l < "$RECV_LOG")" = 1 ]
	# back under the threshold: one "resolved" message, then nothing
	run -0 post "$(report es-a elasticsearch-0 '"cpu_usage":40,"timestamp":"2026-12-07T11:59:40Z"')"
	[ "$(jq .alerts_resolved <<< "${lines[0]}")" = 1 ]
	run -0 post "$(report es-a elasticsearch-0 '"cpu_usage":30,"timestamp":"2026-12-07T11:59:50Z"')"
	[ "$(jq .alerts_resolved <<< "${lines[0]}")" = 0 ]
	[ "$(wc -l < "$RECV_LOG")" = 2 ]
	run -0 jq -r '[.json.event, .json.status, .json.metric, (.json.at.atUserIds | join(","))] | join(" ")' "$RECV_LOG"
	assert_line --index 0 "metric_alert firing cpu_usage alice-im"
	assert_line --index 1 "metric_alert_resolved resolved cpu_usage alice-im"
	run -0 jq -r .json.text.content "$RECV_LOG"
	assert_output --partial "esctl alert resolved: cpu_usage 40% in es-a/elasticsearch-0"
	# the history: resolved, two notifications, both in the log
	run -0 esctl -o json metrics alerts es-a
	[ "$(jq -r '.items[0] | "\(.state) \(.notifications)"' <<< "$output")" = "resolved 2" ]
	[ "$(sql "SELECT count(*) FROM notification_log WHERE status = 'sent'")" = 2 ]
}

@test "SIGTERM while a commit waits for the store lock: the drain time does not cut off a queued report" {
	cat >> "$ESCTL_CONFIG" <<-YAML
	  drain_timeout: 200ms
	YAML
	start_metrics_server
	# another writer holds the store for 3 s
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
c.execute("ROLLBACK")' "$ESCTL_DB" "$BATS_TEST_TMPDIR/locked" &
	local locker=$! i
	for ((i = 0; i < 100; i++)); do
		[ -e "$BATS_TEST_TMPDIR/locked" ] && break
		sleep 0.05
	done
	post "$(report es-a elasticsearch-0 '"qps":5')" \
	    > "$BATS_TEST_TMPDIR/answer" 2>&1 &
	local client=$!
	sleep 0.5
	kill -TERM "$MS_PID"
	local rc=0
	wait "$MS_PID" || rc=$?
	MS_PID=
	wait "$client"
	wait "$locker"
	[ "$rc" = 0 ]
	run -0 cat "$BATS_TEST_TMPDIR/answer"
	assert_line --index 1 202
	[ "$(count)" = 1 ]
}
