// `pollflow/asl` as users import it: the two seed state machines unchanged with JS handlers,
// simulated time, abort, validation, drawing, and every bad-input error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runAsl, validateAsl, aslGraph } from 'pollflow/asl';

const seed = (name) => JSON.parse(readFileSync(new URL(`../../examples/state-machines/${name}`, import.meta.url), 'utf8'));
const jobPoller = seed('job-poller.asl.json');
const jobPollerInput = seed('job-poller.input.json');
const manageBatchJob = seed('manage-batch-job.asl.json');
const SUBMIT_JOB = 'arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob';
const CHECK_JOB = 'arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob';
const BATCH_SYNC = 'arn:aws:states:::batch:submitJob.sync';
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/** The Job Poller's Lambda functions: a job RUNNING `running` times, then `final`. */
function lambdas({ running = 2, final = 'SUCCEEDED' } = {}) {
  const calls = { submitted: [], checked: [] };
  return {
    calls,
    handlers: {
      [SUBMIT_JOB]: async (input) => {
        calls.submitted.push(input);
        return { jobId: 'job-1', jobName: input.jobName };
      },
      [CHECK_JOB]: async (guid) => {
        calls.checked.push(guid);
        return calls.checked.length <= running ? 'RUNNING' : final;
      },
    },
  };
}

async function collect(execution) {
  const events = [];
  for await (const event of execution) events.push(event);
  return events;
}

test('the Job Poller seed runs unchanged with its Lambda functions in JS', async () => {
  const { calls, handlers } = lambdas();
  const execution = runAsl(jobPoller, { input: jobPollerInput, handlers, simulatedTime: true });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), 'SUCCEEDED');
  assert.deepEqual(calls.submitted, [jobPollerInput]);
  assert.deepEqual(calls.checked, Array(4).fill({ jobId: 'job-1', jobName: 'my-job' }));
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
  assert.equal(events[0].type, 'ExecutionStarted');
  assert.deepEqual(events[0].input, jobPollerInput);
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  assert.equal(entered.filter((s) => s === 'Wait X Seconds').length, 3);
  assert.equal(entered.at(-1), 'Get Final Job Status');
  const choices = events.filter((e) => e.type === 'ChoiceTaken').map((e) => e.next);
  assert.deepEqual(choices, ['Wait X Seconds', 'Wait X Seconds', 'Get Final Job Status']);
  // Three waits of wait_time (60 s) on the virtual clock.
  assert.equal(events.at(-1).timestamp_ms - events[0].timestamp_ms, 180_000);
  assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'ExecutionSucceeded', output: 'SUCCEEDED' });
  // Each state's entry carries its input, its exit its output (the next state's input).
  const guid = { jobId: 'job-1', jobName: 'my-job' };
  assert.deepEqual(events[1], { ...events[1], type: 'StateEntered', state: 'Submit Job', input: jobPollerInput });
  const exits = events.filter((e) => e.type === 'StateExited');
  const entries = events.filter((e) => e.type === 'StateEntered');
  assert.deepEqual(exits[0], { ...exits[0], state: 'Submit Job', output: { ...jobPollerInput, guid } });
  exits.slice(0, -1).forEach((exit, i) => assert.deepEqual(entries[i + 1].input, exit.output));
  assert.equal(exits.at(-1).output, 'SUCCEEDED');
});

test('the Job Poller seed fails as its Fail state says when the job fails', async () => {
  const { handlers } = lambdas({ running: 1, final: 'FAILED' });
  const execution = runAsl(JSON.stringify(jobPoller), { input: jobPollerInput, handlers, simulatedTime: true });
  assert.deepEqual(await execution.outcome, {
    status: 'FAILED',
    error: { error: 'DescribeJob returned FAILED', cause: 'AWS Batch Job Failed' },
  });
  await assert.rejects(execution.result(), { name: 'DescribeJob returned FAILED', message: 'AWS Batch Job Failed', cause: 'AWS Batch Job Failed' });
});

