# The index never changes an answer, whatever state it is in; each case against --no-index.
# index.paths differs between the writer and a reader: the reader goes by the rules the
# index was built with (stored in it), not its own configuration
ltl --config index.paths=-secret append '{"secret": "x", "a": 1}' '{"a": 2}' >/dev/null
t ltl query 'secret == x' --format csv --fields @seq
t ltl query 'secret == x' --no-index --format csv --fields @seq
# a writer with other rules rebuilds the index for them
t ltl append '{"secret": "x"}'
t ltl query 'secret == x' --explain
t ltl query 'secret == x' --format csv --fields @seq
# the cap on distinct paths: known paths still come from the index, new ones scan
ltl --store capped --config index.max_paths=2 append '{"a": 1, "b": 2}' >/dev/null
t ltl --store capped --config index.max_paths=2 append '{"c": 3, "a": 1}'
t ltl --store capped query 'a == 1' --explain
t ltl --store capped query 'c == 3' --explain
t ltl --store capped query 'c == 3' --format csv --fields @seq
# a damaged index: a reader scans (with a warning), a writer rebuilds it
ltl --store damaged append '{"a": 1}' >/dev/null
head -c 65536 /dev/zero | tr '\0' 'x' > damaged/index/data.mdb
t ltl --store damaged query 'a == 1' --format csv --fields @seq
t ltl --store damaged append '{"a": 1}'
t ltl --store damaged query 'a == 1' --format csv --fields @seq
