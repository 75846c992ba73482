/*
 * csv.h - reading CSV records (RFC 4180: quoted fields, doubled quotes,
 * newlines inside quotes, CRLF; unquoted fields are trimmed of blanks;
 * blank lines are skipped): the reader snapshot import already had, made
 * the one module every CSV reader uses.  Debian packages libcsv
 * (libcsv-dev); moving this module onto it is a known follow-up, one
 * place to change.
 */
#ifndef ESCTL_CSV_H
#define ESCTL_CSV_H

#include <stddef.h>

/*
 * Reads one record starting at *p (advanced past it); the fields are new
 * strings in *fields (free with csv_fields_free).  Returns 1 for a
 * record, 0 at the end, -1 on an unterminated quote.  *line counts the
 * newlines passed (start it at 1 for line numbers).
 */
int	csv_record(const char **p, const char *end, char ***fields,
	    size_t *n, unsigned *line);
/* Frees what csv_record returned (NULL-safe). */
void	csv_fields_free(char **fields, size_t n);

#endif
