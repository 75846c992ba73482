/*
 * jsonpath.h - the kubectl subset of JSONPath templates over cJSON values.
 *
 * A template is literal text with actions in braces, as `kubectl -o
 * jsonpath=` takes it:
 *
 *	{.items[*].name}			values, space-separated
 *	{range .items[*]}{.name}{"\n"}{end}	one line per item
 *
 * Expressions: `$` (the root) or `@` (the current value) or nothing (the
 * current value: the root outside a range, the item inside one), then
 * steps `.name`, `['name']`, `[N]` (negative counts from the end), `[*]`
 * or `.*` (every element or member) and `..name` (recursive descent).
 * Actions: an expression, `range EXPR` ... `end`, and string literals
 * `{"text"}` with the escapes \n \t \r \" \\.  A key that is missing
 * prints nothing (kubectl's allowMissingKeys); strings print raw, null
 * prints nothing, numbers as jsonpath_number() does, objects and arrays
 * as compact JSON.  Filters `[?()]` and slices are not supported and are
 * rejected when the template is compiled.
 */
#ifndef ESCTL_JSONPATH_H
#define ESCTL_JSONPATH_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

struct jsonpath;

/*
 * Compiles a template.  Returns a new handle (free with jsonpath_free), or
 * NULL with err (ES_EUSAGE) naming the offset of the mistake.
 */
struct jsonpath	*jsonpath_compile(const char *tmpl, struct es_err *err);
/*
 * Compiles one expression, with or without braces (".name", "{.a[0]}"),
 * as custom-columns and --sort-by take it.
 */
struct jsonpath	*jsonpath_compile_expr(const char *expr, struct es_err *err);
void		 jsonpath_free(struct jsonpath *);
/* Appends the template's text over root to out. */
void		 jsonpath_exec(const struct jsonpath *, const cJSON *root,
		    struct es_buf *out);
/*
 * The values an expression handle selects from root, in document order:
 * a new array of borrowed pointers (caller frees the array), count in *n.
 */
const cJSON	**jsonpath_values(const struct jsonpath *, const cJSON *root,
		    size_t *n);
/*
 * Text of a number at esctl's declared precision: integers exactly, other
 * values with at most 15 significant digits (DBL_DIG), so 0.1 + 0.2 is
 * "0.3"; NaN and infinities are "null".
 */
void		 jsonpath_number(double, char *buf, size_t len);
/*
 * A float32 as a JSON number: integers as jsonpath_number prints them,
 * other values with the fewest significant digits (at most 9) that read
 * back as the same float32 (strtof), in the style of printf's %g (the
 * digits and exponent "%.*g" prints at that precision); NaN and
 * infinities are "null".  len must be at least 32.  Returns the length.
 */
size_t		 jsonpath_float(float, char *buf, size_t len);
/* Appends the JSON text of v (compact), numbers as jsonpath_number. */
void		 jsonpath_json(struct es_buf *, const cJSON *v);

#endif
