#!/usr/bin/env bash
# The browser test: examples/browser in headless Chromium (Debian's `chromium`, driven by the npm
# package playwright-core), as plain ES modules and as built by Vite (for ES2020: no top-level
# await). Installs Chromium with apt when missing, the example's npm dependencies (Vite among
# them), builds the npm package when wasm/npm/dist is missing, then runs the test.
# Screenshots: target/browser-test/*.png.
#
#   scripts/test-browser.sh          (CHROMIUM_PATH=/path/to/chromium to use another browser)
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    if [ -n "${CHROMIUM_PATH:-}" ]; then
        echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
        exit 1
    fi
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            as_root=(sudo)
        else
            echo "chromium is missing, and installing it needs root or sudo: apt-get install chromium" >&2
            exit 1
        fi
    fi
    echo "installing chromium (apt)" >&2
    ${as_root[@]+"${as_root[@]}"} apt-get update -qq >&2
    ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
fi
"$chromium" --version 2>/dev/null || true

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
    echo "Node.js >= 20 is needed (playwright-core requires it); found: $(node --version 2>/dev/null || echo none)" >&2
    exit 1
fi

if [ ! -f wasm/npm/dist/index.js ] || [ ! -f wasm/npm/dist-asl/asl.js ]; then
    echo "wasm/npm/dist is missing: building the npm package" >&2
    scripts/build-npm.sh
fi

cd examples/browser
npm install --no-audit --no-fund --loglevel=error >&2
CHROMIUM_PATH="$chromium" npm test --silent
