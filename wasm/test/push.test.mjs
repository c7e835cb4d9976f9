// Pushes into running executions: a job's status from the host ends the wait before the next
// check (`pushStatus`), and in `pollflow/asl` the task-token sends answer `.waitForTaskToken`
// tasks. Runs given `push: true` run on the second engine; others refuse pushes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resume, run } from 'pollflow';
import { runAsl } from 'pollflow/asl';

/** A job that is never done by polling: only a push ends it. */
function stuck() {
  const calls = { submits: 0, checks: 0 };
  return {
    calls,
    submit: async () => ({ jobId: `job-${++calls.submits}` }),
    check: async () => { calls.checks += 1; return { status: 'PENDING', detail: 'RUNNING' }; },
  };
}

test('a pushed status ends an hour-long wait at once and stands for the check', async () => {
  const job = stuck();
  const execution = run({ ...job, push: true, wait: { intervalMs: 3_600_000 } });
  const started = Date.now();
  const checks = [];
  for await (const event of execution) {
    if (event.type === 'WaitStarted') {
      assert.equal(execution.pushStatus({ jobId: 'job-1' }, { status: 'SUCCEEDED', output: { rows: 3 } }), true);
    }
    if (event.type === 'StatusChecked') checks.push(event);
  }
  assert.deepEqual(await execution.result(), { rows: 3 });
  assert.ok(Date.now() - started < 5_000, 'no hour of waiting');
  assert.equal(job.calls.checks, 0, 'check() was not called');
  assert.equal(checks.length, 1);
  assert.equal(checks[0].pushed, true);
  assert.deepEqual(checks[0].status, { status: 'SUCCEEDED', output: { rows: 3 } });
  assert.equal(execution.pushStatus({ jobId: 'job-1' }, { status: 'FAILED' }), false, 'it has ended');
});

test('a pushed PENDING status counts as a check, polling goes on, and other jobs are refused', async () => {
  let checks = 0;
  const execution = run({
    push: true,
    submit: () => 'job-1',
    check: () => {
      checks += 1;
      return { status: 'SUCCEEDED', output: 'polled' };
    },
    wait: { intervalMs: 30 },
  });
  const pushed = [];
  let first = true;
  for await (const event of execution) {
    if (event.type === 'WaitStarted' && first) {
      first = false;
      assert.equal(execution.pushStatus('job-2', { status: 'SUCCEEDED', output: 'not mine' }), false);
      assert.equal(execution.pushStatus('job-1', { status: 'PENDING', detail: 'RUNNABLE' }), true);
    }
    if (event.type === 'StatusChecked') pushed.push(event.pushed === true);
  }
  assert.equal(await execution.result(), 'polled');
  assert.deepEqual(pushed, [true, false]);
  assert.equal(checks, 1);
});

test('a push that ends a parked run\'s sleep clears its timer: nothing keeps Node alive', async () => {
  const execution = run({ ...stuck(), push: true, wait: { intervalMs: 3_600_000 } });
  for await (const event of execution) {
    // Pushed later, while the run is parked on its hour-long timer.
    if (event.type === 'WaitStarted') setTimeout(() => execution.pushStatus({ jobId: 'job-1' }, { status: 'SUCCEEDED', output: 'late' }), 20);
  }
  assert.equal(await execution.result(), 'late');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout'), []);
});

