"use strict";
// Vendor profiles are data with sources; detection maps Get Device ID's manufacturer id to a profile.
const assert = require("node:assert/strict");
const { profileFor, PROFILES, lanChannelProbeOrder } = require("../../dist/ipmi/vendors");
const { decodeDeviceId } = require("../../dist/ipmi/commands");

describe("unit: vendor profiles", () => {
  const deviceId = (iana) => [0x20, 0x81, 0x01, 0x00, 0x02, 0x9f, iana & 0xff, (iana >> 8) & 0xff, (iana >> 16) & 0x0f, 0x00, 0x00];
  const cases = [[10876, "supermicro", "ADMIN"], [674, "dell", "root"], [11, "hpe", "Administrator"], [19046, "lenovo", "USERID"], [49769, "openbmc", "root"], [4242, "generic", undefined]];
  for (const [iana, name, admin] of cases) {
    it(`manufacturer ${iana} (from Get Device ID bytes) → ${name}`, () => {
      const p = profileFor(decodeDeviceId(deviceId(iana)).manufacturerId);
      assert.equal(p.name, name);
      assert.equal(p.defaultAdmin?.username, admin);
    });
  }

  it("every rule cites a source", () => {
    for (const p of PROFILES) assert.ok(p.sources.length > 0 && p.sources.every((s) => s.length > 10), p.name);
  });

  it("HPE probes LAN channel 2 first, everyone else 1", () => {
    assert.deepEqual(lanChannelProbeOrder(profileFor(11)).slice(0, 3), [2, 1, 3]);
    assert.deepEqual(lanChannelProbeOrder(profileFor(674)).slice(0, 2), [1, 2]);
  });

  it("Supermicro's password cap is 16 bytes, OpenBMC's 20", () => {
    assert.equal(profileFor(10876).maxPasswordBytes, 16);
    assert.equal(profileFor(49769).maxPasswordBytes, 20);
  });
});

// The rules each profile implies for BmcUser, as pure decisions: refusals, write order, empty slots, slot caps.
const plan = require("../../dist/bmcUser/plan");
const rules = require("../../dist/bmcUser/vendorRules");
const { decodeUserAccess } = require("../../dist/ipmi/commands");
const { bmcUserProvider } = require("../../dist");

