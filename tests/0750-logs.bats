#!/usr/bin/env bats
# 0750: esctl logs - container logs through the API, one pod or all of a
# service's, with --tail, --since, --timestamps and -f.

load lib/common
load lib/kube

setup_file() {
	kube_sim_start --ready-delay 0.05 --delete-delay 0.1
}

teardown_file() {
	kube_sim_stop
}

setup() {
	common_setup
	kube_sim_reset
	kube_sim_namespace es-1
	kube_sim_statefulset es-1 elasticsearch 2
	esctl __kube wait statefulsets es-1 elasticsearch --for rollout \
	    --timeout 20s >/dev/null
	kube_sim_log es-1 elasticsearch-0 "started [es-0]" "heap 1g"
	kube_sim_log es-1 elasticsearch-1 "started [es-1]"
}

teardown() {
	[ -z "${FOLLOW_PID:-}" ] || kill "$FOLLOW_PID" 2>/dev/null || true
}

@test "one pod's log" {
	run -0 --separate-stderr esctl logs es-1 elasticsearch-0
	assert_output "starting main (image registry.example.com/es:8.11) on $(
	    esctl -o json container list -n es-1 |
	    jq -r '.items | .[0].node')
main is ready
started [es-0]
heap 1g"
	run -0 esctl logs es-1 elasticsearch-0 --tail 1
	assert_output "heap 1g"
	run -0 esctl logs es-1 elasticsearch-0 --timestamps --tail 1
	assert_output --regexp '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z heap 1g$'
	assert_equal "$(kube_sim_requests '[.[] | select(.path |
	    endswith("/log")) | .query] | last')" \
	    '"container=main&tailLines=1&timestamps=true"'
}

@test "every pod of the namespace, prefixed" {
	run -0 esctl logs es-1 --tail 1
	assert_output $'[elasticsearch-0/main] heap 1g\n[elasticsearch-1/main] started [es-1]'
	run -0 esctl -o json logs es-1 --tail 1
	assert_equal "$(jq -sc '[.[] | [.pod, .container, .line]]' \
	    <<<"$output")" '[["elasticsearch-0","main","heap 1g"],["elasticsearch-1","main","started [es-1]"]]'
	run -0 esctl logs es-1 -l statefulset.kubernetes.io/pod-name=elasticsearch-1 \
	    --tail 2
	assert_output $'main is ready\nstarted [es-1]'
}

@test "--since: a duration or a time" {
	run -0 esctl logs es-1 elasticsearch-0 --since 10m
	assert_line "heap 1g"
	run -0 esctl logs es-1 elasticsearch-0 --since 2001-01-01T00:00:00Z
	assert_line "heap 1g"
	assert_equal "$(kube_sim_requests '[.[] | select(.path |
	    endswith("/log")) | .query] | join(" ")')" \
	    '"container=main&sinceSeconds=600 container=main&sinceTime=2001-01-01T00%3A00%3A00Z"'
	run -2 --separate-stderr esctl logs es-1 elasticsearch-0 --since soon
	[[ $stderr == *"invalid value 'soon' for --since"* ]]
}

@test "errors: unknown pod, container, namespace" {
	run -3 --separate-stderr esctl logs es-1 nope
	[[ $stderr == *'pods "nope" not found'* ]]
	run -3 --separate-stderr esctl logs es-1 elasticsearch-0 -c nope
	[[ $stderr == *"no container 'nope' in elasticsearch-0"* ]]
	kube_sim_namespace empty
	run -3 --separate-stderr esctl logs empty
	[[ $stderr == *"no running pods in namespace 'empty'"* ]]
	run -2 --separate-stderr esctl logs es-1 elasticsearch-0 --previous
	[[ $stderr == *'previous terminated container "main" in pod "elasticsearch-0" not found (BadRequest)'* ]]
}

@test "-f follows new lines until the pod ends" {
	esctl logs es-1 elasticsearch-0 -f > "$BATS_TEST_TMPDIR/follow.out" \
	    2> "$BATS_TEST_TMPDIR/follow.err" 3>&- &
	FOLLOW_PID=$!
	kube_sim_wait 10 grep -q 'heap 1g' "$BATS_TEST_TMPDIR/follow.out"
	kube_sim_log es-1 elasticsearch-0 "indexing 1000 docs" "done"
	kube_sim_wait 10 grep -q '^done$' "$BATS_TEST_TMPDIR/follow.out"
	kill -0 "$FOLLOW_PID"
	# deleting the pod ends the stream and esctl exits 0
	kube_sim_api DELETE /api/v1/namespaces/es-1/pods/elasticsearch-0 \
	    >/dev/null
	wait "$FOLLOW_PID"
	FOLLOW_PID=
	run -0 tail -2 "$BATS_TEST_TMPDIR/follow.out"
	assert_output $'indexing 1000 docs\ndone'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/follow.err")" ""
}

@test "-f on every pod follows all streams at once" {
	esctl logs es-1 -f --tail 0 > "$BATS_TEST_TMPDIR/all.out" 3>&- &
	FOLLOW_PID=$!
	kube_sim_wait 10 follow_streams_open
	kube_sim_log es-1 elasticsearch-1 "from one"
	kube_sim_log es-1 elasticsearch-0 "from zero"
	kube_sim_wait 10 grep -q 'from zero' "$BATS_TEST_TMPDIR/all.out"
	kube_sim_wait 10 grep -q 'from one' "$BATS_TEST_TMPDIR/all.out"
	run -0 sort "$BATS_TEST_TMPDIR/all.out"
	assert_output $'[elasticsearch-0/main] from zero\n[elasticsearch-1/main] from one'
	run -2 --separate-stderr esctl logs es-1 -f --max-streams 1
	[[ $stderr == *"following 2 log streams, more than --max-streams 1"* ]]
}

follow_streams_open() {
	[ "$(kube_sim_requests '[.[] | select(.path | endswith("/log"))
	    | select(.status == null)] | length')" = 2 ]
}

@test "tenant scope applies to logs" {
	run -7 --separate-stderr esctl --as-org o1 logs es-1
	[[ $stderr == *"namespace 'es-1' does not belong to org 'o1'"* ]]
	assert_equal "$(kube_sim_count GET '*/log')" 0
}
