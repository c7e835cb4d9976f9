// The example against its real HTTP server: polls, retry hints, failures, and the script itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { run } from 'pollflow';
import { reportJob, retryAfterMs } from './report-client.mjs';
import { REPORT_DATA, startReportServer } from './report-server.mjs';

const input = { sql: 'select 1' };

/** Runs a report job against `server` to its end: its events, and the result or error. */
async function poll(server, options = {}) {
  const execution = run({ ...reportJob(server.url), input, wait: { minDelayMs: 10, maxDelayMs: 1000 }, ...options });
  const events = [];
  for await (const event of execution) events.push(event);
  const result = await execution.result().then((output) => ({ output }), (error) => ({ error }));
  return { events, ...result };
}

test('GETs until the report is ready, waiting as long as the server says', async () => {
  const server = await startReportServer({ pending: 3, retryAfterMs: 40 });
  const started = Date.now();
  const { events, output } = await poll(server).finally(server.close);
  assert.deepEqual(server.requests, { posts: 1, gets: 4 });
  assert.deepEqual(output, { id: 'r-1', query: input.sql, ...REPORT_DATA });
  const milestones = events.map((e) => e.type).filter((t) => !/^State|^Choice/.test(t));
  assert.deepEqual(milestones, [
    'ExecutionStarted', 'TaskSubmitted',
    ...Array(4).fill(['WaitStarted', 'StatusChecked']).flat(),
    'ExecutionSucceeded',
  ]);
  const checks = events.filter((e) => e.type === 'StatusChecked').map((e) => e.status);
  assert.deepEqual(checks.map((s) => s.status), ['PENDING', 'PENDING', 'PENDING', 'SUCCEEDED']);
  assert.deepEqual(checks.map((s) => s.retry_after_ms), [40, 40, 40, undefined]);
  // The first wait is the policy's; each later one is the server's hint.
  assert.deepEqual(events.filter((e) => e.type === 'WaitStarted').map((e) => e.delay_ms), [10, 40, 40, 40]);
  assert.ok(Date.now() - started >= 125, 'really waited');
});

test('a hint longer than the wait policy allows is cut to its longest delay', async () => {
  const server = await startReportServer({ pending: 2, retryAfterMs: 60_000 });
  const { events, output } = await poll(server, { wait: { minDelayMs: 10, maxDelayMs: 30 } }).finally(server.close);
  assert.deepEqual(output, { id: 'r-1', query: input.sql, ...REPORT_DATA });
  assert.deepEqual(events.filter((e) => e.type === 'StatusChecked').map((e) => e.status.retry_after_ms), [60_000, 60_000, undefined]);
  assert.deepEqual(events.filter((e) => e.type === 'WaitStarted').map((e) => e.delay_ms), [10, 30, 30]);
});

test('a failed report rejects with States.TaskFailed, the server\'s answer as cause', async () => {
  const server = await startReportServer({ pending: 1, fail: true });
  const { events, error } = await poll(server).finally(server.close);
  assert.deepEqual(server.requests, { posts: 1, gets: 2 });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'States.TaskFailed');
  assert.deepEqual(JSON.parse(error.cause), { id: 'r-1', status: 'failed', error: 'query timed out' });
  assert.equal(events.at(-1).type, 'ExecutionFailed');
});

test('a 503 is retried (after 1 s), then polling goes on', async () => {
  const server = await startReportServer({ pending: 1, retryAfterMs: 10, outage: 1 });
  const { events, output } = await poll(server).finally(server.close);
  assert.deepEqual(server.requests, { posts: 1, gets: 3 });
  const failed = events.filter((e) => e.type === 'TaskFailed');
  assert.equal(failed.length, 1);
  assert.match(failed[0].error.cause, /HTTP 503/);
  assert.equal(failed[0].retry_in_ms, 1000);
  assert.deepEqual(output, { id: 'r-1', query: input.sql, ...REPORT_DATA });
});

test('any other status fails at once, without retries', async () => {
  const server = await startReportServer();
  const { events, error } = await poll(server, { submit: () => `${server.url}/reports/r-404` }).finally(server.close);
  assert.equal(error.name, 'States.TaskFailed');
  assert.match(error.message, /HTTP 404/);
  assert.equal(events.filter((e) => e.type === 'TaskFailed').length, 1);
  assert.equal(events.find((e) => e.type === 'TaskFailed').retry_in_ms, undefined);
});

test('the retry hint: Retry-After-Ms first, then Retry-After in seconds or as an HTTP-date', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '1' })), 250);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '1' })), 1000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' })), 3000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' })), 0, 'a date in the past: at once');
  const inAMinute = retryAfterMs(new Headers({ 'retry-after': new Date(Date.now() + 60_000).toUTCString() }));
  assert.ok(inAMinute > 58_000 && inAMinute <= 60_000, `${inAMinute}`);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'tomorrow' })), undefined);
  assert.equal(retryAfterMs(new Headers()), undefined);
});

const script = (...args) =>
  promisify(execFile)(process.execPath, ['http-report.mjs', ...args], { cwd: new URL('.', import.meta.url), timeout: 10_000 });

test('the script prints the events, then the report, and exits 0', async () => {
  const { stdout } = await script();
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0], /ExecutionStarted/);
  assert.equal(lines.filter((l) => /StatusChecked\s+GET #\d: PENDING/.test(l)).length, 3);
  assert.match(lines.at(-2), /ExecutionSucceeded/);
  assert.ok(lines.at(-1).startsWith('report: '), lines.at(-1));
  assert.deepEqual(JSON.parse(lines.at(-1).slice('report: '.length)), {
    id: 'r-1', query: 'select sum(total) from orders', ...REPORT_DATA,
  });
});

test('the script with --fail reports States.TaskFailed and exits 1', async () => {
  await assert.rejects(script('--fail'), (error) =>
    error.code === 1 && /^States\.TaskFailed: .*query timed out/.test(error.stderr));
});
