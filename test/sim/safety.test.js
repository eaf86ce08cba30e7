"use strict";
// Sim tier: the provider never touches an account it cannot show is its own, and its logins do not depend on the
// order resources run in (issues 14 and 16). Every case runs against ipmi_sim through the real ipmitool; out-of-band
// changes and checks use the lab's own ipmitool calls; logins are counted at the UDP proxy (RAKP 1 without RAKP 3 is a
// rejected login).
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { Lab } = require("../lab/lab");
const { UdpProxy } = require("../lab/udp-proxy");
const { bmcUserProvider: provider } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");

// ≤ 16 bytes each: ipmi_sim stores only 16.
const PW = {
  a: "Sentinel-Saf-101",
  b: "Sentinel-Saf-102",
  c: "Sentinel-Saf-103",
  foreign: "Sentinel-For-201",
  wrong: "Sentinel-Wrg-301",
};

async function checked(news) {
  const r = await provider.check({}, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

async function outcome(promise) {
  try {
    return { result: await promise };
  } catch (error) {
    for (const s of Object.values(PW)) assert.ok(!String(error.message).includes(s), `secret in ${error.message}`);
    return { error };
  }
}

const name16 = (name) => [...Buffer.from(name), ...new Array(16 - name.length).fill(0)];

/** Out of band: another administrator puts its own account `name`/`password` in `slot` (operator, enabled). */
async function placeForeignAccount(bmc, slot, name, password) {
  await bmc.raw([
    [0x06, 0x45, slot, ...name16(name)],
    [0x06, 0x47, slot, 0x02, ...name16(password)],
    [0x06, 0x43, 0x91, slot, 0x03, 0x00],
    [0x06, 0x47, slot, 0x01],
  ]);
}

/** Out of band: the slot emptied the way a delete leaves it (no access, disabled, password scrambled, no name). */
async function emptySlot(bmc, slot) {
  await bmc.raw([
    [0x06, 0x43, 0x81, slot, 0x0f, 0x00],
    [0x06, 0x47, slot, 0x00],
    [0x06, 0x47, slot, 0x02, ...name16("Scrambled-x9Q-7z")],
    [0x06, 0x45, slot, ...new Array(16).fill(0)],
  ]);
}

/**
 * The most ipmitool processes that talked to UDP `port` at once while `fn` ran, sampled from /proc every 2 ms (the
 * process whose argv[0] is ipmitool: the bash wrapper and its helpers are not sessions).
 */
async function maxSessions(port, fn) {
  let max = 0;
  const needle = `\0-p\0${port}\0`;
  const sample = () => {
    let n = 0;
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let cmdline;
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1");
      } catch {
        continue;
      }
      if (/(^|\/)ipmitool$/.test(cmdline.split("\0")[0]) && cmdline.includes(needle)) n++;
    }
    max = Math.max(max, n);
  };
  const timer = setInterval(sample, 2);
  try {
    const result = await fn();
    return { result, max };
  } finally {
    clearInterval(timer);
  }
}

