// The browser example in headless Chromium: the page loads the npm package `pollflow` (wasm),
// draws the workflow graph, runs an execution against its simulated job and highlights the
// states live, and resumes a run after a reload — as plain ES modules (an import map to the
// package's browser entry), and as built by Vite for ES2020 (vite.config.js: no top-level
// await). Screenshots go to target/browser-test/ (from the repository root).
//
//   npm test                      (CHROMIUM_PATH overrides /usr/bin/chromium)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { workflowGraph } from 'pollflow';
import { build } from 'vite';
import { startServer } from './serve.mjs';
import { twoJobs } from './two-jobs.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const OUT = fileURLToPath(new URL('../../target/browser-test/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('./', import.meta.url));
const TIMEOUT_MS = 30_000;
const PENDING_STATUSES = ['RUNNABLE', 'STARTING', 'RUNNING']; // app.js's simulated job

const servers = [];
let baseUrl; // the example as plain ES modules
let viteUrl; // the example built by Vite
let browser;

before(async () => {
  await mkdir(OUT, { recursive: true });
  await build({ root: EXAMPLE, configFile: join(EXAMPLE, 'vite.config.js'), logLevel: 'warn' });
  for (const root of [undefined, join(OUT, 'vite')]) servers.push(await startServer({ port: 0, root }));
  [baseUrl, viteUrl] = servers.map((s) => s.url);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close().catch((error) => console.error('closing the browser:', error));
  for (const { server } of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * Opens the page with a fresh context; records everything that went wrong in it (console
 * errors and warnings, page errors, failed requests, HTTP errors), and, through a
 * MutationObserver installed before the page's scripts run, each time a state box turned
 * `current` — to show that highlighting happened live, not at the end.
 */
async function openPage(t, query, base = baseUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after?.(() => context.close().catch(() => {}));
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.addInitScript(() => {
    window.__entered = [];
    new MutationObserver((records) => {
      // A record has the old class only: the new one is the next record's old one (same
      // element), or the element's class now for its last record.
      records.forEach((record, i) => {
        const target = record.target;
        if (!target.matches?.('g.state')) return;
        const next = records.slice(i + 1).find((r) => r.target === target);
        const now = next ? next.oldValue ?? '' : target.getAttribute('class') ?? '';
        const has = (value) => value.split(/\s+/).includes('current');
        if (!has(record.oldValue ?? '') && has(now)) {
          window.__entered.push({ state: target.dataset.state, outcome: document.body.dataset.outcome ?? null });
        }
      });
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true });
  });
  await page.goto(new URL(query, base).href);
  return { page, problems };
}

async function screenshot(t, page, name) {
  const path = `${OUT}${name}.png`;
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  t.diagnostic(`screenshot: ${relative(REPO, path)}`);
}

/** Waits for the page's final state; screenshots it whatever happens. */
async function waitForOutcome(t, page, problems, name) {
  try {
    await page.waitForSelector('body[data-outcome]', { state: 'attached', timeout: TIMEOUT_MS });
  } catch (error) {
    error.message += `\nproblems in the page:\n${problems.join('\n') || '(none)'}`;
    throw error;
  } finally {
    await screenshot(t, page, name).catch((error) => t.diagnostic(`no screenshot: ${error.message}`));
  }
  return page.evaluate(() => document.body.dataset.outcome);
}

const noop = () => {};

/**
 * What the page shows: per state its classes and passes, the event log, the SVG; the graph it
 * draws (`graph`, the same read in Node; by default the Job Poller's).
 */
async function readPage(page, graph = workflowGraph({ submit: noop, check: noop, notify: noop })) {
  const view = await page.evaluate(() => {
    const states = {};
    for (const g of document.querySelectorAll('svg#workflow g.state')) {
      states[g.dataset.state] = {
        classes: [...g.classList].filter((c) => c !== 'state'),
        passes: Number(g.dataset.passes),
        fill: getComputedStyle(g.querySelector('rect')).fill,
      };
    }
    return {
      states,
      nodeCount: document.querySelectorAll('svg#workflow g.state').length,
      takenEdges: [...document.querySelectorAll('svg#workflow path.edge.taken')].map((p) => p.dataset.edge),
      log: [...document.querySelectorAll('#log li')].map((li) => ({
        type: li.dataset.type,
        state: li.dataset.state ?? null,
        text: li.querySelector('.text').textContent,
      })),
      status: document.getElementById('status').textContent,
      result: document.getElementById('result').textContent,
      entered: window.__entered,
    };
  });
  return { graph, ...view };
}

/** The states from the start to the end, taking the Choice's rule named `condition`. */
function pathThrough(graph, condition) {
  const byName = new Map(graph.states.map((s) => [s.name, s]));
  const path = [];
  for (let name = graph.start_at; name !== undefined && !path.includes(name);) {
    path.push(name);
    const state = byName.get(name);
    name = state.choices ? (state.choices.find((c) => c.condition === condition) ?? state.choices[0]).next : state.next;
  }
  return path;
}

function assertGraphDrawn(view) {
  const names = view.graph.states.map((s) => s.name);
  assert.equal(view.nodeCount, names.length, 'one SVG node per graph state');
  assert.deepEqual(Object.keys(view.states).sort(), [...names].sort(), 'the SVG nodes are the graph states');
}

function assertLiveHighlighting(view) {
  const entered = view.log.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  assert.deepEqual(view.entered.map((e) => e.state), entered, 'each StateEntered turned its box current, in order');
  assert.ok(view.entered.every((e) => e.outcome === null), 'highlighted while running, before the outcome');
  const current = Object.entries(view.states).filter(([, s]) => s.classes.includes('current'));
  assert.deepEqual(current, [], 'nothing is still in progress at the end');
}

/** Checks, waits and choice passes: all equal to the number of StatusChecked events. */
function assertPasses(view) {
  const checks = view.log.filter((e) => e.type === 'StatusChecked');
  const waits = view.log.filter((e) => e.type === 'WaitStarted');
  assert.equal(checks.length, PENDING_STATUSES.length + 1, 'the simulated job answers PENDING 3 times, then ends');
  assert.equal(waits.length, checks.length, 'a wait before every check');
  for (const type of ['Wait', 'Check', 'Choice']) {
    const state = view.graph.states.find((s) => s.type === type);
    assert.equal(view.states[state.name].passes, checks.length, `${state.name} passes = checks`);
    assert.equal(view.entered.filter((e) => e.state === state.name).length, checks.length, `${state.name} highlighted once per check`);
  }
  PENDING_STATUSES.forEach((status, i) => assert.match(checks[i].text, new RegExp(`PENDING · ${status}$`)));
  const choice = view.graph.states.find((s) => s.type === 'Choice');
  const wait = view.graph.states.find((s) => s.type === 'Wait');
  assert.ok(view.takenEdges.includes(`${choice.name}→${wait.name}`), 'the loop back to Wait is drawn as taken');
}

// Each scenario on the example as plain ES modules (import map) and as Vite built it (the Vite
// build's screenshots: vite-*.png).
for (const [build, url, prefix] of [['ES modules', () => baseUrl, ''], ['Vite build', () => viteUrl, 'vite-']]) {
  test(`${build}: a job that succeeds: the graph lights up green along the success path`, async (t) => {
    const { page, problems } = await openPage(t, '?autostart', url());
    const outcome = await waitForOutcome(t, page, problems, `${prefix}success`);
    const view = await readPage(page);
    assert.equal(outcome, 'SUCCEEDED', view.status);
    assert.match(view.status, /^SUCCEEDED in \d+\.\d\d s$/);
    assertGraphDrawn(view);

    const path = pathThrough(view.graph, 'succeeded');
    assert.ok(path.length >= 5, `a success path: ${path}`);
    for (const name of path) assert.deepEqual(view.states[name].classes, ['visited'], `${name} visited`);
    for (const name of Object.keys(view.states).filter((n) => !path.includes(n))) {
      assert.deepEqual(view.states[name].classes, [], `${name} not entered`);
    }
    assert.equal(view.states[path.at(-1)].fill, 'rgb(3, 127, 12)', 'the final state is green');
    assertLiveHighlighting(view);
    assertPasses(view);
    assert.equal(view.log.at(-1).type, 'ExecutionSucceeded');
    assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
  });

  test(`${build}: a job that fails (?fail): the Fail state is red`, async (t) => {
    const { page, problems } = await openPage(t, '?autostart&fail', url());
    const outcome = await waitForOutcome(t, page, problems, `${prefix}failure`);
    const view = await readPage(page);
    assert.equal(outcome, 'FAILED', view.status);
    assert.match(view.status, /^FAILED in \d+\.\d\d s · States\.TaskFailed$/);
    assert.match(view.result, /^cause .*Essential container in task exited/);
    assertGraphDrawn(view);

    const path = pathThrough(view.graph, 'failed');
    const failState = path.at(-1);
    assert.equal(view.graph.states.find((s) => s.name === failState).type, 'Fail');
    for (const name of path.slice(0, -1)) assert.deepEqual(view.states[name].classes, ['visited'], `${name} visited`);
    assert.deepEqual(view.states[failState].classes, ['failed'], `${failState} failed`);
    assert.equal(view.states[failState].fill, 'rgb(217, 21, 21)', 'the failure state is red');
    for (const name of Object.keys(view.states).filter((n) => !path.includes(n))) {
      assert.deepEqual(view.states[name].classes, [], `${name} not entered`);
    }
    assertLiveHighlighting(view);
    assertPasses(view);
    assert.equal(view.log.at(-1).type, 'ExecutionFailed');
    assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
  });

  test(`${build}: Start, then Abort: the job is cancelled and the state in progress turns grey`, async (t) => {
    // Waits of 1 s, so the test can look at a Wait state in progress and abort it there.
    const { page, problems } = await openPage(t, '?wait=1000', url());
    await page.click('#toggle:not([disabled])');
    await page.waitForSelector('g.state.current[data-type="Wait"][data-passes="2"]', { timeout: TIMEOUT_MS });
    await screenshot(t, page, `${prefix}running`);
    await page.click('#toggle');
    const outcome = await waitForOutcome(t, page, problems, `${prefix}aborted`);
    const view = await readPage(page);
    assert.equal(outcome, 'ABORTED', view.status);
    assert.match(view.status, /^ABORTED in /);
    const last = view.log.filter((e) => e.type === 'StateEntered').at(-1).state;
    const marked = Object.entries(view.states).filter(([, s]) => s.classes.some((c) => c !== 'visited')).map(([name, s]) => [name, s.classes]);
    assert.deepEqual(marked, [[last, ['aborted']]], 'the state in progress, and only it, is marked aborted');
    assert.equal(view.states[last].fill, 'rgb(125, 137, 152)', 'grey');
    assert.ok(view.log.some((e) => e.type === 'JobCancelled'), 'the job was cancelled');
    assert.equal(view.log.at(-1).type, 'ExecutionAborted');
    assert.match(await page.textContent('#job'), / · CANCELLED · /);
    assert.equal(await page.textContent('#toggle'), 'Start again');
    assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
  });

  test(`${build}: a reload mid-wait: the page resumes the run from its checkpoint in localStorage, polls the same job to the end, and does not submit it again`, async (t) => {
    // Waits of 1.5 s, so that the page reloads while the second one goes.
    const { page, problems } = await openPage(t, '?autostart&wait=1500', url());
    await page.waitForSelector('g.state.current[data-type="Wait"][data-passes="2"]', { timeout: TIMEOUT_MS });
    const before = await page.evaluate(readStorage);
    await page.reload(); // ?autostart again: a saved run is resumed instead of a new one started
    const outcome = await waitForOutcome(t, page, problems, `${prefix}resumed`);
    const view = await readPage(page);
    const after = await page.evaluate(readStorage);

    const wait = view.graph.states.find((s) => s.type === 'Wait').name;
    const jobId = before.run?.job?.jobId;
    assert.match(jobId ?? '', /^job-/, `the run saved before the reload has its job: ${JSON.stringify(before.run)}`);
    assert.equal(before.run.checkpoint.state, wait, 'saved while waiting');
    assert.equal(await page.textContent('#continued'), `continuing the run of job ${jobId}`);
    assert.equal(outcome, 'SUCCEEDED', view.status);
    assert.ok(!view.log.some((e) => e.type === 'ExecutionStarted' || e.type === 'TaskSubmitted'), 'resumed, not started or submitted again');
    // The resumed run's checks are the last of the job's: RUNNABLE was answered before the reload.
    const statuses = view.log.filter((e) => e.type === 'StatusChecked').map((e) => e.text.replace(/^check \d+: /, ''));
    const all = [...PENDING_STATUSES.map((status) => `PENDING · ${status}`), 'SUCCEEDED'];
    assert.ok(statuses.length >= 1 && statuses.length < all.length, statuses.join());
    assert.deepEqual(statuses, all.slice(-statuses.length));
    assert.equal(view.result, `output {"jobId":"${jobId}","status":"SUCCEEDED","report":"s3://reports/nightly/2024-01-01.csv"}`);
    assert.equal(await page.textContent('#job'), `${jobId} · SUCCEEDED · 4 checks`);
    assert.equal(view.states[pathThrough(view.graph, 'succeeded').at(-1)].classes.join(), 'visited');
    assert.deepEqual(Object.entries(view.states).filter(([, s]) => s.classes.includes('current')), [], 'nothing in progress at the end');
    // The service's side: one submit, one job, polled to the end; the saved run gone with its end.
    assert.equal(after.service.submits, 1, 'one submit');
    assert.deepEqual(Object.keys(after.service.jobs), [jobId]);
    assert.equal(after.service.jobs[jobId].status, 'SUCCEEDED');
    assert.equal(after.run, null, 'the run ended: its checkpoint removed');
    assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
  });
}

/** In the page: the saved run and the simulated job service's state (app.js's localStorage keys). */
function readStorage() {
  return {
    run: JSON.parse(localStorage.getItem('pollflow-example-run')),
    service: JSON.parse(localStorage.getItem('pollflow-example-service')),
  };
}

test('two jobs (?workflow=two-jobs): the page draws the graph it gives run(), and job B runs after job A with its output', async (t) => {
  const { page, problems } = await openPage(t, '?workflow=two-jobs&autostart&wait=50');
  const outcome = await waitForOutcome(t, page, problems, 'two-jobs');
  const graph = await workflowGraph({ submit: noop, check: noop, notify: noop, workflow: twoJobs(50) });
  const view = await readPage(page, graph);
  assert.equal(outcome, 'SUCCEEDED', view.status);
  assertGraphDrawn(view);
  assert.equal(view.nodeCount, 12);
  const path = ['Submit A', 'Wait A', 'Get A Status', 'A Complete?', 'Submit B', 'Wait B', 'Get B Status', 'B Complete?', 'Notify Success', 'Succeeded'];
  for (const name of path) assert.deepEqual(view.states[name].classes, ['visited'], `${name} visited`);
  for (const name of ['A Failed', 'B Failed']) assert.deepEqual(view.states[name].classes, [], `${name} not entered`);
  const entered = view.log.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  assert.ok(entered.lastIndexOf('A Complete?') < entered.indexOf('Submit B'), 'B after A');
  const checks = view.log.filter((e) => e.type === 'StatusChecked');
  assert.equal(checks.length, 2 * (PENDING_STATUSES.length + 1), 'each job: PENDING 3 times, then done');
  for (const name of ['Wait A', 'Get A Status', 'Wait B', 'Get B Status']) {
    assert.equal(view.states[name].passes, PENDING_STATUSES.length + 1, `${name} passes`);
  }
  const submitted = view.log.filter((e) => e.type === 'TaskSubmitted');
  assert.equal(submitted.length, 2);
  assert.notEqual(submitted[0].text, submitted[1].text, 'two jobs');
  assert.ok(view.takenEdges.includes('A Complete?→Submit B'), 'the edge from A to B is drawn as taken');
  assertLiveHighlighting(view);
  assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
});

test('the Vite build is for ES2020: top-level await fails it (vite.config.js makes warnings errors)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pollflow-vite-'));
  try {
    await writeFile(join(root, 'index.html'), '<script type="module" src="./main.js"></script>');
    await writeFile(join(root, 'main.js'), 'await Promise.resolve(); console.log("loaded");');
    await assert.rejects(
      build({ root, configFile: join(EXAMPLE, 'vite.config.js'), logLevel: 'silent', build: { outDir: join(root, 'dist') } }),
      /Top-level await is not available in the configured target environment/,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('pollflow/asl in the page: a loop that never waits lets timers run, and a crash of the engine leaves it working', async (t) => {
  const { page, problems } = await openPage(t, '');
  const seen = await page.evaluate(async () => {
    const { init, runAsl } = await import('/pollflow/dist-asl/asl.js');
    await init();
    // A Pass state looping on itself, iterated: a 5 ms timer fires while it runs (no
    // setImmediate in a browser: the engine lets the event loop run through a MessageChannel).
    const loop = runAsl({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A' } } }, {});
    let events = 0;
    const iterated = (async () => { for await (const _ of loop) events += 1; })();
    const firedAt = await new Promise((resolve) => setTimeout(() => resolve(events), 5));
    loop.abort();
    await iterated;
    // Data nested deeper than the stack allows: a crash (or, with a depth limit, a failure, or
    // the definition refused).
    const deep = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 1, ResultPath: `$${'.a'.repeat(5000)}`, End: true } } };
    const crashes = [];
    for (let i = 0; i < 3; i++) {
      try {
        crashes.push(await runAsl(deep, {}).outcome.then((o) => o.status, (e) => e.message));
      } catch (error) {
        crashes.push(`${error.name}: ${error.message}`);
      }
    }
    const after = await runAsl({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, { input: 'after' }).result();
    return { firedAt, events, outcome: (await loop.outcome).status, crashes, after };
  });
  t.diagnostic(JSON.stringify(seen));
  assert.ok(seen.firedAt > 0 && seen.events > seen.firedAt, JSON.stringify(seen));
  assert.equal(seen.outcome, 'ABORTED');
  for (const crash of seen.crashes) {
    assert.match(crash, /^(FAILED|TypeError: definition is not a valid state machine|pollflow: the engine crashed running this execution \(RangeError: Maximum call stack size exceeded\))/);
  }
  assert.equal(seen.after, 'after');
  assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
});

test('pollflow/asl in the page: a JSONata definition loads the JSONata engine on first use, runs and draws', async (t) => {
  const { page, problems } = await openPage(t, '');
  const seen = await page.evaluate(async () => {
    const { init, initJsonata, runAsl, aslGraph } = await import('/pollflow/dist-asl/asl.js');
    await init();
    const definition = {
      QueryLanguage: 'JSONata', StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Seconds: '{% $states.input.wait %}', Next: 'Total' },
        Total: { Type: 'Pass', Output: { total: '{% $sum($states.input.items.price) %}', names: '{% $states.input.items.name %}' }, End: true },
      },
    };
    const input = { wait: 60, items: [{ name: 'a', price: 2 }, { name: 'b', price: 3 }] };
    let drawnBefore;
    try { aslGraph(definition); drawnBefore = 'drawn'; } catch (error) { drawnBefore = error.message; }
    const output = await runAsl(definition, { input, simulatedTime: true }).result();
    await initJsonata();
    return { drawnBefore, output, chart: aslGraph(definition) };
  });
  t.diagnostic(JSON.stringify(seen));
  assert.match(seen.drawnBefore, /needs the JSONata engine/);
  assert.deepEqual(seen.output, { total: 5, names: ['a', 'b'] });
  assert.match(seen.chart, /Pause/);
  assert.deepEqual(problems, [], 'no console errors or warnings, page errors or failed requests');
});
