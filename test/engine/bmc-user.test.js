"use strict";
// Engine tier: BmcUser through the real dynamic-provider process, driven by the engine model (test/harness/engine.js)
// against an ipmi_sim BMC. The program's registrations come from the installed package's own constructors.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { Lab } = require("../lab/lab");
const { Engine, UNKNOWN, isSecret, reveal } = require("../harness/engine");
const { opsStack } = require("../harness/session");
const { assertNoSentinel } = require("../harness/secrets");

// At most 16 characters: ipmi_sim keeps 16 bytes of a password. The 20-character one is for the partial failure.
const ADMIN_PW = "Sentinel-Adm-5x1";
const USER_PW = "Sentinel-Ops-8k2";
const LONG_PW = "Sentinel-Long-20chr!";
const SENTINELS = [ADMIN_PW, USER_PW, LONG_PW];
const OLD_PROVIDER =
  'exports.handler = () => { console.error("old-provider-code loaded"); return require("pulumi-bmc-credentials/providers/bmc-user"); };\n';

const pad16 = (s) => [...Buffer.from(s), ...new Array(16 - s.length).fill(0)];

describe("engine: BmcUser lifecycle through the dynamic-provider process", function () {
  this.timeout(120000);
  const lab = new Lab();
  let bmc, stack, program, urn, statePath, session, withEngine, engine;

  before(async () => {
    [bmc] = await lab.start([{ name: "eng", vendor: "supermicro" }]);
    // The login password becomes a sentinel too, so that every secret the provider handles can be traced.
    await bmc.raw([[0x06, 0x47, 2, 0x02, ...pad16(ADMIN_PW)]]);
    bmc.admin = { ...bmc.admin, password: ADMIN_PW };
    stack = opsStack({ connection: bmc.connection(), password: USER_PW, sentinels: SENTINELS, variants: { moved: { userId: 4 }, long: { userId: 4, password: LONG_PW } } });
    ({ program, urn, statePath, session, withEngine, engine } = stack);
  });
  after(async () => {
    await lab.stop();
    stack?.remove();
  });

  it("preview: Check and Diff only, with unknowns; nothing reaches the BMC or the state", async () => {
    const unknownName = [{ ...program.base[0], inputs: { ...program.base[0].inputs, username: UNKNOWN } }];
    for (const regs of [program.base, unknownName]) {
      const { result } = await withEngine((e) => e.preview(regs));
      assert.deepEqual(result.byOp, { create: [urn] });
    }
    assert.equal((await bmc.slot(3)).name, "");
    assert.equal(fs.existsSync(statePath), false);
  });

  it("up creates the account; the password and the login are secret in state", async () => {
    const { result, engine: e } = await withEngine((e) => e.up(program.base));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.byOp, { create: [urn] });
    const [r] = e.resources;
    assert.equal(r.id, `127.0.0.1:${bmc.port}/ch1/user3`);
    assert.ok(isSecret(r.inputs.password) && isSecret(r.outputs.password));
    assert.ok(isSecret(r.outputs.bmc), "bmc (with its password) is an additionalSecretOutput");
    const file = fs.readFileSync(statePath, "utf8");
    assertNoSentinel(SENTINELS, file, "the state file");
    assert.ok(JSON.stringify(reveal(r)).includes(USER_PW), "the password is in state, encrypted");
    assert.equal((await bmc.slot(3)).name, "ops");
    assert.ok(await bmc.canLogin("ops", USER_PW, "OPERATOR"));
  });

  it("a second preview is empty", async () => {
    const { result } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(result.changes, []);
  });

  it("out-of-band drift (privilege and password) shows in refresh, and up repairs it", async () => {
    await bmc.raw([
      [0x06, 0x43, 0xb1, 3, 0x02, 0x00],
      [0x06, 0x47, 3, 0x02, ...pad16("OutOfBand-Pass-1")],
    ]);
    const { result: refreshed, engine: e } = await withEngine((e) => e.refresh());
    assert.deepEqual(refreshed.byOp, { update: [urn] });
    assert.equal(e.resources[0].outputs.privilege, "user");
    assert.equal(e.resources[0].outputs.passwordState, "mismatch");
    const { result: preview } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(preview.byOp, { update: [urn] });
    const { result: up } = await withEngine((e) => e.up(program.base));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.byOp, { update: [urn] });
    assert.equal((await bmc.slot(3)).privilege, 3);
    assert.ok(await bmc.canLogin("ops", USER_PW, "OPERATOR"));
    const { result: after } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(after.changes, []);
  });

  it("upgrade: state written by another __provider stays a no-op; refresh and delete run the code in the outputs", async () => {
    const e = engine();
    for (const r of e.resources) {
      r.inputs.__provider = OLD_PROVIDER;
      r.outputs.__provider = OLD_PROVIDER;
    }
    e.save();
    const { result: preview } = await withEngine((e) => e.preview(program.base));
    assert.deepEqual(preview.changes, [], "the provider's diff ignores __provider");
    const { engine: upped } = await withEngine((e) => e.up(program.base));
    const [r] = upped.resources;
    assert.equal(r.inputs.__provider, program.base[0].inputs.__provider, "SameStep stores the new inputs");
    assert.equal(r.outputs.__provider, OLD_PROVIDER, "and keeps the old outputs");
    const { result: refreshed, engine: re } = await withEngine((e) => e.refresh());
    assert.deepEqual(refreshed.changes, []);
    assert.match(re.providerOutput.join(""), /old-provider-code loaded/);
  });

  it("replace (userId 3 → 4) deletes the old account before creating the new one", async () => {
    const { result: preview } = await withEngine((e) => e.preview(program.moved));
    assert.equal(preview.steps[0].op, "replace");
    assert.deepEqual(preview.steps[0].replaces, ["userId"]);
    assert.equal(preview.steps[0].deleteBeforeReplace, true);
    const { result, engine: e } = await withEngine((e) => e.up(program.moved));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.journal, [`delete 127.0.0.1:${bmc.port}/ch1/user3`, `create ${urn}`]);
    assert.match(e.providerOutput.join(""), /old-provider-code loaded/, "the old resource is deleted with the code in its outputs");
    assert.equal((await bmc.slot(3)).name, "");
    assert.equal((await bmc.slot(4)).name, "ops");
    assert.equal(e.resources[0].outputs.__provider, program.moved[0].inputs.__provider);
  });

  it("a partial failure (20-byte password the BMC truncates) is recorded and forces an update next time", async () => {
    const { result, engine: e } = await withEngine((e) => e.up(program.long));
    assert.equal(result.errors.length, 1);
    const [err] = result.errors;
    assert.ok(err.initFailure, err.message);
    const [r] = e.resources;
    assert.equal(r.id, `127.0.0.1:${bmc.port}/ch1/user4`);
    assert.ok(r.initErrors.length > 0);
    assert.equal(r.outputs.__provider, program.long[0].inputs.__provider);
    assert.ok(isSecret(r.outputs.password));
    const { result: preview } = await withEngine((e) => e.preview(program.moved));
    assert.deepEqual(preview.byOp, { update: [urn] });
    const { result: fixed, engine: f } = await withEngine((e) => e.up(program.moved));
    assert.deepEqual(fixed.errors, []);
    assert.equal(f.resources[0].initErrors, undefined);
    assert.ok(await bmc.canLogin("ops", USER_PW, "OPERATOR"));
  });

  it("destroy disables and clears the account with the stored outputs", async () => {
    const { result, engine: e } = await withEngine((e) => e.destroy());
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.resources, []);
    assert.equal((await bmc.slot(4)).name, "");
  });

  it("no sentinel password anywhere outside a secret: state file, provider output, errors, ids, argv, environment", () => {
    session.assertNoLeaks({ minStates: 8 });
  });
});
