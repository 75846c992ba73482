/*
 * duty.h - the duty roster (duty_roster, seed 003 5.9): who is on duty
 * when, and how to reach them.
 *
 * duty_date, start_time and end_time are local wall-clock time (the TZ of
 * the process, as cron uses).  A shift whose end_time is not after its
 * start_time runs past midnight into the next day; start_time equal to
 * end_time is a whole day.  contact_info is a JSON object with optional
 * "email", "phone" and "im" members.
 */
#ifndef ESCTL_DUTY_H
#define ESCTL_DUTY_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

#define DUTY_USER_MAX	100

struct duty_shift {
	const char	*user_id;
	char		 duty_date[11];		/* YYYY-MM-DD */
	char		 start_time[9];		/* HH:MM:SS */
	char		 end_time[9];		/* HH:MM:SS, or 24:00:00 */
	const char	*email;			/* NULL: none */
	const char	*phone;
	const char	*im;
};

/* Normalises "2024-01-01" into out (validated calendar date). */
int	duty_parse_date(const char *s, char out[11], struct es_err *err);
/* Normalises "8:00", "08:00:30" or "24:00" into out "HH:MM:SS". */
int	duty_parse_time(const char *s, const char *what, char out[9],
	    struct es_err *err);
/*
 * Stores a shift; *id gets its id.  ES_EUSAGE for a bad user id or
 * contact, ES_ECONFLICT when the same user already has the same shift.
 */
int	duty_add(struct store *, const struct duty_shift *, time_t now,
	    long long *id, struct es_err *err);
/* Deletes a shift; ES_ENOTFOUND. */
int	duty_remove(struct store *, long long id, struct es_err *err);

struct duty_filter {
	const char	*user_id;	/* NULL: everyone */
	const char	*from;		/* YYYY-MM-DD or NULL */
	const char	*to;		/* YYYY-MM-DD or NULL */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Shifts by date and start time: id, user_id, duty_date, start_time,
 * end_time, contact_info (object), created_at.
 */
int	duty_list(struct store *, const struct duty_filter *, cJSON **out,
	    struct es_err *err);
/* The shifts covering `when` (local time), same shape as duty_list. */
int	duty_on_call(struct store *, time_t when, cJSON **out,
	    struct es_err *err);

#endif
