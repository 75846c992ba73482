#!/usr/bin/env bats
# 0710: the Kubernetes client - retries and backoff, Status errors and exit
# codes, pagination, keep-alive, conflicts and waiting.

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
	# fast retries: tests must not be slow
	export ESCTL_KUBE_RETRY_BASE=20ms
}

@test "503 twice then 200: success, 3 requests in the log" {
	kube_sim_fault GET /api/v1/namespaces/default/pods 503 2
	run -0 --separate-stderr esctl -v -o json container list
	assert_equal "$(jq '.items | length' <<<"$output")" 0
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/default/pods)" 3
	run -0 kube_sim_requests '[.[] | select(.path ==
	    "/api/v1/namespaces/default/pods") | .status]'
	assert_equal "$(jq -c . <<<"$output")" '[503,503,200]'
	[[ $stderr == *"503 Service Unavailable; retrying in"*"(attempt 2 of 6)"* ]]
}

@test "429 with Retry-After is honoured" {
	kube_sim_fault GET /api/v1/namespaces/default/pods 429 1 retry_after=1
	run -0 --separate-stderr esctl -v container list
	[[ $stderr == *"429 Too Many Requests; retrying in 1000 ms as Retry-After asks"* ]]
	run -0 kube_sim_requests '[.[] | select(.path ==
	    "/api/v1/namespaces/default/pods")] |
	    [length, (.[1].time - .[0].time >= 1.0), .[0].status, .[1].status]'
	assert_equal "$(jq -c . <<<"$output")" '[2,true,429,200]'
}

@test "a POST the server received is never sent twice" {
	kube_sim_fault POST /api/v1/namespaces 0 1 drop=true
	run -6 --separate-stderr esctl __kube request POST /api/v1/namespaces \
	    -d '{"metadata": {"name": "once"}}'
	[[ $stderr == *"cannot reach $KUBE_SIM_URL"* ]]
	[[ $stderr == *"(1 attempt)"* ]]
	assert_equal "$(kube_sim_count POST /api/v1/namespaces)" 1
	# nor after an error answer
	kube_sim_faults_clear
	kube_sim_fault POST /api/v1/namespaces 503 1
	run -6 --separate-stderr esctl __kube request POST /api/v1/namespaces \
	    -d '{"metadata": {"name": "once"}}'
	[[ $stderr == *"injected fault: 503"* ]]
	assert_equal "$(kube_sim_count POST /api/v1/namespaces)" 2
	# the same drop on a GET is retried
	kube_sim_fault GET /api/v1/namespaces/default 0 1 drop=true
	run -0 esctl __kube request GET /api/v1/namespaces/default
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/default)" 2
}

@test "nothing sent yet: connection failures are retried for any verb" {
	local port
	port=$(free_port)
	sed "s|$KUBE_SIM_URL|https://127.0.0.1:$port|" "$KUBE_SIM_KUBECONFIG" \
	    > "$BATS_TEST_TMPDIR/kc.yaml"
	run -6 --separate-stderr esctl --kubeconfig "$BATS_TEST_TMPDIR/kc.yaml" \
	    __kube request POST /api/v1/namespaces -d '{"metadata": {}}'
	[[ $stderr == *"cannot reach https://127.0.0.1:$port: "*"(6 attempts)"* ]]
}

@test "5xx after retries: exit 6 naming the server; the retry time is bounded" {
	kube_sim_fault GET /api/v1/namespaces/default/pods 503 0
	export ESCTL_KUBE_RETRY_BASE=100ms ESCTL_KUBE_RETRY_MAX_TIME=400ms
	run -6 --separate-stderr esctl container list
	[[ $stderr == *"list pods in namespace 'default' (after "*" attempts): injected fault: 503, reason ServiceUnavailable (HTTP 503 from $KUBE_SIM_URL; context 'sim', user 'token-admin')"* ]]
	n=$(kube_sim_count GET /api/v1/namespaces/default/pods)
	[ "$n" -ge 2 ]
	[ "$n" -le 5 ]
	# -o json carries the error
	run -6 --separate-stderr esctl -o json container list
	assert_equal "$(jq -r .error.code <<<"$output")" 6
	assert_equal "$(jq -r .error.reason <<<"$output")" ServiceUnavailable
}

@test "a request that times out is retried (idempotent verbs)" {
	kube_sim_fault GET /api/v1/namespaces/default/pods 0 1 delay=3
	run -0 --separate-stderr esctl -v --request-timeout 1s container list
	[[ $stderr == *"retrying"* ]]
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/default/pods)" 2
	# the option is checked
	run -2 --separate-stderr esctl --request-timeout soon container list
	[[ $stderr == *"invalid duration 'soon' for --request-timeout"* ]]
}

