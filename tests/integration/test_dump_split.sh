#!/usr/bin/env bash
# --split against FerretDB, which has neither splitVector nor $sample: every collection is read
# whole, with one warning line each saying why, and the archive holds exactly the source's
# documents and restores identically. (Splitting itself, with min/max ranges over mixed _id
# types, is tested against the synthetic server: test_synth.sh.)
. "$(dirname "$0")/lib.sh"
docs="/usr/bin/python3 $MB_SOURCE_DIR/tests/integration/archive_docs.py"
db=$(fresh_db split)

/usr/bin/python3 - "$MB_URI_SRC" "$db" <<'PY'
import sys, pymongo, bson
c = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
c.drop_collection("mixed"); c.drop_collection("oids")
ids = list(range(300)) + [float(i) + 0.5 for i in range(100)] + ["s%04d" % i for i in range(300)] \
    + [bson.ObjectId(b"%012d" % i) for i in range(300)] + [{"k": i} for i in range(100)]
c.mixed.insert_many([{"_id": v, "pad": "x" * 200} for v in ids])
c.oids.insert_many([{"_id": bson.ObjectId(b"%012d" % i), "n": i, "pad": "y" * 300} for i in range(3000)])
print("ok: created %d mixed and 3000 ObjectId documents" % len(ids))
PY

"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$db" --compress none --archive "$T/whole.archive" --quiet
run_cmd "$T/s.out" "$T/s.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$db" --compress none \
  --archive "$T/split.archive" --split --split-threshold 10K --jobs 3
expect_rc 0 "$rc" "dump --split"
expect_grep "$db.oids: not split: this server has neither splitVector nor \\\$sample \+ \\\$bucketAuto \(1 ranges\)" "$T/s.err" "oids not split on FerretDB, with the reason"
expect_grep "$db.mixed: not split: this server has neither splitVector" "$T/s.err" "mixed not split on FerretDB"
$docs "$T/whole.archive" > "$T/whole.docs"
$docs "$T/split.archive" > "$T/split.docs"
diff "$T/whole.docs" "$T/split.docs" || fail "split archive holds other documents than the whole read"
grep -q "^$db.oids 3000 " "$T/split.docs" || fail "oids count: $(cat "$T/split.docs")"
grep -q "^$db.mixed 1100 " "$T/split.docs" || fail "mixed count: $(cat "$T/split.docs")"
pass "--split archive: same documents as a plain dump (3000 + 1100)"
"$MB_BIN" verify --quiet "$T/split.archive" >/dev/null || fail "split archive does not verify"
pass "split archive verifies (one namespace, CRC in archive order)"
new=$(fresh_db splitr)
mongorestore --uri "$MB_URI_DST" --archive="$T/split.archive" --nsFrom "$db.*" --nsTo "$new.*" 2>"$T/r.log" || { tail -3 "$T/r.log"; fail "mongorestore"; }
compare_db "$MB_URI_SRC" "$db" "$MB_URI_DST" "$new"
run_cmd "$T/s.out" "$T/s.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$db" --split --split-threshold lots
expect_rc 2 "$rc" "bad --split-threshold"
expect_grep "split-threshold must be a size like 512M or 2G, not 'lots'" "$T/s.err" "size message"
