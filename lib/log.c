/*
 * log.c - the logger callback used by lib/ modules.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

int
es_log_enabled(const struct es_log *lg, int level)
{
	return lg != NULL && lg->fn != NULL && level <= lg->level;
}

void
es_log(const struct es_log *lg, int level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (!es_log_enabled(lg, level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	lg->fn(lg->arg, level, msg);
}
