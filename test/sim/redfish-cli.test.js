"use strict";
// `bmc-credentials users|verify --protocol redfish` as an operator runs it: a real process against the lab's Redfish
// face, the password from the environment or a file (never argv), the certificate pinned.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startRedfishBmc } = require("../lab/redfish-lab");

const { runCli: cli } = require("../lab/cli-process");

const ADMIN_PW = "Sentinel-Cli-4f8";
const OPS_PW = "Sentinel-Ops-9v1";

describe("sim: bmc-credentials --protocol redfish", function () {
  this.timeout(60000);
  let bmc, target, dir;
  before(async () => {
    bmc = await startRedfishBmc("openbmc", { adminPassword: ADMIN_PW, users: [{ slot: 3, name: "ops", password: OPS_PW, privilege: "operator" }] });
    target = ["--protocol", "redfish", "--host", "127.0.0.1", "--port", String(bmc.port), "--username", "root"];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-cli-"));
  });
  after(async () => {
    await bmc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("users lists the accounts with role, enabled, locked and IPMI type, over one session", async () => {
    bmc.clearLog();
    const r = await cli(["users", ...target, "--tls-fingerprint", bmc.fingerprint.replace(/:/g, "").toLowerCase()], { IPMI_PASSWORD: ADMIN_PW });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /OpenBMC.*collection model/);
    assert.match(r.out, /^root\s+root\s+Administrator\s+yes\s+no\s+yes/m);
    assert.match(r.out, /^ops\s+ops\s+Operator\s+yes\s+no\s+yes/m);
    assert.equal(bmc.requests({ method: "POST", path: "/Sessions" }).length, 1);
    assert.equal(bmc.requests({ method: "DELETE", path: "/Sessions/" }).length, 1, "logged out");
    assert.equal(bmc.requests().filter((e) => e.auth === "basic").length, 0);
  });

  it("verify: exit 0 for the right password, 1 for a wrong one — one login each", async () => {
    const pwFile = path.join(dir, "ops.pw");
    fs.writeFileSync(pwFile, `${OPS_PW}\n`, { mode: 0o600 });
    const ok = await cli(["verify", ...target, "--user", "ops", "--tls-fingerprint", bmc.fingerprint, "--password-file", pwFile]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /ok: ops logged in over Redfish/);
    bmc.clearLog();
    const bad = await cli(["verify", ...target, "--user", "ops", "--tls-fingerprint", bmc.fingerprint], { IPMI_PASSWORD: "Wrong-pass-77" });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /refused ops \(one login attempt/);
    assert.equal(bmc.requests({ method: "POST" }).length, 1);
  });

  it("--tls-ca-file with the BMC's own certificate works", async () => {
    const pem = path.join(dir, "bmc.pem");
    fs.writeFileSync(pem, bmc.certificatePem);
    const r = await cli(["users", ...target, "--tls-ca-file", pem], { IPMI_PASSWORD: ADMIN_PW });
    assert.equal(r.code, 0, r.err);
  });

  it("a wrong fingerprint is exit 1 BMC_TLS_PIN_MISMATCH and nothing reaches the BMC", async () => {
    bmc.clearLog();
    const r = await cli(["users", ...target, "--tls-fingerprint", "0".repeat(64)], { IPMI_PASSWORD: ADMIN_PW });
    assert.equal(r.code, 1);
    assert.match(r.err, /BMC_TLS_PIN_MISMATCH/);
    assert.equal(bmc.requests().length, 0);
    assert.ok(!r.err.includes(ADMIN_PW));
  });

  it("usage errors exit 2 before anything is sent: no pin, a malformed pin, IPMI-only options, factory-reset, a password on argv", async () => {
    bmc.clearLog();
    const cases = [
      [["users", ...target], /no insecure mode/],
      [["users", ...target, "--tls-fingerprint", "abc"], /64 hex digits/],
      [["users", ...target, "--tls-fingerprint", bmc.fingerprint, "--cipher-suite", "17"], /--cipher-suite is an IPMI option/],
      [["users", ...target, "--tls-fingerprint", bmc.fingerprint, "--transport", "native"], /--transport is an IPMI option/],
      [["users", ...target, "--tls-fingerprint", bmc.fingerprint, "--tls-ca-file", "/nonexistent"], /exactly one/],
      [["factory-reset", ...target, "--vendor", "supermicro", "--yes", "--tls-fingerprint", bmc.fingerprint], /no Redfish form/],
      [["users", "--protocol", "soap", "--host", "127.0.0.1"], /--protocol must be "redfish"/],
      [["users", ...target, "--tls-fingerprint", bmc.fingerprint, "--password", ADMIN_PW], /never taken from the command line/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, { IPMI_PASSWORD: ADMIN_PW });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, message);
    }
    assert.equal(bmc.requests().length, 0);
  });

  it("--help documents the Redfish options", async () => {
    const r = await cli(["--help"]);
    for (const w of ["--protocol redfish", "--tls-fingerprint", "--tls-ca-file", "no insecure mode"]) assert.ok(r.out.includes(w), w);
  });
});
