#!/usr/bin/env bash
# Starts tchatche on http://localhost:8080 with its embedded SQLite database
# in ./data (override with TCHATCHE_HTTP_ADDR, TCHATCHE_DATA_DIR, or a TOML
# file given as the first argument or in TCHATCHE_CONFIG). Builds the web
# client first (scripts/setup-web.sh), since the binary embeds it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-web.sh
exec cargo run --release -p tchatche -- "$@"
