/*
 * base64.h - base64 (RFC 4648) through OpenSSL's libcrypto, the one
 * implementation every module uses (kubeconfig data, basic auth, mail
 * subjects).
 */
#ifndef ESCTL_BASE64_H
#define ESCTL_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Appends the base64 of s[0..n) (standard alphabet, padded) to b. */
void	base64_encode(struct es_buf *b, const void *s, size_t n);
/*
 * Decodes s (standard or URL alphabet, padding optional, whitespace
 * ignored) into new bytes, NUL-terminated, length in *len.  Returns 0, or
 * -1 when s is not base64.  Caller frees *out.
 */
int	base64_decode(const char *s, char **out, size_t *len);

#endif
