#!/usr/bin/env bats
# 2006: cluster create refuses bad input with a clear error and exit 2
# (7 for credentials) and creates nothing: no record, no report, no
# request to the API server.

load lib/common
load lib/kube
load lib/lifecycle

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
	run -0 esctl tenant list	# the database exists
	BEFORE=$(db_dump)
}

teardown() {
	cluster_teardown
}

# Asserts nothing was created by the command just run.
assert_nothing() {
	assert_equal "$(db_dump)" "$BEFORE"
	assert_equal "$(kube_sim_count '*' '/api*')" 0
	[ ! -e "$ESCTL_DATA_DIR/deployment_reports" ]
	[ ! -s "$RECV_LOG" ]
}

@test "the three required fields, word for word, in the seeds' order" {
	run -2 --separate-stderr esctl cluster create --user alice --service s
	assert_equal "$stderr" "esctl: error: tenant_org_id is required for multi-tenancy"
	run -2 --separate-stderr esctl cluster create --org org-001 --service s
	assert_equal "$stderr" "esctl: error: user is required"
	run -2 --separate-stderr esctl cluster create --org org-001 --user alice
	assert_equal "$stderr" "esctl: error: service_name is required"
	run -2 --separate-stderr esctl cluster create
	assert_equal "$stderr" "esctl: error: tenant_org_id is required for multi-tenancy"
	run -2 --separate-stderr esctl cluster create --org org-001 --user '' --service s
	assert_equal "$stderr" "esctl: error: user is required"
	run -2 --separate-stderr esctl cluster create --user alice --service s -o json
	assert_equal "$(jq -r .error.message <<<"$output")" \
	    "tenant_org_id is required for multi-tenancy"
	assert_equal "$(jq -r .error.code <<<"$output")" 2
	assert_nothing
}

@test "invalid quantities, request > limit (numerically)" {
	local c="esctl cluster create --org org-001 --user alice --service s"
	run -2 --separate-stderr $c --cpu-request lots
	[[ $stderr == *"invalid quantity 'lots' for --cpu-request"* ]]
	run -2 --separate-stderr $c --mem-limit 2GB
	[[ $stderr == *"invalid quantity '2GB' for --mem-limit"* ]]
	run -2 --separate-stderr $c --disk-size -1Gi
	[[ $stderr == *"must not be negative"* ]]
	run -2 --separate-stderr $c --cpu-limit 0
	[[ $stderr == *"must be greater than zero"* ]]
	run -2 --separate-stderr $c --cpu-request 1500m --cpu-limit 1.2
	[[ $stderr == *"cpu_request '1500m' is greater than cpu_limit '1.2'"* ]]
	run -2 --separate-stderr $c --mem-request 3Gi
	[[ $stderr == *"mem_request '3Gi' is greater than mem_limit '2Gi'"* ]]
	run -2 --separate-stderr $c --mem-request 1e3 --mem-limit 999
	[[ $stderr == *"greater than"* ]]
	run -2 --separate-stderr $c --replicas 0
	[[ $stderr == *"--replicas"* ]]
	run -2 --separate-stderr $c --replicas two
	run -2 --separate-stderr $c --gpu-count -1
	run -2 --separate-stderr $c --dimension 0
	assert_nothing
}

