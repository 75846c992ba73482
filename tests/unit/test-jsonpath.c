/*
 * test-jsonpath.c - unit tests for the kubectl JSONPath subset.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "unit.h"

static const char jp_doc[] =
    "{\"kind\":\"List\",\"items\":["
    "{\"name\":\"a\",\"n\":1,\"tags\":[\"x\",\"y\"],\"m\":{\"k\":true},"
    "\"q\":null},"
    "{\"name\":\"b\",\"n\":0.30000000000000004,\"tags\":[],\"m\":{}}]}";

/* Runs tmpl over jp_doc into a new string (caller frees), or NULL. */
static char *
jp_run(const char *tmpl)
{
	struct es_err err = ES_ERR_INIT;
	struct es_buf b = ES_BUF_INIT;
	struct jsonpath *jp;
	cJSON *j = cJSON_Parse(jp_doc);

	if ((jp = jsonpath_compile(tmpl, &err)) == NULL) {
		cJSON_Delete(j);
		return NULL;
	}
	jsonpath_exec(jp, j, &b);
	jsonpath_free(jp);
	cJSON_Delete(j);
	return es_buf_detach(&b, NULL);
}

#define JP_EQ(t, tmpl, want) do {					\
	char *jp_s_ = jp_run(tmpl);					\
	UT_EQ_STR((t), jp_s_, (want));					\
	free(jp_s_);							\
} while (0)

static void
test_jsonpath_fields(struct unit_t *t)
{
	JP_EQ(t, "{.kind}", "List");
	JP_EQ(t, "{$.kind}", "List");
	JP_EQ(t, "kind={.kind}!", "kind=List!");
	JP_EQ(t, "{.items[*].name}", "a b");
	JP_EQ(t, "{.items[0].name}", "a");
	JP_EQ(t, "{.items[-1].name}", "b");
	JP_EQ(t, "{.items[5].name}", "");
	JP_EQ(t, "{.items[0].tags}", "[\"x\",\"y\"]");
	JP_EQ(t, "{.items[0].tags[1]}", "y");
	JP_EQ(t, "{.items[0]['name']}", "a");
	JP_EQ(t, "{.items[0].m}", "{\"k\":true}");
	JP_EQ(t, "{.items[0].m.k}", "true");
	/* missing keys and null print nothing (allowMissingKeys) */
	JP_EQ(t, "{.items[0].nope}", "");
	JP_EQ(t, "{.items[0].q}", "");
	/* declared precision: no 0.30000000000000004 */
	JP_EQ(t, "{.items[*].n}", "1 0.3");
	JP_EQ(t, "{..k}", "true");
	JP_EQ(t, "{.items[*].tags[*]}", "x y");
}

static void
test_jsonpath_range(struct unit_t *t)
{
	JP_EQ(t, "{range .items[*]}{.name}{\"\\n\"}{end}", "a\nb\n");
	JP_EQ(t, "{range .items[*]}[{.name}:{range .tags[*]}{@},{end}]{end}",
	    "[a:x,y,][b:]");
	JP_EQ(t, "{range .items[*]}{$.kind}/{.name} {end}", "List/a List/b ");
	JP_EQ(t, "{\"a\\tb\"}", "a\tb");
	JP_EQ(t, "{\"}\"}", "}");
}

static void
test_jsonpath_errors(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	static const char *bad[] = { "{.a", "{range .items[*]}{.x}", "{end}",
	    "{.items[?(@.n>1)]}", "{.items[1:2]}", "{}", "{.a..}",
	    "{.a b}", NULL };
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		es_err_clear(&err);
		UT_ASSERT(t, jsonpath_compile(bad[i], &err) == NULL);
		UT_EQ_INT(t, err.code, ES_EUSAGE);
		UT_ASSERT(t, strncmp(err.msg, "jsonpath: ", 10) == 0);
	}
	UT_ASSERT(t, jsonpath_compile_expr("name", &err) == NULL);
}

