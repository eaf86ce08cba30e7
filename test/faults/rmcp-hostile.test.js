"use strict";
// Fault tier: the native RMCP+ client against hostile and broken peers (test/lab/rogue-bmc.js): an impostor that
// does not know the password, a BMC whose RAKP 4 does not check, downgrades, zero session ids, truncated / oversized /
// garbage datagrams before and inside a session, forged and replayed answers, silence, and a BMC that forgets its
// sessions (a restart). Assertions are on what the client returns and on the bytes the peer received.
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { RogueBmc } = require("../lab/rogue-bmc");
const { openRmcpSession } = require("../../dist/transport/rmcp/session");
const { RmcpSockets, sharedSockets } = require("../../dist/transport/rmcp/socket");
const packet = require("../../dist/transport/rmcp/packet");

const PASSWORD = "Sentinel-Rogue-01";
const OPEN = 0x10;
const RAKP1 = 0x12;
const RAKP3 = 0x14;
const IPMI = 0x00;

const target = (bmc, extra = {}) => ({ host: "127.0.0.1", port: bmc.port, username: "admin", cipherSuite: 17, privilege: "ADMINISTRATOR", timeoutSeconds: 0.3, retries: 2, ...extra });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function expectFailure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected the session to fail");
}

describe("faults: native RMCP+ client against hostile peers", function () {
  this.timeout(20000);
  const peers = [];
  async function rogue(options) {
    const b = new RogueBmc({ users: { admin: PASSWORD }, ...options });
    await b.start();
    peers.push(b);
    return b;
  }
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
  });

  for (const suite of [17, 3]) {
    it(`suite ${suite}: a well-behaved peer opens in 4 requests and answers Get Device ID`, async () => {
      const bmc = await rogue();
      const s = await openRmcpSession(target(bmc, { cipherSuite: suite }), PASSWORD, {});
      assert.deepEqual(bmc.receivedTypes(), [OPEN, RAKP1, RAKP3, IPMI]);
      const r = await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
      assert.equal(r.completionCode, 0);
      assert.equal(r.data[0], 0x20);
      await s.close();
      await sleep(50);
      // Close Session went out without waiting: one more in-session request, nothing after it.
      assert.deepEqual(bmc.receivedTypes(), [OPEN, RAKP1, RAKP3, IPMI, IPMI, IPMI]);
    });
  }

  it("impostor (RAKP 2 keyed with another password): refused as a rejected password, and no RAKP 3 ever leaves the client", async () => {
    const bmc = await rogue({ behave: { rakp2Password: "not-the-password" } });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "password");
    assert.equal(e.transient, false);
    await sleep(400);
    assert.deepEqual(bmc.receivedTypes(), [OPEN, RAKP1], "Open Session and RAKP 1 only: our HMAC was never sent");
    for (const m of bmc.received) assert.ok(!m.includes(Buffer.from(PASSWORD)), "the password never travels");
  });

  it("RAKP 4 with a wrong integrity check value: refused, nothing sent in a session", async () => {
    const bmc = await rogue({ behave: { rakp4Icv: (icv) => Buffer.from(icv.map((b) => b ^ 1)) } });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "key-exchange");
    await sleep(100);
    assert.deepEqual(bmc.receivedTypes(), [OPEN, RAKP1, RAKP3]);
  });

  it("a downgrade (suite 3's algorithms answered to a suite-17 proposal) is refused after Open Session", async () => {
    const bmc = await rogue({ behave: { openSession: (r) => (r.algorithms = { auth: 1, integrity: 1, confidentiality: 1 }) } });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.equal(e.code, "BMC_CIPHER_REFUSED");
    assert.match(e.message, /downgrade is never followed/);
    assert.deepEqual(bmc.receivedTypes(), [OPEN]);
  });

  it("a session without confidentiality or integrity (suite 0's algorithms answered) is refused", async () => {
    const bmc = await rogue({ behave: { openSession: (r) => (r.algorithms = { auth: 0, integrity: 0, confidentiality: 0 }) } });
    const e = await expectFailure(openRmcpSession(target(bmc, { cipherSuite: 3 }), PASSWORD, {}));
    assert.equal(e.code, "BMC_CIPHER_REFUSED");
    assert.deepEqual(bmc.receivedTypes(), [OPEN]);
  });

  it("suite 0 (or any suite but 3 and 17) is refused before a packet is sent", async () => {
    const bmc = await rogue();
    for (const suite of [0, 1, 2, 16]) {
      const e = await expectFailure(openRmcpSession(target(bmc, { cipherSuite: suite }), PASSWORD, {}));
      assert.equal(e.code, "INVALID_INPUT");
    }
    await sleep(50);
    assert.equal(bmc.received.length, 0);
  });

  it("a BMC session id of 0 is a protocol error", async () => {
    const bmc = await rogue({ behave: { openSession: (r) => (r.bmcSessionId = 0) } });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.equal(e.code, "BMC_PROTOCOL_ERROR");
    assert.deepEqual(bmc.receivedTypes(), [OPEN]);
  });

  it("a silent BMC: BMC_UNREACHABLE after (retries + 1) × timeoutSeconds (3 × 1 s), one Open Session per attempt", async () => {
    const bmc = await rogue({ behave: { silent: true } });
    const started = Date.now();
    const e = await expectFailure(openRmcpSession(target(bmc, { timeoutSeconds: 1, retries: 2 }), PASSWORD, {}));
    const elapsed = Date.now() - started;
    assert.equal(e.code, "BMC_UNREACHABLE");
    assert.equal(e.transient, true);
    assert.ok(elapsed >= 2900 && elapsed < 3600, `budget 3 s: ${elapsed} ms`);
    assert.deepEqual(bmc.receivedTypes(), [OPEN, OPEN, OPEN]);
  });

  it("a lossy network (attempts lost at different steps) is a transient timeout, not an unknown user name", async () => {
    // Attempt 1: Open Session lost. Attempts 2 and 3: Open Session answered, RAKP 1 lost. A BMC that ignores unknown
    // names would have answered every Open Session; this one did not, so the name is not what failed.
    let opens = 0;
    const lossy = (msg) => {
      const type = msg.length > 5 && msg[4] === 0x06 ? msg[5] & 0x3f : -1;
      if (type === OPEN) opens++;
      return (type === OPEN && opens === 1) || type === RAKP1;
    };
    const bmc = await rogue({ behave: { before: lossy } });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.deepEqual(bmc.receivedTypes(), [OPEN, OPEN, RAKP1, OPEN, RAKP1]);
    assert.equal(e.code, "BMC_TIMEOUT", e.message);
    assert.equal(e.transient, true);
    assert.match(e.message, /no RAKP 2/);
    assert.doesNotMatch(e.message, /user name/);
    // Every attempt answered up to Open Session and then silent: that is the BMC ignoring the name (pyghmi's way).
    const nameless = await rogue({ behave: { before: (msg) => msg.length > 5 && msg[4] === 0x06 && (msg[5] & 0x3f) === RAKP1 } });
    const n = await expectFailure(openRmcpSession(target(nameless), PASSWORD, {}));
    assert.equal(n.code, "BMC_LOGIN_REJECTED");
    assert.equal(n.context.reason, "user");
  });

  it("a silent BMC inside a session: a request is sent retries times, timeoutSeconds apart, then BMC_TIMEOUT", async () => {
    const bmc = await rogue({ behave: { onRequest: (req) => req.cmd === 0x46 } });
    const s = await openRmcpSession(target(bmc, { timeoutSeconds: 0.5, retries: 3 }), PASSWORD, {});
    const before = bmc.receivedTypes().length;
    const started = Date.now();
    const e = await expectFailure(s.send({ netFn: 6, cmd: 0x46, data: [3], label: "Get User Name" }));
    const elapsed = Date.now() - started;
    assert.equal(e.code, "BMC_TIMEOUT");
    assert.ok(elapsed >= 1450 && elapsed < 1900, `3 × 0.5 s: ${elapsed} ms`);
    assert.equal(bmc.receivedTypes().length - before, 3, "three copies, no more");
    await s.close();
  });

  it("garbage, truncated and oversized datagrams before each answer are ignored: the session opens and works", async () => {
    const junk = () => [
      Buffer.alloc(0),
      Buffer.from([0x06]),
      Buffer.from([0x06, 0x00, 0xff, 0x07]),
      Buffer.from("0600ff0706", "hex"),
      Buffer.from("0600ff07061100000000000000002400", "hex"), // claims 36 bytes of payload, carries none
      Buffer.from("0600ff0706c0000000000100000010000102", "hex"), // authenticated bits, truncated
      Buffer.from("0600ff0700000000000000000000ff", "hex"), // IPMI 1.5 claiming 255 bytes
      crypto.randomBytes(200),
      crypto.randomBytes(65000),
      Buffer.concat([Buffer.from("0600ff0706", "hex"), crypto.randomBytes(60000)]),
    ];
    const bmc = await rogue({
      behave: {
        before: (_msg, reply) => {
          for (const j of junk()) reply(j);
          return false;
        },
      },
    });
    const s = await openRmcpSession(target(bmc), PASSWORD, {});
    const r = await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" });
    assert.equal(r.completionCode, 0);
    await s.close();
  });

  it("only garbage: BMC_UNREACHABLE within the budget, no crash", async () => {
    const bmc = await rogue({
      behave: {
        before: (_msg, reply) => {
          reply(crypto.randomBytes(100));
          reply(Buffer.concat([Buffer.from("0600ff07061100000000000000002400", "hex"), crypto.randomBytes(36)]));
          return true;
        },
      },
    });
    const e = await expectFailure(openRmcpSession(target(bmc), PASSWORD, {}));
    assert.equal(e.code, "BMC_UNREACHABLE");
  });

  it("in a session: forged, unauthenticated and garbage answers are dropped; the authentic answer is returned", async () => {
    let bmc;
    bmc = await rogue({
      behave: {
        onRequest: (req, s, reply) => {
          if (req.cmd !== 0x46) return false;
          const real = bmc.response(s, req, 0, Buffer.from("real-answer".padEnd(16, "\0")));
          // A forged AuthCode, the same answer unauthenticated and in plaintext, and truncated copies.
          const forged = Buffer.from(bmc.response(s, req, 0, Buffer.from("forged".padEnd(16, "\0"))));
          forged[forged.length - 1] ^= 0xff;
          const plain = packet.encodeRmcpPlus({ payloadType: 0, sessionId: s.consoleSessionId, sequence: 99 }, packet.encodeResponse({ netFn: req.netFn, cmd: req.cmd, completionCode: 0, data: Buffer.from("plain".padEnd(16, "\0")), rqSeq: req.rqSeq }));
          for (const m of [forged, plain, real.subarray(0, 20), real.subarray(0, real.length - 1), crypto.randomBytes(64)]) reply(m);
          reply(real);
          return true;
        },
      },
    });
    const s = await openRmcpSession(target(bmc), PASSWORD, {});
    const r = await s.send({ netFn: 6, cmd: 0x46, data: [3], label: "Get User Name" });
    assert.equal(r.data.toString("latin1").replace(/\0+$/, ""), "real-answer");
    await s.close();
  });

  it("replayed, duplicate and late answers are dropped: each request gets its own answer", async () => {
    let bmc;
    let previous;
    let first = true;
    bmc = await rogue({
      behave: {
        onRequest: (req, s, reply) => {
          if (req.cmd !== 0x46) return false;
          const answer = bmc.response(s, req, 0, [req.data[0], ...Buffer.alloc(15)]);
          if (previous) reply(previous); // a replay of the last answer (old sequence number, old rqSeq)
          if (first) {
            // The first answer comes late, after the client has sent the request again; then twice.
            first = false;
            setTimeout(() => {
              reply(answer);
              reply(answer);
            }, 450);
          } else {
            reply(answer);
            reply(answer);
          }
          previous = answer;
          return true;
        },
      },
    });
    const s = await openRmcpSession(target(bmc, { timeoutSeconds: 0.3, retries: 3 }), PASSWORD, {});
    for (const id of [3, 4, 5, 6]) {
      const r = await s.send({ netFn: 6, cmd: 0x46, data: [id], label: "Get User Name" });
      assert.equal(r.data[0], id, `answer to user ${id}`);
    }
    await s.close();
  });

  it("a BMC that restarts mid-session (forgets its sessions): BMC_TIMEOUT within retries × timeout, then a new session works", async () => {
    const bmc = await rogue();
    const s = await openRmcpSession(target(bmc, { timeoutSeconds: 0.5, retries: 2 }), PASSWORD, {});
    assert.equal((await s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" })).completionCode, 0);
    bmc.forgetSessions();
    const started = Date.now();
    const e = await expectFailure(s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" }));
    assert.equal(e.code, "BMC_TIMEOUT");
    assert.equal(e.transient, true);
    assert.ok(Date.now() - started < 1400, `${Date.now() - started} ms`);
    await s.close();
    const again = await openRmcpSession(target(bmc), PASSWORD, {});
    assert.equal((await again.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" })).completionCode, 0);
    await again.close();
  });

  it("16- and 20-byte passwords", async () => {
    for (const pw of ["Sixteen-bytes-16", "Twenty-bytes-long-20"]) {
      const bmc = await rogue({ users: { admin: pw } });
      const s = await openRmcpSession(target(bmc), pw, {});
      await s.close();
    }
  });

  it("200 concurrent sessions: demultiplexed by session id; a second socket only for a second session with the same BMC", async () => {
    const sockets = new RmcpSockets();
    const bmcs = await Promise.all([1, 2, 3, 4].map(() => rogue()));
    const sessions = await Promise.all(Array.from({ length: 200 }, (_, i) => openRmcpSession(target(bmcs[i % 4], { timeoutSeconds: 2 }), PASSWORD, {}, { sockets })));
    // 50 sessions with each BMC at once would need 50 lanes: the cap is per BMC (an operation holds at most three).
    assert.equal(sockets.socketCount, 50, "50 sessions with each BMC at once need 50 source ports (pyghmi keys sessions by port)");
    const answers = await Promise.all(sessions.map((s) => s.send({ netFn: 6, cmd: 1, data: [], label: "Get Device ID" })));
    assert.ok(answers.every((a) => a.completionCode === 0));
    await Promise.all(sessions.map((s) => s.close()));
    await sleep(20);
    assert.equal(sockets.sessionCount, 0, "every session id released after Close Session left");

    // The shape the provider produces: 200 BMCs, one session each (plus a verification login on a few).
    const many = await Promise.all(Array.from({ length: 50 }, () => rogue()));
    const shared = new RmcpSockets();
    const open = await Promise.all([...many, ...many.slice(0, 10)].map((b) => openRmcpSession(target(b, { timeoutSeconds: 2 }), PASSWORD, {}, { sockets: shared })));
    assert.equal(shared.socketCount, 2, "one lane for every BMC, a second only for the BMCs with two sessions");
    await Promise.all(open.map((s) => s.close()));
  });

  it("the process-wide sockets are shared by every session", () => {
    assert.equal(sharedSockets(), sharedSockets());
  });
});
