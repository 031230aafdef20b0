module ltl.local/ltl

go 1.19
