#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/, cargo-fuzz on nightly) for SECONDS each, after replaying the
# regression inputs kept in fuzz/regressions/<target>/ (each a past finding, now fixed).
#   scripts/fuzz.sh SECONDS [TARGET...]     (default: every target)
# Seeds come from the repository (scripts/fuzz-seeds.py); the corpus grows in
# target/fuzz/corpus/<target>, crashes land in target/fuzz/artifacts/<target>/. Limits: 1 GiB
# of memory, 10 s per input. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(asl_load jsonpath intrinsics template timestamp jsonata run)
fi

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
work=$PWD/target/fuzz
rm -rf "$work/seeds"
python3 scripts/fuzz-seeds.py "$work/seeds"

for target in "${targets[@]}"; do
    corpus=$work/corpus/$target
    artifacts=$work/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    fuzz=(cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$work/build" "$target")
    limits=(-rss_limit_mb=1024 -timeout=10 -max_len=65536 "-artifact_prefix=$artifacts/")
    if [ -d "fuzz/regressions/$target" ]; then
        echo "fuzz $target: replaying fuzz/regressions/$target" >&2
        "${fuzz[@]}" "fuzz/regressions/$target" -- "${limits[@]}" -runs=0
    fi
    echo "fuzz $target: ${seconds}s" >&2
    "${fuzz[@]}" "$corpus" "$work/seeds/$target" -- "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1
done
