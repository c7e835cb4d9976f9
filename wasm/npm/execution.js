// Shared by every entry point: loading the engine (again after a crash), events, yielding to
// the event loop, the Execution class. See docs/npm.md.

/**
 * What only some hosts have: Web Crypto when there is no global one (Node 18) and reading `file:`
 * URLs. The Node entry points lend them (node.js); browsers, Workers and the like fetch.
 */
export const host = { crypto: undefined, readFile: undefined };

/** Random words drawn ahead for `randomSeed` (one call to Web Crypto per 256 runs), and how many are used. */
const words = new Uint32Array(512);
let used = words.length;

/** The seed of a run given none: 53 random bits. */
export function randomSeed() {
  if (used === words.length) {
    const crypto = globalThis.crypto ?? host.crypto;
    if (!crypto) throw new TypeError('pollflow: this host has no crypto.getRandomValues to seed a run: pass options.seed');
    crypto.getRandomValues(words);
    used = 0;
  }
  const high = words[used++];
  const low = words[used++];
  return (high >>> 11) * 2 ** 32 + low;
}

const describe = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isBytes = (source) => ArrayBuffer.isView(source) || source instanceof ArrayBuffer;

/** A compiled module from what `initSync` takes: a WebAssembly.Module or the .wasm bytes. */
function compileSync(source, entry) {
  if (source instanceof WebAssembly.Module) return source;
  if (isBytes(source)) return new WebAssembly.Module(source);
  throw new TypeError(`${entry}: initSync(source) takes a WebAssembly.Module or the .wasm bytes (for a URL or a Response, await init(source)), got ${describe(source)}`);
}

/** A compiled module from what `init` takes: those, a URL (string or URL), a Response or a promise of one. */
async function compile(source, entry) {
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, globalThis.location?.href);
    source = url.protocol === 'file:' && host.readFile ? await host.readFile(url) : fetch(url);
  }
  source = await source;
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new Error(`${entry}: fetching ${source.url}: ${source.status} ${source.statusText}`);
    source = await source.arrayBuffer();
  }
  if (isBytes(source)) return WebAssembly.compile(source);
  if (source instanceof WebAssembly.Module) return source;
  throw new TypeError(`${entry}: init(source) takes a WebAssembly.Module, the .wasm bytes, a URL or a Response, got ${describe(source)}`);
}

/** What the glue exports of its own, not the engine's (scripts/npm-glue.mjs adds `forget`). */
const GLUE_OWN = new Set(['Execution', 'forget', 'initSync']);

/**
 * Loading a build (`glue`) from a source its user gives, once: `init(source)`, `initSync(source)`,
 * and `engine()`, the loaded engine (see `connect`), which throws until one of them ran.
 * `entry` names the entry point in errors; `extend` is `connect`'s.
 */
export function loader(glue, entry, extend) {
  let engine;
  let loading;
  /** The engine on `module`, once it is seen to be this build's: it exports what the glue calls, it links. */
  const start = (module) => {
    const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = Object.keys(glue).filter((name) => typeof glue[name] === 'function' && !GLUE_OWN.has(name) && !exported.has(name));
    const wrong = (why, cause) => new TypeError(`${entry}: this WebAssembly module is not the engine of this version of ${entry} (${why})`, { cause });
    if (missing.length) throw wrong(`it exports no ${missing.join(', ')}`);
    try {
      return connect(glue, module, extend);
    } catch (error) {
      throw error instanceof WebAssembly.LinkError ? wrong(error.message, error) : error;
    }
  };
  return {
    initSync(source) {
      engine ??= start(compileSync(source, entry));
    },
    async init(source) {
      if (engine) return;
      loading ??= compile(source, entry).then((module) => {
        engine ??= start(module);
      }).catch((error) => {
        loading = undefined; // a later init may try again
        throw error;
      });
      await loading;
    },
    engine() {
      if (!engine) throw new Error(`${entry}: the engine is not loaded: call await init() or initSync(module) first`);
      return engine;
    },
  };
}

