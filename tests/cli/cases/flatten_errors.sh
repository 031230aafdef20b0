# a bad document: file, line and column of the first error; exit 8
printf '{"a": [1,\n 2,]}' > bad.json
t ltl flatten bad.json
printf '["\xff"]' | t ltl flatten
# JSON Lines: without --keep-going the first bad line stops it (the lines before are written)
printf '{"a":1}\n{"b":\n{"c":3}\n' | t ltl flatten
# with --keep-going every bad line is reported and skipped, the rest flattened, exit 8
printf '{"a":1}\n{"b":\n[1] x\n{"c":3}\nnul\n' | t ltl flatten --keep-going
printf '{"a":1}\n{"b":\n[1] x\n{"c":3}\n' | t ltl flatten --keep-going -f json
# --jobs: the same output and the same bad line numbers as one thread, over several jobs
seq 1 40000 | awk '{ if ($1 % 9973 == 0) print "{\"bad\":"; else printf "{\"i\":%d,\"s\":\"line %d\",\"a\":[%d,{\"k\":true}]}\n", $1, $1, $1 }' > big.jsonl
ltl flatten --keep-going big.jsonl > one.out 2> one.err; echo "one thread: exit $?"
ltl flatten --keep-going --jobs 3 big.jsonl > three.out 2> three.err; echo "three threads: exit $?"
cmp one.out three.out && cmp one.err three.err && echo "same output, same errors"
cat three.err
wc -l < one.out
ltl flatten -j 2 -f json big.jsonl 2>/dev/null | head -2
# the nesting limit
printf '[[[1]]]' | t ltl flatten --max-depth 2
printf '[[1]]' | t ltl flatten --max-depth 2
# unflatten errors name the line
printf 'a = 1\nb[x] = 2\n' | t ltl flatten -u
printf 'a = 1\n. = 2\n' | t ltl flatten -u
# empty input: nothing to do, unless one document is required
t ltl flatten < /dev/null
t ltl flatten --document < /dev/null
# a reader that goes away is not an error
ltl flatten big.jsonl | head -1; echo "exit ${PIPESTATUS[0]}"
# usage errors
t ltl flatten --format xml
t ltl flatten --jobs x
t ltl flatten --unflatten --paths
t ltl flatten --document --keep-going
t ltl flatten --max-depth 0
t ltl flatten no-such-file.json
