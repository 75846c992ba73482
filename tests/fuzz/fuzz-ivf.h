/*
 * fuzz-ivf.h - the properties the fuzz target fuzz-ivf.c checks on one
 * input, shared with the unit test that replays its corpus
 * (tests/unit/test-ivffile.c).  One translation unit each: definitions.
 *
 * An input is one byte of mode and then an index file's bytes.  Mode bit
 * 0: the file's checksums are recomputed first (ivf_reseal), so that the
 * reader's structural checks are reached, not only its checksums; bits
 * 1-2: the search mode (8-bit, float, sgemm batch with the coarse
 * projection when the file holds one, automatic).  Properties:
 *  - opening never crashes, reads outside the file or leaks;
 *  - a refusal carries a message naming the file;
 *  - an opened index has sane dimensions, and its statistics (with every
 *    list's checksum) and searches of two queries in each mode run
 *    without a fault.  (The ids a search returns are the file's: the
 *    search's caller resolves them, and refuses unknown ones.)
 */
#ifndef ESCTL_FUZZ_IVF_H
#define ESCTL_FUZZ_IVF_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "cJSON.h"
#include "ivf.h"

/* 0: the properties hold; -1: *why says which did not. */
static int
fuzz_ivf_one(const char *path, const uint8_t *data, size_t size,
    const char **why)
{
	static const enum ivf_mode modes[] = { IVF_MODE_SQ8, IVF_MODE_FLAT,
	    IVF_MODE_GEMM, IVF_MODE_AUTO };
	static struct blas *blas;
	static int blas_tried;
	struct es_err err = ES_ERR_INIT;
	struct ivf_search_stats st;
	struct ivf_search_opts o;
	struct ivf_index *ix;
	struct ivf_hit hits[2 * 3];
	cJSON *j = NULL;
	float *q;
	size_t i;
	int fd, d, mode;

	*why = NULL;
	if (size < 1)
		return 0;
	if (!blas_tried) {
		blas_tried = 1;
		if (blas_open(&blas, &err) == -1)
			blas = NULL;	/* gemm searches are then refused */
	}
	mode = data[0];
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, data + 1, size - 1) !=
	    (ssize_t)(size - 1) || close(fd) == -1) {
		*why = "cannot write the scratch file";
		return -1;
	}
	if (mode & 1)
		(void)ivf_reseal(path, &err);
	if (ivf_open_flags(path, 0, 0, &ix, &err) == -1) {
		if (err.msg[0] == '\0' || strstr(err.msg, path) == NULL) {
			*why = "a refusal without the file's name";
			return -1;
		}
		return 0;
	}
	d = ivf_dim(ix);
	if (d < 1 || d > IVF_MAX_DIM || ivf_nlist(ix) < 1 ||
	    (size_t)ivf_nlist(ix) > ivf_ntotal(ix)) {
		*why = "an opened index with impossible dimensions";
		ivf_free(ix);
		return -1;
	}
	if (ivf_stats(ix, 1, &j, &err) == 0)
		cJSON_Delete(j);
	q = calloc(2 * (size_t)d, sizeof *q);
	for (i = 0; i < 2 * (size_t)d; i++)
		q[i] = (float)((int)data[(i + 1) % size] - 100) / 8.0f;
	memset(&o, 0, sizeof o);
	o.k = 3;
	o.nprobe = ivf_nlist(ix) < 3 ? ivf_nlist(ix) : 3;
	o.threads = 1;
	o.mode = modes[(mode >> 1) & 3];
	o.blas = blas;
	memset(&st, 0, sizeof st);
	(void)ivf_search(ix, q, 2, &o, hits, &st, &err);
	free(q);
	ivf_free(ix);
	return 0;
}

#endif
