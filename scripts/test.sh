#!/usr/bin/env bash
# Runs every check CI runs, installing what it needs on a fresh machine:
# rustfmt, clippy (-D warnings, native and wasm32), the MSRV build, docs.rs builds, distinct
# public type names across the library crates, a publish dry run, the "no tokio in core" check,
# a wasm32-unknown-unknown build of core, the npm package with its node:test suite, packed and
# loaded in Node 18, 20 and 22 (require, import, a Worker bundle, tsc), the Node example and the
# browser test (headless Chromium, with a Vite build), an AWS-compatible server (moto, in a local
# venv) for the AWS adapters, the reference JSONata (npm) that the JSONata differential tests
# compare against, all tests and doctests (the CLI's and the HTTP service example's included),
# and the examples against that server.
set -euo pipefail
cd "$(dirname "$0")/.."

# One clean build per configuration: incremental caches would only add gigabytes to target/.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*" >&2; }

step "Rust components"
if command -v rustup >/dev/null; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "MSRV: the declared rust-version builds the workspace (with the locked tree)"
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
if rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
    CARGO_TARGET_DIR=target/msrv cargo "+$msrv" check --workspace --all-features --all-targets --locked --quiet
else
    echo "MSRV check skipped: rustup cannot install Rust $msrv on this machine" >&2
fi

step "docs.rs: every crate's docs build with --cfg docsrs and every feature, without warnings"
rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
for crate in pollflow pollflow-batch pollflow-cli; do
    RUSTDOCFLAGS="--cfg docsrs -D warnings" CARGO_TARGET_DIR=target/docsrs \
        cargo +nightly doc --no-deps --all-features --quiet -p "$crate"
done

step "no two public types of the library crates share a name (rustdoc JSON, nightly)"
scripts/check-type-names.sh

step "the crates publish (cargo publish --workspace --dry-run)"
# Cargo unpacks the packaged crates under $CARGO_HOME/registry/src/-<hash of this checkout's
# path>/ and reuses what an earlier run of the same checkout path unpacked there, so a clean
# clone would verify against stale sources. Those directories hold only this workspace's crates.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/pollflow*
cargo publish --workspace --dry-run --allow-dirty --quiet

step "core without its default features (no ASL: what the npm package builds)"
cargo clippy -p pollflow --no-default-features --all-targets --quiet -- -D warnings
cargo test -p pollflow --no-default-features --quiet --lib --tests

step "core with ASL but not JSONata (what the npm package's pollflow/asl builds)"
cargo clippy -p pollflow --no-default-features --features asl --all-targets --quiet -- -D warnings
cargo test -p pollflow --no-default-features --features asl --quiet --lib --tests

step "core's normal dependencies, default features off, have no tokio"
if cargo tree -p pollflow --edges normal --no-default-features --prefix none | grep -q '^tokio '; then
    echo "core depends on tokio without the tokio feature" >&2
    exit 1
fi

step "core builds for wasm32-unknown-unknown"
eval "$(scripts/wasm-toolchain.sh)"
# shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
$WASM_CARGO build --release -p pollflow $WASM_CARGO_FLAGS

step "clippy on wasm32 (the wasm crate is empty on other targets: JS callbacks are not Send)"
if [ "$WASM_TOOLCHAIN_KIND" = rustup ]; then
    # shellcheck disable=SC2086 # WASM_CARGO_FLAGS holds several flags
    $WASM_CARGO clippy -p pollflow -p pollflow-wasm --all-features --quiet $WASM_CARGO_FLAGS -- -D warnings
else
    echo "skipped: the Debian wasm32 toolchain has no clippy" >&2
fi

step "npm package: build (wasm32 + wasm-bindgen) and node:test suite"
scripts/build-npm.sh
(cd wasm/test && npm install --no-audit --no-fund --silent && node --test)

step "npm package packed: require and import in Node 18, 20 and 22, a Worker from precompiled modules, tsc; the suite in Node 18 and 22"
scripts/test-npm-pack.sh

step "npm bench smoke: the Job Poller through pollflow and aws-local-stepfunctions, results verified"
(cd wasm/bench && npm install --no-audit --no-fund --silent && BENCH_EXECUTIONS=500 BENCH_PASSES=1 npm run bench --silent >/dev/null)

step "Node example: a local HTTP server answering 202 until the report is ready, and its server-sent events ending the wait (and polling when they drop)"
(cd examples/node && npm install --no-audit --no-fund --silent && npm test --silent && npm start --silent >/dev/null)

step "browser example in headless Chromium (installed with apt when missing), as ES modules and built by Vite"
scripts/test-browser.sh

