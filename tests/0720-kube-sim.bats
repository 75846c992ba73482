#!/usr/bin/env bats
# 0720: the local Kubernetes API server itself - the recorded exchanges
# replayed, the real kubectl against it, its controllers, fault injection
# and clean start/stop.

load lib/common
load lib/kube

setup() {
	common_setup
}

teardown() {
	kube_sim_stop
}

sts_replicas_is() {
	kube_sim_api GET "/apis/apps/v1/namespaces/default/statefulsets/$1" |
	    jq -e ".status.replicas == $2"
}

ns_gone() {
	! kube_sim_api GET "/api/v1/namespaces/$1" >/dev/null 2>&1
}

# The shape is compared recursively (keys of every object, JSON types,
# list lengths, meaningful values) with the Content-Type; see replay.
@test "every recorded kube-apiserver exchange replays with the same shape" {
	kube_sim_start --ns-delete-delay 1.5 --gpus-per-node 0
	run "$PYTHON" "$ESCTL_TOP/tests/kube-sim/replay" \
	    --fixtures "$ESCTL_TOP/testdata/k8s-recorded" --url "$KUBE_SIM_URL" \
	    --ca "$KUBE_SIM_CA" --tokens "$KUBE_SIM_DIR/tokens.json" --timeout 60
	refute_output --partial 'not ok'	# shows what differs
	assert_success
	assert_equal "$(grep -c '^ok ' <<<"$output")" \
	    "$(ls "$ESCTL_TOP"/testdata/k8s-recorded/*.json | wc -l)"
	refute_output --partial 'not ok'
}

# v1.28.7 (nodes, eviction, PDB, scheduling, metrics absent, discovery):
# the scenario's three stand-in nodes registered first, no metrics API as
# there.  What kube-sim does not reproduce is a short, fixed list of
# skips, each with its reason (printed); everything else must match.
@test "the v1.28 recordings replay with the same shape, or are listed skips" {
	local d=$ESCTL_TOP/testdata/k8s-recorded/v1.28
	kube_sim_start --nodes 0 --no-metrics
	run "$PYTHON" "$ESCTL_TOP/tests/kube-sim/replay" --fixtures "$d" \
	    --create-nodes "$d/101-node-list.json" --url "$KUBE_SIM_URL" \
	    --ca "$KUBE_SIM_CA" --tokens "$KUBE_SIM_DIR/tokens.json" --timeout 60
	refute_output --partial 'not ok'	# shows what differs
	assert_success
	assert_equal "$(grep -c '^ok ' <<<"$output")" 31
	assert_equal "$(grep '^skip ' <<<"$output" | cut -d: -f1 | tr '\n' ' ')" \
	    "skip 123-statefulset-create skip 124-pod-list-fieldselector-nodename skip 126-statefulset-pod-get skip 131-pdb-get skip 133-pod-get-after-eviction skip 150-node-create-minimal skip 151-node-get-throwaway skip 165-discovery-api-aggregated skip 166-discovery-apis-aggregated skip 171-node-watch skip 181-pod-list-fieldselector-cpu-1-before-drain skip 182-pod-list-fieldselector-cpu-1-after-drain skip 183-node-get-drained skip 190-openapi-v3-index "
	# every exchange was either compared or skipped
	assert_equal "$(grep -c '^\(ok\|skip\) ' <<<"$output")" \
	    "$(ls "$d"/[0-9][0-9][0-9]-*.json | wc -l)"
}

@test "kubectl get ns,sts,pods -A works" {
	kube_sim_start
	kube_sim_namespace es-one '{"es-cluster": "true"}'
	kube_sim_statefulset es-one elasticsearch 2
	esctl __kube wait statefulsets es-one elasticsearch --for rollout \
	    --timeout 20s >/dev/null
	run -0 kube_sim_kubectl get ns,sts,pods -A
	assert_line --regexp '^namespace/es-one +Active '
	assert_line --regexp '^namespace/default +Active '
	assert_line --regexp '^es-one +statefulset.apps/elasticsearch +2/2 '
	assert_line --regexp '^es-one +pod/elasticsearch-0 +1/1 +Running +0 '
	assert_line --regexp '^es-one +pod/elasticsearch-1 +1/1 +Running +0 '
}

