#!/usr/bin/env bash
# Configuration: precedence (flag > environment > .env > default), *_FILE secrets, masking in
# `mongobak config`, and one exact message per invalid value. No server needed.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
run() { set +e; env -i PATH="$PATH" "$@" > out 2> err; rc=$?; set -e; }

printf 'export MONGODB_URI="mongodb://u:topsecret@db:27017/"\nMAX_BACKUPS=5 # keep five\nTIMEZONE=Europe/Berlin\nSMTP_PASS_FILE=%s/pw\nCRON_SCHEDULE="*/5 * * * *"\n' "$tmp" > .env
printf 'smtp-password\n' > pw
run MAX_BACKUPS=9 "$bin" config --timezone America/New_York
[ $rc = 0 ] || { cat err; fail "config exit $rc"; }
grep -qE '^MAX_BACKUPS +9 +environment$' out || fail "environment over .env: $(grep MAX_BACKUPS out)"
grep -qE '^TIMEZONE +America/New_York +flag --timezone$' out || fail "flag over .env: $(grep TIMEZONE out)"
grep -qE '^CRON_SCHEDULE +\*/5 \* \* \* \* +\.env line 5$' out || fail ".env value: $(grep CRON out)"
grep -qE "^SMTP_PASS +\*\*\* +file $tmp/pw$" out || fail "*_FILE: $(grep SMTP_PASS out)"
grep -qE '^MONGODB_URI +mongodb://u:\*\*\*@db:27017/ +\.env line 1$' out || fail "URI masked: $(grep MONGODB_URI out)"
grep -qE '^BACKUP_TIMEOUT +1800000 +default$' out || fail "default: $(grep BACKUP_TIMEOUT out)"
grep -q topsecret out err && fail "the URI password is printed"
grep -q smtp-password out err && fail "the SMTP password is printed"
echo "ok: precedence, *_FILE, masking"

# unknown .env keys: one warning each (a repeated key once), with the nearest known name; the
# environment is not checked; an empty value is unset (the default applies); config still exits 0
printf 'MONGODB_URI=mongodb://h/\nMAX_BACKUP=3\nMAX_BACKUP=4\nSMTP_PAS_FILE=/x\nFOO_BAR_BAZ=1\nBACKUP_JOBS=\n' > .env
run MAX_BACKUPZ=1 "$bin" config
[ $rc = 0 ] || { cat err; fail "config with unknown .env keys: exit $rc"; }
cat > want <<'EOT'
warning: .env line 2: unknown variable MAX_BACKUP (did you mean MAX_BACKUPS?)
warning: .env line 4: unknown variable SMTP_PAS_FILE (did you mean SMTP_PASS_FILE?)
warning: .env line 5: unknown variable FOO_BAR_BAZ
EOT
diff want err || fail "unknown-key warnings differ"
grep -qE '^BACKUP_JOBS +4 +default$' out || fail "empty value is not unset: $(grep BACKUP_JOBS out)"
echo "ok: unknown .env keys, empty values"

printf 'MONGODB_URI=mongodb://h/\nMAX_BACKUPS=0\nBACKUP_TIMEOUT=soon\nCOMPRESSION=lzma\nTIMEZONE=Mars/Olympus\nCRON_SCHEDULE="61 * * * *"\nENABLE_COMPRESSION=maybe\nBACKUP_JOBS=100\n' > .env
run "$bin" backup
[ $rc = 2 ] || fail "invalid configuration: exit $rc"
cat > want <<'EOT'
config: MAX_BACKUPS = '0' (.env line 2): must be a whole number from 1 to 100000
config: BACKUP_TIMEOUT = 'soon' (.env line 3): must be a whole number from 0 to 604800000
config: BACKUP_JOBS = '100' (.env line 8): must be a whole number from 1 to 64
config: ENABLE_COMPRESSION = 'maybe' (.env line 7): must be true or false
config: COMPRESSION = 'lzma' (.env line 4): must be none, gzip or zstd
config: TIMEZONE = 'Mars/Olympus' (.env line 5): is not a known time zone; use an IANA name such as Europe/Berlin or America/New_York (package tzdata)
config: CRON_SCHEDULE = '61 * * * *' (.env line 6): cron expression '61 * * * *': minute field (column 1): 61 is out of range 0-59
mongobak backup: error: 7 configuration problems (listed above); fix them and retry
EOT
diff want err || fail "validation messages differ"
echo "ok: one exact message per invalid value"

