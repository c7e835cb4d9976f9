#!/usr/bin/env bash
# Builds the npm package `pollflow`: the base engine into wasm/npm/dist (`pollflow`), and with
# the feature `asl` into wasm/npm/dist-asl (`pollflow/asl`), and each again with the feature
# `resume` and `push` (dist-resume, dist-asl-resume: the engines that read checkpoints and take
# pushes, which `resume`, `resumeAsl` and `run`/`runAsl` with `push: true` load the first time
# they are needed) — the engine compiled to wasm32,
# then wasm-bindgen's ESM glue, then binaryen's wasm-opt; then the JS that ships, minified as
# ESM and CommonJS (scripts/npm-js.mjs). Installs the wasm32 toolchain, the matching
# wasm-bindgen CLI, wasm-opt and esbuild when missing. Prints the size of every entry point as
# browsers and Node load it.
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

# esbuild, pinned, from npm: minifies the JS that ships (scripts/npm-js.mjs).
esbuild_version=0.28.2
if [ "$(node -p "require('./target/tools/esbuild/node_modules/esbuild/package.json').version" 2>/dev/null)" != "$esbuild_version" ]; then
    echo "installing esbuild $esbuild_version from npm, once" >&2
    npm install --prefix target/tools/esbuild --no-audit --no-fund --silent "esbuild@$esbuild_version" >&2
fi

# build OUT [CARGO FLAGS]: compiles the engine, writes OUT (the .wasm and wasm-bindgen's glue).
build() {
    local out=$1
    shift
    # shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
    $WASM_CARGO build --profile wasm-release -p pollflow-wasm $WASM_CARGO_FLAGS "$@" >&2
    rm -rf "$out"
    wasm-bindgen --target web --no-typescript --out-dir "$out" \
        "$WASM_CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/pollflow_wasm.wasm"
    # The wrapper loads the engine itself (again after a trap): the glue's part in that.
    node scripts/npm-glue.mjs "$out/pollflow_wasm.js"
    # For speed: on the size-optimized build, -O3 runs the pollflow bench about 15 % faster
    # for about 1 KB gzipped (docs/npm.md).
    # shellcheck disable=SC2086 # the features are several flags
    "$wasm_opt" -O3 $wasm_opt_features "$out/pollflow_wasm_bg.wasm" -o "$out/pollflow_wasm_bg.wasm"
}

# The licenses travel with the package (npm pack leaves symlinks out, so these are copies).
cp LICENSE-MIT LICENSE-APACHE wasm/npm/

build wasm/npm/dist
build wasm/npm/dist-asl --features asl
# The same engines that also read checkpoints and take pushes (and, for `pollflow`, read
# workflow graphs), loaded only when needed.
build wasm/npm/dist-resume --features resume,push,graph
build wasm/npm/dist-asl-resume --features asl,resume,push
# The engine of `pollflow/asl` that also runs JSONata states, loaded for JSONata definitions.
build wasm/npm/dist-asl-jsonata --features asl,jsonata,resume,push
# The JS that ships (minified ESM and CommonJS, .d.cts), then every entry point's size: fails
# when what a browser downloads for `pollflow` is over 100,000 B gzipped, or for `pollflow/asl`
# over 230,000 B (under aws-local-stepfunctions' browser bundle, about
# 250 KB gzipped, with room to grow); and the size of each one's resume module (loaded only by
# `resume()` / `resumeAsl()`, not counted in the entry), which fails over 140,000 B and 265,000 B.
node scripts/npm-js.mjs
