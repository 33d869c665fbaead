#!/usr/bin/env bash
# Never lose or mix up a backup, never follow a planted link (issue 13):
# - four `dump --archive DIR/` of different databases started in the same second: four distinct
#   archives, each verifying and holding only its own database
# - an explicit --archive that exists is refused (exit 13) and left untouched; --overwrite
#   replaces it
# - symlinks planted at the temporary names a dump, the state file, a manifest, the unverified
#   archive and METRICS_FILE used to have are never written through; one at the lock is refused
# - a foreign file under a backup's name is not replaced: the backup gets a numbered name
# - retention with a future-dated complete backup keeps the archive the run wrote, warns once
# - status names no deleted archive; list says unchecked; list --verify finds a bit flip
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
mb() { (cd "$T" && exec "$MB_BIN" "$@"); } # no stray .env
untouched() { [ "$(cat "$1")" = precious ] || fail "$2: the link's target $1 was written through"; pass "$2: $1 untouched"; }
json() { $py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
backup_path() { sed -n 's/^backup \(.*\): [0-9]* documents.*/\1/p' "$1"; }

dbs=()
for i in 1 2 3 4; do dbs+=("$(fresh_db "cc$i")"); done
tiny=$(fresh_db tiny)
trap '$py -c "import sys, pymongo; c = pymongo.MongoClient(sys.argv[1]); [c.drop_database(d) for d in sys.argv[2:]]" "$MB_URI_SRC" "${dbs[@]}" "$tiny" || true; rm -rf "$T"' EXIT
$py - "$MB_URI_SRC" "$tiny" "${dbs[@]}" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])
c[sys.argv[2]].t.insert_many([{"i": i} for i in range(100)])
for db in sys.argv[3:]:  # ~2 MB each, so that the four dumps overlap
    c[db].docs.insert_many([{"i": i, "db": db, "pad": "x" * 1000} for i in range(2000)])
PY

# 1. four dumps into one directory in the same second
mkdir "$T/cc"
$py -c 'import time; time.sleep(1 - time.time() % 1 + 0.02)' # start together, early in a second
for i in 0 1 2 3; do
  ( set +e; "$MB_BIN" dump --uri "$MB_URI_SRC" --db "${dbs[$i]}" --archive "$T/cc/" --json \
      > "$T/cc$i.json" 2> "$T/cc$i.err"; echo $? > "$T/cc$i.rc" ) &
done
wait
for i in 0 1 2 3; do
  [ "$(cat "$T/cc$i.rc")" = 0 ] || { cat "$T/cc$i.err" >&2; fail "concurrent dump $i: exit $(cat "$T/cc$i.rc")"; }
  a=$(json "$T/cc$i.json" 'd["archive"]')
  "$MB_BIN" verify --quiet "$a" > /dev/null || fail "concurrent dump $i: $a does not verify"
  got=$("$MB_BIN" inspect --json "$a" | $py -c 'import json,sys; print(" ".join(sorted({n["db"] for n in json.load(sys.stdin)["namespaces"]})))')
  [ "$got" = "${dbs[$i]}" ] || fail "concurrent dump $i of ${dbs[$i]}: $a holds the databases '$got'"
  echo "$a" >> "$T/cc.names"
done
[ "$(sort -u "$T/cc.names" | wc -l)" = 4 ] || fail "concurrent dumps reported the same archive: $(cat "$T/cc.names")"
[ "$(ls -A "$T/cc" | wc -l)" = 4 ] || fail "concurrent dumps: the directory holds $(ls -A "$T/cc")"
ls "$T/cc" | grep -qE '^dump-[0-9]{8}T[0-9]{6}Z-[1-3]\.archive\.zst$' ||
  fail "the four dumps did not start in the same second (no numbered name): $(ls "$T/cc")"
pass "4 dumps into one directory in the same second: 4 archives ($(ls "$T/cc" | tr '\n' ' ')), each verifies and holds only its own database"

