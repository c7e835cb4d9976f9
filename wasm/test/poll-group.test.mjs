// pollGroup: the checks of many executions, batched into checkMany calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollGroup, run } from 'pollflow';

/**
 * A batch service whose job `id` succeeds on its `checks`-th check; records each checkMany
 * call's handles and each job's check count when it was asked.
 */
function service({ checks = 3 } = {}) {
  const asked = new Map();
  const calls = [];
  return {
    calls,
    asked,
    checkMany: async (ids) => {
      calls.push(ids.map((id) => ({ id, check: asked.set(id, (asked.get(id) ?? 0) + 1).get(id) })));
      return ids.map((id) => (asked.get(id) >= checks ? { status: 'SUCCEEDED', output: { id } } : { status: 'PENDING', detail: 'RUNNING' }));
    },
  };
}

/** Runs `n` executions checked through `group`, their submits answering together. */
async function runAll(n, group, { intervalMs = 0 } = {}) {
  let open;
  const gate = new Promise((resolve) => { open = resolve; });
  const executions = Array.from({ length: n }, (_, i) => run({
    input: { i },
    submit: async (input) => { await gate; return `job-${input.i}`; },
    check: group.check,
    wait: { intervalMs },
  }));
  open();
  return Promise.all(executions.map((execution) => execution.outcome));
}

test('250 executions sharing a group of 100 make 3 checkMany calls a round', async () => {
  const jobs = service({ checks: 3 });
  // Executions due together run over a few milliseconds (their timers, the engine's slices of
  // work), tens on a loaded machine: a window of 100 ms keeps them in one round's calls, and
  // rounds 300 ms apart keep the rounds apart.
  const group = pollGroup({ checkMany: jobs.checkMany, maxBatch: 100, lingerMs: 100 });
  const outcomes = await runAll(250, group, { intervalMs: 300 });
  assert.ok(outcomes.every((o, i) => o.status === 'SUCCEEDED' && o.output.id === `job-${i}`));
  assert.ok(jobs.calls.every((call) => call.length <= 100));
  for (const round of [1, 2, 3]) {
    const calls = jobs.calls.filter((call) => call.some((c) => c.check === round));
    assert.ok(calls.every((call) => call.every((c) => c.check === round)), `round ${round}: one round per call`);
    assert.deepEqual(calls.map((call) => call.length), [100, 100, 50], `round ${round}`);
  }
  assert.equal(jobs.calls.length, 9);
});

test('a batch lingers for lingerMs: checks made apart within it share a call', async () => {
  const jobs = service({ checks: 1 });
  const group = pollGroup({ checkMany: jobs.checkMany, lingerMs: 30 });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const checks = [group.check('a')];
  await sleep(5);
  checks.push(group.check('b'));
  await Promise.all(checks);
  assert.deepEqual(jobs.calls.map((call) => call.map((c) => c.id)), [['a', 'b']]);
});

test('checks due at different moments go in different calls; maxBatch defaults to 100', async () => {
  const jobs = service({ checks: 1 });
  const group = pollGroup({ checkMany: jobs.checkMany });
  const first = await Promise.all([group.check('a'), group.check('b')]);
  const second = await group.check('c');
  assert.deepEqual(first, [{ status: 'SUCCEEDED', output: { id: 'a' } }, { status: 'SUCCEEDED', output: { id: 'b' } }]);
  assert.deepEqual(second, { status: 'SUCCEEDED', output: { id: 'c' } });
  assert.deepEqual(jobs.calls.map((call) => call.map((c) => c.id)), [['a', 'b'], ['c']]);
  const many = service({ checks: 1 });
  const big = pollGroup({ checkMany: many.checkMany });
  await Promise.all(Array.from({ length: 250 }, (_, i) => big.check(i)));
  assert.deepEqual(many.calls.map((call) => call.length), [100, 100, 50]);
});

