#!/usr/bin/env node
"use strict";
/**
 * `npm run bench [-- --bmcs N --rtt MS --loss PCT --parallel P --quick]`
 * `npm run bench -- --harness` (bench/harness-rss.js: 1000 resources through cmd/dynamic-provider, peak RSS) and
 * `npm run bench -- --bms` (bench/bms-rate.js: 500 BMS resets under the 50/min limit on a virtual clock) and
 * `npm run bench -- --redact` (bench/redact.js: redaction cost with 10-3000 registered secrets, against the baseline).
 * `npm run bench -- --lab` (bench/lab-scale.js: 1000 virtual BMCs in one process against ipmi_sim processes).
 *
 * Side by side, in one run and interleaved per scenario: the BmcUser provider object, and the baseline a Pulumi user
 * writes today with @pulumi/command — one ipmitool process per step (`user set name`, `user set password`,
 * `user priv`, `user enable`, `channel setaccess`; `user list` to check). Every BMC is an ipmi_sim behind a userspace
 * UDP proxy that adds delay (RTT = 2 × delay) and counts the datagrams sent to the BMC, i.e. request/response pairs.
 *
 * Passwords reach ipmitool through pipes on both sides: the baseline is measured as a careful user would run it, not
 * with `-P`.
 *
 * Then the same accounts over Redfish (bench/redfish.js): create and refresh on each of the lab's Redfish personalities
 * behind a TCP proxy with the same delay, beside the IPMI figures.
 */
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { Lab } = require("../test/lab/lab");
const { UdpProxy } = require("../test/lab/udp-proxy");
const { bmcUserProvider: provider } = require("..");
const { redfishScenarios } = require("./redfish");

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => {
    const i = a.indexOf(`--${name}`);
    return i === -1 ? dflt : Number(a[i + 1]);
  };
  const quick = a.includes("--quick");
  return { bmcs: get("bmcs", quick ? 6 : 100), rtt: get("rtt", 40), loss: get("loss", 0), parallel: get("parallel", 16), quick };
}

const pw = () => crypto.randomBytes(12).toString("base64").replace(/[+/=]/g, "x").slice(0, 16);

/** Runs `tasks` (functions returning promises) with at most `n` in flight; returns their results in order. */
async function pool(tasks, n) {
  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

/**
 * The baseline's unit of work: one ipmitool process running one command. The login password goes through `-f` on a
 * pipe and the command line (which, for `user set password`, holds the new password) through `exec` on another pipe:
 * neither is ever in argv or the environment.
 */
function ipmitoolOnce(port, login, command) {
  return new Promise((resolve, reject) => {
    const script = 'exec ipmitool "$@" -f <(cat <&3) exec <(cat <&4) 2>&1';
    const child = spawn("bash", ["-c", script, "ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", login.username, "-C", "3", "-L", "ADMINISTRATOR", "-N", "2", "-R", "2"], {
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
      env: { PATH: process.env.PATH, LANG: "C" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", () => child.stdio[4].end());
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`baseline step failed: ${out.split("\n")[0]}`))));
    for (const fd of [3, 4]) child.stdio[fd].on("error", () => {});
    child.stdio[3].end(`${login.password}\n`);
    child.stdio[4].end(`${command}\n`);
  });
}

const baseline = {
  async create(t) {
    const priv = t.privilege === "administrator" ? 4 : 2;
    for (const c of [
      `user set name ${t.userId} ${t.username}`,
      `user set password ${t.userId} ${t.password}`,
      `user priv ${t.userId} ${priv} 1`,
      `user enable ${t.userId}`,
      `channel setaccess 1 ${t.userId} callin=on ipmi=on link=on privilege=${priv}`,
    ]) {
      await ipmitoolOnce(t.port, t.login, c);
    }
  },
  async refresh(t) {
    await ipmitoolOnce(t.port, t.login, "user list 1");
  },
  async rotate(t) {
    await ipmitoolOnce(t.port, t.login, `user set password ${t.userId} ${t.password}`);
  },
};

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label, targets, proxies, parallel, op) {
  const before = proxies.reduce((s, p) => s + p.counts.up, 0);
  const latencies = [];
  const t0 = Date.now();
  // One task per BMC that runs its operations in order: both sides serialise work on one BMC.
  await pool(
    [...new Set(targets.map((t) => t.bmcIndex))].map((b) => async () => {
      for (const t of targets.filter((x) => x.bmcIndex === b)) {
        const s = Date.now();
        await op(t);
        latencies.push(Date.now() - s);
      }
    }),
    parallel,
  );
  const wall = Date.now() - t0;
  // Sessions close in the background after an operation returns: let their Close Session reach the proxy before counting.
  await new Promise((r) => setTimeout(r, 300));
  const requests = proxies.reduce((s, p) => s + p.counts.up, 0) - before;
  latencies.sort((a, b) => a - b);
  return { label, ops: targets.length, wallMs: wall, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), roundTripsPerOp: +(requests / targets.length).toFixed(1) };
}

