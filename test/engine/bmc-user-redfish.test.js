"use strict";
// Engine tier: BmcUser over Redfish through the real dynamic-provider process, driven by the engine model
// (test/harness/engine.js), against the lab's iDRAC9 Redfish face (slot model). The program's registrations come from
// the installed package's own constructors; the provider process reaches the face over HTTPS with the pinned
// certificate.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { startRedfishBmc } = require("../lab/redfish-lab");
const { UNKNOWN, isSecret, reveal } = require("../harness/engine");
const { opsStack } = require("../harness/session");
const { assertNoSentinel } = require("../harness/secrets");

const ADMIN_PW = "Sentinel-Adm-7r2";
const USER_PW = "Sentinel-Ops-3m9";
const NEW_PW = "Sentinel-New-6d4";
const OOB_PW = "Sentinel-Oob-2k5";
const SENTINELS = [ADMIN_PW, USER_PW, NEW_PW, OOB_PW];

describe("engine: BmcUser over Redfish through the dynamic-provider process (iDRAC9 personality)", function () {
  this.timeout(120000);
  let bmc, stack, program, urn, statePath, session, withEngine, engine;

  before(async () => {
    bmc = await startRedfishBmc("idrac9", { adminPassword: ADMIN_PW });
    stack = opsStack({ connection: bmc.connection(), password: USER_PW, sentinels: SENTINELS, variants: { moved: { userId: 5 }, rotated: { userId: 5, password: NEW_PW } } });
    ({ program, urn, statePath, session, withEngine, engine } = stack);
  });
  after(async () => {
    await bmc.stop();
    stack?.remove();
  });

  it("preview: Check and Diff only, with unknowns; nothing reaches the BMC or the state", async () => {
    const unknownName = [{ ...program.base[0], inputs: { ...program.base[0].inputs, username: UNKNOWN } }];
    for (const regs of [program.base, unknownName]) {
      const { result } = await withEngine((e) => e.preview(regs));
      assert.deepEqual(result.byOp, { create: [urn] });
    }
    assert.equal(bmc.service.log.length, 0, "no request reached the BMC");
    assert.equal(fs.existsSync(statePath), false);
  });

  it("up creates the account in the first free slot; password and login are secret in state; id names the Redfish account", async () => {
    const { result, engine: e } = await withEngine((e) => e.up(program.base));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.byOp, { create: [urn] });
    const [r] = e.resources;
    assert.equal(r.id, `127.0.0.1:${bmc.port}/redfish/3`);
    assert.ok(isSecret(r.outputs.password) && isSecret(r.outputs.bmc));
    assert.equal(r.outputs.roleId, "Operator");
    assert.equal(r.outputs.passwordState, "verified");
    assertNoSentinel(SENTINELS, fs.readFileSync(statePath, "utf8"), "the state file");
    assert.ok(JSON.stringify(reveal(r)).includes(USER_PW), "the password is in state, encrypted");
    assert.equal(bmc.account("ops").slot, 3);
    assert.ok(bmc.canLogin("ops", USER_PW));
  });

  it("a second preview is empty", async () => {
    const { result } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(result.changes, []);
  });

  it("out-of-band drift (role over IPMI, password) shows in refresh, and up repairs it", async () => {
    bmc.table.setAccess(3, 1, { privilege: "user" });
    bmc.table.setPassword(3, OOB_PW, 16);
    const { result: refreshed, engine: e } = await withEngine((e) => e.refresh());
    assert.deepEqual(refreshed.byOp, { update: [urn] });
    assert.equal(e.resources[0].outputs.privilege, "user");
    assert.equal(e.resources[0].outputs.passwordState, "mismatch");
    const { result: up } = await withEngine((e) => e.up(program.base));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.byOp, { update: [urn] });
    assert.equal(bmc.table.access(3, 1).privilege, "operator");
    assert.ok(bmc.canLogin("ops", USER_PW));
    const { result: after } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(after.changes, []);
  });

  it("replace (userId 3 → 5) deletes the old account before creating the new one", async () => {
    const { result: preview } = await withEngine((e) => e.preview(program.moved));
    assert.equal(preview.steps[0].op, "replace");
    assert.deepEqual(preview.steps[0].replaces, ["userId"]);
    const { result, engine: e } = await withEngine((e) => e.up(program.moved));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.journal, [`delete 127.0.0.1:${bmc.port}/redfish/3`, `create ${urn}`]);
    assert.equal(bmc.table.view(3).name, "");
    assert.equal(bmc.table.view(5).name, "ops");
  });

  it("a partial failure (the BMC keeps another password than it accepted) is recorded and forces an update next time", async () => {
    bmc.service.afterRequest = (entry) => {
      if (entry.method === "PATCH" && entry.status < 300 && entry.body?.includes('"Password"')) bmc.table.setPassword(5, OOB_PW, 16);
    };
    let result, e;
    try {
      ({ result, engine: e } = await withEngine((e) => e.up(program.rotated)));
    } finally {
      bmc.service.afterRequest = undefined;
    }
    assert.equal(result.errors.length, 1);
    assert.ok(result.errors[0].initFailure, result.errors[0].message);
    const [r] = e.resources;
    assert.equal(r.id, `127.0.0.1:${bmc.port}/redfish/5`);
    assert.ok(r.initErrors.length > 0);
    const { result: preview } = await withEngine((e) => e.preview(program.rotated));
    assert.deepEqual(preview.byOp, { update: [urn] });
    const { result: fixed, engine: f } = await withEngine((e) => e.up(program.rotated));
    assert.deepEqual(fixed.errors, []);
    assert.equal(f.resources[0].initErrors, undefined);
    assert.ok(bmc.canLogin("ops", NEW_PW));
  });

  it("destroy clears the slot (disabled, role None, no name) with the stored outputs", async () => {
    const { result, engine: e } = await withEngine((e) => e.destroy());
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.resources, []);
    const v = bmc.table.view(5);
    assert.deepEqual([v.name, v.enabled, v.access[1].privilege], ["", false, "no-access"]);
  });

  it("no sentinel anywhere outside a secret: state file, provider output, errors, ids, argv, environment, the lab's request log", () => {
    session.assertNoLeaks({ minStates: 7 });
    assertNoSentinel(SENTINELS, JSON.stringify(bmc.service.log), "the lab's request log");
  });
});
