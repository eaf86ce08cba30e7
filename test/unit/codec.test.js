"use strict";
// IPMI byte layouts, checked against the IPMI v2.0 specification's field positions (§22.22-22.30). The simulator
// cannot show 20-byte passwords or per-channel flags, so these tests are what proves them (hardware: not yet).
const assert = require("node:assert/strict");
const c = require("../../dist/ipmi/commands");

describe("unit: IPMI codec", () => {
  it("Set User Access: change bit, callback-restriction, link auth, IPMI messaging, channel, and the session-limit byte", () => {
    const all = c.setUserAccess(1, 3, { privilege: "administrator", ipmiMessaging: true, linkAuth: true, callin: true });
    assert.deepEqual([all.netFn, all.cmd, ...all.data], [0x06, 0x43, 0xb1, 0x03, 0x04, 0x00]);
    const none = c.setUserAccess(1, 3, { privilege: "no-access", ipmiMessaging: false, linkAuth: false, callin: false });
    assert.deepEqual(none.data, [0xc1, 0x03, 0x0f, 0x00]);
    const msgOnly = c.setUserAccess(2, 10, { privilege: "operator", ipmiMessaging: true, linkAuth: false, callin: true });
    assert.deepEqual(msgOnly.data, [0x92, 0x0a, 0x03, 0x00]);
  });

  it("Set User Password: 16-byte format for ≤16 bytes, 20-byte format (bit 7) above, NUL-padded, operation 0x02", () => {
    const p16 = c.setUserPassword(10, "Abcdefgh12345678");
    assert.equal(p16.data.length, 2 + 16);
    assert.deepEqual(p16.data.slice(0, 2), [0x0a, 0x02]);
    assert.equal(p16.secret, true);
    const p17 = c.setUserPassword(10, "Abcdefgh123456789");
    assert.equal(c.passwordSizeFor("Abcdefgh123456789"), 20);
    assert.deepEqual(p17.data.slice(0, 2), [0x8a, 0x02]);
    assert.equal(p17.data.length, 2 + 20);
    assert.deepEqual(p17.data.slice(2 + 17), [0, 0, 0]);
    const short = c.setUserPassword(3, "ab");
    assert.deepEqual(short.data, [0x03, 0x02, 0x61, 0x62, ...new Array(14).fill(0)]);
    assert.throws(() => c.setUserPassword(3, "x".repeat(21)), /longer than the 20-byte/);
  });

  it("the password never appears in the command's label", () => {
    const cmd = c.setUserPassword(4, "Sentinel-Label-9");
    assert.ok(!cmd.label.includes("Sentinel"));
  });

  it("Set User Name pads to 16 bytes; an empty name clears the slot; 17 bytes are refused", () => {
    assert.deepEqual(c.setUserName(6, "carol").data, [6, 0x63, 0x61, 0x72, 0x6f, 0x6c, ...new Array(11).fill(0)]);
    assert.deepEqual(c.setUserName(6, "").data, [6, ...new Array(16).fill(0)]);
    assert.throws(() => c.setUserName(6, "a".repeat(17)));
  });

  it("enable/disable use Set User Password operations 0x01/0x00", () => {
    assert.deepEqual(c.setUserEnabled(5, true).data, [5, 0x01]);
    assert.deepEqual(c.setUserEnabled(5, false).data, [5, 0x00]);
  });

  it("rejects user IDs outside 1..63 and channels outside 0..15 before anything is sent", () => {
    assert.throws(() => c.getUserName(0));
    assert.throws(() => c.getUserName(64));
    assert.throws(() => c.getUserAccess(16, 2));
  });

  it("decodes Get User Access: max IDs, enable status, flags, privilege", () => {
    const a = c.decodeUserAccess([0x3f, 0x07, 0x00, 0x14]);
    assert.equal(a.maxUsers, 63);
    assert.equal(a.enableStatus, "unspecified");
    assert.equal(a.enabledUsers, 7);
    assert.equal(a.privilege, "administrator");
    assert.equal(a.ipmiMessaging, true);
    assert.equal(a.linkAuth, false);
    assert.equal(a.callin, true);
    const b = c.decodeUserAccess([0x10, 0x42, 0x01, 0x63]);
    assert.equal(b.maxUsers, 16);
    assert.equal(b.enableStatus, "enabled");
    assert.equal(b.fixedNameUsers, 1);
    assert.equal(b.privilege, "operator");
    assert.equal(b.callin, false);
    assert.equal(b.linkAuth, true);
    assert.equal(c.decodeUserAccess([0x10, 0x80, 0, 0x0f]).enableStatus, "disabled");
    assert.equal(c.decodeUserAccess([0x10, 0x80, 0, 0x0f]).privilege, "no-access");
    assert.equal(c.decodeUserAccess([0x10, 0x80, 0, 0x05]).privilege, "oem");
    assert.throws(() => c.decodeUserAccess([0x3f]));
  });

  it("decodes names up to the first NUL, channel medium, and the manufacturer id", () => {
    assert.equal(c.decodeUserName([0x41, 0x44, 0x4d, 0x49, 0x4e, 0, 0, 0]), "ADMIN");
    assert.equal(c.decodeUserName(new Array(16).fill(0)), "");
    assert.deepEqual(c.decodeChannelInfo([0x01, 0x04, 0x01, 0x81]), { channel: 1, mediumType: 4, isLan: true });
    assert.equal(c.decodeChannelInfo([0x02, 0x05]).isLan, false);
    const dev = c.decodeDeviceId([0x00, 0x03, 0x01, 0x00, 0x02, 0x9f, 0x7c, 0x2a, 0x00, 0x0a, 0x1b]);
    assert.equal(dev.manufacturerId, 10876);
    assert.equal(dev.productId, 0x1b0a);
  });

  it("Get LAN Configuration Parameters 26 on 'this channel' (0xE); the threshold is byte 2, the lockout interval bytes 5-6 in tens of seconds (§23.2 Table 23-4)", () => {
    const r = c.getBadPasswordThreshold();
    assert.deepEqual([r.netFn, r.cmd, ...r.data], [0x0c, 0x02, 0x0e, 26, 0, 0]);
    assert.deepEqual(c.decodeBadPasswordThreshold([0x11, 0x01, 3, 0x06, 0x00, 0x1e, 0x00]), { threshold: 3, lockoutSeconds: 300 });
    assert.deepEqual(c.decodeBadPasswordThreshold([0x11, 0x00, 0]), { threshold: 0, lockoutSeconds: 0 });
    assert.throws(() => c.decodeBadPasswordThreshold([0x11, 0x00]));
  });

  it("raw lines are hex with the 0x prefix, as ipmitool exec expects", () => {
    assert.equal(require("../../dist/transport/ipmitool/session").rawLine(c.getUserAccess(1, 2)), "raw 0x06 0x44 0x01 0x02");
  });
});
