// Throughput of the npm package `pollflow` against aws-local-stepfunctions 3.0.0 on the same
// workflow: the Job Poller (Submit Job → Wait 0 → Get Job Status → Job Complete? → ... →
// Notify Success → Succeeded), the job answering RUNNING 4 times then SUCCEEDED on the 5th
// check. N executions run concurrently (Promise.all) per pass; the median of 3 passes counts.
// For reference it also runs a hand-written polling loop (no engine) and the floor: the same
// events delivered with no engine and no callbacks behind them.
//
//   npm install && npm run bench              # 10,000 executions
//   BENCH_EXECUTIONS=500 npm run bench         # a quick smoke run (or: node --expose-gc bench.mjs 500)
//
// Transitions are counted the same way on both sides: the StateEntered events of each
// execution's own event stream (pollflow's async iterator; aws-local-stepfunctions' eventLogs),
// drained inside the timed region. Every execution is checked: its output, its number of
// checks and notifications, and its path through the states. See README.md.

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22); Node 20 lacks it.
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const { pollGroup, run, workflowGraph } = await import('pollflow');
const { StateMachine } = await import('aws-local-stepfunctions');
// pollflow's wasm memory, for the memory figure: the package's own instance (the glue module
// initializes once and hands back the same exports).
const { initSync } = await import('../npm/dist/pollflow_wasm.js');
const wasmMemory = initSync({ module: new Uint8Array() }).memory;

const EXECUTIONS = Number(process.argv[2] ?? process.env.BENCH_EXECUTIONS ?? 10_000);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const CHECKS = 5; // RUNNING 4 times, SUCCEEDED on the 5th check
if (!Number.isInteger(EXECUTIONS) || EXECUTIONS < 1) throw new RangeError(`bad number of executions: ${EXECUTIONS}`);

/** The states every execution enters, in order: the expected path on both engines. */
const PATH = [
  'Submit Job',
  ...Array.from({ length: CHECKS }, () => ['Wait', 'Get Job Status', 'Job Complete?']).flat(),
  'Notify Success',
  'Succeeded',
];

/** The job of execution `i`: its output, and the answer of check number `n` (from 1). */
const jobOutput = (i) => ({ jobId: `job-${i}`, rows: i % 97 });
const jobStatus = (i, n) => (n < CHECKS ? { status: 'PENDING', detail: 'RUNNING' } : { status: 'SUCCEEDED', output: jobOutput(i) });

// ---------------------------------------------------------------------------------------------
// pollflow: the package's own Job Poller, with a notify callback (so Notify Success runs).

/**
 * The options of execution `i`, counting its calls in `calls` (`checks`, `notified`): its
 * checks go through `check` (given `calls`), by default its own callback.
 */
function options(i, calls, check = (calls) => () => jobStatus(i, ++calls.checks)) {
  return {
    input: { jobName: `job-${i}` },
    submit: (input) => ({ jobId: input.jobName, i }),
    check: check(calls),
    notify: () => { calls.notified += 1; },
    wait: { intervalMs: 0 },
  };
}

/** Starts execution `i` (checks through `check`, as `options`); returns a promise of what to verify. */
function startPollflow(i, check) {
  const calls = { checks: 0, notified: 0 };
  const execution = run(options(i, calls, check));
  return (async () => {
    const entered = [];
    for await (const event of execution) if (event.type === 'StateEntered') entered.push(event.state);
    const outcome = await execution.outcome;
    return { i, calls, entered, ok: outcome.status === 'SUCCEEDED', output: outcome.output };
  })();
}

// ---------------------------------------------------------------------------------------------
// pollflow driven: the same executions awaited (`execution.outcome`), their events not iterated.
// Its path is not seen (no events reach JS), so only its output and calls are verified; it is
// the engine's own work, for the estimate printed at the end.

/** Starts execution `i`, driven; returns a promise of what to verify (no path). */
function startPollflowDriven(i) {
  const calls = { checks: 0, notified: 0 };
  return run(options(i, calls)).outcome.then((outcome) => ({ i, calls, ok: outcome.status === 'SUCCEEDED', output: outcome.output }));
}

