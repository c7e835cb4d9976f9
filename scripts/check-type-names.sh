#!/usr/bin/env bash
# No two public types of the workspace's library crates share a name (issue 16: one name per
# idea): lists every public struct, enum, trait, union and type alias of each crate — and every
# re-export that renames one — from rustdoc's JSON (nightly), and fails on a name used twice.
# pollflow-cli has no library. Reuses target/docsrs, which the docs.rs step of test.sh builds.
# (The HTML docs cannot serve: the CLI's binary is named `pollflow` and its docs overwrite the
# library's in target/docsrs/doc/pollflow.)
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(pollflow pollflow-batch)
json=()
for crate in "${crates[@]}"; do
    RUSTDOCFLAGS="--cfg docsrs" CARGO_TARGET_DIR=target/docsrs \
        cargo +nightly rustdoc -Zunstable-options --output-format json --quiet \
        --all-features --lib -p "$crate"
    json+=("target/docsrs/doc/${crate//-/_}.json")
done

node - "${json[@]}" <<'EOF'
const fs = require('fs');
const TYPES = new Set(['struct', 'enum', 'trait', 'union', 'type_alias']);
const owners = new Map(); // name -> the public paths that define or rename a type under it
for (const file of process.argv.slice(2)) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const crate = doc.index[doc.root].name;
    const kindOf = (id) => {
        const item = doc.index[id];
        return item ? Object.keys(item.inner)[0] : doc.paths[id]?.kind;
    };
    const add = (name, where) => owners.set(name, [...(owners.get(name) || []), where]);
    for (const [id, item] of Object.entries(doc.index)) {
        if (item.crate_id !== 0 || item.visibility !== 'public') continue;
        const kind = Object.keys(item.inner)[0];
        if (TYPES.has(kind)) {
            add(item.name, `${crate}: ${kind} ${(doc.paths[id]?.path || [item.name]).join('::')}`);
        }
        const use = item.inner.use;
        if (use && !use.is_glob && use.id != null && TYPES.has(kindOf(use.id))
            && use.source.split('::').pop() !== use.name) {
            add(use.name, `${crate}: pub use ${use.source} as ${use.name}`);
        }
    }
}
const clashes = [...owners].filter(([, where]) => where.length > 1);
for (const [name, where] of clashes) {
    console.error(`public type name "${name}" is used ${where.length} times:\n  ${where.join('\n  ')}`);
}
if (clashes.length) process.exit(1);
console.log(`public type names: ${owners.size}, all distinct`);
EOF
