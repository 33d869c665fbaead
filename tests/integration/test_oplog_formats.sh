#!/usr/bin/env bash
# dump --oplog and restore --oplog-replay against the real mongodump and mongorestore, on an
# oplog in MongoDB 6/7's own entry formats, which FerretDB never writes: the synthetic server's
# (tools/synth, --oplog builtin) local.oplog.rs, answering hello as a replica set's primary,
# with entries that appear while a dump runs (revealed after the first reply with collection
# documents). No FerretDB: every server here is a mongobak-synth started for the test.
#  1. mongodump --oplog --archive and mongobak dump --oplog --compress none --archive, each on a
#     fresh server in the same state: the oplog namespaces hold the same entries, in the same
#     order, byte for byte (so the same query bounds and the same entries at both ends); the
#     prelude's oplog entry is the same; the oplog's block is last in both; the collections hold
#     the same documents. The same with a transaction open when the dump starts
#     (config.transactions): both start the copy where it began; and with 20,000 more entries
#     (23 MB, several batches of the server's cursor).
#  2. mongobak restore --oplog-replay --dry-run translates every entry of mongodump's archive:
#     operations per kind, entries applied and skipped.
#  3. the real mongorestore --oplogReplay --dryRun accepts mongobak's archive, and a real
#     mongorestore --oplogReplay into a synthetic server applies every entry of it (applyOps
#     counted per kind by the server).
#  4. the oplog rolled over during the dump: mongobak exits 8 with one line and leaves no
#     archive (mongodump fails too); a renameCollection during the dump: exit 8, one line (as
#     mongodump refuses it).
#  5. a replica set's setName: the report, summary and a scheduled backup's manifest carry the
#     oplog's range and the point in time; the oplog (local) is not dumped as a collection.
here=$(dirname "$0")
if [ ! -f "${MB_TESTBED:-/nonexistent}/env" ] ||
  ! (. "$MB_TESTBED/env" && [ -x "$MB_TOOLS/mongodump" ] && [ -x "$MB_TOOLS/mongorestore" ]); then
  echo "skip: the real mongodump and mongorestore of the test bed are not there"
  exit 77
fi
. "$here/lib.sh"
. "$here/synth_lib.sh"
ns_py="/usr/bin/python3 $here/oplog_ns.py"
DATA=(--pages 1 --coll c0:small:oid:3000 --coll c1:alltypes:oid:500 --coll c2:medium:uuid:800)
PIT=1796000000
py() { /usr/bin/python3 - "$@"; }

# compare MODE EXPECTED_ENTRIES FIRST_I [SYNTH ARGS...]: mongodump and mongobak on fresh servers
compare() {
  local mode=$1 want=$2 first=$3
  shift 3
  start_synth "md-$mode" "${DATA[@]}" --oplog builtin "$@"
  mongodump --uri "$URI" --oplog --archive="$T/md-$mode.archive" > "$T/md-$mode.log" 2>&1 ||
    { cat "$T/md-$mode.log" >&2; fail "$mode: mongodump --oplog"; }
  start_synth "mb-$mode" "${DATA[@]}" --oplog builtin "$@"
  "$MB_BIN" dump --uri "$URI" --oplog --compress none --archive "$T/mb-$mode.archive" --json \
    > "$T/mb-$mode.json" 2> "$T/mb-$mode.err" || { cat "$T/mb-$mode.err" >&2; fail "$mode: mongobak dump --oplog"; }
  $ns_py "$T/md-$mode.archive" "$T/md-$mode.oplog" > "$T/md-$mode.ns" || fail "$mode: reading mongodump's archive"
  $ns_py "$T/mb-$mode.archive" "$T/mb-$mode.oplog" > "$T/mb-$mode.ns" || fail "$mode: reading mongobak's archive"
  py "$T/md-$mode.ns" "$T/mb-$mode.ns" "$want" <<'PY' || fail "$mode: the oplog namespaces' metadata"
import json, sys
md, mb = (json.load(open(f)) for f in sys.argv[1:3])
want = int(sys.argv[3])
assert md["entries"] == want, "mongodump copied %d entries, expected %d" % (md["entries"], want)
assert mb["entries"] == md["entries"], "mongobak copied %d entries, mongodump %d" % (mb["entries"], md["entries"])
assert md["prelude_oplog"] == [[["db", ""], ["collection", "oplog"], ["metadata", ""], ["size", 0], ["type", ""]]], md
assert mb["prelude_oplog"] == md["prelude_oplog"], (mb["prelude_oplog"], md["prelude_oplog"])
assert md["prelude_oplog_is_last"] and mb["prelude_oplog_is_last"], "the oplog is the prelude's last entry"
assert md["oplog_last"] and mb["oplog_last"] and mb["oplog_blocks"] == 1, (md, mb)
assert mb["server_version"] == md["server_version"], (mb["server_version"], md["server_version"])
PY
  cmp "$T/md-$mode.oplog" "$T/mb-$mode.oplog" || fail "$mode: the oplog entries differ from mongodump's"
  pass "$mode: mongobak's oplog namespace equals mongodump's byte for byte ($want entries, $(wc -c < "$T/mb-$mode.oplog") bytes), same prelude entry, last in both"
  py "$T/mb-$mode.oplog" "$PIT" "$first" <<'PY' || fail "$mode: the range of the copied entries"
import sys, bson
e = bson.decode_all(open(sys.argv[1], "rb").read())
t, first = int(sys.argv[2]), int(sys.argv[3])
assert e[0]["ts"].time == t and e[0]["ts"].inc == first, "the copy starts at %s, expected %d:%d" % (e[0]["ts"], t, first)
assert [x["ts"].inc for x in e] == list(range(first, first + len(e))), "entries missing or out of order"
PY
  $docs "$T/md-$mode.archive" > "$T/md-$mode.docs"
  $docs "$T/mb-$mode.archive" > "$T/mb-$mode.docs"
  diff "$T/md-$mode.docs" "$T/mb-$mode.docs" > /dev/null || fail "$mode: the collections differ from mongodump's"
  pass "$mode: the copy starts at $PIT:$first and has no gap; the same documents as mongodump ($(wc -l < "$T/mb-$mode.docs") namespaces)"
}

