#!/usr/bin/env bats
# 3005: the duty roster and notifications - a new order reaches whoever
# is on duty through a real webhook receiver, a real SMTP sink and an SMS
# gateway; a dead channel is recorded as failed and never stops a check.

load lib/common
load lib/pool

setup() {
	common_setup
	export TZ=UTC
	CFG=$XDG_CONFIG_HOME/esctl/config.yaml
	mkdir -p "$(dirname "$CFG")"
}

teardown() {
	stop_receivers
	stop_smtp_sink
}

# A cluster with a sustained CPU breach and a strategy that fires on it.
breach() {
	add_cluster prod-a
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T09:00:00Z 5 cpu=90,90,90,90
	esctl snapshot import "$BATS_TEST_TMPDIR/t.csv" >/dev/null
	esctl strategy create hot -c prod-a -a pool_entry --cpu-threshold 80 \
	    --cpu-type usage --duration 15 --device-count 3 >/dev/null
}

@test "duty add, list, now and remove; overnight shifts" {
	run -0 esctl duty add alice --date 2024-01-01 --start 08:00 --end 20:00 \
	    --email alice@example.com --phone +8613800000000 --im alice-im
	assert_output "1 duty shift of 'alice' added (08:00:00-20:00:00)"
	run -0 esctl duty add bob --date 2024-01-01 --start 20:00 --end 8:00 --days 2
	run -0 -- esctl -o json duty list --all
	[ "$(jq -r '.items | map("\(.user_id) \(.duty_date) \(.start_time)-\(.end_time)") | join(";")' <<<"$output")" = "alice 2024-01-01 08:00:00-20:00:00;bob 2024-01-01 20:00:00-08:00:00;bob 2024-01-02 20:00:00-08:00:00" ]
	[ "$(jq -c '.items | .[0].contact_info' <<<"$output")" = '{"email":"alice@example.com","phone":"+8613800000000","im":"alice-im"}' ]
	run -0 esctl -o name duty now --at 2024-01-01T09:00:00Z
	assert_output duty/alice
	run -0 esctl -o name duty now --at 2024-01-01T20:00:00Z
	assert_output duty/bob
	run -0 esctl -o name duty now --at 2024-01-02T07:59:59Z
	assert_output duty/bob
	run -0 --separate-stderr esctl duty now --at 2024-01-02T12:00:00Z
	[[ $stderr == *"Nobody is on duty."* ]]
	ESCTL_NOW=2024-01-02T23:00:00Z run -0 esctl -o name duty now
	assert_output duty/bob
	# list defaults to today and later (ESCTL_NOW)
	ESCTL_NOW=2024-01-02T10:00:00Z run -0 esctl -o name duty list
	assert_output duty/bob
	run -0 esctl -o name duty list --all --user alice
	assert_output duty/alice
	run -0 esctl duty remove --yes 2 3
	[ "$(count duty_roster)" = 1 ]
	run -3 esctl duty remove --yes 42
}

@test "duty times are local time" {
	esctl duty add li --date 2024-01-01 --start 08:00 --end 09:00 >/dev/null
	TZ=Asia/Shanghai run -0 esctl -o name duty now --at 2024-01-01T00:30:00Z
	assert_output duty/li
	run -0 --separate-stderr esctl duty now --at 2024-01-01T00:30:00Z
	[[ $stderr == *"Nobody is on duty."* ]]
}

@test "duty input errors change nothing" {
	run -2 --separate-stderr esctl duty add a --date 2024-02-30 --start 08:00 --end 09:00
	[[ $stderr == *"invalid date '2024-02-30': no such day"* ]]
	run -2 --separate-stderr esctl duty add a --date 2024-01-01 --start 25:00 --end 09:00
	[[ $stderr == *"invalid --start '25:00'"* ]]
	run -2 --separate-stderr esctl duty add a --date 2024-01-01 --start 08:00
	[[ $stderr == *"option '--end' is required"* ]]
	run -2 --separate-stderr esctl duty add a --date 2024-01-01 --start 08:00 --end 09:00 --email nobody
	[[ $stderr == *"invalid email 'nobody'"* ]]
	run -2 --separate-stderr esctl duty add a --date 2024-01-01 --start 08:00 --end 09:00 --phone 'call me'
	[[ $stderr == *"invalid phone"* ]]
	run -0 esctl duty add a --date 2024-01-01 --start 08:00 --end 09:00
	before=$(db_dump)
	run -4 --separate-stderr esctl duty add a --date 2023-12-31 --start 08:00 --end 09:00 --days 3
	[[ $stderr == *"'a' already has the shift 2024-01-01 08:00:00-09:00:00"* ]]
	[ "$(db_dump)" = "$before" ]
}

