#!/usr/bin/env bats
# 0730: esctl k8s - the registry of managed clusters (add, list, show,
# update, remove) and ping.

load lib/common
load lib/kube

setup_file() {
	kube_sim_start
}

teardown_file() {
	kube_sim_stop
}

setup() {
	common_setup
	kube_sim_reset
	TOKEN_LINE="token: \"$KUBE_SIM_TOKEN\""
}

# A standalone kubeconfig (the sim's, current context sim-viewer).
viewer_kubeconfig() {
	sed 's/^current-context: sim$/current-context: sim-viewer/' \
	    "$KUBE_SIM_KUBECONFIG" > "$BATS_TEST_TMPDIR/prod.yaml"
}

@test "add with a stored kubeconfig: content kept, never shown" {
	viewer_kubeconfig
	run -0 --separate-stderr esctl k8s add prod-1 --kubeconfig-file \
	    "$BATS_TEST_TMPDIR/prod.yaml" --idc gl --zone core --type work \
	    --prometheus http://prom.example:9090 --desc "main pool"
	[[ $output == "cluster 'prod-1' added ($KUBE_SIM_URL, context 'sim-viewer', kubeconfig stored)" ]]
	# stored as text in the row
	run -0 sql "SELECT kube_context, length(kubeconfig) > 100, apiserver,
	    idc, zone, clustertype, promserver, status, \"desc\"
	    FROM k8s_cluster WHERE clustername = 'prod-1'"
	assert_output "|1|$KUBE_SIM_URL|gl|core|work|http://prom.example:9090|running|main pool"
	# a secret: redacted everywhere
	for fmt in table json yaml wide; do
		run -0 esctl -o "$fmt" k8s show prod-1
		refute_output --partial "$KUBE_SIM_TOKEN"
		refute_output --partial "certificate-authority-data"
		run -0 esctl -o "$fmt" k8s list
		refute_output --partial "$KUBE_SIM_TOKEN"
	done
	run -0 esctl -o json k8s show prod-1
	assert_equal "$(jq -r '.kubeconfig, .source, .clustername, .status,
	    (.cluster_id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"))' \
	    <<<"$output")" $'<redacted>\nkubeconfig\nprod-1\nrunning\ntrue'
	# the database stays private
	[ "$(stat -c %a "$ESCTL_DB")" = 600 ]
	# ping through the stored kubeconfig
	run -0 --separate-stderr esctl -o json k8s ping prod-1
	assert_equal "$(jq -r '.cluster, .context, .user' <<<"$output")" \
	    $'prod-1\nsim-viewer\ntoken-viewer'
}

@test "add by context reference pins the context; ping uses it" {
	run -0 esctl k8s add ref-1 --idc ft
	run -0 esctl -o json k8s show ref-1
	assert_equal "$(jq -r '.source, .kube_context, .kubeconfig, .apiserver' \
	    <<<"$output")" "context
sim

$KUBE_SIM_URL"
	run -0 esctl k8s add ref-2 --context sim-cert
	run -0 --separate-stderr esctl -o json k8s ping ref-2
	assert_equal "$(jq -r .user <<<"$output")" cert-admin
	# the reference survives a change of the current context
	run -0 --separate-stderr esctl -o json --context sim-viewer k8s ping ref-1
	assert_equal "$(jq -r .user <<<"$output")" token-admin
	# an unknown context is refused, nothing stored
	before=$(db_dump)
	run -3 --separate-stderr esctl k8s add ref-3 --context nope
	[[ $stderr == *"cannot add cluster 'ref-3': context 'nope' not found"* ]]
	assert_equal "$(db_dump)" "$before"
}

@test "list filters and columns" {
	esctl k8s add a --idc gl --zone core --type work >/dev/null
	esctl k8s add b --idc ft --zone egt --type tool --status maintaining \
	    >/dev/null
	esctl k8s add c --idc gl --zone egt --type work >/dev/null
	run -0 esctl k8s list
	assert_line --index 0 --regexp '^NAME +STATUS +TYPE +IDC +ZONE +SOURCE +APISERVER +AGE$'
	assert_line --index 2 --regexp '^b +maintaining +tool +ft +egt +context +https://'
	run -0 esctl -o name k8s list --idc gl
	assert_output $'k8s/a\nk8s/c'
	run -0 esctl -o name k8s list --idc gl --zone egt
	assert_output k8s/c
	run -0 esctl -o name k8s list --status maintaining
	assert_output k8s/b
	run -0 esctl -o json k8s list --type nope
	assert_equal "$(jq -c . <<<"$output")" '{"kind":"List","items":[]}'
}

@test "update changes only what is given" {
	esctl k8s add a --idc gl --zone core >/dev/null
	run -0 esctl k8s update a --zone egt --status maintaining
	assert_output "cluster 'a' updated"
	run -0 sql "SELECT idc, zone, status, updated_at >= created_at
	    FROM k8s_cluster WHERE clustername = 'a'"
	assert_output "gl|egt|maintaining|1"
	# from a reference to a stored kubeconfig and back
	viewer_kubeconfig
	run -0 esctl k8s update a --kubeconfig-file "$BATS_TEST_TMPDIR/prod.yaml"
	run -0 esctl -o json k8s show a
	assert_equal "$(jq -r '.source, .kubeconfig' <<<"$output")" \
	    $'kubeconfig\n<redacted>'
	run -0 --separate-stderr esctl -o json k8s ping a
	assert_equal "$(jq -r .user <<<"$output")" token-viewer
	run -0 esctl k8s update a --context sim-basic
	run -0 --separate-stderr esctl -o json k8s ping a
	assert_equal "$(jq -r .user <<<"$output")" basic-admin
	run -0 esctl k8s update a --ambient --context sim-cert
	run -0 esctl -o json k8s show a
	assert_equal "$(jq -r '.source, .kube_context, .kubeconfig' \
	    <<<"$output")" $'context\nsim-cert'
	run -2 --separate-stderr esctl k8s update a
	[[ $stderr == *"nothing to update"* ]]
	run -3 --separate-stderr esctl k8s update nope --zone x
	[[ $stderr == *"no cluster 'nope'"* ]]
}

@test "remove is a soft delete; the name can be used again" {
	esctl k8s add a --idc gl >/dev/null
	run -2 --separate-stderr esctl k8s remove a
	[[ $stderr == *"refusing to remove cluster 'a' from the registry without confirmation"* ]]
	run -0 esctl k8s remove a --yes
	assert_output "cluster 'a' removed"
	run -3 esctl k8s show a
	run -0 sql "SELECT count(*), count(deleted_at) FROM k8s_cluster"
	assert_output "1|1"
	run -0 esctl k8s add a --idc ft
	run -0 sql "SELECT idc, deleted_at IS NULL FROM k8s_cluster
	    ORDER BY id"
	assert_output $'gl|0\nft|1'
	run -3 esctl k8s remove nope --yes
}

@test "bad input: clear errors, exit codes, database unchanged" {
	esctl k8s add a >/dev/null
	before=$(db_dump)
	run -4 --separate-stderr esctl k8s add a
	[[ $stderr == *"cluster 'a' already exists"* ]]
	run -2 --separate-stderr esctl k8s add 'bad name'
	[[ $stderr == *"invalid cluster name 'bad name'"* ]]
	run -2 --separate-stderr esctl k8s add b --prometheus prom:9090
	[[ $stderr == *"--prometheus: an http:// or https:// URL"* ]]
	run -2 --separate-stderr esctl k8s add b --idc 'g l'
	run -2 --separate-stderr esctl k8s add b --level high
	printf 'clusters: [\n' > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 --separate-stderr esctl k8s add b --kubeconfig-file \
	    "$BATS_TEST_TMPDIR/bad.yaml"
	[[ $stderr == *"cannot add cluster 'b': $BATS_TEST_TMPDIR/bad.yaml:"* ]]
	run -2 --separate-stderr esctl k8s add b --kubeconfig-file \
	    "$BATS_TEST_TMPDIR/none.yaml"
	[[ $stderr == *"cannot read kubeconfig file '$BATS_TEST_TMPDIR/none.yaml'"* ]]
	run -0 esctl --dry-run k8s add b --idc gl
	run -0 esctl --dry-run k8s remove a
	run -0 esctl --dry-run k8s update a --idc x
	assert_equal "$(db_dump)" "$before"
	# offline: nothing was sent
	assert_equal "$(kube_sim_count '*' '*')" 0
}

@test "ping: the ambient context, a registered cluster, failures" {
	run -0 --separate-stderr esctl k8s ping
	assert_line --regexp '^context: +sim$'
	assert_line --regexp '^user: +token-admin$'
	assert_line --regexp '^server_version: +v1\.24\.0-alpha\.1\+kube-sim$'
	assert_line --regexp '^latency_ms: +[0-9]+$'
	run -3 --separate-stderr esctl k8s ping nope
	[[ $stderr == *"no cluster 'nope'"* ]]
	esctl k8s add down --context sim >/dev/null
	sed -i "s|$KUBE_SIM_URL|https://127.0.0.1:1|" "$KUBE_SIM_KUBECONFIG"
	cp "$KUBE_SIM_KUBECONFIG" "$BATS_TEST_TMPDIR/down.yaml"
	sed -i "s|https://127.0.0.1:1|$KUBE_SIM_URL|" "$KUBE_SIM_KUBECONFIG"
	esctl k8s update down --kubeconfig-file "$BATS_TEST_TMPDIR/down.yaml" \
	    >/dev/null
	export ESCTL_KUBE_RETRY_BASE=10ms
	run -6 --separate-stderr esctl k8s ping down
	[[ $stderr == *"cannot reach https://127.0.0.1:1"* ]]
	# a user the server knows nothing about: whoami is just unknown
	kube_sim_token no-review u9 '[]' '[{"verbs": ["get"],
	    "resources": ["*"]}]'
	kube_sim_fault POST '/apis/authentication.k8s.io/*' 404 0
	jq -n --arg s "$KUBE_SIM_URL" --arg ca "$(base64 -w0 < "$KUBE_SIM_CA")" \
	    '{clusters: [{name: "c", cluster: {server: $s,
	    "certificate-authority-data": $ca}}], users: [{name: "u",
	    user: {token: "no-review"}}], contexts: [{name: "x", context: {
	    cluster: "c", user: "u"}}], "current-context": "x"}' \
	    > "$BATS_TEST_TMPDIR/u9.yaml"
	run -0 --separate-stderr esctl -o json k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/u9.yaml"
	assert_equal "$(jq -c '[.user, .server_version]' <<<"$output")" \
	    '[null,"v1.24.0-alpha.1+kube-sim"]'
}

@test "completion lists registered clusters" {
	esctl k8s add zeta >/dev/null
	esctl k8s add alpha >/dev/null
	esctl k8s add gone >/dev/null
	esctl k8s remove gone --yes >/dev/null
	run -0 esctl __complete k8s-cluster
	assert_output $'alpha\nzeta'
}
