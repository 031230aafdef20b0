# append and read back on the default store (created on first append)
t ltl append hello '{"user":{"name":"ann"},"n":1}' --print-seq
t ltl cat
t ltl cat --format raw
t ltl cat --format pretty
t ls "$XDG_DATA_HOME/ltl/default"
# stdin: one message per line, blank lines skipped, a last line without newline
printf 'one\n\ntwo\n{"x": [1, 2]}\nlast' | t ltl append --topic app --print-seq
t ltl cat --topic app --format raw
# `ltl --COMMAND` means `ltl COMMAND`; global options also after the command
t ltl --cat -n 1 --format raw
t ltl cat --format raw -n 1 --store "$XDG_DATA_HOME/ltl/default"
# ltl's own records (the manifest) only with --all
t ltl cat --all -n 1
