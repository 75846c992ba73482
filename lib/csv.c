/*
 * csv.c - the CSV reader (see csv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

void
csv_init(struct csv_reader *r, const char *buf, size_t len)
{
	r->p = buf;
	r->end = buf + len;
	r->line = 1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

void
csv_record_release(struct csv_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		free(rec->fields[i]);
	free(rec->fields);
	rec->fields = NULL;
	rec->n = rec->alloc = 0;
}

static void
csv_add(struct csv_record *rec, struct es_buf *f, int quoted)
{
	const char *b = f->data;

	if (!quoted) {
		while (f->len > 0 && (f->data[f->len - 1] == ' ' ||
		    f->data[f->len - 1] == '\t'))
			es_buf_truncate(f, f->len - 1);
		b = f->data;
		while (*b == ' ' || *b == '\t')
			b++;
	}
	if (rec->n + 1 >= rec->alloc) {
		rec->alloc = rec->alloc ? rec->alloc * 2 : 16;
		rec->fields = xreallocarray(rec->fields, rec->alloc,
		    sizeof *rec->fields);
	}
	rec->fields[rec->n++] = xstrdup(b);
	rec->fields[rec->n] = NULL;
}

int
csv_next(struct csv_reader *r, struct csv_record *rec)
{
	struct es_buf f = ES_BUF_INIT;
	const char *s = r->p, *end = r->end;
	int quoted, rc = 1;

	csv_record_release(rec);
	while (s < end && (*s == '\n' || *s == '\r')) {
		if (*s == '\n')
			r->line++;
		s++;
	}
	rec->line = r->line;
	if (s >= end) {
		r->p = s;
		return 0;
	}
	for (;;) {
		es_buf_reset(&f);
		quoted = 0;
		/* s may be at end after a trailing comma: an empty field */
		if (s < end && *s == '"') {
			quoted = 1;
			for (s++;; s++) {
				if (s >= end) {
					rc = -1;
					goto done;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						es_buf_addch(&f, '"');
						s++;
						continue;
					}
					s++;
					break;
				}
				if (*s == '\n')
					r->line++;
				es_buf_addch(&f, *s);
			}
		}
		for (; s < end && *s != ',' && *s != '\n' && *s != '\r'; s++) {
			if (quoted && *s != ' ' && *s != '\t') {
				rc = -1;
				goto done;
			}
			if (!quoted)
				es_buf_addch(&f, *s);
		}
		csv_add(rec, &f, quoted);
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
		r->line++;
	}
done:
	es_buf_release(&f);
	r->p = s;
	return rc;
}
