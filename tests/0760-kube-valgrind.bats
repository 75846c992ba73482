#!/usr/bin/env bats
# 0760: no memory errors or leaks in the Kubernetes commands, under valgrind
# (the sanitizer build runs every suite under ASan/LSan instead).

load lib/common
load lib/kube

setup_file() {
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && return 0
	command -v valgrind >/dev/null || return 0
	kube_sim_start --ready-delay 0.05
}

teardown_file() {
	kube_sim_stop
}

setup() {
	common_setup
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && skip "sanitizer build: ASan/LSan cover this"
	require_dep valgrind command -v valgrind
	kube_sim_reset
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite \
	    "$ESCTL_BIN" "$@"
}

@test "valgrind: registry, ping, exec credentials, errors" {
	run -0 vg k8s add a --context sim-cert --idc gl
	run -0 vg k8s add b -f "$KUBE_SIM_KUBECONFIG" --context sim-basic
	run -0 vg -o yaml k8s list
	run -0 vg -o json k8s show b
	run -0 vg k8s ping b
	run -0 vg -vvv k8s ping
	run -4 vg k8s add a
	run -7 vg --context sim-bad-token k8s ping
	printf '%s\n' "clusters: [{name: c, cluster: {server: \"$KUBE_SIM_URL\"," \
	    "insecure-skip-tls-verify: true}}]" \
	    "users: [{name: u, user: {exec: {command: /bin/sh, args: [-c," \
	    "\"echo '{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{\\\"token\\\":\\\"$KUBE_SIM_TOKEN\\\"}}'\"]," \
	    "apiVersion: client.authentication.k8s.io/v1}}}]" \
	    "contexts: [{name: x, context: {cluster: c, user: u}}]" \
	    "current-context: x" > "$BATS_TEST_TMPDIR/exec.yaml"
	run -0 vg -o json k8s ping --kubeconfig "$BATS_TEST_TMPDIR/exec.yaml"
	assert_equal "$(jq -r .user <<<"$output")" token-admin
	run -3 vg --context nope k8s ping
}

@test "valgrind: container list with paging and retries, logs" {
	kube_sim_statefulset default es 2
	esctl __kube wait statefulsets default es --for rollout >/dev/null
	kube_sim_pods bulk 1100 p-
	kube_sim_fault GET /api/v1/namespaces/bulk/pods 503 1
	ESCTL_KUBE_RETRY_BASE=10ms run -0 vg -o json container list -n bulk
	assert_equal "$(jq '.items | length' <<<"$output")" 1100
	run -0 vg -o wide container list
	run -0 vg logs default --tail 1
	run -0 vg -o json logs default es-0
	run -2 vg logs default es-0 --previous
	vg logs default -f > "$BATS_TEST_TMPDIR/f.out" 3>&- &
	pid=$!
	kube_sim_wait 20 grep -q 'es-1/main' "$BATS_TEST_TMPDIR/f.out"
	kube_sim_api DELETE /api/v1/namespaces/default/pods/es-0 >/dev/null
	kube_sim_api DELETE /api/v1/namespaces/default/pods/es-1 >/dev/null
	wait "$pid"
}
