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
