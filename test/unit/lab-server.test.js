"use strict";
// The lab's RMCP+ session layer on paths no Debian client takes: ipmitool, FreeIPMI and pyghmi never send a RAKP 3
// with a wrong code or an error status, never replay packets, never drop the authenticated bit. These drive one
// virtual BMC in-process (no socket) with the shared wire layer and a fake clock; the external-client tier covers the
// paths those clients do take.
const assert = require("node:assert/strict");
const { randomBytes } = require("node:crypto");
const { VirtualBmc, PERSONALITIES } = require("../../dist/lab");
const crypto = require("../../dist/transport/rmcp/crypto");
const rakp = require("../../dist/transport/rmcp/rakp");
const packet = require("../../dist/transport/rmcp/packet");
const envelope = require("../../dist/transport/rmcp/envelope");

const SUITE = crypto.CIPHER_SUITES[17];
const PEER = { address: "127.0.0.1", port: 40000 };

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function labBmc(clock, options = {}) {
  const bmc = new VirtualBmc({ personality: PERSONALITIES.generic, clock, setupTimeoutMs: 3000, ...options });
  const sent = [];
  bmc.send = (d, p) => sent.push({ d, p });
  const exchange = (buf, peer = PEER) => {
    sent.length = 0;
    bmc.receive(buf, peer);
    return sent.map((s) => packet.decodeDatagram(s.d, 16));
  };
  return { bmc, exchange, sent };
}

const setup = (type, payload) => packet.encodeRmcpPlus({ payloadType: type, sessionId: 0, sequence: 0 }, payload);

/** Open Session + RAKP 1; returns what RAKP 3 and the session need. */
function toRakp2(t, { user = "ADMIN", consoleSessionId = 0x1234, peer = PEER, role = 0x14 } = {}) {
  const [open] = t.exchange(setup(0x10, rakp.encodeOpenSessionRequest({ tag: 1, privilege: 0, consoleSessionId, algorithms: { auth: 3, integrity: 4, confidentiality: 1 } })), peer);
  const opened = rakp.decodeOpenSessionResponse(open.payload);
  assert.equal(opened.status, 0);
  const rm = randomBytes(16);
  const [r2] = t.exchange(setup(0x12, rakp.encodeRakp1({ tag: 2, bmcSessionId: opened.bmcSessionId, consoleRandom: rm, role, username: Buffer.from(user) })), peer);
  const rakp2 = rakp.decodeRakp2(r2.payload);
  assert.equal(rakp2.status, 0);
  const x = { consoleSessionId, bmcSessionId: opened.bmcSessionId, consoleRandom: rm, bmcRandom: rakp2.bmcRandom, bmcGuid: rakp2.bmcGuid, role, username: Buffer.from(user) };
  return { x, rakp2 };
}

function login(t, password = "ADMIN", options) {
  const { x } = toRakp2(t, options);
  const kuid = crypto.userKey(password);
  const [r4] = t.exchange(setup(0x14, rakp.encodeRakp3({ tag: 3, status: 0, bmcSessionId: x.bmcSessionId, code: crypto.rakp3Code(SUITE, kuid, x) })), options?.peer);
  assert.equal(rakp.decodeRakp4(r4.payload).status, 0);
  const keys = crypto.sessionKeys(SUITE, crypto.sessionIntegrityKey(SUITE, kuid, x));
  return { x, cipher: { suite: SUITE, k1: keys.k1, k2: keys.k2 } };
}

function command(t, s, sequence, netFn, cmd, data = [], { peer = PEER, authenticated = true } = {}) {
  const plaintext = packet.encodeRequest({ netFn, cmd, data: Buffer.from(data), rqSeq: sequence & 0x3f });
  const buf = authenticated
    ? envelope.seal(s.cipher, { payloadType: 0, sessionId: s.x.bmcSessionId, sequence, plaintext })
    : packet.encodeRmcpPlus({ payloadType: 0, sessionId: s.x.bmcSessionId, sequence }, plaintext);
  t.sent.length = 0;
  t.bmc.receive(buf, peer);
  return t.sent.map((o) => packet.decodeResponse(envelope.open(s.cipher, o.d).plaintext));
}

