# tests/lib/kube.bash - the local Kubernetes API server (tests/kube-sim) for
# bats suites.  Load after lib/common:
#
#	load lib/common
#	load lib/kube
#
#	setup() { common_setup; kube_sim_start; }
#	teardown() { kube_sim_stop; }
#
# kube_sim_start [serve options...]
#	Starts tests/kube-sim/serve on a free port (state below
#	$BATS_TEST_TMPDIR, or $BATS_FILE_TMPDIR when called from setup_file)
#	and waits until it answers.  Options go to serve (--ready-delay 0.05,
#	--no-metrics, --nodes 5, --fail-images REGEX, ...).  Exports:
#	  KUBE_SIM_DIR          state directory (requests.jsonl, pki/, ...)
#	  KUBE_SIM_PORT         port on 127.0.0.1
#	  KUBE_SIM_URL          https://127.0.0.1:PORT
#	  KUBE_SIM_KUBECONFIG   kubeconfig with contexts sim (admin token, the
#	                        current one), sim-nobody (no rights: 403),
#	                        sim-viewer (get/list/watch), sim-cert and
#	                        sim-cert-nobody (client certificates),
#	                        sim-basic (username/password), sim-bad-token
#	                        (401)
#	  KUBECONFIG            = KUBE_SIM_KUBECONFIG (so esctl and kubectl use
#	                        it without flags)
#	  KUBE_SIM_CA           the cluster CA certificate file
#	  KUBE_SIM_TOKEN, KUBE_SIM_NOBODY_TOKEN, KUBE_SIM_VIEWER_TOKEN
# kube_sim_stop			stops it (call from teardown; safe to repeat)
# kube_sim_reset
#	Returns the server to a fresh cluster (objects, faults, request log,
#	extra tokens, settings) and exports KUBECONFIG again.  For one server
#	per file, which is faster than one per test:
#		setup_file() { kube_sim_start; }
#		setup() { common_setup; kube_sim_reset; }
#		teardown_file() { kube_sim_stop; }
# kube_sim_api METHOD PATH [BODY]
#	The API as the admin (curl; BODY is JSON text, or @FILE).  Prints the
#	answer; fails when the HTTP status is 400 or more.  PATCH bodies are
#	sent as merge patches unless KUBE_SIM_CTYPE says otherwise.
# kube_sim_kubectl ARGS...	$KUBECTL against the server
# kube_sim_fault JSON | kube_sim_fault METHOD PATHGLOB STATUS [COUNT] [K=V...]
#	Adds a fault: the next COUNT (default 1; 0 = always) requests whose
#	method (or "*") and path (shell glob, no query) match get STATUS (a
#	Status body).  K=V adds fields: retry_after=1, delay=0.5 (seconds
#	before answering), drop=true (close the connection after reading the
#	request, no answer), drop=after (carry the request out, then close
#	without answering), after=N (let N matching requests through first),
#	reason=..., message=..., query=SUBSTRING.  STATUS 0 with drop=true or
#	delay=... only drops or delays.
# kube_sim_faults_clear
# kube_sim_requests [JQ]	the request log as JSON (through jq filter JQ):
#	[{seq, time, method, path, query, url, user, auth, user_agent,
#	  content_type, accept, body, status, fault, duration}]
# kube_sim_count METHOD PATHGLOB [QUERY-SUBSTRING]
#	how many logged requests match (METHOD may be "*")
# kube_sim_requests_clear
# kube_sim_config JSON		run-time settings: ready_delay, delete_delay,
#	ns_delete_delay, bind_delay, metrics (true/false), fail_images
#	(regex or null), expire_continue (410 for every continue token)
# kube_sim_token TOKEN USER [GROUPS-JSON [RULES-JSON [EXPIRES-IN]]]
#	registers a bearer token (RULES like [{"verbs":["get"],
#	"resources":["pods"],"namespaces":["ns1"]}])
# kube_sim_metrics JSON		usage overrides: {"pods": {"ns/name":
#	{"cpu": "850m", "memory": "1Gi"}}, "nodes": {"n": {...}}}
# kube_sim_log NS POD LINE...	appends log lines to a pod's first container
# kube_sim_pods NS COUNT [PREFIX [LABELS-JSON]]
#	creates COUNT running pods at once (bulk seeding, no controller)
# kube_sim_objects JSON		inserts objects directly, status kept
# kube_sim_statefulset NS NAME REPLICAS [IMAGE]
#	creates a StatefulSet (labels app=NAME, a 1Gi volumeClaimTemplate
#	"data"); its pods become Running/Ready after the ready delay
# kube_sim_namespace NS [LABELS-JSON]	creates a namespace
# kube_sim_wait TIMEOUT CMD...	retries CMD every 0.1 s until it succeeds

