/*
 * util.h - small helpers shared by every module: numbers, durations,
 * timestamps, files and paths.
 */
#ifndef ESCTL_UTIL_H
#define ESCTL_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/*
 * OpenBSD strtonum: parses a base-10 integer in [min, max].  On error
 * returns 0 and sets *errstr to "invalid", "too small" or "too large".
 */
long long	 util_strtonum(const char *, long long, long long,
		    const char **);
/*
 * Parses a number for option or field 'what' into *out, with a complete
 * message on error ("invalid value 'x' for --replicas: must be an integer
 * between 1 and 100").  ES_EUSAGE.
 */
int		 util_parse_int(const char *s, const char *what, long long min,
		    long long max, long long *out, struct es_err *err);
/* Parses a finite double ("85", "85.5"); ES_EUSAGE on error. */
int		 util_parse_double(const char *s, const char *what,
		    double min, double max, double *out, struct es_err *err);
/* Parses yes/no words: true/false, yes/no, on/off, 1/0. */
int		 util_parse_bool(const char *s, const char *what, int *out,
		    struct es_err *err);

/*
 * Durations: "90s", "10m", "2h", "7d", "1h30m", "500ms" (rounded up to
 * whole seconds unless util_parse_duration_ms is used); a bare number is
 * seconds.
 */
int		 util_parse_duration(const char *s, const char *what,
		    long long *secs, struct es_err *err);
int		 util_parse_duration_ms(const char *s, const char *what,
		    long long *ms, struct es_err *err);
/* Formats seconds as "3d4h", "5m", "42s" (kubectl age style). */
void		 util_format_age(long long secs, char *buf, size_t len);

/* RFC 3339 UTC with second precision: "2024-01-01T00:00:00Z". */
#define UTIL_TIME_LEN	48
void		 util_time_format(time_t, char buf[UTIL_TIME_LEN]);
/* Same with microseconds, sortable: "2024-01-01T00:00:00.123456Z". */
void		 util_time_format_us(const struct timespec *,
		    char buf[UTIL_TIME_LEN]);
/*
 * Parses RFC 3339 ("2024-01-01T00:00:00Z", "...+08:00", fractional
 * seconds ignored), "2024-01-01 00:00:00" (UTC), "2024-01-01", "@UNIX",
 * or a relative "-2h" / "now" against now.
 */
int		 util_time_parse(const char *s, const char *what, time_t now,
		    time_t *out, struct es_err *err);
/*
 * "Since" values for --since: a duration back from now ("7d") or an
 * absolute time.
 */
int		 util_since_parse(const char *s, const char *what, time_t now,
		    time_t *out, struct es_err *err);

/* mkdir -p with mode for every created directory. */
int		 util_mkdir_p(const char *path, mode_t mode,
		    struct es_err *err);
/*
 * Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory.  mode is applied to the new file.
 */
int		 util_write_file_atomic(const char *path, const void *data,
		    size_t len, mode_t mode, struct es_err *err);
/* fsync a directory (after a rename inside it). */
int		 util_fsync_dir(const char *dir, struct es_err *err);
/* Returns a new string "dir/name"; caller frees. */
char		*util_path_join(const char *dir, const char *name);

/* Milliseconds of the monotonic clock (for timeouts and intervals). */
long long	 util_mono_ms(void);
/* Sleeps ms milliseconds (none when ms <= 0), through signals. */
void		 util_sleep_ms(long ms);
/* Returns the directory part as a new string; caller frees. */
char		*util_dirname(const char *path);
/*
 * A URL without the userinfo (user:password@) of its authority, as
 * libcurl's URL parser reads it: with mask NULL it is dropped, else
 * replaced by mask ("***", as kubectl shows it).  A URL without
 * credentials comes back as written; one libcurl cannot parse comes back
 * as mask (or "").  New string; caller frees.
 */
char		*util_url_redact(const char *url, const char *mask);
/* 1 when libcurl reads url as an http:// or https:// URL with a host. */
int		 util_url_is_http(const char *url);
/*
 * s with its control characters made visible, for a terminal: newline,
 * carriage return and tab as \n, \r, \t, the others (ESC, DEL, C1)
 * as \xNN.  New string; caller frees.
 */
char		*util_escape_ctrl(const char *s);

/*
 * Most bytes read into memory from an outside input that is not mapped:
 * configuration, kubeconfig, --from-file documents, token files, and data
 * (snapshot import, vectors from a pipe or a device).
 */
#define UTIL_MAX_TEXT_FILE	(16UL << 20)
#define UTIL_MAX_DATA_FILE	(256UL << 20)
/*
 * Why reading failed: strerror(e), or for EFBIG "larger than the limit of
 * N MiB" naming max.  Writes to buf; returns it.
 */
const char	*util_read_strerror(int e, size_t max, char *buf, size_t len);

/* Damerau-Levenshtein distance, for "did you mean" hints. */
int		 util_edit_distance(const char *, const char *);
/* 1 if s matches [A-Za-z0-9._-]{1,max} */
int		 util_valid_name(const char *s, size_t max);
/* 1 if s is a DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 */
int		 util_dns1123_label(const char *s);

#endif
