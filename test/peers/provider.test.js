"use strict";
// Peers tier: the BmcUser provider, through its current ipmitool transport at its DEFAULT cipher suite 17, on lab BMCs
// — what ipmi_sim cannot show (no suite 17, 16 of 20 password bytes kept, channels ignored, enable = messaging, no
// privilege limit at login, no lockout). The ipmi_sim tiers (test/sim, test/faults) stay the independent peer for the
// rest. What the BMC holds is read from the lab's table and, where a client can show it, with ipmitool out of band.
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { providerScan } = require("./provider-scan");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { requirePeers, ipmitool, ipmitoolLogin } = require("./clients");

// Sentinels: 20 bytes where the size matters (ipmi_sim would keep 16 of them).
const PW20 = "Sentinel-Lab-20-b!x9";
const OPS = "Sentinel-Lab-Ops-1!";
const VIEW = "Sentinel-Lab-View2!";
const WRONG = "Sentinel-Lab-Wrong3";
const WRONG2 = "Sentinel-Lab-Wrong4";
const SENTINELS = [PW20, OPS, VIEW, WRONG, WRONG2];
const { scan, checked, op } = providerScan(SENTINELS);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The provider's own defaults for timeout and retries (2 s, 2): the machines that run this tier are shared.
const connection = (bmc, password, extra = {}) => ({ host: bmc.host, port: bmc.port, username: bmc.admin.name, password, ...extra });

