/**
 * pollflow: wait for long-running jobs — submit, wait, check, branch, notify.
 * The engine is Rust compiled to WebAssembly; it runs in Node >= 18 (`import` or `require`),
 * browsers, bundlers and Workers. In Node the engine is loaded at import; elsewhere call
 * `await init()` (or `initSync(module)`) once before `run` — harmless in Node, so portable code
 * always does. No top-level await anywhere.
 *
 * ```js
 * import { init, run, retryAfterMs } from 'pollflow';
 * await init();
 * const execution = run({
 *   input: { jobName: 'my-job' },
 *   submit: async (input) => (await fetch('/reports', { method: 'POST' })).headers.get('location'),
 *   check: async (location) => {
 *     const response = await fetch(location);
 *     return response.status === 202
 *       ? { status: 'PENDING', retryAfterMs: retryAfterMs(response) }   // seconds or an HTTP-date
 *       : { status: 'SUCCEEDED', output: await response.json() };
 *   },
 *   wait: { intervalMs: 1000 },
 *   maxWaitMs: 60_000,
 * });
 * for await (const event of execution) console.log(event.type);
 * const report = await execution.result();
 * ```
 */

/** Any value that survives `JSON.stringify` / `JSON.parse`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What `check` returns. */
export type CheckResult =
  /** Still running. `detail` is shown in events; a string detail (or `detail.status`) is its status word. */
  | { status: 'PENDING'; detail?: Json; /**
       * Check again after this many milliseconds (a server's hint, like HTTP `Retry-After`:
       * see {@link retryAfterMs}), from 0 to 2^53 - 1. It replaces the wait policy's delay for
       * this wait, up to the policy's longest delay (`intervalMs`, or `maxDelayMs`): a longer
       * hint is cut to it. `undefined` (no hint) leaves the wait to the policy.
       */ retryAfterMs?: number }
  /** Done; `output` becomes the execution's output. */
  | { status: 'SUCCEEDED'; output?: Json }
  /** The job failed; the execution fails with `States.TaskFailed`, `detail` (as JSON) being the cause. */
  | { status: 'FAILED'; detail?: Json };

/**
 * How long to wait before each check. All durations are in **milliseconds**: finite numbers
 * from 0 to 2^53 - 1 (fractions of a millisecond are dropped). Waits longer than one
 * `setTimeout` can take (2^31 - 1 ms, about 24.8 days) are split over several timers.
 * - `{ intervalMs }`: the same delay every time (the Step Functions sample's `wait_time`, in ms).
 * - `{ minDelayMs, maxDelayMs, rate?, jitter? }`: exponential backoff. Attempt n waits
 *   `minDelayMs * rate^(n-1)` (rate, a number >= 1, defaults to 2), capped at `maxDelayMs`,
 *   then jittered: `'bounded'` (default, the AWS SDK waiter formula: uniform in
 *   [minDelayMs, delay]), `'full'` (uniform in [0, delay]) or `'none'`.
 * One or the other: `intervalMs` together with a backoff field is a `TypeError`.
 */
export type WaitOptions =
  | { intervalMs: number }
  | { minDelayMs: number; maxDelayMs: number; rate?: number; jitter?: 'none' | 'full' | 'bounded' };

/** A message from a Notify state, passed to `notify`. */
export interface Notification {
  /** The Notify state: `'Notify Success'` or `'Notify Failure'`. */
  state: string;
  subject?: string;
  message: string;
  /** The job's last detail or output. */
  detail: Json;
}

/**
 * Bounds on an execution (the engine's `pollflow::Limits`); each field defaults to Step
 * Functions' quota. Every value is a whole number from 0 to 2^53 - 1 (`maxMapConcurrency`: to
 * 2^32 - 1); a field left out (or `undefined`/`null`) keeps its default, and an unknown field
 * is a `TypeError`.
 */