function svgChart(rows, file) {
  const w = 760, barH = 16, gap = 10, left = 230;
  const max = Math.max(...rows.flatMap((r) => [r.baselineMs ?? 0, r.providerMs, r.floorMs]));
  const scale = (v) => ((w - left - 80) * v) / max;
  const colors = { baseline: "#c0504d", provider: "#4f81bd", floor: "#9bbb59" };
  let y = 30;
  const parts = [`<text x="10" y="18" font-family="sans-serif" font-size="13">p50 latency per operation (ms): baseline vs provider vs round-trip floor</text>`];
  for (const r of rows) {
    parts.push(`<text x="10" y="${y + 28}" font-family="sans-serif" font-size="12">${r.scenario}</text>`);
    for (const [k, v] of [["baseline", r.baselineMs], ["provider", r.providerMs], ["floor", r.floorMs]]) {
      if (v === undefined) continue;
      parts.push(`<rect x="${left}" y="${y}" width="${scale(v).toFixed(1)}" height="${barH}" fill="${colors[k]}"/><text x="${left + scale(v) + 4}" y="${y + 12}" font-family="sans-serif" font-size="11">${k} ${v}</text>`);
      y += barH + 2;
    }
    y += gap;
  }
  fs.writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y + 10}">${parts.join("")}</svg>\n`);
}

