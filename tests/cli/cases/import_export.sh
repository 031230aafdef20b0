# ltl export: JSON Lines (what ltl import reads back), RFC 7464 JSON text sequences, CSV
# like ltl query --format csv; all records or a query's; the round trip is exact.
cat > in.jsonl <<'JSON'
{"id": 1, "name": "ann", "tags": ["a", "b"], "n": 1.50}
{"id": 2, "name": "bob, jr.", "note": "say \"hi\"\nthen go", "n": -0}
{"id": 3, "name": "日本", "deep": {"x": [1, {"y": null}]}, "n": 1e3}
JSON
ltl import in.jsonl
ltl append --topic text 'plain text, not JSON' >/dev/null
ltl append --topic text '{"id": 4,
  "pretty": true}' >/dev/null
t ltl export
echo "json-seq, RS shown as '^':"
ltl export 'id >= 2' --format json-seq | tr '\036' '^'
t ltl export --format csv
t ltl export 'id <= 2' --format csv --fields @seq,name,note
# csv is the same as ltl query's
[ "$(ltl export 'id >= 1' --format csv --fields @seq,@topic,name,n,tags)" = \
  "$(ltl query 'id >= 1' --format csv --fields @seq,@topic,name,n,tags)" ] && echo "csv: same as query"
t ltl export --fields id,name,deep.x,missing
t ltl export --topic text
t ltl export --envelope 'id == 3'
# round trip: export, import into another store, export again
ltl export > out1.jsonl
ltl --store other import out1.jsonl
ltl --store other export > out2.jsonl
cmp out1.jsonl out2.jsonl && echo "round trip: identical"
# an export of a query with no match, and of an empty store
t ltl export 'id == 99'
t ltl --store empty init
t ltl --store empty export
