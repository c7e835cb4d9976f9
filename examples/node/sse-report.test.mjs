// The push variant against its real HTTP server: a server-sent event ends the client's wait,
// and with the event stream dropped the run still finishes by polling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { run } from 'pollflow';
import { reportJob } from './report-client.mjs';
import { followReports } from './report-events.mjs';
import { REPORT_DATA, startReportServer } from './report-server.mjs';

const input = { sql: 'select 1' };

/**
 * Runs a report job with push against `server`, its statuses pushed from the event stream
 * (which `afterListening` may drop); polls every `fallbackMs` without events.
 */
async function pushed(server, fallbackMs, afterListening = () => {}) {
  const execution = run({ ...reportJob(server.url), push: true, input, wait: { intervalMs: fallbackMs } });
  const accepted = [];
  const events = await followReports(server.url, (report, status) => accepted.push(execution.pushStatus(report, status)));
  afterListening();
  const checks = [];
  for await (const event of execution) if (event.type === 'StatusChecked') checks.push(event);
  const output = await execution.result();
  events.stop();
  return { output, checks, accepted, dropped: await events.closed };
}

test('a server-sent event ends the wait at once: no GET, with a minute of fallback', async () => {
  const server = await startReportServer({ readyAfterMs: 300 });
  const started = Date.now();
  const { output, checks, accepted } = await pushed(server, 60_000).finally(server.close);
  assert.deepEqual(output, { id: 'r-1', query: input.sql, ...REPORT_DATA });
  assert.ok(Date.now() - started < 5_000, 'not a minute');
  assert.deepEqual(server.requests, { posts: 1, gets: 0 });
  assert.deepEqual(accepted, [true]);
  assert.equal(checks.length, 1);
  assert.equal(checks[0].pushed, true);
});

test('with the event stream dropped, the run finishes by polling', async () => {
  const server = await startReportServer({ readyAfterMs: 200 });
  const started = Date.now();
  const { output, checks, accepted, dropped } = await pushed(server, 400, () => server.dropEvents()).finally(server.close);
  assert.deepEqual(output, { id: 'r-1', query: input.sql, ...REPORT_DATA });
  assert.ok(dropped instanceof Error, 'the client saw the stream drop');
  assert.deepEqual(accepted, [], 'no event came');
  assert.ok(server.requests.gets >= 1);
  assert.ok(checks.every((check) => !check.pushed));
  assert.equal(checks.at(-1).status.status, 'SUCCEEDED');
  assert.ok(Date.now() - started >= 400, 'after the fallback wait');
});

const script = (...args) =>
  promisify(execFile)(process.execPath, ['sse-report.mjs', ...args], { cwd: new URL('.', import.meta.url), timeout: 10_000 });

test('the script ends on the pushed event, and with --drop by a GET', async () => {
  const pushedRun = await script();
  assert.match(pushedRun.stdout, /SUCCEEDED \(pushed by an event\)/);
  assert.match(pushedRun.stdout, /^GETs: 0$/m);
  const dropped = await script('--drop');
  assert.match(dropped.stdout, /event stream closed: /);
  assert.match(dropped.stdout, /SUCCEEDED \(GET #1\)/);
  assert.match(dropped.stdout, /^GETs: 1$/m);
});
