"use strict";
// The native RMCP+ client replayed against a real capture: with the capture's random numbers injected, the client's
// Open Session, RAKP 1 and RAKP 3 must be byte for byte what ipmitool 1.8.19 sent to a suite-17 BMC
// (rmcp-native.md §3 V3b), and the BMC's recorded answers — RAKP 2, RAKP 4 and the encrypted, authenticated answer to
// Set Session Privilege Level — must be accepted. Plus the demultiplexer's reading of captured datagrams and the
// mapping of RMCP+ status codes onto the error family.
const assert = require("node:assert/strict");
const dgram = require("node:dgram");
const { openRmcpSession } = require("../../dist/transport/rmcp/session");
const { RmcpSockets, consoleSessionIdOf } = require("../../dist/transport/rmcp/socket");
const failures = require("../../dist/transport/rmcp/failures");
const envelope = require("../../dist/transport/rmcp/envelope");
const { CIPHER_SUITES } = require("../../dist/transport/rmcp/crypto");

const hex = (s) => Buffer.from(s.replace(/[\s|]/g, ""), "hex");
const pre = (type, body) => Buffer.concat([hex(`0600ff07 06 ${type} 00000000 00000000`), Buffer.from([body.length & 0xff, body.length >> 8]), body]);

// V3b: ipmitool -C 17 (user admin, password "password") <-> a SHA-256 BMC, as captured on the wire.
const V3B = {
  openRequest: pre("10", hex("00 00 0000 a4a3a2a0 0000000803000000 0100000804000000 0200000801000000")),
  openResponse: pre("11", hex("00 00 04 00 a4a3a2a0 67c62dd8 0000000803000000 0100000804000000 0200000801000000")),
  rakp1: pre("12", hex("00 000000 67c62dd8 8535b9812250c422a86af9c14d6fe0e8 14 0000 05 61646d696e")),
  rakp2: pre("13", hex("00 00 0000 a4a3a2a0 4ddc001dbcdb1e51c02c91b9978ce489 a123456789abcdefa123456789abcdef 3798e5c28d44c7f6e344fdb581be4c562b3563d820e5d144f78aebde958b47de")),
  rakp3: pre("14", hex("00 00 0000 67c62dd8 3dcc8bff70baffd2e2a04962e901194b7aabca5c91704402350ffc832ae8a86d")),
  rakp4: pre("15", hex("00 00 0000 a4a3a2a0 061384c3851c2a320696f62940d1fc44")),
  setPrivilegeAnswer: hex("0600ff07 06 c0 a4a3a2a0 01000000 2000 f4095a0a0e80465381ba7bc6b6bf8758 c29a37ca797a9bdafc4064378458bf6f ffff0207 fd472005934b60ce57cbb9e7dbd8ad6b"),
  k1: hex("382f1d9f7094ecb60d076d750cbb0c3f729e9e48f622a9aebd69b58fe56335f1"),
  k2: hex("853bbdf709212980e9eaa4bccad2abaae49a10da40acd7583a03c7d4f6d42f52"),
};

