/*
 * notify.h - notifications to the people on duty (notification_log, seed
 * 003 5.10) through the configured channels:
 *
 *	system	stored in notification_log only (the bell of the seed's UI)
 *	im	a webhook: HTTP POST of a JSON message mentioning everyone on
 *		duty (DingTalk / WeCom style "text" message plus the fields)
 *	email	SMTP through libcurl, one message per person on duty
 *	sms	an HTTP gateway: POST {"to", "message", "user_id"} per person
 *
 * Every attempt is a notification_log row with status sent or failed and
 * the error.  A failing channel never fails the caller: notify_send()
 * returns -1 only when the store cannot be written.
 */
#ifndef ESCTL_NOTIFY_H
#define ESCTL_NOTIFY_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "err.h"
#include "store.h"

enum notify_channel {
	NOTIFY_SYSTEM,
	NOTIFY_IM,
	NOTIFY_EMAIL,
	NOTIFY_SMS,
	NOTIFY_NCHANNEL
};

enum notify_tls {
	NOTIFY_TLS_NONE,	/* plain SMTP (smtps:// URLs use TLS anyway) */
	NOTIFY_TLS_STARTTLS	/* require STARTTLS */
};

/* The notify: section of the configuration (esctl.yaml(5)). */
struct notify_config {
	int		 enabled[NOTIFY_NCHANNEL];
	long long	 timeout_ms;
	char		*im_url;
	char		*im_token;
	char		*email_url;		/* smtp://host:port */
	char		*email_from;
	char		*email_username;
	char		*email_password;
	int		 email_tls;		/* enum notify_tls */
	char		*sms_url;
	char		*sms_token;
};

/*
 * Reads the notify: settings (defaults: channels [system], timeout 10s).
 * A channel listed without its address is an error naming the key.
 */
int	 notify_config_load(const struct config *, struct notify_config *,
	    struct es_err *err);
void	 notify_config_release(struct notify_config *);

const char *notify_channel_name(int);
int	 notify_channel_parse(const char *, int *, struct es_err *err);

/* What to send. */
struct notify_message {
	long long	 order_id;	/* 0: none */
	long long	 strategy_id;	/* 0: none */
	const char	*event;		/* "order_created", "test" */
	const char	*subject;
	const char	*text;		/* plain text, lines separated by \n */
	const cJSON	*fields;	/* extra JSON members for webhooks */
};

/* One delivery attempt. */
struct notify_attempt {
	int	 channel;
	char	*recipient;
	int	 ok;
	char	*error;			/* NULL when ok */
	long long log_id;		/* its notification_log row */
};

struct notify_result {
	struct notify_attempt	*v;
	size_t			 n;
	size_t			 sent, failed;
};

/*
 * Sends msg to the people in `people` (a JSON array of duty rows:
 * {user_id, contact_info{email, phone, im}}) through every enabled
 * channel, or through `only` when it is >= 0 (enabled or not).  With
 * nobody on duty, system and im still get the message (unaddressed);
 * email and sms have nobody to go to.  Records every attempt in
 * notification_log (one transaction, after the network work).  res is
 * filled (release with notify_result_release).
 */
int	 notify_send(struct store *, const struct notify_config *,
	    const struct notify_message *, const cJSON *people, int only,
	    time_t now, struct notify_result *res, struct es_err *err);
/*
 * The two halves of notify_send: notify_deliver() does the network work
 * and fills res (it never fails); notify_record() writes res to
 * notification_log (call it inside a transaction; it sets log_id), so
 * that many notifications can be recorded in one transaction.
 */
void	 notify_deliver(const struct notify_config *,
	    const struct notify_message *, const cJSON *people, int only,
	    time_t now, struct notify_result *res);
int	 notify_record(struct store *, const struct notify_message *,
	    struct notify_result *res, time_t now, struct es_err *err);
/*
 * notify_record() for many messages: the insert is prepared once by
 * notify_log_new() (inside the transaction), notify_log_add() records one
 * message's attempts like notify_record().
 */
struct notify_log;
struct notify_log *notify_log_new(struct store *, struct es_err *);
int	 notify_log_add(struct notify_log *, const struct notify_message *,
	    struct notify_result *res, time_t now, struct es_err *err);
void	 notify_log_free(struct notify_log *);
void	 notify_result_release(struct notify_result *);

struct notify_filter {
	int		 unread;	/* status sent, not yet read */
	const char	*status;	/* NULL: any */
	const char	*type;		/* NULL: any */
	long long	 order_id;	/* 0: any */
	time_t		 since;		/* 0: no bound */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Notifications, newest first: the seed's columns plus order_number and
 * read_time.
 */
int	 notify_list(struct store *, const struct notify_filter *,
	    cJSON **out, struct es_err *err);
/*
 * Marks notification id (0: every unread one) as read; *changed counts
 * rows.  ES_ENOTFOUND for an unknown id; a failed notification cannot be
 * marked read (ES_ECONFLICT).
 */
int	 notify_mark_read(struct store *, long long id, time_t now,
	    long long *changed, struct es_err *err);

#endif
