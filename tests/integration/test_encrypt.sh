#!/usr/bin/env bash
# Client-side encryption (docs/encryption-format.md): keygen; dump --archive with a key (none,
# gzip, zstd) is unreadable without it (exit 3, one line) and verifies, inspects and restores
# identical with it; `cat --decompress | mongorestore --archive` (the real tool) restores it
# identical; a wrong key, a flipped byte or a truncated file is exit 3 with one line and the
# target database stays untouched; a passphrase works the same; the daemon with
# ENCRYPTION_KEY_FILE writes encrypted backups that `list --verify` checks.
. "$(dirname "$0")/lib.sh"

# db_empty DB WHAT: nothing was written to DB on the target (a dump of it matches nothing).
db_empty() {
  run_cmd "$T/e.out" "$T/e.err" rc -- "$MB_BIN" dump --uri "$MB_URI_DST" --db "$1" --archive /dev/null --quiet
  expect_rc 11 "$rc" "$2: database $1 untouched"
}

key="$T/k/backup.key"
mkdir -m 700 "$T/k"
run_cmd "$T/g.out" "$T/g.err" rc -- "$MB_BIN" keygen "$key"
expect_rc 0 "$rc" "keygen"
expect_grep "key id [0-9a-f]{32}" "$T/g.out" "keygen prints the key id"
[ "$(stat -c %a "$key")" = 600 ] || fail "key file mode $(stat -c %a "$key")"
pass "key file is 0600"
kid=$(grep -oE '[0-9a-f]{32}' "$T/g.out")
run_cmd "$T/g.out" "$T/g.err" rc -- "$MB_BIN" keygen "$key"
expect_rc 13 "$rc" "keygen over an existing file"
one_error_line "$T/g.err" "keygen over an existing file"
"$MB_BIN" keygen "$T/k/other.key" > /dev/null

for c in none gzip zstd; do
  case $c in none) ext="" ;; gzip) ext=.gz ;; zstd) ext=.zst ;; esac
  f="$T/d-$c.archive$ext.enc"
  run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --compress "$c" --archive "$f" --encrypt-key-file "$key"
  expect_rc 0 "$rc" "dump --compress $c with a key"
  head -c 6 "$f" | od -An -c | grep -q 'M   B   E   N   C  \\0' || fail "$f does not start with the magic"
  pass "$c: the file starts with MBENC"

  for cmd in verify inspect; do
    run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" "$cmd" "$f"
    expect_rc 3 "$rc" "$cmd $c without the key"
    one_error_line "$T/e" "$cmd $c without the key"
    expect_grep "is encrypted: give --encrypt-key-file or ENCRYPTION_KEY_FILE \(the key with id $kid\)" "$T/e" "$cmd names the missing key"
  done
  run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify --quiet --encrypt-key-file "$key" "$f"
  expect_rc 0 "$rc" "verify $c with the key"
  ENCRYPTION_KEY_FILE="$key" "$MB_BIN" inspect --json "$f" | /usr/bin/python3 -c '
import json,sys; r=json.load(sys.stdin); assert len(r["namespaces"]) == 7, r
assert r["compression"] == sys.argv[1] and r["encrypted"] is True, r
print("ok: inspect with ENCRYPTION_KEY_FILE")' "$c"

  db=$(fresh_db "enc$c")
  run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$MB_URI_DST" --archive "$f" --encrypt-key-file "$key" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --quiet
  expect_rc 0 "$rc" "restore $c with the key"
  compare_db "$MB_URI_SRC" "$MB_SEED_DB" "$MB_URI_DST" "$db"

  db=$(fresh_db "cat$c")
  "$MB_BIN" cat --decompress --encrypt-key-file "$key" "$f" |
    mongorestore --uri "$MB_URI_DST" --archive --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/m.log" ||
    { tail -5 "$T/m.log"; fail "cat --decompress | mongorestore ($c)"; }
  expect_grep '2602 document\(s\) restored successfully. 0 document\(s\) failed' "$T/m.log" "mongorestore of cat $c"
  compare_db "$MB_URI_SRC" "$MB_SEED_DB" "$MB_URI_DST" "$db"
done

# cat without --decompress: the archive as stored (zstd), decrypted
"$MB_BIN" cat --encrypt-key-file "$key" "$T/d-zstd.archive.zst.enc" > "$T/plain.zst"
head -c 4 "$T/plain.zst" | od -An -tx1 | grep -q '28 b5 2f fd' || fail "cat does not give the zstd stream"
"$MB_BIN" verify --quiet "$T/plain.zst" > /dev/null || fail "the decrypted zstd archive does not verify"
pass "cat writes the zstd archive as stored, decrypted"
run_cmd "$T/o" "$T/e" rc -- script -qec "'$MB_BIN' cat --encrypt-key-file '$key' '$T/d-zstd.archive.zst.enc'" /dev/null
expect_rc 2 "$rc" "cat to a terminal"

# names say what a file is
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --archive "$T/x.archive.zst" --encrypt-key-file "$key"
expect_rc 2 "$rc" "a key with a name without .enc"
expect_no_file "$T/x.archive.zst" "a key with a name without .enc"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --archive "$T/x.archive.zst.enc"
expect_rc 2 "$rc" "a .enc name without a key"
mkdir "$T/gen"
"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --archive "$T/gen" --encrypt-key-file "$key" --quiet
ls "$T/gen" | grep -qE '^dump-[0-9]{8}T[0-9]{6}Z\.archive\.zst\.enc$' || fail "generated name: $(ls "$T/gen")"
pass "generated name dump-<UTC>.archive.zst.enc"

