"use strict";
// Peers tier: `bmc-credentials lab` and `pulumi-bmc-credentials/lab` as a user gets them — from the `npm pack`
// tarball, installed into a fresh project the way `npm install` lays it out (the bin linked into node_modules/.bin),
// driven with the exact command line and checked with ipmitool.
const assert = require("node:assert/strict");
const { execFileSync, spawn } = require("node:child_process");
const dgram = require("node:dgram");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { installConsumer, removeConsumer, ROOT } = require("../harness/consumer");
const { requirePeers, ipmitool, ipmitoolLogin } = require("./clients");

/** A base port with `n` free consecutive ports after it on 127.0.0.1, UDP (the BMCs) or TCP (their Redfish faces). */
async function freeBlock(n, kind) {
  const net = require("node:net");
  const open = () => (kind === "tcp" ? net.createServer() : dgram.createSocket("udp4"));
  const bind = (socket, port) =>
    new Promise((resolve, reject) => {
      socket.once("error", reject);
      if (kind === "tcp") socket.listen(port, "127.0.0.1", resolve);
      else socket.bind(port, "127.0.0.1", resolve);
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const sockets = [];
    try {
      for (let i = 0; i < n; i++) {
        const socket = open();
        sockets.push(socket);
        await bind(socket, base + i);
      }
      return base;
    } catch {
      // taken: try another block
    } finally {
      await Promise.all(sockets.map((socket) => new Promise((r) => socket.close(() => r())).catch(() => {})));
    }
  }
  throw new Error(`no free block of ${kind.toUpperCase()} ports`);
}
const freePortBlock = (n) => freeBlock(n, "udp");
const freeTcpPortBlock = (n) => freeBlock(n, "tcp");

/** Starts the installed CLI; resolves once `lines` lines are printed (or it exits). */
function startCli(bin, args, lines) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH } });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.split("\n").filter(Boolean).length >= lines) resolve();
    });
    exited.then(resolve);
  });
  return { child, exited, ready, output: () => ({ out, err }) };
}

