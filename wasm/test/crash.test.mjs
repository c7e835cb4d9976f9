// A trap in the engine (stack overflow, `unreachable`, memory access out of bounds) fails the
// work it was doing and every execution in flight on that instance, with a clear error; later
// calls run on a new instance; nothing escapes uncaught, even after garbage collection.
//
// The engine's limits (depth, size) end hostile runs cleanly before they can trap; to trap for
// sure, the tests point one call of the glue's Execution at an address outside the engine's
// memory (`trapNext`), as a corrupted instance would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runAsl, validateAsl } from 'pollflow/asl';
// The module pollflow/asl loaded (the same file).
import * as glue from '../npm/dist-asl/pollflow_wasm.js';

setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? runInNewContext('gc');

/** Collects garbage and lets finalizers, timers and promise reactions run. */
async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Whatever escapes (an uncaught exception, an unhandled rejection) fails the test it happens in.
const escaped = [];
process.on('uncaughtException', (error) => escaped.push(error));
process.on('unhandledRejection', (error) => escaped.push(error));

/** Makes the next call of the glue's `Execution.prototype[method]` trap (out-of-bounds memory). */
function trapNext(method) {
  const proto = glue.Execution.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, method);
  const original = descriptor.value ?? descriptor.get;
  const outside = Object.create(proto);
  outside.__wbg_ptr = 0xfffffff0;
  const trapping = function trapping(...args) {
    Object.defineProperty(proto, method, descriptor);
    return original.apply(outside, args);
  };
  Object.defineProperty(proto, method, descriptor.value ? { ...descriptor, value: trapping } : { ...descriptor, get: trapping });
}

const pass = (input) => runAsl({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, { input });
const LAMBDA = 'arn:aws:lambda:us-east-1:1:function:f';
const task = (states = {}) => ({ StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, End: true }, ...states } });

/** `promise`'s rejection (fails if it resolves). */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

/** Asserts `error` is the engine's crash error: `doing` in its message, the trap as cause. */
function assertCrash(error, doing) {
  assert.ok(error instanceof Error);
  assert.match(error.message, new RegExp(`^pollflow: the engine crashed ${doing} \\(.+\\); later calls run on a new instance$`));
  assert.ok(error.cause instanceof Error, 'the trap as cause');
}

test('three runs that hit a depth or size limit, then a normal run succeeds; Node stays up', async () => {
  // The adversarial review's definition (a 5,000-step ResultPath overflowed the stack before
  // the engine had limits) is refused when it loads: nothing runs.
  const deepPath = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 1, ResultPath: `$${'.a'.repeat(5000)}`, End: true } } };
  assert.throws(() => runAsl(deepPath, {}), (error) => error instanceof TypeError && /^definition is not a valid state machine/.test(error.message));
  // Limits reached while running: data nested 100 levels deeper on each pass (the depth limit),
  // data doubled on each state (the payload limit).
  const nesting = { StartAt: 'P', States: { P: { Type: 'Pass', ResultPath: `$${'.a'.repeat(100)}`, Next: 'P' } } };
  const doubling = { StartAt: 'P0', States: {} };
  for (let i = 0; i < 32; i++) {
    doubling.States[`P${i}`] = { Type: 'Pass', Parameters: { 'a.$': '$', 'b.$': '$' }, ...(i < 31 ? { Next: `P${i + 1}` } : { End: true }) };
  }
  const limited = [
    [nesting, {}, /^the result placed at ResultPath/],
    [doubling, 'x'.repeat(100), /larger than the payload limit of 262144 bytes/],
    [nesting, { b: [1, 2, 3] }, /^the result placed at ResultPath/],
  ];
  for (const [definition, input, cause] of limited) {
    const outcome = await runAsl(definition, { input }).outcome;
    assert.equal(outcome.status, 'FAILED', JSON.stringify(outcome).slice(0, 300));
    assert.equal(outcome.error.error, 'States.DataLimitExceeded');
    assert.match(outcome.error.cause, cause);
    // Iterated, it ends the same way, with every event delivered.
    const events = [];
    for await (const event of runAsl(definition, { input })) events.push(event);
    assert.equal(events.at(-1).type, 'ExecutionFailed');
    assert.equal(events.at(-1).error.error, 'States.DataLimitExceeded');
  }
  assert.equal(await pass(1).result(), 1);
  // Executions nobody consumes: the finalizer frees them in their (sound) instance.
  for (let i = 0; i < 5; i++) pass(i);
  await collectGarbage();
  assert.equal(await pass(2).result(), 2);
  assert.deepEqual(escaped, []);
});

