/*
 * autoscale.h - trend-weighted autoscaling of ES services (seed 000 §13).
 *
 * One decision, every number kept (autoscale_decide, pure arithmetic):
 *
 *  1. samples: the last AUTOSCALE_SAMPLES service-level samples of cpu,
 *     memory and disk (% , averaged over the containers) and qps (the
 *     service's total), oldest first; a missing value is NAN.
 *  2. trend: the least-squares slope of each metric over the samples it
 *     has (x = the sample's position, so gaps keep their place; fewer
 *     than two: no trend).  Rising when the slope is above 1% of the
 *     samples' mean per sample, falling when below -1%, else flat.
 *  3. weight: 1.0, times 1.1 when rising, 0.9 when falling (±10%).
 *  4. ratio: the newest value over the policy's target (qps per replica
 *     for qps), times the weight; metrics without a target or without a
 *     newest value do not vote.  The decision ratio is the largest.
 *  5. replicas: within the tolerance band (|ratio - 1| <= tolerance)
 *     nothing changes; otherwise ceil(current * ratio) (as the
 *     Kubernetes HPA does), clamped to [min_replicas, max_replicas].
 *  6. cooldown: a scale-up needs cooldown_up (5 min) since the last
 *     scaling, a scale-down cooldown_down (10 min).
 *
 * The tenant quota (step 7) and the scaling itself are the caller's
 * (autoscale_apply).
 */
#ifndef ESCTL_AUTOSCALE_H
#define ESCTL_AUTOSCALE_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "kube.h"
#include "store.h"

#define AUTOSCALE_SAMPLES	5
#define AUTOSCALE_NMETRIC	4	/* cpu, memory, disk, qps */
#define AUTOSCALE_COOLDOWN_UP	300
#define AUTOSCALE_COOLDOWN_DOWN	600
#define AUTOSCALE_TOLERANCE	0.1
#define AUTOSCALE_TREND		0.01	/* of the mean, per sample */
#define AUTOSCALE_WEIGHT_STEP	0.1

enum autoscale_action {
	AS_NONE,		/* within the tolerance band, or at a bound */
	AS_UP,
	AS_DOWN,
	AS_COOLDOWN,		/* a change was due, the cooldown forbids it */
	AS_NODATA,		/* no metric with a target has a value */
	AS_QUOTA,		/* refused: beyond the tenant's quota */
	AS_DISABLED,
	AS_CONFLICT,		/* another run scaled the service first */
	AS_FAILED		/* the scaling failed */
};

struct autoscale_policy {
	char		 ns[64];
	long long	 min_replicas;
	long long	 max_replicas;
	double		 target[AUTOSCALE_NMETRIC];	/* 0: none */
	double		 tolerance;
	long long	 cooldown_up;		/* seconds */
	long long	 cooldown_down;
	int		 enabled;
};

/* Defaults: min 1, max 10, no targets, tolerance 0.1, 5m/10m, on. */
void	 autoscale_policy_init(struct autoscale_policy *);

struct autoscale_metric {
	double		 samples[AUTOSCALE_SAMPLES];	/* oldest first */
	int		 n;		/* samples present */
	double		 slope;		/* NAN: no trend */
	int		 trend;		/* -1, 0, 1 */
	double		 weight;
	double		 value;		/* newest; NAN: missing */
	double		 target;	/* 0: none */
	double		 ratio;		/* value / target; NAN: no vote */
	double		 weighted;	/* ratio * weight */
};

struct autoscale_result {
	struct autoscale_metric	 m[AUTOSCALE_NMETRIC];
	double			 ratio;		/* NAN: no data */
	int			 nsamples;
	long long		 current;
	long long		 raw;		/* before clamping */
	long long		 desired;	/* after clamping */
	int			 action;	/* enum autoscale_action */
	long long		 cooldown_left;	/* seconds, AS_COOLDOWN */
	char			 reason[256];
};

