"use strict";
// The RMCP+ wire layer (framing, RAKP payloads, key exchange arithmetic, AES-CBC and AuthCodes) checked only against
// values nobody here computed: a published real-BMC capture at suite 3 (beingj/hash c3_aes_cbc.txt), ipmitool 1.8.19
// sessions at suites 3 and 17 as captured on the wire (ipmitool -vvvv, libfreeipmi's ipmi_calculate_* and Python's
// hmac agree on them), a CTF RAKP 2 hash cracked with hashcat mode 7300, and FabzG/proxy_ipmi's test vectors.
// Sources and capture notes: ../shared/reference/rmcp-native.md §3.
const assert = require("node:assert/strict");
const packet = require("../../dist/transport/rmcp/packet");
const crypto = require("../../dist/transport/rmcp/crypto");
const rakp = require("../../dist/transport/rmcp/rakp");
const envelope = require("../../dist/transport/rmcp/envelope");

const hex = (s) => Buffer.from(s.replace(/[\s|]/g, ""), "hex");
const S3 = crypto.CIPHER_SUITES[3];
const S17 = crypto.CIPHER_SUITES[17];

function exchange(v) {
  return {
    consoleSessionId: v.sidm,
    bmcSessionId: v.sidc,
    consoleRandom: hex(v.rm),
    bmcRandom: hex(v.rc),
    bmcGuid: hex(v.guid),
    role: 0x14,
    username: Buffer.from(v.user),
  };
}

// V1: a real BMC, suite 3, user admin / admin.
const V1 = {
  user: "admin", password: "admin", sidm: 0xa0a2a3a4, sidc: 0xffb52dfb,
  rm: "fe5a0a60f030cd6953bacea268da472c", rc: "81fb54dfe1bf56478788ea7ba154375b", guid: "00020003000400050006000700080009",
  rakp2: "2d1a28182d6da8dbd294c9008a544f83f85b4d51",
  sik: "9560c561dc13ed487ff6f4c8f08b9f3e03d74940",
  k1: "e89cb14c9f39c66e75e8e554d41160b91cbaa1e7", k2: "d64d9aa86d6202232ef8cbf006319b6b16e31426",
};
// V2: ipmitool 1.8.19 <-> pyghmi 1.5.34 BMC, suite 3, admin / password.
const V2 = {
  user: "admin", password: "password", sidm: 0xa0a2a3a4, sidc: 0x395a4bbc,
  rm: "fb59b3df7135ac2f28caf94d07f3a219", rc: "8dd2108854e20f8c00bbef038d80eeaf", guid: "a123456789abcdefa123456789abcdef",
  rakp2: "1b55de0bf1617e944991255d396da6aa5f2b82d1", rakp3: "7270de9bb9d9a0808f5c2e158f4095c72d8ad3a3",
  sik: "777ccffce48237f12aa9fa55c37afc9850ee93a1", icv: "30e6afdbef8de18943552971",
  k1: "7bf9b9d352d07eeab6b1a7aa42b6c3ef5ecd4743", k2: "5f611805be4adf4784181834fe1f8c41116b37ed",
};
// V3: ipmitool 1.8.19 -C 17 <-> a SHA-256 test BMC, admin / password.
const V3 = {
  user: "admin", password: "password", sidm: 0xa0a2a3a4, sidc: 0xe1c51759,
  rm: "f39dc37464e28c76e1b9a99fb052a346", rc: "783121ac0dd2f98baea67aa8f7293d78", guid: "a123456789abcdefa123456789abcdef",
  rakp2: "fcc45c1c2213117c0300aa9845e88219bbb310fd1e798d6aea020f97bf9db28b",
  rakp3: "94b9af6b89d3730f7daa3d1a388a0b73e4e8d2bb286e5ffdbfa2a1c4750517e9",
  sik: "77b561640648d5f67845520794685c4fab8c51044f75c96939bad7e5aae89057",
  k1: "f4cc392df05dc2aca760e84bbe52bd39bb2d7419cf7d130e12ef6d3cfa20c7f5",
  k2: "2c92ac4511e4c7de99ce5ce8c5609bd5e84a2ca97515a55c8674c7f7e67d179c", icv: "4b97403b6cf8d2faed84437ab9f4cd27",
};

