// HTTP's `Retry-After` (RFC 9110, section 10.2.3) as `check()`'s `retryAfterMs`: delay-seconds or
// an HTTP-date, as milliseconds from now. See index.d.ts.

const MONTHS = 'janfebmaraprmayjunjulaugsepoctnovdec';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
// The three forms of an HTTP-date (RFC 9110, section 5.6.7), case-insensitive, one or more
// spaces between parts (recipients are asked to be robust); the day name is not checked
// against the date.
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. Groups: day, month, year, time. */
const IMF_FIXDATE = new RegExp(`^(?:mon|tue|wed|thu|fri|sat|sun), +(\\d\\d?) +${MONTH} +(\\d{4}) +${TIME} +gmt$`, 'i');
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (a two-digit year). */
const RFC_850 = new RegExp(`^(?:mon|tues|wednes|thurs|fri|satur|sun)day, +(\\d\\d?)-${MONTH}-(\\d\\d) +${TIME} +gmt$`, 'i');
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. Groups: month, day, time, year. */
const ASCTIME = new RegExp(`^(?:mon|tue|wed|thu|fri|sat|sun) +${MONTH} +(\\d\\d?) +${TIME} +(\\d{4})$`, 'i');

/** The header's text in `value`: a string, Headers (anything with `get`), a Response, a record of headers. */
function headerText(value) {
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  if (typeof value !== 'object') throw new TypeError(`retryAfterMs(value): value must be a header's text, Headers, a Response or a record of headers, got ${typeof value}`);
  if (typeof value.get === 'function') return headerText(value.get('retry-after'));
  if ('headers' in value) return headerText(value.headers);
  const key = Object.keys(value).find((name) => name.toLowerCase() === 'retry-after');
  const text = key === undefined ? undefined : value[key];
  // A field given more than once has no single meaning.
  return Array.isArray(text) ? (text.length === 1 ? headerText(text[0]) : undefined) : headerText(text);
}

/** The time an HTTP-date names, in ms since the epoch; `undefined` when it is none. */
function httpDate(text, now) {
  let day, month, year, hour, minute, second, match;
  if ((match = IMF_FIXDATE.exec(text))) [, day, month, year, hour, minute, second] = match;
  else if ((match = ASCTIME.exec(text))) [, month, day, hour, minute, second, year] = match;
  else if ((match = RFC_850.exec(text))) {
    [, day, month, year, hour, minute, second] = match;
    // A two-digit year more than 50 years ahead is the latest past year ending so (RFC 9110).
    const current = new Date(now).getUTCFullYear();
    year = current - (current % 100) + Number(year);
    if (year > current + 50) year -= 100;
  } else return undefined;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), MONTHS.indexOf(month.toLowerCase()) / 3, Number(day));
  // Not February 30th, nor 25:00 (a leap second, :60, is the next minute).
  if (date.getUTCDate() !== Number(day) || hour > 23 || minute > 59 || second > 60) return undefined;
  return date.getTime() + ((hour * 60 + Number(minute)) * 60 + Number(second)) * 1000;
}

/**
 * `Retry-After` as milliseconds from `now` (ms since the epoch): delay-seconds, or the time
 * until an HTTP-date (0 when it is past). `undefined` when absent or not valid; never NaN.
 */
export function retryAfterMs(value, now = Date.now()) {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`retryAfterMs(value, now): now must be a finite number of milliseconds since the epoch, got ${String(now)}`);
  }
  const text = headerText(value)?.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  const at = httpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}
