// The npm package `pollflow`: the Rust engine (WebAssembly) with a JavaScript face.
import * as glue from './dist/pollflow_wasm.js';
import { checkOptions, connect, randomSeed } from './execution.js';

const engine = await connect(glue, new URL('./dist/pollflow_wasm_bg.wasm', import.meta.url));

/** Starts an execution. See index.d.ts. */
export function run(options) {
  const signal = checkOptions(options);
  return engine.start(() => glue.start(options, randomSeed()), signal);
}

/** The graph `run(options)` would execute, as plain data. */
export function workflowGraph(options) {
  checkOptions(options);
  return engine.call(() => glue.workflowGraph(options));
}
