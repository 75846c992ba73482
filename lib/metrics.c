/*
 * metrics.c - plugin reports: validation, storage in metric_report (one
 * row per namespace, timestamp and container, WITHOUT ROWID so that a
 * namespace's time range is one contiguous b-tree range), the latest
 * report per container in metric_latest, and threshold alerts in
 * metric_alert.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clusterobj.h"
#include "duty.h"
#include "metrics.h"
#include "notify.h"
#include "util.h"

#define METRICS_NS_MAX		63
#define METRICS_CONTAINER_MAX	253
#define METRICS_STATUS_MAX	32
#define METRICS_REPEAT_DEFAULT	(4 * 3600)
#define METRICS_ALERTED		4	/* cpu, memory, disk, qps */

static const char *const metrics_names[MX_NFIELD] = {
	"cpu_usage", "memory_usage", "disk_usage", "qps", "startup_cpu",
	"startup_memory", "startup_disk", "plugin_qps"
};

/* One validated report. */
struct metrics_rec {
	const char	*ns;		/* borrowed from the parsed JSON */
	const char	*container;
	const char	*status;	/* NULL: none */
	long long	 ts;		/* milliseconds */
	double		 v[MX_NFIELD];
	unsigned	 have;		/* bit per field */
};

/* What is known of a namespace (cached for the batch). */
struct metrics_ns {
	char		*ns;
	int		 known;
	long long	 replicas;
};

/*
 * A container seen in the batch (a slot of an open-addressing table keyed
 * by namespace and container): whether it is known, and its newest
 * report (ts -1: none stored).
 */
struct metrics_last {
	char		*ns;		/* NULL: empty slot */
	char		*container;
	size_t		 nslen, clen;
	unsigned	 hash;
	int		 known;
	char		*why;		/* when not known */
	long long	 ts;
	double		 v[MX_NFIELD];
	unsigned	 have;
};

/* The statements of a batch, cached across batches by a metrics_cache. */
enum { MS_INSERT, MS_SERVICE, MS_LATEST, MS_FIRING, MS_N };

static const char *const metrics_sql[MS_N] = {
	/*
	 * A report sent again replaces the stored one whole (every column
	 * is set; metric_report has no trigger, no other index and no
	 * reference to it): REPLACE does that with less work per row than
	 * ON CONFLICT DO UPDATE.  received_at (?13) is bound once a batch.
	 */
	"INSERT OR REPLACE INTO metric_report "
	"(namespace, ts, container_name, cpu_usage, memory_usage, "
	"disk_usage, qps, startup_cpu, startup_memory, startup_disk, "
	"plugin_qps, status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
	"?, ?, ?, ?, ?, ?13)",

	"SELECT max(d.replicas, COALESCE(t.replicas, 0)) FROM "
	"deployment_status d LEFT JOIN tenant_container t ON t.namespace = "
	"d.namespace WHERE d.namespace = ? AND d.status NOT IN ('deleted', "
	"'deleting')",

	"INSERT INTO metric_latest (namespace, "
	"container_name, ts, cpu_usage, memory_usage, disk_usage, qps, "
	"startup_cpu, startup_memory, startup_disk, plugin_qps, status) "
	"SELECT namespace, container_name, ts, cpu_usage, memory_usage, "
	"disk_usage, qps, startup_cpu, startup_memory, startup_disk, "
	"plugin_qps, status FROM metric_report WHERE namespace = ?1 AND "
	"ts = ?2 AND container_name = ?3 ON CONFLICT (namespace, "
	"container_name) DO UPDATE SET ts = excluded.ts, cpu_usage = "
	"excluded.cpu_usage, memory_usage = excluded.memory_usage, "
	"disk_usage = excluded.disk_usage, qps = excluded.qps, "
	"startup_cpu = excluded.startup_cpu, startup_memory = "
	"excluded.startup_memory, startup_disk = excluded.startup_disk, "
	"plugin_qps = excluded.plugin_qps, status = excluded.status "
	"WHERE excluded.ts >= metric_latest.ts",

	"SELECT 1 FROM metric_alert WHERE namespace = ? AND container_name = "
	"? AND state = 'firing' LIMIT 1"
};

struct metrics_cache {
	struct store	*st;
	sqlite3_stmt	*s[MS_N];
};

struct metrics_batch {
	struct metrics_cache	*cache;
	sqlite3_stmt		*own[MS_N];
	struct store		*st;
	const struct metrics_opts *opts;
	struct metrics_result	*res;
	sqlite3_stmt		*ins;
	sqlite3_stmt		*nsq;
	struct metrics_ns	*nss;
	size_t			 nns;
	struct metrics_last	*last;		/* nlast slots, a power of 2 */
	size_t			 nlast;
	size_t			 nused;
	long long		 now_ms;
	long long		 max_ms;
	size_t			 index;
	char			 first_reason[512];
	long long		 first_index;
	/* the strings of the record metrics_fast() read */
	char			 fast_ns[METRICS_NS_MAX + 1];
	char			 fast_container[METRICS_CONTAINER_MAX + 1];
	char			 fast_status[METRICS_STATUS_MAX + 1];
};

struct metrics_alerts {
	double		 def[METRICS_ALERTED];
	long long	 repeat;		/* seconds */
	struct {
		char	*ns;
		double	 v[METRICS_ALERTED];
		unsigned set;
	}		*svc;
	size_t		 nsvc;
};

/* A notification to send once the batch is committed. */
struct metrics_page {
	char		*subject;
	char		*text;
	cJSON		*fields;
};

static int	 metrics_validate(struct metrics_batch *, const cJSON *,
		    struct metrics_rec *, char *, size_t);
static int	 metrics_ns_check(struct metrics_batch *, const char *,
		    const char *, char *, size_t);
static struct metrics_last *metrics_slot(struct metrics_batch *,
		    const char *, const char *);
static int	 metrics_key(const char *);
static void	 metrics_reject(struct metrics_batch *, const char *);
static int	 metrics_store(struct metrics_batch *,
		    const struct metrics_rec *, const struct metrics_last *,
		    struct es_err *);
static void	 metrics_remember(struct metrics_last *,
		    const struct metrics_rec *);
static int	 metrics_check(struct metrics_batch *, struct metrics_rec *,
		    char *, size_t);
static int	 metrics_dns_label(const char *);
static int	 metrics_word(const char *);
static const char *metrics_fast_str(const char *, const char *);
static int	 metrics_fast(struct metrics_batch *, const char *,
		    const char *, struct metrics_rec *, const char **);
static int	 metrics_one(struct metrics_batch *, const cJSON *,
		    struct metrics_rec *, struct es_err *);
static int	 metrics_flush_latest(struct metrics_batch *,
		    struct es_err *);
static int	 metrics_check_alerts(struct metrics_batch *,
		    const struct metrics_alerts *, struct metrics_page **,
		    size_t *, struct es_err *);
static void	 metrics_batch_release(struct metrics_batch *);
static long long metrics_days(int, int, int);
static void	 metrics_tx_rollback(struct store *,
		    const struct metrics_opts *);
static int	 metrics_series_one(struct store *,
		    const struct metrics_query *, long long, long long, int,
		    cJSON **, struct es_err *);
static sqlite3_stmt *metrics_stmt(struct metrics_batch *, int,
		    struct es_err *);
static sqlite3_stmt *metrics_prepare(struct store *, const char *,
		    struct es_err *);

