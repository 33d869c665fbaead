#!/usr/bin/env bash
# The integration test bed, as a ctest fixture:
#   testbed.sh start DIR   start two FerretDB servers (src: seeded; dst: empty, for restores),
#                          find the real mongo-tools, and write DIR/env for the tests to source
#   testbed.sh stop DIR    stop both servers and remove DIR
# A watchdog stops the servers when the ctest that started them goes away (a Ctrl-C, a crash),
# so an interrupted run never leaves a server behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cmd=$1 dir=$2

stop() {
  # a test that failed half-way may have left this build's mongobak running (a daemon)
  if [ -n "${MB_BIN:-}" ]; then pkill -f "^$MB_BIN " 2>/dev/null || true; fi
  for s in src dst; do "$root/tools/ferretdb.sh" stop "$dir/$s" || true; done
  [ -f "$dir/watchdog.pid" ] && kill "$(cat "$dir/watchdog.pid")" 2>/dev/null || true
  rm -rf "$dir"
}

case "$cmd" in
start)
  stop
  mkdir -p "$dir"
  tools=$("$root/tools/mongo-tools.sh") || { echo "testbed: the real mongo-tools are required for the integration tests" >&2; exit 1; }
  src=$("$root/tools/ferretdb.sh" start "$dir/src")
  dst=$("$root/tools/ferretdb.sh" start "$dir/dst")
  parent=$PPID
  (
    trap '' HUP
    while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do sleep 2; done
    for s in src dst; do [ -f "$dir/$s/pid" ] && kill "$(cat "$dir/$s/pid")" 2>/dev/null; done
  ) >/dev/null 2>&1 &
  echo $! > "$dir/watchdog.pid"
  "${MB_SEED:?MB_SEED must name the mongobak-seed binary}" --uri "$src" --db mbtest
  cat > "$dir/env" <<EOT
MB_URI_SRC=$src
MB_URI_DST=$dst
MB_TOOLS=$tools
EOT
  echo "testbed: source $src, target $dst, tools $tools"
  ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
