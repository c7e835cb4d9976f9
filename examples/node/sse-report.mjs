// The report example with push: the service announces each finished report as a server-sent
// event, and the event ends the run's wait at once. Polling stays underneath as the fallback:
// with the stream dropped, the run still finishes, at its next GET.
//
//   node sse-report.mjs          # the report is ready after 1 s: pushed, no GET; exit 0
//   node sse-report.mjs --drop   # the stream drops at once: one GET after 2 s; exit 0
import { run } from 'pollflow';
import { reportJob } from './report-client.mjs';
import { followReports } from './report-events.mjs';
import { startReportServer } from './report-server.mjs';

const drop = process.argv.includes('--drop');
const server = await startReportServer({ readyAfterMs: 1000 });
try {
  const execution = run({
    ...reportJob(server.url),
    push: true, // pushStatus: the run takes statuses from the events
    input: { sql: 'select sum(total) from orders' },
    wait: { intervalMs: 2000 }, // the fallback: a GET every 2 s when no event comes
  });
  const events = await followReports(server.url, (report, status) => execution.pushStatus(report, status));
  events.closed.then((error) => console.log(`         (event stream closed${error ? `: ${error.message}` : ''})`));
  if (drop) server.dropEvents();
  let started;
  for await (const event of execution) {
    started ??= event.timestamp_ms;
    const at = `${event.timestamp_ms - started} ms`.padStart(8);
    if (event.type === 'StatusChecked') {
      console.log(`${at}  ${event.status.status} (${event.pushed ? 'pushed by an event' : `GET #${server.requests.gets}`})`);
    } else if (event.type === 'TaskSubmitted' || event.type === 'WaitStarted') {
      console.log(`${at}  ${event.type}${event.delay_ms === undefined ? '' : `: up to ${event.delay_ms} ms`}`);
    }
  }
  console.log(`report: ${JSON.stringify(await execution.result())}`);
  console.log(`GETs: ${server.requests.gets}`);
  events.stop();
} catch (error) {
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await server.close();
}
