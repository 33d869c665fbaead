#!/usr/bin/env bash
# Continuous point-in-time recovery (issue 18 §3) on FerretDB with a capped local.oplog.rs, on
# servers of its own: the daemon with OPLOG_ARCHIVE=true refuses a server without an oplog (exit
# 2, one line); under a concurrent writer of inserts, deletes and updates it makes backups and
# oplog slices (contiguous: each one's "from" is the previous one's "last"; readable by verify);
# the writer paused at a recorded moment, restore --to-time that moment into a fresh server
# equals the source as it was then; --to-time after the newest point is exit 2 naming the
# windows, with nothing written; list and status show the window; the daemon stopped with
# SIGTERM writes its open slice, and restarted resumes the chain (from == the previous last);
# retention with MAX_BACKUPS=1 deletes only the slices before the kept backup's oplog end; the
# same with BACKUP_DIR on S3 (SeaweedFS); a gap
# (a small capped oplog that rolled over while the daemon was stopped, then while it was frozen
# with SIGSTOP in the middle of tailing) is an error line, a notification to a loopback webhook,
# a new chain and a full backup at once. A slice is read by verify and by the real mongorestore
# --oplogReplay.
. "$(dirname "$0")/lib.sh"
root=$MB_SOURCE_DIR
DB=pit
PY=/usr/bin/python3
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for s in src dst gap; do "$root/tools/ferretdb.sh" stop "$T/$s" >/dev/null 2>&1 || true; done
  "$root/tools/seaweedfs.sh" stop "$T/sw" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
SRC=$("$root/tools/ferretdb.sh" start "$T/src")
DST=$("$root/tools/ferretdb.sh" start "$T/dst")
dir=$T/backups
mkdir -p "$T/cwd"
py() { "$PY" - "$@"; }
unset BACKUP_OPLOG OPLOG_ARCHIVE OPLOG_SLICE OPLOG_SLICE_MB MAX_BACKUPS WEBHOOK_URL

# start_daemon LOG VAR=value...: the daemon on $SRC into $dir, in the background ($DAEMON)
start_daemon() {
  local log=$1; shift
  (cd "$T/cwd" && exec env MONGODB_URI="$SRC" BACKUP_DIR="$dir" OPLOG_ARCHIVE=true OPLOG_SLICE=2 \
    COMPRESSION=zstd STATUS_INTERVAL=0 "$@" "$MB_BIN" daemon) >/dev/null 2>"$log" &
  DAEMON=$!
  PIDS+=("$DAEMON")
}
stop_daemon() {
  kill -TERM "$DAEMON"
  wait "$DAEMON" || fail "the daemon exited with $?"
}
# wait_for PATTERN FILE WHAT [SECONDS]: the pattern appears in the file
wait_for() {
  local i
  for i in $(seq $((${4:-60} * 10))); do grep -qE -- "$1" "$2" && return 0; sleep 0.1; done
  cat "$2" >&2
  fail "$3: /$1/ not in $2 after ${4:-60} s"
}
start_writer() { # start_writer SEED FIRST_ID
  "$PY" "$(dirname "$0")/oplog_writer.py" "$SRC" "$DB" "$1" "$2" > "$T/writer.out" &
  WRITER=$!
  PIDS+=("$WRITER")
}
stop_writer() { kill -TERM "$WRITER"; wait "$WRITER" || fail "the writer failed"; }
# the slices' manifests of DIR (default $dir), oldest first, as JSON lines
slices() {
  py "${1:-$dir}" <<'PY'
import glob, json, sys
m = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/oplog-*.manifest.json")]
for s in sorted(m, key=lambda s: tuple(map(int, s["last"].split(":")))):
    print(json.dumps(s))
PY
}

# 1. no oplog: the daemon refuses to start, one line, exit code 2
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" MONGODB_URI="$SRC" BACKUP_DIR="$dir" OPLOG_ARCHIVE=true \
  "$MB_BIN" daemon --log-level error
expect_rc 2 "$rc" "OPLOG_ARCHIVE=true on a server without an oplog"
one_error_line "$T/e" "OPLOG_ARCHIVE without an oplog"
expect_grep "OPLOG_ARCHIVE=true: the server has no oplog \\(no collection local\\.oplog\\.rs\\)" "$T/e" \
  "no-oplog message"
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" OPLOG_ARCHIVE=true "$MB_BIN" config
expect_grep "^BACKUP_OPLOG .*true: implied by OPLOG_ARCHIVE=true" "$T/o" "config: BACKUP_OPLOG implied"

