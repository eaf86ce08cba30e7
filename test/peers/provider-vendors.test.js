"use strict";
// Peers tier: the provider's vendor profiles (provider/ipmi/vendors.ts) against the lab's personalities
// (provider/lab/personalities.ts), read from separate sources. Where ipmi_sim only differs in manufacturer id, slot-2
// account and LAN channel, these BMCs also show the quirks: Supermicro's fixed ADMIN and password policy, Dell's 16
// slots, HPE's "(Empty User)" names on LAN channel 2, Lenovo's 0xCC on unused and disabled slots, OpenBMC's 20 bytes.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { providerScan } = require("./provider-scan");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { requirePeers, ipmitoolLogin } = require("./clients");

const PW = "Vendor-Lab-Ops-47!"; // 18 bytes; the four classes every personality wants
const PW16 = "Vendor-Lab-Op16!"; // 16 bytes for Supermicro
const PW20 = "Vendor-Lab-Obmc-20b!";
const PW3 = "VendorLabOps3cls"; // 16 bytes: upper, lower and digit, no special character
const SENTINELS = [PW, PW16, PW20, PW3];
const { checked, op } = providerScan(SENTINELS);
const FACTORY = { supermicro: "ADMIN", dell: "calvin", hpe: "Label123", lenovo: "PASSW0RD", openbmc: "0penBmc", generic: "ADMIN" };

const create = (inputs) => op(() => provider.create(inputs));

