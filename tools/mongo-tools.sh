#!/usr/bin/env bash
# The real mongodump, mongorestore and bsondump: the compatibility oracle of the tests.
#   tools/mongo-tools.sh        print the directory that holds the three binaries
# Prefers the tools already on PATH; otherwise builds them offline (once, cached) from
# ../shared/third_party/mongo-tools-8fa3cfc.tar.xz. Exit 3 with one line when neither exists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if command -v mongodump >/dev/null && command -v mongorestore >/dev/null && command -v bsondump >/dev/null; then
  dirname "$(command -v mongorestore)"; exit 0
fi
out=$MB_CACHE/mongo-tools-8fa3cfc/bin
if [ -x "$out/mongodump" ] && [ -x "$out/mongorestore" ] && [ -x "$out/bsondump" ]; then echo "$out"; exit 0; fi
tarball=$MB_SHARED/third_party/mongo-tools-8fa3cfc.tar.xz
if [ ! -f "$tarball" ] || ! command -v go >/dev/null; then
  mb_say "mongodump/mongorestore not found: install MongoDB Database Tools (https://www.mongodb.com/try/download/database-tools) or put $tarball in place with Go >= 1.26.5"
  exit 3
fi
src=$MB_CACHE/mongo-tools-8fa3cfc/src
mb_say "building mongodump, mongorestore and bsondump offline (about a minute, once)"
rm -rf "$src"; mkdir -p "$src" "$out"
tar -xJf "$tarball" -C "$src"
top=$src; [ -d "$src/mongodump" ] || top=$(dirname "$(find "$src" -maxdepth 2 -type d -name mongodump | head -1)")
for t in mongodump mongorestore bsondump; do
  (cd "$top" && GOFLAGS=-mod=vendor GOTOOLCHAIN=local go build -o "$out/$t.tmp" "./$t/main") && mv "$out/$t.tmp" "$out/$t"
done
echo "$out"
