"use strict";
/**
 * The lab the fleet example runs against: BMCs and the Huawei BMS emulator, an inventory file pointing at them, and the
 * stack config that makes examples/fleet converge them. Used by `npm run demo` and the engine tier.
 *
 * Two kinds of BMC (`backend`):
 * - `"lab"` (default): virtual BMCs of this package (`pulumi-bmc-credentials/lab`) in this process — cipher suite 17
 *   (the provider's default), 20-byte passwords, vendor personalities; nothing to install.
 * - `"sim"`: one `ipmi_sim` process per BMC (test/lab/lab.js) behind a counting UDP proxy, at cipher suite 3 (it has no
 *   17) — the independent peer the engine tier keeps.
 *
 * Every BMC handle offers the same out-of-band helpers, which never go through the provider: `setPassword(slot, pw)`,
 * `setPrivilege(slot, code)`, `slot(id)` → `{name, privilege, ipmiMessaging, linkAuth, callin}`, `canLogin(user, pw,
 * privilege)` (sim only: ipmitool, independent of the provider), `raw(commands)` (sim only).
 */
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const { createBmsEmulator, DEFAULT_AK, DEFAULT_PROJECT } = require("../emulator/bms-emulator");
const { startRedfishBmc, BMCS: REDFISH_BMCS } = require("../lab/redfish-lab");

const pad16 = (s) => [...Buffer.from(s), ...new Array(16 - s.length).fill(0)];

/** Virtual BMCs: the factory administrator's password replaced by `loginPassword` when given. */
async function startLabBmcs(bmcs) {
  const { startLab, PRIVILEGE_CODE } = require("../../dist/lab");
  const lab = await startLab({ bmcs: bmcs.map(({ vendor, loginPassword }) => ({ vendor, ...(loginPassword ? { admin: { name: adminName(vendor), password: loginPassword } } : {}) })) });
  const handles = lab.bmcs.map((b, i) => ({
    name: bmcs[i].name,
    vendor: b.vendor,
    port: b.port,
    lab: b,
    admin: { username: b.admin.name, password: bmcs[i].loginPassword ?? factoryPassword(b.vendor) },
    async setPassword(slot, password) {
      assert(b.table.setPassword(slot, password, password.length > 16 ? 20 : 16) === "ok", "out-of-band password write refused");
    },
    async setPrivilege(slot, code) {
      const privilege = Object.keys(PRIVILEGE_CODE).find((p) => PRIVILEGE_CODE[p] === code);
      assert(b.table.setAccess(slot, b.bmc.lanChannels[0], { privilege }) === "ok", "out-of-band access write refused");
    },
    async slot(id) {
      const v = b.account(id);
      const a = v.access[b.bmc.lanChannels[0]];
      return { name: v.name, privilege: PRIVILEGE_CODE[a.privilege], ipmiMessaging: a.ipmiMessaging, linkAuth: a.linkAuth, callin: !a.callbackOnly, passwordSize: v.passwordSize };
    },
  }));
  return {
    bmcs: handles,
    packets: () => lab.bmcs.reduce((n, b) => n + b.counts().received, 0),
    stop: () => lab.stop(),
    cipherSuite: undefined, // the provider's default, 17
  };
}

function adminName(vendor) {
  return require("../../dist/lab").PERSONALITIES[vendor].factoryAdmin.name;
}

