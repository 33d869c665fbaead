#!/usr/bin/env bash
# The README's test command: install everything the tests need, build with ASan+UBSan and run
# every test (unit, fuzz-corpus replay, integration against FerretDB and the real mongo-tools).
#   tools/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test
tools/ferretdb.sh build >/dev/null
tools/mongo-tools.sh >/dev/null
build=${MB_TEST_BUILD:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMONGOBAK_SANITIZE=ON >/dev/null
ninja -C "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure "$@"
