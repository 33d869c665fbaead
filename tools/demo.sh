#!/usr/bin/env bash
# The README's first command: install what mongobak needs, build it, start a demo database
# (FerretDB on 127.0.0.1, seeded with a varied dataset), dump it, verify the archive, print the
# summary, and stop the demo server. The archive stays in ./demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test   # Go (for the demo server) and the libraries
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONGOBAK_TESTS=OFF >/dev/null
ninja -C build mongobak mongobak-seed >/dev/null
tools/ferretdb.sh build >/dev/null
srv=$(mktemp -d /tmp/mongobak-demo.XXXXXX)
trap 'tools/ferretdb.sh stop "$srv"' EXIT
uri=$(tools/ferretdb.sh start "$srv")
echo "== demo database at $uri"
build/mongobak-seed --uri "$uri" --db demo
mkdir -p demo
echo "== mongobak dump --uri $uri --archive demo/"
build/mongobak dump --uri "$uri" --archive demo/
archive=$(ls -t demo/dump-*.archive* | head -1)
echo "== mongobak verify $archive"
build/mongobak verify "$archive"
echo "== mongobak inspect $archive (first lines)"
build/mongobak inspect "$archive" | head -20
echo "== done: $archive"
