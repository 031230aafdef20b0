# golden-normalise: (tokens of read key|not of keys.read|sealed with read key) [0-9a-f]{8}\b => \1 <KEY ID>
# SPDX-License-Identifier: MIT
# Keys are enforced for writers (issue 10): a store that seals its records
# refuses a writer without its read key (it would append plaintext to an
# encrypted log) and a writer with another one (no single key would read the
# store): exit 13 before anything is written. The key changes only through
# `ltl keys rotate-read FILE`: a record in _ltl says which key replaced which,
# keys.read becomes the new key followed by the old one (in the store's
# config file), and every record reads back; either key alone reads only the
# records sealed with it, and the old key alone no longer writes. Where
# keys.read comes from the environment, rotate-read says what to set there.
mkdir other
ltl keygen --read secret >/dev/null
ltl keygen --read other --dir other >/dev/null
ltl keygen --read third >/dev/null
sid=$(cut -d+ -f5 secret.rkey)
oid=$(cut -d+ -f5 other/other.rkey)
tid=$(cut -d+ -f5 third.rkey)
norm() { sed -E -e "s/\b$sid\b/<SECRET ID>/g; s/\b$oid\b/<OTHER ID>/g; s/\b$tid\b/<THIRD ID>/g"; }
ltl config set keys.read "$HOME/secret.rkey" 2>/dev/null
ltl append one
ltl append two
# refused writers write nothing
t ltl --config keys.read= append plain | norm
t ltl --config "keys.read=$HOME/other/other.rkey" append other | norm
t ltl --config keys.read= keys rotate-read other/other.rkey | norm
t ltl cat --format raw
# the rotation
t ltl keys rotate-read other/other.rkey | norm
t ltl config get keys.read
t ltl append three
t ltl cat --format raw
t ltl get /seq/5 | norm
t ltl --config "keys.read=$HOME/secret.rkey" cat --format raw | norm
t ltl --config "keys.read=$HOME/other/other.rkey" cat --format raw | norm
t ltl --config "keys.read=$HOME/secret.rkey" append four | norm
# what rotate-read refuses
t ltl keys rotate-read other/other.rkey | norm
t ltl keys rotate-read missing.rkey
t ltl keys rotate-read
t ltl keys
# keys.read from the environment: the store's file is not where it is set
export LTL_KEYS_READ="$HOME/other/other.rkey,$HOME/secret.rkey"
t ltl keys rotate-read third.rkey | norm
t ltl append five | norm
export LTL_KEYS_READ="$HOME/third.rkey,$HOME/other/other.rkey,$HOME/secret.rkey"
t ltl append five
t ltl cat --format raw
t ltl verify | sed -E 's/[0-9]+ MB\/s/<N> MB\/s/'
