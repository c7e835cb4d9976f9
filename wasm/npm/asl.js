// `pollflow/asl` outside Node: Amazon States Language state machines run by the pollflow
// engine, their Task states bound to JavaScript handlers, the engine loaded by `init` or
// `initSync` (as `pollflow`'s). A second build of the engine (dist-asl), so that `pollflow`
// alone stays small. Node loads asl.node.js, which loads it at import. This file only adapts:
// the engine reads and checks the definition and the options (wasm/src/asl/options.rs), as it
// does `pollflow`'s; see asl.d.ts.
import * as glue from './dist-asl/pollflow_wasm.js';
import { Loading, after, checkOptions, checkpointText, control, loader, macrotask, randomSeed, read } from './execution.js';

const { init: load, initSync, engine } = loader(glue, 'pollflow/asl');

/** Loads the engine from `source`, by default the package's own ASL .wasm. See asl.d.ts. */
export const init = (source = new URL('./dist-asl/pollflow_wasm_bg.wasm', import.meta.url)) => load(source);
export { initSync };
export { retryAfterMs } from './retry-after.js';

/**
 * `context.sleep(ms)`'s `ms`: a number of milliseconds, finite, >= 0 and at most 2^53 - 1 (the
 * engine's check of every duration option, wasm/src/fields.rs `millis_value`, with its
 * messages). A handler's call, not an option: it is checked where it is made, in JS.
 */
