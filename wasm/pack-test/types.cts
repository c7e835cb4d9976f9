// The types as a CommonJS TypeScript module sees them (require: the .d.cts copies).
import pollflow = require('pollflow');
import asl = require('pollflow/asl');

const execution: pollflow.Execution = pollflow.run({
  submit: async (input: pollflow.Json) => ({ job: input }),
  check: async (): Promise<pollflow.CheckResult> => ({ status: 'PENDING', retryAfterMs: pollflow.retryAfterMs({ 'retry-after': '5' }) }),
  limits: { maxEvents: 1000, maxPayloadBytes: 1 << 20 },
});
const hint: number | undefined = pollflow.retryAfterMs(new Headers(), Date.now());
const loading: Promise<void> = pollflow.init(new URL('https://example.com/pollflow.wasm'));
asl.initSync(new WebAssembly.Module(new Uint8Array()));
const valid: boolean = asl.validateAsl('{}').valid;
// @ts-expect-error a number is not a header
pollflow.retryAfterMs(5);
// @ts-expect-error run needs submit and check
pollflow.run({ input: 1 });
// @ts-expect-error a limit is a number
const bound: pollflow.Limits = { maxEvents: '10' };

export { bound, execution, hint, loading, valid };