export interface Limits {
  /**
   * The largest JSON text (UTF-8 bytes) of the input, a state's input or output, a job's handle
   * and status, a task's result, a variable (default 262,144: 256 KiB). Past it the execution
   * fails with `States.DataLimitExceeded`, which no Retry or Catch takes.
   */
  maxPayloadBytes?: number;
  /** `pollflow/asl`: the largest JSON text of all the variables an execution has assigned (default 10 MiB). */
  maxVariablesBytes?: number;
  /**
   * The most events an execution emits (default 25,000), its branches' and Map items' included:
   * the event that would pass it is an `ExecutionFailed` with `States.Runtime` instead.
   */
  maxEvents?: number;
  /** `pollflow/asl`: the most items of an inline Map state that run at once (default 40; 0: as many as `MaxConcurrency` allows). */
  maxMapConcurrency?: number;
  /** `pollflow/asl`: the most values one JSONPath evaluation may look at (default 1,000,000; past it `States.DataLimitExceeded`). */
  maxPathVisits?: number;
}

export interface RunOptions {
  /**
   * Starts the job. Receives `input` and `{ key }`, the submission's idempotency key (the same
   * when a resumed execution submits again what it had in flight: pass it to a service that takes
   * idempotency tokens, or keep it with the job for `find`); returns (or resolves to) the job's
   * handle: an id, a URL, any JSON.
   */
  submit(input: Json, submission: { key: string }): Json | Promise<Json>;
  /**
   * The handle of the job submitted under `key`, or `null`. A resumed execution whose submit was
   * in flight when its checkpoint was taken asks this before submitting again; without it, it
   * submits again (under the same key). It asks at once: if a submit request of the stopped
   * page can still reach your service after that, let `find` wait until it cannot.
   */
  find?(input: Json, key: string): Json | null | Promise<Json | null>;
  /**
   * Looks at the job once. Receives the handle. A throw or rejection fails the execution
   * (`States.TaskFailed`), unless the thrown error has `retryable: true`: then the check is
   * retried (up to 5 times, 1 s doubling to 30 s).
   */
  check(handle: Json): CheckResult | Promise<CheckResult>;
  /**
   * Stops the job when the execution is aborted or times out. Receives the handle and a reason.
   * Without it, or when it throws, the execution still ends; its `JobCancelled` event carries the
   * error (`Pollflow.CancelUnsupported`, or `States.TaskFailed` with the thrown message).
   */
  cancel?(handle: Json, reason: string): void | Promise<void>;
  /** When given, the workflow notifies on success ('Notify Success') and on job failure ('Notify Failure'). */
  notify?(notification: Notification): void | Promise<void>;
  /** The execution input, passed to `submit` (default `null`). Must be JSON-serializable. */
  input?: Json;
  /** How long to wait between checks (default `{ intervalMs: 1000 }`). */
  wait?: WaitOptions;
  /** Give up after this many milliseconds since the first wait: a final check happens at the deadline, then `States.Timeout`. */
  maxWaitMs?: number;
  /** Give up after this many checks (`States.Timeout`). A whole number from 1 to 2^32 - 1. */
  maxAttempts?: number;
  /** Messages of the Notify states (defaults 'Job succeeded' / 'Job failed'). */
  messages?: { success?: string; failure?: string };
  /** The workflow's name in events and cancel reasons (default 'Job Poller'). */
  name?: string;
  /**
   * Seeds the jitter (a whole number from 0 to 2^53 - 1): same seed, same delays. Default: a
   * fresh seed from `crypto.getRandomValues`, so that runs (and processes) spread apart.
   */
  seed?: number;
  /** Bounds on the execution (default: Step Functions' quotas, 25,000 events and 256 KiB payloads). */
  limits?: Limits;
  /** Aborts the execution: its job is cancelled (with `cancel`), then it ends `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Lets the host push into the run: {@link Execution.pushStatus} (a job's status from a
   * WebSocket or server-sent event ends the wait at once; polling stays the fallback) and, in
   * `pollflow/asl`, the task-token sends. Such a run runs on the second engine (the one
   * {@link resume} uses), loaded the first time it is needed: the Execution is returned at
   * once and its events and outcome wait for it. Default `false`.
   */
  push?: boolean;
  /**
   * Runs this workflow instead of the Job Poller: a graph of the states the Rust builder makes
   * (several jobs in sequence, branches, notifications), as {@link workflowGraph} returns it.
   * Every Submit state calls `submit` (with its input: the execution's input first, after a
   * job's success its output) and every Check state `check`; Notify states call `notify`. Its
   * Wait states carry their wait policies, so `wait`, `maxWaitMs`, `maxAttempts`, `messages` and
   * `name` are refused with it (a `TypeError`). Such a run runs on the second engine (as with
   * `push`); a graph that does not read or does not hold together rejects its outcome (a
   * `TypeError` or a `RangeError` listing every problem). See {@link WorkflowGraph}.
   */
  workflow?: WorkflowGraph;
}

