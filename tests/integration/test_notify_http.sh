#!/usr/bin/env bash
# Discord, generic webhook and healthcheck notifications against a recording HTTP server on
# loopback: the JSON sent, colours by status, 429 retry_after (body and header), bounded retries
# on 5xx, a server that never answers, every channel failing at once, and no leaked token.
. "$(dirname "$0")/servers/notify_lib.sh"

start_http hooks
H="http://127.0.0.1:$HTTP_PORT"
DTOKEN=dT0ken-7c9e2f4a1b3d5e6f8a0b2c4d6e8f0a1b
WTOKEN=wT0ken-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d
HCUUID=0c4d1a35-8f4a-4a7e-9d7c-2a3b4c5d6e7f
REQ="$T/hooks/requests.jsonl"

# requests PATH: the recorded requests to PATH, one JSON object per line.
requests() { "$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == sys.argv[2]: print(l, end="")' "$REQ" "$1"; }
count() { requests "$1" | grep -c . || true; }

# json_check PATH PYTHON-EXPR...: each expression, with b the body of the last request to PATH
# (parsed JSON) and r the request, must be true.
json_check() {
  local path=$1; shift
  requests "$path" | tail -1 | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.readline())
b = json.loads(r["body"])
for e in sys.argv[1:]:
    if not eval(e):
        sys.exit("FAIL: %s\nbody: %s" % (e, json.dumps(b, indent=1, ensure_ascii=False)[:3000]))
' "$@" || fail "JSON sent to $path"
  pass "JSON sent to $path: $# checks"
}

base=(TIMEZONE=Europe/Paris NOTIFY_TIMEOUT=20)

# 1. Discord: embed fields and colour by status
P=/ok/api/webhooks/123/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 0 "$rc" "discord success"
expect_grep '^discord +ok' "$T/o" "discord: reported ok"
json_check "$P" 'r["headers"]["Content-Type"] == "application/json"' \
  'b["embeds"][0]["color"] == 0x2ECC71' \
  'b["embeds"][0]["title"] == "[test] \u2705 Backup succeeded"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Archive"] == "backup-2024-01-08-00-00-00.archive.zst"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Size"] == "52.0 MB (zstd, ratio 4.35)"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Documents"] == "1,005,300 in 3 collections"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Success rate"] == "97.6% (41 of 42 runs)"' \
  '"Europe/Paris" in {f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Started"]' \
  'b["allowed_mentions"] == {"parse": []}' \
  'len(b["embeds"][0]["fields"]) <= 25'
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P" -- --failure
expect_rc 0 "$rc" "discord failure report"
json_check "$P" 'b["embeds"][0]["color"] == 0xE74C3C' \
  'b["embeds"][0]["title"] == "[test] \u274c Backup FAILED"' \
  'b["embeds"][0]["description"] == "the server went away during the dump of shop.orders (sample report)"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Stage"] == "dump"' \
  '{f["name"]: f["value"] for f in b["embeds"][0]["fields"]}["Status"] == "failure"'

# 2. generic webhook: the report as JSON; healthcheck: success and fail pings
W=/json/hook/$WTOKEN
HC=/ok/ping/$HCUUID
notify "$T/o" "$T/e" rc "${base[@]}" WEBHOOK_URL="$H$W" HEALTHCHECK_URL="$H$HC"
expect_rc 0 "$rc" "webhook + healthcheck"
expect_grep '^webhook +ok' "$T/o" "webhook: reported ok"
expect_grep '^healthcheck +ok' "$T/o" "healthcheck: reported ok"
json_check "$W" 'b["status"] == "success" and b["test"] is True and b["error"] is None' \
  'b["archive"]["name"] == "backup-2024-01-08-00-00-00.archive.zst"' \
  'b["archive"]["size"] == 52000000 and b["archive"]["compression"] == "zstd"' \
  'b["documents"] == 1005300 and len(b["namespaces"]) == 3' \
  'b["namespaces"][0] == {"db": "shop", "collection": "orders", "documents": 120000, "bytes": 48000000, "seconds": 21.5}' \
  '[n["collection"] for n in b["slowest"]] == ["orders", "events", "customers"]' \
  'b["statistics"]["total_backups"] == 7 and round(b["statistics"]["success_rate"], 1) == 97.6' \
  'b["timezone"] == "Europe/Paris" and b["started_at"].endswith("Z")' \
  'b["text"].startswith("[test] backup succeeded on ")'
