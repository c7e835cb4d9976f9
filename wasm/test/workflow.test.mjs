// run({ workflow }): workflows beyond the Job Poller, given as their graph (WorkflowGraph), on
// the second engine; workflowGraph draws them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resume, run, workflowGraph } from 'pollflow';

const fixed = (ms) => ({ backoff: { kind: 'fixed', delay_ms: ms } });

/** Submit A, wait, check; then submit B with A's output, wait, check; notify; succeed. */
const twoJobs = {
  name: 'Two jobs',
  start_at: 'Submit A',
  states: [
    { name: 'Submit A', type: 'Submit', next: 'Wait A' },
    { name: 'Wait A', type: 'Wait', policy: fixed(5), next: 'Check A' },
    { name: 'Check A', type: 'Check', next: 'A done?' },
    { name: 'A done?', type: 'Choice', default: 'Wait A', choices: [
      { condition: 'succeeded', next: 'Submit B' },
      { condition: 'failed', next: 'A failed' },
    ] },
    { name: 'A failed', type: 'Fail', error: 'States.TaskFailed' },
    { name: 'Submit B', type: 'Submit', next: 'Wait B' },
    { name: 'Wait B', type: 'Wait', policy: { ...fixed(5), max_attempts: 10 }, next: 'Check B' },
    { name: 'Check B', type: 'Check', next: 'B done?' },
    { name: 'B done?', type: 'Choice', default: 'Wait B', choices: [
      { condition: { or: ['succeeded', { status_is: 'SKIPPED' }] }, next: 'Notify' },
      { condition: 'failed', next: 'B failed' },
    ] },
    { name: 'Notify', type: 'Notify', subject: 'jobs', message: 'A and B are done', next: 'Done' },
    { name: 'Done', type: 'Succeed' },
    { name: 'B failed', type: 'Fail', error: 'BFailed', cause: 'job B failed' },
  ],
};

/** Jobs done on their `doneAfter`th check, their output `output(input)`; every call recorded. */
function service({ doneAfter = 2, fail = () => false, output = (input) => ({ from: input }) } = {}) {
  const jobs = [];
  const notes = [];
  return {
    jobs,
    notes,
    submit: async (input) => {
      jobs.push({ input, checks: 0 });
      return `job-${jobs.length}`;
    },
    check: async (handle) => {
      const job = jobs[Number(handle.slice(4)) - 1];
      job.checks += 1;
      if (job.checks < doneAfter) return { status: 'PENDING', detail: 'RUNNING' };
      return fail(job) ? { status: 'FAILED', detail: { job: handle } } : { status: 'SUCCEEDED', output: output(job.input) };
    },
    notify: async (notification) => {
      notes.push(notification);
    },
  };
}

const entered = (events) => events.filter((e) => e.type === 'StateEntered').map((e) => e.state);

test('a two-job workflow: B is submitted with A\'s output, then the notification, then B\'s output', async () => {
  const jobs = service({ output: (input) => ({ rows: (input.rows ?? 1) * 10 }) });
  const execution = run({ ...jobs, workflow: twoJobs, input: { rows: 3 } });
  const events = [];
  for await (const event of execution) events.push(event);
  assert.deepEqual(await execution.result(), { rows: 300 });
  assert.deepEqual(jobs.jobs.map((j) => j.input), [{ rows: 3 }, { rows: 30 }], 'B got A\'s output');
  assert.deepEqual(jobs.jobs.map((j) => j.checks), [2, 2]);
  assert.deepEqual(entered(events), [
    'Submit A', 'Wait A', 'Check A', 'A done?', 'Wait A', 'Check A', 'A done?',
    'Submit B', 'Wait B', 'Check B', 'B done?', 'Wait B', 'Check B', 'B done?', 'Notify', 'Done',
  ]);
  assert.deepEqual(jobs.notes.map((n) => [n.state, n.subject, n.message]), [['Notify', 'jobs', 'A and B are done']]);
  const submitted = events.filter((e) => e.type === 'TaskSubmitted').map((e) => [e.state, e.handle]);
  assert.deepEqual(submitted, [['Submit A', 'job-1'], ['Submit B', 'job-2']]);
});

test('a failed first job ends in its Fail state, and the second is never submitted', async () => {
  const jobs = service({ fail: (job) => job.input.broken === true });
  const outcome = await run({ ...jobs, workflow: twoJobs, input: { broken: true } }).outcome;
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.error.error, 'States.TaskFailed');
  assert.match(outcome.error.cause, /job-1/, 'the job\'s detail is the cause');
  assert.equal(jobs.jobs.length, 1);
});

test('rules are tried in order: a status word routes B on, and a Wait\'s max_attempts times it out', async () => {
  const skipped = service({ doneAfter: 1 });
  const done = skipped.check;
  skipped.check = async (handle) => (handle === 'job-1' ? done(handle) : { status: 'PENDING', detail: { status: 'SKIPPED' } });
  const outcome = await run({ ...skipped, workflow: twoJobs }).outcome;
  assert.equal(outcome.status, 'SUCCEEDED', JSON.stringify(outcome));
  assert.equal(skipped.notes.length, 1);

  const stuck = service({ doneAfter: 1 });
  const check = stuck.check;
  let checksOfB = 0;
  stuck.check = async (handle) => {
    if (handle === 'job-1') return check(handle);
    checksOfB += 1;
    return { status: 'PENDING', detail: 'RUNNING' };
  };
  const timedOut = await run({ ...stuck, workflow: twoJobs }).outcome;
  assert.equal(timedOut.status, 'TIMED_OUT', JSON.stringify(timedOut));
  assert.equal(checksOfB, 10, 'Wait B\'s max_attempts: 10');
});

