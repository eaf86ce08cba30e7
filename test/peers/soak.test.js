"use strict";
// Peers tier: the short soak (issue 16, item 7): the schedule of test/soak/soak.js — BmcUser operations while loss,
// delay, restarts, busy answers and stalls come and go on lab BMCs — at 20 BMCs and 120 operations, then the
// fault-free next `up`. `npm run soak` runs 200 BMCs and 1000 operations (README, "Soak").
const assert = require("node:assert/strict");
const { runSoak } = require("../soak/soak");

describe("peers: short soak (20 lab BMCs, 120 operations under seeded faults)", function () {
  this.timeout(120000);

  it("ends converged: exactly the declared accounts and passwords, 0 lockouts, 0 sentinel leaks, every failure typed", async () => {
    const figures = await runSoak({ seed: 7, bmcs: 20, operations: 120, concurrency: 16, deadlineMs: 60000 });
    console.log(`      ${JSON.stringify({ operations: figures.operations, failed: figures.failed, failuresByCode: figures.failuresByCode, faults: figures.faults, latencyMs: figures.latencyMs, seconds: figures.seconds })}`);
    assert.equal(figures.operations, 120);
    assert.equal(figures.untyped, 0);
    assert.equal(figures.lockedAccounts, 0);
    assert.ok(Object.values(figures.faults).every((n) => n > 0), `every kind of fault was injected: ${JSON.stringify(figures.faults)}`);
    assert.ok(figures.sentinelChecks > 240);
  });
});
