"use strict";
// Emulator tier: a fleet of BMS password resets keeps to the documented 50 resets per minute without a single 429,
// and still uses ≥ 95 % of it. A virtual clock shared by the provider and the emulator makes ten minutes of schedule
// take about a second, and makes the outcome independent of machine load.
const assert = require("node:assert/strict");
const { resetFleet } = require("./reset-fleet");
const { DOCUMENTED_LIMITS_PER_MINUTE } = require("../../dist/transport/huaweicloud/buckets");

describe("BmsPassword: 500 resets against the emulator's 50/min limit (virtual clock)", function () {
  this.timeout(60000);

  it("16 at a time: zero 429s, never more than 50 in any minute, ≥ 95 % of the allowed rate", async () => {
    const r = await resetFleet({ servers: 500, parallel: 16 });
    assert.equal(r.resets, 500);
    assert.equal(r.throttled, 0, JSON.stringify(r.requests));
    assert.ok(r.windowMax <= 50, `window max ${r.windowMax}`);
    assert.ok(r.shareOfAllowed >= 0.95, `${r.perMinute}/min is ${(r.shareOfAllowed * 100).toFixed(1)} % of 50/min`);
  });

  it("the emulator does throttle a client that exceeds the limit (so the check above can fail)", async () => {
    const r = await resetFleet({ servers: 120, parallel: 16, clientLimits: { ...DOCUMENTED_LIMITS_PER_MINUTE, reset: 70 } });
    assert.ok(r.throttled > 0);
  });
});
