#!/usr/bin/env bash
# Issue 17's measurements, one configuration after the other, then docs/perf/ and the generated
# block of docs/PERFORMANCE.md from their JSON (tools/perf-report.py). About 30 minutes on the
# 2-core test machine; run it on an otherwise idle machine (load average < 1.5): the tools and the
# synthetic server share the same cores.
#   tools/bench-round2.sh [CONFIG...]     CONFIG: R1 R2 R3 R4 R5 R6 R7 (default: all)
#   tools/bench-round2.sh report          only regenerate the report from docs/perf/json/
# Each configuration's JSON goes to docs/perf/json/NAME.json (committed with the report, so that
# the report can be regenerated and checked), its table and progress log to $MB_BENCH_LOGS
# (default /tmp/mongobak-bench-round2). MB_BENCH_REPS overrides the repetitions (default 5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
json=$root/docs/perf/json
logs=${MB_BENCH_LOGS:-/tmp/mongobak-bench-round2}
reps=${MB_BENCH_REPS:-5}
mkdir -p "$json" "$logs"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(R1 R2 R3 R4 R5 R6 R7)

if [ "${configs[*]}" != report ]; then
  "$here/bench" --build --variants drain-j1 --size 1M --reps 1 > /dev/null # Release build, checked
fi

run() { # run NAME ARGS...: one tools/bench run
  local name=$1
  shift
  echo "== $name: tools/bench $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  "$here/bench" --markdown --name "$name" --json "$json/$name.json" "$@" > "$logs/$name.md" \
    2> "$logs/$name.log" || echo "$name: some runs failed, see $logs/$name.log" >&2
  cat "$logs/$name.md"
}

for c in "${configs[@]}"; do
  case $c in
  R1) # to a file on tmpfs: drain 0.8, default gzip 10x at <= 1.12x zlib 6's size, zstd 1.5x and
      # 0.9 of zstd alone, peak RSS 0.5 (medium documents, 4 collections of 256 MiB)
    run R1-file --size 256M --reps "$reps" \
      --variants drain-j4,md-j4,md-gzip,md-zstd,mb-none-j4,mb-zstd-j4,mb-gzip-j4,mb-gzip6-j4,zstd-alone ;;
  R2) # to /dev/null: drain 0.9, peak RSS at 1 GB
    run R2-devnull --size 256M --reps "$reps" --devnull \
      --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4,mb-gzip-j4 ;;
  R3) # zstd on every profile (medium is R1)
    for p in small large mixed; do
      run "R3-zstd-$p" --profile "$p" --size 256M --reps "$reps" --variants md-zstd,mb-zstd-j4,zstd-alone
    done ;;
  R4) # peak RSS flat to 20 GB, to /dev/null (1 GB is R2)
    run R4-20G --size 5G --reps 3 --devnull --variants md-j4,mb-none-j4,mb-zstd-j4,mb-gzip-j4 ;;
  R5) # restore against mongorestore and the bare insert loop, on a server that costs nothing
    run R5-restore --restore --size 256M --reps "$reps" ;;
  R6) # 10,000 small collections
    run R6-10000 --layout tiny10000 --docs 20 --profile small --reps "$reps" \
      --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4 ;;
  report) ;;
  R7) # FerretDB (server-bound): dumper CPU-s/GB like for like
    run R7-ferretdb --server ferretdb --size 8M --reps "$reps" \
      --variants md-j4,md-gzip,md-zstd,mb-none-j4,mb-zstd-j4,mb-gzip-j4 ;;
  *) echo "unknown configuration $c" >&2; exit 2 ;;
  esac
done

# the report, from every configuration measured so far, in a fixed order
files=()
for n in R1-file R2-devnull R3-zstd-small R3-zstd-large R3-zstd-mixed R4-20G R5-restore R6-10000 R7-ferretdb; do
  [ -f "$json/$n.json" ] && files+=("$json/$n.json")
done
/usr/bin/python3 "$here/perf-report.py" "${files[@]}"
