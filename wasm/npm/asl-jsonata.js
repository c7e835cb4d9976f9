// The engine of `pollflow/asl` that also evaluates JSONata (dist-asl-jsonata, built with the
// features `asl`, `jsonata`, `resume` and `push`): a third module, which `pollflow/asl` imports
// the first time a definition uses JSONata (or `initJsonata()` is called), so that JSONPath
// users never download the JSONata evaluator. Such an execution runs on it entirely.
import * as glue from './dist-asl-jsonata/pollflow_wasm.js';
import { loader } from './execution.js';
import { cancellable } from './push.js';

const { init, engine } = loader(glue, 'pollflow/asl', cancellable);

/** The engine, loaded (once) from the package's own .wasm: `{ glue, engine }`. */
export const load = () => init(new URL('./dist-asl-jsonata/pollflow_wasm_bg.wasm', import.meta.url)).then(() => ({ glue, engine: engine() }));
