#!/usr/bin/env node
"use strict";
/**
 * `npm run bench -- --harness [--bmcs N --slots S]`: a fleet of BmcUser resources (default 20 simulated BMCs × 50
 * slots = 1000) through the real `@pulumi/pulumi/cmd/dynamic-provider` process, driven over gRPC by the engine model
 * (test/harness/engine.js) from a consumer install: `up` (1000 Creates, all in flight at once as the engine sends
 * them), an empty `preview` (1000 Checks and Diffs, one at a time), and `refresh` (1000 Reads with password
 * verification). Reports, per operation, the wall time and the provider process's peak RSS (VmHWM from
 * /proc/<pid>/status, read just before the engine stops it), and the largest `__provider` in the state.
 *
 * ipmi_sim allows 63 users per BMC, so 50 slots (3-52) per BMC are real accounts, each with its own password. The
 * engine model keeps at most `--parallel` (default 16) CRUD calls in flight, as `pulumi up --parallel` does.
 * `HOST_NODE_OPTIONS` is passed to the provider process as NODE_OPTIONS (e.g. `--max-semi-space-size=2`), and the
 * results then go to <date>-harness-tuned.json.
 */
const fs = require("node:fs");
const path = require("node:path");
const { Lab } = require("../test/lab/lab");
const { installConsumer, removeConsumer, registrations } = require("../test/harness/consumer");
const { reveal } = require("../test/harness/engine");
const { MeasuredEngine } = require("./measured-engine");

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => (a.includes(`--${name}`) ? Number(a[a.indexOf(`--${name}`) + 1]) : dflt);
  return { bmcs: get("bmcs", 20), slots: get("slots", 50), parallel: get("parallel", 16) };
}

async function main() {
  const o = args();
  const total = o.bmcs * o.slots;
  console.log(`harness: ${total} BmcUser resources (${o.bmcs} BMCs × ${o.slots} slots) through cmd/dynamic-provider, engine parallel ${o.parallel}`);
  const lab = new Lab();
  let dir;
  try {
    const bmcs = await lab.start(Array.from({ length: o.bmcs }, (_, i) => ({ name: `h${i}` })));
    dir = installConsumer();
    const decls = bmcs.flatMap((b, i) =>
      Array.from({ length: o.slots }, (_, s) => ({
        kind: "BmcUser",
        name: `b${i}-u${s + 3}`,
        args: { bmc: b.connection(), userId: s + 3, username: `u${s + 3}`, password: `Fleet-${i}-${s + 3}-pw`, privilege: s % 2 ? "user" : "operator" },
      })),
    );
    const t0 = Date.now();
    // The registration program reads its stdin in one non-blocking read: feed it at most a pipe buffer (64 KB) a time.
    const program = [];
    for (let i = 0; i < decls.length; i += 100) program.push(...registrations(dir, { fleet: decls.slice(i, i + 100) }).fleet);
    console.log(`  registrations (program run through the real constructors): ${Date.now() - t0} ms`);
    const statePath = path.join(dir, "state.json");
    const engine = () => new MeasuredEngine({ programDir: dir, statePath, passphrase: "bench", parallel: o.parallel, hostEnv: process.env.HOST_NODE_OPTIONS ? { NODE_OPTIONS: process.env.HOST_NODE_OPTIONS } : {} });
    const rows = [];
    const step = async (label, fn, check) => {
      const e = engine();
      const s = Date.now();
      const result = await fn(e);
      const ms = Date.now() - s;
      check(result, e);
      rows.push({ operation: label, wallMs: ms, perResourceMs: +(ms / total).toFixed(2), providerPeakRssMb: e.peakRssMb });
      console.log(`  ${label.padEnd(34)} ${String(ms).padStart(7)} ms  ${(ms / total).toFixed(2).padStart(6)} ms/resource  provider peak RSS ${e.peakRssMb} MB`);
      return e;
    };
    const up = await step(`up (${total} Creates, verify login)`, (e) => e.up(program), (r) => {
      if (r.errors.length) throw new Error(`up: ${r.errors.length} errors, first: ${r.errors[0].message}`);
      if ((r.byOp.create ?? []).length !== total) throw new Error(`up created ${(r.byOp.create ?? []).length}`);
    });
    await step("preview (Check + Diff each)", (e) => e.preview(program), (r) => {
      if (r.changes.length) throw new Error(`preview after up planned ${r.changes.length} changes`);
    });
    await step("refresh (Read each, verify login)", (e) => e.refresh(), (r, e) => {
      if (r.errors.length) throw new Error(`refresh: ${r.errors.length} errors, first: ${r.errors[0].message}`);
      if (r.changes.length) throw new Error(`refresh found ${r.changes.length} drifted`);
      const unverified = e.resources.filter((x) => reveal(x.outputs).passwordState !== "verified").length;
      if (unverified) throw new Error(`${unverified} passwords not verified`);
    });
    const sizes = up.resources.map((r) => Buffer.byteLength(String(reveal(r.outputs).__provider ?? "")));
    const distinct = new Set(up.resources.map((r) => reveal(r.outputs).__provider)).size;
    const stateMb = +(fs.statSync(statePath).size / 1048576).toFixed(2);
    const peak = Math.max(...rows.map((r) => r.providerPeakRssMb));
    console.log(`  __provider: ${Math.max(...sizes)} bytes (max over ${sizes.length}), ${distinct} distinct string(s): the host deserializes it once per process`);
    console.log(`  state file: ${stateMb} MB`);
    console.log("targets:");
    console.log(`  provider peak RSS ≤ 150 MB         ${peak}  ${peak <= 150 ? "met" : "MISSED"}`);
    console.log(`  __provider ≤ 1 KB each            ${Math.max(...sizes)}  ${Math.max(...sizes) <= 1024 ? "met" : "MISSED"}`);
    const suffix = process.env.HOST_NODE_OPTIONS ? "-tuned" : "";
    const out = path.join(__dirname, "results", `${new Date().toISOString().slice(0, 10)}-harness${suffix}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ options: { ...o, resources: total, hostNodeOptions: process.env.HOST_NODE_OPTIONS ?? "" }, rows, providerPeakRssMb: peak, providerBytesMax: Math.max(...sizes), distinctProviderStrings: distinct, stateMb }, null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await lab.stop();
    removeConsumer(dir);
  }
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exitCode = 1;
});
