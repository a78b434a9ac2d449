#!/usr/bin/env bash
# setup-browser.sh — installs what the web client's end-to-end tests need
# besides npm packages: Debian's Chromium (/usr/bin/chromium, driven by
# playwright-core and Lighthouse; a test tool's own browser download is never
# used) and a colour emoji font, so that screenshots show emoji as people see
# them. Idempotent: apt-get runs only when something is missing, and
# `apt-get update` only when the install fails without it (package lists
# absent or stale, as on a new machine).
#
# Installing needs root (CI runs as root) or sudo. Set CHROMIUM to use
# another Chromium binary and skip the install of this one.
# Used by test.sh.
set -euo pipefail

wanted=()
if [[ -z ${CHROMIUM:-} ]] && ! [[ -x /usr/bin/chromium ]]; then
    wanted+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-noto-color-emoji 2>/dev/null | grep -q 'install ok installed'; then
    wanted+=(fonts-noto-color-emoji)
fi
if [[ ${#wanted[@]} -eq 0 ]]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser.sh: missing ${wanted[*]} and no apt-get here: install Chromium, and set CHROMIUM to its path" >&2
    exit 1
fi
as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "setup-browser.sh: installing ${wanted[*]} needs root (or sudo)" >&2
        exit 1
    fi
    as_root=(sudo)
fi

install() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${wanted[@]}"
}

echo "==> browser: apt-get install ${wanted[*]}" >&2
if ! install; then
    echo "==> browser: apt-get update, then again" >&2
    "${as_root[@]}" apt-get update -q
    install
fi
