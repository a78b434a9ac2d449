#!/usr/bin/env bash
# setup-web.sh — installs the web client's npm packages and builds it into
# web/dist, where the server binary embeds it from. Idempotent: `npm ci` runs
# only when node_modules is missing or package-lock.json changed since the
# last install; the build always runs (a couple of seconds) and fails when
# the JavaScript and CSS go over the size budget.
#
# Needs Node.js 20.19 or later with npm; packages come from the npm registry.
# Used by run.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"

if ! command -v npm >/dev/null 2>&1; then
    echo "setup-web.sh: npm not found: install Node.js 20.19 or later (it brings npm)" >&2
    exit 1
fi

# The lock file's checksum, recorded after a successful install.
stamp=node_modules/.tchatche-lock-sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
    echo "==> web: npm ci" >&2
    npm ci --no-audit --no-fund
    echo "$wanted" >"$stamp"
fi

echo "==> web: npm run build" >&2
npm run build
