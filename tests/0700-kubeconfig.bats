#!/usr/bin/env bats
# 0700: kubeconfig - every authentication mode, merging, contexts, TLS
# settings and secret redaction, against the local API server.

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
	CA_DATA=$(base64 -w0 < "$KUBE_SIM_CA")
	PKI=$(dirname "$KUBE_SIM_CA")
}

teardown() {
	[ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null || true
}

# kc FILE USER-JSON [CLUSTER-JSON]: a kubeconfig (JSON is YAML) with one
# cluster, user and context "t", the current one.
kc() {
	local file=$1 user cluster=${3:-}
	user=$(jq -nc "$2")
	if [ -n "$cluster" ]; then
		cluster=$(jq -nc "$cluster")
	else
		cluster=$(jq -nc --arg s "$KUBE_SIM_URL" --arg ca "$CA_DATA" \
		    '{server: $s, "certificate-authority-data": $ca}')
	fi
	mkdir -p "$(dirname "$file")"
	jq -n --argjson u "$user" --argjson c "$cluster" '{
	    apiVersion: "v1", kind: "Config",
	    clusters: [{name: "c", cluster: $c}],
	    users: [{name: "u", user: $u}],
	    contexts: [{name: "t", context: {cluster: "c", user: "u",
	        namespace: "team-a"}}],
	    "current-context": "t"}' > "$file"
}

ping_user() {
	run -0 --separate-stderr esctl -o json k8s ping "$@"
	jq -r .user <<<"$output"
}

@test "token: the admin token authenticates" {
	run -0 --separate-stderr esctl -o json k8s ping
	assert_equal "$(jq -r .user <<<"$output")" token-admin
	assert_equal "$(jq -r .auth <<<"$output")" token
	assert_equal "$(jq -r .server_version <<<"$output")" \
	    v1.24.0-alpha.1+kube-sim
	[ "$(jq -r '.latency_ms | type' <<<"$output")" = number ]
	# one connection, the esctl User-Agent
	run -0 kube_sim_requests '[.[] | .user_agent] | unique | .[]'
	assert_output '"esctl/0.1.0"'
}

@test "client-certificate and client-key files" {
	assert_equal "$(ping_user --context sim-cert)" cert-admin
	run -0 --separate-stderr esctl -o json --context sim-cert k8s ping
	assert_equal "$(jq -r .auth <<<"$output")" client-certificate
}

@test "client-certificate-data and client-key-data" {
	kc "$BATS_TEST_TMPDIR/kc.yaml" "$(jq -nc \
	    --arg c "$(base64 -w0 < "$PKI/admin.crt")" \
	    --arg k "$(base64 -w0 < "$PKI/admin.key")" \
	    '{"client-certificate-data": $c, "client-key-data": $k}')"
	assert_equal "$(ping_user --kubeconfig "$BATS_TEST_TMPDIR/kc.yaml")" \
	    cert-admin
}

@test "a client certificate the server does not trust: exit 7" {
	kc "$BATS_TEST_TMPDIR/kc.yaml" "$(jq -nc --arg c "$PKI/foreign.crt" \
	    --arg k "$PKI/foreign.key" \
	    '{"client-certificate": $c, "client-key": $k}')"
	run -7 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"$KUBE_SIM_URL rejected the client certificate of user 'u': "*"alert unknown ca"* ]]
}

@test "relative certificate paths resolve against the kubeconfig's dir" {
	mkdir -p "$BATS_TEST_TMPDIR/conf/certs"
	cp "$PKI/admin.crt" "$PKI/admin.key" "$KUBE_SIM_CA" \
	    "$BATS_TEST_TMPDIR/conf/certs/"
	kc "$BATS_TEST_TMPDIR/conf/kc.yaml" \
	    '{"client-certificate": "certs/admin.crt",
	      "client-key": "certs/admin.key"}' \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" \
	    '{server: $s, "certificate-authority": "certs/ca.crt"}')"
	cd /
	assert_equal "$(ping_user --kubeconfig \
	    "$BATS_TEST_TMPDIR/conf/kc.yaml")" cert-admin
	# a missing file is named
	rm "$BATS_TEST_TMPDIR/conf/certs/admin.key"
	run -3 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/conf/kc.yaml"
	[[ $stderr == *"client-key '$BATS_TEST_TMPDIR/conf/certs/admin.key'"* ]]
}

