// `pollflow/asl`: Amazon States Language state machines run by the pollflow engine, their Task
// states bound to JavaScript handlers. A second build of the engine (dist-asl), so that
// `pollflow` alone stays small. This file only checks options and adapts; see asl.d.ts.
import * as glue from './dist-asl/pollflow_wasm.js';
import { checkOptions, connect } from './execution.js';

const wrap = await connect(glue, new URL('./dist-asl/pollflow_wasm_bg.wasm', import.meta.url));

const describe = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The definition as JSON text: an object, or JSON text already. */
function definitionText(definition) {
  if (typeof definition === 'string') return definition;
  if (!isObject(definition)) {
    throw new TypeError(`definition must be an object or a JSON string, got ${describe(definition)}`);
  }
  try {
    return JSON.stringify(definition);
  } catch (e) {
    throw new TypeError(`definition is not JSON-serializable: ${e.message}`);
  }
}

/** A number of milliseconds, finite and >= 0. */
function millis(value, field) {
  if (typeof value !== 'number') throw new TypeError(`${field} must be a number of milliseconds, got ${describe(value)}`);
  if (!(value >= 0 && value < Infinity)) throw new RangeError(`${field} must be a finite number >= 0 (milliseconds), got ${value}`);
  return value;
}

/** `{ simulated, startMs }` from `options.simulatedTime`: a boolean, or the start in ms since the epoch. */
function simulation(simulatedTime) {
  if (simulatedTime === undefined || simulatedTime === false) return { simulated: false, startMs: 0 };
  if (simulatedTime === true) return { simulated: true, startMs: Date.now() };
  if (typeof simulatedTime !== 'number') {
    throw new TypeError(`options.simulatedTime must be a boolean or a start time in milliseconds since the epoch, got ${describe(simulatedTime)}`);
  }
  return { simulated: true, startMs: millis(simulatedTime, 'options.simulatedTime') };
}

/** `options.waitOverrides` as JSON text. */
function waitOverrides(waits) {
  if (waits === undefined) return '{}';
  if (!isObject(waits)) throw new TypeError(`options.waitOverrides must be an object, got ${describe(waits)}`);
  for (const [state, ms] of Object.entries(waits)) millis(ms, `options.waitOverrides[${JSON.stringify(state)}]`);
  return JSON.stringify(waits);
}

/**
 * The handlers, each call counted in `calls.running` (simulated time stands still while a
 * handler runs) and given a context whose `sleep` is on the execution's clock.
 */
function handlers(given, calls, context) {
  if (given === undefined) return undefined;
  if (!isObject(given)) throw new TypeError(`options.handlers must be an object, got ${describe(given)}`);
  const counted = (f) => async (...args) => {
    calls.running += 1;
    try {
      return await f(...args, context);
    } finally {
      calls.running -= 1;
      calls.idle();
    }
  };
  const bound = {};
  for (const [key, handler] of Object.entries(given)) {
    const field = `options.handlers[${JSON.stringify(key)}]`;
    if (typeof handler === 'function') {
      bound[key] = counted(handler);
    } else if (isObject(handler) && typeof handler.submit === 'function' && typeof handler.check === 'function') {
      if (handler.cancel !== undefined && typeof handler.cancel !== 'function') {
        throw new TypeError(`${field}.cancel must be a function`);
      }
      bound[key] = { submit: counted(handler.submit), check: counted(handler.check) };
      if (handler.cancel) bound[key].cancel = counted(handler.cancel);
    } else {
      throw new TypeError(`${field} must be a function, or an object with submit and check functions`);
    }
  }
  return bound;
}

/** Runs `f` once the event loop is idle (after every pending promise reaction). */
const whenIdle = globalThis.setImmediate ?? ((f) => setTimeout(f, 0));

/** Starts an execution of an ASL state machine. See asl.d.ts. */
export function runAsl(definition, options = {}) {
  checkOptions(options);
  const text = definitionText(definition);
  const { simulated, startMs } = simulation(options.simulatedTime);
  let execution;
  let parked = false;
  // Simulated time jumps to the next deadline when the run waits and no handler runs (a
  // handler in `context.sleep` does not count).
  const calls = {
    running: 0,
    idle: () => simulated && whenIdle(() => {
      if (parked && calls.running <= 0) execution.advanceClock();
    }),
  };
  const context = {
    sleep: simulated
      ? (ms) => {
        calls.running -= 1;
        calls.idle();
        return new Promise((resolve) => execution.sleepFor(millis(ms, 'sleep(ms)'), resolve))
          .finally(() => { calls.running += 1; });
      }
      : (ms) => new Promise((resolve) => setTimeout(resolve, millis(ms, 'sleep(ms)'))),
  };
  const bound = handlers(options.handlers, calls, context);
  execution = glue.startAsl(text, options.input === undefined ? {} : options.input, bound, waitOverrides(options.waitOverrides), simulated, startMs);
  const onPark = simulated
    ? (resumed) => {
      parked = true;
      resumed.then(() => { parked = false; });
      calls.idle();
    }
    : undefined;
  return wrap(execution, options.signal, onPark);
}

/** Every problem of a definition: `{ valid, problems: [{ state, path, reason }] }`. */
export function validateAsl(definition) {
  return JSON.parse(glue.validateAsl(definitionText(definition)));
}

/** The definition drawn as a Mermaid flowchart (default) or a Graphviz DOT graph. */
export function aslGraph(definition, options = {}) {
  checkOptions(options);
  const { format = 'mermaid' } = options;
  if (typeof format !== 'string') throw new TypeError(`options.format must be 'mermaid' or 'dot', got ${describe(format)}`);
  return glue.aslGraph(definitionText(definition), format);
}
