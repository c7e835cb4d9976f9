// Adapts wasm-bindgen's glue (`--target web`) to how the npm package loads the engine
// (wasm/npm/execution.js, docs/npm.md "A crash"): the wrapper compiles the .wasm itself and
// instantiates it with `initSync`, again after an instance trapped.
//   - adds `forget()`, which makes the next `initSync` instantiate anew;
//   - drops the async loader (`__wbg_init`, the default export), which the wrapper never calls
//     (it loads its `import.meta.url`, which the CommonJS copy has not).
// (scripts/npm-js.mjs then minifies it, dropping the JSDoc copied from the Rust doc comments.)
// Fails when wasm-bindgen's output no longer looks as expected (its version is pinned).
//
//   node scripts/npm-glue.mjs path/to/pollflow_wasm.js
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
let glue = readFileSync(file, 'utf8');

/** Replaces the text from `from` up to (not including) `to` with `by`; each must be found once. */
function cut(from, to, by = '') {
  const start = glue.indexOf(from);
  const end = glue.indexOf(to, start);
  if (start < 0 || end < 0 || glue.indexOf(from, start + 1) >= 0) {
    throw new Error(`${file}: no single '${from}' … '${to}' (wasm-bindgen changed? see scripts/npm-glue.mjs)`);
  }
  glue = glue.slice(0, start) + by + glue.slice(end);
}

for (const used of ['\nlet wasmModule, wasmInstance, wasm;\n', '__destroy_into_raw() {', 'this.__wbg_ptr', '.__wbg_execution_free(']) {
  if (!glue.includes(used)) throw new Error(`${file}: no '${used.trim()}' (wasm-bindgen changed? see execution.js's load())`);
}
cut('async function __wbg_load(', 'function initSync(');
const exported = 'export { initSync, __wbg_init as default };';
cut('let __wbg_init_promise;', exported);
cut(exported, '\n', [
  'export { initSync };',
  '',
  '// pollflow: forgets the instance, so that initSync makes a new one (scripts/npm-glue.mjs).',
  'export function forget() { wasm = undefined; }',
].join('\n'));
writeFileSync(file, glue);
