#!/usr/bin/env bash
# Off-site backups on a real S3-compatible store (SeaweedFS on 127.0.0.1, SigV4): dump (none,
# gzip, zstd) straight into s3:// and restore from it identical; verify and inspect from s3://;
# a listing of more than 1,000 objects (ListObjectsV2 pages); `backup` with BACKUP_DIR=s3://
# keeps exactly MAX_BACKUPS, `list`/`status`/`prune` read the bucket; a wrong secret and a
# missing bucket fail with one line and their exit codes; SeaweedFS killed mid-upload: the run
# fails, nothing is under the final key and, once the next run of that key succeeded, no
# multipart upload is left open.
. "$(dirname "$0")/lib.sh"
SRC=$MB_URI_SRC DST=$MB_URI_DST
SW="$T/sw"
"$MB_SOURCE_DIR/tools/seaweedfs.sh" start "$SW" > /dev/null
trap '"$MB_SOURCE_DIR/tools/seaweedfs.sh" stop "$SW" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
set -a; . "$SW/env"; set +a
EP=$AWS_ENDPOINT_URL
export S3_RETRIES=2 S3_TIMEOUT=10

# s3api METHOD PATH-AND-QUERY [curl args]: a signed request, the answer on stdout
s3api() {
  local m=$1 p=$2; shift 2
  curl -sS -X "$m" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@" "$EP$p"
}
# open_uploads PREFIX: how many multipart uploads are open under PREFIX
open_uploads() {
  s3api GET "/mongobak?prefix=${1//\//%2F}&uploads=" -f | /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read()); assert r.tag.endswith("ListMultipartUploadsResult"), r.tag
print(sum(1 for e in r.iter() if e.tag.endswith("}Upload") or e.tag == "Upload"))'
}
head_code() { s3api HEAD "/mongobak/$1" -o /dev/null -w '%{http_code}' -I; }

# --- dump -> s3 -> restore, every compression; verify and inspect from s3
for z in none gzip zstd; do
  run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$SRC" --db "$MB_SEED_DB" --compress "$z" --archive "s3://mongobak/dumps/mb-$z.archive"
  expect_rc 0 "$rc" "dump --compress $z --archive s3://"
  expect_grep "^dumped 7 collections" "$T/d.out" "dump $z summary"
  db=$(fresh_db "s3_$z")
  run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "s3://mongobak/dumps/mb-$z.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --quiet
  expect_rc 0 "$rc" "restore $z from s3://"
  compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "s3://mongobak/dumps/mb-$z.archive"
  expect_rc 0 "$rc" "verify $z from s3://"
done
run_cmd "$T/i.out" "$T/i.err" rc -- "$MB_BIN" inspect "s3://mongobak/dumps/mb-zstd.archive"
expect_rc 0 "$rc" "inspect from s3://"
expect_grep "people" "$T/i.out" "inspect lists the collections"
# the object is byte-identical to a local dump's size class: read it back with curl and verify locally
s3api GET /mongobak/dumps/mb-gzip.archive -o "$T/back.archive.gz"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/back.archive.gz"
expect_rc 0 "$rc" "the object fetched by curl verifies"
[ "$(open_uploads dumps/)" = 0 ] || fail "multipart uploads left open under dumps/"
pass "no multipart upload left open"

# --- encrypted on s3: dump with a key, restore s3://… given as the argument, cat for mongorestore
"$MB_BIN" keygen "$T/k.key" > /dev/null 2>&1
E=s3://mongobak/dumps/enc.archive.zst.enc
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$SRC" --db "$MB_SEED_DB" --archive "$E" --encrypt-key-file "$T/k.key"
expect_rc 0 "$rc" "encrypted dump --archive s3://…zst.enc"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$E"
expect_rc 3 "$rc" "verify of the encrypted object without the key"
one_error_line "$T/v.err" "verify without the key"
expect_grep "is encrypted" "$T/v.err" "the error says the object is encrypted"
db=$(fresh_db s3_enc)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" "$E" --encrypt-key-file "$T/k.key" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --quiet
expect_rc 0 "$rc" "restore s3://…enc given as the argument, with the key"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"
db=$(fresh_db s3_cat)
set +e
"$MB_BIN" cat "$E" --encrypt-key-file "$T/k.key" --decompress | mongorestore --uri "$DST" --archive --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" --quiet
rc="${PIPESTATUS[0]}/${PIPESTATUS[1]}"
set -e
expect_rc 0/0 "$rc" "mongobak cat s3://… --decompress | mongorestore --archive"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"

