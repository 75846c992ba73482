# tests/lib/lifecycle.bash - helpers of the ES service lifecycle suites
# (2xxx): git repositories served over smart HTTP, report receivers.
#
#	load lib/common
#	load lib/lifecycle

GIT_HTTP_SERVER=$ESCTL_TOP/tests/lib/git-http-server

# git with a fixed identity, no user config.
tgit() {
	git -c user.name=esctl-test -c user.email=test@esctl.invalid \
	    -c init.defaultBranch=main -c advice.detachedHead=false "$@"
}

# make_repo NAME: a work tree $BATS_TEST_TMPDIR/src/NAME with an
# esctl.yaml and one manifest, committed and tagged v1, published as the
# bare repository $GIT_ROOT/NAME.git.  Sets REPO_SRC and REPO_BARE.
make_repo() {
	local name=$1
	GIT_ROOT=${GIT_ROOT:-$BATS_TEST_TMPDIR/git-root}
	REPO_SRC=$BATS_TEST_TMPDIR/src/$name
	REPO_BARE=$GIT_ROOT/$name.git
	mkdir -p "$REPO_SRC/manifests" "$GIT_ROOT"
	cat > "$REPO_SRC/esctl.yaml" <<-'EOF'
	defaults:
	  replicas: 2
	  cpu_limit: "3"
	images:
	  elasticsearch: registry.example/es:8.11-test
	elasticsearch:
	  indices.query.bool.max_clause_count: 4096
	EOF
	cat > "$REPO_SRC/manifests/10-extra.yaml" <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: extra-settings
	data:
	  namespace: ${NAMESPACE}
	  replicas: "${REPLICAS}"
	  owner: ${TENANT_ORG_ID}/${USER}/${SERVICE_NAME}
	EOF
	tgit -C "$REPO_SRC" init -q
	tgit -C "$REPO_SRC" add -A
	tgit -C "$REPO_SRC" commit -qm "initial configuration"
	tgit -C "$REPO_SRC" tag v1
	tgit clone -q --bare "$REPO_SRC" "$REPO_BARE"
}

# push_change MESSAGE: commits a change in REPO_SRC and publishes it.
push_change() {
	echo "# $1" >> "$REPO_SRC/esctl.yaml"
	tgit -C "$REPO_SRC" commit -qam "$1"
	tgit -C "$REPO_SRC" push -q "$REPO_BARE" main
}

# start_git_server [--token T] [--tls-cert C --tls-key K]: serves
# $GIT_ROOT on a free port; sets GIT_PORT, GIT_LOG and GIT_URL (the
# http(s)://127.0.0.1:PORT prefix).
start_git_server() {
	GIT_PORT=$(free_port)
	GIT_LOG=$BATS_TEST_TMPDIR/git-$GIT_PORT.jsonl
	GIT_URL=http://127.0.0.1:$GIT_PORT
	case " $* " in *" --tls-cert "*) GIT_URL=https://127.0.0.1:$GIT_PORT ;;
	esac
	"$PYTHON" "$GIT_HTTP_SERVER" --root "$GIT_ROOT" --port "$GIT_PORT" \
	    --log "$GIT_LOG" --pidfile "$BATS_TEST_TMPDIR/git-$GIT_PORT.pid" \
	    "$@" 3>&- &
	wait_port "$GIT_PORT"
}

stop_git_servers() {
	kill_pidfiles "$BATS_TEST_TMPDIR"/git-*.pid
}

# A self-signed certificate for 127.0.0.1 (URLs never say localhost: a
# minimal system has no localhost line in /etc/hosts): sets TLS_CERT and
# TLS_KEY.  The address is also a DNS-type name because Debian 12's
# libgit2 verifies with mbed TLS 2.28, which matches no IP-type names.
make_cert() {
	TLS_CERT=$BATS_TEST_TMPDIR/tls.crt
	TLS_KEY=$BATS_TEST_TMPDIR/tls.key
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 \
	    -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null
}

# Writes the test config file and points ESCTL_CONFIG at it.
write_config() {
	export ESCTL_CONFIG=$BATS_TEST_TMPDIR/config.yaml
	cat > "$ESCTL_CONFIG"
}

# Number of requests in a JSON-lines log matching a jq filter.
log_count() {
	local log=$1 filter=$2
	[ -f "$log" ] || { echo 0; return; }
	jq -c "select($filter)" "$log" | wc -l
}

