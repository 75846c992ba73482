/*
 * buf.c - a growable byte buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "buf.h"

char es_buf_empty[1];

void
es_buf_init(struct es_buf *b)
{
	b->data = es_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void
es_buf_release(struct es_buf *b)
{
	if (b->alloc != 0)
		free(b->data);
	es_buf_init(b);
}

char *
es_buf_detach(struct es_buf *b, size_t *lenp)
{
	char *p;

	if (lenp != NULL)
		*lenp = b->len;
	if (b->alloc == 0)
		p = xstrdup("");
	else
		p = b->data;
	es_buf_init(b);
	return p;
}

void
es_buf_grow(struct es_buf *b, size_t n)
{
	size_t want;

	if (b->len + n + 1 < b->len)
		fatal("es_buf overflow");
	want = b->len + n + 1;
	if (want <= b->alloc)
		return;
	if (b->alloc == 0) {
		b->data = NULL;
	}
	b->alloc = b->alloc ? b->alloc : 64;
	while (b->alloc < want)
		b->alloc = b->alloc * 3 / 2 + 16;
	b->data = xrealloc(b->data, b->alloc);
	b->data[b->len] = '\0';
}

void
es_buf_reset(struct es_buf *b)
{
	es_buf_truncate(b, 0);
}

void
es_buf_truncate(struct es_buf *b, size_t len)
{
	if (len > b->len)
		fatal("es_buf_truncate beyond length");
	if (b->alloc == 0)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void
es_buf_add(struct es_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	es_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
es_buf_adds(struct es_buf *b, const char *s)
{
	es_buf_add(b, s, strlen(s));
}

void
es_buf_addch(struct es_buf *b, int c)
{
	es_buf_grow(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

void
es_buf_vaddf(struct es_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatal("bad format string '%s'", fmt);
	es_buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
es_buf_addf(struct es_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	es_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
es_buf_add_json_str(struct es_buf *b, const char *s)
{
	const unsigned char *p;

	es_buf_addch(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			es_buf_adds(b, "\\\"");
			break;
		case '\\':
			es_buf_adds(b, "\\\\");
			break;
		case '\n':
			es_buf_adds(b, "\\n");
			break;
		case '\r':
			es_buf_adds(b, "\\r");
			break;
		case '\t':
			es_buf_adds(b, "\\t");
			break;
		default:
			if (*p < 0x20)
				es_buf_addf(b, "\\u%04x", *p);
			else
				es_buf_addch(b, *p);
		}
	}
	es_buf_addch(b, '"');
}

int
es_buf_read_file(struct es_buf *b, const char *path)
{
	return es_buf_read_file_max(b, path, SIZE_MAX);
}

int
es_buf_read_file_max(struct es_buf *b, const char *path, size_t max)
{
	char tmp[65536];
	ssize_t n;
	size_t got = 0;
	int fd, saved;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > max - got) {
			n = -1;
			errno = EFBIG;
			break;
		}
		got += (size_t)n;
		es_buf_add(b, tmp, (size_t)n);
	}
	saved = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	return 0;
}

int
es_buf_map_file(const char *path, void **map, size_t *len)
{
	struct stat sb;
	void *m;
	int fd, saved;

	*map = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (unsigned long long)sb.st_size > SIZE_MAX) {
		close(fd);
		return 1;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE |
	    MAP_POPULATE, fd, 0);
	saved = errno;
	close(fd);
	if (m == MAP_FAILED) {
		errno = saved;
		return -1;
	}
	(void)madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
	*map = m;
	*len = (size_t)sb.st_size;
	return 0;
}

void
es_buf_unmap(void *map, size_t len)
{
	if (map != NULL)
		munmap(map, len);
}