@test "tokenFile, relative to the kubeconfig, is read" {
	mkdir -p "$BATS_TEST_TMPDIR/conf"
	printf '%s\n' "$KUBE_SIM_VIEWER_TOKEN" > "$BATS_TEST_TMPDIR/conf/tok"
	kc "$BATS_TEST_TMPDIR/conf/kc.yaml" '{"tokenFile": "tok"}'
	assert_equal "$(ping_user --kubeconfig \
	    "$BATS_TEST_TMPDIR/conf/kc.yaml")" token-viewer
	# the file wins over an inline token, as with kubectl
	kc "$BATS_TEST_TMPDIR/conf/kc.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t, tokenFile: "tok"}')"
	assert_equal "$(ping_user --kubeconfig \
	    "$BATS_TEST_TMPDIR/conf/kc.yaml")" token-viewer
	rm "$BATS_TEST_TMPDIR/conf/tok"
	run -2 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/conf/kc.yaml"
	[[ $stderr == *"cannot read tokenFile '$BATS_TEST_TMPDIR/conf/tok'"* ]]
}

@test "username and password" {
	assert_equal "$(ping_user --context sim-basic)" basic-admin
	run -0 --separate-stderr esctl -o json --context sim-basic k8s ping
	assert_equal "$(jq -r .auth <<<"$output")" basic
}

# A plugin that counts its runs, records its arguments and environment, and
# prints an ExecCredential.
make_plugin() {
	local dir=$BATS_TEST_TMPDIR/plugin
	mkdir -p "$dir"
	cat > "$dir/cred" <<'EOF'
#!/bin/sh
d=$(dirname "$0")
echo run >> "$d/runs"
printf '%s\n' "$@" > "$d/args"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info"
printf '%s' "${PLUGIN_MODE:-}" > "$d/mode"
[ -n "${FAIL:-}" ] && { echo "plugin: login expired, run sso-login" >&2; exit 3; }
cat "$d/answer"
EOF
	chmod +x "$dir/cred"
}

@test "exec plugin: token, run without a shell, cached until expiry" {
	make_plugin
	kube_sim_token exec-token-1 exec-user '["ops"]'
	jq -n '{apiVersion: "client.authentication.k8s.io/v1",
	    kind: "ExecCredential", status: {token: "exec-token-1",
	    expirationTimestamp: "2099-01-01T00:00:00Z"}}' \
	    > "$BATS_TEST_TMPDIR/plugin/answer"
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1",
	    command: "./cred", args: ["--x", "$(touch pwned)", "a b"],
	    env: [{name: "PLUGIN_MODE", value: "m1"}],
	    interactiveMode: "Never", provideClusterInfo: true}}'
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr esctl -o json k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml"
	assert_equal "$(jq -r .user <<<"$output")" exec-user
	assert_equal "$(jq -r .auth <<<"$output")" exec
	# two requests (version, whoami), one run
	assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/plugin/runs")" 1
	run -0 cat "$BATS_TEST_TMPDIR/plugin/args"
	assert_output $'--x\n$(touch pwned)\na b'
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
	[ ! -e pwned ]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/plugin/mode")" m1
	run -0 jq -r '.kind, .apiVersion, .spec.interactive, .spec.cluster.server' \
	    "$BATS_TEST_TMPDIR/plugin/info"
	assert_output "ExecCredential
client.authentication.k8s.io/v1
false
$KUBE_SIM_URL"
}

