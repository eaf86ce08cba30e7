"use strict";
// Engine tier: real crashes (issue 16, item 3). The real `cmd/dynamic-provider` process, driven by the engine model
// (test/harness/engine.js), is killed with SIGKILL at seeded random points of create, update, rotation of the login
// account and delete: right after the k-th datagram the lab BMC received during that `up` (the lab's `onReceived` hook,
// in this process, so the kill lands at an exact point of the exchange: mid-login, between a write and its read-back,
// between "password set" and "state saved"). After each kill the next `up` of the same program must converge: no
// error, the BMC holds exactly the declared accounts (no orphan), the administrator still logs in with the password the
// state says, no account is locked (the lab's threshold is 3), and every resource's state matches the BMC.
//
// Stacks, each on a BMC of its own, run their schedules side by side. Every kill point costs two `up`s, each a fresh
// provider process (~1 s of CPU to start, 2-8 s per `up` on a loaded 2-core machine), so `npm test` runs 2 stacks × 4
// kill points (one per phase: 8 in all, 40 s measured at load 2-3, 2 min at load 8-10) and `npm run test:crash` 4 × 8
// (32 or more: measured 37 kill points landed in 201 s). CRASH_SEED picks the schedule (default fixed), CRASH_STACKS
// and CRASH_KILLS (per stack) its size.
const assert = require("node:assert/strict");
const path = require("node:path");
const { startLab } = require("../../dist/lab");
const { installConsumer, removeConsumer, registrations } = require("../harness/consumer");
const { stackSession } = require("../harness/session");
const { seededRandom: rng } = require("../lab/udp-proxy");

const SEED = Number(process.env.CRASH_SEED ?? 1612);
const KILLS = Number(process.env.CRASH_KILLS ?? 4);
const STACKS = Number(process.env.CRASH_STACKS ?? 2);
const FACTORY = "ADMIN";
const pw = (cycle, what) => `Sentinel-Crsh-${String(cycle).padStart(2, "0")}-${what}`; // 20 bytes
const PHASES = ["create", "update", "rotate", "delete"];


/**
 * One stack's schedule on `bmc`: cycle 0 runs the four phases without kills (and measures the datagrams of each);
 * every later cycle runs each phase once with a kill after a seeded number of datagrams, then again without, and
 * checks the converged BMC and state. Returns the kill points.
 */
