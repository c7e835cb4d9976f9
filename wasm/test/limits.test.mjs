// `options.limits` of run() and runAsl(): Step Functions' quotas by default, each field moving
// the bound it names, and every bad value a TypeError or RangeError naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from 'pollflow';
import { runAsl } from 'pollflow/asl';

async function collect(execution) {
  const events = [];
  for await (const event of execution) events.push(event);
  return events;
}

/** A job that is never done, checked again at once. */
const forever = { submit: () => 'job-1', check: () => ({ status: 'PENDING' }), wait: { intervalMs: 0 } };
const passLoop = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A' } } };

test('run(): limits.maxEvents ends a job that is never done with States.Runtime', async () => {
  const events = await collect(run({ ...forever, limits: { maxEvents: 10 } }));
  assert.deepEqual(events.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(events.at(-1).error, {
    error: 'States.Runtime',
    cause: 'The execution reached the maximum number of history events (10).',
  });
  // Without limits: Step Functions' 25,000.
  const outcome = await run(forever).outcome;
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.error.cause, 'The execution reached the maximum number of history events (25000).');
});

test('run(): limits.maxPayloadBytes bounds the input and the job handle', async () => {
  const handle = 'h'.repeat(1000);
  const job = { submit: () => handle, check: () => ({ status: 'SUCCEEDED', output: 1 }), wait: { intervalMs: 0 } };
  assert.equal(await run(job).result(), 1);
  const outcome = await run({ ...job, limits: { maxPayloadBytes: 500 } }).outcome;
  assert.equal(outcome.error.error, 'States.DataLimitExceeded');
  assert.match(outcome.error.cause, /^the job's handle: larger than the payload limit of 500 bytes/);
  const input = { text: 'x'.repeat(300_000) };
  assert.equal((await run({ ...job, input }).outcome).error.error, 'States.DataLimitExceeded');
  assert.equal(await run({ ...job, input, limits: { maxPayloadBytes: 400_000 } }).result(), 1);
});

test('runAsl(): each limit moves the bound it names', async () => {
  // maxEvents
  const looped = await collect(runAsl(passLoop, { limits: { maxEvents: 50 } }));
  assert.equal(looped.length, 50);
  assert.equal(looped.at(-1).error.error, 'States.Runtime');
  assert.equal((await runAsl(passLoop).outcome).error.cause, 'The execution reached the maximum number of history events (25000).');

  // maxPayloadBytes
  const echo = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
  const input = { text: 'x'.repeat(1000) };
  assert.deepEqual(await runAsl(echo, { input }).result(), input);
  const refused = await runAsl(echo, { input, limits: { maxPayloadBytes: 999 } }).outcome;
  assert.equal(refused.error.error, 'States.DataLimitExceeded');

  // maxMapConcurrency: six items that wait 1 s (simulated) take 3 s two at a time, 1 s all at once.
  const sixWaits = { StartAt: 'Each', States: { Each: { Type: 'Map', End: true,
    ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, End: true } } } } } };
  const took = async (maxMapConcurrency) => {
    const events = await collect(runAsl(sixWaits, { input: [1, 2, 3, 4, 5, 6], simulatedTime: 0, limits: { maxMapConcurrency } }));
    assert.equal(events.at(-1).type, 'ExecutionSucceeded');
    return events.at(-1).timestamp_ms - events[0].timestamp_ms;
  };
  assert.equal(await took(2), 3000);
  assert.equal(await took(0), 1000);

  // maxPathVisits
  const descent = { StartAt: 'P', States: { P: { Type: 'Pass', InputPath: '$..x', End: true } } };
  const items = Array.from({ length: 100 }, (_, x) => ({ x }));
  assert.equal((await runAsl(descent, { input: items }).result()).length, 100);
  const visits = await runAsl(descent, { input: items, limits: { maxPathVisits: 50 } }).outcome;
  assert.equal(visits.error.error, 'States.DataLimitExceeded');

  // maxVariablesBytes
  const assign = { StartAt: 'P', States: { P: { Type: 'Pass', Assign: { 'a.$': '$.a', 'b.$': '$.b' }, End: true } } };
  const ab = { a: 'a'.repeat(100), b: 'b'.repeat(100) };
  assert.deepEqual(await runAsl(assign, { input: ab }).result(), ab);
  const variables = await runAsl(assign, { input: ab, limits: { maxVariablesBytes: 150 } }).outcome;
  assert.equal(variables.error.error, 'States.DataLimitExceeded');
});

test('absent limits (undefined or null, the object or a field) keep the defaults', async () => {
  for (const limits of [undefined, null, {}, { maxEvents: undefined, maxPayloadBytes: null }]) {
    assert.equal((await runAsl(passLoop, { limits }).outcome).error.cause, 'The execution reached the maximum number of history events (25000).');
  }
});

