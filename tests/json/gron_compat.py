#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`ltl flatten --format gron` must print exactly what gron prints, and
`ltl flatten --unflatten` must read gron's statements back.

Always: the golden files in tests/json/gron (NAME.json or NAME.jsonl, and NAME.gron
as gron 0.7.1 printed it) are compared byte for byte, and unflattened.
When gron is installed: also JSONTestSuite's accepted files, random documents, every
Unicode code point as a key (first and following character) and in strings, and JSON
Lines against `gron --stream`; unflatten is compared with `gron --ungron`.

usage: gron_compat.py LTL_BINARY GOLDEN_DIR JSONTESTSUITE_DIR
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def run(cmd, data):
    p = subprocess.run(cmd, input=data, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def plain_loads(text):
    return json.loads(text)


def main():
    ltl, golden, suite = sys.argv[1], sys.argv[2], sys.argv[3]
    failures = []
    counts = {"golden": 0, "live": 0, "ungron": 0}

    # ---- golden files ----------------------------------------------------------------
    for want_path in sorted(glob.glob(os.path.join(golden, "*.gron"))):
        base = want_path[:-5]
        src = base + ".json" if os.path.exists(base + ".json") else base + ".jsonl"
        want = open(want_path, "rb").read()
        rc, got, err = run([ltl, "flatten", "-f", "gron", src], b"")
        if rc != 0 or got != want:
            failures.append("golden %s: rc %d %s" % (os.path.basename(src), rc, err.decode()))
        rc, got2, _ = run([ltl, "flatten", "--format=gron"], open(src, "rb").read())
        if got2 != want:
            failures.append("golden %s from stdin differs" % os.path.basename(src))
        # and back: gron keeps the last of duplicate keys, so compare as dicts
        rc, back, err = run([ltl, "flatten", "-u"], want)
        if rc != 0:
            failures.append("unflatten %s: %s" % (want_path, err.decode()))
        else:
            text = open(src, "rb").read().decode("utf-8")
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
            want_value = docs if src.endswith(".jsonl") else docs[0]
            if json.loads(back.decode("utf-8", "surrogatepass")) != want_value and \
                    "\\ud800" not in text:
                failures.append("unflatten %s does not give %s back" % (want_path, src))
        counts["golden"] += 1

    gron = shutil.which("gron")
    if not gron:
        print("gron is not installed: compared %d golden files only" % counts["golden"])
    else:
        inputs = []
        for f in sorted(glob.glob(os.path.join(suite, "[yi]_*.json"))):
            inputs.append((os.path.basename(f), open(f, "rb").read()))
        import differential  # the random document generator
        r = random.Random(7)
        for i in range(300):
            inputs.append(("random-%d" % i, differential.gen_doc(r).encode("utf-8", "surrogatepass")))
        cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
        keys = {}
        for c in cps[::13]:  # a sample of every range, both positions of a key
            keys[chr(c)] = 1
            keys["a" + chr(c)] = 2
        inputs.append(("code point keys", json.dumps(keys, ensure_ascii=False).encode()))
        values = ["".join(chr(c) for c in cps[i:i + 32]) for i in range(0, len(cps), 32)]
        inputs.append(("code point strings", json.dumps(values, ensure_ascii=False).encode()))
        for name, data in inputs:
            grc, gout, _ = run([gron, "-m"], data)
            lrc, lout, lerr = run([ltl, "flatten", "-f", "gron", "-d"], data)
            if grc != 0 or lrc != 0:
                continue  # invalid UTF-8 that gron repairs and ltl rejects, and the like
            counts["live"] += 1
            if gout != lout:
                failures.append("%s: gron and ltl differ" % name)
                continue
            # ungron: where gron manages to read its own output back
            grc, gback, _ = run([gron, "-u", "-m"], gout)
            lrc, lback, lerr = run([ltl, "flatten", "-u"], gout)
            if lrc != 0:
                failures.append("%s: ltl cannot unflatten gron's output: %s" % (name, lerr.decode()))
            elif grc == 0:
                counts["ungron"] += 1
                if json.loads(gback) != json.loads(lback):
                    failures.append("%s: ungron results differ" % name)
        # JSON Lines against gron --stream
        lines = b"".join(json.dumps(json.loads(d)).encode() + b"\n"
                         for n, d in inputs[:80] if n.startswith("y_") and
                         d.strip()[:1] in (b"{", b"["))
        if not lines:
            print("JSONTestSuite not found in %s: JSON Lines not compared with gron --stream"
                  % suite)
        else:
            grc, gout, _ = run([gron, "-m", "-s"], lines)
            lrc, lout, _ = run([ltl, "flatten", "-f", "gron", "--lines"], lines)
            counts["live"] += 1
            if gout != lout:
                failures.append("JSON Lines: gron --stream and ltl differ")
        print("compared %(golden)d golden files, %(live)d inputs with the installed gron, "
              "%(ungron)d unflattened like gron --ungron" % counts)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
