/*
 * fuzz-doctab.c - libFuzzer target for the documents' table reader
 * (doctab_open, doctab_get).  Each input is
 * written to a scratch file and opened; see fuzz-doctab.h for the input's
 * layout and the properties checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz-doctab.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char fuzz_path[64];

static void
fuzz_doctab_cleanup(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	int fd;

	if (fuzz_path[0] == '\0') {
		snprintf(fuzz_path, sizeof fuzz_path,
		    "/tmp/fuzz-doctab.XXXXXX");
		if ((fd = mkstemp(fuzz_path)) == -1)
			abort();
		close(fd);
		atexit(fuzz_doctab_cleanup);
	}
	if (fuzz_doctab_one(fuzz_path, data, size, &why) == -1) {
		fprintf(stderr, "fuzz-doctab: %s\n", why);
		abort();
	}
	return 0;
}
