t ltl config list --origin
mkdir -p .config/ltl
echo 'sync.interval = 250ms' > .config/ltl/config
echo 'durability = casual' > etc-ltl-config
LTL_LOG_LEVEL=info t ltl --config segment.size=1M --paranoid config list --origin
t ltl config get durability
t ltl config set durability paranoid
t ltl config get durability
t cat .local/share/ltl/default/config
t ltl config unset durability
t ltl config get durability
t ltl config set durabilty safe
t ltl config set durability fast
t ltl config set segment.size 12
t ltl --config sync.interval=soon config list
echo 'bogus line' > .config/ltl/config
t ltl config list
t ltl append x
echo 'log.levl = info' > .config/ltl/config
t ltl config list
t ltl config files
