/*
 * fuzz-vecio.c - libFuzzer target for the vector file readers: every
 * input is read as each format (.fvecs, .bvecs, .ivecs, .npy, JSON Lines,
 * CSV), with the dimension free and fixed.
 *
 * Properties checked on every input:
 *  - reading never crashes or leaks;
 *  - a failure is ES_EUSAGE with a message naming the input;
 *  - a success holds at least one vector of the asked dimension, every
 *    component finite, ids (when any) non-empty and unique.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vecio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "in.fvecs", "in.bvecs", "in.ivecs",
	    "in.npy", "in.jsonl", "in.csv" };
	static const int dims[] = { 0, 4 };
	struct es_err err = ES_ERR_INIT;
	struct vecio_set *s;
	size_t f, di, i, j;

	for (f = 0; f < sizeof names / sizeof names[0]; f++)
		for (di = 0; di < 2; di++) {
			s = NULL;
			if (vecio_read_mem(data, size, names[f], VECIO_AUTO,
			    dims[di], &s, &err) == -1) {
				if (err.code != ES_EUSAGE ||
				    strstr(err.msg, names[f]) == NULL ||
				    s != NULL)
					abort();
				continue;
			}
			if (s == NULL || s->n == 0 || s->dim < 1 ||
			    (dims[di] != 0 && s->dim != dims[di]))
				abort();
			for (i = 0; i < s->n * (size_t)s->dim; i++)
				if (!isfinite(s->vectors[i]))
					abort();
			if (s->ids != NULL)
				for (i = 0; i < s->n; i++) {
					if (s->ids[i] == NULL)
						continue;
					if (s->ids[i][0] == '\0')
						abort();
					for (j = i + 1; j < s->n && j < i + 64;
					    j++)
						if (s->ids[j] != NULL &&
						    strcmp(s->ids[i], s->ids[j]) ==
						    0)
							abort();
				}
			vecio_set_free(s);
		}
	return 0;
}
