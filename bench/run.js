#!/usr/bin/env node
"use strict";
/**
 * `npm run bench [-- --bmcs N --rtt MS --loss PCT --parallel P --quick]`
 * `npm run bench -- --harness` (bench/harness-rss.js: 1000 resources through cmd/dynamic-provider, peak RSS) and
 * `npm run bench -- --bms` (bench/bms-rate.js: 500 BMS resets under the 50/min limit on a virtual clock) and
 * `npm run bench -- --fleet` (bench/fleet-lab.js: 1000 virtual BMCs x 1 account through cmd/dynamic-provider at
 * engine parallelism 64, on the virtual BMC lab).
 * `npm run bench -- --redact` (bench/redact.js: redaction cost with 10-3000 registered secrets, against the baseline).
 * `npm run bench -- --lab` (bench/lab-scale.js: 1000 virtual BMCs in one process against ipmi_sim processes).
 *
 * Side by side, in one run and interleaved per scenario: the BmcUser provider object over each of its transports
 * (`bmc.transport`: native RMCP+, and ipmitool), and the baseline a Pulumi user writes today with @pulumi/command —
 * one ipmitool process per step (`user set name`, `user set password`,
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
  const w = 780, barH = 14, gap = 10, left = 230;
  const bars = [["baseline", "#c0504d"], ["native", "#4f81bd"], ["ipmitool", "#8064a2"], ["floor", "#9bbb59"]];
  const max = Math.max(...rows.flatMap((r) => bars.map(([k]) => r.ms[k] ?? 0)));
  const scale = (v) => ((w - left - 90) * v) / max;
  let y = 30;
  const parts = [`<text x="10" y="18" font-family="sans-serif" font-size="13">p50 latency per operation (ms): baseline, native RMCP+, ipmitool transport, round-trip floor</text>`];
  for (const r of rows) {
    parts.push(`<text x="10" y="${y + 30}" font-family="sans-serif" font-size="12">${r.scenario}</text>`);
    for (const [k, color] of bars) {
      const v = r.ms[k];
      if (v === undefined) continue;
      parts.push(`<rect x="${left}" y="${y}" width="${scale(v).toFixed(1)}" height="${barH}" fill="${color}"/><text x="${left + scale(v) + 4}" y="${y + 11}" font-family="sans-serif" font-size="11">${k} ${v}</text>`);
      y += barH + 2;
    }
    y += gap;
  }
  fs.writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y + 10}">${parts.join("")}</svg>\n`);
}

/** The provider's transports, side by side with the baseline; each side has its own slots on every BMC. */
const SIDES = ["native", "ipmitool"];
const SLOTS = { native: [3, 4, 11, 12], ipmitool: [7, 8, 13, 14], baseline: [5, 6] };

