"""Simple controllers so that flows finish: a scheduler and a kubelet for
pods, the StatefulSet, Deployment, ReplicaSet and DaemonSet controllers,
the PV binder and expander, namespace finalization, PDB status, garbage
collection, and the metrics.k8s.io numbers."""
import copy
import heapq
import itertools
import re

from . import resources as R
from . import util
from .selectors import match_labels, selector_from_match, selector_string

PODS = ("", "pods")
NODES = ("", "nodes")
NAMESPACES = ("", "namespaces")
PVCS = ("", "persistentvolumeclaims")
PVS = ("", "persistentvolumes")
STS = ("apps", "statefulsets")
DEPLOY = ("apps", "deployments")
RS = ("apps", "replicasets")
DS = ("apps", "daemonsets")
PDBS = ("policy", "poddisruptionbudgets")
SCS = ("storage.k8s.io", "storageclasses")

_seq = itertools.count()


class Timers:
    def __init__(self):
        self.heap = []

    def add(self, due, fn, *args):
        heapq.heappush(self.heap, (due, next(_seq), fn, args))

    def run(self, now):
        while self.heap and self.heap[0][0] <= now:
            _, _, fn, args = heapq.heappop(self.heap)
            fn(*args)


def owner_ref(obj, kind, api_version):
    md = obj["metadata"]
    return {"apiVersion": api_version, "kind": kind, "name": md["name"],
            "uid": md["uid"], "controller": True,
            "blockOwnerDeletion": True}


def controller_uid(obj):
    for o in obj["metadata"].get("ownerReferences") or []:
        if o.get("controller"):
            return o.get("uid")
    return None


def pod_ready(pod):
    for c in util.get_path(pod, "status.conditions", []) or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_active(pod):
    return util.get_path(pod, "status.phase") not in ("Succeeded",
                                                      "Failed")


def _cond(type_, status, now, reason=None, message=None):
    c = {"type": type_, "status": status, "lastProbeTime": None,
         "lastTransitionTime": util.rfc3339(now)}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


# ---- the kubelet and the scheduler --------------------------------------

def node_ready(node):
    for c in util.get_path(node, "status.conditions", []) or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def _requests(pod):
    """Every resource the pod requests, as {name: amount in base units}.

    Like the API server's defaulting, a resource with a limit and no
    request requests its limit (extended resources such as
    nvidia.com/gpu are usually given as limits only)."""
    out = {}
    for c in util.get_path(pod, "spec.containers", []) or []:
        res = dict(util.get_path(c, "resources.limits", {}) or {})
        res.update(util.get_path(c, "resources.requests", {}) or {})
        for k, v in res.items():
            out[k] = out.get(k, 0.0) + (util.parse_quantity(v) or 0)
    return out


def _tolerates(pod, taint):
    for t in util.get_path(pod, "spec.tolerations", []) or []:
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") != taint.get("key"):
            continue
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" or \
                t.get("value") == taint.get("value"):
            return True
    return False


# Fit reasons a preemption could in principle resolve (kube-scheduler's
# NodeResourcesFit); any other reason makes preemption "not helpful".
def _resource_reason(why):
    return why.startswith("Insufficient ") or why == "Too many pods"


def unschedulable_message(nodes, per_node):
    """kube-scheduler's FailedScheduling message (v1.28): the reasons
    counted over the nodes, sorted, then the preemption verdict."""
    reasons, pre = {}, {}
    for whys in per_node:
        for w in whys:
            reasons[w] = reasons.get(w, 0) + 1
        v = ("No preemption victims found for incoming pod"
             if all(_resource_reason(w) for w in whys)
             else "Preemption is not helpful for scheduling")
        pre[v] = pre.get(v, 0) + 1

    def count(d):
        # sorted as strings, count first, like FitError.Error()
        return ", ".join(sorted("%d %s" % (n, r) for r, n in d.items()))
    return ("0/%d nodes are available: %s. preemption: 0/%d nodes are "
            "available: %s.." % (nodes, count(reasons), nodes, count(pre)))


