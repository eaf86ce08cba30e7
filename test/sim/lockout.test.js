"use strict";
// Sim tier: rotating the login account's own password, and the lockout guards that need the BMC's user table (last
// administrator, renaming the login account). Out-of-band checks use the lab's ipmitool, never the provider's transport.
const assert = require("node:assert/strict");
const { Lab } = require("../lab/lab");
const { bmcUserProvider: provider } = require("../../dist");
const { WRITTEN_LABEL, forgetLoginMemory } = require("../../dist/ipmi/login");

// ≤16 bytes: ipmi_sim stores only 16.
const NEW_ADMIN = "Sentinel-Rot-613";
const HELPER = "Sentinel-Hlp-550";

async function checked(news, olds = {}) {
  const r = await provider.check(olds, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    for (const s of [NEW_ADMIN, HELPER]) assert.ok(!e.message.includes(s), `secret in ${e.message}`);
    return e;
  }
  assert.fail("expected the operation to fail");
}

describe("sim: rotating the login account and lockout guards", function () {
  this.timeout(60000);
  const lab = new Lab();
  let rot, guard;

  before(async () => {
    [rot, guard] = await lab.start([{ name: "rot" }, { name: "guard" }]);
  });
  after(() => lab.stop());
  afterEach(() => {
    forgetLoginMemory(); // each test as a run of its own
  });

  it("rotates ADMIN's own password: a fresh session proves it before success, and later operations log in with it first", async () => {
    const inputs = await checked({ bmc: rot.connection(), userId: 2, username: "ADMIN", password: NEW_ADMIN, privilege: "administrator" });
    const { outs } = await provider.create(inputs);
    assert.equal(outs.passwordState, "verified");
    assert.ok(await rot.canLogin("ADMIN", NEW_ADMIN, "ADMINISTRATOR"));
    assert.ok(!(await rot.canLogin("ADMIN", "ADMIN", "ADMINISTRATOR")), "old password gone");
    // Another resource in the same run still says the old bmc.password: it must not spend a rejected login on it.
    const other = await checked({ bmc: rot.connection(), username: "ops", password: HELPER, privilege: "operator" });
    const created = await provider.create(other);
    assert.equal(created.outs.bmcLogin, WRITTEN_LABEL);
    rot.admin.password = NEW_ADMIN;
  });

  it("rolls the login account back when the fresh session fails (ipmi_sim keeps 16 of 20 bytes), and says so", async () => {
    const twenty = "Sentinel-Rot-613-20b"; // 20 bytes; ipmi_sim stores the first 16, so a login with all 20 fails
    assert.equal(twenty.length, 20);
    const inputs = await checked({ bmc: rot.connection(), userId: 2, username: "ADMIN", password: twenty, privilege: "administrator" });
    const e = await rejection(provider.create(inputs));
    assert.equal(e.code, "BMC_ROTATION_ROLLED_BACK");
    assert.match(e.message, /previous password was restored/);
    assert.match(e.message, /host=127\.0\.0\.1/);
    assert.match(e.message, /slot=2/);
    assert.ok(!e.message.includes(twenty));
    assert.equal(e.properties.passwordState, "unknown", "the next up tries again");
    assert.ok(await rot.canLogin("ADMIN", NEW_ADMIN, "ADMINISTRATOR"), "the previous password still opens the BMC");
  });

  it("refuses to demote or delete the LAN channel's last administrator; allows it once another administrator exists", async () => {
    // ipmi_sim does not enforce the user's privilege limit at login (deviation 9), so a user-level helper can log in as
    // administrator while not counting as one in the user table: exactly the situation the guard protects against.
    const helper = await checked({ bmc: guard.connection(), userId: 3, username: "helper", password: HELPER, privilege: "user" });
    await provider.create(helper);
    const viaHelper = guard.connection({ username: "helper", password: HELPER });
    const demote = await checked({ bmc: viaHelper, userId: 2, username: "ADMIN", password: "ADMIN", privilege: "operator" });
    const e = await rejection(provider.create(demote));
    assert.equal(e.code, "SELF_LOCKOUT_REFUSED");
    assert.match(e.message, /last administrator on LAN channel 1/);
    assert.match(e.message, /allowSelfLockout/);
    assert.equal((await guard.slot(2)).privilege, 4, "nothing written");

    const keep = await checked({ bmc: viaHelper, userId: 2, username: "ADMIN", password: "ADMIN", privilege: "administrator" });
    const adopted = await provider.create(keep);
    const d = await rejection(provider.delete(adopted.id, adopted.outs));
    assert.equal(d.code, "SELF_LOCKOUT_REFUSED");
    assert.equal((await guard.slot(2)).name, "ADMIN");

    await guard.raw([[0x06, 0x43, 0x91, 3, 0x04, 0x00]]); // helper becomes an administrator out of band
    const ok = await provider.create(demote);
    assert.equal(ok.outs.privilege, "operator");
    assert.equal((await guard.slot(2)).privilege, 3);
  });

  it("refuses to rename the login account at update, before logging in", async () => {
    const prior = await checked({ bmc: rot.connection(), userId: 2, username: "ADMIN", password: NEW_ADMIN, privilege: "administrator" });
    const { id, outs } = await provider.create(prior);
    const renamed = { ...prior, username: "root2" };
    const failures = (await provider.check(prior, renamed)).failures;
    assert.deepEqual(failures.map((f) => f.property), ["username"]);
    assert.match(failures[0].reason, /rename/);
    const e = await rejection(provider.update(id, outs, renamed));
    assert.equal(e.code, "SELF_LOCKOUT_REFUSED");
    assert.equal((await rot.slot(2)).name, "ADMIN");
  });
});
