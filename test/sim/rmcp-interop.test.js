"use strict";
// Sim tier: the native RMCP+ client against peers nobody here wrote — OpenIPMI's ipmi_sim (suite 3) and pyghmi's BMC
// server (Debian python3-pyghmi, suite 3) — with requests counted through the UDP proxy and every write checked by
// ipmitool out of band; and the key arithmetic against libfreeipmi's ipmi_calculate_* on random inputs, at test time.
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { Lab } = require("../lab/lab");
const { UdpProxy } = require("../lab/udp-proxy");
const { startPyghmiBmc } = require("../lab/pyghmi");
const { openRmcpSession } = require("../../dist/transport/rmcp/session");
const { RmcpSockets } = require("../../dist/transport/rmcp/socket");
// pyghmi keys sessions by client port and answers a reused port from its closed session (the client then spends two
// requests resetting it; tested once, explicitly): exact counts against pyghmi use fresh sockets.
const fresh = () => ({ sockets: new RmcpSockets() });
const rcrypto = require("../../dist/transport/rmcp/crypto");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const padded = (s, n = 16) => [...Buffer.from(s, "latin1"), ...Buffer.alloc(n - s.length)];

async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a failure");
}

describe("sim: native RMCP+ client against ipmi_sim (suite 3)", function () {
  this.timeout(60000);
  const lab = new Lab();
  let bmc, proxy;
  const target = (extra = {}) => ({ host: "127.0.0.1", port: proxy.listenPort, username: bmc.admin.username, cipherSuite: 3, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 2, ...extra });

  before(async () => {
    [bmc] = await lab.start([{ name: "native-interop" }]);
    proxy = new UdpProxy({ targetPort: bmc.port });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await lab.stop();
  });

  it("opens in 4 requests (Open Session, RAKP 1, RAKP 3, Set Session Privilege), answers Get Device ID, closes with 1", async () => {
    await proxy.settled();
    const before = proxy.counts.up;
    const s = await openRmcpSession(target(), bmc.admin.password, {});
    assert.equal(proxy.counts.up - before, 4);
    const id = await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
    assert.equal(id.completionCode, 0);
    assert.equal(id.data[6] | (id.data[7] << 8) | (id.data[8] << 16), bmc.manufacturerId, "the personality's manufacturer id");
    await s.close();
    await proxy.settled();
    assert.equal(proxy.counts.up - before, 6);
  });

  it("writes sealed by the native client are what ipmitool reads back, and the password set logs in with ipmitool", async () => {
    const s = await openRmcpSession(target(), bmc.admin.password, {});
    const pw = "Sentinel-Nat-005";
    for (const [cmd, data] of [
      [0x45, [5, ...padded("native5")]],
      [0x47, [5, 0x02, ...padded(pw)]],
      [0x43, [0x90 | 1, 5, 0x03, 0x00]],
      [0x47, [5, 0x01]],
    ]) {
      const r = await s.send({ netFn: 6, cmd, data, label: `0x${cmd.toString(16)}` });
      assert.equal(r.completionCode, 0, `command 0x${cmd.toString(16)}`);
    }
    await s.close();
    const slot = await bmc.slot(5);
    assert.equal(slot.name, "native5");
    assert.equal(slot.privilege, 3);
    assert.ok(await bmc.canLogin("native5", pw, "OPERATOR"), "ipmitool logs in with the password the native client set");
  });

  it("several requests outstanding in one session (pipelined reads) each get their own answer", async () => {
    const s = await openRmcpSession(target(), bmc.admin.password, {});
    const ids = [2, 3, 4, 5, 6, 7, 8, 9];
    const names = await Promise.all(ids.map((id) => s.send({ netFn: 6, cmd: 0x46, data: [id], label: `Get User Name ${id}` })));
    const text = names.map((r) => Buffer.from(r.data).toString("latin1").replace(/\0+$/, ""));
    assert.equal(text[0], bmc.admin.username);
    assert.equal(text[3], "native5");
    await s.close();
  });

  it("a wrong password is BMC_LOGIN_REJECTED (password) after Open Session and RAKP 1 only", async () => {
    await proxy.settled();
    const before = proxy.counts.up;
    const e = await failure(openRmcpSession(target(), "Sentinel-Wrong-01", {}));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "password");
    await proxy.settled();
    assert.equal(proxy.counts.up - before, 2, "no RAKP 3 was sent");
  });

  it("an unknown user is BMC_LOGIN_REJECTED (user): ipmi_sim answers RAKP 2 with status 0x0D", async () => {
    const e = await failure(openRmcpSession(target({ username: "nobody" }), "whatever1", {}));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "user");
    assert.equal(e.context.rmcpStatus, "0x0d");
  });

  it("suite 17 is refused by ipmi_sim (status 0x04): BMC_CIPHER_REFUSED", async () => {
    const e = await failure(openRmcpSession(target({ cipherSuite: 17 }), bmc.admin.password, {}));
    assert.equal(e.code, "BMC_CIPHER_REFUSED");
    assert.equal(e.context.rmcpStatus, "0x04");
  });

  it("an operator account opens at OPERATOR and reads its own slot (ipmi_sim does not enforce limits at login)", async () => {
    const s = await openRmcpSession(target({ username: "native5", privilege: "OPERATOR" }), "Sentinel-Nat-005", {});
    const access = await s.send({ netFn: 6, cmd: 0x44, data: [1, 5], label: "Get User Access" });
    assert.equal(access.completionCode, 0);
    assert.equal(access.data[3] & 0x0f, 3);
    await s.close();
  });

  it("a proof-only login (verification) costs Open Session, RAKP 1 and RAKP 3, then Close Session", async () => {
    await proxy.settled();
    const before = proxy.counts.up;
    const s = await openRmcpSession(target({ username: "native5", privilege: "OPERATOR", proofOnly: true }), "Sentinel-Nat-005", {});
    await s.close();
    await proxy.settled();
    assert.equal(proxy.counts.up - before, 4);
  });

  it("a BMC restarted mid-session: the session's next request is BMC_TIMEOUT (transient); a new session works", async () => {
    const s = await openRmcpSession(target({ timeoutSeconds: 1, retries: 1 }), bmc.admin.password, {});
    await lab.restart(bmc, { settleMs: 1200 });
    const e = await failure(s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" }));
    assert.equal(e.code, "BMC_TIMEOUT");
    assert.equal(e.transient, true);
    await s.close();
    const again = await openRmcpSession(target(), bmc.admin.password, {});
    assert.equal((await again.send({ netFn: 6, cmd: 0x46, data: [5], label: "Get User Name" })).completionCode, 0);
    await again.close();
  });
});

