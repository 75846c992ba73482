#!/usr/bin/env bats
# 4003: the data path end to end against the local Kubernetes API server
# and Debian's prometheus: plugin reports over HTTP -> a threshold breach
# -> one alert -> autoscale scales 2 -> 4 -> cooldowns (on an injected
# clock) -> scale down; cluster list shows the QPS; monitor shows live
# values from Prometheus.

load lib/common
load lib/kube
load lib/lifecycle
load lib/metrics

NS=org-001-alice-search
T0=2026-12-07T12:00:00Z

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
	cat >> "$ESCTL_CONFIG" <<-YAML
	metrics:
	  token: t0ken
	  alerts:
	    cpu_usage: 90
	autoscale:
	  rollout_timeout: 20s
	YAML
	MS_PID=
}

teardown() {
	stop_metrics_server
	stop_es_prometheus
	cluster_teardown
}

# at SECONDS: ESCTL_NOW that many seconds after T0.
at() {
	date -u -d "@$(( $(date -u -d "$T0" +%s) + $1 ))" +%Y-%m-%dT%H:%M:%SZ
}

# load SECONDS CPU PODS: one report per pod at T0 + SECONDS.
load_at() {
	local s=$1 cpu=$2 pods=$3 i
	for ((i = 0; i < pods; i++)); do
		report "$NS" "elasticsearch-$i" "\"cpu_usage\":$cpu,\"memory_usage\":40,\"disk_usage\":30,\"qps\":$((cpu * 10)),\"timestamp\":\"$(at "$s")\""
	done
}

sts_replicas() {
	kube_sim_api GET "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch" |
	    jq -r .spec.replicas
}

scale_patches() {
	kube_sim_count PATCH "/apis/apps/v1/namespaces/$NS/statefulsets/elasticsearch/scale"
}

