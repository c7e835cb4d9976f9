#!/usr/bin/env bash
# Runs the ASL conformance corpus (tests/asl-conformance) through aws-local-stepfunctions (npm,
# installed in tests/asl-conformance/als) and fails on any difference from Step Functions that
# tests/asl-conformance/known-differences.json and docs/asl-compatibility.md do not explain.
# The same corpus runs through pollflow in `cargo test -p pollflow --test asl_conformance`.
set -euo pipefail
cd "$(dirname "$0")/../tests/asl-conformance/als"

# aws-local-stepfunctions 3.0.0 declares node >= 22; on Node 20 run.mjs polyfills what it needs.
npm install --no-audit --no-fund --silent
node run.mjs "$@"
