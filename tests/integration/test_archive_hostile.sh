#!/usr/bin/env bash
# Hostile and edge-case archives (written here by craft_archive.py, not by mongobak), read by
# verify, restore --dry-run and a real restore, and by the real mongorestore where it tells what
# mongobak must say: no crash, no hang, no document a server cannot hold sent to one, no raw
# control character on a terminal, and verify saying what restore (and mongorestore) will say.
. "$(dirname "$0")/lib.sh"
DST=$MB_URI_DST
CRAFT="/usr/bin/python3 $(dirname "$0")/craft_archive.py"
count_docs() { # count_docs DB: documents in every collection of DB on the target
  /usr/bin/python3 -c 'import sys, pymongo; d = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
print(sum(d[c].count_documents({}) for c in d.list_collection_names()))' "$DST" "$1"
}
no_raw_controls() { # no_raw_controls FILE WHAT: no byte below 0x20 but newline, no DEL
  if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; then
    cat -v "$1" >&2; fail "$2: a raw control character reached the output"
  fi
  pass "$2: no raw control character"
}
mongorestore_rc() { # mongorestore_rc ARCHIVE OUT: the real mongorestore's exit code, stopped if it hangs
  set +e; timeout -s KILL 60 mongorestore --uri "$DST" --archive="$1" >"$2" 2>&1; local rc=$?; set -e
  [ "$rc" != 137 ] || fail "mongorestore hung on $1"
  echo "$rc"
}

# --- a document nested 10,000 levels deep: libbson's recursive validation overflowed the stack
db=$(fresh_db deep)
off=$($CRAFT deep "$T/deep.archive" 10000 "$db" | sed -n 's/^offset=//p')
want="corrupt archive at byte $off: a document of namespace '$db.deep' is nested more than 1000 levels deep: no MongoDB server stores such a document, so mongobak neither reads it further nor sends it to a server"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/deep.archive"
expect_rc 3 "$rc" "verify, 10,000 levels"
expect_grep "^mongobak verify: error: $want\$" "$T/v.err" "verify: namespace and offset"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/deep.archive" --dry-run
expect_rc 3 "$rc" "restore --dry-run, 10,000 levels"
expect_grep "^mongobak restore: error: $want\$" "$T/r.err" "restore --dry-run: namespace and offset"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/deep.archive"
expect_rc 3 "$rc" "restore into FerretDB, 10,000 levels"
expect_grep "^mongobak restore: error: $want\$" "$T/r.err" "restore: namespace and offset"
[ "$(count_docs "$db")" = 0 ] || fail "restore sent documents of the deep namespace"
pass "restore: nothing was written"
# 2 million levels (16 MB, 1.5 MB as zstd): refused at once, compressed or not
$CRAFT deep "$T/deeper.archive" 2000000 "$db" >/dev/null
zstd -q -19 "$T/deeper.archive" -o "$T/deeper.archive.zst"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/deeper.archive.zst"
expect_rc 3 "$rc" "verify, 2,000,000 levels (zstd, $(stat -c %s "$T/deeper.archive.zst") bytes)"
expect_grep "a document of namespace '$db.deep' is nested more than 1000 levels deep" "$T/v.err" "verify: 2,000,000 levels"
# 1000 levels, the most a server holds, are fine
$CRAFT deep "$T/d1000.archive" 999 "$db" >/dev/null
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/d1000.archive"
expect_rc 0 "$rc" "verify, 1,000 levels"

# --- 200,000 namespaces (the prelude was quadratic: 40,000 took 11 s, 1,000,000 never ended)
$CRAFT namespaces "$T/many.archive" 200000 many >/dev/null
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify --quiet "$T/many.archive"
expect_rc 0 "$rc" "verify, 200,000 namespaces"
expect_grep "^verdict: OK: 200000 namespaces, 0 documents" "$T/v.out" "verify: every namespace"
rm -f "$T/many.archive"

# --- a collection name with terminal escape sequences, a newline and DEL
db=$(fresh_db esc)
off=$($CRAFT escape "$T/esc.archive" "$db" | sed -n 's/^offset=//p')
shown="$db\\.ev\\\\x1b\\[31mil\\\\x1b\\]0;pwned\\\\x07\\\\x0anext\\\\x7f"
for c in "verify" "inspect" "restore --dry-run -a"; do
  run_cmd "$T/o.out" "$T/o.err" rc -- "$MB_BIN" $c "$T/esc.archive"
  expect_rc 0 "$rc" "$c: escape sequences in a name"
  expect_grep "$shown" "$T/o.out" "$c: the name is shown escaped"
  cat "$T/o.err" >> "$T/o.out"; no_raw_controls "$T/o.out" "$c"
