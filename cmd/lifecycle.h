/*
 * lifecycle.h - helpers shared by the ES service lifecycle commands
 * (cluster, deployment, report, config).  cmd/ only.
 */
#ifndef ESCTL_LIFECYCLE_H
#define ESCTL_LIFECYCLE_H

#include <time.h>

#include "cmd.h"
#include "gitcfg.h"
#include "report.h"

/* The time of an event: ESCTL_NOW when set (tests), else the clock. */
time_t	 lc_now(struct esctl_ctx *);
/* ESCTL_NOW's time when set, else 0 (for options where 0 is the clock). */
time_t	 lc_fixed_now(struct esctl_ctx *);
/*
 * A report sink from report.url, report.token and report.timeout; the
 * store must be writable.
 */
int	 lc_report_sink(struct esctl_ctx *, struct report_sink **,
	    struct es_err *);

/*
 * Delivers the report outbox entries that are due, without waiting for
 * another process doing so; problems are only logged (-v).
 */
void	 lc_flush_outbox(struct esctl_ctx *);

/* GitLab options from the config and the environment. */
struct lc_gitlab {
	struct gitcfg_opts	 opts;
	char			*token;		/* owned */
	char			*cache_dir;	/* owned */
};
/*
 * Fills g from gitlab.* of the config: token from ESCTL_GITLAB_TOKEN,
 * else gitlab.token_file, else gitlab.token.  url may be NULL (then
 * gitlab.url).  Release with lc_gitlab_release.
 */
int	 lc_gitlab(struct esctl_ctx *, const char *url, const char *ref,
	    const char *path, struct lc_gitlab *g, struct es_err *);
void	 lc_gitlab_release(struct lc_gitlab *);

#endif