/**
 * A workflow as a graph: what {@link workflowGraph} returns, and what `run({ workflow })` runs
 * (the JSON of the Rust crate's `pollflow::graph::StateMachine`, with the builder's states).
 * A Choice state goes on the job's last checked status; `default` is where a job still
 * pending goes (back to a Wait). A job's success makes its output the data, so the next Submit
 * sends it.
 *
 * ```js
 * const wait = { backoff: { kind: 'fixed', delay_ms: 1000 } };
 * const twoJobs = {
 *   name: 'Two jobs',
 *   start_at: 'Submit A',
 *   states: [
 *     { name: 'Submit A', type: 'Submit', next: 'Wait A' },
 *     { name: 'Wait A', type: 'Wait', policy: wait, next: 'Check A' },
 *     { name: 'Check A', type: 'Check', next: 'A done?' },
 *     { name: 'A done?', type: 'Choice', default: 'Wait A', choices: [
 *       { condition: 'succeeded', next: 'Submit B' },
 *       { condition: 'failed', next: 'A failed' }] },
 *     { name: 'A failed', type: 'Fail', error: 'States.TaskFailed' },
 *     { name: 'Submit B', type: 'Submit', next: 'Wait B' },
 *     // ... Wait B, Check B, a Choice, then { name: 'Notify', type: 'Notify', message: 'done', next: 'Done' }
 *     { name: 'Done', type: 'Succeed' },
 *   ],
 * };
 * ```
 */
export interface WorkflowGraph {
  /** The workflow's name (in events, checkpoints and cancel reasons). */
  name: string;
  /** The first state's name. */
  start_at: string;
  /** Every state; names are unique. */
  states: WorkflowState[];
  /** Cancel the job when the execution is aborted or times out (default `true`). */
  cancel_on_stop?: boolean;
}

/** A state of a {@link WorkflowGraph}: `name`, `type`, and its fields. */
export type WorkflowState = { name: string } & (
  /** Submits a job (`submit`); its handle is what the Check states after it check. */
  | { type: 'Submit'; next: string; catch?: GraphCatcher[] }
  /** Waits before the next check, by its policy; past the policy's budget, `States.Timeout`. */
  | { type: 'Wait'; policy: GraphWaitPolicy; next: string }
  /** Checks the job once (`check`); `retry` is for checks that throw a retryable error (default: 5 retries, 1 s doubling to 30 s). */
  | { type: 'Check'; next: string; retry?: GraphWaitPolicy; catch?: GraphCatcher[] }
  /** Goes to the first rule's `next` whose condition holds, else to `default` (without one, `States.NoChoiceMatched`). */
  | { type: 'Choice'; choices: { condition: GraphCondition; next: string }[]; default?: string }
  /** Sends `message` (and `subject`) to `notify`. */
  | { type: 'Notify'; message: string; subject?: string; next: string; catch?: GraphCatcher[] }
  /** Ends successfully (the data: the last job's output). */
  | { type: 'Succeed' }
  /** Ends with this error; without a cause, the last job's detail (as JSON) is the cause. */
  | { type: 'Fail'; error: string; cause?: string }
);

/** Where errors go instead of failing the execution: `error_equals` names (or `'States.ALL'`). */
export interface GraphCatcher {
  error_equals: string[];
  next: string;
}

/** A test on the job's last checked status. */
export type GraphCondition =
  | 'succeeded'
  | 'failed'
  | 'pending'
  /** The status word: a string detail, or its `status` field. */
  | { status_is: string }
  /** The value at a JSON pointer (RFC 6901) into the detail. */
  | { detail_equals: { pointer: string; value: Json } }
  | { not: GraphCondition }
  | { and: GraphCondition[] }
  | { or: GraphCondition[] };

/** A wait policy in a graph; every duration in milliseconds (whole numbers). */
export interface GraphWaitPolicy {
  backoff:
    | { kind: 'fixed'; delay_ms: number }
    | { kind: 'exponential'; initial_ms: number; max_ms: number; rate: number; jitter: 'none' | 'full' | 'bounded' };
  /** Give up after this long since the first wait (a final check at the deadline). */
  max_wait_ms?: number;
  /** Give up after this many waits. */
  max_attempts?: number;
  /** A fixed delay for particular pending statuses, such as `{ RUNNABLE: 30000 }`. */
  status_delays_ms?: { [status: string]: number };
  /** The delay after a pushed status ({@link Execution.pushStatus}). */
  pushed_delay_ms?: number;
}

