# SPDX-License-Identifier: MIT
# Messages of the trust commands that used to mislead (issue 10): each says what
# is the case, with the exit code docs/EXIT-CODES.md gives it.
S="$CASE_DIR/../segtool.py"
store="$XDG_DATA_HOME/ltl/default"
# ten records (seq 1..10, after the writer's manifest at seq 0) and a checkpoint
printf 'r%s\n' 1 2 3 4 5 6 7 8 9 10 | ltl append
ltl checkpoint >/dev/null 2>&1
ltl stat | grep '^records'

# proof of a record the log does not have: it says so (not "a newer checkpoint")
t ltl proof 99
t ltl proof 11
# an append whose checkpoint at close cannot be written (STORE/checkpoints on a
# full disk) still succeeds: the record is stored, a warning says why
mv "$store/checkpoints" checkpoints.kept
ln -s /dev/full "$store/checkpoints"
t ltl append --print-seq r11
rm "$store/checkpoints"
mv checkpoints.kept "$store/checkpoints"
t ltl cat --format raw --from 12
# record 12 is in the log, but no checkpoint covers it yet
t ltl proof 12
t ltl proof 13
ltl proof 5 --size 11 | sed -n '1p;3p'
t ltl proof 12 --size 11
t ltl proof 3 --size 7
ltl checkpoint >/dev/null 2>&1
t ltl proof 12 --size 11
ltl proof 12 | sed -n '1p;3p'

# verify --against a checkpoint of another store: another log, not a rewritten history
ltl --store other append x 2>/dev/null
ltl --store other checkpoint > other.cp 2>/dev/null
t ltl verify --against other.cp
ltl checkpoint > mine.cp 2>/dev/null
t ltl verify --against mine.cp | sed -E 's/[0-9.]+ MB/<N> MB/g'
# ... that cannot be read: an I/O error (6), not a verification failure (9)
t ltl verify --against nosuch.cp
t ltl verify --against .
# ... that is not a checkpoint: input rejected (8), nothing verified
printf 'not a checkpoint\n' > garbage.cp
t ltl verify --against garbage.cp

# a short log/tree.hashes: the hash index is short, the log is whole
cp -r "$store" cut
python3 "$S" treecut cut/log/tree.hashes 11 >/dev/null
t ltl --store cut verify
t ltl --store cut verify --against mine.cp
t ltl --store cut proof 3
t ltl --store cut proof --consistency 2
# a writer rebuilds the index from the log
ltl --store cut checkpoint >/dev/null 2>&1
t ltl --store cut verify | sed -E 's/[0-9.]+ MB/<N> MB/g'

# check-proof --key with the wrong kind of key: a wrong key, exit 13
ltl keygen mylog >/dev/null
ltl keygen --read mylog >/dev/null
ltl proof 3 > p3
t ltl check-proof p3 --key mylog.wkey
t ltl check-proof p3 --key mylog.rkey
t ltl check-proof p3 --key p3
t ltl check-proof p3 --key nosuch.ckey
t ltl check-proof nosuch.proof

# keygen of a C2SP-style name: the slash becomes '_' in the file names, which
# stay in DIR; the key's name is the name given
t ltl keygen example.com/log
t ls
t cut -d+ -f1 example.com_log.ckey
t ltl keygen --read example.com/log
mkdir keys
t ltl keygen ../up/../../x --dir keys
t ls -A keys
t ltl keygen example.com/log
t ltl keygen 'example.com/a log'