/* A statement bound and stepped many times by the caller. */
static sqlite3_stmt *
metrics_prepare(struct store *st, const char *sql, struct es_err *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(store_db(st), sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		store_error(st, err, "cannot prepare a statement");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Statement `which`, prepared once per cache (or per batch), reset. */
static sqlite3_stmt *
metrics_stmt(struct metrics_batch *b, int which, struct es_err *err)
{
	sqlite3_stmt **sp;

	sp = b->cache != NULL && b->cache->st == b->st ?
	    &b->cache->s[which] : &b->own[which];
	if (*sp == NULL)
		*sp = metrics_prepare(b->st, metrics_sql[which], err);
	else {
		sqlite3_reset(*sp);
		sqlite3_clear_bindings(*sp);
	}
	return *sp;
}

struct metrics_cache *
metrics_cache_new(struct store *st)
{
	struct metrics_cache *c = xcalloc(1, sizeof *c);

	c->st = st;
	return c;
}

void
metrics_cache_free(struct metrics_cache *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < MS_N; i++)
		sqlite3_finalize(c->s[i]);
	free(c);
}

const char *
metrics_field_name(int f)
{
	return f >= 0 && f < MX_NFIELD ? metrics_names[f] : "?";
}

int
metrics_field_is_pct(int f)
{
	return f != MX_QPS && f != MX_PLUGIN_QPS;
}

void
metrics_result_release(struct metrics_result *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->rejects);
	cJSON_Delete(r->pages);
	memset(r, 0, sizeof *r);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long long
metrics_days(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
metrics_parse_rfc3339(const char *s, long long *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int y, mo, d, h, mi, sec, oh, om, frac = 0, scale = 100, i;
	long long t;

	for (i = 0; i < 19; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (i == 10) {
			if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
				return -1;
		} else if (i == 13 || i == 16) {
			if (s[i] != ':')
				return -1;
		} else if (!isdigit((unsigned char)s[i]))
			return -1;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	h = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	if (sec == 60)
		sec = 59;	/* a leap second: the last whole second */
	s += 19;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	t = (metrics_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	    1000 + frac;
	if (*s == 'Z' || *s == 'z')
		s++;
	else if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' &&
	    isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5])) {
		oh = (s[1] - '0') * 10 + (s[2] - '0');
		om = (s[4] - '0') * 10 + (s[5] - '0');
		if (oh > 23 || om > 59)
			return -1;
		t += (*s == '+' ? -1 : 1) * (oh * 3600LL + om * 60) * 1000;
		s += 6;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	*ms = t;
	return 0;
}

/* The field of a member name, or -1; one comparison per name. */
static int
metrics_key(const char *k)
{
	int f;

	switch (k[0]) {
	case 'c':
		f = MX_CPU;
		break;
	case 'm':
		f = MX_MEMORY;
		break;
	case 'd':
		f = MX_DISK;
		break;
	case 'q':
		f = MX_QPS;
		break;
	case 'p':
		f = MX_PLUGIN_QPS;
		break;
	case 's':
		/* the prefix first: "status" ends before k[8] */
		if (strncmp(k, "startup_", 8) != 0)
			return -1;
		f = k[8] == 'c' ? MX_STARTUP_CPU : k[8] == 'm' ?
		    MX_STARTUP_MEMORY : MX_STARTUP_DISK;
		break;
	default:
		return -1;
	}
	return strcmp(k, metrics_names[f]) == 0 ? f : -1;
}

/* Is ns a known ES service, and container one of its pods? */
static int
metrics_ns_check(struct metrics_batch *b, const char *ns,
    const char *container, char *why, size_t len)
{
	struct metrics_ns *n = NULL;
	const char *p;
	long long ord;
	size_t i, k;
	int rc;

	for (i = 0; i < b->nns; i++)
		if (strcmp(b->nss[i].ns, ns) == 0) {
			n = &b->nss[i];
			break;
		}
	if (n == NULL) {
		b->nss = xreallocarray(b->nss, b->nns + 1, sizeof *b->nss);
		n = &b->nss[b->nns++];
		n->ns = xstrdup(ns);
		n->known = 0;
		n->replicas = 0;
		sqlite3_reset(b->nsq);
		sqlite3_bind_text(b->nsq, 1, ns, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(b->nsq)) == SQLITE_ROW) {
			n->known = 1;
			n->replicas = sqlite3_column_int64(b->nsq, 0);
		}
		sqlite3_reset(b->nsq);
		sqlite3_clear_bindings(b->nsq);
	}
	if (!n->known) {
		snprintf(why, len, "unknown namespace '%s' (no ES service)",
		    ns);
		return -1;
	}
	k = strlen(CLUSTEROBJ_STS);
	if (strncmp(container, CLUSTEROBJ_STS "-", k + 1) == 0) {
		p = container + k + 1;
		for (i = 0; isdigit((unsigned char)p[i]) && i < 6; i++)
			;
		if (i > 0 && p[i] == '\0' && (i == 1 || p[0] != '0')) {
			ord = strtoll(p, NULL, 10);
			if (ord < n->replicas)
				return 0;
		}
	}
	snprintf(why, len, "unknown container '%s' in namespace '%s' "
	    "(pods are %s-0 to %s-%lld)", container, ns, CLUSTEROBJ_STS,
	    CLUSTEROBJ_STS, n->replicas > 0 ? n->replicas - 1 : 0);
	return -1;
}

/* Checks one record; 0, or -1 with the reason in why. */
static int
metrics_validate(struct metrics_batch *b, const cJSON *o,
    struct metrics_rec *r, char *why, size_t len)
{
	const cJSON *c;
	const char *k, *s;
	double v;
	int f;

	memset(r, 0, sizeof r[0]);
	r->ts = -1;
	if (!cJSON_IsObject(o)) {
		snprintf(why, len, "a report must be a JSON object");
		return -1;
	}
	for (c = o->child; c != NULL; c = c->next) {
		k = c->string;
		if ((f = metrics_key(k)) >= 0)
			goto number;
		if (strcmp(k, "namespace") == 0 ||
		    strcmp(k, "container_name") == 0 ||
		    strcmp(k, "status") == 0) {
			if (k[0] == 's' && cJSON_IsNull(c))
				continue;
			if (!cJSON_IsString(c)) {
				snprintf(why, len, "field '%s' must be a "
				    "string", k);
				return -1;
			}
			s = c->valuestring;
			if (k[0] == 'n')
				r->ns = s;
			else if (k[0] == 'c')
				r->container = s;
			else
				r->status = s;
			continue;
		}
		if (strcmp(k, "timestamp") == 0) {
			if (cJSON_IsString(c)) {
				/* before 1970 is no plugin's clock (and a
				   negative ts would read as "absent") */
				if (metrics_parse_rfc3339(c->valuestring,
				    &r->ts) == -1 || r->ts < 0) {
					snprintf(why, len, "field 'timestamp' "
					    "'%.64s' is not an RFC 3339 time "
					    "(2024-05-01T10:00:00Z)",
					    c->valuestring);
					return -1;
				}
			} else if (cJSON_IsNumber(c)) {
				v = c->valuedouble;
				if (!(v > 0) || v > 1e14) {
					snprintf(why, len, "field 'timestamp' "
					    "%g is not a Unix time", v);
					return -1;
				}
				r->ts = v > 1e11 ? (long long)v :
				    (long long)(v * 1000.0 + 0.5);
			} else if (!cJSON_IsNull(c)) {
				snprintf(why, len, "field 'timestamp' must be "
				    "an RFC 3339 string or Unix seconds");
				return -1;
			}
			continue;
		}
		snprintf(why, len, "unknown field '%.64s'", k);
		return -1;
number:
		if (cJSON_IsNull(c))
			continue;
		if (!cJSON_IsNumber(c)) {
			snprintf(why, len, "field '%s' must be a number%s", k,
			    cJSON_IsString(c) ? ", not a string" : "");
			return -1;
		}
		v = c->valuedouble;
		if (!isfinite(v) || v < 0) {
			snprintf(why, len, "field '%s' is %g: it cannot be "
			    "negative", k, v);
			return -1;
		}
		if (metrics_field_is_pct(f) && v > 100) {
			snprintf(why, len, "field '%s' is %g: a percentage "
			    "is 0 to 100", k, v);
			return -1;
		}
		r->v[f] = v;
		r->have |= 1u << f;
	}
	return metrics_check(b, r, why, len);
}

/* The checks of a whole record, after its members were read. */
static int
metrics_check(struct metrics_batch *b, struct metrics_rec *r, char *why,
    size_t len)
{
	if (r->ns == NULL || r->ns[0] == '\0') {
		snprintf(why, len, "field 'namespace' is required");
		return -1;
	}
	if (!metrics_dns_label(r->ns)) {
		snprintf(why, len, "field 'namespace' '%.64s' is not a "
		    "Kubernetes namespace name", r->ns);
		return -1;
	}
	if (r->container == NULL || r->container[0] == '\0') {
		snprintf(why, len, "field 'container_name' is required");
		return -1;
	}
	if (strlen(r->container) > METRICS_CONTAINER_MAX) {
		snprintf(why, len, "field 'container_name' is too long");
		return -1;
	}
	if (r->status != NULL && !metrics_word(r->status)) {
		snprintf(why, len, "field 'status' '%.40s' is not a short "
		    "word", r->status);
		return -1;
	}
	if (r->ts < 0)
		r->ts = b->now_ms;
	else if (r->ts > b->max_ms) {
		snprintf(why, len, "field 'timestamp' is %lld s in the future "
		    "(more than the allowed clock skew of %lld s)",
		    (r->ts - b->now_ms) / 1000, (b->max_ms - b->now_ms) /
		    1000);
		return -1;
	}
	if (r->have == 0 && r->status == NULL) {
		snprintf(why, len, "a report needs at least one metric or a "
		    "status");
		return -1;
	}
	return 0;
}

/*
 * util_dns1123_label() of at most METRICS_NS_MAX characters, and
 * util_valid_name() of at most METRICS_STATUS_MAX, without strspn()'s
 * table built on every call (they run once per report).
 */
static int
metrics_dns_label(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (n == METRICS_NS_MAX || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return 0;
	return n > 0 && s[0] != '-' && s[n - 1] != '-';
}

static int
metrics_word(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (n == METRICS_STATUS_MAX || (!isalnum((unsigned char)s[n]) &&
		    s[n] != '.' && s[n] != '_' && s[n] != '-'))
			return 0;
	return n > 0;
}

/*
 * The fast path of one report: a flat object of the known members with
 * plain values (strings without escapes or control characters, numbers
 * that metrics_fast_num() converts exactly, null).  It fills r as
 * metrics_validate() would and returns 0 with *endp just past the '}'
 * (where cJSON would stop).  Anything else - another shape, a member
 * that metrics_validate() would reject, a string too long to be valid -
 * returns 1, and the record is parsed by cJSON and checked by
 * metrics_validate(), so every reason stays that path's.  The strings r
 * points to live in b until the next record.
 */
enum { MF_NS = -2, MF_CONTAINER = -3, MF_STATUS = -4, MF_TS = -5 };

/*
 * The member name at k (just past its opening quote), matched in place:
 * its field (enum metrics_field or MF_*) with *kn its length, or -1 for
 * any other name (or one with an escape: cJSON's part).  A known name
 * has no quote, backslash or control character, so a match followed by
 * '"' is the whole name.
 */
static int
metrics_fast_key(const char *k, const char *end, size_t *kn)
{
	static const struct {
		const char	*name;
		size_t		 len;
		int		 f;
	} keys[] = {
		{ "namespace", 9, MF_NS }, { "container_name", 14,
		MF_CONTAINER }, { "cpu_usage", 9, MX_CPU }, { "status", 6,
		MF_STATUS }, { "startup_cpu", 11, MX_STARTUP_CPU },
		{ "startup_memory", 14, MX_STARTUP_MEMORY }, { "startup_disk",
		12, MX_STARTUP_DISK }, { "timestamp", 9, MF_TS },
		{ "memory_usage", 12, MX_MEMORY }, { "disk_usage", 10,
		MX_DISK }, { "qps", 3, MX_QPS }, { "plugin_qps", 10,
		MX_PLUGIN_QPS }
	};
	size_t i, n;

	if (k == end)
		return -1;
	switch (*k) {
	case 'n':
		i = 0;
		n = 1;
		break;
	case 'c':
		i = 1;
		n = 2;
		break;
	case 's':
		i = 3;
		n = 4;
		break;
	case 't':
		i = 7;
		n = 1;
		break;
	case 'm':
		i = 8;
		n = 1;
		break;
	case 'd':
		i = 9;
		n = 1;
		break;
	case 'q':
		i = 10;
		n = 1;
		break;
	case 'p':
		i = 11;
		n = 1;
		break;
	default:
		return -1;
	}
	for (; n > 0; i++, n--)
		if ((size_t)(end - k) > keys[i].len &&
		    k[keys[i].len] == '"' &&
		    memcmp(k, keys[i].name, keys[i].len) == 0) {
			*kn = keys[i].len;
			return keys[i].f;
		}
	return -1;
}

/*
 * The end of a JSON string's content starting at p: the closing quote,
 * or NULL when there is none or the content has an escape or a control
 * character (the fast path leaves those to cJSON).  One table look-up
 * per byte.
 */
static const char *
metrics_fast_str(const char *p, const char *end)
{
	/* 2: a control character or '\\'; 1: '"' */
	static const unsigned char stop[256] = {
	    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	    ['"'] = 1, ['\\'] = 2
	};

	for (; p < end; p++)
		if (stop[(unsigned char)*p] != 0)
			return stop[(unsigned char)*p] == 1 ? p : NULL;
	return NULL;
}

/*
 * A JSON number of the strict grammar with at most 19 significant digits
 * below 2^53 and a power of ten within 1e22: one correctly rounded
 * multiplication or division of two exact doubles, which is strtod()'s
 * result (Clinger's fast path).  -1 for anything else, or when a
 * character that cJSON would take as part of the number follows.
 */
static int
metrics_fast_num(const char **pp, const char *end, double *out)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	    1e18, 1e19, 1e20, 1e21, 1e22 };
	const char *p = *pp;
	unsigned long long m = 0;
	int neg = 0, nd = 0, e = 0, x = 0, xneg = 0, xd = 0;
	double v;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == end || !isdigit((unsigned char)*p))
		return -1;
	if (*p == '0')
		p++;
	else
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (++nd > 19)
				return -1;
			m = m * 10 + (unsigned)(*p - '0');
		}
	if (p < end && *p == '.') {
		p++;
		if (p == end || !isdigit((unsigned char)*p))
			return -1;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (++nd > 19)
				return -1;
			m = m * 10 + (unsigned)(*p - '0');
			e--;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			xneg = *p++ == '-';
		if (p == end || !isdigit((unsigned char)*p))
			return -1;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (++xd > 3)
				return -1;
			x = x * 10 + (*p - '0');
		}
		e += xneg ? -x : x;
	}
	if (p < end && (isdigit((unsigned char)*p) || *p == '+' ||
	    *p == '-' || *p == 'e' || *p == 'E' || *p == '.'))
		return -1;
	if (m > (1ULL << 53) || e < -22 || e > 22)
		return -1;
	v = (double)m;
	if (e < 0)
		v /= p10[-e];
	else if (e > 0)
		v *= p10[e];
	*out = neg ? -v : v;
	*pp = p;
	return 0;
}

