/*
 * fuzz-doctab.h - the properties the fuzz target fuzz-doctab.c checks on
 * one input, shared with the unit test that replays its corpus.  One
 * translation unit each: definitions.
 *
 * An input is one byte of mode and then a documents' table (docs.tab,
 * lib/doctab.h).  Mode bit 0: the header's checksum is recomputed first
 * (the 64-byte header's last 8 bytes, XXH64 of the 56 before them), so
 * that the structural checks are reached, not only the sum.  The table is
 * opened for the index id it names and a count from the mode's other bits.
 * Properties:
 *  - opening and reading every position never crash or read outside the
 *    mapping;
 *  - a refusal gives a reason;
 *  - a document read has an id of its stated length with no NUL in it,
 *    and fields (when any) of their stated length followed by a NUL;
 *  - positions outside [0, size) are never held.
 */
#ifndef ESCTL_FUZZ_DOCTAB_H
#define ESCTL_FUZZ_DOCTAB_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "doctab.h"

#define FUZZ_DOCTAB_HDR	64

/* 0: the properties hold; -1: *why says which did not. */
static int
fuzz_doctab_one(const char *path, const uint8_t *data, size_t size,
    const char **why)
{
	struct doctab *dt;
	unsigned char *b;
	const char *reason = NULL, *id, *fields;
	char idbuf[24];
	size_t n, idlen, flen, count;
	int64_t seq, idx = 0;
	uint64_t sum;
	int fd, ok;

	*why = NULL;
	if (size < 1)
		return 0;
	n = size - 1;
	b = malloc(n + 1);
	memcpy(b, data + 1, n);
	if ((data[0] & 1) && n >= FUZZ_DOCTAB_HDR) {
		sum = XXH64(b, FUZZ_DOCTAB_HDR - 8, 0);
		memcpy(b + FUZZ_DOCTAB_HDR - 8, &sum, 8);
	}
	if (n >= 24)
		memcpy(&idx, b + 16, 8);
	ok = (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) != -1 && write(fd, b, n) == (ssize_t)n;
	if (fd != -1 && close(fd) == -1)
		ok = 0;
	free(b);
	if (!ok) {
		*why = "cannot write the scratch file";
		return -1;
	}
	/* a count the table fits in, or one smaller */
	count = data[0] & 2 ? 3 : 1u << 20;
	if ((dt = doctab_open(path, (long long)idx, count, &reason)) ==
	    NULL) {
		if (reason == NULL || reason[0] == '\0') {
			*why = "a refusal without a reason";
			return -1;
		}
		return 0;
	}
	for (seq = -2; seq < (int64_t)doctab_size(dt) + 2 && seq < 4096;
	    seq++) {
		if (!doctab_get(dt, seq, idbuf, &id, &idlen, &fields,
		    &flen)) {
			if (seq >= 0 && (size_t)seq < doctab_size(dt) &&
			    doctab_plain(dt)) {
				*why = "a plain table without a position";
				break;
			}
			continue;
		}
		if (seq < 0 || (size_t)seq >= doctab_size(dt)) {
			*why = "a position outside the table held";
			break;
		}
		if (id == NULL || memchr(id, '\0', idlen) != NULL ||
		    id[idlen] != '\0' || (fields != NULL &&
		    (fields[flen] != '\0' || memchr(fields, '\0', flen) !=
		    NULL))) {
			*why = "a record not as stated";
			break;
		}
		if (doctab_holds(dt, seq) != 1) {
			*why = "a record read but not held";
			break;
		}
	}
	doctab_close(dt);
	return *why == NULL ? 0 : -1;
}

#endif
