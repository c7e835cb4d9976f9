// The npm package `pollflow`: the Rust engine (WebAssembly) with a JavaScript face.
// This file only adapts: loading the module, AbortSignal, async iteration, promises.
import * as glue from './dist/pollflow_wasm.js';
import { checkOptions, connect } from './execution.js';

const wrap = await connect(glue, new URL('./dist/pollflow_wasm_bg.wasm', import.meta.url));

/** Starts an execution. See index.d.ts for the options, events and errors. */
export function run(options) {
  checkOptions(options);
  return wrap(glue.start(options), options.signal);
}

/** The state-machine graph `run(options)` would execute, as plain data (for drawing it). */
export function workflowGraph(options) {
  checkOptions(options);
  return glue.workflowGraph(options);
}
