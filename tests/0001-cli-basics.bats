#!/usr/bin/env bats
# 0001: the command framework - help, version, dispatch errors.

load lib/common

@test "--version prints the version" {
	run -0 esctl --version
	assert_output --regexp '^esctl [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no arguments prints the main help" {
	run -0 esctl
	assert_output --partial 'usage: esctl [global options] GROUP VERB'
	assert_output --partial 'tenant'
}

@test "--help, help GROUP and GROUP --help agree" {
	run -0 esctl --help
	assert_output --partial 'Global options'
	run -0 esctl help tenant
	local a=$output
	run -0 esctl tenant --help
	assert_equal "$output" "$a"
	assert_output --partial 'quota get'
}

@test "verb --help shows usage and options" {
	run -0 esctl tenant quota set --help
	assert_line --index 0 --partial 'usage: esctl tenant quota set'
	assert_output --partial '--max-clusters N'
}

@test "unknown group: exit 2 with a suggestion" {
	run -2 --separate-stderr esctl tenat list
	assert_equal "$output" ''
	[[ $stderr == *"unknown command 'tenat' (did you mean 'tenant'?)"* ]]
}

@test "unknown verb: exit 2 with a suggestion" {
	run -2 --separate-stderr esctl tenant lst
	[[ $stderr == *"did you mean 'list'?"* ]]
	run -2 --separate-stderr esctl tenant quota sett
	[[ $stderr == *"did you mean 'quota set'?"* ]]
}

@test "unknown option: exit 2 with a suggestion" {
	run -2 --separate-stderr esctl tenant quota set --org o --max-clusterz 3
	[[ $stderr == *"unknown option '--max-clusterz'"*"did you mean '--max-clusters'?"* ]]
}

@test "option missing its value: exit 2" {
	run -2 --separate-stderr esctl tenant list --org
	[[ $stderr == *"option '--org' needs a value"* ]]
}

@test "flag given a value: exit 2" {
	run -2 --separate-stderr esctl tenant list --quiet=yes
	[[ $stderr == *"takes no value"* ]]
}

@test "too many arguments: exit 2 with usage" {
	run -2 --separate-stderr esctl tenant list extra
	[[ $stderr == *"unexpected argument 'extra'"* ]]
	[[ $stderr == *"usage: esctl tenant list"* ]]
}

@test "missing arguments: exit 2" {
	run -2 --separate-stderr esctl tenant show alice
	[[ $stderr == *"missing argument"* ]]
}

@test "global options work before the group and after the verb" {
	run -0 esctl tenant quota set --org o1 --max-clusters 2
	run -0 esctl -o json tenant quota get --org o1
	local a=$output
	run -0 esctl tenant quota get --org o1 -o json
	assert_equal "$output" "$a"
	run -0 esctl tenant quota get --output=json --org o1
	assert_equal "$output" "$a"
	run -0 esctl tenant quota get -ojson --org o1
	assert_equal "$output" "$a"
}

@test "invalid output format: exit 2" {
	run -2 --separate-stderr esctl -o xml tenant list
	[[ $stderr == *"invalid output format 'xml'"* ]]
}

@test "errors go to stderr; with -o json also as an object on stdout" {
	run -2 --separate-stderr esctl tenant quota get -o json
	[[ $stderr == "esctl: error: option '--org' is required" ]]
	echo "$output" | jq -e '.error.code == 2 and .error.reason == "MissingOption" and (.error.message | test("--org"))'
}

@test "colour never appears when stdout is not a terminal" {
	run -0 esctl tenant quota set --org o1 --max-clusters 2
	run -0 esctl tenant quota get --org o1
	refute_output --partial $'\033['
}

@test "a full disk is an error, not a silent success" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -1 --separate-stderr bash -c "'$ESCTL_BIN' --help > /dev/full"
	[[ $stderr == *"cannot write output"* ]]
}

@test "control characters from arguments are escaped in error messages" {
	run -3 --separate-stderr esctl cluster get $'ab\ncd\e[31mX\x7f'
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr != *$'\e'* && $stderr != *$'\x7f'* ]]
	assert_equal "$stderr" "esctl: error: no ES service in namespace 'ab\\ncd\\x1b[31mX\\x7f'"
	run -2 --separate-stderr esctl tenant quota get --org $'o\r1'
	assert_equal "$stderr" "esctl: error: invalid org 'o\\r1': names are [A-Za-z0-9._-], at most 63 characters"
	# JSON keeps the exact text, escaped the JSON way
	run -3 --separate-stderr esctl -o json cluster get $'ab\ncd'
	assert_equal "$(jq -r .error.message <<<"$output")" "no ES service in namespace 'ab"$'\n'"cd'"
}
