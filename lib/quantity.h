/*
 * quantity.h - Kubernetes resource quantities ("500m", "2", "1Gi",
 * "1.5G", "1e3").
 *
 * Values are held as int64 thousandths of the unit (millis), which covers
 * CPU down to 1m and memory/disk up to 8 EiB / 1000 exactly; finer
 * fractions are rounded up as the API server does for MilliValue().
 */
#ifndef ESCTL_QUANTITY_H
#define ESCTL_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Parses s (Kubernetes quantity grammar) into *milli.  what names the
 * field in error messages.  Negative values are rejected unless
 * allow_negative.  ES_EUSAGE on error.
 */
int	quantity_parse(const char *s, const char *what, int allow_negative,
	    int64_t *milli, struct es_err *err);
/* 1 if s is a valid quantity. */
int	quantity_valid(const char *s);
/*
 * Formats millis canonically: "500m", "2", "1536Mi", "10Gi" (binary
 * suffixes when the value is a whole multiple of 1024 and binary is set,
 * decimal suffixes otherwise).  Writes into buf.
 */
void	quantity_format(int64_t milli, int binary, char *buf, size_t len);
/* Value in whole units as a double (for ratios and display). */
double	quantity_to_double(int64_t milli);

#endif