interface EventBase {
  /** Sequence number within the execution, from 1. */
  id: number;
  /** Milliseconds since the Unix epoch (the host's clock). */
  timestamp_ms: number;
  /**
   * Only on events inside a Parallel branch or a Map item (`pollflow/asl`): the chain of
   * `{ state, index }` from the outermost Parallel/Map state inward (`index`: the branch's or item's).
   */
  route?: { state: string; index: number }[];
}

/**
 * One entry of the execution history, shaped like AWS Step Functions' history events
 * (`TaskSucceeded` and `Branch*` only from `pollflow/asl`; a `Branch*` event's route ends with
 * its branch or item). From `run()`, `TaskFailed` reports a check that threw a retryable error
 * (with `retry_in_ms`), and `JobCancelled` the job's cancellation on abort or timeout (with the
 * cancel's `error` when it had none or failed).
 *
 * A value the run passes on unchanged may be one object in every event that carries it (from
 * `run()`, a state's `output` is the next state's `input`, `===`, as a Wait or a Choice passes
 * its input on). Changing it changes nothing in the run, but does change those events: copy a
 * value before changing it (`structuredClone`).
 */
export type ExecutionEvent = EventBase &
  (
    | { type: 'ExecutionStarted'; input: Json }
    | { type: 'StateEntered'; state: string; /** The state's input. */ input: Json }
    | { type: 'StateExited'; state: string; /** The state's output, the next state's input. */ output: Json }
    | { type: 'TaskSubmitted'; state: string; handle: Json }
    /** A `.waitForTaskToken` Task state's token (`pollflow/asl`): the task waits until
     * {@link Execution.sendTaskSuccess} (or a failure, or its timeout) answers it. Only a run
     * started with `push: true` (or resumed) can be answered; any other fails the task at once
     * with `Pollflow.NoPush`. */
    | { type: 'TaskTokenIssued'; state: string; token: string }
    | { type: 'TaskSucceeded'; state: string; output: Json }
    | { type: 'TaskFailed'; state: string; error: { error: string; cause: string }; retry_in_ms?: number }
    | { type: 'WaitStarted'; state: string; delay_ms: number; attempt: number }
    /** `pushed: true` when the status was pushed ({@link Execution.pushStatus}), not polled. */
    | { type: 'StatusChecked'; state: string; attempt: number; pushed?: true; status:
        | { status: 'PENDING'; /** `null` when `check` gave none. */ detail: Json; retry_after_ms?: number }
        | { status: 'SUCCEEDED'; output: Json }
        | { status: 'FAILED'; detail: Json } }
    | { type: 'ChoiceTaken'; state: string; next: string }
    | { type: 'Notified'; state: string; message: string }
    | { type: 'JobCancelled'; handle: Json; error?: { error: string; cause: string } }
    | { type: 'BranchStarted'; input: Json }
    | { type: 'BranchSucceeded'; output: Json }
    | { type: 'BranchFailed'; error: { error: string; cause: string } }
    | { type: 'BranchAborted'; job_cancelled: boolean }
    | { type: 'ExecutionSucceeded'; output: Json }
    | { type: 'ExecutionFailed'; error: { error: string; cause: string } }
    | { type: 'ExecutionTimedOut'; error: { error: string; cause: string } }
    | { type: 'ExecutionAborted'; job_cancelled: boolean }
  );

/** How an execution ended. */
export type Outcome =
  | { status: 'SUCCEEDED'; output: Json }
  | { status: 'FAILED'; error: { error: string; cause: string } }
  | { status: 'TIMED_OUT'; error: { error: 'States.Timeout'; cause: string } }
  | { status: 'ABORTED'; job_cancelled: boolean };

/**
 * The error `result()` rejects with: an `Error` whose `name` is the ASL error name —
 * `'States.TaskFailed'` (the job failed, or a callback threw), `'States.Timeout'`,
 * `'AbortError'`, or `'TypeError'` when a callback returned a value of the wrong shape —
 * and whose `message` and `cause` are the cause.
 */