# --- a multipart upload (> 8 MiB: several parts) restores identical
/usr/bin/python3 - "$SRC" <<'PY'
import os, sys, pymongo
c = pymongo.MongoClient(sys.argv[1])["mbs3big"]["blobs"]
c.drop()
c.insert_many([{"_id": i, "b": os.urandom(64 << 10)} for i in range(320)])  # 20 MiB, incompressible
PY
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$SRC" --db mbs3big --compress none --archive "s3://mongobak/dumps/big.archive"
expect_rc 0 "$rc" "a 20 MiB dump to s3:// (multipart)"
db=$(fresh_db s3big)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "s3://mongobak/dumps/big.archive" --ns-from "mbs3big.*" --ns-to "$db.*" --quiet
expect_rc 0 "$rc" "restore of the multipart object"
compare_db "$SRC" mbs3big "$DST" "$db"

# --- errors: one line, documented exit codes
run_cmd "$T/o" "$T/e" rc -- env AWS_SECRET_ACCESS_KEY=wrong "$MB_BIN" verify "s3://mongobak/dumps/mb-none.archive"
expect_rc 7 "$rc" "a wrong secret"
one_error_line "$T/e" "a wrong secret"
expect_grep "S3 GET s3://mongobak/dumps/mb-none.archive: 403 SignatureDoesNotMatch.*check AWS_SECRET_ACCESS_KEY" "$T/e" "names the key to check"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$SRC" --db "$MB_SEED_DB" --archive "s3://nosuchbucket/x.archive"
expect_rc 5 "$rc" "a missing bucket"
one_error_line "$T/e" "a missing bucket"
expect_grep "S3 HEAD s3://nosuchbucket: 404 NoSuchBucket: create the bucket" "$T/e" "says the bucket is missing"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify "s3://nosuchbucket/x.archive"
expect_rc 5 "$rc" "verify from a missing bucket"
expect_grep "S3 GET s3://nosuchbucket/x.archive: 404 NoSuchBucket" "$T/e" "verify: the bucket is missing"
run_cmd "$T/o" "$T/e" rc -- env AWS_ENDPOINT_URL=http://127.0.0.1:1 S3_RETRIES=0 "$MB_BIN" verify "s3://mongobak/dumps/mb-none.archive"
expect_rc 5 "$rc" "an unreachable endpoint"
one_error_line "$T/e" "an unreachable endpoint"
expect_grep "cannot connect.*check AWS_ENDPOINT_URL" "$T/e" "says where to look"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" verify "s3://mongobak/dumps/nothing.archive"
expect_rc 5 "$rc" "a missing object"
expect_grep "404" "$T/e" "a missing object: 404"

# credentials from a profile of the shared credentials file when the variables are unset
mkdir -p "$T/home/.aws"
printf '[default]\naws_access_key_id = nobody\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$T/home/.aws/credentials"
run_cmd "$T/o" "$T/e" rc -- env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T/home" AWS_PROFILE=ci "$MB_BIN" verify "s3://mongobak/dumps/mb-none.archive"
expect_rc 0 "$rc" "credentials from AWS_PROFILE=ci in ~/.aws/credentials"
run_cmd "$T/o" "$T/e" rc -- env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T/home" "$MB_BIN" verify "s3://mongobak/dumps/mb-none.archive"
expect_rc 7 "$rc" "the [default] profile's unknown key"

# --- BACKUP_DIR=s3://: backup keeps exactly MAX_BACKUPS; list, status, prune read the bucket
cat > "$T/.env" <<EOT
MONGODB_URI=$SRC
BACKUP_DIR=s3://mongobak/sched
MAX_BACKUPS=2
COMPRESSION=zstd
EOT
export XDG_STATE_HOME="$T/state"
# orphans of dumps killed outright under two backup names, and an upload that is not a backup's
for k in backup-2020-01-01-00-00-00.archive.zst backup-2020-01-02-00-00-00-1.archive other.bin; do
  s3api POST "/mongobak/sched/$k?uploads=" -f -o /dev/null
done
[ "$(open_uploads sched/)" = 3 ] || fail "the three uploads were not opened"
# an archive of ours whose run was killed between its commit and its manifest, under a name the
# Node service could have written: incomplete, never counted, never deleted by retention
s3api GET /mongobak/dumps/mb-none.archive -f -o "$T/ours.archive"
s3api PUT /mongobak/sched/backup-2019-06-01-00-00-00.archive -f -o /dev/null -T "$T/ours.archive"
sleep 1.1 # begun before the run's start second
for i in 1 2 3; do
  run_cmd "$T/b.out" "$T/b.err" rc -- sh -c "cd '$T' && '$MB_BIN' backup"
  expect_rc 0 "$rc" "backup $i to s3://"
  if [ "$i" = 1 ]; then
    [ "$(open_uploads sched/backup-)" = 0 ] || { cat "$T/b.err"; fail "orphan uploads of backups left open after the next run"; }
    [ "$(open_uploads sched/other)" = 1 ] || fail "an upload that is not a backup's was aborted"
    [ "$(grep -c 'aborting the unfinished upload of s3://mongobak/sched/backup-2020-01-0' "$T/b.err")" = 2 ] || fail "the two aborts are not logged"
    pass "the next backup aborted both orphan uploads under the prefix, and only those"
  fi
  sleep 1.1 # one name per second