# 2. the oplog, a little data, a writer, the daemon: a backup every 20 seconds, slices of 2
py "$SRC" "$DB" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])
c.local.create_collection("oplog.rs", capped=True, size=256 << 20)
db = c[sys.argv[2]]
for name in ("c1", "c2"):
    db[name].insert_many([{"_id": i, "v": i % 97, "sub": {"a": i, "l": [i]}} for i in range(300)])
db.c1.create_index("v")
PY
start_writer 1 1000000
start_daemon "$T/d1.log" CRON_SCHEDULE='*/20 * * * * *' MAX_BACKUPS=10
wait_for "backup backup-.*: [0-9]+ documents" "$T/d1.log" "the first backup"
sleep 3 # slices after the backup; the next backup is due 20 s after this one started
# the chosen moment: the writer stopped, its last entries in a slice, the source copied
stop_writer
sleep 1.2
WHEN=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$MB_BIN" dump --uri "$SRC" --db "$DB" --archive "$T/when.archive" --quiet
"$MB_BIN" restore --uri "$DST" --archive "$T/when.archive" --ns-from "$DB.*" --ns-to "want.*" --quiet
sleep 1.2
start_writer 2 2000000
sleep 3.5 # slices after the moment
stop_writer
sleep 0.5
stop_daemon
grep -q "ERROR\|error " "$T/d1.log" && { cat "$T/d1.log" >&2; fail "the daemon logged an error"; }
pass "daemon with OPLOG_ARCHIVE=true: $(grep -c 'backup backup-' "$T/d1.log") backups, $(grep -c 'oplog slice oplog-' "$T/d1.log") slices under a writer"

# the slices: one chain, contiguous, the last one ends at the newest oplog entry (written at stop)
slices > "$T/slices1.jsonl"
py "$T/slices1.jsonl" "$SRC" "$dir" <<'PY' || fail "the slices"
import json, os, sys, pymongo
s = [json.loads(l) for l in open(sys.argv[1])]
assert len(s) >= 3, len(s)
assert len({x["chain"] for x in s}) == 1, "one chain"
for a, b in zip(s, s[1:]):
    assert b["from"] == a["last"], (a, b)
for x in s:
    assert x["kind"] == "oplog-slice" and x["status"] == "ok" and x["compression"] == "zstd"
    assert x["entries"] > 0 and os.path.getsize(os.path.join(sys.argv[3], x["archive"])) == x["size"]
    assert x["archive"].startswith("oplog-") and x["archive"].endswith("-%s.archive.zst" % x["last"].split(":")[1])
