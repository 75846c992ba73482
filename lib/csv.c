/*
 * csv.c - RFC 4180 records, shared by every CSV reader (snapshot import,
 * device import).
 */
#include <stdlib.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

/*
 * Reads one CSV record (RFC 4180: quotes, doubled quotes, CRLF) starting
 * at *p; fields are new strings in *fields.  Returns 1 for a record, 0 at
 * the end, -1 on an unterminated quote.  *line advances over newlines.
 */
int
csv_record(const char **p, const char *end, char ***fields,
    size_t *n, unsigned *line)
{
	struct es_buf f = ES_BUF_INIT;
	const char *s = *p;
	size_t alloc = 0;
	int quoted;

	*fields = NULL;
	*n = 0;
	/* skip blank lines */
	while (s < end && (*s == '\n' || *s == '\r')) {
		if (*s == '\n')
			(*line)++;
		s++;
	}
	if (s >= end) {
		*p = s;
		return 0;
	}
	for (;;) {
		es_buf_reset(&f);
		quoted = 0;
		if (s < end && *s == '"') {
			quoted = 1;
			s++;
			for (;;) {
				if (s >= end) {
					es_buf_release(&f);
					csv_fields_free(*fields, *n);
					*fields = NULL;
					*n = 0;
					*p = s;
					return -1;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						es_buf_addch(&f, '"');
						s += 2;
						continue;
					}
					s++;
					break;
				}
				if (*s == '\n')
					(*line)++;
				es_buf_addch(&f, *s++);
			}
		}
		while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
			if (!quoted)
				es_buf_addch(&f, *s);
			s++;
		}
		if (*n + 1 >= alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*fields = xreallocarray(*fields, alloc,
			    sizeof **fields);
		}
		/* trim unquoted blanks */
		if (!quoted) {
			while (f.len > 0 && (f.data[f.len - 1] == ' ' ||
			    f.data[f.len - 1] == '\t'))
				es_buf_truncate(&f, f.len - 1);
		}
		{
			const char *b = f.data;

			while (!quoted && (*b == ' ' || *b == '\t'))
				b++;
			(*fields)[(*n)++] = xstrdup(b);
		}
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n') {
		s++;
		(*line)++;
	}
	es_buf_release(&f);
	*p = s;
	return 1;
}

void
csv_fields_free(char **fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

