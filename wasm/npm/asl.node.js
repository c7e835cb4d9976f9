// `pollflow/asl` in Node (import, and require through the CommonJS copy): the engine read from
// its file and instantiated synchronously at import, so that neither needs a top-level await.
import './node.js';
import { readFileSync } from 'node:fs';
import { initSync } from './asl.js';

initSync(readFileSync(new URL('./dist-asl/pollflow_wasm_bg.wasm', import.meta.url)));

export * from './asl.js';
