#!/usr/bin/env bash
# Point in time (issue 18) on FerretDB with a capped local.oplog.rs, on two servers of its own
# (the shared test bed's source gets no oplog): a server without an oplog is refused (exit 2,
# one line); dump --oplog under a concurrent writer of inserts, deletes and updates, the writer
# stopped once the collections were read and before the oplog's end was noted (the dump's test
# barrier), then restore --oplog-replay into a fresh server equals the source at the archive's
# end point, while the same restore without the replay does not; --oplog-limit; the real
# mongorestore --oplogReplay reads mongobak's oplog namespace and stops at applyOps, which
# FerretDB lacks; an archive holding an oplog as mongodump writes it, in MongoDB's entry formats
# FerretDB never writes ($v:2 diffs, replacements, commands, a transaction's applyOps), replays
# into the expected documents.
. "$(dirname "$0")/lib.sh"
root=$MB_SOURCE_DIR
DB=pit
WRITER=""
cleanup() {
  [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null || true
  "$root/tools/ferretdb.sh" stop "$T/src" >/dev/null 2>&1 || true
  "$root/tools/ferretdb.sh" stop "$T/dst" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
SRC=$("$root/tools/ferretdb.sh" start "$T/src")
DST=$("$root/tools/ferretdb.sh" start "$T/dst")
py() { /usr/bin/python3 - "$@"; }

# 1. no oplog yet: one line, exit code 2, no archive
py "$SRC" "$DB" <<'PY'
import sys, pymongo
db = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
for name in ("c1", "c2"):
    db[name].insert_many([{"_id": i, "v": i % 97, "s": "x" * (i % 50), "sub": {"a": i, "l": [i, i + 1]}}
                          for i in range(2000)])
db.c1.create_index("v")
PY
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" dump --uri "$SRC" --oplog --archive "$T/none.archive"
expect_rc 2 "$rc" "dump --oplog without local.oplog.rs"
one_error_line "$T/err" "dump --oplog without an oplog"
expect_grep "the server has no oplog \\(no collection local\\.oplog\\.rs\\)" "$T/err" "no-oplog message"
expect_no_file "$T/none.archive" "no-oplog dump"

# 2. the oplog, a writer, a dump held at its barrier while the writer goes on, then stopped
py "$SRC" <<'PY'
import sys, pymongo
pymongo.MongoClient(sys.argv[1]).local.create_collection("oplog.rs", capped=True, size=256 << 20)
PY
/usr/bin/python3 "$(dirname "$0")/oplog_writer.py" "$SRC" "$DB" 18 > "$T/writer.out" &
WRITER=$!
sleep 1
MB_TEST_OPLOG_BARRIER=$T/barrier "$MB_BIN" dump --uri "$SRC" --oplog --archive "$T/pit.archive" \
  --json > "$T/dump.json" 2> "$T/dump.err" &
DUMP=$!
for _ in $(seq 600); do grep -q "waiting for the test barrier" "$T/dump.err" && break; sleep 0.1; done
expect_grep "collections read; waiting for the test barrier" "$T/dump.err" "dump reached its barrier"
sleep 0.5 # the writer goes on after the collections were read: only the oplog has these writes
kill -TERM "$WRITER"; wait "$WRITER"; WRITER=""
touch "$T/barrier"
wait "$DUMP" || { cat "$T/dump.err"; fail "dump --oplog"; }
pass "dump --oplog under a writer of $(cat "$T/writer.out") operations"
read -r END ENTRIES < <(py "$T/dump.json" "$SRC" <<'PY'
import json, sys, pymongo
from bson.timestamp import Timestamp
r = json.load(open(sys.argv[1]))
op = [n for n in r["namespaces"] if n["db"] == "" and n["collection"] == "oplog"]
assert len(op) == 1 and r["namespaces"][-1] is op[0], "the oplog is the report's last namespace"
assert r["oplog_end"] == op[0]["oplog_end"] and r["point_in_time"] == op[0]["point_in_time"]
assert r["collections"] == len(r["namespaces"]) - 1
t, i = map(int, op[0]["oplog_end"].split(":"))
# nothing was written after the archive's end point: the source now is the state it restores to
later = pymongo.MongoClient(sys.argv[2]).local["oplog.rs"].count_documents({"ts": {"$gt": Timestamp(t, i)}})
assert later == 0, "%d oplog entries after the end point" % later
print(op[0]["oplog_end"], op[0]["documents"])
PY
) || fail "the dump's report"
[ "$ENTRIES" -gt 1 ] || fail "the oplog holds $ENTRIES entries, the writer's should be there"
pass "report: oplog last, $ENTRIES entries, point in time $END, no source write after it"
# the archive's oplog namespace is the real oplog's bytes, in order, written last
py "$T/pit.archive" "$SRC" "$END" <<'PY' || fail "the archive's oplog namespace"
import struct, sys, bson, pymongo
from bson.timestamp import Timestamp
raw = open(sys.argv[1], "rb").read()
pos, docs, order = 4, [], []
def doc():
    global pos
    n = struct.unpack_from("<i", raw, pos)[0]
    if n == -1:
        pos += 4
        return None
    d = raw[pos:pos + n]
    pos += n
    return d
doc()  # the prelude header
while doc() is not None:
    pass
while pos < len(raw):
    h = bson.decode(doc())
    order.append((h["db"], h["collection"]))
    while True:
        d = doc()
        if d is None:
            break
        if h["db"] == "" and h["collection"] == "oplog":
            docs.append(d)
assert order[-1] == ("", "oplog"), "the oplog's EOF block is last"
assert all(o == ("", "oplog") for o in order[order.index(("", "oplog")):]), "nothing after the oplog"
t, i = map(int, sys.argv[3].split(":"))
first = bson.decode(docs[0])["ts"]
want = [bson.encode(d) for d in pymongo.MongoClient(sys.argv[2], document_class=bson.son.SON).local["oplog.rs"].find(
    {"ts": {"$gte": first, "$lte": Timestamp(t, i)}})]
assert docs == want, "%d entries in the archive, %d in the oplog's range" % (len(docs), len(want))
PY
pass "the archive's oplog: the server's entries from the start to $END, byte for byte, last"

# 3. restore --oplog-replay into a fresh server: the source at the end point
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/pit.archive" --oplog-replay --json
expect_rc 0 "$rc" "restore --oplog-replay"
py "$T/out" "$ENTRIES" "$END" <<'PY' || { cat "$T/out"; fail "restore report"; }
import json, sys
r = json.load(open(sys.argv[1]))
o = r["oplog"]
assert o["entries"] == int(sys.argv[2]) and o["after_limit"] == 0 and o["applied"] > 0, o
assert o["restored_to"] == sys.argv[3], o
PY
compare_db "$SRC" "$DB" "$DST" "$DB"
# the same archive without the replay differs from the source: the oplog is what made it whole
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/pit.archive" --ns-from "$DB.*" --ns-to "noreplay.*"
expect_rc 0 "$rc" "restore without --oplog-replay"
if "$MB_DBCOMPARE" "$SRC" "$DB" "$DST" noreplay > "$T/cmp.out" 2>&1; then
  fail "without --oplog-replay the restore equals the source: the test cannot tell the replay's effect"
fi
pass "without --oplog-replay the restore differs from the source ($(tail -1 "$T/cmp.out"))"
# --oplog-limit at the first entry: nothing applied; renames apply to the entries
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/pit.archive" --oplog-replay --ns-from "$DB.*" \
  --ns-to "limited.*" --oplog-limit 1:0 --json
expect_rc 0 "$rc" "restore --oplog-limit"
py "$T/out" "$ENTRIES" <<'PY' || { cat "$T/out"; fail "--oplog-limit"; }
import json, sys
o = json.load(open(sys.argv[1]))["oplog"]
assert o["applied"] == 0 and o["after_limit"] == int(sys.argv[2]) and o["restored_to"] is None, o
PY
pass "--oplog-limit 1:0: no entry applied, $ENTRIES at or after the limit"
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/pit.archive" --oplog-replay --ns-from "$DB.*" \
  --ns-to "renamed.*"
expect_rc 0 "$rc" "restore --oplog-replay with a rename"
compare_db "$SRC" "$DB" "$DST" renamed
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/pit.archive" --oplog-limit 5
expect_rc 2 "$rc" "--oplog-limit without --oplog-replay"
mkdir -p "$T/dumpdir"
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" "$T/dumpdir" --oplog-replay
expect_rc 2 "$rc" "--oplog-replay of a directory (its oplog.bson is not read)"

# 4. the real mongorestore reads mongobak's oplog namespace (it replays with applyOps, which
# FerretDB does not have: it stops there, after restoring the collections)
set +e
mongorestore --uri "$DST" --archive="$T/pit.archive" --oplogReplay --drop > "$T/mr.out" 2>&1 # it refuses renames with --oplogReplay
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "mongorestore --oplogReplay succeeded on FerretDB, which has no applyOps"
expect_grep "replaying oplog" "$T/mr.out" "mongorestore found the oplog"
expect_grep "no such command: 'applyOps'" "$T/mr.out" "mongorestore stopped at applyOps only"
grep -q "checksum" "$T/mr.out" && fail "mongorestore complained about a checksum"
pass "mongorestore --oplogReplay reads mongobak's archive up to applyOps (FerretDB lacks it)"

# 5. a scheduled backup with BACKUP_OPLOG=true: its manifest carries the point in time
mkdir -p "$T/sched"
(cd "$T/sched" && MONGODB_URI=$SRC BACKUP_DIR=$T/sched/backups BACKUP_OPLOG=true "$MB_BIN" backup \
  --log-level error) > "$T/sched.out" 2> "$T/sched.err" || { cat "$T/sched.err"; fail "backup with BACKUP_OPLOG=true"; }
py "$T/sched/backups" <<'PY' || fail "the manifest of a BACKUP_OPLOG backup"
import glob, json, sys
m = json.load(open(glob.glob(sys.argv[1] + "/*.manifest.json")[0]))
ns = [n for k, v in m.items() if isinstance(v, list) for n in v if isinstance(n, dict) and n.get("collection") == "oplog"]
assert len(ns) == 1 and ns[0]["db"] == "" and ns[0]["point_in_time"].endswith("Z") and ":" in ns[0]["oplog_end"], m
PY
pass "BACKUP_OPLOG=true: the manifest's oplog record carries oplog_start, oplog_end, point_in_time"

# 6. an oplog in MongoDB's formats, laid out as mongodump --oplog writes it
py "$(dirname "$0")" "$T/formats.archive" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from craft_archive import Archive
from bson.timestamp import Timestamp
a = Archive(server_version="7.0.14")
a.entry("fmt", "k")
a.entry("", "oplog", typ="")
a.end_prelude()
a.namespace("fmt", "k", [{"_id": 1, "a": 1, "o": {"p": 1, "arr": [1, 2, 3, 4]}, "gone": True},
                         {"_id": 2, "x": "old"}, {"_id": 3}])
ts = iter(range(1, 100))
def e(op, ns, o, o2=None, **kw):
    d = {"ts": Timestamp(1796000000, next(ts)), "t": 1, "v": 2, "op": op, "ns": ns, "o": o}
    if o2 is not None:
        d["o2"] = o2
    d.update(kw)
    return d
a.namespace("", "oplog", [
    e("i", "fmt.k", {"_id": 3, "again": True}),  # already dumped: inserted again, idempotent
    e("u", "fmt.k", {"$v": 2, "diff": {"d": {"gone": False}, "u": {"a": 2}, "i": {"n": "new"},
                                       "so": {"u": {"p": 5}, "sarr": {"a": True, "l": 3, "u1": 20,
                                                                      "u2": {"z": 1}}}}}, {"_id": 1}),
    e("u", "fmt.k", {"_id": 2, "y": "replaced"}, {"_id": 2}),
    e("c", "fmt.$cmd", {"create": "made"}),
    e("c", "fmt.$cmd", {"createIndexes": "made", "v": 2, "key": {"q": 1}, "name": "q_1"}),
    e("c", "admin.$cmd", {"applyOps": [
        {"op": "i", "ns": "fmt.made", "o": {"_id": 10, "q": 1}},
        {"op": "i", "ns": "fmt.made", "o": {"_id": 11, "q": 2}},
        {"op": "d", "ns": "fmt.k", "o": {"_id": 3}}]}, lsid={"id": 1}, txnNumber=1),
    e("c", "fmt.$cmd", {"create": "tmp"}),
    e("i", "fmt.tmp", {"_id": 1}),
    e("c", "admin.$cmd", {"renameCollection": "fmt.tmp", "to": "fmt.moved", "stayTemp": False}),
    e("c", "fmt.$cmd", {"create": "dropme"}),
    e("c", "fmt.$cmd", {"drop": "dropme"}),
    e("n", "", {"msg": "periodic noop"}),
    e("i", "fmt.k", {"_id": 99}),  # after the limit below
])
open(sys.argv[2], "wb").write(a.out)
PY
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$DST" --archive "$T/formats.archive" --oplog-replay --oplog-limit 1796000000:13
expect_rc 0 "$rc" "replay of MongoDB's entry formats"
py "$DST" <<'PY' || fail "the documents after the replay of MongoDB's formats"
import sys, pymongo
from bson.son import SON
db = pymongo.MongoClient(sys.argv[1], document_class=SON).fmt
def items(d):
    if isinstance(d, list):
        return [items(v) for v in d]
    if isinstance(d, dict):
        return [(k, items(v)) for k, v in d.items()]
    return d
got = [items(d) for d in db.k.find().sort("_id", 1)]
want = [[("_id", 1), ("a", 2), ("o", [("p", 5), ("arr", [1, 20, [("z", 1)]])]), ("n", "new")],
        [("_id", 2), ("y", "replaced")]]
assert got == want, got
assert [d["_id"] for d in db.made.find().sort("_id", 1)] == [10, 11]
assert "q_1" in [i["name"] for i in db.made.list_indexes()]
assert sorted(db.list_collection_names()) == ["k", "made", "moved"], db.list_collection_names()
assert [d["_id"] for d in db.moved.find()] == [1]
PY
pass "MongoDB's formats: \$v:2 diff (nested, array truncated and updated), replacement, idempotent insert, create, createIndexes, applyOps, renameCollection, drop, limit"
