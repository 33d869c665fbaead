#!/usr/bin/env bash
# Switching from the Node.js service mongobak replaces (issue 16 §4): its backups in BACKUP_DIR,
# backup-YYYY-MM-DD-HH-mm-ss.archive[.gz] written by the real mongodump --archive [--gzip] with
# no manifest, are listed as legacy (their time read from the name in TIMEZONE), verified by
# `list --verify` (a truncated one is found), counted by MAX_BACKUPS and pruned oldest first by
# `prune` and by a `backup` run, together with mongobak's own.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
dir="$T/backups"
tiny=$(fresh_db legacy)
trap '$py -c "import sys, pymongo; pymongo.MongoClient(sys.argv[1]).drop_database(sys.argv[2])" "$MB_URI_SRC" "$tiny" || true; rm -rf "$T"' EXIT
$py - "$MB_URI_SRC" "$tiny" <<'PY'
import sys, pymongo
pymongo.MongoClient(sys.argv[1])[sys.argv[2]].t.insert_many([{"i": i} for i in range(200)])
PY
uri="${MB_URI_SRC%/}/$tiny"
cat > "$T/.env" <<EOT
MONGODB_URI=$MB_URI_SRC
BACKUP_DIR=$dir
MAX_BACKUPS=3
TIMEZONE=Europe/Paris
COMPRESSION=zstd
EOT
mb() { (cd "$T" && exec "$MB_BIN" "$@"); }

mkdir -m 700 "$dir"
mongodump --uri "$MB_URI_SRC" --db "$tiny" --archive="$T/md.archive" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump"; }
mongodump --uri "$MB_URI_SRC" --db "$tiny" --gzip --archive="$T/md.archive.gz" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump --gzip"; }
for d in 01 02 03; do cp "$T/md.archive" "$dir/backup-2026-01-$d-12-00-00.archive"; done
cp "$T/md.archive.gz" "$dir/backup-2026-01-04-12-00-00.archive.gz"
pass "four backups of the service written by the real mongodump"

run_cmd "$T/o" "$T/e" rc -- mb list --json
expect_rc 0 "$rc" "list"
$py - "$T/o" <<'PY' || fail "list does not show the service's backups as legacy: $(cat "$T/o")"
import json, sys, datetime
l = json.load(open(sys.argv[1]))["backups"]
assert [b["name"] for b in l] == ["backup-2026-01-0%d-12-00-00.archive%s" % (d, ".gz" if d == 4 else "") for d in (4, 3, 2, 1)], l
assert all(b["legacy"] and b["complete"] and b["status"] == "legacy/unchecked" for b in l), l
assert [b["compression"] for b in l] == ["gzip", "none", "none", "none"], l
t = l[3]["time"]
t = t["$date"] if isinstance(t, dict) else t
if isinstance(t, dict):
    t = int(t["$numberLong"]) / 1000
elif isinstance(t, str):
    t = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
else:
    t = t / 1000
assert t == datetime.datetime(2026, 1, 1, 11, 0, tzinfo=datetime.timezone.utc).timestamp(), l[3]
PY
pass "list: four legacy/unchecked backups, newest first, 12:00 in Europe/Paris read as 11:00 UTC"
mb list > "$T/l.txt"
expect_grep 'backup-2026-01-01-12-00-00\.archive .* legacy/unchecked$' "$T/l.txt" "list's text shows legacy/unchecked"

run_cmd "$T/o" "$T/e" rc -- mb list --verify
expect_rc 0 "$rc" "list --verify"
[ "$(grep -c 'legacy/ok$' "$T/o")" = 4 ] || { cat "$T/o"; fail "list --verify: not four legacy/ok"; }
pass "list --verify reads the four mongodump archives to their end"
head -c 300 "$T/md.archive" > "$dir/backup-2025-12-31-12-00-00.archive"
run_cmd "$T/o" "$T/e" rc -- mb list --verify
expect_rc 3 "$rc" "list --verify with a truncated legacy backup"
expect_grep 'backup-2025-12-31-12-00-00\.archive .*corrupt' "$T/o" "the truncated one is corrupt"
rm "$dir/backup-2025-12-31-12-00-00.archive"

run_cmd "$T/o" "$T/e" rc -- mb prune --dry-run
expect_rc 0 "$rc" "prune --dry-run"
expect_grep 'backup-2026-01-01-12-00-00\.archive .* delete$' "$T/o" "the oldest would be deleted"
expect_grep '^would delete 1 backup \(MAX_BACKUPS 3\)' "$T/o" "one of four, MAX_BACKUPS 3"
run_cmd "$T/o" "$T/e" rc -- mb prune
expect_rc 0 "$rc" "prune"
expect_no_file "$dir/backup-2026-01-01-12-00-00.archive" "prune deleted the oldest legacy backup"
[ -f "$dir/backup-2026-01-02-12-00-00.archive" ] || fail "prune deleted more than the oldest"

sed -i "s|^MONGODB_URI=.*|MONGODB_URI=$uri|" "$T/.env"
run_cmd "$T/o" "$T/e" rc -- mb backup
expect_rc 0 "$rc" "backup beside the legacy backups"
ls "$dir" > "$T/ls"
expect_no_file "$dir/backup-2026-01-02-12-00-00.archive" "the run pruned the oldest legacy backup"
[ -f "$dir/backup-2026-01-03-12-00-00.archive" ] && [ -f "$dir/backup-2026-01-04-12-00-00.archive.gz" ] || fail "the run pruned too much: $(cat "$T/ls")"
[ "$(grep -cE '^backup-.*\.archive\.zst$' "$T/ls")" = 1 ] || fail "the run's own backup: $(cat "$T/ls")"
pass "the run kept MAX_BACKUPS=3: its own and the two newest legacy backups"
mb status > "$T/s"
expect_grep '^backups +3 .*oldest backup-2026-01-03-12-00-00\.archive,' "$T/s" "status counts the legacy backups, the oldest named"
