"use strict";
// Runner tier: examples/fleet, unchanged, through the program runner (test/harness/runner.js): the real program runs
// through @pulumi/pulumi/cmd/run against the hand-written monitor, its dynamic resources go to the real
// dynamic-provider process, against a mixed fleet — two simulated BMCs over IPMI (behind counting proxies) beside two
// over Redfish (the lab's OpenBMC face, collection model, and its iDRAC9 face, slot model) — and the BMS emulator.
// Issue 12's "done when": up, refresh and destroy converge both protocols in one stack.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { installProject, removeConsumer, ROOT } = require("../harness/consumer");
const { startFleetLab, pad16 } = require("../harness/fleet-lab");
const { watchProcesses } = require("../harness/proc-watch");
const { Stack } = require("../harness/runner");
const { assertNoSentinel } = require("../harness/secrets");
const { derivePassword } = require("../../examples/fleet/fleet");

const MASTER = "Sentinel-Master-Fleet-7Rq2";
const LOGINS = { "smc-01": "Sentinel-Smc-Lg1", "dell-01": "Sentinel-Dll-Lg2", "obmc-01": "Sentinel-Obm-Lg8", "idrac-01": "Sentinel-Idr-Lg9" };
const IPMI = ["smc-01", "dell-01"];
const REDFISH = ["obmc-01", "idrac-01"];
const SERVER = { id: "77616c78-0bc4-4156-b24b-4286586ac350", name: "web-01", os: "linux" };
const ACCOUNTS = [...IPMI, ...REDFISH].flatMap((b) => ["fleet-admin", "monitor"].map((a) => `${b}-${a}`));
const SCOPES = [...[...IPMI, ...REDFISH].flatMap((b) => [`bmc/${b}/fleet-admin`, `bmc/${b}/monitor`]), `bms/${SERVER.id}`];
const pw = (rotation, scope) => derivePassword(MASTER, rotation, scope);
// Secrets held in stack config reach the program's environment (PULUMI_CONFIG), as with the real CLI: that environ is
// the one place a sentinel may be seen. Derived passwords exist only inside the program and the provider process.
const CONFIG_SECRETS = [MASTER, ...Object.values(LOGINS)]; // + the lab's BMS secret key, once the lab is up
const DERIVED = [1, 2].flatMap((r) => SCOPES.map((s) => pw(r, s)));
const SENTINELS = [...CONFIG_SECRETS, ...DERIVED];

