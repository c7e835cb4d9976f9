// The npm package `pollflow`: the Rust engine (WebAssembly) with a JavaScript face.
// This file only adapts: loading the module, AbortSignal, async iteration, promises.
import init, { initSync, start, workflowGraph as graph } from './dist/pollflow_wasm.js';

const wasmUrl = new URL('./dist/pollflow_wasm_bg.wasm', import.meta.url);
if (typeof process === 'object' && process.versions?.node) {
  const { readFile } = await import('node:fs/promises');
  initSync({ module: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
}

/** A running execution: async-iterable events, and its outcome. */
class Execution {
  #execution;
  #consumer = null;
  #finished;
  #finish;

  constructor(execution, signal) {
    this.#execution = execution;
    this.#finished = new Promise((resolve) => { this.#finish = resolve; });
    if (signal?.aborted) {
      execution.abort();
    } else {
      signal?.addEventListener('abort', () => execution.abort(), { once: true });
    }
  }

  async *#events() {
    let done = false;
    try {
      for (;;) {
        const event = await this.#execution.next();
        if (event === undefined) {
          done = true;
          this.#finish(this.#execution.outcome());
          return;
        }
        yield event;
      }
    } finally {
      if (!done) {
        // The consumer left early: stop the execution (cancelling its job), then finish it.
        this.#execution.abort();
        while ((await this.#execution.next()) !== undefined);
        this.#finish(this.#execution.outcome());
      }
    }
  }

  [Symbol.asyncIterator]() {
    if (this.#consumer) throw new TypeError('an execution can be iterated once');
    this.#consumer = this.#events();
    return this.#consumer;
  }

  /** Resolves with how the execution ended; drives it if nobody iterates it. */
  get outcome() {
    if (!this.#consumer) {
      this.#consumer = this.#events();
      (async () => { for await (const _ of this.#consumer); })();
    }
    return this.#finished;
  }

  /** Resolves with the output, or rejects with an Error named like ASL. */
  async result() {
    const outcome = await this.outcome;
    if (outcome.status === 'SUCCEEDED') return outcome.output;
    throw this.#execution.error();
  }

  /** Stops the execution (its job is cancelled when a cancel callback was given). */
  abort() {
    this.#execution.abort();
  }
}

/** Starts an execution. See index.d.ts for the options, events and errors. */
export function run(options) {
  checkOptions(options);
  return new Execution(start(options), options.signal);
}

/** The state-machine graph `run(options)` would execute, as plain data (for drawing it). */
export function workflowGraph(options) {
  checkOptions(options);
  return graph(options);
}