@test "over-long or invalid names; namespaces" {
	local long
	long=$(printf 'x%.0s' {1..64})
	run -2 --separate-stderr esctl cluster create --org org-001 --user "$long" --service s
	[[ $stderr == *"invalid user '$long': must be 1 to 63 characters"* ]]
	run -2 --separate-stderr esctl cluster create --org org-001 --user alice --service 'a b'
	[[ $stderr == *"invalid service_name 'a b'"* ]]
	run -2 --separate-stderr esctl cluster create --org 'org/1' --user alice --service s
	[[ $stderr == *"invalid tenant_org_id"* ]]
	run -2 --separate-stderr esctl cluster create --org org-001 --user -alice --service s
	# a valid name, but a derived namespace over 63 characters
	local l30
	l30=$(printf 'y%.0s' {1..30})
	run -2 --separate-stderr esctl cluster create --org org-001 --user "$l30" --service "$l30"
	[[ $stderr == *"not a valid DNS-1123 label"*"--namespace"* ]]
	run -2 --separate-stderr esctl cluster create --org org-001 --user alice --service s --namespace Bad_NS
	[[ $stderr == *"invalid namespace 'Bad_NS'"* ]]
	assert_nothing
	# with --namespace it works; the derivation lower-cases and maps _ and .
	run -0 --separate-stderr esctl cluster create --org org-001 \
	    --user "$l30" --service "$l30" --namespace long-one --dry-run -o json
	assert_equal "$(jq -r '.items[0].metadata.name' <<<"$output")" long-one
	run -0 --separate-stderr esctl cluster create --org Org_1 \
	    --user Alice.B --service My_Svc --dry-run -o json
	assert_equal "$(jq -r '.items[0].metadata.name' <<<"$output")" org-1-alice-b-my-svc
}

@test "--from-file: JSON and YAML with the same keys; unknown keys with a position" {
	cat > "$BATS_TEST_TMPDIR/in.json" <<-'EOF'
	{"tenant_org_id": "org-001", "user": "alice", "service_name": "search",
	 "replicas": 2, "cpu_request": "1", "cpu_limit": 4, "mem_limit": "8Gi",
	 "gpu_count": 0, "index_limit": 5}
	EOF
	run -0 --separate-stderr esctl cluster create -f "$BATS_TEST_TMPDIR/in.json" \
	    --dry-run -o json
	assert_equal "$(jq -r '.items[] | select(.kind == "StatefulSet") | .spec.replicas' <<<"$output")" 2
	cat > "$BATS_TEST_TMPDIR/in.yaml" <<-'EOF'
	tenant_org_id: org-001
	user: alice
	service_name: search
	replicas: 3
	EOF
	# flags win over the file
	run -0 --separate-stderr esctl cluster create \
	    -f "$BATS_TEST_TMPDIR/in.yaml" --replicas 1 --dry-run -o json
	assert_equal "$(jq -r '.items[] | select(.kind == "StatefulSet") | .spec.replicas' <<<"$output")" 1
	printf 'tenant_org_id: org-001\nuser: alice\nservice_name: s\nreplica: 3\n' \
	    > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 --separate-stderr esctl cluster create -f "$BATS_TEST_TMPDIR/bad.yaml"
	assert_equal "$stderr" "esctl: error: $BATS_TEST_TMPDIR/bad.yaml:4:1: unknown key 'replica' (did you mean 'replicas'?)"
	printf '{"tenant_org_id": "o", "user": "u", "service_name": "s",\n "replicas": "two"}\n' \
	    > "$BATS_TEST_TMPDIR/bad.json"
	run -2 --separate-stderr esctl cluster create -f "$BATS_TEST_TMPDIR/bad.json"
	[[ $stderr == *"bad.json:2:14: replicas must be an integer, not 'two'"* ]]
	printf '[1, 2]\n' > "$BATS_TEST_TMPDIR/list.json"
	run -2 --separate-stderr esctl cluster create -f "$BATS_TEST_TMPDIR/list.json"
	[[ $stderr == *"expected a mapping"* ]]
	printf '{"user": \n' > "$BATS_TEST_TMPDIR/broken.json"
	run -2 --separate-stderr esctl cluster create -f "$BATS_TEST_TMPDIR/broken.json"
	[[ $stderr == *"broken.json:"* ]]
	printf 'tenant_org_id: org-001\nuser: alice\nservice_name: s\n' \
	    > "$BATS_TEST_TMPDIR/stdin.yaml"
	run -0 --separate-stderr esctl cluster create -f - --dry-run -o json \
	    < "$BATS_TEST_TMPDIR/stdin.yaml"
	assert_equal "$stderr" 'dry run: nothing sent, nothing recorded'
	assert_equal "$(jq -r '.items[0].kind, .items[0].metadata.name,
	    .items[0].metadata.labels["tenant-org-id"]' <<<"$output")" \
	    $'Namespace\norg-001-alice-s\norg-001'
	assert_nothing
}

