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

# The rule (scripts/lint-bats has it in full): bats runs a test body with
# `set -e`, which ignores a `!` pipeline and every part of an `a && b` list
# but the last.  So a `! cmd` or an `a && b` is an error unless it is the
# final statement of the body (at depth 0) or the condition of an
# if/while/until; `a && b || false` and guards ending in control flow
# (`[ ... ] && break`, `&& skip ...`, `&& return`) are fine.  `run ... ||`
# swallows run's status check, and `cmd | run ...` loses $output: both are
# errors anywhere.  `run ! cmd` is fine anywhere.
@test "bats tests have no assertion that can never fail" {
	run -0 "$ESCTL_TOP/scripts/lint-bats" "$ESCTL_TOP"/tests/*.bats \
	    "$ESCTL_TOP"/tests/lib/*.bash
	assert_output ''
}

@test "lint-bats catches what it must, and only that" {
	local f=$BATS_TEST_TMPDIR/bad.bats
	# (TEST, not the at-sign form: bats would rewrite it in a heredoc)
	sed 's/^TEST /@test /' > "$f" <<-'EOT'
	TEST "dead" {
		! grep -q locked err
		[ "$n" -ge 2 ] && [ "$n" -le 5 ]
		run -0 esctl ping || true
		printf 'x\n' | run -0 esctl create -f -
		for i in 1 2; do
			! false
		done
		true
	}
	helper() {
		! grep -q x y
		true
	}
	TEST "fine" {
		run ! grep -q locked err
		if ! grep -q x y && true; then
			:
		fi
		[[ -n $a && -n $b ]]
		[ -f x ] && [ -f y ] || false
		for i in 1 2; do
			[ "$i" = 2 ] && break
		done
		[ -x v ] || skip "no v"
		x=$(a && b; ! c)
		cat <<EOF2 > f
	a && b
	! c
	EOF2
		[ "$n" -ge 2 ] && [ "$n" -le 5 ]
	}
	TEST "final bang" {
		true
		! grep -q locked err
	}
	EOT
	run -1 "$ESCTL_TOP/scripts/lint-bats" "$f"
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 --partial 'bad.bats:2: `! cmd` asserts nothing'
	assert_line --index 1 --partial 'bad.bats:3: `a && b` asserts only b'
	assert_line --index 2 --partial 'bad.bats:4: `run ... ||` swallows'
	assert_line --index 3 --partial 'bad.bats:5: piping into `run`'
	assert_line --index 4 --partial 'bad.bats:7: `! cmd` asserts nothing'
	assert_line --index 5 --partial 'bad.bats:12: `! cmd` asserts nothing'
}
