# SPDX-License-Identifier: MIT
"""Random records and random queries for testing the ltl query language.

Reusable: gen_records(rng, n, now) gives record dicts (the format
reference.py reads); gen_query(rng, records, now) gives (text, tree): the
query as a user could type it — with implicit `and`, `=` for `==`, bare
words, spacing and optional parentheses chosen at random — and its tree
for reference.evaluate(). Times in queries (ISO 8601, -15m, today, @ns)
are resolved here, independently of the C code, against `now`.

Regexes use only the part of POSIX ERE where Python's re agrees on whether
a string matches (literals, ., [..], [^..], ^, $, *, +, ?, {m,n}, (a|b)),
and each carries its Python translation.
"""
import datetime
import json
import re

import reference
from reference import Num, Obj, Record, parse_payload

KEYWORDS = {"and", "or", "not", "in", "exists", "true", "false", "null"}
DELIMS = set(' \t\n\r()[],"=!<>~')
NUMBER_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")

KEYS = ["a", "b", "c", "level", "n", "tags", "x y", "é", "日本", "and", "Or", "0", "a.b",
        "k-1", "$v", "", "[]"]
KEY_WEIGHTS = [8, 6, 5, 6, 6, 5, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]

# Numbers: each inner list holds texts of one value, written differently.
NUMBERS = [
    ["0", "-0", "0.0", "0e5", "-0.0e-3"],
    ["1", "1.0", "10e-1", "0.1e1", "1E0", "1.000"],
    ["-1", "-1.00", "-1e0"],
    ["2", "2.0", "0.2e1"],
    ["1.5", "15e-1", "0.15E+1"],
    ["100", "1e2", "1.00e2", "1000e-1"],
    ["-2250", "-2.25e3"],
    ["18446744073709551616", "1.8446744073709551616e19"],
    ["18446744073709551617"],
    ["9007199254740993"],
    ["9007199254740992", "9.007199254740992e15"],
    ["0.1", "1e-1"],
    ["0.30000000000000004"],
    ["1e-7", "0.0000001"],
    ["123456789012345678901234567890123456789012345"],
    ["123456789012345678901234567890123456789012346"],
    ["3"],
    ["42", "4.2e1"],
    ["1e300"],
    ["-1e-300"],
]
STRINGS = ["error", "info", "warn", "x", "y", "", "héllo", "hello", "日本", 'a"b', "a\\b",
           "1", "true", "and", "x y", "2024", "aa", "ab", "b", "é", "Error", "a-b",
           "zz" * 70, "zz" * 70 + "a", "tab\there", "line\nbreak", "😀", "a.b"]
TOPICS = ["app", "web", "2024", "_ltl", "x y"]
USERS = ["alice", "bob", "Ålice"]
HOSTS = ["h1", "h2"]
NS = 1_000_000_000


def pick_key(rng):
    return rng.choices(KEYS, KEY_WEIGHTS)[0]


def gen_json(rng, depth):
    r = rng.random()
    if depth < 3 and r < 0.3:
        pairs = [(pick_key(rng), gen_json(rng, depth + 1)) for _ in range(rng.randint(0, 5))]
        if pairs and rng.random() < 0.05:
            pairs.append((pairs[0][0], gen_json(rng, depth + 1)))  # a duplicate key
        return ("obj", pairs)
    if depth < 3 and r < 0.45:
        return ("arr", [gen_json(rng, depth + 1) for _ in range(rng.randint(0, 4))])
    if r < 0.65:
        return ("num", rng.choice(rng.choice(NUMBERS)))
    if r < 0.88:
        return ("str", rng.choice(STRINGS))
    if r < 0.95:
        return ("bool", rng.random() < 0.5)
    return ("null", None)


def write_json(v, rng, ascii_only, spaced):
    t, x = v
    sep, colon = (", ", ": ") if spaced else (",", ":")
    if t == "obj":
        return "{" + sep.join(json.dumps(k, ensure_ascii=ascii_only) + colon +
                              write_json(c, rng, ascii_only, spaced) for k, c in x) + "}"
    if t == "arr":
        return "[" + sep.join(write_json(c, rng, ascii_only, spaced) for c in x) + "]"
    if t == "num":
        return x
    if t == "str":
        return json.dumps(x, ensure_ascii=ascii_only)
    if t == "bool":
        return "true" if x else "false"
    return "null"


