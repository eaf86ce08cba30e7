"use strict";
// diff(), write planning and refresh observation: pure decisions, tested without a BMC.
const assert = require("node:assert/strict");
const { bmcUserProvider } = require("../../dist");
const plan = require("../../dist/bmcUser/plan");
const { decodeUserAccess } = require("../../dist/ipmi/commands");
const { UNKNOWN } = require("../../dist/shared/validation");

const bmc = { host: "10.0.0.5", port: 623, username: "ADMIN", password: "AdminPw-1", cipherSuite: 17, timeoutSeconds: 2, retries: 2, fallbackPasswords: [] };
const inputs = { bmc, username: "ops", password: "OpsPw-123", privilege: "operator", enabled: true, ipmiMessaging: true, linkAuth: true, callin: true, verifyPassword: "login", allowSelfLockout: false };
const outs = () => ({ ...plan.outputsFor(inputs, 1, 3, { passwordState: "verified", bmcLogin: "password" }), __provider: "OLD" });

describe("unit: BmcUser diff", () => {
  it("no change when outputs match inputs, whatever __provider says", async () => {
    const d = await bmcUserProvider.diff("id", outs(), { ...inputs, __provider: "NEW-VERSION" });
    assert.equal(d.changes, false);
    assert.deepEqual(d.replaces, []);
  });

  const inPlace = [
    ["username", { username: "ops2" }],
    ["password", { password: "OpsPw-456" }],
    ["privilege", { privilege: "user" }],
    ["enabled", { enabled: false }],
    ["ipmiMessaging", { ipmiMessaging: false }],
    ["linkAuth", { linkAuth: false }],
    ["callin", { callin: false }],
    ["verifyPassword", { verifyPassword: "off" }],
    ["bmc.password", { bmc: { ...bmc, password: "AdminPw-2" } }],
    ["bmc.username", { bmc: { ...bmc, username: "root" } }],
    ["bmc.cipherSuite", { bmc: { ...bmc, cipherSuite: 3 } }],
    ["bmc.fallbackPasswords", { bmc: { ...bmc, fallbackPasswords: ["ADMIN"] } }],
  ];
  for (const [field, change] of inPlace) {
    it(`${field} changes in place`, async () => {
      const d = plan.diffBmcUser(outs(), { ...inputs, ...change });
      assert.deepEqual(d.updates, [field]);
      assert.deepEqual(d.replaces, []);
      const r = await bmcUserProvider.diff("id", outs(), { ...inputs, ...change });
      assert.equal(r.changes, true);
    });
  }

  const replacing = [
    ["bmc.host", { bmc: { ...bmc, host: "10.0.0.6" } }],
    ["bmc.port", { bmc: { ...bmc, port: 624 } }],
    ["channel", { channel: 2 }],
    ["userId", { userId: 4 }],
  ];
  for (const [field, change] of replacing) {
    it(`${field} replaces, deleting first`, async () => {
      const r = await bmcUserProvider.diff("id", outs(), { ...inputs, ...change });
      assert.deepEqual(r.replaces, [field]);
      assert.equal(r.deleteBeforeReplace, true);
    });
  }

  it("an omitted channel or userId means 'whatever was resolved', not a replacement", () => {
    assert.deepEqual(plan.diffBmcUser(outs(), { ...inputs, channel: 1, userId: 3 }).replaces, []);
  });

  it("refreshed drift shows up field by field: a refresh that saw each field differ reports that field", () => {
    const live = (override) => ({ ...outs(), ...override });
    const drift = [
      ["username", { username: "intruder" }],
      ["privilege", { privilege: "administrator" }],
      ["enabled", { enabled: false }],
      ["ipmiMessaging", { ipmiMessaging: false }],
      ["linkAuth", { linkAuth: false }],
      ["callin", { callin: false }],
      ["password", { passwordState: "mismatch" }],
    ];
    for (const [field, override] of drift) {
      assert.deepEqual(plan.diffBmcUser(live(override), inputs).updates, [field], field);
    }
  });

  it("a write that may not have completed forces the password again", () => {
    assert.deepEqual(plan.diffBmcUser({ ...outs(), passwordState: "unknown" }, inputs).updates, ["password"]);
    assert.equal(plan.passwordNeedsWrite({ password: "a", passwordState: "verified" }, { password: "a" }), false);
    assert.equal(plan.passwordNeedsWrite({ password: "a", passwordState: "not-checked" }, { password: "a" }), false);
    assert.equal(plan.passwordNeedsWrite({ password: "a", passwordState: "mismatch" }, { password: "a" }), true);
    assert.equal(plan.passwordNeedsWrite({ password: "a", passwordState: "verified" }, { password: "b" }), true);
  });

  it("preview unknowns count as changes; an unknown bmc is a replacement", () => {
    assert.deepEqual(plan.diffBmcUser(outs(), { ...inputs, password: UNKNOWN }).updates, ["password"]);
    assert.ok(plan.diffBmcUser(outs(), { ...inputs, bmc: UNKNOWN }).replaces.includes("bmc.host"));
  });

  it("ids are <host>:<port>/ch<channel>/user<slot>, IPv6 bracketed", () => {
    assert.equal(plan.resourceId("10.0.0.5", 623, 1, 3), "10.0.0.5:623/ch1/user3");
    assert.equal(plan.resourceId("fe80::1", 623, 2, 4), "[fe80::1]:623/ch2/user4");
  });

  it("the id read returns follows the recorded slot and keeps the host part byte for byte; an unmoved id is unchanged", () => {
    assert.equal(plan.idForSlot("bmc-7.example:623/ch1/user3", 1, 5), "bmc-7.example:623/ch1/user5");
    assert.equal(plan.idForSlot("[fe80::1]:623/ch2/user4", 2, 4), "[fe80::1]:623/ch2/user4");
    assert.equal(plan.idForSlot("0x7f.0.0.1:6230/ch1/user3", 1, 3), "0x7f.0.0.1:6230/ch1/user3");
    assert.equal(plan.idForSlot("hand-written-id", 1, 3), "hand-written-id");
  });
});

