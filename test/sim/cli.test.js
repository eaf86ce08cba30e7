"use strict";
// The break-glass CLI as an operator runs it: a real process, passwords from the environment or a file, never argv.
const assert = require("node:assert/strict");
const { TRANSPORT, SESSION } = require("../lab/transport");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Lab } = require("../lab/lab");

const { runCliSync: cli, runCli: cliAsync } = require("../lab/cli-process");

describe("sim: bmc-credentials CLI", function () {
  this.timeout(60000);
  const lab = new Lab();
  let bmc, target;
  before(async () => {
    [bmc] = await lab.start([{ name: "cli", vendor: "supermicro" }]);
    target = ["--host", "127.0.0.1", "--port", String(bmc.port), "--cipher-suite", "3", "--timeout", "1", "--retries", "1", "--transport", TRANSPORT];
    await bmc.raw([[0x06, 0x45, 5, ...Buffer.from("ops"), ...new Array(13).fill(0)], [0x06, 0x47, 5, 0x02, ...Buffer.from("Cli-Ops-Pass-1"), 0, 0], [0x06, 0x43, 0x91, 5, 0x03, 0x00], [0x06, 0x47, 5, 0x01]]);
  });
  after(() => lab.stop());

  it("--help lists every command and the password sources, exit 0", () => {
    const r = cli(["--help"]);
    assert.equal(r.code, 0);
    for (const w of ["users", "verify", "factory-reset", "IPMI_PASSWORD", "--password-file", "Exit codes"]) assert.ok(r.out.includes(w), w);
  });

  it("usage errors exit 2 and point at --help; a password on argv is refused", () => {
    assert.equal(cli([]).code, 2);
    assert.equal(cli(["frobnicate", ...target]).code, 2);
    const r = cli(["users", ...target, "--password", "Cli-Argv-Secret"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /never taken from the command line/);
    assert.match(cli(["users", "--port", "623"], { IPMI_PASSWORD: "x" }).err, /--host is required/);
    assert.match(cli(["users", ...target, "--cipher-suite", "0"], { IPMI_PASSWORD: "x" }).err, /CVE-2013-4782/);
  });

  it("users lists one line per used slot, with privilege and flags", () => {
    const r = cli(["users", ...target], { IPMI_PASSWORD: "ADMIN" });
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split("\n").slice(1);
    assert.equal(lines.length, 2, r.out);
    assert.match(lines[0], /^2\s+ADMIN\s+administrator\s+msg=on/);
    assert.match(lines[1], /^5\s+ops\s+operator\s+msg=on/);
    assert.match(r.out.split("\n")[0], /channel 1; vendor supermicro, manufacturer id 10876/, "the header names the detected vendor");
  });

  it("verify proves a password by one login (env or file), and exits 1 without echoing a rejected one", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cli-")), "pw");
    fs.writeFileSync(file, "Cli-Ops-Pass-1\n", { mode: 0o600 });
    assert.equal(cli(["verify", ...target, "--user", "ops", "--password-file", file]).code, 0);
    assert.equal(cli(["verify", ...target, "--user", "ops", "--privilege", "operator"], { IPMI_PASSWORD: "Cli-Ops-Pass-1" }).code, 0);
    const bad = cli(["verify", ...target, "--user", "ops"], { IPMI_PASSWORD: "Cli-Wrong-Pass-9" });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /refused the password for ops/);
    assert.ok(!bad.err.includes("Cli-Wrong-Pass-9") && !bad.out.includes("Cli-Wrong-Pass-9"));
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it("no password source and no terminal: exit 2 with what to do", () => {
    const r = cli(["users", ...target]);
    assert.equal(r.code, 2);
    assert.match(r.err, /IPMI_PASSWORD/);
  });

  it("factory-reset without --yes sends nothing, explains what would be lost, exits non-zero", () => {
    // Aimed at a closed port: if anything were sent, the command would wait for the BMC instead of returning at once.
    const started = Date.now();
    const r = cli(["factory-reset", "--host", "127.0.0.1", "--port", "9", "--vendor", "supermicro"], { IPMI_PASSWORD: "ADMIN" });
    assert.equal(r.code, 2);
    assert.match(r.err, /EVERY user/);
    assert.match(r.err, /network settings/);
    assert.match(r.err, /--yes/);
    assert.ok(Date.now() - started < 1500);
    assert.equal(cli(["factory-reset", ...target, "--yes"], { IPMI_PASSWORD: "ADMIN" }).code, 2, "--vendor is required");
  });

  it("--transport: native or ipmitool; native is refused in-band and through a jump host (exit 2, nothing sent)", () => {
    const base = ["users", "--host", "127.0.0.1", "--port", "9"];
    const bad = cli([...base, "--transport", "redfish"], { IPMI_PASSWORD: "ADMIN" });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--transport must be native/);
    for (const route of [["--inband", "local"], ["--ssh-host", "127.0.0.1", "--via-ssh", "--ssh-host-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]]) {
      const r = cli(["users", ...(route[0] === "--inband" ? [] : ["--host", "127.0.0.1"]), ...route, "--transport", "native"], { IPMI_PASSWORD: "ADMIN" });
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /--transport native speaks RMCP\+ from this machine/);
    }
  });

  it("a file option naming a missing file: exit 2, usage error naming the option and the path, nothing sent", async () => {
    const { UdpProxy } = require("../lab/udp-proxy");
    const proxy = new UdpProxy({ targetPort: bmc.port });
    const port = await proxy.start();
    try {
      const missing = path.join(os.tmpdir(), `cli-missing-${process.pid}`, "nothing-here");
      const via = ["--host", "127.0.0.1", "--port", String(port), "--cipher-suite", "3", "--ssh-host", "127.0.0.1", "--via-ssh"];
      const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
      const cases = [
        ["password-file", ["users", "--host", "127.0.0.1", "--port", String(port), "--password-file", missing], {}],
        ["ssh-key-file", ["users", ...via, "--ssh-host-key", key, "--ssh-key-file", missing], { IPMI_PASSWORD: "ADMIN" }],
        ["ssh-password-file", ["users", ...via, "--ssh-host-key", key, "--ssh-password-file", missing], { IPMI_PASSWORD: "ADMIN" }],
        ["ssh-host-key-file", ["users", ...via, "--ssh-host-key-file", missing, "--ssh-key-file", missing], { IPMI_PASSWORD: "ADMIN" }],
      ];
      for (const [option, args, env] of cases) {
        const r = await cliAsync(args, env);
        assert.equal(r.code, 2, `--${option}: exit ${r.code}: ${r.err}`);
        assert.ok(r.err.includes(`--${option} ${missing}`), `--${option}: names the option and the path: ${r.err}`);
        assert.match(r.err, /no such file/);
        assert.match(r.err, /--help/);
      }
      assert.equal(proxy.counts.up, 0, "nothing reached the BMC");
    } finally {
      await proxy.stop();
    }
  });

  it("factory-reset refuses a BMC that does not report Supermicro's manufacturer id: only Get Device ID is sent", async () => {
    const [dell] = await lab.start([{ name: "cli-dell", vendor: "dell" }]);
    const { UdpProxy } = require("../lab/udp-proxy");
    const proxy = new UdpProxy({ targetPort: dell.port });
    const port = await proxy.start();
    try {
      const r = await cliAsync(["factory-reset", "--host", "127.0.0.1", "--port", String(port), "--cipher-suite", "3", "--timeout", "1", "--retries", "1", "--transport", TRANSPORT, "--username", "root", "--vendor", "supermicro", "--yes"], { IPMI_PASSWORD: "calvin" });
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /refusing factory-reset: the BMC reports manufacturer id 674, not Supermicro's \(10876\)/);
      // One session (native 5 requests, ipmitool 10 of its own), the run's read of the bad-password threshold (LAN
      // parameter 26, once per BMC per run: the login budget), and our Get Device ID; the OEM command would be one more.
      await proxy.settled();
      assert.equal(proxy.counts.up, SESSION + 2, `requests: ${proxy.counts.up}`);
    } finally {
      await proxy.stop();
    }
  });

  it("factory-reset --yes sends the OEM command; the simulator answers 'invalid command', reported as exit 1", () => {
    const r = cli(["factory-reset", ...target, "--vendor", "supermicro", "--yes"], { IPMI_PASSWORD: "ADMIN" });
    assert.equal(r.code, 1);
    assert.match(r.err, /BMC_UNSUPPORTED_COMMAND/);
    assert.match(r.err, /0x3c 0x40/);
  });
});