@test "reports over HTTP -> one alert -> 2 to 4, cooldowns, scale down after 10 minutes" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl duty add --date 2026-12-07 --start 00:00 --end 00:00 --email oncall@example.com oncall
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	export ESCTL_NOW=$T0
	start_metrics_server

	# the plugins report a hot service: one alert per pod, once
	run -0 post "$(load_at 0 95 2)" -H 'Content-Type: application/x-ndjson'
	assert_line --index 1 202
	[ "$(jq .accepted <<< "${lines[0]}")" = 2 ]
	[ "$(jq .alerts_fired <<< "${lines[0]}")" = 2 ]
	run -0 post "$(load_at 0 96 2)"
	assert_line --index 1 202
	[ "$(jq .alerts_fired <<< "${lines[0]}")" = 0 ]
	[ "$(sql "SELECT count(*) FROM metric_alert WHERE state = 'firing'")" = 2 ]
	[ "$(sql "SELECT count(DISTINCT content) FROM notification_log")" = 2 ]
	run -0 sql "SELECT DISTINCT recipient FROM notification_log"
	assert_output oncall
	stop_metrics_server

	# cluster list shows the stored QPS (960 + 960) and disk
	run -0 esctl cluster list -o json
	[ "$(jq '.items[0].qps' <<< "$output")" = 1920 ]
	[ "$(jq '.items[0].disk_usage' <<< "$output")" = 30 ]
	run -0 esctl cluster list
	assert_line --index 0 --regexp 'QPS +DISK%'
	assert_line --index 1 --regexp ' 1920 +30 '

	# 96 / 60 = 1.6: ceil(2 * 1.6) = 4, within max 6
	run -0 esctl autoscale run --once
	assert_output --partial "$NS: scale_up 2 -> 4: ratio 1.600 (cpu_usage): 2 -> 4"
	[ "$(sts_replicas)" = 4 ]
	[ "$(scale_patches)" = 1 ]
	[ "$(sql "SELECT status, replicas FROM deployment_status")" = "running|4" ]

	# a minute later, still hot on four pods: 7 wanted, 6 allowed, but
	# the 5-minute cooldown blocks it
	export ESCTL_NOW=$(at 60)
	load_at 60 95 4 | esctl metrics ingest -
	run -0 esctl autoscale run --once
	assert_output --partial "$NS: cooldown 4 -> 4"
	assert_output --partial "the last scaling was 60s ago (a scale-up waits 300s)"
	[ "$(sts_replicas)" = 4 ]
	[ "$(scale_patches)" = 1 ]

	# the load drops: a scale-down waits 10 minutes, not 5
	for s in 120 420 599; do
		export ESCTL_NOW=$(at $s)
		load_at $s 10 4 | esctl metrics ingest -
		run -0 esctl autoscale run --once
		assert_output --partial "$NS: cooldown 4 -> 4"
		assert_output --partial "a scale-down waits 600s"
	done
	[ "$(scale_patches)" = 1 ]
	# recovered: the alerts (of the two new pods too) resolve
	[ "$(sql "SELECT count(*) FROM metric_alert WHERE state = 'resolved'")" = 4 ]
	[ "$(sql "SELECT count(*) FROM metric_alert WHERE state = 'firing'")" = 0 ]
	export ESCTL_NOW=$(at 600)
	load_at 600 10 4 | esctl metrics ingest -
	run -0 esctl autoscale run --once
	assert_output --partial "$NS: scale_down 4 -> 2"
	[ "$(sts_replicas)" = 2 ]
	[ "$(scale_patches)" = 2 ]
	[ "$(sql "SELECT status, replicas FROM deployment_status")" = "running|2" ]
	assert_equal "$(sql "SELECT group_concat(event) FROM usage_event")" "create,scale,scale"

	# every decision and every number behind the last one
	run -0 esctl autoscale history "$NS" -o json
	assert_equal "$(jq -r '[.items[].action] | reverse | join(",")' <<< "$output")" \
	    "scale_up,cooldown,cooldown,cooldown,cooldown,scale_down"
	run -0 esctl autoscale explain "$NS" --last 1
	assert_line --partial "scale_down 4 -> 2"
	assert_line --regexp '^  cpu_usage +5 +10 +-[0-9.]+ +falling +0.9 +60 '
	assert_line --regexp '^    cpu_usage +95 10 10 10 10$'
	assert_line --regexp '^    qps +3800 400 400 400 400$'
	run -0 esctl autoscale explain "$NS" --last 1 -o json
	[ "$(jq '.items[0].details.metrics.cpu_usage.samples' <<< "$output")" = 5 ]
	[ "$(jq '.items[0].details.computed_replicas' <<< "$output")" = 1 ]
	[ "$(jq -c '.items[0].details.metrics.cpu_usage.values' <<< "$output")" = "[95,10,10,10,10]" ]
	[ "$(jq -c '.items[0].details.metrics.memory_usage.values' <<< "$output")" = "[40,40,40,40,40]" ]
}

@test "overlapping runs scale a service once" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	export ESCTL_NOW=$T0
	load_at 0 95 2 | esctl metrics ingest -
	"$ESCTL_BIN" autoscale run --once > "$BATS_TEST_TMPDIR/a" 2>&1 3>&- &
	local a=$!
	"$ESCTL_BIN" autoscale run --once > "$BATS_TEST_TMPDIR/b" 2>&1 3>&- &
	local b=$!
	wait "$a" || true
	wait "$b" || true
	cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$(scale_patches)" = 1 ]
	[ "$(sts_replicas)" = 4 ]
	[ "$(sql "SELECT count(*) FROM autoscale_decision WHERE action = 'scale_up'")" = 1 ]
	[ "$(sql "SELECT status FROM deployment_status")" = running ]
}

@test "a scale-up beyond the quota is refused and recorded" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl tenant quota set --org org-001 --max-cpu 6
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	export ESCTL_NOW=$T0
	load_at 0 95 2 | esctl metrics ingest -
	run -0 esctl autoscale run --once
	assert_output --partial "$NS: refused_quota 2 -> 2: scale-up to 4 refused: quota exceeded"
	[ "$(scale_patches)" = 0 ]
	run -0 --separate-stderr esctl --dry-run autoscale run --once -o json
	[ "$(jq -r '.items[0].action' <<< "$output")" = refused_quota ]
	[ "$(sql "SELECT count(*) FROM autoscale_decision")" = 1 ]
}

@test "dry run decides and changes nothing" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	export ESCTL_NOW=$T0
	load_at 0 95 2 | esctl metrics ingest -
	local before
	before=$(db_dump)
	run -0 esctl --dry-run autoscale run --once
	assert_output --partial "$NS: (dry run) scale_up 2 -> 4"
	assert_equal "$(db_dump)" "$before"
	[ "$(scale_patches)" = 0 ]
}

