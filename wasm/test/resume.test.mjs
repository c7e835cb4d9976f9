// Checkpoint and resume through the npm package, as a page that reloads uses them: the
// checkpoint is JSON data, a resumed run polls the same job and does not submit it again, and a
// submit whose answer was lost is found by its key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resume, run } from 'pollflow';
import { resumeAsl, runAsl } from 'pollflow/asl';

/** A job service: jobs by id, each with its submit key, done on its `doneAfter`th check. */
function service({ doneAfter = 3 } = {}) {
  const jobs = [];
  return {
    jobs,
    submit: async (input, submission) => {
      jobs.push({ key: submission?.key, checks: 0 });
      return { jobId: `job-${jobs.length}` };
    },
    check: async (handle) => {
      const job = jobs[Number(handle.jobId.slice(4)) - 1];
      job.checks += 1;
      return job.checks >= doneAfter ? { status: 'SUCCEEDED', output: { job: handle.jobId, checks: job.checks } } : { status: 'PENDING', detail: 'RUNNING' };
    },
    find: async (_input, key) => {
      const i = jobs.findIndex((job) => job.key === key);
      return i < 0 ? null : { jobId: `job-${i + 1}` };
    },
  };
}

test('a run checkpointed mid-wait resumes polling the same job after a "reload", without submitting again', async () => {
  const jobs = service();
  const first = run({ ...jobs, input: { jobName: 'report' }, wait: { intervalMs: 10 } });
  let saved;
  for await (const event of first) {
    if (event.type === 'WaitStarted') {
      saved = JSON.stringify(first.checkpoint()); // what a page keeps in localStorage
      break;
    }
  }
  first.abort(); // the page goes away
  const checkpoint = JSON.parse(saved);
  assert.equal(checkpoint.version, 2); // Checkpoint::FORMAT_VERSION
  assert.equal(checkpoint.execution.deadline_ms, undefined, 'no u64::MAX, which JSON.parse would round');
  assert.equal(checkpoint.state, 'Wait');
  const resumed = resume(checkpoint, { ...jobs, wait: { intervalMs: 10 } });
  const types = [];
  for await (const event of resumed) types.push(event.type);
  assert.ok(!types.includes('TaskSubmitted'), types.join());
  assert.deepEqual(await resumed.result(), { job: 'job-1', checks: 3 });
  assert.equal(jobs.jobs.length, 1, 'one job');
  assert.match(jobs.jobs[0].key, /^[0-9a-f]{16}-0$/);
});

test('a resumed run whose submit never answered finds the job by its key', async () => {
  const jobs = service();
  let answered = false;
  const lost = { ...jobs, submit: async (input, submission) => { await jobs.submit(input, submission); return new Promise(() => {}); } };
  const first = run({ ...lost, wait: { intervalMs: 10 } });
  const iterator = first[Symbol.asyncIterator]();
  for (;;) {
    const { value } = await Promise.race([iterator.next(), new Promise((resolve) => setTimeout(() => resolve({ value: null }), 50))]);
    if (value === null) break; // the submit hangs
    answered ||= value.type === 'TaskSubmitted';
  }
  assert.equal(answered, false);
  const checkpoint = first.checkpoint();
  assert.equal(checkpoint.execution.submitting, true);
  first.abort();
  const resumed = resume(checkpoint, { ...jobs, wait: { intervalMs: 10 } });
  assert.deepEqual(await resumed.result(), { job: 'job-1', checks: 3 });
  assert.equal(jobs.jobs.length, 1, 'found, not submitted again');

  // Without find, it submits again, under the same key.
  const again = service();
  const lostAgain = { ...again, find: undefined, submit: async (input, submission) => { await again.submit(input, submission); return new Promise(() => {}); } };
  const second = run({ ...lostAgain, wait: { intervalMs: 10 } });
  second.outcome.catch(() => {}); // drives it (an execution nobody iterates or awaits waits)
  await new Promise((resolve) => setTimeout(resolve, 50));
  const saved = second.checkpoint();
  second.abort();
  const { find, ...noFind } = again;
  assert.deepEqual(await resume(saved, { ...noFind, wait: { intervalMs: 10 } }).result(), { job: 'job-2', checks: 3 });
  assert.equal(again.jobs.length, 2);
  assert.equal(again.jobs[0].key, again.jobs[1].key);
});

test('checkpoint() and resume() say clearly what is wrong', async () => {
  const jobs = service({ doneAfter: 1 });
  const done = run({ ...jobs, wait: { intervalMs: 0 } });
  await done.outcome;
  assert.throws(() => done.checkpoint(), /the execution has ended; it has no checkpoint/);
  assert.throws(() => resume(42, jobs), { name: 'TypeError', message: /checkpoint must be what execution\.checkpoint\(\) returned .* got number/ });
  // The engine that reads checkpoints loads at the first resume(): its errors reach the
  // execution's outcome (and its events), not resume()'s caller.
  await assert.rejects(resume('{"version": 9}', jobs).outcome, { message: /checkpoint format version 9 is not one this release of pollflow reads/ });
  const other = run({ ...jobs, name: 'Other', wait: { intervalMs: 1000 } });
  // Taken while iterating: leaving a `for await` loop (break) aborts the execution.
  let checkpoint;
  for await (const event of other) {
    if (event.type === 'WaitStarted') {
      checkpoint = other.checkpoint();
      break;
    }
  }
  const wrong = resume(checkpoint, jobs);
  assert.deepEqual(wrong.checkpoint(), checkpoint, 'before its engine loaded, the checkpoint it was given');
  await assert.rejects(async () => {
    for await (const event of wrong) assert.fail(`an event: ${event.type}`);
  }, { message: /checkpoint is from workflow "Other", but this engine runs "Job Poller"/ });
});

test('pollflow/asl: a .sync job resumes from its checkpoint, and a seeded run draws the same numbers on', async () => {
  const definition = {
    StartAt: 'Job',
    States: {
      Job: { Type: 'Task', Resource: 'arn:aws:states:::batch:submitJob.sync', ResultPath: '$.job', Next: 'Id' },
      Id: { Type: 'Pass', Parameters: { 'n.$': 'States.MathRandom(0, 1000000)' }, End: true },
    },
  };
  const jobs = service({ doneAfter: 2 });
  const handlers = { 'arn:aws:states:::batch:submitJob.sync': { submit: jobs.submit, check: jobs.check, find: jobs.find } };
  const whole = await runAsl(definition, { handlers, seed: 7 }).result();
  const first = runAsl(definition, { handlers, seed: 7 });
  let checkpoint;
  for await (const event of first) {
    if (event.type === 'TaskSubmitted') {
      checkpoint = first.checkpoint();
      break;
    }
  }
  first.abort();
  const resumed = await resumeAsl(definition, checkpoint, { handlers }).result();
  assert.deepEqual(resumed.n, whole.n, 'the generator state came with the checkpoint');
  assert.equal(jobs.jobs.length, 2, 'one job per run: the resumed run did not submit');
});
