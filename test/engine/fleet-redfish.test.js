"use strict";
// Runner tier: examples/fleet, unchanged, with a mixed inventory — one BMC over IPMI (ipmi_sim behind a counting
// proxy) beside two over Redfish (the lab's OpenBMC face, collection model, and its iDRAC9 face, slot model) — through
// the program runner and the real dynamic-provider process: preview, up, an empty second preview, drift on a Redfish
// BMC shown by refresh and repaired by up, destroy. Issue 12's "done when".
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { installProject, removeConsumer, ROOT } = require("../harness/consumer");
const { startFleetLab } = require("../harness/fleet-lab");
const { watchProcesses } = require("../harness/proc-watch");
const { Stack } = require("../harness/runner");
const { assertNoSentinel } = require("../harness/secrets");
const { derivePassword } = require("../../examples/fleet/fleet");

const MASTER = "Sentinel-Master-Mixed-4Kd9";
const LOGINS = { "smc-01": "Sentinel-Smc-Lg7", "obmc-01": "Sentinel-Obm-Lg8", "idrac-01": "Sentinel-Idr-Lg9" };
const NAMES = Object.keys(LOGINS);
const pw = (scope) => derivePassword(MASTER, 1, scope);
const DERIVED = NAMES.flatMap((b) => ["fleet-admin", "monitor"].map((a) => pw(`bmc/${b}/${a}`)));
const SENTINELS = [MASTER, ...Object.values(LOGINS), ...DERIVED];

describe("runner: examples/fleet with IPMI and Redfish BMCs side by side", function () {
  this.timeout(180000);
  let fleet, dir, stack, smc, obmc, idrac;
  const log = [];
  const leaks = [];
  const states = [];
  const urn = (name) => `urn:pulumi:dev::fleet::pulumi-nodejs:dynamic/bmc:BmcUser::${name}`;

  async function op(fn) {
    const { result, leaks: seen } = await watchProcesses(SENTINELS, fn);
    leaks.push(...seen);
    if (fs.existsSync(stack.statePath)) states.push(fs.readFileSync(stack.statePath, "utf8"));
    return result;
  }
  const redfishRequests = () => obmc.service.log.length + idrac.service.log.length;

  before(async () => {
    fleet = await startFleetLab({
      bmcs: [{ name: "smc-01", vendor: "supermicro", loginPassword: LOGINS["smc-01"] }],
      backend: "sim",
      redfish: [
        { name: "obmc-01", flavour: "openbmc", loginPassword: LOGINS["obmc-01"] },
        { name: "idrac-01", flavour: "idrac9", loginPassword: LOGINS["idrac-01"] },
      ],
      servers: [],
    });
    [smc] = fleet.bmcs;
    [obmc, idrac] = fleet.redfishBmcs;
    SENTINELS.push(fleet.secretKey);
    dir = installProject(path.join(ROOT, "examples/fleet"));
    stack = new Stack({ projectDir: dir, stateDir: path.join(dir, ".pulumi-lite"), passphrase: "test-passphrase", log: (l) => log.push(l) });
    for (const [k, v, o] of fleet.config({ inventoryFile: fleet.writeInventory(dir), masterSecret: MASTER })) stack.setConfig(k, v, o);
  });
  after(async () => {
    await fleet?.stop();
    removeConsumer(dir);
  });

  it("preview plans six accounts and sends nothing to any BMC", async () => {
    const r = await op(() => stack.preview());
    assert.deepEqual(r.errors, []);
    assert.equal(r.byOp.create.length, 6);
    assert.equal(fleet.packets(), 0);
    assert.equal(redfishRequests(), 0);
  });

  it("up converges the IPMI and the Redfish BMCs alike", async () => {
    const r = await op(() => stack.up());
    assert.deepEqual(r.errors, []);
    assert.equal(r.byOp.create.length, 6);
    const out = stack.outputs();
    assert.equal(out.bmcs["obmc-01"].protocol, "redfish");
    assert.equal(out.bmcs["smc-01"].protocol, "ipmi");
    assert.equal(out.bmcs["obmc-01"].accounts.monitor.slot, "monitor", "OpenBMC's account Ids are user names");
    assert.equal(out.bmcs["idrac-01"].accounts["fleet-admin"].slot, "3", "iDRAC9: the first free slot after root");
    for (const b of NAMES) {
      assert.equal(out.bmcs[b].accounts.monitor.privilege, "user");
      assert.equal(out.bmcs[b].accounts["fleet-admin"].passwordState, "verified");
    }
    assert.ok(await smc.canLogin("monitor", pw("bmc/smc-01/monitor"), "USER"));
    for (const [face, name] of [[obmc, "obmc-01"], [idrac, "idrac-01"]]) {
      assert.ok(face.canLogin("monitor", pw(`bmc/${name}/monitor`)));
      assert.equal(face.account("monitor").access[face.table.policy.channels[0]].privilege, "user", "ReadOnly on the Redfish side is user on the IPMI side");
      assert.ok(face.canLogin("fleet-admin", pw(`bmc/${name}/fleet-admin`)));
    }
  });

  it("a second preview is empty", async () => {
    const before = redfishRequests();
    const r = await op(() => stack.preview());
    assert.deepEqual(r.changes, []);
    assert.equal(redfishRequests(), before);
  });

  it("a Redfish account changed behind the provider's back (password and role) shows in refresh; up repairs only it", async () => {
    const slot = idrac.table.findByName("monitor");
    idrac.table.setPassword(slot, "OutOfBand-Pass-1", 16);
    idrac.table.setAccess(slot, 1, { privilege: "administrator" });
    const refreshed = await op(() => stack.refresh());
    assert.deepEqual(refreshed.byOp.update, [urn("idrac-01-monitor")]);
    assert.ok(log.some((l) => l.includes('passwordState: "verified" => "mismatch"')));
    const up = await op(() => stack.up());
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.byOp.update, [urn("idrac-01-monitor")]);
    assert.ok(idrac.canLogin("monitor", pw("bmc/idrac-01/monitor")));
    assert.equal(idrac.table.access(slot, 1).privilege, "user");
    assert.deepEqual((await op(() => stack.preview())).changes, []);
  });

  it("destroy removes every managed account on both protocols", async () => {
    const slots = Object.values(stack.outputs().bmcs["smc-01"].accounts).map((a) => a.slot);
    const r = await op(() => stack.destroy());
    assert.deepEqual(r.errors, []);
    assert.equal(r.byOp.delete.length, 6);
    for (const slot of slots) assert.equal((await smc.slot(slot)).name, "");
    for (const face of [obmc, idrac]) {
      assert.equal(face.account("monitor"), undefined);
      assert.equal(face.account("fleet-admin"), undefined);
    }
  });

  it("no sentinel outside a secret: state, update log, argv, the Redfish BMCs' request logs", () => {
    const programEnvs = new Set(stack.programPids.map((pid) => `${pid}/environ`));
    assert.deepEqual(leaks.filter((l) => !programEnvs.has(l)), []);
    assertNoSentinel(SENTINELS, log.join("\n"), "the update log");
    for (const text of states) assertNoSentinel(SENTINELS, text, "the state file");
    for (const face of [obmc, idrac]) assertNoSentinel(SENTINELS, JSON.stringify(face.service.log), "a Redfish BMC's request log (URLs and bodies)");
  });
});