describe("peers: the provider's vendor profiles on the lab's personalities", function () {
  this.timeout(120000);
  let lab;
  const by = {};
  // The provider's defaults for timeout and retries (2 s, 2): the machines that run this tier are shared.
  const connection = (b) => ({ host: b.host, port: b.port, username: b.admin.name, password: FACTORY[b.vendor] });

  before(async () => {
    requirePeers();
    lab = await startLab({ bmcs: Object.keys(FACTORY).map((vendor) => ({ vendor })) });
    for (const b of lab.bmcs) by[b.vendor] = b;
  });
  afterEach(() => {
    forgetLoginMemory(); // each test a run (a provider process) of its own
    for (const b of lab.bmcs) forgetLanChannel({ host: b.host, port: b.port });
  });
  after(() => lab?.stop());

  it("every personality is detected, and an account converges and is verified at suite 17", async () => {
    for (const [vendor, b] of Object.entries(by)) {
      const password = vendor === "supermicro" ? PW16 : vendor === "openbmc" ? PW20 : PW;
      const { result, error } = await create(await checked({ bmc: connection(b), username: "ops", password, privilege: "operator" }));
      assert.ok(!error, `${vendor}: ${error?.message}`);
      assert.equal(result.outs.vendor, vendor);
      assert.equal(result.outs.manufacturerId, b.manufacturerId);
      assert.equal(result.outs.passwordState, "verified", vendor);
      const held = b.account("ops");
      assert.equal(held.passwordSize, Buffer.byteLength(password) > 16 ? 20 : 16, vendor);
      assert.equal(held.enabled, true);
      assert.equal(held.access[result.outs.channel].privilege, "operator");
      assert.ok(await ipmitoolLogin(b, { user: "ops", password, suite: 17, privilege: "OPERATOR" }), vendor);
    }
  });

  it("hpe: the provider finds the LAN on channel 2 and takes the first '(Empty User)' slot", async () => {
    const b = by.hpe;
    const held = b.account("ops");
    assert.equal(held.slot, 3, "slot 3 was named (Empty User) on the wire, and counted as free");
    assert.equal(held.access[2].privilege, "operator");
    const { result } = await create(await checked({ bmc: connection(b), username: "ops2", password: PW, privilege: "user" }));
    assert.equal(result.outs.channel, 2);
    assert.equal(result.outs.userId, 4);
  });

  it("lenovo: an account that should stay disabled is written in the order the firmware needs (enable, access, disable)", async () => {
    const b = by.lenovo;
    const { result, error } = await create(await checked({ bmc: connection(b), username: "dormant", password: PW, privilege: "user", enabled: false, verifyPassword: "off" }));
    assert.ok(!error, error?.message);
    const held = b.account("dormant");
    assert.deepEqual([held.enabled, held.access[1].privilege, held.access[1].ipmiMessaging], [false, "user", true]);
    assert.equal(result.outs.enabled, false);
  });

  it("dell: userId 17 is refused at check (vendorProfile: dell) and, detected, before anything is written, naming userId and the 16 slots", async () => {
    const b = by.dell;
    const inputs = { bmc: connection(b), userId: 17, username: "far", password: PW, privilege: "user" };
    const { failures } = await provider.check({}, { ...inputs, vendorProfile: "dell" });
    assert.deepEqual(failures.map((f) => f.property), ["userId"]);
    assert.match(failures[0].reason, /userId 17 is above dell BMCs' 16 user slots/);
    const far = await create(await checked(inputs));
    assert.equal(far.error?.code, "BMC_SLOT_OUT_OF_RANGE", far.error?.message);
    assert.match(far.error.message, /userId 17 is above dell BMCs' 16 user slots/);
    assert.equal(b.accounts().length, 16);
    assert.equal(b.account("far"), undefined);
  });

  it("generic: a userId beyond the slots only the BMC knows (0xC9) is BMC_SLOT_OUT_OF_RANGE naming userId, nothing written", async () => {
    const b = by.generic; // 15 slots, which the provider's generic profile does not know of
    const far = await create(await checked({ bmc: connection(b), userId: 16, username: "far", password: PW, privilege: "user" }));
    assert.equal(far.error?.code, "BMC_SLOT_OUT_OF_RANGE", far.error?.message);
    assert.match(far.error.message, /userId 16 is beyond this BMC's user slots/);
    assert.equal(b.account("far"), undefined);
  });

  it("openbmc: root in slot 1 counts as an administrator, so a second administrator (20-byte password) can be demoted and deleted while logged in as root", async () => {
    const b = by.openbmc;
    const inputs = await checked({ bmc: connection(b), username: "admin2", password: PW20, privilege: "administrator" });
    const made = await create(inputs);
    assert.ok(!made.error, made.error?.message);
    const demoted = await op(() => provider.update(made.result.id, made.result.outs, { ...inputs, privilege: "operator" }));
    assert.ok(!demoted.error, demoted.error?.message);
    assert.equal(b.account("admin2").access[made.result.outs.channel].privilege, "operator");
    const promoted = await op(() => provider.update(made.result.id, demoted.result.outs, inputs));
    assert.ok(!promoted.error, promoted.error?.message);
    const deleted = await op(() => provider.delete(made.result.id, promoted.result.outs));
    assert.ok(!deleted.error, deleted.error?.message);
    assert.equal(b.account("admin2"), undefined);
    assert.equal(b.account(1).name, "root", "root, the login account, untouched");
  });

  it("supermicro: ADMIN's slot cannot be renamed (refused by the provider's rule before the BMC's 0xCC); a password over 16 bytes is refused up front", async () => {
    const b = by.supermicro;
    const rename = await create(await checked({ bmc: connection(b), userId: 2, username: "root", password: PW16, privilege: "administrator", allowSelfLockout: true }));
    assert.equal(rename.error?.code, "BMC_VENDOR_RULE");
    assert.equal(b.account(2).name, "ADMIN");
    const long = await create(await checked({ bmc: connection(b), username: "long", password: PW, privilege: "user" }));
    assert.equal(long.error?.code, "BMC_VENDOR_RULE");
    assert.equal(b.account("long"), undefined, "nothing written");
  });

  it("supermicro: a password with 3 of the 4 character classes is refused by the provider's rule (at check with vendorProfile: supermicro, else before any write), as the firmware would refuse it", async () => {
    const b = by.supermicro;
    const inputs = { bmc: connection(b), username: "three", password: PW3, privilege: "user" };
    const { failures } = await provider.check({}, { ...inputs, vendorProfile: "supermicro" });
    assert.deepEqual(failures.map((f) => f.property), ["password"]);
    const three = await create(await checked(inputs));
    assert.equal(three.error?.code, "BMC_VENDOR_RULE", three.error?.message);
    assert.equal(three.error.id, undefined, "no partial failure: nothing was written");
    assert.equal(b.account("three"), undefined, "not even the name");
    // The lab's firmware reads the policy the same way: its account store refuses that password on ADMIN's slot.
    assert.notEqual(b.table.setPassword(2, PW3, 16), "ok");
  });
});
