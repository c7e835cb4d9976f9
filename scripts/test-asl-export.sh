#!/usr/bin/env bash
# Exports builder workflows as Amazon States Language (examples/rust/export_asl.rs) and checks
# them with the npm asl-validator (installed in tests/asl-export).
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/asl-export
rm -rf "$out" && mkdir -p "$out"
cargo run -q --example export_asl -- "$out"
(cd tests/asl-export && npm install --no-audit --no-fund --silent)
validator=tests/asl-export/node_modules/.bin/asl-validator

files=("$out"/*.asl.json)
args=()
for f in "${files[@]}"; do args+=(--json-path "$f"); done
"$validator" "${args[@]}"

# The validator must reject what Step Functions rejects, or the check above proves nothing.
echo '{"StartAt": "A", "States": {"A": {"Type": "Wait", "Next": "Nowhere"}}}' > "$out/invalid.json"
if "$validator" --silent --json-path "$out/invalid.json"; then
    echo "asl-validator accepted an invalid definition" >&2
    exit 1
fi
echo "asl export: ${#files[@]} definitions valid"