@test "kubectl get ns -l es-cluster=true -o json works" {
	kube_sim_start
	kube_sim_namespace es-one '{"es-cluster": "true", "tenant-org-id": "o1"}'
	kube_sim_namespace es-two '{"es-cluster": "true"}'
	kube_sim_namespace other
	run -0 kube_sim_kubectl get ns -l es-cluster=true -o json
	assert_equal "$(jq -r '.kind' <<<"$output")" List
	assert_equal "$(jq -r '[.items[].metadata.name] | join(",")' \
	    <<<"$output")" es-one,es-two
	assert_equal "$(jq -r '.items[0].kind, .items[0].status.phase,
	    .items[0].metadata.labels["tenant-org-id"]' <<<"$output")" \
	    $'Namespace\nActive\no1'
	run -0 kube_sim_kubectl get ns -l 'es-cluster=true,tenant-org-id!=o1' \
	    -o name
	assert_output namespace/es-two
	# the selector went to the server
	run -0 kube_sim_requests '[.[] | select(.method == "GET" and .path == "/api/v1/namespaces")
	    | .query] | .[0]'
	[[ $output == *"labelSelector=es-cluster%3Dtrue"* ]]
}

@test "a newer kubectl works too, when installed" {
	[ -x /usr/bin/kubectl ] || skip "no /usr/bin/kubectl"
	[ "$(readlink -f /usr/bin/kubectl)" != "$(readlink -f "$KUBECTL")" ] ||
	    skip "/usr/bin/kubectl is the one already tested"
	kube_sim_start
	kube_sim_namespace es-one '{"es-cluster": "true"}'
	kube_sim_statefulset es-one elasticsearch 1
	esctl __kube wait statefulsets es-one elasticsearch --for rollout \
	    --timeout 20s >/dev/null
	run -0 /usr/bin/kubectl --kubeconfig "$KUBE_SIM_KUBECONFIG" \
	    get ns,sts,pods -A
	assert_line --regexp '^es-one +pod/elasticsearch-0 +1/1 +Running'
	run -0 /usr/bin/kubectl --kubeconfig "$KUBE_SIM_KUBECONFIG" \
	    get ns -l es-cluster=true -o json
	assert_equal "$(jq -r '.items[].metadata.name' <<<"$output")" es-one
}

@test "controllers: pods, status counters, PVCs, scaling and metrics" {
	kube_sim_start --ready-delay 0.1
	kube_sim_statefulset default es 3
	esctl __kube wait statefulsets default es --for rollout --timeout 20s \
	    >/dev/null
	run -0 kube_sim_api GET /apis/apps/v1/namespaces/default/statefulsets/es
	assert_equal "$(jq -c '.status | [.replicas, .readyReplicas,
	    .updatedReplicas, .availableReplicas, .observedGeneration]' \
	    <<<"$output")" '[3,3,3,3,1]'
	run -0 kube_sim_api GET /api/v1/namespaces/default/persistentvolumeclaims
	assert_equal "$(jq -r '[.items[] | .metadata.name + ":" +
	    .status.phase + ":" + .status.capacity.storage] | join(" ")' \
	    <<<"$output")" "data-es-0:Bound:1Gi data-es-1:Bound:1Gi data-es-2:Bound:1Gi"
	# the scale subresource: spec at once, status later
	run -0 kube_sim_api PATCH \
	    /apis/apps/v1/namespaces/default/statefulsets/es/scale \
	    '{"spec": {"replicas": 1}}'
	assert_equal "$(jq -c '[.kind, .spec.replicas, .status.replicas,
	    .status.selector]' <<<"$output")" '["Scale",1,3,"app=es"]'
	kube_sim_wait 20 sts_replicas_is es 1
	# metrics.k8s.io from the pods' requests, overridable
	kube_sim_metrics '{"pods": {"default/es-0": {"cpu": "750m",
	    "memory": "1Gi"}}}'
	run -0 kube_sim_api GET /apis/metrics.k8s.io/v1beta1/namespaces/default/pods/es-0
	assert_equal "$(jq -r '.containers[0].usage | .cpu + " " + .memory' \
	    <<<"$output")" "750000000n 1048576Ki"
	run -0 kube_sim_api GET /apis/metrics.k8s.io/v1beta1/nodes
	assert_equal "$(jq '.items | length' <<<"$output")" 3
}

