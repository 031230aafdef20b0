#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test helper: walk the frames of an ltl segment (docs/FORMAT.md) and damage
one on purpose.

  segtool.py frames SEGMENT            print "seq offset length" per frame
  segtool.py flip SEGMENT SEQ [DELTA]  flip a byte of record SEQ's payload
                                       (DELTA bytes before the frame's end)
"""
import struct
import sys


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


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "frames":
        for seq, off, length in frames(path):
            print(seq, off, length)
    elif cmd == "flip":
        want = int(sys.argv[3])
        delta = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        for seq, off, length in frames(path):
            if seq == want:
                at = off + 8 + length - delta
                with open(path, "r+b") as f:
                    f.seek(at)
                    b = f.read(1)
                    f.seek(at)
                    f.write(bytes([b[0] ^ 0x5A]))
                print("flipped byte at offset", at)
                return 0
        print("no such seq", want)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
