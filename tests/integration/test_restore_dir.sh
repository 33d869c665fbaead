#!/usr/bin/env bash
# mongobak restore DIR (and --dir DIR): directories written by the real mongodump --out (plain and
# --gzip) and by mongobak dump --out restore byte for byte, with renames and filters as archives
# do; a damaged .bson file is named in one error line; what is not a dump directory is refused.
. "$(dirname "$0")/lib.sh"
SRC=$MB_URI_SRC DST=$MB_URI_DST
DB=$MB_SEED_DB

for mode in plain gzip; do
  md=()
  [ "$mode" = gzip ] && md=(--gzip)
  mongodump --uri "$SRC" --db "$DB" --out "$T/md-$mode" "${md[@]}" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump --out ($mode)"; }
  to=$(fresh_db "dir$mode")
  "$MB_BIN" restore --uri "$DST" --ns-from "$DB.*" --ns-to "$to.*" --quiet "$T/md-$mode" || fail "$mode: mongobak restore DIR"
  compare_db "$SRC" "$DB" "$DST" "$to"
done

# --dir, a filter, and the JSON report
to=$(fresh_db dirpeople)
"$MB_BIN" restore --uri "$DST" --dir "$T/md-gzip" --ns-include "$DB.people" --ns-from "$DB.people" --ns-to "$to.people" --json > "$T/r.json" || fail "restore --dir"
/usr/bin/python3 - "$T/r.json" "$to" <<'PY' || fail "restore --dir --ns-include: report"
import json, sys
r = json.load(open(sys.argv[1]))
done = [n for n in r["namespaces"] if n["documents_restored"] > 0]
assert [n["target"] for n in done] == [sys.argv[2] + ".people"], done
PY
pass "--dir with --ns-include restores only people"

# mongobak's own directories, gzip, round trip
"$MB_BIN" dump --uri "$SRC" --db "$DB" --out "$T/mb" --compress gzip --quiet || fail "dump --out"
to=$(fresh_db dirmb)
"$MB_BIN" restore --uri "$DST" --ns-from "$DB.*" --ns-to "$to.*" --quiet "$T/mb" || fail "restore of mongobak's directory"
compare_db "$SRC" "$DB" "$DST" "$to"

# a dry run reads every file; a truncated .bson is named
"$MB_BIN" restore --dry-run --quiet "$T/md-plain" || fail "--dry-run of a directory"
pass "--dry-run of a directory"
"$MB_BIN" verify --quiet "$T/md-gzip" || fail "verify of a mongodump directory"
"$MB_BIN" inspect --json "$T/md-gzip" > "$T/i.json" || fail "inspect of a mongodump directory"
expect_grep '"people"' "$T/i.json" "verify and inspect read a directory"
cp -r "$T/md-plain" "$T/bad"
f="$T/bad/$DB/people.bson"
head -c $(( $(stat -c %s "$f") - 7 )) "$f" > "$f.tmp" && mv "$f.tmp" "$f"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" restore --dry-run "$T/bad"
expect_rc 3 "$rc" "a truncated .bson file"
one_error_line "$T/e" "a truncated .bson file"
expect_grep "people\.bson ends inside a document" "$T/e" "the error names the file"

# what is not a dump directory
mkdir "$T/nothing"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" restore --dry-run "$T/nothing"
expect_rc 4 "$rc" "an empty directory"
one_error_line "$T/e" "an empty directory"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" restore --dry-run "$T/missing"
expect_rc 2 "$rc" "a directory that does not exist"
one_error_line "$T/e" "a directory that does not exist"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" restore --dry-run --archive "$T/x" "$T/md-plain"
expect_rc 2 "$rc" "--archive and a directory"