#define METRICS_WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || \
			    (c) == '\r')

static int
metrics_fast(struct metrics_batch *b, const char *p, const char *end,
    struct metrics_rec *r, const char **endp)
{
	const char *k, *s;
	char *dst, tsbuf[40];
	size_t kn, sn, max, nmember = 0;
	double v;
	int f;

	memset(r, 0, sizeof r[0]);
	r->ts = -1;
	if (p == end || *p++ != '{')
		return 1;
	for (;;) {
		while (p < end && METRICS_WS(*p))
			p++;
		if (p == end)
			return 1;
		if (*p == '}' && nmember == 0)
			break;		/* {} */
		nmember++;
		if (*p++ != '"')
			return 1;
		k = p;
		if ((f = metrics_fast_key(k, end, &kn)) == -1)
			return 1;
		p = k + kn + 1;
		while (p < end && METRICS_WS(*p))
			p++;
		if (p == end || *p++ != ':')
			return 1;
		while (p < end && METRICS_WS(*p))
			p++;
		if (p == end)
			return 1;
		if (*p == 'n') {
			/* null: missing; a string member must be a string */
			if (end - p < 4 || memcmp(p, "null", 4) != 0 ||
			    f == MF_NS || f == MF_CONTAINER)
				return 1;
			p += 4;
		} else if (*p == '"') {
			s = ++p;
			if ((p = metrics_fast_str(s, end)) == NULL)
				return 1;
			sn = (size_t)(p++ - s);
			switch (f) {
			case MF_NS:
				dst = b->fast_ns;
				max = sizeof b->fast_ns;
				r->ns = dst;
				break;
			case MF_CONTAINER:
				dst = b->fast_container;
				max = sizeof b->fast_container;
				r->container = dst;
				break;
			case MF_STATUS:
				dst = b->fast_status;
				max = sizeof b->fast_status;
				r->status = dst;
				break;
			case MF_TS:
				dst = tsbuf;
				max = sizeof tsbuf;
				break;
			default:
				return 1;	/* a number as a string */
			}
			if (sn >= max)
				return 1;	/* too long to be valid */
			memcpy(dst, s, sn);
			dst[sn] = '\0';
			if (f == MF_TS && (metrics_parse_rfc3339(tsbuf,
			    &r->ts) == -1 || r->ts < 0))
				return 1;
		} else {
			if (f == MF_NS || f == MF_CONTAINER ||
			    f == MF_STATUS ||
			    metrics_fast_num(&p, end, &v) == -1)
				return 1;
			if (f == MF_TS) {
				if (!(v > 0) || v > 1e14)
					return 1;
				r->ts = v > 1e11 ? (long long)v :
				    (long long)(v * 1000.0 + 0.5);
			} else {
				if (v < 0 || (metrics_field_is_pct(f) &&
				    v > 100))
					return 1;
				r->v[f] = v;
				r->have |= 1u << f;
			}
		}
		while (p < end && METRICS_WS(*p))
			p++;
		if (p == end)
			return 1;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return 1;
	}
	*endp = p + 1;
	return 0;
}

