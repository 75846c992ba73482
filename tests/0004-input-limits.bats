#!/usr/bin/env bats
# 0004: outside inputs read into memory are capped, with an error naming
# the limit, and vector files are validated as they stream in: /dev/zero
# given as a kubeconfig, a config, a --from-file, a snapshot or a vector
# file fails (exit 2) instead of growing to gigabytes, and changes nothing.

load lib/common

setup() {
	common_setup
	esctl -q index create ix --dimension 4 --nlist 4
	BEFORE=$(sql .dump)
}

# The database is as it was.
assert_unchanged() {
	assert_equal "$(sql .dump)" "$BEFORE"
}

@test "--kubeconfig /dev/zero: exit 2 naming the limit" {
	run -2 --separate-stderr timeout 60 "$ESCTL_BIN" \
	    --kubeconfig /dev/zero __kube request GET /version
	[[ $stderr == *"cannot read kubeconfig '/dev/zero': larger than the limit of 16 MiB"* ]]
	assert_unchanged
}

@test "--config /dev/zero: exit 2 naming the limit" {
	run -2 --separate-stderr timeout 60 "$ESCTL_BIN" --config /dev/zero \
	    tenant list
	[[ $stderr == *"cannot read config '/dev/zero': larger than the limit of 16 MiB"* ]]
	assert_unchanged
}

@test "cluster create -f /dev/zero: exit 2 naming the limit" {
	# a kubeconfig that is never contacted
	cat > "$BATS_TEST_TMPDIR/kc" <<-EOF
	apiVersion: v1
	kind: Config
	clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
	users: [{name: u, user: {token: t}}]
	contexts: [{name: x, context: {cluster: c, user: u}}]
	current-context: x
	EOF
	run -2 --separate-stderr timeout 60 "$ESCTL_BIN" --kubeconfig \
	    "$BATS_TEST_TMPDIR/kc" cluster create -f /dev/zero
	[[ $stderr == *"cannot read '/dev/zero': larger than the limit of 16 MiB"* ]]
	assert_unchanged
}

@test "snapshot import /dev/zero: exit 2 naming the limit" {
	run -2 --separate-stderr timeout 60 "$ESCTL_BIN" snapshot import \
	    --format csv /dev/zero
	[[ $stderr == *"cannot read '/dev/zero': larger than the limit of 256 MiB"* ]]
	assert_unchanged
}

@test "index add /dev/zero --format fvecs fails at its first record" {
	run -2 --separate-stderr timeout 60 "$ESCTL_BIN" index add ix \
	    /dev/zero --format fvecs
	assert_equal "$stderr" "esctl: error: /dev/zero: record 1: invalid dimension 0"
	# an endless stream of valid-looking records stops at the limit
	run -2 --separate-stderr timeout 60 bash -c "\"$PYTHON\" -c '
import sys
r = bytes([4, 0, 0, 0]) + bytes(16)
while True:
    sys.stdout.buffer.write(r * 4096)
' 2>/dev/null | '$ESCTL_BIN' index add ix - --format fvecs"
	[[ $stderr == *"larger than the limit of 256 MiB"* ]]
	assert_unchanged
}
