/*
 * util.c - numbers, durations, timestamps, files and paths.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "util.h"

static int	util_month_days(int, int);

long long
util_strtonum(const char *s, long long min, long long max,
    const char **errstr)
{
	long long v;
	char *end;

	*errstr = NULL;
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return 0;
	}
	if ((v == LLONG_MIN && errno == ERANGE) || v < min) {
		*errstr = "too small";
		return 0;
	}
	if ((v == LLONG_MAX && errno == ERANGE) || v > max) {
		*errstr = "too large";
		return 0;
	}
	return v;
}

int
util_parse_int(const char *s, const char *what, long long min, long long max,
    long long *out, struct es_err *err)
{
	const char *errstr;
	long long v;

	v = util_strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		if (strcmp(errstr, "invalid") == 0)
			return es_err_set(err, ES_EUSAGE, "Invalid",
			    "invalid value '%s' for %s: not an integer",
			    s ? s : "", what);
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "invalid value '%s' for %s: must be between %lld and %lld",
		    s, what, min, max);
	}
	*out = v;
	return 0;
}

int
util_parse_double(const char *s, const char *what, double min, double max,
    double *out, struct es_err *err)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "invalid value '%s' for %s: not a number", s ? s : "",
		    what);
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "invalid value '%s' for %s: not a number", s, what);
	if (v < min || v > max)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "invalid value '%s' for %s: must be between %g and %g",
		    s, what, min, max);
	*out = v;
	return 0;
}

int
util_parse_bool(const char *s, const char *what, int *out,
    struct es_err *err)
{
	static const char *yes[] = { "true", "yes", "on", "1", NULL };
	static const char *no[] = { "false", "no", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return es_err_set(err, ES_EUSAGE, "Invalid",
	    "invalid value '%s' for %s: expected true or false", s, what);
}

int
util_parse_duration_ms(const char *s, const char *what, long long *ms,
    struct es_err *err)
{
	const char *p = s;
	long long total = 0, v, unit;
	int any = 0;

	if (s == NULL || *s == '\0')
		goto bad;
	/* a bare number is seconds */
	if (strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 12)
			goto bad;
		*ms = strtoll(s, NULL, 10) * 1000;
		if (*ms > 100LL * 365 * 86400 * 1000)
			goto bad;	/* the same bound as 36500d */
		return 0;
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		v = 0;
		while (isdigit((unsigned char)*p)) {
			if (v > 1000000000LL)
				goto bad;
			v = v * 10 + (*p++ - '0');
		}
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else {
			switch (*p) {
			case 's':
				unit = 1000;
				break;
			case 'm':
				unit = 60 * 1000;
				break;
			case 'h':
				unit = 3600 * 1000;
				break;
			case 'd':
				unit = 86400 * 1000;
				break;
			case 'w':
				unit = 7 * 86400 * 1000LL;
				break;
			default:
				goto bad;
			}
			p++;
		}
		total += v * unit;
		if (total > 100LL * 365 * 86400 * 1000)
			goto bad;
		any = 1;
	}
	if (!any)
		goto bad;
	*ms = total;
	return 0;
bad:
	return es_err_set(err, ES_EUSAGE, "Invalid",
	    "invalid duration '%s' for %s: use e.g. 30s, 10m, 2h, 7d or 1h30m",
	    s ? s : "", what);
}

int
util_parse_duration(const char *s, const char *what, long long *secs,
    struct es_err *err)
{
	long long ms;

	if (util_parse_duration_ms(s, what, &ms, err) == -1)
		return -1;
	*secs = (ms + 999) / 1000;
	return 0;
}

void
util_format_age(long long secs, char *buf, size_t len)
{
	long long big, small;
	const char *bu, *su;

	if (secs < 0)
		secs = 0;
	if (secs < 120) {
		snprintf(buf, len, "%llds", secs);
		return;
	}
	if (secs < 3600) {
		snprintf(buf, len, "%lldm", secs / 60);
		return;
	}
	if (secs < 86400) {
		big = secs / 3600;
		small = (secs % 3600) / 60;
		bu = "h";
		su = "m";
	} else {
		big = secs / 86400;
		small = (secs % 86400) / 3600;
		bu = "d";
		su = "h";
	}
	/* kubectl drops a zero second unit: "2h", not "2h0m" */
	if (small == 0 || big >= 10)
		snprintf(buf, len, "%lld%s", big, bu);
	else
		snprintf(buf, len, "%lld%s%lld%s", big, bu, small, su);
}

