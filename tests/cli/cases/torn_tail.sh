# a torn tail after a crash (garbage after the end, past the synced point)
# is truncated on open and recorded in _ltl; nothing is lost that was synced
printf 'a\nb\n' | ltl append >/dev/null
seg="$XDG_DATA_HOME/ltl/default/log/0000000000000000.seg"
end=$(python3 "$CASE_DIR/../segtool.py" frames "$seg" | tail -1 | awk '{print $2 + 8 + $3}')
# a half-written frame (length says 200 bytes, only garbage follows) at the end
python3 -c "
import sys, struct
f = open(sys.argv[1], 'r+b'); f.seek((int(sys.argv[2]) + 7) & ~7)
f.write(struct.pack('<II', 200, 12345) + b'torn!')" "$seg" "$end"
# pretend the crash came before the last sync was recorded
python3 -c "
import sys; f = open(sys.argv[1], 'r+b'); f.write(bytes(128))" "$XDG_DATA_HOME/ltl/default/log/synced"
t ltl cat --format raw
t ltl append c
t ltl cat --format raw
t ltl cat --topic _ltl --format raw