done
run_cmd "$T/l.out" "$T/l.err" rc -- sh -c "cd '$T' && '$MB_BIN' list --json"
expect_rc 0 "$rc" "list on s3://"
n=$(/usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["backups"]; print(sum(1 for x in b if x["complete"]))' "$T/l.out")
[ "$n" = 2 ] || { cat "$T/l.out" "$T/b.err"; fail "MAX_BACKUPS=2 kept $n backups"; }
pass "MAX_BACKUPS=2 keeps 2 backups in the bucket"
/usr/bin/python3 - "$T/l.out" <<'PY' || fail "the archive without manifest is not listed as incomplete: $(cat "$T/l.out")"
import json, sys
b = [x for x in json.load(open(sys.argv[1]))["backups"] if x["name"] == "backup-2019-06-01-00-00-00.archive"]
assert len(b) == 1 and not b[0]["complete"] and not b[0]["legacy"], b
PY
[ "$(head_code sched/backup-2019-06-01-00-00-00.archive)" = 200 ] || fail "retention deleted the archive without manifest"
pass "an archive of ours without manifest: listed incomplete, not counted, kept by retention"
run_cmd "$T/l.out" "$T/l.err" rc -- sh -c "cd '$T' && '$MB_BIN' list --verify"
expect_rc 3 "$rc" "list --verify with an archive without manifest"
expect_grep 'backup-2019-06-01-00-00-00\.archive .*no manifest' "$T/l.out" "list names what is missing"
s3api DELETE /mongobak/sched/backup-2019-06-01-00-00-00.archive -f
run_cmd "$T/l.out" "$T/l.err" rc -- sh -c "cd '$T' && '$MB_BIN' list --verify"
expect_rc 0 "$rc" "list --verify reads every backup from s3://"
run_cmd "$T/s.out" "$T/s.err" rc -- sh -c "cd '$T' && '$MB_BIN' status --json"
expect_rc 0 "$rc" "status on s3://"
expect_grep '"successes" : 3' "$T/s.out" "status counts the 3 runs"

# --- pagination: 1,100 objects under one prefix, all listed
echo x > "$T/x"
export T
seq 1 1100 | xargs -P 8 -I{} sh -c 'n={}; curl -fsS -o /dev/null -T "$T/x" --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$AWS_ENDPOINT_URL/mongobak/many/backup-2001-01-01-$(printf %02d $((n / 3600)))-$(printf %02d $((n / 60 % 60)))-$(printf %02d $((n % 60))).archive"'
run_cmd "$T/l.out" "$T/l.err" rc -- env BACKUP_DIR=s3://mongobak/many "$MB_BIN" list --json --env-file /dev/null
expect_rc 0 "$rc" "list of 1,100 objects"
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["backups"]))' "$T/l.out")
[ "$n" = 1100 ] || fail "listed $n of 1,100 objects"
pass "ListObjectsV2 pages: all 1,100 objects listed"

# --- faults through a proxy: 503 SlowDown on parts (retried, the run succeeds), a GET dropped
# half-way (resumed from the last byte), a stalled server (S3_TIMEOUT, one line)
/usr/bin/python3 "$MB_SOURCE_DIR/tests/integration/servers/s3_fault_proxy.py" --upstream "$EP" \
  --port-file "$T/proxy.port" --ctl "$T/proxy.ctl" --log "$T/proxy.log" &