async function main() {
  const o = args();
  const floorPer = (commands, verify) => (4 + commands + (verify ? 3 : 0)) * o.rtt;
  console.log(`bench: ${o.bmcs} BMCs, RTT ${o.rtt} ms, loss ${o.loss} %, parallel ${o.parallel}; sides: baseline, ${SIDES.join(", ")}`);
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
    const targets = (side, verifyOff = false) =>
      bmcs.flatMap((b, i) =>
        [["admin2", "administrator"], ["mon", "user"]].map(([username, privilege], k) => ({
          // Names differ per side: a login by name finds the first slot holding it.
          side, bmcIndex: i, port: b.proxyPort, login: b.admin, username: `${username}${side === "baseline" ? "" : side[0]}${verifyOff ? "x" : ""}`, privilege,
          userId: SLOTS[side][verifyOff ? 2 + k : k], password: pw(),
        })),
      );
    const conn = (t) => ({ host: "127.0.0.1", port: t.port, username: t.login.username, password: t.login.password, cipherSuite: 3, timeoutSeconds: 2, retries: 2, transport: t.side });
    const state = new Map();
    const inputsOf = async (t, extra = {}) => (await provider.check({}, { bmc: conn(t), userId: t.userId, username: t.username, password: t.password, privilege: t.privilege, ...extra })).inputs;
    const sides = Object.fromEntries(SIDES.map((side) => [side, targets(side)]));
    const theirs = targets("baseline");
    const results = [];
    const row = (scenario, floorMs, base, mine) => {
      const r = { scenario, floorMs, base, mine, ms: { floor: floorMs || undefined, baseline: base?.p50Ms } };
      for (const side of SIDES) r.ms[side] = mine[side].p50Ms;
      results.push(r);
    };

    // create: provider (lookup, writes, read-back, verify) vs baseline (5 processes); then without verification.
    const base = await measure("baseline create (5 ipmitool processes)", theirs, proxies, o.parallel, baseline.create);
    const created = {};
    for (const side of SIDES) {
      created[side] = await measure(`${side} create (verify: login)`, sides[side], proxies, o.parallel, async (t) => state.set(t, await provider.create(await inputsOf(t))));
    }
    row("create", floorPer(1 + 2 + 4 + 2, true), base, created);
    const nv = {};
    for (const side of SIDES) {
      nv[side] = await measure(`${side} create (verify: off)`, targets(side, true), proxies, o.parallel, async (t) => provider.create(await inputsOf(t, { verifyPassword: "off" })));
    }
    row("create, verify off", floorPer(1 + 2 + 4 + 2, false), base, nv);

    // no-op up: check + diff for every resource; must send nothing.
    const noop = {};
    for (const side of SIDES) {
      noop[side] = await measure(`${side} no-op up (check + diff)`, sides[side], proxies, o.parallel, async (t) => {
        const d = await provider.diff(state.get(t).id, state.get(t).outs, await inputsOf(t));
        if (d.changes) throw new Error("no-op up planned a change");
      });
    }
    row("no-op up", 0, undefined, noop);

    // refresh with verification vs the baseline's `user list`.
    const baseRefresh = await measure("baseline refresh (user list)", theirs, proxies, o.parallel, baseline.refresh);
    const refresh = {};
    for (const side of SIDES) {
      refresh[side] = await measure(`${side} refresh (read + login)`, sides[side], proxies, o.parallel, async (t) => provider.read(state.get(t).id, state.get(t).outs));
    }
    row("refresh", floorPer(2, true), baseRefresh, refresh);

    // rotate every password.
    for (const t of [...Object.values(sides).flat(), ...theirs]) t.password = pw();
    const baseRotate = await measure("baseline rotate (1 process)", theirs, proxies, o.parallel, baseline.rotate);
    const rotate = {};
    for (const side of SIDES) {
      rotate[side] = await measure(`${side} rotate (update + verify)`, sides[side], proxies, o.parallel, async (t) => {
        const prior = state.get(t);
        const u = await provider.update(prior.id, prior.outs, await inputsOf(t));
        state.set(t, { id: prior.id, outs: u.outs });
      });
    }
    row("rotate", floorPer(2 + 1 + 2, true), baseRotate, rotate);

    // The same accounts over Redfish, same RTT and parallelism, beside the IPMI provider's create and refresh.
    const redfish = await redfishScenarios(o, { pool, percentile });
    const rssMb = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
    console.log("");
    console.log("scenario              side      ops  wall ms  p50 ms  p95 ms  RT/op  ratio-to-baseline(p50)  ratio-to-floor(p50)");
    for (const r of results) {
      for (const [side, m] of [["baseline", r.base], ...SIDES.map((s) => [s, r.mine[s]])]) {
        if (!m) continue;
        const ratio = r.base ? r.base.p50Ms / Math.max(1, m.p50Ms) : 0;
        const toBase = side !== "baseline" && r.base ? (ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`) : "";
        const toFloor = r.floorMs ? (m.p50Ms / r.floorMs).toFixed(2) + "× floor" : m.roundTripsPerOp === 0 ? "0 packets" : "";
        console.log(`${r.scenario.padEnd(21)} ${side.padEnd(9)} ${String(m.ops).padStart(4)} ${String(m.wallMs).padStart(8)} ${String(m.p50Ms).padStart(7)} ${String(m.p95Ms).padStart(7)} ${String(m.roundTripsPerOp).padStart(6)}  ${toBase.padEnd(22)}  ${toFloor}`);
      }
    }
    console.log("\nRedfish (same RTT): personality  op       ops  wall ms  p50 ms  p95 ms  requests/op  connections/op  floor ms  vs IPMI native (p50)");
    for (const r of redfish) {
      const ipmi = results.find((x) => x.scenario === r.op).mine.native.p50Ms;
      const vs = ipmi / Math.max(1, r.p50Ms);
      console.log(
        `                    ${r.flavour.padEnd(12)} ${r.op.padEnd(8)} ${String(r.ops).padStart(4)} ${String(r.wallMs).padStart(8)} ${String(r.p50Ms).padStart(7)} ${String(r.p95Ms).padStart(7)} ${String(r.requestsPerOp).padStart(12)} ${String(r.connectionsPerOp).padStart(15)} ${String(r.floorMs).padStart(9)}  ${vs >= 1 ? `${vs.toFixed(2)}× faster` : `${(1 / vs).toFixed(2)}× slower`}`,
      );
    }
    console.log(`\nround-trip floor (ms): create ${floorPer(9, true)}, create/verify off ${floorPer(9, false)}, refresh ${floorPer(2, true)}, rotate ${floorPer(5, true)}`);
    const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
    const speedup = (r, side) => r.base.p50Ms / Math.max(1, r.mine[side].p50Ms);
    const toFloor = (r, side) => r.mine[side].p50Ms / r.floorMs;
    const goals = [
      ["native: create ≥ 3.5× baseline", speedup(byName.create, "native"), speedup(byName.create, "native") >= 3.5],
      ["native: refresh ≤ 1.25× floor", toFloor(byName.refresh, "native"), toFloor(byName.refresh, "native") <= 1.25],
      ["native: rotate faster than baseline", speedup(byName.rotate, "native"), speedup(byName.rotate, "native") > 1],
      ["native: no-op up = 0 packets", byName["no-op up"].mine.native.roundTripsPerOp, byName["no-op up"].mine.native.roundTripsPerOp === 0],
      ["ipmitool: create ≥ 1.8× baseline", speedup(byName.create, "ipmitool"), speedup(byName.create, "ipmitool") >= 1.8],
      ["ipmitool: refresh ≤ 3× floor", toFloor(byName.refresh, "ipmitool"), toFloor(byName.refresh, "ipmitool") <= 3],
      ["ipmitool: no-op up = 0 packets", byName["no-op up"].mine.ipmitool.roundTripsPerOp, byName["no-op up"].mine.ipmitool.roundTripsPerOp === 0],
    ];
    console.log("targets:");
    for (const [name, value, met] of goals) console.log(`  ${name.padEnd(38)} ${String(+value.toFixed(2)).padStart(6)}  ${met ? "met" : "MISSED"}`);
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
} else if (process.argv.includes("--fleet")) {
  require("./fleet-lab");
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