def _failed_scheduling_event(sim, pod, msg, now):
    """A FailedScheduling Warning event, shaped like kube-scheduler's."""
    md = pod["metadata"]
    sim.internal_create(R.find("", "v1", "events"), {
        "metadata": {"name": "%s.%x" % (md["name"],
                                        int(now * 1e9) & 0xffffffffffff),
                     "namespace": md["namespace"]},
        "involvedObject": {"kind": "Pod", "namespace": md["namespace"],
                           "name": md["name"], "uid": md.get("uid"),
                           "apiVersion": "v1",
                           "resourceVersion": md.get("resourceVersion")},
        "reason": "FailedScheduling", "message": msg, "source": {},
        "firstTimestamp": None, "lastTimestamp": None, "type": "Warning",
        "eventTime": util.rfc3339_micro(now), "action": "Scheduling",
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-kube-sim"},
        manager="kube-scheduler")


def schedule(sim, pod, now):
    """Binds a pending pod to the fitting node with the fewest pods.

    A node fits when it is ready, schedulable, matches the node selector,
    has no untolerated NoSchedule/NoExecute taint, and has room for every
    requested resource (cpu, memory, extended resources such as
    nvidia.com/gpu: allocatable minus what its pods request) and one more
    pod.  A pod that fits nowhere stays Pending with PodScheduled=False,
    reason Unschedulable, and a FailedScheduling event."""
    st = sim.store
    nsel = util.get_path(pod, "spec.nodeSelector", {}) or {}
    want = _requests(pod)
    load = {}
    for p in st.items(PODS):
        n = util.get_path(p, "spec.nodeName")
        if n and pod_active(p) and not p["metadata"].get(
                "deletionTimestamp"):
            u = load.setdefault(n, {"pods": 0})
            u["pods"] += 1
            for k, v in _requests(p).items():
                u[k] = u.get(k, 0.0) + v
    best, per_node = None, []
    nodes = st.items(NODES)
    for node in nodes:
        name = node["metadata"]["name"]
        labels = node["metadata"].get("labels") or {}
        why = None
        if not node_ready(node):
            why = "node(s) were not ready"
        elif util.get_path(node, "spec.unschedulable"):
            why = "node(s) were unschedulable"
        elif any(labels.get(k) != v for k, v in nsel.items()):
            why = "node(s) didn't match Pod's node affinity/selector"
        else:
            for t in util.get_path(node, "spec.taints", []) or []:
                if t.get("effect") in ("NoSchedule", "NoExecute") and \
                        not _tolerates(pod, t):
                    why = "node(s) had untolerated taint {%s: %s}" % (
                        t.get("key"), t.get("value", ""))
                    break
        if why is not None:
            per_node.append([why])
            continue
        alloc = util.get_path(node, "status.allocatable", {}) or {}
        used = load.get(name, {"pods": 0})
        whys = []
        apods = util.parse_quantity(alloc.get("pods", "110")) or 110
        if used["pods"] + 1 > apods:
            whys.append("Too many pods")
        for r in sorted(want):
            if r == "pods" or want[r] <= 0:
                continue
            have = util.parse_quantity(alloc.get(r, "0")) or 0
            if used.get(r, 0.0) + want[r] > have + 1e-9:
                whys.append("Insufficient %s" % r)
        if whys:
            per_node.append(whys)
            continue
        if best is None or used["pods"] < best[1]:
            best = (name, used["pods"])
    conds = [c for c in util.get_path(pod, "status.conditions", []) or []
             if c.get("type") != "PodScheduled"]
    if best is None:
        msg = unschedulable_message(len(nodes), per_node)
        old = [c for c in util.get_path(pod, "status.conditions", []) or []
               if c.get("type") == "PodScheduled"]
        if old and old[0].get("message") == msg:
            return False
        pod["status"]["conditions"] = conds + [_cond(
            "PodScheduled", "False", now, "Unschedulable", msg)]
        st.put(PODS, pod)
        _failed_scheduling_event(sim, pod, msg, now)
        return False
    pod["spec"]["nodeName"] = best[0]
    pod["status"]["conditions"] = conds + [_cond("PodScheduled", "True",
                                                 now)]
    start_pod(sim, pod, now)
    return True


def start_pod(sim, pod, now):
    """The kubelet takes a bound pod: containers are being created; after
    the ready delay they run."""
    st = pod["status"]
    node = sim.store.get(NODES, "", pod["spec"]["nodeName"])
    st["hostIP"] = sim.node_ip(node) if node else "127.0.0.1"
    st["startTime"] = util.rfc3339(now)
    conds = {c["type"]: c for c in st.get("conditions", [])}
    conds.setdefault("PodScheduled", _cond("PodScheduled", "True", now))
    conds["Initialized"] = _cond("Initialized", "True", now)
    conds["Ready"] = _cond("Ready", "False", now, "ContainersNotReady",
                           "containers with unready status: [%s]" % " ".join(
                               c["name"] for c in pod["spec"]["containers"]))
    conds["ContainersReady"] = dict(conds["Ready"], type="ContainersReady")
    st["conditions"] = [conds[t] for t in ("Initialized", "Ready",
                                           "ContainersReady",
                                           "PodScheduled")]
    st["containerStatuses"] = [{
        "name": c["name"], "state": {"waiting": {
            "reason": "ContainerCreating"}}, "lastState": {},
        "ready": False, "restartCount": 0, "image": c.get("image", ""),
        "imageID": "", "started": False}
        for c in pod["spec"]["containers"]]
    sim.store.put(PODS, pod)
    md = pod["metadata"]
    sim.timers.add(now + sim.cfg["ready_delay"], run_pod, sim,
                   md.get("namespace"), md["name"], md["uid"])


def run_pod(sim, ns, name, uid):
    pod = sim.store.get(PODS, ns, name)
    if pod is None or pod["metadata"]["uid"] != uid or \
            pod["metadata"].get("deletionTimestamp"):
        return
    now = util.now()
    st = pod["status"]
    fail = sim.pod_fails(pod)
    st["phase"] = "Running"
    st["podIP"] = st.get("podIP") or sim.alloc_pod_ip()
    st["podIPs"] = [{"ip": st["podIP"]}]
    statuses = []
    for c in pod["spec"]["containers"]:
        cs = {"name": c["name"], "lastState": {}, "ready": not fail,
              "restartCount": 3 if fail else 0, "image": c.get("image", ""),
              "imageID": "%s@sha256:%s" % (c.get("image", "").split(":")[0],
                                           util.rand_hex(64)),
              "containerID": "sim://" + util.rand_hex(64),
              "started": not fail}
        if fail:
            cs["state"] = {"waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 40s restarting failed container=%s "
                           "pod=%s_%s(%s)" % (c["name"], name, ns, uid)}}
            cs["lastState"] = {"terminated": {
                "exitCode": 1, "reason": "Error",
                "startedAt": util.rfc3339(now),
                "finishedAt": util.rfc3339(now)}}
        else:
            cs["state"] = {"running": {"startedAt": util.rfc3339(now)}}
        statuses.append(cs)
    st["containerStatuses"] = statuses
    for c in st["conditions"]:
        if c["type"] in ("Ready", "ContainersReady"):
            if fail:
                c.update({"status": "False", "reason": "ContainersNotReady",
                          "message": "containers with unready status: "
                          "[%s]" % " ".join(s["name"] for s in statuses)})
            else:
                c.pop("reason", None)
                c.pop("message", None)
                c["status"] = "True"
            c["lastTransitionTime"] = util.rfc3339(now)
    sim.store.put(PODS, pod)
    for c in pod["spec"]["containers"]:
        sim.log_append(ns, name, c["name"], [
            "starting %s (image %s) on %s" % (c["name"], c.get("image"),
                                              pod["spec"].get("nodeName")),
            "error: container exited with status 1" if fail else
            "%s is ready" % c["name"]], now)


