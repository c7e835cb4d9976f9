// The host of the engines that take pushes (resume.js, asl-resume.js): a push often ends a
// sleep early, and the engine then says `unsleep(id)`, which clears the sleep's timer once no
// other sleep is on it, so that a run that no longer waits does not keep Node alive. Kept out of
// execution.js: only these engines call it, and the base package's size budget is tight.

/** `host` (execution.js `load`), with `unsleep`; `timers` are its timers by key. */
export function cancellable(host, timers) {
  const keys = []; // each pending sleep's timer key, by its number
  const { sleep } = host;
  return {
    ...host,
    sleep(ms, id) {
      keys[id] = sleep(ms, id);
    },
    unsleep(id) {
      const at = keys[id];
      const ids = timers.get(at);
      ids?.splice(ids.indexOf(id) >>> 0, 1);
      if (ids?.length === 0) {
        ids.cancel();
        timers.delete(at);
      }
    },
  };
}
