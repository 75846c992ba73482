/*
 * quantity.c - Kubernetes resource quantities.
 *
 * Grammar (k8s.io/apimachinery/pkg/api/resource):
 *	quantity	::= signedNumber suffix
 *	suffix		::= binarySI | decimalExponent | decimalSI
 *	binarySI	::= Ki | Mi | Gi | Ti | Pi | Ei
 *	decimalSI	::= n | u | m | "" | k | M | G | T | P | E
 *	decimalExponent	::= "e" signedNumber | "E" signedNumber
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "quantity.h"

__extension__ typedef __int128 quantity_i128;

/* Multiplies a by b into *out; -1 on overflow. */
static int
quantity_mul(quantity_i128 a, quantity_i128 b, quantity_i128 *out)
{
	const quantity_i128 lim = (quantity_i128)INT64_MAX * 1000;

	if (a != 0 && (b > lim / (a < 0 ? -a : a)))
		return -1;
	*out = a * b;
	return 0;
}

int
quantity_parse(const char *s, const char *what, int allow_negative,
    int64_t *milli, struct es_err *err)
{
	const char *p = s;
	quantity_i128 mant = 0, num, den = 1, v;
	int neg = 0, digits = 0, frac = 0, exp = 0, eneg = 0, i;
	int binexp = 0, decexp = 0;

	if (s == NULL || *s == '\0')
		goto bad;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	while (isdigit((unsigned char)*p)) {
		if (mant >= (quantity_i128)1000000000000000000LL)
			goto big;	/* more than 19 significant digits */
		mant = mant * 10 + (*p - '0');
		digits++;
		p++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac < 18) {
				mant = mant * 10 + (*p - '0');
				frac++;
			}
			/* digits beyond 1e-18 are dropped */
			digits++;
			p++;
		}
	}
	if (digits == 0)
		goto bad;
	/* suffix */
	if (*p == '\0') {
		decexp = 0;
	} else if (p[1] == 'i' && p[2] == '\0') {
		const char *bs = "KMGTPE";
		const char *q = strchr(bs, p[0]);

		if (q == NULL || p[0] == '\0')
			goto bad;
		binexp = (int)(q - bs + 1) * 10;
	} else if ((p[0] == 'e' || p[0] == 'E') && p[1] != '\0') {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			exp = exp * 10 + (*p++ - '0');
			if (exp > 40)
				goto big;
		}
		if (*p != '\0')
			goto bad;
		decexp = eneg ? -exp : exp;
	} else if (p[1] == '\0') {
		switch (p[0]) {
		case 'n': decexp = -9; break;
		case 'u': decexp = -6; break;
		case 'm': decexp = -3; break;
		case 'k': decexp = 3; break;
		case 'M': decexp = 6; break;
		case 'G': decexp = 9; break;
		case 'T': decexp = 12; break;
		case 'P': decexp = 15; break;
		case 'E': decexp = 18; break;
		default: goto bad;
		}
	} else
		goto bad;
	if (neg && !allow_negative && mant != 0)
		return es_err_set(err, ES_EUSAGE, "Invalid",
		    "invalid quantity '%s' for %s: must not be negative", s,
		    what);
	/* value in millis = mant * 10^(decexp - frac + 3) * 2^binexp */
	num = mant;
	decexp += 3 - frac;
	for (i = 0; i < binexp; i++)
		if (quantity_mul(num, 2, &num) == -1)
			goto big;
	while (decexp > 0) {
		if (quantity_mul(num, 10, &num) == -1)
			goto big;
		decexp--;
	}
	while (decexp < 0) {
		den *= 10;
		decexp++;
		if (den > (quantity_i128)1e30)
			break;
	}
	/* round up, as resource.Quantity.MilliValue() does */
	v = (num + den - 1) / den;
	if (v > INT64_MAX)
		goto big;
	*milli = neg ? -(int64_t)v : (int64_t)v;
	return 0;
big:
	return es_err_set(err, ES_EUSAGE, "Invalid",
	    "invalid quantity '%s' for %s: too large", s, what);
bad:
	return es_err_set(err, ES_EUSAGE, "Invalid",
	    "invalid quantity '%s' for %s: expected a number with an optional "
	    "suffix (m, k, M, G, T, Ki, Mi, Gi, Ti, e3), e.g. 500m, 2, 1Gi",
	    s ? s : "", what);
}

int
quantity_valid(const char *s)
{
	int64_t v;

	return quantity_parse(s, "quantity", 0, &v, NULL) == 0;
}

void
quantity_format(int64_t milli, int binary, char *buf, size_t len)
{
	static const char *bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	static const char *dec[] = { "", "k", "M", "G", "T", "P", "E" };
	int64_t v;
	int i;

	if (milli % 1000 != 0) {
		snprintf(buf, len, "%" PRId64 "m", milli);
		return;
	}
	v = milli / 1000;
	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	i = 0;
	if (binary) {
		while (i < 6 && v % 1024 == 0) {
			v /= 1024;
			i++;
		}
		if (i > 0) {
			snprintf(buf, len, "%" PRId64 "%s", v, bin[i]);
			return;
		}
	}
	while (i < 6 && v % 1000 == 0) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%" PRId64 "%s", v, dec[i]);
}

double
quantity_to_double(int64_t milli)
{
	return (double)milli / 1000.0;
}
