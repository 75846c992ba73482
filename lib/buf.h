/*
 * buf.h - a growable byte buffer (git strbuf).
 *
 *	struct es_buf b = ES_BUF_INIT;
 *	es_buf_addf(&b, "%s=%d", k, v);
 *	use(b.data);		(always NUL-terminated, even when empty)
 *	es_buf_release(&b);	(or es_buf_detach() to keep the string)
 */
#ifndef ESCTL_BUF_H
#define ESCTL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "xmalloc.h"

struct es_buf {
	char	*data;		/* NUL-terminated; never NULL after init */
	size_t	 len;
	size_t	 alloc;
};

extern char es_buf_empty[];
#define ES_BUF_INIT	{ es_buf_empty, 0, 0 }

void	 es_buf_init(struct es_buf *);
/* Frees the memory and re-initialises the buffer. */
void	 es_buf_release(struct es_buf *);
/* Returns the contents as a new string (caller frees); buffer is reset. */
char	*es_buf_detach(struct es_buf *, size_t *);
/* Makes room for n more bytes. */
void	 es_buf_grow(struct es_buf *, size_t);
void	 es_buf_reset(struct es_buf *);
void	 es_buf_truncate(struct es_buf *, size_t);
void	 es_buf_add(struct es_buf *, const void *, size_t);
void	 es_buf_adds(struct es_buf *, const char *);
void	 es_buf_addch(struct es_buf *, int);
void	 es_buf_addf(struct es_buf *, const char *, ...) ES_PRINTF(2, 3);
void	 es_buf_vaddf(struct es_buf *, const char *, va_list) ES_PRINTF(2, 0);
/* Appends s as a JSON string literal, quotes included. */
void	 es_buf_add_json_str(struct es_buf *, const char *);
/* Reads a whole file (or stdin for "-"); 0 on success, -1 with errno. */
int	 es_buf_read_file(struct es_buf *, const char *);
/*
 * The same, stopping with errno EFBIG once more than max bytes came (a
 * device such as /dev/zero or an endless pipe is never read whole).
 */
int	 es_buf_read_file_max(struct es_buf *, const char *, size_t max);

/*
 * Maps the regular file path read-only, for a big input read once
 * (no copy, no growing buffer): 0 with *map and *len, 1 when path is
 * not a regular file or is empty (read it with es_buf_read_file()),
 * -1 with errno.  es_buf_unmap() releases it.
 */
int	 es_buf_map_file(const char *path, void **map, size_t *len);
void	 es_buf_unmap(void *map, size_t len);

#endif
