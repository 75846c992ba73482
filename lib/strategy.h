/*
 * strategy.h - elastic scaling strategies (elastic_scaling_strategy and
 * strategy_cluster_association, seed 003 5.4/5.5) and their execution
 * history (strategy_execution_history, 5.8).
 *
 * The form rules of seed 003 4.1 live in strategy_validate(): name,
 * clusters, action and device_count are required; a threshold type is
 * required when its value is set (and meaningless without one); values
 * are within 0-100; at least one threshold; condition_logic is required
 * when both thresholds are set (one threshold: OR); node_selector is a
 * JSON object.  Strategies are deleted for good (the seed has no
 * deleted_at); their history goes with them, their orders stay.
 */
#ifndef ESCTL_STRATEGY_H
#define ESCTL_STRATEGY_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "store.h"

#define STRATEGY_NAME_MAX	255
#define STRATEGY_DESC_MAX	4096
#define STRATEGY_DEVICES_MAX	10000
#define STRATEGY_MINUTES_MAX	525600		/* a year */

enum strategy_action {
	STRATEGY_ACTION_NONE = -1,
	STRATEGY_POOL_ENTRY,
	STRATEGY_POOL_EXIT
};

enum strategy_type {
	STRATEGY_TYPE_NONE,
	STRATEGY_USAGE,
	STRATEGY_ALLOCATED
};

enum strategy_logic {
	STRATEGY_LOGIC_NONE,
	STRATEGY_AND,
	STRATEGY_OR
};

/* A strategy as read from the store or built from a form. */
struct strategy {
	long long	 id;		/* 0 until stored */
	char		*name;
	char		*description;
	int		 action;	/* enum strategy_action */
	int		 has_cpu;	/* cpu_threshold_value is set */
	double		 cpu_threshold;
	int		 cpu_type;	/* enum strategy_type */
	int		 has_mem;
	double		 mem_threshold;
	int		 mem_type;
	int		 logic;		/* enum strategy_logic */
	long long	 duration_minutes;
	long long	 cooldown_minutes;
	long long	 device_count;	/* -1 unset */
	char		*node_selector;	/* compact JSON object, or NULL */
	int		 enabled;
	char		*created_by;
	long long	*cluster_ids;	/* associated clusters */
	size_t		 ncluster;
};

void	 strategy_init(struct strategy *);
/* Frees the members and re-initialises. */
void	 strategy_release(struct strategy *);

const char *strategy_action_name(int);
const char *strategy_type_name(int);
const char *strategy_logic_name(int);
/* Parse the seed's words (logic case-insensitively); ES_EUSAGE. */
int	 strategy_action_parse(const char *, int *, struct es_err *);
int	 strategy_type_parse(const char *, const char *what, int *,
	    struct es_err *);
int	 strategy_logic_parse(const char *, int *, struct es_err *);
/*
 * Checks that s is a JSON object; *canonical gets its compact form (new
 * string; caller frees).
 */
int	 strategy_parse_node_selector(const char *s, char **canonical,
	    struct es_err *);
/* Adds a cluster id to the association set (duplicates ignored). */
void	 strategy_add_cluster(struct strategy *, long long);

/*
 * The form rules above.  Fills the default condition_logic (OR) when
 * only one threshold is set.  ES_EUSAGE naming the seed field.
 */
int	 strategy_validate(struct strategy *, struct es_err *);

/*
 * Reads a strategy by numeric id or by name.  ES_ENOTFOUND.  s must be
 * initialised; it is released first.
 */
int	 strategy_load(struct store *, const char *ref, struct strategy *,
	    struct es_err *);
/*
 * Stores a new strategy and its clusters; sets s->id.  Call inside a
 * transaction.  ES_ECONFLICT when the name is taken.
 */
int	 strategy_insert(struct store *, struct strategy *, const char *who,
	    time_t now, struct es_err *);
/* Rewrites every field and the cluster set of s->id (in a transaction). */
int	 strategy_update(struct store *, const struct strategy *, time_t now,
	    struct es_err *);
/* Sets status; *changed is 0 when it already had it. */
int	 strategy_set_status(struct store *, long long id, int enabled,
	    time_t now, int *changed, struct es_err *);
/*
 * Deletes a strategy, its associations and its history; its orders keep
 * their rows with strategy_id NULL.  ES_ECONFLICT while it has a pending
 * or processing order.
 */
int	 strategy_delete(struct store *, long long id, struct es_err *);

/* "CPU usage >= 80% AND MEM allocated >= 70%" */
void	 strategy_condition_text(const struct strategy *, char *, size_t);

struct strategy_filter {
	const char	*name;		/* substring, case-insensitive */
	const char	*status;	/* enabled / disabled */
	const char	*action;	/* pool_entry / pool_exit */
	long long	 cluster_id;	/* -1: any */
	long long	 id;		/* 0: any */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Strategies as a JSON array ordered by id: the seed's columns plus
 * clusters (names), cluster_ids and condition (text).
 */
int	 strategy_list(struct store *, const struct strategy_filter *,
	    cJSON **out, struct es_err *);
/* Total count matching the filter (limit/offset ignored). */
int	 strategy_count(struct store *, const struct strategy_filter *,
	    long long *out, struct es_err *);

struct strategy_history_filter {
	long long	 strategy_id;	/* 0: any */
	long long	 cluster_id;	/* -1: any */
	const char	*result;	/* NULL: any */
	time_t		 since;		/* 0: no bound */
	long long	 limit;		/* 0: no limit */
	long long	 offset;
};

/*
 * Execution history, newest first: the seed's columns plus cluster_id,
 * strategy_name, cluster_name and order_number.
 */
int	 strategy_history(struct store *,
	    const struct strategy_history_filter *, cJSON **out,
	    struct es_err *);

#endif
