// The types as an ES module sees them (import: index.d.ts, asl.d.ts).
import { init, initSync, pollGroup, retryAfterMs, run, workflowGraph, type CheckResult, type EngineSource, type Execution, type PollGroup, type WorkflowGraph } from 'pollflow';
import { init as initAsl, runAsl, type Limits, type RunAslOptions } from 'pollflow/asl';

const source: EngineSource = fetch('/pollflow.wasm');
await init(source);
await initAsl();
initSync(new Uint8Array());
const check = (response: Response): CheckResult => ({ status: 'PENDING', retryAfterMs: retryAfterMs(response) });
const execution: Execution = run({ submit: () => 'job', check: () => check(new Response()) });
const group: PollGroup = pollGroup({
  checkMany: async (ids) => ids.map((id) => (id === null ? new Error('no job') : { status: 'SUCCEEDED', output: id })),
  maxBatch: 100,
  lingerMs: 20,
});
const batched: Execution = run({ submit: () => 'job', check: group.check });
// @ts-expect-error checkMany gives one result per handle: an array
pollGroup({ checkMany: async () => ({ status: 'SUCCEEDED' }) });
const limits: Limits = { maxEvents: 100_000, maxMapConcurrency: 0 };
const options: RunAslOptions = { simulatedTime: true, handlers: { Work: async (input) => input }, limits };
const output = await runAsl({ StartAt: 'Work', States: {} }, options).result();
// @ts-expect-error simulatedTime is a boolean or a start time
runAsl({}, { simulatedTime: 'yes' });
// @ts-expect-error limits has no field maxEvent
runAsl({}, { limits: { maxEvent: 10 } });
const pushable = run({ submit: () => 'job', check: () => check(new Response()), push: true });
const taken: boolean = pushable.pushStatus('job', { status: 'SUCCEEDED', output: { rows: 1 } });
// @ts-expect-error a pushed status is a check result
pushable.pushStatus('job', { status: 'DONE' });
const approval = runAsl({ StartAt: 'Approve', States: {} }, { push: true });
approval.sendTaskSuccess('token', { approved: true });
approval.sendTaskFailure('token', 'Rejected');
approval.sendTaskHeartbeat('token');
const twoJobs: WorkflowGraph = {
  name: 'Two jobs',
  start_at: 'A',
  states: [
    { name: 'A', type: 'Submit', next: 'Wait' },
    { name: 'Wait', type: 'Wait', policy: { backoff: { kind: 'fixed', delay_ms: 10 }, max_attempts: 5 }, next: 'Check' },
    { name: 'Check', type: 'Check', next: 'Done?' },
    { name: 'Done?', type: 'Choice', default: 'Wait', choices: [{ condition: { or: ['succeeded', { status_is: 'DONE' }] }, next: 'End' }] },
    { name: 'End', type: 'Succeed' },
  ],
};
const custom: Execution = run({ submit: () => 'job', check: () => check(new Response()), workflow: twoJobs });
const drawn: WorkflowGraph = await workflowGraph({ submit: () => 'job', check: () => check(new Response()), workflow: twoJobs });
const jobPoller: WorkflowGraph = workflowGraph({ submit: () => 'job', check: () => check(new Response()) });
// @ts-expect-error a Wait state has a policy
const noPolicy: WorkflowGraph = { name: 'x', start_at: 'W', states: [{ name: 'W', type: 'Wait', next: 'W' }] };

export { batched, custom, drawn, execution, jobPoller, noPolicy, output, taken };
