"use strict";
// Sim tier: vendor detection and the profile rules the simulator can show. Each lab BMC carries a vendor personality
// (manufacturer id in Get Device ID, the vendor's default account in slot 2; HPE's LAN on channel 2). Round trips are
// counted as datagrams sent towards the BMC through the userspace UDP proxy, which shows the rules that change what
// is sent (one Get Device ID per BMC per process, HPE's channel order, Supermicro's separate privilege write).
// Rules ipmi_sim cannot show (0xCC on empty Lenovo slots, HPE "(Empty User)" names, firmware complexity checks) are
// unit-tested in test/unit/vendors.test.js and listed in the README under "verified on hardware: not yet".
const assert = require("node:assert/strict");
const { Lab } = require("../lab/lab");
const { UdpProxy } = require("../lab/udp-proxy");
const { SentinelScan } = require("../lab/sentinels");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { forgetLoginMemory } = require("../../dist/ipmi/login");

const PW = "Vendor-Ops-4711"; // meets every profile, Supermicro's 8-16 characters with all four classes included
const WEAK = "weaksentinelpw"; // lower case only: Supermicro's policy refuses it
const scan = new SentinelScan([PW, WEAK]);

async function checked(news) {
  const r = await provider.check({}, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

async function watched(fn) {
  const { result, error } = await scan.watch(fn);
  if (error) for (const s of [PW, WEAK]) assert.ok(!`${error.message}${error.stack}`.includes(s), "secret in error");
  return { result, error };
}

describe("sim: vendor profiles", function () {
  this.timeout(120000);
  const lab = new Lab();
  const proxies = [];
  const bmcs = {};
  const EXPECT = {
    supermicro: { manufacturerId: 10876, channel: 1 },
    dell: { manufacturerId: 674, channel: 1 },
    hpe: { manufacturerId: 11, channel: 2 },
    lenovo: { manufacturerId: 19046, channel: 1 },
    openbmc: { manufacturerId: 49769, channel: 1 },
    generic: { manufacturerId: 4753, channel: 1 },
  };

  async function proxyFor(bmc) {
    const p = new UdpProxy({ targetPort: bmc.port });
    await p.start();
    proxies.push(p);
    return p;
  }

  // Counted runs wait up to 5 s per request: a retransmission after a stall of the loaded test machine would be
  // counted as protocol traffic (seen at load 16 with the lab's usual 1 s: 81 vs 144 datagrams).
  const COUNTED = { timeoutSeconds: 5 };

  /** Datagrams sent towards the BMC while `fn` runs. */
  async function sent(proxy, fn) {
    await proxy.settled();
    const before = proxy.counts.up;
    const out = await watched(fn);
    await proxy.settled();
    assert.ok(!out.error, out.error?.message);
    return { ...out, up: proxy.counts.up - before };
  }

  before(async () => {
    const started = await lab.start(Object.keys(EXPECT).map((vendor) => ({ name: vendor, vendor, lanChannel: vendor === "hpe" ? 2 : 1 })));
    for (const b of started) bmcs[b.vendor] = b;
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await lab.stop();
  });

  for (const [vendor, want] of Object.entries(EXPECT)) {
    it(`${vendor}: detected from the manufacturer id, reported in outputs (also after refresh); the user converges beside the slot-2 default account`, async () => {
      const bmc = bmcs[vendor];
      const inputs = await checked({ bmc: bmc.connection(), username: "ops", password: PW, privilege: "operator" });
      const { result: created } = await watched(() => provider.create(inputs));
      const { outs } = created;
      assert.equal(outs.vendor, vendor);
      assert.equal(outs.manufacturerId, want.manufacturerId);
      assert.equal(outs.channel, want.channel, "LAN channel per profile");
      assert.equal(outs.userId, 3, "slot 2 is the vendor's default administrator: the new account goes to 3");
      assert.equal(outs.passwordState, "verified");
      assert.equal((await bmc.slot(2, want.channel)).name, bmc.admin.username, "the default account is untouched");
      assert.ok(await bmc.canLogin("ops", PW, "OPERATOR"));
      const refreshed = await provider.read(created.id, outs);
      assert.equal(refreshed.props.vendor, vendor);
      assert.equal(refreshed.props.manufacturerId, want.manufacturerId);
      assert.equal((await provider.diff(created.id, refreshed.props, inputs)).changes, false, "vendor outputs never cause a diff");
      await provider.delete(created.id, refreshed.props);
      assert.equal((await bmc.slot(3, want.channel)).name, "", "deleted (the scrambled password met the vendor's rules)");
    });
  }

  it("Get Device ID is sent once per BMC per process, inside the operation's session, and again after a rejected login", async () => {
    const bmc = bmcs.generic;
    const proxy = await proxyFor(bmc);
    const conn = bmc.connection({ port: proxy.listenPort, ...COUNTED });
    const inputs = await checked({ bmc: conn, username: "counted", password: PW, privilege: "user", verifyPassword: "off" });
    const { result: created } = await sent(proxy, () => provider.create(inputs));
    assert.equal(created.outs.vendor, "generic");
    const cold = proxy.counts.rakp1;
    const { up: warm } = await sent(proxy, () => provider.read(created.id, created.outs));
    assert.equal(proxy.counts.rakp1, cold + 1, "one session, no extra login for the identity");
    // A rejected login forgets the identity: the address may now answer for another BMC.
    forgetLoginMemory();
    const rejected = await watched(() => provider.read(created.id, { ...created.outs, bmc: { ...created.outs.bmc, password: "Wrong-Admin-1" } }));
    assert.equal(rejected.error?.code, "BMC_LOGIN_REJECTED");
    const { up: again, result } = await sent(proxy, () => provider.read(created.id, created.outs));
    // + Get Device ID (the identity, forgotten) + Get LAN Configuration Parameters 26 (the bad-password threshold:
    // forgetLoginMemory() made this a new run, which reads it once per BMC in its first administrator session).
    assert.equal(again, warm + 2, `identity read again after the rejected login: ${again} vs ${warm} datagrams`);
    assert.equal(result.props.vendor, "generic");
    const { up: warmAgain } = await sent(proxy, () => provider.read(created.id, created.outs));
    assert.equal(warmAgain, warm, "and cached again afterwards");
  });

  it("HPE: LAN channel 2 is probed first — one Get Channel Info fewer than the generic order on a channel-2 BMC", async () => {
    const bmc = bmcs.hpe;
    const proxy = await proxyFor(bmc);
    const create = async (username, vendorProfile) => {
      // The LAN channel is cached per BMC: forget it, so that each create probes in its profile's order.
      forgetLanChannel({ host: "127.0.0.1", port: proxy.listenPort });
      return sent(proxy, async () => provider.create(await checked({ bmc: bmc.connection({ port: proxy.listenPort, ...COUNTED }), username, password: PW, privilege: "user", vendorProfile })));
    };
    await create("warmup", "auto"); // reads the identity for this address
    const hpeOrder = await create("hpefirst", "auto");
    const genericOrder = await create("genericorder", "generic");
    assert.equal(hpeOrder.result.outs.channel, 2);
    assert.equal(genericOrder.result.outs.channel, 2);
    assert.equal(genericOrder.result.outs.vendor, "generic", "a named profile is the one applied and reported");
    assert.equal(genericOrder.result.outs.manufacturerId, 11, "the detected manufacturer id is still reported");
    assert.equal(genericOrder.up - hpeOrder.up, 1, `generic probes channel 1 (0xCB) before 2: ${genericOrder.up} vs ${hpeOrder.up} datagrams`);
  });

  it("Supermicro: the privilege is written on its own before IPMI messaging is turned on (one more Set User Access than generic)", async () => {
    const bmc = bmcs.supermicro;
    const proxy = await proxyFor(bmc);
    const create = async (username, vendorProfile) =>
      sent(proxy, async () => provider.create(await checked({ bmc: bmc.connection({ port: proxy.listenPort, ...COUNTED }), username, password: PW, privilege: "operator", vendorProfile })));
    await create("smcwarm", "auto");
    const smc = await create("smcorder", "auto");
    const generic = await create("genorder", "generic");
    assert.equal(smc.up - generic.up, 1, `${smc.up} vs ${generic.up} datagrams`);
    const slot = await bmc.slot(smc.result.outs.userId);
    assert.deepEqual({ privilege: slot.privilege, msg: slot.ipmiMessaging }, { privilege: 3, msg: true });
  });

  it("Supermicro: a password outside the firmware policy is refused before any write, naming the field, never the value", async () => {
    const bmc = bmcs.supermicro;
    const inputs = await checked({ bmc: bmc.connection(), username: "weak", password: WEAK, privilege: "user", userId: 9 });
    const { error } = await watched(() => provider.create(inputs));
    assert.equal(error?.code, "BMC_VENDOR_RULE");
    assert.match(error.message, /password: supermicro firmware requires each of/);
    assert.ok(!error.id, "nothing was written, so nothing is recorded");
    assert.equal((await bmc.slot(9)).name, "", "slot 9 untouched");
    // vendorProfile: "generic" turns the rules off (firmware known not to need them): the simulator then takes it.
    const { result } = await watched(async () => provider.create({ ...inputs, vendorProfile: "generic" }));
    assert.equal(result.outs.userId, 9);
    assert.equal(result.outs.vendor, "generic");
  });

  it("Supermicro: slot 2 stays ADMIN — managing it under another name is refused (the simulator would have renamed it)", async () => {
    const bmc = bmcs.supermicro;
    const inputs = await checked({ bmc: bmc.connection(), username: "admin2", password: PW, privilege: "administrator", userId: 2 });
    const { error } = await watched(() => provider.create(inputs));
    assert.equal(error?.code, "BMC_VENDOR_RULE");
    // The lab's ADMIN account has the password "ADMIN", so redaction masks the name too.
    assert.match(error.message, /username: slot 2 on supermicro BMCs is fixed to (ADMIN|\[secret\]) and cannot be renamed/);
    assert.ok(!error.id, "nothing was written");
    assert.equal((await bmc.slot(2)).name, "ADMIN");
  });

  it("Dell: slots above 16 are refused with the vendor's limit, although the simulator reports 63", async () => {
    const bmc = bmcs.dell;
    assert.equal((await bmc.slot(2)).maxUsers, 63);
    const inputs = await checked({ bmc: bmc.connection(), username: "high", password: PW, privilege: "user", userId: 20 });
    const { error } = await watched(() => provider.create(inputs));
    assert.equal(error?.code, "BMC_SLOT_OUT_OF_RANGE");
    assert.match(error.message, /dell BMCs' 16 user slots/);
    assert.equal((await bmc.slot(20)).name, "");
  });

  it("Lenovo: a disabled account converges under the enable-first order and ends disabled (the order itself is unit-tested; the simulator does not enforce it)", async () => {
    const bmc = bmcs.lenovo;
    const inputs = await checked({ bmc: bmc.connection(), username: "parked", password: PW, privilege: "user", enabled: false });
    const { result } = await watched(() => provider.create(inputs));
    assert.equal(result.outs.vendor, "lenovo");
    assert.equal((await bmc.slot(result.outs.userId)).name, "parked");
    assert.equal(await bmc.canLogin("parked", PW, "USER"), false, "ends disabled");
    const read = await provider.read(result.id, result.outs);
    assert.equal((await provider.diff(result.id, read.props, inputs)).changes, false);
  });
});
