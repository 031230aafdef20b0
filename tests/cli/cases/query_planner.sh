# Planner regressions, each checked against --no-index (a full scan, the matcher alone).
#
# `a != 5` where a holds only objects: containers are not indexed, so the index knows no
# path `a`; the planner took that for "no record has a" and answered nothing, but an
# object != 5 is true (docs/QUERY.md). Expected: seq 1 both ways.
ltl append '{"a": {"x": 1}}' >/dev/null
t ltl query 'a != 5' --format csv --fields @seq
t ltl query 'a != 5' --no-index --format csv --fields @seq
# `~` on such a path: false for containers, both ways
t ltl query 'a ~ x' --format csv --fields @seq
t ltl query 'a ~ x' --no-index --format csv --fields @seq
# A range term with no candidates sorted an empty candidate array: qsort(NULL, 0), which
# UBSan reports (src/store/query.c). Expected: no records, no error.
ltl append '{"n": 1}' >/dev/null
t ltl query 'n > 100' --format csv --fields @seq
t ltl query 'n > 100' --no-index --format csv --fields @seq
# Two bounds on one path are one interval in the index where no record held two values
# under it; where one did (here an array, then a repeated key), a record may meet each
# bound with a different value: the terms stay apart. Each checked against --no-index.
ltl append '{"n": 3}' '{"n": 7}' '{"m": [1, 9]}' '{"m": 5}' '{"k": 1, "k": 9}' >/dev/null
t ltl query 'n >= 2 and n < 5' --explain
t ltl query 'n >= 2 and n < 5' --format csv --fields @seq
t ltl query 'n >= 2 and n < 5' --no-index --format csv --fields @seq
t ltl query 'm[] > 2 and m[] < 8' --explain
t ltl query 'm[] > 2 and m[] < 8' --format csv --fields @seq
t ltl query 'm[] > 2 and m[] < 8' --no-index --format csv --fields @seq
t ltl query 'k > 2 and k < 8' --format csv --fields @seq
t ltl query 'k > 2 and k < 8' --no-index --format csv --fields @seq
