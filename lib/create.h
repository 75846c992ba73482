/*
 * create.h - creating an ES service (SPEC 3.1): the ten reported steps,
 * and the rollback of a create that fails after its metadata was
 * recorded.  Nothing is printed: the reported steps, the notices and
 * the progress of the waits go through callbacks of the options.
 *
 *	cluster_create_begin()	takes the service's lock and records the
 *				metadata (step 0: quota, "creating");
 *	cluster_create_run()	sends the objects, waits for the rollout,
 *				syncs and reports steps 1 to 10, rolling
 *				back what it made when a step fails;
 *	cluster_create_abort()	rolls back a create that cannot run (no
 *				report sink, no Kubernetes client).
 *
 * A create interrupted after its metadata (a crash, a kill) leaves a
 * "creating" record; the next create of the same service takes it over
 * (cluster_meta_record) and reports each step once.
 */
#ifndef ESCTL_CREATE_H
#define ESCTL_CREATE_H

#include <time.h>

#include <cjson/cJSON.h>

#include "cluster.h"
#include "clusterobj.h"
#include "err.h"
#include "gitcfg.h"
#include "report.h"
#include "store.h"

#define CLUSTER_CREATE_STEPS	10

/* One create of a service; opaque. */
struct cluster_create;

/* What a create needs.  Borrowed: it must outlive the create. */
struct cluster_create_opts {
	struct store		*st;
	const struct cluster_spec *spec;	/* finished */
	/* images, storage class and settings; creation_id is the create's */
	const struct clusterobj_env *env;
	struct gitcfg		*git;		/* the repository, or NULL */
	const char		*export_dir;	/* of step 9's export file */
	time_t			 now;		/* of the records; 0: clock */
	long long		 timeout_ms;	/* of the whole create */
	int			 keep;		/* keep objects on failure */
	/*
	 * Callbacks, each may be NULL.  step: a step reported (n is
	 * 1-based; again: reported before an interruption, not sent
	 * twice).  info: a notice.  warn: something the rollback could not
	 * do.  progress, progress_done: "<resource>/<name>: <status> (12s)"
	 * lines while waiting, and the end of a wait.
	 */
	void	(*step)(void *arg, int n, const char *status,
		    const char *message, int again);
	void	(*info)(void *arg, const char *msg);
	void	(*warn)(void *arg, const char *msg);
	void	(*progress)(void *arg, const char *line);
	void	(*progress_done)(void *arg);
	void	*arg;
};

/*
 * Takes the lock of the service's namespace (ES_ECONFLICT "Locked"),
 * checks the quotas and records the metadata (cluster_meta_record).
 * Resuming an interrupted create says so (info) and reads which steps
 * it reported.  On failure nothing is left held and *out is NULL.
 */
int	 cluster_create_begin(const struct cluster_create_opts *,
	    struct cluster_create **out, struct es_err *err);
/*
 * Steps 1 to 10 with their reports to sink, objects sent through kc.
 * A failure before step 10 is recorded ("failed" report, records
 * rolled back, this creation's objects removed unless keep) and
 * returned in err.
 */
int	 cluster_create_run(struct cluster_create *, struct report_sink *,
	    struct kube_client *, struct es_err *err);
/*
 * The rollback of a create that cannot run: a "failed" report to sink
 * (when not NULL) with cause, and the records rolled back.
 */
void	 cluster_create_abort(struct cluster_create *, struct report_sink *,
	    const struct es_err *cause);
/* Releases the create and its lock. */
void	 cluster_create_free(struct cluster_create *);

/*
 * --dry-run: checks the quotas and returns the objects a create would
 * send (Namespace, built-ins, manifests, the first data volume) as a new
 * array.  Nothing is sent or recorded.
 */
int	 cluster_create_plan(struct store *, const struct cluster_spec *,
	    const struct clusterobj_env *, struct gitcfg *, cJSON **out,
	    struct es_err *err);

/* The export file of a service: DIR/ORG_USER_SERVICE.json.  New string. */
char	*cluster_export_path(const char *dir, const char *org,
	    const char *user, const char *svc);
/*
 * Writes the TenantContainer export of the service in ns to its export
 * file (the directory made 0700, the file 0600, atomically).
 */
int	 cluster_export_write(struct store *, const char *dir,
	    const char *ns, const char *org, const char *user,
	    const char *svc, struct es_err *err);

#endif
