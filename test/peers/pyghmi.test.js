"use strict";
// Peers tier: pyghmi 1.5.34's IPMI client (Debian python3-pyghmi, /usr/bin/python3) against the lab. pyghmi proposes
// cipher suite 17 first, checks the message tag, session ids, the RAKP 2 code and RAKP 4 ICV, drops packets without a
// valid AuthCode or with a lower sequence number, and on RAKP 2 status 0x09/0x0D for an administrator login retries as
// operator (written for real BMCs that refuse the role there).
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { requirePeers, pyghmi, ipmitoolLogin } = require("./clients");

const PW20 = "Pyghmi-twenty-bytes!";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ok(r) {
  assert.equal(r.ok, true, r.error);
  for (const [i, step] of r.results.entries()) assert.equal(step.ok, true, `step ${i}: ${step.error}`);
  return r.results.map((s) => s.value);
}

describe("peers: pyghmi 1.5.34 client against the lab", function () {
  this.timeout(90000);
  const SETUP_MS = 1500;
  let lab, bmc, openbmc, idle;
  const admin = { user: "ADMIN", password: "ADMIN" };

  before(async () => {
    requirePeers();
    // A short idle timeout only where it is the subject: a loaded machine can leave pyghmi silent for a second.
    lab = await startLab({ bmcs: [{ vendor: "generic" }, { vendor: "openbmc" }, { vendor: "generic", idleTimeoutSeconds: 2 }], setupTimeoutMs: SETUP_MS });
    [bmc, openbmc, idle] = lab.bmcs;
  });
  after(() => lab?.stop());

  it("logs in at suite 17 (the lab counts it; OpenBMC offers nothing else) and reads the user table", async () => {
    for (const [b, creds] of [[bmc, admin], [openbmc, { user: "root", password: "0penBmc" }]]) {
      const before = b.counts().logins[17] ?? 0;
      const [device, users] = ok(await pyghmi(b, creds, [{ op: "raw", netfn: 6, command: 1 }, { op: "users", channel: 1 }]));
      assert.equal(device.code, 0);
      assert.equal(device.data[6] | (device.data[7] << 8) | (device.data[8] << 16), b.manufacturerId);
      const adminSlot = String(b.admin.slot);
      assert.equal(users[adminSlot].name, b.admin.name);
      assert.equal(users[adminSlot].access.privilege_level, "administrator");
      assert.equal(b.counts().logins[17], before + 1);
      assert.equal(b.counts().logins[3] ?? 0, 0);
    }
  });

  it("creates a user with a 20-byte password (pyghmi picks the 20-byte format itself); the BMC keeps 20 bytes; it logs in", async () => {
    ok(
      await pyghmi(bmc, admin, [
        { op: "set_user_name", uid: 4, name: "py" },
        { op: "set_user_password", uid: 4, password: PW20 },
        { op: "set_user_access", uid: 4, channel: 1, privilege_level: "operator" },
        { op: "set_user_password", uid: 4, mode: "enable" },
      ]),
    );
    const held = bmc.account(4);
    assert.equal(held.name, "py");
    assert.equal(held.passwordSize, 20);
    assert.equal(held.enabled, true);
    assert.equal(held.access[1].privilege, "operator");
    const [, test16] = ok(await pyghmi(bmc, admin, [{ op: "set_user_password", uid: 4, mode: "test_password", password: PW20 }, { op: "set_user_password", uid: 4, mode: "test_password", password: PW20.slice(0, 16) }]));
    assert.equal(test16, false, "a 16-byte test of a 20-byte password fails");
    assert.ok(await ipmitoolLogin(bmc, { user: "py", password: PW20, suite: 17, privilege: "OPERATOR" }), "and ipmitool agrees");
  });

  it("the privilege limit at login: an operator gets an operator session (RAKP 2 0x09, pyghmi retries lower); a user-level account cannot reach operator", async () => {
    const r = await pyghmi(bmc, { user: "py", password: PW20 }, [{ op: "raw", netfn: 6, command: 1 }]);
    ok(r);
    assert.equal(r.privlevel, 3);
    ok(await pyghmi(bmc, admin, [{ op: "set_user_access", uid: 4, channel: 1, privilege_level: "user" }]));
    const refused = await pyghmi(bmc, { user: "py", password: PW20 }, []);
    assert.equal(refused.ok, false);
    assert.match(refused.error, /Invalid role in RAKP2/);
    const asUser = await pyghmi(bmc, { user: "py", password: PW20, privlevel: 2 }, [{ op: "raw", netfn: 6, command: 0x44, data: [1, 2] }]);
    assert.equal(asUser.results[0].value.code, 0xd4, "Get User Access needs operator");
  });

  it("a wrong password: pyghmi finds the RAKP 2 code wrong; with a threshold of 1 the account locks and a later right password is refused", async () => {
    const wrong = await pyghmi(bmc, { user: "ADMIN", password: "Not-the-password" }, []);
    assert.equal(wrong.ok, false);
    assert.match(wrong.error, /Incorrect password provided/);
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.account(2).failedLogins, 1, "the RAKP 2 pyghmi left unanswered counted");
    ok(await pyghmi(bmc, admin, []));
    assert.equal(bmc.account(2).failedLogins, 0, "a good login clears the count");

    bmc.setLockout({ threshold: 1, lockoutSeconds: 0 });
    assert.equal((await pyghmi(bmc, { user: "py", password: "Not-the-password", privlevel: 2 }, [])).ok, false);
    await sleep(SETUP_MS + 300);
    const locked = await pyghmi(bmc, { user: "py", password: PW20, privlevel: 2 }, []);
    assert.equal(locked.ok, false);
    assert.match(locked.error, /Unauthorized name/i);
    ok(await pyghmi(bmc, admin, [{ op: "set_user_password", uid: 4, mode: "enable" }]));
    ok(await pyghmi(bmc, { user: "py", password: PW20, privlevel: 2 }, []));
    bmc.setLockout({ threshold: 0 });
  });

  it("a disabled account is refused while its IPMI messaging stays on", async () => {
    ok(await pyghmi(bmc, admin, [{ op: "set_user_password", uid: 4, mode: "disable" }]));
    assert.equal(bmc.account(4).access[1].ipmiMessaging, true);
    const r = await pyghmi(bmc, { user: "py", password: PW20, privlevel: 2 }, []);
    assert.equal(r.ok, false);
    assert.match(r.error, /Unauthorized name/i);
  });

  it("idle timeout: a session silent for longer than the timeout is gone — its next request gets no answer, a new session does", async () => {
    const r = await pyghmi(idle, admin, [
      { op: "raw_within", netfn: 6, command: 1, seconds: 2 },
      { op: "sleep", seconds: 2.6 },
      { op: "raw_within", netfn: 6, command: 1, seconds: 3 },
    ]);
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(r.results.map((s) => s.value?.answered), [true, undefined, false]);
    ok(await pyghmi(idle, admin, [{ op: "raw", netfn: 6, command: 1 }]));
  });
});
