"use strict";
/**
 * Soak (issue 16, item 7): a seeded random schedule of BmcUser operations over many virtual lab BMCs while faults come
 * and go on them — lost and late datagrams, restarts, busy answers and stalls — then a fault-free pass as the next
 * `pulumi up` would run it (a new provider process: login memory and caches forgotten). It must end converged: every
 * BMC holds exactly the declared accounts with the declared passwords and privileges (no orphan), no account locked,
 * every failure on the way a typed error (a `CredentialsError` or a partial failure carrying its code), and no sentinel
 * password in any error, id or plaintext state. The provider runs in this process on the native transport (no child
 * process, so there are no argv/environment to sample; errors and state are scanned).
 *
 * `node test/soak/soak.js [--seed N] [--bmcs 200] [--operations 1000] [--minutes 10]` (`npm run soak`) prints the
 * figures as JSON; test/peers/soak.test.js runs a short version.
 */
const assert = require("node:assert/strict");
const { startLab } = require("../../dist/lab");
const { bmcUserProvider: provider, CredentialsError, PartialFailureError } = require("../../dist");
const { forgetLoginMemory } = require("../../dist/ipmi/login");
const { forgetLanChannel } = require("../../dist/ipmi/accounts");
const { forgetIdentity, identityKey } = require("../../dist/ipmi/identity");
const { SentinelScan } = require("../lab/sentinels");
const { seededRandom: rng } = require("../lab/udp-proxy");


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PRIVILEGES = ["user", "operator"];
const FAULTS = ["loss", "delay", "restart", "busy", "stall"];

/**
 * Runs one soak. `log` receives progress lines. Resolves with the figures; rejects (an assertion) when an invariant
 * breaks.
 */
