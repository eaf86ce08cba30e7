"use strict";
// Peers tier: the lab's vendor personalities as ipmitool 1.8.19 and FreeIPMI see them. Each personality's behaviour
// and its source are in provider/lab/personalities.ts; these tests show the behaviour on the wire, so a personality
// that drifts from its description fails here.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { requirePeers, ipmitool, ipmitoolLogin, rawBytes, ipmiRaw, rcvd } = require("./clients");

describe("peers: vendor personalities through ipmitool and FreeIPMI", function () {
  this.timeout(60000);
  let lab;
  const by = {};
  const creds = (b) => ({ user: b.admin.name, password: { supermicro: "ADMIN", dell: "calvin", hpe: "Label123", lenovo: "PASSW0RD", openbmc: "0penBmc" }[b.vendor], suite: 17 });
  const run = (b, lines) => ipmitool(b, creds(b), lines);

  before(async () => {
    requirePeers();
    lab = await startLab({ bmcs: ["supermicro", "dell", "hpe", "lenovo", "openbmc"].map((vendor) => ({ vendor })) });
    for (const b of lab.bmcs) by[b.vendor] = b;
  });
  after(() => lab?.stop());

  it("each reports its manufacturer id in Get Device ID and logs in with its factory account", async () => {
    const want = { supermicro: 10876, dell: 674, hpe: 11, lenovo: 19046, openbmc: 49769 };
    for (const [vendor, id] of Object.entries(want)) {
      const r = await run(by[vendor], ["raw 0x06 0x01"]);
      assert.equal(r.code, 0, `${vendor}: ${r.text}`);
      const b = rawBytes(r.text);
      assert.equal(b[6] | (b[7] << 8) | (b[8] << 16), id, vendor);
    }
  });

  it("supermicro: 10 slots, ADMIN's name fixed (0xCC), 20-byte format refused (0xC8), the 8-16 character policy with four classes", async () => {
    const b = by.supermicro;
    const access = await run(b, ["channel getaccess 1 2"]);
    assert.match(access.text, /Maximum User IDs\s+:\s+10/);
    assert.match(access.text, /Fixed Name\s+:\s+Yes/);
    const rename = await run(b, ["user set name 2 root"]);
    assert.match(rename.text, /Invalid data field in request/);
    assert.equal(b.account(2).name, "ADMIN");
    const twenty = await run(b, ["user set name 3 ops", "user set password 3 Strong-Pass-17-ch"]);
    assert.match(twenty.text, /Request data field length limit exceeded/);
    const weak = await run(b, ["user set password 3 weakpassword1"]);
    assert.match(weak.text, /Invalid data field in request/, "no upper case, no special character");
    const good = await run(b, ["user set password 3 Strong-Pass-1"]);
    assert.equal(good.code, 0, good.text);
    assert.equal(b.account(3).passwordSize, 16);
  });

  it("supermicro: OEM raw 0x3c 0x40 restores the factory accounts and ends the session", async () => {
    const b = by.supermicro;
    await run(b, ["user set password 2 Changed-Pass-1"]);
    assert.ok(await ipmitoolLogin(b, { user: "ADMIN", password: "Changed-Pass-1", suite: 17 }));
    const reset = await ipmitool(b, { user: "ADMIN", password: "Changed-Pass-1", suite: 17 }, ["raw 0x3c 0x40"]);
    assert.doesNotMatch(reset.text, /rsp=0x/, "the OEM command is answered (not 0xC1)");
    assert.equal(b.account(3).name, "", "ops is gone");
    assert.ok(await ipmitoolLogin(b, { user: "ADMIN", password: "ADMIN", suite: 17 }), "the factory password is back");
    assert.ok(!(await ipmitoolLogin(b, { user: "ADMIN", password: "Changed-Pass-1", suite: 17 })));
    const other = await run(by.dell, ["raw 0x3c 0x40"]);
    assert.match(other.text, /rsp=0xc1/, "other vendors answer the Supermicro OEM command with 0xC1");
  });

  it("dell: 16 slots, root on slot 2; slot 17 is out of range (0xC9)", async () => {
    const b = by.dell;
    const list = await run(b, ["user list 1"]);
    assert.match(list.text, /^2\s+root\s+/m);
    assert.match(list.text, /^16\s+/m);
    assert.doesNotMatch(list.text, /^17\s+/m);
    const r = await ipmiRaw(b, { ...creds(b) }, ["06 46 11"]);
    assert.deepEqual(rcvd(r.text), [[0x46, 0xc9]]);
  });

  it("hpe: the LAN is channel 2 (channel 1 is IPMB); unused slots are named (Empty User)", async () => {
    const b = by.hpe;
    const info = await run(b, ["channel info 2", "channel info 1"]);
    assert.match(info.text, /Channel 0x2 info:\s+Channel Medium Type\s+:\s+802\.3 LAN/);
    assert.match(info.text, /Channel 0x1 info:\s+Channel Medium Type\s+:\s+IPMB \(I2C\)/);
    const list = await run(b, ["user list 2"]);
    assert.match(list.text, /^3\s+\(Empty User\)\s+/m);
    assert.match(list.text, /^2\s+Administrator\s+true\s+true\s+true\s+ADMINISTRATOR$/m);
    const r = await run(b, ["user priv 3 3 1"]);
    assert.match(r.text, /Invalid data field in request/, "user access on channel 1 does not exist");
  });

  it("lenovo: 0xCC from Get User Name and enable/disable on unused slots, and from Set User Access until the account is enabled", async () => {
    const b = by.lenovo;
    const unused = await run(b, ["raw 0x06 0x46 0x03"]);
    assert.match(unused.text, /rsp=0xcc/);
    assert.match((await run(b, ["user disable 3"])).text, /Invalid data field in request/);
    const early = await run(b, ["user set name 3 ops", "user set password 3 Lenovo-Pass-1", "user priv 3 3 1"]);
    assert.match(early.text, /Set Privilege Level command failed \(user 3\)/, "access before enable is refused");
    assert.equal(b.account(3).access[1].privilege, "no-access");
    const inOrder = await run(b, ["user enable 3", "user priv 3 3 1", "channel setaccess 1 3 ipmi=on"]);
    assert.equal(inOrder.code, 0, inOrder.text);
    assert.ok(await ipmitoolLogin(b, { user: "ops", password: "Lenovo-Pass-1", suite: 17, privilege: "OPERATOR" }));
  });

  it("openbmc: root on slot 1 of 15; suite 3 refused; access per LAN channel (1 and 2); a session limit in Set User Access is 0xCC", async () => {
    const b = by.openbmc;
    const list = await run(b, ["user list 1"]);
    assert.match(list.text, /^1\s+root\s+true\s+true\s+true\s+ADMINISTRATOR$/m);
    assert.match(list.text, /^15\s+/m);
    assert.doesNotMatch(list.text, /^16\s+/m);
    const three = await ipmitool(b, { ...creds(b), suite: 3, verbose: true }, ["raw 0x06 0x01"]);
    assert.equal(three.code, 1);
    assert.match(three.text, /invalid authentication algorithm/);

    const setup = await run(b, ["user set name 3 ops", "user set password 3 Openbmc-Pass-1", "user enable 3", "raw 0x06 0x43 0x92 0x03 0x03 0x00"]);
    assert.equal(setup.code, 0, setup.text);
    assert.match((await run(b, ["channel getaccess 2 3"])).text, /Privilege Level\s+:\s+OPERATOR/);
    assert.match((await run(b, ["channel getaccess 1 3"])).text, /Privilege Level\s+:\s+NO ACCESS/);
    assert.deepEqual(b.account(3).access[1].privilege, "no-access");
    assert.ok(!(await ipmitoolLogin(b, { user: "ops", password: "Openbmc-Pass-1", suite: 17, privilege: "OPERATOR" })), "access on channel 2 only: no login on channel 1");
    await run(b, ["raw 0x06 0x43 0x91 0x03 0x03 0x00"]);
    assert.ok(await ipmitoolLogin(b, { user: "ops", password: "Openbmc-Pass-1", suite: 17, privilege: "OPERATOR" }));
    assert.match((await run(b, ["raw 0x06 0x43 0x91 0x03 0x03 0x01"])).text, /rsp=0xcc/);
  });
});
