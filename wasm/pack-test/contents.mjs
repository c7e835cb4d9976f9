// What the tarball installs: exactly these files (no sources, no tests), the licenses included;
// each shipped module with its source map.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./node_modules/pollflow/', import.meta.url));
const files = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
  .sort();
const modules = ['execution', 'index', 'index.node', 'node', 'poll-group', 'pollflow_wasm', 'push', 'resume', 'retry-after'];
/** A module's shipped forms: ESM and CommonJS, each with its source map. */
const shipped = (path) => ['.js', '.cjs'].flatMap((ext) => [`${path}${ext}`, `${path}${ext}.map`]);
const aslModules = ['asl', 'asl.node', 'asl-resume', 'asl-jsonata', 'pollflow_wasm'];
// The engines that read checkpoints and take pushes, loaded by resume(), resumeAsl() and runs
// given push: true only; and pollflow/asl's JSONata engine, loaded for JSONata definitions.
const resumeBuilds = ['dist-resume', 'dist-asl-resume', 'dist-asl-jsonata'];
const expected = [
  'LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'package.json', 'index.d.ts', 'asl.d.ts',
  'dist/index.d.cts', 'dist/pollflow_wasm_bg.wasm', ...modules.flatMap((m) => shipped(`dist/${m}`)),
  'dist-asl/asl.d.cts', 'dist-asl/pollflow_wasm_bg.wasm', ...aslModules.flatMap((m) => shipped(`dist-asl/${m}`)),
  ...resumeBuilds.flatMap((d) => [`${d}/pollflow_wasm_bg.wasm`, ...shipped(`${d}/pollflow_wasm`)]),
].sort();
assert.deepEqual(files, expected);
console.log(`the tarball holds ${files.length} files: the expected ones`);