/** Manage a Batch Job's handlers: a Batch job ending `final` after two checks, and SNS. */
function batch(final) {
  const published = [];
  let checks = 0;
  const handlers = {
    [BATCH_SYNC]: {
      submit: async (request) => ({ JobId: 'job-7', JobName: request.JobName }),
      check: async (handle) => {
        checks += 1;
        if (checks <= 2) return { status: 'PENDING', detail: 'RUNNING' };
        return final === 'SUCCEEDED'
          ? { status: 'SUCCEEDED', output: { ...handle, Status: 'SUCCEEDED' } }
          : { status: 'FAILED', detail: { ...handle, Status: 'FAILED', StatusReason: 'Essential container exited' } };
      },
    },
    [SNS_PUBLISH]: async (request) => {
      published.push(request);
      return { MessageId: `message-${published.length}` };
    },
  };
  return { handlers, published, checks: () => checks };
}

test('Manage a Batch Job runs unchanged: .sync job through {submit, check}, sns:publish notifies success', async () => {
  const { handlers, published, checks } = batch('SUCCEEDED');
  const execution = runAsl(manageBatchJob, { handlers, simulatedTime: true });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), { MessageId: 'message-1' });
  assert.equal(checks(), 3);
  assert.deepEqual(published, [{
    Message: 'Batch job submitted through Step Functions succeeded',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:batchjobnotificatiointemplate-SNSTopic-1J757CVBQ2KHM',
  }]);
  const submitted = events.find((e) => e.type === 'TaskSubmitted');
  assert.deepEqual(submitted, { ...submitted, state: 'Submit Batch Job', handle: { JobId: 'job-7', JobName: 'BatchJobNotification' } });
  assert.equal(events.filter((e) => e.type === 'StatusChecked').length, 3);
});

test('Manage a Batch Job: a failed job is caught and notified', async () => {
  const { handlers, published } = batch('FAILED');
  const execution = runAsl(manageBatchJob, { handlers, simulatedTime: true });
  assert.deepEqual(await execution.result(), { MessageId: 'message-1' });
  assert.equal(published.length, 1);
  assert.equal(published[0].Message, 'Batch job submitted through Step Functions failed');
});

const waitDays = {
  StartAt: 'Wait 3 days',
  States: {
    'Wait 3 days': { Type: 'Wait', Seconds: 3 * 86_400, Next: 'Done' },
    Done: { Type: 'Pass', Result: { done: true }, End: true },
  },
};

test('simulated time: a Wait of 3 days finishes at once, the clock starting where asked', async () => {
  const started = performance.now();
  const start = Date.parse('2024-01-01T00:00:00Z');
  const execution = runAsl(waitDays, { simulatedTime: start });
  const events = await collect(execution);
  assert.ok(performance.now() - started < 1000);
  assert.deepEqual(await execution.result(), { done: true });
  assert.equal(events[0].timestamp_ms, start);
  assert.equal(events.at(-1).timestamp_ms, start + 3 * 86_400_000);
  const wait = events.find((e) => e.type === 'WaitStarted');
  assert.equal(wait?.delay_ms, 3 * 86_400_000);
});

test('Parallel and Map: outputs in order, and events inside branches carry their route', async () => {
  // "Wait" and "Submit Job" are names the base package packs into numbers: inside a branch the
  // event must still arrive whole, with its route.
  const definition = {
    StartAt: 'Both',
    States: {
      Both: {
        Type: 'Parallel',
        End: true,
        Branches: [
          { StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 5, End: true } } },
          {
            StartAt: 'Each',
            States: {
              Each: {
                Type: 'Map',
                ItemsPath: '$.items',
                ItemSelector: { 'n.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
                ItemProcessor: { StartAt: 'Submit Job', States: { 'Submit Job': { Type: 'Task', Resource: 'double', End: true } } },
                End: true,
              },
            },
          },
        ],
      },
    },
  };
  const handlers = { double: async ({ n, i }) => ({ n: n * 2, i }) };
  const execution = runAsl(definition, { input: { items: [1, 2, 3] }, handlers, simulatedTime: true });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), [{ items: [1, 2, 3] }, [{ n: 2, i: 0 }, { n: 4, i: 1 }, { n: 6, i: 2 }]]);
  const waitEntered = events.find((e) => e.type === 'StateEntered' && e.state === 'Wait');
  assert.deepEqual(waitEntered?.route, [{ state: 'Both', index: 0 }]);
  const submits = events.filter((e) => e.type === 'StateEntered' && e.state === 'Submit Job');
  assert.deepEqual(submits.map((e) => e.route), [0, 1, 2].map((index) => [{ state: 'Both', index: 1 }, { state: 'Each', index }]));
  assert.ok(events.filter((e) => e.route === undefined).every((e) => !['Wait', 'Submit Job'].includes(e.state)));
});