void
util_time_format(time_t t, char buf[UTIL_TIME_LEN])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, UTIL_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
util_time_format_us(const struct timespec *ts, char buf[UTIL_TIME_LEN])
{
	struct tm tm;
	char base[24];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, UTIL_TIME_LEN, "%s.%06ldZ", base,
	    (long)(ts->tv_nsec / 1000));
}

/* Days in month mon (0-11) of year y. */
static int
util_month_days(int y, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mon == 1 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mon >= 0 && mon < 12 ? days[mon] : 0;
}

int
util_time_parse(const char *s, const char *what, time_t now, time_t *out,
    struct es_err *err)
{
	struct tm tm;
	const char *p;
	long long secs, off = 0;
	int sign;
	char *end;

	if (s == NULL || *s == '\0')
		goto bad;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (*s == '@') {
		const char *errstr;

		secs = util_strtonum(s + 1, 0, 253402300799LL, &errstr);
		if (errstr != NULL)
			goto bad;
		*out = (time_t)secs;
		return 0;
	}
	if (*s == '-' || *s == '+') {
		struct es_err e2 = ES_ERR_INIT;

		if (util_parse_duration(s + 1, what, &secs, &e2) == -1)
			goto bad;
		*out = *s == '-' ? now - secs : now + secs;
		return 0;
	}
	/* strptime skips blanks before a number ("2024- 2-29"): only the
	   date-time separator may be one */
	for (p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p) && p != s + 10)
			goto bad;
	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%d", &tm);
	/*
	 * strptime takes any day 1-31 (Feb 31 would be Mar 3) and any year
	 * from 0 (no time of this tool's records is before 1970)
	 */
	if (p == NULL || tm.tm_year < 70 || tm.tm_mday >
	    util_month_days(tm.tm_year + 1900, tm.tm_mon))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p = strptime(p + 1, "%H:%M", &tm);
		if (p == NULL)
			goto bad;
		if (*p == ':') {
			p = strptime(p + 1, "%S", &tm);
			if (p == NULL || tm.tm_sec > 60)
				goto bad;
			if (tm.tm_sec == 60)
				tm.tm_sec = 59;	/* a leap second */
		} else if (*p == '.' || *p == ',')
			goto bad;	/* 10:30.5 is no time: a fraction of
					   a second needs the seconds */
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			p++;
			if (!isdigit((unsigned char)p[0]) ||
			    !isdigit((unsigned char)p[1]))
				goto bad;
			off = ((p[0] - '0') * 10 + (p[1] - '0')) * 3600;
			if (off > 23 * 3600)
				goto bad;
			p += 2;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)p[0]) &&
			    isdigit((unsigned char)p[1])) {
				if (p[0] > '5')
					goto bad;
				off += ((p[0] - '0') * 10 + (p[1] - '0')) * 60;
				p += 2;
			}
			off *= sign;
		}
	}
	if (*p != '\0')
		goto bad;
	(void)end;
	*out = timegm(&tm) - off;
	return 0;
bad:
	return es_err_set(err, ES_EUSAGE, "Invalid",
	    "invalid time '%s' for %s: use RFC 3339 (2024-01-01T00:00:00Z), "
	    "a date, @UNIX or a relative -2h", s ? s : "", what);
}

int
util_since_parse(const char *s, const char *what, time_t now, time_t *out,
    struct es_err *err)
{
	long long secs;
	struct es_err e2 = ES_ERR_INIT;

	if (s != NULL && isdigit((unsigned char)*s) &&
	    util_parse_duration(s, what, &secs, &e2) == 0 &&
	    strchr(s, '-') == NULL) {
		*out = now - secs;
		return 0;
	}
	return util_time_parse(s, what, now, out, err);
}

