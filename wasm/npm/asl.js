// `pollflow/asl` outside Node: Amazon States Language state machines run by the pollflow
// engine, their Task states bound to JavaScript handlers, the engine loaded by `init` or
// `initSync` (as `pollflow`'s). A second build of the engine (dist-asl), so that `pollflow`
// alone stays small. Node loads asl.node.js, which loads it at import. This file only checks
// options and adapts; see asl.d.ts.
import * as glue from './dist-asl/pollflow_wasm.js';
import { after, checkOptions, control, limits, loader, macrotask, randomSeed, read } from './execution.js';

const { init: load, initSync, engine } = loader(glue, 'pollflow/asl');

/** Loads the engine from `source`, by default the package's own ASL .wasm. See asl.d.ts. */
export const init = (source = new URL('./dist-asl/pollflow_wasm_bg.wasm', import.meta.url)) => load(source);
export { initSync };
export { retryAfterMs } from './retry-after.js';

const describe = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The latest time a JS `Date` holds (ms since the epoch): the latest simulated start. */
const MAX_DATE_MS = 8.64e15;

/** The definition as JSON text: an object, or JSON text already. */
function definitionText(definition) {
  if (typeof definition === 'string') return definition;
  if (!isObject(definition)) {
    throw new TypeError(`definition must be an object or a JSON string, got ${describe(definition)}`);
  }
  let text;
  try {
    text = JSON.stringify(definition);
  } catch (e) {
    throw new TypeError(`definition is not JSON-serializable: ${e?.message ?? String(e)}`, { cause: e });
  }
  // `toJSON` may give something JSON cannot hold.
  if (typeof text !== 'string') throw new TypeError('definition is not JSON-serializable: its toJSON gave undefined');
  return text;
}

/** A number of milliseconds, finite, >= 0 and at most `max`. */
function millis(value, field, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== 'number') throw new TypeError(`${field} must be a number of milliseconds, got ${describe(value)}`);
  if (!(value >= 0 && value <= max)) throw new RangeError(`${field} must be a finite number >= 0 and <= ${max} (milliseconds), got ${value}`);
  return value;
}