/**
 * Runs a build (`glue`, its compiled .wasm `module`). `start(make, signal, hooks)`: an Execution
 * of the glue execution `make()` returns; `call(f)`: `f()` calling the glue. `extend(host,
 * timers)`, if given, returns the host the build gets instead of `host` (push.js).
 */
export function connect(glue, module, extend) {
  let instance = load(glue, module, extend);
  // A new instance once the last crashed and none of its calls is still running.
  const sound = () => (instance.crashed && !instance.depth ? (instance = load(glue, module, extend)) : instance);
  return {
    start(make, signal, hooks) {
      const i = sound();
      return new Execution(i, i.call(() => i.own(make()), 'starting this execution'), signal, hooks);
    },
    call: (f) => sound().call(f, 'in this call'),
  };
}

/** The error of work that a crash of the engine (`trap`) ended. */
function crashed(trap, doing = 'and lost this execution') {
  let text;
  try {
    text = String(trap);
  } catch {
    text = 'unprintable';
  }
  return new Error(`pollflow: the engine crashed ${doing} (${text}); later calls run on a new instance`, { cause: trap });
}

/**
 * An instance of the engine. One that trapped (stack overflow, `unreachable`, memory access out
 * of bounds: its stack pointer, heap and cells are left as they were) is never called again:
 * its executions fail when next polled (parked ones are woken for that), its timers and
 * promises report to nobody, and `connect` makes a new one.
 */
