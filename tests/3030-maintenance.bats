#!/usr/bin/env bats
# 3030: esctl maintenance on kube-sim with a real loopback receiver for the
# downstream callbacks: request -> confirm (signed event, checked with
# openssl) -> schedule -> start --drain (cordon, evictions honouring a
# PDB) -> complete -> order execute of the uncordon order -> both orders
# completed, node schedulable, device back in_pool; the receiver down
# (outbox, flush, once per event id); cancel from each state restores the
# node; wrong states exit 4; a start killed mid-drain is continued.

load lib/common
load lib/kube
load lib/nodepool

SECRET=s3cr3t-hmac-key

setup_file() { kube_sim_start --ready-delay 0.05 --delete-delay 0.05; }
teardown_file() { kube_sim_stop; }
setup() {
	common_setup
	kube_sim_reset
	export ESCTL_DRAIN_RETRY=200ms
	esctl k8s add sim-a --context sim >/dev/null
	start_receiver
	printf '%s\n' "$SECRET" >"$BATS_TEST_TMPDIR/secret"
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	write_config "$RECV_URL/maint"
	# device CI-2 is sim-node-2 (matched by its InternalIP)
	ip=$(kube_sim_api GET /api/v1/nodes/sim-node-2 |
	    jq -r '.status.addresses[] | select(.type == "InternalIP") |
	    .address')
	sql "INSERT INTO device (created_at, updated_at, ci_code, ip, status,
	    cluster, cluster_id) SELECT '2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z', 'CI-2', '$ip', 'in_pool', clustername, id
	    FROM k8s_cluster WHERE clustername = 'sim-a'"
	sql "INSERT INTO device (created_at, updated_at, ci_code, ip, status)
	    VALUES ('2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'CI-LOOSE',
	    '10.9.9.9', 'available')"
}
teardown() { stop_receivers; }

write_config() {
	cat >"$XDG_CONFIG_HOME/esctl/config.yaml" <<-EOF
	maintenance:
	  callback_url: $1
	  secret_file: $BATS_TEST_TMPDIR/secret
	  timeout: 2s
	EOF
}

node_unschedulable() {
	kube_sim_api GET "/api/v1/nodes/$1" | jq -r '.spec.unschedulable // false'
}

is_cordoned() {
	[ "$(node_unschedulable "$1")" = true ]
}

# The number of POSTs the receiver got for an event.
received() {
	[ -f "$RECV_LOG" ] || { echo 0; return; }
	jq -s --arg e "$1" '[.[] | select(.path == "/maint" and
	    .json.event == $e)] | length' "$RECV_LOG"
}

request() {
	esctl -o json maintenance request --device CI-2 --start "${1:-now}" \
	    --end +2h --ticket "${2:-HW-1}" --reason "replace a disk" |
	    jq -r .order_number
}

