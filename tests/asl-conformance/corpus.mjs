// What every JavaScript runner of the corpus shares (see README.md): reading the cases and
// known-differences.json, the declarative task behaviours, and comparing a result with what
// Step Functions does. A result ("got") is {kind: 'rejected', message} or {kind: 'succeeded',
// output, elapsed} or {kind: 'failed' | 'timed out', error, cause, elapsed}.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const repo = join(root, '..', '..');

/** Where every runner's virtual clock starts: 2024-01-01T00:00:00Z. */
export const START_MS = Date.parse('2024-01-01T00:00:00Z');

/** Every case, in file-name order (a file holds one case or an array of them). */
export function loadCases() {
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

/**
 * The entries of known-differences.json for `engines`, by case name, and the file's problems
 * (unknown cases or engines, no "why", anchors missing from docs/asl-compatibility.md).
 */
export function loadKnownDifferences(cases, engines) {
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
    if (engines.includes(e.engine)) known.set(e.case, e);
  }
  return { known, problems };
}

/**
 * A handler for one declarative behaviour; `calls` is shared by every state bound to the key.
 * `sleep(ms)` takes the (virtual) time of a `delay`.
 */
export function makeHandler(behaviour, sleep) {
  let calls = 0;
  return async (input, ...rest) => {
    calls += 1;
    return perform(behaviour, input, calls, (ms) => sleep(ms, ...rest));
  };
}

async function perform(behaviour, input, call, sleep) {
  if ('sequence' in behaviour) {
    const steps = behaviour.sequence;
    return perform(steps[Math.min(call, steps.length) - 1], input, call, sleep);
  }
  if ('delay' in behaviour) {
    await sleep(behaviour.delay * 1000);
    return perform(behaviour.then ?? { echo: true }, input, call, sleep);
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
export function taskStates(definition, found = []) {
  for (const [name, state] of Object.entries(definition?.States ?? {})) {
    if (state.Type === 'Task') found.push({ name, resource: state.Resource });
    for (const branch of state.Branches ?? []) taskStates(branch, found);
    if (state.ItemProcessor) taskStates(state.ItemProcessor, found);
    if (state.Iterator) taskStates(state.Iterator, found);
  }
  return found;
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
export function difference(expected, got) {
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

/**
 * Runs the cases named on the command line (all by default; `--verbose` prints each) with
 * `runCase(c)` → got, applies the known differences of `engines`, prints the summary line as
 * `name`, and sets the exit code: 1 on any unexplained difference.
 */
export async function main(name, engines, runCase) {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const only = args.filter((a) => !a.startsWith('--'));
  const all = loadCases();
  const { known, problems } = loadKnownDifferences(all, engines);
  let passed = 0;
  let knownCount = 0;
  const unexplained = [...problems];
  for (const c of all.filter((c) => only.length === 0 || only.includes(c.name))) {
    const got = await runCase(c);
    const diff = difference(c.expected, got);
    const entry = known.get(c.name);
    if (diff === null && !entry) {
      passed += 1;
      if (verbose) console.log(`ok       ${c.name}`);
    } else if (diff === null) {
      unexplained.push(`${c.name}: listed as a known difference, but ${name} now matches: remove the entry`);
    } else if (entry) {
      knownCount += 1;
      if (verbose) console.log(`known    ${c.name}: ${diff}`);
    } else {
      unexplained.push(`${c.name}: ${diff}`);
    }
  }
  for (const line of unexplained) console.log(`DIFFERS  ${line}`);
  console.log(
    `asl conformance (${name}): ${passed} passed, ${knownCount} known differences, ${unexplained.length} unexplained`,
  );
  process.exitCode = unexplained.length === 0 ? 0 : 1;
}