@test "exec plugin: an expired credential is asked for again" {
	make_plugin
	kube_sim_token exec-token-2 exec-user
	jq -n '{apiVersion: "client.authentication.k8s.io/v1beta1",
	    kind: "ExecCredential", status: {token: "exec-token-2",
	    expirationTimestamp: "2001-01-01T00:00:00Z"}}' \
	    > "$BATS_TEST_TMPDIR/plugin/answer"
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" "$(jq -nc \
	    --arg c "$BATS_TEST_TMPDIR/plugin/cred" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1beta1", command: $c}}')"
	assert_equal "$(ping_user --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml")" exec-user
	assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/plugin/runs")" 2
}

@test "exec plugin: a client certificate" {
	make_plugin
	jq -n --rawfile c "$PKI/admin.crt" --rawfile k "$PKI/admin.key" \
	    '{apiVersion: "client.authentication.k8s.io/v1",
	    kind: "ExecCredential", status: {clientCertificateData: $c,
	    clientKeyData: $k}}' > "$BATS_TEST_TMPDIR/plugin/answer"
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" "$(jq -nc \
	    --arg c "$BATS_TEST_TMPDIR/plugin/cred" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1", command: $c,
	    interactiveMode: "IfAvailable"}}')"
	assert_equal "$(ping_user --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml")" cert-admin
}

@test "exec plugin: failures are permission errors with the plugin's words" {
	make_plugin
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" "$(jq -nc \
	    --arg c "$BATS_TEST_TMPDIR/plugin/cred" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1", command: $c,
	    env: [{name: "FAIL", value: "1"}]}}')"
	run -7 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml"
	[[ $stderr == *"exec plugin '$BATS_TEST_TMPDIR/plugin/cred' of user 'u' failed (exit status 3): plugin: login expired, run sso-login"* ]]
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1",
	    command: "no-such-plugin-xyz",
	    installHint: "install it with: apt install xyz"}}'
	run -7 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml"
	[[ $stderr == *"cannot run exec plugin 'no-such-plugin-xyz'"*"No such file or directory"* ]]
	[[ $stderr == *"install it with: apt install xyz"* ]]
	# nonsense on stdout
	printf 'not json' > "$BATS_TEST_TMPDIR/plugin/answer"
	kc "$BATS_TEST_TMPDIR/plugin/kc.yaml" "$(jq -nc \
	    --arg c "$BATS_TEST_TMPDIR/plugin/cred" '{exec: {
	    apiVersion: "client.authentication.k8s.io/v1", command: $c}}')"
	run -7 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/plugin/kc.yaml"
	[[ $stderr == *"did not print an ExecCredential"* ]]
	# no request reached the server
	assert_equal "$(kube_sim_count '*' '/api*')" 0
}

@test "auth-provider is refused with a clear error" {
	kc "$BATS_TEST_TMPDIR/kc.yaml" \
	    '{"auth-provider": {name: "oidc", config: {"id-token": "x"}}}'
	run -2 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"user 'u' of context 't' uses auth-provider 'oidc', which esctl does not support"* ]]
	assert_equal "$(kube_sim_count '*' '*')" 0
}

@test "a bad or expired token: exit 7 with the server's message" {
	run -7 --separate-stderr esctl --context sim-bad-token k8s ping
	[[ $stderr == *"get server version: Unauthorized (HTTP 401 from $KUBE_SIM_URL; context 'sim-bad-token', user 'bad-token')"* ]]
	# a token that expires on the server
	kube_sim_token short-lived u1 '[]' '[]' 0
	kc "$BATS_TEST_TMPDIR/kc.yaml" '{token: "short-lived"}'
	run -7 --separate-stderr esctl container list --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"Unauthorized"* ]]
	# not retried
	assert_equal "$(kube_sim_count GET /apis/metrics.k8s.io/v1beta1)" 1
}

