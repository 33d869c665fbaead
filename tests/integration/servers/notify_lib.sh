# Sourced by the notification tests. Self-contained (they need no MongoDB): the mongobak binary
# ($MB_BIN), a private scratch directory ($T), recording servers started on 127.0.0.1 and always
# stopped, and the assertion helpers of lib.sh.
set -euo pipefail
: "${MB_BIN:?set MB_BIN to the mongobak binary}"
PY=/usr/bin/python3
SERVERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=${T:-$(mktemp -d "${TMPDIR:-/tmp}/mbnotify.XXXXXX")} # lib.sh may have made it
SERVER_PIDS=()
stop_servers() {
  local p
  for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  SERVER_PIDS=()
}
trap 'stop_servers; rm -rf "$T"' EXIT

pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { [ "$1" = "$2" ] || fail "$3: exit code $2, expected $1"; pass "$3: exit code $2"; }
expect_grep() { # expect_grep PATTERN FILE WHAT
  grep -qE -- "$1" "$2" || { echo "--- $2:" >&2; head -c 3000 "$2" >&2; fail "$3: /$1/ not found"; }
  pass "$3"
}
expect_no_grep() { # expect_no_grep STRING FILE... -- WHAT (fixed string)
  local s=$1 what=${*: -1} f; shift
  for f in "${@:1:$#-1}"; do
    [ -e "$f" ] || continue
    if grep -rqF -- "$s" "$f"; then grep -rnF -- "$s" "$f" | head -3 >&2; fail "$what: found in $f"; fi
  done
  pass "$what"
}

# The variables of the notification settings, so that the caller's environment cannot leak in.
NOTIFY_VARS=(ENABLE_EMAIL_NOTIFICATIONS SMTP_HOST SMTP_PORT SMTP_SECURE SMTP_USER SMTP_PASS
  SMTP_PASS_FILE SMTP_FROM SMTP_ALLOW_INSECURE SMTP_CA_FILE NOTIFICATION_EMAILS EMAIL_SUBJECT
  EMAIL_TEMPLATE_TEXT EMAIL_TEMPLATE_HTML ENABLE_DISCORD_NOTIFICATIONS DISCORD_WEBHOOK_URL
  WEBHOOK_URL HEALTHCHECK_URL NOTIFY_TIMEOUT NOTIFY_CONNECT_TIMEOUT NOTIFY_RETRIES TIMEZONE LOG_LEVEL
  LOG_FORMAT)
for v in "${NOTIFY_VARS[@]}"; do unset "$v"; done
mkdir -p "$T/cwd" # no .env there

# notify OUT ERR RC [VAR=value...] -- [args]: run `mongobak notify --test` with these settings.
notify() {
  local out=$1 err=$2 rcv=$3; shift 3
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  set +e
  (cd "$T/cwd" && env "${envs[@]}" "$MB_BIN" notify --test "$@") >"$out" 2>"$err"
  eval "$rcv=\$?"
  set -e
  cat "$out" "$err" >>"$T/all-output" # every line printed or logged, for the secret checks
}

# wait_port FILE: the port a server wrote once ready.
wait_port() {
  local i
  for i in $(seq 1 100); do
    [ -s "$1" ] && { cat "$1"; return 0; }
    sleep 0.1
  done
  fail "server did not start (no $1)"
}

# start_smtp NAME [ARGS...]: an SMTP server recording into $T/NAME; sets SMTP_PORT_OF.
start_smtp() {
  local name=$1; shift
  mkdir -p "$T/$name"
  "$PY" "$SERVERS/smtp_server.py" --out "$T/$name" --port-file "$T/$name/port" "$@" \
    >"$T/$name/server.log" 2>&1 &
  SERVER_PIDS+=($!)
  SMTP_PORT_OF=$(wait_port "$T/$name/port")
}

# start_http NAME: an HTTP server logging requests into $T/NAME/requests.jsonl; sets HTTP_PORT.
start_http() {
  local name=$1
  mkdir -p "$T/$name"
  : >"$T/$name/requests.jsonl"
  "$PY" "$SERVERS/http_server.py" --log "$T/$name/requests.jsonl" --port-file "$T/$name/port" \
    >"$T/$name/server.log" 2>&1 &
  SERVER_PIDS+=($!)
  HTTP_PORT=$(wait_port "$T/$name/port")
}

# A port where nothing listens.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
