// Seed 003's pattern with a real HTTP server: POST a query, then GET the report until it is
// ready, honouring the server's retry hint. Prints every event, then the report.
//
//   node http-report.mjs          # 3 × 202 "not ready", then 200 with the report; exit 0
//   node http-report.mjs --fail   # the report fails: States.TaskFailed; exit 1
import { run } from 'pollflow';
import { reportJob } from './report-client.mjs';
import { startReportServer } from './report-server.mjs';

/** What an event says, after its type. */
function describe(event) {
  switch (event.type) {
    case 'ExecutionStarted':
      return JSON.stringify(event.input);
    case 'TaskSubmitted':
      return `POST /reports accepted: ${event.handle}`;
    case 'WaitStarted':
      return `${event.delay_ms} ms before GET #${event.attempt}`;
    case 'StatusChecked': {
      const { status, detail, output, retry_after_ms: hint } = event.status;
      return `GET #${event.attempt}: ${status} ${JSON.stringify(detail ?? output)}${hint === undefined ? '' : `, retry after ${hint} ms`}`;
    }
    case 'TaskFailed':
      return `${event.error.cause}${event.retry_in_ms === undefined ? '' : `; retrying in ${event.retry_in_ms} ms`}`;
    case 'ChoiceTaken':
      return `${event.state} → ${event.next}`;
    case 'ExecutionFailed':
    case 'ExecutionTimedOut':
      return `${event.error.error}: ${event.error.cause}`;
    default:
      return event.state ?? '';
  }
}

const server = await startReportServer({ fail: process.argv.includes('--fail') });
try {
  const execution = run({
    ...reportJob(server.url),
    input: { sql: 'select sum(total) from orders' },
    // 100 ms before the first GET; later GETs follow the server's hint, up to 5 s.
    wait: { minDelayMs: 100, maxDelayMs: 5000 },
    maxWaitMs: 10_000,
  });
  let started;
  for await (const event of execution) {
    started ??= event.timestamp_ms;
    const at = `${event.timestamp_ms - started} ms`.padStart(8);
    console.log(`${at}  ${event.type.padEnd(18)}  ${describe(event)}`.trimEnd());
  }
  console.log(`report: ${JSON.stringify(await execution.result())}`);
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await server.close();
}
