# SPDX-License-Identifier: MIT
# Key files (issue 4): `ltl keygen` writes the write key with mode 0600 and the
# check key with 0644 (the umask can only narrow them), a read key with 0600;
# it never overwrites a key file (exit 2), and when one of the pair exists it
# writes neither. A store refuses a write key that group or others may read
# (exit 10, with the chmod 600 hint) and a key whose text was changed (exit 13).
t ltl keygen mylog
t stat -c '%a %s %n' mylog.wkey mylog.ckey
t grep -c '^PRIVATE+KEY+mylog+[0-9a-f]\{8\}+[A-Za-z0-9+/]\{44\}$' mylog.wkey
t grep -c '^mylog+[0-9a-f]\{8\}+[A-Za-z0-9+/]\{44\}$' mylog.ckey
sums=$(md5sum mylog.wkey mylog.ckey)
t ltl keygen mylog
[ "$(md5sum mylog.wkey mylog.ckey)" = "$sums" ] && echo "both key files unchanged"
mv mylog.ckey kept.ckey
t ltl keygen mylog
t ls
mv mylog.wkey kept.wkey
mv kept.ckey mylog.ckey
t ltl keygen mylog
t ls
t ltl keygen --read mylog
t stat -c '%a %n' mylog.rkey
t ltl keygen --read mylog
(umask 077 && ltl keygen narrow >/dev/null)
t stat -c '%a %n' narrow.wkey narrow.ckey
t ltl keygen 'two words'
t ltl keygen x --dir nowhere

# a store with the write key
ltl config set keys.write "$HOME/narrow.wkey" 2>/dev/null
t ltl append one
chmod 640 narrow.wkey
t ltl append two
chmod 604 narrow.wkey
t ltl append two
chmod 600 narrow.wkey
# the key text changed (one base64 digit): its id no longer matches
cp narrow.wkey changed.wkey
python3 -c "
import sys
t = open(sys.argv[1]).read(); i = len(t) - 10
open(sys.argv[1], 'w').write(t[:i] + ('B' if t[i] == 'A' else 'A') + t[i + 1:])" changed.wkey
chmod 600 changed.wkey
t ltl --config "keys.write=$HOME/changed.wkey" append three |
  sed -E 's/key id [0-9a-f]{8} does not match the key \([0-9a-f]{8}\)/key id <ID> does not match the key (<KEY ID>)/'
t ltl cat --format raw
