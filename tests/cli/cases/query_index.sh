# Queries with the index, with --no-index, and their plans (--explain). Every answer is
# checked against --no-index; the plans are stable (the index is current after each
# command: the writer catches up at close).
cat > recs.jsonl <<'JSON'
{"level": "error", "code": 500, "path": "/api/a", "tags": ["x", "y"]}
{"level": "info", "code": 200, "path": "/api/b", "tags": ["y"]}
{"level": "error", "code": 503, "path": "/web/c", "user": {"name": "ann"}}
{"level": "warn", "code": 404, "path": "/api/d", "tags": []}
{"level": "info", "code": 200.0, "path": "/web/e", "user": {"name": "bob"}}
JSON
ltl import recs.jsonl
ltl append --topic other '{"level": "error", "code": 500}' >/dev/null
# a payload that is a bare scalar: its wildcard path is "" (the root)
ltl append 5 >/dev/null
ltl append '"just text"' >/dev/null
ltl append 'not json at all' >/dev/null
check() {
  a=$(ltl query "$@" --format csv --fields @seq)
  b=$(ltl query "$@" --no-index --format csv --fields @seq)
  [ "$a" = "$b" ] || echo "DIFFERS from --no-index: $*"
  printf '%s: %s\n' "$*" "$(echo "$a" | tail -n +2 | tr '\n' ' ')"
}
check 'level == error'
check 'code == 200'
check 'code >= 500'
check 'code < 300 and level == info'
check 'tags[] == y'
check 'tags[1] == y'
check 'user.name in [ann, bob]'
check 'path ~ "^/api/"'
check 'level == error' --topic other
check '@topic == other or code == 404'
check 'not level == error'
check '. == 5'
check '. == "just text"'
check 'exists tags'
check 'nosuch == 1'
check 'code != 500'
t ltl query 'code >= 500' --explain
t ltl query 'level == error and code == 503' --explain
t ltl query 'path ~ "^/web/"' --explain
t ltl query 'code == 200' --no-index --explain
t ltl query 'code == 200' --format table --fields @seq,level,code,path
t ltl query 'level == error' --count
t ltl query 'code == 200' --reverse --format csv --fields @seq,code
t ltl paths
t ltl paths user
# the index is derived: deleted, a writer rebuilds it; reindex builds it anew
rm -rf "$XDG_DATA_HOME/ltl/default/index"
ltl stat | grep '^index' | sed 's/, [0-9.]* [KMG]*i*B$//'
ltl append '{"level": "debug"}' >/dev/null
ltl stat | grep '^index' | sed 's/, [0-9.]* [KMG]*i*B$//'
check 'level == error'
t ltl reindex
check 'code >= 500'
# paused in this process (index.defer): queries scan what the index lacks
ltl --config index.defer=on append '{"level": "error", "code": 599}' >/dev/null
ltl stat | grep '^index' | sed 's/, [0-9.]* [KMG]*i*B$//'
check 'level == error'
t ltl query 'code >= 500' --explain
