"""The API resources the server serves: discovery documents, defaulting and
validation, shaped like a real kube-apiserver's (see the recorded answers in
testdata/k8s-recorded)."""
import copy
import re

from . import util

ALL = ["create", "delete", "deletecollection", "get", "list", "patch",
       "update", "watch"]
NS_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
RO = ["get", "list"]
STATUS = ["get", "patch", "update"]


class Res:
    def __init__(self, group, version, name, kind, namespaced, short=(),
                 verbs=None, categories=None, sub=None, singular=""):
        self.group = group
        self.version = version
        self.name = name
        self.kind = kind
        self.namespaced = namespaced
        self.short = list(short)
        self.verbs = verbs if verbs is not None else ALL
        self.categories = categories
        self.sub = sub or {}         # subresource -> (kind, verbs)
        self.singular = singular

    @property
    def api_version(self):
        return self.version if not self.group else \
            "%s/%s" % (self.group, self.version)

    @property
    def key(self):
        """Objects are stored per group and resource name."""
        return (self.group, self.name)

    @property
    def group_resource(self):
        """"statefulsets.apps" or "pods", as messages name them."""
        return self.name if not self.group else \
            "%s.%s" % (self.name, self.group)

    @property
    def kind_group(self):
        """"StatefulSet.apps" or "Pod", as 422 messages name them."""
        return self.kind if not self.group else \
            "%s.%s" % (self.kind, self.group)

    def has_status(self):
        return "status" in self.sub


def _st(kind):
    return {"status": (kind, STATUS)}


RESOURCES = [
    Res("", "v1", "bindings", "Binding", True, verbs=["create"]),
    Res("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    Res("", "v1", "endpoints", "Endpoints", True, ["ep"]),
    Res("", "v1", "events", "Event", True, ["ev"]),
    Res("", "v1", "namespaces", "Namespace", False, ["ns"], verbs=NS_VERBS,
        sub={"status": ("Namespace", STATUS),
             "finalize": ("Namespace", ["update"])}),
    Res("", "v1", "nodes", "Node", False, ["no"], sub=_st("Node")),
    Res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True,
        ["pvc"], sub=_st("PersistentVolumeClaim")),
    Res("", "v1", "persistentvolumes", "PersistentVolume", False, ["pv"],
        sub=_st("PersistentVolume")),
    Res("", "v1", "pods", "Pod", True, ["po"], categories=["all"],
        sub={"status": ("Pod", STATUS),
             "eviction": ("Eviction", ["create"]),
             "log": ("Pod", ["get"]),
             "binding": ("Binding", ["create"])}),
    Res("", "v1", "secrets", "Secret", True),
    Res("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    Res("", "v1", "services", "Service", True, ["svc"], categories=["all"],
        sub=_st("Service")),
    Res("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    Res("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"],
        categories=["all"], sub=_st("DaemonSet")),
    Res("apps", "v1", "deployments", "Deployment", True, ["deploy"],
        categories=["all"],
        sub={"status": ("Deployment", STATUS),
             "scale": ("Scale", STATUS)}),
    Res("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"],
        categories=["all"],
        sub={"status": ("ReplicaSet", STATUS),
             "scale": ("Scale", STATUS)}),
    Res("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"],
        categories=["all"],
        sub={"status": ("StatefulSet", STATUS),
             "scale": ("Scale", STATUS)}),
    Res("authentication.k8s.io", "v1", "selfsubjectreviews",
        "SelfSubjectReview", False, verbs=["create"]),
    Res("authorization.k8s.io", "v1", "selfsubjectaccessreviews",
        "SelfSubjectAccessReview", False, verbs=["create"]),
    Res("coordination.k8s.io", "v1", "leases", "Lease", True),
    Res("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True,
        ["pdb"], sub=_st("PodDisruptionBudget")),
    Res("storage.k8s.io", "v1", "storageclasses", "StorageClass", False,
        ["sc"]),
    Res("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False,
        verbs=RO),
    Res("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, verbs=RO),
]

BY_GVR = {(r.group, r.version, r.name): r for r in RESOURCES}
BY_KIND = {}
for _r in RESOURCES:
    BY_KIND.setdefault((_r.api_version, _r.kind), _r)