// ---------------------------------------------------------------------------------------------
// pollflow with the checks batched: every execution's `check` is one pollGroup's, whose
// `checkMany` answers 100 jobs a call (DescribeJobs' limit).

/** Each execution's calls, by number (what `checkMany` counts checks in), and the calls' sizes. */
const grouped = { calls: [], batches: [] };
const group = pollGroup({
  maxBatch: 100,
  checkMany: (handles) => {
    grouped.batches.push(handles.length);
    return handles.map(({ i }) => jobStatus(i, ++grouped.calls[i].checks));
  },
});

/** Starts execution `i` checked through `group`. */
const startPollflowGrouped = (i) => startPollflow(i, (calls) => {
  grouped.calls[i] = calls;
  return group.check;
});

// ---------------------------------------------------------------------------------------------
// aws-local-stepfunctions: the Job Poller ASL (examples/state-machines/job-poller.asl.json) with
// Wait Seconds 0 and, instead of its "Get Final Job Status" end, the same Notify Success →
// Succeeded (and Notify Failure → Failed) ending pollflow runs. Tasks are local handlers.

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function';
const definition = {
  Comment: 'The Job Poller, shaped like pollflow\'s: submit, wait, check, branch, notify.',
  StartAt: 'Submit Job',
  States: {
    'Submit Job': { Type: 'Task', Resource: `${ARN}:SubmitJob`, ResultPath: '$.handle', Next: 'Wait' },
    Wait: { Type: 'Wait', Seconds: 0, Next: 'Get Job Status' },
    'Get Job Status': { Type: 'Task', Resource: `${ARN}:CheckJob`, InputPath: '$.handle', ResultPath: '$.status', Next: 'Job Complete?' },
    'Job Complete?': {
      Type: 'Choice',
      Choices: [
        { Variable: '$.status.status', StringEquals: 'SUCCEEDED', Next: 'Notify Success' },
        { Variable: '$.status.status', StringEquals: 'FAILED', Next: 'Notify Failure' },
      ],
      Default: 'Wait',
    },
    'Notify Success': { Type: 'Task', Resource: `${ARN}:Notify`, ResultPath: null, OutputPath: '$.status.output', Next: 'Succeeded' },
    Succeeded: { Type: 'Succeed' },
    'Notify Failure': { Type: 'Task', Resource: `${ARN}:Notify`, ResultPath: null, Next: 'Failed' },
    Failed: { Type: 'Fail', Error: 'States.TaskFailed', Cause: 'AWS Batch Job Failed' },
  },
};
const stateMachine = new StateMachine(definition);

// Both engines run the same states.
const pollflowStates = workflowGraph({ submit() {}, check() {}, notify() {} }).states.map((s) => s.name);
const alsStates = Object.keys(definition.States);
if (JSON.stringify(pollflowStates) !== JSON.stringify(alsStates)) {
  throw new Error(`the workflows differ: pollflow ${pollflowStates} vs ALS ${alsStates}`);
}

/** Starts execution `i`; returns a promise of what to verify. */
function startAls(i) {
  const calls = { checks: 0, notified: 0 };
  const execution = stateMachine.run({ jobName: `job-${i}` }, {
    overrides: {
      taskResourceLocalHandlers: {
        'Submit Job': (input) => ({ jobId: input.jobName }),
        'Get Job Status': (handle) => jobStatus(i, ++calls.checks),
        'Notify Success': () => { calls.notified += 1; return null; },
        'Notify Failure': () => { calls.notified += 1; return null; },
      },
      waitTimeOverrides: { Wait: 0 },
    },
  });
  return (async () => {
    let ok = true;
    let output;
    try {
      output = await execution.result;
    } catch {
      ok = false;
    }
    const entered = [];
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') entered.push(event.state.name);
    return { i, calls, entered, ok, output };
  })();
}

// ---------------------------------------------------------------------------------------------
// For reference, no engine at all: the polling loop a JS developer writes by hand, as an async
// generator of the same events (setTimeout per wait, no validation, no checkpoints, no retries).

