# Shared helpers for the tools/ scripts. Source it; it defines paths and small functions.
# Everything built or downloaded for the test bed (FerretDB, the real mongo-tools) goes under
# $MB_CACHE, outside the clone, so that every clone and every CI run on one machine reuses it.
MB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MB_CACHE=${MB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mongobak-testbed}
MB_SHARED=${MB_SHARED:-$MB_ROOT/../shared}
mkdir -p "$MB_CACHE"

mb_say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
mb_die() { mb_say "error: $*"; exit 1; }

# mb_free_port: print a TCP port on 127.0.0.1 that nothing listens on now.
mb_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# mb_wait_port PORT SECONDS: wait until something accepts connections on 127.0.0.1:PORT.
mb_wait_port() {
  local port=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# mb_stop_dir DIR [SECONDS]: stop the server whose pid is in DIR/pid (TERM, then KILL after
# SECONDS, 5 by default) and remove DIR with its data.
mb_stop_dir() {
  local dir=$1 secs=${2:-5} pid i
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
