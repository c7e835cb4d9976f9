// The engine runs in the caller's thread: a run that never waits must still let timers, abort
// signals and other executions run, and keep its memory bounded. A limit on events ends such a
// run (as in Step Functions): the tests that need work going on for a while chain runs, one
// starting when the last ended (which hands over in microtasks, never letting the event loop
// run by itself), so they hold whatever that limit is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { run } from 'pollflow';
import { runAsl } from 'pollflow/asl';
import * as glue from '../npm/dist-asl/pollflow_wasm.js';

setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? runInNewContext('gc');

const passLoop = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A' } } };
const SYNC = 'arn:aws:states:::batch:submitJob.sync';
/** A `.sync` job that answers PENDING at once, asking to be checked again at once, on simulated time. */
const pendingForever = (signal) => runAsl(
  { StartAt: 'Job', States: { Job: { Type: 'Task', Resource: SYNC, End: true } } },
  { simulatedTime: true, signal, handlers: { [SYNC]: { submit: () => ({ id: 1 }), check: () => ({ status: 'PENDING', retryAfterMs: 0 }) } } },
);

/** Iterates `execution` in the background; `seen.events` counts its events so far. */
function iterate(execution) {
  const seen = { events: 0, ended: false };
  seen.done = (async () => {
    for await (const _ of execution) seen.events += 1;
    seen.ended = true;
  })();
  return seen;
}

/**
 * Runs `start()` again and again, each run iterated (or driven), until `stop()`:
 * `chain.events` counts the events so far (driven: the runs so far).
 */
function chain(start, iterated) {
  const state = { events: 0, stopped: false };
  let current;
  state.done = (async () => {
    while (!state.stopped) {
      current = start();
      if (iterated) for await (const _ of current) state.events += 1;
      else state.events += (await current.outcome) ? 1 : 0;
    }
  })();
  state.stop = () => {
    state.stopped = true;
    current.abort();
    return state.done;
  };
  return state;
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

for (const [name, start] of [['a Pass state looping on itself', (signal) => runAsl(passLoop, { signal })], ['a .sync check answering PENDING at once', pendingForever]]) {
  test(`an AbortSignal stops ${name}, driven or iterated`, async () => {
    const controller = new AbortController();
    const driven = start(controller.signal);
    const seen = iterate(start(controller.signal));
    const outcome = driven.outcome;
    await tick();
    controller.abort();
    assert.deepEqual(await outcome, { status: 'ABORTED', job_cancelled: false });
    await seen.done;
    assert.ok(seen.events > 0);
  });

  test(`timers and other executions run while ${name} runs`, async () => {
    const iterated = chain(start, true);
    const driven = chain(start, false); // more work on the thread
    // A timer, and an execution that waits on a timer and on promises, finish meanwhile.
    const firedAt = await new Promise((resolve) => setTimeout(() => resolve(iterated.events), 5));
    const other = await run({
      submit: async () => ({ id: 2 }),
      check: async () => ({ status: 'SUCCEEDED', output: 'other' }),
      wait: { intervalMs: 1 },
    }).result();
    assert.equal(other, 'other');
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(firedAt >= 0 && iterated.events > firedAt, `${firedAt} events when the timer fired, ${iterated.events} now`);
    await Promise.all([iterated.stop(), driven.stop()]);
  });
}

test('loops that never wait keep memory bounded', async () => {
  const wasmMemory = () => glue.initSync({ module: new Uint8Array() }).memory.buffer.byteLength;
  const measure = () => {
    gc();
    return { heap: process.memoryUsage().heapUsed, wasm: wasmMemory() };
  };
  const loops = [
    chain(() => runAsl(passLoop, {}), true),
    chain(() => runAsl(passLoop, {}), false),
    chain(pendingForever, true),
    chain(pendingForever, false),
  ];
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = measure();
  const eventsBefore = loops[0].events;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = measure();
  assert.ok(loops[0].events > eventsBefore, 'still running');
  assert.ok(after.heap - before.heap < 8e6, `the JS heap grew by ${after.heap - before.heap} B`);
  assert.ok(after.wasm - before.wasm < 8e6, `the wasm memory grew by ${after.wasm - before.wasm} B`);
  await Promise.all(loops.map((loop) => loop.stop()));
});
