for i in 1 2 3 4 5 6; do echo "m$i"; done | ltl append --topic a >/dev/null
for i in 7 8 9; do echo "m$i"; done | ltl append --topic b >/dev/null
t ltl cat --format raw --from 3 --to 5
t ltl cat --format raw -n 2
t ltl cat --format raw --reverse -n 3
t ltl cat --format raw --reverse --topic a --from 2
t ltl tail -n 2 --format raw
t ltl tail -n 2 --topic a --format raw
t ltl cat --format raw --since -1h --until now
t ltl cat --format raw --since 2000-01-01 --until 2000-01-02
t ltl cat --format raw --until 2000-01-01
t ltl cat --from 5 --to 3
t ltl cat --format raw --from 100
