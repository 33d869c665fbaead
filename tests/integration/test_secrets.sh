#!/usr/bin/env bash
# No secret in any output (issue 13): hostile connection strings (malformed schemes, raw '#',
# '?', '@', ':', '/', '"' and '\' in passwords, percent-encoded passwords, secret options,
# authMechanismProperties with AWS_SESSION_TOKEN, TLS key passwords, replica sets, SRV) and
# webhook, healthcheck and Discord URLs with user-info, path tokens and query tokens, each run
# through every output: dump (stderr text, and LOG_FORMAT=json with driver debug lines), config
# (text, JSON), backup (stdout/stderr, manifest, state file, METRICS_FILE, webhook, healthcheck
# and Discord bodies), status, list --json, restore --json. Every secret is looked for as written, percent-decoded, percent-encoded,
# JSON-escaped and in pieces, without regard to case. Then: dump and restore read .env,
# --env-file and MONGODB_URI_FILE with backup's precedence; a 10,000-byte URI file is read
# whole; one above 64 KiB is refused with one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers/notify_lib.sh"
root="$MB_SOURCE_DIR"

adir="$T/authsrv"
auri=$("$root/tools/ferretdb.sh" start "$adir" --test-enable-new-auth --setup-username=admin \
       --setup-password=adminpw --setup-database=admin)