@test "Status errors map to exit codes with the reason" {
	run -3 --separate-stderr esctl __kube request GET /api/v1/namespaces/nope
	[[ $stderr == *'namespaces "nope" not found (NotFound)'* ]]
	run -4 --separate-stderr esctl -o json __kube request POST \
	    /api/v1/namespaces -d '{"metadata": {"name": "default"}}'
	assert_equal "$(jq -r .error.reason <<<"$output")" AlreadyExists
	run -2 --separate-stderr esctl __kube request POST /api/v1/namespaces \
	    -d '{"metadata": {"name": "Bad_Name"}}'
	[[ $stderr == *'Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"'*'(Invalid)'* ]]
	run -2 --separate-stderr esctl __kube request PATCH \
	    /api/v1/namespaces/default -d '{}' --content-type application/json
	[[ $stderr == *"415: Unsupported Media Type (UnsupportedMediaType)"* ]]
	run -7 --separate-stderr esctl --context sim-viewer __kube request \
	    DELETE /api/v1/namespaces/default
	[[ $stderr == *'namespaces "default" is forbidden: User "token-viewer" cannot delete resource "namespaces" in API group "" at the cluster scope (Forbidden)'* ]]
}

@test "a stale resourceVersion is a conflict (exit 4)" {
	run -0 esctl __kube request GET /api/v1/namespaces/default
	stale=$output
	run -0 esctl __kube label namespaces default team=a
	run -4 --separate-stderr esctl __kube request PUT \
	    /api/v1/namespaces/default -d "$stale"
	[[ $stderr == *'Operation cannot be fulfilled on namespaces "default": the object has been modified'*'(Conflict)'* ]]
}

@test "read-modify-write re-reads and retries after a 409 Conflict" {
	kube_sim_fault PUT /api/v1/namespaces/default 409 1 reason=Conflict \
	    message=modified
	run -0 --separate-stderr esctl -v __kube label namespaces default team=b
	[[ $stderr == *"modified (Conflict); reading again"* ]]
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/default)" 2
	assert_equal "$(kube_sim_count PUT /api/v1/namespaces/default)" 2
	run -0 kube_sim_api GET /api/v1/namespaces/default
	assert_equal "$(jq -r .metadata.labels.team <<<"$output")" b
	# nothing to change: nothing written
	kube_sim_requests_clear
	run -0 esctl __kube label namespaces default team=b
	assert_equal "$(kube_sim_count PUT '*')" 0
}

@test "pagination: 2,500 pods in pages of 500" {
	kube_sim_pods bulk 2500 p-
	run -0 --separate-stderr esctl -o json container list -n bulk
	assert_equal "$(jq '.items | length' <<<"$output")" 2500
	assert_equal "$(jq -r '.items | .[0].pod_name, .[2499].pod_name' <<<"$output")" \
	    $'p-00000\np-02499'
	assert_equal "$(jq '.items | [.[].pod_name] | unique | length' <<<"$output")" \
	    2500
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/bulk/pods \
	    limit=500)" 5
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/bulk/pods \
	    continue=)" 4
	# and across namespaces
	run -0 esctl -o json container list -A
	assert_equal "$(jq '.items | length' <<<"$output")" 2500
}

@test "an expired continue token restarts the list" {
	kube_sim_pods bulk 1200 p-
	kube_sim_config '{"expire_continue": 1}'
	run -0 --separate-stderr esctl -v -o json container list -n bulk
	assert_equal "$(jq '.items | length' <<<"$output")" 1200
	assert_equal "$(jq '.items | [.[].pod_name] | unique | length' <<<"$output")" \
	    1200
	[[ $stderr == *"continue parameter is too old"*"listing again from the start"* ]]
	# every continue token expired: give up with the server's message
	kube_sim_config '{"expire_continue": true}'
	run -4 --separate-stderr esctl container list -n bulk
	[[ $stderr == *"(Expired)"* ]]
}

@test "one connection serves every request (keep-alive)" {
	kube_sim_pods bulk 1200 p-
	run -0 esctl container list -n bulk
	run -0 kube_sim_requests '[.[].client_port] | unique | length'
	assert_output 1
	assert_equal "$(kube_sim_count GET /api/v1/namespaces/bulk/pods)" 3
}

@test "wait: a StatefulSet rollout, with a timeout" {
	kube_sim_statefulset default web 2
	run -0 --separate-stderr esctl -o json __kube wait statefulsets default \
	    web --for rollout --timeout 20s
	assert_equal "$(jq -r .status.readyReplicas <<<"$output")" 2
	kube_sim_config '{"fail_images": "broken"}'
	kube_sim_statefulset default bad 2 registry.example.com/broken:1
	run -6 --separate-stderr esctl __kube wait statefulsets default bad \
	    --for rollout --timeout 1s
	[[ $stderr == *"timed out after 1s waiting for statefulsets 'bad' in namespace 'default': 0/2 ready"* ]]
	run -0 esctl -o json container list
	assert_equal "$(jq -r '.items | .[] | select(.pod_name == "bad-0") | .status' \
	    <<<"$output")" CrashLoopBackOff
}