@test "403: exit 7 with the server's words" {
	run -7 --separate-stderr esctl --context sim-nobody container list
	[[ $stderr == *'pods is forbidden: User "token-nobody" cannot list resource "pods" in API group "" in the namespace "default" (Forbidden)'* ]]
	run -7 --separate-stderr esctl --context sim-cert-nobody container list
	[[ $stderr == *'User "cert-nobody" cannot list'* ]]
}

@test "KUBECONFIG merge: first file wins per name and for current-context" {
	local a=$BATS_TEST_TMPDIR/a.yaml b=$BATS_TEST_TMPDIR/b.yaml
	# a: context t -> cluster c (the sim), user u (viewer token); no
	#    current-context
	kc "$a" "$(jq -nc --arg t "$KUBE_SIM_VIEWER_TOKEN" '{token: $t}')"
	jq 'del(."current-context")' "$a" > "$a.tmp"
	mv "$a.tmp" "$a"
	# b: the same names (cluster c unreachable, user u admin), a second
	#    context t2 using them, and current-context t
	jq -n --arg t "$KUBE_SIM_TOKEN" '{apiVersion: "v1", kind: "Config",
	    clusters: [{name: "c", cluster: {server: "https://127.0.0.1:1"}},
	        {name: "c2", cluster: {server: "https://127.0.0.1:1"}}],
	    users: [{name: "u", user: {token: $t}}],
	    contexts: [{name: "t", context: {cluster: "c2", user: "u"}},
	        {name: "t2", context: {cluster: "c", user: "u",
	        namespace: "ns-b"}}],
	    "current-context": "t"}' > "$b"
	export KUBECONFIG="$BATS_TEST_TMPDIR/missing.yaml:$a:$b"
	# current-context t from b, context t from a, cluster c and user u
	# from a: the sim as the viewer
	assert_equal "$(ping_user)" token-viewer
	# t2 comes from b but its cluster c and user u are a's
	assert_equal "$(ping_user --context t2)" token-viewer
	# order matters
	export KUBECONFIG="$b:$a"
	run -6 --separate-stderr esctl k8s ping
	[[ $stderr == *"cannot reach https://127.0.0.1:1"* ]]
	# --kubeconfig wins over KUBECONFIG
	assert_equal "$(ping_user --kubeconfig "$a" --context t)" token-viewer
	# nothing exists
	run -3 --separate-stderr esctl k8s ping --kubeconfig /nonexistent/kc
	[[ $stderr == *"no kubeconfig found: '/nonexistent/kc' does not exist"* ]]
}

@test "--context: unknown names exit 3; the namespace comes from the context" {
	run -3 --separate-stderr esctl --context nope k8s ping
	[[ $stderr == *"context 'nope' not found in kubeconfig '$KUBE_SIM_KUBECONFIG'"* ]]
	kc "$BATS_TEST_TMPDIR/kc.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')"
	run -0 esctl container list --kubeconfig "$BATS_TEST_TMPDIR/kc.yaml"
	run -0 kube_sim_requests \
	    '[.[] | select(.path | test("^/api/v1/.*/pods$")) | .path] | unique[]'
	assert_output '"/api/v1/namespaces/team-a/pods"'
}

@test "TLS: a wrong CA fails naming the server, without retries" {
	kc "$BATS_TEST_TMPDIR/kc.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" --arg ca "$(base64 -w0 \
	    < "$PKI/rogue-ca.crt")" \
	    '{server: $s, "certificate-authority-data": $ca}')"
	run -6 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"TLS connection to $KUBE_SIM_URL failed"* ]]
	[[ $stderr == *"certificate"* ]]
	run -6 --separate-stderr esctl -vv k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"TLS connection to $KUBE_SIM_URL failed"* ]]
	[[ $stderr != *"retrying"* ]]
	# insecure-skip-tls-verify accepts it
	kc "$BATS_TEST_TMPDIR/kc2.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" \
	    '{server: $s, "insecure-skip-tls-verify": true}')"
	assert_equal "$(ping_user --kubeconfig "$BATS_TEST_TMPDIR/kc2.yaml")" \
	    token-admin
	# the system CAs do not know the test CA
	kc "$BATS_TEST_TMPDIR/kc3.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" '{server: $s}')"
	run -6 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc3.yaml"
	[[ $stderr == *"TLS connection to $KUBE_SIM_URL failed"* ]]
}

