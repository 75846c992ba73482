#!/usr/bin/env bats
# 3022: esctl dashboard --watch in a real terminal (tmux): redraw on the
# alternate screen, the keys on pending orders going through the same
# library calls as `esctl order approve|reject`, the terminal restored on
# q and on SIGTERM.

load lib/common
load lib/pool
load lib/dashboard

setup() {
	common_setup
	dash_fixture
	export ESCTL_NOW=$DASH_NOW USER=operator
	TMUX_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	T=$BATS_TEST_TMPDIR
}

teardown() {
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
}

@test "approve through the TUI changes the order exactly like 'order approve'" {
	start_watch --interval 1s
	[ "$(alternate_on)" = 1 ]
	wait_screen 'PENDING ORDERS (3)'
	keys j
	keys a
	wait_screen 'approve order ESO-20240302-000002? (y/N)'
	keys y
	wait_screen 'order ESO-20240302-000002 approved (processing)'
	wait_screen 'PENDING ORDERS (2)'
	tui=$(order_state ESO-20240302-000002)
	# the CLI on another pending order, at the same fixed time
	run -0 esctl order approve ESO-20240302-000001
	cli=$(order_state ESO-20240302-000001)
	[ -n "$tui" ]
	[ "${tui%%|*}" = processing ]
	[ "$tui" = "$cli" ]
	keys q
	wait_file "$T/exit"
	[ "$(cat "$T/exit")" = 0 ]
	[ "$(alternate_on)" = 0 ]
}

@test "declining the confirmation changes nothing" {
	start_watch
	keys a
	wait_screen 'approve order ESO-20240302-000001? (y/N)'
	keys n
	wait_screen 'not approved'
	[ "$(sql "SELECT status FROM elastic_scaling_order WHERE id = 1")" = pending ]
	[ "$(sql "SELECT count(*) FROM order_event")" = 0 ]
}

@test "reject asks the reason and matches 'order reject'; / filters" {
	start_watch
	keys /
	wait_screen 'filter pending orders:'
	keys 000003 Enter
	wait_screen 'PENDING ORDERS (1)'
	run screen
	assert_output --partial 'ESO-20240302-000003'
	refute_output --partial 'ESO-20240302-000001'
	keys r
	wait_screen 'reject order ESO-20240302-000003, reason'
	keys 'not needed' Enter
	wait_screen 'order ESO-20240302-000003 rejected (cancelled)'
	tui=$(order_state ESO-20240302-000003)
	run -0 esctl order reject ESO-20240302-000001 --reason 'not needed'
	cli=$(order_state ESO-20240302-000001)
	[ "${tui%%|*}" = cancelled ]
	[ "$tui" = "$cli" ]
	# the filter now matches nothing; clearing it shows the rest
	wait_screen 'no pending orders'
	keys / Escape
	wait_screen 'PENDING ORDERS (1)'
}

@test "SIGTERM restores the terminal" {
	start_watch
	[ "$(alternate_on)" = 1 ]
	kill -TERM "$(cat "$T/pid")"
	wait_file "$T/exit"
	[ "$(cat "$T/exit")" = 0 ]
	[ "$(alternate_on)" = 0 ]
	# the cursor is visible again (tmux's cursor flag)
	[ "$(tmux -S "$TMUX_SOCK" display -p '#{cursor_flag}')" = 1 ]
}

@test "--watch refuses without a terminal, with --html and a bad interval" {
	run -2 --separate-stderr esctl dashboard --watch
	[ "$stderr" = "esctl: error: --watch needs a terminal on standard input and output" ]
	run -2 --separate-stderr esctl dashboard --interval 2s
	[ "$stderr" = "esctl: error: --interval needs --watch" ]
}
