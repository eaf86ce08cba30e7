"use strict";
// Sim tier: the BmcUser provider object against simulated BMCs (ipmi_sim) through the real ipmitool.
// Out-of-band changes and checks use the lab's own ipmitool calls, never the provider's transport.
const assert = require("node:assert/strict");
const { Lab } = require("../lab/lab");
const { SentinelScan } = require("../lab/sentinels");
const { bmcUserProvider: provider } = require("../../dist");

// At most 16 bytes: ipmi_sim stores only 16 (its 20-byte deviation has a test of its own below).
const SENTINELS = ["Sentinel-Ops-471", "Sentinel-Mon-081", "Sentinel-Rot-202", "Sentinel-Adm-999"];

const scan = new SentinelScan(SENTINELS);

async function checked(news) {
  const r = await provider.check({}, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

function noSentinel(text) {
  for (const s of SENTINELS) assert.ok(!String(text).includes(s), `secret leaked into: ${text}`);
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    noSentinel(e.message);
    noSentinel(e.stack);
    if (e.reasons) noSentinel(e.reasons.join(" "));
    return e;
  }
  assert.fail("expected the operation to fail");
}

describe("sim: BmcUser against ipmi_sim", function () {
  this.timeout(120000);
  const lab = new Lab();
  let smc, dell, lenovo, hpe;

  before(async () => {
    [smc, dell, lenovo, hpe] = await lab.start([
      { name: "smc", vendor: "supermicro" },
      { name: "dell", vendor: "dell" },
      { name: "lnv", vendor: "lenovo" },
      { name: "hpe", vendor: "hpe" },
    ]);
  });
  after(() => lab.stop());

  describe("lifecycle: create → read → no drift → drift per field → update → delete → recreate", () => {
    let inputs, id, outs;

    it("create sets every field in one session, verifies by login, and keeps secrets off argv and env", async () => {
      inputs = await checked({ bmc: smc.connection(), username: "ops", password: SENTINELS[0], privilege: "operator" });
      const { result, error } = await scan.watch(() => provider.create(inputs));
      assert.ok(!error, error?.message);
      ({ id, outs } = result);
      assert.match(id, /^127\.0\.0\.1:\d+\/ch1\/user3$/);
      noSentinel(id);
      assert.equal(outs.userId, 3, "lowest free slot from 3");
      assert.equal(outs.channel, 1, "first 802.3 LAN channel");
      assert.equal(outs.passwordState, "verified");
      assert.equal(outs.passwordSize, 16);
      const slot = await smc.slot(3);
      assert.deepEqual(
        { name: slot.name, privilege: slot.privilege, msg: slot.ipmiMessaging, link: slot.linkAuth, callin: slot.callin },
        { name: "ops", privilege: 3, msg: true, link: true, callin: true },
      );
      assert.ok(await smc.canLogin("ops", SENTINELS[0], "OPERATOR"));
    });

    it("create again with the same inputs converges on the same slot (idempotent)", async () => {
      const again = await provider.create(inputs);
      assert.equal(again.id, id);
    });

    it("read reports no drift right after create (the second plan is empty)", async () => {
      const r = await provider.read(id, outs);
      assert.equal(r.id, id);
      assert.equal(r.props.passwordState, "verified");
      assert.deepEqual(r.props, outs, "the refresh reads back exactly the outputs create stored");
      const d = await provider.diff(id, r.props, inputs);
      assert.equal(d.changes, false, JSON.stringify(d));
    });

    const drifts = [
      ["username", (s) => s.raw([[0x06, 0x45, 3, ...Buffer.from("renamed"), ...new Array(9).fill(0)]])],
      ["privilege", (s) => s.raw([[0x06, 0x43, 0xb1, 3, 0x02, 0x00]])],
      ["linkAuth", (s) => s.raw([[0x06, 0x43, 0x91, 3, 0x03, 0x00]])],
      ["callin", (s) => s.raw([[0x06, 0x43, 0xf1, 3, 0x03, 0x00]])],
      // ipmi_sim folds IPMI messaging into "enabled": clearing it disables the user, which the login probe sees too.
      ["ipmiMessaging", (s) => s.raw([[0x06, 0x43, 0xa1, 3, 0x03, 0x00]]), ["enabled", "ipmiMessaging"]],
      ["enabled", (s) => s.raw([[0x06, 0x47, 3, 0x00]]), ["enabled", "ipmiMessaging"]],
      ["password", (s) => s.raw([[0x06, 0x47, 3, 0x02, ...Buffer.from("OutOfBand-Pass-1"), ...new Array(0).fill(0)]]), ["password"]],
    ];
    for (const [field, change, expected = [field]] of drifts) {
      it(`drift in ${field} alone is noticed by read+diff, and update repairs it`, async () => {
        await change(smc);
        const r = await provider.read(id, outs);
        assert.equal(r.id, id);
        const { diffBmcUser } = require("../../dist/bmcUser/plan");
        const fields = diffBmcUser(r.props, inputs).updates.sort();
        assert.deepEqual(fields, [...expected].sort(), `drift in ${field}`);
        assert.equal((await provider.diff(id, r.props, inputs)).changes, true);
        const u = await provider.update(id, r.props, inputs);
        outs = u.outs;
        assert.equal(outs.passwordState, "verified");
        const after = await provider.read(id, outs);
        assert.equal((await provider.diff(id, after.props, inputs)).changes, false, "converged after update");
        assert.ok(await smc.canLogin("ops", SENTINELS[0], "OPERATOR"));
      });
    }

    it("update applies an in-place change of privilege and password and nothing else", async () => {
      const next = await checked({ bmc: smc.connection(), username: "ops", password: SENTINELS[2], privilege: "user" });
      const d = await provider.diff(id, outs, next);
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, []);
      const u = await provider.update(id, outs, next);
      outs = u.outs;
      inputs = next;
      assert.equal((await smc.slot(3)).privilege, 2);
      assert.ok(await smc.canLogin("ops", SENTINELS[2], "USER"));
      assert.ok(!(await smc.canLogin("ops", SENTINELS[0], "USER")), "the old password no longer works");
    });

    it("delete disables, removes access, scrambles the password and clears the name", async () => {
      await provider.delete(id, outs);
      const slot = await smc.slot(3);
      assert.equal(slot.name, "");
      assert.equal(slot.privilege, 0x0f);
      assert.equal(slot.ipmiMessaging, false);
      assert.ok(!(await smc.canLogin("ops", SENTINELS[2], "USER")));
    });

    it("read of an emptied slot returns no id; delete of it is a no-op", async () => {
      const r = await provider.read(id, outs);
      assert.equal(r.id, undefined);
      await provider.delete(id, outs);
    });

    it("recreate after delete takes the freed slot again", async () => {
      const again = await provider.create(inputs);
      assert.equal(again.id, id);
      outs = again.outs;
      assert.ok(await smc.canLogin("ops", SENTINELS[2], "USER"));
    });
  });

  it("adopts the slot that already holds the user name", async () => {
    await dell.raw([[0x06, 0x45, 7, ...Buffer.from("monitor"), ...new Array(9).fill(0)]]);
    const inputs = await checked({ bmc: dell.connection(), username: "monitor", password: SENTINELS[1], privilege: "user", linkAuth: false });
    const { id, outs } = await provider.create(inputs);
    assert.match(id, /\/user7$/);
    assert.equal(outs.userId, 7);
    assert.ok(await dell.canLogin("monitor", SENTINELS[1], "USER"));
    assert.equal((await dell.slot(7)).linkAuth, false);
  });

  it("refuses to overwrite a slot that holds another account", async () => {
    const inputs = await checked({ bmc: dell.connection(), userId: 2, username: "ops", password: SENTINELS[0], privilege: "operator" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_SLOT_TAKEN");
    assert.ok(!e.id, "nothing was written, so nothing is recorded");
    assert.equal((await dell.slot(2)).name, "root");
  });

  it("reports slot exhaustion clearly and writes nothing", async () => {
    const fill = [];
    for (let i = 3; i <= 63; i++) fill.push([0x06, 0x45, i, ...Buffer.from(`u${i}`), ...new Array(16 - `u${i}`.length).fill(0)]);
    await lenovo.raw(fill);
    const inputs = await checked({ bmc: lenovo.connection(), username: "late", password: SENTINELS[0], privilege: "user" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_NO_FREE_SLOT");
    assert.match(e.message, /slots 3-63/);
    await lenovo.raw([[0x06, 0x45, 40, ...new Array(16).fill(0)]]);
    const ok = await provider.create(inputs);
    assert.equal(ok.outs.userId, 40, "a freed slot is found");
  });

  it("a wrong login password fails once, without a retry loop; a fallback password logs in", async () => {
    const wrong = await checked({ bmc: hpe.connection({ password: SENTINELS[3] }), username: "ops", password: SENTINELS[0], privilege: "operator" });
    const started = Date.now();
    const e = await rejection(provider.create(wrong));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.match(e.message, /each password was tried once|tried/i);
    assert.ok(Date.now() - started < 5000);
    const withFallback = await checked({
      bmc: hpe.connection({ password: SENTINELS[3], fallbackPasswords: ["Wrong-Again-1", hpe.admin.password] }),
      username: "ops",
      password: SENTINELS[0],
      privilege: "operator",
    });
    const { outs } = await provider.create(withFallback);
    assert.equal(outs.bmcLogin, "fallbackPasswords[1]");
  });

  it("an unreachable BMC fails fast with a short timeout and a typed error", async () => {
    const inputs = await checked({ bmc: { ...smc.connection(), port: 9 }, username: "ops", password: SENTINELS[0], privilege: "operator" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_UNREACHABLE");
    assert.equal(e.context.port, 9);
    assert.match(e.message, /reachable/);
  });

  it("a login failure names the slot the operation concerns", async () => {
    const inputs = await checked({ bmc: { ...smc.connection(), port: 9 }, userId: 5, username: "ops", password: SENTINELS[0], privilege: "operator" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_UNREACHABLE");
    assert.equal(e.context.slot, 5);
    assert.match(e.message, /slot=5/);
  });

  it("a DNS failure names the host problem", async () => {
    const inputs = await checked({ bmc: { ...smc.connection(), host: "bmc.nonexistent.invalid" }, username: "ops", password: SENTINELS[0], privilege: "operator" });
    assert.equal((await rejection(provider.create(inputs))).code, "BMC_DNS_FAILED");
  });

  it("bad inputs given straight to create are refused with the field named, not a crash", async () => {
    const e = await rejection(provider.create({ bmc: smc.connection(), username: "x".repeat(30), password: SENTINELS[0], privilege: "root" }));
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.message, /username/);
    assert.match(e.message, /privilege/);
  });

  it("a password the BMC silently truncates (ipmi_sim keeps 16 of 20 bytes) is caught by the login probe and recorded as a partial failure", async () => {
    const inputs = await checked({ bmc: hpe.connection(), username: "longpw", password: "Twenty-byte-pass-XYZ", privilege: "user" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_PASSWORD_NOT_VERIFIED");
    assert.match(e.id, /\/user\d+$/, "the account exists, so the engine must record it");
    assert.equal(e.properties.__provider, "test-provider-ref", "partial state carries __provider");
    assert.equal(e.properties.passwordState, "mismatch");
    assert.equal(e.properties.passwordSize, 20);
    assert.equal(e.reasons.length, 1);
  });

  it("manages the login account itself: rotation works, demotion and deletion are refused", async () => {
    const conn = smc.connection();
    const rotate = await checked({ bmc: conn, username: "ADMIN", password: SENTINELS[3], privilege: "administrator" });
    const { id, outs } = await provider.create(rotate);
    assert.match(id, /\/user2$/);
    assert.ok(await smc.canLogin("ADMIN", SENTINELS[3], "ADMINISTRATOR"));
    smc.admin.password = SENTINELS[3];
    const e = await rejection(provider.delete(id, outs));
    assert.equal(e.code, "SELF_LOCKOUT_REFUSED");
    assert.ok(await smc.canLogin("ADMIN", SENTINELS[3], "ADMINISTRATOR"), "still usable");
    // The program still says the old bmc.password: the operation logs in with the rotated one instead.
    const r = await provider.read(id, outs);
    assert.equal(r.props.passwordState, "verified");
  });

  it("concurrent creates on one BMC never race for the same slot", async () => {
    const names = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const all = await Promise.all(
      names.map(async (n) => provider.create(await checked({ bmc: dell.connection(), username: n, password: SENTINELS[1], privilege: "user" }))),
    );
    const slots = all.map((r) => r.outs.userId);
    assert.equal(new Set(slots).size, names.length, `distinct slots: ${slots}`);
    for (const n of names) assert.ok(await dell.canLogin(n, SENTINELS[1], "USER"), n);
  });
});
