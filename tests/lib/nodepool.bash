# tests/lib/nodepool.bash - workloads on kube-sim nodes for the node-pool
# suites (node drain, device select, order execute).  Load after lib/kube.
#
# np_deploy NS NAME NODE REPLICAS [POD-SPEC-EXTRA-JSON]
#	a Deployment whose pods are pinned to NODE (nodeSelector on the
#	hostname label), so evicted pods come back Pending, not elsewhere
# np_daemonset NS NAME		a DaemonSet (one pod per Ready node)
# np_pdb NS NAME APP MIN	a policy/v1 PodDisruptionBudget, minAvailable
# np_bare_pod NS NAME NODE [METADATA-EXTRA-JSON [SPEC-EXTRA-JSON]]
#	a pod bound to NODE with no controller
# np_pods_on NODE		"ns/name" of the pods on NODE, sorted
# np_running NS APP N		true when N pods labelled app=APP run

np_deploy() {
	local extra=${5:-'{}'}
	kube_sim_api POST "/apis/apps/v1/namespaces/$1/deployments" \
	    "$(jq -nc --arg n "$2" --arg node "$3" --argjson r "$4" \
	    --argjson x "$extra" '{apiVersion: "apps/v1", kind: "Deployment",
	    metadata: {name: $n},
	    spec: {replicas: $r, selector: {matchLabels: {app: $n}},
	      template: {metadata: {labels: {app: $n}},
	        spec: ({nodeSelector: {"kubernetes.io/hostname": $node},
	          terminationGracePeriodSeconds: 0,
	          containers: [{name: "c", image: "app:1", resources:
	            {requests: {cpu: "500m", memory: "512Mi"}}}]} + $x)}}}')" \
	    >/dev/null
}

np_daemonset() {
	kube_sim_api POST "/apis/apps/v1/namespaces/$1/daemonsets" \
	    "$(jq -nc --arg n "$2" '{apiVersion: "apps/v1", kind: "DaemonSet",
	    metadata: {name: $n}, spec: {selector: {matchLabels: {app: $n}},
	    template: {metadata: {labels: {app: $n}}, spec: {containers:
	    [{name: "c", image: "agent:1"}]}}}}')" >/dev/null
}

np_pdb() {
	kube_sim_api POST "/apis/policy/v1/namespaces/$1/poddisruptionbudgets" \
	    "$(jq -nc --arg n "$2" --arg a "$3" --argjson m "$4" '{
	    apiVersion: "policy/v1", kind: "PodDisruptionBudget",
	    metadata: {name: $n}, spec: {minAvailable: $m,
	    selector: {matchLabels: {app: $a}}}}')" >/dev/null
}

np_bare_pod() {
	local md=${4:-'{}'} sp=${5:-'{}'}
	kube_sim_api POST "/api/v1/namespaces/$1/pods" \
	    "$(jq -nc --arg n "$2" --arg node "$3" --argjson md "$md" \
	    --argjson sp "$sp" '{apiVersion: "v1", kind: "Pod",
	    metadata: ({name: $n, labels: {app: $n}} + $md),
	    spec: ({nodeName: $node, containers: [{name: "c",
	      image: "app:1"}]} + $sp)}')" >/dev/null
}

np_pods_on() {
	kube_sim_api GET "/api/v1/pods?fieldSelector=spec.nodeName%3D$1" |
	    jq -r '[.items[] | select(.metadata.deletionTimestamp == null) |
	    .metadata.namespace + "/" + .metadata.name] | sort | .[]'
}

np_running() {
	[ "$(kube_sim_api GET "/api/v1/namespaces/$1/pods?labelSelector=app%3D$2" |
	    jq '[.items[] | select(.status.phase == "Running" and
	    .metadata.deletionTimestamp == null)] | length')" = "$3" ]
}

# np_devices CLUSTER-NAME NODE...
#	one in_pool device of the cluster (id 1 in k8s_cluster order) per
#	node: ci_code CI-<node>, ip its InternalIP, in the pool since
#	2026-11-01 (device N a day later than device N-1)
np_devices() {
	local cluster=$1 n ip i=0
	shift
	for n in "$@"; do
		i=$((i + 1))
		ip=$(kube_sim_api GET "/api/v1/nodes/$n" |
		    jq -r '.status.addresses[] | select(.type == "InternalIP")
		    | .address')
		sql "INSERT INTO device (created_at, updated_at, ci_code, ip,
		    status, cluster_id, cluster, pool_entry_time) VALUES
		    ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'CI-$n',
		    '$ip', 'in_pool', (SELECT id FROM k8s_cluster WHERE
		    clustername = '$cluster'), '$cluster',
		    '2026-11-$(printf %02d $i)T00:00:00Z')"
	done
}

# np_phase ORDER-ID		"slot:node:phase" of every slot, one per line
np_phase() {
	sql "SELECT slot || ':' || coalesce(node_name, '') || ':' || phase
	    FROM order_device WHERE order_id = $1 ORDER BY slot"
}

# np_config TEXT		appends TEXT to the test's esctl config
np_config() {
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf '%s\n' "$1" >> "$XDG_CONFIG_HOME/esctl/config.yaml"
}
