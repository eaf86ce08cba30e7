#!/usr/bin/env node
"use strict";
/**
 * `npm run bench -- --lab [--count 1000] [--baseline 50] [--parallel 8] [--quick]`: the virtual BMC lab at fleet scale,
 * side by side with the baseline this project used before it, one `ipmi_sim` process per BMC (test/lab/lab.js).
 *
 * For each side: the time to have every BMC listening, the memory they take (lab: the one process's RSS and its
 * peak; ipmi_sim: the sum of the processes' RSS and PSS — PSS counts shared libraries once), whether every BMC answers a
 * pre-session Get Channel Authentication Capabilities (literal bytes from an ipmitool capture, one UDP socket), and a
 * full RMCP+ session with ipmitool 1.8.19 to every BMC (`raw 0x06 0x01`: suite 17 on the lab, suite 3 on ipmi_sim,
 * which has no 17). Targets (issue #11): 1000 BMCs start in < 2 s, stay < 200 MB RSS, and each answers.
 * Writes bench/results/<date>-lab[-quick].json.
 */
const { spawn } = require("node:child_process");
const dgram = require("node:dgram");
const fs = require("node:fs");
const path = require("node:path");
const { Lab } = require("../test/lab/lab");
const { ipmitool, rawBytes } = require("../test/peers/clients");

function args() {
  const a = process.argv.slice(2);
  const quick = a.includes("--quick");
  const get = (name, dflt) => (a.includes(`--${name}`) ? Number(a[a.indexOf(`--${name}`) + 1]) : dflt);
  return { count: get("count", quick ? 100 : 1000), baseline: get("baseline", quick ? 10 : 50), parallel: get("parallel", 8), quick };
}

function procStatus(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
  const pss = Number(/Pss:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024, pssMb: pss / 1024 };
}

/** Get Channel Authentication Capabilities, IPMI 1.5 framing, as ipmitool 1.8.19 sends it (rmcp-native.md V3b). */
const AUTH_CAPS = Buffer.from("0600ff0700000000000000000009" + "2018c88100388e04b5", "hex");

/** Sends the request to every port from one socket; resolves with the number of distinct ports that answered and the time. */
async function pingAll(ports, host = "127.0.0.1") {
  const s = dgram.createSocket("udp4");
  await new Promise((r) => s.bind(0, host, r));
  s.setRecvBufferSize?.(4 << 20);
  const answered = new Set();
  const t = Date.now();
  const done = new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    s.on("message", (msg, rinfo) => {
      // cc 00 and the v2.0 bit: byte 14 onwards is the IPMI response; cc at offset 14 + 6.
      if (msg.length > 21 && msg[20] === 0x00) answered.add(rinfo.port);
      if (answered.size === ports.length) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (let i = 0; i < ports.length; i += 64) {
    await Promise.all(ports.slice(i, i + 64).map((p) => new Promise((r) => s.send(AUTH_CAPS, p, host, r))));
  }
  await done;
  const ms = Date.now() - t;
  s.close();
  return { answered: answered.size, ms };
}

/** A full ipmitool session to every BMC, `parallel` at a time; returns successes, wall time and p50/p95 per session. */
async function sessionAll(ports, creds, parallel) {
  const times = [];
  let ok = 0;
  let next = 0;
  const t = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < ports.length) {
        const port = ports[next++];
        const s = Date.now();
        const r = await ipmitool({ host: "127.0.0.1", port }, creds, ["raw 0x06 0x01"]);
        times.push(Date.now() - s);
        if (r.code === 0 && rawBytes(r.text).length === 15) ok++;
      }
    }),
  );
  times.sort((a, b) => a - b);
  return { ok, ms: Date.now() - t, p50: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)] };
}

/** RSS of the lab process with one BMC: Node and the package, what any lab pays before its first BMC. */
async function emptyLab() {
  const child = spawn(process.execPath, [path.join(__dirname, "lab-child.js"), "--count", "1"], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const m = procStatus(child.pid);
  child.stdin.end();
  await new Promise((r) => child.on("exit", r));
  return m;
}

async function measureLab(count, parallel, likeForLike) {
  const t = Date.now();
  const child = spawn(process.execPath, [path.join(__dirname, "lab-child.js"), "--count", String(count)], { stdio: ["pipe", "pipe", "inherit"] });
  const ready = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve(JSON.parse(buf.split("\n")[0]));
    });
    child.on("exit", (code) => reject(new Error(`lab process exited (${code})`)));
  });
  const wallMs = Date.now() - t;
  const idle = procStatus(child.pid);
  const ping = await pingAll(ready.ports);
  const sessions = await sessionAll(ready.ports, { user: "ADMIN", password: "ADMIN", suite: 17 }, parallel);
  // The same number of sessions at the suite ipmi_sim has, for a like-for-like time per session.
  const suite3 = await sessionAll(ready.ports.slice(0, likeForLike), { user: "ADMIN", password: "ADMIN", suite: 3 }, parallel);
  const busy = procStatus(child.pid);
  child.stdin.end();
  await new Promise((r) => child.on("exit", r));
  return { count, startMs: ready.startMs, processStartMs: wallMs, idle, busy, ping, sessions, suite3 };
}