# 1. the entries written while the dump ran (23: the start entry, a no-op, and the 22 revealed)
compare plain 23 7
# a transaction open at the start (its first applyOps, partialTxn): the copy starts there
compare open-txn 24 6 --oplog-open-txn
# an oplog of 23 MB read in several batches (getMore; mongobak writes it in 4 MiB blocks)
compare fill 20023 7 --oplog-fill 20000

# 2. mongobak translates every entry of mongodump's archives (no server is written to)
dry_run() { # ARCHIVE EXPECTED-JSON
  run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$URI" --archive "$1" --oplog-replay --dry-run --json
  expect_rc 0 "$rc" "restore --oplog-replay --dry-run of $(basename "$1")"
  py "$T/out" "$2" <<'PY' || { cat "$T/out" >&2; fail "the translation of $(basename "$1")"; }
import json, sys
o = json.load(open(sys.argv[1]))["oplog"]
want = json.loads(sys.argv[2])
got = {k: o[k] for k in want if k != "operations_by_kind"}
got["operations_by_kind"] = o["operations_by_kind"]
assert got == want, "got %s, expected %s" % (got, want)
PY
}
# Without config.transactions (the "plain" server state) mongodump starts at the newest entry,
# after the first applyOps of the transaction open then: its archive holds that transaction's
# last entry without its first. mongorestore would apply that part alone; mongobak refuses it.
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$URI" --archive "$T/md-plain.archive" --oplog-replay --dry-run --log-level error
expect_rc 3 "$rc" "restore --oplog-replay of an oplog holding half a transaction"
one_error_line "$T/err" "half a transaction"
expect_grep "oplog entry $PIT:16 \(admin.\\\$cmd\): the transaction it ends has an earlier entry \($PIT:6\) that is not among the entries read, so it cannot be applied whole.*--oplog-limit $PIT:16" "$T/err" "names the entry, the missing one and the limit to use"
pass "half a transaction in mongodump's oplog (its first entry before the copy): refused, never applied in part"
# inserts, the replacement and the transactions' inserts as upserts; the $v:2 diffs as updates
# (one with an array truncation first); create, createIndexes, commitIndexBuild, dropIndexes,
# drop as commands; a prepared transaction applied at its commitTransaction; skipped: the
# no-ops, startIndexBuild, dropDatabase (after its drops), config.system.sessions, the
# commitTransaction and abortTransaction entries and the aborted transaction's prepare
dry_run "$T/md-open-txn.archive" '{"entries": 24, "applied": 16, "skipped": 8, "operations": 21,
  "operations_by_kind": {"replace": 8, "update": 2, "delete": 2, "command": 8, "truncate": 1}}'
