#!/usr/bin/env bats
# 6001: vector index metadata: create, list, show, delete, data; quotas,
# the service's index_limit and tenant scope.

load lib/common

VECGEN=$ESCTL_TOP/tests/lib/vecgen

@test "create records the seed's metadata fields" {
	run -0 --separate-stderr esctl -o json index create docs --dimension 8 \
	    --metric cosine --nlist 4 --nprobe 2
	run -0 esctl -o json index show docs
	[ "$(jq -r .index_name <<<"$output")" = docs ]
	[ "$(jq -r .dimension <<<"$output")" = 8 ]
	[ "$(jq -r .metric <<<"$output")" = cosine ]
	[ "$(jq -r .ivf_params.nlist <<<"$output")" = 4 ]
	[ "$(jq -r .ivf_params.nprobe <<<"$output")" = 2 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[[ $(jq -r .created_at <<<"$output") == 20*Z ]]
	[ -d "$ESCTL_DATA_DIR/indexes/docs" ]
	run -0 esctl index list
	assert_line --partial "docs"
	run -0 esctl -o name index list
	assert_output index/docs
}

@test "bad input: name, metric, dimension, duplicate; nothing recorded" {
	esctl index create a --dimension 4
	before=$(db_dump)
	run -2 --separate-stderr esctl index create 'bad/name' --dimension 4
	[[ $stderr == *"invalid index name"* ]]
	run -2 --separate-stderr esctl index create b --dimension 4 --metric hamming
	[[ $stderr == *"invalid metric 'hamming'"* ]]
	run -2 --separate-stderr esctl index create b --dimension 0
	run -2 --separate-stderr esctl index create b
	[[ $stderr == *"'--dimension' is required"* ]]
	run -4 --separate-stderr esctl index create a --dimension 4
	[[ $stderr == *"index 'a' already exists"* ]]
	run -3 --separate-stderr esctl index show nope
	[[ $stderr == *"no index 'nope'"* ]]
	[ "$(db_dump)" = "$before" ]
}

@test "--dry-run creates nothing" {
	esctl index list >/dev/null
	before=$(db_dump)
	run -0 esctl --dry-run index create x --dimension 4
	[ "$(db_dump)" = "$before" ]
	[ ! -e "$ESCTL_DATA_DIR/indexes/x" ]
}

@test "the org's max_indexes quota: exit 5, nothing recorded" {
	esctl tenant quota set --org acme --max-indexes 1
	run -0 esctl --as-org acme --as-user ann index create one --dimension 4
	before=$(db_dump)
	run -5 --separate-stderr esctl --as-org acme --as-user ann index create two \
	    --dimension 4
	[[ $stderr == *"quota exceeded for org 'acme': max_indexes limit 1"* ]]
	[ "$(db_dump)" = "$before" ]
	run -0 esctl -o json tenant quota get --org acme
	[ "$(jq -r .current_usage.indexes <<<"$output")" = 1 ]
}

@test "the service's index_limit counts indexes in its namespace" {
	esctl tenant list >/dev/null
	sql "INSERT INTO tenant_container (id, tenant_org_id, user, service_name,
	    namespace, index_limit, status, created_at, updated_at) VALUES
	    ('c1', 'acme', 'ann', 'search', 'acme-ann-search', 2, 'created',
	    '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')"
	run -0 esctl index create i1 --dimension 4 --namespace acme-ann-search
	run -0 esctl -o json index show i1
	[ "$(jq -r .tenant_org_id <<<"$output")" = acme ]
	[ "$(jq -r .user <<<"$output")" = ann ]
	run -0 esctl index create i2 --dimension 4 --namespace acme-ann-search
	run -5 --separate-stderr esctl index create i3 --dimension 4 \
	    --namespace acme-ann-search
	[[ $stderr == *"index_limit 2, in use 2"* ]]
	run -3 esctl index show i3
	# another org's identity cannot put an index in that service
	run -7 esctl --as-org other index create i4 --dimension 4 \
	    --namespace acme-ann-search
}

@test "tenant scope: another org's index answers exit 7" {
	esctl --as-org acme --as-user ann index create mine --dimension 4
	esctl --as-org beta --as-user bob index create theirs --dimension 4
	run -0 esctl -o name --as-org acme index list
	assert_output index/mine
	run -7 --separate-stderr esctl --as-org acme index show theirs
	[[ $stderr == *"permission denied"* ]]
	run -7 esctl --as-org acme --yes index delete theirs
	run -7 esctl --as-org acme search theirs --vector '[1,2,3,4]'
	run -0 esctl --as-org beta index show theirs
}

@test "delete asks for --yes without a terminal, then removes everything" {
	"$VECGEN" fvecs "$BATS_TEST_TMPDIR/x.fvecs" 50 4
	esctl index create gone --dimension 4
	esctl index add gone "$BATS_TEST_TMPDIR/x.fvecs"
	run -2 --separate-stderr esctl index delete gone </dev/null
	[[ $stderr == *"--yes"* ]]
	run -0 esctl index show gone
	run -0 esctl --yes index delete gone
	run -3 esctl index show gone
	[ ! -e "$ESCTL_DATA_DIR/indexes/gone" ]
	[ "$(sql 'SELECT count(*) FROM vector_doc')" = 0 ]
	# the name can be used again
	run -0 esctl index create gone --dimension 4
}

@test "index data lists stored documents with --limit and --offset" {
	"$VECGEN" jsonl "$BATS_TEST_TMPDIR/d.jsonl" 30 4
	esctl index create d --dimension 4
	esctl index add d "$BATS_TEST_TMPDIR/d.jsonl"
	run -0 esctl -o json index data d --limit 3 --offset 10
	[ "$(jq '.items | length' <<<"$output")" = 3 ]
	[ "$(jq -r '.items | .[0].id' <<<"$output")" = doc-10 ]
	[ "$(jq -r '.items | .[0].seq' <<<"$output")" = 10 ]
	[ "$(jq -r '.items | .[0].fields.color' <<<"$output")" = green ]
	run -0 esctl index data d --limit 2
	assert_line --partial doc-0
	assert_line --partial doc-1
	refute_line --partial doc-2
}

@test "completion offers index names" {
	esctl index create alpha --dimension 4
	esctl index create beta --dimension 4
	run -0 esctl __complete index
	assert_output $'alpha\nbeta'
}
