#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of ltl's JSON engine against Python's json module.

Random documents are generated as text (deterministically, from a seed), with deep
nesting, every escape, raw and escaped Unicode (astral planes, surrogate pairs, lone
surrogates), numbers at the edges (huge, tiny, -0, exponents in every spelling),
duplicate keys and random whitespace. For each one:
  1. validity: ltl accepts exactly what json.loads accepts (without NaN/Infinity);
     mutated copies (bytes deleted, inserted, replaced) must agree as well;
  2. events: ltl's leaves are Python's leaves, in order, at the same paths (the path
     syntax of docs/JSON.md, rebuilt here independently), with the same short keys and
     equal values (each event's value text parsed by json.loads);
  3. round trips: unflatten(flatten(x)) == x for the lines, json and tsv formats (member
     order and duplicate scalar keys included), and as a dict for gron;
  4. JSON Lines: the documents of a JSONL file come out with their document indexes.

usage: differential.py [--seed N] [--docs N]     (needs LTL_LIBRARY or a build dir)
"""
import argparse
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import ltl  # noqa: E402

sys.setrecursionlimit(20000)


class Obj(list):
    """An object as an ordered list of (key, value) pairs: keeps duplicates and order."""


def pairs_hook(pairs):
    return Obj(pairs)


def loads(text):
    def no_constant(name):
        raise ValueError("not JSON: " + name)
    return json.loads(text, object_pairs_hook=pairs_hook, parse_constant=no_constant)


def py_valid(data):
    try:
        loads(data.decode("utf-8"))
        return True
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


def ltl_valid(data):
    try:
        ltl.validate(data)
        return True
    except ltl.JSONError:
        return False


# ---- generation -------------------------------------------------------------------------

NUMBERS = ["0", "-0", "1", "-1", "0.0", "-0.0", "1e5", "1E5", "1e+5", "1E-5", "-1.5e-7",
           "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "1e400", "-1e400",
           "1e-400", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
           "123456789012345678901234567890", "0.1", "0.10", "100", "3.141592653589793",
           "1.0E+2", "9007199254740993", "0e0", "-0E-0"]
WORDS = ["a", "b", "key", "name", "x1", "_u", "a-b", "a.b", "a b", "", "1st", "日本",
         "caf\u00e9", "q\"uote", "back\\slash", "tab\there", "new\nline", "$d", "é",
         "\U0001F600", "[0]", "]", "\u2028", "\x7f", "class"]


def gen_string_text(r):
    """JSON string text (with quotes) from random pieces."""
    out = ['"']
    for _ in range(r.randint(0, 8)):
        k = r.random()
        if k < 0.35:
            out.append(r.choice(["abc", "hello world", "x", "0123456789", "MiXeD", " ",
                                 "a long piece of text that is longer than sixteen bytes"]))
        elif k < 0.55:
            out.append(r.choice(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]))
        elif k < 0.7:
            cp = r.choice([0x00, 0x01, 0x1f, 0x20, 0x41, 0x7f, 0x80, 0xe9, 0x2028, 0xfeff,
                           0xfffd, 0xffff, r.randint(0x20, 0xd7ff)])
            out.append(("\\u%04x" if r.random() < 0.5 else "\\u%04X") % cp)
        elif k < 0.8:
            hi = r.randint(0xd800, 0xdbff)
            lo = r.randint(0xdc00, 0xdfff)
            out.append("\\u%04x\\u%04X" % (hi, lo))
        elif k < 0.83:
            out.append("\\u%04x" % r.choice([0xd800, 0xdbff, 0xdc00, 0xdfff]))  # lone
        else:
            out.append(r.choice(["é", "€", "日本語", "\U0001F680", "ß", "ж", "\u00a0",
                                 "\U00010000", "\U0010FFFF", "\u0301"]))
    out.append('"')
    return "".join(out)


def key_text(r):
    if r.random() < 0.7:
        return json.dumps(r.choice(WORDS), ensure_ascii=r.random() < 0.3)
    return gen_string_text(r)


def ws(r, pretty):
    if not pretty or r.random() < 0.6:
        return ""
    return "".join(r.choice(" \t\n\r") for _ in range(r.randint(1, 3)))


class Budget:
    """Values left to generate in a document: keeps documents small however deep."""
    left = 0


def gen_value(r, depth, maxdepth, pretty, dup_keys):
    k = r.random()
    Budget.left -= 1
    if depth >= maxdepth or k < 0.35 or Budget.left <= 0:
        k = r.random()
        if k < 0.4:
            return gen_string_text(r)
        if k < 0.8:
            return r.choice(NUMBERS) if r.random() < 0.6 else str(r.randint(-10**12, 10**12))
        return r.choice(["true", "false", "null"])
    if k < 0.7:
        n = r.choice([0, 0, 1, 2, 3, 5, 8])
        members, seen = [], set()
        for _ in range(n):
            kt = key_text(r)
            name = json.loads(kt)
            value = gen_value(r, depth + 1, maxdepth, pretty, dup_keys)
            if name in seen and not (dup_keys and value[0] not in "[{"):
                continue  # duplicates only as scalars: those round-trip exactly
            seen.add(name)
            members.append(ws(r, pretty) + kt + ws(r, pretty) + ":" + ws(r, pretty) + value +
                           ws(r, pretty))
            if dup_keys and r.random() < 0.2 and value[0] not in "[{":
                members.append(kt + ":" + gen_value(r, maxdepth, maxdepth, pretty, dup_keys))
        return "{" + ",".join(members) + ws(r, pretty) + "}"
    n = r.choice([0, 0, 1, 2, 3, 5, 12])
    return "[" + ",".join(ws(r, pretty) + gen_value(r, depth + 1, maxdepth, pretty, dup_keys) +
                          ws(r, pretty) for _ in range(n)) + "]"


def gen_doc(r):
    Budget.left = r.choice([5, 30, 200])
    pretty = r.random() < 0.5
    maxdepth = r.choice([1, 2, 4, 8, 16, 40])
    return ws(r, pretty) + gen_value(r, 0, maxdepth, pretty, r.random() < 0.3) + ws(r, pretty)


# ---- the documented path syntax, rebuilt ------------------------------------------------

BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def quote_key(key):
    out = ['"']
    for ch in key:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            out.append({8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t"}.get(c, "\\u%04x" % c))
        elif 0xd800 <= c <= 0xdfff:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    return "".join(out) + '"'


def member(path, key):
    if BARE.match(key):
        return path + ("." if path else "") + key
    return path + "[" + quote_key(key) + "]"


def leaves(value, path="", key=""):
    """(path, short key, value) of every scalar and empty container, in order."""
    if isinstance(value, Obj):
        if not value:
            yield path, key, value
        for k, v in value:
            yield from leaves(v, member(path, k), k)
    elif isinstance(value, list):
        if not value:
            yield path, key, value
        for i, v in enumerate(value):
            yield from leaves(v, "%s[%d]" % (path, i), key)
    else:
        yield path, key, value


def same(a, b):
    """Equal as JSON values, with the types JSON has (True is not 1)."""
    if isinstance(a, Obj) or isinstance(b, Obj):
        return (isinstance(a, Obj) and isinstance(b, Obj) and len(a) == len(b) and
                all(ka == kb and same(va, vb) for (ka, va), (kb, vb) in zip(a, b)))
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and
                all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return a == b and type(a) is type(b)
    return a == b or (a != a and b != b)


def plain(v):
    """Obj lists back to dicts (last duplicate wins), for comparing gron round trips."""
    if isinstance(v, Obj):
        return {k: plain(x) for k, x in v}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def surrogate_free(s):
    return not any(0xd800 <= ord(c) <= 0xdfff for c in s)


def has_surrogates(v):
    """Does any key or string hold a lone surrogate? (gron, like Go, makes them U+FFFD.)"""
    if isinstance(v, Obj):
        return any(not surrogate_free(k) or has_surrogates(x) for k, x in v)
    if isinstance(v, list):
        return any(has_surrogates(x) for x in v)
    return isinstance(v, str) and not surrogate_free(v)


# ---- checks ----------------------------------------------------------------------------------

class Failure(Exception):
    pass


def check_doc(text, stats):
    data = text.encode("utf-8", "surrogatepass")
    if ltl_valid(data) != py_valid(data):
        raise Failure("validity differs (ltl %s): %r" % (ltl_valid(data), text[:200]))
    if not py_valid(data):
        stats["invalid"] += 1
        return
    value = loads(text)
    want = list(leaves(value))
    got = ltl.events(data, mode="document")
    if len(got) != len(want):
        raise Failure("%d events, Python has %d leaves: %r" % (len(got), len(want), text[:200]))
    for ev, (path, key, v) in zip(got, want):
        if ev.path != path:
            raise Failure("path %r, expected %r in %r" % (ev.path, path, text[:200]))
        if surrogate_free(key) and ev.key != key:
            raise Failure("key %r, expected %r" % (ev.key, key))
        if not same(loads(ev.value), v):
            raise Failure("value %r at %s, expected %r" % (ev.value, path, v))
    stats["events"] += len(got)
    for fmt in ("lines", "json", "tsv"):
        back = ltl.unflatten(ltl.flatten(data, format=fmt, mode="document"))
        if not same(loads(back), value):
            raise Failure("%s round trip differs:\n%s\n%s" % (fmt, text[:300], back[:300]))
    back = ltl.unflatten(ltl.flatten(data, format="gron", mode="document"))
    if plain(loads(back)) != plain(value) and not has_surrogates(value):
        raise Failure("gron round trip differs:\n%s\n%s" % (text[:300], back[:300]))
    stats["valid"] += 1


def mutate(r, data):
    data = bytearray(data)
    for _ in range(r.randint(1, 3)):
        k = r.random()
        pos = r.randint(0, len(data))
        if k < 0.33 and data:
            del data[min(pos, len(data) - 1)]
        elif k < 0.66:
            data[pos:pos] = bytes([r.choice(b'{}[]:,"\\ 0123456789-+.eEtfnu\n\x00\x1f\x80\xc3\xff')])
        elif data:
            data[min(pos, len(data) - 1)] = r.randrange(256)
    return bytes(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--docs", type=int, default=3000)
    args = ap.parse_args()
    r = random.Random(args.seed)
    stats = {"valid": 0, "invalid": 0, "events": 0, "mutants": 0, "mutants_valid": 0}
    docs = []
    for i in range(args.docs):
        text = gen_doc(r)
        docs.append(text)
        try:
            check_doc(text, stats)
        except Failure as e:
            print("FAIL (seed %d, doc %d): %s" % (args.seed, i, e))
            return 1
    # deep nesting at and past the limit
    for depth in (500, 1024, 1025):
        text = "[" * depth + "]" * depth
        data = text.encode()
        if ltl_valid(data) != (depth <= 1024):
            print("FAIL: depth %d" % depth)
            return 1
        if depth <= 1024:
            check_doc(text, stats)
    deep = '{"a":' * 600 + '"x"' + "}" * 600
    check_doc(deep, stats)
    # mutants: ltl and Python agree on what is JSON
    for text in docs[:1500]:
        data = text.encode("utf-8", "surrogatepass")
        for _ in range(3):
            m = mutate(r, data)
            lv, pv = ltl_valid(m), py_valid(m)
            if lv != pv:
                print("FAIL: mutant validity differs (ltl %s, Python %s): %r" % (lv, pv, m[:200]))
                return 1
            stats["mutants"] += 1
            stats["mutants_valid"] += lv
    # JSON Lines: document indexes (raw newlines occur only between tokens: one line each)
    lines = [t.replace("\n", " ").replace("\r", " ") for t in docs[:300]
             if py_valid(t.encode("utf-8", "surrogatepass"))]
    jsonl = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    evs = ltl.events(jsonl, mode="lines")
    if sorted({e.document for e in evs}) != list(range(len(lines))):
        print("FAIL: JSON Lines document indexes")
        return 1
    back = ltl.unflatten(ltl.flatten(jsonl, format="json", mode="lines")).split("\n")[:-1]
    if len(back) != len(lines) or not all(same(loads(a), loads(b)) for a, b in zip(back, lines)):
        print("FAIL: JSON Lines round trip")
        return 1
    print("differential: %(valid)d valid and %(invalid)d invalid documents, %(events)d events, "
          "%(mutants)d mutants (%(mutants_valid)d valid): ltl agrees with Python's json" % stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
