// The engine of `pollflow` that also reads checkpoints (dist-resume, built with the feature
// `resume`): a second module, which `resume` imports the first time it is called, so that
// `pollflow` alone stays small. A resumed execution runs on it entirely.
import * as glue from './dist-resume/pollflow_wasm.js';
import { loader } from './execution.js';
import { cancellable } from './push.js';

const { init, engine } = loader(glue, 'pollflow', cancellable);

/** The engine, loaded (once) from the package's own .wasm: `{ glue, engine }`. */
export const load = () => init(new URL('./dist-resume/pollflow_wasm_bg.wasm', import.meta.url)).then(() => ({ glue, engine: engine() }));