@test "the whole exchange: request, confirm, schedule, start --drain, complete, uncordon" {
	# both web pods on sim-node-2, a budget of one: the second eviction
	# waits (429) until the first pod is back on another node
	esctl node cordon sim-node-1 >/dev/null
	esctl node cordon sim-node-3 >/dev/null
	np_deploy default web sim-node-2 2 '{"nodeSelector": {}}'
	kube_sim_wait 10 np_running default web 2
	esctl node uncordon sim-node-1 >/dev/null
	esctl node uncordon sim-node-3 >/dev/null
	np_pdb default web-pdb web 1
	run -0 --separate-stderr esctl maintenance request --device CI-2 \
	    --start now --end +2h --ticket HW-1 --reason "replace a disk"
	[[ $output == "maintenance request ESO-"*" recorded (pending_confirmation)" ]]
	o=$(esctl -o json maintenance list | jq -r '.items[0].order_number')
	[ "$(received accepted)" = 1 ]
	# the same ticket again is the same order (a retrying downstream)
	run -0 esctl maintenance request --device CI-2 --start now --end +2h \
	    --ticket HW-1 --reason "replace a disk"
	assert_output "ticket HW-1 is already order $o (pending_confirmation)"
	[ "$(sql "SELECT count(*) FROM elastic_scaling_order")" = 1 ]

	run -0 esctl maintenance confirm "$o"
	[ "$(received confirmed)" = 1 ]
	# the signature is HMAC-SHA256 of the exact body, as openssl computes it
	body=$(jq -sr '[.[] | select(.json.event == "confirmed")][0].body' "$RECV_LOG")
	sig=$(jq -sr '[.[] | select(.json.event == "confirmed")][0].headers
	    | with_entries(.key |= ascii_downcase)["x-esctl-signature"]' "$RECV_LOG")
	want=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" |
	    sed 's/^.*= //')
	[ "$sig" = "sha256=$want" ]
	jq -e --arg o "$o" '.order_number == $o and .ticket_id == "HW-1" and
	    .event_id == ($o + ":confirmed:1") and .window.start != null and
	    .sent_at != null' <<<"$body"

	run -0 esctl maintenance schedule "$o"
	assert_output "order $o scheduled_for_maintenance"
	# the first pod's replacement is not Ready for 3 s, so the budget
	# refuses the second eviction however slow this build is
	kube_sim_config '{"ready_delay": 3}'
	run -0 --separate-stderr esctl maintenance start "$o" --drain --timeout 30s
	[ "$(node_unschedulable sim-node-2)" = true ]
	run -0 np_pods_on sim-node-2
	assert_output ""
	[ "$(kube_sim_requests '[.[] | select(.path | endswith("/eviction"))
	    | .status] | map(tostring) | unique | join(",")')" = '"201,429"' ]
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-2'")" = maintenance ]
	[ "$(received started)" = 1 ]

	run -0 esctl -o json maintenance complete "$o"
	u=$(jq -r .order_number <<<"$output")
	[ "$(jq -r .action_type <<<"$output")" = maintenance_uncordon ]
	[ "$(jq -r .status <<<"$output")" = pending ]
	run -0 --separate-stderr esctl order execute "$u"
	[ "$(node_unschedulable sim-node-2)" = false ]
	run -0 esctl -o json maintenance show "$o"
	jq -e '.status == "completed" and .completion_time != null and
	    .uncordon_order.status == "completed" and
	    ([.stages[].stage] == ["requested", "confirmed", "scheduled",
	    "started", "work_done", "completed"]) and
	    ([.callbacks[] | .state] | all(. == "delivered")) and
	    ([.callbacks[] | .event] == ["accepted", "confirmed", "started",
	    "uncordoned"])' <<<"$output"
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-2'")" = in_pool ]
	[ "$(received uncordoned)" = 1 ]
}

@test "receiver down during confirm: the event waits in the outbox, flush sends it once" {
	o=$(request)
	stop_receivers
	run -0 --separate-stderr esctl maintenance confirm "$o"
	[[ $stderr == *"callback not delivered"*"kept in the outbox"* ]]
	run -0 esctl -o json maintenance show "$o"
	jq -e '[.callbacks[] | select(.event == "confirmed")][0] |
	    .state == "failed" and .attempts == 1 and .last_error != null and
	    (.attempt_log | length) == 1' <<<"$output"
	# the receiver comes back on the same port
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" \
	    --log "$RECV_LOG" --pidfile "$BATS_TEST_TMPDIR/recv-2.pid" 3>&- &
	wait_port "$RECV_PORT"
	run -0 esctl maintenance flush
	assert_output "1 event delivered, 0 pending"
	run -0 esctl maintenance flush
	assert_output "0 events delivered, 0 pending"
	[ "$(received confirmed)" = 1 ]
	[ "$(jq -s '[.[] | .json.event_id] | unique | length' "$RECV_LOG")" = \
	    "$(jq -s length "$RECV_LOG")" ]
}

@test "cancel from each state restores the node and tells downstream" {
	# pending_confirmation
	o=$(request now HW-A)
	run -0 esctl maintenance cancel "$o" --reason "not needed"
	assert_output "order $o cancelled"
	# scheduled
	o=$(request now HW-B)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	run -0 esctl maintenance cancel "$o" --reason "postponed"
	# in progress: esctl cordoned the node, cancel uncordons it
	o=$(request now HW-C)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	esctl maintenance start "$o" >/dev/null 2>&1
	[ "$(node_unschedulable sim-node-2)" = true ]
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-2'")" = maintenance ]
	run -0 esctl maintenance cancel "$o" --reason "hardware arrived broken"
	[ "$(node_unschedulable sim-node-2)" = false ]
	[ "$(sql "SELECT status FROM device WHERE ci_code = 'CI-2'")" = in_pool ]
	[ "$(received cancelled)" = 3 ]
	jq -se '[.[] | select(.json.event == "cancelled")][2].json.reason ==
	    "hardware arrived broken"' "$RECV_LOG"
	# a cancelled order cannot be cancelled again
	run -4 esctl maintenance cancel "$o" --reason again
	assert_output --partial "is cancelled"
}

