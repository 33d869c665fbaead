#!/usr/bin/env bash
# Regenerate what is generated from the binary's tables: .env.example and the README's
# configuration table (common/confvars), the man page (options, commands, confvars).
# tests/contrib.sh and the man_page_in_sync test fail when they are out of date.
#   tools/gen-docs.sh [path/to/mongobak]   (default build-test/mongobak)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build-test/mongobak}
"$bin" help --env-example > .env.example
"$bin" help --man > man/mongobak.1
table=$(mktemp); trap 'rm -f "$table"' EXIT
"$bin" help --config-table > "$table"
awk -v table="$table" '
  /<!-- config-table:begin/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- config-table:end/ { skip = 0 }
  !skip { print }' README.md > README.md.new
mv README.md.new README.md