printf 'MONGODB_URI=mongodb://h/\nBROKEN LINE\n' > .env
run "$bin" config
[ $rc = 2 ] || fail "malformed .env: exit $rc"
grep -qx "mongobak config: error: .env:2: .*" err || fail "malformed .env message: $(cat err)"
rm .env
run "$bin" backup
[ $rc = 2 ] || fail "no MONGODB_URI: exit $rc"
grep -q "config: MONGODB_URI is not set; set it in the environment or in .env, or give --uri" err || fail "missing URI: $(cat err)"
run "$bin" config --env-file /nonexistent.env
[ $rc = 5 ] || fail "missing --env-file: exit $rc ($(cat err))"
echo "ok: malformed .env, missing MONGODB_URI, missing --env-file"
# `config` refuses exactly what the daemon refuses, with the same lines: a schedule that never
# fires, a file of the zone directory that is not a zone, a malformed METRICS_ADDR, notification
# settings the daemon would reject (the daemon fails on them before it connects anywhere)
printf 'MONGODB_URI=mongodb://127.0.0.1:1/\nBACKUP_DIR=%s/b\nCRON_SCHEDULE=0 0 31 2 *\nTIMEZONE=zone.tab\n' "$tmp" > .env
run "$bin" config
[ $rc = 2 ] || fail "config with a never-firing schedule and TIMEZONE=zone.tab: exit $rc"
grep '^config: ' err > config.err || true
run "$bin" daemon
[ $rc = 2 ] || fail "daemon with a never-firing schedule and TIMEZONE=zone.tab: exit $rc"
grep '^config: ' err > daemon.err || true
cat > want <<'EOT'
config: TIMEZONE = 'zone.tab' (.env line 4): is not a known time zone; use an IANA name such as Europe/Berlin or America/New_York (package tzdata)
config: CRON_SCHEDULE = '0 0 31 2 *' (.env line 3): cron expression '0 0 31 2 *': never matches (no run in the next 30 years)
EOT
diff want config.err || fail "config: messages differ"
diff want daemon.err || fail "daemon: messages differ from config's"
[ ! -e "$tmp/b" ] || fail "the daemon created BACKUP_DIR before refusing the configuration"
for bad in "METRICS_ADDR=localhost" "ENABLE_EMAIL_NOTIFICATIONS=true"; do
  printf 'MONGODB_URI=mongodb://127.0.0.1:1/\nBACKUP_DIR=%s/b\n%s\n' "$tmp" "$bad" > .env
  run "$bin" config
  [ $rc = 2 ] || fail "config with $bad: exit $rc"
  tail -1 err | sed 's/^mongobak config: //' > config.err
  run "$bin" daemon
  [ $rc = 2 ] || fail "daemon with $bad: exit $rc"
  tail -1 err | sed 's/^mongobak daemon: //' > daemon.err
  diff config.err daemon.err || fail "$bad: config and daemon say different things"
done
rm .env
run "$bin" config
[ $rc = 2 ] || fail "config without MONGODB_URI: exit $rc"
echo "ok: config refuses what the daemon refuses, with the same message"
# the .env of the Node.js service mongobak replaces works unchanged: its variables, its quoting,
# no warning, exit 0; ENABLE_COMPRESSION=true means gzip as it did there
cat > .env <<'EOT'
# .env of the Node.js backup service, unchanged
MONGODB_URI="mongodb://backup:s3cret@db.example:27017/?authSource=admin"
BACKUP_DIR="/var/backups/mongodb"
MAX_BACKUPS=14
CRON_SCHEDULE="0 3 * * *"
TIMEZONE="Europe/Berlin"
BACKUP_TIMEOUT=3600000
ENABLE_COMPRESSION=true

