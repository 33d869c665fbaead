#!/usr/bin/env bash
# --help, help COMMAND, --version and usage errors: exact exit codes and one-line errors.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
"$bin" --help | grep -q '^usage: mongobak COMMAND' || fail "--help"
"$bin" --version | grep -qE '^mongobak [0-9]+\.[0-9]+\.[0-9]+' || fail "--version"
for c in $("$bin" --help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
  "$bin" help "$c" | grep "^usage: mongobak $c" >/dev/null || fail "help $c" # grep reads it all: no SIGPIPE
  [ "$c" = help ] || "$bin" "$c" --help | grep "^usage: mongobak $c" >/dev/null || fail "$c --help"
done
# every option of the table appears in --help of its command and in the man page
"$bin" help --man > /tmp/mb-man.$$
for c in dump restore verify inspect; do
  for o in $("$bin" help "$c" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" /tmp/mb-man.$$ || fail "man page lacks $o"
  done
done
rm -f /tmp/mb-man.$$
set +e
"$bin" nosuch 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown command: exit $rc"
grep -q "unknown command 'nosuch'" /tmp/mb-err.$$ || fail "unknown command message"
set +e
"$bin" verify --nosuch x 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
grep -q "unknown option '--nosuch' for 'verify'" /tmp/mb-err.$$ || fail "unknown option message"
[ "$(wc -l < /tmp/mb-err.$$)" -eq 1 ] || fail "more than one error line"
rm -f /tmp/mb-err.$$
echo "1 passed, 0 failed"
