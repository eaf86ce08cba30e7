"use strict";
// Sim tier: round trips per BmcUser operation, counted as requests reaching the BMC through the UDP proxy, on the
// tier's transport (test/lab/transport.js). Counts are deterministic (no delay, no loss), so a change that adds a
// request to an operation fails here; `npm run bench` shows what the requests cost in time.
//
// What one session costs (SESSION, Close Session included; LOGIN for a login that only proves a password):
// - native: Open Session, RAKP 1, RAKP 3, Set Session Privilege Level + Close Session = 5; a proof 3 + 1 = 4.
// - ipmitool 1.8.19: 10 either way — Get Channel Authentication Capabilities, Open Session, RAKP 1, RAKP 3, Set
//   Session Privilege Level, HPM.2 Get Capabilities, Get Device ID, Get PICMG Properties, Get VSO Capabilities and
//   Close Session. No option turns its probes off (DESIGN.md).
const assert = require("node:assert/strict");
const { Lab } = require("../lab/lab");
const { UdpProxy } = require("../lab/udp-proxy");
const { TRANSPORT, SESSION, LOGIN, LOGIN_AT_USER } = require("../lab/transport");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { forgetIdentity, identityKey } = require("../../dist/ipmi/identity");
const { forgetLoginMemory } = require("../../dist/ipmi/login");

/** Requests the BMC received through `proxy` while `fn` ran, including the Close Session finishing after it returned. */
async function requestsThrough(proxy, fn) {
  await proxy.settled();
  const before = proxy.counts.up;
  const result = await fn();
  await proxy.settled();
  return { result, count: proxy.counts.up - before };
}

describe(`sim: round trips per operation (requests counted through the proxy), ${TRANSPORT} transport`, function () {
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

  const requests = (fn) => requestsThrough(proxy, fn);

  const inputs = async (extra) =>
    (await provider.check({}, { bmc: { ...bmc.connection(), port }, privilege: "operator", ...extra })).inputs;

  it("create with verification off: one session; the LAN channel and the identity are looked up once per BMC", async () => {
    forgetLanChannel({ host: "127.0.0.1", port });
    forgetIdentity(identityKey({ host: "127.0.0.1", port }));
    // Session + Get Device ID + Get Channel Info + Get User Name (an empty slot needs nothing more) + 4 writes + read
    // back (2); both lookups once per BMC, and so is the bad-password threshold (LAN parameter 26, once per BMC per
    // run: the lockout budget). Native: 5 + 10 = 15, then 12.
    forgetLoginMemory();
    const first = await requests(async () => provider.create(await inputs({ userId: 3, username: "rt3", password: "Sentinel-Rt-0003", verifyPassword: "off" })));
    assert.equal(first.result.outs.passwordState, "not-checked");
    assert.equal(first.count, SESSION + 1 + 1 + 1 + 1 + 4 + 2, `first create: ${first.count} requests`);
    const second = await requests(async () => provider.create(await inputs({ userId: 4, username: "rt4", password: "Sentinel-Rt-0004", verifyPassword: "off" })));
    assert.equal(second.count, SESSION + 1 + 4 + 2, `second create: ${second.count} requests`);
  });

  it("create with verification: the admin session plus exactly one login as the user (native: 12 + 4 = 16)", async () => {
    const r = await requests(async () => provider.create(await inputs({ userId: 5, username: "rt5", password: "Sentinel-Rt-0005" })));
    assert.equal(r.result.outs.passwordState, "verified");
    assert.equal(r.count, SESSION + 1 + 4 + 2 + LOGIN, `create: ${r.count} requests`);
  });

  it("refresh of an operator: one session as the account itself reads its slot and proves its password (native: 7); no-op check + diff sends nothing", async () => {
    const created = await provider.create(await inputs({ userId: 6, username: "rt6", password: "Sentinel-Rt-0006" }));
    const r = await requests(() => provider.read(created.id, created.outs));
    assert.equal(r.result.props.passwordState, "verified");
    assert.equal((await provider.diff(created.id, r.result.props, await inputs({ userId: 6, username: "rt6", password: "Sentinel-Rt-0006" }))).changes, false);
    assert.equal(r.count, SESSION + 2, `refresh: ${r.count} requests`);
    const noop = await requests(async () => provider.diff(created.id, created.outs, await inputs({ userId: 6, username: "rt6", password: "Sentinel-Rt-0006" })));
    assert.equal(noop.result.changes, false);
    assert.equal(noop.count, 0);
  });

  it("refresh of a user-privilege account (which may not read slots): the admin reads, one login beside it (native: 11)", async () => {
    const created = await provider.create(await inputs({ userId: 8, username: "rt8", password: "Sentinel-Rt-0008", privilege: "user" }));
    const r = await requests(() => provider.read(created.id, created.outs));
    assert.equal(r.result.props.passwordState, "verified");
    assert.equal(r.count, SESSION + 2 + LOGIN_AT_USER, `refresh: ${r.count} requests`);
  });

  it("rotating a password: read slot, Set User Password and enable restated (ipmi_sim does not report enable status), read back, one login (native: 15)", async () => {
    const created = await provider.create(await inputs({ userId: 7, username: "rt7", password: "Sentinel-Rt-0007" }));
    const news = await inputs({ userId: 7, username: "rt7", password: "Sentinel-Rt-0077" });
    const r = await requests(() => provider.update(created.id, created.outs, news));
    assert.equal(r.result.outs.passwordState, "verified");
    assert.equal(r.count, SESSION + 2 + 2 + 2 + LOGIN, `rotate: ${r.count} requests`);
  });
});