describe("peers: the BmcUser provider on the lab (default transport, native RMCP+; default suite 17)", function () {
  this.timeout(120000);
  const SETUP_MS = 1500;
  let lab, generic, openbmc, locky;

  before(async () => {
    requirePeers();
    lab = await startLab({
      bmcs: [{ vendor: "generic" }, { vendor: "openbmc" }, { vendor: "generic" }],
      setupTimeoutMs: SETUP_MS,
    });
    [generic, openbmc, locky] = lab.bmcs;
  });
  afterEach(() => {
    forgetLoginMemory(); // each test a run (a provider process) of its own
    for (const b of lab.bmcs) forgetLanChannel({ host: b.host, port: b.port });
  });
  after(() => lab?.stop());

  it("default suite 17: the provider's sessions are suite-17 sessions", async () => {
    const before = generic.counts().logins[17] ?? 0;
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "probe", password: OPS, privilege: "user" });
    assert.equal(inputs.bmc.cipherSuite ?? 17, 17);
    const { result, error } = await op(() => provider.create(inputs));
    assert.ok(!error, error?.message);
    assert.equal(result.outs.passwordState, "verified");
    assert.ok(generic.counts().logins[17] >= before + 2, "the admin session and the verification login");
    assert.equal(generic.counts().logins[3] ?? 0, 0);
    await op(() => provider.delete(result.id, result.outs));
  });

  it("an update that finds another account in the recorded slot moves ours to a free slot; the next refresh gives an id naming the new slot", async () => {
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "mover", password: OPS, privilege: "user" });
    const made = await op(() => provider.create(inputs));
    assert.ok(!made.error, made.error?.message);
    const { id, outs } = made.result;
    const old = outs.userId;
    assert.ok(id.endsWith(`/user${old}`), id);
    generic.table.seed({ slot: old, name: "intruder", password: VIEW, privilege: "operator" }); // another client took the slot
    const next = { ...inputs, privilege: "operator" };
    const moved = await op(() => provider.update(id, outs, next));
    assert.ok(!moved.error, moved.error?.message);
    const slot = moved.result.outs.userId;
    assert.notEqual(slot, old);
    assert.equal(generic.account(slot).name, "mover");
    assert.equal(generic.account(old).name, "intruder", "the other account is left alone");
    const refreshed = await op(() => provider.read(id, moved.result.outs));
    assert.ok(!refreshed.error, refreshed.error?.message);
    assert.equal(refreshed.result.id, id.replace(/\/user\d+$/, `/user${slot}`), "the id follows the account");
    assert.equal((await provider.diff(refreshed.result.id, refreshed.result.props, next)).changes, false, "and nothing else drifted");
    const again = await op(() => provider.read(refreshed.result.id, refreshed.result.props));
    assert.equal(again.result.id, refreshed.result.id, "an id that names the right slot is kept byte for byte");
    await op(() => provider.delete(refreshed.result.id, refreshed.result.props));
    generic.table.setName(old, "");
  });

  it("a 20-byte password: stored as 20 bytes, verified by a login with all 20, and a 16-byte prefix does not open the account", async () => {
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "twenty", password: PW20, privilege: "operator" });
    const { result, error } = await op(() => provider.create(inputs));
    assert.ok(!error, error?.message);
    const { id, outs } = result;
    assert.equal(outs.passwordSize, 20);
    assert.equal(outs.passwordState, "verified");
    const held = generic.account("twenty");
    assert.equal(held.passwordSize, 20);
    assert.equal(held.slot, outs.userId);
    assert.ok(await ipmitoolLogin(generic, { user: "twenty", password: PW20, suite: 17, privilege: "OPERATOR" }));
    assert.ok(!(await ipmitoolLogin(generic, { user: "twenty", password: PW20.slice(0, 16), suite: 17, privilege: "OPERATOR" })));
    const read = await op(() => provider.read(id, outs));
    assert.equal(read.result.props.passwordState, "verified");
    assert.deepEqual((await provider.diff(id, read.result.props, inputs)).changes, false, "the second plan is empty");
  });

  it("enable status apart from IPMI messaging: enabled false with messaging on is written and read back as such (enabledSource bmc)", async () => {
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "dormant", password: OPS, privilege: "user", enabled: false, ipmiMessaging: true, verifyPassword: "off" });
    const { result, error } = await op(() => provider.create(inputs));
    assert.ok(!error, error?.message);
    const held = generic.account("dormant");
    assert.equal(held.enabled, false);
    assert.equal(held.access[1].ipmiMessaging, true);
    assert.equal(result.outs.enabled, false);
    assert.equal(result.outs.enabledSource, "bmc");
    assert.ok(!(await ipmitoolLogin(generic, { user: "dormant", password: OPS, suite: 17, privilege: "USER" })), "disabled: no login");
    // Enabled behind Pulumi's back: refresh shows it; messaging stays as it was.
    assert.equal((await ipmitool(generic, { user: "ADMIN", password: "ADMIN" }, [`user enable ${held.slot}`])).code, 0);
    const read = await op(() => provider.read(result.id, result.outs));
    assert.equal(read.result.props.enabled, true);
    assert.equal(read.result.props.ipmiMessaging, true);
  });

  it("per-channel access (OpenBMC, LAN channels 1 and 2): the resource's channel is written, the other channel is untouched", async () => {
    const ch1 = await checked({ bmc: connection(openbmc, "0penBmc"), username: "ops", password: OPS, privilege: "operator", channel: 1 });
    const created = await op(() => provider.create(ch1));
    assert.ok(!created.error, created.error?.message);
    assert.equal(created.result.outs.vendor, "openbmc");
    assert.deepEqual([openbmc.account("ops").access[1].privilege, openbmc.account("ops").access[2].privilege], ["operator", "no-access"]);

    // Channel 2's access for the same account: sessions arrive on channel 1, so this one cannot be proven by login.
    const ch2 = await checked({ bmc: connection(openbmc, "0penBmc"), userId: created.result.outs.userId, username: "ops", password: OPS, privilege: "user", channel: 2, verifyPassword: "off" });
    const second = await op(() => provider.create(ch2));
    assert.ok(!second.error, second.error?.message);
    assert.match(second.result.id, /\/ch2\/user\d+$/);
    const held = openbmc.account("ops");
    assert.deepEqual([held.access[1].privilege, held.access[2].privilege], ["operator", "user"]);
    // Each resource reads its own channel back without drift.
    for (const [inputs, r] of [[ch1, created.result], [ch2, second.result]]) {
      const read = await op(() => provider.read(r.id, r.outs));
      assert.deepEqual((await provider.diff(r.id, read.result.props, inputs)).changes, false, r.id);
    }
  });

  it("the privilege limit at login: a user-level account is verified at its own level, cannot open an operator session, and cannot be the provider's login", async () => {
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "viewer", password: VIEW, privilege: "user" });
    const { result, error } = await op(() => provider.create(inputs));
    assert.ok(!error, error?.message);
    assert.equal(result.outs.passwordState, "verified");
    assert.ok(await ipmitoolLogin(generic, { user: "viewer", password: VIEW, suite: 17, privilege: "USER" }));
    assert.ok(!(await ipmitoolLogin(generic, { user: "viewer", password: VIEW, suite: 17, privilege: "OPERATOR" })));
    const asViewer = await checked({ bmc: { ...connection(generic, VIEW), username: "viewer" }, username: "other", password: OPS, privilege: "user" });
    const refused = await op(() => provider.create(asViewer));
    assert.ok(refused.error, "an administrator session cannot be opened as a user-level account");
    assert.equal(refused.error.code, "BMC_INSUFFICIENT_PRIVILEGE");
    assert.equal(generic.account("other"), undefined, "nothing was written");
  });

  it("lockout: each wrong candidate password counts exactly once and the operation is not retried; with a threshold of 1 the account locks and the provider is refused until it is unlocked", async () => {
    const bmc = locky;
    bmc.setLockout({ threshold: 0 });
    const allWrong = await checked({ bmc: connection(bmc, WRONG, { fallbackPasswords: [WRONG2] }), username: "ops", password: OPS, privilege: "operator" });
    const rejected = await op(() => provider.create(allWrong));
    assert.equal(rejected.error?.code, "BMC_LOGIN_REJECTED");
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.account(2).failedLogins, 2, "two wrong candidates, each tried once, no retry of the operation");

    bmc.table.recordLogin(2, true);
    bmc.setLockout({ threshold: 1, lockoutSeconds: 0 });
    // A new run: this process would not try WRONG on this account again (it was rejected above).
    forgetLoginMemory();
    const wrongFirst = await checked({ bmc: connection(bmc, WRONG), username: "ops2", password: OPS, privilege: "operator" });
    const failed = await op(() => provider.create(wrongFirst));
    assert.equal(failed.error?.code, "BMC_LOGIN_REJECTED");
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.account(2).locked, true);
    forgetLoginMemory(); // a new run
    const rightOnly = await checked({ bmc: connection(bmc, "ADMIN"), username: "ops2", password: OPS, privilege: "operator" });
    const locked = await op(() => provider.create(rightOnly));
    assert.equal(locked.error?.code, "BMC_LOGIN_REJECTED", "the right password is refused while locked");
    assert.equal(bmc.account("ops2"), undefined);

    // Unlocked out of band by another administrator.
    bmc.table.seed({ slot: 9, name: "helper", password: OPS, privilege: "administrator" });
    assert.equal((await ipmitool(bmc, { user: "helper", password: OPS }, ["user enable 2"])).code, 0);
    // A new run: the locked account refused "ADMIN" above, and this process would not try it on ADMIN again.
    forgetLoginMemory();
    const after = await op(() => provider.create(rightOnly));
    assert.ok(!after.error, after.error?.message);
    bmc.setLockout({ threshold: 0 });
  });

  it("lockout budget: 50 resources on one BMC declaring the same wrong login, at once, cost one rejected login in all; the account stays usable", async () => {
    const bmc = locky;
    bmc.table.recordLogin(2, true);
    bmc.setLockout({ threshold: 3, lockoutSeconds: 0 });
    const before = bmc.account(2).failedLogins;
    const wrong = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => checked({ bmc: connection(bmc, WRONG), username: `fleet${i}`, password: OPS, privilege: "user" })),
    );
    const outcomes = await Promise.all(wrong.map((inputs) => op(() => provider.create(inputs))));
    for (const o of outcomes) assert.equal(o.error?.code, "BMC_LOGIN_REJECTED", o.error?.message ?? "created");
    assert.equal(outcomes.filter((o) => /already rejected earlier in this run/.test(o.error.message)).length, 49);
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.account(2).failedLogins - before, 1, "one rejected login for the whole run");
    assert.equal(bmc.account(2).locked, false, "below the threshold of 3: not locked");
    const right = await op(async () => provider.create(await checked({ bmc: connection(bmc, "ADMIN"), username: "fleet-ok", password: OPS, privilege: "user" })));
    assert.ok(!right.error, right.error?.message);
    bmc.setLockout({ threshold: 0 });
  });

  it("a busy BMC (0xC0 on a write) is retried by the provider and the account converges", async () => {
    generic.inject({ busy: { count: 1, netFn: 0x06, cmd: 0x45 } });
    const inputs = await checked({ bmc: connection(generic, "ADMIN"), username: "patient", password: OPS, privilege: "user" });
    const { result, error } = await op(() => provider.create(inputs));
    generic.clearFaults();
    assert.ok(!error, error?.message);
    assert.equal(result.outs.passwordState, "verified");
    assert.equal(generic.account("patient").access[1].privilege, "user");
  });

  after(() => {
    assert.ok(scan.checks > 0);
  });
});
