# tail -f prints new records as they come, sleeping in between (no polling)
ltl append first >/dev/null
: > out
ltl tail -f --format raw > out 2>&1 &
pid=$!
for i in $(seq 100); do grep -q first out && break; sleep 0.1; done
ltl append second >/dev/null
printf 'third\nfourth\n' | ltl append --topic other >/dev/null
for i in $(seq 100); do grep -q fourth out && break; sleep 0.1; done
# idle for a second: a follower that polls would burn CPU time meanwhile
before=$(awk '{print $14 + $15}' /proc/$pid/stat)
sleep 1
after=$(awk '{print $14 + $15}' /proc/$pid/stat)
[ $((after - before)) -le 2 ] && echo "idle while waiting: yes" || echo "idle while waiting: NO ($before -> $after ticks)"
kill -INT $pid
wait $pid
echo "tail -f exit code: $?"
cat out
# a filtered follow starts at the end when nothing matches yet
: > out2
ltl tail -f --topic later --format raw > out2 2>&1 &
pid=$!
sleep 0.3
ltl append --topic later hello >/dev/null
for i in $(seq 100); do grep -q hello out2 && break; sleep 0.1; done
kill -TERM $pid
wait $pid
echo "exit code: $?"
cat out2
# a follow with a query: only matching records, as they come
: > out3
ltl tail -f --where 'level == "error" and code >= 500' --format raw > out3 2>&1 &
pid=$!
sleep 0.3
ltl append '{"level": "info", "code": 200}' '{"level": "error", "code": 503}' >/dev/null
ltl append '{"level": "error", "code": 404}' '{"level": "error", "code": 500}' >/dev/null
for i in $(seq 100); do grep -q '"code": 500' out3 && break; sleep 0.1; done
kill -TERM $pid
wait $pid
echo "exit code: $?"
cat out3
