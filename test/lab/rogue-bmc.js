"use strict";
/**
 * A small, deliberately misbehaving RMCP+ BMC on a free loopback UDP port, for the native client's hostile-peer tests:
 * impostors, truncated/oversized/garbage datagrams, silence, forgotten sessions, bad check values, replays. It frames
 * packets with the project's wire layer (itself proven against published vectors); interoperability is proven
 * elsewhere against ipmi_sim and pyghmi. Every datagram it receives is recorded, so a test can assert on the bytes
 * the client sent (e.g. that no RAKP 3 ever left the client).
 *
 * `behave` hooks (all optional):
 * - `silent: true`                       never answer
 * - `before(msg, reply)`                 called first for every datagram; return true to swallow it (reply(buf) sends)
 * - `openSession(response)`              edit the Open Session Response fields before encoding
 * - `rakp2Password`                      the password the RAKP 2 code is computed with (an impostor does not know it)
 * - `rakp4Icv(icv)`                      replace the RAKP 4 check value
 * - `onRequest(req, session, reply)`     handle an in-session request; return true when handled
 */
const dgram = require("node:dgram");
const crypto = require("node:crypto");
const packet = require("../../dist/transport/rmcp/packet");
const cr = require("../../dist/transport/rmcp/crypto");
const rakp = require("../../dist/transport/rmcp/rakp");
const envelope = require("../../dist/transport/rmcp/envelope");

const GUID = Buffer.from("a123456789abcdefa123456789abcdef", "hex");

class RogueBmc {
  constructor({ users = { admin: "Rogue-Password-1" }, behave = {} } = {}) {
    this.users = users;
    this.behave = behave;
    this.received = [];
    this.sessions = new Map(); // SIDc -> state
  }

  start() {
    return new Promise((resolve) => {
      this.socket = dgram.createSocket("udp4");
      this.socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
      this.socket.bind(0, "127.0.0.1", () => {
        this.port = this.socket.address().port;
        resolve(this.port);
      });
    });
  }

