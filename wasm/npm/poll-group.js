// Many jobs, few calls: the checks of concurrent executions, batched into `checkMany` calls
// (what Rust's `PollGroup` does, core/src/poll_group.rs). See index.d.ts.
import { macrotask, read } from './execution.js';

/** A group whose `check` batches the checks made at one moment. See index.d.ts. */
export function pollGroup(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`pollGroup options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const checkMany = read(options, 'checkMany', 'options.checkMany');
  if (typeof checkMany !== 'function') throw new TypeError(`options.checkMany must be a function, got ${typeof checkMany}`);
  const maxBatch = read(options, 'maxBatch', 'options.maxBatch') ?? 100;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`options.maxBatch must be a whole number from 1, got ${String(maxBatch)}`);
  }
  const lingerMs = read(options, 'lingerMs', 'options.lingerMs') ?? 0;
  if (typeof lingerMs !== 'number' || !(lingerMs >= 0 && lingerMs <= 2 ** 31 - 1)) {
    throw new RangeError(`options.lingerMs must be a number of milliseconds from 0 to 2^31 - 1, got ${String(lingerMs)}`);
  }
  // The batch being filled (each check's [handle, resolve, reject]), and its number: a batch
  // sent full leaves its window's timer nothing to send.
  let open = [];
  let batches = 0;
  const send = () => {
    const batch = open;
    open = [];
    batches += 1;
    call(checkMany, batch);
  };
  return {
    check(handle) {
      return new Promise((resolve, reject) => {
        if (!open.length) {
          // The window of a new batch: it closes once the executions due now have run (the
          // next turn of the event loop), or after `lingerMs`.
          const batch = batches;
          const close = () => batch === batches && send();
          if (lingerMs) setTimeout(close, lingerMs);
          else macrotask(close);
        }
        open.push([handle, resolve, reject]);
        if (open.length >= maxBatch) send();
      });
    },
  };
}

/** Calls `checkMany` with `batch`'s handles; settles each check with its result. */
function call(checkMany, batch) {
  new Promise((resolve) => resolve(checkMany(batch.map((check) => check[0])))).then(
    (results) => {
      if (!Array.isArray(results)) {
        throw new TypeError(`checkMany must return an array (one result per handle), got ${results === null ? 'null' : typeof results}`);
      }
      batch.forEach(([, resolve, reject], i) => {
        if (i >= results.length) {
          reject(new Error(`checkMany returned fewer results (${results.length}) than the ${batch.length} handles it was given`));
        } else if (results[i] instanceof Error) {
          reject(results[i]);
        } else {
          resolve(results[i]);
        }
      });
    },
  ).catch((error) => batch.forEach(([, , reject]) => reject(error)));
}