/* The name of metric i ("cpu_usage"), of an action ("scale_up"). */
const char *autoscale_metric_name(int);
const char *autoscale_action_name(int);

/* Least-squares slope of the present (non-NAN) y[0..n-1]; NAN if < 2. */
double	 autoscale_slope(const double *y, int n);

/*
 * The decision for a service at `current` replicas, given samples
 * [metric][0..nsamples-1] (oldest first), now and the time of its last
 * scaling (0: never).  Fills res; never fails.
 */
void	 autoscale_decide(const struct autoscale_policy *, long long current,
	    double samples[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES], int nsamples,
	    time_t now, time_t last_scale, struct autoscale_result *res);
/* res as JSON (every number); new object, caller frees. */
cJSON	*autoscale_result_json(const struct autoscale_result *);

/* Policies (autoscale_policy table). */
int	 autoscale_policy_get(struct store *, const char *ns,
	    struct autoscale_policy *, struct es_err *err);	/* ENOTFOUND */
int	 autoscale_policy_put(struct store *, const struct autoscale_policy *,
	    time_t now, struct es_err *err);
int	 autoscale_policy_delete(struct store *, const char *ns,
	    struct es_err *err);
int	 autoscale_policy_list(struct store *, cJSON **out,
	    struct es_err *err);
cJSON	*autoscale_policy_json(const struct autoscale_policy *);
/*
 * Parses "min=2,max=10,cpu=70,memory=80,disk=85,qps=500,tolerance=0.1,
 * cooldown-up=5m,cooldown-down=10m,enabled=true" onto p (keys not given
 * keep their value).  ES_EUSAGE naming the key.
 */
int	 autoscale_policy_parse(const char *, struct autoscale_policy *,
	    struct es_err *err);
/* min <= max, targets in range: ES_EUSAGE otherwise. */
int	 autoscale_policy_check(const struct autoscale_policy *,
	    struct es_err *err);

/*
 * Collects a service's sample at `now` from the newest stored report of
 * each container (within the last `window` seconds): cpu, memory and
 * disk averaged, qps summed; NAN when none.  Stores it in
 * autoscale_sample unless dry, and reads back the last
 * AUTOSCALE_SAMPLES into samples (oldest first, *n of them).
 */
int	 autoscale_collect(struct store *, const char *ns, time_t now,
	    long long window, int dry,
	    double samples[AUTOSCALE_NMETRIC][AUTOSCALE_SAMPLES], int *n,
	    struct es_err *err);

/* The time of the service's last scaling by autoscale (0: never). */
int	 autoscale_last_scale(struct store *, const char *ns, time_t *at,
	    long long *version, struct es_err *err);

/*
 * Claims the right to scale ns: compare-and-set of the autoscale state
 * from `version` and of the DeploymentStatus from running to scaling.
 * ES_ECONFLICT when another run or operator got there first.
 */
int	 autoscale_claim(struct store *, const char *ns, long long version,
	    time_t now, int direction, struct es_err *err);

/*
 * Scales the ES service of rec (cluster_meta_get's shape), claimed by
 * autoscale_claim, to replicas: the ownership proof of its namespace
 * (cluster_prove), then cluster_scale_claimed, the code of `cluster
 * scale`, waiting up to timeout_ms for the rollout; on failure the
 * status goes back to running with the error as message.  The one
 * place autoscale changes a StatefulSet.
 */
int	 autoscale_apply(struct store *, struct kube_client *,
	    const cJSON *rec, long long replicas, long long timeout_ms,
	    time_t now, struct es_err *err);

/* Records a decision; *id gets its id. */
int	 autoscale_record(struct store *, const char *ns, time_t now,
	    const struct autoscale_result *, int dry_run, const char *error,
	    long long *id, struct es_err *err);
/* Decisions, newest first (ns NULL: all; limit 0: all). */
int	 autoscale_history(struct store *, const char *ns, long long limit,
	    cJSON **out, struct es_err *err);

#endif
