/*
 * unit.h - the C unit-test harness for lib/ (one binary, a name->function
 * table per module, TAP output; redis REDIS_TEST, SQLite numbered cases).
 *
 * Adding tests for a module:
 *	1. tests/unit/test-<module>.c defines static test functions and
 *	   const struct unit_test unit_<module>_tests[] = { {"name", fn}, ...,
 *	   {NULL, NULL} };
 *	2. declare and list it in suites[] in tests/unit/main.c.
 * A test reports failures through the UT_* macros; it keeps running after a
 * failed check, so one run shows every broken expectation.
 */
#ifndef ESCTL_UNIT_H
#define ESCTL_UNIT_H

#include <string.h>

#include "buf.h"

struct unit_t {
	int	failed;
	char	skip[256];	/* set by unit_skip(): reported as "# SKIP" */
	char	tmpdir[256];	/* a fresh empty directory for this test */
};

struct unit_test {
	const char	*name;
	void		(*fn)(struct unit_t *);
};

void	unit_fail(struct unit_t *, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/* Mark the running test as skipped with a reason (it should then return). */
void	unit_skip(struct unit_t *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A fuzz corpus, testdata/fuzz/<target> below $ESCTL_TOP, file by file:
 *	if (unit_corpus_open(t, &c, "doc") == -1) return;
 *	while (unit_corpus_next(t, &c)) ... c.name, c.buf ...
 *	unit_corpus_close(&c);
 * A corpus that cannot be opened or a file that cannot be read fails the
 * test.
 */
struct unit_corpus {
	void		*dir;		/* DIR * */
	char		*path;		/* the corpus directory */
	char		*file;		/* the current file's path */
	const char	*name;		/* and its name */
	struct es_buf	 buf;		/* its bytes */
	int		 files;		/* files read so far */
};

int	unit_corpus_open(struct unit_t *, struct unit_corpus *,
	    const char *target);
int	unit_corpus_next(struct unit_t *, struct unit_corpus *);
void	unit_corpus_close(struct unit_corpus *);

#define UT_ASSERT(t, cond) do {						\
	if (!(cond))							\
		unit_fail((t), __FILE__, __LINE__, "assertion failed: %s", \
		    #cond);						\
} while (0)

#define UT_EQ_INT(t, a, b) do {						\
	long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);	\
	if (ut_a_ != ut_b_)						\
		unit_fail((t), __FILE__, __LINE__, "%s == %lld, want %lld", \
		    #a, ut_a_, ut_b_);					\
} while (0)

#define UT_EQ_STR(t, a, b) do {						\
	const char *ut_a_ = (a), *ut_b_ = (b);				\
	if (ut_a_ == NULL || ut_b_ == NULL ? ut_a_ != ut_b_ :		\
	    strcmp(ut_a_, ut_b_) != 0)					\
		unit_fail((t), __FILE__, __LINE__, "%s == \"%s\", want \"%s\"", \
		    #a, ut_a_ ? ut_a_ : "(null)", ut_b_ ? ut_b_ : "(null)"); \
} while (0)

#define UT_NEAR(t, a, b, eps) do {					\
	double ut_a_ = (a), ut_b_ = (b);				\
	if (!(ut_a_ - ut_b_ <= (eps) && ut_b_ - ut_a_ <= (eps)))	\
		unit_fail((t), __FILE__, __LINE__, "%s == %.9g, want %.9g", \
		    #a, ut_a_, ut_b_);					\
} while (0)

#endif