int
util_mkdir_p(const char *path, mode_t mode, struct es_err *err)
{
	char *p, *q;
	struct stat st;

	p = xstrdup(path);
	for (q = p + 1; ; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		if (q[-1] == '/') {
			if (*q == '\0')
				break;
			continue;
		}
		{
			char c = *q;

			*q = '\0';
			if (mkdir(p, mode) == -1 && errno != EEXIST) {
				es_err_set(err, errno == EACCES ? ES_EPERM :
				    ES_EFAIL, NULL, "cannot create directory "
				    "'%s': %s", p, strerror(errno));
				free(p);
				return -1;
			}
			if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
				es_err_set(err, ES_EFAIL, NULL, "'%s' is not a "
				    "directory", p);
				free(p);
				return -1;
			}
			*q = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return 0;
}

char *
util_path_join(const char *dir, const char *name)
{
	size_t l = strlen(dir);

	if (l > 0 && dir[l - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

char *
util_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
util_fsync_dir(const char *dir, struct es_err *err)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return es_err_set(err, ES_EFAIL, NULL, "cannot open directory "
		    "'%s': %s", dir, strerror(errno));
	if (fsync(fd) == -1 && errno != EINVAL) {
		close(fd);
		return es_err_set(err, ES_EFAIL, NULL, "cannot sync directory "
		    "'%s': %s", dir, strerror(errno));
	}
	close(fd);
	return 0;
}

int
util_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct es_err *err)
{
	char *tmp, *dir;
	const char *p = data;
	ssize_t n;
	int fd;

	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		es_err_set(err, errno == EACCES ? ES_EPERM : ES_EFAIL, NULL,
		    "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	dir = util_dirname(path);
	n = util_fsync_dir(dir, err);
	free(dir);
	return n == 0 ? 0 : -1;
fail:
	es_err_set(err, ES_EFAIL, NULL, "cannot write '%s': %s", path,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
util_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int *d, r, cost, v;

	if (la > 64 || lb > 64)
		return 99;
	d = xcalloc((la + 1) * (lb + 1), sizeof *d);
#define D(x, y) d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = (int)i;
	for (j = 0; j <= lb; j++)
		D(0, j) = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			v = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < v)
				v = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

int
util_valid_name(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

int
util_dns1123_label(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > 63)
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return 0;
	return s[0] != '-' && s[n - 1] != '-';
}

char *
util_url_redact(const char *url, const char *mask)
{
	CURLU *u;
	CURLUcode rc;
	char *user = NULL, *out = NULL, *ret;

	if ((u = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME |
	    CURLU_ALLOW_SPACE);
	if (rc == CURLUE_OK && curl_url_get(u, CURLUPART_USER, &user, 0) ==
	    CURLUE_NO_USER && curl_url_get(u, CURLUPART_PASSWORD, &out, 0) ==
	    CURLUE_NO_PASSWORD) {
		/* no credentials: the URL as written, not re-normalised */
		curl_url_cleanup(u);
		return xstrdup(url);
	}
	curl_free(user);
	curl_free(out);
	out = NULL;
	if (rc != CURLUE_OK) {
		curl_url_cleanup(u);
		/* not a URL at all ("host@x"): nothing in it is userinfo */
		if (rc == CURLUE_BAD_SCHEME || rc == CURLUE_NO_SCHEME)
			return xstrdup(url);
		/* a URL libcurl cannot read could hide credentials anywhere */
		return xstrdup(mask != NULL ? mask : "");
	}
	if (curl_url_set(u, CURLUPART_USER, mask, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		ret = xstrdup(mask != NULL ? mask : "");
	else
		ret = xstrdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return ret;
}

int
util_url_is_http(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	int ok;

	if (url == NULL)
		return 0;
	if ((u = curl_url()) == NULL)
		fatal("curl_url: out of memory");
	ok = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) ==
	    CURLUE_OK && *host != '\0' && (strcmp(scheme, "http") == 0 ||
	    strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

char *
util_escape_ctrl(const char *s)
{
	struct es_buf b = ES_BUF_INIT;
	const unsigned char *p;

	es_buf_adds(&b, "");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '\n':
			es_buf_adds(&b, "\\n");
			break;
		case '\r':
			es_buf_adds(&b, "\\r");
			break;
		case '\t':
			es_buf_adds(&b, "\\t");
			break;
		default:
			/* C0, DEL; UTF-8 C1 controls are U+0080..U+009F */
			if (*p < 0x20 || *p == 0x7f)
				es_buf_addf(&b, "\\x%02x", *p);
			else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
				es_buf_addf(&b, "\\u%04x", p[1]);
				p++;
			} else
				es_buf_addch(&b, *p);
		}
	}
	return es_buf_detach(&b, NULL);
}

const char *
util_read_strerror(int e, size_t max, char *buf, size_t len)
{
	if (e == EFBIG)
		snprintf(buf, len, "larger than the limit of %zu MiB",
		    max >> 20);
	else
		snprintf(buf, len, "%s", strerror(e));
	return buf;
}

long long
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}
