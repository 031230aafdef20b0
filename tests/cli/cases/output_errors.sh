# A failed write of a command's output exits 6 with the reason, whichever command and
# whether it fails mid-stream or at the last flush; only a reader that went away (EPIPE)
# is quiet, exit 0 (docs/OUTPUT.md, docs/EXIT-CODES.md). /dev/full fails every write
# with ENOSPC. 3000 records print far more than stdout's 64 KiB buffer, so the first
# failure comes mid-stream, as on a disk that fills up.
seq 1 3000 | ltl append --topic n
printf '{"a":1}\n' > doc.json
# readers, every output format
t sh -c 'ltl cat > /dev/full'
t sh -c 'ltl cat -n 2 > /dev/full'
t sh -c 'ltl cat --format raw > /dev/full'
t sh -c 'ltl cat --format pretty > /dev/full'
t sh -c 'ltl cat --where "@seq > 10" > /dev/full'
t sh -c 'ltl tail -n 3000 > /dev/full'
t sh -c 'ltl query "@seq > 0" > /dev/full'
t sh -c 'ltl query "@seq > 0" --format json > /dev/full'
t sh -c 'ltl query "@seq > 0" --format table > /dev/full'
t sh -c 'ltl query "@seq > 0" --format csv > /dev/full'
t sh -c 'ltl query "@seq > 0" --format flat > /dev/full'
t sh -c 'ltl query "@seq > 0" --count > /dev/full'
t sh -c 'ltl query "@seq > 0" --explain > /dev/full'
t sh -c 'ltl export > /dev/full'
t sh -c 'ltl export --format json-seq > /dev/full'
t sh -c 'ltl export --format csv > /dev/full'
t sh -c 'ltl paths > /dev/full'
t sh -c 'ltl paths --json > /dev/full'
# the namespace
t sh -c 'ltl get /seq/1 > /dev/full'
t sh -c 'ltl get /seq/ > /dev/full'
t sh -c 'ltl ls /seq/ > /dev/full'
t sh -c 'ltl ls -l /topics/ > /dev/full'
# the store, trust, config, the tool
t sh -c 'ltl stat > /dev/full'
t sh -c 'ltl stat --json > /dev/full'
t sh -c 'ltl verify -q > /dev/full'
t sh -c 'ltl checkpoint -q > /dev/full'
t sh -c 'ltl proof 5 > /dev/full'
t sh -c 'ltl config get durability > /dev/full'
t sh -c 'ltl config list > /dev/full'
t sh -c 'ltl flatten doc.json > /dev/full'
t sh -c 'ltl help > /dev/full'
t sh -c 'ltl --help > /dev/full'
t sh -c 'ltl cat --help > /dev/full'
t sh -c 'ltl version > /dev/full'
# what was done stands, and the message says so: a script that retries on exit 6 must
# not append the records again
t sh -c 'ltl append --print-seq one > /dev/full'
t sh -c 'printf "two\nthree\n" | ltl append --print-seq > /dev/full'
t ltl cat --from 3001 --format raw
t sh -c 'ltl keygen demo > /dev/full'
t ls demo.wkey demo.ckey
t sh -c 'ltl --store other init > /dev/full'
t sh -c 'ltl audit --state audit.state > /dev/full'
t sh -c 'ltl proof 5 > proof.txt && ltl check-proof -q proof.txt > /dev/full'
t sh -c 'ltl reindex > /dev/full'
t sh -c 'ltl repair -q > /dev/full'
t sh -c 'echo "{\"a\":1}" | ltl import > /dev/full'
# tail -f stops at its first failed write instead of waiting for records it cannot print
t timeout 20 sh -c 'ltl tail -f -n 1 > /dev/full'
# a reader that went away: quiet, exit 0
t bash -c 'ltl cat | head -n 1 | cut -c1-8; echo "ltl exit ${PIPESTATUS[0]}"'
t bash -c 'ltl ls /seq/ | head -n 1; echo "ltl exit ${PIPESTATUS[0]}"'
# a file system that fills up: a 64 KiB file size limit (setrlimit, no root needed) cuts
# the file where a full disk would; before, this exited 0 with the file cut
t bash -c 'trap "" XFSZ; ulimit -f 64; ltl cat > cut.jsonl'
t wc -c cut.jsonl
