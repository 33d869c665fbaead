#!/usr/bin/env bash
# Every benchmark configuration of docs/PERFORMANCE.md, one after the other (about 45 minutes
# on the 2-core test machine). Results (Markdown tables, raw JSON, progress logs) go to DIR.
#   tools/bench-all.sh [DIR] [CONFIG...]     CONFIG: A A2 A3 B B2 C D E F (default: all)
# Run it on an otherwise idle machine (load average < 1.5): both dumpers and the synthetic
# server share the same cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/mongobak-bench-results}
shift || true
mkdir -p "$out"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(A A2 A3 B B2 C D E F)

run() { # run NAME ARGS...: one tools/bench run, its table in DIR/NAME.md
  local name=$1
  shift
  echo "== $name: tools/bench $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  "$here/bench" --markdown --json "$out/$name.json" "$@" > "$out/$name.md" 2> "$out/$name.log" ||
    echo "$name: some runs failed, see $out/$name.log" >&2
  cat "$out/$name.md"
}

for c in "${configs[@]}"; do
  case $c in
  A) # the synthetic targets: medium documents, 4 collections of 256 MiB
    run A --size 256M --reps 5 ;;
  A2) # the dumpers alone, archives to /dev/null (no file system in the way)
    run A2 --size 256M --reps 5 --devnull \
      --variants drain-j4,drain-j1,md-j4,md-j1,mb-none-j4,mb-none-j1 ;;
  A3) # gzip levels: zlib 6 (default), ISA-L igzip 1 and 3
    run A3 --size 256M --reps 5 --variants md-gzip,mb-gzip-j4,mb-gzip1-j4,mb-gzip3-j4,mb-zstd-j4 ;;
  B) # one huge collection, split on and off
    run B --layout one --size 1G --reps 5 \
      --variants drain-j1,md-j4,mb-none-j4,mb-none-split,mb-zstd-j4,mb-zstd-split ;;
  B2) # one huge collection on a server whose every cursor gives 100 MB/s (disk-bound)
    run B2 --layout one --size 1G --reps 5 --synth-args "--cursor-mbps 100" \
      --variants md-j4,mb-none-j4,mb-none-split,mb-zstd-j4,mb-zstd-split ;;
  C) # server-bound: FerretDB, 4 collections of 8 MiB
    run C --server ferretdb --size 8M --reps 5 \
      --variants md-j4,md-gzip,md-zstd,mb-none-j4,mb-zstd-j4,mb-gzip-j4 ;;
  D) # server-bound, one collection split by _id ranges
    run D --server ferretdb --layout one --size 16M --split-threshold 4M --reps 3 \
      --variants md-j4,mb-zstd-j4,mb-zstd-split ;;
  E) # peak RSS flatness: 1 GiB and 20 GiB, to /dev/null
    run E-1G --size 256M --reps 3 --devnull --variants md-j4,mb-none-j4,mb-zstd-j4
    run E-20G --size 5G --reps 3 --devnull --variants md-j4,mb-none-j4,mb-zstd-j4 ;;
  F) # other document sizes and layouts
    for p in small large mixed; do
      run "F-$p" --profile "$p" --size 256M --reps 3 --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4
    done
    run F-big100 --layout big100 --size 512M --reps 3 --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4
    run F-tiny1000 --layout tiny1000 --docs 200 --reps 3 --variants drain-j4,md-j4,mb-none-j4,mb-zstd-j4 ;;
  *) echo "unknown configuration $c" >&2; exit 2 ;;
  esac
done