GROUPS = ["apps", "authentication.k8s.io", "authorization.k8s.io",
          "coordination.k8s.io", "policy", "storage.k8s.io",
          "metrics.k8s.io"]


def find(group, version, name):
    return BY_GVR.get((group, version, name))


def by_kind(api_version, kind):
    return BY_KIND.get((api_version, kind))


def served_groups(metrics):
    return [g for g in GROUPS if metrics or g != "metrics.k8s.io"]


def discovery_api(host):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def discovery_apis(metrics):
    groups = []
    for g in served_groups(metrics):
        v = next(r.version for r in RESOURCES if r.group == g)
        gv = "%s/%s" % (g, v)
        groups.append({"name": g,
                       "versions": [{"groupVersion": gv, "version": v}],
                       "preferredVersion": {"groupVersion": gv,
                                            "version": v}})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def discovery_group(group):
    v = next((r.version for r in RESOURCES if r.group == group), None)
    if v is None:
        return None
    gv = "%s/%s" % (group, v)
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": [{"groupVersion": gv, "version": v}],
            "preferredVersion": {"groupVersion": gv, "version": v}}


def discovery_gv(group, version):
    res = [r for r in RESOURCES if r.group == group and r.version == version]
    if not res:
        return None
    items = []
    for r in sorted(res, key=lambda r: r.name):
        e = {"name": r.name, "singularName": r.singular,
             "namespaced": r.namespaced, "kind": r.kind,
             "verbs": list(r.verbs)}
        if r.short:
            e["shortNames"] = list(r.short)
        if r.categories:
            e["categories"] = list(r.categories)
        items.append(e)
        for s in sorted(r.sub):
            kind, verbs = r.sub[s]
            se = {"name": "%s/%s" % (r.name, s), "singularName": "",
                  "namespaced": r.namespaced, "kind": kind,
                  "verbs": list(verbs)}
            if kind == "Scale":
                se["group"] = "autoscaling"
                se["version"] = "v1"
            if kind == "Eviction":
                se["group"] = "policy"
                se["version"] = "v1"
            items.append(se)
    doc = {"kind": "APIResourceList", "groupVersion": r.api_version,
           "resources": items}
    if group:
        doc = {"kind": "APIResourceList", "apiVersion": "v1",
               "groupVersion": "%s/%s" % (group, version),
               "resources": items}
    return doc


# ---- defaulting -----------------------------------------------------------

def _default_container(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    image = c.get("image") or ""
    last = image.rsplit("/", 1)[-1]
    if "@" in image or (":" in last and not last.endswith(":latest")):
        c.setdefault("imagePullPolicy", "IfNotPresent")
    else:
        c.setdefault("imagePullPolicy", "Always")
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        fr = (e.get("valueFrom") or {}).get("fieldRef")
        if fr is not None:
            fr.setdefault("apiVersion", "v1")
    res = c.get("resources")
    if isinstance(res, dict) and res.get("limits"):
        req = res.setdefault("requests", {})
        for k, v in res["limits"].items():
            req.setdefault(k, v)
    if res is None:
        c["resources"] = {}


def default_pod_spec(spec):
    for c in spec.get("initContainers") or []:
        _default_container(c)
    for c in spec.get("containers") or []:
        _default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")


def default_template(tpl):
    md = tpl.setdefault("metadata", {})
    md.setdefault("creationTimestamp", None)
    default_pod_spec(tpl.setdefault("spec", {}))


def qos_class(spec):
    reqs, lims, any_set = [], [], False
    for c in spec.get("containers") or []:
        r = (c.get("resources") or {})
        reqs.append(r.get("requests") or {})
        lims.append(r.get("limits") or {})
        if r.get("requests") or r.get("limits"):
            any_set = True
    if not any_set:
        return "BestEffort"
    guaranteed = all(
        l.get("cpu") and l.get("memory") and
        r.get("cpu", l.get("cpu")) == l.get("cpu") and
        r.get("memory", l.get("memory")) == l.get("memory")
        for r, l in zip(reqs, lims))
    return "Guaranteed" if guaranteed else "Burstable"


def default_pod(pod):
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tols = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready",
                "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tols):
            tols.append({"key": key, "operator": "Exists",
                         "effect": "NoExecute", "tolerationSeconds": 300})
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    vols = spec.setdefault("volumes", [])
    if not any(v.get("name", "").startswith("kube-api-access-")
               for v in vols):
        name = "kube-api-access-" + util.rand_suffix(5)
        vols.append({"name": name, "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607,
                                     "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
            "defaultMode": 420}})
        for c in spec.get("containers") or []:
            c.setdefault("volumeMounts", []).append(
                {"name": name, "readOnly": True, "mountPath":
                 "/var/run/secrets/kubernetes.io/serviceaccount"})
    st = pod.setdefault("status", {})
    st.setdefault("phase", "Pending")
    st.setdefault("qosClass", qos_class(spec))


