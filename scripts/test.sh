#!/usr/bin/env bash
# Runs every check CI runs, installing what it needs on a fresh machine:
# rustfmt, clippy (-D warnings), all tests and doctests, the "no tokio in core" check, and
# a wasm32-unknown-unknown build of core.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "Rust components"
if command -v rustup >/dev/null; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "core's normal dependencies, default features off, have no tokio"
if cargo tree -p pollflow --edges normal --no-default-features --prefix none | grep -q '^tokio '; then
    echo "core depends on tokio without the tokio feature" >&2
    exit 1
fi

step "core builds for wasm32-unknown-unknown"
eval "$(scripts/wasm-toolchain.sh)"
# shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
$WASM_CARGO build --release -p pollflow $WASM_CARGO_FLAGS

step "tests and doctests"
cargo test --workspace --all-features
