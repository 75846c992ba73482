/*
 * dl.c - shared libraries opened on first use.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl.h"

void
dl_load(struct dl_lib *lib)
{
	void *h, *p;
	size_t i;

	if ((h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fflush(stdout);
		fprintf(stderr, "esctl: error: cannot load %s: %s (Debian "
		    "package: %s)\n", lib->soname, dlerror(), lib->package);
		exit(1);
	}
	for (i = 0; i < lib->n; i++) {
		if ((p = dlsym(h, lib->names[i])) == NULL) {
			fflush(stdout);
			fprintf(stderr, "esctl: error: %s has no %s: %s "
			    "(Debian package: %s)\n", lib->soname,
			    lib->names[i], dlerror(), lib->package);
			exit(1);
		}
		/* object to function pointer, as POSIX dlsym intends */
		memcpy(&lib->fns[i], &p, sizeof p);
	}
	/* never closed: the handles live as long as the process */
}
