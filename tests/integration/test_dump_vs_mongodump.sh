#!/usr/bin/env bash
# mongodump --archive and mongobak dump of the same source hold the same namespaces, the same
# documents per namespace (as a multiset of raw BSON) and the same metadata (canonical Extended
# JSON: indexes, options, UUID, type); and the filters select what mongodump selects.
. "$(dirname "$0")/lib.sh"
docs="/usr/bin/python3 $MB_SOURCE_DIR/tests/integration/archive_docs.py"

same() { # same NAME MONGODUMP_ARGS -- MONGOBAK_ARGS
  local name=$1; shift
  local md=() mb=()
  while [ "$1" != "--" ]; do md+=("$1"); shift; done; shift
  mb=("$@")
  mongodump --uri "$MB_URI_SRC" --archive="$T/md.archive" "${md[@]}" 2>"$T/md.log" || { cat "$T/md.log"; fail "$name: mongodump"; }
  "$MB_BIN" dump --uri "$MB_URI_SRC" --archive "$T/mb.archive" --overwrite --compress none --quiet "${mb[@]}" || fail "$name: mongobak dump"
  $docs "$T/md.archive" > "$T/md.docs"
  $docs "$T/mb.archive" > "$T/mb.docs"
  diff "$T/md.docs" "$T/mb.docs" > "$T/diff" || { cat "$T/diff"; fail "$name: documents differ"; }
  "$MB_BIN" inspect --json "$T/md.archive" > "$T/md.json"
  "$MB_BIN" inspect --json "$T/mb.archive" > "$T/mb.json"
  /usr/bin/python3 - "$T/md.json" "$T/mb.json" <<'PY' || fail "$name: metadata differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ma = {(n["db"], n["collection"]): (n["type"], n["metadata"]) for n in a["namespaces"]}
mb = {(n["db"], n["collection"]): (n["type"], n["metadata"]) for n in b["namespaces"]}
assert ma.keys() == mb.keys(), (sorted(ma), sorted(mb))
for k in ma:
    assert ma[k] == mb[k], "%s:\n mongodump %s\n mongobak  %s" % (k, ma[k], mb[k])
assert a["header"]["server_version"] == b["header"]["server_version"]
PY
  pass "$name: $(wc -l < "$T/mb.docs") namespaces, same documents and metadata as mongodump"
}

same "full dump" --
same "--db" --db "$MB_SEED_DB" -- --db "$MB_SEED_DB"
same "--db --collection" --db "$MB_SEED_DB" --collection people -- --db "$MB_SEED_DB" --collection people
same "--query" --db "$MB_SEED_DB" --collection people --query '{"age": {"$gte": 40}}' -- \
     --db "$MB_SEED_DB" --collection people --query '{"age": {"$gte": 40}}'
same "exclude" --db "$MB_SEED_DB" --excludeCollection big --excludeCollection people -- \
     --db "$MB_SEED_DB" --ns-exclude "$MB_SEED_DB.big" --ns-exclude "$MB_SEED_DB.people"
same "include pattern" --db "$MB_SEED_DB" --excludeCollectionsWithPrefix p --excludeCollectionsWithPrefix b \
     --excludeCollectionsWithPrefix t --excludeCollectionsWithPrefix e --excludeCollectionsWithPrefix c -- \
     --ns-include "$MB_SEED_DB.d*" --ns-include "$MB_SEED_DB.ü*"
same "--jobs 1" --db "$MB_SEED_DB" -j 1 -- --db "$MB_SEED_DB" --jobs 1
