#!/usr/bin/env bash
# mongobak dump --out DIR writes mongodump's directory layout: the same files as the real
# mongodump --out (names, metadata, prelude.json; .gz with gzip), which the real mongorestore DIR
# (and --gzip) restores identically; an existing non-empty DIR is refused without --overwrite; a
# failed dump leaves nothing under DIR.
. "$(dirname "$0")/lib.sh"
SRC=$MB_URI_SRC DST=$MB_URI_DST
DB=$MB_SEED_DB

# listing DIR: the relative paths of its files, sorted, .gz removed
listing() { (cd "$1" && find . -type f | sed 's|^\./||; s|\.gz$||' | LC_ALL=C sort); }

for mode in plain gzip; do
  md=() mb=()
  [ "$mode" = gzip ] && md=(--gzip) mb=(--compress gzip)
  mongodump --uri "$SRC" --db "$DB" --out "$T/md-$mode" "${md[@]}" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump --out ($mode)"; }
  "$MB_BIN" dump --uri "$SRC" --db "$DB" --out "$T/mb-$mode" "${mb[@]}" --quiet || fail "mongobak dump --out ($mode)"
  listing "$T/md-$mode" > "$T/md.list"
  listing "$T/mb-$mode" > "$T/mb.list"
  diff "$T/md.list" "$T/mb.list" || fail "$mode: the files differ from mongodump's"
  pass "$mode: the same $(wc -l < "$T/mb.list") files as mongodump --out"
  /usr/bin/python3 - "$T/md-$mode" "$T/mb-$mode" <<'PY' || fail "$mode: contents differ from mongodump's"
import gzip, json, os, sys
a, b = sys.argv[1:3]
def read(p):
    if os.path.exists(p + ".gz"):
        return gzip.open(p + ".gz").read()
    return open(p, "rb").read()
def docs(raw):
    out, i = [], 0
    while i < len(raw):
        n = int.from_bytes(raw[i:i + 4], "little"); out.append(raw[i:i + n]); i += n
    assert i == len(raw), "a truncated document"
    return sorted(out)
for root, _, files in os.walk(a):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), a)
        if rel.endswith(".gz"):
            rel = rel[:-3]
        x, y = read(os.path.join(a, rel)), read(os.path.join(b, rel))
        if rel.endswith(".bson"):
            assert docs(x) == docs(y), rel
        elif rel.endswith("prelude.json"):
            assert json.loads(x)["ServerVersion"] == json.loads(y)["ServerVersion"], rel
            assert set(json.loads(y)) == {"ServerVersion", "ToolVersion"}, y
        else:
            assert json.loads(x) == json.loads(y), "%s:\n mongodump %s\n mongobak  %s" % (rel, x, y)
PY
  pass "$mode: the same documents, metadata and prelude.json"
  if [ "$mode" = gzip ]; then gz=1; else gz=0; fi
  for f in "$T/mb-$mode/$DB"/*; do
    case "$f" in *.gz) [ $gz = 1 ] || fail "$mode: $f is compressed";; *) [ $gz = 0 ] || fail "$mode: $f is not compressed";; esac
  done
  pass "$mode: file suffixes"

  # the real mongorestore restores mongobak's directory identically
  to=$(fresh_db "out$mode")
  mongorestore --uri "$DST" "${md[@]}" --nsFrom "$DB.*" --nsTo "$to.*" "$T/mb-$mode" 2>"$T/mr.log" || { cat "$T/mr.log"; fail "$mode: mongorestore DIR"; }
  grep -q " 0 document(s) failed to restore" "$T/mr.log" || { cat "$T/mr.log"; fail "$mode: mongorestore reported failures"; }
  compare_db "$SRC" "$DB" "$DST" "$to"
done

# the whole server: users and roles as mongodump writes them, one prelude.json at the top
"$MB_BIN" dump --uri "$SRC" --out "$T/all" --quiet || fail "dump --out of everything"
mongodump --uri "$SRC" --out "$T/md-all" 2>"$T/md.log" || { cat "$T/md.log"; fail "mongodump --out of everything"; }
diff <(listing "$T/md-all") <(listing "$T/all") || fail "full dump: the files differ from mongodump's"
[ -f "$T/all/prelude.json" ] || fail "no prelude.json at the top"
[ -f "$T/all/$DB/people.bson" ] && [ -f "$T/all/$DB/people.metadata.json" ] || fail "no $DB/people files"
pass "full dump: DIR/prelude.json and DIR/<db>/<coll>.bson"

# an existing non-empty directory is refused (13) and kept; --overwrite replaces it; an empty one is used
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$SRC" --db "$DB" --out "$T/mb-plain" --quiet
expect_rc 13 "$rc" "existing non-empty --out"
one_error_line "$T/e" "existing non-empty --out"
[ -f "$T/mb-plain/$DB/prelude.json" ] || fail "the refused dump changed the existing directory"
"$MB_BIN" dump --uri "$SRC" --db "$DB" --collection people --out "$T/mb-plain" --overwrite --quiet || fail "--overwrite"
[ "$(ls "$T/mb-plain/$DB")" = "$(printf 'people.bson\npeople.metadata.json\nprelude.json')" ] || { ls "$T/mb-plain/$DB"; fail "--overwrite did not replace the tree"; }
pass "--overwrite replaces the whole directory"
mkdir "$T/empty"
"$MB_BIN" dump --uri "$SRC" --db "$DB" --collection people --out "$T/empty" --quiet || fail "an empty --out"
[ -f "$T/empty/$DB/people.bson" ] || fail "an empty --out was not used"
pass "an existing empty directory is used"
ls -a "$T" | grep -q '\.partial$' && { ls -a "$T"; fail "a temporary directory was left"; }
pass "no temporary directory left"

# zstd has no directory form; a dump that fails leaves no directory
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$SRC" --out "$T/z" --compress zstd
expect_rc 2 "$rc" "--out with zstd"
one_error_line "$T/e" "--out with zstd"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300" --out "$T/f"
expect_no_file "$T/f" "a failed dump"
ls -a "$T" | grep -q '\.partial$' && { ls -a "$T"; fail "a failed dump left a temporary directory"; }
pass "a failed dump leaves no temporary directory"

# a database in the URI is a --db dump: prelude.json in DIR/<db>/, as mongodump puts it
"$MB_BIN" dump --uri "${SRC%/}/$DB" --out "$T/uridb" --quiet || fail "dump --out with the database in the URI"
[ -f "$T/uridb/$DB/prelude.json" ] || { find "$T/uridb" -name 'prelude*'; fail "prelude.json not in DIR/$DB"; }
pass "a database in the URI: DIR/<db>/prelude.json"
run_cmd "$T/o" "$T/e" rc -- "$MB_BIN" dump --uri "$SRC" --out -
expect_rc 2 "$rc" "--out -"
one_error_line "$T/e" "--out -"
