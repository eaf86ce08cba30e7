"use strict";
// Sim tier: the native transport needs no program on the machine running Pulumi. The provider runs in a child Node
// process whose PATH is an empty directory (no ipmitool, no bash, no coreutils) and whose environment names no
// ipmitool: create → refresh → rotate → delete converge on an ipmi_sim BMC. The same PATH with bmc.transport
// "ipmitool" fails with TOOL_MISSING, which proves the PATH really lacks them; a Redfish BMC converges on the same PATH.
// Password sentinels stay out of the child's output.
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Lab } = require("../lab/lab");
const { startRedfishBmc } = require("../lab/redfish-lab");

const DIST = path.resolve(__dirname, "../../dist");
const PASSWORDS = ["Sentinel-NoTl-01", "Sentinel-NoTl-02"]; // ≤ 16 bytes: ipmi_sim keeps 16

/** Runs a lifecycle in a fresh Node process with `PATH` = `dir`; resolves with the last JSON line it printed. */
function lifecycleIn(dir, bmcInputs) {
  const script = `
    const { bmcUserProvider: p } = require(${JSON.stringify(DIST)});
    const [bmc, pw1, pw2] = JSON.parse(process.argv[1]);
    (async () => {
      const inputs = (pw) => p.check({}, { bmc, username: "notools", password: pw, privilege: "operator" }).then((r) => r.inputs);
      const c = await p.create(await inputs(pw1));
      const r = await p.read(c.id, c.outs);
      const u = await p.update(c.id, r.props, await inputs(pw2));
      const again = await p.read(c.id, u.outs);
      await p.delete(c.id, again.props);
      return { ok: true, created: c.outs.passwordState, refreshed: r.props.passwordState, rotated: u.outs.passwordState, slot: c.outs.userId };
    })().then((x) => console.log(JSON.stringify(x)), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", script, JSON.stringify([bmcInputs, ...PASSWORDS])], { env: { PATH: dir }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err, result: JSON.parse(out.trim().split("\n").pop() || "{}") }));
  });
}

describe("sim: the native transport needs no ipmitool, bash or coreutils on the machine running Pulumi", function () {
  this.timeout(60000);
  const lab = new Lab();
  let bmc, empty;
  before(async () => {
    [bmc] = await lab.start([{ name: "notools" }]);
    empty = fs.mkdtempSync(path.join(os.tmpdir(), "empty-path-"));
  });
  after(async () => {
    await lab.stop();
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it("create, refresh, rotate and delete converge with PATH empty", async () => {
    const r = await lifecycleIn(empty, bmc.connection({ transport: "native" }));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.result, { ok: true, created: "verified", refreshed: "verified", rotated: "verified", slot: r.result.slot }, JSON.stringify(r.result));
    assert.equal((await bmc.slot(r.result.slot)).name, "", "deleted");
    for (const pw of PASSWORDS) assert.ok(!r.out.includes(pw) && !r.err.includes(pw));
  });

  it('the same PATH with bmc.transport "ipmitool" fails with TOOL_MISSING: the tools really are absent', async () => {
    const r = await lifecycleIn(empty, bmc.connection({ transport: "ipmitool" }));
    assert.equal(r.code, 0, r.err);
    assert.ok(["TOOL_MISSING", "IPMITOOL_MISSING"].includes(r.result.code), JSON.stringify(r.result));
  });

  it("a BMC over Redfish converges with the same empty PATH (node:https only), as in the demo", async () => {
    const face = await startRedfishBmc("openbmc", { adminPassword: "Sentinel-NoTl-03" });
    try {
      const r = await lifecycleIn(empty, face.connection());
      assert.equal(r.code, 0, r.err);
      const { slot, ...states } = r.result; // OpenBMC's account Ids are names: no numeric slot
      assert.deepEqual(states, { ok: true, created: "verified", refreshed: "verified", rotated: "verified" }, JSON.stringify(r.result));
      assert.equal(slot, undefined);
      assert.equal(face.account("notools"), undefined, "deleted");
      for (const pw of [...PASSWORDS, "Sentinel-NoTl-03"]) assert.ok(!r.out.includes(pw) && !r.err.includes(pw));
    } finally {
      await face.stop();
    }
  });
});
