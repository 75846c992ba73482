# tests/lib/common.bash - loaded by every tests/*.bats file:
#
#	load lib/common
#
# Like git's test-lib.sh: each test runs against its own database, data
# directory, config and XDG directories under $BATS_TEST_TMPDIR, so tests
# never see each other or the developer's files.  `esctl` is the binary
# under test ($ESCTL_BIN, set by tests/run; the sanitizer build under
# make check SANITIZE=1).

bats_require_minimum_version 1.5.0

ESCTL_TOP=${ESCTL_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
ESCTL_BIN=${ESCTL_BIN:-$ESCTL_TOP/esctl}
export ESCTL_TOP ESCTL_BIN

bats_load_library bats-support 2>/dev/null ||
	load /usr/lib/bats/bats-support/load
bats_load_library bats-assert 2>/dev/null ||
	load /usr/lib/bats/bats-assert/load

# Sanitizers: fail the test on any report; leaks are real failures too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

esctl() {
	"$ESCTL_BIN" "$@"
}

common_setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	export XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	export ESCTL_DB=$BATS_TEST_TMPDIR/esctl.db
	export ESCTL_DATA_DIR=$BATS_TEST_TMPDIR/esctl-data
	unset ESCTL_CONFIG KUBECONFIG NO_COLOR ESCTL_NOW
	mkdir -p "$HOME"
}

setup() {
	common_setup
}

# Paths of test helpers.
KUBECTL=${KUBECTL:-}
if [ -z "$KUBECTL" ]; then
	if [ -x "$ESCTL_TOP/.deps/kubernetes-client/usr/bin/kubectl" ]; then
		KUBECTL=$ESCTL_TOP/.deps/kubernetes-client/usr/bin/kubectl
	else
		KUBECTL=$(command -v kubectl || echo kubectl)
	fi
fi
export KUBECTL
PYTHON=/usr/bin/python3
export PYTHON

# require_dep PACKAGE PROBE...: fails at once, naming the Debian package
# that scripts/install-deps --test installs, when the PROBE command fails
# (instead of a test server that never comes up and a port timeout).
require_dep() {
	local pkg=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	echo "missing Debian package $pkg (run scripts/install-deps --test," \
	    "as root)" >&2
	return 1
}

# A free TCP port on loopback.
free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Waits until a TCP port on 127.0.0.1 accepts connections (timeout secs).
wait_port() {
	local port=$1 timeout=${2:-20} i
	for ((i = 0; i < timeout * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "port $port did not open within ${timeout}s" >&2
	return 1
}

# Checksum of a file or of everything below a directory, to assert
# "nothing changed on disk".
tree_sum() {
	local p
	for p in "$@"; do
		if [ -d "$p" ]; then
			find "$p" -type f -print0 | sort -z | xargs -0 -r sha256sum
		elif [ -e "$p" ]; then
			sha256sum "$p"
		else
			echo "absent $p"
		fi
	done
}

# Database content as text (schema + rows), for "unchanged" checks.
db_dump() {
	sqlite3 "${1:-$ESCTL_DB}" .dump 2>/dev/null
}

# Runs SQL against the test database.
sql() {
	sqlite3 -batch "${ESCTL_DB}" "$@"
}

# Starts tests/lib/http-receiver on a free port; sets RECV_PORT, RECV_LOG
# and RECV_URL.  Extra arguments go to the receiver.  Stopped by
# stop_receivers (call it from teardown).
start_receiver() {
	RECV_PORT=$(free_port)
	RECV_LOG=$BATS_TEST_TMPDIR/receiver-$RECV_PORT.jsonl
	RECV_URL=http://127.0.0.1:$RECV_PORT
	"$ESCTL_TOP/tests/lib/http-receiver" --port "$RECV_PORT" \
	    --log "$RECV_LOG" --pidfile "$BATS_TEST_TMPDIR/recv-$RECV_PORT.pid" \
	    "$@" 3>&- &
	wait_port "$RECV_PORT"
}

stop_receivers() {
	kill_pidfiles "$BATS_TEST_TMPDIR"/recv-*.pid
}

# kill_pidfiles FILE...: kills the process of each pid file that exists
# and removes the file (an unmatched glob is skipped).
kill_pidfiles() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

# prometheus_scrape JOB PORT QUERY: Debian's prometheus scraping
# 127.0.0.1:PORT every second as job JOB; sets PROM_PORT and PROM_URL
# and returns once QUERY has a value (at most 30 s).  Its pid file is
# $BATS_TEST_TMPDIR/prometheus.pid.
prometheus_scrape() {
	local job=$1 target=$2 query=$3 i
	PROM_PORT=$(free_port)
	PROM_URL=http://127.0.0.1:$PROM_PORT
	cat > "$BATS_TEST_TMPDIR/prometheus.yml" <<-YAML
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: $job
	    static_configs:
	      - targets: ['127.0.0.1:$target']
	YAML
	prometheus --config.file="$BATS_TEST_TMPDIR/prometheus.yml" \
	    --storage.tsdb.path="$BATS_TEST_TMPDIR/prometheus-data" \
	    --web.listen-address="127.0.0.1:$PROM_PORT" \
	    >"$BATS_TEST_TMPDIR/prometheus.log" 2>&1 3>&- &
	echo $! > "$BATS_TEST_TMPDIR/prometheus.pid"
	wait_port "$PROM_PORT" 30
	for ((i = 0; i < 300; i++)); do
		if curl -sf "$PROM_URL/api/v1/query" \
		    --data-urlencode "query=$query" | grep -q '"value"'; then
			return 0
		fi
		sleep 0.1
	done
	echo "prometheus has no data after 30s" >&2
	cat "$BATS_TEST_TMPDIR/prometheus.log" >&2
	return 1
}
