#!/usr/bin/env bash
# --help, help COMMAND, --version and usage errors: exact exit codes and one-line errors.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
"$bin" --help | grep -q '^usage: mongobak COMMAND' || fail "--help"
"$bin" --version | grep -qE '^mongobak [0-9]+\.[0-9]+\.[0-9]+' || fail "--version"
for c in $("$bin" --help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
  "$bin" help "$c" | grep "^usage: mongobak $c" >/dev/null || fail "help $c"
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
# -h is --host for dump and restore (as in mongodump): without a value it is a usage error,
# never help with exit 0 (a cron job would stay green and back nothing up)
for c in dump restore; do
  set +e
  "$bin" $c -h 2>/tmp/mb-err.$$ >/dev/null; rc=$?
  set -e
  [ $rc -eq 2 ] || fail "$c -h: exit $rc"
  grep -q "option --host needs a value" /tmp/mb-err.$$ || fail "$c -h message"
done
"$bin" dump --help | grep '^usage: mongobak dump' >/dev/null || fail "dump --help"
"$bin" list -h | grep '^usage: mongobak list' >/dev/null || fail "list -h"
# --password without a value and without a terminal: refused, nothing prompted
set +e
setsid -w "$bin" dump -h 127.0.0.1:1 -u me -p </dev/null >/tmp/mb-out.$$ 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "-p without a terminal: exit $rc"
grep -q "prompts on a terminal, and there is none" /tmp/mb-err.$$ || fail "-p message: $(cat /tmp/mb-err.$$)"
[ "$(wc -l < /tmp/mb-err.$$)" -eq 1 ] && [ ! -s /tmp/mb-out.$$ ] || fail "-p: more than one line"
# an unknown option names the nearest supported one; a mongorestore option mongobak lacks says why
set +e
"$bin" dump --ns-inclde 'a.*' 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "misspelt option: exit $rc"
grep -q "(did you mean --ns-include?)" /tmp/mb-err.$$ || fail "did you mean: $(cat /tmp/mb-err.$$)"
set +e
"$bin" restore --noOptionsRestore 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "refused alias: exit $rc"
grep -q "not supported by 'mongobak restore': " /tmp/mb-err.$$ || fail "refused alias message"
[ "$(wc -l < /tmp/mb-err.$$)" -eq 1 ] || fail "refused alias: more than one line"
"$bin" help restore | grep -- '--nsInclude  *--ns-include' >/dev/null || fail "help lists the aliases"
rm -f /tmp/mb-err.$$ /tmp/mb-out.$$
echo "1 passed, 0 failed"