@test "monitor metrics: stored history, live values from Prometheus, requests and limits" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2 --cpu-limit 2 --mem-limit 2Gi
	start_es_prometheus "$NS" --pods 2 --cores 1.5 --cpu-limit 2 --mem-gib 1 --mem-limit-gib 2 --disk-pct 40
	# irate: the test's Prometheus is seconds old, rate() over 2m is not
	# yet the load (it divides by the whole window)
	cat >> "$ESCTL_CONFIG" <<-'YAML'
	monitor:
	  cpu_query: 100 * sum(irate(container_cpu_usage_seconds_total{namespace="$namespace",container="elasticsearch"}[1m])) / sum(kube_pod_container_resource_limits{namespace="$namespace",resource="cpu"})
	YAML
	export ESCTL_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	{
		report "$NS" elasticsearch-0 '"cpu_usage":20,"qps":5,"startup_cpu":3,"timestamp":"'"$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)"'"'
		report "$NS" elasticsearch-0 '"cpu_usage":30,"qps":7,"startup_cpu":5'
		report "$NS" elasticsearch-1 '"cpu_usage":50,"qps":9,"startup_cpu":7'
	} | esctl metrics ingest -
	run -0 esctl monitor metrics "$NS" --live --prometheus "$PROM_URL" -o json
	local o=$output
	[ "$(jq -r '.items[0].namespace' <<< "$o")" = "$NS" ]
	# 1.5 of 2 cores busy per pod
	jq -e '.items[0].live.cpu_usage > 70 and .items[0].live.cpu_usage < 80' <<< "$o"
	[ "$(jq '.items[0].live.memory_usage' <<< "$o")" = 50 ]
	[ "$(jq '.items[0].live.disk_usage' <<< "$o")" = 40 ]
	[ "$(jq '.items[0].live.qps' <<< "$o")" = null ]
	[ "$(jq -r '.items[0].live.source' <<< "$o")" = prometheus ]
	# stored: newest per pod (30, 50) averaged; qps summed
	[ "$(jq '.items[0].latest.cpu_usage' <<< "$o")" = 40 ]
	[ "$(jq '.items[0].latest.qps' <<< "$o")" = 16 ]
	[ "$(jq '.items[0].latest.memory_usage' <<< "$o")" = null ]
	[ "$(jq '.items[0].startup.cpu' <<< "$o")" = 6 ]
	[ "$(jq -r '.items[0].resource_limits.cpu' <<< "$o")" = 2 ]
	[ "$(jq '.items[0].series.cpu_usage | length' <<< "$o")" = 24 ]
	[ "$(jq '[.items[0].series.cpu_usage[] | select(. != null)] | length' <<< "$o")" = 2 ]
	[ "$(jq '[.items[0].series.memory_usage[] | select(. != null)] | length' <<< "$o")" = 0 ]
	run -0 esctl monitor metrics "$NS" -o wide
	assert_line --regexp "^$NS +cpu_usage +.* 40 +<none> +"
	assert_line --regexp "^$NS +memory_usage +<none> +<none> +<none> +<none> +<none> +<none> +- "
	run -0 esctl monitor qps "$NS" -o json
	[ "$(jq .qps <<< "$output")" = 16 ]
	[ "$(jq -r '[.containers[].container_name] | join(",")' <<< "$output")" = "elasticsearch-0,elasticsearch-1" ]
	# a Prometheus that is down: a warning, live values missing
	stop_es_prometheus
	run -0 --separate-stderr esctl monitor metrics "$NS" --live --prometheus "http://127.0.0.1:$(free_port)" -o json
	[ "$(jq '.items[0].live.cpu_usage' <<< "$output")" = null ]
	[[ $stderr == *"live values unavailable"* ]]
	run -3 esctl monitor metrics no-such-ns
}