# 2. an explicit --archive that exists
echo "an earlier backup" > "$T/x.archive"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "${dbs[0]}" --archive "$T/x.archive"
expect_rc 13 "$rc" "an existing --archive"
expect_grep "^mongobak dump: error: '$T/x.archive' already exists; refusing to replace it \(give --overwrite to replace it, or choose another name\)$" "$T/e" "says why and what to do"
one_error_line "$T/e" "an existing --archive"
[ "$(cat "$T/x.archive")" = "an earlier backup" ] || fail "the existing --archive was changed"
expect_no_partial "$T/x.archive" "an existing --archive"
echo precious > "$T/victim.final"
ln -s "$T/victim.final" "$T/l.archive"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "${dbs[0]}" --archive "$T/l.archive"
expect_rc 13 "$rc" "a symlink as --archive"
untouched "$T/victim.final" "a symlink as --archive"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "${dbs[0]}" --archive "$T/x.archive" --overwrite --quiet
expect_rc 0 "$rc" "an existing --archive with --overwrite"
"$MB_BIN" verify --quiet "$T/x.archive" > /dev/null || fail "--overwrite: the new archive does not verify"
pass "--overwrite replaced the file with a verifying archive"

# 3. a symlink planted at the old temporary name of a dump
echo precious > "$T/victim.dump"
ln -s "$T/victim.dump" "$T/p.archive.partial"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "${dbs[1]}" --archive "$T/p.archive" --quiet
expect_rc 0 "$rc" "dump with a symlink at p.archive.partial"
untouched "$T/victim.dump" "dump .partial"
[ -f "$T/p.archive" ] && [ ! -L "$T/p.archive" ] || fail "dump .partial: p.archive is not a regular file"
"$MB_BIN" verify --quiet "$T/p.archive" > /dev/null || fail "dump .partial: the archive does not verify"

# 4. scheduled backups: the lock file
dir="$T/backups"
mkdir -m 700 "$dir" "$T/metrics"
export MONGODB_URI="${MB_URI_SRC%/}/$tiny" BACKUP_DIR="$dir" COMPRESSION=zstd MAX_BACKUPS=5 \
  METRICS_FILE="$T/metrics/mongobak.prom"
echo precious > "$T/victim.lock"
ln -s "$T/victim.lock" "$dir/.mongobak.lock"
run_cmd "$T/o" "$T/e" rc -- mb backup
expect_rc 5 "$rc" "a symlink at the lock file"
expect_grep "^mongobak backup: error: refusing to use the lock file '$dir/.mongobak.lock': it is a symbolic link; remove it and check who can write to the backup directory$" "$T/e" "lock symlink: says why"
one_error_line "$T/e" "lock symlink"
untouched "$T/victim.lock" "lock symlink"
rm "$dir/.mongobak.lock"
ln "$T/victim.lock" "$dir/.mongobak.lock"
run_cmd "$T/o" "$T/e" rc -- mb prune
expect_rc 5 "$rc" "a hard link at the lock file"
expect_grep "^mongobak prune: error: refusing to use the lock file '$dir/.mongobak.lock': it is not a regular file of its own" "$T/e" "lock hard link: says why"
one_error_line "$T/e" "lock hard link"
untouched "$T/victim.lock" "lock hard link"
rm "$dir/.mongobak.lock"
ls "$dir" | grep -q archive && fail "a refused run wrote an archive"

# 5. symlinks at the old temporary names of the state file, METRICS_FILE, the manifest and the
# unverified archive (the last two are named after the second the run starts and were removed
# by its start-up cleanup, so a planter re-creates them all through the run); one at METRICS_FILE
for v in state metrics metricsfinal manifest unverified; do echo precious > "$T/victim.$v"; done
ln -s "$T/victim.state" "$dir/.mongobak-state.json.partial"
ln -s "$T/victim.metrics" "$T/metrics/mongobak.prom.partial"
ln -s "$T/victim.metricsfinal" "$T/metrics/mongobak.prom"
$py - "$dir" "$T" <<'PY' &
import os, sys, time
d, t = sys.argv[1], sys.argv[2]
now = int(time.time())
names = []
for s in range(now - 2, now + 90):
    ts = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(s))
    names.append(("%s/backup-%s.archive.zst.manifest.json.partial" % (d, ts), t + "/victim.manifest"))
    names.append(("%s/.backup-%s.archive.zst.unverified.partial" % (d, ts), t + "/victim.unverified"))
