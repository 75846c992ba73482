/*
 * main.c - runs the lib/ unit tests and prints TAP.
 *
 * usage: esctl-unit [-l] [PATTERN]
 *	-l	list the tests
 *	PATTERN	run only tests whose "suite/name" contains PATTERN
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

struct unit_suite {
	const char		*name;
	const struct unit_test	*tests;
};

extern const struct unit_test unit_buf_tests[];
extern const struct unit_test unit_doc_tests[];
extern const struct unit_test unit_util_tests[];
extern const struct unit_test unit_quantity_tests[];
extern const struct unit_test unit_store_tests[];
extern const struct unit_test unit_config_tests[];
extern const struct unit_test unit_dl_tests[];
extern const struct unit_test unit_lifecycle_tests[];
extern const struct unit_test unit_ivf_tests[];
extern const struct unit_test unit_ivffile_tests[];
extern const struct unit_test unit_kube_tests[];
extern const struct unit_test unit_pool_tests[];
extern const struct unit_test unit_httpd_tests[];
extern const struct unit_test unit_autoscale_tests[];
extern const struct unit_test unit_nodepool_tests[];
extern const struct unit_test unit_jsonpath_tests[];
extern const struct unit_test unit_csv_tests[];
extern const struct unit_test unit_base64_tests[];

static const struct unit_suite suites[] = {
	{ "buf", unit_buf_tests },
	{ "doc", unit_doc_tests },
	{ "util", unit_util_tests },
	{ "quantity", unit_quantity_tests },
	{ "store", unit_store_tests },
	{ "config", unit_config_tests },
	{ "dl", unit_dl_tests },
	{ "lifecycle", unit_lifecycle_tests },
	{ "ivf", unit_ivf_tests },
	{ "ivffile", unit_ivffile_tests },
	{ "kube", unit_kube_tests },
	{ "pool", unit_pool_tests },
	{ "httpd", unit_httpd_tests },
	{ "autoscale", unit_autoscale_tests },
	{ "nodepool", unit_nodepool_tests },
	{ "jsonpath", unit_jsonpath_tests },
	{ "csv", unit_csv_tests },
	{ "base64", unit_base64_tests },
};

void
unit_fail(struct unit_t *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failed++;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
unit_skip(struct unit_t *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->skip, sizeof t->skip, fmt, ap);
	va_end(ap);
}

static void
rm_rf(const char *dir)
{
	char cmd[512];
	pid_t pid;

	/* Test directories only: fork+exec rm, no shell. */
	snprintf(cmd, sizeof cmd, "%s", dir);
	if ((pid = fork()) == 0) {
		execlp("rm", "rm", "-rf", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		int st;

		while (waitpid(pid, &st, 0) == -1)
			;
	}
}

int
main(int argc, char **argv)
{
	const char *pattern = NULL;
	char full[256];
	int list = 0, n = 0, failed = 0, c;
	size_t s;
	const struct unit_test *u;
	struct unit_t t;

	while ((c = getopt(argc, argv, "l")) != -1) {
		switch (c) {
		case 'l':
			list = 1;
			break;
		default:
			fprintf(stderr, "usage: esctl-unit [-l] [PATTERN]\n");
			return 2;
		}
	}
	if (optind < argc)
		pattern = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < sizeof suites / sizeof suites[0]; s++) {
		for (u = suites[s].tests; u->name != NULL; u++) {
			snprintf(full, sizeof full, "%s/%s", suites[s].name,
			    u->name);
			if (pattern != NULL && strstr(full, pattern) == NULL)
				continue;
			if (list) {
				puts(full);
				continue;
			}
			memset(&t, 0, sizeof t);
			snprintf(t.tmpdir, sizeof t.tmpdir,
			    "%s/esctl-unit.XXXXXX", getenv("TMPDIR") ?
			    getenv("TMPDIR") : "/tmp");
			if (mkdtemp(t.tmpdir) == NULL) {
				perror("mkdtemp");
				return 1;
			}
			u->fn(&t);
			rm_rf(t.tmpdir);
			n++;
			if (t.failed) {
				failed++;
				printf("not ok %d - %s\n", n, full);
			} else if (t.skip[0] != '\0')
				printf("ok %d - %s # SKIP %s\n", n, full,
				    t.skip);
			else
				printf("ok %d - %s\n", n, full);
		}
	}
	if (!list)
		printf("1..%d\n", n);
	return failed ? 1 : 0;
}