def finish_pod_deletion(sim, ns, name, uid):
    pod = sim.store.get(PODS, ns, name)
    if pod is not None and pod["metadata"]["uid"] == uid:
        sim.store.remove(PODS, ns, name)
        sim.log_close(ns, name)


# ---- workload controllers -------------------------------------------------

def _revision(obj):
    return "%s-%s" % (obj["metadata"]["name"],
                      util.short_hash(obj["spec"]["template"], 9))


def _new_pod_from_template(sim, owner, owner_kind, name, extra_labels,
                           now):
    tpl = copy.deepcopy(owner["spec"]["template"])
    md = tpl.get("metadata") or {}
    labels = dict(md.get("labels") or {})
    labels.update(extra_labels)
    pmd = {"name": name, "namespace": owner["metadata"]["namespace"],
           "labels": labels,
           "ownerReferences": [owner_ref(owner, owner_kind, "apps/v1")]}
    if md.get("annotations"):
        pmd["annotations"] = dict(md["annotations"])
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": pmd,
           "spec": tpl.get("spec") or {}}
    return pod


def reconcile_statefulset(sim, sts, now):
    st = sim.store
    md = sts["metadata"]
    ns, name = md["namespace"], md["name"]
    spec = sts["spec"]
    want = spec.get("replicas", 1)
    rev = _revision(sts)
    uid = md["uid"]
    pods = {}
    for p in st.items(PODS, ns):
        if controller_uid(p) != uid:
            continue
        m = re.match(r"^%s-(\d+)$" % re.escape(name), p["metadata"]["name"])
        if m:
            pods[int(m.group(1))] = p
    deleting = bool(md.get("deletionTimestamp"))
    parallel = spec.get("podManagementPolicy") == "Parallel"
    if not deleting:
        for i in range(want):
            p = pods.get(i)
            if p is None:
                create_sts_pod(sim, sts, i, rev, now)
                if not parallel:
                    break
                continue
            if not parallel and not (pod_ready(p) and not p["metadata"].get(
                    "deletionTimestamp")):
                break
        extra = sorted((i for i in pods if i >= want), reverse=True)
        for i in extra:
            p = pods[i]
            if not p["metadata"].get("deletionTimestamp"):
                sim.delete_pod(p, None, now)
            if not parallel:
                break
        # rolling update, highest ordinal first, one at a time
        ustrat = spec.get("updateStrategy") or {}
        if ustrat.get("type", "RollingUpdate") == "RollingUpdate":
            part = (ustrat.get("rollingUpdate") or {}).get("partition", 0)
            healthy = all(pods.get(i) is not None and pod_ready(pods[i]) and
                          not pods[i]["metadata"].get("deletionTimestamp")
                          for i in range(want))
            if healthy:
                for i in range(want - 1, part - 1, -1):
                    p = pods[i]
                    if p["metadata"]["labels"].get(
                            "controller-revision-hash") != rev:
                        sim.delete_pod(p, None, now)
                        break
    live = [p for p in pods.values()]
    ready = sum(1 for p in live if pod_ready(p) and
                not p["metadata"].get("deletionTimestamp"))
    updated = sum(1 for p in live if p["metadata"]["labels"].get(
        "controller-revision-hash") == rev)
    cur_rev = (sts.get("status") or {}).get("currentRevision") or rev
    if updated == len(live) == want:
        cur_rev = rev
    current = sum(1 for p in live if p["metadata"]["labels"].get(
        "controller-revision-hash") == cur_rev)
    status = {"observedGeneration": md.get("generation", 1),
              "replicas": len(live), "readyReplicas": ready,
              "currentReplicas": current, "updatedReplicas": updated,
              "currentRevision": cur_rev, "updateRevision": rev,
              "collisionCount": 0, "availableReplicas": ready}
    for k in ("readyReplicas", "currentReplicas", "updatedReplicas"):
        if status[k] == 0:
            del status[k]
    if status != sts.get("status"):
        sts["status"] = status
        st.put(STS, sts)


