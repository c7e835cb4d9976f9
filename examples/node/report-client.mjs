// The pollflow callbacks for the report service: `submit` POSTs the query and returns the
// report's URL (the handle); `check` GETs it and maps the HTTP answer to a check result.
import { retryAfterMs as retryAfterHeader } from 'pollflow';

/**
 * The server's retry hint in milliseconds: `Retry-After-Ms`, else `Retry-After` (seconds or an
 * HTTP-date, read by pollflow's `retryAfterMs`); `undefined` (the wait policy decides) when
 * neither is there or valid.
 */
export function retryAfterMs(headers) {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+$/.test(ms.trim())) return Number(ms);
  return retryAfterHeader(headers);
}

/** An Error for an unexpected answer; 5xx ones are transient, so pollflow retries them. */
async function httpError(method, url, response) {
  const error = new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
  error.retryable = response.status >= 500;
  return error;
}

/** `submit` and `check` for the report service at `baseUrl`. */
export function reportJob(baseUrl) {
  return {
    async submit(input) {
      const url = new URL('/reports', baseUrl);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      if (response.status !== 202) throw await httpError('POST', url, response);
      return new URL(response.headers.get('location'), baseUrl).href;
    },

    async check(url) {
      const response = await fetch(url);
      if (response.status === 202) {
        return { status: 'PENDING', detail: await response.json(), retryAfterMs: retryAfterMs(response.headers) };
      }
      if (response.status !== 200) throw await httpError('GET', url, response);
      const body = await response.json();
      return body.status === 'failed' ? { status: 'FAILED', detail: body } : { status: 'SUCCEEDED', output: body.report };
    },
  };
}