test('simulated time stands still while a handler runs, and context.sleep is on its clock', async () => {
  const definition = {
    StartAt: 'Slow',
    States: { Slow: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Slow', TimeoutSeconds: 5, End: true } },
  };
  // Real I/O (a 30 ms timer) does not let the 5 s timeout pass ...
  const io = runAsl(definition, {
    simulatedTime: true,
    handlers: { Slow: async (input) => { await new Promise((r) => setTimeout(r, 30)); return input; } },
    input: { ok: 1 },
  });
  assert.deepEqual(await io.result(), { ok: 1 });
  // ... a sleep on the execution's clock does.
  const sleeper = (seconds) => runAsl(definition, {
    simulatedTime: 0,
    handlers: { Slow: async (input, context) => { await context.sleep(seconds * 1000); return input; } },
  });
  assert.deepEqual(await sleeper(2).result(), {});
  await assert.rejects(sleeper(60).result(), { name: 'States.Timeout' });
});

test('handlers sleeping on simulated time wake in deadline order, ties in the order they slept', async () => {
  const woke = [];
  const definition = { StartAt: 'Each', States: { Each: { Type: 'Map', End: true,
    ItemProcessor: { StartAt: 'Nap', States: { Nap: { Type: 'Task', Resource: 'nap', End: true } } } } } };
  const execution = runAsl(definition, {
    simulatedTime: 0,
    input: [[300, 'a'], [100, 'b'], [200, 'c'], [0, 'd'], [100, 'e'], [1e6, 'f']],
    handlers: { nap: async ([ms, name], context) => { await context.sleep(ms); woke.push(name); return name; } },
  });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(woke, ['d', 'b', 'e', 'c', 'a', 'f']);
  assert.equal(events.at(-1).timestamp_ms - events[0].timestamp_ms, 1e6);
});

test('waitOverrides shortens a Wait state on the host clock', async () => {
  const execution = runAsl(waitDays, { waitOverrides: { 'Wait 3 days': 5 } });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), { done: true });
  assert.equal(events.find((e) => e.type === 'WaitStarted').delay_ms, 5);
});

test('waitOverrides reaches Wait states inside a Parallel branch and a Map processor', async () => {
  const definition = {
    StartAt: 'P',
    States: {
      P: { Type: 'Parallel', ResultPath: null, Next: 'M', Branches: [{ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } }] },
      M: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { StartAt: 'Item wait', States: { 'Item wait': { Type: 'Wait', Seconds: 3600, End: true } } },
        End: true,
      },
    },
  };
  const started = Date.now();
  const execution = runAsl(definition, { input: { items: [1, 2] }, waitOverrides: { W: 5, 'Item wait': 3 } });
  const events = await collect(execution);
  assert.deepEqual(await execution.result(), [1, 2]);
  assert.ok(Date.now() - started < 2_000);
  assert.deepEqual(events.filter((e) => e.type === 'WaitStarted').map((e) => [e.state, e.delay_ms]), [['W', 5], ['Item wait', 3], ['Item wait', 3]]);
  assert.throws(() => runAsl(definition, { input: { items: [] }, waitOverrides: { Nope: 5 } }),
    (e) => e instanceof RangeError && /there is no state named "Nope"/.test(e.message));
});

