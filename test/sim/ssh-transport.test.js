"use strict";
// Sim tier, SSH and in-band transports: a real OpenSSH server on loopback (test/lab/sshd.js) with throwaway host keys
// and users. Jump-host mode (`bmc.via.ssh`) converges accounts on ipmi_sim BMCs through ipmitool run by sshd's
// session; in-band mode (`bmc.ssh`, `bmc.inband: "local"`) runs the real `ipmitool -I open` up to this machine's
// missing /dev/ipmi0. Every operation runs under the sentinel scan: BMC passwords, the SSH password and the key
// passphrase must never appear in any process's argv or environment (sshd's own session processes included, since
// they run on this machine), in errors or in plaintext state.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { utils: sshUtils } = require("ssh2");
const { Lab } = require("../lab/lab");
const { Sshd } = require("../lab/sshd");
const { SentinelScan } = require("../lab/sentinels");
const { bmcUserProvider: provider } = require("../../dist");

// At most 16 bytes: ipmi_sim keeps 16.
const S = {
  auto: "Sentinel-Auto-31", // the automation administrator the later operations log in with
  ops: "Sentinel-Ops-271",
  ops2: "Sentinel-Ops-161",
  sshPw: "Sentinel-SshPw-141",
  phrase: "Sentinel-Phrase-173",
};
const scan = new SentinelScan(Object.values(S));

