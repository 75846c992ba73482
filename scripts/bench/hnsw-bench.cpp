// hnsw-bench.cpp - hnswlib (Debian libhnswlib-dev, header-only) on the
// benchmark data: build time, then recall@10 and QPS for a list of ef
// values, one query at a time (1 thread) and in parallel (T threads).
// Built by scripts/bench/run with -O3 -march=native.
//
// usage: hnsw-bench BASE.fvecs QUERY.fvecs GT.ivecs THREADS M EFC EF,EF,...
//            [REPEAT]   (measurements per point, the fastest kept)
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

static std::vector<float> read_vecs(const char *path, int *dim, size_t *n,
    bool ints = false) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(1); }
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	int d;
	if (fread(&d, 4, 1, f) != 1) exit(1);
	fseek(f, 0, SEEK_SET);
	*dim = d;
	*n = sz / (4 * (d + 1));
	std::vector<float> v((size_t)*n * d);
	std::vector<int32_t> row(d + 1);
	for (size_t i = 0; i < *n; i++) {
		if (fread(row.data(), 4, d + 1, f) != (size_t)d + 1) exit(1);
		if (ints)
			for (int j = 0; j < d; j++) v[i * d + j] = (float)row[j + 1];
		else
			memcpy(&v[i * d], &row[1], 4 * d);
	}
	fclose(f);
	return v;
}

static double now() {
	return std::chrono::duration<double>(
	    std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv) {
	if (argc < 8) {
		fprintf(stderr, "usage: hnsw-bench BASE QUERY GT THREADS M EFC EFS\n");
		return 2;
	}
	int d, dq, dg;
	size_t n, nq, ng;
	std::vector<float> base = read_vecs(argv[1], &d, &n);
	std::vector<float> q = read_vecs(argv[2], &dq, &nq);
	std::vector<float> gt = read_vecs(argv[3], &dg, &ng, true);
	int threads = atoi(argv[4]), M = atoi(argv[5]), efc = atoi(argv[6]);
	int repeat = argc > 8 ? atoi(argv[8]) : 1;
	const int k = 10;
	hnswlib::L2Space space(d);
	hnswlib::HierarchicalNSW<float> index(&space, n, M, efc, 100);
	double t0 = now();
	index.addPoint(base.data(), 0);
	std::atomic<size_t> next(1);
	std::vector<std::thread> ts;
	for (int t = 0; t < threads; t++)
		ts.emplace_back([&]() {
			size_t i;
			while ((i = next.fetch_add(1)) < n)
				index.addPoint(base.data() + i * d, i);
		});
	for (auto &t : ts) t.join();
	double build = now() - t0;
	printf("{\"tool\": \"hnswlib\", \"M\": %d, \"ef_construction\": %d, "
	    "\"threads\": %d, \"build_seconds\": %.3f, \"results\": [", M, efc,
	    threads, build);
	std::stringstream ss(argv[7]);
	std::string tok;
	bool first = true;
	while (std::getline(ss, tok, ',')) {
		int ef = atoi(tok.c_str());
		index.setEf(ef);
		std::vector<std::vector<size_t>> res(nq);
		double t1 = 1e300;
		for (int rep = 0; rep < repeat; rep++) {
			t0 = now();
			for (size_t i = 0; i < nq; i++) {
				auto r = index.searchKnn(q.data() + i * d, k);
				res[i].clear();
				while (!r.empty()) {
					res[i].push_back(r.top().second);
					r.pop();
				}
			}
			t1 = std::min(t1, now() - t0);
		}
		double recall = 0;
		for (size_t i = 0; i < nq; i++) {
			std::set<size_t> g;
			for (int j = 0; j < k; j++) g.insert((size_t)gt[i * dg + j]);
			int hit = 0;
			for (size_t x : res[i]) hit += g.count(x);
			recall += hit / (double)k;
		}
		recall /= nq;
		double t2 = 1e300;
		for (int rep = 0; rep < repeat; rep++) {
			std::atomic<size_t> nx(0);
			t0 = now();
			std::vector<std::thread> ws;
			for (int t = 0; t < threads; t++)
				ws.emplace_back([&]() {
					size_t i;
					while ((i = nx.fetch_add(1)) < nq)
						index.searchKnn(q.data() + i * d, k);
				});
			for (auto &w : ws) w.join();
			t2 = std::min(t2, now() - t0);
		}
		printf("%s{\"ef\": %d, \"recall\": %.4f, \"qps_1thread\": %.0f, "
		    "\"qps_threads\": %.0f}", first ? "" : ", ", ef, recall,
		    nq / t1, nq / t2);
		first = false;
		fflush(stdout);
	}
	printf("]}\n");
	return 0;
}
