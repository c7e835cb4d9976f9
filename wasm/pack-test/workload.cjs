// What require.cjs and import.mjs run with the package they loaded: a poll (with retryAfterMs
// reading the server's hint), an ASL state machine on simulated time, a validation, and the
// package's checks on bad input. Throws (an assertion) when anything differs.
const assert = require('node:assert/strict');

module.exports = async function workload({ run, workflowGraph, retryAfterMs, init, initSync }, { runAsl, validateAsl, init: initAsl }) {
  assert.equal(typeof initSync, 'function');
  await init(); // Node's entry loaded the engine at import: resolves at once
  await initAsl();
  // Seconds, an HTTP-date (now), none valid: 0, 0, then the policy's 3 ms.
  const hints = ['0', 'Thu, 01 Jan 1970 00:00:00 GMT', 'soon'];
  const execution = run({
    input: { jobName: 'nightly' },
    submit: async (input) => ({ jobId: `${input.jobName}-1` }),
    check: async () => (hints.length
      ? { status: 'PENDING', detail: 'RUNNING', retryAfterMs: retryAfterMs({ 'Retry-After': hints.shift() }, 0) }
      : { status: 'SUCCEEDED', output: { rows: 7 } }),
    wait: { intervalMs: 3 },
  });
  const delays = [];
  for await (const event of execution) if (event.type === 'WaitStarted') delays.push(event.delay_ms);
  assert.deepEqual(delays, [3, 0, 0, 3], 'the first wait comes before any check');
  assert.deepEqual(await execution.result(), { rows: 7 });
  assert.equal(workflowGraph({ submit() {}, check() {} }).start_at, 'Submit Job');
  assert.throws(() => run({ submit: 1 }), TypeError);

  const definition = {
    StartAt: 'Submit',
    States: {
      Submit: { Type: 'Task', Resource: 'arn:aws:lambda:::function:Submit', Next: 'Sleep' },
      Sleep: { Type: 'Wait', Seconds: 86400, Next: 'Done' },
      Done: { Type: 'Pass', End: true },
    },
  };
  const started = Date.now();
  const asl = runAsl(definition, { input: { n: 1 }, handlers: { 'arn:aws:lambda:::function:Submit': async ({ n }) => ({ n: n + 1 }) }, simulatedTime: true });
  assert.deepEqual(await asl.result(), { n: 2 });
  assert.ok(Date.now() - started < 5000, 'a day of Wait on simulated time');
  assert.equal(validateAsl({ StartAt: 'Missing', States: {} }).valid, false);
};
