/*
 * fuzz-create.c - libFuzzer target for the inputs of cluster create: a
 * --from-file document (JSON or YAML) and a repository manifest.
 *
 * Properties checked on every input:
 *  - a document either gives a spec or fails with a message; a spec that
 *    validates has a DNS-1123 namespace and request <= limit, and its
 *    objects build;
 *  - ${VAR} substitution either fails with a name:line message or gives
 *    text the stream parser takes or refuses with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "clusterobj.h"
#include "doc.h"
#include "gitcfg.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *
fuzz_var(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "NAMESPACE") == 0)
		return "org-001-alice-search";
	if (strcmp(name, "REPLICAS") == 0)
		return "2";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_node *root = NULL, *stream = NULL;
	struct cluster_spec s;
	struct clusterobj_env e;
	struct es_err err = ES_ERR_INIT;
	struct es_buf b = ES_BUF_INIT;
	cJSON *objs;

	cluster_spec_init(&s);
	if (doc_parse((const char *)data, size, "in.yaml", &root, &err) == 0) {
		if (cluster_spec_from_doc(&s, root, "in.yaml", &err) == 0) {
			if (cluster_spec_finish(&s, &err) == 0) {
				if (!util_dns1123_label(s.namespace))
					abort();
				memset(&e, 0, sizeof e);
				e.spec = &s;
				e.creation_id = "fuzz";
				objs = clusterobj_builtin(&e);
				if (cJSON_GetArraySize(objs) < 3)
					abort();
				cJSON_Delete(objs);
			} else if (err.msg[0] == '\0' || err.code != ES_EUSAGE)
				abort();
		} else if (err.msg[0] == '\0' || err.code != ES_EUSAGE)
			abort();
		doc_free(root);
	} else if (err.msg[0] == '\0')
		abort();
	cluster_spec_release(&s);

	es_err_clear(&err);
	if (gitcfg_substitute((const char *)data, size, "m.yaml", fuzz_var,
	    NULL, &b, &err) == 0) {
		if (doc_parse_stream(b.data, b.len, "m.yaml", &stream,
		    &err) == 0)
			doc_free(stream);
		else if (err.msg[0] == '\0')
			abort();
	} else if (strncmp(err.msg, "m.yaml:", 7) != 0)
		abort();
	es_buf_release(&b);
	return 0;
}
