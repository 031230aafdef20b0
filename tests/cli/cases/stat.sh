t ltl stat
t ltl init
t ltl init
t ltl stat
printf 'a\nb\n' | ltl append
t ltl stat --json
t ltl init ./other
t ltl --store ./other stat
mkdir notastore && echo hi > notastore/file
t ltl --store notastore append x
t ltl --store notastore/file append x
