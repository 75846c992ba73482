/*
 * fuzz-scratch.h - the scratch file of the fuzz targets that read their
 * input from a file (fuzz-ivf, fuzz-doctab): /tmp/fuzz-<name>.XXXXXX,
 * made on the first input and removed at exit.  Each target is one
 * translation unit built by scripts/fuzz, so this header holds the
 * definitions.
 */
#ifndef ESCTL_FUZZ_SCRATCH_H
#define ESCTL_FUZZ_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_scratch[64];

static void
fuzz_scratch_cleanup(void)
{
	if (fuzz_scratch[0] != '\0')
		unlink(fuzz_scratch);
}

/* The scratch file's path (the same for every input). */
static const char *
fuzz_scratch_path(const char *name)
{
	int fd;

	if (fuzz_scratch[0] == '\0') {
		snprintf(fuzz_scratch, sizeof fuzz_scratch,
		    "/tmp/fuzz-%s.XXXXXX", name);
		if ((fd = mkstemp(fuzz_scratch)) == -1)
			abort();
		close(fd);
		atexit(fuzz_scratch_cleanup);
	}
	return fuzz_scratch;
}

#endif