# email
ENABLE_EMAIL_NOTIFICATIONS=true
SMTP_HOST=smtp.example.com
SMTP_PORT=587
SMTP_SECURE=false
SMTP_USER=backups@example.com
SMTP_PASS='mail-pass'
SMTP_FROM="MongoDB Backups <backups@example.com>"
NOTIFICATION_EMAILS=ops@example.com,dba@example.com

# discord
ENABLE_DISCORD_NOTIFICATIONS=true
DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/123/abc
EOT
run "$bin" config
[ $rc = 0 ] || { cat err; fail "config with the service's .env: exit $rc"; }
[ ! -s err ] || { cat err; fail "config with the service's .env: warnings"; }
for v in "MAX_BACKUPS +14" "CRON_SCHEDULE +0 3 \* \* \*" "TIMEZONE +Europe/Berlin" "BACKUP_TIMEOUT +3600000" \
  "ENABLE_COMPRESSION +true" "SMTP_PORT +587" "SMTP_FROM +MongoDB Backups <backups@example.com>" \
  "NOTIFICATION_EMAILS +ops@example.com,dba@example.com" "ENABLE_DISCORD_NOTIFICATIONS +true"; do
  grep -qE "^$v +\.env line" out || fail "the service's .env: no /$v/ from .env in $(cat out)"
done
grep -q 's3cret\|mail-pass\|/abc' out && fail "the service's .env: a secret is printed"
run "$bin" schedule --next 1
[ $rc = 0 ] && grep -q "schedule '0 3 \* \* \*' in Europe/Berlin" out || { cat out err; fail "schedule with the service's .env"; }
echo "ok: the service's .env works unchanged"
# LOG_FORMAT=json: every line on stderr is JSON, the configuration's problems and the final error
# line included
for case in "MAX_BACKUPS=0|backup|config: MAX_BACKUPS = '0' \(\.env line 4\): must be" \
  "MAX_BACKUPS=1|backup|mongobak backup: error: cannot open the lock file" \
  "MAX_BACKUPS=1|list|mongobak list: error: cannot read the backup directory"; do
  IFS='|' read -r extra cmd want <<<"$case"
  : > notadir
  printf 'MONGODB_URI=mongodb://127.0.0.1:1/\nBACKUP_DIR=%s/notadir\nLOG_FORMAT=json\n%s\n' "$tmp" "$extra" > .env
  run "$bin" "$cmd"
  [ $rc != 0 ] || fail "LOG_FORMAT=json $cmd with $extra: exit 0"
  /usr/bin/python3 -c '
import json, sys
lines = [json.loads(l) for l in open("err") if l.strip()]
assert lines and all(l["level"] for l in lines), lines
assert lines[-1]["level"] == "error" and lines[-1]["msg"].startswith("mongobak "), lines
' || { cat err; fail "LOG_FORMAT=json $cmd: a line on stderr is not JSON"; }
  grep -qE "$want" err || { cat err; fail "LOG_FORMAT=json $cmd: /$want/ not found"; }
done
# an unknown .env key's warning too; LOG_FORMAT from the environment alone is no problem
printf 'MONGODB_URI=mongodb://127.0.0.1:1/\nBACKUP_DIR=%s/notadir\nLOG_FORMAT=json\nMAX_BACKUP=3\n' "$tmp" > .env
run "$bin" list
/usr/bin/python3 -c '
import json
lines = [json.loads(l) for l in open("err") if l.strip()]
assert [l["level"] for l in lines] == ["warn", "error"], lines
assert "unknown variable MAX_BACKUP (did you mean MAX_BACKUPS?)" in lines[0]["msg"], lines
' || { cat err; fail "LOG_FORMAT=json: the unknown-key warning is not JSON"; }
run LOG_FORMAT=text "$bin" list
[ $rc = 5 ] && ! grep -q "runtime error" err || { cat err; fail "LOG_FORMAT=text in the environment: exit $rc"; }
rm -f notadir
echo "ok: LOG_FORMAT=json: every line on stderr is JSON, the last error included"
echo "1 passed, 0 failed"
