/*
 * test-csv.c - unit tests for the one CSV reader.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "unit.h"
#include "xmalloc.h"

static void
test_csv_records(struct unit_t *t)
{
	static const char in[] = "\xef\xbb\xbf" "a, b ,\"c,d\"\r\n"
	    "\n"
	    "\"x\"\"y\",\"two\nlines\",  \r\n"
	    "last";
	struct csv_reader r;
	struct csv_record rec = CSV_RECORD_INIT;

	csv_init(&r, in, sizeof in - 1);
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, rec.n, 3);
	UT_EQ_INT(t, rec.line, 1);
	UT_EQ_STR(t, rec.fields[0], "a");
	UT_EQ_STR(t, rec.fields[1], "b");
	UT_EQ_STR(t, rec.fields[2], "c,d");
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, rec.line, 3);
	UT_EQ_INT(t, rec.n, 3);
	UT_EQ_STR(t, rec.fields[0], "x\"y");
	UT_EQ_STR(t, rec.fields[1], "two\nlines");
	UT_EQ_STR(t, rec.fields[2], "");
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, rec.line, 5);
	UT_EQ_STR(t, rec.fields[0], "last");
	UT_EQ_INT(t, csv_next(&r, &rec), 0);
	csv_record_release(&rec);
}

static void
test_csv_malformed(struct unit_t *t)
{
	static const char *bad[] = { "a,\"open\n", "\"x\"y,1\n", NULL };
	struct csv_reader r;
	struct csv_record rec = CSV_RECORD_INIT;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		csv_init(&r, bad[i], strlen(bad[i]));
		UT_EQ_INT(t, csv_next(&r, &rec), -1);
		UT_EQ_INT(t, rec.line, 1);
	}
	csv_record_release(&rec);
	csv_init(&r, "", 0);
	UT_EQ_INT(t, csv_next(&r, &rec), 0);
}

/*
 * A trailing comma at the very end of the input is one more, empty field;
 * the reader must not look past the buffer for a quote (ASan saw it).
 */
static void
test_csv_trailing_comma(struct unit_t *t)
{
	struct csv_reader r;
	struct csv_record rec = CSV_RECORD_INIT;
	char *buf = xstrdup("a,");

	csv_init(&r, buf, 2);		/* no NUL inside the range */
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, (int)rec.n, 2);
	UT_EQ_STR(t, rec.fields[0], "a");
	UT_EQ_STR(t, rec.fields[1], "");
	UT_EQ_INT(t, csv_next(&r, &rec), 0);
	csv_record_release(&rec);
	free(buf);
}

const struct unit_test unit_csv_tests[] = {
	{ "trailing-comma", test_csv_trailing_comma },
	{ "records", test_csv_records },
	{ "malformed", test_csv_malformed },
	{ NULL, NULL }
};