proxy=$!
trap 'kill "$proxy" 2>/dev/null || true; "$MB_SOURCE_DIR/tools/seaweedfs.sh" stop "$SW" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
PX=http://127.0.0.1:$(cat "$T/proxy.port")
echo "slowdown 2" > "$T/proxy.ctl"
run_cmd "$T/d.out" "$T/d.err" rc -- env AWS_ENDPOINT_URL="$PX" "$MB_BIN" dump --uri "$SRC" --db mbs3big --compress none --archive "s3://mongobak/dumps/slow.archive"
expect_rc 0 "$rc" "a dump through 503 SlowDown answers"
[ "$(grep -c 'partNumber=.* 503$' "$T/proxy.log")" = 2 ] || { cat "$T/proxy.log"; fail "expected 2 SlowDown answers"; }
expect_grep "attempt 1 failed \(HTTP 503\); retrying" "$T/d.err" "the retry is logged"
pass "503 SlowDown retried: the run succeeded"
echo "drop-get 2" > "$T/proxy.ctl"  # the first range (at the open) and one a reader thread fetches
run_cmd "$T/v.out" "$T/v.err" rc -- env AWS_ENDPOINT_URL="$PX" "$MB_BIN" verify "s3://mongobak/dumps/slow.archive"
expect_rc 0 "$rc" "verify through a dropped GET"
[ "$(grep -c -- "-dropped" "$T/proxy.log")" = 2 ] || fail "not 2 GETs dropped"
pass "a dropped GET resumed from the last byte received"
# the rest of the object comes by one streaming GET (bytes=N-) of a thread: drop it twice
: > "$T/proxy.log"
echo "drop-stream 2" > "$T/proxy.ctl"
run_cmd "$T/v.out" "$T/v.err" rc -- env AWS_ENDPOINT_URL="$PX" "$MB_BIN" verify "s3://mongobak/dumps/slow.archive"
expect_rc 0 "$rc" "verify through a dropped streaming GET"
grep -E '^GET .* (200|206)-dropped [0-9]+-$' "$T/proxy.log" >"$T/drops" || true
[ "$(wc -l <"$T/drops")" = 2 ] || { cat "$T/proxy.log"; fail "not 2 streaming GETs dropped"; }
# each retry starts where the bytes received stopped: three different, growing offsets
starts=$(grep -oE ' [0-9]+-$' "$T/proxy.log" | tr -d ' -' | tr '\n' ' ')
[ "$(echo $starts | wc -w)" = 3 ] || { cat "$T/proxy.log"; fail "expected 3 streaming GETs: $starts"; }
read -r s1 s2 s3 <<<"$starts"
[ "$s1" -lt "$s2" ] && [ "$s2" -lt "$s3" ] || fail "the streaming GET did not resume from the last byte: $starts"
expect_grep "OK" "$T/v.out" "the archive read through two drops verifies"
pass "a dropped streaming GET resumed from the last byte received (offsets $starts)"
echo "stall" > "$T/proxy.ctl"
start=$(date +%s)
run_cmd "$T/v.out" "$T/v.err" rc -- env AWS_ENDPOINT_URL="$PX" S3_TIMEOUT=2 S3_RETRIES=0 "$MB_BIN" verify "s3://mongobak/dumps/slow.archive"
expect_rc 5 "$rc" "a stalled server"
one_error_line "$T/v.err" "a stalled server"
expect_grep "no progress within" "$T/v.err" "says it timed out"
[ $(( $(date +%s) - start )) -lt 30 ] || fail "the stalled request was not cut by S3_TIMEOUT"
pass "a stalled server ends the command by S3_TIMEOUT"
kill "$proxy"

# --- SeaweedFS killed mid-upload: the run fails, nothing under the final key; the next run
# aborts the orphan upload and succeeds
(
  set +e
  "$MB_BIN" dump --uri "$SRC" --db mbs3big --compress none --archive "s3://mongobak/dumps/killed.archive" > "$T/k.out" 2> "$T/k.err"
  echo $? > "$T/k.rc"
) &
for _ in $(seq 200); do
  [ "$(open_uploads dumps/killed 2>/dev/null || echo 0)" -ge 1 ] && break
  sleep 0.05
done
kill -9 "$(cat "$SW/pid")"
wait
expect_rc 5 "$(cat "$T/k.rc")" "a dump whose S3 server died"
expect_grep "mongobak dump: error: (part [0-9]+: )?S3 (PUT|POST) s3://mongobak/dumps/killed.archive.*(cannot connect|connection dropped)" "$T/k.err" "the server died: one error line"
[ "$(grep -c 'error:' "$T/k.err")" = 1 ] || fail "more than one error line: $(cat "$T/k.err")"
"$MB_SOURCE_DIR/tools/seaweedfs.sh" restart "$SW" > /dev/null
[ "$(head_code dumps/killed.archive)" = 404 ] || fail "an object is under the final key after the failed upload"
pass "nothing under the final key"
[ "$(open_uploads dumps/killed)" -ge 1 ] || fail "the killed server kept no open upload (nothing to clean up)"
pass "the killed run's multipart upload is still open"
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$SRC" --db mbs3big --compress none --archive "s3://mongobak/dumps/killed.archive"
expect_rc 0 "$rc" "the next run of that key"
[ "$(head_code dumps/killed.archive)" = 200 ] || fail "the next run left no object"
[ "$(open_uploads dumps/killed)" = 0 ] || fail "an orphan multipart upload is still open"
pass "no multipart upload left open (the orphan was aborted)"
