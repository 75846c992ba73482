/*
 * test-kube.c - unit tests for kubeconfig parsing and merging, credentials
 * (token files, exec plugins), the client's paths and Status errors, pod
 * status words, wait conditions, the cluster registry, and a regression
 * run of the kubeconfig fuzz corpus with hostile inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "k8scluster.h"
#include "kube.h"
#include "kubeconfig.h"
#include "store.h"
#include "unit.h"
#include "util.h"

static const char kc_basic[] =
"apiVersion: v1\n"
"kind: Config\n"
"clusters:\n"
"- name: c1\n"
"  cluster:\n"
"    server: https://10.0.0.1:6443/\n"
"    certificate-authority: ca.crt\n"
"- name: c2\n"
"  cluster:\n"
"    server: k8s.example:443\n"
"    certificate-authority-data: aGVsbG8=\n"
"    insecure-skip-tls-verify: true\n"
"    tls-server-name: kubernetes\n"
"    proxy-url: http://proxy:3128\n"
"users:\n"
"- name: u1\n"
"  user:\n"
"    token: secret-token\n"
"- name: u2\n"
"  user:\n"
"    client-certificate: certs/u2.crt\n"
"    client-key: /abs/u2.key\n"
"- name: u3\n"
"  user:\n"
"    username: admin\n"
"    password: pw\n"
"contexts:\n"
"- name: a\n"
"  context: {cluster: c1, user: u1, namespace: ns-a}\n"
"- name: b\n"
"  context: {cluster: c2, user: u2}\n"
"- name: basic\n"
"  context: {cluster: c2, user: u3}\n"
"current-context: a\n";

static int
write_file(const char *path, const char *text)
{
	struct es_err err = ES_ERR_INIT;

	return util_write_file_atomic(path, text, strlen(text), 0700, &err);
}

static void
test_kubeconfig_parse(struct unit_t *t)
{
	struct kube_config *kc, *d;
	struct es_err err = ES_ERR_INIT;
	struct kube_tls tls;
	struct kube_creds cr;
	cJSON *ctxs;

	UT_EQ_INT(t, kube_config_parse(kc_basic, strlen(kc_basic), "kc",
	    "/etc/kube", NULL, &kc, &err), 0);
	if (kc == NULL)
		return;
	UT_EQ_STR(t, kube_config_context(kc), "a");
	UT_EQ_STR(t, kube_config_cluster(kc), "c1");
	UT_EQ_STR(t, kube_config_user(kc), "u1");
	UT_EQ_STR(t, kube_config_server(kc), "https://10.0.0.1:6443");
	UT_EQ_STR(t, kube_config_namespace(kc), "ns-a");
	UT_EQ_INT(t, kube_config_auth(kc), KUBE_AUTH_TOKEN);
	kube_config_tls(kc, &tls);
	UT_EQ_STR(t, tls.ca_file, "/etc/kube/ca.crt");
	UT_ASSERT(t, !tls.insecure);
	UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr, &err), 0);
	UT_EQ_STR(t, cr.token, "secret-token");
	ctxs = kube_config_contexts(kc);
	UT_EQ_INT(t, cJSON_GetArraySize(ctxs), 3);
	UT_ASSERT(t, cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(ctxs,
	    0), "current")));
	cJSON_Delete(ctxs);
	d = kube_config_dup(kc);
	kube_config_free(kc);
	UT_EQ_STR(t, kube_config_server(d), "https://10.0.0.1:6443");
	kube_config_free(d);

	UT_EQ_INT(t, kube_config_parse(kc_basic, strlen(kc_basic), "kc",
	    "/etc/kube", "b", &kc, &err), 0);
	if (kc == NULL)
		return;
	UT_EQ_STR(t, kube_config_server(kc), "https://k8s.example:443");
	UT_EQ_STR(t, kube_config_namespace(kc), "default");
	UT_EQ_INT(t, kube_config_auth(kc), KUBE_AUTH_CERT);
	kube_config_tls(kc, &tls);
	UT_EQ_INT(t, (long long)tls.ca_len, 5);
	UT_ASSERT(t, tls.ca_data != NULL && memcmp(tls.ca_data, "hello", 5) ==
	    0);
	UT_ASSERT(t, tls.insecure);
	UT_EQ_STR(t, tls.server_name, "kubernetes");
	UT_EQ_STR(t, tls.proxy_url, "http://proxy:3128");
	UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr, &err), 0);
	UT_EQ_STR(t, cr.cert_file, "/etc/kube/certs/u2.crt");
	UT_EQ_STR(t, cr.key_file, "/abs/u2.key");
	UT_ASSERT(t, cr.token == NULL);
	kube_config_free(kc);

	UT_EQ_INT(t, kube_config_parse(kc_basic, strlen(kc_basic), "kc", NULL,
	    "basic", &kc, &err), 0);
	if (kc == NULL)
		return;
	UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr, &err), 0);
	UT_EQ_STR(t, cr.username, "admin");
	UT_EQ_STR(t, cr.password, "pw");
	UT_EQ_STR(t, kube_auth_name(kube_config_auth(kc)), "basic");
	kube_config_free(kc);
}

/* Parses text and expects failure with code and a message fragment. */
static void
expect_fail(struct unit_t *t, const char *text, const char *context,
    int code, const char *frag)
{
	struct kube_config *kc = NULL;
	struct es_err err = ES_ERR_INIT;

	if (kube_config_parse(text, strlen(text), "kc", NULL, context, &kc,
	    &err) != -1) {
		unit_fail(t, __FILE__, __LINE__, "parse of <%s> succeeded",
		    text);
		kube_config_free(kc);
		return;
	}
	UT_EQ_INT(t, err.code, code);
	if (strstr(err.msg, frag) == NULL)
		unit_fail(t, __FILE__, __LINE__, "'%s' lacks '%s'", err.msg,
		    frag);
}

