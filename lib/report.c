/*
 * report.c - deployment reports: file, log line, SQLite row, HTTP POST
 * through an outbox.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "report.h"
#include "util.h"

#define REPORT_TIMEOUT_MS	5000
#define REPORT_BACKOFF_MAX	3600

const char *const report_statuses[] = {
	"starting", "namespace_created", "gitlab_pulled", "k8s_applied",
	"resources_configured", "disk_configured", "gpu_configured",
	"rollout_completed", "tenant_synced", "completed", "failed", NULL
};

struct report_sink {
	struct store		*st;
	char			*dir;		/* DATA/deployment_reports */
	char			*log_path;	/* DATA/deployment.log */
	char			*url;		/* with its credentials */
	char			*stored;	/* without: the outbox's */
	char			*shown;		/* masked: messages' */
	char			*token;
	long long		 timeout_ms;
	const struct es_log	*log;
	CURL			*curl;
	int64_t			 last_us;	/* last stamp; only grows */
	time_t			 now;		/* outbox clock; 0: time() */
};

static cJSON	*report_json(const struct report *, const char *);
static int	 report_write_file(struct report_sink *, const struct report *,
		    const char *, char **, char **, struct es_err *);
static int	 report_append_log(struct report_sink *, const char *,
		    struct es_err *);
static int	 report_post(struct report_sink *, const char *, const char *,
		    const char *, char *, size_t);
static void	 report_safe_name(struct es_buf *, const char *);
static size_t	 report_discard(char *, size_t, size_t, void *);

int
report_sink_open(const struct report_opts *o, struct store *st,
    struct report_sink **out, struct es_err *err)
{
	struct report_sink *s;

	*out = NULL;
	if (o->data_dir == NULL)
		return es_err_set(err, ES_EFAIL, NULL, "no data directory for "
		    "deployment reports");
	s = xcalloc(1, sizeof *s);
	s->st = st;
	s->dir = util_path_join(o->data_dir, "deployment_reports");
	s->log_path = util_path_join(o->data_dir, "deployment.log");
	s->url = o->url != NULL && *o->url != '\0' ? xstrdup(o->url) : NULL;
	if (s->url != NULL) {
		s->stored = util_url_redact(s->url, NULL);
		s->shown = util_url_redact(s->url, "***");
	}
	s->token = o->token != NULL && *o->token != '\0' ?
	    xstrdup(o->token) : NULL;
	s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : REPORT_TIMEOUT_MS;
	s->log = o->log;
	s->now = o->now;
	*out = s;
	return 0;
}

void
report_sink_free(struct report_sink *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->dir);
	free(s->log_path);
	if (s->url != NULL)
		memset(s->url, 0, strlen(s->url));
	free(s->url);
	free(s->stored);
	free(s->shown);
	if (s->token != NULL) {
		memset(s->token, 0, strlen(s->token));
		free(s->token);
	}
	free(s);
}

/* The report object, keys in the seeds' order. */
static cJSON *
report_json(const struct report *r, const char *ts)
{
	const struct report_details *d = r->details;
	cJSON *j, *dj, *e;

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "user", r->user);
	cJSON_AddStringToObject(j, "service_name", r->service_name);
	cJSON_AddStringToObject(j, "namespace", r->namespace);
	cJSON_AddStringToObject(j, "tenant_org_id", r->tenant_org_id);
	cJSON_AddStringToObject(j, "status", r->status);
	cJSON_AddStringToObject(j, "message", r->message);
	cJSON_AddStringToObject(j, "timestamp", ts);
	dj = cJSON_AddObjectToObject(j, "details");
	if (d != NULL) {
		cJSON_AddNumberToObject(dj, "replicas", (double)d->replicas);
		cJSON_AddStringToObject(dj, "cpu_request", d->cpu_request);
		cJSON_AddStringToObject(dj, "cpu_limit", d->cpu_limit);
		cJSON_AddStringToObject(dj, "mem_request", d->mem_request);
		cJSON_AddStringToObject(dj, "mem_limit", d->mem_limit);
		cJSON_AddStringToObject(dj, "disk_size", d->disk_size);
		cJSON_AddNumberToObject(dj, "gpu_count", (double)d->gpu_count);
		cJSON_AddNumberToObject(dj, "dimension", (double)d->dimension);
		cJSON_AddNumberToObject(dj, "vector_count",
		    (double)d->vector_count);
		cJSON_AddNumberToObject(dj, "index_limit",
		    (double)d->index_limit);
	}
	if (r->extra != NULL)
		cJSON_ArrayForEach(e, r->extra)
			if (e->string != NULL &&
			    !cJSON_HasObjectItem(j, e->string))
				cJSON_AddItemToObject(j, e->string,
				    cJSON_Duplicate(e, 1));
	return j;
}

