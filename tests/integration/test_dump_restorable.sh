#!/usr/bin/env bash
# Dump acceptance: the seeded dataset dumped by `mongobak dump` is restored by the real
# mongorestore (plain, --gzip, and zstd through `zstd -dc |`) into a fresh database with every
# collection's documents byte-identical and the same indexes and options.
. "$(dirname "$0")/lib.sh"

for c in none gzip zstd; do
  out="$T/dump-$c.archive"
  run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --compress "$c" --archive "$out"
  expect_rc 0 "$rc" "dump --compress $c"
  expect_grep "^dumped 7 collections, 2602 documents" "$T/d.out" "dump $c summary"
  expect_no_partial "$out" "dump $c"
  "$MB_BIN" verify --quiet "$out" > "$T/v.out" || fail "verify of $c archive: $(cat "$T/v.out")"
  pass "verify of $c archive"
  db=$(fresh_db "$c")
  case $c in
    none) mongorestore --uri "$MB_URI_DST" --archive="$out" --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/r.log" ;;
    gzip) mongorestore --uri "$MB_URI_DST" --gzip --archive="$out" --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/r.log" ;;
    zstd) zstd -dcq "$out" | mongorestore --uri "$MB_URI_DST" --archive --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/r.log" ;;
  esac || { tail -5 "$T/r.log"; fail "mongorestore of the $c archive"; }
  expect_grep '2602 document\(s\) restored successfully. 0 document\(s\) failed' "$T/r.log" "mongorestore $c: every document"
  compare_db "$MB_URI_SRC" "$MB_SEED_DB" "$MB_URI_DST" "$db"
done

# a full dump (every database) to stdout, restored by mongorestore from stdin
db=$(fresh_db full)
"$MB_BIN" dump --uri "$MB_URI_SRC" --archive - --compress gzip --quiet 2>"$T/d.err" |
  mongorestore --uri "$MB_URI_DST" --gzip --archive --nsInclude 'mbtest_other.*' --nsFrom 'mbtest_other.*' --nsTo "$db.*" 2>"$T/r.log" ||
  { cat "$T/d.err"; tail -5 "$T/r.log"; fail "dump - | mongorestore"; }
[ ! -s "$T/d.err" ] || fail "--quiet dump printed: $(cat "$T/d.err")"
compare_db "$MB_URI_SRC" mbtest_other "$MB_URI_DST" "$db"

# the JSON summary
"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --json --archive "$T/j.archive.zst" > "$T/j.json"
/usr/bin/python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["collections"] == 7 and r["documents"] == 2602 and r["compression"] == "zstd", r
assert r["bytes_out"] < r["bytes_in"], r
assert {n["collection"] for n in r["namespaces"]} >= {"people", "big", "empty", "capped_log"}, r
print("ok: dump --json summary")' "$T/j.json"

