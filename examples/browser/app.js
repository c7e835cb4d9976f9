// The Job Poller workflow of the npm package `pollflow`, run in the page against a simulated
// job, drawn as a graph whose states light up as the execution's events arrive — like the
// AWS Step Functions console's graph view. A run keeps its checkpoint in localStorage: after a
// reload the page resumes it, polling the same job (see "checkpoint and resume" at the end).
//
// URL parameters: ?autostart (start at once), ?fail (the job fails), ?wait=MS (default 300),
// ?workflow=two-jobs (two jobs in sequence, the second given the first's output: two-jobs.js).
import { init, resume, run, workflowGraph } from 'pollflow';
import { twoJobs } from './two-jobs.js';

const params = new URLSearchParams(location.search);
const waitMs = params.get('wait') ? Number(params.get('wait')) : 300;
const workflow = params.get('workflow') === 'two-jobs' ? twoJobs(waitMs) : undefined;

const $ = (id) => document.getElementById(id);
const toggle = $('toggle');
const failBox = $('fail');
const statusText = $('status');
const continuedText = $('continued');
const jobText = $('job');
const noticeText = $('notice');
const log = $('log');
const eventCount = $('event-count');
const resultText = $('result');
failBox.checked = params.has('fail');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The simulated job service: AWS Batch-like statuses. `check` answers PENDING (RUNNABLE,
// STARTING, RUNNING), then SUCCEEDED, or FAILED when the "job fails" box was ticked at submit.
// Its jobs live in localStorage, so that a job outlives a reload of the page, as a real one
// outlives its client; `submits` counts the submit requests it received. It records a job at
// once and answers 150 ms later; a submit under a key it knows (the idempotency key pollflow
// passes) gets the job of that key back: a run resumed from a checkpoint taken before its
// submit answered submits again, under the same key, and gets the same job.

const PENDING_STATUSES = ['RUNNABLE', 'STARTING', 'RUNNING'];
const SERVICE_KEY = 'pollflow-example-service';

const readService = () => JSON.parse(localStorage.getItem(SERVICE_KEY) ?? '{"submits":0,"jobs":{}}');
const writeService = (service) => localStorage.setItem(SERVICE_KEY, JSON.stringify(service));
const jobOfKey = (service, key) => Object.keys(service.jobs).find((jobId) => service.jobs[jobId].key === key);

function showJob(jobId) {
  const { status, checks } = readService().jobs[jobId];
  jobText.textContent = `${jobId} · ${status} · ${checks} check${checks === 1 ? '' : 's'}`;
  jobText.dataset.status = status;
}

function simulatedJob({ fail }) {
  return {
    async submit(input, { key }) {
      const service = readService();
      service.submits += 1;
      let jobId = jobOfKey(service, key);
      if (!jobId) {
        jobId = `job-${Math.random().toString(16).slice(2, 8)}`;
        service.jobs[jobId] = { key, fail, status: 'SUBMITTED', checks: 0 };
      }
      writeService(service);
      await sleep(150);
      showJob(jobId);
      return { jobId, jobName: input.jobName };
    },
    async check({ jobId }) {
      await sleep(100);
      const service = readService();
      const job = service.jobs[jobId];
      if (job.status !== 'CANCELLED') { // not a check still in flight when the run was aborted
        job.checks += 1;
        job.status = PENDING_STATUSES[job.checks - 1] ?? (job.fail ? 'FAILED' : 'SUCCEEDED');
        writeService(service);
        showJob(jobId);
      }
      switch (job.status) {
        case 'SUCCEEDED': return { status: 'SUCCEEDED', output: { jobId, status: 'SUCCEEDED', report: 's3://reports/nightly/2024-01-01.csv' } };
        case 'FAILED': return { status: 'FAILED', detail: { jobId, status: 'FAILED', statusReason: 'Essential container in task exited', exitCode: 3 } };
        default: return { status: 'PENDING', detail: { jobId, status: job.status } };
      }
    },
    cancel({ jobId }) {
      const service = readService();
      service.jobs[jobId].status = 'CANCELLED';
      writeService(service);
      showJob(jobId);
    },
    notify({ state, message }) {
      noticeText.textContent = `${state}: ${message}`;
    },
  };
}

function options({ fail = false, signal } = {}) {
  const input = { jobName: 'nightly-report' };
  // A workflow graph carries its own waits; the Job Poller takes them as options.
  if (workflow) return { ...simulatedJob({ fail }), input, workflow, signal };
  return { ...simulatedJob({ fail }), input, wait: { intervalMs: waitMs }, maxAttempts: 20, signal };
}

// ---------------------------------------------------------------------------------------------
// Layout: states top to bottom by longest path from the start (back edges — the Choice's
// default to Wait — left out of the ranking), side by side where the graph branches.

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 196; // state box
const H = 48;
const RANK_GAP = 92; // centre to centre, vertically
const COL_GAP = 236; // centre to centre, horizontally
const PILL = { w: 64, h: 26 }; // the Start and End pills

function layout(graph) {
  const states = graph.states;
  const index = new Map(states.map((s, i) => [s.name, i]));
  const edges = [];
  for (const s of states) {
    if (s.next !== undefined) edges.push({ from: s.name, to: s.next, label: '' });
    (s.choices ?? []).forEach((c, i) => edges.push({ from: s.name, to: c.next, label: typeof c.condition === 'string' ? c.condition : `rule ${i + 1}` }));
    if (s.default !== undefined) edges.push({ from: s.name, to: s.default, label: 'default' });
  }
  const known = edges.filter((e) => index.has(e.to));
  const out = (name) => known.filter((e) => e.from === name);

  // Depth-first from the start: an edge to a state on the stack is a back edge (a loop).
  const mark = new Map(); // 1: on the stack, 2: done
  const postorder = [];
  const visit = (name) => {
    mark.set(name, 1);
    for (const e of out(name)) {
      if (mark.get(e.to) === 1) e.back = true;
      else if (!mark.has(e.to)) visit(e.to);
    }
    mark.set(name, 2);
    postorder.push(name);
  };
  if (index.has(graph.start_at)) visit(graph.start_at);
  for (const s of states) if (!mark.has(s.name)) visit(s.name);

  const rank = new Map(states.map((s) => [s.name, 0]));
  for (const name of postorder.reverse()) {
    for (const e of out(name)) if (!e.back) rank.set(e.to, Math.max(rank.get(e.to), rank.get(name) + 1));
  }
  const ranks = Math.max(0, ...rank.values()) + 1;

  // Horizontal: each state wants to sit under its parents; states of a rank are kept COL_GAP apart.
  const x = new Map();
  for (let r = 0; r < ranks; r += 1) {
    const row = states
      .filter((s) => rank.get(s.name) === r)
      .map((s) => {
        const parents = known.filter((e) => e.to === s.name && !e.back && x.has(e.from));
        const want = parents.length ? parents.reduce((sum, e) => sum + x.get(e.from), 0) / parents.length : 0;
        const order = parents.length ? Math.min(...parents.map((e) => out(e.from).indexOf(e))) : 0;
        return { name: s.name, want, order, i: index.get(s.name) };
      })
      .sort((a, b) => a.want - b.want || a.order - b.order || a.i - b.i);
    let previous = -Infinity;
    for (const node of row) {
      node.x = Math.max(node.want, previous + COL_GAP);
      previous = node.x;
    }
    const shift = row.reduce((sum, n) => sum + (n.want - n.x), 0) / (row.length || 1);
    for (const node of row) x.set(node.name, node.x + shift);
  }

  const y = (r) => (r + 1) * RANK_GAP; // rank -1 is the Start pill
  const nodes = states.map((s) => ({ state: s, x: x.get(s.name), y: y(rank.get(s.name)), rank: rank.get(s.name) }));
  const byName = new Map(nodes.map((n) => [n.state.name, n]));
  const terminals = nodes.filter((n) => out(n.state.name).length === 0);
  const start = { x: byName.get(graph.start_at)?.x ?? 0, y: y(-1) };
  const endX = terminals.length ? terminals.reduce((sum, n) => sum + n.x, 0) / terminals.length : 0;
  const end = { x: endX, y: y(ranks) };
  return { nodes, byName, edges: known, terminals, start, end };
}

/** A polyline with rounded corners. */
function roundedPath(points, radius = 8) {
  let d = `M ${points[0][0]} ${points[0][1]}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    const [px, py] = points[i - 1];
    const [cx, cy] = points[i];
    const [nx, ny] = points[i + 1];
    const r = Math.min(radius, Math.hypot(cx - px, cy - py) / 2, Math.hypot(nx - cx, ny - cy) / 2);
    const towards = (ax, ay, bx, by) => {
      const length = Math.hypot(bx - ax, by - ay) || 1;
      return [ax + ((bx - ax) / length) * r, ay + ((by - ay) / length) * r];
    };
    const [ax, ay] = towards(cx, cy, px, py);
    const [bx, by] = towards(cx, cy, nx, ny);
    d += ` L ${ax} ${ay} Q ${cx} ${cy} ${bx} ${by}`;
  }
  const [lx, ly] = points[points.length - 1];
  return `${d} L ${lx} ${ly}`;
}

function el(name, attributes = {}, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function typeLabel(state) {
  switch (state.type) {
    case 'Submit': return 'Task · submit';
    case 'Check': return 'Task · check';
    case 'Notify': return 'Task · notify';
    case 'Wait': return `Wait · ${waitMs} ms`;
    default: return state.type;
  }
}

/** Draws the graph into #graph; returns the elements to highlight. */
function drawGraph(graph) {
  const { nodes, byName, edges, terminals, start, end } = layout(graph);
  const svg = el('svg', { id: 'workflow', role: 'img', 'aria-label': `${graph.name} state machine` });
  const defs = el('defs');
  for (const id of ['arrow', 'arrow-taken']) {
    const marker = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(el('path', { d: 'M 0 1 L 9 5 L 0 9 z', class: id }));
    defs.append(marker);
  }
  svg.append(defs);
  const edgeLayer = el('g', { class: 'edges' });
  const labelLayer = el('g', { class: 'edge-labels' });
  const nodeLayer = el('g', { class: 'nodes' });
  svg.append(edgeLayer, labelLayer, nodeLayer);

  const bounds = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  const grow = (x, y) => {
    bounds.minX = Math.min(bounds.minX, x);
    bounds.maxX = Math.max(bounds.maxX, x);
    bounds.minY = Math.min(bounds.minY, y);
    bounds.maxY = Math.max(bounds.maxY, y);
  };
  const edgeElements = new Map(); // "from→to" → path
  const addEdge = (key, points, label, labelAt) => {
    const path = el('path', { class: 'edge', d: roundedPath(points), 'marker-end': 'url(#arrow)', 'data-edge': key });
    edgeLayer.append(path);
    edgeElements.set(key, path);
    points.forEach(([x, y]) => grow(x, y));
    if (label) {
      const [lx, ly, anchor = 'middle'] = labelAt;
      labelLayer.append(el('text', { class: 'edge-label', x: lx, y: ly, 'text-anchor': anchor }, label));
      const width = label.length * 7;
      grow(anchor === 'start' ? lx + width : lx + width / 2, ly);
      grow(anchor === 'start' ? lx : lx - width / 2, ly);
    }
  };

  // Start → the first state; terminal states → End.
  const first = byName.get(graph.start_at);
  if (first) addEdge(`^→${first.state.name}`, [[start.x, start.y + PILL.h / 2], [first.x, first.y - H / 2]]);
  for (const n of terminals) {
    const top = n.y + H / 2;
    const bottom = end.y - PILL.h / 2;
    const points = n.x === end.x
      ? [[n.x, top], [end.x, bottom]]
      : [[n.x, top], [n.x, (top + bottom) / 2], [end.x, (top + bottom) / 2], [end.x, bottom]];
    addEdge(`${n.state.name}→$`, points);
  }

  // Transitions. Forward edges leave the bottom and enter the top; loops go up on the right.
  let loops = 0;
  for (const e of edges) {
    const a = byName.get(e.from);
    const b = byName.get(e.to);
    if (!e.back) {
      const top = a.y + H / 2;
      const bottom = b.y - H / 2;
      const middle = (top + bottom) / 2;
      const points = a.x === b.x
        ? [[a.x, top], [b.x, bottom]]
        : [[a.x, top], [a.x, middle], [b.x, middle], [b.x, bottom]];
      // The label sits on the horizontal stretch (on the line, for a straight edge).
      addEdge(`${e.from}→${e.to}`, points, e.label, a.x === b.x ? [b.x, middle + 4] : [(a.x + b.x) / 2, middle - 6]);
    } else {
      const span = nodes.filter((n) => n.rank >= b.rank && n.rank <= a.rank);
      const side = Math.max(...span.map((n) => n.x + W / 2)) + 34 + 16 * loops;
      loops += 1;
      const points = [[a.x + W / 2, a.y], [side, a.y], [side, b.y], [b.x + W / 2, b.y]];
      addEdge(`${e.from}→${e.to}`, points, e.label, [side + 6, (a.y + b.y) / 2 + 4, 'start']);
    }
  }

  // The Start and End pills.
  for (const [kind, at, text] of [['start', start, 'Start'], ['end', end, 'End']]) {
    const g = el('g', { class: `terminal ${kind}`, transform: `translate(${at.x - PILL.w / 2} ${at.y - PILL.h / 2})` });
    g.append(el('rect', { width: PILL.w, height: PILL.h, rx: PILL.h / 2 }), el('text', { x: PILL.w / 2, y: PILL.h / 2 + 4.5, 'text-anchor': 'middle' }, text));
    nodeLayer.append(g);
    grow(at.x - PILL.w / 2, at.y - PILL.h / 2);
    grow(at.x + PILL.w / 2, at.y + PILL.h / 2);
  }

  // One box per state.
  const stateElements = new Map();
  for (const n of nodes) {
    const g = el('g', {
      class: 'state',
      'data-state': n.state.name,
      'data-type': n.state.type,
      'data-passes': 0,
      transform: `translate(${n.x - W / 2} ${n.y - H / 2})`,
    });
    g.append(
      el('title', {}, `${n.state.name} (${n.state.type})`),
      el('rect', { width: W, height: H, rx: 6 }),
      el('text', { class: 'name', x: W / 2, y: 21, 'text-anchor': 'middle' }, n.state.name),
      el('text', { class: 'type', x: W / 2, y: 38, 'text-anchor': 'middle' }, typeLabel(n.state)),
      el('text', { class: 'passes', x: W - 8, y: 15, 'text-anchor': 'end' }),
    );
    nodeLayer.append(g);
    stateElements.set(n.state.name, g);
    grow(n.x - W / 2, n.y - H / 2);
    grow(n.x + W / 2, n.y + H / 2);
  }

  const pad = 16;
  const width = bounds.maxX - bounds.minX + 2 * pad;
  const height = bounds.maxY - bounds.minY + 2 * pad;
  svg.setAttribute('viewBox', `${bounds.minX - pad} ${bounds.minY - pad} ${width} ${height}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  $('graph').replaceChildren(svg);
  return { svg, stateElements, edgeElements, start: svg.querySelector('.terminal.start'), end: svg.querySelector('.terminal.end') };
}

// ---------------------------------------------------------------------------------------------
// Live highlighting, driven by the execution's events.

// Drawn once the engine is loaded (see the end of this file).
let graph;
let view;

function resetGraph() {
  for (const g of view.stateElements.values()) {
    g.classList.remove('current', 'visited', 'failed', 'aborted');
    g.dataset.passes = 0;
    g.querySelector('.passes').textContent = '';
  }
  for (const path of view.edgeElements.values()) {
    path.classList.remove('taken');
    path.setAttribute('marker-end', 'url(#arrow)');
  }
  view.start.classList.remove('reached');
  view.end.classList.remove('reached', 'failed', 'aborted');
}

function takeEdge(key) {
  const path = view.edgeElements.get(key);
  if (!path) return;
  path.classList.add('taken');
  path.setAttribute('marker-end', 'url(#arrow-taken)');
  path.parentNode.append(path); // taken edges on top of the others where they share a stretch
}

/** `resumedIn`: the state a resumed run continues in (its events begin inside it). */
function createHighlighter(resumedIn) {
  let current = null; // the state entered last and not exited
  let previous = '^'; // the state exited last ('^' is Start)
  const setState = (name, cls) => {
    const g = view.stateElements.get(name);
    if (!g) return;
    g.classList.remove('current', 'visited', 'failed', 'aborted');
    g.classList.add(cls);
  };
  if (resumedIn) {
    view.start.classList.add('reached');
    setState(resumedIn, 'current');
    current = resumedIn;
  }
  const end = (cls) => {
    if (current) setState(current, cls);
    if (current) takeEdge(`${current}→$`); // only a final state has an edge to End
    view.end.classList.add('reached');
    if (cls !== 'visited') view.end.classList.add(cls);
  };
  return (event) => {
    switch (event.type) {
      case 'ExecutionStarted':
        view.start.classList.add('reached');
        break;
      case 'StateEntered': {
        const g = view.stateElements.get(event.state);
        if (g) {
          const passes = Number(g.dataset.passes) + 1;
          g.dataset.passes = passes;
          g.querySelector('.passes').textContent = passes > 1 ? `×${passes}` : '';
        }
        takeEdge(`${previous}→${event.state}`);
        setState(event.state, 'current');
        current = event.state;
        break;
      }
      case 'StateExited':
        setState(event.state, 'visited');
        previous = event.state;
        if (current === event.state) current = null;
        break;
      case 'ExecutionSucceeded':
        end('visited');
        break;
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
        end('failed');
        break;
      case 'ExecutionAborted':
        end('aborted');
        break;
      default:
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The event log.

function json(value) {
  return JSON.stringify(value);
}

function describe(event) {
  switch (event.type) {
    case 'ExecutionStarted': return ['', `input ${json(event.input)}`];
    case 'StateEntered':
    case 'StateExited': return [event.state, ''];
    case 'TaskSubmitted': return [event.state, `handle ${json(event.handle)}`];
    case 'WaitStarted': return [event.state, `${event.delay_ms} ms before check ${event.attempt}`];
    case 'StatusChecked': {
      const { status } = event;
      const word = typeof status.detail === 'string' ? status.detail : status.detail?.status;
      const more = status.status === 'PENDING' && word ? ` · ${word}` : '';
      return [event.state, `check ${event.attempt}: ${status.status}${more}`];
    }
    case 'TaskFailed': return [event.state, `${event.error.error}: ${event.error.cause}`];
    case 'ChoiceTaken': return [event.state, `→ ${event.next}`];
    case 'Notified': return [event.state, event.message];
    case 'JobCancelled': return ['', `handle ${json(event.handle)}${event.error ? ` (${event.error.cause})` : ''}`];
    case 'ExecutionSucceeded': return ['', `output ${json(event.output)}`];
    case 'ExecutionFailed':
    case 'ExecutionTimedOut': return ['', `${event.error.error}: ${event.error.cause}`];
    case 'ExecutionAborted': return ['', event.job_cancelled ? 'job cancelled' : 'no job to cancel'];
    default: return [event.state ?? '', ''];
  }
}

function logEvent(event, startedAt) {
  const [state, text] = describe(event);
  const li = document.createElement('li');
  li.dataset.type = event.type;
  if (event.state !== undefined) li.dataset.state = event.state;
  const cells = [
    ['id', String(event.id)],
    ['time', `+${((event.timestamp_ms - startedAt) / 1000).toFixed(2)} s`],
    ['type', event.type],
    ['state', state],
    ['text', text],
  ];
  for (const [cls, content] of cells) {
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = content;
    if (cls === 'text') span.title = content;
    li.append(span);
  }
  log.append(li);
  eventCount.textContent = `(${log.children.length})`;
  log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Start / Abort, and checkpoint and resume: while a run goes, the page keeps its checkpoint
// (`execution.checkpoint()`, JSON data) in localStorage after each event, with its job's handle
// once submitted; on load, a checkpoint there is resumed (`resume(checkpoint, options)`: the
// same job polled on, not submitted again) instead of waiting for Start. The run's end removes it.

const RUN_KEY = 'pollflow-example-run';
const ENDING = ['JobCancelled', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'];

let controller = null;

function setStatus(status, text) {
  statusText.dataset.status = status;
  statusText.textContent = text;
}

/** Starts a run, or with `saved` ({ checkpoint, job }) continues the one saved before a reload. */
async function start(saved) {
  controller = new AbortController();
  delete document.body.dataset.outcome;
  document.body.dataset.phase = 'running';
  resetGraph();
  log.replaceChildren();
  eventCount.textContent = '';
  continuedText.hidden = !saved;
  continuedText.textContent = saved ? `continuing the run of job ${saved.job?.jobId ?? '(not submitted yet)'}` : '';
  jobText.textContent = '—';
  if (saved?.job) showJob(saved.job.jobId);
  noticeText.textContent = '—';
  resultText.textContent = '—';
  resultText.title = '';
  toggle.textContent = 'Abort';
  failBox.disabled = true;
  setStatus('RUNNING', 'Running');

  let outcome;
  try {
    const runOptions = options({ fail: failBox.checked, signal: controller.signal });
    const execution = saved ? resume(saved.checkpoint, runOptions) : run(runOptions);
    const highlight = createHighlighter(saved?.checkpoint.state);
    let job = saved?.job ?? null;
    let startedAt = null;
    let lastAt = null;
    for await (const event of execution) {
      startedAt ??= event.timestamp_ms;
      lastAt = event.timestamp_ms;
      highlight(event);
      logEvent(event, startedAt);
      if (event.type === 'StateEntered') setStatus('RUNNING', `Running — ${event.state}`);
      if (event.type === 'TaskSubmitted') job = event.handle;
      // What a reload needs changes with each step (submitted, waiting, checked): keep it.
      if (!ENDING.includes(event.type) && !controller.signal.aborted) {
        localStorage.setItem(RUN_KEY, JSON.stringify({ checkpoint: execution.checkpoint(), job }));
      }
    }
    outcome = await execution.outcome;
    const seconds = (((lastAt ?? 0) - (startedAt ?? 0)) / 1000).toFixed(2);
    setStatus(outcome.status, `${outcome.status} in ${seconds} s${outcome.error ? ` · ${outcome.error.error}` : ''}`);
    const result = outcome.status === 'SUCCEEDED' ? `output ${json(outcome.output)}`
      : outcome.error ? `cause ${outcome.error.cause}`
      : `job ${outcome.job_cancelled ? '' : 'not '}cancelled`;
    resultText.textContent = result;
    resultText.title = result;
  } catch (error) {
    console.error(error);
    outcome = { status: 'ERROR' };
    setStatus('ERROR', `Error: ${error.message}`);
  } finally {
    localStorage.removeItem(RUN_KEY);
    controller = null;
    toggle.textContent = 'Start again';
    failBox.disabled = false;
    document.body.dataset.phase = 'done';
    document.body.dataset.outcome = outcome?.status ?? 'ERROR';
  }
}

toggle.addEventListener('click', () => {
  if (controller) controller.abort();
  else start();
});

/** The run saved before the page was reloaded, or null. */
function savedRun() {
  try {
    return JSON.parse(localStorage.getItem(RUN_KEY));
  } catch {
    return null; // not ours: start afresh
  }
}

// The engine first: `init()` fetches the package's .wasm (a bundler copies it with the build).
// No top-level await, here or in the package, so builds for older browsers accept this page.
// A workflow graph is read by the package's second engine, so its drawing is a promise.
init().then(() => workflowGraph(options())).then((drawn) => {
  graph = drawn;
  $('workflow-name').textContent = graph.name;
  document.title = `${graph.name} — pollflow, live`;
  view = drawGraph(graph);
  toggle.disabled = false;
  document.body.dataset.phase = 'ready';
  setStatus('READY', 'Ready — press Start execution');
  const saved = savedRun();
  if (saved) start(saved);
  else if (params.has('autostart')) start();
}, (error) => {
  console.error(error);
  setStatus('ERROR', `Error loading the engine: ${error.message}`);
  document.body.dataset.outcome = 'ERROR';
});