test('bad limits throw a TypeError or RangeError naming the field, and both entry points keep working', async () => {
  const start = [
    (limits) => run({ ...forever, limits }),
    (limits) => runAsl(passLoop, { limits }),
  ];
  const throwing = { get maxEvents() { throw new Error('no'); } };
  const noKeys = new Proxy({}, { ownKeys() { throw new Error('no keys'); } });
  const cases = [
    [5, TypeError, /^options\.limits must be an object, got number$/],
    ['big', TypeError, /^options\.limits must be an object, got string$/],
    [[10], TypeError, /^options\.limits must be an object, got array$/],
    [{ maxEvent: 10 }, TypeError, /^options\.limits\.maxEvent is not a limit \(there are maxPayloadBytes, maxVariablesBytes, maxEvents, maxMapConcurrency, maxPathVisits\)$/],
    [{ maxEvents: '10' }, TypeError, /^options\.limits\.maxEvents must be a number, got string$/],
    [{ maxPayloadBytes: 10n }, TypeError, /^options\.limits\.maxPayloadBytes must be a number, got bigint$/],
    [{ maxEvents: -1 }, RangeError, /^options\.limits\.maxEvents must be a whole number from 0 to 9007199254740991, got -1$/],
    [{ maxEvents: 1.5 }, RangeError, /got 1\.5$/],
    [{ maxVariablesBytes: NaN }, RangeError, /^options\.limits\.maxVariablesBytes must be .* got NaN$/],
    [{ maxPathVisits: Infinity }, RangeError, /got Infinity$/],
    [{ maxPayloadBytes: 2 ** 53 }, RangeError, /got 9007199254740992$/],
    [{ maxMapConcurrency: 2 ** 32 }, RangeError, /^options\.limits\.maxMapConcurrency must be a whole number from 0 to 4294967295, got 4294967296$/],
    [throwing, TypeError, /^reading options\.limits\.maxEvents threw: no$/],
    [noKeys, TypeError, /^reading options\.limits threw: no keys$/],
  ];
  for (const begin of start) {
    for (const [limits, type, message] of cases) {
      assert.throws(() => begin(limits), (error) => error instanceof type && message.test(error.message), String(message));
    }
  }
  assert.equal((await run({ ...forever, limits: { maxEvents: 3 } }).outcome).error.error, 'States.Runtime');
  assert.equal((await runAsl(passLoop, { limits: { maxEvents: 3 } }).outcome).error.error, 'States.Runtime');
});

test("the adversarial review's definitions end in a clean error, quickly, and Node carries on", async () => {
  const pass = (fields) => ({ StartAt: 'P', States: { P: { Type: 'Pass', End: true, ...fields } } });
  const nest = (levels, bottom, wrap) => Array.from({ length: levels }).reduce(wrap, bottom);
  const dataLimit = async (definition, input, cause) => {
    const started = performance.now();
    const events = await collect(runAsl(definition, { input }));
    assert.equal(events.at(-1).type, 'ExecutionFailed');
    assert.equal(events.at(-1).error.error, 'States.DataLimitExceeded');
    assert.match(events.at(-1).error.cause, cause);
    assert.ok(performance.now() - started < 10_000);
    return events;
  };
  // A union that multiplies step after step: 10^8 matches.
  await dataLimit(pass({ Parameters: { 'x.$': `$${'[0,0,0,0,0,0,0,0,0,0]'.repeat(8)}` } }),
    nest(8, 'bottom', (v) => [v]), /looks at more values than the limit allows/);
  // Chained recursive descent.
  await dataLimit(pass({ Parameters: { 'x.$': '$..a..a..a..a' } }), nest(120, 1, (v) => ({ a: v })), /max_path_visits/);
  // States.Format repeating a large value.
  await dataLimit(pass({ Parameters: { 'x.$': `States.Format('${'{}'.repeat(8)}'${', $.s'.repeat(8)})` } }),
    { s: 'z'.repeat(100_000) }, /the arguments of States\.Format/);
  // 32 Pass states that double a string: 2 bytes doubled 17 times is past 256 KiB.
  const states = {};
  for (let i = 0; i < 32; i++) {
    states[`Double${i}`] = { Type: 'Pass', Parameters: { 's.$': "States.Format('{}{}', $.s, $.s)" }, ...(i === 31 ? { End: true } : { Next: `Double${i + 1}` }) };
  }
  const doubled = await dataLimit({ StartAt: 'Double0', States: states }, { s: 'ab' }, /the payload limit of 262144 bytes/);
  assert.equal(doubled.filter((e) => e.type === 'StateEntered').length, 17);

  // Retry fields past Step Functions' ranges are refused when the definition loads.
  const retrying = (retrier) => ({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'r', End: true, Retry: [{ ErrorEquals: ['States.ALL'], ...retrier }] } } });
  const fails = () => { throw new Error('again'); };
  for (const retrier of [{ IntervalSeconds: 18446744073709551 }, { MaxAttempts: 1e9 }]) {
    assert.throws(() => runAsl(retrying(retrier), { handlers: { r: fails } }),
      (error) => error instanceof TypeError && /must be an integer from/.test(error.message));
  }
  // The most attempts Step Functions allows end at the event limit.
  const retried = await collect(runAsl(retrying({ MaxAttempts: 99999999, BackoffRate: 1 }),
    { simulatedTime: 0, handlers: { r: fails }, limits: { maxEvents: 2000 } }));
  assert.equal(retried.length, 2000);
  assert.equal(retried.at(-1).error.error, 'States.Runtime');

  // A .sync job that asks to be checked again after the longest time JS can say: no overflow.
  const SYNC = 'arn:aws:states:::batch:submitJob.sync';
  let checks = 0;
  const job = { submit: () => ({ id: 1 }), check: () => (++checks < 3 ? { status: 'PENDING', retryAfterMs: Number.MAX_SAFE_INTEGER } : { status: 'SUCCEEDED', output: 'done' }) };
  const late = runAsl({ StartAt: 'Job', States: { Job: { Type: 'Task', Resource: SYNC, End: true } } },
    { simulatedTime: 0, handlers: { [SYNC]: job } });
  assert.equal(await late.result(), 'done');
  assert.equal(checks, 3);

  assert.equal(await runAsl(pass({ Result: 'fine' })).result(), 'fine');
});
