// An inline Map state of N items (one Task each, a simulated second of work) through
// `pollflow/asl` on simulated time: the wall time of each run, its events iterated. The npm
// twin of `cargo bench -p pollflow --bench inline_map`.
//
//   node inline-map.mjs            # 20,000 items
//   node inline-map.mjs 5000       # fewer
//
// It imports the built package's Node entry directly (run scripts/build-npm.sh first; no npm
// install).
import { runAsl } from '../npm/dist-asl/asl.node.js';

const PASSES = 3;
const items = Number((process.argv[2] ?? '20000').replaceAll('_', ''));
if (!Number.isSafeInteger(items) || items < 1) throw new RangeError(`items must be a whole number >= 1, got ${process.argv[2]}`);

const definition = {
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      End: true,
      ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', End: true } } },
    },
  },
};

async function pass() {
  const input = Array.from({ length: items }, (_, i) => i);
  const started = performance.now();
  const execution = runAsl(definition, {
    input,
    simulatedTime: 0,
    // Each item's job takes a (virtual) second, so every item is running at once.
    handlers: { Work: async (n, context) => { await context.sleep(1000); return n; } },
    // Every item at once, and room for all their events (Step Functions' quotas would stop at
    // 40 items at a time and 25,000 events).
    limits: { maxEvents: Number.MAX_SAFE_INTEGER, maxMapConcurrency: 0 },
  });
  let events = 0;
  let last;
  for await (const event of execution) {
    events += 1;
    last = event;
  }
  const seconds = (performance.now() - started) / 1000;
  if (last?.type !== 'ExecutionSucceeded' || last.output.length !== items || last.output.some((n, i) => n !== i)) {
    throw new Error(`the Map did not succeed with its ${items} outputs in order: ${JSON.stringify(last)?.slice(0, 200)}`);
  }
  return { seconds, events };
}

const times = [];
let events = 0;
for (let i = 0; i < PASSES; i++) {
  const result = await pass();
  times.push(result.seconds);
  events = result.events;
}
const median = [...times].sort((a, b) => a - b)[PASSES >> 1];
console.log(`inline Map, ${items} items, one 1-second Task each, simulated time, events iterated: median ${median.toFixed(3)} s (${times.map((s) => `${s.toFixed(3)} s`).join(', ')}), ${events} events`);
