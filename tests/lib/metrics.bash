# tests/lib/metrics.bash - helpers of the metrics, monitor and autoscale
# suites (load lib/metrics after lib/common).

# seed_service NS [REPLICAS [ORG]]: an ES service record as cluster
# create leaves it (DeploymentStatus running), without a cluster.
seed_service() {
	local ns=$1 replicas=${2:-2} org=${3:-org1}
	esctl metrics alerts >/dev/null 2>&1	# creates and migrates the store
	sql "INSERT INTO deployment_status (id, tenant_org_id, namespace,
	    user, service_name, status, replicas, created_at, updated_at)
	    VALUES ('id-$ns', '$org', '$ns', 'alice', '${ns#es-}', 'running',
	    $replicas, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
}

# report NS CONTAINER [JSON members...]: one report object on stdout.
report() {
	local ns=$1 c=$2 extra=${3:+,$3}
	printf '{"namespace":"%s","container_name":"%s"%s}\n' "$ns" "$c" \
	    "$extra"
}

# start_metrics_server [options...]: esctl metrics serve on a free port
# in the background; sets MS_URL and MS_PID.
start_metrics_server() {
	local out=$BATS_TEST_TMPDIR/serve.out i
	: > "$out"
	"$ESCTL_BIN" metrics serve --listen 127.0.0.1:0 "$@" \
	    > "$out" 2> "$BATS_TEST_TMPDIR/serve.err" 3>&- &
	MS_PID=$!
	for ((i = 0; i < 100; i++)); do
		MS_URL=$(sed -n 's/^listening on //p' "$out")
		[ -n "$MS_URL" ] && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/serve.err" >&2
	return 1
}

stop_metrics_server() {
	if [ -n "${MS_PID:-}" ]; then
		kill -TERM "$MS_PID" 2>/dev/null || true
		wait "$MS_PID" 2>/dev/null || true
		MS_PID=
	fi
}

# post BODY [curl options...]: POST /report with the test token; prints
# the body then the status code on its own line.
post() {
	local body=$1
	shift
	curl -sS -X POST -H 'Authorization: Bearer t0ken' \
	    -H 'Content-Type: application/json' --data-binary "$body" \
	    -w '\n%{http_code}\n' "$@" "$MS_URL/report"
}

# start_es_prometheus NS [exporter options...]: tests/lib/es-exporter for
# the ES pods of NS and Debian's prometheus scraping it every second;
# sets PROM_URL.  Returns when the CPU rate has a value.  Stopped by
# stop_es_prometheus.
start_es_prometheus() {
	local ns=$1 port
	shift
	port=$(free_port)
	"$ESCTL_TOP/tests/lib/es-exporter" --port "$port" --namespace "$ns" \
	    --pidfile "$BATS_TEST_TMPDIR/es-exporter.pid" "$@" 3>&- &
	wait_port "$port"
	prometheus_scrape es "$port" \
	    'sum(rate(container_cpu_usage_seconds_total[2m]))'
}

stop_es_prometheus() {
	kill_pidfiles "$BATS_TEST_TMPDIR/prometheus.pid" \
	    "$BATS_TEST_TMPDIR/es-exporter.pid"
}
