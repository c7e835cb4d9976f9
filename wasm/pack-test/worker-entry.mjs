// A Cloudflare-style Worker using the package: the host hands the `.wasm` imports over as
// compiled `WebAssembly.Module`s, which `initSync` takes. worker.mjs bundles and runs it.
import { initSync, retryAfterMs, run } from 'pollflow';
import { initSync as initAsl, runAsl } from 'pollflow/asl';
import wasm from 'pollflow/pollflow.wasm';
import aslWasm from 'pollflow/asl.wasm';

initSync(wasm);
initAsl(aslWasm);

export default {
  async fetch(request) {
    const polled = await run({
      input: { url: request.url },
      submit: (input) => input.url,
      check: () => ({ status: 'SUCCEEDED', output: 'report' }),
    }).result();
    const asl = await runAsl({ StartAt: 'P', States: { P: { Type: 'Pass', Result: 'asl', End: true } } }).result();
    return Response.json({ polled, asl, retry: retryAfterMs(request.headers) });
  },
};
