// The engine of `pollflow/asl` that also reads checkpoints (dist-asl-resume, built with the
// features `asl` and `resume`): a second module, which `resumeAsl` imports the first time it
// is called, so that `pollflow/asl` alone stays small. A resumed execution runs on it entirely.
import * as glue from './dist-asl-resume/pollflow_wasm.js';
import { loader } from './execution.js';
import { cancellable } from './push.js';

const { init, engine } = loader(glue, 'pollflow/asl', cancellable);

/** The engine, loaded (once) from the package's own .wasm: `{ glue, engine }`. */
export const load = () => init(new URL('./dist-asl-resume/pollflow_wasm_bg.wasm', import.meta.url)).then(() => ({ glue, engine: engine() }));
