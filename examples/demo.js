#!/usr/bin/env node
"use strict";
/**
 * `npm run demo`: starts a lab of simulated BMCs (ipmi_sim) on loopback, converges an admin and a read-only
 * monitoring account on each through the BmcUser provider (the same calls `pulumi up` makes), changes a password and
 * a privilege behind the provider's back, shows the drift a `pulumi refresh` would report, repairs it, then removes the
 * accounts and stops the lab. Passwords are generated per run and never printed.
 */
const crypto = require("node:crypto");
const { Lab } = require("../test/lab/lab");
const { createBmsEmulator, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("../test/emulator/bms-emulator");
const { bmcUserProvider: provider, bmsPasswordProvider: bms } = require("..");
const { setBmsPasswordRuntime } = require("../dist/bmsPassword/runtime");
const { diffBmcUser } = require("../dist/bmcUser/plan");

const ms = (t0) => `${Date.now() - t0} ms`;
// 16 characters: the simulator keeps only 16 bytes of a password (real BMCs take 20).
const password = () => crypto.randomBytes(12).toString("base64").replace(/[+/=]/g, "x").slice(0, 16);

function table(rows) {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(width[i])).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

async function main() {
  const started = Date.now();
  const lab = new Lab();
  try {
    console.log("Starting the lab: 3 simulated BMCs (Supermicro, Dell, Lenovo personalities) on 127.0.0.1 ...");
    const bmcs = await lab.start([
      { name: "smc-01", vendor: "supermicro" },
      { name: "dell-01", vendor: "dell" },
      { name: "lnv-01", vendor: "lenovo" },
    ]);

    const resources = [];
    for (const bmc of bmcs) {
      for (const [username, privilege] of [["fleet-admin", "administrator"], ["monitor", "user"]]) {
        const checked = await provider.check({}, { bmc: bmc.connection(), username, password: password(), privilege });
        if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
        resources.push({ bmc, inputs: checked.inputs });
      }
    }

    console.log("\n== up: create 6 accounts (concurrently, one session per BMC at a time) ==");
    let t0 = Date.now();
    await Promise.all(
      resources.map(async (r) => {
        const t = Date.now();
        const { id, outs } = await provider.create(r.inputs);
        Object.assign(r, { id, outs, took: Date.now() - t });
      }),
    );
    table(resources.map((r) => ({ bmc: r.bmc.name, id: r.id, user: r.outs.username, privilege: r.outs.privilege, password: r.outs.passwordState, took: `${r.took} ms` })));
    console.log(`up took ${ms(t0)}`);

    console.log("\n== second preview: diff of stored outputs against the program ==");
    const pending = (await Promise.all(resources.map((r) => provider.diff(r.id, r.outs, r.inputs)))).filter((d) => d.changes).length;
    console.log(`${pending} change(s) planned (expected 0)`);

    console.log("\n== behind Pulumi's back: a password changed on smc-01, monitor promoted to admin on dell-01 ==");
    const smcAdmin = resources.find((r) => r.bmc.name === "smc-01" && r.outs.username === "fleet-admin");
    const dellMon = resources.find((r) => r.bmc.name === "dell-01" && r.outs.username === "monitor");
    await smcAdmin.bmc.raw([[0x06, 0x47, smcAdmin.outs.userId, 0x02, ...Buffer.from(password())]]);
    await dellMon.bmc.raw([[0x06, 0x43, 0xb1, dellMon.outs.userId, 0x04, 0x00]]);

    console.log("\n== refresh: read every managed slot and prove every password by login ==");
    t0 = Date.now();
    const refreshed = await Promise.all(resources.map((r) => provider.read(r.id, r.outs)));
    table(
      resources.map((r, i) => ({
        bmc: r.bmc.name,
        user: r.outs.username,
        drift: diffBmcUser(refreshed[i].props, r.inputs).updates.join(", ") || "-",
      })),
    );
    console.log(`refresh took ${ms(t0)}`);

    console.log("\n== up: repair the drift (only the differing fields are written) ==");
    t0 = Date.now();
    for (const [i, r] of resources.entries()) {
      const d = await provider.diff(r.id, refreshed[i].props, r.inputs);
      if (d.changes) {
        r.outs = (await provider.update(r.id, refreshed[i].props, r.inputs)).outs;
        console.log(`updated ${r.id} (${r.outs.username}): password ${r.outs.passwordState}, privilege ${r.outs.privilege}`);
      }
    }
    const after = await Promise.all(resources.map((r) => provider.read(r.id, r.outs)));
    const left = after.filter((a, i) => diffBmcUser(a.props, resources[i].inputs).updates.length > 0).length;
    console.log(`repair took ${ms(t0)}; drift left after a new refresh: ${left}`);

    console.log("\n== destroy: disable, remove access, scramble, clear ==");
    t0 = Date.now();
    await Promise.all(resources.map((r) => provider.delete(r.id, r.outs)));
    const gone = (await Promise.all(resources.map((r) => provider.read(r.id, r.outs)))).filter((x) => !x.id).length;
    console.log(`destroy took ${ms(t0)}; ${gone}/${resources.length} slots read back empty`);
    const bmsOk = await bmsDemo();
    console.log(`\nDemo finished in ${ms(started)}.`);
    if (pending !== 0 || left !== 0 || gone !== resources.length || !bmsOk) process.exitCode = 1;
  } finally {
    await lab.stop();
  }
}

/** BmsPassword against the local emulator of the Huawei Cloud BMS API (the real cloud is not reachable from here). */
async function bmsDemo() {
  console.log("\n== BmsPassword: one-click OS password reset against the local Huawei Cloud BMS emulator ==");
  const emu = createBmsEmulator({});
  const endpoint = await emu.start();
  try {
    Object.assign(process.env, { HW_ACCESS_KEY: DEFAULT_AK, HW_SECRET_KEY: DEFAULT_SK, HW_PROJECT_ID: DEFAULT_PROJECT, HW_REGION_NAME: "cn-north-4" });
    // The emulator's reboot jobs finish after two polls; poll every half second instead of every five.
    setBmsPasswordRuntime({ jobPollIntervalMs: 500 });
    const servers = [
      { id: crypto.randomUUID(), osType: "Linux", restart: "hard" },
      { id: crypto.randomUUID(), osType: "Windows", restart: "never" },
    ];
    const rows = [];
    for (const s of servers) {
      emu.addServer({ id: s.id, osType: s.osType });
      const checked = await bms.check({}, { serverId: s.id, password: `Os-${password()}!`, restart: s.restart, endpoint });
      if (checked.failures && checked.failures.length) throw new Error(JSON.stringify(checked.failures));
      const t = Date.now();
      const { id, outs } = await bms.create(checked.inputs);
      const refreshed = await bms.read(id, outs);
      rows.push({ server: id.slice(0, 8), os: outs.osType, restart: s.restart, pendingRestart: refreshed.props.pendingRestart, took: `${Date.now() - t} ms` });
      await bms.delete(id, outs);
    }
    table(rows);
    console.log("(the OS password itself cannot be read back; a reset applies only after a restart)");
    return rows[0].pendingRestart === false && rows[1].pendingRestart === true;
  } finally {
    await emu.close();
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
});