static void
metrics_reject(struct metrics_batch *b, const char *why)
{
	cJSON *o;

	if (b->res->rejected == 0) {
		snprintf(b->first_reason, sizeof b->first_reason, "%s", why);
		b->first_index = (long long)b->index;
	}
	b->res->rejected++;
	if (b->res->rejected > METRICS_MAX_REJECTS)
		return;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "index", (double)b->index);
	cJSON_AddStringToObject(o, "reason", why);
	cJSON_AddItemToArray(b->res->rejects, o);
}

/* Stores r, a report of the container of slot l (its strings bound). */
static int
metrics_store(struct metrics_batch *b, const struct metrics_rec *r,
    const struct metrics_last *l, struct es_err *err)
{
	sqlite3_stmt *s = b->ins;
	int f;

	sqlite3_bind_text(s, 1, l->ns, (int)l->nslen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, r->ts);
	sqlite3_bind_text(s, 3, l->container, (int)l->clen, SQLITE_STATIC);
	for (f = 0; f < MX_NFIELD; f++) {
		if (r->have & (1u << f))
			sqlite3_bind_double(s, 4 + f, r->v[f]);
		else
			sqlite3_bind_null(s, 4 + f);
	}
	if (r->status != NULL)
		sqlite3_bind_text(s, 4 + MX_NFIELD, r->status, -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4 + MX_NFIELD);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_reset(s);
		return store_error(b->st, err, "cannot store a report");
	}
	sqlite3_reset(s);
	return 0;
}

