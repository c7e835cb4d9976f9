// The packed package from a CommonJS module: require('pollflow') and require('pollflow/asl').
const workload = require('./workload.cjs');

const pollflow = require('pollflow');
const asl = require('pollflow/asl');
const { version } = require('pollflow/package.json');

workload(pollflow, asl).then(
  () => console.log(`require: pollflow ${version} in Node ${process.version}: ok (${require.resolve('pollflow').split('node_modules/')[1]})`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
