"use strict";
// Peers tier: FreeIPMI 1.6.10 (Debian freeipmi-tools) against the lab at cipher suites 17 and 3: ipmi-raw for raw
// requests and completion codes, bmc-config (ipmi-config --category=core) for User sections and the bad-password lockout
// section Lan_Conf_User_Security. FreeIPMI validates what ipmitool does not (the authentication-capability bits, the
// granted Open Session privilege, K_g status), so a session opening at all is part of the proof.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { requirePeers, ipmiRaw, rcvd, bmcConfigCheckout, bmcConfigCommit, ipmitoolLogin } = require("./clients");

const TWENTY = "Freeipmi-20-bytes-pw";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (s, size) => [...Buffer.concat([Buffer.from(s, "latin1"), Buffer.alloc(size)]).subarray(0, size)].map((b) => b.toString(16).padStart(2, "0")).join(" ");

describe("peers: FreeIPMI 1.6.10 against the lab", function () {
  this.timeout(60000);
  const SETUP_MS = 1500;
  let lab, bmc, openbmc;
  const admin = { user: "ADMIN", password: "ADMIN", suite: 17 };

  before(async () => {
    requirePeers();
    lab = await startLab({ bmcs: [{ vendor: "supermicro" }, { vendor: "openbmc" }], setupTimeoutMs: SETUP_MS });
    [bmc, openbmc] = lab.bmcs;
  });
  after(() => lab?.stop());

  it("ipmi-raw -I 17 and -I 3: Get Device ID carries the manufacturer id; an unsupported command is 0xC1", async () => {
    for (const suite of [17, 3]) {
      const r = await ipmiRaw(bmc, { ...admin, suite }, ["06 01", "06 99", "2c 3e 00 02"]);
      assert.equal(r.code, 0, r.text);
      const [device, unknown, picmg] = rcvd(r.text);
      assert.deepEqual(device.slice(0, 2), [0x01, 0x00]);
      assert.deepEqual(device.slice(8, 11), [0x7c, 0x2a, 0x00], "10876, Super Micro");
      assert.deepEqual(unknown, [0x99, 0xc1]);
      assert.deepEqual(picmg, [0x3e, 0xc1]);
      assert.equal(bmc.counts().logins[suite] >= 1, true);
    }
  });

  it("bmc-config --commit of a User section with a 20-byte password: Supermicro refuses the 20-byte form, OpenBMC stores 20 bytes and ipmitool logs in with all of them", async () => {
    const r = await bmcConfigCommit(bmc, admin, `Section User3\n Username ops\n Password ${TWENTY}\n Enable_User Yes\n Lan_Enable_IPMI_Msgs Yes\n Lan_Privilege_Limit Operator\nEndSection\n`);
    // Supermicro refuses the 20-byte format (0xC8): bmc-config reports the Password key as failed.
    assert.notEqual(r.code, 0);
    assert.match(r.text, /Password/);
    assert.equal(bmc.account(3).passwordSize, undefined, "no password was stored");

    const o = await bmcConfigCommit(openbmc, { ...admin, user: "root", password: "0penBmc" }, `Section User3\n Username ops\n Password ${TWENTY}\n Enable_User Yes\n Lan_Enable_IPMI_Msgs Yes\n Lan_Privilege_Limit Operator\nEndSection\n`);
    assert.equal(o.code, 0, o.text);
    assert.equal(openbmc.account(3).passwordSize, 20);
    assert.ok(await ipmitoolLogin(openbmc, { user: "ops", password: TWENTY, suite: 17, privilege: "OPERATOR" }));
    const checkout = await bmcConfigCheckout(openbmc, { ...admin, user: "root", password: "0penBmc" }, ["User3"]);
    assert.deepEqual(
      { Username: checkout.sections.User3.Username, Enable_User: checkout.sections.User3.Enable_User, Msgs: checkout.sections.User3.Lan_Enable_IPMI_Msgs, Limit: checkout.sections.User3.Lan_Privilege_Limit },
      { Username: "ops", Enable_User: "Yes", Msgs: "Yes", Limit: "Operator" },
    );
  });

  it("16- vs 20-byte test (Set User Password op 3): the spec's 0x81 on the generic personality, none on OpenBMC (phosphor compares the text only)", async () => {
    const SHORT = "Short-pw-9"; // set in the 20-byte format, tested in the 16-byte one
    const generic = await startLab({ users: [{ id: 3, name: "ops", password: TWENTY, privilege: "operator" }] });
    try {
      const [g] = generic.bmcs;
      const r = await ipmiRaw(g, admin, [`06 47 83 03 ${hex(TWENTY, 20)}`, `06 47 03 03 ${hex(TWENTY.slice(0, 16), 16)}`, `06 47 83 03 ${hex("Freeipmi-20-bytes-pX", 20)}`, `06 47 83 02 ${hex(SHORT, 20)}`, `06 47 03 03 ${hex(SHORT, 16)}`]);
      assert.deepEqual(rcvd(r.text), [[0x47, 0x00], [0x47, 0x81], [0x47, 0x80], [0x47, 0x00], [0x47, 0x81]]);
    } finally {
      await generic.stop();
    }
    const root = { ...admin, user: "root", password: "0penBmc" };
    const o = await ipmiRaw(openbmc, root, [`06 47 03 03 ${hex(TWENTY, 16)}`, `06 47 84 02 ${hex(SHORT, 20)}`, `06 47 04 03 ${hex(SHORT, 16)}`]);
    assert.deepEqual(rcvd(o.text), [[0x47, 0x80], [0x47, 0x00], [0x47, 0x00]], "16 bytes of a 20-byte password differ; the same text in the other size matches");
  });

  it("bmc-config: Enable_User No leaves Lan_Enable_IPMI_Msgs Yes (separate bits); the disabled user cannot log in", async () => {
    const creds = { ...admin, user: "root", password: "0penBmc" };
    assert.equal((await bmcConfigCommit(openbmc, creds, "Section User3\n Enable_User No\nEndSection\n")).code, 0);
    const { sections } = await bmcConfigCheckout(openbmc, creds, ["User3"]);
    assert.equal(sections.User3.Enable_User, "No");
    assert.equal(sections.User3.Lan_Enable_IPMI_Msgs, "Yes");
    const r = await ipmiRaw(openbmc, { user: "ops", password: TWENTY, suite: 17, privilege: "OPERATOR" }, ["06 01"]);
    assert.equal(r.code, 1);
    assert.match(r.text, /username invalid/);
    assert.equal((await bmcConfigCommit(openbmc, creds, "Section User3\n Enable_User Yes\nEndSection\n")).code, 0);
  });

  it("privilege: a session above the user's limit is refused (at Set Session Privilege on OpenBMC), and commands above the session's level are 0xD4", async () => {
    const ops = { user: "ops", password: TWENTY, suite: 17 };
    const above = await ipmiRaw(openbmc, { ...ops, privilege: "ADMIN" }, ["06 01"]);
    assert.equal(above.code, 1, above.text);
    assert.match(above.text, /privilege level cannot be obtained for this user/);
    const r = await ipmiRaw(openbmc, { ...ops, privilege: "OPERATOR" }, ["06 44 01 03", `06 45 04 ${hex("x", 16)}`]);
    assert.deepEqual(rcvd(r.text).map((l) => l.slice(0, 2)), [[0x44, 0x00], [0x45, 0xd4]]);
  });

  it("Lan_Conf_User_Security: bmc-config sets LAN parameter 26; wrong passwords lock the user (username invalid), enabling unlocks", async () => {
    const creds = { ...admin, user: "root", password: "0penBmc" };
    const set = await bmcConfigCommit(openbmc, creds, "Section Lan_Conf_User_Security\n Bad_Password_Threshold 2\n Attempt_Count_Reset_Interval 6\n User_Lockout_Interval 0\n Enable_Event_Message_When_User_Disabled Yes\nEndSection\n");
    assert.equal(set.code, 0, set.text);
    assert.deepEqual(openbmc.lockout(), { threshold: 2, attemptResetSeconds: 60, lockoutSeconds: 0, auditEvent: true });
    const { sections } = await bmcConfigCheckout(openbmc, creds, ["Lan_Conf_User_Security"]);
    assert.deepEqual(sections.Lan_Conf_User_Security, { Bad_Password_Threshold: "2", Attempt_Count_Reset_Interval: "6", User_Lockout_Interval: "0", Enable_Event_Message_When_User_Disabled: "Yes" });

    const ops = { user: "ops", suite: 17, privilege: "OPERATOR" };
    for (let n = 0; n < 2; n++) {
      const wrong = await ipmiRaw(openbmc, { ...ops, password: "Not-the-password" }, ["06 01"]);
      assert.match(wrong.text, /password invalid/);
    }
    await sleep(SETUP_MS + 300);
    const locked = await ipmiRaw(openbmc, { ...ops, password: TWENTY }, ["06 01"]);
    assert.equal(locked.code, 1);
    assert.match(locked.text, /username invalid/);
    const { sections: user } = await bmcConfigCheckout(openbmc, creds, ["User3"]);
    assert.equal(user.User3.Enable_User, "No", "a locked user reads as disabled");
    assert.equal((await bmcConfigCommit(openbmc, creds, "Section User3\n Enable_User Yes\nEndSection\n")).code, 0);
    assert.equal((await ipmiRaw(openbmc, { ...ops, password: TWENTY }, ["06 01"])).code, 0);
  });

  it("OpenBMC offers only suite 17: -I 3 is refused in Open Session", async () => {
    const r = await ipmiRaw(openbmc, { user: "root", password: "0penBmc", suite: 3 }, ["06 01"]);
    assert.equal(r.code, 1);
    assert.match(r.text, /bad rmcpplus status code/);
  });
});
