/*
 * csv.h - one CSV reader for every CSV input (snapshot import, vectors,
 * device import).
 *
 * RFC 4180: fields separated by commas, records by LF or CRLF, a field in
 * double quotes may hold commas, newlines and doubled quotes ("").  Blank
 * lines are skipped, a UTF-8 byte order mark at the start is ignored, and
 * blanks around an unquoted field are trimmed.  Text after a closing quote
 * other than blanks is malformed, as is a quote that is never closed.
 *
 *	struct csv_reader r;
 *	csv_init(&r, buf, len);
 *	while ((rc = csv_next(&r, &rec)) == 1) { ... rec.fields[i] ... }
 *	csv_record_release(&rec);	rc == -1: malformed at rec.line
 */
#ifndef ESCTL_CSV_H
#define ESCTL_CSV_H

#include <stddef.h>

struct csv_reader {
	const char	*p;
	const char	*end;
	unsigned	 line;		/* 1-based line of p */
};

struct csv_record {
	char		**fields;	/* n new strings, owned by the record */
	size_t		  n;
	unsigned	  line;		/* 1-based line the record starts on */
	size_t		  alloc;
};

#define CSV_RECORD_INIT	{ NULL, 0, 0, 0 }

/* Reads from buf[0..len) (borrowed; must outlive the reader). */
void	csv_init(struct csv_reader *, const char *buf, size_t len);
/*
 * The next record into rec (its previous fields are freed): 1 for a
 * record, 0 at the end, -1 when it is malformed (rec->line says where).
 */
int	csv_next(struct csv_reader *, struct csv_record *rec);
/* Frees the fields; rec can be reused. */
void	csv_record_release(struct csv_record *);

#endif
