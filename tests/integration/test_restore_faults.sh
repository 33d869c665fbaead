#!/usr/bin/env bash
# Each fault of `mongobak restore` ends with one clear error line, its documented exit code and
# a summary of which namespaces completed, and the summary tells the truth: a namespace
# reported "ok" holds all its documents in the target, and every namespace holds exactly the
# documents the summary says were restored.
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"
SRC=$MB_URI_SRC DST=$MB_URI_DST

# check_report JSON URI [SOURCE=STATUS]...: statuses as expected; the target of each namespace
# holds exactly documents_restored documents (none when not reached); "ok" means all of them
check_report() {
  /usr/bin/python3 - "$@" <<'EOF'
import json, sys, pymongo
r = json.load(open(sys.argv[1]))
c = pymongo.MongoClient(sys.argv[2], serverSelectionTimeoutMS=3000)
want = dict(a.split("=", 1) for a in sys.argv[3:])
for n in r["namespaces"]:
    src, dst, st = n["source"], n["target"], n["status"]
    if src in want and want[src] != st:
        sys.exit("%s: status %s, expected %s" % (src, st, want[src]))
    db, coll = dst.split(".", 1)
    exists = coll in c[db].list_collection_names()
    have = c[db][coll].count_documents({}) if exists else 0
    if have != n["documents_restored"]:
        sys.exit("%s: the target holds %d documents, the summary says %d" % (src, have, n["documents_restored"]))
    if st == "ok" and have != n["documents_read"]:
        sys.exit("%s: ok but %d of %d documents" % (src, have, n["documents_read"]))
    if st == "not reached" and exists:
        sys.exit("%s: not reached but %s exists" % (src, dst))
    print("  %-28s %-11s %5d documents" % (src, st, have))
EOF
}
restore_json() { # restore_json RC -- args: mongobak restore --json, report in $T/r.json, stderr in $T/r.err
  local rcv=$1; shift 2
  run_cmd "$T/r.json" "$T/r.err" "$rcv" -- "$MB_BIN" restore --json "$@"
}

mongodump --uri "$SRC" --db "$MB_SEED_DB" --archive="$T/plain.archive" --quiet
size=$(stat -c %s "$T/plain.archive")

# --- a truncated archive: what was read completely is restored, the rest is reported
db=$(fresh_db trunc)
head -c $((size / 2)) "$T/plain.archive" > "$T/trunc.archive"
restore_json rc -- --uri "$DST" -a "$T/trunc.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*"
expect_rc 3 "$rc" "truncated archive"
expect_grep "^mongobak restore: error: corrupt archive at byte [0-9]+: archive is truncated" "$T/r.err" "truncated archive: message"
one_error_line "$T/r.err" "truncated archive"
check_report "$T/r.json" "$DST" || fail "truncated archive: the summary does not match the target"
grep -q '"status" : "ok"' "$T/r.json" || fail "truncated archive: no namespace completed"
grep -Eq '"status" : "(incomplete|not reached)"' "$T/r.json" || fail "truncated archive: every namespace completed"
pass "truncated archive: summary matches the target (some completed, some not)"

# --- a flipped byte inside a document of people: CRC mismatch named; people not restored
# (its documents wait in their batch until the CRC is checked), the others complete
db=$(fresh_db crc)
/usr/bin/python3 - "$T/plain.archive" "$T/flip.archive" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
hdr = d.find(b"collection\x00\x07\x00\x00\x00people\x00\x08EOF\x00\x00")
at = d.find(b"\x02email\x00", hdr) + 12   # inside the first email string of people
d[at] ^= 0x20
open(sys.argv[2], "wb").write(d)
EOF
restore_json rc -- --uri "$DST" -a "$T/flip.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*"
expect_rc 3 "$rc" "CRC mismatch"
expect_grep "error: corrupt archive at byte [0-9]+: CRC mismatch for namespace '$MB_SEED_DB\.people', [0-9]+!=[0-9]+" "$T/r.err" "CRC mismatch: message names the namespace"
one_error_line "$T/r.err" "CRC mismatch"
check_report "$T/r.json" "$DST" "$MB_SEED_DB.people=incomplete" "$MB_SEED_DB.types=ok" "$MB_SEED_DB.big=ok" \
  || fail "CRC mismatch: the summary does not match the target"