def create_sts_pod(sim, sts, i, rev, now):
    name = "%s-%d" % (sts["metadata"]["name"], i)
    ns = sts["metadata"]["namespace"]
    pod = _new_pod_from_template(sim, sts, "StatefulSet", name, {
        "controller-revision-hash": rev,
        "statefulset.kubernetes.io/pod-name": name}, now)
    pod["metadata"]["generateName"] = sts["metadata"]["name"] + "-"
    spec = pod["spec"]
    spec["hostname"] = name
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    vols = spec.setdefault("volumes", [])
    sel = util.get_path(sts, "spec.selector.matchLabels", {}) or {}
    for t in sts["spec"].get("volumeClaimTemplates") or []:
        tname = t["metadata"]["name"]
        claim = "%s-%s" % (tname, name)
        vols.insert(0, {"name": tname,
                        "persistentVolumeClaim": {"claimName": claim}})
        if sim.store.get(PVCS, ns, claim) is None:
            labels = dict(sel)
            labels.update(t["metadata"].get("labels") or {})
            pvc = {"kind": "PersistentVolumeClaim", "apiVersion": "v1",
                   "metadata": {"name": claim, "namespace": ns,
                                "labels": labels},
                   "spec": copy.deepcopy(t.get("spec") or {})}
            if util.get_path(sts, "spec.persistentVolumeClaimRetentionPolicy."
                             "whenDeleted") == "Delete":
                pvc["metadata"]["ownerReferences"] = [
                    dict(owner_ref(sts, "StatefulSet", "apps/v1"),
                         controller=True)]
            sim.internal_create(R.find("", "v1", "persistentvolumeclaims"),
                                pvc)
    sim.internal_create(R.find("", "v1", "pods"), pod)


def reconcile_replicaset(sim, rs, now):
    st = sim.store
    md = rs["metadata"]
    ns = md["namespace"]
    want = rs["spec"].get("replicas", 1)
    pods = [p for p in st.items(PODS, ns) if controller_uid(p) == md["uid"]]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if not md.get("deletionTimestamp"):
        for _ in range(want - len(live)):
            name = "%s-%s" % (md["name"], util.rand_suffix())
            pod = _new_pod_from_template(sim, rs, "ReplicaSet", name, {},
                                         now)
            pod["metadata"]["generateName"] = md["name"] + "-"
            sim.internal_create(R.find("", "v1", "pods"), pod)
        if len(live) > want:
            order = sorted(live, key=lambda p: (
                pod_ready(p), p["metadata"]["creationTimestamp"]))
            for p in order[:len(live) - want]:
                sim.delete_pod(p, None, now)
    ready = sum(1 for p in live if pod_ready(p))
    status = {"replicas": len(live), "fullyLabeledReplicas": len(live),
              "readyReplicas": ready, "availableReplicas": ready,
              "observedGeneration": md.get("generation", 1)}
    for k in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if status[k] == 0:
            del status[k]
    if status != rs.get("status"):
        rs["status"] = status
        st.put(RS, rs)


