/**
 * pollflow/asl: run Amazon States Language (AWS Step Functions) state machines locally, their
 * Task states bound to JavaScript handlers. A second build of the engine, loaded only by this
 * entry point (the base `pollflow` stays small). Loaded as `pollflow`'s: at import in Node,
 * elsewhere by `await init()` (or `initSync(module)`, with `pollflow/asl.wasm` compiled by the
 * host) once before `runAsl`, `validateAsl` or `aslGraph`.
 *
 * ```js
 * import { init, runAsl } from 'pollflow/asl';
 * await init();
 * const execution = runAsl(definition, {
 *   input: { jobName: 'my-job', wait_time: 60 },
 *   handlers: {
 *     'arn:aws:lambda:REGION:ACCOUNT_ID:function:SubmitJob': async (input) => submit(input),
 *     'arn:aws:lambda:REGION:ACCOUNT_ID:function:CheckJob': async (job) => status(job),
 *   },
 *   simulatedTime: true, // Wait states take no time
 * });
 * for await (const event of execution) console.log(event.type, event.state ?? '');
 * console.log(await execution.result());
 * ```
 */
import type { CheckResult, Checkpoint, EngineSource, Execution, Json, Limits } from './index.js';

export type { CheckResult, Checkpoint, EngineSource, Execution, ExecutionEvent, Json, Limits, Outcome, PollflowError, RetryAfterSource } from './index.js';
/** HTTP `Retry-After` as milliseconds, for a `.sync` handler's `check` result: see `pollflow`'s. */
export { retryAfterMs } from './index.js';

/**
 * Loads the ASL build of the engine, by default this package's own (`dist-asl/`); as
 * `pollflow`'s `init`, which loads the other build: each entry point loads its own.
 */
export function init(source?: EngineSource | PromiseLike<EngineSource>): Promise<void>;

/**
 * Loads the ASL build of the engine synchronously from a compiled `WebAssembly.Module` (`import
 * wasm from 'pollflow/asl.wasm'` on Cloudflare Workers) or its bytes; as `pollflow`'s `initSync`.
 */
export function initSync(source: WebAssembly.Module | ArrayBuffer | ArrayBufferView): void;

/** A state machine: its definition as an object, or as JSON text. */
export type AslDefinition = string | { [key: string]: unknown };

/** What a handler gets besides its input. */
export interface HandlerContext {
  /**
   * Resolves after `ms` milliseconds of the execution's time: on simulated time, virtual
   * milliseconds (the clock moves on while every running handler sleeps); else host timers
   * (several for waits longer than one `setTimeout` can take). A simulated sleep still pending
   * when the execution ends resolves then, so the handler can finish. `ms`: finite, >= 0.
   */
  sleep(ms: number): Promise<void>;
}

/**
 * A request-response Task: receives the state's effective input (after `InputPath` and
 * `Parameters`) and returns (or resolves to) the result, which flows on through
 * `ResultSelector`, `ResultPath` and `OutputPath`. A throw or rejection is the Task's error
 * (retried and caught like Step Functions'): the error's `name` is the ASL error name
 * (`States.TaskFailed` for a plain `Error` or a thrown non-error), its `message` the cause.
 */
export type TaskHandler = (input: Json, context: HandlerContext) => Json | Promise<Json>;

/**
 * A `.sync` Task (`arn:aws:states:::batch:submitJob.sync`...): `submit` starts the job with the
 * effective input and returns its handle, `check` looks at it (as `run`'s callbacks in
 * `pollflow`), polled 1 s doubling to 30 s; `cancel` stops it on abort or `TimeoutSeconds`.
 * The job's `output` is the Task's result; a `FAILED` job is `States.TaskFailed`.
 */
export interface JobHandler {
  submit(input: Json, context: HandlerContext): Json | Promise<Json>;
  check(handle: Json, context: HandlerContext): CheckResult | Promise<CheckResult>;
  /** The execution ends once this settles: a cancel that never settles keeps it from ending. */
  cancel?(handle: Json, reason: string, context: HandlerContext): void | Promise<void>;
  /**
   * The handle of the job submitted under `key`, or `null`: asked by a resumed execution whose
   * submit was in flight when its checkpoint was taken, before it submits again.
   */
  find?(input: Json, key: string, context: HandlerContext): Json | null | Promise<Json | null>;
}

