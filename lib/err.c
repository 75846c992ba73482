/*
 * err.c - caller-owned errors.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

void
es_err_clear(struct es_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->reason[0] = '\0';
	err->msg[0] = '\0';
}

const char *
es_err_reason_for(int code)
{
	switch (code) {
	case ES_OK:
		return "";
	case ES_EUSAGE:
		return "BadRequest";
	case ES_ENOTFOUND:
		return "NotFound";
	case ES_ECONFLICT:
		return "Conflict";
	case ES_EQUOTA:
		return "QuotaExceeded";
	case ES_EREMOTE:
		return "RemoteError";
	case ES_EPERM:
		return "Forbidden";
	default:
		return "InternalError";
	}
}

int
es_err_vset(struct es_err *err, int code, const char *reason,
    const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->code = code == ES_OK ? ES_EFAIL : code;
	if (reason == NULL || *reason == '\0')
		reason = es_err_reason_for(err->code);
	snprintf(err->reason, sizeof err->reason, "%s", reason);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	return -1;
}

int
es_err_set(struct es_err *err, int code, const char *reason,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	es_err_vset(err, code, reason, fmt, ap);
	va_end(ap);
	return -1;
}

int
es_err_prefix(struct es_err *err, const char *fmt, ...)
{
	char prefix[ES_ERR_MSG_MAX];
	size_t plen, mlen;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	prefix[plen++] = ':';
	prefix[plen++] = ' ';
	mlen = strlen(err->msg);
	if (plen + mlen >= sizeof err->msg)
		mlen = sizeof err->msg - plen - 1;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	if (err->code == 0)
		err->code = ES_EFAIL;
	return -1;
}
