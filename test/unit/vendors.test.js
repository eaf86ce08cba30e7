"use strict";
// Vendor profiles are data with sources; detection maps Get Device ID's manufacturer id to a profile.
const assert = require("node:assert/strict");
const { profileFor, PROFILES, lanChannelProbeOrder } = require("../../dist/transport/ipmitool/vendors");
const { decodeDeviceId } = require("../../dist/transport/ipmitool/codec");

describe("unit: vendor profiles", () => {
  const deviceId = (iana) => [0x20, 0x81, 0x01, 0x00, 0x02, 0x9f, iana & 0xff, (iana >> 8) & 0xff, (iana >> 16) & 0x0f, 0x00, 0x00];
  const cases = [[10876, "supermicro", "ADMIN"], [674, "dell", "root"], [11, "hpe", "Administrator"], [19046, "lenovo", "USERID"], [49769, "openbmc", undefined], [4242, "generic", undefined]];
  for (const [iana, name, admin] of cases) {
    it(`manufacturer ${iana} (from Get Device ID bytes) → ${name}`, () => {
      const p = profileFor(decodeDeviceId(deviceId(iana)).manufacturerId);
      assert.equal(p.name, name);
      assert.equal(p.defaultAdmin?.username, admin);
    });
  }

  it("every rule cites a source", () => {
    for (const p of PROFILES) assert.ok(p.sources.length > 0 && p.sources.every((s) => s.length > 10), p.name);
  });

  it("HPE probes LAN channel 2 first, everyone else 1", () => {
    assert.deepEqual(lanChannelProbeOrder(profileFor(11)).slice(0, 3), [2, 1, 3]);
    assert.deepEqual(lanChannelProbeOrder(profileFor(674)).slice(0, 2), [1, 2]);
  });

  it("Supermicro's password cap is 16 bytes, OpenBMC's 20", () => {
    assert.equal(profileFor(10876).maxPasswordBytes, 16);
    assert.equal(profileFor(49769).maxPasswordBytes, 20);
  });
});
