#!/usr/bin/env bash
# The scheduled mode under load and faults (issue 13 §6):
#  - BACKUP_TIMEOUT is a hard bound: with the server paused (SIGSTOP) before the run or in the
#    middle of the dump, the run ends within max(1 s, 5 %) of the limit;
#  - a backup killed with SIGKILL is counted as a failed run by the next run's statistics, and
#    its dump process dies with it;
#  - SIGHUP stops a backup (cancelled cleanly, exit 130) and an idle daemon (exit 0), logged;
#    Ctrl-C (SIGINT to the process group, the dump process too) cancels a backup the same way;
#  - a run that cannot start (BACKUP_DIR is a regular file) is still reported: webhook report and
#    healthcheck /fail ping;
#  - METRICS_ADDR under a flood of idle connections (more than its cap) with a low descriptor
#    limit: every backup succeeds, the statistics are saved and /healthz answers.
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"
PY=/usr/bin/python3
dir="$T/backups"
mkdir -p "$T/cwd"
now_ms() { date +%s%3N; }
state() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$dir/.mongobak-state.json" "$1"; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# backup OUT ERR RC [VAR=value...]: one `mongobak backup` into $dir, from a directory without .env
backup() {
  local out=$1 err=$2 rcv=$3; shift 3
  set +e
  (cd "$T/cwd" && env BACKUP_DIR="$dir" COMPRESSION=zstd "$@" "$MB_BIN" backup) >"$out" 2>"$err"
  eval "$rcv=\$?"
  set -e
}
wait_partial() { # wait_partial WHAT: until the run in progress has its .partial file
  local i
  for i in $(seq 200); do ls -A "$dir" 2>/dev/null | grep -q '\.partial$' && return 0; sleep 0.05; done
  fail "$1: the dump did not start"
}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  [ -n "${big:-}" ] && "$root/tools/ferretdb.sh" stop "$big" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# A source slow enough to be caught in the middle of a dump (~25 MB of large documents).
big="$T/bigsrv"
buri=$("$root/tools/ferretdb.sh" start "$big")
bpid=$(cat "$big/pid")
"$(dirname "$MB_DBCOMPARE")/mongobak-seed" --uri "$buri" --db big --big-mib 40 > /dev/null