[ "$(count "$HC")" = 1 ] || fail "healthcheck: expected one success ping at $HC"
requests "$HC" | grep -q '"body": "\[test\] backup succeeded on ' || fail "healthcheck: success ping body"
pass "healthcheck: one success ping with the summary"
notify "$T/o" "$T/e" rc "${base[@]}" WEBHOOK_URL="$H$W" HEALTHCHECK_URL="$H$HC" -- --failure
expect_rc 0 "$rc" "webhook + healthcheck failure report"
json_check "$W" 'b["status"] == "failure" and b["stage"] == "dump"' \
  'b["error"] == "the server went away during the dump of shop.orders (sample report)"'
[ "$(count "$HC/fail")" = 1 ] || fail "healthcheck: expected one ping at $HC/fail"
requests "$HC/fail" | grep -q 'FAILED on .* at stage dump' || fail "healthcheck: fail ping body"
pass "healthcheck: one /fail ping with the error"

# 3. HTTP 429 with retry_after in the body, then success
P=/ratelimit/api/webhooks/1/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 0 "$rc" "429 then success"
[ "$(count "$P")" = 2 ] || fail "429: expected 2 requests, got $(count "$P")"
requests "$P" | "$PY" -c 'import json,sys
t = [json.loads(l)["t"] for l in sys.stdin]
gap = t[1] - t[0]
sys.exit(0 if 1.4 <= gap <= 5 else "waited %.2f s, expected retry_after 1.5 s" % gap)' || fail "429: wait"
pass "429: the retry came after retry_after (1.5 s)"
expect_grep 'warn +notify: discord: attempt 1 failed \(HTTP 429: .*\); retrying in 1\.5 s' "$T/e" "429: the wait is logged"

# ... and with a Retry-After header only
P=/retryafter/api/webhooks/1/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 0 "$rc" "429 with Retry-After header"
[ "$(count "$P")" = 2 ] || fail "Retry-After: expected 2 requests"
expect_grep 'retrying in 1\.0 s' "$T/e" "Retry-After: 1 s honoured"

# a retry_after longer than the time left: give up at once with the reason
P=/ratelimitlong/api/webhooks/1/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 9 "$rc" "429 for too long"
[ "$(count "$P")" = 1 ] || fail "429 for too long: expected 1 request"
expect_grep '^discord +failed: rate limited \(HTTP 429\) for 120\.0 s, more than the [0-9.]+ s left' "$T/o" \
  "429 for too long: reason"

# 4. bounded retries on 500, with backoff; 503 twice then success
P=/error500/api/webhooks/1/$DTOKEN
start=$(date +%s%N)
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P" NOTIFY_RETRIES=2
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 9 "$rc" "500 always"
[ "$(count "$P")" = 3 ] || fail "500: expected 3 requests (1 + NOTIFY_RETRIES=2), got $(count "$P")"
pass "500: exactly 3 attempts"
expect_grep '^discord +failed: 3 attempts, last: HTTP 500: \{"message": "internal error"\}' "$T/o" "500: reason"
[ "$elapsed" -ge 2900 ] && [ "$elapsed" -le 10000 ] || fail "500: took $elapsed ms, expected backoff 1 s + 2 s"
pass "500: backoff waited 1 s then 2 s ($elapsed ms in all)"
P=/flaky/api/webhooks/1/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 0 "$rc" "503 twice then success"
[ "$(count "$P")" = 3 ] || fail "503: expected 3 requests"
P=/notfound/api/webhooks/1/$DTOKEN
notify "$T/o" "$T/e" rc "${base[@]}" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P"
expect_rc 9 "$rc" "404"
[ "$(count "$P")" = 1 ] || fail "404: a client error must not be retried"
expect_grep '^discord +failed: HTTP 404: \{"message": "Unknown Webhook", "code": 10015\}' "$T/o" "404: reason"

