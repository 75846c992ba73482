/*
 * log.h - how lib/ modules report progress and debug detail without
 * printing: the caller passes a logger, and cmd/ decides where it goes
 * (stderr with -v, nowhere by default).  A NULL logger is silent.
 */
#ifndef ESCTL_LOG_H
#define ESCTL_LOG_H

#include "xmalloc.h"

enum es_log_level {
	ES_LOG_ERROR,
	ES_LOG_WARN,
	ES_LOG_INFO,
	ES_LOG_DEBUG,
	ES_LOG_TRACE
};

struct es_log {
	void	(*fn)(void *arg, int level, const char *msg);
	void	 *arg;
	int	  level;	/* messages above this level are dropped */
};

void	es_log(const struct es_log *, int level, const char *fmt, ...)
	    ES_PRINTF(3, 4);
/* 1 if a message at level would be shown (skip costly formatting). */
int	es_log_enabled(const struct es_log *, int level);

#endif