test('handler errors: a plain Error is States.TaskFailed, a named one keeps its name; both catchable', async () => {
  const definition = {
    StartAt: 'T',
    States: {
      T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:T', Catch: [{ ErrorEquals: ['Custom.Error'], ResultPath: '$.error', Next: 'Caught' }], End: true },
      Caught: { Type: 'Pass', End: true },
    },
  };
  const failing = (error) => runAsl(definition, { handlers: { T: async () => { throw error; } } });
  await assert.rejects(failing(new Error('it broke')).result(), { name: 'States.TaskFailed', message: 'it broke', cause: 'it broke' });
  const custom = Object.assign(new Error('custom cause'), { name: 'Custom.Error' });
  assert.deepEqual(await failing(custom).result(), { error: { Error: 'Custom.Error', Cause: 'custom cause' } });
  const sync = runAsl(definition, { handlers: { T: () => { throw new TypeError('bad'); } } });
  await assert.rejects(sync.result(), { name: 'TypeError', message: 'bad' });
});

test('abort: through the signal or abort(), the .sync job is cancelled, AbortError', async () => {
  const cancelled = [];
  const handlers = {
    [BATCH_SYNC]: {
      submit: async () => 'job-9',
      check: async () => ({ status: 'PENDING' }),
      cancel: async (handle, reason) => { cancelled.push({ handle, reason }); },
    },
    [SNS_PUBLISH]: async () => ({}),
  };
  const controller = new AbortController();
  const execution = runAsl(manageBatchJob, { handlers, signal: controller.signal });
  for await (const event of execution) {
    if (event.type === 'TaskSubmitted') controller.abort();
  }
  assert.deepEqual(await execution.outcome, { status: 'ABORTED', job_cancelled: true });
  await assert.rejects(execution.result(), { name: 'AbortError' });
  assert.equal(cancelled.length, 1);
  assert.equal(cancelled[0].handle, 'job-9');

  // (The Wait's host timer still runs after the abort: a short one lets node:test exit.)
  const waiting = runAsl(waitDays, { waitOverrides: { 'Wait 3 days': 200 } });
  setTimeout(() => waiting.abort(), 5);
  assert.equal((await waiting.outcome).status, 'ABORTED');
});

test('validateAsl reports every problem with its state and path', () => {
  assert.deepEqual(validateAsl(jobPoller), { valid: true, problems: [] });
  assert.deepEqual(validateAsl(JSON.stringify(manageBatchJob)), { valid: true, problems: [] });
  const { valid, problems } = validateAsl({
    StartAt: 'Missing',
    States: {
      A: { Type: 'Pass', Next: 'Nowhere' },
      B: { Type: 'Wait', End: true },
    },
  });
  assert.equal(valid, false);
  assert.ok(problems.length >= 3, JSON.stringify(problems));
  for (const problem of problems) {
    assert.deepEqual(Object.keys(problem).sort(), ['path', 'reason', 'state']);
    assert.match(problem.path, /^\$/);
    assert.equal(typeof problem.reason, 'string');
  }
  assert.ok(problems.some((p) => p.state === 'A' && p.path.includes("['A'].Next")), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.state === 'B'), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.path.includes('StartAt')), JSON.stringify(problems));
  const notJson = validateAsl('{ not json');
  assert.equal(notJson.valid, false);
  assert.equal(notJson.problems[0].path, '$');
});

test('aslGraph draws Mermaid (default) or DOT', () => {
  const mermaid = aslGraph(jobPoller);
  assert.match(mermaid, /Wait X Seconds/);
  assert.match(mermaid, /Job Complete\?/);
  assert.equal(aslGraph(jobPoller, { format: 'mermaid' }), mermaid);
  const dot = aslGraph(manageBatchJob, { format: 'dot' });
  assert.match(dot, /^digraph/);
  assert.match(dot, /Notify Failure/);
});

