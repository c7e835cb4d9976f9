// A workflow beyond the Job Poller, as the graph `run({ workflow })` takes (WorkflowGraph in the
// package's index.d.ts): job A, then job B submitted with A's output, then a notification.
// The page runs it with ?workflow=two-jobs; browser.test.mjs reads it too.

/** The two-job workflow, its Wait states checking every `waitMs`. */
export function twoJobs(waitMs) {
  const policy = { backoff: { kind: 'fixed', delay_ms: waitMs }, max_attempts: 20 };
  const job = (name, next) => [
    { name: `Submit ${name}`, type: 'Submit', next: `Wait ${name}` },
    { name: `Wait ${name}`, type: 'Wait', policy, next: `Get ${name} Status` },
    { name: `Get ${name} Status`, type: 'Check', next: `${name} Complete?` },
    { name: `${name} Complete?`, type: 'Choice', default: `Wait ${name}`, choices: [
      { condition: 'succeeded', next },
      { condition: 'failed', next: `${name} Failed` },
    ] },
    { name: `${name} Failed`, type: 'Fail', error: 'States.TaskFailed' },
  ];
  return {
    name: 'Two Jobs',
    start_at: 'Submit A',
    states: [
      ...job('A', 'Submit B'),
      ...job('B', 'Notify Success'),
      { name: 'Notify Success', type: 'Notify', message: 'Jobs A and B succeeded', next: 'Succeeded' },
      { name: 'Succeeded', type: 'Succeed' },
    ],
  };
}
