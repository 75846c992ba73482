/*
 * dl_mhd.c - the libmicrohttpd functions esctl uses, forwarded to the
 * library opened on first use (see dl.h): only the listening commands
 * load it and GnuTLS behind it.  The definitions carry the prototypes of
 * <microhttpd.h>, so the compiler checks each one against its header.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "dl.h"

#ifndef ESCTL_MHD_SONAME
#define ESCTL_MHD_SONAME	"libmicrohttpd.so.12"
#endif

#define MHD_FUNCS(X)							\
	X(MHD_start_daemon_va) X(MHD_quiesce_daemon) X(MHD_stop_daemon)	\
	X(MHD_lookup_connection_value) X(MHD_queue_response)		\
	X(MHD_create_response_from_buffer) X(MHD_destroy_response)	\
	X(MHD_add_response_header) X(MHD_get_connection_info)		\
	X(MHD_get_daemon_info) X(MHD_suspend_connection)		\
	X(MHD_resume_connection)

#define MHD_ENUM(name)	DL_##name,
#define MHD_NAME(name)	#name,
enum { MHD_FUNCS(MHD_ENUM) DL_MHD_COUNT };
static const char *const mhd_names[] = { MHD_FUNCS(MHD_NAME) };

/* Written once under pthread_once and only read afterwards. */
static dl_fn mhd_fns[DL_MHD_COUNT];
static struct dl_lib mhd_lib = {
	ESCTL_MHD_SONAME, "libmicrohttpd12", mhd_names, DL_MHD_COUNT, mhd_fns
};
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

static void
mhd_load(void)
{
	dl_load(&mhd_lib);
}

static dl_fn
mhd_fn(int i)
{
	pthread_once(&mhd_once, mhd_load);
	return mhd_fns[i];
}

#define MHD_CALL(name)	((DL_TYPE(name))mhd_fn(DL_##name))

struct MHD_Daemon *
(MHD_start_daemon)(unsigned int flags, uint16_t port,
    MHD_AcceptPolicyCallback apc, void *apc_cls,
    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = MHD_CALL(MHD_start_daemon_va)(flags, port, apc, apc_cls, dh,
	    dh_cls, ap);
	va_end(ap);
	return d;
}

MHD_socket
(MHD_quiesce_daemon)(struct MHD_Daemon *d)
{
	return MHD_CALL(MHD_quiesce_daemon)(d);
}

void
(MHD_stop_daemon)(struct MHD_Daemon *d)
{
	MHD_CALL(MHD_stop_daemon)(d);
}

const char *
(MHD_lookup_connection_value)(struct MHD_Connection *c,
    enum MHD_ValueKind kind, const char *key)
{
	return MHD_CALL(MHD_lookup_connection_value)(c, kind, key);
}

enum MHD_Result
(MHD_queue_response)(struct MHD_Connection *c, unsigned int status,
    struct MHD_Response *r)
{
	return MHD_CALL(MHD_queue_response)(c, status, r);
}

struct MHD_Response *
(MHD_create_response_from_buffer)(size_t size, void *buffer,
    enum MHD_ResponseMemoryMode mode)
{
	return MHD_CALL(MHD_create_response_from_buffer)(size, buffer, mode);
}

void
(MHD_destroy_response)(struct MHD_Response *r)
{
	MHD_CALL(MHD_destroy_response)(r);
}

enum MHD_Result
(MHD_add_response_header)(struct MHD_Response *r, const char *header,
    const char *content)
{
	return MHD_CALL(MHD_add_response_header)(r, header, content);
}

/*
 * The info types esctl asks for (client address) take no further
 * argument.
 */
const union MHD_ConnectionInfo *
(MHD_get_connection_info)(struct MHD_Connection *c,
    enum MHD_ConnectionInfoType type, ...)
{
	return MHD_CALL(MHD_get_connection_info)(c, type);
}

/* Likewise (bound port). */
const union MHD_DaemonInfo *
(MHD_get_daemon_info)(struct MHD_Daemon *d, enum MHD_DaemonInfoType type,
    ...)
{
	return MHD_CALL(MHD_get_daemon_info)(d, type);
}

void
(MHD_suspend_connection)(struct MHD_Connection *c)
{
	MHD_CALL(MHD_suspend_connection)(c);
}

void
(MHD_resume_connection)(struct MHD_Connection *c)
{
	MHD_CALL(MHD_resume_connection)(c);
}
