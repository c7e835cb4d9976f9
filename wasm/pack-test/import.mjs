// The packed package from an ES module: import from 'pollflow' and 'pollflow/asl'.
import { createRequire } from 'node:module';
import * as pollflow from 'pollflow';
import * as asl from 'pollflow/asl';

const workload = createRequire(import.meta.url)('./workload.cjs');
await workload(pollflow, asl);
console.log(`import: pollflow in Node ${process.version}: ok`);
