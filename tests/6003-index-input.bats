#!/usr/bin/env bats
# 6003: malformed inputs leave the index unchanged; a killed build leaves
# the previous index searchable; corrupt index files are refused.

load lib/common

VECGEN=$ESCTL_TOP/tests/lib/vecgen

setup() {
	common_setup
	T=$BATS_TEST_TMPDIR
	"$VECGEN" jsonl "$T/good.jsonl" 200 4 --seed 3
	esctl -q index create docs --dimension 4 --nlist 4
	esctl -q index add docs "$T/good.jsonl"
}

# state of the index: database rows and files
state() {
	db_dump
	tree_sum "$ESCTL_DATA_DIR/indexes"
}

# runs a failing add and checks the message and that nothing changed
bad_add() {
	local file=$1 want=$2 before
	before=$(state)
	run -2 --separate-stderr esctl index add docs "$file"
	[[ $stderr == *"$want"* ]] || {
		echo "stderr: $stderr"
		echo "wanted: $want"
		return 1
	}
	[ "$(state)" = "$before" ]
}

@test "wrong dimension, truncated record, NaN, bad JSON: named, nothing added" {
	"$PYTHON" - "$T" <<'PY'
import sys, numpy as np
t = sys.argv[1]
def fvecs(path, a):
    a = np.asarray(a, dtype=np.float32); n, d = a.shape
    b = np.empty((n, d + 1), dtype=np.float32)
    b[:, 0] = np.array([d], dtype=np.int32).view(np.float32)[0]
    b[:, 1:] = a; b.tofile(path)
fvecs(t + "/dim5.fvecs", np.ones((3, 5)))
fvecs(t + "/ok.fvecs", np.ones((3, 4)))
raw = open(t + "/ok.fvecs", "rb").read()
open(t + "/trunc.fvecs", "wb").write(raw[:-3])
a = np.ones((4, 4)); a[2, 1] = np.nan
fvecs(t + "/nan.fvecs", a)
a = np.ones((4, 4), dtype=np.float32); a[3, 0] = np.inf
np.save(t + "/inf.npy", a)
np.save(t + "/f64.npy", np.ones((2, 4)))
PY
	bad_add "$T/dim5.fvecs" "record 1 has dimension 5, expected 4"
	bad_add "$T/trunc.fvecs" "record 3 is truncated"
	bad_add "$T/nan.fvecs" "record 3: component 2 is NaN"
	bad_add "$T/inf.npy" "row 4: component 1 is infinite"
	bad_add "$T/f64.npy" "must be little-endian float32"
	printf '%s\n' '{"id": "x1", "vector": [1, 2, 3, 4]}' \
	    '{"id": "x2", "vector": [1, 2, 3' > "$T/badjson.jsonl"
	bad_add "$T/badjson.jsonl" "line 2: invalid JSON"
	printf '%s\n' '{"id": "x1", "vector": [1, 2, 3, 4]}' \
	    '{"id": "x2", "vector": [1, 2, 3, 4]}' \
	    '{"id": "x1", "vector": [5, 6, 7, 8]}' > "$T/dup.jsonl"
	bad_add "$T/dup.jsonl" "line 3: duplicate id 'x1' (first at line 1)"
	printf '%s\n' '{"id": "new", "vector": [1, 2, 3, 4]}' \
	    '{"id": "doc-7", "vector": [1, 2, 3, 4]}' > "$T/exists.jsonl"
	bad_add "$T/exists.jsonl" "line 2: duplicate id 'doc-7': index 'docs' already has"
	printf 'id,v0,v1,v2,v3\na,1,2,3,4\nb,1,2,x,4\n' > "$T/bad.csv"
	bad_add "$T/bad.csv" "line 3: component 3 ('x') is not a number"
	printf '%s\n' '{"vector": [0, 0, 0, 0]}' > "$T/zero.jsonl"
	esctl -q index create cos --dimension 4 --metric cosine
	run -2 --separate-stderr esctl index add cos "$T/zero.jsonl"
	[[ $stderr == *"line 1: a zero vector"* ]]
	run -3 --separate-stderr esctl index add docs "$T/missing.fvecs"
	run -0 esctl -o json index show docs
	[ "$(jq .vector_count <<<"$output")" = 200 ]
	# and a good file still goes in
	run -0 esctl -q index add docs "$T/ok.fvecs"
	[ "$(esctl -o json index show docs | jq .vector_count)" = 203 ]
	[ "$(esctl -o json index data docs --offset 202 | jq -r '.items | .[0].id')" = 202 ]
}

