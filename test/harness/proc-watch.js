"use strict";
/**
 * Samples every process's argv and environment (`/proc/<pid>/cmdline`, `environ`) and records each one that contains
 * a sentinel password. Processes of other users are unreadable and skipped.
 */
const fs = require("node:fs");
const { once } = require("node:events");
const { Worker } = require("node:worker_threads");

/** One pass over /proc; adds `<pid>/<file>` to `hits` for every sentinel found. */
function sampleProcesses(sentinels, hits) {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    for (const file of ["cmdline", "environ"]) {
      try {
        const text = fs.readFileSync(`/proc/${pid}/${file}`, "latin1");
        for (const s of sentinels) if (text.includes(s)) hits.add(`${pid}/${file}`);
      } catch {
        // gone, or not ours to read
      }
    }
  }
}

/**
 * Samples back to back (a 5 ms pause between passes) in a worker thread while `fn` runs; returns its result and the
 * leaks seen. A pass over /proc takes 5-25 ms on a loaded machine: on the main thread it would starve the event loop
 * that serves the gRPC calls under test. The sentinels reach the worker as in-process data, never argv or env.
 */
async function watchProcesses(sentinels, fn) {
  const sampler = await startSampler(sentinels);
  let outcome;
  try {
    outcome = { result: await fn() };
  } catch (error) {
    outcome = { error };
  }
  const { hits, samples } = await sampler.stop();
  if (outcome.error) throw outcome.error;
  return { result: outcome.result, leaks: hits, samples };
}

const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
const { sampleProcesses } = require(workerData.module);
const flag = new Int32Array(workerData.stop);
const hits = new Set();
let samples = 0;
sampleProcesses(workerData.sentinels, hits);
parentPort.postMessage("ready");
while (Atomics.load(flag, 0) === 0) {
  sampleProcesses(workerData.sentinels, hits);
  samples++;
  Atomics.wait(flag, 0, 0, 5);
}
sampleProcesses(workerData.sentinels, hits);
parentPort.postMessage({ hits: [...hits], samples: samples + 2 });
`;

/** Starts the sampling worker; resolves once its first pass is done. `stop()` resolves with `{hits, samples}`. */
async function startSampler(sentinels) {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER, { eval: true, workerData: { module: __filename, sentinels, stop: stop.buffer } });
  await once(worker, "message");
  return {
    async stop() {
      const done = once(worker, "message");
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
      const [summary] = await done;
      await worker.terminate();
      return summary;
    },
  };
}

module.exports = { watchProcesses, sampleProcesses, startSampler };
