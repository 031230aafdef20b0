t ltl help
for c in init append cat tail stat repair config help version; do
  ltl "$c" --help > /dev/null || echo "no --help for $c"
done
t ltl help append
t ltl help exit-codes
t ltl help nosuch
ltl --version | head -1
ltl -V | sed -n 2p | sed 's/:.*//'
t ltl