/** Answers the n-th datagram with the n-th recorded answer, and keeps what it received. */
async function replayPeer(answers) {
  const socket = dgram.createSocket("udp4");
  const received = [];
  socket.on("message", (msg, rinfo) => {
    received.push(Buffer.from(msg));
    const answer = answers[received.length - 1];
    if (answer) socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise((r) => socket.bind(0, "127.0.0.1", r));
  return { port: socket.address().port, received, stop: () => new Promise((r) => socket.close(r)) };
}

describe("unit: native RMCP+ client replayed against ipmitool's suite-17 capture", () => {
  it("sends ipmitool's bytes for Open Session, RAKP 1 and RAKP 3, accepts the BMC's answers, and raises the privilege", async () => {
    const peer = await replayPeer([V3B.openResponse, V3B.rakp2, V3B.rakp4, V3B.setPrivilegeAnswer]);
    // The capture's randomness: console session id a0a2a3a4, message tag 0, Rm 8535…; our first rqSeq becomes 1.
    const sockets = new RmcpSockets(() => 0xa0a2a3a4);
    const queue = { 1: [Buffer.from([0]), Buffer.from([0])], 16: [hex("8535b9812250c422a86af9c14d6fe0e8")] };
    const random = (n) => queue[n].shift();
    try {
      const session = await openRmcpSession(
        { host: "127.0.0.1", port: peer.port, username: "admin", cipherSuite: 17, privilege: "ADMINISTRATOR", timeoutSeconds: 1, retries: 1 },
        "password",
        {},
        { sockets, random },
      );
      assert.deepEqual(peer.received[0], V3B.openRequest, "Open Session Request");
      assert.deepEqual(peer.received[1], V3B.rakp1, "RAKP 1");
      assert.deepEqual(peer.received[2], V3B.rakp3, "RAKP 3");
      // Set Session Privilege Level (ADMINISTRATOR): our own IV and sequence number, ipmitool's plaintext.
      const cipher = { suite: CIPHER_SUITES[17], k1: V3B.k1, k2: V3B.k2 };
      const ours = envelope.open(cipher, peer.received[3]);
      assert.ok(ours, "the BMC's keys open our in-session packet (AuthCode and AES pad verify)");
      assert.equal(ours.sessionId, 0xd82dc667);
      assert.equal(ours.sequence, 1);
      assert.equal(ours.plaintext.toString("hex"), "2018c881043b043c");
      assert.equal(session.requestsSent, 4);
      await session.close();
    } finally {
      await peer.stop();
    }
  });

  it("the demultiplexer reads SIDm from each captured BMC datagram (payload before the session, header inside)", () => {
    for (const d of [V3B.openResponse, V3B.rakp2, V3B.rakp4, V3B.setPrivilegeAnswer]) assert.equal(consoleSessionIdOf(d), 0xa0a2a3a4);
    assert.equal(consoleSessionIdOf(pre("11", hex("00 04"))), undefined, "OpenIPMI's short Open Session error names no SIDm");
    assert.equal(consoleSessionIdOf(hex("0600ff07 00 00000000 00000000 10 811c63 2000380001 8004020000000021")), undefined, "IPMI 1.5");
    assert.equal(consoleSessionIdOf(Buffer.from([6, 0, 0xff])), undefined);
  });
});

describe("unit: RMCP+ status codes onto the error family", () => {
  const ctx = { host: "10.0.0.5", port: 623, username: "ADMIN" };
  const rows = [
    [0x01, "BMC_SESSION_LIMIT", undefined, true],
    [0x04, "BMC_CIPHER_REFUSED", undefined, false],
    [0x05, "BMC_CIPHER_REFUSED", undefined, false],
    [0x10, "BMC_CIPHER_REFUSED", undefined, false],
    [0x11, "BMC_CIPHER_REFUSED", undefined, false],
    [0x09, "BMC_INSUFFICIENT_PRIVILEGE", undefined, false],
    [0x0a, "BMC_INSUFFICIENT_PRIVILEGE", undefined, false],
    [0x0d, "BMC_LOGIN_REJECTED", "user", false],
    [0x0c, "BMC_LOGIN_REJECTED", "user", false],
    [0x12, "BMC_PROTOCOL_ERROR", undefined, false],
  ];
  for (const [status, code, reason, transient] of rows) {
    it(`status 0x${status.toString(16).padStart(2, "0")} → ${code}${reason ? ` (${reason})` : ""}`, () => {
      const e = failures.refused(ctx, "RAKP 2", status, 17);
      assert.equal(e.code, code);
      assert.equal(e.context.reason, reason);
      assert.equal(e.transient, transient);
      assert.equal(e.context.host, "10.0.0.5");
      assert.ok(e.hint.length > 10);
    });
  }
  it("RAKP 4 status 0x0F after a verified RAKP 2 is a key-exchange mismatch, not a wrong password (the candidate loop stops)", () => {
    const e = failures.refused(ctx, "RAKP 4", 0x0f, 17);
    assert.equal(e.code, "BMC_LOGIN_REJECTED");
    assert.equal(e.context.reason, "key-exchange");
  });
});