function load(glue, module, extend) {
  glue.forget(); // the glue holds one instance (build-npm.sh adds `forget`)
  const wasm = glue.initSync({ module });
  const { settle, ring } = glue;
  const self = { crashed: null, depth: 0, call, own, poll, park, end, checkpoint, abort: (e) => report(() => e.abort()) };
  const timers = new Map();
  const resumers = [];
  // This instance frees its executions: the glue's finalizer would free them in whichever
  // instance is current, and those of a crashed one must not be freed at all.
  const freed = new FinalizationRegistry((at) => report(() => wasm.__wbg_execution_free(at, 1)));

  function crash(trap) {
    if (self.crashed) return;
    self.crashed = trap;
    for (const ids of timers.values()) ids.cancel();
    timers.clear();
    for (const resume of resumers.splice(0)) resume?.();
  }

  /**
   * `f()` calling the glue. A throw is a crash, unless `doing` (what the call does, for the
   * error) says it may throw on purpose and the glue returned (wasm/src/wire.rs, `Unfinished`).
   */
  function call(f, doing) {
    if (self.crashed) throw crashed(self.crashed);
    let before;
    let result;
    if (doing) {
      views();
      before = slot[UNFINISHED];
    }
    self.depth++;
    try {
      result = f();
    } catch (error) {
      views();
      if (self.crashed) throw crashed(self.crashed); // in a call a callback made
      if (doing && slot[UNFINISHED] === before) throw error;
      crash(error);
      throw crashed(error, doing || 'running this execution');
    } finally {
      self.depth--;
    }
    // A callback called in again, and that crashed it.
    if (self.crashed) throw crashed(self.crashed);
    return result;
  }

  /** `f()` calling the glue for a timer, a promise or a finalizer: a crash ends runs, not the host. */
  function report(f) {
    try {
      if (!self.crashed) call(f);
    } catch {
      // The runs learn of it when polled.
    }
  }

  /**
   * Takes the glue's `execution` from the glue's finalizer into this instance's (`poll` keeps
   * on it, as `sent`, the value its events sent last).
   */
  function own(execution) {
    execution.__wbg_ptr = execution.__destroy_into_raw();
    freed.register(execution, execution.__wbg_ptr, execution);
    return execution;
  }

  /** The checkpoint of `execution` (JSON data), or undefined when it has ended or is being polled. */
  function checkpoint(execution) {
    return call(() => execution.checkpoint()) ? text() : undefined;
  }

  /** Frees `execution`, returning its outcome (left in memory by its END). */
  function end(execution) {
    const outcome = text();
    freed.unregister(execution);
    report(() => execution.free());
    return outcome;
  }

  // How the engine awaits promises, sleeps (a timer per millisecond; `sleep` returns the
  // timer's key) and resumes a parked execution; where events' numbers are.
  const host = {
    wait(promise, id) {
      // Never throws here (Promise.resolve would, for a promise whose constructor getter throws):
      // a throw would cross the engine's frames.
      new Promise((resolve) => resolve(promise)).then((v) => report(() => settle(id, v, true)), (e) => report(() => settle(id, e, false)));
    },
    sleep(ms, id) {
      if (typeof setTimeout !== 'function') return void Promise.resolve().then(() => report(() => ring(id)));
      const at = Date.now() + ms;
      let ids = timers.get(at);
      if (!ids) {
        timers.set(at, (ids = []));
        ids.cancel = after(at, ms, () => timers.delete(at) && report(() => ids.forEach(ring)));
      }
      ids.push(id);
      return at;
    },
    resume(parker) {
      const resume = resumers[parker];
      resumers[parker] = undefined;
      resume?.();
    },
  };
  const slotAt = glue.setHost(extend ? extend(host, timers) : host);

  /** Resolves when `execution` (numbered `parker`) can make progress again. */
  function park(execution, parker) {
    let parked;
    try {
      parked = call(() => execution.park());
    } catch {
      // Crashed: the next poll says so.
    }
    return parked ? new Promise((resolve) => { resumers[parker] = resolve; }) : Promise.resolve();
  }

  let slot;
  let bytes;
  /** Views of the engine's memory, made again when it grew (which detaches the old ones). */
  function views() {
    if (!(slot?.length)) {
      slot = new Float64Array(wasm.memory.buffer, slotAt, SLOT_LEN);
      bytes = new Uint8Array(wasm.memory.buffer);
    }
  }
  views();
  const decoder = new TextDecoder();
  /** The value of the last event's JSON text (in memory: see wasm/src/wire.rs). */
  function text() {
    views();
    const at = slot[TEXT_AT];
    return JSON.parse(decoder.decode(bytes.subarray(at, at + slot[TEXT_LEN])));
  }

  /**
   * Polls once at `now` (`Date.now()`): an event, PENDING, END or BUSY; with `discard`, until
   * it must wait or ends, or MORE after a stretch of work.
   */
  function poll(execution, discard, now) {
    // `call`, written out: no closure per poll.
    if (self.crashed) throw crashed(self.crashed);
    let header;
    self.depth++;
    try {
      header = discard ? execution.drive(now) : execution.poll(now);
    } catch (error) {
      crash(error);
      throw crashed(error, 'running this execution');
    } finally {
      self.depth--;
    }
    if (self.crashed) throw crashed(self.crashed);
    if (header < 0) return header;
    const kind = header & 15;
    views();
    if (!kind) return text();
    const has = HAS[kind];
    const event = { id: slot[ID], timestamp_ms: slot[TIMESTAMP], type: TYPE[kind] };
    if (has & 1) event.state = NAMES[(header >> 4) & 255];
    if (has & 2) event.next = NAMES[(header >> 12) & 255];
    if (has & 4) event.attempt = slot[ATTEMPT];
    if (has & 8) event.delay_ms = slot[DELAY];
    // The run's data, passed on unchanged from the event before, is that event's object.
    if (header & SAME) event[FIELD[kind]] = execution.sent;
    else if (has & 16) event[FIELD[kind]] = execution.sent = text();
    else if (FIELD[kind]) event[FIELD[kind]] = text();
    return event;
  }

  return self;
}

/** `options[key]`; a getter (or proxy) that throws is a TypeError naming `field`. */
export function read(options, key, field) {
  try {
    return options[key];
  } catch (error) {
    throw new TypeError(`reading ${field} threw: ${error?.message ?? String(error)}`, { cause: error });
  }
}

