#!/usr/bin/env bats
# 0004: the exit-status matrix - for every command group, every exit
# status its man page documents (EXIT STATUS; an entry saying "not used"
# documents that the group never returns it) is produced by a command of
# the table below, and each command of the table exits with its status.

load lib/common
load lib/kube
load lib/lifecycle
load lib/pool
load lib/nodepool

NS=org-001-alice-search

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
	# nobody's store (below): a directory every user may enter, made
	# here because rows run in subshells
	PERM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/esctl-exit.XXXXXX")
	chmod 0755 "$PERM_DIR"
}

teardown() {
	cluster_teardown
	rm -rf "$PERM_DIR"
}

# Exit 1 everywhere: the output cannot be written.
full() {
	esctl "$@" > /dev/full
}

# Exit 7 for the database commands: a store the caller may not open.  As
# root the command runs as nobody (root opens any file); otherwise the
# copy is made unreadable.
nobody() {
	sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	rm -f "$PERM_DIR/db"	# an earlier row's copy may be mode 0000
	cp "$ESCTL_DB" "$PERM_DIR/db"
	chmod 0600 "$PERM_DIR/db"
	if [ "$(id -u)" -eq 0 ]; then
		# a copy of the binary: the tree may be in a directory nobody
		# cannot enter (/root)
		cp "$ESCTL_BIN" "$PERM_DIR/esctl"
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		    env -u ESCTL_CONFIG -u XDG_CONFIG_HOME -u XDG_DATA_HOME \
		    -u XDG_CACHE_HOME HOME=/ ESCTL_DB="$PERM_DIR/db" \
		    ESCTL_DATA_DIR="$PERM_DIR/data" "$PERM_DIR/esctl" "$@"
	else
		chmod 0000 "$PERM_DIR/db"
		ESCTL_DB=$PERM_DIR/db "$ESCTL_BIN" "$@"
	fi
}

