/*
 * notify.c - notifications: configuration, delivery by webhook, SMTP and
 * SMS gateway (libcurl), and the notification log.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base64.h"
#include "buf.h"
#include "notify.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_TIMEOUT_MS	10000
#define NOTIFY_BODY_MAX		512	/* answer bytes kept for errors */

static const char *const notify_names[] = { "system", "im", "email", "sms" };

/* The answer of an HTTP request, kept short for error messages. */
struct notify_sink {
	struct es_buf	b;
};

static int	 notify_config_str(const struct config *, const char *,
		    char **);
static size_t	 notify_sink_write(char *, size_t, size_t, void *);
static int	 notify_http_post(const struct notify_config *, const char *,
		    const char *, const char *, char **);
static int	 notify_smtp(const struct notify_config *, const char *,
		    const struct notify_message *, time_t, char **);
static void	 notify_header_text(struct es_buf *, const char *);
static int	 notify_valid_address(const char *);
static void	 notify_attempt_add(struct notify_result *, int,
		    const char *, char *);
static const char *notify_contact(const cJSON *, const char *);

const char *
notify_channel_name(int c)
{
	return c >= 0 && c < NOTIFY_NCHANNEL ? notify_names[c] : "";
}

int
notify_channel_parse(const char *s, int *out, struct es_err *err)
{
	int i;

	for (i = 0; i < NOTIFY_NCHANNEL; i++)
		if (s != NULL && strcmp(s, notify_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid notification "
	    "channel '%s': use system, im, email or sms", s ? s : "");
}

static int
notify_config_str(const struct config *cfg, const char *key, char **out)
{
	const char *v = config_get(cfg, key);

	*out = v != NULL && *v != '\0' ? xstrdup(v) : NULL;
	return 0;
}

int
notify_config_load(const struct config *cfg, struct notify_config *nc,
    struct es_err *err)
{
	const struct doc_node *list, *c;
	const char *tls;
	int ch;

	memset(nc, 0, sizeof *nc);
	list = config_node(cfg, "notify.channels");
	if (list == NULL || list->type == DOC_NULL)
		nc->enabled[NOTIFY_SYSTEM] = 1;
	else {
		for (c = list->child; c != NULL; c = c->next) {
			struct es_err e2 = ES_ERR_INIT;

			if (notify_channel_parse(doc_scalar(c), &ch, &e2) ==
			    -1)
				return config_error(cfg, c, err, "%s", e2.msg);
			nc->enabled[ch] = 1;
		}
	}
	if (config_get_duration_ms(cfg, "notify.timeout", NOTIFY_TIMEOUT_MS,
	    &nc->timeout_ms, err) == -1)
		return -1;
	if (nc->timeout_ms <= 0)
		nc->timeout_ms = NOTIFY_TIMEOUT_MS;
	notify_config_str(cfg, "notify.im.url", &nc->im_url);
	notify_config_str(cfg, "notify.im.token", &nc->im_token);
	notify_config_str(cfg, "notify.email.smtp_url", &nc->email_url);
	notify_config_str(cfg, "notify.email.from", &nc->email_from);
	notify_config_str(cfg, "notify.email.username", &nc->email_username);
	notify_config_str(cfg, "notify.email.password", &nc->email_password);
	notify_config_str(cfg, "notify.sms.url", &nc->sms_url);
	notify_config_str(cfg, "notify.sms.token", &nc->sms_token);
	tls = config_get(cfg, "notify.email.tls");
	nc->email_tls = tls != NULL && strcmp(tls, "starttls") == 0 ?
	    NOTIFY_TLS_STARTTLS : NOTIFY_TLS_NONE;
	if (nc->enabled[NOTIFY_IM] && nc->im_url == NULL)
		goto missing_im;
	if (nc->enabled[NOTIFY_EMAIL] && (nc->email_url == NULL ||
	    nc->email_from == NULL))
		goto missing_email;
	if (nc->enabled[NOTIFY_SMS] && nc->sms_url == NULL)
		goto missing_sms;
	if (nc->email_from != NULL && !notify_valid_address(nc->email_from)) {
		es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s: invalid "
		    "notify.email.from '%s'", config_file(cfg) ?
		    config_file(cfg) : "config", nc->email_from);
		notify_config_release(nc);
		return -1;
	}
	return 0;
missing_im:
	es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s: notify.channels "
	    "lists im but notify.im.url is not set", config_file(cfg) ?
	    config_file(cfg) : "config");
	notify_config_release(nc);
	return -1;