test('pushStatus checks its status like a check result, and needs push: true', async () => {
  const execution = run({ ...stuck(), push: true, wait: { intervalMs: 3_600_000 } });
  for await (const event of execution) {
    if (event.type !== 'WaitStarted') continue;
    assert.throws(() => execution.pushStatus({ jobId: 'job-1' }, 'done'), { name: 'TypeError', message: /pushStatus\(handle, status\): status must be an object like \{status/ });
    assert.throws(() => execution.pushStatus({ jobId: 'job-1' }, { status: 'DONE' }), { name: 'TypeError', message: /status \.status must be 'PENDING', 'SUCCEEDED' or 'FAILED', got "DONE"/ });
    assert.throws(() => execution.pushStatus({ n: 1n }, { status: 'FAILED' }), { name: 'TypeError', message: /handle is not JSON-serializable/ });
    execution.pushStatus({ jobId: 'job-1' }, { status: 'FAILED', detail: { reason: 'oom' } });
  }
  await assert.rejects(execution.result(), { name: 'States.TaskFailed' });

  const plain = run({ ...stuck(), wait: { intervalMs: 3_600_000 } });
  for await (const event of plain) {
    if (event.type !== 'WaitStarted') continue;
    assert.throws(() => plain.pushStatus({ jobId: 'job-1' }, { status: 'SUCCEEDED', output: 1 }), { name: 'TypeError', message: /pushStatus\(\) needs a run started with push: true/ });
    plain.abort();
  }
});

test('a resumed run takes pushes', async () => {
  const job = stuck();
  const first = run({ ...job, wait: { intervalMs: 3_600_000 } });
  let checkpoint;
  for await (const event of first) {
    if (event.type === 'WaitStarted') {
      checkpoint = first.checkpoint();
      first.abort();
    }
  }
  const resumed = resume(checkpoint, { ...job, wait: { intervalMs: 3_600_000 } });
  assert.equal(resumed.pushStatus({ jobId: 'job-1' }, { status: 'SUCCEEDED', output: 'x' }), false, 'not loaded yet: no job');
  // The run goes on with what was left of its wait, without an event until it ends: the
  // push is refused until its engine has loaded, then taken.
  const loaded = Date.now();
  while (!resumed.pushStatus({ jobId: 'job-1' }, { status: 'SUCCEEDED', output: 'pushed' })) {
    assert.ok(Date.now() - loaded < 10_000, 'the engine loads');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(await resumed.result(), 'pushed');
  assert.equal(job.calls.submits, 1);
});

const approval = {
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: { 'token.$': '$$.Task.Token', 'order.$': '$.order' },
      HeartbeatSeconds: 60,
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'Rejected' }],
      End: true,
    },
    Rejected: { Type: 'Pass', End: true },
  },
};

/** Runs `approval` and answers its token with `answer(execution, token)` once issued. */
async function answered(answer, options = {}) {
  const execution = runAsl(approval, { push: true, simulatedTime: true, input: { order: 7 }, ...options });
  const events = [];
  for await (const event of execution) {
    events.push(event);
    if (event.type === 'TaskTokenIssued') answer(execution, event.token);
  }
  return { execution, events, outcome: await execution.outcome };
}

test('a .waitForTaskToken task completes by sendTaskSuccess, fails by sendTaskFailure, and refuses bad tokens', async () => {
  let handed;
  const success = await answered((execution, token) => {
    assert.match(token, /^[0-9a-f]{48}$/);
    handed = token;
    execution.sendTaskHeartbeat(token);
    execution.sendTaskSuccess(token, { approved: true });
    assert.throws(() => execution.sendTaskSuccess(token, {}), { name: 'TaskTimedOut' });
  });
  assert.deepEqual(success.outcome, { status: 'SUCCEEDED', output: { approved: true } });
  assert.throws(() => success.execution.sendTaskSuccess(handed, {}), { name: 'TaskTimedOut' });

  const failure = await answered((execution, token) => execution.sendTaskFailure(token, 'Rejected', 'too big'));
  assert.equal(failure.outcome.status, 'SUCCEEDED');
  assert.deepEqual(failure.outcome.output.rejection, { Error: 'Rejected', Cause: 'too big' });

  await answered((execution, token) => {
    assert.throws(() => execution.sendTaskSuccess('nope', {}), { name: 'InvalidToken' });
    assert.throws(() => execution.sendTaskSuccess(`${token.slice(0, 47)}${token[47] === '0' ? '1' : '0'}`, {}), { name: 'TaskDoesNotExist' });
    assert.throws(() => execution.sendTaskSuccess(7, {}), { name: 'TypeError', message: /token must be a string, got number/ });
    assert.throws(() => execution.sendTaskSuccess(token, { n: 1n }), { name: 'TypeError', message: /output is not JSON-serializable/ });
    execution.sendTaskSuccess(token, 'ok');
  });
});

test('without a heartbeat in time the task fails with States.HeartbeatTimeout', async () => {
  const { outcome, events } = await answered(() => {});
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.error.error, 'States.HeartbeatTimeout');
  const issued = events.find((e) => e.type === 'TaskTokenIssued');
  assert.ok(events.at(-1).timestamp_ms - issued.timestamp_ms >= 60_000, 'after HeartbeatSeconds on simulated time');
});
