#!/usr/bin/env bash
# The progress line of dump and restore (cli/progress.h), against the synthetic server (its
# cursors held to 16 MB/s, so that the big collection takes a few seconds to read):
#  - stderr not a terminal (a cron job's log): not one carriage return, no progress line, the
#    summary unchanged on stdout;
#  - under a pseudo-terminal: lines redrawn in place ("\r"), naming the collection being read,
#    with its share of bytes advancing inside it, a rate and an ETA; the line is erased before
#    the summary;
#  - with --query (an unknown part of a collection): bytes, but no percentage and no ETA;
#  - under a pseudo-terminal with --quiet, or with LOG_FORMAT=json: no carriage return;
#  - restore under a pseudo-terminal: lines of "restore", none when stderr is a file.
# Nothing here depends on how fast anything runs beyond the server's cap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/synth_lib.sh"

# on_pty OUT ERR -- command...: run with stderr on a pseudo-terminal 120 columns wide (stdout to
# OUT); everything the terminal received goes to ERR. Returns the command's exit code.
on_pty() {
  local out=$1 err=$2
  shift 3
  /usr/bin/python3 - "$out" "$err" "$@" <<'PY'
import fcntl, os, struct, subprocess, sys, termios
out, err, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
with open(out, "wb") as o:
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=slave)
os.close(slave)
got = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: every writer closed the terminal
        break
    if not chunk:
        break
    got += chunk
open(err, "wb").write(got)
sys.exit(p.wait())
PY
}

# progress_lines FILE: the lines drawn in place, one per line ("\r" as the separator, the
# erase-to-end-of-line sequence dropped).
progress_lines() {
  tr '\r' '\n' < "$1" | sed 's/\x1b\[K//g' | grep -E '^(dump|restore) ' || true
}

start_synth big --cursor-mbps 16 --coll big:medium:oid:48M --coll small:small:oid:1M
DB=bench

# 1. stderr a file, as in cron
run_cmd "$T/plain.out" "$T/plain.err" rc -- "$MB_BIN" dump --uri "$URI" --archive "$T/plain.archive" --compress none
expect_rc 0 "$rc" "dump with stderr to a file"
if grep -q $'\r' "$T/plain.err"; then fail "dump with stderr to a file wrote a carriage return"; fi
pass "dump with stderr to a file: no carriage return ($(wc -c < "$T/plain.err") bytes on stderr)"
if grep -qE 'ETA|MB/s' "$T/plain.err"; then cat "$T/plain.err" >&2; fail "dump with stderr to a file: a progress line"; fi
pass "dump with stderr to a file: no progress line"
expect_grep "^dumped 2 collections, [0-9]+ documents, .* MB/s: $T/plain.archive\$" "$T/plain.out" "dump with stderr to a file: the summary on stdout"

# 2. a terminal
set +e
on_pty "$T/tty.out" "$T/tty.err" -- "$MB_BIN" dump --uri "$URI" --archive "$T/tty.archive" --compress none
rc=$?
set -e
expect_rc 0 "$rc" "dump on a terminal"
progress_lines "$T/tty.err" > "$T/tty.lines"
n=$(grep -c "  $DB\.big " "$T/tty.lines" || true)
[ "$n" -ge 2 ] || { cat -v "$T/tty.err" >&2; fail "dump on a terminal: $n progress lines name $DB.big, expected several"; }
pass "dump on a terminal: $n progress lines name $DB.big"
# the collection's own share, strictly between its start and its end, at two different values
shares=$(sed -nE "s/.*  $DB\.big ([0-9]+)%.*/\1/p" "$T/tty.lines" | awk '$1 > 0 && $1 < 99' | sort -un | wc -l)
[ "$shares" -ge 2 ] || { cat "$T/tty.lines" >&2; fail "dump on a terminal: the bytes of $DB.big do not advance inside it ($shares distinct shares)"; }
pass "dump on a terminal: the bytes read advance inside $DB.big ($shares distinct shares)"
# the totals only go up
sed -nE 's/^dump +[0-9]+%  ([0-9.]+)\/.*/\1/p' "$T/tty.lines" | sort -c -n || fail "dump on a terminal: the bytes done went down"
pass "dump on a terminal: the bytes done never go down"
expect_grep '^dump +[0-9]+%  [0-9.]+/[0-9.]+ MB  [0-9.]+ MB/s  ETA [0-9]+:[0-9]{2}  coll [0-2]/2' "$T/tty.lines" "dump on a terminal: percentage, bytes, rate, ETA and collections"
awk -v w=120 'length($0) >= w { bad = 1 } END { exit bad }' "$T/tty.lines" || fail "dump on a terminal: a line wider than the terminal"
pass "dump on a terminal: every line narrower than the terminal"
# erased before the summary, which is unchanged
tr '\r' '\n' < "$T/tty.err" | tail -1 | grep -qx $'\x1b\\[K' || { tail -c 200 "$T/tty.err" | cat -v >&2; fail "dump on a terminal: the progress line is not erased at the end"; }
pass "dump on a terminal: the last progress line is erased"
expect_grep "^dumped 2 collections, [0-9]+ documents, .* MB/s: $T/tty.archive\$" "$T/tty.out" "dump on a terminal: the summary on stdout"

