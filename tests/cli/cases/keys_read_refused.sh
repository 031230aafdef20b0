# SPDX-License-Identifier: MIT
# Keys are enforced for readers (issue 10): a message sealed with a read key
# that keys.read does not hold is never printed as if its ciphertext were the
# message. Every command that would print a payload exits 13 and names the
# record and the read key it was sealed with: cat (jsonl, raw, pretty,
# --where), tail, get /seq/N (and .json, a pointer into it, .flat), export
# (jsonl, csv), query (jsonl, table; --count of a query on the payload).
# Records written before the store sealed anything stay readable by seq.
# Envelopes stay listable with no key: cat --format envelope (also with an
# envelope-only --where), export and query --format table with @ fields
# only, query --count of envelope terms, ls /seq/, /topics/, /topics/T/,
# /query/EXPR/, get .env, stat, verify (the leaves hash the ciphertext).
ltl keygen --read secret >/dev/null
sid=$(cut -d+ -f5 secret.rkey)
norm() { sed -E -e "s/\b$sid\b/<SECRET ID>/g" -e 's/[0-9]+ MB\/s/<N> MB\/s/'; }
ltl append plain
ltl config set keys.read "$HOME/secret.rkey" 2>/dev/null
ltl append hello
ltl append '{"name":"ann","n":1}'
t ltl cat --format raw
export LTL_KEYS_READ=
# the record written before the key: readable
t ltl cat --to 1 --format raw
# the formats that print payloads: the plaintext record, then exit 13 (the
# message comes first here only because stdout is not a terminal)
t ltl cat | norm
t ltl cat --format raw | norm
t ltl cat --from 2 --format pretty | norm
t ltl cat --where '@seq >= 2' | norm
t ltl tail -n 1 | norm
# the namespace: the record is there, its payload is not ours to read
t ltl get /seq/5 | norm
t ltl get /seq/5.json | norm
t ltl get /seq/5.json/name | norm
t ltl get /seq/5.flat | norm
t ltl ls /seq/5.json/ | norm
# export and query
t ltl export | norm
t ltl export --format csv | norm
t ltl query '@seq >= 2' | norm
t ltl query 'name == ann' --no-index | norm
t ltl query 'name == ann' --no-index --count | norm
t ltl query '@seq >= 0' --format table | norm
t ltl ls '/query/name ~ "^a"/' | norm
# envelopes need no key
t ltl cat --format envelope
t ltl cat --format envelope --where '@seq >= 2'
t ltl cat --format envelope --where 'name ~ "^a"' | norm
t ltl tail -n 1 --format envelope
t ltl export --fields @seq,@topic
t ltl export --format csv --fields @seq,@topic
t ltl export '@seq >= 2' --fields @seq
t ltl query '@seq >= 0' --count
t ltl query '@seq >= 0' --format table --fields @seq,@topic
t ltl ls /seq/
t ltl ls /topics/
t ltl ls /topics/default/
t ltl ls '/query/@seq >= 2/'
t ltl get /seq/5.env/encrypted /seq/5.env/sealed /seq/5.env/topic
ltl stat | grep '^records'
t ltl verify | norm
