/*
 * version.h - what esctl was built with and runs with: its own version and
 * build, and the version of every library it uses, asked of each library
 * through its own version API (so a newer libsqlite3 installed after the
 * build shows up as such).
 */
#ifndef ESCTL_VERSION_H
#define ESCTL_VERSION_H

#include <cjson/cJSON.h>

/*
 * The client's version object (new; caller frees with cJSON_Delete):
 * {"version", "compiler", "c_standard", "libraries": {"cjson", "sqlite",
 * "libyaml", "libcurl", "libgit2"}}.  Asking libcurl and libgit2 loads
 * them (dl.h).
 */
cJSON	*version_client(void);

#endif
