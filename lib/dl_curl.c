/*
 * dl_curl.c - the libcurl functions esctl uses, forwarded to libcurl
 * opened on first use (see dl.h).  The definitions carry the prototypes
 * of <curl/curl.h>, so the compiler checks each one against libcurl's
 * header; the names are parenthesised so that libcurl's type-checking
 * macros are not expanded here.
 */
#include <pthread.h>
#include <stdarg.h>

#include <curl/curl.h>

#include "dl.h"

#ifndef ESCTL_CURL_SONAME
#define ESCTL_CURL_SONAME	"libcurl.so.4"
#endif

#define CURL_FUNCS(X)							\
	X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset)	\
	X(curl_easy_perform) X(curl_easy_setopt) X(curl_easy_getinfo)	\
	X(curl_easy_strerror) X(curl_easy_escape) X(curl_free)		\
	X(curl_slist_append) X(curl_slist_free_all) X(curl_url)	\
	X(curl_url_cleanup) X(curl_url_get) X(curl_url_set)		\
	X(curl_url_strerror) X(curl_mime_init) X(curl_mime_free)	\
	X(curl_mime_addpart) X(curl_mime_data) X(curl_mime_type)	\
	X(curl_mime_encoder)						\
	X(curl_multi_init) X(curl_multi_cleanup)			\
	X(curl_multi_add_handle) X(curl_multi_remove_handle)		\
	X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read) \
	X(curl_version_info)

#define CURL_ENUM(name)	DL_##name,
#define CURL_NAME(name)	#name,
enum { CURL_FUNCS(CURL_ENUM) DL_CURL_COUNT };
static const char *const curl_names[] = { CURL_FUNCS(CURL_NAME) };

/*
 * Written once under pthread_once and only read afterwards: the process's
 * own binding table, like the one the dynamic linker keeps.
 */
static dl_fn curl_fns[DL_CURL_COUNT];
static struct dl_lib curl_lib = {
	ESCTL_CURL_SONAME, "libcurl4", curl_names, DL_CURL_COUNT, curl_fns
};
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_load(void)
{
	dl_load(&curl_lib);
}

static dl_fn
curl_fn(int i)
{
	pthread_once(&curl_once, curl_load);
	return curl_fns[i];
}

#define CURL_CALL(name)	((DL_TYPE(name))curl_fn(DL_##name))

CURL *
(curl_easy_init)(void)
{
	return CURL_CALL(curl_easy_init)();
}

void
(curl_easy_cleanup)(CURL *curl)
{
	CURL_CALL(curl_easy_cleanup)(curl);
}

void
(curl_easy_reset)(CURL *curl)
{
	CURL_CALL(curl_easy_reset)(curl);
}

CURLcode
(curl_easy_perform)(CURL *curl)
{
	return CURL_CALL(curl_easy_perform)(curl);
}

/*
 * The option number says the type of the one argument (see CURLOPTTYPE_*
 * in curl.h): a long, a data or function pointer, a curl_off_t or a blob
 * pointer.
 */
CURLcode
(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
	CURLcode (*f)(CURL *, CURLoption, ...) = CURL_CALL(curl_easy_setopt);
	CURLcode rc;
	va_list ap;

	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = f(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = f(curl, option, va_arg(ap, dl_fn));
	else if (option < CURLOPTTYPE_BLOB)
		rc = f(curl, option, va_arg(ap, curl_off_t));
	else
		rc = f(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* is answered through a pointer. */
CURLcode
(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
	CURLcode (*f)(CURL *, CURLINFO, ...) = CURL_CALL(curl_easy_getinfo);
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = f(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *
(curl_easy_strerror)(CURLcode code)
{
	return CURL_CALL(curl_easy_strerror)(code);
}

char *
(curl_easy_escape)(CURL *handle, const char *string, int length)
{
	return CURL_CALL(curl_easy_escape)(handle, string, length);
}

void
(curl_free)(void *p)
{
	CURL_CALL(curl_free)(p);
}

struct curl_slist *
(curl_slist_append)(struct curl_slist *list, const char *data)
{
	return CURL_CALL(curl_slist_append)(list, data);
}

void
(curl_slist_free_all)(struct curl_slist *list)
{
	CURL_CALL(curl_slist_free_all)(list);
}

CURLU *
(curl_url)(void)
{
	return CURL_CALL(curl_url)();
}

void
(curl_url_cleanup)(CURLU *handle)
{
	CURL_CALL(curl_url_cleanup)(handle);
}

CURLUcode
(curl_url_get)(CURLU *handle, CURLUPart what, char **part,
    unsigned int flags)
{
	return CURL_CALL(curl_url_get)(handle, what, part, flags);
}

CURLUcode
(curl_url_set)(CURLU *handle, CURLUPart what, const char *part,
    unsigned int flags)
{
	return CURL_CALL(curl_url_set)(handle, what, part, flags);
}

const char *
(curl_url_strerror)(CURLUcode code)
{
	return CURL_CALL(curl_url_strerror)(code);
}

curl_mime *
(curl_mime_init)(CURL *easy)
{
	return CURL_CALL(curl_mime_init)(easy);
}

void
(curl_mime_free)(curl_mime *mime)
{
	CURL_CALL(curl_mime_free)(mime);
}

curl_mimepart *
(curl_mime_addpart)(curl_mime *mime)
{
	return CURL_CALL(curl_mime_addpart)(mime);
}

CURLcode
(curl_mime_data)(curl_mimepart *part, const char *data, size_t datasize)
{
	return CURL_CALL(curl_mime_data)(part, data, datasize);
}

CURLcode
(curl_mime_type)(curl_mimepart *part, const char *mimetype)
{
	return CURL_CALL(curl_mime_type)(part, mimetype);
}

CURLcode
(curl_mime_encoder)(curl_mimepart *part, const char *encoding)
{
	return CURL_CALL(curl_mime_encoder)(part, encoding);
}

CURLM *
(curl_multi_init)(void)
{
	return CURL_CALL(curl_multi_init)();
}

CURLMcode
(curl_multi_cleanup)(CURLM *multi_handle)
{
	return CURL_CALL(curl_multi_cleanup)(multi_handle);
}

CURLMcode
(curl_multi_add_handle)(CURLM *multi_handle, CURL *curl_handle)
{
	return CURL_CALL(curl_multi_add_handle)(multi_handle, curl_handle);
}

CURLMcode
(curl_multi_remove_handle)(CURLM *multi_handle, CURL *curl_handle)
{
	return CURL_CALL(curl_multi_remove_handle)(multi_handle,
	    curl_handle);
}

CURLMcode
(curl_multi_perform)(CURLM *multi_handle, int *running_handles)
{
	return CURL_CALL(curl_multi_perform)(multi_handle, running_handles);
}

CURLMcode
(curl_multi_poll)(CURLM *multi_handle, struct curl_waitfd extra_fds[],
    unsigned int extra_nfds, int timeout_ms, int *ret)
{
	return CURL_CALL(curl_multi_poll)(multi_handle, extra_fds,
	    extra_nfds, timeout_ms, ret);
}

CURLMsg *
(curl_multi_info_read)(CURLM *multi_handle, int *msgs_in_queue)
{
	return CURL_CALL(curl_multi_info_read)(multi_handle, msgs_in_queue);
}

curl_version_info_data *
(curl_version_info)(CURLversion age)
{
	return CURL_CALL(curl_version_info)(age);
}