describe("sim: native RMCP+ client against pyghmi's BMC server (suite 3)", function () {
  this.timeout(60000);
  const PW = "Sentinel-Pyg-001";
  let peer, proxy;
  const target = (extra = {}) => ({ host: "127.0.0.1", port: proxy.listenPort, username: "admin", cipherSuite: 3, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 2, ...extra });

  before(async () => {
    peer = await startPyghmiBmc({ admin: PW });
    proxy = new UdpProxy({ targetPort: peer.port });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await peer?.stop();
  });

  it("logs in (4 requests) and reads Get Device ID (pyghmi's 14-byte answer)", async () => {
    const before = proxy.counts.up;
    const s = await openRmcpSession(target(), PW, {}, fresh());
    assert.equal(proxy.counts.up - before, 4);
    const r = await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
    assert.equal(r.completionCode, 0);
    assert.equal(r.data.readUInt32LE(6), 0x1291, "manufacturer id as the peer was configured");
    assert.equal((await s.send({ netFn: 6, cmd: 0x44, data: [1, 2], label: "Get User Access" })).completionCode, 0xc1, "pyghmi answers other commands 0xC1");
    await s.close();
  });

  it("refuses pyghmi's downgrade: asked for suite 17, it answers with suite 3's algorithms", async () => {
    const e = await failure(openRmcpSession(target({ cipherSuite: 17 }), PW, {}));
    assert.equal(e.code, "BMC_CIPHER_REFUSED");
    assert.match(e.message, /1\/1\/1 instead of the proposed 3\/4\/1/);
  });

  it("a wrong password: rejected after RAKP 2, no RAKP 3", async () => {
    await proxy.settled();
    const before = proxy.counts.up;
    const e = await failure(openRmcpSession(target(), "Sentinel-Wrong-02", {}, fresh()));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "password");
    await proxy.settled();
    assert.equal(proxy.counts.up - before, 2);
  });

  it("an unknown user: pyghmi drops RAKP 1 silently; BMC_LOGIN_REJECTED (user) after (retries + 1) × timeout", async () => {
    const started = Date.now();
    const e = await failure(openRmcpSession(target({ username: "nobody" }), "whatever1", {}));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "user");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2900 && elapsed < 3900, `${elapsed} ms`);
  });

  it("an answer that arrived while this process was stalled is taken, not lost to its own timeout (retries 1)", async () => {
    // Straight to pyghmi (the counting proxy runs in this process and would stall too).
    const s = await openRmcpSession(target({ port: peer.port, retries: 1 }), PW, {}, fresh());
    const pending = s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
    // The request leaves at once (a few microtasks); pyghmi (another process) answers within milliseconds while this
    // process is busy for longer than the 1 s timeout, in the check phase: the loop's next turn finds the timer expired
    // before it polls the socket, where the answer waits.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await new Promise((resolve) =>
      setImmediate(() => {
        const until = Date.now() + 1600;
        while (Date.now() < until) {
          /* a stalled event loop: a long collection, a loaded host */
        }
        resolve();
      }),
    );
    const r = await pending;
    assert.equal(r.completionCode, 0);
    await s.close();
  });

  it("two sessions at once (pyghmi keeps one per client port: two sockets), and a port reused after Close Session", async () => {
    const [a, b] = await Promise.all([openRmcpSession(target(), PW, {}), openRmcpSession(target(), PW, {})]);
    const answers = await Promise.all([a, b].map((s) => s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" })));
    assert.deepEqual(answers.map((r) => r.completionCode), [0, 0]);
    await Promise.all([a.close(), b.close()]);
    await sleep(50);
    // pyghmi answers the next Open Session from this port out of its closed session; the client resets the port
    // (one IPMI 1.5 Get Channel Authentication Capabilities) and opens normally.
    const before = proxy.counts.up;
    const c = await openRmcpSession(target(), PW, {});
    assert.equal((await c.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" })).completionCode, 0);
    assert.equal(proxy.counts.up - before, 4 + 2 + 1, "the stale Open Session and the reset cost two requests");
    await c.close();
  });
});

describe("sim: native RMCP+ client at suite 17 against pyghmi's BMC made to speak SHA-256 (proven by ipmitool -C 17)", function () {
  this.timeout(60000);
  const PW16 = "Sentinel-Pyg-17x";
  const PW20 = "Sentinel-Pyg-17-20bx";
  let peer, proxy;
  const target = (extra = {}) => ({ host: "127.0.0.1", port: proxy.listenPort, username: "admin", cipherSuite: 17, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 2, ...extra });

  before(async () => {
    peer = await startPyghmiBmc({ admin: PW16, longpw: PW20 }, { suite: 17 });
    proxy = new UdpProxy({ targetPort: peer.port });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await peer?.stop();
  });

  it("the peer is a working suite-17 BMC: ipmitool -C 17 logs in and reads Get Device ID", () => {
    // The password reaches ipmitool on a pipe (stdin through a process substitution), never argv.
    const r = spawnSync("bash", ["-c", 'exec ipmitool -I lanplus -H 127.0.0.1 -p "$1" -U admin -C 17 -N 1 -R 2 -f <(cat) raw 6 1 2>&1', "ipmitool", String(peer.port)], {
      encoding: "utf8",
      input: `${PW16}\n`,
    });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /91 12 00 00/, "the manufacturer id the peer was configured with");
  });

  it("logs in with 16- and 20-byte passwords in 4 requests, AES + HMAC-SHA256-128 in the session", async () => {
    for (const [username, pw] of [["admin", PW16], ["longpw", PW20]]) {
      const before = proxy.counts.up;
      const s = await openRmcpSession(target({ username }), pw, {}, fresh());
      assert.equal(proxy.counts.up - before, 4);
      const r = await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
      assert.equal(r.completionCode, 0);
      assert.equal(r.data.readUInt32LE(6), 0x1291);
      await s.close();
      await sleep(20);
    }
  });

  it("a wrong password is refused after RAKP 2 (SHA-256 code), without RAKP 3", async () => {
    await proxy.settled();
    const before = proxy.counts.up;
    const e = await failure(openRmcpSession(target(), "Sentinel-Wrong-17", {}, fresh()));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "password");
    await proxy.settled();
    assert.equal(proxy.counts.up - before, 2);
  });

  it("asked for suite 3, it answers suite 17's algorithms: refused as well (no silent change either way)", async () => {
    const e = await failure(openRmcpSession(target({ cipherSuite: 3 }), PW16, {}));
    assert.equal(e.code, "BMC_CIPHER_REFUSED");
  });
});

