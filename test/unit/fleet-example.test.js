"use strict";
// examples/fleet's pure parts: the inventory is checked strictly (each error names the entry and the field), and the
// derived passwords are deterministic per (secret, rotation, scope), change with the rotation, and always pass the
// BMS rules for Linux and Windows and the IPMI 16-byte limit.
const assert = require("node:assert/strict");
const { checkInventory, derivePassword, InventoryError } = require("../../examples/fleet/fleet");
const { passwordViolations } = require("../../dist/bmsPassword/schema");

const BMC = { name: "smc-01", host: "10.0.0.5", vendor: "supermicro", site: "ams1" };
const SERVER = { id: "77616c78-0bc4-4156-b24b-4286586ac350", name: "web-01", os: "linux" };

describe("unit: fleet example inventory and password derivation", () => {
  it("fills defaults: port 623, the vendor's login, os auto", () => {
    const inv = checkInventory({ bmcs: [{ name: "dell-01", host: "h", vendor: "dell" }], servers: [{ id: SERVER.id, name: "s" }] });
    assert.deepEqual(inv.bmcs[0], { name: "dell-01", host: "h", port: 623, vendor: "dell", site: "", login: "root", passwordBytes: 16 });
    assert.equal(inv.servers[0].os, "auto");
  });

  it("a Redfish BMC: port 443 by default, its fingerprint kept, OpenBMC's login root", () => {
    const fp = "ab".repeat(32);
    const inv = checkInventory({ bmcs: [{ name: "obmc-01", host: "h", vendor: "openbmc", protocol: "redfish", tlsFingerprint: fp }] });
    assert.deepEqual(inv.bmcs[0], { name: "obmc-01", host: "h", port: 443, vendor: "openbmc", site: "", login: "root", passwordBytes: 16, protocol: "redfish", tlsFingerprint: fp });
  });

  for (const [doc, message] of [
    [{ bmcs: [{ ...BMC, protocol: "redfish" }] }, /inv: bmcs\[0\]\.tlsFingerprint: is required with protocol redfish/],
    [{ bmcs: [{ ...BMC, tlsFingerprint: "ab".repeat(32) }] }, /inv: bmcs\[0\]\.tlsFingerprint: applies to protocol redfish only/],
    [{ bmcs: [{ ...BMC, protocol: "redfish", tlsFingerprint: "abc" }] }, /inv: bmcs\[0\]\.tlsFingerprint: must be the SHA-256 fingerprint/],
    [{ bmcs: [{ ...BMC, protocol: "soap" }] }, /inv: bmcs\[0\]\.protocol: must be one of ipmi, redfish/],
    [{ bmcs: [{ ...BMC, password: "x" }] }, /inv: bmcs\[0\]\.password: unknown key/],
    [{ bmcs: [{ ...BMC, port: "623x" }] }, /inv: bmcs\[0\]\.port: must be an integer 1-65535/],
    [{ bmcs: [{ ...BMC, vendor: "acme" }] }, /inv: bmcs\[0\]\.vendor: must be one of supermicro/],
    [{ bmcs: [{ ...BMC, passwordBytes: 18 }] }, /inv: bmcs\[0\]\.passwordBytes: must be 16 or 20/],
    [{ bmcs: [BMC, BMC] }, /inv: bmcs\[1\]\.name: duplicate name "smc-01"/],
    [{ bmcs: [{ name: "x" }] }, /inv: bmcs\[0\]\.host: is required/],
    [{ servers: [{ ...SERVER, id: "web-01" }] }, /inv: servers\[0\]\.id: must be the server's UUID/],
    [{ servers: [{ ...SERVER, os: "bsd" }] }, /inv: servers\[0\]\.os: must be one of linux, windows, auto/],
    [{ hosts: [] }, /inv: hosts: unknown key/],
    [[], /inv: \(top\): must be a mapping/],
  ]) {
    it(`refuses ${JSON.stringify(doc).slice(0, 60)}`, () => {
      assert.throws(() => checkInventory(doc, "inv"), (e) => e instanceof InventoryError && message.test(e.message));
    });
  }

  it("derives a stable password per scope and rotation; a new rotation changes every one", () => {
    const m = "a-master-secret-of-some-length";
    assert.equal(derivePassword(m, 1, "bmc/a/x"), derivePassword(m, 1, "bmc/a/x"));
    assert.notEqual(derivePassword(m, 1, "bmc/a/x"), derivePassword(m, 1, "bmc/a/y"));
    assert.notEqual(derivePassword(m, 1, "bmc/a/x"), derivePassword(m, 2, "bmc/a/x"));
    assert.notEqual(derivePassword(m, 1, "bmc/a/x"), derivePassword(`${m}!`, 1, "bmc/a/x"));
    assert.throws(() => derivePassword("short", 1, "s"), /fleet:masterSecret must be a secret of at least 16/);
    assert.throws(() => derivePassword(m, -1, "s"), /fleet:rotation must be a non-negative integer/);
  });

  it("20-byte passwords for BMCs that keep them: 20 printable bytes with every character class", () => {
    for (let i = 0; i < 200; i++) {
      const pw = derivePassword("a-master-secret-of-some-length", i, `bmc/obmc/${i}`, 20);
      assert.equal(Buffer.byteLength(pw), 20);
      assert.match(pw, /^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])(?=.*[^A-Za-z0-9])[\x21-\x7e]+$/);
    }
  });

  it("every derived password passes the BMS rules (Linux root, Windows Administrator) and fits 16 IPMI bytes", () => {
    for (let i = 0; i < 500; i++) {
      const pw = derivePassword("a-master-secret-of-some-length", i, `bms/${i}`);
      assert.equal(Buffer.byteLength(pw), 16);
      assert.match(pw, /^[\x21-\x7e]+$/);
      for (const [osType, username] of [["linux", "root"], ["windows", "Administrator"]]) {
        assert.deepEqual(passwordViolations(pw, osType, username), [], `${osType} rules`);
      }
    }
  });
});
