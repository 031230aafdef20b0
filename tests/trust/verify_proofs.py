#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An independent check of what ltl's trust module produces, written from the
specifications with the Python standard library only:

  - RFC 6962 / RFC 9162 §2.1: leaf and node hashes, MTH, PATH and PROOF
    (recomputed here and compared with ltl's proofs, element by element),
    and the verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2;
  - RFC 8032 Ed25519 (the reference code of its section 6), for the write and
    check keys and the signatures on notes and checkpoints;
  - C2SP signed-note, tlog-checkpoint and tlog-proof, golang.org/x/mod/sumdb/note
    key texts (checked against Go's published test vectors first);
  - RFC 5869 HKDF and RFC 8439 ChaCha20-Poly1305 (checked against their RFC
    vectors first), for the read key and sealed records (docs/TRUST.md).

usage: verify_proofs.py TRUST_TOOL
"""

import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import tempfile

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


# ---- RFC 6962 / 9162 -----------------------------------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    def __init__(self, leaves):
        self.leaves = leaves
        self.cache = {}

    def mth(self, lo, n):
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n == 1:
            return self.leaves[lo]
        key = (lo, n)
        if key not in self.cache:
            k = split(n)
            self.cache[key] = node_hash(self.mth(lo, k), self.mth(lo + k, n - k))
        return self.cache[key]

    def path(self, m, lo, n):
        """RFC 6962 §2.1.1 PATH(m, D[lo:lo+n])."""
        if n <= 1:
            return []
        k = split(n)
        if m < k:
            return self.path(m, lo, k) + [self.mth(lo + k, n - k)]
        return self.path(m - k, lo + k, n - k) + [self.mth(lo, k)]

    def subproof(self, m, lo, n, b):
        """RFC 6962 §2.1.2 SUBPROOF(m, D[lo:lo+n], b)."""
        if m == n:
            return [] if b else [self.mth(lo, n)]
        k = split(n)
        if m <= k:
            return self.subproof(m, lo, k, b) + [self.mth(lo + k, n - k)]
        return self.subproof(m - k, lo + k, n - k, False) + [self.mth(lo, k)]

    def consistency(self, m, n):
        if m == 0 or m == n:
            return []
        return self.subproof(m, 0, n, True)


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, old_root, new_root, proof):
    """RFC 9162 §2.1.4.2 (0 < m < n), with the trivial cases around it."""
    if m > n:
        return False
    if m == n:
        return not proof and old_root == new_root
    if m == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path = [old_root] + path
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# ---- RFC 8032 Ed25519 (section 6 reference) --------------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % P
    y = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        s >>= 1
    return acc


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * pow(5, -1, P) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)


def _compress(pt):
    zinv = pow(pt[2], -1, P)
    x, y = pt[0] * zinv % P, pt[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(s):
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def _hq(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % Q


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return _compress(_mul(_expand(seed)[0], G))


def ed25519_sign(seed, msg):
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, G))
    r = _hq(prefix + msg)
    rs = _compress(_mul(r, G))
    s = (r + _hq(rs + pub + msg) * a) % Q
    return rs + int.to_bytes(s, 32, "little")


def ed25519_verify(pub, msg, sig):
    if len(pub) != 32 or len(sig) != 64:
        return False
    a = _decompress(pub)
    r = _decompress(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = _hq(sig[:32] + pub + msg)
    return _equal(_mul(s, G), _add(r, _mul(h, a)))


# ---- signed-note keys and notes ------------------------------------------------

def key_id(name, alg_key):
    """C2SP signed-note: SHA-256(name || 0x0A || alg || key)[:4], big-endian."""
    return hashlib.sha256(name.encode() + b"\n" + alg_key).digest()[:4]


def b64_strict(text):
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise ValueError("not canonical base64")
    return raw


def parse_check_key(text):
    name, hexid, data = text.split("+", 2)
    raw = b64_strict(data)
    assert len(raw) == 33 and raw[0] == 1, "Ed25519 check key"
    assert bytes.fromhex(hexid) == key_id(name, raw), "check key id"
    assert "+" not in name and " " not in name and name
    return name, bytes.fromhex(hexid), raw[1:]


def parse_write_key(text):
    assert text.startswith("PRIVATE+KEY+")
    name, hexid, data = text[len("PRIVATE+KEY+"):].split("+", 2)
    raw = b64_strict(data)
    assert len(raw) == 33 and raw[0] == 1, "Ed25519 write key"
    pub = ed25519_public(raw[1:])
    assert bytes.fromhex(hexid) == key_id(name, b"\x01" + pub), "write key id"
    return name, bytes.fromhex(hexid), raw[1:], pub


EM_DASH = "\u2014 "


def open_note(note, name, kid, pub):
    """C2SP signed-note: the text, after checking a signature by (name, kid)."""
    assert all(c == "\n" or ord(c) >= 0x20 for c in note), "control characters"
    split_at = note.rindex("\n\n")
    text, sigs = note[: split_at + 1], note[split_at + 2:]
    assert sigs and sigs.endswith("\n")
    good = False
    for line in sigs[:-1].split("\n"):
        assert line.startswith(EM_DASH), "signature line"
        sname, b64 = line[len(EM_DASH):].split(" ", 1)
        raw = base64.b64decode(b64, validate=True)
        if sname == name and raw[:4] == kid:
            assert ed25519_verify(pub, text.encode(), raw[4:]), "Ed25519 signature"
            good = True
    assert good, "no signature by the key"
    return text


def parse_checkpoint_body(text):
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) >= 4, "checkpoint lines"
    origin, size, root = lines[0], lines[1], lines[2]
    assert origin and (size == "0" or not size.startswith("0")) and size.isdigit()
    r = b64_strict(root)
    assert len(r) == 32
    return origin, int(size), r


# ---- RFC 5869 HKDF and RFC 8439 ChaCha20-Poly1305 ------------------------------

def hkdf(ikm, salt, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, c = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([c]), hashlib.sha256).digest()
        out += t
        c += 1
    return out[:length]


M32 = 0xFFFFFFFF


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & M32
    s[d] ^= s[a]
    s[d] = ((s[d] << 16) | (s[d] >> 16)) & M32
    s[c] = (s[c] + s[d]) & M32
    s[b] ^= s[c]
    s[b] = ((s[b] << 12) | (s[b] >> 20)) & M32
    s[a] = (s[a] + s[b]) & M32
    s[d] ^= s[a]
    s[d] = ((s[d] << 8) | (s[d] >> 24)) & M32
    s[c] = (s[c] + s[d]) & M32
    s[b] ^= s[c]
    s[b] = ((s[b] << 7) | (s[b] >> 25)) & M32


def chacha_block(key, counter, nonce):
    st = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    st += list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    w = st[:]
    for _ in range(10):
        _qr(w, 0, 4, 8, 12)
        _qr(w, 1, 5, 9, 13)
        _qr(w, 2, 6, 10, 14)
        _qr(w, 3, 7, 11, 15)
        _qr(w, 0, 5, 10, 15)
        _qr(w, 1, 6, 11, 12)
        _qr(w, 2, 7, 8, 13)
        _qr(w, 3, 4, 9, 14)
    return struct.pack("<16I", *[(x + y) & M32 for x, y in zip(w, st)])


def chacha20(key, counter, nonce, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha_block(key, counter + i // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[i:i + 64], ks))
    return bytes(out)


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    acc, p = 0, (1 << 130) - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(b):
    return b + b"\x00" * (-len(b) % 16)


def aead_tag(key, nonce, aad, ct):
    otk = chacha_block(key, 0, nonce)[:32]
    return poly1305(otk, _pad16(aad) + _pad16(ct) + struct.pack("<QQ", len(aad), len(ct)))


def aead_open(key, nonce, aad, ct, tag):
    if not hmac.compare_digest(aead_tag(key, nonce, aad, ct), tag):
        return None
    return chacha20(key, 1, nonce, ct)


# ---- the published vectors, so the code above is known good ---------------------

def self_test():
    # Go's sumdb/note vectors (note_test.go)
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    name, kid, seed, pub = parse_write_key(skey)
    vname, vid, vpub = parse_check_key(vkey)
    check(name == vname == "PeterNeumann" and kid == vid and pub == vpub, "Go key vector")
    text = ("If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n")
    sig = ("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
           "BwJnAM=")
    check(base64.b64encode(kid + ed25519_sign(seed, text.encode())).decode() == sig,
          "Go signature vector, signed here")
    check(open_note(text + "\n" + EM_DASH + "PeterNeumann " + sig + "\n", name, kid, pub) == text,
          "Go signed note opens")
    # the CT reference roots of the trees of 1..8 leaves
    data = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f"]
    t = Tree([leaf_hash(bytes.fromhex(d)) for d in data])
    check(t.mth(0, 8).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
          "CT root of 8")
    check(t.mth(0, 3).hex() == "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
          "CT root of 3")
    # RFC 5869 A.1, RFC 8439 §2.8.2
    okm = hkdf(b"\x0b" * 22, bytes.fromhex("000102030405060708090a0b0c"),
               bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42)
    check(okm.hex() == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                       "34007208d5b887185865", "RFC 5869 A.1")
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    pt = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
          b"future, sunscreen would be it.")
    ct = chacha20(key, 1, nonce, pt)
    check(ct.hex().startswith("d31a8d34648e60db7b86afbc53ef7ec2"), "RFC 8439 ciphertext")
    check(aead_tag(key, nonce, aad, ct).hex() == "1ae10b594f09e26a7e902ecbd0600691",
          "RFC 8439 tag")


# ---- checking the tool's output -------------------------------------------------

def check_tree(tool, n, seed):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([tool, "tree", tmp, str(n), str(seed)], check=True,
                             capture_output=True, text=True).stdout
    t = Tree([leaf_hash(b"leaf %d %d" % (seed, i)) for i in range(n)])
    roots = {}
    counts = {"root": 0, "incl": 0, "cons": 0, "tlog-proof": 0, "consistency-proof": 0}
    keys = {}
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        f = rest.split(" ")
        if kind == "root":
            size, root = int(f[0]), bytes.fromhex(f[1])
            roots[size] = root
            check(root == t.mth(0, size), f"n={n} root({size})")
        elif kind == "incl":
            i, size, proof = int(f[0]), int(f[1]), [bytes.fromhex(h) for h in f[2:]]
            check(proof == t.path(i, 0, size), f"n={n} inclusion({i}, {size}) is RFC 6962's")
            check(verify_inclusion(t.leaves[i], i, size, proof, roots[size]),
                  f"n={n} inclusion({i}, {size}) verifies")
            if proof:
                bad = list(proof)
                bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
                check(not verify_inclusion(t.leaves[i], i, size, bad, roots[size]),
                      f"n={n} tampered inclusion({i}, {size}) fails")
        elif kind == "cons":
            m, size, proof = int(f[0]), int(f[1]), [bytes.fromhex(h) for h in f[2:]]
            check(proof == t.consistency(m, size), f"n={n} consistency({m}, {size}) is RFC 6962's")
            check(verify_consistency(m, size, t.mth(0, m), roots[size], proof),
                  f"n={n} consistency({m}, {size}) verifies")
            if proof:
                bad = list(proof)
                bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
                check(not verify_consistency(m, size, t.mth(0, m), roots[size], bad),
                      f"n={n} tampered consistency({m}, {size}) fails")
        elif kind == "key-write":
            keys["write"] = parse_write_key(rest)
        elif kind == "key-check":
            keys["check"] = parse_check_key(rest)
            name, kid, _seed, pub = keys["write"]
            check(keys["check"] == (name, kid, pub), "check key is the write key's public half")
        elif kind in ("checkpoint", "checkpoint-unsigned", "note"):
            body = base64.b64decode(rest).decode()
            name, kid, pub = keys["check"]
            if kind == "checkpoint-unsigned":
                check("\n\n" not in body, "unsigned checkpoint has no signature block")
                text = body
            else:
                text = open_note(body, name, kid, pub)
            if kind != "note":
                origin, size, root = parse_checkpoint_body(text)
                check(origin == "ltl/11223300000000000000000000000000", "default origin")
                check(size == n and root == t.mth(0, n), "checkpoint size and root")
            else:
                check(text == "a note\nof two lines\n", "signed note text")
        elif kind == "tlog-proof":
            counts[kind] += 1
            lines = base64.b64decode(rest).decode().split("\n")
            check(lines[0] == "c2sp.org/tlog-proof@v1", "tlog-proof header")
            k = 1
            if lines[k].startswith("extra "):
                check(base64.b64decode(lines[k][6:]) == b"x", "tlog-proof extra")
                k += 1
            check(lines[k].startswith("index "), "tlog-proof index line")
            index = int(lines[k][6:])
            k += 1
            proof = []
            while lines[k]:
                proof.append(b64_strict(lines[k]))
                k += 1
            name, kid, pub = keys["check"]
            origin, size, root = parse_checkpoint_body(open_note("\n".join(lines[k + 1:]), name,
                                                                 kid, pub))
            check(verify_inclusion(t.leaves[index], index, size, proof, root),
                  f"tlog-proof for leaf {index} verifies")
        elif kind == "consistency-proof":
            counts[kind] += 1
            lines = base64.b64decode(rest).decode().split("\n")
            check(lines[0] == "ltl.consistency-proof@v1", "consistency proof header")
            check(lines[1].startswith("old "), "consistency proof old line")
            m = int(lines[1][4:])
            k, proof = 2, []
            while lines[k]:
                proof.append(b64_strict(lines[k]))
                k += 1
            name, kid, pub = keys["check"]
            origin, size, root = parse_checkpoint_body(open_note("\n".join(lines[k + 1:]), name,
                                                                 kid, pub))
            check(verify_consistency(m, size, t.mth(0, m), root, proof),
                  f"consistency proof {m} -> {size} verifies")
        if kind in counts and kind not in ("tlog-proof", "consistency-proof"):
            counts[kind] += 1
    check(n in roots and "check" in keys, f"n={n}: the tool printed a root and keys")
    return counts


def check_seal(tool, seed):
    out = subprocess.run([tool, "seal", str(seed)], check=True, capture_output=True,
                         text=True).stdout
    count = 0
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "read-key":
            assert rest.startswith("LTL+READ+KEY+")
            name, hexid, data = rest[len("LTL+READ+KEY+"):].split("+", 2)
            raw = b64_strict(data)
            check(len(raw) == 33 and raw[0] == 1, "read key data")
            secret = raw[1:]
            kid = hmac.new(secret, b"ltl read key id", hashlib.sha256).digest()[:4]
            check(kid.hex() == hexid, "read key id")
        elif kind == "store-id":
            key = hkdf(secret, bytes.fromhex(rest), b"ltl record key v1", 32)
        elif kind == "sealed":
            seq, aad, pt, sealed = rest.split(" ")
            seq, aad, sealed = int(seq), bytes.fromhex(aad), bytes.fromhex(sealed)
            pt = b"" if pt == "-" else bytes.fromhex(pt)
            r, ct, tag = sealed[:6], sealed[6:-16], sealed[-16:]
            nonce = (seq % (1 << 48)).to_bytes(6, "little") + r
            k = key
            if seq >> 48:
                k = hmac.new(key, b"ltl epoch" + (seq >> 48).to_bytes(8, "little"),
                             hashlib.sha256).digest()
                check(aead_open(key, nonce, aad, ct, tag) is None, "a wrapped seq has its own key")
            check(aead_open(k, nonce, aad, ct, tag) == pt, f"sealed record {seq} opens")
            check(aead_open(k, nonce, aad + b"!", ct, tag) is None, "a changed envelope fails")
            count += 1
    return count


def main():
    tool = sys.argv[1]
    self_test()
    total = {}
    for n, seed in [(0, 1), (1, 2), (2, 3), (7, 4), (8, 5), (33, 6), (64, 7), (100, 8),
                    (257, 9), (1000, 10), (3001, 11)]:
        for k, v in check_tree(tool, n, seed).items():
            total[k] = total.get(k, 0) + v
    sealed = sum(check_seal(tool, s) for s in range(3))
    print(f"checked {total['root']} roots, {total['incl']} inclusion and {total['cons']} "
          f"consistency proofs, {total['tlog-proof']} tlog-proofs, "
          f"{total['consistency-proof']} consistency proof texts, {sealed} sealed records")
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print("all good")
    return 0


if __name__ == "__main__":
    sys.exit(main())
