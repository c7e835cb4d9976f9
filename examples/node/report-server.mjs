// A toy report service on 127.0.0.1 with seed 003's "not ready yet" pattern:
//   POST /reports      {sql}  → 202, Location: /reports/<id>
//   GET  /reports/<id>        → 202 {status:'running'} with a retry hint, `pending` times,
//                               then 200 {status:'succeeded', report} (or {status:'failed'}).
// The hint is sent twice: `Retry-After` in whole seconds (the standard, RFC 9110, rounded up)
// and `Retry-After-Ms` in milliseconds (not standard, but common, e.g. on Azure services),
// so that a demo can poll several times a second.
//
// With `readyAfterMs` a report is ready that long after its POST instead, and
//   GET  /events                → server-sent events: `event: report`, `data: {id, status, report}`
//                                 as each report is ready (`dropEvents()` cuts every stream).
import { createServer } from 'node:http';

/** What a finished report holds, besides its id and query. */
export const REPORT_DATA = { rows: 1284, revenue: 98123.45, currency: 'EUR' };

/**
 * Starts the service on an ephemeral port.
 * @param {object} [options]
 * @param {number} [options.pending] GETs of each report answered 202 before it is done
 * @param {number} [options.retryAfterMs] the hint sent with each 202
 * @param {boolean} [options.fail] each report fails instead of being produced
 * @param {number} [options.outage] GETs of each report answered 503 first (a transient error)
 * @param {number} [options.readyAfterMs] each report is ready this long after its POST (instead
 *   of after `pending` GETs), and announced on `GET /events`
 */
export async function startReportServer({ pending = 3, retryAfterMs = 200, fail = false, outage = 0, readyAfterMs } = {}) {
  const reports = new Map(); // id → { sql, gets, ready }
  const requests = { posts: 0, gets: 0 };
  const streams = new Set(); // the open `GET /events` responses
  const finished = (id, report) => (fail
    ? { id, status: 'failed', error: 'query timed out' }
    : { id, status: 'succeeded', report: { id, query: report.sql, ...REPORT_DATA } });
  const announce = (id) => {
    const data = JSON.stringify(finished(id, reports.get(id)));
    for (const stream of streams) stream.write(`event: report\ndata: ${data}\n\n`);
  };

  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

    if (req.method === 'POST' && req.url === '/reports') {
      requests.posts += 1;
      let body = '';
      for await (const chunk of req) body += chunk;
      let sql;
      try { ({ sql } = JSON.parse(body)); } catch { return send(400, { error: 'the body must be JSON' }); }
      const id = `r-${reports.size + 1}`;
      reports.set(id, { sql, gets: 0, ready: readyAfterMs === undefined ? undefined : Date.now() + readyAfterMs });
      if (readyAfterMs !== undefined) setTimeout(() => announce(id), readyAfterMs).unref();
      return res.writeHead(202, { location: `/reports/${id}` }).end();
    }

    if (req.method === 'GET' && req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n'); // flushes the headers: the client knows it is listening
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }

    const id = req.url.match(/^\/reports\/([\w-]+)$/)?.[1];
    const report = req.method === 'GET' && reports.get(id);
    if (!report) return send(404, { error: `no ${req.method} ${req.url}` });
    requests.gets += 1;
    const n = (report.gets += 1);
    if (n <= outage) return send(503, { error: 'busy, try again' });
    const running = report.ready === undefined ? n <= outage + pending : Date.now() < report.ready;
    if (running) {
      const progress = report.ready === undefined
        ? Math.round((100 * (n - outage)) / (pending + 1))
        : Math.round(100 - (100 * (report.ready - Date.now())) / readyAfterMs);
      return send(202, { id, status: 'running', progress }, {
        'retry-after': String(Math.ceil(retryAfterMs / 1000)),
        'retry-after-ms': String(retryAfterMs),
      });
    }
    send(200, finished(id, report));
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Requests answered so far: { posts, gets }. */
    requests,
    /** Ends every `GET /events` stream, as a dropped connection would. */
    dropEvents: () => { for (const stream of streams) stream.destroy(); },
    /** Stops the server, closing idle keep-alive connections (fetch keeps them open). */
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }),
  };
}