missing_email:
	es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s: notify.channels "
	    "lists email but notify.email.smtp_url and notify.email.from are "
	    "not both set", config_file(cfg) ? config_file(cfg) : "config");
	notify_config_release(nc);
	return -1;
missing_sms:
	es_err_set(err, ES_EUSAGE, "InvalidConfig", "%s: notify.channels "
	    "lists sms but notify.sms.url is not set", config_file(cfg) ?
	    config_file(cfg) : "config");
	notify_config_release(nc);
	return -1;
}

void
notify_config_release(struct notify_config *nc)
{
	free(nc->im_url);
	free(nc->im_token);
	free(nc->email_url);
	free(nc->email_from);
	free(nc->email_username);
	free(nc->email_password);
	free(nc->sms_url);
	free(nc->sms_token);
	memset(nc, 0, sizeof *nc);
}

static size_t
notify_sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct notify_sink *s = arg;
	size_t len = size * n;

	if (s->b.len < NOTIFY_BODY_MAX)
		es_buf_add(&s->b, p, len < NOTIFY_BODY_MAX - s->b.len ? len :
		    NOTIFY_BODY_MAX - s->b.len);
	return len;
}

/*
 * POSTs a JSON body; 0 on a 2xx answer, else -1 with *error a new string
 * ("HTTP 503: ..." or the transfer error).
 */
static int
notify_http_post(const struct notify_config *nc, const char *url,
    const char *token, const char *body, char **error)
{
	struct notify_sink sink = { ES_BUF_INIT };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE], *auth = NULL;
	CURL *c;
	CURLcode cc;
	long code = 0;
	size_t i;

	*error = NULL;
	if ((c = curl_easy_init()) == NULL) {
		*error = xstrdup("cannot initialise libcurl");
		return -1;
	}
	errbuf[0] = '\0';
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)nc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)nc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, notify_sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "esctl/" ESCTL_VERSION);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	free(auth);
	if (cc != CURLE_OK)
		*error = xasprintf("POST %s: %s", url, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
	else if (code < 200 || code > 299) {
		for (i = 0; i < sink.b.len; i++)
			if ((unsigned char)sink.b.data[i] < 0x20)
				sink.b.data[i] = ' ';
		*error = xasprintf("POST %s: HTTP %ld%s%s", url, code,
		    sink.b.len ? ": " : "", sink.b.data);
	}
	es_buf_release(&sink.b);
	return *error == NULL ? 0 : -1;
}

/* Appends header text with control characters made blanks (no injection). */
static void
notify_header_text(struct es_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		es_buf_addch(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' :
		    *s);
}

/* A bare addr-spec without blanks, brackets or control characters. */
static int
notify_valid_address(const char *a)
{
	const char *at = strchr(a, '@'), *p;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',' || *p == ';' || *p == '"' || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Sends one plain-text e-mail built by libcurl's MIME API (a
 * multipart/mixed message with one text/plain UTF-8 part, 8bit); 0, or -1
 * with *error a new string.  libcurl sends the mail headers as given, so
 * a non-ASCII Subject is made an RFC 2047 encoded-word here.
 */
