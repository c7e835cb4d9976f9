#!/usr/bin/env bash
# Builds the npm package `pollflow` twice: the base engine into wasm/npm/dist (`pollflow`), and
# with the feature `asl` into wasm/npm/dist-asl (`pollflow/asl`) — the engine compiled to
# wasm32, then wasm-bindgen's ESM glue, then binaryen's wasm-opt. Installs the wasm32
# toolchain, the matching wasm-bindgen CLI and wasm-opt when missing. Prints the sizes of both.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/wasm-toolchain.sh)"

version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q " $version\$"; then
    echo "installing wasm-bindgen-cli $version (a few minutes, once)" >&2
    cargo install wasm-bindgen-cli --version "$version" >&2
fi

# binaryen's wasm-opt, pinned, from npm (Debian's binaryen 108 breaks wasm-bindgen's externref
# table). The features are the ones rustc enables for wasm32 (the stripped .wasm does not list
# them); all are in Node >= 18 and current browsers.
binaryen_version=132.0.0
wasm_opt=target/tools/binaryen/node_modules/.bin/wasm-opt
if ! "$wasm_opt" --version 2>/dev/null | grep -q "version_${binaryen_version%%.*}"; then
    echo "installing binaryen $binaryen_version (wasm-opt) from npm, once" >&2
    npm install --prefix target/tools/binaryen --no-audit --no-fund --silent "binaryen@$binaryen_version" >&2
fi
wasm_opt_features="--enable-reference-types --enable-multivalue --enable-bulk-memory
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals"

# build NAME OUT WRAPPERS LIMIT [CARGO FLAGS]: compiles, writes OUT, prints the size of the
# .wasm, the glue and the JS wrappers that load it; fails when more than LIMIT bytes gzipped.
build() {
    local name=$1 out=$2 wrappers=$3 limit=$4
    shift 4
    # shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
    $WASM_CARGO build --profile wasm-release -p pollflow-wasm $WASM_CARGO_FLAGS "$@" >&2
    rm -rf "$out"
    wasm-bindgen --target web --no-typescript --out-dir "$out" \
        "$WASM_CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/pollflow_wasm.wasm"
    local wasm="$out/pollflow_wasm_bg.wasm" glue="$out/pollflow_wasm.js" raw=0 gz=0 file
    # The wrapper loads the engine itself (again after a trap): the glue's part in that.
    node scripts/npm-glue.mjs "$glue"
    # For speed: on the size-optimized build, -O3 runs the pollflow bench about 15 % faster
    # for about 1 KB gzipped (docs/npm.md).
    # shellcheck disable=SC2086 # the features are several flags
    "$wasm_opt" -O3 $wasm_opt_features "$wasm" -o "$wasm"
    # shellcheck disable=SC2086 # $wrappers lists several files
    for file in "$wasm" "$glue" $wrappers; do
        raw=$((raw + $(wc -c < "$file")))
        gz=$((gz + $(gzip -9c "$file" | wc -c)))
    done
    echo "$name: .wasm $(wc -c < "$wasm") B, glue $(wc -c < "$glue") B, wrappers ($wrappers) $((raw - $(wc -c < "$wasm") - $(wc -c < "$glue"))) B; total $raw B raw, $gz B gzipped" >&2
    if [ "$gz" -gt "$limit" ]; then
        echo "$name: $gz B gzipped is over its budget of $limit B" >&2
        return 1
    fi
}

# The licenses travel with the package (npm pack leaves symlinks out, so these are copies).
cp LICENSE-MIT LICENSE-APACHE wasm/npm/

# Budgets: the issue's 100 KB for `pollflow`; `pollflow/asl` under aws-local-stepfunctions'
# browser bundle (about 250 KB gzipped), with room to grow.
build "npm package (pollflow)" wasm/npm/dist "wasm/npm/index.js wasm/npm/execution.js" 100000
build "npm package (pollflow/asl)" wasm/npm/dist-asl "wasm/npm/asl.js wasm/npm/execution.js" 225000 --features asl
