/*
 * corpus.c - walks a fuzz corpus (testdata/fuzz/<target>) for the unit
 * tests that replay it with the fuzz target's properties.
 */
#include <dirent.h>
#include <stdlib.h>

#include "buf.h"
#include "unit.h"
#include "util.h"
#include "xmalloc.h"

int
unit_corpus_open(struct unit_t *t, struct unit_corpus *c,
    const char *target)
{
	const char *top = getenv("ESCTL_TOP");

	memset(c, 0, sizeof *c);
	c->path = xasprintf("%s/testdata/fuzz/%s", top ? top : ".", target);
	if ((c->dir = opendir(c->path)) == NULL) {
		unit_fail(t, __FILE__, __LINE__, "cannot open %s", c->path);
		unit_corpus_close(c);
		return -1;
	}
	return 0;
}

int
unit_corpus_next(struct unit_t *t, struct unit_corpus *c)
{
	struct dirent *de;

	free(c->file);
	c->file = NULL;
	c->name = NULL;
	do {
		if ((de = readdir(c->dir)) == NULL)
			return 0;
	} while (de->d_name[0] == '.');
	c->name = de->d_name;
	c->file = util_path_join(c->path, c->name);
	es_buf_reset(&c->buf);
	if (es_buf_read_file(&c->buf, c->file) == -1)
		unit_fail(t, __FILE__, __LINE__, "cannot read %s", c->file);
	c->files++;
	return 1;
}

void
unit_corpus_close(struct unit_corpus *c)
{
	if (c->dir != NULL)
		closedir(c->dir);
	c->dir = NULL;
	free(c->file);
	c->file = NULL;
	free(c->path);
	c->path = NULL;
	es_buf_release(&c->buf);
}
