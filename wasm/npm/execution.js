// Shared by `pollflow` and `pollflow/asl`: loading the engine, events, the Execution class.

/** Loads a build (`glue`, its .wasm at `url`); returns `wrap(execution, signal, onPark)`. */
export async function connect(glue, url) {
  let wasm;
  if (typeof process === 'object' && process.versions?.node) {
    const { readFile } = await import('node:fs/promises');
    wasm = glue.initSync({ module: await readFile(url) });
  } else {
    wasm = await glue.default({ module_or_path: url });
  }
  const { settle, ring } = glue;
  // How the engine awaits promises, sleeps (a timer per millisecond) and resumes a parked
  // execution; where events' numbers are.
  const timers = new Map();
  const resumers = [];
  const slotAt = glue.setHost({
    wait(promise, id) {
      // Never throws here (Promise.resolve would, for a promise whose constructor getter throws):
      // a throw would cross the engine's frames.
      new Promise((resolve) => resolve(promise)).then((v) => settle(id, v, true), (e) => settle(id, e, false));
    },
    sleep(ms, id) {
      if (typeof setTimeout !== 'function') return void Promise.resolve().then(() => ring(id));
      const at = Date.now() + ms;
      let ids = timers.get(at);
      if (!ids) {
        timers.set(at, (ids = []));
        after(at, ms, () => {
          timers.delete(at);
          for (const id of ids) ring(id);
        });
      }
      ids.push(id);
    },
    resume(parker) {
      const resume = resumers[parker];
      resumers[parker] = undefined;
      resume?.();
    },
  });
  /** Resolves when `execution` (numbered `parker`) can make progress again. */
  const park = (execution, parker) => (execution.park()
    ? new Promise((resolve) => { resumers[parker] = resolve; })
    : Promise.resolve());
  let slot;
  let bytes;
  /** Views of the engine's memory, made again when it grew (which detaches the old ones). */
  function views() {
    if (!(slot?.length)) {
      slot = new Float64Array(wasm.memory.buffer, slotAt, 5);
      bytes = new Uint8Array(wasm.memory.buffer);
    }
  }
  views();
  const decoder = new TextDecoder();
  /** The value of the last event's JSON text (in memory: see wasm/src/lib.rs). */
  function text() {
    const at = slot[3];
    const end = at + slot[4];
    let ascii = '';
    // Short ASCII text (most): char codes are cheaper than a TextDecoder call.
    if (end - at < 256) {
      let i = at;
      while (i < end && bytes[i] < 128) i++;
      if (i === end) ascii = String.fromCharCode.apply(null, bytes.subarray(at, end));
    }
    return JSON.parse(ascii || decoder.decode(bytes.subarray(at, end)));
  }
  const names = [];
  /** A state's name by index, asked once (that may grow the memory). */
  function name(index) {
    if (names[index] === undefined) {
      names[index] = glue.stateName(index);
      views();
    }
    return names[index];
  }

  /** Polls once: an event, PENDING, END or BUSY; with `discard`, until it must wait or ends. */
  function poll(execution, discard) {
    const packed = discard ? execution.drive(Date.now()) : execution.poll(Date.now());
    if (packed < 0) return packed;
    const low = packed % ID;
    const kind = low & 15;
    views();
    if (kind === 0) return text();
    const event = { id: (packed - low) / ID, timestamp_ms: slot[0], type: TYPE[kind] };
    if (kind !== 5 && kind !== 9) event.state = name((low >> 4) & 255);
    if (kind === 3) event.delay_ms = slot[2];
    if (kind === 3 || kind === 7) event.attempt = slot[1];
    if (kind === 4) event.next = name(low >> 12);
    if (kind > 4) event[FIELD[kind]] = text();
    return event;
  }

  return (execution, signal, hooks) => new Execution(execution, { poll, park }, signal, hooks);
}

/** `options[key]`; a getter (or proxy) that throws is a TypeError naming `field`. */
export function read(options, key, field) {
  try {
    return options[key];
  } catch (error) {
    throw new TypeError(`reading ${field} threw: ${error?.message ?? String(error)}`, { cause: error });
  }
}

/** Throws a TypeError unless `options` is an object with no or an AbortSignal `signal`. */
export function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const signal = read(options, 'signal', 'options.signal');
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
  return signal;
}

/** The longest a `setTimeout` waits (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fire` at `at` (ms since the epoch), `ms` from now: longer waits take several timers. */
export function after(at, ms, fire) {
  setTimeout(() => {
    const left = at - Date.now();
    if (ms > MAX_TIMER_MS && left > 0) after(at, left, fire);
    else fire();
  }, Math.min(ms, MAX_TIMER_MS));
}