pass "mongodump's oplog from an open transaction: every entry translated (8 upserts, 2 updates, 2 deletes, 8 commands, 1 array truncation; 8 skipped), the transaction's first applyOps too"
# a limit at the entry that ends that transaction: its first entry is not applied either
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" restore --uri "$URI" --archive "$T/md-open-txn.archive" --oplog-replay \
  --dry-run --json --oplog-limit "$PIT:16"
expect_rc 0 "$rc" "restore --oplog-replay --dry-run --oplog-limit $PIT:16"
py "$T/out" <<'PY' || { cat "$T/out" >&2; fail "--oplog-limit inside a transaction"; }
import json, sys
o = json.load(open(sys.argv[1]))["oplog"]
want = {"entries": 24, "applied": 7, "skipped": 2, "after_limit": 15, "operations": 8, "restored_to": "1796000000:15",
        "operations_by_kind": {"replace": 2, "update": 1, "delete": 1, "command": 3, "truncate": 1}}
got = {k: o[k] for k in want}
assert got == want, "got %s, expected %s" % (got, want)
PY
pass "--oplog-limit at a transaction's last entry: none of its operations, its first entry counted after the limit"

# 3. the real mongorestore reads mongobak's archive
start_synth target --layout none
run_cmd "$T/out" "$T/mr.log" rc -- mongorestore --uri "$URI" --archive="$T/mb-plain.archive" --oplogReplay --dryRun -v
expect_rc 0 "$rc" "mongorestore --oplogReplay --dryRun of mongobak's archive"
expect_grep 'found collection `\.oplog` bson to restore' "$T/mr.log" "mongorestore --dryRun found the oplog"
for mode in plain open-txn; do
  /usr/bin/python3 -c 'import pymongo, sys; pymongo.MongoClient(sys.argv[1]).admin.command("synthStats", reset=True)' "$URI"
  run_cmd "$T/out" "$T/mr.log" rc -- mongorestore --uri "$URI" --archive="$T/mb-$mode.archive" --oplogReplay
  [ "$rc" = 0 ] || { tail -5 "$T/mr.log" >&2; fail "$mode: mongorestore --oplogReplay of mongobak's archive"; }
  py "$URI" "$mode" <<'PY' || fail "$mode: what mongorestore --oplogReplay applied"
import sys, pymongo
s = pymongo.MongoClient(sys.argv[1]).admin.command("synthStats")
# mongorestore applies each entry by applyOps (a transaction's entries one by one) except the
# no-ops, config.*, startIndexBuild; index builds go to its index catalog; the prepared
# transaction's insert at its commit, none of the aborted one's
want = {"i": 5, "u": 3, "d": 2, "c:create": 3, "c:drop": 2, "c:dropDatabase": 1}
if sys.argv[2] == "open-txn":
    want["i"] += 2
assert dict(s["applyOps"]) == want, "applyOps: %s, expected %s" % (dict(s["applyOps"]), want)
docs = {n["ns"]: n["docs"] for n in s["namespaces"]}
assert docs.get("bench.c0") == 3000 and docs.get("bench.c1") == 500 and docs.get("bench.c2") == 800, docs
PY
  pass "$mode: mongorestore --oplogReplay applied every entry of mongobak's archive ($(grep -o 'applied [0-9]* oplog entries' "$T/mr.log"))"
done

