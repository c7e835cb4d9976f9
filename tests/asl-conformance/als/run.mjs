// Runs the ASL conformance corpus (../cases/*.json) through aws-local-stepfunctions and
// compares every result with the case's expected output or error (see ../README.md).
//
// Time is virtual: setTimeout, clearTimeout, Date.now and `new Date()` are replaced by a clock
// that jumps to the next timer whenever the execution is idle, so Wait states, retry
// intervals, task delays and timeouts take no real time, and elapsed time can be compared.
//
// Usage: node run.mjs [--verbose] [CASE_NAME...]
// Exit status: 0 when every difference is listed in ../known-differences.json, 1 otherwise.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENGINE = 'aws-local-stepfunctions';
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const repo = join(root, '..', '..');

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
const START_MS = Date.parse('2024-01-01T00:00:00Z');
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

// ---------------------------------------------------------------- the corpus
function loadCases() {
  const dir = join(root, 'cases');
  const cases = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const c of Array.isArray(parsed) ? parsed : [parsed]) cases.push({ ...c, file });
  }
  const names = new Set();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
  }
  return cases;
}

function loadKnownDifferences(cases) {
  const entries = JSON.parse(readFileSync(join(root, 'known-differences.json'), 'utf8'));
  const doc = readFileSync(join(repo, 'docs', 'asl-compatibility.md'), 'utf8');
  const names = new Set(cases.map((c) => c.name));
  const problems = [];
  const known = new Map();
  for (const e of entries) {
    if (!names.has(e.case)) problems.push(`known-differences.json names no case ${JSON.stringify(e.case)}`);
    if (!['pollflow', 'aws-local-stepfunctions', 'npm'].includes(e.engine)) {
      problems.push(`${e.case}: unknown engine ${JSON.stringify(e.engine)}`);
    }
    if (!e.why) problems.push(`${e.case}: no "why"`);
    const anchor = /^docs\/asl-compatibility\.md#([A-Za-z0-9_-]+)$/.exec(e.doc ?? '');
    if (!anchor) problems.push(`${e.case}: "doc" must be docs/asl-compatibility.md#ANCHOR, not ${JSON.stringify(e.doc)}`);
    else if (!doc.includes(`<a id="${anchor[1]}"></a>`)) {
      problems.push(`${e.case}: docs/asl-compatibility.md has no <a id="${anchor[1]}"></a>`);
    }
    if (e.engine === ENGINE) known.set(e.case, e);
  }
  return { known, problems };
}

// ---------------------------------------------------------------- task behaviours
/** A handler for one declarative behaviour; `calls` is shared by every state bound to the key. */
function makeHandler(behaviour) {
  let calls = 0;
  return async (input) => {
    calls += 1;
    return perform(behaviour, input, calls);
  };
}

async function perform(behaviour, input, call) {
  if ('sequence' in behaviour) {
    const steps = behaviour.sequence;
    return perform(steps[Math.min(call, steps.length) - 1], input, call);
  }
  if ('delay' in behaviour) {
    await new Promise((resolve) => setTimeout(resolve, behaviour.delay * 1000));
    return perform(behaviour.then ?? { echo: true }, input, call);
  }
  if (behaviour.echo) return input;
  if ('return' in behaviour) return structuredClone(behaviour.return);
  if ('fail' in behaviour) {
    const error = new Error(behaviour.fail.cause ?? '');
    error.name = behaviour.fail.error;
    throw error;
  }
  throw new Error(`unknown task behaviour ${JSON.stringify(behaviour)}`);
}

/** Task states of a definition, Parallel branches and Map processors included. */
function taskStates(definition, found = []) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    if (state.Type === 'Task') found.push({ name, resource: state.Resource });
    for (const branch of state.Branches ?? []) taskStates(branch, found);
    if (state.ItemProcessor) taskStates(state.ItemProcessor, found);
    if (state.Iterator) taskStates(state.Iterator, found);
  }
  return found;
}

// ---------------------------------------------------------------- running and comparing
async function runCase(StateMachine, c) {
  timers = [];
  now = START_MS;
  const handlers = new Map();
  const overrides = {};
  for (const { name, resource } of taskStates(c.definition)) {
    const key = name in (c.tasks ?? {}) ? name : resource;
    const behaviour = c.tasks?.[key];
    if (!behaviour) continue;
    if (!handlers.has(key)) handlers.set(key, makeHandler(behaviour));
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

function jsonEqual(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** Why the result differs from the case's expectation, or null when it matches. */
function difference(expected, got) {
  const show = (v) => JSON.stringify(v);
  if (got.kind === 'rejected') return `definition rejected: ${got.message}`;
  const problems = [];
  if ('output' in expected) {
    if (got.kind !== 'succeeded') {
      problems.push(`expected output ${show(expected.output)}, got ${got.kind} ${got.error}: ${got.cause ?? ''}`);
    } else if (!jsonEqual(expected.output, got.output)) {
      problems.push(`expected output ${show(expected.output)}, got ${show(got.output)}`);
    }
  } else {
    const status = expected.status ?? 'FAILED';
    const gotStatus = { failed: 'FAILED', 'timed out': 'TIMED_OUT', succeeded: 'SUCCEEDED' }[got.kind];
    if (got.kind === 'succeeded') {
      problems.push(`expected error ${expected.error}, got output ${show(got.output)}`);
    } else {
      if (got.error !== expected.error) problems.push(`expected error ${expected.error}, got ${got.error}: ${got.cause ?? ''}`);
      else if ('cause' in expected && got.cause !== expected.cause) {
        problems.push(`expected cause ${show(expected.cause)}, got ${show(got.cause)}`);
      }
      if (gotStatus !== status) problems.push(`expected status ${status}, got ${gotStatus}`);
    }
  }
  if (problems.length === 0 && 'elapsedSeconds' in expected) {
    const want = expected.elapsedSeconds;
    const [lo, hi] = Array.isArray(want) ? want : [want, want];
    if (!(got.elapsed >= lo - 1e-9 && got.elapsed <= hi + 1e-9)) {
      problems.push(`expected ${show(want)} s of virtual time, took ${got.elapsed} s`);
    }
  }
  return problems.length ? problems.join('; ') : null;
}

async function main() {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const only = args.filter((a) => !a.startsWith('--'));
  const { StateMachine } = await import('aws-local-stepfunctions');
  const cases = loadCases().filter((c) => only.length === 0 || only.includes(c.name));
  const { known, problems } = loadKnownDifferences(loadCases());
  let passed = 0;
  let knownCount = 0;
  const unexplained = [...problems];
  for (const c of cases) {
    const got = await runCase(StateMachine, c);
    const diff = difference(c.expected, got);
    const entry = known.get(c.name);
    if (diff === null && !entry) {
      passed += 1;
      if (verbose) console.log(`ok       ${c.name}`);
    } else if (diff === null) {
      unexplained.push(`${c.name}: listed as a known difference, but ${ENGINE} now matches: remove the entry`);
    } else if (entry) {
      knownCount += 1;
      if (verbose) console.log(`known    ${c.name}: ${diff}`);
    } else {
      unexplained.push(`${c.name}: ${diff}`);
    }
  }
  for (const line of unexplained) console.log(`DIFFERS  ${line}`);
  console.log(
    `asl conformance (${ENGINE}): ${passed} passed, ${knownCount} known differences, ${unexplained.length} unexplained`,
  );
  process.exitCode = unexplained.length === 0 ? 0 : 1;
}

await main();
