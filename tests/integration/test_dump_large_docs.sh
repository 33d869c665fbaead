#!/usr/bin/env bash
# Issue 13 §7: a server that does not cut a reply at 16 MiB. FerretDB returns as many documents
# as batchSize asks for, so a collection of 600 documents of 100 KB (60 MB) came back in one
# reply that libmongoc refuses ("Message size 60016192 is not within expected range
# 16-48000000 bytes", exit 8). mongobak sizes every batch in bytes from the collection's
# average document size: the dump succeeds, verifies, holds the 600 documents (the same as
# mongodump's archive) and restores byte for byte into the second server.
# (The retry after an oversized reply is tested against the synthetic server: test_synth.sh.)
. "$(dirname "$0")/lib.sh"
docs="/usr/bin/python3 $MB_SOURCE_DIR/tests/integration/archive_docs.py"
db=$(fresh_db large)

/usr/bin/python3 - "$MB_URI_SRC" "$db" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
c.drop_collection("big")
for lo in range(0, 600, 50):  # 100 KB each; inserted 5 MB at a time
    c.big.insert_many([{"_id": i, "n": i, "pad": ("%06d" % i) * 16666} for i in range(lo, lo + 50)])
print("ok: created %d documents of %d bytes" % (c.big.count_documents({}),
      len(c.big.find_one({"_id": 0}, {"pad": 1})["pad"])))
PY

run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$db" --compress none \
  --archive "$T/mb.archive" --jobs 2
[ "$rc" = 0 ] || cat "$T/d.err" >&2
expect_rc 0 "$rc" "mongobak dump of 600 documents of 100 KB from FerretDB"
"$MB_BIN" verify --quiet "$T/mb.archive" > "$T/v.out" || { cat "$T/v.out" >&2; fail "mongobak verify rejects the archive"; }
pass "the archive verifies"
$docs "$T/mb.archive" > "$T/mb.docs"
grep -q "^$db.big 600 " "$T/mb.docs" || fail "document count: $(cat "$T/mb.docs")"
pass "the archive holds 600 documents"

mongodump --uri "$MB_URI_SRC" --db "$db" --archive="$T/md.archive" 2> "$T/md.log" ||
  { tail -5 "$T/md.log" >&2; fail "mongodump of the same collection"; }
$docs "$T/md.archive" > "$T/md.docs"
diff "$T/md.docs" "$T/mb.docs" > "$T/diff" || { cat "$T/diff" >&2; fail "mongobak's archive holds other documents than mongodump's"; }
pass "mongodump dumps it too, with the same documents"

new=$(fresh_db larger)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$MB_URI_DST" --archive "$T/mb.archive" \
  --ns-from "$db.*" --ns-to "$new.*"
[ "$rc" = 0 ] || cat "$T/r.out" "$T/r.err" >&2
expect_rc 0 "$rc" "mongobak restore into the second server"
compare_db "$MB_URI_SRC" "$db" "$MB_URI_DST" "$new"