def gen_records(rng, n, now):
    """n records with seq 0..n-1 and non-decreasing ts in the 3 days before now."""
    stamps = sorted(now - rng.randint(0, 3 * 86400 * NS) for _ in range(n))
    for i in range(1, n):
        if rng.random() < 0.05:
            stamps[i] = stamps[i - 1]  # equal timestamps happen
    records = []
    for i in range(n):
        d = {"seq": i, "ts": stamps[i], "topic": rng.choice(TOPICS)}
        if rng.random() < 0.8:
            d["user"] = rng.choice(USERS)
            d["host"] = rng.choice(HOSTS)
            d["pid"] = rng.choice([1, 42, 4242])
            d["manifest"] = rng.choice([0, 7])
        r = rng.random()
        if r < 0.08:
            d["payload"] = None
        else:
            if r < 0.2:
                doc = gen_json(rng, 0)  # any JSON value, scalars too
            else:
                doc = ("obj", [(pick_key(rng), gen_json(rng, 1)) for _ in range(rng.randint(1, 6))])
            d["payload"] = write_json(doc, rng, rng.random() < 0.3, rng.random() < 0.3)
        records.append(d)
    return records


# ---- queries ----------------------------------------------------------------------------


def bare_ok(s, allow_number=False):
    """Can s be written as a bare word (docs/QUERY.md, bare words)?"""
    if not s or s[0] == "'" or any(c in DELIMS or ord(c) < 0x20 for c in s):
        return False
    if s in KEYWORDS:
        return False
    return allow_number or not NUMBER_RE.match(s)


def quote(s, rng):
    return json.dumps(s, ensure_ascii=rng.random() < 0.3)


def render_string(s, rng, allow_number=False):
    if bare_ok(s, allow_number) and rng.random() < 0.6:
        return s
    return quote(s, rng)


def render_key(k, first, rng):
    """A path segment for key k."""
    bare_bytes = k and all(c.isascii() and (c.isalnum() or c in "_-$") or not c.isascii()
                           for c in k)
    keywordish = k.lower() in KEYWORDS
    if bare_bytes and not (first and keywordish) and rng.random() < 0.8:
        return k if first else "." + k
    return "[" + quote(k, rng) + "]"


def render_path(path, rng):
    if "env" in path:
        return "@" + path["env"]
    segs = path["segs"]
    if not segs:
        return "."
    out = []
    for i, s in enumerate(segs):
        if s[0] == "key":
            out.append(render_key(s[1], i == 0, rng))
        elif s[0] == "index":
            out.append("[%d]" % s[1])
        else:
            out.append("[]")
    text = "".join(out)
    if text[0] not in "[." and rng.random() < 0.1:
        text = "." + text  # a leading dot is allowed
    return text


def random_route(rng, records):
    """A path (segments) that exists in some record, or an invented one."""
    if rng.random() < 0.15:
        return [["key", pick_key(rng)] for _ in range(rng.randint(1, 3))]
    for _ in range(10):
        rec = rng.choice(records)
        if rec["payload"] is None:
            continue
        node = parse_payload(rec["payload"])
        segs = []
        while True:
            if isinstance(node, Obj) and node.pairs and rng.random() < 0.85:
                k, node = rng.choice(node.pairs)
                segs.append(["key", k])
            elif isinstance(node, list) and node and rng.random() < 0.85:
                i = rng.randrange(len(node))
                node = node[i]
                segs.append(["any"] if rng.random() < 0.6 else ["index", i])
            else:
                break
        return segs
    return [["key", "a"]]


def same_number_text(text, rng):
    """Another way to write the number `text`, when one is known."""
    for cls in NUMBERS:
        if text in cls:
            return rng.choice(cls)
    return text


def random_constant(rng, records, path):
    """A constant for comparing with path: usually a value found there."""
    if rng.random() < 0.75:
        rec = Record(rng.choice(records))
        vals = [v for v in reference.values_at(rec, path)
                if reference.kind(v) != "container"]
        if vals:
            v = rng.choice(vals)
            if isinstance(v, Num):
                return {"t": "num", "v": same_number_text(v.text, rng)}
            if isinstance(v, str):
                return {"t": "str", "v": v}
            if isinstance(v, bool):
                return {"t": "bool", "v": v}
            return {"t": "null"}
    r = rng.random()
    if r < 0.4:
        return {"t": "num", "v": rng.choice(rng.choice(NUMBERS))}
    if r < 0.85:
        return {"t": "str", "v": rng.choice(STRINGS)}
    if r < 0.95:
        return {"t": "bool", "v": rng.random() < 0.5}
    return {"t": "null"}


def render_constant(v, rng):
    t = v["t"]
    if t == "num":
        return v["v"]
    if t == "str":
        return render_string(v["v"], rng)
    if t == "bool":
        return "true" if v["v"] else "false"
    return "null"


