"use strict";
// Sim tier: round trips per BmcUser operation, counted as requests reaching the BMC through the UDP proxy. Counts are
// deterministic (no delay, no loss), so a change that adds a request to an operation fails here; `npm run bench`
// shows what the requests cost in time.
//
// ipmitool (1.8.19) spends 10 requests on a session that runs no command: Get Channel Authentication Capabilities,
// Open Session, RAKP 1, RAKP 3, Set Session Privilege Level, HPM.2 Get Capabilities, Get Device ID, Get PICMG
// Properties, Get VSO Capabilities and, at the end, Close Session. No option turns the probes off (DESIGN.md).
const assert = require("node:assert/strict");
const { Lab } = require("../lab/lab");
const { UdpProxy } = require("../lab/udp-proxy");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { forgetIdentity, identityKey } = require("../../dist/ipmi/identity");

const SESSION = 10;

describe("sim: round trips per operation (requests counted through the proxy)", function () {
  this.timeout(60000);
  const lab = new Lab();
  let bmc, proxy, port;

  before(async () => {
    [bmc] = await lab.start([{ name: "rt" }]);
    proxy = new UdpProxy({ targetPort: bmc.port });
    port = await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await lab.stop();
  });

  /** Requests the BMC received while `fn` ran, including the Close Session finishing after it returned. */
  async function requests(fn) {
    await proxy.settled();
    const before = proxy.counts.up;
    const result = await fn();
    await proxy.settled();
    return { result, count: proxy.counts.up - before };
  }

  const inputs = async (extra) =>
    (await provider.check({}, { bmc: { ...bmc.connection(), port }, privilege: "operator", ...extra })).inputs;

  it("create with verification off: one session; the LAN channel is looked up once per BMC", async () => {
    forgetLanChannel({ host: "127.0.0.1", port });
    forgetIdentity(identityKey({ host: "127.0.0.1", port }));
    // Session + Get Device ID + Get Channel Info + read slot (2) + 4 writes + read back (2); both lookups once per BMC.
    const first = await requests(async () => provider.create(await inputs({ userId: 3, username: "rt3", password: "Sentinel-Rt-0003", verifyPassword: "off" })));
    assert.equal(first.result.outs.passwordState, "not-checked");
    assert.equal(first.count, SESSION + 1 + 1 + 2 + 4 + 2, `first create: ${first.count} requests`);
    const second = await requests(async () => provider.create(await inputs({ userId: 4, username: "rt4", password: "Sentinel-Rt-0004", verifyPassword: "off" })));
    assert.equal(second.count, SESSION + 2 + 4 + 2, `second create: ${second.count} requests`);
  });

  it("create with verification: the admin session plus exactly one login as the user", async () => {
    const r = await requests(async () => provider.create(await inputs({ userId: 5, username: "rt5", password: "Sentinel-Rt-0005" })));
    assert.equal(r.result.outs.passwordState, "verified");
    assert.equal(r.count, SESSION + 2 + 4 + 2 + SESSION, `create: ${r.count} requests`);
  });

  it("refresh with verification reads only the managed slot, plus one login; no-op check + diff sends nothing", async () => {
    const created = await provider.create(await inputs({ userId: 6, username: "rt6", password: "Sentinel-Rt-0006" }));
    const r = await requests(() => provider.read(created.id, created.outs));
    assert.equal(r.result.props.passwordState, "verified");
    assert.equal(r.count, SESSION + 2 + SESSION, `refresh: ${r.count} requests`);
    const noop = await requests(async () => provider.diff(created.id, created.outs, await inputs({ userId: 6, username: "rt6", password: "Sentinel-Rt-0006" })));
    assert.equal(noop.result.changes, false);
    assert.equal(noop.count, 0);
  });

  it("rotating a password: read slot, one write, read back, one login", async () => {
    const created = await provider.create(await inputs({ userId: 7, username: "rt7", password: "Sentinel-Rt-0007" }));
    const news = await inputs({ userId: 7, username: "rt7", password: "Sentinel-Rt-0077" });
    // Set User Password, then Set User Password (enable): planWrites restates enable after any write.
    const r = await requests(() => provider.update(created.id, created.outs, news));
    assert.equal(r.result.outs.passwordState, "verified");
    assert.equal(r.count, SESSION + 2 + 2 + 2 + SESSION, `rotate: ${r.count} requests`);
  });
});
