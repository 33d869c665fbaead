#!/usr/bin/env bash
# Each fault of `mongobak dump` ends with one clear error line, its documented exit code, and
# no file under the final name (nor a .partial left behind).
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"

fault() { # fault NAME WANT_RC PATTERN ARCHIVE -- mongobak args...
  local name=$1 want=$2 pat=$3 out=$4; shift 5
  run_cmd "$T/f.out" "$T/f.err" rc -- "$MB_BIN" dump --archive "$out" "$@"
  expect_rc "$want" "$rc" "$name"
  expect_grep "$pat" "$T/f.err" "$name: message"
  [ "$(grep -c . "$T/f.err")" -le 2 ] || { cat "$T/f.err"; fail "$name: more than one error line"; }
  expect_no_file "$out" "$name"
  expect_no_partial "$out" "$name"
}

fault "malformed URI" 2 "malformed MongoDB URI 'mongodb://u:\*\*\*@" "$T/a.archive" -- --uri 'mongodb://u:s3cret@host:notaport/'
grep -q s3cret "$T/f.err" && fail "the password appears in the message"
pass "password masked"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fault "unreachable server" 6 "cannot reach the server at mongodb://127.0.0.1:$port" "$T/a.archive" -- \
  --uri "mongodb://127.0.0.1:$port/?serverSelectionTimeoutMS=1000"

fault "database that does not exist" 11 "nothing to dump: database 'nosuchdb' does not exist" "$T/a.archive" -- \
  --uri "$MB_URI_SRC" --db nosuchdb
fault "collection that does not exist" 11 "namespace '$MB_SEED_DB.nosuch' does not exist" "$T/a.archive" -- \
  --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --collection nosuch
fault "invalid --query" 2 "--query is not valid Extended JSON" "$T/a.archive" -- \
  --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --collection people --query '{"age": '
fault "--query without --collection" 2 "--query needs --collection" "$T/a.archive" -- \
  --uri "$MB_URI_SRC" --query '{}'
fault "missing output directory" 5 "cannot create '$T/nodir/a.archive': No such file or directory; does the directory exist\?" \
  "$T/nodir/a.archive" -- --uri "$MB_URI_SRC"
touch "$T/plainfile"
fault "output under a file" 5 "cannot create '$T/plainfile/a.archive': Not a directory" \
  "$T/plainfile/a.archive" -- --uri "$MB_URI_SRC"
fault "bad --compress" 2 "--compress must be zstd, gzip or none" "$T/a.archive" -- --uri "$MB_URI_SRC" --compress lz4
fault "bad --jobs" 2 "--jobs must be a whole number from 1 to 64" "$T/a.archive" -- --uri "$MB_URI_SRC" --jobs 0

# disk full: the target directory on a 1 MiB tmpfs; the dataset is ~6 MB
mkdir -p "$T/small"
if mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
  echo "an earlier good backup" > "$T/small/keep.archive"
  fault "disk full" 5 "No space left on device; free some space" "$T/small/a.archive" -- --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --compress none
  [ "$(cat "$T/small/keep.archive")" = "an earlier good backup" ] || fail "disk full: earlier file changed"
  [ "$(ls "$T/small")" = keep.archive ] || fail "disk full: left $(ls "$T/small")"
  pass "disk full: the directory holds only the earlier file"
  umount "$T/small"
else
  fail "cannot mount a tmpfs for the disk-full test (needs root)"
fi

# authentication: a server with SCRAM users
authdir="$T/authsrv"
auri=$("$root/tools/ferretdb.sh" start "$authdir" --test-enable-new-auth --setup-username=admin \
       --setup-password=rightpw --setup-database=admin)
trap '"$root/tools/ferretdb.sh" stop "$authdir"; rm -rf "$T"' EXIT
hostport=${auri#mongodb://}; hostport=${hostport%/}
fault "wrong password" 7 "Authentication failed" "$T/a.archive" -- \
  --uri "mongodb://admin:wrongpw@$hostport/?authSource=admin&serverSelectionTimeoutMS=3000"
grep -q wrongpw "$T/f.err" && fail "the password appears in the message"
fault "no credentials" 7 "requires authentication|Unauthorized|unauthorized" "$T/a.archive" -- \
  --uri "mongodb://$hostport/?serverSelectionTimeoutMS=3000"
run_cmd "$T/f.out" "$T/f.err" rc -- "$MB_BIN" dump --archive "$T/auth.archive" --quiet \
  --uri "mongodb://admin:rightpw@$hostport/?authSource=admin"
expect_rc 0 "$rc" "right password"

# the server going away mid-dump, and SIGTERM: a slower source with ~40 MB of large documents
bigdir="$T/bigsrv"
buri=$("$root/tools/ferretdb.sh" start "$bigdir")
trap '"$root/tools/ferretdb.sh" stop "$authdir"; "$root/tools/ferretdb.sh" stop "$bigdir"; rm -rf "$T"' EXIT
"$(dirname "$MB_DBCOMPARE")/mongobak-seed" --uri "$buri" --db big --big-mib 40 > /dev/null
"$MB_BIN" dump --uri "$buri" --archive "$T/term.archive" --compress none --quiet 2>"$T/f.err" &
pid=$!
sleep 1
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_rc 130 "$rc" "SIGTERM during a dump"
expect_no_file "$T/term.archive" "SIGTERM"
expect_no_partial "$T/term.archive" "SIGTERM"

"$MB_BIN" dump --uri "$buri" --archive "$T/gone.archive" --compress none --jobs 1 2>"$T/f.err" >/dev/null &
pid=$!
# kill the server once documents are flowing into the partial file
for _ in $(seq 100); do find "$T" -maxdepth 1 -name 'gone.archive.*.partial' -size +0 | grep -q . && break; sleep 0.05; done
kill -9 "$(cat "$bigdir/pid")"
set +e; wait "$pid"; rc=$?; set -e
cat "$T/f.err"
expect_rc 8 "$rc" "server killed mid-dump"
expect_grep "the server went away: reading '(big|admin)\.[a-z_]+' failed" "$T/f.err" "names the collection"
expect_no_file "$T/gone.archive" "server gone"
expect_no_partial "$T/gone.archive" "server gone"
