# tests/lib/dashboard.bash - the work-bench fixture shared by the
# dashboard suites (terminal, HTML page, live page, TUI):
#
#	load lib/common
#	load lib/pool
#	load lib/dashboard
#
# dash_fixture fills the store through esctl where a command exists
# (snapshot import, strategy create) and with sqlite3 for the rest
# (devices, orders and history: their commands live elsewhere).  Times
# are fixed: run esctl with ESCTL_NOW=$DASH_NOW.

DASH_NOW=2024-03-02T12:00:00Z
export DASH_NOW

# Two clusters, prod-a (running) and 东京-集群 (maintaining); 24 h of
# snapshots every 30 min for both; two strategies on prod-a, one with a
# hostile name; four pending orders (one of the hostile strategy, one on
# the CJK cluster), and history orders in other statuses.
dash_fixture() {
	local f=$BATS_TEST_TMPDIR/snap.csv i cpu mem ca ma
	add_cluster prod-a
	add_cluster '东京-集群'
	sql "UPDATE k8s_cluster SET status = 'maintaining'
	    WHERE clustername = '东京-集群'"
	cpu= mem= ca= ma=
	for ((i = 0; i < 48; i++)); do
		cpu+=$(( 40 + (i * 7) % 45 )),
		mem+=$(( 55 + (i * 3) % 20 )),
		ca+=$(( 60 + i / 4 )),
		ma+=$(( 50 + (i % 10) )),
	done
	timeline "$f" prod-a 2024-03-01T12:15:00Z 30 "cpu=${cpu%,}" \
	    "mem=${mem%,}" "cpualloc=${ca%,}" "memalloc=${ma%,}"
	timeline "$f" '东京-集群' 2024-03-01T12:15:00Z 30 cpu=20 mem=30 \
	    cpualloc=25 memalloc=35
	esctl snapshot import "$f" >/dev/null
	esctl strategy create cpu-high -c prod-a -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --duration 15 --device-count 2 >/dev/null
	esctl strategy create '<script>alert("x")</script>' -c prod-a \
	    -c '东京-集群' -a pool_exit --memory-threshold 30 \
	    --memory-type allocated --duration 30 --device-count 1 >/dev/null
	esctl strategy create idle-off -c prod-a -a pool_exit \
	    --cpu-threshold 10 --cpu-type usage --device-count 1 --status disabled \
	    >/dev/null
	sql "INSERT INTO elastic_scaling_order (order_number, cluster_id,
	    strategy_id, action_type, status, device_count, created_by,
	    created_at, updated_at) VALUES
	    ('ESO-20240302-000001', 1, 1, 'pool_entry', 'pending', 2,
	     'engine', '2024-03-02T09:00:00Z', '2024-03-02T09:00:00Z'),
	    ('ESO-20240302-000002', 2, 2, 'pool_exit', 'pending', 1,
	     'engine', '2024-03-02T10:30:00Z', '2024-03-02T10:30:00Z'),
	    ('ESO-20240302-000003', 1, NULL, 'pool_entry', 'pending', 3,
	     'alice', '2024-03-02T11:00:00Z', '2024-03-02T11:00:00Z'),
	    ('ESO-20240301-000004', 1, NULL, 'pool_exit', 'completed', 1,
	     'bob', '2024-03-01T20:00:00Z', '2024-03-01T21:00:00Z'),
	    ('ESO-20240301-000005', 1, NULL, 'pool_entry', 'failed', 2,
	     'bob', '2024-03-01T22:00:00Z', '2024-03-01T22:10:00Z'),
	    ('ESO-20240302-000006', 1, NULL, 'pool_exit', 'cancelled', 1,
	     'bob', '2024-03-02T01:00:00Z', '2024-03-02T01:05:00Z'),
	    ('ESO-20240302-000007', 1, NULL, 'pool_entry', 'processing', 1,
	     'bob', '2024-03-02T02:00:00Z', '2024-03-02T02:05:00Z'),
	    ('ESO-20240220-000008', 1, NULL, 'pool_entry', 'completed', 1,
	     'bob', '2024-02-20T02:00:00Z', '2024-02-20T02:05:00Z')"
	sql "INSERT INTO strategy_execution_history (strategy_id, cluster_id,
	    execution_time, triggered_value, threshold_value, result,
	    order_id) VALUES
	    (1, 1, '2024-03-02T09:00:00Z', 'CPU:84.0%,MEM:N/A',
	     'CPU:80.0%,MEM:N/A', 'order_created', 1),
	    (2, 2, '2024-03-01T10:30:00Z', 'CPU:N/A,MEM:35.0%',
	     'CPU:N/A,MEM:30.0%', 'order_created', 2)"
	for ((i = 1; i <= 6; i++)); do
		sql "INSERT INTO device (created_at, updated_at, ci_code, ip,
		    status, cluster_id) VALUES ('2024-01-01T00:00:00Z',
		    '2024-01-01T00:00:00Z', 'CI-$i', '10.0.0.$i',
		    '$( ((i <= 3)) && echo in_pool || echo available)',
		    $( ((i <= 3)) && echo 1 || echo NULL))"
	done
}

# Where browser screenshots are kept after a run (test artefacts).
DASH_ARTIFACTS=${ESCTL_ARTIFACTS:-$ESCTL_TOP/build/test-artifacts}

# Runs tests/lib/browser (headless Chromium over the DevTools protocol)
# with the given arguments; its JSON report is in $output.
browser() {
	run -0 "$PYTHON" "$ESCTL_TOP/tests/lib/browser" "$@"
}

# --watch in a real terminal: a tmux server of the test ($TMUX_SOCK, set
# by the caller with T=$BATS_TEST_TMPDIR; kill it in teardown).
# Starts esctl dashboard --watch ARGS... in a 100x40 tmux pane; its pid
# goes to $T/pid and its exit status to $T/exit.
start_watch() {
	tmux -S "$TMUX_SOCK" -f /dev/null -u new-session -d -x 100 -y 40 \
	    "sh -c 'echo \$\$ > $T/pid; exec $ESCTL_BIN dashboard --watch $*';
	    echo \$? > $T/exit; sleep 60"
	wait_screen 'PENDING ORDERS'
}

screen() {
	tmux -S "$TMUX_SOCK" capture-pane -p
}

# Waits (10 s at most) until the screen shows the fixed string.
wait_screen() {
	local i
	for ((i = 0; i < 100; i++)); do
		if screen | grep -qF -- "$1"; then
			return 0
		fi
		sleep 0.1
	done
	echo "screen never showed '$1':" >&2
	screen >&2
	return 1
}

wait_file() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

keys() {
	tmux -S "$TMUX_SOCK" send-keys "$@"
}

alternate_on() {
	tmux -S "$TMUX_SOCK" display -p '#{alternate_on}'
}

# What an approval or rejection leaves on an order and its events,
# without the order's own identity.
order_state() {
	sql "SELECT status, approver, updated_at, cancel_reason,
	    (SELECT group_concat(actor || '|' || event || '|' ||
	    coalesce(from_status, '') || '|' || coalesce(to_status, '') ||
	    '|' || at || '|' || message, ';') FROM order_event e
	    WHERE e.order_id = o.id)
	    FROM elastic_scaling_order o WHERE order_number = '$1'"
}