async function crashSchedule({ bmc, dir, seed, kills: wanted, cycles }) {
  const sentinels = [];
  for (let c = 0; c <= cycles; c++) sentinels.push(pw(c, "adm"), pw(c, "op1"), pw(c, "op2"), pw(c, "mon"));
  const session = stackSession({ programDir: dir, statePath: path.join(dir, "state.json"), sentinels, engineOptions: { parallel: 8 } });

  /**
   * The program of cycle `c`, phase `phase`. The administrator's password before the cycle is `adminBefore(c)`;
   * rotation writes pw(c, "adm"). The login account's resource stays in the stack once it exists.
   */
  const adminBefore = (c) => (c === 0 ? FACTORY : pw(c - 1, "adm"));
  function declarations(c, phase) {
    const login = phase === "delete" ? { password: pw(c, "adm"), fallbackPasswords: [adminBefore(c)] } : { password: adminBefore(c), fallbackPasswords: [pw(c, "adm")] };
    const conn = { host: bmc.host, port: bmc.port, username: "ADMIN", timeoutSeconds: 1, retries: 2, ...login };
    const admin = (password) => ({ kind: "BmcUser", name: "admin", args: { bmc: conn, userId: bmc.admin.slot, username: "ADMIN", password, privilege: "administrator" } });
    const ops = (password, privilege) => ({ kind: "BmcUser", name: "ops", args: { bmc: conn, username: "ops", password, privilege } });
    const mon = { kind: "BmcUser", name: "mon", args: { bmc: conn, username: "mon", password: pw(c, "mon"), privilege: "user" } };
    const adminNow = c === 0 ? [] : [admin(adminBefore(c))];
    switch (phase) {
      case "create":
        return [...adminNow, ops(pw(c, "op1"), "operator"), mon];
      case "update":
        return [...adminNow, ops(pw(c, "op2"), "user"), mon];
      case "rotate":
        return [admin(pw(c, "adm")), ops(pw(c, "op2"), "user"), mon];
      default:
        return [admin(pw(c, "adm"))];
    }
  }

  /** What the BMC and the state must hold after `phase` of cycle `c` converged. */
  function expectConverged(c, phase, engine) {
    const at = `stack on port ${bmc.port}, ${c}/${phase}`;
    const adminPassword = phase === "rotate" || phase === "delete" ? pw(c, "adm") : adminBefore(c);
    const expected = { ADMIN: { password: adminPassword, privilege: "administrator" } };
    if (phase !== "delete") {
      expected.ops = phase === "create" ? { password: pw(c, "op1"), privilege: "operator" } : { password: pw(c, "op2"), privilege: "user" };
      expected.mon = { password: pw(c, "mon"), privilege: "user" };
    }
    const held = bmc.accounts().filter((a) => a.name !== "");
    assert.deepEqual(held.map((a) => a.name).sort(), Object.keys(expected).sort(), `${at}: exactly the declared accounts, no orphan`);
    for (const a of held) {
      const want = expected[a.name];
      assert.equal(a.locked, false, `${at}: ${a.name} is not locked out`);
      assert.equal(a.access[1].privilege, want.privilege, `${at}: ${a.name} privilege`);
      assert.equal(bmc.table.testPassword(a.slot, want.password, want.password.length > 16 ? 20 : 16), "match", `${at}: ${a.name} holds the declared password`);
    }
    const plain = (outputs) => Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v?.value ?? v]));
    for (const r of engine.resources) {
      const outs = plain(r.outputs);
      assert.equal(bmc.account(outs.userId).name, outs.username, `${at}: ${r.urn}: the state names the slot's account`);
      assert.equal(outs.privilege, expected[outs.username].privilege, `${at}: ${r.urn}: privilege in state`);
      assert.deepEqual(r.initErrors ?? [], [], `${at}: ${r.urn}: no init errors left`);
    }
    const inState = engine.resources.map((r) => plain(r.outputs).username).sort();
    assert.deepEqual(inState, Object.keys(expected).filter((n) => n !== "ADMIN" || c > 0 || phase === "rotate" || phase === "delete").sort(), `${at}: resources in state`);
  }

  /** One `up` of `program`; when `killAt` is given, SIGKILL the provider process once the BMC received that many datagrams. */
  async function up(program, killAt) {
    let host;
    let killed = false;
    const t0 = Date.now();
    const base = bmc.counts().received;
    bmc.onReceived((count) => {
      if (killAt !== undefined && !killed && host && count - base >= killAt) {
        killed = true;
        process.kill(host.pid, "SIGKILL");
      }
    });
    try {
      const { result } = await session.run((e) => {
        const withHost = e.withHost.bind(e);
        e.withHost = (fn) => withHost((h) => ((host = h), fn(h)));
        return e.up(program);
      });
      if (process.env.CRASH_TRACE) console.log(`        ${bmc.port} up kill@${killAt ?? "-"} killed=${killed}: ${Date.now() - t0} ms, ${bmc.counts().received - base} datagrams`);
      return { result, killed, datagrams: bmc.counts().received - base };
    } finally {
      bmc.onReceived(undefined);
    }
  }

  const versions = {};
  for (let c = 0; c <= cycles; c++) for (const phase of PHASES) versions[`${c}-${phase}`] = declarations(c, phase);
  const programs = registrations(dir, versions);
  const random = rng(seed);
  const datagramsOf = {}; // datagrams an uninterrupted up of each phase took (cycle 0)
  const points = [];
  let kills = 0;
  let last;
  for (let c = 0; c <= cycles && (c === 0 || kills < wanted); c++) {
    for (const phase of PHASES) {
      const program = programs[`${c}-${phase}`];
      last = program;
      if (c > 0) {
        const killAt = 1 + Math.floor(random() * datagramsOf[phase] * 0.8);
        const crashed = await up(program, killAt);
        if (crashed.killed) kills++;
        points.push(`${phase}@${killAt}${crashed.killed ? "" : "(finished first)"}`);
      }
      const converge = await up(program);
      assert.deepEqual(converge.result.errors, [], `${c}/${phase}: the up after the kill converges`);
      if (c === 0) datagramsOf[phase] = converge.datagrams;
      const { engine } = await session.run(async (e) => e);
      expectConverged(c, phase, engine);
    }
  }
  const { result: preview } = await session.run((e) => e.preview(last));
  assert.deepEqual(preview.changes, [], "the second plan is empty");
  session.assertNoLeaks({ minStates: 8 });
  return { kills, points };
}

describe(`engine: SIGKILL of the dynamic-provider process at seeded points (seed ${SEED}, ${STACKS} stacks × ${KILLS} kills)`, function () {
  this.timeout(1800000);
  let lab;
  const dirs = [];

  before(async () => {
    lab = await startLab({ vendor: "generic", count: STACKS, lockout: { threshold: 3 }, setupTimeoutMs: 1000, idleTimeoutSeconds: 3, redfish: false });
    for (let i = 0; i < STACKS; i++) dirs.push(installConsumer());
  });
  after(async () => {
    for (const b of lab?.bmcs ?? []) b.onReceived(undefined);
    await lab?.stop();
    for (const d of dirs) removeConsumer(d);
  });

  it("every kill point: the next up converges (no orphan, administrator access kept, no lockout, state matches the BMC)", async () => {
    const started = Date.now();
    const cycles = Math.ceil(KILLS / (PHASES.length - 1)) + 1;
    const results = await Promise.all(lab.bmcs.map((bmc, i) => crashSchedule({ bmc, dir: dirs[i], seed: SEED + i, kills: KILLS, cycles })));
    const total = results.reduce((n, r) => n + r.kills, 0);
    console.log(`      ${total} kills in ${((Date.now() - started) / 1000).toFixed(1)} s; ${results.map((r, i) => `stack ${i}: ${r.points.join(" ")}`).join("; ")}`);
    assert.ok(total >= STACKS * KILLS, `${total} kill points landed`);
  });
});