while not os.path.exists(t + "/planter.stop"):
    for link, target in names:
        try:
            os.symlink(target, link)
        except FileExistsError:
            pass
    time.sleep(0.01)
PY
planter=$!
sleep 0.5
run_cmd "$T/o" "$T/e" rc -- mb backup
touch "$T/planter.stop"; wait "$planter"
expect_rc 0 "$rc" "backup with symlinks planted at the temporary names"
for v in state metrics metricsfinal manifest unverified; do untouched "$T/victim.$v" "$v"; done
b1=$(backup_path "$T/o")
[ -f "$b1" ] && [ ! -L "$b1" ] && [ -f "$b1.manifest.json" ] && [ ! -L "$b1.manifest.json" ] || fail "the backup is not a regular file with its manifest: $(ls -lA "$dir")"
"$MB_BIN" verify --quiet "$b1" > /dev/null || fail "$b1 does not verify"
[ -f "$dir/.mongobak-state.json" ] && [ ! -L "$dir/.mongobak-state.json" ] || fail "the state file is not a regular file"
[ "$(json "$dir/.mongobak-state.json" 'd["last_archive"]')" = "$(basename "$b1")" ] || fail "the state does not name $b1"
[ ! -L "$METRICS_FILE" ] && grep -q '^mongobak_runs_total 1$' "$METRICS_FILE" || fail "METRICS_FILE was not replaced by the metrics"
pass "the state file, METRICS_FILE, the manifest and the archive were written beside the planted links"

# 6. a foreign file under the name of the next backup: never replaced, the backup is numbered
sleep 1.1 # past the second of $b1
now=$(date +%s)
for s in $(seq "$now" $((now + 30))); do
  f="$dir/backup-$(date -u -d "@$s" +%Y-%m-%d-%H-%M-%S).archive.zst"
  [ -e "$f" ] || { echo foreign > "$f"; echo "$f" >> "$T/foreign"; }
done
run_cmd "$T/o" "$T/e" rc -- mb backup
expect_rc 0 "$rc" "backup whose name is taken"
b2=$(backup_path "$T/o")
base=${b2%-1.archive.zst}
[ "$b2" != "$base" ] && [ "$(cat "$base.archive.zst")" = foreign ] || fail "the foreign file was replaced or the backup not numbered: $b2"
"$MB_BIN" verify --quiet "$b2" > /dev/null || fail "$b2 does not verify"
[ "$(json "$b2.manifest.json" 'd["archive"]')" = "$(basename "$b2")" ] || fail "the manifest of $b2 names another archive"
xargs rm < "$T/foreign"
mb list --json > "$T/l.json"
$py - "$T/l.json" "$(basename "$b2")" "$(basename "$b1")" <<'PY' || fail "list does not show the numbered backup first"
import json, sys
l = json.load(open(sys.argv[1]))["backups"]
assert [b["name"] for b in l] == sys.argv[2:], l
assert all(b["complete"] and b["status"] == "unchecked" and not b["verified"] for b in l), l
PY
pass "a foreign file at the backup's name stayed; the backup is $(basename "$b2") and lists as the newest"