trap 'stop_servers; "$root/tools/ferretdb.sh" stop "$adir"; rm -rf "$T"' EXIT
HP=${auri#mongodb://}; HP=${HP%/}
ADMIN="mongodb://admin:adminpw@$HP/?authSource=admin"
start_http hooks
WH="http://whuser:WhPw5Secret6@127.0.0.1:$HTTP_PORT/json/hook/WhTok7PathToken8Long?token=WhQt9Token0"
HC="http://hcuser:HcPw1Secret2@127.0.0.1:$HTTP_PORT/ok/ping?key=HcQk3Token4"
DC="http://dcuser:DcPw5Secret6@127.0.0.1:$HTTP_PORT/ok/api/webhooks/42/DcTk7Short"
HOOKS=(WEBHOOK_URL="$WH" HEALTHCHECK_URL="$HC" ENABLE_DISCORD_NOTIFICATIONS=true DISCORD_WEBHOOK_URL="$DC")

PA='Xk7Qa#Pm3Zr?Wd9Lv@Hn2Bc:Ty5Gs/Ju8Ke'
PC='Cd8Fg"Hj2Kl\Mn4Pq&Rs6=Tu'
enc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
EA=$(enc "$PA"); EC=$(enc "$PC"); EAL=$(printf %s "$EA" | tr 'A-F' 'a-f')
"$PY" -c 'import sys, pymongo
c = pymongo.MongoClient(sys.argv[1])
for u, p in (("alice", sys.argv[2]), ("carol", sys.argv[3])):
    c.admin.command("createUser", u, pwd=p, roles=[])
c.secretsdb.things.insert_many([{"_id": i, "v": "x" * i} for i in range(20)])' "$ADMIN" "$PA" "$PC"
"$MB_BIN" dump --uri "$ADMIN" --db secretsdb --archive "$T/seed.archive" --quiet
pass "server with users alice and carol (hostile passwords) and a seed archive"

# name | expected outcome (ok, or fail) | connection string | how an ok one is shown
SST="serverSelectionTimeoutMS=1500"
cases=(
  "enc_alice|ok|mongodb://alice:$EA@$HP/?authSource=admin|mongodb://alice:***@$HP/?authSource=admin"
  "enc_alice_lower_hex|fail|mongodb://alice:$EAL@$HP/?authSource=admin"
  "enc_carol|ok|mongodb://carol:$EC@$HP/?authSource=admin|mongodb://carol:***@$HP/?authSource=admin"
  "raw_quote_backslash_amp|ok|mongodb://carol:$PC@$HP/?authSource=admin|mongodb://carol:***@$HP/?authSource=admin"
  "ssl_pem_key_password|ok|mongodb://alice:$EA@$HP/?authSource=admin&sslPEMKeyPassword=PemKp6Secret1|mongodb://alice:***@$HP/?authSource=admin&sslPEMKeyPassword=***"
  "client_secret_option|ok|mongodb://alice:$EA@$HP/?authSource=admin&clientSecret=Cs1Client2|mongodb://alice:***@$HP/?authSource=admin&clientSecret=***"
  "at_in_app_name|ok|mongodb://alice:$EA@$HP/?authSource=admin&appName=bk@corp|mongodb://alice:***@corp"
  "raw_alice|fail|mongodb://alice:$PA@$HP/?authSource=admin&$SST"
  "raw_colon|fail|mongodb://alice:Ab3Cd:Ef4Gh@$HP/"
  "scheme_one_slash|fail|mongodb:/alice:Sc1Hm2Pw3@$HP/"
  "no_scheme|fail|alice:Ns1Ch2Pw3@$HP/"
  "scheme_no_colon|fail|mongodb//alice:Nc1Ol2Pw3@$HP/"
  "scheme_token_only|fail|mongodb:/Ut1OnlyToken2@$HP/"
  "raw_hash|fail|mongodb://alice:Rh1As#h2Pw@$HP/?authSource=admin&$SST"
  "raw_question|fail|mongodb://alice:Rq1Ue?s2Pw@$HP/?authSource=admin&$SST"
  "raw_at|fail|mongodb://alice:Ra1Tt@s2Pww@$HP/?authSource=admin&$SST"
  "wrong_password_encoded|fail|mongodb://alice:Wp1Wrong%23Pw2@$HP/?authSource=admin"
  "tls_key_password|fail|mongodb://alice:$EA@$HP/?authSource=admin&tlsCertificateKeyFilePassword=TkFp9Secret7&$SST"
  "tls_key_file_password|fail|mongodb://alice:$EA@$HP/?authSource=admin&tls=true&tlsCertificateKeyFile=/nonexistent.pem&tlsCertificateKeyFilePassword=TlsKp4Secret8&$SST"
  "ssl_client_cert_password|fail|mongodb://alice:$EA@$HP/?authSource=admin&ssl=true&sslClientCertificateKeyFile=/nonexistent.pem&sslClientCertificateKeyPassword=SslCk5Secret9&$SST"
  "amp_in_tls_password|fail|mongodb://alice:$EA@$HP/?authSource=admin&tlsCertificateKeyFilePassword=AmpOne1&AmpTwo2&$SST"
  "aws_session_token|fail|mongodb://AKIAEXAMPLE:AwsSk7Secret2@$HP/?authMechanism=MONGODB-AWS&authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:AwsSt8Token3&$SST"
  "replica_set|fail|mongodb://alice:$EA@$HP,127.0.0.1:9/?authSource=admin&replicaSet=rs0&serverSelectionTimeoutMS=1000"
  "srv|fail|mongodb+srv://alice:SrvPw9Secret4@cluster0.example.invalid/?$SST"
)
# every secret above, and those of the webhook URLs
cat > "$T/secrets" <<EOT
$PA
$PC
PemKp6Secret1
Cs1Client2
Ab3Cd:Ef4Gh
Sc1Hm2Pw3
Ns1Ch2Pw3
Nc1Ol2Pw3
Ut1OnlyToken2
Rh1As#h2Pw
Rq1Ue?s2Pw
Ra1Tt@s2Pww
Wp1Wrong#Pw2
TkFp9Secret7
TlsKp4Secret8
SslCk5Secret9
AmpOne1&AmpTwo2
AwsSk7Secret2
AwsSt8Token3
SrvPw9Secret4
WhPw5Secret6
WhTok7PathToken8Long
WhQt9Token0
HcPw1Secret2
HcQk3Token4
DcPw5Secret6
DcTk7Short
EOT

OUT="$T/out" # everything mongobak printed or wrote; searched for secrets at the end
mkdir -p "$OUT" "$T/cwd"
# mb DIR NAME [VAR=value...] -- ARGS...: run mongobak in a clean environment from $T/cwd (no
# .env); stdout, stderr and the exit code go to DIR/NAME.{out,err,rc}.
mb() {
  local dir=$1 name=$2; shift 2
  local envs=(PATH="$PATH")
  [ -n "${ASAN_OPTIONS:-}" ] && envs+=(ASAN_OPTIONS="$ASAN_OPTIONS")
  [ -n "${UBSAN_OPTIONS:-}" ] && envs+=(UBSAN_OPTIONS="$UBSAN_OPTIONS")
  # a stale /dev/shm/mongoc-<pid> of another process would add a driver warning line
  [ -n "${MONGOC_DISABLE_SHM:-}" ] && envs+=(MONGOC_DISABLE_SHM="$MONGOC_DISABLE_SHM")
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  set +e
  (cd "$T/cwd" && env -i "${envs[@]}" "$MB_BIN" "$@") >"$dir/$name.out" 2>"$dir/$name.err"
  echo $? >"$dir/$name.rc"
  set -e
}
rc_of() { cat "$1.rc"; }
json_field() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

n=0 runs=0
for c in "${cases[@]}"; do
  IFS='|' read -r name want uri shown <<<"$c"
  n=$((n + 1))
  d="$OUT/$name"; mkdir -p "$d"
  mb "$d" dump -- dump --uri "$uri" --archive "$d/dump.archive"
  mb "$d" dump_json MONGODB_URI="$uri" LOG_FORMAT=json LOG_LEVEL=debug -- dump --archive "$d/dump-json.archive"
  mb "$d" config MONGODB_URI="$uri" "${HOOKS[@]}" -- config
  mb "$d" config_json MONGODB_URI="$uri" "${HOOKS[@]}" -- config --json
  mb "$d" backup MONGODB_URI="$uri" BACKUP_DIR="$d/backups" METRICS_FILE="$d/metrics.prom" \
    "${HOOKS[@]}" LOG_LEVEL=debug -- backup
  mb "$d" status MONGODB_URI="$uri" BACKUP_DIR="$d/backups" -- status
  mb "$d" status_json MONGODB_URI="$uri" BACKUP_DIR="$d/backups" -- status --json
  mb "$d" list_json MONGODB_URI="$uri" BACKUP_DIR="$d/backups" -- list --json
  mb "$d" restore -- restore --json --uri "$uri" --archive "$T/seed.archive" \
    --ns-from 'secretsdb.*' --ns-to "r$n.*"
  [ "$(grep -c . "$d/dump.err")" -ge 1 ] || [ "$want" = ok ] || fail "$name: dump printed no error"
  if [ "$want" = ok ]; then
    for r in dump dump_json backup restore; do
      [ "$(rc_of "$d/$r")" = 0 ] || { cat "$d/$r.err" >&2; fail "$name: $r exit $(rc_of "$d/$r")"; }
    done
    m=$(ls "$d"/backups/*.manifest.json)
    [ "$(json_field "$m" source)" = "$shown" ] || fail "$name: manifest source $(json_field "$m" source)"
    [ "$(json_field "$d/restore.out" target)" = "$shown" ] || fail "$name: restore target $(json_field "$d/restore.out" target)"
    grep -qE "^MONGODB_URI +$(printf %s "$shown" | sed 's/[][\.*^$?+(){}|/]/\\&/g') +environment$" "$d/config.out" ||
      fail "$name: config shows $(grep ^MONGODB_URI "$d/config.out")"
    pass "$name: dump, backup, restore ok; shown as $shown in the manifest, restore --json and config"
  else
    for r in dump dump_json backup restore; do
      [ "$(rc_of "$d/$r")" != 0 ] || fail "$name: $r succeeded"
    done
    grep -q '^mongobak dump: error: ' "$d/dump.err" || fail "$name: dump error line: $(cat "$d/dump.err")"
    if [ "$(rc_of "$d/backup")" != 2 ]; then # 2: refused by the configuration check, no run
      [ -n "$(json_field "$d/backups/.mongobak-state.json" last_error)" ] || fail "$name: no last_error"
    fi
    [ "$(json_field "$d/restore.out" ok)" = False ] || fail "$name: restore --json ok"
    pass "$name: dump, backup, restore fail (exit $(rc_of "$d/dump"), $(rc_of "$d/backup"), $(rc_of "$d/restore")); error recorded"
  fi
  if [ "$(rc_of "$d/backup")" != 2 ]; then
    runs=$((runs + 1))
    [ -s "$d/metrics.prom" ] || fail "$name: no METRICS_FILE"
  fi
  grep -q '^WEBHOOK_URL  *http://whuser:\*\*\*@127.0.0.1:[0-9]*/\*\*\* ' "$d/config.out" ||
    fail "$name: config shows $(grep ^WEBHOOK_URL "$d/config.out")"
  grep -q '^DISCORD_WEBHOOK_URL  *http://dcuser:\*\*\*@127.0.0.1:[0-9]*/\*\*\* ' "$d/config.out" ||
    fail "$name: config shows $(grep ^DISCORD_WEBHOOK_URL "$d/config.out")"
done
cp "$T/hooks/requests.jsonl" "$OUT/requests.jsonl"
[ "$(grep -c '"path": "/json/hook/' "$OUT/requests.jsonl")" = "$runs" ] || fail "not one webhook per backup run"
[ "$(grep -c '"path": "/ok/api/webhooks/' "$OUT/requests.jsonl")" = "$runs" ] || fail "not one Discord message per backup run"
pass "$n hostile connection strings through dump, config, backup, restore; $runs backup runs notified"

# a state file written before the secret was known (an older mongobak): status masks it
d="$OUT/oldstate"; mkdir -p "$d/backups"
"$PY" -c 'import json, sys
json.dump({"version": 1, "runs": 1, "failures": 1, "last_status": "failed", "last_run": 1,
           "last_error": "cannot reach the server at " + sys.argv[1]}, open(sys.argv[2], "w"))' \
  "mongodb://alice:Ol1dState2@$HP/?tlsCertificateKeyFilePassword=Ol3dKey4" "$T/oldstate.json"
cp "$T/oldstate.json" "$d/backups/.mongobak-state.json"
printf '%s\n' Ol1dState2 Ol3dKey4 >>"$T/secrets"
mb "$d" status MONGODB_URI="mongodb://alice:Ol1dState2@$HP/" BACKUP_DIR="$d/backups" -- status
mb "$d" status_json BACKUP_DIR="$d/backups" -- status --json
rm "$d/backups/.mongobak-state.json" # the planted input is not an output
grep -q "^last run .*(failed): cannot reach the server at mongodb://alice:\*\*\*@$HP/?tlsCertificateKeyFilePassword=\*\*\*$" "$d/status.out" ||
  fail "status of an old state file: $(grep '^last run' "$d/status.out")"
pass "status masks the last error of a state file written before"

# --- dump and restore read the URI like backup: .env, --env-file, MONGODB_URI_FILE
good="mongodb://alice:$EA@$HP/?authSource=admin"
bad="mongodb://alice:Bd1Wrong2@$HP/?authSource=admin"
echo Bd1Wrong2 >>"$T/secrets"
d="$OUT/env"; mkdir -p "$d"
printf 'MONGODB_URI="%s"\n' "$good" >"$T/cwd/.env"
mb "$d" dotenv_dump -- dump --db secretsdb --archive "$d/a1.archive" --quiet
expect_rc 0 "$(rc_of "$d/dotenv_dump")" "dump reads MONGODB_URI from ./.env"
mb "$d" dotenv_restore -- restore --archive "$d/a1.archive" --ns-from 'secretsdb.*' --ns-to 'envr1.*' --quiet
expect_rc 0 "$(rc_of "$d/dotenv_restore")" "restore reads MONGODB_URI from ./.env"
mb "$d" env_over_dotenv MONGODB_URI="$bad" -- dump --archive "$d/a2.archive"
expect_rc 7 "$(rc_of "$d/env_over_dotenv")" "the environment wins over .env"
mb "$d" flag_over_env MONGODB_URI="$bad" -- dump --uri "$good" --db secretsdb --archive "$d/a3.archive" --quiet
expect_rc 0 "$(rc_of "$d/flag_over_env")" "--uri wins over the environment"
rm "$T/cwd/.env"
printf 'MONGODB_URI_FILE=%s/urifile\n' "$T" >"$T/other.env"
printf '%s\n' "$good" >"$T/urifile"
mb "$d" envfile_dump -- dump --env-file "$T/other.env" --db secretsdb --archive "$d/a4.archive" --quiet
expect_rc 0 "$(rc_of "$d/envfile_dump")" "dump: --env-file with MONGODB_URI_FILE"
mb "$d" envfile_restore -- restore --env-file "$T/other.env" --archive "$d/a4.archive" --ns-from 'secretsdb.*' --ns-to 'envr2.*' --quiet
expect_rc 0 "$(rc_of "$d/envfile_restore")" "restore: --env-file with MONGODB_URI_FILE"
mb "$d" urifile_dump MONGODB_URI_FILE="$T/urifile" -- dump --db secretsdb --archive "$d/a5.archive" --quiet
expect_rc 0 "$(rc_of "$d/urifile_dump")" "dump: MONGODB_URI_FILE in the environment"
mb "$d" urifile_restore MONGODB_URI_FILE="$T/urifile" -- restore --archive "$d/a5.archive" --ns-from 'secretsdb.*' --ns-to 'envr3.*' --quiet
expect_rc 0 "$(rc_of "$d/urifile_restore")" "restore: MONGODB_URI_FILE in the environment"

# a 10,000-byte URI file: the option that decides the login comes after byte 8,191
"$PY" -c 'import sys
head = "mongodb://alice:%s@%s/secretsdb?mbPadding=" % (sys.argv[1], sys.argv[2])
tail = "&authSource=admin"
sys.stdout.write(head + "p" * (10000 - len(head) - len(tail)) + tail)' "$EA" "$HP" >"$T/longuri"
[ "$(wc -c <"$T/longuri")" = 10000 ] || fail "long URI file size"
mb "$d" longuri MONGODB_URI_FILE="$T/longuri" -- dump --archive "$d/a6.archive" --quiet
expect_rc 0 "$(rc_of "$d/longuri")" "a 10,000-byte MONGODB_URI_FILE is read whole (authSource=admin at its end)"
mb "$d" longuri_backup MONGODB_URI_FILE="$T/longuri" BACKUP_DIR="$d/backups" -- backup
expect_rc 0 "$(rc_of "$d/longuri_backup")" "backup with the same file"
"$PY" -c 'import sys; sys.stdout.write("mongodb://h/?x=" + "p" * 70000)' >"$T/hugeuri"
for cmd in dump restore backup config; do
  mb "$d" huge_$cmd MONGODB_URI_FILE="$T/hugeuri" -- $cmd
  expect_rc 2 "$(rc_of "$d/huge_$cmd")" "$cmd: a URI file above 64 KiB"
  want="mongobak $cmd: error: MONGODB_URI_FILE (environment): '$T/hugeuri' is larger than the limit of 65536 bytes"
  [ "$(cat "$d/huge_$cmd.err")" = "$want" ] || { cat "$d/huge_$cmd.err" >&2; fail "$cmd: huge URI file message"; }
done
pass "a URI file above 64 KiB: one line, exit 2, for dump, restore, backup and config"

# mongodump's connection options: -h, -u, -p and --authenticationDatabase build the login; a
# password given with -p is masked like one in a URI (driver debug lines included)
d="$OUT/flags"; mkdir -p "$d"
mb "$d" flags_dump LOG_LEVEL=debug LOG_FORMAT=json -- dump -h "$HP" -u alice -p "$PA" \
  --authenticationDatabase admin --db secretsdb --archive "$d/a7.archive" --quiet
expect_rc 0 "$(rc_of "$d/flags_dump")" "dump -h HOST:PORT -u alice -p PASSWORD --authenticationDatabase admin"
mb "$d" flags_restore -- restore -h "$HP" -u carol "--password=$PC" --authenticationDatabase admin \
  --archive "$d/a7.archive" --nsFrom 'secretsdb.*' --nsTo 'flagsr.*' --quiet
expect_rc 0 "$(rc_of "$d/flags_restore")" "restore -h -u --password= --authenticationDatabase --nsFrom --nsTo"
mb "$d" flags_wrong LOG_LEVEL=debug -- dump -h "$HP" -u carol -p "${PC}Wx" --authenticationDatabase admin \
  --db secretsdb --archive "$d/a8.archive"
expect_rc 7 "$(rc_of "$d/flags_wrong")" "dump with a wrong -p: authentication failed"
grep -q '^mongobak dump: error: ' "$d/flags_wrong.err" || fail "wrong -p: error line: $(cat "$d/flags_wrong.err")"

# --- nothing printed or written holds a secret, in any form
"$PY" - "$T/secrets" "$OUT" <<'PY'
import json, os, re, sys, urllib.parse
secrets = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
forms = set()
for s in secrets:
    for v in {s, urllib.parse.unquote(s)}:
        forms |= {v, urllib.parse.quote(v, safe=""), json.dumps(v)[1:-1]}
        # pieces between the characters that split a connection string
        forms |= {p for p in re.split(r"[@:/?#&,;=\"\\]", v) if len(p) >= 5}
forms = sorted((f.lower() for f in forms if f), key=len, reverse=True)
leaks, files = [], 0
for top, _, names in os.walk(sys.argv[2]):
    for name in names:
        path = os.path.join(top, name)
        if name.endswith(".archive") or name.endswith(".zst"):
            continue  # the data, not an output
        files += 1
        data = open(path, "rb").read().decode("utf-8", "replace")
        if name == "requests.jsonl":  # what the webhooks received: the bodies
            data = "\n".join(json.loads(l)["body"] for l in data.splitlines())
        low = data.lower()
        for f in forms:
            i = low.find(f)
            if i >= 0:
                leaks.append("%s: %r in ...%s..." % (path, f, data[max(0, i - 60):i + len(f) + 20]))
                break
if leaks:
    print("\n".join(leaks[:40]), file=sys.stderr)
    sys.exit("FAIL: %d output files hold a secret" % len(leaks))
print("ok: no secret in any of %d output files (%d forms of %d secrets, case-insensitive)" % (files, len(forms), len(secrets)))
PY
echo "1 passed, 0 failed"
