# golden-normalise: (offset|"offset":) ?\d+ => \1 <OFF>
# golden-normalise: \((\d+) bytes => (<N> bytes
# golden-normalise: \d+ bytes (cleared|moved) => <N> bytes \1
# golden-normalise: "(log_bytes|bytes|disk_bytes)":\d+ => "\1":<N>
# golden-normalise: from-\d+ => from-<OFF>
# A running tail -f never stalls in silence: damage it meets is an error, and a
# repair while it follows moves no record, so it goes on with what comes after.
seg="$XDG_DATA_HOME/ltl/default/log/0000000000000000.seg"
printf 'r1\nr2\nr3\n' | ltl append >/dev/null
: > out
ltl tail -f --format raw > out 2>&1 &
pid=$!
for i in $(seq 100); do grep -q r3 out && break; sleep 0.1; done
# damage a record the follower passed, repair, append
python3 "$CASE_DIR/../segtool.py" flip "$seg" 2 > /dev/null
ltl repair > repair.out 2>&1
echo "repair exit: $?"
ltl append r4 >/dev/null
for i in $(seq 100); do grep -q r4 out && break; sleep 0.1; done
kill -INT $pid
wait $pid
echo "tail -f exit code: $?"
cat out
# a follower that starts on damage says so and stops (exit 5), it does not wait
python3 "$CASE_DIR/../segtool.py" flip "$seg" 4 > /dev/null
t timeout 10 ltl tail -f --format raw
