/*
 * clusterlive.h - the live state of ES services, for cluster list and
 * cluster get: the StatefulSet's ready replicas, CPU and memory usage
 * from metrics.k8s.io, the pods, and namespaces chosen by a label
 * selector.  Records are cluster_meta_get's shape (cluster.h).
 */
#ifndef ESCTL_CLUSTERLIVE_H
#define ESCTL_CLUSTERLIVE_H

#include <cjson/cJSON.h>

#include "err.h"

struct kube_client;

/* 1 when the server serves metrics.k8s.io pods, else 0. */
int	 cluster_live_metrics(struct kube_client *);
/*
 * Merges live state into a record: replicas, ready_replicas, "ready"
 * ("2/3"; "-" when there is no StatefulSet, "?" when it cannot be
 * read) and live from the StatefulSet; cpu_usage and memory_usage
 * (percent of the limits) from metrics.k8s.io when metrics is set; with
 * detail, "pods" (pod_name, status, ready, node).  The record keeps its
 * stored values where live state is missing.  Returns -1 with err set
 * when the StatefulSet could not be read for another reason than its
 * absence (the record is filled all the same), else 0.
 */
int	 cluster_live(struct kube_client *, int metrics, cJSON *rec,
	    int detail, struct es_err *err);
/*
 * Keeps, of an array of records, those whose namespace matches the
 * label selector.
 */
int	 cluster_live_select(struct kube_client *, const char *selector,
	    cJSON *rows, struct es_err *err);

#endif
