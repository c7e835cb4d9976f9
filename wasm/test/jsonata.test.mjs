// JSONata states in `pollflow/asl`: runAsl and resumeAsl load the JSONata engine themselves;
// validateAsl and aslGraph need `initJsonata()` first; JSONPath definitions never load it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAsl, resumeAsl, validateAsl, aslGraph, initJsonata } from 'pollflow/asl';

/** Submit a job, wait, check it until it is done (its status from a Choice's Condition). */
const poller = {
  QueryLanguage: 'JSONata',
  StartAt: 'Submit',
  States: {
    Submit: {
      Type: 'Task', Resource: 'submit', Arguments: { name: '{% $states.input.name %}' },
      Assign: { jobId: '{% $states.result.id %}' }, Output: '{% $states.input %}', Next: 'Wait',
    },
    Wait: { Type: 'Wait', Seconds: '{% $states.input.every %}', Next: 'Check' },
    Check: { Type: 'Task', Resource: 'check', Arguments: { id: '{% $jobId %}' }, Output: '{% $merge([$states.input, {"status": $states.result}]) %}', Next: 'Done?' },
    'Done?': {
      Type: 'Choice',
      Choices: [{ Condition: "{% $states.input.status = 'SUCCEEDED' %}", Output: { job: '{% $jobId %}', name: '{% $uppercase($states.input.name) %}' }, Next: 'Done' }],
      Default: 'Wait',
    },
    Done: { Type: 'Succeed' },
  },
};

function handlers() {
  let checks = 0;
  return {
    submit: async (input) => ({ id: `job-${input.name}` }),
    check: async () => (++checks < 3 ? 'RUNNING' : 'SUCCEEDED'),
  };
}

test('a JSONata definition runs on the JSONata engine, loaded by runAsl itself', async () => {
  const execution = runAsl(poller, { input: { name: 'report', every: 30 }, handlers: handlers(), simulatedTime: true });
  const events = [];
  for await (const event of execution) events.push(event);
  assert.deepEqual(await execution.result(), { job: 'job-report', name: 'REPORT' });
  const waits = events.filter((e) => e.type === 'WaitStarted');
  assert.deepEqual(waits.map((e) => e.delay_ms), [30_000, 30_000, 30_000]);
});

test('expression errors are States.QueryEvaluationError with Step Functions\' cause', async () => {
  const definition = {
    QueryLanguage: 'JSONata', StartAt: 'P',
    States: { P: { Type: 'Pass', Output: { total: '{% $sum($states.input.prices) + $states.input.missing %}' }, End: true } },
  };
  const execution = runAsl(definition, { input: { prices: [1, 2] } });
  const outcome = await execution.outcome;
  assert.equal(outcome.status, 'FAILED');
  assert.equal(outcome.error.error, 'States.QueryEvaluationError');
  assert.match(outcome.error.cause, /specified for the field 'Output\/total' returned nothing \(undefined\)/);
});

test('validateAsl and aslGraph of a JSONata definition report its problems and draw it, once its engine is loaded', async () => {
  const jsonPath = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
  assert.equal(validateAsl(jsonPath).valid, true);
  const broken = { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input.( %}', InputPath: '$.a', End: true } } };
  await initJsonata();
  const { valid, problems } = validateAsl(broken);
  assert.equal(valid, false);
  assert.deepEqual(problems.map((p) => p.path).sort(), ["$.States['P'].InputPath", "$.States['P'].Output"]);
  assert.equal(validateAsl(poller).valid, true);
  assert.match(aslGraph(poller), /\$states\.input\.status = 'SUCCEEDED'/);
});

test('a JSONata execution resumes from its checkpoint on the JSONata engine', async () => {
  const definition = {
    QueryLanguage: 'JSONata', StartAt: 'Wait',
    States: {
      Wait: { Type: 'Wait', Seconds: 3600, Assign: { started: '{% $states.input.n %}' }, Next: 'Add' },
      Add: { Type: 'Pass', Output: '{% $started + 1 %}', End: true },
    },
  };
  const first = runAsl(definition, { input: { n: 41 } });
  let checkpoint;
  for await (const event of first) {
    if (event.type === 'WaitStarted') {
      checkpoint = JSON.parse(JSON.stringify(first.checkpoint()));
      break;
    }
  }
  first.abort();
  assert.ok(checkpoint, 'a checkpoint at the wait');
  const resumed = resumeAsl(definition, checkpoint, { simulatedTime: true });
  assert.equal(await resumed.result(), 42);
});