# The ten statuses of a successful create, in order.
TEN_STATUSES="starting namespace_created gitlab_pulled k8s_applied
resources_configured disk_configured gpu_configured rollout_completed
tenant_synced completed"
TEN_STATUSES=$(echo $TEN_STATUSES)

# One API server and one report receiver per file (starting them takes
# seconds); every test starts from a fresh cluster (kube_sim_reset), an
# empty receiver log and its own database.
#
#	setup_file() { cluster_setup_file; }
#	teardown_file() { cluster_teardown_file; }
#	setup() { cluster_setup; }
#	teardown() { cluster_teardown; }
#
# cluster_setup_file [serve options...]: kube-sim with short delays, and
# the receiver (FILE_RECV_URL, FILE_RECV_LOG).
cluster_setup_file() {
	kube_sim_start --ready-delay 0.05 --ns-delete-delay 0.05 \
	    --delete-delay 0.02 --bind-delay 0.02 "$@"
	FILE_RECV_PORT=$(free_port)
	FILE_RECV_LOG=$BATS_FILE_TMPDIR/receiver.jsonl
	FILE_RECV_URL=http://127.0.0.1:$FILE_RECV_PORT
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$FILE_RECV_PORT" \
	    --log "$FILE_RECV_LOG" --pidfile "$BATS_FILE_TMPDIR/receiver.pid" \
	    3>&- &
	wait_port "$FILE_RECV_PORT"
	export FILE_RECV_PORT FILE_RECV_LOG FILE_RECV_URL
}

cluster_teardown_file() {
	kube_sim_stop
	if [ -f "$BATS_FILE_TMPDIR/receiver.pid" ]; then
		kill "$(cat "$BATS_FILE_TMPDIR/receiver.pid")" 2>/dev/null ||
		    true
	fi
}

# Per test: fresh cluster, receiver log and config; fast client retries,
# so injected failures fail fast.
cluster_setup() {
	common_setup
	unset ESCTL_GITLAB_TOKEN
	export ESCTL_KUBE_RETRY_BASE=5ms ESCTL_KUBE_RETRY_MAX_TIME=200ms
	kube_sim_reset
	RECV_PORT=$FILE_RECV_PORT RECV_LOG=$FILE_RECV_LOG RECV_URL=$FILE_RECV_URL
	: > "$RECV_LOG"
	curl -sS -X POST -d '{"status": 200, "fail_first": 0, "delay": 0}' \
	    "$RECV_URL/__control" >/dev/null
	write_config <<-EOF
	report:
	  url: $RECV_URL/report
	  timeout: 5s
	EOF
}

cluster_teardown() {
	stop_git_servers
	stop_receivers
}

# Statuses of the reports of user/service in the report files, in file
# name (time) order, one line.
file_statuses() {
	local f out=
	for f in "$ESCTL_DATA_DIR"/deployment_reports/"$1"_"$2"_*.json; do
		[ -f "$f" ] || continue
		out+="$(jq -r .status "$f") "
	done
	echo ${out% }
}

# Statuses in DATA/deployment.log for user/service, one line.
log_statuses() {
	grep -F " - User: $1, Service: $2, " "$ESCTL_DATA_DIR/deployment.log" |
	    sed 's/.*, Status: \([a-z0-9_]*\), Message: .*/\1/' | tr '\n' ' ' |
	    sed 's/ $//'
}

# Statuses of the rows in the database, one line.
db_statuses() {
	sql "SELECT status FROM deployment_report WHERE user = '$1' AND
	    service_name = '$2' ORDER BY id" | tr '\n' ' ' | sed 's/ $//'
}

# Statuses the report receiver got for user/service, one line.
posted_statuses() {
	[ -f "$RECV_LOG" ] || { echo; return; }
	jq -r --arg u "$1" --arg s "$2" 'select(.method == "POST" and
	    .status < 300 and .json.user == $u and .json.service_name == $s) |
	    .json.status' \
	    "$RECV_LOG" | tr '\n' ' ' | sed 's/ $//'
}

# Requests the API server saw that change something (not GET).
sim_writes() {
	kube_sim_requests '[.[] | select(.method != "GET")] | length'
}

lifecycle_teardown() {
	stop_git_servers
	stop_receivers
}
