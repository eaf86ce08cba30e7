#!/usr/bin/env node
"use strict";
/**
 * The lab process of `npm run bench -- --lab`: starts `--count` virtual BMCs with the public API, prints one JSON line
 * `{ startMs, ports }` (startMs: startLab() alone, measured inside the process), then serves until stdin closes.
 * A process of its own so that its memory is the lab's alone.
 */
const { startLab } = require("../dist/lab");

async function main() {
  const a = process.argv.slice(2);
  const count = Number(a[a.indexOf("--count") + 1] || 1000);
  const vendor = a.includes("--vendor") ? a[a.indexOf("--vendor") + 1] : "generic";
  const t = process.hrtime.bigint();
  const lab = await startLab({ count, vendor, redfish: false }); // IPMI only, like the ipmi_sim baseline
  const startMs = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(`${JSON.stringify({ startMs, ports: lab.bmcs.map((b) => b.port) })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await lab.stop();
    process.exit(0);
  });
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
