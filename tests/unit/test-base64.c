/*
 * test-base64.c - unit tests for base64 through libcrypto.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "unit.h"

static void
test_base64_roundtrip(struct unit_t *t)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar", NULL };
	static const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy", NULL };
	struct es_buf b = ES_BUF_INIT;
	char *out;
	size_t len;
	int i;

	for (i = 0; in[i] != NULL; i++) {
		es_buf_reset(&b);
		base64_encode(&b, in[i], strlen(in[i]));
		UT_EQ_STR(t, b.data, want[i]);
		UT_EQ_INT(t, base64_decode(b.data, &out, &len), 0);
		UT_EQ_INT(t, len, strlen(in[i]));
		UT_EQ_STR(t, out, in[i]);
		free(out);
	}
	es_buf_release(&b);
	/* URL alphabet, no padding, line breaks */
	UT_EQ_INT(t, base64_decode("Zm9v\nYmE", &out, &len), 0);
	UT_EQ_STR(t, out, "fooba");
	free(out);
	UT_EQ_INT(t, base64_decode("-_8", &out, &len), 0);
	UT_EQ_INT(t, len, 2);
	UT_EQ_INT(t, (unsigned char)out[0], 0xfb);
	UT_EQ_INT(t, (unsigned char)out[1], 0xff);
	free(out);
	/* not base64 */
	UT_EQ_INT(t, base64_decode("Zm9v!", &out, &len), -1);
	UT_EQ_INT(t, base64_decode("Z", &out, &len), -1);
	UT_EQ_INT(t, base64_decode("Zg==Zg", &out, &len), -1);
	UT_EQ_INT(t, base64_decode("Zg===", &out, &len), -1);
}

const struct unit_test unit_base64_tests[] = {
	{ "roundtrip", test_base64_roundtrip },
	{ NULL, NULL }
};