def default_object(res, obj, sim):
    """Fills the defaults a real API server adds on create."""
    md = obj.setdefault("metadata", {})
    k = res.kind
    if k == "Namespace":
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = \
            md["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif k == "Service":
        spec = obj.setdefault("spec", {})
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p.get("port"))
        spec.setdefault("type", "ClusterIP")
        if spec.get("clusterIP") != "None":
            ip = spec.get("clusterIP") or sim.alloc_cluster_ip()
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        else:
            spec["clusterIPs"] = ["None"]
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        obj["status"] = {"loadBalancer": {}}
    elif k == "StatefulSet":
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        default_template(spec.setdefault("template", {}))
        for t in spec.get("volumeClaimTemplates") or []:
            t.setdefault("kind", "PersistentVolumeClaim")
            t.setdefault("apiVersion", "v1")
            t.setdefault("metadata", {}).setdefault("creationTimestamp",
                                                    None)
            t.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            t.setdefault("status", {"phase": "Pending"})
        spec.setdefault("podManagementPolicy", "OrderedReady")
        us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if us.get("type") == "RollingUpdate":
            us.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        obj["status"] = {"replicas": 0, "availableReplicas": 0}
    elif k in ("Deployment", "ReplicaSet", "DaemonSet"):
        spec = obj.setdefault("spec", {})
        if k != "DaemonSet":
            spec.setdefault("replicas", 1)
        default_template(spec.setdefault("template", {}))
        if k == "Deployment":
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {
                                             "maxUnavailable": "25%",
                                             "maxSurge": "25%"}})
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
        if k == "DaemonSet":
            spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                               "rollingUpdate": {
                                                   "maxUnavailable": 1,
                                                   "maxSurge": 0}})
            spec.setdefault("revisionHistoryLimit", 10)
            # the template generation the controller stamps (v1.28 121)
            md.setdefault("annotations", {})[
                "deprecated.daemonset.template.generation"] = "1"
        obj["status"] = {} if k == "Deployment" else {"replicas": 0} \
            if k == "ReplicaSet" else {
                "currentNumberScheduled": 0, "numberMisscheduled": 0,
                "desiredNumberScheduled": 0, "numberReady": 0}
    elif k == "Pod":
        default_pod(obj)
    elif k == "PersistentVolumeClaim":
        spec = obj.setdefault("spec", {})
        if "storageClassName" not in spec:
            sc = sim.default_storage_class()
            if sc:
                spec["storageClassName"] = sc
        spec.setdefault("volumeMode", "Filesystem")
        fin = md.setdefault("finalizers", [])
        if "kubernetes.io/pvc-protection" not in fin:
            fin.append("kubernetes.io/pvc-protection")
        obj["status"] = {"phase": "Pending"}
    elif k == "PersistentVolume":
        obj.setdefault("spec", {}).setdefault(
            "persistentVolumeReclaimPolicy", "Retain")
        obj["spec"].setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {"phase": "Available"})
    elif k == "PodDisruptionBudget":
        obj["status"] = {"disruptionsAllowed": 0, "currentHealthy": 0,
                         "desiredHealthy": 0, "expectedPods": 0}
    elif k == "Secret":
        obj.setdefault("type", "Opaque")
        sd = obj.pop("stringData", None)
        if sd:
            import base64
            data = obj.setdefault("data", {})
            for key, v in sd.items():
                data[key] = base64.b64encode(str(v).encode()).decode()
    elif k == "Node":
        obj.setdefault("spec", {})
        sim.default_node_status(obj)
    elif k == "ServiceAccount":
        pass
    if k in ("StatefulSet", "Deployment", "ReplicaSet", "DaemonSet",
             "PodDisruptionBudget"):
        md["generation"] = 1