# a --query reads an unknown part of the collection: no percentage, no ETA, still the bytes
set +e
on_pty "$T/qy.out" "$T/qy.err" -- "$MB_BIN" dump --uri "$URI" --db "$DB" --collection big --query '{}' --archive "$T/qy.archive" --compress none
rc=$?
set -e
expect_rc 0 "$rc" "dump --query on a terminal"
progress_lines "$T/qy.err" > "$T/qy.lines"
expect_grep "^dump  [0-9.]+ MB  (--|[0-9.]+) MB/s  ETA --  coll 0/1  $DB\.big\$" "$T/qy.lines" "dump --query on a terminal: bytes without a percentage or an ETA"
if grep -qE '%|ETA [0-9]' "$T/qy.lines"; then cat "$T/qy.lines" >&2; fail "dump --query on a terminal: a percentage or an ETA from the whole collection's size"; fi
pass "dump --query on a terminal: no percentage, no ETA"

# 3. a terminal, but --quiet or LOG_FORMAT=json
set +e
on_pty "$T/q.out" "$T/q.err" -- "$MB_BIN" dump --uri "$URI" --archive "$T/q.archive" --compress none --quiet
rc=$?
set -e
expect_rc 0 "$rc" "dump --quiet on a terminal"
[ ! -s "$T/q.err" ] || { cat -v "$T/q.err" >&2; fail "dump --quiet on a terminal wrote to stderr"; }
pass "dump --quiet on a terminal: nothing on stderr"
set +e
on_pty "$T/j.out" "$T/j.err" -- env LOG_FORMAT=json "$MB_BIN" dump --uri "$URI" --archive "$T/j.archive" --compress none
rc=$?
set -e
expect_rc 0 "$rc" "dump with LOG_FORMAT=json on a terminal"
if grep -q $'\r' <(sed 's/\r$//' "$T/j.err"); then cat -v "$T/j.err" >&2; fail "dump with LOG_FORMAT=json on a terminal: a carriage-return line"; fi
pass "dump with LOG_FORMAT=json on a terminal: no carriage-return line"

# 4. restore, into the synthetic server (it counts what it is sent)
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$URI" --archive "$T/plain.archive" --ns-from "$DB.*" --ns-to "plain.*"
expect_rc 0 "$rc" "restore with stderr to a file"
if grep -q $'\r' "$T/r.err"; then fail "restore with stderr to a file wrote a carriage return"; fi
pass "restore with stderr to a file: no carriage return"
# On a terminal: an archive large enough that the restore outlasts the first progress interval
# even on a fast machine (a 49 MB restore into the synthetic server can end within 0.2 s, before
# any line is due), dumped from an unthrottled server
start_synth fast --coll big:medium:oid:256M
run_cmd "$T/fast.out" "$T/fast.err" rc -- "$MB_BIN" dump --uri "$URI" --archive "$T/fast.archive" --compress none
expect_rc 0 "$rc" "dump of the restore test's archive"
set +e
on_pty "$T/rt.out" "$T/rt.err" -- "$MB_BIN" restore --uri "$URI" --archive "$T/fast.archive" --ns-from "$DB.*" --ns-to "tty.*"
rc=$?
set -e
expect_rc 0 "$rc" "restore on a terminal"
expect_grep '^restore +[0-9]+%  [0-9.]+/[0-9.]+ MB  ' <(progress_lines "$T/rt.err") "restore on a terminal: progress lines"
expect_grep "^$DB\.big " "$T/rt.out" "restore on a terminal: the summary on stdout"
