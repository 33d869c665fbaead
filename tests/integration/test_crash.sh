#!/usr/bin/env bash
# Crash during a backup: `mongobak backup` killed with SIGKILL at MB_CRASH_TRIALS random moments
# (10 in CI; 50 for the full run). After every kill, each file under a final archive name is a
# complete backup (manifest present, archive verifies, SHA-256 matches); the next run succeeds
# and removes what the killed one left (.partial, .unverified, orphan manifests).
. "$(dirname "$0")/lib.sh"
trials=${MB_CRASH_TRIALS:-10}
dir="$T/backups"
export MONGODB_URI="$MB_URI_SRC" BACKUP_DIR="$dir" MAX_BACKUPS=3 COMPRESSION=zstd
check_final_names() {
  local a sha
  for a in "$dir"/backup-*.archive.zst; do
    [ -e "$a" ] || continue
    [ -f "$a.manifest.json" ] || fail "trial $1: $a has no manifest"
    "$MB_BIN" verify --quiet "$a" > /dev/null || fail "trial $1: $a does not verify"
    sha=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$a.manifest.json")
    [ "$(sha256sum "$a" | cut -d' ' -f1)" = "$sha" ] || fail "trial $1: $a SHA-256 differs"
  done
}
for i in $(seq "$trials"); do
  delay=$(/usr/bin/python3 -c "import random; random.seed($i); print(round(random.uniform(0.05, 2.0), 2))")
  (cd "$T" && exec "$MB_BIN" backup --log-level error) > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check_final_names "$i"
done
pass "$trials kills at random moments: every file under a final name is a complete, verified backup"
left=$(ls -A "$dir" | grep -cE '\.partial$|\.unverified' || true)
echo "leftovers before the next run: $left"
(cd "$T" && "$MB_BIN" backup) > "$T/o" 2>"$T/e" || { cat "$T/e"; fail "the next run after the crashes"; }
ls -A "$dir" | grep -E '\.partial$|\.unverified' && fail "leftovers remain after the next run"
for m in "$dir"/backup-*.manifest.json; do [ -f "${m%.manifest.json}" ] || fail "orphan manifest $m remains"; done
check_final_names final
pass "the next run succeeded and removed every leftover ($left before it)"


# disk full during a scheduled backup: BACKUP_DIR on a 4 MiB tmpfs holding two good backups of a
# small database (selected by the URI's database, as mongodump does); a backup of the ~6 MB seeded
# database then fails with "no space", leaves nothing, and retention deletes nothing
small="$T/small"
mkdir -p "$small"
mount -t tmpfs -o size=4m tmpfs "$small" || fail "cannot mount a tmpfs (needs root)"
trap 'umount "$small" 2>/dev/null || true; rm -rf "$T"' EXIT
sdb=$(fresh_db tiny)
/usr/bin/python3 -c 'import sys, pymongo; c = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]; c.drop_collection("t"); c.t.insert_many([{"i": i} for i in range(100)])' "$MB_URI_SRC" "$sdb"
export BACKUP_DIR="$small/b" MAX_BACKUPS=2 COMPRESSION=none
for _ in 1 2; do
  (cd "$T" && MONGODB_URI="${MB_URI_SRC%/}/$sdb" "$MB_BIN" backup --log-level error) > /dev/null || fail "small backup"
  sleep 1.1
done
before=$(cd "$small/b" && sha256sum backup-* | sort)
[ "$(ls "$small/b" | grep -c 'archive$')" = 2 ] || fail "setup: $(ls "$small/b")"
run_cmd "$T/o" "$T/e" rc -- sh -c "cd '$T' && MONGODB_URI='${MB_URI_SRC%/}/$MB_SEED_DB' '$MB_BIN' backup"
expect_rc 5 "$rc" "backup on a full disk"
expect_grep "dump failed: cannot write '.*': No space left on device; free some space or choose another directory" "$T/e" "says no space"
after=$(cd "$small/b" && sha256sum backup-* | sort)
[ "$before" = "$after" ] || fail "disk full: the earlier backups or manifests changed"
ls -A "$small/b" | grep -qE 'partial|unverified' && fail "disk full: a partial file remains"
pass "disk full: the run failed, left nothing, earlier backups and manifests untouched, retention deleted nothing"
