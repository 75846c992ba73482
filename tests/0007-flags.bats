#!/usr/bin/env bats
# 0007: flags mean one thing everywhere: --help of every group, verb and
# two-word prefix exits 0; -n is the namespace; -q leaves only errors;
# --dry-run writes nothing, not even an empty database or data directory.

load lib/common

groups() {
	esctl --help | awk '/^Commands:/{on=1; next} /^$/{on=0}
	    on && /^  [a-z]/{print $1}'
}

verbs() {
	esctl "$1" --help | awk '/^Verbs:/{on=1; next} /^$/{on=0}
	    on{sub(/^  /, ""); split($0, a, "  "); print a[1]}'
}

@test "--help and -h of every group, verb and verb prefix exit 0" {
	local g v
	for g in $(groups); do
		run -0 esctl "$g" --help
		run -0 esctl help "$g"
		while IFS= read -r v; do
			[ -n "$v" ] || continue
			run -0 esctl "$g" $v --help
			[[ ${lines[0]} == "usage: esctl $g $v"* ]] ||
			    fail "esctl $g $v --help: ${lines[0]}"
			run -0 esctl "$g" $v -h
			# the first word of a two-word verb ("tenant quota")
			if [[ $v == *" "* ]]; then
				run -0 esctl "$g" "${v%% *}" --help
				[[ $output == *"${v}"* ]]
				run -2 esctl "$g" "${v%% *}"
			fi
		done < <(verbs "$g")
	done
}

@test "-n is the namespace: strategy create takes --device-count" {
	run -2 --separate-stderr esctl strategy create s -n 2
	[[ $stderr == *"unknown option '-n'"*"-n is the namespace"*"--device-count"* ]]
	run -2 --separate-stderr esctl duty list -n x
	[[ $stderr == *"-n is the namespace, and this command takes none"* ]]
	# wherever a verb has -n, it is --namespace
	local g v
	for g in $(groups); do
		while IFS= read -r v; do
			[ -n "$v" ] || continue
			if esctl "$g" $v --help | grep -q -- '^  -n, '; then
				esctl "$g" $v --help | grep -q -- '^  -n, --namespace ' ||
				    fail "esctl $g $v: -n is not --namespace"
			fi
		done < <(verbs "$g")
	done
}

@test "-q leaves nothing but errors" {
	esctl tenant list >/dev/null 2>&1
	sqlite3 "$ESCTL_DB" "INSERT INTO k8s_cluster (created_at, updated_at,
	    cluster_id, clustername, status) VALUES ('2024-01-01T00:00:00Z',
	    '2024-01-01T00:00:00Z', 'c1', 'prod-a', 'running')"
	local c
	while IFS= read -r c; do
		run -0 --separate-stderr esctl -q $c
		[ -z "$output" ] || fail "esctl -q $c printed: $output"
		[ -z "$stderr" ] || fail "esctl -q $c printed on stderr: $stderr"
	done <<-EOF
	duty add --date 2024-01-01 --start 08:00 --end 20:00 alice
	duty add --date 2024-01-01 --start 08:00 --end 20:00 alice --dry-run
	tenant quota set --org o1 --max-clusters 2
	strategy create s -c prod-a -a pool_entry --cpu-threshold 80 --cpu-type usage --device-count 1
	strategy disable s
	strategy enable s
	strategy check --at 2024-01-01T00:00:00Z
	index create -d 4 v
	duty remove --yes 1
	EOF
	# errors still show
	run -3 --separate-stderr esctl -q strategy show nope
	[[ $stderr == *"esctl: error:"* ]]
}

@test "--dry-run writes nothing: no database file, no data directory" {
	export ESCTL_DB=$BATS_TEST_TMPDIR/new/esctl.db
	export ESCTL_DATA_DIR=$BATS_TEST_TMPDIR/new-data
	local c
	while IFS= read -r c; do
		run --separate-stderr esctl --dry-run $c
		[ "$status" -eq 0 ] || [ "$status" -eq 3 ] ||
		    fail "esctl --dry-run $c: exit $status: $stderr"
		[ ! -e "$BATS_TEST_TMPDIR/new" ] ||
		    fail "esctl --dry-run $c created $(find "$BATS_TEST_TMPDIR/new")"
		[ ! -e "$ESCTL_DATA_DIR" ] || fail "esctl --dry-run $c: data dir"
	done <<-EOF
	duty add --date 2024-01-01 --start 08:00 --end 20:00 alice
	tenant quota set --org o1 --max-clusters 2
	index create -d 4 v
	strategy check --at 2024-01-01T00:00:00Z
	snapshot prune --yes --older-than 1d
	EOF
	# an existing database of an older schema is not migrated either
	mkdir -p "$BATS_TEST_TMPDIR/new"
	sqlite3 "$ESCTL_DB" "PRAGMA user_version = 0"
	before=$(tree_sum "$BATS_TEST_TMPDIR/new")
	run -0 esctl --dry-run duty add --date 2024-01-01 --start 08:00 \
	    --end 20:00 alice
	[ "$(tree_sum "$BATS_TEST_TMPDIR/new")" = "$before" ]
}