/** A checkpoint given to `resume`, as the JSON text the engine reads. */
export function checkpointText(checkpoint) {
  if (typeof checkpoint === 'string') return checkpoint;
  if (checkpoint === null || typeof checkpoint !== 'object' || Array.isArray(checkpoint)) {
    throw new TypeError(`checkpoint must be what execution.checkpoint() returned (an object, or its JSON text), got ${checkpoint === null ? 'null' : Array.isArray(checkpoint) ? 'array' : typeof checkpoint}`);
  }
  return JSON.stringify(checkpoint);
}

/**
 * Throws a TypeError unless `options` is an object with no or an AbortSignal `signal`: the one
 * check made in JS (the wrapper handles the signal); the engine checks every other option
 * (wasm/src/fields.rs).
 */
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

/**
 * Calls `fire` at `at` (ms since the epoch), `ms` from now: longer waits take several timers.
 * Returns a function that cancels it.
 */
export function after(at, ms, fire) {
  let timer;
  const arm = (ms) => {
    timer = setTimeout(() => {
      const left = at - Date.now();
      if (ms > MAX_TIMER_MS && left > 0) arm(left);
      else fire();
    }, Math.min(ms, MAX_TIMER_MS));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** Runs `f` in a later turn of the event loop (setTimeout(f, 0) waits 4 ms once nested). */
export const macrotask = globalThis.setImmediate ?? ((queue, channel) => {
  channel.port1.onmessage = () => queue.shift()();
  return (f) => { queue.push(f); channel.port2.postMessage(0); };
})([], new MessageChannel());

// The engine runs in the caller's thread, where a run that never waits (a Pass state looping
// on itself, a check answering at once) would keep everything else from running. Executions
// count their steps since the event loop last ran (an epoch); once the epoch is SLICE_MS
// old, one past STEPS steps in it pauses until the event loop ran. (Executions that wait on
// timers take a few steps an epoch, however many they are: they never pause.)
const SLICE_MS = 4;
const STEPS = 16;
/** The epoch: how many times the event loop ran while executions stepped; when it began. */
let epoch = 0;
let epochStart;
let turn;

/** Resolves once the event loop ran (one turn for every execution pausing now). */
const pause = () => (turn ??= new Promise((resolve) => macrotask(() => {
  turn = undefined;
  resolve();
})));

// BEGIN wire format: generated from wasm/src/wire.rs by its test (UPDATE_WIRE=1 cargo test -p pollflow-wasm wire)
const BUSY = -3;
const PENDING = -2;
const END = -1;
const MORE = -4;
/** The header's bit: the event's value is the one its run sent last. */
const SAME = 1048576;
/** By kind code: the event's `type`; what it carries (1: state, 2: next, 4: attempt, 8: delay_ms, 16: the run's data, kept for SAME); the field of its text (kind 0: the whole event). */
const TYPE = ["", "StateEntered", "StateExited", "WaitStarted", "ChoiceTaken", "ExecutionStarted", "TaskSubmitted", "StatusChecked", "Notified", "ExecutionSucceeded"];
const HAS = [0, 17, 17, 13, 3, 16, 1, 5, 1, 16];
const FIELD = ["", "input", "output", "", "", "input", "handle", "status", "message", "output"];
/** The workflow's state names, by the index in a header. */
const NAMES = ["Submit Job", "Wait", "Get Job Status", "Job Complete?", "Notify Success", "Succeeded", "Notify Failure", "Failed"];
/** Where the numbers are in the slot. */
const TIMESTAMP = 0, ATTEMPT = 1, DELAY = 2, TEXT_AT = 3, TEXT_LEN = 4, ID = 5, UNFINISHED = 6, SLOT_LEN = 7;
// END wire format

/** Handles a rejection nobody else may. */
const ignore = () => {};
/** A settled promise, where every execution's chain of `next()` calls starts. */
const settled = Promise.resolve();

/** `f(the glue's execution)` while it runs on a sound instance (`pollflow/asl`'s simulated time). */
export let control;

/** A running execution: async-iterable events, and its outcome. */
class Execution {
  #instance;
  #execution;
  #parker;
  #onPark;
  #onEnd;
  #consumer = null;
  #ended = false;
  // How it ended (once it has): its outcome, or the error its outcome rejects with.
  #outcome;
  #error;
  // The promise of that, made when first asked for (an iterated execution seldom is before it
  // ends), and while it is pending, its `[resolve, reject]`.
  #finished;
  #settle;
  #unlisten;
  // Its steps in the epoch (see `#overdue`).
  #epoch = -1;
  #steps = 0;

  static {
    control = (execution, f) => {
      if (execution.#ended) return;
      try {
        return execution.#instance.call(() => f(execution.#execution));
      } catch {
        // Crashed: the next poll says so.
      }
    };
  }

  /**
   * Runs the glue's `execution` on `instance`; `onPark(resumed)` is told each time the run
   * waits, `onEnd()` once it ended.
   */
  constructor(instance, execution, signal, { onPark, onEnd } = {}) {
    this.#instance = instance;
    this.#execution = execution;
    this.#parker = instance.call(() => execution.parker);
    this.#onPark = onPark;
    this.#onEnd = onEnd;
    if (signal?.aborted) {
      this.abort();
    } else if (signal) {
      // Removed when it ends: a long-lived signal would keep the execution alive.
      const abort = () => this.abort();
      signal.addEventListener('abort', abort, { once: true });
      this.#unlisten = () => signal.removeEventListener('abort', abort);
    }
  }

  /** Resolves when the execution can make progress again. */
  #parked() {
    const resumed = this.#instance.park(this.#execution, this.#parker);
    this.#onPark?.(resumed);
    return resumed;
  }

  /**
   * Ends: `outcome` resolves (after END), or rejects with `error` (the engine crashed, or a
   * bug to report; the glue's execution is then left to the finalizer: it may be being polled).
   * Returns the error it rejected with.
   */
  #end(error) {
    let outcome;
    try {
      outcome = error || this.#instance.end(this.#execution);
    } catch (e) {
      error = e;
    }
    this.#ended = true;
    this.#unlisten?.();
    this.#onEnd?.();
    this.#outcome = outcome;
    this.#error = error;
    this.#settled();
    return error;
  }

  /** Settles the promise of how it ended, if it was asked for. */
  #settled() {
    this.#settle?.[this.#error ? 1 : 0](this.#error || this.#outcome);
  }

  /** The promise of how it ends: resolves with its outcome, or rejects (see `#end`). */
  #finishing() {
    if (!this.#finished) {
      this.#finished = new Promise((resolve, reject) => { this.#settle = [resolve, reject]; });
      // An engine failure also reaches whoever iterates: unawaited, it must not crash the process.
      this.#finished.catch(ignore);
      if (this.#ended) this.#settled();
    }
    return this.#finished;
  }

  /** Whether the execution, stepping at `now`, ran long enough while the event loop could not. */
  #overdue(now) {
    if (epochStart === undefined) {
      epochStart = now;
      macrotask(() => {
        epoch += 1;
        epochStart = undefined;
      });
    }
    if (this.#epoch !== epoch) {
      this.#epoch = epoch;
      this.#steps = 0;
    }
    return ++this.#steps > STEPS && (now - epochStart >= SLICE_MS || now < epochStart);
  }

  #next() {
    if (this.#ended) return { value: undefined, done: true };
    const now = Date.now();
    if (this.#overdue(now)) return pause().then(() => this.#next());
    let event;
    try {
      event = this.#instance.poll(this.#execution, false, now);
    } catch (error) {
      this.#end(error);
      throw error;
    }
    if (event === BUSY) throw new TypeError('next() was called while another next() is pending');
    if (event === PENDING) return this.#parked().then(() => this.#next());
    if (event !== END) return { value: event, done: false };
    if (this.#end()) return this.#finishing();
    return { value: undefined, done: true };
  }

  /** Runs to the end, dropping events; callbacks never run inside the caller's call. */
  async #drain() {
    await undefined;
    try {
      for (let polled; polled !== END;) {
        const now = Date.now();
        if (this.#overdue(now)) {
          await pause();
          continue;
        }
        polled = this.#instance.poll(this.#execution, true, now);
        if (polled === PENDING) await this.#parked();
        // Lets other executions take their turns in the slice.
        else if (polled === MORE) await undefined;
        else if (polled === BUSY) throw new TypeError('the execution was polled while it was being polled');
      }
    } catch (error) {
      return this.#end(error);
    }
    this.#end();
  }

  /** The consumer left early: stops the execution (cancelling its job), then finishes it. */
  #leave(value) {
    if (this.#ended) return { value, done: true };
    this.abort();
    return this.#drain().then(() => ({ value, done: true }));
  }

  [Symbol.asyncIterator]() {
    if (this.#consumer) throw new TypeError('an execution can be iterated once');
    this.#consumer = new Events(() => this.#next(), (value) => this.#leave(value));
    return this.#consumer;
  }

  /** Resolves with how the execution ended; drives it if nobody iterates it. */
  get outcome() {
    if (!this.#consumer) {
      this.#consumer = 'driven';
      this.#drain();
    }
    return this.#finishing();
  }

  /** Resolves with the output, or rejects with an Error named like ASL (`States.Timeout`, `AbortError`...). */
  async result() {
    const outcome = await this.outcome;
    if (outcome.status === 'SUCCEEDED') return outcome.output;
    const { error = 'AbortError', cause = 'the execution was aborted' } = outcome.error ?? {};
    const failure = new (error === 'TypeError' ? TypeError : error === 'RangeError' ? RangeError : Error)(cause);
    if (failure.name !== error) failure.name = error;
    failure.cause = cause;
    throw failure;
  }

  /**
   * The execution's state as plain JSON data, for `resume` — in this page or after a reload.
   * Throws when it has ended or is being polled (from inside one of its own callbacks).
   */
  checkpoint() {
    const checkpoint = this.#ended ? undefined : this.#instance.checkpoint(this.#execution);
    if (checkpoint === undefined) {
      throw new Error(this.#ended
        ? 'pollflow: the execution has ended; it has no checkpoint'
        : 'pollflow: checkpoint() was called from one of the execution\'s own callbacks; call it after the callback returns');
    }
    return checkpoint;
  }

  /** Stops the execution (its job is cancelled when a cancel callback was given). */
  abort() {
    if (!this.#ended) this.#instance.abort(this.#execution);
  }

  /**
   * Delivers the status of the job `handle` (in `check`'s result shape): the wait before the
   * next check of that job ends now, and the status stands for that check. Whether this
   * execution polls that job. Needs an execution started with `push: true` (or resumed).
   */
  pushStatus(...handleAndStatus) {
    return !this.#ended && this.#push('pushStatus', handleAndStatus);
  }

  /** Completes the `.waitForTaskToken` task waiting for `token` with `output` (`pollflow/asl`). */
  sendTaskSuccess(...tokenAndOutput) {
    this.#push('sendTaskSuccess', tokenAndOutput);
  }

  /** Fails the task waiting for `token` with `error` and `cause` (`pollflow/asl`). */
  sendTaskFailure(...tokenErrorAndCause) {
    this.#push('sendTaskFailure', tokenErrorAndCause);
  }

  /** Restarts the heartbeat timeout of the task waiting for `token` (`pollflow/asl`). */
  sendTaskHeartbeat(...token) {
    this.#push('sendTaskHeartbeat', token);
  }

  /**
   * Calls the engine's `method` with `args`: only the engine that takes pushes has it, and
   * it checks them. An ended execution's tasks have ended.
   */
  #push(method, args) {
    const execution = this.#execution;
    if (!execution[method]) throw new TypeError(`pollflow: ${method}() needs a run started with push: true`);
    if (this.#ended) throw tokenError('TaskTimedOut');
    return this.#instance.call(() => execution[method](...args), method);
  }
}

/**
 * An execution's events, as its iterator: each call runs once the previous one settled, in a
 * later microtask. `next()` is the execution's next event; `leave(value)` ends it early. A
 * class, so that an execution in flight holds two closures, not one per method.
 */
class Events {
  #tail = settled;
  #next;
  #leave;

  constructor(next, leave) {
    this.#next = next;
    this.#leave = leave;
  }

  #chain(step) {
    return (this.#tail = this.#tail.then(step, step));
  }

  next() {
    return this.#chain(this.#next);
  }

  return(value) {
    return this.#chain(() => this.#leave(value));
  }

  throw(error) {
    return this.#chain(() => this.#leave()).then(() => { throw error; });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** An `Error` named as Step Functions names a refused task-token send (`TaskTimedOut`...). */
function tokenError(name) {
  const error = new Error(`pollflow: ${name}`);
  error.name = name;
  return error;
}

/**
 * An Execution whose engine is still loading (`resume`: the engine that reads checkpoints is a
 * second module, imported the first time it is needed). `starting` resolves to a function that
 * starts the real Execution on it; until then its events and outcome wait, `abort()` is
 * remembered, and `checkpoint()` is the one it was given (`text`, JSON). An engine that does
 * not load, or a start that throws, rejects its events (once) and its outcome.
 */
export class Loading {
  #execution;
  #started;
  #text;
  #aborted;
  #consumer;

  constructor(starting, text) {
    this.#text = text;
    this.#started = starting.then((start) => {
      this.#execution = start();
      if (this.#aborted) this.#execution.abort();
      return this.#execution;
    });
    this.#started.catch(ignore); // reaches whoever iterates or awaits
  }

  [Symbol.asyncIterator]() {
    if (this.#consumer) throw new TypeError('an execution can be iterated once');
    this.#consumer = 1;
    const events = this.#started.then((execution) => execution[Symbol.asyncIterator]());
    events.catch(ignore);
    let failed = false;
    // An engine that did not load or start: the first next() rejects, the others are done.
    const next = () => events.then((i) => i.next(), (error) => {
      if (failed) return { value: undefined, done: true };
      failed = true;
      throw error;
    });
    return {
      next,
      return: (value) => events.then((i) => i.return(value), () => ({ value, done: true })),
      throw: (error) => events.then((i) => i.throw(error), () => { throw error; }),
      [Symbol.asyncIterator]() { return this; },
    };
  }

  get outcome() {
    this.#consumer ??= 2;
    return this.#started.then((execution) => execution.outcome);
  }

  result() {
    this.#consumer ??= 2;
    return this.#started.then((execution) => execution.result());
  }

  checkpoint() {
    if (this.#execution) return this.#execution.checkpoint();
    if (this.#text === undefined) throw new Error('pollflow: the execution has not started; it has no checkpoint');
    return JSON.parse(this.#text);
  }

  abort() {
    if (this.#execution) this.#execution.abort();
    else this.#aborted = true;
  }

  /** Before the engine loaded, no job was submitted: `false`. */
  pushStatus(...args) {
    return !!this.#execution?.pushStatus(...args);
  }

  sendTaskSuccess(...args) {
    this.#running().sendTaskSuccess(...args);
  }

  sendTaskFailure(...args) {
    this.#running().sendTaskFailure(...args);
  }

  sendTaskHeartbeat(...args) {
    this.#running().sendTaskHeartbeat(...args);
  }

  /** The started execution; before it started, no task waits for any token. */
  #running() {
    if (!this.#execution) throw tokenError('TaskDoesNotExist');
    return this.#execution;
  }
}
