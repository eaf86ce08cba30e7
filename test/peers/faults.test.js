"use strict";
// Peers tier: the lab's faults as real clients meet them — lost and late datagrams, a BMC that stops answering (all of
// it, or only inside sessions), busy (0xC0) and broken (0xFF) command handling with working logins, restarts that lose
// sessions and keep or reset users, an impostor that cannot prove the password, garbage datagrams in both directions,
// and the session limit answered with "insufficient resources".
const assert = require("node:assert/strict");
const dgram = require("node:dgram");
const crypto = require("node:crypto");
const { startLab } = require("../../dist/lab");
const rakp = require("../../dist/transport/rmcp/rakp");
const packet = require("../../dist/transport/rmcp/packet");
const { IpmitoolSession } = require("../../dist/transport/ipmitool/session");
const { requirePeers, ipmitool, ipmitoolLogin, pyghmi, ipmiRaw } = require("./clients");

const admin = { user: "ADMIN", password: "ADMIN", suite: 17 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function timed(fn) {
  const t = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - t };
}

/** Sends raw datagrams to a BMC from a throwaway socket (a load generator, not a client under test). */
async function blast(bmc, datagrams) {
  const s = dgram.createSocket("udp4");
  await new Promise((r) => s.bind(0, "127.0.0.1", r));
  for (const d of datagrams) await new Promise((r) => s.send(d, bmc.port, bmc.host, r));
  await sleep(50);
  s.close();
}