describe("sim: safety — one identity per BMC, foreign accounts, emptied slots, deterministic logins", function () {
  this.timeout(120000);
  const lab = new Lab();
  const proxies = [];
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await lab.stop();
  });
  beforeEach(() => forgetLoginMemory()); // each case is a run (a provider process) of its own

  async function proxyFor(bmc, options = {}) {
    const p = new UdpProxy({ targetPort: bmc.port, ...options });
    await p.start();
    proxies.push(p);
    return p;
  }

  describe("issue 14.1: one BMC, one identity", () => {
    it("three resources naming one BMC as 127.0.0.1, localhost and 127.1, created at once, never share a slot (3 runs)", async () => {
      const [bmc] = await lab.start([{ name: "twins" }]);
      for (let run = 1; run <= 3; run++) {
        const names = ["127.0.0.1", "localhost", "127.1"].map((host, i) => ({ host, username: `twin${run}${"abc"[i]}`, password: [PW.a, PW.b, PW.c][i] }));
        const results = await Promise.all(
          names.map(async ({ host, username, password }) => outcome(provider.create(await checked({ bmc: bmc.connection({ host }), username, password, privilege: "user" })))),
        );
        for (const [i, r] of results.entries()) assert.ok(!r.error, `run ${run}, ${names[i].host}: ${r.error?.message}`);
        const slots = results.map((r) => r.result.outs.userId);
        assert.equal(new Set(slots).size, 3, `run ${run}: distinct slots, got ${slots}`);
        for (const [i, r] of results.entries()) {
          assert.ok(r.result.id.startsWith(`${names[i].host}:`), `the id keeps the host as written: ${r.result.id}`);
          assert.equal((await bmc.slot(r.result.outs.userId)).name, names[i].username);
          assert.ok(await bmc.canLogin(names[i].username, names[i].password, "USER"), `run ${run}: ${names[i].username} logs in`);
        }
      }
    });
  });

  describe("issue 14.1: a partial failure never records a slot this operation does not own", () => {
    it("another client takes the slot between our writes and the read-back: BMC_SLOT_TAKEN, nothing recorded, its account intact", async () => {
      const [bmc] = await lab.start([{ name: "racer" }]);
      const proxy = await proxyFor(bmc);
      const create = async (userId, username) =>
        outcome(provider.create(await checked({ bmc: bmc.connection({ port: proxy.listenPort, timeoutSeconds: 3 }), userId, channel: 1, username, password: PW.a, privilege: "user", verifyPassword: "off" })));
      assert.ok(!(await create(10, "warm")).error, "identity cached");
      await proxy.settled();
      const before = proxy.counts.up;
      assert.ok(!(await create(11, "dry")).error);
      await proxy.settled();
      const perCreate = proxy.counts.up - before; // … writes, Get User Access + Get User Name (read-back), Close Session
      // Hold the read-back (its first request and whatever follows it: the native transport sends its two reads
      // together) while another client writes its own account into the slot, directly.
      let seen = 0;
      let held;
      const forward = proxy.fromClient.bind(proxy);
      proxy.fromClient = (msg, rinfo) => {
        if (++seen === perCreate - 2) {
          held = [[msg, rinfo]];
          placeForeignAccount(bmc, 12, "racer", PW.foreign).then(() => {
            for (const [m, r] of held) forward(m, r);
            held = undefined;
          });
          return;
        }
        if (held) {
          held.push([msg, rinfo]);
          return;
        }
        forward(msg, rinfo);
      };
      const raced = await create(12, "loser");
      proxy.fromClient = forward;
      assert.equal(raced.error?.code, "BMC_SLOT_TAKEN", raced.error?.message ?? "created");
      assert.equal(raced.error.id, undefined, "no partial failure: the slot is the other client's");
      assert.equal((await bmc.slot(12)).name, "racer");
      assert.ok(await bmc.canLogin("racer", PW.foreign, "OPERATOR"), "the other client's account works");
    });
  });

  describe("issue 14.2: a different account in our slot is not drift", () => {
    let bmc;
    before(async () => {
      [bmc] = await lab.start([{ name: "foreign" }]);
    });

    /** Creates `username` and then replaces it out of band by a foreign account in the same slot. */
    async function ownedThenReplaced(username) {
      const inputs = await checked({ bmc: bmc.connection(), username, password: PW.a, privilege: "user" });
      const { id, outs } = await provider.create(inputs);
      await emptySlot(bmc, outs.userId);
      await placeForeignAccount(bmc, outs.userId, "intruder", PW.foreign);
      return { inputs, id, outs, slot: outs.userId };
    }

    async function foreignUntouched(slot) {
      const s = await bmc.slot(slot);
      assert.deepEqual({ name: s.name, privilege: s.privilege, msg: s.ipmiMessaging }, { name: "intruder", privilege: 3, msg: true }, "the foreign account is untouched");
      assert.ok(await bmc.canLogin("intruder", PW.foreign, "OPERATOR"), "and its password still opens it");
    }

    it("refresh drops the resource (no id) instead of recording the other account's name as drift; nothing is written", async () => {
      const { id, outs, slot } = await ownedThenReplaced("owned1");
      const r = await provider.read(id, outs);
      assert.equal(r.id, undefined, `the account is gone; got ${JSON.stringify(r.props?.username)}`);
      await foreignUntouched(slot);
    });

    it("update without a refresh applies the same rule: the other account is left alone, ours is created in a free slot", async () => {
      const { inputs, id, outs, slot } = await ownedThenReplaced("owned2");
      const next = { ...inputs, privilege: "operator" };
      const u = await outcome(provider.update(id, outs, next));
      assert.ok(!u.error, u.error?.message);
      assert.notEqual(u.result.outs.userId, slot, "not in the foreign account's slot");
      assert.equal((await bmc.slot(u.result.outs.userId)).name, "owned2");
      assert.ok(await bmc.canLogin("owned2", PW.a, "OPERATOR"), "ours exists again with the declared password");
      await foreignUntouched(slot);
      const again = await provider.read(id, u.result.outs);
      assert.equal((await provider.diff(id, again.props, next)).changes, false, "converged");
    });

    it("the outcome does not depend on whether a refresh ran: refresh + create and update end in the same BMC state", async () => {
      const viaRefresh = await ownedThenReplaced("same1");
      assert.equal((await provider.read(viaRefresh.id, viaRefresh.outs)).id, undefined);
      const created = await provider.create(viaRefresh.inputs); // what `up` does after the refresh dropped it
      const viaUpdate = await ownedThenReplaced("same2");
      const updated = await provider.update(viaUpdate.id, viaUpdate.outs, viaUpdate.inputs);
      for (const [r, slot, name] of [[created.outs, viaRefresh.slot, "same1"], [updated.outs, viaUpdate.slot, "same2"]]) {
        assert.notEqual(r.userId, slot);
        assert.equal(r.passwordState, "verified");
        assert.ok(await bmc.canLogin(name, PW.a, "USER"));
        await foreignUntouched(slot);
      }
    });

    it("with an explicit userId, update refuses the taken slot: BMC_SLOT_TAKEN, nothing written, nothing recorded", async () => {
      const inputs = await checked({ bmc: bmc.connection(), userId: 15, username: "pinned", password: PW.a, privilege: "user" });
      const { id, outs } = await provider.create(inputs);
      await emptySlot(bmc, 15);
      await placeForeignAccount(bmc, 15, "intruder", PW.foreign);
      const u = await outcome(provider.update(id, outs, { ...inputs, privilege: "operator" }));
      assert.equal(u.error?.code, "BMC_SLOT_TAKEN", u.error?.message);
      assert.equal(u.error.id, undefined, "not a partial failure: the slot is somebody else's");
      await foreignUntouched(15);
    });

    it("delete leaves a foreign account in the recorded slot alone", async () => {
      const { id, outs, slot } = await ownedThenReplaced("owned3");
      await provider.delete(id, outs);
      await foreignUntouched(slot);
    });

    it("our account renamed out of band (the recorded password still opens it) is drift: refresh reports the name, update renames it back", async () => {
      const inputs = await checked({ bmc: bmc.connection(), username: "mine", password: PW.b, privilege: "user" });
      const { id, outs } = await provider.create(inputs);
      await bmc.raw([[0x06, 0x45, outs.userId, ...name16("mine-renamed")]]);
      const r = await provider.read(id, outs);
      assert.equal(r.id, id);
      assert.equal(r.props.username, "mine-renamed");
      assert.equal(r.props.passwordState, "verified");
      const u = await provider.update(id, r.props, inputs);
      assert.equal(u.outs.userId, outs.userId, "repaired in place");
      assert.equal((await bmc.slot(outs.userId)).name, "mine");
    });
  });

  describe("issue 14.3: an emptied slot gets the declared password", () => {
    let bmc;
    before(async () => {
      [bmc] = await lab.start([{ name: "emptied" }]);
    });
    for (const verifyPassword of ["off", "login"]) {
      it(`update re-creates the account emptied out of band with the declared password (verifyPassword: ${verifyPassword})`, async () => {
        const username = `phoenix-${verifyPassword}`;
        const inputs = await checked({ bmc: bmc.connection(), username, password: PW.c, privilege: "user", verifyPassword });
        const { id, outs } = await provider.create(inputs);
        await emptySlot(bmc, outs.userId);
        const next = { ...inputs, privilege: "operator" };
        const u = await outcome(provider.update(id, outs, next));
        assert.ok(!u.error, u.error?.message);
        assert.equal(u.result.outs.userId, outs.userId, "in the same slot");
        assert.equal(u.result.outs.passwordState, verifyPassword === "login" ? "verified" : "not-checked");
        assert.ok(await bmc.canLogin(username, PW.c, "OPERATOR"), "the declared password opens the re-created account");
      });
    }
  });

  describe("issue 16.1: a session opens only with a password the resource declares; rejections are remembered", () => {
    /**
     * Runs three resources declaring the same wrong bmc.password and one declaring the right one, one after another in
     * `order`, against a fresh BMC behind a counting proxy, as one provider process.
     */
    async function run(order) {
      const [bmc] = await lab.start([{ name: `order-${order.join("")}` }]);
      const proxy = await proxyFor(bmc);
      const conn = (extra) => bmc.connection({ port: proxy.listenPort, ...extra });
      const resources = {
        w1: await checked({ bmc: conn({ password: PW.wrong }), username: "w1", password: PW.a, privilege: "user" }),
        w2: await checked({ bmc: conn({ password: PW.wrong }), username: "w2", password: PW.a, privilege: "user" }),
        w3: await checked({ bmc: conn({ password: PW.wrong }), username: "w3", password: PW.a, privilege: "user" }),
        r: await checked({ bmc: conn(), username: "right", password: PW.b, privilege: "user" }),
      };
      forgetLoginMemory();
      const out = {};
      for (const name of order) {
        const pairs = proxy.counts.rakp1;
        out[name] = await outcome(provider.create(resources[name]));
        out[name].sessions = proxy.counts.rakp1 - pairs;
      }
      await proxy.settled();
      return { out, failedLogins: proxy.failedLogins(), bmc };
    }

    for (const order of [["w1", "w2", "w3", "r"], ["r", "w1", "w2", "w3"]]) {
      it(`order ${order.join(", ")}: every wrong declaration fails, the right one succeeds, one rejected login in all`, async () => {
        const { out, failedLogins, bmc } = await run(order);
        assert.ok(!out.r.error, out.r.error?.message);
        assert.equal(out.r.result.outs.bmcLogin, "password");
        for (const w of ["w1", "w2", "w3"]) {
          assert.equal(out[w].error?.code, "BMC_LOGIN_REJECTED", `${w}: ${out[w].error?.message ?? "created"}`);
          assert.ok(!out[w].error.id, `${w}: nothing recorded`);
          assert.equal((await bmc.slot(3)).name === w || (await bmc.slot(4)).name === w, false, `${w} was not created`);
        }
        const [first, ...later] = order.filter((n) => n !== "r");
        assert.equal(out[first].sessions, 1, "the first wrong declaration costs one login");
        for (const w of later) {
          assert.equal(out[w].sessions, 0, `${w}: fails at once, nothing sent`);
          assert.match(out[w].error.message, /already rejected earlier in this run/);
          assert.match(out[w].error.message, /\bpassword\b/, "names the candidate by label");
        }
        assert.equal(failedLogins, 1, `rejected logins counted at the BMC: ${failedLogins}`);
      });
    }

    it("a rejection is forgotten once this process writes that password onto the account", async () => {
      const [bmc] = await lab.start([{ name: "forget" }]);
      const proxy = await proxyFor(bmc);
      const inputs = await checked({ bmc: bmc.connection({ port: proxy.listenPort }), username: "reborn", password: PW.a, privilege: "user" });
      const { id, outs } = await provider.create(inputs);
      await bmc.raw([[0x06, 0x47, outs.userId, 0x02, ...name16(PW.foreign)]]); // password drift
      const before = proxy.failedLogins();
      const drifted = await provider.read(id, outs);
      assert.equal(drifted.props.passwordState, "mismatch");
      const again = await provider.read(id, outs);
      assert.equal(again.props.passwordState, "mismatch", "the same answer");
      await proxy.settled();
      assert.equal(proxy.failedLogins() - before, 1, "the second refresh did not spend another rejected login");
      const u = await provider.update(id, drifted.props, inputs); // writes the password: the rejection no longer holds
      assert.equal(u.outs.passwordState, "verified");
      assert.ok(await bmc.canLogin("reborn", PW.a, "USER"));
    });
  });

  describe("issue 16.5: leftovers", () => {
    it("back-to-back refreshes on one BMC never have more than two sessions open there (an early probe waits for the previous Close Session)", async () => {
      const [bmc] = await lab.start([{ name: "sessions" }]);
      const proxy = await proxyFor(bmc, { delayMs: 20 }); // RTT 40 ms: a Close Session is in flight long enough to see
      const conn = bmc.connection({ port: proxy.listenPort, timeoutSeconds: 2 });
      const created = [];
      for (const username of ["s1", "s2", "s3"]) {
        created.push(await provider.create(await checked({ bmc: conn, username, password: PW.a, privilege: "user" })));
      }
      await proxy.settled();
      const started = Date.now();
      const { max } = await maxSessions(proxy.listenPort, async () => {
        for (let round = 0; round < 2; round++) {
          for (const c of created) {
            const r = await provider.read(c.id, c.outs);
            assert.equal(r.props.passwordState, "verified");
          }
        }
        await proxy.settled();
      });
      // eslint-disable-next-line no-console
      console.log(`      6 back-to-back refreshes at 40 ms RTT: ${Date.now() - started} ms (incl. 150 ms settle), at most ${max} sessions`);
      assert.ok(max <= 2, `sessions open at once on the BMC: ${max}`);
    });

    it("the LAN channel of a BMC with two LAN channels does not depend on which resource ran first", async () => {
      const channels = {};
      for (const order of [["generic", "hpe"], ["hpe", "generic"]]) {
        const [bmc] = await lab.start([{ name: `two-lan-${order[0]}`, extraLanChannel: 2 }]);
        for (const vendorProfile of order) {
          const { outs } = await provider.create(await checked({ bmc: bmc.connection(), username: `ch-${vendorProfile}`, password: PW.a, privilege: "user", vendorProfile }));
          (channels[vendorProfile] ??= []).push(outs.channel);
        }
        forgetLanChannel({ host: "127.0.0.1", port: bmc.port });
      }
      assert.deepEqual(channels.generic, [1, 1], "generic probes 1 first, whatever ran before");
      assert.deepEqual(channels.hpe, [2, 2], "HPE's profile probes 2 first, whatever ran before");
    });
  });
});
