# tests/lib/pool.bash - helpers for the elastic node-pool suites
# (snapshots, strategies, orders, duty, notifications):
#
#	load lib/common
#	load lib/pool

# Registers a Kubernetes cluster directly in the k8s_cluster table (the
# seed's columns), as `esctl k8s add` would.  Prints nothing.
#	add_cluster NAME [PROMSERVER]
add_cluster() {
	esctl tenant list >/dev/null 2>&1 || true	# creates the schema
	sql "INSERT INTO k8s_cluster (created_at, updated_at, cluster_id,
	    clustername, promserver, status) VALUES ('2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z', lower(hex(randomblob(16))), '$1',
	    '${2:-}', 'running')"
}

# Writes a snapshot timeline as CSV (header included) to FILE:
#	timeline FILE CLUSTER START STEP_MINUTES SERIES...
# Each SERIES is NAME=v1,v2,... with NAME one of cpu (CPU usage %), mem
# (memory usage %), cpualloc and memalloc (allocation %); all series have
# the same length, one value per snapshot slot.  A value "-" leaves the
# metric empty (unknown); "x" in any series drops that slot (a gap).
# Unlisted metrics are 30.  Capacities are 100 cores / 100 GB so the
# percentages are the raw values.  Appends when FILE exists.
timeline() {
	"$PYTHON" - "$@" <<'PY'
import datetime, os, sys
path, cluster, start, step = sys.argv[1:5]
series = {}
for a in sys.argv[5:]:
    k, v = a.split("=", 1)
    series[k] = v.split(",")
n = max(len(v) for v in series.values())
t0 = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
new = not os.path.exists(path)
with open(path, "a") as f:
    if new:
        f.write("cluster,collected_at,node_count,pod_count,cpu_capacity,"
                "cpu_allocatable,cpu_request,cpu_usage,mem_capacity,"
                "mem_allocatable,mem_request,mem_usage\n")
    for i in range(n):
        val = {k: (v[i] if i < len(v) else v[-1]) for k, v in series.items()}
        if "x" in val.values():
            continue
        g = lambda k: "" if val.get(k, "30") == "-" else val.get(k, "30")
        t = (t0 + datetime.timedelta(minutes=int(step) * i))
        f.write("%s,%s,10,100,100,100,%s,%s,100,100,%s,%s\n" % (
            cluster, t.strftime("%Y-%m-%dT%H:%M:%SZ"), g("cpualloc"),
            g("cpu"), g("memalloc"), g("mem")))
PY
}

# The number of rows of a query.
count() {
	sql "SELECT count(*) FROM $1"
}

# Starts a real SMTP sink (Debian's python3-aiosmtpd) on a free loopback
# port that stores every message in the Maildir $SMTP_DIR; sets SMTP_PORT
# and SMTP_URL.  Stopped by stop_smtp_sink (call it from teardown).
start_smtp_sink() {
	require_dep python3-aiosmtpd "$PYTHON" -c 'import aiosmtpd' || return 1
	SMTP_PORT=$(free_port)
	SMTP_DIR=$BATS_TEST_TMPDIR/maildir
	SMTP_URL=smtp://127.0.0.1:$SMTP_PORT
	"$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
	    -c aiosmtpd.handlers.Mailbox "$SMTP_DIR" \
	    >"$BATS_TEST_TMPDIR/smtp.log" 2>&1 3>&- &
	echo $! > "$BATS_TEST_TMPDIR/smtp.pid"
	wait_port "$SMTP_PORT"
}

stop_smtp_sink() {
	if [ -f "$BATS_TEST_TMPDIR/smtp.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/smtp.pid")" 2>/dev/null || true
		rm -f "$BATS_TEST_TMPDIR/smtp.pid"
	fi
}

# Messages the SMTP sink received (files of the Maildir), oldest first.
smtp_messages() {
	ls -tr "$SMTP_DIR"/new/* 2>/dev/null
}

# Starts tests/lib/node-exporter (a node_exporter stand-in) and Debian's
# real prometheus scraping it every second, both on free loopback ports.
# Arguments are node specs for the exporter (NAME:CPUS:BUSY:MEM_GIB:
# USED_GIB).  Sets EXPORTER_PORT, PROM_PORT and PROM_URL, and waits until
# Prometheus answers the CPU query with data.  Stopped by stop_prometheus.
start_prometheus() {
	local a args=()
	require_dep prometheus command -v prometheus || return 1
	for a in "$@"; do
		args+=(--node "$a")
	done
	EXPORTER_PORT=$(free_port)
	"$ESCTL_TOP/tests/lib/node-exporter" --port "$EXPORTER_PORT" \
	    --pidfile "$BATS_TEST_TMPDIR/exporter.pid" "${args[@]}" 3>&- &
	wait_port "$EXPORTER_PORT"
	# a few scrapes are needed before the default CPU query of
	# snapshot collect (irate in a subquery) has a value
	prometheus_scrape node "$EXPORTER_PORT" \
	    'max_over_time(sum(irate(node_cpu_seconds_total{mode!="idle"}[2m]))[5m:])'
}

stop_prometheus() {
	kill_pidfiles "$BATS_TEST_TMPDIR/prometheus.pid" \
	    "$BATS_TEST_TMPDIR/exporter.pid"
}
