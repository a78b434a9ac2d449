#!/usr/bin/env bash
# Starts tchatche on http://localhost:8080 with its embedded SQLite database
# in ./data (override with TCHATCHE_HTTP_ADDR, TCHATCHE_DATA_DIR, or a TOML
# file given as the first argument or in TCHATCHE_CONFIG).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p tchatche -- "$@"
