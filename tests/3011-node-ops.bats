#!/usr/bin/env bats
# 3011: esctl node cordon / uncordon / drain / delete on kube-sim: the
# PATCH sent, the taint the server adds, drain rules (DaemonSet and mirror
# pods skipped; bare, emptyDir and safe-to-evict=false pods refused; PDB
# 429s retried, a budget that never allows -> exit 4 naming it), delete
# only after a drain, and the same outcome as the real kubectl drain.

load lib/common
load lib/kube
load lib/nodepool

setup_file() { kube_sim_start --ready-delay 0.05 --delete-delay 0.05; }
teardown_file() { kube_sim_stop; }
setup() {
	common_setup
	kube_sim_reset
	export ESCTL_DRAIN_RETRY=200ms
}

node_spec() {
	kube_sim_api GET "/api/v1/nodes/$1" | jq -c .spec
}

taint_is() {
	[ "$(node_spec "$1" | jq -c '[.taints[]?.key]')" = "$2" ]
}

@test "cordon: one strategic merge PATCH of spec.unschedulable; the taint follows" {
	kube_sim_requests_clear
	run -0 esctl node cordon sim-node-1
	assert_output "node/sim-node-1 cordoned"
	run -0 kube_sim_requests '[.[] | select(.method == "PATCH")]'
	[ "$(jq length <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].content_type' <<<"$output")" = \
	    application/strategic-merge-patch+json ]
	[ "$(jq -r '.[0].body' <<<"$output")" = \
	    '{"spec":{"unschedulable":true}}' ]
	kube_sim_wait 5 taint_is sim-node-1 '["node.kubernetes.io/unschedulable"]'
	# again: nothing sent
	run -0 esctl node cordon sim-node-1
	assert_output "node/sim-node-1 already cordoned"
	[ "$(kube_sim_count PATCH /api/v1/nodes/sim-node-1)" = 1 ]
	run -0 esctl node uncordon sim-node-1
	kube_sim_wait 5 taint_is sim-node-1 '[]'
	[ "$(node_spec sim-node-1)" = '{}' ]
	run -3 esctl node cordon sim-node-9
	assert_output --partial "sim-node-9"
}

@test "cordon --dry-run sends no PATCH" {
	run -0 esctl --dry-run node cordon sim-node-2
	assert_output "node/sim-node-2 cordoned (dry run)"
	[ "$(kube_sim_count PATCH '/api/v1/nodes/*')" = 0 ]
	[ "$(node_spec sim-node-2)" = '{}' ]
}

@test "drain: DaemonSet and mirror pods stay, the others are evicted and gone" {
	np_daemonset default agent
	np_deploy default web sim-node-1 2
	np_bare_pod kube-system etcd-sim-node-1 sim-node-1 \
	    '{"annotations": {"kubernetes.io/config.mirror": "abc"}}'
	kube_sim_wait 10 np_running default web 2
	kube_sim_wait 10 np_running default agent 3
	run -0 --separate-stderr esctl node drain sim-node-1 --timeout 20s
	assert_output "node/sim-node-1 drained"
	[[ $stderr == *"ignoring pod kube-system/etcd-sim-node-1: mirror pod"* ]]
	[[ $stderr == *"ignoring pod default/agent-"*": managed by DaemonSet agent"* ]]
	run -0 np_pods_on sim-node-1
	# left: the DaemonSet pod and the mirror pod; the replacements of
	# web are Pending (pinned to the cordoned node, so bound to none)
	[ "$(grep -c '^default/agent-' <<<"$output")" = 1 ]
	assert_line kube-system/etcd-sim-node-1
	[ "${#lines[@]}" = 2 ]
	np_running default web 0
	[ "$(kube_sim_count POST '/api/v1/namespaces/*/pods/*/eviction')" = 2 ]
	[ "$(kube_sim_requests '[.[] | select(.path | endswith("/eviction"))
	    | .body | fromjson | .apiVersion] | unique | .[]' | tr -d '"')" = \
	    policy/v1 ]
	node_spec sim-node-1 | jq -e '.unschedulable == true'
}

@test "drain refuses bare, emptyDir and safe-to-evict=false pods; nothing changes" {
	np_bare_pod default lonely sim-node-2
	np_deploy default scratch sim-node-2 1 \
	    '{"volumes": [{"name": "tmp", "emptyDir": {}}]}'
	np_deploy default keep sim-node-2 1
	kube_sim_wait 10 np_running default keep 1
	pod=$(kube_sim_api GET '/api/v1/namespaces/default/pods?labelSelector=app%3Dkeep' |
	    jq -r '.items[0].metadata.name')
	KUBE_SIM_CTYPE=application/merge-patch+json kube_sim_api PATCH \
	    "/api/v1/namespaces/default/pods/$pod" '{"metadata": {"annotations":
	    {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}}}' \
	    >/dev/null
	run -4 esctl node drain sim-node-2 --timeout 5s
	assert_output --partial "pod default/lonely: not managed by a controller"
	assert_output --partial "emptyDir volume 'tmp' would lose its data"
	assert_output --partial "safe-to-evict: \"false\""
	[ "$(kube_sim_count POST '/api/v1/namespaces/*/pods/*/eviction')" = 0 ]
	[ "$(kube_sim_count PATCH '/api/v1/nodes/*')" = 0 ]
	# --force and --delete-emptydir-data lift two of them, not the third
	run -4 esctl node drain sim-node-2 --force --delete-emptydir-data \
	    --timeout 5s
	refute_output --partial lonely
	assert_output --partial "safe-to-evict"
	run -4 --separate-stderr esctl -o json --dry-run node drain sim-node-2
	[ "$(jq -r '[.items[] | (.name | sub("-[a-z0-9]+-[a-z0-9]+$"; "")) +
	    ":" + .action] | sort | join(" ")' <<<"$output")" = \
	    "keep:refuse lonely:refuse scratch:refuse" ]
}

