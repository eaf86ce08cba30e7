"use strict";
// The lab's account table (provider/lab/accounts.ts): the BMC-side store behind every face of a virtual BMC. These are
// the table's own rules, from IPMI v2.0 §22.26-22.30 and LAN parameter 26; the external-client tier (test/peers) shows
// the same behaviour through ipmitool, FreeIPMI and pyghmi.
const assert = require("node:assert/strict");
const { AccountTable, NO_LOCKOUT } = require("../../dist/lab/accounts");

const POLICY = { maxUsers: 10, channels: [1, 2], nullUserSlot: 1, fixedNames: { 2: "ADMIN" }, uniqueNames: true, testComparesSize: true };
const FACTORY = [{ slot: 2, name: "ADMIN", password: "ADMIN", privilege: "administrator" }];

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function table(policy = {}, clock = fakeClock()) {
  return new AccountTable({ ...POLICY, ...policy }, FACTORY, clock);
}

describe("unit: lab account table", () => {
  it("holds the factory account: named, enabled, administrator with messaging on every channel, 16-byte password", () => {
    const t = table();
    const v = t.view(2);
    assert.equal(v.name, "ADMIN");
    assert.equal(v.enabled, true);
    assert.equal(v.passwordSize, 16);
    assert.equal(v.fixedName, true);
    for (const ch of [1, 2]) assert.deepEqual(v.access[ch], { privilege: "administrator", ipmiMessaging: true, linkAuth: true, callbackOnly: false, sessionLimit: 0 });
    assert.equal(t.enabledCount(), 1);
    assert.equal(t.fixedNameCount(), 2, "the null user and ADMIN");
    assert.equal(t.view(3).name, "");
    assert.equal(t.view(3).enabled, false);
    assert.deepEqual(t.access(3, 1).privilege, "no-access");
  });

  it("names: 16 bytes at most, the null user and fixed names refuse others, duplicates refused, clearing allowed", () => {
    const t = table();
    assert.equal(t.setName(3, "a".repeat(16)), "ok");
    assert.equal(t.setName(4, "b".repeat(17)), "name-too-long");
    assert.equal(t.setName(1, "anon"), "null-user");
    assert.equal(t.setName(2, "root"), "fixed-name");
    assert.equal(t.setName(2, "ADMIN"), "ok", "restating the fixed name");
    assert.equal(t.setName(5, "ADMIN"), "duplicate-name");
    assert.equal(t.setName(0, "x"), "slot-out-of-range");
    assert.equal(t.setName(11, "x"), "slot-out-of-range");
    assert.equal(t.setName(3, Buffer.from("ops\0\0\0")), "ok", "NUL padding is not part of the name");
    assert.equal(t.view(3).name, "ops");
    assert.equal(t.findByName("ops"), 3);
    assert.equal(t.setName(3, ""), "ok");
    assert.equal(t.findByName("ops"), undefined);
    assert.equal(table({ uniqueNames: false }).setName(5, "ADMIN"), "ok");
  });

  it("passwords keep their storage size: a 20-byte-stored password fails a 16-byte test with wrong-size, and the reverse", () => {
    const t = table();
    t.setName(3, "ops");
    assert.equal(t.setPassword(3, "Twenty-byte-pass-XYZ", 20), "ok");
    assert.equal(t.view(3).passwordSize, 20);
    assert.equal(t.testPassword(3, "Twenty-byte-pass-XYZ", 20), "match");
    assert.equal(t.testPassword(3, "Twenty-byte-pass-XYZ", 16), "wrong-size");
    assert.equal(t.testPassword(3, "Twenty-byte-pass-XYA", 20), "mismatch");
    assert.equal(t.setPassword(3, "Sixteen-byte-pw!", 16), "ok");
    assert.equal(t.testPassword(3, "Sixteen-byte-pw!", 20), "wrong-size");
    assert.equal(t.testPassword(3, "Sixteen-byte-pw!", 16), "match");
    assert.equal(t.setPassword(3, "Seventeen-bytes-x", 16), "password-too-long");
    assert.equal(t.testPassword(3, "Sixteen-byte-pw!", 16), "match", "a refused set changes nothing");
    // A short password in the 20-byte format is still a 20-byte password.
    assert.equal(t.setPassword(3, "short", 20), "ok");
    assert.equal(t.testPassword(3, "short", 16), "wrong-size");
  });

  it("firmware that compares text only (phosphor) matches either size; firmware that keeps 16 bytes refuses the 20-byte form", () => {
    const t = table({ testComparesSize: false });
    t.setPassword(3, "0penBmc1", 20);
    assert.equal(t.testPassword(3, "0penBmc1", 16), "match");
    const s = table({ refuses20BytePasswords: true });
    assert.equal(s.setPassword(3, "short", 20), "password-size-refused");
    assert.equal(s.setPassword(3, "short", 16), "ok");
  });

  it("a firmware password rule refuses what it does not like, and only set is checked (factory seeds are exempt)", () => {
    const t = table({ passwordRule: (pw) => pw.length >= 8 });
    assert.equal(t.setPassword(3, "short", 16), "password-policy");
    assert.equal(t.setPassword(3, "long-enough", 16), "ok");
    assert.equal(t.findLogin({ name: "ADMIN", channel: 1 }).ok, true, "the 5-character factory password stays");
  });

  it("enable status is separate from IPMI messaging: each alone refuses a login, with its own reason", () => {
    const t = table();
    assert.equal(t.findLogin({ name: "ADMIN", channel: 1 }).ok, true);
    t.setEnabled(2, false);
    assert.deepEqual(t.findLogin({ name: "ADMIN", channel: 1 }), { ok: false, refusal: "disabled", slot: 2 });
    assert.equal(t.access(2, 1).ipmiMessaging, true, "disabling leaves the access flags alone");
    t.setEnabled(2, true);
    t.setAccess(2, 1, { privilege: "administrator", flags: { ipmiMessaging: false, linkAuth: true, callbackOnly: false } });
    assert.equal(t.isEnabled(2), true, "messaging off leaves the enable status alone");
    assert.deepEqual(t.findLogin({ name: "ADMIN", channel: 1 }), { ok: false, refusal: "no-messaging", slot: 2 });
    assert.equal(t.findLogin({ name: "ADMIN", channel: 2 }).ok, true, "channel 2 is untouched");
  });

  it("access is per channel; privilege-only writes keep the flags; unknown channels are refused", () => {
    const t = table();
    t.setName(3, "ops");
    t.setAccess(3, 2, { privilege: "operator", flags: { ipmiMessaging: true, linkAuth: false, callbackOnly: false } });
    assert.equal(t.access(3, 1).privilege, "no-access");
    assert.equal(t.access(3, 2).privilege, "operator");
    t.setAccess(3, 2, { privilege: "user" });
    assert.deepEqual(t.access(3, 2), { privilege: "user", ipmiMessaging: true, linkAuth: false, callbackOnly: false, sessionLimit: 0 });
    assert.equal(t.setAccess(3, 3, { privilege: "user" }), "no-such-channel");
  });

  it("login lookup: unknown and null names, no-access, name+privilege lookup needs the exact limit; the key is the password NUL-padded to 20", () => {
    const t = table();
    assert.deepEqual(t.findLogin({ name: "nobody" }), { ok: false, refusal: "unknown-name" });
    assert.deepEqual(t.findLogin({ name: "" }), { ok: false, refusal: "null-name" });
    t.setName(3, "ops");
    t.setPassword(3, "Ops-Password-1", 16);
    t.setEnabled(3, true);
    t.setAccess(3, 1, { privilege: "no-access", flags: { ipmiMessaging: true, linkAuth: false, callbackOnly: false } });
    assert.equal(t.findLogin({ name: "ops", channel: 1 }).refusal, "no-access");
    t.setAccess(3, 1, { privilege: "operator" });
    const found = t.findLogin({ name: "ops", channel: 1 });
    assert.equal(found.candidate.slot, 3);
    assert.equal(found.candidate.privilegeLimit, "operator");
    assert.deepEqual(found.candidate.key, Buffer.concat([Buffer.from("Ops-Password-1"), Buffer.alloc(6)]));
    assert.equal(t.findLogin({ name: "ops", channel: 1, nameAndPrivilege: true, privilege: "administrator" }).refusal, "privilege-mismatch");
    assert.equal(t.findLogin({ name: "ops", channel: 1, nameAndPrivilege: true, privilege: "operator" }).ok, true);
  });

  it("lockout: the threshold locks the slot, which then reports disabled and refuses logins; the interval lifts it", () => {
    const clock = fakeClock();
    const t = table({}, clock);
    t.setLockout({ threshold: 3, attemptResetSeconds: 0, lockoutSeconds: 60, auditEvent: false });
    assert.equal(t.recordLogin(2, false), false);
    assert.equal(t.recordLogin(2, false), false);
    assert.equal(t.view(2).failedLogins, 2);
    assert.equal(t.recordLogin(2, false), true, "the third failure locks");
    assert.equal(t.view(2).locked, true);
    assert.equal(t.view(2).lockedUntil, clock.now() + 60000);
    assert.equal(t.isEffectivelyEnabled(2), false);
    assert.equal(t.isEnabled(2), true, "the administrative status is kept");
    assert.equal(t.enabledCount(), 0);
    assert.deepEqual(t.findLogin({ name: "ADMIN", channel: 1 }), { ok: false, refusal: "locked", slot: 2 });
    assert.equal(t.recordLogin(2, false), false, "no further counting while locked");
    clock.advance(59999);
    assert.equal(t.isLocked(2), true);
    clock.advance(1);
    assert.equal(t.isLocked(2), false);
    assert.equal(t.view(2).failedLogins, 0);
    assert.equal(t.findLogin({ name: "ADMIN", channel: 1 }).ok, true);
  });

  it("lockout: interval 0 locks until enabled again; enabling (or unlock) lifts it at once", () => {
    const clock = fakeClock();
    const t = table({}, clock);
    t.setLockout({ threshold: 1, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: true });
    t.recordLogin(2, false);
    clock.advance(10 * 365 * 86400 * 1000);
    assert.equal(t.isLocked(2), true);
    assert.equal(t.view(2).lockedUntil, undefined);
    t.setEnabled(2, true);
    assert.equal(t.isLocked(2), false);
    t.recordLogin(2, false);
    assert.equal(t.isLocked(2), true);
    t.unlock(2);
    assert.equal(t.isLocked(2), false);
  });

  it("lockout: a successful login clears the count; failures older than the reset interval are forgotten", () => {
    const clock = fakeClock();
    const t = table({}, clock);
    t.setLockout({ threshold: 3, attemptResetSeconds: 30, lockoutSeconds: 60, auditEvent: false });
    t.recordLogin(2, false);
    t.recordLogin(2, false);
    t.recordLogin(2, true);
    assert.equal(t.view(2).failedLogins, 0);
    t.recordLogin(2, false);
    t.recordLogin(2, false);
    clock.advance(30000);
    assert.equal(t.recordLogin(2, false), false, "the first two were forgotten");
    assert.equal(t.view(2).failedLogins, 1);
    assert.deepEqual(table().lockout, NO_LOCKOUT);
  });

  it("authenticate (faces that receive the password): compares, counts failures, and locks like a RAKP failure would", () => {
    const t = table();
    t.setLockout({ threshold: 2, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
    assert.deepEqual(t.authenticate("ADMIN", "wrong"), { ok: false, refusal: "bad-password" });
    assert.deepEqual(t.authenticate("ADMIN", "ADMIN"), { ok: true, slot: 2, privilegeLimit: "administrator" });
    t.authenticate("ADMIN", "wrong");
    t.authenticate("ADMIN", "wrong");
    assert.deepEqual(t.authenticate("ADMIN", "ADMIN"), { ok: false, refusal: "locked" });
  });

  it("change notification, revision, factory reset and a state round trip", () => {
    const t = table();
    let calls = 0;
    const off = t.onChange(() => calls++);
    const r = t.revision;
    t.setName(3, "ops");
    t.setPassword(3, "Twenty-byte-pass-XYZ", 20);
    t.setAccess(3, 2, { privilege: "operator", flags: { ipmiMessaging: true, linkAuth: false, callbackOnly: true } });
    t.setLockout({ threshold: 5, attemptResetSeconds: 300, lockoutSeconds: 600, auditEvent: true });
    assert.equal(calls, 4);
    assert.equal(t.revision, r + 4);
    off();
    const saved = JSON.parse(JSON.stringify(t.toState()));
    const copy = table();
    copy.restoreState(saved);
    assert.deepEqual(copy.list(), t.list());
    assert.deepEqual(copy.lockout, t.lockout);
    assert.equal(copy.testPassword(3, "Twenty-byte-pass-XYZ", 20), "match");
    t.resetToFactory();
    assert.equal(t.view(3).name, "");
    assert.equal(t.view(2).name, "ADMIN");
    assert.throws(() => copy.restoreState({ version: 2 }), /version 1/);
  });
});