/** Execution `i` of the hand-written loop: `submit`, then wait and `check` until done, `notify`. */
async function* handWritten(input, { submit, check, notify }, intervalMs) {
  let id = 0;
  const event = (type, fields) => ({ id: id++, timestamp_ms: Date.now(), type, ...fields });
  const enter = (state) => event('StateEntered', { state });
  const exit = (state) => event('StateExited', { state });
  yield event('ExecutionStarted', { input });
  yield enter('Submit Job');
  const handle = await submit(input);
  yield event('TaskSubmitted', { state: 'Submit Job', handle });
  yield exit('Submit Job');
  for (let attempt = 1; ; attempt++) {
    yield enter('Wait');
    yield event('WaitStarted', { state: 'Wait', attempt, delay_ms: intervalMs });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    yield exit('Wait');
    yield enter('Get Job Status');
    const status = await check(handle);
    yield event('StatusChecked', { state: 'Get Job Status', attempt, status });
    yield exit('Get Job Status');
    yield enter('Job Complete?');
    const next = { SUCCEEDED: 'Notify Success', FAILED: 'Notify Failure' }[status.status] ?? 'Wait';
    yield event('ChoiceTaken', { state: 'Job Complete?', next });
    yield exit('Job Complete?');
    if (next === 'Wait') continue;
    yield enter(next);
    await notify({ state: next, status });
    yield event('Notified', { state: next, message: status });
    yield exit(next);
    const end = next === 'Notify Success' ? 'Succeeded' : 'Failed';
    yield enter(end);
    yield exit(end);
    yield end === 'Succeeded' ? event('ExecutionSucceeded', { output: status.output }) : event('ExecutionFailed', {});
    return;
  }
}

/** Starts execution `i`; returns a promise of what to verify. */
function startHandWritten(i) {
  const calls = { checks: 0, notified: 0 };
  const events = handWritten({ jobName: `job-${i}` }, {
    submit: (input) => ({ jobId: input.jobName }),
    check: () => jobStatus(i, ++calls.checks),
    notify: () => { calls.notified += 1; },
  }, 0);
  return (async () => {
    const entered = [];
    let last;
    for await (const event of events) {
      if (event.type === 'StateEntered') entered.push(event.state);
      last = event;
    }
    return { i, calls, entered, ok: last.type === 'ExecutionSucceeded', output: last.output };
  })();
}

// ---------------------------------------------------------------------------------------------
// The floor, for reference: no engine and no callbacks, only what delivering the events costs.
// Each execution replays the events of one pollflow execution (recorded once, below) through an
// async iterator, a fresh object per event, and sleeps through its 5 zero-length waits on
// timers shared per millisecond, as pollflow's wrapper does. Any engine iterated with
// `for await` pays at least this at this concurrency; what remains of a pass is its own work.

/** The events of one pollflow execution, in order: what each replay delivers. */
const recorded = [];
{
  const execution = startPollflowEvents(0);
  for await (const event of execution) recorded.push(event);
}

/** Executions of `run` as the bench starts them, for recording their events. */
function startPollflowEvents(i) {
  let checks = 0;
  return run({
    input: { jobName: `job-${i}` },
    submit: (input) => ({ jobId: input.jobName }),
    check: () => jobStatus(i, ++checks),
    notify: () => {},
    wait: { intervalMs: 0 },
  });
}

/** Sleeps ending in the same millisecond share one `setTimeout` (as in pollflow's wrapper). */
const sleepers = new Map();
function sleepZero(wake) {
  const at = Date.now();
  let wakes = sleepers.get(at);
  if (!wakes) {
    sleepers.set(at, (wakes = []));
    setTimeout(() => {
      sleepers.delete(at);
      for (const w of wakes) w();
    }, 0);
  }
  wakes.push(wake);
}

/** The recorded events, one per `next()`; after each WaitStarted, a zero-length sleep. */
function replay() {
  let at = 0;
  const step = () => (at < recorded.length ? { value: { ...recorded[at++] }, done: false } : { value: undefined, done: true });
  return {
    next() {
      if (at > 0 && recorded[at - 1].type === 'WaitStarted') return new Promise((resolve) => sleepZero(() => resolve(step())));
      return step();
    },
    [Symbol.asyncIterator]() { return this; },
  };
}