@test "a PodDisruptionBudget's 429 is retried until the pod may go" {
	# both web pods on sim-node-3: the other nodes cordoned meanwhile
	esctl node cordon sim-node-1 >/dev/null
	esctl node cordon sim-node-2 >/dev/null
	np_deploy default web sim-node-3 2 '{"nodeSelector": {}}'
	kube_sim_wait 10 np_running default web 2
	esctl node uncordon sim-node-1 >/dev/null
	esctl node uncordon sim-node-2 >/dev/null
	np_pdb default web web 1
	run -0 --separate-stderr esctl node drain sim-node-3 --timeout 30s
	assert_output "node/sim-node-3 drained"
	# refused once at least (naming the budget), then allowed
	[[ $stderr == *"The disruption budget web needs 1 healthy pods and has 1 currently"*"retrying"* ]]
	[ "$(kube_sim_requests '[.[] | select(.path | endswith("/eviction"))
	    | .status] | map(tostring) | unique | join(",")')" = '"201,429"' ]
	run -0 np_pods_on sim-node-3
	assert_output ""
}

@test "a budget that never allows: exit 4 naming it, the node stays cordoned" {
	np_deploy default solo sim-node-2 1
	kube_sim_wait 10 np_running default solo 1
	np_pdb default solo-pdb solo 1
	run -4 --separate-stderr esctl node drain sim-node-2 --timeout 2s
	[[ $stderr == *"cannot drain node 'sim-node-2' within 2s: pod default/solo-"*": Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget solo-pdb needs 1 healthy pods and has 1 currently)"* ]]
	node_spec sim-node-2 | jq -e '.unschedulable == true'
	np_running default solo 1
}

@test "delete: only a drained node, unless --force" {
	np_deploy default web sim-node-1 1
	kube_sim_wait 10 np_running default web 1
	run -4 esctl --yes node delete sim-node-1
	assert_output --partial "it is not cordoned (drain it first, or --force)"
	esctl node cordon sim-node-1 >/dev/null
	run -4 esctl --yes node delete sim-node-1
	assert_output --partial "it is not drained, 1 pod left (default/web-"
	[ "$(kube_sim_count DELETE '/api/v1/nodes/*')" = 0 ]
	esctl node drain sim-node-1 --timeout 20s 2>/dev/null
	# the replacement is Pending with no node: nothing left on it
	run -0 esctl --yes node delete sim-node-1
	assert_output "node/sim-node-1 deleted"
	run -3 esctl node cordon sim-node-1
	run -0 esctl --yes node delete sim-node-2 --force
	[ "$(kube_sim_count DELETE '/api/v1/nodes/*')" = 2 ]
}

@test "the real kubectl drain and esctl node drain agree" {
	np_daemonset default agent
	np_deploy default a sim-node-1 2
	np_deploy default b sim-node-2 2
	np_bare_pod default bare-1 sim-node-1
	np_bare_pod default bare-2 sim-node-2
	kube_sim_wait 10 np_running default a 2
	kube_sim_wait 10 np_running default b 2
	kube_sim_wait 10 np_running default agent 3
	# both refuse the bare pod without --force ...
	run -1 kube_sim_kubectl drain sim-node-1 --ignore-daemonsets \
	    --timeout 20s
	assert_output --partial "default/bare-1"
	run -4 esctl node drain sim-node-2 --timeout 20s
	assert_output --partial "default/bare-2"
	# ... and with it both leave only the DaemonSet pod (kubectl cordons
	# before it refuses; esctl refuses before it changes anything)
	run -0 kube_sim_kubectl drain sim-node-1 --ignore-daemonsets --force \
	    --timeout 20s
	run -0 esctl node drain sim-node-2 --force --timeout 20s
	for n in 1 2; do
		node_spec sim-node-$n | jq -e '.unschedulable == true'
		[ "$(np_pods_on sim-node-$n | grep -v -c '^default/agent-')" = 0 ]
		[ "$(np_pods_on sim-node-$n | grep -c '^default/agent-')" = 1 ]
	done
	# the pods left are the Pending replacements, on neither node
	run -0 kube_sim_api GET '/api/v1/namespaces/default/pods'
	[ "$(jq '[.items[] | select(.metadata.name | startswith("bare"))]
	    | length' <<<"$output")" = 0 ]
}
