# SPDX-License-Identifier: MIT
# verify with a check key and no signed checkpoint (issue 10): everything it
# checked holds, so it exits 0, but it never says a plain "ok": the line says
# "ok, but no signed checkpoint" and a warning says what is missing and what
# to run; --json carries the warning. Without a check key there is nothing to
# warn about; once a checkpoint is signed, a plain ok (the unsigned ones made
# before keys.write was set are counted as such).
ltl keygen mylog >/dev/null
norm() {
  sed -E -e 's/[0-9]+ MB\/s/<N> MB\/s/' -e 's/"seconds":[0-9.]+/"seconds":<S>/; s/"bytes":[0-9]+/"bytes":<B>/'
}
ltl append a
ltl append b
t ltl --config "keys.check=$HOME/mylog.ckey" verify | norm
t ltl --config "keys.check=$HOME/mylog.ckey" verify --tail | norm
t ltl --config "keys.check=$HOME/mylog.ckey" verify --json | norm
t ltl verify | norm
ltl config set keys.write "$HOME/mylog.wkey" 2>/dev/null
ltl checkpoint >/dev/null
t ltl --config "keys.check=$HOME/mylog.ckey" verify | norm
t ltl verify --json | norm
