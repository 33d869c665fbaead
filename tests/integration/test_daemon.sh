#!/usr/bin/env bash
# The scheduled mode against the test bed: a daemon on a 6-field schedule makes several runs and
# keeps exactly MAX_BACKUPS archives that verify and restore; the statistics match the runs; a
# second daemon on the same directory refuses to start; a run over BACKUP_TIMEOUT is cancelled,
# leaves no archive and counts as a failure; SIGTERM during a run leaves no archive, exits 0 and
# is reported as cancelled (no failure); every run logs its start;
# a stalled server ends the run by its time limit instead of hanging.
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"
dir="$T/backups"
mport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$T/.env" <<EOT
# the daemon's configuration, as users of the service mongobak replaces write it
export MONGODB_URI="$MB_URI_SRC"
BACKUP_DIR=$dir
MAX_BACKUPS=2
CRON_SCHEDULE='*/2 * * * * *'
COMPRESSION=zstd   # the recommended compression
STATUS_INTERVAL=1
METRICS_FILE=$T/mongobak.prom
METRICS_ADDR=127.0.0.1:$mport
EOT
state() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$dir/.mongobak-state.json" "$1"; }

(cd "$T" && exec "$MB_BIN" daemon) > "$T/daemon.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 120); do
  [ -f "$dir/.mongobak-state.json" ] && [ "$(state runs)" -ge 4 ] && break
  sleep 0.5
done
[ "$(state runs)" -ge 4 ] || { cat "$T/daemon.log"; fail "the daemon did not make 4 runs"; }
pass "the daemon made $(state runs) runs"
/usr/bin/python3 - "$mport" <<'PY'
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
base = "http://127.0.0.1:%s" % sys.argv[1]
text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
m = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
assert m["mongobak_runs_total"] >= 4 and m["mongobak_next_run_timestamp_seconds"] > 1.7e9, m
h = json.load(urllib.request.urlopen(base + "/healthz", timeout=10))
assert h["status"] == "ok", h
try:
    urllib.request.urlopen(base + "/nope", timeout=10)
    raise SystemExit("404 expected")
except urllib.error.HTTPError as e:
    assert e.code == 404
print("ok: METRICS_ADDR serves /metrics (Prometheus text) and /healthz over loopback")
PY

run_cmd "$T/o" "$T/e" rc -- sh -c "cd '$T' && '$MB_BIN' daemon"
expect_rc 12 "$rc" "a second daemon on the same directory"
expect_grep "another mongobak \(pid $pid\) is using the backup directory" "$T/e" "names the running daemon"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_rc 0 "$rc" "SIGTERM stops the daemon"
expect_grep "daemon stopped after [0-9]+ runs" "$T/daemon.log" "logs the stop"
expect_grep "status: next run" "$T/daemon.log" "logs status lines"
runs=$(state runs); ok=$(state successes); failed=$(state failures)
# SIGTERM may have cancelled a run in progress: that one is "cancelled", no failure; none fails
[ "$failed" = 0 ] || fail "state: $runs runs, $ok ok, $failed failed"
[ "$(state last_status)" = ok ] || fail "state: the last run that finished is not ok"
grep -q "backup failed" "$T/daemon.log" && fail "a run failed: $(grep 'backup failed' "$T/daemon.log")"
[ $((ok + failed)) = "$runs" ] || fail "state: $runs runs, $ok ok, $failed failed"
[ "$(grep -c 'info  backup backup-' "$T/daemon.log")" = "$ok" ] || fail "state says $ok successful runs, the log shows others"
pass "statistics match the runs ($runs runs, $ok ok, none failed; a run cancelled by SIGTERM is none)"
/usr/bin/python3 - "$T/mongobak.prom" "$runs" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
m = {s.name: s.value for f in text_string_to_metric_families(open(sys.argv[1]).read()) for s in f.samples}
runs = int(sys.argv[2])
assert m["mongobak_runs_total"] == runs and m["mongobak_failures_total"] == 0, m
assert m["mongobak_backups"] == 2, m
assert m["mongobak_backups_bytes"] > 0 and m["mongobak_last_success_timestamp_seconds"] > 1.7e9, m
print("ok: METRICS_FILE parses as Prometheus text with the run's figures")
PY
n=$(ls "$dir" | grep -cE '^backup-.*\.archive\.zst$')
[ "$n" = 2 ] || fail "$n archives remain, expected MAX_BACKUPS=2: $(ls "$dir")"
[ "$(ls "$dir" | grep -c 'manifest.json$')" = 2 ] || fail "manifests: $(ls "$dir")"
ls -A "$dir" | grep -qE 'partial|unverified' && fail "a partial file remains"
pass "exactly MAX_BACKUPS=2 archives with their manifests remain"
[ "$(stat -c %a "$dir")" = 700 ] || fail "BACKUP_DIR mode $(stat -c %a "$dir"), expected 700"
for f in "$dir"/backup-* "$dir"/.mongobak-state.json "$dir"/.mongobak.lock; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f"), expected 600"
done
pass "BACKUP_DIR is 0700; archives, manifests, state and lock files are 0600"
for a in "$dir"/backup-*.archive.zst; do
  "$MB_BIN" verify --quiet "$a" > /dev/null || fail "$a does not verify"
  sha=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$a.manifest.json")
  [ "$(sha256sum "$a" | cut -d' ' -f1)" = "$sha" ] || fail "$a: SHA-256 differs from its manifest"