static int
notify_smtp(const struct notify_config *nc, const char *to,
    const struct notify_message *msg, time_t now, char **error)
{
	struct es_buf h = ES_BUF_INIT, text = ES_BUF_INIT;
	struct curl_slist *rcpt = NULL, *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE], date[64], *from, *rcptto;
	const char *p;
	curl_mime *mime;
	curl_mimepart *part;
	struct tm tm;
	CURL *c;
	CURLcode cc;
	int ascii = 1;

	*error = NULL;
	if (!notify_valid_address(to)) {
		*error = xasprintf("invalid e-mail address '%s'", to);
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		*error = xstrdup("cannot initialise libcurl");
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	es_buf_addf(&h, "Date: %s", date);
	hdrs = curl_slist_append(hdrs, h.data);
	es_buf_reset(&h);
	es_buf_addf(&h, "From: <%s>", nc->email_from);
	hdrs = curl_slist_append(hdrs, h.data);
	es_buf_reset(&h);
	es_buf_addf(&h, "To: <%s>", to);
	hdrs = curl_slist_append(hdrs, h.data);
	es_buf_reset(&h);
	for (p = msg->subject; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	notify_header_text(&text, msg->subject);
	if (ascii)
		es_buf_addf(&h, "Subject: %s", text.data);
	else {
		/* RFC 2047 encoded-word, base64 of the UTF-8 subject */
		es_buf_adds(&h, "Subject: =?UTF-8?B?");
		base64_encode(&h, text.data, text.len);
		es_buf_adds(&h, "?=");
	}
	hdrs = curl_slist_append(hdrs, h.data);
	es_buf_reset(&h);
	es_buf_addf(&h, "Message-ID: <esctl.%lld.%ld.%lld@%s>",
	    (long long)now, (long)getpid(), msg->order_id,
	    strchr(nc->email_from, '@') + 1);
	hdrs = curl_slist_append(hdrs, h.data);
	hdrs = curl_slist_append(hdrs, "X-Mailer: esctl/" ESCTL_VERSION);
	es_buf_release(&h);

	/* SMTP wants CRLF lines; the part's data goes out as it is */
	es_buf_reset(&text);
	for (p = msg->text; *p != '\0'; p++) {
		if (*p == '\n')
			es_buf_adds(&text, "\r\n");
		else if (*p != '\r')
			es_buf_addch(&text, *p);
	}
	mime = curl_mime_init(c);
	part = curl_mime_addpart(mime);
	curl_mime_data(part, text.data, text.len);
	curl_mime_type(part, "text/plain; charset=UTF-8");
	curl_mime_encoder(part, "8bit");

	errbuf[0] = '\0';
	from = xasprintf("<%s>", nc->email_from);
	rcptto = xasprintf("<%s>", to);
	rcpt = curl_slist_append(rcpt, rcptto);
	curl_easy_setopt(c, CURLOPT_URL, nc->email_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)nc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)nc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (nc->email_tls == NOTIFY_TLS_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (nc->email_username != NULL)
		curl_easy_setopt(c, CURLOPT_USERNAME, nc->email_username);
	if (nc->email_password != NULL)
		curl_easy_setopt(c, CURLOPT_PASSWORD, nc->email_password);
	cc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	curl_mime_free(mime);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(rcpt);
	free(from);
	free(rcptto);
	es_buf_release(&text);
	if (cc != CURLE_OK) {
		*error = xasprintf("SMTP %s: %s", nc->email_url, errbuf[0] ?
		    errbuf : curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

/* Records an attempt; takes ownership of error. */
static void
notify_attempt_add(struct notify_result *res, int channel,
    const char *recipient, char *error)
{
	struct notify_attempt *a;

	res->v = xreallocarray(res->v, res->n + 1, sizeof *res->v);
	a = &res->v[res->n++];
	memset(a, 0, sizeof *a);
	a->channel = channel;
	a->recipient = xstrdup(recipient ? recipient : "");
	a->ok = error == NULL;
	a->error = error;
	if (a->ok)
		res->sent++;
	else
		res->failed++;
}

/* A member of a duty row's contact_info, or NULL. */
static const char *
notify_contact(const cJSON *person, const char *what)
{
	const cJSON *c = cJSON_GetObjectItem(person, "contact_info");
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(c, what));

	return v != NULL && *v != '\0' ? v : NULL;
}

void
notify_deliver(const struct notify_config *nc,
    const struct notify_message *msg, const cJSON *people, int only,
    time_t now, struct notify_result *res)
{
	const cJSON *p, *f;
	struct es_buf who = ES_BUF_INIT;
	cJSON *body, *text, *at, *ids;
	char *json, *error;
	const char *user, *addr;
	int ch, npeople = cJSON_GetArraySize(people);

	memset(res, 0, sizeof *res);
	for (ch = 0; ch < NOTIFY_NCHANNEL; ch++) {
		if (only >= 0 ? ch != only : !nc->enabled[ch])
			continue;
		switch (ch) {
		case NOTIFY_SYSTEM:
			if (npeople == 0)
				notify_attempt_add(res, ch, "", NULL);
			cJSON_ArrayForEach(p, people)
				notify_attempt_add(res, ch,
				    cJSON_GetStringValue(cJSON_GetObjectItem(p,
				    "user_id")), NULL);
			break;
		case NOTIFY_IM:
			if (nc->im_url == NULL) {
				notify_attempt_add(res, ch, "", xstrdup(
				    "notify.im.url is not set"));
				break;
			}
			body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "msgtype", "text");
			text = cJSON_AddObjectToObject(body, "text");
			cJSON_AddStringToObject(text, "content", msg->text);
			at = cJSON_AddObjectToObject(body, "at");
			ids = cJSON_AddArrayToObject(at, "atUserIds");
			es_buf_reset(&who);
			cJSON_ArrayForEach(p, people) {
				addr = notify_contact(p, "im");
				if (addr == NULL)
					addr = cJSON_GetStringValue(
					    cJSON_GetObjectItem(p, "user_id"));
				if (addr == NULL)
					continue;
				cJSON_AddItemToArray(ids,
				    cJSON_CreateString(addr));
				es_buf_addf(&who, "%s%s", who.len ? "," : "",
				    addr);
			}
			cJSON_AddStringToObject(body, "event", msg->event ?
			    msg->event : "notification");
			cJSON_AddStringToObject(body, "subject", msg->subject);
			cJSON_ArrayForEach(f, msg->fields)
				cJSON_AddItemToObject(body, f->string,
				    cJSON_Duplicate(f, 1));
			json = cJSON_PrintUnformatted(body);
			cJSON_Delete(body);
			notify_http_post(nc, nc->im_url, nc->im_token, json,
			    &error);
			cJSON_free(json);
			notify_attempt_add(res, ch, who.data, error);
			break;
		case NOTIFY_EMAIL:
		case NOTIFY_SMS:
			cJSON_ArrayForEach(p, people) {
				user = cJSON_GetStringValue(cJSON_GetObjectItem(
				    p, "user_id"));
				addr = notify_contact(p, ch == NOTIFY_EMAIL ?
				    "email" : "phone");
				if (addr == NULL) {
					notify_attempt_add(res, ch, user ?
					    user : "", xasprintf("no %s in the "
					    "contact_info of '%s'", ch ==
					    NOTIFY_EMAIL ? "email" : "phone",
					    user ? user : ""));
					continue;
				}
				if (ch == NOTIFY_EMAIL && (nc->email_url ==
				    NULL || nc->email_from == NULL)) {
					notify_attempt_add(res, ch, addr,
					    xstrdup("notify.email.smtp_url or "
					    "notify.email.from is not set"));
					continue;
				}
				if (ch == NOTIFY_SMS && nc->sms_url == NULL) {
					notify_attempt_add(res, ch, addr,
					    xstrdup("notify.sms.url is not "
					    "set"));
					continue;
				}
				if (ch == NOTIFY_EMAIL)
					notify_smtp(nc, addr, msg, now, &error);
				else {
					body = cJSON_CreateObject();
					cJSON_AddStringToObject(body, "to",
					    addr);
					cJSON_AddStringToObject(body, "message",
					    msg->text);
					cJSON_AddStringToObject(body, "user_id",
					    user ? user : "");
					json = cJSON_PrintUnformatted(body);
					cJSON_Delete(body);
					notify_http_post(nc, nc->sms_url,
					    nc->sms_token, json, &error);
					cJSON_free(json);
				}
				notify_attempt_add(res, ch, addr, error);
			}
			break;
		default:
			break;
		}
	}
	es_buf_release(&who);
}

/* notification_log's insert, prepared once for many notifications */
struct notify_log {
	struct store	*st;
	sqlite3_stmt	*ins;
};

struct notify_log *
notify_log_new(struct store *st, struct es_err *err)
{
	struct notify_log *lg;
	sqlite3_stmt *ins;

	ins = store_prepare(st, err, "INSERT INTO notification_log "
	    "(order_id, strategy_id, notification_type, recipient, content, "
	    "status, send_time, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?)", "nnnnnnnn");
	if (ins == NULL)
		return NULL;
	lg = xcalloc(1, sizeof *lg);
	lg->st = st;
	lg->ins = ins;
	return lg;
}

void
notify_log_free(struct notify_log *lg)
{
	if (lg == NULL)
		return;
	sqlite3_finalize(lg->ins);
	free(lg);
}

int
notify_log_add(struct notify_log *lg, const struct notify_message *msg,
    struct notify_result *res, time_t now, struct es_err *err)
{
	sqlite3_stmt *q = lg->ins;
	char ts[UTIL_TIME_LEN];
	size_t i;
	int rc;

	util_time_format(now, ts);
	for (i = 0; i < res->n; i++) {
		if (msg->order_id > 0)
			sqlite3_bind_int64(q, 1, msg->order_id);
		else
			sqlite3_bind_null(q, 1);
		if (msg->strategy_id > 0)
			sqlite3_bind_int64(q, 2, msg->strategy_id);
		else
			sqlite3_bind_null(q, 2);
		sqlite3_bind_text(q, 3, notify_channel_name(res->v[i].channel),
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, res->v[i].recipient, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(q, 5, msg->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, res->v[i].ok ? "sent" : "failed", -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(q, 7, ts, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 8, res->v[i].error, -1, SQLITE_STATIC);
		rc = store_step(lg->st, q, err);
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if (rc == -1)
			return -1;
		res->v[i].log_id = store_last_insert_id(lg->st);
	}
	return 0;
}

int
notify_record(struct store *st, const struct notify_message *msg,
    struct notify_result *res, time_t now, struct es_err *err)
{
	struct notify_log *lg;
	int rc;

	if ((lg = notify_log_new(st, err)) == NULL)
		return -1;
	rc = notify_log_add(lg, msg, res, now, err);
	notify_log_free(lg);
	return rc;
}

int
notify_send(struct store *st, const struct notify_config *nc,
    const struct notify_message *msg, const cJSON *people, int only,
    time_t now, struct notify_result *res, struct es_err *err)
{
	/* the log after the network work: one short write transaction */
	notify_deliver(nc, msg, people, only, now, res);
	if (res->n == 0)
		return 0;
	if (store_begin(st, err) == -1)
		return -1;
	if (notify_record(st, msg, res, now, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

void
notify_result_release(struct notify_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->v[i].recipient);
		free(res->v[i].error);
	}
	free(res->v);
	memset(res, 0, sizeof *res);
}

int
notify_list(struct store *st, const struct notify_filter *f, cJSON **out,
    struct es_err *err)
{
	char since[UTIL_TIME_LEN];

	util_time_format(f->since, since);
	return store_query_json(st, err, out, "SELECT n.id, n.order_id, "
	    "o.order_number, n.strategy_id, n.notification_type, "
	    "n.recipient, n.content, n.status, n.send_time, n.error_message, "
	    "n.read_time FROM notification_log n LEFT JOIN "
	    "elastic_scaling_order o ON o.id = n.order_id "
	    "WHERE (?1 = 0 OR n.status = 'sent') "
	    "AND (?2 IS NULL OR n.status = ?2) "
	    "AND (?3 IS NULL OR n.notification_type = ?3) "
	    "AND (?4 = 0 OR n.order_id = ?4) "
	    "AND (?5 = 0 OR n.send_time >= ?6) "
	    "ORDER BY n.send_time DESC, n.id DESC LIMIT ?7 OFFSET ?8",
	    "issiisii", (long long)f->unread, f->status, f->type, f->order_id,
	    (long long)f->since, since, f->limit > 0 ? f->limit : -1LL,
	    f->offset);
}

int
notify_mark_read(struct store *st, long long id, time_t now,
    long long *changed, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	cJSON *row;
	const char *status;
	int n;

	util_time_format(now, ts);
	if (id == 0) {
		n = store_exec(st, err, "UPDATE notification_log SET status = "
		    "'read', read_time = ? WHERE status = 'sent'", "s", ts);
		if (n == -1)
			return -1;
		*changed = n;
		return 0;
	}
	if (store_query_row_json(st, err, &row, "SELECT status FROM "
	    "notification_log WHERE id = ?", "i", id) == -1)
		return -1;
	if (row == NULL)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "notification "
		    "%lld not found", id);
	status = cJSON_GetStringValue(cJSON_GetObjectItem(row, "status"));
	if (status != NULL && strcmp(status, "failed") == 0) {
		cJSON_Delete(row);
		return es_err_set(err, ES_ECONFLICT, "WrongState",
		    "notification %lld was not delivered (failed): there is "
		    "nothing to read", id);
	}
	cJSON_Delete(row);
	n = store_exec(st, err, "UPDATE notification_log SET status = 'read', "
	    "read_time = ? WHERE id = ? AND status = 'sent'", "si", ts, id);
	if (n == -1)
		return -1;
	*changed = n;
	return 0;
}
