"use strict";
// Peers tier: a BMC out of sessions (issue 16, item 4). The lab allows 2 sessions and pyghmi's client — another client,
// nobody's code here — holds one of them, so the provider has one session to share between six concurrent creates
// and their verification logins. The BMC answers "insufficient resources" (RMCP+ status 0x01) at Open Session, before
// any password is looked at: the provider waits and opens again within its budget, and only a BMC that stays full
// fails, with BMC_SESSION_LIMIT. Both transports: the native client sees the status, ipmitool prints its message.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { providerScan } = require("./provider-scan");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { requirePeers, pyghmi } = require("./clients");

const OPS = "Sentinel-Sess-Ops-1!";
const { checked, op } = providerScan([OPS]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** pyghmi's client logs in as the administrator and keeps its session open for `seconds`; resolves once the lab shows it. */
async function holdSession(bmc, seconds) {
  const before = bmc.sessions();
  const done = pyghmi(bmc, { user: bmc.admin.name, password: "ADMIN", privlevel: 4 }, [{ op: "sleep", seconds }]);
  for (let i = 0; i < 200 && bmc.sessions() <= before; i++) await sleep(25);
  assert.equal(bmc.sessions(), before + 1, "pyghmi holds a session");
  return { done };
}

for (const transport of ["native", "ipmitool"]) {
  describe(`peers: a BMC out of sessions (${transport} transport)`, function () {
    this.timeout(120000);
    let lab;
    const connection = (bmc) => ({ host: bmc.host, port: bmc.port, username: bmc.admin.name, password: "ADMIN", ...(transport === "ipmitool" ? { transport } : {}) });

    before(async () => {
      requirePeers();
      lab = await startLab({ bmcs: [{ vendor: "generic", maxSessions: 2 }, { vendor: "generic", maxSessions: 1 }, { vendor: "generic", maxSessions: 4 }], setupTimeoutMs: 1500, redfish: false });
    });
    afterEach(() => {
      forgetLoginMemory();
      for (const b of lab.bmcs) forgetLanChannel({ host: b.host, port: b.port });
      delete process.env.PULUMI_BMC_SESSION_WAIT_SECONDS;
    });
    after(() => lab?.stop());

    it("2 sessions allowed, 1 held by another client: 6 concurrent creates all succeed, verified, with at most 2 sessions per create", async () => {
      const bmc = lab.bmcs[0];
      const held = await holdSession(bmc, 4);
      const started = Date.now();
      const loginsBefore = Object.values(bmc.counts().logins).reduce((a, b) => a + b, 0);
      const inputs = await Promise.all(Array.from({ length: 6 }, (_, i) => checked({ bmc: connection(bmc), username: `busy${i}`, password: OPS, privilege: "operator" })));
      const outcomes = await Promise.all(inputs.map((i) => op(() => provider.create(i))));
      for (const o of outcomes) assert.ok(!o.error, `${o.error?.code}: ${o.error?.message}`);
      for (const [i, o] of outcomes.entries()) {
        assert.equal(o.result.outs.passwordState, "verified");
        assert.equal(bmc.account(`busy${i}`).access[1].privilege, "operator");
      }
      const logins = Object.values(bmc.counts().logins).reduce((a, b) => a + b, 0) - loginsBefore;
      // Each create: its admin session and one verification login; a retry after a timeout on a loaded machine may add one.
      assert.ok(logins <= 2 * 6 + 1, `${logins} sessions for 6 creates: each opens its admin session and one verification login`);
      assert.ok(bmc.sessions() <= 2);
      console.log(`      6 creates sharing one free session: ${Date.now() - started} ms, ${logins} sessions`);
      assert.equal((await held.done).ok, true, "the other client kept its session");
    });

    it("4 sessions allowed, 1 held by another client: 6 concurrent creates never hold more than 2 sessions at once, though the BMC has room for 3", async () => {
      const bmc = lab.bmcs[2];
      const held = await holdSession(bmc, 4);
      let most = 0;
      const sampler = setInterval(() => (most = Math.max(most, bmc.sessions() - 1)), 2);
      const inputs = await Promise.all(Array.from({ length: 6 }, (_, i) => checked({ bmc: connection(bmc), username: `room${i}`, password: OPS, privilege: "operator" })));
      const outcomes = await Promise.all(inputs.map((i) => op(() => provider.create(i))));
      clearInterval(sampler);
      for (const o of outcomes) assert.ok(!o.error, `${o.error?.code}: ${o.error?.message}`);
      assert.ok(most >= 1 && most <= 2, `at most 2 sessions of this provider at once (seen ${most})`);
      assert.equal((await held.done).ok, true);
    });

    it("1 session allowed and held for longer than the wait: the create fails with BMC_SESSION_LIMIT naming the session limit, nothing written", async () => {
      const bmc = lab.bmcs[1];
      process.env.PULUMI_BMC_SESSION_WAIT_SECONDS = "3";
      const held = await holdSession(bmc, 5);
      const inputs = await checked({ bmc: connection(bmc), username: "nosession", password: OPS, privilege: "user" });
      const started = Date.now();
      const { error } = await op(() => provider.create(inputs));
      const took = Date.now() - started;
      assert.equal(error?.code, "BMC_SESSION_LIMIT", error?.message);
      assert.equal(error.transient, true);
      assert.match(error.message, /session limit/);
      assert.match(error.hint, /hold the BMC's few sessions/);
      assert.ok(took >= 2900 && took < 5000, `waited within the budget (${took} ms)`);
      assert.equal(bmc.account("nosession"), undefined);
      assert.equal((await held.done).ok, true, "the other client kept its session");
    });
  });
}
