printf 'r1\nr2\nr3\nr4\n' | ltl append >/dev/null
seg="$XDG_DATA_HOME/ltl/default/log/0000000000000000.seg"
# damage record 2: it was synced, so this is corruption, not a torn tail
python3 "$CASE_DIR/../segtool.py" flip "$seg" 2 > /dev/null
t ltl append r5
t ltl cat --format raw
t ltl repair
t ltl cat --format raw
t ls "$XDG_DATA_HOME/ltl/default/repair"
t ltl cat --topic _ltl --format raw
t ltl append r5
t ltl cat --format raw
t ltl repair
