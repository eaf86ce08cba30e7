"use strict";
// check(): every violation is a CheckFailure naming the property and what to do, and never the secret's value.
const assert = require("node:assert/strict");
const { bmcUserProvider } = require("../../dist");
const { UNKNOWN } = require("../../dist/shared/validation");

const SENTINEL_LOGIN = "Sentinel-Login-77";
const SENTINEL_USER = "Sentinel-User-42x";

function valid(overrides = {}) {
  return {
    bmc: { host: "10.0.0.5", username: "ADMIN", password: SENTINEL_LOGIN, ...(overrides.bmc || {}) },
    username: "ops",
    password: SENTINEL_USER,
    privilege: "operator",
    ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== "bmc")),
  };
}

async function failuresFor(news) {
  const r = await bmcUserProvider.check({}, news);
  for (const f of r.failures || []) {
    for (const s of [SENTINEL_LOGIN, SENTINEL_USER, "Bad\u0000Secret", "Sentinel-Fallback-1", "NUL\u0000in-pass"]) {
      assert.ok(!f.reason.includes(s) && !f.property.includes(s), `failure for ${f.property} leaks a secret: ${f.reason}`);
    }
  }
  return r.failures || [];
}

describe("unit: BmcUser check()", () => {
  it("fills in documented defaults and keeps __provider", async () => {
    const r = await bmcUserProvider.check({}, { ...valid(), __provider: "P" });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.__provider, "P");
    assert.equal(r.inputs.bmc.port, 623);
    assert.equal(r.inputs.bmc.cipherSuite, 17);
    assert.deepEqual(r.inputs.bmc.fallbackPasswords, []);
    assert.equal(r.inputs.enabled, true);
    assert.equal(r.inputs.ipmiMessaging, true);
    assert.equal(r.inputs.linkAuth, true);
    assert.equal(r.inputs.callin, true);
    assert.equal(r.inputs.verifyPassword, "login");
    assert.equal(r.inputs.allowSelfLockout, false);
    assert.equal(r.inputs.userId, undefined);
    assert.equal(r.inputs.channel, undefined);
  });

  // The invalid-input table lives in bad-input.test.js, with BmsPassword's.

  it("accepts the cipher suites 17 and 3 and nothing else", async () => {
    assert.deepEqual(await failuresFor(valid({ bmc: { cipherSuite: 3 } })), []);
    assert.deepEqual(await failuresFor(valid({ bmc: { cipherSuite: 17 } })), []);
  });

  it("refuses to disable, demote or cut messaging of the login account unless allowSelfLockout", async () => {
    const self = { username: "ADMIN", privilege: "administrator" };
    assert.deepEqual(await failuresFor(valid(self)), []);
    assert.equal((await failuresFor(valid({ ...self, enabled: false })))[0].property, "enabled");
    assert.equal((await failuresFor(valid({ ...self, privilege: "user" })))[0].property, "privilege");
    assert.equal((await failuresFor(valid({ ...self, ipmiMessaging: false })))[0].property, "ipmiMessaging");
    assert.match((await failuresFor(valid({ ...self, enabled: false })))[0].reason, /allowSelfLockout/);
    assert.deepEqual(await failuresFor(valid({ ...self, enabled: false, allowSelfLockout: true })), []);
  });

  it("refuses to rename the login account (known from the prior inputs) unless allowSelfLockout", async () => {
    const prior = valid({ username: "ADMIN", privilege: "administrator" });
    const renamed = { ...prior, username: "ADMIN2" };
    const failures = (await bmcUserProvider.check(prior, renamed)).failures;
    assert.deepEqual(failures.map((f) => f.property), ["username"]);
    assert.match(failures[0].reason, /rename the account the provider logs in with.*allowSelfLockout/);
    assert.deepEqual((await bmcUserProvider.check(prior, { ...renamed, allowSelfLockout: true })).failures, []);
    // Not the login account before: renaming is an ordinary in-place change.
    assert.deepEqual((await bmcUserProvider.check(valid(), valid({ username: "ops2" }))).failures, []);
    // A create has no prior inputs.
    assert.deepEqual((await bmcUserProvider.check({}, renamed)).failures, []);
  });

  it("counts an administrator only when named, enabled for IPMI messaging and not reported disabled", () => {
    const { isActiveAdministrator } = require("../../dist/ipmi/accounts");
    const access = { privilege: "administrator", ipmiMessaging: true, enableStatus: "unspecified" };
    assert.equal(isActiveAdministrator({ name: "ADMIN", access }), true);
    assert.equal(isActiveAdministrator({ name: "", access }), false);
    assert.equal(isActiveAdministrator({ name: "ADMIN", access: { ...access, privilege: "operator" } }), false);
    assert.equal(isActiveAdministrator({ name: "ADMIN", access: { ...access, ipmiMessaging: false } }), false);
    assert.equal(isActiveAdministrator({ name: "ADMIN", access: { ...access, enableStatus: "disabled" } }), false);
  });

  it("in preview, unknown values are not reported as failures, and known bad values still are", async () => {
    const r = await bmcUserProvider.check({}, valid({ password: UNKNOWN, bmc: { password: UNKNOWN } }));
    assert.deepEqual(r.failures, []);
    const r2 = await bmcUserProvider.check({}, valid({ password: UNKNOWN, username: "x".repeat(20) }));
    assert.deepEqual(r2.failures.map((f) => f.property), ["username"]);
  });

  it("never crashes on garbage", async () => {
    for (const garbage of [null, undefined, 5, "str", [], { bmc: 5 }, { bmc: [] }]) {
      const r = await bmcUserProvider.check({}, garbage);
      assert.ok(r.failures.length > 0);
    }
  });
});

describe("unit: BmcUser state without a connection", () => {
  it("read and delete report INVALID_INPUT naming what the state lacks, not a TypeError", async () => {
    for (const call of [() => bmcUserProvider.read("h:623/ch1/user3", { username: "ops" }), () => bmcUserProvider.delete("h:623/ch1/user3", {})]) {
      await assert.rejects(call(), (e) => e.code === "INVALID_INPUT" && /lacks bmc/.test(e.message));
    }
  });
});
