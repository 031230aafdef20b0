#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test helper: walk the frames of an ltl segment (docs/FORMAT.md) and damage
or tamper with the store on purpose. The tamper modes keep every frame valid
(they recompute the frame CRC: CRC32C over the segment's 8-byte salt, then the
body), as someone who edits the log on purpose would, so only the hashes,
checkpoints and signatures can tell.

  segtool.py frames SEGMENT              print "seq offset length" per frame
  segtool.py flip SEGMENT SEQ [DELTA]    flip a byte of record SEQ's body
                                         (DELTA bytes before the body's end);
                                         the CRC no longer matches
  segtool.py fix SEGMENT SEQ [DELTA]     the same, then fix the frame's CRC
  segtool.py set SEGMENT SEQ PAYLOAD     replace record SEQ's payload by PAYLOAD
                                         (same length) and fix the CRC
  segtool.py drop SEGMENT SEQ            remove record SEQ; renumber the records
                                         after it (seq and manifest seq minus
                                         one), recompute their CRCs, zero the
                                         freed bytes at the end of the data
  segtool.py cut SEGMENT SEQ             remove records SEQ.. of the segment
                                         (zero them): whole records at the end
  segtool.py treecut TREEFILE LEAVES     cut log/tree.hashes to the entries of
                                         a tree of LEAVES leaves (docs/TRUST.md)
  segtool.py rehash STORE                write STORE/log/tree.hashes anew from
                                         the records of the segments: every
                                         leaf and node recomputed (RFC 6962),
                                         all marked synced
  segtool.py cpedit CHECKPOINTS N OLD NEW
                                         in entry N of STORE/checkpoints replace
                                         the text OLD by NEW (first occurrence),
                                         fixing the entry's length and CRC
  segtool.py crc32c STRING               print the CRC32C of STRING (self-test)

Only the `flip` mode leaves an invalid frame. After `drop` and `cut` the durable
point in log/synced still points past the data: empty that file to model a
crash (the writer then treats the end as a torn tail).
"""
import hashlib
import os
import struct
import sys

_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), chainable like ltl__crc32c: crc32c(b, crc32c(a))."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def frames(path):
    data = open(path, "rb").read()
    off = 64
    while off + 8 <= len(data):
        (length,) = struct.unpack_from("<I", data, off)
        if length == 0:
            break
        seq = struct.unpack_from("<Q", data, off + 8 + 8)[0]
        yield seq, off, length
        off += 8 + ((length + 7) & ~7)


def frame_crc(salt, body):
    return crc32c(body, crc32c(salt))


def find(path, want):
    for seq, off, length in frames(path):
        if seq == want:
            return off, length
    print("no such seq", want)
    sys.exit(1)


def rehash(store):
    """Rebuild log/tree.hashes (docs/TRUST.md section 2) from the segments."""
    store_id = open(os.path.join(store, "LTL"), "rb").read()[16:32]
    log = os.path.join(store, "log")
    entries, right = [], []  # right: (height, hash) of the tree's right edge
    for name in sorted(n for n in os.listdir(log) if n.endswith(".seg")):
        path = os.path.join(log, name)
        data = open(path, "rb").read()
        for _seq, off, length in frames(path):
            node = hashlib.sha256(b"\x00" + data[off + 8:off + 8 + length]).digest()
            entries.append(node)
            height = 0
            while right and right[-1][0] == height:  # the parents this leaf completes
                node = hashlib.sha256(b"\x01" + right.pop()[1] + node).digest()
                entries.append(node)
                height += 1
            right.append((height, node))
    count = 0
    for name in sorted(n for n in os.listdir(log) if n.endswith(".seg")):
        count += sum(1 for _ in frames(os.path.join(log, name)))
    head = b"LTLHASHS" + struct.pack("<II", 1, 1) + store_id + struct.pack("<Q", count)
    head += bytes(20)
    head += struct.pack("<I", crc32c(head))
    with open(os.path.join(log, "tree.hashes"), "wb") as f:
        f.write(head + b"".join(entries))
    return count, len(entries)


def main():
    cmd = sys.argv[1]
    if cmd == "rehash":
        leaves, entries = rehash(sys.argv[2])
        print("tree.hashes written:", leaves, "leaves,", entries, "entries")
        return 0
    if cmd == "crc32c":
        print("%08x" % crc32c(sys.argv[2].encode()))
        return 0
    if cmd == "treecut":
        path, leaves = sys.argv[2], int(sys.argv[3])
        entries = 2 * leaves - bin(leaves).count("1")
        with open(path, "r+b") as f:
            f.truncate(64 + 32 * entries)
        print("tree.hashes cut to", leaves, "leaves,", entries, "entries")
        return 0
    if cmd == "cpedit":
        path, index = sys.argv[2], int(sys.argv[3])
        old, new = sys.argv[4].encode(), sys.argv[5].encode()
        data = open(path, "rb").read()
        pos, out, n = 0, b"", 0
        while pos < len(data):
            nl = data.index(b"\n", pos)
            magic, length, _crc = data[pos:nl].split(b" ")
            text = data[nl + 1:nl + 1 + int(length)]
            if n == index:
                if old not in text:
                    print("entry", index, "does not contain", old.decode())
                    return 1
                text = text.replace(old, new, 1)
            out += b"%s %d %08x\n%s\n" % (magic, len(text), crc32c(text), text)
            pos = nl + 1 + int(length) + 1
            n += 1
        open(path, "wb").write(out)
        print("edited checkpoint entry", index)
        return 0

    path = sys.argv[2]
    data = bytearray(open(path, "rb").read())
    salt = bytes(data[40:48])

    def refresh_crc(off, length):
        body = bytes(data[off + 8:off + 8 + length])
        struct.pack_into("<I", data, off + 4, frame_crc(salt, body))

    if cmd in ("flip", "fix"):
        want = int(sys.argv[3])
        delta = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        off, length = find(path, want)
        at = off + 8 + length - delta
        data[at] ^= 0x5A
        if cmd == "fix":
            refresh_crc(off, length)
        open(path, "wb").write(data)
        print("flipped byte at offset", at, *(["(crc fixed)"] if cmd == "fix" else []))
        return 0
    if cmd == "set":
        want, payload = int(sys.argv[3]), sys.argv[4].encode()
        off, length = find(path, want)
        topic_len = struct.unpack_from("<H", data, off + 8 + 4)[0]
        start = off + 8 + 32 + topic_len
        if length - 32 - topic_len != len(payload):
            print("the payload of seq", want, "is", length - 32 - topic_len, "bytes")
            return 1
        data[start:start + len(payload)] = payload
        refresh_crc(off, length)
        open(path, "wb").write(data)
        print("record", want, "payload replaced")
        return 0
    if cmd == "drop":
        want = int(sys.argv[3])
        off, length = find(path, want)
        size = 8 + ((length + 7) & ~7)
        end = max(o + 8 + ((n + 7) & ~7) for _, o, n in frames(path))
        later = [(s, o - size, n) for s, o, n in frames(path) if s > want]
        data[off:end - size] = data[off + size:end]
        data[end - size:end] = bytes(size)
        for seq, o, n in later:
            struct.pack_into("<Q", data, o + 8 + 8, seq - 1)
            (manifest,) = struct.unpack_from("<Q", data, o + 8 + 24)
            if manifest > want:
                struct.pack_into("<Q", data, o + 8 + 24, manifest - 1)
            refresh_crc(o, n)
        open(path, "wb").write(data)
        print("dropped seq", want, "and renumbered", len(later), "records")
        return 0
    if cmd == "cut":
        want = int(sys.argv[3])
        off, _ = find(path, want)
        end = max(o + 8 + ((n + 7) & ~7) for _, o, n in frames(path))
        data[off:end] = bytes(end - off)
        open(path, "wb").write(data)
        print("cut the segment at offset", off)
        return 0
    if cmd == "frames":
        for seq, off, length in frames(path):
            print(seq, off, length)
        return 0
    print("unknown command", cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
