/*
 * fuzz-kubeconfig.c - libFuzzer target for the kubeconfig parser.
 *
 * Built and run by `make fuzz` (scripts/fuzz) with clang's
 * -fsanitize=fuzzer,address,undefined; the seed corpus is
 * testdata/fuzz/kubeconfig/.  Parsing must never crash, leak or run
 * anything: it either succeeds, or fails with an exit class and a message.
 * The first input byte also picks the context asked for, so selection and
 * its errors are reached too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *contexts[] = { NULL, "prod", "c", "a", "lab" };
	struct kube_config *kc = NULL, *dup;
	struct es_err err = ES_ERR_INIT;
	struct kube_tls tls;
	const char *ctx = contexts[size > 0 ? data[0] % 5 : 0];
	cJSON *list;

	if (kube_config_parse((const char *)data, size, "fuzz", "/nonexistent",
	    ctx, &kc, &err) == -1) {
		if (err.code == 0 || err.msg[0] == '\0' ||
		    strlen(err.msg) >= sizeof err.msg)
			abort();
		return 0;
	}
	/* everything reachable from a parsed config */
	(void)kube_config_server(kc);
	(void)kube_config_namespace(kc);
	(void)kube_auth_name(kube_config_auth(kc));
	kube_config_tls(kc, &tls);
	if (tls.ca_data != NULL && tls.ca_len > 0)
		(void)tls.ca_data[tls.ca_len - 1];
	list = kube_config_contexts(kc);
	cJSON_Delete(list);
	dup = kube_config_dup(kc);
	kube_config_free(kc);
	(void)kube_config_user(dup);
	kube_config_free(dup);
	return 0;
}
