#!/usr/bin/env bash
# Install the Debian packages mongobak needs. Usage: tools/deps.sh [build|test]
#   build: compiler, CMake and the libraries mongobak links against (enough to build and run it;
#          dpkg-dev: dpkg-shlibdeps for tools/package.sh's .deb)
#   test:  build + what the tests need (cmocka, clang for libFuzzer, zstd CLI, Go, Python helpers,
#          gnuplot for the charts of tools/perf-report.py, systemd and man-db for
#          the .deb's test: systemd-analyze verify, man)
# Idempotent: does nothing when every package is already installed.
set -euo pipefail
mode=${1:-test}
pkgs=(build-essential cmake ninja-build pkg-config libmongoc-dev libbson-dev libzstd-dev zlib1g-dev
      libisal-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev libsodium-dev libexpat1-dev
      tzdata zstd python3
      dpkg-dev)
if [ "$mode" = test ]; then
  pkgs+=(libcmocka-dev clang libclang-rt-14-dev clang-format golang-go python3-pymongo python3-aiosmtpd python3-prometheus-client python3-yaml openssl xz-utils git gnuplot-nox
         systemd man-db)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Go toolchain already on PATH (e.g. /usr/local/go) is newer than Debian's; keep it.
if command -v go >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [ "$p" = golang-go ] || tmp+=("$p"); done; missing=("${tmp[@]}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
