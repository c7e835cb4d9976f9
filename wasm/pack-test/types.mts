// The types as an ES module sees them (import: index.d.ts, asl.d.ts).
import { init, initSync, retryAfterMs, run, type CheckResult, type EngineSource, type Execution } from 'pollflow';
import { init as initAsl, runAsl, type RunAslOptions } from 'pollflow/asl';

const source: EngineSource = fetch('/pollflow.wasm');
await init(source);
await initAsl();
initSync(new Uint8Array());
const check = (response: Response): CheckResult => ({ status: 'PENDING', retryAfterMs: retryAfterMs(response) });
const execution: Execution = run({ submit: () => 'job', check: () => check(new Response()) });
const options: RunAslOptions = { simulatedTime: true, handlers: { Work: async (input) => input } };
const output = await runAsl({ StartAt: 'Work', States: {} }, options).result();
// @ts-expect-error simulatedTime is a boolean or a start time
runAsl({}, { simulatedTime: 'yes' });

export { execution, output };