test('a rejected checkMany fails exactly the checks it carried', async () => {
  const jobs = service({ checks: 2 });
  let rejected;
  const group = pollGroup({
    maxBatch: 2,
    checkMany: (ids) => {
      if (!rejected && ids.includes('job-1')) {
        rejected = ids;
        return Promise.reject(new Error('service down'));
      }
      return jobs.checkMany(ids);
    },
  });
  const outcomes = await runAll(6, group);
  assert.equal(rejected.length, 2);
  const failed = outcomes.flatMap((o, i) => (o.status === 'FAILED' ? [`job-${i}`] : []));
  assert.deepEqual(failed, rejected);
  for (const i of failed.map((id) => Number(id.slice(4)))) {
    assert.deepEqual(outcomes[i].error, { error: 'States.TaskFailed', cause: 'check() threw Error: service down' });
  }
  assert.equal(outcomes.filter((o) => o.status === 'SUCCEEDED').length, 4);
});

test('a rejection with retryable: true retries exactly the checks it carried', async () => {
  const jobs = service({ checks: 2 });
  let rejected;
  const group = pollGroup({
    maxBatch: 2,
    checkMany: async (ids) => {
      if (!rejected && ids.includes('job-4')) {
        rejected = ids;
        throw Object.assign(new Error('throttled'), { retryable: true });
      }
      return jobs.checkMany(ids);
    },
  });
  const outcomes = await runAll(6, group);
  assert.ok(outcomes.every((o) => o.status === 'SUCCEEDED'));
  // Every job was answered twice; the rejected call's were asked once more.
  const calls = new Map();
  for (const call of [[...rejected], ...jobs.calls.map((c) => c.map((x) => x.id))]) for (const id of call) calls.set(id, (calls.get(id) ?? 0) + 1);
  const retried = [...calls].filter(([, n]) => n === 3).map(([id]) => id).sort();
  assert.deepEqual(retried, [...rejected].sort());
  assert.ok([...calls.values()].every((n) => n === 2 || n === 3));
});

test('an Error among the results fails that check alone; a missing result fails its check', async () => {
  const group = pollGroup({
    maxBatch: 3,
    checkMany: (ids) => ids.slice(0, 2).map((id) => (id === 'bad' ? new Error(`no job ${id}`) : { status: 'SUCCEEDED', output: id })),
  });
  const results = await Promise.allSettled([group.check('ok'), group.check('bad'), group.check('lost')]);
  assert.deepEqual(results[0], { status: 'fulfilled', value: { status: 'SUCCEEDED', output: 'ok' } });
  assert.equal(results[1].status, 'rejected');
  assert.equal(results[1].reason.message, 'no job bad');
  assert.equal(results[2].status, 'rejected');
  assert.match(results[2].reason.message, /fewer results \(2\) than the 3 handles/);
});

test('checkMany that throws, or returns no array, fails each check of its call', async () => {
  const throwing = pollGroup({ checkMany: () => { throw new Error('sync throw'); } });
  const thrown = await Promise.allSettled([throwing.check(1), throwing.check(2)]);
  assert.deepEqual(thrown.map((r) => r.reason?.message), ['sync throw', 'sync throw']);
  const notArray = pollGroup({ checkMany: async () => ({ status: 'SUCCEEDED' }) });
  const bad = await Promise.allSettled([notArray.check(1)]);
  assert.ok(bad[0].reason instanceof TypeError);
  assert.match(bad[0].reason.message, /checkMany must return an array/);
});

test('bad options are errors at once', () => {
  assert.throws(() => pollGroup(), { name: 'TypeError', message: /options must be an object, got undefined/ });
  assert.throws(() => pollGroup({}), { name: 'TypeError', message: /checkMany must be a function, got undefined/ });
  for (const maxBatch of [0, 1.5, -1, '10', NaN]) {
    assert.throws(() => pollGroup({ checkMany: () => [], maxBatch }), { name: 'RangeError', message: /maxBatch must be a whole number from 1/ });
  }
  for (const lingerMs of [-1, NaN, Infinity, '5', 2 ** 31]) {
    assert.throws(() => pollGroup({ checkMany: () => [], lingerMs }), { name: 'RangeError', message: /lingerMs must be a number of milliseconds/ });
  }
  const getter = { get checkMany() { throw new Error('boom'); } };
  assert.throws(() => pollGroup(getter), { name: 'TypeError', message: /reading options.checkMany threw: boom/ });
});