# Regex atoms over the characters the strings above use.
REGEX_SPECIAL = set(".[]()*+?{}|^$\\")


def gen_regex(rng):
    """(posix, python) with the same matches on the strings above."""
    target = rng.choice(STRINGS + ["1.5", "100", "e", "x"])
    if len(target) > 6:
        start = rng.randrange(len(target))
        target = target[start:start + rng.randint(1, 4)]
    posix, py = [], []
    if rng.random() < 0.3:
        posix.append("^")
        py.append(r"\A")
    for c in target:
        r = rng.random()
        if r < 0.15:
            posix.append(".")
            py.append("[^\\x00]")
        elif r < 0.25 and c.isascii() and c.isalpha():
            cls = "[" + c + rng.choice("abxyz") + "]"
            posix.append(cls)
            py.append(cls)
        elif r < 0.3 and c.isascii() and c.isalpha():
            other = rng.choice("qwv")
            posix.append("[^" + other + "]")
            py.append("[^" + other + "]")
        elif r < 0.35:
            alt = rng.choice(["zz", "q", "é"])
            lit_c = ("\\" + c) if c in REGEX_SPECIAL else c
            posix.append("(" + lit_c + "|" + alt + ")")
            py.append("(?:" + re.escape(c) + "|" + re.escape(alt) + ")")
        else:
            posix.append(("\\" + c) if c in REGEX_SPECIAL else c)
            py.append(re.escape(c))
        q = rng.random()
        if q < 0.1:
            quant = rng.choice(["*", "+", "?", "{1,2}", "{0,1}"])
            posix.append(quant)
            py.append(quant)
    if rng.random() < 0.3:
        posix.append("$")
        py.append(r"\Z")
    return "".join(posix), "".join(py)


def render_regex(posix, rng):
    if bare_ok(posix, allow_number=True) and posix not in KEYWORDS and rng.random() < 0.5:
        return posix
    return quote(posix, rng)