# every way to be unreadable: exit 3, one line, nothing restored
f="$T/d-zstd.archive.zst.enc"
size=$(stat -c %s "$f")
cp "$f" "$T/flip.enc"
printf '\x55' | dd of="$T/flip.enc" bs=1 seek=$((size - 300)) conv=notrunc status=none
head -c $((84 + 2 * (65536 + 17))) "$f" > "$T/cut.enc" # two whole chunks: a cut at a chunk boundary
head -c $((size - 1)) "$f" > "$T/short.enc"
for bad in "other:$f" "flip:$T/flip.enc" "cut:$T/cut.enc" "short:$T/short.enc"; do
  what=${bad%%:*} file=${bad#*:}
  k=$key; [ "$what" = other ] && k="$T/k/other.key"
  db=$(fresh_db "bad$what")
  run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$MB_URI_DST" --archive "$file" --encrypt-key-file "$k" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --quiet
  expect_rc 3 "$rc" "restore ($what)"
  one_error_line "$T/r.err" "restore ($what)"
  if [ "$what" = other ]; then
    expect_grep "encrypted with another key \(key id $kid; this key is [0-9a-f]{32}\)" "$T/r.err" "names both keys"
  fi
  db_empty "$db" "restore ($what)"
  run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify --quiet --encrypt-key-file "$k" "$file"
  expect_rc 3 "$rc" "verify ($what)"
  run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" cat --decompress --encrypt-key-file "$k" "$file"
  expect_rc 3 "$rc" "cat ($what)"
  one_error_line "$T/e" "cat ($what)"
  [ ! -s "$T/o" ] || fail "cat ($what) wrote $(stat -c %s "$T/o") bytes"
  pass "cat ($what) wrote nothing"
done
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify --quiet --encrypt-key-file "$key" "$T/cut.enc"
expect_grep "truncated: it ends after $((84 + 2 * (65536 + 17))) bytes without its final chunk" "$T/e" "a cut at a chunk boundary is named"
run_cmd "$T/o" "$T/e" rc -- sh -c "cat '$f' | '$MB_BIN' restore --uri '$MB_URI_DST' --encrypt-key-file '$key' --quiet"
expect_rc 2 "$rc" "an encrypted archive on stdin is refused by restore"
expect_grep "cannot be authenticated before it is used" "$T/e" "says why"

# a passphrase from a file, and from the environment
printf 'correct horse battery staple\n' > "$T/k/pass"
f="$T/p.archive.gz.enc"
"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --archive "$f" --passphrase-file "$T/k/pass" --quiet
run_cmd "$T/o" "$T/e" rc -- env ENCRYPTION_PASSPHRASE='correct horse battery staple' "$MB_BIN" verify --quiet "$f"
expect_rc 0 "$rc" "verify with ENCRYPTION_PASSPHRASE"
run_cmd "$T/o" "$T/e" rc -- env ENCRYPTION_PASSPHRASE='wrong horse' "$MB_BIN" verify --quiet "$f"
expect_rc 3 "$rc" "a wrong passphrase"
one_error_line "$T/e" "a wrong passphrase"
expect_grep "wrong passphrase" "$T/e" "says wrong passphrase"
run_cmd "$T/o" "$T/e" rc -- env ENCRYPTION_PASSPHRASE=x "$MB_BIN" verify --encrypt-key-file "$key" "$f"
expect_rc 2 "$rc" "a key file and a passphrase together"

# the daemon with ENCRYPTION_KEY_FILE
dir="$T/backups"
cat > "$T/.env" <<EOT
MONGODB_URI=$MB_URI_SRC
BACKUP_DIR=$dir
MAX_BACKUPS=2
CRON_SCHEDULE='*/2 * * * * *'
COMPRESSION=zstd
ENCRYPTION_KEY_FILE=$key
EOT
(cd "$T" && exec "$MB_BIN" daemon) > "$T/daemon.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 120); do
  [ "$(ls "$dir" 2>/dev/null | grep -c '\.archive\.zst\.enc$')" -ge 2 ] && break
  sleep 0.5
done
kill -TERM "$pid"
wait "$pid" || { cat "$T/daemon.log"; fail "the daemon failed"; }
n=$(ls "$dir" | grep -cE '^backup-[0-9-]+\.archive\.zst\.enc$' || true)
[ "$n" = 2 ] || { ls -la "$dir"; cat "$T/daemon.log"; fail "expected 2 encrypted backups, found $n"; }
pass "the daemon keeps MAX_BACKUPS=2 encrypted backups (.archive.zst.enc)"
run_cmd "$T/l.out" "$T/l.err" rc -- sh -c "cd '$T' && '$MB_BIN' list --verify"
expect_rc 0 "$rc" "list --verify with the key"
[ "$(grep -c ' ok' "$T/l.out")" -ge 2 ] || { cat "$T/l.out"; fail "list --verify: not every backup ok"; }
pass "list --verify: every encrypted backup ok"
run_cmd "$T/l.out" "$T/l.err" rc -- sh -c "cd '$T' && ENCRYPTION_KEY_FILE= '$MB_BIN' list --verify --env-file /dev/null --backup-dir '$dir'"
expect_rc 3 "$rc" "list --verify without the key"
expect_grep "is encrypted: give --encrypt-key-file" "$T/l.out" "list names the missing key"
