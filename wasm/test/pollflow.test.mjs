// The npm package as users import it: events, outcome, abort, timeout, thrown callbacks and
// every bad-input error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { inspect } from 'node:util';
import { run, workflowGraph } from 'pollflow';

/** A job that is PENDING `pending` times, then SUCCEEDED with `output`. */
function job({ pending = 2, output = { rows: 7 }, cancels = [] } = {}) {
  let checks = 0;
  return {
    submit: async (input) => ({ jobId: 'job-1', name: input?.jobName ?? null }),
    check: async () => (++checks <= pending ? { status: 'PENDING', detail: 'RUNNING' } : { status: 'SUCCEEDED', output }),
    cancel: async (handle, reason) => { cancels.push({ handle, reason }); },
    get checks() { return checks; },
  };
}

test('an execution is an async iterable of history events, then an outcome', async () => {
  const execution = run({ ...job(), input: { jobName: 'my-job' }, wait: { intervalMs: 5 } });
  const events = [];
  for await (const event of execution) events.push(event);
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
  assert.equal(events[0].type, 'ExecutionStarted');
  assert.deepEqual(events[0].input, { jobName: 'my-job' });
  const submitted = events.find((e) => e.type === 'TaskSubmitted');
  assert.deepEqual(submitted.handle, { jobId: 'job-1', name: 'my-job' });
  assert.equal(events.filter((e) => e.type === 'StatusChecked').length, 3);
  assert.deepEqual(events.filter((e) => e.type === 'WaitStarted').map((e) => e.delay_ms), [5, 5, 5]);
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  assert.deepEqual(entered.slice(0, 4), ['Submit Job', 'Wait', 'Get Job Status', 'Job Complete?']);
  assert.equal(entered.at(-1), 'Succeeded');
  assert.ok(events.every((e) => typeof e.timestamp_ms === 'number' && e.timestamp_ms > 1.6e12));
  assert.deepEqual(await execution.outcome, { status: 'SUCCEEDED', output: { rows: 7 } });
  assert.deepEqual(await execution.result(), { rows: 7 });
});

test('event values cross exactly: non-ASCII, escapes and long text', async () => {
  const input = { name: 'Zoë 🚀 日本', quote: 'say "hi"\n\ttab \\ \u0001', long: 'x'.repeat(5000), nested: [1.5, -0, null, true] };
  const output = { ...input, long: 'é'.repeat(3000) };
  const execution = run({ ...job({ pending: 0, output }), input, wait: { intervalMs: 0 } });
  const events = [];
  for await (const event of execution) events.push(event);
  assert.deepEqual(events[0].input, JSON.parse(JSON.stringify(input)));
  assert.deepEqual(events.find((e) => e.type === 'TaskSubmitted').handle, { jobId: 'job-1', name: null });
  assert.deepEqual(events.at(-1).output, JSON.parse(JSON.stringify(output)));
  assert.deepEqual(await execution.result(), JSON.parse(JSON.stringify(output)));
});

test('the run\'s data passed on unchanged is one object in the events that carry it', async () => {
  const execution = run({ ...job({ pending: 1 }), input: { jobName: 'my-job' }, wait: { intervalMs: 0 } });
  const events = [];
  for await (const event of execution) events.push(event);
  // The execution's input, each state's input and output.
  const carriers = ['ExecutionStarted', 'StateEntered', 'StateExited'];
  const data = events.filter((e) => carriers.includes(e.type)).map((e) => e.input ?? e.output);
  assert.ok(data.length > 10 && data.every((value) => typeof value === 'object'));
  // The input until the job's output replaces it at Get Job Status's exit: two objects in all.
  const distinct = [...new Set(data)];
  assert.deepEqual(distinct, [{ jobName: 'my-job' }, { rows: 7 }]);
  const changed = events.findIndex((e) => e.type === 'StateExited' && e.output === distinct[1]);
  assert.equal(events[changed].state, 'Get Job Status');
  assert.equal(events[changed - 2].input, distinct[0]);
  // The handle, the statuses and the execution's output are values of their own.
  const status = events.findLast((e) => e.type === 'StatusChecked').status;
  assert.deepEqual(status.output, distinct[1]);
  assert.notEqual(status.output, distinct[1]);
  assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'ExecutionSucceeded', output: { rows: 7 } });
  // Changing an event's value changes nothing in the run.
  distinct[1].rows = 0;
  assert.deepEqual(await execution.result(), { rows: 7 });
});

