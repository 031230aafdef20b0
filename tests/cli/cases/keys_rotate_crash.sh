# golden-normalise: (tokens of read key|not of keys.read|sealed with read key) [0-9a-f]{8}\b => \1 <KEY ID>
# SPDX-License-Identifier: MIT
# A crash in the middle of a read key rotation (issue 10): the rotation record
# and the manifest naming the new key are written together; if a crash keeps
# the first and not the second, the store still seals with the old key.
# Writers with the new key first are refused with the message that says so,
# a writer with the old key works, and the rotation can be run again, after
# which every record reads back. (Modelled by cutting the manifest from the
# end of the log, emptying log/synced and removing the checkpoint the
# rotating writer made at close.)
S="$CASE_DIR/../segtool.py"
store="$XDG_DATA_HOME/ltl/default"
seg="$store/log/0000000000000000.seg"
ltl keygen --read secret >/dev/null
ltl keygen --read other >/dev/null
sid=$(cut -d+ -f5 secret.rkey)
oid=$(cut -d+ -f5 other.rkey)
norm() { sed -E -e "s/\b$sid\b/<SECRET ID>/g; s/\b$oid\b/<OTHER ID>/g"; }
ltl config set keys.read "$HOME/secret.rkey" 2>/dev/null
ltl append one
ltl append two
t ltl keys rotate-read other.rkey | norm
# the crash: the new manifest (the last record) is lost
python3 "$S" frames "$seg" | tail -2 | cut -d' ' -f1
python3 "$S" cut "$seg" 6 >/dev/null
: > "$store/log/synced"
rm "$store/checkpoints"
t ltl append three | norm
t ltl --config "keys.read=$HOME/secret.rkey" append three
t ltl --config "keys.read=$HOME/secret.rkey" keys rotate-read other.rkey | norm
t ltl append four
t ltl cat --format raw
t ltl get /seq/5 /seq/10 | norm
t ltl verify | sed -E 's/[0-9]+ MB\/s/<N> MB\/s/'