def reconcile_deployment(sim, dep, now):
    st = sim.store
    md = dep["metadata"]
    ns = md["namespace"]
    if md.get("deletionTimestamp"):
        return
    spec = dep["spec"]
    want = spec.get("replicas", 1)
    h = util.short_hash(spec["template"], 10)
    owned = [r for r in st.items(RS, ns) if controller_uid(r) == md["uid"]]
    new = next((r for r in owned if r["metadata"]["name"] ==
                "%s-%s" % (md["name"], h)), None)
    revs = [int((r["metadata"].get("annotations") or {}).get(
        "deployment.kubernetes.io/revision", "0")) for r in owned]
    if new is None:
        tpl = copy.deepcopy(spec["template"])
        tpl.setdefault("metadata", {}).setdefault("labels", {})[
            "pod-template-hash"] = h
        sel = copy.deepcopy(spec.get("selector") or {})
        sel.setdefault("matchLabels", {})["pod-template-hash"] = h
        new = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
               "metadata": {"name": "%s-%s" % (md["name"], h),
                            "namespace": ns,
                            "labels": dict(tpl["metadata"]["labels"]),
                            "annotations": {
                                "deployment.kubernetes.io/desired-replicas":
                                str(want),
                                "deployment.kubernetes.io/max-replicas":
                                str(want + 1),
                                "deployment.kubernetes.io/revision":
                                str(max(revs + [0]) + 1)},
                            "ownerReferences": [owner_ref(
                                dep, "Deployment", "apps/v1")]},
               "spec": {"replicas": want, "selector": sel,
                        "template": tpl}}
        new = sim.internal_create(R.find("apps", "v1", "replicasets"), new)
        owned.append(new)
    elif new["spec"].get("replicas") != want:
        new["spec"]["replicas"] = want
        new["metadata"]["generation"] = new["metadata"].get(
            "generation", 1) + 1
        st.put(RS, new)
    new_ready = (new.get("status") or {}).get("readyReplicas", 0)
    for r in owned:
        if r is new:
            continue
        keep = max(0, min(r["spec"].get("replicas", 0), want - new_ready))
        if spec.get("strategy", {}).get("type") == "Recreate":
            keep = 0
        if r["spec"].get("replicas") != keep:
            r["spec"]["replicas"] = keep
            r["metadata"]["generation"] = r["metadata"].get(
                "generation", 1) + 1
            st.put(RS, r)
    total = sum((r.get("status") or {}).get("replicas", 0) for r in owned)
    ready = sum((r.get("status") or {}).get("readyReplicas", 0)
                for r in owned)
    updated = (new.get("status") or {}).get("replicas", 0)
    old = (dep.get("status") or {})
    conds = {c["type"]: c for c in old.get("conditions", [])}
    avail_ok = ready >= want
    done = avail_ok and updated == want and total == want
    ts = util.rfc3339(now)

    def cond(t, s, reason, msg):
        c = conds.get(t)
        if c and c["status"] == s and c.get("reason") == reason:
            return c
        return {"type": t, "status": s, "lastUpdateTime": ts,
                "lastTransitionTime": ts, "reason": reason,
                "message": msg}
    status = {"observedGeneration": md.get("generation", 1),
              "replicas": total, "updatedReplicas": updated,
              "readyReplicas": ready, "availableReplicas": ready,
              "conditions": [
                  cond("Available", "True" if avail_ok else "False",
                       "MinimumReplicasAvailable" if avail_ok else
                       "MinimumReplicasUnavailable",
                       "Deployment has minimum availability." if avail_ok
                       else "Deployment does not have minimum "
                       "availability."),
                  cond("Progressing", "True",
                       "NewReplicaSetAvailable" if done else
                       "ReplicaSetUpdated",
                       'ReplicaSet "%s" has successfully progressed.' %
                       new["metadata"]["name"] if done else
                       'ReplicaSet "%s" is progressing.' %
                       new["metadata"]["name"])]}
    if want - ready > 0:
        status["unavailableReplicas"] = want - ready
    for k in ("replicas", "updatedReplicas", "readyReplicas",
              "availableReplicas"):
        if status[k] == 0:
            del status[k]
    if status != old:
        dep["status"] = status
        st.put(DEPLOY, dep)


def reconcile_daemonset(sim, ds, now):
    st = sim.store
    md = ds["metadata"]
    ns = md["namespace"]
    sel = util.get_path(ds, "spec.template.spec.nodeSelector", {}) or {}
    nodes = [n for n in st.items(NODES) if node_ready(n) and all(
        (n["metadata"].get("labels") or {}).get(k) == v
        for k, v in sel.items())]
    pods = [p for p in st.items(PODS, ns) if controller_uid(p) == md["uid"]
            and not p["metadata"].get("deletionTimestamp")]
    by_node = {}
    for p in pods:
        by_node.setdefault(p["spec"].get("nodeName"), []).append(p)
    if not md.get("deletionTimestamp"):
        for n in nodes:
            nn = n["metadata"]["name"]
            if nn in by_node:
                continue
            pod = _new_pod_from_template(sim, ds, "DaemonSet", "%s-%s" % (
                md["name"], util.rand_suffix()), {
                "controller-revision-hash": util.short_hash(
                    ds["spec"]["template"], 10)}, now)
            pod["metadata"]["generateName"] = md["name"] + "-"
            pod["spec"]["nodeName"] = nn
            tols = pod["spec"].setdefault("tolerations", [])
            tols.append({"key": "node.kubernetes.io/unschedulable",
                         "operator": "Exists", "effect": "NoSchedule"})
            sim.internal_create(R.find("", "v1", "pods"), pod)
    ready = sum(1 for p in pods if pod_ready(p))
    status = {"currentNumberScheduled": len(pods),
              "numberMisscheduled": 0,
              "desiredNumberScheduled": len(nodes), "numberReady": ready,
              "observedGeneration": md.get("generation", 1),
              "updatedNumberScheduled": len(pods),
              "numberAvailable": ready}
    if status != ds.get("status"):
        ds["status"] = status
        st.put(DS, ds)


