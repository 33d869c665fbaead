#!/usr/bin/env bash
# Notifications of real scheduled runs (`mongobak backup` against the test bed): the report of a
# success and of a failure reaches the webhook with the run's figures, the healthcheck gets its
# start and success/fail pings, and a backup with every channel down still succeeds (exit 0)
# with each channel's failure logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers/notify_lib.sh"

start_http hooks
H="http://127.0.0.1:$HTTP_PORT"
WTOKEN=wT0ken-5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
HCUUID=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
REQ="$T/hooks/requests.jsonl"
dir="$T/backups"

backup() { # backup OUT ERR RC [VAR=value...]: one scheduled run into $dir
  local out=$1 err=$2 rcv=$3; shift 3
  set +e
  (cd "$T/cwd" && env MONGODB_URI="$MB_URI_SRC" BACKUP_DIR="$dir" COMPRESSION=zstd "$@" \
    "$MB_BIN" backup) >"$out" 2>"$err"
  eval "$rcv=\$?"
  set -e
  cat "$out" "$err" >>"$T/all-output"
}

# 1. a successful run: webhook report and healthcheck pings
backup "$T/o" "$T/e" rc WEBHOOK_URL="$H/json/hook/$WTOKEN" HEALTHCHECK_URL="$H/ok/ping/$HCUUID"
expect_rc 0 "$rc" "backup with a webhook and a healthcheck"
archive=$(ls "$dir" | grep -E '^backup-.*\.archive\.zst$' | head -1)
"$PY" - "$REQ" "$archive" "$WTOKEN" "$HCUUID" <<'PY' || fail "success: requests"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
archive, wtoken, hc = sys.argv[2:5]
paths = [r["path"] for r in reqs]
assert paths.count("/ok/ping/%s/start" % hc) == 1 and paths.count("/ok/ping/%s" % hc) == 1, paths
assert paths.index("/ok/ping/%s/start" % hc) < paths.index("/ok/ping/%s" % hc), paths
b = json.loads([r for r in reqs if r["path"] == "/json/hook/" + wtoken][0]["body"])
assert b["status"] == "success" and b["test"] is False, b
assert b["archive"]["name"] == archive and b["archive"]["compression"] == "zstd", b["archive"]
assert b["archive"]["size"] > 0 and b["documents"] > 0, b
assert any(n["db"] == "mbtest" for n in b["namespaces"]), b["namespaces"]
assert sum(n["documents"] for n in b["namespaces"]) == b["documents"], b
assert b["statistics"]["total_backups"] == 1 and b["statistics"]["successes"] == 1, b["statistics"]
print("ok: success: webhook report of %s (%d documents), start and success pings" % (archive, b["documents"]))
PY

# 2. a failed run (unreachable server): failure report with its stage, /fail ping
: >"$REQ"
DEAD=$(free_port)
backup "$T/o" "$T/e" rc WEBHOOK_URL="$H/json/hook/$WTOKEN" HEALTHCHECK_URL="$H/ok/ping/$HCUUID" \
  MONGODB_URI="mongodb://127.0.0.1:$DEAD/?serverSelectionTimeoutMS=1000"
[ "$rc" != 0 ] || fail "a backup of an unreachable server succeeded"
"$PY" - "$REQ" "$WTOKEN" "$HCUUID" <<'PY' || fail "failure: requests"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
wtoken, hc = sys.argv[2:4]
paths = [r["path"] for r in reqs]
assert "/ok/ping/%s/start" % hc in paths and "/ok/ping/%s/fail" % hc in paths, paths
b = json.loads([r for r in reqs if r["path"] == "/json/hook/" + wtoken][0]["body"])
assert b["status"] == "failure" and b["stage"] and b["error"], b
assert b["statistics"]["failures"] == 1, b["statistics"]
print("ok: failure: report at stage %r (%s), start and fail pings" % (b["stage"], b["error"][:60]))
PY

# 3. every channel down: the backup still succeeds, each failure logged
backup "$T/o" "$T/e" rc ENABLE_EMAIL_NOTIFICATIONS=true SMTP_HOST=127.0.0.1 SMTP_PORT="$DEAD" \
  NOTIFICATION_EMAILS=ops@example.com SMTP_FROM=backup@example.com ENABLE_DISCORD_NOTIFICATIONS=true \
  DISCORD_WEBHOOK_URL="http://127.0.0.1:$DEAD/api/webhooks/1/$WTOKEN" \
  WEBHOOK_URL="http://127.0.0.1:$DEAD/hook/$WTOKEN" HEALTHCHECK_URL="http://127.0.0.1:$DEAD/$HCUUID" \
  NOTIFY_TIMEOUT=3
expect_rc 0 "$rc" "backup with every channel down"
for ch in email discord webhook healthcheck; do
  expect_grep "error notify: $ch: not sent" "$T/e" "every channel down: $ch failure logged"
done
expect_grep "error notify: healthcheck: start ping not sent" "$T/e" "every channel down: start ping failure logged"
expect_no_grep "$WTOKEN" "$T/all-output" "the webhook token is in no output or log line"
expect_no_grep "$HCUUID" "$T/all-output" "the healthcheck id is in no output or log line"
echo "all backup notification tests passed"
