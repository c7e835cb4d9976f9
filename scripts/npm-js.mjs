// Ships the npm package's JavaScript (run by scripts/build-npm.sh once both engines are built):
//   - every module of wasm/npm (the readable sources) and each wasm-bindgen glue, minified with
//     esbuild (whitespace, comments, syntax and local names) into dist/ or dist-asl/ as ESM
//     `.js` and as CommonJS `.cjs` (`require` in Node), their relative imports mapped to where
//     the files ship, each with a source map holding its readable source (browsers' devtools
//     and `node --enable-source-maps` show stack traces in the original names; a browser
//     downloads a map only when its devtools are open);
//   - the `.d.cts` copies of the types that TypeScript reads for `require`;
//   - then, for each entry point of package.json's `exports` as browsers (`import`), Node
//     (`import`) and Node (`require`) resolve it, the files it loads and their size gzipped,
//     failing when an entry is over its budget (what a browser downloads: `import`).
// Sources import each other and the glue by their paths in the repository (`./execution.js`,
// `./dist/pollflow_wasm.js`), so they also run as they are.
//
//   node scripts/npm-js.mjs          (esbuild from target/tools/esbuild, installed by build-npm.sh)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../wasm/npm/', import.meta.url));
const esbuild = createRequire(new URL('../target/tools/esbuild/', import.meta.url))('esbuild');

/** Each module (its path in wasm/npm) and the folder it ships in. */
const MODULES = {
  'execution.js': 'dist',
  'retry-after.js': 'dist',
  'poll-group.js': 'dist',
  'node.js': 'dist',
  'index.js': 'dist',
  'index.node.js': 'dist',
  'dist/pollflow_wasm.js': 'dist',
  'resume.js': 'dist',
  'push.js': 'dist',
  'dist-resume/pollflow_wasm.js': 'dist-resume',
  'asl.js': 'dist-asl',
  'asl.node.js': 'dist-asl',
  'dist-asl/pollflow_wasm.js': 'dist-asl',
  'asl-resume.js': 'dist-asl',
  'dist-asl-resume/pollflow_wasm.js': 'dist-asl-resume',
  'asl-jsonata.js': 'dist-asl',
  'dist-asl-jsonata/pollflow_wasm.js': 'dist-asl-jsonata',
};
/** Files that ship where they are. */
const ASSETS = new Set([
  'dist/pollflow_wasm_bg.wasm',
  'dist-asl/pollflow_wasm_bg.wasm',
  'dist-resume/pollflow_wasm_bg.wasm',
  'dist-asl-resume/pollflow_wasm_bg.wasm',
  'dist-asl-jsonata/pollflow_wasm_bg.wasm',
]);
/** The types for `require` (each `.d.ts` copied as `.d.cts`, its imports mapped). */
const TYPES = {
  'index.d.ts': 'dist/index.d.cts',
  'asl.d.ts': 'dist-asl/asl.d.cts',
};
/** Budgets in bytes gzipped, for what a browser downloads for an entry point. */
const BUDGETS = { '.': 100_000, './asl': 235_000 };
/**
 * Each entry point's resume module: the engine that reads checkpoints and takes pushes, which
 * the entry imports (`import()`) only when `resume` or `resumeAsl` is first called, or a run is
 * given `push: true` — not counted in the entry's
 * size, but sized and budgeted on its own (what it adds to the entry), so it cannot grow unseen.
 */
const RESUME = { '.': ['resume.js', 'resume()', 150_000], './asl': ['asl-resume.js', 'resumeAsl()', 265_000] };
/**
 * `pollflow/asl`'s JSONata module: the engine that also evaluates JSONata (and reads
 * checkpoints, takes pushes), imported only for a definition that uses JSONata (or by
 * `initJsonata()`), budgeted on its own like the resume modules.
 */
const JSONATA = { './asl': ['asl-jsonata.js', 'a JSONata definition', 400_000] };

/** Where module `path` ships, as ESM (`.js`) or CommonJS (`.cjs`). */
const shipped = (path, ext) => `${MODULES[path]}/${posix.basename(path, '.js')}${ext}`;

/** A relative specifier from `from` (a shipped file) to `to` (a shipped file). */
function relative(from, to) {
  const path = posix.relative(posix.dirname(from), to);
  return path.startsWith('.') ? path : `./${path}`;
}

