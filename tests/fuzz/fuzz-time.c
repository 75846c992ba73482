/*
 * fuzz-time.c - libFuzzer target for the time and duration parsers of
 * outside input: report timestamps (metrics_parse_rfc3339), the times of
 * a maintenance request and of every --since/--from/--until
 * (util_time_parse), durations (util_parse_duration, _ms: --max-skew,
 * --older-than, --timeout, config values) and the dashboard's range.
 *
 * Each input is one NUL-free string (cut at the first NUL).  Properties:
 *  - nothing crashes or overflows (UBSan is fatal);
 *  - a failure is ES_EUSAGE with a message quoting the input;
 *  - results stay in their documented ranges: durations 0 to 100 years,
 *    @UNIX times 0 to 9999-12-31, an RFC 3339 time accepted by
 *    metrics_parse_rfc3339 and util_time_parse are one second apart at
 *    most (one keeps milliseconds, the other not); a date
 *    (2026-02-31) or UTC time accepted reads back as written, so no
 *    impossible day is moved into the next month.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dashboard.h"
#include "metrics.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static int	fuzz_rfc_shape(const char *, size_t);

#define FUZZ_NOW	1796644800	/* 2026-12-07T12:00:00Z */
#define HUNDRED_YEARS	(100LL * 365 * 86400)

/*
 * 1 for "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM:SSZ" (not a leap second):
 * the shapes that read back unchanged.
 */
static int
fuzz_rfc_shape(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (len != 10 && len != 20)
		return 0;
	for (i = 0; i < len; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    shape[i] == 'T' || shape[i] == 'Z' ? toupper((unsigned
		    char)s[i]) != shape[i] : s[i] != shape[i])
			return 0;
	}
	return len == 10 || strncmp(s + 17, "60", 2) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_err err = ES_ERR_INIT;
	long long ms, v, secs;
	time_t t;
	char *s, out[UTIL_TIME_LEN];
	size_t len;
	int rfc;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	rfc = metrics_parse_rfc3339(s, &ms) == 0;
	if (util_time_parse(s, "--start", FUZZ_NOW, &t, &err) == 0) {
		if (s[0] == '@' && (t < 0 || t > 253402300799LL))
			abort();
		if ((s[0] == '-' || s[0] == '+') && (t < FUZZ_NOW -
		    HUNDRED_YEARS || t > FUZZ_NOW + HUNDRED_YEARS))
			abort();
		if (rfc && (t - ms / 1000 > 1 || ms / 1000 - t > 1))
			abort();
		/* a date or a UTC time in RFC 3339 shape reads back as
		   written (Feb 31 is not moved to March) */
		util_time_format(t, out);
		len = strlen(s);
		if (fuzz_rfc_shape(s, len) && strncasecmp(out, s, len == 10 ?
		    10 : 19) != 0)
			abort();
	} else if (err.code != ES_EUSAGE || strstr(err.msg, "--start") ==
	    NULL)
		abort();
	es_err_clear(&err);
	if (util_parse_duration_ms(s, "--timeout", &v, &err) == 0) {
		if (v < 0 || v > HUNDRED_YEARS * 1000 + 999)
			abort();
	} else if (err.code != ES_EUSAGE || err.msg[0] == '\0')
		abort();
	es_err_clear(&err);
	if (util_parse_duration(s, "--older-than", &secs, &err) == 0) {
		if (secs < 0 || secs > HUNDRED_YEARS + 1)
			abort();
	} else if (err.code != ES_EUSAGE)
		abort();
	es_err_clear(&err);
	if (dashboard_range_parse(s, &secs, &err) == 0) {
		if (secs != 86400 && secs != 7 * 86400 && secs != 30 * 86400)
			abort();
	} else if (err.code != ES_EUSAGE)
		abort();
	free(s);
	return 0;
}