@test "TLS: tls-server-name is the name verified" {
	kc "$BATS_TEST_TMPDIR/kc.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" --arg ca "$CA_DATA" \
	    '{server: $s, "certificate-authority-data": $ca,
	      "tls-server-name": "kubernetes.default"}')"
	assert_equal "$(ping_user --kubeconfig "$BATS_TEST_TMPDIR/kc.yaml")" \
	    token-admin
	kc "$BATS_TEST_TMPDIR/kc2.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" --arg ca "$CA_DATA" \
	    '{server: $s, "certificate-authority-data": $ca,
	      "tls-server-name": "wrong.example"}')"
	run -6 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc2.yaml"
	[[ $stderr == *"TLS connection to $KUBE_SIM_URL failed"* ]]
}

@test "proxy-url: requests tunnel through the proxy" {
	local port
	port=$(free_port)
	"$PYTHON" "$ESCTL_TOP/tests/kube-sim/connect-proxy" --port "$port" \
	    --log "$BATS_TEST_TMPDIR/proxy.log" 3>&- &
	PROXY_PID=$!
	wait_port "$port"
	kc "$BATS_TEST_TMPDIR/kc.yaml" \
	    "$(jq -nc --arg t "$KUBE_SIM_TOKEN" '{token: $t}')" \
	    "$(jq -nc --arg s "$KUBE_SIM_URL" --arg ca "$CA_DATA" \
	    --arg p "http://127.0.0.1:$port" \
	    '{server: $s, "certificate-authority-data": $ca, "proxy-url": $p}')"
	assert_equal "$(ping_user --kubeconfig "$BATS_TEST_TMPDIR/kc.yaml")" \
	    token-admin
	run -0 cat "$BATS_TEST_TMPDIR/proxy.log"
	assert_line "127.0.0.1:$KUBE_SIM_PORT"
}

@test "secrets never show, not even with -vvv" {
	run -0 --separate-stderr esctl -vvv container list
	[[ $stderr == *"Authorization: <redacted>"* ]]
	[[ $stderr == *"GET $KUBE_SIM_URL/api/v1/namespaces/default/pods?limit=500 -> 200"* ]]
	[[ $stderr != *"$KUBE_SIM_TOKEN"* ]]
	[[ $output != *"$KUBE_SIM_TOKEN"* ]]
	run -0 --separate-stderr esctl -vvv --context sim-basic container list
	[[ $stderr != *"$(jq -r .basic_password "$KUBE_SIM_DIR/tokens.json")"* ]]
	[[ $stderr == *"Authorization: <redacted>"* ]]
}

@test "malformed kubeconfigs: exit 2 naming file, line and column" {
	printf 'apiVersion: v1\nclusters: [\n' > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/bad.yaml"
	[[ $stderr == *"$BATS_TEST_TMPDIR/bad.yaml:"* ]]
	printf 'clusters: 3\n' > "$BATS_TEST_TMPDIR/bad.yaml"
	run -2 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/bad.yaml"
	[[ $stderr == *"bad.yaml:1:1: 'clusters' must be a list"* ]]
	kc "$BATS_TEST_TMPDIR/kc.yaml" '{"client-key-data": "@@@",
	    "client-certificate-data": "QUJD"}'
	run -2 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc.yaml"
	[[ $stderr == *"'client-key-data' is not valid base64"* ]]
	printf 'current-context: x\n' > "$BATS_TEST_TMPDIR/bad.yaml"
	run -3 --separate-stderr esctl k8s ping --kubeconfig \
	    "$BATS_TEST_TMPDIR/bad.yaml"
	[[ $stderr == *"context 'x' not found"* ]]
}
