# SPDX-License-Identifier: MIT
# A damaged field index is found before it is believed (issue 10, docs/INDEX.md
# section 3.6): one flipped bit in a postings entry. The query answers from the
# log with a warning (never a shorter count), leaves the mark that makes the
# next writer rebuild the index; verify says the log holds and the index does
# not (exit 5); the next writer rebuilds it, and it is used again.
cat > recs.jsonl <<'JSON'
{"level": "error", "code": 500}
{"level": "info", "code": 200}
{"level": "error", "code": 503}
{"level": "warn", "code": 404}
JSON
ltl import recs.jsonl
idx="$XDG_DATA_HOME/ltl/default/index"
norm() { sed -E 's/[0-9]+ MB\/s/<N> MB\/s/'; }
t ltl query 'level == error' --count
# flip a bit of the value "error" in its postings key
python3 - "$idx/data.mdb" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.find(b"\x20error\x00\x01")
d[i + 1] ^= 0x04
open(p, "r+b").write(d)
PY
t ltl query 'level == error' --count
t ltl query 'level == error' --count --no-index
t ls "$idx"
t ltl query 'level == error' --explain
t ltl verify | norm
t ltl verify --json | sed -E 's/"seconds":[0-9.]+/"seconds":<S>/'
t ltl stat | grep index
t ltl append '{"level": "error", "code": 502}'
t ls "$idx"
t ltl query 'level == error' --explain
t ltl query 'level == error' --count
t ltl verify | norm
# damage no query has read yet: repair finds it (it checks the whole index) and rebuilds
python3 - "$idx/data.mdb" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.find(b"\x20warn\x00\x01")
d[i + 1] ^= 0x04
open(p, "r+b").write(d)
PY
t ls "$idx"
t ltl repair
t ltl verify | norm