async function runSoak({ seed = 1, bmcs: bmcCount = 200, operations = 1000, resourcesPerBmc = 3, concurrency = 32, faultRate = 0.35, deadlineMs = 10 * 60 * 1000, log = () => {} } = {}) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const started = Date.now();
  const lab = await startLab({ vendor: "generic", count: bmcCount, lockout: { threshold: 3 }, setupTimeoutMs: 1000, idleTimeoutSeconds: 5, redfish: false }); // IPMI: the provider soaked is the IPMI one
  const sentinels = [];
  const scan = new SentinelScan(sentinels);
  let passwordSerial = 0;
  const newPassword = () => {
    const p = `Sentinel-Soak-${String(seed % 100).padStart(2, "0")}${String(passwordSerial++).padStart(4, "0")}`; // 20 bytes
    sentinels.push(p);
    return p;
  };
  const figures = {
    seed,
    bmcs: bmcCount,
    resources: bmcCount * resourcesPerBmc,
    operations: 0,
    byOperation: {},
    succeeded: 0,
    failed: 0,
    failuresByCode: {},
    partialFailures: 0,
    untyped: 0,
    faults: Object.fromEntries(FAULTS.map((f) => [f, 0])),
    latencyMs: {},
    convergeOperations: 0,
    rejectedLogins: 0,
    lockedAccounts: 0,
    sentinelChecks: 0,
    sentinelLeaks: 0,
    seconds: 0,
  };
  const latencies = [];

  const resources = [];
  for (const bmc of lab.bmcs) {
    for (let i = 0; i < resourcesPerBmc; i++) {
      resources.push({ bmc, username: `soak${i}`, desired: { exists: false, password: "", privilege: "user" }, recorded: undefined, busy: false });
    }
  }
  const inputsOf = (r) => ({
    bmc: { host: r.bmc.host, port: r.bmc.port, username: r.bmc.admin.name, password: "ADMIN", timeoutSeconds: 1, retries: 2 },
    username: r.username,
    password: r.desired.password,
    privilege: r.desired.privilege,
  });
  const checked = async (r) => {
    const c = await provider.check({}, inputsOf(r));
    assert.deepEqual(c.failures, [], JSON.stringify(c.failures));
    return { ...c.inputs, __provider: "soak" };
  };

  /** A fault on `bmc` for a while, then cleared (a restart clears itself). */
  const faultTimers = new Set();
  function injectFault(bmc) {
    const kind = pick(FAULTS);
    figures.faults[kind]++;
    const lasts = 200 + Math.floor(random() * 1300);
    switch (kind) {
      case "loss":
        bmc.inject({ drop: { rate: 0.1 + random() * 0.3, direction: pick(["in", "out", "both"]) } });
        break;
      case "delay":
        bmc.inject({ delay: { ms: 20 + Math.floor(random() * 200), jitterMs: 100 } });
        break;
      case "busy":
        bmc.inject({ busy: { count: 1 + Math.floor(random() * 3) } });
        break;
      case "stall":
        bmc.inject({ stall: { scope: pick(["all", "session"]) } });
        break;
      default:
        bmc.restart({ users: "keep", downMs: lasts });
        return;
    }
    const timer = setTimeout(() => {
      faultTimers.delete(timer);
      bmc.clearFaults();
    }, lasts);
    faultTimers.add(timer);
  }

  /** One engine-like step on `r`; records what the engine would store. */
  async function step(r, kind, converging = false) {
    const t0 = Date.now();
    let outcome;
    try {
      if (kind === "create") {
        outcome = { result: await provider.create(await checked(r)) };
      } else if (kind === "update") {
        outcome = { result: await provider.update(r.recorded.id, r.recorded.outs, await checked(r)) };
      } else if (kind === "read") {
        outcome = { result: await provider.read(r.recorded.id, r.recorded.outs) };
      } else {
        await provider.delete(r.recorded.id, r.recorded.outs);
        outcome = { result: {} };
      }
    } catch (error) {
      outcome = { error };
    }
    if (!converging) {
      latencies.push(Date.now() - t0);
      figures.byOperation[kind] = (figures.byOperation[kind] ?? 0) + 1;
    }
    if (outcome.error) {
      const e = outcome.error;
      scan.error(e);
      figures.failed++;
      const typed = (e instanceof CredentialsError || e instanceof PartialFailureError) && /^[A-Z][A-Z_]+$/.test(e.code ?? "");
      if (!typed) {
        figures.untyped++;
        log(`untyped failure of ${kind} on ${r.bmc.port}/${r.username}: ${e?.stack ?? e}`);
      }
      const reason = (e instanceof PartialFailureError ? e.cause : e)?.context?.reason;
      const key = `${e.code ?? "untyped"}${reason ? ` (${reason})` : ""}`;
      figures.failuresByCode[key] = (figures.failuresByCode[key] ?? 0) + 1;
      if (e instanceof PartialFailureError) {
        figures.partialFailures++;
        r.recorded = { id: e.id, outs: e.properties };
      }
      return false;
    }
    figures.succeeded++;
    const res = outcome.result;
    scan.state(res);
    if (kind === "delete") {
      r.recorded = undefined;
    } else if (kind === "read") {
      r.recorded = res.id === undefined ? undefined : { id: res.id, outs: res.props };
    } else {
      r.recorded = { id: res.id ?? r.recorded.id, outs: res.outs };
    }
    return true;
  }

  /** The operation the engine would run next on `r` in this random schedule. */
  function nextOperation(r) {
    if (!r.recorded) {
      if (!r.desired.exists) r.desired = { exists: true, password: newPassword(), privilege: pick(PRIVILEGES) };
      return "create";
    }
    const x = random();
    if (x < 0.35) {
      r.desired = random() < 0.5 ? { ...r.desired, password: newPassword() } : { ...r.desired, privilege: r.desired.privilege === "user" ? "operator" : "user" };
      return "update";
    }
    if (x < 0.8) return "read";
    r.desired = { ...r.desired, exists: false };
    return "delete";
  }

  // The schedule: `operations` operations, at most `concurrency` at once, never two on one resource (as the engine).
  let issued = 0;
  async function worker() {
    while (issued < operations && Date.now() - started < deadlineMs) {
      const idle = resources.filter((r) => !r.busy);
      if (idle.length === 0) {
        await sleep(5);
        continue;
      }
      const r = pick(idle);
      issued++;
      r.busy = true;
      if (random() < faultRate) injectFault(r.bmc);
      const kind = nextOperation(r);
      const ok = await step(r, kind);
      if (!ok && kind === "delete") {
        // A failed delete means it still exists: the engine keeps it, and so does the program here.
        r.desired = { ...r.desired, exists: true };
      }
      r.busy = false;
      figures.operations++;
      if (figures.operations % 100 === 0) log(`${figures.operations} operations, ${figures.failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    for (const t of faultTimers) clearTimeout(t);
    for (const bmc of lab.bmcs) bmc.clearFaults();
    const lockedDuring = lab.bmcs.flatMap((b) => b.accounts().filter((a) => a.locked));
    assert.deepEqual(lockedDuring.map((a) => a.name), [], "no account locked by the schedule");

    // The next `pulumi up`: a new provider process, no faults. Sessions the faults stranded expire first.
    await sleep(1500);
    forgetLoginMemory();
    for (const bmc of lab.bmcs) {
      forgetLanChannel({ host: bmc.host, port: bmc.port });
      forgetIdentity(identityKey({ host: bmc.host, port: bmc.port }));
    }
    const queue = [...resources];
    const convergeOne = async (r) => {
      if (r.desired.exists) {
        const kind = r.recorded ? "update" : "create";
        assert.ok(await step(r, kind, true), `converge ${kind} of ${r.bmc.port}/${r.username} failed`);
        figures.convergeOperations++;
        const read = await provider.read(r.recorded.id, r.recorded.outs);
        if (read.id === undefined) throw new Error(`${r.bmc.port}/${r.username}: gone right after converging`);
        assert.equal((await provider.diff(read.id, read.props, await checked(r))).changes, false, `${r.bmc.port}/${r.username}: the second plan is empty`);
      } else if (r.recorded) {
        assert.ok(await step(r, "delete", true), `converge delete of ${r.bmc.port}/${r.username} failed`);
        figures.convergeOperations++;
      }
    };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await convergeOne(r);
      }),
    );

    // Converged: exactly the declared accounts, with their passwords and privileges; nothing locked.
    for (const bmc of lab.bmcs) {
      const held = bmc.accounts().filter((a) => a.name !== "");
      const wanted = resources.filter((r) => r.bmc === bmc && r.desired.exists);
      assert.deepEqual(held.map((a) => a.name).sort(), [bmc.admin.name, ...wanted.map((r) => r.username)].sort(), `BMC ${bmc.port}: exactly the declared accounts`);
      for (const r of wanted) {
        const a = bmc.account(r.username);
        assert.equal(a.access[1].privilege, r.desired.privilege, `${bmc.port}/${r.username} privilege`);
        assert.equal(bmc.table.testPassword(a.slot, r.desired.password, 20), "match", `${bmc.port}/${r.username} holds its declared password`);
      }
      assert.equal(bmc.table.testPassword(bmc.admin.slot, "ADMIN", 16), "match", `${bmc.port}: administrator access kept`);
      for (const a of bmc.accounts()) {
        figures.rejectedLogins += a.rejectedLogins;
        if (a.locked) figures.lockedAccounts++;
      }
    }
    assert.equal(figures.lockedAccounts, 0, "no account locked");
    assert.equal(figures.untyped, 0, "every failure typed");
  } finally {
    for (const t of faultTimers) clearTimeout(t);
    await lab.stop();
  }
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  figures.latencyMs = { p50: q(0.5), p95: q(0.95), max: latencies[latencies.length - 1] ?? 0 };
  figures.sentinelChecks = scan.checks;
  figures.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  return figures;
}

module.exports = { runSoak };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? fallback : Number(args[i + 1]);
  };
  const minutes = opt("minutes", 10);
  runSoak({ seed: opt("seed", 1), bmcs: opt("bmcs", 200), operations: opt("operations", 1000), deadlineMs: minutes * 60 * 1000, log: (l) => console.error(l) }).then(
    (figures) => {
      console.log(JSON.stringify(figures, null, 2));
      const timer = setTimeout(() => process.exit(0), 100);
      timer.unref();
    },
    (e) => {
      console.error(`soak FAILED: ${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