@test "namespace deletion: Terminating, then gone with its contents" {
	kube_sim_start --ns-delete-delay 2
	kube_sim_namespace doomed
	kube_sim_statefulset doomed es 2
	esctl __kube wait statefulsets doomed es --for rollout --timeout 20s \
	    >/dev/null
	run -0 kube_sim_api DELETE /api/v1/namespaces/doomed
	assert_equal "$(jq -r '.kind, .status.phase' <<<"$output")" \
	    $'Namespace\nTerminating'
	# no new content while terminating
	run -1 kube_sim_api POST /api/v1/namespaces/doomed/configmaps \
	    '{"metadata": {"name": "x"}}'
	assert_equal "$(jq -r .reason <<<"$output")" Forbidden
	kube_sim_wait 20 ns_gone doomed
	run -0 kube_sim_api GET /api/v1/persistentvolumeclaims
	assert_equal "$(jq '.items | length' <<<"$output")" 0
	run -0 kube_sim_api GET /api/v1/pods
	assert_equal "$(jq '.items | length' <<<"$output")" 0
}

@test "eviction honours PodDisruptionBudgets with 429" {
	kube_sim_start
	kube_sim_statefulset default web 2
	esctl __kube wait statefulsets default web --for rollout --timeout 20s \
	    >/dev/null
	kube_sim_api POST /apis/policy/v1/namespaces/default/poddisruptionbudgets \
	    '{"metadata": {"name": "web"}, "spec": {"minAvailable": 2,
	      "selector": {"matchLabels": {"app": "web"}}}}' >/dev/null
	run -1 kube_sim_api POST /api/v1/namespaces/default/pods/web-0/eviction \
	    '{"apiVersion": "policy/v1", "kind": "Eviction",
	      "metadata": {"name": "web-0", "namespace": "default"}}'
	assert_equal "$(jq -r '.code, .reason, .details.causes[0].reason,
	    .details.causes[0].message' <<<"$output")" "429
TooManyRequests
DisruptionBudget
The disruption budget web needs 2 healthy pods and has 2 currently"
	kube_sim_api PATCH /apis/policy/v1/namespaces/default/poddisruptionbudgets/web \
	    '{"spec": {"minAvailable": 1}}' >/dev/null
	run -0 kube_sim_api POST /api/v1/namespaces/default/pods/web-0/eviction \
	    '{"apiVersion": "policy/v1", "kind": "Eviction",
	      "metadata": {"name": "web-0", "namespace": "default"}}'
	assert_equal "$(jq -c '[.kind, .status, .code]' <<<"$output")" \
	    '["Status","Success",201]'
}

@test "fault injection: status, count, after, method and path patterns" {
	kube_sim_start
	kube_sim_fault GET '/api/v1/namespaces/*' 500 2 after=1
	run -0 kube_sim_api GET /api/v1/namespaces/default
	run -1 kube_sim_api GET /api/v1/namespaces/default
	assert_equal "$(jq -r '.code, .reason' <<<"$output")" $'500\nInternalError'
	run -1 kube_sim_api GET /api/v1/namespaces/kube-system
	run -0 kube_sim_api GET /api/v1/namespaces/default
	run -0 kube_sim_api POST /api/v1/namespaces '{"metadata": {"name": "n"}}'
	run -0 kube_sim_requests '[.[] | .status] | join(",")'
	assert_output '"200,500,500,200,201"'
	run -0 kube_sim_requests '[.[] | select(.fault != null)] | length'
	assert_output 2
	kube_sim_requests_clear
	run -0 kube_sim_requests length
	assert_output 0
}

