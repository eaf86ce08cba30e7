"use strict";
// The ipmitool transport against a fixture executable: what reaches argv, the environment and the pipes, and how
// failure texts surface. No BMC needed.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { IpmitoolSession, findIpmitool } = require("../../dist/transport/ipmitool/session");
const { IpmiSession } = require("../../dist/ipmi/session");
const codec = require("../../dist/ipmi/commands");

const LOGIN_SECRET = "Sentinel-Fixture-1";
const USER_SECRET = "Sentinel-Target-22";

function fixture(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-ipmitool-"));
  const record = path.join(dir, "record");
  const body = fs.readFileSync(path.join(__dirname, "../fixtures/fake-ipmitool.sh"), "utf8").replace("__MODE__", mode).replace("__RECORD__", record);
  const exe = path.join(dir, "ipmitool");
  fs.writeFileSync(exe, body, { mode: 0o755 });
  return { exe, record, dir };
}

const target = { host: "127.0.0.1", port: 6230, username: "ADMIN", cipherSuite: 17, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 1 };

describe("unit: ipmitool transport (fixture executable)", () => {
  it("passes -C -L -N -R, keeps both passwords off argv and env, and feeds pipes", async () => {
    const f = fixture("session");
    const s = new IpmiSession(await IpmitoolSession.open(target, LOGIN_SECRET, { host: target.host, port: target.port }, { ipmitoolPath: f.exe }), { host: target.host, port: target.port });
    const results = await s.run([codec.getUserAccess(1, 2), codec.setUserPassword(3, USER_SECRET), { netFn: 6, cmd: 0x99, data: [], label: "bogus" }]);
    await s.close();
    assert.deepEqual(results[0], { ok: true, data: [0x3f, 0x01, 0x00, 0x14] });
    assert.deepEqual(results[1], { ok: true, data: [] });
    assert.equal(results[2].ok, false);
    assert.equal(results[2].error.code, "BMC_UNSUPPORTED_COMMAND");
    const rec = fs.readFileSync(f.record, "utf8");
    const argv = rec.split("\n").find((l) => l.startsWith("ARGV:"));
    for (const flag of ["-C 17", "-L ADMINISTRATOR", "-N 1", "-R 1", "-I lanplus", "-U ADMIN"]) assert.ok(argv.includes(flag), `${flag} in ${argv}`);
    assert.ok(!argv.includes(LOGIN_SECRET) && !argv.includes(USER_SECRET), "no password on argv");
    assert.ok(!/ -P | -E /.test(argv), "neither -P nor -E");
    assert.match(rec, /PWFILE-IS-PIPE:yes/);
    assert.match(rec, /EXECFILE-IS-PIPE:yes/);
    assert.match(rec, new RegExp(`PASSWORD:${LOGIN_SECRET}`), "login password arrives through -f");
    const env = rec.split("\n").find((l) => l.startsWith("ENV:"));
    assert.ok(!env.includes("PULUMI") && !env.includes("IPMI_PASSWORD"), `minimal environment: ${env}`);
    // HOME holds a one-entry IANA registry, so ipmitool skips parsing the 4.7 MB system one before its first packet.
    const registry = Number(rec.split("\n").find((l) => l.startsWith("REGISTRY:")).slice("REGISTRY:".length));
    assert.ok(registry > 0 && registry < 200, `small registry under HOME (${registry} bytes)`);
    const hexPw = [...Buffer.from(USER_SECRET)].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ");
    assert.ok(rec.includes(`RAWLINE:raw 0x06 0x47 0x83 0x02 ${hexPw} 0x00 0x00`), "target password travels as raw hex inside the batch (18 bytes: 20-byte format)");
    fs.rmSync(f.dir, { recursive: true });
  });

  const failures = [
    ["Address lookup for bmc.invalid failed\\nCould not open socket!\\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_DNS_FAILED"],
    ["> RAKP 2 HMAC is invalid\\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_LOGIN_REJECTED"],
    ["Get Auth Capabilities error\\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_UNREACHABLE"],
  ];
  for (const [text, code] of failures) {
    it(`a login that prints "${text.split("\\n")[0]}" fails with ${code}, quoting no secret`, async () => {
      const f = fixture(text);
      const e = await IpmitoolSession.open(target, LOGIN_SECRET, { host: target.host, port: target.port }, { ipmitoolPath: f.exe }).then(() => null, (x) => x);
      assert.ok(e, "login must fail");
      assert.equal(e.code, code);
      assert.ok(!e.message.includes(LOGIN_SECRET));
      fs.rmSync(f.dir, { recursive: true });
    });
  }

  it("a missing ipmitool fails with install instructions", () => {
    assert.throws(() => findIpmitool("/nonexistent/ipmitool"), (e) => e.code === "IPMITOOL_MISSING" && /apt-get install ipmitool/.test(e.message));
  });

  it("ipmitool found once is remembered, but a removed or replaced binary is noticed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "find-ipmitool-"));
    const [a, b] = ["a", "b"].map((d) => path.join(dir, d, "ipmitool"));
    const savedPath = process.env.PATH;
    try {
      for (const exe of [a, b]) {
        fs.mkdirSync(path.dirname(exe));
        fs.writeFileSync(exe, "#!/bin/sh\n", { mode: 0o755 });
      }
      process.env.PATH = [path.dirname(a), path.dirname(b)].join(path.delimiter);
      assert.equal(findIpmitool(), a);
      assert.equal(findIpmitool(), a);
      fs.rmSync(a);
      assert.equal(findIpmitool(), b, "a binary removed since the last lookup is searched for again");
      fs.rmSync(b);
      // Past PATH the standard directories are searched: the system's ipmitool if installed, else the install hint.
      let next;
      try {
        next = findIpmitool();
      } catch (e) {
        next = e.code;
      }
      assert.ok(next === "IPMITOOL_MISSING" || !next.startsWith(dir), `after both were removed: ${next}`);
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
