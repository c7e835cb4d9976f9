// The report service's server-sent events (`GET /events`), read with `fetch` (Node has no
// EventSource before v22, and there only behind --experimental-eventsource): each `report` event becomes the status pollflow's `check` would have returned,
// pushed into the run that submitted that report.

/** The check result a `report` event stands for (as `check` in report-client.mjs maps a 200). */
export function reportStatus(message) {
  return message.status === 'failed' ? { status: 'FAILED', detail: message } : { status: 'SUCCEEDED', output: message.report };
}

/**
 * Listens to `baseUrl`'s report events, calling `onReport(handle, status)` for each: `handle`
 * is the report's URL (what `submit` returned), `status` a check result. Resolves once
 * listening; `closed` resolves when the stream ends (dropped, or `stop()`).
 */
export async function followReports(baseUrl, onReport) {
  const stop = new AbortController();
  const response = await fetch(new URL('/events', baseUrl), { signal: stop.signal });
  if (!response.ok) throw new Error(`GET /events: HTTP ${response.status}`);
  const closed = (async () => {
    let buffer = '';
    try {
      for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        // An event ends at a blank line; its `data:` lines hold the JSON.
        for (let end; (end = buffer.indexOf('\n\n')) >= 0;) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
          if (!data) continue; // a comment (`: connected`)
          const message = JSON.parse(data);
          onReport(new URL(`/reports/${message.id}`, baseUrl).href, reportStatus(message));
        }
      }
    } catch (error) {
      if (!stop.signal.aborted) return error; // dropped mid-stream
    }
    return undefined;
  })();
  return { closed, stop: () => stop.abort() };
}
