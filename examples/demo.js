#!/usr/bin/env node
"use strict";
/**
 * `npm run demo`: the fleet example (examples/fleet) run as Pulumi runs it, against a lab on loopback: four virtual
 * BMCs of this package's lab (Supermicro, Dell, Lenovo and OpenBMC personalities, cipher suite 17; the OpenBMC one,
 * root in slot 1, is given 20-byte passwords), one more OpenBMC managed over Redfish (the lab's OpenBMC Redfish face,
 * HTTPS with its certificate pinned) and the Huawei BMS emulator with two servers. `npm run demo -- --sim` runs it on three
 * ipmi_sim BMCs instead (cipher suite 3, 16-byte passwords).
 * preview → up → summary table → a password and a privilege changed behind Pulumi's back → refresh shows the drift →
 * up repairs it → destroy → the lab stops. Uses the real `pulumi` CLI (local file backend) when it is on PATH,
 * otherwise the program runner (test/harness/runner.js). Passwords are derived from a per-run secret, never printed.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { installProject, removeConsumer, ROOT } = require("../test/harness/consumer");
const { startFleetLab } = require("../test/harness/fleet-lab");
const { openStack } = require("../test/harness/stack-driver");

const SIM = process.argv.includes("--sim");
const BMCS = [
  { name: "ams1-smc-01", vendor: "supermicro", site: "ams1" },
  { name: "ams1-dell-01", vendor: "dell", site: "ams1" },
  { name: "fra1-lnv-01", vendor: "lenovo", site: "fra1" },
  // ipmi_sim keeps 16 password bytes: the 20-byte BMC runs on the virtual lab only.
  ...(SIM ? [] : [{ name: "fra1-obmc-01", vendor: "openbmc", site: "fra1", passwordBytes: 20 }]),
];
const REDFISH = [{ name: "fra1-obmc-02", flavour: "openbmc", site: "fra1" }];
const SERVERS = [
  { id: "77616c78-0bc4-4156-b24b-4286586ac350", name: "web-01", os: "linux" },
  { id: "0b5f1f2e-7d4c-4a57-9a43-4e1c8f3b2d61", name: "win-01", os: "windows" },
];

function table(rows) {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => `  ${cells.map((c, i) => String(c).padEnd(width[i])).join("  ")}`;
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

function summary(outputs) {
  const rows = [];
  for (const [bmc, b] of Object.entries(outputs.bmcs ?? {})) {
    for (const [account, a] of Object.entries(b.accounts)) {
      rows.push({ bmc, vendor: b.vendor, protocol: b.protocol, site: b.site, account, slot: a.slot, privilege: a.privilege, password: a.passwordState, bytes: a.passwordSize ?? "" });
    }
  }
  table(rows);
  console.log();
  table(Object.entries(outputs.servers ?? {}).map(([server, s]) => ({ server, id: s.id.slice(0, 8), os: s.osType, status: s.serverStatus, pendingRestart: s.pendingRestart })));
}

const banner = (text) => console.log(`\n== ${text} ==`);
const out0 = (stack) => stack.outputs();
const counts = (r) => Object.entries(r.byOp).filter(([op]) => op !== "same").map(([op, urns]) => `${urns.length} to ${op}`).join(", ") || "no changes";

async function main() {
  const started = Date.now();
  const kind = SIM ? "simulated BMCs (ipmi_sim, cipher suite 3)" : "virtual BMCs (pulumi-bmc-credentials/lab, cipher suite 17)";
  console.log(`Starting the lab: ${BMCS.length} ${kind}, ${REDFISH.length} BMC over Redfish and the Huawei BMS emulator on 127.0.0.1 ...`);
  const fleet = await startFleetLab({ bmcs: BMCS, redfish: REDFISH, servers: SERVERS, backend: SIM ? "sim" : "lab" });
  const dir = installProject(path.join(ROOT, "examples/fleet"));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-demo-state-"));
  let failed = false;
  const expect = (ok, what) => {
    if (!ok) {
      failed = true;
      console.log(`  !! unexpected: ${what}`);
    }
  };
  try {
    // The stack outputs are shown as tables below rather than as the runner's JSON.
    const stack = openStack({ projectDir: dir, stateDir, passphrase: crypto.randomBytes(16).toString("hex"), log: (l) => console.log(l), showOutputs: false });
    console.log(`Engine: ${stack.kind}. Lab ready in ${Date.now() - started} ms.`);
    const config = fleet.config({ inventoryFile: fleet.writeInventory(dir), masterSecret: crypto.randomBytes(24).toString("base64") });
    for (const [k, v, o] of config) stack.setConfig(k, v, o);

    banner("pulumi preview: Check and Diff only, no packet to any BMC");
    const preview = await stack.preview();
    const httpsRequests = () => fleet.redfishBmcs.reduce((n, b) => n + b.service.log.length, 0);
    console.log(`  ${counts(preview)}; datagrams sent to IPMI BMCs: ${fleet.packets()}, HTTPS requests to Redfish BMCs: ${httpsRequests()}`);

    banner("pulumi up: 2 accounts per BMC, one OS password per server, all derived from one stack secret");
    const up = await stack.up();
    expect(up.errors.length === 0, "up reported errors");
    summary(stack.outputs());

    if (!SIM) {
      const twenty = fleet.bmcs[3];
      const held = Object.values(out0(stack).bmcs[twenty.name].accounts).map((a) => twenty.lab.account(a.slot).passwordSize);
      const sessions = fleet.bmcs.map((b) => b.lab.counts().logins);
      const at17 = sessions.reduce((n, l) => n + (l[17] ?? 0), 0);
      const other = sessions.reduce((n, l) => n + Object.entries(l).filter(([s]) => s !== "17").reduce((m, [, c]) => m + c, 0), 0);
      console.log(`  ${twenty.name} holds ${held.join(" and ")}-byte passwords (read from the virtual BMC's own table);`);
      console.log(`  ${at17} RMCP+ sessions so far at cipher suite 17 (HMAC-SHA256, AES-128), ${other} at any other suite`);
      expect(held.every((n) => n === 20), "the 20-byte accounts do not hold 20-byte passwords");
      expect(at17 > 0 && other === 0, "a session used another cipher suite than 17");
    }

    banner("pulumi preview again: nothing to do");
    const again = await stack.preview();
    console.log(`  ${counts(again)}`);
    expect(again.changes?.length === 0 || Object.keys(again.byOp).every((op) => op === "same"), "the second preview is not empty");

    const out = stack.outputs();
    const dell = fleet.bmcs[1];
    const lenovo = fleet.bmcs[2];
    const obmc = fleet.redfishBmcs[0];
    banner(`behind Pulumi's back: monitor's password changed on ${dell.name}, monitor promoted to administrator on ${lenovo.name}, monitor disabled on ${obmc.name} (Redfish)`);
    await dell.setPassword(out.bmcs[dell.name].accounts.monitor.slot, "Changed-By-Hand1");
    await lenovo.setPrivilege(out.bmcs[lenovo.name].accounts.monitor.slot, 0x04);
    obmc.table.setEnabled(obmc.table.findByName("monitor"), false);

    banner("pulumi refresh: read every managed account, prove every password by a login");
    const refresh = await stack.refresh();
    expect((refresh.byOp.update ?? []).length === 3, "refresh did not find exactly the 3 drifted accounts");
    console.log("  (refresh updates the state, not the stack outputs: the program computes those on the next up)");

    banner("pulumi up: repair the drift (only what differs is written)");
    const repair = await stack.up();
    expect(repair.errors.length === 0 && (repair.byOp.update ?? []).length === 3, "up did not repair exactly 3 accounts");
    summary(stack.outputs());

    banner("pulumi destroy: disable, remove access, scramble and clear every managed account");
    const slots = BMCS.map((b) => Object.values(stack.outputs().bmcs[b.name].accounts).map((a) => a.slot));
    const destroy = await stack.destroy();
    expect(destroy.errors.length === 0, "destroy reported errors");
    let cleared = 0;
    for (const [i, bmc] of fleet.bmcs.entries()) for (const slot of slots[i]) if ((await bmc.slot(slot)).name === "") cleared++;
    for (const b of fleet.redfishBmcs) for (const name of ["fleet-admin", "monitor"]) if (!b.account(name)) cleared++;
    const managed = slots.flat().length + 2 * fleet.redfishBmcs.length;
    console.log(`  ${cleared}/${managed} managed accounts gone (checked out of band); the OS passwords stay as set`);
    expect(cleared === managed, "a managed account survived destroy");
  } finally {
    await fleet.stop();
    removeConsumer(dir);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; lab stopped.`);
  if (failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
});
