#!/usr/bin/env bats
# 9001: no memory errors or leaks on the main paths, under valgrind
# (the sanitizer build runs everything under ASan/LSan instead).

load lib/common

setup() {
	common_setup
	[ "${ESCTL_SANITIZE:-0}" = 1 ] && skip "sanitizer build: ASan/LSan cover this"
	require_dep valgrind command -v valgrind
	"$ESCTL_BIN" tenant list 2>/dev/null
	sql < "$ESCTL_TOP/testdata/tenants.sql"
}

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite \
	    "$ESCTL_BIN" "$@"
}

@test "valgrind: tenant commands, all output formats, errors" {
	run -0 vg tenant quota set --org org-001 --max-clusters 5 --max-cpu 10
	run -0 vg tenant quota get --org org-001 -o yaml
	run -0 vg tenant list -o wide
	run -0 vg tenant containers --org org-001 -o json
	run -0 vg tenant show bob image-search
	run -2 vg tenant quota set --org org-001 --max-cpu bad
	run -2 vg tenant lst
	run -7 vg --as-org org-002 tenant quota get --org org-001 -o json
}

@test "valgrind: help, completion, config errors" {
	run -0 vg --help
	run -0 vg tenant quota set --help
	run -0 vg completion bash
	run -0 vg completion zsh
	run -0 vg completion fish
	printf 'report:\n  url: [\n' > "$BATS_TEST_TMPDIR/c.yaml"
	run -2 vg --config "$BATS_TEST_TMPDIR/c.yaml" tenant list
}
