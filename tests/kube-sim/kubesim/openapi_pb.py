"""The OpenAPI v2 document in the protobuf form kubectl asks for
(application/com.github.proto-openapi.spec.v2@v1.0+protobuf: gnostic's
openapi_v2.Document), encoded from the recorded JSON document.

Encoded: swagger, info (title, version) and definitions - the schemas,
with their vendor extensions (x-kubernetes-group-version-kind, ...) as
YAML text, which is what kubectl's client-side validation and explain
read.  Paths, parameters and responses are left out (kubectl 1.20 does not
read them from this document).  Field numbers are gnostic's OpenAPIv2.proto.
"""

import json
import struct

# Schema fields by JSON key: (field number, kind)
_SCHEMA = {
    "$ref": (1, "str"), "format": (2, "str"), "title": (3, "str"),
    "description": (4, "str"), "default": (5, "any"),
    "multipleOf": (6, "double"), "maximum": (7, "double"),
    "exclusiveMaximum": (8, "bool"), "minimum": (9, "double"),
    "exclusiveMinimum": (10, "bool"), "maxLength": (11, "int"),
    "minLength": (12, "int"), "pattern": (13, "str"),
    "maxItems": (14, "int"), "minItems": (15, "int"),
    "uniqueItems": (16, "bool"), "maxProperties": (17, "int"),
    "minProperties": (18, "int"), "required": (19, "strs"),
    "enum": (20, "anys"), "additionalProperties": (21, "addl"),
    "type": (22, "type"), "items": (23, "items"), "allOf": (24, "schemas"),
    "properties": (25, "props"), "discriminator": (26, "str"),
    "readOnly": (27, "bool"), "example": (30, "any"),
}
VENDOR_EXTENSION = 31


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _ld(field, data):
    return _key(field, 2) + _varint(len(data)) + data


def _str(field, s):
    return _ld(field, s.encode())


def _any(field, value):
    # gnostic Any: field 2 is the value as YAML text (JSON is YAML)
    return _ld(field, _str(2, json.dumps(value)))


def _named_any(field, name, value):
    return _ld(field, _str(1, name) + _any(2, value))


def schema(s):
    out = bytearray()
    for k, v in s.items():
        if k.startswith("x-"):
            continue
        spec = _SCHEMA.get(k)
        if spec is None:
            continue
        n, kind = spec
        if kind == "str":
            out += _str(n, v)
        elif kind == "any":
            out += _any(n, v)
        elif kind == "anys":
            for e in v:
                out += _any(n, e)
        elif kind == "double":
            out += _key(n, 1) + struct.pack("<d", float(v))
        elif kind == "bool":
            out += _key(n, 0) + _varint(1 if v else 0)
        elif kind == "int":
            out += _key(n, 0) + _varint(int(v))
        elif kind == "strs":
            for e in v:
                out += _str(n, e)
        elif kind == "type":
            vals = v if isinstance(v, list) else [v]
            out += _ld(n, b"".join(_str(1, t) for t in vals))
        elif kind == "items":
            vals = v if isinstance(v, list) else [v]
            out += _ld(n, b"".join(_ld(1, schema(e)) for e in vals))
        elif kind == "schemas":
            for e in v:
                out += _ld(n, schema(e))
        elif kind == "props":
            out += _ld(n, b"".join(_ld(1, _str(1, pk) + _ld(2, schema(pv)))
                                   for pk, pv in v.items()))
        elif kind == "addl":
            if isinstance(v, bool):
                out += _ld(n, _key(2, 0) + _varint(1 if v else 0))
            else:
                out += _ld(n, _ld(1, schema(v)))
    for k, v in s.items():
        if k.startswith("x-"):
            out += _named_any(VENDOR_EXTENSION, k, v)
    return bytes(out)


def document(doc):
    """openapi_v2.Document bytes for a parsed OpenAPI v2 JSON document."""
    out = bytearray()
    out += _str(1, doc.get("swagger", "2.0"))
    info = doc.get("info", {})
    out += _ld(2, _str(1, info.get("title", "")) +
               _str(2, info.get("version", "")))
    defs = b"".join(_ld(1, _str(1, name) + _ld(2, schema(s)))
                    for name, s in doc.get("definitions", {}).items())
    out += _ld(9, defs)
    return bytes(out)
