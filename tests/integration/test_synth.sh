#!/usr/bin/env bash
# mongodump and mongobak against the synthetic server (tools/synth: a benchmark instrument, not
# a database), on small datasets of every BSON type, a collection of mixed _id types (numbers,
# strings, documents, ObjectIds; its natural order is not its _id order), UUID _ids and
# collections of several 16 MiB batches:
#  - both archives hold the same documents per namespace (archive_docs.py multiset digests),
#    as many as the server announces; mongobak verify accepts both;
#  - bsondump parses every document of mongobak's archive;
#  - the zstd and gzip archives hold the same documents; gzip archives (the default level, 3:
#    ISA-L igzip; zlib level 6; igzip level 1) restore with mongorestore --gzip into FerretDB, and a mongodump of the restored database holds the same
#    documents again (on a dataset of the types FerretDB accepts);
#  - --split with a small threshold, boundaries from splitVector or, when the server refuses
#    splitVector, from $sample + $bucketAuto: nothing lost, nothing doubled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/synth_lib.sh"

# announced NAME: "db.coll documents" lines of a server's dataset, sorted.
announced() {
  /usr/bin/python3 -c 'import json, sys
i = json.load(open(sys.argv[1]))
for c in sorted(i["collections"], key=lambda c: c["name"]):
    print("%s.%s %d" % (i["db"], c["name"], c["docs"]))' "$T/$1.json"
}

# same_docs WHAT REFERENCE ARCHIVE: the archive's per-namespace digests equal the reference's.
same_docs() {
  $docs "$3" > "$T/got.docs" || fail "$1: archive_docs.py cannot read $3"
  diff "$2" "$T/got.docs" > "$T/diff" || { cat "$T/diff" >&2; fail "$1: documents differ"; }
  pass "$1: same documents as mongodump ($(wc -l < "$T/got.docs") namespaces)"
}