/* Appends s keeping only [A-Za-z0-9._-]; never a leading dot. */
static void
report_safe_name(struct es_buf *b, const char *s)
{
	size_t start = b->len;

	for (; *s != '\0'; s++) {
		if ((isalnum((unsigned char)*s) || *s == '-' || *s == '_' ||
		    *s == '.') && !(*s == '.' && b->len == start))
			es_buf_addch(b, *s);
		else
			es_buf_addch(b, '_');
	}
	if (b->len == start)
		es_buf_addch(b, '_');
}

/*
 * Writes the report file: a temporary file, fsync, then link() to the
 * final name, which fails when the name is taken, so a name is never
 * reused even by concurrent processes.  Returns the report id (the
 * file's name without ".json") and the path.
 */
static int
report_write_file(struct report_sink *s, const struct report *r,
    const char *text, char **idp, char **pathp, struct es_err *err)
{
	struct es_buf name = ES_BUF_INIT;
	struct timespec ts;
	struct tm tm;
	char *tmp, *path = NULL, stamp[40], base[24];
	const char *p;
	size_t len, prefix;
	ssize_t n;
	int64_t us;
	int fd, tries;

	*idp = *pathp = NULL;
	if (util_mkdir_p(s->dir, 0700, err) == -1)
		return -1;
	tmp = xasprintf("%s/.report.%ld.tmp", s->dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot create report file "
		    "'%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	p = text;
	len = strlen(text);
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;

	report_safe_name(&name, r->user);
	es_buf_addch(&name, '_');
	report_safe_name(&name, r->service_name);
	es_buf_addch(&name, '_');
	prefix = name.len;
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	for (tries = 0; ; tries++) {
		if (us <= s->last_us)
			us = s->last_us + 1;
		s->last_us = us;
		{
			time_t sec = (time_t)(us / 1000000);

			gmtime_r(&sec, &tm);
		}
		strftime(base, sizeof base, "%Y%m%dT%H%M%S", &tm);
		snprintf(stamp, sizeof stamp, "%s.%06ldZ", base,
		    (long)(us % 1000000));
		es_buf_truncate(&name, prefix);
		es_buf_adds(&name, stamp);
		free(path);
		path = xasprintf("%s/%s.json", s->dir, name.data);
		if (link(tmp, path) == 0)
			break;
		if (errno != EEXIST || tries >= 1000)
			goto fail;
		us++;
	}
	unlink(tmp);
	free(tmp);
	if (util_fsync_dir(s->dir, err) == -1) {
		free(path);
		es_buf_release(&name);
		return -1;
	}
	*idp = es_buf_detach(&name, NULL);
	*pathp = path;
	return 0;
fail:
	es_err_set(err, ES_EFAIL, NULL, "cannot write report file in '%s': "
	    "%s", s->dir, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(path);
	es_buf_release(&name);
	return -1;
}

/* Appends one line with a single write(2) on an O_APPEND descriptor. */
static int
report_append_log(struct report_sink *s, const char *line,
    struct es_err *err)
{
	char *dir;
	size_t len = strlen(line);
	ssize_t n;
	int fd;

	dir = util_dirname(s->log_path);
	if (util_mkdir_p(dir, 0700, err) == -1) {
		free(dir);
		return -1;
	}
	free(dir);
	fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return es_err_set(err, ES_EFAIL, NULL, "cannot open deployment "
		    "log '%s': %s", s->log_path, strerror(errno));
	do
		n = write(fd, line, len);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len || fdatasync(fd) == -1) {
		es_err_set(err, ES_EFAIL, NULL, "cannot write deployment log "
		    "'%s': %s", s->log_path, n == -1 ? strerror(errno) :
		    "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One text field of a log line: no line breaks. */
static void
report_log_field(struct es_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		es_buf_addch(b, *s == '\n' || *s == '\r' ? ' ' : *s);
}

char *
report_log_line(const cJSON *row)
{
	struct es_buf b = ES_BUF_INIT;
	const char *keys[] = { "user", "service_name", "namespace", "status",
	    "message" };
	const char *labels[] = { " - User: ", ", Service: ", ", Namespace: ",
	    ", Status: ", ", Message: " };
	size_t i;

	report_log_field(&b, cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "timestamp")));
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		es_buf_adds(&b, labels[i]);
		report_log_field(&b, cJSON_GetStringValue(
		    cJSON_GetObjectItem(row, keys[i])));
	}
	es_buf_addch(&b, '\n');
	return es_buf_detach(&b, NULL);
}

int
report_emit(struct report_sink *s, const struct report *r, cJSON **out,
    struct es_err *err)
{
	struct report_flush_result fr;
	struct es_err e2 = ES_ERR_INIT;
	char ts[UTIL_TIME_LEN], *text = NULL, *id = NULL, *path = NULL;
	char *line = NULL, *body = NULL, *details = NULL, *extra = NULL;
	cJSON *j;
	long long rowid;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	util_time_format(time(NULL), ts);
	j = report_json(r, ts);
	text = cJSON_Print(j);
	body = cJSON_PrintUnformatted(j);
	details = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "details"));
	if (r->extra != NULL)
		extra = cJSON_PrintUnformatted(r->extra);
	if (text == NULL || body == NULL || details == NULL)
		fatal("out of memory");
	{
		size_t l = strlen(text);
		char *t2 = xmalloc(l + 2);

		memcpy(t2, text, l);
		t2[l] = '\n';
		t2[l + 1] = '\0';
		cJSON_free(text);
		text = t2;
	}

	/* 1: the file */
	if (report_write_file(s, r, text, &id, &path, err) == -1)
		goto done;
	/* 2: the log line */
	line = report_log_line(j);
	if (report_append_log(s, line, err) == -1)
		goto done;
	/* 3: the row, and 4: the POST, queued in the same transaction */
	if (store_begin(s->st, err) == -1)
		goto done;
	if (store_exec(s->st, err, "INSERT INTO deployment_report (report_id, "
	    "tenant_org_id, user, service_name, namespace, status, message, "
	    "timestamp, details, extra, creation_id, file, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssssssssssss",
	    id, r->tenant_org_id, r->user, r->service_name, r->namespace,
	    r->status, r->message, ts, details, extra, r->creation_id, path,
	    ts) == -1)
		goto rollback;
	rowid = store_last_insert_id(s->st);
	if (s->url != NULL && store_exec(s->st, err, "INSERT INTO "
	    "report_outbox (report_id, url, body, created_at) "
	    "VALUES (?, ?, ?, ?)", "isss", rowid, s->stored, body, ts) == -1)
		goto rollback;
	if (store_commit(s->st, err) == -1)
		goto done;
	es_log(s->log, ES_LOG_DEBUG, "report %s: %s", r->status, id);
	if (s->url != NULL && report_flush(s, 0, &fr, &e2) == -1)
		es_log(s->log, ES_LOG_WARN, "report delivery: %s", e2.msg);
	if (out != NULL) {
		cJSON_AddStringToObject(j, "report_id", id);
		*out = j;
		j = NULL;
	}
	rc = 0;
	goto done;
