#!/usr/bin/env bash
# Build the Debian package: a Release build of mongobak in BUILD_DIR (default build-release; kept,
# so a second run only rebuilds what changed), then `cpack -G DEB` there. Prints the .deb's path.
#   tools/package.sh [BUILD_DIR]
# Needs dpkg-dev (dpkg-shlibdeps computes the package's Depends): tools/deps.sh build installs it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build-release}")
# only mongobak is built: no tests, no test-bed tools (the install rules need nothing else)
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONGOBAK_TESTS=OFF \
  -DMONGOBAK_SANITIZE=OFF -DMONGOBAK_TSAN=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
ninja -C "$build" mongobak >&2
rm -f "$build"/mongobak_*.deb
(cd "$build" && cpack -G DEB >&2)
deb=$(ls "$build"/mongobak_*.deb)
echo "$deb"
