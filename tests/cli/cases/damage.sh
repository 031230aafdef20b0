# golden-normalise: (offset|"offset":) ?\d+ => \1 <OFF>
# golden-normalise: \((\d+) bytes => (<N> bytes
# golden-normalise: \d+ bytes (cleared|moved) => <N> bytes \1
# golden-normalise: "(log_bytes|bytes|disk_bytes)":\d+ => "\1":<N>
# golden-normalise: from-\d+ => from-<OFF>
# Damage is reported by every reader, named by file and offset, never a
# shorter log with exit 0; a crash tail beyond the durable point is not damage.
store="$XDG_DATA_HOME/ltl/default"
seg="$store/log/0000000000000000.seg"
frames() { python3 "$CASE_DIR/../segtool.py" frames "$seg"; }
for i in 1 2 3 4 5 6; do echo "{\"n\": $i}"; done | ltl append >/dev/null

echo "--- a crash tail (bytes after the synced end) is the end of the log, not damage"
end=$(frames | tail -1 | awk '{print $2 + 8 + $3}')
python3 -c "
import sys, struct
f = open(sys.argv[1], 'r+b'); f.seek((int(sys.argv[2]) + 7) & ~7)
f.write(struct.pack('<II', 200, 12345) + b'torn!')" "$seg" "$end"
t ltl stat --json
t ltl verify
t ltl cat --format raw
t ltl append '{"n": 7}'

echo "--- one flipped byte in a synced record: every reader says so"
python3 "$CASE_DIR/../segtool.py" flip "$seg" 3 > /dev/null
t ltl stat
t ltl cat --format raw
t ltl tail -n 2 --format raw
t ltl query --count 'n >= 0'
t ltl query 'n >= 0' --format json
t ltl export
t ltl get /seq/3
t ltl get /seq/5
t ltl ls /seq/
t ltl verify
echo "records before the damage stay readable with a range:"
t ltl cat --format raw --to 2
t ltl get /seq/1

echo "--- overwritten padding after a frame"
ltl repair > /dev/null 2>&1
# record 1 ({"n": 1}: a 47-byte body, one byte of padding)
read off len <<< "$(frames | awk '$1 == 1 {print $2, $3}')"
printf 'X' | dd of="$seg" bs=1 seek=$((off + 8 + len)) conv=notrunc status=none
t ltl cat --format raw
echo "the record is whole (no checksum covers the padding): repair keeps it"
t ltl repair

echo "--- a damaged segment header, a damaged LTL"
ltl repair > /dev/null 2>&1
python3 -c "
import sys; f = open(sys.argv[1], 'r+b'); f.seek(50); b = f.read(1); f.seek(50); f.write(bytes([b[0] ^ 1]))" "$seg"
t ltl cat --format raw
t ltl repair
python3 -c "
import sys; f = open(sys.argv[1], 'r+b'); f.seek(20); b = f.read(1); f.seek(20); f.write(bytes([b[0] ^ 1]))" "$store/LTL"
t ltl stat
t ltl repair --dry-run
t ltl repair
t ltl cat --format raw

echo "--- a record too small for its marker to keep its leaf: the repair event keeps it"
ltl checkpoint > /dev/null
n=$(frames | wc -l)
python3 "$CASE_DIR/../segtool.py" flip "$seg" $((n - 2)) > /dev/null
t ltl repair
rm "$store/log/tree.hashes"
t ltl append '{"n": 8}'
t ltl verify