/** Starts replay `i`; returns a promise of what to verify (its output is the recorded one). */
function startFloor(i) {
  return (async () => {
    const entered = [];
    let last;
    for await (const event of replay()) {
      if (event.type === 'StateEntered') entered.push(event.state);
      last = event;
    }
    return { i, entered, ok: last.type === 'ExecutionSucceeded', output: last.output };
  })();
}

// ---------------------------------------------------------------------------------------------

const pathText = JSON.stringify(PATH);

/**
 * Checks every execution; returns the transitions (states entered) counted, none for driven
 * executions (no `entered`: their events are not seen). A replay (no `calls`) makes no calls
 * and ends with the recorded execution's output.
 */
function verify(name, results) {
  let transitions = 0;
  let succeeded = 0;
  for (const { i, calls, entered, ok, output } of results) {
    const expected = JSON.stringify(jobOutput(calls ? i : 0));
    if (!ok || JSON.stringify(output) !== expected) throw new Error(`${name}: execution ${i} ended ${ok ? JSON.stringify(output) : 'in failure'}, expected ${expected}`);
    if (calls && (calls.checks !== CHECKS || calls.notified !== 1)) throw new Error(`${name}: execution ${i} made ${calls.checks} checks, ${calls.notified} notifications`);
    if (entered && JSON.stringify(entered) !== pathText) throw new Error(`${name}: execution ${i} entered ${entered}`);
    transitions += entered?.length ?? 0;
    succeeded += 1;
  }
  if (succeeded !== EXECUTIONS) throw new Error(`${name}: ${succeeded} of ${EXECUTIONS} executions succeeded`);
  return transitions;
}

/** One pass: all executions started at once, awaited together, timed, then verified. */
async function pass(name, start) {
  const started = performance.now();
  const pending = new Array(EXECUTIONS);
  for (let i = 0; i < EXECUTIONS; i++) pending[i] = start(i);
  const results = await Promise.all(pending);
  const ms = performance.now() - started;
  const transitions = verify(name, results);
  return { ms, transitions };
}

/**
 * Memory per in-flight execution, just after starting them all: the JS heap, and for pollflow
 * the growth of its wasm memory (measured first, before it has grown for the warm-up).
 */
async function memory(start) {
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const wasm = wasmMemory.buffer.byteLength;
  const pending = new Array(EXECUTIONS);
  for (let i = 0; i < EXECUTIONS; i++) pending[i] = start(i);
  const used = { heap: (process.memoryUsage().heapUsed - heap) / EXECUTIONS, wasm: (wasmMemory.buffer.byteLength - wasm) / EXECUTIONS };
  await Promise.all(pending);
  return used;
}

const engines = [
  { name: 'pollflow', start: startPollflow },
  { name: 'pollflow, checks through pollGroup (maxBatch 100)', start: startPollflowGrouped },
  { name: 'pollflow, driven (await outcome; events not iterated)', start: startPollflowDriven },
  { name: 'aws-local-stepfunctions', start: startAls },
  { name: 'hand-written loop (no engine; reference)', start: startHandWritten },
  { name: 'event delivery alone (no engine, no callbacks; floor)', start: startFloor },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`Job Poller: ${EXECUTIONS} concurrent executions per pass, ${CHECKS} checks each, zero wait; warm-up + median of ${PASSES} passes`);
console.log(`Node ${process.version}, ${process.platform}/${process.arch}${globalThis.gc ? '' : ' (run with --expose-gc for steadier memory figures)'}`);

// Memory first, while pollflow's wasm memory still has to grow to hold the executions; and what
// a run's options and callbacks hold alone, before any engine has them.
for (const engine of engines) engine.memory = await memory(engine.start);
const given = await memory((i) => options(i, { checks: 0, notified: 0 }));
// Warm-up, then alternate the engines pass by pass.
for (const engine of engines) await pass(engine.name, engine.start);
for (const engine of engines) engine.passes = [];
for (let p = 0; p < PASSES; p++) {
  for (const engine of engines) {
    globalThis.gc?.();
    grouped.batches = [];
    engine.passes.push(await pass(engine.name, engine.start));
    engine.batches = grouped.batches;
  }
}

