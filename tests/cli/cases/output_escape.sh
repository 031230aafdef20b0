# Human output escapes what could act on a terminal or hide text: control characters
# (ESC, CR, backspace, NUL...), C1 and bidi controls, bytes that are not UTF-8
# (docs/OUTPUT.md). Machine formats (jsonl, json-seq, csv, raw and get to a file or a
# pipe) stay byte-exact. `script` runs a command on a terminal (a pty; its CR LF line
# ends are undone with tr).
onterm() { script -q -e -c "$*" /dev/null </dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }
# a text line: colour, clear screen, CR over the line, backspace, NUL, RLO (bidi), a
# byte that is not UTF-8, C1 CSI, a line separator, a tab, a backslash
printf 'red \033[31mRED\033[0m \033[2J\rover\bb\000nul \342\200\256olleh\377 \302\233c\342\200\250\tx\\y\n' > hostile.txt
ltl append --raw --topic "$(printf 'evil\342\200\256pot')" < hostile.txt
# JSON: control characters only as JSON escapes, but bidi controls as they are (RLO)
ltl append "$(printf '{"k\\u001b[2J":"v\\u001b]0;title\\u0007","\342\200\256name":"x\\ty","":"empty key"}')"
ltl append --topic plain 'just text'
# seqs 1, 3, 5 (each append's manifest comes first)
# human: pretty (always), raw on a terminal, table, flat on a terminal, ls, get on a terminal
t ltl cat --format pretty
t onterm ltl cat --format raw
t ltl query '@seq > 0' --format table --fields @seq,@topic,message
t ltl query '@seq == 3' --format table --fields '@seq,["k\u001b[2J"],["\u202ename"],[""]'
t onterm ltl query "'@seq == 1'" --format flat
t ltl ls /seq/3.json/
t ltl ls -l /topics/
t onterm ltl get /seq/1
t onterm ltl get /seq/3.json/~e
# messages quoting data: a path, a query echoed back
t sh -c 'ltl get "/seq/3.json/$(printf "no\033[2Jsuch")"'
t sh -c 'ltl query "$(printf "a == \033[31m\001")"'
t sh -c 'ltl cat --where "$(printf "a == \033[31m")"'
# machine formats: exact bytes
t sh -c 'ltl cat --from 1 --to 1 --format raw > out.raw && cmp out.raw hostile.txt && echo raw is exact'
t sh -c 'ltl get -r /seq/1 > out.get && head -c -1 hostile.txt | cmp - out.get && echo get is exact'
t sh -c 'ltl query "@seq == 1" --format csv --fields message > out.csv && (echo message; printf "\""; head -c -1 hostile.txt; printf "\"\n") | cmp - out.csv && echo csv is exact'
t sh -c 'ltl query "@seq == 1" --format csv --fields @topic | od -c'
t sh -c 'ltl export "@seq == 3" | od -c'
t sh -c 'ltl export "@seq == 3" --format json-seq | od -c | head -n 1'
t sh -c 'ltl cat --from 3 --to 3 | grep -c "$(printf "\"\342\200\256name\"")"'