@test "a new order reaches the person on duty by IM, e-mail and SMS" {
	breach
	start_receiver
	IM_LOG=$RECV_LOG IM_URL=$RECV_URL/robot/send
	start_receiver
	SMS_LOG=$RECV_LOG SMS_URL=$RECV_URL/sms
	start_smtp_sink
	cat > "$CFG" <<YAML
notify:
  channels: [system, im, email, sms]
  timeout: 5s
  im:
    url: $IM_URL
  email:
    smtp_url: $SMTP_URL
    from: esctl@example.com
  sms:
    url: $SMS_URL
    token: gw-secret
YAML
	esctl duty add alice --date 2024-01-01 --start 08:00 --end 20:00 \
	    --email alice@example.com --phone +8613800000000 --im alice-im >/dev/null
	esctl duty add carol --date 2024-01-02 --start 08:00 --end 20:00 \
	    --email carol@example.com >/dev/null
	run -0 --separate-stderr esctl -o json strategy check --at 2024-01-01T09:15:00Z
	[ "$stderr" = "" ]
	[ "$(jq -r '.items | .[0].order_number' <<<"$output")" = ESO-20240101-000001 ]
	[ "$(jq -r '.items | .[0].notifications | map(.notification_type + ":" + .status) | join(",")' <<<"$output")" = "system:sent,im:sent,email:sent,sms:sent" ]
	# IM webhook: one JSON POST mentioning alice
	[ "$(wc -l < "$IM_LOG")" = 1 ]
	[ "$(jq -r '.method + " " + .path' "$IM_LOG")" = "POST /robot/send" ]
	[ "$(jq -r .json.msgtype "$IM_LOG")" = text ]
	[ "$(jq -c .json.at.atUserIds "$IM_LOG")" = '["alice-im"]' ]
	[ "$(jq -r .json.order_number "$IM_LOG")" = ESO-20240101-000001 ]
	[ "$(jq -r .json.device_count "$IM_LOG")" = 3 ]
	[ "$(jq -r .json.triggered_value "$IM_LOG")" = "CPU:90.0%,MEM:N/A" ]
	[[ $(jq -r .json.text.content "$IM_LOG") == *"New elastic scaling order ESO-20240101-000001 (pending)"*"Cluster: prod-a"* ]]
	# SMS gateway: to alice's phone, with the token
	[ "$(jq -r .json.to "$SMS_LOG")" = +8613800000000 ]
	[ "$(jq -r .headers.Authorization "$SMS_LOG")" = "Bearer gw-secret" ]
	[[ $(jq -r .json.message "$SMS_LOG") == *ESO-20240101-000001* ]]
	# e-mail through the SMTP sink
	[ "$(smtp_messages | wc -l)" = 1 ]
	msg=$(smtp_messages)
	grep -q '^To: <alice@example.com>' "$msg"
	grep -q '^From: <esctl@example.com>' "$msg"
	grep -q '^Subject: \[esctl\] pool_entry order ESO-20240101-000001 for cluster prod-a' "$msg"
	grep -q '^X-RcptTo: alice@example.com' "$msg"
	grep -q 'Triggered: CPU:90.0%,MEM:N/A (threshold CPU:80.0%,MEM:N/A)' "$msg"
	# every attempt is in the log, tied to the order and strategy
	[ "$(sql "SELECT group_concat(notification_type || ':' || recipient || ':' || status, ' ') FROM (SELECT * FROM notification_log WHERE order_id = 1 AND strategy_id = 1 ORDER BY id)")" = "system:alice:sent im:alice-im:sent email:alice@example.com:sent sms:+8613800000000:sent" ]
	run -0 esctl -o json notify list --unread
	[ "$(jq '.items | length' <<<"$output")" = 4 ]
	[ "$(jq -r '.items | .[0].order_number' <<<"$output")" = ESO-20240101-000001 ]
	run -0 esctl notify read 1
	assert_output "1 notification marked read"
	run -0 esctl -o json notify list --unread
	[ "$(jq '.items | length' <<<"$output")" = 3 ]
	run -0 esctl notify read --all
	assert_output "3 notifications marked read"
	[ "$(sql "SELECT count(*) FROM notification_log WHERE status = 'read' AND read_time IS NOT NULL")" = 4 ]
	run -2 esctl notify read
	run -3 esctl notify read 99
}