# 4. rollover during the dump, a renameCollection during the dump
start_synth roll "${DATA[@]}" --oplog builtin --oplog-rollover
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" dump --uri "$URI" --oplog --archive "$T/roll.archive"
expect_rc 8 "$rc" "dump --oplog while the oplog rolled over"
one_error_line "$T/err" "rollover"
expect_grep "the oplog rolled over during the dump: its entry $PIT:7 \\(the dump's start\\) is gone \\(the oldest is $PIT:8\\)" "$T/err" "rollover message"
expect_no_file "$T/roll.archive" "rolled-over dump"
start_synth roll-md "${DATA[@]}" --oplog builtin --oplog-rollover
run_cmd "$T/out" "$T/mderr" rc -- mongodump --uri "$URI" --oplog --archive="$T/roll-md.archive"
[ "$rc" != 0 ] && grep -q "oplog overflow" "$T/mderr" || fail "mongodump did not fail on the same rollover (rc $rc)"
pass "mongodump fails on the same rollover"
start_synth rename "${DATA[@]}" --oplog builtin-rename
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" dump --uri "$URI" --oplog --archive "$T/rename.archive"
expect_rc 8 "$rc" "dump --oplog while a collection was renamed"
one_error_line "$T/err" "rename during the dump"
expect_grep "holds a renameCollection .* at $PIT:23, so the archive cannot restore to one point in time" "$T/err" "rename message"
expect_no_file "$T/rename.archive" "dump with a rename"
start_synth rename-md "${DATA[@]}" --oplog builtin-rename
run_cmd "$T/out" "$T/mderr" rc -- mongodump --uri "$URI" --oplog --archive="$T/rename-md.archive"
[ "$rc" != 0 ] && grep -q "cannot dump with oplog while renames occur" "$T/mderr" || fail "mongodump did not refuse the rename (rc $rc)"
pass "mongodump refuses the same rename"

# 5. a replica set (setName rs0): the report, the summary, a scheduled backup's manifest
py "$T/mb-plain.json" "$PIT" <<'PY' || fail "the report of a dump from a replica set"
import json, sys
r = json.load(open(sys.argv[1]))
t = sys.argv[2]
names = [(n["db"], n["collection"]) for n in r["namespaces"]]
assert sorted(names[:-1]) == [("bench", "c0"), ("bench", "c1"), ("bench", "c2")] and names[-1] == ("", "oplog"), names
assert not any(db == "local" for db, _ in names)
op = r["namespaces"][-1]
assert op["documents"] == 23 and op["oplog_start"] == t + ":7" and op["oplog_end"] == t + ":29", op
assert r["oplog_end"] == op["oplog_end"], r
assert r["point_in_time"] == "2026-11-30T00:53:20Z" == op["point_in_time"], r["point_in_time"]
assert r["collections"] == 3 and r["documents"] == 3000 + 500 + 800, (r["collections"], r["documents"])
PY
pass "report: 3 collections (local not dumped), the oplog's 23 entries from $PIT:7 to $PIT:29, point in time 2026-11-30T00:53:20Z"
start_synth summary "${DATA[@]}" --oplog builtin --replset prod-rs
run_cmd "$T/out" "$T/err" rc -- "$MB_BIN" dump --uri "${URI}?replicaSet=prod-rs" --oplog --archive "$T/summary.archive"
expect_rc 0 "$rc" "dump --oplog from replica set prod-rs (replicaSet=prod-rs in the URI)"
expect_grep "^point in time: $PIT:29 \\(2026-11-30T00:53:20Z\\), 23 oplog entries$" "$T/out" "the summary names the point in time"
expect_grep "^oplog \\(to $PIT:29\\) +23 " "$T/out" "the summary's oplog row"
expect_grep "^dumped 3 collections, 4300 documents" "$T/out" "the summary counts 3 collections (local not dumped)"
mkdir -p "$T/sched"
start_synth sched "${DATA[@]}" --oplog builtin
(cd "$T/sched" && MONGODB_URI=$URI BACKUP_DIR=$T/sched/backups BACKUP_OPLOG=true "$MB_BIN" backup \
  --log-level error) > "$T/sched.out" 2> "$T/sched.err" || { cat "$T/sched.err"; fail "backup with BACKUP_OPLOG=true from a replica set"; }
py "$T/sched/backups" "$PIT" <<'PY' || fail "the manifest of a BACKUP_OPLOG backup from a replica set"
import glob, json, sys
m = json.load(open(glob.glob(sys.argv[1] + "/*.manifest.json")[0]))
t = sys.argv[2]
ns = [n for k, v in m.items() if isinstance(v, list) for n in v if isinstance(n, dict) and "collection" in n]
op = [n for n in ns if n["collection"] == "oplog" and n["db"] == ""]
assert len(op) == 1, ns
assert op[0]["oplog_start"] == t + ":7" and op[0]["oplog_end"] == t + ":29", op[0]
assert op[0]["point_in_time"] == "2026-11-30T00:53:20Z", op[0]
assert sorted((n["db"], n["collection"]) for n in ns if n is not op[0]) == [("bench", "c0"), ("bench", "c1"), ("bench", "c2")], ns
PY
pass "BACKUP_OPLOG=true from a replica set: the manifest's oplog record from $PIT:7 to $PIT:29, no local collection"