# ---- storage ---------------------------------------------------------------

def reconcile_pvcs(sim, now):
    st = sim.store
    delay = sim.cfg["bind_delay"]
    for pvc in list(st.items(PVCS)):
        md = pvc["metadata"]
        ns, name, uid = md["namespace"], md["name"], md["uid"]
        if md.get("deletionTimestamp"):
            in_use = any(
                v.get("persistentVolumeClaim", {}).get("claimName") == name
                for p in st.items(PODS, ns)
                for v in util.get_path(p, "spec.volumes", []) or [])
            if not in_use:
                md["finalizers"] = [f for f in md.get("finalizers", [])
                                    if f != "kubernetes.io/pvc-protection"]
                if not md["finalizers"]:
                    st.remove(PVCS, ns, name)
                    sim.pv_released(pvc)
                else:
                    st.put(PVCS, pvc)
            continue
        seen = sim.pvc_seen.setdefault(uid, now)
        phase = util.get_path(pvc, "status.phase")
        sc = st.get(SCS, "", pvc["spec"].get("storageClassName") or "")
        if phase == "Pending":
            if sc is None or now - seen < delay:
                continue
            bind_pvc(sim, pvc, sc, now)
            continue
        want = util.get_path(pvc, "spec.resources.requests.storage")
        have = util.get_path(pvc, "status.capacity.storage")
        if want != have and util.parse_quantity(want) > (
                util.parse_quantity(have) or 0):
            key = (uid, want)
            t0 = sim.pvc_resize.setdefault(key, now)
            if now - t0 < delay or (sc and not sc.get(
                    "allowVolumeExpansion")):
                continue
            pvc["status"]["capacity"] = {"storage": want}
            st.put(PVCS, pvc)
            pv = st.get(PVS, "", pvc["spec"].get("volumeName") or "")
            if pv is not None:
                pv["spec"]["capacity"] = {"storage": want}
                st.put(PVS, pv)


def bind_pvc(sim, pvc, sc, now):
    st = sim.store
    md = pvc["metadata"]
    prov = sc.get("provisioner", "sim-kubelet/hostpath")
    size = util.get_path(pvc, "spec.resources.requests.storage")
    pvname = "pvc-" + md["uid"]
    pv = {"kind": "PersistentVolume", "apiVersion": "v1",
          "metadata": {"name": pvname, "annotations": {
              "pv.kubernetes.io/provisioned-by": prov},
              "finalizers": ["kubernetes.io/pv-protection"]},
          "spec": {"capacity": {"storage": size},
                   "hostPath": {"path": "/var/lib/sim-kubelet/volumes/" +
                                pvname, "type": ""},
                   "accessModes": list(pvc["spec"].get("accessModes", [])),
                   "claimRef": {"kind": "PersistentVolumeClaim",
                                "namespace": md["namespace"],
                                "name": md["name"], "uid": md["uid"],
                                "apiVersion": "v1"},
                   "persistentVolumeReclaimPolicy": sc.get(
                       "reclaimPolicy", "Delete"),
                   "storageClassName": sc["metadata"]["name"],
                   "volumeMode": pvc["spec"].get("volumeMode",
                                                 "Filesystem")},
          "status": {"phase": "Bound"}}
    sim.internal_create(R.find("", "v1", "persistentvolumes"), pv,
                        keep_status=True)
    ann = md.setdefault("annotations", {})
    ann.update({"pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": prov,
                "volume.kubernetes.io/storage-provisioner": prov})
    pvc["spec"]["volumeName"] = pvname
    pvc["status"] = {"phase": "Bound",
                     "accessModes": list(pvc["spec"].get("accessModes", [])),
                     "capacity": {"storage": size}}
    st.put(PVCS, pvc)


# ---- namespaces, PDBs, garbage collection ---------------------------------

def reconcile_namespaces(sim, now):
    st = sim.store
    for ns in list(st.items(NAMESPACES)):
        md = ns["metadata"]
        if not md.get("deletionTimestamp"):
            continue
        name = md["name"]
        left = 0
        for key, b in list(st.data.items()):
            if key == NAMESPACES:
                continue
            for (ons, oname), obj in list(b.items()):
                if ons != name:
                    continue
                left += 1
                if key == PODS:
                    if not obj["metadata"].get("deletionTimestamp"):
                        sim.delete_pod(obj, None, now)
                elif key == PVCS:
                    if not obj["metadata"].get("deletionTimestamp"):
                        obj["metadata"]["deletionTimestamp"] = \
                            util.rfc3339(now)
                        obj["metadata"]["deletionGracePeriodSeconds"] = 0
                        st.put(PVCS, obj)
                else:
                    st.remove(key, ons, oname)
        t0 = util.parse_time(md["deletionTimestamp"]) or now
        if left == 0 and now - max(t0, sim.ns_deleted_at.get(
                md["uid"], t0)) >= sim.cfg["ns_delete_delay"]:
            st.remove(NAMESPACES, "", name)