newest = pymongo.MongoClient(sys.argv[2]).local["oplog.rs"].find().sort("$natural", -1).limit(1)[0]["ts"]
assert s[-1]["last"] == "%d:%d" % (newest.time, newest.inc), (s[-1]["last"], newest)
total = sum(x["entries"] for x in s)
oplog = pymongo.MongoClient(sys.argv[2]).local["oplog.rs"]
from bson.timestamp import Timestamp
t, i = map(int, s[0]["from"].split(":"))
want = oplog.count_documents({"ts": {"$gt": Timestamp(t, i)}})
assert total == want, (total, want)
PY
pass "slices: one chain, each from == the previous last, every oplog entry after the start, the last at the newest entry"
first=$(head -1 "$T/slices1.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["archive"])')
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify "$dir/$first"
expect_rc 0 "$rc" "verify of a slice"
expect_grep "1 namespaces" "$T/o" "a slice holds the oplog namespace only"
# the real mongorestore reads a slice's oplog (and stops at applyOps, which FerretDB lacks)
set +e
"$MB_BIN" cat "$dir/$first" --decompress | mongorestore --uri "$DST" --archive --oplogReplay > "$T/mr.out" 2>&1
set -e
expect_grep "replaying oplog" "$T/mr.out" "mongorestore --oplogReplay reads a slice"
expect_grep "no such command: 'applyOps'" "$T/mr.out" "mongorestore stopped at applyOps only"
grep -q "checksum" "$T/mr.out" && fail "mongorestore complained about a slice's checksum"

# 3. restore --to-time the moment into the fresh server: the source as it was
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" restore --to-time "$WHEN" --dry-run
expect_rc 0 "$rc" "restore --to-time --dry-run"
expect_grep "^backup +.*backup-" "$T/o" "--dry-run: the plan's backup"
expect_grep "^slice +.*oplog-" "$T/o" "--dry-run: the plan's slices"
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" restore --uri "$DST" \
  --to-time "$WHEN" --ns-from "$DB.*" --ns-to "got.*" --json
[ "$rc" = 0 ] || { cat "$T/e"; fail "restore --to-time: exit $rc"; }
py "$T/o" <<'PY' || { cat "$T/o"; fail "restore --to-time: its report"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["slices"] >= 1 and r["slice_entries_applied"] > 0 and r["restored_to_time"], r
PY
compare_db "$DST" want "$DST" got
pass "restore --to-time $WHEN: the source as it was then"

# beyond the newest point: exit 2, one line naming the windows, nothing written
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" restore --uri "$DST" \
  --to-time "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --ns-from "$DB.*" --ns-to "never.*"
expect_rc 2 "$rc" "restore --to-time after the newest point"
one_error_line "$T/e" "--to-time after the newest point"
expect_grep "the restorable windows are: [0-9]+:[0-9]+ \\.\\. [0-9]+:[0-9]+ \\(20" "$T/e" "the windows named"
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" restore --uri "$DST" \
  --to-time "2000-01-01T00:00:00Z" --ns-from "$DB.*" --ns-to "never.*"
expect_rc 2 "$rc" "restore --to-time before the first backup"
py "$DST" <<'PY' || fail "a refused --to-time wrote to the server"
import sys, pymongo
assert "never" not in pymongo.MongoClient(sys.argv[1]).list_database_names()
PY
pass "a refused --to-time wrote nothing"

# 4. list and status show the window
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" list --json
expect_rc 0 "$rc" "list --json"
py "$T/o" "$T/slices1.jsonl" "$WHEN" <<'PY' || { cat "$T/o"; fail "list: the window"; }
import json, sys
l = json.load(open(sys.argv[1]))
s = [json.loads(x) for x in open(sys.argv[2])]
w = l["windows"]
assert len(w) == 1 and w[0]["restorable"] and w[0]["slices"] == len(s), w
assert w[0]["end"] == s[-1]["last"] and w[0]["bytes"] == sum(x["size"] for x in s), w
assert w[0]["start_time"] <= sys.argv[3] <= w[0]["end_time"], (w, sys.argv[3])
ends = [n["oplog_end"] for b in l["backups"] for n in json.load(open(b["path"] + ".manifest.json"))["namespaces"] if n.get("oplog_end")]
key = lambda t: tuple(map(int, t.split(":")))
assert w[0]["start"] == min((e for e in ends if key(e) >= key(w[0]["chain_from"])), key=key), (w, ends)
PY
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" list
expect_grep "^OPLOG CHAIN +RESTORABLE WINDOW" "$T/o" "list: the windows' table"
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" BACKUP_DIR="$dir" "$MB_BIN" status
expect_grep "^point in time restorable up to 20.*Z \\($(tail -1 "$T/slices1.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["last"])')\\)" \
  "$T/o" "status: the newest restorable point"

# 5. restart: the chain resumes; retention with MAX_BACKUPS=1 deletes only the slices before the
# kept backup's oplog end
start_writer 3 3000000
start_daemon "$T/d2.log" CRON_SCHEDULE='*/6 * * * * *' MAX_BACKUPS=1
wait_for "oplog archive: chain .* resumes after" "$T/d2.log" "the chain resumes"
wait_for "retention: deleted oplog slice" "$T/d2.log" "retention of slices" 40
sleep 2.5
stop_writer
sleep 0.5
stop_daemon
slices > "$T/slices2.jsonl"
read -r chain1 last1 < <(tail -1 "$T/slices1.jsonl" | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print(s["chain"], s["last"])')
expect_grep "oplog archive: chain $chain1 resumes after $last1 " "$T/d2.log" "restart: the chain resumes at its last entry"
grep -E "info +oplog slice oplog-.* \(after " "$T/d2.log" | head -1 > "$T/first-after-restart"
expect_grep "\(after $last1\)" "$T/first-after-restart" "restart: the first new slice's from is the previous last"
py "$T/slices1.jsonl" "$T/slices2.jsonl" "$dir" <<'PY' || { cat "$T/d2.log" >&2; fail "resume and retention"; }
import glob, json, sys
old = [json.loads(l) for l in open(sys.argv[1])]
new = [json.loads(l) for l in open(sys.argv[2])]
assert {s["chain"] for s in new} == {old[-1]["chain"]}, new
for a, b in zip(new, new[1:]):
    assert b["from"] == a["last"], (a, b)
key = lambda t: tuple(map(int, t.split(":")))
backups = glob.glob(sys.argv[3] + "/backup-*.manifest.json")
assert len(backups) == 1, backups
e = [n["oplog_end"] for n in json.load(open(backups[0]))["namespaces"] if n.get("oplog_end")][0]
# every slice left is needed: the first one carries the backup's end, none ends at or before it
assert key(new[0]["from"]) <= key(e) < key(new[0]["last"]), (new[0], e)
gone = [s for s in old if s["archive"] not in {n["archive"] for n in new}]
assert gone and all(key(s["last"]) <= key(e) for s in gone), (gone, e)
PY
pass "restart resumed the chain (from == the previous last); retention kept 1 backup and deleted $(grep -c 'retention: deleted oplog slice' "$T/d2.log") slices, all before its oplog end"

# 6. the same on S3 (SeaweedFS): a backup, slices, restore --to-time
SW=$T/sw
"$root/tools/seaweedfs.sh" start "$SW" > /dev/null
s3env=$(set -a; . "$SW/env"; set +a; env | grep -E '^(AWS_|S3_)' | tr '\n' ' ')
s3dir=s3://mongobak/pitr
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" $s3env XDG_STATE_HOME="$T/state" MONGODB_URI="$SRC" \
  BACKUP_DIR="$s3dir" BACKUP_OPLOG=true COMPRESSION=zstd "$MB_BIN" backup
[ "$rc" = 0 ] || { cat "$T/e"; "$root/tools/seaweedfs.sh" stop "$SW" >/dev/null 2>&1; fail "backup into S3: exit $rc"; }
start_writer 4 4000000
(cd "$T/cwd" && exec env $s3env XDG_STATE_HOME="$T/state" MONGODB_URI="$SRC" BACKUP_DIR="$s3dir" \
  OPLOG_ARCHIVE=true OPLOG_SLICE=1 COMPRESSION=zstd CRON_SCHEDULE='0 0 1 1 *' STATUS_INTERVAL=0 \
  "$MB_BIN" daemon) >/dev/null 2>"$T/s3.log" &
DAEMON=$!
PIDS+=("$DAEMON")
sleep 3
stop_writer
sleep 1.5
stop_daemon
grep -q "error " "$T/s3.log" && { cat "$T/s3.log" >&2; fail "the daemon on S3 logged an error"; }
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" $s3env XDG_STATE_HOME="$T/state" BACKUP_DIR="$s3dir" "$MB_BIN" list --json
expect_rc 0 "$rc" "list of an S3 BACKUP_DIR"
end=$("$PY" -c 'import json,sys; w=json.load(open(sys.argv[1]))["windows"]; assert len(w)==1 and w[0]["restorable"], w; print(w[0]["end"])' "$T/o") ||
  { cat "$T/o" "$T/s3.log" >&2; fail "the S3 window"; }
run_cmd "$T/o" "$T/e" rc -- env -C "$T/cwd" $s3env BACKUP_DIR="$s3dir" "$MB_BIN" restore --uri "$DST" \
  --to-time "$end" --ns-from "$DB.*" --ns-to "s3got.*" --quiet
[ "$rc" = 0 ] || { cat "$T/e"; fail "restore --to-time from S3: exit $rc"; }
compare_db "$SRC" "$DB" "$DST" s3got
"$root/tools/seaweedfs.sh" stop "$SW" >/dev/null 2>&1 || true
pass "S3: slices beside the backup in $s3dir, restore --to-time $end equals the source"

# 7. a gap: a small capped oplog rolls over while the daemon is stopped
GAP=$("$root/tools/ferretdb.sh" start "$T/gap" --test-capped-cleanup-interval=1s)
py "$GAP" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])
c.local.create_collection("oplog.rs", capped=True, size=1 << 20, max=100)
c.g.k.insert_many([{"_id": i} for i in range(20)])
PY
hp=$T/http
mkdir -p "$hp"
: > "$hp/requests.jsonl"
"$PY" "$(dirname "$0")/servers/http_server.py" --log "$hp/requests.jsonl" --port-file "$hp/port" > "$hp/log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$hp/port" ] && break; sleep 0.1; done
gdir=$T/gapbackups
gap_daemon() {
  (cd "$T/cwd" && exec env MONGODB_URI="$GAP" BACKUP_DIR="$gdir" OPLOG_ARCHIVE=true OPLOG_SLICE=1 \
    CRON_SCHEDULE='0 0 1 1 *' STATUS_INTERVAL=0 WEBHOOK_URL="http://127.0.0.1:$(cat "$hp/port")/json/hook" \
    "$MB_BIN" daemon) >/dev/null 2>"$1" &
  DAEMON=$!
  PIDS+=("$DAEMON")
}
gap_daemon "$T/g1.log"
wait_for "oplog archive: chain .* starts after" "$T/g1.log" "gap server: a chain"
py "$GAP" <<'PY'
import sys, pymongo
pymongo.MongoClient(sys.argv[1]).g.k.insert_many([{"_id": i} for i in range(100, 110)])
PY
wait_for "oplog slice oplog-" "$T/g1.log" "gap server: a slice"
stop_daemon
last=$(slices "$gdir" | tail -1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["last"])')
py "$GAP" "$last" <<'PY' || fail "the oplog did not roll over"
import sys, time, pymongo
from bson.timestamp import Timestamp
c = pymongo.MongoClient(sys.argv[1])
for i in range(1000, 1300):
    c.g.k.insert_one({"_id": i})
