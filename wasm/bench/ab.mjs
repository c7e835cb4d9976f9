// A/B: the bench's Job Poller workload (see bench.mjs) through two builds of the npm package in
// one process, alternating passes, so that a change is measured against the code before it on
// the same (noisy) host. Each build is a package directory with its dist/ built, for example a
// copy of wasm/npm made before the change:
//
//   cp -r wasm/npm /tmp/before             # on the old commit, after scripts/build-npm.sh
//   node --expose-gc ab.mjs /tmp/before ../npm [executions] [passes]
//
// Prints each build's median wall time and transitions/s, iterated (`for await`) and driven
// (`await execution.outcome`), and the ratio B / A.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dirA, dirB] = process.argv.slice(2, 4);
if (!dirA || !dirB) throw new Error('usage: node ab.mjs PACKAGE_DIR_A PACKAGE_DIR_B [executions] [passes]');
const EXECUTIONS = Number(process.argv[4] ?? 10_000);
const PASSES = Number(process.argv[5] ?? 7);
const CHECKS = 5;
const TRANSITIONS = 3 * CHECKS + 3;

/**
 * A build's Node entry (loaded at import): `dist/index.node.js`, the sources' `index.node.js`
 * (a build whose dist/ holds only the engine and its glue), or `index.js` before 12-06.
 */
const load = async (dir) => {
  const entry = ['dist/index.node.js', 'index.node.js', 'index.js'].map((file) => resolve(dir, file)).find(existsSync);
  return import(pathToFileURL(entry).href);
};
const builds = [{ name: `A ${dirA}`, ...(await load(dirA)) }, { name: `B ${dirB}`, ...(await load(dirB)) }];

/** Execution `i` of the Job Poller through `run`, iterated or driven; checks its outcome. */
async function execute(run, i, iterated) {
  let checks = 0;
  const execution = run({
    input: { jobName: `job-${i}` },
    submit: (input) => ({ jobId: input.jobName }),
    check: () => (++checks < CHECKS ? { status: 'PENDING', detail: 'RUNNING' } : { status: 'SUCCEEDED', output: i }),
    notify: () => {},
    wait: { intervalMs: 0 },
  });
  let entered = 0;
  if (iterated) for await (const event of execution) entered += event.type === 'StateEntered';
  const outcome = await execution.outcome;
  if (outcome.output !== i || checks !== CHECKS || (iterated && entered !== TRANSITIONS)) throw new Error(`execution ${i} went wrong`);
}

async function pass(build, iterated) {
  globalThis.gc?.();
  const started = performance.now();
  await Promise.all(Array.from({ length: EXECUTIONS }, (_, i) => execute(build.run, i, iterated)));
  return performance.now() - started;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const iterated of [true, false]) {
  const times = builds.map(() => []);
  for (const build of builds) await pass(build, iterated); // warm-up
  for (let p = 0; p < PASSES; p++) {
    // Alternate which build goes first.
    const order = p % 2 ? [1, 0] : [0, 1];
    for (const b of order) times[b].push(await pass(builds[b], iterated));
  }
  console.log(`${iterated ? 'iterated (for await)' : 'driven (outcome)'}: ${EXECUTIONS} executions, ${PASSES} passes each`);
  const medians = times.map(median);
  builds.forEach((build, b) => {
    const rate = (EXECUTIONS * TRANSITIONS) / (medians[b] / 1000);
    console.log(`  ${build.name}: median ${medians[b].toFixed(0)} ms, ${Math.round(rate).toLocaleString('en-US')} transitions/s  [${times[b].map((t) => t.toFixed(0)).join(' / ')}]`);
  });
  console.log(`  B / A speed: ${(medians[0] / medians[1]).toFixed(3)}`);
}