def pdb_numbers(sim, pdb):
    ns = pdb["metadata"]["namespace"]
    reqs = selector_from_match(util.get_path(pdb, "spec.selector") or {})
    pods = [p for p in sim.store.items(PODS, ns)
            if reqs and match_labels(reqs, p["metadata"].get("labels"))
            and not p["metadata"].get("deletionTimestamp")]
    expected = len(pods)
    healthy = sum(1 for p in pods if pod_ready(p))
    spec = pdb.get("spec") or {}

    def value(v):
        if isinstance(v, str) and v.endswith("%"):
            return int(-(-expected * int(v[:-1]) // 100))
        return int(v)
    if "minAvailable" in spec:
        desired = value(spec["minAvailable"])
    elif "maxUnavailable" in spec:
        desired = max(0, expected - value(spec["maxUnavailable"]))
    else:
        desired = expected
    allowed = max(0, healthy - desired)
    return expected, healthy, desired, allowed


def reconcile_pdbs(sim, now):
    st = sim.store
    for pdb in list(st.items(PDBS)):
        expected, healthy, desired, allowed = pdb_numbers(sim, pdb)
        old = pdb.get("status") or {}
        ok = allowed > 0
        conds = old.get("conditions") or []
        c = conds[0] if conds else {}
        want_reason = "SufficientPods" if ok else "InsufficientPods"
        if c.get("reason") != want_reason:
            c = {"type": "DisruptionAllowed",
                 "status": "True" if ok else "False",
                 "observedGeneration": pdb["metadata"].get("generation", 1),
                 "lastTransitionTime": util.rfc3339(now),
                 "reason": want_reason, "message": ""}
        status = {"observedGeneration": pdb["metadata"].get("generation", 1),
                  "disruptionsAllowed": allowed, "currentHealthy": healthy,
                  "desiredHealthy": desired, "expectedPods": expected,
                  "conditions": [c]}
        if status != old:
            pdb["status"] = status
            st.put(PDBS, pdb)


def collect_garbage(sim, now):
    """Owners gone: delete dependents (background).  Foreground and orphan
    finalizers of owners being deleted are processed here too."""
    st = sim.store
    alive = {}
    for key, obj in st.all_objects():
        alive[obj["metadata"]["uid"]] = (key, obj)
    dependents = {}
    for key, obj in list(st.all_objects()):
        for ref in obj["metadata"].get("ownerReferences") or []:
            dependents.setdefault(ref.get("uid"), []).append((key, obj))
            if ref.get("uid") not in alive and \
                    not obj["metadata"].get("deletionTimestamp"):
                sim.delete_any(key, obj, now)
                break
    for uid, (key, obj) in list(alive.items()):
        md = obj["metadata"]
        fins = md.get("finalizers") or []
        if not md.get("deletionTimestamp"):
            continue
        if "foregroundDeletion" in fins:
            deps = [d for d in dependents.get(uid, [])
                    if st.get(d[0], d[1]["metadata"].get("namespace"),
                              d[1]["metadata"]["name"]) is not None]
            for dkey, dobj in deps:
                if not dobj["metadata"].get("deletionTimestamp"):
                    sim.delete_any(dkey, dobj, now, "Foreground")
            if not deps:
                md["finalizers"] = [f for f in fins
                                    if f != "foregroundDeletion"]
                sim.put_or_finalize(key, obj)
        elif "orphan" in fins:
            for dkey, dobj in dependents.get(uid, []):
                refs = [r for r in dobj["metadata"].get(
                    "ownerReferences") or [] if r.get("uid") != uid]
                if refs:
                    dobj["metadata"]["ownerReferences"] = refs
                else:
                    dobj["metadata"].pop("ownerReferences", None)
                st.put(dkey, dobj)
            md["finalizers"] = [f for f in fins if f != "orphan"]
            sim.put_or_finalize(key, obj)


def pods_on_missing_nodes(sim, now):
    st = sim.store
    names = {n["metadata"]["name"] for n in st.items(NODES)}
    for p in list(st.items(PODS)):
        n = util.get_path(p, "spec.nodeName")
        if n and n not in names:
            st.remove(PODS, p["metadata"]["namespace"],
                      p["metadata"]["name"])


# ---- the loop ----------------------------------------------------------

UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


def reconcile_node_taints(sim, now):
    """The node lifecycle controller (TaintNodesByCondition): a node with
    spec.unschedulable gets the node.kubernetes.io/unschedulable:NoSchedule
    taint soon after the cordon, and loses it after the uncordon (v1.28
    102-106: the PATCH answers still show the old taints; a later GET the
    new ones).  An empty taint list is dropped, as the API omits it."""
    st = sim.store
    for node in list(st.items(NODES)):
        spec = node.setdefault("spec", {})
        taints = spec.get("taints") or []
        has = any(t.get("key") == UNSCHEDULABLE_TAINT and
                  t.get("effect") == "NoSchedule" for t in taints)
        want = bool(spec.get("unschedulable"))
        if want == has:
            continue
        if want:
            taints = taints + [{"key": UNSCHEDULABLE_TAINT,
                                "effect": "NoSchedule",
                                "timeAdded": util.rfc3339(now)}]
        else:
            taints = [t for t in taints
                      if t.get("key") != UNSCHEDULABLE_TAINT]
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)
        st.put(NODES, node)


def tick(sim, now, full):
    st = sim.store
    sim.timers.run(now)
    for key in list(sim.unscheduled):
        ns, name = key
        pod = st.get(PODS, ns, name)
        if pod is None or pod["metadata"].get("deletionTimestamp") or \
                util.get_path(pod, "spec.nodeName"):
            sim.unscheduled.discard(key)
            continue
        if schedule(sim, pod, now):
            sim.unscheduled.discard(key)
    for key, fn in ((STS, reconcile_statefulset),
                    (DEPLOY, reconcile_deployment),
                    (RS, reconcile_replicaset),
                    (DS, reconcile_daemonset)):
        for obj in list(st.items(key)):
            md = obj["metadata"]
            stamp = (st.nsver[md["namespace"]], st.nsver[""])
            k = (key, md["uid"])
            if not full and sim.seen.get(k) == stamp:
                continue
            fn(sim, obj, now)
            sim.seen[k] = (st.nsver[md["namespace"]], st.nsver[""])
    reconcile_pvcs(sim, now)
    reconcile_namespaces(sim, now)
    reconcile_node_taints(sim, now)
    if full:
        reconcile_pdbs(sim, now)
        collect_garbage(sim, now)
        pods_on_missing_nodes(sim, now)


# ---- metrics.k8s.io -------------------------------------------------------

def pod_usage(sim, pod):
    """(cpu cores, memory bytes) per container of a running pod."""
    md = pod["metadata"]
    ann = md.get("annotations") or {}
    over = sim.metrics_pods.get("%s/%s" % (md["namespace"], md["name"]), {})
    conts = pod["spec"].get("containers") or []
    n = max(1, len(conts))
    total_cpu = over.get("cpu") or ann.get("sim.esctl.io/usage-cpu")
    total_mem = over.get("memory") or ann.get("sim.esctl.io/usage-memory")
    out = []
    for c in conts:
        req = util.get_path(c, "resources.requests", {}) or {}
        if total_cpu is not None:
            cpu = (util.parse_quantity(total_cpu) or 0) / n
        else:
            cpu = 0.4 * (util.parse_quantity(req.get("cpu", "0")) or 0) or \
                0.005
        if total_mem is not None:
            mem = (util.parse_quantity(total_mem) or 0) / n
        else:
            mem = 0.6 * (util.parse_quantity(req.get("memory", "0")) or 0) \
                or 16 * 1024 * 1024
        out.append((c["name"], cpu, mem))
    return out


def pod_metrics(sim, pod, now):
    md = pod["metadata"]
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": md["name"], "namespace": md["namespace"],
                         "creationTimestamp": util.rfc3339(now),
                         "labels": dict(md.get("labels") or {})},
            "timestamp": util.rfc3339(now - 5), "window": "10.0s",
            "containers": [{"name": n, "usage": {
                "cpu": util.format_cpu_nanos(c),
                "memory": util.format_mem_ki(m)}}
                for n, c, m in pod_usage(sim, pod)]}