async function measureSim(count, parallel) {
  const lab = new Lab();
  try {
    const t = Date.now();
    const bmcs = await lab.start(Array.from({ length: count }, (_, i) => ({ name: `bench-${i}` })));
    const startMs = Date.now() - t;
    const mem = bmcs.map((b) => procStatus(b.pid)).reduce((a, m) => ({ rssMb: a.rssMb + m.rssMb, pssMb: a.pssMb + m.pssMb }), { rssMb: 0, pssMb: 0 });
    const ports = bmcs.map((b) => b.port);
    const ping = await pingAll(ports);
    const sessions = await sessionAll(ports, { user: "ADMIN", password: "ADMIN", suite: 3 }, parallel);
    return { count, startMs, mem, ping, sessions };
  } finally {
    await lab.stop();
  }
}

const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : "-");

async function main() {
  const o = args();
  console.log(`lab bench: ${o.count} virtual BMCs in one process vs ${o.baseline} ipmi_sim processes; ipmitool sessions ${o.parallel} at a time`);
  const base = await emptyLab();
  const lab = await measureLab(o.count, o.parallel, o.baseline);
  lab.oneBmcRssMb = base.rssMb;
  const sim = await measureSim(o.baseline, o.parallel);
  // Per BMC on the lab: what the BMCs add to a lab process holding one (Node itself is ~45 MB whatever the count).
  const perLab = { startMs: lab.startMs / lab.count, memMb: (lab.busy.rssMb - base.rssMb) / Math.max(1, lab.count - 1) };
  const perSim = { startMs: sim.startMs / sim.count, memMb: sim.mem.pssMb / sim.count };
  const rows = [
    ["BMCs", lab.count, sim.count, ""],
    ["start, all listening (ms)", f1(lab.startMs), f1(sim.startMs), ""],
    ["start per BMC (ms)", perLab.startMs.toFixed(3), perSim.startMs.toFixed(1), `${(perSim.startMs / perLab.startMs).toFixed(0)}× faster`],
    ["memory (MB)", `RSS ${f1(lab.busy.rssMb)} (peak ${f1(lab.busy.hwmMb)}, idle ${f1(lab.idle.rssMb)}; 1 BMC: ${f1(base.rssMb)})`, `RSS ${f1(sim.mem.rssMb)}, PSS ${f1(sim.mem.pssMb)}`, ""],
    ["memory per BMC (MB)", `${perLab.memMb.toFixed(3)} (RSS above 1 BMC)`, `${perSim.memMb.toFixed(3)} (PSS)`, `${(perSim.memMb / perLab.memMb).toFixed(1)}× less`],
    ["answer Get Channel Auth Caps", `${lab.ping.answered}/${lab.count} in ${lab.ping.ms} ms`, `${sim.ping.answered}/${sim.count} in ${sim.ping.ms} ms`, ""],
    ["ipmitool session + Get Device ID", `${lab.sessions.ok}/${lab.count} (suite 17), p50 ${lab.sessions.p50} ms, p95 ${lab.sessions.p95} ms`, "(no suite 17)", ""],
    ["  the same at suite 3", `${lab.suite3.ok}/${o.baseline}, p50 ${lab.suite3.p50} ms, p95 ${lab.suite3.p95} ms`, `${sim.sessions.ok}/${sim.count}, p50 ${sim.sessions.p50} ms, p95 ${sim.sessions.p95} ms`, `${(lab.suite3.p50 / sim.sessions.p50).toFixed(2)}× the time`],
  ];
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => String(r[c]).length), c === 0 ? 0 : 12));
  console.log(`  ${"".padEnd(w[0])}  ${"lab".padEnd(w[1])}  ${"ipmi_sim".padEnd(w[2])}  ratio`);
  for (const r of rows) console.log(`  ${String(r[0]).padEnd(w[0])}  ${String(r[1]).padEnd(w[1])}  ${String(r[2]).padEnd(w[2])}  ${r[3]}`);
  const scale = lab.count / 1000;
  const targets = [
    [`${lab.count} BMCs listening in < ${(2000 * scale).toFixed(0)} ms`, lab.startMs < 2000 * scale],
    [`peak RSS < 200 MB`, lab.busy.hwmMb < 200],
    [`every BMC answers (pre-session and a full suite-17 session)`, lab.ping.answered === lab.count && lab.sessions.ok === lab.count],
  ];
  for (const [name, met] of targets) console.log(`  target: ${name}: ${met ? "met" : "MISSED"}`);
  const dir = path.join(__dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}-lab${o.quick ? "-quick" : ""}.json`);
  fs.writeFileSync(file, JSON.stringify({ options: o, lab, ipmiSim: sim, perBmc: { lab: perLab, ipmiSim: perSim }, targets: targets.map(([name, met]) => ({ name, met })) }, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  if (!targets.every(([, met]) => met)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exitCode = 1;
});