static void
test_kubeconfig_errors(struct unit_t *t)
{
	expect_fail(t, "- a\n- b\n", NULL, ES_EUSAGE,
	    "a kubeconfig must be a mapping");
	expect_fail(t, "clusters: {a: 1}\n", NULL, ES_EUSAGE,
	    "kc:1:1: 'clusters' must be a list");
	expect_fail(t, "clusters: [{name: a}, {name: a}]\n", NULL, ES_EUSAGE,
	    "duplicate name 'a' in 'clusters'");
	expect_fail(t, "clusters: [{cluster: {server: x}}]\n", NULL, ES_EUSAGE,
	    "an entry of 'clusters' has no name");
	expect_fail(t, "kind: Pod\n", NULL, ES_EUSAGE,
	    "kind 'Pod' is not a kubeconfig");
	expect_fail(t, "clusters: []\n", NULL, ES_EUSAGE,
	    "has no current-context");
	expect_fail(t, "current-context: x\n", NULL, ES_ENOTFOUND,
	    "context 'x' not found");
	expect_fail(t, "contexts: [{name: x, context: {cluster: c}}]\n"
	    "current-context: x\n", NULL, ES_ENOTFOUND,
	    "cluster 'c' of context 'x' not found");
	expect_fail(t, "clusters: [{name: c, cluster: {}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n", "x", ES_EUSAGE,
	    "cluster 'c' in 'kc' has no server");
	expect_fail(t, "clusters: [{name: c, cluster: {server: ftp://h}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n", "x", ES_EUSAGE,
	    "only https:// and http://");
	expect_fail(t, "clusters: [{name: c, cluster: {server: 'https://'}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n", "x", ES_EUSAGE,
	    "server 'https://' of cluster 'c': ");
	expect_fail(t, "clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n", "x",
	    ES_EUSAGE, "uses auth-provider 'gcp', which esctl does not "
	    "support");
	expect_fail(t, "clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {token: t, username: x}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n", "x",
	    ES_EUSAGE, "not both");
	expect_fail(t, "clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {client-certificate: a}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n", "x",
	    ES_EUSAGE, "needs a client key");
	expect_fail(t, "clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {exec: {command: x, apiVersion: "
	    "client.authentication.k8s.io/v1alpha1}}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n", "x",
	    ES_EUSAGE, "v1alpha1' is not supported");
	expect_fail(t, "clusters: [{name: c, cluster: {server: h, "
	    "certificate-authority-data: '@@'}}]\n", NULL, ES_EUSAGE,
	    "'certificate-authority-data' is not valid base64");
	expect_fail(t, "users: [{name: u, user: {exec: {apiVersion: v}}}]\n",
	    NULL, ES_EUSAGE, "has no command");
	expect_fail(t, "users: [{name: u, user: {exec: {command: c, env: "
	    "[{value: v}]}}}]\n", NULL, ES_EUSAGE,
	    "exec 'env' must be a list of {name, value}");
	expect_fail(t, "clusters: [\n", NULL, ES_EUSAGE, "kc:");
}

