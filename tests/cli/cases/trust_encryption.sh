# SPDX-License-Identifier: MIT
# Encryption at rest with a read key (issue 4): with keys.read, messages are
# sealed on append and opened by `ltl cat`. Without the key no format that
# shows the message prints anything of it: exit 13, naming the record and the
# key it was sealed with (issue 10); --format envelope lists the envelopes. A
# wrong read key is exit 13, naming both key ids (the store's and the
# configured one), and a writer with it is refused before it writes (issue 10:
# the store would need two keys); a read key file that group or others may
# read is refused with exit 10 and the chmod 600 hint. verify and proofs need
# no read key: the leaves hash the ciphertext.
# (The read key ids are taken from the key files and shown by name.)
mkdir other
t ltl keygen --read secret
ltl keygen --read other --dir other >/dev/null
sid=$(cut -d+ -f5 secret.rkey)
oid=$(cut -d+ -f5 other/other.rkey)
norm() {
  sed -E -e "s/\b$sid\b/<SECRET ID>/g; s/\b$oid\b/<OTHER ID>/g" -e 's/[0-9]+ MB\/s/<N> MB\/s/'
}
t stat -c '%a %n' secret.rkey other/other.rkey
ltl config set keys.read "$HOME/secret.rkey" 2>/dev/null
t ltl append hello '{"a":1}'
t ltl cat
t ltl cat --format raw
t ltl --config keys.read= cat | norm
t ltl --config keys.read= cat --format pretty | norm
t ltl --config keys.read= cat --format envelope
t ltl --config "keys.read=$HOME/other/other.rkey" cat | norm
# a writer with another read key is refused (the store would then need both
# keys to be read) and writes nothing
t ltl --config "keys.read=$HOME/other/other.rkey" append more | norm
t ltl cat --format raw | norm
chmod 644 secret.rkey
t ltl cat
t ltl append more
chmod 600 secret.rkey
t ltl --config keys.read= verify | norm
ltl --config keys.read= proof 1 > p1
printf hello > hello.txt
t ltl check-proof p1
t ltl check-proof p1 --record hello.txt
