// Runs the ASL conformance corpus (../cases/*.json) through aws-local-stepfunctions and
// compares every result with the case's expected output or error (see ../README.md).
//
// Time is virtual: setTimeout, clearTimeout, Date.now and `new Date()` are replaced by a clock
// that jumps to the next timer whenever the execution is idle, so Wait states, retry
// intervals, task delays and timeouts take no real time, and elapsed time can be compared.
//
// Usage: node run.mjs [--verbose] [CASE_NAME...]
// Exit status: 0 when every difference is listed in ../known-differences.json, 1 otherwise.

import { START_MS, main, makeHandler, taskStates } from '../corpus.mjs';

const ENGINE = 'aws-local-stepfunctions';

// ---------------------------------------------------------------- Node 20 polyfill
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// ---------------------------------------------------------------- virtual time
const real = { setTimeout, clearTimeout, setImmediate, Date };
let now = START_MS;
let timers = []; // { id, at, seq, fn, args }
let nextId = 1;
let seq = 0;

class VirtualTimeout {
  constructor(id) {
    this.id = id;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  hasRef() {
    return true;
  }
  [Symbol.toPrimitive]() {
    return this.id;
  }
}

globalThis.setTimeout = (fn, ms = 0, ...args) => {
  const id = nextId++;
  const delay = Math.max(0, Number(ms) || 0);
  timers.push({ id, at: now + delay, seq: seq++, fn, args });
  return new VirtualTimeout(id);
};
globalThis.clearTimeout = (handle) => {
  const id = handle instanceof VirtualTimeout ? handle.id : Number(handle);
  timers = timers.filter((t) => t.id !== id);
};
class VirtualDate extends real.Date {
  constructor(...args) {
    if (args.length === 0) super(now);
    else super(...args);
  }
  static now() {
    return now;
  }
}
globalThis.Date = VirtualDate;

/** Fires the earliest timer, advancing the clock to it; false when none is left. */
function fireNext() {
  if (timers.length === 0) return false;
  let best = 0;
  for (let i = 1; i < timers.length; i++) {
    const t = timers[i];
    const b = timers[best];
    if (t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
  }
  const [timer] = timers.splice(best, 1);
  now = Math.max(now, timer.at);
  timer.fn(...timer.args);
  return true;
}

/**
 * Settles `promise` on virtual time: every macrotask turn (when the microtask queue is empty,
 * so the execution is waiting on a timer) fires the next timer.
 */
function settle(promise) {
  return new Promise((resolve) => {
    let done = false;
    let idle = 0;
    promise.then(
      (value) => {
        done = true;
        resolve({ ok: true, value });
      },
      (error) => {
        done = true;
        resolve({ ok: false, error });
      },
    );
    const tick = () => {
      if (done) return;
      if (fireNext()) idle = 0;
      else if (++idle > 1000) {
        done = true;
        resolve({ ok: false, error: new Error('hung: the execution waits on nothing') });
        return;
      }
      real.setImmediate(tick);
    };
    real.setImmediate(tick);
  });
}

// ---------------------------------------------------------------- running
/** A task's delay, on the virtual `setTimeout`. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runCase(StateMachine, c) {
  timers = [];
  now = START_MS;
  const handlers = new Map();
  const overrides = {};
  for (const { name, resource } of taskStates(c.definition)) {
    const key = name in (c.tasks ?? {}) ? name : resource;
    const behaviour = c.tasks?.[key];
    if (!behaviour) continue;
    if (!handlers.has(key)) handlers.set(key, makeHandler(behaviour, sleep));
    overrides[name] = handlers.get(key);
  }
  let machine;
  try {
    machine = new StateMachine(c.definition);
  } catch (e) {
    return { kind: 'rejected', message: String(e.message ?? e).replaceAll('\n', ' ') };
  }
  const started = now;
  let execution;
  try {
    execution = machine.run(structuredClone(c.input), { overrides: { taskResourceLocalHandlers: overrides } });
  } catch (e) {
    return { kind: 'failed', error: e.name, cause: e.message, elapsed: 0 };
  }
  const settled = await settle(execution.result);
  const elapsed = (now - started) / 1000;
  if (settled.ok) return { kind: 'succeeded', output: settled.value, elapsed };
  const e = settled.error;
  if (e?.name === 'ExecutionTimeoutError') return { kind: 'timed out', error: 'States.Timeout', elapsed };
  const inner = e?.name === 'ExecutionError' && e.cause ? e.cause : e;
  return { kind: 'failed', error: inner?.name, cause: inner?.message, elapsed };
}

const { StateMachine } = await import('aws-local-stepfunctions');
await main(ENGINE, [ENGINE], (c) => runCase(StateMachine, c));