@test "a delayed request is not carried out once its client is gone or the cluster reset" {
	kube_sim_start --nodes 2
	cordoned() {
		kube_sim_api GET "/api/v1/nodes/$1" | jq -r '.spec.unschedulable'
	}
	kube_sim_fault '{"method": "PATCH", "path": "/api/v1/nodes/*",
	    "delay": 2, "count": 0}'
	# the client gives up after 0.5 s (a killed esctl)
	_kube_sim_curl --max-time 0.5 -X PATCH \
	    -H "Authorization: Bearer $KUBE_SIM_TOKEN" \
	    -H 'Content-Type: application/strategic-merge-patch+json' \
	    -d '{"spec": {"unschedulable": true}}' \
	    "$KUBE_SIM_URL/api/v1/nodes/sim-node-1" >/dev/null 2>&1 || true
	sleep 2
	[ "$(cordoned sim-node-1)" = null ]
	# a client still waiting while the cluster is reset (the next test)
	_kube_sim_curl -X PATCH -H "Authorization: Bearer $KUBE_SIM_TOKEN" \
	    -H 'Content-Type: application/strategic-merge-patch+json' \
	    -d '{"spec": {"unschedulable": true}}' \
	    "$KUBE_SIM_URL/api/v1/nodes/sim-node-2" >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	kube_sim_reset
	wait "$pid" || true
	sleep 2
	[ "$(cordoned sim-node-2)" = null ]
	# a client that waits gets its answer and the change
	kube_sim_fault '{"method": "PATCH", "path": "/api/v1/nodes/*",
	    "delay": 0.3}'
	KUBE_SIM_CTYPE=application/strategic-merge-patch+json \
	    kube_sim_api PATCH /api/v1/nodes/sim-node-1 \
	    '{"spec": {"unschedulable": true}}' >/dev/null
	[ "$(cordoned sim-node-1)" = true ]
}

@test "401 and 403 answers are real Status bodies" {
	kube_sim_start
	run -22 curl -sf --cacert "$KUBE_SIM_CA" -H 'Authorization: Bearer nope' \
	    "$KUBE_SIM_URL/api/v1/namespaces"
	run -0 curl -s --cacert "$KUBE_SIM_CA" -H 'Authorization: Bearer nope' \
	    "$KUBE_SIM_URL/api/v1/namespaces"
	assert_equal "$(jq -c . <<<"$output")" \
	    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
	run -0 curl -s --cacert "$KUBE_SIM_CA" \
	    -H "Authorization: Bearer $KUBE_SIM_NOBODY_TOKEN" \
	    "$KUBE_SIM_URL/apis/apps/v1/namespaces/default/statefulsets/x"
	assert_equal "$(jq -c '[.code, .reason, .message, .details]' \
	    <<<"$output")" '[403,"Forbidden","statefulsets.apps \"x\" is forbidden: User \"token-nobody\" cannot get resource \"statefulsets\" in API group \"apps\" in the namespace \"default\"",{"name":"x","group":"apps","kind":"statefulsets"}]'
}