async function main() {
  const o = args();
  const floorPer = (commands, verify) => (4 + commands + (verify ? 3 : 0)) * o.rtt;
  console.log(`bench: ${o.bmcs} BMCs, RTT ${o.rtt} ms, loss ${o.loss} %, parallel ${o.parallel}`);
  const lab = new Lab();
  const proxies = [];
  try {
    const bmcs = await lab.start(Array.from({ length: o.bmcs }, (_, i) => ({ name: `b${i}` })));
    for (const b of bmcs) {
      const p = new UdpProxy({ targetPort: b.port, delayMs: o.rtt / 2, lossPct: o.loss });
      b.proxyPort = await p.start();
      proxies.push(p);
    }
    // Two accounts per BMC at fixed slots (the baseline cannot look slots up).
    const targets = (side) =>
      bmcs.flatMap((b, i) =>
        [["admin2", "administrator", side === "baseline" ? 5 : 3], ["mon", "user", side === "baseline" ? 6 : 4]].map(([username, privilege, userId]) => ({
          bmcIndex: i, port: b.proxyPort, login: b.admin, username, privilege, userId, password: pw(),
        })),
      );
    const ours = targets("provider");
    const theirs = targets("baseline");
    const conn = (t) => ({ host: "127.0.0.1", port: t.port, username: t.login.username, password: t.login.password, cipherSuite: 3, timeoutSeconds: 2, retries: 2 });
    const state = new Map();
    const inputsOf = async (t, extra = {}) => (await provider.check({}, { bmc: conn(t), userId: t.userId, username: t.username, password: t.password, privilege: t.privilege, ...extra })).inputs;

    const results = [];
    // create: provider (lookup, writes, read-back, verify) vs baseline (5 processes); then without verification.
    const base = await measure("baseline create (5 ipmitool processes)", theirs, proxies, o.parallel, baseline.create);
    const mine = await measure("provider create (verify: login)", ours, proxies, o.parallel, async (t) => {
      const r = await provider.create(await inputsOf(t));
      state.set(t, r);
    });
    results.push({ scenario: "create", baselineMs: base.p50Ms, providerMs: mine.p50Ms, floorMs: floorPer(1 + 2 + 4 + 2, true), base, mine });
    const noVerify = ours.map((t) => ({ ...t, username: `${t.username}x`, userId: t.userId + 4 }));
    const mineNv = await measure("provider create (verify: off)", noVerify, proxies, o.parallel, async (t) => provider.create(await inputsOf(t, { verifyPassword: "off" })));
    results.push({ scenario: "create, verify off", baselineMs: base.p50Ms, providerMs: mineNv.p50Ms, floorMs: floorPer(1 + 2 + 4 + 2, false), base, mine: mineNv });

    // no-op up: check + diff for every resource; must send nothing.
    const noop = await measure("provider no-op up (check + diff)", ours, proxies, o.parallel, async (t) => {
      const d = await provider.diff(state.get(t).id, state.get(t).outs, await inputsOf(t));
      if (d.changes) throw new Error("no-op up planned a change");
    });
    results.push({ scenario: "no-op up", providerMs: noop.p50Ms, floorMs: 0, mine: noop });

    // refresh with verification vs the baseline's `user list`.
    const baseRefresh = await measure("baseline refresh (user list)", theirs, proxies, o.parallel, baseline.refresh);
    const refresh = await measure("provider refresh (read + login)", ours, proxies, o.parallel, async (t) => provider.read(state.get(t).id, state.get(t).outs));
    results.push({ scenario: "refresh", baselineMs: baseRefresh.p50Ms, providerMs: refresh.p50Ms, floorMs: floorPer(2, true), base: baseRefresh, mine: refresh });

    // rotate every password.
    for (const t of [...ours, ...theirs]) t.password = pw();
    const baseRotate = await measure("baseline rotate (1 process)", theirs, proxies, o.parallel, baseline.rotate);
    const rotate = await measure("provider rotate (update + verify)", ours, proxies, o.parallel, async (t) => {
      const prior = state.get(t);
      const u = await provider.update(prior.id, prior.outs, await inputsOf(t));
      state.set(t, { id: prior.id, outs: u.outs });
    });
    results.push({ scenario: "rotate", baselineMs: baseRotate.p50Ms, providerMs: rotate.p50Ms, floorMs: floorPer(2 + 1 + 2, true), base: baseRotate, mine: rotate });

    // The same accounts over Redfish, same RTT and parallelism, beside the IPMI provider's create and refresh.
    const redfish = await redfishScenarios(o, { pool, percentile });
    const rssMb = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
    console.log("");
    console.log("scenario              side      ops  wall ms  p50 ms  p95 ms  RT/op  ratio-to-baseline(p50)  ratio-to-floor(p50)");
    for (const r of results) {
      for (const [side, m] of [["baseline", r.base], ["provider", r.mine]]) {
        if (!m) continue;
        const ratio = r.base ? r.base.p50Ms / Math.max(1, m.p50Ms) : 0;
        const toBase = side === "provider" && r.base ? (ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`) : "";
        const toFloor = r.floorMs ? (m.p50Ms / r.floorMs).toFixed(2) + "× floor" : m.roundTripsPerOp === 0 ? "0 packets" : "";
        console.log(`${r.scenario.padEnd(21)} ${side.padEnd(9)} ${String(m.ops).padStart(4)} ${String(m.wallMs).padStart(8)} ${String(m.p50Ms).padStart(7)} ${String(m.p95Ms).padStart(7)} ${String(m.roundTripsPerOp).padStart(6)}  ${toBase.padEnd(22)}  ${toFloor}`);
      }
    }
    console.log("\nRedfish (same RTT): personality  op       ops  wall ms  p50 ms  p95 ms  requests/op  connections/op  floor ms  vs IPMI provider (p50)");
    for (const r of redfish) {
      const ipmi = (r.op === "create" ? results.find((x) => x.scenario === "create") : results.find((x) => x.scenario === "refresh")).mine.p50Ms;
      const vs = ipmi / Math.max(1, r.p50Ms);
      console.log(
        `                    ${r.flavour.padEnd(12)} ${r.op.padEnd(8)} ${String(r.ops).padStart(4)} ${String(r.wallMs).padStart(8)} ${String(r.p50Ms).padStart(7)} ${String(r.p95Ms).padStart(7)} ${String(r.requestsPerOp).padStart(12)} ${String(r.connectionsPerOp).padStart(15)} ${String(r.floorMs).padStart(9)}  ${vs >= 1 ? `${vs.toFixed(2)}× faster` : `${(1 / vs).toFixed(2)}× slower`}`,
      );
    }
    console.log(`\nround-trip floor (ms): create ${floorPer(9, true)}, create/verify off ${floorPer(9, false)}, refresh ${floorPer(2, true)}, rotate ${floorPer(5, true)}`);
    const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
    const speedup = (r) => r.base.p50Ms / Math.max(1, r.mine.p50Ms);
    const goals = [
      ["create ≥ 1.8× baseline", speedup(byName.create), speedup(byName.create) >= 1.8],
      ["create, verify off ≥ 3× baseline", speedup(byName["create, verify off"]), speedup(byName["create, verify off"]) >= 3],
      ["refresh ≤ 3× floor", byName.refresh.mine.p50Ms / byName.refresh.floorMs, byName.refresh.mine.p50Ms <= 3 * byName.refresh.floorMs],
      ["no-op up = 0 packets", byName["no-op up"].mine.roundTripsPerOp, byName["no-op up"].mine.roundTripsPerOp === 0],
    ];
    console.log("targets:");
    for (const [name, value, met] of goals) console.log(`  ${name.padEnd(34)} ${String(+value.toFixed(2)).padStart(6)}  ${met ? "met" : "MISSED"}`);
    console.log(`peak RSS of this process (provider + bench): ${rssMb} MB`);

    const dir = path.join(__dirname, "results");
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 10);
    const file = path.join(dir, `${stamp}${o.quick ? "-quick" : ""}.json`);
    fs.writeFileSync(file, JSON.stringify({ options: o, rssMb, targets: goals.map(([name, value, met]) => ({ name, value: +value.toFixed(2), met })), results, redfish }, null, 2) + "\n");
    svgChart(results, file.replace(/\.json$/, ".svg"));
    console.log(`wrote ${path.relative(process.cwd(), file)} and the .svg chart beside it`);
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
    await lab.stop();
  }
}

if (process.argv.includes("--bms")) {
  require("./bms-rate");
} else if (process.argv.includes("--redact")) {
  require("./redact");
} else if (process.argv.includes("--lab")) {
  require("./lab-scale");
} else if (process.argv.includes("--harness")) {
  require("./harness-rss");
} else {
  main().catch((e) => {
    console.error(`bench failed: ${e.message}`);
    process.exitCode = 1;
  });
}
