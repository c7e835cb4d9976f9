// The event transport between the engine and JS (wasm/src/wire.rs): any number of events, of
// any kind, with any state names, cross whole. Event ids are the engine's own numbering, so
// ids 1..n ending with the terminal event mean that every event the Rust engine produced
// reached JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from 'pollflow';
import { runAsl } from 'pollflow/asl';

async function collect(execution) {
  const events = [];
  for await (const event of execution) events.push(event);
  return events;
}

/** Every event numbered 1..n in order, the last one ending the execution. */
function assertComplete(events, terminal) {
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
  assert.equal(events.at(-1).type, terminal);
}

const count = (events, type) => events.filter((e) => e.type === type).length;

test('iterating a 1,000-item inline Map yields all its events', async () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const definition = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Double',
          States: { Double: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:1:function:double', End: true } },
        },
        End: true,
      },
    },
  };
  const handlers = { 'arn:aws:lambda:us-east-1:1:function:double': async (n) => n * 2 };
  const execution = runAsl(definition, { input: { items }, handlers, simulatedTime: true });
  const events = await collect(execution);
  assertComplete(events, 'ExecutionSucceeded');
  assert.ok(events.length > 5000, `${events.length} events`);
  assert.deepEqual(events.at(-1).output, items.map((n) => n * 2));
  assert.deepEqual(await execution.result(), items.map((n) => n * 2));
  // Each item's events, whole with their route, past the ids the header once shared (4,096).
  for (const type of ['BranchStarted', 'BranchSucceeded', 'TaskSucceeded']) assert.equal(count(events, type), 1000, type);
  const last = events.filter((e) => e.type === 'TaskSucceeded').at(-1);
  assert.ok(last.id > 4096);
  assert.deepEqual(last.route, [{ state: 'Each', index: last.output / 2 }]);
  assert.equal(last.state, 'Double');
});

test('run() with 1,500 pending checks iterates to the end, every field intact', async () => {
  let checks = 0;
  let failures = 0;
  const execution = run({
    submit: () => ({ jobId: 'j' }),
    check: () => {
      // Now and then a passing failure, retried: an event that crosses whole.
      if (checks % 100 === 99 && failures < checks / 100) {
        failures += 1;
        throw Object.assign(new Error(`busy ${failures}`), { retryable: true });
      }
      return ++checks <= 1500 ? { status: 'PENDING', detail: { n: checks } } : { status: 'SUCCEEDED', output: 'done' };
    },
    notify: () => {},
    wait: { intervalMs: 0 },
  });
  const events = await collect(execution);
  assertComplete(events, 'ExecutionSucceeded');
  assert.ok(events.length > 13000, `${events.length} events`);
  const checked = events.filter((e) => e.type === 'StatusChecked');
  assert.deepEqual(checked.map((e) => e.attempt), checked.map((_, i) => i + 1));
  assert.deepEqual(checked.at(-2), {
    id: checked.at(-2).id, timestamp_ms: checked.at(-2).timestamp_ms, type: 'StatusChecked',
    state: 'Get Job Status', attempt: 1500, status: { status: 'PENDING', detail: { n: 1500 } },
  });
  const waits = events.filter((e) => e.type === 'WaitStarted');
  // A wait before each check.
  assert.deepEqual(waits.map((e) => e.attempt), checked.map((e) => e.attempt));
  assert.deepEqual(waits.at(-1), { ...waits.at(-1), state: 'Wait', attempt: 1501, delay_ms: 0 });
  const choices = events.filter((e) => e.type === 'ChoiceTaken');
  assert.deepEqual(choices.at(-1), { ...choices.at(-1), state: 'Job Complete?', next: 'Notify Success' });
  assert.ok(choices.at(-1).id > 13000);
  const failed = events.filter((e) => e.type === 'TaskFailed');
  assert.equal(failed.length, 15);
  assert.deepEqual(failed.at(-1), { ...failed.at(-1), state: 'Get Job Status', error: { error: 'States.TaskFailed', cause: 'check() threw Error: busy 15' } });
  assert.ok(failed.at(-1).id > 13000);
  assert.deepEqual(events.at(-1).output, 'done');
});

test('machines with hundreds of states, named anything, cross every state name', async () => {
  // 300 states, some named like the Job Poller's (which cross as indexes), a Choice choosing
  // between both kinds, and names no table holds.
  const names = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? 'Wait' : `État ${i} "q" \\ ${'x'.repeat(i % 3)}`));
  names[1] = 'Submit Job';
  names[299] = 'Succeeded';
  const unique = names.map((name, i) => (names.indexOf(name) === i ? name : `${name} #${i}`));
  const States = {};
  unique.forEach((name, i) => {
    States[name] = i === 299 ? { Type: 'Succeed' } : { Type: 'Pass', Next: unique[i + 1] };
  });
  States[unique[150]] = {
    Type: 'Choice',
    Choices: [{ Variable: '$.go', BooleanEquals: true, Next: unique[151] }],
    Default: 'Job Complete?',
  };
  States['Job Complete?'] = { Type: 'Fail', Error: 'Never' };
  const definition = { StartAt: unique[0], States };
  const events = await collect(runAsl(definition, { input: { go: true } }));
  assertComplete(events, 'ExecutionSucceeded');
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  assert.deepEqual(entered, unique);
  assert.deepEqual(events.filter((e) => e.type === 'StateExited').map((e) => e.state), unique.slice(0, 299));
  const choice = events.find((e) => e.type === 'ChoiceTaken');
  assert.deepEqual(choice, { ...choice, state: unique[150], next: unique[151] });
});
