// `retryAfterMs` as users import it: HTTP Retry-After (RFC 9110, section 10.2.3) in its two
// forms, delay-seconds and HTTP-date (the IMF-fixdate and the two obsolete forms), from every
// place a header comes from; what is not valid gives `undefined`, never NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { retryAfterMs, run } from 'pollflow';
import { retryAfterMs as aslRetryAfterMs } from 'pollflow/asl';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0); // Sun, 06 Dec 2026 12:00:00 GMT

test('delay-seconds: whole seconds as milliseconds', () => {
  assert.equal(retryAfterMs('0', NOW), 0);
  assert.equal(retryAfterMs('1', NOW), 1000);
  assert.equal(retryAfterMs('120', NOW), 120_000);
  assert.equal(retryAfterMs('007', NOW), 7000);
  assert.equal(retryAfterMs(' \t30 ', NOW), 30_000, 'optional whitespace around the value');
  // Beyond what a timer or the engine takes: capped at 2^53 - 1, still a valid retryAfterMs.
  assert.equal(retryAfterMs('9'.repeat(400), NOW), Number.MAX_SAFE_INTEGER);
  assert.equal(retryAfterMs('9007199254740993', NOW), Number.MAX_SAFE_INTEGER);
});

test('an IMF-fixdate: the time until then, 0 when it is past', () => {
  assert.equal(retryAfterMs('Sun, 06 Dec 2026 12:00:30 GMT', NOW), 30_000);
  assert.equal(retryAfterMs('Mon, 07 Dec 2026 12:00:00 GMT', NOW), 86_400_000);
  assert.equal(retryAfterMs('Sun, 06 Dec 2026 11:59:59 GMT', NOW), 0);
  assert.equal(retryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 0, "RFC 9110's example, long past");
  assert.equal(retryAfterMs('sun, 06 dec 2026 12:01:00 gmt', NOW), 60_000, 'names in any case');
  assert.equal(retryAfterMs('Sun,  06   Dec 2026  12:01:00 GMT', NOW), 60_000, 'several spaces');
  assert.equal(retryAfterMs('Thu, 31 Dec 2026 23:59:60 GMT', NOW), Date.UTC(2027, 0, 1) - NOW, 'a leap second is the next minute');
  assert.equal(retryAfterMs('Mon, 29 Feb 2028 00:00:00 GMT', NOW), Date.UTC(2028, 1, 29) - NOW, 'a leap day');
});

test('the obsolete forms recipients must accept: RFC 850 and asctime', () => {
  assert.equal(retryAfterMs('Sunday, 06-Dec-26 12:00:45 GMT', NOW), 45_000);
  assert.equal(retryAfterMs('Sun Dec  6 12:02:00 2026', NOW), 120_000);
  assert.equal(retryAfterMs('Sun Dec 6 12:02:00 2026', NOW), 120_000);
  // A two-digit year more than 50 years ahead is the most recent past year ending so.
  assert.equal(retryAfterMs('Thursday, 01-Jan-76 00:00:00 GMT', NOW), Date.UTC(2076, 0, 1) - NOW, '2076: 50 years ahead, not more');
  assert.equal(retryAfterMs('Monday, 01-Jan-77 00:00:00 GMT', NOW), 0, '1977, not 2077');
});

test('values that are neither form give undefined, never NaN', () => {
  for (const value of [
    '', ' ', '1.5', '-1', '+5', '1e3', '0x10', 'soon', '5 seconds', '120, 120',
    'Sun, 30 Feb 2026 12:00:00 GMT', // February 30th
    'Sun, 06 Dec 2026 24:00:00 GMT', 'Sun, 06 Dec 2026 12:60:00 GMT', 'Sun, 06 Dec 2026 12:00:61 GMT',
    'Sun, 06 Dec 2026 12:00:00 UTC', 'Sun, 06 Dec 2026 12:00:00 +0000', 'Sun, 06 Foo 2026 12:00:00 GMT',
    '2026-12-06T12:00:00Z', 'Sun, 06 Dec 26 12:00:00 GMT', 'Funday, 06-Dec-26 12:00:00 GMT',
  ]) {
    assert.equal(retryAfterMs(value, NOW), undefined, JSON.stringify(value));
  }
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs(null), undefined);
});

