#!/usr/bin/env bash
# mongobak restore of an archive written here, in Python, with what FerretDB cannot produce: a
# view (which FerretDB refuses to create), a TTL index (refused too), an index with the legacy
# "ns" and "v" fields, admin.system.version and an oplog (never restored), and legacy relaxed
# metadata JSON without a "type" key. What the server refuses is reported per namespace and the
# rest is restored (exit 9); --dry-run checks it all; --preserve-uuid is refused clearly on a
# server without applyOps.
. "$(dirname "$0")/lib.sh"
DST=$MB_URI_DST
db=$(fresh_db crafted)

/usr/bin/python3 - "$T/crafted.archive" "$db" <<'EOF'
import json, struct, sys
import bson
from bson.int64 import Int64

POLY = 0xC96C5795D7870F42
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)

def crc64(data, crc=0):
    crc ^= 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF

path, db = sys.argv[1], sys.argv[2]
TERM = b"\xff\xff\xff\xff"
idx_id = {"v": {"$numberInt": "2"}, "key": {"_id": {"$numberInt": "1"}}, "name": "_id_"}
def meta(options=None, indexes=(), typ="collection", coll=""):
    m = {}
    if options:
        m["options"] = options
    m["indexes"] = [idx_id] + list(indexes)
    m["uuid"] = "0123456789abcdef0123456789abcdef"
    m["collectionName"] = coll
    m["type"] = typ
    return json.dumps(m)
namespaces = [  # (db, collection, metadata, type or None, documents)
    (db, "base", meta(indexes=[{"v": {"$numberInt": "2"}, "key": {"a": {"$numberInt": "1"}}, "name": "a_1",
                                 "ns": db + ".base"}], coll="base"), "collection",
     [{"_id": i, "a": i} for i in range(1, 4)]),
    (db, "v", meta({"viewOn": "base", "pipeline": [{"$match": {"a": {"$gt": {"$numberInt": "1"}}}}]}, typ="view", coll="v"),
     "view", []),
    (db, "ttl", meta(indexes=[{"v": {"$numberInt": "2"}, "key": {"t": {"$numberInt": "1"}}, "name": "t_1",
                                "expireAfterSeconds": {"$numberInt": "60"}},
                               {"v": {"$numberInt": "2"}, "key": {"b": {"$numberInt": "-1"}}, "name": "b_-1"}], coll="ttl"),
     "collection", [{"_id": "x", "t": 1, "b": 2}]),
    (db, "legacy", '{"options":{},"indexes":[{"v":1,"key":{"_id":1},"name":"_id_","ns":"old.legacy"},'
                   '{"v":1,"key":{"k":1},"name":"k_1","ns":"old.legacy"}]}', None, [{"_id": 1, "k": "a"}]),
    (db, "huge", meta(coll="huge"), "collection",  # documents larger than a 4 MiB batch
     [{"_id": 1, "s": "a" * (4600 * 1024)}, {"_id": 2, "s": "b"}, {"_id": 3, "s": "c" * (4700 * 1024)}]),
    ("admin", "system.version", "", "collection", [{"_id": "authSchema", "currentVersion": 5}]),
    ("", "oplog", "", "", [{"ts": 1, "op": "n", "o": {}}]),
]
out = bytearray(struct.pack("<I", 0x8199E26D))
out += bson.encode({"concurrent_collections": 4, "version": "0.1", "server_version": "7.0.0",
                    "tool_version": "crafted"})
for d, c, m, t, _ in namespaces:
    entry = {"db": d, "collection": c, "metadata": m, "size": 0}
    if t is not None:
        entry["type"] = t
    out += bson.encode(entry)
out += TERM
order = [5, 0, 1, 2, 3, 4, 6]  # special first, oplog last
for i in order:
    d, c, _, _, docs = namespaces[i]
    hdr = lambda eof, crc: bson.encode({"db": d, "collection": c, "EOF": eof, "CRC": Int64(crc)})
    out += hdr(False, 0)
    crc = 0
    for doc in docs:
        raw = bson.encode(doc)
        crc = crc64(raw, crc)
        out += raw
    out += TERM
    out += hdr(True, crc - (1 << 64) if crc >= 1 << 63 else crc) + TERM
