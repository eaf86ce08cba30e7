"use strict";
// Sim tier: a program the local ipmitool route runs is missing (bash, stdbuf, ipmitool). Each must fail the operation
// with a typed error naming the program — never crash the process that hosts the provider (before the fix, a PATH
// without bash ended it with an unhandled 'error' event: `spawn bash ENOENT`). The provider runs in a child Node
// process whose PATH is a directory made for the case, as on a minimal host.
const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Lab } = require("../lab/lab");

const DIST = path.resolve(__dirname, "../../dist");
const PASSWORD = "Sentinel-Spawn-01";

/** Creates one BmcUser in a fresh Node process with `env`; resolves with its exit code, stdout and stderr. */
function createIn(env, bmc) {
  const script = `
    const { bmcUserProvider: p } = require(${JSON.stringify(DIST)});
    p.check({}, JSON.parse(process.argv[1]))
      .then((r) => p.create(r.inputs))
      .then(() => console.log(JSON.stringify({ ok: true })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));
  `;
  const inputs = { bmc: bmc.connection({ transport: "ipmitool" }), username: "spawned", password: PASSWORD, privilege: "user" };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", script, JSON.stringify(inputs)], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

function pathWith(links) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawn-path-"));
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

function which(cmd) {
  for (const d of (process.env.PATH ?? "").split(":")) {
    const f = path.join(d, cmd);
    if (d && fs.existsSync(f)) return f;
  }
  throw new Error(`${cmd} not found`);
}

describe("sim: a missing local program is a typed error, never a crash of the provider host", function () {
  this.timeout(60000);
  const lab = new Lab();
  const dirs = [];
  let bmc;
  before(async () => {
    [bmc] = await lab.start([{ name: "spawn" }]);
  });
  after(async () => {
    await lab.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const cases = [
    ["bash missing from PATH", () => ({ PATH: pathWith({}), PULUMI_BMC_IPMITOOL: which("ipmitool") }), "TOOL_MISSING", /bash could not be run .*ENOENT/],
    ["stdbuf missing (bash present)", () => ({ PATH: pathWith({ bash: which("bash") }), PULUMI_BMC_IPMITOOL: which("ipmitool") }), "TOOL_MISSING", /\bstdbuf\b.* could not be run .*not found on PATH/],
    ["ipmitool missing", () => ({ PATH: process.env.PATH, PULUMI_BMC_IPMITOOL: "/nonexistent/ipmitool" }), "IPMITOOL_MISSING", /ipmitool was not found at \/nonexistent\/ipmitool/],
  ];
  for (const [what, env, code, message] of cases) {
    it(`${what}: ${code} naming it; the host process keeps running and exits normally`, async () => {
      const e = env();
      if (e.PATH !== process.env.PATH) dirs.push(e.PATH);
      const r = await createIn(e, bmc);
      assert.equal(r.code, 0, `the host process crashed (exit ${r.code}): ${r.err.split("\n").slice(0, 4).join(" | ")}`);
      assert.ok(!/Unhandled 'error' event/.test(r.err), r.err);
      const result = JSON.parse(r.out.trim().split("\n").pop());
      assert.equal(result.code, code, result.message);
      assert.match(result.message, message);
      assert.ok(!result.message.includes(PASSWORD));
    });
  }
});