describe("peers: bmc-credentials lab from an npm pack install", function () {
  this.timeout(120000);
  let packDir, dir, bin;

  before(() => {
    requirePeers();
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-lab-pack-"));
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const tarball = path.join(packDir, packed.filename);
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    assert.ok(files.includes("package/dist/lab/index.js") && files.includes("package/dist/cli/lab.js"), "the lab ships in the tarball");
    dir = installConsumer({ tarball });
    // What `npm install` does for a package's `bin`: an executable link in node_modules/.bin.
    const pkgDir = path.join(dir, "node_modules/pulumi-bmc-credentials");
    const target = path.join(pkgDir, JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).bin["bmc-credentials"]);
    fs.chmodSync(target, 0o755);
    fs.mkdirSync(path.join(dir, "node_modules/.bin"), { recursive: true });
    bin = path.join(dir, "node_modules/.bin/bmc-credentials");
    fs.symlinkSync(target, bin);
  });
  after(() => {
    removeConsumer(dir);
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it("the issue's command line: --json prints one line per BMC with host, port, vendor, manufacturerId, admin (no password) and the Redfish port and certificate fingerprint; it serves until SIGTERM and exits 0", async () => {
    const port = await freePortBlock(3);
    const rport = await freeTcpPortBlock(3);
    const args = ["lab", "--vendor", "supermicro", "--count", "3", "--host", "127.0.0.1", "--port", String(port), "--admin", "ADMIN:Lab-Admin-Pw1!", "--user", "3:ops:Ops-Pass-1!:operator", "--user", "4:viewer:View:er-pw1!:user", "--lockout", "2", "--lockout-seconds", "30", "--max-sessions", "2", "--redfish-port", String(rport), "--json"];
    const cli = startCli(bin, args, 3);
    try {
      await cli.ready;
      const lines = cli.output().out.trim().split("\n");
      assert.equal(lines.length, 3);
      const fingerprint = JSON.parse(lines[0]).fingerprint;
      assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      lines.forEach((line, i) => {
        const o = JSON.parse(line);
        assert.deepEqual(Object.keys(o), ["host", "port", "vendor", "manufacturerId", "admin", "redfishPort", "fingerprint"]);
        assert.deepEqual(o, { host: "127.0.0.1", port: port + i, vendor: "supermicro", manufacturerId: 10876, admin: "ADMIN", redfishPort: rport + i, fingerprint });
      });
      // The same accounts over Redfish, through the installed CLI, the certificate pinned to the printed fingerprint.
      const users = await new Promise((resolve) => {
        const child = spawn(bin, ["users", "--protocol", "redfish", "--host", "127.0.0.1", "--port", String(rport + 2), "--username", "ADMIN", "--tls-fingerprint", fingerprint], {
          env: { PATH: process.env.PATH, IPMI_PASSWORD: "Lab-Admin-Pw1!" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code, out }));
      });
      assert.equal(users.code, 0, users.out);
      assert.match(users.out, /^1\s+ADMIN\s+Administrator/m);
      assert.match(users.out, /^2\s+ops\s+Operator/m, "the --user account, made for the IPMI side, shows over Redfish");
      assert.match(users.out, /^3\s+viewer\s+ReadOnly/m);
      assert.ok(!cli.output().out.includes("Lab-Admin-Pw1") && !cli.output().out.includes("Ops-Pass-1"));
      for (let i = 0; i < 3; i++) {
        const bmc = { host: "127.0.0.1", port: port + i };
        assert.ok(await ipmitoolLogin(bmc, { user: "ADMIN", password: "Lab-Admin-Pw1!", suite: 17 }), `BMC ${i}`);
      }
      const bmc = { host: "127.0.0.1", port: port + 2 };
      assert.ok(await ipmitoolLogin(bmc, { user: "ops", password: "Ops-Pass-1!", suite: 3, privilege: "OPERATOR" }));
      assert.ok(await ipmitoolLogin(bmc, { user: "viewer", password: "View:er-pw1!", suite: 17, privilege: "USER" }), "a colon inside the password");
      const lan = await ipmitool(bmc, { user: "ADMIN", password: "Lab-Admin-Pw1!" }, ["lan print 1", "channel getaccess 1 3"]);
      assert.match(lan.text, /Bad Password Threshold\s+:\s+2/);
      assert.match(lan.text, /User Lockout Interval\s+:\s+30/);
      assert.match(lan.text, /Privilege Level\s+:\s+OPERATOR/);
    } finally {
      cli.child.kill("SIGTERM");
    }
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.ok(!(await ipmitoolLogin({ host: "127.0.0.1", port }, { user: "ADMIN", password: "Lab-Admin-Pw1!", suite: 17 })), "stopped");
  });

  it("defaults: the generic vendor's factory account on port 6230 unless --port; SIGINT stops it with exit 0; text output names ports and account", async () => {
    const port = await freePortBlock(1);
    const rport = await freeTcpPortBlock(1);
    const cli = startCli(bin, ["lab", "--port", String(port), "--redfish-port", String(rport)], 6);
    await cli.ready;
    const { out } = cli.output();
    assert.match(out, new RegExp(`1 virtual generic BMC on 127\\.0\\.0\\.1, UDP port ${port}`));
    assert.match(out, new RegExp(`Redfish \\(dmtf\\) over HTTPS on TCP port ${rport}; certificate SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}`));
    assert.match(out, /administrator ADMIN \(slot 2\), the vendor's factory password/);
    assert.ok(await ipmitoolLogin({ host: "127.0.0.1", port }, { user: "ADMIN", password: "ADMIN", suite: 17 }));
    cli.child.kill("SIGINT");
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    const help = execFileSync(bin, ["lab", "--help"], { encoding: "utf8" });
    assert.match(help, /--port P\s+UDP port of the first BMC \(default 6230\)/);
    assert.match(help, /--redfish-port P\s+TCP port of the first BMC's Redfish face \(default 8443\)/);
  });

  it("--state DIR keeps the account table across runs", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-lab-state-"));
    try {
      const port = await freePortBlock(1);
      const first = startCli(bin, ["lab", "--vendor", "dell", "--port", String(port), "--state", state, "--no-redfish", "--json"], 1);
      await first.ready;
      assert.equal(JSON.parse(first.output().out).redfishPort, undefined, "--no-redfish: IPMI only");
      const set = await ipmitool({ host: "127.0.0.1", port }, { user: "root", password: "calvin" }, ["user set name 5 kept", "user set password 5 Kept-Across-Runs-20b 20", "user priv 5 3 1", "channel setaccess 1 5 ipmi=on", "user enable 5"]);
      assert.equal(set.code, 0, set.text);
      first.child.kill("SIGTERM");
      await first.exited;
      assert.equal(fs.statSync(path.join(state, `bmc-${port}.json`)).mode & 0o777, 0o600);
      const second = startCli(bin, ["lab", "--vendor", "dell", "--port", String(port), "--state", state, "--no-redfish", "--json"], 1);
      await second.ready;
      try {
        assert.ok(await ipmitoolLogin({ host: "127.0.0.1", port }, { user: "kept", password: "Kept-Across-Runs-20b", suite: 17, privilege: "OPERATOR" }));
      } finally {
        second.child.kill("SIGTERM");
        await second.exited;
      }
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it("usage errors exit 2 and name the option, never echoing a password", () => {
    const fails = (args) => {
      try {
        execFileSync(bin, ["lab", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        return { code: e.status, err: e.stderr };
      }
      assert.fail(`expected ${args.join(" ")} to fail`);
    };
    let r = fails(["--vendor", "acme"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--vendor must be supermicro\|dell\|hpe\|lenovo\|openbmc\|generic/);
    r = fails(["--user", "3:ops:Secret-Pw-1:root"]);
    assert.match(r.err, /--user PRIVILEGE must be/);
    assert.ok(!r.err.includes("Secret-Pw-1"));
    r = fails(["--vendor", "supermicro", "--admin", "root:Secret-Pw-2"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /admin\.name must be ADMIN: supermicro fixes the name of slot 2/);
    assert.ok(!r.err.includes("Secret-Pw-2"));
    r = fails(["--admin", "ADMIN:" + "x".repeat(21)]);
    assert.match(r.err, /admin\.password must be 1-20 printable ASCII characters/);
    assert.equal(fails(["--count", "0"]).code, 2);
    assert.equal(fails(["--port", "65535", "--count", "2"]).code, 2);
  });

  it("require('pulumi-bmc-credentials/lab') from the installed package starts a lab and reads the table back", () => {
    const script = `
      const { startLab, LAB_VENDORS } = require("pulumi-bmc-credentials/lab");
      (async () => {
        const lab = await startLab({ vendor: "lenovo", count: 2 });
        const out = { vendors: LAB_VENDORS, bmcs: lab.bmcs.map((b) => ({ vendor: b.vendor, admin: b.admin, slot2: b.account(2).name, port: b.port > 0 })) };
        await lab.stop();
        console.log(JSON.stringify(out));
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" }));
    assert.deepEqual(out.vendors, ["supermicro", "dell", "hpe", "lenovo", "openbmc", "generic"]);
    assert.deepEqual(out.bmcs, [
      { vendor: "lenovo", admin: { name: "USERID", slot: 2 }, slot2: "USERID", port: true },
      { vendor: "lenovo", admin: { name: "USERID", slot: 2 }, slot2: "USERID", port: true },
    ]);
  });
});
