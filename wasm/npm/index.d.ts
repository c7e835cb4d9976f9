/**
 * pollflow: wait for long-running jobs — submit, wait, check, branch, notify.
 * The engine is Rust compiled to WebAssembly; it runs in Node >= 18 and in browsers (ESM).
 *
 * ```js
 * import { run } from 'pollflow';
 * const execution = run({
 *   input: { jobName: 'my-job' },
 *   submit: async (input) => (await fetch('/reports', { method: 'POST' })).headers.get('location'),
 *   check: async (location) => {
 *     const response = await fetch(location);
 *     return response.status === 202
 *       ? { status: 'PENDING', retryAfterMs: 1000 * Number(response.headers.get('retry-after') ?? 1) }
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
  | { status: 'PENDING'; detail?: Json; /** Check again after this many milliseconds (like HTTP Retry-After), from 0 to 2^53 - 1; at most the wait policy's longest delay. */ retryAfterMs?: number }
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

export interface RunOptions {
  /** Starts the job. Receives `input`; returns (or resolves to) the job's handle: an id, a URL, any JSON. */
  submit(input: Json): Json | Promise<Json>;
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
  /** Aborts the execution: its job is cancelled (with `cancel`), then it ends `ABORTED`. */
  signal?: AbortSignal;
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
 */
export type ExecutionEvent = EventBase &
  (
    | { type: 'ExecutionStarted'; input: Json }
    | { type: 'StateEntered'; state: string }
    | { type: 'StateExited'; state: string }
    | { type: 'TaskSubmitted'; state: string; handle: Json }
    | { type: 'TaskSucceeded'; state: string; output: Json }
    | { type: 'TaskFailed'; state: string; error: { error: string; cause: string }; retry_in_ms?: number }
    | { type: 'WaitStarted'; state: string; delay_ms: number; attempt: number }
    | { type: 'StatusChecked'; state: string; attempt: number; status:
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
}

/**
 * Starts an execution of the Job Poller workflow: Submit Job → Wait → Get Job Status →
 * Job Complete? → (Notify Success | Notify Failure) → end.
 * @throws {TypeError} a missing callback, a value of the wrong type, `intervalMs` with a backoff
 *   field, input that is not JSON-serializable, an option whose getter throws.
 * @throws {RangeError} a duration that is NaN, infinite, negative or above 2^53 - 1; a rate below
 *   1; an unknown jitter; `minDelayMs` above `maxDelayMs`; `maxAttempts` or `seed` out of range.
 */
export function run(options: RunOptions): Execution;

/**
 * The state-machine graph `run(options)` would execute (states with their transitions), to draw it.
 * @throws {TypeError | RangeError} the errors of {@link run} for the same options.
 */
export function workflowGraph(options: RunOptions): {
  name: string;
  start_at: string;
  states: Array<{ name: string; type: string; next?: string; default?: string; choices?: Array<{ next: string }> }>;
};