# bson_parses ARCHIVE: bsondump parses every document of every namespace.
bson_parses() {
  /usr/bin/python3 - "$1" "$T/ns" <<'PY'
import os, struct, sys
b = open(sys.argv[1], "rb").read()
os.makedirs(sys.argv[2], exist_ok=True)
i, prelude, cur, out = 4, True, None, {}
while i < len(b):
    n = struct.unpack_from("<I", b, i)[0]
    if n == 0xFFFFFFFF:
        i += 4; prelude = False; cur = None; continue
    doc = b[i:i + n]; i += n
    if prelude:
        continue
    if cur is None:
        cur = doc  # namespace header: its raw bytes name the file
        key = str(len(out)) if doc not in out else out[doc][0]
        out.setdefault(doc, (key, []))
    else:
        out[cur][1].append(doc)
for key, docs in out.values():
    with open(os.path.join(sys.argv[2], key + ".bson"), "ab") as f:
        f.write(b"".join(docs))
PY
  local total=0 n f
  for f in "$T"/ns/*.bson; do
    n=$(bsondump --quiet "$f" | wc -l) || fail "bsondump rejects $f"
    total=$((total + n))
  done
  rm -rf "$T/ns"
  echo "$total"
}

# 1. every BSON type and the _id kinds, against both dumpers
start_synth all --pages 2 --coll alltypes:alltypes:oid:2000 --coll mixedid:small:mixed:20000 \
  --coll uuid:medium:uuid:20000 --coll large:large:oid:1000 --coll mixed:mixed:oid:10000
URI_ALL=$URI
mongodump --uri "$URI_ALL" --archive="$T/md.archive" 2> "$T/md.log" || { cat "$T/md.log" >&2; fail "mongodump from the synthetic server"; }
"$MB_BIN" dump --uri "$URI_ALL" --archive "$T/mb.archive" --compress none --quiet || fail "mongobak dump from the synthetic server"
$docs "$T/md.archive" > "$T/md.docs"
cut -d' ' -f1,2 "$T/md.docs" | diff - <(announced all) || fail "mongodump's archive does not hold what the server announced"
pass "mongodump: $(wc -l < "$T/md.docs") namespaces with the announced counts"
same_docs "mongobak --compress none" "$T/md.docs" "$T/mb.archive"
for a in md mb; do
  "$MB_BIN" verify --quiet "$T/$a.archive" > "$T/verify.out" || { cat "$T/verify.out" >&2; fail "mongobak verify rejects the $a archive"; }
done
pass "mongobak verify accepts both archives"
want=$(awk '{n += $2} END {print n}' "$T/md.docs")
got=$(bson_parses "$T/mb.archive")
[ "$got" = "$want" ] || fail "bsondump printed $got documents of mongobak's archive, expected $want"
pass "bsondump parses all $got documents of mongobak's archive"
for c in zstd gzip; do
  "$MB_BIN" dump --uri "$URI_ALL" --archive "$T/mb.$c" --compress "$c" --quiet || fail "mongobak dump --compress $c"
  "$MB_BIN" verify --quiet "$T/mb.$c" > /dev/null || fail "mongobak verify rejects the $c archive"
  same_docs "mongobak --compress $c" "$T/md.docs" "$T/mb.$c"
  rm -f "$T/mb.$c"
done

# 2. gzip archive -> mongorestore --gzip -> FerretDB -> mongodump: the same documents again
start_synth ferret --pages 1 --coll people:medium:oid:3000 --coll events:small:uuid:20000 \
  --coll docs:large:oid:200 --coll mix:mixed:oid:3000
for level in default 6 1; do # the default (3, ISA-L igzip), zlib (4-9) and igzip level 1
  db=$(fresh_db "synth$level")
  lv=(--level "$level")
  [ "$level" = default ] && lv=()
  "$MB_BIN" dump --uri "$URI" --archive "$T/f.gz" --overwrite --compress gzip "${lv[@]}" --quiet ||
    fail "mongobak dump --compress gzip --level $level"
  mongorestore --uri "$MB_URI_DST" --gzip --archive="$T/f.gz" --nsFrom 'bench.*' --nsTo "$db.*" \
    2> "$T/restore.log" || { tail -5 "$T/restore.log" >&2; fail "mongorestore --gzip of mongobak's gzip archive (level $level)"; }
  mongodump --uri "$MB_URI_DST" --db "$db" --archive="$T/back.archive" 2> "$T/md.log" || fail "mongodump of the restored database"
  $docs "$T/f.gz" | sed "s/^bench\./$db./" > "$T/f.docs"
  same_docs "mongorestore --gzip of mongobak's gzip --level $level archive, dumped back" "$T/f.docs" "$T/back.archive"
done

# 3. --split: ranges of a collection by _id (every kind of _id), nothing lost or doubled
if "$MB_BIN" dump --help | grep -q -- '--split-threshold'; then
  for mode in splitVector bucketAuto; do
    extra=()
    [ "$mode" = bucketAuto ] && extra=(--refuse-splitvector)
    start_synth "split-$mode" --log --pages 2 "${extra[@]}" --coll alltypes:alltypes:oid:2000 \
      --coll mixedid:small:mixed:20000 --coll uuid:medium:uuid:20000 --coll large:large:oid:1000 \
      --coll mixed:mixed:oid:10000
    "$MB_BIN" dump --uri "$URI" --archive "$T/split.archive" --overwrite --compress none --quiet --jobs 4 \
      --split --split-threshold 1048576 || fail "mongobak dump --split ($mode)"
    grep -q "\"$mode\"\|\"\\\$$mode\"" "$T/split-$mode.log" || fail "--split ($mode): the server saw no $mode"
    grep -q '"find" : "mixedid".*"min"' "$T/split-$mode.log" || fail "--split ($mode): mixedid was not read in _id ranges"
    same_docs "mongobak --split (boundaries from $mode)" "$T/md.docs" "$T/split.archive"
    "$MB_BIN" verify --quiet "$T/split.archive" > /dev/null || fail "mongobak verify rejects the --split archive"
  done
else
  echo "skip: mongobak dump has no --split yet"
fi