test('bad input throws a TypeError or RangeError naming the field, and the module keeps working', async () => {
  const ok = { handlers: lambdas().handlers };
  const cases = [
    [() => runAsl(42, ok), TypeError, /definition must be an object or a JSON string, got number/],
    [() => runAsl(null), TypeError, /definition must be an object or a JSON string, got null/],
    [() => runAsl('{ not json', ok), TypeError, /definition is not a valid state machine: .*not JSON/],
    [() => runAsl({ StartAt: 'X', States: {} }), TypeError, /definition is not a valid state machine/],
    [() => { const d = {}; d.self = d; runAsl(d); }, TypeError, /definition is not JSON-serializable/],
    [() => runAsl(jobPoller, 'x'), TypeError, /options must be an object, got string/],
    [() => runAsl(jobPoller, { ...ok, signal: {} }), TypeError, /options.signal must be an AbortSignal/],
    [() => runAsl(jobPoller, { handlers: 5 }), TypeError, /options.handlers must be an object, got number/],
    [() => runAsl(jobPoller, { handlers: { [SUBMIT_JOB]: 5 } }), TypeError, /options.handlers\[".*SubmitJob"\] must be a function, or an object with submit and check functions/],
    [() => runAsl(jobPoller, { handlers: { [SUBMIT_JOB]: { submit() {} } } }), TypeError, /options.handlers\[".*SubmitJob"\] must be a function, or an object/],
    [() => runAsl(manageBatchJob, { handlers: { [BATCH_SYNC]: { submit() {}, check() {}, cancel: 1 }, [SNS_PUBLISH]() {} } }), TypeError, /options.handlers\[".*submitJob.sync"\].cancel must be a function/],
    [() => runAsl(jobPoller, { handlers: { [SUBMIT_JOB]: () => 1 } }), TypeError, /options.handlers: .*Get Job Status.*no handler is bound/],
    [() => runAsl(manageBatchJob, { handlers: { [BATCH_SYNC]: () => 1, [SNS_PUBLISH]() {} } }), TypeError, /options.handlers: .*\.sync resource: bind a job poller/],
    [() => runAsl(waitDays, { simulatedTime: 'yes' }), TypeError, /options.simulatedTime must be a boolean or a start time/],
    [() => runAsl(waitDays, { simulatedTime: -1 }), RangeError, /options.simulatedTime must be a finite number >= 0/],
    [() => runAsl(waitDays, { simulatedTime: NaN }), RangeError, /options.simulatedTime must be a finite number >= 0/],
    [() => runAsl(waitDays, { waitOverrides: [] }), TypeError, /options.waitOverrides must be an object, got array/],
    [() => runAsl(waitDays, { waitOverrides: { 'Wait 3 days': '5' } }), TypeError, /options.waitOverrides\["Wait 3 days"\] must be a number/],
    [() => runAsl(waitDays, { waitOverrides: { 'Wait 3 days': -5 } }), RangeError, /options.waitOverrides\["Wait 3 days"\] must be a finite number >= 0/],
    [() => runAsl(waitDays, { waitOverrides: { Nope: 5 } }), RangeError, /options.waitOverrides\["Nope"\]: there is no state named "Nope"/],
    [() => runAsl(waitDays, { waitOverrides: { Done: 5 } }), RangeError, /options.waitOverrides\["Done"\]: "Done" is not a Wait state/],
    [() => runAsl(waitDays, { input: 10n }), TypeError, /options.input is not JSON-serializable/],
    [() => validateAsl(undefined), TypeError, /definition must be an object or a JSON string, got undefined/],
    [() => aslGraph(jobPoller, { format: 'png' }), RangeError, /options.format must be 'mermaid' or 'dot', got "png"/],
    [() => aslGraph(jobPoller, { format: 1 }), TypeError, /options.format must be 'mermaid' or 'dot', got number/],
    [() => aslGraph('[]'), TypeError, /definition is not a valid state machine/],
  ];
  for (const [call, type, message] of cases) {
    assert.throws(call, (e) => e instanceof type && message.test(e.message), String(message));
  }
  const bad = runAsl({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'r', End: true } } }, {
    handlers: { r: () => 10n },
  });
  await assert.rejects(bad.result(), { name: 'TypeError', message: /the result of options.handlers\["r"\] is not JSON-serializable/ });
  assert.deepEqual(await runAsl(waitDays, { simulatedTime: true }).result(), { done: true });
});