# ---- validation -----------------------------------------------------------

def cause(field, reason, message):
    return {"reason": reason, "message": message, "field": field}


def invalid_value(field, value, msg):
    if isinstance(value, str):
        shown = '"%s"' % value
    elif isinstance(value, dict):
        shown = "map[string]string{%s}" % ", ".join(
            '"%s":"%s"' % (k, v) for k, v in sorted(value.items()))
    else:
        shown = str(value).lower() if isinstance(value, bool) else \
            str(value)
    return cause(field, "FieldValueInvalid",
                 "Invalid value: %s: %s" % (shown, msg))


def required(field, msg):
    return cause(field, "FieldValueRequired", "Required value: %s" % msg)


def forbidden(field, msg):
    return cause(field, "FieldValueForbidden", "Forbidden: %s" % msg)


def validate_name(res, name, generate=False):
    if res.kind in ("Namespace",):
        ok = util.DNS1123_LABEL.match(name) and len(name) <= 63
        msg = util.LABEL_MSG
    elif res.kind == "Service":
        ok = util.DNS1035_LABEL.match(name) and len(name) <= 63
        msg = util.DNS1035_MSG
    else:
        ok = util.DNS1123_SUBDOMAIN.match(name) and len(name) <= 253
        msg = util.SUBDOMAIN_MSG
    if generate:
        return True
    if not ok:
        if len(name) > 253 or (res.kind in ("Namespace", "Service") and
                               len(name) > 63):
            return "must be no more than %d characters" % (
                63 if res.kind in ("Namespace", "Service") else 253)
        return msg
    return None


def _validate_template(spec, causes, prefix):
    sel = util.get_path(spec, "selector.matchLabels") or {}
    labels = util.get_path(spec, "template.metadata.labels") or {}
    if not spec.get("selector"):
        causes.append(required("%s.selector" % prefix, ""))
    elif any(labels.get(k) != v for k, v in sel.items()):
        causes.append(invalid_value(
            "%s.template.metadata.labels" % prefix, labels,
            "`selector` does not match template `labels`"))
    conts = util.get_path(spec, "template.spec.containers")
    if not conts:
        causes.append(required("%s.template.spec.containers" % prefix, ""))
    for i, c in enumerate(conts or []):
        if not c.get("name"):
            causes.append(required(
                "%s.template.spec.containers[%d].name" % (prefix, i), ""))
        if not c.get("image"):
            causes.append(required(
                "%s.template.spec.containers[%d].image" % (prefix, i), ""))