KUBE_SIM_SERVE=${KUBE_SIM_SERVE:-$ESCTL_TOP/tests/kube-sim/serve}

kube_sim_start() {
	local base=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR} out i
	local pki=${BATS_RUN_TMPDIR:-$base}/kube-sim-pki
	KUBE_SIM_DIR=${KUBE_SIM_STATE:-$base/kube-sim}
	mkdir -p "$KUBE_SIM_DIR"
	out=$KUBE_SIM_DIR/serve.out
	: > "$out"
	"$PYTHON" "$KUBE_SIM_SERVE" --state "$KUBE_SIM_DIR" --port 0 \
	    --pki "$pki" --pidfile "$KUBE_SIM_DIR/pid" \
	    --parent-pid "$BASHPID" "$@" \
	    > "$out" 2> "$KUBE_SIM_DIR/serve.err" 3>&- &
	KUBE_SIM_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$out" ] && break
		if ! kill -0 "$KUBE_SIM_PID" 2>/dev/null; then
			echo "kube-sim did not start:" >&2
			cat "$KUBE_SIM_DIR/serve.err" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ ! -s "$out" ]; then
		echo "kube-sim did not start within 15s" >&2
		cat "$KUBE_SIM_DIR/serve.err" >&2
		return 1
	fi
	KUBE_SIM_KUBECONFIG=$(head -1 "$out")
	KUBE_SIM_PORT=$(cat "$KUBE_SIM_DIR/port")
	KUBE_SIM_URL=https://127.0.0.1:$KUBE_SIM_PORT
	KUBE_SIM_CA=$pki/ca.crt
	KUBE_SIM_TOKEN=$(jq -r .admin "$KUBE_SIM_DIR/tokens.json")
	KUBE_SIM_NOBODY_TOKEN=$(jq -r .nobody "$KUBE_SIM_DIR/tokens.json")
	KUBE_SIM_VIEWER_TOKEN=$(jq -r .viewer "$KUBE_SIM_DIR/tokens.json")
	KUBECONFIG=$KUBE_SIM_KUBECONFIG
	export KUBE_SIM_DIR KUBE_SIM_PORT KUBE_SIM_URL KUBE_SIM_KUBECONFIG \
	    KUBE_SIM_CA KUBE_SIM_TOKEN KUBE_SIM_NOBODY_TOKEN \
	    KUBE_SIM_VIEWER_TOKEN KUBE_SIM_PID KUBECONFIG
}

kube_sim_stop() {
	local pid i
	[ -n "${KUBE_SIM_DIR:-}" ] || return 0
	if [ -f "$KUBE_SIM_DIR/pid" ]; then
		pid=$(cat "$KUBE_SIM_DIR/pid")
	else
		pid=${KUBE_SIM_PID:-}
	fi
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
}

kube_sim_reset() {
	_kube_sim_admin POST reset >/dev/null
	KUBECONFIG=$KUBE_SIM_KUBECONFIG
	export KUBECONFIG
}

_kube_sim_curl() {
	curl -sS --cacert "$KUBE_SIM_CA" --max-time 30 "$@"
}

kube_sim_api() {
	local method=$1 path=$2 body=${3:-} ctype=${KUBE_SIM_CTYPE:-} tmp code
	if [ -z "$ctype" ]; then
		if [ "$method" = PATCH ]; then
			ctype=application/merge-patch+json
		else
			ctype=application/json
		fi
	fi
	tmp=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/kube-api.XXXXXX")
	if [ -n "$body" ]; then
		code=$(_kube_sim_curl -o "$tmp" -w '%{http_code}' \
		    -X "$method" -H "Authorization: Bearer $KUBE_SIM_TOKEN" \
		    -H "Content-Type: $ctype" -H "User-Agent: kube-sim-test" \
		    --data-binary "$body" "$KUBE_SIM_URL$path")
	else
		code=$(_kube_sim_curl -o "$tmp" -w '%{http_code}' \
		    -X "$method" -H "Authorization: Bearer $KUBE_SIM_TOKEN" \
		    -H "User-Agent: kube-sim-test" "$KUBE_SIM_URL$path")
	fi
	cat "$tmp"
	rm -f "$tmp"
	[ "$code" -lt 400 ]
}

_kube_sim_admin() {
	local method=$1 path=$2 body=${3:-}
	if [ -n "$body" ]; then
		_kube_sim_curl -X "$method" -H 'Content-Type: application/json' \
		    --data-binary "$body" "$KUBE_SIM_URL/__sim/$path"
	else
		_kube_sim_curl -X "$method" "$KUBE_SIM_URL/__sim/$path"
	fi
}