describe("runner: examples/fleet end to end (preview, up, drift, refresh, rotation, destroy)", function () {
  this.timeout(120000);
  let fleet, dir, stack, smc, dell, obmc, idrac;
  const log = [];
  const leaks = [];
  const states = []; // the state file after every operation
  const otherProgramPids = []; // program processes of stacks other than `stack`
  const urn = (name) => `urn:pulumi:dev::fleet::pulumi-nodejs:dynamic/bmc:BmcUser::${name}`;
  const BMS_URN = "urn:pulumi:dev::fleet::pulumi-nodejs:dynamic/huaweicloud:BmsPassword::web-01-os";

  /** One CLI operation under the process sampler. */
  async function op(fn) {
    const { result, leaks: seen } = await watchProcesses(SENTINELS, fn);
    leaks.push(...seen);
    if (fs.existsSync(stack.statePath)) states.push(fs.readFileSync(stack.statePath, "utf8"));
    return result;
  }
  const redfishRequests = () => obmc.service.log.length + idrac.service.log.length;

  before(async () => {
    fleet = await startFleetLab({
      bmcs: [
        { name: "smc-01", vendor: "supermicro", loginPassword: LOGINS["smc-01"] },
        { name: "dell-01", vendor: "dell", loginPassword: LOGINS["dell-01"] },
      ],
      redfish: [
        { name: "obmc-01", flavour: "openbmc", loginPassword: LOGINS["obmc-01"] },
        { name: "idrac-01", flavour: "idrac9", loginPassword: LOGINS["idrac-01"] },
      ],
      servers: [SERVER],
      backend: "sim", // ipmi_sim stays the independent peer of the engine tier
    });
    [smc, dell] = fleet.bmcs;
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

  it("preview plans every account and server with unknown outputs, sending nothing to the BMCs or the API", async () => {
    const requests = fleet.emu.requests.length;
    const r = await op(() => stack.preview());
    assert.deepEqual(r.errors, []);
    assert.equal(r.byOp.create.length, 9);
    assert.equal(r.outputs.bmcs["smc-01"].accounts.monitor.slot, "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "slot unknown in preview");
    assert.equal(fleet.packets(), 0);
    assert.equal(redfishRequests(), 0);
    assert.equal(fleet.emu.requests.length, requests);
    assert.equal(fs.existsSync(stack.statePath), false);
  });

  it("up converges the fleet over IPMI and Redfish alike; stack outputs summarise it without secrets", async () => {
    const r = await op(() => stack.up());
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.byOp.create.sort(), [...ACCOUNTS.map(urn), BMS_URN].sort());
    const out = stack.outputs();
    for (const b of [...IPMI, ...REDFISH]) {
      assert.deepEqual(Object.keys(out.bmcs[b].accounts).sort(), ["fleet-admin", "monitor"]);
      assert.equal(out.bmcs[b].accounts.monitor.privilege, "user");
      assert.equal(out.bmcs[b].accounts["fleet-admin"].passwordState, "verified");
    }
    assert.equal(out.bmcs["dell-01"].vendor, "dell");
    assert.equal(out.bmcs["smc-01"].protocol, "ipmi");
    assert.equal(out.bmcs["obmc-01"].protocol, "redfish");
    assert.equal(out.bmcs["obmc-01"].accounts.monitor.slot, "monitor", "OpenBMC's account Ids are user names");
    assert.equal(out.bmcs["idrac-01"].accounts["fleet-admin"].slot, "3", "iDRAC9: the first free slot after root");
    assert.equal(out.servers["web-01"].pendingRestart, true);
    assert.equal(out.rotation, 1);
    assert.ok(!JSON.stringify(out).includes("[secret]"), "no output is a secret");
    for (const [bmc, name] of [[smc, "smc-01"], [dell, "dell-01"]]) {
      assert.ok(await bmc.canLogin("fleet-admin", pw(1, `bmc/${name}/fleet-admin`), "ADMINISTRATOR"));
      assert.ok(await bmc.canLogin("monitor", pw(1, `bmc/${name}/monitor`), "USER"));
      assert.equal((await bmc.slot(out.bmcs[name].accounts.monitor.slot)).privilege, 2, "monitor is read-only (privilege user)");
    }
    for (const [face, name] of [[obmc, "obmc-01"], [idrac, "idrac-01"]]) {
      assert.ok(face.canLogin("fleet-admin", pw(1, `bmc/${name}/fleet-admin`)));
      assert.ok(face.canLogin("monitor", pw(1, `bmc/${name}/monitor`)));
      assert.equal(face.account("monitor").access[face.table.policy.channels[0]].privilege, "user", "ReadOnly on the Redfish side is user on the IPMI side");
    }
    assert.equal(fleet.emu.server(SERVER.id).resets, 1);
  });

  it("a second preview is empty and sends no packet or HTTPS request", async () => {
    const before = [fleet.packets(), redfishRequests()];
    const r = await op(() => stack.preview());
    assert.deepEqual(r.changes, []);
    assert.deepEqual([fleet.packets(), redfishRequests()], before);
  });

  it("accounts changed behind the provider's back (IPMI: password; Redfish: password and role) show in refresh; up repairs only them", async () => {
    const slot = stack.outputs().bmcs["smc-01"].accounts.monitor.slot;
    await smc.raw([[0x06, 0x47, slot, 0x02, ...pad16("OutOfBand-Pass-1")]]);
    const rfSlot = idrac.table.findByName("monitor");
    idrac.table.setPassword(rfSlot, "OutOfBand-Pass-2", 16);
    idrac.table.setAccess(rfSlot, 1, { privilege: "administrator" });
    const drifted = [urn("idrac-01-monitor"), urn("smc-01-monitor")];
    const from = log.length;
    const refreshed = await op(() => stack.refresh());
    assert.deepEqual(refreshed.byOp.update.sort(), drifted);
    const shown = log.slice(from).join("\n");
    assert.equal(shown.split('passwordState: "verified" => "mismatch"').length - 1, 2, "the drift is shown field by field, on both protocols");
    assert.match(shown, /privilege: "user" => "administrator"/);
    const up = await op(() => stack.up());
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.byOp.update.sort(), drifted);
    assert.ok(await smc.canLogin("monitor", pw(1, "bmc/smc-01/monitor")));
    assert.ok(idrac.canLogin("monitor", pw(1, "bmc/idrac-01/monitor")));
    assert.equal(idrac.table.access(rfSlot, 1).privilege, "user");
    assert.deepEqual((await op(() => stack.preview())).changes, []);
  });

  it("bumping fleet:rotation rotates every password", async () => {
    stack.setConfig("fleet:rotation", "2");
    const preview = await op(() => stack.preview());
    assert.equal(preview.byOp.update.length, 9);
    const up = await op(() => stack.up());
    assert.deepEqual(up.errors, []);
    assert.equal(up.byOp.update.length, 9);
    assert.ok(await dell.canLogin("fleet-admin", pw(2, "bmc/dell-01/fleet-admin"), "ADMINISTRATOR"));
    assert.equal(await dell.canLogin("fleet-admin", pw(1, "bmc/dell-01/fleet-admin"), "ADMINISTRATOR"), false);
    assert.ok(obmc.canLogin("fleet-admin", pw(2, "bmc/obmc-01/fleet-admin")));
    assert.equal(obmc.canLogin("fleet-admin", pw(1, "bmc/obmc-01/fleet-admin")), false);
    assert.equal(fleet.emu.server(SERVER.id).resets, 2);
    assert.equal(stack.outputs().rotation, 2);
  });

  it("destroy leaves no managed account on any BMC, over either protocol, and an empty stack", async () => {
    const slots = IPMI.map((b) => Object.values(stack.outputs().bmcs[b].accounts).map((a) => a.slot));
    const r = await op(() => stack.destroy());
    assert.deepEqual(r.errors, []);
    assert.equal(r.byOp.delete.length, 9);
    for (const [i, bmc] of [smc, dell].entries()) {
      for (const slot of slots[i]) assert.equal((await bmc.slot(slot)).name, "", `${bmc.name} slot ${slot} cleared`);
    }
    for (const face of [obmc, idrac]) {
      assert.equal(face.account("monitor"), undefined, `${face.name} monitor removed`);
      assert.equal(face.account("fleet-admin"), undefined, `${face.name} fleet-admin removed`);
    }
    assert.deepEqual(stack.engine().resources, []);
  });

  it("a config mistake (no login password for a BMC) fails the preview with the message alone, naming the BMC", async () => {
    const mistaken = new Stack({ projectDir: dir, stateDir: path.join(dir, ".pulumi-lite-mistake"), passphrase: "test-passphrase", log: (l) => log.push(l) });
    for (const [k, v, o] of fleet.config({ inventoryFile: fleet.writeInventory(dir), masterSecret: MASTER })) {
      mistaken.setConfig(k, k === "fleet:loginPasswords" ? JSON.stringify({ "smc-01": LOGINS["smc-01"] }) : v, o);
    }
    const from = log.length;
    const r = await op(() => mistaken.preview());
    otherProgramPids.push(...mistaken.programPids);
    assert.deepEqual(r.errors.map((e) => e.op), ["program"]);
    const text = log.slice(from).join("\n");
    assert.match(text, /fleet:loginPasswords has no entry for BMC dell-01 or vendor dell/);
    // No stack trace: besides being noise, printing one stalls Node 20 for about 40 s (nodejs/node#64011).
    assert.doesNotMatch(text, /^\s+at .*\(.*:\d+:\d+\)$/m);
    assert.doesNotMatch(text, /unhandled exception/);
  });

  it("no sentinel outside a secret: state, config, update log, argv; config secrets only in the program's environment", () => {
    const programEnvs = new Set([...stack.programPids, ...otherProgramPids].map((pid) => `${pid}/environ`));
    assert.ok(stack.programPids.length >= 7);
    assert.deepEqual(leaks.filter((l) => !programEnvs.has(l)), [], "a sentinel appeared in a process argv, or an environment other than the program's");
    assert.ok(leaks.some((l) => programEnvs.has(l)), "the sampler saw the program's PULUMI_CONFIG (it is looking)");
    const all = SENTINELS;
    assertNoSentinel(all, log.join("\n"), "the update log (program, engine and provider output)");
    assert.ok(states.length >= 8, `${states.length} state snapshots`);
    for (const text of states) assertNoSentinel(all, text, "the state file");
    assertNoSentinel(all, fs.readFileSync(stack.configPath, "utf8"), "the stack config file");
    for (const face of [obmc, idrac]) assertNoSentinel(all, JSON.stringify(face.service.log), "a Redfish BMC's request log (URLs and bodies)");
  });
});
