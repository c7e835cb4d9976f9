// The wrapper (npm/execution.js) over a stub glue, for what the real engine cannot be made to
// do from the public API: a call that traps on purpose at a chosen point, a throw on purpose,
// and calls into the engine from inside its calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { connect } from '../npm/execution.js';

// The smallest module there is: the stub glue makes the instances.
const module = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

// Where the stub's memory keeps numbers (wasm/src/wire.rs, `slot`).
const TEXT_AT = 3;
const TEXT_LEN = 4;
const UNFINISHED = 6;

/** A glue whose instances are counted, each with its own memory; `start` and `poll` as given. */
function stubGlue({ start, poll = (g) => g.end('{"status":"SUCCEEDED","output":1}') }) {
  const glue = {
    instances: [],
    forget() {},
    initSync() {
      const memory = { buffer: new ArrayBuffer(1024) };
      glue.instances.push(memory);
      return { memory, __wbg_execution_free() {} };
    },
    setHost: () => 0,
    settle() {},
    ring() {},
    /** Ends a run: END, its outcome's JSON `text` in memory. */
    end(text) {
      const { buffer } = glue.instances.at(-1);
      new Uint8Array(buffer).set(new TextEncoder().encode(text), 100);
      Object.assign(new Float64Array(buffer), { [TEXT_AT]: 100, [TEXT_LEN]: text.length });
      return -1;
    },
    /** Traps as a wasm call does: the count of unfinished calls is left up. */
    trap(error = new WebAssembly.RuntimeError('unreachable')) {
      new Float64Array(glue.instances.at(-1).buffer)[UNFINISHED] += 1;
      throw error;
    },
    start: () => start(glue),
    execution: () => ({
      __destroy_into_raw: () => 8,
      parker: 0,
      poll: () => poll(glue),
      drive: () => poll(glue),
      park: () => false,
      abort() {},
      free() {},
    }),
  };
  return glue;
}

test('outcome and result() reject when driving the execution throws, and the next run gets a new instance', async () => {
  const thrown = new Error('engine broke');
  const glue = stubGlue({ start: (g) => g.execution(), poll: () => { throw thrown; } });
  const engine = connect(glue, module);
  const signal = new AbortController().signal;
  const execution = engine.start(() => glue.start(), signal);
  const error = await execution.outcome.catch((e) => e);
  assert.match(error.message, /^pollflow: the engine crashed running this execution \(Error: engine broke\)/);
  assert.equal(error.cause, thrown);
  await assert.rejects(execution.result(), error);
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(glue.instances.length, 1);
  engine.start(() => glue.start());
  assert.equal(glue.instances.length, 2);
});

test('a start that throws on purpose (bad input) throws that error and keeps the instance', async () => {
  const bad = new TypeError('options.submit must be a function');
  const glue = stubGlue({ start: () => { throw bad; } });
  const engine = connect(glue, module);
  assert.throws(() => engine.start(() => glue.start()), (error) => error === bad);
  assert.throws(() => engine.call(() => glue.start()), (error) => error === bad);
  assert.equal(glue.instances.length, 1);
});

test('a start that traps throws a crash error and the next call gets a new instance', async () => {
  let trap = true;
  const glue = stubGlue({ start: (g) => (trap ? g.trap(new RangeError('Maximum call stack size exceeded')) : g.execution()) });
  const engine = connect(glue, module);
  assert.throws(() => engine.start(() => glue.start()), (error) => {
    assert.match(error.message, /^pollflow: the engine crashed starting this execution \(RangeError: Maximum call stack size exceeded\)/);
    assert.ok(error.cause instanceof RangeError);
    return true;
  });
  assert.throws(() => engine.call(() => glue.start()), /^Error: pollflow: the engine crashed in this call/);
  assert.equal(glue.instances.length, 2);
  trap = false;
  assert.equal(await engine.start(() => glue.start()).result(), 1);
  assert.equal(glue.instances.length, 3);
});

test('a call that traps inside another call ends both; the new instance waits for the outer call to return', async () => {
  let engine;
  let nested;
  const glue = stubGlue({
    start: (g) => g.execution(),
    poll: (g) => {
      // A callback, run by the engine's poll, starts another execution, and that traps.
      nested = (() => {
        try {
          return engine.start(() => g.trap());
        } catch (error) {
          return error;
        }
      })();
      assert.equal(g.instances.length, 1, 'no new instance while the crashed one still runs');
      assert.throws(() => engine.call(() => 'too soon'), /^Error: pollflow: the engine crashed and lost this execution/);
      return g.end('{"status":"SUCCEEDED","output":1}');
    },
  });
  engine = connect(glue, module);
  const outer = engine.start(() => glue.start());
  const error = await outer.outcome.catch((e) => e);
  assert.match(nested.message, /^pollflow: the engine crashed starting this execution/);
  assert.match(error.message, /^pollflow: the engine crashed and lost this execution/);
  assert.equal(error.cause, nested.cause);
  assert.equal(engine.call(() => 'later'), 'later');
  assert.equal(glue.instances.length, 2);
});