/* The slot of (ns, container), created (and checked) on first sight. */
static struct metrics_last *
metrics_slot(struct metrics_batch *b, const char *ns, const char *container)
{
	struct metrics_last *l, *old;
	const char *p;
	unsigned h = 2166136261u;
	size_t i, n;
	char why[512];

	for (p = ns; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (p = container; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (b->nused * 2 >= b->nlast) {
		old = b->last;
		n = b->nlast;
		b->nlast = n ? n * 2 : 16;
		b->last = xcalloc(b->nlast, sizeof *b->last);
		for (i = 0; i < n; i++) {
			if (old[i].ns == NULL)
				continue;
			l = &b->last[old[i].hash & (b->nlast - 1)];
			while (l->ns != NULL)
				l = l == &b->last[b->nlast - 1] ? b->last :
				    l + 1;
			*l = old[i];
		}
		free(old);
	}
	for (l = &b->last[h & (b->nlast - 1)]; l->ns != NULL;
	    l = l == &b->last[b->nlast - 1] ? b->last : l + 1)
		if (l->hash == h && strcmp(l->container, container) == 0 &&
		    strcmp(l->ns, ns) == 0)
			return l;
	memset(l, 0, sizeof *l);
	l->ns = xstrdup(ns);
	l->container = xstrdup(container);
	l->nslen = strlen(ns);
	l->clen = strlen(container);
	l->hash = h;
	l->ts = -1;
	l->known = metrics_ns_check(b, ns, container, why, sizeof why) == 0;
	if (!l->known)
		l->why = xstrdup(why);
	b->nused++;
	return l;
}

/* Keeps the newest record of a container. */
static void
metrics_remember(struct metrics_last *l, const struct metrics_rec *r)
{
	if (r->ts < l->ts)
		return;
	l->ts = r->ts;
	memcpy(l->v, r->v, sizeof l->v);
	l->have = r->have;
}

/*
 * Validates and (when valid) stores one record: o parsed by cJSON, or
 * fast (not NULL) read by metrics_fast().
 */
static int
metrics_one(struct metrics_batch *b, const cJSON *o,
    struct metrics_rec *fast, struct es_err *err)
{
	struct metrics_rec rec, *rp = fast != NULL ? fast : &rec;
	struct metrics_last *l;
	char why[512];

	b->res->records++;
	if ((fast != NULL ? metrics_check(b, fast, why, sizeof why) :
	    metrics_validate(b, o, &rec, why, sizeof why)) == -1) {
		metrics_reject(b, why);
		b->index++;
		return 0;
	}
	l = metrics_slot(b, rp->ns, rp->container);
	if (!l->known) {
		metrics_reject(b, l->why);
		b->index++;
		return 0;
	}
	b->index++;
	if ((b->res->rejected > 0 && !b->opts->skip_invalid) ||
	    b->opts->dry_run)
		return 0;	/* only validate */
	if (metrics_store(b, rp, l, err) == -1)
		return -1;
	metrics_remember(l, rp);
	b->res->accepted++;
	return 0;
}

static int
metrics_flush_latest(struct metrics_batch *b, struct es_err *err)
{
	sqlite3_stmt *s;
	size_t i;

	s = metrics_stmt(b, MS_LATEST, err);
	if (s == NULL)
		return -1;
	for (i = 0; i < b->nlast; i++) {
		if (b->last[i].ns == NULL || b->last[i].ts < 0)
			continue;
		sqlite3_bind_text(s, 1, b->last[i].ns, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, b->last[i].ts);
		sqlite3_bind_text(s, 3, b->last[i].container, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_reset(s);
			return store_error(b->st, err, "cannot store the "
			    "latest report");
		}
		sqlite3_reset(s);
	}
	return 0;
}

static void
metrics_batch_release(struct metrics_batch *b)
{
	size_t i;

	for (i = 0; i < MS_N; i++)
		sqlite3_finalize(b->own[i]);
	for (i = 0; i < b->nns; i++)
		free(b->nss[i].ns);
	free(b->nss);
	for (i = 0; i < b->nlast; i++) {
		free(b->last[i].ns);
		free(b->last[i].container);
		free(b->last[i].why);
	}
	free(b->last);
}

int
metrics_alerts_load(const struct config *cfg, struct metrics_alerts **out,
    struct es_err *err)
{
	static const double defs[METRICS_ALERTED] = { 90, 90, 85, 0 };
	const struct doc_node *svc, *n, *m;
	struct metrics_alerts *a;
	char key[128];
	const char *s;
	double v;
	int f;

	*out = NULL;
	a = xcalloc(1, sizeof *a);
	memcpy(a->def, defs, sizeof a->def);
	if (cfg != NULL) {
		for (f = 0; f < METRICS_ALERTED; f++) {
			snprintf(key, sizeof key, "metrics.alerts.%s",
			    metrics_names[f]);
			if ((n = config_node(cfg, key)) == NULL)
				continue;
			if (n->type == DOC_NULL) {
				a->def[f] = 0;
				continue;
			}
			if ((s = doc_scalar(n)) == NULL ||
			    util_parse_double(s, key, 0, metrics_field_is_pct(
			    f) ? 100 : 1e15, &a->def[f], err) == -1) {
				if (s == NULL)
					config_error(cfg, n, err, "'%s' must "
					    "be a number", key);
				goto fail;
			}
		}
		if (config_get_duration(cfg, "metrics.alerts.repeat_interval",
		    METRICS_REPEAT_DEFAULT, &a->repeat, err) == -1)
			goto fail;
		svc = config_node(cfg, "metrics.alerts.services");
		for (n = svc != NULL ? svc->child : NULL; n != NULL;
		    n = n->next) {
			if (n->type != DOC_MAP) {
				config_error(cfg, n, err, "'metrics.alerts."
				    "services.%s' must be a mapping of "
				    "thresholds", n->key);
				goto fail;
			}
			a->svc = xreallocarray(a->svc, a->nsvc + 1,
			    sizeof *a->svc);
			memset(&a->svc[a->nsvc], 0, sizeof a->svc[0]);
			a->svc[a->nsvc].ns = xstrdup(n->key);
			a->nsvc++;
			for (m = n->child; m != NULL; m = m->next) {
				for (f = 0; f < METRICS_ALERTED; f++)
					if (strcmp(m->key, metrics_names[f]) ==
					    0)
						break;
				if (f == METRICS_ALERTED) {
					config_error(cfg, m, err, "unknown "
					    "threshold '%s' for service '%s' "
					    "(cpu_usage, memory_usage, "
					    "disk_usage, qps)", m->key,
					    n->key);
					goto fail;
				}
				v = 0;
				if (m->type != DOC_NULL && ((s = doc_scalar(m))
				    == NULL || util_parse_double(s, m->key, 0,
				    metrics_field_is_pct(f) ? 100 : 1e15, &v,
				    err) == -1)) {
					config_error(cfg, m, err, "threshold "
					    "'%s' of service '%s' must be a "
					    "number%s", m->key, n->key,
					    metrics_field_is_pct(f) ?
					    " from 0 to 100" : "");
					goto fail;
				}
				a->svc[a->nsvc - 1].v[f] = v;
				a->svc[a->nsvc - 1].set |= 1u << f;
			}
		}
	} else
		a->repeat = METRICS_REPEAT_DEFAULT;
	*out = a;
	return 0;
fail:
	metrics_alerts_free(a);
	return -1;
}

void
metrics_alerts_free(struct metrics_alerts *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nsvc; i++)
		free(a->svc[i].ns);
	free(a->svc);
	free(a);
}

double
metrics_alerts_threshold(const struct metrics_alerts *a, const char *ns,
    int f)
{
	size_t i;

	if (a == NULL || f < 0 || f >= METRICS_ALERTED)
		return 0;
	for (i = 0; i < a->nsvc; i++)
		if (strcmp(a->svc[i].ns, ns) == 0 &&
		    (a->svc[i].set & (1u << f)))
			return a->svc[i].v[f];
	return a->def[f];
}

/* The fields of an alert's notification (firing or resolved). */
static cJSON *
metrics_page_fields(const char *ns, const char *container,
    const char *metric, double value, double threshold, const char *status)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddStringToObject(o, "container_name", container);
	cJSON_AddStringToObject(o, "metric", metric);
	cJSON_AddNumberToObject(o, "value", value);
	cJSON_AddNumberToObject(o, "threshold", threshold);
	cJSON_AddStringToObject(o, "status", status);
	return o;
}

/*
 * For each container's newest value in the batch: opens an alert on a
 * breach (and pages), pages again after repeat_interval, resolves on
 * recovery.  Every change is a compare-and-set, so two ingests racing
 * page once.
 */
static int
metrics_check_alerts(struct metrics_batch *b, const struct metrics_alerts *a,
    struct metrics_page **pages, size_t *npages, struct es_err *err)
{
	struct metrics_last *l;
	struct metrics_page *p;
	sqlite3 *db = store_db(b->st);
	cJSON *row;
	double th, v;
	long long now = b->now_ms / 1000, id, notified;
	sqlite3_stmt *fs;
	size_t i;
	int f, changed, rc;

	for (i = 0; i < b->nlast; i++) {
		l = &b->last[i];
		if (l->ns == NULL || l->ts < 0)
			continue;
		/* the usual case: no breach and no alert open */
		for (f = 0; f < METRICS_ALERTED; f++) {
			th = metrics_alerts_threshold(a, l->ns, f);
			if ((l->have & (1u << f)) && th > 0 && l->v[f] >= th)
				break;
		}
		if (f == METRICS_ALERTED) {
			if ((fs = metrics_stmt(b, MS_FIRING, err)) == NULL)
				return -1;
			sqlite3_bind_text(fs, 1, l->ns, -1, SQLITE_STATIC);
			sqlite3_bind_text(fs, 2, l->container, -1,
			    SQLITE_STATIC);
			rc = sqlite3_step(fs);
			sqlite3_reset(fs);
			if (rc == SQLITE_DONE)
				continue;
			if (rc != SQLITE_ROW)
				return store_error(b->st, err, "cannot read "
				    "the alerts");
		}
		for (f = 0; f < METRICS_ALERTED; f++) {
			if (!(l->have & (1u << f)))
				continue;
			th = metrics_alerts_threshold(a, l->ns, f);
			v = l->v[f];
			if (store_query_row_json(b->st, err, &row, "SELECT id, "
			    "notified_at FROM metric_alert WHERE namespace = ? "
			    "AND container_name = ? AND metric = ? AND state = "
			    "'firing'", "sss", l->ns, l->container,
			    metrics_names[f]) == -1)
				return -1;
			id = row ? (long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(row, "id")) : 0;
			notified = row ? (long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(row, "notified_at")) : 0;
			cJSON_Delete(row);
			changed = 0;
			if (th > 0 && v >= th) {
				if (id == 0) {
					if (store_exec(b->st, err, "INSERT OR "
					    "IGNORE INTO metric_alert "
					    "(namespace, container_name, "
					    "metric, threshold, value, state, "
					    "started_at, value_at, "
					    "notified_at, notifications) "
					    "VALUES (?, ?, ?, ?, ?, 'firing', "
					    "?, ?, ?, 1)",
					    "sssddiii", l->ns, l->container,
					    metrics_names[f], th, v, now,
					    l->ts / 1000, now) == -1)
						return -1;
					changed = sqlite3_changes(db) > 0;
				} else {
					if (store_exec(b->st, err, "UPDATE "
					    "metric_alert SET value = ?, "
					    "value_at = ?, threshold = ? "
					    "WHERE id = ?", "didi", v,
					    l->ts / 1000, th, id) == -1)
						return -1;
					if (now - notified >= a->repeat) {
						if (store_exec(b->st, err,
						    "UPDATE metric_alert SET "
						    "notified_at = ?, "
						    "notifications = "
						    "notifications + 1 WHERE "
						    "id = ? AND notified_at = "
						    "? AND state = 'firing'",
						    "iii", now, id, notified) ==
						    -1)
							return -1;
						changed = sqlite3_changes(db) >
						    0;
					}
				}
				if (!changed)
					continue;
				*pages = xreallocarray(*pages, *npages + 1,
				    sizeof **pages);
				p = &(*pages)[(*npages)++];
				p->subject = xasprintf("esctl alert: %s %g%s "
				    ">= %g%s in %s/%s", metrics_names[f], v,
				    metrics_field_is_pct(f) ? "%" : "", th,
				    metrics_field_is_pct(f) ? "%" : "",
				    l->ns, l->container);
				p->text = xasprintf("%s\n%s of container %s "
				    "in namespace %s is %g, at or above the "
				    "threshold %g.%s", p->subject,
				    metrics_names[f], l->container, l->ns, v,
				    th, id != 0 ? "\nStill firing (repeat "
				    "notification)." : "");
				p->fields = metrics_page_fields(l->ns,
				    l->container, metrics_names[f], v, th,
				    "firing");
				b->res->alerts_fired++;
			} else if (id != 0) {
				/* one "resolved" notification, counted */
				if (store_exec(b->st, err, "UPDATE "
				    "metric_alert SET state = 'resolved', "
				    "resolved_at = ?, value = ?, value_at = ?, "
				    "notified_at = ?, notifications = "
				    "notifications + 1 WHERE id = ? AND "
				    "state = 'firing'", "idiii", now, v,
				    l->ts / 1000, now, id) == -1)
					return -1;
				if (sqlite3_changes(db) == 0)
					continue;
				b->res->alerts_resolved++;
				*pages = xreallocarray(*pages, *npages + 1,
				    sizeof **pages);
				p = &(*pages)[(*npages)++];
				p->subject = xasprintf("esctl alert resolved: "
				    "%s %g%s in %s/%s", metrics_names[f], v,
				    metrics_field_is_pct(f) ? "%" : "", l->ns,
				    l->container);
				p->text = xasprintf("%s\n%s of container %s in "
				    "namespace %s is back to %g, below the "
				    "threshold: the alert is resolved.",
				    p->subject, metrics_names[f], l->container,
				    l->ns, v);
				p->fields = metrics_page_fields(l->ns,
				    l->container, metrics_names[f], v, th,
				    "resolved");
			}
		}
	}
	return 0;
}

