# --json rejects a line that is not JSON: the lines before it are kept
printf '{"a":1}\nnot json\n{"b":2}\n' | t ltl append --json --print-seq
t ltl cat --format raw
# --keep-going reports each bad line and goes on; the exit code says something was rejected
printf '{"c":3}\n[1,\n{"d":4}\ntrue false\n' | t ltl append --json --keep-going --print-seq
t ltl cat --format raw
# topics
t ltl append --topic 'has space' x
t ltl append --topic _ltl x
t ltl append --topic a/b x
t ltl append --topic "$(printf 'x%.0s' $(seq 300))" x
t ltl append --topic "$(printf 'bad\xff')" x
t ltl append --topic 日本 ok
t ltl cat --topic 日本 --format raw
# size limit
t ltl --config message.max_size=1K append "$(printf 'y%.0s' $(seq 1100))"
printf '%s\n' "$(printf 'z%.0s' $(seq 3000))" ok-after | t ltl --config message.max_size=2K append --keep-going --print-seq
# usage errors
t ltl append --nope
t ltl cat --from
t ltl cat --from x
t ltl nosuchcommand
t ltl cat --format xml
t ltl cat --since yesterdayish