@test "start-up writes a kubeconfig; stop leaves no process behind" {
	kube_sim_start
	[ -f "$KUBE_SIM_KUBECONFIG" ]
	[ "$(stat -c %a "$KUBE_SIM_KUBECONFIG")" = 600 ]
	pid=$(cat "$KUBE_SIM_DIR/pid")
	kill -0 "$pid"
	run -0 grep -c '^- name: sim' "$KUBE_SIM_KUBECONFIG"
	kube_sim_stop
	run -1 kill -0 "$pid"
	[ ! -f "$KUBE_SIM_DIR/pid" ]
	# on its own, it prints the kubeconfig path first
	port=$(free_port)
	"$PYTHON" "$ESCTL_TOP/tests/kube-sim/serve" --state \
	    "$BATS_TEST_TMPDIR/own" --port "$port" --pki \
	    "$(dirname "$KUBE_SIM_CA")" > "$BATS_TEST_TMPDIR/own.out" 3>&- &
	own=$!
	wait_port "$port"
	kube_sim_wait 10 test -s "$BATS_TEST_TMPDIR/own.out"
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/own.out")" \
	    "$BATS_TEST_TMPDIR/own/kubeconfig"
	run -0 esctl --kubeconfig "$BATS_TEST_TMPDIR/own/kubeconfig" k8s ping
	kill "$own"
	wait "$own" || true
	run -1 kill -0 "$own"
}

@test "the server exits when the process that started it is gone" {
	port=$(free_port)
	sh -c '"$1" "$2" --state "$3" --port "$4" --parent-pid $$ \
	    >/dev/null 2>&1 & echo $! > "$3.pid"; sleep 2' _ "$PYTHON" \
	    "$ESCTL_TOP/tests/kube-sim/serve" "$BATS_TEST_TMPDIR/w" "$port" 3>&-
	pid=$(cat "$BATS_TEST_TMPDIR/w.pid")
	kube_sim_wait 15 sh -c "! kill -0 $pid 2>/dev/null"
}

# v1.28 140-142: a pod asking for more GPUs than any node has stays
# Pending, PodScheduled=False/Unschedulable, with kube-scheduler's message
# and a FailedScheduling event; what fits is scheduled by every resource.
@test "the scheduler fits pods by every resource, GPUs included" {
	kube_sim_start --bind-delay 0 --ready-delay 0
	run -0 kube_sim_api GET /api/v1/nodes/sim-node-1
	assert_equal "$(jq -c '[.status.capacity["nvidia.com/gpu"],
	    .status.allocatable["nvidia.com/gpu"],
	    .metadata.labels["nvidia.com/gpu.present"]]' <<<"$output")" \
	    '["4","4","true"]'
	local pod='{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "NAME"},
	    "spec": {"containers": [{"name": "c", "image": "busybox",
	    "resources": {"limits": RES}}]}}'
	mkpod() {
		local p=${pod/NAME/$1}
		kube_sim_api POST /api/v1/namespaces/default/pods "${p/RES/$2}" \
		    >/dev/null
	}
	mkpod gpu-hog '{"nvidia.com/gpu": "5"}'
	mkpod gpu-3 '{"nvidia.com/gpu": "3"}'
	mkpod cpu-hog '{"cpu": "17"}'
	mkpod both '{"cpu": "17", "memory": "65Gi", "nvidia.com/gpu": "1"}'
	sleep 1
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/gpu-hog
	assert_equal "$(jq -r .status.phase <<<"$output")" Pending
	assert_equal "$(jq -r .spec.nodeName <<<"$output")" null
	assert_equal "$(jq -c '.status.conditions[] |
	    select(.type == "PodScheduled") | [.status, .reason, .message]' \
	    <<<"$output")" '["False","Unschedulable","0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."]'
	run -0 kube_sim_api GET "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dgpu-hog"
	assert_equal "$(jq -c '.items[] | [.type, .reason, .action,
	    .reportingComponent, .involvedObject.kind, .message]' <<<"$output")" \
	    '["Warning","FailedScheduling","Scheduling","default-scheduler","Pod","0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."]'
	# 3 of a node's 4 GPUs fit; then only 1 is left there
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/gpu-3
	[ "$(jq -r .spec.nodeName <<<"$output")" != null ]
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/cpu-hog
	assert_equal "$(jq -r '.status.conditions[] |
	    select(.type == "PodScheduled") | .message' <<<"$output")" \
	    '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..'
	# every insufficient resource of a node is named
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/both
	assert_equal "$(jq -r '.status.conditions[] |
	    select(.type == "PodScheduled") | .message' <<<"$output")" \
	    '0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..'
	# a cordoned node is not helped by preemption
	kube_sim_api PATCH /api/v1/nodes/sim-node-1 \
	    '{"spec": {"unschedulable": true}}' >/dev/null
	mkpod gpu-big '{"nvidia.com/gpu": "5"}'
	mkpod gpu-1 '{"nvidia.com/gpu": "1"}'
	sleep 1
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/gpu-big
	assert_equal "$(jq -r '.status.conditions[] |
	    select(.type == "PodScheduled") | .message' <<<"$output")" \
	    '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..'
	run -0 kube_sim_api GET /api/v1/namespaces/default/pods/gpu-1
	[[ $(jq -r .spec.nodeName <<<"$output") == sim-node-[23] ]]
}