// Events cross packed in numbers (see wasm/src/lib.rs).
const BUSY = -3;
const PENDING = -2;
const END = -1;
const ID = 2 ** 20;
const TYPE = [, 'StateEntered', 'StateExited', 'WaitStarted', 'ChoiceTaken', 'ExecutionStarted',
  'TaskSubmitted', 'StatusChecked', 'Notified', 'ExecutionSucceeded'];
const FIELD = [, , , , , 'input', 'handle', 'status', 'message', 'output'];

/** A running execution: async-iterable events, and its outcome. */
class Execution {
  #execution;
  #parker;
  #poll;
  #park;
  #onPark;
  #onEnd;
  #consumer = null;
  #ended = false;
  #finished;
  #finish;
  #fail;
  #unlisten;

  /**
   * `engine` polls and parks the glue's `execution`; `onPark(resumed)` is told each time the
   * run waits, `onEnd()` once it ended.
   */
  constructor(execution, engine, signal, { onPark, onEnd } = {}) {
    this.#execution = execution;
    this.#parker = execution.parker;
    this.#poll = engine.poll;
    this.#park = engine.park;
    this.#onPark = onPark;
    this.#onEnd = onEnd;
    this.#finished = new Promise((resolve, reject) => { this.#finish = resolve; this.#fail = reject; });
    // An engine failure also reaches whoever iterates: unawaited, it must not crash the process.
    this.#finished.catch(() => {});
    if (signal?.aborted) {
      execution.abort();
    } else if (signal) {
      // Removed by #end(): a long-lived signal would keep the execution alive.
      const abort = () => execution.abort();
      signal.addEventListener('abort', abort, { once: true });
      this.#unlisten = () => signal.removeEventListener('abort', abort);
    }
  }

  /** Resolves when the execution can make progress again. */
  #parked() {
    const resumed = this.#park(this.#execution, this.#parker);
    this.#onPark?.(resumed);
    return resumed;
  }

  #end() {
    this.#ended = true;
    this.#unlisten?.();
    this.#onEnd?.();
    this.#finish(JSON.parse(this.#execution.outcomeJson()));
  }

  /** The engine itself failed (a bug to report): the run ends, `outcome` rejects with `error`. */
  #broken(error) {
    this.#ended = true;
    this.#unlisten?.();
    this.#onEnd?.();
    this.#fail(error);
  }

  #next() {
    if (this.#ended) return { value: undefined, done: true };
    let event;
    try {
      event = this.#poll(this.#execution, false);
    } catch (error) {
      this.#broken(error);
      throw error;
    }
    if (event === BUSY) throw new TypeError('next() was called while another next() is pending');
    if (event === PENDING) return this.#parked().then(() => this.#next());
    if (event === END) {
      this.#end();
      return { value: undefined, done: true };
    }
    return { value: event, done: false };
  }

  /** Runs to the end, dropping events; callbacks never run inside the caller's call. */
  async #drain() {
    await undefined;
    try {
      let polled;
      while ((polled = this.#poll(this.#execution, true)) === PENDING) await this.#parked();
      if (polled === BUSY) throw new TypeError('the execution was polled while it was being polled');
    } catch (error) {
      this.#broken(error);
      return;
    }
    this.#end();
  }

  /** The events: each call runs once the previous one settled, in a later microtask. */
  #events() {
    let tail = Promise.resolve();
    const chain = (step) => (tail = tail.then(step, step));
    const next = () => this.#next();
    // The consumer left early: stop the execution (cancelling its job), then finish it.
    const leave = (value) => () => {
      if (this.#ended) return { value, done: true };
      this.#execution.abort();
      return this.#drain().then(() => ({ value, done: true }));
    };
    return {
      next: () => chain(next),
      return: (value) => chain(leave(value)),
      throw: (error) => chain(leave()).then(() => { throw error; }),
      [Symbol.asyncIterator]() { return this; },
    };
  }

  [Symbol.asyncIterator]() {
    if (this.#consumer) throw new TypeError('an execution can be iterated once');
    this.#consumer = this.#events();
    return this.#consumer;
  }

  /** Resolves with how the execution ended; drives it if nobody iterates it. */
  get outcome() {
    if (!this.#consumer) {
      this.#consumer = 'driven';
      this.#drain();
    }
    return this.#finished;
  }

  /** Resolves with the output, or rejects with an Error named like ASL. */
  async result() {
    const outcome = await this.outcome;
    if (outcome.status !== 'SUCCEEDED') this.#execution.throwError();
    return outcome.output;
  }

  /** Stops the execution (its job is cancelled when a cancel callback was given). */
  abort() {
    this.#execution.abort();
  }
}