# 5. a server that accepts and never answers: bounded by NOTIFY_TIMEOUT
P=/hang/api/webhooks/1/$DTOKEN
start=$(date +%s%N)
notify "$T/o" "$T/e" rc ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$H$P" NOTIFY_TIMEOUT=2
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 9 "$rc" "hung server"
expect_grep '^discord +failed: (gave up|no answer within [0-9.]+ s)' "$T/o" "hung server: reason"
[ "$elapsed" -lt 5000 ] || fail "hung server: not bounded ($elapsed ms)"
pass "hung server: gave up after $elapsed ms (NOTIFY_TIMEOUT=2)"

# 6. every channel failing (nothing listens): each failure reported and logged, bounded, no crash
DEAD=$(free_port)
start=$(date +%s%N)
notify "$T/o" "$T/e" rc ENABLE_EMAIL_NOTIFICATIONS=true SMTP_HOST=127.0.0.1 SMTP_PORT="$DEAD" \
  NOTIFICATION_EMAILS=ops@example.com SMTP_FROM=backup@example.com SMTP_USER=backup@example.com \
  SMTP_PASS=Pw-dead-server-secret ENABLE_DISCORD_NOTIFICATIONS=true \
  DISCORD_WEBHOOK_URL="http://127.0.0.1:$DEAD/api/webhooks/1/$DTOKEN" \
  WEBHOOK_URL="http://127.0.0.1:$DEAD/hook/$WTOKEN" HEALTHCHECK_URL="http://127.0.0.1:$DEAD/$HCUUID" \
  NOTIFY_TIMEOUT=3
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 9 "$rc" "every channel down"
for ch in email discord webhook healthcheck; do
  expect_grep "^$ch +failed: .*(Failed to connect|Couldn't connect|Connection refused)" "$T/o" "every channel down: $ch line"
  expect_grep "error notify: $ch: not sent" "$T/e" "every channel down: $ch logged"
done
[ "$elapsed" -lt 8000 ] || fail "every channel down: not bounded ($elapsed ms)"
pass "every channel down: done in $elapsed ms (channels in parallel, NOTIFY_TIMEOUT=3)"
grep -qiE 'AddressSanitizer|runtime error' "$T/e" && fail "sanitizer report"

# 7. no channel, bad settings
notify "$T/o" "$T/e" rc
expect_rc 2 "$rc" "nothing enabled"
expect_grep 'no notification channel is enabled' "$T/e" "nothing enabled: message"
notify "$T/o" "$T/e" rc ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="discord/$DTOKEN"
expect_rc 2 "$rc" "bad URL"
expect_grep 'DISCORD_WEBHOOK_URL must be an http:// or https:// URL' "$T/e" "bad URL: message"

# 8. the tokens never appear in what we print or log, nor in any request body or header
"$PY" -c 'import json,sys
with open(sys.argv[2], "w") as out:
    for l in open(sys.argv[1]):
        r = json.loads(l); out.write(json.dumps(r["headers"]) + r["body"] + "\n")' "$REQ" "$T/sent.txt"
for secret in "$DTOKEN" "$WTOKEN" "$HCUUID" Pw-dead-server-secret; do
  expect_no_grep "$secret" "$T/sent.txt" "$T/all-output" \
    "secret ${secret:0:6}... not in any request body, output or log line"
done
echo "all HTTP notification tests passed"
