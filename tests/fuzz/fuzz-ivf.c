/*
 * fuzz-ivf.c - libFuzzer target for the index file reader (ivf_open and
 * what reads the mapping after it: statistics, searches).  Each input is
 * written to a scratch file and opened; see fuzz-ivf.h for the input's
 * layout and the properties checked.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-scratch.h"
#include "fuzz-ivf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;

	if (fuzz_ivf_one(fuzz_scratch_path("ivf"), data, size, &why) == -1) {
		fprintf(stderr, "fuzz-ivf: %s\n", why);
		abort();
	}
	return 0;
}