# The table: GROUP CODE COMMAND (a shell command line; its status counts).
MATRIX='
autoscale 0 esctl autoscale policy get $NS
autoscale 1 full autoscale policy list
autoscale 2 esctl autoscale policy set $NS --min 5 --max 2
autoscale 3 esctl autoscale policy get org-009-x-y
autoscale 6 kube_sim_fault GET "/apis/apps/v1/namespaces/*/statefulsets/*" 503 0; esctl autoscale run $NS
autoscale 7 esctl --as-org org-002 autoscale policy get $NS
cluster 0 esctl cluster get $NS
cluster 1 full cluster list
cluster 2 esctl cluster create --org "bad org" --user a --service s
cluster 3 esctl cluster get org-009-x-y
cluster 4 esctl cluster create --org org-001 --user alice --service search
cluster 5 esctl tenant quota set --org org-003 --max-clusters 0 >/dev/null; esctl cluster create --org org-003 --user u --service s
cluster 6 kube_sim_fault "*" "/apis/*" 503 0; esctl cluster scale $NS --replicas 2
cluster 7 esctl --as-org org-002 cluster get $NS
completion 0 esctl completion bash
completion 1 full completion bash
completion 2 esctl completion tcsh
config 0 ESCTL_GITLAB_TOKEN=t0ken esctl config pull "$GIT_URL/conf.git"
config 1 ESCTL_GITLAB_TOKEN=t0ken full config pull "$GIT_URL/conf.git"
config 2 esctl config pull ftp://127.0.0.1/conf.git
config 3 ESCTL_GITLAB_TOKEN=t0ken esctl config pull "$GIT_URL/conf.git#nope"
config 6 esctl config pull "http://127.0.0.1:$(free_port)/conf.git"
config 7 ESCTL_GITLAB_TOKEN=wrong esctl config pull "$GIT_URL/conf.git"
container 0 esctl container list -n $NS
container 1 full container list -n $NS
container 2 esctl container list -n $NS --selector "a in"
container 3 esctl container list -n $NS --context no-such-context
container 6 kube_sim_fault GET "/api/v1/namespaces/*/pods" 503 0; esctl container list -n $NS
container 7 esctl --as-org org-002 container list -n $NS
dashboard 0 esctl dashboard
dashboard 1 full dashboard
dashboard 2 esctl dashboard --range 1y
dashboard 3 esctl dashboard --cluster nope
dashboard 7 nobody dashboard
deployment 0 esctl deployment show $NS
deployment 1 full deployment list
deployment 2 esctl deployment set-status $NS bogus
deployment 3 esctl deployment show org-009-x-y
deployment 7 esctl --as-org org-002 deployment show $NS
device 0 esctl device show CI-sim-node-1
device 1 full device list
device 2 echo "[{\"ci_code\": \"X\", \"memory\": \"lots\"}]" | esctl device import -
device 3 esctl device show nope
device 4 esctl --yes device remove CI-sim-node-2
device 6 kube_sim_fault GET /api/v1/nodes 503 0; esctl device sync --cluster exit-c
device 7 nobody device list
duty 0 esctl duty list
duty 1 full -o json duty list
duty 2 esctl duty add --date 2024-13-01 --start 09:00 --end 17:00 u1
duty 3 esctl duty remove 999 --yes
duty 4 esctl duty add --date 2024-01-01 --start 09:00 --end 17:00 u1 >/dev/null; esctl duty add --date 2024-01-01 --start 09:00 --end 17:00 u1
duty 7 nobody duty list
index 0 esctl index show docs1
index 1 full index show docs1
index 2 esctl index create x --dimension 0
index 3 esctl index show nope
index 4 esctl index create docs1 --dimension 4 --namespace $NS
index 5 esctl tenant quota set --org org-001 --max-indexes 1 >/dev/null; esctl index create docs2 --dimension 4 --namespace $NS
index 7 esctl --as-org org-002 index show docs1
k8s 0 esctl k8s list
k8s 1 full k8s list
k8s 2 esctl k8s add "bad name" --context sim
k8s 3 esctl k8s show nope
k8s 4 esctl k8s add dup --context sim >/dev/null; esctl k8s add dup --context sim
k8s 6 kube_sim_fault GET /version 503 0; esctl k8s ping
k8s 7 esctl k8s ping --kubeconfig "$BATS_TEST_TMPDIR/bad-token.yaml"
logs 0 esctl logs $NS --tail 1
logs 1 full logs $NS --tail 1
logs 2 esctl logs --tail many $NS
logs 3 esctl logs no-such-ns
logs 6 kube_sim_fault GET "/api/v1/namespaces/*/pods" 503 0; esctl logs $NS
logs 7 esctl --as-org org-002 logs $NS
maintenance 0 esctl maintenance show "$MAINT"
maintenance 1 full maintenance show "$MAINT"
maintenance 2 esctl maintenance request --device CI-sim-node-1 --start +2h --end +1h --ticket T2 --reason disk
maintenance 3 esctl maintenance show ESO-20990101-000001
maintenance 4 esctl maintenance schedule "$MAINT"
maintenance 6 esctl --config "$BATS_TEST_TMPDIR/maint-down.yaml" maintenance flush
maintenance 7 nobody maintenance list
metrics 0 esctl metrics alerts
metrics 1 full -o json metrics alerts
metrics 2 esctl metrics prune
metrics 3 esctl metrics ingest "$BATS_TEST_TMPDIR/no-such.ndjson"
metrics 7 nobody metrics alerts
monitor 0 esctl monitor metrics $NS
monitor 1 full monitor metrics $NS
monitor 2 esctl monitor metrics $NS --range 2y
monitor 3 esctl monitor metrics org-009-x-y
monitor 7 esctl --as-org org-002 monitor metrics $NS
node 0 esctl node uncordon sim-node-1
node 1 full node cordon sim-node-1
node 2 esctl node drain sim-node-1 --timeout soon
node 3 esctl node cordon sim-node-99
node 4 esctl --yes node delete sim-node-1
node 6 kube_sim_fault PATCH "/api/v1/nodes/*" 503 0; esctl node uncordon sim-node-1
node 7 esctl node cordon sim-node-1 --kubeconfig "$BATS_TEST_TMPDIR/bad-token.yaml"
notify 0 esctl notify list
notify 1 full notify list
notify 2 esctl notify test pigeon
notify 3 esctl notify read 999
notify 4 esctl notify read "$(sql "SELECT id FROM notification_log WHERE status = '"'"'failed'"'"' LIMIT 1")"
notify 6 esctl notify test im --to ops --config "$BATS_TEST_TMPDIR/down.yaml"
notify 7 nobody notify list
order 0 esctl order list
order 1 full -o json order list
order 2 esctl order list --status bogus
order 3 esctl order show ESO-20240101-000009
order 7 nobody order list
report 0 esctl report list
report 1 full report list
report 2 esctl report list --limit 0
report 3 esctl report show bob nothing --org org-001
report 4 esctl report show alice search --all
report 6 esctl --config "$BATS_TEST_TMPDIR/down.yaml" cluster create --org org-001 --user alice --service other >/dev/null 2>&1; esctl report flush --config "$BATS_TEST_TMPDIR/down.yaml"
report 7 esctl --as-org org-002 report show alice search --org org-001
search 0 esctl search docs1 --vector "[1,0,0,0]"
search 1 full search docs1 --vector "[1,0,0,0]"
search 2 esctl search docs1 --vector "[1,0]"
search 3 esctl search nope --vector "[1,0,0,0]"
search 7 esctl --as-org org-002 search docs1 --vector "[1,0,0,0]"
snapshot 0 esctl snapshot list
snapshot 1 full -o json snapshot list
snapshot 2 printf "bad\n" > "$BATS_TEST_TMPDIR/bad.csv"; esctl snapshot import "$BATS_TEST_TMPDIR/bad.csv"
snapshot 3 esctl snapshot import "$BATS_TEST_TMPDIR/no-such.csv"
snapshot 6 kube_sim_fault GET /api/v1/nodes 503 0; esctl snapshot collect
snapshot 7 nobody snapshot list
strategy 0 esctl strategy list
strategy 1 full strategy list
strategy 2 esctl strategy create s2 -c exit-c -a pool_entry --cpu-threshold 180 --cpu-type usage --device-count 1
strategy 3 esctl strategy show nope
strategy 4 esctl strategy create s1 -c exit-c -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
strategy 7 nobody strategy list
tenant 0 esctl tenant list
tenant 1 full tenant list
tenant 2 esctl tenant quota set --org org-001 --max-cpu 1.2.3
tenant 3 esctl tenant show --org org-001 bob nothing
tenant 4 esctl tenant show alice search
tenant 7 esctl --as-org org-002 tenant containers --org org-001
version 0 esctl version --client
version 1 full version --client
version 2 esctl version --client extra
version 6 kube_sim_fault GET /version 503 0; esctl version
version 7 esctl version --kubeconfig "$BATS_TEST_TMPDIR/bad-token.yaml"
'