describe("unit: BmcUser write plan", () => {
  const access = (b4, b2 = 0x00) => decodeUserAccess([0x3f, b2, 0x00, b4]);
  const cmds = (list) => list.map((c) => `${c.cmd.toString(16)}:${c.data.slice(0, 2).map((b) => b.toString(16)).join(",")}`);

  it("create writes name, password, access, then enable, in the order vendors need", () => {
    const w = plan.planWrites(inputs, 1, 3, undefined, true);
    assert.deepEqual(w.map((c) => c.cmd), [0x45, 0x47, 0x43, 0x47]);
    assert.deepEqual(w[3].data, [3, 0x01]);
  });

  it("update writes only what differs; the password only when asked", () => {
    const matching = { name: "ops", access: access(0x33, 0x40) }; // enabled, link+msg, operator
    assert.deepEqual(plan.planWrites(inputs, 1, 3, matching, false), []);
    const renamed = { name: "old", access: access(0x33, 0x40) };
    assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, renamed, false)), ["45:3,6f", "47:3,1"]);
    const demoted = { name: "ops", access: access(0x32, 0x40) };
    assert.deepEqual(plan.planWrites(inputs, 1, 3, demoted, false).map((c) => c.cmd), [0x43, 0x47]);
    // A password alone, on a BMC that reports the account enabled as declared: nothing else to state.
    assert.deepEqual(plan.planWrites(inputs, 1, 3, matching, true).map((c) => c.cmd), [0x47]);
    assert.equal(plan.planWrites(inputs, 1, 3, matching, true)[0].data[1], 0x02, "set password, no enable");
  });

  it("when the BMC does not report enable status, enable is always restated", () => {
    const unreported = { name: "ops", access: access(0x33, 0x00) };
    assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, unreported, false)), ["47:3,1"]);
  });

  it("verification by login is possible only for enabled accounts with messaging and some privilege", () => {
    assert.equal(plan.canVerifyByLogin(inputs), true);
    assert.equal(plan.canVerifyByLogin({ ...inputs, verifyPassword: "off" }), false);
    assert.equal(plan.canVerifyByLogin({ ...inputs, enabled: false }), false);
    assert.equal(plan.canVerifyByLogin({ ...inputs, privilege: "no-access" }), false);
  });
});

describe("unit: BmcUser refresh observation", () => {
  const prior = plan.outputsFor(inputs, 1, 3, { passwordState: "verified", bmcLogin: "password" });
  const slot = (b4, b2 = 0x00, name = "ops") => ({ name, access: decodeUserAccess([0x3f, b2, 0x00, b4]) });

  it("enable status comes from the BMC when reported, otherwise from the login probe", () => {
    assert.equal(plan.observedOutputs(prior, slot(0x33, 0x80), "ok", "password").enabled, false);
    assert.equal(plan.observedOutputs(prior, slot(0x33, 0x80), "ok", "password").enabledSource, "bmc");
    const probed = plan.observedOutputs(prior, slot(0x23), "no-such-user", "password");
    assert.equal(probed.enabled, false);
    assert.equal(probed.enabledSource, "login");
    assert.equal(plan.observedOutputs(prior, slot(0x33), "skipped", "password").enabledSource, "assumed");
  });

  it("an apply records enabledSource as the refresh of the same slot will, so the first refresh changes nothing", () => {
    for (const [access, passwordState, probe] of [
      [slot(0x33, 0x40).access, "verified", "ok"], // the BMC reports enable status
      [slot(0x33).access, "verified", "ok"], // folded into IPMI messaging (ipmi_sim): the login shows it
      [slot(0x33).access, "not-checked", "skipped"], // verifyPassword off
    ]) {
      const applied = plan.outputsFor(inputs, 1, 3, { passwordState, bmcLogin: "password", enabledSource: plan.enabledSourceAfterWrite(access, passwordState) });
      const refreshed = plan.observedOutputs(applied, { name: inputs.username, access }, probe, "password");
      assert.equal(refreshed.enabledSource, applied.enabledSource);
    }
  });

  it("the password state follows the probe; a pending write stays pending", () => {
    assert.equal(plan.observedOutputs(prior, slot(0x33), "bad-password", "password").passwordState, "mismatch");
    assert.equal(plan.observedOutputs(prior, slot(0x33), "ok", "password").passwordState, "verified");
    assert.equal(plan.observedOutputs(prior, slot(0x33), "skipped", "password").passwordState, "not-checked");
    assert.equal(plan.observedOutputs({ ...prior, passwordState: "unknown" }, slot(0x33), "skipped", "password").passwordState, "unknown");
  });

  it("an OEM privilege set out of band is reported as such, so it differs from any declared one", () => {
    const o = plan.observedOutputs(prior, slot(0x35), "ok", "password");
    assert.equal(o.privilege, "oem");
    assert.deepEqual(plan.diffBmcUser(o, inputs).updates, ["privilege"]);
  });
});
