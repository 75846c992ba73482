#!/usr/bin/env bats
# 1001: the state store and global settings - locations, permissions,
# schema versions, configuration errors, and nothing changed on bad input.

load lib/common

@test "XDG default: the database is created 0600 in a 0700 directory" {
	unset ESCTL_DB
	run -0 esctl tenant quota set --org o1 --max-clusters 1
	local db=$XDG_DATA_HOME/esctl/esctl.db
	[ -f "$db" ]
	assert_equal "$(stat -c %a "$db")" 600
	assert_equal "$(stat -c %a "$XDG_DATA_HOME/esctl")" 700
}

@test "--db beats ESCTL_DB, which beats the config file" {
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	echo "db: $BATS_TEST_TMPDIR/from-config.db" > "$XDG_CONFIG_HOME/esctl/config.yaml"
	unset ESCTL_DB
	run -0 esctl tenant quota set --org o1 --max-clusters 1
	[ -f "$BATS_TEST_TMPDIR/from-config.db" ]
	ESCTL_DB=$BATS_TEST_TMPDIR/from-env.db run -0 esctl tenant quota set --org o1 --max-clusters 1
	[ -f "$BATS_TEST_TMPDIR/from-env.db" ]
	ESCTL_DB=$BATS_TEST_TMPDIR/from-env.db run -0 esctl --db "$BATS_TEST_TMPDIR/from-flag.db" tenant quota set --org o1 --max-clusters 1
	[ -f "$BATS_TEST_TMPDIR/from-flag.db" ]
}

@test "an unwritable database path is a clear error, exit 1" {
	# a regular file where a directory should be: fails even for root
	touch "$BATS_TEST_TMPDIR/file"
	run -1 --separate-stderr esctl --db "$BATS_TEST_TMPDIR/file/sub/esctl.db" tenant quota set --org o1 --max-clusters 1
	assert_equal "$stderr" "esctl: error: cannot open store '$BATS_TEST_TMPDIR/file/sub/esctl.db': '$BATS_TEST_TMPDIR/file' is not a directory"
	run -1 --separate-stderr esctl --db /proc/esctl.db tenant list
	[[ $stderr == "esctl: error: cannot open store '/proc/esctl.db'"* ]]
}

@test "a database path that is a directory is a clear error" {
	mkdir -p "$BATS_TEST_TMPDIR/dir.db"
	run -1 --separate-stderr esctl --db "$BATS_TEST_TMPDIR/dir.db" tenant list
	[[ $stderr == "esctl: error: cannot open store '$BATS_TEST_TMPDIR/dir.db'"* ]]
}

@test "a database written by a newer esctl is refused and left alone" {
	run -0 esctl tenant quota set --org o1 --max-clusters 1
	sql "PRAGMA user_version = 999"
	local before
	before=$(tree_sum "$ESCTL_DB")
	run -1 --separate-stderr esctl tenant quota set --org o1 --max-clusters 5
	[[ $stderr == *"schema version 999, newer than this esctl supports"*"upgrade esctl"* ]]
	run -1 --separate-stderr esctl tenant list
	assert_equal "$(tree_sum "$ESCTL_DB")" "$before"
}

@test "an old database is migrated on first use" {
	sqlite3 "$ESCTL_DB" "CREATE TABLE junk (x); PRAGMA user_version = 0;" 2>/dev/null ||
	    sqlite3 "$ESCTL_DB" "CREATE TABLE junk (x);"
	run -0 esctl tenant list
	run -0 sql "PRAGMA user_version"
	[ "$output" -ge 1 ]
	run -0 sql "SELECT count(*) FROM sqlite_master WHERE name = 'tenant_container'"
	assert_output 1
}

@test "malformed YAML config: file:line:col error, exit 2" {
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'output: json\nreport: [\n' > "$XDG_CONFIG_HOME/esctl/config.yaml"
	run -2 --separate-stderr esctl tenant list
	[[ $stderr == "esctl: error: $XDG_CONFIG_HOME/esctl/config.yaml:"[0-9]*:[0-9]*": "* ]]
}

@test "unknown config key: position and suggestion, nothing done" {
	printf 'identity:\n  org: o1\nreprt:\n  url: http://127.0.0.1:9/\n' > "$BATS_TEST_TMPDIR/c.yaml"
	run -2 --separate-stderr esctl --config "$BATS_TEST_TMPDIR/c.yaml" tenant quota set --org o1 --max-clusters 1
	assert_equal "$stderr" "esctl: error: $BATS_TEST_TMPDIR/c.yaml:3:1: unknown key 'reprt' (did you mean 'report'?)"
	[ ! -e "$ESCTL_DB" ]
}

@test "config values are type-checked with their position" {
	printf 'kube:\n  request_timeout: soon\n' > "$BATS_TEST_TMPDIR/c.yaml"
	run -2 --separate-stderr esctl --config "$BATS_TEST_TMPDIR/c.yaml" tenant list
	[[ $stderr == *"c.yaml:2:20: 'kube.request_timeout' must be a duration"* ]]
	printf 'output: xml\n' > "$BATS_TEST_TMPDIR/c.yaml"
	run -2 --separate-stderr esctl --config "$BATS_TEST_TMPDIR/c.yaml" tenant list
	[[ $stderr == *"c.yaml:1:9: 'output' must be one of: table wide json yaml name; not 'xml'"* ]]
}

@test "a config file named explicitly must exist" {
	run -3 --separate-stderr esctl --config "$BATS_TEST_TMPDIR/none.yaml" tenant list
	[[ $stderr == *"cannot read config '$BATS_TEST_TMPDIR/none.yaml'"* ]]
	ESCTL_CONFIG=$BATS_TEST_TMPDIR/none.yaml run -3 esctl tenant list
}

@test "the config sets defaults: output format and identity" {
	# quotas are an administrator's: set without the identity
	run -0 esctl tenant quota set --org org-009 --max-clusters 4
	printf 'output: json\nidentity:\n  org: org-009\n' > "$BATS_TEST_TMPDIR/c.yaml"
	export ESCTL_CONFIG=$BATS_TEST_TMPDIR/c.yaml
	run -7 esctl tenant quota set --max-clusters 5
	run -0 esctl tenant quota get
	echo "$output" | jq -e '.tenant_org_id == "org-009" and .quota.max_clusters == 4'
	# the flag wins over the config
	run -0 esctl -o yaml tenant quota get
	assert_line 'tenant_org_id: org-009'
}

@test "8 concurrent writers: no 'database is locked'" {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		"$ESCTL_BIN" tenant quota set --org "org-$i" --max-clusters "$i" \
		    2> "$BATS_TEST_TMPDIR/err.$i" &
	done
	wait
	run cat "$BATS_TEST_TMPDIR"/err.*
	assert_output ''
	run -0 sql "SELECT count(*) FROM tenant_quota"
	assert_output 8
}

@test "stdout/stderr discipline: results on stdout, notices on stderr" {
	run -0 --separate-stderr esctl tenant list
	assert_output ''
	assert_equal "$stderr" 'No resources found.'
	run -0 --separate-stderr esctl -q tenant list
	assert_equal "$stderr" ''
}
