#!/usr/bin/env node
"use strict";
/**
 * `npm run bench -- --bms [--servers N] [--parallel P]`: BmsPassword resets of N emulated servers (default 500) against
 * the emulator with its documented 50 resets/minute limit, on a virtual clock shared by provider and emulator (see
 * test/emulator/virtual-clock.js), so ten minutes of schedule take about a second. Prints the achieved rate, the
 * largest count in any 60-s window and the 429s, and writes bench/results/<date>-bms.json.
 */
const fs = require("node:fs");
const path = require("node:path");
const { resetFleet } = require("../test/emulator/reset-fleet");

async function main() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => (a.includes(`--${name}`) ? Number(a[a.indexOf(`--${name}`) + 1]) : dflt);
  const servers = get("servers", 500);
  const parallel = get("parallel", 16);
  const r = await resetFleet({ servers, parallel });
  console.log(`bms: ${servers} resets, parallel ${parallel}, limit ${r.allowedPerMinute}/min (virtual clock)`);
  console.log(`  resets ok            ${r.resets}`);
  console.log(`  429 responses        ${r.throttled}   target 0: ${r.throttled === 0 ? "met" : "MISSED"}`);
  console.log(`  achieved rate        ${r.perMinute}/min = ${(r.shareOfAllowed * 100).toFixed(1)} % of allowed   target ≥ 95 %: ${r.shareOfAllowed >= 0.95 ? "met" : "MISSED"}`);
  console.log(`  max in any 60 s      ${r.windowMax}`);
  console.log(`  virtual span         ${r.virtualMinutes} min (first to last reset), real ${r.realMs} ms`);
  console.log(`  requests             ${Object.entries(r.requests).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
  const dir = path.join(__dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-bms.json`);
  fs.writeFileSync(file, JSON.stringify({ options: { servers, parallel }, ...r }, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exitCode = 1;
});