rollback:
	store_rollback(s->st);
done:
	cJSON_Delete(j);
	free(text);
	cJSON_free(body);
	cJSON_free(details);
	cJSON_free(extra);
	free(id);
	free(path);
	free(line);
	return rc;
}

static size_t
report_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * One POST.  Returns 0 when the receiver answered 2xx, else -1 with a
 * short reason in why.
 */
static int
report_post(struct report_sink *s, const char *url, const char *body,
    const char *id, char *why, size_t whylen)
{
	struct curl_slist *h = NULL;
	char *auth = NULL, *idh;
	long code = 0;
	CURLcode rc;

	if (s->curl == NULL && (s->curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "cannot initialise libcurl");
		return -1;
	}
	curl_easy_reset(s->curl);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	idh = xasprintf("X-Esctl-Report-Id: %s", id);
	h = curl_slist_append(h, idh);
	if (s->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", s->token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)s->timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "esctl/" ESCTL_VERSION);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, report_discard);
	rc = curl_easy_perform(s->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	if (auth != NULL) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(idh);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		snprintf(why, whylen, "HTTP %ld", code);
		return -1;
	}
	return 0;
}

int
report_flush(struct report_sink *s, int force, struct report_flush_result *res,
    struct es_err *err)
{
	sqlite3_stmt *stmt;
	struct es_err e2 = ES_ERR_INIT;
	char ts[UTIL_TIME_LEN], why[256];
	char *url, *shown, *body, *id;
	long long oid, last = 0, attempts, next, backoff, pending;
	time_t now;
	int fd, rc, ret = 0;

	memset(res, 0, sizeof *res);
	fd = store_lock(s->st, "report-outbox", force ? 30000 : 0,
	    force ? err : &e2);
	if (fd == -1) {
		if (force)
			return -1;
		goto count;
	}
	for (;;) {
		stmt = store_prepare(s->st, err, "SELECT o.id, o.url, o.body, "
		    "o.attempts, o.next_retry_at, r.report_id "
		    "FROM report_outbox o JOIN deployment_report r "
		    "ON r.id = o.report_id WHERE o.delivered_at IS NULL "
		    "AND o.id > ? ORDER BY o.id LIMIT 1", "i", last);
		if (stmt == NULL) {
			ret = -1;
			break;
		}
		rc = store_step(s->st, stmt, err);
		if (rc != 1) {
			sqlite3_finalize(stmt);
			if (rc == -1)
				ret = -1;
			break;
		}
		oid = sqlite3_column_int64(stmt, 0);
		/* the credentials come from the configuration, now */
		url = xstrdup(s->url != NULL ? s->url :
		    (const char *)sqlite3_column_text(stmt, 1));
		shown = util_url_redact(url, "***");
		body = xstrdup((const char *)sqlite3_column_text(stmt, 2));
		attempts = sqlite3_column_int64(stmt, 3);
		next = sqlite3_column_int64(stmt, 4);
		id = xstrdup((const char *)sqlite3_column_text(stmt, 5));
		sqlite3_finalize(stmt);
		last = oid;
		now = s->now != 0 ? s->now : time(NULL);
		if (!force && next > (long long)now) {
			free(url);
			free(shown);
			free(body);
			free(id);
			break;
		}
		rc = report_post(s, url, body, id, why, sizeof why);
		util_time_format(s->now != 0 ? s->now : time(NULL), ts);
		if (rc == 0) {
			res->delivered++;
			es_log(s->log, ES_LOG_DEBUG, "report %s delivered to "
			    "%s", id, shown);
			rc = store_exec(s->st, err, "UPDATE report_outbox SET "
			    "delivered_at = ?, attempts = attempts + 1, "
			    "last_error = NULL WHERE id = ?", "si", ts, oid);
		} else {
			res->failed++;
			snprintf(res->last_error, sizeof res->last_error,
			    "%.120s: %.120s", shown, why);
			backoff = 5;
			while (backoff < REPORT_BACKOFF_MAX && attempts-- > 0)
				backoff *= 2;
			if (backoff > REPORT_BACKOFF_MAX)
				backoff = REPORT_BACKOFF_MAX;
			es_log(s->log, ES_LOG_INFO, "report %s not delivered "
			    "to %s: %s (kept in the outbox)", id, shown, why);
			rc = store_exec(s->st, err, "UPDATE report_outbox SET "
			    "attempts = attempts + 1, last_error = ?, "
			    "next_retry_at = ? WHERE id = ?", "sii", why,
			    (long long)now + backoff, oid);
		}
		free(url);
		free(shown);
		free(body);
		free(id);
		if (rc == -1) {
			ret = -1;
			break;
		}
		if (res->failed > 0)
			break;
	}
	store_unlock(fd);
count:
	if (store_query_int(s->st, ret == -1 ? &e2 : err, &pending, 0,
	    "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL",
	    "") == -1)
		return -1;
	res->pending = (int)pending;
	return ret;
}

int
report_list(struct store *st, const struct report_filter *f, cJSON **out,
    struct es_err *err)
{
	long long limit = f->limit > 0 ? f->limit : -1;

#define REPORT_SELECT \
	"SELECT r.id, r.report_id, r.tenant_org_id, r.user, r.service_name, " \
	"r.namespace, r.status, r.message, r.timestamp, " \
	"r.details AS details__json, r.extra AS extra__json, " \
	"CASE WHEN o.id IS NULL THEN 'none' " \
	"WHEN o.delivered_at IS NOT NULL THEN 'delivered' " \
	"ELSE 'pending' END AS delivery, " \
	"COALESCE(o.attempts, 0) AS attempts, o.last_error, r.file " \
	"FROM deployment_report r LEFT JOIN report_outbox o " \
	"ON o.report_id = r.id " \
	"WHERE (?1 IS NULL OR r.tenant_org_id = ?1) " \
	"AND (?2 IS NULL OR r.user = ?2) " \
	"AND (?3 IS NULL OR r.service_name = ?3) " \
	"AND (?4 IS NULL OR r.namespace = ?4) " \
	"AND (?5 IS NULL OR r.status = ?5) " \
	"AND (?6 IS NULL OR r.timestamp >= ?6) " \
	"AND r.id > ?7 "
	if (f->newest_first)
		return store_query_json(st, err, out, REPORT_SELECT
		    "ORDER BY r.id DESC LIMIT ?8", "ssssssii", f->org, f->user,
		    f->service, f->namespace, f->status, f->since, f->after_id,
		    limit);
	return store_query_json(st, err, out, REPORT_SELECT
	    "ORDER BY r.id LIMIT ?8", "ssssssii", f->org, f->user, f->service,
	    f->namespace, f->status, f->since, f->after_id, limit);
#undef REPORT_SELECT
}

int
report_stats(struct store *st, const struct report_filter *f, cJSON **out,
    struct es_err *err)
{
	cJSON *rows, *res, *r, *e;
	int i, found;

	if (store_query_json(st, err, &rows, "SELECT status, count(*) AS count "
	    "FROM deployment_report "
	    "WHERE (?1 IS NULL OR tenant_org_id = ?1) "
	    "AND (?2 IS NULL OR user = ?2) "
	    "AND (?3 IS NULL OR service_name = ?3) "
	    "AND (?4 IS NULL OR namespace = ?4) "
	    "AND (?5 IS NULL OR timestamp >= ?5) "
	    "GROUP BY status ORDER BY status", "sssss", f->org, f->user,
	    f->service, f->namespace, f->since) == -1)
		return -1;
	res = cJSON_CreateArray();
	for (i = 0; report_statuses[i] != NULL; i++) {
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "status", report_statuses[i]);
		found = 0;
		cJSON_ArrayForEach(e, rows)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e,
			    "status")), report_statuses[i]) == 0)
				found = (int)cJSON_GetNumberValue(
				    cJSON_GetObjectItem(e, "count"));
		cJSON_AddNumberToObject(r, "count", found);
		cJSON_AddItemToArray(res, r);
	}
	cJSON_ArrayForEach(e, rows) {
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "status"));

		found = 0;
		for (i = 0; report_statuses[i] != NULL; i++)
			if (strcmp(s, report_statuses[i]) == 0)
				found = 1;
		if (!found)
			cJSON_AddItemToArray(res, cJSON_Duplicate(e, 1));
	}
	cJSON_Delete(rows);
	*out = res;
	return 0;
}

