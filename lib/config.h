/*
 * config.h - the YAML configuration file (esctl.yaml(5)).
 *
 * The file is parsed with lib/doc and validated against the key table in
 * config.c: an unknown key, a wrong type or a bad value is an error that
 * names file:line:col, so a typo never silently does nothing.  Values are
 * read by dotted key ("report.url").
 */
#ifndef ESCTL_CONFIG_H
#define ESCTL_CONFIG_H

#include "doc.h"
#include "err.h"

struct config;

/*
 * Loads path.  When the file does not exist: with must_exist an error
 * (ES_ENOTFOUND), otherwise an empty configuration.  path may be NULL
 * (empty configuration).
 */
int		 config_load(const char *path, int must_exist,
		    struct config **out, struct es_err *err);
/* Parses a configuration from memory (name is used in messages). */
int		 config_parse(const char *buf, size_t len, const char *name,
		    struct config **out, struct es_err *err);
void		 config_free(struct config *);
/* Path of the loaded file, or NULL when none was read. */
const char	*config_file(const struct config *);

/* The node at a dotted key, or NULL.  Borrowed. */
const struct doc_node *config_node(const struct config *, const char *key);
/* Scalar text at key, or NULL when unset or null.  Borrowed. */
const char	*config_get(const struct config *, const char *key);
/* Typed getters: def when unset; ES_EUSAGE naming file:line:col. */
int		 config_get_int(const struct config *, const char *key,
		    long long def, long long *out, struct es_err *err);
int		 config_get_bool(const struct config *, const char *key,
		    int def, int *out, struct es_err *err);
/* Durations in seconds / milliseconds ("30s", "10m"). */
int		 config_get_duration(const struct config *, const char *key,
		    long long def, long long *out, struct es_err *err);
int		 config_get_duration_ms(const struct config *,
		    const char *key, long long def, long long *out,
		    struct es_err *err);
/* Formats an error at a node's position: "file:line:col: msg". */
int		 config_error(const struct config *, const struct doc_node *,
		    struct es_err *err, const char *fmt, ...) ES_PRINTF(4, 5);

/* Every known key with its type and help, for esctl.yaml(5) checks. */
struct config_key {
	const char	*key;
	int		 type;		/* enum config_type */
	const char	*values;	/* CONFIG_ENUM: space-separated */
	const char	*help;
};

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_BOOL,
	CONFIG_DURATION,
	CONFIG_ENUM,
	CONFIG_QUANTITY,
	CONFIG_MAP,		/* a mapping whose contents are not checked */
	CONFIG_LIST,		/* a sequence whose contents are not checked */
	CONFIG_SECTION		/* a mapping of known keys */
};

extern const struct config_key config_keys[];

#endif
