#!/usr/bin/env bats
# 0004: cmd/ parses arguments and prints; lib/ does the work (STYLE.md).
# A cmd/ file must not talk to the Kubernetes API or write the store
# itself.  The calls that are still there today are counted below, file
# by file, as a ratchet: a new call (or a new file with one) fails, and
# moving calls into lib/ lowers the counts.

load lib/common

# Kubernetes client calls and store writes (transactions, raw SQL writes).
PATTERN='\b(kube_(apply|create|delete|patch|scale|evict|request|list|list_each|get|wait|version|served)|store_(exec|begin|commit|rollback))\('
SQLW='"(INSERT|UPDATE|DELETE|REPLACE) '

# file: allowed count.  cmd/cluster.c and cmd/lifecycle.c (the ES service
# lifecycle: lib/create.c, lib/cluster.c, lib/clusterlive.c do the work)
# are counted like every other file, and may make none.
ALLOWED=(
	"cmd/autoscale.c 3"	# policy import: one transaction around lib calls
	"cmd/container.c 4"	# pod and metrics listing for container list
	"cmd/duty.c 6"		# add/remove transactions
	"cmd/index.c 9"		# index add/delete transactions
	"cmd/k8s.c 10"		# registry transactions, ping
	"cmd/kubectx.c 1"	# the namespace check of the tenant scope
	"cmd/kubereq.c 4"	# hidden __kube debugging client
	"cmd/logs.c 2"		# pods to stream
	"cmd/metrics.c 2"	# serve: group commit of concurrent requests
	"cmd/monitor.c 3"	# --live: metrics.k8s.io pods and the StatefulSet
	"cmd/notify.c 3"	# notify read transaction
	"cmd/snapshot.c 13"	# collect: listing nodes and pods
	"cmd/strategy.c 15"	# create/update/enable/delete transactions
	"cmd/tenant.c 3"	# quota set transaction
	"cmd/version.c 1"	# GET /version
)

allowed() {
	local row
	for row in "${ALLOWED[@]}"; do
		if [ "${row%% *}" = "$1" ]; then
			echo "${row#* }"
			return
		fi
	done
	echo 0
}

@test "cmd/ does not call the Kubernetes client or write the store (ratchet)" {
	local f n a bad=
	for f in "$ESCTL_TOP"/cmd/*.c; do
		f=cmd/${f##*/}
		n=$(grep -cE "$PATTERN" "$ESCTL_TOP/$f" || true)
		n=$((n + $(grep -cE "$SQLW" "$ESCTL_TOP/$f" || true)))
		a=$(allowed "$f")
		if [ "$n" -gt "$a" ]; then
			bad="$bad
$f: $n calls to the Kubernetes client or store writes, $a allowed:
$(grep -nE "$PATTERN|$SQLW" "$ESCTL_TOP/$f")"
		fi
	done
	[ -z "$bad" ] || fail "move this work into lib/ (cmd/ parses and prints):$bad"
}

@test "cmd/ includes only lib/'s public headers and its own" {
	run grep -hoE '#include "[^"]+"' "$ESCTL_TOP"/cmd/*.c
	local h
	for h in $(sed 's/#include "\(.*\)"/\1/' <<<"$output" | sort -u); do
		[ -f "$ESCTL_TOP/lib/$h" ] || [ -f "$ESCTL_TOP/cmd/$h" ] ||
		    fail "cmd/ includes '$h', which is neither lib/ nor cmd/"
		[[ $h != *.c ]] || fail "cmd/ includes a .c file: $h"
	done
}

@test "help, completion and the command table do not reach into the dispatcher" {
	# cmd/esctl.c calls help.c and completion.c; they read the tables in
	# cmd/groups.c and must not use anything cmd/esctl.c defines (a cycle)
	local names n f bad=
	names=$(awk '/^[a-z_][a-z0-9_]*\(/ { if (prev !~ /^static/) {
		n = $0; sub(/\(.*/, "", n); print n } }
	    /^[a-z].*[a-z_][a-z0-9_]*(\[\])? = / && !/^static/ {
		n = $0; sub(/(\[\])? = .*/, "", n); sub(/.*[ *]/, "", n); print n }
	    { prev = $0 }' "$ESCTL_TOP/cmd/esctl.c")
	[ -n "$names" ]		# args_get and friends, main
	for f in help.c completion.c groups.c; do
		for n in $names; do
			if grep -qw -- "$n" "$ESCTL_TOP/cmd/$f"; then
				bad="$bad cmd/$f uses $n;"
			fi
		done
	done
	[ -z "$bad" ] || fail "cycle with cmd/esctl.c:$bad"
}
