# Shared by the tests that run the synthetic server (tools/synth). Source it after lib.sh.
# Defines SYNTH, docs (archive_docs.py), start_synth, and stops every server it started on exit.
# SYNTH_ARGS (an array, optional) is added to every server's command line.
SYNTH=${MB_SYNTH:-$(dirname "$MB_BIN")/tools/synth/mongobak-synth}
[ -x "$SYNTH" ] || fail "mongobak-synth is not built at $SYNTH (the top-level CMakeLists.txt needs add_subdirectory(tools/synth); or set MB_SYNTH)"
docs="/usr/bin/python3 $MB_SOURCE_DIR/tests/integration/archive_docs.py"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT

# start_synth NAME ARGS...: start a server, describe it in $T/NAME.json (log in $T/NAME.log),
# set URI.
start_synth() {
  local name=$1 port
  shift
  "$SYNTH" --port 0 ${SYNTH_ARGS[@]+"${SYNTH_ARGS[@]}"} "$@" > "$T/$name.json" 2> "$T/$name.log" &
  pids+=($!)
  for _ in $(seq 300); do [ -s "$T/$name.json" ] && break; sleep 0.1; done
  [ -s "$T/$name.json" ] || { cat "$T/$name.log" >&2; fail "mongobak-synth $name did not start"; }
  port=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$T/$name.json")
  URI="mongodb://127.0.0.1:$port/"
}