# ---- times -----------------------------------------------------------------------------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def iso(ns, offset_minutes=0, precision="ns"):
    secs, frac = divmod(ns, NS)
    dt = EPOCH + datetime.timedelta(seconds=secs, minutes=offset_minutes)
    text = dt.strftime("%Y-%m-%d")
    if precision == "date":
        return text
    text += dt.strftime("T%H:%M")
    if precision != "min":
        text += dt.strftime(":%S")
        if precision == "ns":
            text += ".%09d" % frac
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    m = abs(offset_minutes)
    return text + "%s%02d:%02d" % (sign, m // 60, m % 60)


def gen_time(rng, records, now):
    """(text, ns): a time literal for @ts and the ns it means."""
    base = rng.choice(records)["ts"] if records and rng.random() < 0.7 else now
    r = rng.random()
    midnight = now - now % (86400 * NS)
    if r < 0.15:
        return str(base), base
    if r < 0.25:
        return "@%d" % base, base
    if r < 0.45:
        return iso(base), base
    if r < 0.55:
        off = rng.choice([60, -90, 330])
        return iso(base, off), base
    if r < 0.65:
        t = base - base % (60 * NS)
        return iso(t, precision="min"), t
    if r < 0.7:
        t = base - base % (86400 * NS)
        return iso(t, precision="date"), t
    if r < 0.9:
        unit, size = rng.choice([("s", NS), ("m", 60 * NS), ("h", 3600 * NS),
                                 ("d", 86400 * NS), ("min", 60 * NS)])
        k = rng.randint(0, 80)
        return "-%d%s" % (k, unit), now - k * size
    word = rng.choice(["today", "yesterday", "now"])
    return word, {"today": midnight, "yesterday": midnight - 86400 * NS, "now": now}[word]


# ---- the query tree and its text ----------------------------------------------------------

OPS = ["==", "!=", "<", "<=", ">", ">=", "~"]


def gen_leaf(rng, records, now):
    r = rng.random()
    if r < 0.22:
        return gen_env_leaf(rng, records, now)
    path = {"segs": random_route(rng, records)}
    if rng.random() < 0.03:
        path = {"segs": []}
    r = rng.random()
    if r < 0.1:
        return ["exists", path], "exists " + render_path(path, rng)
    if r < 0.22:
        vals = [random_constant(rng, records, path) for _ in range(rng.randint(0, 4))]
        return (["in", path, vals], render_path(path, rng) + " in [" +
                ", ".join(render_constant(v, rng) for v in vals) + "]")
    op = rng.choice(OPS)
    if op == "~":
        posix, py = gen_regex(rng)
        return (["cmp", path, "~", {"t": "re", "posix": posix, "py": py}],
                render_path(path, rng) + space(rng) + "~" + space(rng) + render_regex(posix, rng))
    v = random_constant(rng, records, path)
    return (["cmp", path, op, v],
            render_path(path, rng) + space(rng) + render_op(op, rng) + space(rng) +
            render_constant(v, rng))


def render_op(op, rng):
    return "=" if op == "==" and rng.random() < 0.2 else op


def space(rng):
    r = rng.random()
    return "" if r < 0.15 else " " if r < 0.9 else rng.choice(["  ", "\t", "\n"])


def gen_env_leaf(rng, records, now):
    field = rng.choice(["seq", "seq", "ts", "ts", "topic", "user", "host", "pid", "manifest"])
    path = {"env": field}
    p = "@" + field
    if rng.random() < 0.08:
        return ["exists", path], "exists " + p
    if field in ("seq", "pid", "manifest"):
        def num():
            if field == "seq":
                return rng.choice([str(rng.randint(-2, len(records) + 2)),
                                   "%d.5" % rng.randint(0, len(records)), "1e1"])
            return rng.choice(["1", "42", "4242", "0", "7", "42.0", "4.242e3"])
        if rng.random() < 0.15:
            vals = [num() for _ in range(rng.randint(0, 3))]
            return (["in", path, [{"t": "num", "v": v} for v in vals]],
                    p + " in [" + ", ".join(vals) + "]")
        op = rng.choice(OPS[:-1])
        v = num()
        return ["cmp", path, op, {"t": "num", "v": v}], p + space(rng) + render_op(op, rng) + \
            space(rng) + v
    if field == "ts":
        if rng.random() < 0.1:
            times = [gen_time(rng, records, now) for _ in range(rng.randint(1, 3))]
            return (["in", path, [{"t": "num", "v": str(ns)} for _, ns in times]],
                    p + " in [" + ", ".join(maybe_quote_time(t, rng) for t, _ in times) + "]")
        op = rng.choice(OPS[:-1])
        text, ns = gen_time(rng, records, now)
        return (["cmp", path, op, {"t": "num", "v": str(ns)}],
                p + space(rng) + render_op(op, rng) + space(rng) + maybe_quote_time(text, rng))
    pool = {"topic": TOPICS, "user": USERS, "host": HOSTS}[field] + ["zz", ""]
    r = rng.random()
    if r < 0.15:
        vals = [rng.choice(pool) for _ in range(rng.randint(0, 3))]
        return (["in", path, [{"t": "str", "v": v} for v in vals]],
                p + " in [" + ", ".join(render_string(v, rng, True) for v in vals) + "]")
    if r < 0.25:
        posix, py = gen_regex(rng)
        return (["cmp", path, "~", {"t": "re", "posix": posix, "py": py}],
                p + " ~ " + render_regex(posix, rng))
    op = rng.choice(OPS[:-1])
    v = rng.choice(pool)
    return (["cmp", path, op, {"t": "str", "v": v}],
            p + space(rng) + render_op(op, rng) + space(rng) + render_string(v, rng, True))


def maybe_quote_time(text, rng):
    if NUMBER_RE.match(text):
        return text  # a number is ns; quoted it would be a (bad) time text
    return text if rng.random() < 0.6 else '"' + text + '"'


def gen_tree(rng, records, now, depth):
    r = rng.random()
    if depth >= 3 or r < 0.35:
        return gen_leaf(rng, records, now)
    if r < 0.55:
        child, text = gen_tree(rng, records, now, depth + 1)
        if child[0] in ("and", "or") or rng.random() < 0.3:
            text = "(" + text + ")"
        return ["not", child], "not" + (" " if text[0] != "(" or rng.random() < 0.5 else "") + text
    kind = "and" if r < 0.8 else "or"
    parts, texts = [], []
    for _ in range(rng.randint(2, 4)):
        child, text = gen_tree(rng, records, now, depth + 1)
        if (kind == "and" and child[0] == "or") or rng.random() < 0.15:
            text = "(" + text + ")"
        parts.append(child)
        texts.append(text)
    out = texts[0]
    for t in texts[1:]:
        if kind == "and":
            out += rng.choice([" and ", " ", " and ", "\tand\n"])
        else:
            out += rng.choice([" or ", " or ", "\nor "])
        out += t
    return [kind] + parts, out


def gen_query(rng, records, now):
    """(text, tree) of a random query over these records."""
    tree, text = gen_tree(rng, records, now, 0)
    if rng.random() < 0.1:
        text = "  " + text + " \n"
    return text, tree
