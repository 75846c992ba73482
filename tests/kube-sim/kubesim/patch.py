"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch and JSON
patch (RFC 6902)."""
import copy


class PatchError(ValueError):
    pass


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# List fields merged by a key (patchMergeKey); others are replaced.
_MERGE_KEYS = {
    "containers": "name", "initContainers": "name",
    "ephemeralContainers": "name", "env": "name", "volumes": "name",
    "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "conditions": "type",
    "ownerReferences": "uid", "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey", "addresses": "type",
    "podIPs": "ip", "resourceClaims": "name", "readinessGates":
    "conditionType",
}
# Lists of primitives merged as sets.
_SET_LISTS = {"finalizers"}


def _list_key(field, items):
    if field == "ports":
        for it in items:
            if isinstance(it, dict):
                if "containerPort" in it:
                    return "containerPort"
                if "port" in it:
                    return "port"
        return None
    return _MERGE_KEYS.get(field)


def _smp_list(field, target, patch):
    key = _list_key(field, (target or []) + (patch or []))
    if field in _SET_LISTS:
        out = list(target or [])
        for v in patch:
            if v not in out:
                out.append(v)
        return out
    if key is None:
        # replace, but honour a whole-list $patch: replace marker
        return [copy.deepcopy(v) for v in patch
                if not (isinstance(v, dict) and "$patch" in v)]
    out = [copy.deepcopy(v) for v in (target or [])]
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError("strategic merge patch: list '%s' items must "
                             "be objects" % field)
        directive = item.get("$patch")
        if directive == "replace":
            return [copy.deepcopy(v) for v in patch
                    if not (isinstance(v, dict) and "$patch" in v)]
        if key not in item:
            raise PatchError("map: %s does not contain declared merge key: "
                             "%s" % (item, key))
        idx = next((i for i, v in enumerate(out)
                    if isinstance(v, dict) and v.get(key) == item[key]),
                   None)
        if directive == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        body = {k: v for k, v in item.items() if k != "$patch"}
        if idx is None:
            out.append(strategic_merge(None, body))
        else:
            out[idx] = strategic_merge(out[idx], body)
    return out


def strategic_merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items()
                if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = dict(target)
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            out[f] = [x for x in out.get(f) or [] if x not in (v or [])]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list):
            cur = out.get(k)
            out[k] = _smp_list(k, cur if isinstance(cur, list) else None, v)
        elif isinstance(v, dict):
            r = strategic_merge(out.get(k), v)
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
        else:
            out[k] = v
    if "$retainKeys" in patch:
        keep = set(patch["$retainKeys"] or [])
        out = {k: v for k, v in out.items() if k in keep}
    return out


def _ptr(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer '%s'" % path)
    return [p.replace("~1", "/").replace("~0", "~")
            for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError("path not found: %s" % p)
        elif isinstance(cur, dict):
            if p not in cur:
                raise PatchError("path not found: %s" % p)
            cur = cur[p]
        else:
            raise PatchError("path not found: %s" % p)
    return cur


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("invalid JSON patch operation")
        kind = op["op"]
        parts = _ptr(op.get("path", ""))
        if kind in ("move", "copy"):
            value = copy.deepcopy(_walk(doc, _ptr(op.get("from", ""))))
            if kind == "move":
                fparts = _ptr(op.get("from", ""))
                fparent = _walk(doc, fparts[:-1])
                if isinstance(fparent, list):
                    fparent.pop(int(fparts[-1]))
                else:
                    del fparent[fparts[-1]]
            kind = "add"
        else:
            value = op.get("value")
        if kind == "test":
            if _walk(doc, parts) != value:
                raise PatchError("testing value %s failed" % op.get("path"))
            continue
        if not parts:
            if kind in ("add", "replace"):
                doc = copy.deepcopy(value)
                continue
            raise PatchError("cannot remove the whole document")
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        if isinstance(parent, list):
            if kind == "add":
                if last == "-":
                    parent.append(copy.deepcopy(value))
                else:
                    i = int(last)
                    if i > len(parent):
                        raise PatchError("index out of range")
                    parent.insert(i, copy.deepcopy(value))
            elif kind == "remove":
                parent.pop(int(last))
            elif kind == "replace":
                parent[int(last)] = copy.deepcopy(value)
            else:
                raise PatchError("unknown operation '%s'" % kind)
        elif isinstance(parent, dict):
            if kind == "add":
                parent[last] = copy.deepcopy(value)
            elif kind == "remove":
                if last not in parent:
                    raise PatchError("path not found: %s" % op["path"])
                del parent[last]
            elif kind == "replace":
                if last not in parent:
                    raise PatchError("path not found: %s" % op["path"])
                parent[last] = copy.deepcopy(value)
            else:
                raise PatchError("unknown operation '%s'" % kind)
        else:
            raise PatchError("path not found: %s" % op["path"])
    return doc
