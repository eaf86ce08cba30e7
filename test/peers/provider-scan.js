"use strict";
/**
 * Provider operations for the peers tier, under the sentinel scan: while an operation runs, a worker thread samples
 * every process's argv and environment (test/harness/proc-watch.js). The lab answers from the test's own thread, so
 * the main-thread sampler of test/lab/sentinels.js would starve it; its text checks (errors, plaintext state) are used
 * as they are.
 */
const assert = require("node:assert/strict");
const { SentinelScan } = require("../lab/sentinels");
const { watchProcesses } = require("../harness/proc-watch");
const { bmcUserProvider: provider } = require("../../dist");

function providerScan(sentinels) {
  const scan = new SentinelScan(sentinels);
  return {
    scan,
    /** `check` that must pass; returns the inputs as the engine hands them to create. */
    async checked(news) {
      const r = await provider.check({}, news);
      assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
      return { ...r.inputs, __provider: "test-provider-ref" };
    },
    /** Runs `fn` (a provider call) under the scan; returns `{ result }` or `{ error }`, both scanned. */
    async op(fn) {
      let outcome;
      const { leaks } = await watchProcesses(sentinels, async () => {
        try {
          outcome = { result: await fn() };
        } catch (error) {
          outcome = { error };
        }
      });
      assert.deepEqual(leaks, [], "a sentinel password appeared in a process's argv or environment");
      if (outcome.error) scan.error(outcome.error);
      else scan.state(outcome.result);
      return outcome;
    },
  };
}

module.exports = { providerScan };