export interface PollflowError extends Error {
  name: 'States.TaskFailed' | 'States.Timeout' | 'AbortError' | 'TypeError' | string;
  cause: string;
}

/** A running execution. Iterate it once for its events; await `outcome` or `result()` for its end. */
export interface Execution extends AsyncIterable<ExecutionEvent> {
  /**
   * Resolves with the outcome; every failure of the job or of a callback is an outcome. Rejects
   * only if the engine itself fails (a bug to report): when it crashes (a stack overflow, running
   * out of memory), with an `Error` whose message begins `pollflow: the engine crashed` and whose
   * `cause` is what the WebAssembly engine threw. A crash ends every execution then running, each
   * with such an error (iterating throws it too); later calls run on a new instance of the
   * engine. Drives the execution if nobody iterates it.
   */
  readonly outcome: Promise<Outcome>;
  /** Resolves with the output; rejects with a {@link PollflowError}. */
  result(): Promise<Json>;
  /** Same as aborting `options.signal`. */
  abort(): void;
  /**
   * The execution's whole state as plain JSON data (`JSON.stringify` it into `localStorage`, a
   * file, a database), for {@link resume}: in this page or another, after a reload or a
   * restart. A run that was waiting resumes with what was left of its wait; one whose submit was
   * in flight asks `find` (if given) before submitting again.
   * @throws {Error} once the execution has ended, or when called from one of its own callbacks.
   */
  checkpoint(): Checkpoint;
  /**
   * Delivers the status of the job `handle` (as `submit` returned it), in `check`'s result
   * shape: if the run waits before a check of that job, the wait ends now and the status is that
   * check's result (`check` is not called for it; its `StatusChecked` event says
   * `pushed: true`); if a check is running, the next check takes it, at once. A later push
   * replaces one not taken yet, unless that one is final and the later one `PENDING`.
   * @returns whether the execution polls that job now (`false` once it has ended, or before its
   *   engine loaded: then nothing is checked). The handle must be the same JSON as `submit`'s,
   *   object keys in the same order.
   * @throws {TypeError} the execution (running) was not started with `push: true` (nor
   *   resumed), or `status` is not a check result.
   */
  pushStatus(handle: Json, status: CheckResult): boolean;
  /**
   * Answers a `.waitForTaskToken` task (`pollflow/asl`, `push: true`): its result is `output`.
   * @throws {Error} named as Step Functions names the refusal: `InvalidToken` (not a token),
   *   `TaskDoesNotExist` (no task of this execution waits for it), `TaskTimedOut` (its task
   *   has ended).
   * @throws {TypeError} `token` is not a string, `output` not JSON, or the run was not started
   *   with `push: true`.
   */
  sendTaskSuccess(token: string, output: Json): void;
  /** Fails the task waiting for `token` with `error` and `cause` (default `''`); Retry and
   * Catch match `error`. Throws as {@link Execution.sendTaskSuccess}. */
  sendTaskFailure(token: string, error?: string, cause?: string): void;
  /** Restarts the `HeartbeatSeconds` of the task waiting for `token`. Throws as
   * {@link Execution.sendTaskSuccess}. */
  sendTaskHeartbeat(token: string): void;
}

/** What {@link Execution.checkpoint} returns: JSON data, with its format `version` first. */
export interface Checkpoint {
  version: number;
  workflow: string;
  state: string;
  execution: Json;
}

/**
 * What {@link init} loads the engine from:
 * - a `WebAssembly.Module`, already compiled;
 * - the `.wasm` bytes (`ArrayBuffer`, a typed array, a Node `Buffer`);
 * - a URL (a `URL`, or a string resolved against the page): fetched; in Node a `file:` URL is
 *   read from disk;
 * - a `Response` (from `fetch`), or a promise of one: it must be `ok`.
 */
export type EngineSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string | Response | PromiseLike<Response>;

/**
 * Loads the engine, by default this package's own `.wasm` (`new URL('./pollflow_wasm_bg.wasm',
 * import.meta.url)`, which bundlers such as Vite and webpack copy with the build). Loads once:
 * later calls, and calls while it loads, resolve when it is loaded (their `source` unused). In
 * Node the engine is loaded at import, so this resolves at once.
 * @throws {TypeError} (rejects) a source of another kind; a module that is not the engine of
 *   this version of the package (the other entry point's, another version's: it lacks the
 *   exports this one calls, or does not link, `cause` the `WebAssembly.LinkError`).
 * @throws {Error} (rejects) a fetch that is not `ok`; bytes that are not WebAssembly
 *   (`WebAssembly.CompileError`). After a failure a later call may try again.
 */