function factoryPassword(vendor) {
  return require("../../dist/lab").PERSONALITIES[vendor].factoryAdmin.password;
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

/** ipmi_sim BMCs behind counting proxies. */
async function startSimBmcs(bmcs) {
  const { Lab } = require("../lab/lab");
  const { UdpProxy } = require("../lab/udp-proxy");
  const lab = new Lab();
  const proxies = [];
  const stop = async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await lab.stop();
  };
  try {
    const started = await lab.start(bmcs.map(({ name, vendor }) => ({ name, vendor })));
    await Promise.all(
      started.map(async (bmc, i) => {
        const pw = bmcs[i].loginPassword;
        if (!pw) return;
        await bmc.raw([[0x06, 0x47, 2, 0x02, ...pad16(pw)]]);
        bmc.admin = { ...bmc.admin, password: pw };
      }),
    );
    for (const b of started) {
      const proxy = new UdpProxy({ targetPort: b.port });
      proxies.push(proxy);
      // The provider reaches the BMC through the proxy (counted); out-of-band helpers talk to it directly.
      b.proxyPort = await proxy.start();
      b.setPassword = (slot, password) => b.raw([[0x06, 0x47, slot, 0x02, ...pad16(password)]]);
      b.setPrivilege = (slot, code) => b.raw([[0x06, 0x43, 0xb1, slot, code, 0x00]]);
    }
    return { bmcs: started, packets: () => proxies.reduce((n, p) => n + p.counts.up, 0), stop, cipherSuite: 3 };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Starts `bmcs` (`[{name, vendor, site, loginPassword?, passwordBytes?}]`; a given loginPassword replaces the vendor's
 * factory password of the administrator) and an emulator holding `servers` (`[{id, name, os}]`). `packets()` counts
 * the datagrams the provider sent to the BMCs (out-of-band helpers are not counted). `redfish`
 * (`[{name, flavour, site, loginPassword}]`) adds BMCs managed over Redfish: the lab's Redfish face (`flavour`: idrac9,
 * ilo, openbmc, xcc, dmtf), inventoried with `protocol: redfish` and its certificate's fingerprint; every request they
 * receive is in `redfishBmcs[i].service.log`. Returns the handles and `stop()`.
 */
async function startFleetLab({ bmcs, servers, backend = "lab", redfish = [] }) {
  // A secret key of this lab only: sentinel scans see every process on the machine, and a fixed key would match
  // other runs that legitimately hold it.
  const secretKey = `sentinel-sk-${crypto.randomBytes(12).toString("hex")}`;
  const emu = createBmsEmulator({ credentials: { [DEFAULT_AK]: secretKey } });
  let fleet;
  const faces = [];
  try {
    const url = await emu.start();
    for (const s of servers) emu.addServer({ id: s.id, osType: s.os === "windows" ? "Windows" : "Linux" });
    fleet = backend === "sim" ? await startSimBmcs(bmcs) : await startLabBmcs(bmcs);
    const started = fleet.bmcs;
    for (const r of redfish) {
      const face = await startRedfishBmc(r.flavour, { adminPassword: r.loginPassword ?? `Lab-${r.name}-pw1` });
      Object.assign(face, { name: r.name, site: r.site ?? "lab" });
      faces.push(face);
    }
    const inventory = {
      bmcs: [
        ...started.map((b, i) => ({ name: bmcs[i].name, host: "127.0.0.1", port: b.proxyPort ?? b.port, vendor: b.vendor, site: bmcs[i].site ?? "lab", ...(bmcs[i].passwordBytes ? { passwordBytes: bmcs[i].passwordBytes } : {}) })),
        ...faces.map((f) => ({ name: f.name, host: "127.0.0.1", port: f.port, vendor: REDFISH_BMCS[f.flavour].vendor, site: f.site, login: f.admin.name, protocol: "redfish", tlsFingerprint: f.fingerprint })),
      ],
      servers,
    };
    return {
      backend,
      /** The emulator's secret key (a sentinel: it must appear only inside secrets). */
      secretKey,
      emu,
      url,
      bmcs: started,
      /** The Redfish BMCs (see test/lab/redfish-lab.js): `table`, `service.log`, `account(name)`, `canLogin`. */
      redfishBmcs: faces,
      inventory,
      /** Datagrams sent towards the BMCs so far. */
      packets: fleet.packets,
      /** Writes the inventory as YAML (JSON is YAML) into `dir`; returns its path. */
      writeInventory(dir) {
        const file = path.join(dir, "inventory.lab.yaml");
        const kind = backend === "sim" ? "simulated (ipmi_sim)" : "virtual";
        fs.writeFileSync(file, `# generated by the lab: ${started.length} ${kind} BMCs, ${servers.length} emulated BMS servers\n${JSON.stringify(inventory, null, 2)}\n`);
        return file;
      },
      /** Stack config for examples/fleet against this lab: `[key, value, {secret}]` triples. */
      config({ inventoryFile, masterSecret, rotation = 1 }) {
        const logins = Object.fromEntries([...started.map((b, i) => [bmcs[i].name, b.admin.password]), ...faces.map((f) => [f.name, f.admin.password])]);
        return [
          ["fleet:inventory", inventoryFile, {}],
          ["fleet:masterSecret", masterSecret, { secret: true }],
          ["fleet:rotation", String(rotation), {}],
          ["fleet:loginPasswords", JSON.stringify(logins), { secret: true }],
          ...(fleet.cipherSuite ? [["fleet:cipherSuite", String(fleet.cipherSuite), {}]] : []),
          ["fleet:timeoutSeconds", "1", {}],
          ["fleet:retries", "1", {}],
          ["fleet:bmsEndpoint", url, {}],
          ["huaweicloud:accessKey", DEFAULT_AK, {}],
          ["huaweicloud:secretKey", secretKey, { secret: true }],
          ["huaweicloud:projectId", DEFAULT_PROJECT, {}],
          ["huaweicloud:region", "cn-north-4", {}],
        ];
      },
      stop: async () => {
        await Promise.all(faces.map((f) => f.stop()));
        await fleet.stop();
        await emu.close();
      },
    };
  } catch (e) {
    await Promise.all(faces.map((f) => f.stop()));
    await fleet?.stop();
    await emu.close();
    throw e;
  }
}

module.exports = { startFleetLab, pad16 };
