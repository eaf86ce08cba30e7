"use strict";
// Unit: which BMC an operation concerns (one key per address contacted), and the per-BMC limits built on that key,
// with a fixture launcher standing in for ipmitool (it answers every `echo @@n` marker and closes slowly on demand).
const assert = require("node:assert/strict");
const { bmcKey, canonicalIp, resolveLogin } = require("../../dist/ipmi/target");
const { withAdminSession, probeLogin } = require("../../dist/ipmi/login");
const { identityKey } = require("../../dist/ipmi/identity");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const login = (extra = {}) => ({
  host: "10.0.0.5",
  port: 623,
  username: "ADMIN",
  password: "Sentinel-Unit-01",
  cipherSuite: 17,
  timeoutSeconds: 1,
  retries: 1,
  fallbackPasswords: [],
  transport: "ipmitool", // the fixture launcher stands in for ipmitool
  ...extra,
});
const ssh = (host, port = 22) => ({ host, port, username: "ipmi", hostKey: "ssh-ed25519 AAAA" });

/** A launcher whose "ipmitool" opens every session and echoes markers; `open` counts processes not yet closed. */
function fixtureLauncher({ closeMs = 5 } = {}) {
  const stats = { launched: 0, open: 0, max: 0 };
  const launcher = async () => {
    stats.launched++;
    stats.open++;
    stats.max = Math.max(stats.max, stats.open);
    let onData = () => undefined;
    let onClose = () => undefined;
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        stats.open--;
        onClose();
      }
    };
    return {
      write: (text) => {
        for (const m of text.matchAll(/echo (@@\S+)/g)) setTimeout(() => onData(`${m[1]}\n`), 1);
      },
      end: () => setTimeout(close, closeMs),
      kill: close,
      onData: (l) => (onData = l),
      onClose: (l) => (onClose = l),
    };
  };
  return { launcher, stats };
}

describe("unit: one BMC, one key", () => {
  it("IP literals are canonical: every IPv4 form ipmitool accepts, IPv6 compressed and lower case; names are not addresses", () => {
    for (const form of ["127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "127.0.1"]) assert.equal(canonicalIp(form), "127.0.0.1", form);
    assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonicalIp("FD00:0:0:0::0A"), "fd00::a");
    for (const name of ["bmc-7.example", "localhost", "dead.beef", "1.2.3.4.5"]) assert.equal(canonicalIp(name), undefined, name);
  });

  it("the per-BMC key is the address: 127.0.0.1 = 127.1 = 0x7f.0.0.1, ::1 = 0:0:0:0:0:0:0:1, names case-insensitive; the port counts", () => {
    const key = (host, extra) => bmcKey(login({ host, ...extra }));
    assert.equal(key("127.1"), key("127.0.0.1"));
    assert.equal(key("0x7f.0.0.1"), key("127.0.0.1"));
    assert.equal(key("0:0:0:0:0:0:0:1"), key("::1"));
    assert.equal(key("BMC.Example"), key("bmc.example"));
    assert.notEqual(key("127.0.0.1", { port: 624 }), key("127.0.0.1"));
    assert.equal(identityKey(login({ host: "127.1" })), identityKey(login({ host: "127.0.0.1" })));
  });

  it("a DNS name is resolved once into the address every session of the operation contacts, and keyed by it", async () => {
    const resolved = await resolveLogin(login({ host: "localhost" }));
    assert.equal(resolved.host, "localhost", "errors and ids keep the host as written");
    assert.match(resolved.address, /^(127\.0\.0\.1|::1)$/);
    assert.equal(bmcKey(resolved), bmcKey(login({ host: resolved.address })));
    assert.equal(await resolveLogin(resolved), resolved, "resolved once: a resolved login is kept as it is");
    await assert.rejects(resolveLogin(login({ host: "bmc.nonexistent.invalid" })), (e) => e.code === "BMC_DNS_FAILED" && e.context.host === "bmc.nonexistent.invalid");
  });

  it("jump-host and in-band keys keep their route; in-band the port is only a label", () => {
    assert.notEqual(bmcKey(login({ ssh: ssh("bastion-a") })), bmcKey(login({ ssh: ssh("bastion-b") })));
    assert.notEqual(bmcKey(login({ ssh: ssh("bastion-a") })), bmcKey(login()));
    const inband = (port, route) => bmcKey(login({ host: `inband@${route ? route.host : "local"}`, port, inband: true, ...(route ? { ssh: route } : {}) }));
    assert.equal(inband(623), inband(624));
    assert.equal(inband(623, ssh("web01")), inband(1, ssh("web01")));
    assert.notEqual(inband(623), inband(623, ssh("web01")));
  });
});

describe("unit: per-BMC limits on that key", () => {
  it("in-band resources with different port values share the BMC's mutex", async () => {
    const { launcher } = fixtureLauncher();
    let inside = 0;
    let maxInside = 0;
    const op = (port) =>
      withAdminSession(login({ host: "inband@local", port, inband: true, username: "", password: "" }), { launcher, attempts: 1 }, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(40);
        inside--;
      });
    await Promise.all([op(623), op(624), op(1)]);
    assert.equal(maxInside, 1, "operations on one in-band BMC ran one at a time");
  });

  it("an operation's early login waits for the previous operation's Close Session: never more than two sessions on a BMC", async () => {
    const { launcher, stats } = fixtureLauncher({ closeMs: 60 });
    const l = login({ address: "10.0.0.5" });
    await withAdminSession(l, { launcher, attempts: 1 }, async () => undefined); // its Close Session takes 60 ms
    let probe;
    await withAdminSession(l, { launcher, attempts: 1, onLocked: () => (probe = probeLogin(l, "ops", "Sentinel-Unit-02", "USER", { launcher })) }, async () => sleep(20));
    assert.equal(await probe, "ok");
    await sleep(100);
    assert.equal(stats.launched, 3);
    assert.equal(stats.max, 2, `sessions open at once: ${stats.max}`);
  });
});
