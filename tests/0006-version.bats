#!/usr/bin/env bats
# 0006: esctl version - the client's version and build, every library's
# version as the library reports it, and the server's /version.

load lib/common
load lib/kube

setup_file() {
	kube_sim_start
}

teardown_file() {
	kube_sim_stop
}

@test "client: version, build and each library's own version" {
	run -0 --separate-stderr esctl version --client -o json
	[ "$(jq -r .client_version.version <<<"$output")" = \
	    "$(esctl --version | awk '{print $2}')" ]
	[[ $(jq -r .client_version.compiler <<<"$output") == gcc\ * ||
	    $(jq -r .client_version.compiler <<<"$output") == clang\ * ]]
	[ "$(jq -r .client_version.libraries.sqlite <<<"$output")" = \
	    "$(pkg-config --modversion sqlite3)" ]
	[ "$(jq -r .client_version.libraries.libyaml <<<"$output")" = \
	    "$(pkg-config --modversion yaml-0.1)" ]
	[ "$(jq -r .client_version.libraries.cjson <<<"$output")" = \
	    "$(pkg-config --modversion libcjson)" ]
	[ "$(jq -r .client_version.libraries.libcurl <<<"$output")" = \
	    "$(pkg-config --modversion libcurl)" ]
	[ "$(jq -r .client_version.libraries.libgit2 <<<"$output")" = \
	    "$(pkg-config --modversion libgit2)" ]
	[ "$(jq -r 'has("server_version")' <<<"$output")" = false ]
	# the human form names the same versions
	run -0 esctl version --client
	[[ ${lines[0]} == "Client Version: $(esctl --version | awk '{print $2}')" ]]
	[[ $output == *"sqlite $(pkg-config --modversion sqlite3)"* ]]
}

@test "with a kubeconfig: the server's /version too" {
	run -0 --separate-stderr esctl version --kubeconfig \
	    "$KUBE_SIM_KUBECONFIG" -o json
	[ "$(jq -r .server_version.gitVersion <<<"$output")" = \
	    "$(curl -s --cacert "$KUBE_SIM_CA" "$KUBE_SIM_URL/version" |
	    jq -r .gitVersion)" ]
	[ "$(kube_sim_count GET /version)" -ge 1 ]
	run -0 esctl version --kubeconfig "$KUBE_SIM_KUBECONFIG"
	[[ $output == *"Server Version: v"* ]]
	# --client: not asked
	kube_sim_requests_clear
	run -0 esctl version --client --kubeconfig "$KUBE_SIM_KUBECONFIG"
	[ "$(kube_sim_count GET /version)" = 0 ]
}

@test "an unreachable server: client printed, then exit 6" {
	cat > "$BATS_TEST_TMPDIR/dead.yaml" <<-EOF2
	apiVersion: v1
	kind: Config
	clusters: [{name: c, cluster: {server: "https://127.0.0.1:$(free_port)"}}]
	users: [{name: u, user: {token: t}}]
	contexts: [{name: x, context: {cluster: c, user: u}}]
	current-context: x
	EOF2
	ESCTL_KUBE_RETRY_MAX_TIME=1s ESCTL_KUBE_RETRY_BASE=10ms \
	    run -6 --separate-stderr esctl version --kubeconfig \
	    "$BATS_TEST_TMPDIR/dead.yaml"
	[[ ${lines[0]} == "Client Version: "* ]]
	[[ $stderr == *"esctl: error:"* ]]
}