/** `options.seed`: a whole number from 0 to 2^53 - 1; absent, a random one. */
function seed(value) {
  if (value === undefined || value === null) return randomSeed();
  if (typeof value !== 'number') throw new TypeError(`options.seed must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`options.seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${value}`);
  }
  return value;
}

/** Sets `object[key]` as an own property, even for the key "__proto__" (a state may be named so). */
function own(object, key, value) {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The own enumerable entries of `object`; a getter or proxy trap that throws is a TypeError naming `field`. */
function entries(object, field) {
  try {
    return Object.entries(object);
  } catch (error) {
    throw new TypeError(`reading ${field} threw: ${error?.message ?? String(error)}`, { cause: error });
  }
}

/** `{ simulated, startMs }` from `options.simulatedTime`: a boolean, or the start in ms since the epoch. */
function simulation(simulatedTime) {
  if (simulatedTime === undefined || simulatedTime === false) return { simulated: false, startMs: 0 };
  if (simulatedTime === true) return { simulated: true, startMs: Date.now() };
  if (typeof simulatedTime !== 'number') {
    throw new TypeError(`options.simulatedTime must be a boolean or a start time in milliseconds since the epoch, got ${describe(simulatedTime)}`);
  }
  return { simulated: true, startMs: millis(simulatedTime, 'options.simulatedTime', MAX_DATE_MS) };
}

/** `options.waitOverrides` as JSON text. */
function waitOverrides(waits) {
  if (waits === undefined) return '{}';
  if (!isObject(waits)) throw new TypeError(`options.waitOverrides must be an object, got ${describe(waits)}`);
  const checked = {};
  for (const [state, ms] of entries(waits, 'options.waitOverrides')) {
    own(checked, state, millis(ms, `options.waitOverrides[${JSON.stringify(state)}]`));
  }
  return JSON.stringify(checked);
}

/**
 * The handlers, each call given a context whose `sleep` is `sleep(ms)` and counted by
 * `counted` (simulated time stands still while a handler runs, except in its own sleeps).
 */
function handlers(given, counted, sleep) {
  if (given === undefined) return undefined;
  if (!isObject(given)) throw new TypeError(`options.handlers must be an object, got ${describe(given)}`);
  const bound = {};
  for (const [key, handler] of entries(given, 'options.handlers')) {
    const field = `options.handlers[${JSON.stringify(key)}]`;
    if (typeof handler === 'function') {
      own(bound, key, counted(handler, sleep));
      continue;
    }
    const [submit, check, cancel] = isObject(handler)
      ? ['submit', 'check', 'cancel'].map((name) => read(handler, name, `${field}.${name}`))
      : [];
    if (typeof submit !== 'function' || typeof check !== 'function') {
      throw new TypeError(`${field} must be a function, or an object with submit and check functions`);
    }
    if (cancel !== undefined && typeof cancel !== 'function') {
      throw new TypeError(`${field}.cancel must be a function, got ${describe(cancel)}`);
    }
    const job = { submit: counted(submit, sleep), check: counted(check, sleep) };
    if (cancel) job.cancel = counted(cancel, sleep);
    own(bound, key, job);
  }
  return bound;
}

/** Starts an execution of an ASL state machine. See asl.d.ts. */
export function runAsl(definition, options = {}) {
  const started = engine();
  const signal = checkOptions(options);
  const text = definitionText(definition);
  const { simulated, startMs } = simulation(read(options, 'simulatedTime', 'options.simulatedTime'));
  let execution;
  let parked = false;
  // Simulated time jumps to the next deadline when the run waits and no handler call is
  // running outside its own `context.sleep`.
  let running = 0;
  const idle = () => simulated && macrotask(() => {
    if (parked && running === 0) control(execution, (e) => e.advanceClock());
  });
  /** `f` called with a context of its own, the call counted in `running` while it counts. */
  const counted = (f, sleep) => async (...args) => {
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
        const slept = sleep(millis(ms, 'sleep(ms)'));
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
  const sleep = simulated
    ? (ms) => new Promise((resolve) => {
      // After the run, its clock no longer moves: a sleep ends at once.
      if (ended) return resolve();
      const wake = () => {
        sleepers.delete(wake);
        resolve();
      };
      sleepers.add(wake);
      control(execution, (e) => e.sleepFor(ms, wake));
    })
    : (ms) => new Promise((resolve) => after(Date.now() + ms, ms, resolve));
  const bound = handlers(read(options, 'handlers', 'options.handlers'), counted, sleep);
  const input = read(options, 'input', 'options.input');
  const waits = waitOverrides(read(options, 'waitOverrides', 'options.waitOverrides'));
  const seeded = seed(read(options, 'seed', 'options.seed'));
  const bounds = limits(options);
  const onPark = simulated
    ? (resumed) => {
      parked = true;
      resumed.then(() => { parked = false; });
      idle();
    }
    : undefined;
  const onEnd = () => {
    ended = true;
    for (const wake of sleepers) wake();
  };
  execution = started.start(() => glue.startAsl(text, input === undefined ? {} : input, bound, waits, simulated, startMs, seeded, bounds), signal, { onPark, onEnd });
  return execution;
}

/** Every problem of a definition: `{ valid, problems: [{ state, path, reason }] }`. */
export function validateAsl(definition) {
  const started = engine();
  const text = definitionText(definition);
  return JSON.parse(started.call(() => glue.validateAsl(text)));
}

/** The definition drawn as a Mermaid flowchart (default) or a Graphviz DOT graph. */
export function aslGraph(definition, options = {}) {
  const started = engine();
  checkOptions(options);
  const given = read(options, 'format', 'options.format');
  const format = given === undefined ? 'mermaid' : given;
  if (typeof format !== 'string') throw new TypeError(`options.format must be 'mermaid' or 'dot', got ${describe(format)}`);
  const text = definitionText(definition);
  return started.call(() => glue.aslGraph(text, format));
}