@test "the orders of one check each get their own notification rows" {
	breach
	add_cluster prod-b
	timeline "$BATS_TEST_TMPDIR/b.csv" prod-b 2024-01-01T09:00:00Z 5 cpu=95,95,95,95
	esctl snapshot import "$BATS_TEST_TMPDIR/b.csv" >/dev/null
	esctl strategy create warm -c prod-a -c prod-b -a pool_entry \
	    --cpu-threshold 85 --cpu-type usage --duration 10 --device-count 1 >/dev/null
	printf 'notify:\n  channels: [system]\n' > "$CFG"
	esctl duty add alice --date 2024-01-01 --start 08:00 --end 20:00 >/dev/null
	esctl duty add bob --date 2024-01-01 --start 08:00 --end 20:00 >/dev/null
	run -0 --separate-stderr esctl strategy check --at 2024-01-01T09:15:00Z
	assert_output --partial '3 orders created'
	# one row per order and person, each tied to its order and strategy
	got=$(sql "SELECT group_concat(x, ' ') FROM (SELECT o.order_number || ':' || o.strategy_id || ':' || n.strategy_id || ':' || n.recipient || ':' || (instr(n.content, o.order_number) > 0) AS x FROM notification_log n JOIN elastic_scaling_order o ON o.id = n.order_id ORDER BY n.id)")
	echo "got: $got"
	[ "$got" = "ESO-20240101-000001:1:1:alice:1 ESO-20240101-000001:1:1:bob:1 ESO-20240101-000002:2:2:alice:1 ESO-20240101-000002:2:2:bob:1 ESO-20240101-000003:2:2:alice:1 ESO-20240101-000003:2:2:bob:1" ]
	[ "$(sql "SELECT count(*) FROM notification_log WHERE notification_type = 'system' AND status = 'sent' AND error_message IS NULL AND send_time = '2024-01-01T09:15:00Z'")" = 6 ]
}

@test "a dead channel is recorded as failed and does not stop the check" {
	breach
	start_receiver --status 503
	SMS_URL=$RECV_URL/sms SMS_LOG=$RECV_LOG
	start_smtp_sink
	dead=$(free_port)
	cat > "$CFG" <<YAML
notify:
  channels: [im, email, sms]
  timeout: 3s
  im:
    url: http://127.0.0.1:$dead/robot
  email:
    smtp_url: $SMTP_URL
    from: esctl@example.com
  sms:
    url: $SMS_URL
YAML
	esctl duty add alice --date 2024-01-01 --start 00:00 --end 00:00 \
	    --email alice@example.com --phone 13800000000 >/dev/null
	run -0 --separate-stderr esctl strategy check --at 2024-01-01T09:15:00Z
	assert_output --partial '1 order created'
	[[ $stderr == *"notification of order ESO-20240101-000001 by im to 'alice' failed: POST http://127.0.0.1:$dead/robot: "*"onnect"* ]]
	[[ $stderr == *"by sms to '13800000000' failed: POST $SMS_URL: HTTP 503"* ]]
	[ "$(count elastic_scaling_order)" = 1 ]
	[ "$(sql "SELECT group_concat(notification_type || ':' || status, ' ') FROM (SELECT * FROM notification_log ORDER BY id)")" = "im:failed email:sent sms:failed" ]
	[[ $(sql "SELECT error_message FROM notification_log WHERE notification_type = 'sms'") == *"HTTP 503"*"injected failure"* ]]
	[ "$(smtp_messages | wc -l)" = 1 ]
	run -0 esctl -o name notify list --status failed
	assert_output $'notification/13800000000\nnotification/alice'
	run -4 esctl notify read 1
	# the SMTP sink goes away too: still one order, the check still works
	stop_smtp_sink
	run -0 esctl strategy check --at 2024-01-01T09:16:00Z
	[ "$(count elastic_scaling_order)" = 1 ]
}

@test "nobody on duty: stored and posted to the IM group, with a warning" {
	breach
	start_receiver
	printf 'notify:\n  channels: [system, im, sms]\n  im:\n    url: %s\n  sms:\n    url: %s\n' "$RECV_URL/im" "$RECV_URL/sms" > "$CFG"
	run -0 --separate-stderr esctl strategy check --at 2024-01-01T09:15:00Z
	[[ $stderr == *"nobody is on duty now"* ]]
	[ "$(sql "SELECT group_concat(notification_type || ':' || recipient || ':' || status, ' ') FROM notification_log")" = "system::sent im::sent" ]
	[ "$(jq -c .json.at.atUserIds "$RECV_LOG")" = '[]' ]
}

