#!/usr/bin/env bats
# 2007: esctl acts only on namespaces it can prove it owns.  A refused
# create records nothing that points at the namespace it was refused;
# delete, scale and restart check the namespace's labels and its
# es.yunpeng.cn/creation-id against the record first, so kube-system, an
# unlabelled namespace and another user's namespace all survive.

load lib/common
load lib/kube
load lib/lifecycle

setup_file() {
	cluster_setup_file
}

teardown_file() {
	cluster_teardown_file
}

setup() {
	cluster_setup
}

teardown() {
	cluster_teardown
}

# A record pointing at namespace $1 for org-001/$2/$3, as a create of an
# older esctl left it (the state the refused create used to record).
plant_record() {
	esctl deployment list >/dev/null	# makes the database
	sql "INSERT INTO deployment_status (id, tenant_org_id, namespace, user,
	    service_name, status, created_at, updated_at, creation_id)
	    VALUES ('deploy_$1', 'org-001', '$1', '$2', '$3', 'failed',
	    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
	    'tenant_org-001_$2_$3_1')"
}

# Asserts namespace $1 exists and is not being deleted.
assert_alive() {
	run -0 kube_sim_api GET "/api/v1/namespaces/$1"
	assert_equal "$(jq -r .metadata.deletionTimestamp <<<"$output")" null
}

# Alice's namespace, made by another esctl (another database).
alice_namespace() {
	kube_sim_api POST /api/v1/namespaces '{"metadata": {"name":
	    "org-001-alice-search", "labels": {"es-cluster": "true",
	    "tenant-org-id": "org-001", "user": "alice",
	    "service-name": "search"}, "annotations":
	    {"es.yunpeng.cn/creation-id": "tenant_org-001_alice_search_7"}}}' \
	    >/dev/null
	kube_sim_api POST /api/v1/namespaces/org-001-alice-search/configmaps \
	    '{"metadata": {"name": "alice-data"}}' >/dev/null
}

@test "a create refused in kube-system records nothing; delete cannot reach it" {
	run -4 --separate-stderr esctl cluster create --org org-001 \
	    --user alice --service search --namespace kube-system
	[[ $stderr == *"not managed by esctl"* ]]
	assert_equal "$(sql 'SELECT count(*) FROM deployment_status')" 0
	assert_equal "$(sql 'SELECT count(*) FROM tenant_container')" 0
	run -3 esctl cluster delete kube-system --yes
	run -3 esctl --as-org org-001 --as-user alice cluster delete \
	    kube-system --yes
	assert_alive kube-system
	assert_equal "$(kube_sim_count DELETE '/api/v1/namespaces/kube-system*')" 0
}

@test "a record pointing at kube-system: delete, scale, restart refuse" {
	plant_record kube-system alice search
	run -4 --separate-stderr esctl cluster delete kube-system --yes
	[[ $stderr == *"namespace 'kube-system' is not managed by esctl"* ]]
	run -4 esctl --as-org org-001 --as-user alice cluster delete \
	    kube-system --yes
	run -4 esctl cluster scale kube-system --replicas 0
	run -4 esctl cluster restart kube-system
	assert_alive kube-system
	assert_equal "$(sim_writes)" 0
}

@test "an unlabelled namespace with a ConfigMap survives" {
	kube_sim_api POST /api/v1/namespaces '{"metadata": {"name": "plain"}}' \
	    >/dev/null
	kube_sim_api POST /api/v1/namespaces/plain/configmaps \
	    '{"metadata": {"name": "keep-me"}}' >/dev/null
	run -4 esctl cluster create --org org-001 --user alice \
	    --service search --namespace plain
	assert_equal "$(sql 'SELECT count(*) FROM deployment_status')" 0
	run -3 esctl cluster delete plain --yes
	plant_record plain alice search
	run -4 --separate-stderr esctl cluster delete plain --yes
	[[ $stderr == *"no label es-cluster=true"* ]]
	run -4 esctl --as-org org-001 --as-user alice cluster delete plain \
	    --yes
	assert_alive plain
	run -0 kube_sim_api GET /api/v1/namespaces/plain/configmaps/keep-me
}

@test "another user's namespace survives a create and delete by mallory" {
	alice_namespace
	run -4 --separate-stderr esctl --as-org org-001 --as-user mallory \
	    cluster create --service search --namespace org-001-alice-search
	[[ $stderr == *"not managed by esctl for service 'search' of user 'mallory'"* ]]
	assert_equal "$(sql 'SELECT count(*) FROM deployment_status')" 0
	run -3 esctl --as-org org-001 --as-user mallory cluster delete \
	    org-001-alice-search --yes
	plant_record org-001-alice-search mallory search
	run -4 --separate-stderr esctl --as-org org-001 --as-user mallory \
	    cluster delete org-001-alice-search --yes
	[[ $stderr == *"label user is 'alice'"* ]]
	run -4 esctl cluster delete org-001-alice-search --yes
	run -4 esctl --as-org org-001 --as-user mallory cluster scale \
	    org-001-alice-search --replicas 0
	assert_alive org-001-alice-search
	run -0 kube_sim_api GET \
	    /api/v1/namespaces/org-001-alice-search/configmaps/alice-data
}

@test "the same service's labels but another creation id: refused" {
	alice_namespace
	plant_record org-001-alice-search alice search
	run -4 --separate-stderr esctl cluster delete org-001-alice-search \
	    --yes
	[[ $stderr == *"made by another creation"* ]]
	assert_alive org-001-alice-search
}

@test "an adopted namespace: delete removes the service, keeps the namespace" {
	kube_sim_api POST /api/v1/namespaces '{"metadata": {"name":
	    "org-001-alice-search", "labels": {"es-cluster": "true",
	    "tenant-org-id": "org-001", "user": "alice",
	    "service-name": "search"}}}' >/dev/null
	kube_sim_api POST /api/v1/namespaces/org-001-alice-search/configmaps \
	    '{"metadata": {"name": "operator-settings"}}' >/dev/null
	run -0 esctl cluster create --org org-001 --user alice --service search
	run -0 esctl cluster delete org-001-alice-search --yes
	assert_output --partial "adopted, kept"
	assert_alive org-001-alice-search
	run -0 kube_sim_api GET \
	    /api/v1/namespaces/org-001-alice-search/configmaps/operator-settings
	run -1 kube_sim_api GET \
	    /apis/apps/v1/namespaces/org-001-alice-search/statefulsets/elasticsearch
	assert_equal "$(sql 'SELECT status FROM deployment_status')" deleted
}
