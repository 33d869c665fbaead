#!/usr/bin/env bash
# The benchmark smoke run (issue 17): the instruments must not rot. Tiny datasets; every variant
# of tools/bench runs once (dump to files, to S3 and to /dev/null, restore, many collections) and every
# run's output is checked by the harness as in a real measurement (archives by mongobak verify,
# restores by the synthetic server's write counts, the bare loops by their counts); then
# tools/perf-report.py turns the JSON into a report and charts, and the synthetic server's writes
# are checked on their own (synth_writes.py). No timing is asserted.
# Variants that need mongodump/mongorestore are skipped, and said so, when those are missing.
#   smoke.sh MONGOBAK MONGOBAK-SYNTH
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mongobak=$1 synth=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mb-bench-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
step() { # step NAME COMMAND...: run, keep its output, count it
  local name=$1; shift
  if "$@" > "$work/$name.out" 2>&1; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); echo "FAIL: $name"; cat "$work/$name.out"
  fi
  grep -h "SKIPPED" "$work/$name.out" || true
}
bench=("$root/tools/bench" --smoke --mongobak "$mongobak" --synth "$synth" --out "$work/out"
       --synth-args "--pages 1")

step dump "${bench[@]}" --name smoke-dump --json "$work/dump.json" --size 256K --variants \
  drain-j1,drain-j4,md-j1,md-j4,md-gzip,md-zstd,mb-none-j1,mb-none-j4,mb-zstd-j4,mb-gzip-j4,mb-gzip1-j4,mb-gzip6-j4,mb-none-split,mb-zstd-j4-enc,mb-zstd-j4-enc-s3,zstd-alone
step devnull "${bench[@]}" --name smoke-devnull --json "$work/devnull.json" --size 256K --devnull \
  --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4-enc,zstd-alone
step restore "${bench[@]}" --name smoke-restore --json "$work/restore.json" --size 256K --restore \
  --variants insert-j1,insert-j4,mr-none,mr-gzip,mr-zstd,mb-none,mb-gzip,mb-zstd,mb-gzip-s3,s3-get-alone
step collections "${bench[@]}" --name smoke-collections --json "$work/collections.json" \
  --layout tiny300 --docs 2 --profile small --variants drain-j4,md-j4,mb-none-j4
printf '# doc\n\nhand-written\n\n<!-- perf-report: begin -->\n<!-- perf-report: end -->\n\nkept\n' > "$work/doc.md"
report() {
  /usr/bin/python3 "$root/tools/perf-report.py" --out "$work/perf" --doc "$work/doc.md" "$work"/*.json &&
    [ "$(grep -c '^## smoke-' "$work/perf/RESULTS.md")" = 4 ] &&
    [ "$(ls "$work"/perf/*.png | wc -l)" = 4 ] &&
    grep -q 'hand-written' "$work/doc.md" && grep -q '^kept' "$work/doc.md" &&
    grep -q 'smoke-restore' "$work/doc.md"
}
step report report
step synth_writes /usr/bin/python3 "$root/tests/bench/synth_writes.py" "$synth"
echo "bench smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