done
head -c $((off + 7)) "$T/esc.archive" > "$T/esc-cut.archive"
run_cmd "$T/o.out" "$T/o.err" rc -- "$MB_BIN" verify "$T/esc-cut.archive"
expect_rc 3 "$rc" "verify, truncated inside the escaped namespace"
expect_grep "^mongobak verify: error: .*'$shown'" "$T/o.err" "verify: the error line shows the name escaped"
no_raw_controls "$T/o.err" "verify error line"

# --- metadata that is not Extended JSON: verify refuses it as restore and mongorestore do
db=$(fresh_db badjson)
$CRAFT bad-json "$T/bj.archive" "$db" >/dev/null
want="the metadata of namespace '$db.bad' in the archive is not valid Extended JSON: Incomplete JSON"
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/bj.archive"
expect_rc 3 "$rc" "verify, metadata not JSON"
expect_grep "^mongobak verify: error: $want\$" "$T/v.err" "verify: the metadata error"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/bj.archive" --dry-run
expect_rc 3 "$rc" "restore --dry-run, metadata not JSON"
expect_grep "^mongobak restore: error: $want\$" "$T/r.err" "restore --dry-run: the same error"
[ "$(mongorestore_rc "$T/bj.archive" "$T/m.out")" = 1 ] || fail "mongorestore accepted bad metadata"
expect_grep "error parsing metadata" "$T/m.out" "mongorestore refuses it too"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/bj.archive" --dry-run --ns-exclude "$db.bad"
expect_rc 0 "$rc" "restore --dry-run without the bad namespace"

# --- accepted by mongorestore, so accepted, with a warning where mongorestore needs conditions
check_accepted() { # check_accepted KIND WARNING-REGEX: verify, dry run and mongorestore all accept
  local kind=$1 warning=$2 d; d=$(fresh_db "${kind//-/_}")
  $CRAFT "$kind" "$T/$kind.archive" ${3:+"$3"} "$d" >/dev/null
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/$kind.archive"
  expect_rc 0 "$rc" "verify $kind"
  expect_grep "^warning: $warning" "$T/v.out" "verify $kind: warning"
  expect_grep "^verdict: OK: .*; see the warnings above$" "$T/v.out" "verify $kind: verdict"
  if [ "$kind" = duplicate ]; then # the prelude tells (the others are in the data)
    run_cmd "$T/i.out" "$T/i.err" rc -- "$MB_BIN" inspect "$T/$kind.archive"
    expect_grep "^warning: $warning" "$T/i.out" "inspect $kind: warning"
  fi
  run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/$kind.archive" --dry-run
  expect_rc 0 "$rc" "restore --dry-run $kind"
  expect_grep "^warning: $warning" "$T/r.out" "restore --dry-run $kind: warning"
  [ "$(mongorestore_rc "$T/$kind.archive" "$T/m.out")" = 0 ] || { cat "$T/m.out" >&2; fail "mongorestore refused $kind"; }
  pass "mongorestore restores $kind"
  DB=$d
}
check_accepted interleave "up to 4 namespaces are open at once, more than concurrent_collections \(1\): mongorestore restores this archive with its default 4 restore workers, but hangs with --numParallelCollections below 4" 4
db2=$(fresh_db interleave_mb)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/interleave.archive" --jobs 1 --ns-from "$DB.*" --ns-to "$db2.*"
expect_rc 0 "$rc" "restore --jobs 1, four namespaces open at once"
[ "$(count_docs "$db2")" = 8 ] || fail "interleaved restore: $(count_docs "$db2") documents, expected 8"
pass "interleaved restore: 8 documents"
$CRAFT interleave "$T/inter5.archive" 5 "$db2" >/dev/null
run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/inter5.archive"
expect_rc 3 "$rc" "verify, five namespaces open at once with concurrent_collections 1"
expect_grep "makes 5 namespaces open at once, more than mongorestore's 4 restore workers .*: mongorestore would hang$" "$T/v.err" "verify: why five is refused"

