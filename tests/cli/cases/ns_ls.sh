# ltl ls: directories with '/', -l with type, size and record time, -d
ltl append --topic app '{"user":{"name":"alice"},"list":[1,{"x":2}],"a/b":{}}' >/dev/null
ltl append --topic web 'plain text' >/dev/null
t ltl ls
t ltl ls /seq/1.json
t ltl ls /seq/1.json/list /seq/1.json/user
t ltl ls -l /seq/1.json
t ltl ls -l /topics/
# the manifest records (0, 2) vary in size with the writer's pid: -l only on the data ones
t ltl ls /seq/
t ltl ls -l /seq/1 /seq/3
t ltl ls /seq/3
t ltl ls -d /topics/
t ltl ls -ld /seq/1.json/user/name
t ltl ls /manifests/ /checkpoints/ /query/
t ltl ls '/seq/1.json/a~1b'