@test "bad GitLab URL or credentials: clear error, nothing created" {
	make_repo conf
	local c="esctl cluster create --org org-001 --user alice --service s"
	run -2 --separate-stderr $c --gitlab-url ftp://example/x.git
	[[ $stderr == *"scheme 'ftp' is not supported"* ]]
	run -2 --separate-stderr $c --gitlab-url "not a url"
	start_git_server --token good-token
	ESCTL_GITLAB_TOKEN=bad-token run -7 --separate-stderr $c \
	    --gitlab-url "$GIT_URL/conf.git"
	[[ $stderr == *"authentication failed"* && $stderr != *bad-token* ]]
	run -3 --separate-stderr $c --gitlab-url "file://$REPO_BARE#no-such-branch"
	ESCTL_GITLAB_TOKEN=good-token run -6 --separate-stderr $c \
	    --gitlab-url "$GIT_URL/missing.git"
	assert_nothing
}

@test "GitLab values are defaults; manifests are applied with \${VAR}s" {
	make_repo conf
	start_git_server --token good-token
	ESCTL_GITLAB_TOKEN=good-token run -0 --separate-stderr esctl cluster \
	    create --org org-001 --user alice --service search \
	    --gitlab-url "http://oauth2:good-token@127.0.0.1:$GIT_PORT/conf.git#v1" \
	    --replicas 1
	[[ $stderr != *good-token* ]]
	local ns=org-001-alice-search sts
	sts=$(kube_sim_api GET "/apis/apps/v1/namespaces/$ns/statefulsets/elasticsearch")
	# replicas from the flag, cpu_limit from esctl.yaml, image too
	assert_equal "$(jq -r .spec.replicas <<<"$sts")" 1
	assert_equal "$(jq -r '.spec.template.spec.containers[0].resources.limits.cpu' <<<"$sts")" 3
	assert_equal "$(jq -r '.spec.template.spec.containers[0].image' <<<"$sts")" \
	    registry.example/es:8.11-test
	run -0 kube_sim_api GET "/api/v1/namespaces/$ns/configmaps/extra-settings"
	assert_equal "$(jq -r '.data | "\(.namespace) \(.replicas) \(.owner)"' <<<"$output")" \
	    "$ns 1 org-001/alice/search"
	assert_equal "$(jq -r '.metadata.labels."tenant-org-id"' <<<"$output")" org-001
	run -0 kube_sim_api GET "/api/v1/namespaces/$ns/configmaps/elasticsearch-config"
	[[ $(jq -r '.data["elasticsearch.yml"]' <<<"$output") == *"indices.query.bool.max_clause_count: 4096"* ]]
	run -0 kube_sim_api GET "/api/v1/namespaces/$ns"
	assert_equal "$(jq -r '.metadata.annotations["es.yunpeng.cn/gitlab-commit"]' <<<"$output")" \
	    "$(tgit -C "$REPO_SRC" rev-parse v1)"
	# the stored URL carries no credentials
	assert_equal "$(sql 'SELECT gitlab_url FROM tenant_container')" \
	    "http://127.0.0.1:$GIT_PORT/conf.git"
	! grep -rq good-token "$ESCTL_DATA_DIR/deployment_reports" "$ESCTL_DB"
}

@test "a manifest that is not allowed stops the create at step 3" {
	make_repo conf
	cat > "$REPO_SRC/manifests/20-role.yaml" <<-'EOF'
	apiVersion: rbac.authorization.k8s.io/v1
	kind: ClusterRole
	metadata:
	  name: too-much
	EOF
	tgit -C "$REPO_SRC" add -A
	tgit -C "$REPO_SRC" commit -qm role
	tgit -C "$REPO_SRC" push -q "$REPO_BARE" main
	run -2 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --gitlab-url "file://$REPO_BARE"
	[[ $stderr == *"20-role.yaml:1:1"*"kind 'ClusterRole'"*"not allowed"* ]]
	assert_equal "$(db_statuses alice search)" "starting namespace_created failed"
	run -1 kube_sim_api GET /api/v1/namespaces/org-001-alice-search
}