describe("unit: lab RMCP+ session layer (paths the Debian clients never take)", () => {
  it("a RAKP 3 whose code does not verify: RAKP 4 status 0x0F, the session is gone, one failed login counted", () => {
    const t = labBmc(fakeClock());
    const { x } = toRakp2(t);
    const [r4] = t.exchange(setup(0x14, rakp.encodeRakp3({ tag: 3, status: 0, bmcSessionId: x.bmcSessionId, code: crypto.rakp3Code(SUITE, crypto.userKey("WRONG"), x) })));
    assert.equal(rakp.decodeRakp4(r4.payload).status, 0x0f);
    assert.equal(t.bmc.sessionCount(), 0);
    assert.equal(t.bmc.accounts.view(2).failedLogins, 1);
  });

  it("a RAKP 3 carrying an error status counts as a failed login, and the session ends", () => {
    const t = labBmc(fakeClock());
    const { x } = toRakp2(t);
    t.exchange(setup(0x14, rakp.encodeRakp3({ tag: 3, status: 0x0f, bmcSessionId: x.bmcSessionId })));
    assert.equal(t.bmc.sessionCount(), 0);
    assert.equal(t.bmc.accounts.view(2).failedLogins, 1);
  });

  it("a RAKP 2 left unanswered counts once the setup timeout passes — unless the same console logs the slot in meanwhile", () => {
    const clock = fakeClock();
    const t = labBmc(clock);
    toRakp2(t);
    clock.advance(2999);
    t.bmc.sweep();
    assert.equal(t.bmc.accounts.view(2).failedLogins, 0);
    clock.advance(1);
    t.bmc.sweep();
    assert.equal(t.bmc.accounts.view(2).failedLogins, 1);
    assert.equal(t.bmc.sessionCount(), 0, "the setup expired too");

    t.bmc.accounts.recordLogin(2, true);
    toRakp2(t); // lost RAKP 3 …
    login(t); // … and the client's retry from the same socket succeeds
    clock.advance(5000);
    t.bmc.sweep();
    assert.equal(t.bmc.accounts.view(2).failedLogins, 0, "a lost packet is not a wrong password");
    toRakp2(t, { peer: { address: "127.0.0.1", port: 40001 } });
    login(t);
    clock.advance(5000);
    t.bmc.sweep();
    assert.equal(t.bmc.accounts.view(2).failedLogins, 1, "another console's unanswered RAKP 2 still counts");
  });

  it("active sessions: replayed and stale sequence numbers, unauthenticated packets and another address are dropped; the window moves", () => {
    const t = labBmc(fakeClock());
    const s = login(t);
    assert.equal(command(t, s, 20, 6, 1).length, 1);
    assert.equal(command(t, s, 20, 6, 1).length, 0, "replay");
    assert.equal(command(t, s, 3, 6, 1).length, 0, "more than 16 behind");
    assert.equal(command(t, s, 36, 6, 1).length, 0, "more than 15 ahead");
    assert.equal(command(t, s, 35, 6, 1).length, 1);
    assert.equal(command(t, s, 21, 6, 1).length, 1, "inside the window, not seen before");
    assert.equal(command(t, s, 36, 6, 1, [], { authenticated: false }).length, 0, "no AuthCode");
    assert.equal(command(t, s, 37, 6, 1, [], { peer: { address: "127.0.0.2", port: 40000 } }).length, 0, "another address");
  });

  it("Set Session Privilege Level and per-command privilege: sessions start at user; 0xD4 below the command's level; 0x81 above the session's limit", () => {
    const t = labBmc(fakeClock());
    const s = login(t);
    let [r] = command(t, s, 1, 6, 0x3b, [0]);
    assert.deepEqual([r.completionCode, ...r.data], [0, 2], "starts at user");
    [r] = command(t, s, 2, 6, 0x44, [1, 2]);
    assert.equal(r.completionCode, 0xd4);
    [r] = command(t, s, 3, 6, 0x3b, [4]);
    assert.deepEqual([r.completionCode, ...r.data], [0, 4]);
    [r] = command(t, s, 4, 6, 0x3b, [5]);
    assert.equal(r.completionCode, 0x80);
    [r] = command(t, s, 5, 6, 0x44, [1, 2]);
    assert.equal(r.completionCode, 0);
    [r] = command(t, s, 6, 0x2c, 0x3e, [0, 2]);
    assert.equal(r.completionCode, 0xc1);

    t.bmc.accounts.seed({ slot: 3, name: "ops", password: "Ops-Pass-1", privilege: "operator" });
    const ops = login(t, "Ops-Pass-1", { user: "ops", role: 0x13, consoleSessionId: 0x4444, peer: { address: "127.0.0.1", port: 40004 } });
    [r] = command(t, ops, 1, 6, 0x3b, [4], { peer: { address: "127.0.0.1", port: 40004 } });
    assert.equal(r.completionCode, 0x81, "above the operator role this session was opened with");
    [r] = command(t, ops, 2, 6, 0x3b, [3], { peer: { address: "127.0.0.1", port: 40004 } });
    assert.deepEqual([r.completionCode, ...r.data], [0, 3]);
  });

  it("Close Session is answered inside the session, then the session is gone; another's needs administrator", () => {
    const t = labBmc(fakeClock());
    const a = login(t);
    const b = login(t, "ADMIN", { consoleSessionId: 0x9999, peer: { address: "127.0.0.1", port: 40002 } });
    assert.equal(t.bmc.sessionCount(), 2);
    const id = (s) => [...Buffer.from(new Uint32Array([s.x.bmcSessionId]).buffer)];
    let [r] = command(t, a, 1, 6, 0x3c, id(b));
    assert.equal(r.completionCode, 0xd4, "closing another session at user privilege");
    [r] = command(t, a, 2, 6, 0x3c, id(a));
    assert.equal(r.completionCode, 0);
    assert.equal(t.bmc.sessionCount(), 1);
    assert.equal(command(t, a, 3, 6, 1).length, 0, "closed");
  });

  it("idle sessions end after the idle timeout; the session limit answers 0x01", () => {
    const clock = fakeClock();
    const t = labBmc(clock, { idleTimeoutMs: 1000, maxSessions: 2 });
    const s = login(t);
    login(t, "ADMIN", { consoleSessionId: 0x77, peer: { address: "127.0.0.1", port: 40003 } });
    const [full] = t.exchange(setup(0x10, rakp.encodeOpenSessionRequest({ tag: 9, privilege: 0, consoleSessionId: 0x55, algorithms: { auth: 3, integrity: 4, confidentiality: 1 } })));
    assert.equal(rakp.decodeOpenSessionResponse(full.payload).status, 0x01);
    clock.advance(999);
    t.bmc.sweep();
    assert.equal(command(t, s, 1, 6, 1).length, 1);
    clock.advance(999);
    t.bmc.sweep();
    assert.equal(t.bmc.sessionCount(), 1, "the one kept alive by the command remains");
    clock.advance(1);
    t.bmc.sweep();
    assert.equal(t.bmc.sessionCount(), 0);
  });

  it("Open Session names the first algorithm no offered suite has; privilege 0 is granted as administrator", () => {
    const t = labBmc(fakeClock(), { personality: PERSONALITIES.openbmc });
    const ask = (algorithms, privilege = 0) => rakp.decodeOpenSessionResponse(t.exchange(setup(0x10, rakp.encodeOpenSessionRequest({ tag: 1, privilege, consoleSessionId: 5, algorithms })))[0].payload);
    assert.equal(ask({ auth: 1, integrity: 1, confidentiality: 1 }).status, 0x04, "suite 3 on OpenBMC");
    assert.equal(ask({ auth: 3, integrity: 1, confidentiality: 1 }).status, 0x05);
    assert.equal(ask({ auth: 3, integrity: 4, confidentiality: 0 }).status, 0x10);
    const ok = ask({ auth: 3, integrity: 4, confidentiality: 1 });
    assert.deepEqual([ok.status, ok.privilege, ok.algorithms], [0, 4, { auth: 3, integrity: 4, confidentiality: 1 }]);
  });
});
