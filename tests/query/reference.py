# SPDX-License-Identifier: MIT
"""Brute-force reference evaluator of the ltl query language (docs/QUERY.md).

Written from the specification, independently of src/query/: it evaluates a
query given as a tree (the JSON-able form below, which gen.py produces along
with the query text) on a record, by walking the payload parsed with Python's
json module (numbers kept exact as Decimal, duplicate keys kept).

Record (one JSON object per line in a records file):
    {"seq": int, "ts": int ns, "topic": str, "user": str, "host": str,
     "pid": int, "manifest": int, "payload": str | null}
  user, host, pid, manifest may be absent (unknown); "payload" is the JSON
  text of the payload, or null when the payload is not JSON.

Query tree:
    ["and", q, q, ...]  ["or", q, q, ...]  ["not", q]
    ["cmp", path, op, value]     op: "==" "!=" "<" "<=" ">" ">=" "~"
    ["in", path, [value, ...]]
    ["exists", path]
  path:  {"env": "seq"|"ts"|"topic"|"user"|"host"|"pid"|"manifest"}
         {"segs": [["key", "a"], ["index", 0], ["any"]]}   ([] is the root)
  value: {"t": "num", "v": "1.0"}  {"t": "str", "v": "x"}  {"t": "bool", "v": true}
         {"t": "null"}   and for "~": {"t": "re", "posix": "...", "py": "..."}
         (@ts values are {"t": "num", "v": "<ns>"}: times already resolved)

Use: evaluate(tree, record) -> bool; load_record(dict) prepares a record.
"""
import json
import re
from decimal import Decimal


class Num:
    """A JSON number: its exact value and its text as written."""

    __slots__ = ("value", "text")

    def __init__(self, text):
        self.text = text
        self.value = Decimal(text)


class Obj:
    """A JSON object, every member kept in order (duplicates too)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs


def parse_payload(text):
    return json.loads(text, parse_float=Num, parse_int=Num, object_pairs_hook=Obj)


MISSING = object()


class Record:
    def __init__(self, d):
        self.seq = d["seq"]
        self.ts = d["ts"]
        self.env = {
            "seq": Num(str(d["seq"])),
            "ts": Num(str(d["ts"])),
            "topic": d.get("topic", ""),
            "user": d.get("user", MISSING),
            "host": d.get("host", MISSING),
            "pid": Num(str(d["pid"])) if "pid" in d else MISSING,
            "manifest": Num(str(d["manifest"])) if "manifest" in d else MISSING,
        }
        self.is_json = d.get("payload") is not None
        self.doc = parse_payload(d["payload"]) if self.is_json else None


def load_record(d):
    return Record(d)


def values_at(rec, path):
    """Every value the path reaches in the record (containers included)."""
    if "env" in path:
        v = rec.env[path["env"]]
        return [] if v is MISSING else [v]
    if not rec.is_json:
        return []
    nodes = [rec.doc]
    for seg in path["segs"]:
        found = []
        for n in nodes:
            if seg[0] == "key" and isinstance(n, Obj):
                found.extend(v for k, v in n.pairs if k == seg[1])
            elif seg[0] == "index" and isinstance(n, list) and seg[1] < len(n):
                found.append(n[seg[1]])
            elif seg[0] == "any" and isinstance(n, list):
                found.extend(n)
        nodes = found
    return nodes


def kind(x):
    if isinstance(x, Num):
        return "num"
    if isinstance(x, str):
        return "str"
    if isinstance(x, bool):
        return "bool"
    if x is None:
        return "null"
    return "container"


def constant(v):
    t = v["t"]
    if t == "num":
        return Num(v["v"])
    if t == "str":
        return v["v"]
    if t == "bool":
        return bool(v["v"])
    return None


def order(x):
    """A key that orders values of one kind."""
    k = kind(x)
    if k == "num":
        return x.value
    if k == "str":
        return x.encode("utf-8", "surrogatepass")
    if k == "bool":
        return int(x)
    return 0


def holds(op, x, c):
    if kind(x) != kind(c) or kind(x) == "container":
        return False
    a, b = order(x), order(c)
    return {
        "==": a == b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def regex_holds(py, x):
    if isinstance(x, str):
        text = x
    elif isinstance(x, Num):
        text = x.text
    else:
        return False
    return re.search(py, text, re.DOTALL) is not None


def evaluate(q, rec):
    op = q[0]
    if op == "and":
        return all(evaluate(c, rec) for c in q[1:])
    if op == "or":
        return any(evaluate(c, rec) for c in q[1:])
    if op == "not":
        return not evaluate(q[1], rec)
    vals = values_at(rec, q[1])
    if op == "exists":
        return len(vals) > 0
    if op == "in":
        consts = [constant(v) for v in q[2]]
        return any(holds("==", x, c) for x in vals for c in consts)
    cmp, v = q[2], q[3]
    if cmp == "~":
        return any(regex_holds(v["py"], x) for x in vals)
    c = constant(v)
    if cmp == "!=":
        return len(vals) > 0 and not any(holds("==", x, c) for x in vals)
    return any(holds(cmp, x, c) for x in vals)
