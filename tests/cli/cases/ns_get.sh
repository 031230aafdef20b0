# ltl get: records, values after .json (JSON Pointer tokens), transforms, listings
ltl append --topic app '{"user":{"name":"alice","tags":["a","b"]},"k.d":1,"x/y":2,"t~":3,"日本":"はい"}' >/dev/null
ltl append --topic web 'plain text' >/dev/null
ltl append --topic app '{"status":500,"a":{"b":{"c":[true,null]}}}' >/dev/null
t ltl get /seq/1
t ltl get /seq/1.json/user/name
t ltl get /seq/1.json/user/tags/1
t ltl get '/seq/1.json/x~1y' '/seq/1.json/t~0' /seq/1.json/k.d /seq/1.json/日本
t ltl get /seq/1.json/user
t ltl get /seq/1.json/user/
t ltl get /seq/5.json/a/b/c/0
t ltl get /seq/1.flat
t ltl get /seq/1.json/user.flat
t ltl get /seq/5.json/a.flat
t ltl get /seq/3.env/topic /seq/3.env/kind /seq/3.env/json /seq/3.env/size
t ltl get /seq/3
t ltl get -r /seq/3
echo
# directories without data print their entries
t ltl get /
t ltl get /seq/
t ltl get /topics/
t ltl get /topics/app/
t ltl get /topics/app/5.json/status
t ltl get '/query/status >= 500/'
t ltl get '/query/user.tags[] == "b"/'
t ltl get '/query/status >= 500/5.json/a/b'
t ltl get /manifests/
t ltl get /manifests/4.json/version
# paths normalise on the text: empty segments, ".", ".." (also at the root)
t ltl get '//seq//1.json/./user/../user/name'
t ltl get '/../../seq/5.json/a//../a/b/c/1'
# checkpoints and proofs
# (each writer checkpoints when it closes)
t ltl get /checkpoints/
ltl get /checkpoints/latest | head -2 | sed 's/[0-9a-f]\{32\}/<ID>/'
ltl get /seq/1.proof | head -1
# the .raw body: the envelope header (32 bytes), the topic, the payload
ltl get -r /seq/3.raw | tail -c 13; echo
