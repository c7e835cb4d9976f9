// The wrapper's Execution over a stub engine, for what the real engine cannot be made to do
// from the public API: an engine call that throws while `outcome` drives the execution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { connect } from '../npm/execution.js';

test('outcome and result() reject when driving the execution throws', async () => {
  const glue = {
    initSync: () => ({ memory: { buffer: new ArrayBuffer(40) } }),
    setHost: () => 0,
    settle() {},
    stateName: () => 'S',
  };
  const wrap = await connect(glue, new URL(import.meta.url));
  const signal = new AbortController().signal;
  const execution = wrap({
    drive() { throw new Error('engine broke'); },
    poll() { throw new Error('engine broke'); },
    abort() {},
    park() {},
    outcomeJson: () => undefined,
    throwError() {},
  }, signal);
  await assert.rejects(execution.outcome, /engine broke/);
  await assert.rejects(execution.result(), /engine broke/);
  assert.equal(getEventListeners(signal, 'abort').length, 0);
});
