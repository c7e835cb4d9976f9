// The JSONata engine of `pollflow/asl` loads only when asked for (its own process, so that no
// other test has loaded it): JSONPath definitions never load it, and the synchronous
// validateAsl and aslGraph of a JSONata definition say to call initJsonata() until it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAsl, validateAsl, aslGraph, initJsonata } from 'pollflow/asl';

const jsonata = { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input.a * 2 %}', End: true } } };
const needsEngine = /needs the JSONata engine: `await initJsonata\(\)` first/;

test('the JSONata engine loads only for JSONata definitions, or by initJsonata()', async () => {
  // It mentions JSONata, but declares no JSONata state.
  const jsonPath = { Comment: 'not JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'b.$': '$.a', note: 'JSONata' }, End: true } } };
  assert.deepEqual(await runAsl(jsonPath, { input: { a: 1 } }).result(), { b: 1, note: 'JSONata' });
  assert.equal(validateAsl(jsonPath).valid, true);
  assert.equal(validateAsl(JSON.stringify(jsonPath)).valid, true);
  const nested = { StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: jsonata, End: true } } };
  assert.throws(() => validateAsl(nested), needsEngine, 'a Map processor that declares JSONata');
  assert.throws(() => validateAsl(jsonata), needsEngine, 'a JSONPath run does not load the JSONata engine');
  assert.throws(() => aslGraph(jsonata), needsEngine);
  await initJsonata();
  assert.deepEqual(validateAsl(jsonata), { valid: true, problems: [] });
  assert.match(aslGraph(jsonata), /P/);
  assert.equal(await runAsl(jsonata, { input: { a: 21 } }).result(), 42);
});