# 1. BACKUP_TIMEOUT with a paused server: before the run (the handshake never answers) and in the
# middle of the dump (reads never return). Both must end within max(1 s, 5 %) of 3 s.
limit=3000
slack=$((limit / 20 > 1000 ? limit / 20 : 1000))
shm_files() { find /dev/shm -maxdepth 1 -name 'mongoc-*' -printf '%f\n' 2>/dev/null | sort; }
for when in before during; do
  rm -rf "$dir"
  [ $when = before ] && kill -STOP "$bpid"
  shm_files > "$T/shm.before"
  t0=$(now_ms)
  # as a user runs it (the tests' MONGOC_DISABLE_SHM unset): the killed dump process must not
  # leave libmongoc's shared-memory counters behind for a later process to trip over
  (cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$buri" BACKUP_TIMEOUT=$limit exec env -u MONGOC_DISABLE_SHM "$MB_BIN" backup) >"$T/o" 2>"$T/e" &
  bk=$!
  PIDS+=("$bk")
  [ $when = during ] && { wait_partial "paused server"; kill -STOP "$bpid"; }
  set +e; wait "$bk"; rc=$?; set -e
  took=$(($(now_ms) - t0))
  kill -CONT "$bpid"
  expect_rc 10 "$rc" "server paused $when the dump, BACKUP_TIMEOUT=$limit"
  expect_grep "dump failed: the backup exceeded BACKUP_TIMEOUT \($limit ms\) and was cancelled" "$T/e" "paused $when: says why"
  secs=$(state last_seconds)
  "$PY" -c "import sys; s=float(sys.argv[1]); sys.exit(0 if s <= ($limit + $slack) / 1000 else 1)" "$secs" ||
    fail "paused $when: the run took $secs s, limit $limit ms + $slack ms"
  # the process as a whole: the run plus start-up and exit (an ASan build), 2 s for those
  [ "$took" -le $((limit + slack + 2000)) ] || fail "paused $when: the process took $took ms"
  pass "paused $when the dump: the run ended after $secs s (limit $((limit / 1000)) s + $((slack / 1000)) s), the process after $took ms"
  ls -A "$dir" | grep -qE 'partial|unverified|\.zst$' && fail "paused $when: files left: $(ls -A "$dir")"
  pgrep -f "$MB_BIN __scheduled-dump" > /dev/null && fail "paused $when: a dump process survived"
  # new files of processes that are gone (a live process's file is another program's, running
  # beside the test, and is removed when it exits)
  left=$(shm_files | comm -13 "$T/shm.before" - | while read -r f; do kill -0 "${f#mongoc-}" 2>/dev/null || echo "$f"; done)
  [ -z "$left" ] || fail "paused $when: the killed dump left /dev/shm/$left"
  pass "paused $when: no file, no dump process and no shared-memory file left"
done

# 2. SIGKILL during a backup: the dump process dies with it, the next run counts it as failed.
rm -rf "$dir"
(cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$buri" exec "$MB_BIN" backup) >"$T/o" 2>"$T/e" &
bk=$!
PIDS+=("$bk")
wait_partial "SIGKILL"
child=$(pgrep -P "$bk" || true)
[ -n "$child" ] || fail "SIGKILL: no dump process under the backup"
kill -KILL "$bk"
set +e; wait "$bk"; set -e
for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
kill -0 "$child" 2>/dev/null && fail "SIGKILL: the dump process $child outlived the backup"
pass "SIGKILL: the dump process died with the backup"
backup "$T/o" "$T/e" rc MONGODB_URI="$MB_URI_SRC"
expect_rc 0 "$rc" "the run after the killed one"
expect_grep "warn  the run started at .* never finished \(killed\); counted as failed" "$T/e" "the next run says so"
(cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$MB_URI_SRC" "$MB_BIN" status --json) > "$T/status.json"
"$PY" - "$T/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["runs"] == 2 and s["failures"] == 1 and s["successes"] == 1, s
assert s["last_status"] == "ok" and s["backups"] == 1, s
print("ok: status --json: 2 runs, 1 failed (the killed one), 1 ok")
PY
ls -A "$dir" | grep -qE 'partial|unverified' && fail "SIGKILL: leftovers remain: $(ls -A "$dir")"
pass "the killed run's leftovers were removed"

# 3. SIGHUP: a backup is cancelled like by SIGTERM (exit 130, no archive, logged, reported as
# cancelled and not counted as a failure) ...
(cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$buri" exec "$MB_BIN" backup) >"$T/o" 2>"$T/e" &
bk=$!
PIDS+=("$bk")
wait_partial "SIGHUP"
kill -HUP "$bk"
set +e; wait "$bk"; rc=$?; set -e
expect_rc 130 "$rc" "SIGHUP during a backup"
expect_grep "mongobak backup: error: dump cancelled: the backup was cancelled because mongobak is stopping" "$T/e" "SIGHUP: the run was cancelled"
expect_grep "warn  backup cancelled at dump: the backup was cancelled because mongobak is stopping \(not counted as a failure\)" "$T/e" "SIGHUP: logged as cancelled"
grep -q "FAILED\|backup failed" "$T/e" && fail "SIGHUP: the cancelled run is reported as failed: $(cat "$T/e")"
expect_grep "info  backup: SIGHUP received: stopped \(SIGHUP stops mongobak like SIGTERM" "$T/e" "SIGHUP: logged"
[ "$(state failures)" = 1 ] && [ "$(state runs)" = 2 ] && [ "$(state last_status)" = ok ] || fail "SIGHUP: the cancelled run was counted, or taken for the last run"
ls -A "$dir" | grep -qE 'partial|unverified' && fail "SIGHUP: leftovers remain: $(ls -A "$dir")"
pass "SIGHUP: the cancelled run left no file, counts as no run nor failure, and the last run stays the last that finished"
# ... and Ctrl-C (SIGINT to the whole process group, the dump process included) likewise
setsid sh -c "cd '$T/cwd' && BACKUP_DIR='$dir' MONGODB_URI='$buri' exec '$MB_BIN' backup" >"$T/o" 2>"$T/e" &
bk=$!
PIDS+=("$bk")
wait_partial "SIGINT to the group"
kill -INT -- -"$bk"
set +e; wait "$bk"; rc=$?; set -e
expect_rc 130 "$rc" "SIGINT to the process group during a backup"
expect_grep "mongobak backup: error: dump cancelled: the backup was cancelled because mongobak is stopping" "$T/e" "SIGINT to the group: the run was cancelled"
ls -A "$dir" | grep -qE 'partial|unverified' && fail "SIGINT to the group: leftovers remain: $(ls -A "$dir")"
[ "$(state runs)" = 2 ] && [ "$(state failures)" = 1 ] || fail "SIGINT to the group: the cancelled run was counted"
# ... and an idle daemon stops (exit 0) and says why
(cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$MB_URI_SRC" CRON_SCHEDULE='0 0 1 1 *' exec "$MB_BIN" daemon) >"$T/o" 2>"$T/d.log" &
dm=$!
PIDS+=("$dm")
for _ in $(seq 100); do grep -q "daemon started" "$T/d.log" && break; sleep 0.1; done
kill -HUP "$dm"
t0=$(now_ms)
set +e; wait "$dm"; rc=$?; set -e
expect_rc 0 "$rc" "SIGHUP to an idle daemon"
[ $(($(now_ms) - t0)) -le 2000 ] || fail "SIGHUP: the daemon took $(($(now_ms) - t0)) ms to stop"
expect_grep "info  daemon: SIGHUP received: stopped" "$T/d.log" "SIGHUP to the daemon: logged"

# 4. A run that cannot start: BACKUP_DIR is a regular file. The webhook gets the failure report,
# the healthcheck the /fail ping.
hp="$T/http"
mkdir -p "$hp"
: > "$hp/requests.jsonl"
"$PY" "$(dirname "$0")/servers/http_server.py" --log "$hp/requests.jsonl" --port-file "$hp/port" > "$hp/log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do [ -s "$hp/port" ] && break; sleep 0.1; done
H="http://127.0.0.1:$(cat "$hp/port")"
echo "not a directory" > "$T/file"
run_cmd "$T/o" "$T/e" rc -- sh -c "cd '$T/cwd' && BACKUP_DIR='$T/file' MONGODB_URI='$MB_URI_SRC' WEBHOOK_URL='$H/json/hook' HEALTHCHECK_URL='$H/ok/ping' '$MB_BIN' backup"
[ "$rc" = 5 ] || { cat "$T/e"; fail "BACKUP_DIR is a file: exit $rc, expected 5"; }
expect_grep "mongobak backup: error: cannot open the lock file '$T/file/.mongobak.lock'" "$T/e" "BACKUP_DIR is a file: one error line"
"$PY" - "$hp/requests.jsonl" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
paths = [r["path"] for r in reqs]
assert "/ok/ping/fail" in paths and "/ok/ping/start" not in paths, paths
b = json.loads([r for r in reqs if r["path"] == "/json/hook"][0]["body"])
assert b["status"] == "failure" and b["stage"] == "lock", b
assert "cannot open the lock file" in b["error"], b
print("ok: BACKUP_DIR is a file: failure report (stage lock) to the webhook and the /fail ping")
PY

# 5. METRICS_ADDR flooded with idle connections, with 128 descriptors: the endpoint takes at most
# 16 (4 per address); backups keep succeeding, the statistics are saved, /healthz answers.
rm -rf "$dir"
mport=$(free_port)
(ulimit -n 128; cd "$T/cwd" && BACKUP_DIR="$dir" MONGODB_URI="$MB_URI_SRC" CRON_SCHEDULE='*/2 * * * * *' \
  METRICS_ADDR="127.0.0.1:$mport" exec "$MB_BIN" daemon) >"$T/o" 2>"$T/flood.log" &
dm=$!
PIDS+=("$dm")
for _ in $(seq 100); do grep -q "daemon started" "$T/flood.log" && break; sleep 0.1; done
# flood ADDRESSES PER: hold PER idle connections from each of the loopback ADDRESSES until killed
flood() {
  "$PY" - "$mport" "$1" "$2" <<'PY' &
import socket, sys, time
port, addrs, per = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
held = []
for a in addrs:
    for _ in range(per):
        s = socket.socket()
        s.bind((a, 0))
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            pass
        held.append(s)
print("holding %d connections" % len(held), flush=True)
time.sleep(600)
PY
  FLOOD=$!
  PIDS+=("$FLOOD")
}
healthz() { "$PY" -c 'import json,sys,urllib.request; h=json.load(urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1], timeout=float(sys.argv[2]))); assert h["status"] == "ok", h' "$mport" "$1"; }
# runs_ok N: wait until N more runs than now succeeded, none failed
runs_ok() {
  local want=$(($(state successes 2>/dev/null || echo 0) + $1)) i
  for i in $(seq 150); do
    [ "$(state successes 2>/dev/null || echo 0)" -ge "$want" ] && break
    sleep 0.1
  done
  [ "$(state successes)" -ge "$want" ] || { tail -5 "$T/flood.log"; fail "$2: no successful run"; }
  [ "$(state failures)" = 0 ] || { grep error "$T/flood.log" | tail -3; fail "$2: a run failed"; }
}
# one address, 300 connections: all but 4 are closed at once, /healthz from elsewhere answers
flood 127.0.0.2 300
sleep 1
runs_ok 2 "one address holding 300 connections"
healthz 5 || fail "/healthz does not answer while 127.0.0.2 holds 300 connections"
pass "127.0.0.2 holds 300 idle connections: backups succeed, statistics saved, /healthz answers"
kill "$FLOOD"
# 40 addresses x 8: 320 connections, far over the cap of 16; the rest wait in the kernel's backlog
addrs=$(seq -s, -f '127.0.1.%g' 1 40)
flood "$addrs" 8
sleep 1
runs_ok 2 "40 addresses holding 320 connections"
pass "40 addresses hold 320 idle connections: backups succeed and the statistics are saved"
kill "$FLOOD"
for _ in $(seq 50); do healthz 1 2>/dev/null && break; sleep 0.2; done
healthz 5 || fail "/healthz does not answer after the flood"
pass "/healthz answers again once the flood is gone"
grep -qi "too many open files" "$T/flood.log" && fail "descriptors ran out: $(grep -i 'too many' "$T/flood.log" | head -2)"
kill -TERM "$dm"
set +e; wait "$dm"; rc=$?; set -e
expect_rc 0 "$rc" "the flooded daemon stops on SIGTERM"
echo "all daemon fault tests passed"