done
pass "both archives verify and match their manifest's SHA-256"
newest=$(ls "$dir"/backup-*.archive.zst | sort | tail -1)
db=$(fresh_db daemon)
zstd -dcq "$newest" | mongorestore --uri "$MB_URI_DST" --archive --nsInclude "$MB_SEED_DB.*" \
  --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/r.log" || { tail -3 "$T/r.log"; fail "restore"; }
compare_db "$MB_URI_SRC" "$MB_SEED_DB" "$MB_URI_DST" "$db"
(cd "$T" && "$MB_BIN" list --json) > "$T/list.json"
/usr/bin/python3 -c '
import json,sys; l=json.load(open(sys.argv[1]))["backups"]
assert len(l) == 2 and all(b["complete"] and b["status"] == "unchecked" and b["documents"] > 2600 for b in l), l
print("ok: list --json shows the 2 backups")' "$T/list.json"

# a run over its time limit
run_cmd "$T/o" "$T/e" rc -- sh -c "cd '$T' && BACKUP_TIMEOUT=1 '$MB_BIN' backup"
expect_rc 10 "$rc" "a run over BACKUP_TIMEOUT"
expect_grep "dump failed: the backup exceeded BACKUP_TIMEOUT \(1 ms\) and was cancelled" "$T/e" "says why"
[ "$(ls "$dir" | grep -cE '^backup-.*\.archive\.zst$')" = 2 ] || fail "the cancelled run left files: $(ls "$dir")"
[ "$(state failures)" = $((failed + 1)) ] || fail "the failure was not counted"
pass "the cancelled run left no archive, deleted nothing and counts as a failure"

# SIGTERM during a run: a slow source (FerretDB with ~40 MB of large documents)
bigdir="$T/bigsrv"
buri=$("$root/tools/ferretdb.sh" start "$bigdir")
trap 'kill "$pid" 2>/dev/null || true; "$root/tools/ferretdb.sh" stop "$bigdir"; rm -rf "$T"' EXIT
"$(dirname "$MB_DBCOMPARE")/mongobak-seed" --uri "$buri" --db big --big-mib 40 > /dev/null
(cd "$T" && MONGODB_URI="$buri" CRON_SCHEDULE='* * * * * *' exec "$MB_BIN" daemon) > "$T/d2.log" 2>&1 &
pid=$!
for _ in $(seq 100); do ls -A "$dir" | grep -q '\.partial$' && break; sleep 0.1; done
ls -A "$dir" | grep -q '\.partial$' || { cat "$T/d2.log"; fail "the run did not start"; }
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_rc 0 "$rc" "SIGTERM during a run"
expect_grep "backup cancelled at dump: the backup was cancelled because mongobak is stopping \(not counted as a failure\)" "$T/d2.log" "the run was cancelled, not failed"
grep -q "backup failed" "$T/d2.log" && fail "SIGTERM: the run is reported as failed"
expect_grep "info  backup started: $dir/backup-" "$T/d2.log" "the run's start is logged"
ls -A "$dir" | grep -qE 'partial|unverified' && fail "a partial file remains after SIGTERM"
[ "$(ls "$dir" | grep -cE '^backup-.*\.archive\.zst$')" = 2 ] || fail "SIGTERM: $(ls "$dir")"
pass "SIGTERM during a run left no archive and kept the 2 good ones"

# a server that accepts connections and never answers
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' > "$T/stall.port" &
stall=$!
sleep 0.5
start=$(date +%s)
run_cmd "$T/o" "$T/e" rc -- sh -c "cd '$T' && MONGODB_URI='mongodb://127.0.0.1:$(cat "$T/stall.port")/?connectTimeoutMS=2000&serverSelectionTimeoutMS=3000' BACKUP_TIMEOUT=5000 timeout 60 '$MB_BIN' backup"
kill "$stall"
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "stalled server: exit $rc"
[ $(( $(date +%s) - start )) -le 20 ] || fail "stalled server: took $(( $(date +%s) - start )) s"
expect_grep "mongobak backup: error: dump failed: " "$T/e" "stalled server: one error line"
pass "a stalled server ends the run in $(( $(date +%s) - start )) s with exit $rc"
