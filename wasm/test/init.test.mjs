// Loading the engine outside Node: the entry points browsers, bundlers and Workers resolve
// (`dist/index.js`, `dist-asl/asl.js`, as shipped), which load nothing at import. Node's own
// entries load the engine at import: this file never imports them, so it starts unloaded (node
// --test runs each file in its own process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import * as pollflow from '../npm/dist/index.js';
import * as asl from '../npm/dist-asl/asl.js';

// Hosts these entries are for have Web Crypto; Node 18 has no global one (its entry lends it).
globalThis.crypto ??= webcrypto;

const wasmUrl = new URL('../npm/dist/pollflow_wasm_bg.wasm', import.meta.url);
const aslWasmUrl = new URL('../npm/dist-asl/pollflow_wasm_bg.wasm', import.meta.url);
const job = { submit: () => 'job', check: () => ({ status: 'SUCCEEDED', output: 42 }) };
const PASS = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

/** A loopback server for the .wasm files (`/pollflow.wasm`, `/asl.wasm`, 404 otherwise); `t.after` closes it. */
async function serve(t) {
  const files = { '/pollflow.wasm': readFileSync(wasmUrl), '/asl.wasm': readFileSync(aslWasmUrl) };
  const server = createServer((request, response) => {
    const body = files[request.url];
    response.writeHead(body ? 200 : 404, { 'content-type': body ? 'application/wasm' : 'text/plain' }).end(body ?? 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections(); // fetch keeps connections alive
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${server.address().port}`;
}

test('pollflow before init: every call throws a clear error, bad sources are refused; then a precompiled WebAssembly.Module loads it', async () => {
  const notLoaded = { name: 'Error', message: /^pollflow: the engine is not loaded: call await init\(\) or initSync\(module\) first$/ };
  assert.throws(() => pollflow.run(job), notLoaded);
  assert.throws(() => pollflow.workflowGraph(job), notLoaded);
  for (const source of ['https://example.com/x.wasm', new URL(wasmUrl), new Response(''), 42, null, {}]) {
    assert.throws(() => pollflow.initSync(source), { name: 'TypeError', message: /^pollflow: initSync\(source\) takes a WebAssembly.Module or the .wasm bytes/ });
  }
  await assert.rejects(pollflow.init(42), { name: 'TypeError', message: /^pollflow: init\(source\) takes a WebAssembly.Module, the .wasm bytes, a URL or a Response, got number/ });
  await assert.rejects(pollflow.init(Promise.resolve({})), { name: 'TypeError', message: /got object/ });
  await assert.rejects(pollflow.init(new Uint8Array([1, 2, 3])), WebAssembly.CompileError);
  // A module that is not this engine: an empty one, the other build (each entry has its own).
  const notTheEngine = (why) => ({ name: 'TypeError', message: new RegExp(`^pollflow: this WebAssembly module is not the engine of this version of pollflow \\(${why}`) });
  assert.throws(() => pollflow.initSync(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), notTheEngine('it exports no ring, setHost, settle, start, workflowGraph\\)$'));
  const aslBuild = readFileSync(aslWasmUrl);
  assert.throws(() => pollflow.initSync(aslBuild), (error) => notTheEngine('WebAssembly.Instance\\(\\): Import').message.test(error.message) && error.cause instanceof WebAssembly.LinkError);
  await assert.rejects(pollflow.init(aslBuild), notTheEngine('WebAssembly.Instance'), 'init too, and it may be tried again');
  assert.throws(() => pollflow.run(job), notLoaded, 'still not loaded after failures');

  // As Cloudflare Workers hand it out for `import wasm from 'pollflow/pollflow.wasm'`.
  const module = new WebAssembly.Module(readFileSync(wasmUrl));
  pollflow.initSync(module);
  assert.equal(await pollflow.run({ ...job, input: 1 }).result(), 42);
  assert.equal(pollflow.workflowGraph(job).start_at, 'Submit Job');
  await pollflow.init(42); // loaded: later calls do nothing, whatever their source
  pollflow.initSync(null);
});

test('pollflow/asl loads its own build: from a URL (fetched; a failed fetch may be tried again), and concurrent calls share one load', async (t) => {
  const notLoaded = { message: /^pollflow\/asl: the engine is not loaded/ };
  assert.throws(() => asl.runAsl(PASS), notLoaded);
  assert.throws(() => asl.validateAsl(PASS), notLoaded);
  assert.throws(() => asl.aslGraph(PASS), notLoaded);
  assert.throws(() => asl.initSync(readFileSync(wasmUrl)), { name: 'TypeError', message: /^pollflow\/asl: this WebAssembly module is not the engine of this version of pollflow\/asl \(it exports no aslGraph, startAsl, validateAsl\)$/ });
  const base = await serve(t);
  await assert.rejects(asl.init(`${base}/missing.wasm`), { message: /^pollflow\/asl: fetching http:\/\/127\.0\.0\.1:\d+\/missing\.wasm: 404 Not Found$/ });
  await assert.rejects(asl.init(fetch(`${base}/missing.wasm`)), /404 Not Found/);
  assert.throws(() => asl.runAsl(PASS), notLoaded);
  // What `init()` does in a browser: fetch the URL next to the module.
  await Promise.all([asl.init(new URL('/asl.wasm', base)), asl.init(42)]); // the second waits for the first, its source unused
  assert.equal(await asl.runAsl(PASS, { input: 'x' }).result(), 'x');
  assert.equal(asl.validateAsl(PASS).valid, true);
  assert.match(asl.aslGraph(PASS), /^flowchart/);
});

test('in Node, the entries load the engine at import (init() then resolves at once); the browser entry loads from the bytes (a Buffer), and without Web Crypto asks for a seed', () => {
  const child = (script) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', import.meta.url), encoding: 'utf8' }));
  const job = "{ submit: () => 'job', check: () => ({ status: 'SUCCEEDED', output: 7 }) }";
  assert.deepEqual(child(`
    import { init, run } from 'pollflow';
    import { init as initAsl, runAsl } from 'pollflow/asl';
    const before = await run(${job}).result();
    await init();
    await initAsl(42); // loaded: its source unused
    console.log(JSON.stringify([before, await run(${job}).result(), await runAsl(${JSON.stringify(PASS)}, { input: 8 }).result()]));
  `), [7, 7, 8]);
  // A host without Web Crypto (Node 18's global is missing; the browser entry lends none).
  assert.deepEqual(child(`
    import { readFileSync } from 'node:fs';
    import { initSync, run } from '../npm/dist/index.js';
    delete globalThis.crypto;
    initSync(readFileSync('../npm/dist/pollflow_wasm_bg.wasm'));
    let unseeded;
    try { run(${job}); } catch (error) { unseeded = error.name + ': ' + error.message; }
    console.log(JSON.stringify([await run({ ...${job}, seed: 1 }).result(), unseeded]));
  `), [7, 'TypeError: pollflow: this host has no crypto.getRandomValues to seed a run: pass options.seed']);
});
