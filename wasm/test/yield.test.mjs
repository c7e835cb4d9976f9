// The engine runs in the caller's thread: a run that never waits must still let timers, abort
// signals and other executions run, and keep its memory bounded. Each test ends its loop
// itself, by abort, whatever limit on events the engine has.
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
    const looping = start();
    const seen = iterate(looping);
    const driven = start();
    const drivenOutcome = driven.outcome;
    // A timer, and an execution that waits on a timer and on promises, finish meanwhile.
    const firedAt = await new Promise((resolve) => setTimeout(() => resolve(seen.events), 5));
    const other = await run({
      submit: async () => ({ id: 2 }),
      check: async () => ({ status: 'SUCCEEDED', output: 'other' }),
      wait: { intervalMs: 1 },
    }).result();
    assert.equal(other, 'other');
    assert.equal(seen.ended, false);
    assert.ok(firedAt >= 0 && seen.events > firedAt, `${firedAt} events when the timer fired, ${seen.events} now`);
    looping.abort();
    driven.abort();
    await seen.done;
    assert.equal((await drivenOutcome).status, 'ABORTED');
  });
}

test('a loop that never waits keeps its memory bounded', async () => {
  const wasmMemory = () => glue.initSync({ module: new Uint8Array() }).memory.buffer.byteLength;
  const measure = () => {
    gc();
    return { heap: process.memoryUsage().heapUsed, wasm: wasmMemory() };
  };
  const iterated = runAsl(passLoop, {});
  const seen = iterate(iterated);
  const driven = runAsl(passLoop, {});
  const drivenOutcome = driven.outcome;
  const sync = pendingForever();
  const syncOutcome = sync.outcome;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = measure();
  const eventsBefore = seen.events;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = measure();
  assert.ok(seen.events > eventsBefore, 'still running');
  assert.ok(after.heap - before.heap < 8e6, `the JS heap grew by ${after.heap - before.heap} B`);
  assert.ok(after.wasm - before.wasm < 8e6, `the wasm memory grew by ${after.wasm - before.wasm} B`);
  for (const execution of [iterated, driven, sync]) execution.abort();
  await seen.done;
  assert.equal((await drivenOutcome).status, 'ABORTED');
  assert.equal((await syncOutcome).status, 'ABORTED');
});