t, i = map(int, sys.argv[2].split(":"))
for _ in range(100):  # FerretDB trims capped collections every second
    if c.local["oplog.rs"].count_documents({"ts": {"$lte": Timestamp(t, i)}}) == 0:
        break
    time.sleep(0.1)
assert c.local["oplog.rs"].count_documents({"ts": {"$lte": Timestamp(t, i)}}) == 0
PY
pass "gap server: the oplog rolled over past the last slice's $last while the daemon was stopped"
# roll_over LAST: insert until FerretDB trimmed every entry up to LAST from the capped oplog
roll_over() {
  py "$GAP" "$1" <<'PY' || fail "the oplog did not roll over"
import sys, time, pymongo
from bson.timestamp import Timestamp
c = pymongo.MongoClient(sys.argv[1])
base = c.g.k.find_one(sort=[("_id", -1)])["_id"] + 1
for i in range(300):
    c.g.k.insert_one({"_id": base + i})
t, i = map(int, sys.argv[2].split(":"))
for _ in range(100):  # FerretDB trims capped collections every second
    if c.local["oplog.rs"].count_documents({"ts": {"$lte": Timestamp(t, i)}}) == 0:
        break
    time.sleep(0.1)
assert c.local["oplog.rs"].count_documents({"ts": {"$lte": Timestamp(t, i)}}) == 0
PY
}
gap_daemon "$T/g2.log"
wait_for "backup backup-.*: [0-9]+ documents" "$T/g2.log" "a full backup at once after the gap" 60
expect_grep "error oplog gap: the oplog rolled over past $last, the last entry archived .*; a full backup starts now" \
  "$T/g2.log" "the gap at start: one error line"
