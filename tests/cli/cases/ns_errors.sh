# ltl get/ls errors: clear messages and documented exit codes
ltl append --topic app '{"a":{"b":1}}' >/dev/null
ltl append --topic web 'plain text' >/dev/null
t ltl get
t ltl get /seq/99
t ltl get /seq/007
t ltl get seq/1
t ltl get /seq/1.json/nokey
t ltl get /seq/1.json/a/b/c
t ltl get /seq/1/x
t ltl get /seq/1.json/a/b/
t ltl get /seq/3.json
t ltl get /seq/1.json/a.env
t ltl get /seq/1.nosuchmodule
t ltl get '/seq/1.json/~2'
ltl get "/$(printf 'x%.0s' $(seq 5000))" 2>&1 | cut -c1-200; echo "[exit ${PIPESTATUS[0]}]"
t ltl get '/query/status >= (/'
t ltl ls /seq/1.json/nope
t ltl ls --nope
t ltl --store ./missing get /
t ltl --config ns.modules=/no/such/module.so get /
t ltl get --help
t ltl ls --help
t ltl mount --help