test('outcome and result() drive an execution nobody iterates', async () => {
  const execution = run({ ...job({ pending: 1 }), wait: { intervalMs: 1 } });
  assert.deepEqual(await execution.result(), { rows: 7 });
  assert.throws(() => { for (const _ of [execution[Symbol.asyncIterator]()]); }, /iterated once/);
});

test('the wait uses the host timer and honours retryAfterMs, up to the policy\'s longest delay', async () => {
  const hints = [120, 500];
  const started = Date.now();
  const execution = run({
    submit: () => 'j',
    check: () => (hints.length ? { status: 'PENDING', retryAfterMs: hints.shift() } : { status: 'SUCCEEDED', output: null }),
    wait: { minDelayMs: 30, maxDelayMs: 200, jitter: 'none' },
  });
  const delays = [];
  for await (const e of execution) if (e.type === 'WaitStarted') delays.push(e.delay_ms);
  assert.deepEqual(delays, [30, 120, 200], 'the hint of 500 ms cut to maxDelayMs');
  assert.ok(Date.now() - started >= 345, 'really waited on setTimeout');
});

test('exponential waits follow the AWS SDK waiter formula and a seed makes them repeatable', async () => {
  const delays = async (seed) => {
    const execution = run({ ...job({ pending: 4 }), wait: { minDelayMs: 1, maxDelayMs: 8 }, seed });
    const out = [];
    for await (const e of execution) if (e.type === 'WaitStarted') out.push(e.delay_ms);
    return out;
  };
  const first = await delays(42);
  first.forEach((d, i) => assert.ok(d >= 1 && d <= Math.min(2 ** i, 8), `attempt ${i + 1}: ${d}`));
  assert.deepEqual(await delays(42), first);
});

test('runs without a seed jitter differently (crypto.getRandomValues); runs with one the same', async () => {
  // Full jitter, 2 to 120 (ms here, to be quick): attempt n waits uniform in [0, min(2^n, 120)].
  const delays = async (seed) => {
    const execution = run({ ...job({ pending: 6 }), wait: { minDelayMs: 2, maxDelayMs: 120, jitter: 'full' }, seed });
    const out = [];
    for await (const e of execution) if (e.type === 'WaitStarted') out.push(e.delay_ms);
    assert.equal(out.length, 7);
    return out;
  };
  const [first, second] = await Promise.all([delays(), delays()]);
  assert.notDeepEqual(first, second, 'two default runs, two schedules');
  assert.deepEqual(await delays(7), await delays(7));
});