describe("sim: RMCP+ key arithmetic against libfreeipmi at test time (random inputs, suites 3 and 17)", () => {
  it("SIK, K1, K2 and the RAKP 3 code agree with ipmi_calculate_* for 80 random exchanges", () => {
    const cases = [];
    for (let i = 0; i < 80; i++) {
      const suite = i % 2 ? 17 : 3;
      const printable = (n) => Array.from(crypto.randomBytes(n), (b) => String.fromCharCode(0x21 + (b % 94))).join("");
      cases.push({
        suite,
        alg: rcrypto.CIPHER_SUITES[suite].authAlg,
        password: printable(1 + (i % 20)),
        username: printable(i % 17),
        rm: crypto.randomBytes(16).toString("hex"),
        rc: crypto.randomBytes(16).toString("hex"),
        sidm: crypto.randomInt(1, 2 ** 32),
        nameOnly: i % 3 ? 1 : 0,
        privilege: 1 + (i % 4),
      });
    }
    const run = spawnSync("/usr/bin/python3", [path.join(__dirname, "../lab/freeipmi-oracle.py")], { input: JSON.stringify(cases), encoding: "utf8" });
    assert.equal(run.status, 0, `libfreeipmi oracle (Debian libfreeipmi17) failed: ${run.stderr}`);
    const theirs = JSON.parse(run.stdout);
    cases.forEach((c, i) => {
      const suite = rcrypto.CIPHER_SUITES[c.suite];
      const kuid = rcrypto.userKey(c.password);
      const x = { consoleSessionId: c.sidm, bmcSessionId: 0, consoleRandom: Buffer.from(c.rm, "hex"), bmcRandom: Buffer.from(c.rc, "hex"), bmcGuid: Buffer.alloc(16), role: (c.nameOnly << 4) | c.privilege, username: Buffer.from(c.username, "latin1") };
      const sik = rcrypto.sessionIntegrityKey(suite, kuid, x);
      const keys = rcrypto.sessionKeys(suite, sik);
      assert.deepEqual(
        { sik: sik.toString("hex"), k1: keys.k1.toString("hex"), k2: keys.k2.toString("hex"), rakp3: rcrypto.rakp3Code(suite, kuid, x).toString("hex") },
        theirs[i],
        `case ${i} (suite ${c.suite})`,
      );
    });
  });
});