test('a trap fails its run and every run in flight on that instance, and later runs work', { timeout: 20_000 }, async () => {
  const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  // On the host's time: parked on a long timer, iterated.
  const waiting = runAsl({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } }, {});
  const waitingEvents = [];
  const iterating = (async () => { for await (const event of waiting) waitingEvents.push(event); })();
  // Parked on a handler's promise that settles after the crash.
  let settleLate;
  const late = new Promise((resolve) => { settleLate = resolve; });
  const awaiting = runAsl(task(), { handlers: { [LAMBDA]: () => late } });
  const awaitingOutcome = awaiting.outcome;
  // Started, never polled yet.
  const idle = runAsl(task(), { handlers: { [LAMBDA]: () => 1 } });
  const idleIterated = runAsl(task(), { handlers: { [LAMBDA]: () => 1 } });
  // The one whose poll traps: its handler arms the trap, so that its next poll is the one.
  const victim = runAsl(task(), { handlers: { [LAMBDA]: async () => { trapNext('poll'); return 1; } } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(waitingEvents.at(-1)?.type, 'WaitStarted');

  const error = await rejection((async () => { for await (const _ of victim); })());
  assertCrash(error, 'running this execution');
  assert.ok(error.cause instanceof WebAssembly.RuntimeError, String(error.cause));
  assert.equal(await rejection(victim.outcome), error);

  // The others end too, instead of waiting for good.
  assertCrash(await rejection(iterating), 'and lost this execution');
  assertCrash(await rejection(waiting.outcome), 'and lost this execution');
  assertCrash(await rejection(awaitingOutcome), 'and lost this execution');
  assertCrash(await rejection(idle.result()), 'and lost this execution');
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'the crashed instance\'s timers are cleared');
  assertCrash(await rejection((async () => { for await (const _ of idleIterated); })()), 'and lost this execution');
  // A promise the crashed instance awaited settles into nothing; aborting a lost run does nothing.
  settleLate(1);
  waiting.abort();
  idle.abort();

  // A new instance: runs, validation.
  assert.equal(await pass('again').result(), 'again');
  assert.equal(validateAsl(task()).valid, true);
  assert.equal(await runAsl(task(), { handlers: { [LAMBDA]: async (n) => n + 1 }, input: 1 }).result(), 2);
  await collectGarbage();
  assert.equal(await pass('after gc').result(), 'after gc');
  assert.deepEqual(escaped, []);
});

test('a trap in a call a callback makes ends the run that called back, and the instance', async () => {
  const other = runAsl({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } }, {});
  const otherOutcome = other.outcome;
  await new Promise((resolve) => setTimeout(resolve, 10));
  // The handler aborts `other` from inside the engine's poll of `caller`; that abort traps.
  const caller = runAsl(task(), {
    handlers: {
      [LAMBDA]: () => {
        trapNext('abort');
        other.abort();
        return 'returned';
      },
    },
  });
  assertCrash(await rejection(caller.outcome), 'and lost this execution');
  assertCrash(await rejection(otherOutcome), 'and lost this execution');
  assert.equal(await pass(3).result(), 3);
  await collectGarbage();
  assert.deepEqual(escaped, []);
});

test('a trap while a finished execution is freed leaves its outcome, and later runs work', async () => {
  const done = runAsl(task(), { handlers: { [LAMBDA]: () => { trapNext('free'); return 'kept'; } } });
  assert.equal(await done.result(), 'kept');
  assert.equal(await pass(4).result(), 4);
  await collectGarbage();
  assert.deepEqual(escaped, []);
});
