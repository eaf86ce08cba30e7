"use strict";
// Runner tier: the published artifact. `npm pack` the package, install the tarball into a fresh project (unpacked as
// `npm install <tarball>` lays it out; dependencies linked from this repository's node_modules, so no network), and run
// examples/single-bmc there through the program runner against a simulated BMC: up, an empty second preview, destroy.
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Lab } = require("../lab/lab");
const { installProject, removeConsumer, ROOT } = require("../harness/consumer");
const { pad16 } = require("../harness/fleet-lab");
const { watchProcesses } = require("../harness/proc-watch");
const { Stack } = require("../harness/runner");
const { assertNoSentinel } = require("../harness/secrets");

const ADMIN_PW = "Sentinel-Pk-Adm1";
const OPS_PW = "Sentinel-Pk-Ops2";

describe("runner: npm pack → install the tarball → examples/single-bmc up, preview, destroy", function () {
  this.timeout(120000);
  const lab = new Lab();
  let bmc, packDir, tarball, dir, stack;
  const log = [];
  const leaks = [];
  const op = async (fn) => {
    const { result, leaks: seen } = await watchProcesses([ADMIN_PW, OPS_PW], fn);
    leaks.push(...seen);
    return result;
  };

  before(async () => {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-pack-"));
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    tarball = path.join(packDir, packed.filename);
    [bmc] = await lab.start([{ name: "pack", vendor: "supermicro" }]);
    await bmc.raw([[0x06, 0x47, 2, 0x02, ...pad16(ADMIN_PW)]]);
    bmc.admin = { ...bmc.admin, password: ADMIN_PW };
    dir = installProject(path.join(ROOT, "examples/single-bmc"), { tarball });
    stack = new Stack({ projectDir: dir, stateDir: path.join(dir, ".pulumi-lite"), passphrase: "test-passphrase", log: (l) => log.push(l) });
    stack.setConfig("bmcHost", "127.0.0.1");
    stack.setConfig("bmcPort", String(bmc.port));
    stack.setConfig("bmcCipherSuite", "3");
    stack.setConfig("bmcAdmin", ADMIN_PW, { secret: true });
    stack.setConfig("opsPw", OPS_PW, { secret: true });
  });
  after(async () => {
    await lab.stop();
    removeConsumer(dir);
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it("the tarball holds the build and the README, no sources, tests or source maps", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    assert.ok(files.includes("package/dist/index.js") && files.includes("package/dist/bmcUser/provider.js"));
    assert.ok(files.includes("package/README.md") && files.includes("package/package.json"));
    const stray = files.filter((f) => /^package\/(provider|test|examples|bench)\//.test(f) || f.endsWith(".map"));
    assert.deepEqual(stray, []);
  });

  it("up creates the account from the installed tarball; __provider references the installed package", async () => {
    const r = await op(() => stack.up());
    assert.deepEqual(r.errors, []);
    assert.deepEqual(Object.keys(r.byOp), ["create"]);
    assert.deepEqual(stack.outputs(), { opsSlot: 3, opsPasswordState: "verified" });
    const [record] = stack.engine().resources;
    assert.match(record.outputs.__provider, /require\("pulumi-bmc-credentials\/providers\/bmc-user"\)/);
    assert.ok(await bmc.canLogin("ops", OPS_PW, "OPERATOR"));
  });

  it("a second preview is empty", async () => {
    const r = await op(() => stack.preview());
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.changes, []);
  });

  it("destroy clears the account; no sentinel in state, update log, argv or any environment but the program's", async () => {
    const state = fs.readFileSync(stack.statePath, "utf8");
    const r = await op(() => stack.destroy());
    assert.deepEqual(r.errors, []);
    assert.equal((await bmc.slot(3)).name, "");
    const programEnvs = new Set(stack.programPids.map((pid) => `${pid}/environ`));
    assert.deepEqual(leaks.filter((l) => !programEnvs.has(l)), []);
    assertNoSentinel([ADMIN_PW, OPS_PW], [state, log.join("\n")].join("\n"), "the state file or the update log");
  });
});
