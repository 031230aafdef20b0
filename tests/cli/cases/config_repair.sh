# SPDX-License-Identifier: MIT
# Configuration that can be repaired (issue 10): a bad line in a config file does
# not block the `config list/set/unset` that fix it (they warn about it); every
# other command refuses the configuration until it is fixed. `config set` refuses
# what the loader refuses (one check: checkpoint.origin must be a name a
# checkpoint can carry). `config get checkpoint.origin` shows the origin in
# effect, ltl/<store id> by default. `--store ''` is a usage error.
store="$XDG_DATA_HOME/ltl/default"

# the origin in effect: no store yet, then the store's default, then a set one
t ltl config get checkpoint.origin
ltl init >/dev/null
id=$(ltl stat --json | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
[ "$(ltl config get checkpoint.origin)" = "ltl/$id" ] && echo "checkpoint.origin is ltl/<the store id>"
t ltl config list --origin | grep origin
ltl checkpoint 2>/dev/null | head -1 | grep -q "^ltl/$id$" && echo "and so is the checkpoints' origin line"
t ltl config set checkpoint.origin example.com/log
t ltl config get checkpoint.origin
ltl checkpoint 2>/dev/null | head -1

# config set refuses an origin a checkpoint cannot carry
t ltl config set checkpoint.origin 'my log'
t ltl config set checkpoint.origin 'a+b'
t ltl config get checkpoint.origin
t ltl --config 'checkpoint.origin=my log' append x
LTL_CHECKPOINT_ORIGIN='a+b' t ltl append x

# bad lines, written by hand: list warns and shows the rest
cat > "$store/config" <<'EOF'
# written by hand
durabilty = paranoid
checkpoint.origin = my log
segment.size = 1M
just some text
EOF
t ltl config list
t ltl append x
t ltl config get segment.size
# set replaces the bad origin line, unset removes the misspelt key
t ltl config set checkpoint.origin example.com/log
t ltl config unset durabilty
t ltl config unset durabilty
t ltl config unset nosuch
# the last bad line needs an editor: list still warns
t ltl config list --origin
sed -i '/just some text/d' "$store/config"
t ltl config list --origin
t cat "$store/config"
t ltl append --print-seq x
# a bad environment variable: left out by list, refused by the others
LTL_SYNC_INTERVAL=soon t ltl config list
LTL_SYNC_INTERVAL=soon t ltl append x

# an empty store path is a usage error, not the current directory
t ltl --store '' append x
t ltl --store= stat
t ltl init ''
t ls
