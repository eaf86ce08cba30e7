"use strict";
// Peers tier: the lockout budget on a BMC that reports a bad-password threshold (issue 16, item 2). Rejected logins are
// counted from the lab's own record (`rejectedLogins`: every failed password proof of the slot, never reset), after
// the lab's setup timeout has turned each unanswered RAKP 2 into a failed login. Both transports: the native client
// and ipmitool both stop after a RAKP 2 that does not prove the password.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { providerScan } = require("./provider-scan");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { requirePeers, ipmitool, bmcConfigCommit } = require("./clients");

const OPS = "Sentinel-Budget-Ops1";
const DRIFTED = "Sentinel-Budget-Drft";
const WRONG = ["Sentinel-Budget-W1x", "Sentinel-Budget-W2x", "Sentinel-Budget-W3x", "Sentinel-Budget-W4x"];
const { checked, op } = providerScan([OPS, DRIFTED, ...WRONG]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SETUP_MS = 1000;

for (const transport of ["native", "ipmitool"]) {
  describe(`peers: the lockout budget on a BMC with a bad-password threshold (${transport} transport)`, function () {
    this.timeout(120000);
    let lab;
    const connection = (bmc, password, extra = {}) => ({ host: bmc.host, port: bmc.port, username: bmc.admin.name, password, ...(transport === "ipmitool" ? { transport } : {}), ...extra });
    /** Rejected logins of `slot` since `before`, once the lab has counted every unanswered RAKP 2. */
    const rejectedSince = async (bmc, slot, before) => {
      await sleep(SETUP_MS + 1200);
      return bmc.account(slot).rejectedLogins - before;
    };

    before(async () => {
      requirePeers();
      lab = await startLab({ bmcs: [{ vendor: "generic", lockout: { threshold: 3 } }, { vendor: "generic", lockout: { threshold: 2 } }], setupTimeoutMs: SETUP_MS, redfish: false });
    });
    beforeEach(() => forgetLoginMemory()); // each test a run (a provider process) of its own
    afterEach(() => {
      for (const b of lab.bmcs) forgetLanChannel({ host: b.host, port: b.port });
    });
    after(() => lab?.stop());

    it("threshold 3, four distinct wrong candidates: the run spends 2 rejected logins (threshold − 1), says so, and the account stays usable", async () => {
      const bmc = lab.bmcs[0];
      // The run's first session on this BMC reads its threshold (LAN parameter 26).
      const first = await op(async () => provider.create(await checked({ bmc: connection(bmc, "ADMIN"), username: "first", password: OPS, privilege: "user" })));
      assert.ok(!first.error, first.error?.message);
      const before = bmc.account(2).rejectedLogins;
      const typo = await checked({ bmc: connection(bmc, WRONG[0], { fallbackPasswords: WRONG.slice(1) }), username: "typo", password: OPS, privilege: "user" });
      const { error } = await op(() => provider.create(typo));
      assert.equal(error?.code, "BMC_LOGIN_REJECTED");
      assert.match(error.message, /locks an account after 3 failed logins/);
      assert.match(error.message, /budget of 2 rejected logins/);
      assert.match(error.message, /fallbackPasswords\[2\]/, "names the candidates it did not try");
      assert.equal(await rejectedSince(bmc, 2, before), 2, "threshold − 1 rejected logins, not one per candidate");
      assert.equal(bmc.account(2).locked, false);
      // Same run: another resource with another wrong password spends nothing more; the right password still opens.
      const again = await op(async () => provider.create(await checked({ bmc: connection(bmc, "Sentinel-Budget-W9x"), username: "typo2", password: OPS, privilege: "user" })));
      assert.equal(again.error?.code, "BMC_LOGIN_REJECTED");
      const right = await op(async () => provider.create(await checked({ bmc: connection(bmc, "ADMIN"), username: "after", password: OPS, privilege: "user" })));
      assert.ok(!right.error, right.error?.message);
      assert.equal(bmc.account(2).rejectedLogins - before, 2);
      assert.equal(bmc.account(2).locked, false);
    });

    it("repeated distinct wrong candidates: rejected logins ≤ distinct candidates (and ≤ threshold − 1)", async () => {
      const bmc = lab.bmcs[0];
      bmc.table.unlock(2);
      bmc.table.recordLogin(2, true);
      const ok = await op(async () => provider.create(await checked({ bmc: connection(bmc, "ADMIN"), username: "first2", password: OPS, privilege: "user" })));
      assert.ok(!ok.error, ok.error?.message);
      const before = bmc.account(2).rejectedLogins;
      const dup = await checked({ bmc: connection(bmc, WRONG[0], { fallbackPasswords: [WRONG[0], WRONG[0], "ADMIN"] }), username: "dup", password: OPS, privilege: "user" });
      const created = await op(() => provider.create(dup));
      assert.ok(!created.error, created.error?.message);
      assert.equal(created.result.outs.bmcLogin, "fallbackPasswords[2]");
      assert.ok((await rejectedSince(bmc, 2, before)) <= 1, "one distinct wrong candidate: at most one rejected login (the lab forgives an unanswered RAKP 2 when the same source port logs in next)");
    });

    it("threshold 2, refresh of three states whose recorded password drifted: the verification probes spend 1 rejected login, the account is not locked", async () => {
      const bmc = lab.bmcs[1];
      const inputs = await checked({ bmc: connection(bmc, "ADMIN"), username: "drift", password: OPS, privilege: "user" });
      const created = await op(() => provider.create(inputs));
      assert.ok(!created.error, created.error?.message);
      const { id, outs } = created.result;
      const slot = outs.userId;
      // Changed out of band (another administrator, with ipmitool).
      assert.equal((await ipmitool(bmc, { user: "ADMIN", password: "ADMIN" }, [`user set password ${slot} ${DRIFTED}`])).code, 0);
      forgetLoginMemory(); // a new run: `pulumi refresh`
      const before = bmc.account(slot).rejectedLogins;
      // The first refresh learns the threshold in its administrator session before its probe starts.
      const states = [OPS, WRONG[0], WRONG[1]].map((password) => ({ ...outs, password }));
      const reads = [];
      for (const props of states) reads.push(await op(() => provider.read(id, props)));
      for (const r of reads) assert.ok(!r.error, r.error?.message);
      assert.equal(reads[0].result.props.passwordState, "mismatch", "the first probe proves the drift");
      for (const r of reads.slice(1)) assert.notEqual(r.result.props.passwordState, "verified");
      assert.equal(await rejectedSince(bmc, slot, before), 1, "threshold − 1 = 1 rejected login for the whole refresh");
      assert.equal(bmc.account(slot).locked, false, "the drifted account is not locked out");
    });

    it("a threshold written by FreeIPMI's bmc-config (parameter 26 in its encoding) is the one the budget uses", async () => {
      const bmc = lab.bmcs[0];
      bmc.table.unlock(2);
      bmc.table.recordLogin(2, true);
      const set = await bmcConfigCommit(bmc, { user: "ADMIN", password: "ADMIN" }, "Section Lan_Conf_User_Security\n Bad_Password_Threshold 4\n Attempt_Count_Reset_Interval 0\n User_Lockout_Interval 0\nEndSection\n");
      assert.equal(set.code, 0, set.text);
      const ok = await op(async () => provider.create(await checked({ bmc: connection(bmc, "ADMIN"), username: "fi4", password: OPS, privilege: "user" })));
      assert.ok(!ok.error, ok.error?.message);
      const typo = await checked({ bmc: connection(bmc, WRONG[0], { fallbackPasswords: WRONG.slice(1) }), username: "fi4typo", password: OPS, privilege: "user" });
      const { error } = await op(() => provider.create(typo));
      assert.equal(error?.code, "BMC_LOGIN_REJECTED");
      assert.match(error.message, /locks an account after 4 failed logins/);
      assert.match(error.message, /budget of 3 rejected logins/);
      bmc.table.unlock(2);
    });
  });
}