int
metrics_ingest(struct store *st, const char *buf, size_t len,
    const struct metrics_opts *opts, const struct metrics_notify *nt,
    struct metrics_result *res, struct es_err *err)
{
	static const struct metrics_opts defopts;
	struct metrics_batch b;
	struct metrics_rec rec;
	struct metrics_page *pages = NULL;
	cJSON *doc = NULL, *it;
	const char *p = buf, *end = buf + len, *stop;
	size_t npages = 0, i, line = 1;
	time_t now;
	int rc = -1, intx = 0;

	if (opts == NULL)
		opts = &defopts;
	memset(res, 0, sizeof *res);
	res->rejects = cJSON_CreateArray();
	memset(&b, 0, sizeof b);
	b.st = st;
	b.cache = opts->cache;
	b.opts = opts;
	b.res = res;
	now = opts->now != 0 ? opts->now : time(NULL);
	b.now_ms = (long long)now * 1000;
	b.max_ms = b.now_ms + (opts->max_skew > 0 ? opts->max_skew :
	    METRICS_DEFAULT_SKEW) * 1000;
	b.first_index = -1;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end)
		return es_err_set(err, ES_EUSAGE, "EmptyBody", "no reports: "
		    "the input is empty");
	if ((b.ins = metrics_stmt(&b, MS_INSERT, err)) == NULL ||
	    (b.nsq = metrics_stmt(&b, MS_SERVICE, err)) == NULL)
		goto done;
	sqlite3_bind_int64(b.ins, 4 + MX_NFIELD + 1, b.now_ms / 1000);
	/*
	 * A big batch: room for the b-tree pages it writes (about 0.4
	 * byte per byte of NDJSON), so that no dirty page is spilled to
	 * the WAL and written there again before the commit.  64 to
	 * 256 MiB, allocated only as pages are used.
	 */
	if (len > (1 << 20)) {
		char pragma[48];
		size_t kib = len / 2 / 1024;

		kib = kib < 65536 ? 65536 : kib > 262144 ? 262144 : kib;
		/* PRAGMA cannot be bound; the value is our own number */
		snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%zu",
		    kib);
		sqlite3_exec(store_db(st), pragma, NULL, NULL, NULL);
	}
	if (!opts->dry_run) {
		if (opts->in_tx ? store_exec(st, err, "SAVEPOINT metrics_batch",
		    NULL) == -1 : store_begin(st, err) == -1)
			goto done;
		intx = 1;
	}
	if (*p == '[') {
		/*
		 * The error position comes from return_parse_end, never from
		 * cJSON_GetErrorPtr(): that is one global shared by the
		 * server's threads.
		 */
		stop = NULL;
		if ((doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p),
		    &stop, 0)) == NULL) {
			es_err_set(err, ES_EUSAGE, "MalformedJSON", "malformed "
			    "JSON array near byte %zu", (size_t)(stop !=
			    NULL ? stop - buf : 0));
			goto done;
		}
		for (; stop < end && isspace((unsigned char)*stop); stop++)
			;
		if (stop < end) {
			es_err_set(err, ES_EUSAGE, "MalformedJSON", "malformed "
			    "JSON: text after the array at byte %zu",
			    (size_t)(stop - buf));
			goto done;
		}
		cJSON_ArrayForEach(it, doc)
			if (metrics_one(&b, it, NULL, err) == -1)
				goto done;
	} else {
		/* One object, or NDJSON: objects one after another. */
		while (p < end) {
			while (p < end && isspace((unsigned char)*p)) {
				if (*p == '\n')
					line++;
				p++;
			}
			if (p == end)
				break;
			if (!opts->slow_parse && metrics_fast(&b, p, end, &rec,
			    &stop) == 0) {
				res->fast++;
				if (metrics_one(&b, NULL, &rec, err) == -1)
					goto done;
				p = stop;
				continue;
			}
			stop = NULL;
			doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p),
			    &stop, 0);
			if (doc == NULL) {
				if (res->records == 0 && memchr(p, '\n',
				    (size_t)(end - p)) == NULL) {
					es_err_set(err, ES_EUSAGE,
					    "MalformedJSON", "malformed JSON "
					    "near byte %zu", (size_t)(stop !=
					    NULL ? stop - buf : 0));
					goto done;
				}
				res->records++;
				{
					char why[96];

					snprintf(why, sizeof why, "malformed "
					    "JSON on line %zu", line);
					metrics_reject(&b, why);
				}
				b.index++;
				/* Resynchronise at the next line. */
				stop = memchr(p, '\n', (size_t)(end - p));
				p = stop != NULL ? stop : end;
				continue;
			}
			if (metrics_one(&b, doc, NULL, err) == -1)
				goto done;
			cJSON_Delete(doc);
			doc = NULL;
			p = stop;
		}
	}
	if (res->rejected > 0 && !opts->skip_invalid) {
		res->accepted = 0;
		if (intx)
			metrics_tx_rollback(st, opts);
		intx = 0;
		es_err_set(err, ES_EUSAGE, "InvalidReport", "%zu of %zu "
		    "report%s rejected, nothing stored; record %lld: %s",
		    res->rejected, res->records, res->records == 1 ? "" : "s",
		    b.first_index, b.first_reason);
		rc = 0;
		goto done;
	}
	if (opts->dry_run) {
		res->accepted = res->records - res->rejected;
		rc = 0;
		goto done;
	}
	if (metrics_flush_latest(&b, err) == -1)
		goto done;
	if (nt != NULL && nt->alerts != NULL && !opts->no_alerts &&
	    metrics_check_alerts(&b, nt->alerts, &pages, &npages, err) == -1)
		goto done;
	if (opts->in_tx) {
		if (store_exec(st, err, "RELEASE metrics_batch", NULL) == -1)
			goto done;
	} else if (store_commit(st, err) == -1) {
		intx = 0;
		goto done;
	}
	intx = 0;
	rc = 0;
	for (i = 0; i < npages; i++) {
		cJSON *pg = cJSON_CreateObject();

		cJSON_AddStringToObject(pg, "subject", pages[i].subject);
		cJSON_AddStringToObject(pg, "text", pages[i].text);
		cJSON_AddItemToObject(pg, "fields", pages[i].fields);
		pages[i].fields = NULL;
		if (res->pages == NULL)
			res->pages = cJSON_CreateArray();
		cJSON_AddItemToArray(res->pages, pg);
	}
	/* Pages go out after the commit: a failed send is logged. */
	if (!opts->in_tx && nt != NULL)
		metrics_send_pages(st, nt, res, now);
