#!/usr/bin/env bats
# 2009: no memory errors or leaks on the lifecycle's main paths under
# valgrind (the sanitizer build runs the whole suite under ASan/LSan).

load lib/common
load lib/kube
load lib/lifecycle

setup_file() {
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && return 0
	command -v valgrind >/dev/null || return 0
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && skip "sanitizer build: ASan/LSan cover this"
	require_dep valgrind command -v valgrind
	cluster_setup
}

teardown() {
	cluster_teardown
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite \
	    "$ESCTL_BIN" "$@"
}

@test "valgrind: create, list, get, scale, delete, reports" {
	run -0 vg cluster create --org org-001 --user alice --service search \
	    --gpu-count 1
	run -0 vg cluster list -o wide
	run -0 vg cluster get org-001-alice-search -o yaml
	run -0 vg cluster scale org-001-alice-search --replicas 2
	run -0 vg report list -o wide
	run -0 vg report show alice search -o json
	run -0 vg report stats alice search
	run -0 vg report log --lines 3
	run -0 vg tenant usage --org org-001
	run -0 vg deployment list -o json
	run -0 vg cluster delete org-001-alice-search --yes
}

@test "valgrind: rollback, bad input, outbox, GitLab" {
	# the report service is down: reports wait in the outbox
	write_config <<-EOF
	report:
	  url: http://127.0.0.1:$(free_port)/report
	EOF
	kube_sim_fault PUT \
	    /apis/apps/v1/namespaces/org-001-alice-search/statefulsets/elasticsearch 500 0
	run -6 vg cluster create --org org-001 --user alice --service search
	kube_sim_faults_clear
	run -2 vg cluster create --org org-001 --user alice --service s \
	    --cpu-request 3 --cpu-limit 2
	printf 'user: a\nreplica: 1\n' > "$BATS_TEST_TMPDIR/in.yaml"
	run -2 vg cluster create -f "$BATS_TEST_TMPDIR/in.yaml"
	run -0 vg cluster create --org org-001 --user alice --service search \
	    --dry-run
	run -6 vg report flush
	make_repo conf
	start_git_server --token t0k
	ESCTL_GITLAB_TOKEN=t0k run -0 vg config pull "$GIT_URL/conf.git"
	ESCTL_GITLAB_TOKEN=bad run -7 vg config pull "$GIT_URL/conf.git"
	run -0 vg cluster create --org org-001 --user bob --service cfg \
	    --gitlab-url "file://$REPO_BARE" --no-kibana
}