def node_metrics(sim, node, now):
    name = node["metadata"]["name"]
    over = sim.metrics_nodes.get(name, {})
    ann = node["metadata"].get("annotations") or {}
    cpu = over.get("cpu") or ann.get("sim.esctl.io/usage-cpu")
    mem = over.get("memory") or ann.get("sim.esctl.io/usage-memory")
    if cpu is None or mem is None:
        c_sum, m_sum = 0.2, 512 * 1024 * 1024.0
        for p in sim.store.items(PODS):
            if util.get_path(p, "spec.nodeName") == name and \
                    util.get_path(p, "status.phase") == "Running":
                for _, c, m in pod_usage(sim, p):
                    c_sum += c
                    m_sum += m
        cpu = cpu if cpu is not None else c_sum
        mem = mem if mem is not None else m_sum
    cpu = util.parse_quantity(cpu) if isinstance(cpu, str) else cpu
    mem = util.parse_quantity(mem) if isinstance(mem, str) else mem
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name,
                         "creationTimestamp": util.rfc3339(now),
                         "labels": dict(node["metadata"].get("labels") or
                                        {})},
            "timestamp": util.rfc3339(now - 5), "window": "10.0s",
            "usage": {"cpu": util.format_cpu_nanos(cpu),
                      "memory": util.format_mem_ki(mem)}}


def scale_of(obj):
    md = obj["metadata"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": md["name"], "namespace": md["namespace"],
                         "uid": md["uid"],
                         "resourceVersion": md["resourceVersion"],
                         "creationTimestamp": md["creationTimestamp"]},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get(
                "replicas", 0),
                "selector": selector_string(obj["spec"].get("selector"))}}
