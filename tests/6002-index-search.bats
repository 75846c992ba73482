#!/usr/bin/env bats
# 6002: build and search: exactness against brute force for the three
# metrics, recall, filters, rankings against a float64 reference,
# determinism, vectors added after a build.

load lib/common

VECGEN=$ESCTL_TOP/tests/lib/vecgen

setup() {
	common_setup
	T=$BATS_TEST_TMPDIR
	"$VECGEN" fvecs "$T/base.fvecs" 3000 16 --clusters 30 --seed 1
	"$VECGEN" fvecs "$T/q.fvecs" 30 16 --clusters 30 --seed 1
}

# ids of a search's JSON output, one line per query
ids_by_query() {
	jq -r '.items | group_by(.query) | .[] | map(.id) | join(" ")'
}

@test "nprobe = nlist equals --exact for l2, cosine and dot, in every mode" {
	for m in l2 cosine dot; do
		esctl -q index create "i$m" --dimension 16 --metric "$m" --nlist 24
		esctl -q index add "i$m" "$T/base.fvecs"
		esctl -q index build "i$m" --seed 5 --iters 8
		esctl -o json search "i$m" --query-file "$T/q.fvecs" -k 10 \
		    --exact > "$T/exact.json"
		[ "$(jq '.items | length' "$T/exact.json")" = 300 ]
		for mode in sq8 flat gemm auto; do
			esctl -o json search "i$m" --query-file "$T/q.fvecs" -k 10 \
			    --nprobe 24 --mode "$mode" > "$T/ivf.json"
			cmp "$T/exact.json" "$T/ivf.json"
		done
		# one query from the command line, too
		v=$("$PYTHON" -c 'import numpy as np,sys; a=np.fromfile(sys.argv[1],dtype="float32").reshape(-1,17)[0,1:]; print(",".join(repr(float(x)) for x in a))' "$T/q.fvecs")
		a=$(esctl -o json search "i$m" --vector "[$v]" --nprobe 24)
		b=$(esctl -o json search "i$m" --vector "$v" --exact)
		[ "$a" = "$b" ]
		[ "$(jq -c '.items | map(.id)' <<<"$a")" = \
		    "$(jq -c '.items | [.[] | select(.query == 1) | .id]' "$T/exact.json")" ]
	done
	# l2 reports distances, the others scores
	[ "$(jq -r '.items | .[0] | has("distance")' <<<"$(esctl -o json search il2 \
	    --vector "$v")")" = true ]
	[ "$(jq -r '.items | .[0] | has("score")' <<<"$b")" = true ]
}

@test "cosine and dot rankings match a float64 reference" {
	for m in l2 cosine dot; do
		esctl -q index create "r$m" --dimension 16 --metric "$m" --nlist 8
		esctl -q index add "r$m" "$T/base.fvecs"
		esctl -q index build "r$m" --iters 5
		esctl -o json search "r$m" --query-file "$T/q.fvecs" -k 5 \
		    --nprobe 8 | ids_by_query > "$T/got"
		"$VECGEN" ref "$T/base.fvecs" "$T/q.fvecs" "$m" 5 > "$T/want"
		diff -u "$T/want" "$T/got"
	done
	# scores are cosines: at most 1, decreasing
	esctl -o json search rcosine --query-file "$T/q.fvecs" -k 5 > "$T/s.json"
	jq -e '.items | all(.[]; .score <= 1.0001 and .score > 0.5)' "$T/s.json"
}

@test "recall@10 >= 0.9 at a moderate nprobe (index eval)" {
	"$VECGEN" gt "$T/base.fvecs" "$T/q.fvecs" 10 "$T/gt.ivecs"
	esctl -q index create e --dimension 16 --nlist 32
	esctl -q index add e "$T/base.fvecs"
	esctl -q index build e --seed 3
	run -0 esctl -o json index eval e --queries "$T/q.fvecs" \
	    --groundtruth "$T/gt.ivecs" --nprobe 1,4,32
	[ "$(jq '.items | length' <<<"$output")" = 3 ]
	jq -e '.items | .[1].recall >= 0.9' <<<"$output"
	jq -e '.items | .[2].recall == 1' <<<"$output"
	jq -e '.items | all(.[]; .qps > 0 and .p50_ms >= 0 and .p99_ms >= .p50_ms)' \
	    <<<"$output"
	run -0 esctl -o json index eval e --queries "$T/q.fvecs" \
	    --groundtruth "$T/gt.ivecs" --nprobe 4 --batch --threads 2
	jq -e '.items | .[0].recall >= 0.9 and .[0].p50_ms == null' <<<"$output"
	run -0 esctl index eval e --queries "$T/q.fvecs" \
	    --groundtruth "$T/gt.ivecs" --nprobe 4
	assert_line --index 0 --regexp '^NPROBE +RECALL +QPS +P50_MS +P99_MS'
}

