"""Label and field selectors with the API server's grammar and errors."""
import re

from .util import get_path


class SelectorError(ValueError):
    pass


_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _split_top(s):
    """Splits on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip() != ""]


def parse_labels(sel):
    """Returns a list of (key, op, values) requirements."""
    reqs = []
    if sel is None or sel.strip() == "":
        return reqs
    for part in _split_top(sel):
        m = re.match(r"^(\S+)\s+(in|notin)\s*\((.*)\)$", part)
        if m:
            key, op = m.group(1), m.group(2)
            vals = [v.strip() for v in m.group(3).split(",") if v.strip()]
            if not vals:
                raise SelectorError(
                    "unable to parse requirement: values for 'in', 'notin' "
                    "operators must not be empty")
        elif part.startswith("!"):
            key, op, vals = part[1:].strip(), "!", []
        else:
            m = re.match(r"^([^=!<>\s]+)\s*(==|!=|=|<|>)\s*(.*)$", part)
            if m:
                key, op, v = m.group(1), m.group(2), m.group(3).strip()
                if op == "==":
                    op = "="
                vals = [v]
                if op in ("<", ">"):
                    try:
                        int(v)
                    except ValueError:
                        raise SelectorError(
                            "unable to parse requirement: for 'Gt', 'Lt' "
                            "operators, the value must be an integer")
            else:
                key, op, vals = part, "exists", []
        if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
            raise SelectorError(
                "unable to parse requirement: <nil>: Invalid value: \"%s\": "
                "name part must consist of alphanumeric characters, '-', "
                "'_' or '.', and must start and end with an alphanumeric "
                "character" % key)
        reqs.append((key, op, vals))
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=" and not (has and v == vals[0]):
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and not (has and v in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op in ("<", ">"):
            try:
                n = int(v)
            except (TypeError, ValueError):
                return False
            if op == "<" and not n < int(vals[0]):
                return False
            if op == ">" and not n > int(vals[0]):
                return False
    return True


def selector_from_match(sel):
    """A LabelSelector object (matchLabels, matchExpressions) as reqs."""
    reqs = []
    if not sel:
        return reqs
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append((k, "=", [v]))
    for e in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists",
              "DoesNotExist": "!"}.get(e.get("operator"))
        if op:
            reqs.append((e.get("key"), op, list(e.get("values") or [])))
    return reqs


def selector_string(sel):
    """LabelSelector as the text a Scale status shows ("app=web")."""
    parts = []
    for k, v in sorted((sel or {}).get("matchLabels", {}).items()):
        parts.append("%s=%s" % (k, v))
    for e in (sel or {}).get("matchExpressions") or []:
        op = e.get("operator")
        if op in ("In", "NotIn"):
            parts.append("%s %s (%s)" % (e["key"], op.lower(),
                                        ",".join(e.get("values", []))))
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append("!" + e["key"])
    return ",".join(parts)


def parse_fields(sel):
    reqs = []
    if sel is None or sel.strip() == "":
        return reqs
    for part in _split_top(sel):
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise SelectorError("invalid selector: '%s'; can't understand "
                                "'%s'" % (sel, part))
        op = "!=" if m.group(2) == "!=" else "="
        reqs.append((m.group(1).strip(), op, m.group(3).strip()))
    return reqs


# Fields each resource can be selected by (the API server refuses others).
FIELD_LABELS = {
    "pods": {"metadata.name", "metadata.namespace", "spec.nodeName",
             "spec.restartPolicy", "spec.schedulerName",
             "spec.serviceAccountName", "status.phase", "status.podIP",
             "status.nominatedNodeName"},
    "nodes": {"metadata.name", "spec.unschedulable"},
    "events": {"metadata.name", "metadata.namespace", "involvedObject.kind",
               "involvedObject.namespace", "involvedObject.name",
               "involvedObject.uid", "involvedObject.apiVersion",
               "involvedObject.resourceVersion", "involvedObject.fieldPath",
               "reason", "reportingComponent", "source", "type"},
    "namespaces": {"metadata.name", "status.phase"},
    "secrets": {"metadata.name", "metadata.namespace", "type"},
    "persistentvolumeclaims": {"metadata.name", "metadata.namespace"},
    "replicasets": {"metadata.name", "metadata.namespace",
                    "status.replicas"},
}


def check_fields(resource, reqs):
    allowed = FIELD_LABELS.get(resource, {"metadata.name",
                                          "metadata.namespace"})
    for f, _, _ in reqs:
        if f not in allowed:
            raise SelectorError('field label not supported: %s' % f)


def match_fields(reqs, obj):
    for f, op, want in reqs:
        v = get_path(obj, f)
        if v is None:
            v = ""
        if isinstance(v, bool):
            v = "true" if v else "false"
        v = str(v)
        if op == "=" and v != want:
            return False
        if op == "!=" and v == want:
            return False
    return True