done:
	if (intx)
		metrics_tx_rollback(st, opts);
	if (rc == -1) {
		res->accepted = 0;
	}
	for (i = 0; i < npages; i++) {
		free(pages[i].subject);
		free(pages[i].text);
		cJSON_Delete(pages[i].fields);
	}
	free(pages);
	cJSON_Delete(doc);
	metrics_batch_release(&b);
	return rc;
}

/* Undoes a batch: the savepoint inside a caller's transaction. */
static void
metrics_tx_rollback(struct store *st, const struct metrics_opts *o)
{
	if (o->in_tx)
		sqlite3_exec(store_db(st), "ROLLBACK TO metrics_batch; "
		    "RELEASE metrics_batch", NULL, NULL, NULL);
	else
		store_rollback(st);
}

void
metrics_send_pages(struct store *st, const struct metrics_notify *nt,
    struct metrics_result *res, time_t now)
{
	struct notify_config ncfg;
	struct notify_result nres;
	struct notify_message msg;
	struct es_err e2 = ES_ERR_INIT;
	cJSON *people = NULL, *pg;

	if (res->pages == NULL || nt == NULL || nt->config == NULL ||
	    notify_config_load(nt->config, &ncfg, &e2) == -1)
		return;
	if (duty_on_call(st, now, &people, &e2) == -1)
		people = cJSON_CreateArray();
	cJSON_ArrayForEach(pg, res->pages) {
		memset(&msg, 0, sizeof msg);
		msg.fields = cJSON_GetObjectItem(pg, "fields");
		msg.event = strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
		    msg.fields, "status")) != NULL ? cJSON_GetStringValue(
		    cJSON_GetObjectItem(msg.fields, "status")) : "",
		    "resolved") == 0 ? "metric_alert_resolved" :
		    "metric_alert";
		msg.subject = cJSON_GetStringValue(cJSON_GetObjectItem(pg,
		    "subject"));
		msg.text = cJSON_GetStringValue(cJSON_GetObjectItem(pg,
		    "text"));
		msg.fields = cJSON_GetObjectItem(pg, "fields");
		memset(&nres, 0, sizeof nres);
		if (notify_send(st, &ncfg, &msg, people, -1, now, &nres,
		    &e2) == -1)
			es_err_clear(&e2);
		notify_result_release(&nres);
	}
	notify_config_release(&ncfg);
	cJSON_Delete(people);
	cJSON_Delete(res->pages);
	res->pages = NULL;
}

int
metrics_prune(struct store *st, time_t before, long long *n,
    struct es_err *err)
{
	cJSON *nss, *it;
	const char *ns;

	*n = 0;
	if (store_query_json(st, err, &nss, "SELECT DISTINCT namespace FROM "
	    "metric_report", NULL) == -1)
		return -1;
	if (store_begin(st, err) == -1) {
		cJSON_Delete(nss);
		return -1;
	}
	cJSON_ArrayForEach(it, nss) {
		ns = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "namespace"));
		if (store_exec(st, err, "DELETE FROM metric_report WHERE "
		    "namespace = ? AND ts < ?", "si", ns,
		    (long long)before * 1000) == -1) {
			store_rollback(st);
			cJSON_Delete(nss);
			return -1;
		}
		*n += sqlite3_changes(store_db(st));
	}
	cJSON_Delete(nss);
	if (store_exec(st, err, "DELETE FROM metric_alert WHERE state = "
	    "'resolved' AND resolved_at < ?", "i", (long long)before) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

#define METRICS_COLS \
	"namespace, container_name, " \
	"strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000.0, 'unixepoch') " \
	"AS timestamp, cpu_usage, memory_usage, disk_usage, qps, " \
	"startup_cpu, startup_memory, startup_disk, plugin_qps, status "

int
metrics_latest(struct store *st, const char *ns, cJSON **out,
    struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT " METRICS_COLS
	    "FROM metric_latest WHERE ?1 IS NULL OR namespace = ?1 "
	    "ORDER BY namespace, container_name", "s", ns);
}