@test "a node cordoned by someone else stays cordoned after cancel" {
	esctl node cordon sim-node-2 >/dev/null
	o=$(request now HW-D)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	esctl maintenance start "$o" >/dev/null 2>&1
	run -0 esctl maintenance cancel "$o" --reason "no longer needed"
	[ "$(node_unschedulable sim-node-2)" = true ]
}

@test "wrong states, bad input and unknown objects" {
	o=$(request now HW-E)
	run -4 esctl maintenance schedule "$o"
	assert_output --partial "no confirmed window"
	run -4 esctl maintenance start "$o" --now
	assert_output "esctl: error: order $o is pending_confirmation, not scheduled_for_maintenance"
	run -4 esctl maintenance complete "$o"
	assert_output --partial "not maintenance_in_progress"
	# another open request for the same device names the first one
	run -4 esctl maintenance request --device CI-2 --start now --end +1h \
	    --ticket HW-F --reason x
	assert_output --partial "already has an open maintenance request: order $o"
	run -2 esctl maintenance request --device CI-2 --start +2h --end +1h \
	    --ticket HW-G --reason x
	assert_output --partial "at or after it ends"
	run -2 esctl maintenance request --device CI-2 --start -3h --end -2h \
	    --ticket HW-G --reason x
	assert_output --partial "in the past"
	run -4 esctl maintenance request --device CI-LOOSE --start now \
	    --end +1h --ticket HW-H --reason x
	assert_output --partial "not in any cluster"
	run -3 esctl maintenance request --device CI-NONE --start now \
	    --end +1h --ticket HW-I --reason x
	run -3 esctl maintenance show ESO-20990101-000001
	run -2 esctl maintenance cancel "$o"
	# nothing of that changed the database
	[ "$(sql "SELECT count(*) FROM elastic_scaling_order")" = 1 ]
	# a window that has not opened yet
	esctl maintenance cancel "$o" --reason x >/dev/null
	o=$(request +1h HW-J)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	run -4 esctl maintenance start "$o"
	assert_output --partial "opens at"
	[ "$(node_unschedulable sim-node-2)" = false ]
	run -0 esctl maintenance start "$o" --now
	[ "$(node_unschedulable sim-node-2)" = true ]
}

@test "start --drain killed mid-drain: the next start continues" {
	np_deploy default web sim-node-2 2
	np_pdb default web-pdb web 2
	kube_sim_wait 10 np_running default web 2
	o=$(request now HW-K)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	# the PDB allows no eviction: the drain retries until killed
	# the binary itself in the background ($! is then esctl, not a subshell)
	"$ESCTL_BIN" maintenance start "$o" --drain --timeout 60s \
	    >/dev/null 2>&1 &
	pid=$!
	kube_sim_wait 10 is_cordoned sim-node-2
	sleep 0.5
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(sql "SELECT status FROM elastic_scaling_order")" = scheduled_for_maintenance ]
	[ "$(sql "SELECT maint_cordoned FROM elastic_scaling_order")" = 1 ]
	# the budget is lifted; the same command finishes the job
	kube_sim_api DELETE /apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb >/dev/null
	run -0 esctl maintenance start "$o" --drain --timeout 20s
	np_running default web 0
	[ "$(sql "SELECT status FROM elastic_scaling_order")" = maintenance_in_progress ]
	# esctl still knows it cordoned the node: cancel uncordons it
	run -0 esctl maintenance cancel "$o" --reason "test done"
	[ "$(node_unschedulable sim-node-2)" = false ]
}

@test "two operators starting the same request: one runs it" {
	o=$(request now HW-L)
	esctl maintenance confirm "$o" >/dev/null
	esctl maintenance schedule "$o" >/dev/null
	pids=()
	for i in 1 2 3 4; do
		esctl maintenance start "$o" >"$BATS_TEST_TMPDIR/s$i.out" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	ok=0 refused=0
	for i in 1 2 3 4; do
		if grep -q "node out of the pool" "$BATS_TEST_TMPDIR/s$i.out"
		then
			ok=$((ok + 1))
		elif grep -Eq "another esctl is working on maintenance order|is maintenance_in_progress, not scheduled_for_maintenance" \
		    "$BATS_TEST_TMPDIR/s$i.out"; then
			refused=$((refused + 1))
		fi
	done
	[ "$ok" = 1 ]
	[ "$refused" = 3 ]
	[ "$(received started)" = 1 ]
}