static void
test_kubeconfig_merge(struct unit_t *t)
{
	struct kube_config *kc = NULL;
	struct es_err err = ES_ERR_INIT;
	char *a, *b, *list;

	a = xasprintf("%s/a/config", t->tmpdir);
	b = xasprintf("%s/b/config", t->tmpdir);
	{
		char *da = util_dirname(a), *db = util_dirname(b);
		struct es_err e2 = ES_ERR_INIT;

		util_mkdir_p(da, 0700, &e2);
		util_mkdir_p(db, 0700, &e2);
		free(da);
		free(db);
	}
	write_file(a, "clusters: [{name: c, cluster: {server: https://a, "
	    "certificate-authority: ca-a}}]\n"
	    "users: [{name: u, user: {token: ta}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	write_file(b, "clusters: [{name: c, cluster: {server: https://b}},"
	    " {name: c2, cluster: {server: https://b2, certificate-authority: "
	    "ca-b}}]\n"
	    "users: [{name: u, user: {token: tb}}]\n"
	    "contexts: [{name: x, context: {cluster: c2, user: u}},"
	    " {name: y, context: {cluster: c2, user: u}}]\n"
	    "current-context: y\n");
	list = xasprintf("%s/missing:%s:%s", t->tmpdir, a, b);
	UT_EQ_INT(t, kube_config_load(list, NULL, &kc, &err), 0);
	if (kc != NULL) {
		struct kube_tls tls;
		struct kube_creds cr;
		char *want;

		/* current-context y from b; cluster c2 from b; user u from a */
		UT_EQ_STR(t, kube_config_context(kc), "y");
		UT_EQ_STR(t, kube_config_server(kc), "https://b2");
		kube_config_tls(kc, &tls);
		want = xasprintf("%s/b/ca-b", t->tmpdir);
		UT_EQ_STR(t, tls.ca_file, want);
		free(want);
		UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr,
		    &err), 0);
		UT_EQ_STR(t, cr.token, "ta");
		UT_EQ_STR(t, kube_config_source(kc), b);
		kube_config_free(kc);
	}
	/* context x comes from a (c: https://a) */
	UT_EQ_INT(t, kube_config_load(list, "x", &kc, &err), 0);
	if (kc != NULL) {
		UT_EQ_STR(t, kube_config_server(kc), "https://a");
		kube_config_free(kc);
	}
	free(list);
	list = xasprintf("%s/none1:%s/none2", t->tmpdir, t->tmpdir);
	UT_EQ_INT(t, kube_config_load(list, NULL, &kc, &err), -1);
	UT_EQ_INT(t, err.code, ES_ENOTFOUND);
	UT_ASSERT(t, strstr(err.msg, "do not exist") != NULL);
	free(list);
	free(a);
	free(b);
}

static void
test_kubeconfig_token_file(struct unit_t *t)
{
	struct kube_config *kc = NULL;
	struct es_err err = ES_ERR_INIT;
	struct kube_creds cr;
	char *tok, *text;

	tok = xasprintf("%s/token", t->tmpdir);
	write_file(tok, "tok-1\n");
	text = xasprintf("clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {tokenFile: token, token: inline}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	UT_EQ_INT(t, kube_config_parse(text, strlen(text), "kc", t->tmpdir,
	    "x", &kc, &err), 0);
	if (kc != NULL) {
		UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr,
		    &err), 0);
		UT_EQ_STR(t, cr.token, "tok-1");
		/* read again each time */
		write_file(tok, "tok-2");
		UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr,
		    &err), 0);
		UT_EQ_STR(t, cr.token, "tok-2");
		write_file(tok, "\n");
		UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr,
		    &err), -1);
		UT_ASSERT(t, strstr(err.msg, "holds no single-line token") !=
		    NULL);
		unlink(tok);
		UT_EQ_INT(t, kube_config_credentials(kc, 0, 0, NULL, &cr,
		    &err), -1);
		UT_ASSERT(t, strstr(err.msg, "cannot read tokenFile") != NULL);
		kube_config_free(kc);
	}
	free(text);
	free(tok);
}

