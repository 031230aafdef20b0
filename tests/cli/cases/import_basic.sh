# ltl import: files and stdin in order, blank lines and CR LF, bad lines with their file,
# line and column, --keep-going, and the export round trip.
printf '{"n": 1}\n{"n": 2}\n\n{"n": 3}\r\n' > a.jsonl
printf '{"n": 4, "s": "x"}\n   \n{"n": 5, "s": "y"}' > b.jsonl
t ltl import a.jsonl b.jsonl
t ltl cat --format raw
printf '{"n": 6}\n{"n": 7}\n' | t ltl import --topic piped
t ltl query '@topic == piped' --format csv --fields @seq,n
printf '{"n": 8}\n' | t ltl import a.jsonl - b.jsonl --topic mixed
t ltl query '@topic == mixed' --format csv --fields @seq,n,s
# a bad line stops the import there; what came before is in
printf '{"n": 10}\n{"n": 11,}\n{"n": 12}\n' > bad.jsonl
t ltl import --topic bad bad.jsonl
t ltl query '@topic == bad' --format csv --fields n
# --keep-going: every bad line is reported and skipped, exit code 8 at the end
printf '{"n": 20}\n[1,\n{"n": 21}\ntrue false\n{"n": 22}\nnot json\n' > bad2.jsonl
t ltl import --topic kg --keep-going bad2.jsonl
t ltl query '@topic == kg' --format csv --fields n
# a line over message.max_size
printf '{"n": 30}\n{"pad": "%s"}\n{"n": 31}\n' "$(printf 'z%.0s' $(seq 3000))" > big.jsonl
t ltl --config message.max_size=2K import --topic big --keep-going big.jsonl
t ltl query '@topic == big' --format csv --fields n
# errors
t ltl import nosuch.jsonl
t ltl import --topic _ltl a.jsonl
t ltl import --jobs 0 a.jsonl
printf '\357\273\277{"bom": true}\n' | t ltl import --topic bom
t ltl query '@topic == bom' --format csv --fields bom
# indexed as it was imported
t ltl query 'n >= 21 and n < 31' --format csv --fields @seq,n
ltl stat | grep '^index' | sed 's/, [0-9.]* [KMG]*i*B$//'