  stop() {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  /** Payload types of the RMCP+ datagrams received, in order (0x10 Open Session, 0x12 RAKP 1, 0x14 RAKP 3, 0x00 IPMI). */
  receivedTypes() {
    return this.received.filter((m) => m.length >= 6 && m[4] === 0x06).map((m) => m[5] & 0x3f);
  }

  /** Forgets every session, as a BMC does when it restarts. */
  forgetSessions() {
    this.sessions.clear();
  }

  onMessage(msg, rinfo) {
    this.received.push(Buffer.from(msg));
    const reply = (buf) => this.socket.send(buf, rinfo.port, rinfo.address);
    if (this.behave.silent) return;
    if (this.behave.before?.(msg, reply)) return;
    if (msg.length >= 14 && msg[4] === 0x00) return this.authCapabilities(msg, reply);
    if (msg.length < 16 || msg[4] !== 0x06) return;
    const type = msg[5] & 0x3f;
    const sid = msg.readUInt32LE(6);
    if (sid !== 0) {
      const s = this.sessions.get(sid);
      if (s?.cipher) this.inSession(s, msg, reply);
      return;
    }
    const d = packet.decodeDatagram(msg);
    if (!d || d.format !== "rmcpplus") return;
    if (type === packet.PAYLOAD.openSessionRequest) this.openSession(d.payload, reply);
    else if (type === packet.PAYLOAD.rakp1) this.rakp1(d.payload, reply);
    else if (type === packet.PAYLOAD.rakp3) this.rakp3(d.payload, reply);
  }

  /** Get Channel Authentication Capabilities in IPMI 1.5 framing (what ipmitool sends first): IPMI 2.0, non-null names. */
  authCapabilities(msg, reply) {
    const d = packet.decodeDatagram(msg);
    const req = d?.format === "ipmi15" ? packet.decodeRequest(d.message) : undefined;
    if (!req || req.netFn !== 6 || req.cmd !== 0x38) return;
    reply(packet.encodeIpmi15(packet.encodeResponse({ netFn: 6, cmd: 0x38, completionCode: 0, data: Buffer.from([0x01, 0x80, 0x04, 0x02, 0, 0, 0, 0]), rqSeq: req.rqSeq })));
  }

  openSession(p, reply) {
    const req = rakp.decodeOpenSessionRequest(p);
    if (!req) return;
    const suite = cr.suiteByAlgorithms(req.algorithms.auth, req.algorithms.integrity, req.algorithms.confidentiality);
    const response = { tag: req.tag, status: suite ? 0 : 0x11, privilege: 4, consoleSessionId: req.consoleSessionId, bmcSessionId: crypto.randomInt(1, 2 ** 31), algorithms: req.algorithms };
    this.behave.openSession?.(response);
    if (suite) this.sessions.set(response.bmcSessionId, { suite, consoleSessionId: req.consoleSessionId, bmcSessionId: response.bmcSessionId, outbound: 0 });
    reply(packet.encodeRmcpPlus({ payloadType: packet.PAYLOAD.openSessionResponse, sessionId: 0, sequence: 0 }, rakp.encodeOpenSessionResponse(response)));
  }

  rakp1(p, reply) {
    const r1 = rakp.decodeRakp1(p);
    const s = r1 && this.sessions.get(r1.bmcSessionId);
    if (!s) return;
    const name = r1.username.toString("latin1");
    const send = (payload) => reply(packet.encodeRmcpPlus({ payloadType: packet.PAYLOAD.rakp2, sessionId: 0, sequence: 0 }, payload));
    if (!(name in this.users)) {
      send(rakp.encodeRakp2({ tag: r1.tag, status: 0x0d, consoleSessionId: s.consoleSessionId }));
      return;
    }
    s.exchange = { consoleSessionId: s.consoleSessionId, bmcSessionId: s.bmcSessionId, consoleRandom: r1.consoleRandom, bmcRandom: crypto.randomBytes(16), bmcGuid: GUID, role: r1.role, username: r1.username };
    s.kuid = cr.userKey(this.users[name]);
    const codeKey = this.behave.rakp2Password !== undefined ? cr.userKey(this.behave.rakp2Password) : s.kuid;
    const code = cr.rakp2Code(s.suite, codeKey, s.exchange);
    send(rakp.encodeRakp2({ tag: r1.tag, status: 0, consoleSessionId: s.consoleSessionId, bmcRandom: s.exchange.bmcRandom, bmcGuid: GUID, code }));
  }

  rakp3(p, reply) {
    const r3 = rakp.decodeRakp3(p);
    const s = r3 && this.sessions.get(r3.bmcSessionId);
    if (!s?.exchange) return;
    const send = (payload) => reply(packet.encodeRmcpPlus({ payloadType: packet.PAYLOAD.rakp4, sessionId: 0, sequence: 0 }, payload));
    if (r3.status !== 0 || !cr.macEqual(r3.code, cr.rakp3Code(s.suite, s.kuid, s.exchange))) {
      send(rakp.encodeRakp4({ tag: r3.tag, status: 0x0f, consoleSessionId: s.consoleSessionId }));
      return;
    }
    const sik = cr.sessionIntegrityKey(s.suite, s.kuid, s.exchange);
    let icv = cr.rakp4Icv(s.suite, sik, s.exchange);
    if (this.behave.rakp4Icv) icv = this.behave.rakp4Icv(icv);
    const keys = cr.sessionKeys(s.suite, sik);
    s.cipher = { suite: s.suite, k1: keys.k1, k2: keys.k2 };
    s.window = new envelope.InboundWindow();
    send(rakp.encodeRakp4({ tag: r3.tag, status: 0, consoleSessionId: s.consoleSessionId, icv }));
  }

  /** Seals an IPMI response to `req` in session `s`. */
  response(s, req, completionCode, data = []) {
    s.outbound = envelope.nextSequence(s.outbound);
    const plaintext = packet.encodeResponse({ netFn: req.netFn, cmd: req.cmd, completionCode, data: Buffer.from(data), rqSeq: req.rqSeq });
    return envelope.seal(s.cipher, { payloadType: packet.PAYLOAD.ipmi, sessionId: s.consoleSessionId, sequence: s.outbound, plaintext });
  }

  inSession(s, msg, reply) {
    const opened = envelope.open(s.cipher, msg);
    if (!opened || !s.window.accept(opened.sequence)) return;
    const req = packet.decodeRequest(opened.plaintext);
    if (!req) return;
    if (this.behave.onRequest?.(req, s, reply)) return;
    if (req.netFn === 6 && req.cmd === 0x3b) reply(this.response(s, req, 0, [req.data[0] & 0x0f]));
    else if (req.netFn === 6 && req.cmd === 0x01) reply(this.response(s, req, 0, [0x20, 0x01, 0x01, 0x00, 0x02, 0x9f, 0x91, 0x12, 0x00, 0x02, 0x0f]));
    else if (req.netFn === 6 && req.cmd === 0x3c) {
      reply(this.response(s, req, 0));
      this.sessions.delete(s.bmcSessionId);
    } else reply(this.response(s, req, 0xc1));
  }
}

module.exports = { RogueBmc, GUID };
