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

# A minimal Debian has no localhost line in /etc/hosts: tests, scripts and
# CI reach loopback servers as 127.0.0.1 (a certificate may still name
# localhost).
@test "tests and scripts address loopback as 127.0.0.1, never localhost" {
	run -1 grep -rEn --include='*.bats' --include='*.bash' \
	    --include='*.py' --include='*.sh' \
	    '(://|@)localhost\b|\blocalhost:[0-9$]|connect\(\(?"localhost"' \
	    "$ESCTL_TOP/tests" "$ESCTL_TOP/scripts" "$ESCTL_TOP/.ci"
	assert_output ''
	# scripts without an extension (tests/run, scripts/demo, .ci/run)
	run -1 grep -lE '(://|@)localhost\b|\blocalhost:[0-9$]' \
	    "$ESCTL_TOP/tests/run" "$ESCTL_TOP/tests/lib/"* \
	    "$ESCTL_TOP/tests/kube-sim/serve" "$ESCTL_TOP"/scripts/demo* \
	    "$ESCTL_TOP/.ci/run" "$ESCTL_TOP/scripts/install-deps"
	assert_output ''
}

# The README's opening list names command groups; each one must exist.
@test "every command group the README lists exists" {
	local groups g
	groups=$(awk '/^- \*\*/ { on = 1 } /^These are the command groups/ { exit }
	    on' "$ESCTL_TOP/README.md" | grep -o '`[a-z0-9-]*`' | tr -d '`')
	[ -n "$groups" ]
	run -0 esctl --help
	for g in $groups; do
		[[ $output == *$'\n  '"$g "* ]] || {
			echo "README lists '$g', esctl --help does not" >&2
			return 1
		}
	done
}
