#!/usr/bin/env bash
# Runs the whole test suite: the web client (install, build within its size
# budget, type check, unit tests), then formatting, lints, the docs, and every Rust
# test (unit tests beside the code, integration tests against a real server
# on 127.0.0.1), then the web client's end-to-end tests (Chromium driven
# against the real server, with axe-core and Lighthouse; Chromium is
# installed from Debian's packages by setup-browser.sh). Needs the Rust
# toolchain and Node.js 20.19+ with npm; cargo-nextest is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."

# First, so that the server's tests find the client they embed and serve.
echo "== web client: install and build (size budget)"
bash scripts/setup-web.sh
echo "== web client: type check"
(cd web && npm run --silent check)
echo "== web client: unit tests"
(cd web && npm test)
# The server's test of `/` must check the real files, not pass without them.
export TCHATCHE_REQUIRE_WEB_CLIENT=1

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
    cargo test --workspace --doc
else
    cargo test --workspace --no-fail-fast
fi

echo "== web client: end-to-end tests (Debian's Chromium against the real server; axe-core, Lighthouse)"
bash scripts/setup-browser.sh
cargo build --quiet -p tchatche
(cd web && npm run --silent e2e)

echo "== fuzz targets build (run them with: cargo +nightly fuzz run irc_line)"
cargo build --quiet --manifest-path fuzz/Cargo.toml --target-dir target/fuzz

echo "== load tool smoke run (small N, debug build: checks nothing is lost)"
BENCH_PROFILE=debug bash scripts/bench.sh smoke

# The TypeScript protocol types and the département table are generated
# from the Rust code by the tests above; in CI the committed copy must be
# the generated one.
generated=(web/src/lib/protocol web/src/lib/departements.ts)
if [ -n "${CI:-}" ] && ! git diff --quiet -- "${generated[@]}"; then
    echo "${generated[*]}: out of date: run the tests and commit the generated files" >&2
    git diff --stat -- "${generated[@]}" >&2
    exit 1
fi
