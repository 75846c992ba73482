"""Server-side printing (meta.k8s.io/v1 Table) for kubectl get."""
from . import util


def _col(name, type_="string", fmt="", desc="", prio=0):
    return {"name": name, "type": type_, "format": fmt,
            "description": desc, "priority": prio}


NAME = _col("Name", fmt="name",
            desc="Name must be unique within a namespace.")
AGE = _col("Age", desc="CreationTimestamp is a timestamp representing the "
           "server time when this object was created.")


def _age(obj, now):
    t = util.parse_time(obj["metadata"].get("creationTimestamp"))
    return util.human_duration(now - t) if t else "<unknown>"


def _pod_cells(p, now):
    conts = p["spec"].get("containers") or []
    cs = util.get_path(p, "status.containerStatuses", []) or []
    ready = sum(1 for c in cs if c.get("ready"))
    restarts = sum(c.get("restartCount", 0) for c in cs)
    reason = util.get_path(p, "status.reason") or \
        util.get_path(p, "status.phase") or "Pending"
    for c in cs:
        w = util.get_path(c, "state.waiting.reason")
        if w:
            reason = w
    if p["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return ["%d/%d" % (ready, len(conts)), reason, restarts, _age(p, now),
            util.get_path(p, "status.podIP") or "<none>",
            util.get_path(p, "spec.nodeName") or "<none>", "<none>",
            "<none>"]


def _node_cells(n, now):
    status = "Ready" if any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in util.get_path(n, "status.conditions", []) or []) \
        else "NotReady"
    if util.get_path(n, "spec.unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in
                   (n["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    info = util.get_path(n, "status.nodeInfo", {}) or {}
    ip = next((a.get("address") for a in
               util.get_path(n, "status.addresses", []) or []
               if a.get("type") == "InternalIP"), "<none>")
    return [status, ",".join(roles) or "<none>", _age(n, now),
            info.get("kubeletVersion", ""), ip, "<none>",
            info.get("osImage", ""), info.get("kernelVersion", ""),
            info.get("containerRuntimeVersion", "")]


def _svc_ports(s):
    out = []
    for p in util.get_path(s, "spec.ports", []) or []:
        out.append("%s/%s" % (p.get("port"), p.get("protocol", "TCP")))
    return ",".join(out) or "<none>"


TABLES = {
    "Namespace": ([NAME, _col("Status"), AGE], lambda o, now: [
        util.get_path(o, "status.phase", ""), _age(o, now)]),
    "Pod": ([NAME, _col("Ready"), _col("Status"),
             _col("Restarts", "integer"), AGE, _col("IP", prio=1),
             _col("Node", prio=1), _col("Nominated Node", prio=1),
             _col("Readiness Gates", prio=1)], _pod_cells),
    "StatefulSet": ([NAME, _col("Ready"), AGE,
                     _col("Containers", prio=1), _col("Images", prio=1)],
                    lambda o, now: [
                        "%d/%d" % (util.get_path(o, "status.readyReplicas",
                                                 0),
                                   util.get_path(o, "spec.replicas", 1)),
                        _age(o, now),
                        ",".join(c["name"] for c in util.get_path(
                            o, "spec.template.spec.containers", [])),
                        ",".join(c.get("image", "") for c in util.get_path(
                            o, "spec.template.spec.containers", []))]),
    "Deployment": ([NAME, _col("Ready"), _col("Up-to-date", "integer"),
                    _col("Available", "integer"), AGE],
                   lambda o, now: [
                       "%d/%d" % (util.get_path(o, "status.readyReplicas",
                                                0),
                                  util.get_path(o, "spec.replicas", 1)),
                       util.get_path(o, "status.updatedReplicas", 0),
                       util.get_path(o, "status.availableReplicas", 0),
                       _age(o, now)]),
    "ReplicaSet": ([NAME, _col("Desired", "integer"),
                    _col("Current", "integer"), _col("Ready", "integer"),
                    AGE], lambda o, now: [
                        util.get_path(o, "spec.replicas", 1),
                        util.get_path(o, "status.replicas", 0),
                        util.get_path(o, "status.readyReplicas", 0),
                        _age(o, now)]),
    "Node": ([NAME, _col("Status"), _col("Roles"), AGE, _col("Version"),
              _col("Internal-IP", prio=1), _col("External-IP", prio=1),
              _col("OS-Image", prio=1), _col("Kernel-Version", prio=1),
              _col("Container-Runtime", prio=1)], _node_cells),
    "Service": ([NAME, _col("Type"), _col("Cluster-IP"),
                 _col("External-IP"), _col("Port(s)"), AGE,
                 _col("Selector", prio=1)], lambda o, now: [
                     util.get_path(o, "spec.type", "ClusterIP"),
                     util.get_path(o, "spec.clusterIP", "<none>"),
                     "<none>", _svc_ports(o), _age(o, now),
                     ",".join("%s=%s" % kv for kv in sorted(
                         (util.get_path(o, "spec.selector", {}) or
                          {}).items())) or "<none>"]),
    "PersistentVolumeClaim": ([NAME, _col("Status"), _col("Volume"),
                               _col("Capacity"), _col("Access Modes"),
                               _col("StorageClass"), AGE,
                               _col("VolumeMode", prio=1)],
                              lambda o, now: [
                                  util.get_path(o, "status.phase", ""),
                                  util.get_path(o, "spec.volumeName", ""),
                                  util.get_path(o, "status.capacity."
                                                "storage", ""),
                                  ",".join({"ReadWriteOnce": "RWO",
                                            "ReadOnlyMany": "ROX",
                                            "ReadWriteMany": "RWX"}.get(
                                      m, m) for m in util.get_path(
                                      o, "status.accessModes", []) or []),
                                  util.get_path(o, "spec.storageClassName",
                                                ""),
                                  _age(o, now),
                                  util.get_path(o, "spec.volumeMode", "")]),
    "ConfigMap": ([NAME, _col("Data", "integer"), AGE], lambda o, now: [
        len(o.get("data") or {}) + len(o.get("binaryData") or {}),
        _age(o, now)]),
    "PodDisruptionBudget": ([NAME, _col("Min Available"),
                             _col("Max Unavailable"),
                             _col("Allowed Disruptions", "integer"), AGE],
                            lambda o, now: [
                                str(util.get_path(o, "spec.minAvailable",
                                                  "N/A")),
                                str(util.get_path(o, "spec.maxUnavailable",
                                                  "N/A")),
                                util.get_path(o, "status.disruptionsAllowed",
                                              0), _age(o, now)]),
}


def wants_table(accept):
    return accept is not None and "as=Table" in accept


def to_table(kind, objs, now, list_meta):
    cols, cells = TABLES.get(kind, ([NAME, _col(
        "Created At", "date", desc="CreationTimestamp is a timestamp "
        "representing the server time when this object was created.")],
        lambda o, n: [o["metadata"].get("creationTimestamp")]))
    rows = []
    for o in objs:
        md = dict(o["metadata"])
        md.pop("managedFields", None)
        rows.append({"cells": [md["name"]] + cells(o, now),
                     "object": {"kind": "PartialObjectMetadata",
                                "apiVersion": "meta.k8s.io/v1",
                                "metadata": md}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": list_meta, "columnDefinitions": cols,
            "rows": rows}