export function init(source?: EngineSource | PromiseLike<EngineSource>): Promise<void>;

/**
 * Loads the engine synchronously from a compiled `WebAssembly.Module` — what Cloudflare Workers
 * and other hosts that compile `.wasm` imports ahead of time hand you for
 * `import wasm from 'pollflow/pollflow.wasm'` — or from the `.wasm` bytes (browsers may refuse
 * to compile large modules synchronously on the main thread: use `init` there). Does nothing
 * once the engine is loaded.
 * @throws {TypeError} a source of another kind (a URL or a `Response` needs `await init(source)`);
 *   a module that is not the engine of this version of the package (as {@link init}).
 * @throws {WebAssembly.CompileError} bytes that are not WebAssembly.
 */
export function initSync(source: WebAssembly.Module | ArrayBuffer | ArrayBufferView): void;

/**
 * Starts an execution of the Job Poller workflow: Submit Job → Wait → Get Job Status →
 * Job Complete? → (Notify Success | Notify Failure) → end.
 * @throws {TypeError} a missing callback, a value of the wrong type, `intervalMs` with a backoff
 *   field, an unknown field of `limits`, input that is not JSON-serializable, an option whose
 *   getter throws.
 * @throws {RangeError} a duration that is NaN, infinite, negative or above 2^53 - 1; a rate below
 *   1; an unknown jitter; `minDelayMs` above `maxDelayMs`; `maxAttempts`, `seed` or a limit out
 *   of range.
 * @throws {Error} `pollflow: the engine is not loaded ...` before {@link init} (outside Node).
 */
export function run(options: RunOptions): Execution;

/**
 * Continues an execution from its checkpoint with these options' callbacks: its job is polled
 * on, not submitted again. `options.input` is not used (the checkpoint has it); the workflow's
 * options (`intervalMs`, backoff...) must be those it was started with.
 *
 * The engine that reads checkpoints is a second module, loaded (from the package's own files)
 * the first time `resume` is called; the Execution is returned at once and its events and
 * outcome wait for it. Until it has loaded, `checkpoint()` returns the checkpoint given.
 * Errors the engine finds reject the execution's `outcome` (and `result()`, and the first
 * `next()` of its events) instead of being thrown here: a checkpoint that does not load
 * (another format version, a damaged one: `pollflow: the checkpoint does not load: ...`), one
 * that does not fit the workflow, and the errors of {@link run} for the options (other than
 * `options` not being an object and `options.signal`).
 * @throws {TypeError} a checkpoint that is not an object or its JSON text; `options` not an
 *   object, or an `options.signal` that is not an AbortSignal.
 */
export function resume(checkpoint: Checkpoint | string, options: RunOptions): Execution;

/**
 * The state-machine graph `run(options)` would execute (states with their transitions), to draw
 * it. Given `options.workflow`, a promise: the graph as the engine read it (defaults filled in),
 * from the second engine, loaded the first time it is needed; it rejects with the errors `run`
 * would report for that graph.
 * @throws {TypeError | RangeError} the errors of {@link run} for the same options.
 */
export function workflowGraph(options: RunOptions & { workflow: WorkflowGraph }): Promise<WorkflowGraph>;
export function workflowGraph(options: RunOptions): WorkflowGraph;

/**
 * Where {@link retryAfterMs} finds the header: its text; `Headers` (or anything with a
 * `get(name)`); a `Response` or `Request` (anything with `headers`); a record of headers such
 * as Node's `IncomingMessage.headers` (names matched in any case).
 */
export type RetryAfterSource =
  | string
  | null
  | undefined
  | { get(name: string): string | null | undefined }
  | { headers: RetryAfterSource }
  | { [name: string]: string | string[] | undefined };

