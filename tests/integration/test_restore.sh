#!/usr/bin/env bash
# mongobak restore: archives written by the real mongodump (plain, --gzip, and zstd'ed) and by
# mongobak dump (each compression) restore into fresh databases byte for byte, with the same
# indexes and options; --drop, namespace filters, renames, --dry-run, --no-index-restore,
# --stop-on-error, stdin, --json, and the all-types archive of the real mongodump (dry run).
. "$(dirname "$0")/lib.sh"
SRC=$MB_URI_SRC DST=$MB_URI_DST

# colls URI DB: the collection names of DB, sorted, on one line
colls() {
  /usr/bin/python3 -c 'import sys, pymongo
print(" ".join(sorted(pymongo.MongoClient(sys.argv[1])[sys.argv[2]].list_collection_names())))' "$1" "$2"
}
# count URI DB COLL
count() {
  /usr/bin/python3 -c 'import sys, pymongo
print(pymongo.MongoClient(sys.argv[1])[sys.argv[2]][sys.argv[3]].count_documents({}))' "$1" "$2" "$3"
}
# index_names URI DB COLL
index_names() {
  /usr/bin/python3 -c 'import sys, pymongo
print(" ".join(sorted(i["name"] for i in pymongo.MongoClient(sys.argv[1])[sys.argv[2]][sys.argv[3]].list_indexes())))' "$1" "$2" "$3"
}
dbs() { /usr/bin/python3 -c 'import sys, pymongo; print(" ".join(pymongo.MongoClient(sys.argv[1]).list_database_names()))' "$1"; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$2', expected '$1'"; pass "$3: $2"; }
# json_get FILE EXPR: a value of the JSON report (EXPR in Python, r = the report, ns = by source)
json_get() {
  /usr/bin/python3 -c 'import sys, json
r = json.load(open(sys.argv[1])); ns = {n["source"]: n for n in r["namespaces"]}
v = eval(sys.argv[2])
print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$1" "$2"
}
restore() { # restore OUT ERR RC -- args: mongobak restore with --uri DST
  local out=$1 err=$2 rcv=$3; shift 4
  run_cmd "$out" "$err" "$rcv" -- "$MB_BIN" restore --uri "$DST" "$@"
}

ALL="big capped_log dotted.name.coll empty people types ünïcödé_名前"

# --- archives of the real mongodump
mongodump --uri "$SRC" --db "$MB_SEED_DB" --archive="$T/plain.archive" --quiet
mongodump --uri "$SRC" --db "$MB_SEED_DB" --gzip --archive="$T/gzip.archive.gz" --quiet
zstd -q -c "$T/plain.archive" > "$T/plain.archive.zst"

for kind in plain.archive gzip.archive.gz plain.archive.zst; do
  db=$(fresh_db "md_${kind%%.*}_${kind##*.}")
  restore "$T/r.out" "$T/r.err" rc -- --archive "$T/$kind" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*"
  expect_rc 0 "$rc" "mongodump $kind -> mongobak restore"
  [ -s "$T/r.err" ] && { cat "$T/r.err"; fail "mongodump $kind: unexpected stderr"; }
  expect_grep "^7 namespaces \(7 ok\); 2602 documents read, 2602 restored, 0 failed \(0 duplicate keys\); 3 indexes built, 0 failed" \
    "$T/r.out" "mongodump $kind: summary"
  compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"
done

# --- from stdin, with --json
db=$(fresh_db stdin)
run_cmd "$T/r.json" "$T/r.err" rc -- sh -c "cat '$T/gzip.archive.gz' | '$MB_BIN' restore --uri '$DST' --json --ns-from '$MB_SEED_DB.*' --ns-to '$db.*'"
expect_rc 0 "$rc" "restore from stdin"
expect_eq "True 0 gzip 2602 2602 7 3" "$(json_get "$T/r.json" \
  'r["ok"], r["exit_code"], r["archive"]["compression"], r["totals"]["documents_read"], r["totals"]["documents_restored"], r["totals"]["by_status"]["ok"], r["totals"]["indexes_built"]')" \
  "--json report"
expect_eq "$db.people collection ok 2000 2000 3" "$(json_get "$T/r.json" \
  'ns["'$MB_SEED_DB'.people"]["target"], ns["'$MB_SEED_DB'.people"]["type"], ns["'$MB_SEED_DB'.people"]["status"], ns["'$MB_SEED_DB'.people"]["documents_read"], ns["'$MB_SEED_DB'.people"]["documents_restored"], ns["'$MB_SEED_DB'.people"]["indexes_built"]')" \
  "--json namespace entry"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"

# --- mongobak dump -> mongobak restore, every compression
for z in none gzip zstd; do
  "$MB_BIN" dump --uri "$SRC" --db "$MB_SEED_DB" --compress "$z" --archive "$T/mb-$z.archive" --quiet
  db=$(fresh_db "mb_$z")
  restore "$T/r.out" "$T/r.err" rc -- -a "$T/mb-$z.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --quiet
  expect_rc 0 "$rc" "mongobak dump --compress $z -> restore"
  [ -s "$T/r.out" ] && fail "--quiet printed a summary"
  compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"
done

# --- restoring twice: without --drop every document is a duplicate key (exit 9, data
# unchanged); --stop-on-error stops at the first; with --drop the result is identical again
db=$(fresh_db twice)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*"
expect_rc 0 "$rc" "first restore"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*"
expect_rc 9 "$rc" "second restore without --drop"
expect_grep "the restore finished with failures: 2602 documents with a duplicate key$" "$T/r.err" "second restore: error line"
expect_grep "^$MB_SEED_DB\.people +$db\.people +0 +2000 +0 +3  partial" "$T/r.out" "second restore: people reported with 2000 duplicates"
expect_grep "E11000 duplicate key" "$T/r.out" "second restore: the server's message is shown"
expect_grep "^$MB_SEED_DB\.empty +$db\.empty +0 +0 +0 +0  ok" "$T/r.out" "second restore: empty collection ok"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --stop-on-error -j 1
expect_rc 9 "$rc" "--stop-on-error"
expect_grep "stopped at the first document that failed to insert \(--stop-on-error\): '$db\.[^']+': E11000" "$T/r.err" "--stop-on-error: message"
grep -q "not reached\|incomplete" "$T/r.out" || fail "--stop-on-error: every namespace was still processed"
pass "--stop-on-error: later namespaces not processed"
restore "$T/r.json" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --drop --json
expect_rc 0 "$rc" "restore with --drop"
expect_eq "0 2602" "$(json_get "$T/r.json" 'r["totals"]["duplicates"], r["totals"]["documents_restored"]')" "--drop: no duplicates"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db"

# --- namespace filters
db=$(fresh_db include)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" \
  --ns-include "$MB_SEED_DB.people" --ns-include "$MB_SEED_DB.ty*"
expect_rc 0 "$rc" "--ns-include"
expect_eq "people types" "$(colls "$DST" "$db")" "--ns-include: collections"
expect_grep "not listed: 5 namespaces not selected" "$T/r.out" "--ns-include: the others are counted"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db" --ignore-collection big --ignore-collection capped_log \
  --ignore-collection dotted.name.coll --ignore-collection empty --ignore-collection ünïcödé_名前
db=$(fresh_db exclude)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" \
  --ns-exclude "$MB_SEED_DB.big" --ns-exclude "*.capped*"
expect_rc 0 "$rc" "--ns-exclude"
expect_eq "dotted.name.coll empty people types ünïcödé_名前" "$(colls "$DST" "$db")" "--ns-exclude: collections"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db" --ignore-collection big --ignore-collection capped_log

# --- renaming with $var$ placeholders; the last matching pair wins; bad renames are refused
db=$(fresh_db vars)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.\$c\$" --ns-to "$db.copy_\$c\$"
expect_rc 0 "$rc" "rename with \$c\$"
expect_eq "copy_big copy_capped_log copy_dotted.name.coll copy_empty copy_people copy_types copy_ünïcödé_名前" \
  "$(colls "$DST" "$db")" "rename with \$c\$: collections"
expect_eq "2000" "$(count "$DST" "$db" copy_people)" "rename: people's documents"
expect_eq "_id_ created_-1 email_1 lastName_1_age_-1" "$(index_names "$DST" "$db" copy_people)" "rename: people's indexes"
dba=$(fresh_db ra) dbb=$(fresh_db rb)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$dbb.*" \
  --ns-from "$MB_SEED_DB.people" --ns-to "$dba.persons"
expect_rc 0 "$rc" "two renames"
expect_eq "persons" "$(colls "$DST" "$dba")" "two renames: the specific (last) pair wins"
expect_eq "big capped_log dotted.name.coll empty types ünïcödé_名前" "$(colls "$DST" "$dbb")" "two renames: the others"
expect_eq "2000" "$(count "$DST" "$dba" persons)" "two renames: persons' documents"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.\$c\$" --ns-to "$(fresh_db same).same"
expect_rc 2 "$rc" "rename of two namespaces onto one"
expect_grep "would both be restored into '.*\.same'" "$T/r.err" "rename collision: message"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "x.*.*"
expect_rc 2 "$rc" "rename with different numbers of '*'"
expect_grep "bad rename --ns-from '$MB_SEED_DB\.\*' --ns-to 'x\.\*\.\*': different numbers of '\*'" "$T/r.err" "bad rename: message"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.\$a\$" --ns-to "x.\$b\$"
expect_rc 2 "$rc" "rename with an unknown variable"
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*"
expect_rc 2 "$rc" "--ns-from without --ns-to"

# --- --dry-run reads and checks everything, writes nothing, connects to nothing
db=$(fresh_db dry)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/gzip.archive.gz" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --dry-run
expect_rc 0 "$rc" "--dry-run"
expect_eq 7 "$(grep -c '  checked$' "$T/r.out")" "--dry-run: namespaces checked"
expect_grep "^dry run: 7 namespaces \(7 checked\); 2602 documents, 5897152 bytes read and checked; nothing was written" "$T/r.out" "--dry-run: summary"
case " $(dbs "$DST") " in *" $db "*) fail "--dry-run created $db" ;; esac
pass "--dry-run: $db does not exist"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500" -a "$T/plain.archive" --dry-run --quiet
expect_rc 0 "$rc" "--dry-run against an unreachable server (connects to nothing)"