# 7. list says unchecked; list --verify checks every byte
mb list > "$T/l.txt"
[ "$(grep -c ' unchecked$' "$T/l.txt")" = 2 ] || { cat "$T/l.txt"; fail "list: backups not shown as unchecked"; }
run_cmd "$T/o" "$T/e" rc -- mb list --verify
expect_rc 0 "$rc" "list --verify of sound backups"
[ "$(grep -c ' ok$' "$T/o")" = 2 ] || { cat "$T/o"; fail "list --verify: sound backups not ok"; }
$py - "$b1" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(f.seek(0, 2) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x10]))
PY
$py - "$b2.manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["sha256"] = "0" * 64
json.dump(m, open(sys.argv[1], "w"))
PY
mb list > "$T/l.txt"
[ "$(grep -c ' unchecked$' "$T/l.txt")" = 2 ] || { cat "$T/l.txt"; fail "list after a bit flip: not unchecked"; }
run_cmd "$T/o" "$T/e" rc -- mb list --verify --json
expect_rc 3 "$rc" "list --verify with a flipped bit and a wrong SHA-256"
expect_grep "^mongobak list: error: 2 of 2 backups in '$dir' did not verify \(see the STATUS column\)$" "$T/e" "list --verify: says so"
one_error_line "$T/e" "list --verify"
$py - "$T/o" "$(basename "$b1")" "$(basename "$b2")" <<'PY' || fail "list --verify --json"
import json, sys
s = {b["name"]: b for b in json.load(open(sys.argv[1]))["backups"]}
flipped, wrongsum = s[sys.argv[2]], s[sys.argv[3]]
assert not flipped["verified"] and flipped["status"].startswith(("corrupt: ", "sha256 mismatch: ")), flipped
assert not wrongsum["verified"] and wrongsum["status"].startswith("sha256 mismatch: the archive hashes to "), wrongsum
assert wrongsum["status"].endswith("its manifest says " + "0" * 64), wrongsum
print("ok: list --verify: %s: %s" % (sys.argv[2], flipped["status"]))
PY

# 8. retention with a future-dated complete backup, then status after the archive is deleted
dir="$T/ret"
export BACKUP_DIR="$dir" MAX_BACKUPS=1
run_cmd "$T/o" "$T/e" rc -- mb backup
expect_rc 0 "$rc" "first backup"
r1=$(backup_path "$T/o")
future="$dir/backup-2099-01-01-00-00-00.archive.zst"
cp "$r1" "$future"
cp "$r1.manifest.json" "$future.manifest.json"
sleep 1.1
run_cmd "$T/o" "$T/e" rc -- mb backup
expect_rc 0 "$rc" "backup with a future-dated backup in the directory"
r2=$(backup_path "$T/o")
[ -f "$r2" ] || { cat "$T/e"; fail "retention deleted $r2, the archive the run had just written"; }
"$MB_BIN" verify --quiet "$r2" > /dev/null || fail "$r2 does not verify"
[ ! -e "$r1" ] && [ -f "$future" ] || fail "retention: MAX_BACKUPS=1 should keep $r2 and the future-dated one: $(ls "$dir")"
[ "$(grep -c 'dated in the future' "$T/e")" = 1 ] || { cat "$T/e"; fail "the future-dated backup was not warned about exactly once"; }
expect_grep "retention: 1 complete backup is dated in the future \(newest backup-2099-01-01-00-00-00\.archive\.zst\): the clock was ahead or it was copied in; kept, and not counted against MAX_BACKUPS" "$T/e" "warns once"
mb status --json > "$T/s.json"
[ "$(json "$T/s.json" 'd["last_archive"], d["backups"], d["last_archive_deleted"]')" = "('$(basename "$r2")', 2, False)" ] ||
  fail "status: $(cat "$T/s.json")"
pass "status names $(basename "$r2") and counts the future-dated backup"
rm "$r2" "$r2.manifest.json"
mb status > "$T/s.txt"
grep -q "$(basename "$r2")" "$T/s.txt" && { cat "$T/s.txt"; fail "status names the deleted $r2"; }
expect_grep "^last success  .* \(its archive has been deleted since\)$" "$T/s.txt" "status: the last archive is gone"
mb status --json > "$T/s.json"
[ "$(json "$T/s.json" 'd["last_archive"], d["last_archive_deleted"]')" = "('', True)" ] || fail "status --json: $(cat "$T/s.json")"
pass "status names no deleted archive"
