#!/usr/bin/env bash
# contrib/ and .env.example stay true to the code: .env.example lists every configuration
# variable and validates; the systemd unit passes systemd-analyze verify where available.
set -euo pipefail
bin=$1 src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && env -i PATH="$PATH" "$bin" config --env-file "$src/.env.example" --json) > "$tmp/cfg.json" ||
  fail ".env.example does not validate"
for v in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$tmp/cfg.json"); do
  grep -qE "^(# )?$v=" "$src/.env.example" || fail ".env.example lacks $v"
done
echo "ok: .env.example lists and validates every variable"
# .env.example and the README's table are generated from the configuration table (tools/gen-docs.sh)
"$bin" help --env-example | diff -u "$src/.env.example" - || fail ".env.example is out of date: run tools/gen-docs.sh"
"$bin" help --config-table > "$tmp/table.md"
sed -n '/<!-- config-table:begin/,/<!-- config-table:end/p' "$src/README.md" | sed '1d;$d' |
  diff -u - "$tmp/table.md" || fail "the README's configuration table is out of date: run tools/gen-docs.sh"
echo "ok: .env.example and the README's table match the configuration table"
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/local/bin/mongobak|$bin|" "$src/contrib/mongobak.service" > "$tmp/mongobak.service"
  systemd-analyze verify --man=no "$tmp/mongobak.service" 2>"$tmp/sa.err" || { cat "$tmp/sa.err"; fail "systemd-analyze verify"; }
  echo "ok: systemd-analyze verify contrib/mongobak.service"
else
  echo "skip: systemd-analyze is not installed"
fi
/usr/bin/python3 -c 'import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); assert d["kind"]=="CronJob" and d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]==["backup"]' "$src/contrib/kubernetes-cronjob.yaml" 2>/dev/null &&
  echo "ok: kubernetes-cronjob.yaml parses" || echo "skip: python3-yaml not installed"
echo "1 passed, 0 failed"