describe("peers: faults of the lab as ipmitool, pyghmi and FreeIPMI meet them", function () {
  this.timeout(90000);
  const SETUP_MS = 1500;
  let lab, bmc;

  before(async () => {
    requirePeers();
    lab = await startLab({ count: 1, setupTimeoutMs: SETUP_MS });
    [bmc] = lab.bmcs;
  });
  afterEach(() => bmc.clearFaults());
  after(() => lab?.stop());

  it("drop: a lost request costs ipmitool one retransmission (≥ 1 s at -N 1 -R 2), then the session works", async () => {
    bmc.inject({ drop: { next: 1 } });
    const { result, ms } = await timed(() => ipmitool(bmc, { ...admin, retries: 2 }, ["raw 0x06 0x01"]));
    assert.equal(result.code, 0, result.text);
    assert.ok(ms >= 900, `took ${ms} ms`);
    assert.equal(bmc.bmc.faults.dropped, 1);
  });

  it("delay: every answer 100 ms late — the session still works and takes the delay once per request", async () => {
    bmc.inject({ delay: { ms: 100 } });
    const { result, ms } = await timed(() => ipmitool(bmc, admin, ["raw 0x06 0x01"]));
    assert.equal(result.code, 0, result.text);
    // ipmitool sends 11 requests for one raw command (session setup, probes, Close Session).
    assert.ok(ms >= 1000, `took ${ms} ms`);
  });

  it("stall: a BMC that stops answering inside sessions lets ipmitool log in and times the command out; all-scope refuses logins; clearing answers again", async () => {
    bmc.inject({ stall: { scope: "session" } });
    const hung = await ipmitool(bmc, admin, ["raw 0x06 0x01"]);
    assert.equal(hung.code, 1);
    assert.match(hung.text, /Unable to (send RAW command|establish)/);
    bmc.inject({ stall: { scope: "all" } });
    const refused = await ipmitool(bmc, admin, ["raw 0x06 0x01"]);
    assert.match(refused.text, /Unable to establish IPMI v2 \/ RMCP\+ session/);
    bmc.clearFaults();
    assert.ok(await ipmitoolLogin(bmc, admin));
  });

  it("stall inside sessions: the provider's ipmitool transport reports the unanswered Set Session Privilege Level as a timeout, not as a privilege refusal", async () => {
    bmc.inject({ stall: { scope: "session" } });
    const target = { host: bmc.host, port: bmc.port, username: "ADMIN", cipherSuite: 17, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 1 };
    const e = await IpmitoolSession.open(target, "ADMIN", { host: bmc.host, port: bmc.port }).then(() => undefined, (x) => x);
    assert.equal(e?.code, "BMC_TIMEOUT", e?.message);
    assert.equal(e.transient, true, "a stall is worth another try; a privilege refusal is not");
  });

  it("busy: the next Get User Access answers 0xC0, the one after works; logins are unaffected", async () => {
    bmc.inject({ busy: { count: 1, netFn: 0x06, cmd: 0x44 } });
    const r = await ipmitool(bmc, admin, ["raw 0x06 0x44 0x01 0x02", "raw 0x06 0x44 0x01 0x02"]);
    assert.match(r.text, /rsp=0xc0\): Node busy/);
    assert.match(r.text, /^ 0f 41 01 34\s*$/m);
  });

  it("unspecified: every command answers 0xFF while logins still succeed (ipmitool and FreeIPMI)", async () => {
    bmc.inject({ unspecified: true });
    const r = await ipmitool(bmc, admin, ["raw 0x06 0x01"]);
    assert.match(r.text, /rsp=0xff\): Unspecified error/);
    const f = await ipmiRaw(bmc, admin, ["06 01"]);
    assert.match(f.text, /rcvd: 01 FF/);
  });

  it("restart: sessions are lost (a held pyghmi session gets no answer); users are kept, or reset to the factory account; silent while down", async () => {
    await ipmitool(bmc, admin, ["user set name 3 ops", "user set password 3 Restart-Pass-1", "user priv 3 4 1", "channel setaccess 1 3 ipmi=on", "user enable 3"]);
    setTimeout(() => bmc.restart({ users: "keep" }), 1200);
    const held = await pyghmi(bmc, admin, [{ op: "raw_within", netfn: 6, command: 1, seconds: 1 }, { op: "sleep", seconds: 1.5 }, { op: "raw_within", netfn: 6, command: 1, seconds: 2 }]);
    assert.equal(held.ok, true, held.error);
    assert.deepEqual(held.results.map((s) => s.value?.answered), [true, undefined, false]);
    assert.equal(bmc.sessions(), 0);
    assert.ok(await ipmitoolLogin(bmc, { ...admin, user: "ops", password: "Restart-Pass-1" }), "users kept");

    bmc.restart({ users: "keep", downMs: 1500 });
    assert.ok(!(await ipmitoolLogin(bmc, admin)), "nothing answers while it boots");
    await sleep(1600);
    bmc.restart({ users: "reset" });
    assert.ok(!(await ipmitoolLogin(bmc, { ...admin, user: "ops", password: "Restart-Pass-1" })), "ops is gone after a reset");
    assert.ok(await ipmitoolLogin(bmc, admin));
  });

  it("impostor: a RAKP 2 made with the wrong key is refused by ipmitool, FreeIPMI and pyghmi, and counts against nobody", async () => {
    bmc.inject({ impostor: true });
    const i = await ipmitool(bmc, { ...admin, verbose: true }, ["raw 0x06 0x01"]);
    assert.match(i.text, /RAKP 2 HMAC is invalid/);
    const f = await ipmiRaw(bmc, admin, ["06 01"]);
    assert.match(f.text, /password invalid/);
    const p = await pyghmi(bmc, admin, []);
    assert.match(p.error, /Incorrect password provided/);
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.account(2).failedLogins, 0);
  });

  it("garbage: random datagrams before every answer do not confuse ipmitool or pyghmi; garbage sent to the BMC breaks nothing", async () => {
    bmc.inject({ garbage: { count: 2 } });
    // Garbage read before the answer can cost ipmitool an attempt, depending on timing: with -R 2 this login failed
    // once in about five CI runs on the loaded machine (cause not traced further), so it gets 4 attempts.
    assert.ok(await ipmitoolLogin(bmc, { ...admin, retries: 4 }));
    const p = await pyghmi(bmc, admin, [{ op: "raw", netfn: 6, command: 1 }]);
    assert.equal(p.ok, true, p.error);
    bmc.clearFaults();

    const open = packet.encodeRmcpPlus({ payloadType: 0x10, sessionId: 0, sequence: 0 }, rakp.encodeOpenSessionRequest({ tag: 1, privilege: 4, consoleSessionId: 7, algorithms: { auth: 3, integrity: 4, confidentiality: 1 } }));
    const junk = [];
    for (let n = 0; n < 500; n++) junk.push(crypto.randomBytes(1 + (n % 80)));
    for (let n = 1; n < open.length; n++) junk.push(open.subarray(0, n)); // every truncation of a real request
    for (let n = 0; n < 200; n++) {
      const flipped = Buffer.from(open);
      flipped[n % open.length] ^= 1 << n % 8;
      junk.push(flipped);
    }
    const errorsBefore = bmc.counts().errors;
    await blast(bmc, junk);
    assert.equal(bmc.counts().errors, errorsBefore, "no datagram reached an unexpected code path");
    await sleep(SETUP_MS + 300); // setups opened by the valid-looking ones expire
    assert.ok(await ipmitoolLogin(bmc, admin));
  });

  it("session limit: with 4 sessions taken, ipmitool is told 'insufficient resources'; once they expire it logs in", async () => {
    const opens = [1, 2, 3, 4].map((id) =>
      packet.encodeRmcpPlus({ payloadType: 0x10, sessionId: 0, sequence: 0 }, rakp.encodeOpenSessionRequest({ tag: 0, privilege: 4, consoleSessionId: 0x100 + id, algorithms: { auth: 3, integrity: 4, confidentiality: 1 } })),
    );
    await blast(bmc, opens);
    assert.equal(bmc.sessions(), 4);
    const full = await ipmitool(bmc, { ...admin, verbose: true }, ["raw 0x06 0x01"]);
    assert.equal(full.code, 1);
    assert.match(full.text, /insufficient resources for session/);
    await sleep(SETUP_MS + 300);
    assert.equal(bmc.sessions(), 0, "unfinished setups expire");
    assert.ok(await ipmitoolLogin(bmc, admin));
  });
});
