/*
 * test-nodepool.c - node selectors, node helpers, CSV records and the
 * device status set (lib/node.c, lib/csv.c, lib/device.c).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "csv.h"
#include "device.h"
#include "err.h"
#include "node.h"
#include "unit.h"

static void	test_selector_canon(struct unit_t *);
static void	test_selector_match(struct unit_t *);
static void	test_node_helpers(struct unit_t *);
static void	test_csv_records(struct unit_t *);
static void	test_device_statuses(struct unit_t *);

static void
test_selector_canon(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	char *j;

	UT_EQ_INT(t, node_selector_canon("pool=general,zone=a", &j, &err), 0);
	UT_EQ_STR(t, j, "{\"pool\":\"general\",\"zone\":\"a\"}");
	free(j);
	/* the same key twice: the last wins, as for kubectl -l */
	UT_EQ_INT(t, node_selector_canon("a=1,a=2", &j, &err), 0);
	UT_EQ_STR(t, j, "{\"a\":\"2\"}");
	free(j);
	UT_EQ_INT(t, node_selector_canon(" {\"pool\": \"x\"}", &j, &err), 0);
	UT_EQ_STR(t, j, "{\"pool\":\"x\"}");
	free(j);
	/* empty selectors are none */
	UT_EQ_INT(t, node_selector_canon("", &j, &err), 0);
	UT_ASSERT(t, j == NULL);
	UT_EQ_INT(t, node_selector_canon("{}", &j, &err), 0);
	UT_ASSERT(t, j == NULL);
	UT_EQ_INT(t, node_selector_canon(NULL, &j, &err), 0);
	UT_ASSERT(t, j == NULL);
	/* misuse: code and message */
	UT_EQ_INT(t, node_selector_canon("pool", &j, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_ASSERT(t, strstr(err.msg, "invalid selector 'pool'") != NULL);
	UT_EQ_INT(t, node_selector_canon("=x", &j, &err), -1);
	UT_EQ_INT(t, node_selector_canon("a b=c", &j, &err), -1);
	UT_EQ_INT(t, node_selector_canon("{\"a\": 1}", &j, &err), -1);
	UT_ASSERT(t, strstr(err.msg, "string values") != NULL);
	UT_EQ_INT(t, node_selector_canon("[1]", &j, &err), -1);
}

static void
test_selector_match(struct unit_t *t)
{
	cJSON *node, *sel;

	node = cJSON_Parse("{\"metadata\": {\"labels\": {\"pool\": "
	    "\"general\", \"zone\": \"a\"}}}");
	sel = cJSON_Parse("{\"pool\": \"general\"}");
	UT_EQ_INT(t, node_selector_match(sel, node), 1);
	UT_EQ_INT(t, node_selector_match(NULL, node), 1);
	cJSON_Delete(sel);
	sel = cJSON_Parse("{\"pool\": \"general\", \"zone\": \"b\"}");
	UT_EQ_INT(t, node_selector_match(sel, node), 0);
	cJSON_Delete(sel);
	sel = cJSON_Parse("{\"gpu\": \"true\"}");
	UT_EQ_INT(t, node_selector_match(sel, node), 0);
	cJSON_Delete(sel);
	cJSON_Delete(node);
}

static void
test_node_helpers(struct unit_t *t)
{
	cJSON *n;

	n = cJSON_Parse("{\"spec\": {\"unschedulable\": true}, \"status\": "
	    "{\"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}], "
	    "\"addresses\": [{\"type\": \"Hostname\", \"address\": \"w1\"}, "
	    "{\"type\": \"InternalIP\", \"address\": \"10.0.0.1\"}]}}");
	UT_EQ_INT(t, node_is_ready(n), 1);
	UT_EQ_INT(t, node_is_cordoned(n), 1);
	UT_EQ_STR(t, node_address(n, "InternalIP"), "10.0.0.1");
	UT_EQ_STR(t, node_address(n, "Hostname"), "w1");
	UT_ASSERT(t, node_address(n, "ExternalIP") == NULL);
	cJSON_Delete(n);
	n = cJSON_Parse("{\"status\": {\"conditions\": [{\"type\": \"Ready\", "
	    "\"status\": \"Unknown\"}]}}");
	UT_EQ_INT(t, node_is_ready(n), 0);
	UT_EQ_INT(t, node_is_cordoned(n), 0);
	cJSON_Delete(n);
}

static void
test_csv_records(struct unit_t *t)
{
	const char *s = "a, b ,\"c,d\"\r\n\n\"say \"\"hi\"\"\",\"x\ny\",\n"
	    "\"open";
	struct csv_reader r;
	struct csv_record rec = CSV_RECORD_INIT;

	csv_init(&r, s, strlen(s));
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, (int)rec.n, 3);
	UT_EQ_STR(t, rec.fields[0], "a");
	UT_EQ_STR(t, rec.fields[1], "b");
	UT_EQ_STR(t, rec.fields[2], "c,d");
	UT_EQ_INT(t, (int)rec.line, 1);
	/* a blank line skipped; a quoted newline inside the record */
	UT_EQ_INT(t, csv_next(&r, &rec), 1);
	UT_EQ_INT(t, (int)rec.n, 3);
	UT_EQ_STR(t, rec.fields[0], "say \"hi\"");
	UT_EQ_STR(t, rec.fields[1], "x\ny");
	UT_EQ_STR(t, rec.fields[2], "");
	UT_EQ_INT(t, (int)rec.line, 3);
	/* a quote never closed: malformed, on the line it starts */
	UT_EQ_INT(t, csv_next(&r, &rec), -1);
	UT_EQ_INT(t, (int)rec.line, 5);
	csv_record_release(&rec);
}

static void
test_device_statuses(struct unit_t *t)
{
	struct es_err err = ES_ERR_INIT;
	const char *ok[] = { "available", "in_pool", "cordoned",
	    "maintenance", "removing", "offline", NULL };
	int i;

	for (i = 0; ok[i] != NULL; i++)
		UT_EQ_INT(t, device_status_check(ok[i], &err), 0);
	UT_EQ_INT(t, device_status_check("In_Pool", &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_ASSERT(t, strstr(err.msg, "invalid device status 'In_Pool': use "
	    DEVICE_STATUSES) != NULL);
	UT_EQ_INT(t, device_status_check(NULL, &err), -1);
	UT_EQ_STR(t, device_columns[0], "ci_code");
}

const struct unit_test unit_nodepool_tests[] = {
	{ "selector_canon", test_selector_canon },
	{ "selector_match", test_selector_match },
	{ "node_helpers", test_node_helpers },
	{ "csv_records", test_csv_records },
	{ "device_statuses", test_device_statuses },
	{ NULL, NULL }
};