function millis(ms) {
  if (typeof ms !== 'number') throw new TypeError(`sleep(ms) must be a number of milliseconds, got ${ms === null ? 'null' : Array.isArray(ms) ? 'array' : typeof ms}`);
  if (!(ms >= 0 && ms <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`sleep(ms) must be a finite number >= 0 and <= ${Number.MAX_SAFE_INTEGER} (milliseconds), got ${ms}`);
  return ms;
}

/** Starts an execution of an ASL state machine. See asl.d.ts. */
export function runAsl(definition, options = {}) {
  checkOptions(options);
  if (usesJsonata(definition)) {
    return new Loading(jsonata().then((loaded) => () => begin(loaded.glue, loaded.engine, definition, options, undefined)));
  }
  if (read(options, 'push', 'options.push') === true) {
    return new Loading(second().then((loaded) => () => begin(loaded.glue, loaded.engine, definition, options, undefined)));
  }
  return begin(glue, engine(), definition, options, undefined);
}

/** The second engine (reads checkpoints, takes pushes), loaded once: `{ glue, engine }`. */
const second = () => import('./asl-resume.js').then((module) => module.load());

/** The JSONata engine (the second's, with JSONata), loaded once: `{ glue, engine }`. */
let jsonataLoaded;
const jsonata = () => import('./asl-jsonata.js')
  .then((module) => module.load())
  .then((loaded) => { jsonataLoaded = loaded; return loaded; });

/** Loads the JSONata engine ahead of use. See asl.d.ts. */
export const initJsonata = () => jsonata().then(() => undefined);

/**
 * Whether `definition` (JSON text or a value) declares a JSONata state: `"QueryLanguage":
 * "JSONata"` on the machine, or on a state of it, a Parallel branch or a Map processor. It then
 * runs on the JSONata engine. A definition that cannot be read is left to the engine to refuse.
 */
function usesJsonata(definition) {
  try {
    if (typeof definition !== 'string') return declaresJsonata(definition, 0);
    return definition.includes('JSONata') && declaresJsonata(JSON.parse(definition), 0);
  } catch {
    return false;
  }
}

/** Whether `machine` (a state machine, branch or processor, `depth` levels in) declares JSONata. */
function declaresJsonata(machine, depth) {
  if (depth > 64 || machine === null || typeof machine !== 'object') return false;
  if (machine.QueryLanguage === 'JSONata') return true;
  const states = machine.States;
  if (states === null || typeof states !== 'object') return false;
  return Object.values(states).some((state) => state !== null && typeof state === 'object' && (
    state.QueryLanguage === 'JSONata'
    || (Array.isArray(state.Branches) && state.Branches.some((branch) => declaresJsonata(branch, depth + 1)))
    || declaresJsonata(state.ItemProcessor ?? state.Iterator, depth + 1)));
}

/**
 * The engine that reads `definition` synchronously (`validateAsl`, `aslGraph`): the JSONata one
 * for a JSONata definition, which must be loaded first.
 */
function reader(definition, call) {
  if (!usesJsonata(definition)) return { glue, started: engine() };
  if (jsonataLoaded === undefined) {
    throw new Error(`${call} of a JSONata definition needs the JSONata engine: \`await initJsonata()\` first (runAsl and resumeAsl load it themselves)`);
  }
  return { glue: jsonataLoaded.glue, started: jsonataLoaded.engine };
}

/**
 * Continues an execution of an ASL state machine from its checkpoint. See asl.d.ts. It runs on
 * a second engine, the one that reads checkpoints (asl-resume.js, or asl-jsonata.js for a
 * JSONata definition), imported at the first call: the Execution returned waits for it, and
 * the engine's errors reach its events and outcome.
 */
export function resumeAsl(definition, checkpoint, options = {}) {
  checkOptions(options);
  const text = checkpointText(checkpoint);
  const loading = usesJsonata(definition) ? jsonata() : second();
  const starting = loading.then((loaded) => () => begin(loaded.glue, loaded.engine, definition, options, text));
  return new Loading(starting, text);
}

/** `runAsl`, or with `checkpoint` (JSON text) `resumeAsl`, on the engine `started` (of `glue`). */
function begin(glue, started, definition, options, checkpoint) {
  const signal = checkOptions(options);
  let execution;
  let simulated = false;
  let parked = false;
  // Simulated time jumps to the next deadline when the run waits and no handler call is
  // running outside its own `context.sleep`.
  let running = 0;
  const idle = () => simulated && macrotask(() => {
    if (parked && running === 0) control(execution, (e) => e.advanceClock());
  });
  /** `f` called with a context of its own, the call counted in `running` while it counts. */
  const counted = (f) => async (...args) => {
    const call = { active: true, sleeping: 0, counts: false };
    const recount = () => {
      const counts = call.active && call.sleeping === 0;
      if (counts === call.counts) return;
      call.counts = counts;
      running += counts ? 1 : -1;
      if (!counts) idle();
    };
    recount();
    const context = {
      sleep(ms) {
        const slept = sleep(millis(ms));
        call.sleeping += 1;
        recount();
        return slept.finally(() => {
          call.sleeping -= 1;
          recount();
        });
      },
    };
    try {
      return await f(...args, context);
    } finally {
      call.active = false;
      recount();
    }
  };
  // Handlers' sleeps on simulated time; those still pending when the run ends end with it.
  const sleepers = new Set();
  let ended = false;
  const sleep = (ms) => (simulated
    ? new Promise((resolve) => {
      // After the run, its clock no longer moves: a sleep ends at once.
      if (ended) return resolve();
      const wake = () => {
        sleepers.delete(wake);
        resolve();
      };
      sleepers.add(wake);
      control(execution, (e) => e.sleepFor(ms, wake));
    })
    : new Promise((resolve) => after(Date.now() + ms, ms, resolve)));
  const onPark = (resumed) => {
    if (!simulated) return;
    parked = true;
    resumed.then(() => { parked = false; });
    idle();
  };
  const onEnd = () => {
    ended = true;
    for (const wake of sleepers) wake();
  };
  // A random seed only for a run given none (the engine checks a given one).
  const given = read(options, 'seed', 'options.seed');
  const seed = given === undefined || given === null ? randomSeed() : 0;
  execution = started.start(() => {
    const made = checkpoint === undefined ? glue.startAsl(definition, options, counted, seed) : glue.resumeAsl(definition, options, counted, seed, checkpoint);
    simulated = made.simulated;
    return made;
  }, signal, { onPark, onEnd });
  return execution;
}

/** Every problem of a definition: `{ valid, problems: [{ state, path, reason }] }`. */
export function validateAsl(definition) {
  const { glue, started } = reader(definition, 'validateAsl');
  return JSON.parse(started.call(() => glue.validateAsl(definition)));
}

/** The definition drawn as a Mermaid flowchart (default) or a Graphviz DOT graph. */
export function aslGraph(definition, options = {}) {
  const { glue, started } = reader(definition, 'aslGraph');
  checkOptions(options);
  return started.call(() => glue.aslGraph(definition, options));
}