console.log('');
const rows = engines.map(({ name, passes, memory: mem }) => {
  const { ms, transitions } = passes.find((p) => p.ms === median(passes.map((q) => q.ms)));
  const rate = transitions / (ms / 1000);
  return { name, ms, transitions, rate, mem, all: passes.map((p) => fmt(p.ms)).join(' / ') };
});
const row = (label, value) => console.log(`  ${`${label}:`.padEnd(28)}${value}`);
for (const { name, ms, transitions, rate, mem, all } of rows) {
  console.log(name);
  const seen = transitions > 0;
  row('executions', `${fmt(EXECUTIONS)} (all SUCCEEDED; ${name.endsWith('floor)') ? 'paths' : seen ? 'outputs, checks and paths' : 'outputs and checks'} verified)`);
  if (seen) row('transitions/execution', `${transitions / EXECUTIONS} (StateEntered events)`);
  row('wall time (median)', `${fmt(ms)} ms   [passes: ${all} ms]`);
  if (seen) row('transitions/s', fmt(rate));
  row('executions/s', fmt(EXECUTIONS / (ms / 1000)));
  row('memory per in-flight exec', `${fmt(mem.heap / 1024, 1)} KiB JS heap${mem.wasm ? ` + ${fmt(mem.wasm / 1024, 1)} KiB wasm memory` : ''}`);
}
const [pf, pfGrouped, driven, als, hand, floor] = rows;
const { batches } = engines[1];
console.log(`pollGroup: ${fmt(batches.length)} checkMany calls in the last pass for ${fmt(batches.reduce((a, b) => a + b, 0))} checks (${CHECKS} rounds: ${fmt(batches.length / CHECKS, 1)} calls per round; largest ${Math.max(...batches)} handles); pollflow with it / without: ${fmt(pfGrouped.rate / pf.rate, 2)}×`);
console.log('');
console.log(`ratio pollflow / aws-local-stepfunctions: ${fmt(pf.rate / als.rate, 1)}× (target ≥ 10×)`);
console.log(`ratio hand-written loop / aws-local-stepfunctions: ${fmt(hand.rate / als.rate, 1)}×; pollflow / hand-written loop: ${fmt(pf.rate / hand.rate, 2)}×`);
// 10× aws-local-stepfunctions is a pass of a tenth of its time; the floor takes part of it.
const tenth = als.ms / 10;
console.log(`event delivery alone / aws-local-stepfunctions: ${fmt(floor.rate / als.rate, 1)}×: of the ${fmt(tenth)} ms a pass at 10× may take, delivering the events takes ${fmt(floor.ms)} ms, leaving ${fmt(tenth - floor.ms)} ms (${fmt(Math.max(0, tenth - floor.ms) * 1000 / EXECUTIONS, 1)} µs per execution) for an engine's own work; pollflow takes ${fmt(pf.ms - floor.ms)} ms`);
// An iterated execution does what a driven one does (the engine makes the same events either
// way) and then delivers its events: driven + delivery estimates the fastest it could be with
// a wire that cost nothing (an estimate: both include zero-length waits).
const estimate = driven.ms + floor.ms;
console.log(`pollflow driven / hand-written loop: ${fmt(hand.ms / driven.ms, 2)}× (wall time); driven + event delivery alone: ${fmt(estimate)} ms, ${fmt(hand.ms / estimate, 2)}× the hand-written loop: about the most an iterated pollflow reaches while its engine's own work stays what it is (pollflow / hand-written loop: ${fmt(pf.rate / hand.rate, 2)}×)`);
// The memory target, 2.0 KiB per in-flight execution, less what iterating an execution holds
// with no engine (the floor: the bench's promises and array, an iterator) and its options.
const room = 2048 - floor.mem.heap - given.heap;
console.log(`memory per in-flight execution: pollflow ${fmt((pf.mem.heap + pf.mem.wasm) / 1024, 1)} KiB (JS heap + wasm memory; target ≤ 2.0 KiB); the floor holds ${fmt(floor.mem.heap)} B and a run's options and callbacks ${fmt(given.heap)} B, leaving ${fmt(room)} B of the target for the run and its wrapper (compare the Rust engine's heap per in-flight run, natively: cargo bench -p pollflow --bench million_executions)`);
