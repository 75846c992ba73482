/*
 * fuzz-doc.c - libFuzzer target for the YAML/JSON document parser, the
 * YAML emitter and the configuration validator.
 *
 * Properties checked on every input:
 *  - parsing never crashes or leaks; a failure carries a message;
 *  - what parses converts to JSON, is emitted as YAML, and that YAML parses
 *    back to the same JSON (the emitter quotes whatever would read back
 *    differently);
 *  - the same bytes given to the configuration loader either load or fail
 *    with a file:line:col message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_node *root = NULL, *again = NULL;
	struct es_err err = ES_ERR_INIT;
	struct es_buf yaml = ES_BUF_INIT;
	struct config *cfg = NULL;
	cJSON *j, *j2;

	if (doc_parse((const char *)data, size, "fuzz", &root, &err) == -1) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
	} else {
		j = doc_to_json(root);
		if (doc_emit_yaml(j, &yaml, &err) == 0) {
			if (doc_parse(yaml.data, yaml.len, "emitted", &again,
			    &err) == -1)
				abort();	/* our own output must parse */
			j2 = doc_to_json(again);
			if (!cJSON_Compare(j, j2, 1))
				abort();	/* and mean the same */
			cJSON_Delete(j2);
			doc_free(again);
		}
		cJSON_Delete(j);
		es_buf_release(&yaml);
		doc_free(root);
	}
	es_err_clear(&err);
	if (config_parse((const char *)data, size, "fuzz.yaml", &cfg,
	    &err) == -1) {
		if (err.code != ES_EUSAGE || strncmp(err.msg, "fuzz.yaml", 9))
			abort();
	} else
		config_free(cfg);
	return 0;
}
