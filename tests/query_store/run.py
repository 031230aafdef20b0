#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Store-level query test: random queries over a real store give the same
answers with the index, without it (LTL_QUERY_NO_INDEX, a full scan), and
from the brute-force reference evaluator (tests/query/reference.py).

The records and queries come from tests/query/gen.py. A store is built
through the public API by store_driver (whose clock is the test's, so
records keep the generated timestamps and relative times in queries resolve
against the generator's "now"), in steps that leave the index in every state
a query can meet:

  1. appends one by one (the indexer thread follows, catches up at close);
  2. appends with the index paused (ltl_pause): the index lags;
     -> queries through a reader: index part + scanned lag
  3. an import (ltl_import: the workers flatten, the feed writes runs),
     started with the index behind;
  4. appends with index.defer=on: the index lags again;
     -> queries through a reader, and through a writer whose indexer
        catches up while the queries run
  5. ltl_reindex;                         -> queries
  6. STORE/index deleted, a writer opened -> queries (rebuilt)

Records map to the store as tests/query/README.md says: topics the store
refuses ("_ltl", "x y") are renamed, a non-JSON payload is appended as the
text "not json"; the import step's records share one topic and one time.
After building, the seq, manifest, pid, user and host of each record are
read back from the store, and the reference evaluates on those. Every query
must agree three ways, in seq order; --reverse runs check the reverse order.

  run.py --driver BUILD/tests/query_store/store_driver [--seed N] [--records N]
         [--queries N] [--keep DIR]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "query"))
import gen  # noqa: E402
import reference  # noqa: E402

NOW = 1763719200 * 10**9 + 123456789  # 2025-11-21T10:00:00.123456789Z, as differential.py
TOPIC_RENAMES = {"_ltl": "ltl", "x y": "x_y"}


def driver(args, *argv, stdin=None):
    proc = subprocess.run([args.driver] + [str(a) for a in argv], capture_output=True,
                          text=True, encoding="utf-8")
    if proc.returncode != 0:
        sys.exit("store_driver %s failed (%d): %s" % (" ".join(map(str, argv)), proc.returncode,
                                                      proc.stderr.strip()))
    return proc.stdout


def make_records(rng, n, import_lo, import_hi):
    records = gen.gen_records(rng, n, NOW)
    for r in records:
        r["topic"] = TOPIC_RENAMES.get(r["topic"], r["topic"])
    # the import step: one topic, one time, JSON only
    for r in records[import_lo:import_hi]:
        r["topic"] = "app"
        r["ts"] = records[import_lo]["ts"]
        if r["payload"] is None:
            r["payload"] = '{"imported": true}'
    return records


def write_input(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            payload = r["payload"] if r["payload"] is not None else "not json"
            kind = "J" if r["payload"] is not None else "R"
            f.write("%d %s %s %s\n" % (r["ts"], r["topic"], kind,
                                       payload.encode("utf-8").hex() or "-"))


def read_back(args, store, records, seqs):
    """Rewrite seq, manifest and the writer's identity from what the store holds."""
    env = {}
    for line in driver(args, "envelope", store).splitlines():
        seq, ts, manifest, pid, user, host = line.split()
        env[int(seq)] = (int(ts), int(manifest), int(pid),
                         bytes.fromhex(user).decode() if user != "-" else "",
                         bytes.fromhex(host).decode() if host != "-" else "")
    out = []
    for r, seq in zip(records, seqs):
        d = dict(r)
        ts, manifest, pid, user, host = env[seq]
        if ts != r["ts"]:
            sys.exit("record %d: the store gave ts %d, not %d" % (seq, ts, r["ts"]))
        d["seq"] = seq
        d["manifest"] = manifest
        for k in ("user", "host", "pid"):
            d.pop(k, None)
        if pid >= 0:
            d["user"], d["host"], d["pid"] = user, host, pid
        out.append(d)
    return out


def check(args, store, queries, records, label, extra=()):
    """Every query three ways; returns the number of disagreements."""
    loaded = [reference.load_record(r) for r in records]
    qfile = os.path.join(args.work, "queries.hex")
    with open(qfile, "w") as f:
        for text, _ in queries:
            f.write(text.encode("utf-8").hex() + "\n")
    with_index = driver(args, "query", store, qfile, NOW, *extra).splitlines()
    no_index = driver(args, "query", store, qfile, NOW, "--no-index",
                      *[e for e in extra if e != "--writer"]).splitlines()
    reverse = driver(args, "query", store, qfile, NOW, "--reverse", *extra).splitlines()
    bad = 0
    matched = 0
    for (text, tree), a, b, c in zip(queries, with_index, no_index, reverse):
        want = "OK" + "".join(" %d" % r.seq for r in loaded if reference.evaluate(tree, r))
        rev = "OK" + "".join(" %s" % s for s in reversed(a.split()[1:]))
        matched += want != "OK"
        if a == want and b == want and c == rev:
            continue
        bad += 1
        if bad <= 5:
            print("MISMATCH (%s) for query %r" % (label, text))
            print("  tree:      %s" % json.dumps(tree, ensure_ascii=False))
            print("  reference: %s" % want[:300])
            print("  index:     %s" % a[:300])
            print("  no index:  %s" % b[:300])
            print("  reverse:   %s" % c[:300])
    print("%s: %d queries over %d records, %d match some records, %d disagree" %
          (label, len(queries), len(records), matched, bad))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--records", type=int, default=400)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--keep")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n = args.records
    cut = [0, n * 35 // 100, n * 55 // 100, n * 80 // 100, n]
    records = make_records(rng, n, cut[2], cut[3])
    queries = [gen.gen_query(rng, records, NOW) for _ in range(args.queries)]

    tmp = tempfile.mkdtemp(prefix="ltl-query-store-")
    args.work = args.keep or tmp
    os.makedirs(args.work, exist_ok=True)
    store = os.path.join(args.work, "store")
    shutil.rmtree(store, ignore_errors=True)
    try:
        infile = os.path.join(args.work, "records.in")
        write_input(infile, records)
        seqs = []
        steps = [(cut[0], cut[1], []), (cut[1], cut[2], ["--pause"]),
                 (cut[2], cut[3], ["--import", "--jobs", "2"]), (cut[3], cut[4], ["--defer"])]
        bad = 0
        for i, (lo, hi, flags) in enumerate(steps):
            seqs += [int(s) for s in driver(args, "build", store, infile, lo, hi,
                                            *flags).split()]
            if len(seqs) != hi:
                sys.exit("build step %d gave %d seqs" % (i, len(seqs)))
            if i == 1:
                have = read_back(args, store, records[:hi], seqs)
                recs, indexed = driver(args, "stat", store).split()
                print("store: %s records, %s indexed (the index lags)" % (recs, indexed))
                bad += check(args, store, queries, have, "paused index, reader")
        have = read_back(args, store, records, seqs)
        recs, indexed = driver(args, "stat", store).split()
        print("store: %s records, %s indexed (index.defer)" % (recs, indexed))
        bad += check(args, store, queries, have, "deferred index, reader")
        bad += check(args, store, queries, have, "writer catching up", ["--writer"])
        driver(args, "reindex", store)
        bad += check(args, store, queries, have, "after ltl_reindex")
        shutil.rmtree(os.path.join(store, "index"))
        driver(args, "open", store)
        recs, indexed = driver(args, "stat", store).split()
        if recs != indexed:
            sys.exit("STORE/index deleted: a writer rebuilt %s of %s records" % (indexed, recs))
        bad += check(args, store, queries, have, "index deleted and rebuilt")
        return 1 if bad else 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
