# SPDX-License-Identifier: MIT
# Checkpoint signatures and offline proofs (issue 4). In the store: a
# checkpoint signed by another key of the same name, a checkpoint whose text
# was edited under its signature, a forged signature — each refused by
# `ltl verify` (exit 9, naming the checkpoint and where it is). Offline
# (`ltl check-proof`, no store): the proof as made holds; checked with
# another key, with an edited checkpoint or a forged signature, with one
# hash changed, with the record changed, or against other bytes (--record)
# it fails with exit 9.
S="$CASE_DIR/../segtool.py"
store="$XDG_DATA_HOME/ltl/default"
mkdir other
ltl keygen mylog >/dev/null
ltl keygen mylog --dir other >/dev/null # same name, another key
ltl config set keys.write "$HOME/mylog.wkey" 2>/dev/null
kid=$(cut -d+ -f2 mylog.ckey)
oid=$(cut -d+ -f2 other/mylog.ckey)
# what changes from run to run: key ids, rates, roots, signatures, hex prefixes of roots
norm() {
  sed -E -e "s/\+$kid\b/+<KEY>/g; s/\+$oid\b/+<OTHER KEY>/g" -e 's/[0-9]+ MB\/s/<N> MB\/s/' \
    -e 's#^[A-Za-z0-9+/]{43}=$#<HASH>#' -e 's#^(— mylog) [A-Za-z0-9+/=]+$#\1 <SIGNATURE>#' \
    -e 's/root [0-9a-f]{16}\.\.\., not [0-9a-f]{16}\.\.\./root <X>..., not <ROOT>.../'
}
# change one character of the signature line in a file (after the key id)
forge() { python3 -c "
import sys
p = sys.argv[1]; t = open(p, encoding='utf-8').read()
i = t.index('\u2014 mylog ') + len('\u2014 mylog ') + 20
open(p, 'w', encoding='utf-8').write(t[:i] + ('B' if t[i] == 'A' else 'A') + t[i + 1:])" "$1"; }
printf 'r1\nr2\nr3\n' | ltl append
ltl checkpoint > good.cp
cp "$store/checkpoints" pristine

# in the store
t ltl --config "keys.write=$HOME/other/mylog.wkey" checkpoint | norm
t ltl verify | norm
t ltl --config "keys.write=,keys.check=$HOME/other/mylog.ckey" verify | norm
cp pristine "$store/checkpoints"
python3 "$S" cpedit "$store/checkpoints" 0 $'\n4\n' $'\n3\n'
t ltl verify | norm
cp pristine "$store/checkpoints"
python3 -c "
import sys; sys.path.insert(0, sys.argv[1]); import segtool
t = open(sys.argv[2], 'rb').read().split(b'\n', 1)[1][:-1]
sig = t.rsplit(b' ', 1)[1]
forged = sig[:20] + (b'B' if sig[20:21] == b'A' else b'A') + sig[21:]
sys.argv = ['segtool', 'cpedit', sys.argv[2], '0', sig.decode(), forged.decode()]
segtool.main()" "$CASE_DIR/.." "$store/checkpoints"
t ltl verify | norm
cp pristine "$store/checkpoints"
t ltl verify | norm

# offline
ltl proof 2 > p2
printf 'r2' > r2.txt
printf 'r2\n' > r2nl.txt
t ltl check-proof p2 --key mylog.ckey
t ltl check-proof p2 --key mylog.ckey --record r2.txt
t ltl check-proof p2
t ltl check-proof p2 --key other/mylog.ckey | norm
sed 's/^4$/5/' p2 > p2.size
t ltl check-proof p2.size --key mylog.ckey | norm
cp p2 p2.forged
forge p2.forged
t ltl check-proof p2.forged --key mylog.ckey | norm
python3 -c "
import base64, sys
lines = open(sys.argv[1]).read().split('\n')
h = bytearray(base64.b64decode(lines[3])); h[0] ^= 1
lines[3] = base64.b64encode(h).decode()
open(sys.argv[1] + '.hash', 'w').write('\n'.join(lines))
e = bytearray(base64.b64decode(lines[1][6:])); e[-1] ^= 1   # r2 -> r3
lines = open(sys.argv[1]).read().split('\n')
lines[1] = 'extra ' + base64.b64encode(e).decode()
open(sys.argv[1] + '.record', 'w').write('\n'.join(lines))" p2
t ltl check-proof p2.hash --key mylog.ckey | norm
t ltl check-proof p2.record --key mylog.ckey | norm
t ltl check-proof p2 --key mylog.ckey --record r2nl.txt
t ltl check-proof p2 --key mylog.ckey --json
