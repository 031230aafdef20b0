# golden-normalise: (tokens of read key|not of keys.read|sealed with read key) [0-9a-f]{8}\b => \1 <KEY ID>
# SPDX-License-Identifier: MIT
# The index of an encrypted store holds no plaintext (issue 10, docs/INDEX.md
# section 1.1): with keys.read, values and paths of sealed records are indexed
# as keyed tokens. Equality and `in` use them with the key; a range on a sealed
# value scans; without the key the plan shows no counts. Every answer is
# checked against --no-index. Index files are 0600 in a 0700 directory.
ltl keygen --read secret >/dev/null
ltl config set keys.read "$HOME/secret.rkey" 2>/dev/null
cat > recs.jsonl <<'JSON'
{"customer": "zanzibar-trading", "amount": 41977, "card": {"last4": "8831"}, "tags": ["refund"]}
{"customer": "quetzal-foods", "amount": 120, "card": {"last4": "0042"}, "tags": ["refund", "vip"]}
{"customer": "zanzibar-trading", "amount": 7, "card": {"last4": "8831"}, "tags": []}
JSON
ltl import --topic pay recs.jsonl
ltl append --topic pay '{"customer": "quetzal-foods", "amount": 99}' >/dev/null
idx="$XDG_DATA_HOME/ltl/default/index"
# no value and no path of a record in the index files, in any form
for s in zanzibar quetzal 41977 8831 0042 refund customer last4 amount; do
  printf '%s: %s\n' "$s" "$(cat "$idx"/*.mdb | grep -c -a "$s")"
done
t stat -c '%a %n' "$idx" "$idx/data.mdb" "$idx/lock.mdb" | sed "s#$idx#STORE/index#"
check() {
  a=$(ltl query "$@" --format csv --fields @seq)
  b=$(ltl query "$@" --no-index --format csv --fields @seq)
  [ "$a" = "$b" ] || echo "DIFFERS from --no-index: $*"
  printf '%s: %s\n' "$*" "$(echo "$a" | tail -n +2 | tr '\n' ' ')"
}
check 'customer == zanzibar-trading'
check 'card.last4 == "8831"'
check 'customer in [quetzal-foods, nobody]'
check 'tags[] == vip'
check 'amount >= 100'
check 'amount == 99'
t ltl query 'customer == zanzibar-trading' --explain
t ltl query 'amount >= 100' --explain
t ltl query 'amount >= 100 and customer == quetzal-foods' --explain
# the topic is in the envelope, plaintext in the log: plaintext in the index
t ltl query '@topic == pay' --explain
# without the key: a payload term cannot be answered (a sealed record might match),
# by index or scan alike: exit 13 naming the record; the plan scans and has no
# count to give away
t ltl --config keys.read= query 'customer == zanzibar-trading' --count
t ltl --config keys.read= query 'customer == zanzibar-trading' --count --no-index
t ltl --config keys.read= query 'customer == zanzibar-trading' --explain
t ltl --config keys.read= query 'customer == nobody' --explain
# paths: named with the key, none without
t ltl paths
t ltl --config keys.read= paths
# verify compares the tokens with the log when it has the key
t ltl verify --json | sed -E 's/"seconds":[0-9.]+/"seconds":<S>/'
t ltl --config keys.read= verify --json | sed -E 's/"seconds":[0-9.]+/"seconds":<S>/'
