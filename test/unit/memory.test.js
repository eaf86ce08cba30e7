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

  it("collectGarbage shrinks the young generation and resident memory, and prints no warning", () => {
    const code = `
      const v8 = require("node:v8");
      const { collectGarbage } = require(${JSON.stringify(path.join(DIST, "shared/memory.js"))});
      const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 2e5) keep = []; }
      keep = null;
      const before = { young: young(), rss: process.memoryUsage.rss() };
      const ran = collectGarbage();
      const second = collectGarbage();
      console.log(JSON.stringify({ ran, second, before, after: { young: young(), rss: process.memoryUsage.rss() } }));`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "", "no ExperimentalWarning reaches the update log");
    const { ran, second, before, after } = JSON.parse(r.stdout);
    assert.ok(ran && second, "v8.queryObjects is available on this Node");
    assert.ok(after.young < before.young, `young generation ${before.young} -> ${after.young}`);
    assert.ok(after.rss < before.rss - 8 * 1048576, `RSS ${before.rss} -> ${after.rss}`);
  });

  it("a collection is due only over the limit, after regrowth, and not more than once a second", () => {
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