static void
test_jsonpath_values(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	struct jsonpath *jp;
	const cJSON **v;
	cJSON *j = cJSON_Parse(jp_doc);
	size_t n;
	char num[64];

	jp = jsonpath_compile_expr("{.items[*].name}", &err);
	UT_ASSERT(t, jp != NULL);
	v = jsonpath_values(jp, j, &n);
	UT_EQ_INT(t, n, 2);
	UT_EQ_STR(t, v[1]->valuestring, "b");
	free(v);
	jsonpath_free(jp);
	jp = jsonpath_compile_expr(".kind", &err);
	v = jsonpath_values(jp, j, &n);
	UT_EQ_INT(t, n, 1);
	free(v);
	jsonpath_free(jp);
	cJSON_Delete(j);
	jsonpath_number(0.1 + 0.2, num, sizeof num);
	UT_EQ_STR(t, num, "0.3");
	jsonpath_number(1e20, num, sizeof num);
	UT_EQ_STR(t, num, "1e+20");
	jsonpath_number(-42, num, sizeof num);
	UT_EQ_STR(t, num, "-42");
	jsonpath_number(2.5e-7, num, sizeof num);
	UT_EQ_STR(t, num, "2.5e-07");
}

/* The reference: "%.*g" at the first precision that reads back. */
static void
jp_float_ref(float f, char *buf, size_t len)
{
	int p;

	for (p = 1; p <= 9; p++) {
		snprintf(buf, len, "%.*g", p, (double)f);
		if (strtof(buf, NULL) == f)
			return;
	}
}

/*
 * Search distances are float32: the fewest digits that read back as the
 * same float, exactly what the reference loop of snprintf and strtof
 * prints, over every exponent and random mantissas.
 */
static void
test_jsonpath_float(struct unit_t *t)
{
	static const struct { float f; const char *s; } cases[] = {
		{ 0.1f, "0.1" }, { 1.0f / 3, "0.33333334" },
		{ 145195.5f, "145195.5" }, { -2.5e-7f, "-2.5e-07" },
		{ 1e-5f, "1e-05" }, { 0.0001f, "0.0001" },
		{ 16777216.0f, "16777216" }, { 3.4028235e38f, "3.4028235e+38" },
		{ 1e21f, "1e+21" }, { 123456.79f, "123456.79" },
		{ 0.5f, "0.5" }, { -0.0f, "0" }, { 1.17549435e-38f,
		"1.1754944e-38" }, { 1e-45f, "1e-45" },
	};
	uint64_t x = 88172645463325252ull;
	uint32_t u;
	char got[64], want[64];
	size_t i, n;
	float f;
	int bad = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = jsonpath_float(cases[i].f, got, sizeof got);
		UT_EQ_STR(t, got, cases[i].s);
		UT_EQ_INT(t, n, strlen(cases[i].s));
	}
	jsonpath_float(NAN, got, sizeof got);
	UT_EQ_STR(t, got, "null");
	jsonpath_float(-INFINITY, got, sizeof got);
	UT_EQ_STR(t, got, "null");
	/* at a power of two the float below is half as far */
	for (i = 0; i < 300; i++) {
		f = ldexpf(1, (int)i - 149);
		jsonpath_float(f, got, sizeof got);
		jp_float_ref(f, want, sizeof want);
		if (f < 1 && strcmp(got, want) != 0 && bad++ < 5)
			UT_EQ_STR(t, got, want);
	}
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = (uint32_t)x;
		if (i % 2 == 0)		/* any bit pattern */
			memcpy(&f, &u, sizeof f);
		else			/* distances: fractions of integers */
			f = (float)((double)(u % 100000000) /
			    (double)(1u << (x >> 40) % 24));
		if (!isfinite(f))
			continue;
		jsonpath_float(f, got, sizeof got);
		if (fabsf(f) < 9e15f && f == (float)(long long)f)
			snprintf(want, sizeof want, "%lld", (long long)f);
		else
			jp_float_ref(f, want, sizeof want);
		if (strcmp(got, want) != 0 && bad++ < 5)
			UT_EQ_STR(t, got, want);
	}
	UT_EQ_INT(t, bad, 0);
}

const struct unit_test unit_jsonpath_tests[] = {
	{ "fields", test_jsonpath_fields },
	{ "range", test_jsonpath_range },
	{ "errors", test_jsonpath_errors },
	{ "values", test_jsonpath_values },
	{ "float", test_jsonpath_float },
	{ NULL, NULL }
};
