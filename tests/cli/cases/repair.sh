# golden-normalise: (offset|"offset":) ?\d+ => \1 <OFF>
# golden-normalise: \((\d+) bytes => (<N> bytes
# golden-normalise: \d+ bytes (cleared|moved) => <N> bytes \1
# golden-normalise: "(log_bytes|bytes|disk_bytes)":\d+ => "\1":<N>
# golden-normalise: from-\d+ => from-<OFF>
printf 'r1\nr2\nr3\nr4\n' | ltl append >/dev/null
store="$XDG_DATA_HOME/ltl/default"
seg="$store/log/0000000000000000.seg"
# damage record 2: it was synced, so this is corruption, not a torn tail
python3 "$CASE_DIR/../segtool.py" flip "$seg" 2 > /dev/null
t ltl append r5
t ltl cat --format raw
t ltl cat --format raw --to 1
t ltl get /seq/3
t ltl repair --dry-run
t ltl repair
# every intact record is still there, at its seq; the lost one is named
t ltl cat --format pretty
t ltl get /seq/2
t ltl verify
t ltl cat --topic _ltl --format raw --from 5
t ls "$store/repair"
t ltl repair --show
t ltl repair --show "$store"/repair/*/0000000000000000.seg.from-*
# nothing to do a second time; appends go on after the last seq
t ltl repair --dry-run
t ltl repair
t ltl append --print-seq r5
t ltl cat --format raw
