#!/usr/bin/env bash
# Regenerate tests/data/every_type.archive and every_type.archive.gz: archives written by our
# own tools, so that a clone without ../shared still has a real vector of every BSON type.
# The synthetic server (tools/synth) serves db0.alltypes (4 documents of the "alltypes" profile:
# double incl. NaN/-0/+-Inf, string, document, array, binary subtypes 0-7 and 128, undefined,
# ObjectId, bool, date, null, regex, dbPointer, JavaScript, symbol, JavaScript with scope, int32,
# timestamp, int64, decimal128, minKey, maxKey; _ids of mixed types) and db0.c0 (6 small
# documents); mongobak dump writes them. The output is the same on every run (seeded data).
#   tools/every-type-archive.sh [BUILD_DIR]   (default build-test; needs mongobak, mongobak-synth)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build=${1:-$MB_ROOT/build-test}
synth=$build/tools/synth/mongobak-synth
[ -x "$build/mongobak" ] && [ -x "$synth" ] || mb_die "build mongobak and mongobak-synth in $build first"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$synth" --port 0 --db db0 --seed 1 --coll alltypes:alltypes:mixed:4 --coll c0:small:oid:6 \
  > "$tmp/synth.json" 2> "$tmp/synth.log" &
pid=$!
for _ in $(seq 300); do [ -s "$tmp/synth.json" ] && break; sleep 0.1; done
[ -s "$tmp/synth.json" ] || { cat "$tmp/synth.log" >&2; mb_die "mongobak-synth did not start"; }
port=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$tmp/synth.json")
out=$MB_ROOT/tests/data
"$build/mongobak" dump --uri "mongodb://127.0.0.1:$port/" --compress none --overwrite \
  --archive "$out/every_type.archive"
"$build/mongobak" dump --uri "mongodb://127.0.0.1:$port/" --compress gzip --overwrite \
  --archive "$out/every_type.archive.gz"
chmod 644 "$out"/every_type.archive*
