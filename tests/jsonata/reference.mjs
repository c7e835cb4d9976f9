// Evaluates JSONata cases with the reference implementation (npm `jsonata`), for pollflow's
// differential tests (core/tests/jsonata_differential.rs, core/tests/jsonata_fuzz.rs).
//
// Reads one JSON case per line on stdin: {"expr", "input"?, "bindings"?, "now"?} (no
// "input": undefined input). Writes one JSON line per case, in order:
//   {"value": <result as JSON.stringify writes it>}  or  {}  for undefined,
//   {"error": "<code>", "message": "..."}  for a JSONata error (code "JS" for another throw).
// Limits as pollflow's defaults: 200 levels of nesting, 10 s per case.
import readline from 'node:readline';
import jsonata from 'jsonata';

process.env.TZ = 'UTC';

async function evaluate(c) {
    try {
        const expr = jsonata(c.expr, { stack: c.stack ?? 200, timeout: c.timeout ?? 10000 });
        const result = await expr.evaluate(c.input, c.bindings ?? {});
        // Functions are left out, as JSON.stringify leaves out JavaScript functions.
        return JSON.stringify({ value: result }, (key, value) =>
            typeof value === 'function' || (value && (value._jsonata_lambda || value._jsonata_function))
                ? undefined
                : value);
    } catch (err) {
        const code = err && typeof err.code === 'string' ? err.code : 'JS';
        const message = err && err.message !== undefined ? String(err.message) : String(err);
        return JSON.stringify({ error: code, message });
    }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
    if (line.trim() === '') continue;
    let out;
    try {
        out = await evaluate(JSON.parse(line));
    } catch (err) {
        out = JSON.stringify({ error: 'HARNESS', message: String(err) });
    }
    process.stdout.write(out + '\n');
}
