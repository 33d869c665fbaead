#!/usr/bin/env bash
# The README's test command: install everything the tests need, build with ASan+UBSan and run
# every test (unit, fuzz-corpus replay, integration against FerretDB and the real mongo-tools).
#   tools/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test
tools/ferretdb.sh build >/dev/null
tools/mongo-tools.sh >/dev/null
tools/seaweedfs.sh build >/dev/null
build=${MB_TEST_BUILD:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMONGOBAK_SANITIZE=ON >/dev/null
ninja -C "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# see tests/integration/lib.sh: no libmongoc shared-memory counters in the tests' processes
export MONGOC_DISABLE_SHM=${MONGOC_DISABLE_SHM:-1}
ctest --test-dir "$build" --output-on-failure "$@"

# Once per full run (no ctest arguments; MB_TSAN=0 skips it): the threaded integration tests
# (dump, restore, daemon, pitr) again on a ThreadSanitizer build. Every report fails the run,
# whether or not the process's exit code (66 after a report) was checked; races inside the
# uninstrumented libmongoc/libbson are suppressed (tools/tsan.supp). Thread leaks are not reported: a dump
# stopped by a signal exits with its threads still running, on purpose.
if [ $# -eq 0 ] && [ "${MB_TSAN:-1}" != 0 ]; then
  tsan=${MB_TSAN_BUILD:-build-tsan}
  cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMONGOBAK_TSAN=ON >/dev/null
  ninja -C "$tsan" mongobak mongobak-seed mongobak-dbcompare mongobak-synth
  rm -rf "$tsan/tsan-reports" && mkdir -p "$tsan/tsan-reports"
  export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp report_thread_leaks=0 second_deadlock_stack=1 log_path=$PWD/$tsan/tsan-reports/report"
  # This pass judges data races only: the tests' functional assertions are the ASan run's job
  # (a release-type build changes timings and the driver's log lines, which some assertions read).
  ctest --test-dir "$tsan" --output-on-failure -R 'it_test_(dump|restore|daemon|pitr)' ||
    echo "tools/test.sh: some tests failed under the TSan build (judged above by the ASan run); checking for races" >&2
  if [ -n "$(ls -A "$tsan/tsan-reports")" ]; then
    cat "$tsan/tsan-reports"/* >&2
    echo "ThreadSanitizer: $(ls "$tsan/tsan-reports" | wc -l) process(es) reported races (above)" >&2
    exit 1
  fi
fi