test('a revoked proxy or a getter that throws in a result is a task error that Catch takes', async () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const caught = (resource) => ({
    StartAt: 'T',
    States: {
      T: { Type: 'Task', Resource: resource, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true },
      Caught: { Type: 'Pass', End: true },
    },
  });
  const cases = [
    [{ submit: () => 'h', check: () => ({ status: proxy }) }, /check\(\) result \.status must be .*, got object/],
    [{ submit: () => 'h', check: () => ({ status: 'PENDING', retryAfterMs: proxy }) }, /\.retryAfterMs must be a number of milliseconds, got object/],
    [{ submit: () => 'h', check: () => ({ status: 'SUCCEEDED', get output() { throw new Error('gone'); } }) }, /reading check\(\) result \.output threw: gone/],
  ];
  for (const [job, cause] of cases) {
    const output = await runAsl(caught('arn:aws:states:::batch:submitJob.sync'), { simulatedTime: true, handlers: { 'arn:aws:states:::batch:submitJob.sync': job } }).result();
    assert.equal(output.Error, 'TypeError');
    assert.match(output.Cause, cause);
  }
  // Reading the returned proxy's `then` throws: that is the handler's error.
  const output = await runAsl(caught('r'), { handlers: { r: () => proxy } }).result();
  assert.deepEqual(output, { Error: 'TypeError', Cause: "Cannot perform 'get' on a proxy that has been revoked" });
});

test('context.sleep: a handler still asleep when the run ends wakes, and a stray sleep does not stop the clock', async () => {
  const cleaned = [];
  const timedOut = runAsl({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'r', TimeoutSeconds: 5, End: true } } }, {
    simulatedTime: 0,
    handlers: { r: async (input, context) => { try { await context.sleep(60_000); } finally { cleaned.push('r'); } } },
  });
  assert.equal((await timedOut.outcome).status, 'FAILED');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(cleaned, ['r']);

  // A sleep nobody awaits ends with its handler's call: B's real I/O still stops the clock.
  const stray = runAsl({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'a', Next: 'B' }, B: { Type: 'Task', Resource: 'b', TimeoutSeconds: 5, End: true } } }, {
    simulatedTime: 0,
    handlers: {
      a: (input, context) => { context.sleep(1e7); return 1; },
      b: async () => { await new Promise((resolve) => setTimeout(resolve, 50)); return 'b done'; },
    },
  });
  assert.deepEqual(await stray.outcome, { status: 'SUCCEEDED', output: 'b done' });
});

test('bad options that throw while read, or cannot be serialized, are TypeErrors naming the field', () => {
  const throwing = (field) => Object.defineProperty({ handlers: lambdas().handlers }, field, { get() { throw new Error('no access'); } });
  const cases = [
    [() => runAsl(jobPoller, throwing('input')), TypeError, /reading options\.input threw: no access/],
    [() => runAsl(jobPoller, throwing('signal')), TypeError, /reading options\.signal threw: no access/],
    [() => runAsl(jobPoller, throwing('simulatedTime')), TypeError, /reading options\.simulatedTime threw: no access/],
    [() => runAsl(jobPoller, throwing('waitOverrides')), TypeError, /reading options\.waitOverrides threw: no access/],
    [() => runAsl(jobPoller, { handlers: new Proxy({}, { ownKeys() { throw new Error('no keys'); } }) }), TypeError, /reading options\.handlers threw: no keys/],
    [() => runAsl(manageBatchJob, { handlers: { [BATCH_SYNC]: { get submit() { throw new Error('no'); }, check() {} } } }), TypeError, /reading options\.handlers\[".*submitJob\.sync"\]\.submit threw: no/],
    [() => runAsl({ toJSON() {} }), TypeError, /definition is not JSON-serializable: its toJSON gave undefined/],
    [() => validateAsl({ toJSON() {} }), TypeError, /definition is not JSON-serializable/],
    [() => runAsl(jobPoller, { simulatedTime: 1e300 }), RangeError, /options\.simulatedTime must be a finite number >= 0 and <= 8640000000000000/],
    [() => runAsl(jobPoller, { waitOverrides: { 'Wait X Seconds': 1e300 } }), RangeError, /options\.waitOverrides\["Wait X Seconds"\] must be a finite number >= 0 and <= 9007199254740991/],
    [() => aslGraph(jobPoller, Object.defineProperty({}, 'format', { get() { throw new Error('no'); } })), TypeError, /reading options\.format threw: no/],
  ];
  for (const [call, type, message] of cases) {
    assert.throws(call, (e) => e instanceof type && message.test(e.message), String(message));
  }
});

