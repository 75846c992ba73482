#!/usr/bin/env bats
# 3007: no memory errors or leaks on the node-pool paths, under valgrind
# (the sanitizer build runs everything under ASan/LSan instead).

load lib/common
load lib/kube
load lib/pool

setup() {
	common_setup
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && skip "sanitizer build: ASan/LSan cover this"
	require_dep valgrind command -v valgrind
	export TZ=UTC
	add_cluster prod-a
	timeline "$BATS_TEST_TMPDIR/t.csv" prod-a 2024-01-01T00:00:00Z 5 cpu=90,90,90,90 mem=-,20,20,20
}

teardown() {
	kube_sim_stop
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite \
	    "$ESCTL_BIN" "$@"
}

@test "valgrind: import, strategies, check with notifications, history" {
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'notify:\n  channels: [system, im, email]\n  timeout: 2s\n  im:\n    url: http://127.0.0.1:%s/x\n  email:\n    smtp_url: smtp://127.0.0.1:%s\n    from: e@example.com\n' \
	    "$(free_port)" "$(free_port)" > "$XDG_CONFIG_HOME/esctl/config.yaml"
	run -0 vg snapshot import "$BATS_TEST_TMPDIR/t.csv"
	run -0 vg snapshot list -o wide
	run -2 vg snapshot import --format json "$BATS_TEST_TMPDIR/t.csv"
	run -0 vg duty add alice --date 2024-01-01 --start 00:00 --end 00:00 --email a@example.com --days 2
	run -0 vg strategy create hot -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --memory-threshold 10 --memory-type usage --logic AND --duration 10 --device-count 1 --node-selector '{"a":"b"}'
	run -2 vg strategy create bad -c prod-a -a pool_entry --cpu-threshold 80 --device-count 1
	run -0 vg strategy check --at 2024-01-01T00:15:00Z -o json
	run -0 vg strategy check --at 2024-01-01T00:15:00Z
	run -0 vg --dry-run strategy check --at 2024-01-01T00:15:00Z
	run -0 vg strategy show hot -o yaml
	run -0 vg strategy list -o wide --limit 1
	run -0 vg strategy history -o json
	run -0 vg strategy update hot --cpu-threshold none
	run -0 vg order list
	run -0 vg order show ESO-20240101-000001 -o json
	run -0 vg notify list
	run -0 vg notify read --all
	run -6 vg notify test email --to b@example.com
	run -0 vg duty now --at 2024-01-01T12:00:00Z
	run -4 vg strategy delete --yes hot
}

@test "valgrind: snapshot collect from the API server, with a dead Prometheus" {
	kube_sim_start --ready-delay 0.05
	kube_sim_metrics '{"nodes": {"sim-node-1": {"cpu": "3", "memory": "8Gi"}}}'
	run -0 esctl k8s add sim --context sim
	run -0 esctl k8s add sim-prom --context sim --prometheus "http://127.0.0.1:$(free_port)"
	run -0 vg snapshot collect --cluster sim -o json
	run -6 vg snapshot collect
	run -0 vg snapshot prune --older-than 1d --yes
}
