/*
 * k8scluster.h - the registry of managed Kubernetes clusters (table
 * k8s_cluster, seed 003 5.1), and how to reach a registered cluster.
 *
 * A cluster is reached either through kubeconfig content stored in the
 * registry (column kubeconfig, with kube_context naming a context in it or
 * empty for its current-context), or, when no content is stored, through
 * the context kube_context of the ambient kubeconfig (--kubeconfig,
 * KUBECONFIG, kube.kubeconfig).  Stored kubeconfig content is a secret:
 * rows are returned with it replaced by "<redacted>" unless asked for.
 *
 * Names (clustername) are unique among live clusters; remove is a soft
 * delete (deleted_at), after which the name can be registered again.
 */
#ifndef ESCTL_K8SCLUSTER_H
#define ESCTL_K8SCLUSTER_H

#include <time.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "kubeconfig.h"
#include "store.h"

#define K8SCLUSTER_REDACTED	"<redacted>"

/*
 * A column to set.  column is one of the text columns of k8s_cluster
 * (clustername, cluster_id, clusternamecn, alias, apiserver, promserver,
 * thanosserver, idc, zone, status, clustertype, kubeconfig, kube_context,
 * desc, creator, group, esserver, nettype, architecture, cluster_group,
 * ...) or "level" (an integer in text).  An unknown column is a BUG.
 */
struct k8scluster_set {
	const char	*column;
	const char	*value;
};

/*
 * Registers a cluster; sets created_at/updated_at, a random cluster_id
 * (UUID) unless given, and status "running" unless given.  Name taken:
 * ES_ECONFLICT.  Call inside store_begin/store_commit.  *id may be NULL.
 */
int		 k8scluster_add(struct store *, const char *name,
		    const struct k8scluster_set *sets, int nsets, time_t now,
		    long long *id, struct es_err *err);
/* Changes the given columns of a live cluster; ES_ENOTFOUND if none. */
int		 k8scluster_update(struct store *, const char *name,
		    const struct k8scluster_set *sets, int nsets, time_t now,
		    struct es_err *err);
/* Soft delete (deleted_at = now); ES_ENOTFOUND if no live cluster. */
int		 k8scluster_remove(struct store *, const char *name,
		    time_t now, struct es_err *err);

/*
 * One live cluster as a new JSON object (caller frees), columns as keys
 * plus "source" ("kubeconfig" or "context").  with_secret 0 redacts the
 * kubeconfig.  ES_ENOTFOUND with a message naming the cluster.
 */
int		 k8scluster_get(struct store *, const char *name,
		    int with_secret, cJSON **out, struct es_err *err);

struct k8scluster_filter {
	const char	*idc;
	const char	*zone;
	const char	*type;		/* clustertype */
	const char	*status;
};
/* Live clusters by name, redacted, as a new JSON array (caller frees). */
int		 k8scluster_list(struct store *,
		    const struct k8scluster_filter *, cJSON **out,
		    struct es_err *err);

/*
 * The kubeconfig of a registered cluster: its stored content (parsed,
 * with relative paths resolved against the current directory) or the
 * named context of the ambient kubeconfig (ambient_paths as for
 * kube_config_load).  row must come from k8scluster_get with with_secret.
 */
int		 k8scluster_config(const cJSON *row, const char *ambient_paths,
		    struct kube_config **out, struct es_err *err);

#endif