@test "a build killed midway leaves the old index searchable" {
	"$VECGEN" jsonl "$T/more.jsonl" 3000 4 --seed 9
	sed -i 's/"doc-/"more-/' "$T/more.jsonl"
	esctl -q index build docs --seed 1
	q='[0.5, -1, 2, 0.25]'
	esctl -o json search docs --vector "$q" --nprobe 4 > "$T/before.json"
	sum=$(sha256sum < "$ESCTL_DATA_DIR/indexes/docs/ivf.idx")
	esctl -q index add docs "$T/more.jsonl"
	# the writer dies (SIGKILL) after 64 KiB of the new file
	run -137 env ESCTL_IVF_CRASH_AFTER_BYTES=65536 "$ESCTL_BIN" index build \
	    docs --nlist 16
	ls "$ESCTL_DATA_DIR/indexes/docs/"ivf.idx.tmp.* >/dev/null
	[ "$(sha256sum < "$ESCTL_DATA_DIR/indexes/docs/ivf.idx")" = "$sum" ]
	run -0 esctl -o json index show docs
	[ "$(jq -r .built_count <<<"$output")" = 200 ]
	[ "$(jq -r .ivf_params.nlist <<<"$output")" = 4 ]
	run -0 esctl -o json index stats docs
	[ "$(jq -r .file.checksums <<<"$output")" = ok ]
	# the old lists plus the new vectors, searched exactly, as brute force
	a=$(esctl -o json search docs --vector "$q" --nprobe 4)
	b=$(esctl -o json search docs --vector "$q" --exact)
	[ "$a" = "$b" ]
	# the next build cleans up and replaces the file
	run -0 --separate-stderr esctl index build docs --nlist 16
	[[ $stderr == *"interrupted build"* ]]
	run -0 find "$ESCTL_DATA_DIR/indexes/docs" -name 'ivf.idx.tmp.*'
	assert_output ''
	[ "$(esctl -o json index show docs | jq .built_count)" = 3200 ]
}

@test "corrupt or foreign index files are refused with a clear error" {
	esctl -q index build docs
	f=$ESCTL_DATA_DIR/indexes/docs/ivf.idx
	cp "$f" "$T/good.idx"
	printf '\x07\x00\x00\x00' | dd of="$f" bs=1 seek=8 conv=notrunc 2>/dev/null
	run -1 --separate-stderr esctl search docs --vector '[1,2,3,4]'
	[[ $stderr == *"has format version 7; this esctl reads version 1"* ]]
	# the k-means seed (byte 48): a header field nothing else checks
	cp "$T/good.idx" "$f"
	printf '\xa5' | dd of="$f" bs=1 seek=48 conv=notrunc 2>/dev/null
	cmp -s "$f" "$T/good.idx" && fail "the seed byte did not change"
	run -1 --separate-stderr esctl search docs --vector '[1,2,3,4]'
	assert_equal "$stderr" "esctl: error: index file '$f' is corrupt: header checksum mismatch"
	cp "$T/good.idx" "$f"
	printf 'X' | dd of="$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
	run -1 --separate-stderr esctl search docs --vector '[1,2,3,4]'
	[[ $stderr == *"metadata checksum mismatch"* ]]
	cp "$T/good.idx" "$f"
	truncate -s -4096 "$f"
	run -1 --separate-stderr esctl search docs --vector '[1,2,3,4]'
	[[ $stderr == *"corrupt or truncated"* ]]
	cp "$T/good.idx" "$f"
	# a byte of the vectors section (its offset is at byte 136)
	vecs=$(od -An -t u8 -j 136 -N 8 "$f" | tr -d ' ')
	printf 'X' | dd of="$f" bs=1 seek=$((vecs + 100)) conv=notrunc 2>/dev/null
	run -1 --separate-stderr esctl index stats docs
	[[ $stderr == *"checksum mismatch in list"* ]]
	# another index's file is not taken for this one's
	esctl -q index create other --dimension 4 --nlist 4
	esctl -q index add other "$T/good.jsonl"
	esctl -q index build other
	cp "$ESCTL_DATA_DIR/indexes/other/ivf.idx" "$f"
	run -1 --separate-stderr esctl search docs --vector '[1,2,3,4]'
	[[ $stderr == *"belongs to another index"* ]]
}

@test "search input errors" {
	esctl -q index build docs
	run -2 --separate-stderr esctl search docs --vector '[1,2,3]'
	[[ $stderr == *"vector has 3 components, expected 4"* ]]
	run -2 --separate-stderr esctl search docs --vector '[1,2,"x",4]'
	[[ $stderr == *"component 3 is not a number"* ]]
	run -2 --separate-stderr esctl search docs
	[[ $stderr == *"either --vector or --query-file"* ]]
	run -2 esctl search docs --vector '[1,2,3,4]' --mode fast
	run -2 esctl search docs --vector '[1,2,3,4]' --topk 0
	run -3 esctl search nope --vector '[1,2,3,4]'
}
