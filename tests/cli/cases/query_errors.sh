# Malformed queries: the message names the column and what was expected; exit code 8,
# before any store is opened (none exists here)
t ltl query 'a =='
t ltl query 'a == 1 and'
t ltl query '(a == 1'
t ltl query 'a == 1)'
t ltl query 'a ~ "["'
t ltl query 'a in [1, 2'
t ltl query '@nosuch == 1'
t ltl query 'a == 1 or or b == 2'
t ltl query 'exists'
t ltl query '@ts > "not a time"'
t ltl query ''
# the same checks in export, and --where of cat
t ltl export 'a =='
t ltl cat --where 'b >'
# usage
t ltl query
t ltl query 'a == 1' 'b == 2'
t ltl query 'a == 1' --format xml
t ltl export --format xml