expect_grep "oplog archive: chain .* starts after" "$T/g2.log" "the gap: a new chain"
expect_grep "a backup was asked for at once" "$T/g2.log" "the gap: a backup at once (the schedule is yearly)"

# a gap while tailing: the daemon frozen (SIGSTOP) while the oplog rolls over past what it read
py "$GAP" <<'PY'
import sys, pymongo
pymongo.MongoClient(sys.argv[1]).g.k.insert_many([{"_id": i} for i in range(5000, 5010)])
PY
wait_for "info +oplog slice oplog-" "$T/g2.log" "after the gap: a slice of the new chain"
last2=$(slices "$gdir" | tail -1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["last"])')
kill -STOP "$DAEMON"
roll_over "$last2"
kill -CONT "$DAEMON"
wait_for "error oplog gap: the oplog rolled over past $last2, the last entry archived" "$T/g2.log" \
  "the gap while tailing: an error line" 30
pass "the gap while tailing: one error line (the daemon was frozen while the oplog rolled past $last2)"
for _ in $(seq 300); do [ "$(grep -c 'a backup was asked for at once' "$T/g2.log")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c 'a backup was asked for at once' "$T/g2.log")" -ge 2 ] || { cat "$T/g2.log" >&2; fail "the gap while tailing: no backup at once"; }
pass "the gap while tailing: a backup at once"
stop_daemon
py "$hp/requests.jsonl" "$last" "$last2" <<'PY' || fail "the gaps' notifications"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gaps = [json.loads(r["body"]) for r in reqs if r["path"] == "/json/hook" and json.loads(r["body"]).get("stage") == "oplog gap"]
assert len(gaps) == 2 and all(g["status"] == "failure" for g in gaps), reqs
assert sys.argv[2] in gaps[0]["error"] and sys.argv[3] in gaps[1]["error"], gaps
PY
pass "the gaps: a failure notification each (stage 'oplog gap') reached the webhook"