@test "e-mail is a MIME message; a non-ASCII subject is RFC 2047 encoded" {
	add_cluster 生产-a
	timeline "$BATS_TEST_TMPDIR/t.csv" 生产-a 2024-01-01T09:00:00Z 5 cpu=90,90,90,90
	esctl snapshot import "$BATS_TEST_TMPDIR/t.csv" >/dev/null
	esctl strategy create hot -c 生产-a -a pool_entry --cpu-threshold 80 \
	    --cpu-type usage --duration 15 --device-count 3 >/dev/null
	start_smtp_sink
	cat > "$CFG" <<YAML
notify:
  channels: [email]
  email:
    smtp_url: $SMTP_URL
    from: esctl@example.com
YAML
	esctl duty add alice --date 2024-01-01 --start 08:00 --end 20:00 \
	    --email alice@example.com >/dev/null
	run -0 esctl strategy check --at 2024-01-01T09:15:00Z
	[ "$(smtp_messages | wc -l)" = 1 ]
	msg=$(smtp_messages)
	# the raw header is 7-bit: an encoded-word, not UTF-8 bytes
	run -0 grep '^Subject: =?UTF-8?B?' "$msg"
	run -1 grep -P '^Subject:.*[^\x00-\x7f]' "$msg"
	run -0 "$PYTHON" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
    policy=email.policy.default)
print(m["Subject"])
print(m["MIME-Version"], m.get_content_type())
b = m.get_body(("plain",))
print(b.get_content_type(), b.get_content_charset(),
    b["Content-Transfer-Encoding"])
print("Cluster: 生产-a" in b.get_content())' "$msg"
	assert_output "[esctl] pool_entry order ESO-20240101-000001 for cluster 生产-a
1.0 multipart/mixed
text/plain utf-8 8bit
True"
}

@test "notify test through each channel; failures exit 6" {
	start_receiver
	start_smtp_sink
	cat > "$CFG" <<YAML
notify:
  im:
    url: $RECV_URL/im
    token: im-token
  email:
    smtp_url: $SMTP_URL
    from: esctl@example.com
  sms:
    url: http://127.0.0.1:$(free_port)/sms
YAML
	run -0 esctl notify test system
	assert_output "system to '': sent"
	run -0 esctl notify test im --to ops-room -m 'hello there'
	[ "$(jq -r .json.text.content "$RECV_LOG")" = "hello there" ]
	[ "$(jq -r .json.event "$RECV_LOG")" = test ]
	[ "$(jq -r .headers.Authorization "$RECV_LOG")" = "Bearer im-token" ]
	run -0 esctl -o json notify test email --to ops@example.com
	[ "$(jq -r '.attempts[0].status' <<<"$output")" = sent ]
	grep -q '^Subject: \[esctl\] test notification (email)' "$(smtp_messages)"
	run -6 --separate-stderr esctl notify test sms --to 10086
	[[ $stderr == *"1 of 1 sms test notification failed: POST http://127.0.0.1:"* ]]
	run -2 --separate-stderr esctl notify test email
	[[ $stderr == *"nobody is on duty: give --to"* ]]
	run -2 esctl notify test fax --to x
	[ "$(sql "SELECT group_concat(notification_type || ':' || status, ' ') FROM (SELECT * FROM notification_log ORDER BY id)")" = "system:sent im:sent email:sent sms:failed" ]
	run -0 esctl -o name notify list --type email
	assert_output notification/ops@example.com
}

@test "a channel without its address is a config error before any order" {
	breach
	printf 'notify:\n  channels: [system, im]\n' > "$CFG"
	before=$(db_dump)
	run -2 --separate-stderr esctl strategy check --at 2024-01-01T09:15:00Z
	[[ $stderr == *"notify.channels lists im but notify.im.url is not set"* ]]
	[ "$(db_dump)" = "$before" ]
	printf 'notify:\n  channels: [system, pigeon]\n' > "$CFG"
	run -2 --separate-stderr esctl strategy check --at 2024-01-01T09:15:00Z
	[[ $stderr == *"config.yaml:2:"*"invalid notification channel 'pigeon'"* ]]
	printf 'notify:\n  email:\n    smpt_url: x\n' > "$CFG"
	run -2 --separate-stderr esctl notify list
	[[ $stderr == *"unknown key 'notify.email.smpt_url' (did you mean 'notify.email.smtp_url'?)"* ]]
}

@test "--no-notify and --dry-run send nothing" {
	breach
	start_receiver
	printf 'notify:\n  channels: [im]\n  im:\n    url: %s\n' "$RECV_URL" > "$CFG"
	run -0 esctl --dry-run strategy check --at 2024-01-01T09:15:00Z
	run -0 esctl strategy check --no-notify --at 2024-01-01T09:15:00Z
	[ "$(count elastic_scaling_order)" = 1 ]
	[ "$(count notification_log)" = 0 ]
	[ ! -s "$RECV_LOG" ]
}