static void
test_kubeconfig_exec(struct unit_t *t)
{
	struct kube_config *kc = NULL;
	struct es_err err = ES_ERR_INIT;
	struct kube_creds cr;
	struct es_buf b = ES_BUF_INIT;
	char *plugin, *text, *runs;

	plugin = xasprintf("%s/plugin", t->tmpdir);
	runs = xasprintf("%s/runs", t->tmpdir);
	text = xasprintf("#!/bin/sh\necho x >> '%s'\n"
	    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%%s\","
	    "\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}' \"$TOK\"\n",
	    runs);
	write_file(plugin, text);
	free(text);
	text = xasprintf("clusters: [{name: c, cluster: {server: h}}]\n"
	    "users: [{name: u, user: {exec: {apiVersion: "
	    "client.authentication.k8s.io/v1, command: ./plugin, "
	    "env: [{name: TOK, value: from-env}]}}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	UT_EQ_INT(t, kube_config_parse(text, strlen(text), "kc", t->tmpdir,
	    "x", &kc, &err), 0);
	if (kc != NULL) {
		time_t now = 1700000000;

		UT_EQ_INT(t, kube_config_auth(kc), KUBE_AUTH_EXEC);
		UT_EQ_INT(t, kube_config_credentials(kc, now, 5000, NULL, &cr,
		    &err), 0);
		UT_EQ_STR(t, cr.token, "from-env");
		UT_EQ_INT(t, (long long)cr.expires, 1893456000LL);
		/* cached */
		UT_EQ_INT(t, kube_config_credentials(kc, now, 5000, NULL, &cr,
		    &err), 0);
		es_buf_read_file(&b, runs);
		UT_EQ_INT(t, (long long)b.len, 2);
		/* near expiry: asked again */
		UT_EQ_INT(t, kube_config_credentials(kc, 1893456000LL - 5,
		    5000, NULL, &cr, &err), 0);
		/* after a 401 */
		UT_EQ_INT(t, kube_config_invalidate(kc), 1);
		UT_EQ_INT(t, kube_config_invalidate(kc), 0);
		UT_EQ_INT(t, kube_config_credentials(kc, now, 5000, NULL, &cr,
		    &err), 0);
		es_buf_reset(&b);
		es_buf_read_file(&b, runs);
		UT_EQ_INT(t, (long long)b.len, 6);
		kube_config_free(kc);
	}
	es_buf_release(&b);
	free(text);
	free(plugin);
	free(runs);
}

static void
test_kube_paths(struct unit_t *t)
{
	struct kube_ref r;
	struct es_err err = ES_ERR_INIT;
	struct es_buf b = ES_BUF_INIT;
	char *p;

	UT_EQ_INT(t, kube_ref_init(&r, "sts", "ns1", "web", &err), 0);
	r.subresource = "scale";
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/apis/apps/v1/namespaces/ns1/statefulsets/web/scale");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "Pod", NULL, NULL, &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/api/v1/pods");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "namespace", NULL, "a b", &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/api/v1/namespaces/a%20b");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "sa", "kube-system", "system:x/y",
	    &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/api/v1/namespaces/kube-system/serviceaccounts/"
	    "system%3Ax%2Fy");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "pdb", "x", NULL, &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/apis/policy/v1/namespaces/x/poddisruptionbudgets");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "podmetrics", "x", "p", &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/apis/metrics.k8s.io/v1beta1/namespaces/x/pods/p");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "nodemetrics", NULL, NULL, &err), 0);
	p = kube_path(&r);
	UT_EQ_STR(t, p, "/apis/metrics.k8s.io/v1beta1/nodes");
	free(p);
	UT_EQ_INT(t, kube_ref_init(&r, "widgets", NULL, NULL, &err), -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_EQ_INT(t, kube_resource_namespaced("", "nodes"), 0);
	UT_EQ_INT(t, kube_resource_namespaced("apps", "statefulsets"), 1);
	UT_EQ_INT(t, kube_resource_namespaced("x", "y"), -1);
	kube_buf_add_escaped(&b, "app=es,tier in (a b)");
	UT_EQ_STR(t, b.data, "app%3Des%2Ctier%20in%20%28a%20b%29");
	es_buf_release(&b);
}

