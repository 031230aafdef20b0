# ltl flatten: the four formats of one document
printf '{"a":1,"b":[true,{}],"c d":{"":null},"e":[],"s":"x\\ty\\u00e9","n":1.50,"k":{"a.b":-0}}' > doc.json
t ltl flatten doc.json
t ltl flatten --format json doc.json
t ltl flatten -f tsv doc.json
t ltl flatten --format=gron doc.json
# the root; JSON Lines: an empty line between documents (lines, tsv), one object per line (json)
echo 5 | t ltl flatten
printf '{"a":1}\n[2]\n"x"\n' | t ltl flatten
printf '{"a":1}\n[2]\n"x"\n' | t ltl flatten -f json
printf '{"a":1}\n[2]\n' | t ltl flatten -f gron
# several inputs; '-' is standard input
printf '{"f":1}' > one.json
printf '{"g":2}' | t ltl flatten one.json - one.json
# back again from every format (detected, or named with --format)
for f in lines json tsv gron; do ltl flatten -f $f doc.json > flat.$f; t ltl flatten --unflatten flat.$f; done
t ltl flatten -u --format lines flat.lines
printf '{"a":1}\n{"b":{"c":[1,2]}}\n' | ltl flatten | t ltl flatten -u
# statements in any order merge into their containers; skipped indexes are null
printf 'b[2] = 3\na.x = 1\nb[0] = 1\na.y = 2\n' | t ltl flatten -u
# --paths: the distinct wildcard paths and how many values each has
printf '{"authors":[{"key":"a"},{"key":"b"}],"title":"t"}\n{"authors":[],"title":"u"}\n' | t ltl flatten --paths
# forcing the input mode
printf '{"a":1}\n{"a":2}\n' | t ltl flatten --document
printf '{\n"a":1}\n' | t ltl flatten --lines
printf '{\n"a":1}\n{"a":\n2}\n' | t ltl flatten
t ltl flatten --help
