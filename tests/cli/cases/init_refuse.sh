# SPDX-License-Identifier: MIT
# `ltl init` (and every command that creates a store) over a directory that
# cannot become a store refuses and writes nothing (issue 10): a store whose LTL
# file was lost still holds its records in log/, and a new LTL (a new store id)
# would make them unreadable. A directory with other files is refused too, and
# neither gets a lock file. An empty log/ (a creation cut short) is fine.
snapshot() { (cd "$1" && find . -printf '%y %m %s %p\n' | sort && find . -type f -exec md5sum {} + | sort -k2); }

printf 'r1\nr2\nr3\n' | ltl --store s append
ltl --store s checkpoint >/dev/null 2>&1
rm s/LTL
before=$(snapshot s)
t ltl init s
t ltl --store s append r4
t ltl --store s cat
t ltl --store s stat
[ "$(snapshot s)" = "$before" ] && echo "s: every file as it was, none added"

# a directory with something else in it
mkdir other
echo notes > other/notes.txt
before=$(snapshot other)
t ltl init other
t ltl --store other append x
[ "$(snapshot other)" = "$before" ] && echo "other: every file as it was, none added"

# what a creation cut short leaves (log/ made, LTL not yet written) is fine
mkdir -p half/log
t ltl init half
t ls half
ltl --store half stat | grep '^records'

# the store whose LTL was lost: repair rebuilds it from the segment headers, and
# every record reads again with the same store id the segments carry
t ltl --store s repair
t ltl --store s verify
ltl --store s stat | grep '^records'