static void
test_kube_status(struct unit_t *t)
{
	static const struct {
		long		 status;
		const char	*body;
		int		 code;
		const char	*reason;
		const char	*msg;
	} cases[] = {
		{ 404, "{\"kind\":\"Status\",\"reason\":\"NotFound\","
		    "\"message\":\"pods \\\"x\\\" not found\"}", ES_ENOTFOUND,
		    "NotFound", "get pods: pods \"x\" not found (NotFound)" },
		{ 409, "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\","
		    "\"message\":\"exists\"}", ES_ECONFLICT, "AlreadyExists",
		    "get pods: exists (AlreadyExists)" },
		{ 401, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\","
		    "\"message\":\"Unauthorized\"}", ES_EPERM, "Unauthorized",
		    "get pods: Unauthorized (HTTP 401 from S)" },
		{ 403, "{\"kind\":\"Status\",\"reason\":\"Forbidden\","
		    "\"message\":\"no\"}", ES_EPERM, "Forbidden",
		    "get pods: no (Forbidden)" },
		{ 422, "{\"kind\":\"Status\",\"reason\":\"Invalid\","
		    "\"message\":\"bad\"}", ES_EUSAGE, "Invalid",
		    "get pods: bad (Invalid)" },
		{ 429, "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\","
		    "\"message\":\"pdb\",\"details\":{\"causes\":[{\"reason\":"
		    "\"DisruptionBudget\"}]}}", ES_ECONFLICT,
		    "TooManyRequests", "get pods: pdb (TooManyRequests)" },
		{ 429, "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\","
		    "\"message\":\"slow down\"}", ES_EREMOTE,
		    "TooManyRequests",
		    "get pods: slow down (TooManyRequests)" },
		{ 503, "", ES_EREMOTE, "ServiceUnavailable", "get pods: the "
		    "server answered HTTP 503 Service Unavailable, reason "
		    "ServiceUnavailable (HTTP 503 from S)" },
		{ 502, "<html>bad gateway</html>", ES_EREMOTE,
		    "InternalError", "get pods: <html>bad gateway</html>, "
		    "reason InternalError (HTTP 502 from S)" },
		{ 410, "{\"kind\":\"Status\",\"reason\":\"Expired\","
		    "\"message\":\"too old\"}", ES_ECONFLICT, "Expired",
		    "get pods: too old (Expired)" },
	};
	struct es_err err = ES_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		UT_EQ_INT(t, kube_status_err(cases[i].status, cases[i].body,
		    strlen(cases[i].body), "get pods", "S", &err), -1);
		UT_EQ_INT(t, err.code, cases[i].code);
		UT_EQ_STR(t, err.reason, cases[i].reason);
		UT_EQ_STR(t, err.msg, cases[i].msg);
	}
}

static cJSON *
json(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	if (j == NULL)
		fatal("bad test JSON: %s", s);
	return j;
}

