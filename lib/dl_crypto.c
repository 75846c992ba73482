/*
 * dl_crypto.c - the libcrypto functions esctl uses (base64, HMAC-SHA256),
 * forwarded to the library opened on first use (see dl.h).  libcrypto is
 * bound at load time (BIND_NOW: about 4,200 symbol relocations), which
 * was a third of the instructions of a one-query `esctl search`; only
 * the commands that encode base64 or sign a callback load it now.  The
 * definitions carry the prototypes of <openssl/evp.h> and
 * <openssl/hmac.h>, so the compiler checks each one against its header.
 */
#include <pthread.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dl.h"

#ifndef ESCTL_CRYPTO_SONAME
#define ESCTL_CRYPTO_SONAME	"libcrypto.so.3"
#endif

#define CRYPTO_FUNCS(X)							\
	X(EVP_EncodeBlock) X(EVP_DecodeBlock) X(EVP_sha256) X(HMAC)

#define CRYPTO_ENUM(name)	DL_##name,
#define CRYPTO_NAME(name)	#name,
enum { CRYPTO_FUNCS(CRYPTO_ENUM) DL_CRYPTO_COUNT };
static const char *const crypto_names[] = { CRYPTO_FUNCS(CRYPTO_NAME) };

/* Written once under pthread_once and only read afterwards. */
static dl_fn crypto_fns[DL_CRYPTO_COUNT];
static struct dl_lib crypto_lib = {
	ESCTL_CRYPTO_SONAME, "libssl3", crypto_names, DL_CRYPTO_COUNT,
	crypto_fns
};
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void
crypto_load(void)
{
	dl_load(&crypto_lib);
}

static dl_fn
crypto_fn(int i)
{
	pthread_once(&crypto_once, crypto_load);
	return crypto_fns[i];
}

#define CRYPTO_CALL(name)	((DL_TYPE(name))crypto_fn(DL_##name))

int
(EVP_EncodeBlock)(unsigned char *t, const unsigned char *f, int n)
{
	return CRYPTO_CALL(EVP_EncodeBlock)(t, f, n);
}

int
(EVP_DecodeBlock)(unsigned char *t, const unsigned char *f, int n)
{
	return CRYPTO_CALL(EVP_DecodeBlock)(t, f, n);
}

const EVP_MD *
(EVP_sha256)(void)
{
	return CRYPTO_CALL(EVP_sha256)();
}

unsigned char *
(HMAC)(const EVP_MD *evp_md, const void *key, int key_len,
    const unsigned char *data, size_t data_len, unsigned char *md,
    unsigned int *md_len)
{
	return CRYPTO_CALL(HMAC)(evp_md, key, key_len, data, data_len, md,
	    md_len);
}
