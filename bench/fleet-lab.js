#!/usr/bin/env node
"use strict";
/**
 * `npm run bench -- --fleet [--bmcs 1000 --parallel 64 --rtt 40 --transport native]`: a fleet of virtual BMCs
 * (`pulumi-bmc-credentials/lab`, suite 17, each answering after `rtt` ms) with one BmcUser each, through the real
 * `@pulumi/pulumi/cmd/dynamic-provider` process driven by the engine model (test/harness/engine.js) at engine
 * parallelism `--parallel`: `up` (every Create, each verified by login), then `refresh`. Reports the wall time, and the
 * phase of Creates (Reads) against ceil(BMCs / parallel) × the create floor (RTT × (4 session requests + 9 commands + 3 for the verification login),
 * the same floor `npm run bench` uses; target ≤ 1.5×) and the provider process's peak RSS (VmHWM; target ≤ 150 MB).
 *
 * The lab runs in this process; the provider in its own, as the engine runs it. Account passwords are derived per BMC.
 */
const fs = require("node:fs");
const path = require("node:path");
const { installConsumer, removeConsumer, registrations } = require("../test/harness/consumer");
const { reveal } = require("../test/harness/engine");
const { MeasuredEngine } = require("./measured-engine");
const { startLab } = require("../dist/lab");

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => (a.includes(`--${name}`) ? a[a.indexOf(`--${name}`) + 1] : dflt);
  return { bmcs: Number(get("bmcs", 1000)), parallel: Number(get("parallel", 64)), rtt: Number(get("rtt", 40)), transport: get("transport", "native") };
}

async function main() {
  const o = args();
  const ADMIN = { name: "fleetadm", password: "Fleet-Admin-Pw-17" };
  const floorMs = Math.ceil(o.bmcs / o.parallel) * (4 + 9 + 3) * o.rtt;
  console.log(`fleet: ${o.bmcs} virtual BMCs (suite 17, RTT ${o.rtt} ms) x 1 BmcUser, engine parallel ${o.parallel}, transport ${o.transport}`);
  const lab = await startLab({ count: o.bmcs, admin: ADMIN, maxSessions: 4, redfish: false }); // IPMI only: the figures are the IPMI provider's
  for (const b of lab.bmcs) b.inject({ delay: { ms: o.rtt } });
  let dir;
  try {
    dir = installConsumer();
    const decls = lab.bmcs.map((b, i) => ({
      kind: "BmcUser",
      name: `bmc${i}-ops`,
      args: {
        bmc: { host: b.host, port: b.port, username: ADMIN.name, password: ADMIN.password, cipherSuite: 17, transport: o.transport },
        userId: 3,
        username: "ops",
        password: `Fleet-${i}-ops-pw`,
        privilege: "operator",
      },
    }));
    const program = [];
    for (let i = 0; i < decls.length; i += 100) program.push(...registrations(dir, { fleet: decls.slice(i, i + 100) }).fleet);
    const statePath = path.join(dir, "state.json");
    const rows = [];
    const step = async (label, fn, check) => {
      // HOST_ENV: extra environment for the provider process, as JSON (e.g. {"PULUMI_BMC_RSS_SOFT_LIMIT_MB":"0"}).
      const e = new MeasuredEngine({ programDir: dir, statePath, passphrase: "bench", parallel: o.parallel, hostEnv: process.env.HOST_ENV ? JSON.parse(process.env.HOST_ENV) : {} });
      const s = Date.now();
      const r = await fn(e);
      const ms = Date.now() - s;
      check(r, e);
      rows.push({ operation: label, wallMs: ms, phaseMs: e.phaseMs, phaseToFloor: +(e.phaseMs / floorMs).toFixed(2), providerPeakRssMb: e.peakRssMb });
      console.log(`  ${label.padEnd(30)} wall ${String(ms).padStart(6)} ms; ${label.startsWith("up") ? "Creates" : "Reads"} ${String(e.phaseMs).padStart(6)} ms = ${(e.phaseMs / floorMs).toFixed(2)}× the floor (${floorMs} ms); provider peak RSS ${e.peakRssMb} MB`);
    };
    await step(`up (${o.bmcs} Creates, verified)`, (e) => e.up(program), (r) => {
      if (r.errors.length) throw new Error(`up: ${r.errors.length} errors, first: ${r.errors[0].message}`);
      if ((r.byOp.create ?? []).length !== o.bmcs) throw new Error(`up created ${(r.byOp.create ?? []).length}`);
    });
    await step(`refresh (${o.bmcs} Reads, verified)`, (e) => e.refresh(), (r, e) => {
      if (r.errors.length) throw new Error(`refresh: ${r.errors.length} errors, first: ${r.errors[0].message}`);
      if (r.changes.length) throw new Error(`refresh found ${r.changes.length} drifted`);
      const unverified = e.resources.filter((x) => reveal(x.outputs).passwordState !== "verified").length;
      if (unverified) throw new Error(`${unverified} passwords not verified`);
    });
    const wrong = lab.bmcs.filter((b) => b.account("ops")?.slot !== 3).length;
    if (wrong) throw new Error(`${wrong} BMCs lack the account`);
    const up = rows[0];
    const peak = Math.max(...rows.map((r) => r.providerPeakRssMb));
    console.log("targets:");
    console.log(`  Creates ≤ 1.5× ceil(${o.bmcs}/${o.parallel}) × create floor   ${up.phaseToFloor}  ${up.phaseToFloor <= 1.5 ? "met" : "MISSED"}`);
    console.log(`  provider peak RSS ≤ 150 MB             ${peak}  ${peak <= 150 ? "met" : "MISSED"}`);
    const out = path.join(__dirname, "results", `${new Date().toISOString().slice(0, 10)}-fleet-${o.transport}${process.env.HOST_ENV ? "-tuned" : ""}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ options: o, floorMs, rows, providerPeakRssMb: peak }, null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    // Let datagrams the delay still holds go out before the sockets close.
    for (const b of lab.bmcs) b.clearFaults();
    await new Promise((r) => setTimeout(r, o.rtt + 50));
    await lab.stop();
    if (dir) removeConsumer(dir);
  }
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exitCode = 1;
});
