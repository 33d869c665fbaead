#!/usr/bin/env bash
# The .deb as a user gets it: tools/package.sh builds it (a Release build kept in BUILD_DIR, so
# later runs only rebuild what changed), `apt-get install ./mongobak_*.deb` installs it with every
# runtime dependency it declares, then the installed binary, man page and systemd unit are
# checked, and `apt-get remove` takes every file away again. Never leaves the package installed.
#   tests/package.sh SOURCE_DIR BUILD_DIR
# Exits 77 (ctest: skipped) when not root, without apt-get/dpkg-shlibdeps, when apt-get cannot
# download a missing dependency, or when a mongobak package is already installed (this test never
# touches a package it did not install).
set -euo pipefail
src=$1 build=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root: installing a .deb needs root (CI runs as root)"
for t in apt-get dpkg dpkg-deb dpkg-shlibdeps cpack; do
  command -v "$t" >/dev/null 2>&1 || skip "$t is not available (tools/deps.sh test installs dpkg-dev)"
done
[ "$(dpkg-query -W -f='${Status}' mongobak 2>/dev/null || true)" = "install ok installed" ] &&
  skip "a mongobak package is already installed here; this test does not replace it"

deb=$("$src/tools/package.sh" "$build" | tail -1)
[ -f "$deb" ] || fail "tools/package.sh made no .deb"
version=$(sed -n 's/^project(mongobak VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$(basename "$deb")" = "mongobak_${version}_$(dpkg --print-architecture).deb" ] ||
  fail "unexpected package name $(basename "$deb")"
echo "ok: built $(basename "$deb")"

# What it holds and what it depends on (Depends computed by dpkg-shlibdeps from the binary)
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$build/deb-files"
unit=/lib/systemd/system/mongobak.service
[ "$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)" = /usr/lib/systemd/system ] &&
  unit=/usr/lib/systemd/system/mongobak.service
files=(/usr/bin/mongobak /usr/share/man/man1/mongobak.1.gz "$unit"
       /usr/share/doc/mongobak/mongobak.env.example /usr/share/doc/mongobak/copyright)
for f in "${files[@]}"; do grep -qxF "$f" "$build/deb-files" || fail "the package lacks $f"; done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libmongoc libbson libzstd zlib1g libisal libcurl libmicrohttpd libssl libc6 tzdata; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
echo "ok: the package holds ${#files[@]} files and depends on $depends"

# Install it the way the README says; from here on it is always removed again
removed=0
remove() {
  [ "$removed" = 1 ] && return 0
  removed=1
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq mongobak >/dev/null 2>&1 || dpkg -r mongobak >/dev/null 2>&1 || true
}
trap remove EXIT
# tools/deps.sh installed every dependency, so apt resolves them locally; when it still has to
# download one and cannot reach the machine's mirror, that is no fault of the package: skipped.
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$deb" \
     > "$build/apt-install.log" 2>&1; then
  cat "$build/apt-install.log" >&2
  grep -qE 'Failed to fetch|Temporary failure resolving|Could not resolve|Unable to fetch' "$build/apt-install.log" &&
    skip "apt-get install needs a dependency it cannot download here (above); run tools/deps.sh test"
  fail "apt-get install $deb"
fi
[ "$(dpkg-query -W -f='${Status}' mongobak)" = "install ok installed" ] || fail "not installed after apt-get install"
echo "ok: apt-get install ./$(basename "$deb")"

/usr/bin/mongobak --version | grep -qE "^mongobak ${version//./\\.}( |\$)" ||
  fail "/usr/bin/mongobak --version says '$(/usr/bin/mongobak --version 2>&1 | head -1)'"
echo "ok: $(/usr/bin/mongobak --version)"

# man: dpkg may be told not to install manual pages (path-exclude in /etc/dpkg/dpkg.cfg.d, as in
# minimal container images); then the page is checked from the package's own copy.
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/man/man1/mongobak.1.gz | gzip -dc | grep -q '^\.TH MONGOBAK' ||
    fail "the packaged man page"
  echo "ok: man page packaged (dpkg here excludes /usr/share/man, so it is not installed: not checked with man)"
else
  [ "$(man -w mongobak)" = /usr/share/man/man1/mongobak.1.gz ] || fail "man -w mongobak: $(man -w mongobak 2>&1)"
  MANPAGER=cat MANWIDTH=80 man mongobak 2>/dev/null | grep -q 'mongobak' || fail "man mongobak shows nothing"
  echo "ok: man mongobak ($(man -w mongobak))"
fi

[ -f "$unit" ] || fail "$unit is not installed"
grep -qx 'ExecStart=/usr/bin/mongobak daemon' "$unit" || fail "$unit: ExecStart is not /usr/bin/mongobak daemon"
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify --man=no "$unit" > "$build/sa.log" 2>&1 || { cat "$build/sa.log" >&2; fail "systemd-analyze verify $unit"; }
  echo "ok: systemd-analyze verify $unit"
else
  echo "skip: systemd-analyze is not installed: the unit was not verified"
fi

remove
[ "$(dpkg-query -W -f='${Status}' mongobak 2>/dev/null || true)" != "install ok installed" ] || fail "still installed after apt-get remove"
for f in "${files[@]}"; do [ ! -e "$f" ] || fail "$f is left after apt-get remove"; done
echo "ok: apt-get remove mongobak removed every file"
echo "1 passed, 0 failed"