def validate(res, obj, old=None):
    """Field errors (Status causes) of an object to be stored."""
    causes = []
    md = obj.get("metadata") or {}
    name = md.get("name")
    if not name and not md.get("generateName"):
        causes.append(required("metadata.name",
                               "name or generateName is required"))
    elif name:
        msg = validate_name(res, name)
        if msg:
            causes.append(invalid_value("metadata.name", name, msg))
    for k, v in (md.get("labels") or {}).items():
        if not isinstance(v, str) or len(v) > 63 or (
                v and not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*"
                                   r"[A-Za-z0-9])?$", v)):
            causes.append(invalid_value("metadata.labels", v,
                                        "a valid label must be an empty "
                                        "string or consist of alphanumeric "
                                        "characters, '-', '_' or '.'"))
    spec = obj.get("spec") or {}
    k = res.kind
    if k in ("StatefulSet", "Deployment", "ReplicaSet"):
        r = spec.get("replicas", 1)
        if not isinstance(r, int) or isinstance(r, bool) or r < 0:
            causes.append(invalid_value("spec.replicas", r,
                                        "must be greater than or equal "
                                        "to 0"))
        _validate_template(spec, causes, "spec")
        if k == "StatefulSet" and old is not None:
            for f in ("selector", "volumeClaimTemplates", "serviceName",
                      "podManagementPolicy"):
                if spec.get(f) != (old.get("spec") or {}).get(f):
                    causes.append(forbidden(
                        "spec", "updates to statefulset spec for fields "
                        "other than 'replicas', 'ordinals', 'template', "
                        "'updateStrategy', 'persistentVolumeClaimRetention"
                        "Policy' and 'minReadySeconds' are forbidden"))
                    break
    elif k == "DaemonSet":
        _validate_template(spec, causes, "spec")
    elif k == "Pod":
        conts = spec.get("containers")
        if not conts:
            causes.append(required("spec.containers", ""))
        for i, c in enumerate(conts or []):
            if not c.get("name"):
                causes.append(required("spec.containers[%d].name" % i, ""))
            if not c.get("image"):
                causes.append(required("spec.containers[%d].image" % i, ""))
    elif k == "PersistentVolumeClaim":
        st = util.get_path(spec, "resources.requests.storage")
        if st is None:
            causes.append(required("spec.resources[storage]", ""))
        elif util.parse_quantity(st) is None:
            causes.append(invalid_value("spec.resources.requests.storage",
                                        st, "quantities must match the "
                                        "regular expression '^([+-]?[0-9.]"
                                        "+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
        if not spec.get("accessModes"):
            causes.append(required("spec.accessModes",
                                   "at least 1 access mode is required"))
        if old is not None and not causes:
            ospec = old.get("spec") or {}
            oldst = util.parse_quantity(
                util.get_path(ospec, "resources.requests.storage"))
            newst = util.parse_quantity(st)
            if newst is not None and oldst is not None and newst < oldst:
                causes.append(forbidden(
                    "spec.resources.requests.storage",
                    "field can not be less than previous value"))
            strip = dict(spec)
            ostrip = dict(ospec)
            strip.pop("resources", None)
            ostrip.pop("resources", None)
            if strip.get("volumeName") is None:
                strip.pop("volumeName", None)
                ostrip.pop("volumeName", None)
            if strip != ostrip:
                causes.append(forbidden(
                    "spec", "spec is immutable after creation except "
                    "resources.requests for bound claims"))
    elif k == "Service":
        for i, p in enumerate(spec.get("ports") or []):
            port = p.get("port")
            if not isinstance(port, int) or not 0 < port < 65536:
                causes.append(invalid_value("spec.ports[%d].port" % i, port,
                                            "must be between 1 and 65535, "
                                            "inclusive"))
    elif k == "PodDisruptionBudget":
        if "minAvailable" in spec and "maxUnavailable" in spec:
            causes.append(invalid_value("spec", spec,
                                        "minAvailable and maxUnavailable "
                                        "cannot be both set"))
    return causes


def strip_for_update(res, new, old, subresource):
    """Applies status/spec separation of PUT and PATCH."""
    out = copy.deepcopy(new)
    if subresource == "status":
        keep = copy.deepcopy(old)
        keep["status"] = out.get("status", {})
        md = out.get("metadata") or {}
        # status updates may still change labels/annotations? no: like
        # the API server, only status changes
        keep["metadata"]["resourceVersion"] = md.get(
            "resourceVersion", old["metadata"].get("resourceVersion"))
        return keep
    if res.has_status() and res.kind not in ("Namespace",):
        if "status" in old:
            out["status"] = copy.deepcopy(old["status"])
        else:
            out.pop("status", None)
    if res.kind == "Namespace":
        out["status"] = copy.deepcopy(old.get("status", {}))
        out.setdefault("spec", {})["finalizers"] = copy.deepcopy(
            (old.get("spec") or {}).get("finalizers", []))
    if res.kind == "Node" and (out.get("spec") or {}).get(
            "unschedulable") is False:
        # omitempty: an uncordon answers without the field (v1.28 104)
        del out["spec"]["unschedulable"]
    return out
