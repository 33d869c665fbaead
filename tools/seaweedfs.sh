#!/usr/bin/env bash
# SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process), the S3-compatible
# object store of the test bed.
#   tools/seaweedfs.sh build                    build (cached, 10-15 min once) and print the binary's path
#   tools/seaweedfs.sh start DIR [BUCKET [AK SK]] start on free 127.0.0.1 ports with its data in DIR
#                                               (bucket "mongobak", keys AK/SK by default); writes
#                                               DIR/endpoint, DIR/pid, DIR/env (AWS_* lines) and prints
#                                               the endpoint URL
#   tools/seaweedfs.sh restart DIR              start again (same ports and data) after a crash
#   tools/seaweedfs.sh stop DIR                 stop the server started in DIR and remove its data
# Built from the Go module proxy as a module copy (`go install` refuses a module with `replace`
# directives). -master.telemetry=false is mandatory: the default reports to an outside server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
VERSION=v0.0.0-20261109003541-7506e5f91cd6
BIN=$MB_CACHE/seaweedfs-$VERSION/bin/weed

build() {
  [ -x "$BIN" ] && { echo "$BIN"; return; }
  command -v go >/dev/null || mb_die "Go is needed to build SeaweedFS; run tools/deps.sh test"
  local src=$MB_CACHE/seaweedfs-$VERSION/src dir
  mb_say "building SeaweedFS (10-15 minutes on 2 cores, once; cached in $MB_CACHE)"
  dir=$(cd "$MB_CACHE" && GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$src"; mkdir -p "$(dirname "$src")" "$(dirname "$BIN")"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$BIN.tmp" ./weed) && mv "$BIN.tmp" "$BIN"
  rm -rf "$src"
  echo "$BIN"
}

# A base port P with P..P+4 and their gRPC twins P+10000..P+10004 all free.
free_block() {
  /usr/bin/python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 30000, 10)
    ok = True
    for q in [p + i for i in range(5)] + [p + 10000 + i for i in range(5)]:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(p)
        raise SystemExit(0)
raise SystemExit("no free port block")
EOF
}

start() {
  local dir=$1 bucket=${2:-mongobak} ak=${3:-AK} sk=${4:-SK}
  build >/dev/null
  mkdir -p "$dir/data"
  local p; p=$(free_block)
  cat >"$dir/identities.json" <<EOF
{"identities":[{"name":"backup","credentials":[{"accessKey":"$ak","secretKey":"$sk"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
EOF
  echo "$p $bucket" > "$dir/ports"
  launch "$dir" "$p" "$bucket"
  echo "http://127.0.0.1:$p" > "$dir/endpoint"
  printf 'AWS_ENDPOINT_URL=http://127.0.0.1:%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_REGION=us-east-1\n' \
    "$p" "$ak" "$sk" > "$dir/env"
  ready "$dir" "$p" "$bucket"
  cat "$dir/endpoint"
}

launch() {
  local dir=$1 p=$2 bucket=$3
  "$BIN" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false -admin.ui=false \
    -s3.port="$p" -s3.config="$dir/identities.json" -master.port=$((p + 1)) -filer.port=$((p + 2)) \
    -volume.port=$((p + 3)) -admin.port=$((p + 4)) -admin.port.legacy=0 -s3.port.iceberg=0 \
    -s3.port.lance=0 -bucket="$bucket" >>"$dir/weed.log" 2>&1 &
  echo $! > "$dir/pid"
}

ready() {
  local dir=$1 p=$2 bucket=$3
  mb_wait_port "$p" 60 || { tail -20 "$dir/weed.log" >&2; mb_die "SeaweedFS did not start on port $p"; }
  # The S3 port accepts before the bucket exists (an unsigned HEAD gets 403 before a signed one
  # stops getting 404): wait until a signed HEAD of the bucket answers 200.
  local i code ak sk
  ak=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$dir/env") sk=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$dir/env")
  for ((i = 0; i < 300; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -I --aws-sigv4 aws:amz:us-east-1:s3 --user "$ak:$sk" \
      "http://127.0.0.1:$p/$bucket/" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  [ "$code" = 200 ] || { tail -20 "$dir/weed.log" >&2; mb_die "SeaweedFS bucket $bucket not ready (HTTP $code)"; }
}

restart() {
  local dir=$1 p bucket
  read -r p bucket < "$dir/ports"
  launch "$dir" "$p" "$bucket"
  ready "$dir" "$p" "$bucket"
  cat "$dir/endpoint"
}

case "${1:-}" in
  build) build ;;
  start) shift; start "$@" ;;
  stop) mb_stop_dir "$2" 10 ;;
  restart) restart "$2" ;;
  *) echo "usage: $0 build | start DIR [BUCKET [AK SK]] | stop DIR" >&2; exit 2 ;;
esac
