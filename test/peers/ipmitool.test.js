"use strict";
// Peers tier: ipmitool 1.8.19 (Debian) against the lab, at cipher suites 17 and 3. Every account behaviour of the lab is
// shown through a client nobody here wrote: user commands and their read-backs, 16- and 20-byte passwords with
// `user test`, the privilege limit at login and per command, enable status apart from IPMI messaging, wrong passwords,
// bad-password lockout and unlock (LAN parameter 26 set with `lan set … bad_pass_thresh`), cipher suite 0 only on the
// insecure personality. The lab's own table (`bmc.account`) is read only to show what the BMC holds.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { requirePeers, ipmitool, ipmitoolLogin, rawBytes } = require("./clients");

const SIXTEEN = "Sixteen-Bytes-16";
const TWENTY = "Twenty-Byte-Pass-20b";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function expectOk(r, what) {
  assert.equal(r.code, 0, `${what}: rc ${r.code}\n${r.text}`);
  return r.text;
}

describe("peers: ipmitool 1.8.19 against the lab", function () {
  this.timeout(60000);
  let lab;
  // Short setup timeout: a RAKP 2 nobody answers counts as a failed login after 800 ms instead of 3 s.
  const SETUP_MS = 1500;

  before(async () => {
    requirePeers();
    lab = await startLab({ count: 4, setupTimeoutMs: SETUP_MS });
  });
  after(() => lab?.stop());

  for (const [i, suite] of [[0, 17], [1, 3]]) {
    describe(`-C ${suite}`, () => {
      let bmc;
      const admin = { user: "ADMIN", password: "ADMIN", suite };
      const as = (user, password, privilege) => ({ user, password, suite, privilege });
      before(() => {
        bmc = lab.bmcs[i];
      });

      it("mc info names the manufacturer; the session used this suite; Close Session is answered inside it", async () => {
        const before = bmc.counts().logins[suite] ?? 0;
        const text = expectOk(await ipmitool(bmc, { ...admin, verbose: 2 }, ["mc info"]), "mc info");
        assert.match(text, /Manufacturer ID\s+:\s+32473/);
        assert.match(text, /IPMI Version\s+:\s+2\.0/);
        assert.match(text, /Closed Session [0-9a-f]+/);
        assert.doesNotMatch(text, /Close Session command failed/);
        assert.equal(bmc.counts().logins[suite], before + 1);
        assert.equal(bmc.sessions(), 0, "the closed session is gone");
      });

      it("channel info: 802.3 LAN, multi-session, access mode always available (Get Channel Info and Get Channel Access)", async () => {
        const text = expectOk(await ipmitool(bmc, admin, ["channel info 1"]), "channel info");
        assert.match(text, /Channel Medium Type\s+:\s+802\.3 LAN/);
        assert.match(text, /Session Support\s+:\s+multi-session/);
        assert.match(text, /Access Mode\s+:\s+always available/);
      });

      it("user list shows the factory administrator on slot 2 and 15 slots", async () => {
        const text = expectOk(await ipmitool(bmc, admin, ["user list 1"]), "user list");
        assert.match(text, /^2\s+ADMIN\s+true\s+true\s+true\s+ADMINISTRATOR$/m);
        assert.match(text, /^15\s+/m);
        assert.doesNotMatch(text, /^16\s+/m);
      });

      it("user set name + set password (16) + user test 16/20: the BMC keeps the 16-byte size; the new user logs in", async () => {
        const text = expectOk(
          await ipmitool(bmc, admin, [
            "user set name 3 ops",
            `user set password 3 ${SIXTEEN} 16`,
            "user priv 3 3 1",
            "channel setaccess 1 3 ipmi=on",
            "user enable 3",
            `user test 3 16 ${SIXTEEN}`,
          ]),
          "create ops",
        );
        assert.match(text, /Set User Password command successful \(user 3\)/);
        assert.match(text, /^Success$/m);
        assert.equal(bmc.account(3).passwordSize, 16);
        const wrongSize = await ipmitool(bmc, admin, [`user test 3 20 ${SIXTEEN}`]);
        assert.match(wrongSize.text, /Failure: wrong password size/);
        const wrongData = await ipmitool(bmc, admin, [`user test 3 16 ${SIXTEEN.replace(/6$/, "7")}`]);
        assert.match(wrongData.text, /Failure: password incorrect/);
        assert.ok(await ipmitoolLogin(bmc, as("ops", SIXTEEN, "OPERATOR")));
      });

      it("user set password (20): all 20 bytes are kept — user test 20 passes, test 16 is the wrong size, a 16-byte prefix does not log in", async () => {
        expectOk(await ipmitool(bmc, admin, [`user set password 3 ${TWENTY} 20`]), "set 20");
        assert.equal(bmc.account(3).passwordSize, 20);
        assert.match((await ipmitool(bmc, admin, [`user test 3 20 ${TWENTY}`])).text, /^Success$/m);
        assert.match((await ipmitool(bmc, admin, [`user test 3 16 ${TWENTY.slice(0, 16)}`])).text, /Failure: wrong password size/);
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR")));
        assert.ok(!(await ipmitoolLogin(bmc, as("ops", TWENTY.slice(0, 16), "OPERATOR"))), "ipmi_sim would accept the prefix");
      });

      it("user priv + channel getaccess: the limit is what the BMC enforces at login and per command (0xD4)", async () => {
        expectOk(await ipmitool(bmc, admin, ["user priv 3 2 1"]), "user priv");
        const access = expectOk(await ipmitool(bmc, admin, ["channel getaccess 1 3"]), "getaccess");
        assert.match(access, /Privilege Level\s+:\s+USER/);
        assert.equal(bmc.account(3).access[1].privilege, "user");
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "USER")));
        const above = await ipmitool(bmc, { ...as("ops", TWENTY, "OPERATOR"), verbose: true }, ["raw 0x06 0x01"]);
        assert.equal(above.code, 1);
        assert.match(above.text, /RAKP 2 message indicates an error : invalid role/);
        const perCommand = await ipmitool(bmc, as("ops", TWENTY, "USER"), ["raw 0x06 0x44 0x01 0x02"]);
        assert.match(perCommand.text, /rsp=0xd4/);
        expectOk(await ipmitool(bmc, admin, ["user priv 3 3 1"]), "back to operator");
      });

      it("username/privilege lookup (-L LEVEL+): only the user's exact limit opens a session", async () => {
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR+")));
        for (const level of ["ADMINISTRATOR+", "USER+"]) {
          const r = await ipmitool(bmc, { ...as("ops", TWENTY, level), verbose: true }, ["raw 0x06 0x01"]);
          assert.equal(r.code, 1, level);
          assert.match(r.text, /RAKP 2 message indicates an error : unauthorized name/, level);
        }
      });

      it("user disable / enable: the enable status is its own bit, apart from IPMI messaging", async () => {
        expectOk(await ipmitool(bmc, admin, ["user disable 3"]), "disable");
        const access = expectOk(await ipmitool(bmc, admin, ["channel getaccess 1 3"]), "getaccess");
        assert.match(access, /Enable Status\s+:\s+disabled/);
        assert.match(access, /IPMI Messaging\s+:\s+enabled/, "disabling leaves messaging on");
        assert.ok(!(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR"))));
        expectOk(await ipmitool(bmc, admin, ["user enable 3"]), "enable");
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR")));
        // Messaging off (raw: ipmitool's setaccess turns every "=off" on) while the account stays enabled.
        expectOk(await ipmitool(bmc, admin, ["raw 0x06 0x43 0x81 0x03 0x03 0x00"]), "messaging off");
        const off = expectOk(await ipmitool(bmc, admin, ["channel getaccess 1 3"]), "getaccess");
        assert.match(off, /Enable Status\s+:\s+enabled/);
        assert.match(off, /IPMI Messaging\s+:\s+disabled/);
        assert.ok(!(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR"))));
        expectOk(await ipmitool(bmc, admin, ["channel setaccess 1 3 ipmi=on"]), "messaging on");
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR")));
      });

      it("a wrong password is refused: ipmitool finds the RAKP 2 HMAC invalid", async () => {
        const r = await ipmitool(bmc, { ...as("ops", "Not-The-Password", "OPERATOR"), verbose: true }, ["raw 0x06 0x01"]);
        assert.equal(r.code, 1);
        assert.match(r.text, /RAKP 2 HMAC is invalid/);
        assert.match(r.text, /Unable to establish IPMI v2 \/ RMCP\+ session/);
        await sleep(SETUP_MS + 300); // let the unanswered RAKP 2 count, then clear the count with a good login
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR")));
      });

      it("lockout: lan set bad_pass_thresh, wrong passwords lock the account (reported disabled), user enable unlocks it", async () => {
        expectOk(await ipmitool(bmc, admin, ["lan set 1 bad_pass_thresh 2 1 0 0"]), "bad_pass_thresh");
        assert.match(expectOk(await ipmitool(bmc, admin, ["lan print 1"]), "lan print"), /Bad Password Threshold\s+:\s+2/);
        assert.deepEqual(bmc.lockout(), { threshold: 2, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: true });
        for (let n = 0; n < 2; n++) assert.ok(!(await ipmitoolLogin(bmc, as("ops", "Not-The-Password", "OPERATOR"))));
        await sleep(SETUP_MS + 300);
        const locked = await ipmitool(bmc, { ...as("ops", TWENTY, "OPERATOR"), verbose: true }, ["raw 0x06 0x01"]);
        assert.equal(locked.code, 1, "the right password is refused while locked");
        assert.match(locked.text, /unauthorized name/);
        assert.match(expectOk(await ipmitool(bmc, admin, ["channel getaccess 1 3"]), "getaccess"), /Enable Status\s+:\s+disabled/);
        assert.equal(bmc.account(3).locked, true);
        expectOk(await ipmitool(bmc, admin, ["user enable 3"]), "unlock");
        assert.ok(await ipmitoolLogin(bmc, as("ops", TWENTY, "OPERATOR")));
        expectOk(await ipmitool(bmc, admin, ["lan set 1 bad_pass_thresh 0 0 0 0"]), "lockout off");
      });
    });
  }

  it("lockout interval: a locked account logs in again once the interval has passed", async () => {
    const bmc = lab.bmcs[2];
    bmc.setLockout({ threshold: 1, lockoutSeconds: 2 });
    assert.ok(!(await ipmitoolLogin(bmc, { user: "ADMIN", password: "wrong-password", suite: 17 })));
    await sleep(SETUP_MS + 300);
    assert.ok(!(await ipmitoolLogin(bmc, { user: "ADMIN", password: "ADMIN", suite: 17 })), "locked");
    await sleep(2000);
    assert.ok(await ipmitoolLogin(bmc, { user: "ADMIN", password: "ADMIN", suite: 17 }), "unlocked by time");
  });

  it("cipher suites: without -C ipmitool picks 17 from Get Channel Cipher Suites; -C 0 is refused unless the insecure personality is asked for", async () => {
    const bmc = lab.bmcs[3];
    const listed = expectOk(await ipmitool(bmc, { user: "ADMIN", password: "ADMIN", suite: 17 }, ["channel getciphers ipmi 1"]), "getciphers");
    assert.match(listed, /^17\s+N\/A\s+hmac_sha256\s+sha256_128\s+aes_cbc_128\s*$/m);
    assert.match(listed, /^3\s+N\/A\s+hmac_sha1\s+hmac_sha1_96\s+aes_cbc_128\s*$/m);
    const zero = await ipmitool(bmc, { user: "ADMIN", password: "ADMIN", suite: 0, verbose: true }, ["raw 0x06 0x01"]);
    assert.equal(zero.code, 1);
    assert.match(zero.text, /invalid authentication algorithm|no cipher suite match/);

    const insecure = await startLab({ insecureCipherSuiteZero: true });
    try {
      const [open] = insecure.bmcs;
      // Suite 0 logs anyone in with any password (CVE-2013-4782): the reason clients must never propose it.
      const anyPassword = await ipmitool(open, { user: "ADMIN", password: "not-the-password", suite: 0 }, ["raw 0x06 0x44 0x01 0x02"]);
      assert.equal(anyPassword.code, 0, anyPassword.text);
      assert.deepEqual(rawBytes(anyPassword.text), [0x0f, 0x41, 0x01, 0x34]);
      const auto = await ipmitool(open, { user: "ADMIN", password: "ADMIN", suite: "auto", verbose: true }, ["raw 0x06 0x01"]);
      assert.equal(auto.code, 0, auto.text);
      assert.match(auto.text, /Using best available cipher suite 17/);
    } finally {
      await insecure.stop();
    }
  });
});
