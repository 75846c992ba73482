/*
 * schema.h - the ordered list of schema migrations (lib-internal; used by
 * store.c and the unit tests only).
 */
#ifndef ESCTL_SCHEMA_H
#define ESCTL_SCHEMA_H

#include <stddef.h>

struct store_migration {
	int		 version;	/* PRAGMA user_version after applying */
	const char	*name;
	const char	*sql;		/* constant DDL, run as one script */
};

extern const struct store_migration schema_migrations[];
extern const size_t schema_nmigrations;

#endif