async function checked(news) {
  const r = await provider.check({}, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

/** Runs `fn` under the scan and returns its result, failing on any error. */
async function ok(fn) {
  const { result, error } = await scan.watch(fn);
  assert.ok(!error, error && `${error.code}: ${error.message}`);
  return result;
}

/** Runs `fn` under the scan and returns the error it must throw. */
async function fails(fn) {
  const { result, error } = await scan.watch(fn);
  assert.ok(error, `expected a failure, got ${JSON.stringify(result && result.id)}`);
  return error;
}

describe("sim: SSH transports against a real sshd", function () {
  this.timeout(120000);
  const lab = new Lab();
  let sshd, smc, encrypted;

  before(async () => {
    assert.ok(!fs.existsSync("/dev/ipmi0"), "this tier expects a machine without a BMC device (the in-band cases assert the missing-device error)");
    sshd = await new Sshd({ passwords: { admin: S.sshPw } }).start();
    // A key encrypted with a sentinel passphrase (ssh2's generator: the passphrase never reaches an argv).
    encrypted = sshUtils.generateKeyPairSync("ed25519", { passphrase: S.phrase, cipher: "aes256-ctr" });
    sshd.authorize(encrypted.public);
    [smc] = await lab.start([{ name: "ssh-smc", vendor: "supermicro" }]);
  });
  after(async () => {
    await lab.stop();
    if (sshd) await sshd.stop();
  });

  describe("jump host (bmc.via.ssh): ipmitool -I lanplus on the bastion", () => {
    let autoId, autoOuts, id, outs, inputs;

    it("creates an administrator through the bastion, logging in with a key", async () => {
      const auto = await checked({ bmc: { ...smc.connection({ transport: "ipmitool" }), via: { ssh: sshd.ssh("admin") } }, userId: 3, username: "auto", password: S.auto, privilege: "administrator" });
      ({ id: autoId, outs: autoOuts } = await ok(() => provider.create(auto)));
      assert.equal(autoOuts.passwordState, "verified");
      assert.equal(autoId, `127.0.0.1:${smc.port}/ch1/user3`);
      assert.ok(await smc.canLogin("auto", S.auto, "ADMINISTRATOR"));
    });

    it("create → read → update password → read → delete, logging in as that administrator with the SSH password", async () => {
      const bmc = { ...smc.connection({ transport: "ipmitool", username: "auto", password: S.auto }), via: { ssh: sshd.ssh("admin", { password: S.sshPw }) } };
      inputs = await checked({ bmc, username: "ops", password: S.ops, privilege: "operator" });
      ({ id, outs } = await ok(() => provider.create(inputs)));
      assert.equal(outs.passwordState, "verified");
      let live = await smc.slot(outs.userId);
      assert.equal(live.name, "ops");
      assert.equal(live.privilege, 3);
      assert.ok(await smc.canLogin("ops", S.ops, "OPERATOR"));
      // The SSH secrets stay in the (secret) bmc output, which read and delete need; nothing else holds them.
      assert.equal(outs.bmc.via.ssh.password, S.sshPw);

      const read1 = await ok(() => provider.read(id, outs));
      assert.equal(read1.props.passwordState, "verified");
      assert.equal((await provider.diff(id, read1.props, inputs)).changes, false);

      const news = await checked({ bmc, username: "ops", password: S.ops2, privilege: "operator" });
      const d = await provider.diff(id, read1.props, news);
      assert.deepEqual([d.changes, d.replaces], [true, []]);
      const upd = await ok(() => provider.update(id, read1.props, news));
      assert.equal(upd.outs.passwordState, "verified");
      assert.ok(await smc.canLogin("ops", S.ops2, "OPERATOR"));
      assert.ok(!(await smc.canLogin("ops", S.ops, "OPERATOR")));

      const read2 = await ok(() => provider.read(id, upd.outs));
      assert.equal(read2.props.passwordState, "verified");

      await ok(() => provider.delete(id, read2.props));
      live = await smc.slot(outs.userId);
      assert.equal(live.name, "");
      assert.ok(!(await smc.canLogin("ops", S.ops2)));
    });

    it("an encrypted key with its passphrase works; a route change is an update, not a replacement", async () => {
      const bmc = { ...smc.connection({ transport: "ipmitool", username: "auto", password: S.auto }), via: { ssh: sshd.ssh("admin", { privateKey: encrypted.private, passphrase: S.phrase }) } };
      const r = await ok(async () => provider.read(autoId, { ...autoOuts, bmc: (await checked({ bmc, userId: 3, username: "auto", password: S.auto, privilege: "administrator" })).bmc }));
      assert.equal(r.props.passwordState, "verified");
      const d = await provider.diff(autoId, autoOuts, await checked({ bmc, userId: 3, username: "auto", password: S.auto, privilege: "administrator" }));
      assert.deepEqual([d.changes, d.replaces], [true, []]);
    });

    it("a BMC login failure through the bastion is reported as the BMC's, not as an SSH failure", async () => {
      const e = await fails(async () => provider.create(await checked({ bmc: { ...smc.connection({ transport: "ipmitool", username: "nobody", password: "not-the-password" }), via: { ssh: sshd.ssh("admin") } }, username: "x1", password: S.ops, privilege: "user" })));
      assert.equal(e.code, "BMC_LOGIN_REJECTED");
      assert.equal(e.context.reason, "user");
    });
  });

  describe("failures of the SSH leg", () => {
    const jump = (ssh) => checked({ bmc: { ...smc.connection({ transport: "ipmitool" }), via: { ssh } }, username: "x2", password: S.ops, privilege: "user" });

    it("a host key other than the pinned one: SSH_HOST_KEY_MISMATCH, and no credential reaches sshd", async () => {
      const before = sshd.log().length;
      const wrong = sshd.otherKey.publicKey;
      const e = await fails(async () => provider.create(await jump(sshd.ssh("admin", { password: S.sshPw, hostKey: wrong }))));
      assert.equal(e.code, "SSH_HOST_KEY_MISMATCH");
      assert.match(e.message, /presented host key SHA256:\S+, not the pinned SHA256:\S+; nothing was sent/);
      assert.match(e.hint, /update ssh\.hostKey/);
      await new Promise((r) => setTimeout(r, 200));
      const log = sshd.log().slice(before);
      assert.doesNotMatch(log, /Accepted|Failed (password|publickey)|authentication/i, "the client authenticated after a host key mismatch");
    });

    it("pinning the server's other key type selects that key; a pinned type the server lacks fails closed", async () => {
      const asEcdsa = sshd.ssh("admin", { privateKey: sshd.clientKey.privateKey });
      asEcdsa.hostKey = sshd.hostKeys.ecdsa.publicKey;
      const r = await ok(async () => provider.create(await jump(asEcdsa)));
      await ok(() => provider.delete(r.id, r.outs));
      const rsa = sshUtils.generateKeyPairSync("rsa", { bits: 2048 }).public;
      const e = await fails(async () => provider.create(await jump(sshd.ssh("admin", { privateKey: sshd.clientKey.privateKey, hostKey: rsa }))));
      assert.equal(e.code, "SSH_HOST_KEY_MISMATCH");
    });

    it("a private key the server does not know: SSH_AUTH_FAILED", async () => {
      const e = await fails(async () => provider.create(await jump(sshd.ssh("admin", { privateKey: sshd.otherKey.privateKey }))));
      assert.equal(e.code, "SSH_AUTH_FAILED");
      assert.match(e.hint, /authorized_keys/);
    });

    it("a wrong SSH password: SSH_AUTH_FAILED", async () => {
      const e = await fails(async () => provider.create(await jump(sshd.ssh("admin", { password: "Wrong-Pw-000" }))));
      assert.equal(e.code, "SSH_AUTH_FAILED");
    });

    it("nothing listening: SSH_UNREACHABLE", async () => {
      const e = await fails(async () => provider.create(await jump({ ...sshd.ssh("admin"), port: 1 })));
      assert.equal(e.code, "SSH_UNREACHABLE");
    });

    it("ipmitool missing on the remote host (a PATH without it): IPMITOOL_MISSING naming that host", async () => {
      const e = await fails(async () => provider.create(await jump(sshd.ssh("nopath"))));
      assert.equal(e.code, "IPMITOOL_MISSING");
      assert.match(e.message, /not installed on 127\.0\.0\.1/);
    });
  });

  describe("in-band: ipmitool -I open on a host without /dev/ipmi0", () => {
    const inband = (bmc) => checked({ bmc, username: "ops", password: S.ops, privilege: "operator" });

    it("inband: local runs the real ipmitool here and reports the missing device with the modprobe hint", async () => {
      const inputs = await inband({ inband: "local" });
      assert.equal(inputs.bmc.host, "inband@local");
      const e = await fails(() => provider.create(inputs));
      assert.equal(e.code, "BMC_INBAND_DEVICE_MISSING");
      assert.match(e.hint, /modprobe ipmi_si ipmi_devintf/);
    });

    it("bmc.ssh runs it on the target host: the same clear error", async () => {
      const e = await fails(async () => provider.create(await inband({ ssh: sshd.ssh("admin") })));
      assert.equal(e.code, "BMC_INBAND_DEVICE_MISSING");
      assert.match(e.hint, /modprobe/);
    });

    it("sudo: true with a NOPASSWD rule reaches the device as root: still the missing device, not a permission error", async () => {
      const e = await fails(async () => provider.create(await inband({ ssh: { ...sshd.ssh("admin", { password: S.sshPw }), sudo: true } })));
      assert.equal(e.code, "BMC_INBAND_DEVICE_MISSING");
    });

    it("sudo: true where sudo wants a password: SSH_SUDO_FAILED explaining the NOPASSWD rule", async () => {
      const e = await fails(async () => provider.create(await inband({ ssh: { ...sshd.ssh("nosudo"), sudo: true } })));
      assert.equal(e.code, "SSH_SUDO_FAILED");
      assert.match(e.message, /sudo -n/);
      assert.match(e.hint, /NOPASSWD/);
    });

    it("in-band over a PATH without ipmitool: IPMITOOL_MISSING", async () => {
      const e = await fails(async () => provider.create(await inband({ ssh: sshd.ssh("nopath") })));
      assert.equal(e.code, "IPMITOOL_MISSING");
    });
  });

  describe("break-glass CLI with the SSH options", () => {
    const path = require("node:path");
    const { spawn } = require("node:child_process");
    const cli = (args, env = {}) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(__dirname, "../../dist/cli/main.js"), ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => resolve({ code, out, err }));
      });
    let keyFile;
    before(() => {
      keyFile = path.join(sshd.root, "cli-key");
      fs.writeFileSync(keyFile, sshd.clientKey.privateKey, { mode: 0o600 });
    });
    const sshFlags = () => ["--ssh-host", "127.0.0.1", "--ssh-port", String(sshd.port), "--ssh-user", sshd.users.admin, "--ssh-key-file", keyFile, "--ssh-host-key", sshd.hostKeys.ed25519.publicKey];

    it("users --via-ssh lists the BMC's accounts through the jump host", async () => {
      // --password-file, not IPMI_PASSWORD: the sentinel must not be in any process's environment either.
      const pwFile = path.join(sshd.root, "cli-bmc-pw");
      fs.writeFileSync(pwFile, `${S.auto}\n`, { mode: 0o600 });
      const r = await ok(() => cli(["users", "--host", "127.0.0.1", "--port", String(smc.port), "--username", "auto", "--cipher-suite", "3", "--timeout", "1", "--retries", "1", "--password-file", pwFile, "--via-ssh", ...sshFlags()]));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^3\s+auto\s+administrator/m);
    });

    it("users --ssh-host (in-band there) and --inband local: exit 1 with the missing-device explanation", async () => {
      for (const route of [sshFlags(), ["--inband", "local"]]) {
        const r = await ok(() => cli(["users", ...route]));
        assert.equal(r.code, 1, r.out);
        assert.match(r.err, /no IPMI device/);
      }
    });

    it("usage errors: in-band with --host, a missing host key, an SSH password on argv (exit 2, nothing sent)", async () => {
      const flags = sshFlags();
      const noKey = flags.filter((f, i) => f !== "--ssh-host-key" && flags[i - 1] !== "--ssh-host-key");
      for (const [args, why] of [
        [["users", "--inband", "local", "--host", "10.0.0.5"], /drop --host/],
        [["users", ...noKey], /host key/],
        [["users", ...flags, "--ssh-password", "x"], /never taken from the command line/],
      ]) {
        const r = await cli(args);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, why);
      }
    });
  });

  after(() => {
    // eslint-disable-next-line no-console
    console.log(`      sentinel checks: ${scan.checks}, process samples: ${scan.processSamples}`);
  });
});
