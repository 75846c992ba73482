#!/usr/bin/env bats
# 0003: the tree follows the mechanical style rules.

load lib/common

@test "scripts/checksrc passes on cmd/ and lib/" {
	run -0 "$ESCTL_TOP/scripts/checksrc"
	assert_output ''
}

@test "checksrc catches what it must" {
	local f=$BATS_TEST_TMPDIR/bad.c
	printf 'int\nf(void)\n{\n\tchar b[4];\n\tsprintf(b, "x");\n\treturn atoi(b); // no\n}\n' > "$f"
	run -1 "$ESCTL_TOP/scripts/checksrc" "$f"
	assert_line --partial 'banned function'
	assert_line --partial 'C++ comment'
}

@test "scripts are POSIX/bash-clean" {
	run -0 sh -n "$ESCTL_TOP/configure"
	run -0 sh -n "$ESCTL_TOP/scripts/install-deps"
	run -0 bash -n "$ESCTL_TOP/scripts/demo"
	run -0 bash -n "$ESCTL_TOP/.ci/run"
}
