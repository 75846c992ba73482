"""The HTTPS server: authentication, authorization, routing, the API verbs,
watches, logs, fault injection, the request log and the /__sim admin
endpoints."""
import base64
import copy
import fnmatch
import io
import json
import os
import re
import select
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import controllers as C
from . import openapi_pb
from . import resources as R
from . import tables
from . import util
from .patch import PatchError, json_patch, merge_patch, strategic_merge
from .selectors import (SelectorError, check_fields, match_fields,
                        match_labels, parse_fields, parse_labels,
                        selector_from_match)
from .store import Store

# The real server's OpenAPI v2 document (recorded from v1.28.7).
OPENAPI_V2_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "..", "..", "testdata", "k8s-recorded",
                               "v1.28", "openapi-v2.json")
OPENAPI_V2 = None
OPENAPI_V2_PB = None

VERSION = {
    "major": "1", "minor": "24+",
    "gitVersion": "v1.24.0-alpha.1+kube-sim",
    "gitCommit": "e5f3f020084e16d045a02a9e118064e9aa0d7754",
    "gitTreeState": "clean", "buildDate": "2021-12-23T00:00:00Z",
    "goVersion": "go1.17.5", "compiler": "gc", "platform": "linux/amd64",
}

PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
}

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
           404: "NotFound", 405: "MethodNotAllowed", 409: "Conflict",
           410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid",
           429: "TooManyRequests", 500: "InternalError",
           502: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        Exception.__init__(self, message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self):
        b = {"kind": "Status", "apiVersion": "v1", "metadata": {},
             "status": "Failure", "message": self.message,
             "reason": self.reason}
        if self.details is not None:
            b["details"] = self.details
        b["code"] = self.code
        return b


def _details(res, name=None, causes=None, kind=None):
    d = {}
    if name is not None:
        d["name"] = name
    if res is not None and res.group:
        d["group"] = res.group
    d["kind"] = kind or (res.name if res is not None else "")
    if causes is not None:
        d["causes"] = causes
    return d


def not_found(res, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (
        res.group_resource, name), _details(res, name))


def invalid(res, name, causes):
    fields = ["%s: %s" % (c["field"], c["message"]) for c in causes]
    text = fields[0] if len(fields) == 1 else "[%s]" % ", ".join(fields)
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (
        res.kind_group, name, text),
        _details(res, name, causes, kind=res.kind))


def conflict(res, name):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s '
                    '"%s": the object has been modified; please apply your '
                    'changes to the latest version and try again' % (
                        res.group_resource, name), _details(res, name))


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


