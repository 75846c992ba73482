"""The object store: every object of every resource, with a global
resourceVersion counter, per-namespace change counters (so controllers only
look again where something changed) and a bounded event log for watches."""
import collections
import copy
import json
import os
import threading


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 100
        self.data = {}          # (group, resource) -> {(ns, name): obj}
        self.nsver = collections.Counter()
        self.events = collections.deque(maxlen=20000)
        self.changes = 0
        self.saved = 0

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def bucket(self, key):
        return self.data.setdefault(key, {})

    def get(self, key, ns, name):
        return self.bucket(key).get((ns or "", name))

    def put(self, key, obj, event="MODIFIED"):
        """Stores obj (already complete), giving it a new
        resourceVersion."""
        md = obj["metadata"]
        md["resourceVersion"] = self.next_rv()
        ns = md.get("namespace", "") or ""
        self.bucket(key)[(ns, md["name"])] = obj
        self._changed(key, ns, event, obj)
        return obj

    def remove(self, key, ns, name):
        obj = self.bucket(key).pop((ns or "", name), None)
        if obj is not None:
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = self.next_rv()
            self._changed(key, ns or "", "DELETED", obj)
        return obj

    def _changed(self, key, ns, event, obj):
        self.nsver[ns] += 1
        self.nsver["*"] += 1
        self.changes += 1
        self.events.append((int(self.rv), event, key, copy.deepcopy(obj)))
        self.cond.notify_all()

    def items(self, key, ns=None):
        """Objects sorted by (namespace, name) like etcd keys."""
        b = self.bucket(key)
        if ns is None:
            keys = sorted(b)
        else:
            keys = sorted(k for k in b if k[0] == ns)
        return [b[k] for k in keys]

    def all_objects(self):
        for key, b in self.data.items():
            for obj in b.values():
                yield key, obj

    # ---- persistence (state dir) ----------------------------------------

    def save(self, path):
        with self.lock:
            if self.saved == self.changes:
                return
            doc = {"rv": self.rv, "objects": [
                {"key": list(k), "obj": o} for k, o in self.all_objects()]}
            self.saved = self.changes
            text = json.dumps(doc)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def load(self, path):
        with open(path) as f:
            doc = json.load(f)
        with self.lock:
            self.rv = max(self.rv, int(doc.get("rv", 100)))
            for e in doc.get("objects", []):
                k = tuple(e["key"])
                o = e["obj"]
                md = o["metadata"]
                self.bucket(k)[(md.get("namespace", "") or "",
                                md["name"])] = o
            self.changes += 1
            self.saved = self.changes
