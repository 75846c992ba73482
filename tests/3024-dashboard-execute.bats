#!/usr/bin/env bats
# 3024: execute from the work-bench, end to end on kube-sim: the TUI's x
# and the live page's execute go through `esctl order execute`'s code
# (order.* settings, the cluster's client, order_execute, notification):
# same refusal of a pending order while approval is required, same
# completed order and events when it is not.

load lib/common
load lib/pool
load lib/kube
load lib/nodepool
load lib/dashboard

setup_file() {
	kube_sim_start --nodes 3 --ready-delay 0.05 --delete-delay 0.05
}
teardown_file() { kube_sim_stop; }

setup() {
	common_setup
	kube_sim_reset
	export ESCTL_DRAIN_RETRY=200ms USER=operator
	add_cluster prod
	np_devices prod sim-node-1 sim-node-2 sim-node-3
	T=$BATS_TEST_TMPDIR
	TMUX_SOCK=$T/tmux.sock
}

teardown() {
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	if [ -f "$T/serve.pid" ]; then
		kill "$(cat "$T/serve.pid")" 2>/dev/null || true
	fi
}

new_exit_order() {
	esctl order create --cluster prod --action pool_exit --count 1 >/dev/null
	sql 'SELECT order_number FROM elastic_scaling_order ORDER BY id DESC LIMIT 1'
}

# The events an execution wrote, without times and node names.
events() {
	sql "SELECT group_concat(event || ':' || coalesce(from_status, '') ||
	    ':' || coalesce(to_status, '') || ':' || actor, ' ') FROM
	    (SELECT e.* FROM order_event e JOIN elastic_scaling_order o ON
	    o.id = e.order_id WHERE o.order_number = '$1' ORDER BY e.id)"
}

@test "x while approval is required: refused exactly like 'order execute'" {
	num=$(new_exit_order)
	run -4 --separate-stderr esctl order execute "$num"
	cli=${stderr#esctl: error: }
	start_watch
	keys x
	wait_screen "execute order $num now? (y/N)"
	keys y
	wait_screen "error: $cli"
	[ "$(sql "SELECT status FROM elastic_scaling_order WHERE order_number = '$num'")" = pending ]
}

@test "x executes a pending order like 'order execute' (approval not required)" {
	np_config "order:
  require_approval: false
  min_pool_size: 1"
	tui=$(new_exit_order)
	start_watch
	keys x
	wait_screen "execute order $tui now? (y/N)"
	keys y
	wait_screen "order $tui completed"
	[ "$(sql "SELECT status FROM elastic_scaling_order WHERE order_number = '$tui'")" = completed ]
	cli=$(new_exit_order)
	run -0 esctl order execute "$cli" --timeout 30s
	[ "$(sql "SELECT status FROM elastic_scaling_order WHERE order_number = '$cli'")" = completed ]
	[ -n "$(events "$tui")" ]
	[ "$(events "$tui")" = "$(events "$cli")" ]
	# two nodes gone from the cluster, their devices available
	[ "$(sql "SELECT count(*) FROM device WHERE status = 'available'")" = 2 ]
	keys q
	wait_file "$T/exit"
}

@test "the live page's execute, behind the token, completes the order" {
	np_config "order:
  require_approval: false
  min_pool_size: 1
dashboard:
  token: tok"
	num=$(new_exit_order)
	"$ESCTL_BIN" dashboard serve --listen 127.0.0.1:0 --allow-actions \
	    > "$T/serve.out" 2>&1 3>&- &
	echo $! > "$T/serve.pid"
	for ((i = 0; i < 100; i++)); do
		grep -q '^serving' "$T/serve.out" && break
		sleep 0.1
	done
	url=$(sed -n 's|^serving the work-bench on \(http://[^/]*\)/.*|\1|p' "$T/serve.out")
	c=$(curl -s "$url/" | sed -n 's/.*<meta name="csrf-token" content="\([0-9a-f]*\)".*/\1/p')
	run -0 curl -s -o "$T/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -H "X-CSRF-Token: $c" \
	    -d '{"confirm":true}' "$url/api/orders/$num/execute"
	[ "$output" = 401 ]
	[ "$(sql "SELECT status FROM elastic_scaling_order WHERE order_number = '$num'")" = pending ]
	run -0 curl -s -o "$T/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -H 'Authorization: Bearer tok' \
	    -H "X-CSRF-Token: $c" -d '{"confirm":true}' \
	    "$url/api/orders/$num/execute"
	[ "$output" = 200 ]
	[ "$(jq -r .message "$T/body")" = "order $num completed" ]
	[ "$(sql "SELECT status || ':' || executor FROM elastic_scaling_order WHERE order_number = '$num'")" = completed:operator ]
}