int
report_outbox_stats(struct store *st, cJSON **out, struct es_err *err)
{
	return store_query_row_json(st, err, out, "SELECT "
	    "(SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL) "
	    "AS pending, "
	    "(SELECT count(*) FROM report_outbox WHERE delivered_at IS NOT "
	    "NULL) AS delivered, "
	    "(SELECT min(created_at) FROM report_outbox WHERE delivered_at IS "
	    "NULL) AS oldest_pending, "
	    "(SELECT last_error FROM report_outbox WHERE delivered_at IS NULL "
	    "AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1) "
	    "AS last_error", "");
}

int
report_done_mask(struct store *st, const char *creation_id, unsigned *mask,
    struct es_err *err)
{
	sqlite3_stmt *stmt;
	const char *status;
	int i, rc;

	*mask = 0;
	stmt = store_prepare(st, err, "SELECT DISTINCT status FROM "
	    "deployment_report WHERE creation_id = ?", "s", creation_id);
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, err)) == 1) {
		status = (const char *)sqlite3_column_text(stmt, 0);
		for (i = 0; report_statuses[i] != NULL; i++)
			if (status != NULL && strcmp(status,
			    report_statuses[i]) == 0)
				*mask |= 1U << i;
	}
	sqlite3_finalize(stmt);
	return rc == -1 ? -1 : 0;
}