# default file name in a directory
mkdir "$T/out"
(cd "$T/out" && "$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --quiet)
ls "$T/out" | grep -qE '^dump-[0-9]{8}T[0-9]{6}Z\.archive\.zst$' || fail "default name: $(ls "$T/out")"
pass "default name dump-<UTC>.archive.zst"
"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --quiet --compress gzip --archive "$T/out"
ls "$T/out" | grep -qE '^dump-[0-9]{8}T[0-9]{6}Z\.archive\.gz$' || fail "default name in --archive DIR: $(ls "$T/out")"
pass "--archive DIR puts dump-<UTC>.archive.gz in it"

# writing to /dev/null never replaces it
"$MB_BIN" dump --uri "$MB_URI_SRC" --db "$MB_SEED_DB" --quiet --archive /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a device"
pass "--archive /dev/null written directly"

# as mongodump, a database in the URI's path selects that database
"$MB_BIN" dump --uri "${MB_URI_SRC%/}/mbtest_other" --archive "$T/u.archive" --compress none --quiet
"$MB_BIN" inspect --json "$T/u.archive" | /usr/bin/python3 -c '
import json,sys; ns=[(n["db"], n["collection"]) for n in json.load(sys.stdin)["namespaces"]]
assert ns == [("mbtest_other", "things")], ns
print("ok: the URI database mbtest_other selects only its collection")'

# --- a drop-in for mongodump: `-h HOST:PORT --archive x.archive` writes what mongodump writes
# (uncompressed), and the real `mongorestore --archive=x.archive` restores it
hostport=${MB_URI_SRC#mongodb://}
hostport=${hostport%%/*}
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump -h "$hostport" -d "$MB_SEED_DB" --archive "$T/x.archive" --quiet
expect_rc 0 "$rc" "dump -h $hostport --archive x.archive"
[ "$(head -c 4 "$T/x.archive" | od -An -tx1 | tr -d ' ')" = 6de29981 ] || fail "x.archive is not an uncompressed archive"
pass "x.archive starts with the archive's magic number"
db=$(fresh_db dropin)
mongorestore --uri "$MB_URI_DST" --archive="$T/x.archive" --nsFrom "$MB_SEED_DB.*" --nsTo "$db.*" 2>"$T/r.log" ||
  { tail -5 "$T/r.log"; fail "mongorestore --archive=x.archive"; }
compare_db "$MB_URI_SRC" "$MB_SEED_DB" "$MB_URI_DST" "$db"

# the name says the compression: .gz gzip, .zst zstd; --gzip and --compress may agree with it
magic() { head -c 4 "$1" | od -An -tx1 | tr -d ' '; }
"$MB_BIN" dump --uri "$MB_URI_SRC" --db mbtest_other --archive "$T/n.archive.gz" --quiet
case $(magic "$T/n.archive.gz") in 1f8b*) pass ".gz is gzip" ;; *) fail ".gz is not gzip" ;; esac
"$MB_BIN" dump --uri "$MB_URI_SRC" --db mbtest_other --archive "$T/n.archive.zst" --quiet
[ "$(magic "$T/n.archive.zst")" = 28b52ffd ] || fail ".zst is not zstd"
pass ".zst is zstd"
"$MB_BIN" dump --uri "$MB_URI_SRC" --db mbtest_other --gzip --archive="$T/g.archive" --quiet
case $(magic "$T/g.archive") in 1f8b*) pass "--gzip --archive=g.archive is gzip" ;; *) fail "--gzip ignored" ;; esac
run_cmd "$T/d.out" "$T/d.err" rc -- "$MB_BIN" dump --uri "$MB_URI_SRC" --db mbtest_other --archive "$T/c.gz" --compress zstd
expect_rc 2 "$rc" "a name contradicting --compress"
expect_grep "^mongobak dump: error: --archive '$T/c.gz' names a gzip file but --compress is zstd; rename it or drop --compress$" "$T/d.err" "says which"
one_error_line "$T/d.err" "contradicting name"
expect_no_file "$T/c.gz" "contradicting name"

# mongodump's selection spellings
"$MB_BIN" dump --uri "$MB_URI_SRC" --nsInclude "$MB_SEED_DB.*" --excludeCollection people \
  --excludeCollectionsWithPrefix capped --archive "$T/s.archive" --quiet
"$MB_BIN" inspect --json "$T/s.archive" | /usr/bin/python3 -c '
import json,sys; cs={n["collection"] for n in json.load(sys.stdin)["namespaces"]}
assert "people" not in cs and not any(c.startswith("capped") for c in cs) and "big" in cs, cs
print("ok: --nsInclude, --excludeCollection, --excludeCollectionsWithPrefix")'

# --archive - never writes binary to a terminal
run_cmd "$T/d.out" "$T/d.err" rc -- script -qec "'$MB_BIN' dump --uri '$MB_URI_SRC' --db mbtest_other --archive - 2>'$T/tty.err'" /dev/null
expect_rc 2 "$rc" "--archive - on a terminal"
expect_grep "would write a binary archive to the terminal" "$T/tty.err" "says why"
