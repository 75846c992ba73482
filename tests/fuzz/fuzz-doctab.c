/*
 * fuzz-doctab.c - libFuzzer target for the documents' table reader
 * (doctab_open, doctab_get).  Each input is written to a scratch file and
 * opened; see fuzz-doctab.h for the input's layout and the properties
 * checked.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-scratch.h"
#include "fuzz-doctab.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;

	if (fuzz_doctab_one(fuzz_scratch_path("doctab"), data, size, &why) == -1) {
		fprintf(stderr, "fuzz-doctab: %s\n", why);
		abort();
	}
	return 0;
}
