# --bind: unions of stores (Plan 9 bind: before, after; one level deep)
ltl init ./a >/dev/null
ltl init ./b >/dev/null
ltl --store ./a append --topic both 'from a' >/dev/null
ltl --store ./a append --topic only_a 'a only' >/dev/null
ltl --store ./b append --topic both 'from b' >/dev/null
ltl --store ./b append --topic only_b 'b only' >/dev/null
# after (the default): a's topics first, then b's, each name once
t ltl --store ./a --bind ./b@/topics ls /topics/
t ltl --store ./a --bind ./b:after@/topics get /topics/both/ /topics/both/1 /topics/only_b/3
# before: b answers first
t ltl --store ./a --bind ./b:before@/topics ls /topics/
t ltl --store ./a --bind ./b:before@/topics get /topics/both/1
# at the root the union is one level deep: a's /topics answers alone
t ltl --store ./a --bind ./b ls /
t ltl --store ./a --bind ./b ls /topics/
# two binds, in order
ltl init ./c >/dev/null
ltl --store ./c append --topic only_c 'c only' >/dev/null
t ltl --store ./a --bind ./b@/topics --bind ./c:before@/topics ls /topics/
# errors
t ltl --store ./a --bind ./nope@/topics ls /
t ltl --store ./a --bind ./b@/nope ls /
t ltl --store ./a --bind ./b@/seq/1 ls /
t ltl --store ./a --bind :after ls /
t ltl --store ./a --bind
# create: appends go to the store bound for create; reads see the union
t ltl --store ./a --bind ./b:create@/topics append --print-seq --topic made 'made in b'
t ltl --store ./b get /topics/made/
t ltl --store ./a get /topics/made/
t ltl --store ./a --bind ./b:create@/topics get /topics/made/5
# a store bound for create must exist: it is not made
t ltl --store ./a --bind ./nope:create append x