step "AWS-compatible test server (moto, installed into .venv when missing)"
eval "$(scripts/moto-server.sh start)"
trap 'scripts/moto-server.sh stop >/dev/null 2>&1 || true' EXIT

step "reference JSONata (npm jsonata, tests/jsonata) for the differential tests and fuzz below"
(cd tests/jsonata && npm install --no-audit --no-fund --silent)

step "tests and doctests"
cargo test --workspace --all-features

step "exported ASL passes asl-validator (npm)"
scripts/test-asl-export.sh

step "ASL conformance corpus through aws-local-stepfunctions (npm)"
scripts/test-asl-conformance.sh

step "ASL conformance corpus through the npm package (pollflow/asl, built above)"
(cd tests/asl-conformance/npm && npm install --no-audit --no-fund --silent && node run.mjs)

step "the examples against the AWS-compatible server"
moto_input="{\"jobName\":\"smoke\",\"jobQueue\":\"$MOTO_JOB_QUEUE\",\"jobDefinition\":\"$MOTO_JOB_DEFINITION\",\"wait_time\":1}"
cargo run -q -p pollflow-batch --features aws --example job_poller -- \
    --aws --endpoint-url "$MOTO_ENDPOINT" --input "$moto_input" >/dev/null
cargo run -q -p pollflow-batch --features aws --example manage_batch_job -- \
    --aws --endpoint-url "$MOTO_ENDPOINT" --topic-arn "$MOTO_TOPIC_ARN" \
    --job-queue "$MOTO_JOB_QUEUE" --job-definition "$MOTO_JOB_DEFINITION" >/dev/null
# --store: killed with SIGKILL once it printed "submitted job", then run again with the same
# arguments, the example continues that run and finishes its job, against moto and against the
# embedded local Batch (which keeps its jobs beside the store): one job of the run's name.
crash_and_continue() { # the job_poller's arguments
    local store="${*: -1}" line
    ("$@" 2>&1 & echo $! >"$store.pid"; wait) | while IFS= read -r line; do
        case "$line" in *"submitted job"*) kill -9 "$(cat "$store.pid")"; break ;; esac
    done || true # the killed process's status
    "$@" >/dev/null 2>"$store.log" || { cat "$store.log"; exit 1; }
    grep -q "continuing run" "$store.log" || { echo "the second process did not continue the run"; cat "$store.log"; exit 1; }
}
crash_name="store-smoke-$$"
crash_input="{\"jobName\":\"$crash_name\",\"jobQueue\":\"$MOTO_JOB_QUEUE\",\"jobDefinition\":\"$MOTO_JOB_DEFINITION\",\"wait_time\":2}"
crash_and_continue target/debug/examples/job_poller --aws --endpoint-url "$MOTO_ENDPOINT" --input "$crash_input" --store "$(mktemp -d)/run.db"
local_store="$(mktemp -d)/run.db"
crash_and_continue target/debug/examples/job_poller --store "$local_store"
.venv/bin/python - "$local_store.local-batch.json" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
assert len(jobs) == 1, f"{len(jobs)} jobs in the local Batch's journal"
assert jobs[0]["detail"]["status"] == "SUCCEEDED", jobs[0]["detail"]["status"]
PY
.venv/bin/python - "$MOTO_ENDPOINT" "$MOTO_JOB_QUEUE" "$crash_name" <<'PY'
import sys, boto3
endpoint, queue, name = sys.argv[1:]
batch = boto3.client("batch", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test")
statuses = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"]
jobs = [j for s in statuses for j in batch.list_jobs(jobQueue=queue, jobStatus=s)["jobSummaryList"]
        if j["jobName"] == name]
assert len(jobs) == 1, f"{len(jobs)} jobs named {name}"
PY
# --push: the local Batch's job state-change events end the 30 s waits when the 2 s job
# changes, so the run ends in about 2 s having made no status check of its own.
push_log="$(mktemp)"
push_started=$(date +%s)
target/debug/examples/job_poller --push --wait-time 30 --seconds 2 >/dev/null 2>"$push_log" ||
    { cat "$push_log"; exit 1; }
push_took=$(($(date +%s) - push_started))
grep -qx "checks: 0" "$push_log" || { echo "job_poller --push made status checks"; cat "$push_log"; exit 1; }
[ "$push_took" -lt 15 ] || { echo "job_poller --push took ${push_took}s, not about 2"; cat "$push_log"; exit 1; }
echo "examples: 5 passed, 0 failed"

step "fuzz targets (cargo-fuzz, nightly): the kept regressions, then ${FUZZ_SECONDS:-10} s each (docs/fuzzing.md)"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
