/*
 * usage.c - usage events and resource-hours.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"
#include "usage.h"
#include "util.h"

/* Accumulated hours of one user/service. */
struct usage_acc {
	char	*user;
	char	*service;
	char	*namespaces;	/* comma-separated, distinct */
	double	 hours, replica_hours, cpu, memory, disk, gpu;
};

/* The state a namespace is in after its last event. */
struct usage_state {
	int		 live;
	time_t		 from;
	double		 replicas, cpu, memory, disk, gpu;
	struct usage_acc *acc;	/* valid until the next usage_find() */
};

static struct usage_acc *usage_find(struct usage_acc **, size_t *,
		    const char *, const char *);
static void	 usage_close(struct usage_state *, time_t, time_t, time_t);
static int	 usage_has_token(const char *, const char *);
static int	 usage_cmp(const void *, const void *);

/* 1 if the comma-separated list has tok. */
static int
usage_has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	while (*p != '\0') {
		if (strncmp(p, tok, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
usage_cmp(const void *a, const void *b)
{
	const struct usage_acc *x = a, *y = b;
	int c = strcmp(x->user, y->user);

	return c != 0 ? c : strcmp(x->service, y->service);
}

int
usage_record(struct store *st, const struct usage_event *e, time_t at,
    struct es_err *err)
{
	char ts[UTIL_TIME_LEN];

	util_time_format(at, ts);
	return store_exec(st, err, "INSERT INTO usage_event (tenant_org_id, "
	    "user, service_name, namespace, event, replicas, cpu_limit, "
	    "mem_limit, disk_size, gpu_count, at, at_unix) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssssisssisi",
	    e->tenant_org_id, e->user, e->service_name, e->namespace,
	    e->event, e->replicas, e->cpu_limit, e->mem_limit, e->disk_size,
	    e->gpu_count, ts, (long long)at) == -1 ? -1 : 0;
}

static struct usage_acc *
usage_find(struct usage_acc **accs, size_t *n, const char *user,
    const char *service)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*accs)[i].user, user) == 0 &&
		    strcmp((*accs)[i].service, service) == 0)
			return &(*accs)[i];
	*accs = xreallocarray(*accs, *n + 1, sizeof **accs);
	memset(&(*accs)[*n], 0, sizeof **accs);
	(*accs)[*n].user = xstrdup(user);
	(*accs)[*n].service = xstrdup(service);
	(*accs)[*n].namespaces = xstrdup("");
	return &(*accs)[(*n)++];
}

/* Adds the time the state held, clipped to [since, until). */
static void
usage_close(struct usage_state *s, time_t to, time_t since, time_t until)
{
	time_t a = s->from, b = to;
	double h;

	if (!s->live || s->acc == NULL)
		return;
	if (a < since)
		a = since;
	if (b > until)
		b = until;
	if (b <= a)
		return;
	h = (double)(b - a) / 3600.0;
	s->acc->hours += h;
	s->acc->replica_hours += h * s->replicas;
	s->acc->cpu += h * s->replicas * s->cpu;
	s->acc->memory += h * s->replicas * s->memory;
	s->acc->disk += h * s->replicas * s->disk;
	s->acc->gpu += h * s->replicas * s->gpu;
}

static double
usage_qty(const unsigned char *text, double unit)
{
	int64_t m;

	if (text == NULL || quantity_parse((const char *)text, "quantity", 0,
	    &m, NULL) == -1)
		return 0;
	return quantity_to_double(m) / unit;
}

static double
usage_round(double v)
{
	return round(v * 1000.0) / 1000.0;
}

int
usage_report(struct store *st, const char *org, const char *user,
    time_t since, time_t until, cJSON **out, struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct usage_acc *accs = NULL;
	struct usage_state s;
	char *ns = NULL;
	const char *cns, *ev;
	size_t nacc = 0, i;
	time_t at;
	cJSON *arr, *r;
	int rc;

	*out = NULL;
	memset(&s, 0, sizeof s);
	stmt = store_prepare(st, err, "SELECT namespace, user, service_name, "
	    "event, replicas, cpu_limit, mem_limit, disk_size, gpu_count, "
	    "at_unix FROM usage_event WHERE tenant_org_id = ? "
	    "AND (? IS NULL OR user = ?) AND at_unix < ? "
	    "ORDER BY namespace, at_unix, id", "sssi", org, user, user,
	    (long long)until);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		cns = (const char *)sqlite3_column_text(stmt, 0);
		ev = (const char *)sqlite3_column_text(stmt, 3);
		at = (time_t)sqlite3_column_int64(stmt, 9);
		if (ns == NULL || strcmp(ns, cns) != 0) {
			usage_close(&s, until, since, until);
			memset(&s, 0, sizeof s);
			free(ns);
			ns = xstrdup(cns);
		} else
			usage_close(&s, at, since, until);
		s.acc = usage_find(&accs, &nacc, (const char *)
		    sqlite3_column_text(stmt, 1), (const char *)
		    sqlite3_column_text(stmt, 2));
		if (!usage_has_token(s.acc->namespaces, cns)) {
			char *n2 = xasprintf("%s%s%s", s.acc->namespaces,
			    *s.acc->namespaces ? "," : "", cns);

			free(s.acc->namespaces);
			s.acc->namespaces = n2;
		}
		s.from = at;
		s.live = strcmp(ev, "delete") != 0;
		s.replicas = (double)sqlite3_column_int64(stmt, 4);
		s.cpu = usage_qty(sqlite3_column_text(stmt, 5), 1.0);
		s.memory = usage_qty(sqlite3_column_text(stmt, 6),
		    1024.0 * 1024 * 1024);
		s.disk = usage_qty(sqlite3_column_text(stmt, 7),
		    1024.0 * 1024 * 1024);
		s.gpu = (double)sqlite3_column_int64(stmt, 8);
	}
	sqlite3_finalize(stmt);
	if (rc == 0)
		usage_close(&s, until, since, until);
	free(ns);
	if (rc == -1) {
		for (i = 0; i < nacc; i++) {
			free(accs[i].user);
			free(accs[i].service);
			free(accs[i].namespaces);
		}
		free(accs);
		return -1;
	}
	if (nacc > 1)
		qsort(accs, nacc, sizeof *accs, usage_cmp);
	arr = cJSON_CreateArray();
	for (i = 0; i < nacc; i++) {
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "tenant_org_id", org);
		cJSON_AddStringToObject(r, "user", accs[i].user);
		cJSON_AddStringToObject(r, "service_name", accs[i].service);
		cJSON_AddStringToObject(r, "namespaces", accs[i].namespaces);
		cJSON_AddNumberToObject(r, "hours", usage_round(accs[i].hours));
		cJSON_AddNumberToObject(r, "replica_hours",
		    usage_round(accs[i].replica_hours));
		cJSON_AddNumberToObject(r, "cpu_core_hours",
		    usage_round(accs[i].cpu));
		cJSON_AddNumberToObject(r, "memory_gib_hours",
		    usage_round(accs[i].memory));
		cJSON_AddNumberToObject(r, "disk_gib_hours",
		    usage_round(accs[i].disk));
		cJSON_AddNumberToObject(r, "gpu_hours",
		    usage_round(accs[i].gpu));
		cJSON_AddItemToArray(arr, r);
		free(accs[i].user);
		free(accs[i].service);
		free(accs[i].namespaces);
	}
	free(accs);
	*out = arr;
	return 0;
}