static void
test_kube_pod_status(struct unit_t *t)
{
	static const struct {
		const char	*pod;
		const char	*want;
		int		 ready;
	} cases[] = {
		{ "{\"status\":{\"phase\":\"Running\",\"containerStatuses\":"
		    "[{\"ready\":true,\"state\":{\"running\":{}}}]},\"spec\":"
		    "{\"containers\":[{}]}}", "Running", 1 },
		{ "{\"status\":{\"phase\":\"Pending\"},\"spec\":"
		    "{\"containers\":[{},{}]}}", "Pending", 0 },
		{ "{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":"
		    "[{\"state\":{\"waiting\":{\"reason\":"
		    "\"ContainerCreating\"}}}]}}", "ContainerCreating", 0 },
		{ "{\"status\":{\"phase\":\"Running\",\"containerStatuses\":"
		    "[{\"state\":{\"waiting\":{\"reason\":"
		    "\"CrashLoopBackOff\"}}}]}}", "CrashLoopBackOff", 0 },
		{ "{\"status\":{\"phase\":\"Succeeded\",\"containerStatuses\":"
		    "[{\"state\":{\"terminated\":{\"reason\":\"Completed\","
		    "\"exitCode\":0}}}]}}", "Completed", 0 },
		{ "{\"metadata\":{\"deletionTimestamp\":\"x\"},\"status\":"
		    "{\"phase\":\"Running\"}}", "Terminating", 0 },
		{ "{\"spec\":{\"initContainers\":[{},{}]},\"status\":"
		    "{\"phase\":\"Pending\",\"initContainerStatuses\":"
		    "[{\"state\":{\"terminated\":{\"exitCode\":0}}},"
		    "{\"state\":{\"running\":{}}}]}}", "Init:1/2", 0 },
		{ "{\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\"}}",
		    "Evicted", 0 },
	};
	char buf[64];
	size_t i;
	int r, n;
	cJSON *p;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p = json(cases[i].pod);
		kube_pod_status(p, buf, sizeof buf);
		UT_EQ_STR(t, buf, cases[i].want);
		kube_pod_ready(p, &r, &n);
		UT_EQ_INT(t, r, cases[i].ready);
		cJSON_Delete(p);
	}
}

static void
test_kube_conditions(struct unit_t *t)
{
	struct es_buf st = ES_BUF_INIT;
	struct es_err err = ES_ERR_INIT;
	cJSON *o;

	o = json("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":2},"
	    "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":1,"
	    "\"readyReplicas\":3,\"replicas\":3}}");
	UT_EQ_INT(t, kube_cond_rollout(NULL, o, &st, &err), 0);
	UT_EQ_STR(t, st.data, "3/3 ready, waiting for the controller");
	cJSON_Delete(o);
	es_buf_reset(&st);
	o = json("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":2},"
	    "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":2,"
	    "\"readyReplicas\":3,\"replicas\":3,\"updatedReplicas\":1,"
	    "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}");
	UT_EQ_INT(t, kube_cond_rollout(NULL, o, &st, &err), 0);
	UT_EQ_STR(t, st.data, "3/3 ready, 1 updated");
	cJSON_Delete(o);
	es_buf_reset(&st);
	o = json("{\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":2},"
	    "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":2,"
	    "\"readyReplicas\":3,\"replicas\":3,\"updatedReplicas\":3,"
	    "\"currentRevision\":\"b\",\"updateRevision\":\"b\"}}");
	UT_EQ_INT(t, kube_cond_rollout(NULL, o, &st, &err), 1);
	cJSON_Delete(o);
	es_buf_reset(&st);
	o = json("{\"kind\":\"Deployment\",\"metadata\":{\"generation\":1},"
	    "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,"
	    "\"readyReplicas\":2,\"replicas\":3,\"updatedReplicas\":2,"
	    "\"availableReplicas\":2}}");
	UT_EQ_INT(t, kube_cond_rollout(NULL, o, &st, &err), 0);
	cJSON_Delete(o);
	es_buf_reset(&st);
	UT_EQ_INT(t, kube_cond_rollout(NULL, NULL, &st, &err), -1);
	UT_EQ_INT(t, err.code, ES_ENOTFOUND);
	es_buf_reset(&st);
	o = json("{\"status\":{\"phase\":\"Bound\",\"capacity\":"
	    "{\"storage\":\"1Gi\"}}}");
	UT_EQ_INT(t, kube_cond_bound(NULL, o, &st, &err), 1);
	es_buf_reset(&st);
	UT_EQ_INT(t, kube_cond_bound((void *)(uintptr_t)"2Gi", o, &st, &err),
	    0);
	UT_EQ_STR(t, st.data, "Bound, 1Gi");
	cJSON_Delete(o);
	es_buf_reset(&st);
	UT_EQ_INT(t, kube_cond_gone(NULL, NULL, &st, &err), 1);
	o = json("{\"kind\":\"Node\",\"status\":{\"conditions\":[{\"type\":"
	    "\"Ready\",\"status\":\"False\"}]}}");
	UT_EQ_INT(t, kube_cond_ready(NULL, o, &st, &err), 0);
	UT_EQ_STR(t, kube_condition(o, "Ready"), "False");
	UT_ASSERT(t, kube_condition(o, "Other") == NULL);
	cJSON_Delete(o);
	es_buf_release(&st);
}

