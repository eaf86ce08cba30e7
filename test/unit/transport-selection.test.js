"use strict";
// bmc.transport: which transport carries a resource's sessions. The default follows the route (native RMCP+ over the
// network from here; ipmitool in-band and through a jump host), changing it is an update and never a replacement, and
// state written before the input existed shows no diff.
const assert = require("node:assert/strict");
const { bmcUserProvider } = require("../../dist");
const plan = require("../../dist/bmcUser/plan");
const { transportOf } = require("../../dist/bmcUser/schema");
const { utils: sshUtils } = require("ssh2");

const KEY = sshUtils.generateKeyPairSync("ed25519");
const SSH = { host: "10.0.0.9", username: "ops", privateKey: KEY.private, hostKey: KEY.public };
const lan = { host: "10.0.0.5", port: 623, username: "ADMIN", password: "AdminPw-1", cipherSuite: 17, timeoutSeconds: 2, retries: 2, fallbackPasswords: [] };
const base = { username: "ops", password: "OpsPw-123", privilege: "operator" };

async function checked(bmc) {
  const r = await bmcUserProvider.check({}, { ...base, bmc });
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return r.inputs;
}

describe("unit: bmc.transport", () => {
  it("defaults: native for a BMC on the network, ipmitool in-band, over SSH and through a jump host", async () => {
    assert.equal(transportOf((await checked(lan)).bmc), "native");
    assert.equal(transportOf((await checked({ inband: "local" })).bmc), "ipmitool");
    assert.equal(transportOf((await checked({ ssh: SSH })).bmc), "ipmitool");
    assert.equal(transportOf((await checked({ ...lan, via: { ssh: SSH } })).bmc), "ipmitool");
    assert.equal(transportOf((await checked({ ...lan, transport: "ipmitool" })).bmc), "ipmitool");
  });

  it("check leaves an omitted transport omitted (the default is resolved per route, not written into state)", async () => {
    assert.equal((await checked(lan)).bmc.transport, undefined);
  });

  it('"native" is refused in-band and through a jump host, naming bmc.transport and why', async () => {
    for (const bmc of [{ inband: "local", transport: "native" }, { ssh: SSH, transport: "native" }, { ...lan, via: { ssh: SSH }, transport: "native" }]) {
      const r = await bmcUserProvider.check({}, { ...base, bmc });
      assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
      assert.equal(r.failures[0].property, "bmc.transport");
      assert.match(r.failures[0].reason, /ipmitool/);
    }
    const bad = await bmcUserProvider.check({}, { ...base, bmc: { ...lan, transport: "redfish" } });
    assert.equal(bad.failures[0].property, "bmc.transport");
    assert.match(bad.failures[0].reason, /bmc\.protocol: "redfish"/);
  });

  const outsWith = async (bmc) => ({ ...plan.outputsFor(await checked(bmc), 1, 3, { passwordState: "verified", bmcLogin: "password" }), __provider: "x" });

  it("old state without transport: no diff against inputs without it, nor against the explicit default", async () => {
    const old = await outsWith(lan);
    delete old.bmc.transport;
    assert.deepEqual(plan.diffBmcUser(old, await checked(lan)), { replaces: [], updates: [] });
    assert.deepEqual(plan.diffBmcUser(old, await checked({ ...lan, transport: "native" })), { replaces: [], updates: [] });
    const jump = await outsWith({ ...lan, via: { ssh: SSH } });
    assert.deepEqual(plan.diffBmcUser(jump, await checked({ ...lan, via: { ssh: SSH }, transport: "ipmitool" })), { replaces: [], updates: [] });
  });

  it("changing transport is an update, never a replacement", async () => {
    const old = await outsWith(lan);
    const d = plan.diffBmcUser(old, await checked({ ...lan, transport: "ipmitool" }));
    assert.deepEqual(d, { replaces: [], updates: ["bmc.transport"] });
    const back = plan.diffBmcUser(await outsWith({ ...lan, transport: "ipmitool" }), await checked(lan));
    assert.deepEqual(back, { replaces: [], updates: ["bmc.transport"] });
    const r = await bmcUserProvider.diff("id", old, await checked({ ...lan, transport: "ipmitool" }));
    assert.equal(r.changes, true);
    assert.deepEqual(r.replaces, []);
  });

  // bmc.protocol "redfish" has no transport: HTTPS from this process is the only carrier.
  const FP = "AB:".repeat(31) + "AB";
  const redfishBmc = { protocol: "redfish", host: "10.0.0.6", username: "root", password: "AdminPw-1", tls: { fingerprint: FP } };

  it('protocol "redfish" refuses bmc.transport, naming it, whatever its value', async () => {
    for (const transport of ["native", "ipmitool"]) {
      const r = await bmcUserProvider.check({}, { ...base, bmc: { ...redfishBmc, transport } });
      assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
      assert.equal(r.failures[0].property, "bmc.transport");
      assert.match(r.failures[0].reason, /IPMI sessions.*Redfish always runs over HTTPS/);
    }
    assert.equal((await checked(redfishBmc)).bmc.transport, undefined);
  });

  it("old state with neither protocol nor transport: no diff through the provider, against inputs without them or with the defaults", async () => {
    const old = await outsWith(lan);
    delete old.bmc.transport;
    delete old.bmc.protocol;
    for (const bmc of [lan, { ...lan, protocol: "ipmi" }, { ...lan, transport: "native" }, { ...lan, protocol: "ipmi", transport: "native" }]) {
      const r = await bmcUserProvider.diff("id", old, await checked(bmc));
      assert.equal(r.changes, false, `${JSON.stringify(bmc)}: ${JSON.stringify(r)}`);
    }
  });

  it("moving an IPMI resource (old state without protocol or transport) to Redfish is a replacement, not a transport update", async () => {
    const old = await outsWith(lan);
    delete old.bmc.transport;
    const r = await bmcUserProvider.diff("id", old, await checked(redfishBmc));
    assert.equal(r.changes, true);
    assert.ok(r.replaces.includes("bmc.protocol"), JSON.stringify(r.replaces));
    assert.ok(!r.replaces.includes("bmc.transport") && !(r.updates ?? []).includes("bmc.transport"), JSON.stringify(r));
    assert.equal(r.deleteBeforeReplace, true);
  });
});