describe(`sim: round trips on the virtual BMC lab at cipher suite 17, ${TRANSPORT} transport`, function () {
  // The lab's BMC reports enable status apart from IPMI messaging, as most firmware does: a rotation writes the
  // password alone.
  this.timeout(60000);
  const { startLab } = require("../../dist/lab");
  const ADMIN = { name: "rtadmin", password: "Sentinel-Rt17-Adm" };
  let lab, proxy, port;

  before(async () => {
    lab = await startLab({ admin: ADMIN });
    proxy = new UdpProxy({ targetPort: lab.bmcs[0].port });
    port = await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await lab?.stop();
  });

  const requests = (fn) => requestsThrough(proxy, fn);
  const inputs = async (extra) =>
    (await provider.check({}, { bmc: { host: "127.0.0.1", port, username: ADMIN.name, password: ADMIN.password, cipherSuite: 17, transport: TRANSPORT, timeoutSeconds: 2, retries: 2 }, privilege: "operator", ...extra })).inputs;

  it("create (verification off, then on), refresh and rotate: native 12, 16, 7 and 13 requests", async () => {
    await provider.create(await inputs({ userId: 3, username: "warm17", password: "Sentinel-Rt17-003", verifyPassword: "off" }));
    const off = await requests(async () => provider.create(await inputs({ userId: 4, username: "rt17a", password: "Sentinel-Rt17-004", verifyPassword: "off" })));
    assert.equal(off.count, SESSION + 1 + 4 + 2, `create, verification off: ${off.count}`);
    const on = await requests(async () => provider.create(await inputs({ userId: 5, username: "rt17b", password: "Sentinel-Rt17-005" })));
    assert.equal(on.result.outs.passwordState, "verified");
    assert.equal(on.count, SESSION + 1 + 4 + 2 + LOGIN, `create: ${on.count}`);
    const refresh = await requests(() => provider.read(on.result.id, on.result.outs));
    assert.equal(refresh.result.props.passwordState, "verified");
    assert.equal(refresh.count, SESSION + 2, `refresh: ${refresh.count}`);
    const rotate = await requests(async () => provider.update(on.result.id, on.result.outs, await inputs({ userId: 5, username: "rt17b", password: "Sentinel-Rt17-055" })));
    assert.equal(rotate.result.outs.passwordState, "verified");
    // Read slot 2 + Set User Password + the name read back + the login.
    assert.equal(rotate.count, SESSION + 2 + 1 + 1 + LOGIN, `rotate: ${rotate.count}`);
    assert.equal(lab.bmcs[0].account("rt17b").passwordSize, 20, "a 17-byte password, stored in the 20-byte form and proven by the login");
  });
});
