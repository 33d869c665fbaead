#!/usr/bin/env bash
# Foundation acceptance: archives written by the real mongodump (plain and --gzip) pass
# `mongobak verify`, and `inspect` lists exactly their namespaces and indexes.
. "$(dirname "$0")/lib.sh"

mongodump --uri "$MB_URI_SRC" --archive="$T/md.archive" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump"; }
mongodump --uri "$MB_URI_SRC" --gzip --archive="$T/md.archive.gz" 2>"$T/mdgz.log" || { cat "$T/mdgz.log"; fail "mongodump --gzip"; }

for f in md.archive md.archive.gz; do
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/$f"
  expect_rc 0 "$rc" "verify $f"
  expect_grep '^verdict: OK: 8 namespaces' "$T/v.out" "verify $f: 8 namespaces sound"
  [ ! -s "$T/v.err" ] || fail "verify $f wrote to stderr: $(cat "$T/v.err")"
done
expect_grep '^compression  gzip' "$T/v.out" "gzip detected"

# inspect --json lists exactly the namespaces and indexes the server has
"$MB_BIN" inspect --json "$T/md.archive" > "$T/inspect.json"
/usr/bin/python3 - "$T/inspect.json" "$MB_URI_SRC" <<'PY'
import json, sys
import pymongo
got = json.load(open(sys.argv[1]))
client = pymongo.MongoClient(sys.argv[2])
want = {}
for db in ("mbtest", "mbtest_other"):
    for name in client[db].list_collection_names():
        want[(db, name)] = sorted(ix["name"] for ix in client[db][name].list_indexes())
have = {(n["db"], n["collection"]): sorted(ix["name"] for ix in n["indexes"]) for n in got["namespaces"]}
assert have == want, "inspect: %r != server %r" % (have, want)
assert got["compression"] == "none" and got["header"]["server_version"] == "7.0.42", got["header"]
people = next(n for n in got["namespaces"] if n["collection"] == "people")
assert any(ix.get("unique") for ix in people["indexes"]), people["indexes"]
print("ok: inspect lists %d namespaces and their indexes exactly" % len(have))
PY

# the same archive from stdin
run_cmd "$T/v.out" "$T/v.err" rc -- sh -c "cat '$T/md.archive.gz' | '$MB_BIN' verify -"
expect_rc 0 "$rc" "verify - (stdin, gzip)"

# the shipped vectors with every BSON type, including those FerretDB refuses
# (../shared is not part of the product: a clone without it skips this part and says so)
for f in "$MB_SHARED/testdata/mongodump-alltypes.archive" "$MB_SHARED/testdata/mongodump-alltypes.archive.gz"; do
  [ -r "$f" ] || { echo "skipped: no $f (mongodump's test vectors, beside the clone)"; continue; }
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$f"
  expect_rc 0 "$rc" "verify $(basename "$f")"
  expect_grep '^db0.alltypes +22 +1670 ' "$T/v.out" "alltypes: 22 documents, 1670 bytes"
done
# our own every-type archives (tests/data, tools/every-type-archive.sh), in every clone
for f in "$MB_SOURCE_DIR/tests/data/every_type.archive" "$MB_SOURCE_DIR/tests/data/every_type.archive.gz"; do
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$f"
  expect_rc 0 "$rc" "verify $(basename "$f")"
  expect_grep '^db0.alltypes +4 +6639 ' "$T/v.out" "every_type: 4 documents, 6639 bytes"
done

# verify --json is one JSON object with the figures
"$MB_BIN" verify --json "$T/md.archive" > "$T/v.json"
/usr/bin/python3 -c '
import json,sys; v=json.load(open(sys.argv[1]))
assert v["sound"] is True and v["exit_code"] == 0 and len(v["namespaces"]) == 8, v
assert all(n["status"] == "ok" for n in v["namespaces"])
print("ok: verify --json")' "$T/v.json"

# not an archive, and a truncated one
printf 'hello world, not an archive' > "$T/not.archive"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/not.archive"
expect_rc 4 "$rc" "verify of a text file"
expect_grep 'not a mongodump archive' "$T/v.err" "says it is not an archive"
[ "$(wc -l < "$T/v.err")" -eq 1 ] || fail "more than one error line"
head -c 10000 "$T/md.archive" > "$T/cut.archive"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/cut.archive"
expect_rc 3 "$rc" "verify of a truncated archive"
expect_grep 'truncated' "$T/v.err" "says truncated"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/does-not-exist"
expect_rc 5 "$rc" "verify of a missing file"
expect_grep "cannot open '.*does-not-exist': No such file" "$T/v.err" "names the missing file"