# Documented statuses of a man page: the EXIT STATUS items not saying
# "not used".
documented() {
	awk '/^\.Sh EXIT STATUS/{on=1; next} /^\.Sh /{on=0}
	    on && /^\.It [0-7]/{if (code != "") print code, text
	        code = $2; text = ""; next}
	    on && /^\.El/{if (code != "") print code, text; code = ""}
	    on && code != ""{text = text " " $0}' "$1" |
	    grep -v 'not used' | cut -d' ' -f1
}

@test "the table covers every exit status each man page documents" {
	local page group code missing=
	for page in "$ESCTL_TOP"/man/esctl-*.1; do
		group=${page##*/esctl-}
		group=${group%.1}
		for code in $(documented "$page"); do
			grep -q "^$group $code " <<<"$MATRIX" ||
			    missing+=" $group:$code"
		done
	done
	[ -z "$missing" ] || fail "documented but never produced:$missing"
	# and no row claims a status its page says is not used
	local extra=
	while read -r group code _; do
		[ -n "$group" ] || continue
		documented "$ESCTL_TOP/man/esctl-$group.1" | grep -qx "$code" ||
		    extra+=" $group:$code"
	done <<<"$MATRIX"
	[ -z "$extra" ] || fail "produced but documented as not used:$extra"
}

@test "every command of the table exits with its documented status" {
	# the fixture: two orgs' services, an index, a strategy, a failed
	# notification, a registered cluster, a repository, a dead receiver
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster create --org org-002 --user alice --service search
	printf '{"id": "a", "vector": [1, 0, 0, 0]}\n' > "$BATS_TEST_TMPDIR/v.jsonl"
	run -0 esctl index create docs1 --dimension 4 --namespace "$NS"
	run -0 esctl index add docs1 "$BATS_TEST_TMPDIR/v.jsonl"
	add_cluster exit-c
	np_devices exit-c sim-node-1 sim-node-2
	# a pool_exit order that holds the second device
	run -0 esctl order create -c exit-c -a pool_exit --count 1
	sql "INSERT INTO order_device (order_id, device_id, created_at,
	    updated_at) SELECT (SELECT max(id) FROM elastic_scaling_order),
	    id, created_at, created_at FROM device
	    WHERE ci_code = 'CI-sim-node-2'"
	run -0 esctl autoscale policy set "$NS" --min 1 --max 4 --cpu 60
	# a maintenance request, not confirmed yet, whose "accepted" event
	# waits in the outbox (no callback_url configured), and a
	# callback receiver that is down
	MAINT=$(esctl -o json maintenance request --device CI-sim-node-1 \
	    --start +1h --end +2h --ticket T1 --reason disk 2>/dev/null |
	    jq -r .order_number)
	case $MAINT in ESO-*) ;; *) fail "maintenance request: $MAINT" ;; esac
	printf 's3cret\n' > "$BATS_TEST_TMPDIR/secret"
	printf 'maintenance:\n  callback_url: %s/maint\n  secret_file: %s\n  timeout: 1s\n' \
	    "http://127.0.0.1:$(free_port)" "$BATS_TEST_TMPDIR/secret" \
	    > "$BATS_TEST_TMPDIR/maint-down.yaml"
	run -0 esctl strategy create s1 -c exit-c -a pool_entry \
	    --cpu-threshold 80 --cpu-type usage --device-count 1
	make_repo conf
	start_git_server --token t0ken
	local down
	down=http://127.0.0.1:$(free_port)
	printf 'report:\n  url: %s/report\n  timeout: 1s\nnotify:\n  channels: [im]\n  im:\n    url: %s/hook\n' \
	    "$down" "$down" > "$BATS_TEST_TMPDIR/down.yaml"
	# a failed notification
	run -6 esctl notify test im --to ops --config "$BATS_TEST_TMPDIR/down.yaml"
	# a kubeconfig whose token the server refuses
	jq -n --arg s "$KUBE_SIM_URL" --arg ca "$(base64 -w0 < "$KUBE_SIM_CA")" '{
	    apiVersion: "v1", kind: "Config",
	    clusters: [{name: "c", cluster: {server: $s,
	        "certificate-authority-data": $ca}}],
	    users: [{name: "u", user: {token: "not-a-token"}}],
	    contexts: [{name: "t", context: {cluster: "c", user: "u"}}],
	    "current-context": "t"}' > "$BATS_TEST_TMPDIR/bad-token.yaml"
	local group code cmd bad= n=0
	while read -r group code cmd; do
		[ -n "$group" ] || continue
		run --separate-stderr eval "$cmd"
		kube_sim_faults_clear
		if [ "$status" -ne "$code" ]; then
			bad+="$group $code: exit $status: $cmd: ${stderr:0:300}"$'\n'
		fi
		n=$((n + 1))
	done <<<"$MATRIX"
	[ -z "$bad" ] || fail "$bad"
	# every row ran (a row lost to quoting would leave a code untested)
	assert_equal "$n" "$(grep -c '^[a-z]' <<<"$MATRIX")"
	[ "$n" -ge 90 ]
}