# --- --no-index-restore
db=$(fresh_db noidx)
restore "$T/r.out" "$T/r.err" rc -- -a "$T/plain.archive" --ns-from "$MB_SEED_DB.*" --ns-to "$db.*" --no-index-restore
expect_rc 0 "$rc" "--no-index-restore"
expect_eq "_id_" "$(index_names "$DST" "$db" people)" "--no-index-restore: people has only _id_"
compare_db "$SRC" "$MB_SEED_DB" "$DST" "$db" --no-indexes

# --- the real mongodump's all-types archive (FerretDB refuses several types: dry run only)
for f in mongodump-alltypes.archive mongodump-alltypes.archive.gz; do
  [ -r "$MB_SHARED/testdata/$f" ] || { echo "skipped: no $MB_SHARED/testdata/$f (beside the clone)"; continue; }
  run_cmd "$T/r.json" "$T/r.err" rc -- "$MB_BIN" restore -a "$MB_SHARED/testdata/$f" --dry-run --json
  expect_rc 0 "$rc" "$f --dry-run"
  expect_eq "50 15000 checked 22 1670 checked 72" "$(json_get "$T/r.json" \
    'ns["db0.c0"]["documents_read"], ns["db0.c0"]["bytes_read"], ns["db0.c0"]["status"], ns["db0.alltypes"]["documents_read"], ns["db0.alltypes"]["bytes_read"], ns["db0.alltypes"]["status"], r["totals"]["documents_read"]')" \
    "$f: counts"
done
# ... and our own every-type archives (tests/data), in every clone
for f in every_type.archive every_type.archive.gz; do
  run_cmd "$T/r.json" "$T/r.err" rc -- "$MB_BIN" restore -a "$MB_SOURCE_DIR/tests/data/$f" --dry-run --json
  expect_rc 0 "$rc" "$f --dry-run"
  expect_eq "6 788 checked 4 6639 checked 10" "$(json_get "$T/r.json" \
    'ns["db0.c0"]["documents_read"], ns["db0.c0"]["bytes_read"], ns["db0.c0"]["status"], ns["db0.alltypes"]["documents_read"], ns["db0.alltypes"]["bytes_read"], ns["db0.alltypes"]["status"], r["totals"]["documents_read"]')" \
    "$f: counts"
done
