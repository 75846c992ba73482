/*
 * version.c - the client's version and its libraries' (see version.h).
 */
#include <stdio.h>

#include <curl/curl.h>
#include <git2.h>
#include <sqlite3.h>
#include <yaml.h>

#include "version.h"

#ifndef ESCTL_VERSION
#define ESCTL_VERSION	"unknown"
#endif

cJSON *
version_client(void)
{
	const curl_version_info_data *cv;
	cJSON *j, *libs;
	char buf[64];
	int maj = 0, min = 0, rev = 0;

	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "version", ESCTL_VERSION);
#if defined(__clang__)
	cJSON_AddStringToObject(j, "compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
	cJSON_AddStringToObject(j, "compiler", "gcc " __VERSION__);
#endif
	snprintf(buf, sizeof buf, "C%ld", (__STDC_VERSION__ / 100) % 100);
	cJSON_AddStringToObject(j, "c_standard", buf);
	libs = cJSON_AddObjectToObject(j, "libraries");
	cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
	cJSON_AddStringToObject(libs, "sqlite", sqlite3_libversion());
	cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
	cv = curl_version_info(CURLVERSION_NOW);
	cJSON_AddStringToObject(libs, "libcurl", cv->version);
	if (cv->ssl_version != NULL)
		cJSON_AddStringToObject(libs, "libcurl_tls", cv->ssl_version);
	git_libgit2_version(&maj, &min, &rev);
	snprintf(buf, sizeof buf, "%d.%d.%d", maj, min, rev);
	cJSON_AddStringToObject(libs, "libgit2", buf);
	return j;
}
