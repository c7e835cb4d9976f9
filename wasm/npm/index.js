// The npm package `pollflow` outside Node (browsers, bundlers, Workers): the Rust engine
// (WebAssembly) with a JavaScript face. No top-level await: `await init()` or
// `initSync(module)` loads the engine when and from where the caller says — the package's own
// .wasm, a URL, the bytes, a precompiled `WebAssembly.Module` (Cloudflare Workers). Node loads
// index.node.js, which loads it at import. See index.d.ts.
import * as glue from './dist/pollflow_wasm.js';
import { Loading, checkOptions, checkpointText, loader, randomSeed, read } from './execution.js';

const { init: load, initSync, engine } = loader(glue, 'pollflow');

/** Loads the engine from `source`, by default the package's own .wasm. See index.d.ts. */
export const init = (source = new URL('./dist/pollflow_wasm_bg.wasm', import.meta.url)) => load(source);
export { initSync };
export { retryAfterMs } from './retry-after.js';
export { pollGroup } from './poll-group.js';

/**
 * Starts an execution. See index.d.ts. With `push: true` or a `workflow` graph it runs on the
 * second engine, the one that takes pushes and reads graphs (resume.js), imported at the first
 * such call.
 */
export function run(options) {
  const signal = checkOptions(options);
  // A random seed only for a run given none (the engine checks a given one).
  const seed = read(options, 'seed', 'options.seed');
  const random = seed === undefined || seed === null ? randomSeed() : 0;
  if (read(options, 'push', 'options.push') === true || custom(options)) {
    return new Loading(second().then(({ glue, engine }) => () => engine.start(() => glue.start(options, random), signal)));
  }
  return engine().start(() => glue.start(options, random), signal);
}

/** The second engine (reads checkpoints, takes pushes): `{ glue, engine }`, loaded once. */
const second = () => import('./resume.js').then((module) => module.load());

/**
 * Continues an execution from its checkpoint with these callbacks. See index.d.ts. It runs on
 * a second engine, the one that reads checkpoints (resume.js), imported at the first call: the
 * Execution returned waits for it, and the engine's errors (a checkpoint that does not load,
 * an option it rejects) reach its events and its outcome.
 */
export function resume(checkpoint, options) {
  const signal = checkOptions(options);
  const text = checkpointText(checkpoint);
  const seed = read(options, 'seed', 'options.seed');
  const random = seed === undefined || seed === null ? randomSeed() : 0;
  const starting = second().then(({ glue, engine }) => () => engine.start(() => glue.resume(options, text, random), signal));
  return new Loading(starting, text);
}

/** Whether `options` give a `workflow` graph, which only the second engine reads. */
const custom = (options) => read(options, 'workflow', 'options.workflow') != null;

/** The graph `run(options)` would execute, as plain data (a promise of it for a `workflow`). */
export function workflowGraph(options) {
  checkOptions(options);
  if (custom(options)) return second().then(({ glue, engine }) => engine.call(() => glue.workflowGraph(options)));
  return engine().call(() => glue.workflowGraph(options));
}