describe("unit: vendor rules for BmcUser", () => {
  const smc = profileFor(10876);
  const dell = profileFor(674);
  const hpe = profileFor(11);
  const lenovo = profileFor(19046);
  const openbmc = profileFor(49769);
  const generic = profileFor(undefined);
  const bmc = { host: "10.0.0.5", port: 623, username: "ADMIN", password: "AdminPw-1", cipherSuite: 17, timeoutSeconds: 2, retries: 2, fallbackPasswords: [] };
  const inputs = { bmc, username: "ops", password: "Ops-Pass-123", privilege: "operator", enabled: true, ipmiMessaging: true, linkAuth: true, callin: true, verifyPassword: "login", allowSelfLockout: false, vendorProfile: "auto" };
  const access = (b4, b2 = 0x00) => decodeUserAccess([0x3f, b2, 0x00, b4]);
  // "cmd:first data bytes" — 43:b1,user (b1 bit 4 = IPMI messaging), 47:user,op (op 1 enable, 0 disable, 2 set password)
  const cmds = (list) => list.map((c) => `${c.cmd.toString(16)}:${c.data.slice(0, 2).map((b) => b.toString(16)).join(",")}`);
  const SECRET = "weakpassword";

  describe("Supermicro password policy (8-16 characters with upper, lower, digit and special; truenas/documentation#1588)", () => {
    const cases = [
      ["Ops-Pass-123", []],
      ["OpsPass123", ["requires each of"]], // upper, lower, digit: 3 classes are not enough
      [SECRET, ["requires each of"]],
      ["Ab1-", ["at least 8 characters"]],
      ["Abcdefgh-12345678", ["at most 16 bytes"]],
      ["abcdefghijklmnopqrst", ["at most 16 bytes", "requires each of"]],
    ];
    for (const [pw, wanted] of cases) {
      it(`${pw.length} characters, ${wanted.length ? wanted.join(" + ") : "accepted"}`, () => {
        const f = rules.passwordRuleFailures(pw, smc);
        assert.equal(f.length, wanted.length, JSON.stringify(f));
        wanted.forEach((w, i) => {
          assert.equal(f[i].property, "password");
          assert.ok(f[i].reason.includes(w), f[i].reason);
          assert.match(f[i].reason, /#\d+/, "cites its source");
          assert.ok(!f[i].reason.includes(pw), "never quotes the password");
        });
      });
    }
    it("the generic, Dell, HPE, Lenovo and OpenBMC profiles accept any 1-20 byte password", () => {
      for (const p of [generic, dell, hpe, lenovo, openbmc]) assert.deepEqual(rules.passwordRuleFailures("abcdefghijklmnopqrst", p), [], p.name);
    });
  });

  it("Supermicro slot 2 is fixed to ADMIN: another name there is refused, ADMIN itself and other slots are fine", () => {
    const f = rules.fixedSlotFailure({ username: "root" }, 2, smc);
    assert.equal(f.property, "username");
    assert.match(f.reason, /slot 2 on supermicro BMCs is fixed to ADMIN/);
    assert.match(f.reason, /trinity#543/);
    assert.equal(rules.fixedSlotFailure({ username: "ADMIN" }, 2, smc), undefined);
    assert.equal(rules.fixedSlotFailure({ username: "root" }, 3, smc), undefined);
    for (const p of [dell, hpe, lenovo, generic]) assert.equal(rules.fixedSlotFailure({ username: "other" }, 2, p), undefined, p.name);
  });

  it("the call-time error is BMC_VENDOR_RULE, names the field and the vendor, says nothing was written, and quotes no secret", () => {
    const e = rules.vendorRuleError(rules.vendorRuleFailures({ username: "ops", password: SECRET, userId: 3 }, smc), smc, { host: "h", port: 623, slot: 3 });
    assert.equal(e.code, "BMC_VENDOR_RULE");
    assert.match(e.message, /password: supermicro firmware requires/);
    assert.match(e.message, /nothing was written/);
    assert.equal(e.context.vendor, "supermicro");
    assert.ok(!e.message.includes(SECRET));
  });

  it("check applies a named vendorProfile at preview; auto leaves the rules to call time", async () => {
    const named = await bmcUserProvider.check({}, { ...inputs, password: SECRET, vendorProfile: "supermicro" });
    assert.deepEqual(named.failures.map((f) => f.property), ["password"]);
    assert.ok(!JSON.stringify(named.failures).includes(SECRET));
    assert.deepEqual((await bmcUserProvider.check({}, { ...inputs, password: SECRET })).failures, []);
    assert.deepEqual((await bmcUserProvider.check({}, { ...inputs, password: SECRET, vendorProfile: "generic" })).failures, []);
    const bad = await bmcUserProvider.check({}, { ...inputs, vendorProfile: "ibm" });
    assert.equal(bad.failures[0].property, "vendorProfile");
    const fixed = await bmcUserProvider.check({}, { ...inputs, userId: 2, vendorProfile: "supermicro" });
    assert.deepEqual(fixed.failures.map((f) => f.property), ["username"]);
  });

  describe("write order", () => {
    it("generic and Dell: name and password before access, enable last (Dell R420: name and password before enable)", () => {
      for (const p of [generic, dell]) assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, undefined, true, p)), ["45:3,6f", "47:3,2", "43:b1,3", "47:3,1"], p.name);
    });
    it("Supermicro: the privilege in a write of its own (messaging off) before IPMI messaging is turned on", () => {
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, undefined, true, smc)), ["45:3,6f", "47:3,2", "43:a1,3", "43:b1,3", "47:3,1"]);
      // Messaging already on: one access write is enough.
      const demoted = { name: "ops", access: access(0x32, 0x40) };
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, demoted, false, smc)), ["43:b1,3", "47:3,1"]);
    });
    it("Supermicro: a password change on an enabled account is not followed by an enable (metal-stack/metal-hammer#147)", () => {
      const enabled = { name: "ops", access: access(0x33, 0x40) };
      const folded = { name: "ops", access: access(0x33, 0x00) }; // enable status unreported, messaging on
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, enabled, true, smc)), ["47:3,2"]);
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, folded, true, smc)), ["47:3,2"]);
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, folded, true, generic)), ["47:3,2", "47:3,1"], "generic restates enable");
      const disabled = { name: "ops", access: access(0x23, 0x80) };
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, disabled, true, smc)), ["47:3,2", "43:a1,3", "43:b1,3", "47:3,1"]);
    });
    it("Lenovo: enable before Set User Access (0xCC on disabled slots), and disable after it for a disabled account", () => {
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, undefined, true, lenovo)), ["45:3,6f", "47:3,2", "47:3,1", "43:b1,3"]);
      assert.deepEqual(cmds(plan.planWrites({ ...inputs, enabled: false }, 1, 3, undefined, true, lenovo)), ["45:3,6f", "47:3,2", "47:3,1", "43:b1,3", "47:3,0"]);
      // No access write: nothing to reorder.
      const renamed = { name: "old", access: access(0x33, 0x40) };
      assert.deepEqual(cmds(plan.planWrites(inputs, 1, 3, renamed, false, lenovo)), ["45:3,6f", "47:3,1"]);
    });
  });

  it("HPE reports unused slots as \"(Empty User)\": empty for HPE, a real name elsewhere", () => {
    const slot = { name: "(Empty User)", access: access(0x0f) };
    assert.equal(rules.normaliseSlot(slot, hpe).name, "");
    assert.equal(rules.normaliseSlot(slot, generic).name, "(Empty User)");
    assert.equal(rules.isEmptyName("", dell), true);
  });

  it("slot 1 holds a real account only on OpenBMC (root); elsewhere it is the anonymous user the guard skips", () => {
    assert.equal(openbmc.firstAccountSlot, 1);
    assert.deepEqual(openbmc.defaultAdmin, { slot: 1, username: "root" });
    for (const p of [smc, dell, hpe, lenovo, generic]) assert.equal(p.firstAccountSlot, 2, p.name);
  });

  it("Dell manages 16 slots even when firmware reports more", () => {
    assert.equal(rules.slotLimit(63, dell), 16);
    assert.equal(rules.slotLimit(10, dell), 10);
    assert.equal(rules.slotLimit(63, generic), 63);
  });

  it("a userId beyond Dell's 16 slots is a vendor rule failure naming userId and the count; other profiles leave the range to the BMC", () => {
    const [f] = rules.vendorRuleFailures({ username: "far", password: "Abcdefgh-1", userId: 17 }, dell);
    assert.equal(f.property, "userId");
    assert.match(f.reason, /userId 17 is above dell BMCs' 16 user slots/);
    assert.deepEqual(rules.vendorRuleFailures({ username: "far", password: "Abcdefgh-1", userId: 16 }, dell), []);
    assert.deepEqual(rules.vendorRuleFailures({ username: "far", password: "Abcdefgh-1", userId: 40 }, generic), []);
  });

  it("the scrambled password of a deleted account meets each vendor's cap and policy", () => {
    for (const p of [smc, dell, hpe, lenovo, openbmc, generic]) {
      for (let i = 0; i < 50; i++) {
        const pw = rules.scramblePassword(p, require("node:crypto").randomBytes);
        assert.deepEqual(rules.passwordRuleFailures(pw, p), [], `${p.name}: ${pw.length}`);
        assert.equal(pw.length, p.maxPasswordBytes);
      }
    }
  });

  it("vendor and manufacturerId are outputs only: diff ignores them; old state without vendorProfile means auto", async () => {
    const outs = { ...plan.outputsFor(inputs, 1, 3, { passwordState: "verified", bmcLogin: "password", vendor: "dell", manufacturerId: 674 }), __provider: "x" };
    assert.equal(outs.vendor, "dell");
    assert.equal(outs.manufacturerId, 674);
    assert.equal((await bmcUserProvider.diff("id", outs, inputs)).changes, false);
    const { vendorProfile: _, vendor: __, manufacturerId: ___, ...old } = outs;
    assert.equal((await bmcUserProvider.diff("id", old, inputs)).changes, false);
    assert.deepEqual(plan.diffBmcUser(outs, { ...inputs, vendorProfile: "generic" }).updates, ["vendorProfile"]);
    const seen = plan.observedOutputs(outs, { name: "ops", access: access(0x33, 0x40) }, "ok", "password", { vendor: "lenovo", manufacturerId: 19046 });
    assert.equal(seen.vendor, "lenovo");
  });

  it("the same BMC address behind two jump hosts, in-band or direct is four different BMCs to the identity cache", () => {
    const { identityKey } = require("../../dist/ipmi/identity");
    const ssh = (host) => ({ host, port: 22, username: "ops", hostKey: "ssh-ed25519 AAAA" });
    const keys = [
      identityKey({ host: "10.0.0.5", port: 623 }),
      identityKey({ host: "10.0.0.5", port: 623, ssh: ssh("bastion-a") }),
      identityKey({ host: "10.0.0.5", port: 623, ssh: ssh("bastion-b") }),
      identityKey({ host: "10.0.0.5", port: 623, inband: true }),
    ];
    assert.equal(new Set(keys).size, 4);
    assert.equal(identityKey({ host: "BMC.example", port: 623 }), identityKey({ host: "bmc.example", port: 623 }), "host names are case-insensitive");
  });

  it("a refresh that identifies the BMC without a manufacturer id drops the old one instead of keeping it", () => {
    const plan = require("../../dist/bmcUser/plan");
    const { decodeUserAccess } = require("../../dist/ipmi/commands");
    const prior = { username: "ops", privilege: "operator", enabled: true, verifyPassword: "login", passwordState: "verified", vendor: "lenovo", manufacturerId: 19046 };
    const live = { name: "ops", access: decodeUserAccess([0x3f, 0x00, 0x00, 0x33]) };
    const seen = plan.observedOutputs(prior, live, "ok", "password", { vendor: "generic" });
    assert.equal(seen.vendor, "generic");
    assert.equal("manufacturerId" in seen, false);
    assert.equal(plan.observedOutputs(prior, live, "ok", "password").manufacturerId, 19046, "not identified this time: kept");
  });
});
