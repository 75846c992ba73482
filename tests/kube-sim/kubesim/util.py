"""Small helpers: times, names, quantities, hashes."""
import hashlib
import json
import random
import re
import string
import time
import uuid
from datetime import datetime, timezone

DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
    " characters, '-' or '.', and must start and end with an alphanumeric"
    " character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric "
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or "
    "'-', start with an alphabetic character, and end with an alphanumeric "
    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')")


def now():
    return time.time()


def rfc3339(t=None):
    if t is None:
        t = time.time()
    return datetime.fromtimestamp(int(t), timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def rfc3339nano(t):
    dt = datetime.fromtimestamp(t, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%09dZ" % (
        int((t - int(t)) * 1e9))


def rfc3339_micro(t):
    """MicroTime, as events' eventTime: 2026-12-07T12:45:58.973679Z."""
    dt = datetime.fromtimestamp(t, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % (
        int((t - int(t)) * 1e6))


def parse_time(s):
    if not s:
        return None
    s = s.strip()
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?"
                 r"(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        return None
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = float(m.group(2)) if m.group(2) else 0.0
    tz = m.group(3)
    off = 0
    if tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        off = sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return base.replace(tzinfo=timezone.utc).timestamp() - off + frac


def new_uid():
    return str(uuid.uuid4())


def rand_suffix(n=5):
    # Kubernetes' generateName alphabet (no vowels, no confusables)
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(random.choice(alphabet) for _ in range(n))


def rand_hex(n):
    return "".join(random.choice("0123456789abcdef") for _ in range(n))


def short_hash(obj, n=10):
    """A stable hash of a JSON value (controller-revision-hash style)."""
    h = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
    # like Kubernetes: a short alphanumeric string
    return h[:n].lstrip("0") or "0"


def human_duration(secs):
    """Kubernetes' duration.HumanDuration, as kubectl shows ages."""
    secs = int(max(0, secs))
    if secs < 60 * 2:
        return "%ds" % secs
    mins = secs // 60
    if mins < 10:
        s = secs % 60
        return "%dm%ds" % (mins, s) if s else "%dm" % mins
    if mins < 60 * 3:
        return "%dm" % mins
    hours = secs // 3600
    if hours < 8:
        m = mins % 60
        return "%dh%dm" % (hours, m) if m else "%dh" % hours
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd%dh" % (hours // 24, h) if h else "%dd" % (hours // 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        d = (hours // 24) % 365
        return "%dy%dd" % (hours // 24 // 365, d) if d else \
            "%dy" % (hours // 24 // 365)
    return "%dy" % (hours // 24 // 365)


_SUFFIX = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9,
    "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4,
    "Pi": 1024 ** 5, "Ei": 1024 ** 6,
}
_QTY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+)?([a-zA-Z]*)$")


def parse_quantity(q):
    """A Kubernetes quantity as a float in base units; None if invalid."""
    if isinstance(q, (int, float)):
        return float(q)
    if not isinstance(q, str):
        return None
    m = _QTY.match(q.strip())
    if not m or m.group(3) not in _SUFFIX:
        return None
    try:
        v = float(m.group(1) + (m.group(2) or ""))
    except ValueError:
        return None
    return v * _SUFFIX[m.group(3)]


def format_cpu_nanos(cores):
    return "%dn" % int(round(cores * 1e9))


def format_cpu_milli(cores):
    return "%dm" % int(round(cores * 1000))


def format_mem_ki(b):
    return "%dKi" % int(round(b / 1024))


def format_binary(b):
    for suf, mul in (("Ei", 1024 ** 6), ("Pi", 1024 ** 5), ("Ti", 1024 ** 4),
                     ("Gi", 1024 ** 3), ("Mi", 1024 ** 2), ("Ki", 1024)):
        if b >= mul and b % mul == 0:
            return "%d%s" % (b // mul, suf)
    return "%d" % b


def get_path(obj, path, default=None):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return default
        cur = cur[p]
    return cur