export interface RunAslOptions {
  /** The execution input (default `{}`). Must be JSON-serializable. */
  input?: Json;
  /**
   * Task handlers by resource ARN or by state name (a state's name wins over its resource):
   * a function, or for `.sync` resources a {@link JobHandler}. Every Task state needs one.
   */
  handlers?: { [resourceOrState: string]: TaskHandler | JobHandler };
  /**
   * Runs on a virtual clock: Wait states, retry intervals, `.sync` polling intervals and
   * timeouts take no real time (a Wait of days finishes at once). The clock stands still
   * while a handler runs (except in `context.sleep`). `true` starts it at the current time;
   * a number starts it there (milliseconds since the Unix epoch, at most 8.64e15, the latest
   * `Date`). Default `false`: host timers.
   */
  simulatedTime?: boolean | number;
  /** Wait states (by name) made to wait this many milliseconds instead (finite, from 0 to 2^53 - 1). */
  waitOverrides?: { [waitState: string]: number };
  /**
   * Seeds the execution's random numbers — retry jitter, `States.UUID()`,
   * `States.MathRandom()` — for a reproducible run (a whole number from 0 to 2^53 - 1). Default:
   * a fresh seed from `crypto.getRandomValues`, so runs draw different numbers.
   */
  seed?: number;
  /**
   * Bounds on the execution (default: Step Functions' quotas — 256 KiB payloads, 10 MiB of
   * variables, 25,000 events, 40 Map items at once).
   */
  limits?: Limits;
  /** Aborts the execution: a running `.sync` job is cancelled, then it ends `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Lets the host answer `.waitForTaskToken` tasks ({@link Execution.sendTaskSuccess},
   * `sendTaskFailure`, `sendTaskHeartbeat`) and push jobs' statuses
   * ({@link Execution.pushStatus}). Such a run runs on the second engine (the one
   * {@link resumeAsl} uses), loaded the first time it is needed: the Execution is returned at
   * once. Without it a `.waitForTaskToken` task fails with `Pollflow.NoPush`. On simulated time
   * the clock jumps to a waiting task's `HeartbeatSeconds` or `TimeoutSeconds` once no handler
   * runs: answer its token from the event's loop body or a handler, not later. Default `false`.
   */
  push?: boolean;
}

/**
 * Starts an execution of a state machine. Events are the same as `pollflow`'s `run`, plus
 * `TaskSucceeded` / `TaskFailed` / `JobCancelled` for Task states.
 * @throws {TypeError} a definition that is not a valid state machine (every problem listed),
 *   a Task state without a handler (or a function for a `.sync` resource), an option of the
 *   wrong type, an unknown field of `limits`, input or a definition that is not
 *   JSON-serializable, an option whose getter throws.
 * @throws {RangeError} a negative, non-finite or too large time; a `waitOverrides` key that is not a Wait state;
 *   a `seed` that is not a whole number from 0 to 2^53 - 1; a limit out of range.
 */
export function runAsl(definition: AslDefinition, options?: RunAslOptions): Execution;

/**
 * Loads the engine that runs JSONata states (`"QueryLanguage": "JSONata"`): a third module,
 * downloaded only for definitions that mention JSONata, so JSONPath users never pay for the
 * JSONata evaluator. `runAsl` and `resumeAsl` load it themselves for such a definition (the
 * Execution is returned at once and waits for it, as with `push: true`, and what `runAsl`
 * would throw for the definition or options rejects its `outcome` and its first `next()`
 * instead); `validateAsl` and `aslGraph`, which answer synchronously, need it loaded first.
 *
 * ```js
 * await initJsonata();
 * validateAsl({ QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input.a + 1 %}', End: true } } });
 * ```
 */
export function initJsonata(): Promise<void>;

/**
 * Continues an execution of `definition` from its checkpoint ({@link Execution.checkpoint}) with
 * these options' handlers: a `.sync` job is polled on, not submitted again. `options.input` is
 * not used. On simulated time the clock starts where `options.simulatedTime` says: pass the
 * time the checkpoint was taken (its `execution.entered_ms` is the last state's entry) to carry on
 * from there.
 *
 * As `pollflow`'s `resume`: the engine that reads checkpoints is a second module, loaded the
 * first time `resumeAsl` is called; the Execution is returned at once, and the errors that
 * engine finds (a checkpoint that does not load or does not fit the definition, the errors of
 * {@link runAsl} for the definition and options) reject its `outcome` and its first `next()`.
 * @throws {TypeError} a checkpoint that is not an object or its JSON text; `options` not an
 *   object, or an `options.signal` that is not an AbortSignal.
 */
export function resumeAsl(definition: AslDefinition, checkpoint: Checkpoint | string, options?: RunAslOptions): Execution;

/** One thing wrong with a definition. */
export interface AslProblem {
  /** The state concerned, or `null`. */
  state: string | null;
  /** Where in the definition, as a JSON path (`$.States['Wait X Seconds'].SecondsPath`). */
  path: string;
  reason: string;
}

/**
 * Checks a definition without running it: every problem at once.
 * @throws {TypeError} a definition that is neither an object nor a string.
 * @throws {Error} a JSONata definition before `initJsonata()` has loaded its engine.
 */
export function validateAsl(definition: AslDefinition): { valid: boolean; problems: AslProblem[] };

/**
 * Draws a definition: a Mermaid flowchart (default) or a Graphviz DOT graph.
 * @throws {TypeError} an invalid definition (every problem listed).
 * @throws {Error} a JSONata definition before `initJsonata()` has loaded its engine.
 * @throws {RangeError} a format other than 'mermaid' or 'dot'.
 */
export function aslGraph(definition: AslDefinition, options?: { format?: 'mermaid' | 'dot' }): string;
