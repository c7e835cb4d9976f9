// Runs the ASL conformance corpus (../cases/*.json) through the npm package (`pollflow/asl`,
// built by scripts/build-npm.sh) as core/tests/asl_conformance.rs runs it through the Rust
// engine: every key of a case's `tasks` bound as a handler, the input as given (null when
// absent), simulated time from 2024-01-01T00:00:00Z (a task's `delay` sleeps on it), and the
// output, error, cause, status and virtual time taken compared with Step Functions'.
//
// The npm package must agree with the Rust engine: a difference is explained by an entry of
// ../known-differences.json for engine "npm" or "pollflow".
//
// Usage: node run.mjs [--verbose] [CASE_NAME...]
// Exit status: 0 when every difference is explained, 1 otherwise.

import { runAsl } from 'pollflow/asl';
import { START_MS, main, makeHandler } from '../corpus.mjs';

const OUTCOMES = { SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'timed out', ABORTED: 'aborted' };

async function runCase(c) {
  const handlers = {};
  for (const [key, behaviour] of Object.entries(c.tasks ?? {})) {
    handlers[key] = makeHandler(behaviour, (ms, context) => context.sleep(ms));
  }
  let execution;
  try {
    execution = runAsl(c.definition, { input: c.input ?? null, handlers, simulatedTime: START_MS });
  } catch (e) {
    return { kind: 'rejected', message: `${e.name}: ${e.message}` };
  }
  let last;
  for await (const event of execution) last = event;
  const outcome = await execution.outcome;
  const elapsed = (last.timestamp_ms - START_MS) / 1000;
  const { error } = outcome;
  return { kind: OUTCOMES[outcome.status], output: outcome.output, error: error?.error, cause: error?.cause, elapsed };
}

await main('npm', ['npm', 'pollflow'], runCase);