@test "run --interval: a round per interval until SIGTERM, taken between rounds" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	export ESCTL_NOW=$T0
	load_at 0 50 2 | esctl metrics ingest -
	"$ESCTL_BIN" autoscale run --interval 1s > "$BATS_TEST_TMPDIR/loop.out" \
	    2> "$BATS_TEST_TMPDIR/loop.err" 3>&- &
	local pid=$! i rc=0
	for ((i = 0; i < 100; i++)); do
		[ "$(sql "SELECT count(*) FROM autoscale_decision")" -ge 2 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	run -0 cat "$BATS_TEST_TMPDIR/loop.err"
	assert_output "terminated: stopped between rounds"
	# the test clock moves by the interval: one decision per second
	run -0 sql "SELECT at FROM autoscale_decision ORDER BY id LIMIT 2"
	assert_output "$(printf '%s\n%s' "$T0" "$(at 1)")"
	run -0 cat "$BATS_TEST_TMPDIR/loop.out"
	assert_line --index 0 --partial "$NS: none 2 -> 2: ratio 0.833 (cpu_usage) within the tolerance 0.10"
	run -2 esctl autoscale run --once --interval 1m
}

@test "monitor metrics --live without a Prometheus: metrics.k8s.io against the limits" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2 --cpu-limit 2 --mem-limit 2Gi
	kube_sim_metrics '{"pods": {"'"$NS"'/elasticsearch-0": {"cpu": "1", "memory": "1Gi"},
	    "'"$NS"'/elasticsearch-1": {"cpu": "500m", "memory": "512Mi"}}}'
	run -0 esctl monitor metrics "$NS" --live -o json
	[ "$(jq -r '.items[0].live.source' <<< "$output")" = metrics.k8s.io ]
	# (1 + 0.5) cores of 2 x 2; 1.5Gi of 2 x 2Gi
	[ "$(jq '.items[0].live.cpu_usage' <<< "$output")" = 37.5 ]
	[ "$(jq '.items[0].live.memory_usage' <<< "$output")" = 37.5 ]
	[ "$(jq '.items[0].live.disk_usage' <<< "$output")" = null ]
	[ "$(jq -r '.items[0].resource_limits.cpu' <<< "$output")" = 2 ]
	[ "$(jq -r '.items[0].resource_limits.memory' <<< "$output")" = 2Gi ]
	[ "$(jq '.items[0].replicas' <<< "$output")" = 2 ]
}

@test "simulate replays a series and needs no store or cluster" {
	cat > "$BATS_TEST_TMPDIR/s.ndjson" <<-'EOF2'
	{"cpu_usage": 50}
	{"cpu_usage": 60}
	{"cpu_usage": 95}
	{"cpu_usage": 96}
	{"cpu_usage": 20}
	{"cpu_usage": 20}
	EOF2
	run -0 esctl autoscale simulate --metrics "$BATS_TEST_TMPDIR/s.ndjson" \
	    --policy min=2,max=6,cpu=60,cooldown-up=2m,cooldown-down=3m --replicas 2 -o json
	assert_equal "$(jq -r '[.items[].action] | join(",")' <<< "$output")" \
	    "none,none,scale_up,cooldown,cooldown,scale_down"
	assert_equal "$(jq -r '[.items[].replicas] | join(",")' <<< "$output")" "2,2,4,4,4,2"
	[ ! -e "$ESCTL_DB" ]
	run -2 esctl autoscale simulate --metrics "$BATS_TEST_TMPDIR/s.ndjson" --policy min=3,max=2,cpu=1
	assert_output --partial "min replicas 3 is above max replicas 2"
}

@test "a namespace esctl cannot prove it owns is not scaled" {
	run -0 esctl cluster create --org org-001 --user alice --service search --replicas 2
	run -0 esctl autoscale policy set "$NS" --min 2 --max 6 --cpu 60
	# another creation's namespace now: its creation id is not the record's
	run -0 kube_sim_api PATCH "/api/v1/namespaces/$NS" \
	    '{"metadata": {"annotations": {"es.yunpeng.cn/creation-id": "tenant_org-001_alice_search_9"}}}'
	export ESCTL_NOW=$T0
	load_at 0 95 2 | esctl metrics ingest -
	run esctl autoscale run --once
	echo "$output"
	assert_output --partial "$NS: failed 2 -> 4"
	[ "$(scale_patches)" = 0 ]
	[ "$(sts_replicas)" = 2 ]
	[ "$(sql "SELECT status FROM deployment_status")" = running ]
	[ "$(sql "SELECT action FROM autoscale_decision")" = failed ]
	[ -n "$(sql "SELECT message FROM deployment_status")" ]
}
