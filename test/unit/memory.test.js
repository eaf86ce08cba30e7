"use strict";
// The provider process's memory: what the provider loads, and the memory-reducing collection it asks for.
const assert = require("node:assert/strict");
const { execFileSync, spawnSync } = require("node:child_process");
const path = require("node:path");
const { collectionDue, softLimitMb, DEFAULT_SOFT_LIMIT_MB, REGROWTH_MB, MIN_INTERVAL_MS } = require("../../dist/shared/memory");

const DIST = path.join(__dirname, "../../dist");

/** Runs `code` in a fresh Node process (nothing preloaded); returns its stdout parsed as JSON, and its stderr. */
function fresh(code) {
  const out = execFileSync(process.execPath, ["-e", code], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH } });
  return JSON.parse(out);
}

describe("unit: provider process memory", () => {
  it("the providers load without ssh2 (its 16 MB WebAssembly memory); an SSH route or key check loads it", () => {
    const r = fresh(`
      const loaded = () => Object.keys(require.cache).some((k) => k.includes("/node_modules/ssh2/"));
      const p = require(${JSON.stringify(path.join(DIST, "bmcUser/provider.js"))});
      require(${JSON.stringify(path.join(DIST, "bmsPassword/provider.js"))});
      require(${JSON.stringify(DIST)});
      const afterLoad = loaded();
      (async () => {
        await p.check({}, { bmc: { host: "10.0.0.1", username: "admin", password: "Admin-pw-1" }, userId: 3, username: "ops", password: "Ops-pw-1234" });
        const afterRmcpCheck = loaded();
        const ssh = await p.check({}, { bmc: { ssh: { host: "10.0.0.2", username: "root", password: "Ssh-pw-1", hostKey: "ssh-ed25519 AAAA" } }, userId: 3, username: "ops", password: "Ops-pw-1234" });
        console.log(JSON.stringify({ afterLoad, afterRmcpCheck, afterSshCheck: loaded(), sshFailures: ssh.failures.map((f) => f.property) }));
      })();`);
    assert.equal(r.afterLoad, false, "loading the package must not load ssh2");
    assert.equal(r.afterRmcpCheck, false, "an RMCP+ resource never needs ssh2");
    assert.equal(r.afterSshCheck, true, "checking an SSH host key loads ssh2 on demand");
    assert.ok(r.sshFailures.some((p) => /hostKey/.test(p)), `the bad host key is still refused: ${r.sshFailures}`);
  });

  /** Runs `body` in a fresh Node process after `setup` (both source text); returns its JSON line and stderr. */
  function collectIn(setup, body) {
    const code = `
      ${setup}
      const v8 = require("node:v8");
      let queryCalls = 0; // which route ran: v8.queryObjects is counted, the inspector is not
      if (v8.queryObjects) { const q = v8.queryObjects; v8.queryObjects = function (...a) { queryCalls++; return q.apply(this, a); }; }
      const mem = require(${JSON.stringify(path.join(DIST, "shared/memory.js"))});
      const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 2e5) keep = []; }
      keep = null;
      (async () => { ${body} })();`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return { out: JSON.parse(r.stdout), stderr: r.stderr };
  }

  const MEASURE = `
    const before = { young: young(), rss: process.memoryUsage.rss() };
    const t = Date.now();
    const ran = await mem.collectGarbage();
    const ms = Date.now() - t;
    const second = await mem.collectGarbage();
    const gcInNewContext = require("node:vm").runInNewContext("typeof gc");
    console.log(JSON.stringify({ ran, second, ms, gcInNewContext, queryCalls, before, after: { young: young(), rss: process.memoryUsage.rss() } }));`;

  function assertReduced({ ran, second, before, after }) {
    assert.ok(ran && second, "a memory-reducing collection ran");
    assert.ok(after.young < before.young, `young generation ${before.young} -> ${after.young}`);
    assert.ok(after.rss < before.rss - 8 * 1048576, `RSS ${before.rss} -> ${after.rss}`);
  }

  it("collectGarbage (inspector) shrinks the young generation and resident memory, sets no flag, prints nothing", () => {
    const { out, stderr } = collectIn("", MEASURE);
    assertReduced(out);
    assert.equal(out.queryCalls, 0, "the inspector ran it, not the heap walk of v8.queryObjects");
    assert.equal(out.gcInNewContext, "undefined", "no --expose-gc: new vm contexts get no gc()");
    assert.equal(stderr, "", "no warning reaches the update log");
  });

  it("without the inspector, collectGarbage falls back to v8.queryObjects; without either it does nothing and does not throw", () => {
    const noInspector = `
      const Module = require("node:module");
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (request === "node:inspector" || request === "inspector") { const e = new Error("Inspector is not available"); e.code = "ERR_INSPECTOR_NOT_AVAILABLE"; throw e; }
        return load.call(this, request, ...rest);
      };`;
    const fallback = collectIn(noInspector, MEASURE);
    assertReduced(fallback.out);
    assert.equal(fallback.out.queryCalls, 2, "v8.queryObjects ran each collection");
    assert.equal(fallback.stderr, "", "queryObjects' ExperimentalWarning is not printed");
    const neither = collectIn(`${noInspector} delete require("node:v8").queryObjects;`, `
      const ran = await mem.collectGarbage();
      mem.watchMemory();
      console.log(JSON.stringify({ ran, collections: mem.memoryCollections() }));`);
    assert.deepEqual(neither.out, { ran: false, collections: 0 });
  });

  it("the watch collects in a process whose RSS passes the soft limit, and not with the limit at 0", () => {
    const grow = (limit) => collectIn(`process.env.PULUMI_BMC_RSS_SOFT_LIMIT_MB = "${limit}";`, `
      mem.watchMemory();
      const hold = [];
      const start = process.memoryUsage.rss() / 1048576;
      // Grow RSS by ~40 MB of short-lived garbage kept reachable for a moment, for 1.5 s.
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        for (let i = 0; i < 2e5; i++) hold.push({ i, s: "y" + i });
        if (hold.length > 6e5) hold.length = 0;
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(JSON.stringify({ start, collections: mem.memoryCollections() }));`);
    const on = grow(1); // any RSS is above 1 MB: the watch must collect (regrowth and the interval allowing)
    assert.ok(on.out.collections >= 1, `collections with the limit at 1 MB: ${on.out.collections}`);
    const off = grow(0);
    assert.equal(off.out.collections, 0, "limit 0 turns the watch off");
  });

  it("a collection is due only over the limit, after regrowth, and not sooner than MIN_INTERVAL_MS after the last", () => {
    const limit = DEFAULT_SOFT_LIMIT_MB;
    const never = { mb: 0, at: -Infinity };
    assert.equal(collectionDue(limit - 1, limit, never, 0), false, "under the limit");
    assert.equal(collectionDue(limit + 1, limit, never, 0), true, "over it, first time");
    assert.equal(collectionDue(limit + 1, 0, never, 0), false, "limit 0 turns it off");
    const last = { mb: limit - 2, at: 10_000 };
    assert.equal(collectionDue(limit + 1, limit, last, 10_000 + MIN_INTERVAL_MS), false, "not regrown by REGROWTH_MB since the last result");
    assert.equal(collectionDue(last.mb + REGROWTH_MB + 1, limit, last, 10_000 + MIN_INTERVAL_MS - 1), false, "too soon");
    assert.equal(collectionDue(last.mb + REGROWTH_MB + 1, limit, last, 10_000 + MIN_INTERVAL_MS), true, "regrown, a second later");
    assert.equal(collectionDue(limit + 50, limit, { mb: limit + 45, at: 0 }, 5000), false, "a live set above the limit is not collected again and again");
  });

  it("PULUMI_BMC_RSS_SOFT_LIMIT_MB sets the limit; 0 turns the watch off; nonsense keeps the default", () => {
    assert.equal(softLimitMb({}), DEFAULT_SOFT_LIMIT_MB);
    assert.equal(softLimitMb({ PULUMI_BMC_RSS_SOFT_LIMIT_MB: "200" }), 200);
    assert.equal(softLimitMb({ PULUMI_BMC_RSS_SOFT_LIMIT_MB: "0" }), 0);
    assert.equal(softLimitMb({ PULUMI_BMC_RSS_SOFT_LIMIT_MB: "lots" }), DEFAULT_SOFT_LIMIT_MB);
    assert.equal(softLimitMb({ PULUMI_BMC_RSS_SOFT_LIMIT_MB: "-5" }), DEFAULT_SOFT_LIMIT_MB);
  });
});