@test "wait: bound claims and deleted namespaces" {
	kube_sim_namespace gone-soon
	kube_sim_statefulset gone-soon web 1
	run -0 esctl __kube wait persistentvolumeclaims gone-soon data-web-0 \
	    --for bound --size 1Gi --timeout 20s
	run -0 kube_sim_api DELETE /api/v1/namespaces/gone-soon
	assert_equal "$(jq -r .status.phase <<<"$output")" Terminating
	run -0 esctl __kube wait namespaces gone-soon --for gone --timeout 20s
	run -3 esctl __kube request GET /api/v1/namespaces/gone-soon
}

@test "apply: create, then patch in place keeping server-set fields" {
	svc='{"metadata": {"name": "es", "labels": {"v": "1"}},
	    "spec": {"selector": {"app": "es"}, "ports": [{"name": "http",
	    "port": 9200}]}}'
	run -0 esctl __kube apply services default -d "$svc"
	assert_output "services/es created"
	run -0 esctl -o json __kube request GET /api/v1/namespaces/default/services/es
	ip=$(jq -r .spec.clusterIP <<<"$output")
	[[ $ip == 10.0.0.* ]]
	run -0 esctl __kube apply services default -d "$(jq -c \
	    '.metadata.labels.v = "2" | .spec.ports += [{"name": "transport",
	    "port": 9300}]' <<<"$svc")"
	assert_output "services/es configured"
	run -0 esctl -o json __kube request GET /api/v1/namespaces/default/services/es
	assert_equal "$(jq -c '[.metadata.labels.v, .spec.clusterIP,
	    [.spec.ports[].port]]' <<<"$output")" "[\"2\",\"$ip\",[9200,9300]]"
	assert_equal "$(kube_sim_count PATCH /api/v1/namespaces/default/services/es)" 1
}

@test "scale, eviction and deletion helpers" {
	kube_sim_statefulset default web 2
	esctl __kube wait statefulsets default web --for rollout >/dev/null
	run -0 --separate-stderr esctl -o json __kube scale statefulsets \
	    default web 3
	assert_equal "$(jq -c '[.kind, .spec.replicas]' <<<"$output")" \
	    '["Scale",3]'
	assert_equal "$(kube_sim_requests '[.[] | select(.method == "PATCH")
	    | .content_type] | .[0]')" '"application/merge-patch+json"'
	esctl __kube wait statefulsets default web --for rollout >/dev/null
	# a PDB refusal is a conflict (try later); without it, evicted
	kube_sim_api POST /apis/policy/v1/namespaces/default/poddisruptionbudgets \
	    '{"metadata": {"name": "web"}, "spec": {"minAvailable": 3,
	      "selector": {"matchLabels": {"app": "web"}}}}' >/dev/null
	run -4 --separate-stderr esctl __kube evict default web-1
	[[ $stderr == *"Cannot evict pod as it would violate the pod's disruption budget. (TooManyRequests)"* ]]
	kube_sim_api DELETE \
	    /apis/policy/v1/namespaces/default/poddisruptionbudgets/web >/dev/null
	run -0 esctl __kube evict default web-1
	assert_equal "$(kube_sim_requests '[.[] | select(.path |
	    endswith("/eviction")) | .body | fromjson | .kind] | .[0]')" \
	    '"Eviction"'
	# grace 0 removes a pod at once; the answer is the pod
	run -0 --separate-stderr esctl -o json __kube delete pods default web-2 \
	    --grace 0
	assert_equal "$(jq -r .kind <<<"$output")" Pod
	# Foreground: the owner stays until its pods are gone
	run -0 --separate-stderr esctl -o json __kube delete statefulsets \
	    default web --propagation Foreground
	assert_equal "$(jq -c '[.kind, .metadata.finalizers]' <<<"$output")" \
	    '["StatefulSet",["foregroundDeletion"]]'
	run -0 esctl __kube wait statefulsets default web --for gone \
	    --timeout 20s
	run -3 esctl __kube delete statefulsets default web
	run -0 esctl __kube delete statefulsets default web --ignore-not-found
	# a DELETE whose answer was lost is retried; the 404 then is success
	kube_sim_api POST /api/v1/namespaces/default/configmaps \
	    '{"metadata": {"name": "cm"}}' >/dev/null
	kube_sim_fault DELETE /api/v1/namespaces/default/configmaps/cm 0 1 \
	    drop=after
	run -0 --separate-stderr esctl __kube delete configmaps default cm
	assert_equal "$(kube_sim_count DELETE \
	    /api/v1/namespaces/default/configmaps/cm)" 2
	run -3 esctl __kube request GET /api/v1/namespaces/default/configmaps/cm
}
