# SPDX-License-Identifier: MIT
# Records cut after a checkpoint (issue 4): whole records removed from the end
# of the log and the tail repaired so that the store opens (the durable point
# forgotten). verify fails: first because the hash index is longer than the
# log, then, with the index cut too, because the checkpoint covers records the
# log no longer has. With the checkpoints removed as well the store is
# consistent on its own, but verify does not say a plain "ok": a check key is
# configured and no checkpoint is signed (issue 10); a checkpoint kept
# elsewhere (--against) and the audit state catch the cut.
S="$CASE_DIR/../segtool.py"
store="$XDG_DATA_HOME/ltl/default"
seg="$store/log/0000000000000000.seg"
ltl keygen mylog >/dev/null
ltl config set keys.write "$HOME/mylog.wkey" 2>/dev/null
kid=$(cut -d+ -f2 mylog.ckey)
# what changes from run to run: the key id, rates, roots and signatures
norm() {
  sed -E -e "s/\+$kid\b/+<KEY>/g" -e 's/[0-9]+ MB\/s/<N> MB\/s/' \
    -e 's#^[A-Za-z0-9+/]{43}=$#<ROOT>#' -e 's#^(— mylog) [A-Za-z0-9+/=]+$#\1 <SIGNATURE>#'
}
printf 'r1\nr2\nr3\nr4\nr5\n' | ltl append
ltl checkpoint > old.cp # the last checkpoint (size 6), kept elsewhere
t ltl audit --state audit.state

# records 3, 4, 5 cut
python3 "$S" cut "$seg" 3 >/dev/null
: > "$store/log/synced"
t ltl cat --format raw
t ltl verify | norm
# the index cut to match (what a writer's open does)
python3 "$S" treecut "$store/log/tree.hashes" 3
t ltl verify | norm
t ltl verify --tail | norm
t ltl verify --against old.cp | norm

# the checkpoints removed too
mv "$store/checkpoints" "$HOME/checkpoints.removed"
t ltl verify | norm
t ltl verify --against old.cp | norm
t ltl audit --state audit.state
# a new checkpoint, signed with the same key (the writer's open notes what
# it found in the index, in _ltl: 2 records)
t ltl checkpoint | norm | grep -v '^ltl: warn: index:'
t ltl audit --state audit.state | norm
t cat audit.state | norm
t ltl cat --topic _ltl --format raw | grep -v '"user"'