check_accepted duplicate "namespace '[A-Za-z0-9_]+\.dup' appears more than once in the prelude: its first entry is used, as mongorestore does"
/usr/bin/python3 - "$DST" "$DB" <<'EOF' || fail "mongorestore: first entry's indexes"
import sys, pymongo
assert sorted(i["name"] for i in pymongo.MongoClient(sys.argv[1])[sys.argv[2]].dup.list_indexes()) == ["_id_", "first_1"]
EOF
db2=$(fresh_db duplicate_mb)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/duplicate.archive" --ns-from "$DB.*" --ns-to "$db2.*"
expect_rc 0 "$rc" "restore, duplicated prelude namespace"
/usr/bin/python3 - "$DST" "$db2" <<'EOF' || fail "mongobak: first entry's indexes"
import sys, pymongo
assert sorted(i["name"] for i in pymongo.MongoClient(sys.argv[1])[sys.argv[2]].dup.list_indexes()) == ["_id_", "first_1"]
EOF
pass "duplicate: both build the first entry's index, first_1"

check_accepted oplog-first "namespace '[A-Za-z0-9_]+\.after' comes after the oplog: mongorestore restores this archive, but fails or hangs on it with --oplogReplay, which needs the oplog last"

# --- refused by mongorestore, restored by mongobak: verify warns that mongorestore refuses it
check_refused() { # check_refused KIND WARNING-REGEX MONGORESTORE-REGEX
  local kind=$1 d; d=$(fresh_db "${kind//-/_}")
  $CRAFT "$kind" "$T/$kind.archive" "$d" >/dev/null
  run_cmd "$T/v.out" "$T/v.err" rc -- "$MB_BIN" verify "$T/$kind.archive"
  expect_rc 0 "$rc" "verify $kind"
  expect_grep "^warning: $2" "$T/v.out" "verify $kind: says mongorestore refuses it"
  run_cmd "$T/i.out" "$T/i.err" rc -- "$MB_BIN" inspect --json "$T/$kind.archive"
  expect_grep "\"warnings\" : \[ \"$2" "$T/i.out" "inspect --json $kind: the warning"
  [ "$(mongorestore_rc "$T/$kind.archive" "$T/m.out")" = 1 ] || { cat "$T/m.out" >&2; fail "mongorestore accepted $kind"; }
  expect_grep "$3" "$T/m.out" "mongorestore refuses $kind"
  DB=$d
}
check_refused relaxed-date "mongorestore refuses namespace '[A-Za-z0-9_]+\.rd' \(and so this archive, unless --nsExclude leaves it out\): its metadata has a relaxed or legacy \\\$date" "error parsing metadata"
check_refused bad-version "server_version 'unknown' does not parse as X.Y.Z: mongorestore 100.16 and later refuse this archive" "parse version from prelude: invalid version string"
check_refused top-level "namespace '\.stray' has no database name: mongobak does not restore it, and mongorestore refuses this archive unless --nsExclude leaves it out" "database name cannot be empty"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/top-level.archive" --drop
expect_rc 0 "$rc" "restore, top-level entry"
expect_grep "^\.stray +- .* skipped$" "$T/r.out" "restore: the top-level entry is skipped"
check_refused dotted-db "database name '[A-Za-z0-9_]+\.sub' is not valid in MongoDB .*: mongorestore refuses this archive, and servers refuse to create 'c' in it" "illegal character '\.' found in db name"

# --- db "X.sub", collection "c": restored into exactly that, never into db "X", collection "sub.c"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/dotted-db.archive" --dry-run --json
expect_rc 0 "$rc" "restore --dry-run, dotted database"
expect_grep "\"source\" : \"$DB\.sub\.c\", \"target\" : \"$DB\.sub\.c\"" "$T/r.out" "dry run: target as named"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$DST" -a "$T/dotted-db.archive"
expect_rc 9 "$rc" "restore, dotted database"
expect_grep "^$DB\.sub\.c +$DB\.sub\.c +0 +0 +0 +0  failed$" "$T/r.out" "restore: the namespace failed"
expect_grep "creating collection '$DB\.sub\.c': .*" "$T/r.out" "restore: the server's reason"
[ "$(count_docs "$DB")" = 0 ] || fail "the document went to database $DB"
pass "nothing written to database $DB (collection sub.c)"
