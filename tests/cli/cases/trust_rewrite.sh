# SPDX-License-Identifier: MIT
# History rewritten with every hash recomputed (issue 4): a record changed
# (its CRC fixed), tree.hashes computed anew from the changed log (segtool.py
# rehash: every leaf and node, as the library would write them), the
# checkpoints deleted and a new one signed with the same write key. Nothing in the store contradicts itself any more, so a full
# verify passes; what was kept elsewhere catches it: the audit state taken
# before (ltl audit) and the old checkpoint (ltl verify --against). A proof
# made before still holds against the old checkpoint: two signed checkpoints
# of one size with different roots are the evidence of the fork.
# ("first bad record" lines of --against are left out: a consistency proof
# cannot say which record differs.)
S="$CASE_DIR/../segtool.py"
store="$XDG_DATA_HOME/ltl/default"
seg="$store/log/0000000000000000.seg"
ltl keygen mylog >/dev/null
ltl config set keys.write "$HOME/mylog.wkey" 2>/dev/null
kid=$(cut -d+ -f2 mylog.ckey)
printf 'r1\nr2\nr3\nr4\nr5\n' | ltl append
ltl checkpoint > old.cp
esc() { sed 's/+/\\+/g'; } # base64 in an extended regular expression
old_root=$(sed -n 3p old.cp | esc)
new_root=none
# what changes from run to run: the key id, rates, the two roots, signatures
norm() {
  sed -E -e "s/\+$kid\b/+<KEY>/g" -e 's/[0-9]+ MB\/s/<N> MB\/s/' \
    -e "s#^$old_root\$#<ROOT before>#; s#^$new_root\$#<ROOT after>#" \
    -e 's#^(— mylog) [A-Za-z0-9+/=]+$#\1 <SIGNATURE>#'
}
t ltl audit --state audit.state
ltl proof 3 > before.proof

python3 "$S" set "$seg" 3 R3 >/dev/null
t ltl verify | grep -v "byte offset"
python3 "$S" rehash "$store"
rm "$store/checkpoints"
ltl checkpoint > new.cp
new_root=$(sed -n 3p new.cp | esc)
t cat new.cp | norm
t ltl verify | norm
t ltl verify --tail | norm

t ltl audit --state audit.state | norm
t ltl verify --against old.cp | norm | grep -v "first bad record"
t ltl verify --against old.cp --json |
  sed -E 's/"seconds":[0-9.]+/"seconds":<S>/; s/"bytes":[0-9]+/"bytes":<B>/; s/,"bad_seq":[0-9]+//'

t ltl check-proof before.proof --key mylog.ckey
ltl proof 3 > after.proof
t ltl check-proof after.proof --key mylog.ckey
