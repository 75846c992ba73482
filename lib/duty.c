/*
 * duty.c - the duty roster.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duty.h"
#include "util.h"

#define DUTY_COLUMNS \
	"SELECT id, user_id, duty_date, start_time, end_time, " \
	"CASE WHEN json_valid(contact_info) THEN contact_info ELSE " \
	"json_object('text', contact_info) END AS contact_info__json, " \
	"created_at FROM duty_roster "

static int	 duty_valid_contact(const char *, const char *,
		    struct es_err *);

int
duty_parse_date(const char *s, char out[11], struct es_err *err)
{
	struct tm tm, chk;
	const char *p;
	time_t t;
	int mday, mon;

	memset(&tm, 0, sizeof tm);
	p = s != NULL ? strptime(s, "%Y-%m-%d", &tm) : NULL;
	if (p == NULL || *p != '\0' || strlen(s) != 10)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid date "
		    "'%s': use YYYY-MM-DD", s ? s : "");
	/* reject 2024-02-30: a round trip must give the same day */
	tm.tm_hour = 12;
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	t = timegm(&tm);		/* normalises tm too */
	gmtime_r(&t, &chk);
	if (chk.tm_mday != mday || chk.tm_mon != mon)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid date "
		    "'%s': no such day", s);
	strftime(out, 11, "%Y-%m-%d", &chk);
	return 0;
}

int
duty_parse_time(const char *s, const char *what, char out[9],
    struct es_err *err)
{
	unsigned h = 0, m = 0, sec = 0;
	int n;
	const char *p = s;

	if (p == NULL)
		goto bad;
	for (n = 0; isdigit((unsigned char)*p) && n < 2; p++, n++)
		h = h * 10 + (unsigned)(*p - '0');
	if (n == 0 || *p != ':')
		goto bad;
	p++;
	for (n = 0; isdigit((unsigned char)*p) && n < 2; p++, n++)
		m = m * 10 + (unsigned)(*p - '0');
	if (n != 2)
		goto bad;
	if (*p == ':') {
		p++;
		for (n = 0; isdigit((unsigned char)*p) && n < 2; p++, n++)
			sec = sec * 10 + (unsigned)(*p - '0');
		if (n != 2)
			goto bad;
	}
	if (*p != '\0' || m > 59 || sec > 59 || h > 24 ||
	    (h == 24 && (m != 0 || sec != 0)))
		goto bad;
	snprintf(out, 9, "%02u:%02u:%02u", h % 100, m % 100, sec % 100);
	return 0;
bad:
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid %s '%s': use "
	    "HH:MM or HH:MM:SS (00:00 to 24:00)", what, s ? s : "");
}

/* Contact values are one line of printable text of a plausible shape. */
static int
duty_valid_contact(const char *what, const char *v, struct es_err *err)
{
	const char *p;

	if (v == NULL)
		return 0;
	if (*v == '\0' || strlen(v) > 200)
		goto bad;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == 0x7f || *p == '"' || *p == '\\')
			goto bad;
	if (strcmp(what, "email") == 0 && (strchr(v, '@') == NULL ||
	    *v == '@' || v[strlen(v) - 1] == '@'))
		goto bad;
	if (strcmp(what, "phone") == 0) {
		for (p = v; *p != '\0'; p++)
			if (!isdigit((unsigned char)*p) && *p != '+' &&
			    *p != '-')
				goto bad;
	}
	return 0;
bad:
	return es_err_set(err, ES_EUSAGE, "Invalid", "invalid %s '%s'", what,
	    v);
}

int
duty_add(struct store *st, const struct duty_shift *d, time_t now,
    long long *id, struct es_err *err)
{
	char ts[UTIL_TIME_LEN];
	cJSON *c;
	char *contact;
	long long dup;
	const char *p;
	int rc;

	if (d->user_id == NULL || *d->user_id == '\0' ||
	    strlen(d->user_id) > DUTY_USER_MAX)
		return es_err_set(err, ES_EUSAGE, "Invalid", "invalid user_id "
		    "'%s': 1 to %d characters", d->user_id ? d->user_id : "",
		    DUTY_USER_MAX);
	for (p = d->user_id; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return es_err_set(err, ES_EUSAGE, "Invalid", "invalid "
			    "user_id: control characters");
	if (duty_valid_contact("email", d->email, err) == -1 ||
	    duty_valid_contact("phone", d->phone, err) == -1 ||
	    duty_valid_contact("im", d->im, err) == -1)
		return -1;
	if (store_query_int(st, err, &dup, 0, "SELECT count(*) FROM "
	    "duty_roster WHERE user_id = ? AND duty_date = ? AND start_time "
	    "= ? AND end_time = ?", "ssss", d->user_id, d->duty_date,
	    d->start_time, d->end_time) == -1)
		return -1;
	if (dup > 0)
		return es_err_set(err, ES_ECONFLICT, "AlreadyExists", "'%s' "
		    "already has the shift %s %s-%s", d->user_id, d->duty_date,
		    d->start_time, d->end_time);
	c = cJSON_CreateObject();
	if (d->email != NULL)
		cJSON_AddStringToObject(c, "email", d->email);
	if (d->phone != NULL)
		cJSON_AddStringToObject(c, "phone", d->phone);
	if (d->im != NULL)
		cJSON_AddStringToObject(c, "im", d->im);
	contact = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	util_time_format(now, ts);
	rc = store_exec(st, err, "INSERT INTO duty_roster (user_id, "
	    "duty_date, start_time, end_time, contact_info, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?6, ?6)", "ssssss",
	    d->user_id, d->duty_date, d->start_time, d->end_time, contact,
	    ts);
	cJSON_free(contact);
	if (rc == -1)
		return -1;
	*id = store_last_insert_id(st);
	return 0;
}

int
duty_remove(struct store *st, long long id, struct es_err *err)
{
	int n;

	n = store_exec(st, err, "DELETE FROM duty_roster WHERE id = ?", "i",
	    id);
	if (n == -1)
		return -1;
	if (n == 0)
		return es_err_set(err, ES_ENOTFOUND, "NotFound", "duty shift "
		    "%lld not found", id);
	return 0;
}

int
duty_list(struct store *st, const struct duty_filter *f, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, DUTY_COLUMNS
	    "WHERE (?1 IS NULL OR user_id = ?1) "
	    "AND (?2 IS NULL OR duty_date >= ?2) "
	    "AND (?3 IS NULL OR duty_date <= ?3) "
	    "ORDER BY duty_date, start_time, id LIMIT ?4 OFFSET ?5", "sssii",
	    f->user_id, f->from, f->to, f->limit > 0 ? f->limit : -1LL,
	    f->offset);
}

int
duty_on_call(struct store *st, time_t when, cJSON **out, struct es_err *err)
{
	char today[11], yesterday[11], now[9];
	struct tm tm;
	time_t y;

	localtime_r(&when, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	strftime(now, sizeof now, "%H:%M:%S", &tm);
	/* noon of the previous day is always in the previous day */
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	tm.tm_mday -= 1;
	y = mktime(&tm);
	localtime_r(&y, &tm);
	strftime(yesterday, sizeof yesterday, "%Y-%m-%d", &tm);
	return store_query_json(st, err, out, DUTY_COLUMNS
	    "WHERE (duty_date = ?1 AND start_time <= ?2 AND "
	    "(end_time > ?2 OR end_time <= start_time)) "
	    "OR (duty_date = ?3 AND end_time <= start_time AND ?2 < end_time) "
	    "ORDER BY duty_date, start_time, id", "sss", today, now,
	    yesterday);
}
