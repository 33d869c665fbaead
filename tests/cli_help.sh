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
# per-command option texts, defaults from the code, exit codes where they happen
"$bin" help restore | grep -- '--uri URI' | grep -q dump && fail "restore's --uri help talks about dumping"
"$bin" help dump | grep -- '--quiet' | grep -q verify && fail "dump's --quiet help talks about verify"
"$bin" help restore | grep -- '--archive PATH' | grep -q 'archive to write' && fail "restore's --archive help talks about writing"
set +e
"$bin" dump --uri http://x --archive /tmp/mb-none.$$ 2>/tmp/mb-err.$$; rc=$?
set -e
[ $rc -eq 2 ] || fail "malformed --uri: exit $rc"
"$bin" --help | grep -E '^ +2  .*malformed --uri' >/dev/null || fail "exit code 2 does not document a malformed --uri"
"$bin" --help | grep -E '^ +6  .*malformed' >/dev/null && fail "exit code 6 documents a malformed URI"
"$bin" help dump | grep -- 'Exit codes: .*2 a bad option' >/dev/null || fail "dump's help lists its exit codes"
"$bin" help restore | grep -- 'Exit codes: .*9 some' >/dev/null || fail "restore's help lists its exit codes"
# restore from a terminal says it is reading stdin (here ^D ends it: not an archive, exit 4)
if command -v script >/dev/null; then
  (sleep 1; printf '\004') | timeout 20 script -qec "'$bin' restore --uri 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500'; echo rc=\$?" /dev/null >/tmp/mb-out.$$ 2>&1 || true
  grep -q "waiting for the archive on stdin (a terminal)" /tmp/mb-out.$$ || fail "restore on a terminal: $(cat /tmp/mb-out.$$)"
  grep -q "rc=4" /tmp/mb-out.$$ || fail "restore of an empty stdin: $(cat /tmp/mb-out.$$)"
  # --archive - never writes binary to a terminal
  script -qec "'$bin' dump --uri 'mongodb://127.0.0.1:1/' --archive -; echo rc=\$?" /dev/null </dev/null >/tmp/mb-out.$$ 2>&1 || true
  grep -q "would write a binary archive to the terminal" /tmp/mb-out.$$ && grep -q "rc=2" /tmp/mb-out.$$ ||
    fail "--archive - on a terminal: $(cat /tmp/mb-out.$$)"
fi
rm -f /tmp/mb-err.$$ /tmp/mb-out.$$ /tmp/mb-none.$$
echo "1 passed, 0 failed"