test('a state named "__proto__" keeps its handler and its wait override', async () => {
  const definition = JSON.parse('{"StartAt": "__proto__", "States": {"__proto__": {"Type": "Wait", "Seconds": 3600, "Next": "T"}, "T": {"Type": "Task", "Resource": "r", "End": true}}}');
  const started = Date.now();
  const output = await runAsl(definition, { handlers: { r: () => 'done' }, waitOverrides: JSON.parse('{"__proto__": 10}') }).result();
  assert.equal(output, 'done');
  assert.ok(Date.now() - started < 1000, 'the override applied');
  const named = JSON.parse('{"StartAt": "__proto__", "States": {"__proto__": {"Type": "Task", "Resource": "r", "End": true}}}');
  const byName = JSON.parse('{"__proto__": null}');
  Object.defineProperty(byName, '__proto__', { value: () => 'by name', enumerable: true });
  assert.equal(await runAsl(named, { handlers: byName }).result(), 'by name');
});

test('a simulated sleep started after the run ended returns at once', async () => {
  let kept;
  const execution = runAsl({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'r', End: true } } }, {
    simulatedTime: 0,
    handlers: { r: (input, context) => { kept = context; return 1; } },
  });
  assert.equal(await execution.result(), 1);
  const late = await Promise.race([kept.sleep(1000).then(() => 'woke'), new Promise((resolve) => setTimeout(() => resolve('hung'), 500))]);
  assert.equal(late, 'woke');
});

test('retry jitter, States.UUID() and States.MathRandom() differ between runs unless seeded', async () => {
  const definition = {
    StartAt: 'Draw',
    States: {
      Draw: { Type: 'Pass', Parameters: { 'id.$': 'States.UUID()', 'n.$': 'States.MathRandom(0, 1000000000)' }, ResultPath: '$.drawn', Next: 'Flaky' },
      Flaky: {
        Type: 'Task', Resource: 'flaky', ResultPath: null, End: true,
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxDelaySeconds: 120, BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Done' }],
      },
      Done: { Type: 'Succeed' },
    },
  };
  const draw = async (seed) => {
    const events = await collect(runAsl(definition, {
      handlers: { flaky: async () => { throw new Error('busy'); } },
      simulatedTime: true,
      seed,
    }));
    const output = events.at(-1).output;
    const retries = events.filter((e) => e.type === 'TaskFailed').map((e) => e.retry_in_ms).filter((ms) => ms !== undefined && ms !== null);
    assert.equal(retries.length, 6);
    assert.match(output.drawn.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    return { id: output.drawn.id, n: output.drawn.n, retries };
  };
  const [first, second] = [await draw(), await draw()];
  assert.notEqual(first.id, second.id);
  assert.notEqual(first.n, second.n);
  assert.notDeepEqual(first.retries, second.retries);
  assert.deepEqual(await draw(11), await draw(11));
  assert.throws(() => runAsl(definition, { seed: -1 }), { name: 'RangeError', message: /options\.seed must be a whole number from 0 to 9007199254740991, got -1/ });
  assert.throws(() => runAsl(definition, { seed: 'x' }), { name: 'TypeError', message: /options\.seed must be a number, got string/ });
});

test('without push: true a .waitForTaskToken task fails at once with Pollflow.NoPush', async () => {
  const definition = {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: { 'token.$': '$$.Task.Token' },
        HeartbeatSeconds: 60,
        End: true,
      },
    },
  };
  const events = [];
  const execution = runAsl(definition, { simulatedTime: true });
  for await (const event of execution) events.push(event);
  const outcome = await execution.outcome;
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.error.error, 'Pollflow.NoPush');
  assert.match(outcome.error.cause, /push: true/);
  const issued = events.find((e) => e.type === 'TaskTokenIssued');
  assert.match(issued.token, /^[0-9a-f]{48}$/);
});
