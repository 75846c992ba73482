#!/usr/bin/env bats
# 0002: man pages and shell completion are generated from, or checked
# against, the command tables.

load lib/common

groups() {
	"$ESCTL_BIN" --help | awk '/^Commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}'
}

@test "every man page is lint-clean under mandoc -Tlint" {
	run -0 mandoc -Tlint -Wwarning "$ESCTL_TOP"/man/*.1 "$ESCTL_TOP"/man/*.5
	assert_output ''
}

@test "every command group has its man page" {
	local g
	for g in $(groups); do
		[ -f "$ESCTL_TOP/man/esctl-$g.1" ] || fail "no man/esctl-$g.1"
		grep -q "^\.Xr esctl-$g 1" "$ESCTL_TOP/man/esctl.1" ||
		    fail "esctl.1 does not refer to esctl-$g(1)"
	done
}

@test "each man page's SYNOPSIS is the one generated from the table" {
	local g want have
	for g in $(groups); do
		want=$("$ESCTL_BIN" __man-synopsis "$g")
		have=$(awk '/^\.Sh SYNOPSIS/{on=1; next} /^\.Sh /{on=0} on' \
		    "$ESCTL_TOP/man/esctl-$g.1")
		[ "$want" = "$have" ] || fail "man/esctl-$g.1 SYNOPSIS is stale:
$(diff <(echo "$want") <(echo "$have"))
regenerate it with: esctl __man-synopsis $g"
	done
}

@test "the rendered SYNOPSIS matches each verb's usage line from -h" {
	local g page rendered verb usage
	for g in $(groups); do
		page=$ESCTL_TOP/man/esctl-$g.1
		rendered=$(mandoc -Tascii "$page" | col -b |
		    awk '/^SYNOPSIS/{on=1; next} /^[A-Z]/{on=0} on' |
		    tr -s '[:space:]' ' ' | sed 's/ esctl /\nesctl /g; s/^ *//; s/ *$//')
		while IFS= read -r verb; do
			usage=$("$ESCTL_BIN" $g $verb -h |
			    awk 'NR==1{sub(/^usage: /, ""); print; next}
			         /^$/{exit} {print}' | tr -s '[:space:]' ' ' |
			    sed 's/ *$//')
			grep -qxF -- "$usage" <<<"$rendered" ||
			    fail "esctl $g $verb: usage '$usage' not in SYNOPSIS:
$rendered"
		done < <("$ESCTL_BIN" $g --help | awk '/^Verbs:/{on=1; next}
		    /^$/{on=0} on{sub(/^  /, ""); split($0, a, "  "); print a[1]}')
	done
}

@test "every page documents the eight exit statuses" {
	local p c
	for p in "$ESCTL_TOP"/man/*.1; do
		grep -q '^\.Sh EXIT STATUS' "$p" || fail "$p: no EXIT STATUS"
		for c in 0 1 2 3 4 5 6 7; do
			awk '/^\.Sh EXIT STATUS/{on=1; next} /^\.Sh /{on=0} on' \
			    "$p" | grep -qx "\.It $c" || fail "$p: exit $c missing"
		done
	done
}

@test "EXAMPLES of pages marked offline run as documented" {
	local p cmds
	for p in $(grep -l '^\.\\" examples: offline' "$ESCTL_TOP"/man/*.1); do
		cmds=$(awk '/^\.Sh EXAMPLES/{on=1; next} /^\.Sh /{on=0}
		    on && /^\$ esctl/{sub(/^\$ /, ""); cont=1}
		    on && cont{line=$0; gsub(/\\e$/, "\\", line); print line;
		        if ($0 !~ /\\e$/) cont=0}' "$p")
		[ -n "$cmds" ] || fail "$p: no runnable examples"
		run -0 bash -ec "esctl() { \"$ESCTL_BIN\" \"\$@\"; }
$cmds"
	done
}

# zsh and fish come with scripts/install-deps: a missing shell fails the
# test naming the package, it does not drop the check.
need_shell() {
	command -v "$1" >/dev/null ||
	    fail "$1 is not installed (scripts/install-deps installs it)"
}

@test "completion scripts parse in bash, zsh and fish" {
	run -0 bash -c "'$ESCTL_BIN' completion bash | bash -n"
	need_shell zsh
	"$ESCTL_BIN" completion zsh > "$BATS_TEST_TMPDIR/_esctl"
	run -0 zsh -n "$BATS_TEST_TMPDIR/_esctl"
	need_shell fish
	run -0 bash -c "'$ESCTL_BIN' completion fish | fish -n"
	run -2 --separate-stderr esctl completion tcsh
	[[ $stderr == *"unsupported shell 'tcsh'"* ]]
}

@test "fish completes groups and verbs from the generated script" {
	need_shell fish
	"$ESCTL_BIN" completion fish > "$BATS_TEST_TMPDIR/esctl.fish"
	run -0 fish -c "source '$BATS_TEST_TMPDIR/esctl.fish'
	    complete -C 'esctl clu'"
	assert_output $'cluster\tES services: create, delete, restart, scale, list, get'
	run -0 fish -c "source '$BATS_TEST_TMPDIR/esctl.fish'
	    complete -C 'esctl cluster cr'"
	assert_output $'create\tcreate an ES service'
}

@test "committed completion files are current (make completions)" {
	local sh f
	for sh in bash zsh fish; do
		case $sh in
		bash) f=esctl.bash ;; zsh) f=_esctl ;; fish) f=esctl.fish ;;
		esac
		diff -u "$ESCTL_TOP/completions/$f" <("$ESCTL_BIN" completion $sh) ||
		    fail "completions/$f is stale: run make completions"
	done
}

# Runs the bash completion function for a command line; prints candidates.
complete_bash() {
	local line=$1
	bash -c '
		source <("$0" completion bash)
		esctl() { "'"$ESCTL_BIN"'" "$@"; }
		read -ra COMP_WORDS <<< "$1"
		[[ $1 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_WORDS[0]=$0
		_esctl
		printf "%s\n" "${COMPREPLY[@]}"' "$ESCTL_BIN" "$line"
}

@test "bash completion: groups, verbs, two-word verbs, options, values" {
	run -0 complete_bash "esctl ten"
	assert_output tenant
	run -0 complete_bash "esctl tenant "
	assert_line list
	assert_line quota
	run -0 complete_bash "esctl tenant quota "
	assert_line get
	assert_line set
	run -0 complete_bash "esctl tenant quota set --max-c"
	assert_line --max-clusters
	assert_line --max-cpu
	run -0 complete_bash "esctl -o "
	assert_line json
	assert_line yaml
	run -0 complete_bash "esctl completion "
	assert_line zsh
}

@test "dynamic completion answers from the database" {
	run -0 esctl tenant quota set --org org-001 --max-clusters 1
	run -0 esctl tenant quota set --org org-002 --max-clusters 1
	run -0 esctl __complete org
	assert_output $'org-001\norg-002'
	run -0 complete_bash "esctl tenant quota get --org org-00"
	assert_line org-001
	assert_line org-002
	# the identity's scope limits what is offered
	run -0 esctl --as-org org-002 __complete org
	assert_output org-002
	# unknown kinds and missing databases answer nothing, successfully
	run -0 esctl __complete no-such-kind
	assert_output ''
}
