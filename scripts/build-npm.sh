#!/usr/bin/env bash
# Builds the npm package `pollflow` into wasm/npm/dist: the engine compiled to wasm32, then
# wasm-bindgen's ESM glue. Installs the wasm32 toolchain and the matching wasm-bindgen CLI
# when missing. Prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/wasm-toolchain.sh)"
# shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
$WASM_CARGO build --profile wasm-release -p pollflow-wasm $WASM_CARGO_FLAGS >&2

version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q " $version\$"; then
    echo "installing wasm-bindgen-cli $version (a few minutes, once)" >&2
    cargo install wasm-bindgen-cli --version "$version" >&2
fi

out=wasm/npm/dist
rm -rf "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$WASM_CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/pollflow_wasm.wasm"

wasm="$out/pollflow_wasm_bg.wasm"
glue="$out/pollflow_wasm.js"
raw=$(cat "$wasm" "$glue" wasm/npm/index.js | wc -c)
gz=$(( $(gzip -9c "$wasm" | wc -c) + $(gzip -9c "$glue" | wc -c) + $(gzip -9c wasm/npm/index.js | wc -c) ))
echo "npm package: .wasm $(wc -c < "$wasm") B, glue $(wc -c < "$glue") B, wrapper $(wc -c < wasm/npm/index.js) B; total $raw B raw, $gz B gzipped" >&2
