// Bundles worker-entry.mjs as a Workers toolchain would (esbuild; the `workerd`, `worker` and
// `browser` export conditions; no Node built-ins: platform neutral; `.wasm` imports as compiled
// modules) for ES2020, which has no top-level await, then runs its `fetch` handler.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const options = {
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  target: 'es2020',
  logLevel: 'silent',
};

// ES2020 is the check: esbuild refuses top-level await there (shown here, so the check is real).
await assert.rejects(
  esbuild.build({ ...options, stdin: { contents: 'await Promise.resolve(); export {};', loader: 'js' } }),
  /Top-level await is not available in the configured target environment/,
);

/** `.wasm` imports as the host gives them: a default export, the compiled WebAssembly.Module. */
const compiledWasm = {
  name: 'compiled-wasm',
  setup(build) {
    build.onResolve({ filter: /\.wasm$/, namespace: 'file' }, async (args) => {
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, namespace: 'compiled' });
      return { path: resolved.path, namespace: 'compiled-wasm' };
    });
    build.onLoad({ filter: /.*/, namespace: 'compiled-wasm' }, async (args) => ({
      contents: `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify((await readFile(args.path)).toString('base64'))}), (c) => c.charCodeAt(0)));`,
      loader: 'js',
    }));
  },
};

const { outputFiles, metafile } = await esbuild.build({ ...options, entryPoints: ['worker-entry.mjs'], plugins: [compiledWasm], metafile: true });
const inputs = Object.keys(metafile.inputs);
for (const file of ['node_modules/pollflow/dist/index.js', 'node_modules/pollflow/dist-asl/asl.js']) {
  assert.ok(inputs.includes(file), `the bundle has ${file}: ${inputs.join(' ')}`);
}
assert.ok(!inputs.some((file) => /\.node\.c?js$/.test(file)), `no Node entry in the bundle: ${inputs.join(' ')}`);

const bundle = outputFiles[0].text;
const worker = (await import(`data:text/javascript;base64,${Buffer.from(bundle).toString('base64')}`)).default;
const response = await worker.fetch(new Request('https://worker.example/report', { headers: { 'retry-after': '5' } }));
assert.deepEqual(await response.json(), { polled: 'report', asl: 'asl', retry: 5000 });
console.log(`Worker bundle (esbuild, es2020, workerd/worker/browser conditions): initSync(WebAssembly.Module) ok in Node ${process.version}`);