class Sim:
    """The cluster: objects, controllers, users, faults, the request log."""

    def __init__(self, opts):
        self.opts = opts
        self.state = opts.state
        self.store = Store()
        self.lock = self.store.lock
        self.cfg = {"ready_delay": opts.ready_delay,
                    "delete_delay": opts.delete_delay,
                    "ns_delete_delay": opts.ns_delete_delay,
                    "bind_delay": opts.bind_delay,
                    "metrics": not opts.no_metrics,
                    "fail_images": None}
        self.timers = C.Timers()
        self.unscheduled = set()
        self.seen = {}
        self.pvc_seen = {}
        self.pvc_resize = {}
        self.ns_deleted_at = {}
        self.metrics_pods = {}
        self.metrics_nodes = {}
        self.logs = {}
        self.logs_closed = set()
        self.faults = []
        self.reset_gen = 0
        self.reqlog = []
        self.reqseq = 0
        self.pod_ip = 0
        self.svc_ip = set()
        self.users = {}          # token -> user entry
        self.basic = {}          # "user:password" -> user entry
        self.stop = threading.Event()
        self.port = None

    # ---- setup ----------------------------------------------------------

    def remember_base(self):
        """What reset() returns to: the configuration and users."""
        self.base_cfg = dict(self.cfg)
        self.base_users = dict(self.users)
        self.base_basic = dict(self.basic)

    def reset(self):
        """Back to a fresh cluster (objects, faults, log, users, settings);
        resourceVersions keep growing."""
        with self.lock:
            self.reset_gen += 1
            self.store.data = {}
            self.store.events.clear()
            self.store.nsver.clear()
            self.store.changes += 1
            self.timers = C.Timers()
            for k in ("unscheduled",):
                getattr(self, k).clear()
            self.seen = {}
            self.pvc_seen = {}
            self.pvc_resize = {}
            self.ns_deleted_at = {}
            self.metrics_pods = {}
            self.metrics_nodes = {}
            self.logs = {}
            self.faults = []
            self.reqlog = []
            self.cfg = dict(self.base_cfg)
            self.users = dict(self.base_users)
            self.basic = dict(self.base_basic)
            self.bootstrap(self.opts.nodes)
            self.store.cond.notify_all()

    def bootstrap(self, nodes):
        now = util.now()
        with self.lock:
            for ns in ("default", "kube-system", "kube-public",
                       "kube-node-lease"):
                if self.store.get(C.NAMESPACES, "", ns) is None:
                    self.internal_create(R.find("", "v1", "namespaces"), {
                        "kind": "Namespace", "apiVersion": "v1",
                        "metadata": {"name": ns}})
            if not self.store.items(C.SCS):
                self.internal_create(R.find("storage.k8s.io", "v1",
                                            "storageclasses"), {
                    "kind": "StorageClass",
                    "apiVersion": "storage.k8s.io/v1",
                    "metadata": {"name": "standard", "annotations": {
                        "storageclass.kubernetes.io/is-default-class":
                        "true"}},
                    "provisioner": "sim-kubelet/hostpath",
                    "reclaimPolicy": "Delete",
                    "volumeBindingMode": "Immediate",
                    "allowVolumeExpansion": True})
            if not self.store.items(C.NODES):
                gpus = getattr(self.opts, "gpus_per_node", 0) or 0
                for i in range(1, nodes + 1):
                    # the label marks the nodes kube-sim's own kubelet
                    # registered (the v1.24 recording's nodes have it);
                    # nodes a client creates do not get it
                    node = {"kind": "Node", "apiVersion": "v1",
                            "metadata": {"name": "sim-node-%d" % i,
                                         "labels": {"sim-kubelet/managed":
                                                    "true"}}}
                    if gpus > 0:
                        # like a node with the NVIDIA device plugin
                        cap = {"cpu": "16", "ephemeral-storage": "100Gi",
                               "memory": "64Gi", "nvidia.com/gpu": str(gpus),
                               "pods": "110"}
                        node["metadata"]["labels"][
                            "nvidia.com/gpu.present"] = "true"
                        node["status"] = {"capacity": cap,
                                          "allocatable": dict(cap)}
                    self.internal_create(R.find("", "v1", "nodes"), node)
            for p in self.store.items(C.PODS):
                if not util.get_path(p, "spec.nodeName"):
                    self.unscheduled.add((p["metadata"]["namespace"],
                                          p["metadata"]["name"]))
        self.started = now

    def default_node_status(self, node):
        md = node["metadata"]
        name = md["name"]
        labels = md.setdefault("labels", {})
        for k, v in (("beta.kubernetes.io/arch", "amd64"),
                     ("beta.kubernetes.io/os", "linux"),
                     ("kubernetes.io/arch", "amd64"),
                     ("kubernetes.io/hostname", name),
                     ("kubernetes.io/os", "linux")):
            labels.setdefault(k, v)
        md.setdefault("annotations", {}).setdefault(
            "node.alpha.kubernetes.io/ttl", "0")
        st = node.setdefault("status", {})
        cap = st.setdefault("capacity", {"cpu": "16",
                                         "ephemeral-storage": "100Gi",
                                         "memory": "64Gi", "pods": "110"})
        st.setdefault("allocatable", dict(cap))
        ts = util.rfc3339()
        if not st.get("conditions"):
            st["conditions"] = [
                {"type": t, "status": "False", "lastHeartbeatTime": ts,
                 "lastTransitionTime": ts, "reason": r, "message": m}
                for t, r, m in (
                    ("MemoryPressure", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                    ("DiskPressure", "KubeletHasNoDiskPressure",
                     "kubelet has no disk pressure"),
                    ("PIDPressure", "KubeletHasSufficientPID",
                     "kubelet has sufficient PID available"))] + [
                {"type": "Ready", "status": "True", "lastHeartbeatTime": ts,
                 "lastTransitionTime": ts, "reason": "KubeletReady",
                 "message": "kubelet is posting ready status (simulated by "
                 "kube-sim)"}]
        if not st.get("addresses"):
            n = len(self.store.items(C.NODES)) + 10
            st["addresses"] = [{"type": "InternalIP",
                                "address": "192.0.2.%d" % (n % 250)},
                               {"type": "Hostname", "address": name}]
        st.setdefault("daemonEndpoints",
                      {"kubeletEndpoint": {"Port": 10250}})
        st.setdefault("nodeInfo", {
            "machineID": util.rand_hex(32), "systemUUID": util.rand_hex(32),
            "bootID": util.rand_hex(32), "kernelVersion": "6.1.0-sim",
            "osImage": "sim-kubelet", "containerRuntimeVersion": "sim://0.1",
            "kubeletVersion": VERSION["gitVersion"],
            "kubeProxyVersion": VERSION["gitVersion"],
            "operatingSystem": "linux", "architecture": "amd64"})

    def node_ip(self, node):
        for a in util.get_path(node, "status.addresses", []) or []:
            if a.get("type") == "InternalIP":
                return a.get("address")
        return "127.0.0.1"

    def alloc_pod_ip(self):
        self.pod_ip += 1
        n = self.pod_ip
        return "10.244.%d.%d" % ((n // 250) % 256, n % 250 + 2)

    def alloc_cluster_ip(self):
        used = {util.get_path(s, "spec.clusterIP")
                for s in self.store.items(("", "services"))}
        for i in range(10, 255):
            ip = "10.0.0.%d" % i
            if ip not in used:
                return ip
        return "10.0.1.%d" % (len(used) % 250 + 1)

    def default_storage_class(self):
        for sc in self.store.items(C.SCS):
            if (sc["metadata"].get("annotations") or {}).get(
                    "storageclass.kubernetes.io/is-default-class") == "true":
                return sc["metadata"]["name"]
        return None

    def pod_fails(self, pod):
        ann = pod["metadata"].get("annotations") or {}
        if ann.get("sim.esctl.io/fail") in ("true", "CrashLoopBackOff"):
            return True
        pat = self.cfg.get("fail_images")
        if pat:
            for c in pod["spec"].get("containers") or []:
                if re.search(pat, c.get("image", "")):
                    return True
        return False

    def pv_released(self, pvc):
        name = util.get_path(pvc, "spec.volumeName")
        pv = self.store.get(C.PVS, "", name or "")
        if pv is None:
            return
        if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
            self.store.remove(C.PVS, "", name)
        else:
            pv["status"] = {"phase": "Released"}
            self.store.put(C.PVS, pv)

    # ---- logs -----------------------------------------------------------

    def log_append(self, ns, pod, container, lines, t=None):
        t = t or util.now()
        buf = self.logs.setdefault((ns, pod, container), [])
        for ln in lines:
            buf.append((t, ln))
        self.store.cond.notify_all()

    def log_close(self, ns, pod):
        for k in list(self.logs):
            if k[0] == ns and k[1] == pod:
                del self.logs[k]
        self.store.cond.notify_all()

    # ---- object plumbing --------------------------------------------------

    def internal_create(self, res, obj, keep_status=False, manager=None):
        """Stores a new object with defaults (controllers, bootstrap)."""
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + util.rand_suffix()
        status = obj.get("status")
        R.default_object(res, obj, self)
        if keep_status and status is not None:
            obj["status"] = status
        self._finish_new(res, obj, manager or "kube-controller-manager")
        return obj

    def _finish_new(self, res, obj, manager):
        md = obj["metadata"]
        md["uid"] = util.new_uid()
        md["creationTimestamp"] = util.rfc3339()
        if res.namespaced:
            md.setdefault("namespace", "default")
        else:
            md.pop("namespace", None)
        obj["kind"] = res.kind
        obj["apiVersion"] = res.api_version
        md["managedFields"] = [{
            "manager": manager, "operation": "Update",
            "apiVersion": res.api_version, "time": md["creationTimestamp"],
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
        # key order like the API server: kind, apiVersion, metadata, ...
        ordered = {"kind": obj.pop("kind"),
                   "apiVersion": obj.pop("apiVersion"),
                   "metadata": obj.pop("metadata")}
        ordered.update(obj)
        obj.clear()
        obj.update(ordered)
        self.store.put(res.key, obj, "ADDED")
        if res.kind == "Pod":
            self._pod_created(obj)

    def _pod_created(self, pod):
        md = pod["metadata"]
        if not util.get_path(pod, "spec.nodeName"):
            self.unscheduled.add((md["namespace"], md["name"]))
        elif util.get_path(pod, "status.phase") == "Pending" and \
                not util.get_path(pod, "status.containerStatuses"):
            C.start_pod(self, pod, util.now())

    def delete_pod(self, pod, grace, now):
        md = pod["metadata"]
        if grace is None:
            grace = util.get_path(pod, "spec.terminationGracePeriodSeconds",
                                  30)
        if grace == 0 or not util.get_path(pod, "spec.nodeName") or \
                util.get_path(pod, "status.phase") in ("Succeeded",
                                                       "Failed"):
            self.store.remove(C.PODS, md["namespace"], md["name"])
            self.log_close(md["namespace"], md["name"])
            return pod
        if not md.get("deletionTimestamp"):
            md["deletionTimestamp"] = util.rfc3339(now + grace)
            md["deletionGracePeriodSeconds"] = grace
            self.store.put(C.PODS, pod)
            self.timers.add(now + self.cfg["delete_delay"],
                            C.finish_pod_deletion, self, md["namespace"],
                            md["name"], md["uid"])
            self.store.cond.notify_all()
        return pod

    def delete_any(self, key, obj, now, propagation=None):
        """Deletion by a controller (garbage collector, namespaces)."""
        md = obj["metadata"]
        if key == C.PODS:
            self.delete_pod(obj, None, now)
            return
        if md.get("deletionTimestamp"):
            return
        fins = list(md.get("finalizers") or [])
        if propagation == "Foreground" and "foregroundDeletion" not in fins:
            fins.append("foregroundDeletion")
        if fins:
            md["finalizers"] = fins
            md["deletionTimestamp"] = util.rfc3339(now)
            md["deletionGracePeriodSeconds"] = 0
            self.store.put(key, obj)
        else:
            self.store.remove(key, md.get("namespace"), md["name"])

    def put_or_finalize(self, key, obj):
        md = obj["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            md.pop("finalizers", None)
            self.store.remove(key, md.get("namespace"), md["name"])
        else:
            self.store.put(key, obj)

    # ---- controller thread ----------------------------------------------

    def run_controllers(self):
        """Controllers watch, as on a real cluster: a write by a client
        wakes them as soon as its answer has been serialized (v1.28 037:
        the PATCH right after another already sees its rollout begun),
        not up to one 20 ms period later."""
        n = 0
        with self.lock:
            while not self.stop.is_set():
                try:
                    C.tick(self, util.now(), n % 10 == 0)
                except Exception:
                    traceback.print_exc()
                n += 1
                self.store.cond.wait(0.02)

    def run_saver(self):
        path = os.path.join(self.state, "objects.json")
        while not self.stop.wait(1.0):
            try:
                self.store.save(path)
            except OSError:
                pass


# ---- API verbs --------------------------------------------------------------

class Api:
    """The verbs on resources, called with the store lock held."""

    def __init__(self, sim):
        self.sim = sim
        self.st = sim.store

    def _ns_check(self, res, ns):
        if not res.namespaced:
            return
        nso = self.st.get(C.NAMESPACES, "", ns)
        if nso is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                           {"name": ns, "kind": "namespaces"})
        if nso["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", '%s "%s" is forbidden: unable '
                           'to create new content in namespace %s because it '
                           'is being terminated' % (res.group_resource, "",
                                                    ns), {
                               "name": "", "kind": res.name, "causes": [{
                                   "reason": "NamespaceTerminating",
                                   "message": "namespace %s is being "
                                   "terminated" % ns,
                                   "field": "metadata.namespace"}]})

    def get(self, res, ns, name):
        obj = self.st.get(res.key, ns if res.namespaced else "", name)
        if obj is None:
            raise not_found(res, name)
        return copy.deepcopy(obj)

    def list(self, res, ns, q):
        try:
            lreqs = parse_labels(q.get("labelSelector"))
            freqs = parse_fields(q.get("fieldSelector"))
            check_fields(res.name, freqs)
        except SelectorError as e:
            raise bad_request(str(e))
        objs = self.st.items(res.key, ns if res.namespaced and ns else None)
        out = [o for o in objs if match_labels(lreqs, o["metadata"].get(
            "labels")) and match_fields(freqs, o)]
        meta = {"resourceVersion": str(self.st.rv)}
        limit = q.get("limit")
        cont = q.get("continue")
        start = None
        if cont:
            try:
                tok = json.loads(base64.urlsafe_b64decode(
                    cont + "=" * (-len(cont) % 4)).decode())
                start = tuple(tok["start"])
                meta["resourceVersion"] = tok["rv"]
            except (ValueError, KeyError, TypeError):
                raise bad_request("continue key is not valid: incorrect "
                                  "encoded start resourceVersion (version "
                                  "meta.k8s.io/v1)")
            exp = self.sim.cfg.get("expire_continue")
            if exp:
                if exp is not True:
                    self.sim.cfg["expire_continue"] = int(exp) - 1
                raise ApiError(410, "Expired", "The provided continue "
                               "parameter is too old to display a consistent "
                               "list result. You can start a new list without "
                               "the continue parameter.")
            out = [o for o in out if (o["metadata"].get("namespace", ""),
                                      o["metadata"]["name"]) > start]
        if limit:
            try:
                n = int(limit)
            except ValueError:
                raise bad_request("invalid limit '%s'" % limit)
            if 0 < n < len(out):
                last = out[n - 1]["metadata"]
                tok = {"rv": meta["resourceVersion"],
                       "start": [last.get("namespace", ""), last["name"]]}
                meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                    tok).encode()).decode().rstrip("=")
                meta["remainingItemCount"] = len(out) - n
                out = out[:n]
        return out, meta

    def create(self, res, ns, body, q, manager):
        if not isinstance(body, dict):
            raise bad_request("Object 'Kind' is missing in '%s'" %
                              json.dumps(body)[:100])
        if body.get("kind") and body["kind"] != res.kind:
            raise bad_request("the API version in the data (%s) does not "
                              "match the expected API version (%s)" % (
                                  body.get("apiVersion"), res.api_version)
                              if body.get("apiVersion") != res.api_version
                              else 'kind "%s" does not match "%s"' % (
                                  body["kind"], res.kind))
        obj = copy.deepcopy(body)
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise bad_request("metadata must be an object")
        if res.namespaced:
            if md.get("namespace") and md["namespace"] != ns:
                raise bad_request("the namespace of the provided object does "
                                  "not match the namespace sent on the "
                                  "request")
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + util.rand_suffix()
        causes = R.validate(res, obj)
        if causes:
            raise invalid(res, md.get("name", ""), causes)
        if res.namespaced:
            self._ns_check(res, ns)
        if self.st.get(res.key, md.get("namespace", ""), md["name"]):
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (
                res.group_resource, md["name"]), _details(res, md["name"]))
        for f in ("uid", "resourceVersion", "creationTimestamp",
                  "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation", "managedFields"):
            md.pop(f, None)
        status = obj.get("status")
        R.default_object(res, obj, self.sim)
        if res.kind in ("Node", "PersistentVolume") and status:
            obj["status"] = status
        if q.get("dryRun"):
            md["uid"] = util.new_uid()
            md["creationTimestamp"] = util.rfc3339()
            return obj
        self.sim._finish_new(res, obj, manager)
        return copy.deepcopy(obj)

    def _check_rv(self, res, cur, new):
        rv = (new.get("metadata") or {}).get("resourceVersion")
        if rv and rv != cur["metadata"]["resourceVersion"]:
            raise conflict(res, cur["metadata"]["name"])

    def _store_update(self, res, cur, obj, sub, manager):
        """Common tail of update and patch."""
        md = obj.setdefault("metadata", {})
        cmd = cur["metadata"]
        if md.get("name") != cmd["name"]:
            raise bad_request("the name of the object (%s) does not match "
                              "the name on the URL (%s)" % (
                                  md.get("name"), cmd["name"]))
        if res.namespaced and md.get("namespace", cmd["namespace"]) != \
                cmd["namespace"]:
            raise bad_request("the namespace of the provided object does "
                              "not match the namespace sent on the request")
        obj = R.strip_for_update(res, obj, cur, sub)
        md = obj["metadata"]
        for f in ("uid", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds", "namespace", "generation",
                  "generateName"):
            if f in cmd:
                md[f] = cmd[f]
            else:
                md.pop(f, None)
        md["managedFields"] = cmd.get("managedFields", []) + ([{
            "manager": manager, "operation": "Update",
            "apiVersion": res.api_version, "time": util.rfc3339(),
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
            if not any(m.get("manager") == manager
                       for m in cmd.get("managedFields", [])) else [])
        obj["kind"] = res.kind
        obj["apiVersion"] = res.api_version
        if res.kind == "Node" and (obj.get("spec") or {}).get(
                "unschedulable") is False:
            # omitempty: a real server never returns unschedulable: false
            del obj["spec"]["unschedulable"]
        if sub != "status":
            causes = R.validate(res, obj, cur)
            if causes:
                raise invalid(res, cmd["name"], causes)
            if "generation" in cmd and obj.get("spec") != cur.get("spec"):
                md["generation"] = cmd["generation"] + 1
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            md.pop("finalizers", None)
            self.st.remove(res.key, cmd.get("namespace"), cmd["name"])
            return copy.deepcopy(obj)
        self.st.put(res.key, obj)
        if res.kind == "Pod" and sub == "status":
            pass
        return copy.deepcopy(obj)

    def update(self, res, ns, name, sub, body, manager):
        if not isinstance(body, dict):
            raise bad_request("Object 'Kind' is missing")
        cur = self.st.get(res.key, ns if res.namespaced else "", name)
        if cur is None:
            raise not_found(res, name)
        if sub == "scale":
            self._check_rv(res, cur, body)
            n = util.get_path(body, "spec.replicas")
            if not isinstance(n, int) or n < 0:
                raise ApiError(422, "Invalid", 'Scale.autoscaling "%s" is '
                               'invalid: spec.replicas: Invalid value: %s: '
                               'must be greater than or equal to 0' % (
                                   name, n), {"name": name, "group":
                                              "autoscaling", "kind": "Scale",
                                              "causes": [R.invalid_value(
                                                  "spec.replicas", n,
                                                  "must be greater than or "
                                                  "equal to 0")]})
            return self._set_replicas(res, cur, n)
        if sub == "finalize":
            cur["spec"]["finalizers"] = list(util.get_path(
                body, "spec.finalizers", []) or [])
            self.st.put(res.key, cur)
            return copy.deepcopy(cur)
        self._check_rv(res, cur, body)
        return self._store_update(res, cur, copy.deepcopy(body), sub,
                                  manager)

    def _set_replicas(self, res, cur, n):
        if cur["spec"].get("replicas") != n:
            cur["spec"]["replicas"] = n
            cur["metadata"]["generation"] = cur["metadata"].get(
                "generation", 1) + 1
            self.st.put(res.key, cur)
        return C.scale_of(cur)

    def patch(self, res, ns, name, sub, ctype, body, manager):
        kind = PATCH_TYPES.get((ctype or "").split(";")[0].strip())
        if kind is None:
            raise ApiError(415, "UnsupportedMediaType",
                           "415: Unsupported Media Type", {})
        cur = self.st.get(res.key, ns if res.namespaced else "", name)
        if cur is None:
            raise not_found(res, name)
        base = C.scale_of(cur) if sub == "scale" else copy.deepcopy(cur)
        try:
            if kind == "merge":
                if not isinstance(body, dict):
                    raise PatchError("a merge patch must be an object")
                new = merge_patch(base, body)
            elif kind == "strategic":
                if not isinstance(body, dict):
                    raise PatchError("a strategic merge patch must be an "
                                     "object")
                new = strategic_merge(base, body)
            else:
                new = json_patch(base, body)
        except PatchError as e:
            if kind == "json":
                raise ApiError(422, "Invalid", str(e),
                               _details(res, name, kind=res.kind))
            raise bad_request(str(e))
        if sub == "scale":
            self._check_rv(res, cur, new)
            n = util.get_path(new, "spec.replicas")
            if not isinstance(n, int) or n < 0:
                raise bad_request("spec.replicas must be a non-negative "
                                  "integer")
            return self._set_replicas(res, cur, n)
        if not isinstance(new, dict):
            raise bad_request("the patch did not produce an object")
        self._check_rv(res, cur, new)
        return self._store_update(res, cur, new, sub, manager)

    def delete(self, res, ns, name, opts, now):
        key = res.key
        cur = self.st.get(key, ns if res.namespaced else "", name)
        if cur is None:
            raise not_found(res, name)
        pre = opts.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != cur["metadata"]["uid"]:
            raise ApiError(409, "Conflict", "Precondition failed: UID in "
                           "precondition: %s, UID in object meta: %s" % (
                               pre["uid"], cur["metadata"]["uid"]),
                           _details(res, name))
        if pre.get("resourceVersion") and pre["resourceVersion"] != \
                cur["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", "Precondition failed: "
                           "ResourceVersion in precondition: %s, "
                           "ResourceVersion in object meta: %s" % (
                               pre["resourceVersion"],
                               cur["metadata"]["resourceVersion"]),
                           _details(res, name))
        if opts.get("dryRun"):
            return copy.deepcopy(cur)
        md = cur["metadata"]
        prop = opts.get("propagationPolicy")
        if prop is None and opts.get("orphanDependents") is True:
            prop = "Orphan"
        if res.kind == "Pod":
            grace = opts.get("gracePeriodSeconds")
            return copy.deepcopy(self.sim.delete_pod(cur, grace, now))
        if res.kind == "Namespace":
            if not md.get("deletionTimestamp"):
                md["deletionTimestamp"] = util.rfc3339(now)
                cur["status"] = {"phase": "Terminating"}
                self.sim.ns_deleted_at[md["uid"]] = now
                self.st.put(key, cur)
            return copy.deepcopy(cur)
        fins = list(md.get("finalizers") or [])
        if prop == "Foreground" and "foregroundDeletion" not in fins:
            fins.append("foregroundDeletion")
        if prop == "Orphan" and "orphan" not in fins:
            fins.append("orphan")
        if fins:
            if not md.get("deletionTimestamp"):
                md["deletionTimestamp"] = util.rfc3339(now)
                md["deletionGracePeriodSeconds"] = 0
            md["finalizers"] = fins
            self.st.put(key, cur)
            return copy.deepcopy(cur)
        gone = self.st.remove(key, md.get("namespace"), md["name"])
        if res.kind in ("Service", "PersistentVolumeClaim",
                        "PersistentVolume"):
            return gone
        d = {"name": name}
        if res.group:
            d["group"] = res.group
        d["kind"] = res.name
        d["uid"] = md["uid"]
        return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Success", "details": d}

    def evict(self, ns, name, body, now):
        res = R.find("", "v1", "pods")
        if not isinstance(body, dict) or body.get("kind") not in (
                "Eviction", None):
            raise bad_request("not an Eviction")
        bname = util.get_path(body, "metadata.name")
        if bname and bname != name:
            raise bad_request("name in URL does not match name in Eviction "
                              "object")
        pod = self.st.get(C.PODS, ns, name)
        if pod is None:
            raise not_found(res, name)
        if pod["metadata"].get("deletionTimestamp"):
            return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Success", "code": 201}
        pdbs = [p for p in self.st.items(C.PDBS, ns)
                if match_labels(selector_from_match(
                    util.get_path(p, "spec.selector") or {}) or
                    [("\0", "exists", [])], pod["metadata"].get("labels"))]
        if len(pdbs) > 1:
            raise ApiError(500, "InternalError", "This pod has more than one "
                           "PodDisruptionBudget, which the eviction "
                           "subresource does not support.")
        if pdbs and C.pod_ready(pod):
            _, healthy, desired, allowed = C.pdb_numbers(self.sim, pdbs[0])
            if allowed <= 0:
                raise ApiError(429, "TooManyRequests", "Cannot evict pod as "
                               "it would violate the pod's disruption "
                               "budget.", {"causes": [{
                                   "reason": "DisruptionBudget",
                                   "message": "The disruption budget %s "
                                   "needs %d healthy pods and has %d "
                                   "currently" % (
                                       pdbs[0]["metadata"]["name"], desired,
                                       healthy)}]})
        grace = util.get_path(body, "deleteOptions.gracePeriodSeconds")
        self.sim.delete_pod(pod, grace, now)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Success", "code": 201}


# ---- HTTP ---------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-sim"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.sim.opts.verbose:
            sys.stderr.write("kube-sim: %s\n" % (fmt % args))

    # -- plumbing --

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            return self.rfile.read(n)
        if (self.headers.get("Transfer-Encoding") or "").lower() == \
                "chunked":
            out = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
            return out
        return b""

    def _send(self, code, body, ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        if getattr(self, "_defer", False):
            self._pending = (code, data, ctype, headers)
            self.status = code
            return None
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", util.new_uid())
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.status = code

    def _flush(self):
        pending = getattr(self, "_pending", None)
        self._pending = None
        if pending is not None:
            self._send(*pending)

    def _error(self, e):
        self._send(e.code, e.body(), headers=e.headers)

    def _chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _start_stream(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.status = 200

    def do_GET(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    # -- the request --

    def _handle(self):
        sim = self.server.sim
        self.status = 0
        t0 = time.time()
        raw = self._read_body()
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(
            url.query, keep_blank_values=True).items()}
        if path.startswith("/__sim/"):
            try:
                self._admin(path, q, raw)
            except Exception as e:
                traceback.print_exc()
                self._send(500, {"error": str(e)})
            return
        entry = {"seq": None, "time": t0, "method": self.command,
                 "path": path,
                 "query": url.query, "url": self.path,
                 "user_agent": self.headers.get("User-Agent", ""),
                 "content_type": self.headers.get("Content-Type", ""),
                 "accept": self.headers.get("Accept", ""),
                 "body": raw[:65536].decode("utf-8", "replace"),
                 "user": None, "auth": "none", "fault": None,
                 "client_port": self.client_address[1], "status": None}
        with sim.lock:
            sim.reqseq += 1
            entry["seq"] = sim.reqseq
            sim.reqlog.append(entry)
        try:
            fault = self._fault(path)
            if fault is not None:
                entry["fault"] = fault.get("id")
                if fault.get("delay") and not self._hold(
                        float(fault["delay"])):
                    # the client went away, or the cluster was reset,
                    # while the request waited: like an apiserver whose
                    # request context is cancelled, nothing is done
                    entry["status"] = 0
                    self._log(entry, t0)
                    self.close_connection = True
                    return
                if fault.get("drop") == "after":
                    # do the work, lose the answer
                    real = self.wfile
                    self.wfile = io.BytesIO()
                    try:
                        user = self._authenticate(entry)
                        self._route(sim, path, q, raw, user)
                    except ApiError:
                        pass
                    finally:
                        self.wfile = real
                    if fault.get("hold"):
                        # the work is done; the client waits for an
                        # answer that never comes (time to kill it)
                        time.sleep(float(fault["hold"]))
                    entry["status"] = 0
                    self._log(entry, t0)
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if fault.get("drop"):
                    entry["status"] = 0
                    self._log(entry, t0)
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if fault.get("status"):
                    code = int(fault["status"])
                    body = fault.get("body")
                    if body is None:
                        body = ApiError(code, fault.get("reason") or
                                        REASONS.get(code, "InternalError"),
                                        fault.get("message") or
                                        "injected fault: %d" % code,
                                        {"retryAfterSeconds": int(
                                            fault["retry_after"])}
                                        if fault.get("retry_after") else
                                        None).body()
                    hdrs = {}
                    if fault.get("retry_after") is not None:
                        hdrs["Retry-After"] = fault["retry_after"]
                    self._send(code, body, headers=hdrs)
                    self._log(entry, t0)
                    return
            user = self._authenticate(entry)
            self._route(sim, path, q, raw, user)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:
            traceback.print_exc()
            try:
                self._error(ApiError(500, "InternalError",
                                     "kube-sim: %s" % e))
            except OSError:
                pass
        self._log(entry, t0)

    def _log(self, entry, t0):
        """Completes the request's log entry (added when it arrived)."""
        sim = self.server.sim
        with sim.lock:
            entry["status"] = self.status if entry.get("status") is None \
                else entry["status"]
            entry["duration"] = round(time.time() - t0, 4)
            line = json.dumps(entry)
        try:
            with open(os.path.join(sim.state, "requests.jsonl"), "a") as f:
                f.write(line + "\n")
        except OSError:
            pass

    def _hold(self, seconds):
        """Waits `seconds`; False as soon as the client has closed its
        connection or the cluster has been reset meanwhile."""
        sim = self.server.sim
        gen = sim.reset_gen
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, 0.05))
            if sim.reset_gen != gen:
                return False
            # the client has shut its side of the TCP stream (after a
            # TLS close_notify, which may still be unread: POLLRDHUP)
            p = select.poll()
            p.register(self.connection.fileno(), select.POLLRDHUP)
            for _, ev in p.poll(0):
                if ev & (select.POLLRDHUP | select.POLLHUP |
                         select.POLLERR):
                    return False

    def _fault(self, path):
        sim = self.server.sim
        with sim.lock:
            for f in sim.faults:
                m = f.get("method", "*")
                if m not in ("*", self.command):
                    continue
                if not fnmatch.fnmatchcase(path, f.get("path", "*")):
                    continue
                if f.get("query") and f["query"] not in (
                        urllib.parse.urlsplit(self.path).query):
                    continue
                f["seen"] = f.get("seen", 0) + 1
                if f["seen"] <= f.get("after", 0):
                    continue
                if f.get("count", 1) and f.get("hits", 0) >= f.get(
                        "count", 1):
                    continue
                f["hits"] = f.get("hits", 0) + 1
                return dict(f)
        return None

    # -- authentication and authorization --

    def _authenticate(self, entry):
        sim = self.server.sim
        user = None
        cert = None
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            user = {"user": cn, "groups": orgs + ["system:authenticated"]}
            entry["auth"] = "cert"
        auth = self.headers.get("Authorization")
        if user is None and auth:
            if auth.startswith("Bearer "):
                entry["auth"] = "bearer"
                with sim.lock:
                    u = sim.users.get(auth[7:].strip())
                if u is None or (u.get("expires") and
                                 u["expires"] < time.time()):
                    raise ApiError(401, "Unauthorized", "Unauthorized")
                user = u
            elif auth.startswith("Basic "):
                entry["auth"] = "basic"
                try:
                    up = base64.b64decode(auth[6:].strip()).decode()
                except (ValueError, UnicodeDecodeError):
                    up = ""
                with sim.lock:
                    u = sim.basic.get(up)
                if u is None:
                    raise ApiError(401, "Unauthorized", "Unauthorized")
                user = u
            else:
                raise ApiError(401, "Unauthorized", "Unauthorized")
        if user is None:
            user = {"user": "system:anonymous",
                    "groups": ["system:unauthenticated"]}
        imp = self.headers.get("Impersonate-User")
        if imp:
            if "system:masters" not in user.get("groups", []):
                raise ApiError(403, "Forbidden", 'users "%s" is forbidden: '
                               'User "%s" cannot impersonate resource "users" '
                               'in API group "" at the cluster scope' % (
                                   imp, user["user"]),
                               {"name": imp, "kind": "users"})
            groups = self.headers.get_all("Impersonate-Group") or []
            user = {"user": imp, "groups": groups + ["system:authenticated"],
                    "rules": []}
        entry["user"] = user["user"]
        return user

    def _allowed(self, user, verb, group, resource, sub, ns):
        groups = user.get("groups", [])
        if "system:masters" in groups:
            return True
        full = resource + ("/" + sub if sub else "")
        for r in user.get("rules", []):
            if "*" not in r.get("verbs", []) and verb not in r["verbs"]:
                continue
            gs = r.get("apiGroups", ["*"])
            if "*" not in gs and group not in gs:
                continue
            rs = r.get("resources", ["*"])
            if "*" not in rs and full not in rs and resource not in rs:
                continue
            nss = r.get("namespaces", ["*"])
            if "*" not in nss and (ns or "") not in nss:
                continue
            return True
        return False

    def _forbid_resource(self, user, verb, res, sub, ns, name):
        gr = res.group_resource
        what = '%s "%s"' % (gr, name) if name else gr
        scope = 'in the namespace "%s"' % ns if ns else "at the cluster scope"
        d = {}
        if name:
            d["name"] = name
        if res.group:
            d["group"] = res.group
        d["kind"] = res.name
        raise ApiError(403, "Forbidden", '%s is forbidden: User "%s" cannot '
                       '%s resource "%s" in API group "%s" %s' % (
                           what, user["user"], verb,
                           res.name + ("/" + sub if sub else ""), res.group,
                           scope), d)

    def _openapi_v2(self):
        """GET /openapi/v2: the recorded v1.28.7 document, as JSON (the
        form recorded) or in the protobuf form kubectl asks for, encoded
        from it (schemas and their extensions; see openapi_pb)."""
        accept = self.headers.get("Accept") or "*/*"
        types = [a.split(";")[0].strip() for a in accept.split(",")]
        pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
        if pb in types and types.index(pb) == 0:
            global OPENAPI_V2_PB
            if OPENAPI_V2_PB is None:
                OPENAPI_V2_PB = openapi_pb.document(json.loads(
                    self._openapi_v2_json()))
            return self._send(200, OPENAPI_V2_PB, "application/com.github."
                              "proto-openapi.spec.v2.v1.0+protobuf",
                              {"Vary": "Accept",
                               "X-Varied-Accept": pb})
        if not any(t in ("application/json", "application/*", "*/*")
                   for t in types):
            raise ApiError(406, "NotAcceptable", "only the following media "
                           "types are accepted: application/json, %s" % pb,
                           {})
        return self._send(200, self._openapi_v2_json(), "application/json",
                          {"Vary": "Accept"})

    @staticmethod
    def _openapi_v2_json():
        global OPENAPI_V2
        if OPENAPI_V2 is None:
            with open(OPENAPI_V2_PATH, "rb") as f:
                OPENAPI_V2 = f.read()
        return OPENAPI_V2

    def _nonresource(self, user, path):
        if user["user"] == "system:anonymous" and path not in (
                "/version", "/healthz", "/livez", "/readyz"):
            raise ApiError(403, "Forbidden", 'forbidden: User '
                           '"system:anonymous" cannot get path "%s"' % path,
                           {})

    # -- routing --

    def _route(self, sim, path, q, raw, user):
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, "ok", "text/plain; charset=utf-8")
        if path == "/version":
            return self._send(200, VERSION)
        if not re.match(r"^/apis?/[^/]+/[^/]+/.", path) and \
                not re.match(r"^/api/v1/.", path):
            self._nonresource(user, path)
        if path == "/api":
            return self._send(200, R.discovery_api(
                "127.0.0.1:%d" % sim.port))
        if path == "/apis":
            with sim.lock:
                metrics = sim.cfg["metrics"]
            return self._send(200, R.discovery_apis(metrics))
        if path == "/openapi/v2":
            return self._openapi_v2()
        if path.startswith("/openapi") or path == "/swagger.json":
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        if (path == "/apis/metrics.k8s.io" or
                path.startswith("/apis/metrics.k8s.io/")) and \
                not sim.cfg["metrics"]:
            # no aggregated API registered: the mux's plain page (v1.28
            # 162, 163), not a Status
            return self._send(404, "404 page not found\n",
                              "text/plain; charset=utf-8",
                              {"X-Content-Type-Options": "nosniff"})
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                doc = R.discovery_group(parts[1])
                if doc is None or (parts[1] == "metrics.k8s.io" and
                                   not sim.cfg["metrics"]):
                    raise ApiError(404, "NotFound", "the server could not "
                                   "find the requested resource", {})
                return self._send(200, doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        if group == "metrics.k8s.io" and not sim.cfg["metrics"]:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        if not rest:
            doc = R.discovery_gv(group, version)
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find "
                               "the requested resource", {})
            return self._send(200, doc)
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and \
                rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        res = R.find(group, version, rest[0])
        if res is None or (ns is not None and not res.namespaced):
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (sub and sub not in res.sub):
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        if res.namespaced and ns is None and name is not None:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource", {})
        m = self.command
        watch = q.get("watch") in ("1", "true")
        verb = {"GET": "get" if name else ("watch" if watch else "list"),
                "HEAD": "get", "POST": "create", "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[m]
        if verb not in res.verbs and not sub:
            raise ApiError(405, "MethodNotAllowed", "the server does not "
                           "allow this method on the requested resource", {})
        if res.kind in ("SelfSubjectReview", "SelfSubjectAccessReview"):
            if user["user"] == "system:anonymous":
                self._forbid_resource(user, verb, res, sub, ns, name)
        elif not self._allowed(user, verb, group, res.name, sub, ns):
            self._forbid_resource(user, verb, res, sub, ns, name)
        body = None
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        if raw and ctype.startswith(("application/vnd.kubernetes.protobuf",
                                     "application/cbor",
                                     "application/yaml")):
            raise ApiError(415, "UnsupportedMediaType", "the body of the "
                           "request was in an unknown format - accepted "
                           "media types include: application/json, "
                           "application/merge-patch+json, "
                           "application/strategic-merge-patch+json, "
                           "application/json-patch+json", {})
        if raw and m in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                body = json.loads(raw)
            except ValueError as e:
                raise bad_request("couldn't get version/kind; json parse "
                                  "error: %s" % e)
        manager = (self.headers.get("User-Agent") or "unknown").split(
            "/")[0].split(" ")[0] or "unknown"
        api = Api(sim)
        now = util.now()
        accept = self.headers.get("Accept")
        if res.group == "metrics.k8s.io":
            return self._metrics(sim, res, ns, name, q, accept)
        if sub == "log":
            return self._logs(sim, ns, name, q)
        if watch and m == "GET" and name is None:
            return self._watch(sim, res, ns, q)
        # answers are serialized under the lock and sent after it, so a
        # slow reader never holds up the cluster
        try:
            with sim.lock:
                self._defer = True
                return self._verbs(sim, api, res, m, ns, name, sub, q, body,
                                   user, manager, accept, now)
        finally:
            self._defer = False
            self._flush()

    def _verbs(self, sim, api, res, m, ns, name, sub, q, body, user,
               manager, accept, now):
        if m in ("GET", "HEAD"):
            if name is None:
                objs, meta = api.list(res, ns, q)
                if tables.wants_table(accept):
                    return self._send(200, tables.to_table(
                        res.kind, objs, now, meta),
                        "application/json")
                items = []
                for o in objs:
                    o = copy.deepcopy(o)
                    o.pop("kind", None)
                    o.pop("apiVersion", None)
                    items.append(o)
                return self._send(200, {
                    "kind": res.kind + "List",
                    "apiVersion": res.api_version, "metadata": meta,
                    "items": items})
            obj = api.get(res, ns, name)
            if sub == "scale":
                return self._send(200, C.scale_of(obj))
            if tables.wants_table(accept):
                return self._send(200, tables.to_table(
                    res.kind, [obj], now, {"resourceVersion":
                                           obj["metadata"][
                                               "resourceVersion"]}))
            return self._send(200, obj)
        if m == "POST":
            if sub == "eviction":
                return self._send(201, api.evict(ns, name, body, now))
            if sub == "binding":
                pod = api.get(res, ns, name)
                node = util.get_path(body or {}, "target.name")
                cur = sim.store.get(C.PODS, ns, name)
                cur["spec"]["nodeName"] = node
                C.start_pod(sim, cur, now)
                return self._send(201, {"kind": "Status",
                                        "apiVersion": "v1",
                                        "metadata": {},
                                        "status": "Success",
                                        "code": 201})
            if name is not None:
                raise ApiError(405, "MethodNotAllowed", "the server "
                               "does not allow this method on the "
                               "requested resource", {})
            if res.kind == "SelfSubjectReview":
                return self._send(201, {
                    "kind": "SelfSubjectReview",
                    "apiVersion": res.api_version,
                    "metadata": {"creationTimestamp": None},
                    "status": {"userInfo": {
                        "username": user["user"],
                        "groups": list(user.get("groups", []))}}})
            if res.kind == "SelfSubjectAccessReview":
                ra = util.get_path(body or {}, "spec.resourceAttributes",
                                   {}) or {}
                ok = self._allowed(user, ra.get("verb", ""),
                                   ra.get("group", ""),
                                   ra.get("resource", ""),
                                   ra.get("subresource"),
                                   ra.get("namespace"))
                out = copy.deepcopy(body or {})
                out["status"] = {"allowed": ok}
                return self._send(201, out)
            return self._send(201, api.create(res, ns, body, q, manager))
        if m == "PUT":
            if name is None:
                raise ApiError(405, "MethodNotAllowed", "the server "
                               "does not allow this method on the "
                               "requested resource", {})
            return self._send(200, api.update(res, ns, name, sub, body,
                                              manager))
        if m == "PATCH":
            if name is None:
                raise ApiError(405, "MethodNotAllowed", "the server "
                               "does not allow this method on the "
                               "requested resource", {})
            return self._send(200, api.patch(
                res, ns, name, sub, self.headers.get("Content-Type"),
                body, manager))
        if m == "DELETE":
            opts = dict(body or {}) if isinstance(body, dict) else {}
            if "gracePeriodSeconds" in q:
                opts["gracePeriodSeconds"] = int(q["gracePeriodSeconds"])
            if "propagationPolicy" in q:
                opts["propagationPolicy"] = q["propagationPolicy"]
            if q.get("dryRun"):
                opts["dryRun"] = [q["dryRun"]]
            if name is None:
                objs, _ = api.list(res, ns, q)
                gone = []
                for o in objs:
                    api.delete(res, o["metadata"].get("namespace"),
                               o["metadata"]["name"], opts, now)
                    gone.append(o)
                return self._send(200, {
                    "kind": res.kind + "List",
                    "apiVersion": res.api_version,
                    "metadata": {"resourceVersion": str(sim.store.rv)},
                    "items": gone})
            return self._send(200, api.delete(res, ns, name, opts, now))
        raise ApiError(405, "MethodNotAllowed", "the server does not allow "
                       "this method on the requested resource", {})

    # -- metrics.k8s.io --

    def _metrics(self, sim, res, ns, name, q, accept):
        now = util.now()
        with sim.lock:
            if res.name == "nodes":
                src = sim.store.items(C.NODES)
                items = [C.node_metrics(sim, n, now) for n in src]
            else:
                src = sim.store.items(C.PODS, ns)
                items = [C.pod_metrics(sim, p, now) for p in src
                         if util.get_path(p, "status.phase") == "Running"]
            try:
                lreqs = parse_labels(q.get("labelSelector"))
            except SelectorError as e:
                raise bad_request(str(e))
            items = [i for i in items
                     if match_labels(lreqs, i["metadata"].get("labels"))]
        if name is not None:
            for i in items:
                if i["metadata"]["name"] == name:
                    return self._send(200, i)
            raise ApiError(404, "NotFound", '%smetrics.metrics.k8s.io "%s" '
                           'not found' % (res.name[:-1], name),
                           {"name": name, "group": "metrics.k8s.io",
                            "kind": res.name})
        for i in items:
            i.pop("kind", None)
            i.pop("apiVersion", None)
        return self._send(200, {"kind": res.kind + "List",
                                "apiVersion": "metrics.k8s.io/v1beta1",
                                "metadata": {}, "items": items})

    # -- pods/log --

    def _logs(self, sim, ns, name, q):
        res = R.find("", "v1", "pods")
        with sim.lock:
            pod = sim.store.get(C.PODS, ns, name)
            if pod is None:
                raise not_found(res, name)
            conts = [c["name"] for c in pod["spec"].get("containers", [])]
            cname = q.get("container")
            if not cname:
                if len(conts) != 1:
                    raise bad_request("a container name must be specified "
                                      "for pod %s, choose one of: [%s]" % (
                                          name, " ".join(conts)))
                cname = conts[0]
            elif cname not in conts:
                raise bad_request("container %s is not valid for pod %s" % (
                    cname, name))
            if q.get("previous") in ("true", "1"):
                raise bad_request('previous terminated container "%s" in pod '
                                  '"%s" not found' % (cname, name))
            cs = next((c for c in util.get_path(
                pod, "status.containerStatuses", []) or []
                if c.get("name") == cname), None)
            if cs is None or "waiting" in (cs.get("state") or {}) and \
                    not cs.get("restartCount"):
                reason = util.get_path(cs or {}, "state.waiting.reason") or \
                    "ContainerCreating"
                raise bad_request('container "%s" in pod "%s" is waiting to '
                                  'start: %s' % (cname, name, reason))
            uid = pod["metadata"]["uid"]
            lines = list(sim.logs.get((ns, name, cname), []))
        since = None
        if q.get("sinceSeconds"):
            since = time.time() - int(q["sinceSeconds"])
        elif q.get("sinceTime"):
            since = util.parse_time(q["sinceTime"])
        ts = q.get("timestamps") in ("true", "1")
        sel = [(t, ln) for t, ln in lines if since is None or t >= since]
        if q.get("tailLines"):
            n = int(q["tailLines"])
            sel = sel[-n:] if n > 0 else []

        def fmt(t, ln):
            return ("%s %s\n" % (util.rfc3339nano(t), ln)) if ts else \
                ln + "\n"
        if q.get("follow") not in ("true", "1"):
            text = "".join(fmt(t, ln) for t, ln in sel)
            if q.get("limitBytes"):
                text = text[:int(q["limitBytes"])]
            return self._send(200, text, "text/plain")
        self._start_stream("text/plain")
        sent = len(lines)
        try:
            for t, ln in sel:
                self._chunk(fmt(t, ln))
            while not sim.stop.is_set():
                with sim.lock:
                    buf = sim.logs.get((ns, name, cname), [])
                    new = buf[sent:]
                    sent = len(buf)
                    pod = sim.store.get(C.PODS, ns, name)
                    done = pod is None or pod["metadata"]["uid"] != uid or \
                        pod["metadata"].get("deletionTimestamp")
                    if not new and not done:
                        sim.store.cond.wait(0.5)
                        continue
                for t, ln in new:
                    self._chunk(fmt(t, ln))
                if done:
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError):
            self.close_connection = True

    # -- watch --

    def _watch(self, sim, res, ns, q):
        try:
            lreqs = parse_labels(q.get("labelSelector"))
            freqs = parse_fields(q.get("fieldSelector"))
        except SelectorError as e:
            raise bad_request(str(e))
        timeout = min(int(q.get("timeoutSeconds") or 1800), 1800)
        deadline = time.time() + timeout
        with sim.lock:
            rv = q.get("resourceVersion")
            if rv and rv != "0":
                start = int(rv)
                if sim.store.events and sim.store.events[0][0] > start + 1:
                    oldest = sim.store.events[0][0]
                    if start < oldest - 1:
                        raise ApiError(410, "Expired", "too old resource "
                                       "version: %s (%d)" % (rv, oldest))
                pending = []
            else:
                start = sim.store.rv
                pending = [("ADDED", copy.deepcopy(o))
                           for o in sim.store.items(res.key, ns)]
        self._start_stream("application/json")

        def ok(obj):
            md = obj["metadata"]
            if ns and md.get("namespace") != ns:
                return False
            return match_labels(lreqs, md.get("labels")) and \
                match_fields(freqs, obj)
        try:
            for t, o in pending:
                if ok(o):
                    self._chunk(json.dumps({"type": t, "object": o}) + "\n")
            last = start
            while not sim.stop.is_set() and time.time() < deadline:
                with sim.lock:
                    evs = [e for e in sim.store.events
                           if e[0] > last and e[2] == res.key]
                    if sim.store.events:
                        last = max(last, sim.store.events[-1][0])
                    if not evs:
                        sim.store.cond.wait(0.5)
                        continue
                for _, t, _, o in evs:
                    if ok(o):
                        self._chunk(json.dumps({"type": t, "object": o}) +
                                    "\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError):
            self.close_connection = True

    # -- /__sim admin endpoints --

    def _admin(self, path, q, raw):
        sim = self.server.sim
        body = json.loads(raw) if raw else None
        m = self.command
        if path == "/__sim/health":
            return self._send(200, {"ok": True, "port": sim.port})
        if path == "/__sim/reset" and m == "POST":
            sim.reset()
            return self._send(200, {"ok": True})
        if path == "/__sim/requests":
            with sim.lock:
                if m == "DELETE":
                    sim.reqlog = []
                    return self._send(200, {"ok": True})
                since = int(q.get("since", "0") or 0)
                out = [dict(e) for e in sim.reqlog if e["seq"] > since]
            return self._send(200, out)
        if path == "/__sim/faults":
            with sim.lock:
                if m == "DELETE":
                    sim.faults = []
                    return self._send(200, {"ok": True})
                if m == "POST":
                    items = body if isinstance(body, list) else [body]
                    for f in items:
                        f["id"] = "fault-%d" % (len(sim.faults) + 1)
                        f.setdefault("hits", 0)
                        sim.faults.append(f)
                    return self._send(200, items)
                return self._send(200, sim.faults)
        if path == "/__sim/config":
            with sim.lock:
                if m == "POST":
                    for k, v in (body or {}).items():
                        if k not in sim.cfg and k != "expire_continue":
                            return self._send(400, {"error": "unknown key "
                                                    "'%s'" % k})
                        sim.cfg[k] = v
                return self._send(200, sim.cfg)
        if path == "/__sim/tokens" and m == "POST":
            with sim.lock:
                for t in (body if isinstance(body, list) else [body]):
                    entry = {"user": t["user"],
                             "groups": list(t.get("groups", [])) +
                             ["system:authenticated"],
                             "rules": t.get("rules", [])}
                    if t.get("expires_in") is not None:
                        entry["expires"] = time.time() + float(
                            t["expires_in"])
                    sim.users[t["token"]] = entry
            return self._send(200, {"ok": True})
        if path == "/__sim/metrics" and m == "POST":
            with sim.lock:
                sim.metrics_pods.update((body or {}).get("pods", {}))
                sim.metrics_nodes.update((body or {}).get("nodes", {}))
            return self._send(200, {"ok": True})
        if path == "/__sim/logs" and m == "POST":
            with sim.lock:
                pod = sim.store.get(C.PODS, body["namespace"], body["pod"])
                if pod is None:
                    return self._send(404, {"error": "no such pod"})
                cname = body.get("container") or \
                    pod["spec"]["containers"][0]["name"]
                sim.log_append(body["namespace"], body["pod"], cname,
                               body.get("lines", []))
            return self._send(200, {"ok": True})
        if path == "/__sim/objects":
            return self._admin_objects(sim, m, body)
        if path == "/__sim/state":
            with sim.lock:
                text = json.dumps([o for _, o in sim.store.all_objects()])
            return self._send(200, text)
        return self._send(404, {"error": "unknown admin path"})

    def _admin_objects(self, sim, m, body):
        """Inserts objects directly (bulk seeding), with defaults; status
        given is kept.  {"generate": {...}} makes many pods at once."""
        if m != "POST":
            return self._send(405, {"error": "POST objects"})
        objs = body if isinstance(body, list) else [body]
        out = []
        with sim.lock:
            for o in objs:
                gen = o.get("generate") if isinstance(o, dict) else None
                if gen:
                    objs2 = self._generate(sim, gen)
                else:
                    objs2 = [o]
                for obj in objs2:
                    api_version = obj.get("apiVersion", "v1")
                    res = R.by_kind(api_version, obj.get("kind"))
                    if res is None:
                        return self._send(400, {"error": "unknown kind %s %s"
                                                % (api_version,
                                                   obj.get("kind"))})
                    ns = obj.get("metadata", {}).get("namespace")
                    if res.namespaced and ns and sim.store.get(
                            C.NAMESPACES, "", ns) is None:
                        sim.internal_create(R.find("", "v1", "namespaces"), {
                            "metadata": {"name": ns}})
                    created = sim.internal_create(
                        res, obj, keep_status=True, manager="kube-sim")
                    out.append(created["metadata"]["name"])
        return self._send(200, {"created": len(out)})

    def _generate(self, sim, gen):
        ns = gen.get("namespace", "default")
        n = int(gen.get("count", 1))
        prefix = gen.get("prefix", "pod-")
        labels = gen.get("labels", {})
        nodes = [x["metadata"]["name"] for x in sim.store.items(C.NODES)] or \
            ["sim-node-1"]
        ts = util.rfc3339()
        out = []
        for i in range(n):
            name = "%s%05d" % (prefix, i)
            node = nodes[i % len(nodes)]
            out.append({
                "kind": "Pod", "apiVersion": "v1",
                "metadata": {"name": name, "namespace": ns,
                             "labels": dict(labels)},
                "spec": {"nodeName": node, "containers": [{
                    "name": "app", "image": gen.get("image", "busybox:1.36"),
                    "resources": {"requests": {"cpu": "10m",
                                               "memory": "16Mi"}}}]},
                "status": {"phase": "Running",
                           "conditions": [{"type": "Ready",
                                           "status": "True",
                                           "lastProbeTime": None,
                                           "lastTransitionTime": ts}],
                           "podIP": "10.250.%d.%d" % (i // 250, i % 250 + 1),
                           "hostIP": "127.0.0.1", "startTime": ts,
                           "containerStatuses": [{
                               "name": "app", "ready": True,
                               "restartCount": 0, "started": True,
                               "image": gen.get("image", "busybox:1.36"),
                               "imageID": "", "state": {"running": {
                                   "startedAt": ts}}}]}})
        return out


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, sslctx):
        self.sim = sim
        self.sslctx = sslctx
        ThreadingHTTPServer.__init__(self, addr, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        conn = self.sslctx.wrap_socket(request, server_side=True,
                                       do_handshake_on_connect=False)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            if self.sim.opts.verbose:
                sys.stderr.write("kube-sim: TLS handshake with %s failed: "
                                 "%s\n" % (client_address[0], e))
            # The alert is sent; let the client read it: drain what it
            # sent (closing with unread data would reset the connection).
            try:
                raw = socket.socket(fileno=os.dup(conn.fileno()))
                raw.settimeout(0.5)
                try:
                    raw.shutdown(socket.SHUT_WR)
                    while raw.recv(65536):
                        pass
                finally:
                    raw.close()
            except OSError:
                pass
            conn.close()
            return
        conn.settimeout(None)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.sim.opts.verbose:
            traceback.print_exc()


def make_ssl_context(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki["server.crt"], pki["server.key"])
    ctx.load_verify_locations(pki["ca.crt"])
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
