#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, and every test (unit tests
# beside the code, integration tests against a real server on 127.0.0.1).
# Needs only the Rust toolchain; cargo-nextest is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
    cargo test --workspace --doc
else
    cargo test --workspace --no-fail-fast
fi

echo "== load tool smoke run (small N, debug build: checks nothing is lost)"
BENCH_PROFILE=debug bash scripts/bench.sh smoke

# The TypeScript protocol types are generated from the Rust types by the
# tests above; in CI the committed copy must be the generated one.
if [ -n "${CI:-}" ] && ! git diff --quiet -- web/src/lib/protocol; then
    echo "web/src/lib/protocol is out of date: run the tests and commit the generated files" >&2
    git diff --stat -- web/src/lib/protocol >&2
    exit 1
fi