test('workflowGraph draws the workflow as the engine read it, and the Job Poller\'s graph runs as a workflow', async () => {
  const jobs = service();
  const drawing = workflowGraph({ ...jobs, workflow: twoJobs });
  assert.ok(drawing instanceof Promise, 'a promise: the second engine reads graphs');
  const graph = await drawing;
  assert.deepEqual(graph.states.map((s) => s.name), twoJobs.states.map((s) => s.name));
  assert.equal(graph.cancel_on_stop, true);
  const check = graph.states.find((s) => s.name === 'Check A');
  assert.equal(check.retry.max_attempts, 5, 'the default retry of checks, filled in');
  assert.deepEqual(graph.states.find((s) => s.name === 'B done?').choices[0].condition, { or: ['succeeded', { status_is: 'SKIPPED' }] });
  assert.deepEqual(await workflowGraph({ ...jobs, workflow: graph }), graph, 'a drawn graph reads back the same');

  // The Job Poller, drawn by the base engine, then run from its graph on the second.
  const jobPoller = workflowGraph({ ...jobs, wait: { intervalMs: 5 }, name: 'Poller' });
  assert.equal(jobPoller.name, 'Poller');
  const direct = run({ ...service(), wait: { intervalMs: 5 }, name: 'Poller', seed: 7 });
  const fromGraph = run({ ...service(), workflow: jobPoller, seed: 7 });
  const types = async (execution) => {
    const seen = [];
    for await (const event of execution) seen.push(`${event.type} ${event.state ?? ''}`);
    return seen;
  };
  assert.deepEqual(await types(fromGraph), await types(direct));
});

test('a custom workflow checkpointed in its second job resumes there, without submitting again', async () => {
  const jobs = service({ doneAfter: 3 });
  const first = run({ ...jobs, workflow: twoJobs, input: { rows: 1 } });
  let saved;
  for await (const event of first) {
    if (event.type === 'WaitStarted' && event.state === 'Wait B') {
      saved = JSON.stringify(first.checkpoint());
      break;
    }
  }
  first.abort();
  assert.equal(JSON.parse(saved).state, 'Wait B');
  const resumed = resume(saved, { ...jobs, workflow: twoJobs });
  assert.deepEqual(await resumed.result(), { from: { from: { rows: 1 } } });
  assert.equal(jobs.jobs.length, 2, 'B was not submitted again');
  await assert.rejects(resume(saved, { ...jobs }).result(), /checkpoint is from workflow "Two jobs", but this engine runs "Job Poller"/);
});

test('a graph that does not read or hold together is a clear error, naming the field', async () => {
  const jobs = service();
  const failing = async (workflow, extra = {}) => {
    const reasons = [];
    for (const attempt of [() => run({ ...jobs, ...extra, workflow }).outcome, () => workflowGraph({ ...jobs, ...extra, workflow })]) {
      try {
        await attempt();
        reasons.push('no error');
      } catch (error) {
        reasons.push(`${error.name}: ${error.message}`);
      }
    }
    assert.equal(reasons[0], reasons[1], 'run and workflowGraph report alike');
    return reasons[0];
  };
  const states = twoJobs.states;
  assert.match(await failing('Two jobs'), /^TypeError: options\.workflow must be an object, got a string/);
  assert.match(await failing({ ...twoJobs, start_at: undefined }), /^TypeError: options\.workflow\.start_at is missing/);
  assert.match(await failing({ ...twoJobs, states: [{ ...states[0], type: 'Task' }, ...states.slice(1)] }),
    /^TypeError: options\.workflow\.states\[0\] \("Submit A"\)\.type is "Task": expected Submit, Wait, Check, Choice, Notify, Succeed or Fail/);
  assert.match(await failing({ ...twoJobs, states: [states[0], { ...states[1], policy: { backoff: { kind: 'fixed' } } }, ...states.slice(2)] }),
    /^TypeError: options\.workflow\.states\[1\] \("Wait A"\)\.policy\.backoff\.delay_ms is missing/);
  assert.match(await failing({ ...twoJobs, states: [{ ...states[0], nxt: 'Wait A' }, ...states.slice(1)] }),
    /^TypeError: options\.workflow\.states\[0\] \("Submit A"\) has no field "nxt"/);
  assert.match(await failing({ ...twoJobs, states: [states[0], states[1], states[2], { ...states[3], choices: [{ condition: 'done', next: 'Submit B' }] }, ...states.slice(4)] }),
    /^TypeError: options\.workflow\.states\[3\] \("A done\?"\)\.choices\[0\]\.condition is "done"/);
  // Reads, but does not hold together: every problem at once.
  const broken = await failing({ ...twoJobs, states: [{ ...states[0], next: 'Nowhere' }, ...states.slice(1, 5), { ...states[5], next: 'Elsewhere' }, ...states.slice(6)] });
  assert.match(broken, /^RangeError: options\.workflow: invalid workflow \(2 problems\)/);
  assert.match(broken, /state "Submit A" at \$\.states\[0\]\.next: no state named "Nowhere"/);
  assert.match(broken, /state "Submit B" at \$\.states\[5\]\.next: no state named "Elsewhere"/);
  assert.match(await failing({ ...twoJobs, states: [...states, { name: 'Orphan', type: 'Succeed' }] }), /^RangeError: options\.workflow: .*\n.*"Orphan".*not reachable/);
  assert.match(await failing(twoJobs, { wait: { intervalMs: 5 } }), /^TypeError: options\.wait shapes the Job Poller; with options\.workflow, its states say that/);
});