int
metrics_annotate(struct store *st, cJSON *rows, struct es_err *err)
{
	sqlite3_stmt *s;
	cJSON *row, *one = NULL;
	const char *ns;

	/*
	 * The containers that reported within 10 minutes of the newest
	 * report: a pod gone in a scale-down does not count for ever.
	 */
	s = metrics_prepare(st, "SELECT sum(qps), count(qps), "
	    "max(disk_usage), count(disk_usage) FROM metric_latest WHERE "
	    "namespace = ?1 AND ts >= (SELECT max(ts) FROM metric_latest "
	    "WHERE namespace = ?1) - 600000", err);
	if (s == NULL)
		return -1;
	if (cJSON_IsObject(rows))
		one = rows;
	for (row = one != NULL ? one : (rows != NULL ? rows->child : NULL);
	    row != NULL; row = one != NULL ? NULL : row->next) {
		ns = cJSON_GetStringValue(cJSON_GetObjectItem(row,
		    "namespace"));
		cJSON_DeleteItemFromObject(row, "qps");
		cJSON_DeleteItemFromObject(row, "disk_usage");
		if (ns == NULL)
			continue;
		sqlite3_bind_text(s, 1, ns, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_int64(s, 1) > 0)
			cJSON_AddNumberToObject(row, "qps",
			    sqlite3_column_double(s, 0));
		else
			cJSON_AddNullToObject(row, "qps");
		if (sqlite3_column_int64(s, 3) > 0)
			cJSON_AddNumberToObject(row, "disk_usage",
			    sqlite3_column_double(s, 2));
		else
			cJSON_AddNullToObject(row, "disk_usage");
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

/*
 * One service's series in one pass over its rows in key order (the
 * primary key's range): sums and counts per bucket, container and field
 * in C, then per bucket the average over the containers' averages
 * (percentages) or their sum (rates).  No sort, no temporary b-tree.
 */
static int
metrics_series_one(struct store *st, const struct metrics_query *q,
    long long from, long long step, int points, cJSON **out,
    struct es_err *err)
{
	sqlite3_stmt *s;
	sqlite3_value *val;
	cJSON *res, *o, *series, *arr;
	char **names = NULL;
	double *sum = NULL, v, tot;
	unsigned *cnt = NULL;
	size_t nc = 0, c, last = 0, cell;
	long long b;
	const char *name;
	int f, i, n, any;

	/*
	 * The container test only when there is one (not "?4 IS NULL OR"
	 * on every row); the columns read as sqlite3_value (no lock and
	 * error bookkeeping per call as sqlite3_column_* do).
	 */
	if (q->container != NULL)
		s = store_prepare(st, err, "SELECT ts, container_name, "
		    "cpu_usage, memory_usage, disk_usage, qps, startup_cpu, "
		    "startup_memory, startup_disk, plugin_qps FROM "
		    "metric_report WHERE namespace = ?1 AND ts >= ?2 * 1000 "
		    "AND ts <= ?3 * 1000 + 999 AND container_name = ?4",
		    "siis", q->ns, (long long)q->from, (long long)q->to,
		    q->container);
	else
		s = store_prepare(st, err, "SELECT ts, container_name, "
		    "cpu_usage, memory_usage, disk_usage, qps, startup_cpu, "
		    "startup_memory, startup_disk, plugin_qps FROM "
		    "metric_report WHERE namespace = ?1 AND ts >= ?2 * 1000 "
		    "AND ts <= ?3 * 1000 + 999", "sii", q->ns,
		    (long long)q->from, (long long)q->to);
	if (s == NULL)
		return -1;
	while ((i = sqlite3_step(s)) == SQLITE_ROW) {
		/* ts >= 0: the division truncates as SQL's did */
		b = (sqlite3_value_int64(sqlite3_column_value(s, 0)) / 1000 -
		    from) / step;
		if (b < 0 || b >= points)
			continue;
		name = (const char *)sqlite3_value_text(
		    sqlite3_column_value(s, 1));
		if (nc == 0 || strcmp(names[last], name) != 0) {
			for (c = 0; c < nc; c++)
				if (strcmp(names[c], name) == 0)
					break;
			if (c == nc) {
				names = xreallocarray(names, nc + 1,
				    sizeof *names);
				names[nc++] = xstrdup(name);
				sum = xreallocarray(sum, nc * (size_t)points *
				    MX_NFIELD, sizeof *sum);
				cnt = xreallocarray(cnt, nc * (size_t)points *
				    MX_NFIELD, sizeof *cnt);
				cell = (nc - 1) * (size_t)points * MX_NFIELD;
				memset(sum + cell, 0, (size_t)points *
				    MX_NFIELD * sizeof *sum);
				memset(cnt + cell, 0, (size_t)points *
				    MX_NFIELD * sizeof *cnt);
			}
			last = c;
		}
		cell = (last * (size_t)points + (size_t)b) * MX_NFIELD;
		for (f = 0; f < MX_NFIELD; f++) {
			val = sqlite3_column_value(s, 2 + f);
			if (sqlite3_value_type(val) != SQLITE_NULL) {
				sum[cell + f] += sqlite3_value_double(val);
				cnt[cell + f]++;
			}
		}
	}
	sqlite3_finalize(s);
	if (i != SQLITE_DONE) {
		for (c = 0; c < nc; c++)
			free(names[c]);
		free(names);
		free(sum);
		free(cnt);
		return store_error(st, err, "cannot read the reports");
	}
	res = cJSON_CreateObject();
	if (nc > 0) {
		o = cJSON_AddObjectToObject(res, q->ns);
		cJSON_AddNumberToObject(o, "from", (double)from);
		cJSON_AddNumberToObject(o, "to", (double)q->to);
		cJSON_AddNumberToObject(o, "step", (double)step);
		series = cJSON_AddObjectToObject(o, "series");
		for (f = 0; f < MX_NFIELD; f++) {
			arr = cJSON_AddArrayToObject(series, metrics_names[f]);
			for (i = 0; i < points; i++) {
				tot = 0;
				n = any = 0;
				for (c = 0; c < nc; c++) {
					cell = (c * (size_t)points +
					    (size_t)i) * MX_NFIELD + f;
					if (cnt[cell] == 0)
						continue;
					v = sum[cell] / cnt[cell];
					tot += v;
					n++;
					any = 1;
				}
				if (!any)
					cJSON_AddItemToArray(arr,
					    cJSON_CreateNull());
				else
					cJSON_AddItemToArray(arr,
					    cJSON_CreateNumber(
					    metrics_field_is_pct(f) ? tot / n :
					    tot));
			}
		}
	}
	for (c = 0; c < nc; c++)
		free(names[c]);
	free(names);
	free(sum);
	free(cnt);
	*out = res;
	return 0;
}

#define METRICS_SERIES(nsfilter) \
	"SELECT namespace, b, avg(c0), avg(c1), avg(c2), sum(c3), avg(c4), " \
	"avg(c5), avg(c6), sum(c7) FROM (SELECT namespace, " \
	"(ts / 1000 - ?3) / ?4 AS b, container_name, avg(cpu_usage) AS c0, " \
	"avg(memory_usage) AS c1, avg(disk_usage) AS c2, avg(qps) AS c3, " \
	"avg(startup_cpu) AS c4, avg(startup_memory) AS c5, " \
	"avg(startup_disk) AS c6, avg(plugin_qps) AS c7 FROM metric_report " \
	"WHERE " nsfilter " ts >= ?3 * 1000 AND ts <= ?5 * 1000 + 999 " \
	"AND (?2 IS NULL OR container_name = ?2) GROUP BY namespace, b, " \
	"container_name) GROUP BY namespace, b ORDER BY namespace, b"

int
metrics_series(struct store *st, const struct metrics_query *q, cJSON **out,
    struct es_err *err)
{
	sqlite3_stmt *s;
	cJSON *res, *o = NULL, *series, *arr;
	const char *ns, *cur = NULL;
	long long step, from, to, b;
	int points = q->points > 0 ? q->points : 60, f, i;

	*out = NULL;
	from = (long long)q->from;
	to = (long long)q->to;
	if (to < from)
		return es_err_set(err, ES_EUSAGE, NULL, "empty time range");
	step = (to - from + points) / points;
	if (step < 1)
		step = 1;
	/*
	 * Per bucket: the average of each container, then the average of
	 * those over the service for percentages and their sum for rates.
	 * The (namespace, ts) primary key makes this one range scan.
	 */
	/*
	 * Two statements rather than "(?1 IS NULL OR namespace = ?1)",
	 * which would keep SQLite from using the primary key's range.
	 */
	if (q->ns != NULL)
		return metrics_series_one(st, q, from, step, points, out, err);
	s = store_prepare(st, err, METRICS_SERIES("?1 IS NULL AND"),
	    "ssiii", q->ns, q->container, from, step, to);
	if (s == NULL)
		return -1;
	res = cJSON_CreateObject();
	series = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ns = (const char *)sqlite3_column_text(s, 0);
		if (cur == NULL || strcmp(cur, ns) != 0) {
			o = cJSON_AddObjectToObject(res, ns);
			cJSON_AddNumberToObject(o, "from", (double)from);
			cJSON_AddNumberToObject(o, "to", (double)to);
			cJSON_AddNumberToObject(o, "step", (double)step);
			series = cJSON_AddObjectToObject(o, "series");
			for (f = 0; f < MX_NFIELD; f++) {
				arr = cJSON_AddArrayToObject(series,
				    metrics_names[f]);
				for (i = 0; i < points; i++)
					cJSON_AddItemToArray(arr,
					    cJSON_CreateNull());
			}
			cur = cJSON_GetObjectItem(res, ns)->string;
		}
		b = sqlite3_column_int64(s, 1);
		if (b < 0 || b >= points)
			continue;
		for (f = 0; f < MX_NFIELD; f++) {
			if (sqlite3_column_type(s, 2 + f) == SQLITE_NULL)
				continue;
			cJSON_ReplaceItemInArray(cJSON_GetObjectItem(series,
			    metrics_names[f]), (int)b, cJSON_CreateNumber(
			    sqlite3_column_double(s, 2 + f)));
		}
	}
	sqlite3_finalize(s);
	*out = res;
	return 0;
}

int
metrics_alert_list(struct store *st, const char *ns, int open_only,
    cJSON **out, struct es_err *err)
{
	return store_query_json(st, err, out, "SELECT id, namespace, "
	    "container_name, metric, threshold, value, state, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', started_at, 'unixepoch') AS "
	    "started_at, strftime('%Y-%m-%dT%H:%M:%SZ', notified_at, "
	    "'unixepoch') AS notified_at, notifications, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', resolved_at, 'unixepoch') AS "
	    "resolved_at FROM metric_alert WHERE (?1 IS NULL OR namespace = "
	    "?1) AND (?2 = 0 OR state = 'firing') ORDER BY started_at DESC, "
	    "id DESC", "si", ns, (long long)open_only);
}