/**
 * An HTTP `Retry-After` value (RFC 9110, section 10.2.3) as milliseconds from `now`, for a
 * `check()` result's `retryAfterMs`:
 * - delay-seconds (`"120"`): 120,000 (at most 2^53 - 1);
 * - an HTTP-date: the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete forms
 *   recipients must accept, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (a two-digit year more
 *   than 50 years ahead means the century before) and asctime `Sun Nov  6 08:49:37 1994`:
 *   the time from `now` until then, 0 when it is past.
 *
 * Names are matched in any case and parts may be separated by several spaces; the day name is
 * not checked against the date. Returns `undefined` when the header is absent or its value is
 * none of those (`"1.5"`, `"-1"`, `"soon"`, February 30th, the same header twice): never NaN,
 * so a server's bad hint leaves the wait to the wait policy; the engine cuts a hint longer than
 * the policy's longest delay to it. (The same reading as the Rust crate's
 * `pollflow::retry_after`; written in JS so that it works before the engine is loaded.)
 *
 * ```js
 * check: async (url) => {
 *   const response = await fetch(url);
 *   if (response.status === 202) return { status: 'PENDING', retryAfterMs: retryAfterMs(response) };
 *   return { status: 'SUCCEEDED', output: await response.json() };
 * }
 * ```
 * @param now milliseconds since the Unix epoch (default `Date.now()`), for HTTP-dates.
 * @throws {TypeError} a `value` of another type (a number, a boolean); a `now` that is not a finite number.
 */
export function retryAfterMs(value: RetryAfterSource, now?: number): number | undefined;

/** What {@link pollGroup} takes. */
export interface PollGroupOptions {
  /**
   * Looks at many jobs in one call (AWS Batch `DescribeJobs`, a `GET /jobs?ids=...`). Receives
   * the handles of the checks batched together; returns (or resolves to) one result per handle,
   * in order: a {@link CheckResult}, or an `Error` that fails (or, with `retryable: true`,
   * retries) that handle's check alone. A throw or rejection fails each check of the call as a
   * throwing `check` would (retried when the error has `retryable: true`); a missing result
   * fails its check.
   */
  checkMany(handles: Json[]): Array<CheckResult | Error> | Promise<Array<CheckResult | Error>>;
  /** The most handles per `checkMany` call (default 100: `DescribeJobs` takes 100 ids). A whole number from 1. */
  maxBatch?: number;
  /**
   * How long a batch stays open after its first check, in milliseconds (default 0: until the
   * next turn of the event loop). Executions on one schedule come due a few milliseconds apart
   * (their timers, the engine's slices of work): 10–50 ms keeps them in one round's calls, at
   * that much latency per check.
   */
  lingerMs?: number;
}

/** Shares `checkMany` between executions: see {@link pollGroup}. */
export interface PollGroup {
  /** A `check` callback for {@link run}: the check joins the batch being filled. */
  check(handle: Json): Promise<CheckResult>;
}

/**
 * Many jobs, few calls: a group whose `check`, passed as the `check` of any number of
 * executions, batches the checks they make at the same moment into `checkMany` calls of at most
 * `maxBatch` handles. 10,000 executions waiting on the same schedule cost 100 calls a round,
 * not 10,000. A full batch goes at once; a partial one when its window closes: once the
 * executions due have run (the next turn of the event loop), or after `lingerMs`. The same
 * semantics as the Rust crate's `PollGroup` (and `PollGroup::lingering`).
 *
 * ```js
 * const group = pollGroup({
 *   checkMany: async (ids) => {
 *     const { jobs } = await batch.describeJobs({ jobs: ids });
 *     const byId = new Map(jobs.map((job) => [job.jobId, job]));
 *     return ids.map((id) => {
 *       const job = byId.get(id);
 *       if (!job) return new Error(`no job ${id}`);
 *       if (job.status === 'SUCCEEDED') return { status: 'SUCCEEDED', output: job };
 *       if (job.status === 'FAILED') return { status: 'FAILED', detail: job.statusReason ?? null };
 *       return { status: 'PENDING', detail: job.status };
 *     });
 *   },
 *   maxBatch: 100,
 *   lingerMs: 20,
 * });
 * const executions = inputs.map((input) => run({ input, submit, check: group.check }));
 * ```
 * @throws {TypeError} `options` not an object, or `checkMany` not a function.
 * @throws {RangeError} `maxBatch` not a whole number from 1; `lingerMs` not from 0 to 2^31 - 1.
 */
export function pollGroup(options: PollGroupOptions): PollGroup;