test('the header from Headers, a Response, a Request, a record of headers (any case)', () => {
  assert.equal(retryAfterMs(new Headers({ 'Retry-After': '3' }), NOW), 3000);
  assert.equal(retryAfterMs(new Headers(), NOW), undefined);
  assert.equal(retryAfterMs(new Response(null, { status: 503, headers: { 'retry-after': 'Sun, 06 Dec 2026 12:00:10 GMT' } }), NOW), 10_000);
  assert.equal(retryAfterMs(new Request('http://localhost/', { headers: { 'retry-after': '4' } }), NOW), 4000);
  assert.equal(retryAfterMs({ 'content-type': 'text/plain', 'RETRY-AFTER': '5' }, NOW), 5000, "Node's IncomingMessage.headers");
  assert.equal(retryAfterMs({ headers: { 'retry-after': '6' } }, NOW), 6000, 'an IncomingMessage');
  assert.equal(retryAfterMs({ 'retry-after': ['7'] }, NOW), 7000);
  assert.equal(retryAfterMs({ 'retry-after': ['7', '8'] }, NOW), undefined, 'the field twice has no single meaning');
  assert.equal(retryAfterMs({}, NOW), undefined);
  assert.equal(retryAfterMs(new Map([['retry-after', '9']]), NOW), 9000, 'anything with get(name)');
});

test('now defaults to Date.now(); a bad now or value type is a TypeError', () => {
  const at = new Date(Date.now() + 60_000).toUTCString(); // whole seconds: up to 1 s less
  const ms = retryAfterMs(at);
  assert.ok(ms > 58_000 && ms <= 60_000, `${ms}`);
  assert.throws(() => retryAfterMs('1', NaN), { name: 'TypeError', message: /now must be a finite number of milliseconds since the epoch, got NaN/ });
  assert.throws(() => retryAfterMs('1', '0'), TypeError);
  assert.throws(() => retryAfterMs(5, NOW), { name: 'TypeError', message: /value must be a header's text, Headers, a Response or a record of headers, got number/ });
  assert.throws(() => retryAfterMs(true, NOW), TypeError);
});

test("pollflow/asl and require('pollflow') export the same helper", () => {
  const require = createRequire(import.meta.url);
  for (const helper of [aslRetryAfterMs, require('pollflow').retryAfterMs, require('pollflow/asl').retryAfterMs]) {
    assert.equal(helper('Sun, 06 Dec 2026 12:00:30 GMT', NOW), 30_000);
    assert.equal(helper('soon', NOW), undefined);
  }
});

test('a check() result with retryAfterMs(response) waits what the server asked, at most the policy\'s longest delay, or what the policy says', async () => {
  const answers = [
    new Response(null, { status: 202, headers: { 'retry-after': '0' } }),
    new Response(null, { status: 202, headers: { 'retry-after': new Date(Date.now() - 5000).toUTCString() } }),
    new Response(null, { status: 202, headers: { 'retry-after': '3600' } }),
    new Response(null, { status: 202, headers: { 'retry-after': 'later' } }),
    new Response(null, { status: 200 }),
  ];
  const execution = run({
    submit: () => 'job',
    check: () => {
      const response = answers.shift();
      return response.status === 202 ? { status: 'PENDING', retryAfterMs: retryAfterMs(response) } : { status: 'SUCCEEDED', output: 'done' };
    },
    wait: { intervalMs: 7 },
  });
  const delays = [];
  for await (const event of execution) if (event.type === 'WaitStarted') delays.push(event.delay_ms);
  // The first wait comes before any check: the policy's. Then 0 s, a past date (0), an hour
  // (cut to the policy's longest delay), no hint.
  assert.deepEqual(delays, [7, 0, 0, 7, 7]);
  assert.equal(await execution.result(), 'done');
});
