#!/usr/bin/env bash
# The npm package as users get it: packs wasm/npm (npm pack), installs the tarball into an empty
# project (a copy of wasm/pack-test in target/npm-pack), and there checks what it holds, loads it
# with require and with import in Node 18, 20 and 22 (binaries from npm: scripts/npm-node.sh),
# bundles a Worker that passes precompiled WebAssembly.Modules to initSync (esbuild, ES2020: no
# top-level await), and type-checks its .d.ts and .d.cts (tsc). Then runs the node:test suite
# (wasm/test) in Node 18 and 22 too. Builds the package when wasm/npm/dist is missing.
#
#   scripts/test-npm-pack.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f wasm/npm/dist/index.node.cjs ] || [ ! -f wasm/npm/dist-asl/asl.js ]; then
    echo "wasm/npm/dist is missing: building the npm package" >&2
    scripts/build-npm.sh
fi
# Node 18 and 22 from npm, besides this machine's (20).
others=("$(scripts/npm-node.sh 18)" "$(scripts/npm-node.sh 22)")
nodes=("${others[0]}" "$(command -v node)" "${others[1]}")

out=target/npm-pack
rm -rf "$out"
mkdir -p "$out"
tarball=$(cd wasm/npm && npm pack --silent --pack-destination "../../$out")
echo "npm pack: $tarball, $(wc -c < "$out/$tarball") B" >&2

project=$out/project
cp -r wasm/pack-test "$project"
rm -rf "$project/node_modules"
(cd "$project" && npm install --no-audit --no-fund --no-package-lock --silent "../$tarball")
cd "$project"
node contents.mjs
for node in "${nodes[@]}"; do
    "$node" require.cjs
    "$node" import.mjs
done
node worker.mjs
npx --no-install tsc -p .
echo "tsc: the types check, for require (.d.cts) and import (.d.ts)"
cd - >/dev/null

# The suite in the other versions, side by side (it mostly waits on timers).
pids=()
for node in "${others[@]}"; do
    (cd wasm/test && "$node" --test >"../../$out/suite-$("$node" --version).tap" 2>&1) &
    pids+=($!)
done
status=0
for i in "${!others[@]}"; do
    version=$("${others[$i]}" --version)
    if wait "${pids[$i]}"; then
        echo "node:test suite in Node $version: $(grep -E '^# (pass|fail) ' "$out/suite-$version.tap" | tr '\n' ' ')" >&2
    else
        echo "node:test suite in Node $version failed:" >&2
        grep -E '^not ok|^# (pass|fail) ' "$out/suite-$version.tap" >&2 || tail -40 "$out/suite-$version.tap" >&2
        status=1
    fi
done
exit $status