pass "CRC mismatch: people incomplete, the other namespaces restored"

# --- inputs that are not archives
xz -c "$T/plain.archive" > "$T/plain.archive.xz"
restore_json rc -- --uri "$DST" -a "$T/plain.archive.xz"
expect_rc 4 "$rc" "xz-compressed input"
expect_grep "error: the input is compressed with xz, which mongobak does not read; decompress it first" "$T/r.err" "xz: message"
one_error_line "$T/r.err" "xz"
expect_grep '"ok" : false, "exit_code" : 4' "$T/r.json" "xz: --json still reports"
head -c 5000 /dev/urandom > "$T/random.bin"
printf 'XXXX' | cat - "$T/random.bin" > "$T/junk.bin"
restore_json rc -- --uri "$DST" -a "$T/junk.bin"
expect_rc 4 "$rc" "random bytes"
expect_grep "not a mongodump archive" "$T/r.err" "random bytes: message"
: > "$T/empty.bin"
restore_json rc -- --uri "$DST" -a "$T/empty.bin"
expect_rc 4 "$rc" "empty input"
restore_json rc -- --uri "$DST" -a "$T/no/such/file"
expect_rc 5 "$rc" "missing archive file"
expect_grep "no/such/file" "$T/r.err" "missing archive file: message names it"

# --- an unreachable server (a closed port): the summary says nothing was restored
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "mongodb://127.0.0.1:$port/?serverSelectionTimeoutMS=1000" -a "$T/plain.archive"
expect_rc 6 "$rc" "unreachable server"
expect_grep "^mongobak restore: error: cannot reach the server at mongodb://127.0.0.1:$port/" "$T/r.err" "unreachable server: message"
one_error_line "$T/r.err" "unreachable server"
expect_grep "^7 namespaces \(7 not reached\); 0 documents read, 0 restored" "$T/r.out" "unreachable server: summary"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri 'mongodb://u:s3cret@127.0.0.1:notaport/' -a "$T/plain.archive"
expect_rc 2 "$rc" "malformed URI"
grep -q s3cret "$T/r.err" && fail "malformed URI: the password appears"
pass "malformed URI: password masked"

# --- the server killed mid-restore. A server of our own; the archive (~30 MB, larger than a
# batch) is fed through a pipe that pauses after its first part, and the server is killed
# during the pause, so the restore is certainly in the middle of its work when it happens.
kdir="$T/killsrv"
kuri=$("$root/tools/ferretdb.sh" start "$kdir")
trap '"$root/tools/ferretdb.sh" stop "$kdir"; rm -rf "$T"' EXIT
"$(dirname "$MB_DBCOMPARE")/mongobak-seed" --uri "$kuri" --db kill --big-mib 24 > /dev/null
mongodump --uri "$kuri" --db kill -j 1 --archive="$T/big.archive" --quiet
bsize=$(stat -c %s "$T/big.archive")
( { head -c $((bsize / 4)) "$T/big.archive"; sleep 4; tail -c +$((bsize / 4 + 1)) "$T/big.archive"; } |
  "$MB_BIN" restore --uri "$kuri?serverSelectionTimeoutMS=2000" -a - --ns-from 'kill.*' --ns-to 'kill2.*' --json \
    > "$T/k.json" 2> "$T/k.err" ) &
pid=$!
sleep 2
kill -9 "$(cat "$kdir/pid")"
set +e; wait "$pid"; rc=$?; set -e
expect_rc 8 "$rc" "server killed mid-restore"
expect_grep "^mongobak restore: error: the server went away during the restore: .*kill2\." "$T/k.err" "server killed: message"
one_error_line "$T/k.err" "server killed"
sed 's/^/    /' "$T/k.err"
/usr/bin/python3 - "$T/k.json" <<'EOF' || fail "server killed: summary"
import json, sys
r = json.load(open(sys.argv[1]))
st = {n["source"]: n["status"] for n in r["namespaces"]}
print("  ", st)
assert r["exit_code"] == 8 and not r["ok"]
assert any(s in ("incomplete", "not reached") for s in st.values()), "every namespace completed"
assert r["totals"]["documents_restored"] < r["totals"]["documents_selected"] or r["totals"]["documents_read"] < 2000
EOF
pass "server killed: the summary shows what did not complete"
