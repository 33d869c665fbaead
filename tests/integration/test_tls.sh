#!/usr/bin/env bash
# TLS to MongoDB: a FerretDB listening with a self-signed certificate; mongobak dumps through
# tls=true with the CA file from the URI, the archive verifies and restores; a client that does
# not trust the certificate fails with one line and exit 6, writing nothing.
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
tport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
srv="$T/tlssrv"
"$root/tools/ferretdb.sh" start "$srv" --listen-tls="127.0.0.1:$tport" \
  --listen-tls-cert-file="$T/cert.pem" --listen-tls-key-file="$T/key.pem" > /dev/null
trap '"$root/tools/ferretdb.sh" stop "$srv"; rm -rf "$T"' EXIT
uri="mongodb://127.0.0.1:$tport/?tls=true&tlsCAFile=$T/cert.pem&serverSelectionTimeoutMS=5000"
"$(dirname "$MB_DBCOMPARE")/mongobak-seed" --uri "$uri" --db tlsdb --big-mib 1 > /dev/null || fail "seeding over TLS"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$uri" --db tlsdb --archive "$T/tls.archive.zst" --quiet
expect_rc 0 "$rc" "dump over TLS"
"$MB_BIN" verify --quiet "$T/tls.archive.zst" > /dev/null || fail "TLS archive does not verify"
db=$(fresh_db tls)
zstd -dcq "$T/tls.archive.zst" | mongorestore --uri "$MB_URI_DST" --archive --nsFrom 'tlsdb.*' --nsTo "$db.*" 2>"$T/r.log" || { tail -3 "$T/r.log"; fail "restore"; }
compare_db "$uri" tlsdb "$MB_URI_DST" "$db"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "mongodb://127.0.0.1:$tport/?tls=true&serverSelectionTimeoutMS=2000" \
  --db tlsdb --archive "$T/untrusted.archive"
expect_rc 6 "$rc" "an untrusted certificate"
expect_grep "cannot reach the server at mongodb://127.0.0.1:$tport/" "$T/e" "one clear line"
expect_no_file "$T/untrusted.archive" "untrusted certificate"
