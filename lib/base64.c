/*
 * base64.c - base64 through libcrypto's EVP_EncodeBlock and
 * EVP_DecodeBlock (see base64.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "xmalloc.h"

void
base64_encode(struct es_buf *b, const void *s, size_t n)
{
	size_t need = 4 * ((n + 2) / 3);

	if (n > (size_t)0x3fffffff)
		fatal("base64_encode: %zu bytes is too long", n);
	es_buf_grow(b, need + 1);
	EVP_EncodeBlock((unsigned char *)b->data + b->len, s, (int)n);
	b->len += need;
	b->data[b->len] = '\0';
}

int
base64_decode(const char *s, char **out, size_t *len)
{
	struct es_buf in = ES_BUF_INIT;
	unsigned char *d;
	size_t pad = 0, k;
	int n;

	*out = NULL;
	*len = 0;
	/* the canonical form EVP_DecodeBlock takes: no blanks, padded */
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			goto bad;
		es_buf_addch(&in, *s == '-' ? '+' : *s == '_' ? '/' : *s);
	}
	if (pad > 2 || in.len % 4 == 1)
		goto bad;
	for (k = in.len % 4 ? 4 - in.len % 4 : 0, pad = k; k > 0; k--)
		es_buf_addch(&in, '=');
	d = xmalloc(in.len / 4 * 3 + 1);
	n = in.len > 0 ? EVP_DecodeBlock(d, (unsigned char *)in.data,
	    (int)in.len) : 0;
	if (n < 0) {
		free(d);
		goto bad;
	}
	/* EVP_DecodeBlock counts the bytes the padding stands for */
	*len = (size_t)n - pad;
	d[*len] = '\0';
	*out = (char *)d;
	es_buf_release(&in);
	return 0;
bad:
	es_buf_release(&in);
	return -1;
}
