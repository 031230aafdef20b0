# SPDX-License-Identifier: MIT
# An interrupted `ltl import` says how far it got, and `--skip N` resumes it
# without duplicates (issue 10). N counts the lines of the inputs in the order
# given, each file's lines on their own (a last line without a newline is a
# line), blank and rejected lines included; bad lines keep their file's numbers.
printf '{"n":1}\n{"n":2}\n\n{"n":3}' > a.jsonl   # 4 lines, the last without a newline
printf '{"n":4}\nnot json\n{"n":5}\n' > b.jsonl  # 3 lines, the second bad
t ltl import --topic all --keep-going a.jsonl b.jsonl
t ltl query '@topic == all' --format csv --fields n
# skip all of a.jsonl (4 lines) and the first line of b.jsonl
t ltl import --topic s5 --keep-going --skip 5 a.jsonl b.jsonl
t ltl query '@topic == s5' --format csv --fields n
# skip into a.jsonl: the blank line and the last line without a newline
t ltl import --topic s2 --skip 2 a.jsonl
t ltl query '@topic == s2' --format csv --fields n
t ltl import --topic s4 --skip 4 a.jsonl b.jsonl
t ltl query '@topic == s4' --format csv --fields n
# standard input
printf '{"n":1}\n{"n":2}\n{"n":3}\n' | t ltl import --topic stdin --skip 2
t ltl query '@topic == stdin' --format csv --fields n
# past the end: nothing left, and it says so
t ltl import --topic none --skip 9 a.jsonl b.jsonl
t ltl import --skip -1 a.jsonl
t ltl import --skip x a.jsonl

# interrupted: input through a pipe that stays open, SIGINT once records are in.
# The pipe gets all but the last line of big.jsonl, and that line without its
# newline: whenever the signal comes, that line is not imported yet.
seq 1 300001 | awk '{printf "{\"n\":%d}\n", $1}' > big.jsonl
mkfifo pipe
ltl import --topic big pipe 2> import.err &
pid=$!
exec 3> pipe
head -n 300000 big.jsonl >&3
printf '{"n":300001}' >&3
for i in $(seq 600); do
  count=$(ltl query '@topic == big' --count 2>/dev/null)
  [ "${count:-0}" -gt 0 ] && break
  sleep 0.1
done
kill -INT $pid
wait $pid
echo "[import exit $?]"
exec 3>&-
# the counts change from run to run (where the blocks end): the message's form
sed -E 's/[0-9]+/N/g' import.err
# and what it says is exact
records=$(grep -o '[0-9]* records imported' import.err | cut -d' ' -f1)
skip=$(grep -o 'skip [0-9]*' import.err | cut -d' ' -f2)
next=$(grep -o 'pipe:[0-9]*' import.err | cut -d: -f2)
count=$(ltl query '@topic == big' --count)
[ "$records" = "$count" ] && echo "the records it says it imported are in the store"
[ "$skip" = "$count" ] && echo "--skip N: N is the lines done (no blank or bad lines here)"
[ "$next" = $((skip + 1)) ] && echo "the next line is line N+1"
[ "$count" -lt 300001 ] && echo "and the import stopped before the end"
# the same command with --skip N goes on where it stopped: every line once
echo '$ ltl import --topic big --skip N big.jsonl'
ltl import --topic big --skip "$skip" big.jsonl
echo "[exit $?]"
t ltl query '@topic == big' --count
echo "duplicates: $(ltl query '@topic == big' --format csv --fields n | sort | uniq -d | wc -l)"
