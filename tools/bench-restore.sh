#!/usr/bin/env bash
# Benchmark: `mongobak restore` against the real `mongorestore`, on the same archive, into a
# FerretDB this script starts (and stops) itself.
#
#   tools/bench-restore.sh [--mongobak BIN] [--mib N] [--reps N] [--jobs N] [--gzip]
#
#   --mongobak BIN  the mongobak binary (default: build/mongobak, else build-restore/mongobak)
#   --mib N         dataset size in MB of BSON (default 20): 4 collections of ~1 KB documents
#   --reps N        repetitions (default 5); runs are interleaved A B, B A, ... and medians given
#   --jobs N        parallel collections for both tools (default 4)
#   --gzip          dump with --gzip (both tools then decompress)
#
# The dataset is generated deterministically (fixed seed) with /usr/bin/python3 + pymongo,
# dumped once with the real mongodump --archive, then restored REPS times by each tool with
# --drop into its own database. Every run is checked: the restored databases must be identical
# to the source (mongobak-dbcompare when it is built, else document counts).
# FerretDB inserts about 12,000 documents/s, so this measures a server-bound restore: the
# difference between the tools is batching, pipelining and per-document overhead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin="" mib=20 reps=5 jobs=4 gzip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mongobak) bin=$2; shift 2 ;;
    --mib) mib=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --gzip) gzip=--gzip; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) mb_die "unknown option $1 (see --help)" ;;
  esac
done
if [ -z "$bin" ]; then
  for b in "$MB_ROOT/build/mongobak" "$MB_ROOT/build-restore/mongobak"; do
    [ -x "$b" ] && { bin=$b; break; }
  done
fi
[ -x "$bin" ] || mb_die "no mongobak binary; build it or pass --mongobak BIN"
dbcompare=$(dirname "$bin")/mongobak-dbcompare
tools=$("$MB_ROOT/tools/mongo-tools.sh") || mb_die "the real mongo-tools are needed"
export PATH="$tools:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/mb-bench-restore.XXXXXX")
cleanup() { "$MB_ROOT/tools/ferretdb.sh" stop "$work/fdb" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
uri=$("$MB_ROOT/tools/ferretdb.sh" start "$work/fdb")
mb_say "FerretDB at $uri; mongobak $bin; mongo-tools $tools"

# Deterministic dataset: 4 collections, ~1 KB documents, MIB megabytes in all.
/usr/bin/python3 - "$uri" "$mib" <<'EOF'
import random, sys, datetime
import pymongo
from bson import ObjectId
uri, mib = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20261126)
words = "alpha backup cluster durable échelle façade naïve Straße über 東京 データ oplog replica shard snapshot restore".split()
def text(n):
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rnd.choice(words))
    return " ".join(out)
db = pymongo.MongoClient(uri).benchsrc
db.client.drop_database("benchsrc")
total, i = mib * 1000 * 1000, 0
sizes = [0, 0, 0, 0]
while sum(sizes) < total:
    c = (i // 1000) % 4
    batch = []
    for _ in range(1000):
        i += 1
        batch.append({"_id": ObjectId(bytes(rnd.getrandbits(8) for _ in range(12))),
                      "n": i, "name": text(20), "email": "user%d@example.com" % i,
                      "age": rnd.randint(18, 90), "score": rnd.random() * 100,
                      "created": datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=rnd.randint(0, 10**8)),
                      "address": {"city": rnd.choice(words), "zip": "%05d" % rnd.randint(0, 99999)},
                      "tags": [rnd.choice(words) for _ in range(5)], "text": text(700)})
    db["c%d" % c].insert_many(batch, ordered=False)
    sizes[c] += 1000 * 1000
db.c0.create_index([("email", 1)], unique=True)
db.c1.create_index([("age", 1), ("score", -1)])
n = sum(db[name].estimated_document_count() for name in db.list_collection_names())
print("generated benchsrc: %d documents" % n, file=sys.stderr)
EOF

archive=$work/bench.archive${gzip:+.gz}
mongodump --uri "$uri" --db benchsrc $gzip --archive="$archive" --quiet
mb_say "archive: $(stat -c %s "$archive") bytes ($archive)"

check() { # check DB: the restored database equals the source
  if [ -x "$dbcompare" ]; then
    "$dbcompare" "$uri" benchsrc "$uri" "$1" > "$work/cmp.out" 2>&1 || { cat "$work/cmp.out" >&2; mb_die "$1 differs from the source"; }
  fi
}

run() { # run A|B REP: time one restore, append "seconds cpu_seconds max_rss_kb" to $work/A|B
  local who=$1 out=$work/time.out
  if [ "$who" = A ]; then
    /usr/bin/time -f "%e %U %S %M" -o "$out" "$bin" restore --uri "$uri" --archive "$archive" \
      --ns-from 'benchsrc.*' --ns-to 'bench_mb.*' --drop --jobs "$jobs" --quiet
    check bench_mb
  else
    /usr/bin/time -f "%e %U %S %M" -o "$out" mongorestore --uri "$uri" --archive="$archive" $gzip \
      --nsFrom 'benchsrc.*' --nsTo 'bench_mr.*' --drop -j "$jobs" --quiet
    check bench_mr
  fi
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$out" >> "$work/$who"
  mb_say "rep $2 $([ "$who" = A ] && echo mongobak || echo mongorestore): $(tail -1 "$work/$who") (s, cpu s, max RSS KB)"
}

for ((r = 1; r <= reps; r++)); do
  if ((r % 2)); then run A "$r"; run B "$r"; else run B "$r"; run A "$r"; fi
done

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
a=$(cut -d' ' -f1 "$work/A" | median); b=$(cut -d' ' -f1 "$work/B" | median)
acpu=$(cut -d' ' -f2 "$work/A" | median); bcpu=$(cut -d' ' -f2 "$work/B" | median)
arss=$(cut -d' ' -f3 "$work/A" | median); brss=$(cut -d' ' -f3 "$work/B" | median)
echo
echo "restore of $(stat -c %s "$archive") archive bytes (${mib} MB of BSON, 4 collections), $reps reps, -j $jobs${gzip:+, gzip}"
printf "%-14s %10s %10s %12s\n" tool "wall s" "cpu s" "max RSS KB"
printf "%-14s %10s %10s %12s\n" "mongobak" "$a" "$acpu" "$arss"
printf "%-14s %10s %10s %12s\n" "mongorestore" "$b" "$bcpu" "$brss"
awk -v a="$a" -v b="$b" 'BEGIN {printf "speed-up (mongorestore / mongobak wall time, medians): %.2fx\n", b / a}'
