#!/usr/bin/env bash
# Issue 13 §7: replies over the server's message size limit. The synthetic server (tools/synth)
# is told to ignore batchSize and the 16 MiB cap on chosen replies (--oversize-reply) and send up
# to 56 MiB, which libmongoc refuses ("Message size N is not within expected range
# 16-48000000 bytes"). mongobak reopens the cursor where it stopped with half the batch size:
#  - natural order (mixed _ids: natural order is not _id order), the find's first batch and a
#    getMore: resumed with skip, checked against the last document read;
#  - --split _id ranges: resumed from the last _id read (min);
# each archive holds exactly the documents of mongodump's archive of the same dataset. And:
#  - the collection changes before the resumed read (--vanish-after): exit 8, no archive;
#  - a server that ignores batchSize on every reply: exit 8 after a batch of one, no archive.
. "$(dirname "$0")/lib.sh"
SYNTH_ARGS=(--pages 1 --log)
. "$(dirname "$0")/synth_lib.sh"

# reference NAME COLL: mongodump's documents of a server without oversized replies.
reference() {
  start_synth "ref-$1" --coll "$2"
  mongodump --uri "$URI" --archive="$T/$1.md" 2> "$T/md.log" || { tail -5 "$T/md.log" >&2; fail "mongodump ($1)"; }
  $docs "$T/$1.md" > "$T/$1.docs"
}

# dump_same WHAT NAME ARGS...: mongobak dump exits 0, verifies, holds the reference's documents.
dump_same() {
  local what=$1 name=$2
  shift 2
  run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$URI" --archive "$T/mb.archive" --overwrite \
    --compress none "$@"
  [ "$rc" = 0 ] || cat "$T/d.err" >&2
  expect_rc 0 "$rc" "$what"
  "$MB_BIN" verify --quiet "$T/mb.archive" > /dev/null || fail "$what: the archive does not verify"
  $docs "$T/mb.archive" > "$T/mb.docs"
  diff "$T/$name.docs" "$T/mb.docs" > "$T/diff" || { cat "$T/diff" >&2; fail "$what: documents differ from mongodump's"; }
  pass "$what: verifies, same documents as mongodump ($(cut -d' ' -f2 "$T/mb.docs"))"
}

oversized() { grep -c "oversized reply" "$T/$1.log" || true; }

# 1. natural order: the find's first batch (twice: libmongoc retries a find once by itself) and
#    then a getMore are oversized
reference mixed mixedid:medium:mixed:45000
start_synth nat --coll mixedid:medium:mixed:45000 --oversize-reply 1-2 --oversize-reply 5
dump_same "natural order, oversized find and getMore" mixed --jobs 1
[ "$(oversized nat)" = 3 ] || fail "the server sent $(oversized nat) oversized replies, expected 3"
expect_grep "bench.mixedid: a reply was over the server's message size limit \(.*Message size [0-9]+ is not within expected range 16-48000000 bytes\); reading on after document 0 with batches of at most 50 documents" \
  "$T/d.err" "retry of the first batch, with half of its 101 documents"
expect_grep "bench.mixedid: a reply was over the server's message size limit \(.*getMore.*\); reading on after document 100 with batches of at most 25 documents" \
  "$T/d.err" "retry of a getMore after 100 documents, with half the batch"
grep -q '"find" : "mixedid".*"skip" : 99' "$T/nat.log" || fail "the read was not resumed with skip 99"
pass "resumed with skip 99, the last document read checked and not repeated"

# 2. --split: an _id range resumed from its last _id
reference large large:large:oid:8000
start_synth split --coll large:large:oid:8000 --oversize-reply 2
dump_same "--split range, oversized getMore" large --jobs 1 --split --split-threshold 1M
[ "$(oversized split)" = 1 ] || fail "the server sent $(oversized split) oversized replies, expected 1"
expect_grep "bench.large: a reply was over the server's message size limit .*; reading on after document [0-9]+ with batches" \
  "$T/d.err" "retry of the range"
awk '/oversized reply/ {after = 1} after && /"find" : "large"/ {print; exit}' "$T/split.log" |
  grep -q '"min" : { "_id"' || fail "the range was not resumed with min"
pass "the range was resumed from its last _id (min)"

# 3. the collection changes before the resumed read: no guess, no archive
start_synth vanish --coll mixedid:medium:mixed:45000 --oversize-reply 3 --vanish-after 3
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$URI" --archive "$T/v.archive" --jobs 1
expect_rc 8 "$rc" "collection changed before the resumed read"
expect_grep "reading 'bench.mixedid' failed: the collection changed while the read was resumed after document 2919 \(after a reply over the server's message size limit\); run the dump again" \
  "$T/d.err" "changed collection: one error line"
expect_no_file "$T/v.archive" "changed collection"

# 4. a server that ignores batchSize on every reply: halving ends at one document
start_synth always --coll mixedid:medium:mixed:45000 --oversize-reply 1-100
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$URI" --archive "$T/a.archive" --jobs 1
expect_rc 8 "$rc" "every reply oversized"
expect_grep "reading 'bench.mixedid' failed: with batches of one document: .*Message size [0-9]+ is not within expected range 16-48000000 bytes" \
  "$T/d.err" "every reply oversized: one error line"
expect_grep "reading on after document 0 with batches of at most 1 document$" "$T/d.err" "halved down to one document"
expect_no_file "$T/a.archive" "every reply oversized"
