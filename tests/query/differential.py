#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the query language: C (query_driver) against reference.py.

Generates random records and random queries (gen.py), runs every query over
every record with the C module and with the Python reference, and fails on
the first disagreement (printing the query, its tree and the records that
differ). The driver also checks, per query, that the normalized text parses
back to itself with the same matches, and that every match lies in the
seq/ts range given to the planner.

  differential.py --driver BUILD/tests/query/query_driver [--seed N]
                  [--records N] [--queries N] [--keep DIR]

--keep DIR leaves records.jsonl, queries.jsonl (texts), trees.jsonl and
expected.txt (the reference's answers, "OK seq ...") in DIR, for reuse.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import reference  # noqa: E402

NOW = 1763719200 * 10**9 + 123456789  # 2025-11-21T10:00:00.123456789Z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--records", type=int, default=150)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--keep")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    records = gen.gen_records(rng, args.records, NOW)
    queries = [gen.gen_query(rng, records, NOW) for _ in range(args.queries)]
    loaded = [reference.load_record(r) for r in records]
    expected = []
    for _, tree in queries:
        seqs = [r.seq for r in loaded if reference.evaluate(tree, r)]
        expected.append("OK" + "".join(" %d" % s for s in seqs))

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.keep or tmp
        os.makedirs(out_dir, exist_ok=True)
        rec_path = os.path.join(out_dir, "records.jsonl")
        q_path = os.path.join(out_dir, "queries.jsonl")
        with open(rec_path, "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        with open(q_path, "w", encoding="utf-8") as f:
            for text, _ in queries:
                f.write(json.dumps(text, ensure_ascii=False) + "\n")
        if args.keep:
            with open(os.path.join(out_dir, "trees.jsonl"), "w", encoding="utf-8") as f:
                for _, tree in queries:
                    f.write(json.dumps(tree, ensure_ascii=False) + "\n")
            with open(os.path.join(out_dir, "expected.txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(expected) + "\n")
        proc = subprocess.run([args.driver, "--now", str(NOW), "--check", rec_path, q_path],
                              capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != 0:
        print("query_driver failed (%d): %s" % (proc.returncode, proc.stderr))
        return 1
    got = proc.stdout.split("\n")[:-1]
    if len(got) != len(queries):
        print("query_driver printed %d lines for %d queries" % (len(got), len(queries)))
        return 1

    bad = 0
    some = 0
    for (text, tree), want, have in zip(queries, expected, got):
        if want != have:
            bad += 1
            if bad <= 5:
                w, h = set(want.split()[1:]), set(have.split()[1:])
                print("MISMATCH for query %r" % text)
                print("  tree:      %s" % json.dumps(tree, ensure_ascii=False))
                print("  reference: %s" % want[:300])
                print("  C:         %s" % have[:300])
                for s in sorted((w ^ h) - {"OK"}, key=lambda x: int(x) if x.isdigit() else -1)[:3]:
                    if s.isdigit():
                        print("  record %s: %s" % (s, json.dumps(records[int(s)],
                                                                  ensure_ascii=False)))
        elif want != "OK" and len(want.split()) - 1 < len(records):
            some += 1
    total = len(queries) * len(records)
    print("%d queries x %d records = %d evaluations; %d queries disagree; "
          "%d queries matched some but not all records" %
          (len(queries), len(records), total, bad, some))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