test('without a global crypto (Node 18) the seed comes from node:crypto', async () => {
  const { execFileSync } = await import('node:child_process');
  const script = `
    delete globalThis.crypto;
    const { run } = await import('pollflow');
    const delays = async () => {
      const out = [];
      const execution = run({
        submit: async () => 'job', check: async () => ({ status: 'SUCCEEDED', output: 1 }),
        wait: { minDelayMs: 1000, maxDelayMs: 1000, jitter: 'full' },
      });
      for await (const e of execution) if (e.type === 'WaitStarted') out.push(e.delay_ms);
      return out;
    };
    console.log(JSON.stringify({ crypto: typeof globalThis.crypto, delays: [...await delays(), ...await delays(), ...await delays()] }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', import.meta.url), encoding: 'utf8' }));
  assert.equal(out.crypto, 'undefined');
  assert.equal(out.delays.length, 3);
  assert.ok(new Set(out.delays).size > 1, `three runs, one delay: ${out.delays}`);
});

test('an AbortSignal cancels the job once and ends the execution with AbortError', async () => {
  const cancels = [];
  const controller = new AbortController();
  const execution = run({ ...job({ pending: 1000, cancels }), name: 'Nightly export', wait: { intervalMs: 5 }, signal: controller.signal });
  const types = [];
  for await (const e of execution) {
    types.push(e.type);
    if (e.type === 'StatusChecked') controller.abort();
  }
  assert.deepEqual(types.slice(-2), ['JobCancelled', 'ExecutionAborted']);
  assert.equal(cancels.length, 1);
  assert.deepEqual(cancels[0].handle, { jobId: 'job-1', name: null });
  assert.match(cancels[0].reason, /"Nightly export" was aborted/);
  assert.deepEqual(await execution.outcome, { status: 'ABORTED', job_cancelled: true });
  await assert.rejects(execution.result(), { name: 'AbortError' });
});

test('an already-aborted signal and leaving the loop early both stop the execution', async () => {
  const controller = new AbortController();
  controller.abort();
  const early = run({ ...job(), signal: controller.signal });
  assert.equal((await early.outcome).status, 'ABORTED');

  const cancels = [];
  const left = run({ ...job({ pending: 1000, cancels }), wait: { intervalMs: 1 } });
  for await (const e of left) if (e.type === 'StatusChecked') break;
  assert.deepEqual(await left.outcome, { status: 'ABORTED', job_cancelled: true });
  assert.equal(cancels.length, 1);
});

test('a finished execution stops listening to a long-lived AbortSignal', async () => {
  const controller = new AbortController();
  const { signal } = controller;
  const cancels = [];
  const driven = run({ ...job({ pending: 1, cancels }), wait: { intervalMs: 1 }, signal });
  const iterated = run({ ...job({ pending: 1, cancels }), wait: { intervalMs: 1 }, signal });
  const left = run({ ...job({ pending: 1000, cancels }), wait: { intervalMs: 1 }, signal });
  assert.equal(getEventListeners(signal, 'abort').length, 3);
  assert.deepEqual(await driven.outcome, { status: 'SUCCEEDED', output: { rows: 7 } });
  for await (const _ of iterated);
  for await (const e of left) if (e.type === 'StatusChecked') break;
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  controller.abort();
  assert.deepEqual(await iterated.outcome, { status: 'SUCCEEDED', output: { rows: 7 } });
  assert.equal(cancels.length, 1); // only `left`'s job, cancelled when the loop was left
});

test('maxWaitMs and maxAttempts end the execution with States.Timeout', async () => {
  const cancels = [];
  const slow = run({ ...job({ pending: 1e9, cancels }), wait: { intervalMs: 20 }, maxWaitMs: 50 });
  const checks = [];
  let firstWait;
  for await (const e of slow) {
    if (e.type === 'WaitStarted') firstWait ??= e.timestamp_ms;
    if (e.type === 'StatusChecked') checks.push(e.timestamp_ms);
  }
  // Checks at about 20, 40 and the deadline, 50 (fewer when timers run late on a busy host).
  assert.ok(checks.length >= 1 && checks.length <= 3, `${checks.length} checks`);
  assert.ok(checks.at(-1) - firstWait >= 49, 'a last check at the deadline');
  const outcome = await slow.outcome;
  assert.equal(outcome.status, 'TIMED_OUT');
  assert.equal(outcome.error.error, 'States.Timeout');
  assert.equal(cancels.length, 1, 'a timed-out job is cancelled');
  await assert.rejects(slow.result(), (e) => e.name === 'States.Timeout' && /50 ms/.test(e.cause));

  const counted = run({ ...job({ pending: 1e9 }), wait: { intervalMs: 1 }, maxAttempts: 3 });
  await assert.rejects(counted.result(), { name: 'States.Timeout', message: /3 checks/ });
});

test('a failed job fails with States.TaskFailed and its detail as cause', async () => {
  const execution = run({ submit: () => 'j', check: () => ({ status: 'FAILED', detail: { exitCode: 3 } }), wait: { intervalMs: 1 } });
  const error = await execution.result().then(() => null, (e) => e);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'States.TaskFailed');
  assert.deepEqual(JSON.parse(error.cause), { exitCode: 3 });
});

test('callbacks that throw or reject become task failures, never crashes', async () => {
  const cases = [
    [{ submit: () => { throw new Error('queue is full'); }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw Error: queue is full/],
    [{ submit: () => Promise.reject(new RangeError('bad region')), check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw RangeError: bad region/],
    [{ submit: () => 'j', check: async () => { throw new Error('403 Forbidden'); } }, /check\(\) threw Error: 403 Forbidden/],
    [{ submit: () => 'j', check: () => Promise.reject('a bare string') }, /check\(\) threw Error: a bare string/],
    // Odd throws still become task failures with readable text.
    [{ submit: () => { throw undefined; }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw Error: undefined$/],
    [{ submit: () => { throw { code: 42 }; }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw Error: \{"code":42\}$/],
    [{ submit: () => { throw Object.assign(new TypeError('x'), { message: 42 }); }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw TypeError: 42$/],
    [{ submit: () => { throw Object.defineProperty(new Error(), 'message', { get() { throw new Error('getter'); } }); }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw Error: \(message unreadable: getter\)$/],
    [{ submit: () => ({ get then() { throw new Error('then getter'); } }), check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) threw Error: then getter/],
  ];
  for (const [callbacks, cause] of cases) {
    const error = await run({ ...callbacks, wait: { intervalMs: 1 } }).result().then(() => null, (e) => e);
    assert.equal(error?.name, 'States.TaskFailed');
    assert.match(error.message, cause);
  }
  // The module still works afterwards.
  assert.deepEqual(await run({ ...job({ pending: 0 }), wait: { intervalMs: 1 } }).result(), { rows: 7 });
});

test('a check error marked retryable is retried; others are not', async () => {
  let calls = 0;
  const execution = run({
    submit: () => 'j',
    check: () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('503'), { retryable: true });
      return { status: 'SUCCEEDED', output: calls };
    },
    wait: { intervalMs: 1 },
  });
  const types = [];
  for await (const e of execution) types.push(e.type);
  assert.ok(types.includes('TaskFailed'));
  assert.equal(await execution.result(), 2);
});

test('notify is called on success and on job failure', async () => {
  const sent = [];
  const notify = (n) => { sent.push(n); };
  const wait = { intervalMs: 1 };
  await run({ ...job({ pending: 0 }), wait, notify, messages: { success: 'yay' } }).result();
  await run({ submit: () => 'j', check: () => ({ status: 'FAILED', detail: 'x' }), wait, notify }).result().catch(() => {});
  assert.deepEqual(sent.map((n) => [n.state, n.message]), [['Notify Success', 'yay'], ['Notify Failure', 'Job failed']]);
  assert.deepEqual(sent[0].detail, { rows: 7 });
  const failing = run({ ...job({ pending: 0 }), wait, notify: () => { throw new Error('SNS down'); } });
  await assert.rejects(failing.result(), { name: 'States.TaskFailed', message: /notify\(\) threw Error: SNS down/ });
});

test('bad options throw TypeError or RangeError naming the field', () => {
  const ok = { submit() {}, check() {} };
  const backoff = { minDelayMs: 1, maxDelayMs: 2 };
  const cyclic = {};
  cyclic.self = cyclic;
  const throwing = (field) => Object.defineProperty({ ...ok }, field, { get() { throw new Error('no access'); }, enumerable: true });
  const cases = [
    [undefined, TypeError, /options must be an object, got undefined/],
    [null, TypeError, /options must be an object, got null/],
    [{ check() {} }, TypeError, /options\.submit must be a function, got undefined/],
    [{ submit() {} }, TypeError, /options\.check must be a function/],
    [{ ...ok, cancel: 'no' }, TypeError, /options\.cancel must be a function, got string/],
    [{ ...ok, notify: 5 }, TypeError, /options\.notify must be a function, got 5/],
    [{ ...ok, wait: 5 }, TypeError, /options\.wait must be an object, got 5/],
    [{ ...ok, wait: [] }, TypeError, /options\.wait must be an object, got array/],
    [{ ...ok, wait: { intervalMs: NaN } }, RangeError, /options\.wait\.intervalMs must be a finite number >= 0 and <= 9007199254740991 \(milliseconds\), got NaN/],
    [{ ...ok, wait: { intervalMs: -1 } }, RangeError, /options\.wait\.intervalMs .* got -1/],
    [{ ...ok, wait: { intervalMs: 1e300 } }, RangeError, /options\.wait\.intervalMs .* got 1e\+300/],
    [{ ...ok, wait: { intervalMs: '5' } }, TypeError, /options\.wait\.intervalMs must be a number of milliseconds, got string/],
    [{ ...ok, wait: { intervalMs: 1, minDelayMs: 5 } }, TypeError, /options\.wait takes intervalMs .* or minDelayMs and maxDelayMs .*, not both: options\.wait\.minDelayMs was given/],
    [{ ...ok, wait: { intervalMs: 1, jitter: 'bogus' } }, TypeError, /not both: options\.wait\.jitter was given/],
    [{ ...ok, wait: {} }, TypeError, /options\.wait needs intervalMs, or minDelayMs and maxDelayMs/],
    [{ ...ok, wait: { minDelayMs: 1 } }, TypeError, /options\.wait needs intervalMs, or minDelayMs and maxDelayMs/],
    [{ ...ok, wait: { minDelayMs: 'a', maxDelayMs: 2 } }, TypeError, /options\.wait\.minDelayMs must be a number of milliseconds, got string/],
    [{ ...ok, wait: { minDelayMs: 1, maxDelayMs: -2 } }, RangeError, /options\.wait\.maxDelayMs .* got -2/],
    [{ ...ok, wait: { minDelayMs: 1, maxDelayMs: 1e300 } }, RangeError, /options\.wait\.maxDelayMs .* got 1e\+300/],
    [{ ...ok, wait: { minDelayMs: 10, maxDelayMs: 1 } }, RangeError, /minDelayMs must not exceed/],
    [{ ...ok, wait: { ...backoff, rate: 0.5 } }, RangeError, /options\.wait\.rate must be a finite number >= 1, got 0\.5/],
    [{ ...ok, wait: { ...backoff, rate: '2' } }, TypeError, /options\.wait\.rate must be a number, got string/],
    [{ ...ok, wait: { ...backoff, jitter: 'lots' } }, RangeError, /options\.wait\.jitter must be 'none', 'full' or 'bounded', got "lots"/],
    [{ ...ok, wait: { ...backoff, jitter: 1 } }, TypeError, /options\.wait\.jitter must be a string, got 1/],
    [{ ...ok, maxWaitMs: Infinity }, RangeError, /options\.maxWaitMs .* got Infinity/],
    [{ ...ok, maxWaitMs: -1 }, RangeError, /options\.maxWaitMs .* got -1/],
    [{ ...ok, maxWaitMs: 1e300 }, RangeError, /options\.maxWaitMs .* got 1e\+300/],
    [{ ...ok, maxWaitMs: '1' }, TypeError, /options\.maxWaitMs must be a number of milliseconds, got string/],
    [{ ...ok, maxAttempts: 0 }, RangeError, /options\.maxAttempts must be a whole number from 1 to 4294967295, got 0/],
    [{ ...ok, maxAttempts: 1.5 }, RangeError, /options\.maxAttempts .* got 1\.5/],
    [{ ...ok, maxAttempts: 2 ** 32 }, RangeError, /options\.maxAttempts .* got 4294967296/],
    [{ ...ok, maxAttempts: '3' }, TypeError, /options\.maxAttempts must be a number, got string/],
    [{ ...ok, seed: -1 }, RangeError, /options\.seed must be a whole number from 0 to 9007199254740991, got -1/],
    [{ ...ok, seed: 'abc' }, TypeError, /options\.seed must be a number, got string/],
    [{ ...ok, name: 7 }, TypeError, /options\.name must be a string, got 7/],
    [{ ...ok, notify() {}, messages: 'custom' }, TypeError, /options\.messages must be an object, got string/],
    [{ ...ok, notify() {}, messages: { success: 1 } }, TypeError, /options\.messages\.success must be a string, got 1/],
    [{ ...ok, notify() {}, messages: { failure: null, success: [] } }, TypeError, /options\.messages\.success must be a string, got array/],
    [{ ...ok, input: { big: 10n } }, TypeError, /options\.input is not JSON-serializable/],
    [{ ...ok, input: cyclic }, TypeError, /options\.input is not JSON-serializable/],
    [{ ...ok, input: Symbol('s') }, TypeError, /options\.input is not JSON-serializable: got symbol/],
    [{ ...ok, input: () => 1 }, TypeError, /options\.input is not JSON-serializable: got function/],
    [{ ...ok, input: { toJSON: () => undefined } }, TypeError, /options\.input is not JSON-serializable: got object/],
    [throwing('wait'), TypeError, /reading options\.wait threw: no access/],
    [throwing('submit'), TypeError, /reading options\.submit threw: no access/],
    [throwing('input'), TypeError, /reading options\.input threw: no access/],
    [{ ...ok, signal: {} }, TypeError, /options\.signal must be an AbortSignal/],
  ];
  for (const [options, type, message] of cases) {
    const label = inspect(options, { depth: 2 });
    assert.throws(() => run(options), (e) => e instanceof type && message.test(e.message), label);
    // workflowGraph reads the same options: the same mistakes, the same errors.
    if (!('input' in (options ?? {})) && !('signal' in (options ?? {}))) {
      assert.throws(() => workflowGraph(options), (e) => e instanceof type && message.test(e.message), `workflowGraph ${label}`);
    }
  }
});

test('callback results of the wrong shape fail with a TypeError naming the field', async () => {
  const cases = [
    [{ submit: () => 10n, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) result is not JSON-serializable/],
    [{ submit: () => 'j', check: () => 'done' }, /check\(\) must return an object like \{status/],
    [{ submit: () => 'j', check: () => ({ status: 'DONE' }) }, /check\(\) result \.status must be 'PENDING', 'SUCCEEDED' or 'FAILED', got "DONE"/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', retryAfterMs: -5 }) }, /check\(\) result \.retryAfterMs must be a finite number >= 0/],
    [{ submit: () => 'j', check: () => ({ status: 'SUCCEEDED', output: { n: 1n } }) }, /check\(\) result \.output is not JSON-serializable/],
    [{ submit: () => 'j', check: () => null }, /check\(\) must return an object .*, got null/],
    [{ submit: () => 'j', check: () => undefined }, /check\(\) must return an object .*, got undefined/],
    [{ submit: () => 'j', check: () => ({ status: 7 }) }, /\.status must be 'PENDING', 'SUCCEEDED' or 'FAILED', got 7/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', retryAfterMs: NaN }) }, /\.retryAfterMs must be a finite number >= 0 and <= 9007199254740991 \(milliseconds\), got NaN/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', retryAfterMs: Infinity }) }, /\.retryAfterMs .* got Infinity/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', retryAfterMs: 1e300 }) }, /\.retryAfterMs .* got 1e\+300/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', retryAfterMs: '5' }) }, /\.retryAfterMs must be a number of milliseconds, got string/],
    [{ submit: () => 'j', check: () => ({ status: 'PENDING', detail: 1n }) }, /check\(\) result \.detail is not JSON-serializable/],
    [{ submit: () => 'j', check: () => ({ status: 'FAILED', detail: Symbol('x') }) }, /check\(\) result \.detail is not JSON-serializable: got symbol/],
    [{ submit: () => 'j', check: () => ({ status: 'SUCCEEDED', output: () => 1 }) }, /check\(\) result \.output is not JSON-serializable: got function/],
    [{ submit: () => 'j', check: () => ({ status: 'SUCCEEDED', get output() { throw new Error('gone'); } }) }, /reading check\(\) result \.output threw: gone/],
    [{ submit: () => 'j', check: () => ({ get status() { throw new Error('gone'); } }) }, /reading check\(\) result \.status threw: gone/],
    [{ submit: () => Symbol('id'), check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) result is not JSON-serializable: got symbol/],
    [{ submit: () => () => 1, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) result is not JSON-serializable: got function/],
    [{ submit: () => { const c = {}; c.c = c; return c; }, check: () => ({ status: 'SUCCEEDED' }) }, /submit\(\) result is not JSON-serializable/],
  ];
  for (const [callbacks, message] of cases) {
    // Iterated and driven alike: the run ends with the error, never wedged.
    for (const iterate of [false, true]) {
      const execution = run({ ...callbacks, wait: { intervalMs: 1 } });
      if (iterate) for await (const _ of execution);
      const error = await execution.result().then(() => null, (e) => e);
      assert.ok(error instanceof TypeError, `${message}: ${error}`);
      assert.match(error.message, message);
    }
  }
});

test('sleeps longer than a timer can take (2^31 - 1 ms) wait in several timers', async (t) => {
  // A fake clock: each timer moves Date.now() on by its delay, then fires.
  const delays = [];
  let now = Date.now();
  const realNow = Date.now;
  const realSetTimeout = globalThis.setTimeout;
  t.after(() => { Date.now = realNow; globalThis.setTimeout = realSetTimeout; });
  Date.now = () => now;
  globalThis.setTimeout = (fire, ms) => {
    delays.push(ms);
    return realSetTimeout(() => { now += ms; fire(); }, 0);
  };
  const interval = 2 ** 31 + 5000; // about 24.9 days
  let checks = 0;
  const execution = run({ submit: () => 'j', check: () => ({ status: ++checks < 2 ? 'PENDING' : 'SUCCEEDED', output: checks }), wait: { intervalMs: interval } });
  const started = now;
  const waits = [];
  for await (const e of execution) if (e.type === 'WaitStarted') waits.push(e.delay_ms);
  assert.deepEqual(await execution.result(), 2);
  assert.deepEqual(waits, [interval, interval]);
  assert.ok(delays.every((ms) => ms <= 2 ** 31 - 1), `${delays}`);
  assert.deepEqual(delays, [2 ** 31 - 1, 5001, 2 ** 31 - 1, 5001]);
  assert.equal(now - started, 2 * interval);
});

test('workflowGraph describes the states run() executes', () => {
  const graph = workflowGraph({ submit() {}, check() {}, notify() {} });
  assert.equal(graph.start_at, 'Submit Job');
  assert.deepEqual(graph.states.map((s) => s.name), ['Submit Job', 'Wait', 'Get Job Status', 'Job Complete?', 'Notify Success', 'Succeeded', 'Notify Failure', 'Failed']);
  assert.equal(graph.states.find((s) => s.name === 'Job Complete?').default, 'Wait');
});

test('an abort without a cancel callback, or with one that throws, still ends the execution', async () => {
  const pending = { submit: () => 'j', check: () => ({ status: 'PENDING', detail: 'RUNNING' }), wait: { intervalMs: 1 } };
  const cases = [
    [{}, { error: 'Pollflow.CancelUnsupported', cause: 'no cancel callback was given' }],
    [{ cancel: () => { throw new Error('already gone'); } }, { error: 'States.TaskFailed', cause: 'cancel() threw Error: already gone' }],
  ];
  for (const [extra, error] of cases) {
    const controller = new AbortController();
    const execution = run({ ...pending, ...extra, signal: controller.signal });
    const events = [];
    for await (const e of execution) {
      events.push(e);
      if (e.type === 'StatusChecked') controller.abort();
    }
    const cancelled = events.find((e) => e.type === 'JobCancelled');
    assert.deepEqual(cancelled, { ...cancelled, handle: 'j', error });
    assert.deepEqual(await execution.outcome, { status: 'ABORTED', job_cancelled: false });
    await assert.rejects(execution.result(), { name: 'AbortError' });
  }
});

test('a callback result whose constructor getter throws is a task failure, not a wedged run', async () => {
  const odd = () => {
    const promise = Promise.resolve('handle');
    Object.defineProperty(promise, 'constructor', { get() { throw new Error('no constructor'); } });
    return promise;
  };
  const execution = run({ submit: odd, check: () => ({ status: 'SUCCEEDED', output: 1 }), wait: { intervalMs: 1 } });
  const types = [];
  for await (const event of execution) types.push(event.type);
  // As `await` would: reading the promise's constructor throws, and that is submit's error.
  assert.equal(types.at(-1), 'ExecutionFailed');
  await assert.rejects(execution.result(), { name: 'States.TaskFailed', message: /submit\(\) threw Error: no constructor/ });
  // The module keeps working.
  assert.equal(await run({ submit: () => 'j', check: () => ({ status: 'SUCCEEDED', output: 2 }), wait: { intervalMs: 1 } }).result(), 2);
});
