#!/usr/bin/env bash
# FerretDB v1.24.2 (SQLite backend), the MongoDB-compatible server of the test bed.
#   tools/ferretdb.sh build               build (cached) and print the binary's path
#   tools/ferretdb.sh start DIR [ARGS...] start on a free 127.0.0.1 port with its data in DIR;
#                                         writes DIR/port, DIR/pid, DIR/uri and prints the URI
#   tools/ferretdb.sh stop DIR            stop the server started in DIR and remove its data
# Built from the Go module proxy (the module lacks build/version/version.txt, and the
# one-line change makes createIndexes ignore mongorestore's "ns" index option as MongoDB does).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
VERSION=v1.24.2
BIN=$MB_CACHE/ferretdb-$VERSION/bin/ferretdb

build() {
  [ -x "$BIN" ] && { echo "$BIN"; return; }
  command -v go >/dev/null || mb_die "Go is needed to build FerretDB; run tools/deps.sh test"
  local src=$MB_CACHE/ferretdb-$VERSION/src dir
  mb_say "building FerretDB $VERSION (about a minute, once)"
  dir=$(cd "$MB_CACHE" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$VERSION" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$src"; mkdir -p "$(dirname "$src")"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  echo "$VERSION" > "$src/build/version/version.txt"
  sed -i 's/case "background":/case "background", "ns":/' "$src/internal/handler/msg_createindexes.go"
  grep -q 'case "background", "ns":' "$src/internal/handler/msg_createindexes.go" || mb_die "FerretDB patch did not apply"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$BIN.tmp" ./cmd/ferretdb) && mv "$BIN.tmp" "$BIN"
  echo "$BIN"
}

start() {
  local dir=$1; shift
  build >/dev/null
  mkdir -p "$dir"
  local port; port=$(mb_free_port)
  "$BIN" --handler=sqlite --sqlite-url="file:$dir/" --listen-addr="127.0.0.1:$port" --debug-addr=- \
    --telemetry=disable --state-dir="$dir" --log-level=error --test-capped-cleanup-interval=0 "$@" \
    >"$dir/ferretdb.log" 2>&1 &
  echo $! > "$dir/pid"
  echo "$port" > "$dir/port"
  mb_wait_port "$port" 30 || { cat "$dir/ferretdb.log" >&2; mb_die "FerretDB did not start on port $port"; }
  echo "mongodb://127.0.0.1:$port/" > "$dir/uri"
  cat "$dir/uri"
}

case "${1:-}" in
  build) build ;;
  start) shift; start "$@" ;;
  stop) mb_stop_dir "$2" ;;
  *) echo "usage: $0 build | start DIR [ARGS...] | stop DIR" >&2; exit 2 ;;
esac