describe("unit: RMCP+ wire layer against published vectors", () => {
  for (const [name, v, suite] of [["V1 real BMC, suite 3", V1, S3], ["V2 ipmitool/pyghmi, suite 3", V2, S3], ["V3 ipmitool -C 17, suite 17", V3, S17]]) {
    it(`${name}: RAKP 2/3 codes, SIK, K1, K2 and the RAKP 4 ICV`, () => {
      const kuid = crypto.userKey(v.password);
      const x = exchange(v);
      assert.equal(crypto.rakp2Code(suite, kuid, x).toString("hex"), v.rakp2);
      if (v.rakp3) assert.equal(crypto.rakp3Code(suite, kuid, x).toString("hex"), v.rakp3);
      const sik = crypto.sessionIntegrityKey(suite, kuid, x);
      assert.equal(sik.toString("hex"), v.sik);
      const keys = crypto.sessionKeys(suite, sik);
      assert.equal(keys.k1.toString("hex"), v.k1);
      assert.equal(keys.k2.toString("hex"), v.k2);
      if (v.icv) assert.equal(crypto.rakp4Icv(suite, sik, x).toString("hex"), v.icv);
      // A zero Kg is "no Kg": the SIK stays the user key's.
      assert.equal(crypto.sessionIntegrityKey(suite, kuid, x, Buffer.alloc(20)).toString("hex"), v.sik);
      // The key NUL-padded to 16 or 20 bytes (what a BMC stores) gives the same codes.
      assert.equal(crypto.rakp2Code(suite, Buffer.concat([kuid, Buffer.alloc(20 - kuid.length)]), x).toString("hex"), v.rakp2);
    });
  }

  it("V1: the real BMC's packets open with K1/K2 (AuthCode, AES pad) and seal back byte for byte with the same IV", () => {
    const cipher = { suite: S3, k1: hex(V1.k1), k2: hex(V1.k2) };
    const toBmc = hex("0600ff07 06c0 fb2db5ff 03000000 2000 4173cc04c9077684a3b3ac57f3a8d71d a3168b366f3d28b496d339cc2f724436 ffff 02 07 1c730c19385172143438d911");
    const opened = envelope.open(cipher, toBmc);
    assert.ok(opened);
    assert.equal(opened.plaintext.toString("hex"), "2018c881043b043c");
    assert.equal(opened.sessionId, 0xffb52dfb);
    assert.equal(opened.sequence, 3);
    const resealed = envelope.seal(cipher, { payloadType: 0, sessionId: 0xffb52dfb, sequence: 3, plaintext: opened.plaintext, iv: hex("4173cc04c9077684a3b3ac57f3a8d71d") });
    assert.deepEqual(resealed, toBmc);
    const toConsole = hex("0600ff07 06c0 a4a3a2a0 01000000 2000 81fb54dfe1bf56478788ea7ba154375b f3ec4ceed6f809075f18d33321b5a5b1 ffff0207 99f76857f339cf1133546db4");
    const reply = envelope.open(cipher, toConsole);
    assert.equal(reply.plaintext.toString("hex"), "811c6320043b00049d");
    const msg = packet.decodeResponse(reply.plaintext);
    assert.deepEqual([msg.netFn, msg.cmd, msg.completionCode, [...msg.data]], [0x06, 0x3b, 0x00, [0x04]]);
  });

  it("V2 and V3: ipmitool's Set Session Privilege packets verify and decrypt", () => {
    for (const [v, suite, pkt, code] of [
      [V2, S3, "06c0bc4b5a39030000002000 ef3481685a458637d589489723f2f82e 720fcf2c8de41523e1a3f267c9de2135 ffff0207", "35c764324577ced258c86f7c"],
      [V3, S17, "06c05917c5e1030000002000 d98e575d2033ab7c4d23692e1c54c35f b9edbcc20a608cd199f5a93f28a2e8ca ffff0207", "acf6ab0da68d86f85abd3d70f5e2d927"],
    ]) {
      const datagram = Buffer.concat([packet.RMCP_HEADER, hex(pkt), hex(code)]);
      const opened = envelope.open({ suite, k1: hex(v.k1), k2: hex(v.k2) }, datagram);
      assert.ok(opened, `${suite.id}: packet refused`);
      const req = packet.decodeRequest(opened.plaintext);
      assert.deepEqual([req.netFn, req.cmd, [...req.data], req.rqSeq], [0x06, 0x3b, [0x04], 1]);
      // One flipped bit anywhere (header, ciphertext, AuthCode) and the packet is dropped.
      for (const at of [6, 20, datagram.length - 1]) {
        const bad = Buffer.from(datagram);
        bad[at] ^= 0x01;
        assert.equal(envelope.open({ suite, k1: hex(v.k1), k2: hex(v.k2) }, bad), undefined, `bit flip at ${at} accepted`);
      }
    }
  });

  it("V3b: every datagram of ipmitool's suite-17 login parses, and re-encodes to the same bytes", () => {
    const authCaps = hex("0600ff07 00 00000000 00000000 09 2018c8 8100388e04 b5");
    const d = packet.decodeDatagram(authCaps);
    assert.equal(d.format, "ipmi15");
    const req = packet.decodeRequest(d.message);
    assert.deepEqual([req.netFn, req.cmd, [...req.data], req.rqSeq], [0x06, 0x38, [0x8e, 0x04], 0]);
    assert.deepEqual(packet.encodeIpmi15(packet.encodeRequest(req)), authCaps);
    const capsReply = packet.decodeDatagram(hex("0600ff07 00 00000000 00000000 10 811c63 2000380001 8004020000000021"));
    const rsp = packet.decodeResponse(capsReply.message);
    assert.deepEqual([rsp.cmd, rsp.completionCode, ...rsp.data], [0x38, 0, 0x01, 0x80, 0x04, 0x02, 0, 0, 0, 0]);
    assert.deepEqual(packet.encodeIpmi15(packet.encodeResponse(rsp)), hex("0600ff07 00 00000000 00000000 10 811c63 2000380001 8004020000000021"));

    const pre = (type, body) => Buffer.concat([hex(`0600ff07 06 ${type} 00000000 00000000`), Buffer.from([body.length & 0xff, body.length >> 8]), body]);
    const openReq = hex("00 00 0000 a4a3a2a0 0000000803000000 0100000804000000 0200000801000000");
    const o = rakp.decodeOpenSessionRequest(openReq);
    assert.deepEqual(o, { tag: 0, privilege: 0, consoleSessionId: 0xa0a2a3a4, algorithms: { auth: 3, integrity: 4, confidentiality: 1 } });
    assert.deepEqual(rakp.encodeOpenSessionRequest(o), openReq);
    const openDatagram = packet.decodeDatagram(pre("10", openReq));
    assert.equal(openDatagram.payloadType, packet.PAYLOAD.openSessionRequest);
    assert.deepEqual(packet.encodeRmcpPlus({ payloadType: 0x10, sessionId: 0, sequence: 0 }, openReq), pre("10", openReq));

    const openRsp = hex("00 00 04 00 a4a3a2a0 67c62dd8 0000000803000000 0100000804000000 0200000801000000");
    const or = rakp.decodeOpenSessionResponse(openRsp);
    assert.equal(or.bmcSessionId, 0xd82dc667);
    assert.equal(or.privilege, 4);
    assert.deepEqual(rakp.encodeOpenSessionResponse(or), openRsp);
    assert.deepEqual(crypto.suiteByAlgorithms(or.algorithms.auth, or.algorithms.integrity, or.algorithms.confidentiality), S17);

    const r1 = hex("00 000000 67c62dd8 8535b9812250c422a86af9c14d6fe0e8 14 0000 05 61646d696e");
    const m1 = rakp.decodeRakp1(r1);
    assert.equal(m1.nameLengthValid, true);
    assert.equal(m1.username.toString(), "admin");
    assert.deepEqual(rakp.encodeRakp1(m1), r1);

    const r2 = hex("00 00 0000 a4a3a2a0 4ddc001dbcdb1e51c02c91b9978ce489 a123456789abcdefa123456789abcdef 3798e5c28d44c7f6e344fdb581be4c562b3563d820e5d144f78aebde958b47de");
    const m2 = rakp.decodeRakp2(r2);
    assert.deepEqual(rakp.encodeRakp2(m2), r2);
    const x = { consoleSessionId: 0xa0a2a3a4, bmcSessionId: 0xd82dc667, consoleRandom: m1.consoleRandom, bmcRandom: m2.bmcRandom, bmcGuid: m2.bmcGuid, role: m1.role, username: m1.username };
    const kuid = crypto.userKey("password");
    assert.ok(crypto.macEqual(crypto.rakp2Code(S17, kuid, x), m2.code), "RAKP 2 code of the capture does not verify");

    const r3 = hex("00 00 0000 67c62dd8 3dcc8bff70baffd2e2a04962e901194b7aabca5c91704402350ffc832ae8a86d");
    const m3 = rakp.decodeRakp3(r3);
    assert.deepEqual(m3.code, crypto.rakp3Code(S17, kuid, x));
    assert.deepEqual(rakp.encodeRakp3(m3), r3);

    const sik = crypto.sessionIntegrityKey(S17, kuid, x);
    assert.equal(sik.toString("hex"), "7f624804a64082ea03b00ef0e4da5e4e669421725dec8cd055834e4e18b02d55");
    const keys = crypto.sessionKeys(S17, sik);
    assert.equal(keys.k1.toString("hex"), "382f1d9f7094ecb60d076d750cbb0c3f729e9e48f622a9aebd69b58fe56335f1");
    assert.equal(keys.k2.toString("hex"), "853bbdf709212980e9eaa4bccad2abaae49a10da40acd7583a03c7d4f6d42f52");
    const r4 = hex("00 00 0000 a4a3a2a0 061384c3851c2a320696f62940d1fc44");
    const m4 = rakp.decodeRakp4(r4);
    assert.deepEqual(m4.icv, crypto.rakp4Icv(S17, sik, x));
    assert.deepEqual(rakp.encodeRakp4(m4), r4);

    const cipher = { suite: S17, k1: keys.k1, k2: keys.k2 };
    const c2b = hex("0600ff07 06 c0 67c62dd8 03000000 2000 f19c62fc52f830dd2fdc48dbfa316a5a 9208660f1065614f8ddcf93d8d5cfe06 ffff0207 1a7e2fb10a3ea72c9cd71d61500bf51f");
    assert.equal(envelope.open(cipher, c2b).plaintext.toString("hex"), "2018c881043b043c");
    assert.deepEqual(envelope.seal(cipher, { payloadType: 0, sessionId: 0xd82dc667, sequence: 3, plaintext: hex("2018c881043b043c"), iv: hex("f19c62fc52f830dd2fdc48dbfa316a5a") }), c2b);
    const b2c = hex("0600ff07 06 c0 a4a3a2a0 01000000 2000 f4095a0a0e80465381ba7bc6b6bf8758 c29a37ca797a9bdafc4064378458bf6f ffff0207 fd472005934b60ce57cbb9e7dbd8ad6b");
    assert.equal(envelope.open(cipher, b2c).plaintext.toString("hex"), "811c6320043b00049d");
  });

  it("V4: a CTF RAKP 2 hash (hashcat 7300, password trinity) and proxy_ipmi's K2 and AES payload", () => {
    const x = {
      consoleSessionId: 0x928e821d, bmcSessionId: 0x00000082,
      consoleRandom: hex("ee08e19758b8f7ae5fad97dda696fd50"), bmcRandom: hex("494585843e868227d4aa50ca546ab3b2"),
      bmcGuid: hex("a123456789abcdefa123456789abcdef"), role: 0x14, username: Buffer.from("admin"),
    };
    assert.equal(crypto.rakp2Code(S3, crypto.userKey("trinity"), x).toString("hex"), "05aa0232b5adffddc6a6930e915029856aab3c10");
    const { k2 } = crypto.sessionKeys(S3, hex("a81c00dca294467b52e0d087d13ab32f532cf5cc"));
    assert.equal(k2.toString("hex"), "6700aaab16591613a546f21f5ef54dd15e99d0af");
  });

  it("AES-CBC pad: 1..N then N, any length round-trips, and a malformed pad or length is refused", () => {
    const k2 = Buffer.alloc(20, 7);
    for (let n = 0; n <= 40; n++) {
      const plain = Buffer.alloc(n, n);
      const payload = crypto.encryptPayload(k2, plain);
      assert.equal((payload.length - 16) % 16, 0);
      assert.deepEqual(crypto.decryptPayload(k2, payload), plain);
    }
    assert.equal(crypto.decryptPayload(k2, Buffer.alloc(16)), undefined);
    assert.equal(crypto.decryptPayload(k2, Buffer.alloc(33)), undefined);
    // Blocks whose pad is not exactly 1, 2, … N, N (encrypted raw, so the pad is whatever we say) are refused.
    const rawBlock = (bytes) => {
      const c = require("node:crypto").createCipheriv("aes-128-cbc", k2.subarray(0, 16), Buffer.alloc(16));
      c.setAutoPadding(false);
      return Buffer.concat([Buffer.alloc(16), c.update(Buffer.from(bytes)), c.final()]);
    };
    const data = [0x20, 0x18, 0xc8, 0x81, 0x04, 0x3b, 0x04, 0x3c, 0x09, 0x09, 0x09, 0x09];
    assert.deepEqual([...crypto.decryptPayload(k2, rawBlock([...data, 1, 2, 3, 3]))], data);
    assert.equal(crypto.decryptPayload(k2, rawBlock([...data, 1, 2, 4, 3])), undefined);
    assert.equal(crypto.decryptPayload(k2, rawBlock([...data, 0, 0, 0, 3])), undefined);
    assert.equal(crypto.decryptPayload(k2, rawBlock([...data, 1, 2, 3, 0x10])), undefined);
    assert.equal(crypto.decryptPayload(k2, rawBlock([...data, 1, 2, 3, 0xff])), undefined);
  });

  it("IPMI message checksums: the spec's example, and corrupt or truncated messages are refused", () => {
    const req = packet.encodeRequest({ netFn: 0x06, cmd: 0x3b, data: Buffer.from([0x04]), rqSeq: 1 });
    assert.equal(req.toString("hex"), "2018c881043b043c");
    const rsp = packet.encodeResponse({ netFn: 0x06, cmd: 0x3b, completionCode: 0, data: Buffer.from([0x04]), rqSeq: 1 });
    assert.equal(rsp.toString("hex"), "811c6320043b00049d");
    const bad = Buffer.from(req);
    bad[6] ^= 1;
    assert.equal(packet.decodeRequest(bad), undefined);
    assert.equal(packet.decodeResponse(rsp.subarray(0, 7)), undefined);
  });

  it("garbage, truncated and oversized datagrams never throw: they decode to nothing", () => {
    const samples = [Buffer.alloc(0), Buffer.from([6]), hex("0600ff07"), hex("0600ff0706"), hex("0600ff07 06c0 00000000 01000000 ffff"), hex("0600ff07 0602 00000000 00000000 0000")];
    const rnd = require("node:crypto");
    for (let i = 0; i < 2000; i++) samples.push(rnd.randomBytes(i % 97));
    for (let i = 0; i < 500; i++) samples.push(Buffer.concat([hex("0600ff0706"), rnd.randomBytes(i % 80)]));
    const cipher = { suite: S17, k1: Buffer.alloc(32, 1), k2: Buffer.alloc(32, 2) };
    for (const s of samples) {
      packet.decodeDatagram(s, 16);
      assert.equal(envelope.open(cipher, s), undefined);
      for (const dec of [rakp.decodeOpenSessionRequest, rakp.decodeOpenSessionResponse, rakp.decodeRakp1, rakp.decodeRakp2, rakp.decodeRakp3, rakp.decodeRakp4, packet.decodeRequest, packet.decodeResponse]) dec(s);
    }
  });

  it("a packet without the authenticated or encrypted bit is refused in a suite that has them (no downgrade)", () => {
    const cipher = { suite: S17, k1: Buffer.alloc(32, 1), k2: Buffer.alloc(32, 2) };
    const plain = packet.encodeRmcpPlus({ payloadType: 0, sessionId: 5, sequence: 1 }, hex("811c6320043b00049d"));
    assert.equal(envelope.open(cipher, plain), undefined);
    const sealed = envelope.seal(cipher, { payloadType: 0, sessionId: 5, sequence: 1, plaintext: hex("811c6320043b00049d") });
    assert.ok(envelope.open(cipher, sealed));
    assert.equal(envelope.open({ ...cipher, k1: Buffer.alloc(32, 3) }, sealed), undefined);
  });

  it("inbound window: -16..+15 around the highest accepted, no duplicates, forward jumps move it, 0 never valid", () => {
    const w = new envelope.InboundWindow();
    assert.equal(w.accept(0), false);
    assert.equal(w.accept(3), true);
    assert.equal(w.accept(3), false);
    assert.equal(w.accept(5), true);
    assert.equal(w.accept(4), true);
    assert.equal(w.accept(4), false);
    assert.equal(w.accept(21), false); // +16
    assert.equal(w.accept(20), true); // +15
    assert.equal(w.accept(4), false); // -16, but a duplicate (accepted before the window moved)
    assert.equal(w.accept(6), true); // -14, never seen
    assert.equal(w.accept(3), false); // -17: outside the window
    const wrap = new envelope.InboundWindow();
    assert.equal(wrap.accept(0xfffffffe), true);
    assert.equal(wrap.accept(envelope.nextSequence(0xffffffff)), true);
    assert.equal(envelope.nextSequence(0xffffffff), 1);
  });

  it("the client's suite table: only 17 and 3 are secure; suite 0 exists only to impersonate a vulnerable BMC", () => {
    assert.deepEqual(crypto.SECURE_SUITES, [17, 3]);
    assert.equal(crypto.CIPHER_SUITES[0].authAlg, 0);
    assert.throws(() => crypto.rakp2Code(crypto.CIPHER_SUITES[0], Buffer.alloc(0), exchange(V1)), /no RAKP authentication/);
    assert.throws(() => crypto.userKey("x".repeat(21)), /at most 20 bytes/);
  });
});