/** Relative imports in JS (`import`, `export ... from`, `new URL(..., import.meta.url)`), in types. */
const JS_IMPORT = /(\bfrom\s*|\bimport\s*|\bimport\(\s*|\bnew URL\(\s*)(['"])(\.\.?\/[^'"]*)\2/g;
const TYPE_IMPORT = /(\bfrom\s*)(['"])(\.\.?\/[^'"]*)\2/g;

/** `code` (of `source`, shipping as `target`) with its relative imports mapped by `map(path)`. */
function mapImports(code, source, target, map, imports = JS_IMPORT) {
  return code.replace(imports, (_, before, quote, specifier) => {
    const path = posix.join(posix.dirname(source), specifier);
    const to = map(path);
    if (!to) throw new Error(`wasm/npm/${source}: imports ${specifier}, which scripts/npm-js.mjs does not ship`);
    return `${before}${quote}${relative(target, to)}${quote}`;
  });
}

for (const source of Object.keys(MODULES)) {
  const code = readFileSync(root + source, 'utf8');
  for (const ext of ['.js', '.cjs']) {
    const target = shipped(source, ext);
    const mapped = mapImports(code, source, target, (path) => (MODULES[path] ? shipped(path, ext) : ASSETS.has(path) && path));
    const options = {
      loader: 'js',
      // The map names the readable source (not shipped: its text is in the map).
      sourcefile: posix.relative(posix.dirname(target), source),
      minifyWhitespace: true,
      minifySyntax: true,
      minifyIdentifiers: true,
      sourcemap: 'external',
      sourcesContent: true,
      legalComments: 'none',
    };
    if (ext === '.cjs') {
      Object.assign(options, { format: 'cjs', platform: 'node' });
      if (mapped.includes('import.meta.url')) {
        options.define = { 'import.meta.url': 'importMetaUrl' };
        options.banner = 'const importMetaUrl=require("node:url").pathToFileURL(__filename);';
      }
    } else {
      options.format = 'esm';
    }
    const { code: out, map, warnings } = esbuild.transformSync(mapped, options);
    if (warnings.length) throw new Error(`wasm/npm/${source} → ${target}: ${warnings.map((w) => w.text).join('; ')}`);
    writeFileSync(root + target, `${out}//# sourceMappingURL=${posix.basename(target)}.map\n`);
    writeFileSync(`${root + target}.map`, map);
  }
}

for (const [source, target] of Object.entries(TYPES)) {
  const code = readFileSync(root + source, 'utf8');
  const typesOf = (path) => {
    const types = TYPES[path.replace(/\.js$/, '.d.ts')];
    return types?.replace(/\.d\.cts$/, '.cjs');
  };
  writeFileSync(root + target, mapImports(code, source, target, typesOf, TYPE_IMPORT));
}

// ---- The entry points as each host resolves them, and their sizes.

const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

/** The file `exports[entry]` names for `conditions` (the first that matches, in the map's order). */
function resolveExport(entry, conditions) {
  let target = manifest.exports[entry];
  while (typeof target === 'object') {
    const key = Object.keys(target).find((condition) => condition === 'default' || conditions.includes(condition));
    if (!key) return undefined;
    target = target[key];
  }
  return target.replace(/^\.\//, '');
}

/**
 * Every file that loading `file` (shipped) loads: its imports, requires and `new URL` assets
 * (not what it imports later with `import()`: see RESUME).
 */
function loads(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!/\.c?js$/.test(file)) return seen;
  const code = readFileSync(root + file, 'utf8');
  for (const [, specifier] of code.matchAll(/(?:\bfrom|\bimport|\brequire\(|\bnew URL\()\s*["'](\.\.?\/[^"']*)["']/g)) {
    loads(posix.join(posix.dirname(file), specifier), seen);
  }
  return seen;
}

const gzipped = (file) => execFileSync('gzip', ['-9c', root + file], { maxBuffer: 1 << 26 }).length;
const HOSTS = [['browsers: import', ['import', 'browser']], ['Node: import', ['import', 'node']], ['Node: require', ['require', 'node']]];
let over = 0;
/** Prints the size of `files` (the first line names them as `what`); counts it when over `budget`. */
function report(what, files, budget) {
  const raw = files.reduce((sum, file) => sum + readFileSync(root + file).length, 0);
  const gz = files.reduce((sum, file) => sum + gzipped(file), 0);
  const wasm = files.find((file) => file.endsWith('.wasm'));
  console.error(`${what}: .wasm ${gzipped(wasm)} B gzipped, JS ${files.length - 1} files ${gz - gzipped(wasm)} B gzipped; total ${raw} B raw, ${gz} B gzipped${budget ? ` (budget ${budget} B)` : ''}`);
  console.error(`    ${files.join(' ')}`);
  if (budget && gz > budget) {
    console.error(`    over its budget of ${budget} B gzipped`);
    over += 1;
  }
}
for (const [entry, budget] of Object.entries(BUDGETS)) {
  const [resumeSource, resumeCall, resumeBudget] = RESUME[entry];
  for (const [host, conditions] of HOSTS) {
    const file = resolveExport(entry, conditions);
    const files = loads(file);
    const counted = host.startsWith('browsers');
    report(`${posix.join('pollflow', entry)} (${host})`, [...files], counted && budget);
    // The resume module: what it loads that the entry has not.
    const lazy = shipped(resumeSource, file.endsWith('.cjs') ? '.cjs' : '.js');
    const more = [...loads(lazy)].filter((f) => !files.has(f));
    report(`    + its resume module, loaded only by ${resumeCall} (${host})`, more, counted && resumeBudget);
    if (JSONATA[entry]) {
      const [source, call, jsonataBudget] = JSONATA[entry];
      const module = shipped(source, file.endsWith('.cjs') ? '.cjs' : '.js');
      const added = [...loads(module)].filter((f) => !files.has(f));
      report(`    + its JSONata module, loaded only for ${call} (${host})`, added, counted && jsonataBudget);
    }
  }
}
if (over) process.exit(1);