@test "--gpus-per-node sets the nodes' GPUs; 0 leaves none" {
	kube_sim_start --gpus-per-node 0
	run -0 kube_sim_api GET /api/v1/nodes/sim-node-2
	assert_equal "$(jq -c '.status.allocatable["nvidia.com/gpu"]' \
	    <<<"$output")" null
	kube_sim_stop
	kube_sim_start --gpus-per-node 8
	run -0 kube_sim_api GET /api/v1/nodes/sim-node-2
	assert_equal "$(jq -r '.status.allocatable["nvidia.com/gpu"]' \
	    <<<"$output")" 8
}

# v1.28 102-106: the PATCH answers show the taints as they were; the node
# lifecycle controller adds node.kubernetes.io/unschedulable:NoSchedule
# after a cordon and removes it after the uncordon; false is omitted.
@test "cordon adds the unschedulable taint, uncordon removes it and the field" {
	kube_sim_start
	local n=/api/v1/nodes/sim-node-2
	run -0 kube_sim_api PATCH "$n" '{"spec": {"unschedulable": true}}'
	assert_equal "$(jq -c .spec <<<"$output")" '{"unschedulable":true}'
	kube_sim_wait 10 node_tainted sim-node-2
	run -0 kube_sim_api GET "$n"
	assert_equal "$(jq -c '[.spec.unschedulable, (.spec.taints[] |
	    [.key, .effect, (.timeAdded | test("^[0-9-]+T[0-9:]+Z$"))])]' \
	    <<<"$output")" '[true,["node.kubernetes.io/unschedulable","NoSchedule",true]]'
	# uncordon with a merge patch (false): the field goes at once
	run -0 kube_sim_api PATCH "$n" '{"spec": {"unschedulable": false}}'
	assert_equal "$(jq -c '.spec | has("unschedulable")' <<<"$output")" false
	kube_sim_wait 10 node_untainted sim-node-2
	run -0 kube_sim_api GET "$n"
	assert_equal "$(jq -c .spec <<<"$output")" '{}'
	# kubectl's strategic merge patch (null) does the same
	run -0 kube_sim_kubectl cordon sim-node-3
	kube_sim_wait 10 node_tainted sim-node-3
	run -0 kube_sim_kubectl uncordon sim-node-3
	kube_sim_wait 10 node_untainted sim-node-3
	run -0 kube_sim_api GET /api/v1/nodes/sim-node-3
	assert_equal "$(jq -c .spec <<<"$output")" '{}'
	# other taints are kept
	run -0 kube_sim_api PATCH /api/v1/nodes/sim-node-1 '{"spec": {"taints":
	    [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}],
	    "unschedulable": true}}'
	kube_sim_wait 10 node_tainted sim-node-1
	kube_sim_api PATCH /api/v1/nodes/sim-node-1 \
	    '{"spec": {"unschedulable": null}}' >/dev/null
	kube_sim_wait 10 node_untainted sim-node-1
	run -0 kube_sim_api GET /api/v1/nodes/sim-node-1
	assert_equal "$(jq -c .spec <<<"$output")" \
	    '{"taints":[{"key":"dedicated","value":"x","effect":"NoSchedule"}]}'
}