kube_sim_kubectl() {
	"$KUBECTL" --kubeconfig "$KUBE_SIM_KUBECONFIG" "$@"
}

kube_sim_fault() {
	local json kv k v
	if [ $# -eq 1 ]; then
		json=$1
	else
		json=$(jq -nc --arg m "$1" --arg p "$2" --argjson s "$3" \
		    --argjson c "${4:-1}" \
		    '{method: $m, path: $p, status: $s, count: $c}')
		shift $(($# < 4 ? $# : 4))
		for kv in "$@"; do
			k=${kv%%=*}
			v=${kv#*=}
			if jq -e . >/dev/null 2>&1 <<<"$v"; then
				json=$(jq -c --arg k "$k" --argjson v "$v" \
				    '.[$k] = $v' <<<"$json")
			else
				json=$(jq -c --arg k "$k" --arg v "$v" \
				    '.[$k] = $v' <<<"$json")
			fi
		done
	fi
	_kube_sim_admin POST faults "$json" >/dev/null
}

kube_sim_faults_clear() {
	_kube_sim_admin DELETE faults >/dev/null
}

kube_sim_requests() {
	_kube_sim_admin GET requests | jq "${1:-.}"
}

kube_sim_requests_clear() {
	_kube_sim_admin DELETE requests >/dev/null
}

kube_sim_count() {
	local method=$1 glob=$2 q=${3:-}
	_kube_sim_admin GET requests | "$PYTHON" -c '
import fnmatch, json, sys
m, g, q = sys.argv[1], sys.argv[2], sys.argv[3]
print(sum(1 for e in json.load(sys.stdin)
          if (m == "*" or e["method"] == m) and
          fnmatch.fnmatchcase(e["path"], g) and q in e["query"]))' \
	    "$method" "$glob" "$q"
}

kube_sim_config() {
	_kube_sim_admin POST config "$1" >/dev/null
}

kube_sim_token() {
	local json
	json=$(jq -nc --arg t "$1" --arg u "$2" --argjson g "${3:-[]}" \
	    --argjson r "${4:-[]}" '{token: $t, user: $u, groups: $g,
	    rules: $r}')
	if [ -n "${5:-}" ]; then
		json=$(jq -c --argjson e "$5" '.expires_in = $e' <<<"$json")
	fi
	_kube_sim_admin POST tokens "$json" >/dev/null
}

kube_sim_metrics() {
	_kube_sim_admin POST metrics "$1" >/dev/null
}

kube_sim_log() {
	local ns=$1 pod=$2
	shift 2
	_kube_sim_admin POST logs "$(jq -nc --arg n "$ns" --arg p "$pod" \
	    '{namespace: $n, pod: $p, lines: $ARGS.positional}' \
	    --args "$@")" >/dev/null
}

kube_sim_pods() {
	local labels=${4:-}
	[ -n "$labels" ] || labels='{}'
	_kube_sim_admin POST objects "$(jq -nc --arg n "$1" \
	    --argjson c "$2" --arg p "${3:-pod-}" --argjson l "$labels" \
	    '{generate: {namespace: $n, count: $c, prefix: $p, labels: $l}}')" \
	    >/dev/null
}

kube_sim_objects() {
	_kube_sim_admin POST objects "$1" >/dev/null
}

kube_sim_wait() {
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "timed out after ${timeout}s waiting for: $*" >&2
	return 1
}

kube_sim_namespace() {
	local labels=${2:-}
	[ -n "$labels" ] || labels='{}'
	kube_sim_api POST /api/v1/namespaces "$(jq -nc --arg n "$1" \
	    --argjson l "$labels" '{apiVersion: "v1", kind: "Namespace",
	    metadata: {name: $n, labels: $l}}')" >/dev/null
}

kube_sim_statefulset() {
	local ns=$1 name=$2 n=$3 image=${4:-registry.example.com/es:8.11}
	kube_sim_api POST "/apis/apps/v1/namespaces/$ns/statefulsets" \
	    "$(jq -nc --arg n "$name" --argjson r "$n" --arg i "$image" '{
	    apiVersion: "apps/v1", kind: "StatefulSet",
	    metadata: {name: $n, labels: {app: $n}},
	    spec: {replicas: $r, serviceName: $n,
	      selector: {matchLabels: {app: $n}},
	      template: {metadata: {labels: {app: $n}}, spec: {containers: [
	        {name: "main", image: $i, resources: {
	          requests: {cpu: "500m", memory: "1Gi"},
	          limits: {cpu: "2", memory: "2Gi"}}}]}},
	      volumeClaimTemplates: [{metadata: {name: "data"}, spec: {
	        accessModes: ["ReadWriteOnce"],
	        resources: {requests: {storage: "1Gi"}}}}]}}')" >/dev/null
}