@test "filters return only matching documents, the right top k" {
	"$VECGEN" jsonl "$T/docs.jsonl" 1500 16 --clusters 20 --seed 2
	esctl -q index create f --dimension 16 --nlist 16
	esctl -q index add f "$T/docs.jsonl"
	esctl -q index build f
	esctl -o json search f --query-file "$T/q.fvecs" -k 7 --nprobe 16 \
	    --filter color=red > "$T/red.json"
	jq -e '.items | all(.[]; .fields.color == "red")' "$T/red.json"
	[ "$(jq '.items | length' "$T/red.json")" = 210 ]
	ids_by_query < "$T/red.json" > "$T/got"
	"$VECGEN" ref "$T/docs.jsonl" "$T/q.fvecs" l2 7 --only-color red > "$T/want"
	diff -u "$T/want" "$T/got"
	# AND of two fields, numbers and array elements
	esctl -o json search f --query-file "$T/q.fvecs" -k 50 --nprobe 16 \
	    --filter color=red --filter size=3 --filter tags=t1 > "$T/and.json"
	jq -e '.items | length > 0 and all(.[]; .fields.color == "red" and
	    .fields.size == 3 and (.fields.tags | index("t1")))' "$T/and.json"
	run -0 esctl -o json search f --vector "$(seq -s, 16)" \
	    --filter color=purple
	assert_equal "$(jq -c . <<<"$output")" '{"kind":"List","items":[]}'
	run -2 esctl search f --vector "$(seq -s, 16)" --filter color
}

@test "the same seed gives the same index whatever the threads" {
	esctl -q index create s --dimension 16 --nlist 20
	esctl -q index add s "$T/base.fvecs"
	esctl -o json index build s --seed 9 --threads 1 > "$T/b1.json"
	esctl -o json search s --query-file "$T/q.fvecs" --nprobe 3 -t 1 > "$T/r1"
	od -An -j 4096 -N 1280 -t x4 "$ESCTL_DATA_DIR/indexes/s/ivf.idx" > "$T/c1"
	esctl -o json index build s --seed 9 --threads 2 > "$T/b2.json"
	esctl -o json search s --query-file "$T/q.fvecs" --nprobe 3 -t 2 > "$T/r2"
	od -An -j 4096 -N 1280 -t x4 "$ESCTL_DATA_DIR/indexes/s/ivf.idx" > "$T/c2"
	cmp "$T/c1" "$T/c2"
	cmp "$T/r1" "$T/r2"
	[ "$(jq .objective "$T/b1.json")" = "$(jq .objective "$T/b2.json")" ]
	esctl -o json index build s --seed 10 > "$T/b3.json"
	[ "$(jq .objective "$T/b1.json")" != "$(jq .objective "$T/b3.json")" ]
	# PCA initialisation (LAPACKE) builds too
	run -0 esctl -o json index build s --init pca
	[ "$(jq -r .init <<<"$output")" = pca ]
}

@test "vectors added after a build are searched exactly until rebuilt" {
	"$VECGEN" fvecs "$T/more.fvecs" 500 16 --clusters 30 --seed 7
	esctl -q index create a --dimension 16 --nlist 16
	esctl -q index add a "$T/base.fvecs"
	esctl -q index build a
	run -0 esctl -q index add a "$T/more.fvecs"
	run -0 esctl -o json index show a
	[ "$(jq -r .status <<<"$output")" = stale ]
	[ "$(jq -r .vector_count <<<"$output")" = 3500 ]
	[ "$(jq -r .built_count <<<"$output")" = 3000 ]
	a=$(esctl -o json search a --query-file "$T/more.fvecs" -k 3 --nprobe 16)
	b=$(esctl -o json search a --query-file "$T/more.fvecs" -k 3 --exact)
	[ "$a" = "$b" ]
	# a vector of the tail finds itself
	[ "$(jq -r '.items | .[0].id' <<<"$a")" = 3000 ]
	esctl -q index build a
	run -0 esctl -o json index stats a
	[ "$(jq -r .ntotal <<<"$output")" = 3500 ]
	[ "$(jq -r .unbuilt <<<"$output")" = 0 ]
	[ "$(jq -r .file.checksums <<<"$output")" = ok ]
	jq -e '.imbalance >= 1 and .list_sizes.max >= .list_sizes.min' \
	    <<<"$output"
}

@test "an index that was never built is searched exactly" {
	esctl -q index create n --dimension 16
	esctl -q index add n "$T/base.fvecs"
	run -0 --separate-stderr esctl -o json search n --vector "$(seq -s, 16)" -k 2
	[[ $stderr == *"not built: exact search over 3000 vectors"* ]]
	[ "$(jq '.items | length' <<<"$output")" = 2 ]
	run -4 --separate-stderr esctl index stats n
	[[ $stderr == *"not built"* ]]
	esctl -q index create empty --dimension 4
	run -4 --separate-stderr esctl index build empty
	[[ $stderr == *"has no vectors"* ]]
}