static void
test_k8scluster(struct unit_t *t)
{
	struct store *st;
	struct es_err err = ES_ERR_INIT;
	struct k8scluster_set sets[] = {
		{ "idc", "gl" }, { "zone", "core" }, { "kubeconfig", kc_basic },
		{ "kube_context", "b" }, { "level", "3" }, { "desc", "d" },
		{ "group", "g" },
	};
	struct k8scluster_set upd[] = { { "zone", "egt" }, { "level", "x" } };
	struct k8scluster_filter f;
	struct kube_config *kc;
	cJSON *row, *list;
	char *path;

	path = xasprintf("%s/esctl.db", t->tmpdir);
	UT_EQ_INT(t, store_open(path, 0, &st, &err), 0);
	UT_EQ_INT(t, k8scluster_add(st, "c1", sets, 7, 1700000000, NULL,
	    &err), 0);
	UT_EQ_INT(t, k8scluster_add(st, "c2", sets, 2, 1700000000, NULL,
	    &err), 0);
	UT_EQ_INT(t, k8scluster_add(st, "c1", sets, 2, 1700000000, NULL,
	    &err), -1);
	UT_EQ_INT(t, err.code, ES_ECONFLICT);
	UT_EQ_INT(t, k8scluster_get(st, "c1", 0, &row, &err), 0);
	UT_EQ_STR(t, kube_str(row, "kubeconfig"), K8SCLUSTER_REDACTED);
	UT_EQ_STR(t, kube_str(row, "source"), "kubeconfig");
	UT_EQ_STR(t, kube_str(row, "status"), "running");
	UT_EQ_STR(t, kube_str(row, "desc"), "d");
	UT_EQ_STR(t, kube_str(row, "group"), "g");
	UT_EQ_INT(t, (long long)kube_num(row, "level", -1), 3);
	UT_EQ_INT(t, (long long)strlen(kube_str(row, "cluster_id")), 36);
	cJSON_Delete(row);
	UT_EQ_INT(t, k8scluster_get(st, "c1", 1, &row, &err), 0);
	UT_EQ_STR(t, kube_str(row, "kubeconfig"), kc_basic);
	UT_EQ_INT(t, k8scluster_config(row, NULL, &kc, &err), 0);
	if (kc != NULL) {
		UT_EQ_STR(t, kube_config_context(kc), "b");
		kube_config_free(kc);
	}
	cJSON_Delete(row);
	UT_EQ_INT(t, k8scluster_update(st, "c1", upd, 1, 1700000100, &err),
	    0);
	UT_EQ_INT(t, k8scluster_update(st, "c1", upd, 2, 1700000100, &err),
	    -1);
	UT_EQ_INT(t, err.code, ES_EUSAGE);
	UT_EQ_INT(t, k8scluster_update(st, "nope", upd, 1, 1700000100, &err),
	    -1);
	UT_EQ_INT(t, err.code, ES_ENOTFOUND);
	memset(&f, 0, sizeof f);
	f.zone = "egt";
	UT_EQ_INT(t, k8scluster_list(st, &f, &list, &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(list), 1);
	UT_EQ_STR(t, kube_str(cJSON_GetArrayItem(list, 0), "clustername"),
	    "c1");
	cJSON_Delete(list);
	UT_EQ_INT(t, k8scluster_remove(st, "c1", 1700000200, &err), 0);
	UT_EQ_INT(t, k8scluster_remove(st, "c1", 1700000200, &err), -1);
	UT_EQ_INT(t, err.code, ES_ENOTFOUND);
	UT_EQ_INT(t, k8scluster_get(st, "c1", 0, &row, &err), -1);
	UT_EQ_INT(t, k8scluster_add(st, "c1", sets, 1, 1700000300, NULL,
	    &err), 0);
	UT_EQ_INT(t, k8scluster_list(st, NULL, &list, &err), 0);
	UT_EQ_INT(t, cJSON_GetArraySize(list), 2);
	cJSON_Delete(list);
	store_close(st);
	free(path);
}

/* Every input must parse or fail cleanly: code and message set. */
static void
fuzz_one(struct unit_t *t, const char *buf, size_t len, const char *what)
{
	struct kube_config *kc = NULL;
	struct es_err err = ES_ERR_INIT;

	if (kube_config_parse(buf, len, "fuzz", "/nonexistent", NULL, &kc,
	    &err) == 0) {
		cJSON *c = kube_config_contexts(kc);

		cJSON_Delete(c);
		kube_config_free(kc);
		return;
	}
	if (err.code == 0 || err.msg[0] == '\0')
		unit_fail(t, __FILE__, __LINE__, "%s: failure without an "
		    "error", what);
}

static void
test_kubeconfig_fuzz_regression(struct unit_t *t)
{
	struct es_buf deep = ES_BUF_INIT;
	struct unit_corpus c;
	size_t i;
	int k;

	if (unit_corpus_open(t, &c, "kubeconfig") == -1)
		return;
	while (unit_corpus_next(t, &c)) {
		fuzz_one(t, c.buf.data, c.buf.len, c.name);
		/* every truncation of every seed */
		for (i = 0; i < c.buf.len; i += 1 + c.buf.len / 97)
			fuzz_one(t, c.buf.data, i, c.name);
	}
	UT_ASSERT(t, c.files >= 5);
	unit_corpus_close(&c);
	/* truncations of a full kubeconfig, byte by byte */
	for (i = 0; i <= strlen(kc_basic); i++)
		fuzz_one(t, kc_basic, i, "truncated");
	/* not UTF-8, NUL bytes */
	fuzz_one(t, "clusters: [{name: \xff\xfe, cluster: {server: h}}]\n",
	    40, "latin1");
	fuzz_one(t, "users:\n- name: u\n  user: {token: \"a\0b\"}\n", 39,
	    "nul");
	fuzz_one(t, "\xc3\x28\xa0\xa1", 4, "bad utf8");
	/* deep nesting */
	for (k = 0; k < 5000; k++)
		es_buf_addch(&deep, '[');
	fuzz_one(t, deep.data, deep.len, "deep");
	es_buf_reset(&deep);
	for (k = 0; k < 200; k++)
		es_buf_addf(&deep, "%*sa:\n", k, "");
	fuzz_one(t, deep.data, deep.len, "deep map");
	/* alias expansion bomb */
	es_buf_reset(&deep);
	es_buf_adds(&deep, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (k = 1; k < 10; k++)
		es_buf_addf(&deep, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, "
		    "*%c, *%c, *%c, *%c]\n", 'a' + k, 'a' + k, 'a' + k - 1,
		    'a' + k - 1, 'a' + k - 1, 'a' + k - 1, 'a' + k - 1,
		    'a' + k - 1, 'a' + k - 1, 'a' + k - 1, 'a' + k - 1,
		    'a' + k - 1);
	fuzz_one(t, deep.data, deep.len, "alias bomb");
	es_buf_release(&deep);
}

const struct unit_test unit_kube_tests[] = {
	{ "kubeconfig_parse", test_kubeconfig_parse },
	{ "kubeconfig_errors", test_kubeconfig_errors },
	{ "kubeconfig_merge", test_kubeconfig_merge },
	{ "kubeconfig_token_file", test_kubeconfig_token_file },
	{ "kubeconfig_exec", test_kubeconfig_exec },
	{ "kubeconfig_fuzz_regression", test_kubeconfig_fuzz_regression },
	{ "paths", test_kube_paths },
	{ "status_errors", test_kube_status },
	{ "pod_status", test_kube_pod_status },
	{ "conditions", test_kube_conditions },
	{ "k8scluster", test_k8scluster },
	{ NULL, NULL }
};
