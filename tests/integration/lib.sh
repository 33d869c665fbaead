# Sourced by every integration test. Provides the test bed's addresses, the binaries, a private
# scratch directory and assertion helpers. Each helper prints what it checked; a failure prints
# what was expected and what came, and exits 1.
set -euo pipefail
: "${MB_BIN:?}" "${MB_TESTBED:?}"
# shellcheck disable=SC1091
. "$MB_TESTBED/env"
export PATH="$MB_TOOLS:$PATH"
# libmongoc's shared-memory counters: a process killed by a test leaves /dev/shm/mongoc-<pid>,
# and a later one given that pid prints a warning the one-error-line checks would count.
export MONGOC_DISABLE_SHM=1
MB_SEED_DB=mbtest
T=$(mktemp -d "${TMPDIR:-/tmp}/mbtest.XXXXXX")
trap 'rm -rf "$T"' EXIT

pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# run_cmd OUT ERR RC -- command...: run, capture stdout/stderr/exit code without failing.
run_cmd() {
  local out=$1 err=$2 rcv=$3; shift 4
  set +e; "$@" >"$out" 2>"$err"; eval "$rcv=\$?"; set -e
}

expect_rc() { # expect_rc WANT GOT WHAT
  [ "$1" = "$2" ] || fail "$3: exit code $2, expected $1"
  pass "$3: exit code $2"
}

expect_grep() { # expect_grep PATTERN FILE WHAT
  grep -qE -- "$1" "$2" || { echo "--- $2:" >&2; head -c 2000 "$2" >&2; fail "$3: /$1/ not found"; }
  pass "$3"
}

# one_error_line FILE WHAT: FILE (stderr of a failed command) holds exactly one non-empty line.
one_error_line() {
  [ "$(grep -c . "$1")" -eq 1 ] || { cat "$1" >&2; fail "$2: not exactly one line on stderr"; }
  pass "$2: one error line"
}

expect_no_file() { [ ! -e "$1" ] || fail "$2: $1 exists"; pass "$2: no $1"; }

# expect_no_partial PATH WHAT: no temporary file of PATH (PATH.XXXXXX.partial, or the old PATH.partial)
expect_no_partial() {
  local f
  for f in "$1".partial "$1".??????.partial; do [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$2: $f exists"; done
  pass "$2: no temporary file of $1"
}

# A fresh database name on the target server for each use.
fresh_db() { echo "mbr_$(basename "$T" | tr -dc 'a-zA-Z0-9')_$1"; }

# compare_db SRC_URI SRC_DB DST_URI DST_DB [ARGS...]: byte-identical documents, indexes, options.
compare_db() {
  "$MB_DBCOMPARE" "$@" > "$T/compare.out" 2>&1 || { cat "$T/compare.out" >&2; fail "databases differ: $2 vs $4"; }
  pass "$(tail -1 "$T/compare.out") ($2 -> $4)"
}