node_tainted() {
	kube_sim_api GET "/api/v1/nodes/$1" | jq -e '[.spec.taints[]? |
	    select(.key == "node.kubernetes.io/unschedulable")] | length == 1' \
	    >/dev/null
}

node_untainted() {
	kube_sim_api GET "/api/v1/nodes/$1" | jq -e '[.spec.taints[]? |
	    select(.key == "node.kubernetes.io/unschedulable")] | length == 0' \
	    >/dev/null
}

# v1.28 162/163: without metrics-server the metrics paths are the plain
# 404 page of the server's mux, not a Status.
@test "metrics API absent: 404 page not found as text/plain" {
	kube_sim_start --no-metrics
	local p
	for p in /apis/metrics.k8s.io/v1beta1/nodes /apis/metrics.k8s.io/v1beta1 \
	    /apis/metrics.k8s.io/v1beta1/namespaces/default/pods; do
		run -0 _kube_sim_curl -s -D "$BATS_TEST_TMPDIR/h" \
		    -H "Authorization: Bearer $KUBE_SIM_TOKEN" "$KUBE_SIM_URL$p"
		assert_output '404 page not found'
		run -0 grep -i '^content-type:' "$BATS_TEST_TMPDIR/h"
		assert_output $'Content-Type: text/plain; charset=utf-8\r'
		run -0 head -1 "$BATS_TEST_TMPDIR/h"
		[[ $output == "HTTP/1.1 404 "* ]]
	done
	# and not listed in discovery
	run -0 kube_sim_api GET /apis
	assert_equal "$(jq '[.groups[].name] | index("metrics.k8s.io")' \
	    <<<"$output")" null
}

@test "/openapi/v2 serves the recorded v1.28 document" {
	kube_sim_start
	run -0 _kube_sim_curl -s -o "$BATS_TEST_TMPDIR/v2.json" \
	    -D "$BATS_TEST_TMPDIR/h" -H "Accept: application/json" \
	    -H "Authorization: Bearer $KUBE_SIM_TOKEN" "$KUBE_SIM_URL/openapi/v2"
	cmp "$BATS_TEST_TMPDIR/v2.json" \
	    "$ESCTL_TOP/testdata/k8s-recorded/v1.28/openapi-v2.json"
	run -0 grep -i '^content-type:' "$BATS_TEST_TMPDIR/h"
	assert_output $'Content-Type: application/json\r'
	assert_equal "$(jq -r '.info.version, .definitions["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"][0].kind' \
	    "$BATS_TEST_TMPDIR/v2.json")" $'v1.28.7\nPod'
}

# kubectl create -f fetches /openapi/v2 as protobuf and validates the
# object against its schemas (--validate=true); kube-sim encodes that from
# the recorded document.
@test "kubectl create -f validates against the recorded OpenAPI schemas" {
	kube_sim_start
	cat > "$BATS_TEST_TMPDIR/cm.yaml" <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cm, namespace: default}
	data: {a: "1"}
	EOF
	run -0 kube_sim_kubectl create -f "$BATS_TEST_TMPDIR/cm.yaml"
	assert_output 'configmap/cm created'
	sed 's/^data:/dataz:/' "$BATS_TEST_TMPDIR/cm.yaml" > "$BATS_TEST_TMPDIR/bad.yaml"
	run -1 kube_sim_kubectl create -f "$BATS_TEST_TMPDIR/bad.yaml"
	assert_output --partial 'ValidationError(ConfigMap): unknown field "dataz" in io.k8s.api.core.v1.ConfigMap'
	run -0 kube_sim_kubectl explain pod.spec.nodeName
	assert_line --partial 'FIELD:    nodeName <string>'
	run -0 _kube_sim_curl -s -o /dev/null -w '%{content_type}' \
	    -H 'Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf' \
	    -H "Authorization: Bearer $KUBE_SIM_TOKEN" "$KUBE_SIM_URL/openapi/v2"
	assert_output 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'
}
