# a writer holds the lock while it reads stdin
mkfifo in
ltl append --print-seq < in > seqs &
exec 3> in
echo first >&3
for i in $(seq 100); do [ -s seqs ] && break; sleep 0.1; done
t ltl append second
# readers are not blocked by the writer
t ltl cat --format raw
# (only the writer's pid: the index catches up at its own pace)
ltl stat --json | grep -o '"writer_pid":[0-9]*'
exec 3>&-
wait
t cat seqs
t ltl append second
t ltl cat --format raw