open(path, "wb").write(out)
EOF
pass "crafted archive written ($(stat -c %s "$T/crafted.archive") bytes)"

# --- dry run: everything checked; what is never restored is skipped with its reason
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/crafted.archive" --dry-run
expect_rc 0 "$rc" "crafted --dry-run"
expect_grep "^$db\.base .* 3 +0 +0 +1  checked$" "$T/r.out" "dry run: base, 3 documents, 1 index"
expect_grep "^$db\.ttl .* 1 +0 +0 +2  checked$" "$T/r.out" "dry run: ttl, 2 indexes"
expect_grep "^admin\.system\.version .*skipped$" "$T/r.out" "dry run: admin.system.version skipped"
expect_grep "authorization schema version: not restored" "$T/r.out" "dry run: why"
expect_grep "^\.oplog .*skipped$" "$T/r.out" "dry run: oplog skipped"
expect_grep "oplog: not replayed" "$T/r.out" "dry run: oplog why"

# --- restore: the view and the TTL index are refused by FerretDB; the rest is restored
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/crafted.archive"
expect_rc 9 "$rc" "crafted restore"
expect_grep "^$db\.base +$db\.base +3 +0 +0 +1  ok$" "$T/r.out" "base restored, index a_1 built (its ns field dropped)"
expect_grep "^$db\.v +$db\.v +0 +0 +0 +0  failed$" "$T/r.out" "view: failed"
expect_grep "creating view '$db\.v': .*viewOn" "$T/r.out" "view: the server's reason"
expect_grep "^$db\.ttl +$db\.ttl +1 +0 +0 +1  partial$" "$T/r.out" "ttl: documents in, b_-1 built, t_1 refused"
expect_grep "index 't_1': .*expireAfterSeconds" "$T/r.out" "ttl: the index and the reason"
expect_grep "^$db\.legacy +$db\.legacy +1 +0 +0 +1  ok$" "$T/r.out" "legacy metadata (relaxed JSON, no type): restored"
expect_grep "^$db\.huge +$db\.huge +3 +0 +0 +0  ok$" "$T/r.out" "documents larger than a batch: restored"
expect_grep "the restore finished with failures: 1 collections or views not created, 1 indexes not built$" "$T/r.err" "crafted: error line counts"
/usr/bin/python3 - "$DST" "$db" <<'EOF' || fail "crafted: target contents"
import sys, pymongo
d = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
assert sorted(d.list_collection_names()) == ["base", "huge", "legacy", "ttl"], d.list_collection_names()
assert [len(x["s"]) for x in d.huge.find(sort=[("_id", 1)])] == [4600 * 1024, 1, 4700 * 1024]
assert sorted(i["name"] for i in d.base.list_indexes()) == ["_id_", "a_1"]
assert sorted(i["name"] for i in d.ttl.list_indexes()) == ["_id_", "b_-1"]
assert sorted(i["name"] for i in d.legacy.list_indexes()) == ["_id_", "k_1"]
assert "system.version" not in pymongo.MongoClient(sys.argv[1]).admin.list_collection_names()
EOF
pass "crafted: target holds base, ttl, legacy with their indexes, and the huge documents"

# --- --preserve-uuid: needs --drop; FerretDB has no applyOps, so it is refused before writing
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/crafted.archive" --preserve-uuid
expect_rc 2 "$rc" "--preserve-uuid without --drop"
expect_grep "preserve-uuid needs --drop" "$T/r.err" "--preserve-uuid without --drop: message"
db2=$(fresh_db uuid)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/crafted.archive" --preserve-uuid --drop \
  --ns-from "$db.*" --ns-to "$db2.*"
expect_rc 2 "$rc" "--preserve-uuid on a server without applyOps"
expect_grep "^mongobak restore: error: --preserve-uuid needs the applyOps command, which the server at .* does not have" "$T/r.err" "--preserve-uuid: message"
case " $(/usr/bin/python3 -c 'import sys, pymongo; print(" ".join(pymongo.MongoClient(sys.argv[1]).list_database_names()))' "$DST") " in
  *" $db2 "*) fail "--preserve-uuid wrote something" ;;
esac
pass "--preserve-uuid: nothing written"
